/* `vmmap report` and `vmmap snapshot -o X.xlsx|X.csv` against the real binary: each workbook and
 * CSV is read back by tests/report/check_xlsx.py (openpyxl, csv) and compared with the snapshot
 * it was made from; bad output paths fail clearly and leave nothing behind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/proc_util.h"

#define CHECKER "tests/report/check_xlsx.py"

static char tmpdir[256];
static char snap[512]; /* a snapshot of vmmap itself, taken once */

static void path_in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* Runs argv[0] with the rest (NULL-terminated); argv[0] NULL means build/vmmap. */
static pu_run_result run_argv(const char *prog, const char *a0, va_list ap)
{
    char *argv[16];
    char *bin = prog ? NULL : pu_build_path("vmmap");
    int n = 0;
    argv[n++] = prog ? (char *)prog : bin;
    for (const char *a = a0; a && n < 15; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    argv[n] = NULL;
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, NULL, &r) != 0)
        fail_msg("cannot run %s: %s", argv[0], pu_last_error());
    free(bin);
    return r;
}

static pu_run_result vmmap(const char *a0, ...)
{
    va_list ap;
    va_start(ap, a0);
    pu_run_result r = run_argv(NULL, a0, ap);
    va_end(ap);
    return r;
}

/* Debian's python3 (where python3-openpyxl lives), else whatever python3 is on PATH. */
static const char *python(void)
{
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* The checker must say "ok"; on failure its list of differences is the test's message. */
static void check(const char *mode, const char *a, const char *b)
{
    char *argv[] = {(char *)python(), (char *)CHECKER, (char *)mode, (char *)a, (char *)b, NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, NULL, &r) != 0)
        fail_msg("cannot run %s: %s", argv[0], pu_last_error());
    if (r.exit_code != 0)
        fail_msg("%s %s %s:\n%s%s", CHECKER, mode, a, r.out, r.err);
    pu_run_result_free(&r);
}

/* tests/report/check_look.py MODE WORKBOOK [ARGS...] must say "ok" (NULL-terminated args). */
static void look(const char *mode, const char *workbook, ...)
{
    char *argv[12] = {(char *)python(), (char *)"tests/report/check_look.py", (char *)mode, (char *)workbook};
    int n = 4;
    va_list ap;
    va_start(ap, workbook);
    for (const char *a; n < 11 && (a = va_arg(ap, const char *)) != NULL;)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, NULL, &r) != 0)
        fail_msg("cannot run %s: %s", argv[0], pu_last_error());
    if (r.exit_code == 2)
        fail_msg("check_look.py %s: cannot run (openpyxl missing?): %s", mode, r.err);
    if (r.exit_code != 0)
        fail_msg("check_look.py %s %s:\n%s%s", mode, workbook, r.out, r.err);
    pu_run_result_free(&r);
}

static void expect_ok(pu_run_result *r, const char *what)
{
    if (r->exit_code != 0)
        fail_msg("%s: exit %d: %s", what, r->exit_code, r->err);
    pu_run_result_free(r);
}

static int setup(void **state)
{
    (void)state;
    return pu_tempdir_with_self_snapshot(tmpdir, sizeof tmpdir, snap, sizeof snap);
}

static int teardown(void **state)
{
    (void)state;
    return pu_tempdir_remove(tmpdir);
}

/* A copy of the snapshot with its warnings replaced (NULL: kept) and, when tricky is set, one
 * region's details full of CSV trouble: quotes, commas, a line break. */
static void variant(const char *out, const char *warning, bool tricky)
{
    cJSON *j = pu_json_load(snap);
    assert_non_null(j);
    if (warning) {
        cJSON *w = cJSON_CreateArray();
        if (*warning) {
            cJSON *one = cJSON_CreateObject();
            cJSON_AddStringToObject(one, "code", "read-failed");
            cJSON_AddStringToObject(one, "message", warning);
            cJSON_AddItemToArray(w, one);
        }
        cJSON_ReplaceItemInObject(j, "warnings", w);
    }
    if (tricky) {
        cJSON *regions = cJSON_GetObjectItem(j, "regions");
        cJSON *reg = cJSON_GetArrayItem(regions, 1);
        assert_non_null(reg);
        cJSON_ReplaceItemInObject(reg, "details", cJSON_CreateString("He said \"hi, there\",\nthen left"));
    }
    char *text = cJSON_PrintUnformatted(j);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    free(text);
    cJSON_Delete(j);
}

/* ---- the workbook ----------------------------------------------------------------------- */

static void test_xlsx_matches_snapshot(void **state)
{
    (void)state;
    char out[512];
    path_in_tmp(out, sizeof out, "self.xlsx");
    pu_run_result r = vmmap("report", snap, "-o", out, NULL);
    assert_non_null(strstr(r.err, "wrote"));
    expect_ok(&r, "vmmap report self.json -o self.xlsx");
    check("xlsx", snap, out);
}

/* The Warnings sheet is there exactly when the snapshot has warnings; odd text survives. */
static void test_xlsx_warnings_sheet_iff_warnings(void **state)
{
    (void)state;
    const char *cases[] = {"", "cannot read a chunk header at 0x7f00 <&> \"quoted\""};
    for (size_t i = 0; i < 2; i++) {
        char json[512], out[512];
        path_in_tmp(json, sizeof json, i ? "warn.json" : "nowarn.json");
        path_in_tmp(out, sizeof out, i ? "warn.xlsx" : "nowarn.xlsx");
        variant(json, cases[i], true);
        pu_run_result r = vmmap("report", "-q", json, "-o", out, NULL);
        expect_ok(&r, json);
        check("xlsx", json, out);
    }
}

/* Straight from a live process, by extension, through `vmmap snapshot`. */
static void test_xlsx_of_live_process(void **state)
{
    (void)state;
    char *argv[] = {(char *)"/bin/sleep", (char *)"30", NULL};
    pu_child c;
    memset(&c, 0, sizeof c);
    assert_int_equal(pu_child_start(&c, argv), 0);
    char pid[32], out[512];
    snprintf(pid, sizeof pid, "%d", (int)c.pid);
    pu_sleep_ms(100); /* let exec finish so the map is sleep's */
    path_in_tmp(out, sizeof out, "sleep.xlsx");
    pu_run_result r = vmmap("snapshot", pid, "-o", out, NULL);
    pu_child_kill(&c);
    expect_ok(&r, "vmmap snapshot PID -o sleep.xlsx");
    check("live", out, NULL);
}

/* ---- CSV -------------------------------------------------------------------------------- */

static void test_csv_matches_snapshot(void **state)
{
    (void)state;
    char json[512], out[512];
    path_in_tmp(json, sizeof json, "tricky.json");
    path_in_tmp(out, sizeof out, "tricky.csv");
    variant(json, NULL, true);
    pu_run_result r = vmmap("report", "-q", json, "-o", out, NULL);
    expect_ok(&r, "vmmap report tricky.json -o tricky.csv");
    check("csv", json, out);

    /* `--format csv -o -` writes the same bytes to stdout. */
    r = vmmap("report", "-q", json, "--format", "csv", "-o", "-", NULL);
    assert_int_equal(r.exit_code, 0);
    size_t len = 0;
    char *file = pu_read_file(out, &len);
    assert_non_null(file);
    assert_int_equal(r.out_len, len);
    assert_memory_equal(r.out, file, len);
    free(file);
    pu_run_result_free(&r);
}

static void test_csv_by_snapshot_extension(void **state)
{
    (void)state;
    char out[512];
    path_in_tmp(out, sizeof out, "SELF.CSV");
    pu_run_result r = vmmap("snapshot", "--self", "-q", "-o", out, NULL);
    expect_ok(&r, "vmmap snapshot --self -o SELF.CSV");
    size_t len = 0;
    char *text = pu_read_file(out, &len);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"Type\",\"Size\",\"Committed\",\"Private\",\"Total WS\""));
    assert_non_null(strstr(text, "\"Address\",\"Type\",\"Size\""));
    assert_null(strstr(text, "\"format\"")); /* not JSON */
    free(text);
}

/* ---- usage ------------------------------------------------------------------------------ */

static void test_usage_errors(void **state)
{
    (void)state;
    static const char *const bad[][4] = {
        {"--format", "pdf", "-o", "r.pdf"},
        {"--format", "csv", "-o", "r.xlsx"},
        {"-o", "r.txt", NULL, NULL},
        {"-o", "r.json", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pu_run_result r = vmmap("report", snap, bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL);
        if (r.exit_code != 2)
            fail_msg("report %s %s: exit %d, expected 2 (usage): %s", bad[i][0], bad[i][1], r.exit_code, r.err);
        assert_non_null(strstr(r.err, "vmmap: error:"));
        assert_non_null(strstr(r.err, "vmmap: hint:"));
        pu_run_result_free(&r);
    }
    /* '-' without --format is CSV on stdout, as --help says */
    pu_run_result ok = vmmap("report", snap, "-o", "-", NULL);
    if (ok.exit_code != 0)
        fail_msg("report -o -: exit %d: %s", ok.exit_code, ok.err);
    assert_memory_equal(ok.out, "\"Process:\"", 10);
    assert_non_null(strstr(ok.out, "\"Address\",\"Type\",\"Size\""));
    pu_run_result_free(&ok);

    /* xlsx to stdout is refused after loading, with its own words */
    pu_run_result r = vmmap("report", snap, "--format", "xlsx", "-o", "-", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "standard output"));
    pu_run_result_free(&r);

    r = vmmap("report", "--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Regions"));
    assert_non_null(strstr(r.out, "--format"));
    pu_run_result_free(&r);
}

/* ---- bad paths: a clear message, non-zero exit, no file, no temporary -------------------- */

static void expect_write_failure(const char *dir, const char *name, const char *message, int entries)
{
    char out[600];
    snprintf(out, sizeof out, "%s/%s", dir, name);
    pu_run_result r = vmmap("report", "-q", snap, "-o", out, NULL);
    if (r.exit_code == 0 || !strstr(r.err, message))
        fail_msg("report -o %s: exit %d, expected failure saying \"%s\"; stderr: %s", out, r.exit_code,
                 message, r.err);
    assert_non_null(strstr(r.err, out));
    assert_false(pu_file_exists(out));
    if (entries >= 0 && pu_dir_count(dir) != entries)
        fail_msg("%s: %d entries after the failure, expected %d (a temporary left behind?)", dir,
                 pu_dir_count(dir), entries);
    pu_run_result_free(&r);
}

static void test_missing_directory(void **state)
{
    (void)state;
    char dir[512];
    path_in_tmp(dir, sizeof dir, "no/such/dir");
    expect_write_failure(dir, "r.xlsx", "does not exist", -1);
    expect_write_failure(dir, "r.csv", "does not exist", -1);
}

/* A tmpfs of our own under tmpdir; false (test skipped) when this system will not mount one. */
static bool mount_tmpfs(const char *dir, unsigned long flags)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return false;
    if (mount("tmpfs", dir, "tmpfs", flags, "size=64k") == 0)
        return true;
    print_message("[ SKIP     ] cannot mount a tmpfs at %s (%s): needs root in a full container\n", dir,
                  strerror(errno));
    rmdir(dir);
    return false;
}

static void unmount_tmpfs(const char *dir)
{
    umount2(dir, MNT_DETACH);
    rmdir(dir);
}

static void test_no_permission(void **state)
{
    (void)state;
    char dir[512];
    path_in_tmp(dir, sizeof dir, "readonly");
    if (geteuid() != 0) { /* permissions apply: a directory we may not write */
        assert_int_equal(mkdir(dir, 0555), 0);
        expect_write_failure(dir, "r.xlsx", "permission denied", 0);
        expect_write_failure(dir, "r.csv", "permission denied", 0);
        rmdir(dir);
        return;
    }
    /* root ignores permissions: a read-only file system instead */
    if (!mount_tmpfs(dir, MS_RDONLY))
        skip();
    expect_write_failure(dir, "r.xlsx", "read-only file system", 0);
    expect_write_failure(dir, "r.csv", "read-only file system", 0);
    unmount_tmpfs(dir);
}

/* Fills the file system at dir to the last byte with one file. */
static void fill(const char *dir)
{
    char path[600], block[4096];
    snprintf(path, sizeof path, "%s/filler", dir);
    memset(block, 'x', sizeof block);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    while (write(fd, block, sizeof block) > 0)
        ;
    while (write(fd, block, 1) > 0)
        ;
    close(fd);
}

static void test_disk_full(void **state)
{
    (void)state;
    char dir[512];
    path_in_tmp(dir, sizeof dir, "full");
    if (geteuid() != 0 || !mount_tmpfs(dir, 0)) {
        if (geteuid() != 0)
            print_message("[ SKIP     ] disk full: mounting a small tmpfs needs root\n");
        skip();
    }
    fill(dir);
    expect_write_failure(dir, "r.xlsx", "no space left on device", 1);
    expect_write_failure(dir, "r.csv", "no space left on device", 1);
    unmount_tmpfs(dir);
}

/* Every workbook prints: landscape, one page wide, the header row on every page (a 60,000-row
 * Regions sheet printed as 500 pages with its columns over 15 of them). */
static void test_workbooks_print(void **state)
{
    (void)state;
    char xlsx[512], diff[512], second[512], timeline[512];
    path_in_tmp(xlsx, sizeof xlsx, "print.xlsx");
    path_in_tmp(diff, sizeof diff, "print-diff.xlsx");
    path_in_tmp(second, sizeof second, "second.json");
    path_in_tmp(timeline, sizeof timeline, "print-timeline.xlsx");
    pu_run_result r = vmmap("report", "-q", snap, "-o", xlsx, NULL);
    expect_ok(&r, "report -o print.xlsx");
    look("print", xlsx, NULL);
    r = vmmap("snapshot", "--self", "-q", "-o", second, NULL);
    expect_ok(&r, "snapshot --self");
    r = vmmap("diff", "-q", snap, second, "-o", diff, NULL);
    expect_ok(&r, "diff -o print-diff.xlsx");
    look("print", diff, NULL);
    r = vmmap("report", "-q", snap, second, "-o", timeline, NULL);
    expect_ok(&r, "report (timeline)");
    look("print", timeline, NULL);
}

/* Thread ids are identifiers: 11052, not 11,052. */
static void test_thread_ids_without_separators(void **state)
{
    (void)state;
    char xlsx[512];
    path_in_tmp(xlsx, sizeof xlsx, "ids.xlsx");
    pu_run_result r = vmmap("report", "-q", snap, "-o", xlsx, NULL);
    expect_ok(&r, "report -o ids.xlsx");
    look("ids", xlsx, NULL);
}

/* The diff's Summary headers fit their columns ("ommitted (old)" was what showed). */
static void test_diff_headers_fit(void **state)
{
    (void)state;
    char diff[512];
    path_in_tmp(diff, sizeof diff, "headers.xlsx");
    pu_run_result r = vmmap("diff", "-q", snap, snap, "-o", diff, NULL);
    expect_ok(&r, "diff -o headers.xlsx");
    look("headers", diff, NULL);
}

/* Each heap's line in the Heap timeline chart has its own colour; the Summary chart draws
 * resident memory (Total WS) beside Committed. */
static void test_chart_series(void **state)
{
    (void)state;
    char a[512], b[512], timeline[512], xlsx[512];
    path_in_tmp(a, sizeof a, "heaps-a.json");
    path_in_tmp(b, sizeof b, "heaps-b.json");
    path_in_tmp(timeline, sizeof timeline, "heaps-timeline.xlsx");
    path_in_tmp(xlsx, sizeof xlsx, "chart.xlsx");
    pu_run_result r = vmmap("snapshot", "--self", "-q", "-o", a, NULL);
    expect_ok(&r, "snapshot a");
    r = vmmap("snapshot", "--self", "-q", "-o", b, NULL);
    expect_ok(&r, "snapshot b");
    cJSON *j = pu_json_load(a);
    assert_non_null(j);
    int heaps = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "heaps"));
    cJSON_Delete(j);
    if (heaps < 2) {
        print_message("[ SKIP     ] vmmap itself has %d heap(s); the colours need two\n", heaps);
        skip();
    }
    r = vmmap("report", "-q", a, b, "-o", timeline, NULL);
    expect_ok(&r, "report (timeline)");
    look("chart-colours", timeline, "Committed memory per heap (K)", NULL);
    r = vmmap("report", "-q", snap, "-o", xlsx, NULL);
    expect_ok(&r, "report -o chart.xlsx");
    look("chart-series", xlsx, "Committed and resident (Total WS) memory by type (K)", "Committed",
         "Total WS (resident)", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xlsx_matches_snapshot),
        cmocka_unit_test(test_xlsx_warnings_sheet_iff_warnings),
        cmocka_unit_test(test_xlsx_of_live_process),
        cmocka_unit_test(test_csv_matches_snapshot),
        cmocka_unit_test(test_csv_by_snapshot_extension),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_missing_directory),
        cmocka_unit_test(test_no_permission),
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_workbooks_print),
        cmocka_unit_test(test_thread_ids_without_separators),
        cmocka_unit_test(test_diff_headers_fit),
        cmocka_unit_test(test_chart_series),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
