/* Thread stacks of a live process, found without stopping it (linux-internals.md §3):
 *   1. the main thread's [stack] mapping;
 *   2. each blocked thread's stack pointer from /proc/PID/task/TID/syscall;
 *   3. for running threads, glibc's own thread list read from target memory (each struct pthread
 *      sits at the top of its thread's stack);
 *   4. failing that, the stack shape (a guard page right below a read/write mapping) when it
 *      singles out the one thread still missing.
 * Each thread records how its stack was found; the classifier shows it in the details. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../parse/block_cache.h"
#include "../../parse/elf.h"
#include "../../parse/glibc_heap.h"
#include "../../util/xalloc.h"
#include "glibc_names.h"
#include "linux_capture.h"

#define MAX_GUARD (1024 * 1024) /* larger PROT_NONE neighbours are reservations, not guards */

static bool is_guard(const lx_capture *c, long gi, long si)
{
    if (gi < 0)
        return false;
    const vm_linux_mapping *g = &c->maps.v[gi], *s = &c->maps.v[si];
    return g->end == s->start && !g->r && !g->w && !g->x && lx_is_anon_private(g) &&
           g->end - g->start <= MAX_GUARD && !c->notes[gi].heap && !c->notes[gi].stack;
}

/* Can mapping i be a thread stack at all? */
static bool stack_candidate(const lx_capture *c, long i)
{
    if (i < 0)
        return false;
    const vm_linux_mapping *m = &c->maps.v[i];
    const lx_note *n = &c->notes[i];
    bool main_stack = m->name && strcmp(m->name, "[stack]") == 0;
    return m->r && m->w && !n->heap && !n->stack && n->module < 0 && (main_stack || lx_is_anon_private(m));
}

static void claim_stack(lx_capture *c, long i, const vm_linux_task *t, const char *how)
{
    const vm_linux_mapping *m = &c->maps.v[i];
    vm_thread *th = vm_snapshot_add_thread(c->snap);
    if (!th)
        return;
    th->tid = t->tid;
    th->name = t->name[0] ? vm_strdup(t->name) : NULL;
    th->found_by = vm_strdup(how);
    th->sp = t->sp_known ? t->sp : 0;
    th->stack_base = m->end;
    th->stack_limit = m->start;
    th->reserve_base = m->start;
    c->notes[i].stack = true;
    c->notes[i].alloc_base = m->start;
    if (is_guard(c, i - 1, i)) {
        const vm_linux_mapping *g = &c->maps.v[i - 1];
        th->guard_address = g->start;
        th->guard_size = g->end - g->start;
        th->reserve_base = g->start;
        c->notes[i - 1].stack = true;
        c->notes[i - 1].alloc_base = g->start;
        c->notes[i].alloc_base = g->start;
    }
}

static long main_stack_mapping(const lx_capture *c)
{
    for (size_t i = 0; i < c->maps.n; i++)
        if (c->maps.v[i].name && strcmp(c->maps.v[i].name, "[stack]") == 0)
            return (long)i;
    return -1;
}

/* The first module whose path is accepts (glibc_names.h). */
static const vm_module *module_where(const lx_capture *c, bool (*is)(const char *path))
{
    for (size_t i = 0; i < c->snap->nmodules; i++)
        if (is(c->snap->modules[i].path))
            return &c->snap->modules[i];
    return NULL;
}

/* Runtime addresses of exported symbols of a loaded module (its file read once, through
 * /proc/PID/root); a symbol not found stays 0. */
static void symbol_addresses(lx_capture *c, const vm_module *mod, const char *const *names, uint64_t *out, size_t n)
{
    char path[4200], err[128];
    vm_file_reader fr;
    snprintf(path, sizeof path, "/proc/%d/root%s", c->pid, mod->path);
    if (!vm_file_reader_open(&fr, path, err, sizeof err) && !vm_file_reader_open(&fr, mod->path, err, sizeof err))
        return;
    vm_memreader file = vm_file_reader_make(&fr);
    vm_block_cache cache; /* a symbol search makes a small read per symbol it compares */
    vm_block_cache_init(&cache);
    vm_block_cache_reset(&cache, &file, fr.size);
    vm_memreader r = vm_block_cache_reader(&cache);
    vm_elf e;
    memset(&e, 0, sizeof e);
    uint64_t bias = 0;
    if (vm_elf_parse(&r, fr.size, &e, err, sizeof err) && vm_elf_load_bias(&e, mod->base, 0, c->page_size, &bias))
        for (size_t i = 0; i < n; i++) {
            uint64_t value = 0, size = 0;
            if (vm_elf_find_symbol(&r, &e, names[i], &value, &size) && value)
                out[i] = bias + value;
        }
    vm_elf_free(&e);
    vm_block_cache_free(&cache);
    vm_file_reader_close(&fr);
}

static bool glibc_thread_list(lx_capture *c, vm_glibc_thread **out, size_t *n)
{
    const vm_module *ld = module_where(c, lx_is_glibc_loader), *libc = module_where(c, lx_is_glibc_libc);
    if (!ld || !libc || c->opt->skip_heaps || c->offline)
        return false; /* offline, every thread's stack pointer is known */
    static const char *const libc_names[] = {
        "_thread_db_rtld_global__dl_stack_used", "_thread_db_rtld_global__dl_stack_user",
        "_thread_db_pthread_list", "_thread_db_pthread_tid"};
    static const char *const ld_names[] = {"_rtld_global"};
    uint64_t libc_syms[4] = {0}, ld_syms[1] = {0};
    symbol_addresses(c, libc, libc_names, libc_syms, 4);
    symbol_addresses(c, ld, ld_names, ld_syms, 1);
    vm_glibc_thread_db db = {
        .rtld_global = ld_syms[0],
        .td_dl_stack_used = libc_syms[0],
        .td_dl_stack_user = libc_syms[1],
        .td_pthread_list = libc_syms[2],
        .td_pthread_tid = libc_syms[3],
    };
    if (!db.rtld_global || !db.td_dl_stack_used || !db.td_pthread_list || !db.td_pthread_tid) {
        vm_snapshot_warn(c->snap, "threads-glibc", "glibc thread list not available (symbols not found)");
        return false;
    }
    return vm_glibc_list_threads(&c->mem, &db, out, n, c->snap);
}

/* Read/write mappings with a guard right below that nobody claimed.  Needs the smaps VmFlags:
 * when they are only guessed so far (linux_capture.c), says so, and the capture redoes this step
 * once it has them. */
static size_t shape_candidates(lx_capture *c, long *first)
{
    if (c->vmflags_guessed)
        c->used_guess = true;
    size_t count = 0;
    for (size_t i = 1; i < c->maps.n; i++)
        if (stack_candidate(c, (long)i) && is_guard(c, (long)i - 1, (long)i) &&
            (c->maps.v[i].vmflags & VM_LX_AC)) {
            if (!count)
                *first = (long)i;
            count++;
        }
    return count;
}

/* Test hook: VMMAP_TEST_STACK_METHODS=glibc (or "shape", or a comma list of syscall, glibc,
 * shape) limits the ways a thread's stack may be found, so the integration tests exercise each
 * fallback on a live process; a running thread cannot be produced on demand.  The main thread's
 * [stack] is always used. */
enum { M_SYSCALL = 1, M_GLIBC = 2, M_SHAPE = 4 };

static unsigned stack_methods(void)
{
    const char *env = getenv("VMMAP_TEST_STACK_METHODS");
    if (!env || !*env)
        return M_SYSCALL | M_GLIBC | M_SHAPE;
    return (strstr(env, "syscall") ? M_SYSCALL : 0u) | (strstr(env, "glibc") ? M_GLIBC : 0u) |
           (strstr(env, "shape") ? M_SHAPE : 0u);
}

void lx_find_stacks(lx_capture *c, const vm_linux_task *tasks, size_t ntasks)
{
    const unsigned methods = stack_methods();
    bool *done = calloc(ntasks ? ntasks : 1, sizeof *done);
    if (!done)
        return;
    size_t missing = 0;

    long ms = main_stack_mapping(c);
    for (size_t t = 0; t < ntasks; t++) {
        long i = -1;
        const char *how = c->offline ? "the thread's stack pointer" : "syscall stack pointer";
        if (tasks[t].tid == (uint64_t)c->pid && stack_candidate(c, ms)) {
            i = ms;
            how = "[stack] mapping";
        } else if (tasks[t].sp_known && (methods & M_SYSCALL)) {
            i = lx_find_mapping(c, tasks[t].sp);
            if (!stack_candidate(c, i)) {
                if (i >= 0)
                    vm_snapshot_warn(c->snap, "thread-stack", "thread %" PRIu64 " runs on a stack at 0x%" PRIx64
                                     " that is not a stack mapping (user-allocated or alternate stack)",
                                     tasks[t].tid, tasks[t].sp);
                i = -1;
            }
        }
        if (i >= 0) {
            claim_stack(c, i, &tasks[t], how);
            done[t] = true;
        } else {
            missing++;
        }
    }

    if (missing && (methods & M_GLIBC)) {
        vm_glibc_thread *gt = NULL;
        size_t ng = 0;
        if (glibc_thread_list(c, &gt, &ng)) {
            for (size_t t = 0; t < ntasks; t++)
                for (size_t k = 0; k < ng && !done[t]; k++) {
                    long i = gt[k].tid == tasks[t].tid ? lx_find_mapping(c, gt[k].descriptor) : -1;
                    if (stack_candidate(c, i)) {
                        claim_stack(c, i, &tasks[t], "glibc thread list");
                        done[t] = true;
                        missing--;
                    }
                }
        }
        free(gt);
    }

    if (missing == 1 && (methods & M_SHAPE)) {
        long first = -1;
        if (shape_candidates(c, &first) == 1)
            for (size_t t = 0; t < ntasks; t++)
                if (!done[t]) {
                    claim_stack(c, first, &tasks[t], "stack shape (the only unlocated thread)");
                    done[t] = true;
                    missing = 0;
                }
    }
    for (size_t t = 0; t < ntasks; t++)
        if (!done[t]) {
            /* Still listed, so the thread count is right; its stack fields stay 0 (unknown). */
            vm_thread *th = vm_snapshot_add_thread(c->snap);
            if (th) {
                th->tid = tasks[t].tid;
                th->name = tasks[t].name[0] ? vm_strdup(tasks[t].name) : NULL;
                th->found_by = vm_strdup("not found");
                th->sp = tasks[t].sp_known ? tasks[t].sp : 0;
            }
            vm_snapshot_warn(c->snap, "thread-stack", "stack of thread %" PRIu64 " not found (%s)", tasks[t].tid,
                             tasks[t].running ? "it was running, and neither glibc's thread list nor the stack shape identified it"
                                              : "no stack pointer available");
        }
    free(done);
}
