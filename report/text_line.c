/* A line of prose built piece by piece, then printed fitted to the terminal (text.h): `vmmap
 * info` says what a dump holds in lines of any length (a stream list, what the map cannot show). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

void vm_tline_add(vm_tline *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || l->failed)
        return;
    size_t need = l->len + (size_t)n + 1;
    if (need > l->cap) {
        size_t cap = l->cap ? l->cap : 256;
        while (cap < need)
            cap *= 2;
        char *t = realloc(l->text, cap);
        if (!t) {
            l->failed = true; /* printed as far as it got */
            return;
        }
        l->text = t;
        l->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(l->text + l->len, l->cap - l->len, fmt, ap);
    va_end(ap);
    l->len += (size_t)n;
}

void vm_tline_print(vm_tline *l, FILE *out, size_t width, size_t indent)
{
    if (l->len)
        vm_text_wrap(out, l->text, width, indent);
    l->len = 0;
    if (l->text)
        l->text[0] = '\0';
}

void vm_tline_free(vm_tline *l)
{
    free(l->text);
    memset(l, 0, sizeof *l);
}
