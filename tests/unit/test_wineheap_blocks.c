/* Wine heap block walker (vm_winheap_blocks on a Wine heap) over synthetic memory images built
 * from Wine's dlls/ntdll/heap.c (struct heap, SUBHEAP, ARENA_LARGE, struct block of 8.0 and of
 * the later layout, struct group; offsets written out again here): exact blocks where the image
 * is valid, a warning and a bounded walk where it is not. */
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

typedef struct wine_offsets {
    int bits;
    unsigned align, entry, subheaps, large, magic, compat;
    unsigned sub_block_size, sub_data_size, sub_entry, sub_owner, sub_block, sub_len;
    unsigned large_entry, large_data_size, large_block_size, large_block;
    bool later;              /* the later block header (WORD size, WORD tail, WORD base, BYTE type, BYTE flags) */
    unsigned group_first;    /* struct group: first_block */
} wine_offsets;

static const wine_offsets W80_X64 = {64, 16, 0x78, 0x88, 0x98, 0xB8, 0,
                                     0x10, 0x18, 0x20, 0x30, 0x38, 0x40, 0x10, 0x20, 0x28, 0x38, false, 0};
static const wine_offsets W80_X86 = {32, 8, 0x48, 0x50, 0x58, 0x68, 0,
                                     0x4, 0x8, 0xC, 0x14, 0x18, 0x20, 0x4, 0xC, 0x10, 0x18, false, 0};
static const wine_offsets WLATER_X64 = {64, 16, 0x80, 0x90, 0xA0, 0xC0, 0x78,
                                        0x10, 0x18, 0x20, 0x30, 0x38, 0x40, 0x10, 0x20, 0x28, 0x38, true, 0x18};

#define PH 0x00A00000u       /* the heap */
#define EMBED 0x1000u        /* its embedded SUBHEAP */
#define SUB1 0x01000000u     /* a second subheap */
#define BIG 0x02000000u      /* a large block */
#define RESERVED0 0x110000u  /* the embedded subheap's region */
#define COMMITTED0 0x4000u
#define SPLIT 0x2008u        /* where the embedded subheap's memory is cut in two chunks (a header's
                                alignment: blocks sit at 8 mod 16) */
#define RESERVED1 0x100000u
#define COMMITTED1 0x8000u

enum { B_USED, B_FREE, B_DEAD };

typedef struct wine_image {
    synth_mem m;
    vm_memreader r;
    const wine_offsets *o;
    vm_snapshot *snap;
} wine_image;

/* One block header in the image's format: kind, size in bytes, tail (unused bytes of a used
 * block), flags beyond the free flag (prev-free 2, LFH 0x80), base offset (region units). */
static void put_block(wine_image *im, uint64_t at, int kind, uint64_t size, unsigned tail, unsigned flags,
                      unsigned base)
{
    uint64_t units = size / im->o->align;
    if (kind == B_FREE) {
        flags |= 1;
        tail = (unsigned)(units >> 16);
        units &= 0xFFFF;
    }
    if (!im->o->later) {
        static const uint16_t types[] = {0x5355, 0x5246, 0xDEAD};
        synth_put_u16(&im->m, at, (uint16_t)units);
        synth_put_u8(&im->m, at + 2, (uint8_t)flags);
        synth_put_u8(&im->m, at + 3, (uint8_t)tail);
        synth_put_u16(&im->m, at + 4, (uint16_t)base);
        synth_put_u16(&im->m, at + 6, types[kind]);
    } else {
        static const uint8_t types[] = {'u', 'F', 'D'};
        synth_put_u16(&im->m, at, (uint16_t)units);
        synth_put_u16(&im->m, at + 2, (uint16_t)tail);
        synth_put_u16(&im->m, at + 4, (uint16_t)base);
        synth_put_u8(&im->m, at + 6, types[kind]);
        synth_put_u8(&im->m, at + 7, (uint8_t)flags);
    }
}

static void put_subheap(wine_image *im, uint64_t hdr, uint64_t reserved, uint64_t committed)
{
    const wine_offsets *o = im->o;
    uint64_t base = hdr & ~UINT64_C(0xFFFF);
    synth_put_ptr(&im->m, o->bits, hdr + o->sub_block_size, base + reserved - (hdr + o->sub_block));
    synth_put_ptr(&im->m, o->bits, hdr + o->sub_data_size, base + committed - (hdr + o->sub_len));
    synth_put_ptr(&im->m, o->bits, hdr + o->sub_owner, PH);
}

/* The valid heap every test starts from.  Embedded subheap: used 0x40 (tail 8), used 0x100
 * (tail 0x10), free 0x80, a delayed free (dead) 0x60, then one free block to the end of the
 * region (past the committed end).  SUB1: used 0x1000, free to the end.  One large block. */
static block_expect EXPECT[10];
static size_t NEXPECT;

static void build(wine_image *im, const wine_offsets *o)
{
    memset(im, 0, sizeof *im);
    im->o = o;
    im->snap = vm_snapshot_new();
    synth_map(&im->m, PH, SPLIT);  /* two chunks: a test unmaps the second */
    synth_map(&im->m, PH + SPLIT, COMMITTED0 - SPLIT);
    synth_map(&im->m, SUB1, COMMITTED1);
    synth_map(&im->m, BIG, 0x1000);
    im->r = synth_reader(&im->m);
    synth_put_u32(&im->m, PH + (o->bits == 64 ? 0x10 : 0x08), 0xFFEEFFEE);
    synth_put_u32(&im->m, PH + o->magic, 0x50414548);
    put_subheap(im, PH + EMBED, RESERVED0, COMMITTED0);
    put_subheap(im, SUB1, RESERVED1, COMMITTED1);
    uint64_t subs[] = {SUB1 + o->sub_entry, PH + EMBED + o->sub_entry};
    synth_put_list(&im->m, o->bits, PH + o->subheaps, subs, 2);
    synth_put_list(&im->m, o->bits, PH + o->entry, NULL, 0);

    uint64_t b = PH + EMBED + o->sub_block, hdr = 8, end0 = PH + RESERVED0;
    NEXPECT = 0;
    EXPECT[NEXPECT++] = (block_expect){PH, b - PH, 0, 0, VM_HBLOCK_OVERHEAD};  /* struct heap, SUBHEAP */
    put_block(im, b, B_USED, 0x40, 8, 0, 0);
    EXPECT[NEXPECT++] = (block_expect){b, 0x40, b + hdr, 0x40 - hdr - 8, VM_HBLOCK_BUSY};
    b += 0x40;
    put_block(im, b, B_USED, 0x100, 0x10, 0, 0);
    EXPECT[NEXPECT++] = (block_expect){b, 0x100, b + hdr, 0x100 - hdr - 0x10, VM_HBLOCK_BUSY};
    b += 0x100;
    put_block(im, b, B_FREE, 0x80, 0, 0, 0);
    EXPECT[NEXPECT++] = (block_expect){b, 0x80, b + hdr, 0, VM_HBLOCK_FREE};
    b += 0x80;
    put_block(im, b, B_DEAD, 0x60, 0x20, 2, 0);
    EXPECT[NEXPECT++] = (block_expect){b, 0x60, b + hdr, 0x60 - hdr - 0x20, VM_HBLOCK_CACHED};
    b += 0x60;
    /* Free to the end of the region: its size needs the high bits in tail_size. */
    put_block(im, b, B_FREE, end0 - b, 0, 0, 0);
    EXPECT[NEXPECT++] = (block_expect){b, PH + COMMITTED0 - b, b + hdr, 0, VM_HBLOCK_FREE};

    b = SUB1 + o->sub_block;
    EXPECT[NEXPECT++] = (block_expect){SUB1, o->sub_block, 0, 0, VM_HBLOCK_OVERHEAD};
    put_block(im, b, B_USED, 0x1000, 0, 0, 0);
    EXPECT[NEXPECT++] = (block_expect){b, 0x1000, b + hdr, 0x1000 - hdr, VM_HBLOCK_BUSY};
    b += 0x1000;
    put_block(im, b, B_FREE, SUB1 + RESERVED1 - b, 0, 0, 0);
    EXPECT[NEXPECT++] = (block_expect){b, SUB1 + COMMITTED1 - b, b + hdr, 0, VM_HBLOCK_FREE};

    synth_put_ptr(&im->m, o->bits, BIG + o->large_data_size, 0x200000);
    synth_put_ptr(&im->m, o->bits, BIG + o->large_block_size, 0x210000 - o->large_block);
    put_block(im, BIG + o->large_block, B_USED, 0, 0, 4, 0);
    if (!o->later)
        synth_put_u16(&im->m, BIG + o->large_block + 6, 0x614C);
    else
        synth_put_u8(&im->m, BIG + o->large_block + 6, 'L');
    uint64_t bigs[] = {BIG + o->large_entry};
    synth_put_list(&im->m, o->bits, PH + o->large, bigs, 1);
    EXPECT[NEXPECT++] = (block_expect){BIG, 0x210000, BIG + o->large_block + hdr, 0x200000, VM_HBLOCK_BUSY};
}

static void done(wine_image *im, block_log *l)
{
    block_log_free(l);
    vm_snapshot_free(im->snap);
    synth_free(&im->m);
}

static bool walk(wine_image *im, block_log *l, vm_winheap_walk_info *info)
{
    memset(l, 0, sizeof *l);
    return vm_winheap_blocks(&im->r, im->o->bits, PH, 0, 7, block_log_visit, l, im->snap, info);
}

/* Blocks at..at+n of the log are EXPECT[from..from+n). */
static void expect_blocks(const block_log *l, size_t from, size_t n, size_t at)
{
    char why[320];
    if (!block_log_matches(l, at, EXPECT + from, n, 7, why, sizeof why))
        fail_msg("%s", why);
}

/* ---- valid heaps ---- */

static void check_valid(const wine_offsets *o)
{
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, o);
    assert_true(walk(&im, &l, &info));
    assert_string_equal(info.kind, "Wine");
    assert_true(info.complete);
    assert_string_equal(info.not_counted, "");
    assert_int_equal(im.snap->nwarnings, 0);
    assert_int_equal(l.n, NEXPECT);
    expect_blocks(&l, 0, NEXPECT, 0);
    assert_int_equal(l.count[VM_HBLOCK_BUSY], 4);
    assert_int_equal(l.count[VM_HBLOCK_FREE], 3);
    assert_int_equal(l.count[VM_HBLOCK_CACHED], 1);
    assert_int_equal(l.count[VM_HBLOCK_OVERHEAD], 2);
    /* Every committed byte is a block or overhead (the free tails clipped at the committed end). */
    assert_int_equal(l.bytes[VM_HBLOCK_BUSY] + l.bytes[VM_HBLOCK_FREE] + l.bytes[VM_HBLOCK_CACHED] +
                         l.bytes[VM_HBLOCK_OVERHEAD],
                     COMMITTED0 + COMMITTED1 + 0x210000);
    done(&im, &l);
}

static void test_wine80_x64(void **state) { (void)state; check_valid(&W80_X64); }
static void test_wine80_x86(void **state) { (void)state; check_valid(&W80_X86); }
static void test_wine_later_x64(void **state) { (void)state; check_valid(&WLATER_X64); }

/* The later layout's LFH: a used block flagged LFH holds a group of 31 blocks of one size, each
 * header naming its index; they are reported in the group block's place. */
static void test_lfh_group(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    const wine_offsets *o = &WLATER_X64;
    build(&im, o);
    /* The embedded subheap's first 0x40 block becomes a group block of 31 x 0x40, with a tail
     * (unused bytes at the end of the group block: overhead too). */
    uint64_t g = PH + EMBED + o->sub_block, member = 0x40;
    uint64_t data = o->group_first + 31 * member, size = (8 + data + 0x20 + 15) / 16 * 16;
    /* Moves what followed: rebuild the embedded subheap with the group first. */
    put_block(&im, g, B_USED, size, (unsigned)(size - 8 - data), 0x80, 0);
    for (unsigned i = 0; i < 31; i++)
        put_block(&im, g + 8 + o->group_first + i * member, i % 2 ? B_FREE : B_USED, member, i % 2 ? 0 : 0x10,
                  0x80, i);
    uint64_t after = g + size, end0 = PH + RESERVED0;
    put_block(&im, after, B_FREE, end0 - after, 0, 0, 0);
    assert_true(walk(&im, &l, &info));
    assert_true(info.complete);
    assert_int_equal(im.snap->nwarnings, 0);
    /* The heap's overhead, the group's, 31 members, the group's tail, the free rest of the
     * embedded subheap, SUB1's overhead and two blocks, the large block. */
    assert_int_equal(l.n, 1 + 1 + 31 + 1 + 1 + 4);
    assert_int_equal(l.blocks[1].address, g);
    assert_int_equal(l.blocks[1].size, 8 + o->group_first);
    assert_int_equal(l.blocks[1].state, VM_HBLOCK_OVERHEAD);
    assert_int_equal(l.blocks[33].address, g + 8 + data);
    assert_int_equal(l.blocks[33].size, size - 8 - data);
    assert_int_equal(l.blocks[33].state, VM_HBLOCK_OVERHEAD);
    for (unsigned i = 0; i < 31; i++) {
        const vm_hblock *b = &l.blocks[2 + i];
        uint64_t at = g + 8 + o->group_first + i * member;
        assert_int_equal(b->address, at);
        assert_int_equal(b->size, member);
        assert_int_equal(b->user, at + 8);
        assert_int_equal(b->state, i % 2 ? VM_HBLOCK_FREE : VM_HBLOCK_BUSY);
        assert_int_equal(b->user_size, i % 2 ? 0 : member - 8 - 0x10);
    }
    assert_int_equal(l.blocks[34].address, after);
    assert_int_equal(l.blocks[34].size, PH + COMMITTED0 - after);
    expect_blocks(&l, NEXPECT - 4, 4, 35);
    assert_int_equal(l.count[VM_HBLOCK_BUSY], 16 + 2);
    assert_int_equal(l.count[VM_HBLOCK_FREE], 15 + 2);
    done(&im, &l);
}

/* A group whose member headers do not name their index is counted as the one busy block it is,
 * and said. */
static void test_lfh_group_bad(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    const wine_offsets *o = &WLATER_X64;
    build(&im, o);
    uint64_t g = PH + EMBED + o->sub_block, member = 0x40;
    uint64_t data = o->group_first + 31 * member, size = (8 + data + 15) / 16 * 16;
    put_block(&im, g, B_USED, size, (unsigned)(size - 8 - data), 0x80, 0);
    for (unsigned i = 0; i < 31; i++)
        put_block(&im, g + 8 + o->group_first + i * member, B_USED, member, 0, 0x80, i == 9 ? 3 : i);
    uint64_t after = g + size;
    put_block(&im, after, B_FREE, PH + RESERVED0 - after, 0, 0, 0);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_non_null(strstr(info.not_counted, "LFH groups"));
    char why[4096];  /* the note reaches the snapshot's walk_note and `vmmap heaps` */
    if (!hn_note_reaches_view(&im.r, o->bits, NULL, "Wine", PH, "LFH groups", why, sizeof why))
        fail_msg("%s", why);
    assert_int_equal(l.blocks[1].address, g);
    assert_int_equal(l.blocks[1].size, size);
    assert_int_equal(l.blocks[1].state, VM_HBLOCK_BUSY);
    assert_int_equal(l.n, 1 + 1 + 1 + 4);
    done(&im, &l);
}

/* A fully committed subheap whose blocks stop one header short of its end (Wine rounds the
 * block area down to BLOCK_ALIGN): the gap is overhead, and the bytes still add up. */
static void test_tail_gap(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    const wine_offsets *o = &W80_X64;
    build(&im, o);
    put_subheap(&im, SUB1, COMMITTED1, COMMITTED1);
    uint64_t b = SUB1 + o->sub_block + 0x1000, end = SUB1 + COMMITTED1;
    put_block(&im, b, B_FREE, end - 8 - b, 0, 0, 0);
    assert_true(walk(&im, &l, &info));
    assert_true(info.complete);
    assert_int_equal(im.snap->nwarnings, 0);
    assert_int_equal(l.n, NEXPECT + 1);
    const vm_hblock *free_block = &l.blocks[NEXPECT - 2], *gap = &l.blocks[NEXPECT - 1];
    assert_int_equal(free_block->address, b);
    assert_int_equal(free_block->size, end - 8 - b);
    assert_int_equal(gap->address, end - 8);
    assert_int_equal(gap->size, 8);
    assert_int_equal(gap->state, VM_HBLOCK_OVERHEAD);
    assert_int_equal(l.bytes[VM_HBLOCK_BUSY] + l.bytes[VM_HBLOCK_FREE] + l.bytes[VM_HBLOCK_CACHED] +
                         l.bytes[VM_HBLOCK_OVERHEAD],
                     COMMITTED0 + COMMITTED1 + 0x210000);
    done(&im, &l);
}

/* ---- damaged heaps: a warning, the subheap's walk ends there, the rest goes on ---- */

typedef void (*damage_fn)(wine_image *im);

/* Damages the embedded subheap's third block (the free 0x80 one); SUB1 and the large block
 * are still walked (the last 4 expected: SUB1's overhead and blocks, the large block). */
static void check_damaged(const wine_offsets *o, damage_fn damage, const char *code, const char *needle)
{
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, o);
    damage(&im);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_true(synth_has_warning(im.snap, code, needle));
    assert_int_equal(l.n, 3 + 4);
    expect_blocks(&l, 0, 3, 0);
    expect_blocks(&l, NEXPECT - 4, 4, 3);
    done(&im, &l);
}

static uint64_t third_block(const wine_image *im)
{
    return PH + EMBED + im->o->sub_block + 0x40 + 0x100;
}

static void damage_type(wine_image *im) { synth_put_u16(&im->m, third_block(im) + 6, 0x1234); }
static void damage_size(wine_image *im)
{
    /* A used block as long as the whole region: it runs past the subheap's end. */
    put_block(im, third_block(im), B_USED, 0xFFFF0, 0, 0, 0);
}
static void damage_base(wine_image *im) { synth_put_u16(&im->m, third_block(im) + 4, 5); }
static void damage_zero(wine_image *im) { put_block(im, third_block(im), B_FREE, 0, 0, 0, 0); }
static void damage_prev(wine_image *im)
{
    /* The dead block after the free one loses its prev-free flag. */
    put_block(im, third_block(im) + 0x80, B_DEAD, 0x60, 0x20, 0, 0);
}

static void test_bad_type(void **state) { (void)state; check_damaged(&W80_X64, damage_type, "heap-invalid", "no block type"); }
static void test_runs_past(void **state) { (void)state; check_damaged(&W80_X64, damage_size, "heap-invalid", "runs past"); }
static void test_bad_base(void **state) { (void)state; check_damaged(&W80_X86, damage_base, "heap-invalid", "another region"); }
static void test_zero_size(void **state) { (void)state; check_damaged(&WLATER_X64, damage_zero, "heap-invalid", "impossible size"); }

static void test_prev_free_flag(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, &W80_X64);
    damage_prev(&im);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "free flag"));
    assert_int_equal(l.n, 4 + 4);  /* the free block is counted, the dead one and the rest not */
    expect_blocks(&l, 0, 4, 0);
    done(&im, &l);
}

/* Committed memory the reader cannot read (a torn or partial capture): the block whose header
 * is there ends the subheap's walk. */
static void test_unreadable(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, &W80_X64);
    uint64_t b = EXPECT[5].address;  /* the last free block becomes used, up to the unreadable chunk */
    put_block(&im, b, B_USED, PH + SPLIT - b, 0, 0, 0);
    synth_unmap(&im.m, PH + SPLIT);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_true(synth_has_warning(im.snap, "read-failed", "cannot read the block at 0xa02008"));
    assert_int_equal(l.n, 6 + 4);
    expect_blocks(&l, 0, 5, 0);
    assert_int_equal(l.blocks[5].address, b);
    assert_int_equal(l.blocks[5].size, PH + SPLIT - b);
    assert_int_equal(l.blocks[5].state, VM_HBLOCK_BUSY);
    expect_blocks(&l, NEXPECT - 4, 4, 6);
    done(&im, &l);
}

/* An unreadable subheap header: the map walker ends the subheap list there (its warning kept). */
static void test_unreadable_subheap(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, &W80_X64);
    synth_unmap(&im.m, SUB1);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    assert_true(synth_has_warning(im.snap, "read-failed", "subheap"));
    assert_non_null(strstr(info.not_counted, "see the heap's warnings"));
    assert_int_equal(l.n, 1);  /* SUB1 is listed first: the list walk stops before the embedded one */
    expect_blocks(&l, NEXPECT - 1, 1, 0);
    done(&im, &l);
}

/* A subheap list that loops back to itself: the map walk stops it, the blocks of the subheaps
 * it did see are counted, and the warning appears once even when the snapshot already has it. */
static void test_subheap_cycle(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    const wine_offsets *o = &W80_X64;
    build(&im, o);
    synth_put_links(&im.m, o->bits, SUB1 + o->sub_entry, SUB1 + o->sub_entry, PH + o->subheaps);
    assert_true(walk(&im, &l, &info));
    assert_false(info.complete);
    size_t warnings = im.snap->nwarnings;
    assert_true(warnings > 0);
    block_log_free(&l);
    assert_true(walk(&im, &l, &info));
    assert_int_equal(im.snap->nwarnings, warnings);
    done(&im, &l);
}

static void test_visitor_stops(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    build(&im, &W80_X64);
    memset(&l, 0, sizeof l);
    l.stop_after = 3;
    assert_false(vm_winheap_blocks(&im.r, 64, PH, 0, 7, block_log_visit, &l, im.snap, NULL));
    assert_int_equal(l.n, 3);
    assert_int_equal(im.snap->nwarnings, 0);
    done(&im, &l);
}

/* Not a heap: a warning, no blocks, info says so. */
static void test_not_a_heap(void **state)
{
    (void)state;
    wine_image im;
    block_log l;
    vm_winheap_walk_info info;
    build(&im, &W80_X64);
    memset(&l, 0, sizeof l);
    assert_true(vm_winheap_blocks(&im.r, 64, SUB1 + 0x100, 0, 7, block_log_visit, &l, im.snap, &info));
    assert_null(info.kind);
    assert_false(info.complete);
    assert_int_equal(l.n, 0);
    assert_true(synth_has_warning(im.snap, "heap-invalid", "blocks not walked"));
    assert_true(vm_winheap_blocks(&im.r, 64, 0x7000000, 0, 7, block_log_visit, &l, NULL, NULL));
    done(&im, &l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wine80_x64),      cmocka_unit_test(test_wine80_x86),
        cmocka_unit_test(test_wine_later_x64),  cmocka_unit_test(test_lfh_group),
        cmocka_unit_test(test_lfh_group_bad),   cmocka_unit_test(test_tail_gap),
        cmocka_unit_test(test_bad_type),
        cmocka_unit_test(test_runs_past),       cmocka_unit_test(test_bad_base),
        cmocka_unit_test(test_zero_size),       cmocka_unit_test(test_prev_free_flag),
        cmocka_unit_test(test_unreadable),      cmocka_unit_test(test_unreadable_subheap),
        cmocka_unit_test(test_subheap_cycle),
        cmocka_unit_test(test_visitor_stops),   cmocka_unit_test(test_not_a_heap),
    };
    return cmocka_run_group_tests_name("wineheap_blocks", tests, NULL, NULL);
}
