/* The review workbook (.xlsx, libxlsxwriter): Summary (process facts, the type table, a chart of
 * committed memory by type), Regions (allocations with their blocks as outline rows), Heaps,
 * Threads, Modules, and Warnings when there are any.  docs/reports.md describes every sheet.
 *
 * Written in libxlsxwriter's constant-memory mode (rows strictly in order, each sheet whole
 * before the next), to a temporary beside path that is renamed into place: a failed run leaves
 * neither a partial file nor a temporary.  Platform-neutral. */
#ifndef VMMAP_REPORT_XLSX_H
#define VMMAP_REPORT_XLSX_H

#include "../vmmap/model/snapshot.h"
#include "../vmmap/util/error.h"

/* 0, or an exit code with err set ("cannot write PATH: no space left on device"). */
int vm_report_write_xlsx(const vm_snapshot *s, const char *path, vm_error *err);

#endif
