/* The live Linux source: vm_platform_* for Linux.  Reads the mappings, lets each step (images,
 * heaps, stacks) annotate them, then turns them into raw blocks.
 *
 * /proc/PID/smaps is where every column comes from, and generating it is most of the capture's
 * time (the kernel walks every page table and formats two dozen lines per mapping).  So the
 * capture does not wait for it.  smaps is read on a thread of its own (proc_reader.h) and parsed
 * as it comes; meanwhile the much cheaper /proc/PID/maps is read and every step runs on it (the
 * "early pass").  The threads are listed on a third thread when there are three CPUs or more; on
 * two, a third busy thread took the smaps reader's CPU away from it (the thread list of 2,000
 * threads is some 26 ms of work: the capture was 13-15 ms slower with it beside than with it in
 * the early pass, where it only delays what the reader is ahead of anyway).  The steps
 * only need the mappings' headers, which maps has too.  As smaps comes in, each mapping is checked
 * against the one the steps saw, and its blocks are made from the smaps values themselves (their
 * state included: an inaccessible mapping is committed or reserved by its VmFlags 'ac', which
 * maps does not show) and classified as soon as their allocation is complete; the regions go to
 * opt->on_final, so the snapshot writer prints them while the kernel is still at work.  Blocks and
 * classification are thus exactly the plain pass's; what the early pass adds is only that the
 * steps ran on maps.
 *
 * The early pass stands when the layout did not change between the two reads and no step needed
 * the VmFlags (the stack-shape fallback does).  Otherwise everything it did is thrown away and the
 * steps run again on smaps itself, the plain way (smaps read again if the early pass had taken
 * some of it): slower, never different.  (A layout change
 * cannot be mended for the mappings it touches alone: the steps are global, a new mapping can be a
 * new arena heap or thread stack and change what its neighbours are.) */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../../util/parallel.h"
#include "../../util/timings.h"
#include "../../util/units.h"
#include "../../util/xalloc.h"
#include "../linux_model/linux_capture.h"
#include "proc_process.h"
#include "proc_reader.h"
#include "proc_smaps.h"
#include "linux_memreader.h"
#include "own_vdso.h"

int64_t vm_platform_self_pid(void)
{
    return (int64_t)getpid();
}

int vm_platform_find_pid(const char *name, int64_t *pid, vm_error *err)
{
    return vm_linux_find_pid(name, pid, err);
}

void vm_platform_host(char **os, char **host, char **arch)
{
    struct utsname u;
    if (uname(&u) != 0) {
        *os = vm_strdup("Linux");
        *host = NULL;
        *arch = NULL;
        return;
    }
    *os = vm_asprintf("%s %s", u.sysname, u.release);
    *host = vm_strdup(u.nodename);
    *arch = vm_strdup(u.machine);
}

/* Test hook: VMMAP_TEST_PAUSE_AFTER_MAPS=MS pauses right after the last read of smaps (in the
 * reader thread, before anything else runs), so a test can kill the target between reading the
 * maps and the rest of the scan ("the process exited during the scan"), or read the kernel's
 * totals at the very moment vmmap read them: anything vmmap runs for the first time maps more of
 * libc, which moves the Pss of a target sharing those pages (tests/integration). */
static void test_pause_after_maps(void)
{
    const char *ms = getenv("VMMAP_TEST_PAUSE_AFTER_MAPS");
    if (ms && *ms)
        lx_reader_test_pause_at_end(strtol(ms, NULL, 10));
}

static int gone(int pid, vm_error *err)
{
    vm_error_set(err, VM_EXIT_TARGET_GONE, "process %d exited during the scan", pid);
    vm_error_hint(err, "nothing was written; run vmmap again while the process is alive");
    return VM_EXIT_TARGET_GONE;
}

static uint64_t highest_user_end(const vm_linux_maps *maps)
{
    uint64_t top = 0;
    for (size_t i = 0; i < maps->n; i++)
        if (maps->v[i].end < 0x0100000000000000ull && maps->v[i].end > top)
            top = maps->v[i].end;
    return top;
}

static void fill_header(lx_capture *c, int pid)
{
    vm_snapshot *s = c->snap;
    s->source = vm_strdup("live-linux");
    vm_platform_host(&s->os, &s->host, &s->arch);
    s->page_size = c->page_size;
    s->alloc_granularity = c->page_size; /* mmap granularity is the page: Unusable never arises */
    s->user_top = vm_linux_user_top(highest_user_end(&c->maps));
    s->page_table_known = vm_linux_page_table_bytes(pid, &s->page_table_bytes);
}

/* The steps, on c->maps: process facts, images, heaps, tasks, stacks (the blocks come after).
 * The memory reader learns the mappings first: which pages not there read as zeros. */
static int run_steps(lx_capture *c, vm_linux_mem *mem, vm_error *err)
{
    int pid = c->pid;
    vm_linux_memreader_set_layout(mem, &c->maps);
    int rc = vm_linux_process_info(pid, &c->snap->process, err);
    if (rc != VM_EXIT_OK)
        return vm_linux_process_alive(pid) ? rc : gone(pid, err);
    if (c->maps.n == 0 && vm_linux_process_alive(pid)) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "process %d (%s) has no user address space (a kernel thread?)", pid,
                     c->snap->process.name ? c->snap->process.name : "?");
        return VM_EXIT_NOT_FOUND;
    }
    c->notes = calloc(c->maps.n ? c->maps.n : 1, sizeof *c->notes);
    if (!c->notes) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory for %zu mappings", c->maps.n);
        return VM_EXIT_ERROR;
    }
    for (size_t i = 0; i < c->maps.n; i++) {
        c->notes[i].alloc_base = c->maps.v[i].start;
        c->notes[i].module = -1;
    }
    fill_header(c, pid);
    vm_timing_mark("process info");
    /* Images and heaps need no threads: they run while the thread list may still be read beside
     * (a few thousand threads take longer than both). */
    lx_find_images(c);
    vm_timing_mark("images");
    lx_find_heaps(c);
    vm_timing_mark("heaps");

    vm_linux_task *tasks = NULL;
    size_t ntasks = 0;
    if (c->tasks_ahead) {
        rc = vm_linux_tasks_wait(c->tasks_ahead, &tasks, &ntasks, c->snap, err);
        c->tasks_ahead = NULL;
    } else {
        rc = vm_linux_list_tasks(pid, &tasks, &ntasks, c->snap, err);
    }
    if (rc != VM_EXIT_OK)
        return rc == VM_EXIT_TARGET_GONE || !vm_linux_process_alive(pid) ? gone(pid, err) : rc;

    vm_timing_mark("tasks");
    lx_find_stacks(c, tasks, ntasks);
    free(tasks);
    vm_timing_mark("stacks");

    if (!vm_linux_process_alive(pid))
        return gone(pid, err);
    return VM_EXIT_OK;
}

static int blocks_oom(const lx_capture *c, vm_error *err)
{
    vm_error_set(err, VM_EXIT_ERROR, "out of memory building %zu blocks", c->maps.n);
    return VM_EXIT_ERROR;
}

/* ---- the early pass ------------------------------------------------------------------------ */

/* Test hook: VMMAP_TEST_EARLY_PASS=off skips the early pass; =mismatch makes the check fail
 * halfway through smaps, after regions were handed out, as a layout change between the two
 * reads would; both must give the same snapshot as the early pass.  =expect fails the capture
 * (saying why) when the early pass does not stand, so a test knows that it did (tests/integration). */
enum { EARLY_ON, EARLY_OFF, EARLY_MISMATCH, EARLY_EXPECT };

static int early_mode(void)
{
    const char *v = getenv("VMMAP_TEST_EARLY_PASS");
    if (v && strcmp(v, "off") == 0)
        return EARLY_OFF;
    if (v && strcmp(v, "mismatch") == 0)
        return EARLY_MISMATCH;
    if (v && strcmp(v, "expect") == 0)
        return EARLY_EXPECT;
    return EARLY_ON;
}

typedef struct early {
    lx_capture *c;
    vm_linux_mem *mem;
    vm_facts *out;
    int mode;            /* early_mode() */
    bool tried;          /* it ran (as the smaps read started) */
    bool ok;             /* it succeeded, and every mapping checked so far matched */
    bool moved;          /* a smaps mapping differed from the early pass's: the process is busy */
    const char *why;     /* why it did not stand */
    lx_part_ranges parts; /* the heap parts, where mappings are cut into pieces (linux_split.c) */
    size_t checked;      /* smaps mappings checked and made into blocks */
    bool took;           /* it took smaps mappings from the reader: the smaps in hand lacks them */
    size_t nfinal;       /* regions handed to on_final */
} early;

/* /proc/PID/maps, then every step on it.  Any failure (errors included: the plain pass meets
 * them again and reports them) just means there is no early pass. */
static bool early_pass(early *e)
{
    lx_capture *c = e->c;
    vm_error err;
    vm_error_clear(&err);
    e->why = "a step failed on /proc/PID/maps";
    if (vm_linux_read_maps(c->pid, &c->maps, &err) != VM_EXIT_OK)
        return false;
    vm_timing_mark("read maps");
    c->vmflags_guessed = true; /* maps has none: every vmflags is 0 */
    c->used_guess = false;
    if (run_steps(c, e->mem, &err) != VM_EXIT_OK)
        return false;
    if (c->used_guess) {
        e->why = "a step needed smaps' VmFlags (stack-shape fallback)";
        return false;
    }
    if (!lx_part_ranges_build(c->snap, c->page_size, &e->parts)) {
        e->why = "out of memory";
        return false;
    }
    return true;
}

static bool same_header(const vm_linux_mapping *a, const vm_linux_mapping *b)
{
    return a->start == b->start && a->end == b->end && a->r == b->r && a->w == b->w && a->x == b->x &&
           a->shared == b->shared && a->offset == b->offset && a->dev_major == b->dev_major &&
           a->dev_minor == b->dev_minor && a->inode == b->inode && a->deleted == b->deleted &&
           (a->name && b->name ? strcmp(a->name, b->name) == 0 : a->name == b->name);
}

static void give_up(early *e, const char *why)
{
    e->ok = false;
    e->why = why;
    const vm_capture_options *opt = e->c->opt;
    if (e->nfinal && opt->on_final)
        opt->on_final(opt->on_final_ctx, e->c->snap, 0); /* start over */
    e->nfinal = 0;
}

/* Checks smaps mappings v[0, n) (the next ones, in order) against the early pass's and makes their
 * blocks from the smaps values; classifies what they complete and hands the new regions on.
 * last: these are the end of smaps. */
static void check_mappings(early *e, const vm_linux_mapping *v, size_t n, bool last)
{
    lx_capture *c = e->c;
    for (size_t k = 0; k < n && e->ok; k++, e->checked++) {
        size_t i = e->checked;
        const vm_linux_mapping *m = &v[k];
        bool mismatch = e->mode == EARLY_MISMATCH && i == c->maps.n / 2;
        if (i >= c->maps.n || mismatch || !same_header(&c->maps.v[i], m)) {
            e->moved = true;
            give_up(e, "the layout changed between the maps and smaps reads");
        } else if (!lx_add_blocks(c, e->out, i, m, &e->parts)) {
            give_up(e, "out of memory"); /* the plain pass meets it again and says so */
        }
    }
    if (!e->ok)
        return;
    if (last && e->checked < c->maps.n) {
        e->moved = true;
        give_up(e, "mappings were removed between the maps and smaps reads");
        return;
    }
    vm_error err;
    vm_error_clear(&err);
    if (e->out->classify(e->out, last, &err) != VM_EXIT_OK) {
        give_up(e, "out of memory");
        return;
    }
    const vm_snapshot *s = c->snap;
    if (s->nregions > e->nfinal && c->opt->on_final)
        c->opt->on_final(c->opt->on_final_ctx, s, s->nregions);
    e->nfinal = s->nregions;
}

/* Called by the smaps reader as it starts (the early pass, while the kernel generates the text)
 * and with the mappings as they come (checks).  It takes them: once checked they are of no more
 * use, and not keeping a second copy of every mapping saves its memory.  (So once it took some,
 * a plain pass after all needs smaps read again.) */
static bool on_smaps(void *ctx, vm_linux_maps *batch, const vm_linux_maps *so_far)
{
    (void)so_far;
    early *e = ctx;
    if (!e->tried && e->mode != EARLY_OFF) {
        e->tried = true;
        e->ok = early_pass(e);
        vm_timing_mark(e->ok ? "early pass: steps on maps" : "early pass: steps on maps (failed)");
    }
    if (!e->ok && !e->took)
        return false; /* no early pass: the plain pass takes smaps as it is */
    if (e->ok && batch->n)
        check_mappings(e, batch->v, batch->n, false);
    for (size_t k = 0; k < batch->n; k++)
        free(batch->v[k].name);
    e->took = e->took || batch->n > 0;
    return true;
}

/* Everything the early pass left behind, for the plain pass to start clean. */
static void discard_early(early *e, vm_linux_mem *mem)
{
    lx_capture *c = e->c;
    vm_snapshot_clear_captured(c->snap);
    vm_facts_free_blocks(e->out);
    vm_linux_maps_free(&c->maps);
    free(c->notes);
    c->notes = NULL;
    c->vmflags_guessed = c->used_guess = false;
    vm_linux_tasks_discard(c->tasks_ahead);
    c->tasks_ahead = NULL;
    c->split_moved = 0;
    c->pagemap.error = 0;
    c->pagemap.zero_unknown = 0;
    vm_linux_memreader_reset_counts(mem); /* its reads are not this capture's */
}

static int capture(lx_capture *c, vm_facts *out, vm_linux_mem *mem, vm_error *err)
{
    /* The early pass needs the classifier, which the pipeline hands in (facts.h).  Not for vmmap
     * itself (--self): its own threads, the smaps reader's included, would be listed among the
     * target's; the plain pass lists them once that one has ended. */
    bool self = c->pid == getpid();
    early e = {.c = c, .mem = mem, .out = out, .mode = out->classify && !self ? early_mode() : EARLY_OFF};
    vm_linux_maps smaps = {NULL, 0};
    test_pause_after_maps();
    if (e.mode != EARLY_OFF && vm_cpu_count() >= 3)
        c->tasks_ahead = vm_linux_tasks_start(c->pid); /* beside smaps, from the start */
    int rc = vm_linux_read_smaps_ex(c->pid, &smaps, on_smaps, &e, err);
    lx_reader_test_pause_at_end(0);
    vm_timing_mark("read smaps");
    if (rc == VM_EXIT_OK && e.ok)
        check_mappings(&e, NULL, 0, true);
    lx_part_ranges_free(&e.parts);
    if (rc == VM_EXIT_OK && e.ok) {
        vm_linux_maps_free(&smaps);
        out->classified = true;
        return VM_EXIT_OK;
    }
    if (e.tried || c->tasks_ahead)
        discard_early(&e, mem);
    if (rc != VM_EXIT_OK) {
        vm_linux_maps_free(&smaps);
        return rc;
    }
    if (e.mode == EARLY_EXPECT) {
        vm_linux_maps_free(&smaps);
        vm_error_set(err, VM_EXIT_ERROR, "the early pass did not stand: %s (VMMAP_TEST_EARLY_PASS=expect)",
                     e.tried ? e.why : "it did not run");
        return VM_EXIT_ERROR;
    }
    vm_timing_mark(e.why ? e.why : "early pass off");
    if (e.moved || e.took) {
        /* The layout changed under us: the process is busy.  Read smaps again, so that the heap
         * walk follows it as closely as in the plain pass (and the early pass took what it had
         * checked of the smaps in hand).  When the early pass just could not stand, e.g. a step
         * needed the VmFlags, the smaps in hand is whole and as fresh as the plain pass's would
         * be. */
        vm_linux_maps_free(&smaps);
        if ((rc = vm_linux_read_smaps(c->pid, &smaps, err)) != VM_EXIT_OK)
            return rc;
        vm_timing_mark("read smaps again");
    }
    c->maps = smaps; /* the plain pass, on smaps itself */
    if ((rc = run_steps(c, mem, err)) != VM_EXIT_OK)
        return rc;
    if (!lx_build_blocks(c, out))
        return blocks_oom(c, err);
    vm_timing_mark("blocks");
    return VM_EXIT_OK;
}

/* What the mappings cut at heap parts could not be given exactly (linux_split.c). */
static void warn_split(lx_capture *c)
{
    if (c->pagemap.error)
        vm_snapshot_warn(c->snap, "split-counters", "/proc/%d/pagemap cannot be read (%s): the counters of mappings "
                         "cut at heap parts are unknown", c->pid, strerror(c->pagemap.error));
    else if (c->split_moved)
        vm_snapshot_warn(c->snap, "split-counters", "%zu counter%s of mappings cut at heap parts changed between the "
                         "smaps and the pagemap reads (the process was running): the largest piece of each mapping "
                         "carries its whole smaps total less the other pieces', cut to its size", c->split_moved,
                         vm_plural(c->split_moved));
    if (c->pagemap.zero_unknown)
        vm_snapshot_warn(c->snap, "split-counters", "%" PRIu64 " pages of mappings cut at heap parts may map the "
                         "shared zero page (read, never written), which smaps does not count: they could not be told "
                         "from pages shared with another process (PAGEMAP_SCAN needs Linux 6.7, page frame numbers "
                         "CAP_SYS_ADMIN), so those pieces count them in their working sets, and their Pss is unknown",
                         c->pagemap.zero_unknown);
}

/* What the reads left unread so as not to bring pages in (linux_memreader.h), the capture's and
 * the later steps' (heap blocks, objects) alike. */
static void warn_not_read(const vm_linux_mem *mem, vm_snapshot *snap)
{
    if (mem->not_there_swapped || mem->not_there_unmapped)
        vm_snapshot_warn(snap, "not-read", "%" PRIu64 " reads of target memory stopped at a page the process does "
                         "not have in memory (%" PRIu64 " swapped out, %" PRIu64 " of a file, shared or special "
                         "mapping): reading it would have made the kernel bring it in, changing what vmmap measures",
                         mem->not_there_swapped + mem->not_there_unmapped, mem->not_there_swapped,
                         mem->not_there_unmapped);
    if (mem->unguarded && mem->reads)
        vm_snapshot_warn(snap, "not-read", "/proc/%d/pagemap cannot be read (%s): target memory was read without "
                         "knowing which pages are in memory, so the reads may have brought some in", mem->pid,
                         strerror(mem->guard_errno));
}

/* The memory reader outlives the capture: steps after classification read through it until
 * the pipeline releases the facts. */
static void release_memreader(vm_facts *f)
{
    vm_linux_mem *mem = f->source_ctx;
    if (mem && f->snap)
        warn_not_read(mem, f->snap);
    if (mem)
        vm_linux_memreader_close(mem);
    free(mem);
}

int vm_platform_capture(int64_t pid64, const vm_capture_options *opt, vm_facts *out, vm_error *err)
{
    static const vm_capture_options defaults = {0};
    if (pid64 <= 0 || pid64 > 0x7fffffff) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %" PRId64, pid64);
        return VM_EXIT_NOT_FOUND;
    }
    vm_linux_mem *mem = malloc(sizeof *mem);
    if (!mem) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    lx_capture c;
    memset(&c, 0, sizeof c);
    c.pid = (int)pid64;
    c.opt = opt ? opt : &defaults;
    long ps = sysconf(_SC_PAGESIZE);
    c.page_size = ps > 0 ? (uint64_t)ps : 4096;
    c.snap = out->snap;

    c.own_vdso_same_abi = vm_linux_own_vdso(&c.own_vdso, &c.own_vdso_size) && vm_linux_same_abi(c.pid);
    c.mem = vm_linux_memreader_open(mem, c.pid);
    out->mem = c.mem;
    out->source_ctx = mem;
    out->release = release_memreader;
    vm_linux_pagemap_init(&c.pagemap, c.pid);
    int rc = capture(&c, out, mem, err);
    if (rc == VM_EXIT_OK && mem->failed_reads)
        vm_snapshot_warn(c.snap, "read-failed", "%" PRIu64 " of %" PRIu64 " reads of target memory failed (last: %s)",
                         mem->failed_reads, mem->reads, strerror(mem->last_errno));
    if (rc == VM_EXIT_OK)
        warn_split(&c);
    vm_linux_pagemap_close(&c.pagemap);
    vm_linux_maps_free(&c.maps);
    free(c.notes);
    return rc;
}
