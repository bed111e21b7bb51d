/* Output files by format (see output.h). */
#include "output.h"

#include <stddef.h>
#include <string.h>

#include "csv.h"
#include "json.h"
#include "tabular.h"
#include "xlsx.h"

static const struct {
    vm_output_format format;
    const char *name, *ext;
    int (*write)(const vm_snapshot *, const char *, vm_error *);
} formats[] = {
    {VM_OUTPUT_JSON, "json", ".json", vm_snapshot_write_json},
    {VM_OUTPUT_XLSX, "xlsx", ".xlsx", vm_report_write_xlsx},
    {VM_OUTPUT_CSV, "csv", ".csv", vm_report_write_csv},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

vm_output_format vm_output_format_named(const char *name)
{
    for (size_t i = 0; name && i < NFORMATS; i++)
        if (strlen(name) == strlen(formats[i].name) && vm_tab_ends_with(name, formats[i].name))
            return formats[i].format;
    return VM_OUTPUT_UNKNOWN;
}

vm_output_format vm_output_format_of_path(const char *path)
{
    for (size_t i = 0; path && i < NFORMATS; i++)
        if (vm_tab_ends_with(path, formats[i].ext))
            return formats[i].format;
    return VM_OUTPUT_UNKNOWN;
}

const char *vm_output_format_name(vm_output_format f)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i].format == f)
            return formats[i].name;
    return "";
}

int vm_output_write(const vm_snapshot *s, const char *path, vm_output_format f, vm_error *err)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i].format == f)
            return formats[i].write(s, path, err);
    vm_error_set(err, VM_EXIT_USAGE, "%s: unknown output format", path);
    return err->code;
}
