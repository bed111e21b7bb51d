/* Errors that reach the user: a message, one line of what to do about it, and an exit code. */
#ifndef VMMAP_UTIL_ERROR_H
#define VMMAP_UTIL_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "compiler.h"

/* Exit codes: part of the command-line contract (documented in docs/cli.md and --help). */
enum {
    VM_EXIT_OK = 0,
    VM_EXIT_ERROR = 1,        /* I/O failure, out of memory, anything else */
    VM_EXIT_USAGE = 2,        /* bad command line */
    VM_EXIT_NOT_FOUND = 3,    /* no such process / file */
    VM_EXIT_ACCESS = 4,       /* permission denied */
    VM_EXIT_BAD_INPUT = 5,    /* a snapshot or dump that cannot be read */
    VM_EXIT_TARGET_GONE = 6,  /* the process exited while we scanned it */
    VM_EXIT_UNSUPPORTED = 7,  /* the target kind is not supported by this build */
};

typedef struct vm_error {
    int code;          /* VM_EXIT_* */
    char msg[768];     /* what went wrong */
    char hint[384];    /* what to do about it; may be empty */
} vm_error;

/* Both shorten a word (a run without spaces) over 160 bytes to its start, its length and its
 * end, so that an enormous argument leaves room for the reason. */
void vm_error_set(vm_error *e, int code, const char *fmt, ...) VM_PRINTF(3, 4);
void vm_error_hint(vm_error *e, const char *fmt, ...) VM_PRINTF(2, 3);
void vm_error_vset(vm_error *e, int code, const char *fmt, va_list ap);
void vm_error_clear(vm_error *e);

/* src into dst (cap bytes, NUL-terminated) with every word over 160 bytes shortened to
 * "first 100...(N bytes)...last 40". */
void vm_error_shorten(char *dst, size_t cap, const char *src);

/* Prints "vmmap: error: MSG" and, if set, "vmmap: hint: HINT" to stderr; returns e->code. */
int vm_error_report(const vm_error *e);

#endif
