/* The workbook as a whole: a temporary beside the target, every sheet in constant-memory mode,
 * then close and rename; any failure removes the temporary and says why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/atomic_file.h"
#include "../vmmap/version.h"
#include "xlsx.h"
#include "xlsx_common.h"

static void (*const sheets[])(xw_book *, const vm_snapshot *) = {
    xw_summary_sheet, xw_regions_sheet, xw_heaps_sheet,
    xw_threads_sheet, xw_modules_sheet, xw_warnings_sheet,
};

/* What a user can do about it; refusals before anything is written. */
static bool refuse(const vm_snapshot *s, const char *path, vm_error *err)
{
    if (strcmp(path, "-") == 0) {
        vm_error_set(err, VM_EXIT_USAGE, "a workbook cannot be written to standard output");
        vm_error_hint(err, "give a file name (-o report.xlsx), or use --format csv for stdout");
        return true;
    }
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

static void set_properties(xw_book *b, const vm_snapshot *s)
{
    char title[256];
    snprintf(title, sizeof title, "Virtual memory of %s (PID %lld)",
             s->process.name ? s->process.name : "?", (long long)s->process.pid);
    lxw_doc_properties props = {
        .title = title,
        .subject = "Process virtual memory map (VMMap types and columns)",
        .comments = "Written by vmmap " VMMAP_VERSION,
    };
    xw_check(b, workbook_set_properties(b->wb, &props));
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

/* Writes every sheet into tmp; 0 or an exit code with err set. */
static int write_book(const vm_snapshot *s, const char *tmp, const char *path, vm_error *err)
{
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
    xw_book b = {0};
    b.wb = workbook_new_opt(tmp, &opt);
    if (!b.wb) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
        return err->code;
    }
    xw_formats(&b);
    set_properties(&b, s);
    for (size_t i = 0; i < sizeof sheets / sizeof sheets[0] && xw_ok(&b); i++)
        sheets[i](&b, s);
    errno = 0;
    lxw_error closed = workbook_close(b.wb); /* always frees the workbook */
    int sys = errno;
    if (!xw_ok(&b)) {
        set_lxw_error(err, path, b.error, b.error_at, 0);
        return err->code;
    }
    if (closed != LXW_NO_ERROR) {
        set_lxw_error(err, path, closed, NULL, sys);
        return err->code;
    }
    return 0;
}

int vm_report_write_xlsx(const vm_snapshot *s, const char *path, vm_error *err)
{
    if (refuse(s, path, err))
        return err->code;
    char *tmp = vm_atomic_temp_path(path, err);
    if (!tmp)
        return err->code;
    int rc = write_book(s, tmp, path, err);
    if (rc == 0 && !vm_atomic_commit_path(tmp, path, err))
        rc = err->code;
    if (rc != 0)
        remove(tmp); /* commit_path removes it itself; a second remove is harmless */
    free(tmp);
    return rc;
}
