/* The object census: see census.h. */
#include "census.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../parse/rtti.h"
#include "../util/clock_signal.h"
#include "../util/file_io.h"
#include "../util/pattern.h"
#include "../util/progress.h"
#include "../util/units.h"
#include "../util/xalloc.h"
#include "census_impl.h"

#define DEFAULT_MAX_INSTANCES ((size_t)1000000)
#define MAX_BAD_NAME_EXAMPLES 3
/* A read-only range larger than this holds no vtables we would believe (a hostile size). */
#define MAX_RODATA_RANGE ((uint64_t)1 << 30)

typedef struct census_type {
    uint64_t vtable;
    char *name;
    int32_t module;
    vm_rtti_abi abi;
    bool listed; /* matches the type pattern */
    uint64_t count, bytes, bytes_estimated;
    uint64_t outside[VM_OBJ_WHERE_COUNT];
    int32_t *heaps;
    size_t nheaps;
    int32_t last_heap;
} census_type;

/* Objects of the block being scanned: charged when the next one (or the block's end) is seen. */
typedef struct block_state {
    const vm_hblock *b;
    uint64_t hits;
    int32_t prev_type;
    uint64_t prev_addr;
} block_state;

struct vm_census {
    const vm_snapshot *snap;
    vm_census_options opt;
    vm_rtti_space space;
    vm_census_filter filter;
    vm_census_win reader;
    int ptr_size;
    census_type *types;
    size_t ntypes;
    vm_census_instance *instances;
    size_t ninstances;
    uint64_t instances_dropped;
    uint64_t busy_blocks, busy_bytes, unreadable_blocks, unreadable_bytes;
    uint64_t bad_names;
    uint32_t missing_images; /* offline: images whose read-only data neither the target nor a file has */
    char missing_examples[3][96];
    char bad_examples[MAX_BAD_NAME_EXAMPLES][96];
    bool oom;
    /* the heap mappings (committed Heap blocks of the map), sorted: a pointer into the heap being
     * scanned is never a vtable, and most heap words are such pointers */
    vm_census_extent *heap_maps;
    size_t nheap_maps;
    uint64_t own_lo, own_span; /* the one the last block lay in */
    const vm_memreader *mem_direct; /* the target, for small blocks read alone */
    bool walker_hands_bytes;        /* the last block came with its bytes (vm_hblock.bytes) */
    uint8_t small[64 * 1024];
    /* progress */
    uint64_t progress_total, progress_done, progress_unchecked;
    double started, last_print;
    bool printed;
};

/* ---- setup -------------------------------------------------------------------------------- */

static bool build_filter(vm_census *c)
{
    for (size_t i = 0; i < c->space.nranges[VM_RTTI_RODATA]; i++) {
        const vm_rtti_range *r = &c->space.ranges[VM_RTTI_RODATA][i];
        if (r->end - r->start > MAX_RODATA_RANGE)
            continue;
        if (!vm_census_filter_add_range(&c->filter, r->start, r->end))
            return false;
    }
    /* Vtables known by their symbol may sit in writable memory (no RELRO). */
    for (size_t i = 0; i < c->space.nsymbols; i++) {
        const vm_rtti_symbol *s = &c->space.symbols[i];
        if (s->end - s->start <= MAX_RODATA_RANGE && !vm_census_filter_add_range(&c->filter, s->start, s->end))
            return false;
    }
    return true;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

/* Can the target give the module's read-only data (the first byte of each such range)? */
static bool rodata_in_target(vm_census *c, int32_t module)
{
    for (size_t i = 0; i < c->space.nranges[VM_RTTI_RODATA]; i++) {
        const vm_rtti_range *r = &c->space.ranges[VM_RTTI_RODATA][i];
        uint8_t b;
        if (r->module == module && c->space.target->read(c->space.target->ctx, r->start, &b, 1) != 1)
            return false;
    }
    return true;
}

static void note_missing(vm_census *c, const char *path)
{
    if (c->missing_images < 3)
        snprintf(c->missing_examples[c->missing_images], sizeof c->missing_examples[0], "%s", base_name(path));
    c->missing_images++;
}

/* Each module's ELF file: at module_root + its path, else in each --image-path directory (';'
 * between them on Windows: util/file_io.h). */
static void load_symbols(vm_census *c)
{
    if (!c->opt.module_root)
        return;
    for (size_t i = 0; i < c->snap->nmodules; i++) {
        const char *path = c->snap->modules[i].path;
        if (!path || path[0] != '/')
            continue;
        char *full = vm_asprintf("%s%s", c->opt.module_root, path);
        if (!full)
            return;
        bool used = vm_rtti_load_elf_module(&c->space, (int32_t)i, full, c->snap->page_size, c->opt.require_build_id);
        free(full);
        size_t n;
        for (const char *rest = c->opt.image_path, *dir; !used && (dir = vm_path_list_next(&rest, &n)) != NULL;) {
            if (n) {
                char *cand = vm_asprintf("%.*s/%s", (int)n, dir, base_name(path));
                if (!cand)
                    return;
                used = vm_rtti_load_elf_module(&c->space, (int32_t)i, cand, c->snap->page_size, true);
                free(cand);
            }
        }
        if (!used && c->opt.require_build_id && !rodata_in_target(c, (int32_t)i))
            note_missing(c, path);
    }
}

static bool collect_heap_maps(vm_census *c)
{
    const vm_snapshot *s = c->snap;
    size_t n = 0;
    for (size_t i = 0; i < s->nregions; i++)
        n += s->regions[i].nblocks;
    c->heap_maps = malloc((n ? n : 1) * sizeof *c->heap_maps);
    if (!c->heap_maps)
        return false;
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++) {
            const vm_block *b = &s->regions[i].blocks[j];
            if (b->kind == VM_KIND_HEAP && b->state == VM_STATE_COMMIT && b->address + b->size > b->address)
                c->heap_maps[c->nheap_maps++] = (vm_census_extent){b->address, b->address + b->size};
        }
    qsort(c->heap_maps, c->nheap_maps, sizeof *c->heap_maps, vm_census_extent_cmp);
    return true;
}

/* Sets own_lo/own_span to the heap mapping holding addr (or none). */
static void own_heap_range(vm_census *c, uint64_t addr)
{
    const vm_census_extent *e = vm_census_extent_find(c->heap_maps, c->nheap_maps, addr);
    c->own_lo = e ? e->start : 0;
    c->own_span = e ? e->end - e->start : 0;
}

static uint64_t heap_committed(const vm_snapshot *s)
{
    uint64_t total = 0;
    for (size_t i = 0; i < s->nheaps; i++)
        for (size_t j = 0; j < s->heaps[i].nparts; j++)
            total += s->heaps[i].parts[j].committed;
    return total;
}

vm_census *vm_census_new(const vm_snapshot *snap, const vm_memreader *mem, const vm_census_options *opt)
{
    vm_census *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->snap = snap;
    if (opt)
        c->opt = *opt;
    if (!c->opt.max_instances)
        c->opt.max_instances = DEFAULT_MAX_INSTANCES;
    c->ptr_size = snap->process.bits == 32 ? 4 : 8;
    c->mem_direct = mem;
    bool ok = vm_census_filter_init(&c->filter) && vm_census_win_init(&c->reader, mem, snap);
    ok = ok && vm_rtti_space_from_snapshot(&c->space, snap, mem) && collect_heap_maps(c);
    if (ok) {
        load_symbols(c);
        ok = build_filter(c);
    }
    if (!ok) {
        vm_census_free(c);
        return NULL;
    }
    c->progress_total = heap_committed(snap);
    c->started = c->last_print = vm_clock_now();
    return c;
}

static size_t reader_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    return vm_census_read(&((vm_census *)ctx)->reader, addr, buf, len);
}

vm_memreader vm_census_reader(vm_census *c)
{
    vm_memreader r = {reader_read, c, NULL};
    return r;
}

void vm_census_free(vm_census *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ntypes; i++) {
        free(c->types[i].name);
        free(c->types[i].heaps);
    }
    free(c->types);
    free(c->instances);
    free(c->heap_maps);
    vm_rtti_space_free(&c->space);
    vm_census_filter_free(&c->filter);
    vm_census_win_free(&c->reader);
    free(c);
}

/* ---- progress ------------------------------------------------------------------------------ */

static void progress(vm_census *c, uint64_t bytes)
{
    c->progress_done += bytes;
    /* The clock is looked at once per few MiB, not once per block. */
    if (!c->opt.progress || (c->progress_unchecked += bytes) < ((uint64_t)4 << 20))
        return;
    c->progress_unchecked = 0;
    double now = vm_clock_now();
    /* The first line once the delay is over, then a few redraws a second. */
    if (now - c->started < vm_progress_delay() || (c->printed && now - c->last_print < 0.25))
        return;
    c->last_print = now;
    char done[VM_UNITS_BUFSZ], total[VM_UNITS_BUFSZ];
    vm_format_human(c->progress_done, done, sizeof done);
    if (c->progress_total > c->progress_done) {
        vm_format_human(c->progress_total, total, sizeof total);
        fprintf(stderr, "\rvmmap: objects: %s of %s scanned (%u%%)   ", done, total,
                (unsigned)(c->progress_done * 100 / c->progress_total));
    } else {
        fprintf(stderr, "\rvmmap: objects: %s scanned   ", done);
    }
    c->printed = true;
}

static void progress_end(vm_census *c)
{
    if (c->printed)
        fprintf(stderr, "\r%60s\r", "");
    c->printed = false;
}

/* ---- types ----------------------------------------------------------------------------------- */

/* A pattern with wildcards must match the whole name; plain text matches the name, or its last
 * part after "::" ("RequestContext" lists app::RequestContext). */
static bool name_listed(const vm_census *c, const char *name)
{
    const char *pat = c->opt.type_pattern;
    if (!pat)
        return false;
    if (vm_pattern_is_glob(pat) || vm_pattern_match(pat, name))
        return vm_pattern_match(pat, name);
    size_t n = strlen(name), m = strlen(pat);
    return n > m + 2 && name[n - m - 1] == ':' && name[n - m - 2] == ':' && strcmp(name + n - m, pat) == 0;
}

/* The verdict for value v, validating it on first sight. */
static int32_t verdict(vm_census *c, uint64_t v)
{
    int32_t known = vm_census_filter_get(&c->filter, v);
    if (known != CENSUS_UNKNOWN)
        return known;
    vm_rtti_vtable vt;
    vm_rtti_verdict r = vm_rtti_check(&c->space, v, &vt);
    int32_t result = CENSUS_NOT;
    if (r == VM_RTTI_BAD_NAME) {
        if (c->bad_names < MAX_BAD_NAME_EXAMPLES)
            snprintf(c->bad_examples[c->bad_names], sizeof c->bad_examples[0], "%s", vt.raw);
        c->bad_names++;
    } else if (r == VM_RTTI_VTABLE && vt.offset != 0) {
        result = CENSUS_SECONDARY;
    } else if (r == VM_RTTI_VTABLE) {
        census_type *t = vm_array_push((void **)&c->types, &c->ntypes, sizeof *c->types);
        if (!t || !(t->name = vm_strdup(vt.name))) {
            if (t)
                c->ntypes--;
            c->oom = true;
            return CENSUS_NOT; /* not cached: tried again, counted if memory comes back */
        }
        t->vtable = v;
        t->module = vt.module;
        t->abi = vt.abi;
        t->listed = name_listed(c, t->name);
        t->last_heap = INT32_MIN;
        result = (int32_t)(c->ntypes - 1);
    }
    vm_census_filter_put(&c->filter, v, result);
    return result;
}

static void add_heap(vm_census *c, census_type *t, int32_t heap_id)
{
    if (t->last_heap == heap_id)
        return;
    t->last_heap = heap_id;
    for (size_t i = 0; i < t->nheaps; i++)
        if (t->heaps[i] == heap_id)
            return;
    int32_t *h = vm_array_push((void **)&t->heaps, &t->nheaps, sizeof *t->heaps);
    if (h)
        *h = heap_id;
    else
        c->oom = true;
}

static void list_instance(vm_census *c, const census_type *t, uint64_t addr, uint64_t block, int32_t heap_id,
                          int where)
{
    if (c->ninstances >= c->opt.max_instances) {
        c->instances_dropped++;
        return;
    }
    vm_census_instance *in = vm_array_push((void **)&c->instances, &c->ninstances, sizeof *c->instances);
    if (!in) {
        c->oom = true;
        return;
    }
    in->address = addr;
    in->vtable = t->vtable;
    in->block = block;
    in->heap_id = heap_id;
    in->where = where;
}

/* ---- heap blocks ----------------------------------------------------------------------------- */

static void object_in_block(vm_census *c, block_state *st, int32_t ti, uint64_t addr)
{
    census_type *t = &c->types[ti];
    t->count++;
    add_heap(c, t, st->b->heap_id);
    if (t->listed)
        list_instance(c, t, addr, st->b->address, st->b->heap_id, -1);
    if (st->hits) { /* the previous object ends where this one starts */
        census_type *p = &c->types[st->prev_type];
        p->bytes += addr - st->prev_addr;
        p->bytes_estimated += addr - st->prev_addr;
    }
    st->hits++;
    st->prev_type = ti;
    st->prev_addr = addr;
}

static void block_done(vm_census *c, block_state *st, uint64_t end)
{
    if (st->hits == 0)
        return;
    census_type *p = &c->types[st->prev_type];
    if (st->hits == 1) {
        p->bytes += st->b->size; /* the block is the object's */
    } else {
        p->bytes += end - st->prev_addr;
        p->bytes_estimated += end - st->prev_addr;
    }
}

static uint64_t load_word(const uint8_t *p, int ps)
{
    if (ps == 4)
        return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
    uint64_t v;
    memcpy(&v, p, 8); /* every target is little-endian, and so is every host we build for */
    return v;
}

typedef void (*hit_fn)(vm_census *c, void *ctx, uint64_t addr, int32_t type);

/* Could v be a vptr?  Inside the candidate pages' bounding box and not a pointer into the heap
 * being scanned (most heap words are small numbers, text, or pointers into their own heap). */
static inline bool candidate(uint64_t v, uint64_t lo, uint64_t span, uint64_t own_lo, uint64_t own_span)
{
    return (v - lo < span) & (v - own_lo >= own_span);
}

static inline void check_word(vm_census *c, uint64_t v, uint64_t addr, hit_fn hit, void *ctx)
{
    if (!vm_census_filter_page(&c->filter, v))
        return;
    int32_t t = verdict(c, v);
    if (t >= 0) /* the validator reads the target directly: the view stays valid */
        hit(c, ctx, addr, t);
}

/* The words of one view: the hot loop of the census (a gibibyte of heap is 134 million words).
 * Most words fail the first test (small numbers, text, random bits) or the second (pointers into
 * the heap being scanned); the page bitmap and the verdict table see the few left.  Its cost is
 * reading the bytes at all: the tests are cheaper than the cache misses. */
static void scan_words(vm_census *c, const uint8_t *p, size_t n, uint64_t base, uint64_t own_lo, uint64_t own_span,
                       hit_fn hit, void *ctx)
{
    const uint64_t lo = c->filter.lo, span = c->filter.hi - c->filter.lo;
    if (c->ptr_size == 8) {
        size_t nw = n / 8;
        for (size_t i = 0; i < nw; i++) {
            uint64_t v;
            memcpy(&v, p + 8 * i, 8); /* any alignment; every target is little-endian, as every host */
            if (v - lo >= span)
                continue;
            if (v - own_lo < own_span)
                continue;
            check_word(c, v, base + 8 * i, hit, ctx);
        }
        return;
    }
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint64_t v = load_word(p + i, 4);
        if (candidate(v, lo, span, own_lo, own_span))
            check_word(c, v, base + i, hit, ctx);
    }
}

/* Calls hit(c, ctx, addr, type) for every word of [start, end) that is a primary vptr; own is the
 * heap mapping [own_lo, own_lo + own_span) the range lies in (0, 0: none).  Returns false when
 * part of the range could not be read. */
static bool scan_range(vm_census *c, uint64_t start, uint64_t end, uint64_t own_lo, uint64_t own_span, hit_fn hit,
                       void *ctx)
{
    uint64_t ps = (uint64_t)c->ptr_size;
    start = (start + ps - 1) & ~(ps - 1);
    bool complete = true;
    while (start < end && end - start >= ps) {
        uint64_t left = end - start;
        size_t want = left < VM_CENSUS_WINDOW_BYTES ? (size_t)left : VM_CENSUS_WINDOW_BYTES;
        size_t got;
        const uint8_t *p = vm_census_view(&c->reader, start, want, &got);
        if (!p || got < ps) {
            complete = false;
            /* Skip to the next page: the rest of this one is unreadable too. */
            uint64_t next = (start | 4095) + 1;
            if (next <= start)
                break;
            start = next;
            continue;
        }
        size_t n = got & ~(size_t)(ps - 1);
        scan_words(c, p, n, start, own_lo, own_span, hit, ctx);
        progress(c, n);
        start += n;
    }
    return complete;
}

static void heap_hit(vm_census *c, void *ctx, uint64_t addr, int32_t type)
{
    object_in_block(c, ctx, type, addr);
}

/* A small block the walker did not have at hand (it straddles the walker's window): read alone,
 * exactly its bytes, not a window around it (which would read the heap a second time). */
static bool scan_small(vm_census *c, uint64_t start, uint64_t end, block_state *st)
{
    size_t len = (size_t)(end - start);
    size_t got = c->mem_direct->read(c->mem_direct->ctx, start, c->small, len);
    uint64_t ps = (uint64_t)c->ptr_size, skip = (ps - (start & (ps - 1))) & (ps - 1);
    if (got > skip)
        scan_words(c, c->small + skip, (size_t)((got - skip) & ~(ps - 1)), start + skip, c->own_lo, c->own_span,
                   heap_hit, st);
    progress(c, got);
    return got == len;
}

bool vm_census_visit(void *ctx, const vm_hblock *b)
{
    vm_census *c = ctx;
    if (b->state != VM_HBLOCK_BUSY || b->size == 0)
        return true;
    c->busy_blocks++;
    c->busy_bytes += b->size;
    uint64_t start = b->user ? b->user : b->address;
    uint64_t end = b->user_size ? b->user + b->user_size : b->address + b->size;
    if (end < start || end - start > ((uint64_t)1 << 40))
        return true; /* a size no block has: the walker's problem, already warned */
    block_state st = {b, 0, 0, 0};
    if (start - c->own_lo >= c->own_span)
        own_heap_range(c, start);
    bool handed = b->bytes && start == b->user && end - start == b->user_size;
    bool readable = true;
    if (handed) {
        /* The walker has the bytes at hand: scanned where they are, no read of our own. */
        uint64_t ps = (uint64_t)c->ptr_size, skip = (ps - (start & (ps - 1))) & (ps - 1);
        if (end - start > skip) {
            size_t n = (size_t)((end - start - skip) & ~(ps - 1));
            scan_words(c, b->bytes + skip, n, start + skip, c->own_lo, c->own_span, heap_hit, &st);
            progress(c, n);
        }
    } else if (c->walker_hands_bytes && end - start <= sizeof c->small) {
        /* A walker that hands bytes over did not have this block whole (it straddles its window):
         * read alone.  Through the windows it would be read a second time with its neighbours. */
        readable = scan_small(c, start, end, &st);
    } else {
        /* A walker that hands nothing over (the Windows walkers), or a block bigger than any
         * window: through the census's own windows, a few MiB per read. */
        readable = scan_range(c, start, end, c->own_lo, c->own_span, heap_hit, &st);
    }
    c->walker_hands_bytes = handed || (c->walker_hands_bytes && !b->bytes && end - start <= sizeof c->small);
    if (!readable) {
        c->unreadable_blocks++;
        c->unreadable_bytes += b->size;
    }
    block_done(c, &st, end);
    return true;
}

/* ---- outside the heaps ------------------------------------------------------------------- */

typedef struct outside_ctx {
    vm_object_where where;
} outside_ctx;

static void outside_hit(vm_census *c, void *ctx, uint64_t addr, int32_t type)
{
    const outside_ctx *o = ctx;
    census_type *t = &c->types[type];
    t->outside[o->where]++;
    if (t->listed)
        list_instance(c, t, addr, 0, -1, (int)o->where);
}

/* The live part of a stack block: from the owning thread's stack pointer up. */
static bool live_stack(const vm_snapshot *s, const vm_block *b, uint64_t *start, uint64_t *end)
{
    *start = b->address;
    *end = b->address + b->size;
    for (size_t i = 0; i < s->nthreads; i++) {
        const vm_thread *t = &s->threads[i];
        if ((b->thread_id && t->tid != b->thread_id) || !t->sp)
            continue;
        if (!b->thread_id && !(t->sp >= b->address && t->sp < *end))
            continue;
        if (t->sp >= *end)
            return false; /* below the stack pointer: dead frames */
        if (t->sp > *start)
            *start = t->sp;
        return true;
    }
    return true;
}

void vm_census_scan_outside(vm_census *c)
{
    if (!c->opt.all)
        return;
    const vm_snapshot *s = c->snap;
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++) {
            const vm_block *b = &s->regions[i].blocks[j];
            if (b->state != VM_STATE_COMMIT || !(b->protection & VM_PROT_READ) || (b->protection & VM_PROT_GUARD))
                continue;
            outside_ctx o;
            uint64_t start = b->address, end = b->address + b->size;
            if (b->kind == VM_KIND_STACK) {
                o.where = VM_OBJ_STACK;
                if (!live_stack(s, b, &start, &end))
                    continue;
            } else if (b->kind == VM_KIND_PRIVATE_DATA) {
                o.where = VM_OBJ_PRIVATE_DATA;
            } else if (b->kind == VM_KIND_IMAGE && (b->protection & (VM_PROT_WRITE | VM_PROT_COPY))) {
                o.where = VM_OBJ_IMAGE_DATA;
            } else {
                continue;
            }
            scan_range(c, start, end, b->address, b->size, outside_hit, &o);
        }
}

/* ---- results ------------------------------------------------------------------------------ */

static int object_cmp(const void *a, const void *b)
{
    const vm_object_type *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int n = strcmp(x->type ? x->type : "", y->type ? y->type : "");
    if (n)
        return n;
    return x->vtable < y->vtable ? -1 : x->vtable > y->vtable;
}

void vm_census_sort(vm_snapshot *snap)
{
    if (snap->nobjects > 1)
        qsort(snap->objects, snap->nobjects, sizeof *snap->objects, object_cmp);
}

static int heap_id_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

bool vm_census_finish(vm_census *c, vm_snapshot *snap)
{
    progress_end(c);
    vm_snapshot_clear_objects(snap);
    snap->census.present = true;
    snap->census.all = c->opt.all;
    snap->census.busy_blocks = c->busy_blocks;
    snap->census.busy_bytes = c->busy_bytes;
    for (size_t i = 0; i < c->ntypes; i++) {
        census_type *t = &c->types[i];
        vm_object_type *o = vm_snapshot_add_object_type(snap);
        if (!o)
            return false;
        const char *mod = t->module >= 0 && (size_t)t->module < snap->nmodules ? snap->modules[t->module].path : NULL;
        o->type = t->name;
        t->name = NULL;
        o->module = vm_strdup(mod ? mod : "");
        o->abi = vm_strdup(t->abi == VM_RTTI_MSVC ? "msvc" : "itanium");
        o->vtable = t->vtable;
        o->count = t->count;
        o->bytes = t->bytes;
        o->bytes_estimated = t->bytes_estimated;
        memcpy(o->outside, t->outside, sizeof o->outside);
        if (t->nheaps)
            qsort(t->heaps, t->nheaps, sizeof *t->heaps, heap_id_cmp);
        o->heaps = t->heaps;
        o->nheaps = t->nheaps;
        t->heaps = NULL;
        t->nheaps = 0;
        if (!o->module || !o->abi)
            return false;
    }
    vm_census_sort(snap);
    if (c->bad_names)
        vm_snapshot_warn(snap, "census-name",
                         "%" PRIu64 " vtable%s with a class name vmmap cannot decode %s not counted (e.g. %s%s%s%s%s)",
                         c->bad_names, c->bad_names == 1 ? "" : "s", c->bad_names == 1 ? "was" : "were",
                         c->bad_examples[0], c->bad_names > 1 ? ", " : "", c->bad_names > 1 ? c->bad_examples[1] : "",
                         c->bad_names > 2 ? ", " : "", c->bad_names > 2 ? c->bad_examples[2] : "");
    if (c->missing_images)
        vm_snapshot_warn(snap, "census-images",
                         "census: %" PRIu32 " image%s read-only data (%s%s%s%s%s%s) %s neither in the target nor in a "
                         "module file with %s build-id: objects of %s classes are not counted; --image-path DIR "
                         "says where the files are",
                         c->missing_images, c->missing_images == 1 ? "'s" : "s'", c->missing_examples[0],
                         c->missing_images > 1 ? ", " : "", c->missing_images > 1 ? c->missing_examples[1] : "",
                         c->missing_images > 2 ? ", " : "", c->missing_images > 2 ? c->missing_examples[2] : "",
                         c->missing_images > 3 ? ", ..." : "", c->missing_images == 1 ? "is" : "are",
                         c->missing_images == 1 ? "its" : "their", c->missing_images == 1 ? "its" : "their");
    if (c->unreadable_blocks) {
        char human[VM_UNITS_BUFSZ];
        vm_format_human(c->unreadable_bytes, human, sizeof human);
        vm_snapshot_warn(snap, "read-failed",
                         "census: %" PRIu64 " busy heap block%s (%s) could not be read whole; objects in the "
                         "unreadable part are not counted",
                         c->unreadable_blocks, c->unreadable_blocks == 1 ? "" : "s", human);
    }
    if (c->instances_dropped)
        vm_snapshot_warn(snap, "census-instances",
                         "%" PRIu64 " more instances matched the type pattern than the %zu listed",
                         c->instances_dropped, c->opt.max_instances);
    if (c->oom)
        vm_snapshot_warn(snap, "census-memory", "census: out of memory; some objects or heaps may be missing");
    return true;
}

const vm_census_instance *vm_census_instances(const vm_census *c, size_t *n)
{
    *n = c->ninstances;
    return c->instances;
}

void vm_census_read_stats(const vm_census *c, uint64_t *reads, uint64_t *bytes)
{
    *reads = c->reader.reads;
    *bytes = c->reader.bytes_read;
}
