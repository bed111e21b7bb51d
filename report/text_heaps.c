/* The terminal view of text_heaps.h, on the shared table printer (text.h). */
#include "text_heaps.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/units.h"
#include "heap_view.h"
#include "text.h"

/* The heap's own columns; the walk's follow (heap_view.h). */
enum { C_ID, C_KIND, C_ADDRESS, C_OWNER, C_COMMITTED, C_STATS, C_NCOLS = C_STATS + VM_HEAP_STAT_COLS };

static const char *const titles[C_STATS] = {"Heap", "Kind", "Address", "Owner", "Committed"};

/* On a narrow terminal, least needed first: the block counts go before their sizes; Heap, Kind,
 * Committed and Busy size stay, and Owner is cut to fit. */
static const char *const heaps_drop[] = {"Overhead", "Cached", "Free", "Busy", "Frag.", "Cached size",
                                         "Largest free", "Address", "Free size", NULL};
static const char *const sizes_drop[] = {"Cached", "Free", "Busy", NULL};

static void address_cell(vm_trow *r, const vm_heap *h)
{
    char *buf = vm_trow_scratch(r);
    if (vm_heap_kind_has_no_address(h->kind) || (h->address == 0 && !h->address_unknown))
        snprintf(buf, VM_TEXT_CELL, "-"); /* none (an older snapshot wrote "0x0") */
    else if (h->address_unknown)
        snprintf(buf, VM_TEXT_CELL, "unknown");
    else
        snprintf(buf, VM_TEXT_CELL, "0x%" PRIx64, h->address);
    vm_trow_text(r, buf);
}

static void heap_row(vm_trow *r, const vm_heap_view_row *v)
{
    const vm_heap *h = v->h;
    vm_trow_reset(r);
    vm_trow_count(r, (uint64_t)(h->id < 0 ? 0 : h->id));
    vm_trow_text(r, h->kind ? h->kind : "?");
    address_cell(r, h);
    vm_trow_text(r, h->owners_known ? (v->owner[0] ? v->owner : "none found") : "?");
    vm_trow_kb(r, v->committed);
    for (size_t c = 0; c < VM_HEAP_STAT_COLS; c++) {
        uint64_t n;
        double pct;
        if (!h->stats_known) {
            vm_trow_text(r, "?");
            continue;
        }
        vm_heap_stat_value(&h->stats, c, &n, &pct);
        if (vm_heap_stat_cols[c].kind == VM_HSTAT_COUNT) {
            vm_trow_count(r, n);
        } else if (vm_heap_stat_cols[c].kind == VM_HSTAT_BYTES) {
            vm_trow_kb(r, n);
        } else {
            char *buf = vm_trow_scratch(r);
            snprintf(buf, VM_TEXT_CELL, "%.2f%%", pct);
            vm_trow_text(r, buf);
        }
    }
}

static size_t count_walked(const vm_heap_view_row *rows, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += rows[i].h->stats_known;
    return k;
}

static void print_notes(FILE *out, const vm_heap_view_row *rows, size_t n, size_t width)
{
    bool header = false;
    for (size_t i = 0; i < n; i++) {
        const vm_heap *h = rows[i].h;
        if (!h->flags && !h->walk_note && !h->heap_class)
            continue;
        if (!header)
            fprintf(out, "\n");
        header = true;
        char note[1024];
        /* "class C; flags F; NOTE": a separator only between parts that are there. */
        snprintf(note, sizeof note, "Heap %d (%s):%s%s%s%s%s%s%s", (int)h->id, h->kind ? h->kind : "?",
                 h->heap_class ? " class " : "", h->heap_class ? h->heap_class : "",
                 h->heap_class && (h->flags || h->walk_note) ? ";" : "", h->flags ? " flags " : "",
                 h->flags ? h->flags : "", h->flags && h->walk_note ? ";" : "", h->walk_note ? " " : "");
        size_t used = strlen(note);
        snprintf(note + used, sizeof note - used, "%s", h->walk_note ? h->walk_note : "");
        vm_text_wrap(out, note, width, 4);
    }
}

static int print_sizes(FILE *out, const vm_heap *h, size_t top, bool color, size_t width)
{
    size_t n = 0;
    const vm_heap_size **z = vm_heap_top_sizes(h, top, &n);
    if (!z)
        return h->nsizes ? -1 : 0;
    char count[VM_UNITS_BUFSZ];
    vm_format_count(h->nsizes, count, sizeof count);
    fprintf(out, "\nHeap %d (%s): %s block size%s%s\n", (int)h->id, h->kind ? h->kind : "?", count,
            h->nsizes == 1 ? "" : "s", n < h->nsizes ? ", the biggest by bytes:" : ", by bytes:");
    vm_trow r;
    vm_trow_reset(&r);
    static const char *const t[] = {"Size", "Busy", "Free", "Cached", "Bytes"};
    for (int i = 0; i < 5; i++)
        vm_trow_text(&r, t[i]);
    vm_ttable *tb = vm_ttable_new(&r, 0x1f, -1);
    bool ok = tb != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        vm_trow_reset(&r);
        vm_trow_count(&r, z[i]->size);
        vm_trow_count(&r, z[i]->busy);
        vm_trow_count(&r, z[i]->free);
        vm_trow_count(&r, z[i]->cached);
        vm_trow_count(&r, vm_heap_size_bytes(z[i])); /* exact: rows of small blocks would round to 1 K */
        ok = vm_ttable_add(tb, &r, -1);
    }
    vm_ttable_fit fit = {width, sizes_drop, NULL};
    if (ok)
        vm_ttable_print_noted(tb, out, color, &fit);
    vm_ttable_free(tb);
    free(z);
    return ok ? 0 : -1;
}

int vm_text_heaps(FILE *out, const vm_snapshot *s, const vm_heaps_view_options *opt)
{
    size_t n = 0;
    vm_heap_view_row *rows = vm_heap_view_rows(s, opt->heap, &n);
    if (!rows)
        return -1;
    if (opt->heap >= 0 && n == 0) {
        fprintf(out, "No heap with id %" PRId64 " (the snapshot has %zu heap%s).\n", opt->heap, s->nheaps,
                s->nheaps == 1 ? "" : "s");
        free(rows);
        return 1;
    }
    if (n == 0) {
        char line[512];
        snprintf(line, sizeof line, "No heaps in the snapshot of %s (PID %lld)%s.",
                 s->process.name ? s->process.name : "?", (long long)s->process.pid,
                 s->nwarnings ? " (`vmmap show TARGET --warnings` says what could not be read)" : "");
        vm_text_wrap(out, line, opt->width, 4);
        free(rows);
        return 0;
    }
    size_t walked = count_walked(rows, n);
    char head[512];
    snprintf(head, sizeof head, "Heaps of %s (PID %lld): %zu heap%s, %zu walked block by block%s",
             s->process.name ? s->process.name : "?", (long long)s->process.pid, n, n == 1 ? "" : "s", walked,
             walked < n ? " (why not: below)" : "");
    vm_text_wrap(out, head, opt->width, 4);
    vm_text_reflow(out,
                   "Sizes in K; a block's size is the allocator's, header included.  Cached: held by a\n"
                   "front-end cache (glibc tcache, Wine's delayed frees), in use for the allocator (malloc_info,\n"
                   "mallinfo2 and HeapWalk count it in use), free for the program.  `vmmap heaps --help`:\n"
                   "how these figures add up to glibc's.\n\n",
                   opt->width);
    vm_trow r;
    vm_trow_reset(&r);
    for (int c = 0; c < C_NCOLS; c++)
        vm_trow_text(&r, c < C_STATS ? titles[c] : vm_heap_stat_cols[c - C_STATS].short_title);
    uint32_t right = 1u << C_ID;
    for (int c = C_COMMITTED; c < C_NCOLS; c++)
        right |= 1u << c;
    vm_ttable *t = vm_ttable_new(&r, right, C_KIND);
    int rc = t ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        heap_row(&r, &rows[i]);
        if (!vm_ttable_add(t, &r, VM_KIND_HEAP))
            rc = -1;
    }
    vm_ttable_fit fit = {opt->width, heaps_drop, "Owner"};
    if (rc == 0)
        vm_ttable_print_noted(t, out, opt->color, &fit);
    vm_ttable_free(t);
    if (rc == 0)
        print_notes(out, rows, n, opt->width);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (rows[i].h->stats_known)
            rc = print_sizes(out, rows[i].h, opt->top, opt->color, opt->width);
    free(rows);
    return rc;
}
