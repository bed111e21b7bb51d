/* Wine heap walker over synthetic memory images built from windows-internals.md §5 and Wine's
 * struct heap / SUBHEAP / ARENA_LARGE (offsets written out again here): a process heap and a
 * second heap on Wine's heap list, subheaps (the embedded one and a separate region) and a large
 * block, in the Wine 8.0 x64 and x86 layouts and the later layout with compat_info; then corrupt
 * lists and headers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tests/support/synth_mem.h"
#include "vmmap/parse/wineheap.h"

typedef struct wine_offsets {
    int bits;
    unsigned ptr, flags, entry, subheaps, large, magic, compat;
    unsigned sub_block_size, sub_data_size, sub_entry, sub_owner, sub_block, sub_len;
    unsigned large_entry, large_data_size, large_block_size, large_block;
    const char *name;
} wine_offsets;

static const wine_offsets WINE80_X64 = {64, 8, 0x70, 0x78, 0x88, 0x98, 0xB8, 0,
                                        0x10, 0x18, 0x20, 0x30, 0x38, 0x40, 0x10, 0x20, 0x28, 0x38, "Wine 8.0 x64"};
static const wine_offsets WINE80_X86 = {32, 4, 0x40, 0x48, 0x50, 0x58, 0x68, 0,
                                        0x4, 0x8, 0xC, 0x14, 0x18, 0x20, 0x4, 0xC, 0x10, 0x18, "Wine 8.0 x86"};
static const wine_offsets WINE_LATER_X64 = {64, 8, 0x70, 0x80, 0x90, 0xA0, 0xC0, 0x78,
                                            0x10, 0x18, 0x20, 0x30, 0x38, 0x40, 0x10, 0x20, 0x28, 0x38, "Wine >8.0 x64"};

#define PH 0x00A00000u      /* process heap */
#define H2 0x00C00000u      /* a second heap */
#define EMBED 0x1000u       /* offset of the embedded SUBHEAP inside a heap (past the free lists) */
#define SUB1 0x01000000u    /* a second subheap of PH */
#define BIG 0x02000000u     /* a large block of PH */

typedef struct wine_image {
    synth_mem m;
    vm_memreader r;
    const wine_offsets *o;
    vm_snapshot *snap;
} wine_image;

/* A SUBHEAP header at hdr whose region (hdr & ~0xFFFF) reserves `reserved` and commits
 * `committed` bytes, set the way Wine's subheap_set_bounds does. */
static void put_subheap(wine_image *im, uint64_t hdr, uint64_t owner, uint64_t reserved, uint64_t committed)
{
    const wine_offsets *o = im->o;
    uint64_t base = hdr & ~UINT64_C(0xFFFF);
    synth_put_ptr(&im->m, o->bits, hdr + o->sub_block_size, base + reserved - (hdr + o->sub_block));
    synth_put_ptr(&im->m, o->bits, hdr + o->sub_data_size, base + committed - (hdr + o->sub_len));
    synth_put_ptr(&im->m, o->bits, hdr + o->sub_owner, owner);
}

static void put_heap(wine_image *im, uint64_t heap, uint32_t flags)
{
    const wine_offsets *o = im->o;
    synth_put_u32(&im->m, heap + (o->bits == 64 ? 0x10 : 0x08), 0xFFEEFFEE);
    synth_put_u32(&im->m, heap + o->flags, flags);
    synth_put_u32(&im->m, heap + o->magic, 0x50414548);
    put_subheap(im, heap + EMBED, heap, 0x110000, 0x20000);
}

static void build(wine_image *im, const wine_offsets *o)
{
    memset(im, 0, sizeof *im);
    im->o = o;
    im->snap = vm_snapshot_new();
    synth_map(&im->m, PH, 0x2000);
    synth_map(&im->m, H2, 0x2000);
    synth_map(&im->m, SUB1, 0x1000);
    synth_map(&im->m, BIG, 0x1000);
    im->r = synth_reader(&im->m);
    put_heap(im, PH, 0x2);
    put_heap(im, H2, 0x1002);
    if (o->compat)
        synth_put_u32(&im->m, PH + o->compat, 2);
    uint64_t heaps[] = {H2 + o->entry};
    synth_put_list(&im->m, im->o->bits, PH + o->entry, heaps, 1);
    put_subheap(im, SUB1, PH, 0x100000, 0x8000);
    /* Listed newest first, as Wine adds subheaps at the head: the walker puts the embedded one first. */
    uint64_t subs[] = {SUB1 + o->sub_entry, PH + EMBED + o->sub_entry};
    synth_put_list(&im->m, im->o->bits, PH + o->subheaps, subs, 2);
    uint64_t h2subs[] = {H2 + EMBED + o->sub_entry};
    synth_put_list(&im->m, im->o->bits, H2 + o->subheaps, h2subs, 1);
    synth_put_list(&im->m, im->o->bits, H2 + o->large, NULL, 0);
    synth_put_ptr(&im->m, o->bits, BIG + o->large_data_size, 0x200000);
    /* Wine's block_size counts from the block header, not from the reservation's base (as
     * VirtualQuery showed under Wine 8: the 0x210000 reservation says 0x210000 - 0x38). */
    synth_put_ptr(&im->m, o->bits, BIG + o->large_block_size, 0x210000 - o->large_block);
    synth_put_u16(&im->m, BIG + o->large_block + 6, 0x614C);
    uint64_t bigs[] = {BIG + o->large_entry};
    synth_put_list(&im->m, im->o->bits, PH + o->large, bigs, 1);
}

static void done(wine_image *im, vm_winheap *h)
{
    vm_winheap_free(h);
    vm_snapshot_free(im->snap);
    synth_free(&im->m);
}

static void check_range(const vm_winheap_range *r, uint64_t addr, uint64_t size, uint64_t committed)
{
    assert_int_equal(r->address, addr);
    assert_int_equal(r->size, size);
    assert_true(r->committed_known);
    assert_int_equal(r->committed, committed);
}

static void check_valid(const wine_offsets *o)
{
    wine_image im;
    vm_winheap h;
    uint64_t *heaps;
    size_t n;
    build(&im, o);
    assert_true(vm_wineheap_list(&im.r, o->bits, PH, &heaps, &n, im.snap));
    assert_int_equal(n, 2);
    assert_int_equal(heaps[0], PH);
    assert_int_equal(heaps[1], H2);
    free(heaps);

    assert_true(vm_wineheap_probe(&im.r, o->bits, PH));
    assert_int_equal(vm_wineheap_walk(&im.r, o->bits, PH, &h, im.snap), VM_WINHEAP_OK);
    assert_string_equal(h.kind, "Wine");
    assert_string_equal(h.layout, o->name);
    assert_string_equal(h.flags, "growable");
    assert_string_equal(h.heap_class, "process");
    if (o->compat)
        assert_string_equal(h.front_end, "LFH");
    else
        assert_null(h.front_end);
    assert_int_equal(h.nsegments, 2);
    check_range(&h.segments[0], PH, 0x110000, 0x20000);
    check_range(&h.segments[1], SUB1, 0x100000, 0x8000);
    assert_int_equal(h.nlarge, 1);
    check_range(&h.large[0], BIG, 0x210000, 0x210000);
    assert_true(vm_winheap_append(im.snap, &h, 0, "process heap"));
    vm_winheap_free(&h);

    assert_int_equal(vm_wineheap_walk(&im.r, o->bits, H2, &h, im.snap), VM_WINHEAP_OK);
    assert_string_equal(h.heap_class, "private");
    assert_int_equal(h.nsegments, 1);
    check_range(&h.segments[0], H2, 0x110000, 0x20000);
    assert_int_equal(h.nlarge, 0);
    assert_int_equal(im.snap->nwarnings, 0);

    const vm_heap *vh = &im.snap->heaps[0];
    assert_int_equal(vh->nparts, 3);
    assert_string_equal(vh->parts[0].what, "subheap 0");
    assert_string_equal(vh->parts[1].what, "subheap 1");
    assert_string_equal(vh->parts[2].what, "large block");
    assert_string_equal(vh->heap_class, "process heap");
    done(&im, &h);
}

static void test_valid_wine80_x64(void **state) { (void)state; check_valid(&WINE80_X64); }
static void test_valid_wine80_x86(void **state) { (void)state; check_valid(&WINE80_X86); }
static void test_valid_wine_later_x64(void **state) { (void)state; check_valid(&WINE_LATER_X64); }

static void test_not_a_wine_heap(void **state)
{
    (void)state;
    wine_image im;
    vm_winheap h;
    uint64_t *heaps;
    size_t n;
    build(&im, &WINE80_X64);
    synth_put_u32(&im.m, PH + 0xB8, 0);
    synth_put_u32(&im.m, PH + 0x98, 0xEEFFEEFF);  /* an NT heap's Signature instead */
    assert_false(vm_wineheap_probe(&im.r, 64, PH));
    assert_int_equal(vm_wineheap_walk(&im.r, 64, PH, &h, im.snap), VM_WINHEAP_NOT_THIS);
    assert_true(vm_wineheap_list(&im.r, 64, PH, &heaps, &n, im.snap));
    assert_int_equal(n, 0);
    assert_null(heaps);
    assert_int_equal(vm_wineheap_walk(&im.r, 64, 0x7770000, &h, im.snap), VM_WINHEAP_UNREADABLE);
    done(&im, &h);
}

static void test_heap_list_cycle(void **state)
{
    (void)state;
    wine_image im;
    uint64_t *heaps;
    size_t n;
    build(&im, &WINE80_X64);
    /* PH -> H2 -> H2 -> ...: H2's entry points at itself. */
    synth_put_links(&im.m, 64, H2 + 0x78, H2 + 0x78, PH + 0x78);
    assert_true(vm_wineheap_list(&im.r, 64, PH, &heaps, &n, im.snap));
    assert_int_equal(n, 2);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "points back"));
    free(heaps);
    vm_snapshot_free(im.snap);
    synth_free(&im.m);
}

static void test_heap_list_foreign_link(void **state)
{
    (void)state;
    wine_image im;
    uint64_t *heaps;
    size_t n;
    build(&im, &WINE80_X64);
    synth_put_u32(&im.m, H2 + 0xB8, 0x1234);
    assert_true(vm_wineheap_list(&im.r, 64, PH, &heaps, &n, im.snap));
    assert_int_equal(n, 1);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "is not a Wine heap"));
    free(heaps);
    vm_snapshot_free(im.snap);
    synth_free(&im.m);
}

static void test_bad_subheaps(void **state)
{
    (void)state;
    wine_image im;
    vm_winheap h;
    build(&im, &WINE80_X64);
    synth_put_u64(&im.m, SUB1 + 0x30, H2);  /* owned by another heap */
    assert_int_equal(vm_wineheap_walk(&im.r, 64, PH, &h, im.snap), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 0);  /* SUB1 comes first in the list: the walk ends there */
    assert_true(synth_has_warning(im.snap, "heap-invalid", "is not a subheap of this heap (owner 0xc00000"));
    done(&im, &h);

    build(&im, &WINE80_X64);
    synth_put_u64(&im.m, SUB1 + 0x18, UINT64_MAX / 2);  /* committed beyond the reservation */
    assert_int_equal(vm_wineheap_walk(&im.r, 64, PH, &h, im.snap), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 0);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "is not a subheap"));
    done(&im, &h);

    build(&im, &WINE80_X64);
    synth_unmap(&im.m, SUB1);
    assert_int_equal(vm_wineheap_walk(&im.r, 64, PH, &h, im.snap), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 0);
    assert_int_equal(h.nlarge, 1);
    assert_true(synth_has_warning(im.snap, "read-failed", "subheap list"));
    done(&im, &h);
}

static void test_bad_large_blocks(void **state)
{
    (void)state;
    static const struct {
        unsigned off;
        uint64_t value;
    } cases[] = {
        {0x38 + 6, 0},             /* block type not large */
        {0x28, 0},                 /* no size */
        {0x20, 0x300000},          /* data bigger than the block */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wine_image im;
        vm_winheap h;
        build(&im, &WINE80_X64);
        if (cases[i].off == 0x38 + 6)
            synth_put_u16(&im.m, BIG + cases[i].off, (uint16_t)cases[i].value);
        else
            synth_put_u64(&im.m, BIG + cases[i].off, cases[i].value);
        assert_int_equal(vm_wineheap_walk(&im.r, 64, PH, &h, im.snap), VM_WINHEAP_OK);
        assert_int_equal(h.nlarge, 0);
        assert_int_equal(h.nsegments, 2);
        assert_true(synth_has_warning(im.snap, "heap-invalid", "is not a large block"));
        done(&im, &h);
    }
}

static void test_large_block_old_magic(void **state)
{
    (void)state;
    wine_image im;
    vm_winheap h;
    build(&im, &WINE80_X64);
    synth_put_u32(&im.m, BIG + 0x38 + 4, 0x6752614C);  /* the 32-bit type of earlier versions */
    assert_int_equal(vm_wineheap_walk(&im.r, 64, PH, &h, im.snap), VM_WINHEAP_OK);
    assert_int_equal(h.nlarge, 1);
    done(&im, &h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_wine80_x64),
        cmocka_unit_test(test_valid_wine80_x86),
        cmocka_unit_test(test_valid_wine_later_x64),
        cmocka_unit_test(test_not_a_wine_heap),
        cmocka_unit_test(test_heap_list_cycle),
        cmocka_unit_test(test_heap_list_foreign_link),
        cmocka_unit_test(test_bad_subheaps),
        cmocka_unit_test(test_bad_large_blocks),
        cmocka_unit_test(test_large_block_old_magic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
