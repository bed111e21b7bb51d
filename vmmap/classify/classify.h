/* Facts -> regions.  The one place that decides what memory "is", for every platform.
 *
 * Priority (design.md): Stack (thread ranges) > Heap (heap parts) > Image > Mapped File >
 * Shareable > Private Data; then the gaps: Unusable (the tail of an allocation-granularity
 * block, Windows) and Free up to the top of the user address space.  Page Table has no region:
 * it comes from snap->page_table_bytes.  Each block's details say why its kind was chosen.
 * First the facts are brought inside what a snapshot holds (bounds.h), so that every snapshot
 * made here loads again. */
#ifndef VMMAP_CLASSIFY_CLASSIFY_H
#define VMMAP_CLASSIFY_CLASSIFY_H

#include "facts.h"

/* Builds facts->snap->regions from facts->blocks (which it leaves in place).  Returns
 * VM_EXIT_OK or VM_EXIT_ERROR (out of memory) with err filled. */
int vm_classify(vm_facts *facts, vm_error *err);

/* The same, for blocks given in pieces (a vm_classify_fn): classifies the blocks added since the
 * last call as far as they make whole allocations (the last allocation given waits for the next
 * call: the next block may still belong to it), so every region in snap->regions is final.  With
 * last, everything left and the free space up to the top.  The snapshot's threads, heaps and
 * modules must not change between the calls.  Any number of calls with last false, then one with
 * last true, give exactly what vm_classify gives on all the blocks.  A call with last false drops
 * the blocks it classified from facts->blocks (the others move to the front): a source adds
 * blocks at the end and keeps no index into the array across calls. */
int vm_classify_more(vm_facts *facts, bool last, vm_error *err);

/* Forgets an unfinished vm_classify_more (vm_facts_free_blocks calls it). */
void vm_classify_state_free(vm_facts *facts);

#endif
