/* glibc malloc, seen from outside (x86-64, glibc 2.26+).  See glibc_heap.h and
 * linux-internals.md §3-4 for the layouts relied on here.
 *
 * Everything read through mem is hostile: each structure is validated before it is believed,
 * every pointer chase is bounded, and what fails is skipped with a warning (limited in number)
 * rather than followed.  Platform-neutral C: no OS calls, so it also builds for Windows. */
#include "glibc_heap.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "../util/compiler.h"
#include "glibc_mmapped.h"

#define PAGE_SIZE_X64   0x1000ull
#define HEAP_MAX_SIZE   0x4000000ull   /* 2 * DEFAULT_MMAP_THRESHOLD_MAX on 64-bit */
#define HEAP_INFO_OLD   0x20ull        /* sizeof(heap_info) up to 2.34 */
#define HEAP_INFO_NEW   0x30ull        /* 2.35+: pagesize field, padded to 16 */
#define CHUNK_HDR       16ull          /* prev_size + size */
#define IS_MMAPPED      0x2ull
#define NON_MAIN_ARENA  0x4ull
#define SIZE_FLAGS      0x7ull

/* Bounds on walks and noise. */
#define WARN_LIMIT          16     /* per warning code and call */
#define INTERIOR_PROBES     4096   /* 64 MiB-aligned addresses probed inside larger mappings */
#define RING_STEPS          1024   /* malloc_state.next ring */
#define THREAD_LIST_NODES   100000 /* per list head */

/* malloc_state field offsets.  2.27 added have_fastchunks, moving everything after flags by 8;
 * the newer layout is tried first and the older one only when the newer makes no sense. */
typedef struct mstate_layout {
    uint64_t top, next, system_mem;
} mstate_layout;

static const mstate_layout layouts[] = {
    {0x60, 0x870, 0x888}, /* 2.27 .. 2.42 */
    {0x58, 0x868, 0x880}, /* 2.26 */
};
#define NLAYOUTS (sizeof layouts / sizeof layouts[0])

/* ---- warnings ---------------------------------------------------------------------------- */

enum { W_READ, W_HEAP, W_THREAD, W_KINDS };
static const char *const warn_code[W_KINDS] = {"read-failed", "heap-invalid", "thread-list-invalid"};

typedef struct warner {
    vm_snapshot *snap;
    unsigned count[W_KINDS];
} warner;

/* A hostile image can fail every check; one line per failure would drown the report, so each
 * code gets WARN_LIMIT lines and then one saying the rest were dropped. */
static void warn(warner *w, int kind, const char *fmt, ...) VM_PRINTF(3, 4);
static void warn(warner *w, int kind, const char *fmt, ...)
{
    if (!w->snap || w->count[kind] > WARN_LIMIT)
        return;
    if (w->count[kind]++ == WARN_LIMIT) {
        vm_snapshot_warn(w->snap, warn_code[kind], "further %s warnings suppressed",
                         warn_code[kind]);
        return;
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vm_snapshot_warn(w->snap, warn_code[kind], "%s", msg);
}

static bool read_u64_warn(const vm_memreader *mem, uint64_t addr, uint64_t *v, warner *w,
                          const char *what)
{
    if (vm_read_u64(mem, addr, v))
        return true;
    warn(w, W_READ, "cannot read %s at 0x%" PRIx64, what, addr);
    return false;
}

/* ---- small helpers ----------------------------------------------------------------------- */

static bool is_anon_rw(const vm_glibc_range *r)
{
    return r->anon_private && r->r && r->w && !r->is_brk_heap && r->start < r->end;
}

static bool is_anon_none(const vm_glibc_range *r)
{
    return r->anon_private && !r->r && !r->w && !r->x && r->start < r->end;
}

static bool in_libc_data(const vm_glibc_range *ranges, size_t n, uint64_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (ranges[i].in_libc_data && addr >= ranges[i].start && addr < ranges[i].end)
            return true;
    return false;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Little-endian u64 out of a buffer: one read per structure keeps a live target's syscalls few. */
static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--)
        v = v << 8 | p[b];
    return v;
}

/* ---- mmapped chunks ---------------------------------------------------------------------- */

/* Walks [start, end) as a run of IS_MMAPPED chunks: the kernel merges adjacent anonymous
 * mappings into one VMA, so each header must lead exactly to the next.  What follows the last
 * valid chunk may be another mapping merged in (ld.so's TLS blocks are, in practice): a run that
 * starts with a valid chunk is kept up to there.  When out is given, chunks are appended to it,
 * and taken back off if not even the first chunk validates.
 * Each chunk's pages start with {prev_size, size}: IS_MMAPPED set, NON_MAIN_ARENA clear, and
 * (as glibc's munmap_chunk insists) prev_size + size a whole number of pages.  prev_size is
 * alignment slack in front of the chunk; on x86-64 it is 0 there (memalign moves the header up
 * but leaves the original one in place), a small 16-aligned value is tolerated.  Each chunk
 * spans at least a page, so the walk takes at most (end - start) / 4096 steps.
 * first, when not NULL, holds the 16 bytes at start, already read. */
static bool walk_mmapped_chunks(const vm_memreader *mem, uint64_t start, uint64_t end,
                                vm_glibc_heaps *out, warner *w, bool *oom, const uint8_t *first)
{
    size_t keep = out ? out->nchunks : 0;
    uint64_t pos = start;
    while (pos < end) {
        uint8_t raw[16];
        if (pos == start && first)
            memcpy(raw, first, sizeof raw);
        else if (!vm_read_exact(mem, pos, raw, sizeof raw)) {
            if (w && pos == start)
                warn(w, W_READ, "cannot read a chunk header at 0x%" PRIx64, pos);
            goto reject;
        }
        uint64_t slack = le64(raw), head = le64(raw + 8), size = head & ~SIZE_FLAGS;
        if (!(head & IS_MMAPPED) || (head & NON_MAIN_ARENA))
            goto reject;
        if (slack >= PAGE_SIZE_X64 || (slack & 15) || size < CHUNK_HDR)
            goto reject;
        uint64_t span = slack + size;
        if (span < PAGE_SIZE_X64 || (span & (PAGE_SIZE_X64 - 1)) || span > end - pos)
            goto reject;
        if (out) {
            vm_glibc_chunk *c = vm_array_push((void **)&out->chunks, &out->nchunks, sizeof *c);
            if (!c) {
                *oom = true;
                goto reject;
            }
            c->address = pos;
            c->size = span;
            c->user_size = size - CHUNK_HDR;
        }
        pos += span;
    }
    return true;
reject:
    if (pos > start && !(oom && *oom))
        return true; /* a valid prefix: the rest is another mapping the kernel merged in */
    /* Shrinking the count is safe with vm_array_push: the real capacity only ever exceeds the
     * one implied by a smaller count. */
    if (out)
        out->nchunks = keep;
    return false;
}

/* ---- heap_info candidates ---------------------------------------------------------------- */

/* A heap_info candidate: every anonymous read/write mapping starting 64 MiB-aligned, and every
 * such address inside one.  Most are no heap at all (a program's own reservation can have that
 * shape, issue: false "mprotect_size 0x0" warnings): what is wrong with one is kept, and said
 * only when the arena list leads to it (report_linked_problems). */
enum { C_UNRESOLVED, C_VISITING, C_RESOLVED, C_BAD, C_REJECTED /* its heap_info is none */ };

#define PROBLEM_LEN 160

typedef struct cand {
    uint64_t base, rw_len, reserved;
    uint64_t ar_ptr, prev, size, mprotect_size;
    int state;
    size_t arena;  /* index into scan.arenas, when resolved; for C_BAD, the arena its chain
                      reached (chain_arena set) */
    size_t depth;  /* prev links from the arena's first heap */
    bool chain_arena;
    size_t root;   /* C_BAD, C_REJECTED: the candidate where the problem lies (index) */
    bool said;     /* root only: its problem was warned about */
    char problem[PROBLEM_LEN];  /* root only: what is wrong, without the "heap_info at" prefix */
} cand;

/* A non-main arena: one per first heap (prev NULL), its malloc_state right after the heap_info. */
typedef struct nm_arena {
    uint64_t address, top, next, system_mem;
    bool system_mem_known, valid;
    bool linked;          /* on main_arena's next list */
    bool said;            /* its problem was warned about */
    size_t layout;
    size_t first, count;  /* its heaps: scan.by_arena[first .. first + count) */
} nm_arena;

typedef struct scan {
    const vm_memreader *mem;
    const vm_glibc_range *ranges;
    size_t nranges;
    const vm_glibc_find_opts *opts;
    warner w;
    bool oom;
    cand *cands; size_t ncands;     /* sorted by base once collected */
    bool *range_done;               /* per range: already reported, skip in the chunk pass */
    nm_arena *arenas; size_t narenas;
    struct arena_key *by_address;   /* arenas sorted by address */
    cand **by_arena;                /* resolved heaps sorted by arena, then depth */
    uint64_t broken_link;           /* where main_arena's next list leaves the valid arenas, or 0 */
} scan;

/* Why a heap_info does not look like one, or NULL.  Checks only what one header can prove; how
 * heaps chain into arenas is checked later.  The pagesize field (2.35+) is not relied on. */
static const char *heap_info_problem(const cand *c, char *buf, size_t len)
{
    if (c->mprotect_size == 0 || c->mprotect_size > HEAP_MAX_SIZE ||
        (c->mprotect_size & (PAGE_SIZE_X64 - 1))) {
        snprintf(buf, len, "mprotect_size 0x%" PRIx64 " is not a page multiple up to 64 MiB",
                 c->mprotect_size);
        return buf;
    }
    if (c->size < HEAP_INFO_OLD || c->size > c->mprotect_size) {
        snprintf(buf, len, "size 0x%" PRIx64 " exceeds mprotect_size 0x%" PRIx64 " or is too small",
                 c->size, c->mprotect_size);
        return buf;
    }
    /* A heap that grew after the map was read has mprotect'ed part of what the map still shows
     * as its PROT_NONE reservation: its size may reach into that, never beyond. */
    uint64_t room = c->reserved > c->rw_len ? c->reserved : c->rw_len;
    if (c->size > room) {
        snprintf(buf, len, "size 0x%" PRIx64 " exceeds the 0x%" PRIx64 " bytes mapped for it", c->size, room);
        return buf;
    }
    /* malloc_state of a non-main arena sits right after its first heap's heap_info. */
    uint64_t in_heap = c->ar_ptr & (HEAP_MAX_SIZE - 1);
    if (in_heap != HEAP_INFO_OLD && in_heap != HEAP_INFO_NEW) {
        snprintf(buf, len, "ar_ptr 0x%" PRIx64 " is not just after a heap_info", c->ar_ptr);
        return buf;
    }
    if (c->prev == 0 && c->ar_ptr - in_heap != c->base) {
        snprintf(buf, len, "first heap (prev NULL) but ar_ptr 0x%" PRIx64 " is in another heap",
                 c->ar_ptr);
        return buf;
    }
    if (c->prev != 0 && ((c->prev & (HEAP_MAX_SIZE - 1)) || c->prev == c->base)) {
        snprintf(buf, len, "prev 0x%" PRIx64 " is not another 64 MiB-aligned heap", c->prev);
        return buf;
    }
    return NULL;
}

/* Bytes of address space the heap at base owns as the maps show it: its read/write part plus
 * the PROT_NONE reservation behind it, up to base + HEAP_MAX_SIZE. */
static uint64_t reserved_span(const vm_glibc_range *ranges, size_t n, size_t i, uint64_t base)
{
    uint64_t limit = base > UINT64_MAX - HEAP_MAX_SIZE ? UINT64_MAX : base + HEAP_MAX_SIZE;
    uint64_t end = ranges[i].end;
    for (size_t j = i + 1; j < n && end < limit && ranges[j].start == end && is_anon_none(&ranges[j]);
         j++)
        end = ranges[j].end;
    return min_u64(end, limit) - base;
}

/* Reads and checks one candidate.  primary: the base is where a mapping starts, so a failed read
 * there is worth a warning; 64 MiB-aligned addresses inside a mapping (heaps whose read/write
 * parts the kernel merged with a neighbour) are probed only when their page is there. */
static void probe_heap(scan *s, size_t ri, uint64_t base, bool primary)
{
    const vm_glibc_range *r = &s->ranges[ri];
    cand c = {0};
    c.base = base;
    c.rw_len = min_u64(r->end - base, HEAP_MAX_SIZE);
    c.reserved = reserved_span(s->ranges, s->nranges, ri, base);
    uint8_t raw[HEAP_INFO_OLD] = {0};  /* ar_ptr, prev, size, mprotect_size: common to all versions */
    /* A page never touched holds no heap_info: its bytes are zeros, not read (the read would make
     * the kernel map a page in the target; a thread's 8 MiB stack may well start 64 MiB aligned). */
    bool untouched = vm_glibc_page_absent(s->opts, base);
    if (!untouched && !vm_read_exact(s->mem, base, raw, sizeof raw)) {
        if (primary) {
            warn(&s->w, W_READ, "cannot read heap_info at 0x%" PRIx64, base);
            s->range_done[ri] = true;
        }
        return;
    }
    c.ar_ptr = le64(raw);
    c.prev = le64(raw + 8);
    c.size = le64(raw + 16);
    c.mprotect_size = le64(raw + 24);
    /* Big mmapped malloc chunks and a program's own mappings can be 64 MiB aligned too, even
     * read/write then PROT_NONE to base + 64 MiB like a heap: a failed check is kept, not said. */
    if (heap_info_problem(&c, c.problem, sizeof c.problem))
        c.state = C_REJECTED;
    cand *slot = vm_array_push((void **)&s->cands, &s->ncands, sizeof *slot);
    if (!slot) {
        s->oom = true;
        return;
    }
    *slot = c;
}

static void collect_candidates(scan *s)
{
    size_t interior = 0;
    for (size_t i = 0; i < s->nranges && !s->oom; i++) {
        const vm_glibc_range *r = &s->ranges[i];
        if (!is_anon_rw(r))
            continue;
        if ((r->start & (HEAP_MAX_SIZE - 1)) == 0)
            probe_heap(s, i, r->start, true);
        uint64_t a = (r->start | (HEAP_MAX_SIZE - 1)) + 1;  /* next aligned address above start */
        for (; a > r->start && a < r->end && !s->oom; a += HEAP_MAX_SIZE) {
            if (interior++ >= INTERIOR_PROBES)
                break;
            if (vm_glibc_page_present(s->opts, a)) /* a heap_info was written: its page is there */
                probe_heap(s, i, a, false);
        }
    }
}


static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* Index of the first candidate with base >= addr. */
static size_t cand_lower_bound(const scan *s, uint64_t addr)
{
    size_t lo = 0, hi = s->ncands;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->cands[mid].base < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static cand *find_cand(scan *s, uint64_t base)
{
    size_t i = cand_lower_bound(s, base);
    return i < s->ncands && s->cands[i].base == base ? &s->cands[i] : NULL;
}

/* ---- grouping heaps into arenas ---------------------------------------------------------- */

/* Marks the n heaps of path bad because of what is wrong at root (said later if the arena list
 * leads there).  chain_arena: the arena their chain reached, or SIZE_MAX. */
static void mark_bad(scan *s, cand **path, size_t n, cand *root, size_t chain_arena, const char *fmt, ...)
    VM_PRINTF(6, 7);
static void mark_bad(scan *s, cand **path, size_t n, cand *root, size_t chain_arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(root->problem, sizeof root->problem, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < n; i++) {
        path[i]->state = C_BAD;
        path[i]->root = (size_t)(root - s->cands);
        path[i]->chain_arena = chain_arena != SIZE_MAX;
        path[i]->arena = chain_arena;
    }
}

/* A first heap founds its arena.  Bases are unique, and heap_info_problem tied ar_ptr to the
 * base, so no two first heaps name the same arena. */
static bool found_arena(scan *s, cand *first)
{
    nm_arena *a = vm_array_push((void **)&s->arenas, &s->narenas, sizeof *a);
    if (!a) {
        s->oom = true;
        return false;
    }
    a->address = first->ar_ptr;
    first->state = C_RESOLVED;
    first->arena = s->narenas - 1;
    first->depth = 0;
    return true;
}

/* Follows prev links from c down to its arena's first heap.  Each heap on the way must be a
 * valid candidate and name the same arena; a link back into the path being walked is a cycle.
 * Results are memoised, so all heaps resolve in linear time overall. */
static void resolve_heap(scan *s, cand *c, cand **path)
{
    size_t n = 0;
    cand *cur = c;
    while (cur->state != C_RESOLVED) {
        if (cur->state == C_BAD || cur->state == C_REJECTED || cur->state == C_VISITING) {
            bool cycle = cur->state == C_VISITING;
            mark_bad(s, path, n, c, SIZE_MAX, "prev links %s%s", cycle ? "form a cycle" : "lead to ",
                     cycle ? "" : cur->state == C_REJECTED ? "no heap" : "an invalid heap");
            return;
        }
        if (cur->prev == 0) {
            if (!found_arena(s, cur))
                return; /* out of memory: the whole result is dropped */
            break;
        }
        cur->state = C_VISITING;
        path[n++] = cur;  /* n <= ncands: a candidate is on the path at most once */
        cand *next = find_cand(s, cur->prev);
        if (!next) {
            mark_bad(s, path, n, cur, SIZE_MAX, "prev 0x%" PRIx64 " is not a valid heap", cur->prev);
            return;
        }
        cur = next;
    }
    /* Unwind from the heap nearest the first one; a heap naming another arena breaks the chain
     * for itself and for every later heap that reached it. */
    size_t arena = cur->arena, depth = cur->depth;
    while (n > 0) {
        cand *h = path[--n];
        if (h->ar_ptr != s->arenas[arena].address) {
            mark_bad(s, path, n + 1, h, arena, "ar_ptr 0x%" PRIx64 " is not its chain's arena 0x%" PRIx64,
                     h->ar_ptr, s->arenas[arena].address);
            return;
        }
        h->state = C_RESOLVED;
        h->arena = arena;
        h->depth = ++depth;
    }
}

static int cmp_by_arena(const void *a, const void *b)
{
    const cand *x = *(const cand *const *)a, *y = *(const cand *const *)b;
    if (x->arena != y->arena)
        return x->arena < y->arena ? -1 : 1;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* Lists each arena's heaps, first heap first, as slices of one sorted array. */
static void index_arenas(scan *s)
{
    size_t n = 0;
    s->by_arena = malloc((s->ncands ? s->ncands : 1) * sizeof *s->by_arena);
    if (!s->by_arena) {
        s->oom = true;
        return;
    }
    for (size_t i = 0; i < s->ncands; i++)
        if (s->cands[i].state == C_RESOLVED)
            s->by_arena[n++] = &s->cands[i];
    if (n > 1)
        qsort(s->by_arena, n, sizeof *s->by_arena, cmp_by_arena);
    for (size_t i = 0; i < n; i++) {
        nm_arena *a = &s->arenas[s->by_arena[i]->arena];
        if (a->count++ == 0)
            a->first = i;
    }
}

static void group_heaps(scan *s)
{
    if (s->ncands > 1)
        qsort(s->cands, s->ncands, sizeof *s->cands, cmp_cand);
    cand **path = malloc((s->ncands ? s->ncands : 1) * sizeof *path);
    if (!path) {
        s->oom = true;
        return;
    }
    for (size_t i = 0; i < s->ncands; i++)
        s->cands[i].root = i;
    /* Duplicate bases (overlapping ranges in a hostile list) would make prev ambiguous. */
    for (size_t i = 1; i < s->ncands; i++)
        if (s->cands[i].base == s->cands[i - 1].base) {
            cand *dup = &s->cands[i];
            mark_bad(s, &dup, 1, dup, SIZE_MAX, "read twice (overlapping mappings)");
        }
    for (size_t i = 0; i < s->ncands && !s->oom; i++)
        if (s->cands[i].state == C_UNRESOLVED)
            resolve_heap(s, &s->cands[i], path);
    free(path);
    if (!s->oom)
        index_arenas(s);
}

/* ---- malloc_state ------------------------------------------------------------------------ */

/* Whether top lies in one of the arena's heaps.  Within the heap's whole reservation, not just
 * the mprotect_size read a moment earlier: a heap that grows in between moves its top chunk past
 * that (vmmap watch on a growing process met this). */
static bool top_in_heaps(const scan *s, const nm_arena *a, uint64_t top)
{
    for (size_t i = a->first; i < a->first + a->count; i++) {
        const cand *c = s->by_arena[i];
        uint64_t room = c->reserved > c->mprotect_size ? c->reserved : c->mprotect_size;
        if (top >= c->base && top - c->base < room)
            return true;
    }
    return false;
}

/* Reads a non-main arena's malloc_state; valid when its top chunk lies in one of its heaps
 * under a layout its glibc may have (2.26's needs 2.26's 0x20-byte heap_info). */
static void read_arena(scan *s, nm_arena *a)
{
    uint64_t top = 0;
    size_t nlayouts = (a->address & (HEAP_MAX_SIZE - 1)) == HEAP_INFO_OLD ? NLAYOUTS : 1;
    for (size_t l = 0; l < nlayouts && !a->valid; l++) {
        if (!read_u64_warn(s->mem, a->address + layouts[l].top, &top, &s->w, "malloc_state.top"))
            return;
        if (top_in_heaps(s, a, top)) {
            a->layout = l;
            a->top = top;
            a->valid = true;
        }
    }
    if (!a->valid) { /* said only if the arena list names it (say_not_an_arena) */
        a->top = top;
        return;
    }
    if (!read_u64_warn(s->mem, a->address + layouts[a->layout].next, &a->next, &s->w,
                       "malloc_state.next"))
        a->next = 0;
    a->system_mem_known = vm_read_u64(s->mem, a->address + layouts[a->layout].system_mem,
                                      &a->system_mem);
}

/* Arena lookup by address: the ring walk asks for every node it meets. */
typedef struct arena_key {
    uint64_t address;
    size_t index;
} arena_key;

static int cmp_arena_key(const void *a, const void *b)
{
    const arena_key *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

static void index_arena_addresses(scan *s)
{
    s->by_address = malloc((s->narenas ? s->narenas : 1) * sizeof *s->by_address);
    if (!s->by_address) {
        s->oom = true;
        return;
    }
    for (size_t i = 0; i < s->narenas; i++)
        s->by_address[i] = (arena_key){s->arenas[i].address, i};
    if (s->narenas > 1)
        qsort(s->by_address, s->narenas, sizeof *s->by_address, cmp_arena_key);
}

/* The non-main arena at address, valid or not, or NULL. */
static nm_arena *find_any_arena(const scan *s, uint64_t address)
{
    size_t lo = 0, hi = s->narenas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->by_address[mid].address == address)
            return &s->arenas[s->by_address[mid].index];
        if (s->by_address[mid].address < address)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The valid non-main arena at address, or NULL. */
static const nm_arena *find_arena(const scan *s, uint64_t address)
{
    const nm_arena *a = find_any_arena(s, address);
    return a && a->valid ? a : NULL;
}

/* ---- what the arena list leads to -------------------------------------------------------- */

/* What is wrong with a heap_info that failed is said only when the arena list leads to it: a
 * mapping that merely has a heap's shape is left alone (Private Data), without a word. */

static void say_cand(scan *s, const cand *c, const char *why)
{
    cand *root = &s->cands[c->root];
    if (root->said)
        return;
    root->said = true;
    warn(&s->w, W_HEAP, "heap_info at 0x%" PRIx64 ": %s (%s)", root->base, root->problem, why);
}

/* Says, once, why address, which the arena list names as an arena, is none.  False when
 * nothing is known there: no heap_info candidate at its heap's base. */
static bool say_not_an_arena(scan *s, uint64_t address, const char *why)
{
    nm_arena *a = find_any_arena(s, address);
    if (a && !a->valid) { /* its heaps chain up, its malloc_state does not fit them */
        if (!a->said)
            warn(&s->w, W_HEAP, "arena 0x%" PRIx64 ": top 0x%" PRIx64 " is outside its heaps (%s)",
                 a->address, a->top, why);
        a->said = true;
        return true;
    }
    const cand *c = find_cand(s, address & ~(HEAP_MAX_SIZE - 1));
    if (!c || c->state == C_RESOLVED)
        return false;
    say_cand(s, c, why);
    return true;
}

/* Follows main_arena's next list: the valid arenas on it are linked; where it leaves them, the
 * rest cannot be followed, and what is wrong there is said. */
static void walk_main_list(scan *s, uint64_t main_arena, size_t layout)
{
    uint64_t cur;
    if (!read_u64_warn(s->mem, main_arena + layouts[layout].next, &cur, &s->w, "main_arena.next"))
        return;
    for (unsigned steps = 0; cur != main_arena; steps++) {
        if (steps >= RING_STEPS) {
            warn(&s->w, W_HEAP, "main_arena 0x%" PRIx64 ": next links do not come back within %d steps",
                 main_arena, RING_STEPS);
            return;
        }
        nm_arena *k = find_any_arena(s, cur);
        if (k && k->linked) {
            warn(&s->w, W_HEAP, "main_arena 0x%" PRIx64 ": next links loop back to arena 0x%" PRIx64
                 ", not to main_arena", main_arena, cur);
            return;
        }
        if (k && k->valid) {
            k->linked = true;
            cur = k->next;
            continue;
        }
        s->broken_link = cur;
        char why[96];
        snprintf(why, sizeof why, "arena 0x%" PRIx64 " is on main_arena's next list", cur);
        if (!say_not_an_arena(s, cur, why) && !in_libc_data(s->ranges, s->nranges, cur))
            warn(&s->w, W_HEAP, "main_arena 0x%" PRIx64 ": next link 0x%" PRIx64
                 " is neither an arena nor in libc's data", main_arena, cur);
        return;
    }
}

/* Heaps that failed but name an arena on main_arena's list, or chain up to one of its heaps. */
static void say_linked_heaps(scan *s)
{
    for (size_t i = 0; i < s->ncands; i++) {
        const cand *c = &s->cands[i];
        if (c->state != C_BAD && c->state != C_REJECTED)
            continue;
        const nm_arena *named = find_any_arena(s, c->ar_ptr);
        uint64_t arena = c->ar_ptr;
        bool linked = (named && named->linked) || (arena != 0 && arena == s->broken_link);
        if (!linked && c->chain_arena && s->arenas[c->arena].linked) {
            linked = true;
            arena = s->arenas[c->arena].address;
        }
        if (linked) {
            char why[96];
            snprintf(why, sizeof why, "its arena 0x%" PRIx64 " is on main_arena's next list", arena);
            say_cand(s, c, why);
        }
    }
}

/* Follows next from arena a round the ring.  Every node must be a known non-main arena or lie
 * in libc's data; exactly one node of the latter kind (main_arena) and a return to the start are
 * required.  Returns main_arena's address or 0. */
static uint64_t walk_ring(scan *s, const nm_arena *a, size_t layout)
{
    uint64_t cur = a->next, found = 0;
    for (unsigned steps = 0; cur != a->address; steps++) {
        if (steps >= RING_STEPS) {
            warn(&s->w, W_HEAP, "arena 0x%" PRIx64 ": next links do not come back within %d steps",
                 a->address, RING_STEPS);
            return 0;
        }
        const nm_arena *k = find_arena(s, cur);
        if (k) {
            cur = k->next;
            continue;
        }
        if (!in_libc_data(s->ranges, s->nranges, cur)) {
            char why[96];
            snprintf(why, sizeof why, "arena 0x%" PRIx64 "'s next link names it", a->address);
            if (!say_not_an_arena(s, cur, why))
                warn(&s->w, W_HEAP,
                     "arena 0x%" PRIx64 ": next link 0x%" PRIx64 " is neither an arena nor in libc's data",
                     a->address, cur);
            return 0;
        }
        if (found != 0 && found != cur) {
            warn(&s->w, W_HEAP, "arena 0x%" PRIx64 ": next links reach two main arena candidates",
                 a->address);
            return 0;
        }
        found = cur;
        if (!read_u64_warn(s->mem, cur + layouts[layout].next, &cur, &s->w, "malloc_state.next"))
            return 0;
    }
    return found;
}

/* All arenas share one ring, so if a few starting points fail, more would fail the same way. */
#define RING_STARTS 4

static uint64_t discover_main(scan *s, size_t layout)
{
    size_t tried = 0;
    for (size_t i = 0; i < s->narenas && tried < RING_STARTS; i++) {
        if (!s->arenas[i].valid)
            continue;
        tried++;
        uint64_t found = walk_ring(s, &s->arenas[i], layout);
        if (found)
            return found;
    }
    if (tried)
        warn(&s->w, W_HEAP, "main arena not found through the arenas' next links");
    return 0;
}

/* ---- main_arena in libc's data ----------------------------------------------------------- */

/* Without other arenas (a single-threaded process) no next link leads to main_arena, and libc
 * does not export it.  It is found by what only a malloc_state has: a ring of bins whose empty
 * members point at their own header, the rest at chunks in the heaps; a top chunk in the brk heap
 * (or, never used, at its own unsorted bin); and a next link to itself or to a known arena. */
#define MSTATE_BINS_OFF(l) ((l)->top + 0x10)  /* bins follow top and last_remainder */
#define NBIN_PAIRS 127
#define LIBC_SCAN_MAX (16u << 20)             /* bytes of libc data read */

static bool in_heap_memory(scan *s, const vm_glibc_heaps *out, uint64_t p)
{
    if (p % 16)
        return false;
    if (out->brk_end && p >= out->brk_start && p < out->brk_end)
        return true;
    uint64_t base = p & ~(HEAP_MAX_SIZE - 1);
    const cand *c = find_cand(s, base);
    return c && c->state == C_RESOLVED && p - base < (c->reserved > c->rw_len ? c->reserved : c->rw_len);
}

/* Whether the bytes at off of buf (the libc data at addr) are a main_arena under layout l. */
static bool looks_like_main_arena(scan *s, const vm_glibc_heaps *out, const uint8_t *buf, size_t len,
                                  size_t off, uint64_t addr, const mstate_layout *l)
{
    if (off + l->system_mem + 8 > len)
        return false;
    uint64_t next = le64(buf + off + l->next);
    if (next != addr && !find_arena(s, next))
        return false;
    uint64_t top = le64(buf + off + l->top);
    if (top != addr + l->top && !(out->brk_end && top >= out->brk_start && top < out->brk_end && top % 16 == 0))
        return false;
    unsigned empty = 0;
    for (unsigned i = 0; i < NBIN_PAIRS; i++) {
        size_t at = off + MSTATE_BINS_OFF(l) + 16u * i;
        uint64_t header = addr + MSTATE_BINS_OFF(l) + 16u * i - 16, fd = le64(buf + at), bk = le64(buf + at + 8);
        if (fd == header && bk == header)
            empty++;
        else if (!in_heap_memory(s, out, fd) || !in_heap_memory(s, out, bk))
            return false;
    }
    return empty > 0;
}

static uint64_t scan_libc_data(scan *s, const vm_glibc_heaps *out, size_t layout)
{
    uint64_t found = 0;
    size_t hits = 0, budget = LIBC_SCAN_MAX;
    const mstate_layout *l = &layouts[layout];
    for (size_t i = 0; i < s->nranges && budget; i++) {
        const vm_glibc_range *r = &s->ranges[i];
        if (!r->in_libc_data || !r->r || r->end <= r->start)
            continue;
        size_t len = r->end - r->start > budget ? budget : (size_t)(r->end - r->start);
        uint8_t *buf = malloc(len);
        if (!buf) {
            s->oom = true;
            return 0;
        }
        budget -= len;
        len = vm_glibc_read_present(s->mem, s->opts, r->start, buf, len);
        for (size_t off = 0; off + l->system_mem + 8 <= len; off += 8) {
            uint64_t addr = r->start + off;
            if (le64(buf + off + l->next) != addr && !find_arena(s, le64(buf + off + l->next)))
                continue; /* cheap test first: the next link */
            if (looks_like_main_arena(s, out, buf, len, off, addr, l)) {
                found = addr;
                hits++;
            }
        }
        free(buf);
    }
    if (hits > 1) {
        warn(&s->w, W_HEAP, "%zu places in libc's data look like main_arena: none taken", hits);
        return 0;
    }
    return found;
}

/* ---- building the result ----------------------------------------------------------------- */

static void find_brk(const vm_glibc_range *ranges, size_t n, vm_glibc_heaps *out)
{
    for (size_t i = 0; i < n; i++) {
        if (!ranges[i].is_brk_heap || ranges[i].start >= ranges[i].end)
            continue;
        if (out->brk_end == 0) {
            out->brk_start = ranges[i].start;
            out->brk_end = ranges[i].end;
        } else if (ranges[i].start == out->brk_end) {  /* split by protection or THP */
            out->brk_end = ranges[i].end;
        }
    }
}

static bool add_main_arena(scan *s, uint64_t address, size_t layout, vm_glibc_heaps *out)
{
    if (address == 0 && out->brk_end == 0)
        return true;
    vm_glibc_arena *a = vm_array_push((void **)&out->arenas, &out->narenas, sizeof *a);
    if (!a)
        return false;
    a->is_main = true;
    a->address = address;
    if (address == 0)
        return true;
    const mstate_layout *l = &layouts[layout];
    if (!read_u64_warn(s->mem, address + l->top, &a->top, &s->w, "main_arena.top")) {
        a->top = 0;
        return true;
    }
    a->system_mem_known = vm_read_u64(s->mem, address + l->system_mem, &a->system_mem);
    /* An arena that never allocated has top pointing at its own unsorted bin header. */
    bool pristine = a->top == address + l->top;
    if (!pristine && out->brk_end != 0 && (a->top < out->brk_start || a->top >= out->brk_end))
        warn(&s->w, W_HEAP, "main arena 0x%" PRIx64 ": top 0x%" PRIx64 " is outside [heap]",
             address, a->top);
    return true;
}

static bool add_arena(const scan *s, const nm_arena *na, vm_glibc_heaps *out)
{
    vm_glibc_arena *a = vm_array_push((void **)&out->arenas, &out->narenas, sizeof *a);
    if (!a)
        return false;
    a->address = na->address;
    a->top = na->top;
    a->system_mem = na->system_mem;
    a->system_mem_known = na->system_mem_known;
    for (size_t i = na->first; i < na->first + na->count; i++) {
        const cand *c = s->by_arena[i];
        vm_glibc_arena_heap *h = vm_array_push((void **)&a->heaps, &a->nheaps, sizeof *h);
        if (!h)
            return false;
        h->base = c->base;
        h->size = c->size;
        h->mprotect_size = c->mprotect_size;
        h->reserved = c->reserved;
    }
    return true;
}

/* Whether [start, end) overlaps the address space of a heap_info that validated (even one
 * whose arena did not): such memory is not scanned for mmapped chunks.  A rejected one is no
 * heap_info (a big mmapped chunk may start 64 MiB-aligned). */
static bool claimed_by_heap(const scan *s, uint64_t start, uint64_t end)
{
    uint64_t from = start > HEAP_MAX_SIZE ? start - HEAP_MAX_SIZE : 0;
    for (size_t i = cand_lower_bound(s, from); i < s->ncands && s->cands[i].base < end; i++) {
        const cand *c = &s->cands[i];
        if (c->state != C_REJECTED && (c->base >= start || start - c->base < c->reserved))
            return true;
    }
    return false;
}

static bool may_hold_chunks(const scan *s, size_t i)
{
    const vm_glibc_range *r = &s->ranges[i];
    return is_anon_rw(r) && !r->start_unbacked && !s->range_done[i] && !claimed_by_heap(s, r->start, r->end);
}

/* Mapping-start headers read at once (the most one process_vm_readv takes). */
#define HEADER_BATCH 1024

/* Anonymous read/write mappings that are neither the brk heap nor arena heaps may be runs of
 * mmapped chunks.  Most are not (stacks, other allocators' memory): no warning for those.
 * Their first headers are read in batches: a process with 60,000 such mappings took 60,000
 * system calls one by one (vm_read_many); most are rejected on that first header.
 * count, when known (glibc's malloc_par): once the chunks found add up to its count and bytes
 * exactly, glibc has no other mmapped chunk, and the mappings after are not read at all (each
 * header read costs the kernel a page-table walk in the target: as much as smaps spends on the
 * mapping).  A process whose glibc counts none reads no header. */
static void find_chunks(scan *s, vm_glibc_heaps *out, const vm_glibc_malloc_par *count)
{
    uint64_t have_bytes = 0;
    for (size_t c = 0; c < out->nchunks; c++)
        have_bytes += out->chunks[c].size;
#define COUNT_MET (count && out->nchunks == count->n_mmaps && have_bytes == count->mmapped_mem)
    if (COUNT_MET)
        return;
    size_t m = 0;
    for (size_t i = 0; i < s->nranges; i++)
        m += may_hold_chunks(s, i);
    size_t cap = m < HEADER_BATCH ? m : HEADER_BATCH;
    vm_read_req *reqs = cap ? calloc(cap, sizeof *reqs) : NULL;
    uint8_t(*hdr)[16] = cap ? calloc(cap, sizeof *hdr) : NULL;
    size_t *range_of = cap ? calloc(cap, sizeof *range_of) : NULL;
    vm_read_req one_req;
    uint8_t one_hdr[1][16];
    size_t one_range;
    bool batched = reqs && hdr && range_of;
    if (!batched) { /* no room for a batch: one header at a time */
        free(reqs);
        free(hdr);
        free(range_of);
        reqs = &one_req;
        hdr = one_hdr;
        range_of = &one_range;
        cap = 1;
    }
    for (size_t i = 0; i < s->nranges && !s->oom;) {
        size_t k = 0;
        for (; i < s->nranges && k < cap; i++)
            if (may_hold_chunks(s, i)) {
                reqs[k] = (vm_read_req){s->ranges[i].start, hdr[k], sizeof hdr[k], 0};
                range_of[k++] = i;
            }
        vm_read_many(s->mem, reqs, k);
        for (size_t j = 0; j < k && !s->oom; j++) {
            const vm_glibc_range *r = &s->ranges[range_of[j]];
            size_t before = out->nchunks;
            /* A failed header read is tried again inside, so it is warned about as before. */
            walk_mmapped_chunks(s->mem, r->start, r->end, out, &s->w, &s->oom,
                                reqs[j].got == sizeof hdr[j] ? hdr[j] : NULL);
            for (size_t c = before; c < out->nchunks; c++)
                have_bytes += out->chunks[c].size;
            if (COUNT_MET)
                goto done;
        }
    }
done:
#undef COUNT_MET
    if (batched) {
        free(reqs);
        free(hdr);
        free(range_of);
    }
}

/* The chunks the walk from each mapping's start did not reach: as many as glibc counts
 * (glibc_mmapped.h). */
static void complete_chunks(scan *s, const vm_glibc_find_opts *opts, const vm_glibc_malloc_par *mp,
                            vm_glibc_heaps *out)
{
    bool *eligible = calloc(s->nranges ? s->nranges : 1, sizeof *eligible);
    if (!eligible) {
        s->oom = true;
        return;
    }
    /* A mapping whose first page is not there may still hold chunks further up (a chunk merged
     * above a later mapping never touched): the probe asks page by page. */
    for (size_t i = 0; i < s->nranges; i++)
        eligible[i] = is_anon_rw(&s->ranges[i]) && !s->range_done[i] &&
                      !claimed_by_heap(s, s->ranges[i].start, s->ranges[i].end);
    if (!vm_glibc_complete_chunks(s->mem, s->ranges, s->nranges, eligible, opts, mp, out, s->w.snap))
        s->oom = true;
    free(eligible);
}

void vm_glibc_heaps_free(vm_glibc_heaps *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->narenas; i++)
        free(h->arenas[i].heaps);
    free(h->arenas);
    free(h->chunks);
    memset(h, 0, sizeof *h);
}

/* Everything after the candidates are grouped: arenas' malloc_state, main arena, output. */
static bool build_result(scan *s, const vm_glibc_find_opts *opts, vm_glibc_heaps *out)
{
    uint64_t main_arena = opts->main_arena;
    for (size_t i = 0; i < s->narenas; i++)
        read_arena(s, &s->arenas[i]);
    index_arena_addresses(s);
    if (s->oom)
        return false;
    /* main_arena shares its siblings' layout; without siblings, assume the current one. */
    size_t layout = 0;
    for (size_t i = 0; i < s->narenas; i++)
        if (s->arenas[i].valid) {
            layout = s->arenas[i].layout;
            break;
        }
    if (main_arena == 0)
        main_arena = discover_main(s, layout);
    if (main_arena == 0)
        main_arena = scan_libc_data(s, out, layout);
    if (main_arena != 0)
        walk_main_list(s, main_arena, layout);
    say_linked_heaps(s);
    if (!add_main_arena(s, main_arena, layout, out))
        return false;
    for (size_t i = 0; i < s->narenas; i++) {  /* address order */
        const nm_arena *a = &s->arenas[s->by_address[i].index];
        if (a->valid && !add_arena(s, a, out))
            return false;
    }
    /* glibc's count, found once, bounds the search from mapping starts and then the completion. */
    vm_glibc_malloc_par count;
    bool counted = vm_glibc_find_malloc_par(s->mem, opts, s->ranges, s->nranges, opts->malloc_par, out->brk_start,
                                            out->brk_end, &count, s->w.snap);
    find_chunks(s, out, counted ? &count : NULL);
    if (!s->oom)
        complete_chunks(s, opts, counted ? &count : NULL, out);
    return !s->oom;
}

bool vm_glibc_find_heaps(const vm_memreader *mem, const vm_glibc_range *ranges, size_t nranges,
                         uint64_t main_arena, vm_glibc_heaps *out, vm_snapshot *snap)
{
    vm_glibc_find_opts opts = {.main_arena = main_arena};
    return vm_glibc_find_heaps_ex(mem, ranges, nranges, &opts, out, snap);
}

bool vm_glibc_find_heaps_ex(const vm_memreader *mem, const vm_glibc_range *ranges, size_t nranges,
                            const vm_glibc_find_opts *opts, vm_glibc_heaps *out, vm_snapshot *snap)
{
    static const vm_glibc_find_opts none = {0};
    opts = opts ? opts : &none;
    memset(out, 0, sizeof *out);
    scan s = {0};
    s.mem = mem;
    s.ranges = ranges;
    s.nranges = nranges;
    s.w.snap = snap;
    s.opts = opts;
    s.range_done = calloc(nranges ? nranges : 1, sizeof *s.range_done);
    bool ok = s.range_done != NULL;
    if (ok) {
        find_brk(ranges, nranges, out);
        collect_candidates(&s);
        if (!s.oom)
            group_heaps(&s);
        ok = !s.oom && build_result(&s, opts, out);
    }
    free(s.by_arena);
    free(s.by_address);
    free(s.cands);
    free(s.arenas);
    free(s.range_done);
    if (!ok)
        vm_glibc_heaps_free(out);
    return ok;
}

/* ---- thread list ------------------------------------------------------------------------- */

/* A _thread_db_* descriptor: uint32 {bit size, count, byte offset}.  The bit size is checked
 * against what a 64-bit glibc must have, so a wrong symbol or a 32-bit target is refused. */
static bool read_td(const vm_memreader *mem, uint64_t addr, uint32_t bits, uint32_t *offset,
                    warner *w, const char *name)
{
    uint32_t d[3];
    for (int k = 0; k < 3; k++) {
        if (!vm_read_u32(mem, addr + 4u * (unsigned)k, &d[k])) {
            warn(w, W_READ, "cannot read _thread_db_%s at 0x%" PRIx64, name, addr);
            return false;
        }
    }
    if (d[0] != bits || d[1] != 1 || d[2] > 0x100000) {
        warn(w, W_THREAD, "_thread_db_%s is {%u, %u, %u}, not a %u-bit field", name, d[0], d[1],
             d[2], bits);
        return false;
    }
    *offset = d[2];
    return true;
}

typedef struct thread_walk {
    const vm_memreader *mem;
    warner *w;
    uint32_t off_list, off_tid;
    vm_glibc_thread *out;
    size_t n;
    bool oom;
} thread_walk;

/* Walks one circular list_head list from head.  A corrupt list may never come back to the head;
 * Brent's cycle detection stops at a loop elsewhere, THREAD_LIST_NODES at anything longer. */
static void walk_thread_list(thread_walk *t, uint64_t head, const char *name)
{
    uint64_t node, tortoise;
    if (!read_u64_warn(t->mem, head, &node, t->w, name))
        return;
    tortoise = node;
    for (size_t steps = 1, power = 1; node != head; steps++) {
        if (steps > THREAD_LIST_NODES) {
            warn(t->w, W_THREAD, "%s at 0x%" PRIx64 ": no way back to the head within %d nodes",
                 name, head, THREAD_LIST_NODES);
            return;
        }
        if (node < t->off_list) {
            warn(t->w, W_THREAD, "%s at 0x%" PRIx64 ": bad link 0x%" PRIx64, name, head, node);
            return;
        }
        uint64_t desc = node - t->off_list;
        uint32_t tid;
        if (!vm_read_u32(t->mem, desc + t->off_tid, &tid)) {
            warn(t->w, W_READ, "cannot read the tid of thread descriptor 0x%" PRIx64, desc);
            return;
        }
        if ((int32_t)tid > 0) {  /* 0: exited, kernel cleared it; negative: never valid */
            vm_glibc_thread *th = vm_array_push((void **)&t->out, &t->n, sizeof *th);
            if (!th) {
                t->oom = true;
                return;
            }
            th->tid = tid;
            th->descriptor = desc;
        }
        if (!read_u64_warn(t->mem, node, &node, t->w, "a thread list link"))
            return;
        if (node == tortoise && node != head) {
            warn(t->w, W_THREAD, "%s at 0x%" PRIx64 ": links loop without the head", name, head);
            return;
        }
        if (steps == power) {
            tortoise = node;
            power *= 2;
        }
    }
}

static int cmp_thread_desc(const void *a, const void *b)
{
    const vm_glibc_thread *const *x = a, *const *y = b;
    if ((*x)->descriptor != (*y)->descriptor)
        return (*x)->descriptor < (*y)->descriptor ? -1 : 1;
    return *x < *y ? -1 : *x > *y;  /* earlier entry first */
}

/* A looping list or two heads sharing nodes repeat descriptors: keep each one's first entry. */
static bool dedupe_threads(vm_glibc_thread *t, size_t *n)
{
    if (*n < 2)
        return true;
    vm_glibc_thread **idx = malloc(*n * sizeof *idx);
    bool *drop = calloc(*n, sizeof *drop);
    if (!idx || !drop) {
        free(idx);
        free(drop);
        return false;
    }
    for (size_t i = 0; i < *n; i++)
        idx[i] = &t[i];
    qsort(idx, *n, sizeof *idx, cmp_thread_desc);
    for (size_t i = 1; i < *n; i++)
        if (idx[i]->descriptor == idx[i - 1]->descriptor)
            drop[idx[i] - t] = true;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (!drop[i])
            t[k++] = t[i];
    *n = k;
    free(idx);
    free(drop);
    return true;
}

bool vm_glibc_list_threads(const vm_memreader *mem, const vm_glibc_thread_db *db,
                           vm_glibc_thread **out, size_t *n, vm_snapshot *snap)
{
    *out = NULL;
    *n = 0;
    if (!db || !db->rtld_global || !db->td_dl_stack_used || !db->td_dl_stack_user ||
        !db->td_pthread_list || !db->td_pthread_tid)
        return true;  /* symbols unknown: nothing to say */
    warner w = {snap, {0}};
    uint32_t off_used, off_user;
    thread_walk t = {mem, &w, 0, 0, NULL, 0, false};
    if (!read_td(mem, db->td_dl_stack_used, 128, &off_used, &w, "rtld_global__dl_stack_used") ||
        !read_td(mem, db->td_dl_stack_user, 128, &off_user, &w, "rtld_global__dl_stack_user") ||
        !read_td(mem, db->td_pthread_list, 128, &t.off_list, &w, "pthread_list") ||
        !read_td(mem, db->td_pthread_tid, 32, &t.off_tid, &w, "pthread_tid"))
        return true;
    /* Threads on glibc-allocated stacks, then those on user stacks (the main thread is there). */
    walk_thread_list(&t, db->rtld_global + off_used, "_dl_stack_used");
    if (!t.oom)
        walk_thread_list(&t, db->rtld_global + off_user, "_dl_stack_user");
    if (t.oom || !dedupe_threads(t.out, &t.n)) {
        free(t.out);
        return false;
    }
    *out = t.out;
    *n = t.n;
    return true;
}
