/* Wine heap walker (see wineheap.h).  Offsets from windows-internals.md §5, checked against
 * Wine's dlls/ntdll/heap.c (struct heap, SUBHEAP, ARENA_LARGE), written down as tables. */
#include "wineheap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "wineheap_layout.h"

#define REGION_MASK UINT64_C(0xFFFF)  /* subheaps are 64 KiB-aligned regions */
#define PAGE UINT64_C(0x1000)
#define LARGE_TYPE_BYTE 0x4C          /* 'L': low byte of the block type of a large block */
#define LARGE_TYPE_OLD 0x6752614Cu    /* the same type as a 32-bit magic, in earlier versions */

static const wine_arch ARCH64 = {
    .bits = 64, .ptr = 8, .flags = 0x70,
    .sub_block_size = 0x10, .sub_data_size = 0x18, .sub_entry = 0x20, .sub_owner = 0x30,
    .sub_block = 0x38, .sub_len = 0x40,
    .large_entry = 0x10, .large_data_size = 0x20, .large_block_size = 0x28, .large_block = 0x38,
    .large_len = 0x40, .size_limit = UINT64_C(1) << 47,
    .block_align = 16, .lfh_free_bits = 0x10, .lfh_group_first = 0x18,
};

static const wine_arch ARCH32 = {
    .bits = 32, .ptr = 4, .flags = 0x40,
    .sub_block_size = 0x4, .sub_data_size = 0x8, .sub_entry = 0xC, .sub_owner = 0x14,
    .sub_block = 0x18, .sub_len = 0x20,
    .large_entry = 0x4, .large_data_size = 0xC, .large_block_size = 0x10, .large_block = 0x18,
    .large_len = 0x20, .size_limit = UINT64_C(1) << 32,
    .block_align = 8, .lfh_free_bits = 0x4, .lfh_group_first = 0x10,
};

static const wine_layout LAYOUTS[] = {
    {"Wine 8.0 x64", &ARCH64, 0x78, 0x88, 0x98, 0xB8, 0, WINE_BLOCKS_8},
    {"Wine >8.0 x64", &ARCH64, 0x80, 0x90, 0xA0, 0xC0, 0x78, WINE_BLOCKS_9},
    {"Wine 8.0 x86", &ARCH32, 0x48, 0x50, 0x58, 0x68, 0, WINE_BLOCKS_8},
    {"Wine >8.0 x86", &ARCH32, 0x4C, 0x54, 0x5C, 0x6C, 0x48, WINE_BLOCKS_9},
};
#define NLAYOUTS (sizeof LAYOUTS / sizeof LAYOUTS[0])

/* The layout whose magic is in place; *readable tells an unreadable heap from a foreign one. */
const wine_layout *vm_wineheap_layout(const vm_memreader *mem, int bits, uint64_t heap, bool *readable)
{
    *readable = false;
    for (size_t i = 0; i < NLAYOUTS; i++) {
        uint32_t magic;
        if (LAYOUTS[i].a->bits != (bits == 32 ? 32 : 64) || !vm_read_u32(mem, heap + LAYOUTS[i].magic, &magic))
            continue;
        *readable = true;
        if (magic == VM_WINEHEAP_MAGIC)
            return &LAYOUTS[i];
    }
    return NULL;
}

bool vm_wineheap_probe(const vm_memreader *mem, int bits, uint64_t heap)
{
    bool readable;
    return vm_wineheap_layout(mem, bits, heap, &readable) != NULL;
}

typedef struct wine_walk {
    const vm_memreader *mem;
    const wine_layout *l;
    uint64_t heap;
    vm_winheap *out;
    vm_snapshot *snap;
    char what[80];
    uint64_t *heaps;  /* vm_wineheap_list */
    size_t nheaps;
} wine_walk;

static vm_winheap_range *push_range(vm_winheap_range **arr, size_t *n)
{
    return vm_array_push((void **)arr, n, sizeof **arr);
}

/* A subheap list link points at SUBHEAP.entry; the region is the header rounded down to 64 KiB
 * (for the subheap embedded in struct heap, that is the heap itself).  Sizes as Wine computes
 * them: reserved = block_size + the header's distance to the region base; committed ends
 * data_size bytes past the SUBHEAP header. */
static vm_winlist_step visit_subheap(void *ctx, uint64_t link)
{
    wine_walk *w = ctx;
    const wine_arch *a = w->l->a;
    uint64_t hdr = link - a->sub_entry, base = hdr & ~REGION_MASK;
    uint8_t b[0x40];
    if (!vm_read_exact(w->mem, hdr, b, a->sub_len)) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "read-failed", "%s: cannot read the subheap at 0x%" PRIx64, w->what, hdr);
        return VM_WINLIST_STOP;
    }
    uint64_t block_size = vm_winheap_le(b + a->sub_block_size, a->ptr), data_size = vm_winheap_le(b + a->sub_data_size, a->ptr);
    uint64_t owner = vm_winheap_le(b + a->sub_owner, a->ptr);
    uint64_t overhead = hdr + a->sub_block - base, committed = hdr + a->sub_len - base + data_size;
    if (owner != w->heap || block_size == 0 || block_size > a->size_limit || data_size > block_size ||
        committed > block_size + overhead || base + block_size + overhead < base) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "heap-invalid", "%s: link 0x%" PRIx64 " is not a subheap of this heap"
                             " (owner 0x%" PRIx64 ", block_size 0x%" PRIx64 ", data_size 0x%" PRIx64 ")",
                             w->what, link, owner, block_size, data_size);
        return VM_WINLIST_STOP;
    }
    vm_winheap_range *r = push_range(&w->out->segments, &w->out->nsegments);
    if (!r)
        return VM_WINLIST_OOM;
    *r = (vm_winheap_range){base, block_size + overhead, committed, true, hdr, 0};
    return VM_WINLIST_NEXT;
}

/* A large block list link points at ARENA_LARGE.entry, the header at the reservation's base. */
static vm_winlist_step visit_large(void *ctx, uint64_t link)
{
    wine_walk *w = ctx;
    const wine_arch *a = w->l->a;
    uint64_t arena = link - a->large_entry;
    uint8_t b[0x40];
    if (!vm_read_exact(w->mem, arena, b, a->large_len)) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "read-failed", "%s: cannot read the large block at 0x%" PRIx64, w->what, arena);
        return VM_WINLIST_STOP;
    }
    uint64_t data_size = vm_winheap_le(b + a->large_data_size, a->ptr), block_size = vm_winheap_le(b + a->large_block_size, a->ptr);
    const uint8_t *blk = b + a->large_block;
    bool typed = blk[6] == LARGE_TYPE_BYTE || vm_winheap_le(blk + 4, 4) == LARGE_TYPE_OLD;
    if (arena % PAGE || !typed || block_size == 0 || block_size > a->size_limit || data_size > block_size ||
        arena + block_size + a->large_block < arena) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "heap-invalid", "%s: link 0x%" PRIx64 " is not a large block"
                             " (block_size 0x%" PRIx64 ", data_size 0x%" PRIx64 ")", w->what, link, block_size, data_size);
        return VM_WINLIST_STOP;
    }
    vm_winheap_range *r = push_range(&w->out->large, &w->out->nlarge);
    if (!r)
        return VM_WINLIST_OOM;
    /* block_size counts from the block header; the reservation also holds ARENA_LARGE's fields
     * in front of it (checked against VirtualQuery under Wine 8: 0x38 bytes on x64). */
    uint64_t span = block_size + a->large_block;
    *r = (vm_winheap_range){arena, span, span, true, arena, data_size};
    return VM_WINLIST_NEXT;
}

/* Subheap 0 is the one embedded in the heap (its region is the heap's): move it to the front,
 * keeping the others in list order. */
static void embedded_first(vm_winheap *h)
{
    for (size_t i = 1; i < h->nsegments; i++)
        if (h->segments[i].address == h->address) {
            vm_winheap_range own = h->segments[i];
            memmove(h->segments + 1, h->segments, i * sizeof *h->segments);
            h->segments[0] = own;
            return;
        }
}

static void read_heap_fields(const wine_walk *w)
{
    uint32_t flags, compat;
    vm_winheap *h = w->out;
    if (vm_read_u32(w->mem, w->heap + w->l->a->flags, &flags)) {
        h->raw_flags = flags;
        vm_ntheap_flag_words(flags, h->flags, sizeof h->flags);
        h->heap_class = vm_ntheap_class_name(flags);
    }
    if (w->l->compat && vm_read_u32(w->mem, w->heap + w->l->compat, &compat))
        h->front_end = vm_ntheap_front_end_name(compat);
}

vm_winheap_status vm_wineheap_walk(const vm_memreader *mem, int bits, uint64_t heap,
                                   vm_winheap *out, vm_snapshot *snap)
{
    bool readable;
    memset(out, 0, sizeof *out);
    const wine_layout *l = vm_wineheap_layout(mem, bits, heap, &readable);
    if (!l)
        return readable ? VM_WINHEAP_NOT_THIS : VM_WINHEAP_UNREADABLE;
    wine_walk w = {.mem = mem, .l = l, .heap = heap, .out = out, .snap = snap};
    out->address = heap;
    out->kind = "Wine";
    out->layout = l->name;
    out->part_word = "subheap";
    read_heap_fields(&w);
    snprintf(w.what, sizeof w.what, "Wine heap 0x%" PRIx64 " subheap list", heap);
    bool ok = vm_winlist_walk(mem, l->a->bits, heap + l->subheaps, VM_WINEHEAP_MAX_SUBHEAPS, w.what,
                              visit_subheap, &w, snap);
    snprintf(w.what, sizeof w.what, "Wine heap 0x%" PRIx64 " large block list", heap);
    ok = ok && vm_winlist_walk(mem, l->a->bits, heap + l->large, VM_WINEHEAP_MAX_LARGE, w.what,
                               visit_large, &w, snap);
    if (!ok) {
        vm_winheap_free(out);
        return VM_WINHEAP_OOM;
    }
    embedded_first(out);
    return VM_WINHEAP_OK;
}

vm_winheap_status vm_wineheap_walk_build(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build,
                                         vm_winheap *out, vm_snapshot *snap)
{
    (void)os_build;
    return vm_wineheap_walk(mem, bits, heap, out, snap);
}

/* Each heap list link points at another heap's entry field, at the same offset. */
static vm_winlist_step visit_heap(void *ctx, uint64_t link)
{
    wine_walk *w = ctx;
    uint64_t heap = link - w->l->entry;
    uint32_t magic;
    if (!vm_read_u32(w->mem, heap + w->l->magic, &magic) || magic != VM_WINEHEAP_MAGIC) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "heap-invalid", "%s: link 0x%" PRIx64 " is not a Wine heap", w->what, link);
        return VM_WINLIST_STOP;
    }
    uint64_t *slot = vm_array_push((void **)&w->heaps, &w->nheaps, sizeof *w->heaps);
    if (!slot)
        return VM_WINLIST_OOM;
    *slot = heap;
    return VM_WINLIST_NEXT;
}

bool vm_wineheap_list(const vm_memreader *mem, int bits, uint64_t process_heap,
                      uint64_t **heaps, size_t *n, vm_snapshot *snap)
{
    bool readable;
    *heaps = NULL;
    *n = 0;
    const wine_layout *l = vm_wineheap_layout(mem, bits, process_heap, &readable);
    if (!l)
        return true;
    wine_walk w = {.mem = mem, .l = l, .heap = process_heap, .snap = snap};
    uint64_t *first = vm_array_push((void **)&w.heaps, &w.nheaps, sizeof *w.heaps);
    if (!first)
        return false;
    *first = process_heap;
    snprintf(w.what, sizeof w.what, "Wine process heap 0x%" PRIx64 " heap list", process_heap);
    if (!vm_winlist_walk(mem, l->a->bits, process_heap + l->entry, VM_WINEHEAP_MAX_HEAPS, w.what,
                         visit_heap, &w, snap)) {
        free(w.heaps);
        return false;
    }
    *heaps = w.heaps;
    *n = w.nheaps;
    return true;
}
