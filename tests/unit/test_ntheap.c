/* NT heap walker over synthetic memory images built from the layout table of
 * windows-internals.md §2 (written out again here, independently of the parser's own table):
 * valid heaps in the Win8-11 x64, Win7 x64 and Win8-10 x86 layouts, encoded or not, and corrupt
 * ones (wrong signatures, list cycles, unreadable links, absurd sizes) that must end with a
 * warning, never a loop or a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tests/support/synth_mem.h"
#include "vmmap/parse/nt_heaps.h"
#include "vmmap/parse/ntheap.h"

/* ---- the layout table, as the facts sheet gives it ---- */

typedef struct nt_offsets {
    int bits;
    unsigned ptr, seg_sig, seg_entry, seg_heap, seg_base, seg_pages, seg_first, seg_uncommitted;
    unsigned flags, encode_mask, encoding, signature, valloc, seglist, fe;
    unsigned va_commit, va_reserve;
    const char *name;
} nt_offsets;

static const nt_offsets WIN8_X64 = {64, 8, 0x10, 0x18, 0x28, 0x30, 0x38, 0x40, 0x50,
                                    0x70, 0x7C, 0x88, 0x98, 0x110, 0x120, 0x1A2, 0x20, 0x28, "Win8-11 x64"};
static const nt_offsets WIN7_X64 = {64, 8, 0x10, 0x18, 0x28, 0x30, 0x38, 0x40, 0x50,
                                    0x70, 0x7C, 0x88, 0xA0, 0x118, 0x128, 0x182, 0x20, 0x28, "Win7 x64"};
static const nt_offsets WIN10_X86 = {32, 4, 0x08, 0x10, 0x18, 0x1C, 0x20, 0x24, 0x2C,
                                     0x40, 0x4C, 0x50, 0x60, 0x9C, 0xA4, 0xEA, 0x10, 0x14, "Win8-10 x86"};

/* Addresses below 4 GiB so the same image works for x86. */
#define HEAP 0x00A00000u
#define SEG1 0x01000000u
#define SEG2 0x02000000u
#define BIG1 0x03000000u
#define BIG2 0x04000000u

typedef struct nt_image {
    synth_mem m;
    vm_memreader r;
    const nt_offsets *o;
    bool encoded;
    vm_snapshot *snap;
} nt_image;

static const uint8_t KEY[8] = {0x5a, 0x13, 0xc7, 0x21, 0x99, 0x04, 0xee, 0x71};

/* A segment header at seg describing [base, base + pages pages), with a first entry whose
 * header passes the checksum (encoded with KEY when the heap is encoded). */
static void put_segment(nt_image *im, uint64_t seg, uint64_t base, uint32_t pages, uint32_t uncommitted)
{
    const nt_offsets *o = im->o;
    synth_put_u32(&im->m, seg + o->seg_sig, 0xFFEEFFEE);
    synth_put_ptr(&im->m, o->bits, seg + o->seg_heap, HEAP);
    synth_put_ptr(&im->m, o->bits, seg + o->seg_base, base);
    synth_put_u32(&im->m, seg + o->seg_pages, pages);
    synth_put_u32(&im->m, seg + o->seg_uncommitted, uncommitted);
    uint64_t first = seg + 0x800;
    synth_put_ptr(&im->m, o->bits, seg + o->seg_first, first);
    uint8_t hdr[8] = {0x20, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x08};
    hdr[3] = (uint8_t)(hdr[0] ^ hdr[1] ^ hdr[2]);
    for (int i = 0; i < 8 && im->encoded; i++)
        hdr[i] ^= KEY[i];
    synth_put(&im->m, first + (o->bits == 64 ? 8 : 0), hdr, 8);
}

/* Links nodes into a circular list at head (each a LIST_ENTRY address). */
static void put_large(nt_image *im, uint64_t at, uint64_t commit, uint64_t reserve)
{
    synth_put_ptr(&im->m, im->o->bits, at + im->o->va_commit, commit);
    synth_put_ptr(&im->m, im->o->bits, at + im->o->va_reserve, reserve);
}

/* The valid heap every test starts from: 3 segments (the heap's own, SEG1, SEG2), 2 large
 * blocks, flags growable + private class, LFH front end. */
static void build(nt_image *im, const nt_offsets *o, bool encoded)
{
    memset(im, 0, sizeof *im);
    im->o = o;
    im->encoded = encoded;
    im->snap = vm_snapshot_new();
    synth_map(&im->m, HEAP, 0x2000);
    synth_map(&im->m, SEG1, 0x1000);
    synth_map(&im->m, SEG2, 0x1000);
    synth_map(&im->m, BIG1, 0x1000);
    synth_map(&im->m, BIG2, 0x1000);
    im->r = synth_reader(&im->m);

    synth_put_u32(&im->m, HEAP + o->flags, 0x1002);
    synth_put_u32(&im->m, HEAP + o->signature, 0xEEFFEEFF);
    synth_put_u32(&im->m, HEAP + o->encode_mask, encoded ? 0x100000 : 0);
    if (encoded)
        synth_put(&im->m, HEAP + o->encoding, KEY, 8);
    synth_put_u8(&im->m, HEAP + o->fe, 2);
    put_segment(im, HEAP, HEAP, 0x100, 0x80);
    put_segment(im, SEG1, SEG1, 0x400, 0x100);
    put_segment(im, SEG2, SEG2, 0x800, 0);
    uint64_t segs[] = {HEAP + o->seg_entry, SEG1 + o->seg_entry, SEG2 + o->seg_entry};
    synth_put_list(&im->m, im->o->bits, HEAP + o->seglist, segs, 3);
    put_large(im, BIG1, 0x21000, 0x30000);
    put_large(im, BIG2, 0x100000, 0x100000);
    uint64_t bigs[] = {BIG1, BIG2};
    synth_put_list(&im->m, im->o->bits, HEAP + o->valloc, bigs, 2);
}

static void done(nt_image *im, vm_winheap *h)
{
    if (h)
        vm_winheap_free(h);
    vm_snapshot_free(im->snap);
    synth_free(&im->m);
}

static vm_winheap_status walk(nt_image *im, vm_winheap *h)
{
    return vm_ntheap_walk(&im->r, im->o->bits, HEAP, 0, h, im->snap);
}

static void check_range(const vm_winheap_range *r, uint64_t addr, uint64_t size, uint64_t committed)
{
    assert_int_equal(r->address, addr);
    assert_int_equal(r->size, size);
    assert_true(r->committed_known);
    assert_int_equal(r->committed, committed);
}

/* ---- valid heaps ---- */

static void check_valid(const nt_offsets *o, bool encoded)
{
    nt_image im;
    vm_winheap h;
    build(&im, o, encoded);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_string_equal(h.kind, "NT");
    assert_string_equal(h.layout, o->name);
    assert_string_equal(h.flags, "growable");
    assert_string_equal(h.heap_class, "private");
    assert_string_equal(h.front_end, "LFH");
    assert_int_equal(h.encoded, encoded);
    assert_int_equal(h.nsegments, 3);
    check_range(&h.segments[0], HEAP, 0x100000, 0x80000);
    check_range(&h.segments[1], SEG1, 0x400000, 0x300000);
    check_range(&h.segments[2], SEG2, 0x800000, 0x800000);
    assert_int_equal(h.nlarge, 2);
    check_range(&h.large[0], BIG1, 0x30000, 0x21000);
    check_range(&h.large[1], BIG2, 0x100000, 0x100000);
    assert_int_equal(im.snap->nwarnings, 0);
    done(&im, &h);
}

static void test_valid_win8_x64_encoded(void **state) { (void)state; check_valid(&WIN8_X64, true); }
static void test_valid_win8_x64_plain(void **state) { (void)state; check_valid(&WIN8_X64, false); }
static void test_valid_win7_x64_plain(void **state) { (void)state; check_valid(&WIN7_X64, false); }
static void test_valid_win7_x64_encoded(void **state) { (void)state; check_valid(&WIN7_X64, true); }
static void test_valid_win10_x86_encoded(void **state) { (void)state; check_valid(&WIN10_X86, true); }
static void test_valid_win10_x86_plain(void **state) { (void)state; check_valid(&WIN10_X86, false); }

static void test_append_to_snapshot(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, true);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_true(vm_winheap_append(im.snap, &h, 3, "process heap"));
    assert_int_equal(im.snap->nheaps, 1);
    const vm_heap *vh = &im.snap->heaps[0];
    assert_int_equal(vh->id, 3);
    assert_int_equal(vh->address, HEAP);
    assert_string_equal(vh->kind, "NT");
    assert_string_equal(vh->flags, "growable");
    assert_string_equal(vh->heap_class, "process heap");
    assert_string_equal(vh->front_end, "LFH");
    assert_int_equal(vh->nparts, 5);
    const char *names[] = {"segment 0", "segment 1", "segment 2", "large block", "large block"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(vh->parts[i].what, names[i]);
    assert_int_equal(vh->parts[1].committed, 0x300000);
    assert_int_equal(vh->parts[3].size, 0x30000);
    done(&im, &h);
}

static void test_flags_class_words(void **state)
{
    (void)state;
    char buf[192];
    vm_ntheap_flag_words(0x2 | 0x1 | 0x40000 | 0x800000, buf, sizeof buf);
    assert_string_equal(buf, "growable, no-serialize, executable, 0x800000");
    vm_ntheap_flag_words(0x1000, buf, sizeof buf);
    assert_string_equal(buf, "");
    assert_string_equal(vm_ntheap_class_name(0x0002), "process");
    assert_string_equal(vm_ntheap_class_name(0x8000), "CSR port");
    assert_string_equal(vm_ntheap_class_name(0xF000), "unknown class");
    char tiny[12];
    vm_ntheap_flag_words(0x3, tiny, sizeof tiny);  /* truncates without overrunning */
    assert_true(strlen(tiny) < sizeof tiny);
}

/* ---- front end ---- */

static void test_front_end_by_build_and_probe(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    synth_put_u8(&im.m, HEAP + 0x1A2, 0);
    synth_put_u8(&im.m, HEAP + 0x17A, 2);
    synth_put_u8(&im.m, HEAP + 0x182, 1);
    /* Win8.1 (9600) reads 0x17A; early Win10 (14393) reads 0x182; 2004+ reads 0x1A2. */
    assert_int_equal(vm_ntheap_walk(&im.r, 64, HEAP, 9600, &h, im.snap), VM_WINHEAP_OK);
    assert_string_equal(h.front_end, "LFH");
    vm_winheap_free(&h);
    assert_int_equal(vm_ntheap_walk(&im.r, 64, HEAP, 14393, &h, im.snap), VM_WINHEAP_OK);
    assert_string_equal(h.front_end, "lookaside");
    vm_winheap_free(&h);
    assert_int_equal(vm_ntheap_walk(&im.r, 64, HEAP, 19045, &h, im.snap), VM_WINHEAP_OK);
    assert_null(h.front_end);
    vm_winheap_free(&h);
    /* Unknown build: newest offset first; a value outside 0..2 there is skipped. */
    synth_put_u8(&im.m, HEAP + 0x1A2, 7);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_string_equal(h.front_end, "lookaside");
    done(&im, &h);
}

/* ---- signatures ---- */

static void test_wrong_segment_signature(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    synth_put_u32(&im.m, HEAP + 0x10, 0xDDEEDDEE);
    assert_false(vm_ntheap_probe(&im.r, 64, HEAP));
    assert_int_equal(walk(&im, &h), VM_WINHEAP_NOT_THIS);
    assert_int_equal(h.nsegments, 0);
    done(&im, &h);
}

static void test_wrong_heap_signature_is_not_nt(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    synth_put_u32(&im.m, HEAP + 0x98, 0);  /* what a Wine heap looks like */
    assert_true(vm_ntheap_probe(&im.r, 64, HEAP));
    assert_int_equal(walk(&im, &h), VM_WINHEAP_NOT_THIS);
    done(&im, &h);
}

static void test_unreadable_heap(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    assert_int_equal(vm_ntheap_walk(&im.r, 64, 0x7000000, 0, &h, im.snap), VM_WINHEAP_UNREADABLE);
    assert_int_equal(vm_ntheap_walk(&im.r, 64, UINT64_MAX - 4, 0, &h, im.snap), VM_WINHEAP_UNREADABLE);
    done(&im, &h);
}

/* ---- corrupt lists ---- */

static void test_segment_list_cycle(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    /* head -> heap -> SEG1 -> SEG2 -> SEG1 -> ...: never back to the head. */
    synth_put_links(&im.m, 64, SEG2 + 0x18, SEG1 + 0x18, SEG1 + 0x18);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 3);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "points back"));
    assert_int_equal(h.nlarge, 2);  /* the other list is still walked */
    done(&im, &h);
}

static void test_consistent_cycle_missing_head(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    /* SEG1 <-> SEG2 a perfect two-node ring; the head points into it. */
    synth_put_links(&im.m, 64, HEAP + 0x120, SEG1 + 0x18, SEG2 + 0x18);
    synth_put_links(&im.m, 64, SEG1 + 0x18, SEG2 + 0x18, SEG2 + 0x18);
    synth_put_links(&im.m, 64, SEG2 + 0x18, SEG1 + 0x18, SEG1 + 0x18);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 1);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "points back"));
    done(&im, &h);
}

static void test_link_to_unreadable_memory(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    synth_unmap(&im.m, SEG2);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 2);
    assert_true(synth_has_warning(im.snap, "read-failed", "0x2000018"));
    done(&im, &h);
}

static void test_link_null_and_misaligned(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN10_X86, false);
    synth_put_links(&im.m, 32, SEG1 + 0x10, 0, HEAP + 0x10);
    synth_put_links(&im.m, 32, HEAP + 0x9C, BIG1 + 2, BIG2);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 2);
    assert_int_equal(h.nlarge, 0);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "link 0x0 after 0x1000010 is not a list entry"));
    assert_true(synth_has_warning(im.snap, "heap-invalid", "link 0x3000002"));
    done(&im, &h);
}

static void test_link_to_garbage(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    synth_put_u32(&im.m, SEG2 + 0x10, 0x12345678);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 2);
    assert_true(synth_has_warning(im.snap, "heap-invalid",
                            "heap 0xa00000 segment list: link 0x2000018 is not a segment (signature 0x12345678)"));
    done(&im, &h);
}

static void test_segment_validation(void **state)
{
    (void)state;
    static const struct {
        unsigned off;    /* field of SEG1 to spoil (Win8-11 x64) */
        uint64_t value;
        const char *why;
    } cases[] = {
        {0x38, 0xF00000, "NumberOfPages 0xf00000, out of range"},
        {0x38, 0, "NumberOfPages 0x0"},
        {0x28, 0x5550000, "is a segment of heap 0x5550000"},
        {0x30, SEG1 + 8, "not page aligned"},
        {0x50, 0x401, "more uncommitted pages"},
        {0x30, SEG2, "lies outside its range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nt_image im;
        vm_winheap h;
        build(&im, &WIN8_X64, false);
        if (cases[i].off == 0x38 || cases[i].off == 0x50)
            synth_put_u32(&im.m, SEG1 + cases[i].off, (uint32_t)cases[i].value);
        else
            synth_put_u64(&im.m, SEG1 + cases[i].off, cases[i].value);
        assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
        assert_int_equal(h.nsegments, 1);
        assert_true(synth_has_warning(im.snap, "heap-invalid", cases[i].why));
        done(&im, &h);
    }
}

static void test_bad_segment_zero_still_walks_list(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    synth_put_u32(&im.m, HEAP + 0x38, 0xFFFFFFFF);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 2);  /* SEG1, SEG2 */
    assert_int_equal(h.segments[0].address, SEG1);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "segment 0"));
    done(&im, &h);
}

static void test_large_block_validation(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    put_large(&im, BIG2, 0x200000, 0x100000);  /* commit > reserve */
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nlarge, 1);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "link 0x4000000 is not a large block"));
    done(&im, &h);
}

static void test_large_block_cycle(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN7_X64, false);
    synth_put_links(&im.m, 64, BIG2, BIG1, BIG1);  /* BIG2 -> BIG1 again */
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nlarge, 2);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "large block list"));
    done(&im, &h);
}

static void test_segment_list_limit(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, false);
    /* 4200 valid one-page segments in a row: the walk stops at 4096 list entries. */
    enum { N = 4200 };
    const uint64_t base = 0x10000000;
    synth_map(&im.m, base, (size_t)N * 0x1000);
    uint64_t *links = calloc(N + 1, sizeof *links);
    assert_non_null(links);
    links[0] = HEAP + 0x18;
    for (size_t i = 0; i < N; i++) {
        put_segment(&im, base + i * 0x1000, base + i * 0x1000, 1, 0);
        links[i + 1] = base + i * 0x1000 + 0x18;
    }
    synth_put_list(&im.m, im.o->bits, HEAP + 0x120, links, N + 1);
    free(links);
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 4096);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "more than 4096 entries"));
    done(&im, &h);
}

/* ---- encoding ---- */

static void test_encoded_first_entry_mismatch(void **state)
{
    (void)state;
    nt_image im;
    vm_winheap h;
    build(&im, &WIN8_X64, true);
    synth_put_u8(&im.m, SEG1 + 0x800 + 8 + 3, 0xFF);  /* spoil SEG1's first entry checksum */
    assert_int_equal(walk(&im, &h), VM_WINHEAP_OK);
    assert_int_equal(h.nsegments, 3);  /* reported, not fatal */
    assert_true(synth_has_warning(im.snap, "heap-invalid", "fails the encoded header check"));
    done(&im, &h);
}

static void test_decode_entry(void **state)
{
    (void)state;
    vm_winheap h;
    memset(&h, 0, sizeof h);
    uint8_t plain[8] = {0x34, 0x12, 0x01, 0x00, 0x78, 0x56, 0x02, 0x18};
    vm_ntheap_entry e;
    assert_true(vm_ntheap_decode_entry(&h, plain, &e));  /* not encoded: no checksum rule */
    assert_int_equal(e.size, 0x1234);
    assert_int_equal(e.flags, 1);
    assert_int_equal(e.previous_size, 0x5678);
    assert_int_equal(e.segment_offset, 2);
    assert_int_equal(e.unused_bytes, 0x18);

    h.encoded = true;
    memcpy(h.encoding, KEY, 8);
    plain[3] = (uint8_t)(plain[0] ^ plain[1] ^ plain[2]);
    uint8_t enc[8];
    for (int i = 0; i < 8; i++)
        enc[i] = plain[i] ^ KEY[i];
    assert_true(vm_ntheap_decode_entry(&h, enc, &e));
    assert_int_equal(e.size, 0x1234);
    assert_int_equal(e.small_tag, plain[3]);
    enc[0] ^= 1;
    assert_false(vm_ntheap_decode_entry(&h, enc, &e));
}

/* ---- nt_heaps: every heap of a process from its PEB ---- */

#define PEB 0x7FFD0000u
#define SEGHEAP 0x05000000u
#define GARBAGE 0x06000000u
#define WINE2 0x07000000u

/* PEB (x64) with ProcessHeap and a ProcessHeaps array of n handles. */
static void put_peb(nt_image *im, uint64_t process_heap, const uint64_t *heaps, uint32_t n)
{
    synth_map(&im->m, PEB, 0x2000);
    synth_put_u64(&im->m, PEB + 0x30, process_heap);
    synth_put_u32(&im->m, PEB + 0xE8, n);
    synth_put_u64(&im->m, PEB + 0xF0, n ? PEB + 0x1000 : 0);
    for (uint32_t i = 0; i < n; i++)
        synth_put_u64(&im->m, PEB + 0x1000 + 8 * i, heaps[i]);
}

static void test_nt_heaps_from_peb(void **state)
{
    (void)state;
    nt_image im;
    build(&im, &WIN8_X64, true);
    /* A segment heap (signature and its contexts pointing back) and a readable non-heap. */
    synth_map(&im.m, SEGHEAP, 0x1000);
    synth_put_u32(&im.m, SEGHEAP + 0x10, 0xDDEEDDEE);
    synth_map(&im.m, GARBAGE, 0x1000);
    uint64_t heaps[] = {SEGHEAP, HEAP, 0xDEAD0000, GARBAGE, SEGHEAP, 0};
    put_peb(&im, HEAP, heaps, 6);
    assert_true(vm_nt_heaps_from_peb(&im.r, 64, PEB, 0, im.snap));
    assert_int_equal(im.snap->nheaps, 4);
    static const struct {
        uint64_t address;
        const char *kind, *cls;
    } want[] = {
        {HEAP, "NT", "process heap"},
        {SEGHEAP, "segment", NULL},
        {0xDEAD0000, "not captured", NULL},
        {GARBAGE, "unknown", NULL},
    };
    for (size_t i = 0; i < 4; i++) {
        const vm_heap *vh = &im.snap->heaps[i];
        assert_int_equal(vh->id, (int32_t)i);
        assert_int_equal(vh->address, want[i].address);
        assert_string_equal(vh->kind, want[i].kind);
        if (want[i].cls)
            assert_string_equal(vh->heap_class, want[i].cls);
        else
            assert_null(vh->heap_class);
    }
    assert_int_equal(im.snap->heaps[0].nparts, 5);
    assert_int_equal(im.snap->heaps[2].nparts, 0);
    assert_true(synth_has_warning(im.snap, "read-failed", "heap 0xdead0000: its header is not readable (not captured)"));
    assert_true(synth_has_warning(im.snap, "heap-invalid", "heap 0x6000000: neither"));
    done(&im, NULL);
}

/* A minimal Wine 8.0 x64 heap: magic, Flags, empty subheap and large lists. */
static void put_wine_heap(nt_image *im, uint64_t heap)
{
    synth_put_u32(&im->m, heap + 0x10, 0xFFEEFFEE);
    synth_put_u32(&im->m, heap + 0x70, 0x2);
    synth_put_u32(&im->m, heap + 0xB8, 0x50414548);
    synth_put_links(&im->m, 64, heap + 0x88, heap + 0x88, heap + 0x88);
    synth_put_links(&im->m, 64, heap + 0x98, heap + 0x98, heap + 0x98);
}

static void test_nt_heaps_wine_list(void **state)
{
    (void)state;
    nt_image im;
    memset(&im, 0, sizeof im);
    im.o = &WIN8_X64;
    im.snap = vm_snapshot_new();
    im.r = synth_reader(&im.m);
    synth_map(&im.m, HEAP, 0x1000);
    synth_map(&im.m, WINE2, 0x1000);
    put_wine_heap(&im, HEAP);
    put_wine_heap(&im, WINE2);
    synth_put_links(&im.m, 64, HEAP + 0x78, WINE2 + 0x78, WINE2 + 0x78);
    synth_put_links(&im.m, 64, WINE2 + 0x78, HEAP + 0x78, HEAP + 0x78);
    put_peb(&im, HEAP, NULL, 0);  /* Wine: NumberOfHeaps 0, ProcessHeaps NULL */
    assert_true(vm_nt_heaps_from_peb(&im.r, 64, PEB, 0, im.snap));
    assert_int_equal(im.snap->nheaps, 2);
    assert_int_equal(im.snap->heaps[0].address, HEAP);
    assert_string_equal(im.snap->heaps[0].kind, "Wine");
    assert_string_equal(im.snap->heaps[0].heap_class, "process heap");
    assert_string_equal(im.snap->heaps[0].flags, "growable");
    assert_int_equal(im.snap->heaps[1].address, WINE2);
    assert_string_equal(im.snap->heaps[1].heap_class, "process");
    assert_int_equal(im.snap->nwarnings, 0);
    done(&im, NULL);
}

static void test_nt_heaps_bad_peb(void **state)
{
    (void)state;
    nt_image im;
    build(&im, &WIN8_X64, false);
    assert_true(vm_nt_heaps_from_peb(&im.r, 64, PEB, 0, im.snap));  /* PEB not mapped */
    assert_int_equal(im.snap->nheaps, 0);
    assert_true(synth_has_warning(im.snap, "read-failed", "cannot read its heap fields"));
    put_peb(&im, HEAP, NULL, 0);
    synth_put_u32(&im.m, PEB + 0xE8, 0x7FFFFFFF);  /* absurd count, array partly readable */
    synth_put_u64(&im.m, PEB + 0xF0, PEB + 0x1FF0);
    synth_put_u64(&im.m, PEB + 0x1FF0, HEAP);
    synth_put_u64(&im.m, PEB + 0x1FF8, HEAP);
    assert_true(vm_nt_heaps_from_peb(&im.r, 64, PEB, 0, im.snap));
    assert_int_equal(im.snap->nheaps, 1);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "NumberOfHeaps 2147483647 is implausible"));
    assert_true(synth_has_warning(im.snap, "read-failed", "ProcessHeaps[2]"));
    done(&im, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_win8_x64_encoded),
        cmocka_unit_test(test_valid_win8_x64_plain),
        cmocka_unit_test(test_valid_win7_x64_plain),
        cmocka_unit_test(test_valid_win7_x64_encoded),
        cmocka_unit_test(test_valid_win10_x86_encoded),
        cmocka_unit_test(test_valid_win10_x86_plain),
        cmocka_unit_test(test_append_to_snapshot),
        cmocka_unit_test(test_flags_class_words),
        cmocka_unit_test(test_front_end_by_build_and_probe),
        cmocka_unit_test(test_wrong_segment_signature),
        cmocka_unit_test(test_wrong_heap_signature_is_not_nt),
        cmocka_unit_test(test_unreadable_heap),
        cmocka_unit_test(test_segment_list_cycle),
        cmocka_unit_test(test_consistent_cycle_missing_head),
        cmocka_unit_test(test_link_to_unreadable_memory),
        cmocka_unit_test(test_link_null_and_misaligned),
        cmocka_unit_test(test_link_to_garbage),
        cmocka_unit_test(test_segment_validation),
        cmocka_unit_test(test_bad_segment_zero_still_walks_list),
        cmocka_unit_test(test_large_block_validation),
        cmocka_unit_test(test_large_block_cycle),
        cmocka_unit_test(test_segment_list_limit),
        cmocka_unit_test(test_encoded_first_entry_mismatch),
        cmocka_unit_test(test_decode_entry),
        cmocka_unit_test(test_nt_heaps_from_peb),
        cmocka_unit_test(test_nt_heaps_wine_list),
        cmocka_unit_test(test_nt_heaps_bad_peb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
