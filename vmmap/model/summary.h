/* The per-type table (VMMap's upper pane): one row per kind plus Total, derived from the blocks. */
#ifndef VMMAP_MODEL_SUMMARY_H
#define VMMAP_MODEL_SUMMARY_H

#include "snapshot.h"

typedef struct vm_summary_row {
    uint64_t size;
    vm_counters counters; /* known bit clear if any contributing block's value was unknown */
    uint64_t blocks;      /* number of blocks of this kind */
    uint64_t largest;     /* size of the largest block of this kind */
} vm_summary_row;

typedef struct vm_summary {
    vm_summary_row kind[VM_KIND_COUNT];
    vm_summary_row total; /* every kind except Free (as VMMap does); Page Table only when known */
} vm_summary;

/* Page Table has no blocks: its row comes from snapshot->page_table_bytes (Size = Committed =
 * Private).  Unusable and Free rows come from their blocks like every other kind. */
void vm_summary_compute(const vm_snapshot *s, vm_summary *out);

/* Adds one block into a row (used by summary and by per-region totals in the views). */
void vm_summary_add_block(vm_summary_row *row, const vm_block *b);

#endif
