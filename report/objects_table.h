/* The object census as a table (vmmap objects; the workbook's Types sheet; CSV): which rows, in
 * which order, with which totals.  Shared so that the terminal, the workbook and the CSV always
 * show the same rows.  Platform-neutral. */
#ifndef VMMAP_REPORT_OBJECTS_TABLE_H
#define VMMAP_REPORT_OBJECTS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../vmmap/model/census.h"
#include "../vmmap/model/snapshot.h"
#include "../vmmap/util/error.h"

typedef struct vm_objects_view {
    uint64_t min_count; /* rows with fewer heap objects (plus outside ones with --all) are left out */
    size_t top;         /* at most this many rows (0: all) */
    size_t width;       /* the terminal's columns to fit in (vm_objects_print*); 0: full rows */
} vm_objects_view;

typedef struct vm_objects_totals {
    uint64_t objects, bytes, bytes_estimated; /* over every type, shown or not */
    uint64_t types;
    uint64_t outside[VM_OBJ_WHERE_COUNT];
    double share;       /* bytes in % of the busy heap bytes (0 when none) */
} vm_objects_totals;

void vm_objects_totals_of(const vm_snapshot *s, vm_objects_totals *t);

/* Indexes into s->objects of the rows to show, biggest first (the snapshot's order); *n rows.
 * malloc'd (NULL with n 0 when none or out of memory: *oom says which). */
size_t *vm_objects_rows(const vm_snapshot *s, const vm_objects_view *v, size_t *n, bool *oom);

/* "3, 7" for the heap ids (at most a few, then "+N more"). */
void vm_objects_heaps_text(const vm_object_type *t, char *buf, size_t len);
/* The module's file name (the path's last component). */
const char *vm_objects_module_name(const char *path);

/* The terminal table: a heading line with the totals, the rows, a legend when bytes are estimated.
 * On a terminal (v->width) the least needed columns go first and TYPE is cut with an ellipsis. */
void vm_objects_print(FILE *out, const vm_snapshot *s, const vm_objects_view *v);

/* The instance list of --type: one line per instance (address, block, where, type); in width
 * columns when not 0 (TYPE cut with an ellipsis, BLOCK left out when even that does not fit). */
void vm_objects_print_instances(FILE *out, const vm_snapshot *s, const vm_census_instance *in, size_t n,
                                size_t width);

/* One CSV field as report/csv.c writes them; NULL text is an empty field. */
void vm_objects_csv_field(FILE *out, bool first, const char *text);

/* The rows as CSV (RFC 4180, as report/csv.c), to path atomically ("-" stdout). */
int vm_objects_write_csv(const vm_snapshot *s, const vm_objects_view *v, const char *path, vm_error *err);

#endif
