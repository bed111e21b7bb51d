/* glibc heap and thread-list walkers: synthetic memory images (valid, corrupt, hostile) and the
 * test process itself (live glibc malloc arenas, mmapped chunks and threads). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/self_mem.h"
#include "vmmap/parse/glibc_heap.h"

#define MIB64 0x4000000ull
#define H1 0x7f0000000000ull          /* 64 MiB aligned */
#define LIBC_DATA 0x7fff00000000ull   /* libc's read/write data, main_arena inside */
#define MAIN_ARENA (LIBC_DATA + 0x1000)
#define BRK 0x555500000000ull
#define BRK_LEN 0x21000ull

/* ---- a sparse synthetic address space ---------------------------------------------------- */

typedef struct seg {
    uint64_t base;
    uint8_t *data;
    size_t len;
} seg;

typedef struct image {
    seg segs[128];
    size_t nsegs;
    vm_glibc_range ranges[256];
    size_t nranges;
    uint64_t watch;       /* reads of the byte at watch (when not 0) are counted */
    size_t watch_reads;
} image;

/* Reads stop at the end of the segment holding addr: unbacked bytes are unreadable. */
static size_t image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    image *im = ctx;
    if (im->watch && addr <= im->watch && im->watch - addr < len)
        im->watch_reads++;
    for (size_t i = 0; i < im->nsegs; i++) {
        seg *s = &im->segs[i];
        if (addr >= s->base && addr - s->base < s->len) {
            size_t off = (size_t)(addr - s->base), n = s->len - off < len ? s->len - off : len;
            memcpy(buf, s->data + off, n);
            return n;
        }
    }
    return 0;
}

static image *image_new(void)
{
    return calloc(1, sizeof(image));
}

static void image_free(image *im)
{
    for (size_t i = 0; i < im->nsegs; i++)
        free(im->segs[i].data);
    free(im);
}

static uint8_t *back(image *im, uint64_t base, size_t len)
{
    assert_true(im->nsegs < 128);
    seg *s = &im->segs[im->nsegs++];
    s->base = base;
    s->len = len;
    s->data = calloc(1, len);
    assert_non_null(s->data);
    return s->data;
}

static seg *seg_at(image *im, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < im->nsegs; i++) {
        seg *s = &im->segs[i];
        if (addr >= s->base && addr - s->base + len <= s->len)
            return s;
    }
    fail_msg("no backing for 0x%llx", (unsigned long long)addr);
    return NULL;
}

static void put64(image *im, uint64_t addr, uint64_t v)
{
    seg *s = seg_at(im, addr, 8);
    for (int i = 0; i < 8; i++)
        s->data[addr - s->base + (uint64_t)i] = (uint8_t)(v >> (8 * i));
}

static void put32(image *im, uint64_t addr, uint32_t v)
{
    seg *s = seg_at(im, addr, 4);
    for (int i = 0; i < 4; i++)
        s->data[addr - s->base + (uint64_t)i] = (uint8_t)(v >> (8 * i));
}

enum { R = 1, W = 2, X = 4, ANON = 8, BRKH = 16, LIBC = 32 };

static void range(image *im, uint64_t start, uint64_t end, int f)
{
    assert_true(im->nranges < 256);
    vm_glibc_range *r = &im->ranges[im->nranges++];
    memset(r, 0, sizeof *r);
    r->start = start;
    r->end = end;
    r->r = f & R;
    r->w = f & W;
    r->x = f & X;
    r->anon_private = f & ANON;
    r->is_brk_heap = f & BRKH;
    r->in_libc_data = f & LIBC;
}

static int cmp_range(const void *a, const void *b)
{
    const vm_glibc_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static vm_memreader reader(image *im)
{
    vm_memreader r = {.read = image_read, .ctx = im};
    return r;
}

/* Runs the heap walker over im (ranges sorted first, as the contract asks). */
static void find(image *im, uint64_t main_arena, vm_glibc_heaps *out, vm_snapshot *snap)
{
    qsort(im->ranges, im->nranges, sizeof im->ranges[0], cmp_range);
    vm_memreader mem = reader(im);
    assert_true(vm_glibc_find_heaps(&mem, im->ranges, im->nranges, main_arena, out, snap));
}

static size_t count_warnings(const vm_snapshot *s, const char *code, const char *contains)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nwarnings; i++)
        if (strcmp(s->warnings[i].code, code) == 0 &&
            (!contains || strstr(s->warnings[i].message, contains)))
            n++;
    return n;
}

static void print_warnings(const vm_snapshot *s)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        print_message("  warning %s: %s\n", s->warnings[i].code, s->warnings[i].message);
}

/* ---- building glibc structures ----------------------------------------------------------- */

/* A heap: heap_info at base (hdr bytes: 0x30 on 2.35+, 0x20 before), rw part of mprotect_size
 * bytes, PROT_NONE up to base + 64 MiB.  Backs the first page (heap_info + malloc_state). */
static void heap(image *im, uint64_t base, uint64_t ar_ptr, uint64_t prev, uint64_t size,
                 uint64_t mprotect_size)
{
    back(im, base, 0x1000);
    put64(im, base, ar_ptr);
    put64(im, base + 8, prev);
    put64(im, base + 0x10, size);
    put64(im, base + 0x18, mprotect_size);
    put64(im, base + 0x20, 0x1000);  /* pagesize (2.35+); ignored */
    range(im, base, base + mprotect_size, R | W | ANON);
    if (mprotect_size < MIB64)
        range(im, base + mprotect_size, base + MIB64, ANON);
}

/* malloc_state fields (2.27+ layout). */
static void mstate(image *im, uint64_t a, uint64_t top, uint64_t next, uint64_t system_mem)
{
    put64(im, a + 0x60, top);
    put64(im, a + 0x870, next);
    put64(im, a + 0x888, system_mem);
}

/* glibc's malloc_par (mp_) at a, 2.35+ layout, as glibc initialises it, counting n mmapped
 * chunks of bytes; sbrk_base: [heap]'s start or 0. */
#define MP_AT (LIBC_DATA + 0x340)
static void malloc_par(image *im, uint64_t a, uint32_t n, uint64_t bytes, uint64_t sbrk_base)
{
    put64(im, a, 0x20000);       /* trim_threshold */
    put64(im, a + 8, 0x20000);   /* top_pad */
    put64(im, a + 16, 0x20000);  /* mmap_threshold */
    put64(im, a + 24, 8);        /* arena_test */
    put32(im, a + 60, n);        /* n_mmaps */
    put32(im, a + 64, 65536);    /* n_mmaps_max */
    put32(im, a + 68, n);        /* max_n_mmaps */
    put64(im, a + 80, bytes);    /* mmapped_mem */
    put64(im, a + 88, bytes);    /* max_mmapped_mem */
    put64(im, a + 96, sbrk_base);
    put64(im, a + 104, 64);      /* tcache_bins */
    put64(im, a + 112, 1032);    /* tcache_max_bytes */
    put64(im, a + 120, 7);       /* tcache_count */
}

/* libc's data holding only a malloc_par (no main_arena: no [heap] either). */
static void libc_with_mp(image *im, uint32_t n, uint64_t bytes)
{
    back(im, LIBC_DATA, 0x4000);
    range(im, LIBC_DATA, LIBC_DATA + 0x4000, R | W | LIBC);
    malloc_par(im, MP_AT, n, bytes, 0);
}

/* libc's data with main_arena, and a brk heap. */
static void libc_and_brk(image *im, uint64_t main_next)
{
    back(im, LIBC_DATA, 0x4000);
    range(im, LIBC_DATA, LIBC_DATA + 0x4000, R | W | LIBC);
    mstate(im, MAIN_ARENA, BRK + 0x1000, main_next, BRK_LEN);
    range(im, BRK, BRK + BRK_LEN, R | W | BRKH);
}

/* A main_arena as glibc leaves it: every bin empty (pointing at its own header) but the
 * unsorted one, which holds one chunk of [heap]; next pointing at itself (no other arena). */
static void real_main_arena(image *im, uint64_t a, uint64_t top)
{
    mstate(im, a, top, a, BRK_LEN);
    for (uint64_t i = 0; i < 127; i++) {
        uint64_t header = a + 0x70 + 16 * i - 16;
        put64(im, a + 0x70 + 16 * i, i == 0 ? BRK + 0x400 : header);
        put64(im, a + 0x78 + 16 * i, i == 0 ? BRK + 0x400 : header);
    }
}

/* Issue 10: a single-threaded process has no arena whose next link leads to main_arena; it is
 * found in libc's data by its shape (before: address 0, written as "0x0"). */
static void main_arena_single_threaded(void **state)
{
    image *im = image_new();
    back(im, LIBC_DATA, 0x4000);
    range(im, LIBC_DATA, LIBC_DATA + 0x4000, R | W | LIBC);
    back(im, BRK, 0x1000);
    range(im, BRK, BRK + BRK_LEN, R | W | BRKH);
    real_main_arena(im, MAIN_ARENA, BRK + 0x800);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.narenas, 1);
    assert_true(h.arenas[0].is_main);
    assert_int_equal(h.arenas[0].address, MAIN_ARENA);
    assert_int_equal(h.arenas[0].top, BRK + 0x800);
    vm_glibc_heaps_free(&h);

    /* A bin pointing outside the heaps: not a malloc_state, so no main arena is named. */
    put64(im, MAIN_ARENA + 0x70 + 16 * 5, 0x1234560);
    find(im, 0, &h, snap);
    assert_int_equal(h.narenas, 1);
    assert_int_equal(h.arenas[0].address, 0);
    vm_glibc_heaps_free(&h);

    /* Two places that both look like one: neither is taken. */
    real_main_arena(im, MAIN_ARENA, BRK + 0x800);
    real_main_arena(im, MAIN_ARENA + 0x1000, BRK + 0x900);
    find(im, 0, &h, snap);
    assert_int_equal(h.arenas[0].address, 0);
    assert_int_equal(count_warnings(snap, "heap-invalid", "2 places in libc's data look like main_arena"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* ---- arenas ------------------------------------------------------------------------------ */

static void one_arena_one_heap(void **state)
{
    image *im = image_new();
    uint64_t a = H1 + 0x30;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    mstate(im, a, H1 + 0x900, MAIN_ARENA, 0x21000);
    libc_and_brk(im, a);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.brk_start, BRK);
    assert_int_equal(h.brk_end, BRK + BRK_LEN);
    assert_int_equal(h.narenas, 2);
    assert_true(h.arenas[0].is_main);
    assert_int_equal(h.arenas[0].address, MAIN_ARENA);
    assert_int_equal(h.arenas[0].top, BRK + 0x1000);
    assert_true(h.arenas[0].system_mem_known);
    assert_int_equal(h.arenas[0].system_mem, BRK_LEN);
    assert_int_equal(h.arenas[0].nheaps, 0);
    assert_false(h.arenas[1].is_main);
    assert_int_equal(h.arenas[1].address, a);
    assert_int_equal(h.arenas[1].top, H1 + 0x900);
    assert_int_equal(h.arenas[1].system_mem, 0x21000);
    assert_int_equal(h.arenas[1].nheaps, 1);
    assert_int_equal(h.arenas[1].heaps[0].base, H1);
    assert_int_equal(h.arenas[1].heaps[0].size, 0x21000);
    assert_int_equal(h.arenas[1].heaps[0].mprotect_size, 0x21000);
    assert_int_equal(h.arenas[1].heaps[0].reserved, MIB64);
    assert_int_equal(h.nchunks, 0);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* Three heaps chained by prev, at addresses out of chain order: reported first heap first. */
static void arena_with_three_heaps(void **state)
{
    image *im = image_new();
    uint64_t h2 = H1 - 2 * MIB64, h3 = H1 + 5 * MIB64, a = H1 + 0x30;
    heap(im, H1, a, 0, MIB64, MIB64);      /* full: no PROT_NONE part */
    heap(im, h2, a, H1, MIB64, MIB64);
    heap(im, h3, a, h2, 0x8000, 0x10000);
    mstate(im, a, h3 + 0x7000, MAIN_ARENA, 2 * MIB64 + 0x8000);
    libc_and_brk(im, a);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.narenas, 2);
    assert_int_equal(h.arenas[0].address, MAIN_ARENA);
    assert_int_equal(h.arenas[1].nheaps, 3);
    assert_int_equal(h.arenas[1].heaps[0].base, H1);
    assert_int_equal(h.arenas[1].heaps[1].base, h2);
    assert_int_equal(h.arenas[1].heaps[2].base, h3);
    assert_int_equal(h.arenas[1].heaps[2].reserved, MIB64);
    assert_int_equal(h.arenas[1].heaps[2].size, 0x8000);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* Ring main -> A2 -> A1 -> main, as glibc links new arenas in after main_arena. */
static void two_arenas(void **state)
{
    image *im = image_new();
    uint64_t h5 = H1 + 5 * MIB64, a1 = H1 + 0x30, a2 = h5 + 0x30;
    heap(im, h5, a2, 0, 0x30000, 0x30000);
    heap(im, H1, a1, 0, 0x21000, 0x21000);
    mstate(im, a1, H1 + 0x1000, MAIN_ARENA, 0x21000);
    mstate(im, a2, h5 + 0x2f000, a1, 0x30000);
    libc_and_brk(im, a2);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.narenas, 3);
    assert_true(h.arenas[0].is_main);
    assert_int_equal(h.arenas[0].address, MAIN_ARENA);
    assert_int_equal(h.arenas[1].address, a1);
    assert_int_equal(h.arenas[2].address, a2);
    assert_int_equal(h.arenas[2].heaps[0].base, h5);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* glibc <= 2.34: 0x20-byte heap_info; 2.26 also has malloc_state's top at 0x58. */
static void old_glibc_layouts(void **state)
{
    image *im = image_new();
    uint64_t h5 = H1 + 5 * MIB64, a1 = H1 + 0x20, a2 = h5 + 0x20;
    heap(im, H1, a1, 0, 0x21000, 0x21000);  /* 2.27 .. 2.34 */
    mstate(im, a1, H1 + 0x1000, MAIN_ARENA, 0x21000);
    heap(im, h5, a2, 0, 0x21000, 0x21000);  /* 2.26 */
    put64(im, a2 + 0x58, h5 + 0x2000);
    put64(im, a2 + 0x868, MAIN_ARENA);
    put64(im, a2 + 0x880, 0x21000);
    libc_and_brk(im, a1);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, MAIN_ARENA, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.narenas, 3);
    assert_int_equal(h.arenas[1].address, a1);
    assert_int_equal(h.arenas[1].top, H1 + 0x1000);
    assert_int_equal(h.arenas[2].address, a2);
    assert_int_equal(h.arenas[2].top, h5 + 0x2000);
    assert_int_equal(h.arenas[2].system_mem, 0x21000);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* main_arena from symbols, no other arenas; its top outside [heap] is reported, not dropped. */
static void main_arena_given(void **state)
{
    image *im = image_new();
    libc_and_brk(im, MAIN_ARENA);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, MAIN_ARENA, &h, snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.narenas, 1);
    assert_int_equal(h.arenas[0].address, MAIN_ARENA);
    assert_int_equal(h.arenas[0].top, BRK + 0x1000);
    vm_glibc_heaps_free(&h);

    put64(im, MAIN_ARENA + 0x60, 0x1234560);
    find(im, MAIN_ARENA, &h, snap);
    assert_int_equal(count_warnings(snap, "heap-invalid", "outside [heap]"), 1);
    assert_int_equal(h.narenas, 1);
    assert_int_equal(h.arenas[0].top, 0x1234560);
    vm_glibc_heaps_free(&h);

    /* A main arena that never allocated: top is its own unsorted bin, not a problem. */
    put64(im, MAIN_ARENA + 0x60, MAIN_ARENA + 0x60);
    find(im, MAIN_ARENA, &h, snap);
    assert_int_equal(snap->nwarnings, 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* No symbols, no arenas: the brk heap alone still gives a main arena entry at address 0. */
static void brk_only(void **state)
{
    image *im = image_new();
    range(im, BRK, BRK + 0x1000, R | W | BRKH);
    range(im, BRK + 0x1000, BRK + 0x3000, R | W | BRKH);
    vm_glibc_heaps h;
    find(im, 0, &h, NULL);
    assert_int_equal(h.brk_start, BRK);
    assert_int_equal(h.brk_end, BRK + 0x3000);
    assert_int_equal(h.narenas, 1);
    assert_true(h.arenas[0].is_main);
    assert_int_equal(h.arenas[0].address, 0);
    vm_glibc_heaps_free(&h);
    image_free(im);

    im = image_new();
    find(im, 0, &h, NULL);  /* nothing at all */
    assert_int_equal(h.narenas, 0);
    assert_int_equal(h.nchunks, 0);
    vm_glibc_heaps_free(&h);
    image_free(im);
}

/* A heap image with main_arena's next list naming `arena` when named: what is wrong there
 * (needle) is said exactly when named, and no arena but the main one is found.  A heap_info that
 * fails its checks is no heap; unnamed, it is memory of the program's own with a heap's shape,
 * left alone. */
static void said_only_when_named(void (*build)(image *), uint64_t arena, const char *needle)
{
    for (int named = 0; named < 2; named++) {
        image *im = image_new();
        build(im);
        if (named)
            libc_and_brk(im, arena);
        vm_snapshot *snap = vm_snapshot_new();
        vm_glibc_heaps h;
        find(im, named ? MAIN_ARENA : 0, &h, snap);
        print_warnings(snap);
        assert_int_equal(h.narenas, named); /* the main arena only */
        assert_int_equal(h.nchunks, 0);     /* heap-shaped memory is not rescanned as chunks */
        assert_int_equal(count_warnings(snap, "heap-invalid", needle), named);
        assert_int_equal(count_warnings(snap, "heap-invalid", NULL), named);
        vm_glibc_heaps_free(&h);
        vm_snapshot_free(snap);
        image_free(im);
    }
}

static void size_above_mprotect_size_image(image *im)
{
    heap(im, H1, H1 + 0x30, 0, 0x22000, 0x21000);
    mstate(im, H1 + 0x30, H1 + 0x1000, H1 + 0x30, 0);
}

static void size_above_mprotect_size(void **state)
{
    said_only_when_named(size_above_mprotect_size_image, H1 + 0x30, "exceeds mprotect_size");
}

/* The Linux sample's reservation when it starts 64 MiB-aligned (sample --aligned-reservation):
 * 1 MiB read/write, PROT_NONE up to 64 MiB, its first page written by the program (0x01 then
 * zeros: ar_ptr 1, mprotect_size 0).  No arena names it: no warning (before: "heap_info at
 * 0x7f0020000000: mprotect_size 0x0 is not a page multiple up to 64 MiB"), no heap, no chunk;
 * the real arena beside it is still found. */
static void heap_shaped_private_data(void **state)
{
    image *im = image_new();
    uint64_t a = H1 + 0x30, res = H1 + 8 * MIB64;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    mstate(im, a, H1 + 0x900, MAIN_ARENA, 0x21000);
    libc_and_brk(im, a);
    malloc_par(im, MP_AT, 0, 0, BRK);
    back(im, res, 0x1000)[0] = 1;
    range(im, res, res + 0x100000, R | W | ANON);
    range(im, res + 0x100000, res + MIB64, ANON);
    for (int given = 0; given < 2; given++) {
        vm_snapshot *snap = vm_snapshot_new();
        vm_glibc_heaps h;
        find(im, given ? MAIN_ARENA : 0, &h, snap);
        print_warnings(snap);
        assert_int_equal(snap->nwarnings, 0);
        assert_int_equal(h.narenas, 2);
        assert_int_equal(h.arenas[0].address, MAIN_ARENA);
        assert_int_equal(h.arenas[1].address, a);
        assert_int_equal(h.arenas[1].nheaps, 1);
        assert_int_equal(h.nchunks, 0);
        vm_glibc_heaps_free(&h);
        vm_snapshot_free(snap);
    }
    image_free(im);
}

/* The heap grew between reading the map and reading its heap_info: heap_info says 0x30000 bytes
 * are in use and mprotect'ed, the map still shows 0x21000 read/write then PROT_NONE.  Still the
 * arena (vmmap watch on a growing process met this); the part spans the whole reservation. */
static void heap_grew_after_the_map(void **state)
{
    image *im = image_new();
    uint64_t a = H1 + 0x30;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    put64(im, H1 + 0x10, 0x30000);  /* size */
    put64(im, H1 + 0x18, 0x30000);  /* mprotect_size */
    mstate(im, a, H1 + 0x900, MAIN_ARENA, 0x30000);
    libc_and_brk(im, a);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.narenas, 2);
    assert_int_equal(h.arenas[1].address, a);
    assert_int_equal(h.arenas[1].nheaps, 1);
    assert_int_equal(h.arenas[1].heaps[0].size, 0x30000);
    assert_int_equal(h.arenas[1].heaps[0].reserved, MIB64);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* The heap grew between reading its heap_info and its arena's top: top lies past mprotect_size,
 * still inside the heap's reservation: a valid arena.  Past the reservation it is not. */
static void top_past_mprotect_size(void **state)
{
    for (int beyond = 0; beyond < 2; beyond++) {
        image *im = image_new();
        uint64_t a = H1 + 0x30;
        heap(im, H1, a, 0, 0x21000, 0x21000);
        mstate(im, a, beyond ? H1 + MIB64 + 0x100 : H1 + 0x28000, MAIN_ARENA, 0x21000);
        libc_and_brk(im, a);
        vm_snapshot *snap = vm_snapshot_new();
        vm_glibc_heaps h;
        find(im, beyond ? MAIN_ARENA : 0, &h, snap); /* no valid arena leads to main_arena */
        print_warnings(snap);
        if (!beyond) {
            assert_int_equal(snap->nwarnings, 0);
            assert_int_equal(h.narenas, 2);
            assert_int_equal(h.arenas[1].top, H1 + 0x28000);
        } else {
            assert_int_equal(count_warnings(snap, "heap-invalid", "outside its heaps"), 1);
        }
        vm_glibc_heaps_free(&h);
        vm_snapshot_free(snap);
        image_free(im);
    }
}

/* But not beyond what the map gives the heap at all: a size past the read/write part when no
 * reservation follows is refused. */
static void size_beyond_mapping(void **state)
{
    image *im = image_new();
    back(im, H1, 0x1000);
    put64(im, H1, H1 + 0x30);
    put64(im, H1 + 0x10, 0x30000);
    put64(im, H1 + 0x18, 0x30000);
    range(im, H1, H1 + 0x21000, R | W | ANON); /* nothing after it */
    mstate(im, H1 + 0x30, H1 + 0x900, H1 + 0x30, 0x30000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(h.narenas, 0);
    assert_int_equal(count_warnings(snap, "heap-invalid", "bytes mapped for it"), 0); /* not heap-shaped: silent */
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* Heap-shaped mappings whose ar_ptr is no arena: said only for the one whose arena
 * main_arena's list names. */
static void garbage_ar_ptr_image(image *im)
{
    heap(im, H1, 0x4141414141414141ull, 0, 0x21000, 0x21000);
    heap(im, H1 + MIB64, H1 + 0x40, 0, 0x21000, 0x21000); /* aligned wrongly for a first heap */
}

static void garbage_ar_ptr(void **state)
{
    said_only_when_named(garbage_ar_ptr_image, H1 + 0x30,
                         "heap_info at 0x7f0000000000: ar_ptr 0x4141414141414141 is not just after a heap_info");
    said_only_when_named(garbage_ar_ptr_image, H1 + MIB64 + 0x30,
                         "heap_info at 0x7f0004000000: ar_ptr 0x7f0000000040 is not just after a heap_info");
}

/* A later heap naming a different arena than its chain's first heap. */
static void ar_ptr_disagrees_with_chain(void **state)
{
    image *im = image_new();
    uint64_t h2 = H1 + MIB64, h3 = H1 + 2 * MIB64, a = H1 + 0x30;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    heap(im, h2, h3 + 0x30, H1, 0x21000, 0x21000);
    mstate(im, a, H1 + 0x1000, MAIN_ARENA, 0x21000);
    libc_and_brk(im, a);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(count_warnings(snap, "heap-invalid", "chain's arena"), 1);
    assert_int_equal(h.narenas, 2);
    assert_int_equal(h.arenas[1].nheaps, 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* Two heaps whose prev links form a cycle: no arena; said (once) when main_arena's list names
 * their arena. */
static void prev_cycle_image(image *im)
{
    heap(im, H1, H1 + 0x30, H1 + MIB64, 0x21000, 0x21000);
    heap(im, H1 + MIB64, H1 + 0x30, H1, 0x21000, 0x21000);
}

static void prev_cycle(void **state)
{
    said_only_when_named(prev_cycle_image, H1 + 0x30, "cycle");
}

/* Arena whose top is not in its heaps: dropped, with a warning when main_arena's list names
 * it. */
static void top_outside_heaps_image(image *im)
{
    heap(im, H1, H1 + 0x30, 0, 0x21000, 0x21000);
    mstate(im, H1 + 0x30, H1 + MIB64 * 3, MAIN_ARENA, 0);
}

static void top_outside_heaps(void **state)
{
    said_only_when_named(top_outside_heaps_image, H1 + 0x30, "outside its heaps");
}

/* A heap that names an arena on main_arena's list but fails (here: prev NULL, so it should be
 * the arena's first heap, which it is not) is said, whether or not it chains up to the arena. */
static void broken_heap_of_a_listed_arena(void **state)
{
    image *im = image_new();
    uint64_t a = H1 + 0x30, h2 = H1 + MIB64, h3 = H1 + 2 * MIB64;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    mstate(im, a, H1 + 0x900, MAIN_ARENA, 0x21000);
    heap(im, h2, a, 0, 0x21000, 0x21000);         /* first heap, but its arena is in another */
    heap(im, h3, a, H1 + 9 * MIB64, 0x21000, 0x21000); /* prev: nothing there */
    libc_and_brk(im, a);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(h.narenas, 2);
    assert_int_equal(h.arenas[1].nheaps, 1);
    assert_int_equal(count_warnings(snap, "heap-invalid", "heap_info at 0x7f0004000000: first heap (prev NULL)"), 1);
    assert_int_equal(count_warnings(snap, "heap-invalid", "heap_info at 0x7f0008000000: prev 0x7f0024000000 is not"), 1);
    assert_int_equal(count_warnings(snap, "heap-invalid", NULL), 2);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* next links that never come back: a self-loop at main_arena, and a chain through libc data. */
static void next_ring_never_returns(void **state)
{
    image *im = image_new();
    uint64_t a = H1 + 0x30;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    mstate(im, a, H1 + 0x1000, MAIN_ARENA, 0x21000);
    libc_and_brk(im, MAIN_ARENA);  /* main_arena.next = itself */
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(count_warnings(snap, "heap-invalid", "1024 steps"), 1);
    assert_int_equal(h.narenas, 2);  /* main entry (address unknown, brk present) + the arena */
    assert_true(h.arenas[0].is_main);
    assert_int_equal(h.arenas[0].address, 0);
    assert_int_equal(h.arenas[1].address, a);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);

    /* A long chain of distinct libc-data nodes: refused at the second candidate. */
    im = image_new();
    heap(im, H1, a, 0, 0x21000, 0x21000);
    uint64_t lib = 0x7ffe00000000ull;
    back(im, lib, 0x10000);
    range(im, lib, lib + 0x10000, R | W | LIBC);
    for (uint64_t node = lib; node + 0x878 <= lib + 0x10000; node += 8)
        put64(im, node + 0x870, node + 8);
    mstate(im, a, H1 + 0x1000, lib, 0x21000);
    snap = vm_snapshot_new();
    find(im, 0, &h, snap);
    assert_int_equal(count_warnings(snap, "heap-invalid", "two main arena candidates"), 1);
    assert_int_equal(h.narenas, 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* A ring leaving through a pointer to nowhere. */
static void next_ring_escapes(void **state)
{
    image *im = image_new();
    uint64_t a = H1 + 0x30;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    mstate(im, a, H1 + 0x1000, 0xdeadbeef000ull, 0x21000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    assert_int_equal(count_warnings(snap, "heap-invalid", "neither an arena"), 1);
    assert_int_equal(count_warnings(snap, "heap-invalid", "main arena not found"), 1);
    assert_int_equal(h.narenas, 1);
    assert_false(h.arenas[0].is_main);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

static void unreadable_heap_info(void **state)
{
    image *im = image_new();
    range(im, H1, H1 + 0x21000, R | W | ANON);  /* no backing bytes */
    range(im, H1 + 0x21000, H1 + MIB64, ANON);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(h.narenas, 0);
    assert_int_equal(count_warnings(snap, "read-failed", "heap_info"), 1);
    assert_int_equal(snap->nwarnings, 1);  /* not warned again by the chunk pass */
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* A heap whose read/write part the kernel merged with the heap above it: found inside. */
static void heap_inside_merged_mapping(void **state)
{
    image *im = image_new();
    uint64_t below = H1 - 0x10000, a = H1 + 0x30;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    im->ranges[im->nranges - 2].start = below;  /* rw part now starts below the heap */
    mstate(im, a, H1 + 0x1000, MAIN_ARENA, 0x21000);
    libc_and_brk(im, a);
    vm_glibc_heaps h;
    vm_snapshot *snap = vm_snapshot_new();
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(h.narenas, 2);
    assert_int_equal(h.arenas[1].heaps[0].base, H1);
    assert_int_equal(h.nchunks, 0);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* Warnings are capped per code. */
static void warnings_are_limited(void **state)
{
    image *im = image_new();
    uint64_t a = H1 + 0x30;
    heap(im, H1, a, 0, 0x21000, 0x21000);
    mstate(im, a, H1 + 0x900, MAIN_ARENA, 0x21000);
    libc_and_brk(im, a);
    for (int i = 1; i <= 40; i++) /* each names the listed arena, each is none of its heaps */
        heap(im, H1 + (uint64_t)i * MIB64, a, 0, 0x21000, 0x21000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    assert_int_equal(count_warnings(snap, "heap-invalid", NULL), 17);
    assert_int_equal(count_warnings(snap, "heap-invalid", "suppressed"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* ---- mmapped chunks ---------------------------------------------------------------------- */

#define CH 0x7e0000001000ull  /* not 64 MiB aligned */

static void one_mmapped_chunk(void **state)
{
    image *im = image_new();
    back(im, CH, 0x100);
    put64(im, CH + 8, 0x21000 | 2);
    range(im, CH, CH + 0x21000, R | W | ANON);
    libc_with_mp(im, 1, 0x21000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.nchunks, 1);
    assert_int_equal(h.chunks[0].address, CH);
    assert_int_equal(h.chunks[0].size, 0x21000);
    assert_int_equal(h.chunks[0].user_size, 0x21000 - 16);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

static void find_ex(image *im, const vm_glibc_find_opts *o, vm_glibc_heaps *out, vm_snapshot *snap)
{
    qsort(im->ranges, im->nranges, sizeof im->ranges[0], cmp_range);
    vm_memreader mem = reader(im);
    assert_true(vm_glibc_find_heaps_ex(&mem, im->ranges, im->nranges, o, out, snap));
}

/* Page states a source would give (vm_glibc_find_opts.pages). */
typedef struct page_map {
    uint64_t swapped, absent; /* one page each, 0: none */
    bool fail;
} page_map;

static bool test_pages(void *ctx, uint64_t start, size_t npages, uint8_t *st)
{
    const page_map *pm = ctx;
    if (pm->fail)
        return false;
    for (size_t i = 0; i < npages; i++) {
        uint64_t a = start + i * 0x1000;
        st[i] = a == pm->swapped ? VM_GLIBC_PAGE_SWAPPED : a == pm->absent ? VM_GLIBC_PAGE_ABSENT
                                                                            : VM_GLIBC_PAGE_PRESENT;
    }
    return true;
}

/* A range whose first page the source knows to be unbacked (start_unbacked) is not read for a
 * chunk header: the chunk planted there is not found, and the same range without the flag finds
 * it (the flag is what skips it). */
static void unbacked_start_not_read(void **state)
{
    for (int unbacked = 0; unbacked < 2; unbacked++) {
        image *im = image_new();
        back(im, CH, 0x100);
        put64(im, CH + 8, 0x21000 | 2);
        range(im, CH, CH + 0x21000, R | W | ANON);
        im->ranges[im->nranges - 1].start_unbacked = unbacked;
        libc_with_mp(im, 1, 0x21000);
        /* the source's page states agree: the probe that glibc's count sends does not read it */
        page_map pm = {.absent = unbacked ? CH : 0};
        vm_glibc_find_opts o = {.pages = test_pages, .pages_ctx = &pm};
        vm_snapshot *snap = vm_snapshot_new();
        vm_glibc_heaps h;
        find_ex(im, &o, &h, snap);
        assert_int_equal(snap->nwarnings, unbacked ? 1 : 0);
        assert_int_equal(count_warnings(snap, "heap-chunks", "vmmap found 0 of 0 bytes"), unbacked ? 1 : 0);
        assert_int_equal(h.nchunks, unbacked ? 0 : 1);
        vm_glibc_heaps_free(&h);
        vm_snapshot_free(snap);
        image_free(im);
    }
}

static void merged_mmapped_chunks(void **state)
{
    image *im = image_new();
    back(im, CH, 0x100);
    back(im, CH + 0x2000, 0x100);
    back(im, CH + 0x5000, 0x100);
    put64(im, CH + 8, 0x2000 | 2);
    put64(im, CH + 0x2000 + 8, 0x3000 | 2 | 1);  /* PREV_INUSE is not looked at */
    /* Alignment slack (memalign): header 16 bytes in, span still whole pages. */
    put64(im, CH + 0x5000, 16);
    put64(im, CH + 0x5000 + 8, (0x1000 - 16) | 2);
    range(im, CH, CH + 0x6000, R | W | ANON);
    libc_with_mp(im, 3, 0x6000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.nchunks, 3);
    assert_int_equal(h.chunks[0].address, CH);
    assert_int_equal(h.chunks[0].size, 0x2000);
    assert_int_equal(h.chunks[1].address, CH + 0x2000);
    assert_int_equal(h.chunks[1].size, 0x3000);
    assert_int_equal(h.chunks[2].address, CH + 0x5000);
    assert_int_equal(h.chunks[2].size, 0x1000);
    assert_int_equal(h.chunks[2].user_size, 0x1000 - 32);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

static void bad_second_chunk_header(void **state)
{
    static const uint64_t second[] = {
        0x3000,                  /* IS_MMAPPED clear */
        0x3000 | 2 | 4,          /* NON_MAIN_ARENA set */
        0x2800 | 2,              /* not whole pages */
        0x4000 | 2,              /* runs past the mapping */
    };
    for (size_t i = 0; i < sizeof second / sizeof second[0]; i++) {
        image *im = image_new();
        back(im, CH, 0x100);
        back(im, CH + 0x2000, 0x100);
        put64(im, CH + 8, 0x2000 | 2);
        put64(im, CH + 0x2000 + 8, second[i]);
        range(im, CH, CH + 0x5000, R | W | ANON);
        /* A good chunk mapping after it must survive the rejected one. */
        back(im, CH + 0x10000, 0x100);
        put64(im, CH + 0x10000 + 8, 0x1000 | 2);
        range(im, CH + 0x10000, CH + 0x11000, R | W | ANON);
        libc_with_mp(im, 2, 0x3000);
        vm_snapshot *snap = vm_snapshot_new();
        vm_glibc_heaps h;
        find(im, 0, &h, snap);
        assert_int_equal(snap->nwarnings, 0);
        /* The valid first chunk is kept (what follows may be another mapping the kernel merged
         * in); the bad header ends the run there. */
        assert_int_equal(h.nchunks, 2);
        assert_int_equal(h.chunks[0].address, CH);
        assert_int_equal(h.chunks[0].size, 0x2000);
        assert_int_equal(h.chunks[1].address, CH + 0x10000);
        vm_glibc_heaps_free(&h);
        vm_snapshot_free(snap);
        image_free(im);
    }
}

/* Random bytes in ordinary anonymous memory: no chunks.  A mapping whose first header cannot be
 * read: a warning.  A valid chunk followed by unreadable bytes: the chunk, no warning. */
static void random_anon_mapping(void **state)
{
    image *im = image_new();
    uint8_t *p = back(im, CH, 0x8000);
    uint32_t x = 12345;
    for (size_t i = 0; i < 0x8000; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    range(im, CH, CH + 0x8000, R | W | ANON);
    range(im, CH + 0x100000, CH + 0x102000, R | W | ANON); /* nothing backed: unreadable */
    back(im, CH + 0x400000, 0x100);
    put64(im, CH + 0x400000 + 8, 0x1000 | 2);
    range(im, CH + 0x400000, CH + 0x402000, R | W | ANON);
    /* Not anonymous/private or not rw: never looked at. */
    range(im, CH + 0x200000, CH + 0x201000, R | W);
    range(im, CH + 0x300000, CH + 0x301000, R | ANON);
    libc_with_mp(im, 1, 0x1000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(h.nchunks, 1);
    assert_int_equal(h.chunks[0].address, CH + 0x400000);
    assert_int_equal(snap->nwarnings, 1);
    assert_int_equal(count_warnings(snap, "read-failed", "chunk header"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* A big mmapped chunk may land 64 MiB aligned and even look heap-shaped: no heap warning. */
static void aligned_mmapped_chunk(void **state)
{
    image *im = image_new();
    back(im, H1, 0x100);
    put64(im, H1 + 8, 0x800000 | 2);
    range(im, H1, H1 + 0x800000, R | W | ANON);
    range(im, H1 + 0x800000, H1 + MIB64, ANON);
    libc_with_mp(im, 1, 0x800000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.nchunks, 1);
    assert_int_equal(h.chunks[0].address, H1);
    assert_int_equal(h.narenas, 0);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* ---- thread list ------------------------------------------------------------------------- */

#define TD 0x7fff10000000ull
#define RTLD 0x7fff20000000ull
#define DESC(i) (0x7ffd00000000ull + (uint64_t)(i) * 0x10000)
#define OFF_USED 4264
#define OFF_USER 4280
#define OFF_LIST 704
#define OFF_TID 720

static vm_glibc_thread_db thread_db(image *im)
{
    back(im, TD, 0x100);
    static const uint32_t d[4][3] = {{128, 1, OFF_USED}, {128, 1, OFF_USER}, {128, 1, OFF_LIST},
                                     {32, 1, OFF_TID}};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++)
            put32(im, TD + 0x10 * (uint64_t)i + 4 * (uint64_t)k, d[i][k]);
    back(im, RTLD, 0x2000);
    put64(im, RTLD + OFF_USED, RTLD + OFF_USED);  /* empty lists */
    put64(im, RTLD + OFF_USER, RTLD + OFF_USER);
    vm_glibc_thread_db db = {RTLD, TD, TD + 0x10, TD + 0x20, TD + 0x30};
    return db;
}

/* ---- mmapped chunks inside merged mappings (glibc's count: malloc_par) ---------------------- */

/* Filler that is not a chunk: what a later mapping merged below a chunk holds. */
static void noise(image *im, uint64_t base, size_t len, uint32_t seed)
{
    uint8_t *p = back(im, base, len);
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* One VMA, bottom to top: other memory, a chunk, other memory, a chunk at the top.  The walk
 * from the VMA's start meets no chunk; the probe finds both, as many as glibc counts. */
#define MV 0x7d0000000000ull
static void merged_image(image *im)
{
    noise(im, MV, 0x3000, 1);
    back(im, MV + 0x3000, 0x100);
    put64(im, MV + 0x3000 + 8, 0x5000 | 2);
    noise(im, MV + 0x8000, 0x2000, 2);
    back(im, MV + 0xa000, 0x100);
    put64(im, MV + 0xa000 + 8, 0x2000 | 2);
    range(im, MV, MV + 0xc000, R | W | ANON);
}

static void chunks_inside_merged_mapping(void **state)
{
    image *im = image_new();
    merged_image(im);
    libc_with_mp(im, 2, 0x7000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.malloc_par, MP_AT);
    assert_int_equal(h.n_mmaps, 2);
    assert_int_equal(h.mmapped_mem, 0x7000);
    assert_int_equal(h.nchunks, 2);
    assert_int_equal(h.chunks[0].address, MV + 0x3000);
    assert_int_equal(h.chunks[0].size, 0x5000);
    assert_int_equal(h.chunks[1].address, MV + 0xa000);
    assert_int_equal(h.chunks[1].size, 0x2000);
    assert_int_equal(h.probes, 12 + 4); /* the VMA's 12 page starts in one batch, then on from 0x8000 */
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* The search stops once the count adds up, and never looks when it does from the start. */
static void probe_stops_when_counted(void **state)
{
    image *im = image_new();
    merged_image(im);
    back(im, CH, 0x100);
    put64(im, CH + 8, 0x1000 | 2);
    range(im, CH, CH + 0x1000, R | W | ANON);
    libc_with_mp(im, 1, 0x1000); /* glibc counts only the one at CH */
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.nchunks, 1);
    assert_int_equal(h.probes, 0);
    vm_glibc_heaps_free(&h);
    image_free(im);

    im = image_new();
    merged_image(im);
    libc_with_mp(im, 1, 0x5000); /* the first one found is all glibc counts */
    find(im, 0, &h, snap);
    assert_int_equal(h.nchunks, 1);
    assert_int_equal(h.chunks[0].address, MV + 0x3000);
    assert_int_equal(h.probes, 12); /* one batch, not one more after the chunk */
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* The search is bounded by glibc's count: once no more chunk can be taken (as many chunks as
 * n_mmaps, or no page of mmapped_mem left), it reads no more page headers, and says the figures
 * did not add up. */
static void probe_stops_when_nothing_more_fits(void **state)
{
    image *im = image_new();
    merged_image(im);
    libc_with_mp(im, 1, 0x8000); /* one chunk, but of more bytes than the first one found */
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    assert_int_equal(h.nchunks, 1);
    assert_int_equal(h.chunks[0].address, MV + 0x3000);
    assert_int_equal(h.probes, 12); /* the one batch: nothing read after the chunk */
    assert_int_equal(count_warnings(snap, "heap-chunks", "glibc counts 1 mmapped chunks of 32768 bytes"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);

    im = image_new();
    merged_image(im);
    libc_with_mp(im, 3, 0x5000); /* the bytes of the first one found, in three chunks */
    snap = vm_snapshot_new();
    find(im, 0, &h, snap);
    assert_int_equal(h.nchunks, 1);
    assert_int_equal(h.probes, 12);
    assert_int_equal(count_warnings(snap, "heap-chunks", "vmmap found 1 of 20480 bytes"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* glibc counts more than there is: both figures in a warning, no chunk made up.  A header that
 * would hold more bytes than glibc's count leaves, or would overlap a chunk found, is none. */
static void count_does_not_add_up(void **state)
{
    image *im = image_new();
    merged_image(im);
    libc_with_mp(im, 3, 0x8000);
    /* inside the second piece of noise, a header of 0x10000 bytes: more than is missing */
    put64(im, MV + 0x8000, 0);
    put64(im, MV + 0x8008, 0x10000 | 2);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(h.nchunks, 2);
    assert_int_equal(snap->nwarnings, 1);
    assert_int_equal(count_warnings(snap, "heap-chunks", "glibc counts 3 mmapped chunks of 32768 bytes (malloc_par at "
                                                         "0x7fff00000340); vmmap found 2 of 28672 bytes"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);

    /* the walk from the starts found more than glibc counts (never exactly its count on the way):
     * said, nothing searched */
    im = image_new();
    back(im, CH, 0x100);
    put64(im, CH + 8, 0x2000 | 2);
    range(im, CH, CH + 0x2000, R | W | ANON);
    back(im, CH + 0x10000, 0x100);
    put64(im, CH + 0x10000 + 8, 0x1000 | 2);
    range(im, CH + 0x10000, CH + 0x11000, R | W | ANON);
    libc_with_mp(im, 1, 0x1000);
    snap = vm_snapshot_new();
    find(im, 0, &h, snap);
    assert_int_equal(h.nchunks, 2);
    assert_int_equal(count_warnings(snap, "heap-chunks", "vmmap found 2 mmapped chunks of 12288 bytes at mapping "
                                                         "starts, glibc counts 1 of 4096"), 1);
    assert_int_equal(h.probes, 0);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* Mapping starts are read only until the chunks found add up to glibc's count: a process whose
 * glibc counts none has none of its headers read (60,000 mappings cost 60,000 page-table walks in
 * the target).  What looks like a chunk past that point is no chunk of glibc's. */
static void starts_read_until_counted(void **state)
{
    image *im = image_new();
    back(im, CH, 0x100);
    put64(im, CH + 8, 0x1000 | 2);
    range(im, CH, CH + 0x1000, R | W | ANON);
    libc_with_mp(im, 0, 0);
    im->watch = CH + 8;
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(im->watch_reads, 0);
    assert_int_equal(h.nchunks, 0);
    assert_int_equal(h.probes, 0);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);

    /* two at mapping starts, glibc counts the lower one: the upper one is not taken (its header
     * came in the same batch, but is not looked at); without the count (no malloc_par) both are */
    for (int counted = 1; counted >= 0; counted--) {
        im = image_new();
        back(im, CH, 0x100);
        put64(im, CH + 8, 0x1000 | 2);
        range(im, CH, CH + 0x1000, R | W | ANON);
        back(im, CH + 0x10000, 0x100);
        put64(im, CH + 0x10000 + 8, 0x1000 | 2);
        range(im, CH + 0x10000, CH + 0x11000, R | W | ANON);
        if (counted)
            libc_with_mp(im, 1, 0x1000);
        snap = vm_snapshot_new();
        find(im, 0, &h, snap);
        assert_int_equal(h.nchunks, counted ? 1 : 2);
        assert_int_equal(h.chunks[0].address, CH);
        vm_glibc_heaps_free(&h);
        vm_snapshot_free(snap);
        image_free(im);
    }
}

/* A mapping that starts 64 MiB aligned is a heap_info candidate; when its first page was never
 * touched (a sleeping thread's 8 MiB stack may start there) it is not read: that read made the
 * kernel map the page in the target (the flake of test_early_pass's untouched stacks).  Nor is it
 * taken for a heap, nor said: heap-shaped or not, no arena lists it (heap-invalid is said only
 * where main_arena's list leads, docs/heaps.md). */
static void untouched_heap_start_not_read(void **state)
{
    for (int heap_shaped = 0; heap_shaped < 2; heap_shaped++) {
        image *im = image_new();
        back(im, H1, 0x1000); /* readable, were it read: zeros */
        range(im, H1, H1 + 0x800000, R | W | ANON);
        im->ranges[im->nranges - 1].start_unbacked = true; /* as the source says it: no chunk read */
        if (heap_shaped)
            range(im, H1 + 0x800000, H1 + MIB64, ANON);
        im->watch = H1;
        page_map pm = {.absent = H1};
        vm_glibc_find_opts o = {.pages = test_pages, .pages_ctx = &pm};
        vm_snapshot *snap = vm_snapshot_new();
        vm_glibc_heaps h;
        find_ex(im, &o, &h, snap);
        print_warnings(snap);
        assert_int_equal(im->watch_reads, 0);
        assert_int_equal(h.narenas, 0);
        assert_int_equal(count_warnings(snap, "heap-invalid", NULL), 0);
        vm_glibc_heaps_free(&h);
        vm_snapshot_free(snap);
        image_free(im);
    }
}

/* Pages that are not there are never read; swapped-out ones are said.  The limit on probes. */
static void probe_reads_only_pages_there(void **state)
{
    page_map pm = {.swapped = MV + 0xa000, .absent = MV + 0x1000};
    vm_glibc_find_opts o = {.pages = test_pages, .pages_ctx = &pm};
    image *im = image_new();
    merged_image(im);
    libc_with_mp(im, 2, 0x7000);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find_ex(im, &o, &h, snap);
    print_warnings(snap);
    assert_int_equal(h.nchunks, 1);
    assert_int_equal(count_warnings(snap, "heap-chunks", "vmmap found 1 of 20480 bytes; 1 swapped-out pages were not "
                                                         "read"), 1);
    assert_int_equal(h.probes, 10 + 3); /* pages 0, 2-9, 11, then 8, 9, 11: never 1 (absent), 10 (swapped) */
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);

    pm = (page_map){.fail = true};
    snap = vm_snapshot_new();
    find_ex(im, &o, &h, snap);
    assert_int_equal(h.nchunks, 0);
    assert_int_equal(h.malloc_par, 0); /* libc's data cannot be read without knowing its pages */
    assert_int_equal(count_warnings(snap, "heap-chunks", "may be missed"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);

    vm_glibc_find_opts lim = {.probe_limit = 2};
    snap = vm_snapshot_new();
    find_ex(im, &lim, &h, snap);
    assert_int_equal(h.nchunks, 0);
    assert_int_equal(h.probes, 2);
    assert_int_equal(count_warnings(snap, "heap-chunks", "the search stopped at its limit of 2 page headers"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* malloc_par by its shape: one place only; the older layout; a symbol checked, not believed. */
static void malloc_par_by_shape(void **state)
{
    image *im = image_new();
    merged_image(im);
    libc_with_mp(im, 2, 0x7000);
    malloc_par(im, MP_AT + 0x400, 2, 0x7000, 0);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    find(im, 0, &h, snap);
    assert_int_equal(h.malloc_par, 0);
    assert_int_equal(count_warnings(snap, "heap-chunks", "2 places in libc's data look like glibc's malloc_par"), 1);
    assert_int_equal(count_warnings(snap, "heap-chunks", "may be missed"), 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);

    /* 2.26 .. 2.34: no huge-page fields, n_mmaps at 40, mmapped_mem at 56 */
    im = image_new();
    merged_image(im);
    back(im, LIBC_DATA, 0x4000);
    range(im, LIBC_DATA, LIBC_DATA + 0x4000, R | W | LIBC);
    uint64_t a = LIBC_DATA + 0x200;
    put64(im, a, 0x20000);
    put64(im, a + 16, 0x20000);
    put64(im, a + 24, 8);
    put32(im, a + 40, 2);
    put32(im, a + 44, 65536);
    put32(im, a + 48, 2);
    put64(im, a + 56, 0x7000);
    put64(im, a + 64, 0x7000);
    put64(im, a + 80, 64);
    put64(im, a + 88, 1032);
    put64(im, a + 96, 7);
    snap = vm_snapshot_new();
    find(im, 0, &h, snap);
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(h.malloc_par, a);
    assert_int_equal(h.nchunks, 2);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);

    /* a symbol pointing at something else: said, then found by shape */
    vm_glibc_find_opts o = {.malloc_par = LIBC_DATA + 0x1000};
    snap = vm_snapshot_new();
    find_ex(im, &o, &h, snap);
    assert_int_equal(h.malloc_par, a);
    assert_int_equal(count_warnings(snap, "heap-chunks", "is not a malloc_par of a known layout"), 1);
    vm_glibc_heaps_free(&h);
    o.malloc_par = a;
    find_ex(im, &o, &h, snap);
    assert_int_equal(h.malloc_par, a);
    assert_int_equal(snap->nwarnings, 1);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);

    /* [heap] there: sbrk_base must be its start */
    im = image_new();
    back(im, LIBC_DATA, 0x4000);
    range(im, LIBC_DATA, LIBC_DATA + 0x4000, R | W | LIBC);
    range(im, BRK, BRK + BRK_LEN, R | W | BRKH);
    malloc_par(im, MP_AT, 0, 0, 0);
    snap = vm_snapshot_new();
    find(im, 0, &h, snap);
    assert_int_equal(h.malloc_par, 0);
    vm_glibc_heaps_free(&h);
    malloc_par(im, MP_AT, 0, 0, BRK);
    find(im, 0, &h, snap);
    assert_int_equal(h.malloc_par, MP_AT);
    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    image_free(im);
}

/* Links nodes (descriptor indices; -1 = the head) after head, in order, closing the circle. */
static void link_list(image *im, uint64_t head, const int *descs, size_t n)
{
    uint64_t prev = head;
    for (size_t i = 0; i < n; i++) {
        uint64_t node = descs[i] < 0 ? head : DESC(descs[i]) + OFF_LIST;
        put64(im, prev, node);
        prev = node;
    }
    put64(im, prev, head);
}

static void thread(image *im, int i, int32_t tid)
{
    back(im, DESC(i), 0x1000);
    put32(im, DESC(i) + OFF_TID, (uint32_t)tid);
}

static bool has_thread(const vm_glibc_thread *t, size_t n, uint64_t tid, uint64_t desc)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].tid == tid && t[i].descriptor == desc)
            return true;
    return false;
}

static void three_threads(void **state)
{
    image *im = image_new();
    vm_glibc_thread_db db = thread_db(im);
    thread(im, 1, 101);
    thread(im, 2, 0);  /* exited */
    thread(im, 3, 103);
    thread(im, 4, 100);  /* main thread: on the user-stack list */
    link_list(im, RTLD + OFF_USED, (const int[]){1, 2, 3}, 3);
    link_list(im, RTLD + OFF_USER, (const int[]){4}, 1);
    vm_memreader mem = reader(im);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_thread *t;
    size_t n;
    assert_true(vm_glibc_list_threads(&mem, &db, &t, &n, snap));
    print_warnings(snap);
    assert_int_equal(snap->nwarnings, 0);
    assert_int_equal(n, 3);
    assert_int_equal(t[0].tid, 101);
    assert_int_equal(t[0].descriptor, DESC(1));
    assert_int_equal(t[1].tid, 103);
    assert_int_equal(t[1].descriptor, DESC(3));
    assert_int_equal(t[2].tid, 100);
    free(t);
    vm_snapshot_free(snap);
    image_free(im);
}

/* head -> 1 -> 2 -> 3 -> 2 -> ...: stops, keeps each thread once, warns. */
static void thread_list_cycle_without_head(void **state)
{
    image *im = image_new();
    vm_glibc_thread_db db = thread_db(im);
    for (int i = 1; i <= 3; i++)
        thread(im, i, 200 + i);
    put64(im, RTLD + OFF_USED, DESC(1) + OFF_LIST);
    put64(im, DESC(1) + OFF_LIST, DESC(2) + OFF_LIST);
    put64(im, DESC(2) + OFF_LIST, DESC(3) + OFF_LIST);
    put64(im, DESC(3) + OFF_LIST, DESC(2) + OFF_LIST);
    vm_memreader mem = reader(im);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_thread *t;
    size_t n;
    assert_true(vm_glibc_list_threads(&mem, &db, &t, &n, snap));
    print_warnings(snap);
    assert_int_equal(count_warnings(snap, "thread-list-invalid", "loop"), 1);
    assert_int_equal(n, 3);
    for (int i = 1; i <= 3; i++)
        assert_true(has_thread(t, n, 200 + (uint64_t)i, DESC(i)));
    free(t);
    vm_snapshot_free(snap);
    image_free(im);
}

/* A reader inventing an endless list: node k's next is node k+1, every tid 7. */
typedef struct endless {
    image *im;
} endless;

#define ENDLESS 0x100000000000ull

static size_t endless_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    endless *e = ctx;
    if (addr >= ENDLESS && addr < ENDLESS * 2) {
        uint64_t off = (addr - ENDLESS) % 0x1000;
        if (off == OFF_LIST && len == 8) {
            uint64_t next = addr + 0x1000;
            memcpy(buf, &next, 8);
            return 8;
        }
        if (off == OFF_TID && len == 4) {
            uint32_t tid = 7;
            memcpy(buf, &tid, 4);
            return 4;
        }
        return 0;
    }
    return image_read(e->im, addr, buf, len);
}

static void thread_list_endless(void **state)
{
    image *im = image_new();
    vm_glibc_thread_db db = thread_db(im);
    put64(im, RTLD + OFF_USED, ENDLESS + OFF_LIST);
    endless e = {im};
    vm_memreader mem = {.read = endless_read, .ctx = &e};
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_thread *t;
    size_t n;
    assert_true(vm_glibc_list_threads(&mem, &db, &t, &n, snap));
    assert_int_equal(count_warnings(snap, "thread-list-invalid", "100000"), 1);
    assert_int_equal(n, 100000);
    free(t);
    vm_snapshot_free(snap);
    image_free(im);
}

static void thread_list_bad_input(void **state)
{
    image *im = image_new();
    vm_glibc_thread_db db = thread_db(im);
    vm_memreader mem = reader(im);
    vm_glibc_thread *t;
    size_t n;
    vm_snapshot *snap = vm_snapshot_new();

    vm_glibc_thread_db none = {0};  /* symbols unknown: empty, silent */
    assert_true(vm_glibc_list_threads(&mem, &none, &t, &n, snap));
    assert_int_equal(n, 0);
    assert_null(t);
    assert_int_equal(snap->nwarnings, 0);

    assert_true(vm_glibc_list_threads(&mem, &db, &t, &n, snap));  /* both lists empty */
    assert_int_equal(n, 0);
    assert_int_equal(snap->nwarnings, 0);

    put32(im, TD + 0x20, 64);  /* pthread.list claims to be 64 bits: not this glibc */
    assert_true(vm_glibc_list_threads(&mem, &db, &t, &n, snap));
    assert_int_equal(n, 0);
    assert_int_equal(count_warnings(snap, "thread-list-invalid", "pthread_list"), 1);
    put32(im, TD + 0x20, 128);

    /* A node pointing to unreadable memory, and an unreadable descriptor array. */
    put64(im, RTLD + OFF_USED, DESC(9) + OFF_LIST);
    assert_true(vm_glibc_list_threads(&mem, &db, &t, &n, snap));
    assert_int_equal(n, 0);
    assert_int_equal(count_warnings(snap, "read-failed", "tid"), 1);
    db.td_pthread_tid = 0x10;
    assert_true(vm_glibc_list_threads(&mem, &db, &t, &n, snap));
    assert_int_equal(count_warnings(snap, "read-failed", "_thread_db_pthread_tid"), 1);
    vm_snapshot_free(snap);
    image_free(im);
}

/* ---- live: this process ------------------------------------------------------------------ */

#define LIVE_THREADS 2
#define LIVE_BLOCKS 1000

typedef struct live_thread {
    pthread_t th;
    void *blocks[LIVE_BLOCKS];
    pthread_barrier_t *ready;
    int release_fd;
} live_thread;

static void *allocating_thread(void *arg)
{
    live_thread *lt = arg;
    for (int i = 0; i < LIVE_BLOCKS; i++) {
        lt->blocks[i] = malloc(48);
        if (lt->blocks[i])
            memset(lt->blocks[i], 0x5a, 48);
    }
    pthread_barrier_wait(lt->ready);
    char c;
    while (read(lt->release_fd, &c, 1) < 0) {
    }
    for (int i = 0; i < LIVE_BLOCKS; i++)
        free(lt->blocks[i]);
    return NULL;
}

static const vm_glibc_arena *arena_holding(const vm_glibc_heaps *h, const void *p)
{
    uint64_t a = (uint64_t)(uintptr_t)p;
    for (size_t i = 0; i < h->narenas; i++)
        for (size_t k = 0; k < h->arenas[i].nheaps; k++) {
            const vm_glibc_arena_heap *hp = &h->arenas[i].heaps[k];
            if (a >= hp->base && a - hp->base < hp->mprotect_size)
                return &h->arenas[i];
        }
    return NULL;
}

static void live_heaps(void **state)
{
    if (!self_glibc_malloc_in_use() || getenv("MALLOC_ARENA_MAX")) {
        print_message("skipped: malloc is not glibc's here (sanitizer or valgrind)\n");
        skip();
    }
    live_thread lt[LIVE_THREADS];
    pthread_barrier_t ready;
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    assert_int_equal(pthread_barrier_init(&ready, NULL, LIVE_THREADS + 1), 0);
    for (int i = 0; i < LIVE_THREADS; i++) {
        lt[i].ready = &ready;
        lt[i].release_fd = pipefd[0];
        assert_int_equal(pthread_create(&lt[i].th, NULL, allocating_thread, &lt[i]), 0);
    }
    pthread_barrier_wait(&ready);
    /* After the threads, so its mapping sits below their stacks' guard pages, not merged. */
    char *big = malloc(8u << 20);
    assert_non_null(big);

    self_maps m;
    assert_true(self_maps_read(&m));
    vm_memreader mem = self_reader(&m);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_heaps h;
    struct mallinfo2 mi = mallinfo2();
    assert_true(vm_glibc_find_heaps(&mem, m.ranges, m.n, 0, &h, snap));
    print_warnings(snap);
    /* glibc's own count of its mmapped chunks, found by malloc_par's shape, and every chunk */
    uint64_t bytes = 0;
    for (size_t i = 0; i < h.nchunks; i++)
        bytes += h.chunks[i].size;
    print_message("live: malloc_par 0x%llx: %llu mmapped chunks of %llu bytes (mallinfo2: %zu of %zu); found %zu of "
                  "%llu\n", (unsigned long long)h.malloc_par, (unsigned long long)h.n_mmaps,
                  (unsigned long long)h.mmapped_mem, mi.hblks, mi.hblkhd, h.nchunks, (unsigned long long)bytes);
    assert_int_not_equal(h.malloc_par, 0);
    assert_int_equal(h.n_mmaps, mi.hblks);
    assert_int_equal(h.mmapped_mem, mi.hblkhd);
    assert_int_equal(h.nchunks, mi.hblks);
    assert_int_equal(bytes, mi.hblkhd);

    size_t nheaps = 0;
    for (size_t i = 0; i < h.narenas; i++)
        nheaps += h.arenas[i].nheaps;
    print_message("live: %zu arenas (%zu heaps), %zu mmapped chunks, brk 0x%llx-0x%llx\n",
                  h.narenas, nheaps, h.nchunks, (unsigned long long)h.brk_start,
                  (unsigned long long)h.brk_end);
    for (size_t i = 0; i < h.narenas; i++)
        print_message("  arena 0x%llx%s top 0x%llx, %zu heaps\n",
                      (unsigned long long)h.arenas[i].address, h.arenas[i].is_main ? " (main)" : "",
                      (unsigned long long)h.arenas[i].top, h.arenas[i].nheaps);

    assert_true(h.narenas >= 1 + LIVE_THREADS);
    assert_true(h.arenas[0].is_main);
    assert_int_not_equal(h.arenas[0].address, 0);
    for (int i = 0; i < LIVE_THREADS; i++)
        for (int k = 0; k < LIVE_BLOCKS; k += 97) {
            const vm_glibc_arena *a = arena_holding(&h, lt[i].blocks[k]);
            assert_non_null(a);
            assert_false(a->is_main);
        }
    uint64_t chunk = (uint64_t)(uintptr_t)big - 16;
    bool found = false;
    for (size_t i = 0; i < h.nchunks; i++)
        found |= chunk >= h.chunks[i].address && chunk - h.chunks[i].address < h.chunks[i].size;
    assert_true(found);

    vm_glibc_heaps_free(&h);
    vm_snapshot_free(snap);
    self_maps_free(&m);
    free(big);
    assert_int_equal(write(pipefd[1], "xx", LIVE_THREADS), LIVE_THREADS);
    for (int i = 0; i < LIVE_THREADS; i++)
        pthread_join(lt[i].th, NULL);
    pthread_barrier_destroy(&ready);
    close(pipefd[0]);
    close(pipefd[1]);
}

typedef struct blocked_thread {
    pthread_t th;
    pid_t tid;
    uint64_t self;
    pthread_barrier_t *ready;
    int release_fd;
} blocked_thread;

static void *blocked(void *arg)
{
    blocked_thread *bt = arg;
    bt->tid = gettid();
    bt->self = (uint64_t)pthread_self();
    pthread_barrier_wait(bt->ready);
    char c;
    while (read(bt->release_fd, &c, 1) < 0) {
    }
    return NULL;
}

static void live_threads(void **state)
{
    vm_glibc_thread_db db = {0};
    static const char *const names[] = {
        "_rtld_global", "_thread_db_rtld_global__dl_stack_used",
        "_thread_db_rtld_global__dl_stack_user", "_thread_db_pthread_list",
        "_thread_db_pthread_tid"};
    uint64_t *fields[] = {&db.rtld_global, &db.td_dl_stack_used, &db.td_dl_stack_user,
                          &db.td_pthread_list, &db.td_pthread_tid};
    for (int i = 0; i < 5; i++) {
        void *p = dlsym(RTLD_DEFAULT, names[i]);
        if (!p) {
            print_message("skipped: %s not found by dlsym\n", names[i]);
            skip();
        }
        *fields[i] = (uint64_t)(uintptr_t)p;
    }
    enum { N = 3 };
    blocked_thread bt[N];
    pthread_barrier_t ready;
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    assert_int_equal(pthread_barrier_init(&ready, NULL, N + 1), 0);
    for (int i = 0; i < N; i++) {
        bt[i].ready = &ready;
        bt[i].release_fd = pipefd[0];
        assert_int_equal(pthread_create(&bt[i].th, NULL, blocked, &bt[i]), 0);
    }
    pthread_barrier_wait(&ready);

    self_maps m;
    assert_true(self_maps_read(&m));
    vm_memreader mem = self_reader(&m);
    vm_snapshot *snap = vm_snapshot_new();
    vm_glibc_thread *t;
    size_t n;
    assert_true(vm_glibc_list_threads(&mem, &db, &t, &n, snap));
    print_warnings(snap);
    print_message("live: %zu threads listed\n", n);
    assert_int_equal(snap->nwarnings, 0);
    for (int i = 0; i < N; i++)
        assert_true(has_thread(t, n, (uint64_t)bt[i].tid, bt[i].self));
    assert_true(has_thread(t, n, (uint64_t)getpid(), (uint64_t)pthread_self()));
    free(t);
    vm_snapshot_free(snap);
    self_maps_free(&m);

    assert_int_equal(write(pipefd[1], "xxx", N), N);
    for (int i = 0; i < N; i++)
        pthread_join(bt[i].th, NULL);
    pthread_barrier_destroy(&ready);
    close(pipefd[0]);
    close(pipefd[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(main_arena_single_threaded),
        cmocka_unit_test(one_arena_one_heap),
        cmocka_unit_test(arena_with_three_heaps),
        cmocka_unit_test(two_arenas),
        cmocka_unit_test(old_glibc_layouts),
        cmocka_unit_test(main_arena_given),
        cmocka_unit_test(brk_only),
        cmocka_unit_test(size_above_mprotect_size),
        cmocka_unit_test(heap_grew_after_the_map),
        cmocka_unit_test(size_beyond_mapping),
        cmocka_unit_test(top_past_mprotect_size),
        cmocka_unit_test(garbage_ar_ptr),
        cmocka_unit_test(heap_shaped_private_data),
        cmocka_unit_test(broken_heap_of_a_listed_arena),
        cmocka_unit_test(ar_ptr_disagrees_with_chain),
        cmocka_unit_test(prev_cycle),
        cmocka_unit_test(top_outside_heaps),
        cmocka_unit_test(next_ring_never_returns),
        cmocka_unit_test(next_ring_escapes),
        cmocka_unit_test(unreadable_heap_info),
        cmocka_unit_test(heap_inside_merged_mapping),
        cmocka_unit_test(warnings_are_limited),
        cmocka_unit_test(one_mmapped_chunk),
        cmocka_unit_test(unbacked_start_not_read),
        cmocka_unit_test(merged_mmapped_chunks),
        cmocka_unit_test(bad_second_chunk_header),
        cmocka_unit_test(random_anon_mapping),
        cmocka_unit_test(aligned_mmapped_chunk),
        cmocka_unit_test(chunks_inside_merged_mapping),
        cmocka_unit_test(probe_stops_when_counted),
        cmocka_unit_test(probe_stops_when_nothing_more_fits),
        cmocka_unit_test(count_does_not_add_up),
        cmocka_unit_test(starts_read_until_counted),
        cmocka_unit_test(untouched_heap_start_not_read),
        cmocka_unit_test(probe_reads_only_pages_there),
        cmocka_unit_test(malloc_par_by_shape),
        cmocka_unit_test(three_threads),
        cmocka_unit_test(thread_list_cycle_without_head),
        cmocka_unit_test(thread_list_endless),
        cmocka_unit_test(thread_list_bad_input),
        cmocka_unit_test(live_threads),
        cmocka_unit_test(live_heaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
