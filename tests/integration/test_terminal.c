/* What vmmap prints on a terminal, run on a pseudo-terminal of a chosen size: tables fit its width
 * (the least needed columns left out and said so, Details cut with an ellipsis), --wide shows
 * everything, piped output keeps today's full rows; --human units; the progress lines of a
 * report, of the heap walk and of the object census.
 *
 * The progress line appears once a report has taken a second; VMMAP_TEST_PROGRESS_AFTER=0 makes
 * it appear at once, so that no test depends on how long anything takes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tests/support/proc_util.h"

static char tmpdir[256];
static char snap[512];  /* a snapshot of vmmap itself */
static char heaps[512]; /* the bundled sample's, with the heap walk (--heap-blocks): vmmap's own
                         * heaps are not glibc's in a sanitizer build */

typedef struct pty_result {
    int exit_code;
    char *out; /* stdout and stderr as the terminal got them, "\r\n" turned into "\n" */
    size_t len;
} pty_result;

/* Runs build/vmmap ARGS on a new pseudo-terminal `cols` wide, with LANG=C.UTF-8 and one more
 * variable (name may be NULL). */
static pty_result on_pty(unsigned short cols, const char *name, const char *value, const char *const *args)
{
    char *bin = pu_build_path("vmmap");
    char *argv[16] = {bin};
    size_t n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    struct winsize ws = {.ws_row = 50, .ws_col = cols};
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0)
        fail_msg("forkpty: %s", strerror(errno));
    if (pid == 0) {
        setenv("LANG", "C.UTF-8", 1);
        unsetenv("LC_ALL");
        unsetenv("COLUMNS");
        if (name)
            setenv(name, value, 1);
        execv(bin, argv);
        _exit(127);
    }
    pty_result r = {0};
    size_t cap = 65536;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        struct pollfd p = {.fd = master, .events = POLLIN};
        if (poll(&p, 1, 60000) <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        if (r.len + 4096 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t got = read(master, buf + r.len, 4096);
        if (got <= 0)
            break; /* EIO: the program closed the terminal */
        r.len += (size_t)got;
    }
    close(master);
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    size_t o = 0;
    for (size_t i = 0; i < r.len; i++)
        if (!(buf[i] == '\r' && i + 1 < r.len && buf[i + 1] == '\n'))
            buf[o++] = buf[i];
    buf[o] = '\0';
    r.len = o;
    r.out = buf;
    free(bin);
    return r;
}

/* Display width of one line: code points, ANSI colour sequences not counted. */
static size_t line_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\x1b') {
            while (i < n && s[i] != 'm')
                i++;
            continue;
        }
        w += ((unsigned char)s[i] & 0xc0) != 0x80;
    }
    return w;
}

static size_t widest_line(const char *text, const char **widest)
{
    size_t max = 0;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        size_t w = line_width(p, n);
        if (w > max) {
            max = w;
            *widest = p;
        }
        p += n + (p[n] == '\n');
    }
    return max;
}

static int setup(void **state)
{
    (void)state;
    if (pu_tempdir(tmpdir, sizeof tmpdir) != 0)
        return -1;
    snprintf(snap, sizeof snap, "%s/self.json", tmpdir);
    snprintf(heaps, sizeof heaps, "%s/heaps.json", tmpdir);
    if (pu_snapshot_self(snap) != 0)
        return -1;
    return pu_snapshot_sample(heaps, "--heap-blocks");
}

static int teardown(void **state)
{
    (void)state;
    return pu_tempdir_remove(tmpdir);
}

/* ---- fitting the width ------------------------------------------------------------------- */

/* An 80-column terminal: every line of show fits, the columns to keep are there, the least
 * needed are gone and named, Details is cut with an ellipsis. */
static void test_show_fits_a_narrow_terminal(void **state)
{
    (void)state;
    pty_result r = on_pty(80, NULL, NULL, (const char *const[]){"show", snap, NULL});
    assert_int_equal(r.exit_code, 0);
    const char *widest = r.out;
    size_t w = widest_line(r.out, &widest);
    if (w > 80)
        fail_msg("a line of %zu columns on an 80-column terminal: %.*s", w, (int)strcspn(widest, "\n"), widest);
    const char *header = strstr(r.out, "Address");
    assert_non_null(header);
    size_t hn = strcspn(header, "\n");
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)hn, header);
    const char *const kept[] = {"Address", "Type", "Size", "Committed", "Private WS", "Details"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (!strstr(line, kept[i]))
            fail_msg("header without %s: %s", kept[i], line);
    assert_null(strstr(line, "Locked WS"));
    assert_non_null(strstr(r.out, "(to fit 80 columns: hidden Locked WS,"));
    assert_non_null(strstr(r.out, "\u2026")); /* a long Details cut */
    free(r.out);
}

static void test_summary_fits_a_narrow_terminal(void **state)
{
    (void)state;
    pty_result r = on_pty(72, NULL, NULL, (const char *const[]){"summary", snap, NULL});
    assert_int_equal(r.exit_code, 0);
    const char *table = strstr(r.out, "\nType ");
    assert_non_null(table);
    const char *widest = table;
    size_t w = widest_line(table + 1, &widest);
    if (w > 72)
        fail_msg("a table line of %zu columns on a 72-column terminal: %.*s", w, (int)strcspn(widest, "\n"),
                 widest);
    const char *const kept[] = {"Type", "Size", "Committed", "Private WS"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        assert_non_null(strstr(table, kept[i]));
    assert_non_null(strstr(r.out, "(to fit 72 columns: hidden "));
    free(r.out);
}

/* --wide: every column and the whole of Details on the same narrow terminal. */
static void test_wide_shows_everything(void **state)
{
    (void)state;
    pty_result r = on_pty(80, NULL, NULL, (const char *const[]){"show", snap, "--wide", NULL});
    assert_int_equal(r.exit_code, 0);
    const char *widest = r.out;
    assert_true(widest_line(r.out, &widest) > 80);
    assert_non_null(strstr(r.out, "Locked WS"));
    assert_null(strstr(r.out, "(to fit "));
    assert_null(strstr(r.out, "\u2026"));
    free(r.out);
}

/* `vmmap COMMAND TARGET` into a pipe, with COLUMNS=40: the column titled column is there and
 * nothing was fitted. */
static void expect_piped_whole(const char *command, const char *target, const char *column)
{
    pu_run_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(pu_vmmap(&r, &(pu_run_opts){.env_name = "COLUMNS", .env_value = "40"}, command, target,
                              (char *)NULL),
                     0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, column));
    assert_null(strstr(r.out, "(to fit "));
    assert_null(strstr(r.out, "\u2026"));
    pu_run_result_free(&r);
}

/* Every line of out is at most cols wide; a progress line redrawn with "\r" counts from there.
 * Messages on stderr ("vmmap: wrote PATH") are one line each, whatever the width: not counted. */
static void assert_fits(const char *out, size_t cols, const char *what)
{
    for (const char *p = out; *p;) {
        size_t n = strcspn(p, "\r\n");
        size_t w = strncmp(p, "vmmap: ", 7) == 0 ? 0 : line_width(p, n);
        if (w > cols)
            fail_msg("%s: a line of %zu columns on a %zu-column terminal: %.*s\n(all of it:)\n%s", what, w, cols,
                     (int)n, p, out);
        p += n + (p[n] != '\0');
    }
}

/* heaps: both tables fit (the heaps table loses its least needed columns and names them, Owner is
 * cut), and so do the notes; piped, every column is there. */
static void test_heaps_fit_a_narrow_terminal(void **state)
{
    (void)state;
    pty_result r = on_pty(64, NULL, NULL, (const char *const[]){"heaps", heaps, NULL});
    assert_int_equal(r.exit_code, 0);
    assert_fits(r.out, 64, "heaps");
    const char *header = strstr(r.out, "\nHeap ");
    assert_non_null(header);
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(header + 1, "\n"), header + 1);
    const char *const kept[] = {"Heap", "Kind", "Committed", "Busy size", "Owner"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (!strstr(line, kept[i]))
            fail_msg("heaps header without %s: %s", kept[i], line);
    assert_null(strstr(line, "Overhead"));
    assert_non_null(strstr(r.out, "(to fit 64 columns: hidden Overhead,"));
    assert_non_null(strstr(r.out, " block sizes, ")); /* the second table is there too */
    free(r.out);

    pty_result wide = on_pty(64, NULL, NULL, (const char *const[]){"heaps", heaps, "--wide", NULL});
    assert_int_equal(wide.exit_code, 0);
    assert_non_null(strstr(wide.out, "Overhead"));
    assert_null(strstr(wide.out, "(to fit "));
    free(wide.out);

    expect_piped_whole("heaps", heaps, "Overhead");
}

/* objects: the census table and the instance list (both of a live process: the instances need
 * its memory) fit; TYPE stays, cut with an ellipsis where it is too long (--all finds the
 * library's own classes, with long names). */
static void test_objects_fit_a_narrow_terminal(void **state)
{
    (void)state;
    char *sample = pu_build_path("samples/census");
    char *argv[] = {sample, NULL}, pid[32];
    pu_child c;
    if (pu_sample_start(&c, argv, 20000) != 0)
        fail_msg("cannot start %s: %s", sample, pu_last_error());
    snprintf(pid, sizeof pid, "%d", (int)c.pid);
    pty_result t = on_pty(44, NULL, NULL, (const char *const[]){"objects", pid, "--all", NULL});
    assert_int_equal(t.exit_code, 0);
    assert_fits(t.out, 44, "objects");
    assert_non_null(strstr(t.out, "TYPE"));
    assert_non_null(strstr(t.out, "(to fit 44 columns: hidden IMAGE,"));
    assert_non_null(strstr(t.out, "\u2026")); /* a long class name cut */
    free(t.out);

    pty_result in = on_pty(40, NULL, NULL, (const char *const[]){"objects", pid, "--type", "plugin::*", NULL});
    assert_int_equal(in.exit_code, 0);
    assert_fits(in.out, 40, "objects --type");
    assert_non_null(strstr(in.out, "plugin::"));
    free(in.out);
    pu_child_stop(&c, 5000);
    free(sample);
}

/* diff: the header, the by-type table and the change tables fit. */
static void test_diff_fits_a_narrow_terminal(void **state)
{
    (void)state;
    pty_result r = on_pty(70, NULL, NULL, (const char *const[]){"diff", snap, heaps, NULL});
    assert_int_equal(r.exit_code, 0);
    assert_fits(r.out, 70, "diff");
    assert_non_null(strstr(r.out, "(to fit 70 columns: hidden Locked WS,"));
    free(r.out);
}

/* info: the long lines of what a dump holds (its streams, what the map cannot show) wrap. */
static void test_info_fits_a_narrow_terminal(void **state)
{
    (void)state;
    const char *dump = pu_testdata("minidumps/node-minidump__linux.dmp");
    if (!dump)
        skip();
    pty_result r = on_pty(60, NULL, NULL, (const char *const[]){"info", dump, NULL});
    assert_int_equal(r.exit_code, 0);
    assert_fits(r.out, 60, "info");
    assert_non_null(strstr(r.out, "BP_LinuxMaps")); /* nothing lost in the wrapping */
    free(r.out);
    pty_result wide = on_pty(60, NULL, NULL, (const char *const[]){"info", dump, "--wide", NULL});
    const char *widest = wide.out;
    assert_true(widest_line(wide.out, &widest) > 60);
    free(wide.out);
}

/* watch: the progress line is redrawn in place, so each drawing must fit one line; the growth
 * analysis fits too. */
static void test_watch_fits_a_narrow_terminal(void **state)
{
    (void)state;
    char out[600];
    snprintf(out, sizeof out, "%s/watch.jsonl", tmpdir);
    pty_result r = on_pty(50, NULL, NULL,
                          (const char *const[]){"watch", "--self", "-i", "100ms", "-n", "3", "-o", out, NULL});
    assert_int_equal(r.exit_code, 0);
    assert_fits(r.out, 49, "watch"); /* the last column stays free: writing there wraps on some terminals */
    assert_non_null(strstr(r.out, "\r\x1b[K[00:00:0"));
    assert_non_null(strstr(r.out, "Series"));
    unlink(out);
    free(r.out);
}

/* Piped, rows are whole whatever COLUMNS says: scripts see what they always saw. */
static void test_piped_output_keeps_full_rows(void **state)
{
    (void)state;
    expect_piped_whole("show", snap, "Locked WS");
}

/* ---- human units ------------------------------------------------------------------------- */

/* --human: Free's 137,438,650,920 K as "128 T"-like, every size at most three digits and a unit. */
static void test_human_units(void **state)
{
    (void)state;
    char *bin = pu_build_path("vmmap");
    char *argv[] = {bin, "summary", snap, "--human", NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(pu_run(argv, NULL, &r), 0);
    assert_int_equal(r.exit_code, 0);
    const char *free_row = strstr(r.out, "\nFree ");
    assert_non_null(free_row);
    char size[32];
    assert_int_equal(sscanf(free_row, "\nFree %31s", size), 1);
    char unit = 0;
    assert_int_equal(sscanf(free_row + 6 + strspn(free_row + 6, " "), "%*s %c", &unit), 1);
    if (unit != 'T' || strlen(size) > 3 || strchr(size, ','))
        fail_msg("Free's size is not in T: %.60s", free_row + 1);
    const char *table = strstr(r.out, "\nType ");
    assert_non_null(table);
    assert_null(strstr(table, ",")); /* no "1,234,567 K" left anywhere in the table */
    pu_run_result_free(&r);
    free(bin);
}

/* ---- progress ---------------------------------------------------------------------------- */

/* A report on a terminal says where it is; the line is erased before "vmmap: wrote". */
static void test_report_progress_on_terminal(void **state)
{
    (void)state;
    char out[600];
    snprintf(out, sizeof out, "%s/progress.xlsx", tmpdir);
    pty_result r = on_pty(100, "VMMAP_TEST_PROGRESS_AFTER", "0", (const char *const[]){"report", snap, "-o", out, NULL});
    assert_int_equal(r.exit_code, 0);
    const char *regions = strstr(r.out, "\rvmmap: report: Regions sheet ");
    if (!regions || !strstr(r.out, "%") || !strstr(r.out, "vmmap: report: compressing the workbook"))
        fail_msg("no progress line:\n%s", r.out);
    const char *wrote = strstr(r.out, "vmmap: wrote ");
    assert_non_null(wrote);
    assert_true(wrote > regions);
    assert_int_equal(wrote[-1], '\r'); /* the progress line erased, then the result on its own */
    free(r.out);
}

/* Not a terminal: no progress, however long it takes. */
static void test_no_progress_when_not_a_terminal(void **state)
{
    (void)state;
    char out[600];
    snprintf(out, sizeof out, "%s/quiet.xlsx", tmpdir);
    char *bin = pu_build_path("vmmap");
    char *argv[] = {bin, "report", snap, "-o", out, NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(pu_run(argv, &(pu_run_opts){.env_name = "VMMAP_TEST_PROGRESS_AFTER", .env_value = "0"}, &r), 0);
    assert_int_equal(r.exit_code, 0);
    assert_null(strstr(r.err, "vmmap: report:"));
    assert_non_null(strstr(r.err, "vmmap: wrote "));
    pu_run_result_free(&r);
    free(bin);
}

/* Starts sample (with args) and waits for its first line; its pid in pid. */
static void start_sample(pu_child *c, const char *sample, char *a1, char *a2, char *pid, size_t len)
{
    char *path = pu_build_path(sample);
    char *argv[] = {path, a1, a2, NULL};
    c->stdin_fd = c->stdout_fd = -1;
    if (pu_sample_start(c, argv, 10000) != 0)
        fail_msg("cannot start %s: %s", sample, pu_last_error());
    free(path);
    snprintf(pid, len, "%d", (int)c->pid);
}

/* `vmmap COMMAND PID` shows its progress line `line` on a terminal (at once with
 * VMMAP_TEST_PROGRESS_AFTER=0) and erases it before the result begins; piped, it shows none. */
static void check_progress(const char *command, const char *pid, const char *line, const char *result)
{
    pty_result r = on_pty(200, "VMMAP_TEST_PROGRESS_AFTER", "0", (const char *const[]){command, pid, NULL});
    const char *at = strstr(r.out, line), *res = strstr(r.out, result);
    if (r.exit_code != 0 || !at || !res || res < at || res[-1] != '\r')
        fail_msg("vmmap %s on a terminal: exit %d, want the progress line \"%s\" erased before \"%s\":\n%s", command,
                 r.exit_code, line + 1, result, r.out);
    free(r.out);
    char *bin = pu_build_path("vmmap");
    char *piped[] = {bin, (char *)command, (char *)pid, NULL};
    pu_run_result p = {0};
    assert_int_equal(pu_run(piped, &(pu_run_opts){.env_name = "VMMAP_TEST_PROGRESS_AFTER", .env_value = "0"}, &p), 0);
    assert_int_equal(p.exit_code, 0);
    assert_null(strstr(p.err, line + 1));
    pu_run_result_free(&p);
    free(bin);
}

/* The heap walk and the census say how far they got on a terminal, as a report does: the walk
 * looks at the clock every 16 MiB (the heap sample's 80 mmapped chunks hold 28 MiB), the census
 * every 4 MiB of busy blocks (census_grow with 100,000 more objects of 64 bytes). */
static void test_heap_walk_and_census_progress(void **state)
{
    (void)state;
    pu_child c;
    char pid[32];
    start_sample(&c, "samples/heapsample", "--mmaps", "80", pid, sizeof pid);
    check_progress("heaps", pid, "\rvmmap: walking heap blocks: ", "Heaps of heapsample");
    pu_child_stop(&c, 5000);
    start_sample(&c, "samples/census_grow", NULL, NULL, pid, sizeof pid);
    assert_int_equal(write(c.stdin_fd, "100000\n", 7), 7);
    assert_int_equal(pu_child_read_line(&c, 10000), 0);
    check_progress("objects", pid, "\rvmmap: objects: ", "C++ objects of census_grow");
    pu_child_stop(&c, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_show_fits_a_narrow_terminal),
        cmocka_unit_test(test_summary_fits_a_narrow_terminal),
        cmocka_unit_test(test_wide_shows_everything),
        cmocka_unit_test(test_piped_output_keeps_full_rows),
        cmocka_unit_test(test_heaps_fit_a_narrow_terminal),
        cmocka_unit_test(test_objects_fit_a_narrow_terminal),
        cmocka_unit_test(test_diff_fits_a_narrow_terminal),
        cmocka_unit_test(test_info_fits_a_narrow_terminal),
        cmocka_unit_test(test_watch_fits_a_narrow_terminal),
        cmocka_unit_test(test_human_units),
        cmocka_unit_test(test_report_progress_on_terminal),
        cmocka_unit_test(test_no_progress_when_not_a_terminal),
        cmocka_unit_test(test_heap_walk_and_census_progress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
