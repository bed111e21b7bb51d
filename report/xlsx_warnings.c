/* The Warnings sheet: what could not be read and why.  Absent when there is nothing to say. */
#include "xlsx_common.h"

static const xw_column warning_cols[] = {{"Code", 18, false}, {"What could not be read, and why", 110, false}};

void xw_warnings_sheet(xw_book *b, const vm_snapshot *s)
{
    if (s->nwarnings == 0)
        return;
    lxw_worksheet *ws = xw_table_sheet(b, "Warnings", warning_cols, 2, (uint32_t)s->nwarnings);
    for (size_t i = 0; ws && i < s->nwarnings && xw_ok(b); i++) {
        xw_text(b, ws, (uint32_t)i + 1, 0, s->warnings[i].code, XW_PLAIN, XW_ROW, XW_TEXT);
        xw_text(b, ws, (uint32_t)i + 1, 1, s->warnings[i].message, XW_PLAIN, XW_ROW, XW_TEXT);
    }
}
