/* NT heap walker and the helpers shared by the Windows-family heap walkers (see ntheap.h).
 * Offsets: windows-internals.md §2.  Nothing here overlays a C struct on target bytes: every
 * structure is a table of offsets per layout, read little-endian through the memreader. */
#include "ntheap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

#define PAGE UINT64_C(0x1000)
#define MAX_SEGMENT_PAGES UINT64_C(0xF00000)   /* NumberOfPages at or above this is garbage */
#define ENCODE_FLAG 0x100000u           /* EncodeFlagMask bit: entry headers are encoded */

/* ---- shared helpers ---------------------------------------------------------------------- */

uint64_t vm_winheap_le(const uint8_t *p, unsigned len)
{
    uint64_t v = 0;
    while (len--)
        v = v << 8 | p[len];
    return v;
}

/* A little-endian scalar of 1, 2, 4 or 8 bytes. */
static bool read_le(const vm_memreader *mem, uint64_t addr, unsigned len, uint64_t *out)
{
    uint8_t b[8];
    if (len > sizeof b || !vm_read_exact(mem, addr, b, len))
        return false;
    *out = vm_winheap_le(b, len);
    return true;
}

bool vm_winheap_read_ptr(const vm_memreader *mem, int bits, uint64_t addr, uint64_t *out)
{
    return read_le(mem, addr, bits == 32 ? 4 : 8, out);
}

void vm_winheap_free(vm_winheap *h)
{
    if (!h)
        return;
    free(h->segments);
    free(h->large);
    h->segments = h->large = NULL;
    h->nsegments = h->nlarge = 0;
}

bool vm_winlist_walk(const vm_memreader *mem, int bits, uint64_t head, size_t max_nodes,
                     const char *what, vm_winlist_visit visit, void *ctx, vm_snapshot *snap)
{
    unsigned ptr = bits == 32 ? 4 : 8;
    uint64_t prev = head, link;
    if (!read_le(mem, head, ptr, &link)) {
        if (snap)
            vm_snapshot_warn(snap, "read-failed", "%s: cannot read the list head at 0x%" PRIx64, what, head);
        return true;
    }
    for (size_t n = 0; link != head; n++) {
        uint8_t b[16];
        if (n == max_nodes) {
            if (snap)
                vm_snapshot_warn(snap, "heap-invalid", "%s: more than %zu entries, walk stopped", what, max_nodes);
            return true;
        }
        if (link == 0 || link % ptr) {
            if (snap)
                vm_snapshot_warn(snap, "heap-invalid", "%s: link 0x%" PRIx64 " after 0x%" PRIx64 " is not a list entry",
                                 what, link, prev);
            return true;
        }
        if (!vm_read_exact(mem, link, b, 2 * ptr)) {
            if (snap)
                vm_snapshot_warn(snap, "read-failed", "%s: cannot read the list entry at 0x%" PRIx64, what, link);
            return true;
        }
        uint64_t flink = vm_winheap_le(b, ptr), blink = vm_winheap_le(b + ptr, ptr);
        /* Each node must point back where we came from: a walk that only ever takes consistent
         * steps cannot enter a cycle that misses the head. */
        if (blink != prev) {
            if (snap)
                vm_snapshot_warn(snap, "heap-invalid",
                                 "%s: entry 0x%" PRIx64 " points back to 0x%" PRIx64 ", not 0x%" PRIx64
                                 " (list corrupt or changing)", what, link, blink, prev);
            return true;
        }
        vm_winlist_step step = visit(ctx, link);
        if (step != VM_WINLIST_NEXT)
            return step != VM_WINLIST_OOM;
        prev = link;
        link = flink;
    }
    return true;
}

static bool add_part(vm_heap *vh, const vm_winheap_range *r, char *what)
{
    vm_heap_part *p = what ? vm_heap_add_part(vh) : NULL;
    if (!p) {
        free(what);
        return false;
    }
    p->address = r->address;
    p->size = r->size;
    p->committed = r->committed_known ? r->committed : 0;
    p->what = what;
    return true;
}

static bool dup_field(char **dst, const char *src)
{
    if (!src || !src[0])
        return true;
    *dst = vm_strdup(src);
    return *dst != NULL;
}

bool vm_winheap_append(vm_snapshot *snap, const vm_winheap *h, int32_t id, const char *class_override)
{
    vm_heap *vh = vm_snapshot_add_heap(snap);
    if (!vh)
        return false;
    vh->id = id;
    vh->address = h->address;
    if (!dup_field(&vh->kind, h->kind) || !dup_field(&vh->flags, h->flags) ||
        !dup_field(&vh->heap_class, class_override ? class_override : h->heap_class) ||
        !dup_field(&vh->front_end, h->front_end))
        return false;
    if (h->has_header && !add_part(vh, &h->header, vm_strdup("heap")))
        return false;
    for (size_t i = 0; i < h->nsegments; i++)
        if (!add_part(vh, &h->segments[i], vm_asprintf("%s %zu", h->part_word ? h->part_word : "segment", i)))
            return false;
    for (size_t i = 0; i < h->nlarge; i++)
        if (!add_part(vh, &h->large[i], vm_strdup("large block")))
            return false;
    return true;
}

/* ---- flags and classes (§2) -------------------------------------------------------------- */

static const struct {
    uint32_t bit;
    const char *word;
} FLAG_WORDS[] = {
    {0x2, "growable"},          {0x1, "no-serialize"},       {0x4, "generate-exceptions"},
    {0x8, "zero-memory"},       {0x10, "realloc-in-place"},  {0x20, "tail-check"},
    {0x40, "free-check"},       {0x80, "disable-coalesce"},  {0x100, "segment-heap"},
    {0x200, "hardened"},        {0x10000, "align16"},        {0x20000, "tracing"},
    {0x40000, "executable"},
};

static const char *const CLASS_NAMES[16] = {
    "process", "private", "kernel", "GDI", "user", "console", "desktop", "CSR shared", "CSR port",
};

void vm_ntheap_flag_words(uint32_t flags, char *buf, size_t len)
{
    size_t used = 0;
    uint32_t rest = flags & ~0xF000u;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof FLAG_WORDS / sizeof FLAG_WORDS[0]; i++) {
        if (!(rest & FLAG_WORDS[i].bit))
            continue;
        rest &= ~FLAG_WORDS[i].bit;
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", FLAG_WORDS[i].word);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
    if (rest)
        snprintf(buf + used, len - used, "%s0x%" PRIx32, used ? ", " : "", rest);
}

const char *vm_ntheap_class_name(uint32_t flags)
{
    const char *name = CLASS_NAMES[(flags >> 12) & 0xF];
    return name ? name : "unknown class";
}

const char *vm_ntheap_front_end_name(unsigned type)
{
    return type == 2 ? "LFH" : type == 1 ? "lookaside" : NULL;
}

/* ---- layouts (§2) ------------------------------------------------------------------------ */

/* What depends only on the bitness: _HEAP_SEGMENT (the _HEAP starts with one), the compatible
 * head of _HEAP, _HEAP_VIRTUAL_ALLOC_ENTRY, _HEAP_ENTRY. */
typedef struct nt_arch {
    int bits;
    uint8_t ptr;
    uint8_t seg_sig, seg_entry, seg_heap, seg_base, seg_pages, seg_first, seg_uncommitted, seg_len;
    uint8_t flags, force_flags, encode_mask, encoding;
    uint8_t va_commit, va_reserve, va_len;
} nt_arch;

static const nt_arch ARCH64 = {
    .bits = 64, .ptr = 8,
    .seg_sig = 0x10, .seg_entry = 0x18, .seg_heap = 0x28, .seg_base = 0x30, .seg_pages = 0x38,
    .seg_first = 0x40, .seg_uncommitted = 0x50, .seg_len = 0x58,
    .flags = 0x70, .force_flags = 0x74, .encode_mask = 0x7C, .encoding = 0x88, /* Encoding+8 */
    .va_commit = 0x20, .va_reserve = 0x28, .va_len = 0x30,
};

static const nt_arch ARCH32 = {
    .bits = 32, .ptr = 4,
    .seg_sig = 0x08, .seg_entry = 0x10, .seg_heap = 0x18, .seg_base = 0x1C, .seg_pages = 0x20,
    .seg_first = 0x24, .seg_uncommitted = 0x2C, .seg_len = 0x30,
    .flags = 0x40, .force_flags = 0x44, .encode_mask = 0x4C, .encoding = 0x50,
    .va_commit = 0x10, .va_reserve = 0x14, .va_len = 0x18,
};

/* FrontEndHeapType moved between Windows builds; each candidate holds from from_build on. */
typedef struct fe_candidate {
    uint16_t off;
    uint32_t from_build;
} fe_candidate;

typedef struct nt_layout {
    const char *name;
    const nt_arch *arch;
    uint16_t signature, valloc, seglist;
    fe_candidate fe[3];  /* oldest build first; off 0 ends the list */
    bool win7;
} nt_layout;

/* Within one bitness the newer layout comes first: it is tried first. */
static const nt_layout LAYOUTS[] = {
    {"Win8-11 x64", &ARCH64, 0x98, 0x110, 0x120, {{0x17A, 9200}, {0x182, 10240}, {0x1A2, 19041}}, false},
    {"Win7 x64", &ARCH64, 0xA0, 0x118, 0x128, {{0x182, 7600}}, true},
    {"Win8-10 x86", &ARCH32, 0x60, 0x9C, 0xA4, {{0xD6, 9200}, {0xDA, 10240}, {0xEA, 19041}}, false},
    {"Win7 x86", &ARCH32, 0x64, 0xA0, 0xA8, {{0xDA, 7600}}, true},
};
#define NLAYOUTS (sizeof LAYOUTS / sizeof LAYOUTS[0])

static const nt_layout *find_layout(const vm_memreader *mem, int bits, uint64_t heap, bool *readable);

static const nt_arch *arch_for(int bits)
{
    return bits == 32 ? &ARCH32 : &ARCH64;
}

bool vm_ntheap_probe(const vm_memreader *mem, int bits, uint64_t heap)
{
    uint32_t sig;
    return vm_read_u32(mem, heap + arch_for(bits)->seg_sig, &sig) && sig == VM_NTHEAP_SEGMENT_SIGNATURE;
}

bool vm_ntheap_has_signature(const vm_memreader *mem, int bits, uint64_t heap)
{
    bool readable;
    return vm_ntheap_probe(mem, bits, heap) && find_layout(mem, bits, heap, &readable) != NULL;
}

/* ---- the walk ---------------------------------------------------------------------------- */

typedef struct nt_walk {
    const vm_memreader *mem;
    const nt_arch *a;
    uint64_t heap;
    vm_winheap *out;
    vm_snapshot *snap;
    char what[80];   /* "heap 0x... segment list" for the list walker's messages */
} nt_walk;

typedef struct nt_segment {
    uint32_t sig, uncommitted;
    uint64_t heap, base, pages, first;
} nt_segment;

static bool read_segment(const nt_walk *w, uint64_t seg, nt_segment *s)
{
    const nt_arch *a = w->a;
    uint8_t b[0x58];
    if (seg + a->seg_len < seg || !vm_read_exact(w->mem, seg, b, a->seg_len))
        return false;
    s->sig = (uint32_t)vm_winheap_le(b + a->seg_sig, 4);
    s->heap = vm_winheap_le(b + a->seg_heap, a->ptr);
    s->base = vm_winheap_le(b + a->seg_base, a->ptr);
    s->pages = vm_winheap_le(b + a->seg_pages, 4);
    s->first = vm_winheap_le(b + a->seg_first, a->ptr);
    s->uncommitted = (uint32_t)vm_winheap_le(b + a->seg_uncommitted, 4);
    return true;
}

/* Why the segment header at seg is not one of this heap's segments, into why; false if it is. */
static bool segment_problem(const nt_walk *w, uint64_t seg, const nt_segment *s, char *why, size_t len)
{
    if (s->sig != VM_NTHEAP_SEGMENT_SIGNATURE)
        snprintf(why, len, "is not a segment (signature 0x%" PRIx32 ")", s->sig);
    else if (s->heap != w->heap)
        snprintf(why, len, "is a segment of heap 0x%" PRIx64, s->heap);
    else if (s->base % PAGE)
        snprintf(why, len, "has BaseAddress 0x%" PRIx64 ", not page aligned", s->base);
    else if (s->pages == 0 || s->pages >= MAX_SEGMENT_PAGES)
        snprintf(why, len, "has NumberOfPages 0x%" PRIx64 ", out of range", s->pages);
    else if (s->uncommitted > s->pages)
        snprintf(why, len, "has more uncommitted pages (0x%" PRIx32 ") than pages", s->uncommitted);
    else if (s->base + s->pages * PAGE < s->base || seg < s->base || seg >= s->base + s->pages * PAGE)
        snprintf(why, len, "lies outside its range [0x%" PRIx64 ", +0x%" PRIx64 ")", s->base, s->pages * PAGE);
    else
        return false;
    return true;
}

/* The first entry of an encoded heap must pass the header checksum: this confirms we read the
 * encoding (and the heap) right.  A failure is reported, not fatal: the segment range stands. */
static void check_first_entry(const nt_walk *w, uint64_t seg, const nt_segment *s)
{
    uint8_t raw[8];
    vm_ntheap_entry e;
    uint64_t hdr = s->first + (w->a->bits == 64 ? 8 : 0);
    if (!w->out->encoded || !w->snap)
        return;
    if (s->first < s->base || s->first >= s->base + s->pages * PAGE || !vm_read_exact(w->mem, hdr, raw, 8))
        vm_snapshot_warn(w->snap, "heap-invalid", "heap 0x%" PRIx64 " segment 0x%" PRIx64
                         ": FirstEntry 0x%" PRIx64 " is not readable inside the segment", w->heap, seg, s->first);
    else if (!vm_ntheap_decode_entry(w->out, raw, &e))
        vm_snapshot_warn(w->snap, "heap-invalid", "heap 0x%" PRIx64 " segment 0x%" PRIx64
                         ": first entry at 0x%" PRIx64 " fails the encoded header check", w->heap, seg, s->first);
}

static vm_winheap_range *push_range(vm_winheap_range **arr, size_t *n)
{
    return vm_array_push((void **)arr, n, sizeof **arr);
}

/* Adds the segment at seg; STOP (with a warning) when it does not validate. */
static vm_winlist_step add_segment(nt_walk *w, uint64_t seg, uint64_t link)
{
    nt_segment s;
    char why[128];
    if (!read_segment(w, seg, &s)) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "read-failed", "%s: cannot read the segment at 0x%" PRIx64
                             " (link 0x%" PRIx64 ")", w->what, seg, link);
        return VM_WINLIST_STOP;
    }
    if (segment_problem(w, seg, &s, why, sizeof why)) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "heap-invalid", "%s: link 0x%" PRIx64 " %s", w->what, link, why);
        return VM_WINLIST_STOP;
    }
    vm_winheap_range *r = push_range(&w->out->segments, &w->out->nsegments);
    if (!r)
        return VM_WINLIST_OOM;
    r->address = s.base;
    r->size = s.pages * PAGE;
    r->committed = (s.pages - s.uncommitted) * PAGE;
    r->committed_known = true;
    r->header = seg;
    check_first_entry(w, seg, &s);
    return VM_WINLIST_NEXT;
}

static vm_winlist_step visit_segment(void *ctx, uint64_t link)
{
    nt_walk *w = ctx;
    uint64_t seg = link - w->a->seg_entry;
    if (seg == w->heap)
        return VM_WINLIST_NEXT;  /* segment 0, already taken from the heap itself */
    return add_segment(w, seg, link);
}

/* Each VirtualAllocdBlocks link is the _HEAP_VIRTUAL_ALLOC_ENTRY at the base of its own
 * reservation. */
static vm_winlist_step visit_large(void *ctx, uint64_t link)
{
    nt_walk *w = ctx;
    const nt_arch *a = w->a;
    uint8_t b[0x30];
    if (!vm_read_exact(w->mem, link, b, a->va_len)) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "read-failed", "%s: cannot read the block at 0x%" PRIx64, w->what, link);
        return VM_WINLIST_STOP;
    }
    uint64_t commit = vm_winheap_le(b + a->va_commit, a->ptr), reserve = vm_winheap_le(b + a->va_reserve, a->ptr);
    uint64_t limit = a->bits == 32 ? UINT64_C(1) << 32 : UINT64_C(1) << 48;
    if (link % PAGE || reserve == 0 || reserve > limit || commit > reserve || link + reserve < link) {
        if (w->snap)
            vm_snapshot_warn(w->snap, "heap-invalid", "%s: link 0x%" PRIx64 " is not a large block"
                             " (CommitSize 0x%" PRIx64 ", ReserveSize 0x%" PRIx64 ")", w->what, link, commit, reserve);
        return VM_WINLIST_STOP;
    }
    vm_winheap_range *r = push_range(&w->out->large, &w->out->nlarge);
    if (!r)
        return VM_WINLIST_OOM;
    r->address = link;
    r->size = reserve;
    r->committed = commit;
    r->committed_known = true;
    r->header = link;
    return VM_WINLIST_NEXT;
}

static const nt_layout *find_layout(const vm_memreader *mem, int bits, uint64_t heap, bool *readable)
{
    *readable = false;
    for (size_t i = 0; i < NLAYOUTS; i++) {
        uint32_t sig;
        if (LAYOUTS[i].arch->bits != (bits == 32 ? 32 : 64) || !vm_read_u32(mem, heap + LAYOUTS[i].signature, &sig))
            continue;
        *readable = true;
        if (sig == VM_NTHEAP_SIGNATURE)
            return &LAYOUTS[i];
    }
    return NULL;
}

/* The FrontEndHeapType byte at one candidate offset, or -1 when unreadable. */
static int front_end_type(const vm_memreader *mem, uint64_t heap, const fe_candidate *c)
{
    uint8_t t;
    return vm_read_exact(mem, heap + c->off, &t, 1) ? t : -1;
}

/* The build's own offset when the build is known; else the candidates are probed newest Windows
 * first and the first holding a valid type (0..2) is believed (none: the newest one's byte, an
 * unknown type).  Returns the byte, -1 when unreadable. */
static int front_end(const vm_memreader *mem, const nt_layout *l, uint64_t heap, uint32_t build)
{
    size_t n = 0;
    while (n < 3 && l->fe[n].off)
        n++;
    if (build) {
        size_t pick = 0;
        for (size_t i = 0; i < n; i++)
            if (build >= l->fe[i].from_build)
                pick = i;
        return front_end_type(mem, heap, &l->fe[pick]);
    }
    for (size_t i = n; i-- > 0;) {
        int t = front_end_type(mem, heap, &l->fe[i]);
        if (t >= 0 && t <= 2)
            return t;
    }
    return n ? front_end_type(mem, heap, &l->fe[n - 1]) : -1;
}

/* Heap-wide fields: flags, class, encoding, front end. */
static bool read_heap_fields(nt_walk *w, const nt_layout *l, uint32_t build)
{
    const nt_arch *a = w->a;
    uint64_t flags, force, mask;
    vm_winheap *h = w->out;
    if (!read_le(w->mem, w->heap + a->flags, 4, &flags) || !read_le(w->mem, w->heap + a->force_flags, 4, &force) ||
        !read_le(w->mem, w->heap + a->encode_mask, 4, &mask) ||
        !vm_read_exact(w->mem, w->heap + a->encoding, h->encoding, sizeof h->encoding))
        return false;
    h->raw_flags = (uint32_t)flags;
    h->encoded = (mask & ENCODE_FLAG) != 0;
    vm_ntheap_flag_words(h->raw_flags, h->flags, sizeof h->flags);
    h->heap_class = vm_ntheap_class_name(h->raw_flags);
    h->front_end_type = front_end(w->mem, l, w->heap, build);
    h->front_end = h->front_end_type < 0 ? NULL : vm_ntheap_front_end_name((unsigned)h->front_end_type);
    (void)force;  /* read to prove the header is whole; ForceFlags adds nothing to the map */
    return true;
}

vm_winheap_status vm_ntheap_walk(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build,
                                 vm_winheap *out, vm_snapshot *snap)
{
    nt_walk w = {.mem = mem, .a = arch_for(bits), .heap = heap, .out = out, .snap = snap};
    bool readable;
    memset(out, 0, sizeof *out);
    if (!vm_ntheap_probe(mem, bits, heap)) {
        uint32_t sig;
        return vm_read_u32(mem, heap + w.a->seg_sig, &sig) ? VM_WINHEAP_NOT_THIS : VM_WINHEAP_UNREADABLE;
    }
    const nt_layout *l = find_layout(mem, bits, heap, &readable);
    if (!l)
        return readable ? VM_WINHEAP_NOT_THIS : VM_WINHEAP_UNREADABLE;
    out->address = heap;
    out->kind = "NT";
    out->layout = l->name;
    out->nt_win7 = l->win7;
    out->part_word = "segment";
    if (!read_heap_fields(&w, l, os_build))
        return VM_WINHEAP_UNREADABLE;

    /* Segment 0 is the heap's own segment header, whatever the list says. */
    snprintf(w.what, sizeof w.what, "heap 0x%" PRIx64 " segment 0", heap);
    vm_winlist_step step = add_segment(&w, heap, heap + w.a->seg_entry);
    snprintf(w.what, sizeof w.what, "heap 0x%" PRIx64 " segment list", heap);
    bool ok = step != VM_WINLIST_OOM &&
              vm_winlist_walk(mem, bits, heap + l->seglist, VM_NTHEAP_MAX_SEGMENTS, w.what, visit_segment, &w, snap);
    snprintf(w.what, sizeof w.what, "heap 0x%" PRIx64 " large block list", heap);
    ok = ok && vm_winlist_walk(mem, bits, heap + l->valloc, VM_NTHEAP_MAX_LARGE, w.what, visit_large, &w, snap);
    if (!ok) {
        vm_winheap_free(out);
        return VM_WINHEAP_OOM;
    }
    return VM_WINHEAP_OK;
}

bool vm_ntheap_decode_entry(const vm_winheap *h, const uint8_t raw[8], vm_ntheap_entry *out)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = raw[i] ^ (h->encoded ? h->encoding[i] : 0);
    out->size = (uint16_t)vm_winheap_le(b, 2);
    out->flags = b[2];
    out->small_tag = b[3];
    out->previous_size = (uint16_t)vm_winheap_le(b + 4, 2);
    out->segment_offset = b[6];
    out->unused_bytes = b[7];
    return !h->encoded || b[3] == (uint8_t)(b[0] ^ b[1] ^ b[2]);
}
