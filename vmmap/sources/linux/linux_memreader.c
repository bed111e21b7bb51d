/* Reading a live process's memory.
 *
 * process_vm_readv is the fast path (no file descriptor, no page-sized kernel bounce).  It needs
 * ptrace attach rights with the real credentials and CONFIG_CROSS_MEMORY_ATTACH; when it says
 * EPERM or ENOSYS we switch for good to pread on /proc/PID/mem, which checks the filesystem
 * credentials instead and can also read PROT_NONE pages.  Both stop at the first unreadable page
 * and may return a prefix, so callers get "how many leading bytes", never a fault.  Before either,
 * pagemap says which pages are there (linux_memreader.h): vmmap does not change what it measures. */
#include "linux_memreader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* Per-syscall cap: keeps every length well inside ssize_t and the kernel's MAX_RW_COUNT. */
#define MAX_CHUNK ((size_t)1 << 30)
#define PAGE ((uint64_t)4096)
/* EINTR retries per read: a signal storm must not spin us forever. */
#define MAX_EINTR 64

/* Largest len such that [addr, addr + len) does not wrap past 2^64. */
static size_t clamp_len(uint64_t addr, size_t len)
{
    if (len == 0)
        return 0;
    uint64_t room = UINT64_MAX - addr; /* bytes after addr; addr itself is one more */
    if ((uint64_t)(len - 1) > room)
        return (size_t)(room + 1);     /* room < len - 1, so this cannot wrap */
    return len;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Reads with process_vm_readv.  Returns bytes read; sets *fallback when the call itself is not
 * allowed or not available (as opposed to an unreadable address). */
static size_t read_vm(vm_linux_mem *m, uint64_t addr, char *buf, size_t len, bool *fallback)
{
    size_t got = 0;
    int eintr = 0;
    while (got < len) {
        size_t want = min_size(len - got, MAX_CHUNK);
        struct iovec local = {buf + got, want};
        struct iovec remote = {(void *)(uintptr_t)(addr + got), want};
        ssize_t n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
        if (n > 0) {
            /* A short count means the next page is unreadable; the next call confirms with
             * EFAULT, which is cheaper than guessing from page arithmetic. */
            got += (size_t)n;
            continue;
        }
        if (n == 0)
            break;
        if (errno == EINTR && ++eintr < MAX_EINTR)
            continue;
        m->last_errno = errno;
        if ((errno == EPERM || errno == ENOSYS) && got == 0)
            *fallback = true;
        break;
    }
    return got;
}

static bool open_mem(vm_linux_mem *m)
{
    if (m->mem_fd >= 0)
        return true;
    if (m->mem_unavailable)
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", m->pid);
    m->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->mem_fd < 0) {
        m->last_errno = errno;
        m->mem_fd = -1;
        m->mem_unavailable = true;
        return false;
    }
    return true;
}

/* pread can only address offsets below 2^63 (a negative off_t is EINVAL). */
static size_t read_mem_file(vm_linux_mem *m, uint64_t addr, char *buf, size_t len)
{
    if (!open_mem(m))
        return 0;
    size_t got = 0;
    int eintr = 0;
    bool page_mode = false;
    while (got < len) {
        uint64_t at = addr + got;
        if (at > (uint64_t)INT64_MAX)
            break;
        size_t want = min_size(len - got, MAX_CHUNK);
        if (page_mode) /* only up to the next page boundary */
            want = min_size(want, (size_t)(PAGE - (at & (PAGE - 1))));
        ssize_t n = pread(m->mem_fd, buf + got, want, (off_t)at);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0)
            break;
        if (errno == EINTR && ++eintr < MAX_EINTR)
            continue;
        m->last_errno = errno;
        /* EIO means "nothing readable at the start of this request": retry just the first
         * page, so a request that begins on a good page still returns that page. */
        if (errno == EIO && !page_mode && want > PAGE - (at & (PAGE - 1))) {
            page_mode = true;
            continue;
        }
        break;
    }
    return got;
}

/* The bytes at [addr, addr + len) as the target has them, whatever is there. */
static size_t read_raw(vm_linux_mem *m, uint64_t addr, char *buf, size_t len)
{
    size_t got = 0;
    if (m->vm_readv_works) {
        bool fallback = false;
        got = read_vm(m, addr, buf, len, &fallback);
        if (fallback)
            m->vm_readv_works = false;
    }
    if (!m->vm_readv_works && got == 0)
        got = read_mem_file(m, addr, buf, len);
    return got;
}

/* ---- which pages are there ---- */

/* The pagemap entry of page vpn, from the window (asked afresh for up to the pages through
 * last_vpn when vpn is outside it).  False when pagemap cannot say: not opened (then the reader
 * goes unguarded for good) or not for this page (an address past the user address space). */
static bool entry_of(vm_linux_mem *m, uint64_t vpn, uint64_t last_vpn, uint64_t *e)
{
    if (vpn - m->win_vpn < m->win_n) {
        *e = m->win[vpn - m->win_vpn];
        return true;
    }
    m->win_n = 0;
    size_t want = last_vpn - vpn < VM_LINUX_MEM_WINDOW ? (size_t)(last_vpn - vpn) + 1 : VM_LINUX_MEM_WINDOW;
    if (vpn > UINT64_MAX / PAGE || !vm_linux_pagemap_entries(&m->pm, vpn * PAGE, want, PAGE, m->win)) {
        if (m->pm.fd < 0) {
            m->unguarded = true;
            m->guard_errno = m->pm.error;
        }
        m->pm.error = 0; /* a page pagemap has no entry for is no reason to stop asking */
        return false;
    }
    m->win_vpn = vpn;
    m->win_n = want;
    *e = m->win[0];
    return true;
}

/* The kind (VM_LINUX_AREA_*) of the mapping holding addr; outside every mapping: none. */
static int area_of(const vm_linux_mem *m, uint64_t addr)
{
    size_t lo = 0, hi = m->nareas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->areas[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->nareas && m->areas[lo].start <= addr ? m->areas[lo].kind : VM_LINUX_AREA_UNREADABLE;
}

/* PG_UNREADABLE: no mapping there or not a readable one (process_vm_readv fails there without
 * faulting; /proc/PID/mem would fault a PROT_NONE page in): a failed read, as before pagemap. */
enum { PG_PRESENT, PG_ZERO, PG_SWAPPED, PG_UNMAPPED, PG_UNREADABLE, PG_UNKNOWN };

static int page_kind(vm_linux_mem *m, uint64_t addr, uint64_t last_vpn)
{
    uint64_t e;
    if (!entry_of(m, addr / PAGE, last_vpn, &e))
        return PG_UNKNOWN;
    if (e & VM_PM_PRESENT)
        return PG_PRESENT;
    int area = area_of(m, addr);
    if (area == VM_LINUX_AREA_UNREADABLE)
        return PG_UNREADABLE;
    if (e & VM_PM_SWAPPED) /* swapped out, or migrating, or a guard marker: nothing to read now */
        return PG_SWAPPED;
    return area == VM_LINUX_AREA_ZEROS ? PG_ZERO : PG_UNMAPPED;
}

/* Reads [addr, addr + len) page run by page run: present runs are read, zero runs filled, and the
 * first page of another kind ends the read (*not_there: because it is not in memory). */
static size_t read_there(vm_linux_mem *m, uint64_t addr, char *buf, size_t len, bool *not_there)
{
    uint64_t last_vpn = (addr + len - 1) / PAGE;
    size_t got = 0;
    while (got < len) {
        uint64_t at = addr + got;
        int kind = page_kind(m, at, last_vpn);
        if (kind == PG_UNKNOWN)
            return m->unguarded ? got + read_raw(m, at, buf + got, len - got) : got;
        size_t run = (size_t)(PAGE - at % PAGE) < len - got ? (size_t)(PAGE - at % PAGE) : len - got;
        while (got + run < len && page_kind(m, at + run, last_vpn) == kind)
            run += PAGE < len - got - run ? (size_t)PAGE : len - got - run;
        if (kind == PG_PRESENT) {
            size_t n = read_raw(m, at, buf + got, run);
            got += n;
            if (n < run)
                return got;
        } else if (kind == PG_ZERO) {
            memset(buf + got, 0, run);
            m->zero_pages += (run + PAGE - 1) / PAGE;
            got += run;
        } else if (kind == PG_UNREADABLE) {
            return got;
        } else {
            *not_there = true;
            if (kind == PG_SWAPPED)
                m->not_there_swapped++;
            else
                m->not_there_unmapped++;
            return got;
        }
    }
    return got;
}

/* One read; the window of pagemap entries as it is (the caller decides how fresh it must be). */
static size_t read_one(vm_linux_mem *m, uint64_t addr, void *buf, size_t len)
{
    m->reads++;
    len = clamp_len(addr, len);
    if (len == 0)
        return 0;
    bool not_there = false;
    size_t got = m->unguarded ? read_raw(m, addr, buf, len) : read_there(m, addr, buf, len, &not_there);
    m->bytes += got;
    if (got < len && !not_there)
        m->failed_reads++;
    return got;
}

/* Pages are asked afresh for each read: what a running process has in memory changes. */
static size_t linux_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    vm_linux_mem *m = ctx;
    m->win_n = 0;
    return read_one(m, addr, buf, len);
}

/* Whether every page of [addr, addr + len) (len > 0, no wrap) is present; a window asked for it
 * reaches as far as the batch does (batch_end), up to its size. */
static bool all_present(vm_linux_mem *m, uint64_t addr, size_t len, uint64_t batch_end)
{
    if (m->unguarded)
        return true;
    uint64_t last_vpn = (addr + len - 1) / PAGE, until = batch_end > addr ? (batch_end - 1) / PAGE : last_vpn;
    for (uint64_t vpn = addr / PAGE; vpn <= last_vpn; vpn++) {
        uint64_t e;
        if (!entry_of(m, vpn, until > last_vpn ? until : last_vpn, &e))
            return m->unguarded; /* pagemap cannot say: as before pagemap, or on its own */
        if (!(e & VM_PM_PRESENT))
            return false;
    }
    return true;
}


/* Pieces per process_vm_readv: the kernel's limit on iovecs (UIO_MAXIOV). */
#define BATCH 1024

/* Many small reads in few system calls.  process_vm_readv never splits an iovec and stops at
 * the first one it cannot read, so the byte count says how many pieces arrived whole; the piece
 * it stopped at is read on its own (which also takes the /proc/PID/mem fallback and its
 * accounting), and the batch goes on after it. */
static void linux_read_many(void *ctx, vm_read_req *reqs, size_t n)
{
    vm_linux_mem *m = ctx;
    struct iovec local[BATCH], remote[BATCH];
    size_t i = 0;
    int eintr = 0;
    m->win_n = 0; /* asked afresh for the batch, then windows of it */
    uint64_t batch_end = 0; /* the end of the highest piece: how far a window is worth asking */
    for (size_t j = 0; j < n; j++)
        if (reqs[j].len && clamp_len(reqs[j].addr, reqs[j].len) == reqs[j].len &&
            reqs[j].addr + reqs[j].len > batch_end)
            batch_end = reqs[j].addr + reqs[j].len;
    while (i < n) {
        size_t k = 0;
        while (k < BATCH && i + k < n && m->vm_readv_works) {
            const vm_read_req *q = &reqs[i + k];
            if (q->len == 0 || q->len > MAX_CHUNK || clamp_len(q->addr, q->len) != q->len ||
                !all_present(m, q->addr, q->len, batch_end))
                break; /* odd request, or pages not there: read on its own below */
            local[k] = (struct iovec){q->buf, q->len};
            remote[k] = (struct iovec){(void *)(uintptr_t)q->addr, q->len};
            k++;
        }
        if (k == 0) { /* process_vm_readv unusable, an odd request, or pages not there */
            reqs[i].got = read_one(m, reqs[i].addr, reqs[i].buf, reqs[i].len);
            i++;
            continue;
        }
        ssize_t got = process_vm_readv(m->pid, local, (unsigned long)k, remote, (unsigned long)k, 0);
        if (got < 0 && errno == EINTR && ++eintr < MAX_EINTR)
            continue;
        size_t left = got > 0 ? (size_t)got : 0, whole = 0;
        while (whole < k && left >= reqs[i + whole].len) {
            reqs[i + whole].got = reqs[i + whole].len;
            left -= reqs[i + whole].len;
            m->reads++;
            m->bytes += reqs[i + whole].len;
            whole++;
        }
        i += whole;
        if (whole < k) { /* stopped here: this one alone, with the fallback */
            reqs[i].got = read_one(m, reqs[i].addr, reqs[i].buf, reqs[i].len);
            i++;
        }
    }
}

vm_memreader vm_linux_memreader_open(vm_linux_mem *m, int pid)
{
    m->pid = pid;
    m->mem_fd = -1;
    m->vm_readv_works = true;
    m->mem_unavailable = false;
    vm_linux_pagemap_init(&m->pm, pid);
    m->unguarded = false;
    m->guard_errno = 0;
    m->areas = NULL;
    m->nareas = 0;
    m->win_vpn = m->win_n = 0;
    vm_linux_memreader_reset_counts(m);
    vm_memreader r = {.read = linux_read, .ctx = m, .read_many = linux_read_many};
    return r;
}

void vm_linux_memreader_reset_counts(vm_linux_mem *m)
{
    m->reads = m->failed_reads = m->bytes = 0;
    m->last_errno = 0;
    m->not_there_swapped = m->not_there_unmapped = m->zero_pages = 0;
}

/* A page of a readable private anonymous mapping that is neither present nor swapped was never
 * written (or was discarded): it holds zeros. */
static int area_kind(const vm_linux_mapping *v)
{
    const char *n = v->name;
    if (!v->r)
        return VM_LINUX_AREA_UNREADABLE;
    if (!v->shared && v->inode == 0 &&
        (!n || strcmp(n, "[heap]") == 0 || strcmp(n, "[stack]") == 0 || strncmp(n, "[anon:", 6) == 0))
        return VM_LINUX_AREA_ZEROS;
    return VM_LINUX_AREA_OTHER;
}

void vm_linux_memreader_set_layout(vm_linux_mem *m, const vm_linux_maps *maps)
{
    free(m->areas);
    m->nareas = 0;
    if (!maps->n || !(m->areas = malloc(maps->n * sizeof *m->areas)))
        return; /* out of memory: pages not present stop a read, as pages of no mapping */
    for (size_t i = 0; i < maps->n; i++) { /* maps are by address; what overlaps is left out */
        const vm_linux_mapping *v = &maps->v[i];
        if (v->end <= v->start || (m->nareas && v->start < m->areas[m->nareas - 1].end))
            continue;
        m->areas[m->nareas++] = (vm_linux_area){v->start, v->end, area_kind(v)};
    }
}

void vm_linux_memreader_close(vm_linux_mem *m)
{
    if (m->mem_fd >= 0)
        close(m->mem_fd);
    m->mem_fd = -1;
    vm_linux_pagemap_close(&m->pm);
    free(m->areas);
    m->areas = NULL;
    m->nareas = 0;
}
