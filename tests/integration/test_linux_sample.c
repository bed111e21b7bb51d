/* Integration test: snapshot the running sample (samples/linux/sample.c) with the vmmap binary and
 * compare every item of its ground truth with the snapshot; compare the snapshot's totals with the
 * kernel's (smaps_rollup) for the sample and for a `sleep`; check the summary command and the
 * error exits (no such process, permission denied, target exited during the scan).
 *
 * Binaries come from $VMMAP_BUILD (default "build"): vmmap and samples/sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/sample_truth.h"
#include "tests/support/truth_check.h"

#define KiB ((uint64_t)1024)
#define MiB (KiB * KiB)
#define SAMPLE_START_MS 10000
#define STOP_MS 5000
#define RUN_MS 60000

typedef struct fixture {
    char *vmmap;
    char *sample;
    pu_child sample_child;   /* shared by the tests that only read the sample */
    char dir[64];            /* private temp dir for snapshot files */
    /* Per-test resources, released by per_test_teardown even when a test fails midway. */
    cJSON *snap;
    pu_run_result run;
    pu_child extra;          /* a fresh sample or `sleep` started by one test */
    char extra_dir[64];
} fixture;

/* ---------------------------------------------------------------------------------------------- */
/* Fixtures                                                                                        */

static int group_teardown(void **state);

/* cmocka does not run the group teardown when the setup fails: undo here. */
static int setup_failed(void **state)
{
    group_teardown(state);
    *state = NULL;
    return -1;
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->sample_child.stdin_fd = f->sample_child.stdout_fd = -1;
    f->extra.stdin_fd = f->extra.stdout_fd = -1;
    *state = f;
    signal(SIGPIPE, SIG_IGN);
    f->vmmap = pu_build_path("vmmap");
    f->sample = pu_build_path("samples/sample");
    if (!f->vmmap || !f->sample)
        return setup_failed(state);
    if (access(f->vmmap, X_OK) != 0 || access(f->sample, X_OK) != 0) {
        fprintf(stderr, "test_linux_sample: need %s and %s (run make first; VMMAP_BUILD=%s)\n", f->vmmap,
                f->sample, pu_build_dir());
        return setup_failed(state);
    }
    if (pu_tempdir(f->dir, sizeof f->dir) != 0) {
        fprintf(stderr, "test_linux_sample: %s\n", pu_last_error());
        f->dir[0] = '\0';
        return setup_failed(state);
    }
    char *argv[] = {f->sample, NULL};
    if (pu_sample_start(&f->sample_child, argv, SAMPLE_START_MS) != 0) {
        fprintf(stderr, "test_linux_sample: cannot start the sample: %s\n", pu_last_error());
        return setup_failed(state);
    }
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    int rc = 0;
    if (f->sample_child.pid > 0 && pu_child_stop(&f->sample_child, STOP_MS) != 0) {
        fprintf(stderr, "test_linux_sample: sample did not exit cleanly: %s\n", pu_last_error());
        rc = -1;
    }
    if (f->dir[0] && pu_tempdir_remove(f->dir) != 0) {
        fprintf(stderr, "test_linux_sample: %s\n", pu_last_error());
        rc = -1;
    }
    free(f->vmmap);
    free(f->sample);
    free(f);
    *state = NULL;
    return rc;
}

static int per_test_setup(void **state)
{
    g_errors = 0;
    return 0;
}

static int per_test_teardown(void **state)
{
    fixture *f = *state;
    cJSON_Delete(f->snap);
    f->snap = NULL;
    pu_run_result_free(&f->run);
    if (f->extra.pid > 0 || f->extra.stdin_fd >= 0 || f->extra.stdout_fd >= 0)
        pu_child_kill(&f->extra);
    memset(&f->extra, 0, sizeof f->extra);
    f->extra.stdin_fd = f->extra.stdout_fd = -1;
    if (f->extra_dir[0]) {
        pu_tempdir_remove(f->extra_dir);
        f->extra_dir[0] = '\0';
    }
    /* Snapshot files of the shared dir: each test starts with it empty. */
    if (f->dir[0] && pu_dir_count(f->dir) > 0) {
        pu_tempdir_remove(f->dir);
        if (mkdir(f->dir, 0700) != 0)
            return -1;
    }
    return 0;
}

/* True when a thread of process pid is blocked in nanosleep / clock_nanosleep
 * (/proc/PID/task/TID/syscall, first field): vmmap pauses in its smaps reader thread. */
static bool thread_in_sleep_syscall(const char *path);

static bool in_sleep_syscall(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool sleeping = false;
    for (struct dirent *e; !sleeping && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[64];
        long tid = strtol(e->d_name, NULL, 10);
        snprintf(path, sizeof path, "/proc/%d/task/%ld/syscall", (int)pid, tid);
        sleeping = thread_in_sleep_syscall(path);
    }
    closedir(d);
    return sleeping;
}

static bool thread_in_sleep_syscall(const char *path)
{
    char *text = pu_read_file(path, NULL);
    if (!text)
        return false;
    char *end;
    long nr = strtol(text, &end, 10);
    bool ok = end != text;
    free(text);
    if (!ok)
        return false;
#ifdef SYS_nanosleep
    if (nr == SYS_nanosleep)
        return true;
#endif
#ifdef SYS_clock_nanosleep
    if (nr == SYS_clock_nanosleep)
        return true;
#endif
    return false;
}

/* Runs `vmmap snapshot PID -o DIR/NAME` and loads the result into f->snap (fails the test when the
 * run fails). */
/* env_value, when not NULL, is VMMAP_TEST_EARLY_PASS for this run. */
static void take_snapshot_early(fixture *f, pid_t pid, const char *name, const char *early)
{
    char pidbuf[32], out[128];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
    snprintf(out, sizeof out, "%s/%s", f->dir, name);
    char *argv[] = {f->vmmap, "snapshot", pidbuf, "-o", out, NULL};
    pu_run_result_free(&f->run);
    pu_run_opts opts = {.timeout_ms = RUN_MS};
    if (early) {
        opts.env_name = "VMMAP_TEST_EARLY_PASS";
        opts.env_value = early;
    }
    int rc = pu_run(argv, &opts, &f->run);
    if (rc != 0 || f->run.exit_code != 0)
        fail_msg("vmmap snapshot %d: exit %d (%s)\nstderr:\n%s", (int)pid, f->run.exit_code,
                 rc ? pu_last_error() : "ran", f->run.err ? f->run.err : "");
    cJSON_Delete(f->snap);
    f->snap = pu_json_load(out);
    if (!f->snap)
        fail_msg("snapshot: %s", pu_last_error());
    char why[512];
    if (!loads_again(out, why, sizeof why))
        fail_msg("the snapshot vmmap wrote does not load again: %s", why);
    unlink(out);
    const cJSON *proc = cJSON_GetObjectItemCaseSensitive(f->snap, "process");
    assert_int_equal(int_or(proc, "pid", -1), pid);
    assert_true(str_is(f->snap, "format", "vmmap-snapshot"));
}

static void take_snapshot(fixture *f, pid_t pid, const char *name)
{
    take_snapshot_early(f, pid, name, NULL);
}

/* Like take_snapshot, but reads the kernel's totals (smaps_rollup and the smaps Pss sum) while
 * vmmap pauses right after reading the maps (VMMAP_TEST_PAUSE_AFTER_MAPS), its smaps read going
 * on meanwhile: both reads then see the same set of processes sharing the target's pages, which
 * is what Pss depends on. */
static void take_snapshot_reading_kernel(fixture *f, pid_t pid, const char *name, pu_rollup *during)
{
    char pidbuf[32], out[128];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
    snprintf(out, sizeof out, "%s/%s", f->dir, name);
    char *argv[] = {f->vmmap, "snapshot", pidbuf, "-o", out, NULL};
    pu_run_result_free(&f->run);
    pu_proc p;
    pu_run_opts opts = {.env_name = "VMMAP_TEST_PAUSE_AFTER_MAPS", .env_value = "1000", .timeout_ms = RUN_MS};
    /* The plain pass: with the early pass, vmmap runs its steps while the reader thread still
     * reads smaps, and every libc page it touches for the first time moves the Pss (and the
     * private/shared split) of a target that maps the same pages, between the read of that
     * mapping's lines and the pause (seen: 1 kB in 1 run of 5 under ASan).  The early pass gives
     * the plain pass's snapshot, those counters aside (test_early_pass_same_snapshot). */
    setenv("VMMAP_TEST_EARLY_PASS", "off", 1);
    int spawned = pu_proc_spawn(&p, argv, &opts);
    unsetenv("VMMAP_TEST_EARLY_PASS");
    if (spawned != 0)
        fail_msg("%s", pu_last_error());
    int64_t start = pu_now_ms();
    bool pausing = false;
    while (!pausing && pu_now_ms() - start < 5000) {
        pu_sleep_ms(5);
        pausing = in_sleep_syscall(p.pid);
    }
    int read_rc = pausing ? pu_read_smaps_rollup(pid, during) : -1;
    int rc = pu_proc_collect(&p, RUN_MS, &f->run);
    if (rc != 0 || f->run.exit_code != 0)
        fail_msg("vmmap snapshot %d: exit %d\nstderr:\n%s", (int)pid, f->run.exit_code, f->run.err ? f->run.err : "");
    if (!pausing)
        fail_msg("vmmap never paused after reading smaps (VMMAP_TEST_PAUSE_AFTER_MAPS ignored?)");
    if (read_rc != 0)
        fail_msg("reading smaps_rollup of %d: %s", (int)pid, pu_last_error());
    cJSON_Delete(f->snap);
    f->snap = pu_json_load(out);
    if (!f->snap)
        fail_msg("snapshot: %s", pu_last_error());
    char why[512];
    if (!loads_again(out, why, sizeof why))
        fail_msg("the snapshot vmmap wrote does not load again: %s", why);
    unlink(out);
}

static void test_snapshot_matches_ground_truth(void **state)
{
    fixture *f = *state;
    const cJSON *truth = f->sample_child.truth;
    int64_t problems = int_or(truth, "layout_problems", 0);
    if (problems)
        print_message("note: the sample reported %" PRId64 " layout problem(s) (see its stderr)\n", problems);
    take_snapshot(f, f->sample_child.pid, "sample.json");
    assert_int_equal(int_or(f->snap, "page_size", 0), int_or(truth, "page_size", -1));
    st_check_sample(f->snap, truth);
    expect_none("snapshot vs ground truth");
}

/* A reservation at a 64 MiB-aligned address, read/write then PROT_NONE to 64 MiB, has the shape
 * of a glibc arena heap (it happens by chance: `sample --aligned-reservation` makes it so).  Its
 * first bytes are no heap_info and no arena links to it: Private Data, without a warning (before:
 * "heap_info at 0x...: mprotect_size 0x0 is not a page multiple up to 64 MiB"), while the
 * workers' arena heaps are still found (st_check_sample). */
static void test_aligned_reservation_not_a_heap(void **state)
{
    fixture *f = *state;
    char *argv[] = {f->sample, "--aligned-reservation", NULL};
    if (pu_sample_start(&f->extra, argv, SAMPLE_START_MS) != 0)
        fail_msg("cannot start sample --aligned-reservation: %s", pu_last_error());
    const cJSON *truth = f->extra.truth;
    uint64_t ra = hex_of(member(truth, "reservation"), "address");
    assert_true(ra != 0 && ra % (64 * MiB) == 0);
    expect(int_or(truth, "layout_problems", 0) == 0, "the sample reported layout problems (see its stderr)");
    take_snapshot(f, f->extra.pid, "aligned.json");
    st_check_sample(f->snap, truth);
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(f->snap, "warnings"))
        expect(false, "warning %s: %s", str_or(w, "code"), str_or(w, "message"));
    expect_none("aligned reservation");
}

/* The early pass (steps run on /proc/PID/maps while smaps is read, regions classified and
 * printed as they become final) stands on the sample and gives the snapshot the plain pass gives,
 * and so does an early pass abandoned halfway, after regions were already printed
 * (VMMAP_TEST_EARLY_PASS; tests/integration/test_early_pass.c has the shapes that used to defeat
 * it). */
static void test_early_pass_same_snapshot(void **state)
{
    fixture *f = *state;
    const char *modes[] = {"off", "expect", "mismatch"};
    char *text[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        take_snapshot_early(f, f->sample_child.pid, "early.json", modes[i]);
        pu_snapshot_drop_volatile(f->snap);
        text[i] = cJSON_Print(f->snap);
        assert_non_null(text[i]);
    }
    expect(strcmp(text[0], text[1]) == 0, "early pass and plain pass differ");
    expect(strcmp(text[0], text[2]) == 0, "abandoned early pass and plain pass differ");
    if (g_errors)
        for (int i = 0; i < 3; i++) {
            char path[160];
            snprintf(path, sizeof path, "/tmp/vmmap-early-%d.json", i);
            FILE *fp = fopen(path, "w");
            if (fp) {
                fputs(text[i], fp);
                fclose(fp);
                print_message("kept %s for comparison\n", path);
            }
        }
    for (int i = 0; i < 3; i++)
        cJSON_free(text[i]);
    expect_none("early pass vs plain pass");
}

/* ---------------------------------------------------------------------------------------------- */
/* Totals against the kernel                                                                        */

typedef struct totals {
    uint64_t total_ws, pss, private_ws, swap;
} totals;

/* Rss, Private_Clean+Private_Dirty, Swap and Pss must equal the kernel's exactly, read at the
 * same moment (during vmmap's pause).  Pss is compared with the sum of the per-mapping smaps Pss
 * lines, which is what vmmap adds up; smaps_rollup's Pss is the same quantity truncated once
 * instead of per mapping, so it must exceed that sum by less than 1 kB per mapping. */
static bool totals_equal(const totals *t, const pu_rollup *r, char *why, size_t len)
{
    uint64_t priv = r->private_clean + r->private_dirty;
    bool rounding_ok = r->pss >= r->pss_smaps_sum && r->pss - r->pss_smaps_sum < r->nmaps * 1024;
    bool ok = t->total_ws == r->rss && t->private_ws == priv && t->swap == r->swap && t->pss == r->pss_smaps_sum &&
              rounding_ok;
    snprintf(why, len,
             "total_ws %" PRIu64 " vs Rss %" PRIu64 "; private_ws %" PRIu64 " vs Private_Clean+Dirty %" PRIu64
             "; swap %" PRIu64 " vs Swap %" PRIu64 "; pss %" PRIu64 " vs sum of smaps Pss %" PRIu64
             " (rollup Pss %" PRIu64 " over %" PRIu64 " mappings)",
             t->total_ws, r->rss, t->private_ws, priv, t->swap, r->swap, t->pss, r->pss_smaps_sum, r->pss, r->nmaps);
    return ok;
}

/* Per block: pss, private_ws and shareable_ws within total_ws.  Over all blocks: private_ws +
 * shared_ws == total_ws (smaps: Rss = Private_* + Shared_* for every mapping). */
static void check_block_counters(const cJSON *snap, const char *label)
{
    char d[256];
    uint64_t sum_ws = 0, sum_pws = 0, sum_shd = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(snap, "regions"))
    {
        const cJSON *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(r, "blocks"))
        {
            uint64_t ws = 0, pws = 0, pss = 0, shd = 0, shb = 0;
            if (pu_json_u64(b, "total_ws", &ws) || pu_json_u64(b, "private_ws", &pws) || pu_json_u64(b, "pss", &pss) ||
                pu_json_u64(b, "shared_ws", &shd) || pu_json_u64(b, "shareable_ws", &shb)) {
                expect(false, "%s: %s: a counter is missing or null (%s)", label, describe(b, d, sizeof d),
                       pu_last_error());
                continue;
            }
            sum_ws += ws;
            sum_pws += pws;
            sum_shd += shd;
            expect(pss <= ws && pws <= ws && shb <= ws,
                   "%s: %s: pss %" PRIu64 ", private_ws %" PRIu64 ", shareable_ws %" PRIu64
                   " must not exceed total_ws %" PRIu64, label, describe(b, d, sizeof d), pss, pws, shb, ws);
        }
    }
    expect(sum_pws + sum_shd == sum_ws, "%s: private_ws %" PRIu64 " + shared_ws %" PRIu64 " != total_ws %" PRIu64,
           label, sum_pws, sum_shd, sum_ws);
}

/* Up to 3 times (another process may map or unmap a shared page between the two reads). */
static void check_totals(fixture *f, pid_t pid, const char *label)
{
    char why[640] = "";
    for (int attempt = 1; attempt <= 3; attempt++) {
        pu_rollup during;
        take_snapshot_reading_kernel(f, pid, "totals.json", &during);
        totals t;
        if (pu_snapshot_sum(f->snap, "total_ws", &t.total_ws) != 0 || pu_snapshot_sum(f->snap, "pss", &t.pss) != 0 ||
            pu_snapshot_sum(f->snap, "private_ws", &t.private_ws) != 0 ||
            pu_snapshot_sum(f->snap, "swap", &t.swap) != 0)
            fail_msg("%s: %s", label, pu_last_error());
        if (totals_equal(&t, &during, why, sizeof why)) {
            print_message("%s: equal to the kernel's: %s\n", label, why);
            check_block_counters(f->snap, label);
            expect_none(label);
            return;
        }
        print_message("%s: attempt %d: totals differ: %s\n", label, attempt, why);
    }
    fail_msg("%s: the snapshot's totals never matched the kernel's in 3 attempts", label);
}

static void test_totals_sample(void **state)
{
    fixture *f = *state;
    check_totals(f, f->sample_child.pid, "sample");
}

static void test_totals_other_process(void **state)
{
    fixture *f = *state;
    if (pu_sleep_start(&f->extra, "60") != 0)
        fail_msg("cannot start sleep: %s", pu_last_error());
    check_totals(f, f->extra.pid, "sleep 60");
    pu_child_kill(&f->extra);
}

/* ---------------------------------------------------------------------------------------------- */
/* Command line                                                                                     */

static void test_summary_cli(void **state)
{
    fixture *f = *state;
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->sample_child.pid);
    char *argv[] = {f->vmmap, pidbuf, NULL};
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, &f->run);
    if (rc != 0 || f->run.exit_code != 0)
        fail_msg("vmmap %s: exit %d\nstderr:\n%s", pidbuf, f->run.exit_code, f->run.err ? f->run.err : "");
    static const char *const types[] = {"Image", "Mapped File", "Shareable", "Heap", "Managed Heap",
                                        "Stack", "Private Data", "Page Table", "Unusable", "Free"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        expect(strstr(f->run.out, types[i]) != NULL, "summary output lacks \"%s\"", types[i]);
    if (g_errors)
        fprintf(stderr, "summary output:\n%s\n", f->run.out);
    expect_none("vmmap PID summary");
}

/* show's protection reads as pmap prints it, p or s from /proc/PID/maps: the sample's shared
 * anonymous and shared file mappings are 's', its heap 'p'; the snapshot keeps it ("shared"). */
static void test_protection_private_shared(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *truth_key, *want;
    } cases[] = {{"shared_anon", "(rw-s)"}, {"file_mapping", "(r--s)"}, {"named_anon", "(rw-p)"}};
    char pidbuf[32], addr[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->sample_child.pid);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t a = 0;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(f->sample_child.truth, cases[i].truth_key);
        if (!o || pu_json_hex(o, "address", &a) != 0)
            fail_msg("ground truth lacks %s.address", cases[i].truth_key);
        snprintf(addr, sizeof addr, "0x%" PRIx64, a);
        char *argv[] = {f->vmmap, "show", pidbuf, "--address", addr, "--color=never", NULL};
        pu_run_result_free(&f->run);
        if (pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, &f->run) != 0 || f->run.exit_code != 0)
            fail_msg("vmmap show --address %s: exit %d: %s", addr, f->run.exit_code, f->run.err);
        expect(strstr(f->run.out, cases[i].want) != NULL, "%s at %s: no \"%s\" in:\n%s", cases[i].truth_key, addr,
               cases[i].want, f->run.out);
    }
    expect_none("protection with p/s");
}

/* The summary's headline puts resident (Total WS) beside committed, and says what committed
 * means on Linux. */
static void test_summary_headline_resident(void **state)
{
    fixture *f = *state;
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->sample_child.pid);
    char *argv[] = {f->vmmap, pidbuf, "--color=never", NULL};
    if (pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, &f->run) != 0 || f->run.exit_code != 0)
        fail_msg("vmmap %s: exit %d: %s", pidbuf, f->run.exit_code, f->run.err);
    const char *m = strstr(f->run.out, "\nMemory:    ");
    expect(m != NULL, "no Memory: line in:\n%s", f->run.out);
    if (m) {
        expect(strstr(m, " K committed, ") != NULL && strstr(m, " K resident (Total WS)\n") != NULL,
               "Memory: line says neither committed nor resident: %.120s", m);
        expect(strstr(m, "thread stacks") != NULL, "no word on what committed counts on Linux");
    }
    expect_none("summary headline");
}

static void test_no_such_process(void **state)
{
    fixture *f = *state;
    pid_t pid = pu_find_free_pid();
    if (pid <= 0)
        fail_msg("%s", pu_last_error());
    char pidbuf[32], out[128];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
    snprintf(out, sizeof out, "%s/none.json", f->dir);
    char *argv[] = {f->vmmap, "snapshot", pidbuf, "-o", out, NULL};
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, &f->run);
    if (rc != 0 && f->run.exec_errno)
        fail_msg("%s", pu_last_error());
    fprintf(stderr, "vmmap snapshot %s (free pid) said:\n%s", pidbuf, f->run.err);
    expect(f->run.exit_code == 3, "exit code %d, want 3 (no such process)", f->run.exit_code);
    expect(str_has(f->run.err, "no process"), "stderr does not say \"no process\"");
    expect(strncmp(f->run.err, "vmmap: error: ", 14) == 0, "stderr does not start with \"vmmap: error: \"");
    expect(!pu_file_exists(out), "%s was created", out);
    expect(pu_dir_count(f->dir) == 0, "files were left in %s", f->dir);
    expect_none("no such process");
}

static void test_permission_denied(void **state)
{
    fixture *f = *state;
    if (geteuid() != 0) {
        print_message("skipped: needs root, to run vmmap as nobody against a root-owned sample\n");
        skip();
    }
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->sample_child.pid);
    char *argv[] = {f->vmmap, pidbuf, NULL};
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS, .as_nobody = true}, &f->run);
    if (rc != 0 && f->run.exec_errno) {
        print_message("skipped: cannot run %s as nobody: %s\n", f->vmmap, strerror(f->run.exec_errno));
        skip();
    }
    fprintf(stderr, "vmmap %s (as nobody) said:\n%s", pidbuf, f->run.err);
    expect(f->run.exit_code == 4, "exit code %d, want 4 (access denied)", f->run.exit_code);
    expect(str_has(f->run.err, "permission") || str_has(f->run.err, "denied"),
           "stderr mentions neither \"permission\" nor \"denied\"");
    expect(strncmp(f->run.err, "vmmap: error: ", 14) == 0, "stderr does not start with \"vmmap: error: \"");
    expect_none("permission denied");
}

static void test_target_exits_during_scan(void **state)
{
    fixture *f = *state;
    char *sargv[] = {f->sample, NULL};
    if (pu_sample_start(&f->extra, sargv, SAMPLE_START_MS) != 0)
        fail_msg("cannot start a second sample: %s", pu_last_error());
    if (pu_tempdir(f->extra_dir, sizeof f->extra_dir) != 0) {
        f->extra_dir[0] = '\0';
        fail_msg("%s", pu_last_error());
    }
    char pidbuf[32], out[128];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->extra.pid);
    snprintf(out, sizeof out, "%s/exited.json", f->extra_dir);
    char *argv[] = {f->vmmap, "snapshot", pidbuf, "-o", out, NULL};
    pu_proc p;
    pu_run_opts opts = {.env_name = "VMMAP_TEST_PAUSE_AFTER_MAPS", .env_value = "1500", .timeout_ms = RUN_MS};
    if (pu_proc_spawn(&p, argv, &opts) != 0)
        fail_msg("%s", pu_last_error());
    /* Kill the target once vmmap is inside its pause (after reading smaps): at least 300 ms after
     * the start and, when /proc tells, once vmmap sleeps in nanosleep (5 s at most). */
    int64_t start = pu_now_ms();
    bool pausing = false;
    while (!pausing && pu_now_ms() - start < 5000) {
        pu_sleep_ms(10);
        pausing = in_sleep_syscall(p.pid);
    }
    if (!pausing)
        print_message("note: did not see vmmap pausing (nanosleep) within 5 s; killing the target anyway\n");
    int64_t waited = pu_now_ms() - start;
    if (waited < 300)
        pu_sleep_ms((int)(300 - waited));
    pu_child_kill(&f->extra);   /* SIGKILL our own child, mid-scan */
    int rc = pu_proc_collect(&p, RUN_MS, &f->run);
    if (rc != 0 && (f->run.exec_errno || f->run.timed_out))
        fail_msg("%s", pu_last_error());
    fprintf(stderr, "vmmap snapshot (target killed mid-scan) said:\n%s", f->run.err);
    expect(f->run.exit_code == 6, "exit code %d, want 6 (target exited during the scan)", f->run.exit_code);
    expect(str_has(f->run.err, "exited"), "stderr does not mention \"exited\"");
    expect(!pu_file_exists(out), "%s exists: a partial snapshot was written", out);
    expect(pu_dir_count(f->extra_dir) == 0, "temporary files were left in %s", f->extra_dir);
    expect_none("target exited during the scan");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_matches_ground_truth, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_aligned_reservation_not_a_heap, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_early_pass_same_snapshot, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_totals_sample, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_totals_other_process, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_summary_cli, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_protection_private_shared, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_summary_headline_resident, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_no_such_process, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_permission_denied, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_target_exits_during_scan, per_test_setup, per_test_teardown),
    };
    return cmocka_run_group_tests_name("linux sample", tests, group_setup, group_teardown);
}
