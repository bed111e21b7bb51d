/* The capture pipeline: from a target on the command line to a classified snapshot, the same
 * way for every source (sources/source.h):
 *
 *   recognise -> gather -> classify -> post-classify steps -> header -> release
 *
 * Recognition asks the source table in order (source_table.c): a file by its content (first
 * bytes, through gzip/xz/bzip2), anything else is the live source's (a PID, a name, --self).  A
 * snapshot .json (content starting with '{') is loaded beside the sources, already classified.
 * A file nothing claims is described from its first bytes: what it is and what vmmap can do
 * with it (recognize.c); a directory is said to be one. */
#ifndef VMMAP_CAPTURE_CAPTURE_H
#define VMMAP_CAPTURE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../classify/facts.h"
#include "../model/snapshot.h"
#include "../sources/source.h"
#include "../util/error.h"

/* The sources in the order they are asked, NULL-terminated (source_table.c). */
extern const vm_source *const vm_sources[];

/* Captures or loads the target named by arg (NULL: vmmap itself) into a classified snapshot. */
int vm_capture_target(const char *arg, const vm_capture_options *opt, vm_snapshot **out, vm_error *err);

/* Runs the pipeline with src on arg (no recognition). */
int vm_capture_source(const vm_source *src, const char *arg, const vm_capture_options *opt, vm_snapshot **out,
                      vm_error *err);

/* The pipeline itself, for a gather that is not in the table (bytes in memory, tests):
 * gather(ctx, opt, facts, err) fills the facts; the rest is the same for every source. */
typedef int (*vm_gather_fn)(void *ctx, const vm_capture_options *opt, vm_facts *facts, vm_error *err);
int vm_capture_run(vm_gather_fn gather, void *ctx, const vm_capture_options *opt, vm_snapshot **out,
                   vm_error *err);

/* A minidump in memory through the pipeline (tests, the fuzzer, `vmmap info`); opt may be NULL
 * (defaults).  The snapshot does not point into data. */
int vm_minidump_capture_buffer(const uint8_t *data, size_t size, const char *name, vm_snapshot **out,
                               vm_error *err);
int vm_minidump_capture_buffer_opt(const uint8_t *data, size_t size, const char *name,
                                   const vm_capture_options *opt, vm_snapshot **out, vm_error *err);

/* ---- how a target is read, and the options it cannot honour (asked.c) ---- */

/* How vm_capture_target will read arg, decided as it decides (a file by its first bytes): *src
 * the source, or NULL with *snapshot true for a snapshot file or stream.  False when arg is
 * neither (a missing file, a directory, content nothing reads: vm_capture_target says why). */
bool vm_capture_reader(const char *arg, const vm_source **src, bool *snapshot);

/* The VM_ASK_* options the target arg can honour: a snapshot none, a source its honours; all of
 * them when arg is no target at all (that error comes first, when it is read). */
uint32_t vm_capture_honours(const char *arg);

/* Fills err with the usage error (exit 2) for the first of the refused VM_ASK_* options: what it
 * is, why the target (src; NULL for a snapshot) cannot honour it, and what to do instead.
 * VM_EXIT_OK when refused is 0. */
int vm_capture_refuse(const char *arg, const vm_source *src, uint32_t refused, vm_error *err);

/* "--heap-blocks" for VM_ASK_HEAP_BLOCKS. */
const char *vm_capture_option_name(uint32_t option);

/* ---- post-classify steps (post_steps.c) ---- */

/* A step that runs on the classified facts, with the target's memory still readable
 * (facts->mem), before the header is finished and the source released: heap statistics
 * (issue 11), the object census (issue 12).  wanted says whether the options ask for it; run
 * adds to facts->snap and returns VM_EXIT_OK, or an error that ends the capture (out of memory):
 * anything it cannot read becomes a warning (vm_snapshot_warn), never an error. */
typedef struct vm_post_step {
    const char *name;
    bool (*wanted)(const vm_capture_options *opt);
    int (*run)(vm_facts *facts, const vm_capture_options *opt, vm_error *err);
} vm_post_step;

/* The steps in order, ending with {NULL} (post_steps.c). */
extern const vm_post_step vm_post_steps[];

/* Runs each wanted step; a wanted step on a source without target memory gets a warning. */
int vm_run_post_steps(vm_facts *facts, const vm_capture_options *opt, vm_error *err);

/* ---- unclaimed files (recognize.c) ---- */

/* Fills err for a file that no source claims and that is not a snapshot: what its first bytes
 * say it is (an ELF executable or core, a PE, a zip/xlsx, text, ...), and what vmmap can do with
 * it.  packing: what the file was packed in (the head is its decompressed start). */
int vm_unclaimed_file(const char *path, const uint8_t *head, size_t n, int packing, vm_error *err);

/* Fills err for a directory given as a target (BAD_INPUT). */
int vm_directory_target(const char *path, vm_error *err);

#endif
