/* The steps that run after classification, on every source that can read target memory.
 *
 * To add one: write its function (int run(vm_facts *, const vm_capture_options *, vm_error *))
 * next to the code it drives, and add a line to the table below with the option that asks for
 * it.  The pipeline (capture.c) calls vm_run_post_steps between the classifier and the header;
 * the facts' memory reader is valid throughout, whatever the source (a live process, a dump's
 * captured bytes, a core's segments). */
#include "capture.h"

#include <stddef.h>

#include "census_step.h"
#include "heap_step.h"

const vm_post_step vm_post_steps[] = {
    {"heap blocks", vm_heap_step_wanted, vm_heap_step_run}, /* issue 11: heap statistics */
    {"objects", vm_census_step_wanted, vm_census_step_run},  /* issue 12: the object census */
    {NULL, NULL, NULL},
};

int vm_run_post_steps(vm_facts *facts, const vm_capture_options *opt, vm_error *err)
{
    for (const vm_post_step *st = vm_post_steps; st->name; st++) {
        if (!st->wanted(opt))
            continue;
        if (opt->skip_heaps) {
            vm_snapshot_warn(facts->snap, "memory-unavailable", "%s: not computed: --no-heaps declines reading "
                             "target memory", st->name);
            continue;
        }
        if (!facts->mem.read) {
            vm_snapshot_warn(facts->snap, "memory-unavailable", "%s: not computed: the target's memory cannot be read",
                             st->name);
            continue;
        }
        int rc = st->run(facts, opt, err);
        if (rc != VM_EXIT_OK)
            return rc;
    }
    return VM_EXIT_OK;
}
