/* The Summary sheet: who and when, VMMap's type table (Total first, as VMMap), notes on how to
 * read it, and a bar chart of committed memory by type in the types' colours. */
#include <stdio.h>

#include "xlsx_common.h"

/* The type table's columns (Pss and Swap only for sources that know them) and their widths;
 * Size and Largest are wide because Free spans the whole address space. */
static const struct {
    vm_col col;
    double width;
} summary_cols[] = {
    {VM_COL_TYPE, 15},
    {VM_COL_SIZE, 18},
    {VM_COL_COUNTER0 + VM_C_COMMITTED, 12},
    {VM_COL_COUNTER0 + VM_C_PRIVATE, 12},
    {VM_COL_COUNTER0 + VM_C_TOTAL_WS, 12},
    {VM_COL_COUNTER0 + VM_C_PRIVATE_WS, 12},
    {VM_COL_COUNTER0 + VM_C_SHAREABLE_WS, 13},
    {VM_COL_COUNTER0 + VM_C_SHARED_WS, 12},
    {VM_COL_COUNTER0 + VM_C_LOCKED_WS, 12},
    {VM_COL_COUNTER0 + VM_C_PSS, 12},
    {VM_COL_COUNTER0 + VM_C_SWAP, 10},
    {VM_COL_BLOCKS, 8},
    {VM_COL_LARGEST, 17},
};
#define NCOLS (sizeof summary_cols / sizeof summary_cols[0])

static const char *const notes[] = {
    "Sizes are in K (1 K = 1,024 bytes), as in VMMap; each cell holds the exact value.",
    "An empty cell means unknown: the source could not measure that value. 0 means zero.",
    "Total counts every type except Free, as VMMap does. Free has no committed or working-set "
    "values; Page Table (kernel memory for the page tables) has no blocks.",
    "Committed is memory the system has promised; Total WS (RSS on Linux) is what is in RAM now. On "
    "Linux they differ most: untouched thread stacks and reservations count as committed "
    "(docs/columns.md).",
    "Regions: one row per allocation, its blocks grouped beneath it (fold them with the outline "
    "buttons on the left). Heaps, Threads, Modules: the details behind the Heap, Stack and Image "
    "rows.",
};
#define NNOTES (sizeof notes / sizeof notes[0])

/* Where things landed, for the chart. */
typedef struct summary_layout {
    uint32_t first_kind_row; /* row of VM_KIND_IMAGE */
    uint16_t type_col, committed_col, total_ws_col;
    uint32_t next_row;
} summary_layout;

static uint32_t write_facts(xw_book *b, lxw_worksheet *ws, const vm_snapshot *s)
{
    char title[256];
    vm_facts f;
    snprintf(title, sizeof title, "Virtual memory of %s (PID %lld)",
             s->process.name ? s->process.name : "?", (long long)s->process.pid);
    xw_check(b, worksheet_write_string(ws, 0, 0, title, b->title));
    vm_tab_facts(s, &f);
    uint32_t row = 2;
    for (size_t i = 0; i < f.n; i++, row++) {
        xw_check(b, worksheet_write_string(ws, row, 0, f.fact[i].label, b->label));
        xw_text_as(b, ws, row, 1, f.fact[i].value, b->value);
    }
    return row + 1;
}

static void write_type_row(xw_book *b, lxw_worksheet *ws, uint32_t row, const vm_tab_row *r,
                           bool linux_cols)
{
    int tint = r->kind < 0 ? XW_PLAIN : r->kind;
    xw_variant v = r->kind < 0 ? XW_PARENT : XW_ROW;
    uint16_t col = 0;
    for (size_t i = 0; i < NCOLS; i++) {
        vm_col c = summary_cols[i].col;
        if (vm_col_shown(c, linux_cols))
            xw_cell(b, ws, row, col++, &r->cell[c], c, tint, v);
    }
}

static void write_type_table(xw_book *b, lxw_worksheet *ws, const vm_snapshot *s,
                             summary_layout *at)
{
    bool linux_cols = vm_tab_linux_columns(s);
    uint32_t row = at->next_row;
    uint16_t col = 0;
    for (size_t i = 0; i < NCOLS; i++) {
        vm_col c = summary_cols[i].col;
        if (!vm_col_shown(c, linux_cols))
            continue;
        if (c == VM_COL_COUNTER0 + VM_C_COMMITTED)
            at->committed_col = col;
        if (c == VM_COL_COUNTER0 + VM_C_TOTAL_WS)
            at->total_ws_col = col;
        xw_check(b, worksheet_set_column(ws, col, col, summary_cols[i].width, NULL));
        xw_header(b, ws, row, col++, vm_col_title(c), vm_col_numeric(c));
    }
    at->type_col = 0;
    vm_summary sum;
    vm_tab_row r;
    vm_summary_compute(s, &sum);
    for (int k = -1; k < VM_KIND_COUNT; k++) {
        vm_tab_summary_row(s, &sum, k, &r);
        write_type_row(b, ws, ++row, &r, linux_cols);
    }
    at->first_kind_row = at->next_row + 2; /* header, Total */
    at->next_row = row + 2;
}

static uint32_t write_notes(xw_book *b, lxw_worksheet *ws, uint32_t row)
{
    for (size_t i = 0; i < NNOTES; i++, row++)
        xw_check(b, worksheet_write_string(ws, row, 0, notes[i], b->note));
    return row + 1;
}

enum { NBARS = VM_KIND_FREE };

/* One bar per type (Free aside): solid in the type's colour for Committed, the type's light tint
 * outlined in its colour for Total WS. */
static void add_bars(xw_book *b, lxw_chart *chart, const summary_layout *at, uint16_t col, const char *name,
                     bool resident)
{
    uint32_t last = at->first_kind_row + NBARS - 1;
    lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
    if (!series) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    chart_series_set_categories(series, "Summary", at->first_kind_row, at->type_col, last, at->type_col);
    chart_series_set_values(series, "Summary", at->first_kind_row, col, last, col);
    chart_series_set_name(series, name);
    /* The legend shows the series' own look: dark for Committed, outlined light for Total WS. */
    lxw_chart_fill legend_fill = {.color = resident ? 0xECEFF1 : 0x546E7A};
    lxw_chart_line legend_line = {.color = 0x546E7A, .width = 1.25};
    chart_series_set_fill(series, &legend_fill);
    chart_series_set_line(series, &legend_line);
    lxw_chart_fill fills[NBARS];
    lxw_chart_line lines[NBARS];
    lxw_chart_point points[NBARS];
    lxw_chart_point *list[NBARS + 1];
    for (int k = 0; k < NBARS; k++) {
        fills[k] = (lxw_chart_fill){.color = resident ? xw_kind_colours[k].fill : xw_kind_colours[k].strong};
        lines[k] = (lxw_chart_line){.color = xw_kind_colours[k].strong, .width = 1.25};
        points[k] = (lxw_chart_point){.fill = &fills[k], .line = resident ? &lines[k] : NULL};
        list[k] = &points[k];
    }
    list[NBARS] = NULL;
    xw_check(b, chart_series_set_points(series, list));
    chart_series_set_labels(series);
    chart_series_set_labels_num_format(series, "#,##0 \"K\"");
}

/* Committed and resident (Total WS) memory by type: on Linux the two differ most (thread stacks
 * and untouched reservations count as committed), so both are drawn, side by side per type. */
static void insert_chart(xw_book *b, lxw_worksheet *ws, const summary_layout *at, uint32_t row)
{
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_BAR);
    if (!chart) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    add_bars(b, chart, at, at->committed_col, "Committed", false);
    add_bars(b, chart, at, at->total_ws_col, "Total WS (resident)", true);
    chart_set_series_gap(chart, 40);

    chart_title_set_name(chart, "Committed and resident (Total WS) memory by type (K)");
    lxw_chart_font title_font = {.size = 12, .bold = LXW_TRUE};
    chart_title_set_name_font(chart, &title_font);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    /* In a bar chart the category axis is the vertical one (y). */
    chart_axis_set_reverse(chart->y_axis); /* Image on top, in the table's order */
    chart_axis_set_num_format(chart->x_axis, "#,##0 \"K\"");

    lxw_chart_options opt = {.x_offset = 4, .y_offset = 4, .x_scale = 1.9, .y_scale = 1.6};
    xw_check(b, worksheet_insert_chart_opt(ws, row, 0, chart, &opt));
}

void xw_summary_sheet(xw_book *b, const vm_snapshot *s)
{
    b->sheet = "Summary";
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Summary");
    if (!ws) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    worksheet_gridlines(ws, LXW_HIDE_ALL_GRIDLINES);
    xw_print_setup(b, ws, -1);
    worksheet_fit_to_pages(ws, 1, 1); /* the facts, the table and the chart on one page */

    summary_layout at = {0};
    at.next_row = write_facts(b, ws, s);
    write_type_table(b, ws, s, &at);
    uint32_t chart_row = write_notes(b, ws, at.next_row);
    insert_chart(b, ws, &at, chart_row);
}
