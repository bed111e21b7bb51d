/* `--format csv`: the summary and the details as CSV with VMMap's own headers, so scripts written
 * for `vmmap.exe -p PID out.csv` keep working (docs/reports.md).  RFC 4180: every field quoted,
 * quotes doubled, CRLF line ends.  Numbers unformatted, in KB (1 K = 1,024 bytes, rounded up) as
 * VMMap writes them; an unknown value is an empty field, never 0.  Platform-neutral. */
#ifndef VMMAP_REPORT_CSV_H
#define VMMAP_REPORT_CSV_H

#include <stdbool.h>
#include <stdio.h>

#include "../vmmap/model/snapshot.h"
#include "../vmmap/util/error.h"

/* One RFC 4180 field (a comma before it unless first): quoted, inner quotes doubled; prefix (a
 * block's indent) goes inside the quotes.  And the CRLF that ends a record.  Shared with the
 * other CSV writers (heaps, diff). */
void vm_csv_field(FILE *out, bool first, const char *prefix, const char *text);
void vm_csv_end_line(FILE *out);

/* The whole report to a stream (the caller checks ferror). */
void vm_csv_write(FILE *out, const vm_snapshot *s);

/* Writes to path atomically ("-" is stdout); 0, or an exit code with err set. */
int vm_report_write_csv(const vm_snapshot *s, const char *path, vm_error *err);

#endif
