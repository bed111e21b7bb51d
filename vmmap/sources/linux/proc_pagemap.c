#include "../linux_model/proc_pagemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAPPED (UINT64_C(1) << 62)
#define PM_EXCLUSIVE (UINT64_C(1) << 56)
#define BATCH 4096 /* entries per read: 32 KiB */

void vm_linux_pagemap_init(vm_linux_pagemap *pm, int pid)
{
    pm->pid = pid;
    pm->fd = -1;
    pm->error = 0;
}

static bool open_pagemap(vm_linux_pagemap *pm)
{
    if (pm->fd >= 0)
        return true;
    if (pm->error)
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/pagemap", pm->pid);
    pm->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (pm->fd < 0)
        pm->error = errno ? errno : EIO;
    return pm->fd >= 0;
}

/* Up to want entries from virtual page vpn on (EINTR retried); how many, 0 with pm->error set. */
static size_t read_entries(vm_linux_pagemap *pm, uint64_t vpn, size_t want, uint64_t *entries)
{
    if (vpn > (uint64_t)INT64_MAX / sizeof *entries) {
        pm->error = EOVERFLOW;
        return 0;
    }
    for (;;) {
        ssize_t got = pread(pm->fd, entries, want * sizeof *entries, (off_t)(vpn * sizeof *entries));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || got % (ssize_t)sizeof *entries) {
            pm->error = got < 0 ? errno : EIO;
            return 0;
        }
        return (size_t)got / sizeof *entries;
    }
}

bool vm_linux_pagemap_count(vm_linux_pagemap *pm, uint64_t start, uint64_t end, uint64_t page,
                            vm_linux_page_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!page || start % page || end % page || end < start || !open_pagemap(pm))
        return false;
    uint64_t entries[BATCH];
    for (uint64_t vpn = start / page, last = end / page; vpn < last;) {
        size_t n = read_entries(pm, vpn, last - vpn < BATCH ? (size_t)(last - vpn) : BATCH, entries);
        if (!n)
            return false;
        for (size_t i = 0; i < n; i++) {
            uint64_t e = entries[i];
            if (e & PM_PRESENT) {
                out->present++;
                out->exclusive += (e & PM_EXCLUSIVE) != 0;
            } else if (e & PM_SWAPPED) {
                out->swapped++;
            }
        }
        vpn += n;
    }
    return true;
}

bool vm_linux_pagemap_states(vm_linux_pagemap *pm, uint64_t start, size_t npages, uint64_t page, uint8_t *state)
{
    if (!page || start % page || !open_pagemap(pm))
        return false;
    uint64_t entries[BATCH];
    for (size_t done = 0; done < npages;) {
        size_t n = read_entries(pm, start / page + done, npages - done < BATCH ? npages - done : BATCH, entries);
        if (!n)
            return false;
        for (size_t i = 0; i < n; i++)
            state[done + i] = entries[i] & PM_PRESENT ? 1 : entries[i] & PM_SWAPPED ? 2 : 0;
        done += n;
    }
    return true;
}

void vm_linux_pagemap_close(vm_linux_pagemap *pm)
{
    if (pm->fd >= 0)
        close(pm->fd);
    pm->fd = -1;
}
