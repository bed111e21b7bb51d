/* The C++ object part of a diff (vm_diff_object) in every diff format: a text section, the JSON
 * "objects" list, a CSV table after the change list, and an "Objects" sheet in the workbook.
 * "+40,000 RequestContext": which types grew, in count and bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/units.h"
#include "../vmmap/util/xalloc.h"
#include "csv.h"
#include "diff_objects.h"
#include "diff_report.h"
#include "json_values.h"
#include "objects_table.h"
#include "text.h"
#include "xlsx_common.h"

static size_t *shown(const vm_diff *d, const vm_diff_filter *f, size_t *n)
{
    *n = 0;
    if (!d->nobjects)
        return NULL;
    size_t *idx = malloc(d->nobjects * sizeof *idx);
    if (idx)
        *n = vm_diff_select_objects(d, f, idx);
    return idx;
}

static void delta_text(int64_t v, char *buf, size_t len)
{
    vm_diff_format_count(v, true, buf, len);
}

static const char *const object_titles[] = {"CHANGE", "OLD", "NEW", "COUNT", "BYTES", "TYPE (MODULE)"};
/* On a narrow terminal: the counts on each side go first; TYPE (MODULE) is cut to fit. */
static const char *const object_drop[] = {"OLD", "NEW", NULL};

static bool object_row(vm_ttable *t, const vm_diff_object *o)
{
    vm_trow r;
    vm_trow_reset(&r);
    vm_trow_text(&r, vm_diff_change_name(o->what));
    vm_trow_count(&r, o->old_count);
    vm_trow_count(&r, o->new_count);
    char *cd = vm_trow_scratch(&r);
    delta_text(o->count_delta, cd, VM_TEXT_CELL);
    vm_trow_text(&r, cd);
    char b[VM_UNITS_BUFSZ];
    delta_text(o->bytes_delta, b, sizeof b);
    char *bd = vm_trow_scratch(&r);
    snprintf(bd, VM_TEXT_CELL, "%s%s", o->estimated ? "~" : "", b);
    vm_trow_text(&r, bd);
    char *what = vm_asprintf("%s (%s)", o->type ? o->type : "?", vm_objects_module_name(o->module));
    vm_trow_text(&r, what ? what : "?");
    bool ok = what && vm_ttable_add(t, &r, -1);
    free(what);
    return ok;
}

int vm_diff_objects_text(FILE *out, const vm_diff *d, const vm_diff_filter *f, size_t width)
{
    if (!d->objects_compared) {
        if (d->objects_note)
            fprintf(out, "\nC++ objects: not compared (%s).\n", d->objects_note);
        return 0;
    }
    size_t n;
    size_t *idx = shown(d, f, &n);
    if (d->nobjects && !idx)
        return -1;
    if (d->nobjects == 0) {
        fprintf(out, "\nC++ objects: no type changed.\n");
        free(idx);
        return 0;
    }
    fprintf(out, "\nC++ objects (%zu of %zu types that changed):\n", n, d->nobjects);
    vm_trow titles;
    vm_trow_reset(&titles);
    for (size_t c = 0; c < sizeof object_titles / sizeof object_titles[0]; c++)
        vm_trow_text(&titles, object_titles[c]);
    vm_ttable *t = vm_ttable_new(&titles, 0x1e, -1);
    vm_ttable_set_indent(t, 2);
    bool ok = t != NULL;
    for (size_t k = 0; ok && k < n; k++)
        ok = object_row(t, &d->objects[idx[k]]);
    vm_ttable_fit fit = {width, object_drop, "TYPE (MODULE)"};
    if (ok)
        vm_ttable_print_noted(t, out, false, &fit);
    vm_ttable_free(t);
    free(idx);
    return ok ? 0 : -1;
}

cJSON *vm_diff_objects_json(const vm_diff *d, const vm_diff_filter *f, bool *ok)
{
    if (!d->objects_compared)
        return cJSON_CreateNull();
    size_t n;
    size_t *idx = shown(d, f, &n);
    cJSON *arr = cJSON_CreateArray();
    if (!arr || (d->nobjects && !idx)) {
        *ok = false;
        free(idx);
        return arr;
    }
    for (size_t k = 0; k < n && *ok; k++) {
        const vm_diff_object *o = &d->objects[idx[k]];
        cJSON *e = cJSON_CreateObject();
        struct {
            const char *key;
            cJSON *v;
        } kv[] = {
            {"change", cJSON_CreateString(vm_diff_change_name(o->what))},
            {"type", cJSON_CreateString(o->type ? o->type : "")},
            {"module", o->module ? cJSON_CreateString(o->module) : cJSON_CreateNull()},
            {"old_count", vm_json_u64(o->old_count)},
            {"new_count", vm_json_u64(o->new_count)},
            {"count_delta", vm_json_i64(o->count_delta)},
            {"old_bytes", vm_json_u64(o->old_bytes)},
            {"new_bytes", vm_json_u64(o->new_bytes)},
            {"bytes_delta", vm_json_i64(o->bytes_delta)},
            {"estimated", cJSON_CreateBool(o->estimated)},
        };
        for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
            if (!e || !kv[i].v || !cJSON_AddItemToObject(e, kv[i].key, kv[i].v)) {
                cJSON_Delete(kv[i].v);
                *ok = false;
            }
        if (!e || !cJSON_AddItemToArray(arr, e)) {
            cJSON_Delete(e);
            *ok = false;
        }
    }
    free(idx);
    return arr;
}

bool vm_diff_objects_csv(FILE *out, const vm_diff *d, const vm_diff_filter *f)
{
    if (!d->objects_compared || d->nobjects == 0)
        return true;
    size_t n;
    size_t *idx = shown(d, f, &n);
    if (!idx)
        return false;
    static const char *const titles[] = {"Object change", "Type", "Module", "Old count", "New count",
                                         "Count delta", "Old bytes", "New bytes", "Bytes delta", "Estimated"};
    vm_csv_end_line(out);
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
        vm_objects_csv_field(out, i == 0, titles[i]);
    vm_csv_end_line(out);
    for (size_t k = 0; k < n; k++) {
        const vm_diff_object *o = &d->objects[idx[k]];
        char v[6][24];
        snprintf(v[0], sizeof v[0], "%" PRIu64, o->old_count);
        snprintf(v[1], sizeof v[1], "%" PRIu64, o->new_count);
        snprintf(v[2], sizeof v[2], "%" PRId64, o->count_delta);
        snprintf(v[3], sizeof v[3], "%" PRIu64, o->old_bytes);
        snprintf(v[4], sizeof v[4], "%" PRIu64, o->new_bytes);
        snprintf(v[5], sizeof v[5], "%" PRId64, o->bytes_delta);
        vm_objects_csv_field(out, true, vm_diff_change_name(o->what));
        vm_objects_csv_field(out, false, o->type);
        vm_objects_csv_field(out, false, o->module);
        for (int i = 0; i < 6; i++)
            vm_objects_csv_field(out, false, v[i]);
        vm_objects_csv_field(out, false, o->estimated ? "yes" : "no");
        vm_csv_end_line(out);
    }
    free(idx);
    return true;
}

enum { O_CHANGE, O_TYPE, O_MODULE, O_OLD, O_NEW, O_DELTA, O_OLD_BYTES, O_NEW_BYTES, O_BYTES_DELTA, O_NCOLS };

static const xw_column object_cols[O_NCOLS] = {
    [O_CHANGE] = {"Change", 10, false},     [O_TYPE] = {"Type", 48, false},
    [O_MODULE] = {"Module", 24, false},     [O_OLD] = {"Old count", 12, true},
    [O_NEW] = {"New count", 12, true},      [O_DELTA] = {"Count delta", 12, true},
    [O_OLD_BYTES] = {"Old bytes", 14, true}, [O_NEW_BYTES] = {"New bytes", 14, true},
    [O_BYTES_DELTA] = {"Bytes delta", 14, true},
};

void vm_diff_objects_sheet(xw_book *b, const vm_diff *d, const vm_diff_filter *f)
{
    if (!d->objects_compared)
        return;
    size_t n;
    size_t *idx = shown(d, f, &n);
    if (d->nobjects && !idx) {
        xw_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    lxw_worksheet *ws = xw_table_sheet(b, "Objects", object_cols, O_NCOLS, n ? (uint32_t)n : 1);
    for (size_t k = 0; ws && k < n && xw_ok(b); k++) {
        const vm_diff_object *o = &d->objects[idx[k]];
        uint32_t row = (uint32_t)k + 1;
        const int t = XW_PLAIN;
        xw_row(b, ws, row, XW_ROW);
        xw_text(b, ws, row, O_CHANGE, vm_diff_change_name(o->what), t, XW_ROW, XW_TEXT);
        xw_text(b, ws, row, O_TYPE, o->type, t, XW_ROW, XW_TEXT);
        xw_text(b, ws, row, O_MODULE, vm_objects_module_name(o->module), t, XW_ROW, XW_TEXT);
        xw_count(b, ws, row, O_OLD, o->old_count, t, XW_ROW);
        xw_count(b, ws, row, O_NEW, o->new_count, t, XW_ROW);
        xw_check(b, worksheet_write_number(ws, row, O_DELTA, (double)o->count_delta, b->cell[t][XW_ROW][XW_COUNT]));
        xw_count(b, ws, row, O_OLD_BYTES, o->old_bytes, t, XW_ROW);
        xw_count(b, ws, row, O_NEW_BYTES, o->new_bytes, t, XW_ROW);
        xw_check(b, worksheet_write_number(ws, row, O_BYTES_DELTA, (double)o->bytes_delta,
                                           b->cell[t][XW_ROW][XW_COUNT]));
    }
    free(idx);
}
