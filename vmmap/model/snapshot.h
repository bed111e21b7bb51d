/* The snapshot model: everything vmmap knows about one address space at one moment.
 *
 * Every source (live Linux, live Windows, minidump, a saved JSON file) ends in this model, and
 * every output (text, JSON, xlsx, csv, diff) starts from it, so a snapshot taken on one platform
 * can be shown, reported or compared on another.  The model is plain data: arrays owned by the
 * snapshot, strings malloc'd (NULL means "absent"), freed by vm_snapshot_free. */
#ifndef VMMAP_MODEL_SNAPSHOT_H
#define VMMAP_MODEL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../util/compiler.h"

#define VM_SNAPSHOT_FORMAT "vmmap-snapshot"
#define VM_SNAPSHOT_VERSION 2

/* VMMap's memory types, in VMMap's order. */
typedef enum vm_kind {
    VM_KIND_IMAGE,
    VM_KIND_MAPPED_FILE,
    VM_KIND_SHAREABLE,
    VM_KIND_HEAP,
    VM_KIND_MANAGED_HEAP,
    VM_KIND_STACK,
    VM_KIND_PRIVATE_DATA,
    VM_KIND_PAGE_TABLE,
    VM_KIND_UNUSABLE,
    VM_KIND_FREE,
    VM_KIND_COUNT
} vm_kind;

typedef enum vm_state { VM_STATE_COMMIT, VM_STATE_RESERVE, VM_STATE_FREE, VM_STATE_COUNT } vm_state;

/* What backs the memory (Windows MEMORY_BASIC_INFORMATION.Type; Linux: file/anon + shared). */
typedef enum vm_memtype {
    VM_MEMTYPE_NONE,    /* free space */
    VM_MEMTYPE_PRIVATE, /* MEM_PRIVATE; Linux private anonymous */
    VM_MEMTYPE_MAPPED,  /* MEM_MAPPED; Linux file-backed or shared mappings */
    VM_MEMTYPE_IMAGE,   /* MEM_IMAGE; Linux ELF mapped by the loader */
    VM_MEMTYPE_COUNT
} vm_memtype;

/* Whether a mapping is shared with other processes or private (Linux: 's' or 'p' in
 * /proc/PID/maps, as pmap shows it).  Only a source that knows says it. */
typedef enum vm_sharing { VM_SHARING_UNKNOWN, VM_SHARING_PRIVATE, VM_SHARING_SHARED } vm_sharing;

/* Protection, platform-neutral.  Windows PAGE_* constants and Linux rwx map onto these bits. */
enum {
    VM_PROT_READ = 0x01,
    VM_PROT_WRITE = 0x02,
    VM_PROT_EXEC = 0x04,
    VM_PROT_COPY = 0x08,     /* PAGE_WRITECOPY: written pages become private */
    VM_PROT_GUARD = 0x10,    /* PAGE_GUARD */
    VM_PROT_NOCACHE = 0x20,  /* PAGE_NOCACHE */
    VM_PROT_WCOMBINE = 0x40, /* PAGE_WRITECOMBINE */
    VM_PROT_ALL = 0x7f
};

/* Per-block counters, in bytes.  VMMap's columns plus Linux's Pss and Swap.  A counter the source
 * could not obtain is "unknown" (its bit clear in known), which is not the same as zero. */
typedef enum vm_counter {
    VM_C_COMMITTED,
    VM_C_PRIVATE,
    VM_C_TOTAL_WS,
    VM_C_PRIVATE_WS,
    VM_C_SHAREABLE_WS,
    VM_C_SHARED_WS,
    VM_C_LOCKED_WS,
    VM_C_PSS,
    VM_C_SWAP,
    VM_C_COUNT
} vm_counter;

typedef struct vm_counters {
    uint64_t v[VM_C_COUNT];
    uint32_t known; /* bit (1u << vm_counter) set when v[] holds a real value */
} vm_counters;

#define VM_COUNTERS_ALL_KNOWN ((1u << VM_C_COUNT) - 1u)

/* One contiguous run of pages with the same state, protection and type. */
typedef struct vm_block {
    uint64_t address;
    uint64_t size;
    vm_state state;
    uint32_t protection; /* VM_PROT_* */
    vm_memtype memtype;
    uint8_t sharing;     /* vm_sharing */
    vm_kind kind;
    vm_counters counters;
    char *details; /* why the classifier chose this kind, for people */
    /* Structured links, for tools.  -1 / 0 / NULL when absent. */
    int32_t heap_id;     /* vm_heap.id */
    int32_t heap_part;   /* index into that heap's parts */
    uint64_t thread_id;  /* 0: none */
    int32_t module;      /* index into snapshot modules */
    char *path;          /* backing file, or pseudo-name such as "[heap]" */
} vm_block;

/* An allocation: Windows one AllocationBase; Linux the mappings that belong together. */
typedef struct vm_region {
    uint64_t address;
    uint64_t size;
    vm_kind kind;
    char *details;
    vm_block *blocks;
    size_t nblocks;
} vm_region;

typedef struct vm_heap_part {
    uint64_t address;
    uint64_t size;      /* reserved bytes */
    uint64_t committed; /* committed bytes, as far as known */
    char *what;         /* "segment 1", "large block", "arena heap 2", "brk heap" */
} vm_heap_part;

/* What a walk of every block of a heap found (parse/heap_blocks.h, model/heap_stats.h).  Block
 * sizes are the allocator's, header included; overhead is what the allocator keeps for itself
 * outside every block (heap and segment headers, an arena's malloc_state, fence posts, alignment
 * gaps), so busy + free + cached + overhead bytes = what the heap holds from the system as far as
 * it was walked (glibc: the arena's system_mem, malloc_info's "current"). */
typedef struct vm_heap_stats {
    uint64_t busy_blocks, busy_bytes;     /* in use by the program */
    uint64_t free_blocks, free_bytes;     /* free as the allocator counts it */
    uint64_t cached_blocks, cached_bytes; /* held by a front-end cache (glibc tcache) */
    uint64_t largest_free;                /* bytes of the largest free block, 0 when none */
    uint64_t overhead_bytes;
    double fragmentation; /* free bytes outside the largest free block, in % of free bytes (0 when
                             nothing is free) */
} vm_heap_stats;

/* One row of a heap's size table (WinDbg's `!heap -stat`): blocks of one allocator size. */
typedef struct vm_heap_size {
    uint64_t size;
    uint64_t busy, free, cached; /* block counts */
} vm_heap_size;

/* A module whose writable data refers to the heap (parse/heap_owner.h). */
typedef struct vm_heap_owner {
    int32_t module;   /* index into snapshot modules */
    uint64_t address; /* where: the pointer-sized reference, or the heap's own structure when it
                         lies inside the module (glibc's main_arena in libc's .data) */
} vm_heap_owner;

typedef struct vm_heap {
    int32_t id;
    uint64_t address;   /* heap handle / malloc_state address (0 with address_unknown) */
    /* No address to give (JSON null): none, for a kind that has no address of its own
     * (vm_heap_kind_has_no_address), or unknown: the source did not find it (said in a warning). */
    bool address_unknown;
    char *kind;         /* "glibc main arena", "glibc arena", "glibc mmap chunks", "NT", "segment", "Wine" */
    char *flags;        /* e.g. "growable" */
    char *heap_class;   /* e.g. "process heap", "private" */
    char *front_end;    /* "LFH", "lookaside"; NULL none (glibc: always) */
    uint64_t largest_free;
    bool largest_free_known;
    vm_heap_part *parts;
    size_t nparts;
    /* The block walk (absent unless asked for: vmmap heaps, snapshot --heap-blocks). */
    bool stats_known;      /* stats and sizes hold a walk's results */
    vm_heap_stats stats;
    vm_heap_size *sizes;   /* by size, ascending */
    size_t nsizes;
    char *walk_note;       /* why the heap was not walked, or what its walk could not count */
    bool owners_known;     /* the owner step ran on this heap */
    vm_heap_owner *owners;
    size_t nowners;
} vm_heap;

typedef struct vm_thread {
    uint64_t tid;
    char *name;
    uint64_t stack_base;     /* highest address + 1 (Windows StackBase) */
    uint64_t stack_limit;    /* lowest usable address (Windows StackLimit) */
    uint64_t reserve_base;   /* lowest address of the stack allocation (DeallocationStack) */
    uint64_t guard_address;  /* 0: no guard found */
    uint64_t guard_size;
    uint64_t teb;            /* 0: not applicable */
    uint64_t sp;             /* stack pointer when captured, 0: unknown */
    char *found_by;          /* how the stack was located, e.g. "syscall sp", "glibc thread list" */
} vm_thread;

typedef struct vm_section {
    char *name;
    uint64_t address;
    uint64_t size;
    uint32_t protection;
} vm_section;

typedef struct vm_module {
    char *path;
    uint64_t base;
    uint64_t size;
    vm_section *sections;
    size_t nsections;
} vm_module;

typedef struct vm_warning {
    char *code;     /* short stable word, e.g. "read-failed", "heap-invalid" */
    char *message;  /* one sentence for people */
} vm_warning;

/* Where the object census (model/census.h) found objects outside busy heap blocks (--all). */
typedef enum vm_object_where {
    VM_OBJ_STACK,        /* live part of a thread stack (from its stack pointer up) */
    VM_OBJ_PRIVATE_DATA, /* Private Data */
    VM_OBJ_IMAGE_DATA,   /* writable data of an image (.data, .bss) */
    VM_OBJ_WHERE_COUNT
} vm_object_where;

/* One C++ type of the census: the objects whose primary vptr is the address point `vtable`. */
typedef struct vm_object_type {
    char *type;               /* demangled (Itanium) or undecorated (MSVC) class name */
    char *module;             /* path of the module whose read-only data holds the vtable */
    uint64_t vtable;          /* the address point */
    char *abi;                /* "itanium" or "msvc" */
    uint64_t count;           /* objects in busy heap blocks */
    uint64_t bytes;           /* heap bytes they account for (see docs/snapshot-format.md) */
    uint64_t bytes_estimated; /* the part of bytes that is estimated (objects sharing a block) */
    int32_t *heaps;           /* vm_heap.id of the heaps holding them, ascending */
    size_t nheaps;
    uint64_t outside[VM_OBJ_WHERE_COUNT]; /* hits outside heap blocks (census.all only) */
} vm_object_type;

/* The census as a whole; present is false when none was taken. */
typedef struct vm_object_census {
    bool present;
    bool all;              /* stacks, private data and image data were scanned too */
    uint64_t busy_blocks;  /* busy heap blocks scanned */
    uint64_t busy_bytes;   /* their bytes (allocator block sizes) */
} vm_object_census;

typedef struct vm_process {
    int64_t pid;
    char *name;
    char *exe;
    char *cmdline;
    int bits; /* 32 or 64 */
} vm_process;

typedef struct vm_snapshot {
    char *tool_version;
    char *taken_at;   /* UTC, RFC 3339 */
    char *source;     /* "live-linux", "live-windows", "minidump" */
    char *host;
    char *os;         /* e.g. "Linux 6.1.0", "Windows 10.0.19045" */
    char *arch;       /* "x86_64", "x86", "arm64" */
    vm_process process;
    uint64_t page_size;
    uint64_t alloc_granularity;
    uint64_t user_top;  /* first address above the user address space */
    uint64_t page_table_bytes;
    bool page_table_known;

    vm_region *regions;   size_t nregions;
    vm_heap *heaps;       size_t nheaps;
    vm_thread *threads;   size_t nthreads;
    vm_module *modules;   size_t nmodules;
    vm_warning *warnings; size_t nwarnings;

    /* Optional: the C++ object census (vmmap objects, vmmap snapshot --objects). */
    vm_object_census census;
    vm_object_type *objects; size_t nobjects;
} vm_snapshot;

vm_snapshot *vm_snapshot_new(void);
void vm_snapshot_free(vm_snapshot *s);
/* Frees and zeroes everything a capture fills in (all but tool_version and taken_at): a capture
 * that gathered on a guess that turned out wrong starts over with this. */
void vm_snapshot_clear_captured(vm_snapshot *s);

/* Growing the arrays; each returns a zeroed element with links set to "none", or NULL when out of
 * memory.  Pointers returned are invalidated by the next add to the same array. */
vm_region *vm_snapshot_add_region(vm_snapshot *s);
vm_block *vm_region_add_block(vm_region *r);
vm_heap *vm_snapshot_add_heap(vm_snapshot *s);
vm_heap_part *vm_heap_add_part(vm_heap *h);
vm_heap_owner *vm_heap_add_owner(vm_heap *h);
/* Forgets a heap's walk results (stats, sizes, note), e.g. before walking it again. */
void vm_heap_clear_walk(vm_heap *h);
vm_thread *vm_snapshot_add_thread(vm_snapshot *s);
vm_module *vm_snapshot_add_module(vm_snapshot *s);
vm_section *vm_module_add_section(vm_module *m);
vm_object_type *vm_snapshot_add_object_type(vm_snapshot *s);
/* Adds heap id to t's ascending set; false when out of memory. */
bool vm_object_type_add_heap(vm_object_type *t, int32_t heap_id);
void vm_snapshot_clear_objects(vm_snapshot *s);
const char *vm_object_where_name(vm_object_where w);  /* "stack", "private_data", "image_data" */
const char *vm_object_where_title(vm_object_where w); /* "Stack", "Private Data", "Image data" */

/* Records a warning (printf-style message).  Never fails loudly: out of memory drops it.  s NULL:
 * nothing is recorded (a search made only to learn something, whose warnings come later). */
void vm_snapshot_warn(vm_snapshot *s, const char *code, const char *fmt, ...)
    VM_PRINTF(3, 4);

void vm_block_init(vm_block *b);
void vm_block_clear(vm_block *b);   /* frees strings, leaves struct reusable */
void vm_region_clear(vm_region *r);

/* Deep equality, used by the JSON round-trip tests; on mismatch writes the first difference's
 * path ("regions[3].blocks[0].size") to why. */
bool vm_snapshot_equal(const vm_snapshot *a, const vm_snapshot *b, char *why, size_t whylen);
/* The census part of it (model/objects.c). */
bool vm_objects_equal(const vm_snapshot *a, const vm_snapshot *b, char *why, size_t whylen);

/* Names.  vm_kind_name gives VMMap's words ("Private Data"); the parse functions accept those
 * words case-insensitively, plus short forms used on the command line ("private", "mapped"). */
const char *vm_kind_name(vm_kind k);
bool vm_kind_parse(const char *s, vm_kind *out);
const char *vm_state_name(vm_state st);       /* "commit", "reserve", "free" */
bool vm_state_parse(const char *s, vm_state *out);
const char *vm_memtype_name(vm_memtype t);    /* "", "private", "mapped", "image" */
bool vm_memtype_parse(const char *s, vm_memtype *out);
const char *vm_counter_name(vm_counter c);    /* JSON key: "committed", "total_ws", ... */
const char *vm_counter_title(vm_counter c);   /* column title: "Committed", "Total WS", ... */
/* Heap kinds without an address of their own: "glibc mmap chunks" (separate mappings that no
 * structure heads).  Their address is null ("none", shown "-"); every other null address is one
 * the source did not find ("unknown"). */
bool vm_heap_kind_has_no_address(const char *kind);

/* Protection as VMMap writes it: "Execute/Read", "Read/Write/Guard", "No access". */
void vm_prot_format(uint32_t prot, char *buf, size_t len);
bool vm_prot_parse(const char *s, uint32_t *out);

#endif
