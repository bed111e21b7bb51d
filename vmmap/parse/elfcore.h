/* ELF core files (kernel-written and gdb's gcore): the program headers (PT_LOAD: the memory,
 * PT_NOTE: the notes) and the notes vmmap uses, parsed through a vm_memreader over the file's
 * bytes (file offsets as addresses), so the same code reads a core on disk, a decompressed
 * temporary or a fuzzer's buffer.  Every count, size and offset is checked against the file;
 * a core truncated or corrupt beyond use is an error that says what is out of bounds, a lesser
 * problem a warning (heap-facts.md "ELF cores" has the layouts).
 *
 * Machines: x86-64 (EM_X86_64), i386 (EM_386) and AArch64 (EM_AARCH64): the stack pointer of
 * each thread comes from its NT_PRSTATUS registers at the machine's offset. */
#ifndef VMMAP_PARSE_ELFCORE_H
#define VMMAP_PARSE_ELFCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memreader.h"

enum { VM_EM_386 = 3, VM_EM_X86_64 = 62, VM_EM_AARCH64 = 183 };

#define VM_CORE_MAX_WARNINGS 16

typedef struct vm_core_segment { /* one PT_LOAD: one mapping of the process */
    uint64_t vaddr, memsz;
    uint64_t offset, filesz; /* filesz < memsz: the tail was not dumped (0: nothing was) */
    uint32_t flags;          /* PF_R 4, PF_W 2, PF_X 1 */
} vm_core_segment;

typedef struct vm_core_file { /* one NT_FILE entry */
    uint64_t start, end, offset; /* offset in bytes (NT_FILE gives pages) */
    char *name;
} vm_core_file;

typedef struct vm_core_thread { /* one NT_PRSTATUS */
    uint64_t tid;
    uint64_t sp, pc;
    int cursig;              /* the signal that stopped it (pr_cursig) */
} vm_core_thread;

typedef struct vm_core {
    int bits;                /* 32 or 64 */
    uint16_t machine;        /* VM_EM_* */
    bool gcore;              /* written by gdb (it adds section headers; the kernel writes none) */
    vm_core_segment *segs; size_t nsegs;  /* sorted by vaddr, overlaps dropped */
    vm_core_file *files; size_t nfiles;   /* sorted by start */
    uint64_t file_page_size;              /* NT_FILE's page size; 0 without NT_FILE */
    vm_core_thread *threads; size_t nthreads; /* in note order: the first is the one that crashed */
    bool has_prpsinfo;
    int64_t pid, ppid;
    uint32_t uid;
    char fname[17];          /* the executable's name as the kernel keeps it (comm) */
    char psargs[81];         /* the start of the command line */
    /* NT_AUXV entries vmmap uses; 0 when absent */
    uint64_t at_phdr, at_entry, at_base, at_sysinfo_ehdr, at_random, at_pagesz, at_execfn;
    bool has_siginfo;
    int si_signo, si_code;
    uint64_t si_addr;        /* faulting address for SIGSEGV/SIGBUS/SIGILL/SIGFPE */
    uint64_t file_size;
    uint64_t bytes_mapped, bytes_present; /* sum of memsz; of the dumped parts (filesz) */
    size_t nsegs_partial;    /* segments with filesz < memsz */
    char *warnings[VM_CORE_MAX_WARNINGS];
    size_t nwarnings, nwarnings_dropped;
    const vm_memreader *file; /* for vm_core_memreader; not owned */
} vm_core;

/* Parses the core read through file (size bytes).  On failure returns false with a reason in
 * err ("not an ELF file", "not a core (ET_EXEC)", "program headers beyond the end of the file
 * (truncated?)", "out of memory", ...).  out must be freed with vm_core_free either way. */
bool vm_core_parse(const vm_memreader *file, uint64_t size, vm_core *out, char *err, size_t errlen);
void vm_core_free(vm_core *c);

/* The process's memory as the core holds it: reads inside a segment's dumped bytes succeed,
 * everything else (not dumped, not mapped) reads as unreadable.  c (and its file reader) must
 * outlive the reader. */
vm_memreader vm_core_memreader(const vm_core *c);

/* The NT_FILE entry containing addr, or NULL. */
const vm_core_file *vm_core_file_at(const vm_core *c, uint64_t addr);

/* "x86_64", "i386", "aarch64", or NULL for another machine. */
const char *vm_core_arch_name(uint16_t machine);

/* What NT_SIGINFO says, for people: "SIGSEGV (signal 11, si_code 1: the kernel) at address
 * 0x10"; the address only for the fault signals the kernel raised.  Returns buf. */
const char *vm_core_crash_text(const vm_core *c, char *buf, size_t len);

/* "SIGSEGV" etc., or NULL. */
const char *vm_signal_name(int sig);

#endif
