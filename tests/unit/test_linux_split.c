/* Mappings cut at heap parts (vmmap/sources/linux_model/linux_split.c) on synthetic parts: where the
 * cuts go (a part in the middle, at either end, several chunks, a part covering the mapping,
 * parts from a damaged heap that are not whole pages or wrap), and the pieces' counters when no
 * page is resident (no pagemap read): exact sizes, Committed and Private of an accountable
 * mapping per piece, the same totals as the whole mapping, and nothing known before smaps; and
 * this process's own pages counted through pagemap, with the largest piece carrying the rest;
 * pages only read (the zero page) left out, as smaps does, by each way of telling them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmmap/sources/linux_model/linux_capture.h"
#include "vmmap/util/xalloc.h"

#define P 4096ull

static vm_snapshot *with_parts(const uint64_t (*parts)[2], size_t n)
{
    vm_snapshot *s = vm_snapshot_new();
    vm_heap *h = vm_snapshot_add_heap(s);
    for (size_t i = 0; i < n; i++) {
        vm_heap_part *p = vm_heap_add_part(h);
        p->address = parts[i][0];
        p->size = parts[i][1];
    }
    return s;
}

static void expect_cuts(const lx_part_ranges *r, uint64_t start, uint64_t end, const uint64_t *want, size_t nwant)
{
    uint64_t *starts;
    size_t n = lx_cut(r, start, end, &starts);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(starts[i], want[i]);
    free(starts);
}

static void test_cuts(void **state)
{
    (void)state;
    const uint64_t parts[][2] = {
        {0x100000, 4 * P},            /* a chunk */
        {0x104000, 2 * P},            /* the next chunk, right after it */
        {0x200000, 16 * P},           /* an arena heap */
        {0x300000 + 10, 4 * P},       /* not page-aligned: a damaged header, ignored */
        {UINT64_MAX - P + 1, 2 * P},  /* wraps: ignored */
    };
    vm_snapshot *s = with_parts(parts, sizeof parts / sizeof *parts);
    lx_part_ranges r;
    assert_true(lx_part_ranges_build(s, P, &r));
    assert_int_equal(r.n, 3);
    /* [chunk][chunk][other]: cut at both chunk ends */
    expect_cuts(&r, 0x100000, 0x110000, (const uint64_t[]){0x100000, 0x104000, 0x106000}, 3);
    /* [other][heap][other] */
    expect_cuts(&r, 0x1f0000, 0x220000, (const uint64_t[]){0x1f0000, 0x200000, 0x210000}, 3);
    /* exactly one part, or inside one: not cut */
    expect_cuts(&r, 0x200000, 0x210000, (const uint64_t[]){0x200000}, 1);
    expect_cuts(&r, 0x201000, 0x202000, (const uint64_t[]){0x201000}, 1);
    /* no part, or only the ignored ones */
    expect_cuts(&r, 0x300000, 0x310000, (const uint64_t[]){0x300000}, 1);
    uint64_t base = 0;
    assert_true(lx_in_part(&r, 0x104000, &base));
    assert_int_equal(base, 0x104000);
    assert_true(lx_in_part(&r, 0x20f000, &base));
    assert_int_equal(base, 0x200000);
    assert_false(lx_in_part(&r, 0x106000, &base));
    assert_false(lx_in_part(&r, 0x300000, &base));
    lx_part_ranges_free(&r);
    vm_snapshot_free(s);
}

static vm_linux_mapping anon_rw(uint64_t start, uint64_t end, bool with_smaps)
{
    vm_linux_mapping m;
    memset(&m, 0, sizeof m);
    m.start = start;
    m.end = end;
    m.r = m.w = true;
    if (with_smaps) {
        m.size = end - start;
        m.vmflags = VM_LX_RD | VM_LX_WR | VM_LX_AC;
        m.have = VM_LX_HAVE_SIZE | VM_LX_HAVE_RSS | VM_LX_HAVE_PSS | VM_LX_HAVE_SHARED_CLEAN |
                 VM_LX_HAVE_SHARED_DIRTY | VM_LX_HAVE_PRIVATE_CLEAN | VM_LX_HAVE_PRIVATE_DIRTY | VM_LX_HAVE_SWAP |
                 VM_LX_HAVE_LOCKED | VM_LX_HAVE_VMFLAGS;
    }
    return m;
}

static void test_piece_counters_nothing_resident(void **state)
{
    (void)state;
    lx_capture c;
    memset(&c, 0, sizeof c);
    c.page_size = P;
    vm_linux_pagemap_init(&c.pagemap, -1); /* never opened: nothing is resident */
    const uint64_t starts[] = {0x100000, 0x104000, 0x106000};
    vm_counters k[3];
    vm_linux_mapping m = anon_rw(0x100000, 0x110000, true);
    lx_piece_counters(&c, &m, starts, 3, k);
    const uint64_t size[] = {4 * P, 2 * P, 10 * P};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(k[i].known, VM_COUNTERS_ALL_KNOWN);
        assert_int_equal(k[i].v[VM_C_COMMITTED], size[i]); /* accountable: the piece's size */
        assert_int_equal(k[i].v[VM_C_PRIVATE], size[i]);
        assert_int_equal(k[i].v[VM_C_TOTAL_WS], 0);
        assert_int_equal(k[i].v[VM_C_PSS], 0);
    }
    assert_int_equal(c.split_moved, 0);
    assert_int_equal(c.pagemap.error, 0);

    /* before smaps (the early pass on /proc/PID/maps): nothing known, for any piece */
    m = anon_rw(0x100000, 0x110000, false);
    lx_piece_counters(&c, &m, starts, 3, k);
    for (int i = 0; i < 3; i++)
        assert_int_equal(k[i].known, 0);
}

/* This process's own pages through pagemap: a mapping of 16 pages, 3 touched in the first piece
 * and 5 in the second (the largest, which carries the rest of the mapping's totals). */
static void test_piece_counters_from_pagemap(void **state)
{
    (void)state;
    char *map = mmap(NULL, 16 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    madvise(map, 16 * P, MADV_NOHUGEPAGE);
    for (int i = 0; i < 3; i++)
        map[i * P] = 1;
    for (int i = 4; i < 9; i++)
        map[i * P] = 1;
    lx_capture c;
    memset(&c, 0, sizeof c);
    c.page_size = P;
    vm_linux_pagemap_init(&c.pagemap, getpid());
    uint64_t a = (uint64_t)(uintptr_t)map;
    const uint64_t starts[] = {a, a + 4 * P};
    vm_linux_mapping m = anon_rw(a, a + 16 * P, true);
    m.rss = m.pss = m.private_dirty = 8 * P; /* what smaps says of the whole mapping */
    vm_counters k[2];
    lx_piece_counters(&c, &m, starts, 2, k);
    assert_int_equal(c.pagemap.error, 0);
    assert_int_equal(k[0].v[VM_C_TOTAL_WS], 3 * P);
    assert_int_equal(k[0].v[VM_C_PRIVATE_WS], 3 * P);
    assert_int_equal(k[0].v[VM_C_PSS], 3 * P);
    assert_int_equal(k[0].v[VM_C_SHARED_WS], 0);
    assert_int_equal(k[1].v[VM_C_TOTAL_WS], 5 * P);
    assert_int_equal(k[1].v[VM_C_PSS], 5 * P);
    assert_int_equal(k[0].v[VM_C_COMMITTED] + k[1].v[VM_C_COMMITTED], 16 * P);
    assert_int_equal(k[0].known & k[1].known, VM_COUNTERS_ALL_KNOWN);
    assert_int_equal(c.split_moved, 0);

    /* smaps said less than the first piece has now (pages touched in between): the largest piece
     * cannot carry a negative rest, it is cut to 0 and counted */
    m.rss = m.pss = m.private_dirty = 2 * P;
    lx_piece_counters(&c, &m, starts, 2, k);
    assert_int_equal(k[0].v[VM_C_TOTAL_WS], 3 * P);
    assert_int_equal(k[1].v[VM_C_TOTAL_WS], 0);
    assert_true(c.split_moved > 0);
    vm_linux_pagemap_close(&c.pagemap);
    munmap(map, 16 * P);
}

/* Pages only read map the zero page: pagemap shows them present, smaps leaves them out.  A
 * mapping of 16 pages: in the first piece (4 pages) 1 written and 3 only read, in the second 2
 * written and 6 only read; smaps says 3 pages for the whole.  Told apart by PAGEMAP_SCAN, by the
 * page frame number (when this process may see frame numbers), and not at all (counted, said). */
static void zero_page_counts(const char *method, bool told_apart)
{
    char *map = mmap(NULL, 16 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    madvise(map, 16 * P, MADV_NOHUGEPAGE);
    volatile char sink = 0;
    map[0] = 1;
    for (int i = 1; i < 4; i++)
        sink += ((volatile char *)map)[i * P];
    map[4 * P] = map[5 * P] = 1;
    for (int i = 6; i < 12; i++)
        sink += ((volatile char *)map)[i * P];
    assert_int_equal(sink, 0);
    setenv("VMMAP_TEST_ZERO_PAGE", method, 1);
    lx_capture c;
    memset(&c, 0, sizeof c);
    c.page_size = P;
    vm_linux_pagemap_init(&c.pagemap, getpid());
    uint64_t a = (uint64_t)(uintptr_t)map;
    vm_linux_page_counts pc;
    assert_true(vm_linux_pagemap_count(&c.pagemap, a, a + 4 * P, P, &pc));
    const uint64_t starts[] = {a, a + 4 * P};
    vm_linux_mapping m = anon_rw(a, a + 16 * P, true);
    m.rss = m.pss = m.private_dirty = 3 * P; /* smaps: the pages written */
    vm_counters k[2];
    lx_piece_counters(&c, &m, starts, 2, k);
    unsetenv("VMMAP_TEST_ZERO_PAGE");
    if (told_apart) {
        assert_int_equal(pc.present, 1);
        assert_int_equal(pc.exclusive, 1);
        assert_int_equal(pc.zero, 3);
        assert_int_equal(k[0].v[VM_C_TOTAL_WS], 1 * P);
        assert_int_equal(k[0].v[VM_C_PRIVATE_WS], 1 * P);
        assert_int_equal(k[0].v[VM_C_SHARED_WS], 0);
        assert_int_equal(k[0].v[VM_C_PSS], 1 * P);
        assert_int_equal(k[1].v[VM_C_TOTAL_WS], 2 * P);
        assert_int_equal(k[1].v[VM_C_PSS], 2 * P);
        assert_int_equal(k[0].known & k[1].known, VM_COUNTERS_ALL_KNOWN);
        assert_int_equal(c.split_moved, 0);
        assert_int_equal(c.pagemap.zero_unknown, 0);
    } else {
        /* counted as present and shared: the first piece holds more than smaps gave the whole */
        assert_int_equal(pc.present, 4);
        assert_int_equal(pc.zero, 0);
        assert_true(c.pagemap.zero_unknown >= 3);
        assert_int_equal(k[0].v[VM_C_TOTAL_WS], 4 * P);
        assert_false(k[0].known & (1u << VM_C_PSS));
    }
    vm_linux_pagemap_close(&c.pagemap);
    munmap(map, 16 * P);
}

static void test_zero_page_scan(void **state)
{
    (void)state;
    zero_page_counts("scan", true);
}

/* The frame numbers need CAP_SYS_ADMIN (the tests run as root here; elsewhere there is nothing to
 * tell them apart by, which the "none" case covers). */
static void test_zero_page_pfn(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "test_zero_page_pfn: skipped: page frame numbers need root\n");
        skip();
    }
    zero_page_counts("pfn", true);
}

static void test_zero_page_none(void **state)
{
    (void)state;
    zero_page_counts("none", false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cuts),
        cmocka_unit_test(test_piece_counters_nothing_resident),
        cmocka_unit_test(test_piece_counters_from_pagemap),
        cmocka_unit_test(test_zero_page_scan),
        cmocka_unit_test(test_zero_page_pfn),
        cmocka_unit_test(test_zero_page_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
