/* Heaps: matched by kind and address ("glibc main arena" by kind alone: its malloc_state lives
 * in libc's data and moves with it), then their parts matched by address: the parts only in the
 * new heap were added (a new segment, a large block, an arena heap), those only in the old one
 * were freed. */
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "diff_impl.h"

static uint64_t heap_key_address(const vm_heap *h)
{
    return h->kind && strcmp(h->kind, "glibc main arena") == 0 ? 0 : h->address;
}

static int key_heap(const void *a, const void *b)
{
    const vm_heap *x = a, *y = b;
    int c = strcmp(vm_diff_str(x->kind), vm_diff_str(y->kind));
    return c ? c : vm_diff_cmp_u64(heap_key_address(x), heap_key_address(y));
}

static int sort_heap(const void *a, const void *b)
{
    const vm_heap *x = *(const vm_heap *const *)a, *y = *(const vm_heap *const *)b;
    int c = key_heap(x, y);
    return c ? c : vm_diff_cmp_u64((uintptr_t)x, (uintptr_t)y);
}

static int key_part(const void *a, const void *b)
{
    return vm_diff_cmp_u64(((const vm_heap_part *)a)->address, ((const vm_heap_part *)b)->address);
}

static int sort_part(const void *a, const void *b)
{
    const vm_heap_part *x = *(const vm_heap_part *const *)a, *y = *(const vm_heap_part *const *)b;
    int c = key_part(x, y);
    return c ? c : vm_diff_cmp_u64((uintptr_t)x, (uintptr_t)y);
}

static void fill_side(vm_diff_heap_side *s, const vm_heap *h, const vm_snapshot *snap)
{
    if (!h)
        return;
    s->present = true;
    s->id = h->id;
    s->address = h->address;
    s->address_unknown = h->address_unknown;
    s->nparts = h->nparts;
    s->walked = h->stats_known;
    if (h->stats_known) {
        s->busy_blocks = h->stats.busy_blocks;
        s->busy_bytes = h->stats.busy_bytes;
        s->free_blocks = h->stats.free_blocks;
        s->free_bytes = h->stats.free_bytes;
        s->cached_bytes = h->stats.cached_bytes;
    }
    for (size_t i = 0; i < h->nparts; i++) {
        s->size = vm_diff_sat_add(s->size, h->parts[i].size);
        s->committed = vm_diff_sat_add(s->committed, h->parts[i].committed);
    }
}

/* ---- parts added and freed --------------------------------------------------------------------- */

static bool push_part(vm_diff_part **arr, size_t *n, const vm_heap_part *p)
{
    vm_diff_part *out = vm_array_push((void **)arr, n, sizeof *out);
    if (!out)
        return false;
    out->address = p->address;
    out->size = p->size;
    out->committed = p->committed;
    out->what = vm_strdup(p->what);
    return out->what || !p->what;
}

static bool pair_part(void *ctx, const void *a, const void *b)
{
    vm_diff_heap *h = ctx;
    if (a && b)
        return true;
    return a ? push_part(&h->parts_freed, &h->nparts_freed, a)
             : push_part(&h->parts_added, &h->nparts_added, b);
}

static bool diff_parts(vm_diff_heap *out, const vm_heap *o, const vm_heap *n)
{
    bool oka, okb;
    const void **a = vm_diff_sorted_ptrs(o->parts, o->nparts, sizeof *o->parts, sort_part, &oka);
    const void **b = vm_diff_sorted_ptrs(n->parts, n->nparts, sizeof *n->parts, sort_part, &okb);
    bool ok = oka && okb && vm_diff_merge(a, o->nparts, b, n->nparts, key_part, pair_part, out, true);
    free(a);
    free(b);
    return ok;
}

/* ---- one heap ---------------------------------------------------------------------------------- */

typedef struct heap_ctx {
    vm_diff *d;
    const vm_snapshot *o, *n;
} heap_ctx;

static vm_diff_change heap_change(const vm_diff_heap *h)
{
    if (!h->before.present)
        return VM_DIFF_ADDED;
    if (!h->after.present)
        return VM_DIFF_REMOVED;
    int64_t delta = h->committed_delta ? h->committed_delta : h->size_delta;
    if (delta)
        return delta > 0 ? VM_DIFF_GROWN : VM_DIFF_SHRUNK;
    if (h->nparts_added || h->nparts_freed)
        return VM_DIFF_CHANGED;
    return h->walked_both && (h->busy_delta || h->free_delta) ? VM_DIFF_CHANGED : VM_DIFF_CHANGE_COUNT;
}

void vm_diff_heap_clear(vm_diff_heap *h)
{
    free(h->kind);
    for (size_t i = 0; i < h->nparts_added; i++)
        free(h->parts_added[i].what);
    for (size_t i = 0; i < h->nparts_freed; i++)
        free(h->parts_freed[i].what);
    free(h->parts_added);
    free(h->parts_freed);
}

static bool pair_heap(void *vctx, const void *a, const void *b)
{
    heap_ctx *ctx = vctx;
    const vm_heap *o = a, *n = b;
    vm_diff_heap h = {0};
    fill_side(&h.before, o, ctx->o);
    fill_side(&h.after, n, ctx->n);
    h.committed_delta = vm_diff_delta(h.before.committed, h.after.committed);
    h.size_delta = vm_diff_delta(h.before.size, h.after.size);
    h.walked_both = h.before.walked && h.after.walked;
    if (h.walked_both) {
        h.busy_delta = vm_diff_delta(h.before.busy_bytes, h.after.busy_bytes);
        h.free_delta = vm_diff_delta(h.before.free_bytes, h.after.free_bytes);
    }
    bool ok = !(o && n) || diff_parts(&h, o, n);
    h.what = heap_change(&h);
    if (ok && h.what == VM_DIFF_CHANGE_COUNT) {
        vm_diff_heap_clear(&h);
        return true;
    }
    const char *kind = (n ? n : o)->kind;
    h.kind = vm_strdup(kind ? kind : "?");
    vm_diff_heap *slot = ok && h.kind ? vm_array_push((void **)&ctx->d->heaps, &ctx->d->nheaps, sizeof *slot) : NULL;
    if (!slot) {
        vm_diff_heap_clear(&h);
        return false;
    }
    *slot = h;
    return true;
}

static int order_heaps(const void *a, const void *b)
{
    const vm_diff_heap *x = a, *y = b;
    int c = vm_diff_cmp_u64(vm_diff_heap_weight(y), vm_diff_heap_weight(x));
    c = c ? c : vm_diff_cmp_u64(vm_diff_magnitude(y->size_delta), vm_diff_magnitude(x->size_delta));
    uint64_t ax = x->after.present ? x->after.address : x->before.address;
    uint64_t ay = y->after.present ? y->after.address : y->before.address;
    c = c ? c : vm_diff_cmp_u64(ax, ay);
    return c ? c : strcmp(x->kind, y->kind);
}

bool vm_diff_heaps(vm_diff *d, const vm_snapshot *o, const vm_snapshot *n)
{
    bool oka, okb;
    heap_ctx ctx = {d, o, n};
    const void **a = vm_diff_sorted_ptrs(o->heaps, o->nheaps, sizeof *o->heaps, sort_heap, &oka);
    const void **b = vm_diff_sorted_ptrs(n->heaps, n->nheaps, sizeof *n->heaps, sort_heap, &okb);
    bool ok = oka && okb && vm_diff_merge(a, o->nheaps, b, n->nheaps, key_heap, pair_heap, &ctx, true);
    free(a);
    free(b);
    if (ok && d->nheaps > 1)
        qsort(d->heaps, d->nheaps, sizeof *d->heaps, order_heaps);
    return ok;
}
