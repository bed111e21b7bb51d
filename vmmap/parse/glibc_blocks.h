/* Every block of glibc malloc's heaps, streamed to a visitor (heap_blocks.h), x86-64, glibc
 * 2.26 and later.
 *
 * A chunk is busy when the next chunk's PREV_INUSE bit says so, but fastbin and tcache chunks
 * keep that bit set: the walker first reads every arena's fastbins and every thread's tcache
 * (vm_glibc_walker_new), then walks each heap in address order and tells them apart:
 *   free    the top chunk, chunks whose successor's PREV_INUSE is clear (the unsorted, small and
 *           large bins), and fastbin chunks: what malloc_info(3) counts as fast + rest;
 *   cached  chunks in a thread's tcache (malloc_info counts them as in use);
 *   busy    the rest, the tcache_perthread_structs included (they are malloc'd chunks);
 *   overhead  heap_info, an arena's malloc_state, fence posts, an mmapped chunk's slack.
 * Safe-linking (glibc 2.32+: a stored link is (address of the link >> 12) XOR the pointer) is
 * detected by a vote over the first link of every list.
 *
 * Tcaches are found where glibc puts them: the first chunk of the brk heap and of each arena's
 * first heap (the first thread of an arena allocates its tcache there), and through the pointer
 * each thread keeps in its static TLS, which lies just below its struct pthread at the top of its
 * stack (the caller passes those ranges).  A tcache met during the walk that neither found is
 * reported: its blocks were already counted busy.
 *
 * Memory is read in large windows (not one read per chunk header) and every structure is
 * validated before it is believed; a chunk that does not fit stops the walk of its heap part with
 * a warning and a note, the rest of that part uncounted.  Platform-neutral C. */
#ifndef VMMAP_PARSE_GLIBC_BLOCKS_H
#define VMMAP_PARSE_GLIBC_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "heap_blocks.h"
#include "memreader.h"
#include "walk_progress.h"

typedef enum vm_glibc_heap_kind {
    VM_GLIBC_MAIN_ARENA, /* parts: the brk heap ([heap]) */
    VM_GLIBC_ARENA,      /* parts: its heaps, the first (holding the malloc_state) first */
    VM_GLIBC_MMAPPED,    /* parts: one mmapped chunk each */
} vm_glibc_heap_kind;

typedef struct vm_glibc_part {
    uint64_t address, size;
} vm_glibc_part;

/* One heap as the snapshot describes it (model kinds "glibc main arena", "glibc arena", "glibc
 * mmap chunks").  Borrowed by the walker: must outlive it. */
typedef struct vm_glibc_heap_desc {
    vm_glibc_heap_kind kind;
    int32_t heap_id;
    uint64_t arena;             /* malloc_state, for the two arena kinds */
    const vm_glibc_part *parts;
    size_t nparts;
} vm_glibc_heap_desc;

typedef struct vm_glibc_tls_range {
    uint64_t start, end;        /* searched for pointers to tcache_perthread_structs */
} vm_glibc_tls_range;

typedef struct vm_glibc_walk_opts {
    const vm_glibc_tls_range *tls;
    size_t ntls;
    size_t window;              /* bytes per read; 0: 1 MiB */
    /* Read the next window on a thread of its own while this one is parsed (read_ahead.h).
     * Only when the visitor does not read target memory through the same reader. */
    bool read_ahead;
    /* Optional: the counter of bytes walked (walk_progress.h), shared with the walks of other
     * heaps; it must outlive the walker. */
    vm_walk_progress *progress;
} vm_glibc_walk_opts;

typedef enum vm_glibc_walk_status {
    VM_GLIBC_WALK_COMPLETE, /* every block of every part */
    VM_GLIBC_WALK_PARTIAL,  /* some parts or their tails not walked: note and warnings say why */
    VM_GLIBC_WALK_STOPPED,  /* the visitor asked to stop */
    VM_GLIBC_WALK_NONE,     /* nothing walked (note says why) */
} vm_glibc_walk_status;

typedef struct vm_glibc_walker vm_glibc_walker;

/* Reads the arenas' malloc_states, fastbins and the tcaches.  Warnings (codes "heap-invalid",
 * "read-failed") go to snap.  NULL only when out of memory. */
vm_glibc_walker *vm_glibc_walker_new(const vm_memreader *mem, const vm_glibc_heap_desc *heaps,
                                     size_t nheaps, const vm_glibc_walk_opts *opts, vm_snapshot *snap);

/* Walks heaps[i], calling visit once per block (and per overhead range) in address order within
 * each part.  note (may be NULL) gets why a heap was not or only partly walked. */
vm_glibc_walk_status vm_glibc_walk(vm_glibc_walker *w, size_t i, vm_hblock_visit visit, void *ctx,
                                   char *note, size_t notelen);

/* What the preparation found, for tests and --verbose output. */
typedef struct vm_glibc_walker_facts {
    bool mangled;        /* safe-linking in use */
    size_t tcaches;      /* tcache_perthread_structs found */
    uint64_t tcache_chunks, fastbin_chunks;
} vm_glibc_walker_facts;
void vm_glibc_walker_facts_get(const vm_glibc_walker *w, vm_glibc_walker_facts *out);

void vm_glibc_walker_free(vm_glibc_walker *w);

#endif
