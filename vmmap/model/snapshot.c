#include "snapshot.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"

vm_snapshot *vm_snapshot_new(void)
{
    vm_snapshot *s = calloc(1, sizeof *s);
    if (s)
        s->process.bits = 64;
    return s;
}

void vm_block_init(vm_block *b)
{
    memset(b, 0, sizeof *b);
    b->heap_id = -1;
    b->heap_part = -1;
    b->module = -1;
}

void vm_block_clear(vm_block *b)
{
    free(b->details);
    free(b->path);
    b->details = NULL;
    b->path = NULL;
}

void vm_region_clear(vm_region *r)
{
    for (size_t i = 0; i < r->nblocks; i++)
        vm_block_clear(&r->blocks[i]);
    free(r->blocks);
    free(r->details);
    r->blocks = NULL;
    r->details = NULL;
    r->nblocks = 0;
}

void vm_snapshot_clear_captured(vm_snapshot *s)
{
    for (size_t i = 0; i < s->nregions; i++)
        vm_region_clear(&s->regions[i]);
    free(s->regions);
    for (size_t i = 0; i < s->nheaps; i++) {
        vm_heap *h = &s->heaps[i];
        for (size_t j = 0; j < h->nparts; j++)
            free(h->parts[j].what);
        free(h->parts);
        vm_heap_clear_walk(h);
        free(h->owners);
        free(h->kind);
        free(h->flags);
        free(h->heap_class);
        free(h->front_end);
    }
    free(s->heaps);
    for (size_t i = 0; i < s->nthreads; i++) {
        free(s->threads[i].name);
        free(s->threads[i].found_by);
    }
    free(s->threads);
    for (size_t i = 0; i < s->nmodules; i++) {
        vm_module *m = &s->modules[i];
        for (size_t j = 0; j < m->nsections; j++)
            free(m->sections[j].name);
        free(m->sections);
        free(m->path);
    }
    free(s->modules);
    for (size_t i = 0; i < s->nwarnings; i++) {
        free(s->warnings[i].code);
        free(s->warnings[i].message);
    }
    free(s->warnings);
    vm_snapshot_clear_objects(s);
    free(s->source);
    free(s->host);
    free(s->os);
    free(s->arch);
    free(s->process.name);
    free(s->process.exe);
    free(s->process.cmdline);
    char *tool_version = s->tool_version, *taken_at = s->taken_at;
    memset(s, 0, sizeof *s);
    s->tool_version = tool_version;
    s->taken_at = taken_at;
    s->process.bits = 64; /* as vm_snapshot_new leaves it */
}

void vm_snapshot_free(vm_snapshot *s)
{
    if (!s)
        return;
    vm_snapshot_clear_captured(s);
    free(s->tool_version);
    free(s->taken_at);
    free(s);
}

vm_region *vm_snapshot_add_region(vm_snapshot *s)
{
    return vm_array_push((void **)&s->regions, &s->nregions, sizeof *s->regions);
}

vm_block *vm_region_add_block(vm_region *r)
{
    vm_block *b = vm_array_push((void **)&r->blocks, &r->nblocks, sizeof *r->blocks);
    if (b)
        vm_block_init(b);
    return b;
}

vm_heap *vm_snapshot_add_heap(vm_snapshot *s)
{
    return vm_array_push((void **)&s->heaps, &s->nheaps, sizeof *s->heaps);
}

vm_heap_part *vm_heap_add_part(vm_heap *h)
{
    return vm_array_push((void **)&h->parts, &h->nparts, sizeof *h->parts);
}

vm_heap_owner *vm_heap_add_owner(vm_heap *h)
{
    return vm_array_push((void **)&h->owners, &h->nowners, sizeof *h->owners);
}

void vm_heap_clear_walk(vm_heap *h)
{
    free(h->sizes);
    free(h->walk_note);
    h->sizes = NULL;
    h->nsizes = 0;
    h->walk_note = NULL;
    h->stats_known = false;
    memset(&h->stats, 0, sizeof h->stats);
}

vm_thread *vm_snapshot_add_thread(vm_snapshot *s)
{
    return vm_array_push((void **)&s->threads, &s->nthreads, sizeof *s->threads);
}

vm_module *vm_snapshot_add_module(vm_snapshot *s)
{
    return vm_array_push((void **)&s->modules, &s->nmodules, sizeof *s->modules);
}

vm_section *vm_module_add_section(vm_module *m)
{
    return vm_array_push((void **)&m->sections, &m->nsections, sizeof *m->sections);
}

void vm_snapshot_warn(vm_snapshot *s, const char *code, const char *fmt, ...)
{
    /* A runaway source must not bury the snapshot in warnings: keep the first few thousand. */
    if (!s || s->nwarnings >= 4096)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *c = vm_strdup(code), *m = vm_strdup(msg);
    vm_warning *w = (c && m) ? vm_array_push((void **)&s->warnings, &s->nwarnings, sizeof *s->warnings) : NULL;
    if (!w) {
        free(c);
        free(m);
        return;
    }
    w->code = c;
    w->message = m;
}

/* ---- equality ---------------------------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

#define DIFF(cond, ...)                                                                        \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            snprintf(why, whylen, __VA_ARGS__);                                                \
            return false;                                                                      \
        }                                                                                      \
    } while (0)

static bool counters_equal(const vm_counters *a, const vm_counters *b)
{
    if (a->known != b->known)
        return false;
    for (int c = 0; c < VM_C_COUNT; c++)
        if ((a->known & (1u << c)) && a->v[c] != b->v[c])
            return false;
    return true;
}

static bool block_equal(const vm_block *a, const vm_block *b)
{
    return a->address == b->address && a->size == b->size && a->state == b->state &&
           a->protection == b->protection && a->memtype == b->memtype && a->kind == b->kind &&
           counters_equal(&a->counters, &b->counters) && str_eq(a->details, b->details) &&
           a->heap_id == b->heap_id && a->heap_part == b->heap_part &&
           a->thread_id == b->thread_id && a->module == b->module && str_eq(a->path, b->path);
}

static bool heap_walk_equal(const vm_heap *a, const vm_heap *b)
{
    if (a->stats_known != b->stats_known)
        return false;
    if (!a->stats_known)
        return true;
    const vm_heap_stats *x = &a->stats, *y = &b->stats;
    return x->busy_blocks == y->busy_blocks && x->busy_bytes == y->busy_bytes &&
           x->free_blocks == y->free_blocks && x->free_bytes == y->free_bytes &&
           x->cached_blocks == y->cached_blocks && x->cached_bytes == y->cached_bytes &&
           x->largest_free == y->largest_free && x->overhead_bytes == y->overhead_bytes &&
           x->fragmentation == y->fragmentation;
}

bool vm_snapshot_equal(const vm_snapshot *a, const vm_snapshot *b, char *why, size_t whylen)
{
    DIFF(str_eq(a->tool_version, b->tool_version), "tool_version");
    DIFF(str_eq(a->taken_at, b->taken_at), "taken_at");
    DIFF(str_eq(a->source, b->source), "source");
    DIFF(str_eq(a->host, b->host), "host");
    DIFF(str_eq(a->os, b->os), "os");
    DIFF(str_eq(a->arch, b->arch), "arch");
    DIFF(a->process.pid == b->process.pid, "process.pid");
    DIFF(str_eq(a->process.name, b->process.name), "process.name");
    DIFF(str_eq(a->process.exe, b->process.exe), "process.exe");
    DIFF(str_eq(a->process.cmdline, b->process.cmdline), "process.cmdline");
    DIFF(a->process.bits == b->process.bits, "process.bits");
    DIFF(a->page_size == b->page_size, "page_size");
    DIFF(a->alloc_granularity == b->alloc_granularity, "alloc_granularity");
    DIFF(a->user_top == b->user_top, "user_top");
    DIFF(a->page_table_known == b->page_table_known, "page_table_known");
    DIFF(!a->page_table_known || a->page_table_bytes == b->page_table_bytes, "page_table_bytes");

    DIFF(a->nregions == b->nregions, "regions: count %zu vs %zu", a->nregions, b->nregions);
    for (size_t i = 0; i < a->nregions; i++) {
        const vm_region *ra = &a->regions[i], *rb = &b->regions[i];
        DIFF(ra->address == rb->address && ra->size == rb->size && ra->kind == rb->kind &&
                 str_eq(ra->details, rb->details),
             "regions[%zu]", i);
        DIFF(ra->nblocks == rb->nblocks, "regions[%zu].blocks: count", i);
        for (size_t j = 0; j < ra->nblocks; j++)
            DIFF(block_equal(&ra->blocks[j], &rb->blocks[j]), "regions[%zu].blocks[%zu]", i, j);
    }
    DIFF(a->nheaps == b->nheaps, "heaps: count");
    for (size_t i = 0; i < a->nheaps; i++) {
        const vm_heap *ha = &a->heaps[i], *hb = &b->heaps[i];
        DIFF(ha->id == hb->id && ha->address == hb->address && str_eq(ha->kind, hb->kind) &&
                 str_eq(ha->flags, hb->flags) && str_eq(ha->heap_class, hb->heap_class) &&
                 str_eq(ha->front_end, hb->front_end) &&
                 ha->largest_free_known == hb->largest_free_known &&
                 (!ha->largest_free_known || ha->largest_free == hb->largest_free) &&
                 ha->nparts == hb->nparts,
             "heaps[%zu]", i);
        for (size_t j = 0; j < ha->nparts; j++) {
            const vm_heap_part *pa = &ha->parts[j], *pb = &hb->parts[j];
            DIFF(pa->address == pb->address && pa->size == pb->size &&
                     pa->committed == pb->committed && str_eq(pa->what, pb->what),
                 "heaps[%zu].parts[%zu]", i, j);
        }
        DIFF(ha->address_unknown == hb->address_unknown, "heaps[%zu].address", i);
        DIFF(heap_walk_equal(ha, hb), "heaps[%zu].stats", i);
        DIFF(str_eq(ha->walk_note, hb->walk_note), "heaps[%zu].walk_note", i);
        DIFF(ha->nsizes == hb->nsizes, "heaps[%zu].sizes: count", i);
        for (size_t j = 0; j < ha->nsizes; j++) {
            const vm_heap_size *za = &ha->sizes[j], *zb = &hb->sizes[j];
            DIFF(za->size == zb->size && za->busy == zb->busy && za->free == zb->free &&
                     za->cached == zb->cached,
                 "heaps[%zu].sizes[%zu]", i, j);
        }
        DIFF(ha->owners_known == hb->owners_known && ha->nowners == hb->nowners,
             "heaps[%zu].owner", i);
        for (size_t j = 0; j < ha->nowners; j++)
            DIFF(ha->owners[j].module == hb->owners[j].module &&
                     ha->owners[j].address == hb->owners[j].address,
                 "heaps[%zu].owner[%zu]", i, j);
    }
    DIFF(a->nthreads == b->nthreads, "threads: count");
    for (size_t i = 0; i < a->nthreads; i++) {
        const vm_thread *ta = &a->threads[i], *tb = &b->threads[i];
        DIFF(ta->tid == tb->tid && str_eq(ta->name, tb->name) && ta->stack_base == tb->stack_base &&
                 ta->stack_limit == tb->stack_limit && ta->reserve_base == tb->reserve_base &&
                 ta->guard_address == tb->guard_address && ta->guard_size == tb->guard_size &&
                 ta->teb == tb->teb && ta->sp == tb->sp && str_eq(ta->found_by, tb->found_by),
             "threads[%zu]", i);
    }
    DIFF(a->nmodules == b->nmodules, "modules: count");
    for (size_t i = 0; i < a->nmodules; i++) {
        const vm_module *ma = &a->modules[i], *mb = &b->modules[i];
        DIFF(str_eq(ma->path, mb->path) && ma->base == mb->base && ma->size == mb->size &&
                 ma->nsections == mb->nsections,
             "modules[%zu]", i);
        for (size_t j = 0; j < ma->nsections; j++) {
            const vm_section *sa = &ma->sections[j], *sb = &mb->sections[j];
            DIFF(str_eq(sa->name, sb->name) && sa->address == sb->address && sa->size == sb->size &&
                     sa->protection == sb->protection,
                 "modules[%zu].sections[%zu]", i, j);
        }
    }
    DIFF(a->nwarnings == b->nwarnings, "warnings: count");
    for (size_t i = 0; i < a->nwarnings; i++)
        DIFF(str_eq(a->warnings[i].code, b->warnings[i].code) &&
                 str_eq(a->warnings[i].message, b->warnings[i].message),
             "warnings[%zu]", i);
    return vm_objects_equal(a, b, why, whylen);
}
