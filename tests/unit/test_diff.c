/* vm_diff on constructed snapshot pairs: every kind of change, empty / identical / reordered
 * snapshots, different processes, unknown counters, hostile sizes, sorting and every filter;
 * then the writers (text, JSON read back with cJSON, CSV, xlsx read back by
 * tests/report/check_diff_xlsx.py). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "report/diff_report.h"
#include "vmmap/model/diff.h"
#include "vmmap/util/xalloc.h"

#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define RX (VM_PROT_READ | VM_PROT_EXEC)
#define K 1024ull
#define M (1024ull * 1024)

/* ---- builders --------------------------------------------------------------------------------- */

static vm_snapshot *snap(int64_t pid, const char *exe)
{
    vm_snapshot *s = vm_snapshot_new();
    assert_non_null(s);
    s->process.pid = pid;
    s->process.exe = vm_strdup(exe);
    s->process.name = vm_strdup("app");
    s->process.bits = 64;
    s->taken_at = vm_strdup("2026-01-01T00:00:00Z");
    s->source = vm_strdup("live-linux");
    s->page_table_known = true;
    s->page_table_bytes = 64 * K;
    return s;
}

static vm_block *add_block(vm_region *r, uint64_t addr, uint64_t size, vm_state st, uint32_t prot,
                           uint64_t committed)
{
    vm_block *b = vm_region_add_block(r);
    assert_non_null(b);
    b->address = addr;
    b->size = size;
    b->state = st;
    b->protection = prot;
    b->kind = r->kind;
    b->memtype = VM_MEMTYPE_PRIVATE;
    b->counters.known = VM_COUNTERS_ALL_KNOWN;
    b->counters.v[VM_C_COMMITTED] = committed;
    b->counters.v[VM_C_PRIVATE] = committed;
    b->counters.v[VM_C_TOTAL_WS] = committed / 2;
    return b;
}

/* One allocation with one committed block (all of it committed unless committed says less: then
 * a second, reserved block holds the rest). */
static vm_region *region(vm_snapshot *s, uint64_t addr, uint64_t size, vm_kind k, const char *path,
                         uint32_t prot, uint64_t committed)
{
    vm_region *r = vm_snapshot_add_region(s);
    assert_non_null(r);
    r->address = addr;
    r->size = size;
    r->kind = k;
    vm_block *b = add_block(r, addr, committed, VM_STATE_COMMIT, prot, committed);
    b->path = vm_strdup(path);
    if (committed < size)
        add_block(r, addr + committed, size - committed, VM_STATE_RESERVE, 0, 0);
    return r;
}

static void heap(vm_snapshot *s, const char *kind, uint64_t addr, const uint64_t (*parts)[3], size_t n)
{
    vm_heap *h = vm_snapshot_add_heap(s);
    assert_non_null(h);
    h->id = (int32_t)s->nheaps;
    h->address = addr;
    h->kind = vm_strdup(kind);
    for (size_t i = 0; i < n; i++) {
        vm_heap_part *p = vm_heap_add_part(h);
        assert_non_null(p);
        p->address = parts[i][0];
        p->size = parts[i][1];
        p->committed = parts[i][2];
        p->what = vm_strdup(parts[i][1] >= M ? "segment" : "large block");
    }
}

static void thread(vm_snapshot *s, uint64_t tid, uint64_t base, uint64_t size)
{
    vm_thread *t = vm_snapshot_add_thread(s);
    assert_non_null(t);
    t->tid = tid;
    t->stack_base = base;
    t->stack_limit = base - size / 2;
    t->reserve_base = base - size;
}

static void module(vm_snapshot *s, const char *path, uint64_t base, uint64_t size)
{
    vm_module *m = vm_snapshot_add_module(s);
    assert_non_null(m);
    m->path = vm_strdup(path);
    m->base = base;
    m->size = size;
}

static const uint64_t arena_parts[][3] = {{0x20000, 1 * M, 512 * K}, {0x7f5000000000, 256 * K, 256 * K}};

/* The "before" process.  With changed set, the "after" one: every kind of change at once. */
static vm_snapshot *process(bool changed)
{
    vm_snapshot *s = snap(42, "/usr/bin/app");
    region(s, 0x10000, changed ? 128 * K : 64 * K, VM_KIND_PRIVATE_DATA, NULL, RW,
           changed ? 128 * K : 64 * K);                                              /* grown */
    region(s, 0x20000, 1 * M, VM_KIND_HEAP, "[heap]", changed ? VM_PROT_READ : RW, 512 * K); /* prot */
    region(s, 0x60000, 64 * K, changed ? VM_KIND_HEAP : VM_KIND_PRIVATE_DATA, NULL, RW, 64 * K); /* type */
    region(s, 0x400000, 128 * K, VM_KIND_IMAGE, "/usr/bin/app", RX, 128 * K);
    region(s, changed ? 0x7f2000000000 : 0x7f0000000000, 256 * K, VM_KIND_IMAGE, "/lib/libc.so", RX,
           256 * K);                                                                 /* moved only */
    region(s, changed ? 0x7f2100000000 : 0x7f0100000000, 64 * K, VM_KIND_IMAGE, "/lib/libm.so", RX,
           changed ? 64 * K : 32 * K);                                               /* moved+grown */
    region(s, 0x30000000, 8 * M, VM_KIND_STACK, NULL, RW, changed ? 32 * K : 64 * K); /* shrunk */
    region(s, 0x7ff000000000, 4 * M, VM_KIND_FREE, NULL, 0, 0);
    if (!changed)
        region(s, 0x7f1000000000, 32 * K, VM_KIND_MAPPED_FILE, "/data/x.dat", VM_PROT_READ, 32 * K);
    if (changed) {
        region(s, 0x90000000, 1 * M, VM_KIND_PRIVATE_DATA, NULL, RW, 1 * M);           /* added */
        region(s, 0x7f3000000000, 16 * K, VM_KIND_IMAGE, "/lib/libnew.so", RX, 16 * K);
    }
    /* The main arena moved (libc moved) and grew a segment; a large block was freed. */
    static const uint64_t grown_parts[][3] = {{0x20000, 1 * M, 512 * K}, {0x7f6000000000, 2 * M, 1 * M}};
    heap(s, "glibc main arena", changed ? 0x7f2000001000 : 0x7f0000001000, changed ? grown_parts : arena_parts, 2);
    heap(s, "glibc mmap chunks", 0x0, NULL, 0);
    thread(s, 100, 0x30800000, 8 * M);
    thread(s, changed ? 102 : 101, 0x40800000, 8 * M);
    module(s, "/usr/bin/app", 0x400000, 128 * K);
    module(s, changed ? "/lib/libnew.so" : "/lib/old.so", 0x7f3000000000, 16 * K);
    return s;
}

static vm_diff *diff_of(vm_snapshot *a, vm_snapshot *b)
{
    vm_diff *d = vm_diff_compute(a, b);
    assert_non_null(d);
    vm_snapshot_free(a);
    if (b != a)
        vm_snapshot_free(b);
    return d;
}

static const vm_diff_region *find_region(const vm_diff *d, uint64_t addr)
{
    for (size_t i = 0; i < d->nregions; i++) {
        const vm_diff_region *r = &d->regions[i];
        if ((r->after.present && r->after.address == addr) || (!r->after.present && r->before.address == addr))
            return r;
    }
    return NULL;
}

/* ---- no change -------------------------------------------------------------------------------- */

static void assert_all_zero(const vm_diff *d)
{
    for (int k = 0; k < VM_KIND_COUNT; k++)
        for (int c = 0; c < VM_DCOL_COUNT; c++)
            assert_int_equal(d->kind[k].col[c].delta, 0);
}

static void test_identical(void **state)
{
    (void)state;
    vm_diff *d = diff_of(process(false), process(false));
    assert_true(vm_diff_is_empty(d));
    assert_false(d->different_process);
    assert_null(d->warning);
    assert_all_zero(d);
    assert_true(d->total.col[VM_DCOL_COUNTER0 + VM_C_COMMITTED].known);
    vm_diff_free(d);
    vm_snapshot *s = process(true);
    d = vm_diff_compute(s, s);
    assert_true(vm_diff_is_empty(d));
    vm_diff_free(d);
    vm_snapshot_free(s);
}

static void reverse(void *arr, size_t n, size_t elem)
{
    char tmp[512];
    assert_true(elem <= sizeof tmp);
    for (size_t i = 0; i < n / 2; i++) {
        char *a = (char *)arr + i * elem, *b = (char *)arr + (n - 1 - i) * elem;
        memcpy(tmp, a, elem);
        memcpy(a, b, elem);
        memcpy(b, tmp, elem);
    }
}

static void test_reordered(void **state)
{
    (void)state;
    vm_snapshot *b = process(false);
    reverse(b->regions, b->nregions, sizeof *b->regions);
    reverse(b->regions[1].blocks, b->regions[1].nblocks, sizeof *b->regions[1].blocks);
    reverse(b->heaps, b->nheaps, sizeof *b->heaps);
    reverse(b->heaps[0].parts, b->heaps[0].nparts, sizeof *b->heaps[0].parts);
    reverse(b->threads, b->nthreads, sizeof *b->threads);
    reverse(b->modules, b->nmodules, sizeof *b->modules);
    vm_diff *d = diff_of(process(false), b);
    assert_true(vm_diff_is_empty(d));
    assert_all_zero(d);
    vm_diff_free(d);
}

static void test_empty(void **state)
{
    (void)state;
    vm_diff *d = diff_of(snap(1, "/a"), snap(1, "/a"));
    assert_true(vm_diff_is_empty(d));
    vm_diff_free(d);

    d = diff_of(snap(42, "/usr/bin/app"), process(false));
    assert_int_equal(d->nregions, 8); /* every allocation but the free gap */
    for (size_t i = 0; i < d->nregions; i++)
        assert_int_equal(d->regions[i].what, VM_DIFF_ADDED);
    assert_int_equal(d->nthreads, 2);
    assert_int_equal(d->nmodules, 2);
    assert_int_equal(d->nheaps, 2); /* both heaps appeared, the empty mmap-chunks one too */
    vm_diff_free(d);

    d = diff_of(process(false), snap(42, "/usr/bin/app"));
    for (size_t i = 0; i < d->nregions; i++)
        assert_int_equal(d->regions[i].what, VM_DIFF_REMOVED);
    assert_int_equal(d->threads[0].what, VM_DIFF_REMOVED);
    vm_diff_free(d);
}

/* ---- every kind of change --------------------------------------------------------------------- */

static void test_every_change(void **state)
{
    (void)state;
    vm_diff *d = diff_of(process(false), process(true));
    const vm_diff_region *r = find_region(d, 0x90000000);
    assert_non_null(r);
    assert_int_equal(r->what, VM_DIFF_ADDED);
    assert_int_equal(r->committed_delta, (int64_t)M);

    r = find_region(d, 0x7f1000000000);
    assert_non_null(r);
    assert_int_equal(r->what, VM_DIFF_REMOVED);
    assert_string_equal(r->path, "/data/x.dat");
    assert_int_equal(r->committed_delta, -(int64_t)(32 * K));

    r = find_region(d, 0x10000);
    assert_int_equal(r->what, VM_DIFF_GROWN);
    assert_true(r->flags & VM_DIFF_F_SIZE);
    assert_int_equal(r->size_delta, (int64_t)(64 * K));

    r = find_region(d, 0x30000000);
    assert_int_equal(r->what, VM_DIFF_SHRUNK);
    assert_false(r->flags & VM_DIFF_F_SIZE);
    assert_int_equal(r->committed_delta, -(int64_t)(32 * K));

    r = find_region(d, 0x20000);
    assert_int_equal(r->what, VM_DIFF_PROTECTION);
    assert_int_equal(r->before.protection, RW);
    assert_int_equal(r->after.protection, VM_PROT_READ);
    assert_non_null(strstr(r->details, "Read/Write -> Read"));

    r = find_region(d, 0x60000);
    assert_int_equal(r->what, VM_DIFF_TYPE);
    assert_int_equal(r->before.kind, VM_KIND_PRIVATE_DATA);
    assert_int_equal(r->after.kind, VM_KIND_HEAP);

    /* libc moved between runs and nothing else: matched by path, not a change. */
    assert_null(find_region(d, 0x7f2000000000));
    assert_null(find_region(d, 0x7f0000000000));
    /* libm moved and grew: matched by path, reported once as grown and moved. */
    r = find_region(d, 0x7f2100000000);
    assert_non_null(r);
    assert_int_equal(r->what, VM_DIFF_GROWN);
    assert_true(r->flags & VM_DIFF_F_MOVED);
    assert_int_equal(r->before.address, 0x7f0100000000);
    assert_null(find_region(d, 0x7f0100000000));
    assert_int_equal(d->nregions, 8); /* the 7 above + libnew.so added */

    /* Heap: the main arena matched by kind although it moved; a segment added, a block freed. */
    assert_int_equal(d->nheaps, 1);
    const vm_diff_heap *h = &d->heaps[0];
    assert_string_equal(h->kind, "glibc main arena");
    assert_int_equal(h->what, VM_DIFF_GROWN);
    assert_int_equal(h->committed_delta, (int64_t)(1 * M - 256 * K));
    assert_int_equal(h->nparts_added, 1);
    assert_int_equal(h->parts_added[0].address, 0x7f6000000000);
    assert_int_equal(h->nparts_freed, 1);
    assert_int_equal(h->parts_freed[0].address, 0x7f5000000000);
    assert_string_equal(h->parts_freed[0].what, "large block");

    assert_int_equal(d->nthreads, 2);
    assert_int_equal(d->threads[0].what, VM_DIFF_ADDED);
    assert_int_equal(d->threads[0].tid, 102);
    assert_int_equal(d->threads[0].stack_reserved, 8 * M);
    assert_int_equal(d->threads[0].stack_committed, 4 * M);
    assert_int_equal(d->threads[1].what, VM_DIFF_REMOVED);
    assert_int_equal(d->threads[1].tid, 101);
    assert_string_equal(vm_diff_thread_change_name(d->threads[0].what), "started");

    assert_int_equal(d->nmodules, 2);
    assert_string_equal(d->modules[0].path, "/lib/libnew.so");
    assert_string_equal(vm_diff_module_change_name(d->modules[0].what), "loaded");
    assert_string_equal(d->modules[1].path, "/lib/old.so");

    /* Per type: Private Data grew by 64 K + 1 M and lost the 64 K that became Heap. */
    const vm_diff_value *pd = &d->kind[VM_KIND_PRIVATE_DATA].col[VM_DCOL_COUNTER0 + VM_C_COMMITTED];
    assert_true(pd->known);
    assert_int_equal(pd->delta, (int64_t)(64 * K + 1 * M - 64 * K));
    assert_int_equal(d->kind[VM_KIND_MAPPED_FILE].col[VM_DCOL_BLOCKS].delta, -1);
    assert_int_equal(d->kind[VM_KIND_PAGE_TABLE].col[VM_DCOL_SIZE].delta, 0);
    vm_diff_free(d);
}

/* Biggest |committed change| first. */
/* Regions that grow or shrink at one end: an mmap area growing down (the kernel merges each new
 * mapping into the one above it, so the start moves and the end stays), the same area giving
 * memory back at its low end, and the brk heap growing at its top.  Each is one grown / shrunk
 * change, not a region added and another removed. */
static void test_one_end(void **state)
{
    (void)state;
    vm_snapshot *a = snap(100, "/usr/bin/app"), *b = snap(100, "/usr/bin/app");
    region(a, 0x555555559000, 132 * K, VM_KIND_HEAP, "[heap]", RW, 132 * K);
    region(b, 0x555555559000, 264 * K, VM_KIND_HEAP, "[heap]", RW, 264 * K);
    region(a, 0x7f0000100000, 1 * M, VM_KIND_PRIVATE_DATA, NULL, RW, 1 * M);
    region(b, 0x7f0000000000, 2 * M, VM_KIND_PRIVATE_DATA, NULL, RW, 2 * M);
    region(a, 0x7f1000000000, 2 * M, VM_KIND_PRIVATE_DATA, NULL, RW, 2 * M);
    region(b, 0x7f1000100000, 1 * M, VM_KIND_PRIVATE_DATA, NULL, RW, 1 * M);
    vm_diff *d = diff_of(a, b);
    assert_int_equal(d->nregions, 3);

    const vm_diff_region *r = find_region(d, 0x7f0000000000);
    assert_non_null(r);
    assert_int_equal(r->what, VM_DIFF_GROWN);
    assert_int_equal(r->before.address, 0x7f0000100000);
    assert_int_equal(r->size_delta, (int64_t)M);
    assert_int_equal(r->committed_delta, (int64_t)M);
    assert_true(r->flags & VM_DIFF_F_START);
    assert_false(r->flags & VM_DIFF_F_MOVED);
    assert_non_null(strstr(r->details, "start 0x7f0000100000 -> 0x7f0000000000, the end stayed"));

    r = find_region(d, 0x7f1000100000);
    assert_non_null(r);
    assert_int_equal(r->what, VM_DIFF_SHRUNK);
    assert_int_equal(r->before.address, 0x7f1000000000);
    assert_int_equal(r->size_delta, -(int64_t)M);
    assert_true(r->flags & VM_DIFF_F_START);

    r = find_region(d, 0x555555559000);
    assert_non_null(r);
    assert_int_equal(r->what, VM_DIFF_GROWN);
    assert_int_equal(r->size_delta, (int64_t)(132 * K));
    assert_false(r->flags & (VM_DIFF_F_START | VM_DIFF_F_MOVED));
    vm_diff_free(d);
}

static void test_sorted(void **state)
{
    (void)state;
    vm_diff *d = diff_of(process(false), process(true));
    for (size_t i = 1; i < d->nregions; i++)
        assert_true(vm_diff_region_weight(&d->regions[i - 1]) >= vm_diff_region_weight(&d->regions[i]));
    assert_int_equal(d->regions[0].after.address, 0x90000000);
    vm_diff_free(d);
}

/* Two images of the same file at other addresses: paired in address order by size. */
static void test_image_occurrences(void **state)
{
    (void)state;
    vm_snapshot *a = snap(1, "/a"), *b = snap(1, "/a");
    region(a, 0x1000000, 64 * K, VM_KIND_MAPPED_FILE, "/f", VM_PROT_READ, 64 * K);
    region(a, 0x2000000, 8 * K, VM_KIND_MAPPED_FILE, "/f", VM_PROT_READ, 8 * K);
    region(b, 0x5000000, 8 * K, VM_KIND_MAPPED_FILE, "/f", VM_PROT_READ, 8 * K);
    region(b, 0x6000000, 64 * K, VM_KIND_MAPPED_FILE, "/f", VM_PROT_READ, 64 * K);
    vm_diff *d = diff_of(a, b);
    assert_true(vm_diff_is_empty(d));
    vm_diff_free(d);
}

/* ---- processes, unknowns, hostile values ------------------------------------------------------ */

static void test_different_process(void **state)
{
    (void)state;
    vm_diff *d = diff_of(snap(1, "/a"), snap(2, "/a"));
    assert_true(d->different_process);
    assert_non_null(strstr(d->warning, "different processes"));
    vm_diff_free(d);
    d = diff_of(snap(1, "/a"), snap(1, "/b"));
    assert_true(d->different_process);
    vm_diff_free(d);
}

static void test_unknown_counters(void **state)
{
    (void)state;
    vm_snapshot *a = snap(1, "/a"), *b = snap(1, "/a");
    region(a, 0x10000, 64 * K, VM_KIND_PRIVATE_DATA, NULL, RW, 64 * K);
    vm_region *r = region(b, 0x10000, 128 * K, VM_KIND_PRIVATE_DATA, NULL, RW, 128 * K);
    r->blocks[0].counters.known = 0;
    b->page_table_known = false;
    vm_diff *d = diff_of(a, b);
    const vm_diff_row *pd = &d->kind[VM_KIND_PRIVATE_DATA];
    assert_false(pd->col[VM_DCOL_COUNTER0 + VM_C_COMMITTED].known);
    assert_int_equal(pd->col[VM_DCOL_COUNTER0 + VM_C_COMMITTED].delta, 0);
    assert_true(pd->col[VM_DCOL_SIZE].known);
    assert_false(d->kind[VM_KIND_PAGE_TABLE].col[VM_DCOL_SIZE].known);
    assert_int_equal(d->nregions, 1);
    assert_false(d->regions[0].committed_known);
    assert_int_equal(d->regions[0].what, VM_DIFF_GROWN); /* by size */
    assert_int_equal(vm_diff_region_weight(&d->regions[0]), 64 * K);
    char buf[40];
    vm_diff_format_kb(0, false, buf, sizeof buf);
    assert_string_equal(buf, "?");
    vm_diff_free(d);
}

static void test_hostile_values(void **state)
{
    (void)state;
    assert_int_equal(vm_diff_delta(0, UINT64_MAX), INT64_MAX);
    assert_true(vm_diff_delta(UINT64_MAX, 0) == INT64_MIN);
    assert_int_equal(vm_diff_delta(5, 3), -2);
    assert_true(vm_diff_magnitude(INT64_MIN) == (uint64_t)1 << 63);
    vm_snapshot *a = snap(1, "/a"), *b = snap(1, "/a");
    region(a, UINT64_MAX - 4096, UINT64_MAX, VM_KIND_PRIVATE_DATA, NULL, RW, UINT64_MAX);
    region(a, UINT64_MAX - 4096, 0, VM_KIND_PRIVATE_DATA, NULL, RW, 0); /* duplicate base */
    vm_region *r = region(b, UINT64_MAX - 4096, 1, VM_KIND_PRIVATE_DATA, NULL, RW, 1);
    add_block(r, 0, UINT64_MAX, VM_STATE_COMMIT, RW, UINT64_MAX); /* overflowing sums, unsorted */
    vm_diff *d = diff_of(a, b);
    assert_true(d->nregions >= 1);
    for (size_t i = 0; i < d->nregions; i++)
        assert_true(d->regions[i].after.committed <= UINT64_MAX);
    char text[40];
    vm_diff_format_kb(INT64_MIN, true, text, sizeof text);
    assert_int_equal(text[0], '-');
    vm_diff_free(d);
}

/* ---- filters ---------------------------------------------------------------------------------- */

static void test_filters(void **state)
{
    (void)state;
    vm_diff *d = diff_of(process(false), process(true));
    size_t idx[32];
    assert_int_equal(vm_diff_select_regions(d, NULL, idx), d->nregions);
    vm_diff_filter f = {.top = 2};
    assert_int_equal(vm_diff_select_regions(d, &f, idx), 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(vm_diff_select_threads(d, &f, NULL), 2);

    f = (vm_diff_filter){0};
    assert_true(vm_diff_parse_kinds("heap", &f.kinds));
    size_t n = vm_diff_select_regions(d, &f, idx);
    assert_int_equal(n, 2); /* the protection change and the type change (filed under Heap too) */
    assert_int_equal(vm_diff_select_heaps(d, &f, NULL), 1);
    assert_int_equal(vm_diff_select_threads(d, &f, NULL), 0);
    assert_int_equal(vm_diff_select_modules(d, &f, NULL), 0);
    assert_false(vm_diff_kind_shown(&f, VM_KIND_STACK));

    f = (vm_diff_filter){.min_change = 64 * K};
    n = vm_diff_select_regions(d, &f, idx);
    for (size_t i = 0; i < n; i++)
        assert_true(vm_diff_region_weight(&d->regions[idx[i]]) >= 64 * K);
    assert_int_equal(n, 2); /* +1 M added, +64 K grown */

    uint32_t kinds = 0;
    assert_true(vm_diff_parse_kinds("Image,private,Mapped File", &kinds));
    assert_int_equal(kinds, (1u << VM_KIND_IMAGE) | (1u << VM_KIND_PRIVATE_DATA) | (1u << VM_KIND_MAPPED_FILE));
    assert_false(vm_diff_parse_kinds("heap,,stack", &kinds));
    assert_false(vm_diff_parse_kinds("", &kinds));
    assert_false(vm_diff_parse_kinds("bogus", &kinds));
    vm_diff_free(d);
}

/* ---- writers ----------------------------------------------------------------------------------- */

static char *capture_text(const vm_diff *d, const vm_diff_filter *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    vm_diff_text_options opt = {.color = false};
    assert_int_equal(vm_diff_text(out, d, f, &opt), 0);
    fclose(out);
    return buf;
}

static void test_text(void **state)
{
    (void)state;
    vm_diff *d = diff_of(process(false), process(true));
    char *t = capture_text(d, NULL);
    assert_non_null(strstr(t, "+1,024 K"));
    assert_non_null(strstr(t, "-32 K"));
    assert_non_null(strstr(t, "Allocations changed: 8"));
    assert_non_null(strstr(t, "64 K -> 128 K"));
    assert_non_null(strstr(t, "Private Data -> Heap"));
    assert_non_null(strstr(t, "Heaps changed: 1"));
    assert_non_null(strstr(t, "added segment"));
    assert_non_null(strstr(t, "freed large block"));
    assert_non_null(strstr(t, "started"));
    assert_non_null(strstr(t, "/lib/libnew.so"));
    assert_non_null(strstr(t, "unloaded"));
    free(t);
    vm_diff_filter f = {.top = 1};
    t = capture_text(d, &f);
    assert_non_null(strstr(t, "Allocations changed: 8 (1 shown)"));
    free(t);
    vm_diff_free(d);

    d = diff_of(process(false), process(false));
    t = capture_text(d, NULL);
    assert_non_null(strstr(t, "No allocation, heap, thread or module changed."));
    free(t);
    vm_diff_free(d);
}

static void test_json(void **state)
{
    (void)state;
    vm_diff *d = diff_of(process(false), process(true));
    char *text = vm_diff_to_json(d, NULL, 1);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "format")->valuestring, "vmmap-diff");
    assert_int_equal(cJSON_GetObjectItem(j, "version")->valueint, 1);
    cJSON *changes = cJSON_GetObjectItem(j, "changes");
    assert_int_equal(cJSON_GetArraySize(changes), 8);
    cJSON *first = cJSON_GetArrayItem(changes, 0);
    assert_string_equal(cJSON_GetObjectItem(first, "change")->valuestring, "added");
    assert_string_equal(cJSON_GetObjectItem(first, "address")->valuestring, "0x90000000");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(first, "old")));
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "new"), "committed")->valuedouble, (double)M);
    assert_int_equal(cJSON_GetObjectItem(first, "committed_delta")->valuedouble, (double)M);
    cJSON *bytype = cJSON_GetObjectItem(j, "by_type");
    assert_int_equal(cJSON_GetArraySize(bytype), VM_KIND_COUNT + 1);
    cJSON *image = cJSON_GetArrayItem(bytype, VM_KIND_IMAGE);
    assert_string_equal(cJSON_GetObjectItem(image, "type")->valuestring, "Image");
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(image, "committed"), "delta"));
    cJSON *heaps = cJSON_GetObjectItem(j, "heaps");
    cJSON *h0 = cJSON_GetArrayItem(heaps, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(h0, "parts_added")), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "threads"), 0), "change")->valuestring,
                        "started");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "different_process")));
    cJSON_Delete(j);
    free(text);

    vm_diff_filter f = {.top = 3, .kinds = 1u << VM_KIND_PRIVATE_DATA};
    text = vm_diff_to_json(d, &f, 0);
    j = cJSON_Parse(text);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "changes")), 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "by_type")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "heaps")), 0);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "totals"), "changes")->valueint, 8);
    cJSON_Delete(j);
    free(text);
    vm_diff_free(d);
}

static void test_csv(void **state)
{
    (void)state;
    vm_diff *d = diff_of(process(false), process(true));
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_true(vm_diff_csv(out, d, NULL));
    fclose(out);
    assert_non_null(strstr(buf, "\"Section\",\"Change\",\"Address\""));
    /* The report CSV's convention: K without separators, VMMap's 16-digit addresses. */
    assert_non_null(strstr(buf, "\"Old Size\",\"New Size\",\"Old Committed\",\"New Committed\",\"Committed Change\""));
    assert_non_null(strstr(buf, "\"Allocations\",\"added\",\"0000000090000000\",\"Private Data\",\"\",\"1024\""));
    assert_non_null(strstr(buf, "\"Threads\",\"started\""));
    int lines = 0;
    for (const char *p = buf; (p = strstr(p, "\r\n")); p += 2)
        lines++;
    assert_int_equal(lines, 1 + 8 + 1 + 2 + 2);
    free(buf);
    vm_diff_free(d);
}

/* The workbook, read back by tests/report/check_diff_xlsx.py against the JSON of the same diff
 * (skipped when python3 or openpyxl is missing: the checker exits 2). */
static void test_xlsx(void **state)
{
    (void)state;
    char dir[] = "/tmp/vmmap-test-diff.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char xlsx[128], json[128], shared[128], cmd[1024];
    snprintf(xlsx, sizeof xlsx, "%s/d.xlsx", dir);
    snprintf(json, sizeof json, "%s/d.json", dir);
    snprintf(shared, sizeof shared, "%s/shared.xlsx", dir);
    vm_diff *d = diff_of(process(false), process(true));
    vm_error err = {0};
    assert_int_equal(vm_diff_write(d, NULL, xlsx, VM_DIFF_OUT_XLSX, &err), 0);
    assert_int_equal(vm_diff_write(d, NULL, json, VM_DIFF_OUT_JSON, &err), 0);
    assert_int_not_equal(vm_diff_write(d, NULL, "-", VM_DIFF_OUT_XLSX, &err), 0);

    /* The shared sheet writer in a workbook of the caller's, between other sheets (libxlsxwriter
     * through report/xlsx_lib.h's table, as vmmap calls it). */
    assert_true(vm_xlsx_lib_load(&err));
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
    lxw_workbook *wb = workbook_new_opt(shared, &opt);
    assert_non_null(wb);
    worksheet_write_string(workbook_add_worksheet(wb, "Timeline"), 0, 0, "before", NULL);
    assert_true(vm_xlsx_add_changes_sheet(wb, d, NULL, NULL, &err));
    worksheet_write_string(workbook_add_worksheet(wb, "After"), 0, 0, "after", NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    snprintf(cmd, sizeof cmd, "%s tests/report/check_diff_xlsx.py %s %s %s", py, json, xlsx, shared);
    int rc = system(cmd);
    int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    vm_diff_free(d);
    if (status == 2) {
        skip();
        return;
    }
    assert_int_equal(status, 0);
}

/* Issue 11: heaps walked on both sides show their busy and free bytes changing, and a heap whose
 * busy bytes changed inside the same committed memory is listed as changed. */
static void test_heap_busy_bytes(void **state)
{
    vm_snapshot *a = process(false), *b = process(false);
    for (int side = 0; side < 2; side++) {
        vm_heap *h = &(side ? b : a)->heaps[0];
        h->stats_known = true;
        h->stats.busy_blocks = side ? 300 : 100;
        h->stats.busy_bytes = side ? 30 * K : 10 * K;
        h->stats.free_blocks = 2;
        h->stats.free_bytes = side ? 4 * K : 24 * K;
        h->stats.largest_free = 2 * K;
    }
    vm_diff *d = diff_of(a, b);
    assert_int_equal(d->nheaps, 1);
    const vm_diff_heap *h = &d->heaps[0];
    assert_int_equal(h->what, VM_DIFF_CHANGED);
    assert_true(h->walked_both);
    assert_int_equal(h->busy_delta, 20 * K);
    assert_int_equal(h->free_delta, -20 * (int64_t)K);
    assert_int_equal(h->committed_delta, 0);
    assert_int_equal(vm_diff_heap_weight(h), 20 * K);
    char *text = capture_text(d, NULL);
    assert_non_null(strstr(text, "busy +20 K (to 30 K), free -20 K (to 4 K)"));
    free(text);
    char *jt = vm_diff_to_json(d, NULL, 0);
    cJSON *j = cJSON_Parse(jt);
    free(jt);
    assert_non_null(j);
    const cJSON *jh = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "heaps"), 0);
    assert_int_equal(cJSON_GetObjectItem(jh, "busy_delta")->valuedouble, 20 * K);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(jh, "new"), "busy_bytes")->valuedouble, 30 * K);
    cJSON_Delete(j);
    vm_diff_free(d);
    /* one side not walked: no busy figures, and no change */
    a = process(false);
    b = process(false);
    b->heaps[0].stats_known = true;
    b->heaps[0].stats.busy_bytes = 30 * K;
    d = diff_of(a, b);
    assert_int_equal(d->nheaps, 0);
    vm_diff_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical),
        cmocka_unit_test(test_reordered),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_every_change),
        cmocka_unit_test(test_one_end),
        cmocka_unit_test(test_sorted),
        cmocka_unit_test(test_image_occurrences),
        cmocka_unit_test(test_heap_busy_bytes),
        cmocka_unit_test(test_different_process),
        cmocka_unit_test(test_unknown_counters),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_xlsx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
