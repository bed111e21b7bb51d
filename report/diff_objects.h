/* The C++ object part of a diff in each diff format (report/diff_objects.c); the diff writers
 * call these after their own sections. */
#ifndef VMMAP_REPORT_DIFF_OBJECTS_H
#define VMMAP_REPORT_DIFF_OBJECTS_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "../vmmap/model/diff.h"

struct xw_book;

/* The "C++ objects" section (or the note why none), fitted to width columns (0: full rows); 0, or
 * -1 when out of memory. */
int vm_diff_objects_text(FILE *out, const vm_diff *d, const vm_diff_filter *f, size_t width);
/* The "objects" list (null when the census was not compared); *ok false when out of memory. */
cJSON *vm_diff_objects_json(const vm_diff *d, const vm_diff_filter *f, bool *ok);
/* A second table after the change list (nothing when no type changed). */
bool vm_diff_objects_csv(FILE *out, const vm_diff *d, const vm_diff_filter *f);
/* An "Objects" sheet (none when the census was not compared). */
void vm_diff_objects_sheet(struct xw_book *b, const vm_diff *d, const vm_diff_filter *f);

#endif
