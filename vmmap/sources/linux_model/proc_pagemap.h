/* /proc/PID/pagemap: one 64-bit entry per virtual page (Documentation/admin-guide/mm/pagemap.rst):
 * bit 63 present, bit 62 swapped (or another non-present entry: migration, a guard marker), bit
 * 61 file page or shared anonymous, bit 56 exclusively mapped (one mapper: private in smaps'
 * words, since Linux 4.2), bits 0-54 the page frame number (0 without CAP_SYS_ADMIN).  Readable
 * with the same access as smaps.  Used to count pages in part of a mapping, where smaps has only
 * the whole mapping's totals, and to know which pages are there before reading target memory.
 *
 * The shared zero page.  A private anonymous page that was only read maps the kernel's zero page:
 * pagemap says present, but smaps does not count it in Rss, Pss or Private/Shared (its
 * vm_normal_page is NULL), so a count of pages that smaps would count leaves it out.  Such an
 * entry is present, not exclusive, not a file page; which of those map the zero page is told by
 * PAGEMAP_SCAN's PAGE_IS_PFNZERO (Linux 6.7+, no privilege needed), else by the page frame
 * number (CAP_SYS_ADMIN: the zero page's own, learnt from a page of vmmap's, or
 * /proc/kpageflags' KPF_ZERO_PAGE, which also covers the huge zero page).  Without either they
 * cannot be told from anonymous pages shared with another process (after fork): counted as
 * present and shared, and said (zero_unknown). */
#ifndef VMMAP_SOURCES_LINUX_PROC_PAGEMAP_H
#define VMMAP_SOURCES_LINUX_PROC_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_PM_PRESENT (UINT64_C(1) << 63)
#define VM_PM_SWAPPED (UINT64_C(1) << 62)
#define VM_PM_FILE (UINT64_C(1) << 61)
#define VM_PM_EXCLUSIVE (UINT64_C(1) << 56)
#define VM_PM_PFN_MASK ((UINT64_C(1) << 55) - 1)

/* How pages mapping the zero page are told apart (proc_pagemap.c). */
enum { VM_PM_ZERO_UNDECIDED, VM_PM_ZERO_SCAN, VM_PM_ZERO_PFN, VM_PM_ZERO_NONE };

typedef struct vm_linux_pagemap {
    int pid;
    int fd;      /* -1 until first used */
    int error;   /* errno of the failed open or read; 0 while it works */
    int zero_method;       /* VM_PM_ZERO_*: decided when first needed */
    uint64_t zero_pfn;     /* VM_PM_ZERO_PFN: the zero page's frame */
    uint64_t huge_zero_pfn; /* and the huge zero page's first frame, once met (0: not yet) */
    int kpageflags_fd;     /* -1: not open (or not readable) */
    uint64_t zero_unknown; /* present pages counted that may map the zero page: not told apart */
} vm_linux_pagemap;

typedef struct vm_linux_page_counts {
    /* present: pages smaps counts in Rss (the zero page left out); exclusive: of those, mapped by
     * this process only; zero: present entries that map the zero page (in no smaps figure) */
    uint64_t present, swapped, exclusive, zero;
} vm_linux_page_counts;

void vm_linux_pagemap_init(vm_linux_pagemap *pm, int pid);
/* Counts the pages of [start, end) (page-aligned).  False (pm->error says why) when pagemap
 * cannot be read; once failed, later calls fail at once. */
bool vm_linux_pagemap_count(vm_linux_pagemap *pm, uint64_t start, uint64_t end, uint64_t page,
                            vm_linux_page_counts *out);
/* What each of npages pages from start (page-aligned) is: state[i] = 1 present, 2 swapped out,
 * 0 neither (VM_GLIBC_PAGE_* values).  False (pm->error says why) when pagemap cannot be read. */
bool vm_linux_pagemap_states(vm_linux_pagemap *pm, uint64_t start, size_t npages, uint64_t page, uint8_t *state);
/* The raw entries (VM_PM_* bits) of npages pages from start (page-aligned).  False (pm->error
 * says why) when they cannot be read. */
bool vm_linux_pagemap_entries(vm_linux_pagemap *pm, uint64_t start, size_t npages, uint64_t page, uint64_t *entries);
void vm_linux_pagemap_close(vm_linux_pagemap *pm);

#endif
