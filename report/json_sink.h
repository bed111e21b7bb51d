/* Where the snapshot JSON text goes (json_write.c, json_elements.c): straight to a file, or
 * into a growing buffer.  Internal to report/. */
#ifndef VMMAP_REPORT_JSON_SINK_H
#define VMMAP_REPORT_JSON_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../vmmap/model/snapshot.h"

/* Where the text goes: straight to a file (fp), or into a growing buffer.  Writing through, errors
 * stay in the stream and the commit reports them; err is 0 or ENOMEM after the first allocation
 * failure (later appends are skipped, to the file too). */
typedef struct sink {
    FILE *fp;
    char *buf;
    size_t len, cap;
    int err;
    int write_errno; /* errno of the first failed write: later library calls may overwrite errno */
} sink;

/* Room for more bytes (and a NUL) at the end of the buffer; false (err set) when out of memory. */
bool vm_sink_reserve(sink *k, size_t more);
void vm_sink_put(sink *k, const char *s, size_t n);
void vm_sink_str(sink *k, const char *s);

/* One element of the document's "regions", "modules" or "threads" array (s->regions[i], ...) as
 * cJSON prints it there: pretty as cJSON_Print lays it out, or compact as cJSON_PrintUnformatted
 * does, byte for byte, without building cJSON items (json_elements.c). */
void vm_json_region_text(sink *k, const vm_snapshot *s, size_t i, bool pretty);
void vm_json_module_text(sink *k, const vm_snapshot *s, size_t i, bool pretty);
void vm_json_thread_text(sink *k, const vm_snapshot *s, size_t i, bool pretty);

#endif
