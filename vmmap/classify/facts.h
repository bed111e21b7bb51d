/* What a source hands to the classifier: the facts of one target, and the options of a capture.
 *
 * The contract between the sources (sources/: live Linux, live Windows, minidumps, cores) and
 * everything after them (classify/, the capture pipeline in capture/).  A source only gathers:
 * the regions as the OS or the file reports them (raw blocks), threads, modules, heaps, warnings,
 * and a reader of the target's memory.  It does not decide what memory "is"; the classifier does
 * that once, for every source (classify.h).  Sources include this header, never classify.h. */
#ifndef VMMAP_CLASSIFY_FACTS_H
#define VMMAP_CLASSIFY_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "../parse/memreader.h"
#include "../util/error.h"

/* Raw-block flags: facts the classifier needs beyond state/protection/memtype. */
enum {
    VM_RAW_SHARED = 0x01,  /* shareable between processes (MAP_SHARED, section object) */
    VM_RAW_FILE = 0x02,    /* backed by a named file on disk */
    VM_RAW_SHMEM = 0x04,   /* shared-memory object (SysV/POSIX shm, memfd, /dev/zero shared) */
    VM_RAW_DELETED = 0x08, /* the backing file was unlinked */
    VM_RAW_KERNEL = 0x10,  /* provided by the kernel ([vdso], [vvar], [vsyscall]) */
    VM_RAW_SHARING_KNOWN = 0x20, /* the source knows private from shared (Linux maps' p/s)... */
    VM_RAW_MAP_SHARED = 0x40,    /* ...and this mapping is shared ('s'), as pmap prints it */
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

typedef struct vm_facts vm_facts;

/* The classifier (classify.h's vm_classify_more), as the pipeline hands it to a source: it
 * classifies the blocks given so far as far as they make whole allocations, so every region it
 * adds to snap is final, and drops those blocks from facts->blocks; last: the rest, and the free
 * space up to the top.  Threads, heaps and modules must be complete before the first call. */
typedef int (*vm_classify_fn)(vm_facts *facts, bool last, vm_error *err);
typedef struct vm_classify_state vm_classify_state;

/* Everything a source gathered.  snap holds the metadata, threads, heaps (with their parts),
 * modules (with sections) and warnings; its regions are empty until the classifier runs.
 *
 * mem reads the target's memory (a live process, a dump's captured bytes, a core's segments);
 * mem.read is NULL when the source has none.  It stays valid until vm_facts_release, so the
 * steps that run after classification (capture/post_steps.c) can read target memory whatever
 * the source.  release is the source's close hook: it frees what mem and the source still hold
 * (a process handle, a mapped file) and is called once, by vm_facts_release.
 *
 * classify is set by the pipeline before the source gathers.  A source that classifies early
 * (the live Linux source classifies each allocation as soon as its blocks are known and hands out
 * final regions while it is still reading; see vm_capture_options.on_final) calls it itself, the
 * last time with last true, and sets classified: snap's regions are then complete and the
 * pipeline does not classify again.  Every other source leaves both alone. */
struct vm_facts {
    vm_snapshot *snap;
    vm_raw_block *blocks;
    size_t nblocks;
    vm_classify_fn classify;
    bool classified;
    vm_classify_state *classify_state; /* the classifier's, between calls of classify */
    vm_memreader mem;
    void (*release)(vm_facts *f);
    void *source_ctx; /* the source's own state, for release */
};

vm_raw_block *vm_facts_add_block(vm_facts *f);
/* Frees the blocks, and forgets an unfinished classification of them. */
void vm_facts_free_blocks(vm_facts *f);
/* Calls the source's release hook (once) and forgets the memory reader; the blocks and the
 * snapshot are left alone. */
void vm_facts_release(vm_facts *f);

/* Regions [0, nfinal) of snap are final: classified, every counter in place; they will not
 * change (nfinal only grows).  nfinal 0 after a larger value means the regions were built again
 * from scratch: forget what was done with them. */
typedef void (*vm_final_fn)(void *ctx, const vm_snapshot *snap, size_t nfinal);

/* The capture options a user can give (vm_capture_options.asked). */
enum {
    VM_ASK_NO_HEAPS = 1u << 0,    /* --no-heaps */
    VM_ASK_NO_SECTIONS = 1u << 1, /* --no-sections */
    VM_ASK_IMAGE_PATH = 1u << 2,  /* --image-path */
    VM_ASK_HEAP_BLOCKS = 1u << 3, /* --heap-blocks */
    VM_ASK_OBJECTS = 1u << 4,     /* --objects */
    VM_ASK_ALL = (1u << 5) - 1,
};

/* What the user asked of a capture.  Every source honours every option or refuses it with a
 * message saying why (docs/cli.md). */
typedef struct vm_capture_options {
    /* VM_ASK_* bits: the options the user gave, as opposed to those a command sets for its own
     * work (`vmmap heaps` walks the heaps of a snapshot file too: it shows what was saved).  An
     * asked option the target's source cannot honour is refused with the reason (capture.c). */
    uint32_t asked;
    bool skip_heaps;     /* --no-heaps: do not read target memory to walk heaps */
    bool skip_sections;  /* --no-sections: do not split images into sections (no module file
                            opened, no image headers read) */
    bool quiet;          /* no progress on stderr */
    const char *image_path; /* --image-path DIR[:DIR...]: where to look for module files of a
                            core or dump (matched by build-id for ELF, size and time stamp for
                            PE); NULL: only where the file names them */
    /* Steps after classification (capture/post_steps.c); default false, run only when asked: */
    bool heap_blocks;    /* heap statistics from a walk of every heap block (issue 11) */
    bool objects;        /* the object census (issue 12) */
    /* With objects: a type pattern, --all, and where the instance list goes (model/census.h);
     * NULL: counts only. */
    struct vm_census_request *objects_request;
    /* Optional: told about regions as they become final, while the capture is still going (the
     * live Linux source, which classifies early; others never call it).  The snapshot writer
     * prints them meanwhile (report/json.h, vm_json_writer). */
    vm_final_fn on_final;
    void *on_final_ctx;
    /* Optional: called once after the post-classify steps, while the target's memory can still
     * be read (facts->mem; mem.read NULL when the source has none), e.g. to list every heap
     * block (vmmap heaps --blocks).  A code other than VM_EXIT_OK ends the capture with it. */
    int (*with_memory)(void *ctx, vm_facts *facts, vm_error *err);
    void *with_memory_ctx;
} vm_capture_options;

#endif
