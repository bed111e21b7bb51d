/* Mappings cut where heap parts begin and end.
 *
 * The kernel merges adjacent anonymous mappings with the same flags into one VMA, so a glibc
 * mmapped chunk or an arena heap can share its VMA with memory that is not the heap (a Python
 * process showed a 176 KB chunk at the start of a 1 GB VMA of its own arenas, all of it "Heap").
 * Such a mapping becomes one raw block per piece: a piece inside a heap part is an allocation of
 * its own based at the part (the classifier labels it Heap), every other piece is an allocation
 * of its own (Private Data, or whatever else it is).
 *
 * smaps has counters per VMA only.  The pieces get (docs/columns.md, "A mapping cut at heap
 * parts"):
 *   - their exact sizes, and the whole mapping's state, protection and backing;
 *   - every counter by the same rules as a whole mapping, from the piece's own pages: the pages
 *     present (the shared zero page left out, as smaps leaves it out), swapped and exclusively
 *     mapped in /proc/PID/pagemap (proc_pagemap.h), for every piece but the
 *     largest; the largest has the rest of the mapping's smaps totals, so the pieces add up to
 *     smaps exactly.  Committed and Private of an accountable mapping are the piece's size.
 *   - Pss (and Locked, of an mlocked mapping) unknown for a piece with pages shared with another
 *     process (after fork): pagemap does not say with how many; then the largest piece's too.
 * A running process may touch pages between the smaps read and the pagemap read: what does not
 * fit the largest piece any more is counted (warning "split-counters"). */
#include <stdlib.h>
#include <string.h>

#include "linux_capture.h"

/* ---- the cut points ---- */

static int cmp_range(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

bool lx_part_ranges_build(const vm_snapshot *s, uint64_t page, lx_part_ranges *out)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    for (size_t i = 0; i < s->nheaps; i++)
        n += s->heaps[i].nparts;
    if (n == 0)
        return true;
    out->v = malloc(n * sizeof *out->v);
    if (!out->v)
        return false;
    for (size_t i = 0; i < s->nheaps; i++)
        for (size_t j = 0; j < s->heaps[i].nparts; j++) {
            const vm_heap_part *p = &s->heaps[i].parts[j];
            /* untrusted (read from the target): whole pages, no wrap */
            if (p->size == 0 || p->address % page || p->size % page || p->size > UINT64_MAX - p->address)
                continue;
            out->v[out->n][0] = p->address;
            out->v[out->n][1] = p->address + p->size;
            out->n++;
        }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_range);
    return true;
}

void lx_part_ranges_free(lx_part_ranges *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* Index of the first range that ends after addr. */
static size_t first_ending_after(const lx_part_ranges *r, uint64_t addr)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->v[mid][1] <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The parts of one walk do not overlap, so their ends are in order too and a binary search by end
 * holds; parts that overlap (hostile heap headers) only cost a cut or a base, never a bound. */
bool lx_in_part(const lx_part_ranges *r, uint64_t addr, uint64_t *part_start)
{
    for (size_t i = first_ending_after(r, addr); i < r->n && r->v[i][0] <= addr; i++)
        if (addr < r->v[i][1]) {
            *part_start = r->v[i][0];
            return true;
        }
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t lx_cut(const lx_part_ranges *r, uint64_t start, uint64_t end, uint64_t **starts)
{
    *starts = NULL;
    size_t cap = 1, n = 0;
    size_t from = first_ending_after(r, start);
    for (size_t i = from; i < r->n && r->v[i][0] < end; i++)
        cap += 2;
    uint64_t *s = malloc(cap * sizeof *s);
    if (!s)
        return 0;
    s[n++] = start;
    for (size_t i = from; i < r->n && r->v[i][0] < end; i++)
        for (int k = 0; k < 2; k++)
            if (r->v[i][k] > start && r->v[i][k] < end)
                s[n++] = r->v[i][k];
    qsort(s, n, sizeof *s, cmp_u64);
    size_t out = 1;
    for (size_t i = 1; i < n; i++)
        if (s[i] != s[out - 1])
            s[out++] = s[i];
    *starts = s;
    return out;
}

/* ---- the counters of the pieces ---- */

static size_t largest_piece(const uint64_t *starts, size_t n, uint64_t end)
{
    size_t big = 0;
    for (size_t k = 1; k < n; k++) {
        uint64_t kend = k + 1 < n ? starts[k + 1] : end, bend = big + 1 < n ? starts[big + 1] : end;
        if (kend - starts[k] > bend - starts[big])
            big = k;
    }
    return big;
}

/* The mapping m as if it were only [start, end), with the pages pagemap counted there. */
static vm_linux_mapping piece_of(const vm_linux_mapping *m, uint64_t start, uint64_t end, const vm_linux_page_counts *pc,
                                 uint64_t page)
{
    vm_linux_mapping p = *m;
    p.start = start;
    p.end = end;
    p.size = end - start;
    p.rss = pc->present * page;
    p.swap = pc->swapped * page;
    p.private_clean = 0;
    p.private_dirty = pc->exclusive * page;
    p.shared_clean = 0;
    p.shared_dirty = (pc->present - pc->exclusive) * page;
    p.pss = p.private_dirty; /* exact when no page is shared (the caller checks) */
    p.locked = m->locked ? p.pss : 0;
    return p;
}

void lx_piece_counters(lx_capture *c, const vm_linux_mapping *m, const uint64_t *starts, size_t n, vm_counters *out)
{
    const uint32_t need = VM_LX_HAVE_RSS | VM_LX_HAVE_PSS | VM_LX_HAVE_SHARED_CLEAN | VM_LX_HAVE_SHARED_DIRTY |
                          VM_LX_HAVE_PRIVATE_CLEAN | VM_LX_HAVE_PRIVATE_DIRTY;
    const vm_linux_page_counts none = {0};
    uint64_t page = c->page_size;
    if ((m->have & need) != need) { /* no smaps values yet (the early pass): nothing is known */
        for (size_t k = 0; k < n; k++) {
            vm_linux_mapping p = piece_of(m, starts[k], k + 1 < n ? starts[k + 1] : m->end, &none, page);
            lx_block_counters(&p, &out[k]);
        }
        return;
    }
    vm_counters whole;
    lx_block_counters(m, &whole);
    size_t big = largest_piece(starts, n, m->end);
    bool any_page = m->rss || m->swap, unreadable = false;
    uint32_t known_in_all = whole.known;
    vm_counters sum = {0};
    for (size_t k = 0; k < n; k++) {
        if (k == big)
            continue;
        uint64_t end = k + 1 < n ? starts[k + 1] : m->end;
        vm_linux_page_counts pc = none;
        if (any_page && !vm_linux_pagemap_count(&c->pagemap, starts[k], end, page, &pc))
            unreadable = true;
        vm_linux_mapping p = piece_of(m, starts[k], end, &pc, page);
        lx_block_counters(&p, &out[k]);
        if (pc.present != pc.exclusive) /* shared with another process: its share is not known */
            out[k].known &= ~((1u << VM_C_PSS) | (m->locked ? 1u << VM_C_LOCKED_WS : 0));
        known_in_all &= out[k].known;
        for (int i = 0; i < VM_C_COUNT; i++)
            sum.v[i] += out[k].v[i];
    }
    uint64_t big_end = big + 1 < n ? starts[big + 1] : m->end, big_size = big_end - starts[big];
    out[big] = whole;
    out[big].known = known_in_all;
    for (int i = 0; i < VM_C_COUNT; i++) {
        uint64_t rest = whole.v[i] > sum.v[i] ? whole.v[i] - sum.v[i] : 0;
        if ((known_in_all >> i & 1u) && (whole.v[i] < sum.v[i] || rest > big_size)) {
            c->split_moved++; /* the pages moved between the two reads */
            rest = rest > big_size ? big_size : rest;
        }
        out[big].v[i] = known_in_all >> i & 1u ? rest : 0;
    }
    if (unreadable) /* pagemap cannot be read: no piece's share of the mapping is known */
        for (size_t k = 0; k < n; k++)
            out[k].known = 0;
}
