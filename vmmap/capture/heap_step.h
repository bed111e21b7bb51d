/* The heap statistics step (issue 11): after classification, with the target's memory readable,
 * every heap of the snapshot is walked block by block into its stats and size table, and its
 * owners are looked for.  Runs when vm_capture_options.heap_blocks asks (vmmap heaps, vmmap
 * snapshot --heap-blocks): the default capture stays as fast as without it. */
#ifndef VMMAP_CAPTURE_HEAP_STEP_H
#define VMMAP_CAPTURE_HEAP_STEP_H

#include <stdbool.h>

#include "../classify/facts.h"
#include "../parse/heap_blocks.h"
#include "../util/error.h"

bool vm_heap_step_wanted(const vm_capture_options *opt);
int vm_heap_step_run(vm_facts *facts, const vm_capture_options *opt, vm_error *err);

/* A second visitor of the same walk (vmmap heaps --blocks prints each block): called for every
 * block of the heap whose id is heap_id (-1: of every heap).  Returning false stops that walk. */
typedef struct vm_heap_tee {
    vm_hblock_visit visit;
    void *ctx;
    int64_t heap_id;
} vm_heap_tee;

/* The same on any snapshot and memory reader (tests, tools).  quiet: no progress on stderr;
 * tee: NULL, or a visitor to feed too. */
int vm_heap_stats_fill(const vm_memreader *mem, vm_snapshot *snap, bool quiet, const vm_heap_tee *tee,
                       vm_error *err);

#endif
