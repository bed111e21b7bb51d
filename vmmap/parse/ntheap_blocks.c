/* Every block of an NT heap (see winheap_blocks.h), starting from what the map walker
 * (ntheap.c) validated: the segments, the heap's Encoding, the VirtualAlloc'd blocks.
 *
 * Back end: each segment is walked entry by entry from FirstEntry to LastValidEntry, stepping
 * over its uncommitted ranges (UCRSegmentList).  Each header is decoded with the heap's
 * Encoding, its checksum byte checked (encoded heaps), its PreviousSize checked against the entry
 * before it and its size against the committed run it lies in; the first entry that fails ends
 * the segment's walk with a warning.
 *
 * LFH: a busy back-end entry whose data starts with a _HEAP_USERDATA_HEADER (Signature
 * 0xF0E0D0C0, SubSegment pointing at a _HEAP_SUBSEGMENT whose UserBlocks points back) is an LFH
 * user block: its slots are reported in its place, busy or free from the user block's BusyBitmap
 * (Windows 8+: one bit per slot) or, without one (Windows 7), from each slot's UnusedBytes (LFH
 * marker 0x80, busy when other bits are set).  Where the slots start: Windows 7 right after
 * the header; Windows 8+ at FirstAllocationOffset, kept encoded as EncodedOffsets ^ UserBlocks ^
 * (LFH heap ^ RtlpLFHKey).  The combined key is derived once per heap from a user block whose
 * slot layout is found by probing (the stride is the subsegment's BlockSize, the first slot the
 * first offset after the header and bitmap where every slot carries the LFH marker), then used
 * to decode the others; a user block whose slots cannot be found is counted as one busy block
 * and said in the walk info.  The lookaside front end (FrontEndHeapType 1) and unknown front ends
 * are not read: said in the walk info (their blocks are busy to the back end).
 *
 * Offsets: windows-internals.md §2 and the _HEAP_SEGMENT, _HEAP_UCR_DESCRIPTOR,
 * _HEAP_SUBSEGMENT, _HEAP_USERDATA_HEADER and _HEAP_VIRTUAL_ALLOC_ENTRY tables of
 * docs/testing-windows.md (public symbol dumps of Windows 7, 8.1 and 10 ntdll). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "ntheap.h"
#include "winheap_emit.h"

#define PAGE UINT64_C(0x1000)
#define FLAG_BUSY 0x01u
#define LFH_MARKER 0x80u
#define USERDATA_SIGNATURE 0xF0E0D0C0u
#define MAX_UCRS 4096
#define MAX_PROBES 64          /* first-slot candidates tried per user block */
#define MIN_UNUSED 8           /* a busy entry's UnusedBytes count its 8 header bytes */
#define LFH_MAX_SLOTS 65536u   /* BlockCount is 16 bits */

typedef struct nt_blk_arch {
    unsigned ptr, unit, entry_len, raw;   /* raw: where the 8 real header bytes start */
    unsigned seg_first, seg_last, seg_nucr, seg_ucr_list;
    unsigned ucr_entry, ucr_address, ucr_size;
    unsigned va_busy, va_len;             /* _HEAP_VIRTUAL_ALLOC_ENTRY: BusyBlock, sizeof */
} nt_blk_arch;

static const nt_blk_arch ARCH64 = {
    .ptr = 8, .unit = 16, .entry_len = 16, .raw = 8,
    .seg_first = 0x40, .seg_last = 0x48, .seg_nucr = 0x54, .seg_ucr_list = 0x60,
    .ucr_entry = 0x10, .ucr_address = 0x20, .ucr_size = 0x28,
    .va_busy = 0x30, .va_len = 0x40,
};

static const nt_blk_arch ARCH32 = {
    .ptr = 4, .unit = 8, .entry_len = 8, .raw = 0,
    .seg_first = 0x24, .seg_last = 0x28, .seg_nucr = 0x30, .seg_ucr_list = 0x38,
    .ucr_entry = 0x8, .ucr_address = 0x10, .ucr_size = 0x14,
    .va_busy = 0x18, .va_len = 0x20,
};

/* _HEAP_SUBSEGMENT and _HEAP_USERDATA_HEADER.  encoded 0: no EncodedOffsets and no BusyBitmap
 * (Windows 7: the slots follow the header, which is first bytes long).  ud_bitmap: BusyBitmap, an
 * RTL_BITMAP {SizeOfBitMap, Buffer} (pointer-sized each), one bit per slot, set when busy. */
typedef struct lfh_layout {
    unsigned sub_user_blocks, sub_block_size, sub_block_count;
    unsigned ud_signature, ud_encoded, ud_bitmap, ud_bitmap_data, bitmap_word, first;
} lfh_layout;

static const lfh_layout LFH8_X64 = {0x08, 0x24, 0x28, 0x14, 0x18, 0x20, 0x30, 8, 0};
static const lfh_layout LFH8_X86 = {0x04, 0x14, 0x18, 0x0C, 0x10, 0x14, 0x1C, 4, 0};
static const lfh_layout LFH7_X64 = {0x08, 0x18, 0x1C, 0x18, 0, 0, 0, 0, 0x20};
static const lfh_layout LFH7_X86 = {0x04, 0x10, 0x14, 0x0C, 0, 0, 0, 0, 0x10};

typedef struct ucr {
    uint64_t address, size;
} ucr;

typedef struct nt_bwalk {
    vm_winemit *w;
    const nt_blk_arch *a;
    const lfh_layout *lfh;
    const vm_winheap *h;
    uint32_t key;             /* LFH heap address ^ RtlpLFHKey, when key_known */
    bool key_known, key_conflict;
    size_t lfh_undecoded;     /* user blocks counted as one busy block */
    size_t bitmap_disagree;   /* slots whose bitmap bit and UnusedBytes disagree */
    size_t bitmap_bad;        /* user blocks whose bitmap could not be read: states from headers */
    uint8_t bitmap[LFH_MAX_SLOTS / 8];
    ucr *ucrs;
    size_t nucrs;
    /* the segment being walked, for the UCR list visitor */
    uint64_t seg_first, seg_last;
    size_t max_ucrs;
    bool ucr_bad;
} nt_bwalk;

static uint64_t rd(const uint8_t *p, unsigned len)
{
    return vm_winheap_le(p, len);
}

/* ---- uncommitted ranges ----------------------------------------------------------------- */

static vm_winlist_step visit_ucr(void *ctx, uint64_t link)
{
    nt_bwalk *bw = ctx;
    const nt_blk_arch *a = bw->a;
    uint8_t b[0x30];
    uint64_t desc = link - a->ucr_entry;
    if (bw->nucrs == bw->max_ucrs) {
        vm_winemit_warn(bw->w, "heap-invalid", "segment at 0x%" PRIx64 ": more uncommitted ranges than "
                        "NumberOfUnCommittedRanges says", bw->seg_first);
        bw->ucr_bad = true;
        return VM_WINLIST_STOP;
    }
    if (!vm_read_exact(bw->w->mem, desc, b, a->ucr_size + a->ptr)) {
        vm_winemit_warn(bw->w, "read-failed", "cannot read the uncommitted range descriptor at 0x%" PRIx64, desc);
        bw->ucr_bad = true;
        return VM_WINLIST_STOP;
    }
    uint64_t address = rd(b + a->ucr_address, a->ptr), size = rd(b + a->ucr_size, a->ptr);
    if (address % PAGE || size == 0 || size % PAGE || address < bw->seg_first || address > bw->seg_last ||
        size > bw->seg_last - address) {
        vm_winemit_warn(bw->w, "heap-invalid", "uncommitted range [0x%" PRIx64 ", +0x%" PRIx64 ") (descriptor 0x%"
                        PRIx64 ") lies outside its segment", address, size, desc);
        bw->ucr_bad = true;
        return VM_WINLIST_STOP;
    }
    ucr *u = vm_array_push((void **)&bw->ucrs, &bw->nucrs, sizeof *bw->ucrs);
    if (!u)
        return VM_WINLIST_OOM;
    *u = (ucr){address, size};
    return VM_WINLIST_NEXT;
}

static int cmp_ucr(const void *x, const void *y)
{
    const ucr *p = x, *q = y;
    return p->address < q->address ? -1 : p->address > q->address;
}

/* The segment's uncommitted ranges, sorted and checked not to overlap.  False when out of
 * memory; a damaged list is a warning and leaves ucr_bad set. */
static bool read_ucrs(nt_bwalk *bw, uint64_t seg, uint32_t count)
{
    char what[96];
    bw->nucrs = 0;
    bw->ucr_bad = false;
    bw->max_ucrs = count < MAX_UCRS ? count : MAX_UCRS;
    snprintf(what, sizeof what, "NT heap 0x%" PRIx64 " segment 0x%" PRIx64 " uncommitted ranges", bw->w->heap, seg);
    if (!vm_winlist_walk(bw->w->mem, bw->w->bits, seg + bw->a->seg_ucr_list, bw->max_ucrs + 1, what, visit_ucr, bw,
                         bw->w->snap))
        return false;
    if (bw->nucrs)
        qsort(bw->ucrs, bw->nucrs, sizeof *bw->ucrs, cmp_ucr);
    for (size_t i = 1; i < bw->nucrs; i++)
        if (bw->ucrs[i].address < bw->ucrs[i - 1].address + bw->ucrs[i - 1].size) {
            vm_winemit_warn(bw->w, "heap-invalid", "segment 0x%" PRIx64 ": uncommitted ranges overlap at 0x%" PRIx64,
                            seg, bw->ucrs[i].address);
            bw->ucr_bad = true;
            bw->nucrs = i;
            break;
        }
    return true;
}

/* ---- LFH user blocks --------------------------------------------------------------------- */

typedef struct lfh_slots {
    uint64_t first;     /* address of slot 0's header */
    uint64_t stride;    /* bytes from one slot to the next: the slot's size */
    unsigned count;
    uint64_t bitmap_bits, bitmap_buffer;  /* BusyBitmap (Windows 8+); bits 0: none */
} lfh_slots;

/* Every slot's header carries the LFH marker in UnusedBytes. */
static bool slots_marked(nt_bwalk *bw, const lfh_slots *s)
{
    for (unsigned i = 0; i < s->count; i++) {
        uint8_t unused;
        if (!vm_memwindow_read(&bw->w->win, s->first + i * s->stride + bw->a->raw + 7, &unused, 1) ||
            !(unused & LFH_MARKER))
            return false;
    }
    return true;
}

/* The slots of the user block at user (data_len bytes), by probing first-slot offsets from
 * `from` in unit steps: the first where every slot is marked. */
static bool probe_slots(nt_bwalk *bw, uint64_t user, uint64_t data_len, uint64_t from, lfh_slots *s)
{
    uint64_t span = (uint64_t)s->count * s->stride;
    from = (from + bw->a->unit - 1) / bw->a->unit * bw->a->unit;
    for (unsigned i = 0; i < MAX_PROBES; i++) {
        uint64_t off = from + (uint64_t)i * bw->a->unit;
        if (off > data_len || span > data_len - off)
            return false;
        s->first = user + off;
        if (slots_marked(bw, s))
            return true;
    }
    return false;
}

/* Whether the busy entry at e (size bytes, data at user) is an LFH user block, and its slots. */
static bool find_slots(nt_bwalk *bw, uint64_t e, uint64_t size, lfh_slots *s)
{
    const nt_blk_arch *a = bw->a;
    const lfh_layout *l = bw->lfh;
    uint64_t user = e + a->entry_len, data_len = size - a->entry_len;
    uint8_t ud[0x38], sub[0x30];
    size_t ud_len = l->ud_encoded ? l->ud_bitmap_data : l->first;
    if (data_len < ud_len || !vm_memwindow_read(&bw->w->win, user, ud, ud_len) ||
        rd(ud + l->ud_signature, 4) != USERDATA_SIGNATURE)
        return false;
    uint64_t subseg = rd(ud, a->ptr);
    if (!subseg || subseg % a->ptr || !vm_read_exact(bw->w->mem, subseg, sub, l->sub_block_count + 2) ||
        rd(sub + l->sub_user_blocks, a->ptr) != user)
        return false;
    s->stride = rd(sub + l->sub_block_size, 2) * a->unit;
    s->count = (unsigned)rd(sub + l->sub_block_count, 2);
    s->bitmap_bits = l->ud_bitmap ? rd(ud + l->ud_bitmap, a->ptr) : 0;
    s->bitmap_buffer = l->ud_bitmap ? rd(ud + l->ud_bitmap + a->ptr, a->ptr) : 0;
    if (!s->stride || !s->count || (uint64_t)s->count * s->stride > data_len)
        return false;
    if (!l->ud_encoded) {  /* Windows 7: right after the header (else probed from there) */
        s->first = user + l->first;
        if (l->first + (uint64_t)s->count * s->stride <= data_len && slots_marked(bw, s))
            return true;
        return probe_slots(bw, user, data_len, l->first, s);
    }
    uint32_t enc = (uint32_t)rd(ud + l->ud_encoded, 4) ^ (uint32_t)user;
    if (bw->key_known) {
        uint32_t offsets = enc ^ bw->key;
        s->first = user + (offsets & 0xFFFF);
        if ((offsets >> 16) == s->stride && (offsets & 0xFFFF) + (uint64_t)s->count * s->stride <= data_len &&
            slots_marked(bw, s))
            return true;
    }
    uint64_t bitmap_end = l->ud_bitmap_data + ((uint64_t)s->count + 8 * l->bitmap_word - 1) / (8 * l->bitmap_word) *
                          l->bitmap_word;
    if (s->stride > 0xFFFF || !probe_slots(bw, user, data_len, bitmap_end, s))
        return false;
    uint32_t key = enc ^ ((uint32_t)s->stride << 16 | (uint32_t)(s->first - user));
    if (bw->key_known && key != bw->key && !bw->key_conflict) {
        bw->key_conflict = true;
        vm_winemit_warn(bw->w, "heap-invalid", "LFH user blocks at 0x%" PRIx64 " and before disagree on the LFH key "
                        "(memory changing?)", user);
    }
    bw->key = key;
    bw->key_known = true;
    return true;
}

/* The user block's BusyBitmap into bw->bitmap (Windows 8+): true when it covers every slot and
 * could be read; the slots' states then come from it. */
static bool read_bitmap(nt_bwalk *bw, const lfh_slots *s)
{
    if (!bw->lfh->ud_bitmap)
        return false;  /* Windows 7: no bitmap, the headers say */
    size_t bytes = (s->count + 7u) / 8u;
    if (s->bitmap_bits < s->count || s->bitmap_bits > LFH_MAX_SLOTS || !s->bitmap_buffer ||
        s->bitmap_buffer % bw->a->ptr || !vm_memwindow_read(&bw->w->win, s->bitmap_buffer, bw->bitmap, bytes)) {
        bw->bitmap_bad++;
        return false;
    }
    return true;
}

/* The slots of the user block entry [e, e + size) in its place, the entry's header, the
 * _HEAP_USERDATA_HEADER, bitmap and padding before them and any tail after them as overhead;
 * false only when the visitor stopped.  A slot is busy when its BusyBitmap bit is set (Windows
 * 8+; the allocator's own record), else when its UnusedBytes has bits beside the LFH marker
 * (Windows 7, or a bitmap that cannot be read); a slot whose header disagrees with its bit is
 * counted as the bitmap says, and said. */
static bool visit_slots(nt_bwalk *bw, uint64_t e, uint64_t size, const lfh_slots *s)
{
    const nt_blk_arch *a = bw->a;
    uint64_t end = s->first + (uint64_t)s->count * s->stride;
    if (!vm_winemit_block(bw->w, e, s->first - e, 0, 0, VM_HBLOCK_OVERHEAD))
        return false;
    bool bitmap = read_bitmap(bw, s);
    for (unsigned i = 0; i < s->count; i++) {
        uint64_t at = s->first + i * s->stride;
        uint8_t unused = 0;
        vm_memwindow_read(&bw->w->win, at + a->raw + 7, &unused, 1);  /* read by slots_marked */
        unsigned bytes = unused & (unsigned)~LFH_MARKER & 0x7Fu;
        bool busy = bytes != 0;
        if (bitmap) {
            bool bit = (bw->bitmap[i / 8] >> (i % 8)) & 1;
            bw->bitmap_disagree += bit != busy;
            busy = bit;
        }
        /* 0x3F and above: the unused count did not fit and sits at the block's end: unknown. */
        uint64_t user_size = busy && bytes && bytes < 0x3F && bytes <= s->stride ? s->stride - bytes : 0;
        if (!vm_winemit_block(bw->w, at, s->stride, at + a->entry_len, user_size,
                              busy ? VM_HBLOCK_BUSY : VM_HBLOCK_FREE))
            return false;
    }
    return end == e + size || vm_winemit_block(bw->w, end, e + size - end, 0, 0, VM_HBLOCK_OVERHEAD);
}

/* ---- back-end entries -------------------------------------------------------------------- */

/* A busy back-end entry: an LFH user block's slots, or the entry itself. */
static bool visit_busy(nt_bwalk *bw, uint64_t e, uint64_t size, const vm_ntheap_entry *en)
{
    const nt_blk_arch *a = bw->a;
    lfh_slots s;
    if (bw->lfh && size > a->entry_len && find_slots(bw, e, size, &s))
        return visit_slots(bw, e, size, &s);
    if (bw->lfh && size > a->entry_len) {
        /* A user block whose slots were not found still names itself: count it honestly. */
        uint8_t sig[4];
        const lfh_layout *l = bw->lfh;
        if (vm_memwindow_read(&bw->w->win, e + a->entry_len + l->ud_signature, sig, 4) &&
            rd(sig, 4) == USERDATA_SIGNATURE)
            bw->lfh_undecoded++;
    }
    uint64_t user_size = en->unused_bytes >= MIN_UNUSED && en->unused_bytes <= size ? size - en->unused_bytes : 0;
    return vm_winemit_block(bw->w, e, size, e + a->entry_len, user_size, VM_HBLOCK_BUSY);
}

static void segment_damaged(nt_bwalk *bw, size_t index, uint64_t e, const char *why)
{
    vm_winemit_warn(bw->w, "heap-invalid", "segment %zu: the entry at 0x%" PRIx64 " %s; the rest of the segment is "
                    "not counted", index, e, why);
    vm_winemit_missing(bw->w, "blocks after a damaged entry not counted");
}

/* One segment's entries; false only when out of memory or the visitor stopped. */
static bool walk_segment(nt_bwalk *bw, size_t index, const vm_winheap_range *r)
{
    const nt_blk_arch *a = bw->a;
    vm_winemit *w = bw->w;
    uint8_t hdr[0x70];
    uint64_t seg = r->header, seg_end = r->address + r->size;
    if (!vm_read_exact(w->mem, seg, hdr, a->seg_ucr_list + 2 * a->ptr)) {
        vm_winemit_warn(w, "read-failed", "segment %zu: cannot read its header at 0x%" PRIx64, index, seg);
        vm_winemit_missing(w, "blocks of unreadable segments not counted");
        return true;
    }
    uint64_t first = rd(hdr + a->seg_first, a->ptr), last = rd(hdr + a->seg_last, a->ptr);
    if (first < seg || first >= seg_end || last <= first || last > seg_end || first % a->unit) {
        vm_winemit_warn(w, "heap-invalid", "segment %zu: FirstEntry 0x%" PRIx64 " / LastValidEntry 0x%" PRIx64
                        " do not fit [0x%" PRIx64 ", 0x%" PRIx64 ")", index, first, last, r->address, seg_end);
        vm_winemit_missing(w, "blocks of damaged segments not counted");
        return true;
    }
    bw->seg_first = first;
    bw->seg_last = last;
    /* The segment's own header (for segment 0, the _HEAP) up to its first entry. */
    if (first > r->address && !vm_winemit_block(w, r->address, first - r->address, 0, 0, VM_HBLOCK_OVERHEAD))
        return false;
    if (!read_ucrs(bw, seg, (uint32_t)rd(hdr + a->seg_nucr, 4)))
        return false;
    if (bw->ucr_bad)
        vm_winemit_missing(w, "blocks of segments with a damaged uncommitted-range list may be missing");
    size_t k = 0;
    uint64_t e = first;
    unsigned prev = 0;  /* the previous entry's Size; 0: none (segment start, after a UCR) */
    while (e < last) {
        while (k < bw->nucrs && bw->ucrs[k].address + bw->ucrs[k].size <= e)
            k++;
        if (k < bw->nucrs && e >= bw->ucrs[k].address) {
            if (e != bw->ucrs[k].address) {
                segment_damaged(bw, index, e, "lies inside an uncommitted range");
                return true;
            }
            e += bw->ucrs[k].size;
            prev = 0;
            continue;
        }
        uint8_t raw[16];
        vm_ntheap_entry en;
        if (!vm_memwindow_read(&w->win, e + a->raw, raw, 8)) {
            vm_winemit_warn(w, "read-failed", "segment %zu: cannot read the entry at 0x%" PRIx64 "; the rest of the "
                            "segment is not counted", index, e);
            vm_winemit_missing(w, "blocks of unreadable segments not counted");
            return true;
        }
        uint64_t limit = k < bw->nucrs ? bw->ucrs[k].address : last;
        if (!vm_ntheap_decode_entry(bw->h, raw, &en)) {
            segment_damaged(bw, index, e, "fails the header checksum");
            return true;
        }
        uint64_t size = (uint64_t)en.size * a->unit;
        if (size == 0) {
            segment_damaged(bw, index, e, "has size 0");
            return true;
        }
        if (size > limit - e) {
            segment_damaged(bw, index, e, "has a size that runs past its segment's committed memory");
            return true;
        }
        if (prev && en.previous_size != prev) {
            segment_damaged(bw, index, e, "disagrees with the entry before it (PreviousSize)");
            return true;
        }
        bool ok = (en.flags & FLAG_BUSY)
                      ? visit_busy(bw, e, size, &en)
                      : vm_winemit_block(w, e, size, e + a->entry_len, 0, VM_HBLOCK_FREE);
        if (!ok)
            return false;
        prev = en.size;
        e += size;
    }
    return true;
}

/* A VirtualAlloc'd block: its whole committed size, header included; the BusyBlock's Size field
 * holds the unused bytes. */
static bool visit_virtual(nt_bwalk *bw, const vm_winheap_range *r)
{
    const nt_blk_arch *a = bw->a;
    uint8_t raw[8];
    vm_ntheap_entry en;
    uint64_t user_size = 0;
    if (r->committed >= a->va_len && vm_read_exact(bw->w->mem, r->header + a->va_busy + a->raw, raw, 8)) {
        vm_ntheap_decode_entry(bw->h, raw, &en);  /* no checksum in this header to check */
        if (en.size <= r->committed - a->va_len)
            user_size = r->committed - en.size;
    }
    return vm_winemit_block(bw->w, r->address, r->committed, r->address + a->va_len, user_size, VM_HBLOCK_BUSY);
}

/* A front end the walk does not decode is said, not counted as zero: the lookaside lists (the
 * Windows 7 layout's FrontEndHeapType 1) hold blocks the back end marks busy, so they are counted
 * busy; an unknown type may hold anything. */
static void front_end_note(vm_winemit *w, const vm_winheap *h)
{
    if (h->front_end_type == 1)
        vm_winemit_missing(w, "the lookaside front end (FrontEndHeapType 1) is not read: blocks on its lists are "
                           "counted busy, as the back end sees them");
    else if (h->front_end_type < 0)
        vm_winemit_missing(w, "the front end is unknown (FrontEndHeapType not readable): blocks it may hold are "
                           "counted as the back end sees them");
    else if (h->front_end_type > 2)
        vm_winemit_missing(w, "the front end is unknown (FrontEndHeapType %d): blocks it may hold are counted as the "
                           "back end sees them", h->front_end_type);
}

bool vm_ntheap_blocks(vm_winemit *w)
{
    vm_winheap h;
    int got = vm_winemit_map(w, vm_ntheap_walk, &h);
    if (got <= 0)
        return got == 0;
    bool x86 = w->bits == 32;
    nt_bwalk bw = {.w = w, .a = x86 ? &ARCH32 : &ARCH64, .h = &h};
    bw.lfh = h.nt_win7 ? (x86 ? &LFH7_X86 : &LFH7_X64) : (x86 ? &LFH8_X86 : &LFH8_X64);
    front_end_note(w, &h);
    bool ok = true;
    for (size_t i = 0; ok && i < h.nsegments; i++)
        ok = walk_segment(&bw, i, &h.segments[i]);
    for (size_t i = 0; ok && i < h.nlarge; i++)
        ok = visit_virtual(&bw, &h.large[i]);
    if (bw.bitmap_disagree)
        vm_winemit_warn(w, "heap-invalid", "%zu LFH slot%s whose busy bit and header disagree (memory changing?): "
                        "counted as the bitmap says", bw.bitmap_disagree, bw.bitmap_disagree == 1 ? "" : "s");
    if (bw.bitmap_bad)
        vm_winemit_warn(w, "heap-invalid", "%zu LFH user block%s whose busy bitmap cannot be read: their slots' "
                        "states taken from the slots' headers", bw.bitmap_bad, bw.bitmap_bad == 1 ? "" : "s");
    if (bw.lfh_undecoded)
        vm_winemit_missing(w, "LFH blocks of %zu user block%s not counted (slot layout%s not found): counted as "
                           "one busy block each", bw.lfh_undecoded, bw.lfh_undecoded == 1 ? "" : "s",
                           bw.key_known ? "" : ", RtlpLFHKey");
    free(bw.ucrs);
    vm_winheap_free(&h);
    return ok;
}
