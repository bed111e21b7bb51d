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

/* The block walk's columns, in the order every view shows them: their titles (short for the
 * terminal, long for the workbook and CSV), what they hold, and a heap's value. */
typedef enum vm_heap_stat_kind { VM_HSTAT_COUNT, VM_HSTAT_BYTES, VM_HSTAT_PERCENT } vm_heap_stat_kind;

typedef struct vm_heap_stat_col {
    const char *short_title, *title;
    vm_heap_stat_kind kind;
} vm_heap_stat_col;

#define VM_HEAP_STAT_COLS 9
extern const vm_heap_stat_col vm_heap_stat_cols[VM_HEAP_STAT_COLS];

/* Column c of st: a count or bytes in *n, a percentage in *pct (per the column's kind). */
void vm_heap_stat_value(const vm_heap_stats *st, size_t c, uint64_t *n, double *pct);

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
