/* The Windows 10+ segment heap (_SEGMENT_HEAP), read through a vm_memreader, symbol-free
 * (windows-internals.md §3): the heap is recognised by its signature and labelled, both
 * SegContexts' page-segment lists are walked, and the large-allocation red-black tree is walked.
 * No per-block attribution (that needs the secret heap key from symbols).
 * Layouts: x64 Windows 10 2004-22H2 and 11 (windows-internals.md §3), x64 Windows 10 1903/1909
 * (public symbols of 10.0.18362: SegContexts at 0xA8, 0x98 bytes each, SegmentListHead 0x20,
 * Heap 0x90; assumed for the earlier builds too), x86 Windows 10.  Target memory is untrusted:
 * list walks are bounded and Flink/Blink checked, the tree walk uses an explicit stack with node
 * and depth bounds and checks each child's parent link; what fails ends its walk with a warning. */
#ifndef VMMAP_PARSE_SEGHEAP_H
#define VMMAP_PARSE_SEGHEAP_H

#include "ntheap.h"

#define VM_SEGHEAP_SIGNATURE 0xDDEEDDEEu
#define VM_SEGHEAP_MAX_SEGMENTS 4096   /* per SegContext */
#define VM_SEGHEAP_MAX_LARGE 65536
#define VM_SEGHEAP_MAX_DEPTH 64        /* a red-black tree of 65536 nodes is at most 34 deep */

/* Signature 0xDDEEDDEE at heap+0x10 (x64) / +0x08 (x86). */
bool vm_segheap_probe(const vm_memreader *mem, int bits, uint64_t heap);

/* Walks the segment heap at heap into out (zeroed first): kind "segment", the _SEGMENT_HEAP's
 * first page as part "heap", page segments of both SegContexts (committed unknown), large
 * allocations {VirtualAddress & ~0xFFFF, AllocatedPages * 4 KiB}.  os_build (0 unknown) rules
 * out the layouts of later builds; of the others the newest whose two SegContexts point back at
 * the heap wins, else the newest whose first does.  NOT_THIS without the signature, UNREADABLE when it cannot be read. */
vm_winheap_status vm_segheap_walk(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build,
                                  vm_winheap *out, vm_snapshot *snap);

#endif
