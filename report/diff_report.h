/* A diff (vmmap/model/diff.h) for people and tools: text for the terminal, JSON (the documented
 * "vmmap-diff" format, docs/diff-format.md), CSV of the change list, and a workbook with a
 * Summary-of-deltas sheet and a Changes sheet.  The Changes sheet writer is shared with the
 * timeline report.  Every writer applies a vm_diff_filter (NULL: everything).  Platform-neutral. */
#ifndef VMMAP_REPORT_DIFF_REPORT_H
#define VMMAP_REPORT_DIFF_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "../vmmap/model/diff.h"
#include "../vmmap/util/error.h"
#include "xlsx_lib.h" /* lxw_workbook; libxlsxwriter loaded on the first workbook */

#define VM_DIFF_FORMAT "vmmap-diff"
#define VM_DIFF_VERSION 1

typedef enum vm_diff_format {
    VM_DIFF_OUT_TEXT,
    VM_DIFF_OUT_JSON,
    VM_DIFF_OUT_XLSX,
    VM_DIFF_OUT_CSV,
    VM_DIFF_OUT_UNKNOWN,
} vm_diff_format;

/* "text", "json", "xlsx", "csv" (any case); VM_DIFF_OUT_UNKNOWN otherwise. */
vm_diff_format vm_diff_format_named(const char *name);
/* By the file's extension (.txt is text); VM_DIFF_OUT_UNKNOWN for other names and "-". */
vm_diff_format vm_diff_format_of_path(const char *path);

/* The changes a filter shows (the lines of the text view, the rows of CSV and Changes sheet). */
size_t vm_diff_lines_count(const vm_diff *d, const vm_diff_filter *f);

/* "+1,024 K", "-512 K", "0 K"; "?" when !known (VM_UNITS_BUFSZ is enough). */
void vm_diff_format_kb(int64_t delta, bool known, char *buf, size_t len);
/* "+3", "-1", "0"; "?" when !known. */
void vm_diff_format_count(int64_t delta, bool known, char *buf, size_t len);

/* ---- text ---------------------------------------------------------------------------------- */

typedef struct vm_diff_text_options {
    bool color;   /* ANSI colour on the Type cells */
    size_t width; /* fit the tables in this many columns (a terminal's); 0: full rows */
} vm_diff_text_options;

/* The header (the two snapshots, the different-process warning), the per-type delta table, the
 * change list (kind, address, type, old -> new size and committed, delta, details), then the
 * Heaps, Threads and Modules sections.  0, or -1 when out of memory. */
int vm_diff_text(FILE *out, const vm_diff *d, const vm_diff_filter *f, const vm_diff_text_options *opt);

/* ---- JSON ---------------------------------------------------------------------------------- */

/* The "vmmap-diff" document; malloc'd NUL-terminated text, NULL when out of memory. */
char *vm_diff_to_json(const vm_diff *d, const vm_diff_filter *f, int pretty);

/* ---- CSV ----------------------------------------------------------------------------------- */

/* The change list (regions, then heaps, threads, modules) as one CSV table, bytes in K. */
bool vm_diff_csv(FILE *out, const vm_diff *d, const vm_diff_filter *f);

/* ---- xlsx ---------------------------------------------------------------------------------- */

/* Adds a "Changes" sheet (named sheet_name, or "Changes" when NULL) to a workbook being written:
 * one row per change (allocations, then heaps, threads, modules), tinted by type, with
 * before / after / delta columns.  Written whole in row order, so it works in constant-memory
 * mode; call it between other sheets as you would any sheet.  false with err set on failure
 * (libxlsxwriter's error; the workbook must then be closed and discarded).  wb was made through
 * xlsx_lib.h's table, so libxlsxwriter is loaded (vm_xlsx_lib_load). */
bool vm_xlsx_add_changes_sheet(lxw_workbook *wb, const vm_diff *d, const vm_diff_filter *f,
                               const char *sheet_name, vm_error *err);

/* The same, for a workbook writer that already has the shared formats (report/xlsx_common.h):
 * struct xw_book; errors are remembered in the book as every sheet's are. */
struct xw_book;
void vm_xlsx_changes_sheet(struct xw_book *b, const vm_diff *d, const vm_diff_filter *f,
                           const char *sheet_name);

/* ---- files --------------------------------------------------------------------------------- */

/* Writes d to path in format fmt, atomically; "-" is stdout for text, JSON and CSV (a workbook
 * needs a file).  Text to a file is the terminal text without colour.  0, or an exit code with
 * err set. */
int vm_diff_write(const vm_diff *d, const vm_diff_filter *f, const char *path, vm_diff_format fmt,
                  vm_error *err);

#endif
