/* Real minidumps from public projects (../shared/testdata/minidumps, described by SOURCES.tsv and
 * FACTS.tsv; skipped with a message when that folder is absent, as in a user's clone):
 *   - thread, module and MemoryInfoList entry counts and the architecture equal FACTS.tsv;
 *   - with a MemoryInfoList: every thread's stack range is Stack with its thread id, every module's
 *     range is Image, and the map's non-free total equals the MemoryInfoList's non-free total;
 *   - without one: the map is marked partial and stacks and modules are still labelled;
 *   - the small invalid dumps give a clear error or a partial map;
 *   - truncated copies of every dump (50 lengths each) give exit code 0 or 5 from the binary;
 *   - the command line: `show X --type stack`, `info X`, `snapshot X -o -`;
 *   - the NT heap block walker on real bytes: the x86 Windows 10 dump's process heap header and
 *     first pages are captured, and its walk decodes every captured entry (checksum, PreviousSize,
 *     sizes) up to the very end of the captured bytes, where it stops unable to read.
 * The library is used for counts, the vmmap binary for the command-line paths. */
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

#include "tests/support/proc_util.h"
#include "tests/support/truth_check.h"
#include "vmmap/parse/minidump.h"
#include "vmmap/sources/linux_model/proc_maps.h"
#include "vmmap/capture/capture.h"
#include "vmmap/sources/minidump/minidump_source.h"

#define DATA "../shared/testdata"
#define DUMPS DATA "/minidumps"
#define MAX_DUMPS 64

typedef struct fact {
    char file[160];
    char arch[40];        /* FACTS column 4: "AMD64(9)", "x86(0)", "-" */
    char os[40];          /* FACTS column 5: "Windows 10.0.22000", "Linux 0.0.0", "-" */
    long threads, modules, meminfo; /* -1 for "-" */
} fact;

static fact facts[MAX_DUMPS];
static size_t nfacts;
static char tmpdir[256];

static long count_field(const char *f, const char *key)
{
    size_t k = strlen(key);
    if (strncmp(f, key, k) != 0)
        return -2;
    return f[k] == '-' ? -1 : strtol(f + k, NULL, 10);
}

/* FACTS.tsv: tab-separated; column 3 the kind (MDMP), 4 the arch, then threads=, modules=, meminfo=. */
static int load_facts(void)
{
    FILE *f = fopen(DATA "/FACTS.tsv", "r");
    if (!f)
        return -1;
    char line[4096];
    while (fgets(line, sizeof line, f) && nfacts < MAX_DUMPS) {
        char *col[16] = {0};
        size_t n = 0;
        for (char *p = line, *tok; n < 16 && (tok = strsep(&p, "\t\n"));)
            col[n++] = tok;
        if (n < 8 || strcmp(col[2], "MDMP") != 0)
            continue;
        fact *x = &facts[nfacts++];
        snprintf(x->file, sizeof x->file, "%s", col[0]);
        snprintf(x->arch, sizeof x->arch, "%s", col[3]);
        snprintf(x->os, sizeof x->os, "%s", col[4]);
        x->threads = count_field(col[5], "threads=");
        x->modules = count_field(col[6], "modules=");
        x->meminfo = count_field(col[7], "meminfo=");
    }
    fclose(f);
    return 0;
}

static const char *expected_arch(const char *facts_arch)
{
    static const struct { const char *prefix, *name; } MAP[] = {
        {"AMD64(", "x86_64"}, {"x86(", "x86"}, {"ARM64", "arm64"}, {"ARM(", "arm"}};
    for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
        if (strncmp(facts_arch, MAP[i].prefix, strlen(MAP[i].prefix)) == 0)
            return MAP[i].name;
    return NULL;
}

static bool is_invalid_sample(const char *name)
{
    return strstr(name, "invalid-") || strstr(name, "regions-memlist64");
}

static int setup(void **state)
{
    if (load_facts() != 0 || nfacts == 0)
        return 0;
    return pu_tempdir(tmpdir, sizeof tmpdir);
}

static int teardown(void **state)
{
    return tmpdir[0] ? pu_tempdir_remove(tmpdir) : 0;
}

static bool skip_if_absent(void)
{
    if (nfacts == 0) {
        print_message("SKIP: %s (or its FACTS.tsv) is absent: real-dump tests not run\n", DUMPS);
        return true;
    }
    return false;
}

static char *dump_path(const fact *x)
{
    static char p[512];
    snprintf(p, sizeof p, DUMPS "/%.150s", x->file);
    return p;
}

/* ---- through the library ---- */

typedef struct loaded {
    vm_md_file file;
    vm_minidump md;
    bool parsed;
} loaded;

static bool load(const fact *x, loaded *l)
{
    vm_error err = {0};
    memset(l, 0, sizeof *l);
    if (vm_md_file_load(dump_path(x), &l->file, &err) != 0) {
        print_message("%s: %s\n", x->file, err.msg);
        return false;
    }
    char msg[256];
    l->parsed = vm_md_parse(l->file.data, l->file.size, &l->md, msg, sizeof msg);
    if (!l->parsed)
        print_message("%s: %s\n", x->file, msg);
    return true;
}

static void unload(loaded *l)
{
    if (l->parsed)
        vm_md_free(&l->md);
    vm_md_file_close(&l->file);
}

static void test_counts_match_facts(void **state)
{
    if (skip_if_absent())
        return;
    for (size_t i = 0; i < nfacts; i++) {
        const fact *x = &facts[i];
        loaded l;
        assert_true(load(x, &l));
        assert_true(l.parsed);
        const vm_minidump *md = &l.md;
        print_message("%-60s threads %zu/%ld modules %zu/%ld meminfo %zu/%ld\n", x->file, md->nthreads, x->threads,
                      md->nmodules, x->modules, md->nmeminfo, x->meminfo);
        assert_int_equal(md->nthreads, x->threads < 0 ? 0 : x->threads);
        assert_int_equal(md->nmodules, x->modules < 0 ? 0 : x->modules);
        assert_int_equal(md->nmeminfo, x->meminfo < 0 ? 0 : x->meminfo);
        assert_int_equal(md->has_memory_info, x->meminfo >= 0);
        const char *want = expected_arch(x->arch);
        const char *got = md->has_system_info ? vm_md_arch_name(md->sys.processor_architecture) : NULL;
        if (want)
            assert_string_equal(got, want);
        else
            assert_null(got);
        unload(&l);
    }
}

static const vm_block *block_at(const vm_snapshot *s, uint64_t a)
{
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++) {
            const vm_block *b = &s->regions[i].blocks[j];
            if (a >= b->address && a - b->address < b->size)
                return b;
        }
    return NULL;
}

static bool has_code(const vm_snapshot *s, const char *code)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        if (strcmp(s->warnings[i].code, code) == 0)
            return true;
    return false;
}

/* Every page of [lo, hi) lies in a block of this kind (and thread, when tid != 0). */
static void expect_kind_range(const vm_snapshot *s, uint64_t lo, uint64_t hi, vm_kind kind, uint64_t tid,
                         const char *what)
{
    for (uint64_t a = lo & ~UINT64_C(0xfff); a < hi; a += 0x1000) {
        const vm_block *b = block_at(s, a);
        if (!b || b->kind != kind || (tid && b->thread_id != tid))
            fail_msg("%s: 0x%" PRIx64 " is %s (thread %" PRIu64 "), expected %s (thread %" PRIu64 ")", what, a,
                     b ? vm_kind_name(b->kind) : "unmapped", b ? b->thread_id : 0, vm_kind_name(kind), tid);
    }
}

static void check_map(const fact *x, const vm_minidump *md, const vm_snapshot *s)
{
    char what[256];
    for (size_t t = 0; t < md->nthreads; t++) {
        const vm_md_thread *th = &md->threads[t];
        if (!th->stack_size)
            continue;
        snprintf(what, sizeof what, "%.120s thread %" PRIu32 " stack", x->file, th->thread_id);
        expect_kind_range(s, th->stack_start, th->stack_start + th->stack_size, VM_KIND_STACK, th->thread_id, what);
    }
    for (size_t m = 0; m < md->nmodules; m++) {
        snprintf(what, sizeof what, "%.120s module %.100s", x->file, md->modules[m].name ? md->modules[m].name : "?");
        expect_kind_range(s, md->modules[m].base, md->modules[m].base + md->modules[m].size, VM_KIND_IMAGE, 0, what);
    }
    if (md->has_memory_info) {
        uint64_t want = 0, got = 0;
        for (size_t i = 0; i < md->nmeminfo; i++)
            want += md->meminfo[i].state != 0x10000 ? md->meminfo[i].region_size : 0;
        for (size_t i = 0; i < s->nregions; i++)
            for (size_t j = 0; j < s->regions[i].nblocks; j++) {
                const vm_block *b = &s->regions[i].blocks[j];
                got += b->kind != VM_KIND_FREE && b->kind != VM_KIND_UNUSABLE ? b->size : 0;
            }
        print_message("%-60s map total %" PRIu64 " = MemoryInfoList non-free %" PRIu64 "\n", x->file, got, want);
        assert_int_equal(got, want);
        assert_false(has_code(s, "partial-map"));
    } else {
        assert_true(has_code(s, "partial-map"));
    }
}

static void test_maps(void **state)
{
    if (skip_if_absent())
        return;
    for (size_t i = 0; i < nfacts; i++) {
        const fact *x = &facts[i];
        loaded l;
        assert_true(load(x, &l));
        vm_snapshot *s = NULL;
        vm_error err = {0};
        int rc = vm_minidump_capture_buffer(l.file.data, l.file.size, x->file, &s, &err);
        if (is_invalid_sample(x->file)) {
            print_message("%-60s rc %d %s\n", x->file, rc, rc ? err.msg : "(partial map)");
            assert_true(rc == 0 || rc == VM_EXIT_BAD_INPUT);
            if (rc)
                assert_non_null(strstr(err.msg, x->file));
        } else {
            if (rc != 0)
                fail_msg("%s: %s", x->file, err.msg);
            assert_string_equal(s->source, "minidump");
            check_map(x, &l.md, s);
        }
        vm_snapshot_free(s);
        unload(&l);
    }
}

/* Every thread's stack pointer, from its captured context, lies in its captured stack (Breakpad
 * and Windows capture from the stack pointer up; Breakpad for Linux from 128 bytes below it, the
 * red zone). */
static void test_thread_stack_pointers(void **state)
{
    if (skip_if_absent())
        return;
    g_errors = 0;
    for (size_t i = 0; i < nfacts; i++) {
        loaded l;
        assert_true(load(&facts[i], &l));
        size_t known = 0;
        for (size_t t = 0; l.parsed && t < l.md.nthreads; t++) {
            const vm_md_thread *th = &l.md.threads[t];
            uint64_t sp = 0;
            if (!th->stack_size || !vm_md_thread_sp(&l.md, th, &sp))
                continue;
            known++;
            expect(sp + 128 >= th->stack_start && sp < th->stack_start + th->stack_size,
                   "%s: thread %" PRIu32 " sp 0x%" PRIx64 " outside its stack [0x%" PRIx64 ", +%" PRIu32 ")",
                   facts[i].file, th->thread_id, sp, th->stack_start, th->stack_size);
        }
        if (l.parsed && l.md.nthreads && !is_invalid_sample(facts[i].file))
            expect(known > 0, "%s: no thread's stack pointer read", facts[i].file);
        unload(&l);
    }
    expect_none("stack pointers");
}

/* ---- through the binary ---- */

static pu_run_result run_vmmap(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4)
{
    char *bin = pu_build_path("vmmap");
    char *argv[] = {bin, (char *)a0, (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    pu_run_result r = {0};
    pu_run_opts o = {.timeout_ms = 60000};
    if (pu_run(argv, &o, &r) != 0)
        fail_msg("cannot run %s: %s", bin, pu_last_error());
    free(bin);
    return r;
}

/* The process heap of the x86 Firefox dump (Windows 10 19041): only its first pages are in the
 * dump.  The block walk must decode entry after entry there, each starting where the one before
 * it ends (an error in the x86 layout, the Encoding or the checksum rule would stop it with
 * heap-invalid), and end a segment only where the next entry's header is not in the dump. */
static void test_heap_blocks_real(void **state)
{
    if (skip_if_absent())
        return;
    const fact *x = NULL;
    for (size_t i = 0; i < nfacts && !x; i++)
        if (strcmp(facts[i].file, "minidump-stackwalk__windows-x86.dmp.xz") == 0)
            x = &facts[i];
    if (!x) {
        print_message("SKIP: minidump-stackwalk__windows-x86.dmp.xz not in FACTS.tsv\n");
        return;
    }
    pu_run_result r = run_vmmap("snapshot", dump_path(x), "--heap-blocks", "-o", "-");
    assert_int_equal(r.exit_code, 0);
    cJSON *j = cJSON_Parse(r.out);
    pu_run_result_free(&r);
    assert_non_null(j);
    const cJSON *h = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "heaps"), 0);
    assert_non_null(h);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(h, "kind")->valuestring, "NT");
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(h, "stats")));

    /* The blocks, in walk order: heap, address, size, state. */
    r = run_vmmap("heaps", dump_path(x), "--blocks", NULL, NULL);
    assert_int_equal(r.exit_code, 0);
    uint64_t addr[64], size[64];
    size_t n = 0;
    for (char *save = NULL, *line = strtok_r(r.out, "\n", &save); line && n < 64; line = strtok_r(NULL, "\n", &save)) {
        char state_word[16];
        unsigned long long a, z;
        int id;
        if (sscanf(line, "%d\t%llx\t%llu\t%15s", &id, &a, &z, state_word) == 4 && id == 0) {
            addr[n] = a;
            size[n++] = z;
        }
    }
    pu_run_result_free(&r);
    assert_true(n >= 2);

    loaded l;
    assert_true(load(x, &l) && l.parsed);
    vm_memreader mem = vm_md_memreader(&l.md);
    size_t edges = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(j, "warnings"))
    {
        const char *code = cJSON_GetObjectItemCaseSensitive(w, "code")->valuestring;
        const char *msg = cJSON_GetObjectItemCaseSensitive(w, "message")->valuestring;
        if (!strstr(msg, "NT heap "))
            continue;
        if (strcmp(code, "heap-invalid") == 0)
            fail_msg("the NT heap walk met a damaged entry in real bytes: %s", msg);
        const char *at = strstr(msg, "cannot read the entry at 0x");
        if (!at)
            continue;
        uint64_t e = strtoull(at + strlen("cannot read the entry at "), NULL, 16);
        uint8_t b[8];
        assert_false(vm_read_exact(&mem, e, b, sizeof b));  /* x86: the header is the entry's first 8 bytes */
        /* The entries before e were decoded back to back, their headers in the dump. */
        size_t k = 0;
        while (k < n && addr[k] + size[k] != e)
            k++;
        assert_true(k < n);
        size_t chain = 1;
        while (k > 0 && addr[k - 1] + size[k - 1] == addr[k]) {
            assert_true(vm_read_exact(&mem, addr[k], b, sizeof b));
            k--, chain++;
        }
        assert_true(vm_read_exact(&mem, addr[k], b, sizeof b));
        print_message("NT heap of the x86 dump: %zu entries decoded back to back up to 0x%" PRIx64
                      ", where the dump's bytes end\n", chain, e);
        edges++;
    }
    assert_true(edges >= 1);
    unload(&l);
    cJSON_Delete(j);
}

static void test_cli(void **state)
{
    if (skip_if_absent())
        return;
    for (size_t i = 0; i < nfacts; i++) {
        const fact *x = &facts[i];
        const char *p = dump_path(x);
        bool invalid = is_invalid_sample(x->file);
        pu_run_result r = run_vmmap("info", p, NULL, NULL, NULL);
        assert_false(r.timed_out);
        assert_true(r.exit_code == 0 || (invalid && r.exit_code == 5));
        if (r.exit_code == 0)
            assert_non_null(strstr(r.out, ": minidump"));
        else
            assert_non_null(strstr(r.err, "vmmap: error: "));
        if (strstr(r.out, "minidump of,")) /* no process name: none said, not an empty one */
            fail_msg("vmmap info %s:\n%s", p, r.out);
        pu_run_result_free(&r);

        r = run_vmmap("show", p, "--type", "stack", NULL);
        assert_true(r.exit_code == 0 || (invalid && r.exit_code == 5));
        if (!invalid && x->threads > 0)
            assert_non_null(strstr(r.out, "Stack"));
        pu_run_result_free(&r);

        r = run_vmmap("snapshot", p, "-o", "-", NULL);
        assert_true(r.exit_code == 0 || (invalid && r.exit_code == 5));
        if (r.exit_code == 0) {
            cJSON *j = cJSON_Parse(r.out);
            assert_non_null(j);
            const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "source");
            const char *kind = cJSON_IsString(src) ? src->valuestring : NULL;
            if (!kind) { /* the source kind may sit inside a header object */
                const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(j, "header");
                src = hdr ? cJSON_GetObjectItemCaseSensitive(hdr, "source") : NULL;
                kind = cJSON_IsString(src) ? src->valuestring : NULL;
            }
            if (kind)
                assert_string_equal(kind, "minidump");
            else
                assert_non_null(strstr(r.out, "\"minidump\""));
            cJSON_Delete(j);
        }
        pu_run_result_free(&r);
    }
}

/* Capture options reach the minidump source: --no-heaps walks no heap (the dump's own heap is
 * listed without it), the same as for a live process.  (They were ignored.) */
static void test_options_honoured(void **state)
{
    if (skip_if_absent())
        return;
    char p[600];
    snprintf(p, sizeof p, "%s/minidumps/breakpad__tiny-exe-with-cet-xsave.dmp", DATA);
    size_t heaps[2];
    for (int k = 0; k < 2; k++) {
        pu_run_result r = run_vmmap("snapshot", p, "-o", "-", k ? "--no-heaps" : NULL);
        assert_int_equal(r.exit_code, 0);
        cJSON *j = cJSON_Parse(r.out);
        assert_non_null(j);
        heaps[k] = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "heaps"));
        cJSON_Delete(j);
        pu_run_result_free(&r);
    }
    assert_true(heaps[0] > 0);
    assert_int_equal(heaps[1], 0);
}

static bool is_data_file(const char *name)
{
    static const char *const EXT[] = {".pak", ".dat", ".ttf", ".otf", ".bin", ".cache", ".icu"};
    size_t n = name ? strlen(name) : 0;
    for (size_t i = 0; i < sizeof EXT / sizeof EXT[0]; i++)
        if (n > strlen(EXT[i]) && strcmp(name + n - strlen(EXT[i]), EXT[i]) == 0)
            return true;
    return false;
}

/* A Breakpad dump of a Linux process maps as one: LinuxMaps is the region list (every mapping
 * present, with its file; the totals are the maps' total), stacks are whole mappings with their
 * thread ids, data files in the module list are Mapped File, no Unusable, no PE warning, and the
 * OS is named from the CSD string.  (They were read as Windows dumps: 84% of the memory Free.) */
static void check_linux_dump(const fact *x)
{
    loaded l;
    assert_true(load(x, &l));
    assert_true(l.parsed);
    size_t n;
    const uint8_t *text = vm_md_stream_data(&l.md, 0x47670009, &n);
    assert_non_null(text);
    vm_linux_maps maps = {NULL, 0};
    char why[160];
    assert_true(vm_linux_parse_smaps_text((const char *)text, n, &maps, why, sizeof why));
    uint64_t maps_total = 0;
    for (size_t i = 0; i < maps.n; i++)
        maps_total += maps.v[i].end - maps.v[i].start;

    pu_run_result r = run_vmmap("snapshot", dump_path(x), "-o", "-", "-q");
    if (r.exit_code != 0)
        fail_msg("%s: exit %d: %s", x->file, r.exit_code, r.err);
    cJSON *s = cJSON_Parse(r.out);
    assert_non_null(s);
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(s, "host");
    const char *os = str_or(host, "os");
    expect(strncmp(os, "Linux ", 6) == 0 && strcmp(os, "Linux 0.0.0") != 0, "%s: os %s", x->file, os);
    expect(int_or(cJSON_GetObjectItemCaseSensitive(s, "process"), "pid", 0) > 0, "%s: no pid", x->file);
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(s, "threads"), *t;
    expect(cJSON_GetArraySize(threads) == x->threads, "%s: %d threads, FACTS says %ld", x->file,
           cJSON_GetArraySize(threads), x->threads);
    cJSON_ArrayForEach(t, threads)
    {
        uint64_t sp = 0;
        int64_t tid = int_or(t, "tid", -1);
        char d[256];
        expect(pu_json_hex(t, "sp", &sp) == 0 && sp, "%s: thread %" PRId64 " without a stack pointer", x->file, tid);
        const cJSON *b = pu_snapshot_find_block(s, sp, NULL);
        expect(b && str_is(b, "type", "Stack") && int_or(b, "thread", 0) == tid,
               "%s: thread %" PRId64 " sp 0x%" PRIx64 ": %s", x->file, tid, sp, b ? describe(b, d, sizeof d) : "no block");
    }
    uint64_t total = 0;
    const cJSON *reg, *b;
    cJSON_ArrayForEach(reg, cJSON_GetObjectItemCaseSensitive(s, "regions"))
    {
        expect(!str_is(reg, "type", "Unusable"), "%s: Unusable at %s", x->file, str_or(reg, "address"));
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(reg, "blocks"))
        {
            uint64_t size = 0;
            if (!str_is(b, "type", "Free") && pu_json_u64(b, "size", &size) == 0)
                total += size;
        }
    }
    expect(total == maps_total, "%s: %" PRIu64 " bytes mapped, LinuxMaps says %" PRIu64, x->file, total, maps_total);
    for (size_t i = 0; i < maps.n; i++) {
        char d[256];
        b = pu_snapshot_find_block(s, maps.v[i].start, NULL);
        expect(b && !str_is(b, "type", "Free"), "%s: mapping 0x%" PRIx64 " not in the map", x->file, maps.v[i].start);
        if (b && maps.v[i].name && maps.v[i].name[0] == '/')
            expect(str_is(b, "path", maps.v[i].name), "%s: mapping 0x%" PRIx64 " of %s: %s", x->file, maps.v[i].start,
                   maps.v[i].name, describe(b, d, sizeof d));
    }
    size_t data_files = 0;
    for (size_t i = 0; i < l.md.nmodules; i++) {
        const vm_md_module *m = &l.md.modules[i];
        if (!is_data_file(m->name))
            continue;
        data_files++;
        b = pu_snapshot_find_block(s, m->base, NULL);
        expect(b && str_is(b, "type", "Mapped File"), "%s: %s is a data file, typed %s", x->file, m->name,
               b ? str_or(b, "type") : "nothing");
    }
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(s, "warnings"))
        expect(!strstr(str_or(w, "message"), "PE headers"), "%s: a PE warning: %s", x->file, str_or(w, "message"));
    print_message("%-40s %zu mappings, %" PRIu64 " bytes, %zu data files in the module list\n", x->file, maps.n,
                  total, data_files);
    cJSON_Delete(s);
    pu_run_result_free(&r);
    r = run_vmmap("info", dump_path(x), NULL, NULL, NULL);
    expect(r.exit_code == 0, "%s: info exit %d", x->file, r.exit_code);
    char list[96];
    snprintf(list, sizeof list, "region list: LinuxMaps, %zu mappings", maps.n);
    expect(strstr(r.out, list) && strstr(r.out, "as a Linux process") && !strstr(r.out, "Linux 0.0.0"),
           "%s: info does not describe a Linux process's dump (want \"%s\"):\n%s", x->file, list, r.out);
    /* The uid, as a core's info gives it: the real uid, first of LinuxProcStatus's "Uid:" line
     * (read here from the stream's own text). */
    const uint8_t *st = vm_md_stream_data(&l.md, 0x47670004, &n); /* LinuxProcStatus */
    const char *uid_line = st ? memmem(st, n, "\nUid:\t", 6) : NULL;
    if (uid_line) {
        char want[48];
        snprintf(want, sizeof want, ", uid %lu)", strtoul(uid_line + 6, NULL, 10));
        expect(strstr(r.out, want) != NULL, "%s: info lacks \"%s\":\n%s", x->file, want, r.out);
    }
    print_message("%-40s uid %s\n", x->file, uid_line ? "in LinuxProcStatus and in info" : "not in the dump");
    pu_run_result_free(&r);
    vm_linux_maps_free(&maps);
    unload(&l);
}

static void test_linux_dumps(void **state)
{
    if (skip_if_absent())
        return;
    g_errors = 0;
    size_t n = 0;
    for (size_t i = 0; i < nfacts; i++)
        if (strncmp(facts[i].os, "Linux", 5) == 0) {
            check_linux_dump(&facts[i]);
            n++;
        }
    expect(n >= 2, "%zu Linux dumps in FACTS.tsv, want the two Breakpad ones", n);
    expect_none("Linux minidumps");
}

static void test_missing_and_not_a_dump(void **state)
{
    pu_run_result r = run_vmmap("/nonexistent/crash.dmp", NULL, NULL, NULL, NULL);
    assert_int_equal(r.exit_code, 3);
    assert_non_null(strstr(r.err, "no such file"));
    pu_run_result_free(&r);
    if (!tmpdir[0] && pu_tempdir(tmpdir, sizeof tmpdir) != 0)
        fail_msg("%s", pu_last_error());
    char path[600];
    snprintf(path, sizeof path, "%s/notadump.dmp", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("this is a text file, not a minidump at all\n", f);
    fclose(f);
    r = run_vmmap(path, NULL, NULL, NULL, NULL);
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.err, "not a minidump (signature 0x"));
    pu_run_result_free(&r);
    remove(path);
}

/* A copy of the first len bytes of the dump's (decompressed) contents. */
static void write_prefix(const char *path, const uint8_t *d, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, len, f), len);
    fclose(f);
}

static void test_truncated_copies(void **state)
{
    if (skip_if_absent())
        return;
    for (size_t i = 0; i < nfacts; i++) {
        const fact *x = &facts[i];
        loaded l;
        assert_true(load(x, &l));
        size_t n = l.file.size;
        char path[600];
        snprintf(path, sizeof path, "%s/cut.dmp", tmpdir);
        for (int k = 0; k < 50; k++) {
            /* small prefixes (header, directory) and then evenly spread ones */
            size_t len = k < 10 ? (size_t)k * 13 : (n / 41) * (size_t)(k - 9);
            if (len >= n)
                len = n - 1;
            write_prefix(path, l.file.data, len);
            pu_run_result r = run_vmmap("snapshot", path, "-o", "-", "-q");
            if (r.timed_out || (r.exit_code != 0 && r.exit_code != 5))
                fail_msg("%s cut at %zu: exit %d signal %d: %s", x->file, len, r.exit_code, r.term_signal, r.err);
            pu_run_result_free(&r);
        }
        remove(path);
        unload(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_match_facts),
        cmocka_unit_test(test_maps),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_options_honoured),
        cmocka_unit_test(test_thread_stack_pointers),
        cmocka_unit_test(test_linux_dumps),
        cmocka_unit_test(test_missing_and_not_a_dump),
        cmocka_unit_test(test_truncated_copies),
        cmocka_unit_test(test_heap_blocks_real),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
