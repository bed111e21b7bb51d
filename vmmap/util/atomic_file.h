/* Output files appear whole or not at all: written to a temporary name in the same directory,
 * flushed, then renamed over the target.  "-" means stdout (no atomicity needed).  What the path
 * names decides (output_target.h): a symbolic link's target is the file replaced; a character
 * device, FIFO or socket is written directly; a directory, a block device or a file the user may
 * not write is refused. */
#ifndef VMMAP_UTIL_ATOMIC_FILE_H
#define VMMAP_UTIL_ATOMIC_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"

typedef struct vm_atomic_file {
    FILE *fp;
    char *final_path;  /* the file the temporary replaces; NULL for stdout and streams */
    char *tmp_path;    /* NULL for stdout and streams (written directly) */
    char *shown;       /* the name the user gave, for messages; NULL for stdout */
    int write_errno;   /* a writer that saw a write fail may leave its errno here for the message */
    bool on_signal;    /* vm_atomic_remove_on_signal armed for it */
} vm_atomic_file;

/* Opens a temporary file beside path (or beside the link's target), or the device, FIFO or
 * socket itself.  Errors: missing directory, permission, read-only file or file system, each
 * with a clear message. */
bool vm_atomic_open(vm_atomic_file *af, const char *path, vm_error *err);
/* Flushes, closes and renames (fsyncs first with VMMAP_FSYNC=1); on any failure removes the
 * temporary and fails. */
bool vm_atomic_commit(vm_atomic_file *af, vm_error *err);
/* Closes and removes the temporary (safe to call after a failed commit or twice). */
void vm_atomic_abort(vm_atomic_file *af);
/* For a file that stays open for long (util/signal_cleanup.h): until commit or abort, a SIGINT,
 * SIGTERM or SIGHUP that ends the process removes the temporary first.  One file at a time. */
void vm_atomic_remove_on_signal(vm_atomic_file *af);

/* Flushes stdout after a command printed to it: false with err set ("cannot write to standard
 * output: No space left on device") when any of it could not be written. */
bool vm_stdout_finish(vm_error *err);

/* Some writers (libxlsxwriter) want a path, not a FILE*: returns a temporary path beside
 * path for them to write, committed with vm_atomic_commit_path. */
char *vm_atomic_temp_path(const char *path, vm_error *err);
bool vm_atomic_commit_path(const char *tmp_path, const char *path, vm_error *err);

#endif
