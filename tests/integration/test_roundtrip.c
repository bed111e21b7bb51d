/* Every snapshot vmmap writes loads again, as a property over every input that snapshots:
 *   - every real dump and core in ../shared/testdata and every fuzz corpus entry
 *     (tests/fuzz/corpus/): when `vmmap snapshot X -o S.json` succeeds, `vmmap show S.json` does
 *     too (the binary, as a user runs it);
 *   - a seeded, bounded mutation loop over the real dumps and cores: values written at random
 *     offsets (sizes and addresses near 2^32, 2^53, 2^56, 2^63 and 2^64 among them); every map
 *     made from a mutated file (a minidump read as Windows' and as Linux's, a core) loads again
 *     and reads back the same (the library: vm_snapshot_reloads).
 * VMMAP_TEST_SEED (default 1) and VMMAP_TEST_MUTATIONS (per dump, default 150) change the loop; a
 * failure names the seed, the dump and the round, so it can be made again.  The real-data part
 * is skipped with a message when ../shared/testdata is absent (a user's clone). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/json_reload.h"
#include "tests/support/proc_util.h"
#include "vmmap/capture/capture.h"
#include "vmmap/parse/minidump.h"
#include "vmmap/sources/input/unpack.h"
#include "vmmap/sources/linux_model/core_source.h"
#include "vmmap/sources/linux_model/linux_offline.h"
#include "vmmap/sources/minidump/minidump_source.h"

#define DATA "../shared/testdata"
#define CORPUS "tests/fuzz/corpus"
#define MAX_INPUTS 256

static char tmpdir[256];
static char *inputs[MAX_INPUTS];
static size_t ninputs;

static void add_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && ninputs < MAX_INPUTS) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            add_dir(path);
        else if (S_ISREG(st.st_mode))
            inputs[ninputs++] = strdup(path);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int setup(void **state)
{
    add_dir(DATA "/minidumps");
    add_dir(DATA "/cores");
    add_dir(CORPUS);
    qsort(inputs, ninputs, sizeof *inputs, cmp_str);
    return pu_tempdir(tmpdir, sizeof tmpdir);
}

static int teardown(void **state)
{
    for (size_t i = 0; i < ninputs; i++)
        free(inputs[i]);
    return tmpdir[0] ? pu_tempdir_remove(tmpdir) : 0;
}

static bool is_real(const char *path)
{
    return strncmp(path, DATA "/", sizeof DATA) == 0;
}

static pu_run_result run_vmmap(char *a1, char *a2, char *a3, char *a4, char *a5)
{
    char *bin = pu_build_path("vmmap");
    char *argv[] = {bin, a1, a2, a3, a4, a5, NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, &(pu_run_opts){.timeout_ms = 60000}, &r) != 0)
        fail_msg("cannot run %s: %s", bin, pu_last_error());
    free(bin);
    return r;
}

/* `snapshot` then `show` of the result, for every input there is. */
static void test_snapshot_then_show(void **state)
{
    size_t real = 0, snapped = 0, snapped_real = 0;
    char out[512];
    snprintf(out, sizeof out, "%s/snap.json", tmpdir);
    for (size_t i = 0; i < ninputs; i++) {
        real += is_real(inputs[i]);
        pu_run_result r = run_vmmap("snapshot", inputs[i], "-o", out, "-q");
        /* not every input is a snapshot source (an ELF core, a fuzz seed of another parser): an
         * error with its message is a fine answer, a crash or a hang is not */
        if (r.timed_out || r.term_signal || (r.exit_code != 0 && !strstr(r.err, "vmmap: error: ")))
            fail_msg("vmmap snapshot %s: exit %d signal %d: %s", inputs[i], r.exit_code, r.term_signal, r.err);
        int snap_rc = r.exit_code;
        pu_run_result_free(&r);
        if (snap_rc != 0) {
            print_message("%-90s not a snapshot source\n", inputs[i]);
            continue;
        }
        snapped++;
        snapped_real += is_real(inputs[i]);
        r = run_vmmap("show", out, NULL, NULL, NULL);
        if (r.exit_code != 0)
            fail_msg("vmmap show of the snapshot of %s: exit %d: %s", inputs[i], r.exit_code, r.err);
        pu_run_result_free(&r);
        print_message("%-90s snapshot and show: ok\n", inputs[i]);
        unlink(out);
    }
    if (real == 0)
        print_message("SKIP: %s is absent: only the fuzz corpus was checked\n", DATA);
    /* the corpus has snapshot JSON and minidump seeds; the real data has a dozen readable dumps */
    assert_true(snapped >= 5);
    assert_true(real == 0 || snapped_real >= 10);
}

/* ---- mutations ---- */

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void put_le(uint8_t *p, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes 1 to 8 values at random offsets past the header: a random byte, or a 4- or 8-byte value
 * chosen among the ones that break address arithmetic. */
static void mutate(uint8_t *d, size_t n)
{
    static const uint64_t WIDE[] = {0, 1, 0x1000, 0x7fff0000, 0xffff0000, 0x100000000, 0x7fffffff0000,
                                    UINT64_C(1) << 47, (UINT64_C(1) << 53) - 1, UINT64_C(1) << 53,
                                    UINT64_C(1) << 56, UINT64_C(1) << 63, UINT64_MAX - 0xfff, UINT64_MAX,
                                    UINT64_C(0xffff800000000000)};
    static const uint32_t NARROW[] = {0, 1, 0x1000, 0x10000, 0x7fffffff, 0x80000000, 0xfffff000, 0xffffffff};
    int count = 1 + (int)(next() % 8);
    for (int k = 0; k < count && n > 40; k++) {
        size_t at = 32 + (size_t)(next() % (n - 40));
        switch (next() % 4) {
        case 0: d[at] = (uint8_t)next(); break;
        case 1: put_le(d + at, NARROW[next() % (sizeof NARROW / sizeof *NARROW)], 4); break;
        case 2: put_le(d + (at & ~(size_t)7), WIDE[next() % (sizeof WIDE / sizeof *WIDE)], 8); break;
        default: put_le(d + (at & ~(size_t)7), next(), 8); break;
        }
    }
}

static unsigned long env_or(const char *name, unsigned long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtoul(v, NULL, 10) : dflt;
}

/* ---- the ways a dump becomes a snapshot: Windows and Linux readings of a minidump, a core ---- */

typedef enum kind { WINDOWS_DUMP, LINUX_DUMP, CORE } kind;

static int gather_linux_dump(void *ctx, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    return vm_linux_minidump_gather_parsed(ctx, opt, f, err);
}

static int gather_core(void *ctx, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    return vm_core_gather_parsed(ctx, NULL, opt, f, err);
}

/* The snapshot of the bytes read as k, or NULL when they give none (an error is a fine answer). */
static vm_snapshot *map(kind k, const uint8_t *d, size_t n)
{
    vm_snapshot *s = NULL;
    vm_error e = {0};
    char why[256];
    if (k == WINDOWS_DUMP) {
        vm_minidump_capture_buffer(d, n, "mutated.dmp", &s, &e);
    } else if (k == LINUX_DUMP) {
        vm_minidump md;
        if (vm_md_parse(d, n, &md, why, sizeof why)) {
            vm_capture_run(gather_linux_dump, &md, NULL, &s, &e);
            vm_md_free(&md);
        }
    } else {
        vm_buffer_reader br = {.base = 0, .data = d, .len = n};
        vm_memreader file = vm_buffer_reader_make(&br);
        vm_core core;
        if (vm_core_parse(&file, n, &core, why, sizeof why))
            vm_capture_run(gather_core, &core, &(vm_capture_options){.skip_sections = true}, &s, &e);
        vm_core_free(&core);
    }
    return s;
}

/* The file's content, decompressed when packed (at most 256 MiB). */
static uint8_t *content(const char *path, size_t *n)
{
    vm_unpack *u;
    vm_error err = {0};
    if (vm_unpack_open(path, &u, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
    size_t cap = 1 << 20, len = 0, got = 0;
    uint8_t *b = malloc(cap);
    assert_non_null(b);
    do {
        if (len == cap) {
            assert_true(cap < ((size_t)256 << 20));
            b = realloc(b, cap *= 2);
            assert_non_null(b);
        }
        if (vm_unpack_read(u, b + len, cap - len, &got, &err) != 0)
            fail_msg("%s: %s", path, err.msg);
        len += got;
    } while (got);
    vm_unpack_close(u);
    *n = len;
    return b;
}

static void test_mutated_dumps_load_again(void **state)
{
    unsigned long seed = env_or("VMMAP_TEST_SEED", 1), rounds = env_or("VMMAP_TEST_MUTATIONS", 150);
    size_t files = 0, maps = 0;
    for (size_t i = 0; i < ninputs; i++) {
        bool dump = strstr(inputs[i], "/minidumps/") != NULL, core = strstr(inputs[i], "/cores/") != NULL;
        if (!is_real(inputs[i]) || (!dump && !core))
            continue;
        size_t n;
        uint8_t *data = content(inputs[i], &n), *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        files++;
        const kind kinds[] = {WINDOWS_DUMP, LINUX_DUMP};
        size_t nkinds = dump ? 2 : 1;
        for (size_t k = 0; k < nkinds; k++) {
            rng = seed * 0x9e3779b97f4a7c15u + i * 2 + k + 1;
            for (unsigned long round = 0; round < rounds; round++) {
                memcpy(copy, data, n);
                mutate(copy, n);
                vm_snapshot *s = map(dump ? kinds[k] : CORE, copy, n);
                if (!s)
                    continue;
                char why[512];
                if (!vm_snapshot_reloads(s, why, sizeof why))
                    fail_msg("%s (%s), seed %lu, round %lu: the snapshot does not load again: %s", inputs[i],
                             dump ? (k ? "as a Linux dump" : "as a Windows dump") : "core", seed, round, why);
                vm_snapshot_free(s);
                maps++;
            }
        }
        free(copy);
        free(data);
    }
    if (files == 0) {
        print_message("SKIP: %s is absent: no real dumps to mutate\n", DATA);
        return;
    }
    print_message("%zu dumps and cores, %lu mutations each (seed %lu): %zu maps made, all load again\n", files,
                  rounds, seed, maps);
    assert_true(maps > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_then_show),
        cmocka_unit_test(test_mutated_dumps_load_again),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
