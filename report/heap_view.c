/* Heap rows and size tables for the views (heap_view.h). */
#include "heap_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const vm_heap_stat_col vm_heap_stat_cols[VM_HEAP_STAT_COLS] = {
    {"Busy", "Busy blocks", VM_HSTAT_COUNT},     {"Busy size", "Busy", VM_HSTAT_BYTES},
    {"Free", "Free blocks", VM_HSTAT_COUNT},     {"Free size", "Free", VM_HSTAT_BYTES},
    {"Cached", "Cached blocks", VM_HSTAT_COUNT}, {"Cached size", "Cached", VM_HSTAT_BYTES},
    {"Largest free", "Largest free", VM_HSTAT_BYTES}, {"Frag.", "Fragmentation", VM_HSTAT_PERCENT},
    {"Overhead", "Overhead", VM_HSTAT_BYTES},
};

void vm_heap_stat_value(const vm_heap_stats *st, size_t c, uint64_t *n, double *pct)
{
    const uint64_t v[VM_HEAP_STAT_COLS] = {st->busy_blocks, st->busy_bytes, st->free_blocks, st->free_bytes,
                                           st->cached_blocks, st->cached_bytes, st->largest_free, 0,
                                           st->overhead_bytes};
    *n = c < VM_HEAP_STAT_COLS ? v[c] : 0;
    *pct = st->fragmentation;
}

static int cmp_rows(const void *a, const void *b)
{
    const vm_heap_view_row *x = a, *y = b;
    if (x->committed != y->committed)
        return x->committed > y->committed ? -1 : 1;
    return x->h->id < y->h->id ? -1 : x->h->id > y->h->id;
}

static const char *file_name(const char *path)
{
    if (!path)
        return "?";
    const char *slash = strrchr(path, '/'), *back = strrchr(path, '\\');
    const char *base = slash > back ? slash : back;
    return base ? base + 1 : path;
}

void vm_heap_owner_text(const vm_snapshot *s, const vm_heap *h, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    /* A Windows process's default heap (PEB.ProcessHeap, which nt_heaps.c marks with this class)
     * belongs to the process, whatever modules also keep its handle (ntdll, kernelbase). */
    if (h->heap_class && strcmp(h->heap_class, "process heap") == 0) {
        int k = snprintf(buf, len, "process default heap");
        used = k < 0 ? 0 : (size_t)k < len ? (size_t)k : len - 1;
    }
    for (size_t i = 0; i < h->nowners && used + 1 < len; i++) {
        int32_t m = h->owners[i].module;
        const char *name = m >= 0 && (size_t)m < s->nmodules ? file_name(s->modules[m].path) : "?";
        int k = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
        if (k < 0)
            break;
        used += (size_t)k < len - used ? (size_t)k : len - used - 1;
    }
}

vm_heap_view_row *vm_heap_view_rows(const vm_snapshot *s, int64_t only, size_t *n)
{
    *n = 0;
    vm_heap_view_row *rows = calloc(s->nheaps ? s->nheaps : 1, sizeof *rows);
    if (!rows)
        return NULL;
    for (size_t i = 0; i < s->nheaps; i++) {
        const vm_heap *h = &s->heaps[i];
        if (only >= 0 && h->id != only)
            continue;
        vm_heap_view_row *r = &rows[(*n)++];
        r->h = h;
        for (size_t j = 0; j < h->nparts; j++) {
            r->reserved += h->parts[j].size;
            r->committed += h->parts[j].committed;
        }
        vm_heap_owner_text(s, h, r->owner, sizeof r->owner);
    }
    if (*n > 1)
        qsort(rows, *n, sizeof *rows, cmp_rows);
    return rows;
}

uint64_t vm_heap_size_bytes(const vm_heap_size *z)
{
    uint64_t blocks = z->busy + z->free + z->cached;
    if (blocks < z->busy || (z->size && blocks > UINT64_MAX / z->size))
        return UINT64_MAX;
    return blocks * z->size;
}

static int cmp_sizes(const void *a, const void *b)
{
    const vm_heap_size *x = *(const vm_heap_size *const *)a, *y = *(const vm_heap_size *const *)b;
    uint64_t bx = vm_heap_size_bytes(x), by = vm_heap_size_bytes(y);
    if (bx != by)
        return bx > by ? -1 : 1;
    return x->size < y->size ? -1 : x->size > y->size;
}

const vm_heap_size **vm_heap_top_sizes(const vm_heap *h, size_t max, size_t *n)
{
    *n = 0;
    if (!h->stats_known || h->nsizes == 0)
        return NULL;
    const vm_heap_size **p = malloc(h->nsizes * sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < h->nsizes; i++)
        p[i] = &h->sizes[i];
    qsort(p, h->nsizes, sizeof *p, cmp_sizes);
    *n = max && max < h->nsizes ? max : h->nsizes;
    return p;
}

const char *vm_hblock_state_word(vm_hblock_state st)
{
    switch (st) {
    case VM_HBLOCK_BUSY: return "busy";
    case VM_HBLOCK_FREE: return "free";
    case VM_HBLOCK_CACHED: return "cached";
    case VM_HBLOCK_OVERHEAD: return "overhead";
    default: return "?";
    }
}
