/* Reading a live process's memory.
 *
 * process_vm_readv is the fast path (no file descriptor, no page-sized kernel bounce).  It needs
 * ptrace attach rights with the real credentials and CONFIG_CROSS_MEMORY_ATTACH; when it says
 * EPERM or ENOSYS we switch for good to pread on /proc/PID/mem, which checks the filesystem
 * credentials instead and can also read PROT_NONE pages.  Both stop at the first unreadable page
 * and may return a prefix, so callers get "how many leading bytes", never a fault. */
#include "linux_memreader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

static size_t linux_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    vm_linux_mem *m = ctx;
    m->reads++;
    len = clamp_len(addr, len);
    if (len == 0)
        return 0;
    size_t got = 0;
    if (m->vm_readv_works) {
        bool fallback = false;
        got = read_vm(m, addr, buf, len, &fallback);
        if (fallback)
            m->vm_readv_works = false;
    }
    if (!m->vm_readv_works && got == 0)
        got = read_mem_file(m, addr, buf, len);
    m->bytes += got;
    if (got < len)
        m->failed_reads++;
    return got;
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
    while (i < n) {
        size_t k = 0;
        while (k < BATCH && i + k < n && m->vm_readv_works) {
            const vm_read_req *q = &reqs[i + k];
            if (q->len == 0 || q->len > MAX_CHUNK || clamp_len(q->addr, q->len) != q->len)
                break; /* odd request: read on its own below */
            local[k] = (struct iovec){q->buf, q->len};
            remote[k] = (struct iovec){(void *)(uintptr_t)q->addr, q->len};
            k++;
        }
        if (k == 0) { /* process_vm_readv unusable, or an odd request */
            reqs[i].got = linux_read(m, reqs[i].addr, reqs[i].buf, reqs[i].len);
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
            reqs[i].got = linux_read(m, reqs[i].addr, reqs[i].buf, reqs[i].len);
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
    m->reads = m->failed_reads = m->bytes = 0;
    m->last_errno = 0;
    vm_memreader r = {.read = linux_read, .ctx = m, .read_many = linux_read_many};
    return r;
}

void vm_linux_memreader_close(vm_linux_mem *m)
{
    if (m->mem_fd >= 0)
        close(m->mem_fd);
    m->mem_fd = -1;
}
