/* The Threads sheet: each thread's stack (base, limit, reserved and committed sizes, guard), its
 * TEB on Windows, and how the stack was found. */
#include "xlsx_common.h"

enum { T_TID, T_NAME, T_BASE, T_LIMIT, T_RESERVED, T_COMMITTED, T_GUARD, T_GUARD_SIZE, T_TEB, T_SP,
       T_FOUND_BY, T_NCOLS };

static const xw_column thread_cols[T_NCOLS] = {
    [T_TID] = {"Thread ID", 10, true},
    [T_NAME] = {"Name", 18, false},
    [T_BASE] = {"Stack base", 19, false},
    [T_LIMIT] = {"Stack limit", 19, false},
    [T_RESERVED] = {"Reserved", 11, true},
    [T_COMMITTED] = {"Committed", 11, true},
    [T_GUARD] = {"Guard", 19, false},
    [T_GUARD_SIZE] = {"Guard size", 10, true},
    [T_TEB] = {"TEB", 19, false},
    [T_SP] = {"Stack pointer", 19, false},
    [T_FOUND_BY] = {"Found by", 40, false},
};

/* hi - lo when both are known and in order, else an empty cell. */
static void span(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, uint64_t lo, uint64_t hi)
{
    if (lo && hi > lo)
        xw_bytes(b, ws, row, col, hi - lo, VM_KIND_STACK, XW_ROW, XW_KB);
    else
        xw_blank(b, ws, row, col, VM_KIND_STACK, XW_ROW);
}

static void write_thread(xw_book *b, lxw_worksheet *ws, uint32_t row, const vm_snapshot *s,
                         const vm_thread *t)
{
    const int k = VM_KIND_STACK;
    const xw_variant v = XW_ROW;
    xw_id(b, ws, row, T_TID, t->tid, k, v); /* an id, not a quantity: 11052, not 11,052 */
    xw_text(b, ws, row, T_NAME, t->name, k, v, XW_TEXT);
    xw_address(b, ws, row, T_BASE, s, t->stack_base, k, v);
    xw_address(b, ws, row, T_LIMIT, s, t->stack_limit, k, v);
    span(b, ws, row, T_RESERVED, t->reserve_base ? t->reserve_base : t->stack_limit, t->stack_base);
    span(b, ws, row, T_COMMITTED, t->stack_limit, t->stack_base);
    xw_address(b, ws, row, T_GUARD, s, t->guard_address, k, v);
    xw_bytes(b, ws, row, T_GUARD_SIZE, t->guard_size, k, v, XW_KB);
    xw_address(b, ws, row, T_TEB, s, t->teb, k, v);
    xw_address(b, ws, row, T_SP, s, t->sp, k, v);
    xw_text(b, ws, row, T_FOUND_BY, t->found_by, k, v, XW_TEXT);
}

void xw_threads_sheet(xw_book *b, const vm_snapshot *s)
{
    lxw_worksheet *ws = xw_table_sheet(b, "Threads", thread_cols, T_NCOLS, (uint32_t)s->nthreads);
    for (size_t i = 0; ws && i < s->nthreads && xw_ok(b); i++)
        write_thread(b, ws, (uint32_t)i + 1, s, &s->threads[i]);
}
