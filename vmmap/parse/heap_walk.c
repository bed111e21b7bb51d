/* The dispatcher of heap_walk.h. */
#include "heap_walk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glibc_blocks.h"
#include "winheap_blocks.h"

/* Bytes below each thread's stack top searched for its tcache pointer: struct pthread and the
 * static TLS below it sit there (glibc's allocatestack.c). */
#define TLS_WINDOW (32 * 1024)

struct vm_heap_walker {
    const vm_memreader *mem;
    vm_snapshot *snap;
    vm_heap_walk_opts opt;
    vm_walk_progress progress;     /* bytes walked over all heaps, glibc's and Windows' alike */
    bool glibc_ready;              /* glibc's lists read (or failed: glibc NULL) */
    vm_glibc_walker *glibc;
    vm_glibc_heap_desc *descs;     /* one per glibc heap of the snapshot */
    size_t ndescs;
    size_t *desc_of;               /* per snapshot heap: its desc, or SIZE_MAX */
    vm_glibc_part *parts;
    vm_glibc_tls_range *tls;
};

typedef enum family { F_NONE, F_GLIBC_MAIN, F_GLIBC_ARENA, F_GLIBC_MMAP, F_WINDOWS } family;

static family family_of(const char *kind)
{
    if (!kind)
        return F_NONE;
    if (strcmp(kind, "glibc main arena") == 0)
        return F_GLIBC_MAIN;
    if (strcmp(kind, "glibc arena") == 0)
        return F_GLIBC_ARENA;
    if (strcmp(kind, "glibc mmap chunks") == 0)
        return F_GLIBC_MMAP;
    if (strcmp(kind, "NT") == 0 || strcmp(kind, "segment") == 0 || strcmp(kind, "Wine") == 0)
        return F_WINDOWS;
    return F_NONE;
}

bool vm_heap_kind_walkable(const char *kind)
{
    family f = family_of(kind);
    return f != F_NONE;
}

vm_heap_walker *vm_heap_walker_new(const vm_memreader *mem, vm_snapshot *snap, const vm_heap_walk_opts *opts)
{
    vm_heap_walker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->mem = mem;
    w->snap = snap;
    if (opts)
        w->opt = *opts;
    w->progress = (vm_walk_progress){.report = w->opt.progress, .ctx = w->opt.progress_ctx};
    return w;
}

void vm_heap_walker_free(vm_heap_walker *w)
{
    if (!w)
        return;
    vm_glibc_walker_free(w->glibc);
    free(w->descs);
    free(w->desc_of);
    free(w->parts);
    free(w->tls);
    free(w);
}

/* Every glibc heap of the snapshot as the glibc walker takes it, and the threads' TLS ranges;
 * then the walker itself (it reads every arena's lists once). */
static bool prepare_glibc(vm_heap_walker *w)
{
    w->glibc_ready = true;
    const vm_snapshot *s = w->snap;
    size_t nparts = 0;
    for (size_t i = 0; i < s->nheaps; i++)
        if (family_of(s->heaps[i].kind) != F_NONE && family_of(s->heaps[i].kind) != F_WINDOWS)
            nparts += s->heaps[i].nparts;
    w->desc_of = malloc((s->nheaps ? s->nheaps : 1) * sizeof *w->desc_of);
    w->descs = calloc(s->nheaps ? s->nheaps : 1, sizeof *w->descs);
    w->parts = malloc((nparts ? nparts : 1) * sizeof *w->parts);
    w->tls = malloc((s->nthreads ? s->nthreads : 1) * sizeof *w->tls);
    if (!w->desc_of || !w->descs || !w->parts || !w->tls)
        return false;
    size_t p = 0;
    for (size_t i = 0; i < s->nheaps; i++) {
        const vm_heap *h = &s->heaps[i];
        family f = family_of(h->kind);
        w->desc_of[i] = SIZE_MAX;
        if (f == F_NONE || f == F_WINDOWS)
            continue;
        vm_glibc_heap_desc *d = &w->descs[w->ndescs];
        w->desc_of[i] = w->ndescs++;
        d->kind = f == F_GLIBC_MAIN ? VM_GLIBC_MAIN_ARENA : f == F_GLIBC_ARENA ? VM_GLIBC_ARENA : VM_GLIBC_MMAPPED;
        d->heap_id = h->id;
        d->arena = h->address_unknown ? 0 : h->address;
        d->parts = &w->parts[p];
        d->nparts = h->nparts;
        for (size_t j = 0; j < h->nparts; j++)
            w->parts[p++] = (vm_glibc_part){h->parts[j].address, h->parts[j].size};
    }
    size_t ntls = 0;
    for (size_t i = 0; i < s->nthreads; i++) {
        const vm_thread *t = &s->threads[i];
        if (t->stack_base <= t->stack_limit)
            continue;
        uint64_t lo = t->stack_base - t->stack_limit > TLS_WINDOW ? t->stack_base - TLS_WINDOW : t->stack_limit;
        w->tls[ntls++] = (vm_glibc_tls_range){lo, t->stack_base};
    }
    vm_glibc_walk_opts o = {.tls = w->tls, .ntls = ntls, .progress = &w->progress, .read_ahead = w->opt.read_ahead};
    w->glibc = vm_glibc_walker_new(w->mem, w->descs, w->ndescs, &o, w->snap);
    return w->glibc != NULL;
}

static vm_heap_walk_status note_none(char *note, size_t len, const char *why)
{
    if (note && len)
        snprintf(note, len, "%s", why);
    return VM_HEAP_WALK_NONE;
}

/* The Windows build number in the snapshot's "Windows 10.0.19045"; 0 unknown (the walkers then
 * probe the layouts). */
static uint32_t windows_build(const char *os)
{
    const char *dot = os ? strrchr(os, '.') : NULL;
    unsigned long build = dot ? strtoul(dot + 1, NULL, 10) : 0;
    return build < 1000000 ? (uint32_t)build : 0;
}

/* NT, segment and Wine heaps: winheap_blocks.h. */
static vm_heap_walk_status walk_windows(vm_heap_walker *w, const vm_heap *h, vm_hblock_visit visit, void *ctx,
                                        char *note, size_t notelen)
{
    vm_winheap_walk_info info;
    if (h->address_unknown || !h->address)
        return note_none(note, notelen, "not walked: the heap's address is unknown");
    int bits = w->snap->process.bits == 32 ? 32 : 64;
    bool ok = vm_winheap_blocks(w->mem, bits, h->address, windows_build(w->snap->os), h->id, visit, ctx, w->snap,
                                &w->progress, &info);
    if (note && notelen)
        snprintf(note, notelen, "%s", info.not_counted);
    if (!ok)
        return info.stopped ? VM_HEAP_WALK_STOPPED : VM_HEAP_WALK_OOM;
    if (!info.kind)
        return VM_HEAP_WALK_NONE;
    return info.complete ? VM_HEAP_WALK_COMPLETE : VM_HEAP_WALK_PARTIAL;
}

vm_heap_walk_status vm_heap_walk(vm_heap_walker *w, size_t i, vm_hblock_visit visit, void *ctx, char *note,
                                 size_t notelen)
{
    if (note && notelen)
        note[0] = '\0';
    if (i >= w->snap->nheaps)
        return note_none(note, notelen, "not walked: no such heap");
    const vm_heap *h = &w->snap->heaps[i];
    switch (family_of(h->kind)) {
    case F_WINDOWS:
        return walk_windows(w, h, visit, ctx, note, notelen);
    case F_NONE:
        if (h->kind && strcmp(h->kind, "not captured") == 0) /* a dump's heap without its memory */
            return note_none(note, notelen, "not walked: the dump holds no memory of this heap");
        return note_none(note, notelen, "not walked: no block walker for this kind of heap");
    default:
        break;
    }
    if (!w->glibc_ready && !prepare_glibc(w))
        return VM_HEAP_WALK_OOM;
    if (!w->glibc)
        return VM_HEAP_WALK_OOM;
    switch (vm_glibc_walk(w->glibc, w->desc_of[i], visit, ctx, note, notelen)) {
    case VM_GLIBC_WALK_COMPLETE: return VM_HEAP_WALK_COMPLETE;
    case VM_GLIBC_WALK_PARTIAL: return VM_HEAP_WALK_PARTIAL;
    case VM_GLIBC_WALK_STOPPED: return VM_HEAP_WALK_STOPPED;
    default: return VM_HEAP_WALK_NONE;
    }
}
