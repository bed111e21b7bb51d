/* A Linux process that is not running any more (an ELF core, a Linux minidump): its mappings,
 * threads and memory as the file holds them, run through the same steps as a live process
 * (images and their sections, glibc heaps, thread stacks, raw blocks: linux_capture.h), with
 * what only /proc can tell left unknown: no smaps counters, VmFlags guessed as none. */
#ifndef VMMAP_SOURCES_LINUX_OFFLINE_H
#define VMMAP_SOURCES_LINUX_OFFLINE_H

#include "../../classify/facts.h"
#include "../source.h"
#include "linux_capture.h"
#include "linux_task.h"
#include "proc_maps.h"

typedef struct vm_linux_offline {
    int64_t pid;              /* the process (its main thread's tid); 0 when unknown */
    uint64_t page_size;
    vm_linux_maps maps;       /* sorted, not overlapping; counters absent (have 0) */
    const vm_linux_task *tasks; size_t ntasks; /* every thread, with its stack pointer */
    vm_memreader mem;         /* the target memory the file holds */
    const vm_linux_build_id *ids; size_t nids; /* build-ids known from the file's module list */
} vm_linux_offline;

/* Runs the steps into out (its snap's header is the caller's, but for page_size,
 * alloc_granularity and user_top, set here).  The maps stay the caller's.  Returns VM_EXIT_OK or
 * an error (out of memory). */
int vm_linux_offline_facts(const vm_linux_offline *in, const vm_capture_options *opt, vm_facts *out,
                           vm_error *err);

/* First address above the user address space for mappings ending at most at highest (4-level
 * paging unless a mapping lies above it), decided from the file alone. */
uint64_t vm_linux_offline_user_top(uint64_t highest);

/* Minidumps of Linux processes (linux_minidump.c). */
extern const vm_source vm_source_linux_minidump;
struct vm_minidump;
/* The facts of a parsed Linux minidump (the fuzzer's entry; md must outlive the facts). */
int vm_linux_minidump_gather_parsed(const struct vm_minidump *md, const vm_capture_options *opt, vm_facts *f,
                                    vm_error *err);
/* The process's real uid from its LinuxProcStatus stream ("Uid:\treal effective saved fs"), as
 * `vmmap info` shows it; false when the stream or the field is missing or not a number. */
bool vm_linux_minidump_uid(const struct vm_minidump *md, uint32_t *uid);

#endif
