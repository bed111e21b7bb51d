/* What an output path (-o PATH) names, decided before anything is written, so that a user's
 * files are never destroyed: a regular file or a new name is replaced whole through a temporary
 * beside it; a symbolic link is followed and its target replaced in the target's directory; a
 * character device, FIFO, socket or /dev/stdout is written directly, as a shell's `>` would; a
 * block device, a directory or a file the user may not write is refused with the reason. */
#ifndef VMMAP_UTIL_OUTPUT_TARGET_H
#define VMMAP_UTIL_OUTPUT_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef enum vm_out_kind {
    VM_OUT_FILE,   /* a regular file or a new name: temporary + rename */
    VM_OUT_STREAM, /* a character device, FIFO, socket or an open descriptor: written directly */
} vm_out_kind;

typedef struct vm_out_target {
    vm_out_kind kind;
    char *path;     /* malloc'd: the file to replace or create (a link's target), or to open */
    bool exists;    /* VM_OUT_FILE: a regular file is there now */
    unsigned mode;  /* its permission bits, which the replacement keeps */
    bool socket;    /* VM_OUT_STREAM: a Unix socket (connect, not open) */
    bool append;    /* VM_OUT_STREAM: a regular file reached through /proc/self/fd (the shell's) */
} vm_out_target;

/* Resolves path (not "-"): false with err set when it must not or cannot be written. */
bool vm_out_resolve(const char *path, vm_out_target *t, vm_error *err);
void vm_out_target_free(vm_out_target *t);

/* True when path ("-" included) is written as a stream: stdout, a character device, FIFO, socket
 * or descriptor path.  Such a name has no extension to choose a format by: a command writes its
 * default format into it (JSON; a series one line per sample). */
bool vm_out_is_stream(const char *path);

/* Opens a VM_OUT_STREAM target for writing; the descriptor, or -1 with err set (messages name
 * shown, the path the user gave). */
int vm_out_open_stream(const vm_out_target *t, const char *shown, vm_error *err);

/* "cannot write PATH: <why>" for errno e, in words a user acts on.  Every output failure is exit 1
 * (docs/cli.md): exit 4 is for a target the user may not read. */
void vm_out_error(vm_error *err, const char *path, int e);

/* The directory part of path for messages: "/nope" for "/nope/x.json", "." for "x.json". */
void vm_out_dir_of(const char *path, char *buf, size_t len);

#endif
