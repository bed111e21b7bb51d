/* glibc malloc, seen from outside: arenas, their heaps, and mmap'd chunks.
 *
 * Works over a vm_memreader and a plain list of mappings, so it serves a live process, a core
 * file or a test's synthetic memory image alike.  Target memory is untrusted: every heap_info and
 * malloc_state read is validated (linux-internals.md §4) and every list walk is bounded; what
 * does not validate is skipped with a warning, never followed. */
#ifndef VMMAP_PARSE_GLIBC_HEAP_H
#define VMMAP_PARSE_GLIBC_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "memreader.h"

/* A mapping as the walker needs it. */
typedef struct vm_glibc_range {
    uint64_t start, end;
    bool r, w, x;
    bool anon_private;  /* no file, not shared */
    bool is_brk_heap;   /* "[heap]" */
    bool in_libc_data;  /* writable mapping of libc.so (where main_arena lives) */
    bool start_unbacked; /* its first page is neither resident nor swapped out (a live process's
                            pagemap says so): it reads as zeros, so no mmapped chunk starts there
                            and its header need not be read (nor faulted in, in the target) */
} vm_glibc_range;

typedef struct vm_glibc_arena_heap {
    uint64_t base;           /* heap_info address, 64 MiB aligned */
    uint64_t size;           /* heap_info.size: bytes in use */
    uint64_t mprotect_size;  /* bytes made read/write */
    uint64_t reserved;       /* mapping span up to base + HEAP_MAX_SIZE as seen in the maps */
} vm_glibc_arena_heap;

typedef struct vm_glibc_arena {
    uint64_t address;        /* malloc_state */
    bool is_main;
    uint64_t top;
    uint64_t system_mem;
    bool system_mem_known;
    vm_glibc_arena_heap *heaps;  /* non-main arenas only; index 0 is the first heap */
    size_t nheaps;
} vm_glibc_arena;

typedef struct vm_glibc_chunk {  /* an mmap'd malloc chunk (IS_MMAPPED) */
    uint64_t address;        /* chunk header */
    uint64_t size;           /* whole mapping span of the chunk, page-rounded */
    uint64_t user_size;      /* usable bytes for the caller, approximately */
} vm_glibc_chunk;

typedef struct vm_glibc_heaps {
    uint64_t brk_start, brk_end;  /* [heap], 0 when absent */
    vm_glibc_arena *arenas; size_t narenas;  /* main arena first when known */
    vm_glibc_chunk *chunks; size_t nchunks;  /* by address */
    /* glibc's own account of its mmapped chunks, from malloc_par (mp_, static in malloc.c):
     * n_mmaps and mmapped_mem, what mallinfo2 reports as hblks and hblkhd.  malloc_par 0: not
     * found (then chunks inside merged mappings may be missed, and a warning says so). */
    uint64_t malloc_par;
    uint64_t n_mmaps, mmapped_mem;
    size_t probes;                /* page headers read looking for chunks inside mappings */
} vm_glibc_heaps;

/* What a page of the target is, for the search of mmapped chunks inside merged mappings: only
 * pages already there are read, so the search never faults in or creates a page. */
enum { VM_GLIBC_PAGE_ABSENT, VM_GLIBC_PAGE_PRESENT, VM_GLIBC_PAGE_SWAPPED };

#define VM_GLIBC_PROBE_LIMIT ((size_t)1 << 20)  /* page headers read, at most, per search */

typedef struct vm_glibc_find_opts {
    uint64_t main_arena;  /* from libc's symbols, else 0 (found through the arenas or by shape) */
    uint64_t malloc_par;  /* mp_ from libc's symbols, else 0 (found by shape in libc's data) */
    /* Fills state[i] (VM_GLIBC_PAGE_*) for the npages pages from start; false when it cannot
     * tell (those pages are not read).  NULL: every page is read as far as the reader allows
     * (a core: the dumped pages). */
    bool (*pages)(void *ctx, uint64_t start, size_t npages, uint8_t *state);
    void *pages_ctx;
    size_t probe_limit;   /* 0: VM_GLIBC_PROBE_LIMIT */
} vm_glibc_find_opts;

/* Finds the heaps.  ranges sorted by address.  main_arena: its address if known (from libc's
 * symbols), else 0 (then it is found through the non-main arenas' next links, when any exist).
 * Warnings (code "heap-invalid", "heap-chunks", "read-failed") go to snap.  Returns false only
 * on OOM.  vm_glibc_find_heaps is vm_glibc_find_heaps_ex with only main_arena set. */
bool vm_glibc_find_heaps(const vm_memreader *mem, const vm_glibc_range *ranges, size_t nranges,
                         uint64_t main_arena, vm_glibc_heaps *out, vm_snapshot *snap);
bool vm_glibc_find_heaps_ex(const vm_memreader *mem, const vm_glibc_range *ranges, size_t nranges,
                            const vm_glibc_find_opts *opts, vm_glibc_heaps *out, vm_snapshot *snap);
void vm_glibc_heaps_free(vm_glibc_heaps *h);

/* glibc's thread list, read without stopping the target (linux-internals.md §3): from
 * _rtld_global's _dl_stack_used / _dl_stack_user heads, with offsets taken from libc's
 * _thread_db_* descriptors.  Each entry: the thread's TID and its struct pthread address (which
 * lies at the top of its stack block). */
typedef struct vm_glibc_thread {
    uint64_t tid;
    uint64_t descriptor;
} vm_glibc_thread;

typedef struct vm_glibc_thread_db {
    /* Runtime addresses (load bias added) of the symbols the walk needs; 0 when unknown. */
    uint64_t rtld_global;              /* ld.so _rtld_global */
    uint64_t td_dl_stack_used;         /* libc _thread_db_rtld_global__dl_stack_used  */
    uint64_t td_dl_stack_user;         /* libc _thread_db_rtld_global__dl_stack_user  */
    uint64_t td_pthread_list;          /* libc _thread_db_pthread_list */
    uint64_t td_pthread_tid;           /* libc _thread_db_pthread_tid */
} vm_glibc_thread_db;

bool vm_glibc_list_threads(const vm_memreader *mem, const vm_glibc_thread_db *db,
                           vm_glibc_thread **out, size_t *n, vm_snapshot *snap);

#endif
