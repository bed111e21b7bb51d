/* Reading a live Linux process's memory: process_vm_readv, falling back to /proc/PID/mem. */
#ifndef VMMAP_SOURCES_LINUX_MEMREADER_H
#define VMMAP_SOURCES_LINUX_MEMREADER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../parse/memreader.h"

/* Small reads done ahead of time (vm_linux_mem_prefetch), in increasing address order. */
#define VM_LX_PREFETCH_BYTES 16
typedef struct vm_linux_prefetched {
    uint64_t addr;
    uint8_t got; /* leading bytes read */
    uint8_t data[VM_LX_PREFETCH_BYTES];
} vm_linux_prefetched;

typedef struct vm_linux_mem {
    int pid;
    int mem_fd;          /* /proc/PID/mem, opened on first fallback; -1 until then */
    bool vm_readv_works; /* false after process_vm_readv said EPERM/ENOSYS */
    bool mem_unavailable; /* opening /proc/PID/mem failed once: do not retry on every read */
    uint64_t reads, failed_reads, bytes;
    int last_errno;
    vm_linux_prefetched *pf; /* sorted by addr */
    size_t npf;
} vm_linux_mem;

/* Never fails: problems show up as short reads and in failed_reads / last_errno. */
vm_memreader vm_linux_memreader_open(vm_linux_mem *m, int pid);
void vm_linux_memreader_close(vm_linux_mem *m);

/* Reads the first VM_LX_PREFETCH_BYTES at each of addrs (increasing, above any prefetched
 * before) in batches, and keeps them: later reads of up to that many bytes at exactly such an
 * address are served from here.  The live capture calls this while /proc/PID/smaps is still
 * being read, for the mappings the heap walk will probe for mmapped chunks, so those 60,000
 * small reads overlap the kernel's smaps work instead of following it.  Best effort: out of
 * memory just means the reads happen later. */
void vm_linux_mem_prefetch(vm_linux_mem *m, const uint64_t *addrs, size_t n);

#endif
