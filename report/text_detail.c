/* The detail view (VMMap's lower pane): regions with their blocks, filters, sorting, the
 * explanation of one address, and the warnings list. */
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "../vmmap/model/summary.h"
#include "../vmmap/util/units.h"

static bool contains(uint64_t base, uint64_t size, uint64_t a)
{
    return a >= base && a - base < size;
}

/* ---- selection and order -------------------------------------------------------------------- */

static bool kind_selected(uint32_t kinds, vm_kind k)
{
    return kinds == 0 || ((unsigned)k < 32 && (kinds & (1u << k)));
}

static bool region_selected(const vm_region *r, const vm_detail_options *opt)
{
    if (r->size < opt->min_size)
        return false;
    if (kind_selected(opt->kinds, r->kind))
        return true;
    for (size_t i = 0; i < r->nblocks; i++)
        if (kind_selected(opt->kinds, r->blocks[i].kind))
            return true;
    return false;
}

/* A region's blocks added up (counters known only where every block knows them). */
static void region_sum(const vm_region *r, vm_summary_row *sum)
{
    memset(sum, 0, sizeof *sum);
    sum->counters.known = VM_COUNTERS_ALL_KNOWN;
    for (size_t i = 0; i < r->nblocks; i++)
        vm_summary_add_block(sum, &r->blocks[i]);
}

typedef struct region_key {
    uint64_t key; /* descending; 0 for every region when sorting by address */
    uint64_t address;
    size_t index;
} region_key;

static int compare_keys(const void *pa, const void *pb)
{
    const region_key *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    if (a->address != b->address)
        return a->address < b->address ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static uint64_t sort_key(const vm_region *r, vm_sort sort)
{
    vm_summary_row sum;
    switch (sort) {
    case VM_SORT_SIZE:
        return r->size;
    case VM_SORT_COMMITTED:
        region_sum(r, &sum);
        return sum.counters.v[VM_C_COMMITTED];
    default:
        return 0;
    }
}

/* The selected regions in display order; *n set, NULL with *n = 0 when none or out of memory
 * (*oom tells which). */
static region_key *ordered_regions(const vm_snapshot *s, const vm_detail_options *opt, size_t *n,
                                   bool *oom)
{
    region_key *keys = malloc((s->nregions ? s->nregions : 1) * sizeof *keys);
    *n = 0;
    *oom = keys == NULL;
    if (!keys)
        return NULL;
    /* A view sorted by size would open with the Free gaps (a 64-bit space is mostly Free):
     * they are left out unless --type free asks for them. */
    bool skip_free = opt->sort != VM_SORT_ADDRESS && !(opt->kinds & (1u << VM_KIND_FREE));
    for (size_t i = 0; i < s->nregions; i++) {
        const vm_region *r = &s->regions[i];
        if (!region_selected(r, opt) || (skip_free && r->kind == VM_KIND_FREE))
            continue;
        keys[(*n)++] = (region_key){sort_key(r, opt->sort), r->address, i};
    }
    qsort(keys, *n, sizeof *keys, compare_keys);
    return keys;
}

/* ---- rows ----------------------------------------------------------------------------------- */

static void address_cell(vm_trow *r, uint64_t address, int bits, bool indent)
{
    char *buf = vm_trow_scratch(r);
    size_t at = indent ? 2 : 0;
    memcpy(buf, "  ", at);
    vm_format_address(address, bits, buf + at, VM_TEXT_CELL - at);
    vm_trow_text(r, buf);
}

/* 'p' or 's' as pmap prints it, 0 when the source did not say.  A Linux snapshot records it for
 * mapped blocks; its private and image blocks are private (docs/snapshot-format.md). */
static char sharing_letter(const vm_snapshot *s, const vm_block *b)
{
    if (b->sharing == VM_SHARING_SHARED)
        return 's';
    if (b->sharing == VM_SHARING_PRIVATE)
        return 'p';
    bool linux_source = s->source && strcmp(s->source, "live-linux") == 0;
    return linux_source && (b->memtype == VM_MEMTYPE_PRIVATE || b->memtype == VM_MEMTYPE_IMAGE) ? 'p' : 0;
}

/* pmap's "rw-p": read, write (copy-on-write is writing too), execute, private or shared. */
static void pmap_protection(uint32_t prot, char sharing, char *buf, size_t len)
{
    snprintf(buf, len, "%c%c%c%c", prot & VM_PROT_READ ? 'r' : '-',
             prot & (VM_PROT_WRITE | VM_PROT_COPY) ? 'w' : '-', prot & VM_PROT_EXEC ? 'x' : '-', sharing);
}

/* Free space has no protection worth showing (VMMap leaves it blank).  Where the source knows
 * private from shared (Linux), the protection reads as pmap prints it; elsewhere in VMMap's words. */
static void prot_cell(vm_trow *r, vm_kind kind, uint32_t prot, char sharing)
{
    char *buf = vm_trow_scratch(r);
    if (kind == VM_KIND_FREE) {
        vm_trow_text(r, "");
        return;
    }
    if (sharing && !(prot & (VM_PROT_GUARD | VM_PROT_NOCACHE | VM_PROT_WCOMBINE))) /* pmap has no word for those */
        pmap_protection(prot, sharing, buf, VM_TEXT_CELL);
    else
        vm_prot_format(prot, buf, VM_TEXT_CELL);
    vm_trow_text(r, buf);
}

static void counter_cells(vm_trow *r, vm_kind kind, const vm_counters *c, bool linux_cols)
{
    if (kind == VM_KIND_FREE)
        vm_trow_blanks(r, vm_text_counter_columns(linux_cols)); /* free memory has no such values */
    else
        vm_trow_counters(r, c, linux_cols);
}

static void title_cells(vm_trow *r, bool linux_cols)
{
    static const char *const before[] = {"Address", "Type", "Size"};
    static const char *const after[] = {"Blocks", "Protection", "Details"};
    vm_trow_reset(r);
    for (size_t i = 0; i < 3; i++)
        vm_trow_text(r, before[i]);
    vm_trow_counter_titles(r, linux_cols);
    for (size_t i = 0; i < 3; i++)
        vm_trow_text(r, after[i]);
}

/* The protection (and sharing) shared by all blocks, or false. */
static bool common_protection(const vm_snapshot *s, const vm_region *reg, uint32_t *prot, char *sharing)
{
    if (reg->nblocks == 0)
        return false;
    *prot = reg->blocks[0].protection;
    *sharing = sharing_letter(s, &reg->blocks[0]);
    for (size_t i = 1; i < reg->nblocks; i++)
        if (reg->blocks[i].protection != *prot || sharing_letter(s, &reg->blocks[i]) != *sharing)
            return false;
    return true;
}

static void region_cells(vm_trow *r, const vm_snapshot *s, const vm_region *reg, bool linux_cols)
{
    vm_summary_row sum;
    uint32_t prot;
    char sharing;
    region_sum(reg, &sum);
    vm_trow_reset(r);
    address_cell(r, reg->address, s->process.bits, false);
    vm_trow_text(r, vm_kind_name(reg->kind));
    vm_trow_kb(r, reg->size);
    counter_cells(r, reg->kind, &sum.counters, linux_cols);
    vm_trow_count(r, reg->nblocks);
    if (common_protection(s, reg, &prot, &sharing))
        prot_cell(r, reg->kind, prot, sharing);
    else
        vm_trow_text(r, "");
    vm_trow_text(r, reg->details);
}

static void block_cells(vm_trow *r, const vm_snapshot *s, const vm_block *b, bool linux_cols)
{
    vm_trow_reset(r);
    address_cell(r, b->address, s->process.bits, true);
    vm_trow_text(r, vm_kind_name(b->kind));
    vm_trow_kb(r, b->size);
    counter_cells(r, b->kind, &b->counters, linux_cols);
    vm_trow_text(r, "");
    prot_cell(r, b->kind, b->protection, sharing_letter(s, b));
    vm_trow_text(r, b->details);
}

static bool same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* VMMap prints a one-block allocation as a single row when the block says nothing more. */
static bool block_rows_needed(const vm_region *reg)
{
    if (reg->nblocks != 1)
        return reg->nblocks > 1;
    const vm_block *b = &reg->blocks[0];
    return !(b->address == reg->address && b->size == reg->size && b->kind == reg->kind &&
             same_text(b->details, reg->details));
}

static bool add_region(vm_ttable *t, vm_trow *row, const vm_snapshot *s, const vm_region *reg, bool linux_cols,
                       bool regions_only)
{
    region_cells(row, s, reg, linux_cols);
    if (!vm_ttable_add(t, row, reg->kind))
        return false;
    if (regions_only || !block_rows_needed(reg))
        return true;
    for (size_t i = 0; i < reg->nblocks; i++) {
        block_cells(row, s, &reg->blocks[i], linux_cols);
        if (!vm_ttable_add(t, row, reg->blocks[i].kind))
            return false;
    }
    return true;
}

static vm_ttable *new_table(vm_trow *row, bool linux_cols)
{
    size_t numeric = vm_text_counter_columns(linux_cols) + 2; /* Size, counters, Blocks */
    title_cells(row, linux_cols);
    return vm_ttable_new(row, ((1u << numeric) - 1u) << 2, 1);
}

/* ---- explaining one address ----------------------------------------------------------------- */

static void format_range(uint64_t a, uint64_t size, int bits, char *buf, size_t len)
{
    char lo[VM_UNITS_BUFSZ], hi[VM_UNITS_BUFSZ], kb[VM_UNITS_BUFSZ];
    vm_format_address(a, bits, lo, sizeof lo);
    vm_format_address(a + size, bits, hi, sizeof hi);
    vm_format_kb(size, kb, sizeof kb);
    snprintf(buf, len, "%s-%s (%s)", lo, hi, kb);
}

static void line(FILE *out, const char *label, const char *value)
{
    if (value && *value)
        fprintf(out, "  %-11s %s\n", label, value);
}

static const vm_heap *find_heap(const vm_snapshot *s, int32_t id)
{
    for (size_t i = 0; i < s->nheaps; i++)
        if (s->heaps[i].id == id)
            return &s->heaps[i];
    return NULL;
}

static void explain_heap(FILE *out, const vm_snapshot *s, const vm_block *b)
{
    char addr[VM_UNITS_BUFSZ], range[128];
    if (b->heap_id < 0)
        return;
    const vm_heap *h = find_heap(s, b->heap_id);
    if (!h) {
        fprintf(out, "  %-11s %d (not in the heap list)\n", "Heap:", (int)b->heap_id);
        return;
    }
    vm_format_address(h->address, s->process.bits, addr, sizeof addr);
    if (vm_heap_kind_has_no_address(h->kind)) /* none: no "at" (older snapshots wrote 0x0) */
        fprintf(out, "  %-11s %d: %s heap", "Heap:", (int)h->id, h->kind);
    else if (h->address_unknown)
        fprintf(out, "  %-11s %d: %s heap, address unknown", "Heap:", (int)h->id, h->kind ? h->kind : "?");
    else
        fprintf(out, "  %-11s %d: %s heap at %s", "Heap:", (int)h->id, h->kind ? h->kind : "?", addr);
    if (h->heap_class)
        fprintf(out, ", %s", h->heap_class);
    if (h->front_end)
        fprintf(out, ", front end %s", h->front_end);
    if (b->heap_part >= 0 && (size_t)b->heap_part < h->nparts) {
        const vm_heap_part *part = &h->parts[b->heap_part];
        format_range(part->address, part->size, s->process.bits, range, sizeof range);
        fprintf(out, "; part %d: %s %s", (int)b->heap_part, part->what ? part->what : "", range);
    }
    fputc('\n', out);
}

static const vm_thread *find_thread(const vm_snapshot *s, uint64_t tid)
{
    for (size_t i = 0; i < s->nthreads; i++)
        if (s->threads[i].tid == tid)
            return &s->threads[i];
    return NULL;
}

static void explain_thread(FILE *out, const vm_snapshot *s, const vm_block *b)
{
    if (b->thread_id == 0)
        return;
    const vm_thread *th = find_thread(s, b->thread_id);
    fprintf(out, "  %-11s %llu", "Thread:", (unsigned long long)b->thread_id);
    if (!th) {
        fputs(" (not in the thread list)\n", out);
        return;
    }
    if (th->name)
        fprintf(out, " \"%s\"", th->name);
    if (th->found_by)
        fprintf(out, ", stack found by %s", th->found_by);
    fputc('\n', out);
}

static const vm_section *find_section(const vm_module *m, uint64_t a)
{
    for (size_t i = 0; i < m->nsections; i++)
        if (contains(m->sections[i].address, m->sections[i].size, a))
            return &m->sections[i];
    return NULL;
}

static void explain_module(FILE *out, const vm_snapshot *s, const vm_block *b, uint64_t a)
{
    char range[128], prot[64];
    if (b->module < 0)
        return;
    if ((size_t)b->module >= s->nmodules) {
        fprintf(out, "  %-11s %d (not in the module list)\n", "Module:", (int)b->module);
        return;
    }
    const vm_module *m = &s->modules[b->module];
    fprintf(out, "  %-11s %s", "Module:", m->path ? m->path : "?");
    const vm_section *sec = find_section(m, a);
    if (sec) {
        format_range(sec->address, sec->size, s->process.bits, range, sizeof range);
        vm_prot_format(sec->protection, prot, sizeof prot);
        fprintf(out, ", section %s %s %s", sec->name ? sec->name : "?", range, prot);
    } else if (m->nsections) {
        fputs(", in no section", out);
    }
    fputc('\n', out);
}

static const vm_block *find_block(const vm_region *r, uint64_t a)
{
    for (size_t i = 0; i < r->nblocks; i++)
        if (contains(r->blocks[i].address, r->blocks[i].size, a))
            return &r->blocks[i];
    return NULL;
}

static void explain_block(FILE *out, const vm_snapshot *s, const vm_block *b, uint64_t a)
{
    char range[128], prot[64], pmap[8] = "", state[160];
    int bits = s->process.bits;
    format_range(b->address, b->size, bits, range, sizeof range);
    fprintf(out, "  %-11s %s, offset +0x%llx\n", "Block:", range,
            (unsigned long long)(a - b->address));
    vm_prot_format(b->protection, prot, sizeof prot);
    char sharing = sharing_letter(s, b);
    if (sharing)
        pmap_protection(b->protection, sharing, pmap, sizeof pmap);
    snprintf(state, sizeof state, "%s, %s%s%s%s, %s", vm_state_name(b->state), prot, pmap[0] ? " (" : "", pmap,
             pmap[0] ? ")" : "", vm_memtype_name(b->memtype));
    line(out, "State:", state);
    line(out, "Type:", vm_kind_name(b->kind));
    line(out, "Details:", b->details);
    line(out, "File:", b->path);
    explain_heap(out, s, b);
    explain_thread(out, s, b);
    explain_module(out, s, b, a);
}

static void explain(FILE *out, const vm_snapshot *s, const vm_region *r, uint64_t a)
{
    char addr[VM_UNITS_BUFSZ], range[128];
    vm_format_address(a, s->process.bits, addr, sizeof addr);
    format_range(r->address, r->size, s->process.bits, range, sizeof range);
    fprintf(out, "\nAddress %s is in region %s, %s%s%s\n", addr, range, vm_kind_name(r->kind),
            r->details ? ": " : "", r->details ? r->details : "");
    const vm_block *b = find_block(r, a);
    if (b)
        explain_block(out, s, b, a);
    else
        fputs("  but in none of the region's blocks\n", out);
}

/* The end of the user address space, 0 when unknown. */
static uint64_t user_top(const vm_snapshot *s)
{
    return s->user_top ? s->user_top : (s->process.bits == 32 ? (uint64_t)1 << 32 : 0);
}

bool vm_text_address_outside(const vm_snapshot *s, uint64_t a, uint64_t *top)
{
    *top = user_top(s);
    if (!*top || a < *top)
        return false;
    for (size_t i = 0; i < s->nregions; i++) /* [vsyscall] lies above the top on x86-64 */
        if (contains(s->regions[i].address, s->regions[i].size, a))
            return false;
    return true;
}

/* Where an address that no region holds lies: a free gap, an answer (returns 0); or outside the
 * user address space (returns 2: the caller says so as an error). */
static int explain_gap(FILE *out, const vm_snapshot *s, uint64_t a)
{
    char addr[VM_UNITS_BUFSZ], lo[VM_UNITS_BUFSZ], hi[VM_UNITS_BUFSZ], size[VM_UNITS_BUFSZ];
    int bits = s->process.bits;
    uint64_t top;
    if (vm_text_address_outside(s, a, &top))
        return 2;
    vm_format_address(a, bits, addr, sizeof addr);
    uint64_t start = 0, end = top;
    for (size_t i = 0; i < s->nregions; i++) {
        const vm_region *r = &s->regions[i];
        uint64_t r_end = r->address + r->size;
        if (r_end <= a && r_end > start)
            start = r_end;
        if (r->address > a && (end == 0 || r->address < end))
            end = r->address;
    }
    vm_format_address(start, bits, lo, sizeof lo);
    if (end == 0) {
        fprintf(out, "Address %s is in no region: free space from %s to the end of the address "
                     "space.\n", addr, lo);
        return 0;
    }
    vm_format_address(end, bits, hi, sizeof hi);
    vm_format_kb(end - start, size, sizeof size);
    fprintf(out, "Address %s is in no region: it is in the free gap %s-%s (%s), Free.\n", addr, lo, hi,
            size);
    return 0;
}

static const vm_region *find_region(const vm_snapshot *s, uint64_t a)
{
    for (size_t i = 0; i < s->nregions; i++)
        if (contains(s->regions[i].address, s->regions[i].size, a))
            return &s->regions[i];
    return NULL;
}

/* ---- the views ------------------------------------------------------------------------------ */

static int print_warnings(FILE *out, const vm_snapshot *s)
{
    if (s->nwarnings == 0) {
        fputs("No warnings.\n", out);
        return 0;
    }
    fprintf(out, "%zu warning%s:\n", s->nwarnings, s->nwarnings == 1 ? "" : "s");
    for (size_t i = 0; i < s->nwarnings; i++)
        fprintf(out, "  [%s] %s\n", s->warnings[i].code ? s->warnings[i].code : "?",
                s->warnings[i].message ? s->warnings[i].message : "");
    return 0;
}

/* What a narrow terminal gives up first; Address, Type, Size, Committed, Private WS and Details
 * stay (Details cut with an ellipsis). */
static const char *const detail_drop[] = {"Locked WS", "Shared WS", "Shareable WS", "Swap", "Blocks", "Pss",
                                          "Private", "Protection", "Total WS", NULL};

static void print_table(FILE *out, const vm_ttable *t, const vm_detail_options *opt)
{
    char dropped[256];
    vm_ttable_fit fit = {opt->width, detail_drop, "Details"};
    vm_ttable_print_fit(t, out, opt->color, &fit, dropped, sizeof dropped);
    vm_text_fit_note(out, dropped, opt->width);
}

static int print_address(FILE *out, const vm_snapshot *s, const vm_detail_options *opt)
{
    const vm_region *r = find_region(s, opt->address);
    if (!r)
        return explain_gap(out, s, opt->address);
    bool linux_cols = vm_text_linux_columns(s, false);
    vm_trow row;
    vm_ttable *t = new_table(&row, linux_cols);
    bool ok = t && add_region(t, &row, s, r, linux_cols, opt->regions_only);
    if (ok)
        print_table(out, t, opt);
    vm_ttable_free(t);
    if (!ok)
        return -1;
    explain(out, s, r, opt->address);
    return 0;
}

static int print_regions(FILE *out, const vm_snapshot *s, const vm_detail_options *opt)
{
    bool linux_cols = vm_text_linux_columns(s, false), oom;
    size_t n;
    vm_trow row;
    region_key *keys = ordered_regions(s, opt, &n, &oom);
    vm_ttable *t = oom ? NULL : new_table(&row, linux_cols);
    bool ok = t != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = add_region(t, &row, s, &s->regions[keys[i].index], linux_cols,
                        opt->regions_only);
    if (ok)
        print_table(out, t, opt);
    if (ok && opt->sort != VM_SORT_ADDRESS && !(opt->kinds & (1u << VM_KIND_FREE)))
        fputs("(Free gaps are left out of a sorted view; --type free shows them)\n", out);
    vm_ttable_free(t);
    free(keys);
    return ok ? 0 : -1;
}

int vm_text_detail(FILE *out, const vm_snapshot *s, const vm_detail_options *opt)
{
    static const vm_detail_options defaults;
    if (!opt)
        opt = &defaults;
    if (opt->warnings)
        return print_warnings(out, s);
    if (opt->has_address)
        return print_address(out, s, opt);
    return print_regions(out, s, opt);
}
