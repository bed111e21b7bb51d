/* The heap statistics step (issue 11): after classification, with the target's memory readable,
 * every heap of the snapshot is walked block by block into its stats and size table, and its
 * owners are looked for.  Runs when vm_capture_options.heap_blocks asks (vmmap heaps, vmmap
 * snapshot --heap-blocks): the default capture stays as fast as without it. */
#ifndef VMMAP_CAPTURE_HEAP_STEP_H
#define VMMAP_CAPTURE_HEAP_STEP_H

#include <stdbool.h>

#include "../classify/facts.h"
#include "../util/error.h"

bool vm_heap_step_wanted(const vm_capture_options *opt);
int vm_heap_step_run(vm_facts *facts, const vm_capture_options *opt, vm_error *err);

/* The same on any snapshot and memory reader (tests, tools).  quiet: no progress on stderr. */
int vm_heap_stats_fill(const vm_memreader *mem, vm_snapshot *snap, bool quiet, vm_error *err);

#endif
