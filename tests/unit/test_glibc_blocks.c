/* The glibc block walker (parse/glibc_blocks.h) and the statistics visitor: on this process's own
 * live arenas against glibc's malloc_info, and on synthetic memory images (valid, corrupt,
 * hostile). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/malloc_info.h"
#include "tests/support/self_mem.h"
#include "tests/support/synth_mem.h"
#include "vmmap/model/heap_stats.h"
#include "vmmap/parse/glibc_blocks.h"
#include "vmmap/parse/glibc_heap.h"

/* ---- a visitor that records what it is told about chosen addresses ------------------------ */

#define WATCH_MAX 64

typedef struct watch {
    vm_heap_stats_acc *acc;
    uint64_t addr[WATCH_MAX];    /* chunk addresses */
    int state[WATCH_MAX];        /* -1: not seen */
    size_t n;
    uint64_t last;               /* address order check within a part */
    bool order_ok;
} watch;

static bool watch_visit(void *ctx, const vm_hblock *b)
{
    watch *w = ctx;
    for (size_t i = 0; i < w->n; i++)
        if (w->addr[i] == b->address)
            w->state[i] = (int)b->state;
    return vm_heap_stats_visit(w->acc, b);
}

static void watch_add(watch *w, const void *user)
{
    if (w->n < WATCH_MAX) {
        w->addr[w->n] = (uint64_t)(uintptr_t)user - 16;
        w->state[w->n++] = -1;
    }
}

/* ---- live: this process ------------------------------------------------------------------- */

#define BUSY_N 300
#define TCACHE_N 7     /* the tcache's default count per bin */
#define FAST_N 12      /* 7 to the tcache, 5 to the fastbin */
#define UNSORTED_N 5

typedef struct pattern {
    void *busy[BUSY_N];
    void *cached[TCACHE_N];
    void *fast[FAST_N];
    void *unsorted[UNSORTED_N];
    void *guards[UNSORTED_N];
} pattern;

/* Known blocks in the calling thread's arena: busy 0x70 chunks; a full tcache bin of 0x50; 0x30
 * chunks freed past their tcache bin into the fastbin; 0x510 chunks (above the tcache's sizes)
 * in the unsorted bin, kept apart by guards. */
static void make_pattern(pattern *p)
{
    for (int i = 0; i < BUSY_N; i++)
        p->busy[i] = malloc(100);
    for (int i = 0; i < TCACHE_N; i++)
        p->cached[i] = malloc(72);
    for (int i = 0; i < FAST_N; i++)
        p->fast[i] = malloc(40);
    for (int i = 0; i < UNSORTED_N; i++) {
        p->unsorted[i] = malloc(0x500);
        p->guards[i] = malloc(16);
    }
    for (int i = 0; i < TCACHE_N; i++)
        free(p->cached[i]);
    for (int i = 0; i < FAST_N; i++)
        free(p->fast[i]);
    for (int i = 0; i < UNSORTED_N; i++)
        free(p->unsorted[i]);
}

static void free_pattern(pattern *p)
{
    for (int i = 0; i < BUSY_N; i++)
        free(p->busy[i]);
    for (int i = 0; i < UNSORTED_N; i++)
        free(p->guards[i]);
}

typedef struct live {
    pthread_barrier_t made, go, done; /* worker's pattern made; walker may go; walk done */
    pattern main_p, worker_p;
    uintptr_t tp[3];            /* thread pointers: main, worker, walker */
    char xml[1 << 16];
    mi_info mi;
    uint64_t ring[MI_MAX_HEAPS]; /* arena addresses in malloc_info's order */
    /* results, per malloc_info heap */
    vm_heap heaps[MI_MAX_HEAPS];
    bool found[MI_MAX_HEAPS];
    vm_glibc_walk_status status[MI_MAX_HEAPS];
    watch main_w, worker_w;
    vm_glibc_walker_facts facts;
    char problem[256];
} live;

static live g_live;

static void *worker_main(void *arg)
{
    live *l = arg;
    l->tp[1] = (uintptr_t)pthread_self();
    make_pattern(&l->worker_p);
    pthread_barrier_wait(&l->made);
    pthread_barrier_wait(&l->done);
    free_pattern(&l->worker_p);
    return NULL;
}

static void add_part(vm_glibc_part **parts, size_t *n, uint64_t a, uint64_t s)
{
    *parts = realloc(*parts, (*n + 1) * sizeof **parts);
    (*parts)[(*n)++] = (vm_glibc_part){a, s};
}

/* Runs on its own thread (its own arena, made after malloc_info ran): everything it allocates
 * stays out of the arenas being compared. */
static void *walker_main(void *arg)
{
    live *l = arg;
    l->tp[2] = (uintptr_t)pthread_self();
    pthread_barrier_wait(&l->go); /* wait for the patterns and malloc_info */
    self_maps m;
    vm_glibc_heaps gh;
    vm_snapshot *snap = vm_snapshot_new();
    if (!self_maps_read(&m)) {
        snprintf(l->problem, sizeof l->problem, "cannot read our maps");
        pthread_barrier_wait(&l->done);
        return NULL;
    }
    vm_memreader mem = self_reader(&m);
    if (!vm_glibc_find_heaps(&mem, m.ranges, m.n, l->ring[0], &gh, snap)) {
        snprintf(l->problem, sizeof l->problem, "vm_glibc_find_heaps failed");
        pthread_barrier_wait(&l->done);
        return NULL;
    }
    vm_glibc_heap_desc *descs = calloc(gh.narenas, sizeof *descs);
    vm_glibc_part **parts = calloc(gh.narenas, sizeof *parts);
    for (size_t i = 0; i < gh.narenas; i++) {
        const vm_glibc_arena *a = &gh.arenas[i];
        size_t np = 0;
        descs[i].kind = a->is_main ? VM_GLIBC_MAIN_ARENA : VM_GLIBC_ARENA;
        descs[i].heap_id = (int32_t)i;
        descs[i].arena = a->address;
        if (a->is_main && gh.brk_start)
            add_part(&parts[i], &np, gh.brk_start, gh.brk_end - gh.brk_start);
        for (size_t j = 0; j < a->nheaps; j++)
            add_part(&parts[i], &np, a->heaps[j].base, a->heaps[j].reserved ? a->heaps[j].reserved
                                                                             : a->heaps[j].mprotect_size);
        descs[i].parts = parts[i];
        descs[i].nparts = np;
    }
    /* Not the walker's own: its tcache changes while it runs. */
    vm_glibc_tls_range tls[2];
    for (int i = 0; i < 2; i++)
        tls[i] = (vm_glibc_tls_range){l->tp[i] - 16384, l->tp[i]};
    vm_glibc_walk_opts opts = {.tls = tls, .ntls = 2};
    vm_glibc_walker *w = vm_glibc_walker_new(&mem, descs, gh.narenas, &opts, snap);
    if (!w)
        snprintf(l->problem, sizeof l->problem, "vm_glibc_walker_new failed");
    if (w) {
        vm_glibc_walker_facts_get(w, &l->facts);
        for (size_t k = 0; k < l->mi.nheaps; k++)
            for (size_t i = 0; i < gh.narenas; i++) {
                if (descs[i].arena != l->ring[k])
                    continue;
                watch *wt = k == 0 ? &l->main_w : k == 1 ? &l->worker_w : NULL;
                watch scratch = {0};
                if (!wt)
                    wt = &scratch;
                wt->acc = vm_heap_stats_begin();
                char note[256];
                l->status[k] = vm_glibc_walk(w, i, watch_visit, wt, note, sizeof note);
                if (note[0])
                    fprintf(stderr, "  heap %zu: %s\n", k, note);
                vm_heap_stats_end(wt->acc, &l->heaps[k]);
                l->found[k] = true;
            }
        vm_glibc_walker_free(w);
    }
    for (size_t i = 0; i < snap->nwarnings; i++)
        fprintf(stderr, "  warning %s: %s\n", snap->warnings[i].code, snap->warnings[i].message);
    for (size_t i = 0; i < gh.narenas; i++)
        free(parts[i]);
    free(parts);
    free(descs);
    vm_glibc_heaps_free(&gh);
    vm_snapshot_free(snap);
    self_maps_free(&m);
    pthread_barrier_wait(&l->done);
    return NULL;
}

/* Reads main_arena's next ring without allocating: main_arena's address from an unsorted chunk,
 * whose fd points at the unsorted bin's header, main_arena + 0x60 (2.27+). */
static size_t read_ring(live *l)
{
    uint64_t fd = *(uint64_t *)l->main_p.unsorted[0];
    uint64_t main_arena = fd - 0x60, cur = main_arena;
    size_t n = 0;
    do {
        l->ring[n++] = cur;
        cur = *(uint64_t *)(uintptr_t)(cur + 0x870);
    } while (cur != main_arena && n < MI_MAX_HEAPS);
    return n;
}

static void live_walk(void **state)
{
    if (!self_glibc_malloc_in_use() || getenv("MALLOC_ARENA_MAX") || getenv("GLIBC_TUNABLES")) {
        print_message("skipped: malloc is not glibc's default here (sanitizer, valgrind or tunables)\n");
        skip();
    }
    live *l = &g_live;
    memset(l, 0, sizeof *l);
    FILE *xml = fmemopen(l->xml, sizeof l->xml - 1, "w");
    assert_non_null(xml);
    static char xml_buf[1 << 16];
    setvbuf(xml, xml_buf, _IOFBF, sizeof xml_buf); /* no malloc when malloc_info writes */
    assert_int_equal(pthread_barrier_init(&l->made, NULL, 2), 0);
    assert_int_equal(pthread_barrier_init(&l->go, NULL, 2), 0);
    assert_int_equal(pthread_barrier_init(&l->done, NULL, 3), 0);
    l->tp[0] = (uintptr_t)pthread_self();
    pthread_t worker, walker;
    assert_int_equal(pthread_create(&walker, NULL, walker_main, l), 0);
    assert_int_equal(pthread_create(&worker, NULL, worker_main, l), 0);
    make_pattern(&l->main_p);
    pthread_barrier_wait(&l->made); /* both patterns made; nothing allocates until the walk */
    malloc_info(0, xml);
    fflush(xml);
    size_t nring = read_ring(l);
    bool parsed = mi_parse(l->xml, &l->mi); /* no allocation: before the walker starts */
    /* Blocks to follow: a few busy ones, every cached, fastbin and unsorted one. */
    for (int t = 0; t < 2; t++) {
        pattern *p = t ? &l->worker_p : &l->main_p;
        watch *w = t ? &l->worker_w : &l->main_w;
        for (int i = 0; i < 4; i++)
            watch_add(w, p->busy[i * 50]);
        for (int i = 0; i < TCACHE_N; i++)
            watch_add(w, p->cached[i]);
        for (int i = 0; i < FAST_N; i++)
            watch_add(w, p->fast[i]);
        for (int i = 0; i < UNSORTED_N; i++)
            watch_add(w, p->unsorted[i]);
    }
    pthread_barrier_wait(&l->go);
    pthread_barrier_wait(&l->done);
    pthread_join(walker, NULL);
    pthread_join(worker, NULL);
    fclose(xml);
    free_pattern(&l->main_p);
    assert_string_equal(l->problem, "");
    assert_true(parsed);
    print_message("live: %zu arenas in malloc_info, %zu in the ring; safe-linking %s, %zu tcaches, "
                  "%llu cached, %llu fastbin chunks\n", l->mi.nheaps, nring, l->facts.mangled ? "on" : "off",
                  l->facts.tcaches, (unsigned long long)l->facts.tcache_chunks,
                  (unsigned long long)l->facts.fastbin_chunks);
    assert_int_equal(nring, l->mi.nheaps);
    assert_true(l->mi.nheaps >= 2);
    int bad = 0;
    for (size_t k = 0; k < l->mi.nheaps; k++) {
        const mi_heap *m = &l->mi.heaps[k];
        const vm_heap_stats *st = &l->heaps[k].stats;
        print_message("  arena %zu (0x%llx): malloc_info fast %llu/%llu rest %llu/%llu current %llu; "
                      "vmmap busy %llu/%llu free %llu/%llu cached %llu/%llu overhead %llu\n", k,
                      (unsigned long long)l->ring[k], (unsigned long long)m->fast_count,
                      (unsigned long long)m->fast_size, (unsigned long long)m->rest_count,
                      (unsigned long long)m->rest_size, (unsigned long long)m->current,
                      (unsigned long long)st->busy_blocks, (unsigned long long)st->busy_bytes,
                      (unsigned long long)st->free_blocks, (unsigned long long)st->free_bytes,
                      (unsigned long long)st->cached_blocks, (unsigned long long)st->cached_bytes,
                      (unsigned long long)st->overhead_bytes);
        if (!l->found[k] || l->status[k] != VM_GLIBC_WALK_COMPLETE || !l->heaps[k].stats_known) {
            print_error("arena %zu: not walked completely (found %d, status %d)\n", k, l->found[k], l->status[k]);
            bad++;
            continue;
        }
        /* malloc_info sums binned chunks' size fields with their PREV_INUSE bit (chunksize_nomask):
         * one more byte per chunk in a bin, i.e. per "rest" chunk but the top. */
        bad += st->free_blocks != m->fast_count + m->rest_count;
        bad += st->free_bytes + (m->rest_count - 1) != m->fast_size + m->rest_size;
        bad += st->busy_bytes + st->free_bytes + st->cached_bytes + st->overhead_bytes != m->current;
    }
    assert_int_equal(bad, 0);
    /* The worker's tcache was empty: its 7 0x50 chunks and the first 7 0x30 ones are cached, the
     * other 5 0x30 ones in the fastbin; the main thread's bins may have held chunks already. */
    for (int t = 0; t < 2; t++) {
        const watch *w = t ? &l->worker_w : &l->main_w;
        size_t i = 0;
        for (int k = 0; k < 4; k++, i++)
            assert_int_equal(w->state[i], VM_HBLOCK_BUSY);
        for (int k = 0; k < TCACHE_N; k++, i++)
            assert_true(t ? w->state[i] == VM_HBLOCK_CACHED
                          : w->state[i] == VM_HBLOCK_CACHED || w->state[i] == VM_HBLOCK_FREE);
        for (int k = 0; k < FAST_N; k++, i++)
            assert_true(t ? w->state[i] == (k < TCACHE_N ? VM_HBLOCK_CACHED : VM_HBLOCK_FREE)
                          : w->state[i] == VM_HBLOCK_CACHED || w->state[i] == VM_HBLOCK_FREE);
        for (int k = 0; k < UNSORTED_N; k++, i++)
            assert_int_equal(w->state[i], VM_HBLOCK_FREE);
    }
    for (size_t k = 0; k < l->mi.nheaps; k++)
        vm_heap_clear_walk(&l->heaps[k]);
}

/* ---- synthetic images -------------------------------------------------------------------- */

#define LIBC 0x7fff00000000ull       /* libc's data: main_arena inside */
#define MA (LIBC + 0x1000)
#define BRK 0x555500000000ull
#define BRK_LEN 0x10000ull
#define H1 0x7f0000000000ull         /* a non-main arena's first heap (64 MiB aligned) */
#define H2 0x7f0004000000ull         /* its second heap */
#define AR (H1 + 0x30)               /* its malloc_state */
#define AR_CHUNKS (H1 + 0x8d0)       /* first chunk: after heap_info and malloc_state, aligned */
#define MM 0x7f1000000000ull         /* an mmapped chunk */
#define TLS 0x7f2000000000ull        /* a thread's TLS block */

typedef struct gimg {
    synth_mem m;
    bool mangle;
    uint64_t pos;        /* where the next chunk goes */
    bool prev_free;      /* the previous chunk is free in a bin (its successor's PREV_INUSE clear) */
    uint64_t flags;      /* NON_MAIN_ARENA for arena chunks */
    vm_snapshot *snap;
    vm_glibc_part parts[8][4];
    vm_glibc_heap_desc heaps[8];
    size_t nheaps;
    vm_glibc_tls_range tls[2];
    size_t ntls;
} gimg;

static uint64_t protect(const gimg *g, uint64_t pos, uint64_t ptr)
{
    return g->mangle ? (pos >> 12) ^ ptr : ptr;
}

/* The next chunk: size field with PREV_INUSE as the previous chunk's state says; a binned free
 * chunk also gets its footer (the next chunk's prev_size). */
static uint64_t put_chunk(gimg *g, uint64_t size, bool binned)
{
    uint64_t at = g->pos;
    synth_put_u64(&g->m, at + 8, size | g->flags | (g->prev_free ? 0 : 1));
    if (binned)
        synth_put_u64(&g->m, at + size, size);
    g->prev_free = binned;
    g->pos += size;
    return at;
}

static uint64_t put_top(gimg *g, uint64_t end)
{
    return put_chunk(g, end - g->pos, false);
}

/* A malloc_state at ms (2.27+ layout): top, system_mem, fastbin heads (chunk addresses). */
static void put_mstate(gimg *g, uint64_t ms, uint64_t top, uint64_t system_mem, const uint64_t fast[10])
{
    synth_put_u64(&g->m, ms + 0x60, top);
    synth_put_u64(&g->m, ms + 0x888, system_mem);
    synth_put_u64(&g->m, ms + 0x870, MA); /* next: not read by the walker */
    for (int i = 0; fast && i < 10; i++)
        synth_put_u64(&g->m, ms + 0x10 + 8 * (uint64_t)i, fast[i]);
}

/* A NULL-terminated list through the chunks' fd (fastbin: chunk pointers). */
static void put_fastbin(gimg *g, const uint64_t *chunks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        synth_put_u64(&g->m, chunks[i] + 16, protect(g, chunks[i] + 16, i + 1 < n ? chunks[i + 1] : 0));
}

/* A tcache bin: counts[bin] = n, entries[bin] = the first chunk's user pointer, each entry's next
 * the following user pointer. */
static void put_tcache_bin(gimg *g, uint64_t tcache_chunk, int bin, const uint64_t *chunks, size_t n,
                           uint16_t count)
{
    synth_put_u16(&g->m, tcache_chunk + 16 + 2 * (uint64_t)bin, count);
    synth_put_u64(&g->m, tcache_chunk + 16 + 0x80 + 8 * (uint64_t)bin, n ? chunks[0] + 16 : 0);
    for (size_t i = 0; i < n; i++)
        synth_put_u64(&g->m, chunks[i] + 16, protect(g, chunks[i] + 16, i + 1 < n ? chunks[i + 1] + 16 : 0));
}

static void add_heap(gimg *g, vm_glibc_heap_kind kind, uint64_t arena, const vm_glibc_part *parts, size_t n)
{
    assert_true(g->nheaps < 8 && n <= 4);
    memcpy(g->parts[g->nheaps], parts, n * sizeof *parts);
    g->heaps[g->nheaps] = (vm_glibc_heap_desc){kind, (int32_t)g->nheaps, arena, g->parts[g->nheaps], n};
    g->nheaps++;
}

static gimg *gimg_new(bool mangle)
{
    gimg *g = calloc(1, sizeof *g);
    g->mangle = mangle;
    g->snap = vm_snapshot_new();
    return g;
}

static void gimg_free(gimg *g)
{
    synth_free(&g->m);
    vm_snapshot_free(g->snap);
    free(g);
}

/* The main arena of the examples: in [heap], a tcache (bin 3: two 0x50 chunks), busy chunks, a
 * fastbin (bin 1: two 0x30 chunks), a binned 0x510 chunk, the top. */
typedef struct main_layout {
    uint64_t tcache, b1, c1, c2, f1, b2, f2, u1, b3, top;
} main_layout;

static main_layout build_main(gimg *g)
{
    synth_map(&g->m, LIBC, 0x2000);
    synth_map(&g->m, BRK, BRK_LEN);
    main_layout L;
    g->pos = BRK;
    g->prev_free = false;
    g->flags = 0;
    L.tcache = put_chunk(g, 0x290, false);
    L.b1 = put_chunk(g, 0x70, false);
    L.c1 = put_chunk(g, 0x50, false);
    L.c2 = put_chunk(g, 0x50, false);
    L.f1 = put_chunk(g, 0x30, false);
    L.b2 = put_chunk(g, 0x70, false);
    L.f2 = put_chunk(g, 0x30, false);
    L.u1 = put_chunk(g, 0x510, true);
    L.b3 = put_chunk(g, 0x20, false);
    L.top = put_top(g, BRK + BRK_LEN);
    uint64_t fast[10] = {0, L.f1};
    put_fastbin(g, (uint64_t[]){L.f1, L.f2}, 2);
    put_tcache_bin(g, L.tcache, 3, (uint64_t[]){L.c1, L.c2}, 2, 2);
    put_mstate(g, MA, L.top, BRK_LEN, fast);
    add_heap(g, VM_GLIBC_MAIN_ARENA, MA, (vm_glibc_part[]){{BRK, BRK_LEN}}, 1);
    return L;
}

/* A non-main arena of two heaps: the first ends in fence posts after an old top freed into a
 * bin; the second holds busy chunks and the top. */
typedef struct arena_layout {
    uint64_t tcache, b1, old_top, fence, b2, top;
    uint64_t size1, size2;
} arena_layout;

static arena_layout build_arena(gimg *g)
{
    arena_layout L;
    L.size1 = 0x4000;
    L.size2 = 0x3000;
    synth_map(&g->m, H1, L.size1);
    synth_map(&g->m, H2, L.size2);
    synth_put_u64(&g->m, H1, AR);          /* heap_info: ar_ptr, prev, size, mprotect_size */
    synth_put_u64(&g->m, H1 + 16, L.size1);
    synth_put_u64(&g->m, H1 + 24, L.size1);
    synth_put_u64(&g->m, H2, AR);
    synth_put_u64(&g->m, H2 + 8, H1);
    synth_put_u64(&g->m, H2 + 16, L.size2);
    synth_put_u64(&g->m, H2 + 24, L.size2);
    g->flags = 4;
    g->pos = AR_CHUNKS;
    g->prev_free = false;
    L.tcache = put_chunk(g, 0x290, false);
    L.b1 = put_chunk(g, 0x100, false);
    /* sysmalloc's fence posts: the old top shrunk to leave 0x20 bytes, a 0x10 post, a 0 post. */
    uint64_t end1 = H1 + L.size1;
    L.old_top = put_chunk(g, end1 - 0x20 - g->pos, true);
    L.fence = g->pos;
    synth_put_u64(&g->m, L.fence + 8, 0x10);      /* PREV_INUSE clear: the old top is binned */
    synth_put_u64(&g->m, L.fence + 0x10 + 8, 0x1);
    g->pos = H2 + 0x30;
    g->prev_free = false;
    L.b2 = put_chunk(g, 0x200, false);
    L.top = put_top(g, H2 + L.size2);
    put_mstate(g, AR, L.top, L.size1 + L.size2, NULL);
    add_heap(g, VM_GLIBC_ARENA, AR, (vm_glibc_part[]){{H1, 0x4000000}, {H2, 0x4000000}}, 2);
    return L;
}

typedef struct result {
    vm_heap heap;
    vm_glibc_walk_status status;
    char note[512];
    watch w;
} result;

static vm_glibc_walker *walker(gimg *g)
{
    vm_memreader mem = synth_reader(&g->m);
    static vm_memreader keep; /* the walker keeps the pointer */
    keep = mem;
    vm_glibc_walk_opts o = {.tls = g->tls, .ntls = g->ntls, .window = 4096};
    vm_glibc_walker *w = vm_glibc_walker_new(&keep, g->heaps, g->nheaps, &o, g->snap);
    assert_non_null(w);
    return w;
}

static void walk_one(vm_glibc_walker *w, size_t i, result *r)
{
    r->w.acc = vm_heap_stats_begin();
    r->status = vm_glibc_walk(w, i, watch_visit, &r->w, r->note, sizeof r->note);
    assert_true(vm_heap_stats_end(r->w.acc, &r->heap));
}

static int state_of(const result *r, uint64_t chunk)
{
    for (size_t i = 0; i < r->w.n; i++)
        if (r->w.addr[i] == chunk)
            return r->w.state[i];
    return -2;
}

static void follow_chunks(result *r, const uint64_t *chunks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        watch_add(&r->w, (void *)(uintptr_t)(chunks[i] + 16));
}

static uint64_t size_count(const vm_heap *h, uint64_t size, int state)
{
    for (size_t i = 0; i < h->nsizes; i++)
        if (h->sizes[i].size == size)
            return state == 0 ? h->sizes[i].busy : state == 1 ? h->sizes[i].free : h->sizes[i].cached;
    return 0;
}

static void print_warnings(const vm_snapshot *s)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        print_message("  warning %s: %s\n", s->warnings[i].code, s->warnings[i].message);
}

static void check_main(gimg *g, bool mangled)
{
    main_layout L = build_main(g);
    vm_glibc_walker *w = walker(g);
    vm_glibc_walker_facts f;
    vm_glibc_walker_facts_get(w, &f);
    assert_int_equal(f.mangled, mangled);
    assert_int_equal(f.tcaches, 1);
    assert_int_equal(f.tcache_chunks, 2);
    assert_int_equal(f.fastbin_chunks, 2);
    result r = {0};
    follow_chunks(&r, (uint64_t[]){L.tcache, L.b1, L.c1, L.c2, L.f1, L.b2, L.f2, L.u1, L.b3, L.top}, 10);
    walk_one(w, 0, &r);
    print_warnings(g->snap);
    assert_int_equal(r.status, VM_GLIBC_WALK_COMPLETE);
    assert_string_equal(r.note, "");
    assert_int_equal(g->snap->nwarnings, 0);
    const int want[10] = {VM_HBLOCK_BUSY, VM_HBLOCK_BUSY, VM_HBLOCK_CACHED, VM_HBLOCK_CACHED, VM_HBLOCK_FREE,
                          VM_HBLOCK_BUSY, VM_HBLOCK_FREE, VM_HBLOCK_FREE, VM_HBLOCK_BUSY, VM_HBLOCK_FREE};
    for (int i = 0; i < 10; i++)
        assert_int_equal(r.w.state[i], want[i]);
    const vm_heap_stats *st = &r.heap.stats;
    uint64_t top = BRK + BRK_LEN - L.top;
    assert_int_equal(st->busy_blocks, 4);
    assert_int_equal(st->busy_bytes, 0x290 + 0x70 + 0x70 + 0x20);
    assert_int_equal(st->cached_blocks, 2);
    assert_int_equal(st->cached_bytes, 0xa0);
    assert_int_equal(st->free_blocks, 4);
    assert_int_equal(st->free_bytes, 0x60 + 0x510 + top);
    assert_int_equal(st->largest_free, top);
    assert_int_equal(st->overhead_bytes, 0);
    assert_int_equal(st->busy_bytes + st->free_bytes + st->cached_bytes, BRK_LEN);
    assert_true(r.heap.stats.fragmentation > 0 && r.heap.stats.fragmentation < 100);
    assert_int_equal(size_count(&r.heap, 0x70, 0), 2);
    assert_int_equal(size_count(&r.heap, 0x50, 2), 2);
    assert_int_equal(size_count(&r.heap, 0x30, 1), 2);
    assert_int_equal(r.heap.nsizes, 7); /* 0x20 0x30 0x50 0x70 0x290 0x510 top */
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
}

static void synth_main_mangled(void **state)
{
    gimg *g = gimg_new(true);
    check_main(g, true);
    gimg_free(g);
}

static void synth_main_plain(void **state)
{
    gimg *g = gimg_new(false);
    check_main(g, false);
    gimg_free(g);
}

static void synth_arena_two_heaps(void **state)
{
    gimg *g = gimg_new(true);
    arena_layout L = build_arena(g);
    vm_glibc_walker *w = walker(g);
    result r = {0};
    follow_chunks(&r, (uint64_t[]){L.tcache, L.b1, L.old_top, L.b2, L.top}, 5);
    walk_one(w, 0, &r);
    print_warnings(g->snap);
    assert_int_equal(r.status, VM_GLIBC_WALK_COMPLETE);
    assert_int_equal(g->snap->nwarnings, 0);
    assert_int_equal(state_of(&r, L.old_top), VM_HBLOCK_FREE);
    assert_int_equal(state_of(&r, L.top), VM_HBLOCK_FREE);
    assert_int_equal(state_of(&r, L.b2), VM_HBLOCK_BUSY);
    const vm_heap_stats *st = &r.heap.stats;
    assert_int_equal(st->busy_blocks, 3);
    assert_int_equal(st->free_blocks, 2);
    /* heap_info + malloc_state in heap 1, the fence posts, heap_info in heap 2 */
    assert_int_equal(st->overhead_bytes, 0x8d0 + 0x20 + 0x30);
    assert_int_equal(st->busy_bytes + st->free_bytes + st->cached_bytes + st->overhead_bytes, L.size1 + L.size2);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_mmapped(void **state)
{
    gimg *g = gimg_new(true);
    synth_map(&g->m, MM, 0x3000);
    synth_put_u64(&g->m, MM + 8, 0x3000 | 2);
    synth_map(&g->m, MM + 0x10000, 0x2000);
    synth_put_u64(&g->m, MM + 0x10000 + 8, 0x1000 | 1); /* not IS_MMAPPED any more: freed, reused */
    add_heap(g, VM_GLIBC_MMAPPED, 0, (vm_glibc_part[]){{MM, 0x3000}, {MM + 0x10000, 0x2000}}, 2);
    vm_glibc_walker *w = walker(g);
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_PARTIAL);
    assert_non_null(strstr(r.note, "is no longer an mmapped chunk"));
    assert_int_equal(r.heap.stats.busy_blocks, 1);
    assert_int_equal(r.heap.stats.busy_bytes, 0x3000);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "no longer an mmapped chunk"));
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

/* A tcache that is not an arena's first chunk, reached through a thread's TLS pointer. */
static void synth_tcache_through_tls(void **state)
{
    gimg *g = gimg_new(true);
    synth_map(&g->m, LIBC, 0x2000);
    synth_map(&g->m, BRK, BRK_LEN);
    g->pos = BRK;
    uint64_t b0 = put_chunk(g, 0x40, false);
    uint64_t tc = put_chunk(g, 0x290, false);
    uint64_t c1 = put_chunk(g, 0x20, false);
    uint64_t top = put_top(g, BRK + BRK_LEN);
    put_tcache_bin(g, tc, 0, (uint64_t[]){c1}, 1, 1);
    put_mstate(g, MA, top, BRK_LEN, NULL);
    add_heap(g, VM_GLIBC_MAIN_ARENA, MA, (vm_glibc_part[]){{BRK, BRK_LEN}}, 1);
    /* Without the TLS hint: found only during the walk, said so, its chunk counted busy. */
    vm_glibc_walker *w = walker(g);
    result r = {0};
    follow_chunks(&r, (uint64_t[]){b0, tc, c1}, 3);
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_PARTIAL);
    assert_int_equal(state_of(&r, c1), VM_HBLOCK_BUSY);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "looks like a thread's tcache"));
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    /* With it. */
    synth_map(&g->m, TLS, 0x1000);
    synth_put_u64(&g->m, TLS + 0x800, tc + 16);
    g->tls[0] = (vm_glibc_tls_range){TLS, TLS + 0x1000};
    g->ntls = 1;
    vm_snapshot_free(g->snap);
    g->snap = vm_snapshot_new();
    w = walker(g);
    result r2 = {0};
    follow_chunks(&r2, (uint64_t[]){b0, tc, c1}, 3);
    walk_one(w, 0, &r2);
    assert_int_equal(r2.status, VM_GLIBC_WALK_COMPLETE);
    assert_int_equal(state_of(&r2, c1), VM_HBLOCK_CACHED);
    assert_int_equal(state_of(&r2, tc), VM_HBLOCK_BUSY);
    vm_heap_clear_walk(&r2.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

/* glibc 2.26 .. 2.29: malloc_state without have_fastchunks (fastbins at +0x08, top at +0x58,
 * system_mem at +0x880), a 0x250 tcache with char counts, and no safe-linking. */
static void synth_old_layouts(void **state)
{
    gimg *g = gimg_new(false);
    synth_map(&g->m, LIBC, 0x2000);
    synth_map(&g->m, BRK, BRK_LEN);
    g->pos = BRK;
    uint64_t tc = put_chunk(g, 0x250, false);
    uint64_t b1 = put_chunk(g, 0x70, false);
    uint64_t c1 = put_chunk(g, 0x40, false);
    uint64_t f1 = put_chunk(g, 0x20, false);
    uint64_t b2 = put_chunk(g, 0x30, false);
    uint64_t top = put_top(g, BRK + BRK_LEN);
    synth_put_u8(&g->m, tc + 16 + 2, 1);                /* bin 2 (0x40): one entry */
    synth_put_u64(&g->m, tc + 16 + 0x40 + 8 * 2, c1 + 16);
    synth_put_u64(&g->m, MA + 0x08, f1);                /* fastbin 0 (0x20) */
    synth_put_u64(&g->m, MA + 0x58, top);
    synth_put_u64(&g->m, MA + 0x880, BRK_LEN);
    add_heap(g, VM_GLIBC_MAIN_ARENA, MA, (vm_glibc_part[]){{BRK, BRK_LEN}}, 1);
    vm_glibc_walker *w = walker(g);
    vm_glibc_walker_facts f;
    vm_glibc_walker_facts_get(w, &f);
    assert_false(f.mangled);
    assert_int_equal(f.tcaches, 1);
    result r = {0};
    follow_chunks(&r, (uint64_t[]){tc, b1, c1, f1, b2, top}, 6);
    walk_one(w, 0, &r);
    print_warnings(g->snap);
    assert_int_equal(r.status, VM_GLIBC_WALK_COMPLETE);
    const int want[6] = {VM_HBLOCK_BUSY, VM_HBLOCK_BUSY, VM_HBLOCK_CACHED, VM_HBLOCK_FREE, VM_HBLOCK_BUSY,
                         VM_HBLOCK_FREE};
    for (int i = 0; i < 6; i++)
        assert_int_equal(r.w.state[i], want[i]);
    assert_int_equal(r.heap.stats.busy_bytes + r.heap.stats.free_bytes + r.heap.stats.cached_bytes, BRK_LEN);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

/* ---- corrupt and hostile images ------------------------------------------------------------ */

static void synth_bad_chunk_size(void **state)
{
    gimg *g = gimg_new(true);
    main_layout L = build_main(g);
    synth_put_u64(&g->m, L.b2 + 8, 0x3);  /* size 0 with flags: the walk cannot go on */
    vm_glibc_walker *w = walker(g);
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_PARTIAL);
    assert_non_null(strstr(r.note, "walk stopped"));
    assert_true(synth_has_warning(g->snap, "heap-invalid", "has size field 0x3"));
    /* what came before was counted: tcache, b1, c1, c2 (cached), f1 (fastbin) */
    assert_int_equal(r.heap.stats.busy_blocks, 2);
    assert_int_equal(r.heap.stats.cached_blocks, 2);
    assert_int_equal(r.heap.stats.free_blocks, 1);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_chunk_past_end(void **state)
{
    gimg *g = gimg_new(true);
    main_layout L = build_main(g);
    synth_put_u64(&g->m, L.b3 + 8, 0x100000 | 1); /* runs over the top and out of [heap] */
    vm_glibc_walker *w = walker(g);
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_PARTIAL);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "walk stopped"));
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_fastbin_cycle(void **state)
{
    gimg *g = gimg_new(true);
    main_layout L = build_main(g);
    /* f2 -> f1 -> f2 ... */
    synth_put_u64(&g->m, L.f2 + 16, protect(g, L.f2 + 16, L.f1));
    vm_glibc_walker *w = walker(g);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "fastbin 1 of arena"));
    assert_true(synth_has_warning(g->snap, "heap-invalid", "loops"));
    result r = {0};
    follow_chunks(&r, (uint64_t[]){L.f1, L.f2}, 2);
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_COMPLETE); /* the chunks themselves are fine */
    assert_int_equal(state_of(&r, L.f1), VM_HBLOCK_FREE);
    assert_int_equal(state_of(&r, L.f2), VM_HBLOCK_FREE);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_fastbin_wrong_size(void **state)
{
    gimg *g = gimg_new(true);
    main_layout L = build_main(g);
    uint64_t fast[10] = {0, 0, 0, 0, L.b1}; /* a 0x70 chunk in the 0x60 bin */
    put_mstate(g, MA, L.top, BRK_LEN, fast);
    vm_glibc_walker *w = walker(g);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "not the bin's 0x60"));
    result r = {0};
    follow_chunks(&r, (uint64_t[]){L.b1}, 1);
    walk_one(w, 0, &r);
    assert_int_equal(state_of(&r, L.b1), VM_HBLOCK_BUSY);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_tcache_count_mismatch(void **state)
{
    gimg *g = gimg_new(true);
    main_layout L = build_main(g);
    synth_put_u16(&g->m, L.tcache + 16 + 6, 3); /* bin 3 says 3, the list has 2 */
    vm_glibc_walker *w = walker(g);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "ends 1 chunks before its count"));
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.heap.stats.cached_blocks, 2);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_tcache_bad_link(void **state)
{
    gimg *g = gimg_new(true);
    main_layout L = build_main(g);
    synth_put_u64(&g->m, L.c1 + 16, protect(g, L.c1 + 16, 0x4141414141414140ull));
    vm_glibc_walker *w = walker(g);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "bad link"));
    result r = {0};
    follow_chunks(&r, (uint64_t[]){L.c1, L.c2}, 2);
    walk_one(w, 0, &r);
    assert_int_equal(state_of(&r, L.c1), VM_HBLOCK_CACHED);
    assert_int_equal(state_of(&r, L.c2), VM_HBLOCK_BUSY);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_bad_mstate(void **state)
{
    gimg *g = gimg_new(true);
    build_main(g);
    synth_put_u64(&g->m, MA + 0x60, 0xdead0000); /* top in no heap, under either layout */
    synth_put_u64(&g->m, MA + 0x58, 0xdead0000);
    vm_glibc_walker *w = walker(g);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "lies outside its heaps"));
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_NONE);
    assert_non_null(strstr(r.note, "does not validate"));
    assert_int_equal(r.heap.stats.busy_blocks + r.heap.stats.free_blocks, 0);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_heap_info_other_arena(void **state)
{
    gimg *g = gimg_new(true);
    arena_layout L = build_arena(g);
    synth_put_u64(&g->m, H2, AR + 0x4000000); /* heap 2 names another arena */
    vm_glibc_walker *w = walker(g);
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_PARTIAL);
    assert_non_null(strstr(r.note, "arena heap 2: heap_info does not fit"));
    assert_int_equal(r.heap.stats.busy_blocks, 2); /* heap 1's */
    (void)L;
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_unreadable(void **state)
{
    gimg *g = gimg_new(true);
    build_arena(g);
    synth_unmap(&g->m, H2);
    vm_glibc_walker *w = walker(g);
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_PARTIAL);
    assert_true(synth_has_warning(g->snap, "read-failed", "heap_info"));
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static void synth_bad_top(void **state)
{
    gimg *g = gimg_new(true);
    main_layout L = build_main(g);
    synth_put_u64(&g->m, L.top + 8, 0x20 | 1); /* a top that ends before [heap] does */
    vm_glibc_walker *w = walker(g);
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_PARTIAL);
    assert_true(synth_has_warning(g->snap, "heap-invalid", "the top chunk ends at"));
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

static bool stop_after_two(void *ctx, const vm_hblock *b)
{
    int *n = ctx;
    return ++*n < 2;
}

static void synth_visitor_stops(void **state)
{
    gimg *g = gimg_new(true);
    build_main(g);
    vm_glibc_walker *w = walker(g);
    int n = 0;
    char note[64];
    assert_int_equal(vm_glibc_walk(w, 0, stop_after_two, &n, note, sizeof note), VM_GLIBC_WALK_STOPPED);
    assert_int_equal(n, 2);
    assert_int_equal(g->snap->nwarnings, 0);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

/* Garbage everywhere: the walk ends, bounded, with warnings and no crash. */
static void synth_garbage(void **state)
{
    gimg *g = gimg_new(true);
    uint8_t *libc = synth_map(&g->m, LIBC, 0x2000);
    uint8_t *brk = synth_map(&g->m, BRK, BRK_LEN);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < BRK_LEN; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        brk[i] = (uint8_t)x;
        if (i < 0x2000)
            libc[i] = (uint8_t)(x >> 8);
    }
    synth_put_u64(&g->m, MA + 0x60, BRK + 0x100); /* a top inside [heap], so the arena validates */
    add_heap(g, VM_GLIBC_MAIN_ARENA, MA, (vm_glibc_part[]){{BRK, BRK_LEN}}, 1);
    vm_glibc_walker *w = walker(g);
    result r = {0};
    walk_one(w, 0, &r);
    assert_int_equal(r.status, VM_GLIBC_WALK_PARTIAL);
    assert_true(g->snap->nwarnings > 0);
    vm_heap_clear_walk(&r.heap);
    vm_glibc_walker_free(w);
    gimg_free(g);
}

/* ---- the statistics visitor ---------------------------------------------------------------- */

static void stats_size_table_cap(void **state)
{
    vm_heap_stats_acc *a = vm_heap_stats_begin();
    for (uint64_t i = 1; i <= VM_HEAP_SIZES_MAX + 10; i++)
        assert_true(vm_heap_stats_visit(a, &(vm_hblock){.address = i * 16, .size = i * 16, .state = VM_HBLOCK_BUSY}));
    assert_true(vm_heap_stats_visit(a, &(vm_hblock){.size = 32, .state = VM_HBLOCK_FREE}));
    assert_true(vm_heap_stats_visit(a, &(vm_hblock){.size = 48, .state = VM_HBLOCK_OVERHEAD}));
    vm_heap h = {0};
    assert_true(vm_heap_stats_end(a, &h));
    assert_int_equal(h.stats.busy_blocks, VM_HEAP_SIZES_MAX + 10);
    assert_int_equal(h.stats.free_blocks, 1);
    assert_int_equal(h.stats.overhead_bytes, 48);
    assert_int_equal(h.nsizes, VM_HEAP_SIZES_MAX);
    for (size_t i = 1; i < h.nsizes; i++)
        assert_true(h.sizes[i].size > h.sizes[i - 1].size);
    assert_int_equal(h.sizes[1].size, 32); /* the free one joined an existing row */
    assert_int_equal(h.sizes[1].free, 1);
    assert_non_null(strstr(h.walk_note, "10 blocks of sizes beyond the 65536 kept"));
    assert_true(h.largest_free_known);
    assert_int_equal(h.largest_free, 32);
    vm_heap_clear_walk(&h);
}

static void stats_fragmentation(void **state)
{
    assert_true(vm_heap_fragmentation(0, 0) == 0);
    assert_true(vm_heap_fragmentation(100, 100) == 0);
    assert_true(vm_heap_fragmentation(300, 100) == 66.67);
    assert_true(vm_heap_fragmentation(3, 2) == 33.33);
    assert_true(vm_heap_fragmentation(UINT64_MAX, 1) == 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(live_walk),
        cmocka_unit_test(synth_main_mangled),
        cmocka_unit_test(synth_main_plain),
        cmocka_unit_test(synth_arena_two_heaps),
        cmocka_unit_test(synth_mmapped),
        cmocka_unit_test(synth_tcache_through_tls),
        cmocka_unit_test(synth_old_layouts),
        cmocka_unit_test(synth_bad_chunk_size),
        cmocka_unit_test(synth_chunk_past_end),
        cmocka_unit_test(synth_fastbin_cycle),
        cmocka_unit_test(synth_fastbin_wrong_size),
        cmocka_unit_test(synth_tcache_count_mismatch),
        cmocka_unit_test(synth_tcache_bad_link),
        cmocka_unit_test(synth_bad_mstate),
        cmocka_unit_test(synth_heap_info_other_arena),
        cmocka_unit_test(synth_unreadable),
        cmocka_unit_test(synth_bad_top),
        cmocka_unit_test(synth_visitor_stops),
        cmocka_unit_test(synth_garbage),
        cmocka_unit_test(stats_size_table_cap),
        cmocka_unit_test(stats_fragmentation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
