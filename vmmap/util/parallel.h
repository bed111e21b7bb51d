/* Splitting one loop over the machine's cores: [0, n) is cut into contiguous slices, slice 0 runs
 * on the calling thread and the others on their own threads; the call returns when all are done.
 * Used where the work per item is independent and the output of each slice is kept apart by the
 * caller (per-worker buffers indexed by `worker`), so no locks are needed.
 *
 * If a thread cannot be started, its slice runs on the calling thread: the result is the same,
 * only slower. */
#ifndef VMMAP_UTIL_PARALLEL_H
#define VMMAP_UTIL_PARALLEL_H

#include <stddef.h>

typedef void (*vm_slice_fn)(void *ctx, size_t worker, size_t from, size_t to);

/* Online CPUs (at least 1). */
size_t vm_cpu_count(void);

/* How many workers vm_parallel_for will use for n items when each worker should get at least
 * min_per_worker of them: 1..vm_cpu_count(), capped at max_workers.  VMMAP_THREADS=N in the
 * environment overrides the CPU count (VMMAP_THREADS=1: everything on the calling thread). */
size_t vm_parallel_workers(size_t n, size_t min_per_worker, size_t max_workers);

/* Runs fn(ctx, w, from_w, to_w) for w in [0, workers), the slices covering [0, n) in order. */
void vm_parallel_for(size_t n, size_t workers, vm_slice_fn fn, void *ctx);

#endif
