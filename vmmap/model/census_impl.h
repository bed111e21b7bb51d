/* Pieces of the census (model/census.h) shared by its files: the read window and the candidate
 * filter.  Not for use elsewhere. */
#ifndef VMMAP_MODEL_CENSUS_IMPL_H
#define VMMAP_MODEL_CENSUS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../parse/memreader.h"
#include "snapshot.h"

/* ---- census_window.c: target memory in large pieces ------------------------------------------ */

#define VM_CENSUS_WINDOW_BYTES ((size_t)4 << 20)
#define VM_CENSUS_WINDOWS 4

typedef struct vm_census_extent { /* committed memory of the map, merged, sorted */
    uint64_t start, end;
} vm_census_extent;

/* qsort order of extents (by start), and the extent of a sorted, non-overlapping array holding
 * addr (NULL when none). */
int vm_census_extent_cmp(const void *a, const void *b);
const vm_census_extent *vm_census_extent_find(const vm_census_extent *v, size_t n, uint64_t addr);

typedef struct vm_census_window {
    uint64_t start;
    size_t len;      /* bytes valid from start */
    uint8_t *buf;
    uint64_t last_use;
} vm_census_window;

typedef struct vm_census_win {
    const vm_memreader *mem;
    vm_census_extent *extents;
    size_t nextents;
    vm_census_window win[VM_CENSUS_WINDOWS];
    uint64_t tick;
    uint64_t bytes_read, reads; /* from the target, for the benchmark and tests */
} vm_census_win;

bool vm_census_win_init(vm_census_win *r, const vm_memreader *mem, const vm_snapshot *snap);
void vm_census_win_free(vm_census_win *r);
/* A view of up to want bytes at addr inside a window (valid until the next call); *got is how
 * many leading bytes are there (0: unreadable). */
const uint8_t *vm_census_view(vm_census_win *r, uint64_t addr, size_t want, size_t *got);
/* memreader-style copy through the windows. */
size_t vm_census_read(vm_census_win *r, uint64_t addr, void *buf, size_t len);

/* ---- census_filter.c: is this word worth validating, and what was it? ------------------------ */

/* Cached verdicts: >= 0 a type index, CENSUS_NOT not a vtable, CENSUS_SECONDARY a vtable of a
 * base subobject (not a new object). */
enum { CENSUS_NOT = -1, CENSUS_SECONDARY = -2, CENSUS_UNKNOWN = -3 };

typedef struct vm_census_filter {
    uint64_t lo, hi;          /* bounding box of the candidate pages */
    uint64_t **l2;            /* per 4 GiB (addr >> 32): a bitmap of its 4 KiB pages, or NULL */
    size_t nl1;
    /* open-addressing table: candidate value -> verdict */
    uint64_t *keys;
    int32_t *vals;
    size_t cap, used;
} vm_census_filter;

bool vm_census_filter_init(vm_census_filter *f);
bool vm_census_filter_add_range(vm_census_filter *f, uint64_t start, uint64_t end);
void vm_census_filter_free(vm_census_filter *f);

/* True when v lies on a page that may hold a vtable. */
static inline bool vm_census_filter_page(const vm_census_filter *f, uint64_t v)
{
    if (v - f->lo >= f->hi - f->lo)
        return false;
    uint64_t top = v >> 32;
    const uint64_t *bits = top < f->nl1 ? f->l2[top] : NULL;
    if (!bits)
        return false;
    uint32_t page = (uint32_t)(v >> 12) & 0xfffffu;
    return (bits[page >> 6] >> (page & 63)) & 1u;
}

int32_t vm_census_filter_get(const vm_census_filter *f, uint64_t v);
/* Remembers a verdict; false when the table cannot grow (the verdict is then not cached). */
bool vm_census_filter_put(vm_census_filter *f, uint64_t v, int32_t verdict);

#endif
