/* The statistics visitor (heap_stats.h): counts per state and an open-addressing table of block
 * sizes, so each block costs one hash probe and no allocation. */
#include "heap_stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

typedef struct size_slot {
    uint64_t size; /* 0: empty (no block has size 0: such blocks are not tabled) */
    uint64_t count[3];
} size_slot;

struct vm_heap_stats_acc {
    vm_heap_stats st;
    size_slot *slots;
    size_t cap, used;       /* cap a power of two, used <= cap / 2 */
    uint64_t untabled;      /* blocks whose size did not fit the table */
    uint64_t blocks;
    bool oom;
    size_slot *last;        /* the row of the previous block: runs of one size are common */
};

#define FIRST_CAP 256

vm_heap_stats_acc *vm_heap_stats_begin(void)
{
    vm_heap_stats_acc *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->slots = calloc(FIRST_CAP, sizeof *a->slots);
    if (!a->slots) {
        free(a);
        return NULL;
    }
    a->cap = FIRST_CAP;
    return a;
}

void vm_heap_stats_discard(vm_heap_stats_acc *a)
{
    if (!a)
        return;
    free(a->slots);
    free(a);
}

uint64_t vm_heap_stats_blocks(const vm_heap_stats_acc *a)
{
    return a ? a->blocks : 0;
}

/* Block sizes are multiples of 8 or 16: mix the bits before masking. */
static size_t slot_of(uint64_t size, size_t cap)
{
    uint64_t h = size * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (cap - 1);
}

static size_slot *find_slot(size_slot *slots, size_t cap, uint64_t size)
{
    size_t i = slot_of(size, cap);
    while (slots[i].size != 0 && slots[i].size != size)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static bool grow(vm_heap_stats_acc *a)
{
    size_t ncap = a->cap * 2;
    size_slot *n = calloc(ncap, sizeof *n);
    if (!n)
        return false;
    for (size_t i = 0; i < a->cap; i++)
        if (a->slots[i].size)
            *find_slot(n, ncap, a->slots[i].size) = a->slots[i];
    free(a->slots);
    a->slots = n;
    a->cap = ncap;
    a->last = NULL;
    return true;
}

static void table(vm_heap_stats_acc *a, uint64_t size, int state)
{
    if (a->last && a->last->size == size) {
        a->last->count[state]++;
        return;
    }
    size_slot *s = find_slot(a->slots, a->cap, size);
    if (s->size == 0) {
        if (a->used >= VM_HEAP_SIZES_MAX) {
            a->untabled++;
            return;
        }
        if ((a->used + 1) * 2 > a->cap) {
            if (!grow(a)) {
                a->oom = true;
                return;
            }
            s = find_slot(a->slots, a->cap, size);
        }
        s->size = size;
        a->used++;
    }
    s->count[state]++;
    a->last = s;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

bool vm_heap_stats_visit(void *ctx, const vm_hblock *b)
{
    vm_heap_stats_acc *a = ctx;
    vm_heap_stats *st = &a->st;
    switch (b->state) {
    case VM_HBLOCK_BUSY:
        st->busy_blocks++;
        st->busy_bytes = sat_add(st->busy_bytes, b->size);
        break;
    case VM_HBLOCK_FREE:
        st->free_blocks++;
        st->free_bytes = sat_add(st->free_bytes, b->size);
        if (b->size > st->largest_free)
            st->largest_free = b->size;
        break;
    case VM_HBLOCK_CACHED:
        st->cached_blocks++;
        st->cached_bytes = sat_add(st->cached_bytes, b->size);
        break;
    case VM_HBLOCK_OVERHEAD:
        st->overhead_bytes = sat_add(st->overhead_bytes, b->size);
        return true;
    default:
        return true; /* a state this visitor does not know: not a block it can count */
    }
    a->blocks++;
    if (b->size)
        table(a, b->size, (int)b->state);
    return !a->oom;
}

double vm_heap_fragmentation(uint64_t free_bytes, uint64_t largest_free)
{
    if (free_bytes == 0 || largest_free > free_bytes)
        return 0;
    /* Rounded to hundredths of a percent, in integers: the same value on every platform. */
    uint64_t rest = free_bytes - largest_free;
    uint64_t hundredths;
    if (rest <= UINT64_MAX / 10000)
        hundredths = (rest * 10000 + free_bytes / 2) / free_bytes;
    else
        hundredths = (uint64_t)((double)rest / (double)free_bytes * 10000.0 + 0.5);
    return (double)hundredths / 100.0;
}

bool vm_heap_note(vm_heap *h, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *n = h->walk_note ? vm_asprintf("%s; %s", h->walk_note, msg) : vm_strdup(msg);
    if (!n)
        return false;
    free(h->walk_note);
    h->walk_note = n;
    return true;
}

static int cmp_size(const void *x, const void *y)
{
    uint64_t a = ((const vm_heap_size *)x)->size, b = ((const vm_heap_size *)y)->size;
    return a < b ? -1 : a > b;
}

bool vm_heap_stats_end(vm_heap_stats_acc *a, vm_heap *h)
{
    if (!a)
        return false;
    bool ok = !a->oom;
    vm_heap_size *sizes = NULL;
    if (ok && a->used) {
        sizes = malloc(a->used * sizeof *sizes);
        ok = sizes != NULL;
    }
    if (!ok) {
        free(sizes);
        vm_heap_stats_discard(a);
        vm_heap_note(h, "out of memory: no statistics");
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < a->cap; i++)
        if (a->slots[i].size)
            sizes[n++] = (vm_heap_size){a->slots[i].size, a->slots[i].count[0], a->slots[i].count[1],
                                        a->slots[i].count[2]};
    if (n > 1)
        qsort(sizes, n, sizeof *sizes, cmp_size);
    free(h->sizes);
    h->sizes = sizes;
    h->nsizes = n;
    h->stats = a->st;
    h->stats.fragmentation = vm_heap_fragmentation(a->st.free_bytes, a->st.largest_free);
    h->stats_known = true;
    h->largest_free = a->st.largest_free;
    h->largest_free_known = true;
    if (a->untabled)
        vm_heap_note(h, "%llu blocks of sizes beyond the %d kept are counted but not in the size table",
                     (unsigned long long)a->untabled, VM_HEAP_SIZES_MAX);
    vm_heap_stats_discard(a);
    return true;
}
