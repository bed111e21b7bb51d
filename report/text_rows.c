/* The cells of a terminal table row (text.h): sizes in K or in --human's units, counts, the
 * counter columns and their titles, a kind's colour. */
#include "text.h"

#include "../vmmap/model/summary.h"
#include "../vmmap/util/units.h"

/* ---- rows ----------------------------------------------------------------------------------- */

void vm_trow_reset(vm_trow *r)
{
    r->n = 0;
}

void vm_trow_text(vm_trow *r, const char *s)
{
    if (r->n < VM_TEXT_MAXCOLS)
        r->cell[r->n++] = s ? s : "";
}

char *vm_trow_scratch(vm_trow *r)
{
    /* Past the last column the text goes to the spare buffer and is dropped by vm_trow_text. */
    return r->scratch[r->n < VM_TEXT_MAXCOLS ? r->n : VM_TEXT_MAXCOLS];
}

static bool human_units;

bool vm_text_human(void)
{
    return human_units;
}

void vm_text_set_human(bool on)
{
    human_units = on;
}

void vm_trow_kb(vm_trow *r, uint64_t bytes)
{
    char *buf = vm_trow_scratch(r);
    if (human_units)
        vm_format_kb_short(bytes, buf, VM_TEXT_CELL);
    else
        vm_format_kb(bytes, buf, VM_TEXT_CELL);
    vm_trow_text(r, buf);
}

void vm_trow_count(vm_trow *r, uint64_t n)
{
    char *buf = vm_trow_scratch(r);
    vm_format_count(n, buf, VM_TEXT_CELL);
    vm_trow_text(r, buf);
}

void vm_trow_blanks(vm_trow *r, size_t n)
{
    while (n--)
        vm_trow_text(r, "");
}

size_t vm_text_counter_columns(bool linux_cols)
{
    return linux_cols ? VM_C_COUNT : VM_C_PSS;
}

void vm_trow_counters(vm_trow *r, const vm_counters *c, bool linux_cols)
{
    for (size_t i = 0; i < vm_text_counter_columns(linux_cols); i++) {
        if (c->known & (1u << i))
            vm_trow_kb(r, c->v[i]);
        else
            vm_trow_text(r, "?");
    }
}

void vm_trow_counter_titles(vm_trow *r, bool linux_cols)
{
    for (size_t i = 0; i < vm_text_counter_columns(linux_cols); i++)
        vm_trow_text(r, vm_counter_title((vm_counter)i));
}

bool vm_text_linux_columns(const vm_snapshot *s, bool force)
{
    const uint32_t linux_bits = (1u << VM_C_PSS) | (1u << VM_C_SWAP);
    if (force)
        return true;
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++)
            if (s->regions[i].blocks[j].state != VM_STATE_FREE && (s->regions[i].blocks[j].counters.known & linux_bits))
                return true; /* gaps (Free, Unusable) are known zeros on every platform: not evidence */
    return false;
}

/* Close to VMMap's palette: purple images, blue files, teal shareable, orange-red heaps, ... */
static const char *const kind_colors[VM_KIND_COUNT] = {
    "35", "34", "36", "31", "32", "33", "93", "95", "90", "2",
};

const char *vm_text_kind_color(vm_kind k)
{
    return (unsigned)k < VM_KIND_COUNT ? kind_colors[k] : "";
}
