/* The Regions sheet: VMMap's detail view.  One row per allocation (bold, outline level 0) with
 * its blocks beneath it (outline level 1), every row tinted by its type. */
#include "../vmmap/util/progress.h"
#include "xlsx_common.h"

typedef struct region_column {
    vm_col col;
    double width;
} region_column;

static const region_column region_cols[] = {
    {VM_COL_ADDRESS, 19},
    {VM_COL_TYPE, 13},
    {VM_COL_SIZE, 17},
    {VM_COL_COUNTER0 + VM_C_COMMITTED, 12},
    {VM_COL_COUNTER0 + VM_C_PRIVATE, 11},
    {VM_COL_COUNTER0 + VM_C_TOTAL_WS, 11},
    {VM_COL_COUNTER0 + VM_C_PRIVATE_WS, 11},
    {VM_COL_COUNTER0 + VM_C_SHAREABLE_WS, 12},
    {VM_COL_COUNTER0 + VM_C_SHARED_WS, 11},
    {VM_COL_COUNTER0 + VM_C_LOCKED_WS, 11},
    {VM_COL_COUNTER0 + VM_C_PSS, 11},
    {VM_COL_COUNTER0 + VM_C_SWAP, 10},
    {VM_COL_BLOCKS, 8},
    {VM_COL_PROTECTION, 18},
    {VM_COL_DETAILS, 70},
};
#define NCOLS (sizeof region_cols / sizeof region_cols[0])

uint64_t xw_regions_rows(const vm_snapshot *s)
{
    uint64_t rows = 1 + (uint64_t)s->nregions;
    for (size_t i = 0; i < s->nregions; i++)
        rows += s->regions[i].nblocks;
    return rows;
}

/* The shown columns (Pss and Swap only when known) as sheet columns; returns how many. */
static size_t shown_columns(const vm_snapshot *s, vm_col *cols, xw_column *sheet_cols)
{
    bool linux_cols = vm_tab_linux_columns(s);
    size_t n = 0;
    for (size_t i = 0; i < NCOLS; i++) {
        if (!vm_col_shown(region_cols[i].col, linux_cols))
            continue;
        cols[n] = region_cols[i].col;
        sheet_cols[n] = (xw_column){vm_col_title(region_cols[i].col), region_cols[i].width,
                                    vm_col_numeric(region_cols[i].col)};
        n++;
    }
    return n;
}

static void write_row(xw_book *b, lxw_worksheet *ws, uint32_t row, const vm_tab_row *r,
                      const vm_col *cols, size_t ncols)
{
    xw_variant v = r->level ? XW_CHILD : XW_PARENT;
    xw_row(b, ws, row, v);
    for (size_t c = 0; c < ncols; c++)
        xw_cell(b, ws, row, (uint16_t)c, &r->cell[cols[c]], cols[c], r->kind, v);
}

void xw_regions_sheet(xw_book *b, const vm_snapshot *s)
{
    vm_col cols[NCOLS];
    xw_column sheet_cols[NCOLS];
    size_t ncols = shown_columns(s, cols, sheet_cols);
    uint32_t last = (uint32_t)(xw_regions_rows(s) - 1);
    lxw_worksheet *ws = xw_table_sheet(b, "Regions", sheet_cols, ncols, last);
    if (!ws)
        return;
    xw_outline_above(ws);
    vm_tab_row r;
    uint32_t row = 1;
    vm_progress_phase("Regions sheet", s->nregions);
    for (size_t i = 0; i < s->nregions && xw_ok(b); i++) {
        const vm_region *reg = &s->regions[i];
        vm_progress_step(i);
        vm_tab_region_row(s, reg, &r);
        write_row(b, ws, row++, &r, cols, ncols);
        for (size_t j = 0; j < reg->nblocks; j++) {
            vm_tab_block_row(s, &reg->blocks[j], &r);
            write_row(b, ws, row++, &r, cols, ncols);
        }
    }
}
