/* vm_diff: the top level (process facts, per-type deltas, threads, modules), the filters, and
 * the sort-merge helper the region and heap passes share.  Allocations: diff_regions.c; heaps:
 * diff_heaps.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/xalloc.h"
#include "diff_impl.h"
#include "summary.h"

/* ---- names ----------------------------------------------------------------------------------- */

static const char *const change_names[VM_DIFF_CHANGE_COUNT][3] = {
    [VM_DIFF_ADDED] = {"added", "started", "loaded"},
    [VM_DIFF_REMOVED] = {"removed", "ended", "unloaded"},
    [VM_DIFF_GROWN] = {"grown", "grown", "grown"},
    [VM_DIFF_SHRUNK] = {"shrunk", "shrunk", "shrunk"},
    [VM_DIFF_PROTECTION] = {"protection", "protection", "protection"},
    [VM_DIFF_TYPE] = {"type", "type", "type"},
    [VM_DIFF_CHANGED] = {"changed", "changed", "changed"},
};

static const char *change_word(vm_diff_change c, int which)
{
    return (unsigned)c < VM_DIFF_CHANGE_COUNT ? change_names[c][which] : "?";
}

const char *vm_diff_change_name(vm_diff_change c) { return change_word(c, 0); }
const char *vm_diff_thread_change_name(vm_diff_change c) { return change_word(c, 1); }
const char *vm_diff_module_change_name(vm_diff_change c) { return change_word(c, 2); }

const char *vm_diff_col_title(vm_diff_col c)
{
    if (c == VM_DCOL_SIZE)
        return "Size";
    if (c == VM_DCOL_BLOCKS)
        return "Blocks";
    if (c == VM_DCOL_LARGEST)
        return "Largest";
    if (c > VM_DCOL_SIZE && c < VM_DCOL_BLOCKS)
        return vm_counter_title((vm_counter)(c - VM_DCOL_COUNTER0));
    return "?";
}

const char *vm_diff_col_key(vm_diff_col c)
{
    if (c == VM_DCOL_SIZE)
        return "size";
    if (c == VM_DCOL_BLOCKS)
        return "blocks";
    if (c == VM_DCOL_LARGEST)
        return "largest";
    if (c > VM_DCOL_SIZE && c < VM_DCOL_BLOCKS)
        return vm_counter_name((vm_counter)(c - VM_DCOL_COUNTER0));
    return "?";
}

bool vm_diff_col_is_bytes(vm_diff_col c)
{
    return c != VM_DCOL_BLOCKS;
}

/* ---- arithmetic ------------------------------------------------------------------------------ */

int64_t vm_diff_delta(uint64_t old_value, uint64_t new_value)
{
    if (new_value >= old_value) {
        uint64_t up = new_value - old_value;
        return up > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)up;
    }
    uint64_t down = old_value - new_value;
    if (down > (uint64_t)INT64_MAX)
        return INT64_MIN;
    return -(int64_t)down;
}

uint64_t vm_diff_magnitude(int64_t delta)
{
    return delta < 0 ? (uint64_t)0 - (uint64_t)delta : (uint64_t)delta;
}

/* ---- the sort-merge helper ------------------------------------------------------------------- */

bool vm_diff_merge(const void *const *a, size_t na, const void *const *b, size_t nb,
                   vm_diff_cmp_fn key, vm_diff_pair_fn pair, void *ctx, bool report_unpaired)
{
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        int c = i >= na ? 1 : j >= nb ? -1 : key(a[i], b[j]);
        const void *x = c <= 0 ? a[i] : NULL;
        const void *y = c >= 0 ? b[j] : NULL;
        i += c <= 0;
        j += c >= 0;
        if ((x && y) || report_unpaired)
            if (!pair(ctx, x, y))
                return false;
    }
    return true;
}

const void **vm_diff_sorted_ptrs(const void *base, size_t n, size_t elem,
                                 int (*cmp)(const void *, const void *), bool *ok)
{
    *ok = true;
    if (n == 0)
        return NULL;
    const void **p = malloc(n * sizeof *p);
    if (!p) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        p[i] = (const char *)base + i * elem;
    qsort(p, n, sizeof *p, cmp);
    return p;
}

/* ---- process facts --------------------------------------------------------------------------- */

static bool copy_process(vm_diff_process *p, const vm_snapshot *s)
{
    p->pid = s->process.pid;
    p->bits = s->process.bits;
    p->nregions = s->nregions;
    p->name = vm_strdup(s->process.name);
    p->exe = vm_strdup(s->process.exe);
    p->taken_at = vm_strdup(s->taken_at);
    p->source = vm_strdup(s->source);
    return (!s->process.name || p->name) && (!s->process.exe || p->exe) &&
           (!s->taken_at || p->taken_at) && (!s->source || p->source);
}

static void free_process(vm_diff_process *p)
{
    free(p->name);
    free(p->exe);
    free(p->taken_at);
    free(p->source);
}

static bool check_same_process(vm_diff *d)
{
    const vm_diff_process *a = &d->before, *b = &d->after;
    bool exe_differs = a->exe && b->exe && strcmp(a->exe, b->exe) != 0;
    if (a->pid == b->pid && !exe_differs)
        return true;
    d->different_process = true;
    d->warning = vm_asprintf("the snapshots are of different processes (PID %lld %s, PID %lld %s): "
                             "the changes compare two programs or two runs",
                             (long long)a->pid, vm_diff_str(a->exe ? a->exe : a->name),
                             (long long)b->pid, vm_diff_str(b->exe ? b->exe : b->name));
    return d->warning != NULL;
}

/* ---- per-type deltas ------------------------------------------------------------------------- */

static void set_value(vm_diff_value *v, uint64_t o, uint64_t n, bool known)
{
    v->old_value = o;
    v->new_value = n;
    v->known = known;
    v->delta = known ? vm_diff_delta(o, n) : 0;
}

static void diff_row(vm_diff_row *out, const vm_summary_row *o, const vm_summary_row *n,
                     bool sizes_known)
{
    set_value(&out->col[VM_DCOL_SIZE], o->size, n->size, sizes_known);
    for (int c = 0; c < VM_C_COUNT; c++) {
        uint32_t bit = 1u << c;
        set_value(&out->col[VM_DCOL_COUNTER0 + c], o->counters.v[c], n->counters.v[c],
                  (o->counters.known & bit) && (n->counters.known & bit));
    }
    set_value(&out->col[VM_DCOL_BLOCKS], o->blocks, n->blocks, true);
    set_value(&out->col[VM_DCOL_LARGEST], o->largest, n->largest, sizes_known);
}

static void diff_summary(vm_diff *d, const vm_snapshot *o, const vm_snapshot *n)
{
    vm_summary so, sn;
    vm_summary_compute(o, &so);
    vm_summary_compute(n, &sn);
    for (int k = 0; k < VM_KIND_COUNT; k++) {
        bool sizes = k != VM_KIND_PAGE_TABLE || (o->page_table_known && n->page_table_known);
        diff_row(&d->kind[k], &so.kind[k], &sn.kind[k], sizes);
    }
    diff_row(&d->total, &so.total, &sn.total, true);
}

/* ---- threads ---------------------------------------------------------------------------------- */

static int cmp_thread(const void *a, const void *b)
{
    const vm_thread *x = *(const vm_thread *const *)a, *y = *(const vm_thread *const *)b;
    int c = vm_diff_cmp_u64(x->tid, y->tid);
    return c ? c : vm_diff_cmp_u64((uintptr_t)x, (uintptr_t)y);
}

static int key_thread(const void *a, const void *b)
{
    return vm_diff_cmp_u64(((const vm_thread *)a)->tid, ((const vm_thread *)b)->tid);
}

static uint64_t span(uint64_t lo, uint64_t hi)
{
    return lo && hi > lo ? hi - lo : 0;
}

static bool pair_thread(void *ctx, const void *a, const void *b)
{
    if (a && b)
        return true;
    vm_diff *d = ctx;
    const vm_thread *t = a ? a : b;
    vm_diff_thread *out = vm_array_push((void **)&d->threads, &d->nthreads, sizeof *out);
    if (!out)
        return false;
    out->what = a ? VM_DIFF_REMOVED : VM_DIFF_ADDED;
    out->tid = t->tid;
    out->stack_base = t->stack_base;
    out->stack_reserved = span(t->reserve_base ? t->reserve_base : t->stack_limit, t->stack_base);
    out->stack_committed = span(t->stack_limit, t->stack_base);
    out->name = vm_strdup(t->name);
    return !t->name || out->name;
}

/* ---- modules ---------------------------------------------------------------------------------- */

static int key_module(const void *a, const void *b)
{
    return strcmp(vm_diff_str(((const vm_module *)a)->path), vm_diff_str(((const vm_module *)b)->path));
}

static int cmp_module(const void *a, const void *b)
{
    const vm_module *x = *(const vm_module *const *)a, *y = *(const vm_module *const *)b;
    int c = key_module(x, y);
    c = c ? c : vm_diff_cmp_u64(x->base, y->base);
    return c ? c : vm_diff_cmp_u64((uintptr_t)x, (uintptr_t)y);
}

static bool pair_module(void *ctx, const void *a, const void *b)
{
    if (a && b)
        return true;
    vm_diff *d = ctx;
    const vm_module *m = a ? a : b;
    vm_diff_module *out = vm_array_push((void **)&d->modules, &d->nmodules, sizeof *out);
    if (!out)
        return false;
    out->what = a ? VM_DIFF_REMOVED : VM_DIFF_ADDED;
    out->base = m->base;
    out->size = m->size;
    out->path = vm_strdup(m->path);
    return !m->path || out->path;
}

/* Matches two arrays by key after sorting, reporting the unpaired ones to pair. */
static bool match_lists(vm_diff *d, const void *oa, size_t on, const void *na, size_t nn, size_t elem,
                        int (*cmp)(const void *, const void *), vm_diff_cmp_fn key,
                        vm_diff_pair_fn pair)
{
    bool ok1, ok2;
    const void **a = vm_diff_sorted_ptrs(oa, on, elem, cmp, &ok1);
    const void **b = vm_diff_sorted_ptrs(na, nn, elem, cmp, &ok2);
    bool ok = ok1 && ok2 && vm_diff_merge(a, on, b, nn, key, pair, d, true);
    free(a);
    free(b);
    return ok;
}

/* Started / loaded first, then the biggest, then by id. */
static int order_threads(const void *a, const void *b)
{
    const vm_diff_thread *x = a, *y = b;
    if (x->what != y->what)
        return x->what == VM_DIFF_ADDED ? -1 : 1;
    int c = vm_diff_cmp_u64(y->stack_reserved, x->stack_reserved);
    return c ? c : vm_diff_cmp_u64(x->tid, y->tid);
}

static int order_modules(const void *a, const void *b)
{
    const vm_diff_module *x = a, *y = b;
    if (x->what != y->what)
        return x->what == VM_DIFF_ADDED ? -1 : 1;
    int c = vm_diff_cmp_u64(y->size, x->size);
    c = c ? c : strcmp(vm_diff_str(x->path), vm_diff_str(y->path));
    return c ? c : vm_diff_cmp_u64(x->base, y->base);
}

static bool diff_threads_modules(vm_diff *d, const vm_snapshot *o, const vm_snapshot *n)
{
    if (!match_lists(d, o->threads, o->nthreads, n->threads, n->nthreads, sizeof(vm_thread),
                     cmp_thread, key_thread, pair_thread) ||
        !match_lists(d, o->modules, o->nmodules, n->modules, n->nmodules, sizeof(vm_module),
                     cmp_module, key_module, pair_module))
        return false;
    if (d->nthreads > 1)
        qsort(d->threads, d->nthreads, sizeof *d->threads, order_threads);
    if (d->nmodules > 1)
        qsort(d->modules, d->nmodules, sizeof *d->modules, order_modules);
    return true;
}

/* ---- the whole diff ---------------------------------------------------------------------------- */

vm_diff *vm_diff_compute(const vm_snapshot *old_snap, const vm_snapshot *new_snap)
{
    vm_diff *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    bool ok = copy_process(&d->before, old_snap) && copy_process(&d->after, new_snap) &&
              check_same_process(d);
    if (ok) {
        diff_summary(d, old_snap, new_snap);
        ok = vm_diff_regions(d, old_snap, new_snap) && vm_diff_heaps(d, old_snap, new_snap) &&
             diff_threads_modules(d, old_snap, new_snap) && vm_diff_objects(d, old_snap, new_snap);
    }
    if (!ok) {
        vm_diff_free(d);
        return NULL;
    }
    return d;
}

void vm_diff_free(vm_diff *d)
{
    if (!d)
        return;
    free_process(&d->before);
    free_process(&d->after);
    free(d->warning);
    for (size_t i = 0; i < d->nregions; i++) {
        free(d->regions[i].path);
        free(d->regions[i].details);
    }
    free(d->regions);
    for (size_t i = 0; i < d->nheaps; i++)
        vm_diff_heap_clear(&d->heaps[i]);
    free(d->heaps);
    for (size_t i = 0; i < d->nthreads; i++)
        free(d->threads[i].name);
    free(d->threads);
    for (size_t i = 0; i < d->nmodules; i++)
        free(d->modules[i].path);
    free(d->modules);
    vm_diff_objects_free(d);
    free(d);
}

bool vm_diff_is_empty(const vm_diff *d)
{
    return d->nregions == 0 && d->nheaps == 0 && d->nthreads == 0 && d->nmodules == 0 && d->nobjects == 0;
}

/* ---- filters ----------------------------------------------------------------------------------- */

vm_kind vm_diff_region_kind(const vm_diff_region *r)
{
    return r->after.present ? r->after.kind : r->before.kind;
}

bool vm_diff_kind_shown(const vm_diff_filter *f, vm_kind k)
{
    return !f || f->kinds == 0 || ((unsigned)k < VM_KIND_COUNT && (f->kinds & (1u << k)));
}

uint64_t vm_diff_region_weight(const vm_diff_region *r)
{
    return vm_diff_magnitude(r->committed_known ? r->committed_delta : r->size_delta);
}

uint64_t vm_diff_heap_weight(const vm_diff_heap *h)
{
    uint64_t w = vm_diff_magnitude(h->committed_delta);
    if (h->walked_both) { /* busy bytes that grow inside the same committed memory count too */
        uint64_t b = vm_diff_magnitude(h->busy_delta), f = vm_diff_magnitude(h->free_delta);
        w = w > b ? w : b;
        w = w > f ? w : f;
    }
    return w;
}

static bool big_enough(const vm_diff_filter *f, uint64_t weight)
{
    return !f || weight >= f->min_change;
}

bool vm_diff_region_shown(const vm_diff_filter *f, const vm_diff_region *r)
{
    /* A type change is filed under both types.  A protection or type change that moves no
     * bytes is hidden by any --min-change. */
    bool kind = vm_diff_kind_shown(f, vm_diff_region_kind(r)) ||
                (r->before.present && vm_diff_kind_shown(f, r->before.kind));
    return kind && big_enough(f, vm_diff_region_weight(r));
}

bool vm_diff_heap_shown(const vm_diff_filter *f, const vm_diff_heap *h)
{
    return vm_diff_kind_shown(f, VM_KIND_HEAP) && big_enough(f, vm_diff_heap_weight(h));
}

bool vm_diff_thread_shown(const vm_diff_filter *f, const vm_diff_thread *t)
{
    return vm_diff_kind_shown(f, VM_KIND_STACK) && big_enough(f, t->stack_reserved);
}

bool vm_diff_module_shown(const vm_diff_filter *f, const vm_diff_module *m)
{
    return vm_diff_kind_shown(f, VM_KIND_IMAGE) && big_enough(f, m->size);
}

bool vm_diff_object_shown(const vm_diff_filter *f, const vm_diff_object *o)
{
    return vm_diff_kind_shown(f, VM_KIND_HEAP) && big_enough(f, vm_diff_magnitude(o->bytes_delta));
}

typedef bool (*shown_fn)(const vm_diff_filter *f, const void *item);

static size_t select_items(const void *items, size_t n, size_t elem, shown_fn shown,
                           const vm_diff_filter *f, size_t *idx)
{
    size_t count = 0, limit = f && f->top ? f->top : SIZE_MAX;
    for (size_t i = 0; i < n && count < limit; i++)
        if (shown(f, (const char *)items + i * elem)) {
            if (idx)
                idx[count] = i;
            count++;
        }
    return count;
}

static bool region_shown(const vm_diff_filter *f, const void *x) { return vm_diff_region_shown(f, x); }
static bool heap_shown(const vm_diff_filter *f, const void *x) { return vm_diff_heap_shown(f, x); }
static bool thread_shown(const vm_diff_filter *f, const void *x) { return vm_diff_thread_shown(f, x); }
static bool module_shown(const vm_diff_filter *f, const void *x) { return vm_diff_module_shown(f, x); }
static bool object_shown(const vm_diff_filter *f, const void *x) { return vm_diff_object_shown(f, x); }

size_t vm_diff_select_regions(const vm_diff *d, const vm_diff_filter *f, size_t *idx)
{
    return select_items(d->regions, d->nregions, sizeof *d->regions, region_shown, f, idx);
}

size_t vm_diff_select_heaps(const vm_diff *d, const vm_diff_filter *f, size_t *idx)
{
    return select_items(d->heaps, d->nheaps, sizeof *d->heaps, heap_shown, f, idx);
}

size_t vm_diff_select_threads(const vm_diff *d, const vm_diff_filter *f, size_t *idx)
{
    return select_items(d->threads, d->nthreads, sizeof *d->threads, thread_shown, f, idx);
}

size_t vm_diff_select_modules(const vm_diff *d, const vm_diff_filter *f, size_t *idx)
{
    return select_items(d->modules, d->nmodules, sizeof *d->modules, module_shown, f, idx);
}

size_t vm_diff_select_objects(const vm_diff *d, const vm_diff_filter *f, size_t *idx)
{
    return select_items(d->objects, d->nobjects, sizeof *d->objects, object_shown, f, idx);
}

bool vm_diff_parse_kinds(const char *list, uint32_t *kinds)
{
    char word[64];
    uint32_t got = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof word)
            return false;
        memcpy(word, p, len);
        word[len] = '\0';
        vm_kind k;
        if (!vm_kind_parse(word, &k))
            return false;
        got |= 1u << k;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *kinds |= got;
    return true;
}
