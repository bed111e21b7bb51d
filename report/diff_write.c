/* A diff to a file (or stdout) in the format asked for; files appear whole or not at all. */
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/atomic_file.h"
#include "diff_lines.h"

static bool write_text(FILE *out, const vm_diff *d, const vm_diff_filter *f)
{
    vm_diff_text_options opt = {.color = false};
    return vm_diff_text(out, d, f, &opt) == 0;
}

static bool write_json(FILE *out, const vm_diff *d, const vm_diff_filter *f)
{
    char *text = vm_diff_to_json(d, f, 1);
    if (!text)
        return false;
    fputs(text, out);
    fputc('\n', out);
    free(text);
    return true;
}

static bool (*const stream_writers[])(FILE *, const vm_diff *, const vm_diff_filter *) = {
    [VM_DIFF_OUT_TEXT] = write_text,
    [VM_DIFF_OUT_JSON] = write_json,
    [VM_DIFF_OUT_CSV] = vm_diff_csv,
};

int vm_diff_write(const vm_diff *d, const vm_diff_filter *f, const char *path, vm_diff_format fmt,
                  vm_error *err)
{
    if (fmt == VM_DIFF_OUT_XLSX)
        return vm_diff_write_xlsx(d, f, path, err);
    if ((unsigned)fmt >= sizeof stream_writers / sizeof stream_writers[0] || !stream_writers[fmt]) {
        vm_error_set(err, VM_EXIT_USAGE, "%s: unknown output format", path);
        return err->code;
    }
    vm_atomic_file af;
    if (!vm_atomic_open(&af, path, err))
        return err->code;
    if (!stream_writers[fmt](af.fp, d, f)) {
        vm_atomic_abort(&af);
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
        return err->code;
    }
    return vm_atomic_commit(&af, err) ? 0 : err->code;
}
