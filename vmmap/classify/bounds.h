/* Facts -> what a snapshot can hold.  Every snapshot vmmap writes must load again
 * (docs/snapshot-format.md, "Consistency"), and a damaged or hostile source (a mutated dump, a
 * heap header read from target memory) can report anything: a region of 2^56 bytes, a module
 * past the top of the address space, a heap segment that wraps around it.  vm_classify calls
 * this first, so it holds for every source:
 *   - a page size that is a power of two and a user top that is not 0;
 *   - blocks inside the user address space [0, user_top): one beyond it is left out, one that
 *     crosses it is cut there.  The kernel's own pages above it ([vsyscall], VM_RAW_KERNEL) stay;
 *   - no block, heap part, module or section that wraps around 2^64 or is larger than a
 *     snapshot holds (VM_SNAPSHOT_MAX_SIZE); heap parts and modules beyond user_top are left out
 *     and cut at it like blocks; a heap part commits at most its size;
 *   - counters, the largest free block, a guard size and the page-table bytes that are too large
 *     to be real become unknown (or 0 for a guard: none found).
 * Each kind of repair is one warning (code "out-of-range") saying how many and why. */
#ifndef VMMAP_CLASSIFY_BOUNDS_H
#define VMMAP_CLASSIFY_BOUNDS_H

#include "facts.h"

void vm_facts_bound(vm_facts *facts);

/* The same in pieces, for blocks given as they become known (vm_classify_more): begin bounds the
 * header, heaps, modules and threads; blocks the blocks added since the last call; end says what
 * was repaired among the blocks, its warnings placed where vm_facts_bound would have put them. */
typedef struct vm_bound_state {
    size_t bounded;      /* blocks bounded so far */
    size_t dropped, cut; /* blocks left out, cut at user_top */
    size_t counters;     /* counters made unknown */
    size_t warn_at;      /* where the blocks' warnings go */
} vm_bound_state;
void vm_facts_bound_begin(vm_facts *facts, vm_bound_state *b);
void vm_facts_bound_blocks(vm_facts *facts, vm_bound_state *b);
void vm_facts_bound_end(vm_facts *facts, vm_bound_state *b);

/* The same for what the steps after classification add (capture/capture.h): a heap walk's
 * statistics or size table holding a value larger than a snapshot holds (sizes read from a
 * damaged heap, summed) make that heap's walk results unknown, with a warning.  The pipeline
 * calls it last, before the snapshot is handed out. */
void vm_snapshot_bound_steps(vm_snapshot *s);

#endif
