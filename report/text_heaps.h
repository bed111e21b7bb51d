/* `vmmap heaps` on the terminal: the heaps table (one row per heap, biggest first: id, kind,
 * address, owner, committed, busy / free / cached blocks and bytes, largest free block,
 * fragmentation, overhead), what could not be walked, and each heap's top block sizes (WinDbg's
 * `!heap -stat`).  Platform-neutral. */
#ifndef VMMAP_REPORT_TEXT_HEAPS_H
#define VMMAP_REPORT_TEXT_HEAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../vmmap/model/snapshot.h"

typedef struct vm_heaps_view_options {
    int64_t heap;  /* only the heap with this id; -1: every heap */
    size_t top;    /* size-table rows per heap; 0: all */
    bool color;
    size_t width;  /* fit the tables and notes in this many columns (a terminal's); 0: full rows */
} vm_heaps_view_options;

/* 0; 1 when opt->heap names no heap of s (said on out); -1 when out of memory. */
int vm_text_heaps(FILE *out, const vm_snapshot *s, const vm_heaps_view_options *opt);

#endif
