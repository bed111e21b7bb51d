#include "classify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/snapshot_check.h"
#include "../util/xalloc.h"
#include "bounds.h"
#include "interval_index.h"

typedef struct lookup {
    vm_interval_index threads; /* a: thread index */
    vm_interval_index heaps;   /* a: heap index, b: part index */
    vm_interval_index modules; /* a: module index */
} lookup;

static bool build_lookup(const vm_snapshot *s, lookup *lk)
{
    memset(lk, 0, sizeof *lk);
    for (size_t i = 0; i < s->nthreads; i++) {
        const vm_thread *t = &s->threads[i];
        uint64_t lo = t->reserve_base ? t->reserve_base : t->stack_limit;
        if (t->guard_address && t->guard_address < lo)
            lo = t->guard_address;
        if (!vm_interval_add(&lk->threads, lo, t->stack_base, i, 0))
            return false;
    }
    for (size_t i = 0; i < s->nheaps; i++)
        for (size_t j = 0; j < s->heaps[i].nparts; j++) {
            const vm_heap_part *p = &s->heaps[i].parts[j];
            if (p->address + p->size < p->address)
                continue; /* wraps: hostile or broken fact, ignore */
            if (!vm_interval_add(&lk->heaps, p->address, p->address + p->size, i, j))
                return false;
        }
    for (size_t i = 0; i < s->nmodules; i++) {
        const vm_module *m = &s->modules[i];
        if (m->base + m->size < m->base)
            continue;
        if (!vm_interval_add(&lk->modules, m->base, m->base + m->size, i, 0))
            return false;
    }
    vm_interval_sort(&lk->threads);
    vm_interval_sort(&lk->heaps);
    vm_interval_sort(&lk->modules);
    return true;
}

static void free_lookup(lookup *lk)
{
    vm_interval_free(&lk->threads);
    vm_interval_free(&lk->heaps);
    vm_interval_free(&lk->modules);
}

/* ---- details text ------------------------------------------------------------------------ */

static char *thread_details(const vm_thread *t, const vm_raw_block *rb)
{
    const char *part = "";
    if (t->guard_address && rb->address >= t->guard_address &&
        rb->address < t->guard_address + t->guard_size)
        part = " (guard)";
    else if (rb->state == VM_STATE_RESERVE)
        part = " (reserved)";
    if (t->tid)
        return vm_asprintf("Thread %" PRIu64 " stack%s", t->tid, part);
    return vm_asprintf("Stack of an unidentified thread%s", part);
}

static char *thread_region_details(const vm_thread *t)
{
    const char *name = t->name && t->name[0] ? t->name : NULL;
    const char *how = t->found_by ? t->found_by : "unknown";
    if (t->tid)
        return vm_asprintf("Thread %" PRIu64 "%s%s%s stack (found by %s)", t->tid, name ? " \"" : "",
                           name ? name : "", name ? "\"" : "", how);
    return vm_asprintf("Stack of an unidentified thread (found by %s)", how);
}

/* "Heap 2 [NT, LFH, growable] segment 1": kind, front end and flags, then the part. */
static char *heap_details(const vm_heap *h, const vm_heap_part *p)
{
    const char *extra[2] = {h->front_end, h->flags};
    char tags[256];
    int used = snprintf(tags, sizeof tags, "%s", h->kind ? h->kind : "heap");
    for (size_t i = 0; i < 2; i++)
        if (extra[i] && extra[i][0] && used >= 0 && (size_t)used < sizeof tags)
            used += snprintf(tags + used, sizeof tags - (size_t)used, ", %s", extra[i]);
    return vm_asprintf("Heap %d [%s] %s", (int)h->id, tags, p->what ? p->what : "");
}

/* a, b and c joined, malloc'd (NULL when out of memory). */
static char *concat3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *r = malloc(la + lb + lc + 1);
    if (r) {
        memcpy(r, a, la);
        memcpy(r + la, b, lb);
        memcpy(r + la + lb, c, lc + 1);
    }
    return r;
}

/* ".text, .fini of /lib/libc.so.6": the sections that overlap the block.  (Joined by hand: an
 * image block is classified for every mapping of hundreds of libraries.) */
static char *image_details(const vm_module *m, const vm_raw_block *rb)
{
    char names[512];
    const size_t cap = sizeof names;
    size_t used = 0;
    names[0] = '\0';
    uint64_t end = rb->address + rb->size;
    for (size_t i = 0; i < m->nsections; i++) {
        const vm_section *sec = &m->sections[i];
        if (!sec->name || sec->size == 0)
            continue;
        if (sec->address >= end || sec->address + sec->size <= rb->address)
            continue;
        size_t ls = used ? 2 : 0, ln = strlen(sec->name);
        if (ls + ln >= cap - used) {
            /* Too many to list: say so rather than cut a name in half (with no room even for
             * that, what fits of the name stays, as snprintf would have left it). */
            size_t room = cap - used - 1, k = ls < room ? ls : room;
            memcpy(names + used, ", ", k);
            memcpy(names + used + k, sec->name, room - k);
            names[used + room] = '\0';
            if (cap - used > 6)
                memcpy(names + used, ", ...", 6);
            break;
        }
        memcpy(names + used, ", ", ls);
        memcpy(names + used + ls, sec->name, ln + 1);
        used += ls + ln;
    }
    const char *path = m->path ? m->path : "image";
    if (used)
        return concat3(names, " of ", path);
    if (rb->state == VM_STATE_RESERVE)
        return concat3("Reserved gap in ", path, "");
    return vm_strdup(m->path ? m->path : rb->path);
}

static char *shareable_details(const vm_raw_block *rb)
{
    const char *p = rb->path;
    if (!p)
        return vm_strdup(rb->flags & VM_RAW_SHARED ? "Shared memory" : "Mapped memory");
    if (strncmp(p, "/memfd:", 7) == 0)
        return vm_asprintf("memfd %s", p + 7);
    if (strncmp(p, "/SYSV", 5) == 0)
        return vm_asprintf("SysV shared memory key 0x%s", p + 5);
    if (strcmp(p, "/dev/zero") == 0)
        return vm_strdup("Shared anonymous memory");
    if (strncmp(p, "/dev/shm/", 9) == 0)
        return vm_asprintf("POSIX shared memory %s", p + 8);
    return vm_strdup(p);
}

/* ---- classification of one block ---------------------------------------------------------- */

typedef struct verdict {
    vm_kind kind;
    char *details;
    char *region_details; /* what the whole allocation is, if this block decides it */
    int32_t heap_id, heap_part, module;
    uint64_t thread_id;
} verdict;

static bool classify_block(const vm_snapshot *s, const lookup *lk, const vm_raw_block *rb, verdict *v)
{
    memset(v, 0, sizeof *v);
    v->heap_id = v->heap_part = v->module = -1;

    const vm_interval *iv = vm_interval_find(&lk->modules, rb->address);
    if (iv)
        v->module = (int32_t)iv->a;

    if ((iv = vm_interval_find(&lk->threads, rb->address))) {
        const vm_thread *t = &s->threads[iv->a];
        v->kind = VM_KIND_STACK;
        v->thread_id = t->tid;
        v->details = thread_details(t, rb);
        v->region_details = thread_region_details(t);
    } else if ((iv = vm_interval_find(&lk->heaps, rb->address))) {
        const vm_heap *h = &s->heaps[iv->a];
        v->kind = VM_KIND_HEAP;
        v->heap_id = h->id;
        v->heap_part = (int32_t)iv->b;
        v->details = heap_details(h, &h->parts[iv->b]);
        v->region_details = vm_strdup(v->details);
    } else if (rb->memtype == VM_MEMTYPE_IMAGE) {
        v->kind = VM_KIND_IMAGE;
        if (v->module >= 0) {
            v->details = image_details(&s->modules[v->module], rb);
            v->region_details = vm_strdup(s->modules[v->module].path);
        } else {
            v->details = vm_strdup(rb->path);
            v->region_details = vm_strdup(rb->path);
        }
    } else if (rb->memtype == VM_MEMTYPE_MAPPED && (rb->flags & VM_RAW_FILE) && !(rb->flags & VM_RAW_SHMEM)) {
        v->kind = VM_KIND_MAPPED_FILE;
        v->details = rb->flags & VM_RAW_DELETED ? vm_asprintf("%s (deleted)", rb->path ? rb->path : "file")
                                                : vm_strdup(rb->path);
        v->region_details = vm_strdup(v->details);
    } else if (rb->memtype == VM_MEMTYPE_MAPPED || (rb->flags & (VM_RAW_SHARED | VM_RAW_SHMEM))) {
        v->kind = VM_KIND_SHAREABLE;
        v->details = shareable_details(rb);
        v->region_details = vm_strdup(v->details);
    } else {
        v->kind = VM_KIND_PRIVATE_DATA;
        const char *what = rb->note ? rb->note : rb->path;
        v->details = what ? vm_strdup(what) : vm_strdup(rb->state == VM_STATE_RESERVE ? "Reserved" : NULL);
        v->region_details = what ? vm_strdup(what) : NULL;
    }
    if (v->module >= 0 && v->kind != VM_KIND_IMAGE)
        v->module = -1; /* only images link to modules */
    return true;
}

/* Which kind names an allocation whose blocks differ: the highest priority present. */
static int kind_rank(vm_kind k)
{
    static const int rank[VM_KIND_COUNT] = {
        [VM_KIND_STACK] = 9, [VM_KIND_HEAP] = 8, [VM_KIND_MANAGED_HEAP] = 7, [VM_KIND_IMAGE] = 6,
        [VM_KIND_MAPPED_FILE] = 5, [VM_KIND_SHAREABLE] = 4, [VM_KIND_PRIVATE_DATA] = 3,
        [VM_KIND_PAGE_TABLE] = 2, [VM_KIND_UNUSABLE] = 1, [VM_KIND_FREE] = 0,
    };
    return (unsigned)k < VM_KIND_COUNT ? rank[k] : -1;
}

/* ---- regions ----------------------------------------------------------------------------- */

static vm_region *new_region(vm_snapshot *s, uint64_t address)
{
    vm_region *r = vm_snapshot_add_region(s);
    if (r)
        r->address = address;
    return r;
}

/* A gap region (Free or Unusable) with one block.  A gap too large for a snapshot to hold (5-level
 * paging gives 2^56 bytes of user space) is several, split at multiples of 2^52. */
static bool add_gap(vm_snapshot *s, uint64_t start, uint64_t end, vm_kind kind)
{
    const uint64_t piece = UINT64_C(1) << 52;
    while (end > start && end - start > VM_SNAPSHOT_MAX_SIZE) {
        uint64_t cut = (start | (piece - 1)) + 1;
        if (!add_gap(s, start, cut, kind))
            return false;
        start = cut;
    }
    if (end <= start)
        return true;
    vm_region *r = new_region(s, start);
    if (!r)
        return false;
    r->size = end - start;
    r->kind = kind;
    vm_block *b = vm_region_add_block(r);
    if (!b)
        return false;
    b->address = start;
    b->size = end - start;
    b->state = VM_STATE_FREE;
    b->memtype = VM_MEMTYPE_NONE;
    b->kind = kind;
    b->counters.known = VM_COUNTERS_ALL_KNOWN; /* free memory: every counter is truly zero */
    if (kind == VM_KIND_UNUSABLE)
        b->details = vm_strdup("Unusable: below the allocation granularity after an allocation");
    return true;
}

/* The gap [start, end) after an allocation ending at start: first the part up to the next
 * allocation-granularity boundary (Unusable: nobody can allocate there), then Free. */
static bool add_gaps(vm_snapshot *s, uint64_t start, uint64_t end, bool after_allocation)
{
    uint64_t gran = s->alloc_granularity, page = s->page_size ? s->page_size : 4096;
    if (after_allocation && gran > page && start % gran) {
        uint64_t boundary = start - start % gran + gran;
        if (boundary < start || boundary > end)
            boundary = end;
        if (!add_gap(s, start, boundary, VM_KIND_UNUSABLE))
            return false;
        start = boundary;
    }
    return add_gap(s, start, end, VM_KIND_FREE);
}

static bool fill_block(vm_block *b, const vm_raw_block *rb, verdict *v)
{
    b->address = rb->address;
    b->size = rb->size;
    b->state = rb->state;
    b->protection = rb->protection;
    b->memtype = rb->memtype;
    if (rb->flags & VM_RAW_SHARING_KNOWN)
        b->sharing = rb->flags & VM_RAW_MAP_SHARED ? VM_SHARING_SHARED : VM_SHARING_PRIVATE;
    b->kind = v->kind;
    b->counters = rb->counters;
    b->details = v->details;
    v->details = NULL;
    b->heap_id = v->heap_id;
    b->heap_part = v->heap_part;
    b->thread_id = v->thread_id;
    b->module = v->module;
    b->path = vm_strdup(rb->path);
    return !rb->path || b->path;
}

static void oom(vm_error *err)
{
    vm_error_set(err, VM_EXIT_ERROR, "out of memory while classifying regions");
}

/* Where a classification given its blocks in pieces stands between two calls. */
struct vm_classify_state {
    lookup lk;
    vm_bound_state bound; /* the facts brought inside what a snapshot holds (bounds.h) */
    size_t next;      /* the first block not classified yet */
    uint64_t cursor;  /* end of what has been emitted */
    bool after_alloc; /* the last thing emitted was an allocation (the gap after it may be Unusable) */
};

void vm_classify_state_free(vm_facts *facts)
{
    if (facts->classify_state)
        free_lookup(&facts->classify_state->lk);
    free(facts->classify_state);
    facts->classify_state = NULL;
}

/* Blocks [i, end) that form one allocation with blocks[i] (same base, contiguous, not free). */
static size_t allocation_end(const vm_facts *facts, size_t i)
{
    const vm_raw_block *first = &facts->blocks[i];
    size_t j = i + 1;
    while (j < facts->nblocks) {
        const vm_raw_block *rb = &facts->blocks[j], *prev = &facts->blocks[j - 1];
        uint64_t so_far = prev->address + prev->size - first->address;
        if (rb->alloc_base != first->alloc_base || rb->state == VM_STATE_FREE || rb->size == 0 ||
            rb->address != prev->address + prev->size)
            break;
        if (rb->size > VM_SNAPSHOT_MAX_SIZE - so_far)
            break; /* more than a snapshot holds in one region: the rest is another */
        j++;
    }
    return j;
}

/* One allocation, blocks [i, end), as one region, after the gap before it. */
static bool emit_allocation(vm_facts *facts, struct vm_classify_state *cs, size_t i, size_t end)
{
    vm_snapshot *s = facts->snap;
    const vm_raw_block *first = &facts->blocks[i];
    /* Gaps are Free only inside the user address space: above it ([vsyscall]) is the kernel's,
     * not free for the process. */
    uint64_t gap_end = first->address < s->user_top ? first->address : s->user_top;
    if (gap_end > cs->cursor && !add_gaps(s, cs->cursor, gap_end, cs->after_alloc))
        return false;
    vm_region *r = new_region(s, first->address);
    if (!r)
        return false;
    int best_rank = -1;
    for (; i < end; i++) {
        const vm_raw_block *rb = &facts->blocks[i];
        verdict v;
        classify_block(s, &cs->lk, rb, &v);
        vm_block *b = vm_region_add_block(r);
        if (!b || !fill_block(b, rb, &v)) {
            free(v.details);
            free(v.region_details);
            return false;
        }
        r->size = rb->address + rb->size - r->address;
        if (kind_rank(v.kind) > best_rank) {
            best_rank = kind_rank(v.kind);
            r->kind = v.kind;
            free(r->details);
            r->details = v.region_details;
            v.region_details = NULL;
        }
        free(v.region_details);
        cs->cursor = rb->address + rb->size;
    }
    cs->after_alloc = true;
    return true;
}

/* Between calls in pieces: the blocks classified are of no more use; dropping them keeps the
 * blocks of a 60,000-mapping capture from all being in memory at once. */
static void drop_classified(vm_facts *facts, struct vm_classify_state *cs)
{
    size_t done = cs->next;
    if (done == 0)
        return;
    for (size_t j = 0; j < done; j++) {
        free(facts->blocks[j].path);
        free(facts->blocks[j].note);
    }
    memmove(facts->blocks, facts->blocks + done, (facts->nblocks - done) * sizeof *facts->blocks);
    facts->nblocks -= done; /* shrinking is safe with vm_array_push (capacity follows the count up) */
    cs->bound.bounded -= done;
    cs->next = 0;
}

int vm_classify_more(vm_facts *facts, bool last, vm_error *err)
{
    vm_snapshot *s = facts->snap;
    struct vm_classify_state *cs = facts->classify_state;
    if (!cs) {
        cs = facts->classify_state = calloc(1, sizeof *cs);
        if (!cs)
            goto out_of_memory;
        vm_facts_bound_begin(facts, &cs->bound);
        if (!build_lookup(s, &cs->lk))
            goto out_of_memory;
    }
    vm_facts_bound_blocks(facts, &cs->bound);
    size_t i = cs->next;
    while (i < facts->nblocks) {
        const vm_raw_block *first = &facts->blocks[i];
        if (first->state == VM_STATE_FREE || first->size == 0 || first->address < cs->cursor) {
            /* Free blocks are re-derived from the gaps; overlapping facts are dropped. */
            if (first->address < cs->cursor && first->size)
                vm_snapshot_warn(s, "overlap", "block at 0x%" PRIx64 " overlaps the previous one; skipped",
                                 first->address);
            i++;
            continue;
        }
        size_t end = allocation_end(facts, i);
        if (end == facts->nblocks && !last)
            break; /* the next block given may still belong to this allocation */
        if (!emit_allocation(facts, cs, i, end))
            goto out_of_memory;
        i = end;
    }
    cs->next = i;
    if (!last)
        drop_classified(facts, cs);
    if (last) {
        uint64_t top = s->user_top;
        if (top > cs->cursor && !add_gaps(s, cs->cursor, top, cs->after_alloc))
            goto out_of_memory;
        vm_facts_bound_end(facts, &cs->bound);
        vm_classify_state_free(facts);
    }
    return VM_EXIT_OK;

out_of_memory:
    vm_classify_state_free(facts);
    oom(err);
    return VM_EXIT_ERROR;
}

int vm_classify(vm_facts *facts, vm_error *err)
{
    vm_classify_state_free(facts); /* from the first block, whatever was begun */
    return vm_classify_more(facts, true, err);
}
