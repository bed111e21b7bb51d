/* The Heaps sheet: one row per heap (NT, segment, Wine, glibc arena ...) with its parts (segments,
 * arena heaps, large blocks) beneath it as outline rows; when the heaps were walked (vmmap heaps,
 * snapshot --heap-blocks), each heap's owner and statistics.  Empty cells: not known (a heap not
 * walked, its note says why), never zero. */
#include "heap_view.h"
#include "xlsx_common.h"

enum { H_ID, H_ADDRESS, H_KIND, H_FLAGS, H_CLASS, H_FRONT_END, H_OWNER, H_PARTS, H_RESERVED, H_COMMITTED,
       H_BUSY, H_BUSY_B, H_FREE, H_FREE_B, H_CACHED, H_CACHED_B, H_LARGEST_FREE, H_FRAG, H_OVERHEAD, H_NOTE,
       H_NCOLS };

_Static_assert(H_OVERHEAD - H_BUSY + 1 == VM_HEAP_STAT_COLS, "the walk's columns are heap_view.h's, in its order");

static const xw_column heap_cols[H_NCOLS] = {
    [H_ID] = {"Heap", 7, true},
    [H_ADDRESS] = {"Address", 19, false},
    [H_KIND] = {"Kind / part", 26, false},
    [H_FLAGS] = {"Flags", 14, false},
    [H_CLASS] = {"Class", 14, false},
    [H_FRONT_END] = {"Front end", 11, false},
    [H_OWNER] = {"Owner", 22, false},
    [H_PARTS] = {"Parts", 7, true},
    [H_RESERVED] = {"Reserved", 12, true},
    [H_COMMITTED] = {"Committed", 12, true},
    [H_BUSY] = {"Busy blocks", 12, true},
    [H_BUSY_B] = {"Busy", 12, true},
    [H_FREE] = {"Free blocks", 12, true},
    [H_FREE_B] = {"Free", 12, true},
    [H_CACHED] = {"Cached blocks", 14, true},
    [H_CACHED_B] = {"Cached", 12, true},
    [H_LARGEST_FREE] = {"Largest free", 13, true},
    [H_FRAG] = {"Fragmentation", 14, true},
    [H_OVERHEAD] = {"Overhead", 12, true},
    [H_NOTE] = {"Note", 40, false},
};

static void write_stats(xw_book *b, lxw_worksheet *ws, uint32_t row, const vm_heap *h, int t, xw_variant v)
{
    for (size_t c = 0; c < VM_HEAP_STAT_COLS; c++) {
        uint16_t col = (uint16_t)(H_BUSY + c);
        uint64_t n;
        double pct;
        if (!h->stats_known) {
            xw_blank(b, ws, row, col, t, v);
            continue;
        }
        vm_heap_stat_value(&h->stats, c, &n, &pct);
        if (vm_heap_stat_cols[c].kind == VM_HSTAT_COUNT)
            xw_count(b, ws, row, col, n, t, v);
        else if (vm_heap_stat_cols[c].kind == VM_HSTAT_BYTES)
            xw_bytes(b, ws, row, col, n, t, v, XW_KB);
        else
            xw_percent(b, ws, row, col, pct, t, v);
    }
}

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
    if (h->address_unknown || vm_heap_kind_has_no_address(h->kind)) /* null: none or unknown */
        xw_blank(b, ws, row, H_ADDRESS, t, v);
    else
        xw_address(b, ws, row, H_ADDRESS, s, h->address, t, v);
    xw_text(b, ws, row, H_KIND, h->kind, t, v, XW_TEXT);
    xw_text(b, ws, row, H_FLAGS, h->flags, t, v, XW_TEXT);
    xw_text(b, ws, row, H_CLASS, h->heap_class, t, v, XW_TEXT);
    xw_text(b, ws, row, H_FRONT_END, h->front_end, t, v, XW_TEXT);
    if (h->owners_known) {
        char owner[192];
        vm_heap_owner_text(s, h, owner, sizeof owner);
        xw_text(b, ws, row, H_OWNER, owner[0] ? owner : "none found", t, v, XW_TEXT);
    } else {
        xw_blank(b, ws, row, H_OWNER, t, v);
    }
    xw_count(b, ws, row, H_PARTS, h->nparts, t, v);
    xw_bytes(b, ws, row, H_RESERVED, reserved, t, v, XW_KB);
    xw_bytes(b, ws, row, H_COMMITTED, committed, t, v, XW_KB);
    write_stats(b, ws, row, h, t, v);
    xw_text(b, ws, row, H_NOTE, h->walk_note, t, v, XW_TEXT);
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
    for (uint16_t c = H_BUSY; c < H_NCOLS; c++)
        xw_blank(b, ws, row, c, t, v);
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
