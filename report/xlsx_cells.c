/* The workbook's look (colours, formats) and the cell helpers every sheet uses. */
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/progress.h"
#include "../vmmap/util/units.h"
#include "xlsx_common.h"

/* Close to VMMap's own palette: purple images, blue files, teal shareable, red heaps, green
 * managed heaps, orange stacks, yellow private data, pink page tables, greys for the rest. */
const xw_kind_colour xw_kind_colours[VM_KIND_COUNT] = {
    [VM_KIND_IMAGE] = {0xEDE7F6, 0x7E57C2},
    [VM_KIND_MAPPED_FILE] = {0xE3F2FD, 0x1E88E5},
    [VM_KIND_SHAREABLE] = {0xE0F7FA, 0x00ACC1},
    [VM_KIND_HEAP] = {0xFFEBEE, 0xE53935},
    [VM_KIND_MANAGED_HEAP] = {0xE8F5E9, 0x43A047},
    [VM_KIND_STACK] = {0xFFF3E0, 0xFB8C00},
    [VM_KIND_PRIVATE_DATA] = {0xFFFDE7, 0xFDD835},
    [VM_KIND_PAGE_TABLE] = {0xFCE4EC, 0xD81B60},
    [VM_KIND_UNUSABLE] = {0xEEEEEE, 0x757575},
    [VM_KIND_FREE] = {0xFAFAFA, 0xBDBDBD},
};

static const char *const number_formats[XW_STYLE_COUNT] = {
    [XW_KB] = "#,##0 \"K\"",
    [XW_KB_FINE] = "#,##0.00 \"K\"",
    [XW_COUNT] = "#,##0",
    [XW_ID] = "0",
    [XW_PERCENT] = "0.00 \"%\"",
};

#define XW_GRID 0xD9D9D9   /* cell borders */
#define XW_HEADER 0x37474F /* header fill */

static lxw_format *cell_format(lxw_workbook *wb, int tint, xw_variant v, xw_style style)
{
    lxw_format *f = workbook_add_format(wb);
    if (tint != XW_PLAIN)
        format_set_bg_color(f, xw_kind_colours[tint].fill);
    format_set_bottom(f, LXW_BORDER_HAIR);
    format_set_bottom_color(f, XW_GRID);
    format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
    if (number_formats[style])
        format_set_num_format(f, number_formats[style]);
    if (style == XW_ADDR)
        format_set_font_name(f, "Consolas");
    if (v == XW_PARENT)
        format_set_bold(f);
    if (v == XW_CHILD && (style == XW_TEXT || style == XW_ADDR))
        format_set_indent(f, 1);
    if (v == XW_CHILD)
        format_set_font_color(f, 0x424242);
    return f;
}

static lxw_format *header_format(lxw_workbook *wb, bool numeric)
{
    lxw_format *f = workbook_add_format(wb);
    format_set_bold(f);
    format_set_font_color(f, LXW_COLOR_WHITE);
    format_set_bg_color(f, XW_HEADER);
    format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
    if (numeric)
        format_set_align(f, LXW_ALIGN_RIGHT);
    return f;
}

void xw_formats(xw_book *b)
{
    for (int t = 0; t < XW_TINTS; t++)
        for (int v = 0; v < XW_VARIANTS; v++)
            for (int st = 0; st < XW_STYLE_COUNT; st++)
                b->cell[t][v][st] = cell_format(b->wb, t, (xw_variant)v, (xw_style)st);
    b->header = header_format(b->wb, false);
    b->header_num = header_format(b->wb, true);
    b->value = workbook_add_format(b->wb);
    b->title = workbook_add_format(b->wb);
    format_set_bold(b->title);
    format_set_font_size(b->title, 16);
    b->label = workbook_add_format(b->wb);
    format_set_bold(b->label);
    b->note = workbook_add_format(b->wb);
    format_set_italic(b->note);
    format_set_font_color(b->note, 0x616161);
}

/* ---- errors --------------------------------------------------------------------------------- */

bool xw_check(xw_book *b, lxw_error e)
{
    if (e != LXW_NO_ERROR && b->error == LXW_NO_ERROR) {
        b->error = e;
        b->error_at = b->sheet;
    }
    return e == LXW_NO_ERROR;
}

bool xw_ok(const xw_book *b)
{
    return b->error == LXW_NO_ERROR;
}

/* ---- sheets and rows ------------------------------------------------------------------------ */

lxw_worksheet *xw_table_sheet(xw_book *b, const char *name, const xw_column *cols, size_t ncols,
                              uint32_t filter_last_row)
{
    b->sheet = name;
    char phase[64];
    snprintf(phase, sizeof phase, "%s sheet", name);
    vm_progress_phase(phase, 0);
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);
    if (!ws) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return NULL;
    }
    for (size_t c = 0; c < ncols; c++) {
        xw_check(b, worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, cols[c].width, NULL));
        xw_header(b, ws, 0, (uint16_t)c, cols[c].title, cols[c].numeric);
    }
    worksheet_freeze_panes(ws, 1, 0);
    xw_print_setup(b, ws, 0);
    if (filter_last_row >= 1 && ncols > 0)
        xw_check(b, worksheet_autofilter(ws, 0, 0, filter_last_row, (lxw_col_t)(ncols - 1)));
    return ws;
}

void xw_print_setup(xw_book *b, lxw_worksheet *ws, int header_row)
{
    worksheet_set_landscape(ws);
    worksheet_fit_to_pages(ws, 1, 0); /* one page wide, as many pages down as it takes */
    if (header_row >= 0)
        xw_check(b, worksheet_repeat_rows(ws, (lxw_row_t)header_row, (lxw_row_t)header_row));
    xw_check(b, worksheet_set_footer(ws, "&L&A&RPage &P of &N"));
}

void xw_header(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const char *title,
               bool numeric)
{
    xw_check(b, worksheet_write_string(ws, row, col, title, numeric ? b->header_num : b->header));
}

void xw_outline_above(lxw_worksheet *ws)
{
    worksheet_outline_settings(ws, LXW_TRUE, LXW_FALSE, LXW_TRUE, LXW_FALSE);
}

void xw_row(xw_book *b, lxw_worksheet *ws, uint32_t row, xw_variant v)
{
    lxw_row_col_options opt = {.hidden = 0, .level = v == XW_CHILD ? 1 : 0, .collapsed = 0};
    if (v == XW_CHILD)
        xw_check(b, worksheet_set_row_opt(ws, row, LXW_DEF_ROW_HEIGHT, NULL, &opt));
}

/* ---- cells ---------------------------------------------------------------------------------- */

static lxw_format *fmt(xw_book *b, int tint, xw_variant v, xw_style style)
{
    if (tint < 0 || tint > XW_PLAIN)
        tint = XW_PLAIN;
    return b->cell[tint][v][style];
}

/* Excel's limit for one cell's text. */
#define XW_MAX_TEXT 32767

/* Valid UTF-8 sequence length at p (1..4), 0 when invalid. */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 2 && p[0] < 0xC2)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static bool needs_cleaning(const char *s)
{
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p += 1, len++) {
        if (*p < 0x20 && *p != '\t' && *p != '\n')
            return true;
        size_t n = utf8_len(p);
        if (n == 0)
            return true;
        p += n - 1;
        len += n - 1;
    }
    return len > XW_MAX_TEXT;
}

/* A copy that XML and Excel accept: control characters and broken UTF-8 become '?', and the
 * text is cut at Excel's cell limit on a character boundary.  NULL when out of memory. */
static char *cleaned(const char *s)
{
    size_t len = strlen(s);
    char *out = malloc((len < XW_MAX_TEXT ? len : XW_MAX_TEXT) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_len(p);
        bool control = *p < 0x20 && *p != '\t' && *p != '\n';
        size_t take = (n == 0 || control) ? 1 : n;
        if (o + take > XW_MAX_TEXT)
            break;
        if (n == 0 || control)
            out[o++] = '?';
        else
            memcpy(out + o, p, n);
        o += (n == 0 || control) ? 0 : n;
        p += take;
    }
    out[o] = '\0';
    return out;
}

void xw_text_as(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const char *text,
                lxw_format *f)
{
    if (!needs_cleaning(text)) {
        xw_check(b, worksheet_write_string(ws, row, col, text, f));
        return;
    }
    char *clean = cleaned(text);
    if (!clean) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    xw_check(b, worksheet_write_string(ws, row, col, clean, f));
    free(clean);
}

void xw_text(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const char *text,
             int tint, xw_variant v, xw_style style)
{
    if (!text || !*text)
        xw_blank(b, ws, row, col, tint, v);
    else
        xw_text_as(b, ws, row, col, text, fmt(b, tint, v, style));
}

void xw_bytes(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, uint64_t bytes, int tint,
              xw_variant v, xw_style style)
{
    /* KiB: an exact binary fraction, so cell * 1024 gives the bytes back. */
    xw_check(b, worksheet_write_number(ws, row, col, (double)bytes / 1024.0, fmt(b, tint, v, style)));
}

void xw_count(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, uint64_t n, int tint,
              xw_variant v)
{
    xw_check(b, worksheet_write_number(ws, row, col, (double)n, fmt(b, tint, v, XW_COUNT)));
}

void xw_id(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, uint64_t id, int tint, xw_variant v)
{
    xw_check(b, worksheet_write_number(ws, row, col, (double)id, fmt(b, tint, v, XW_ID)));
}

void xw_percent(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, double pct, int tint, xw_variant v)
{
    xw_check(b, worksheet_write_number(ws, row, col, pct, fmt(b, tint, v, XW_PERCENT)));
}

void xw_blank(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, int tint, xw_variant v)
{
    xw_check(b, worksheet_write_blank(ws, row, col, fmt(b, tint, v, XW_TEXT)));
}

void xw_cell(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const vm_cell *c,
             vm_col which, int tint, xw_variant v)
{
    switch (c->kind) {
    case VM_CELL_TEXT:
        xw_text(b, ws, row, col, c->text, tint, v, which == VM_COL_ADDRESS ? XW_ADDR : XW_TEXT);
        break;
    case VM_CELL_BYTES: xw_bytes(b, ws, row, col, c->value, tint, v, XW_KB); break;
    case VM_CELL_COUNT: xw_count(b, ws, row, col, c->value, tint, v); break;
    default: xw_blank(b, ws, row, col, tint, v); break;
    }
}

void xw_address(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const vm_snapshot *s,
                uint64_t address, int tint, xw_variant v)
{
    char buf[VM_UNITS_BUFSZ];
    if (address == 0) {
        xw_blank(b, ws, row, col, tint, v);
        return;
    }
    vm_format_address(address, s->process.bits, buf, sizeof buf);
    xw_text(b, ws, row, col, buf, tint, v, XW_ADDR);
}
