/* The heaps CSV (heaps_csv.h). */
#include "heaps_csv.h"

#include <inttypes.h>
#include <stdlib.h>

#include "../vmmap/util/atomic_file.h"
#include "csv.h"
#include "heap_view.h"
#include "tabular.h"

/* The heap's own fields; then the walk's (heap_view.h), then Note. */
static const char *const heap_titles[] = {"Heap", "Kind", "Address", "Flags", "Owner", "Reserved", "Committed"};
static const char *const size_titles[] = {"Heap", "Block size (bytes)", "Busy", "Free", "Cached", "Total (K)"};

static void titles(FILE *out, const char *const *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vm_csv_field(out, i == 0, "", t[i]);
    vm_csv_end_line(out);
}

static void num(FILE *out, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%" PRIu64, v);
    vm_csv_field(out, false, "", b);
}

/* Memory in K, as every CSV of vmmap writes it (VMMap's convention). */
static void kb(FILE *out, uint64_t bytes)
{
    num(out, vm_tab_kb(bytes));
}

static void heap_record(FILE *out, const vm_snapshot *s, const vm_heap_view_row *r)
{
    const vm_heap *h = r->h;
    char b[64];
    snprintf(b, sizeof b, "%d", (int)h->id);
    vm_csv_field(out, true, "", b);
    vm_csv_field(out, false, "", h->kind ? h->kind : "");
    vm_format_address(h->address, s->process.bits, b, sizeof b);
    vm_csv_field(out, false, "", h->address_unknown || vm_heap_kind_has_no_address(h->kind) ? "" : b);
    vm_csv_field(out, false, "", h->flags ? h->flags : "");
    vm_csv_field(out, false, "", h->owners_known ? r->owner : "");
    kb(out, r->reserved);
    kb(out, r->committed);
    for (size_t c = 0; c < VM_HEAP_STAT_COLS; c++) {
        uint64_t n;
        double pct;
        if (!h->stats_known) {
            vm_csv_field(out, false, "", "");
            continue;
        }
        vm_heap_stat_value(&h->stats, c, &n, &pct);
        if (vm_heap_stat_cols[c].kind == VM_HSTAT_PERCENT) {
            snprintf(b, sizeof b, "%.2f", pct);
            vm_csv_field(out, false, "", b);
        } else if (vm_heap_stat_cols[c].kind == VM_HSTAT_BYTES) {
            kb(out, n);
        } else {
            num(out, n);
        }
    }
    vm_csv_field(out, false, "", h->walk_note ? h->walk_note : "");
    vm_csv_end_line(out);
}

void vm_heaps_csv(FILE *out, const vm_snapshot *s, int64_t only)
{
    size_t n = 0;
    vm_heap_view_row *rows = vm_heap_view_rows(s, only, &n);
    if (!rows) {
        fputs("out of memory\r\n", out);
        return;
    }
    size_t nt = sizeof heap_titles / sizeof heap_titles[0];
    for (size_t i = 0; i < nt; i++)
        vm_csv_field(out, i == 0, "", heap_titles[i]);
    for (size_t c = 0; c < VM_HEAP_STAT_COLS; c++)
        vm_csv_field(out, false, "", vm_heap_stat_cols[c].kind == VM_HSTAT_PERCENT ? "Fragmentation %"
                                                                                   : vm_heap_stat_cols[c].title);
    vm_csv_field(out, false, "", "Note");
    vm_csv_end_line(out);
    for (size_t i = 0; i < n; i++)
        heap_record(out, s, &rows[i]);
    vm_csv_end_line(out);
    titles(out, size_titles, sizeof size_titles / sizeof size_titles[0]);
    for (size_t i = 0; i < n; i++) {
        const vm_heap *h = rows[i].h;
        for (size_t j = 0; h->stats_known && j < h->nsizes; j++) { /* ascending by size, as stored */
            char b[32];
            snprintf(b, sizeof b, "%d", (int)h->id);
            vm_csv_field(out, true, "", b);
            num(out, h->sizes[j].size);
            num(out, h->sizes[j].busy);
            num(out, h->sizes[j].free);
            num(out, h->sizes[j].cached);
            kb(out, vm_heap_size_bytes(&h->sizes[j]));
            vm_csv_end_line(out);
        }
    }
    free(rows);
}

int vm_heaps_write_csv(const vm_snapshot *s, const char *path, int64_t only, vm_error *err)
{
    vm_atomic_file af;
    if (!vm_atomic_open(&af, path, err))
        return err->code;
    vm_heaps_csv(af.fp, s, only);
    if (!vm_atomic_commit(&af, err))
        return err->code;
    return 0;
}
