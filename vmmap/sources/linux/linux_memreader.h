/* Reading a live Linux process's memory: process_vm_readv, falling back to /proc/PID/mem. */
#ifndef VMMAP_SOURCES_LINUX_MEMREADER_H
#define VMMAP_SOURCES_LINUX_MEMREADER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../parse/memreader.h"

typedef struct vm_linux_mem {
    int pid;
    int mem_fd;          /* /proc/PID/mem, opened on first fallback; -1 until then */
    bool vm_readv_works; /* false after process_vm_readv said EPERM/ENOSYS */
    bool mem_unavailable; /* opening /proc/PID/mem failed once: do not retry on every read */
    uint64_t reads, failed_reads, bytes;
    int last_errno;
} vm_linux_mem;

/* Never fails: problems show up as short reads and in failed_reads / last_errno. */
vm_memreader vm_linux_memreader_open(vm_linux_mem *m, int pid);
void vm_linux_memreader_close(vm_linux_mem *m);

#endif
