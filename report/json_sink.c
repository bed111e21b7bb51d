#include "json_sink.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool vm_sink_reserve(sink *k, size_t more)
{
    if (k->err)
        return false;
    if (more > SIZE_MAX / 4 - k->len) {
        k->err = ENOMEM;
        return false;
    }
    if (k->len + more + 1 <= k->cap)
        return true;
    size_t cap = k->cap ? k->cap : 4096;
    while (cap < k->len + more + 1)
        cap *= 2;
    char *grown = realloc(k->buf, cap);
    if (!grown) {
        k->err = ENOMEM;
        return false;
    }
    k->buf = grown;
    k->cap = cap;
    return true;
}

void vm_sink_put(sink *k, const char *s, size_t n)
{
    if (k->err)
        return; /* the document is abandoned: nothing more goes to the file either */
    if (k->fp) {
        if (n && !ferror(k->fp) && fwrite(s, 1, n, k->fp) != n && !k->write_errno)
            k->write_errno = errno;
        return;
    }
    if (n == 0 || !vm_sink_reserve(k, n))
        return;
    memcpy(k->buf + k->len, s, n);
    k->len += n;
    k->buf[k->len] = '\0';
}

void vm_sink_str(sink *k, const char *s)
{
    vm_sink_put(k, s, strlen(s));
}

