/* /proc/PID/pagemap: one 64-bit entry per virtual page (Documentation/admin-guide/mm/pagemap.rst):
 * bit 63 present, bit 62 swapped, bit 56 exclusively mapped (one mapper: private in smaps' words,
 * since Linux 4.2).  Readable with the same access as smaps; the page frame numbers it also holds
 * need CAP_SYS_ADMIN and are not used.  Used to count pages in part of a mapping, where smaps has
 * only the whole mapping's totals. */
#ifndef VMMAP_SOURCES_LINUX_PROC_PAGEMAP_H
#define VMMAP_SOURCES_LINUX_PROC_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vm_linux_pagemap {
    int pid;
    int fd;      /* -1 until first used */
    int error;   /* errno of the failed open or read; 0 while it works */
} vm_linux_pagemap;

typedef struct vm_linux_page_counts {
    uint64_t present, swapped, exclusive; /* pages; exclusive counts present pages only */
} vm_linux_page_counts;

void vm_linux_pagemap_init(vm_linux_pagemap *pm, int pid);
/* Counts the pages of [start, end) (page-aligned).  False (pm->error says why) when pagemap
 * cannot be read; once failed, later calls fail at once. */
bool vm_linux_pagemap_count(vm_linux_pagemap *pm, uint64_t start, uint64_t end, uint64_t page,
                            vm_linux_page_counts *out);
/* What each of npages pages from start (page-aligned) is: state[i] = 1 present, 2 swapped out,
 * 0 neither (VM_GLIBC_PAGE_* values).  False (pm->error says why) when pagemap cannot be read. */
bool vm_linux_pagemap_states(vm_linux_pagemap *pm, uint64_t start, size_t npages, uint64_t page, uint8_t *state);
void vm_linux_pagemap_close(vm_linux_pagemap *pm);

#endif
