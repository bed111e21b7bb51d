/* The Linux steps (sources/linux_model/linux_capture.h) may ask a live Linux process's pagemap which of
 * its pages are there (proc_pagemap.h).  A Windows build reads Linux processes only from files
 * (cores, Linux minidumps), which have no pagemap, and the steps never ask offline; should they,
 * the answer is that pagemap cannot be read (ENOSYS), which they take as "not known", as on
 * Linux when /proc/PID/pagemap is unreadable. */
#include <errno.h>
#include <string.h>

#include "../linux_model/proc_pagemap.h"

void vm_linux_pagemap_init(vm_linux_pagemap *pm, int pid)
{
    memset(pm, 0, sizeof *pm);
    pm->pid = pid;
    pm->fd = pm->kpageflags_fd = -1;
    pm->error = ENOSYS;
}

bool vm_linux_pagemap_count(vm_linux_pagemap *pm, uint64_t start, uint64_t end, uint64_t page,
                            vm_linux_page_counts *out)
{
    (void)start;
    (void)end;
    (void)page;
    memset(out, 0, sizeof *out);
    pm->error = ENOSYS;
    return false;
}

void vm_linux_pagemap_close(vm_linux_pagemap *pm)
{
    pm->fd = pm->kpageflags_fd = -1;
}

bool vm_linux_pagemap_entries(vm_linux_pagemap *pm, uint64_t start, size_t npages, uint64_t page, uint64_t *entries)
{
    (void)start;
    (void)npages;
    (void)page;
    (void)entries;
    pm->error = ENOSYS;
    return false;
}

bool vm_linux_pagemap_states(vm_linux_pagemap *pm, uint64_t start, size_t npages, uint64_t page, uint8_t *state)
{
    (void)start;
    (void)npages;
    (void)page;
    (void)state;
    pm->error = ENOSYS;
    return false;
}
