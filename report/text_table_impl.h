/* Internal to report/text_table.c and text_fit.c: a table's storage and how it is laid out. */
#ifndef VMMAP_REPORT_TEXT_TABLE_IMPL_H
#define VMMAP_REPORT_TEXT_TABLE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "text.h"

/* Rows are stored back to back in one buffer, each as ncols NUL-terminated cells. */
struct vm_ttable {
    size_t ncols;
    size_t width[VM_TEXT_MAXCOLS];
    uint32_t right;
    int color_col;
    char *text;
    size_t len, cap;
    signed char *kinds;
    size_t nrows, rcap;
    size_t indent; /* blanks before every line */
};

/* The columns as printed: which are shown, how wide, and which one is cut to fit. */
typedef struct vm_tt_layout {
    bool shown[VM_TEXT_MAXCOLS];
    bool abbrev[VM_TEXT_MAXCOLS]; /* size cells "92,437,684,512 K" shown as "86 T" */
    size_t width[VM_TEXT_MAXCOLS];
    int clip;        /* column cut to width[clip] with an ellipsis, -1 none */
    const char *ellipsis;
} vm_tt_layout;

/* Display width of UTF-8 text: code points, not bytes. */
size_t vm_tt_text_width(const char *s);
/* A size cell ("1,234 K") in --human's units ("1.2 M"), in buf; other cells as they are. */
const char *vm_tt_abbreviated(const char *cell, char *buf, size_t len);
/* Every column shown, in full. */
void vm_tt_full_layout(const vm_ttable *t, vm_tt_layout *lay);
void vm_tt_print_laid_out(const vm_ttable *t, const vm_tt_layout *lay, FILE *out, bool color);

#endif
