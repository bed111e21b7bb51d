/* The timeline workbook (.xlsx): a series of snapshots of one process over time.
 *
 *   Timeline       one row per snapshot (taken at, elapsed, committed per type, Total, Threads),
 *                  then the growth analysis of each column (change, slope per minute, R², steps
 *                  up, GROWING); growing columns have a red header; a line chart per type
 *   Heap timeline  the same per heap (heaps matched by kind and address), with its chart
 *   Changes        the diff between the first and the last snapshot (report/diff_report.h)
 *
 * Constant-memory mode, written to a temporary beside path and renamed into place. */
#ifndef VMMAP_REPORT_TIMELINE_XLSX_H
#define VMMAP_REPORT_TIMELINE_XLSX_H

#include "../vmmap/model/diff.h"
#include "../vmmap/model/timeline.h"
#include "../vmmap/util/error.h"

/* tl must be finished (vm_timeline_finish).  changes may be NULL (a single snapshot): no Changes
 * sheet.  0, or an exit code with err set. */
int vm_report_write_timeline_xlsx(const vm_timeline *tl, const vm_diff *changes, const char *path,
                                  vm_error *err);

#endif
