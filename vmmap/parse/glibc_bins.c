/* Which chunks glibc holds in lists although they look busy in a heap walk: every arena's
 * fastbins and every thread's tcache (glibc_blocks.h).  Also reads each arena's malloc_state.
 *
 * All lists are followed in lockstep, one batched read (vm_read_many) per step of every list at
 * once, so a live target costs a few system calls per list length, not one per chunk.  Every
 * link is checked (aligned, inside the arenas' memory, pointing at a chunk of the list's size)
 * and every list is bounded: a tcache bin by its count, a fastbin by cycle detection and by the
 * number of chunks the arenas' memory can hold. */
#include "glibc_walk_impl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

const gw_mstate_layout gw_layouts[2] = {
    {0x10, 0x60, 0x888, 0x898}, /* 2.27 .. 2.42 */
    {0x08, 0x58, 0x880, 0x890}, /* 2.26 */
};

#define WARN_LIMIT 16
#define TLS_SCAN_MAX (64 * 1024) /* bytes of one TLS range read */

static const char *const warn_code[GW_W_KINDS] = {"read-failed", "heap-invalid"};

void gw_warn(vm_glibc_walker *w, int kind, const char *fmt, ...)
{
    if (!w->snap || w->warned[kind] > WARN_LIMIT)
        return;
    if (w->warned[kind]++ == WARN_LIMIT) {
        vm_snapshot_warn(w->snap, warn_code[kind], "further %s warnings of the heap walk suppressed",
                         warn_code[kind]);
        return;
    }
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vm_snapshot_warn(w->snap, warn_code[kind], "%s", msg);
}

bool gw_in_spans(const vm_glibc_walker *w, uint64_t addr, uint64_t len)
{
    size_t lo = 0, hi = w->nspans;
    while (lo < hi) { /* first span ending after addr */
        size_t mid = lo + (hi - lo) / 2;
        if (w->spans[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->nspans && w->spans[lo].start <= addr && len <= w->spans[lo].end - addr;
}

/* ---- spans and malloc_states --------------------------------------------------------------- */

static int cmp_span(const void *a, const void *b)
{
    const gw_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static bool is_arena_kind(const vm_glibc_heap_desc *h)
{
    return h->kind == VM_GLIBC_MAIN_ARENA || h->kind == VM_GLIBC_ARENA;
}

/* The arenas' memory; overlapping parts (a hostile snapshot) are merged. */
static bool build_spans(vm_glibc_walker *w)
{
    for (size_t i = 0; i < w->nheaps; i++) {
        const vm_glibc_heap_desc *h = &w->heaps[i];
        if (!is_arena_kind(h))
            continue;
        for (size_t j = 0; j < h->nparts; j++) {
            const vm_glibc_part *p = &h->parts[j];
            if (p->size == 0 || p->address + p->size < p->address)
                continue;
            gw_span *s = vm_array_push((void **)&w->spans, &w->nspans, sizeof *s);
            if (!s)
                return false;
            *s = (gw_span){p->address, p->address + p->size};
        }
    }
    if (w->nspans > 1)
        qsort(w->spans, w->nspans, sizeof *w->spans, cmp_span);
    size_t k = 0;
    for (size_t i = 0; i < w->nspans; i++) {
        if (k && w->spans[i].start <= w->spans[k - 1].end) {
            if (w->spans[i].end > w->spans[k - 1].end)
                w->spans[k - 1].end = w->spans[i].end;
        } else {
            w->spans[k++] = w->spans[i];
        }
    }
    w->nspans = k;
    return true;
}

static bool in_parts(const vm_glibc_heap_desc *h, uint64_t addr)
{
    for (size_t j = 0; j < h->nparts; j++)
        if (addr >= h->parts[j].address && addr - h->parts[j].address < h->parts[j].size)
            return true;
    return false;
}

/* Reads one malloc_state; valid under the first layout whose top is its own unsorted bin header
 * (never allocated) or an aligned address inside the arena's heaps. */
static void read_arena(vm_glibc_walker *w, gw_arena *a)
{
    const vm_glibc_heap_desc *h = &w->heaps[a->heap];
    uint8_t ms[0x898];
    size_t got = w->mem->read(w->mem->ctx, a->address, ms, sizeof ms);
    if (got < gw_layouts[1].size) {
        gw_warn(w, GW_W_READ, "cannot read the malloc_state of arena 0x%" PRIx64, a->address);
        return;
    }
    for (int l = 0; l < 2 && !a->valid; l++) {
        const gw_mstate_layout *L = &gw_layouts[l];
        if (got < L->size)
            continue;
        uint64_t top = gw_le64(ms + L->top);
        bool pristine = top == a->address + L->top;
        if (!pristine && (top % GW_ALIGN || !in_parts(h, top)))
            continue;
        a->valid = true;
        a->layout = l;
        a->top = top;
        a->pristine = pristine;
        a->system_mem = gw_le64(ms + L->system_mem);
        a->system_mem_known = true;
        for (int i = 0; i < GW_NFASTBINS; i++)
            a->fast[i] = gw_le64(ms + L->fastbins + 8u * (unsigned)i);
    }
    if (!a->valid)
        gw_warn(w, GW_W_HEAP, "arena 0x%" PRIx64 ": top 0x%" PRIx64 " lies outside its heaps: not walked",
                a->address, gw_le64(ms + gw_layouts[0].top));
}

static bool read_arenas(vm_glibc_walker *w)
{
    w->arena_of = malloc((w->nheaps ? w->nheaps : 1) * sizeof *w->arena_of);
    if (!w->arena_of)
        return false;
    for (size_t i = 0; i < w->nheaps; i++) {
        w->arena_of[i] = SIZE_MAX;
        if (!is_arena_kind(&w->heaps[i]) || w->heaps[i].arena == 0)
            continue;
        gw_arena *a = vm_array_push((void **)&w->arenas, &w->narenas, sizeof *a);
        if (!a)
            return false;
        a->heap = i;
        a->address = w->heaps[i].arena;
        w->arena_of[i] = w->narenas - 1;
        read_arena(w, a);
    }
    return true;
}

/* ---- marks --------------------------------------------------------------------------------- */

static void add_mark(vm_glibc_walker *w, uint64_t chunk, uint64_t tag)
{
    if (w->nmarks >= GW_MARKS_MAX) {
        if (!w->marks_full)
            gw_warn(w, GW_W_HEAP, "more than %zu chunks in fastbins and tcaches: the rest are counted busy",
                    (size_t)GW_MARKS_MAX);
        w->marks_full = true;
        return;
    }
    uint64_t *m = vm_array_push((void **)&w->marks, &w->nmarks, sizeof *m);
    if (!m) {
        w->oom = true;
        return;
    }
    *m = chunk | tag;
    if (tag == GW_MARK_FAST)
        w->nfast_marks++;
    else
        w->ntcache_marks++;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A chunk in two lists is corrupt (or a list changed while it was read): keep one. */
static void sort_marks(vm_glibc_walker *w)
{
    if (w->nmarks > 1)
        qsort(w->marks, w->nmarks, sizeof *w->marks, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < w->nmarks; i++) {
        if (k && (w->marks[k - 1] & ~GW_MARK_TAGS) == (w->marks[i] & ~GW_MARK_TAGS)) {
            gw_warn(w, GW_W_HEAP, "chunk 0x%" PRIx64 " is in more than one free list",
                    w->marks[i] & ~GW_MARK_TAGS);
            continue;
        }
        w->marks[k++] = w->marks[i];
    }
    w->nmarks = k;
}

uint64_t gw_mark_of(const vm_glibc_walker *w, uint64_t addr, size_t *cursor)
{
    size_t i = *cursor;
    if (i > w->nmarks || (i > 0 && (w->marks[i - 1] & ~GW_MARK_TAGS) >= addr)) {
        size_t lo = 0, hi = w->nmarks; /* not ascending from the last lookup: search */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if ((w->marks[mid] & ~GW_MARK_TAGS) < addr)
                lo = mid + 1;
            else
                hi = mid;
        }
        i = lo;
    }
    while (i < w->nmarks && (w->marks[i] & ~GW_MARK_TAGS) < addr)
        i++;
    *cursor = i;
    return i < w->nmarks && (w->marks[i] & ~GW_MARK_TAGS) == addr ? w->marks[i] & GW_MARK_TAGS : 0;
}

/* ---- lists --------------------------------------------------------------------------------- */

/* One list being followed: a fastbin (chunk pointers, NULL-terminated) or a tcache bin (user
 * pointers, as many as its count). */
typedef struct cursor {
    uint64_t chunk;       /* current node */
    uint64_t size;        /* every node's chunk size */
    uint64_t left;        /* tcache: nodes still expected; fastbin: UINT64_MAX */
    uint64_t owner;       /* arena or tcache address, for messages */
    uint64_t tortoise;    /* Brent's cycle detection */
    uint64_t steps, power;
    int bin;
    bool tcache;
    bool done;
    uint8_t raw[16];      /* size field and link of the current node */
} cursor;

static uint64_t reveal(const vm_glibc_walker *w, uint64_t link_pos, uint64_t stored)
{
    return w->mangled ? stored ^ (link_pos >> 12) : stored;
}

/* The node a decoded link leads to, as a chunk address; 0 for the end of the list. */
static uint64_t link_target(const cursor *c, uint64_t ptr)
{
    if (ptr == 0)
        return 0;
    return c->tcache ? ptr - GW_HDR : ptr;
}

static const char *list_name(const cursor *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s %d of %s 0x%" PRIx64, c->tcache ? "tcache bin" : "fastbin", c->bin,
             c->tcache ? "tcache" : "arena", c->owner);
    return buf;
}

static bool valid_node(const vm_glibc_walker *w, uint64_t chunk)
{
    return chunk % GW_ALIGN == 0 && gw_in_spans(w, chunk, GW_MINSIZE);
}

/* Checks the current node (its raw bytes read), marks it and moves to the next. */
static void step(vm_glibc_walker *w, cursor *c, size_t got)
{
    char name[96];
    if (got < sizeof c->raw) {
        gw_warn(w, GW_W_READ, "%s: cannot read the chunk at 0x%" PRIx64, list_name(c, name, sizeof name),
                c->chunk);
        c->done = true;
        return;
    }
    uint64_t size = gw_le64(c->raw) & ~GW_FLAGS;
    if (size != c->size || (gw_le64(c->raw) & GW_IS_MMAPPED)) {
        gw_warn(w, GW_W_HEAP, "%s: chunk 0x%" PRIx64 " has size 0x%" PRIx64 ", not the bin's 0x%" PRIx64,
                list_name(c, name, sizeof name), c->chunk, gw_le64(c->raw), c->size);
        c->done = true;
        return;
    }
    add_mark(w, c->chunk, c->tcache ? GW_MARK_TCACHE : GW_MARK_FAST);
    uint64_t next = link_target(c, reveal(w, c->chunk + GW_HDR, gw_le64(c->raw + 8)));
    if (c->tcache && --c->left == 0) {
        if (next != 0)
            gw_warn(w, GW_W_HEAP, "%s: the list goes on past its count", list_name(c, name, sizeof name));
        c->done = true;
        return;
    }
    if (next == 0) {
        if (c->tcache)
            gw_warn(w, GW_W_HEAP, "%s: the list ends %" PRIu64 " chunks before its count",
                    list_name(c, name, sizeof name), c->left);
        c->done = true;
        return;
    }
    if (!valid_node(w, next)) {
        gw_warn(w, GW_W_HEAP, "%s: bad link 0x%" PRIx64 " after chunk 0x%" PRIx64, list_name(c, name, sizeof name),
                next, c->chunk);
        c->done = true;
        return;
    }
    if (next == c->tortoise) {
        gw_warn(w, GW_W_HEAP, "%s: the list loops", list_name(c, name, sizeof name));
        c->done = true;
        return;
    }
    if (++c->steps == c->power) {
        c->tortoise = next;
        c->power *= 2;
    }
    c->chunk = next;
}

/* Follows every list at once: each round reads the current node of every list still going. */
static void follow(vm_glibc_walker *w, cursor *cs, size_t n)
{
    vm_read_req *reqs = malloc((n ? n : 1) * sizeof *reqs);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!reqs || !idx) {
        w->oom = true;
        free(reqs);
        free(idx);
        return;
    }
    /* Each round marks one chunk per live list; the arenas' memory holds at most span / 32
     * chunks, so a longer list repeats itself (Brent's check finds most such loops sooner). */
    uint64_t limit = 0;
    for (size_t i = 0; i < w->nspans; i++)
        limit += (w->spans[i].end - w->spans[i].start) / GW_MINSIZE;
    for (uint64_t round = 0; round <= limit && !w->oom && !w->marks_full; round++) {
        size_t live = 0;
        for (size_t i = 0; i < n; i++)
            if (!cs[i].done) {
                reqs[live] = (vm_read_req){cs[i].chunk + 8, cs[i].raw, sizeof cs[i].raw, 0};
                idx[live++] = i;
            }
        if (live == 0)
            break;
        vm_read_many(w->mem, reqs, live);
        for (size_t k = 0; k < live; k++)
            step(w, &cs[idx[k]], reqs[k].got);
    }
    free(reqs);
    free(idx);
}

/* ---- tcaches ------------------------------------------------------------------------------- */

/* tcache_perthread_struct: 2.30+ uint16_t counts[64] then entries[64] (a 0x290 chunk); 2.26 ..
 * 2.29 char counts[64] (0x250). */
typedef struct tcache_view {
    uint64_t counts[GW_TCACHE_BINS];
    uint64_t entries[GW_TCACHE_BINS];
} tcache_view;

#define TCACHE_CHUNK_NEW 0x290ull
#define TCACHE_CHUNK_OLD 0x250ull
#define TCACHE_READ (TCACHE_CHUNK_NEW + GW_HDR) /* header, body, next chunk's header */

static uint64_t tcache_bin_size(int i)
{
    return GW_MINSIZE + GW_ALIGN * (uint64_t)i;
}

/* Reads the counts and entries out of a chunk (buf from its header); false unless they agree:
 * an empty bin has no entry, a non-empty one an aligned entry inside the arenas. */
static bool parse_tcache(const vm_glibc_walker *w, const uint8_t *buf, size_t len, tcache_view *t)
{
    if (len < GW_HDR)
        return false;
    uint64_t size = gw_le64(buf + 8) & ~GW_FLAGS;
    bool wide = size == TCACHE_CHUNK_NEW;
    if ((!wide && size != TCACHE_CHUNK_OLD) || (gw_le64(buf + 8) & GW_IS_MMAPPED) || len < size)
        return false;
    const uint8_t *body = buf + GW_HDR;
    const uint8_t *entries = body + (wide ? 2 : 1) * GW_TCACHE_BINS;
    for (int i = 0; i < GW_TCACHE_BINS; i++) {
        t->counts[i] = wide ? gw_le16(body + 2 * i) : body[i];
        t->entries[i] = gw_le64(entries + 8 * i);
        if ((t->counts[i] == 0) != (t->entries[i] == 0))
            return false;
        if (t->entries[i] && (t->entries[i] % GW_ALIGN || !gw_in_spans(w, t->entries[i] - GW_HDR, GW_MINSIZE)))
            return false;
    }
    return true;
}

bool gw_looks_like_tcache(const vm_glibc_walker *w, uint64_t chunk, const uint8_t *buf, size_t len)
{
    tcache_view t;
    if (!parse_tcache(w, buf, len, &t))
        return false;
    for (int i = 0; i < GW_TCACHE_BINS; i++)
        if (t.counts[i])
            return true;
    return false;
}

bool gw_is_known_tcache(const vm_glibc_walker *w, uint64_t chunk)
{
    return w->ntcaches && bsearch(&chunk, w->tcaches, w->ntcaches, sizeof *w->tcaches, cmp_u64) != NULL;
}

static bool push_u64(uint64_t **arr, size_t *n, uint64_t v)
{
    uint64_t *slot = vm_array_push((void **)arr, n, sizeof *slot);
    if (slot)
        *slot = v;
    return slot != NULL;
}

/* Candidate tcache chunks: the first chunk of each arena (its first thread's tcache), and every
 * aligned word of the TLS ranges that points into the arenas' memory. */
static bool tcache_candidates(vm_glibc_walker *w, uint64_t **out, size_t *n)
{
    for (size_t i = 0; i < w->narenas; i++) {
        const gw_arena *a = &w->arenas[i];
        const vm_glibc_heap_desc *h = &w->heaps[a->heap];
        if (!a->valid || h->nparts == 0)
            continue;
        uint64_t first = h->kind == VM_GLIBC_MAIN_ARENA
                             ? h->parts[0].address
                             : (a->address + gw_layouts[a->layout].size + GW_ALIGN - 1) & ~(GW_ALIGN - 1);
        if (!push_u64(out, n, first))
            return false;
    }
    uint8_t *buf = malloc(TLS_SCAN_MAX);
    if (!buf)
        return false;
    for (size_t r = 0; r < w->opt.ntls; r++) {
        const vm_glibc_tls_range *t = &w->opt.tls[r];
        if (t->end <= t->start)
            continue;
        uint64_t start = t->end - t->start > TLS_SCAN_MAX ? t->end - TLS_SCAN_MAX : t->start;
        start &= ~7ull;
        size_t got = w->mem->read(w->mem->ctx, start, buf, (size_t)(t->end - start));
        for (size_t off = 0; off + 8 <= got; off += 8) {
            uint64_t v = gw_le64(buf + off);
            if (v % GW_ALIGN == 0 && v >= GW_HDR && gw_in_spans(w, v - GW_HDR, TCACHE_CHUNK_NEW) &&
                !push_u64(out, n, v - GW_HDR)) {
                free(buf);
                return false;
            }
        }
    }
    free(buf);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (k == 0 || (*out)[k - 1] != (*out)[i])
            (*out)[k++] = (*out)[i];
    *n = k;
    return true;
}

/* Validates the candidates (a chunk of a tcache's size, in use, with consistent bins) and sets a
 * cursor going on each of their non-empty bins. */
static bool find_tcaches(vm_glibc_walker *w, cursor **cs, size_t *ncs)
{
    uint64_t *cand = NULL;
    size_t n = 0;
    if (!tcache_candidates(w, &cand, &n)) {
        free(cand);
        return false;
    }
    uint8_t *bufs = n ? malloc(n * TCACHE_READ) : NULL;
    vm_read_req *reqs = n ? malloc(n * sizeof *reqs) : NULL;
    bool ok = n == 0 || (bufs && reqs);
    if (ok) {
        for (size_t i = 0; i < n; i++)
            reqs[i] = (vm_read_req){cand[i], bufs + i * TCACHE_READ, TCACHE_READ, 0};
        vm_read_many(w->mem, reqs, n);
    }
    for (size_t i = 0; ok && i < n; i++) {
        const uint8_t *b = bufs + i * TCACHE_READ;
        tcache_view t;
        if (!parse_tcache(w, b, reqs[i].got, &t))
            continue;
        uint64_t size = gw_le64(b + 8) & ~GW_FLAGS;
        if (reqs[i].got < size + GW_HDR || !(gw_le64(b + size + 8) & GW_PREV_INUSE))
            continue; /* freed (an exited thread's): no longer a tcache */
        ok = push_u64(&w->tcaches, &w->ntcaches, cand[i]);
        for (int bin = 0; ok && bin < GW_TCACHE_BINS; bin++) {
            if (!t.counts[bin])
                continue;
            cursor *c = vm_array_push((void **)cs, ncs, sizeof *c);
            ok = c != NULL;
            if (ok)
                *c = (cursor){.chunk = t.entries[bin] - GW_HDR, .size = tcache_bin_size(bin), .left = t.counts[bin],
                              .owner = cand[i] + GW_HDR, .steps = 0, .power = 1, .bin = bin, .tcache = true};
        }
    }
    free(bufs);
    free(reqs);
    free(cand);
    return ok;
}

static bool fastbin_cursors(vm_glibc_walker *w, cursor **cs, size_t *ncs)
{
    for (size_t i = 0; i < w->narenas; i++) {
        const gw_arena *a = &w->arenas[i];
        for (int bin = 0; a->valid && bin < GW_NFASTBINS; bin++) {
            uint64_t p = a->fast[bin];
            if (p == 0)
                continue;
            if (!valid_node(w, p)) {
                gw_warn(w, GW_W_HEAP, "fastbin %d of arena 0x%" PRIx64 ": bad head 0x%" PRIx64, bin, a->address, p);
                continue;
            }
            cursor *c = vm_array_push((void **)cs, ncs, sizeof *c);
            if (!c)
                return false;
            *c = (cursor){.chunk = p, .size = GW_MINSIZE + GW_ALIGN * (uint64_t)bin, .left = UINT64_MAX,
                          .owner = a->address, .power = 1, .bin = bin};
        }
    }
    return true;
}

/* ---- safe-linking -------------------------------------------------------------------------- */

/* Whether a decoded first link fits its list: the end where the list should end, else a node. */
static bool link_fits(const vm_glibc_walker *w, const cursor *c, uint64_t ptr)
{
    bool last = c->tcache && c->left == 1;
    if (ptr == 0)
        return !c->tcache || last;
    if (last)
        return false;
    uint64_t chunk = link_target(c, ptr);
    return chunk <= ptr && valid_node(w, chunk);
}

/* Safe-linking or not: each list's first link votes for the reading under which it fits. */
static void vote_mangling(vm_glibc_walker *w, cursor *cs, size_t n)
{
    vm_read_req *reqs = malloc((n ? n : 1) * sizeof *reqs);
    if (!reqs) {
        w->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        reqs[i] = (vm_read_req){cs[i].chunk + 8, cs[i].raw, sizeof cs[i].raw, 0};
    vm_read_many(w->mem, reqs, n);
    size_t plain = 0, mangled = 0;
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].got < sizeof cs[i].raw)
            continue;
        uint64_t stored = gw_le64(cs[i].raw + 8);
        bool p = link_fits(w, &cs[i], stored);
        bool m = link_fits(w, &cs[i], stored ^ ((cs[i].chunk + GW_HDR) >> 12));
        plain += p && !m;
        mangled += m && !p;
    }
    free(reqs);
    /* No evidence either way (no list longer than... nothing to decode): today's glibc. */
    w->mangled = mangled >= plain;
    if (mangled && plain)
        gw_warn(w, GW_W_HEAP, "free lists disagree on safe-linking (%zu lists mangled, %zu plain): read as %s",
                mangled, plain, w->mangled ? "mangled" : "plain");
}

bool gw_prepare(vm_glibc_walker *w)
{
    if (!build_spans(w) || !read_arenas(w))
        return false;
    cursor *cs = NULL;
    size_t n = 0;
    bool ok = find_tcaches(w, &cs, &n) && fastbin_cursors(w, &cs, &n);
    if (ok && n) {
        vote_mangling(w, cs, n);
        if (!w->oom)
            follow(w, cs, n);
    }
    free(cs);
    if (w->ntcaches > 1)
        qsort(w->tcaches, w->ntcaches, sizeof *w->tcaches, cmp_u64);
    sort_marks(w);
    return ok && !w->oom;
}
