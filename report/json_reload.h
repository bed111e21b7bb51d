/* The promise that every snapshot vmmap writes loads again, as a check: the snapshot is
 * consistent (vmmap/model/snapshot_check.h), written as JSON, read back and equal to itself.  For
 * the tests and the fuzz targets that make snapshots, so that a violation is found where it is
 * made rather than when a user opens the file. */
#ifndef VMMAP_REPORT_JSON_RELOAD_H
#define VMMAP_REPORT_JSON_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "../vmmap/model/snapshot.h"

/* False with the reason in why ("regions[3].size: ...", "read back differs at ..."). */
bool vm_snapshot_reloads(const vm_snapshot *s, char *why, size_t len);

#endif
