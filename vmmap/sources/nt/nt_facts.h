/* A Windows address space, wherever its facts come from (VirtualQueryEx on a live process, a
 * minidump's streams), turned into vmmap facts: raw blocks, modules split into PE sections,
 * threads with their stacks, heaps, and the TEB/PEB sub-regions labelled.
 *
 * Platform-neutral (compiled in every build), so the live Windows source (sources/windows/) and
 * the minidump source share it, and tests feed it synthetic inputs on Linux.  Everything read
 * from the target goes through the memory reader; every value is untrusted. */
#ifndef VMMAP_SOURCES_NT_FACTS_H
#define VMMAP_SOURCES_NT_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../parse/memreader.h"
#include "../../classify/facts.h"

/* MEMORY_BASIC_INFORMATION64 (and MINIDUMP_MEMORY_INFO), Windows constants as they come. */
enum {
    VM_NT_MEM_COMMIT = 0x1000,
    VM_NT_MEM_RESERVE = 0x2000,
    VM_NT_MEM_FREE = 0x10000,
    VM_NT_MEM_PRIVATE = 0x20000,
    VM_NT_MEM_MAPPED = 0x40000,
    VM_NT_MEM_IMAGE = 0x1000000,
};

typedef struct vm_nt_region {
    uint64_t base;
    uint64_t alloc_base;
    uint64_t size;
    uint32_t alloc_protect; /* PAGE_* at allocation */
    uint32_t state;         /* VM_NT_MEM_COMMIT / RESERVE / FREE */
    uint32_t protect;       /* PAGE_*, incl. PAGE_GUARD 0x100, NOCACHE 0x200, WRITECOMBINE 0x400 */
    uint32_t type;          /* VM_NT_MEM_PRIVATE / MAPPED / IMAGE (0 for free) */
    char *mapped_path;      /* GetMappedFileName as a DOS path, or NULL; owned by the input */
    vm_counters ws;         /* working-set counters (TOTAL/PRIVATE/SHAREABLE/SHARED/LOCKED_WS)
                               with their known bits; known == 0 when not measured */
} vm_nt_region;

typedef struct vm_nt_module {
    uint64_t base, size;
    char *path;             /* owned by the input */
    uint32_t time_date_stamp; /* the image's FileHeader.TimeDateStamp when known (dumps), else 0 */
} vm_nt_module;

typedef struct vm_nt_thread {
    uint64_t tid;
    uint64_t teb;           /* 0: unknown */
    uint64_t stack_start;   /* minidumps: the captured stack memory range; 0: unknown */
    uint64_t stack_size;
    uint64_t sp;            /* stack pointer from the thread's context; 0: unknown */
    char *name;             /* owned by the input; NULL if none */
} vm_nt_thread;

typedef struct vm_nt_input {
    int bits;                  /* 32 or 64 */
    uint64_t page_size;        /* 4096 */
    uint64_t alloc_granularity;/* 65536 */
    uint64_t user_top;         /* lpMaximumApplicationAddress + 1 */
    uint64_t peb;              /* 0: unknown */
    uint32_t os_build;         /* 0: unknown */
    const vm_nt_region *regions; size_t nregions; /* sorted by base; free ones may be included */
    bool regions_complete;     /* false: rebuilt without a full region list (minidump without
                                  MemoryInfoList): the result is marked partial, the regions are
                                  taken as the captured memory, and stacks (from readable TEBs) and
                                  heap parts (from the heap walk) become allocations of their own
                                  (see vm_nt_build_facts) */
    const vm_nt_module *modules; size_t nmodules;
    const vm_nt_thread *threads; size_t nthreads;
    const vm_memreader *mem;   /* target memory; reads may fail (minidump: not captured) */
    bool skip_heaps;           /* --no-heaps: do not walk heaps (the PEB is still labelled) */
    bool skip_sections;        /* --no-sections: do not read PE headers to split images */
    const char *image_path;    /* --image-path DIR[:DIR...]: where to find module files whose
                                  headers are not in target memory (matched by SizeOfImage and
                                  TimeDateStamp); NULL: none */
} vm_nt_input;

/* Fills out (out->snap must exist: its header is left to the caller, except page_size,
 * alloc_granularity, user_top and process.bits which are set here).  Raw blocks: one per
 * committed/reserved region (split where a TEB or the PEB begins and ends, so those pages carry
 * their own note); state, protection (PAGE_* -> VM_PROT_*), memtype and flags (MEM_MAPPED with a
 * file -> FILE, without -> SHARED|SHMEM), Committed = size of committed blocks, Private = size of
 * committed MEM_PRIVATE blocks, WS counters from the region.  Modules: sections from the PE
 * headers in target memory (warning when not captured).  Threads: stack_base/limit/reserve from
 * the TEB (NT_TIB StackBase/StackLimit, DeallocationStack), guard = the PAGE_GUARD committed run
 * below StackLimit; without a TEB, from stack_start/size and the region's allocation base.
 * Heaps: vm_nt_heaps_from_peb.
 * Partial maps (regions_complete false): the heaps are walked first; each readable TEB's
 * [DeallocationStack, StackBase) and each heap part whose header is readable becomes one
 * allocation (private, alloc_base its start) in place of the regions inside it: a region there
 * keeps its state and protection, the rest is committed in [StackLimit, StackBase) and the guard
 * page assumed just below StackLimit (PAGE_GUARD), reserved elsewhere.  Extents overlapping one
 * another or a non-private region are dropped.  Warnings (code "partial-map") and the heap part
 * names ("... (extent inferred from the heap header)") and thread found_by say what was inferred.
 * Returns VM_EXIT_OK or an error (out of memory). */
int vm_nt_build_facts(const vm_nt_input *in, vm_facts *out, vm_error *err);

/* PAGE_* -> VM_PROT_* (PAGE_WRITECOPY gives WRITE|COPY, as the model requires). */
uint32_t vm_nt_protection(uint32_t page_protect);

#endif
