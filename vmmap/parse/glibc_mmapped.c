/* glibc's mmapped chunks inside merged mappings: malloc_par, then the probe (glibc_mmapped.h).
 *
 * Facts used (glibc 2.26 .. 2.42 malloc/malloc.c, x86-64; checked on Debian 12's 2.36 with gdb
 * and its debug symbols):
 *   - struct malloc_par mp_ starts {trim_threshold, top_pad, mmap_threshold, arena_test,
 *     arena_max} (5 x 8 bytes); 2.35 added {thp_pagesize, hp_pagesize, int hp_flags}; then int
 *     {n_mmaps, n_mmaps_max, max_n_mmaps, no_dyn_threshold}, size_t {mmapped_mem,
 *     max_mmapped_mem}, char *sbrk_base, then the tcache's size_t {bins, max_bytes, count, ...}.
 *     n_mmaps / mmapped_mem: 60 / 80 on 2.35+, 40 / 56 before.  mallinfo2's hblks and hblkhd
 *     are these two.
 *   - An mmapped chunk is one mapping of its own: the header {prev_size, size | IS_MMAPPED} at
 *     the mapping's start (memalign leaves that one in place and writes another further in), so
 *     at a page start prev_size is 0 and the size a whole number of pages, PREV_INUSE and
 *     NON_MAIN_ARENA clear (sysmalloc, mremap_chunk and _int_memalign set IS_MMAPPED alone).
 *     mmapped_mem adds prev_size + size of each: the mapping's length.
 * Every byte read is the target's and untrusted: the figures are checked for consistency before
 * they are believed, candidates must fit the mapping, miss every chunk already found and fit in
 * what glibc's count leaves; the search ends as soon as no more chunk fits in that count (and
 * reads only pages opts->pages says are there); the work is bounded by opts->probe_limit. */
#include "glibc_mmapped.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define PAGE 0x1000ull
#define IS_MMAPPED 0x2ull
#define SIZE_FLAGS 0x7ull
#define HEAP_MAX_SIZE 0x4000000ull
#define LIBC_DATA_MAX (4u << 20) /* bytes of libc's data read looking for malloc_par */
#define WINDOW_PAGES 4096        /* page states asked at once: 16 MiB of address space */
#define BATCH 256                /* page headers read at once */

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--)
        v = v << 8 | p[b];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- reading only what is there ------------------------------------------------------------ */

bool vm_glibc_page_present(const vm_glibc_find_opts *opts, uint64_t addr)
{
    uint8_t st;
    return !opts || !opts->pages || (opts->pages(opts->pages_ctx, addr & ~(PAGE - 1), 1, &st) &&
                                     st == VM_GLIBC_PAGE_PRESENT);
}

bool vm_glibc_page_absent(const vm_glibc_find_opts *opts, uint64_t addr)
{
    uint8_t st;
    return opts && opts->pages && opts->pages(opts->pages_ctx, addr & ~(PAGE - 1), 1, &st) &&
           st == VM_GLIBC_PAGE_ABSENT;
}

size_t vm_glibc_read_present(const vm_memreader *mem, const vm_glibc_find_opts *opts, uint64_t start, uint8_t *buf,
                             size_t len)
{
    if (!opts || !opts->pages || start % PAGE)
        return mem->read(mem->ctx, start, buf, len);
    size_t done = 0;
    while (done < len) {
        uint8_t st[WINDOW_PAGES];
        size_t n = (len - done + PAGE - 1) / PAGE;
        n = n < WINDOW_PAGES ? n : WINDOW_PAGES;
        if (!opts->pages(opts->pages_ctx, start + done, n, st))
            memset(st, VM_GLIBC_PAGE_ABSENT, n);
        for (size_t i = 0; i < n && done < len;) {
            size_t run = 1; /* pages of the same kind: one read for a run of present ones */
            while (i + run < n && (st[i + run] == VM_GLIBC_PAGE_PRESENT) == (st[i] == VM_GLIBC_PAGE_PRESENT))
                run++;
            size_t piece = len - done < run * PAGE ? len - done : run * (size_t)PAGE;
            if (st[i] != VM_GLIBC_PAGE_PRESENT)
                memset(buf + done, 0, piece);
            else if (mem->read(mem->ctx, start + done, buf + done, piece) != piece)
                return done;
            done += piece;
            i += run;
        }
    }
    return done;
}

/* ---- malloc_par ---------------------------------------------------------------------------- */

typedef struct mp_layout {
    size_t n_mmaps;     /* then n_mmaps_max, max_n_mmaps, no_dyn_threshold: 4 bytes each */
    size_t mmapped_mem; /* then max_mmapped_mem, sbrk_base, tcache bins, max_bytes, count */
    bool hugepages;     /* thp_pagesize, hp_pagesize, hp_flags at 40, 48, 56 */
    const char *name;
} mp_layout;

static const mp_layout mp_layouts[] = {
    {60, 80, true, "2.35+"},
    {40, 56, false, "2.26-2.34"},
};
#define MP_BYTES 136 /* read per candidate: the largest layout through tcache_count */

/* 0, or a power of two from a page to 1 GiB (x86-64's largest huge page). */
static bool page_size_ok(uint64_t v)
{
    return v == 0 || (v >= PAGE && v <= (1ull << 30) && (v & (v - 1)) == 0);
}

static bool fits_layout(const uint8_t *p, const mp_layout *l, uint64_t brk_start, uint64_t brk_end,
                        vm_glibc_malloc_par *out)
{
    /* mallopt and the tunables keep mmap_threshold at most HEAP_MAX_SIZE / 2, arena_test and
     * arena_max ints above 0 (arena_max 0: no limit). */
    uint64_t mmap_threshold = le64(p + 16), arena_test = le64(p + 24), arena_max = le64(p + 32);
    if (mmap_threshold > HEAP_MAX_SIZE / 2 || arena_test == 0 || arena_test > UINT32_MAX || arena_max > UINT32_MAX)
        return false;
    if (l->hugepages) {
        uint32_t hp_flags = le32(p + 56); /* MAP_HUGETLB with the page size's log2 << MAP_HUGE_SHIFT */
        if (!page_size_ok(le64(p + 40)) || !page_size_ok(le64(p + 48)) || (hp_flags & ~(0x40000u | 0x3fu << 26)))
            return false;
    }
    int32_t n = (int32_t)le32(p + l->n_mmaps), n_max = (int32_t)le32(p + l->n_mmaps + 4);
    int32_t max_n = (int32_t)le32(p + l->n_mmaps + 8), no_dyn = (int32_t)le32(p + l->n_mmaps + 12);
    if (n < 0 || n_max < 0 || max_n < n || (no_dyn != 0 && no_dyn != 1))
        return false;
    uint64_t mem = le64(p + l->mmapped_mem), max_mem = le64(p + l->mmapped_mem + 8);
    if (mem % PAGE || max_mem % PAGE || max_mem < mem || (n == 0) != (mem == 0) || mem / PAGE < (uint64_t)n ||
        max_mem / PAGE < (uint64_t)max_n)
        return false;
    /* The first brk malloc got: [heap]'s start, when there is one (a [heap] that only the
     * program's own sbrk made would leave it 0: then malloc_par is not found, and said so). */
    uint64_t sbrk_base = le64(p + l->mmapped_mem + 16);
    if (brk_end && (sbrk_base < brk_start || sbrk_base >= brk_end))
        return false;
    /* tcache_bins is 1 + the bin of tcache_max_bytes: from 1 (glibc.malloc.tcache_max=0) to
     * the 64 small bins (2.42: plus 12 large ones). */
    uint64_t tc_bins = le64(p + l->mmapped_mem + 24), tc_max = le64(p + l->mmapped_mem + 32);
    uint64_t tc_count = le64(p + l->mmapped_mem + 40);
    if (tc_bins == 0 || tc_bins > 128 || tc_max > (64u << 20) || tc_count > 0xffff)
        return false;
    out->n_mmaps = (uint64_t)n;
    out->mmapped_mem = mem;
    out->layout = l->name;
    return true;
}

bool vm_glibc_malloc_par_fits(const uint8_t *p, size_t len, uint64_t brk_start, uint64_t brk_end,
                              vm_glibc_malloc_par *out)
{
    if (len < MP_BYTES)
        return false;
    for (size_t i = 0; i < sizeof mp_layouts / sizeof *mp_layouts; i++)
        if (fits_layout(p, &mp_layouts[i], brk_start, brk_end, out))
            return true;
    return false;
}

bool vm_glibc_find_malloc_par(const vm_memreader *mem, const vm_glibc_find_opts *opts, const vm_glibc_range *ranges,
                              size_t nranges, uint64_t symbol, uint64_t brk_start, uint64_t brk_end, vm_glibc_malloc_par *out,
                              vm_snapshot *snap)
{
    memset(out, 0, sizeof *out);
    uint8_t buf[MP_BYTES];
    if (symbol) {
        if (vm_read_exact(mem, symbol, buf, sizeof buf) &&
            vm_glibc_malloc_par_fits(buf, sizeof buf, brk_start, brk_end, out)) {
            out->address = symbol;
            return true;
        }
        vm_snapshot_warn(snap, "heap-chunks", "libc's symbol mp_ (0x%" PRIx64 ") is not a malloc_par of a known "
                         "layout: looking for it by its shape", symbol);
        memset(out, 0, sizeof *out);
    }
    /* One layout at a time, newest first: a place fitting it in an older glibc is no hit. */
    size_t budget = LIBC_DATA_MAX;
    uint8_t *data = NULL;
    for (size_t l = 0; l < sizeof mp_layouts / sizeof *mp_layouts; l++) {
        size_t hits = 0;
        vm_glibc_malloc_par found = {0};
        budget = LIBC_DATA_MAX;
        for (size_t i = 0; i < nranges && budget; i++) {
            const vm_glibc_range *r = &ranges[i];
            if (!r->in_libc_data || !r->r || r->end <= r->start)
                continue;
            size_t len = r->end - r->start > budget ? budget : (size_t)(r->end - r->start);
            budget -= len;
            free(data);
            if (!(data = malloc(len)))
                return false;
            len = vm_glibc_read_present(mem, opts, r->start, data, len);
            for (size_t off = 0; off + MP_BYTES <= len; off += 8) {
                vm_glibc_malloc_par cand;
                if (fits_layout(data + off, &mp_layouts[l], brk_start, brk_end, &cand)) {
                    cand.address = r->start + off;
                    found = cand;
                    hits++;
                }
            }
        }
        if (hits == 1) {
            *out = found;
            break;
        }
        if (hits > 1) {
            vm_snapshot_warn(snap, "heap-chunks", "%zu places in libc's data look like glibc's malloc_par (the "
                             "%s layout): none taken", hits, mp_layouts[l].name);
            break;
        }
    }
    free(data);
    return out->address != 0;
}

/* ---- the probe ----------------------------------------------------------------------------- */

typedef struct prober {
    const vm_memreader *mem;
    const vm_glibc_find_opts *opts;
    vm_glibc_heaps *out;
    uint64_t want_n, want_bytes, have_n, have_bytes;
    const uint64_t (*claimed)[2]; /* the chunks found before the probe, by address */
    size_t nclaimed;
    size_t limit;
    bool limit_hit, done, oom; /* done: no more chunk fits in glibc's count (it may not add up) */
    uint64_t swapped, unknown; /* pages not read: swapped out, or their state not known */
    uint64_t counted_upto;     /* swapped/unknown pages below this were counted already */
    uint8_t state[WINDOW_PAGES];
    uint64_t win_start, win_end;
} prober;

/* The state of the page at a (in r), asking for a new window when a is outside the current. */
static uint8_t page_state(prober *p, const vm_glibc_range *r, uint64_t a)
{
    if (a < p->win_start || a >= p->win_end) {
        uint64_t pages = (r->end - a) / PAGE;
        size_t n = pages < WINDOW_PAGES ? (size_t)pages : WINDOW_PAGES;
        p->win_start = a;
        p->win_end = a + n * PAGE;
        if (!p->opts->pages)
            memset(p->state, VM_GLIBC_PAGE_PRESENT, n);
        else if (!p->opts->pages(p->opts->pages_ctx, a, n, p->state))
            memset(p->state, 0xff, n); /* not known: not read */
    }
    uint8_t s = p->state[(a - p->win_start) / PAGE];
    if (s != VM_GLIBC_PAGE_PRESENT && a >= p->counted_upto) {
        p->counted_upto = a + PAGE;
        if (s == VM_GLIBC_PAGE_SWAPPED)
            p->swapped++;
        else if (s != VM_GLIBC_PAGE_ABSENT)
            p->unknown++;
    }
    return s;
}

/* The first chunk found before the probe that ends after a, or NULL.  (The probe may step back
 * to the end of a chunk it found, so this is a search, not a cursor.) */
static const uint64_t *next_claimed(const prober *p, uint64_t a)
{
    size_t lo = 0, hi = p->nclaimed;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->claimed[mid][1] <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->nclaimed ? p->claimed[lo] : NULL;
}

/* Whether the 16 bytes at a page start a of r head an mmapped chunk glibc may still be missing;
 * its span in *span. */
static bool chunk_at(prober *p, const vm_glibc_range *r, uint64_t a, const uint8_t *hdr, uint64_t *span)
{
    uint64_t prev_size = le64(hdr), head = le64(hdr + 8), size = head & ~SIZE_FLAGS;
    if (prev_size != 0 || (head & SIZE_FLAGS) != IS_MMAPPED || size < PAGE || size % PAGE || size > r->end - a)
        return false;
    if (p->have_n >= p->want_n || size > p->want_bytes - p->have_bytes)
        return false; /* more than glibc's count leaves */
    const uint64_t *c = next_claimed(p, a);
    if (c && c[0] < a + size)
        return false; /* would hold a chunk found already */
    *span = size;
    return true;
}

static void add_chunk(prober *p, uint64_t a, uint64_t span)
{
    vm_glibc_chunk *c = vm_array_push((void **)&p->out->chunks, &p->out->nchunks, sizeof *c);
    if (!c) {
        p->oom = p->done = true;
        return;
    }
    c->address = a;
    c->size = span;
    c->user_size = span - 16;
    p->have_n++;
    p->have_bytes += span;
    p->done = p->have_n >= p->want_n || p->want_bytes - p->have_bytes < PAGE;
}

/* Page starts of r in address order, BATCH headers per read; past a chunk found, on from its end. */
static void probe_range(prober *p, const vm_glibc_range *r)
{
    vm_read_req reqs[BATCH];
    uint8_t hdr[BATCH][16];
    uint64_t pos = r->start;
    while (pos < r->end && !p->done && !p->limit_hit) {
        size_t k = 0;
        uint64_t scan = pos;
        while (k < BATCH && scan < r->end) {
            const uint64_t *c = next_claimed(p, scan);
            if (c && c[0] <= scan) {
                scan = c[1];
                continue;
            }
            if (page_state(p, r, scan) == VM_GLIBC_PAGE_PRESENT) {
                if (p->out->probes >= p->limit) {
                    p->limit_hit = true;
                    break;
                }
                p->out->probes++;
                reqs[k] = (vm_read_req){scan, hdr[k], sizeof hdr[k], 0};
                k++;
            }
            scan += PAGE;
        }
        if (k)
            vm_read_many(p->mem, reqs, k);
        uint64_t next = scan;
        for (size_t j = 0; j < k; j++) {
            uint64_t span;
            if (reqs[j].got == sizeof hdr[j] && chunk_at(p, r, reqs[j].addr, hdr[j], &span)) {
                add_chunk(p, reqs[j].addr, span);
                next = reqs[j].addr + span; /* the headers read past it are read again */
                break;
            }
        }
        pos = next;
    }
}

static int cmp_chunk(const void *a, const void *b)
{
    const vm_glibc_chunk *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

static void say_short(const prober *p, const vm_glibc_heaps *out, vm_snapshot *snap)
{
    char why[320] = "";
    size_t n = 0;
    if (p->swapped)
        n += (size_t)snprintf(why + n, sizeof why - n, "; %" PRIu64 " swapped-out pages were not read", p->swapped);
    if (p->unknown && n < sizeof why)
        n += (size_t)snprintf(why + n, sizeof why - n, "; %" PRIu64 " pages whose residency is unknown were not read",
                              p->unknown);
    if (p->limit_hit && n < sizeof why)
        snprintf(why + n, sizeof why - n, "; the search stopped at its limit of %zu page headers", p->limit);
    vm_snapshot_warn(snap, "heap-chunks", "glibc counts %" PRIu64 " mmapped chunks of %" PRIu64 " bytes (malloc_par at "
                     "0x%" PRIx64 "); vmmap found %" PRIu64 " of %" PRIu64 " bytes%s", out->n_mmaps, out->mmapped_mem,
                     out->malloc_par, p->have_n, p->have_bytes, why);
}

bool vm_glibc_complete_chunks(const vm_memreader *mem, const vm_glibc_range *ranges, size_t nranges,
                              const bool *eligible, const vm_glibc_find_opts *opts, const vm_glibc_malloc_par *mp,
                              vm_glibc_heaps *out, vm_snapshot *snap)
{
    static const vm_glibc_find_opts none = {0};
    opts = opts ? opts : &none;
    /* Worth a word only where glibc's malloc is: libc is mapped, or chunks were found (a static
     * program); not in every process with anonymous memory. */
    bool any_eligible = false, libc = false;
    for (size_t i = 0; i < nranges; i++) {
        any_eligible |= eligible[i];
        libc |= ranges[i].in_libc_data;
    }
    if (out->nchunks > 1)
        qsort(out->chunks, out->nchunks, sizeof *out->chunks, cmp_chunk);
    if (!mp) {
        if ((libc && any_eligible) || out->nchunks)
            vm_snapshot_warn(snap, "heap-chunks", "glibc's malloc_par (mp_) was not found in libc's data: mmapped "
                             "chunks inside merged mappings (not at a mapping's start) may be missed");
        return true;
    }
    out->malloc_par = mp->address;
    out->n_mmaps = mp->n_mmaps;
    out->mmapped_mem = mp->mmapped_mem;

    prober p = {.mem = mem, .opts = opts, .out = out, .want_n = mp->n_mmaps, .want_bytes = mp->mmapped_mem};
    for (size_t i = 0; i < out->nchunks; i++) {
        p.have_n++;
        p.have_bytes += out->chunks[i].size;
    }
    if (p.have_n == p.want_n && p.have_bytes == p.want_bytes)
        return true; /* the usual case: nothing to look for */
    if (p.have_n > p.want_n || p.have_bytes > p.want_bytes) {
        vm_snapshot_warn(snap, "heap-chunks", "vmmap found %" PRIu64 " mmapped chunks of %" PRIu64 " bytes at mapping "
                         "starts, glibc counts %" PRIu64 " of %" PRIu64 " (malloc_par at 0x%" PRIx64 "): the process "
                         "changed them while it was read, or some are not chunks", p.have_n, p.have_bytes,
                         p.want_n, p.want_bytes, mp->address);
        return true;
    }
    uint64_t(*claimed)[2] = malloc((out->nchunks ? out->nchunks : 1) * sizeof *claimed);
    if (!claimed)
        return false;
    for (size_t i = 0; i < out->nchunks; i++) {
        claimed[i][0] = out->chunks[i].address;
        claimed[i][1] = out->chunks[i].address + out->chunks[i].size;
    }
    p.claimed = (const uint64_t(*)[2])claimed;
    p.nclaimed = out->nchunks;
    p.limit = opts->probe_limit ? opts->probe_limit : VM_GLIBC_PROBE_LIMIT;
    for (size_t i = 0; i < nranges && !p.done && !p.limit_hit; i++)
        if (eligible[i] && ranges[i].start % PAGE == 0 && ranges[i].end % PAGE == 0 && ranges[i].start < ranges[i].end)
            probe_range(&p, &ranges[i]);
    free(claimed);
    if (p.oom)
        return false;
    if (out->nchunks > 1)
        qsort(out->chunks, out->nchunks, sizeof *out->chunks, cmp_chunk);
    if (p.have_n != p.want_n || p.have_bytes != p.want_bytes)
        say_short(&p, out, snap);
    return true;
}
