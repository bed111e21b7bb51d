/* Internal to vmmap/model/diff*.c: the pieces of vm_diff_compute, each filling its part of the
 * diff.  Each returns false only when out of memory. */
#ifndef VMMAP_MODEL_DIFF_IMPL_H
#define VMMAP_MODEL_DIFF_IMPL_H

#include "diff.h"

/* a + b, saturated at UINT64_MAX. */
static inline uint64_t vm_diff_sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Sorting with a three-way compare of unsigned values. */
static inline int vm_diff_cmp_u64(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

bool vm_diff_regions(vm_diff *d, const vm_snapshot *o, const vm_snapshot *n);
bool vm_diff_heaps(vm_diff *d, const vm_snapshot *o, const vm_snapshot *n);
bool vm_diff_objects(vm_diff *d, const vm_snapshot *o, const vm_snapshot *n); /* diff_objects.c */
void vm_diff_objects_free(vm_diff *d);
/* Frees what a heap change owns (its kind and parts). */
void vm_diff_heap_clear(vm_diff_heap *h);

/* Pairs two sorted arrays of pointers: for each i, j with cmp(a[i], b[j]) == 0 (in order), calls
 * pair(ctx, a[i], b[j]); unpaired ones get pair(ctx, a[i], NULL) / pair(ctx, NULL, b[j]) when
 * report_unpaired.  false as soon as pair returns false. */
typedef int (*vm_diff_cmp_fn)(const void *a, const void *b);
typedef bool (*vm_diff_pair_fn)(void *ctx, const void *a, const void *b);
bool vm_diff_merge(const void *const *a, size_t na, const void *const *b, size_t nb,
                   vm_diff_cmp_fn key, vm_diff_pair_fn pair, void *ctx, bool report_unpaired);

/* An array of pointers to n elements of elem bytes at base, sorted by cmp (a qsort comparator
 * on two `const void *const *`).  NULL when out of memory (or n == 0: then *ok stays true). */
const void **vm_diff_sorted_ptrs(const void *base, size_t n, size_t elem,
                                 int (*cmp)(const void *, const void *), bool *ok);

/* A string for comparing: NULL compares as "". */
static inline const char *vm_diff_str(const char *s)
{
    return s ? s : "";
}

#endif
