/* A sorted array of address ranges for "which range holds this address" look-ups, so that
 * classifying 60,000 blocks against thousands of heap parts stays O(n log m). */
#ifndef VMMAP_CLASSIFY_INTERVAL_INDEX_H
#define VMMAP_CLASSIFY_INTERVAL_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vm_interval {
    uint64_t start, end; /* end exclusive */
    size_t a, b;         /* what the range stands for (e.g. heap index, part index) */
} vm_interval;

typedef struct vm_interval_index {
    vm_interval *v;
    size_t n;
} vm_interval_index;

bool vm_interval_add(vm_interval_index *ix, uint64_t start, uint64_t end, size_t a, size_t b);
void vm_interval_sort(vm_interval_index *ix);
/* The range containing addr (the latest-starting one if ranges overlap), or NULL. */
const vm_interval *vm_interval_find(const vm_interval_index *ix, uint64_t addr);
void vm_interval_free(vm_interval_index *ix);

#endif
