/* Snapshots as JSON (cJSON): the documented, versioned exchange format (docs/snapshot-format.md,
 * docs/snapshot.schema.json).  Writing then reading gives back an identical snapshot. */
#ifndef VMMAP_REPORT_JSON_H
#define VMMAP_REPORT_JSON_H

#include <stddef.h>

#include "../vmmap/model/snapshot.h"
#include "../vmmap/util/error.h"

/* Serialises; malloc'd NUL-terminated text, NULL when out of memory. */
char *vm_snapshot_to_json(const vm_snapshot *s, int pretty);

/* Writes to path atomically (temporary name in the same directory, then rename); "-" is stdout. */
int vm_snapshot_write_json(const vm_snapshot *s, const char *path, vm_error *err);

/* The same, started while the snapshot is still being captured: a live capture that hands out
 * final regions early (vm_capture_options.on_final) gets vm_json_writer_regions_final as that
 * callback with the writer as its context, and the regions are printed while the capture goes
 * on.  When path names a file (not "-" or another stream), its temporary is opened with the first
 * regions and they are written as they are printed; if the capture starts over (nfinal 0), so
 * does the temporary.  finish prints the rest, writes it and renames the temporary into place;
 * free without finish (the capture failed) removes it.  Same text as vm_snapshot_write_json.
 * path is kept, not copied; NULL: not known yet: set it before the first regions come to have
 * them written as they come, or at least before finish. */
typedef struct vm_json_writer vm_json_writer;
vm_json_writer *vm_json_writer_new(const char *path);
void vm_json_writer_set_path(vm_json_writer *w, const char *path);
void vm_json_writer_regions_final(void *writer, const vm_snapshot *s, size_t nfinal);
int vm_json_writer_finish(vm_json_writer *w, const vm_snapshot *s, vm_error *err);
void vm_json_writer_free(vm_json_writer *w);

/* Parses and validates.  Errors name the source and the JSON path:
 *   "snap.json: regions[12].size: expected an integer"  (code VM_EXIT_BAD_INPUT). */
vm_snapshot *vm_snapshot_from_json(const char *text, size_t len, const char *source_name, vm_error *err);
vm_snapshot *vm_snapshot_read_json(const char *path, vm_error *err);

#endif
