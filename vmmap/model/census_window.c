/* Target memory for the census in large pieces: a few windows of a few MiB, each filled by one
 * read clipped to the committed memory around it, reused by the block walk (its header reads)
 * and the census (block contents) alike.  A live process then costs one system call per window
 * instead of one or two per heap block.  Several windows, least recently used replaced, because
 * a walk also reads arena headers far from the blocks it is walking. */
#include <stdlib.h>
#include <string.h>

#include "census_impl.h"

int vm_census_extent_cmp(const void *a, const void *b)
{
    const vm_census_extent *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

const vm_census_extent *vm_census_extent_find(const vm_census_extent *v, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].start <= addr ? &v[lo] : NULL;
}

bool vm_census_win_init(vm_census_win *r, const vm_memreader *mem, const vm_snapshot *snap)
{
    memset(r, 0, sizeof *r);
    r->mem = mem;
    size_t n = 0;
    for (size_t i = 0; i < snap->nregions; i++)
        n += snap->regions[i].nblocks;
    r->extents = malloc((n ? n : 1) * sizeof *r->extents);
    if (!r->extents)
        return false;
    for (size_t i = 0; i < snap->nregions; i++)
        for (size_t j = 0; j < snap->regions[i].nblocks; j++) {
            const vm_block *b = &snap->regions[i].blocks[j];
            if (b->state != VM_STATE_COMMIT || b->size == 0 || b->address + b->size < b->address)
                continue;
            r->extents[r->nextents].start = b->address;
            r->extents[r->nextents].end = b->address + b->size;
            r->nextents++;
        }
    qsort(r->extents, r->nextents, sizeof *r->extents, vm_census_extent_cmp);
    size_t w = 0; /* merge touching and overlapping blocks */
    for (size_t i = 0; i < r->nextents; i++) {
        if (w && r->extents[i].start <= r->extents[w - 1].end) {
            if (r->extents[i].end > r->extents[w - 1].end)
                r->extents[w - 1].end = r->extents[i].end;
        } else {
            r->extents[w++] = r->extents[i];
        }
    }
    r->nextents = w;
    for (int i = 0; i < VM_CENSUS_WINDOWS; i++)
        if (!(r->win[i].buf = malloc(VM_CENSUS_WINDOW_BYTES)))
            return false;
    return true;
}

void vm_census_win_free(vm_census_win *r)
{
    for (int i = 0; i < VM_CENSUS_WINDOWS; i++)
        free(r->win[i].buf);
    free(r->extents);
    memset(r, 0, sizeof *r);
}

/* The committed extent holding addr, or NULL. */
static const vm_census_extent *extent_of(const vm_census_win *r, uint64_t addr)
{
    return vm_census_extent_find(r->extents, r->nextents, addr);
}

static vm_census_window *fill(vm_census_win *r, uint64_t addr)
{
    const vm_census_extent *e = extent_of(r, addr);
    vm_census_window *w = &r->win[0];
    for (int i = 1; i < VM_CENSUS_WINDOWS; i++)
        if (r->win[i].last_use < w->last_use)
            w = &r->win[i];
    /* Start on the page of addr (the walk reads forward), end at the extent's end. */
    uint64_t start = addr & ~(uint64_t)4095;
    if (e && start < e->start)
        start = e->start;
    uint64_t end = start + VM_CENSUS_WINDOW_BYTES;
    if (end < start)
        end = UINT64_MAX;
    if (e && end > e->end)
        end = e->end;
    if (!e) /* outside the map as captured: read just what was asked, in case it is there */
        end = addr + 4096 < addr ? UINT64_MAX : (addr & ~(uint64_t)4095) + 4096;
    w->start = start;
    w->len = r->mem->read(r->mem->ctx, start, w->buf, (size_t)(end - start));
    r->reads++;
    r->bytes_read += w->len;
    return w;
}

const uint8_t *vm_census_view(vm_census_win *r, uint64_t addr, size_t want, size_t *got)
{
    *got = 0;
    if (want == 0)
        return NULL;
    r->tick++;
    vm_census_window *w = NULL;
    for (int i = 0; i < VM_CENSUS_WINDOWS; i++)
        if (addr >= r->win[i].start && addr - r->win[i].start < r->win[i].len) {
            w = &r->win[i];
            /* Prefer refilling over a short view when the window merely ends early. */
            if (addr - w->start + want > w->len && w->len == VM_CENSUS_WINDOW_BYTES)
                w = NULL;
            break;
        }
    if (!w) {
        w = fill(r, addr);
        if (addr < w->start || addr - w->start >= w->len)
            return NULL;
    }
    w->last_use = r->tick;
    size_t off = (size_t)(addr - w->start);
    size_t n = w->len - off;
    *got = n < want ? n : want;
    return w->buf + off;
}

size_t vm_census_read(vm_census_win *r, uint64_t addr, void *buf, size_t len)
{
    if (len > VM_CENSUS_WINDOW_BYTES / 2) /* big reads go straight to the target */
        return r->mem->read(r->mem->ctx, addr, buf, len);
    size_t done = 0;
    while (done < len) {
        size_t got;
        const uint8_t *p = vm_census_view(r, addr + done, len - done, &got);
        if (!p || got == 0)
            break;
        memcpy((uint8_t *)buf + done, p, got);
        done += got;
        if (addr + done < addr)
            break;
    }
    return done;
}
