/* Integration test of `vmmap diff` with the binary: the Linux sample snapshotted, then compared
 * with itself live after doing nothing (few or no changes); a saved snapshot compared with a copy
 * mutated with cJSON (a region added: reported as added, nothing else), with a shuffled copy
 * (refused: regions go in address order), and with another process (allowed, warned); every output format; usage errors.
 * Binaries come from $VMMAP_BUILD (default "build"): vmmap and samples/sample. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/support/proc_util.h"

typedef struct fixture {
    char *vmmap, *sample;
    pu_child child;
    char dir[256];
    char before[320]; /* the sample's snapshot */
    char pid[32];
} fixture;

static fixture *fx;

static pu_run_result run_vmmap(const char *a0, ...)
{
    char *argv[16] = {fx->vmmap};
    int n = 1;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && n < 15; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, NULL, &r) != 0)
        fail_msg("cannot run vmmap: %s", pu_last_error());
    return r;
}

static void in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", fx->dir, name);
}

static void expect_ok(pu_run_result *r)
{
    if (r->exit_code != 0)
        fail_msg("vmmap exited %d: %s", r->exit_code, r->err);
}

static int group_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    fx = calloc(1, sizeof *fx);
    fx->child.stdin_fd = fx->child.stdout_fd = -1;
    fx->vmmap = pu_build_path("vmmap");
    fx->sample = pu_build_path("samples/sample");
    if (access(fx->vmmap, X_OK) != 0 || access(fx->sample, X_OK) != 0 || pu_tempdir(fx->dir, sizeof fx->dir) != 0) {
        fprintf(stderr, "test_diff: need %s, %s and a temporary directory\n", fx->vmmap, fx->sample);
        return -1;
    }
    char *argv[] = {fx->sample, NULL};
    if (pu_sample_start(&fx->child, argv, 10000) != 0) {
        fprintf(stderr, "test_diff: cannot start the sample: %s\n", pu_last_error());
        return -1;
    }
    snprintf(fx->pid, sizeof fx->pid, "%d", (int)fx->child.pid);
    in_dir(fx->before, sizeof fx->before, "before.json");
    pu_run_result r = run_vmmap("snapshot", fx->pid, "-o", fx->before, "-q", NULL);
    int rc = r.exit_code == 0 ? 0 : -1;
    if (rc)
        fprintf(stderr, "test_diff: snapshot failed: %s\n", r.err);
    pu_run_result_free(&r);
    return rc;
}

static int group_teardown(void **state)
{
    if (fx->child.pid > 0)
        pu_child_stop(&fx->child, 5000);
    if (fx->dir[0])
        pu_tempdir_remove(fx->dir);
    free(fx->vmmap);
    free(fx->sample);
    free(fx);
    return 0;
}

/* Runs `vmmap diff OLD NEW -o DIR/out.json` and returns the parsed diff. */
static cJSON *diff_json(const char *old_side, const char *new_side)
{
    char out[320];
    in_dir(out, sizeof out, "out.json");
    pu_run_result r = run_vmmap("diff", old_side, new_side, "-o", out, "-q", NULL);
    expect_ok(&r);
    pu_run_result_free(&r);
    cJSON *j = pu_json_load(out);
    if (!j)
        fail_msg("diff JSON: %s", pu_last_error());
    assert_string_equal(pu_json_str(j, "format"), "vmmap-diff");
    return j;
}

static int count(const cJSON *j, const char *list)
{
    return cJSON_GetArraySize(cJSON_GetObjectItem(j, list));
}

/* The sample did nothing between its snapshot and now: few changes (the working sets and the
 * stack in use may move), no thread or module change, the same process. */
static void test_live_idle(void **state)
{
    cJSON *j = diff_json(fx->before, fx->pid);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "different_process")));
    assert_true(count(j, "changes") <= 4);
    assert_int_equal(count(j, "threads"), 0);
    assert_int_equal(count(j, "modules"), 0);
    cJSON_Delete(j);

    pu_run_result r = run_vmmap("diff", fx->before, fx->pid, NULL);
    expect_ok(&r);
    assert_non_null(strstr(r.out, "Change by type"));
    assert_non_null(strstr(r.out, "Private Data"));
    pu_run_result_free(&r);
}

/* Writes j to DIR/name. */
static void save(const cJSON *j, const char *path)
{
    char *text = cJSON_PrintUnformatted(j);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
}

static uint64_t hex_of(const cJSON *o, const char *key)
{
    const char *v = pu_json_str(o, key);
    assert_non_null(v);
    return strtoull(v, NULL, 16);
}

static void set_hex(cJSON *o, const char *key, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    cJSON_ReplaceItemInObject(o, key, cJSON_CreateString(buf));
}

static void set_size(cJSON *o, uint64_t v)
{
    cJSON_ReplaceItemInObject(o, "size", cJSON_CreateNumber((double)v));
}

/* A copy of the first Private Data region with one block, moved to the start of the first Free
 * region big enough for it, which gives up that room (the loader refuses overlapping regions).
 * Returns the new region's address. */
static uint64_t add_region(cJSON *regions)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, regions)
    {
        const char *type = pu_json_str(r, "type");
        if (type && strcmp(type, "Private Data") == 0 && cJSON_GetArraySize(cJSON_GetObjectItem(r, "blocks")) == 1)
            break;
    }
    assert_non_null(r);
    uint64_t size = (uint64_t)cJSON_GetObjectItem(r, "size")->valuedouble;
    int at = 0;
    cJSON *gap;
    cJSON_ArrayForEach(gap, regions)
    {
        const char *type = pu_json_str(gap, "type");
        if (type && strcmp(type, "Free") == 0 && cJSON_GetObjectItem(gap, "size")->valuedouble > 2.0 * (double)size)
            break;
        at++;
    }
    assert_non_null(gap);
    uint64_t address = hex_of(gap, "address"), rest = (uint64_t)cJSON_GetObjectItem(gap, "size")->valuedouble - size;
    cJSON *gap_block = cJSON_GetArrayItem(cJSON_GetObjectItem(gap, "blocks"), 0);
    set_hex(gap, "address", address + size);
    set_hex(gap_block, "address", address + size);
    set_size(gap, rest);
    set_size(gap_block, rest);
    cJSON *copy = cJSON_Duplicate(r, 1);
    set_hex(copy, "address", address);
    set_hex(cJSON_GetArrayItem(cJSON_GetObjectItem(copy, "blocks"), 0), "address", address);
    cJSON_InsertItemInArray(regions, at, copy);
    return address;
}

static void test_saved_added_region(void **state)
{
    char mutated[320], shuffled[320], want[32];
    in_dir(mutated, sizeof mutated, "mutated.json");
    in_dir(shuffled, sizeof shuffled, "shuffled.json");
    cJSON *snap = pu_json_load(fx->before);
    assert_non_null(snap);
    cJSON *regions = cJSON_GetObjectItem(snap, "regions");
    snprintf(want, sizeof want, "0x%llx", (unsigned long long)add_region(regions));
    save(snap, mutated);

    cJSON *j = diff_json(fx->before, mutated);
    assert_int_equal(count(j, "changes"), 1);
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "changes"), 0);
    assert_string_equal(pu_json_str(c, "change"), "added");
    assert_string_equal(pu_json_str(c, "address"), want);
    assert_string_equal(pu_json_str(c, "type"), "Private Data");
    cJSON_Delete(j);

    /* The same regions in reverse order: refused, as no source writes that. */
    cJSON *rev = cJSON_CreateArray();
    while (cJSON_GetArraySize(regions) > 0)
        cJSON_AddItemToArray(rev, cJSON_DetachItemFromArray(regions, cJSON_GetArraySize(regions) - 1));
    cJSON_ReplaceItemInObject(snap, "regions", rev);
    save(snap, shuffled);
    pu_run_result r = run_vmmap("diff", mutated, shuffled, NULL);
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.err, "shuffled.json: regions[1]: "));
    assert_non_null(strstr(r.err, "regions go in address order"));
    pu_run_result_free(&r);
    cJSON_Delete(snap);
}

/* Another process: allowed, with a warning on stderr and in the JSON. */
static void test_other_process(void **state)
{
    char out[320];
    in_dir(out, sizeof out, "other.json");
    pu_run_result r = run_vmmap("diff", fx->before, "--self", "-o", out, NULL);
    expect_ok(&r);
    assert_non_null(strstr(r.err, "different processes"));
    assert_non_null(strstr(r.err, "vmmap: wrote ")); /* -o says where it wrote, as snapshot does */
    pu_run_result_free(&r);
    cJSON *j = pu_json_load(out);
    assert_non_null(j);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "different_process")));
    cJSON_Delete(j);

    /* On the terminal the warning is said once (it was on stdout and stderr). */
    r = run_vmmap("diff", fx->before, "--self", "--color=never", NULL);
    expect_ok(&r);
    size_t n = 0;
    for (const char *p = r.out; (p = strstr(p, "different processes")); p++)
        n++;
    for (const char *p = r.err; (p = strstr(p, "different processes")); p++)
        n++;
    assert_int_equal(n, 1);
    pu_run_result_free(&r);
}

static void test_formats(void **state)
{
    char xlsx[320];
    in_dir(xlsx, sizeof xlsx, "d.xlsx");
    pu_run_result r = run_vmmap("diff", fx->before, fx->pid, "-o", xlsx, NULL);
    expect_ok(&r);
    assert_true(pu_file_exists(xlsx));
    pu_run_result_free(&r);

    r = run_vmmap("diff", fx->before, fx->before, "--format", "csv", NULL);
    expect_ok(&r);
    assert_non_null(strstr(r.out, "\"Section\",\"Change\""));
    pu_run_result_free(&r);

    r = run_vmmap("diff", fx->before, fx->before, "--top", "3", "--type", "heap,stack", "--min-change", "1M",
                  "--format", "json", NULL);
    expect_ok(&r);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_int_equal(count(j, "by_type"), 3); /* Heap, Stack, Total */
    cJSON_Delete(j);
    pu_run_result_free(&r);
}

static void test_usage(void **state)
{
    static const char *const bad[][4] = {
        {"diff", "a.json", NULL, NULL},
        {"diff", "a.json", "b.json", "--top=x"},
        {"diff", "a.json", "b.json", "--type=bogus"},
        {"diff", "a.json", "b.json", "--min-change=big"},
        {"diff", "a.json", "b.json", "--format=pdf"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pu_run_result r = run_vmmap(bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL);
        assert_int_equal(r.exit_code, 2);
        pu_run_result_free(&r);
    }
    pu_run_result r = run_vmmap("diff", "--help", NULL);
    expect_ok(&r);
    assert_non_null(strstr(r.out, "Examples:"));
    pu_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_idle),
        cmocka_unit_test(test_saved_added_region),
        cmocka_unit_test(test_other_process),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
