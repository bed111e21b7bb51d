#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vm_error_set(vm_error *e, int code, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    e->hint[0] = '\0';
}

void vm_error_hint(vm_error *e, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->hint, sizeof e->hint, fmt, ap);
    va_end(ap);
}

void vm_error_clear(vm_error *e)
{
    memset(e, 0, sizeof *e);
}

int vm_error_report(const vm_error *e)
{
    fprintf(stderr, "vmmap: error: %s\n", e->msg[0] ? e->msg : "unknown error");
    if (e->hint[0])
        fprintf(stderr, "vmmap: hint: %s\n", e->hint);
    return e->code ? e->code : 1;
}
