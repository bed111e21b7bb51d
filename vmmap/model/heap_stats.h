/* Per-heap statistics: one visitor of the block walk (parse/heap_blocks.h) that every walker
 * feeds, glibc's and the Windows heaps' alike.  It keeps counts and a table of block sizes, never
 * the blocks, so a heap of ten million blocks costs a few kilobytes here.
 *
 *   vm_heap_stats_acc *acc = vm_heap_stats_begin();
 *   walker(..., vm_heap_stats_visit, acc, ...);
 *   vm_heap_stats_end(acc, heap);   // heap->stats, heap->sizes; the note says what was dropped
 */
#ifndef VMMAP_MODEL_HEAP_STATS_H
#define VMMAP_MODEL_HEAP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "../parse/heap_blocks.h"
#include "snapshot.h"

/* Distinct block sizes kept per heap; blocks of further sizes are counted in the stats, not in
 * the size table (and the heap's walk note says how many). */
#define VM_HEAP_SIZES_MAX 65536

typedef struct vm_heap_stats_acc vm_heap_stats_acc;

/* NULL when out of memory. */
vm_heap_stats_acc *vm_heap_stats_begin(void);

/* The visitor: ctx is the accumulator.  Returns false only when out of memory (the walk stops;
 * vm_heap_stats_end then reports it). */
bool vm_heap_stats_visit(void *ctx, const vm_hblock *b);

/* Blocks seen so far (any state, overhead excluded): for progress. */
uint64_t vm_heap_stats_blocks(const vm_heap_stats_acc *acc);

/* Stores the results in h (stats_known, stats, sizes ascending by size, largest_free) and frees
 * acc.  Size-table overflow and out of memory are appended to h->walk_note.  Returns false when
 * out of memory (h then has no stats). */
bool vm_heap_stats_end(vm_heap_stats_acc *acc, vm_heap *h);

/* Frees acc without storing anything. */
void vm_heap_stats_discard(vm_heap_stats_acc *acc);

/* Free bytes outside the largest free block, in percent of free bytes, rounded to 0.01 (what
 * stats.fragmentation holds); 0 when nothing is free. */
double vm_heap_fragmentation(uint64_t free_bytes, uint64_t largest_free);

/* Appends "; text" (or sets text) to h->walk_note; false when out of memory. */
bool vm_heap_note(vm_heap *h, const char *fmt, ...) VM_PRINTF(2, 3);

#endif
