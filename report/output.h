/* Output files by format: a snapshot (.json), a workbook (.xlsx) or CSV (.csv), chosen by name or
 * by the file's extension.  Shared by `vmmap snapshot -o` and `vmmap report`.  Platform-neutral. */
#ifndef VMMAP_REPORT_OUTPUT_H
#define VMMAP_REPORT_OUTPUT_H

#include "../vmmap/model/snapshot.h"
#include "../vmmap/util/error.h"

typedef enum vm_output_format {
    VM_OUTPUT_UNKNOWN,
    VM_OUTPUT_JSON,
    VM_OUTPUT_XLSX,
    VM_OUTPUT_CSV,
} vm_output_format;

/* "json", "xlsx", "csv" (any case); VM_OUTPUT_UNKNOWN otherwise. */
vm_output_format vm_output_format_named(const char *name);
/* By extension, any case: "r.XLSX" is a workbook.  VM_OUTPUT_UNKNOWN for other names and "-". */
vm_output_format vm_output_format_of_path(const char *path);
/* "json", "xlsx", "csv"; "" for unknown. */
const char *vm_output_format_name(vm_output_format f);

/* Writes s to path in format f, atomically (the file appears whole or not at all); "-" is stdout
 * for JSON and CSV.  0, or an exit code with err set. */
int vm_output_write(const vm_snapshot *s, const char *path, vm_output_format f, vm_error *err);

#endif
