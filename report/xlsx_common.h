/* Shared by the report/xlsx_*.c sheet writers (internal): the workbook being written, its
 * formats, the colour of each type, and cell helpers that remember the first error.
 *
 * Every sheet is written in row order (constant-memory mode): a row's outline level is set
 * before its first cell, and no sheet goes back to an earlier row. */
#ifndef VMMAP_REPORT_XLSX_COMMON_H
#define VMMAP_REPORT_XLSX_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "../vmmap/util/error.h"

#include "../vmmap/model/snapshot.h"
#include "tabular.h"
#include "xlsx_lib.h" /* libxlsxwriter, through the table loaded on the first workbook */

/* How a cell looks. */
typedef enum xw_style {
    XW_TEXT,    /* general text */
    XW_ADDR,    /* a hex address, stored as text */
    XW_KB,      /* bytes shown in KB: "8,192 K" */
    XW_KB_FINE, /* bytes shown in KB with two decimals (section sizes) */
    XW_COUNT,   /* a count: "1,234" */
    XW_ID,      /* an identifier (thread id, pid): a number without separators, "11052" */
    XW_PERCENT, /* a percentage with two decimals: "8.78 %" */
    XW_STYLE_COUNT
} xw_style;

/* Row tints: one per type, then XW_PLAIN (no tint). */
#define XW_PLAIN VM_KIND_COUNT
#define XW_TINTS (VM_KIND_COUNT + 1)

/* What a row is: a plain row, a parent (bold, outline level 0) or a child beneath it (indented,
 * outline level 1). */
typedef enum xw_variant { XW_ROW, XW_PARENT, XW_CHILD, XW_VARIANTS } xw_variant;

typedef struct xw_book {
    lxw_workbook *wb;
    lxw_format *cell[XW_TINTS][XW_VARIANTS][XW_STYLE_COUNT];
    lxw_format *header, *header_num, *title, *label, *value, *note;
    lxw_error error;       /* first libxlsxwriter error, LXW_NO_ERROR while all is well */
    const char *error_at;  /* the sheet being written when it happened */
    const char *sheet;     /* the sheet being written now */
} xw_book;

/* Each type's colour: a light tint for its rows, a strong one for the chart (0xRRGGBB). */
typedef struct xw_kind_colour {
    uint32_t fill;
    uint32_t strong;
} xw_kind_colour;
extern const xw_kind_colour xw_kind_colours[VM_KIND_COUNT];

/* A column of a sheet: its title and width in characters. */
typedef struct xw_column {
    const char *title;
    double width;
    bool numeric; /* title right-aligned over right-aligned numbers */
} xw_column;

/* Creates every format of b->wb (after workbook_new). */
/* Writes a workbook to path whole or not at all: a temporary beside it in constant-memory mode,
 * the shared formats and the document properties, then body(b, ctx) adds the sheets; closed
 * and renamed into place, or removed with the reason in err.  Returns 0 or an exit code. */
int xw_write_book(const char *path, const char *title, const char *subject,
                  void (*body)(xw_book *b, const void *ctx), const void *ctx, vm_error *err);

void xw_formats(xw_book *b);

bool xw_check(xw_book *b, lxw_error e);
bool xw_ok(const xw_book *b);

/* Adds a sheet with these columns: widths set, titles in row 0, header frozen.  Pass
 * filter_last_row >= 1 for an autofilter over rows 0..filter_last_row. */
lxw_worksheet *xw_table_sheet(xw_book *b, const char *name, const xw_column *cols, size_t ncols,
                              uint32_t filter_last_row);
/* Printing: landscape, one page wide (as many down as it takes), header_row repeated on every
 * page (-1: none), the sheet's name and "Page N of M" in the footer.  Every sheet gets it
 * (xw_table_sheet calls it; sheets made otherwise call it themselves). */
void xw_print_setup(xw_book *b, lxw_worksheet *ws, int header_row);

/* Outline symbols on the parent row (above its children), as a tree reads. */
void xw_outline_above(lxw_worksheet *ws);

/* A header cell (numeric: right-aligned, over numbers). */
void xw_header(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const char *title,
               bool numeric);
/* Text in an explicit format (cleaned for XML and Excel's limits, as xw_text). */
void xw_text_as(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const char *text,
                lxw_format *f);

/* Starts a row: its outline level from the variant.  Call before writing its cells. */
void xw_row(xw_book *b, lxw_worksheet *ws, uint32_t row, xw_variant v);

/* Cells; tint is a vm_kind or XW_PLAIN. */
void xw_text(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const char *text,
             int tint, xw_variant v, xw_style style);
void xw_bytes(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, uint64_t bytes, int tint,
              xw_variant v, xw_style style);
void xw_count(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, uint64_t n, int tint,
              xw_variant v);
/* An identifier: a number (sorts and filters as one) shown without thousands separators. */
void xw_id(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, uint64_t id, int tint, xw_variant v);
void xw_blank(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, int tint, xw_variant v);
/* A percentage (8.78 for 8.78 %), in XW_PERCENT. */
void xw_percent(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, double pct, int tint, xw_variant v);
/* A report cell (tabular.h) in the style its column calls for. */
void xw_cell(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const vm_cell *c,
             vm_col which, int tint, xw_variant v);
/* An address as hex text in the snapshot's width; 0 means none (empty cell). */
void xw_address(xw_book *b, lxw_worksheet *ws, uint32_t row, uint16_t col, const vm_snapshot *s,
                uint64_t address, int tint, xw_variant v);

/* The sheets, in workbook order. */
void xw_summary_sheet(xw_book *b, const vm_snapshot *s);
void xw_regions_sheet(xw_book *b, const vm_snapshot *s);
void xw_heaps_sheet(xw_book *b, const vm_snapshot *s);
void xw_sizes_sheet(xw_book *b, const vm_snapshot *s);
void xw_types_sheet(xw_book *b, const vm_snapshot *s); /* the object census, when taken */
void xw_threads_sheet(xw_book *b, const vm_snapshot *s);
void xw_modules_sheet(xw_book *b, const vm_snapshot *s);
void xw_warnings_sheet(xw_book *b, const vm_snapshot *s);

/* Rows the Regions sheet needs (header + allocations + blocks). */
uint64_t xw_regions_rows(const vm_snapshot *s);

#endif
