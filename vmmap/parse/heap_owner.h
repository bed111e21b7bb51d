/* Who owns a heap: the modules whose writable data refers to it.  A module that created a heap
 * keeps its handle or arena address in a global (a statically linked CRT's _crtheap, msvcrt's
 * own heap, glibc's main_arena.next ring in libc's .data); scanning each loaded image's
 * writable sections for an aligned pointer-sized value equal to a heap's address names it.  A
 * heap whose structure itself lies inside a module's writable data (glibc's main_arena in
 * libc's .data) is owned by that module, at the heap's own address.
 *
 * Platform-neutral: works over the memory reader and the snapshot's modules and sections, for
 * every source.  The Windows specifics (the process default heap from the PEB, which CRT a heap
 * belongs to) build on it. */
#ifndef VMMAP_PARSE_HEAP_OWNER_H
#define VMMAP_PARSE_HEAP_OWNER_H

#include <stdbool.h>

#include "../model/snapshot.h"
#include "memreader.h"

/* Fills owners (one entry per heap and module: where its first reference lies) and sets
 * owners_known on every heap with a known, non-zero address.  bits: the target's pointer size
 * (32 or 64).  Unreadable sections are skipped (a warning says how many).  False only when out
 * of memory. */
bool vm_heap_find_owners(const vm_memreader *mem, vm_snapshot *snap, int bits);

#endif
