/* The diff as a workbook: a Summary sheet (the two snapshots, the per-type deltas) and a Changes
 * sheet (one row per change, tinted by type).  The Changes sheet writer is shared with the
 * timeline report.  Rows are written strictly in order (constant-memory mode). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/atomic_file.h"
#include "../vmmap/util/units.h"
#include "diff_lines.h"
#include "diff_objects.h"
#include "xlsx_common.h"

/* Signed sizes: "+1,024 K" / "-512 K" / "0 K", one format per tint, made on first use. */
typedef struct signed_formats {
    lxw_format *kb[XW_TINTS];
    lxw_format *count;
} signed_formats;

static lxw_format *signed_kb(xw_book *b, signed_formats *sf, int tint)
{
    if (tint < 0 || tint > XW_PLAIN)
        tint = XW_PLAIN;
    if (!sf->kb[tint]) {
        lxw_format *f = workbook_add_format(b->wb);
        if (tint != XW_PLAIN)
            format_set_bg_color(f, xw_kind_colours[tint].fill);
        format_set_num_format(f, "+#,##0 \"K\";-#,##0 \"K\";0 \"K\"");
        sf->kb[tint] = f;
    }
    return sf->kb[tint];
}

static void delta_cell(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, int64_t delta,
                       bool bytes, lxw_format *f)
{
    xw_check(b, worksheet_write_number(ws, row, col, bytes ? (double)delta / 1024.0 : (double)delta, f));
}

/* ---- the Changes sheet ----------------------------------------------------------------------- */

enum { C_SECTION, C_CHANGE, C_ADDRESS, C_TYPE, C_OLD_SIZE, C_NEW_SIZE, C_OLD_COMMITTED, C_NEW_COMMITTED,
       C_DELTA, C_PATH, C_DETAILS, C_NCOLS };

static const xw_column change_cols[C_NCOLS] = {
    [C_SECTION] = {"Section", 12, false},
    [C_CHANGE] = {"Change", 11, false},
    [C_ADDRESS] = {"Address", 19, false},
    [C_TYPE] = {"Type", 24, false},
    [C_OLD_SIZE] = {"Old size", 13, true},
    [C_NEW_SIZE] = {"New size", 13, true},
    [C_OLD_COMMITTED] = {"Old committed", 14, true},
    [C_NEW_COMMITTED] = {"New committed", 14, true},
    [C_DELTA] = {"Committed change", 17, true},
    [C_PATH] = {"Path", 40, false},
    [C_DETAILS] = {"Details", 60, false},
};

typedef struct sheet_ctx {
    xw_book *b;
    lxw_worksheet *ws;
    const vm_diff *d;
    signed_formats sf;
    uint32_t row;
} sheet_ctx;

static void side_bytes(sheet_ctx *c, uint16_t col, bool present, uint64_t v, int tint)
{
    if (present)
        xw_bytes(c->b, c->ws, c->row, col, v, tint, XW_ROW, XW_KB);
    else
        xw_blank(c->b, c->ws, c->row, col, tint, XW_ROW);
}

static bool sheet_line(void *vctx, const vm_diff_line *l)
{
    sheet_ctx *c = vctx;
    int k = (int)l->kind;
    char addr[VM_UNITS_BUFSZ] = "";
    if (l->address)
        vm_format_address(l->address, c->d->after.bits, addr, sizeof addr);
    xw_text(c->b, c->ws, c->row, C_SECTION, vm_dl_section_title(l->section), k, XW_ROW, XW_TEXT);
    xw_text(c->b, c->ws, c->row, C_CHANGE, l->change, k, XW_ROW, XW_TEXT);
    xw_text(c->b, c->ws, c->row, C_ADDRESS, addr, k, XW_ROW, XW_ADDR);
    xw_text(c->b, c->ws, c->row, C_TYPE, l->type, k, XW_ROW, XW_TEXT);
    side_bytes(c, C_OLD_SIZE, l->has_old, l->old_size, k);
    side_bytes(c, C_NEW_SIZE, l->has_new, l->new_size, k);
    side_bytes(c, C_OLD_COMMITTED, l->has_old && l->committed_known, l->old_committed, k);
    side_bytes(c, C_NEW_COMMITTED, l->has_new && l->committed_known, l->new_committed, k);
    delta_cell(c->b, c->ws, c->row, C_DELTA, l->delta, true, signed_kb(c->b, &c->sf, k));
    xw_text(c->b, c->ws, c->row, C_PATH, l->path, k, XW_ROW, XW_TEXT);
    xw_text(c->b, c->ws, c->row, C_DETAILS, l->details, k, XW_ROW, XW_TEXT);
    c->row++;
    return xw_ok(c->b);
}

void vm_xlsx_changes_sheet(struct xw_book *b, const vm_diff *d, const vm_diff_filter *f,
                           const char *sheet_name)
{
    size_t n = vm_diff_lines_count(d, f);
    uint32_t last = n + 1 > LXW_ROW_MAX ? LXW_ROW_MAX - 1 : (uint32_t)n;
    sheet_ctx c = {b, NULL, d, {{0}, NULL}, 1};
    c.ws = xw_table_sheet(b, sheet_name ? sheet_name : "Changes", change_cols, C_NCOLS, last ? last : 1);
    if (!c.ws)
        return;
    if (n + 1 > LXW_ROW_MAX) {
        xw_check(b, LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE);
        return;
    }
    if (!vm_diff_lines(d, f, NULL, sheet_line, &c) && xw_ok(b))
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
}

bool vm_xlsx_add_changes_sheet(lxw_workbook *wb, const vm_diff *d, const vm_diff_filter *f,
                               const char *sheet_name, vm_error *err)
{
    xw_book *b = calloc(1, sizeof *b);
    if (!b) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return false;
    }
    b->wb = wb;
    xw_formats(b);
    vm_xlsx_changes_sheet(b, d, f, sheet_name);
    bool ok = xw_ok(b);
    if (!ok)
        vm_error_set(err, VM_EXIT_ERROR, "sheet %s: %s", b->error_at ? b->error_at : "Changes",
                     lxw_strerror(b->error));
    free(b);
    return ok;
}

/* ---- the Summary sheet -------------------------------------------------------------------------- */

static uint32_t write_side(xw_book *b, lxw_worksheet *ws, uint32_t row, const char *label,
                           const vm_diff_process *p)
{
    char text[512], n[VM_UNITS_BUFSZ];
    vm_format_count(p->nregions, n, sizeof n);
    snprintf(text, sizeof text, "%s (PID %lld), %s, %s, %s allocation%s", p->name ? p->name : "?",
             (long long)p->pid, p->taken_at ? p->taken_at : "?", p->source ? p->source : "?", n, vm_plural(p->nregions));
    xw_check(b, worksheet_write_string(ws, row, 0, label, b->label));
    xw_text_as(b, ws, row, 1, text, b->value);
    return row + 1;
}

static void delta_row(xw_book *b, signed_formats *sf, lxw_worksheet *ws, uint32_t row, const char *name,
                      const vm_diff_row *r, int tint)
{
    xw_variant v = tint == XW_PLAIN ? XW_PARENT : XW_ROW;
    xw_text(b, ws, row, 0, name, tint, v, XW_TEXT);
    const vm_diff_value *cm = &r->col[VM_DCOL_COUNTER0 + VM_C_COMMITTED];
    if (cm->known) {
        xw_bytes(b, ws, row, 1, cm->old_value, tint, v, XW_KB);
        xw_bytes(b, ws, row, 2, cm->new_value, tint, v, XW_KB);
    } else {
        xw_blank(b, ws, row, 1, tint, v);
        xw_blank(b, ws, row, 2, tint, v);
    }
    for (int c = 0; c < VM_DCOL_COUNT; c++) {
        uint16_t col = (uint16_t)(3 + c);
        bool bytes = vm_diff_col_is_bytes((vm_diff_col)c);
        if (!r->col[c].known)
            xw_blank(b, ws, row, col, tint, v);
        else
            delta_cell(b, ws, row, col, r->col[c].delta, bytes,
                       bytes ? signed_kb(b, sf, tint) : sf->count);
    }
}

/* A numeric header with its column as wide as the title needs (bold text is about a tenth wider
 * than the width unit, which is one digit of the default font), never narrower than a size. */
static void summary_header(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const char *title)
{
    double width = (double)strlen(title) * 1.15 + 2;
    xw_check(b, worksheet_set_column(ws, col, col, width < 13 ? 13 : width, NULL));
    xw_header(b, ws, row, col, title, true);
}

static void summary_sheet(xw_book *b, const vm_diff *d, const vm_diff_filter *f)
{
    signed_formats sf = {{0}, workbook_add_format(b->wb)};
    format_set_num_format(sf.count, "+#,##0;-#,##0;0");
    b->sheet = "Summary";
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Summary");
    if (!ws) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    xw_print_setup(b, ws, -1);
    xw_check(b, worksheet_set_column(ws, 0, 0, 16, NULL));
    xw_check(b, worksheet_write_string(ws, 0, 0, "Changes between two snapshots", b->title));
    uint32_t row = write_side(b, ws, 2, "Old", &d->before);
    row = write_side(b, ws, row, "New", &d->after);
    if (d->warning)
        xw_text_as(b, ws, row++, 1, d->warning, b->note);
    row++;
    xw_header(b, ws, row, 0, "Type", false);
    summary_header(b, ws, row, 1, "Committed (old)");
    summary_header(b, ws, row, 2, "Committed (new)");
    char title[64];
    for (int c = 0; c < VM_DCOL_COUNT; c++) {
        snprintf(title, sizeof title, "%s change", vm_diff_col_title((vm_diff_col)c));
        summary_header(b, ws, row, (uint16_t)(3 + c), title);
    }
    for (int k = 0; k < VM_KIND_COUNT; k++)
        if (vm_diff_kind_shown(f, (vm_kind)k))
            delta_row(b, &sf, ws, ++row, vm_kind_name((vm_kind)k), &d->kind[k], k);
    delta_row(b, &sf, ws, ++row, "Total", &d->total, XW_PLAIN);
    xw_text_as(b, ws, row + 2, 0,
               "Sizes in K (1 K = 1,024 bytes); changes are new - old; an empty cell means unknown. "
               "The Changes sheet lists every allocation, heap, thread and module that changed.",
               b->note);
}

/* ---- the workbook ------------------------------------------------------------------------------- */

typedef struct diff_book {
    const vm_diff *d;
    const vm_diff_filter *f;
} diff_book;

static void diff_sheets(xw_book *b, const void *ctx)
{
    const diff_book *db = ctx;
    summary_sheet(b, db->d, db->f);
    if (xw_ok(b))
        vm_xlsx_changes_sheet(b, db->d, db->f, "Changes");
    if (xw_ok(b))
        vm_diff_objects_sheet(b, db->d, db->f);
}

int vm_diff_write_xlsx(const vm_diff *d, const vm_diff_filter *f, const char *path, vm_error *err)
{
    diff_book db = {d, f};
    return xw_write_book(path, "Virtual memory changes between two snapshots",
                         "What changed: per-type deltas and the allocations, heaps, threads and modules", diff_sheets,
                         &db, err);
}
