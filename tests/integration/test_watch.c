/* `vmmap watch` and the timeline report against the grower sample (samples/linux/grower.c):
 * growth in the right heap (the allocator thread's arena, named by the grower's ground truth),
 * new stacks, the growth flag in watch's output and in the Timeline sheet (read back by
 * tests/report/check_timeline_xlsx.py); nothing flagged on a steady process; SIGINT leaves every
 * completed snapshot readable and no temporaries; the .jsonl mode; the target exiting mid-watch.
 * Nothing here asserts on time: only counts, orders and monotonic properties. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/json.h"
#include "tests/support/proc_util.h"
#include "vmmap/model/timeline.h"
#include "vmmap/series/series.h"

#define CHECKER "tests/report/check_timeline_xlsx.py"
#define SAMPLES "8"

static char tmpdir[256];

static void in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static int setup(void **state)
{
    return pu_tempdir(tmpdir, sizeof tmpdir);
}

/* Removes what the tests left: files in sub-directories, then the directory. */
static int teardown(void **state)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[600];
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            if (pu_tempdir_remove(path) != 0)
                unlink(path);
        }
    if (d)
        closedir(d);
    return pu_tempdir_remove(tmpdir);
}

/* Starts the grower with extra arguments (NULL-terminated). */
static void start_grower(pu_child *c, const char *a0, const char *a1)
{
    char *bin = pu_build_path("samples/grower");
    char *argv[] = {bin, (char *)a0, (char *)a1, NULL};
    memset(c, 0, sizeof *c);
    if (pu_sample_start(c, argv, 10000) != 0)
        fail_msg("cannot start the grower: %s", pu_last_error());
    free(bin);
}

static char *pid_of(const pu_child *c, char *buf, size_t len)
{
    snprintf(buf, len, "%d", (int)c->pid);
    return buf;
}

static void run_vmmap(pu_run_result *r, char *const args[])
{
    char *argv[24];
    size_t n = 0;
    argv[n++] = pu_build_path("vmmap");
    for (; args[n - 1] && n < 23; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    memset(r, 0, sizeof *r);
    if (pu_run(argv, NULL, r) != 0)
        fail_msg("cannot run vmmap: %s", pu_last_error());
    free(argv[0]);
}

/* The .json files in dir (sorted by name) into names (room for max); hidden files counted apart. */
static size_t list_snapshots(const char *dir, char names[][600], size_t max, size_t *hidden)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t n = 0;
    *hidden = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_name[0] == '.')
            ++*hidden;
        else if (n < max)
            snprintf(names[n++], 600, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, 600, (int (*)(const void *, const void *))strcmp);
    return n;
}

/* Every snapshot in dir loads; returns how many, and the first and last thread counts. */
static size_t load_all(const char *dir, size_t *threads_first, size_t *threads_last)
{
    static char names[64][600];
    size_t hidden;
    size_t n = list_snapshots(dir, names, 64, &hidden);
    assert_int_equal(hidden, 0); /* no temporaries left */
    for (size_t i = 0; i < n; i++) {
        vm_error err = {0};
        vm_snapshot *s = vm_snapshot_read_json(names[i], &err);
        if (!s)
            fail_msg("%s does not load: %s", names[i], err.msg);
        if (i == 0)
            *threads_first = s->nthreads;
        *threads_last = s->nthreads;
        vm_snapshot_free(s);
    }
    return n;
}

static void check_workbook(const char *xlsx, const char *samples, const char *arena, const char *mode)
{
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char *argv[] = {(char *)py, (char *)CHECKER, (char *)xlsx, (char *)samples, (char *)arena, (char *)mode, NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, NULL, &r) != 0)
        fail_msg("cannot run %s: %s", py, pu_last_error());
    if (r.exit_code != 0)
        fail_msg("%s %s:\n%s%s", CHECKER, xlsx, r.out, r.err);
    pu_run_result_free(&r);
}

/* The output line of a series in watch's growth analysis, or NULL. */
static const char *growth_line(const char *out, const char *series, char *buf, size_t len)
{
    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        size_t n = strcspn(p, "\n");
        snprintf(buf, len, "%.*s", (int)n, p);
        if (strncmp(buf, "  ", 2) == 0 && strncmp(buf + 2, series, strlen(series)) == 0 &&
            buf[2 + strlen(series)] == ' ')
            return buf;
    }
    return NULL;
}

/* True when a line of the growth analysis ends in GROWING. */
static bool any_flagged(const char *out)
{
    return strstr(out, " GROWING\n") != NULL;
}

/* ---- a growing process -------------------------------------------------------------------- */

static void test_watch_dir_shows_growth(void **state)
{
    pu_child c;
    start_grower(&c, "--thread-every", "400");
    char pid[32], dir[512], xlsx[512], heap[128], line[512], arena[32];
    snprintf(arena, sizeof arena, "%s", pu_json_str(c.truth, "arena") ? pu_json_str(c.truth, "arena") : "?");
    in_tmp(dir, sizeof dir, "grow");
    in_tmp(xlsx, sizeof xlsx, "grow.xlsx");
    pu_run_result r;
    run_vmmap(&r, (char *[]){"watch", pid_of(&c, pid, sizeof pid), "--interval", "300ms", "--count", SAMPLES,
                             "-o", dir, NULL});
    assert_int_equal(pu_child_stop(&c, 5000), 0);
    if (r.exit_code != 0)
        fail_msg("watch: exit %d: %s", r.exit_code, r.err);
    /* the growth analysis: the arena's heap and the Heap type are flagged */
    snprintf(heap, sizeof heap, "heap glibc arena %s", arena);
    if (!growth_line(r.out, heap, line, sizeof line) || !strstr(line, "GROWING"))
        fail_msg("no GROWING line for %s in:\n%s", heap, r.out);
    if (!growth_line(r.out, "Heap", line, sizeof line) || !growth_line(r.out, "Threads", line, sizeof line))
        fail_msg("no Heap or Threads growth in:\n%s", r.out);
    assert_non_null(strstr(r.out, "8 samples")); /* one plain line per sample (not a terminal) */
    pu_run_result_free(&r);

    size_t t0 = 0, t1 = 0;
    assert_int_equal(load_all(dir, &t0, &t1), 8);
    assert_true(t1 > t0); /* new threads, with their stacks */

    run_vmmap(&r, (char *[]){"report", dir, "-o", xlsx, NULL});
    if (r.exit_code != 0)
        fail_msg("report: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    check_workbook(xlsx, SAMPLES, arena, "grow");
}

/* ---- a steady process, to a .jsonl -------------------------------------------------------- */

static void test_watch_jsonl_steady(void **state)
{
    pu_child c;
    start_grower(&c, "--steady", NULL);
    char pid[32], jsonl[512], xlsx[512], arena[32];
    snprintf(arena, sizeof arena, "%s", pu_json_str(c.truth, "arena") ? pu_json_str(c.truth, "arena") : "?");
    in_tmp(jsonl, sizeof jsonl, "steady.jsonl");
    in_tmp(xlsx, sizeof xlsx, "steady.xlsx");
    pu_run_result r;
    run_vmmap(&r, (char *[]){"watch", pid_of(&c, pid, sizeof pid), "-i", "300ms", "-n", "6", "-o", jsonl, NULL});
    assert_int_equal(pu_child_stop(&c, 5000), 0);
    if (r.exit_code != 0)
        fail_msg("watch: exit %d: %s", r.exit_code, r.err);
    if (any_flagged(r.out))
        fail_msg("a steady process was flagged:\n%s", r.out);
    assert_non_null(strstr(r.out, "No steady growth"));
    /* Each sample's line puts resident (Total WS) beside committed: "committed 26,108 K (...)
     * resident 4,960 K (...)", a measured value, never "?". */
    const char *res = strstr(r.out, "  resident ");
    assert_non_null(res);
    unsigned long long resident_kb = strtoull(res + 11, NULL, 10);
    if (resident_kb == 0 || !strstr(r.out, "1 sample  committed "))
        fail_msg("progress lines without a resident figure:\n%s", r.out);
    pu_run_result_free(&r);

    /* one snapshot per line, every line complete */
    size_t len = 0, lines = 0;
    char *text = pu_read_file(jsonl, &len);
    assert_non_null(text);
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    assert_int_equal(lines, 6);
    assert_int_equal(text[len - 1], '\n');
    free(text);

    run_vmmap(&r, (char *[]){"report", jsonl, "-o", xlsx, NULL});
    if (r.exit_code != 0)
        fail_msg("report: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    check_workbook(xlsx, "6", arena, "steady");
}

/* ---- interrupted ------------------------------------------------------------------------- */

/* Starts watch (no count) to out, waits until `ready` says 3 samples are in, then SIGINT. */
static void interrupt_watch(const pu_child *c, const char *out, bool (*ready)(const char *), pu_run_result *r)
{
    char pid[32];
    char *bin = pu_build_path("vmmap");
    char *argv[] = {bin, (char *)"watch", pid_of(c, pid, sizeof pid), (char *)"-i", (char *)"300ms", (char *)"-o",
                    (char *)out, NULL};
    pu_proc p;
    assert_int_equal(pu_proc_spawn(&p, argv, NULL), 0);
    int64_t deadline = pu_now_ms() + 20000;
    while (!ready(out) && pu_now_ms() < deadline)
        pu_sleep_ms(50);
    kill(p.pid, SIGINT);
    memset(r, 0, sizeof *r);
    assert_int_equal(pu_proc_collect(&p, 20000, r), 0);
    free(bin);
}

static bool three_files(const char *dir)
{
    static char names[64][600];
    size_t hidden;
    return access(dir, F_OK) == 0 && list_snapshots(dir, names, 64, &hidden) >= 3;
}

static bool three_lines(const char *path)
{
    size_t len = 0, lines = 0;
    char *text = pu_read_file(path, &len);
    for (size_t i = 0; text && i < len; i++)
        lines += text[i] == '\n';
    free(text);
    return lines >= 3;
}

static void expect_clean_stop(pu_run_result *r)
{
    if (r->exit_code != 0)
        fail_msg("watch after SIGINT: exit %d (signal %d): %s", r->exit_code, r->term_signal, r->err);
    assert_non_null(strstr(r->err, "stopped by SIGINT"));
    assert_non_null(strstr(r->out, "Growth over"));
    pu_run_result_free(r);
}

static void test_sigint_leaves_complete_snapshots(void **state)
{
    pu_child c;
    start_grower(&c, NULL, NULL);
    char dir[512], jsonl[512];
    in_tmp(dir, sizeof dir, "interrupted");
    in_tmp(jsonl, sizeof jsonl, "interrupted.jsonl");
    pu_run_result r;
    interrupt_watch(&c, dir, three_files, &r);
    expect_clean_stop(&r);
    size_t t0, t1;
    assert_true(load_all(dir, &t0, &t1) >= 3);

    interrupt_watch(&c, jsonl, three_lines, &r);
    expect_clean_stop(&r);
    assert_int_equal(pu_child_stop(&c, 5000), 0);
    vm_timeline *tl = vm_timeline_new();
    vm_error err = {0};
    const char *paths[] = {jsonl};
    if (vm_timeline_load(tl, paths, 1, &err) != 0)
        fail_msg("%s", err.msg);
    assert_true(tl->nrows >= 3);
    assert_int_equal(tl->torn_lines, 0);
    vm_timeline_free(tl);
    size_t hidden;
    static char names[8][600];
    list_snapshots(tmpdir, names, 8, &hidden);
    assert_int_equal(hidden, 0);
}

/* ---- the target exits ---------------------------------------------------------------------- */

static void test_target_exit_ends_watch(void **state)
{
    pu_child c;
    start_grower(&c, "--seconds", "2");
    char pid[32], dir[512], expect[96];
    in_tmp(dir, sizeof dir, "exited");
    char *bin = pu_build_path("vmmap");
    char *argv[] = {bin, (char *)"watch", pid_of(&c, pid, sizeof pid), (char *)"-i", (char *)"300ms", (char *)"-o",
                    dir, NULL};
    pu_proc p;
    assert_int_equal(pu_proc_spawn(&p, argv, NULL), 0);
    /* reap the grower when it exits, so that its PID disappears */
    int status;
    int64_t deadline = pu_now_ms() + 20000;
    while (waitpid(c.pid, &status, WNOHANG) == 0 && pu_now_ms() < deadline)
        pu_sleep_ms(20);
    c.reaped = true;
    c.status = status;
    pu_run_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(pu_proc_collect(&p, 20000, &r), 0);
    pu_child_stop(&c, 1000);
    free(bin);
    if (r.exit_code != 0)
        fail_msg("watch: exit %d: %s", r.exit_code, r.err);
    size_t t0, t1, n = load_all(dir, &t0, &t1);
    assert_true(n >= 1);
    snprintf(expect, sizeof expect, "process %s exited after %zu sample", pid, n);
    if (!strstr(r.err, expect))
        fail_msg("expected \"%s\" in: %s", expect, r.err);
    pu_run_result_free(&r);
}

/* ---- usage -------------------------------------------------------------------------------- */

static void test_usage_errors(void **state)
{
    pu_run_result r;
    run_vmmap(&r, (char *[]){"watch", "--self", "-n", "1", NULL}); /* no -o */
    assert_int_equal(r.exit_code, 2);
    pu_run_result_free(&r);
    run_vmmap(&r, (char *[]){"watch", "tests/fixtures/snapshot-v1-minimal.json", "-o", "x", NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "running process"));
    pu_run_result_free(&r);
    run_vmmap(&r, (char *[]){"watch", "--self", "-i", "soon", "-o", "x", NULL});
    assert_int_equal(r.exit_code, 2);
    pu_run_result_free(&r);
    run_vmmap(&r, (char *[]){"report", tmpdir, "-o", "t.csv", NULL}); /* a timeline is xlsx only */
    assert_int_equal(r.exit_code, 2);
    pu_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch_dir_shows_growth),
        cmocka_unit_test(test_watch_jsonl_steady),
        cmocka_unit_test(test_sigint_leaves_complete_snapshots),
        cmocka_unit_test(test_target_exit_ends_watch),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
