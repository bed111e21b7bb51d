/* The workbook as a whole: libxlsxwriter loaded (xlsx_lib.h), a temporary beside the target,
 * every sheet in constant-memory mode, then close and rename; any failure removes the temporary
 * and says why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/atomic_file.h"
#include "../vmmap/util/progress.h"
#include "../vmmap/version.h"
#include "xlsx.h"
#include "xlsx_common.h"

static void (*const sheets[])(xw_book *, const vm_snapshot *) = {
    xw_summary_sheet, xw_regions_sheet, xw_heaps_sheet, xw_sizes_sheet, xw_types_sheet,
    xw_threads_sheet, xw_modules_sheet, xw_warnings_sheet,
};

/* Too many rows for one worksheet: say so before anything is written. */
static bool refuse(const vm_snapshot *s, const char *path, vm_error *err)
{
    uint64_t rows = xw_regions_rows(s);
    if (rows > LXW_ROW_MAX) {
        vm_error_set(err, VM_EXIT_ERROR,
                     "cannot write %s: %llu regions and blocks exceed a worksheet's %d rows", path,
                     (unsigned long long)(rows - 1), LXW_ROW_MAX);
        vm_error_hint(err, "write CSV instead (--format csv), which has no row limit");
        return true;
    }
    return false;
}

/* The message for a libxlsxwriter failure, with errno when the system said more. */
static void set_lxw_error(vm_error *err, const char *path, lxw_error e, const char *sheet, int sys)
{
    if (e == LXW_ERROR_CREATING_TMPFILE || e == LXW_ERROR_READING_TMPFILE) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: cannot use a temporary file (%s)", path,
                     sys ? strerror(sys) : lxw_strerror(e));
        vm_error_hint(err, "the system temporary directory (TMPDIR) must be writable and have room");
        return;
    }
    if (sys == ENOSPC) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: no space left on device", path);
        vm_error_hint(err, "free some space, or write the report elsewhere");
        return;
    }
    if (sheet)
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: sheet %s: %s", path, sheet, lxw_strerror(e));
    else
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s%s%s", path, lxw_strerror(e),
                     sys ? ": " : "", sys ? strerror(sys) : "");
}

/* "cannot write PATH: " before err's message, as every other failure to write says; the hint
 * is kept.  Returns err->code. */
static int for_path(vm_error *err, const char *path)
{
    vm_error why = *err;
    vm_error_set(err, why.code, "cannot write %s: %s", path, why.msg);
    vm_error_hint(err, "%s", why.hint);
    return err->code;
}

/* Opens the workbook at tmp, lets body add the sheets, closes it; 0 or an exit code. */
static int write_to(const char *tmp, const char *path, const char *title, const char *subject,
                    void (*body)(xw_book *b, const void *ctx), const void *ctx, vm_error *err)
{
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
    xw_book *b = calloc(1, sizeof *b); /* hundreds of format pointers: not on the stack */
    if (b)
        b->wb = workbook_new_opt(tmp, &opt);
    if (!b || !b->wb) {
        free(b);
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
        return err->code;
    }
    xw_formats(b);
    lxw_doc_properties props = {
        .title = (char *)title, .subject = (char *)subject, .comments = "Written by vmmap " VMMAP_VERSION};
    xw_check(b, workbook_set_properties(b->wb, &props));
    if (xw_ok(b))
        body(b, ctx);
    errno = 0;
    vm_progress_phase("compressing the workbook", 0); /* zipping the sheets: a second for 60k rows */
    lxw_error closed = workbook_close(b->wb); /* always frees the workbook */
    int sys = errno;
    int rc = 0;
    if (!xw_ok(b))
        set_lxw_error(err, path, b->error, b->error_at, 0);
    else if (closed != LXW_NO_ERROR)
        set_lxw_error(err, path, closed, NULL, sys);
    if (!xw_ok(b) || closed != LXW_NO_ERROR)
        rc = err->code;
    free(b);
    return rc;
}

int xw_write_book(const char *path, const char *title, const char *subject,
                  void (*body)(xw_book *b, const void *ctx), const void *ctx, vm_error *err)
{
    if (strcmp(path, "-") == 0) {
        vm_error_set(err, VM_EXIT_USAGE, "a workbook cannot be written to standard output");
        vm_error_hint(err, "give a file name (-o FILE.xlsx), or choose --format csv or json for standard output");
        return err->code;
    }
    /* Before any file: without the library nothing is created, and the message names it. */
    if (!vm_xlsx_lib_load(err))
        return for_path(err, path);
    char *tmp = vm_atomic_temp_path(path, err);
    if (!tmp)
        return err->code;
    int rc = write_to(tmp, path, title, subject, body, ctx, err);
    if (rc == 0 && !vm_atomic_commit_path(tmp, path, err))
        rc = err->code;
    if (rc != 0)
        remove(tmp); /* commit_path removes it itself; a second remove is harmless */
    free(tmp);
    return rc;
}

static void snapshot_sheets(xw_book *b, const void *ctx)
{
    const vm_snapshot *s = ctx;
    for (size_t i = 0; i < sizeof sheets / sizeof sheets[0] && xw_ok(b); i++)
        sheets[i](b, s);
}

int vm_report_write_xlsx(const vm_snapshot *s, const char *path, vm_error *err)
{
    if (strcmp(path, "-") != 0 && refuse(s, path, err))
        return err->code;
    char title[256];
    snprintf(title, sizeof title, "Virtual memory of %s (PID %lld)", s->process.name ? s->process.name : "?",
             (long long)s->process.pid);
    return xw_write_book(path, title, "Process virtual memory map (VMMap types and columns)", snapshot_sheets, s,
                         err);
}
