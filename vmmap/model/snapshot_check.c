#include "snapshot_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "../util/compiler.h"
#include "timeline.h"

typedef struct out {
    char *path, *problem;
    size_t pathlen, problemlen;
} out;

VM_PRINTF(3, 4) static bool bad(out *o, const char *path, const char *fmt, ...)
{
    snprintf(o->path, o->pathlen, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->problem, o->problemlen, fmt, ap);
    va_end(ap);
    return false;
}

/* Last byte of a non-empty range (the end itself may be 2^64). */
static uint64_t last_byte(uint64_t address, uint64_t size)
{
    return address + (size - 1);
}

static bool check_header(const vm_snapshot *s, out *o)
{
    if (s->page_size == 0 || (s->page_size & (s->page_size - 1)))
        return bad(o, "page_size", "%" PRIu64 " is not a page size (a power of two)", s->page_size);
    if (s->user_top == 0)
        return bad(o, "user_top", "must not be 0 (it is the first address above the user address space)");
    double when;
    if (s->taken_at && !vm_parse_rfc3339(s->taken_at, &when))
        return bad(o, "taken_at", "not a possible RFC 3339 time (like \"2026-11-22T03:00:00Z\")");
    return true;
}

static bool check_blocks(const vm_region *r, size_t ri, out *o)
{
    char path[64];
    if (r->nblocks == 0) {
        snprintf(path, sizeof path, "regions[%zu].blocks", ri);
        return bad(o, path, "empty: a region is made of at least one block");
    }
    uint64_t total = 0, rlast = last_byte(r->address, r->size);
    for (size_t i = 0; i < r->nblocks; i++) {
        const vm_block *b = &r->blocks[i];
        snprintf(path, sizeof path, "regions[%zu].blocks[%zu]", ri, i);
        if (b->size == 0)
            return bad(o, path, "size 0: a block holds at least one page");
        if (b->address < r->address || last_byte(b->address, b->size) > rlast)
            return bad(o, path, "0x%" PRIx64 " + %" PRIu64 " lies outside its region 0x%" PRIx64 " + %" PRIu64,
                       b->address, b->size, r->address, r->size);
        if (i) {
            const vm_block *p = &r->blocks[i - 1];
            if (b->address < p->address)
                return bad(o, path, "0x%" PRIx64 " is below the block before it (0x%" PRIx64
                           "): blocks go in address order", b->address, p->address);
            if (b->address <= last_byte(p->address, p->size))
                return bad(o, path, "0x%" PRIx64 " + %" PRIu64 " overlaps the block before it (0x%" PRIx64 " + %"
                           PRIu64 ")", b->address, b->size, p->address, p->size);
        }
        total += b->size; /* cannot wrap: the blocks are disjoint and inside the region */
    }
    if (total != r->size) {
        snprintf(path, sizeof path, "regions[%zu].size", ri);
        return bad(o, path, "%" PRIu64 " is not the total of its blocks' sizes (%" PRIu64 ")", r->size, total);
    }
    return true;
}

static bool check_regions(const vm_snapshot *s, out *o)
{
    char path[64];
    for (size_t i = 0; i < s->nregions; i++) {
        const vm_region *r = &s->regions[i];
        snprintf(path, sizeof path, "regions[%zu]", i);
        if (r->size == 0)
            return bad(o, path, "size 0: a region holds at least one page");
        if (i) {
            const vm_region *p = &s->regions[i - 1];
            if (r->address < p->address)
                return bad(o, path, "0x%" PRIx64 " is below the region before it (0x%" PRIx64
                           "): regions go in address order", r->address, p->address);
            if (r->address <= last_byte(p->address, p->size))
                return bad(o, path, "0x%" PRIx64 " + %" PRIu64 " overlaps regions[%zu] (0x%" PRIx64 " + %" PRIu64
                           "): its memory would be counted twice", r->address, r->size, i - 1, p->address, p->size);
        }
        if (!check_blocks(r, i, o))
            return false;
    }
    return true;
}

bool vm_snapshot_check(const vm_snapshot *s, char *path, size_t pathlen, char *problem, size_t problemlen)
{
    out o = {path, problem, pathlen, problemlen};
    return check_header(s, &o) && check_regions(s, &o);
}
