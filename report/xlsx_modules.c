/* The Modules sheet: each loaded image (path, base, size) with its sections beneath it as outline
 * rows (name, address, size, protection). */
#include "xlsx_common.h"

enum { M_NAME, M_ADDRESS, M_SIZE, M_SECTIONS, M_PROTECTION, M_NCOLS };

static const xw_column module_cols[M_NCOLS] = {
    [M_NAME] = {"Module / section", 60, false},
    [M_ADDRESS] = {"Address", 19, false},
    [M_SIZE] = {"Size", 12, true},
    [M_SECTIONS] = {"Sections", 9, true},
    [M_PROTECTION] = {"Protection", 18, false},
};

static void write_module(xw_book *b, lxw_worksheet *ws, uint32_t row, const vm_snapshot *s,
                         const vm_module *m)
{
    const int k = VM_KIND_IMAGE;
    const xw_variant v = XW_PARENT;
    xw_row(b, ws, row, v);
    xw_text(b, ws, row, M_NAME, m->path, k, v, XW_TEXT);
    xw_address(b, ws, row, M_ADDRESS, s, m->base, k, v);
    xw_bytes(b, ws, row, M_SIZE, m->size, k, v, XW_KB);
    xw_count(b, ws, row, M_SECTIONS, m->nsections, k, v);
    xw_blank(b, ws, row, M_PROTECTION, k, v);
}

static void write_section(xw_book *b, lxw_worksheet *ws, uint32_t row, const vm_snapshot *s,
                          const vm_section *sec)
{
    const int k = VM_KIND_IMAGE;
    const xw_variant v = XW_CHILD;
    char prot[64];
    vm_prot_format(sec->protection, prot, sizeof prot);
    xw_row(b, ws, row, v);
    xw_text(b, ws, row, M_NAME, sec->name, k, v, XW_TEXT);
    xw_address(b, ws, row, M_ADDRESS, s, sec->address, k, v);
    xw_bytes(b, ws, row, M_SIZE, sec->size, k, v, XW_KB_FINE);
    xw_blank(b, ws, row, M_SECTIONS, k, v);
    xw_text(b, ws, row, M_PROTECTION, prot, k, v, XW_TEXT);
}

void xw_modules_sheet(xw_book *b, const vm_snapshot *s)
{
    uint32_t rows = 1 + (uint32_t)s->nmodules;
    for (size_t i = 0; i < s->nmodules; i++)
        rows += (uint32_t)s->modules[i].nsections;
    lxw_worksheet *ws = xw_table_sheet(b, "Modules", module_cols, M_NCOLS, rows - 1);
    if (!ws)
        return;
    xw_outline_above(ws);
    uint32_t row = 1;
    for (size_t i = 0; i < s->nmodules && xw_ok(b); i++) {
        const vm_module *m = &s->modules[i];
        write_module(b, ws, row++, s, m);
        for (size_t j = 0; j < m->nsections; j++)
            write_section(b, ws, row++, s, &m->sections[j]);
    }
}
