/* The Heaps sheet: one row per heap (NT, segment, Wine, glibc arena ...) with its parts (segments,
 * arena heaps, large blocks) beneath it as outline rows. */
#include "xlsx_common.h"

enum { H_ID, H_ADDRESS, H_KIND, H_FLAGS, H_CLASS, H_FRONT_END, H_PARTS, H_RESERVED, H_COMMITTED,
       H_LARGEST_FREE, H_NCOLS };

static const xw_column heap_cols[H_NCOLS] = {
    [H_ID] = {"Heap", 7, true},
    [H_ADDRESS] = {"Address", 19, false},
    [H_KIND] = {"Kind / part", 26, false},
    [H_FLAGS] = {"Flags", 14, false},
    [H_CLASS] = {"Class", 14, false},
    [H_FRONT_END] = {"Front end", 11, false},
    [H_PARTS] = {"Parts", 7, true},
    [H_RESERVED] = {"Reserved", 12, true},
    [H_COMMITTED] = {"Committed", 12, true},
    [H_LARGEST_FREE] = {"Largest free", 12, true},
};

static void write_heap(xw_book *b, lxw_worksheet *ws, uint32_t row, const vm_snapshot *s,
                       const vm_heap *h)
{
    const int t = VM_KIND_HEAP;
    const xw_variant v = XW_PARENT;
    uint64_t reserved = 0, committed = 0;
    for (size_t i = 0; i < h->nparts; i++) {
        reserved += h->parts[i].size;
        committed += h->parts[i].committed;
    }
    xw_row(b, ws, row, v);
    xw_count(b, ws, row, H_ID, (uint64_t)(h->id < 0 ? 0 : h->id), t, v);
    xw_address(b, ws, row, H_ADDRESS, s, h->address, t, v);
    xw_text(b, ws, row, H_KIND, h->kind, t, v, XW_TEXT);
    xw_text(b, ws, row, H_FLAGS, h->flags, t, v, XW_TEXT);
    xw_text(b, ws, row, H_CLASS, h->heap_class, t, v, XW_TEXT);
    xw_text(b, ws, row, H_FRONT_END, h->front_end, t, v, XW_TEXT);
    xw_count(b, ws, row, H_PARTS, h->nparts, t, v);
    xw_bytes(b, ws, row, H_RESERVED, reserved, t, v, XW_KB);
    xw_bytes(b, ws, row, H_COMMITTED, committed, t, v, XW_KB);
    if (h->largest_free_known)
        xw_bytes(b, ws, row, H_LARGEST_FREE, h->largest_free, t, v, XW_KB);
    else
        xw_blank(b, ws, row, H_LARGEST_FREE, t, v);
}

static void write_part(xw_book *b, lxw_worksheet *ws, uint32_t row, const vm_snapshot *s,
                       const vm_heap_part *p)
{
    const int t = VM_KIND_HEAP;
    const xw_variant v = XW_CHILD;
    xw_row(b, ws, row, v);
    xw_blank(b, ws, row, H_ID, t, v);
    xw_address(b, ws, row, H_ADDRESS, s, p->address, t, v);
    xw_text(b, ws, row, H_KIND, p->what, t, v, XW_TEXT);
    for (uint16_t c = H_FLAGS; c <= H_PARTS; c++)
        xw_blank(b, ws, row, c, t, v);
    xw_bytes(b, ws, row, H_RESERVED, p->size, t, v, XW_KB);
    xw_bytes(b, ws, row, H_COMMITTED, p->committed, t, v, XW_KB);
    xw_blank(b, ws, row, H_LARGEST_FREE, t, v);
}

void xw_heaps_sheet(xw_book *b, const vm_snapshot *s)
{
    uint32_t rows = 1 + (uint32_t)s->nheaps;
    for (size_t i = 0; i < s->nheaps; i++)
        rows += (uint32_t)s->heaps[i].nparts;
    lxw_worksheet *ws = xw_table_sheet(b, "Heaps", heap_cols, H_NCOLS, rows - 1);
    if (!ws)
        return;
    xw_outline_above(ws);
    uint32_t row = 1;
    for (size_t i = 0; i < s->nheaps && xw_ok(b); i++) {
        write_heap(b, ws, row++, s, &s->heaps[i]);
        for (size_t j = 0; j < s->heaps[i].nparts; j++)
            write_part(b, ws, row++, s, &s->heaps[i].parts[j]);
    }
}
