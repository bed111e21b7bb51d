/* Every block of a Wine heap (see winheap_blocks.h): the subheaps and large blocks that the map
 * walker (wineheap.c) validated, then each subheap's blocks from its first block header to its
 * committed end, the way Wine's own heap_walk steps through them (next = block + block size,
 * while a whole header fits before the committed end).
 *
 * Sizes as Wine keeps them (block_get_size: header included, 16-byte units on x64), except that
 * a free block reaching into the uncommitted tail of its subheap is counted up to the committed
 * end: Wine keeps one free block over both and commits on demand, Windows keeps the uncommitted
 * range apart, and free bytes are committed bytes for vmmap.  Large blocks span their whole
 * reservation (ARENA_LARGE header included), user_size the size asked for.
 *
 * Every header is checked before it is believed: its type, its free flag against its type, its
 * size (at least the minimum block, inside the subheap), its base offset (which must name the
 * subheap's region) and the previous-free flag against the block before it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "winheap_emit.h"
#include "wineheap.h"
#include "wineheap_layout.h"

#define REGION_ALIGN UINT64_C(0x10000)
#define HEADER 8u                 /* struct block */
#define FLAG_FREE 0x01u
#define FLAG_PREV_FREE 0x02u
#define FLAG_LARGE 0x04u
#define FLAG_LFH 0x80u            /* later layout: the block is (or holds) an LFH group */
#define GROUP_BLOCKS 31u          /* blocks in an LFH group: bits of free_bits but the top one */

/* Block types, 8.0 (WORD) and later (BYTE). */
#define TYPE8_USED 0x5355u
#define TYPE8_FREE 0x5246u
#define TYPE8_DEAD 0xDEADu
#define TYPE9_USED 'u'
#define TYPE9_FREE 'F'
#define TYPE9_DEAD 'D'

typedef struct wine_block {
    uint64_t size;      /* bytes, header included */
    unsigned flags, tail, base_offset;
    vm_hblock_state state;
    bool typed;         /* the type word is one a block of this kind may carry */
} wine_block;

typedef struct wine_bwalk {
    vm_winemit *w;
    const wine_layout *l;
    uint64_t min_block;  /* HEAP_MIN_BLOCK_SIZE: an entry (header + list) and one BLOCK_ALIGN */
} wine_bwalk;

/* Decodes the 8 header bytes in the layout's format. */
static void decode(const wine_bwalk *bw, const uint8_t h[8], wine_block *b)
{
    unsigned size16 = (unsigned)vm_winheap_le(h, 2), type;
    bool dead, used, freed;
    if (bw->l->blocks == WINE_BLOCKS_8) {
        b->flags = h[2];
        b->tail = h[3];
        b->base_offset = (unsigned)vm_winheap_le(h + 4, 2);
        type = (unsigned)vm_winheap_le(h + 6, 2);
        used = type == TYPE8_USED, freed = type == TYPE8_FREE, dead = type == TYPE8_DEAD;
    } else {
        b->tail = (unsigned)vm_winheap_le(h + 2, 2);
        b->base_offset = (unsigned)vm_winheap_le(h + 4, 2);
        type = h[6];
        b->flags = h[7];
        used = type == TYPE9_USED, freed = type == TYPE9_FREE, dead = type == TYPE9_DEAD;
    }
    uint64_t units = size16;
    if (b->flags & FLAG_FREE)  /* a free block keeps the high bits of its size in tail_size */
        units += (uint64_t)(b->tail & (bw->l->blocks == WINE_BLOCKS_8 ? 0xFFu : 0xFFFFu)) << 16;
    b->size = units * bw->l->a->block_align;
    b->typed = (freed && (b->flags & FLAG_FREE)) || ((used || dead) && !(b->flags & FLAG_FREE));
    b->state = freed ? VM_HBLOCK_FREE : dead ? VM_HBLOCK_CACHED : VM_HBLOCK_BUSY;
}

/* The bytes handed to the program: size - header - unused tail (8.0 and later alike). */
static uint64_t user_size(const wine_block *b)
{
    if (b->state == VM_HBLOCK_FREE || b->size < HEADER + b->tail)
        return 0;
    return b->size - HEADER - b->tail;
}

/* The blocks of an LFH group (later layout) held in the block at `block` whose data has
 * data_size bytes: GROUP_BLOCKS blocks of one size, each header naming its index.  False (with
 * nothing visited) when the group does not check out: the caller then counts the group block. */
static bool group_ok(wine_bwalk *bw, uint64_t group, uint64_t data_size, uint64_t *member_size)
{
    const wine_arch *a = bw->l->a;
    uint8_t h[8];
    wine_block m;
    if (!vm_memwindow_read(&bw->w->win, group + a->lfh_group_first, h, sizeof h))
        return false;
    decode(bw, h, &m);
    if (m.size < bw->min_block || (data_size - a->lfh_group_first) / m.size < GROUP_BLOCKS)
        return false;
    for (unsigned i = 0; i < GROUP_BLOCKS; i++) {
        wine_block n;
        if (!vm_memwindow_read(&bw->w->win, group + a->lfh_group_first + i * m.size, h, sizeof h))
            return false;
        decode(bw, h, &n);
        if (!n.typed || n.size != m.size || n.base_offset != i || !(n.flags & FLAG_LFH))
            return false;
    }
    *member_size = m.size;
    return true;
}

/* An LFH group's blocks in place of the group's own block [block, block_end); false only when
 * the visitor stopped. */
static bool visit_group(wine_bwalk *bw, uint64_t block, uint64_t block_end, uint64_t data_size, bool *counted)
{
    const wine_arch *a = bw->l->a;
    uint64_t group = block + HEADER, size;
    *counted = false;
    if (data_size < a->lfh_group_first || !group_ok(bw, group, data_size, &size))
        return true;
    *counted = true;
    uint64_t first = group + a->lfh_group_first, end = first + GROUP_BLOCKS * size;
    /* The group block's header and struct group before its blocks, the rest after: overhead. */
    if (!vm_winemit_block(bw->w, block, first - block, 0, 0, VM_HBLOCK_OVERHEAD))
        return false;
    for (unsigned i = 0; i < GROUP_BLOCKS; i++) {
        uint64_t at = first + i * size;
        uint8_t h[8];
        wine_block m;
        if (!vm_memwindow_read(&bw->w->win, at, h, sizeof h))
            return true;  /* read a moment ago by group_ok: the window holds it */
        decode(bw, h, &m);
        if (!vm_winemit_block(bw->w, at, size, at + HEADER, user_size(&m), m.state))
            return false;
    }
    return end >= block_end || vm_winemit_block(bw->w, end, block_end - end, 0, 0, VM_HBLOCK_OVERHEAD);
}

/* Why the header at b cannot be a block of this subheap (into why), or NULL. */
static const char *block_problem(const wine_bwalk *bw, uint64_t b, const wine_block *blk, uint64_t base,
                                 uint64_t commit_end, uint64_t end, bool prev_free)
{
    if (!blk->typed)
        return "has no block type";
    if (blk->size < bw->min_block || blk->size % bw->l->a->block_align)
        return "has an impossible size";
    if (blk->size > end - b)
        return "runs past the end of its subheap";
    if (blk->state != VM_HBLOCK_FREE && blk->size > commit_end - b)
        return "is in use but runs past the subheap's committed memory";
    if ((uint64_t)blk->base_offset * REGION_ALIGN != (b & ~(REGION_ALIGN - 1)) - base)
        return "names another region as its base";
    if (prev_free != ((blk->flags & FLAG_PREV_FREE) != 0))
        return "disagrees with the block before it (free flag)";
    return NULL;
}

/* One subheap: blocks from its first to its committed end.  False only when the visitor
 * stopped. */
static bool walk_subheap(wine_bwalk *bw, size_t index, const vm_winheap_range *r)
{
    vm_winemit *w = bw->w;
    uint64_t base = r->address, end = r->address + r->size, commit_end = r->address + r->committed;
    uint64_t b = r->header + bw->l->a->sub_block;
    bool prev_free = false;
    if (commit_end < b + 2 * HEADER || commit_end > end)
        return true;  /* nothing committed past the header (the map walker checked the sizes) */
    /* The region's start up to its first block: SUBHEAP, or struct heap for subheap 0. */
    if (!vm_winemit_block(w, base, b - base, 0, 0, VM_HBLOCK_OVERHEAD))
        return false;
    for (;;) {
        uint8_t h[8];
        wine_block blk;
        if (!vm_memwindow_read(&w->win, b, h, sizeof h)) {
            vm_winemit_warn(w, "read-failed", "subheap %zu: cannot read the block at 0x%" PRIx64
                            "; the rest of the subheap is not counted", index, b);
            vm_winemit_missing(w, "blocks of unreadable subheaps not counted");
            return true;
        }
        decode(bw, h, &blk);
        const char *why = block_problem(bw, b, &blk, base, commit_end, end, prev_free);
        if (why) {
            vm_winemit_warn(w, "heap-invalid", "subheap %zu: the block at 0x%" PRIx64 " %s (header %02x%02x%02x%02x"
                            "%02x%02x%02x%02x); the rest of the subheap is not counted", index, b, why,
                            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
            vm_winemit_missing(w, "blocks after a damaged header not counted");
            return true;
        }
        bool counted = false;
        if (blk.state == VM_HBLOCK_BUSY && (blk.flags & FLAG_LFH) && bw->l->blocks == WINE_BLOCKS_9 &&
            !visit_group(bw, b, b + blk.size, blk.size - HEADER - (blk.tail <= blk.size - HEADER ? blk.tail : 0),
                         &counted))
            return false;
        if (blk.flags & FLAG_LFH && !counted)
            vm_winemit_missing(w, "LFH groups that do not check out counted as one busy block each");
        uint64_t size = blk.size > commit_end - b ? commit_end - b : blk.size;
        if (!counted && !vm_winemit_block(w, b, size, b + HEADER, user_size(&blk), blk.state))
            return false;
        prev_free = blk.state == VM_HBLOCK_FREE;
        /* Wine's next_block: the next header must lie whole before the last header slot.  What
         * is left before the committed end holds no block: alignment, overhead (Wine rounds a
         * subheap's block area down to BLOCK_ALIGN). */
        uint64_t next = b + blk.size;
        if (next > commit_end - 2 * HEADER)
            return next >= commit_end || vm_winemit_block(w, next, commit_end - next, 0, 0, VM_HBLOCK_OVERHEAD);
        b = next;
    }
}

static bool walk_large(wine_bwalk *bw, const vm_winheap_range *r)
{
    vm_winemit *w = bw->w;
    const wine_arch *a = bw->l->a;
    uint64_t block = r->header + a->large_block;
    uint8_t h[8];
    wine_block blk;
    bool counted = false;
    if (bw->l->blocks == WINE_BLOCKS_9 && vm_memwindow_read(&w->win, block, h, sizeof h)) {
        decode(bw, h, &blk);
        if ((blk.flags & FLAG_LFH) && !visit_group(bw, block, r->address + r->size, r->user_size, &counted))
            return false;
        if ((blk.flags & FLAG_LFH) && !counted)
            vm_winemit_missing(w, "LFH groups that do not check out counted as one busy block each");
    }
    return counted || vm_winemit_block(w, r->address, r->size, block + HEADER, r->user_size, VM_HBLOCK_BUSY);
}

bool vm_wineheap_blocks(vm_winemit *w)
{
    bool readable;
    vm_winheap h;
    const wine_layout *l = vm_wineheap_layout(w->mem, w->bits, w->heap, &readable);
    if (!l)
        return true;
    int got = vm_winemit_map(w, vm_wineheap_walk_build, &h);
    if (got <= 0)
        return got == 0;
    wine_bwalk bw = {.w = w, .l = l, .min_block = 3u * l->a->block_align};
    bool ok = true;
    for (size_t i = 0; ok && i < h.nsegments; i++)
        ok = walk_subheap(&bw, i, &h.segments[i]);
    for (size_t i = 0; ok && i < h.nlarge; i++)
        ok = walk_large(&bw, &h.large[i]);
    vm_winheap_free(&h);
    return ok;
}
