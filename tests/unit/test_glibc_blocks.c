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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(live_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
