/* Output files appear whole or not at all: written to a temporary name in the same directory,
 * flushed, then renamed over the target.  "-" means stdout (no atomicity needed). */
#ifndef VMMAP_UTIL_ATOMIC_FILE_H
#define VMMAP_UTIL_ATOMIC_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"

typedef struct vm_atomic_file {
    FILE *fp;
    char *final_path;  /* NULL for stdout */
    char *tmp_path;
} vm_atomic_file;

/* Opens a temporary file beside path (mkstemp "path.XXXXXX.tmp"-like).  Errors: missing
 * directory, permission, read-only file system, each with a clear message. */
bool vm_atomic_open(vm_atomic_file *af, const char *path, vm_error *err);
/* Flushes, closes and renames (fsyncs first with VMMAP_FSYNC=1); on any failure removes the
 * temporary and fails. */
bool vm_atomic_commit(vm_atomic_file *af, vm_error *err);
/* Closes and removes the temporary (safe to call after a failed commit or twice). */
void vm_atomic_abort(vm_atomic_file *af);

/* Some writers (libxlsxwriter) want a path, not a FILE*: returns a temporary path beside
 * path for them to write, committed with vm_atomic_commit_path. */
char *vm_atomic_temp_path(const char *path, vm_error *err);
bool vm_atomic_commit_path(const char *tmp_path, const char *path, vm_error *err);

#endif
