/* vmmap info CORE: what an ELF core holds (who wrote it, the process, the crash, the threads, the
 * memory present against the memory mapped) and what its map can and cannot show. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../capture/capture.h"
#include "../util/units.h"
#include "cli.h"
#include "info.h"

#include "../sources/linux_model/core_source.h"

static void print_core(vm_info_out *o, const char *path, const vm_core *c, const vm_spool *sp)
{
    vm_tline *l = &o->line;
    const char *arch = vm_core_arch_name(c->machine);
    vm_tline_add(l, "%s: ELF core of %s", path, c->fname[0] ? c->fname : "an unnamed process");
    if (c->has_prpsinfo)
        vm_tline_add(l, " (pid %" PRId64 ", uid %" PRIu32 ")", c->pid, c->uid);
    vm_tline_add(l, ", %s %d-bit, written by %s%s%s", arch ? arch : "unknown machine", c->bits,
                 c->gcore ? "gdb's gcore" : "the kernel", sp->packing != VM_PACK_NONE ? ", " : "",
                 sp->packing != VM_PACK_NONE ? vm_packing_name(sp->packing) : "");
    vm_info_put(o);
    if (c->psargs[0]) {
        vm_tline_add(l, "  command line: %s", c->psargs);
        vm_info_put(o);
    }
    if (c->has_siginfo) {
        char why[160];
        if (c->gcore)
            vm_tline_add(l, "  signal: none (gcore stopped the running process to write it: not a crash)");
        else
            vm_tline_add(l, "  signal: %s", vm_core_crash_text(c, why, sizeof why));
        vm_info_put(o);
    }
    vm_tline_add(l, "  threads %zu:", c->nthreads);
    for (size_t i = 0; i < c->nthreads && i < 16; i++)
        vm_tline_add(l, "%s %" PRIu64 " (sp 0x%" PRIx64 ")", i ? "," : "", c->threads[i].tid, c->threads[i].sp);
    vm_tline_add(l, "%s", c->nthreads > 16 ? ", ..." : "");
    vm_info_put(o);
    char mapped[32], present[32];
    vm_format_human(c->bytes_mapped, mapped, sizeof mapped);
    vm_format_human(c->bytes_present, present, sizeof present);
    vm_tline_add(l, "  mappings: %zu segment%s (%zu not dumped whole), %zu file mapping%s named (NT_FILE)", c->nsegs,
                 vm_plural(c->nsegs), c->nsegs_partial, c->nfiles, vm_plural(c->nfiles));
    vm_info_put(o);
    vm_tline_add(l, "  memory: %s present of %s mapped", present, mapped);
    vm_info_put(o);
}

static void print_can(vm_info_out *o, const vm_core *c, const vm_snapshot *s)
{
    vm_tline *l = &o->line;
    size_t images = s->nmodules, with_sections = 0;
    for (size_t i = 0; i < s->nmodules; i++)
        with_sections += s->modules[i].nsections > 0;
    vm_tline_add(l, "  the map shows: %zu region%s; %zu of %zu image%s split into sections; stacks of %zu thread%s; "
                 "%zu heap%s", s->nregions, vm_plural(s->nregions), with_sections, images, vm_plural(images),
                 s->nthreads, vm_plural(s->nthreads), s->nheaps, vm_plural(s->nheaps));
    vm_info_put(o);
    vm_tline_add(l, "  it cannot show: the smaps counters (Committed, Private, working set: not in cores)");
    if (c->nsegs_partial)
        vm_tline_add(l, "; the memory of %zu mapping%s the core left out (coredump_filter, gcore)", c->nsegs_partial,
                     vm_plural(c->nsegs_partial));
    if (with_sections < images)
        vm_tline_add(l, "; sections of %zu image%s (no module file with the image's build-id: --image-path)",
                     images - with_sections, vm_plural(images - with_sections));
    vm_info_put(o);
}

int vm_info_core(const char *path, const vm_capture_options *opt, vm_info_out *o, vm_error *err)
{
    vm_core_input in;
    int rc = vm_core_input_open(path, &in, err);
    if (rc != VM_EXIT_OK) {
        vm_core_input_close(&in);
        return rc;
    }
    vm_snapshot *s = NULL;
    vm_error map_err = {0};
    int map_rc = vm_capture_source(&vm_source_core, path, opt, &s, &map_err);
    print_core(o, path, &in.core, &in.spool);
    if (s) {
        print_can(o, &in.core, s);
    } else {
        vm_tline_add(&o->line, "  the map cannot be built: %s", map_err.msg);
        vm_info_put(o);
    }
    for (size_t i = 0; i < in.core.nwarnings; i++) {
        vm_tline_add(&o->line, "  warning: %s", in.core.warnings[i]);
        vm_info_put(o);
    }
    vm_snapshot_free(s);
    vm_core_input_close(&in);
    if (map_rc != VM_EXIT_OK)
        *err = map_err;
    return map_rc;
}
