/* NT heap block walker (vm_winheap_blocks on an NT heap) over synthetic memory images built from
 * the layout tables (windows-internals.md §2; _HEAP_SEGMENT, _HEAP_UCR_DESCRIPTOR,
 * _HEAP_SUBSEGMENT, _HEAP_USERDATA_HEADER, _HEAP_VIRTUAL_ALLOC_ENTRY as in docs/testing-windows.md;
 * offsets written out again here): encoded and plain entries, uncommitted ranges, LFH user blocks
 * with bitmaps and encoded offsets (Windows 8+: slot states from the bitmap) or without (Windows
 * 7: from the slots' headers), VirtualAlloc'd blocks,
 * x64 and x86 of both; a lookaside or unknown front end said in the heap's note (which reaches the
 * snapshot and `vmmap heaps`);
 * then a corrupted checksum, a size running past the segment, a PreviousSize that lies, list
 * cycles.  Exact blocks where valid, a warning and a bounded walk where not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tests/support/block_log.h"
#include "tests/support/heap_note_view.h"
#include "tests/support/synth_mem.h"
#include "vmmap/parse/winheap_blocks.h"

typedef struct nt_offsets {
    int bits;
    unsigned ptr, unit, entry_len, raw;
    /* _HEAP / _HEAP_SEGMENT */
    unsigned seg_sig, seg_entry, seg_heap, seg_base, seg_pages, seg_first, seg_last, seg_ucp, seg_nucr, seg_ucr;
    unsigned encode_mask, encoding, signature, valloc, seglist;
    /* _HEAP_UCR_DESCRIPTOR, _HEAP_VIRTUAL_ALLOC_ENTRY */
    unsigned ucr_entry, ucr_address, ucr_size, va_commit, va_reserve, va_busy, va_len;
    /* _HEAP_SUBSEGMENT, _HEAP_USERDATA_HEADER */
    bool win7;
    unsigned sub_user_blocks, sub_block_size, sub_block_count;
    unsigned ud_signature, ud_encoded, ud_bitmap_size, ud_bitmap_buffer, ud_bitmap_data, bitmap_word, ud_len;
} nt_offsets;

static const nt_offsets WIN10_X64 = {
    64, 8, 16, 16, 8,
    0x10, 0x18, 0x28, 0x30, 0x38, 0x40, 0x48, 0x50, 0x54, 0x60,
    0x7C, 0x88, 0x98, 0x110, 0x120,
    0x10, 0x20, 0x28, 0x20, 0x28, 0x30, 0x40,
    false, 0x08, 0x24, 0x28,
    0x14, 0x18, 0x20, 0x28, 0x30, 8, 0x38,
};
static const nt_offsets WIN10_X86 = {
    32, 4, 8, 8, 0,
    0x08, 0x10, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x30, 0x38,
    0x4C, 0x50, 0x60, 0x9C, 0xA4,
    0x08, 0x10, 0x14, 0x10, 0x14, 0x18, 0x20,
    false, 0x04, 0x14, 0x18,
    0x0C, 0x10, 0x14, 0x18, 0x1C, 4, 0x20,
};
static const nt_offsets WIN7_X86 = {
    32, 4, 8, 8, 0,
    0x08, 0x10, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x30, 0x38,
    0x4C, 0x50, 0x64, 0xA0, 0xA8,
    0x08, 0x10, 0x14, 0x10, 0x14, 0x18, 0x20,
    true, 0x04, 0x10, 0x14,
    0x0C, 0, 0, 0, 0, 0, 0x10,
};
static const nt_offsets WIN7_X64 = {
    64, 8, 16, 16, 8,
    0x10, 0x18, 0x28, 0x30, 0x38, 0x40, 0x48, 0x50, 0x54, 0x60,
    0x7C, 0x88, 0xA0, 0x118, 0x128,
    0x10, 0x20, 0x28, 0x20, 0x28, 0x30, 0x40,
    true, 0x08, 0x18, 0x1C,
    0x18, 0, 0, 0, 0, 0, 0x20,
};

#define HEAP 0x00A00000u
#define SEG1 0x01000000u
#define BIG 0x03000000u
#define UCRS 0x04000000u     /* the UCR descriptors */
#define SUBS 0x05000000u     /* the LFH subsegments */
#define RUN 0x10000u         /* the heap segment: committed 64 KiB, uncommitted 64 KiB, committed 64 KiB, rest uncommitted */
#define HEAP_PAGES 0x100u
#define SEG1_PAGES 0x10u
#define LFH_KEY 0x3C5A1E77u  /* LFH heap address ^ RtlpLFHKey, as the image's "ntdll" chose it */
#define STRIDE_UNITS 4u      /* LFH slots of 4 units */
#define SLOTS 10u

static const uint8_t KEY[8] = {0x5a, 0x13, 0xc7, 0x21, 0x99, 0x04, 0xee, 0x71};

typedef struct nt_image {
    synth_mem m;
    vm_memreader r;
    const nt_offsets *o;
    bool encoded;
    vm_snapshot *snap;
} nt_image;

static block_expect EXPECT[64];
static size_t NEXPECT;

static void expect(uint64_t address, uint64_t size, uint64_t user, uint64_t user_size, vm_hblock_state st)
{
    EXPECT[NEXPECT++] = (block_expect){address, size, user, user_size, st};
}

/* A _HEAP_ENTRY at e: size in bytes, flags (1 busy, 0x10 last), previous size in bytes,
 * UnusedBytes; encoded with KEY when the heap is, the checksum byte made right. */
static void put_entry(nt_image *im, uint64_t e, uint64_t size, uint8_t flags, uint64_t prev, uint8_t unused)
{
    const nt_offsets *o = im->o;
    uint16_t units = (uint16_t)(size / o->unit), prev_units = (uint16_t)(prev / o->unit);
    uint8_t h[8] = {(uint8_t)units, (uint8_t)(units >> 8), flags, 0, (uint8_t)prev_units, (uint8_t)(prev_units >> 8), 0,
                    unused};
    h[3] = (uint8_t)(h[0] ^ h[1] ^ h[2]);
    for (int i = 0; i < 8 && im->encoded; i++)
        h[i] ^= KEY[i];
    synth_put(&im->m, e + o->raw, h, 8);
}

/* An LFH slot header: only UnusedBytes matters (0x80 marker, unused count when busy). */
static void put_slot(nt_image *im, uint64_t at, uint8_t unused)
{
    synth_put_u8(&im->m, at + im->o->raw + 7, unused);
}

/* An LFH user block in the busy entry at e: SLOTS slots of STRIDE_UNITS units from `first` bytes
 * into the data, slot i busy when i % 3 != 0 (unused 8 + i).  The subsegment is number sub. */
static uint64_t put_user_block(nt_image *im, uint64_t e, unsigned sub, uint64_t first, bool expected)
{
    const nt_offsets *o = im->o;
    uint64_t user = e + o->entry_len, subseg = SUBS + sub * 0x40, stride = STRIDE_UNITS * o->unit;
    synth_put_ptr(&im->m, o->bits, user, subseg);
    synth_put_u32(&im->m, user + o->ud_signature, 0xF0E0D0C0);
    synth_put_ptr(&im->m, o->bits, subseg + o->sub_user_blocks, user);
    synth_put_u16(&im->m, subseg + o->sub_block_size, STRIDE_UNITS);
    synth_put_u16(&im->m, subseg + o->sub_block_count, SLOTS);
    if (expected)  /* the entry header, _HEAP_USERDATA_HEADER, bitmap, padding */
        expect(e, user + first - e, 0, 0, VM_HBLOCK_OVERHEAD);
    if (!o->win7) {
        synth_put_u32(&im->m, user + o->ud_encoded, (uint32_t)(first | stride << 16) ^ (uint32_t)user ^ LFH_KEY);
        synth_put_ptr(&im->m, o->bits, user + o->ud_bitmap_size, SLOTS);
        synth_put_ptr(&im->m, o->bits, user + o->ud_bitmap_buffer, user + o->ud_bitmap_data);
        uint32_t bits = 0;
        for (unsigned i = 0; i < SLOTS; i++)
            bits |= (i % 3 ? 1u : 0u) << i;
        synth_put_u32(&im->m, user + o->ud_bitmap_data, bits);
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        uint64_t at = user + first + i * stride;
        bool busy = i % 3 != 0;
        put_slot(im, at, busy ? (uint8_t)(0x80 | (8 + i)) : 0x80);
        if (expected)
            expect(at, stride, at + o->entry_len, busy ? stride - (8 + i) : 0, busy ? VM_HBLOCK_BUSY : VM_HBLOCK_FREE);
    }
    return first + SLOTS * stride;  /* the tests' user blocks end with their last slot: no tail */
}

static void put_segment_header(nt_image *im, uint64_t seg, uint32_t pages, uint32_t uncommitted, uint32_t nucr,
                               uint64_t first)
{
    const nt_offsets *o = im->o;
    synth_put_u32(&im->m, seg + o->seg_sig, 0xFFEEFFEE);
    synth_put_ptr(&im->m, o->bits, seg + o->seg_heap, HEAP);
    synth_put_ptr(&im->m, o->bits, seg + o->seg_base, seg);
    synth_put_u32(&im->m, seg + o->seg_pages, pages);
    synth_put_ptr(&im->m, o->bits, seg + o->seg_first, first);
    synth_put_ptr(&im->m, o->bits, seg + o->seg_last, seg + (uint64_t)pages * 0x1000);
    synth_put_u32(&im->m, seg + o->seg_ucp, uncommitted);
    synth_put_u32(&im->m, seg + o->seg_nucr, nucr);
}

static void put_ucr(nt_image *im, unsigned i, uint64_t address, uint64_t size)
{
    const nt_offsets *o = im->o;
    uint64_t d = UCRS + i * 0x40;
    synth_put_ptr(&im->m, o->bits, d + o->ucr_address, address);
    synth_put_ptr(&im->m, o->bits, d + o->ucr_size, size);
}

/* The valid heap every test starts from. */
static void build(nt_image *im, const nt_offsets *o, bool encoded)
{
    memset(im, 0, sizeof *im);
    im->o = o;
    im->encoded = encoded;
    im->snap = vm_snapshot_new();
    NEXPECT = 0;
    synth_map(&im->m, HEAP, RUN);
    synth_map(&im->m, HEAP + 2 * RUN, RUN);
    synth_map(&im->m, SEG1, 0x2000);
    synth_map(&im->m, BIG, 0x1000);
    synth_map(&im->m, UCRS, 0x1000);
    synth_map(&im->m, SUBS, 0x1000);
    im->r = synth_reader(&im->m);

    synth_put_u32(&im->m, HEAP + o->signature, 0xEEFFEEFF);
    synth_put_u32(&im->m, HEAP + o->encode_mask, encoded ? 0x100000 : 0);
    if (encoded)
        synth_put(&im->m, HEAP + o->encoding, KEY, 8);
    uint64_t first = HEAP + 0x800;
    put_segment_header(im, HEAP, HEAP_PAGES, HEAP_PAGES - 2 * RUN / 0x1000, 2, first);
    put_ucr(im, 0, HEAP + RUN, RUN);
    put_ucr(im, 1, HEAP + 3 * RUN, HEAP_PAGES * 0x1000 - 3 * RUN);
    uint64_t ucrs[] = {UCRS + o->ucr_entry, UCRS + 0x40 + o->ucr_entry};
    synth_put_list(&im->m, o->bits, HEAP + o->seg_ucr, ucrs, 2);

    /* First committed run, after the _HEAP (segment 0's header). */
    const uint64_t u = o->unit, hl = o->entry_len;
    uint64_t e = first, prev = 0;
    expect(HEAP, first - HEAP, 0, 0, VM_HBLOCK_OVERHEAD);
    put_entry(im, e, 3 * u, 1, prev, 0x18);
    expect(e, 3 * u, e + hl, 3 * u - 0x18, VM_HBLOCK_BUSY);
    prev = 3 * u, e += prev;
    put_entry(im, e, 16 * u, 0, prev, 0);
    expect(e, 16 * u, e + hl, 0, VM_HBLOCK_FREE);
    prev = 16 * u, e += prev;
    /* An LFH user block whose slots start past some padding: found by probing; derives the key. */
    uint64_t ub_first = (o->ud_len + 0x20) / u * u;
    uint64_t ub = (hl + put_user_block(im, e, 0, ub_first, false) + u - 1) / u * u;
    put_entry(im, e, ub, 1, prev, 0x08);
    put_user_block(im, e, 0, ub_first, true);
    prev = ub, e += prev;
    put_entry(im, e, 4 * u, 1, prev, 0x10);
    expect(e, 4 * u, e + hl, 4 * u - 0x10, VM_HBLOCK_BUSY);
    prev = 4 * u, e += prev;
    put_entry(im, e, HEAP + RUN - e, 0x10, prev, 0);  /* free to the uncommitted range, last entry */
    expect(e, HEAP + RUN - e, e + hl, 0, VM_HBLOCK_FREE);

    /* Second committed run, after the first uncommitted range. */
    e = HEAP + 2 * RUN, prev = 0;
    put_entry(im, e, 0x20 * u, 1, 0x1234 * u, 0x20);  /* PreviousSize is not checked across a UCR */
    expect(e, 0x20 * u, e + hl, 0x20 * u - 0x20, VM_HBLOCK_BUSY);
    prev = 0x20 * u, e += prev;
    uint64_t ub2_first = o->win7 ? o->ud_len : (o->ud_len + 0x18 + u - 1) / u * u;
    uint64_t ub2 = (hl + put_user_block(im, e, 1, ub2_first, false) + u - 1) / u * u;
    put_entry(im, e, ub2, 1, prev, 0x08);
    put_user_block(im, e, 1, ub2_first, true);
    prev = ub2, e += prev;
    put_entry(im, e, HEAP + 3 * RUN - e, 0x10, prev, 0);
    expect(e, HEAP + 3 * RUN - e, e + hl, 0, VM_HBLOCK_FREE);

    /* A second segment, fully committed: busy, free. */
    uint64_t s1 = SEG1 + 0x100;
    put_segment_header(im, SEG1, SEG1_PAGES, 0, 0, s1);
    synth_put_list(&im->m, o->bits, SEG1 + o->seg_ucr, NULL, 0);
    synth_map(&im->m, SEG1 + 0x2000, SEG1_PAGES * 0x1000 - 0x2000);
    expect(SEG1, s1 - SEG1, 0, 0, VM_HBLOCK_OVERHEAD);
    put_entry(im, s1, 0x100 * u, 1, 0, 0x40);
    expect(s1, 0x100 * u, s1 + hl, 0x100 * u - 0x40, VM_HBLOCK_BUSY);
    put_entry(im, s1 + 0x100 * u, SEG1 + SEG1_PAGES * 0x1000 - (s1 + 0x100 * u), 0x10, 0x100 * u, 0);
    expect(s1 + 0x100 * u, SEG1 + SEG1_PAGES * 0x1000 - (s1 + 0x100 * u), s1 + 0x100 * u + hl, 0, VM_HBLOCK_FREE);
    uint64_t segs[] = {HEAP + o->seg_entry, SEG1 + o->seg_entry};
    synth_put_list(&im->m, o->bits, HEAP + o->seglist, segs, 2);

    /* A VirtualAlloc'd block: 0x21000 committed, its BusyBlock's Size field the unused bytes. */
    synth_put_ptr(&im->m, o->bits, BIG + o->va_commit, 0x21000);
    synth_put_ptr(&im->m, o->bits, BIG + o->va_reserve, 0x30000);
    {
        uint8_t h[8] = {0x40, 0x0F, 1, 0, 0, 0, 0, 0};  /* unused bytes 0xF40 */
        h[3] = (uint8_t)(h[0] ^ h[1] ^ h[2]);
        for (int i = 0; i < 8 && im->encoded; i++)
            h[i] ^= KEY[i];
        synth_put(&im->m, BIG + o->va_busy + o->raw, h, 8);
    }
    uint64_t bigs[] = {BIG};
    synth_put_list(&im->m, o->bits, HEAP + o->valloc, bigs, 1);
    expect(BIG, 0x21000, BIG + o->va_len, 0x21000 - 0xF40, VM_HBLOCK_BUSY);
}

static void done(nt_image *im, block_log *l)
{
    block_log_free(l);
    vm_snapshot_free(im->snap);
    synth_free(&im->m);
}

static bool walk(nt_image *im, block_log *l, vm_winheap_walk_info *info)
{
    memset(l, 0, sizeof *l);
    return vm_winheap_blocks(&im->r, im->o->bits, HEAP, 0, 3, block_log_visit, l, im->snap, info);
}

static void expect_blocks(const block_log *l, size_t from, size_t n, size_t at)
{
    char why[320];
    if (!block_log_matches(l, at, EXPECT + from, n, 3, why, sizeof why))
        fail_msg("%s", why);
}

/* Walks and expects exactly EXPECT's blocks. */
static void walk_all(nt_image *im, block_log *l, vm_winheap_walk_info *info)
{
    assert_true(walk(im, l, info));
    assert_int_equal(l->n, NEXPECT);
    expect_blocks(l, 0, NEXPECT, 0);
}

/* ---- valid heaps ---- */

static void check_valid(const nt_offsets *o, bool encoded)
{
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, o, encoded);
    walk_all(&im, &l, &info);
    assert_string_equal(info.kind, "NT");
    assert_string_equal(info.not_counted, "");
    assert_true(info.complete);
    assert_int_equal(im.snap->nwarnings, 0);
    /* 2 x 10 slots (6 busy, 4 free each), 5 busy and 5 free back-end entries, 1 large block */
    assert_int_equal(l.count[VM_HBLOCK_BUSY], 12 + 4 + 1);
    assert_int_equal(l.count[VM_HBLOCK_FREE], 8 + 4);
    assert_int_equal(l.count[VM_HBLOCK_CACHED], 0);
    assert_int_equal(l.count[VM_HBLOCK_OVERHEAD], 2 + 2);  /* two segment headers, two user block headers */
    /* Every committed byte is a block or overhead. */
    assert_int_equal(l.bytes[VM_HBLOCK_BUSY] + l.bytes[VM_HBLOCK_FREE] + l.bytes[VM_HBLOCK_OVERHEAD],
                     2 * RUN + SEG1_PAGES * 0x1000 + 0x21000);
    done(&im, &l);
}

static void test_win10_x64_encoded(void **state) { (void)state; check_valid(&WIN10_X64, true); }
static void test_win10_x64_plain(void **state) { (void)state; check_valid(&WIN10_X64, false); }
static void test_win10_x86_encoded(void **state) { (void)state; check_valid(&WIN10_X86, true); }
static void test_win7_x64_encoded(void **state) { (void)state; check_valid(&WIN7_X64, true); }
static void test_win7_x86_encoded(void **state) { (void)state; check_valid(&WIN7_X86, true); }

/* What the walk could not count reaches the snapshot's walk_note and `vmmap heaps`. */
static void expect_note_shown(nt_image *im, const char *os, const char *needle)
{
    char why[4096];
    if (!hn_note_reaches_view(&im->r, im->o->bits, os, "NT", HEAP, needle, why, sizeof why))
        fail_msg("%s", why);
}

/* ---- front ends ---- */

/* The lookaside front end (FrontEndHeapType 1, the Windows 7 layout's at 0x182 x64 / 0xDA x86) is
 * not read: the blocks are the back end's, exactly, and the heap's note says its lists were not
 * looked at; never silently busy. */
static void check_lookaside(const nt_offsets *o, uint16_t fe_offset)
{
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, o, true);
    synth_put_u8(&im.m, HEAP + fe_offset, 1);
    walk_all(&im, &l, &info);
    assert_false(info.complete);
    assert_non_null(strstr(info.not_counted, "the lookaside front end (FrontEndHeapType 1) is not read: blocks on its "
                                             "lists are counted busy"));
    expect_note_shown(&im, "Windows 6.1.7601", "lookaside front end (FrontEndHeapType 1) is not read");
    done(&im, &l);
}

static void test_lookaside_win7_x64(void **state) { (void)state; check_lookaside(&WIN7_X64, 0x182); }
static void test_lookaside_win7_x86(void **state) { (void)state; check_lookaside(&WIN7_X86, 0xDA); }

/* A FrontEndHeapType the walker does not know (at the build's own offset, 0x1A2 on 10.0.19041+):
 * said, with its value. */
static void test_unknown_front_end(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, &WIN10_X64, true);
    synth_put_u8(&im.m, HEAP + 0x1A2, 7);
    memset(&l, 0, sizeof l);
    assert_true(vm_winheap_blocks(&im.r, 64, HEAP, 19045, 3, block_log_visit, &l, im.snap, &info));
    assert_false(info.complete);
    assert_non_null(strstr(info.not_counted, "the front end is unknown (FrontEndHeapType 7)"));
    assert_int_equal(l.n, NEXPECT);
    expect_note_shown(&im, "Windows 10.0.19045", "the front end is unknown (FrontEndHeapType 7)");
    /* LFH (2) and none (0) are what the walk reads: nothing said */
    for (uint8_t t = 0; t <= 2; t += 2) {
        synth_put_u8(&im.m, HEAP + 0x1A2, t);
        block_log_free(&l);
        memset(&l, 0, sizeof l);
        assert_true(vm_winheap_blocks(&im.r, 64, HEAP, 19045, 3, block_log_visit, &l, im.snap, &info));
        assert_true(info.complete);
        assert_string_equal(info.not_counted, "");
    }
    done(&im, &l);
}

/* The second user block's slots can only be found through the key the first one gave: the LFH
 * marker is also on every slot of a wrong, earlier layout (the probe would take that one). */
static void test_lfh_key_decodes(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    const nt_offsets *o = &WIN10_X64;
    build(&im, o, true);
    /* The second user block's slots start one unit past the first offset the probe tries (the
     * end of header and bitmap, 0x40): mark a decoy layout there. */
    uint64_t e2 = HEAP + 2 * RUN + 0x20 * o->unit, user = e2 + o->entry_len;
    uint64_t true_first = (o->ud_len + 0x18 + o->unit - 1) / o->unit * o->unit;
    uint64_t decoy = true_first - o->unit;
    assert_int_equal(decoy, 0x40);
    for (unsigned i = 0; i < SLOTS; i++)
        put_slot(&im, user + decoy + i * STRIDE_UNITS * o->unit, 0x81);
    /* ...which also overwrote the true slots' last data bytes: harmless. */
    assert_true(walk(&im, &l, &info));
    assert_true(info.complete);
    assert_int_equal(im.snap->nwarnings, 0);
    assert_int_equal(l.n, NEXPECT);
    expect_blocks(&l, 0, NEXPECT, 0);
    done(&im, &l);
}

/* A user block whose slots cannot be found (no marker anywhere): one busy block, and said. */
static void test_lfh_not_found(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    const nt_offsets *o = &WIN10_X64;
    build(&im, o, true);
    uint64_t e1 = HEAP + 0x800 + 19 * o->unit, user = e1 + o->entry_len;
    uint64_t first = (o->ud_len + 0x20) / o->unit * o->unit;
    for (unsigned i = 0; i < SLOTS; i++)
        put_slot(&im, user + first + i * STRIDE_UNITS * o->unit, 0x00);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_non_null(strstr(info.not_counted, "LFH blocks of 1 user block not counted"));
    expect_note_shown(&im, NULL, "LFH blocks of 1 user block not counted");
    /* The first user block is one busy block (no overhead, no slots); the second is still
     * decoded (its slots probed). */
    assert_int_equal(l.n, NEXPECT - SLOTS);
    expect_blocks(&l, 0, 3, 0);
    assert_int_equal(l.blocks[3].address, e1);
    assert_int_equal(l.blocks[3].state, VM_HBLOCK_BUSY);
    expect_blocks(&l, 4 + SLOTS, NEXPECT - 4 - SLOTS, 4);
    done(&im, &l);
}

/* Windows 8+: a slot's state is its BusyBitmap bit, the allocator's record.  Two slots whose
 * headers say otherwise (slot 0 free by its header, busy by its bit; slot 1 the other way): counted
 * as the bitmap says, the busy one's requested size unknown, and a warning. */
static void test_lfh_bitmap_decides(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    const nt_offsets *o = &WIN10_X64;
    build(&im, o, true);
    uint64_t user = HEAP + 0x800 + 19 * o->unit + o->entry_len;
    assert_int_equal(EXPECT[3].address + EXPECT[3].size, EXPECT[4].address);  /* slot 0 of that block */
    uint32_t bits = 0;
    for (unsigned i = 0; i < SLOTS; i++)
        bits |= (i % 3 ? 1u : 0u) << i;
    synth_put_u32(&im.m, user + o->ud_bitmap_data, bits ^ 3u);
    EXPECT[4].state = VM_HBLOCK_BUSY;
    EXPECT[4].user_size = 0;
    EXPECT[5].state = VM_HBLOCK_FREE;
    EXPECT[5].user_size = 0;
    walk_all(&im, &l, &info);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "2 LFH slots whose busy bit and header disagree"));
    done(&im, &l);
}

/* A bitmap that cannot be believed (its Buffer unreadable; SizeOfBitMap fewer bits than slots):
 * the slots' states come from their headers, and a warning says so. */
static void test_lfh_bitmap_unreadable(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    const nt_offsets *o = &WIN10_X64;
    build(&im, o, true);
    uint64_t user1 = HEAP + 0x800 + 19 * o->unit + o->entry_len;
    uint64_t user2 = HEAP + 2 * RUN + 0x20 * o->unit + o->entry_len;
    synth_put_ptr(&im.m, o->bits, user1 + o->ud_bitmap_buffer, 0x0BAD0000);
    synth_put_ptr(&im.m, o->bits, user2 + o->ud_bitmap_size, SLOTS - 1);
    walk_all(&im, &l, &info);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "2 LFH user blocks whose busy bitmap cannot be read"));
    done(&im, &l);
}

/* ---- damaged heaps ---- */

/* The entry after the first LFH user block (the busy 4-unit one): the heap's header, two
 * entries, the user block's header, its slots. */
static uint64_t fourth_entry(const nt_offsets *o)
{
    assert_int_equal(EXPECT[4 + SLOTS].size, 4 * o->unit);
    return EXPECT[4 + SLOTS].address;
}

/* A damaged entry in the first run: the blocks before it are counted, the segment's walk ends
 * there with a warning, the second segment and the large block are still counted. */
static void check_damaged(uint64_t (*damage)(nt_image *), const char *needle)
{
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    const nt_offsets *o = &WIN10_X64;
    build(&im, o, true);
    uint64_t at = damage(&im);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_true(synth_has_warning(im.snap, "heap-invalid", needle));
    size_t before = 0;
    while (EXPECT[before].address < at)
        before++;
    assert_int_equal(l.n, before + 4);
    expect_blocks(&l, 0, before, 0);
    expect_blocks(&l, NEXPECT - 4, 4, before);  /* SEG1's header and entries, the large block */
    expect_note_shown(&im, NULL, "blocks after a damaged entry not counted");
    done(&im, &l);
}

static uint64_t damage_checksum(nt_image *im)
{
    uint64_t e = fourth_entry(im->o);
    synth_put_u8(&im->m, e + im->o->raw + 3, 0x77);  /* the checksum byte, still encoded */
    return e;
}

static uint64_t damage_size(nt_image *im)
{
    uint64_t e = fourth_entry(im->o);
    put_entry(im, e, 0x2000 * im->o->unit, 1, 2 * 0x1000, 0x10);  /* into the uncommitted range */
    return e;
}

static uint64_t damage_prev(nt_image *im)
{
    uint64_t e = fourth_entry(im->o);
    put_entry(im, e, 4 * im->o->unit, 1, 7 * im->o->unit, 0x10);
    return e;
}

static uint64_t damage_zero(nt_image *im)
{
    uint64_t e = fourth_entry(im->o);
    put_entry(im, e, 0, 1, 0, 0);
    return e;
}

static void test_bad_checksum(void **state) { (void)state; check_damaged(damage_checksum, "checksum"); }
static void test_runs_past(void **state) { (void)state; check_damaged(damage_size, "runs past"); }
static void test_bad_previous_size(void **state) { (void)state; check_damaged(damage_prev, "PreviousSize"); }
static void test_zero_size(void **state) { (void)state; check_damaged(damage_zero, "size 0"); }

/* The UCR list loops (the first descriptor points at itself): the first range is still known,
 * the second is not; the walk of the second run then meets memory it cannot read and says so. */
static void test_ucr_list_cycle(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    const nt_offsets *o = &WIN10_X64;
    build(&im, o, true);
    uint64_t d0 = UCRS + o->ucr_entry;
    synth_put_links(&im.m, o->bits, d0, d0, HEAP + o->seg_ucr);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "uncommitted ranges"));
    assert_true(synth_has_warning(im.snap, "read-failed", "cannot read the entry"));
    assert_int_equal(l.n, NEXPECT);  /* every block was seen before the unreadable end */
    expect_blocks(&l, 0, NEXPECT, 0);
    done(&im, &l);
}

/* Free blocks' FreeList links (a LIST_ENTRY after the header) made into a cycle: the walk goes
 * through memory block by block and never follows them, so every block is still counted once. */
static void test_free_list_cycle(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    const nt_offsets *o = &WIN10_X64;
    build(&im, o, true);
    for (size_t i = 0; i < NEXPECT; i++)
        if (EXPECT[i].state == VM_HBLOCK_FREE && EXPECT[i].address < HEAP + RUN) {
            uint64_t links = EXPECT[i].address + o->entry_len;
            synth_put_links(&im.m, o->bits, links, links, links);
        }
    assert_true(walk(&im, &l, &info));
    assert_true(info.complete);
    assert_int_equal(im.snap->nwarnings, 0);
    assert_int_equal(l.n, NEXPECT);
    expect_blocks(&l, 0, NEXPECT, 0);
    done(&im, &l);
}

/* A UCR that does not lie in its segment ends the UCR list (a warning), like any torn list. */
static void test_ucr_outside(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, &WIN10_X86, false);
    put_ucr(&im, 0, SEG1, RUN);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "outside its segment"));
    done(&im, &l);
}

/* A segment list that loops: the map walk's warning, kept once; the heap's own segment counted. */
static void test_segment_list_cycle(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    vm_winheap_walk_info info;
    const nt_offsets *o = &WIN10_X64;
    build(&im, o, true);
    synth_put_links(&im.m, o->bits, SEG1 + o->seg_entry, SEG1 + o->seg_entry, HEAP + o->seg_entry);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    size_t w = im.snap->nwarnings;
    assert_true(w > 0);
    block_log_free(&l);
    assert_true(walk(&im, &l, &info));
    assert_int_equal(im.snap->nwarnings, w);
    done(&im, &l);
}

static void test_visitor_stops(void **state)
{
    (void)state;
    nt_image im;
    block_log l;
    build(&im, &WIN10_X64, true);
    memset(&l, 0, sizeof l);
    l.stop_after = 5;  /* inside the first LFH user block */
    assert_false(vm_winheap_blocks(&im.r, 64, HEAP, 0, 3, block_log_visit, &l, im.snap, NULL));
    assert_int_equal(l.n, 5);
    done(&im, &l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_win10_x64_encoded), cmocka_unit_test(test_win10_x64_plain),
        cmocka_unit_test(test_win10_x86_encoded), cmocka_unit_test(test_win7_x64_encoded),
        cmocka_unit_test(test_win7_x86_encoded),  cmocka_unit_test(test_lookaside_win7_x64),
        cmocka_unit_test(test_lookaside_win7_x86), cmocka_unit_test(test_unknown_front_end),
        cmocka_unit_test(test_lfh_key_decodes),   cmocka_unit_test(test_lfh_not_found),
        cmocka_unit_test(test_lfh_bitmap_decides), cmocka_unit_test(test_lfh_bitmap_unreadable),
        cmocka_unit_test(test_bad_checksum),      cmocka_unit_test(test_runs_past),
        cmocka_unit_test(test_bad_previous_size), cmocka_unit_test(test_zero_size),
        cmocka_unit_test(test_ucr_list_cycle),    cmocka_unit_test(test_ucr_outside),
        cmocka_unit_test(test_free_list_cycle),
        cmocka_unit_test(test_segment_list_cycle), cmocka_unit_test(test_visitor_stops),
    };
    return cmocka_run_group_tests_name("ntheap_blocks", tests, NULL, NULL);
}
