/* The live Linux source: vm_platform_* for Linux.  Reads the maps once, then lets each step
 * (images, heaps, stacks) annotate the mappings, then turns them into raw blocks. */
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

/* Test hook: lets a test kill the target between reading the maps and the rest of the scan, so
 * "the process exited during the scan" is exercised deterministically (tests/integration). */
static void test_pause_after_maps(void)
{
    const char *ms = getenv("VMMAP_TEST_PAUSE_AFTER_MAPS");
    if (!ms || !*ms)
        return;
    long v = strtol(ms, NULL, 10);
    if (v <= 0 || v > 60000)
        return;
    struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
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

/* While smaps is read: the first bytes of each mapping the heap walk will probe for mmapped
 * chunks, read ahead in batches (vm_linux_mem_prefetch). */
typedef struct prefetcher {
    vm_linux_mem *mem;
    size_t seen;          /* mappings looked at so far */
    uint64_t *pending;
    size_t npending;
} prefetcher;

#define PREFETCH_BATCH 1024

static void prefetch_flush(prefetcher *pf)
{
    vm_linux_mem_prefetch(pf->mem, pf->pending, pf->npending);
    pf->npending = 0;
}

static void prefetch_new_mappings(void *ctx, const vm_linux_maps *so_far)
{
    prefetcher *pf = ctx;
    for (; pf->seen < so_far->n; pf->seen++) {
        const vm_linux_mapping *m = &so_far->v[pf->seen];
        /* What the heap walk probes (glibc_heap.c is_anon_rw), minus what only it knows. */
        if (!lx_is_anon_private(m) || !m->r || !m->w || m->start >= m->end)
            continue;
        pf->pending[pf->npending++] = m->start;
        if (pf->npending == PREFETCH_BATCH)
            prefetch_flush(pf);
    }
}

static int capture(lx_capture *c, vm_facts *out, vm_error *err)
{
    int pid = c->pid;
    uint64_t pending[PREFETCH_BATCH];
    prefetcher pf = {c->live_mem, 0, pending, 0};
    int rc = c->live_mem && !c->opt->skip_heaps
                 ? vm_linux_read_smaps_ex(pid, &c->maps, prefetch_new_mappings, &pf, err)
                 : vm_linux_read_smaps(pid, &c->maps, err);
    if (rc != VM_EXIT_OK)
        return rc;
    vm_timing_mark("read smaps");
    test_pause_after_maps();

    rc = vm_linux_process_info(pid, &c->snap->process, err);
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

int vm_platform_capture(int64_t pid64, const vm_capture_options *opt, vm_facts *out, vm_error *err)
{
    static const vm_capture_options defaults = {0};
    if (pid64 <= 0 || pid64 > 0x7fffffff) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %" PRId64, pid64);
        return VM_EXIT_NOT_FOUND;
    }
    lx_capture c;
    memset(&c, 0, sizeof c);
    c.pid = (int)pid64;
    c.opt = opt ? opt : &defaults;
    long ps = sysconf(_SC_PAGESIZE);
    c.page_size = ps > 0 ? (uint64_t)ps : 4096;
    c.snap = out->snap;

    vm_linux_mem mem;
    c.mem = vm_linux_memreader_open(&mem, c.pid);
    c.live_mem = &mem;
    int rc = capture(&c, out, err);
    if (rc == VM_EXIT_OK && mem.failed_reads)
        vm_snapshot_warn(c.snap, "read-failed", "%" PRIu64 " of %" PRIu64 " reads of target memory failed (last: %s)",
                         mem.failed_reads, mem.reads, strerror(mem.last_errno));
    vm_linux_memreader_close(&mem);
    vm_linux_maps_free(&c.maps);
    free(c.notes);
    return rc;
}
