/* Every block of a Windows-family heap (NT heap, segment heap, Wine heap), streamed to a
 * vm_hblock_visit visitor (heap_blocks.h): the block walkers' one entry point, called by the
 * heap statistics dispatcher for each heap of a Windows snapshot.
 *
 * The heap is identified by its signatures exactly as nt_heaps.c does (segment heap 0xDDEEDDEE,
 * NT heap 0xFFEEFFEE + 0xEEFFEEFF, Wine 'HEAP' magic), then walked:
 *   NT heap (Windows 7 and 8-11, x64 and x86): the back-end entries of every segment from
 *     FirstEntry to LastValidEntry (headers decoded with the heap's Encoding, the checksum byte
 *     and PreviousSize checked), uncommitted ranges skipped, the VirtualAlloc'd blocks, and the
 *     slots of each LFH user block (busy/free from the subsegment's bitmap on Windows 8+, from
 *     each slot's UnusedBytes on Windows 7) in place of the user block itself.
 *   Segment heap: large allocations.  VS and LFH blocks are not decoded (their headers are
 *     encoded with per-process keys): said in info->not_counted, never counted as zero.
 *   Wine heap (8.0 and the later layout): every block of every subheap, large blocks, and the
 *     blocks of LFH groups (later layout).
 *
 * Block sizes are as the allocator keeps them, header included (docs/testing-windows.md maps
 * them onto what HeapWalk reports).  States: busy, free; Wine's delayed frees (blocks waiting in
 * the pending-free ring) are cached.  The NT heap's front-end lookaside (FrontEndHeapType 1) is
 * not read: its blocks show as busy, as the back end sees them, and info->not_counted says so (so
 * does an unknown front-end type).
 *
 * Target memory is untrusted: every size and link is checked, every loop bounded; a part whose
 * walk fails (checksum, a size running past its segment, a torn list) ends with a warning in
 * snap ("heap-invalid" / "read-failed") and the walk goes on with the next part. */
#ifndef VMMAP_PARSE_WINHEAP_BLOCKS_H
#define VMMAP_PARSE_WINHEAP_BLOCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "heap_blocks.h"
#include "memreader.h"

/* What a walk could not count, per heap, for the statistics to say (optional out-parameter). */
typedef struct vm_winheap_walk_info {
    const char *kind;        /* "NT", "segment", "Wine"; NULL: no known heap at that address */
    bool complete;           /* every block of every part was visited: the counts are whole */
    char not_counted[256];   /* what is missing, in a user's words, e.g. "LFH blocks not counted
                                (RtlpLFHKey not found)"; "" when complete */
    bool stopped;            /* the visitor stopped the walk (false returned for that, not for
                                out of memory) */
} vm_winheap_walk_info;

/* Walks the heap whose handle is `heap` (bits 32 or 64; os_build e.g. 19045, 0 unknown) and
 * calls visit for each block, with heap_id in every vm_hblock.  info (may be NULL) is filled in
 * whatever happens.  An address that is no known heap, or unreadable, is a warning and true.
 * Returns false only when out of memory or when the visitor stopped the walk. */
bool vm_winheap_blocks(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build, int32_t heap_id,
                       vm_hblock_visit visit, void *ctx, vm_snapshot *snap, vm_winheap_walk_info *info);

#endif
