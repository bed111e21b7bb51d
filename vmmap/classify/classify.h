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
 * VM_EXIT_OK or VM_EXIT_ERROR (out of memory) with err filled.  (A vm_classify_fn.) */
int vm_classify(vm_facts *facts, vm_error *err);

#endif
