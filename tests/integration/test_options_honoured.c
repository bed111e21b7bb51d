/* Every capture option is honoured by every target or refused with the reason (docs/cli.md, the
 * rule of issue 13): a snapshot file reads nothing of its target any more, so --no-heaps,
 * --no-sections, --image-path, --heap-blocks and --objects are usage errors (exit 2) there; a
 * live process reads its module files where its mappings say, so --image-path is one there.
 * Where an option is honoured but the target holds less than it needs (a dump without the heap's
 * memory, a core whose heap cannot be found), it runs and says on stderr what it could not do. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/proc_util.h"

static char tmpdir[256];
static char snap[512];  /* of vmmap itself */
static char heaps[512]; /* of the bundled sample, taken without --heap-blocks: its heaps not walked */

static int setup(void **state)
{
    (void)state;
    if (pu_tempdir(tmpdir, sizeof tmpdir) != 0)
        return -1;
    snprintf(snap, sizeof snap, "%s/self.json", tmpdir);
    snprintf(heaps, sizeof heaps, "%s/sample.json", tmpdir);
    return pu_snapshot_self(snap) == 0 && pu_snapshot_sample(heaps, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return pu_tempdir_remove_tree(tmpdir); /* with the directory report's test made */
}

#define vmmap pu_vmmap_result /* build/vmmap with the arguments (NULL-terminated) */

static void expect_refused(pu_run_result *r, const char *error_start, const char *what)
{
    if (r->exit_code != 2 || strncmp(r->err, "vmmap: error: ", 14) != 0 ||
        strncmp(r->err + 14, error_start, strlen(error_start)) != 0 || !strstr(r->err, "\nvmmap: hint: "))
        fail_msg("%s: expected exit 2 and \"vmmap: error: %s...\" with a hint, got exit %d:\n%s%s", what, error_start,
                 r->exit_code, r->out, r->err);
    pu_run_result_free(r);
}

/* ---- refused: nothing of the target is read from a snapshot ------------------------------ */

static void test_snapshot_file_refuses_capture_options(void **state)
{
    (void)state;
    char prefix[600], out[600];
    snprintf(out, sizeof out, "%s/never.json", tmpdir);
    const char *const options[][2] = {{"--no-heaps", NULL}, {"--no-sections", NULL}, {"--image-path", "/tmp"}};
    const char *const commands[] = {"summary", "show", "heaps", "objects", "report"};
    for (size_t o = 0; o < sizeof options / sizeof options[0]; o++) {
        snprintf(prefix, sizeof prefix, "%s: %s is a snapshot", options[o][0], snap);
        for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
            if (strcmp(options[o][0], "--no-heaps") == 0 && (c == 2 || c == 3))
                continue; /* heaps and objects refuse --no-heaps whatever the target (their own test) */
            pu_run_result r = vmmap(commands[c], snap, options[o][0], options[o][1], NULL);
            char what[128];
            snprintf(what, sizeof what, "%s SNAPSHOT %s", commands[c], options[o][0]);
            expect_refused(&r, prefix, what);
        }
        pu_run_result r = vmmap("snapshot", snap, options[o][0], options[o][1] ? options[o][1] : "-q", "-o", out, NULL);
        expect_refused(&r, prefix, options[o][0]);
        assert_false(pu_file_exists(out)); /* refused before anything is written */
    }
    /* The steps that read target memory: the hint says how to get them. */
    const char *const steps[] = {"--heap-blocks", "--objects"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(prefix, sizeof prefix, "%s: %s is a snapshot, with no target memory", steps[i], snap);
        pu_run_result r = vmmap("snapshot", snap, steps[i], "-o", out, NULL);
        assert_non_null(strstr(r.err, "vmmap snapshot PID|DUMP "));
        expect_refused(&r, prefix, steps[i]);
        assert_false(pu_file_exists(out));
    }
}

/* A snapshot read from a pipe is a snapshot too. */
static void test_snapshot_stream_refuses_capture_options(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s/vmmap show /dev/stdin --no-sections < '%s'", pu_build_dir(), snap);
    pu_run_result r;
    assert_int_equal(pu_run_shell(cmd, &r), 0);
    expect_refused(&r, "--no-sections: /dev/stdin is a snapshot", "show /dev/stdin --no-sections");
}

/* `heaps` and `objects` of a snapshot file show what it saved: their own walk is not the user's
 * option, and is not refused; heaps says when the snapshot was taken without the walk. */
static void test_commands_of_saved_walks_still_read_snapshots(void **state)
{
    (void)state;
    pu_run_result r = vmmap("heaps", heaps, NULL);
    assert_int_equal(r.exit_code, 0);
    if (!strstr(r.err, "no heap was walked when this snapshot was taken; `vmmap snapshot TARGET --heap-blocks`"))
        fail_msg("heaps of a snapshot without the walk does not say how to save one:\n%s", r.err);
    pu_run_result_free(&r);
    r = vmmap("objects", snap, NULL);
    assert_int_equal(r.exit_code, 5); /* no census in it: said as before */
    assert_non_null(strstr(r.err, "the snapshot has no object census"));
    pu_run_result_free(&r);
}

/* A timeline is made of snapshots: report refuses the capture options for it too. */
static void test_timeline_refuses_capture_options(void **state)
{
    (void)state;
    char dir[600], out[600], cmd[2000];
    snprintf(dir, sizeof dir, "%s/series", tmpdir);
    snprintf(out, sizeof out, "%s/timeline.xlsx", tmpdir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s/a.json'", dir, snap, dir);
    assert_int_equal(system(cmd), 0);
    pu_run_result r = vmmap("report", dir, "--no-sections", "-o", out, NULL);
    char prefix[700];
    snprintf(prefix, sizeof prefix, "--no-sections: a timeline is made of snapshots (%s)", dir);
    expect_refused(&r, prefix, "report DIR --no-sections");
    assert_false(pu_file_exists(out));
}

/* ---- refused: a live process has no use for --image-path --------------------------------- */

static void test_live_process_refuses_image_path(void **state)
{
    (void)state;
    const char *live = "--image-path: vmmap itself (--self) is a live process: its module files are read where its "
                       "mappings name them";
    pu_run_result r = vmmap("--self", "--image-path", "/tmp", NULL);
    expect_refused(&r, live, "--self --image-path");
    r = vmmap("snapshot", "--self", "--image-path", "/tmp", "-o", "-", NULL);
    assert_int_equal(r.out_len, 0);
    expect_refused(&r, live, "snapshot --self --image-path");
    /* watch refuses before it makes its output directory */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/watched", tmpdir);
    r = vmmap("watch", "--self", "-n", "1", "--image-path", "/tmp", "-o", dir, NULL);
    expect_refused(&r, live, "watch --self --image-path");
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0);
}

/* ---- diff: an option for a side that can honour it ----------------------------------------- */

static void test_diff_gives_options_to_the_side_that_honours_them(void **state)
{
    (void)state;
    pu_run_result r = vmmap("diff", snap, "--self", "--no-heaps", NULL); /* the live side honours it */
    if (r.exit_code != 0)
        fail_msg("diff SNAPSHOT --self --no-heaps: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "--no-heaps: %s is a snapshot", snap);
    r = vmmap("diff", snap, snap, "--no-heaps", NULL); /* neither side can */
    expect_refused(&r, prefix, "diff SNAPSHOT SNAPSHOT --no-heaps");
    snprintf(prefix, sizeof prefix, "--image-path: %s is a snapshot", snap);
    r = vmmap("diff", snap, "--self", "--image-path", "/tmp", NULL); /* nor here */
    expect_refused(&r, prefix, "diff SNAPSHOT --self --image-path");
}

/* ---- honoured as far as the target goes, and said ------------------------------------------ */

/* A dump without the heap's memory: the snapshot is written, and stderr says which heap could not
 * be walked and why (not only the snapshot's warnings). */
static void test_dump_without_heap_memory_says_so(void **state)
{
    (void)state;
    const char *dump = pu_testdata("minidumps/node-minidump__windows.dmp");
    if (!dump)
        skip();
    char out[600];
    snprintf(out, sizeof out, "%s/dump.json", tmpdir);
    pu_run_result r = vmmap("snapshot", dump, "--heap-blocks", "--objects", "-o", out, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_true(pu_file_exists(out));
    if (!strstr(r.err, "vmmap: warning: --heap-blocks: 1 of 1 heap not walked (heap 0: the dump holds no memory of "
                       "this heap)") ||
        !strstr(r.err, "vmmap: warning: objects: heap 0 (not captured) not counted"))
        fail_msg("snapshot DUMP --heap-blocks --objects does not say what it could not read:\n%s", r.err);
    pu_run_result_free(&r);
    r = vmmap("snapshot", dump, "--heap-blocks", "-q", "-o", out, NULL); /* -q: nothing on stderr */
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err_len, 0);
    pu_run_result_free(&r);
}

/* A core whose main arena cannot be found, and one with no heap at all. */
static void test_core_without_walkable_heap_says_so(void **state)
{
    (void)state;
    const char *core = pu_testdata("cores/llvm-mirror-lldb__elf-core_thread_crash_linux-x86_64.core");
    if (!core)
        skip();
    pu_run_result r = vmmap("snapshot", core, "--heap-blocks", "-o", "-", NULL);
    assert_int_equal(r.exit_code, 0);
    if (!strstr(r.err, "vmmap: warning: --heap-blocks: 1 of 1 heap not walked (heap 0: the arena's address is "
                       "unknown)"))
        fail_msg("snapshot CORE --heap-blocks does not say why the heap was not walked:\n%s", r.err);
    pu_run_result_free(&r);
    const char *bare = pu_testdata("cores/angr-binaries__true-libc.so.6-ld-linux-x86-64.so.2.core");
    if (!bare)
        skip();
    r = vmmap("snapshot", bare, "--heap-blocks", "-o", "-", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "vmmap: warning: --heap-blocks: the target has no heap to walk"));
    pu_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_file_refuses_capture_options),
        cmocka_unit_test(test_snapshot_stream_refuses_capture_options),
        cmocka_unit_test(test_commands_of_saved_walks_still_read_snapshots),
        cmocka_unit_test(test_timeline_refuses_capture_options),
        cmocka_unit_test(test_live_process_refuses_image_path),
        cmocka_unit_test(test_diff_gives_options_to_the_side_that_honours_them),
        cmocka_unit_test(test_dump_without_heap_memory_says_so),
        cmocka_unit_test(test_core_without_walkable_heap_says_so),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
