/* Reading a live Linux process's memory: process_vm_readv, falling back to /proc/PID/mem.
 *
 * Only pages that are there are read.  Reading a page the target does not have in memory makes
 * the kernel put one there (an anonymous page gets the zero page or a new page, a file or special
 * mapping such as [vdso] gets its page table entry, a swapped-out page is swapped in), which
 * changes the very counters vmmap reports.  So /proc/PID/pagemap is asked first: a present page
 * is read; a page neither present nor swapped in a readable private anonymous mapping (the
 * layout, vm_linux_memreader_set_layout) reads as the zeros it holds, without reading; any other
 * page of a readable mapping that is not present stops the read there, like an unreadable page
 * (counted: not_there); a page not present outside the readable mappings is unreadable (a failed
 * read, as process_vm_readv would fail there: /proc/PID/mem would fault a PROT_NONE page in). */
#ifndef VMMAP_SOURCES_LINUX_MEMREADER_H
#define VMMAP_SOURCES_LINUX_MEMREADER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../parse/memreader.h"
#include "../linux_model/proc_maps.h"
#include "../linux_model/proc_pagemap.h"

#define VM_LINUX_MEM_WINDOW 512 /* pagemap entries asked at once: 2 MiB of address space */

/* A mapping as the reader needs it: whether a page not there reads as zeros (a readable private
 * anonymous mapping), is in memory elsewhere (a file, shared or special mapping: other), or
 * cannot be read at all (not readable, PROT_NONE). */
enum { VM_LINUX_AREA_ZEROS, VM_LINUX_AREA_OTHER, VM_LINUX_AREA_UNREADABLE };
typedef struct vm_linux_area {
    uint64_t start, end;
    int kind;
} vm_linux_area;

typedef struct vm_linux_mem {
    int pid;
    int mem_fd;          /* /proc/PID/mem, opened on first fallback; -1 until then */
    bool vm_readv_works; /* false after process_vm_readv said EPERM/ENOSYS */
    bool mem_unavailable; /* opening /proc/PID/mem failed once: do not retry on every read */
    uint64_t reads, failed_reads, bytes;
    int last_errno;
    /* Which pages are there (see above). */
    vm_linux_pagemap pm;
    bool unguarded;       /* pagemap cannot be opened: reads go ahead unasked (guard_errno) */
    int guard_errno;
    struct vm_linux_area *areas; /* the mappings, by address */
    size_t nareas;
    uint64_t win_vpn;     /* pagemap entries of pages [win_vpn, win_vpn + win_n) */
    size_t win_n;
    uint64_t win[VM_LINUX_MEM_WINDOW];
    /* Reads that stopped at a page not there: swapped out, or another page not in memory (a
     * file, shared or special mapping's); pages given as zeros without reading. */
    uint64_t not_there_swapped, not_there_unmapped, zero_pages;
} vm_linux_mem;

/* Never fails: problems show up as short reads and in failed_reads / last_errno. */
vm_memreader vm_linux_memreader_open(vm_linux_mem *m, int pid);
/* The mappings of the process (for which pages not present read as zeros); replaces the last. */
void vm_linux_memreader_set_layout(vm_linux_mem *m, const vm_linux_maps *maps);
/* Clears the counters (reads, failures, pages not there): a pass thrown away. */
void vm_linux_memreader_reset_counts(vm_linux_mem *m);
void vm_linux_memreader_close(vm_linux_mem *m);

#endif
