/* The timeline workbook: Timeline and Heap timeline sheets (one row per snapshot, one column per
 * series, the growth analysis beneath, a line chart beside) and the Changes sheet of the diff
 * between the first and the last snapshot. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/atomic_file.h"
#include "../vmmap/version.h"
#include "diff_report.h"
#include "timeline_xlsx.h"
#include "xlsx_common.h"

#define GROWING_FILL 0xC62828 /* red: a series that only went up */
#define MAX_CHART_SERIES 32
#define FIRST_SERIES_COL 3 /* Sample, Taken at, Elapsed (s), then the series */

/* One column of a timeline sheet. */
typedef struct tl_col {
    char title[96];
    int tint;               /* a vm_kind or XW_PLAIN: row tint */
    uint32_t line;          /* the chart line's colour (0xRRGGBB); 0: the chart's own */
    uint8_t dash;           /* lxw_chart_line_dash_type, when colours repeat */
    bool bytes;             /* committed bytes (K) or a count */
    bool charted;
    const vm_growth *growth;
    int series;             /* vm_timeline series (kind, Total, Threads), or -1 for a heap */
    size_t heap;            /* index into tl->heaps when series is -1 */
    bool busy;              /* the heap's busy bytes (walked samples), not its committed memory */
} tl_col;

typedef struct tl_sheet {
    xw_book *b;
    lxw_worksheet *ws;
    const char *name;
    const vm_timeline *tl;
    const tl_col *cols;
    size_t ncols;
    lxw_format *growing_header, *growing_cell, *seconds, *fraction;
} tl_sheet;

/* ---- cells ------------------------------------------------------------------------------------ */

static bool col_value(const vm_timeline *tl, const tl_col *c, size_t row, double *v)
{
    if (c->series >= 0)
        return vm_timeline_value(&tl->rows[row], c->series, v);
    const vm_tl_heap *h = &tl->heaps[c->heap];
    if (c->busy) {
        *v = (double)h->busy[row];
        return h->walked[row];
    }
    *v = (double)h->committed[row];
    return h->present[row];
}

static void number(tl_sheet *t, uint32_t row, uint16_t col, double v, bool bytes, int tint)
{
    lxw_format *f = t->b->cell[tint][XW_ROW][bytes ? XW_KB : XW_COUNT];
    xw_check(t->b, worksheet_write_number(t->ws, row, col, bytes ? v / 1024.0 : v, f));
}

static void write_header(tl_sheet *t)
{
    static const char *const fixed[FIRST_SERIES_COL] = {"Sample", "Taken at", "Elapsed (s)"};
    static const double widths[FIRST_SERIES_COL] = {8, 26, 12};
    for (uint16_t c = 0; c < FIRST_SERIES_COL; c++) {
        xw_check(t->b, worksheet_set_column(t->ws, c, c, widths[c], NULL));
        xw_header(t->b, t->ws, 0, c, fixed[c], c != 1);
    }
    for (size_t i = 0; i < t->ncols; i++) {
        uint16_t c = (uint16_t)(FIRST_SERIES_COL + i);
        xw_check(t->b, worksheet_set_column(t->ws, c, c, strlen(t->cols[i].title) > 14 ? 26 : 14, NULL));
        lxw_format *f = t->cols[i].growth->flagged ? t->growing_header : t->b->header_num;
        xw_text_as(t->b, t->ws, 0, c, t->cols[i].title, f);
    }
    worksheet_freeze_panes(t->ws, 1, FIRST_SERIES_COL);
}

static void write_rows(tl_sheet *t)
{
    const vm_timeline *tl = t->tl;
    for (size_t r = 0; r < tl->nrows && xw_ok(t->b); r++) {
        uint32_t row = (uint32_t)(r + 1);
        xw_count(t->b, t->ws, row, 0, r + 1, XW_PLAIN, XW_ROW);
        xw_text(t->b, t->ws, row, 1, tl->rows[r].taken_at, XW_PLAIN, XW_ROW, XW_TEXT);
        double elapsed = round((tl->rows[r].time - tl->rows[0].time) * 1000.0) / 1000.0; /* ms, as taken_at */
        xw_check(t->b, worksheet_write_number(t->ws, row, 2, elapsed, t->seconds));
        for (size_t i = 0; i < t->ncols; i++) {
            double v;
            uint16_t c = (uint16_t)(FIRST_SERIES_COL + i);
            if (col_value(tl, &t->cols[i], r, &v))
                number(t, row, c, v, t->cols[i].bytes, t->cols[i].tint);
            else
                xw_blank(t->b, t->ws, row, c, t->cols[i].tint, XW_ROW);
        }
    }
}

/* ---- the growth analysis beneath the rows ----------------------------------------------------- */

typedef enum growth_line { G_CHANGE, G_SLOPE, G_R2, G_STEPS_UP, G_STEPS, G_GROWING, G_LINES } growth_line;

static const char *const growth_labels[G_LINES] = {
    "Change", "Slope per minute", "R² of the fit", "Steps up", "Steps", "Growing",
};

static void growth_cell(tl_sheet *t, uint32_t row, uint16_t c, const tl_col *col, growth_line line)
{
    const vm_growth *g = col->growth;
    switch (line) {
    case G_CHANGE: number(t, row, c, g->last - g->first, col->bytes, XW_PLAIN); break;
    case G_SLOPE: number(t, row, c, g->slope, col->bytes, XW_PLAIN); break;
    case G_R2: xw_check(t->b, worksheet_write_number(t->ws, row, c, g->r2, t->fraction)); break;
    case G_STEPS_UP: xw_count(t->b, t->ws, row, c, g->steps_up, XW_PLAIN, XW_ROW); break;
    case G_STEPS: xw_count(t->b, t->ws, row, c, g->steps, XW_PLAIN, XW_ROW); break;
    default:
        if (g->flagged)
            xw_text_as(t->b, t->ws, row, c, "GROWING", t->growing_cell);
        else
            xw_text(t->b, t->ws, row, c, "no", XW_PLAIN, XW_ROW, XW_TEXT);
        break;
    }
}

static const char *const growth_notes[] = {
    "Growing: at least 3 samples, never went down, up overall, and a least-squares line fits with "
    "R² >= 0.9 (docs/watch.md). Slope per minute from that line.",
    "Sizes are committed memory in K (1 K = 1,024 bytes); an empty cell means unknown (or, for a "
    "heap, not present in that sample).",
};

/* The growth block; returns the row after it. */
static uint32_t write_growth(tl_sheet *t, uint32_t row)
{
    xw_check(t->b, worksheet_write_string(t->ws, row++, 0, "Growth across the window", t->b->label));
    for (int line = 0; line < G_LINES && xw_ok(t->b); line++, row++) {
        xw_check(t->b, worksheet_write_string(t->ws, row, 0, growth_labels[line], t->b->label));
        for (size_t i = 0; i < t->ncols; i++)
            growth_cell(t, row, (uint16_t)(FIRST_SERIES_COL + i), &t->cols[i], (growth_line)line);
    }
    row++;
    for (size_t i = 0; i < sizeof growth_notes / sizeof growth_notes[0]; i++)
        xw_check(t->b, worksheet_write_string(t->ws, row++, 0, growth_notes[i], t->b->note));
    return row + 1;
}

/* ---- the chart -------------------------------------------------------------------------------- */

static void add_series(tl_sheet *t, lxw_chart *chart, size_t i, size_t n)
{
    lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
    if (!s) {
        xw_check(t->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    lxw_col_t c = (lxw_col_t)(FIRST_SERIES_COL + i);
    chart_series_set_categories(s, t->name, 1, 2, (lxw_row_t)n, 2);
    chart_series_set_values(s, t->name, 1, c, (lxw_row_t)n, c);
    chart_series_set_name_range(s, t->name, 0, c);
    if (t->cols[i].line) {
        lxw_chart_line line = {.color = t->cols[i].line, .width = 2.25, .dash_type = t->cols[i].dash};
        chart_series_set_line(s, &line);
    }
}

static void insert_chart(tl_sheet *t, uint32_t row, const char *title)
{
    lxw_chart *chart = workbook_add_chart(t->b->wb, LXW_CHART_SCATTER_STRAIGHT);
    if (!chart) {
        xw_check(t->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    size_t charted = 0;
    for (size_t i = 0; i < t->ncols && charted < MAX_CHART_SERIES; i++)
        if (t->cols[i].charted) {
            add_series(t, chart, i, t->tl->nrows);
            charted++;
        }
    if (charted == 0)
        return; /* nothing to draw; the unused chart is freed with the workbook */
    chart_title_set_name(chart, title);
    chart_axis_set_name(chart->x_axis, "Elapsed (s)");
    chart_axis_set_name(chart->y_axis, "Committed (K)");
    chart_axis_set_num_format(chart->y_axis, "#,##0 \"K\"");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    lxw_chart_options opt = {.x_offset = 4, .y_offset = 4, .x_scale = 2.0, .y_scale = 1.5};
    xw_check(t->b, worksheet_insert_chart_opt(t->ws, row, 0, chart, &opt));
}

/* ---- the sheets ------------------------------------------------------------------------------- */

static void formats(xw_book *b, tl_sheet *t)
{
    t->growing_header = workbook_add_format(b->wb);
    format_set_bold(t->growing_header);
    format_set_font_color(t->growing_header, LXW_COLOR_WHITE);
    format_set_bg_color(t->growing_header, GROWING_FILL);
    format_set_align(t->growing_header, LXW_ALIGN_RIGHT);
    t->growing_cell = workbook_add_format(b->wb);
    format_set_bold(t->growing_cell);
    format_set_font_color(t->growing_cell, LXW_COLOR_WHITE);
    format_set_bg_color(t->growing_cell, GROWING_FILL);
    t->seconds = workbook_add_format(b->wb);
    format_set_num_format(t->seconds, "0.000");
    t->fraction = workbook_add_format(b->wb);
    format_set_num_format(t->fraction, "0.000");
}

static void series_sheet(tl_sheet *t, const char *title)
{
    t->b->sheet = t->name;
    t->ws = workbook_add_worksheet(t->b->wb, t->name);
    if (!t->ws) {
        xw_check(t->b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    write_header(t);
    xw_print_setup(t->b, t->ws, 0);
    write_rows(t);
    uint32_t row = write_growth(t, (uint32_t)t->tl->nrows + 2);
    insert_chart(t, row, title);
}

/* Timeline columns: every type but Free (charted when it ever held memory), Total, Threads. */
static size_t type_columns(const vm_timeline *tl, tl_col *cols)
{
    size_t n = 0;
    for (int k = 0; k < VM_TL_SERIES; k++) {
        if (k == VM_KIND_FREE)
            continue;
        tl_col *c = &cols[n++];
        snprintf(c->title, sizeof c->title, "%s", vm_timeline_series_name(k));
        c->tint = k < VM_KIND_COUNT ? k : XW_PLAIN;
        c->line = k < VM_KIND_COUNT ? xw_kind_colours[k].strong : 0;
        c->bytes = k != VM_TL_THREADS;
        c->growth = &tl->growth[k];
        c->series = k;
        c->charted = k < VM_KIND_COUNT && (c->growth->first > 0 || c->growth->last > 0 || c->growth->steps_up);
    }
    return n;
}

/* Heaps are one type, so their lines cannot take the type's colour: each heap its own, from a
 * palette of colours told apart also when printed; its busy bytes in the same colour, dotted.
 * Past the palette the colours repeat, dashed. */
static const uint32_t heap_palette[] = {
    0xD32F2F, 0x1976D2, 0x388E3C, 0xF57C00, 0x7B1FA2, 0x00838F,
    0xC2185B, 0x5D4037, 0x455A64, 0x9E9D24, 0x512DA8, 0x00695C,
};
#define NPALETTE (sizeof heap_palette / sizeof heap_palette[0])

static uint8_t heap_dash(size_t h, bool busy)
{
    static const uint8_t dashes[2][2] = {{LXW_CHART_LINE_DASH_SOLID, LXW_CHART_LINE_DASH_DASH},
                                         {LXW_CHART_LINE_DASH_ROUND_DOT, LXW_CHART_LINE_DASH_LONG_DASH_DOT}};
    return dashes[busy][(h / NPALETTE) % 2];
}

/* Each heap's committed memory, then the busy bytes of the heaps some sample walked; at most max
 * columns.  Returns how many. */
static size_t heap_columns(const vm_timeline *tl, tl_col *cols, size_t max)
{
    size_t n = 0;
    for (int busy = 0; busy < 2; busy++)
        for (size_t h = 0; h < tl->nheaps && n < max; h++) {
            if (busy && tl->heaps[h].nwalked == 0)
                continue;
            tl_col *c = &cols[n++];
            char name[80];
            vm_timeline_heap_name(&tl->heaps[h], name, sizeof name);
            snprintf(c->title, sizeof c->title, "%s%s", name, busy ? " busy" : "");
            c->tint = VM_KIND_HEAP;
            c->line = heap_palette[h % NPALETTE];
            c->dash = heap_dash(h, busy);
            c->bytes = true;
            c->growth = busy ? &tl->heaps[h].busy_growth : &tl->heaps[h].growth;
            c->series = -1;
            c->heap = h;
            c->busy = busy;
            c->charted = true;
        }
    return n;
}

static void write_sheets(xw_book *b, const vm_timeline *tl, const vm_diff *changes)
{
    tl_col types[VM_TL_SERIES];
    tl_sheet t = {.b = b, .name = "Timeline", .tl = tl, .cols = types};
    formats(b, &t);
    t.ncols = type_columns(tl, types);
    series_sheet(&t, "Committed memory by type (K)");
    size_t max = 2 * tl->nheaps < LXW_COL_MAX - FIRST_SERIES_COL ? 2 * tl->nheaps : LXW_COL_MAX - FIRST_SERIES_COL;
    tl_col *heaps = calloc(max ? max : 1, sizeof *heaps);
    if (!heaps) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    size_t nheaps = heap_columns(tl, heaps, max);
    t.name = "Heap timeline";
    t.cols = heaps;
    t.ncols = nheaps;
    if (xw_ok(b))
        series_sheet(&t, nheaps > tl->nheaps ? "Committed memory, and busy bytes of walked heaps, per heap (K)"
                                             : "Committed memory per heap (K)");
    free(heaps);
    if (changes && xw_ok(b))
        vm_xlsx_changes_sheet(b, changes, NULL, "Changes");
}

/* ---- the file --------------------------------------------------------------------------------- */

typedef struct timeline_book {
    const vm_timeline *tl;
    const vm_diff *changes;
} timeline_book;

static void timeline_sheets(xw_book *b, const void *ctx)
{
    const timeline_book *tb = ctx;
    write_sheets(b, tb->tl, tb->changes);
}

int vm_report_write_timeline_xlsx(const vm_timeline *tl, const vm_diff *changes, const char *path,
                                  vm_error *err)
{
    if (tl->nrows + 12 > LXW_ROW_MAX) {
        vm_error_set(err, VM_EXIT_USAGE, "too many snapshots for one worksheet (%zu)", tl->nrows);
        return err->code;
    }
    char title[256];
    snprintf(title, sizeof title, "Virtual memory of %s (PID %" PRId64 ") over %zu snapshots",
             tl->process_name ? tl->process_name : "?", tl->pid, tl->nrows);
    timeline_book tb = {tl, changes};
    return xw_write_book(path, title, "Process virtual memory timeline (VMMap types)", timeline_sheets, &tb, err);
}
