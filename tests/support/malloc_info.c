#include "malloc_info.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The value of attribute name="..." in the element starting at p (up to its '>'). */
static bool attr(const char *p, const char *name, uint64_t *out)
{
    const char *end = strchr(p, '>');
    char key[32];
    snprintf(key, sizeof key, "%s=\"", name);
    const char *a = strstr(p, key);
    return a && end && a < end && sscanf(a + strlen(key), "%" SCNu64, out) == 1;
}

/* The element <tag type="type" ...> at or after p and before limit (NULL for no limit). */
static const char *element(const char *p, const char *limit, const char *tag, const char *type)
{
    char want[64];
    snprintf(want, sizeof want, "<%s type=\"%s\"", tag, type);
    const char *e = strstr(p, want);
    return e && (!limit || e < limit) ? e : NULL;
}

bool mi_parse(const char *xml, mi_info *out)
{
    memset(out, 0, sizeof *out);
    const char *p = strstr(xml, "<malloc version=\"1\">");
    if (!p)
        return false;
    const char *h;
    while ((h = strstr(p, "<heap nr=\"")) != NULL) {
        const char *close = strstr(h, "</heap>");
        if (!close || out->nheaps == MI_MAX_HEAPS)
            return false;
        mi_heap *m = &out->heaps[out->nheaps++];
        uint64_t nr;
        const char *fast = element(h, close, "total", "fast"), *rest = element(h, close, "total", "rest");
        const char *cur = element(h, close, "system", "current"), *max = element(h, close, "system", "max");
        if (!attr(h, "nr", &nr) || !fast || !rest || !cur || !max || !attr(fast, "count", &m->fast_count) ||
            !attr(fast, "size", &m->fast_size) || !attr(rest, "count", &m->rest_count) ||
            !attr(rest, "size", &m->rest_size) || !attr(cur, "size", &m->current) || !attr(max, "size", &m->max))
            return false;
        m->nr = (int)nr;
        p = close;
    }
    const char *mm = element(p, NULL, "total", "mmap");
    return out->nheaps > 0 && mm && attr(mm, "count", &out->mmap_count) && attr(mm, "size", &out->mmap_size);
}
