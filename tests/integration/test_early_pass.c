/* The early pass on the shapes that used to defeat it: PROT_NONE guard pages inside accountable
 * mappings (committed or reserved is known only from smaps' VmFlags) and many threads, in the
 * crowd sample (samples/linux/crowd.c); and on mappings cut into pieces at heap parts, each
 * piece's counters from pagemap (samples/linux/merged.c).
 *
 * The early pass must stand there (VMMAP_TEST_EARLY_PASS=expect fails the capture when it does
 * not) and give exactly the snapshot of the plain pass (=off) and of an early pass abandoned
 * halfway after regions were printed (=mismatch); and that snapshot must be right: each guard
 * page committed or reserved as the kernel charges it (the sample read its own smaps), every
 * thread's stack found. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/truth_check.h"

#define RUN_MS 120000
#define THREADS "300"
#define GUARDED "4000"

typedef struct fixture {
    pu_child crowd, merged;
    char dir[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->crowd.stdin_fd = f->crowd.stdout_fd = f->merged.stdin_fd = f->merged.stdout_fd = -1;
    char *crowd = pu_build_path("samples/crowd"), *merged = pu_build_path("samples/merged");
    char *argv[] = {crowd, THREADS, GUARDED, NULL}, *argv2[] = {merged, NULL};
    int rc = pu_sample_start(&f->crowd, argv, 30000);
    if (rc == 0)
        rc = pu_sample_start(&f->merged, argv2, 30000);
    free(crowd);
    free(merged);
    if (rc != 0 || pu_tempdir(f->dir, sizeof f->dir) != 0) {
        print_error("%s\n", pu_last_error());
        pu_child_kill(&f->crowd);
        pu_child_kill(&f->merged);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pu_child_stop(&f->crowd, 5000);
    pu_child_stop(&f->merged, 5000);
    pu_tempdir_remove(f->dir);
    free(f);
    return 0;
}

/* The file out is byte for byte what one render of the whole snapshot gives (vm_snapshot_to_json),
 * though the writer wrote its regions as the capture handed them out, and maybe started over:
 * vmmap re-saving the file renders the snapshot it reads back whole (a snapshot file reads back
 * exactly: test_roundtrip, test_cli).  And no temporary is left beside it. */
static void expect_plain_render(const fixture *f, const char *out, const char *mode)
{
    expect(pu_dir_count(f->dir) == 1, "VMMAP_TEST_EARLY_PASS=%s: %d files in %s, want only the snapshot", mode,
           pu_dir_count(f->dir), f->dir);
    char *vmmap = pu_build_path("vmmap");
    char again[300];
    snprintf(again, sizeof again, "%s.again.json", out);
    char *argv[] = {vmmap, "snapshot", (char *)out, "-o", again, "-q", NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, &r);
    free(vmmap);
    if (rc != 0 || r.exit_code != 0)
        fail_msg("vmmap snapshot FILE (VMMAP_TEST_EARLY_PASS=%s's): exit %d\n%s", mode, r.exit_code,
                 r.err ? r.err : pu_last_error());
    pu_run_result_free(&r);
    size_t la = 0, lb = 0;
    char *a = pu_read_file(out, &la), *b = pu_read_file(again, &lb);
    if (!a || !b)
        fail_msg("%s", pu_last_error());
    size_t at = 0;
    while (at < la && at < lb && a[at] == b[at])
        at++;
    expect(la == lb && at == la, "VMMAP_TEST_EARLY_PASS=%s: the file differs from the plain render at byte %zu "
           "(%zu and %zu bytes)", mode, at, la, lb);
    free(a);
    free(b);
    unlink(again);
}

/* `vmmap snapshot PID` with NAME=value in the environment (label: its file and messages),
 * loaded; the test fails when it fails. */
static cJSON *snapshot_with(fixture *f, const pu_child *target, const char *name, const char *value, const char *label)
{
    char *vmmap = pu_build_path("vmmap");
    char pidbuf[32], out[256];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)target->pid);
    snprintf(out, sizeof out, "%s/%s.json", f->dir, label);
    char *argv[] = {vmmap, "snapshot", pidbuf, "-o", out, "-q", NULL};
    pu_run_opts opts = {.env_name = name, .env_value = value, .timeout_ms = RUN_MS};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    int rc = pu_run(argv, &opts, &r);
    free(vmmap);
    if (rc != 0 || r.exit_code != 0)
        fail_msg("vmmap snapshot with %s=%s: exit %d\n%s", name, value, r.exit_code, r.err ? r.err : pu_last_error());
    pu_run_result_free(&r);
    expect_plain_render(f, out, label);
    cJSON *snap = pu_json_load(out);
    if (!snap)
        fail_msg("%s", pu_last_error());
    unlink(out);
    return snap;
}

/* `vmmap snapshot PID` with VMMAP_TEST_EARLY_PASS=mode. */
static cJSON *snapshot(fixture *f, const pu_child *target, const char *mode)
{
    return snapshot_with(f, target, "VMMAP_TEST_EARLY_PASS", mode, mode);
}

/* off, expect and mismatch give the same snapshot of target; so does the early pass with the
 * threads listed on a thread of their own (as on three CPUs or more: VMMAP_THREADS=4), whatever
 * this machine has. */
static void same_every_pass(fixture *f, const pu_child *target, const char *what)
{
    g_errors = 0;
    /* vmmap's first look changes the target a little, once: its reads of [vdso] and its heap
     * probes of small never-touched anonymous mappings map pages there (Rss, page tables).
     * Compare the captures after that one. */
    cJSON_Delete(snapshot(f, target, "off"));
    const char *modes[] = {"off", "expect", "mismatch"};
    char *text[4];
    for (int i = 0; i < 4; i++) {
        cJSON *snap = i < 3 ? snapshot(f, target, modes[i]) : snapshot_with(f, target, "VMMAP_THREADS", "4", "threads4");
        pu_snapshot_drop_volatile(snap);
        text[i] = cJSON_Print(snap);
        assert_non_null(text[i]);
        cJSON_Delete(snap);
    }
    expect(strcmp(text[0], text[1]) == 0, "%s: the early pass and the plain pass differ", what);
    expect(strcmp(text[0], text[2]) == 0, "%s: an abandoned early pass and the plain pass differ", what);
    expect(strcmp(text[0], text[3]) == 0, "%s: the early pass with the threads listed beside and the plain pass differ",
           what);
    for (int i = 0; i < 4; i++)
        cJSON_free(text[i]);
    expect_none("early pass vs plain pass");
}

static void test_same_snapshot_every_pass(void **state)
{
    fixture *f = *state;
    same_every_pass(f, &f->crowd, "the crowd sample");
}

static void test_same_snapshot_with_pieces(void **state)
{
    fixture *f = *state;
    same_every_pass(f, &f->merged, "the merged sample");
}

/* Each listed guard page is one block of its own: state as the kernel charges it, no access. */
static void check_guards(const cJSON *snap, const cJSON *list, const char *state_want, int64_t page)
{
    const cJSON *a;
    int n = 0;
    cJSON_ArrayForEach(a, list)
    {
        uint64_t addr = 0;
        if (!cJSON_IsString(a) || pu_parse_hex(a->valuestring, &addr) != 0) {
            expect(false, "ground truth: bad address");
            continue;
        }
        const cJSON *b = pu_snapshot_find_block(snap, addr, NULL);
        uint64_t start = 0, size = 0;
        expect(b != NULL, "guard 0x%" PRIx64 ": no block", addr);
        if (!b)
            continue;
        pu_json_hex(b, "address", &start);
        pu_json_u64(b, "size", &size);
        expect(str_is(b, "state", state_want), "guard 0x%" PRIx64 ": state %s, want %s", addr, str_or(b, "state"),
               state_want);
        expect(str_is(b, "protection", "No access"), "guard 0x%" PRIx64 ": protection %s", addr,
               str_or(b, "protection"));
        expect(start == addr && (int64_t)size >= page, "guard 0x%" PRIx64 ": block 0x%" PRIx64 " +%" PRIu64, addr,
               start, size);
        n++;
    }
    expect(n > 0, "ground truth lists no %s guard", state_want);
}

static void test_guards_and_threads_right(void **state)
{
    fixture *f = *state;
    g_errors = 0;
    const cJSON *truth = f->crowd.truth;
    cJSON *snap = snapshot(f, &f->crowd, "expect");
    int64_t page = int_or(truth, "page_size", 4096);
    check_guards(snap, cJSON_GetObjectItemCaseSensitive(truth, "charged"), "commit", page);
    check_guards(snap, cJSON_GetObjectItemCaseSensitive(truth, "uncharged"), "reserve", page);
    expect(int_or(truth, "charged_count", 0) >= atoi(GUARDED), "the sample made %s charged guards, says %" PRId64,
           GUARDED, int_or(truth, "charged_count", 0));

    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(snap, "threads"), *t;
    expect(cJSON_GetArraySize(threads) == int_or(truth, "threads", -1), "%d threads in the snapshot, want %" PRId64,
           cJSON_GetArraySize(threads), int_or(truth, "threads", -1));
    int lost = 0;
    cJSON_ArrayForEach(t, threads) lost += str_is(t, "found_by", "not found");
    expect(lost == 0, "%d thread stacks not found", lost);
    cJSON_Delete(snap);
    expect_none("guard pages and threads of the crowd sample");
}

/* Whether the page at addr of pid is resident or swapped out (its /proc/PID/pagemap entry). */
static bool page_backed(pid_t pid, uint64_t addr, bool *backed)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint64_t e = 0;
    bool ok = fseek(f, (long)(addr / 4096 * 8), SEEK_SET) == 0 && fread(&e, sizeof e, 1, f) == 1;
    fclose(f);
    *backed = (e >> 62) & 3; /* bit 63 present, bit 62 swapped */
    return ok;
}

/* vmmap looks without touching: the lowest page of a sleeping thread's 8 MiB stack was never
 * used, and after snapshots it is still not there (reading a chunk header from it would have made
 * the kernel map one, in the target). */
static void test_stacks_left_untouched(void **state)
{
    fixture *f = *state;
    g_errors = 0;
    cJSON *snap = snapshot(f, &f->crowd, "expect");
    const cJSON *t;
    int checked = 0, touched = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(snap, "threads"))
    {
        uint64_t limit = 0, base = 0, guard = 0;
        bool backed = false;
        if (pu_json_hex(t, "stack_limit", &limit) != 0 || pu_json_hex(t, "stack_base", &base) != 0 ||
            pu_json_hex(t, "guard_address", &guard) != 0 || !guard || base - limit < 4 * 1024 * 1024)
            continue; /* the main thread (no guard), small stacks */
        if (!page_backed(f->crowd.pid, limit, &backed))
            fail_msg("cannot read the pagemap of %d", (int)f->crowd.pid);
        checked++;
        touched += backed;
    }
    expect(checked >= atoi(THREADS), "%d thread stacks checked, want %s", checked, THREADS);
    expect(touched == 0, "%d of %d untouched stack bottoms were backed after vmmap looked", touched, checked);
    cJSON_Delete(snap);
    expect_none("stacks left untouched");
}

/* A capture that fails after the writer opened the file and wrote the first regions in it (the
 * target killed while vmmap pauses after reading smaps, VMMAP_TEST_PAUSE_AFTER_MAPS) leaves
 * neither the file nor its temporary. */
static void test_failed_capture_leaves_no_file(void **state)
{
    fixture *f = *state;
    g_errors = 0;
    pu_child victim;
    memset(&victim, 0, sizeof victim);
    victim.stdin_fd = victim.stdout_fd = -1;
    char *crowd = pu_build_path("samples/crowd"), *vmmap = pu_build_path("vmmap");
    char *sargv[] = {crowd, "2", "600", NULL}; /* some 1,200 regions: batches of 256 are written */
    if (pu_sample_start(&victim, sargv, 30000) != 0)
        fail_msg("%s", pu_last_error());
    char pidbuf[32], out[256];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)victim.pid);
    snprintf(out, sizeof out, "%s/killed.json", f->dir);
    char *argv[] = {vmmap, "snapshot", pidbuf, "-o", out, "-q", NULL};
    pu_proc p;
    pu_run_opts opts = {.env_name = "VMMAP_TEST_PAUSE_AFTER_MAPS", .env_value = "1500", .timeout_ms = RUN_MS};
    if (pu_proc_spawn(&p, argv, &opts) != 0) {
        pu_child_kill(&victim);
        fail_msg("%s", pu_last_error());
    }
    /* The temporary appears with the first regions, long before the pause ends. */
    int64_t start = pu_now_ms();
    while (pu_dir_count(f->dir) == 0 && pu_now_ms() - start < 5000)
        pu_sleep_ms(5);
    bool streamed = pu_dir_count(f->dir) == 1 && !pu_file_exists(out);
    pu_sleep_ms(200); /* well inside the pause: the smaps read of 1,200 mappings takes milliseconds */
    pu_child_kill(&victim);
    pu_run_result r;
    memset(&r, 0, sizeof r);
    int rc = pu_proc_collect(&p, RUN_MS, &r);
    free(crowd);
    free(vmmap);
    if (rc != 0 && (r.exec_errno || r.timed_out))
        fail_msg("%s", pu_last_error());
    expect(streamed, "no temporary in %s while the capture went on: the regions were not written as they came",
           f->dir);
    expect(r.exit_code == 6, "exit code %d, want 6 (target exited during the scan)\n%s", r.exit_code,
           r.err ? r.err : "");
    expect(!pu_file_exists(out), "%s exists: a partial snapshot was written", out);
    expect(pu_dir_count(f->dir) == 0, "%d files left in %s", pu_dir_count(f->dir), f->dir);
    pu_run_result_free(&r);
    expect_none("a capture failing after the file was opened");
}

/* vmmap ended by SIGTERM while its temporary holds the first regions (it pauses after reading
 * smaps, VMMAP_TEST_PAUSE_AFTER_MAPS) leaves neither the file nor the temporary, and still dies
 * of the signal.  (SIGTERM, not SIGINT: a shell running the tests in the background may start
 * them with SIGINT ignored, and an ignored signal is left alone.) */
static void test_interrupted_capture_leaves_no_file(void **state)
{
    fixture *f = *state;
    g_errors = 0;
    char *vmmap = pu_build_path("vmmap");
    char pidbuf[32], out[256];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->crowd.pid);
    snprintf(out, sizeof out, "%s/interrupted.json", f->dir);
    char *argv[] = {vmmap, "snapshot", pidbuf, "-o", out, "-q", NULL};
    pu_proc p;
    pu_run_opts opts = {.env_name = "VMMAP_TEST_PAUSE_AFTER_MAPS", .env_value = "3000", .timeout_ms = RUN_MS};
    if (pu_proc_spawn(&p, argv, &opts) != 0)
        fail_msg("%s", pu_last_error());
    int64_t start = pu_now_ms();
    while (pu_dir_count(f->dir) == 0 && pu_now_ms() - start < 5000)
        pu_sleep_ms(5);
    bool streamed = pu_dir_count(f->dir) == 1 && !pu_file_exists(out);
    pu_sleep_ms(100);
    kill(p.pid, SIGTERM);
    pu_run_result r;
    memset(&r, 0, sizeof r);
    int rc = pu_proc_collect(&p, RUN_MS, &r);
    free(vmmap);
    if (rc != 0 && (r.exec_errno || r.timed_out))
        fail_msg("%s", pu_last_error());
    expect(streamed, "no temporary in %s while the capture went on", f->dir);
    expect(r.term_signal == SIGTERM, "vmmap ended with exit code %d, signal %d, want SIGTERM\n%s", r.exit_code,
           r.term_signal, r.err ? r.err : "");
    expect(pu_dir_count(f->dir) == 0, "%d files left in %s", pu_dir_count(f->dir), f->dir);
    pu_run_result_free(&r);
    expect_none("a capture ended by SIGTERM after the file was opened");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_snapshot_every_pass),
        cmocka_unit_test(test_same_snapshot_with_pieces),
        cmocka_unit_test(test_stacks_left_untouched),
        cmocka_unit_test(test_guards_and_threads_right),
        cmocka_unit_test(test_failed_capture_leaves_no_file),
        cmocka_unit_test(test_interrupted_capture_leaves_no_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
