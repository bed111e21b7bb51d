/* Real ELF cores from public projects (../shared/testdata/cores, FACTS.tsv gives facts read by an
 * independent inspector): kernel-written and gcore, plain and gzip-compressed.  Thread counts,
 * every thread's stack typed Stack with its tid at its stack pointer, one block per PT_LOAD,
 * the files NT_FILE names, who wrote the core; then truncated and mutated copies: no crash, no
 * hang, exit 0 or 5, and a truncated core's reason named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/proc_util.h"
#include "tests/support/truth_check.h"
#include "vmmap/sources/input/spool.h"

#define DATA "../shared/testdata"
#define CORES DATA "/cores"
#define MAX_CORES 16

typedef struct fact {
    char file[160];
    long threads, loads, files;
    char writer[32]; /* "gdb-gcore", "linux-kernel" */
    char names[1024]; /* the files=... list, comma-separated base names */
} fact;

static fact facts[MAX_CORES];
static size_t nfacts;
static char tmpdir[256];

static long count_field(const char *f, const char *key)
{
    size_t k = strlen(key);
    return f && strncmp(f, key, k) == 0 ? strtol(f + k, NULL, 10) : -1;
}

/* FACTS.tsv lines of kind ELF-CORE: file, size, kind, arch, bits, threads=, PT_LOAD=, NT_FILE=,
 * writer, files=. */
static int load_facts(void)
{
    FILE *f = fopen(DATA "/FACTS.tsv", "r");
    if (!f)
        return -1;
    char line[4096];
    while (fgets(line, sizeof line, f) && nfacts < MAX_CORES) {
        char *col[16] = {0};
        size_t n = 0;
        for (char *p = line, *tok; n < 16 && (tok = strsep(&p, "\t\n"));)
            col[n++] = tok;
        if (n < 10 || strcmp(col[2], "ELF-CORE") != 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < nfacts; i++)
            dup |= strcmp(facts[i].file, col[0]) == 0;
        if (dup)
            continue;
        fact *x = &facts[nfacts++];
        snprintf(x->file, sizeof x->file, "%s", col[0]);
        x->threads = count_field(col[5], "threads=");
        x->loads = count_field(col[6], "PT_LOAD=");
        x->files = count_field(col[7], "NT_FILE=");
        snprintf(x->writer, sizeof x->writer, "%s", col[8]);
        snprintf(x->names, sizeof x->names, "%s", strncmp(col[9], "files=", 6) == 0 ? col[9] + 6 : "");
    }
    fclose(f);
    return 0;
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
        print_message("SKIP: %s (or its FACTS.tsv) is absent: real-core tests not run\n", CORES);
        return true;
    }
    return false;
}

static const char *core_path(const fact *x)
{
    static char p[512];
    snprintf(p, sizeof p, CORES "/%.150s", x->file);
    return p;
}

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

static bool path_has_base(const cJSON *snap, const char *base)
{
    const cJSON *r, *b;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(snap, "regions"))
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(r, "blocks"))
    {
        const char *p = pu_json_str(b, "path");
        const char *s = p ? strrchr(p, '/') : NULL;
        if (s && strcmp(s + 1, base) == 0)
            return true;
    }
    return false;
}

/* a and b are the two pieces of one mapping cut at a heap part (see check_one). */
static bool is_cut(const cJSON *a, const cJSON *b)
{
    uint64_t aa = 0, ba = 0;
    if (pu_json_hex(a, "address", &aa) != 0 || pu_json_hex(b, "address", &ba) != 0)
        return false;
    bool a_heap = cJSON_GetObjectItemCaseSensitive(a, "heap") != NULL;
    bool b_heap = cJSON_GetObjectItemCaseSensitive(b, "heap") != NULL;
    return aa + (uint64_t)int_or(a, "size", 0) == ba && a_heap != b_heap && !pu_json_str(a, "path") &&
           !pu_json_str(b, "path") && strcmp(str_or(a, "protection"), str_or(b, "protection")) == 0;
}

static void check_one(const fact *x)
{
    pu_run_result r = run_vmmap("snapshot", core_path(x), "-o", "-", "-q");
    if (r.exit_code != 0)
        fail_msg("%s: exit %d: %s", x->file, r.exit_code, r.err);
    cJSON *s = cJSON_Parse(r.out);
    assert_non_null(s);
    expect(str_is(s, "source", "core"), "%s: source %s", x->file, str_or(s, "source"));
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(s, "host");
    expect(str_has(str_or(host, "os"), "Linux"), "%s: os %s", x->file, str_or(host, "os"));
    expect(str_is(host, "arch", "x86_64"), "%s: arch %s", x->file, str_or(host, "arch"));
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(s, "threads"), *t;
    expect(cJSON_GetArraySize(threads) == x->threads, "%s: %d threads, FACTS says %ld", x->file,
           cJSON_GetArraySize(threads), x->threads);
    cJSON_ArrayForEach(t, threads)
    {
        uint64_t sp = 0;
        int64_t tid = int_or(t, "tid", -1);
        char d[256];
        expect(pu_json_hex(t, "sp", &sp) == 0 && sp, "%s: thread %" PRId64 " has no stack pointer", x->file, tid);
        const cJSON *b = pu_snapshot_find_block(s, sp, NULL);
        expect(b && str_is(b, "type", "Stack") && int_or(b, "thread", 0) == tid,
               "%s: thread %" PRId64 "'s stack pointer 0x%" PRIx64 " is not in its Stack: %s", x->file, tid, sp,
               b ? describe(b, d, sizeof d) : "no block");
    }
    /* One block per PT_LOAD, but for heap parts cut out of a mapping the kernel merged with other
     * anonymous memory: such a cut leaves a Heap block and an unnamed block of the same protection
     * side by side, where the core has one segment. */
    size_t blocks = 0, cuts = 0;
    const cJSON *reg, *b, *prev = NULL;
    cJSON_ArrayForEach(reg, cJSON_GetObjectItemCaseSensitive(s, "regions"))
    {
        expect(!str_is(reg, "type", "Unusable"), "%s: an Unusable region (a Windows rule) in a Linux core", x->file);
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(reg, "blocks"))
        {
            if (str_is(b, "type", "Free")) {
                prev = NULL;
                continue;
            }
            blocks++;
            if (prev && is_cut(prev, b))
                cuts++;
            prev = b;
        }
    }
    expect((long)(blocks - cuts) == x->loads, "%s: %zu blocks (%zu cut out of merged mappings), FACTS says %ld PT_LOAD segments",
           x->file, blocks, cuts, x->loads);
    /* Issue: the glibc mmap chunks' heap was written "0x0" and shown "heap at 0000000000000000".
     * It has no address of its own: null, and no "at" in `show --address`. */
    const cJSON *h;
    uint64_t chunk_part = 0;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(s, "heaps"))
    {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(h, "address");
        expect(cJSON_IsNull(a) || (cJSON_IsString(a) && strcmp(a->valuestring, "0x0") != 0),
               "%s: heap %s has address %s", x->file, str_or(h, "kind"), cJSON_IsString(a) ? a->valuestring : "?");
        if (str_is(h, "kind", "glibc mmap chunks")) {
            expect(cJSON_IsNull(a), "%s: the glibc mmap chunks' address is not null", x->file);
            pu_json_hex(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h, "parts"), 0), "address", &chunk_part);
        }
    }
    if (chunk_part) {
        char at[32];
        snprintf(at, sizeof at, "0x%" PRIx64, chunk_part);
        pu_run_result e = run_vmmap("show", core_path(x), "--address", at, "-q");
        expect(e.exit_code == 0 && strstr(e.out, "glibc mmap chunks heap;") && !strstr(e.out, "heap at 0000"),
               "%s: show --address %s: exit %d:\n%s", x->file, at, e.exit_code, e.out);
        pu_run_result_free(&e);
    }
    char names[1024];
    snprintf(names, sizeof names, "%s", x->names);
    for (char *p = names, *tok; (tok = strsep(&p, ","));)
        if (*tok)
            expect(path_has_base(s, tok), "%s: no block of file %s (NT_FILE names it)", x->file, tok);
    cJSON_Delete(s);
    pu_run_result_free(&r);

    r = run_vmmap("info", core_path(x), NULL, NULL, NULL);
    expect(r.exit_code == 0, "%s: info exit %d: %s", x->file, r.exit_code, r.err);
    const char *by = strcmp(x->writer, "gdb-gcore") == 0 ? "written by gdb's gcore" : "written by the kernel";
    expect(strstr(r.out, by) != NULL, "%s: info does not say \"%s\":\n%s", x->file, by, r.out);
    char segs[64];
    snprintf(segs, sizeof segs, "mappings: %ld segments", x->loads);
    expect(strstr(r.out, segs) != NULL, "%s: info does not say \"%s\"", x->file, segs);
    /* Counts read as words: "1 heap", "1 thread" (never "1 heaps"). */
    static const char *const nouns[] = {"region", "image", "thread", "heap", "mapping", "segment"};
    for (size_t i = 0; i < sizeof nouns / sizeof nouns[0]; i++) {
        char bad[32];
        snprintf(bad, sizeof bad, " 1 %ss", nouns[i]);
        expect(strstr(r.out, bad) == NULL, "%s: info says \"%s\":\n%s", x->file, bad + 1, r.out);
    }
    pu_run_result_free(&r);
}

static void test_counts_match_facts(void **state)
{
    if (skip_if_absent())
        return;
    g_errors = 0;
    for (size_t i = 0; i < nfacts; i++)
        check_one(&facts[i]);
    expect_none("cores vs FACTS.tsv");
}

/* The core's content (decompressed), whole, for making damaged copies. */
static uint8_t *content(const fact *x, size_t *n)
{
    vm_spool sp;
    vm_error err = {0};
    if (vm_spool_open(core_path(x), &sp, &err) != 0)
        fail_msg("%s: %s", x->file, err.msg);
    *n = (size_t)sp.file.size;
    uint8_t *d = malloc(*n ? *n : 1);
    assert_non_null(d);
    vm_memreader r = vm_spool_reader(&sp);
    assert_int_equal(r.read(r.ctx, 0, d, *n), *n);
    vm_spool_close(&sp);
    return d;
}

static void write_file(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

static uint64_t phdrs_end(const uint8_t *d, size_t n)
{
    if (n < 64)
        return 64;
    uint64_t phoff = 0;
    for (int i = 7; i >= 0; i--)
        phoff = phoff << 8 | d[32 + i];
    return phoff + (uint64_t)(d[56] | d[57] << 8) * (uint64_t)(d[54] | d[55] << 8);
}

static void test_truncated_and_mutated(void **state)
{
    if (skip_if_absent())
        return;
    char path[600];
    snprintf(path, sizeof path, "%s/cut.core", tmpdir);
    for (size_t i = 0; i < nfacts; i++) {
        size_t n;
        uint8_t *d = content(&facts[i], &n);
        uint64_t hdr_end = phdrs_end(d, n);
        for (int k = 0; k < 30; k++) {
            size_t len = k < 8 ? (size_t)k * 9 : k < 14 ? (size_t)(hdr_end - 1 - (uint64_t)(k - 8) * 56)
                                                        : (n / 17) * (size_t)(k - 13);
            if (len >= n)
                len = n - 1;
            write_file(path, d, len);
            pu_run_result r = run_vmmap("snapshot", path, "-o", "-", "-q");
            if (r.timed_out || (r.exit_code != 0 && r.exit_code != 5))
                fail_msg("%s cut at %zu: exit %d signal %d: %s", facts[i].file, len, r.exit_code, r.term_signal, r.err);
            if (len >= 18 && len < hdr_end && r.exit_code != 5)
                fail_msg("%s cut at %zu (inside the program headers): exit %d, want 5", facts[i].file, len, r.exit_code);
            if (len >= 64 && len < hdr_end && !strstr(r.err, "truncated"))
                fail_msg("%s cut at %zu: the reason does not say truncated: %s", facts[i].file, len, r.err);
            pu_run_result_free(&r);
        }
        uint32_t seed = 7u + (uint32_t)i;
        size_t span = n < 65536 ? n : 65536; /* headers and notes */
        for (int k = 0; k < 30; k++) {
            uint8_t *m = malloc(n);
            assert_non_null(m);
            memcpy(m, d, n);
            for (int flips = 0; flips < 8; flips++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = 16 + (seed >> 8) % (span - 16);
                m[at] ^= (uint8_t)(seed >> 3 | 1);
            }
            write_file(path, m, n);
            free(m);
            pu_run_result r = run_vmmap("snapshot", path, "-o", "-", "-q");
            if (r.timed_out || (r.exit_code != 0 && r.exit_code != 5))
                fail_msg("%s mutant %d: exit %d signal %d: %s", facts[i].file, k, r.exit_code, r.term_signal, r.err);
            pu_run_result_free(&r);
        }
        free(d);
    }
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_match_facts),
        cmocka_unit_test(test_truncated_and_mutated),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
