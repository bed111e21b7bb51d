/* The diff on a terminal: the two snapshots, the per-type deltas, then one table per section
 * (allocations, heaps, threads, modules), biggest change first. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/units.h"
#include "../vmmap/util/xalloc.h"
#include "diff_lines.h"
#include "diff_objects.h"
#include "text.h"

static void side_header(FILE *out, const char *label, const vm_diff_process *p, size_t width)
{
    char n[VM_UNITS_BUFSZ], line[512];
    vm_format_count(p->nregions, n, sizeof n);
    snprintf(line, sizeof line, "%s %s (PID %lld)  %s  %s, %s allocation%s", label, p->name ? p->name : "?",
             (long long)p->pid, p->taken_at ? p->taken_at : "?", p->source ? p->source : "?", n,
             vm_plural(p->nregions));
    vm_text_wrap(out, line, width, 5);
}

/* On a narrow terminal, least needed first (as the summary's); in the change tables Change,
 * Type, Delta and Details stay, Details cut to fit. */
static const char *const type_drop[] = {"Locked WS", "Shared WS", "Shareable WS", "Swap", "Largest", "Blocks",
                                        "Pss", "Private", "Total WS", NULL};
static const char *const line_drop[] = {"Size (old -> new)", "Address", "Committed (old -> new)", NULL};

static size_t width_of(const vm_diff_text_options *opt)
{
    return opt ? opt->width : 0;
}

/* ---- per-type deltas --------------------------------------------------------------------------- */

/* Columns shown: Size, Committed .. Locked WS, Pss and Swap when either side knows them, Blocks,
 * Largest. */
static bool col_shown(vm_diff_col c, bool linux_cols)
{
    bool linux_col = c == VM_DCOL_COUNTER0 + VM_C_PSS || c == VM_DCOL_COUNTER0 + VM_C_SWAP;
    return !linux_col || linux_cols;
}

static bool has_linux_columns(const vm_diff *d)
{
    for (int k = 0; k < VM_KIND_COUNT; k++)
        if (d->kind[k].col[VM_DCOL_COUNTER0 + VM_C_PSS].known ||
            d->kind[k].col[VM_DCOL_COUNTER0 + VM_C_SWAP].known)
            return true;
    return false;
}

static void delta_cells(vm_trow *r, const vm_diff_row *row, bool linux_cols)
{
    for (int c = 0; c < VM_DCOL_COUNT; c++) {
        if (!col_shown((vm_diff_col)c, linux_cols))
            continue;
        const vm_diff_value *v = &row->col[c];
        char *cell = vm_trow_scratch(r);
        if (vm_diff_col_is_bytes((vm_diff_col)c))
            vm_diff_format_kb(v->delta, v->known, cell, VM_TEXT_CELL);
        else
            vm_diff_format_count(v->delta, v->known, cell, VM_TEXT_CELL);
        vm_trow_text(r, cell);
    }
}

static vm_ttable *type_table(const vm_diff *d, const vm_diff_filter *f, bool linux_cols)
{
    vm_trow r;
    vm_trow_reset(&r);
    vm_trow_text(&r, "Type");
    for (int c = 0; c < VM_DCOL_COUNT; c++)
        if (col_shown((vm_diff_col)c, linux_cols))
            vm_trow_text(&r, vm_diff_col_title((vm_diff_col)c));
    vm_ttable *t = vm_ttable_new(&r, ~1u, 0);
    bool ok = t != NULL;
    for (int k = 0; ok && k < VM_KIND_COUNT; k++) {
        if (!vm_diff_kind_shown(f, (vm_kind)k))
            continue;
        vm_trow_reset(&r);
        vm_trow_text(&r, vm_kind_name((vm_kind)k));
        delta_cells(&r, &d->kind[k], linux_cols);
        ok = vm_ttable_add(t, &r, k);
    }
    if (ok) {
        vm_trow_reset(&r);
        vm_trow_text(&r, "Total");
        delta_cells(&r, &d->total, linux_cols);
        ok = vm_ttable_add(t, &r, -1);
    }
    if (!ok) {
        vm_ttable_free(t);
        return NULL;
    }
    return t;
}

/* ---- change tables ------------------------------------------------------------------------------ */

enum { L_CHANGE, L_ADDRESS, L_TYPE, L_SIZE, L_COMMITTED, L_DELTA, L_DETAILS, L_NCOLS };

static const char *const line_titles[L_NCOLS] = {
    "Change", "Address", "Type", "Size (old -> new)", "Committed (old -> new)", "Delta", "Details",
};

typedef struct text_ctx {
    FILE *out;
    const vm_diff *d;
    const vm_diff_text_options *opt;
    vm_ttable *table;
    vm_dl_section section;
} text_ctx;

/* "1,024 K -> 2,048 K"; one side only: that side's value; "?" when unknown. */
static void old_new(vm_trow *r, const vm_diff_line *l, uint64_t o, uint64_t n, bool known)
{
    char a[VM_UNITS_BUFSZ], b[VM_UNITS_BUFSZ], text[2 * VM_UNITS_BUFSZ + 8];
    vm_format_kb(o, a, sizeof a);
    vm_format_kb(n, b, sizeof b);
    if (!known)
        snprintf(text, sizeof text, "?");
    else if (l->has_old && l->has_new)
        snprintf(text, sizeof text, "%s -> %s", a, b);
    else
        snprintf(text, sizeof text, "%s", l->has_new ? b : a);
    char *cell = vm_trow_scratch(r);
    size_t len = strlen(text) < VM_TEXT_CELL - 1 ? strlen(text) : VM_TEXT_CELL - 1;
    memcpy(cell, text, len);
    cell[len] = '\0';
    vm_trow_text(r, cell);
}

static bool flush_table(text_ctx *c)
{
    if (!c->table)
        return true;
    vm_ttable_fit fit = {width_of(c->opt), line_drop, "Details"};
    vm_ttable_print_noted(c->table, c->out, c->opt && c->opt->color, &fit);
    vm_ttable_free(c->table);
    c->table = NULL;
    return true;
}

static bool begin_section(void *vctx, vm_dl_section s, size_t shown, size_t total)
{
    text_ctx *c = vctx;
    flush_table(c);
    c->section = s;
    if (total == 0)
        return true;
    fprintf(c->out, "\n%s changed: %zu", vm_dl_section_title(s), total);
    if (shown != total)
        fprintf(c->out, " (%zu shown)", shown);
    fprintf(c->out, "%s\n", s == VM_DL_REGION || s == VM_DL_HEAP ? ", biggest committed change first" : "");
    if (shown == 0)
        return true;
    vm_trow r;
    vm_trow_reset(&r);
    for (int i = 0; i < L_NCOLS; i++)
        vm_trow_text(&r, line_titles[i]);
    uint32_t right = 1u << L_SIZE | 1u << L_COMMITTED | 1u << L_DELTA;
    c->table = vm_ttable_new(&r, right, L_TYPE);
    return c->table != NULL;
}

static bool add_line(void *vctx, const vm_diff_line *l)
{
    text_ctx *c = vctx;
    vm_trow r;
    vm_trow_reset(&r);
    vm_trow_text(&r, l->change);
    char *addr = vm_trow_scratch(&r);
    addr[0] = '\0';
    if (l->address)
        vm_format_address(l->address, c->d->after.bits, addr, VM_TEXT_CELL);
    vm_trow_text(&r, addr);
    vm_trow_text(&r, l->type);
    old_new(&r, l, l->old_size, l->new_size, true);
    old_new(&r, l, l->old_committed, l->new_committed, l->committed_known);
    char *delta = vm_trow_scratch(&r);
    vm_diff_format_kb(l->delta, true, delta, VM_TEXT_CELL);
    vm_trow_text(&r, delta);
    char details[1024];
    snprintf(details, sizeof details, "%s%s%s", l->path ? l->path : "",
             l->path && l->details ? "  " : "", l->details ? l->details : "");
    vm_trow_text(&r, details);
    return vm_ttable_add(c->table, &r, (int)l->kind);
}

int vm_diff_text(FILE *out, const vm_diff *d, const vm_diff_filter *f, const vm_diff_text_options *opt)
{
    size_t width = width_of(opt);
    side_header(out, "Old:", &d->before, width);
    side_header(out, "New:", &d->after, width);
    if (d->warning) {
        char *line = vm_asprintf("Warning: %s", d->warning);
        vm_text_wrap(out, line ? line : d->warning, width, 9);
        free(line);
    }
    bool linux_cols = has_linux_columns(d);
    vm_ttable *t = type_table(d, f, linux_cols);
    if (!t)
        return -1;
    fprintf(out, "\nChange by type (new - old; 1 K = 1,024 bytes; ? = unknown):\n");
    vm_ttable_fit fit = {width, type_drop, NULL};
    vm_ttable_print_noted(t, out, opt && opt->color, &fit);
    vm_ttable_free(t);
    if (vm_diff_is_empty(d))
        fprintf(out, "\nNo allocation, heap, thread or module changed.\n");
    text_ctx c = {out, d, opt, NULL, VM_DL_REGION};
    bool ok = vm_diff_lines(d, f, begin_section, add_line, &c);
    flush_table(&c);
    if (ok && vm_diff_objects_text(out, d, f, width) != 0)
        ok = false;
    return ok ? 0 : -1;
}
