#include "bounds.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../model/snapshot_check.h"

/* What [address, address + size) becomes inside [0, top): KEEP, CUT (to *size) or DROP. */
enum fit { FIT_KEEP, FIT_CUT, FIT_DROP };

static enum fit fit_range(uint64_t address, uint64_t *size, uint64_t top, bool may_lie_above)
{
    enum fit fit = FIT_KEEP;
    if (!may_lie_above) {
        if (address >= top)
            return FIT_DROP;
        if (*size > top - address) {
            *size = top - address;
            fit = FIT_CUT;
        }
    } else if (*size > UINT64_MAX - address + (address != 0)) {
        return FIT_DROP; /* wraps around 2^64 */
    }
    return *size > VM_SNAPSHOT_MAX_SIZE ? FIT_DROP : fit; /* larger than a snapshot holds */
}

typedef struct tally {
    size_t dropped, cut;
} tally;

static void count(tally *t, enum fit f)
{
    t->dropped += f == FIT_DROP;
    t->cut += f == FIT_CUT;
}

/* "1 block" / "2 blocks": what names the singular, plural is it with an "s". */
static void report(vm_snapshot *s, const tally *t, const char *what)
{
    if (t->dropped)
        vm_snapshot_warn(s, "out-of-range", "%zu %s%s beyond the user address space (it ends at 0x%" PRIx64 "), "
                         "wrapping around 2^64 or larger than any address space: left out (the source's values are "
                         "damaged)", t->dropped, what, t->dropped == 1 ? "" : "s", s->user_top);
    if (t->cut)
        vm_snapshot_warn(s, "out-of-range", "%zu %s%s reaching past the top of the user address space (0x%" PRIx64
                         "): cut there (the source's values are damaged)", t->cut, what, t->cut == 1 ? "" : "s",
                         s->user_top);
}

static void header(vm_snapshot *s)
{
    /* No system has pages or an allocation granularity above 1 GiB: larger values are damage. */
    const uint64_t max_unit = UINT64_C(1) << 30;
    if (s->page_size == 0 || s->page_size > max_unit || (s->page_size & (s->page_size - 1))) {
        vm_snapshot_warn(s, "out-of-range", "page size %" PRIu64 " is not a power of two up to 1 GiB: 4096 assumed",
                         s->page_size);
        s->page_size = 4096;
    }
    if (s->alloc_granularity != 0 && (s->alloc_granularity < s->page_size || s->alloc_granularity > max_unit ||
                                      (s->alloc_granularity & (s->alloc_granularity - 1)))) {
        vm_snapshot_warn(s, "out-of-range", "allocation granularity %" PRIu64 " is not a power of two from the page "
                         "size up to 1 GiB: the page size assumed", s->alloc_granularity);
        s->alloc_granularity = s->page_size;
    }
    if (s->user_top == 0) {
        s->user_top = s->process.bits == 32 ? UINT64_C(0x100000000) : UINT64_C(0x800000000000);
        vm_snapshot_warn(s, "out-of-range", "the source did not say where the user address space ends: 0x%" PRIx64
                         " assumed", s->user_top);
    }
}

/* Blocks [b->bounded, nblocks): each cut or dropped, its counters made unknown when too large. */
static void blocks(vm_facts *f, vm_bound_state *b)
{
    size_t out = b->bounded;
    for (size_t i = b->bounded; i < f->nblocks; i++) {
        vm_raw_block *rb = &f->blocks[i];
        enum fit fit = fit_range(rb->address, &rb->size, f->snap->user_top, rb->flags & VM_RAW_KERNEL);
        b->dropped += fit == FIT_DROP;
        b->cut += fit == FIT_CUT;
        if (fit == FIT_DROP || rb->size == 0) {
            free(rb->path);
            free(rb->note);
            continue;
        }
        for (int c = 0; c < VM_C_COUNT; c++) {
            vm_counters *k = &rb->counters;
            if ((k->known >> c & 1u) && k->v[c] > VM_SNAPSHOT_MAX_SIZE) {
                k->known &= ~(1u << c);
                k->v[c] = 0;
                b->counters++;
            }
        }
        f->blocks[out++] = *rb;
    }
    f->nblocks = out; /* shrinking is safe with vm_array_push (capacity follows the count up) */
    b->bounded = out;
}

static void heaps(vm_snapshot *s)
{
    tally t = {0};
    size_t clamped = 0;
    for (size_t i = 0; i < s->nheaps; i++) {
        vm_heap *h = &s->heaps[i];
        size_t out = 0;
        for (size_t j = 0; j < h->nparts; j++) {
            vm_heap_part *p = &h->parts[j];
            enum fit fit = fit_range(p->address, &p->size, s->user_top, false);
            count(&t, fit);
            if (fit == FIT_DROP || p->size == 0) {
                free(p->what);
                continue;
            }
            if (p->committed > p->size) {
                p->committed = p->size;
                clamped++;
            }
            h->parts[out++] = *p;
        }
        h->nparts = out;
        if (h->largest_free_known && h->largest_free > VM_SNAPSHOT_MAX_SIZE) {
            h->largest_free_known = false;
            h->largest_free = 0;
            clamped++;
        }
    }
    report(s, &t, "heap part");
    if (clamped)
        vm_snapshot_warn(s, "out-of-range", "%zu heap part%s committing more than their size or with a largest free "
                         "block larger than any address space: committed cut to the size, largest free block made "
                         "unknown", clamped, clamped == 1 ? "" : "s");
}

static void modules(vm_snapshot *s)
{
    tally t = {0}, ts = {0};
    size_t out = 0;
    for (size_t i = 0; i < s->nmodules; i++) {
        vm_module *m = &s->modules[i];
        enum fit fit = fit_range(m->base, &m->size, s->user_top, false);
        count(&t, fit);
        size_t keep = 0;
        for (size_t j = 0; j < m->nsections; j++) {
            vm_section *sec = &m->sections[j];
            enum fit sf = fit == FIT_DROP ? FIT_DROP : fit_range(sec->address, &sec->size, s->user_top, false);
            if (fit != FIT_DROP)
                count(&ts, sf);
            if (sf == FIT_DROP) {
                free(sec->name);
                continue;
            }
            m->sections[keep++] = *sec;
        }
        m->nsections = keep;
        if (fit == FIT_DROP) {
            free(m->sections);
            free(m->path);
            continue;
        }
        s->modules[out++] = *m;
    }
    s->nmodules = out;
    report(s, &t, "module");
    report(s, &ts, "module section");
}

static void others(vm_snapshot *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nthreads; i++)
        if (s->threads[i].guard_size > VM_SNAPSHOT_MAX_SIZE) {
            s->threads[i].guard_size = 0;
            s->threads[i].guard_address = 0;
            n++;
        }
    if (s->page_table_known && s->page_table_bytes > VM_SNAPSHOT_MAX_SIZE) {
        s->page_table_known = false;
        s->page_table_bytes = 0;
        n++;
    }
    if (n)
        vm_snapshot_warn(s, "out-of-range", "%zu thread guard size%s or page-table size larger than any address "
                         "space: left out", n, n == 1 ? "" : "s");
}

void vm_facts_bound_begin(vm_facts *f, vm_bound_state *b)
{
    memset(b, 0, sizeof *b);
    header(f->snap);
    b->warn_at = f->snap->nwarnings;
    heaps(f->snap);
    modules(f->snap);
    others(f->snap);
}

void vm_facts_bound_blocks(vm_facts *f, vm_bound_state *b)
{
    blocks(f, b);
}

/* Moves the warnings from index `from` on to index `to` (< from), keeping every order. */
static void move_warnings(vm_snapshot *s, size_t from, size_t to)
{
    size_t n = s->nwarnings - from;
    if (n == 0 || from == to)
        return;
    vm_warning *moved = malloc(n * sizeof *moved);
    if (!moved)
        return; /* out of memory: left where they are, last */
    memcpy(moved, s->warnings + from, n * sizeof *moved);
    memmove(s->warnings + to + n, s->warnings + to, (from - to) * sizeof *moved);
    memcpy(s->warnings + to, moved, n * sizeof *moved);
    free(moved);
}

void vm_facts_bound_end(vm_facts *f, vm_bound_state *b)
{
    vm_snapshot *s = f->snap;
    size_t from = s->nwarnings;
    tally t = {b->dropped, b->cut};
    report(s, &t, "block");
    if (b->counters)
        vm_snapshot_warn(s, "out-of-range", "%zu block counter%s larger than any address space: made unknown",
                         b->counters, b->counters == 1 ? "" : "s");
    /* Where they would be had every block been there at the start: after the header's. */
    move_warnings(s, from, b->warn_at);
}

void vm_facts_bound(vm_facts *f)
{
    vm_bound_state b;
    vm_facts_bound_begin(f, &b);
    vm_facts_bound_blocks(f, &b);
    vm_facts_bound_end(f, &b);
}

static bool stats_fit(const vm_heap *h)
{
    const vm_heap_stats *st = &h->stats;
    const uint64_t v[] = {st->busy_blocks, st->busy_bytes, st->free_blocks, st->free_bytes, st->cached_blocks,
                          st->cached_bytes, st->largest_free, st->overhead_bytes};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i] > VM_SNAPSHOT_MAX_SIZE)
            return false;
    for (size_t i = 0; i < h->nsizes; i++) {
        const vm_heap_size *z = &h->sizes[i];
        if (z->size > VM_SNAPSHOT_MAX_SIZE || z->busy > VM_SNAPSHOT_MAX_SIZE || z->free > VM_SNAPSHOT_MAX_SIZE ||
            z->cached > VM_SNAPSHOT_MAX_SIZE)
            return false;
    }
    return true;
}

void vm_snapshot_bound_steps(vm_snapshot *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nheaps; i++) {
        vm_heap *h = &s->heaps[i];
        if (!h->stats_known || stats_fit(h))
            continue;
        h->stats_known = false;
        memset(&h->stats, 0, sizeof h->stats);
        free(h->sizes);
        h->sizes = NULL;
        h->nsizes = 0;
        n++;
    }
    if (n)
        vm_snapshot_warn(s, "out-of-range", "%zu heap walk%s added up to more than any address space (the heap's "
                         "blocks are damaged): %s statistics and size table%s left out", n, n == 1 ? "" : "s",
                         n == 1 ? "its" : "their", n == 1 ? "" : "s");
}
