/* All the heaps of a Windows process (live or minidump), from what its PEB says, into a
 * snapshot.  One entry point for every Windows source: each heap handle is identified by its
 * signature (NT heap, segment heap, Wine heap) and walked with ntheap.h / segheap.h /
 * wineheap.h; under Wine, where PEB.ProcessHeaps is empty, Wine's own heap list is followed
 * from the process heap.  Heaps are deduplicated and numbered 0..n-1 in a stable order: the
 * process heap first (class "process heap"), then ProcessHeaps order, then Wine's list order.
 * A heap whose bytes cannot be read is still listed, with kind "not captured" and a warning. */
#ifndef VMMAP_PARSE_NT_HEAPS_H
#define VMMAP_PARSE_NT_HEAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "memreader.h"

#define VM_NT_HEAPS_MAX 4096

typedef struct vm_nt_heaps_input {
    int bits;                 /* 32 or 64: the target's pointer size */
    uint64_t process_heap;    /* PEB.ProcessHeap; 0 unknown */
    const uint64_t *heaps;    /* PEB.ProcessHeaps[0 .. nheaps); may be NULL / empty */
    size_t nheaps;
    uint32_t os_build;        /* e.g. 19045; 0 unknown (layouts are then probed) */
} vm_nt_heaps_input;

/* Identifies, walks and appends every heap (ids continue from snap->nheaps, i.e. 0..n-1 in a
 * fresh snapshot).  Returns false only when out of memory. */
bool vm_nt_heaps_collect(const vm_memreader *mem, const vm_nt_heaps_input *in, vm_snapshot *snap);

/* Reads PEB.ProcessHeap, NumberOfHeaps and the ProcessHeaps array (windows-internals.md §1) of
 * the PEB at peb, then vm_nt_heaps_collect.  An unreadable PEB is a warning, not a failure.
 * Returns false only when out of memory. */
bool vm_nt_heaps_from_peb(const vm_memreader *mem, int bits, uint64_t peb, uint32_t os_build, vm_snapshot *snap);

#endif
