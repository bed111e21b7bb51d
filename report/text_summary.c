/* The summary view (VMMap's upper pane): the process, its sizes and counts, committed beside
 * resident, and the table by type. */
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "../vmmap/model/summary.h"
#include "../vmmap/util/units.h"

/* ---- the summary view ----------------------------------------------------------------------- */

static const char *or_unknown(const char *s)
{
    return s && *s ? s : "?";
}

static void field(FILE *out, const char *label, const char *value)
{
    fprintf(out, "%-11s%s\n", label, or_unknown(value));
}

static void print_process(FILE *out, const vm_snapshot *s)
{
    fprintf(out, "%-11s%s (PID %lld, %d-bit)\n", "Process:", or_unknown(s->process.name),
            (long long)s->process.pid, s->process.bits);
    field(out, "Image:", s->process.exe);
    field(out, "Taken at:", s->taken_at);
    field(out, "Source:", s->source);
    fprintf(out, "%-11s%s, %s, %s\n", "Host:", or_unknown(s->host), or_unknown(s->os),
            or_unknown(s->arch));
}

static void print_sizes_and_counts(FILE *out, const vm_snapshot *s)
{
    char page[VM_UNITS_BUFSZ], gran[VM_UNITS_BUFSZ];
    vm_format_kb(s->page_size, page, sizeof page);
    vm_format_kb(s->alloc_granularity, gran, sizeof gran);
    if (s->alloc_granularity && s->alloc_granularity != s->page_size)
        fprintf(out, "%-11s%s (allocation granularity %s)\n", "Page size:", page, gran);
    else
        field(out, "Page size:", s->page_size ? page : NULL);
    fprintf(out, "%-11s%zu region%s, %zu thread%s, %zu module%s, %zu heap%s\n", "Contents:", s->nregions,
            vm_plural(s->nregions), s->nthreads, vm_plural(s->nthreads), s->nmodules, vm_plural(s->nmodules),
            s->nheaps, vm_plural(s->nheaps));
    if (s->nwarnings)
        fprintf(out, "%-11s%zu (see: vmmap show --warnings)\n", "Warnings:", s->nwarnings);
    else
        field(out, "Warnings:", "none");
}

/* What a summary row shows besides its name. */
enum {
    ROW_EMPTY = 1,        /* nothing of this kind: blank cells, as VMMap */
    ROW_NO_COUNTERS = 2,  /* Free: no committed or working-set values */
    ROW_SIZE_UNKNOWN = 4, /* Page Table when the source could not tell */
    ROW_NO_BLOCKS = 8,    /* Page Table has no blocks */
};

static void summary_cells(vm_trow *r, const char *name, const vm_summary_row *row,
                          unsigned flags, bool linux_cols)
{
    size_t ncounters = vm_text_counter_columns(linux_cols);
    vm_trow_reset(r);
    vm_trow_text(r, name);
    if (flags & ROW_EMPTY) {
        vm_trow_blanks(r, ncounters + 3);
        return;
    }
    if (flags & ROW_SIZE_UNKNOWN)
        vm_trow_text(r, "?");
    else
        vm_trow_kb(r, row->size);
    if (flags & ROW_NO_COUNTERS)
        vm_trow_blanks(r, ncounters);
    else
        vm_trow_counters(r, &row->counters, linux_cols);
    if (flags & ROW_NO_BLOCKS) {
        vm_trow_blanks(r, 2);
        return;
    }
    vm_trow_count(r, row->blocks);
    vm_trow_kb(r, row->largest);
}

static unsigned kind_flags(const vm_snapshot *s, int k, const vm_summary_row *row)
{
    if (k == VM_KIND_PAGE_TABLE)
        return ROW_NO_BLOCKS | (s->page_table_known ? 0 : ROW_SIZE_UNKNOWN);
    if (row->blocks == 0)
        return ROW_EMPTY;
    return k == VM_KIND_FREE ? ROW_NO_COUNTERS : 0;
}

static vm_ttable *summary_table(const vm_snapshot *s, bool linux_cols)
{
    vm_summary sum;
    vm_trow r;
    vm_summary_compute(s, &sum);

    vm_trow_reset(&r);
    vm_trow_text(&r, "Type");
    vm_trow_text(&r, "Size");
    vm_trow_counter_titles(&r, linux_cols);
    vm_trow_text(&r, "Blocks");
    vm_trow_text(&r, "Largest");
    vm_ttable *t = vm_ttable_new(&r, ~1u, 0);

    for (int k = 0; t && k < VM_KIND_COUNT; k++) {
        summary_cells(&r, vm_kind_name((vm_kind)k), &sum.kind[k], kind_flags(s, k, &sum.kind[k]),
                      linux_cols);
        if (!vm_ttable_add(t, &r, k))
            goto fail;
    }
    if (t) {
        summary_cells(&r, "Total", &sum.total, 0, linux_cols);
        if (!vm_ttable_add(t, &r, -1))
            goto fail;
    }
    return t;
fail:
    vm_ttable_free(t);
    return NULL;
}

/* Committed beside resident: on Linux they differ most (a python with 41 threads: 345 MB
 * committed, 14 MB resident), because reserved-and-accountable memory such as untouched thread
 * stacks counts as committed.  Said where the totals are read first. */
static void print_memory(FILE *out, const vm_snapshot *s)
{
    vm_summary sum;
    vm_summary_compute(s, &sum);
    const vm_counters *c = &sum.total.counters;
    char committed[VM_UNITS_BUFSZ], resident[VM_UNITS_BUFSZ];
    bool has_c = c->known & (1u << VM_C_COMMITTED), has_r = c->known & (1u << VM_C_TOTAL_WS);
    if (vm_text_human()) {
        vm_format_kb_short(c->v[VM_C_COMMITTED], committed, sizeof committed);
        vm_format_kb_short(c->v[VM_C_TOTAL_WS], resident, sizeof resident);
    } else {
        vm_format_kb(c->v[VM_C_COMMITTED], committed, sizeof committed);
        vm_format_kb(c->v[VM_C_TOTAL_WS], resident, sizeof resident);
    }
    fprintf(out, "%-11s%s committed, %s resident (Total WS)\n", "Memory:", has_c ? committed : "?",
            has_r ? resident : "?");
    if (s->source && strcmp(s->source, "live-linux") == 0)
        fprintf(out, "%-11s%s\n", "", "(Linux: committed counts untouched reservations, e.g. thread stacks)");
}

static const char *const summary_drop[] = {"Locked WS", "Shared WS", "Shareable WS", "Swap", "Largest", "Blocks",
                                           "Pss", "Private", "Total WS", NULL};

void vm_text_summary(FILE *out, const vm_snapshot *s, const vm_text_options *opt)
{
    static const vm_text_options defaults = {false, false, 0};
    if (!opt)
        opt = &defaults;
    print_process(out, s);
    print_sizes_and_counts(out, s);
    print_memory(out, s);
    fputc('\n', out);

    vm_ttable *t = summary_table(s, vm_text_linux_columns(s, opt->linux_columns));
    if (!t) {
        fputs("(out of memory)\n", out);
        return;
    }
    char dropped[256];
    vm_ttable_fit fit = {opt->width, summary_drop, NULL};
    vm_ttable_print_fit(t, out, opt->color, &fit, dropped, sizeof dropped);
    vm_text_fit_note(out, dropped, opt->width);
    vm_ttable_free(t);
}
