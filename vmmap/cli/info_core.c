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

static void print_core(FILE *out, const char *path, const vm_core *c, const vm_spool *sp)
{
    const char *arch = vm_core_arch_name(c->machine);
    fprintf(out, "%s: ELF core of %s", path, c->fname[0] ? c->fname : "an unnamed process");
    if (c->has_prpsinfo)
        fprintf(out, " (pid %" PRId64 ", uid %" PRIu32 ")", c->pid, c->uid);
    fprintf(out, ", %s %d-bit, written by %s%s%s\n", arch ? arch : "unknown machine", c->bits,
            c->gcore ? "gdb's gcore" : "the kernel", sp->packing != VM_PACK_NONE ? ", " : "",
            sp->packing != VM_PACK_NONE ? vm_packing_name(sp->packing) : "");
    if (c->psargs[0])
        fprintf(out, "  command line: %s\n", c->psargs);
    if (c->has_siginfo) {
        char why[160];
        if (c->gcore)
            fprintf(out, "  signal: none (gcore stopped the running process to write it: not a crash)\n");
        else
            fprintf(out, "  signal: %s\n", vm_core_crash_text(c, why, sizeof why));
    }
    fprintf(out, "  threads %zu:", c->nthreads);
    for (size_t i = 0; i < c->nthreads && i < 16; i++)
        fprintf(out, "%s %" PRIu64 " (sp 0x%" PRIx64 ")", i ? "," : "", c->threads[i].tid, c->threads[i].sp);
    fprintf(out, "%s\n", c->nthreads > 16 ? ", ..." : "");
    char mapped[32], present[32];
    vm_format_human(c->bytes_mapped, mapped, sizeof mapped);
    vm_format_human(c->bytes_present, present, sizeof present);
    fprintf(out, "  mappings: %zu segments (%zu not dumped whole), %zu file mappings named (NT_FILE)\n", c->nsegs,
            c->nsegs_partial, c->nfiles);
    fprintf(out, "  memory: %s present of %s mapped\n", present, mapped);
}

static void print_can(FILE *out, const vm_core *c, const vm_snapshot *s)
{
    size_t images = 0, with_sections = 0;
    for (size_t i = 0; i < s->nmodules; i++) {
        images++;
        with_sections += s->modules[i].nsections > 0;
    }
    fprintf(out, "  the map shows: %zu regions; %zu of %zu images split into sections; stacks of %zu threads; "
                 "%zu heaps\n", s->nregions, with_sections, images, s->nthreads, s->nheaps);
    fprintf(out, "  it cannot show: the smaps counters (Committed, Private, working set: not in cores)");
    if (c->nsegs_partial)
        fprintf(out, "; the memory of %zu mappings the core left out (coredump_filter, gcore)", c->nsegs_partial);
    if (with_sections < images)
        fprintf(out, "; sections of %zu images (no module file with the image's build-id: --image-path)",
                images - with_sections);
    fputc('\n', out);
}

int vm_info_core(const char *path, vm_error *err)
{
    vm_core_input in;
    int rc = vm_core_input_open(path, &in, err);
    if (rc != VM_EXIT_OK) {
        vm_core_input_close(&in);
        return rc;
    }
    vm_snapshot *s = NULL;
    vm_error map_err = {0};
    int map_rc = vm_capture_source(&vm_source_core, path, NULL, &s, &map_err);
    print_core(stdout, path, &in.core, &in.spool);
    if (s)
        print_can(stdout, &in.core, s);
    else
        printf("  the map cannot be built: %s\n", map_err.msg);
    for (size_t i = 0; i < in.core.nwarnings; i++)
        printf("  warning: %s\n", in.core.warnings[i]);
    vm_snapshot_free(s);
    vm_core_input_close(&in);
    if (map_rc != VM_EXIT_OK)
        *err = map_err;
    return map_rc;
}
