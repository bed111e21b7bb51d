/* The census's first question for every heap word: could it point at a vtable?  A word passes
 * only if it lies on a page of an image's read-only data (a two-level page bitmap: one lookup,
 * no search), and then the verdict for that exact value is looked up in a hash table, so each
 * distinct value is validated once.  Most heap words (small integers, heap pointers) stop at the
 * bitmap. */
#include <stdlib.h>
#include <string.h>

#include "census_impl.h"

#define L2_WORDS ((1u << 20) / 64) /* 4 GiB of 4 KiB pages, one bit each: 128 KiB */
#define MAX_L1 (1u << 16)          /* 48-bit addresses */
#define MAX_TABLE ((size_t)1 << 26)

bool vm_census_filter_init(vm_census_filter *f)
{
    memset(f, 0, sizeof *f);
    f->lo = UINT64_MAX;
    f->hi = 0;
    f->cap = 4096;
    f->keys = calloc(f->cap, sizeof *f->keys);
    f->vals = calloc(f->cap, sizeof *f->vals);
    return f->keys && f->vals;
}

void vm_census_filter_free(vm_census_filter *f)
{
    for (size_t i = 0; i < f->nl1; i++)
        free(f->l2[i]);
    free(f->l2);
    free(f->keys);
    free(f->vals);
    memset(f, 0, sizeof *f);
}

bool vm_census_filter_add_range(vm_census_filter *f, uint64_t start, uint64_t end)
{
    if (end <= start)
        return true;
    uint64_t last = end - 1;
    if ((last >> 32) >= MAX_L1)
        return true; /* beyond any user address space: nothing of ours lives there */
    if ((last >> 32) >= f->nl1) {
        size_t n = (size_t)(last >> 32) + 1;
        uint64_t **l2 = realloc(f->l2, n * sizeof *l2);
        if (!l2)
            return false;
        memset(l2 + f->nl1, 0, (n - f->nl1) * sizeof *l2);
        f->l2 = l2;
        f->nl1 = n;
    }
    for (uint64_t page = start >> 12; page <= last >> 12; page++) {
        uint64_t top = page >> 20;
        if (!f->l2[top] && !(f->l2[top] = calloc(L2_WORDS, sizeof **f->l2)))
            return false;
        uint32_t p = (uint32_t)page & 0xfffffu;
        f->l2[top][p >> 6] |= (uint64_t)1 << (p & 63);
    }
    if (start < f->lo)
        f->lo = start & ~(uint64_t)4095;
    if (end > f->hi)
        f->hi = ((last >> 12) + 1) << 12;
    return true;
}

static size_t slot_of(uint64_t v, size_t cap)
{
    uint64_t h = v * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

int32_t vm_census_filter_get(const vm_census_filter *f, uint64_t v)
{
    for (size_t i = slot_of(v, f->cap);; i = (i + 1) & (f->cap - 1)) {
        if (f->keys[i] == v)
            return f->vals[i];
        if (f->keys[i] == 0)
            return CENSUS_UNKNOWN;
    }
}

static bool grow(vm_census_filter *f)
{
    size_t cap = f->cap * 2;
    if (cap > MAX_TABLE)
        return false;
    uint64_t *keys = calloc(cap, sizeof *keys);
    int32_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return false;
    }
    for (size_t i = 0; i < f->cap; i++) {
        if (!f->keys[i])
            continue;
        size_t j = slot_of(f->keys[i], cap);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = f->keys[i];
        vals[j] = f->vals[i];
    }
    free(f->keys);
    free(f->vals);
    f->keys = keys;
    f->vals = vals;
    f->cap = cap;
    return true;
}

bool vm_census_filter_put(vm_census_filter *f, uint64_t v, int32_t verdict)
{
    if (v == 0) /* the empty-slot marker; zero never passes the page filter anyway */
        return false;
    if ((f->used + 1) * 2 > f->cap && !grow(f))
        return false;
    size_t i = slot_of(v, f->cap);
    while (f->keys[i] && f->keys[i] != v)
        i = (i + 1) & (f->cap - 1);
    if (!f->keys[i])
        f->used++;
    f->keys[i] = v;
    f->vals[i] = verdict;
    return true;
}
