/* The heaps CSV (heaps_csv.h). */
#include "heaps_csv.h"

#include <inttypes.h>
#include <stdlib.h>

#include "../vmmap/util/atomic_file.h"
#include "csv.h"
#include "heap_view.h"

static const char *const heap_titles[] = {
    "Heap", "Kind", "Address", "Flags", "Owner", "Reserved", "Committed", "Busy blocks", "Busy bytes",
    "Free blocks", "Free bytes", "Cached blocks", "Cached bytes", "Largest free", "Fragmentation %",
    "Overhead bytes", "Note",
};
static const char *const size_titles[] = {"Heap", "Size", "Busy", "Free", "Cached", "Bytes"};

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

static void heap_record(FILE *out, const vm_heap_view_row *r)
{
    const vm_heap *h = r->h;
    char b[64];
    snprintf(b, sizeof b, "%d", (int)h->id);
    vm_csv_field(out, true, "", b);
    vm_csv_field(out, false, "", h->kind ? h->kind : "");
    snprintf(b, sizeof b, "0x%" PRIx64, h->address);
    vm_csv_field(out, false, "", h->address_unknown ? "" : b);
    vm_csv_field(out, false, "", h->flags ? h->flags : "");
    vm_csv_field(out, false, "", h->owners_known ? r->owner : "");
    num(out, r->reserved);
    num(out, r->committed);
    if (h->stats_known) {
        const vm_heap_stats *st = &h->stats;
        const uint64_t v[] = {st->busy_blocks, st->busy_bytes, st->free_blocks, st->free_bytes,
                              st->cached_blocks, st->cached_bytes, st->largest_free};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            num(out, v[i]);
        snprintf(b, sizeof b, "%.2f", st->fragmentation);
        vm_csv_field(out, false, "", b);
        num(out, st->overhead_bytes);
    } else {
        for (int i = 0; i < 9; i++)
            vm_csv_field(out, false, "", "");
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
    titles(out, heap_titles, sizeof heap_titles / sizeof heap_titles[0]);
    for (size_t i = 0; i < n; i++)
        heap_record(out, &rows[i]);
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
            num(out, vm_heap_size_bytes(&h->sizes[j]));
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
