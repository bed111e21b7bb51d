/* Terminal views of a snapshot: VMMap's upper pane (summary by type) and lower pane (regions and
 * their blocks).  Platform-neutral; whether out is a terminal (and so whether to colour) is the
 * caller's decision. */
#ifndef VMMAP_REPORT_TEXT_H
#define VMMAP_REPORT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../vmmap/model/snapshot.h"
#include "../vmmap/util/compiler.h"

typedef struct vm_text_options {
    bool color;         /* ANSI colour on the Type cells */
    bool linux_columns; /* always show Pss and Swap (otherwise: when some block knows them) */
    size_t width;       /* fit the table in this many columns (a terminal's); 0: full rows */
} vm_text_options;

typedef enum vm_sort {
    VM_SORT_ADDRESS,   /* ascending */
    VM_SORT_SIZE,      /* region size, descending (ties by address) */
    VM_SORT_COMMITTED, /* region committed bytes, descending (ties by address) */
} vm_sort;

typedef struct vm_detail_options {
    uint32_t kinds;      /* bit (1u << vm_kind) per kind to show; 0 = all */
    uint64_t min_size;   /* regions smaller than this are not shown */
    bool has_address;    /* show only the region holding address, and explain it */
    uint64_t address;
    vm_sort sort;
    bool regions_only;   /* no block rows */
    bool warnings;       /* print the snapshot's warnings instead of regions */
    bool color;
    size_t width;        /* fit the rows in this many columns (a terminal's); 0: full rows */
} vm_detail_options;

/* Header block (process, source, counts, warnings) and the table by type, VMMap's order, then
 * Total (all kinds but Free).  Unknown values print as "?". */
void vm_text_summary(FILE *out, const vm_snapshot *s, const vm_text_options *opt);

/* One row per region (sums of its blocks) with its blocks indented beneath.  A region is shown
 * when its kind or one of its blocks' kinds is selected and it is at least min_size.  Returns 0
 * (with has_address: the region holding it explained, or the free gap it is in); 2 when the
 * address lies outside the user address space (nothing printed: the caller reports it); -1 when
 * out of memory. */
int vm_text_detail(FILE *out, const vm_snapshot *s, const vm_detail_options *opt);

/* True when a lies at or above the end of the user address space (*top) and in no region. */
bool vm_text_address_outside(const vm_snapshot *s, uint64_t a, uint64_t *top);

/* ---- shared by the two views (internal to report/text_*.c) ---------------------------------- */

#define VM_TEXT_MAXCOLS 16
#define VM_TEXT_CELL 48

/* How many counter columns a row has: Committed .. Locked WS, plus Pss and Swap when linux_cols. */
size_t vm_text_counter_columns(bool linux_cols);

/* Pss and Swap: shown when forced or when some block of s knows either of them. */
bool vm_text_linux_columns(const vm_snapshot *s, bool force);

/* ANSI SGR parameters for a kind's colour ("35"), "" when none. */
const char *vm_text_kind_color(vm_kind k);

/* One row being built: cells point at scratch space or at strings that outlive the row. */
typedef struct vm_trow {
    const char *cell[VM_TEXT_MAXCOLS];
    char scratch[VM_TEXT_MAXCOLS + 1][VM_TEXT_CELL]; /* the last one takes overflow */
    size_t n;
} vm_trow;

/* --human: size cells as "1.2 G", "340 M" (vm_format_kb_short) instead of "1,234,567 K", in every
 * text view from now on.  A display setting of the process, as a locale is. */
void vm_text_set_human(bool on);
bool vm_text_human(void);

void vm_trow_reset(vm_trow *r);
void vm_trow_text(vm_trow *r, const char *s); /* NULL prints as "" */
char *vm_trow_scratch(vm_trow *r);            /* next cell's own buffer (VM_TEXT_CELL bytes) */
void vm_trow_kb(vm_trow *r, uint64_t bytes);
void vm_trow_count(vm_trow *r, uint64_t n);
void vm_trow_blanks(vm_trow *r, size_t n);
/* Committed .. Locked WS, then Pss and Swap when linux: "?" for unknown values. */
void vm_trow_counters(vm_trow *r, const vm_counters *c, bool linux_cols);
/* The titles of the same cells. */
void vm_trow_counter_titles(vm_trow *r, bool linux_cols);

/* A table whose column widths come from its contents; rows are copied in. */
typedef struct vm_ttable vm_ttable;

/* right_aligned: bit per column.  color_col: the column coloured by a row's kind, -1 none. */
vm_ttable *vm_ttable_new(const vm_trow *titles, uint32_t right_aligned, int color_col);
bool vm_ttable_add(vm_ttable *t, const vm_trow *row, int kind); /* kind -1: no colour */
void vm_ttable_print(const vm_ttable *t, FILE *out, bool color);
/* Every line of the table starts with n blanks (at most 16), counted in its width. */
void vm_ttable_set_indent(vm_ttable *t, size_t n);

/* Fitting a table in a terminal's width: columns are dropped in drop order (titles, NULL-ended)
 * until the rest fits with room for the clip column (Details), which is then cut with an
 * ellipsis.  width 0 prints every column in full, as vm_ttable_print. */
typedef struct vm_ttable_fit {
    size_t width;
    const char *const *drop; /* titles, least wanted first */
    const char *clip;        /* title of the column cut to fit, or NULL */
} vm_ttable_fit;

/* Prints the table fitted (as a last resort the size cells in --human's units); what the fit did
 * goes to dropped ("hidden Locked WS, Shared WS; sizes abbreviated"), "" when nothing. */
void vm_ttable_print_fit(const vm_ttable *t, FILE *out, bool color, const vm_ttable_fit *fit, char *dropped,
                         size_t len);
/* The note that tells what the fit did, "(to fit 80 columns: hidden ...; --wide shows
 * everything)" in lines of at most width; nothing when it did nothing. */
void vm_text_fit_note(FILE *out, const char *dropped, size_t width);
/* vm_ttable_print_fit, then its note beneath the table. */
void vm_ttable_print_noted(const vm_ttable *t, FILE *out, bool color, const vm_ttable_fit *fit);

/* Text that is not a table, fitted the same way: each line of text (lines end at '\n') longer
 * than width is broken at spaces (a word longer than a line where the line ends), the lines it
 * continues on indented by indent; a line's own leading blanks stay.  width 0: as it is. */
void vm_text_wrap(FILE *out, const char *text, size_t width, size_t indent);
/* Prose written for 80 columns: as it is when every line fits width (or width is 0); otherwise
 * each paragraph (blank lines separate them) joined into one line and wrapped at width. */
void vm_text_reflow(FILE *out, const char *text, size_t width);
/* A line built piece by piece (vm_tline_add, printf-like; start from {0}) and printed wrapped as
 * vm_text_wrap does, then emptied for the next (vm_tline_print).  Out of memory: printed as far
 * as it got. */
typedef struct vm_tline {
    char *text;
    size_t len, cap;
    bool failed;
} vm_tline;
void vm_tline_add(vm_tline *l, const char *fmt, ...) VM_PRINTF(2, 3);
void vm_tline_print(vm_tline *l, FILE *out, size_t width, size_t indent);
void vm_tline_free(vm_tline *l);

/* text cut to width with an ellipsis ("..." unless the locale speaks UTF-8); width 0: whole. */
void vm_text_clipped(FILE *out, const char *text, size_t width);
void vm_ttable_free(vm_ttable *t);

#endif
