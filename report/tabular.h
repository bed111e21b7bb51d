/* The tables of a report as cells by column, shared by the .xlsx and .csv writers: the process
 * facts, VMMap's summary table (one row per type plus Total) and its detail table (one row per
 * allocation, then one per block).  Which cells are empty and why follows the terminal views: an
 * unknown counter is an empty cell (never 0), Free has no counters, Page Table has no blocks, a
 * type with no blocks is an empty row.  Each writer picks its own column order and formatting.
 * Platform-neutral. */
#ifndef VMMAP_REPORT_TABULAR_H
#define VMMAP_REPORT_TABULAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../vmmap/model/snapshot.h"
#include "../vmmap/model/summary.h"
#include "../vmmap/util/units.h"

typedef enum vm_col {
    VM_COL_ADDRESS,
    VM_COL_TYPE,
    VM_COL_SIZE,
    VM_COL_COUNTER0, /* VM_COL_COUNTER0 + vm_counter: Committed .. Swap */
    VM_COL_BLOCKS = VM_COL_COUNTER0 + VM_C_COUNT,
    VM_COL_LARGEST,
    VM_COL_PROTECTION,
    VM_COL_DETAILS,
    VM_COL_COUNT
} vm_col;

typedef enum vm_cell_kind {
    VM_CELL_EMPTY, /* unknown, or nothing to say */
    VM_CELL_TEXT,
    VM_CELL_BYTES, /* a byte count */
    VM_CELL_COUNT, /* a plain count (Blocks) */
} vm_cell_kind;

typedef struct vm_cell {
    vm_cell_kind kind;
    const char *text; /* VM_CELL_TEXT: the row's own buffers or the snapshot's strings */
    uint64_t value;
} vm_cell;

typedef struct vm_tab_row {
    vm_cell cell[VM_COL_COUNT];
    int kind;  /* vm_kind the row is coloured by; -1: none (Total) */
    int level; /* 0: a type or an allocation; 1: a block beneath its allocation */
    char address[VM_UNITS_BUFSZ];
    char protection[64];
} vm_tab_row;

/* VMMap's column titles ("Total WS"); Pss and Swap for Linux. */
const char *vm_col_title(vm_col c);
/* Pss and Swap are shown only when linux_cols (some block of the snapshot knows them). */
bool vm_col_shown(vm_col c, bool linux_cols);
/* Size, the counters, Blocks and Largest hold numbers. */
bool vm_col_numeric(vm_col c);
bool vm_tab_linux_columns(const vm_snapshot *s);

/* A summary row: kind is a vm_kind, or -1 for Total (every type except Free). */
void vm_tab_summary_row(const vm_snapshot *s, const vm_summary *sum, int kind, vm_tab_row *row);
/* An allocation: its blocks added up, Blocks = their number, Protection when they all share it. */
void vm_tab_region_row(const vm_snapshot *s, const vm_region *r, vm_tab_row *row);
/* One block beneath its allocation (level 1, Blocks empty). */
void vm_tab_block_row(const vm_snapshot *s, const vm_block *b, vm_tab_row *row);

/* The process facts, in order ("Process:" "PID:" first, as VMMap's CSV starts). */
#define VM_TAB_MAX_FACTS 16
typedef struct vm_fact {
    const char *label; /* "Process:", "PID:", ... */
    const char *value; /* never NULL; "" when absent */
} vm_fact;
typedef struct vm_facts {
    vm_fact fact[VM_TAB_MAX_FACTS];
    size_t n;
    char buf[5][64]; /* numbers formatted for the facts above */
} vm_facts;
void vm_tab_facts(const vm_snapshot *s, vm_facts *out);

/* Bytes as VMMap's CSV and our spreadsheets count them: KiB, rounded up. */
uint64_t vm_tab_kb(uint64_t bytes);

/* ASCII case-insensitive suffix test ("R.XLSX" ends with ".xlsx"). */
bool vm_tab_ends_with(const char *s, const char *suffix);

#endif
