/* Wine integration test: the Windows build maps a Linux process's files exactly as the Linux
 * build does (issue 13).  Every real ELF core (the ruby one gzip-compressed) and both Linux
 * Breakpad minidumps in ../shared/testdata, and packed copies made here (xz and bzip2 of a core
 * and of the dumps), are mapped by `build/vmmap snapshot FILE -o A.json` and by
 * `wine64 build-win/vmmap.exe snapshot FILE -o B.json`; the two snapshots must be the same JSON
 * but for the fields that describe the machine reading the file (HOST_FIELDS below: none in an
 * offline snapshot today, whose "host" is the dumped system's, read from the file).  Then
 * `vmmap info` prints the same text on both, a damaged core or dump is refused by both with
 * the same exit code and message, and the object census of a gcore of the C++ sample (module
 * files read for what the core left out, also through --image-path) is the same.
 *
 * The inputs are given as the same relative path to both builds (Wine maps the current folder,
 * so ../shared/testdata/... reads the same file); the snapshots go to a private temporary folder.
 * Environment: as test_wine_sample (mk/wine.mk sets VMMAP_BUILD, VMMAP_WIN_BUILD, WINE64,
 * WINESERVER, WINEPREFIX, WINEDEBUG).  The setup starts one wineserver for the prefix and the
 * teardown ends it (wine_session.h: with a server per run, a run could find the last one still
 * going and Wine give up, exit 1).  Without ../shared/testdata the tests are skipped with a
 * message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/wine_session.h"

#define DATA "../shared/testdata"
#define RUN_MS 180000

/* Fields of an offline snapshot that may differ with the machine that reads the file.  The
 * header's "host" describes the system the core or dump came from (read from the file, the same
 * on every reader) and taken_at is the file's own time, so nothing is left out today; a field
 * naming the reading machine would be listed here ("host.name" style paths). */
static const char *const HOST_FIELDS[] = {NULL};

typedef struct fixture {
    char *wine64, *wineserver, *vmmap_exe, *vmmap_linux;
    char prefix[PATH_MAX];
    long server_pid;  /* the prefix's wineserver after the setup (wine_session.h) */
    char dir[64];     /* private temporary folder: snapshots, packed copies */
    bool have_data;
} fixture;

static fixture fx;

/* ---- comparing two snapshots ---- */

static bool excluded(const char *path)
{
    for (size_t i = 0; HOST_FIELDS[i]; i++)
        if (strcmp(path, HOST_FIELDS[i]) == 0)
            return true;
    return false;
}

typedef struct diffs {
    size_t n;
    char text[2048]; /* the first few, one a line */
} diffs;

static void add_diff(diffs *d, const char *path, const char *what)
{
    if (d->n++ < 8) {
        size_t used = strlen(d->text);
        snprintf(d->text + used, sizeof d->text - used, "  %s: %s\n", path[0] ? path : "(top)", what);
    }
}

static void compare(const cJSON *a, const cJSON *b, const char *path, diffs *d)
{
    if (excluded(path))
        return;
    if ((a->type & 0xff) != (b->type & 0xff)) {
        add_diff(d, path, "different JSON types");
        return;
    }
    char sub[512];
    if (cJSON_IsObject(a)) {
        for (const cJSON *x = a->child; x; x = x->next) {
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", x->string);
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y && !excluded(sub))
                add_diff(d, sub, "only in build/vmmap's");
            else if (y)
                compare(x, y, sub, d);
        }
        for (const cJSON *y = b->child; y; y = y->next) {
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", y->string);
            if (!cJSON_GetObjectItemCaseSensitive(a, y->string) && !excluded(sub))
                add_diff(d, sub, "only in vmmap.exe's");
        }
        return;
    }
    if (cJSON_IsArray(a)) {
        int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
        if (na != nb) {
            snprintf(sub, sizeof sub, "%d elements against %d", na, nb);
            add_diff(d, path, sub);
        }
        const cJSON *x = a->child, *y = b->child;
        for (int i = 0; x && y; i++, x = x->next, y = y->next) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            compare(x, y, sub, d);
        }
        return;
    }
    if (!cJSON_Compare(a, b, true)) {
        char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
        snprintf(sub, sizeof sub, "%.200s against %.200s", ta ? ta : "?", tb ? tb : "?");
        add_diff(d, path, sub);
        free(ta);
        free(tb);
    }
}

/* ---- running the two builds ---- */

/* "/a/b" -> "Z:\a\b" (Wine maps / to Z:). */
static void wine_path(const char *unix_path, char *out, size_t len)
{
    snprintf(out, len, "Z:%s", unix_path);
    for (char *p = out; *p; p++)
        if (*p == '/')
            *p = '\\';
}

/* Runs vmmap with args (NULL-terminated, at most 8) on Linux, or under Wine as vmmap.exe. */
static void run_vmmap(bool windows, const char *const *args, pu_run_result *r)
{
    char *argv[12];
    size_t n = 0;
    if (windows) {
        argv[n++] = fx.wine64;
        argv[n++] = fx.vmmap_exe;
    } else {
        argv[n++] = fx.vmmap_linux;
    }
    for (size_t i = 0; args[i] && n < 11; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    memset(r, 0, sizeof *r);
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, r);
    if (rc != 0)
        fail_msg("cannot run %s: %s", argv[0], pu_last_error());
}

/* Text output as written on Windows (CRLF) made comparable with Linux's. */
static void strip_cr(char *s)
{
    char *w = s;
    for (const char *p = s; *p; p++)
        if (!(*p == '\r' && p[1] == '\n'))
            *w++ = *p;
    *w = '\0';
}

/* Both builds' snapshot of input (a path both can open); fails the test unless both wrote one.
 * tag names the outputs.  Returns the two loaded snapshots. */
static void snapshot_both(const char *input, const char *tag, cJSON **lin, cJSON **win)
{
    char lin_path[PATH_MAX], win_unix[PATH_MAX], win_arg[PATH_MAX + 8];
    snprintf(lin_path, sizeof lin_path, "%s/%s.linux.json", fx.dir, tag);
    snprintf(win_unix, sizeof win_unix, "%s/%s.windows.json", fx.dir, tag);
    wine_path(win_unix, win_arg, sizeof win_arg);
    pu_run_result r;
    run_vmmap(false, (const char *const[]){"snapshot", input, "-q", "-o", lin_path, NULL}, &r);
    if (r.exit_code != 0)
        fail_msg("build/vmmap snapshot %s: exit %d\n%s", input, r.exit_code, r.err ? r.err : "");
    pu_run_result_free(&r);
    run_vmmap(true, (const char *const[]){"snapshot", input, "-q", "-o", win_arg, NULL}, &r);
    if (r.exit_code != 0)
        fail_msg("vmmap.exe snapshot %s: exit %d%s; its stderr:\n%s", input, r.exit_code,
                 r.err && strncmp(r.err, "wine: ", 6) == 0 ? " (Wine did not start it)" : "", r.err ? r.err : "");
    pu_run_result_free(&r);
    *lin = pu_json_load(lin_path);
    *win = pu_json_load(win_unix);
    if (!*lin || !*win)
        fail_msg("%s: a snapshot did not load: %s", input, pu_last_error());
}

/* The same snapshot from both; for a whole file (not one cut short here) also what shows that
 * vmmap.exe read it as a Linux process: a pid, threads, no Unusable. */
static void expect_same_snapshot(const char *input, const char *tag, const char *source, bool whole)
{
    cJSON *lin, *win;
    snapshot_both(input, tag, &lin, &win);
    diffs d = {0};
    compare(lin, win, "", &d);
    if (d.n)
        fail_msg("%s: vmmap.exe's snapshot differs from build/vmmap's in %zu places:\n%s", input, d.n, d.text);
    assert_string_equal(pu_json_str(win, "source"), source);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(win, "regions")) > 0);
    if (!whole) {
        cJSON_Delete(lin);
        cJSON_Delete(win);
        return;
    }
    /* Not two empty snapshots: the Windows one read the file as a Linux process. */
    const char *os = pu_json_str(win, "os");
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(win, "host");
    if (!os && host)
        os = pu_json_str(host, "os");
    uint64_t pid = 0;
    const cJSON *proc = cJSON_GetObjectItemCaseSensitive(win, "process");
    assert_non_null(os);
    assert_true(strncmp(os, "Linux", 5) == 0);
    assert_int_equal(pu_json_u64(proc, "pid", &pid), 0);
    assert_true(pid > 0);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(win, "threads")) > 0);
    /* Windows' 64 KiB rule must not have invented Unusable blocks. */
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(win, "summary")) {
        const char *type = pu_json_str(row, "type");
        uint64_t size = 0;
        if (type && strcmp(type, "Unusable") == 0 && pu_json_u64(row, "size", &size) == 0)
            assert_int_equal(size, 0);
    }
    cJSON_Delete(lin);
    cJSON_Delete(win);
}

/* ---- the tests ---- */

#define NEED_DATA()                                                                                  \
    do {                                                                                            \
        if (!fx.have_data) {                                                                        \
            print_message("%s absent: the offline Wine tests are skipped\n", DATA);                \
            skip();                                                                                 \
        }                                                                                           \
    } while (0)

static const char *const CORES[] = {
    DATA "/cores/angr-binaries__true-libc.so.6-ld-linux-x86-64.so.2.core",
    DATA "/cores/llvm-mirror-lldb__elf-core_thread_crash_linux-x86_64.core",
    DATA "/cores/rbspy-testdata__ruby-coredump-2.5.0.gz", /* gzip: decompressed into a temporary */
};
static const char *const LINUX_DUMPS[] = {
    DATA "/minidumps/node-minidump__linux.dmp",
    DATA "/minidumps/rust-minidump__linux-mini.dmp",
};

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

/* Every Wine run of these tests talks to one wineserver, there before the first and still the
 * same after the last (the last test checks): with a server per run (Debian's -p0), a run that
 * came while the previous run's server was going away waited for it, and failed with exit 1
 * when that took Wine's 5.5 s of retries ("wine: a wine server seems to be running, but I
 * cannot connect to it"), as test_real_cores did once on the lldb core (wine_session.h). */
static void expect_the_one_server(const char *when)
{
    long now = pu_wine_server_pid(fx.prefix);
    if (fx.server_pid == 0 || now != fx.server_pid)
        fail_msg("%s: the prefix's wineserver is pid %ld, after the setup it was %ld (0: none): every run should "
                 "find the one the setup started", when, now, fx.server_pid);
}

static void test_real_cores(void **state)
{
    (void)state;
    expect_the_one_server("before the first run");
    NEED_DATA();
    for (size_t i = 0; i < sizeof CORES / sizeof *CORES; i++)
        expect_same_snapshot(CORES[i], base_name(CORES[i]), "core", true);
}

static void test_linux_minidumps(void **state)
{
    (void)state;
    NEED_DATA();
    for (size_t i = 0; i < sizeof LINUX_DUMPS / sizeof *LINUX_DUMPS; i++)
        expect_same_snapshot(LINUX_DUMPS[i], base_name(LINUX_DUMPS[i]), "minidump", true);
}

/* xz and bzip2 copies (made here with the xz and bzip2 programs): read through liblzma and
 * libbz2, which the Windows build links from Debian's sources. */
static void test_packed_copies(void **state)
{
    (void)state;
    NEED_DATA();
    const struct { const char *file, *tool, *ext, *source; } packed[] = {
        {CORES[1], "xz", "xz", "core"},
        {CORES[1], "bzip2", "bz2", "core"},
        {LINUX_DUMPS[1], "xz", "xz", "minidump"},
        {LINUX_DUMPS[0], "bzip2", "bz2", "minidump"},
    };
    for (size_t i = 0; i < sizeof packed / sizeof *packed; i++) {
        char copy[PATH_MAX], cmd[3 * PATH_MAX], tag[256];
        snprintf(copy, sizeof copy, "%s/%s.%s", fx.dir, base_name(packed[i].file), packed[i].ext);
        snprintf(cmd, sizeof cmd, "%s -c '%s' > '%s'", packed[i].tool, packed[i].file, copy);
        pu_run_result r = {0};
        if (pu_run_shell(cmd, &r) != 0 || r.exit_code != 0)
            fail_msg("%s failed (scripts/deps.sh installs xz-utils and bzip2): %s", cmd, r.err ? r.err : "");
        pu_run_result_free(&r);
        snprintf(tag, sizeof tag, "packed-%.200s", base_name(copy));
        expect_same_snapshot(copy, tag, packed[i].source, true);
        /* and the same as the plain file's */
        cJSON *plain_lin, *plain_win, *packed_win, *packed_lin;
        snprintf(tag, sizeof tag, "plain-%zu", i);
        snapshot_both(packed[i].file, tag, &plain_lin, &plain_win);
        snprintf(tag, sizeof tag, "packed2-%zu", i);
        snapshot_both(copy, tag, &packed_lin, &packed_win);
        diffs d = {0};
        /* taken_at is the file's time (a core) or the dump's own: the copy is newer than the file */
        cJSON_DeleteItemFromObjectCaseSensitive(plain_win, "taken_at");
        cJSON_DeleteItemFromObjectCaseSensitive(packed_win, "taken_at");
        compare(plain_win, packed_win, "", &d);
        if (d.n)
            fail_msg("%s: vmmap.exe maps it unlike the plain file in %zu places:\n%s", copy, d.n, d.text);
        cJSON_Delete(plain_lin);
        cJSON_Delete(plain_win);
        cJSON_Delete(packed_lin);
        cJSON_Delete(packed_win);
    }
}

/* Where a and b part: "the same", or the first line that differs on each side (cut short), so
 * that a failure says it within cmocka's message length. */
static void first_difference(const char *a, const char *b, char *out, size_t len)
{
    int line = 1;
    const char *la = a, *lb = b;
    for (; *a && *a == *b; a++, b++)
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
    if (!*a && !*b) {
        snprintf(out, len, "the same");
        return;
    }
    size_t na = strcspn(la, "\n"), nb = strcspn(lb, "\n");
    snprintf(out, len, "line %d: build/vmmap \"%.*s\", vmmap.exe \"%.*s\"", line, (int)(na < 200 ? na : 200), la,
             (int)(nb < 200 ? nb : 200), lb);
}

static void expect_same_output(const char *const *args, const char *what)
{
    pu_run_result lin, win;
    run_vmmap(false, args, &lin);
    run_vmmap(true, args, &win);
    strip_cr(win.out);
    strip_cr(win.err);
    if (lin.exit_code != win.exit_code)
        fail_msg("%s: exit %d on Linux, %d on Windows\n%s\n%s", what, lin.exit_code, win.exit_code, lin.err, win.err);
    if (strcmp(lin.out, win.out) != 0 || strcmp(lin.err, win.err) != 0) {
        char out_diff[512], err_diff[512];
        print_message("--- build/vmmap:\n%s%s--- vmmap.exe:\n%s%s", lin.out, lin.err, win.out, win.err);
        first_difference(lin.out, win.out, out_diff, sizeof out_diff);
        first_difference(lin.err, win.err, err_diff, sizeof err_diff);
        fail_msg("%s: the output differs (whole above)\n  stdout: %s\n  stderr: %s", what, out_diff, err_diff);
    }
    assert_true(lin.out_len > 0 || lin.err_len > 0);
    pu_run_result_free(&lin);
    pu_run_result_free(&win);
}

static void test_info(void **state)
{
    (void)state;
    NEED_DATA();
    for (size_t i = 0; i < sizeof CORES / sizeof *CORES; i++)
        expect_same_output((const char *const[]){"info", CORES[i], NULL}, CORES[i]);
    for (size_t i = 0; i < sizeof LINUX_DUMPS / sizeof *LINUX_DUMPS; i++)
        expect_same_output((const char *const[]){"info", LINUX_DUMPS[i], NULL}, LINUX_DUMPS[i]);
    /* the summary table too */
    expect_same_output((const char *const[]){CORES[2], NULL}, "vmmap CORE.gz");
}

/* The first n bytes of src copied to dst. */
static void truncated_copy(const char *src, const char *dst, size_t n)
{
    size_t len = 0;
    char *all = pu_read_file(src, &len);
    assert_non_null(all);
    FILE *f = fopen(dst, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(all, 1, n < len ? n : len, f), n < len ? n : len);
    fclose(f);
    free(all);
}

/* Both builds refuse path with exit code 5 and the same message.  The messages name the file as
 * it was given: /tmp/... to Linux, Z:\tmp\... to Wine (the same file); what follows the name
 * must be the same. */
static void expect_same_refusal(const char *path)
{
    char win_arg[PATH_MAX + 8];
    wine_path(path, win_arg, sizeof win_arg);
    pu_run_result lin, win;
    run_vmmap(false, (const char *const[]){"snapshot", path, "-o", "-", NULL}, &lin);
    run_vmmap(true, (const char *const[]){"snapshot", win_arg, "-o", "-", NULL}, &win);
    strip_cr(win.err);
    if (lin.exit_code != 5 || win.exit_code != 5)
        fail_msg("%s: exit %d from build/vmmap, %d from vmmap.exe (5 expected)\n%s%s", path, lin.exit_code,
                 win.exit_code, lin.err, win.err);
    const char *lm = strstr(lin.err, path), *wm = strstr(win.err, win_arg);
    assert_non_null(lm);
    assert_non_null(wm);
    if (strcmp(lm + strlen(path), wm + strlen(win_arg)) != 0)
        fail_msg("damaged %s: different messages\n--- build/vmmap:\n%s--- vmmap.exe:\n%s", path, lin.err, win.err);
    pu_run_result_free(&lin);
    pu_run_result_free(&win);
}

/* Cut short: within the headers both refuse the file; further in both map what is there, the
 * same way (the parsers' bounds checks are the same code on both). */
static void test_damaged(void **state)
{
    (void)state;
    NEED_DATA();
    const struct { const char *file; size_t keep; bool refused; const char *source; } cuts[] = {
        {CORES[0], 500, true, "core"},        /* the program headers end beyond the file */
        {CORES[0], 100000, false, "core"},    /* most segments' bytes missing */
        {LINUX_DUMPS[0], 100, true, "minidump"}, /* the stream directory ends beyond the file */
        {LINUX_DUMPS[0], 40000, false, "minidump"},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        char path[PATH_MAX], tag[64];
        snprintf(path, sizeof path, "%s/cut%zu-%s", fx.dir, cuts[i].keep, cuts[i].source);
        truncated_copy(cuts[i].file, path, cuts[i].keep);
        snprintf(tag, sizeof tag, "cut-%zu", i);
        if (cuts[i].refused)
            expect_same_refusal(path);
        else
            expect_same_snapshot(path, tag, cuts[i].source, false);
    }
}

/* The object census over a core (it reads the module files for the read-only data a core leaves
 * out, each only when its build-id matches): the C++ sample's core, by gdb's gcore, counted the
 * same by both builds, also when the plugin library is found only through --image-path (a list
 * whose first folder does not exist: ':' between folders on Linux, ';' on Windows). */
static void test_census_of_a_core(void **state)
{
    (void)state;
    char *sample = pu_build_path("samples/census");
    char *plugin = pu_build_path("samples/libcensus_plugin.so");
    assert_non_null(sample);
    assert_non_null(plugin);
    pu_run_result r = {0};
    if (pu_run_shell("command -v gcore >/dev/null", &r) != 0 || r.exit_code != 0) {
        pu_run_result_free(&r);
        print_message("skipped: gcore (Debian's gdb package) is not installed\n");
        skip();
    }
    pu_run_result_free(&r);
    pu_child child = {.stdin_fd = -1, .stdout_fd = -1};
    char *argv[] = {sample, NULL};
    if (pu_sample_start(&child, argv, 60000) != 0)
        fail_msg("cannot start %s: %s", sample, pu_last_error());
    char core[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "gcore -o %s/census %d >/dev/null 2>&1", fx.dir, (int)child.pid);
    bool cored = system(cmd) == 0;
    snprintf(core, sizeof core, "%s/census.%d", fx.dir, (int)child.pid);
    pu_child_stop(&child, 5000);
    if (!cored) {
        print_message("skipped: gcore could not attach to the sample (ptrace not allowed here?)\n");
        skip();
    }
    char win_core[PATH_MAX + 8];
    wine_path(core, win_core, sizeof win_core);
    pu_run_result lin, win;
    run_vmmap(false, (const char *const[]){"objects", core, NULL}, &lin);
    run_vmmap(true, (const char *const[]){"objects", win_core, NULL}, &win);
    strip_cr(win.out);
    if (lin.exit_code != 0 || win.exit_code != 0 || strcmp(lin.out, win.out) != 0)
        fail_msg("vmmap objects CORE: exit %d / %d\n--- build/vmmap:\n%s%s--- vmmap.exe:\n%s%s", lin.exit_code,
                 win.exit_code, lin.out, lin.err, win.out, win.err);
    assert_non_null(strstr(lin.out, "plugin::Plugin"));
    pu_run_result_free(&lin);
    pu_run_result_free(&win);

    /* The plugin moved away: found again only in the second folder of --image-path. */
    char moved_dir[PATH_MAX], moved[PATH_MAX + 32], lin_list[3 * PATH_MAX], win_list[3 * PATH_MAX];
    snprintf(moved_dir, sizeof moved_dir, "%s/modules", fx.dir);
    snprintf(moved, sizeof moved, "%s/libcensus_plugin.so", moved_dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && mv '%s' '%s'", moved_dir, plugin, moved);
    assert_int_equal(system(cmd), 0);
    char win_dir[PATH_MAX + 8];
    wine_path(moved_dir, win_dir, sizeof win_dir);
    snprintf(lin_list, sizeof lin_list, "%s/none:%s", fx.dir, moved_dir);
    snprintf(win_list, sizeof win_list, "Z:\\no\\such\\folder;%s", win_dir);
    run_vmmap(false, (const char *const[]){"objects", core, "--image-path", lin_list, NULL}, &lin);
    run_vmmap(true, (const char *const[]){"objects", win_core, "--image-path", win_list, NULL}, &win);
    snprintf(cmd, sizeof cmd, "mv '%s' '%s'", moved, plugin); /* put it back before any assertion */
    int back = system(cmd);
    strip_cr(win.out);
    assert_int_equal(back, 0);
    if (lin.exit_code != 0 || win.exit_code != 0 || strcmp(lin.out, win.out) != 0)
        fail_msg("vmmap objects CORE --image-path: exit %d / %d\n--- build/vmmap:\n%s%s--- vmmap.exe:\n%s%s",
                 lin.exit_code, win.exit_code, lin.out, lin.err, win.out, win.err);
    assert_non_null(strstr(win.out, "plugin::Plugin"));
    pu_run_result_free(&lin);
    pu_run_result_free(&win);
    unlink(core);
    free(sample);
    free(plugin);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
    (void)state;
    fx.wine64 = pu_find_program("WINE64", "wine64", "/usr/lib/wine/wine64");
    fx.wineserver = pu_find_program("WINESERVER", "wineserver", "/usr/lib/wine/wineserver");
    const char *wb = getenv("VMMAP_WIN_BUILD");
    char exe[PATH_MAX];
    snprintf(exe, sizeof exe, "%s/vmmap.exe", wb && *wb ? wb : "build-win");
    fx.vmmap_exe = strdup(exe);
    fx.vmmap_linux = pu_build_path("vmmap");
    if (!fx.wine64 || !fx.wineserver || !fx.vmmap_exe || !fx.vmmap_linux || access(fx.vmmap_exe, R_OK) != 0 ||
        access(fx.wine64, X_OK) != 0) {
        fprintf(stderr, "test_wine_offline: %s, wine64 or wineserver missing (make test-wine builds and finds them)\n",
                exe);
        return -1;
    }
    /* One wineserver for all the runs: none ends between two of them (wine_session.h). */
    if (pu_wine_begin(fx.wine64, fx.wineserver, fx.prefix, sizeof fx.prefix) != 0) {
        fprintf(stderr, "test_wine_offline: Wine: %s\n", pu_last_error());
        pu_wine_end(fx.wineserver); /* cmocka runs no group teardown after a failed setup */
        return -1;
    }
    fx.server_pid = pu_wine_server_pid(fx.prefix);
    fx.have_data = access(DATA "/cores", R_OK) == 0 && access(DATA "/minidumps", R_OK) == 0;
    if (pu_tempdir(fx.dir, sizeof fx.dir) != 0) {
        fprintf(stderr, "test_wine_offline: %s\n", pu_last_error());
        pu_wine_end(fx.wineserver);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.dir[0])
        pu_tempdir_remove(fx.dir);
    if (fx.prefix[0])
        pu_wine_end(fx.wineserver); /* our prefix's server, with Wine's own processes in it */
    free(fx.wine64);
    free(fx.wineserver);
    free(fx.vmmap_exe);
    free(fx.vmmap_linux);
    return 0;
}

static void test_one_wineserver_throughout(void **state)
{
    (void)state;
    expect_the_one_server("after the last run");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_cores),
        cmocka_unit_test(test_linux_minidumps),
        cmocka_unit_test(test_packed_copies),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_census_of_a_core),
        cmocka_unit_test(test_one_wineserver_throughout),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
