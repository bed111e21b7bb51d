/* libFuzzer target for the glibc heap and thread-list walkers.
 *
 * Input: a header describing up to 8 mappings, main_arena and the thread_db symbol addresses,
 * then a memory image.  The image is mapped at BASE, and each following 64 MiB slot k shows it
 * from byte k * 4096 on, so heaps in different slots can have different heap_info and prev
 * chains, arena rings and thread lists can all point into fuzzer bytes.
 *
 *   u8  nranges (low 4 bits, at most 8); bit 6: every page is there (no page states);
 *       bit 7: leave the ranges unsorted (hostile caller)
 *   per range: u32 start page, u16 pages - 1, u8 flags (r w x anon brk libc)
 *   u16 main_arena (0: unknown, else BASE + 8 * value)
 *   5 x u16 thread_db addresses (rtld_global, the four descriptors), BASE + value
 *   the rest: memory */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmmap/parse/glibc_heap.h"

#define BASE 0x7f0000000000ull
#define SLOT 0x4000000ull  /* HEAP_MAX_SIZE */
#define MIRRORS 4
#define WINDOW_STEP 0x1000
#define MAX_RANGES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct image {
    const uint8_t *data;
    size_t len;
} image;

static size_t image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const image *im = ctx;
    for (uint64_t k = 0; k < MIRRORS; k++) {
        uint64_t b = BASE + k * SLOT, skip = k * WINDOW_STEP;
        if (addr >= b && addr - b < SLOT) {
            if (addr - b + skip >= im->len)
                return 0;
            size_t off = (size_t)(addr - b + skip), n = im->len - off < len ? im->len - off : len;
            memcpy(buf, im->data + off, n);
            return n;
        }
    }
    return 0;
}

/* A page is there when the image byte its page number picks is odd, swapped when it is 2 mod 4. */
static bool image_pages(void *ctx, uint64_t start, size_t npages, uint8_t *state)
{
    const image *im = ctx;
    if (!im->len)
        return false;
    for (size_t i = 0; i < npages; i++) {
        uint8_t b = im->data[(start / 4096 + i) % im->len];
        state[i] = b & 1 ? VM_GLIBC_PAGE_PRESENT : (b & 3) == 2 ? VM_GLIBC_PAGE_SWAPPED : VM_GLIBC_PAGE_ABSENT;
    }
    return true;
}

typedef struct cursor {
    const uint8_t *p;
    size_t left;
} cursor;

static uint64_t take(cursor *c, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && c->left; i++, c->p++, c->left--)
        v |= (uint64_t)*c->p << (8 * i);
    return v;
}

static int cmp_range(const void *a, const void *b)
{
    const vm_glibc_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cursor c = {data, size};
    unsigned head = (unsigned)take(&c, 1);
    size_t nranges = (head & 0x0f) % (MAX_RANGES + 1);
    vm_glibc_range ranges[MAX_RANGES];
    memset(ranges, 0, sizeof ranges);
    for (size_t i = 0; i < nranges; i++) {
        uint64_t page = take(&c, 4) % (MIRRORS * SLOT / 4096 + 16);
        uint64_t pages = take(&c, 2) + 1;
        unsigned f = (unsigned)take(&c, 1);
        ranges[i].start = BASE + page * 4096;
        ranges[i].end = ranges[i].start + pages * 4096;
        ranges[i].r = f & 1;
        ranges[i].w = f & 2;
        ranges[i].x = f & 4;
        ranges[i].anon_private = f & 8;
        ranges[i].is_brk_heap = f & 16;
        ranges[i].in_libc_data = f & 32;
    }
    if (!(head & 0x80))
        qsort(ranges, nranges, sizeof ranges[0], cmp_range);
    uint64_t m = take(&c, 2);
    uint64_t main_arena = m ? BASE + 8 * m : 0;
    vm_glibc_thread_db db;
    db.rtld_global = BASE + take(&c, 2);
    db.td_dl_stack_used = BASE + take(&c, 2);
    db.td_dl_stack_user = BASE + take(&c, 2);
    db.td_pthread_list = BASE + take(&c, 2);
    db.td_pthread_tid = BASE + take(&c, 2);

    image im = {c.p, c.left};
    vm_memreader mem = {.read = image_read, .ctx = &im};
    vm_snapshot *snap = vm_snapshot_new();
    if (!snap)
        return 0;
    /* Page states from the image's bytes (head bit 6: every page there), and a small probe
     * limit: the search for chunks inside mappings stays bounded and quick. */
    vm_glibc_find_opts opts = {.main_arena = main_arena, .pages = (head & 0x40) ? NULL : image_pages,
                               .pages_ctx = &im, .probe_limit = 4096};
    vm_glibc_heaps heaps;
    if (vm_glibc_find_heaps_ex(&mem, ranges, nranges, &opts, &heaps, snap))
        vm_glibc_heaps_free(&heaps);
    vm_glibc_thread *threads = NULL;
    size_t nthreads = 0;
    if (vm_glibc_list_threads(&mem, &db, &threads, &nthreads, snap))
        free(threads);
    vm_snapshot_free(snap);
    return 0;
}
