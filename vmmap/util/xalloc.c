#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *vm_array_push(void **arr, size_t *count, size_t elem)
{
    size_t n = *count;
    /* Reallocate exactly when n reaches the implicit capacity: 1, 2, 4, 8, ...  Starting at one:
     * most regions have one block, and a first capacity of 8 made 60,000 regions hold 70 MB of
     * block slots they never used (and fault in the pages). */
    if (n == 0 || (n & (n - 1)) == 0) {
        size_t ncap = n ? n * 2 : 1;
        if (ncap < n || ncap > SIZE_MAX / elem)
            return NULL;
        void *grown = realloc(*arr, ncap * elem);
        if (!grown)
            return NULL;
        *arr = grown;
    }
    char *p = (char *)*arr + *count * elem;
    memset(p, 0, elem);
    (*count)++;
    return p;
}

/* The capacity vm_array_push gives an array of n elements: the smallest power of two >= n. */
static size_t implicit_capacity(size_t n)
{
    size_t cap = 1;
    while (cap < n && cap <= SIZE_MAX / 2)
        cap *= 2;
    return cap < n ? 0 : cap;
}

bool vm_array_append(void **arr, size_t *count, size_t elem, const void *src, size_t n)
{
    if (n == 0)
        return true;
    size_t have = *count, want = have + n;
    if (want < have)
        return false;
    size_t cap = have ? implicit_capacity(have) : 0, ncap = implicit_capacity(want);
    if (ncap == 0 || ncap > SIZE_MAX / elem)
        return false;
    if (ncap > cap) {
        void *grown = realloc(*arr, ncap * elem);
        if (!grown)
            return false;
        *arr = grown;
    }
    memcpy((char *)*arr + have * elem, src, n * elem);
    *count = want;
    return true;
}

char *vm_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *vm_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *buf = malloc((size_t)n + 1);
    if (!buf)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return buf;
}
