/* Allocations: matched between the snapshots in passes, each a sort-merge over the regions not
 * yet matched:
 *   1. allocation base and type;
 *   2. images and mapped files by type, path and size (they move between runs), in address order;
 *   3. images and mapped files by type and path alone, in address order;
 *   4. end and type: it grew or shrank at its low end (an mmap area growing down as the kernel
 *      merges new mappings below it; the end stays where it was);
 *   5. allocation base alone: the type changed.
 * What is left is added (new only) or removed (old only).  Free regions are gaps between
 * allocations, not allocations: they take no part (their sizes show in the per-type deltas). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "diff_impl.h"

/* One region with the facts the passes need. */
typedef struct rinfo {
    const vm_region *r;
    size_t index;
    const char *path; /* first block's path */
    uint64_t committed, priv;
    bool committed_known, private_known;
    bool matched;
} rinfo;

typedef struct region_ctx {
    vm_diff *d;
    rinfo *old_info, *new_info;
    size_t nold, nnew;
} region_ctx;

static void fill_info(rinfo *ri, const vm_region *r, size_t index)
{
    memset(ri, 0, sizeof *ri);
    ri->r = r;
    ri->index = index;
    ri->committed_known = ri->private_known = true;
    for (size_t i = 0; i < r->nblocks; i++) {
        const vm_block *b = &r->blocks[i];
        if (!ri->path && b->path)
            ri->path = b->path;
        ri->committed = vm_diff_sat_add(ri->committed, b->counters.v[VM_C_COMMITTED]);
        ri->priv = vm_diff_sat_add(ri->priv, b->counters.v[VM_C_PRIVATE]);
        ri->committed_known &= (b->counters.known >> VM_C_COMMITTED) & 1u;
        ri->private_known &= (b->counters.known >> VM_C_PRIVATE) & 1u;
    }
}

static rinfo *infos(const vm_snapshot *s, bool *ok)
{
    *ok = true;
    if (s->nregions == 0)
        return NULL;
    rinfo *ri = malloc(s->nregions * sizeof *ri);
    if (!ri) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < s->nregions; i++) {
        fill_info(&ri[i], &s->regions[i], i);
        ri[i].matched = s->regions[i].kind == VM_KIND_FREE; /* gaps, not allocations */
    }
    return ri;
}

/* ---- protection: the first committed page whose protection differs ------------------------- */

static bool blocks_sorted(const vm_region *r)
{
    for (size_t i = 1; i < r->nblocks; i++)
        if (r->blocks[i].address < r->blocks[i - 1].address)
            return false;
    return true;
}

static int cmp_block(const void *a, const void *b)
{
    const vm_block *x = *(const vm_block *const *)a, *y = *(const vm_block *const *)b;
    int c = vm_diff_cmp_u64(x->address, y->address);
    return c ? c : vm_diff_cmp_u64((uintptr_t)x, (uintptr_t)y);
}

/* A region's blocks in address order: the array itself when sorted (view NULL), else a sorted
 * copy of pointers. */
typedef struct block_view {
    const vm_region *r;
    const void **sorted;
} block_view;

static bool view_open(block_view *v, const vm_region *r)
{
    v->r = r;
    v->sorted = NULL;
    if (blocks_sorted(r))
        return true;
    bool ok;
    v->sorted = vm_diff_sorted_ptrs(r->blocks, r->nblocks, sizeof *r->blocks, cmp_block, &ok);
    return ok;
}

static const vm_block *view_at(const block_view *v, size_t i)
{
    return v->sorted ? v->sorted[i] : &v->r->blocks[i];
}

/* Offsets from the allocation base (wrapping on hostile input is harmless). */
static uint64_t block_lo(const block_view *v, const vm_block *b) { return b->address - v->r->address; }
static uint64_t block_hi(const block_view *v, const vm_block *b)
{
    return vm_diff_sat_add(block_lo(v, b), b->size);
}

static uint32_t first_committed_prot(const block_view *v)
{
    for (size_t i = 0; i < v->r->nblocks; i++)
        if (view_at(v, i)->state == VM_STATE_COMMIT)
            return view_at(v, i)->protection;
    return 0;
}

/* 1 when some committed page has another protection (*pa, *pb set), 0 when none, -1 OOM. */
static int prot_changed(const vm_region *a, const vm_region *b, uint32_t *pa, uint32_t *pb)
{
    block_view va, vb;
    bool oka = view_open(&va, a), okb = view_open(&vb, b);
    int found = oka && okb ? 0 : -1;
    size_t i = 0, j = 0;
    *pa = oka ? first_committed_prot(&va) : 0;
    *pb = okb ? first_committed_prot(&vb) : 0;
    while (found == 0 && i < a->nblocks && j < b->nblocks) {
        const vm_block *x = view_at(&va, i), *y = view_at(&vb, j);
        uint64_t xhi = block_hi(&va, x), yhi = block_hi(&vb, y);
        bool overlap = block_lo(&va, x) < yhi && block_lo(&vb, y) < xhi;
        if (overlap && x->state == VM_STATE_COMMIT && y->state == VM_STATE_COMMIT &&
            x->protection != y->protection) {
            *pa = x->protection;
            *pb = y->protection;
            found = 1;
        }
        i += xhi <= yhi;
        j += yhi <= xhi;
    }
    free(va.sorted);
    free(vb.sorted);
    return found;
}

/* ---- one change ------------------------------------------------------------------------------ */

static void fill_side(vm_diff_side *s, const rinfo *ri)
{
    if (!ri) {
        s->index = SIZE_MAX;
        return;
    }
    s->present = true;
    s->address = ri->r->address;
    s->size = ri->r->size;
    s->committed = ri->committed;
    s->committed_known = ri->committed_known;
    s->private_bytes = ri->priv;
    s->private_known = ri->private_known;
    s->blocks = ri->r->nblocks;
    s->kind = ri->r->kind;
    s->index = ri->index;
}

static vm_diff_change grown_or_shrunk(int64_t delta)
{
    return delta > 0 ? VM_DIFF_GROWN : VM_DIFF_SHRUNK;
}

/* First address after the allocation, saturated (hostile input may wrap). */
static uint64_t end_of(const vm_region *r)
{
    return vm_diff_sat_add(r->address, r->size);
}

/* The change's kind and flags from its two sides; false when nothing changed.  Another start with
 * the same end is growth at the low end, not a move. */
static bool classify(vm_diff_region *c, bool prot, bool same_end)
{
    const vm_diff_side *a = &c->before, *b = &c->after;
    bool elsewhere = a->address != b->address;
    c->flags = (a->size != b->size ? VM_DIFF_F_SIZE : 0) |
               (c->committed_known && a->committed != b->committed ? VM_DIFF_F_COMMITTED : 0) |
               (prot ? VM_DIFF_F_PROTECTION : 0) | (a->kind != b->kind ? VM_DIFF_F_TYPE : 0) |
               (elsewhere && !same_end ? VM_DIFF_F_MOVED : 0) | (elsewhere && same_end ? VM_DIFF_F_START : 0);
    if (c->flags & VM_DIFF_F_TYPE)
        c->what = VM_DIFF_TYPE;
    else if (c->committed_delta != 0)
        c->what = grown_or_shrunk(c->committed_delta);
    else if (c->size_delta != 0)
        c->what = grown_or_shrunk(c->size_delta);
    else if (prot)
        c->what = VM_DIFF_PROTECTION;
    else
        return false;
    return true;
}

/* "Private Data -> Heap; moved from 0x7F...; Read/Write -> Read; 3 -> 5 blocks". */
static char *describe(const vm_diff_region *c)
{
    char buf[512], pa[64], pb[64];
    size_t n = 0;
    const vm_diff_side *a = &c->before, *b = &c->after;
#define ADD(...) n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, __VA_ARGS__)
    buf[0] = '\0';
    if (c->flags & VM_DIFF_F_TYPE)
        ADD("%s -> %s; ", vm_kind_name(a->kind), vm_kind_name(b->kind));
    if (c->flags & VM_DIFF_F_MOVED)
        ADD("moved from 0x%llx; ", (unsigned long long)a->address);
    if (c->flags & VM_DIFF_F_START)
        ADD("start 0x%llx -> 0x%llx, the end stayed; ", (unsigned long long)a->address,
            (unsigned long long)b->address);
    if (c->flags & VM_DIFF_F_PROTECTION) {
        vm_prot_format(a->protection, pa, sizeof pa);
        vm_prot_format(b->protection, pb, sizeof pb);
        ADD("%s -> %s; ", pa, pb);
    }
    if (a->blocks != b->blocks)
        ADD("%llu -> %llu blocks; ", (unsigned long long)a->blocks, (unsigned long long)b->blocks);
#undef ADD
    n = strlen(buf);
    if (n >= 2)
        buf[n - 2] = '\0';
    return vm_strdup(buf);
}

/* Records the change between o and n (either may be NULL: added / removed), if any. */
static bool record(vm_diff *d, const rinfo *o, const rinfo *n)
{
    vm_diff_region c = {0};
    fill_side(&c.before, o);
    fill_side(&c.after, n);
    c.size_delta = vm_diff_delta(c.before.size, c.after.size);
    c.committed_known = (!o || o->committed_known) && (!n || n->committed_known);
    c.committed_delta = c.committed_known ? vm_diff_delta(c.before.committed, c.after.committed) : 0;
    const rinfo *any = n ? n : o;
    bool details_ok;
    if (o && n) {
        uint32_t pa, pb;
        int prot = prot_changed(o->r, n->r, &pa, &pb);
        if (prot < 0)
            return false;
        c.before.protection = pa;
        c.after.protection = pb;
        if (!classify(&c, prot == 1, end_of(o->r) == end_of(n->r)))
            return true;
        c.details = describe(&c);
        details_ok = c.details != NULL;
    } else {
        c.what = n ? VM_DIFF_ADDED : VM_DIFF_REMOVED;
        block_view v = {any->r, NULL};
        (o ? &c.before : &c.after)->protection = first_committed_prot(&v);
        c.details = vm_strdup(any->r->details);
        details_ok = c.details || !any->r->details;
    }
    c.path = vm_strdup(any->path);
    vm_diff_region *slot = NULL;
    if (details_ok && (c.path || !any->path))
        slot = vm_array_push((void **)&d->regions, &d->nregions, sizeof *slot);
    if (!slot) {
        free(c.path);
        free(c.details);
        return false;
    }
    *slot = c;
    return true;
}

/* ---- the passes -------------------------------------------------------------------------------- */

static bool is_file(const rinfo *ri)
{
    return ri->path && (ri->r->kind == VM_KIND_IMAGE || ri->r->kind == VM_KIND_MAPPED_FILE);
}

static bool any_region(const rinfo *ri) { return true; }

#define RI(p) (*(const rinfo *const *)(p))

static int key_base_kind(const void *a, const void *b)
{
    const rinfo *x = a, *y = b;
    int c = vm_diff_cmp_u64(x->r->address, y->r->address);
    return c ? c : vm_diff_cmp_u64((uint64_t)x->r->kind, (uint64_t)y->r->kind);
}

static int key_file(const void *a, const void *b)
{
    const rinfo *x = a, *y = b;
    int c = vm_diff_cmp_u64((uint64_t)x->r->kind, (uint64_t)y->r->kind);
    return c ? c : strcmp(x->path, y->path);
}

static int key_file_size(const void *a, const void *b)
{
    int c = key_file(a, b);
    return c ? c : vm_diff_cmp_u64(((const rinfo *)a)->r->size, ((const rinfo *)b)->r->size);
}

static int key_base(const void *a, const void *b)
{
    return vm_diff_cmp_u64(((const rinfo *)a)->r->address, ((const rinfo *)b)->r->address);
}

static int key_end_kind(const void *a, const void *b)
{
    const rinfo *x = a, *y = b;
    int c = vm_diff_cmp_u64(end_of(x->r), end_of(y->r));
    return c ? c : vm_diff_cmp_u64((uint64_t)x->r->kind, (uint64_t)y->r->kind);
}

/* Sort orders: the pass's key, then address (occurrence order), then the region's index. */
static int then_address(const rinfo *x, const rinfo *y, int c)
{
    c = c ? c : vm_diff_cmp_u64(x->r->address, y->r->address);
    return c ? c : vm_diff_cmp_u64(x->index, y->index);
}
static int sort_base_kind(const void *a, const void *b) { return then_address(RI(a), RI(b), key_base_kind(RI(a), RI(b))); }
static int sort_file(const void *a, const void *b) { return then_address(RI(a), RI(b), key_file(RI(a), RI(b))); }
static int sort_file_size(const void *a, const void *b) { return then_address(RI(a), RI(b), key_file_size(RI(a), RI(b))); }
static int sort_base(const void *a, const void *b) { return then_address(RI(a), RI(b), key_base(RI(a), RI(b))); }
static int sort_end_kind(const void *a, const void *b) { return then_address(RI(a), RI(b), key_end_kind(RI(a), RI(b))); }

typedef struct pass {
    bool (*eligible)(const rinfo *ri);
    int (*sort)(const void *a, const void *b);
    vm_diff_cmp_fn key;
} pass;

static const pass passes[] = {
    {any_region, sort_base_kind, key_base_kind},
    {is_file, sort_file_size, key_file_size},
    {is_file, sort_file, key_file},
    {any_region, sort_end_kind, key_end_kind},
    {any_region, sort_base, key_base},
};

static bool pair_regions(void *ctx, const void *a, const void *b)
{
    rinfo *o = (rinfo *)a, *n = (rinfo *)b;
    o->matched = n->matched = true;
    return record(((region_ctx *)ctx)->d, o, n);
}

/* The unmatched, eligible regions of one side, sorted for the pass; NULL with *count 0 when
 * none (ok stays true) or out of memory (ok false). */
static const void **candidates(rinfo *ri, size_t n, const pass *p, size_t *count, bool *ok)
{
    *count = 0;
    *ok = true;
    const void **out = n ? malloc(n * sizeof *out) : NULL;
    if (n && !out) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!ri[i].matched && p->eligible(&ri[i]))
            out[(*count)++] = &ri[i];
    if (*count > 1)
        qsort(out, *count, sizeof *out, p->sort);
    return out;
}

static bool run_pass(region_ctx *ctx, const pass *p)
{
    size_t na, nb;
    bool oka, okb;
    const void **a = candidates(ctx->old_info, ctx->nold, p, &na, &oka);
    const void **b = candidates(ctx->new_info, ctx->nnew, p, &nb, &okb);
    bool ok = oka && okb && vm_diff_merge(a, na, b, nb, p->key, pair_regions, ctx, false);
    free(a);
    free(b);
    return ok;
}

static bool record_unmatched(vm_diff *d, const rinfo *ri, size_t n, bool is_old)
{
    for (size_t i = 0; i < n; i++)
        if (!ri[i].matched && !record(d, is_old ? &ri[i] : NULL, is_old ? NULL : &ri[i]))
            return false;
    return true;
}

/* Biggest change first: |committed change| (size when unknown), |size change|, address. */
static int order_changes(const void *a, const void *b)
{
    const vm_diff_region *x = a, *y = b;
    int c = vm_diff_cmp_u64(vm_diff_region_weight(y), vm_diff_region_weight(x));
    c = c ? c : vm_diff_cmp_u64(vm_diff_magnitude(y->size_delta), vm_diff_magnitude(x->size_delta));
    uint64_t ax = x->after.present ? x->after.address : x->before.address;
    uint64_t ay = y->after.present ? y->after.address : y->before.address;
    c = c ? c : vm_diff_cmp_u64(ax, ay);
    return c ? c : vm_diff_cmp_u64((uint64_t)x->what, (uint64_t)y->what);
}

bool vm_diff_regions(vm_diff *d, const vm_snapshot *o, const vm_snapshot *n)
{
    bool oka, okb;
    region_ctx ctx = {d, infos(o, &oka), infos(n, &okb), o->nregions, n->nregions};
    bool ok = oka && okb;
    for (size_t i = 0; ok && i < sizeof passes / sizeof passes[0]; i++)
        ok = run_pass(&ctx, &passes[i]);
    ok = ok && record_unmatched(d, ctx.old_info, ctx.nold, true) &&
         record_unmatched(d, ctx.new_info, ctx.nnew, false);
    free(ctx.old_info);
    free(ctx.new_info);
    if (ok && d->nregions > 1)
        qsort(d->regions, d->nregions, sizeof *d->regions, order_changes);
    return ok;
}
