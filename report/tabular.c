/* The report tables as cells (see tabular.h). */
#include "tabular.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

static const char *const col_titles[VM_COL_COUNT] = {
    [VM_COL_ADDRESS] = "Address",
    [VM_COL_TYPE] = "Type",
    [VM_COL_SIZE] = "Size",
    [VM_COL_BLOCKS] = "Blocks",
    [VM_COL_LARGEST] = "Largest",
    [VM_COL_PROTECTION] = "Protection",
    [VM_COL_DETAILS] = "Details",
};

const char *vm_col_title(vm_col c)
{
    if (c >= VM_COL_COUNTER0 && c < VM_COL_COUNTER0 + VM_C_COUNT)
        return vm_counter_title((vm_counter)(c - VM_COL_COUNTER0));
    return (unsigned)c < VM_COL_COUNT ? col_titles[c] : "";
}

bool vm_col_shown(vm_col c, bool linux_cols)
{
    bool linux_only = c == VM_COL_COUNTER0 + VM_C_PSS || c == VM_COL_COUNTER0 + VM_C_SWAP;
    return linux_cols || !linux_only;
}

bool vm_col_numeric(vm_col c)
{
    return c >= VM_COL_SIZE && c <= VM_COL_LARGEST;
}

bool vm_tab_linux_columns(const vm_snapshot *s)
{
    return vm_text_linux_columns(s, false);
}

uint64_t vm_tab_kb(uint64_t bytes)
{
    return bytes / 1024 + (bytes % 1024 != 0);
}

bool vm_tab_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m)
        return false;
    for (size_t i = 0; i < m; i++) {
        char a = s[n - m + i], b = suffix[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

/* ---- cells ---------------------------------------------------------------------------------- */

static void row_reset(vm_tab_row *row, int kind, int level)
{
    for (int c = 0; c < VM_COL_COUNT; c++)
        row->cell[c] = (vm_cell){VM_CELL_EMPTY, NULL, 0};
    row->kind = kind;
    row->level = level;
    row->address[0] = row->protection[0] = '\0';
}

static void set_text(vm_tab_row *row, vm_col c, const char *text)
{
    if (text && *text)
        row->cell[c] = (vm_cell){VM_CELL_TEXT, text, 0};
}

static void set_number(vm_tab_row *row, vm_col c, vm_cell_kind kind, uint64_t value)
{
    row->cell[c] = (vm_cell){kind, NULL, value};
}

/* Known counters as byte cells; unknown ones stay empty. */
static void set_counters(vm_tab_row *row, const vm_counters *c)
{
    for (int i = 0; i < VM_C_COUNT; i++)
        if (c->known & (1u << i))
            set_number(row, (vm_col)(VM_COL_COUNTER0 + i), VM_CELL_BYTES, c->v[i]);
}

static void set_address(vm_tab_row *row, const vm_snapshot *s, uint64_t address)
{
    vm_format_address(address, s->process.bits, row->address, sizeof row->address);
    set_text(row, VM_COL_ADDRESS, row->address);
}

static void set_protection(vm_tab_row *row, uint32_t prot)
{
    vm_prot_format(prot, row->protection, sizeof row->protection);
    set_text(row, VM_COL_PROTECTION, row->protection);
}

/* ---- summary rows --------------------------------------------------------------------------- */

void vm_tab_summary_row(const vm_snapshot *s, const vm_summary *sum, int kind, vm_tab_row *row)
{
    bool total = kind < 0 || kind >= VM_KIND_COUNT;
    const vm_summary_row *src = total ? &sum->total : &sum->kind[kind];
    row_reset(row, total ? -1 : kind, 0);
    set_text(row, VM_COL_TYPE, total ? "Total" : vm_kind_name((vm_kind)kind));
    if (kind == VM_KIND_PAGE_TABLE) { /* no blocks; its size may be unknown */
        if (s->page_table_known)
            set_number(row, VM_COL_SIZE, VM_CELL_BYTES, src->size);
        set_counters(row, &src->counters);
        return;
    }
    if (!total && src->blocks == 0) /* nothing of this type: an empty row, as VMMap */
        return;
    set_number(row, VM_COL_SIZE, VM_CELL_BYTES, src->size);
    if (kind != VM_KIND_FREE) /* free memory has no committed or working-set values */
        set_counters(row, &src->counters);
    set_number(row, VM_COL_BLOCKS, VM_CELL_COUNT, src->blocks);
    set_number(row, VM_COL_LARGEST, VM_CELL_BYTES, src->largest);
}

/* ---- detail rows ---------------------------------------------------------------------------- */

static bool common_protection(const vm_region *r, uint32_t *prot)
{
    if (r->nblocks == 0)
        return false;
    *prot = r->blocks[0].protection;
    for (size_t i = 1; i < r->nblocks; i++)
        if (r->blocks[i].protection != *prot)
            return false;
    return true;
}

void vm_tab_region_row(const vm_snapshot *s, const vm_region *r, vm_tab_row *row)
{
    vm_summary_row sum;
    uint32_t prot;
    memset(&sum, 0, sizeof sum);
    sum.counters.known = VM_COUNTERS_ALL_KNOWN;
    for (size_t i = 0; i < r->nblocks; i++)
        vm_summary_add_block(&sum, &r->blocks[i]);

    row_reset(row, r->kind, 0);
    set_address(row, s, r->address);
    set_text(row, VM_COL_TYPE, vm_kind_name(r->kind));
    set_number(row, VM_COL_SIZE, VM_CELL_BYTES, r->size);
    if (r->kind != VM_KIND_FREE)
        set_counters(row, &sum.counters);
    set_number(row, VM_COL_BLOCKS, VM_CELL_COUNT, r->nblocks);
    if (common_protection(r, &prot))
        set_protection(row, prot);
    set_text(row, VM_COL_DETAILS, r->details);
}

void vm_tab_block_row(const vm_snapshot *s, const vm_block *b, vm_tab_row *row)
{
    row_reset(row, b->kind, 1);
    set_address(row, s, b->address);
    set_text(row, VM_COL_TYPE, vm_kind_name(b->kind));
    set_number(row, VM_COL_SIZE, VM_CELL_BYTES, b->size);
    if (b->kind != VM_KIND_FREE)
        set_counters(row, &b->counters);
    set_protection(row, b->protection);
    set_text(row, VM_COL_DETAILS, b->details);
}

/* ---- facts ---------------------------------------------------------------------------------- */

static void add_fact(vm_facts *f, const char *label, const char *value)
{
    if (f->n < VM_TAB_MAX_FACTS)
        f->fact[f->n++] = (vm_fact){label, value ? value : ""};
}

void vm_tab_facts(const vm_snapshot *s, vm_facts *f)
{
    char page[VM_UNITS_BUFSZ];
    f->n = 0;
    snprintf(f->buf[0], sizeof f->buf[0], "%" PRId64, s->process.pid);
    snprintf(f->buf[1], sizeof f->buf[1], "%d-bit", s->process.bits);
    vm_format_kb(s->page_size, page, sizeof page);
    snprintf(f->buf[2], sizeof f->buf[2], "%s", s->page_size ? page : "");
    snprintf(f->buf[3], sizeof f->buf[3], "%zu region%s, %zu thread%s, %zu module%s, %zu heap%s", s->nregions,
             vm_plural(s->nregions), s->nthreads, vm_plural(s->nthreads), s->nmodules, vm_plural(s->nmodules),
             s->nheaps, vm_plural(s->nheaps));
    snprintf(f->buf[4], sizeof f->buf[4], "%zu", s->nwarnings);

    add_fact(f, "Process:", s->process.name);
    add_fact(f, "PID:", f->buf[0]);
    add_fact(f, "Image:", s->process.exe);
    add_fact(f, "Command line:", s->process.cmdline);
    add_fact(f, "Bits:", f->buf[1]);
    add_fact(f, "Taken at:", s->taken_at);
    add_fact(f, "Source:", s->source);
    add_fact(f, "Host:", s->host);
    add_fact(f, "OS:", s->os);
    add_fact(f, "Architecture:", s->arch);
    add_fact(f, "Page size:", f->buf[2]);
    add_fact(f, "Contents:", f->buf[3]);
    add_fact(f, "Warnings:", f->buf[4]);
    add_fact(f, "Tool version:", s->tool_version ? s->tool_version : "");
}
