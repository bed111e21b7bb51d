/* What changed between two snapshots of an address space: per-type deltas of every summary
 * column, allocations added / removed / grown / shrunk / changed in protection or type, heaps
 * grown or shrunk (with their parts added and freed), threads started and ended, modules loaded
 * and unloaded.  Pure and platform-neutral: it reads two vm_snapshot and builds plain data.
 *
 * The diff is self-contained: it copies what it shows (strings included), so both snapshots may
 * be freed as soon as vm_diff_compute returns.  Its lists are sorted biggest change first.
 *
 * Input may be hostile (a hand-edited JSON): every delta is computed without overflow and
 * saturates at INT64_MIN / INT64_MAX; nothing assumes regions are sorted, unique or sane.
 * Cost: O(n log n) in the number of regions, blocks, heap parts, threads and modules. */
#ifndef VMMAP_MODEL_DIFF_H
#define VMMAP_MODEL_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* ---- what happened to one thing -------------------------------------------------------------- */

typedef enum vm_diff_change {
    VM_DIFF_ADDED,      /* only in the new snapshot (threads: started; modules: loaded) */
    VM_DIFF_REMOVED,    /* only in the old snapshot (threads: ended; modules: unloaded) */
    VM_DIFF_GROWN,      /* committed grew (or, committed unknown / unchanged, size grew) */
    VM_DIFF_SHRUNK,     /* committed shrank (or size shrank) */
    VM_DIFF_PROTECTION, /* same size and committed, some page's protection changed */
    VM_DIFF_TYPE,       /* same allocation base, another type (e.g. Private Data -> Heap) */
    VM_DIFF_CHANGED,    /* heaps only: same committed and size, parts added or freed */
    VM_DIFF_CHANGE_COUNT
} vm_diff_change;

/* Bits of vm_diff_region.flags: every change that applies (the `what` above is the main one). */
enum {
    VM_DIFF_F_SIZE = 0x01,       /* allocation size changed */
    VM_DIFF_F_COMMITTED = 0x02,  /* committed bytes changed */
    VM_DIFF_F_PROTECTION = 0x04, /* some page's protection changed */
    VM_DIFF_F_TYPE = 0x08,       /* the type (vm_kind) changed */
    VM_DIFF_F_MOVED = 0x10,      /* an image / mapped file matched by path at another address */
    VM_DIFF_F_START = 0x20,      /* the start moved, the end stayed: grown or shrunk at its low end */
};

/* "added", "removed", "grown", "shrunk", "protection", "type", "changed". */
const char *vm_diff_change_name(vm_diff_change c);
/* The same words for threads ("started", "ended") and modules ("loaded", "unloaded"). */
const char *vm_diff_thread_change_name(vm_diff_change c);
const char *vm_diff_module_change_name(vm_diff_change c);

/* new - old as a signed delta, saturated to [INT64_MIN, INT64_MAX] (never overflows). */
int64_t vm_diff_delta(uint64_t old_value, uint64_t new_value);
/* |delta| as unsigned (|INT64_MIN| included). */
uint64_t vm_diff_magnitude(int64_t delta);

/* ---- per-type deltas (the summary table, old vs new) ----------------------------------------- */

/* The summary columns, in VMMap's order: Size, the counters (Committed .. Swap), Blocks, Largest. */
typedef enum vm_diff_col {
    VM_DCOL_SIZE,
    VM_DCOL_COUNTER0, /* + vm_counter */
    VM_DCOL_BLOCKS = VM_DCOL_COUNTER0 + VM_C_COUNT,
    VM_DCOL_LARGEST,
    VM_DCOL_COUNT
} vm_diff_col;

/* "Size", "Committed", ..., "Blocks", "Largest"; and the JSON keys "size", "committed", ... */
const char *vm_diff_col_title(vm_diff_col c);
const char *vm_diff_col_key(vm_diff_col c);
/* Blocks is a count; every other column is bytes. */
bool vm_diff_col_is_bytes(vm_diff_col c);

typedef struct vm_diff_value {
    uint64_t old_value, new_value;
    int64_t delta; /* new - old, saturated; 0 when !known */
    bool known;    /* both sides known (an unknown side makes the delta unknown, never 0) */
} vm_diff_value;

typedef struct vm_diff_row {
    vm_diff_value col[VM_DCOL_COUNT];
} vm_diff_row;

/* ---- allocations ----------------------------------------------------------------------------- */

/* One side of a matched (or unmatched) allocation. */
typedef struct vm_diff_side {
    bool present;          /* false: the allocation is not in this snapshot */
    uint64_t address;      /* allocation base */
    uint64_t size;
    uint64_t committed;    /* sum of its blocks' committed bytes */
    bool committed_known;  /* every block knew its committed bytes */
    uint64_t private_bytes;
    bool private_known;
    uint64_t blocks;
    vm_kind kind;
    uint32_t protection;   /* VM_PROT_*: the first committed block's, or the first changed one's */
    size_t index;          /* index into that snapshot's regions; SIZE_MAX when !present */
} vm_diff_side;

typedef struct vm_diff_region {
    vm_diff_change what;    /* ADDED, REMOVED, GROWN, SHRUNK, PROTECTION or TYPE */
    uint32_t flags;         /* VM_DIFF_F_* */
    vm_diff_side before, after;
    int64_t size_delta;      /* after.size - before.size (an absent side counts as 0), saturated */
    int64_t committed_delta; /* the same for committed; 0 when !committed_known */
    bool committed_known;    /* every present side knew its committed bytes */
    char *path;              /* the backing file or pseudo-name, NULL when none */
    char *details;           /* for people: "Read/Write -> Read", "moved from 0x7f...", ... */
} vm_diff_region;

/* The type a change is filed under (the new side's, else the old side's). */
vm_kind vm_diff_region_kind(const vm_diff_region *r);

/* ---- heaps ------------------------------------------------------------------------------------ */

typedef struct vm_diff_part {
    uint64_t address;
    uint64_t size;      /* reserved bytes */
    uint64_t committed;
    char *what;         /* "segment 2", "large block", ... (copied) */
} vm_diff_part;

typedef struct vm_diff_heap_side {
    bool present;
    int32_t id;         /* vm_heap.id in that snapshot */
    uint64_t address;
    uint64_t size;      /* sum of parts' reserved bytes */
    uint64_t committed; /* sum of parts' committed bytes */
    size_t nparts;
    bool address_unknown;
    bool walked;        /* the snapshot has the heap's block walk (--heap-blocks, vmmap heaps) */
    uint64_t busy_blocks, busy_bytes, free_blocks, free_bytes, cached_bytes; /* when walked */
} vm_diff_heap_side;

/* A heap that changed.  Heaps are matched by kind + address; "glibc main arena" by kind alone
 * (its malloc_state moves with the libc load address).  Parts are matched by address. */
typedef struct vm_diff_heap {
    vm_diff_change what;    /* ADDED, REMOVED, GROWN, SHRUNK or CHANGED */
    char *kind;             /* "glibc main arena", "NT", ... (copied; "?" when absent) */
    vm_diff_heap_side before, after;
    int64_t committed_delta;
    int64_t size_delta;
    /* New - old busy and free bytes, when both sides were walked (walked_both): a heap whose
     * busy bytes grow inside the same committed memory is "changed". */
    bool walked_both;
    int64_t busy_delta, free_delta;
    vm_diff_part *parts_added; size_t nparts_added; /* in the new heap only */
    vm_diff_part *parts_freed; size_t nparts_freed; /* in the old heap only */
} vm_diff_heap;

/* ---- threads and modules --------------------------------------------------------------------- */

typedef struct vm_diff_thread {
    vm_diff_change what;     /* ADDED (started) or REMOVED (ended) */
    uint64_t tid;
    char *name;              /* copied; NULL when absent */
    uint64_t stack_base;
    uint64_t stack_reserved; /* stack_base - reserve_base (or - stack_limit); 0 when unknown */
    uint64_t stack_committed;/* stack_base - stack_limit; 0 when unknown */
} vm_diff_thread;

typedef struct vm_diff_module {
    vm_diff_change what;     /* ADDED (loaded) or REMOVED (unloaded) */
    char *path;              /* copied */
    uint64_t base;
    uint64_t size;
} vm_diff_module;

/* ---- C++ objects (the object census of both snapshots) -------------------------------------- */

/* A type whose objects changed.  Types are matched by class name and module path (a vtable's
 * address moves between runs; one class has one vtable per module). */
typedef struct vm_diff_object {
    vm_diff_change what;     /* ADDED, REMOVED, GROWN or SHRUNK (by count, then bytes) */
    char *type, *module;     /* copied; module NULL when absent */
    uint64_t old_count, new_count;
    int64_t count_delta;     /* saturated */
    uint64_t old_bytes, new_bytes;
    int64_t bytes_delta;     /* saturated */
    bool estimated;          /* either side's bytes are partly estimated */
} vm_diff_object;

/* ---- the whole diff --------------------------------------------------------------------------- */

typedef struct vm_diff_process {
    int64_t pid;
    char *name, *exe, *taken_at, *source; /* copied; NULL when absent */
    int bits;
    size_t nregions;
} vm_diff_process;

typedef struct vm_diff {
    vm_diff_process before, after;
    bool different_process;  /* pid or exe differ: allowed, but the results mix two programs */
    char *warning;           /* for people, when different_process; NULL otherwise */

    vm_diff_row kind[VM_KIND_COUNT]; /* per type, VMMap's order */
    vm_diff_row total;               /* as the summary's Total (every type but Free) */

    vm_diff_region *regions; size_t nregions; /* biggest |committed change| first */
    vm_diff_heap *heaps;     size_t nheaps;   /* biggest |committed change| first */
    vm_diff_thread *threads; size_t nthreads; /* started first, then by stack size */
    vm_diff_module *modules; size_t nmodules; /* loaded first, then by size */
    /* The census: compared only when both snapshots carry one (objects_compared); otherwise
     * objects_note says which side lacks it (NULL when neither has one). */
    bool objects_compared;
    char *objects_note;
    vm_diff_object *objects; size_t nobjects; /* biggest |bytes change| first */
} vm_diff;

/* Compares old_snap (before) with new_snap (after).  NULL only when out of memory. */
vm_diff *vm_diff_compute(const vm_snapshot *old_snap, const vm_snapshot *new_snap);
void vm_diff_free(vm_diff *d);

/* True when nothing changed: no allocation, heap, thread, module or C++ object type change.  (Working-set
 * columns move all the time; they show in the per-type deltas but do not count here.) */
bool vm_diff_is_empty(const vm_diff *d);

/* ---- filters (applied by the writers) --------------------------------------------------------- */

typedef struct vm_diff_filter {
    size_t top;          /* at most this many entries per list; 0 = all */
    uint32_t kinds;      /* bit (1u << vm_kind) per type to show; 0 = all.  Heaps need Heap,
                          * threads Stack, modules Image; the per-type table shows these rows. */
    uint64_t min_change; /* hide entries whose |committed change| (|size change| when committed
                          * is unknown; a thread's stack, a module's size) is below this */
} vm_diff_filter;

/* NULL filter means "show everything". */
bool vm_diff_kind_shown(const vm_diff_filter *f, vm_kind k);
bool vm_diff_region_shown(const vm_diff_filter *f, const vm_diff_region *r);
bool vm_diff_heap_shown(const vm_diff_filter *f, const vm_diff_heap *h);
bool vm_diff_thread_shown(const vm_diff_filter *f, const vm_diff_thread *t);
bool vm_diff_module_shown(const vm_diff_filter *f, const vm_diff_module *m);
/* Objects live in heaps: shown with the Heap type; --min-change applies to |bytes change|. */
bool vm_diff_object_shown(const vm_diff_filter *f, const vm_diff_object *o);

/* The magnitude the filters and the sort use for a region / heap change. */
uint64_t vm_diff_region_weight(const vm_diff_region *r);
uint64_t vm_diff_heap_weight(const vm_diff_heap *h);

/* Entries the writers show, in order, --top applied: the indexes into d's list go to idx (room
 * for the list's length); returns how many.  idx may be NULL to count only. */
size_t vm_diff_select_regions(const vm_diff *d, const vm_diff_filter *f, size_t *idx);
size_t vm_diff_select_heaps(const vm_diff *d, const vm_diff_filter *f, size_t *idx);
size_t vm_diff_select_threads(const vm_diff *d, const vm_diff_filter *f, size_t *idx);
size_t vm_diff_select_modules(const vm_diff *d, const vm_diff_filter *f, size_t *idx);
size_t vm_diff_select_objects(const vm_diff *d, const vm_diff_filter *f, size_t *idx);

/* --type LIST: comma-separated type names as vm_kind_parse takes them ("heap,stack,image").
 * Sets bits in *kinds; false on an unknown name or an empty list. */
bool vm_diff_parse_kinds(const char *list, uint32_t *kinds);

#endif
