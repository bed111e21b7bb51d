/* Classification over synthetic facts: priorities, grouping, details, gaps and the summary. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "report/json_reload.h"
#include "vmmap/classify/bounds.h"
#include "vmmap/classify/classify.h"
#include "vmmap/model/snapshot_check.h"
#include "vmmap/model/summary.h"
#include "vmmap/util/xalloc.h"

#define KB 1024ull
#define MB (1024ull * 1024)

static vm_raw_block *raw(vm_facts *f, uint64_t addr, uint64_t size, uint64_t base, vm_state st, uint32_t prot,
                         vm_memtype mt, uint32_t flags, const char *path)
{
    vm_raw_block *b = vm_facts_add_block(f);
    assert_non_null(b);
    b->address = addr;
    b->size = size;
    b->alloc_base = base;
    b->state = st;
    b->protection = prot;
    b->memtype = mt;
    b->flags = flags;
    b->path = vm_strdup(path);
    b->counters.known = VM_COUNTERS_ALL_KNOWN;
    b->counters.v[VM_C_COMMITTED] = st == VM_STATE_COMMIT ? size : 0;
    b->counters.v[VM_C_TOTAL_WS] = st == VM_STATE_COMMIT ? size / 2 : 0;
    return b;
}

static const vm_block *block_at(const vm_snapshot *s, uint64_t addr, const vm_region **region)
{
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++) {
            const vm_block *b = &s->regions[i].blocks[j];
            if (addr >= b->address && addr < b->address + b->size) {
                if (region)
                    *region = &s->regions[i];
                return b;
            }
        }
    return NULL;
}

/* A small Linux-like address space with one of everything. */
static void build_linux_like(vm_facts *f)
{
    vm_snapshot *s = f->snap = vm_snapshot_new();
    s->page_size = 4096;
    s->alloc_granularity = 4096;
    s->user_top = 0x800000000000ull;
    s->page_table_known = true;
    s->page_table_bytes = 64 * KB;

    vm_module *m = vm_snapshot_add_module(s);
    m->path = vm_strdup("/usr/lib/libfoo.so");
    m->base = 0x10000000;
    m->size = 0x5000;
    vm_section *sec = vm_module_add_section(m);
    sec->name = vm_strdup(".text");
    sec->address = 0x10001000;
    sec->size = 0x1800;
    sec = vm_module_add_section(m);
    sec->name = vm_strdup(".fini");
    sec->address = 0x10002800;
    sec->size = 0x10;
    sec = vm_module_add_section(m);
    sec->name = vm_strdup(".bss");
    sec->address = 0x10004000;
    sec->size = 0x800;

    vm_heap *h = vm_snapshot_add_heap(s);
    h->id = 0;
    h->kind = vm_strdup("glibc main arena");
    vm_heap_part *p = vm_heap_add_part(h);
    p->address = 0x20000000;
    p->size = 132 * KB;
    p->what = vm_strdup("[heap] (brk)");
    h = vm_snapshot_add_heap(s);
    h->id = 1;
    h->kind = vm_strdup("glibc arena");
    h->front_end = vm_strdup("tcache");
    h->flags = vm_strdup("growable");
    p = vm_heap_add_part(h);
    p->address = 0x7f0000000000ull;
    p->size = 64 * MB;
    p->what = vm_strdup("arena heap 1");

    vm_thread *t = vm_snapshot_add_thread(s);
    t->tid = 4242;
    t->name = vm_strdup("worker");
    t->found_by = vm_strdup("syscall stack pointer");
    t->guard_address = 0x7f1000000000ull;
    t->guard_size = 4 * KB;
    t->reserve_base = 0x7f1000000000ull;
    t->stack_limit = 0x7f1000001000ull;
    t->stack_base = 0x7f1000001000ull + 8 * MB;

    /* image: 4 mappings + .bss anon tail, one allocation */
    raw(f, 0x10000000, 0x1000, 0x10000000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_IMAGE, VM_RAW_FILE, "/usr/lib/libfoo.so");
    raw(f, 0x10001000, 0x2000, 0x10000000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_EXEC, VM_MEMTYPE_IMAGE, VM_RAW_FILE, "/usr/lib/libfoo.so");
    raw(f, 0x10003000, 0x1000, 0x10000000, VM_STATE_RESERVE, 0, VM_MEMTYPE_IMAGE, VM_RAW_FILE, "/usr/lib/libfoo.so");
    raw(f, 0x10004000, 0x1000, 0x10000000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_IMAGE, 0, NULL);
    /* brk heap */
    raw(f, 0x20000000, 132 * KB, 0x20000000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_PRIVATE, 0, "[heap]");
    /* a mapped file, shared memory, a memfd and plain private data */
    raw(f, 0x30000000, 1 * MB, 0x30000000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_MAPPED, VM_RAW_FILE | VM_RAW_SHARED, "/tmp/data.bin");
    raw(f, 0x30100000, 2 * MB, 0x30100000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_MAPPED, VM_RAW_SHARED | VM_RAW_SHMEM, "/dev/zero");
    raw(f, 0x30300000, 1 * MB, 0x30300000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_MAPPED, VM_RAW_SHARED | VM_RAW_SHMEM, "/memfd:blob");
    raw(f, 0x40000000, 1 * MB, 0x40000000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(f, 0x40100000, 63 * MB, 0x40000000, VM_STATE_RESERVE, 0, VM_MEMTYPE_PRIVATE, 0, NULL);
    /* arena heap: rw + reserved tail */
    raw(f, 0x7f0000000000ull, 132 * KB, 0x7f0000000000ull, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(f, 0x7f0000000000ull + 132 * KB, 64 * MB - 132 * KB, 0x7f0000000000ull, VM_STATE_RESERVE, 0, VM_MEMTYPE_PRIVATE, 0, NULL);
    /* thread stack: guard + rw */
    raw(f, 0x7f1000000000ull, 4 * KB, 0x7f1000000000ull, VM_STATE_RESERVE, 0, VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(f, 0x7f1000001000ull, 8 * MB, 0x7f1000000000ull, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_PRIVATE, 0, NULL);
}

static void free_facts(vm_facts *f)
{
    vm_facts_free_blocks(f);
    vm_snapshot_free(f->snap);
}

static void test_priorities_and_details(void **state)
{
    (void)state;
    vm_facts f = {0};
    build_linux_like(&f);
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    const vm_snapshot *s = f.snap;
    const vm_region *r;
    const vm_block *b;

    b = block_at(s, 0x10001800, &r);
    assert_non_null(b);
    assert_int_equal(b->kind, VM_KIND_IMAGE);
    assert_int_equal(r->kind, VM_KIND_IMAGE);
    assert_int_equal(r->nblocks, 4);
    assert_int_equal(r->address, 0x10000000);
    assert_int_equal(b->module, 0);
    assert_string_equal(b->details, ".text, .fini of /usr/lib/libfoo.so");
    b = block_at(s, 0x10004000, NULL);
    assert_string_equal(b->details, ".bss of /usr/lib/libfoo.so");
    b = block_at(s, 0x10003000, NULL);
    assert_string_equal(b->details, "Reserved gap in /usr/lib/libfoo.so");

    b = block_at(s, 0x20000010, &r);
    assert_int_equal(b->kind, VM_KIND_HEAP);
    assert_int_equal(b->heap_id, 0);
    assert_int_equal(b->heap_part, 0);
    assert_string_equal(b->details, "Heap 0 [glibc main arena] [heap] (brk)");
    assert_string_equal(b->path, "[heap]");

    b = block_at(s, 0x30000000, NULL);
    assert_int_equal(b->kind, VM_KIND_MAPPED_FILE);
    assert_string_equal(b->details, "/tmp/data.bin");
    b = block_at(s, 0x30100000, NULL);
    assert_int_equal(b->kind, VM_KIND_SHAREABLE);
    assert_string_equal(b->details, "Shared anonymous memory");
    b = block_at(s, 0x30300000, NULL);
    assert_int_equal(b->kind, VM_KIND_SHAREABLE);
    assert_string_equal(b->details, "memfd blob");

    b = block_at(s, 0x40000000, &r);
    assert_int_equal(b->kind, VM_KIND_PRIVATE_DATA);
    assert_int_equal(r->nblocks, 2);
    assert_int_equal(r->size, 64 * MB);
    b = block_at(s, 0x40100000, NULL);
    assert_int_equal(b->state, VM_STATE_RESERVE);
    assert_string_equal(b->details, "Reserved");

    b = block_at(s, 0x7f0000000000ull + 200 * KB, &r);
    assert_int_equal(b->kind, VM_KIND_HEAP);
    assert_int_equal(b->heap_id, 1);
    assert_string_equal(b->details, "Heap 1 [glibc arena, tcache, growable] arena heap 1");
    assert_int_equal(r->nblocks, 2);
    assert_int_equal(r->kind, VM_KIND_HEAP);

    b = block_at(s, 0x7f1000000000ull, &r);
    assert_int_equal(b->kind, VM_KIND_STACK);
    assert_int_equal(b->thread_id, 4242);
    assert_string_equal(b->details, "Thread 4242 stack (guard)");
    assert_int_equal(r->nblocks, 2);
    assert_string_equal(r->details, "Thread 4242 \"worker\" stack (found by syscall stack pointer)");
    b = block_at(s, 0x7f1000002000ull, NULL);
    assert_string_equal(b->details, "Thread 4242 stack");
    free_facts(&f);
}

static void test_gaps_cover_address_space(void **state)
{
    (void)state;
    vm_facts f = {0};
    build_linux_like(&f);
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    const vm_snapshot *s = f.snap;
    /* Regions tile [0, user_top) exactly, in order; Linux has no Unusable. */
    uint64_t cursor = 0;
    for (size_t i = 0; i < s->nregions; i++) {
        assert_int_equal(s->regions[i].address, cursor);
        assert_int_not_equal(s->regions[i].kind, VM_KIND_UNUSABLE);
        cursor += s->regions[i].size;
    }
    assert_int_equal(cursor, s->user_top);
    const vm_block *b = block_at(s, 0x50000000, NULL);
    assert_int_equal(b->kind, VM_KIND_FREE);
    assert_int_equal(b->state, VM_STATE_FREE);
    free_facts(&f);
}

static void test_summary_totals(void **state)
{
    (void)state;
    vm_facts f = {0};
    build_linux_like(&f);
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    vm_summary sum;
    vm_summary_compute(f.snap, &sum);
    assert_int_equal(sum.kind[VM_KIND_STACK].size, 8 * MB + 4 * KB);
    assert_int_equal(sum.kind[VM_KIND_STACK].blocks, 2);
    assert_int_equal(sum.kind[VM_KIND_STACK].largest, 8 * MB);
    assert_int_equal(sum.kind[VM_KIND_HEAP].size, 64 * MB + 132 * KB);
    assert_int_equal(sum.kind[VM_KIND_SHAREABLE].size, 3 * MB);
    assert_int_equal(sum.kind[VM_KIND_PAGE_TABLE].size, 64 * KB);
    assert_int_equal(sum.kind[VM_KIND_PAGE_TABLE].counters.v[VM_C_COMMITTED], 64 * KB);
    uint64_t total = 0, committed = 0;
    for (int k = 0; k < VM_KIND_COUNT; k++)
        if (k != VM_KIND_FREE) {
            total += sum.kind[k].size;
            committed += sum.kind[k].counters.v[VM_C_COMMITTED];
        }
    assert_int_equal(sum.total.size, total);
    assert_int_equal(sum.total.counters.v[VM_C_COMMITTED], committed);
    assert_true(sum.total.counters.known & (1u << VM_C_COMMITTED));
    /* Free + Total = the whole user address space plus page tables (which are not in it). */
    assert_int_equal(sum.total.size + sum.kind[VM_KIND_FREE].size, f.snap->user_top + 64 * KB);
    free_facts(&f);
}

static void test_unknown_counters_propagate(void **state)
{
    (void)state;
    vm_facts f = {0};
    build_linux_like(&f);
    f.blocks[5].counters.known &= ~(1u << VM_C_TOTAL_WS); /* the mapped file's WS unknown */
    f.snap->page_table_known = false;
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    vm_summary sum;
    vm_summary_compute(f.snap, &sum);
    assert_false(sum.kind[VM_KIND_MAPPED_FILE].counters.known & (1u << VM_C_TOTAL_WS));
    assert_false(sum.total.counters.known & (1u << VM_C_TOTAL_WS));
    assert_true(sum.kind[VM_KIND_HEAP].counters.known & (1u << VM_C_TOTAL_WS));
    /* Unknown page tables are left out of the total, which stays known. */
    assert_true(sum.total.counters.known & (1u << VM_C_COMMITTED));
    assert_false(sum.kind[VM_KIND_PAGE_TABLE].counters.known & (1u << VM_C_COMMITTED));
    free_facts(&f);
}

/* Windows-like: 64 KiB allocation granularity makes the tail of a 12 KiB allocation Unusable. */
static void build_windows_like(vm_facts *f)
{
    vm_snapshot *s = f->snap = vm_snapshot_new();
    s->page_size = 4096;
    s->alloc_granularity = 64 * KB;
    s->user_top = 0x7fffffff0000ull;
    raw(f, 0x10000, 12 * KB, 0x10000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(f, 0x40000, 64 * KB, 0x40000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_WRITE, VM_MEMTYPE_PRIVATE, 0, NULL);
    /* A raw free block (as VirtualQueryEx reports) is re-derived from the gap, not copied. */
    raw(f, 0x50000, 0x10000, 0x0, VM_STATE_FREE, 0, VM_MEMTYPE_NONE, 0, NULL);
}

static void test_unusable_tail(void **state)
{
    (void)state;
    vm_facts f = {0};
    build_windows_like(&f);
    vm_snapshot *s = f.snap;
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    const vm_region *r;
    const vm_block *b = block_at(s, 0x13000, &r);
    assert_int_equal(b->kind, VM_KIND_UNUSABLE);
    assert_int_equal(r->address, 0x13000);
    assert_int_equal(r->size, 0x20000 - 0x13000);
    b = block_at(s, 0x20000, NULL);
    assert_int_equal(b->kind, VM_KIND_FREE);
    b = block_at(s, 0x0, NULL);
    assert_int_equal(b->kind, VM_KIND_FREE); /* before any allocation: never Unusable */
    b = block_at(s, 0x50000, &r);
    assert_int_equal(b->kind, VM_KIND_FREE); /* aligned end: no Unusable after 0x40000 */
    assert_int_equal(r->address, 0x50000);
    vm_summary sum;
    vm_summary_compute(s, &sum);
    assert_int_equal(sum.kind[VM_KIND_UNUSABLE].size, 0x20000 - 0x13000);
    free_facts(&f);
}

/* Hostile or inconsistent facts: overlaps are dropped with a warning, never crash. */
static void build_overlapping(vm_facts *f)
{
    vm_snapshot *s = f->snap = vm_snapshot_new();
    s->page_size = 4096;
    s->alloc_granularity = 4096;
    s->user_top = 0x100000;
    raw(f, 0x10000, 0x4000, 0x10000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(f, 0x12000, 0x4000, 0x12000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(f, 0x20000, 0, 0x20000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_PRIVATE, 0, NULL);
    vm_heap *h = vm_snapshot_add_heap(s);
    h->id = 7;
    vm_heap_part *p = vm_heap_add_part(h);
    p->address = UINT64_MAX - 10; /* wraps */
    p->size = 100;
    vm_thread *t = vm_snapshot_add_thread(s);
    t->tid = 1;
    t->stack_base = 0; /* stack not found */
}

static void test_overlap_and_garbage(void **state)
{
    (void)state;
    vm_facts f = {0};
    build_overlapping(&f);
    vm_snapshot *s = f.snap;
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    assert_int_equal(s->nwarnings, 2);
    assert_string_equal(s->warnings[0].code, "out-of-range"); /* the heap part that wraps: left out */
    assert_int_equal(s->heaps[0].nparts, 0);
    assert_string_equal(s->warnings[1].code, "overlap");
    uint64_t cursor = 0;
    for (size_t i = 0; i < s->nregions; i++) {
        assert_int_equal(s->regions[i].address, cursor);
        cursor += s->regions[i].size;
    }
    assert_int_equal(cursor, s->user_top);
    free_facts(&f);
}

/* Facts outside what a snapshot holds (out-of-range tests, and the classifier in pieces). */
static void build_out_of_range(vm_facts *fp)
{
    vm_snapshot *s = fp->snap = vm_snapshot_new();
    s->page_size = 4096;
    s->alloc_granularity = 4096;
    s->user_top = 0x800000000000ull;
    raw(fp, 0x10000, 0x1000, 0x10000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(fp, 0x7fff00000000, 0x0100000000000000ull, 0x7fff00000000, VM_STATE_RESERVE, 0, VM_MEMTYPE_PRIVATE, 0,
        NULL); /* 2^56 bytes: crosses the top */
    raw(fp, 0x900000000000, 0x1000, 0x900000000000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(fp, 0xffffffffff600000, 0x1000, 0xffffffffff600000, VM_STATE_COMMIT, VM_PROT_READ | VM_PROT_EXEC,
        VM_MEMTYPE_IMAGE, VM_RAW_KERNEL, "[vsyscall]");
    raw(fp, 0xfffffffffffff000, 0x2000, 0xfffffffffffff000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_PRIVATE,
        VM_RAW_KERNEL, NULL); /* wraps */
    fp->blocks[0].counters.v[VM_C_PSS] = UINT64_MAX;
    vm_heap *h = vm_snapshot_add_heap(s);
    h->id = 0;
    h->largest_free = UINT64_MAX;
    h->largest_free_known = true;
    vm_heap_part *p = vm_heap_add_part(h);
    p->address = 0x10000;
    p->size = 0x1000;
    p->committed = 0x100000000000ull; /* more than its size */
    p = vm_heap_add_part(h);
    p->address = 0x7ffffffff000;
    p->size = 0x10000000; /* crosses the top */
    p = vm_heap_add_part(h);
    p->address = 0x900000000000; /* above it */
    p->size = 0x1000;
    vm_module *m = vm_snapshot_add_module(s);
    m->base = 0x7fffffffe000;
    m->size = 0x10000;
    vm_section *sec = vm_module_add_section(m);
    sec->address = 0x10;
    sec->size = UINT64_MAX;
    vm_snapshot_add_thread(s)->guard_size = UINT64_MAX;
    s->page_table_known = true;
    s->page_table_bytes = UINT64_MAX;
}

/* ---- classification in pieces ---------------------------------------------------------- */

static bool same_str(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

static bool same_block(const vm_block *a, const vm_block *b)
{
    return a->address == b->address && a->size == b->size && a->state == b->state &&
           a->protection == b->protection && a->memtype == b->memtype && a->kind == b->kind &&
           memcmp(&a->counters, &b->counters, sizeof a->counters) == 0 && same_str(a->details, b->details) &&
           a->heap_id == b->heap_id && a->heap_part == b->heap_part && a->thread_id == b->thread_id &&
           a->module == b->module && same_str(a->path, b->path);
}

static bool same_region(const vm_region *a, const vm_region *b)
{
    if (a->address != b->address || a->size != b->size || a->kind != b->kind || !same_str(a->details, b->details) ||
        a->nblocks != b->nblocks)
        return false;
    for (size_t i = 0; i < a->nblocks; i++)
        if (!same_block(&a->blocks[i], &b->blocks[i]))
            return false;
    return true;
}

typedef void (*build_fn)(vm_facts *f);

/* Gives part the blocks of src up to index upto (their strings go with them), as a source adds
 * them. */
static void give_blocks(vm_facts *part, vm_facts *src, size_t *given, size_t upto)
{
    while (*given < upto) {
        vm_raw_block *rb = vm_facts_add_block(part);
        assert_non_null(rb);
        *rb = src->blocks[(*given)++];
    }
}

/* The blocks given `step` at a time, as a source adds them: after every call, the regions so far
 * are the first regions of the whole classification, exactly; at the end, everything is, warnings
 * included (the classifier may have left out blocks beyond the address space meanwhile). */
static void check_pieces(build_fn build, size_t step)
{
    vm_facts whole = {0}, src = {0}, part = {0};
    build(&whole);
    build(&src);
    part.snap = src.snap;
    vm_error err = {0};
    assert_int_equal(vm_classify(&whole, &err), VM_EXIT_OK);
    for (size_t given = 0; given < src.nblocks;) {
        give_blocks(&part, &src, &given, given + step < src.nblocks ? given + step : src.nblocks);
        assert_int_equal(vm_classify_more(&part, false, &err), VM_EXIT_OK);
        assert_true(part.snap->nregions <= whole.snap->nregions);
        for (size_t r = 0; r < part.snap->nregions; r++)
            assert_true(same_region(&part.snap->regions[r], &whole.snap->regions[r]));
    }
    free(src.blocks);
    assert_int_equal(vm_classify_more(&part, true, &err), VM_EXIT_OK);
    assert_null(part.classify_state);
    assert_int_equal(part.snap->nregions, whole.snap->nregions);
    for (size_t r = 0; r < whole.snap->nregions; r++)
        assert_true(same_region(&part.snap->regions[r], &whole.snap->regions[r]));
    assert_int_equal(part.snap->nwarnings, whole.snap->nwarnings);
    for (size_t w = 0; w < whole.snap->nwarnings; w++) {
        assert_string_equal(part.snap->warnings[w].code, whole.snap->warnings[w].code);
        assert_string_equal(part.snap->warnings[w].message, whole.snap->warnings[w].message);
    }
    free_facts(&whole);
    free_facts(&part);
}

static void test_classify_in_pieces(void **state)
{
    (void)state;
    const build_fn builds[] = {build_linux_like, build_windows_like, build_overlapping, build_out_of_range};
    for (size_t b = 0; b < sizeof builds / sizeof *builds; b++)
        for (size_t step = 1; step <= 5; step++)
            check_pieces(builds[b], step);
}

/* An allocation is held back until a block of another one follows it: with the first two blocks
 * of the image given, no region is final yet (the third may still be the image's).  What was
 * classified is dropped from the blocks. */
static void test_classify_holds_open_allocation(void **state)
{
    (void)state;
    vm_facts src = {0}, f = {0};
    build_linux_like(&src);
    f.snap = src.snap;
    size_t given = 0;
    vm_error err = {0};
    give_blocks(&f, &src, &given, 2);
    assert_int_equal(vm_classify_more(&f, false, &err), VM_EXIT_OK);
    assert_int_equal(f.snap->nregions, 0);
    assert_int_equal(f.nblocks, 2);
    give_blocks(&f, &src, &given, 5); /* the image's four blocks and the brk heap */
    assert_int_equal(vm_classify_more(&f, false, &err), VM_EXIT_OK);
    assert_int_equal(f.snap->nregions, 2); /* the free gap below the image, and the image */
    assert_int_equal(f.snap->regions[1].nblocks, 4);
    assert_int_equal(f.nblocks, 1); /* the brk heap, still open */
    assert_int_equal(f.blocks[0].address, 0x20000000);
    assert_non_null(f.classify_state);
    give_blocks(&f, &src, &given, src.nblocks);
    free(src.blocks);
    free_facts(&f); /* the unfinished classification goes with the blocks (no leak: valgrind, ASan) */
    assert_null(f.classify_state);
}

static bool has_warning(const vm_snapshot *s, const char *text)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        if (strcmp(s->warnings[i].code, "out-of-range") == 0 && strstr(s->warnings[i].message, text))
            return true;
    return false;
}

static void expect_loads(const vm_snapshot *s)
{
    char why[512];
    if (!vm_snapshot_reloads(s, why, sizeof why))
        fail_msg("the snapshot written does not load again: %s", why);
}

/* A page size or allocation granularity no system has (a damaged core's AT_PAGESZ, found by
 * fuzz_elfcore): replaced with a warning, so that the snapshot loads again. */
static void test_out_of_range_units(void **state)
{
    (void)state;
    vm_facts f = {0};
    vm_snapshot *s = f.snap = vm_snapshot_new();
    s->page_size = UINT64_C(1) << 62;
    s->alloc_granularity = UINT64_C(5774824774768272384);
    s->user_top = 0x800000000000ull;
    raw(&f, 0x10000, 0x1000, 0x10000, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_PRIVATE, 0, NULL);
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    assert_int_equal(s->page_size, 4096);
    assert_int_equal(s->alloc_granularity, 4096);
    assert_true(has_warning(s, "is not a power of two up to 1 GiB: 4096 assumed"));
    assert_true(has_warning(s, "allocation granularity 5774824774768272384"));
    expect_loads(s);
    free_facts(&f);
}

/* Values outside the user address space (a damaged dump, a heap header read from the target):
 * cut at user_top or left out with a warning, so that the snapshot loads again; the kernel's
 * page above it stays.  A 5-level address space's free gap (over 2^53 bytes) and allocations
 * adding up to more than that are written as several regions. */
static void test_out_of_range_facts(void **state)
{
    (void)state;
    vm_facts f = {0};
    build_out_of_range(&f);
    vm_snapshot *s = f.snap;
    vm_heap *h = &s->heaps[0];
    vm_module *m = &s->modules[0];
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);

    assert_true(has_warning(s, "2 blocks beyond the user address space (it ends at 0x800000000000)"));
    assert_true(has_warning(s, "1 block reaching past the top of the user address space (0x800000000000): cut"));
    assert_true(has_warning(s, "1 block counter larger than any address space: made unknown"));
    assert_true(has_warning(s, "1 heap part beyond"));
    assert_true(has_warning(s, "1 heap part reaching past"));
    assert_true(has_warning(s, "2 heap parts committing more than their size"));
    assert_true(has_warning(s, "1 module reaching past"));
    assert_true(has_warning(s, "1 module section reaching past"));
    assert_true(has_warning(s, "2 thread guard sizes or page-table size"));
    const vm_region *r;
    const vm_block *b = block_at(s, 0x7fffffff0000, &r);
    assert_non_null(b);
    assert_int_equal(b->address, 0x7fff00000000);
    assert_int_equal(b->size, 0x100000000);
    assert_null(block_at(s, 0x900000000000, NULL));
    assert_non_null(block_at(s, 0xffffffffff600000, NULL)); /* the kernel's page stays */
    assert_null(block_at(s, 0xfffffffffffff000, NULL));
    assert_false(block_at(s, 0x10000, NULL)->counters.known >> VM_C_PSS & 1u);
    assert_int_equal(h->nparts, 2);
    assert_int_equal(h->parts[0].committed, 0x1000);
    assert_int_equal(h->parts[1].size, 0x1000);
    assert_false(h->largest_free_known);
    assert_int_equal(m->size, 0x2000);
    assert_int_equal(m->nsections, 1);
    expect_loads(s);
    free_facts(&f);

    /* 5-level paging: 2^56 bytes of user space, a free gap of nearly all of it, and three
     * contiguous 2^52-byte reservations of one allocation (3 * 2^52 > 2^53). */
    memset(&f, 0, sizeof f);
    s = f.snap = vm_snapshot_new();
    s->page_size = 4096;
    s->alloc_granularity = 4096;
    s->user_top = 0x00fffffffffff000ull;
    for (uint64_t k = 0; k < 3; k++)
        raw(&f, 0x0080000000000000ull + (k << 52), 1ull << 52, 0x0080000000000000ull, VM_STATE_RESERVE, 0,
            VM_MEMTYPE_PRIVATE, 0, NULL);
    raw(&f, 0x00c0000000000000ull, 1ull << 54, 0x00c0000000000000ull, VM_STATE_RESERVE, 0, VM_MEMTYPE_PRIVATE, 0,
        NULL); /* inside the address space, but one allocation of 2^54 bytes: more than a snapshot holds */
    raw(&f, 0x00fffffffff00000ull, 0x1000, 0x00fffffffff00000ull, VM_STATE_COMMIT, VM_PROT_READ, VM_MEMTYPE_PRIVATE,
        0, NULL);
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    assert_int_equal(s->nwarnings, 1);
    assert_true(has_warning(s, "1 block beyond the user address space (it ends at 0xfffffffffff000), wrapping around "
                               "2^64 or larger than any address space: left out"));
    assert_int_equal(block_at(s, 0x00c0000000000000ull, NULL)->kind, VM_KIND_FREE);
    for (uint64_t k = 0; k < 3; k++) { /* one allocation, three regions of 2^52 bytes */
        const vm_region *in;
        assert_non_null(block_at(s, 0x0080000000000000ull + (k << 52), &in));
        assert_int_equal(in->address, 0x0080000000000000ull + (k << 52));
        assert_int_equal(in->size, 1ull << 52);
    }
    uint64_t cursor = 0;
    for (size_t i = 0; i < s->nregions; i++) {
        assert_int_equal(s->regions[i].address, cursor);
        assert_true(s->regions[i].size <= VM_SNAPSHOT_MAX_SIZE);
        cursor += s->regions[i].size;
    }
    assert_int_equal(cursor, s->user_top);
    expect_loads(s);
    free_facts(&f);
}

/* A heap walk's statistics summed from a damaged heap: left out, so the snapshot loads again;
 * a walk that fits stays. */
static void test_out_of_range_heap_stats(void **state)
{
    (void)state;
    vm_facts f = {0};
    vm_snapshot *s = f.snap = vm_snapshot_new();
    s->page_size = 4096;
    s->alloc_granularity = 4096;
    s->user_top = 0x800000000000ull;
    for (int i = 0; i < 2; i++) {
        vm_heap *h = vm_snapshot_add_heap(s);
        h->id = i;
        h->stats_known = true;
        h->stats.busy_blocks = 3;
        h->stats.busy_bytes = i ? UINT64_MAX : 4096; /* saturated sum of sizes read from the target */
        h->sizes = calloc(1, sizeof *h->sizes);
        h->nsizes = 1;
        h->sizes[0] = (vm_heap_size){.size = 32, .busy = 3};
    }
    vm_error err = {0};
    assert_int_equal(vm_classify(&f, &err), VM_EXIT_OK);
    vm_snapshot_bound_steps(s);
    assert_true(s->heaps[0].stats_known);
    assert_int_equal(s->heaps[0].nsizes, 1);
    assert_false(s->heaps[1].stats_known);
    assert_int_equal(s->heaps[1].nsizes, 0);
    assert_true(has_warning(s, "1 heap walk added up to more than any address space"));
    expect_loads(s);
    free_facts(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priorities_and_details),
        cmocka_unit_test(test_gaps_cover_address_space),
        cmocka_unit_test(test_summary_totals),
        cmocka_unit_test(test_unknown_counters_propagate),
        cmocka_unit_test(test_unusable_tail),
        cmocka_unit_test(test_overlap_and_garbage),
        cmocka_unit_test(test_classify_in_pieces),
        cmocka_unit_test(test_classify_holds_open_allocation),
        cmocka_unit_test(test_out_of_range_facts),
        cmocka_unit_test(test_out_of_range_units),
        cmocka_unit_test(test_out_of_range_heap_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
