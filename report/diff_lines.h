/* Internal to report/diff_*.c: every change of a diff flattened into one row shape (a "line"),
 * so the text, CSV and xlsx writers share one walk, one filter and one set of words. */
#ifndef VMMAP_REPORT_DIFF_LINES_H
#define VMMAP_REPORT_DIFF_LINES_H

#include <stdbool.h>
#include <stdint.h>

#include "diff_report.h"

typedef enum vm_dl_section { VM_DL_REGION, VM_DL_HEAP, VM_DL_THREAD, VM_DL_MODULE, VM_DL_SECTIONS } vm_dl_section;

/* "Allocations", "Heaps", "Threads", "Modules". */
const char *vm_dl_section_title(vm_dl_section s);

typedef struct vm_diff_line {
    vm_dl_section section;
    const char *change;          /* "added", "started", "loaded", "grown", ... */
    uint64_t address;            /* 0: none */
    vm_kind kind;                /* for the tint: the type the change is filed under */
    char type[80];               /* "Heap", "Private Data -> Heap", "Heap (glibc main arena)" */
    bool has_old, has_new;
    uint64_t old_size, new_size;
    bool committed_known;        /* the committed cells and the delta mean something */
    uint64_t old_committed, new_committed;
    int64_t delta;               /* committed delta (size delta when !committed_known) */
    const char *path;            /* NULL when none */
    const char *details;         /* NULL when none; may point at text[] */
    char text[512];
} vm_diff_line;

typedef bool (*vm_dl_fn)(void *ctx, const vm_diff_line *l);

/* Calls begin(ctx, section, shown, total) then fn for each shown line of each section (in order:
 * allocations, heaps, threads, modules).  begin may be NULL.  false when out of memory or when a
 * callback returned false. */
typedef bool (*vm_dl_begin_fn)(void *ctx, vm_dl_section s, size_t shown, size_t total);
bool vm_diff_lines(const vm_diff *d, const vm_diff_filter *f, vm_dl_begin_fn begin, vm_dl_fn fn,
                   void *ctx);


/* The workbook (diff_xlsx.c), for vm_diff_write: 0 or an exit code with err set. */
int vm_diff_write_xlsx(const vm_diff *d, const vm_diff_filter *f, const char *path, vm_error *err);

#endif
