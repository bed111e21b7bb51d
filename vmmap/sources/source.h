/* The seam between platforms and the engine (htop's Platform.h, for memory maps).
 *
 * A source only gathers facts: the regions as the OS reports them, threads, modules, heaps and
 * warnings.  It does not decide what memory "is"; the classifier does that once, for every
 * platform (classify/classify.h).  Each platform folder (sources/linux, sources/windows)
 * implements the vm_platform_* functions below; exactly one is linked into a build. */
#ifndef VMMAP_SOURCES_SOURCE_H
#define VMMAP_SOURCES_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "../util/error.h"

/* Raw-block flags: facts the classifier needs beyond state/protection/memtype. */
enum {
    VM_RAW_SHARED = 0x01,  /* shareable between processes (MAP_SHARED, section object) */
    VM_RAW_FILE = 0x02,    /* backed by a named file on disk */
    VM_RAW_SHMEM = 0x04,   /* shared-memory object (SysV/POSIX shm, memfd, /dev/zero shared) */
    VM_RAW_DELETED = 0x08, /* the backing file was unlinked */
    VM_RAW_KERNEL = 0x10,  /* provided by the kernel ([vdso], [vvar], [vsyscall]) */
};

/* A block as the OS reports it.  Blocks are sorted by address and do not overlap.  Blocks with
 * the same alloc_base form one region (an allocation); they must be contiguous in the array. */
typedef struct vm_raw_block {
    uint64_t address;
    uint64_t size;
    uint64_t alloc_base;
    vm_state state;
    uint32_t protection;
    vm_memtype memtype;
    uint32_t flags;   /* VM_RAW_* */
    char *path;       /* file path or pseudo-name; owned */
    char *note;       /* what the source knows this is ("TEB of thread 4120", "PEB"), shown in the
                         details when no stronger rule (stack, heap, image, file) claims it; owned */
    vm_counters counters;
} vm_raw_block;

/* Everything a source gathered.  snap holds the metadata, threads, heaps (with their parts),
 * modules (with sections) and warnings; its regions are empty until the classifier runs.
 * classified: the source ran the classifier itself (the live Linux source does, so that it can
 * hand out final regions while it is still reading; see vm_capture_options.on_final), and snap's
 * regions are complete: the caller must not classify again. */
typedef struct vm_facts {
    vm_snapshot *snap;
    vm_raw_block *blocks;
    size_t nblocks;
    bool classified;
} vm_facts;

vm_raw_block *vm_facts_add_block(vm_facts *f);
void vm_facts_free_blocks(vm_facts *f);

/* Regions [0, nfinal) of snap are final: classified, every counter in place; they will not
 * change (nfinal only grows).  nfinal 0 after a larger value means the regions were built again
 * from scratch: forget what was done with them. */
typedef void (*vm_final_fn)(void *ctx, const vm_snapshot *snap, size_t nfinal);

typedef struct vm_capture_options {
    bool skip_heaps;     /* do not read target memory to walk heaps */
    bool skip_sections;  /* do not open module files to split images into sections */
    bool quiet;          /* no progress on stderr */
    /* Optional: told about regions as they become final, while the capture is still going (the
     * live Linux source, which classifies early; others never call it).  The snapshot writer
     * prints them meanwhile (report/json.h, vm_json_writer). */
    vm_final_fn on_final;
    void *on_final_ctx;
} vm_capture_options;

/* Gathers facts about a live process.  On failure returns a VM_EXIT_* code and fills err:
 * VM_EXIT_NOT_FOUND (no such process), VM_EXIT_ACCESS (say why: ptrace_scope, other user,
 * protected process), VM_EXIT_TARGET_GONE (exited during the scan).  Partial information that
 * does not prevent a map (an unreadable heap, a missing module file) becomes a warning. */
int vm_platform_capture(int64_t pid, const vm_capture_options *opt, vm_facts *out, vm_error *err);

/* Resolves a process name (executable base name or comm) to one PID.  No match: NOT_FOUND;
 * several: USAGE error listing them so the user can pick. */
int vm_platform_find_pid(const char *name, int64_t *pid, vm_error *err);

int64_t vm_platform_self_pid(void);

/* Host description for the snapshot header: "Linux 6.1.0-18-amd64", host name, arch. */
void vm_platform_host(char **os, char **host, char **arch);

#endif
