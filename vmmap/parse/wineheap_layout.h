/* Wine's heap structures as offset tables (windows-internals.md §5; Wine 8.0 and 9.x
 * dlls/ntdll/heap.c): shared by the map walker (wineheap.c) and the block walker
 * (wineheap_blocks.c).  Internal to those two. */
#ifndef VMMAP_PARSE_WINEHEAP_LAYOUT_H
#define VMMAP_PARSE_WINEHEAP_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "memreader.h"

/* What depends only on the bitness: SUBHEAP, ARENA_LARGE, where Flags sits, block alignment
 * and the LFH group header of the later layout. */
typedef struct wine_arch {
    int bits;
    uint8_t ptr, flags;
    uint8_t sub_block_size, sub_data_size, sub_entry, sub_owner, sub_block, sub_len;
    uint8_t large_entry, large_data_size, large_block_size, large_block, large_len;
    uint64_t size_limit;
    uint8_t block_align;      /* BLOCK_ALIGN: block sizes are multiples of it */
    uint8_t lfh_free_bits;    /* struct group: free_bits, from the group (the block's data) */
    uint8_t lfh_group_first;  /* struct group: first_block */
} wine_arch;

/* How a block header (8 bytes) reads.  8.0: WORD size, BYTE flags, BYTE tail, WORD base
 * offset, WORD type.  9.x: WORD size, WORD tail, WORD base offset (or index in its LFH group),
 * BYTE type, BYTE flags. */
typedef enum wine_blocks { WINE_BLOCKS_8, WINE_BLOCKS_9 } wine_blocks;

/* struct heap after the Windows-compatible head.  compat 0: the layout has no compat_info. */
typedef struct wine_layout {
    const char *name;
    const wine_arch *a;
    uint8_t entry, subheaps, large, magic, compat;
    wine_blocks blocks;
} wine_layout;

/* The layout whose 'HEAP' magic is in place, or NULL; *readable tells an unreadable heap from a
 * foreign one. */
const wine_layout *vm_wineheap_layout(const vm_memreader *mem, int bits, uint64_t heap, bool *readable);

#endif
