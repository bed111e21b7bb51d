/* The object census step (issue 12): after classification, with the target's memory readable,
 * every heap is walked block by block (parse/heap_walk.h) into the census (model/census.h), and
 * with --all the stacks, private data and image data are scanned too.  Runs when
 * vm_capture_options.objects asks (vmmap objects, vmmap snapshot --objects). */
#ifndef VMMAP_CAPTURE_CENSUS_STEP_H
#define VMMAP_CAPTURE_CENSUS_STEP_H

#include <stdbool.h>

#include "../classify/facts.h"
#include "../model/census.h"
#include "../util/error.h"

bool vm_census_step_wanted(const vm_capture_options *opt);
int vm_census_step_run(vm_facts *facts, const vm_capture_options *opt, vm_error *err);

/* The same on any snapshot and memory reader (tests, the benchmark).  req may be NULL (counts
 * only); files: where module files are looked for (its module_root, require_build_id and
 * image_path, as in vm_census_options; the rest is taken from req), NULL: none. */
int vm_census_fill(const vm_memreader *mem, vm_snapshot *snap, vm_census_request *req,
                   const vm_census_options *files, bool quiet, vm_error *err);

#endif
