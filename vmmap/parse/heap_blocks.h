/* One heap block as every block walker reports it (glibc, NT heap, segment heap, Wine heap).
 *
 * The walkers stream: they call a visitor once per block and keep nothing, so a heap of ten
 * million blocks costs no memory beyond the walk's own state.  Statistics (heaps, issue 11) and
 * the object census (objects, issue 12) are two visitors of the same walk.
 *
 * This header is the contract between the walkers and their visitors: fields may be added, the
 * meaning of the ones here does not change. */
#ifndef VMMAP_PARSE_HEAP_BLOCKS_H
#define VMMAP_PARSE_HEAP_BLOCKS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum vm_hblock_state {
    VM_HBLOCK_BUSY,   /* in use by the program */
    VM_HBLOCK_FREE,   /* free as the allocator counts it (glibc: fastbins, bins, top) */
    VM_HBLOCK_CACHED, /* held by a front-end cache (glibc tcache): in use for the allocator,
                         free for the program */
    VM_HBLOCK_OVERHEAD, /* not a block: the allocator's own bytes between blocks (heap and
                           segment headers, glibc's heap_info and malloc_state, fence posts,
                           alignment gaps); user and user_size are 0.  Visitors of program
                           blocks skip it; the statistics count it as overhead. */
    VM_HBLOCK_STATE_COUNT
} vm_hblock_state;

typedef struct vm_hblock {
    uint64_t address;    /* where the allocator's block starts (chunk / entry header) */
    uint64_t size;       /* the block's size as the allocator keeps it, header included */
    uint64_t user;       /* first byte handed to the program */
    uint64_t user_size;  /* bytes from user the program may use (usable size); 0 unknown */
    vm_hblock_state state;
    int32_t heap_id;     /* vm_heap.id of the heap the block belongs to */
    /* Optional: the bytes [user, user + user_size) as the walker read them, valid only during
     * the visit; NULL when the walker does not have them whole at hand.  A visitor that reads
     * block contents (the object census) then need not read the target a second time. */
    const uint8_t *bytes;
} vm_hblock;

/* Called once per block, in address order within one heap part.  Returns false to stop the walk
 * (the walker then returns as soon as it can, without a warning). */
typedef bool (*vm_hblock_visit)(void *ctx, const vm_hblock *b);

#endif
