#include "summary.h"

#include <string.h>

static void row_init(vm_summary_row *row)
{
    memset(row, 0, sizeof *row);
    row->counters.known = VM_COUNTERS_ALL_KNOWN;
}

void vm_summary_add_block(vm_summary_row *row, const vm_block *b)
{
    row->size += b->size;
    row->blocks++;
    if (b->size > row->largest)
        row->largest = b->size;
    /* A sum is only as known as its least-known part. */
    row->counters.known &= b->counters.known;
    for (int c = 0; c < VM_C_COUNT; c++)
        row->counters.v[c] += b->counters.v[c];
}

static void row_add_row(vm_summary_row *dst, const vm_summary_row *src)
{
    dst->size += src->size;
    dst->blocks += src->blocks;
    if (src->largest > dst->largest)
        dst->largest = src->largest;
    dst->counters.known &= src->counters.known;
    for (int c = 0; c < VM_C_COUNT; c++)
        dst->counters.v[c] += src->counters.v[c];
}

void vm_summary_compute(const vm_snapshot *s, vm_summary *out)
{
    for (int k = 0; k < VM_KIND_COUNT; k++)
        row_init(&out->kind[k]);
    row_init(&out->total);

    for (size_t i = 0; i < s->nregions; i++) {
        const vm_region *r = &s->regions[i];
        for (size_t j = 0; j < r->nblocks; j++) {
            const vm_block *b = &r->blocks[j];
            if ((unsigned)b->kind < VM_KIND_COUNT)
                vm_summary_add_block(&out->kind[b->kind], b);
        }
    }

    vm_summary_row *pt = &out->kind[VM_KIND_PAGE_TABLE];
    if (s->page_table_known) {
        pt->size = s->page_table_bytes;
        pt->counters.v[VM_C_COMMITTED] = s->page_table_bytes;
        pt->counters.v[VM_C_PRIVATE] = s->page_table_bytes;
        pt->largest = s->page_table_bytes;
        /* Page tables are kernel memory: they are not part of any working set. */
    } else {
        pt->counters.known = 0;
    }

    for (int k = 0; k < VM_KIND_COUNT; k++) {
        if (k == VM_KIND_FREE)
            continue;
        /* Unknown page tables (Windows, minidumps) are left out of the total rather than make
         * its Committed and Private unknown; docs/columns.md says so. */
        if (k == VM_KIND_PAGE_TABLE && !s->page_table_known)
            continue;
        row_add_row(&out->total, &out->kind[k]);
    }
}
