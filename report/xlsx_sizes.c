/* The Sizes sheet (WinDbg's `!heap -stat`): every walked heap's block sizes, biggest by bytes
 * first within each heap; heaps in the Heaps sheet's order.  Only when some heap was walked. */
#include "heap_view.h"
#include "xlsx_common.h"

#include <stdlib.h>

enum { Z_HEAP, Z_KIND, Z_SIZE, Z_BUSY, Z_FREE, Z_CACHED, Z_BYTES, Z_NCOLS };

static const xw_column size_cols[Z_NCOLS] = {
    [Z_HEAP] = {"Heap", 7, true},
    [Z_KIND] = {"Kind", 20, false},
    [Z_SIZE] = {"Block size (bytes)", 18, true},
    [Z_BUSY] = {"Busy", 12, true},
    [Z_FREE] = {"Free", 12, true},
    [Z_CACHED] = {"Cached", 12, true},
    [Z_BYTES] = {"Bytes", 14, true},
};

void xw_sizes_sheet(xw_book *b, const vm_snapshot *s)
{
    uint64_t rows = 0;
    for (size_t i = 0; i < s->nheaps; i++)
        rows += s->heaps[i].stats_known ? s->heaps[i].nsizes : 0;
    bool walked = false;
    for (size_t i = 0; i < s->nheaps; i++)
        walked |= s->heaps[i].stats_known;
    if (!walked)
        return;
    if (rows > LXW_ROW_MAX - 1)
        rows = LXW_ROW_MAX - 1; /* 65,536 sizes per heap: only a hostile snapshot gets here */
    lxw_worksheet *ws = xw_table_sheet(b, "Sizes", size_cols, Z_NCOLS, rows ? (uint32_t)rows : 1);
    if (!ws)
        return;
    const int t = VM_KIND_HEAP;
    const xw_variant v = XW_ROW;
    uint32_t row = 1;
    for (size_t i = 0; i < s->nheaps && xw_ok(b) && row <= rows; i++) {
        const vm_heap *h = &s->heaps[i];
        size_t n = 0;
        const vm_heap_size **z = vm_heap_top_sizes(h, 0, &n);
        if (!z && h->nsizes) {
            xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
            return;
        }
        for (size_t k = 0; k < n && row <= rows && xw_ok(b); k++, row++) {
            xw_row(b, ws, row, v);
            xw_count(b, ws, row, Z_HEAP, (uint64_t)(h->id < 0 ? 0 : h->id), t, v);
            xw_text(b, ws, row, Z_KIND, h->kind, t, v, XW_TEXT);
            xw_count(b, ws, row, Z_SIZE, z[k]->size, t, v);
            xw_count(b, ws, row, Z_BUSY, z[k]->busy, t, v);
            xw_count(b, ws, row, Z_FREE, z[k]->free, t, v);
            xw_count(b, ws, row, Z_CACHED, z[k]->cached, t, v);
            xw_bytes(b, ws, row, Z_BYTES, vm_heap_size_bytes(z[k]), t, v, XW_KB);
        }
        free(z);
    }
}
