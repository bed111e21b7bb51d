/* Whether a snapshot is consistent: what every source's snapshot is, so what the loader insists
 * on (docs/snapshot-format.md, "Consistency").
 *   - page_size a power of two, user_top not 0, taken_at (when present) a real RFC 3339 time;
 *   - every region has blocks, in address order, each inside the region, none overlapping the
 *     one before, their sizes adding up to the region's (so they cover it exactly);
 *   - regions in address order, none overlapping the one before (an address is counted once in
 *     every total).
 * The first problem found is written as a JSON path ("regions[3].blocks[1]") and a sentence. */
#ifndef VMMAP_MODEL_SNAPSHOT_CHECK_H
#define VMMAP_MODEL_SNAPSHOT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

/* The largest size (or counter) a snapshot holds: JSON integers are exact up to 2^53 - 1 in every
 * reader (docs/snapshot-format.md, "Sizes and counts"). */
#define VM_SNAPSHOT_MAX_SIZE ((UINT64_C(1) << 53) - 1)

bool vm_snapshot_check(const vm_snapshot *s, char *path, size_t pathlen, char *problem, size_t problemlen);

#endif
