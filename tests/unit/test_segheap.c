/* Segment heap walker over synthetic memory images built from windows-internals.md §3 (offsets
 * written out again here): valid Win10 x64, Win11 x64 and Win10 x86 heaps with 3 page segments
 * over two SegContexts and a 3-node large allocation tree; and corrupt ones (tree cycles, a deep
 * degenerate chain, encoded trees, misaligned segments, list cycles) that must end with a
 * warning, bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tests/support/block_log.h"
#include "tests/support/heap_note_view.h"
#include "tests/support/synth_mem.h"
#include "vmmap/parse/segheap.h"
#include "vmmap/parse/winheap_blocks.h"

typedef struct sh_offsets {
    int bits;
    unsigned ptr, signature, tree, reserved, contexts, ctx_size, ctx_shift, ctx_heap, ctx_list;
    unsigned node_parent, node_va, node_pages;
    const char *name;
} sh_offsets;

static const sh_offsets WIN10_X64 = {64, 8, 0x10, 0x48, 0x58, 0x100, 0xC0, 0x8, 0x38, 0x48, 0x10, 0x18, 0x20, "Win10 x64"};
static const sh_offsets WIN11_X64 = {64, 8, 0x10, 0x48, 0x58, 0x140, 0xC0, 0x8, 0x38, 0x48, 0x10, 0x18, 0x20, "Win11 x64"};
static const sh_offsets WIN10_X86 = {32, 4, 0x08, 0x44, 0x4C, 0x100, 0x80, 0x4, 0x24, 0x44, 0x8, 0xC, 0x10, "Win10 x86"};
/* Windows 10 1903 (10.0.18362): SegContexts[0].Heap lands where the 2004 layout has its own. */
static const sh_offsets WIN10_1903_X64 = {64, 8, 0x10, 0x88, 0x98, 0xA8, 0x98, 0x8, 0x90, 0x20, 0x10, 0x18, 0x20,
                                          "Win10 1903 x64"};

#define HEAP 0x00B00000u
#define NODES 0x00C00000u   /* tree nodes, 0x40 apart */
#define SEG_A 0x01000000u   /* context 0: 1 MiB segments */
#define SEG_B 0x01100000u
#define SEG_C 0x05000000u   /* context 1: 16 MiB segments */
#define BIG 0x06000000u

typedef struct sh_image {
    synth_mem m;
    vm_memreader r;
    const sh_offsets *o;
    vm_snapshot *snap;
} sh_image;

static uint64_t ctx_at(const sh_image *im, int i)
{
    return HEAP + im->o->contexts + (uint64_t)i * im->o->ctx_size;
}

static void put_node(sh_image *im, uint64_t node, uint64_t left, uint64_t right, uint64_t parent,
                     uint64_t va, uint64_t pages)
{
    const sh_offsets *o = im->o;
    synth_put_ptr(&im->m, o->bits, node, left);
    synth_put_ptr(&im->m, o->bits, node + o->ptr, right);
    synth_put_ptr(&im->m, o->bits, node + o->node_parent, parent | 1);  /* Red bit set */
    synth_put_ptr(&im->m, o->bits, node + o->node_va, va);
    synth_put_ptr(&im->m, o->bits, node + o->node_pages, pages << 12 | 0x5);  /* flag bits below */
}

static void put_context(sh_image *im, int i, uint8_t shift, const uint64_t *segs, size_t n)
{
    uint64_t c = ctx_at(im, i);
    synth_put_ptr(&im->m, im->o->bits, c + im->o->ctx_heap, HEAP);
    synth_put_u8(&im->m, c + im->o->ctx_shift, shift);
    synth_put_list(&im->m, im->o->bits, c + im->o->ctx_list, segs, n);
}

static void build(sh_image *im, const sh_offsets *o)
{
    memset(im, 0, sizeof *im);
    im->o = o;
    im->snap = vm_snapshot_new();
    synth_map(&im->m, HEAP, 0x1000);
    synth_map(&im->m, NODES, 0x10000);
    synth_map(&im->m, SEG_A, 0x1000);
    synth_map(&im->m, SEG_B, 0x1000);
    synth_map(&im->m, SEG_C, 0x1000);
    im->r = synth_reader(&im->m);
    synth_put_u32(&im->m, HEAP + o->signature, 0xDDEEDDEE);
    uint64_t ctx0[] = {SEG_A, SEG_B}, ctx1[] = {SEG_C};
    put_context(im, 0, 12, ctx0, 2);
    put_context(im, 1, 16, ctx1, 1);
    /* Root N0 with children N1 (left) and N2 (right). */
    uint64_t n0 = NODES, n1 = NODES + 0x40, n2 = NODES + 0x80;
    synth_put_ptr(&im->m, o->bits, HEAP + o->tree, n0);
    synth_put_ptr(&im->m, o->bits, HEAP + o->tree + o->ptr, n1);  /* Min, not encoded */
    put_node(im, n0, n1, n2, 0, BIG + 0x123, 0x20);
    put_node(im, n1, 0, 0, n0, BIG + 0x100000, 0x10);
    put_node(im, n2, 0, 0, n0, BIG + 0x200000 + 0xFFFF, 0x100);
    synth_put_ptr(&im->m, o->bits, HEAP + o->reserved, 0x200);
}

static void done(sh_image *im, vm_winheap *h)
{
    vm_winheap_free(h);
    vm_snapshot_free(im->snap);
    synth_free(&im->m);
}

static vm_winheap_status walk(sh_image *im, vm_winheap *h)
{
    return vm_segheap_walk(&im->r, im->o->bits, HEAP, 0, h, im->snap);
}

static void check_valid(const sh_offsets *o, uint32_t build_no)
{
    sh_image im;
    vm_winheap h;
    build(&im, o);
    assert_true(vm_segheap_probe(&im.r, o->bits, HEAP));
    assert_int_equal(vm_segheap_walk(&im.r, o->bits, HEAP, build_no, &h, im.snap), VM_WINHEAP_OK);
    assert_string_equal(h.kind, "segment");
    assert_string_equal(h.layout, o->name);
    assert_true(h.has_header);
    assert_int_equal(h.header.address, HEAP);
    assert_int_equal(h.nsegments, 3);
    assert_int_equal(h.segments[0].address, SEG_A);
    assert_int_equal(h.segments[0].size, 0x100000);
    assert_false(h.segments[0].committed_known);
    assert_int_equal(h.segments[1].address, SEG_B);
    assert_int_equal(h.segments[2].address, SEG_C);
    assert_int_equal(h.segments[2].size, 0x1000000);
    assert_int_equal(h.nlarge, 3);
    /* Depth first, left before right; low 16 bits of VirtualAddress dropped. */
    assert_int_equal(h.large[0].address, BIG);
    assert_int_equal(h.large[0].size, 0x20000);
    assert_int_equal(h.large[1].address, BIG + 0x100000);
    assert_int_equal(h.large[1].size, 0x10000);
    assert_int_equal(h.large[2].address, BIG + 0x200000);
    assert_int_equal(h.large[2].size, 0x100000);
    assert_int_equal(im.snap->nwarnings, 0);

    assert_true(vm_winheap_append(im.snap, &h, 1, NULL));
    const vm_heap *vh = &im.snap->heaps[0];
    assert_string_equal(vh->kind, "segment");
    assert_int_equal(vh->nparts, 7);
    const char *names[] = {"heap", "segment 0", "segment 1", "segment 2", "large block", "large block", "large block"};
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(vh->parts[i].what, names[i]);
    done(&im, &h);
}

/* The block walk: each large allocation one busy block (its pages; asked for: the pages less the
 * UnusedBytes in VirtualAddress's low bits); the page segments' blocks said not counted. */
static void check_blocks(const sh_offsets *o)
{
    sh_image im;
    block_log l = {0};
    vm_winheap_walk_info info;
    build(&im, o);
    assert_true(vm_winheap_blocks(&im.r, o->bits, HEAP, 0, 4, block_log_visit, &l, im.snap, &info));
    assert_string_equal(info.kind, "segment");
    assert_false(info.complete);
    assert_non_null(strstr(info.not_counted, "VS and LFH blocks of the segment heap's 3 page segments not counted"));
    /* ...and so say the snapshot's walk_note and `vmmap heaps` */
    char why[4096];
    if (!hn_note_reaches_view(&im.r, o->bits, NULL, "segment", HEAP, "VS and LFH blocks of the segment heap's 3 page "
                              "segments not counted", why, sizeof why))
        fail_msg("%s", why);
    assert_int_equal(im.snap->nwarnings, 0);
    assert_int_equal(l.n, 3);
    const uint64_t addr[] = {BIG, BIG + 0x100000, BIG + 0x200000}, size[] = {0x20000, 0x10000, 0x100000};
    const uint64_t asked[] = {0x20000 - 0x123, 0x10000, 0x100000 - 0xFFFF};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(l.blocks[i].address, addr[i]);
        assert_int_equal(l.blocks[i].size, size[i]);
        assert_int_equal(l.blocks[i].user, addr[i]);
        assert_int_equal(l.blocks[i].user_size, asked[i]);
        assert_int_equal(l.blocks[i].state, VM_HBLOCK_BUSY);
        assert_int_equal(l.blocks[i].heap_id, 4);
    }
    block_log_free(&l);
    vm_snapshot_free(im.snap);
    synth_free(&im.m);
}

static void test_blocks_win10_x64(void **state) { (void)state; check_blocks(&WIN10_X64); }
static void test_blocks_win10_x86(void **state) { (void)state; check_blocks(&WIN10_X86); }
static void test_blocks_win10_1903_x64(void **state) { (void)state; check_blocks(&WIN10_1903_X64); }

static void test_valid_win10_x64(void **state) { (void)state; check_valid(&WIN10_X64, 0); }
static void test_valid_win11_x64(void **state) { (void)state; check_valid(&WIN11_X64, 0); }
static void test_valid_win10_x86(void **state) { (void)state; check_valid(&WIN10_X86, 0); }
static void test_valid_win10_1903_x64(void **state) { (void)state; check_valid(&WIN10_1903_X64, 0); }
static void test_valid_by_build(void **state)
{
    (void)state;
    check_valid(&WIN10_X64, 19045);
    check_valid(&WIN11_X64, 22631);
    check_valid(&WIN10_1903_X64, 18362);
    check_valid(&WIN10_1903_X64, 19045);  /* a later build, the older layout in memory: found all the same */
}

static void test_wrong_signature_and_unreadable(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X64);
    synth_put_u32(&im.m, HEAP + 0x10, 0xFFEEFFEE);
    assert_false(vm_segheap_probe(&im.r, 64, HEAP));
    assert_int_equal(walk(&im, &h), VM_WINHEAP_NOT_THIS);
    assert_int_equal(vm_segheap_walk(&im.r, 64, 0x9000000, 0, &h, im.snap), VM_WINHEAP_UNREADABLE);
    done(&im, &h);
}

static void test_no_layout_matches(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X64);
    synth_put_u64(&im.m, ctx_at(&im, 0) + 0x38, 0);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_true(h.has_header);
    assert_int_equal(h.nsegments, 0);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "no known layout"));
    done(&im, &h);
}

static void test_context_checks(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X64);
    synth_put_u64(&im.m, ctx_at(&im, 1) + 0x38, 0x1234000);  /* context 1 owned by another heap */
    synth_put_u8(&im.m, ctx_at(&im, 0) + 0x8, 40);           /* context 0 UnitShift absurd */
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 0);
    assert_int_equal(h.nlarge, 3);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "SegContexts[1] at"));
    assert_true(synth_has_warning(im.snap, "heap-invalid", "SegContexts[0]: UnitShift"));
    done(&im, &h);
}

static void test_misaligned_segment(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X86);
    uint64_t segs[] = {SEG_A, SEG_B + 0x800};
    synth_put_links(&im.m, 32, SEG_B + 0x800, 0, 0);
    put_context(&im, 0, 12, segs, 2);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 2);  /* SEG_A, then context 1's SEG_C */
    assert_true(synth_has_warning(im.snap, "heap-invalid", "is not a segment (not aligned to 0x100000)"));
    done(&im, &h);
}

static void test_segment_list_cycle(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X64);
    synth_put_links(&im.m, 64, SEG_B, SEG_A, SEG_A);  /* SEG_B -> SEG_A again */
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 3);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "points back"));
    done(&im, &h);
}

static void test_tree_cycle(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X64);
    /* N2's right child is the root again. */
    synth_put_u64(&im.m, NODES + 0x80 + 8, NODES);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_true(h.nlarge <= 3);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "names parent"));
    done(&im, &h);
}

static void test_tree_same_children(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X64);
    synth_put_u64(&im.m, NODES + 8, NODES + 0x40);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nlarge, 0);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "same left and right child"));
    done(&im, &h);
}

static void test_tree_deep_chain(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X86);
    /* A degenerate chain of 200 right children: consistent parents, too deep to be an RB tree. */
    for (uint64_t i = 0; i < 200; i++) {
        uint64_t node = NODES + i * 0x40;
        put_node(&im, node, 0, i + 1 < 200 ? node + 0x40 : 0, i ? node - 0x40 : 0, BIG + i * 0x10000, 1);
    }
    synth_put_u32(&im.m, HEAP + 0x44, NODES);
    synth_put_u32(&im.m, HEAP + 0x4C, 1000);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nlarge, VM_SEGHEAP_MAX_DEPTH);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "deeper than 64 levels"));
    done(&im, &h);
}

static void test_tree_bad_nodes(void **state)
{
    (void)state;
    static const struct {
        unsigned off;
        uint64_t value;
        const char *why;
    } cases[] = {
        {0x18, 0xFFFF, "holds no allocation"},        /* N1 VirtualAddress 0 after masking */
        {0x20, 0, "holds no allocation"},             /* N1 no pages */
        {0x00, 0x7000000, "cannot be read"},          /* N1 left child unmapped */
        {0x08, NODES + 0x83, "is misaligned"},        /* N1 right child misaligned */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sh_image im;
        vm_winheap h;
        build(&im, &WIN10_X64);
        synth_put_u64(&im.m, NODES + 0x40 + cases[i].off, cases[i].value);
        assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
        assert_true(h.nlarge <= 2);
        assert_true(synth_has_warning(im.snap, "heap-invalid", cases[i].why));
        done(&im, &h);
    }
}

static void test_tree_encoded_and_totals(void **state)
{
    (void)state;
    sh_image im;
    vm_winheap h;
    build(&im, &WIN10_X64);
    synth_put_u64(&im.m, HEAP + 0x48 + 8, NODES + 0x41);  /* Min with Encoded bit */
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nlarge, 0);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "encoded"));
    done(&im, &h);

    build(&im, &WIN10_X64);
    synth_put_u64(&im.m, HEAP + 0x58, 0x10);  /* fewer reserved pages than the tree holds */
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nlarge, 3);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "LargeReservedPages says 0x10"));
    done(&im, &h);

    build(&im, &WIN10_X64);
    synth_unmap(&im.m, NODES);
    synth_put_u64(&im.m, HEAP + 0x48, 0);  /* empty tree */
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nlarge, 0);
    assert_int_equal(im.snap->nwarnings, 0);
    done(&im, &h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_win10_x64),
        cmocka_unit_test(test_valid_win11_x64),
        cmocka_unit_test(test_valid_win10_x86),
        cmocka_unit_test(test_valid_win10_1903_x64),
        cmocka_unit_test(test_valid_by_build),
        cmocka_unit_test(test_wrong_signature_and_unreadable),
        cmocka_unit_test(test_no_layout_matches),
        cmocka_unit_test(test_context_checks),
        cmocka_unit_test(test_misaligned_segment),
        cmocka_unit_test(test_segment_list_cycle),
        cmocka_unit_test(test_tree_cycle),
        cmocka_unit_test(test_tree_same_children),
        cmocka_unit_test(test_tree_deep_chain),
        cmocka_unit_test(test_tree_bad_nodes),
        cmocka_unit_test(test_tree_encoded_and_totals),
        cmocka_unit_test(test_blocks_win10_x64),
        cmocka_unit_test(test_blocks_win10_x86),
        cmocka_unit_test(test_blocks_win10_1903_x64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
