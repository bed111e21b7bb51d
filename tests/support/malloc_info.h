/* glibc's malloc_info(3) XML, read back: the per-arena figures the heap walk is checked against
 * (ground truth from inside the target: tests/unit/test_glibc_blocks.c on itself, the heap
 * sample for the integration test).  Test support only. */
#ifndef VMMAP_TESTS_SUPPORT_MALLOC_INFO_H
#define VMMAP_TESTS_SUPPORT_MALLOC_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MI_MAX_HEAPS 256

/* One <heap nr="N"> element: an arena, in glibc's order (main_arena, then its next ring). */
typedef struct mi_heap {
    int nr;
    uint64_t fast_count, fast_size;  /* <total type="fast"> */
    uint64_t rest_count, rest_size;  /* <total type="rest">: the top chunk and every bin */
    uint64_t current, max;           /* <system type="current|max">: system_mem */
} mi_heap;

typedef struct mi_info {
    mi_heap heaps[MI_MAX_HEAPS];
    size_t nheaps;
    uint64_t mmap_count, mmap_size;  /* the closing <total type="mmap"> */
} mi_info;

/* Parses what malloc_info(0, f) wrote; false when it does not have glibc's shape. */
bool mi_parse(const char *xml, mi_info *out);

#endif
