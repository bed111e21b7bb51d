/* The CSV report (see csv.h and docs/reports.md for the layout). */
#include "csv.h"

#include <inttypes.h>
#include <string.h>

#include "../vmmap/util/atomic_file.h"
#include "../vmmap/util/progress.h"
#include "tabular.h"

/* VMMap's column orders; Pss and Swap (Linux) come last so positional scripts keep working. */
static const vm_col summary_cols[] = {
    VM_COL_TYPE,
    VM_COL_SIZE,
    VM_COL_COUNTER0 + VM_C_COMMITTED,
    VM_COL_COUNTER0 + VM_C_PRIVATE,
    VM_COL_COUNTER0 + VM_C_TOTAL_WS,
    VM_COL_COUNTER0 + VM_C_PRIVATE_WS,
    VM_COL_COUNTER0 + VM_C_SHAREABLE_WS,
    VM_COL_COUNTER0 + VM_C_SHARED_WS,
    VM_COL_COUNTER0 + VM_C_LOCKED_WS,
    VM_COL_BLOCKS,
    VM_COL_LARGEST,
    VM_COL_COUNTER0 + VM_C_PSS,
    VM_COL_COUNTER0 + VM_C_SWAP,
};
static const vm_col detail_cols[] = {
    VM_COL_ADDRESS,
    VM_COL_TYPE,
    VM_COL_SIZE,
    VM_COL_COUNTER0 + VM_C_COMMITTED,
    VM_COL_COUNTER0 + VM_C_PRIVATE,
    VM_COL_COUNTER0 + VM_C_TOTAL_WS,
    VM_COL_COUNTER0 + VM_C_PRIVATE_WS,
    VM_COL_COUNTER0 + VM_C_SHAREABLE_WS,
    VM_COL_COUNTER0 + VM_C_SHARED_WS,
    VM_COL_COUNTER0 + VM_C_LOCKED_WS,
    VM_COL_BLOCKS,
    VM_COL_PROTECTION,
    VM_COL_DETAILS,
    VM_COL_COUNTER0 + VM_C_PSS,
    VM_COL_COUNTER0 + VM_C_SWAP,
};
#define NCOLS(a) (sizeof(a) / sizeof(a)[0])

typedef struct csv_table {
    const vm_col *cols;
    size_t ncols;
    bool linux_cols;
} csv_table;

void vm_csv_field(FILE *out, bool first, const char *prefix, const char *text)
{
    if (!first)
        fputc(',', out);
    fputc('"', out);
    fputs(prefix, out);
    for (const char *p = text; *p;) {
        size_t run = strcspn(p, "\""); /* up to the next quote, written at once */
        fwrite(p, 1, run, out);
        p += run;
        if (*p == '"') {
            fputs("\"\"", out);
            p++;
        }
    }
    fputc('"', out);
}

void vm_csv_end_line(FILE *out)
{
    fputs("\r\n", out);
}


static void cell_field(FILE *out, bool first, const vm_cell *c, const char *prefix)
{
    char num[32];
    switch (c->kind) {
    case VM_CELL_TEXT: vm_csv_field(out, first, prefix, c->text); return;
    case VM_CELL_BYTES: snprintf(num, sizeof num, "%" PRIu64, vm_tab_kb(c->value)); break;
    case VM_CELL_COUNT: snprintf(num, sizeof num, "%" PRIu64, c->value); break;
    default: num[0] = '\0'; break;
    }
    vm_csv_field(out, first, "", num);
}

static void header(FILE *out, const csv_table *t)
{
    bool first = true;
    for (size_t i = 0; i < t->ncols; i++) {
        if (!vm_col_shown(t->cols[i], t->linux_cols))
            continue;
        vm_csv_field(out, first, "", vm_col_title(t->cols[i]));
        first = false;
    }
    vm_csv_end_line(out);
}

/* Block rows carry VMMap's two-space indent on their address. */
static void row(FILE *out, const csv_table *t, const vm_tab_row *r)
{
    bool first = true;
    for (size_t i = 0; i < t->ncols; i++) {
        vm_col c = t->cols[i];
        if (!vm_col_shown(c, t->linux_cols))
            continue;
        cell_field(out, first, &r->cell[c], c == VM_COL_ADDRESS && r->level ? "  " : "");
        first = false;
    }
    vm_csv_end_line(out);
}

static void facts(FILE *out, const vm_snapshot *s)
{
    vm_facts f;
    vm_tab_facts(s, &f);
    for (size_t i = 0; i < f.n; i++) {
        vm_csv_field(out, true, "", f.fact[i].label);
        vm_csv_field(out, false, "", f.fact[i].value);
        vm_csv_end_line(out);
    }
}

/* Total first, then each type in VMMap's order, as VMMap writes it. */
static void summary(FILE *out, const vm_snapshot *s, bool linux_cols)
{
    csv_table t = {summary_cols, NCOLS(summary_cols), linux_cols};
    vm_summary sum;
    vm_tab_row r;
    vm_summary_compute(s, &sum);
    header(out, &t);
    for (int k = -1; k < VM_KIND_COUNT; k++) {
        vm_tab_summary_row(s, &sum, k, &r);
        row(out, &t, &r);
    }
}

static void details(FILE *out, const vm_snapshot *s, bool linux_cols)
{
    csv_table t = {detail_cols, NCOLS(detail_cols), linux_cols};
    vm_tab_row r;
    header(out, &t);
    vm_progress_phase("writing the allocations", s->nregions);
    for (size_t i = 0; i < s->nregions; i++) {
        const vm_region *reg = &s->regions[i];
        vm_progress_step(i);
        vm_tab_region_row(s, reg, &r);
        row(out, &t, &r);
        for (size_t j = 0; j < reg->nblocks; j++) {
            vm_tab_block_row(s, &reg->blocks[j], &r);
            row(out, &t, &r);
        }
    }
}

void vm_csv_write(FILE *out, const vm_snapshot *s)
{
    bool linux_cols = vm_tab_linux_columns(s);
    facts(out, s);
    vm_csv_end_line(out);
    summary(out, s, linux_cols);
    vm_csv_end_line(out);
    details(out, s, linux_cols);
}

int vm_report_write_csv(const vm_snapshot *s, const char *path, vm_error *err)
{
    vm_atomic_file af;
    if (!vm_atomic_open(&af, path, err))
        return err->code;
    vm_csv_write(af.fp, s);
    if (!vm_atomic_commit(&af, err))
        return err->code;
    return 0;
}
