/* Wine's own heap (Wine 8.0, dlls/ntdll/heap.c; windows-internals.md §5), read through a
 * vm_memreader.  Wine keeps the Windows-compatible head of _HEAP (SegmentSignature, Flags) but
 * nothing else at Windows offsets: its heaps hang on a list starting at the process heap, each
 * made of subheaps (its segments, each a 64 KiB-aligned reservation whose SUBHEAP header sits at
 * the region base; the first is embedded in the heap itself) and large blocks (each its own
 * reservation with an ARENA_LARGE header at its base).
 * Two layouts of struct heap are known: Wine 8.0's, and the later one that inserts a
 * compat_info field before the list entry (moving every later field by one pointer); the one
 * whose 'HEAP' magic matches is used.  Walks are bounded and Flink/Blink checked. */
#ifndef VMMAP_PARSE_WINEHEAP_H
#define VMMAP_PARSE_WINEHEAP_H

#include "ntheap.h"

#define VM_WINEHEAP_MAGIC 0x50414548u  /* 'HEAP' */
#define VM_WINEHEAP_MAX_HEAPS 4096
#define VM_WINEHEAP_MAX_SUBHEAPS 4096
#define VM_WINEHEAP_MAX_LARGE 65536

/* 'HEAP' at heap+0xB8 (x64) / +0x68 (x86), or at the later layout's offset. */
bool vm_wineheap_probe(const vm_memreader *mem, int bits, uint64_t heap);

/* Walks the Wine heap at heap into out (zeroed first): kind "Wine", flags and class from the
 * Windows-compatible Flags, subheaps as "subheap N" (subheap 0 the one embedded in the heap),
 * large blocks.  NOT_THIS without the magic; UNREADABLE when nothing can be read. */
vm_winheap_status vm_wineheap_walk(const vm_memreader *mem, int bits, uint64_t heap,
                                   vm_winheap *out, vm_snapshot *snap);
/* The same with the other map walkers' signature (an OS build, which Wine's heaps do not need). */
vm_winheap_status vm_wineheap_walk_build(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build,
                                         vm_winheap *out, vm_snapshot *snap);

/* Wine's process heap list: process_heap first, then every heap linked from it, in list order.
 * *heaps is malloc'd (free it); a process heap that is not a Wine heap gives an empty list.
 * Returns false only when out of memory. */
bool vm_wineheap_list(const vm_memreader *mem, int bits, uint64_t process_heap,
                      uint64_t **heaps, size_t *n, vm_snapshot *snap);

#endif
