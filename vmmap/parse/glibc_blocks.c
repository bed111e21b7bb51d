/* The chunk walk of glibc_blocks.h: each heap part read in large windows, chunk after chunk, each
 * chunk's state decided by its successor's PREV_INUSE bit and by the lists read beforehand
 * (glibc_bins.c). */
#include "glibc_walk_impl.h"
#include "read_ahead.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WINDOW ((size_t)1 << 20)
#define HEAP_INFO_OLD 0x20ull /* sizeof(heap_info) up to 2.34 */
#define HEAP_INFO_NEW 0x30ull /* 2.35+ */

vm_glibc_walker *vm_glibc_walker_new(const vm_memreader *mem, const vm_glibc_heap_desc *heaps, size_t nheaps,
                                     const vm_glibc_walk_opts *opts, vm_snapshot *snap)
{
    vm_glibc_walker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->mem = mem;
    w->snap = snap;
    w->heaps = heaps;
    w->nheaps = nheaps;
    if (opts)
        w->opt = *opts;
    w->window = w->opt.window >= VM_READ_AHEAD_SLACK ? w->opt.window : DEFAULT_WINDOW;
    if (!gw_prepare(w) || !(w->ra = vm_read_ahead_new(mem, w->window, w->opt.read_ahead))) {
        vm_glibc_walker_free(w);
        return NULL;
    }
    return w;
}

void vm_glibc_walker_free(vm_glibc_walker *w)
{
    if (!w)
        return;
    free(w->spans);
    free(w->arenas);
    free(w->arena_of);
    free(w->marks);
    free(w->tcaches);
    vm_read_ahead_free(w->ra);
    free(w);
}

void vm_glibc_walker_facts_get(const vm_glibc_walker *w, vm_glibc_walker_facts *out)
{
    out->mangled = w->mangled;
    out->tcaches = w->ntcaches;
    out->tcache_chunks = w->ntcache_marks;
    out->fastbin_chunks = w->nfast_marks;
}

/* ---- one walk ------------------------------------------------------------------------------ */

typedef struct walk {
    vm_glibc_walker *w;
    const vm_glibc_heap_desc *h;
    const gw_arena *a;
    vm_hblock_visit visit;
    void *ctx;
    const uint8_t *wdata; /* the window holds [wbase, wbase + wlen) at wdata */
    uint64_t wbase;
    size_t wlen;
    size_t cursor;        /* into w->marks */
    bool stopped;         /* the visitor said stop */
    bool partial;
    char *note;
    size_t notelen;
} walk;

VM_PRINTF(2, 3) static void note(walk *k, const char *fmt, ...)
{
    k->partial = true;
    if (!k->note || !k->notelen)
        return;
    size_t used = strlen(k->note);
    if (used + 3 >= k->notelen)
        return;
    if (used)
        used += (size_t)snprintf(k->note + used, k->notelen - used, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->note + used, k->notelen - used, fmt, ap);
    va_end(ap);
}

/* [addr, addr + len) from the window, refilled from addr (up to limit) when not in it; NULL when
 * the target does not have those bytes. */
static const uint8_t *peek(walk *k, uint64_t addr, size_t len, uint64_t limit)
{
    const uint8_t *p = vm_read_ahead_get(k->w->ra, addr, len, limit);
    if (p)
        k->wdata = vm_read_ahead_window(k->w->ra, &k->wbase, &k->wlen);
    else
        k->wlen = 0;
    return p;
}

static inline void progress(walk *k, uint64_t bytes)
{
    vm_walk_progress_add(k->w->opt.progress, bytes);
}

/* [addr, addr + len) when the window holds it, else NULL (the walk's fast path, no refill). */
static inline const uint8_t *in_window(const walk *k, uint64_t addr, size_t len)
{
    uint64_t off = addr - k->wbase;
    return addr >= k->wbase && off <= k->wlen && len <= k->wlen - off ? k->wdata + off : NULL;
}

static inline bool emit(walk *k, uint64_t address, uint64_t size, vm_hblock_state state, uint64_t user_off,
                        uint64_t user_size)
{
    if (size == 0)
        return true;
    vm_hblock b = {.address = address, .size = size, .state = state, .heap_id = k->h->heap_id};
    if (state != VM_HBLOCK_OVERHEAD) {
        b.user = address + user_off;
        b.user_size = user_size;
        /* The window holds the block whole unless it is big or straddles the window's end. */
        b.bytes = user_size <= SIZE_MAX ? in_window(k, b.user, (size_t)user_size) : NULL;
    }
    if (!k->visit(k->ctx, &b)) {
        k->stopped = true;
        return false;
    }
    return true;
}

static inline bool emit_chunk(walk *k, uint64_t pos, uint64_t size, vm_hblock_state state)
{
    return emit(k, pos, size, state, GW_HDR, size - 8); /* usable: up to the next chunk's size field */
}

/* The state of a chunk whose successor says it is in use: listed (fastbin, tcache) or busy. */
static inline vm_hblock_state listed_state(walk *k, uint64_t pos)
{
    uint64_t tag = gw_mark_at(k->w, pos, &k->cursor);
    return tag == GW_MARK_FAST ? VM_HBLOCK_FREE : tag == GW_MARK_TCACHE ? VM_HBLOCK_CACHED : VM_HBLOCK_BUSY;
}

/* A busy chunk of a tcache's size that the preparation did not find as one: a thread's tcache
 * vmmap could not reach, whose blocks are counted busy.  Said once per walker. */
static void check_unknown_tcache(walk *k, uint64_t pos, uint64_t size, uint64_t end)
{
    if ((size != 0x290 && size != 0x250) || gw_is_known_tcache(k->w, pos))
        return;
    const uint8_t *body = peek(k, pos, (size_t)size, end);
    if (!body || !gw_looks_like_tcache(k->w, pos, body, (size_t)size))
        return;
    gw_warn(k->w, GW_W_HEAP,
            "heap %d: chunk 0x%" PRIx64 " looks like a thread's tcache that was not found through the "
            "threads: its blocks are counted busy, not cached", (int)k->h->heap_id, pos);
    note(k, "a tcache at 0x%" PRIx64 " was found only during the walk: its blocks counted busy", pos);
}

/* Walks the chunks of [start, end).  top: the arena's top chunk when it lies in this range (the
 * walk must meet it exactly and ends with it), else 0 (the range then ends in fence posts).
 * what: the part's name for messages. */
static void walk_chunks(walk *k, uint64_t start, uint64_t end, uint64_t top, const char *what)
{
    uint64_t pos = start;
    while (pos < end && !k->stopped) {
        const uint8_t *hdr = in_window(k, pos, GW_HDR);
        if (!hdr)
            hdr = peek(k, pos, GW_HDR, end);
        if (!hdr) {
            gw_warn(k->w, GW_W_READ, "heap %d, %s: cannot read the chunk at 0x%" PRIx64, (int)k->h->heap_id, what, pos);
            note(k, "%s: unreadable at 0x%" PRIx64 ", %" PRIu64 " bytes not counted", what, pos, end - pos);
            return;
        }
        uint64_t raw = gw_le64(hdr + 8), size = raw & ~GW_FLAGS;
        if (pos == top) {
            if (size < GW_MINSIZE || size % GW_ALIGN || size > end - pos) {
                gw_warn(k->w, GW_W_HEAP, "heap %d, %s: top chunk 0x%" PRIx64 " has size field 0x%" PRIx64,
                        (int)k->h->heap_id, what, pos, raw);
                note(k, "%s: bad top chunk at 0x%" PRIx64 ", %" PRIu64 " bytes not counted", what, pos, end - pos);
                return;
            }
            emit_chunk(k, pos, size, VM_HBLOCK_FREE);
            progress(k, size);
            if (pos + size != end && !k->stopped) {
                gw_warn(k->w, GW_W_HEAP, "heap %d, %s: the top chunk ends at 0x%" PRIx64 ", the heap at 0x%" PRIx64,
                        (int)k->h->heap_id, what, pos + size, end);
                note(k, "%s: %" PRIu64 " bytes after the top chunk not counted", what, end - pos - size);
            }
            return;
        }
        if (size == 0 && !top) { /* the last fence post: the end of a heap the top left */
            emit(k, pos, end - pos, VM_HBLOCK_OVERHEAD, 0, 0);
            progress(k, end - pos);
            return;
        }
        if (size == GW_HDR) { /* a fence post (or an old top too small to free) */
            emit(k, pos, GW_HDR, VM_HBLOCK_OVERHEAD, 0, 0);
            progress(k, GW_HDR);
            pos += GW_HDR;
            continue;
        }
        if ((raw & GW_IS_MMAPPED) || size < GW_MINSIZE || size % GW_ALIGN || size > end - pos ||
            (top > pos && size > top - pos)) {
            gw_warn(k->w, GW_W_HEAP, "heap %d, %s: chunk 0x%" PRIx64 " has size field 0x%" PRIx64 ": walk stopped",
                    (int)k->h->heap_id, what, pos, raw);
            note(k, "%s: chunk 0x%" PRIx64 " has size 0x%" PRIx64 ": walk stopped, %" PRIu64 " bytes not counted",
                 what, pos, raw, end - pos);
            return;
        }
        uint64_t next = pos + size;
        vm_hblock_state state;
        const uint8_t *nh = next < end ? in_window(k, next, GW_HDR) : NULL;
        if (!nh && next < end)
            nh = peek(k, next, GW_HDR, end);
        if (!nh) {
            /* Only fence posts or the top chunk end a heap: a chunk running to the end is a heap
             * that changed while it was read, or a hostile one. */
            gw_warn(k->w, GW_W_HEAP, "heap %d, %s: chunk 0x%" PRIx64 " runs to the end of the heap",
                    (int)k->h->heap_id, what, pos);
            note(k, "%s: the last chunk (0x%" PRIx64 ") has no successor: counted busy", what, pos);
            state = VM_HBLOCK_BUSY;
        } else if (!(gw_le64(nh + 8) & GW_PREV_INUSE)) {
            state = VM_HBLOCK_FREE;
        } else {
            state = listed_state(k, pos);
        }
        if (state == VM_HBLOCK_BUSY && (size == 0x290 || size == 0x250))
            check_unknown_tcache(k, pos, size, end);
        if (!emit_chunk(k, pos, size, state))
            return;
        progress(k, size);
        pos = next;
    }
}

/* ---- the three kinds ----------------------------------------------------------------------- */

static uint64_t align_up(uint64_t v)
{
    return (v + GW_ALIGN - 1) & ~(GW_ALIGN - 1);
}

static void walk_main(walk *k)
{
    const gw_arena *a = k->a;
    if (a->pristine)
        return; /* never allocated: no chunks */
    if (k->h->nparts == 0) {
        note(k, "the main arena's top chunk 0x%" PRIx64 " is in no brk heap: not walked", a->top);
        return;
    }
    const vm_glibc_part *p = &k->h->parts[0];
    uint64_t end = p->address + p->size;
    if (a->top < p->address || a->top >= end) {
        gw_warn(k->w, GW_W_HEAP, "main arena: top chunk 0x%" PRIx64 " is outside [heap]: the arena is not contiguous",
                a->top);
        note(k, "the main arena extends beyond [heap] (top 0x%" PRIx64 "): not walked", a->top);
        return;
    }
    walk_chunks(k, p->address, end, a->top, "[heap]");
    /* glibc counts what it took with brk in system_mem: more than [heap] holds means memory
     * elsewhere (mmap'd when brk failed) that this walk did not see. */
    if (!k->stopped && a->system_mem_known && a->system_mem != p->size)
        note(k, "system_mem is %" PRIu64 " bytes, [heap] %" PRIu64 ": memory outside [heap] not walked",
             a->system_mem, p->size);
}

/* One heap of a non-main arena: heap_info, the malloc_state in the first heap, then chunks up to
 * heap_info.size. */
static uint64_t walk_arena_heap(walk *k, size_t part)
{
    const gw_arena *a = k->a;
    const vm_glibc_part *p = &k->h->parts[part];
    char what[32];
    snprintf(what, sizeof what, "arena heap %zu", part + 1);
    const uint8_t *hi = peek(k, p->address, HEAP_INFO_OLD, p->address + p->size);
    if (!hi) {
        gw_warn(k->w, GW_W_READ, "heap %d, %s: cannot read its heap_info at 0x%" PRIx64, (int)k->h->heap_id, what,
                p->address);
        note(k, "%s: heap_info unreadable, not walked", what);
        return 0;
    }
    uint64_t ar_ptr = gw_le64(hi), size = gw_le64(hi + 16);
    uint64_t info = (a->address & (GW_HEAP_MAX - 1)) == HEAP_INFO_OLD ? HEAP_INFO_OLD : HEAP_INFO_NEW;
    if (ar_ptr != a->address || size < info || size > p->size || size > GW_HEAP_MAX) {
        gw_warn(k->w, GW_W_HEAP, "heap %d, %s: heap_info at 0x%" PRIx64 " names arena 0x%" PRIx64 ", size 0x%" PRIx64,
                (int)k->h->heap_id, what, p->address, ar_ptr, size);
        note(k, "%s: heap_info does not fit, not walked", what);
        return 0;
    }
    uint64_t end = p->address + size;
    uint64_t start = p->address + info == a->address ? align_up(a->address + gw_layouts[a->layout].size)
                                                     : p->address + info;
    if (start > end) {
        note(k, "%s: heap_info size 0x%" PRIx64 " leaves no room for chunks", what, size);
        return 0;
    }
    if (!emit(k, p->address, start - p->address, VM_HBLOCK_OVERHEAD, 0, 0))
        return size;
    progress(k, start - p->address);
    uint64_t top = a->top >= start && a->top < end ? a->top : 0;
    walk_chunks(k, start, end, top, what);
    return size;
}

static void walk_arena(walk *k)
{
    uint64_t total = 0;
    bool top_seen = false;
    for (size_t i = 0; i < k->h->nparts && !k->stopped; i++) {
        const vm_glibc_part *p = &k->h->parts[i];
        top_seen |= k->a->top >= p->address && k->a->top - p->address < p->size;
        total += walk_arena_heap(k, i);
    }
    if (k->stopped)
        return;
    if (!top_seen)
        note(k, "the top chunk 0x%" PRIx64 " is in none of the arena's heaps", k->a->top);
    if (k->a->system_mem_known && k->a->system_mem != total)
        note(k, "system_mem is %" PRIu64 " bytes, its heaps' heap_info %" PRIu64 " (it changed while read)",
             k->a->system_mem, total);
}

/* Each part one mmapped chunk: {prev_size = slack, size | IS_MMAPPED}. */
static void walk_mmapped(walk *k)
{
    for (size_t i = 0; i < k->h->nparts && !k->stopped; i++) {
        const vm_glibc_part *p = &k->h->parts[i];
        const uint8_t *hdr = peek(k, p->address, GW_HDR, p->address + GW_HDR); /* the header only */
        if (!hdr) {
            gw_warn(k->w, GW_W_READ, "heap %d: cannot read the mmapped chunk at 0x%" PRIx64, (int)k->h->heap_id,
                    p->address);
            note(k, "mmapped chunk 0x%" PRIx64 " unreadable, not counted", p->address);
            continue;
        }
        uint64_t slack = gw_le64(hdr), raw = gw_le64(hdr + 8), size = raw & ~GW_FLAGS;
        if (!(raw & GW_IS_MMAPPED) || size < GW_HDR || slack > p->size || size > p->size - slack) {
            gw_warn(k->w, GW_W_HEAP, "heap %d: 0x%" PRIx64 " is no longer an mmapped chunk (size field 0x%" PRIx64 ")",
                    (int)k->h->heap_id, p->address, raw);
            note(k, "0x%" PRIx64 " is no longer an mmapped chunk, not counted", p->address);
            continue;
        }
        if (emit(k, p->address, size, VM_HBLOCK_BUSY, GW_HDR, size - GW_HDR))
            emit(k, p->address + size, slack, VM_HBLOCK_OVERHEAD, 0, 0);
        progress(k, size + slack);
    }
}

vm_glibc_walk_status vm_glibc_walk(vm_glibc_walker *w, size_t i, vm_hblock_visit visit, void *ctx, char *note_buf,
                                   size_t notelen)
{
    if (note_buf && notelen)
        note_buf[0] = '\0';
    walk k = {.w = w, .visit = visit, .ctx = ctx, .note = note_buf, .notelen = notelen};
    if (i >= w->nheaps)
        return VM_GLIBC_WALK_NONE;
    k.h = &w->heaps[i];
    if (k.h->kind != VM_GLIBC_MMAPPED) {
        size_t ai = w->arena_of[i];
        if (ai == SIZE_MAX || !w->arenas[ai].valid) {
            if (k.h->arena == 0)
                note(&k, "not walked: the arena's address is unknown");
            else
                note(&k, "not walked: the malloc_state at 0x%" PRIx64 " does not validate", k.h->arena);
            return VM_GLIBC_WALK_NONE;
        }
        k.a = &w->arenas[ai];
    }
    switch (k.h->kind) {
    case VM_GLIBC_MAIN_ARENA: walk_main(&k); break;
    case VM_GLIBC_ARENA: walk_arena(&k); break;
    case VM_GLIBC_MMAPPED: walk_mmapped(&k); break;
    }
    if (k.stopped)
        return VM_GLIBC_WALK_STOPPED;
    return k.partial ? VM_GLIBC_WALK_PARTIAL : VM_GLIBC_WALK_COMPLETE;
}
