/* A timeline: a series of snapshots of one process reduced to one small row each (time,
 * committed per type, committed per heap, thread count, busy bytes per heap when the snapshots
 * walked the heaps), and the growth analysis of every series.
 *
 * Snapshots are reduced as they are read and freed at once, so a timeline of a thousand 50 MB
 * snapshots holds a thousand rows, not the snapshots.  Rows are sorted by taken_at, then by the
 * order they were added.  Heaps are matched across samples by kind and address.
 *
 * The growth flag (docs/watch.md), for a series y_0..y_{n-1} at times t_0..t_{n-1} (minutes):
 *   flagged  <=>  n >= 3, t_{n-1} > t_0, y_{i+1} >= y_i for every i (it never goes down),
 *                 y_{n-1} > y_0, and the least-squares line through (t_i, y_i) has R² >= 0.9.
 * The slope of that line is reported in bytes per minute, with R² and the share of steps that
 * went up, so that a user can tell a steady leak from a one-off jump. */
#ifndef VMMAP_MODEL_TIMELINE_H
#define VMMAP_MODEL_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"
#include "snapshot.h"

#define VM_GROWTH_MIN_SAMPLES 3
#define VM_GROWTH_MIN_R2 0.9

/* The growth analysis of one series. */
typedef struct vm_growth {
    size_t n;           /* samples in the series */
    double span_min;    /* minutes from the first sample to the last */
    double first, last; /* values at the first and last sample */
    double slope;       /* least-squares slope per minute; 0 when span_min is 0 or n < 2 */
    double r2;          /* R² of that fit; 0 when undefined (constant series, no time span) */
    size_t steps;       /* n - 1 */
    size_t steps_up;    /* steps with y_{i+1} > y_i */
    size_t steps_down;  /* steps with y_{i+1} < y_i */
    bool flagged;       /* only goes up, steadily: see above */
} vm_growth;

/* Computes the analysis of y at times t (seconds, any origin, sorted); n may be 0. */
void vm_growth_compute(const double *t, const double *y, size_t n, vm_growth *out);

/* One heap's value in one sample. */
typedef struct vm_tl_heapval {
    size_t heap;        /* index into vm_timeline.heaps */
    uint64_t committed; /* sum of its parts' committed bytes */
    bool walked;        /* the snapshot has the heap's block walk (--heap-blocks) */
    uint64_t busy;      /* its busy bytes then */
} vm_tl_heapval;

/* One snapshot, reduced. */
typedef struct vm_tl_row {
    char *taken_at;     /* as in the snapshot */
    double time;        /* seconds since 1970 (from taken_at) */
    size_t order;       /* the order it was added in */
    char *source;       /* file it came from (NULL when added from memory) */
    size_t line;        /* line of a .jsonl file (1-based); 0 for a whole file */
    int64_t pid;
    uint64_t committed[VM_KIND_COUNT]; /* Page Table from the snapshot's page_table */
    uint32_t known;     /* bit (1u << kind) set when committed[kind] is known */
    uint64_t total;     /* every kind except Free (as the summary's Total) */
    bool total_known;
    uint64_t threads;
    vm_tl_heapval *heaps;
    size_t nheaps;
} vm_tl_row;

/* A heap seen in at least one sample, with its series once the timeline is finished. */
typedef struct vm_tl_heap {
    char *kind;         /* "glibc arena", "NT", ... (NULL when the snapshot had none) */
    uint64_t address;
    bool address_unknown; /* null: named by its kind alone when it has none (glibc mmap chunks),
                             "(address unknown)" when the source did not find it; never 0x0 */
    uint64_t *committed; /* per row (after vm_timeline_finish) */
    bool *present;       /* per row: was the heap in that sample */
    vm_growth growth;    /* over the samples it was present in */
    /* Busy bytes, from the samples that walked the heap's blocks (watch --heap-blocks): a heap
     * whose busy bytes only grow is a leak even when its committed memory stays put. */
    uint64_t *busy;      /* per row */
    bool *walked;        /* per row */
    size_t nwalked;      /* rows that walked it */
    vm_growth busy_growth;
} vm_tl_heap;

/* A heap's name in series titles: "glibc arena 0x7f12a0000030", "glibc main arena (address
 * unknown)". */
void vm_timeline_heap_name(const vm_tl_heap *h, char *buf, size_t len);

/* The series a timeline analyses besides heaps: each kind, Total, Threads. */
enum { VM_TL_TOTAL = VM_KIND_COUNT, VM_TL_THREADS, VM_TL_SERIES };

typedef struct vm_timeline {
    vm_tl_row *rows;
    size_t nrows;
    vm_tl_heap *heaps;
    size_t nheaps;
    char *process_name; /* of the first snapshot added */
    int64_t pid;        /* of the first snapshot added */
    bool mixed_pids;    /* samples of more than one process */
    bool finished;
    vm_growth growth[VM_TL_SERIES]; /* per kind, Total, Threads (after vm_timeline_finish) */
    size_t torn_lines;  /* torn final lines of .jsonl files that were skipped */
} vm_timeline;

vm_timeline *vm_timeline_new(void);
void vm_timeline_free(vm_timeline *tl);

/* Reduces one snapshot into a row.  Needs taken_at (RFC 3339, UTC or with an offset, optional
 * fraction); otherwise fails with VM_EXIT_BAD_INPUT naming source.  source/line are kept so the
 * snapshot can be read again (vm_timeline_reload); source may be NULL. */
int vm_timeline_add(vm_timeline *tl, const vm_snapshot *s, const char *source, size_t line,
                    vm_error *err);

/* Reading series of snapshots into a timeline (vm_timeline_load, vm_timeline_reload): series/series.h. */

/* Sorts the rows (taken_at, then order), builds the heap series and the growth analysis. */
void vm_timeline_finish(vm_timeline *tl);

/* The value of series k (a kind, VM_TL_TOTAL or VM_TL_THREADS) in row r; false when unknown. */
bool vm_timeline_value(const vm_tl_row *r, int k, double *out);
/* "Heap", "Total", "Threads". */
const char *vm_timeline_series_name(int k);

/* Parses RFC 3339 ("2026-11-22T03:00:00Z", "...T03:00:00.250+01:00") to seconds since 1970. */
bool vm_parse_rfc3339(const char *s, double *out);

#endif
