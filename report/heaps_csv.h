/* `vmmap heaps -o FILE.csv`: the heaps table, then (after an empty record) every walked heap's
 * size table.  RFC 4180 and the conventions of the report CSV (csv.h): memory in K without
 * separators, addresses as VMMap's hex; a block size (the allocator's size class, a key) in
 * bytes; an unknown value (a heap not walked) is an empty field, never 0.  docs/reports.md
 * describes the columns.  Platform-neutral. */
#ifndef VMMAP_REPORT_HEAPS_CSV_H
#define VMMAP_REPORT_HEAPS_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "../vmmap/model/snapshot.h"
#include "../vmmap/util/error.h"

/* only: a heap id, or -1 for every heap. */
void vm_heaps_csv(FILE *out, const vm_snapshot *s, int64_t only);
/* Atomically ("-" is stdout); 0, or an exit code with err set. */
int vm_heaps_write_csv(const vm_snapshot *s, const char *path, int64_t only, vm_error *err);

#endif
