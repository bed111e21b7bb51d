/* The heaps as `vmmap heaps` shows them, shared by its terminal view, its CSV and the workbook's
 * Heaps and Sizes sheets: one row per heap, biggest committed first, with its owner modules by
 * name; each heap's size table by bytes.  Platform-neutral. */
#ifndef VMMAP_REPORT_HEAP_VIEW_H
#define VMMAP_REPORT_HEAP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../vmmap/model/snapshot.h"
#include "../vmmap/parse/heap_blocks.h"

typedef struct vm_heap_view_row {
    const vm_heap *h;
    uint64_t reserved, committed;   /* over its parts */
    char owner[192];                /* owner modules' file names, ", " between; "" none found */
} vm_heap_view_row;

/* Rows of every heap, or of the heap whose id is only (only >= 0): biggest committed first, then
 * by id.  NULL only when out of memory. */
vm_heap_view_row *vm_heap_view_rows(const vm_snapshot *s, int64_t only, size_t *n);

/* The owner text of one heap (as in the rows). */
void vm_heap_owner_text(const vm_snapshot *s, const vm_heap *h, char *buf, size_t len);

/* A size-table row's bytes: size x its blocks (saturating). */
uint64_t vm_heap_size_bytes(const vm_heap_size *z);

/* The heap's size-table rows by bytes, biggest first (ties: smaller size first), at most max
 * (0: all); *n set.  NULL when out of memory or the heap has no table (then *n is 0). */
const vm_heap_size **vm_heap_top_sizes(const vm_heap *h, size_t max, size_t *n);

/* "busy", "free", "cached", "overhead". */
const char *vm_hblock_state_word(vm_hblock_state st);

#endif
