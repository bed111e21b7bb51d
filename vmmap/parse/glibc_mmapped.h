/* glibc's mmapped chunks that do not start their mapping (inside glibc_heap.c's walk).
 *
 * The kernel merges adjacent anonymous mappings with equal flags into one VMA and places new
 * mappings top-down, so a chunk mapped earlier often sits in the middle or at the top of a VMA
 * whose lower part is a later mapping.  A walk from each VMA's start misses it.  glibc counts its
 * mmapped chunks itself (malloc_par: n_mmaps, mmapped_mem); when the walk found fewer, the page
 * starts of the mappings that may hold chunks are probed for chunk headers until the count and
 * the bytes add up.  Platform-neutral: no OS calls. */
#ifndef VMMAP_PARSE_GLIBC_MMAPPED_H
#define VMMAP_PARSE_GLIBC_MMAPPED_H

#include "glibc_heap.h"

/* glibc's malloc_par as far as the search needs it. */
typedef struct vm_glibc_malloc_par {
    uint64_t address;
    uint64_t n_mmaps, mmapped_mem;
    const char *layout;  /* "2.35+" or "2.26-2.34" */
} vm_glibc_malloc_par;

/* Whether the bytes at p (len of them) are a malloc_par under some layout glibc 2.26 .. 2.42
 * has (2.35+ tried first); brk_start/brk_end: [heap], 0 when absent. */
bool vm_glibc_malloc_par_fits(const uint8_t *p, size_t len, uint64_t brk_start, uint64_t brk_end,
                              vm_glibc_malloc_par *out);

/* Whether the page at addr is there to read without faulting it in (opts->pages; no callback:
 * yes).  vm_glibc_read_present: len bytes from start into buf, pages not there as zeros; returns
 * how many leading bytes were read or zeroed (less only where the reader fails). */
bool vm_glibc_page_present(const vm_glibc_find_opts *opts, uint64_t addr);
/* Whether opts->pages says the page at addr was never touched (neither resident nor swapped):
 * nothing was ever written there, and reading it would make the kernel map a page in the target. */
bool vm_glibc_page_absent(const vm_glibc_find_opts *opts, uint64_t addr);
size_t vm_glibc_read_present(const vm_memreader *mem, const vm_glibc_find_opts *opts, uint64_t start, uint8_t *buf,
                             size_t len);

/* Finds malloc_par: at symbol when not 0 (still checked), else by its shape in libc's writable
 * data (exactly one place must fit).  False when not found (said in a warning to snap, unless it
 * is NULL, when there is a reason to: a symbol that does not fit, several places that do). */
bool vm_glibc_find_malloc_par(const vm_memreader *mem, const vm_glibc_find_opts *opts, const vm_glibc_range *ranges,
                              size_t nranges, uint64_t symbol, uint64_t brk_start, uint64_t brk_end, vm_glibc_malloc_par *out,
                              vm_snapshot *snap);

/* Completes out->chunks (found by the walk from each mapping's start, sorted by address) with
 * the chunks inside ranges[i] for which eligible[i] holds, as glibc's count mp (the caller's
 * vm_glibc_find_malloc_par; NULL when not found) says, and sorts them.  Sets out->malloc_par,
 * n_mmaps, mmapped_mem and probes.  Warnings: code "heap-chunks".  False only when out of memory. */
bool vm_glibc_complete_chunks(const vm_memreader *mem, const vm_glibc_range *ranges, size_t nranges,
                              const bool *eligible, const vm_glibc_find_opts *opts, const vm_glibc_malloc_par *mp,
                              vm_glibc_heaps *out, vm_snapshot *snap);

#endif
