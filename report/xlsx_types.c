/* The Types sheet: the object census (vmmap objects), one row per C++ type, biggest first, then
 * the totals and their share of the busy heap bytes.  Written only when the snapshot carries a
 * census. */
#include <stdio.h>
#include <stdlib.h>

#include "objects_table.h"
#include "xlsx_common.h"

/* The terminal's order (COUNT, BYTES, TYPE, MODULE, HEAPS), then what scripts and reviewers add. */
enum { T_COUNT, T_BYTES, T_TYPE, T_MODULE, T_HEAPS, T_ESTIMATED, T_VTABLE, T_ABI, T_STACK, T_PRIVATE, T_IMAGE,
       T_NCOLS };

static const xw_column type_cols[T_NCOLS] = {
    [T_COUNT] = {"Count", 11, true},           [T_BYTES] = {"Bytes", 14, true},
    [T_ESTIMATED] = {"Bytes estimated", 15, true}, [T_TYPE] = {"Type", 52, false},
    [T_MODULE] = {"Module", 26, false},        [T_HEAPS] = {"Heaps", 10, false},
    [T_VTABLE] = {"Vtable", 19, false},        [T_ABI] = {"ABI", 8, false},
    [T_STACK] = {"Stack", 9, true},            [T_PRIVATE] = {"Private Data", 12, true},
    [T_IMAGE] = {"Image data", 11, true},
};

void xw_types_sheet(xw_book *b, const vm_snapshot *s)
{
    if (!s->census.present)
        return;
    bool oom;
    size_t n;
    size_t *rows = vm_objects_rows(s, NULL, &n, &oom);
    if (oom) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    size_t ncols = s->census.all ? T_NCOLS : T_STACK;
    lxw_worksheet *ws = xw_table_sheet(b, "Types", type_cols, ncols, n ? (uint32_t)n : 1);
    const int t = VM_KIND_HEAP;
    uint32_t row = 1;
    for (size_t i = 0; ws && i < n && xw_ok(b); i++, row++) {
        const vm_object_type *o = &s->objects[rows[i]];
        char heaps[64];
        vm_objects_heaps_text(o, heaps, sizeof heaps);
        xw_row(b, ws, row, XW_ROW);
        xw_count(b, ws, row, T_COUNT, o->count, t, XW_ROW);
        xw_count(b, ws, row, T_BYTES, o->bytes, t, XW_ROW);
        xw_count(b, ws, row, T_ESTIMATED, o->bytes_estimated, t, XW_ROW);
        xw_text(b, ws, row, T_TYPE, o->type, t, XW_ROW, XW_TEXT);
        xw_text(b, ws, row, T_MODULE, vm_objects_module_name(o->module), t, XW_ROW, XW_TEXT);
        xw_text(b, ws, row, T_HEAPS, heaps, t, XW_ROW, XW_TEXT);
        xw_address(b, ws, row, T_VTABLE, s, o->vtable, t, XW_ROW);
        xw_text(b, ws, row, T_ABI, o->abi, t, XW_ROW, XW_TEXT);
        if (s->census.all) {
            xw_count(b, ws, row, T_STACK, o->outside[VM_OBJ_STACK], t, XW_ROW);
            xw_count(b, ws, row, T_PRIVATE, o->outside[VM_OBJ_PRIVATE_DATA], t, XW_ROW);
            xw_count(b, ws, row, T_IMAGE, o->outside[VM_OBJ_IMAGE_DATA], t, XW_ROW);
        }
    }
    free(rows);
    if (!ws || !xw_ok(b))
        return;
    vm_objects_totals tot;
    vm_objects_totals_of(s, &tot);
    char line[200];
    xw_row(b, ws, row, XW_PARENT);
    xw_count(b, ws, row, T_COUNT, tot.objects, XW_PLAIN, XW_PARENT);
    xw_count(b, ws, row, T_BYTES, tot.bytes, XW_PLAIN, XW_PARENT);
    xw_count(b, ws, row, T_ESTIMATED, tot.bytes_estimated, XW_PLAIN, XW_PARENT);
    snprintf(line, sizeof line, "Total: %llu types, %.1f%% of %llu busy heap bytes in %llu blocks",
             (unsigned long long)tot.types, tot.share, (unsigned long long)s->census.busy_bytes,
             (unsigned long long)s->census.busy_blocks);
    xw_text(b, ws, row, T_TYPE, line, XW_PLAIN, XW_PARENT, XW_TEXT);
    row += 2;
    xw_text_as(b, ws, row, T_TYPE,
               "Bytes: the whole heap block for an object alone in its block; objects sharing a block "
               "(an array, a vector's buffer) are each charged the distance to the next one (Bytes estimated).",
               b->note);
}
