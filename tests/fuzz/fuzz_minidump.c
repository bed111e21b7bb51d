/* libFuzzer target for the minidump reader: the input is a whole dump file.  It is parsed, every
 * captured range is read back through the memory reader (plus reads straddling and beyond the
 * ranges), and the full map is built from it (vm_minidump_capture_buffer: regions, NT facts, PE
 * headers, TEB/PEB, heap walks, classification).  Any input must give a map or a clear error,
 * never a crash, a hang, a leak or an out-of-bounds read.  Every dump is also mapped the Linux
 * way (vm_linux_minidump_gather_parsed: the Linux streams), whatever its platform; each map must
 * be a snapshot that, written as JSON, loads again (vm_snapshot_reloads).  Seeds:
 * tests/fuzz/corpus/fuzz_minidump (written by tests/unit/test_minidump with
 * VMMAP_MINIDUMP_SEEDS=DIR). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json_reload.h"
#include "vmmap/parse/minidump.h"
#include "vmmap/capture/capture.h"
#include "vmmap/sources/linux_model/linux_offline.h"
#include "vmmap/sources/minidump/minidump_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_back(const vm_minidump *md)
{
    vm_memreader r = vm_md_memreader(md);
    uint8_t buf[256];
    uint64_t total = 0;
    for (size_t i = 0; i < md->nranges; i++) {
        const vm_md_range *g = &md->ranges[i];
        if (g->offset > md->size || g->size > md->size - g->offset || g->size == 0)
            __builtin_trap();
        if (i && md->ranges[i - 1].start + md->ranges[i - 1].size > g->start)
            __builtin_trap();
        total += g->size;
        size_t n = r.read(r.ctx, g->start, buf, sizeof buf);
        if (n == 0 || memcmp(buf, md->data + g->offset, n < g->size ? n : (size_t)g->size) != 0)
            __builtin_trap();
        r.read(r.ctx, g->start + g->size - 1, buf, sizeof buf);
        r.read(r.ctx, g->start - 1, buf, sizeof buf);
    }
    if (total != md->captured_bytes)
        __builtin_trap();
    r.read(r.ctx, UINT64_MAX - 8, buf, sizeof buf);
}

/* Every snapshot vmmap writes loads again. */
static void expect_reloads(const vm_snapshot *s, const char *what)
{
    char why[512];
    if (!vm_snapshot_reloads(s, why, sizeof why)) {
        fprintf(stderr, "%s does not load again: %s\n", what, why);
        __builtin_trap();
    }
}

/* The Linux reading of the same dump: LinuxMaps through the maps parser, LinuxProcStatus,
 * LinuxCmdLine, CSD, contexts, CodeView build-ids, the offline Linux steps. */
static int gather_linux(void *ctx, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    return vm_linux_minidump_gather_parsed(ctx, opt, f, err);
}

static void map_as_linux(const vm_minidump *md, size_t size)
{
    vm_capture_options opt = {.skip_sections = (size & 1) != 0};
    vm_snapshot *s = NULL;
    vm_error e = {0};
    int rc = vm_capture_run(gather_linux, (void *)md, &opt, &s, &e);
    if (rc == 0) {
        if (!s || strcmp(s->source, "minidump") != 0)
            __builtin_trap();
        for (size_t i = 0; i < s->nthreads; i++)
            if (s->threads[i].stack_base < s->threads[i].stack_limit)
                __builtin_trap();
        expect_reloads(s, "the Linux map of this dump");
        vm_snapshot_free(s);
    } else if (s || e.msg[0] == '\0') {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vm_minidump md;
    char err[256];
    if (vm_md_parse(data, size, &md, err, sizeof err)) {
        if (md.nwarnings > VM_MD_MAX_WARNINGS)
            __builtin_trap();
        read_back(&md);
        map_as_linux(&md, size);
        vm_md_free(&md);
    } else if (err[0] == '\0') {
        __builtin_trap();
    }
    vm_snapshot *s = NULL;
    vm_error e = {0};
    int rc = vm_minidump_capture_buffer(data, size, "fuzz.dmp", &s, &e);
    if (rc == 0) {
        if (!s || strcmp(s->source, "minidump") != 0)
            __builtin_trap();
        expect_reloads(s, "the map of this dump");
        vm_snapshot_free(s);
    } else if (s || e.msg[0] == '\0') {
        __builtin_trap();
    }
    return 0;
}
