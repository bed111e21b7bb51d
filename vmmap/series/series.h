/* A series of snapshots of one process over time, as it lies on disk: written by `vmmap watch`,
 * read by the timeline (`vmmap report DIR|FILE.jsonl`).  One module for both sides, so the rules
 * below hold for the writer and every reader alike.
 *
 * Two shapes:
 *   - a directory: one snapshot file per sample, *.json, written whole (temporary + rename);
 *     read in name order (watch names them NAME-PID-SEQ-UTC.json, so name order is time order);
 *     names starting with '.' are temporaries and are skipped.
 *   - a .jsonl file: one snapshot per line.  The torn-last-line rule: each line is written with
 *     one write and flushed, so a crash leaves at most one final line without its newline;
 *     readers skip such a torn final line (counted, not an error), and the writer cuts it off
 *     before it appends, so new lines start on a line of their own.  Blank lines are skipped. */
#ifndef VMMAP_SERIES_SERIES_H
#define VMMAP_SERIES_SERIES_H

#include <stdbool.h>
#include <stddef.h>

#include "../model/snapshot.h"
#include "../model/timeline.h"
#include "../util/error.h"

/* True when path names a .jsonl series (by its name: the writer creates it). */
bool vm_series_is_jsonl(const char *path);

/* ---- reading ---- */

/* Told of each snapshot in turn: source is the file it came from, line its line in a .jsonl (1-
 * based; 0 for a whole file).  fn owns s (frees it or keeps it).  A non-zero return stops. */
typedef int (*vm_series_fn)(void *ctx, const char *source, size_t line, vm_snapshot *s, vm_error *err);

/* Reads path: a directory (every *.json in it, not recursive), a .jsonl file, or one snapshot
 * file.  Each snapshot is handed to fn before the next is read.  *torn counts torn final lines
 * skipped. */
int vm_series_read(const char *path, vm_series_fn fn, void *ctx, size_t *torn, vm_error *err);

/* Reads one snapshot again: source and line as vm_series_fn was told. */
int vm_series_read_one(const char *source, size_t line, vm_snapshot **out, vm_error *err);

/* ---- the timeline over series ---- */

/* Reads snapshots into tl: each path as vm_series_read takes it; each snapshot is reduced and
 * freed before the next is read.  No snapshot at all is BAD_INPUT. */
int vm_timeline_load(vm_timeline *tl, const char *const *paths, size_t npaths, vm_error *err);

/* Reads the snapshot behind row i again (for a diff of the first and last). */
int vm_timeline_reload(const vm_timeline *tl, size_t i, vm_snapshot **out, vm_error *err);

/* ---- writing ---- */

typedef struct vm_series_writer vm_series_writer;

/* Opens the series at path for appending: a .jsonl file (created when missing; a torn last line
 * cut off, with a note on stderr) or a directory (created when missing).  Errors say which. */
int vm_series_writer_open(const char *path, vm_series_writer **out, vm_error *err);

/* Adds s: in a directory as the file name (no '/'), in a .jsonl as the next line.  *source and
 * *line say where it went (as vm_series_fn is told); *source stays valid until the next write
 * or the close. */
int vm_series_write(vm_series_writer *w, const vm_snapshot *s, const char *name, const char **source, size_t *line,
                    vm_error *err);

/* Closes; an error when the last data could not be written.  A .jsonl or directory the writer
 * created and nothing was written to is removed again. */
int vm_series_writer_close(vm_series_writer *w, vm_error *err);

#endif
