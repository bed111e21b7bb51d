/* glibc malloc's heaps in a live process: the mappings handed to the walker, its findings turned
 * into the model's heaps (id 0 main arena, then one per non-main arena, then mmap'd chunks). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../parse/glibc_heap.h"
#include "../../util/xalloc.h"
#include "glibc_names.h"
#include "linux_capture.h"

bool lx_is_anon_private(const vm_linux_mapping *m)
{
    return !m->shared && (!m->name || strncmp(m->name, "[anon:", 6) == 0);
}

/* Mappings at least this large are asked whether their first page is there before a chunk header
 * is read from it: a thread's stack (8 MiB, used from the top) never has it, so no mmapped chunk
 * starts there and the mapping is left out of the search at once.  (The live reader itself never
 * brings a page in: it gives a page not there as zeros, linux_memreader.h.)  Smaller ones are read
 * at once: their first page is nearly always there, and asking costs as much as reading. */
#define ASK_PAGEMAP_FROM (1024 * 1024)

/* Whether the first page of m is neither resident nor swapped (a live process only; pagemap
 * unreadable: not known, so no). */
static bool start_unbacked(const lx_capture *c, vm_linux_pagemap *pm, const vm_linux_mapping *m)
{
    vm_linux_page_counts pc;
    return !c->offline && m->end - m->start >= ASK_PAGEMAP_FROM &&
           vm_linux_pagemap_count(pm, m->start, m->start + c->page_size, c->page_size, &pc) && pc.present == 0 &&
           pc.swapped == 0;
}

static vm_glibc_range *make_ranges(const lx_capture *c)
{
    vm_glibc_range *r = calloc(c->maps.n ? c->maps.n : 1, sizeof *r);
    if (!r)
        return NULL;
    vm_linux_pagemap pm; /* its own: a failure here is nobody else's warning */
    vm_linux_pagemap_init(&pm, c->pid);
    for (size_t i = 0; i < c->maps.n; i++) {
        const vm_linux_mapping *m = &c->maps.v[i];
        const lx_note *n = &c->notes[i];
        r[i].start = m->start;
        r[i].end = m->end;
        r[i].r = m->r;
        r[i].w = m->w;
        r[i].x = m->x;
        r[i].anon_private = n->module < 0 && lx_is_anon_private(m);
        r[i].is_brk_heap = m->name && strcmp(m->name, "[heap]") == 0;
        r[i].in_libc_data = m->w && n->module >= 0 && lx_is_glibc_libc(c->snap->modules[n->module].path);
        r[i].start_unbacked = r[i].anon_private && m->r && m->w && start_unbacked(c, &pm, m);
    }
    vm_linux_pagemap_close(&pm);
    return r;
}

static vm_heap *new_heap(lx_capture *c, uint64_t address, const char *kind)
{
    vm_heap *h = vm_snapshot_add_heap(c->snap);
    if (!h)
        return NULL;
    h->id = (int32_t)(c->snap->nheaps - 1);
    h->address = address;
    h->kind = vm_strdup(kind);
    return h;
}

static bool add_part(vm_heap *h, uint64_t address, uint64_t size, uint64_t committed, char *what)
{
    vm_heap_part *p = what ? vm_heap_add_part(h) : NULL;
    if (!p) {
        free(what);
        return false;
    }
    p->address = address;
    p->size = size;
    p->committed = committed;
    p->what = what;
    return true;
}

/* Marks the mappings inside [start, end) as heap and as one allocation based at start. */
static void claim(lx_capture *c, uint64_t start, uint64_t end)
{
    long i = lx_find_mapping(c, start);
    for (; i >= 0 && (size_t)i < c->maps.n && c->maps.v[i].start < end; i++) {
        c->notes[i].heap = true;
        c->notes[i].alloc_base = start;
    }
}

static void model_main_arena(lx_capture *c, const vm_glibc_heaps *gh)
{
    const vm_glibc_arena *main_arena = NULL;
    for (size_t i = 0; i < gh->narenas; i++)
        if (gh->arenas[i].is_main)
            main_arena = &gh->arenas[i];
    if (!main_arena && !gh->brk_start)
        return;
    vm_heap *h = new_heap(c, main_arena ? main_arena->address : 0, "glibc main arena");
    if (!h)
        return;
    if (h->address == 0) { /* unknown, never "0x0" (issue 10) */
        h->address_unknown = true;
        vm_snapshot_warn(c->snap, "heap-invalid",
                         "the glibc main arena's malloc_state was not found (not through the arenas' next "
                         "links, not in libc's data): its address is unknown");
    }
    if (gh->brk_start) {
        add_part(h, gh->brk_start, gh->brk_end - gh->brk_start, gh->brk_end - gh->brk_start,
                 vm_strdup("[heap] (brk)"));
        claim(c, gh->brk_start, gh->brk_end);
    }
}

static void model_arenas(lx_capture *c, const vm_glibc_heaps *gh)
{
    for (size_t i = 0; i < gh->narenas; i++) {
        const vm_glibc_arena *a = &gh->arenas[i];
        if (a->is_main)
            continue;
        vm_heap *h = new_heap(c, a->address, "glibc arena");
        if (!h)
            return;
        for (size_t j = 0; j < a->nheaps; j++) {
            const vm_glibc_arena_heap *ah = &a->heaps[j];
            uint64_t span = ah->reserved ? ah->reserved : ah->mprotect_size;
            add_part(h, ah->base, span, ah->mprotect_size, vm_asprintf("arena heap %zu", j + 1));
            claim(c, ah->base, ah->base + span);
        }
    }
}

static void model_chunks(lx_capture *c, const vm_glibc_heaps *gh)
{
    if (!gh->nchunks)
        return;
    vm_heap *h = new_heap(c, 0, "glibc mmap chunks");
    if (!h)
        return;
    h->address_unknown = true; /* none: separate mappings, no structure heads them (JSON null) */
    h->flags = vm_strdup("malloc >= mmap threshold");
    for (size_t i = 0; i < gh->nchunks; i++) {
        const vm_glibc_chunk *ch = &gh->chunks[i];
        add_part(h, ch->address, ch->size, ch->size,
                 vm_asprintf("mmapped chunk of %" PRIu64 " bytes", ch->user_size));
        long mi = lx_find_mapping(c, ch->address);
        if (mi >= 0)
            c->notes[mi].heap = true; /* merged chunks share a mapping: keep its own base */
    }
}

/* Live: only pages already there are probed for chunk headers (pagemap), so vmmap never faults
 * in a page of the target.  Offline (a core, a minidump) reading is harmless, and what was not
 * dumped cannot be read. */
static bool live_pages(void *ctx, uint64_t start, size_t npages, uint8_t *state)
{
    lx_capture *c = ctx;
    return vm_linux_pagemap_states(&c->pagemap, start, npages, c->page_size, state);
}

void lx_find_heaps(lx_capture *c)
{
    if (c->opt->skip_heaps)
        return;
    vm_glibc_range *ranges = make_ranges(c);
    if (!ranges) {
        vm_snapshot_warn(c->snap, "heap-skipped", "out of memory: heaps not walked");
        return;
    }
    vm_glibc_heaps gh;
    memset(&gh, 0, sizeof gh);
    vm_glibc_find_opts opts = {.pages = c->offline ? NULL : live_pages, .pages_ctx = c};
    if (vm_glibc_find_heaps_ex(&c->mem, ranges, c->maps.n, &opts, &gh, c->snap)) {
        model_main_arena(c, &gh);
        model_arenas(c, &gh);
        model_chunks(c, &gh);
    } else {
        vm_snapshot_warn(c->snap, "heap-skipped", "out of memory: heaps not walked");
    }
    vm_glibc_heaps_free(&gh);
    free(ranges);
}
