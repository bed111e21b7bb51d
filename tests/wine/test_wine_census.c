/* Wine integration test of the object census (issue 12): samples/windows/census/census.exe
 * (MinGW g++, Itanium RTTI; mk/census.mk builds it and census_plugin.dll into VMMAP_WIN_BUILD)
 * prints how many objects of each class it holds and the bytes of their heap blocks (from
 * HeapWalk of the CRT heap).  `vmmap.exe objects PID` under Wine must equal it type by type
 * (count, bytes, exact or estimated, module); with --all it also finds the static instance in
 * the image's data and the one on main's stack.  A second run writes a full-memory minidump of
 * itself: its census, by the Linux build and by vmmap.exe, must equal that run's truth too, and
 * so the live census.
 *
 * Environment as tests/wine/test_wine_sample.c (mk/wine.mk sets it): VMMAP_BUILD, VMMAP_WIN_BUILD,
 * WINE64, WINESERVER, WINEPREFIX (absolute; made ready, with one persistent wineserver, by the
 * setup: wine_session.h).  The samples are our children (wine64 started by us); the teardown
 * runs `wineserver -k` for the prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/wine_session.h"

#define START_MS 120000
#define STOP_MS 10000
#define RUN_MS 180000

typedef struct fixture {
    char *wine64, *wineserver, *vmmap_exe, *census_exe, *vmmap_linux, *win_build_abs;
    char prefix[PATH_MAX];
    char dir[64], windir[96];
    pu_child live;
    pu_run_result run;
    cJSON *snap;
    char dump_path[PATH_MAX];
} fixture;

static void wine_path(const char *unix_path, char *out, size_t len)
{
    snprintf(out, len, "Z:%s", unix_path);
    for (char *p = out; *p; p++)
        if (*p == '/')
            *p = '\\';
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    pu_child_stop(&f->live, STOP_MS);
    pu_run_result_free(&f->run);
    cJSON_Delete(f->snap);
    if (f->dump_path[0])
        unlink(f->dump_path);
    if (f->dir[0])
        pu_tempdir_remove(f->dir);
    if (f->prefix[0])
        pu_wine_end(f->wineserver); /* our prefix's server, with Wine's own processes in it */
    free(f->wine64);
    free(f->wineserver);
    free(f->vmmap_exe);
    free(f->census_exe);
    free(f->vmmap_linux);
    free(f->win_build_abs);
    free(f);
    return 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    f->live.stdin_fd = f->live.stdout_fd = -1;
    signal(SIGPIPE, SIG_IGN);
    f->wine64 = pu_find_program("WINE64", "wine64", "/usr/lib/wine/wine64");
    f->wineserver = pu_find_program("WINESERVER", "wineserver", "/usr/lib/wine/wineserver");
    const char *wb = getenv("VMMAP_WIN_BUILD");
    f->win_build_abs = realpath(wb && *wb ? wb : "build-win", NULL);
    f->vmmap_linux = pu_build_path("vmmap");
    if (!f->wine64 || !f->wineserver || !f->win_build_abs || !f->vmmap_linux) {
        fprintf(stderr, "test_wine_census: needs wine64, wineserver and VMMAP_WIN_BUILD (make test-wine)\n");
        teardown(state);
        *state = NULL;
        return -1;
    }
    if (pu_wine_begin(f->wine64, f->wineserver, f->prefix, sizeof f->prefix) != 0) {
        fprintf(stderr, "test_wine_census: Wine: %s\n", pu_last_error());
        teardown(state);
        *state = NULL;
        return -1;
    }
    size_t n = strlen(f->win_build_abs) + 64;
    f->vmmap_exe = malloc(n);
    f->census_exe = malloc(n);
    snprintf(f->vmmap_exe, n, "%s/vmmap.exe", f->win_build_abs);
    snprintf(f->census_exe, n, "%s/samples/census.exe", f->win_build_abs);
    if (pu_tempdir(f->dir, sizeof f->dir) != 0) {
        f->dir[0] = 0;
        teardown(state);
        *state = NULL;
        return -1;
    }
    wine_path(f->dir, f->windir, sizeof f->windir);
    char *argv[] = {f->wine64, f->census_exe, NULL};
    if (pu_sample_start(&f->live, argv, START_MS) != 0) {
        fprintf(stderr, "test_wine_census: cannot start census.exe under Wine: %s\n", pu_last_error());
        teardown(state);
        *state = NULL;
        return -1;
    }
    return 0;
}

/* Runs a program (the first argument) with the rest, ending with (char *)NULL; fails the test
 * unless it exits 0. */
static void run(fixture *f, const char *program, ...)
{
    pu_run_result_free(&f->run);
    va_list ap;
    va_start(ap, program);
    int rc = pu_runv(&f->run, &(pu_run_opts){.timeout_ms = RUN_MS}, program, ap);
    va_end(ap);
    if (rc != 0 || f->run.exit_code != 0)
        fail_msg("%s: exit %d (%s)\nstderr:\n%s", program, f->run.exit_code, rc ? pu_last_error() : "ran",
                 f->run.err ? f->run.err : "");
}

static uint64_t u64(const cJSON *o, const char *key)
{
    uint64_t v = 0;
    if (pu_json_u64(o, key, &v) != 0)
        fail_msg("%s: %s", key, pu_last_error());
    return v;
}

static const char *base_name(const char *path)
{
    const char *b = path ? path : "";
    for (const char *p = b; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

static const cJSON *object_named(const cJSON *snap, const char *type)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(snap, "objects"))
        if (pu_json_str(o, "type") && strcmp(pu_json_str(o, "type"), type) == 0)
            return o;
    return NULL;
}

/* The census against a run's truth: every type exactly, nothing else on the heap. */
static void check_truth(const cJSON *truth, const cJSON *snap, const char *who)
{
    const cJSON *t;
    size_t expected = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(truth, "types"))
    {
        const char *name = pu_json_str(t, "name");
        const cJSON *o = object_named(snap, name);
        uint64_t heap = u64(t, "heap"), bytes = u64(t, "bytes");
        if (heap == 0) {
            if (o && u64(o, "count"))
                fail_msg("%s: %s: the sample holds none, the census found %" PRIu64, who, name, u64(o, "count"));
            continue;
        }
        expected++;
        if (!o)
            fail_msg("%s: %s not found (the sample holds %" PRIu64 ")", who, name, heap);
        if (u64(o, "count") != heap || u64(o, "bytes") != bytes)
            fail_msg("%s: %s: census %" PRIu64 " objects / %" PRIu64 " bytes, the sample %" PRIu64 " / %" PRIu64, who,
                     name, u64(o, "count"), u64(o, "bytes"), heap, bytes);
        bool est = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "estimated"));
        assert_int_equal(u64(o, "bytes_estimated"), est ? bytes : 0);
        if (strcasecmp(base_name(pu_json_str(o, "module")), pu_json_str(t, "module")) != 0)
            fail_msg("%s: %s: module %s, want %s", who, name, pu_json_str(o, "module"), pu_json_str(t, "module"));
        assert_string_equal(pu_json_str(o, "abi"), "itanium");
    }
    size_t with_heap = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(snap, "objects")) with_heap += u64(o, "count") > 0;
    if (with_heap != expected)
        fail_msg("%s: %zu types with heap objects, the sample holds %zu", who, with_heap, expected);
}

/* vmmap.exe objects PID [--all] -o Z:\...\name: loaded into f->snap. */
static void census_live(fixture *f, bool all, const char *name)
{
    char pid[32], out[128], winout[160];
    snprintf(pid, sizeof pid, "%" PRId64, (int64_t)cJSON_GetObjectItemCaseSensitive(f->live.truth, "pid")->valuedouble);
    snprintf(out, sizeof out, "%s/%s", f->dir, name);
    wine_path(out, winout, sizeof winout);
    if (all)
        run(f, f->wine64, f->vmmap_exe, "objects", pid, "--all", "-q", "-o", winout, (char *)NULL);
    else
        run(f, f->wine64, f->vmmap_exe, "objects", pid, "-q", "-o", winout, (char *)NULL);
    cJSON_Delete(f->snap);
    f->snap = pu_json_load(out);
    if (!f->snap)
        fail_msg("%s: %s", out, pu_last_error());
    unlink(out);
}

static void test_live(void **state)
{
    fixture *f = *state;
    census_live(f, false, "live.json");
    check_truth(f->live.truth, f->snap, "vmmap.exe, live");
    assert_string_equal(pu_json_str(f->snap, "source"), "live-windows");
}

static void test_live_all(void **state)
{
    fixture *f = *state;
    census_live(f, true, "all.json");
    check_truth(f->live.truth, f->snap, "vmmap.exe --all, live");
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(object_named(f->snap, "Circle"), "outside");
    assert_int_equal(u64(out, "image_data"), 1);
    /* Windows captures record no stack pointer: stacks are scanned whole, dead frames too, so the
     * live instance is at least there. */
    assert_true(u64(out, "stack") >= 1);
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(f->snap, "objects"))
    {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "outside");
        if (u64(w, "private_data") || (strcmp(pu_json_str(o, "type"), "Circle") != 0 && u64(w, "image_data")))
            fail_msg("%s outside the heap: %s", pu_json_str(o, "type"), cJSON_PrintUnformatted(w));
        if (strcmp(pu_json_str(o, "type"), "Circle") != 0 && u64(w, "stack"))
            print_message("  note: %s: %" PRIu64 " stale copies in stack frames (scanned whole on Windows)\n",
                          pu_json_str(o, "type"), u64(w, "stack"));
    }
}

/* A second run writes a full-memory minidump of itself; both builds take the census of it. */
static void test_dump(void **state)
{
    fixture *f = *state;
    snprintf(f->dump_path, sizeof f->dump_path, "%s/census-dump-%d.dmp", f->win_build_abs, (int)getpid());
    char windump[PATH_MAX + 8];
    wine_path(f->dump_path, windump, sizeof windump);
    pu_child c = {.stdin_fd = -1, .stdout_fd = -1};
    char *argv[] = {f->wine64, f->census_exe, "--dump", windump, NULL};
    if (pu_sample_start(&c, argv, START_MS) != 0)
        fail_msg("census.exe --dump: %s", pu_last_error());
    cJSON *truth = c.truth;
    c.truth = NULL;
    int rc = pu_child_read_line(&c, RUN_MS);
    char said[256];
    snprintf(said, sizeof said, "%s", rc ? pu_last_error() : c.first_line ? c.first_line : "");
    cJSON *line = rc == 0 ? cJSON_Parse(c.first_line) : NULL;
    pu_child_stop(&c, STOP_MS);
    if (!line || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(line, "ok"))) {
        cJSON_Delete(truth);
        cJSON_Delete(line);
        fail_msg("the dump was not written: %s", said);
    }
    cJSON_Delete(line);
    char out[128], winout[160];
    snprintf(out, sizeof out, "%s/dump.json", f->dir);
    run(f, f->vmmap_linux, "objects", f->dump_path, "-q", "-o", out, (char *)NULL);
    cJSON *by_linux = pu_json_load(out);
    assert_non_null(by_linux);
    assert_string_equal(pu_json_str(by_linux, "source"), "minidump");
    check_truth(truth, by_linux, "build/vmmap on the dump");
    wine_path(out, winout, sizeof winout);
    run(f, f->wine64, f->vmmap_exe, "objects", windump, "-q", "-o", winout, (char *)NULL);
    cJSON *by_exe = pu_json_load(out);
    assert_non_null(by_exe);
    check_truth(truth, by_exe, "vmmap.exe on the dump");
    /* the same census as live: the same numbers per type (the live run is another process) */
    census_live(f, false, "live2.json");
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(by_linux, "objects"))
    {
        const cJSON *l = object_named(f->snap, pu_json_str(o, "type"));
        if (!l || u64(l, "count") != u64(o, "count") || u64(l, "bytes") != u64(o, "bytes"))
            fail_msg("%s: dump %" PRIu64 "/%" PRIu64 ", live %" PRIu64 "/%" PRIu64, pu_json_str(o, "type"), u64(o, "count"),
                     u64(o, "bytes"), l ? u64(l, "count") : 0, l ? u64(l, "bytes") : 0);
    }
    cJSON_Delete(by_linux);
    cJSON_Delete(by_exe);
    cJSON_Delete(truth);
    unlink(out);
    unlink(f->dump_path);
    f->dump_path[0] = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live),
        cmocka_unit_test(test_live_all),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
