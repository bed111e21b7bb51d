/* "Walk every block of heap H", whatever its allocator: the one entry point the statistics, the
 * object census and `vmmap heaps --blocks` call.  It picks the walker by the heap's kind:
 *   "glibc main arena", "glibc arena", "glibc mmap chunks"   glibc_blocks.h (this file prepares
 *       glibc's lists once for all of the snapshot's glibc heaps: tcaches cross arenas);
 *   "NT", "segment", "Wine"   the Windows heap walkers (vm_winheap_blocks), when built in;
 * anything else is "not walked", with the reason in the note.  Platform-neutral. */
#ifndef VMMAP_PARSE_HEAP_WALK_H
#define VMMAP_PARSE_HEAP_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "heap_blocks.h"
#include "memreader.h"

typedef enum vm_heap_walk_status {
    VM_HEAP_WALK_COMPLETE,  /* every block */
    VM_HEAP_WALK_PARTIAL,   /* some blocks not visited: the note says which */
    VM_HEAP_WALK_STOPPED,   /* the visitor stopped it */
    VM_HEAP_WALK_NONE,      /* not walked: the note says why */
    VM_HEAP_WALK_OOM,       /* out of memory */
} vm_heap_walk_status;

typedef struct vm_heap_walk_opts {
    /* Optional: bytes of heap walked so far, over all heaps of this walker, glibc and Windows
     * alike (every VM_WALK_PROGRESS_EVERY: walk_progress.h). */
    void (*progress)(void *ctx, uint64_t bytes);
    void *progress_ctx;
    /* Read ahead on a thread of its own (read_ahead.h): only for visitors that do not read
     * target memory through the same reader while the walk runs (the statistics don't). */
    bool read_ahead;
} vm_heap_walk_opts;

typedef struct vm_heap_walker vm_heap_walker;

/* mem and snap must outlive the walker; warnings go to snap.  NULL when out of memory. */
vm_heap_walker *vm_heap_walker_new(const vm_memreader *mem, vm_snapshot *snap, const vm_heap_walk_opts *opts);

/* Walks snap->heaps[i] (visit may be called for overhead ranges too: see VM_HBLOCK_OVERHEAD). */
vm_heap_walk_status vm_heap_walk(vm_heap_walker *w, size_t i, vm_hblock_visit visit, void *ctx, char *note,
                                 size_t notelen);

void vm_heap_walker_free(vm_heap_walker *w);

/* Whether a heap of this kind can be walked by this build (for help and messages). */
bool vm_heap_kind_walkable(const char *kind);

#endif
