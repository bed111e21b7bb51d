#include "../linux_model/proc_pagemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define BATCH 4096 /* entries per read: 32 KiB */

/* PAGEMAP_SCAN (include/uapi/linux/fs.h, Linux 6.7+; older headers lack it): the page ranges of
 * [start, end) whose categories match, without reading every entry. */
typedef struct pm_page_region {
    uint64_t start, end, categories;
} pm_page_region;

typedef struct pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
} pm_scan_arg;

#define PM_PAGEMAP_SCAN _IOWR('f', 16, pm_scan_arg)
#define PM_PAGE_IS_PFNZERO (UINT64_C(1) << 5)
#define KPF_ZERO_PAGE (UINT64_C(1) << 24) /* /proc/kpageflags (include/uapi/linux/kernel-page-flags.h) */
#define HUGE_ZERO_FRAMES 512              /* the huge zero page: one PMD of 4 KiB frames (x86-64) */
#define SCAN_REGIONS 64
#define MAX_SCAN_CALLS 100000 /* each call moves on; this only bounds a kernel that would not */

void vm_linux_pagemap_init(vm_linux_pagemap *pm, int pid)
{
    memset(pm, 0, sizeof *pm);
    pm->pid = pid;
    pm->fd = -1;
    pm->kpageflags_fd = -1;
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

/* Up to want entries of fd from virtual page vpn on (EINTR retried); how many, 0 with *error set. */
static size_t read_entries_fd(int fd, uint64_t vpn, size_t want, uint64_t *entries, int *error)
{
    if (vpn > (uint64_t)INT64_MAX / sizeof *entries) {
        *error = EOVERFLOW;
        return 0;
    }
    for (;;) {
        ssize_t got = pread(fd, entries, want * sizeof *entries, (off_t)(vpn * sizeof *entries));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || got % (ssize_t)sizeof *entries) {
            *error = got < 0 ? errno : EIO;
            return 0;
        }
        return (size_t)got / sizeof *entries;
    }
}

static size_t read_entries(vm_linux_pagemap *pm, uint64_t vpn, size_t want, uint64_t *entries)
{
    return read_entries_fd(pm->fd, vpn, want, entries, &pm->error);
}

/* ---- the zero page ---- */

/* Pages of [start, end) mapping the zero page (PAGEMAP_SCAN); false when the kernel cannot say. */
static bool scan_zero(vm_linux_pagemap *pm, uint64_t start, uint64_t end, uint64_t page, uint64_t *zero)
{
    pm_page_region vec[SCAN_REGIONS];
    memset(vec, 0, sizeof vec); /* the kernel fills it; tools that do not know the ioctl (valgrind) see it set */
    *zero = 0;
    uint64_t at = start;
    for (int calls = 0; at < end; calls++) {
        pm_scan_arg a = {.size = sizeof a, .start = at, .end = end, .vec = (uint64_t)(uintptr_t)vec,
                         .vec_len = SCAN_REGIONS, .category_mask = PM_PAGE_IS_PFNZERO,
                         .return_mask = PM_PAGE_IS_PFNZERO};
        long n = ioctl(pm->fd, PM_PAGEMAP_SCAN, &a);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || n > SCAN_REGIONS || calls >= MAX_SCAN_CALLS || a.walk_end <= at || a.walk_end > end)
            return false; /* not known to this kernel (ENOTTY before 6.7), or an answer that does not move on */
        for (long i = 0; i < n; i++)
            if (vec[i].start >= at && vec[i].end <= a.walk_end && vec[i].start < vec[i].end)
                *zero += (vec[i].end - vec[i].start) / page;
        at = a.walk_end;
    }
    return true;
}

static bool read_kpageflags(vm_linux_pagemap *pm, uint64_t pfn, uint64_t *flags)
{
    int error = 0;
    return pm->kpageflags_fd >= 0 && read_entries_fd(pm->kpageflags_fd, pfn, 1, flags, &error) == 1;
}

/* The zero page's frame, from a page of vmmap's own that is only read (needs CAP_SYS_ADMIN to be
 * seen), confirmed by kpageflags when it can be read. */
static bool learn_zero_pfn(vm_linux_pagemap *pm)
{
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0)
        return false;
    volatile char *p = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    uint64_t e = p[0]; /* a read fault: the zero page (the value used, or a tool may drop the load) */
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), error = 0;
    bool got = fd >= 0 && read_entries_fd(fd, (uint64_t)(uintptr_t)p / (uint64_t)ps, 1, &e, &error) == 1;
    if (fd >= 0)
        close(fd);
    munmap((void *)p, (size_t)ps);
    uint64_t pfn = e & VM_PM_PFN_MASK, flags = 0;
    if (!got || !(e & VM_PM_PRESENT) || pfn == 0)
        return false; /* no frame numbers without CAP_SYS_ADMIN */
    pm->kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
    if (pm->kpageflags_fd >= 0 && (!read_kpageflags(pm, pfn, &flags) || !(flags & KPF_ZERO_PAGE))) {
        close(pm->kpageflags_fd);
        pm->kpageflags_fd = -1;
        return false;
    }
    pm->zero_pfn = pfn;
    return true;
}

/* Test hook: VMMAP_TEST_ZERO_PAGE=scan, pfn or none allows only that way of telling zero-page
 * entries (none: no way, as on a kernel before 6.7 without CAP_SYS_ADMIN). */
static int zero_method(vm_linux_pagemap *pm, uint64_t page)
{
    if (pm->zero_method != VM_PM_ZERO_UNDECIDED)
        return pm->zero_method;
    const char *only = getenv("VMMAP_TEST_ZERO_PAGE");
    uint64_t zero;
    pm->zero_method = VM_PM_ZERO_NONE;
    if ((!only || strcmp(only, "scan") == 0) && scan_zero(pm, 0, page, page, &zero))
        pm->zero_method = VM_PM_ZERO_SCAN; /* address 0 is never mapped: the kernel knows the call */
    else if ((!only || strcmp(only, "pfn") == 0) && learn_zero_pfn(pm))
        pm->zero_method = VM_PM_ZERO_PFN;
    return pm->zero_method;
}

/* A present entry that is neither exclusive nor a file page: the zero page, or an anonymous page
 * shared with another process.  PFN method: which (an unknown frame number: neither known). */
static bool maps_zero_pfn(vm_linux_pagemap *pm, uint64_t e)
{
    uint64_t pfn = e & VM_PM_PFN_MASK, flags = 0;
    if (pfn == pm->zero_pfn || (pm->huge_zero_pfn && pfn - pm->huge_zero_pfn < HUGE_ZERO_FRAMES))
        return true;
    if (!read_kpageflags(pm, pfn, &flags) || !(flags & KPF_ZERO_PAGE))
        return false;
    pm->huge_zero_pfn = pfn & ~(uint64_t)(HUGE_ZERO_FRAMES - 1); /* not the small one: the huge one */
    return true;
}

/* ---- counts and states ---- */

bool vm_linux_pagemap_count(vm_linux_pagemap *pm, uint64_t start, uint64_t end, uint64_t page,
                            vm_linux_page_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!page || start % page || end % page || end < start || !open_pagemap(pm))
        return false;
    uint64_t entries[BATCH], maybe_zero = 0;
    int method = VM_PM_ZERO_UNDECIDED;
    for (uint64_t vpn = start / page, last = end / page; vpn < last;) {
        size_t n = read_entries(pm, vpn, last - vpn < BATCH ? (size_t)(last - vpn) : BATCH, entries);
        if (!n)
            return false;
        for (size_t i = 0; i < n; i++) {
            uint64_t e = entries[i];
            if (e & VM_PM_PRESENT) {
                if (!(e & (VM_PM_EXCLUSIVE | VM_PM_FILE))) {
                    if (method == VM_PM_ZERO_UNDECIDED)
                        method = zero_method(pm, page);
                    if (method == VM_PM_ZERO_PFN && maps_zero_pfn(pm, e)) {
                        out->zero++;
                        continue;
                    }
                    maybe_zero++;
                }
                out->present++;
                out->exclusive += (e & VM_PM_EXCLUSIVE) != 0;
            } else if (e & VM_PM_SWAPPED) {
                out->swapped++;
            }
        }
        vpn += n;
    }
    uint64_t zero = 0;
    if (maybe_zero && method == VM_PM_ZERO_SCAN && scan_zero(pm, start, end, page, &zero)) {
        zero = zero < maybe_zero ? zero : maybe_zero; /* the process ran between the two reads */
        out->present -= zero;
        out->zero += zero;
    } else if (maybe_zero && method != VM_PM_ZERO_PFN) {
        pm->zero_unknown += maybe_zero;
    }
    return true;
}

bool vm_linux_pagemap_entries(vm_linux_pagemap *pm, uint64_t start, size_t npages, uint64_t page, uint64_t *entries)
{
    if (!page || start % page || !open_pagemap(pm))
        return false;
    for (size_t done = 0; done < npages;) {
        size_t n = read_entries(pm, start / page + done, npages - done < BATCH ? npages - done : BATCH, entries + done);
        if (!n)
            return false;
        done += n;
    }
    return true;
}

bool vm_linux_pagemap_states(vm_linux_pagemap *pm, uint64_t start, size_t npages, uint64_t page, uint8_t *state)
{
    if (!page || start % page || !open_pagemap(pm))
        return false;
    uint64_t entries[BATCH];
    for (size_t done = 0; done < npages;) {
        size_t n = npages - done < BATCH ? npages - done : BATCH;
        if (!vm_linux_pagemap_entries(pm, start + done * page, n, page, entries))
            return false;
        for (size_t i = 0; i < n; i++)
            state[done + i] = entries[i] & VM_PM_PRESENT ? 1 : entries[i] & VM_PM_SWAPPED ? 2 : 0;
        done += n;
    }
    return true;
}

void vm_linux_pagemap_close(vm_linux_pagemap *pm)
{
    if (pm->fd >= 0)
        close(pm->fd);
    if (pm->kpageflags_fd >= 0)
        close(pm->kpageflags_fd);
    pm->fd = pm->kpageflags_fd = -1;
}
