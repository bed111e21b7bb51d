#include "interval_index.h"

#include <stdlib.h>

#include "../util/xalloc.h"

bool vm_interval_add(vm_interval_index *ix, uint64_t start, uint64_t end, size_t a, size_t b)
{
    if (end <= start)
        return true; /* empty ranges hold nothing */
    vm_interval *iv = vm_array_push((void **)&ix->v, &ix->n, sizeof *ix->v);
    if (!iv)
        return false;
    iv->start = start;
    iv->end = end;
    iv->a = a;
    iv->b = b;
    return true;
}

static int by_start(const void *pa, const void *pb)
{
    const vm_interval *a = pa, *b = pb;
    return a->start < b->start ? -1 : a->start > b->start;
}

void vm_interval_sort(vm_interval_index *ix)
{
    if (ix->n > 1)
        qsort(ix->v, ix->n, sizeof *ix->v, by_start);
}

const vm_interval *vm_interval_find(const vm_interval_index *ix, uint64_t addr)
{
    /* Last range starting at or below addr. */
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->v[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Overlapping ranges (hostile input) are possible: look back a little for a container. */
    for (size_t k = 0; k < 4 && lo > 0; k++, lo--) {
        const vm_interval *iv = &ix->v[lo - 1];
        if (addr < iv->end)
            return iv;
    }
    return NULL;
}

void vm_interval_free(vm_interval_index *ix)
{
    free(ix->v);
    ix->v = NULL;
    ix->n = 0;
}
