#include "error.h"
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Words (runs without a space) longer than this are shortened in messages: a 131,000-character
 * argument must not push the reason out of the message. */
#define LONG_WORD 160
#define KEEP_HEAD 100
#define KEEP_TAIL 40

static size_t copy_word(char *dst, size_t room, const char *w, size_t n)
{
    size_t k = n < room ? n : room;
    memcpy(dst, w, k);
    return k;
}

/* Backs off from a cut inside a UTF-8 sequence, so that a shortened word stays valid text. */
static size_t utf8_floor(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

void vm_error_shorten(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    size_t out = 0, room = cap - 1;
    for (const char *p = src; *p && out < room;) {
        size_t n = strcspn(p, " ");
        if (n > LONG_WORD) {
            size_t head = utf8_floor(p, KEEP_HEAD), tail = n - KEEP_TAIL;
            while (tail < n && ((unsigned char)p[tail] & 0xc0) == 0x80)
                tail++;
            char mid[64];
            int m = snprintf(mid, sizeof mid, "...(%zu bytes)...", n);
            out += copy_word(dst + out, room - out, p, head);
            out += copy_word(dst + out, room - out, mid, m > 0 ? (size_t)m : 0);
            out += copy_word(dst + out, room - out, p + tail, n - tail);
        } else {
            out += copy_word(dst + out, room - out, p, n);
        }
        p += n;
        size_t spaces = strspn(p, " ");
        out += copy_word(dst + out, room - out, p, spaces);
        p += spaces;
    }
    dst[out] = '\0';
}

/* Formats into buf (cap bytes) with long words shortened. */
static void format_into(char *buf, size_t cap, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *full = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (full) {
        vsnprintf(full, (size_t)n + 1, fmt, again);
        vm_error_shorten(buf, cap, full);
        free(full);
    } else {
        vsnprintf(buf, cap, fmt, again);
    }
    va_end(again);
}

void vm_error_vset(vm_error *e, int code, const char *fmt, va_list ap)
{
    if (!e)
        return;
    format_into(e->msg, sizeof e->msg, fmt, ap);
    e->code = code;
    e->hint[0] = '\0';
}

void vm_error_set(vm_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vm_error_vset(e, code, fmt, ap);
    va_end(ap);
}

void vm_error_hint(vm_error *e, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    format_into(e->hint, sizeof e->hint, fmt, ap);
    va_end(ap);
}

void vm_error_clear(vm_error *e)
{
    memset(e, 0, sizeof *e);
}

int vm_error_report(const vm_error *e)
{
    vm_progress_stop(); /* the progress line, if any, makes room for the message */
    fprintf(stderr, "vmmap: error: %s\n", e->msg[0] ? e->msg : "unknown error");
    if (e->hint[0])
        fprintf(stderr, "vmmap: hint: %s\n", e->hint);
    return e->code ? e->code : 1;
}
