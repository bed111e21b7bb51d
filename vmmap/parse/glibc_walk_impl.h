/* Inside the glibc block walker: shared by glibc_bins.c (malloc_states, fastbins, tcaches:
 * which chunks are free or cached although they look busy) and glibc_blocks.c (the chunk walk).
 * Layouts: x86-64, glibc 2.26 .. 2.42 (linux-internals.md §4; malloc/malloc.c, arena.c). */
#ifndef VMMAP_PARSE_GLIBC_WALK_IMPL_H
#define VMMAP_PARSE_GLIBC_WALK_IMPL_H

#include <stdint.h>
#include <string.h>

#include "../util/compiler.h"
#include "glibc_blocks.h"

#define GW_ALIGN ((uint64_t)16)            /* MALLOC_ALIGNMENT */
#define GW_MINSIZE ((uint64_t)32)          /* smallest chunk */
#define GW_HDR ((uint64_t)16)              /* prev_size + size */
#define GW_PREV_INUSE ((uint64_t)0x1)
#define GW_IS_MMAPPED ((uint64_t)0x2)
#define GW_NON_MAIN ((uint64_t)0x4)
#define GW_FLAGS ((uint64_t)0x7)
#define GW_NFASTBINS 10
#define GW_TCACHE_BINS 64
#define GW_HEAP_MAX ((uint64_t)0x4000000)  /* HEAP_MAX_SIZE on 64-bit */

/* Chunks glibc holds in lists: tagged in the low bits of their (16-aligned) address. */
#define GW_MARK_FAST ((uint64_t)1)
#define GW_MARK_TCACHE ((uint64_t)2)
#define GW_MARK_TAGS ((uint64_t)0xf)
/* Listed chunks kept: beyond this (8 bytes each) they are counted busy, with a warning. */
#define GW_MARKS_MAX ((size_t)8 << 20)

/* malloc_state: 2.27 added have_fastchunks after flags, moving everything after it by 8. */
typedef struct gw_mstate_layout {
    uint64_t fastbins, top, system_mem, size;
} gw_mstate_layout;
extern const gw_mstate_layout gw_layouts[2];

typedef struct gw_arena {
    size_t heap;          /* index into walker heaps */
    uint64_t address;
    int layout;           /* index into gw_layouts */
    uint64_t top;
    uint64_t system_mem;
    bool system_mem_known;
    bool pristine;        /* never allocated: top is the unsorted bin's own header */
    bool valid;
    uint64_t fast[GW_NFASTBINS];
} gw_arena;

typedef struct gw_span {
    uint64_t start, end;  /* memory glibc's arenas hand chunks out of */
} gw_span;

enum { GW_W_READ, GW_W_HEAP, GW_W_KINDS };

struct vm_glibc_walker {
    const vm_memreader *mem;
    vm_snapshot *snap;
    const vm_glibc_heap_desc *heaps;
    size_t nheaps;
    vm_glibc_walk_opts opt;
    gw_span *spans;
    size_t nspans;
    gw_arena *arenas;     /* per heap of an arena kind; arena_of[i] indexes it (SIZE_MAX: none) */
    size_t narenas;
    size_t *arena_of;
    uint64_t *marks;      /* sorted: chunk address | GW_MARK_* */
    size_t nmarks;
    uint64_t *tcaches;    /* chunk addresses of the tcache_perthread_structs found, sorted */
    size_t ntcaches;
    bool mangled;
    bool marks_full;
    uint64_t ntcache_marks, nfast_marks;
    unsigned warned[GW_W_KINDS];
    struct vm_read_ahead *ra; /* the read window (read_ahead.h) */
    size_t window;
    bool oom;
};

/* Warnings, at most a few per code and walker. */
void gw_warn(vm_glibc_walker *w, int kind, const char *fmt, ...) VM_PRINTF(3, 4);

/* Little-endian loads (every target we walk is); inline: the walk makes three per chunk. */
static inline uint64_t gw_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v; /* one load: the byte loop below is not folded into one at -O2 */
    memcpy(&v, p, sizeof v);
    return v;
#else
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--)
        v = v << 8 | p[b];
    return v;
#endif
}

static inline uint16_t gw_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
bool gw_in_spans(const vm_glibc_walker *w, uint64_t addr, uint64_t len);

/* glibc_bins.c: arenas' malloc_states, fastbins, tcaches -> w->arenas, w->marks, w->tcaches. */
bool gw_prepare(vm_glibc_walker *w);
/* The tag of the chunk at addr in marks (0: not listed); *cursor speeds up ascending lookups. */
uint64_t gw_mark_of(const vm_glibc_walker *w, uint64_t addr, size_t *cursor);

/* The same, inline for the walk's common case: addresses ascending, few or no marks ahead. */
static inline uint64_t gw_mark_at(const vm_glibc_walker *w, uint64_t addr, size_t *cursor)
{
    size_t i = *cursor;
    if (i >= w->nmarks && (i == 0 || (w->marks[i - 1] & ~GW_MARK_TAGS) < addr))
        return 0; /* past the last mark, still ascending */
    if (i < w->nmarks && (w->marks[i] & ~GW_MARK_TAGS) > addr && (i == 0 || (w->marks[i - 1] & ~GW_MARK_TAGS) < addr))
        return 0; /* between two marks */
    return gw_mark_of(w, addr, cursor);
}
/* Whether a busy chunk of a tcache's size at chunk (body in buf, len bytes from the chunk
 * header) looks like a tcache_perthread_struct holding blocks. */
bool gw_looks_like_tcache(const vm_glibc_walker *w, uint64_t chunk, const uint8_t *buf, size_t len);
bool gw_is_known_tcache(const vm_glibc_walker *w, uint64_t chunk);

#endif
