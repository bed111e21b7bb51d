/* libFuzzer target for ELF cores: the input is a whole core file.  It is parsed (headers, notes),
 * every dumped segment is read back through the core's memory reader (plus reads straddling and
 * beyond), and the whole map is built from it through the capture pipeline (mappings, the
 * offline Linux steps: images, glibc heap walk over the core's memory, stacks, classification).
 * Any input must give a map or a clear error, never a crash, a hang, a leak or an out-of-bounds
 * read, and a map must load again once written (vm_snapshot_reloads).  Seeds: the real cores in ../shared/testdata/cores when present (scripts/fuzz.sh). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json_reload.h"
#include "vmmap/capture/capture.h"
#include "vmmap/parse/elfcore.h"
#include "vmmap/sources/linux_model/core_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_back(const vm_core *c)
{
    vm_memreader r = vm_core_memreader(c);
    uint8_t buf[256];
    for (size_t i = 0; i < c->nsegs; i++) {
        const vm_core_segment *s = &c->segs[i];
        if (i && c->segs[i - 1].vaddr + c->segs[i - 1].memsz > s->vaddr)
            __builtin_trap(); /* sorted, not overlapping */
        if (s->filesz > s->memsz || (s->filesz && (s->offset > c->file_size || s->filesz > c->file_size - s->offset)))
            __builtin_trap();
        size_t n = r.read(r.ctx, s->vaddr, buf, sizeof buf);
        if (s->filesz && n == 0)
            __builtin_trap();
        r.read(r.ctx, s->vaddr + s->memsz - 1, buf, sizeof buf);
        r.read(r.ctx, s->vaddr - 1, buf, sizeof buf);
    }
    r.read(r.ctx, UINT64_MAX - 8, buf, sizeof buf);
}

typedef struct input {
    const vm_core *core;
} input;

static int gather(void *ctx, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    const input *in = ctx;
    return vm_core_gather_parsed(in->core, NULL, opt, f, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vm_buffer_reader br = {.base = 0, .data = data, .len = size};
    vm_memreader file = vm_buffer_reader_make(&br);
    vm_core core;
    char err[256] = "";
    if (vm_core_parse(&file, size, &core, err, sizeof err)) {
        if (core.nwarnings > VM_CORE_MAX_WARNINGS || core.nsegs == 0)
            __builtin_trap();
        read_back(&core);
        input in = {&core};
        vm_capture_options opt = {.skip_sections = (size & 1) != 0}; /* no module files opened half the time */
        vm_snapshot *s = NULL;
        vm_error e = {0};
        int rc = vm_capture_run(gather, &in, &opt, &s, &e);
        if (rc == 0) {
            if (!s || strcmp(s->source, "core") != 0)
                __builtin_trap();
            char why[512];
            if (!vm_snapshot_reloads(s, why, sizeof why)) { /* every snapshot vmmap writes loads again */
                fprintf(stderr, "the map of this core does not load again: %s\n", why);
                __builtin_trap();
            }
            vm_snapshot_free(s);
        } else if (s || e.msg[0] == '\0') {
            __builtin_trap();
        }
    } else if (err[0] == '\0') {
        __builtin_trap();
    }
    vm_core_free(&core);
    return 0;
}
