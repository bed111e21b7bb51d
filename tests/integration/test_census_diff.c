/* `vmmap diff` of two census snapshots (issue 12): samples/linux/census_grow.cpp keeps a fixed
 * number of two types and creates, on request, more objects of a third; the diff must show that
 * type growing by exactly that many objects and bytes, and no other type.  Also: a live NEW side
 * gets a census when OLD has one; a snapshot without a census is said, not compared.
 * Binaries come from $VMMAP_BUILD (default "build"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/proc_util.h"

#define START_MS 10000
#define STOP_MS 5000
#define RUN_MS 120000
/* new app::Leaky: 48 bytes asked, a 64-byte chunk (glibc x86-64) */
#define LEAKY_CHUNK 64

typedef struct fixture {
    char *vmmap;
    pu_child grow;
    char dir[64];
    pu_run_result run;
    cJSON *diff;
} fixture;

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    pu_child_stop(&f->grow, STOP_MS);
    pu_run_result_free(&f->run);
    cJSON_Delete(f->diff);
    if (f->dir[0])
        pu_tempdir_remove(f->dir);
    free(f->vmmap);
    free(f);
    return 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    f->grow.stdin_fd = f->grow.stdout_fd = -1;
    signal(SIGPIPE, SIG_IGN);
    f->vmmap = pu_build_path("vmmap");
    char *sample = pu_build_path("samples/census_grow");
    char *argv[] = {sample, NULL};
    int rc = f->vmmap && sample && pu_tempdir(f->dir, sizeof f->dir) == 0 ? pu_sample_start(&f->grow, argv, START_MS)
                                                                          : -1;
    if (rc != 0)
        fprintf(stderr, "test_census_diff: %s\n", pu_last_error());
    free(sample);
    return rc;
}

/* Runs vmmap with these arguments (ending with (char *)NULL); fails the test unless it exits 0. */
static void vmmap(fixture *f, ...)
{
    pu_run_result_free(&f->run);
    va_list ap, peek;
    va_start(ap, f);
    va_copy(peek, ap);
    const char *command = va_arg(peek, const char *);
    va_end(peek);
    int rc = pu_runv(&f->run, &(pu_run_opts){.timeout_ms = RUN_MS}, f->vmmap, ap);
    va_end(ap);
    if (rc != 0 || f->run.exit_code != 0)
        fail_msg("vmmap %s: exit %d (%s)\nstderr:\n%s", command ? command : "", f->run.exit_code,
                 rc ? pu_last_error() : "ran", f->run.err ? f->run.err : "");
}

static void snapshot(fixture *f, const char *name, char *path, size_t len, bool objects)
{
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)f->grow.pid);
    snprintf(path, len, "%s/%s", f->dir, name);
    if (objects)
        vmmap(f, "snapshot", pid, "--objects", "-q", "-o", path, (char *)NULL);
    else
        vmmap(f, "snapshot", pid, "-q", "-o", path, (char *)NULL);
}

/* Asks the sample for n more Leaky objects and waits until it says it made them. */
static void grow(fixture *f, long n, long total)
{
    char line[32];
    int len = snprintf(line, sizeof line, "%ld\n", n);
    assert_int_equal(write(f->grow.stdin_fd, line, (size_t)len), len);
    assert_int_equal(pu_child_read_line(&f->grow, START_MS), 0);
    cJSON *said = cJSON_Parse(f->grow.first_line);
    uint64_t leaky = 0;
    assert_int_equal(pu_json_u64(said, "Leaky", &leaky), 0);
    assert_int_equal(leaky, total);
    cJSON_Delete(said);
}

static void diff(fixture *f, const char *old_path, const char *new_side)
{
    char out[128];
    snprintf(out, sizeof out, "%s/d.json", f->dir);
    vmmap(f, "diff", old_path, new_side, "-o", out, (char *)NULL);
    cJSON_Delete(f->diff);
    f->diff = pu_json_load(out);
    assert_non_null(f->diff);
}

/* The diff's objects: exactly one entry, app::Leaky, with these numbers. */
static void expect_only_leaky(fixture *f, const char *change, uint64_t old_count, uint64_t new_count)
{
    const cJSON *objects = cJSON_GetObjectItemCaseSensitive(f->diff, "objects");
    assert_true(cJSON_IsArray(objects));
    if (cJSON_GetArraySize(objects) != 1) {
        char *t = cJSON_Print(objects);
        fail_msg("want only app::Leaky, got %s", t);
    }
    const cJSON *o = cJSON_GetArrayItem(objects, 0);
    assert_string_equal(pu_json_str(o, "type"), "app::Leaky");
    assert_string_equal(pu_json_str(o, "change"), change);
    uint64_t v;
    assert_int_equal(pu_json_u64(o, "old_count", &v), 0);
    assert_int_equal(v, old_count);
    assert_int_equal(pu_json_u64(o, "new_count", &v), 0);
    assert_int_equal(v, new_count);
    double cd = cJSON_GetObjectItemCaseSensitive(o, "count_delta")->valuedouble;
    double bd = cJSON_GetObjectItemCaseSensitive(o, "bytes_delta")->valuedouble;
    assert_true(cd == (double)(new_count - old_count));
    assert_true(bd == (double)((new_count - old_count) * LEAKY_CHUNK));
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "estimated")));
}

static void test_one_type_grows(void **state)
{
    fixture *f = *state;
    char a[128], b[128], c[128];
    snapshot(f, "a.json", a, sizeof a, true);
    grow(f, 40000, 40000);
    snapshot(f, "b.json", b, sizeof b, true);
    grow(f, 1000, 41000);
    snapshot(f, "c.json", c, sizeof c, true);
    diff(f, a, b);
    expect_only_leaky(f, "added", 0, 40000);
    diff(f, b, c);
    expect_only_leaky(f, "grown", 40000, 41000);
    /* The text says it the way a user reads it. */
    vmmap(f, "diff", a, c, (char *)NULL);
    assert_non_null(strstr(f->run.out, "C++ objects (1 of 1 types that changed):"));
    assert_non_null(strstr(f->run.out, "+41,000"));
    assert_non_null(strstr(f->run.out, "app::Leaky (census_grow)"));
    /* A live NEW side gets its census because OLD has one. */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)f->grow.pid);
    grow(f, 10, 41010);
    diff(f, c, pid);
    expect_only_leaky(f, "grown", 41000, 41010);
    /* CSV carries the same as a second table. */
    char csv[128];
    snprintf(csv, sizeof csv, "%s/d.csv", f->dir);
    vmmap(f, "diff", a, c, "-o", csv, (char *)NULL);
    char *text = pu_read_file(csv, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"grown\",\"app::Leaky\"") ? strstr(text, "\"grown\",\"app::Leaky\"")
                                                          : strstr(text, "\"added\",\"app::Leaky\""));
    free(text);
}

static void test_without_census(void **state)
{
    fixture *f = *state;
    char a[128], b[128];
    snapshot(f, "with.json", a, sizeof a, true);
    snapshot(f, "plain.json", b, sizeof b, false);
    diff(f, a, b);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f->diff, "objects")));
    assert_string_equal(pu_json_str(f->diff, "objects_note"), "only the old snapshot has an object census");
    vmmap(f, "diff", a, b, (char *)NULL);
    assert_non_null(strstr(f->run.out, "C++ objects: not compared (only the old snapshot has an object census)."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_type_grows),
        cmocka_unit_test(test_without_census),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
