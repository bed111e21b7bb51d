/* The live Linux source: vm_platform_* for Linux.  Reads the mappings, lets each step (images,
 * heaps, stacks) annotate them, then turns them into raw blocks.
 *
 * /proc/PID/smaps is where every column comes from, and generating it is most of the capture's
 * time (the kernel walks every page table and formats two dozen lines per mapping).  So the
 * capture does not wait for it.  smaps is read on a thread of its own (proc_reader.h); meanwhile
 * the much cheaper /proc/PID/maps is read and every step runs on it, the classifier included,
 * with what only smaps has left out: counters unknown, VmFlags guessed as none.  As smaps comes
 * in, each mapping is checked against the one the steps saw and its counters are put into the
 * block already classified; the regions that are complete go to opt->on_final, so the snapshot
 * writer prints them while the kernel is still at work.
 *
 * The early pass stands when the layout did not change between the two reads and no step needed
 * the VmFlags: only an inaccessible mapping's state (its 'ac': committed or reserved) and the
 * stack-shape fallback use them.  Otherwise everything it did is thrown away and the steps run
 * again on smaps itself, the plain way: slower, never different. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../../util/timings.h"
#include "../../util/xalloc.h"
#include "linux_capture.h"
#include "proc_reader.h"
#include "linux_memreader.h"

long lx_find_mapping(const lx_capture *c, uint64_t addr)
{
    size_t lo = 0, hi = c->maps.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->maps.v[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->maps.n && c->maps.v[lo].start <= addr && addr < c->maps.v[lo].end)
        return (long)lo;
    return -1;
}

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

/* The steps, on c->maps: process facts, tasks, images, heaps, stacks, raw blocks. */
static int run_steps(lx_capture *c, vm_facts *out, vm_error *err)
{
    int pid = c->pid;
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

    vm_linux_task *tasks = NULL;
    size_t ntasks = 0;
    rc = vm_linux_list_tasks(pid, &tasks, &ntasks, c->snap, err);
    if (rc != VM_EXIT_OK)
        return rc == VM_EXIT_TARGET_GONE || !vm_linux_process_alive(pid) ? gone(pid, err) : rc;

    vm_timing_mark("process info, tasks");
    lx_find_images(c);
    vm_timing_mark("images");
    lx_find_heaps(c);
    vm_timing_mark("heaps");
    lx_find_stacks(c, tasks, ntasks);
    free(tasks);
    vm_timing_mark("stacks");

    if (!vm_linux_process_alive(pid))
        return gone(pid, err);
    if (!lx_build_blocks(c, out)) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory building %zu blocks", c->maps.n);
        return VM_EXIT_ERROR;
    }
    vm_timing_mark("blocks");
    return VM_EXIT_OK;
}

/* ---- the early pass ------------------------------------------------------------------------ */

/* Test hook: VMMAP_TEST_EARLY_PASS=off skips the early pass; =mismatch makes the check fail
 * halfway through smaps, after regions were handed out, as a layout change between the two
 * reads would.  Both must give the same snapshot as the early pass (tests/integration). */
enum { EARLY_ON, EARLY_OFF, EARLY_MISMATCH };

static int early_mode(void)
{
    const char *v = getenv("VMMAP_TEST_EARLY_PASS");
    if (v && strcmp(v, "off") == 0)
        return EARLY_OFF;
    if (v && strcmp(v, "mismatch") == 0)
        return EARLY_MISMATCH;
    return EARLY_ON;
}

typedef struct early {
    lx_capture *c;
    vm_facts *out;
    int mode;            /* early_mode() */
    bool tried;          /* it ran (on the first chunk of smaps) */
    bool ok;             /* it succeeded, and every mapping checked so far matched */
    bool moved;          /* a smaps mapping differed from the early pass's: the process is busy */
    vm_block **blocks;   /* the classified snapshot's blocks, free gaps left out, in order */
    size_t *first;       /* per mapping of c->maps: index of its first block in blocks; [n]: the end */
    size_t checked;      /* smaps mappings checked and put in */
    size_t nfinal;       /* regions handed to on_final */
} early;

/* Each mapping's blocks, in order: one, or the pieces it was cut into at heap parts
 * (linux_split.c), which cover it exactly.  False when the blocks do not match the mappings. */
static bool index_blocks(early *e)
{
    const lx_capture *c = e->c;
    vm_snapshot *s = c->snap;
    size_t nblocks = 0;
    for (size_t r = 0; r < s->nregions; r++)
        nblocks += s->regions[r].nblocks;
    e->blocks = calloc(nblocks ? nblocks : 1, sizeof *e->blocks);
    e->first = calloc(c->maps.n + 1, sizeof *e->first);
    if (!e->blocks || !e->first)
        return false;
    size_t n = 0, j = 0;
    uint64_t covered = 0; /* bytes of mapping j covered so far */
    for (size_t r = 0; r < s->nregions; r++)
        for (size_t b = 0; b < s->regions[r].nblocks; b++) {
            vm_block *blk = &s->regions[r].blocks[b];
            if (blk->state == VM_STATE_FREE)
                continue; /* a gap the classifier made */
            if (j >= c->maps.n || blk->address != c->maps.v[j].start + covered ||
                blk->size > c->maps.v[j].end - blk->address)
                return false;
            if (covered == 0)
                e->first[j] = n;
            e->blocks[n++] = blk;
            covered += blk->size;
            if (blk->address + blk->size == c->maps.v[j].end) {
                j++;
                covered = 0;
            }
        }
    e->first[c->maps.n] = n;
    return j == c->maps.n && covered == 0;
}

/* Mapping i's counters into its blocks: the smaps values, or each piece's share of them. */
static bool put_counters(early *e, size_t i, const vm_linux_mapping *m)
{
    size_t from = e->first[i], n = e->first[i + 1] - from;
    if (n == 1) {
        lx_block_counters(m, &e->blocks[from]->counters);
        return true;
    }
    uint64_t *starts = malloc(n * sizeof *starts);
    vm_counters *k = malloc(n * sizeof *k);
    bool ok = starts && k;
    if (ok) {
        for (size_t j = 0; j < n; j++)
            starts[j] = e->blocks[from + j]->address;
        lx_piece_counters(e->c, m, starts, n, k);
        for (size_t j = 0; j < n; j++)
            e->blocks[from + j]->counters = k[j];
    }
    free(starts);
    free(k);
    return ok;
}

/* /proc/PID/maps, then every step and the classifier on it.  Any failure (errors included: the
 * plain pass meets them again and reports them) just means there is no early pass. */
static bool early_pass(early *e)
{
    lx_capture *c = e->c;
    vm_error err;
    vm_error_clear(&err);
    if (vm_linux_read_maps(c->pid, &c->maps, &err) != VM_EXIT_OK)
        return false;
    vm_timing_mark("read maps");
    c->vmflags_guessed = true; /* maps has none: every vmflags is 0 */
    c->used_guess = false;
    if (run_steps(c, e->out, &err) != VM_EXIT_OK || c->used_guess)
        return false;
    if (e->out->classify(e->out, &err) != VM_EXIT_OK)
        return false;
    vm_facts_free_blocks(e->out);
    vm_timing_mark("classify (early)");
    return index_blocks(e);
}

static bool same_header(const vm_linux_mapping *a, const vm_linux_mapping *b)
{
    return a->start == b->start && a->end == b->end && a->r == b->r && a->w == b->w && a->x == b->x &&
           a->shared == b->shared && a->offset == b->offset && a->dev_major == b->dev_major &&
           a->dev_minor == b->dev_minor && a->inode == b->inode && a->deleted == b->deleted &&
           (a->name && b->name ? strcmp(a->name, b->name) == 0 : a->name == b->name);
}

static void give_up(early *e)
{
    e->ok = false;
    const vm_capture_options *opt = e->c->opt;
    if (e->nfinal && opt->on_final)
        opt->on_final(opt->on_final_ctx, e->c->snap, 0); /* start over */
    e->nfinal = 0;
}

/* Checks smaps mappings [e->checked, upto) against the early pass's and puts their counters in;
 * hands on the regions that are now complete. */
static void check_upto(early *e, const vm_linux_maps *smaps, size_t upto)
{
    lx_capture *c = e->c;
    for (; e->checked < upto; e->checked++) {
        size_t i = e->checked;
        const vm_linux_mapping *m = &smaps->v[i];
        vm_block *b = i < c->maps.n ? e->blocks[e->first[i]] : NULL;
        if (e->mode == EARLY_MISMATCH && i == c->maps.n / 2)
            b = NULL;
        /* The state was derived from guessed VmFlags: it must be what the real ones give (the
         * pieces of a mapping share its state). */
        if (!b || !same_header(&c->maps.v[i], m) || lx_block_state(m) != b->state) {
            e->moved = true;
            give_up(e);
            return;
        }
        if (!put_counters(e, i, m)) {
            give_up(e); /* out of memory: the plain pass meets it again and says so */
            return;
        }
    }
    /* Complete: every region that ends before the first mapping not yet checked. */
    const vm_snapshot *s = c->snap;
    bool all = e->checked >= c->maps.n;
    uint64_t bound = all ? 0 : c->maps.v[e->checked].start;
    size_t n = e->nfinal;
    /* end - 1 < bound, as the last region may end at 2^64 */
    while (n < s->nregions && (all || s->regions[n].address + (s->regions[n].size - 1) < bound))
        n++;
    if (n > e->nfinal && c->opt->on_final)
        c->opt->on_final(c->opt->on_final_ctx, s, n);
    e->nfinal = n;
}

/* Called by the smaps reader after each chunk: the early pass on the first, then checks. */
static void on_smaps_chunk(void *ctx, const vm_linux_maps *so_far)
{
    early *e = ctx;
    if (!e->tried && e->mode != EARLY_OFF) {
        e->tried = true;
        e->ok = early_pass(e);
    }
    if (e->ok && so_far->n > 1)
        check_upto(e, so_far, so_far->n - 1); /* the last one's fields may still be coming */
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
    c->split_moved = 0;
    c->pagemap.error = 0;
    mem->reads = mem->failed_reads = mem->bytes = 0; /* its reads are not this capture's */
    mem->last_errno = 0;
}

static int capture(lx_capture *c, vm_facts *out, vm_linux_mem *mem, vm_error *err)
{
    /* The early pass needs the classifier, which the pipeline hands in (facts.h). */
    early e = {.c = c, .out = out, .mode = out->classify ? early_mode() : EARLY_OFF};
    vm_linux_maps smaps = {NULL, 0};
    test_pause_after_maps();
    int rc = vm_linux_read_smaps_ex(c->pid, &smaps, on_smaps_chunk, &e, err);
    lx_reader_test_pause_at_end(0);
    vm_timing_mark("read smaps");
    if (rc == VM_EXIT_OK && e.ok) {
        check_upto(&e, &smaps, smaps.n);
        if (e.ok && smaps.n == c->maps.n) {
            vm_linux_maps_free(&smaps);
            free(e.blocks);
            free(e.first);
            out->classified = true;
            return VM_EXIT_OK;
        }
        e.moved = true; /* mappings added at the end */
        give_up(&e);
    }
    free(e.blocks);
    free(e.first);
    if (e.tried)
        discard_early(&e, mem);
    if (rc != VM_EXIT_OK) {
        vm_linux_maps_free(&smaps);
        return rc;
    }
    if (e.moved) {
        /* The layout changed under us: the process is busy.  Read smaps again, so that the heap
         * walk follows it as closely as in the plain pass.  (When the early pass just could not
         * stand, e.g. a step needed the VmFlags, the smaps in hand is as fresh as the plain
         * pass's would be.) */
        vm_linux_maps_free(&smaps);
        if ((rc = vm_linux_read_smaps(c->pid, &smaps, err)) != VM_EXIT_OK)
            return rc;
        vm_timing_mark("read smaps again");
    }
    c->maps = smaps; /* the plain pass, on smaps itself */
    return run_steps(c, out, err);
}

/* What the mappings cut at heap parts could not be given exactly (linux_split.c). */
static void warn_split(lx_capture *c)
{
    if (c->pagemap.error)
        vm_snapshot_warn(c->snap, "split-counters", "/proc/%d/pagemap cannot be read (%s): the counters of mappings "
                         "cut at heap parts are unknown", c->pid, strerror(c->pagemap.error));
    else if (c->split_moved)
        vm_snapshot_warn(c->snap, "split-counters", "%zu counters of mappings cut at heap parts changed between the "
                         "smaps and the pagemap reads (the process was running): the largest piece of each mapping "
                         "carries its whole smaps total less the other pieces', cut to its size", c->split_moved);
}

/* The memory reader outlives the capture: steps after classification read through it until
 * the pipeline releases the facts. */
static void release_memreader(vm_facts *f)
{
    vm_linux_mem *mem = f->source_ctx;
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
