/* A user's files are sacred (docs/cli.md, "Output files"): `-o` never replaces a device node,
 * FIFO, socket or symbolic link, never overwrites a file the user may not write, and an output
 * that cannot be written (a full device, a full stdout, /proc) says why and exits 1.
 *
 * Device nodes are made with mknod in a private temporary directory (never on the real /dev):
 * 1,3 behaves as /dev/null and 1,7 as /dev/full.  Those cases need root and skip without it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/proc_util.h"

static char tmpdir[256];
static char snap[512]; /* a snapshot of vmmap itself, the input of most runs */

static void path_in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static pu_run_result run_opts(const pu_run_opts *opts, const char *a0, va_list ap)
{
    char *argv[16];
    char *bin = pu_build_path("vmmap");
    int n = 0;
    argv[n++] = bin;
    for (const char *a = a0; a && n < 15; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    argv[n] = NULL;
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, opts, &r) != 0)
        fail_msg("cannot run %s: %s", bin, pu_last_error());
    free(bin);
    return r;
}

static pu_run_result vmmap(const char *a0, ...)
{
    va_list ap;
    va_start(ap, a0);
    pu_run_result r = run_opts(NULL, a0, ap);
    va_end(ap);
    return r;
}

static pu_run_result vmmap_as_nobody(const char *a0, ...)
{
    va_list ap;
    va_start(ap, a0);
    pu_run_opts o = {.as_nobody = true};
    pu_run_result r = run_opts(&o, a0, ap);
    va_end(ap);
    return r;
}

/* sh -c CMD, for redirections of vmmap's own stdout. */
static pu_run_result shell(const char *cmd)
{
    pu_run_result r;
    if (pu_run_shell(cmd, &r) != 0)
        fail_msg("cannot run sh -c %s: %s", cmd, pu_last_error());
    return r;
}

static int setup(void **state)
{
    (void)state;
    if (pu_tempdir(tmpdir, sizeof tmpdir) != 0)
        return -1;
    chmod(tmpdir, 0755); /* nobody must reach the files the permission tests make */
    path_in_tmp(snap, sizeof snap, "self.json");
    return pu_snapshot_self(snap);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Everything, also what a failed test left in subdirectories. */
static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool need_root(const char *what)
{
    if (geteuid() == 0)
        return true;
    print_message("[ SKIP     ] %s: needs root (mknod, or running as nobody)\n", what);
    return false;
}

static mode_t type_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode & S_IFMT;
}

static void expect_failure(pu_run_result *r, const char *what, const char *says)
{
    if (r->exit_code != 1 || !strstr(r->err, says))
        fail_msg("%s: exit %d, expected 1 saying \"%s\"; stderr: %s", what, r->exit_code, says, r->err);
    assert_memory_equal(r->err, "vmmap: error: ", 14);
    pu_run_result_free(r);
}

/* ---- devices ----------------------------------------------------------------------------- */

static void make_node(const char *name, mode_t type, unsigned major_, unsigned minor_, char *path, size_t len)
{
    path_in_tmp(path, len, name);
    unlink(path);
    if (mknod(path, type | 0666, makedev(major_, minor_)) != 0)
        fail_msg("mknod %s: %s", path, strerror(errno));
}

/* A null device stays a device and every format's writer streams into it. */
static void test_null_device_written_not_replaced(void **state)
{
    (void)state;
    if (!need_root("null device"))
        skip();
    char null_dev[512];
    make_node("null", S_IFCHR, 1, 3, null_dev, sizeof null_dev);
    const char *const runs[][4] = {
        {"snapshot", "-q", "-o", null_dev},
        {"report", "-q", "--format=csv", "-o"},
        {"report", "-q", "--format=xlsx", "-o"},
        {"diff", "-q", "--format=json", "-o"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        pu_run_result r = strcmp(runs[i][0], "snapshot") == 0
                              ? vmmap(runs[i][0], snap, runs[i][1], runs[i][2], runs[i][3], NULL)
                          : strcmp(runs[i][0], "diff") == 0
                              ? vmmap("diff", snap, snap, runs[i][1], runs[i][2], runs[i][3], null_dev, NULL)
                              : vmmap(runs[i][0], snap, runs[i][1], runs[i][2], runs[i][3], null_dev, NULL);
        if (r.exit_code != 0)
            fail_msg("%s %s -o null device: exit %d: %s", runs[i][0], runs[i][2], r.exit_code, r.err);
        pu_run_result_free(&r);
        assert_int_equal(type_of(null_dev), S_IFCHR);
    }
    /* A device has no extension to tell a format by: the commands whose -o takes .json, .xlsx
     * and .csv write their JSON into it, as into '-'; watch one line per sample, as into a
     * .jsonl (it used to try to make a directory of that name). */
    pu_run_result json_runs[] = {
        vmmap("heaps", snap, "-q", "-o", null_dev, NULL),
        vmmap("objects", "--self", "-q", "-o", null_dev, NULL),
        vmmap("watch", "--self", "-n", "2", "-i", "100ms", "-q", "-o", null_dev, NULL),
    };
    for (size_t i = 0; i < sizeof json_runs / sizeof json_runs[0]; i++) {
        if (json_runs[i].exit_code != 0)
            fail_msg("run %zu (heaps, objects, watch) -o null device: exit %d: %s", i, json_runs[i].exit_code,
                     json_runs[i].err);
        pu_run_result_free(&json_runs[i]);
    }
    assert_int_equal(type_of(null_dev), S_IFCHR);
}

/* /dev/full: "No space left on device", exit 1, and the node is still a device. */
static void test_full_device_fails_with_enospc(void **state)
{
    (void)state;
    if (!need_root("full device"))
        skip();
    char full[512];
    make_node("full", S_IFCHR, 1, 7, full, sizeof full);
    pu_run_result r = vmmap("snapshot", snap, "-o", full, NULL);
    expect_failure(&r, "snapshot -o full", "No space left on device");
    r = vmmap("report", snap, "--format", "xlsx", "-o", full, NULL);
    expect_failure(&r, "report xlsx -o full", "No space left on device");
    r = vmmap("report", snap, "--format", "csv", "-o", full, NULL);
    expect_failure(&r, "report csv -o full", "No space left on device");
    /* watch: a sample that cannot be written is the error, not the end of the process (the
     * write error's exit code 1 once passed for "the process exited": exit 0, not a word) */
    r = vmmap("watch", "--self", "-n", "2", "-i", "100ms", "-o", full, NULL);
    expect_failure(&r, "watch -o full", "No space left on device");
    assert_int_equal(type_of(full), S_IFCHR);
}

/* A block device is a disk: refused before anything is opened.  0,0 is no device at all, so a
 * broken refusal could not write anywhere either. */
static void test_block_device_refused(void **state)
{
    (void)state;
    if (!need_root("block device"))
        skip();
    char disk[512];
    make_node("disk", S_IFBLK, 0, 0, disk, sizeof disk);
    pu_run_result r = vmmap("snapshot", snap, "-o", disk, NULL);
    expect_failure(&r, "snapshot -o block device", "block device");
    assert_int_equal(type_of(disk), S_IFBLK);
}

/* `vmmap show PID > /dev/full` says so and exits 1 (it used to exit 1 without a word). */
static void test_full_stdout_is_an_error(void **state)
{
    (void)state;
    if (!need_root("full stdout"))
        skip();
    char full[512], cmd[2048];
    make_node("full-stdout", S_IFCHR, 1, 7, full, sizeof full);
    char *bin = pu_build_path("vmmap");
    const char *const commands[] = {"show", "summary", "snapshot -o -", "diff --color=never", "--help"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i], "--help") == 0)
            snprintf(cmd, sizeof cmd, "%s --help > %s", bin, full);
        else if (strncmp(commands[i], "diff", 4) == 0)
            snprintf(cmd, sizeof cmd, "%s %s %s %s > %s", bin, commands[i], snap, snap, full);
        else
            snprintf(cmd, sizeof cmd, "%s %s %s > %s", bin, commands[i], snap, full);
        pu_run_result r = shell(cmd);
        expect_failure(&r, cmd, "cannot write to standard output: No space left on device");
    }
    free(bin);
}

/* ---- FIFOs and sockets ------------------------------------------------------------------- */

/* A reader in a child: counts what arrives and reports the first byte through its exit status. */
static pid_t start_reader(const char *fifo)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(fifo, O_RDONLY);
        char buf[4096], first = 0;
        ssize_t n;
        size_t total = 0;
        while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0) {
            if (!total)
                first = buf[0];
            total += (size_t)n;
        }
        _exit(total > 100 && first == '{' ? 0 : 1);
    }
    return pid;
}

static void test_fifo_streamed(void **state)
{
    (void)state;
    char fifo[512];
    path_in_tmp(fifo, sizeof fifo, "pipe");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t reader = start_reader(fifo);
    assert_true(reader > 0);
    pu_run_result r = vmmap("snapshot", snap, "-q", "-o", fifo, NULL);
    /* A FIFO replaced by a file leaves the reader waiting for a writer forever: give up on it. */
    int status = 0;
    for (int i = 0; i < 100 && waitpid(reader, &status, WNOHANG) == 0; i++)
        pu_sleep_ms(50);
    if (waitpid(reader, &status, WNOHANG) == 0) {
        kill(reader, SIGKILL);
        waitpid(reader, &status, 0);
    }
    if (r.exit_code != 0)
        fail_msg("snapshot -o FIFO: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* the reader got the JSON */
    assert_int_equal(type_of(fifo), S_IFIFO);
}

static void test_socket_streamed(void **state)
{
    (void)state;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(tmpdir) + 6 > sizeof sa.sun_path)
        skip();
    memcpy(sa.sun_path, tmpdir, strlen(tmpdir));
    memcpy(sa.sun_path + strlen(tmpdir), "/sock", 6);
    unlink(sa.sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(ls, 1), 0);
    char *bin = pu_build_path("vmmap");
    char *argv[] = {bin, "snapshot", snap, "-q", "-o", sa.sun_path, NULL};
    pu_proc p;
    assert_int_equal(pu_proc_spawn(&p, argv, NULL), 0);
    /* A socket replaced by a file never gets its connection: wait 10 s at most. */
    struct pollfd pfd = {.fd = ls, .events = POLLIN};
    int c = poll(&pfd, 1, 10000) == 1 ? accept(ls, NULL, NULL) : -1;
    if (c < 0) {
        pu_run_result lost;
        memset(&lost, 0, sizeof lost);
        pu_proc_collect(&p, 0, &lost);
        close(ls);
        fail_msg("no connection to the socket; vmmap said (exit %d): %s", lost.exit_code, lost.err);
    }
    char buf[4096], first = 0;
    size_t total = 0;
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0) {
        if (!total)
            first = buf[0];
        total += (size_t)n;
    }
    close(c);
    close(ls);
    pu_run_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(pu_proc_collect(&p, 0, &r), 0);
    if (r.exit_code != 0)
        fail_msg("snapshot -o socket: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    free(bin);
    assert_true(total > 100);
    assert_int_equal(first, '{');
    assert_int_equal(type_of(sa.sun_path), S_IFSOCK);
}

/* ---- links and protected files ----------------------------------------------------------- */

static void write_text(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    chmod(path, mode);
}

/* The link stays a link; its target is replaced whole (same directory, same permissions). */
static void test_symlink_followed(void **state)
{
    (void)state;
    char sub[512], target[600], link[512], dangling[512], created[600];
    path_in_tmp(sub, sizeof sub, "sub");
    mkdir(sub, 0755);
    snprintf(target, sizeof target, "%s/target.json", sub);
    write_text(target, "old", 0640);
    path_in_tmp(link, sizeof link, "link.json");
    unlink(link);
    assert_int_equal(symlink("sub/target.json", link), 0);
    pu_run_result r = vmmap("snapshot", snap, "-q", "-o", link, NULL);
    if (r.exit_code != 0)
        fail_msg("snapshot -o link: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    assert_int_equal(type_of(link), S_IFLNK);
    struct stat st;
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    size_t len = 0;
    char *text = pu_read_file(target, &len);
    assert_non_null(text);
    assert_int_equal(text[0], '{');
    free(text);
    assert_int_equal(pu_dir_count(sub), 1); /* no temporary left beside the target */

    /* A dangling link names the file to create. */
    path_in_tmp(dangling, sizeof dangling, "dangling.csv");
    unlink(dangling);
    assert_int_equal(symlink("sub/created.csv", dangling), 0);
    r = vmmap("report", snap, "-q", "-o", dangling, "--format", "csv", NULL);
    if (r.exit_code != 0)
        fail_msg("report -o dangling link: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    assert_int_equal(type_of(dangling), S_IFLNK);
    snprintf(created, sizeof created, "%s/created.csv", sub);
    assert_true(pu_file_exists(created));
    unlink(created);
    unlink(target);
    rmdir(sub);
}

/* A read-only file is refused, even for root, and left as it was. */
static void test_read_only_file_refused(void **state)
{
    (void)state;
    char ro[512];
    path_in_tmp(ro, sizeof ro, "ro.json");
    write_text(ro, "keep", 0444);
    pu_run_result r = vmmap("snapshot", snap, "-o", ro, NULL);
    expect_failure(&r, "snapshot -o 0444 file", "read-only");
    char ro_xlsx[512];
    path_in_tmp(ro_xlsx, sizeof ro_xlsx, "ro.xlsx");
    write_text(ro_xlsx, "keep", 0444);
    r = vmmap("report", snap, "-o", ro_xlsx, NULL);
    expect_failure(&r, "report -o 0444 file", "read-only");
    char *kept = pu_read_file(ro_xlsx, NULL);
    assert_string_equal(kept, "keep");
    free(kept);
    size_t len = 0;
    char *text = pu_read_file(ro, &len);
    assert_non_null(text);
    assert_string_equal(text, "keep");
    free(text);
}

/* Someone else's file (0644, owned by root) as nobody: refused with the reason, not replaced. */
static void test_file_of_another_user_refused(void **state)
{
    (void)state;
    if (!need_root("another user's file"))
        skip();
    char theirs[512];
    path_in_tmp(theirs, sizeof theirs, "theirs.json");
    write_text(theirs, "theirs", 0644);
    pu_run_result r = vmmap_as_nobody("snapshot", snap, "-o", theirs, NULL);
    if (r.exec_errno) {
        print_message("[ SKIP     ] cannot run as nobody: %s\n", strerror(r.exec_errno));
        pu_run_result_free(&r);
        skip();
    }
    expect_failure(&r, "snapshot -o root's file, as nobody", "permission denied");
    char *text = pu_read_file(theirs, NULL);
    assert_string_equal(text, "theirs");
    free(text);
}

/* watch -o DIR into a directory nobody may write: the documented output error (exit 1), said
 * before the first capture, not "access denied" (exit 4, which is about the target). */
static void test_watch_into_unwritable_dir(void **state)
{
    (void)state;
    if (!need_root("watch into another user's directory"))
        skip();
    char dir[512];
    path_in_tmp(dir, sizeof dir, "closed");
    mkdir(dir, 0755);
    pu_run_result r = vmmap_as_nobody("watch", "--self", "-n", "1", "-o", dir, NULL);
    if (r.exec_errno) {
        pu_run_result_free(&r);
        skip();
    }
    expect_failure(&r, "watch -o root's directory, as nobody", "cannot write into directory");
    assert_int_equal(pu_dir_count(dir), 0);
    rmdir(dir);
}

/* A watch that cannot take its first sample (a kernel thread has no address space) leaves no
 * empty .jsonl or directory behind; one that was there before stays. */
static void test_failed_watch_leaves_nothing(void **state)
{
    (void)state;
    char jsonl[512], dir[512], before[512];
    path_in_tmp(jsonl, sizeof jsonl, "never.jsonl");
    path_in_tmp(dir, sizeof dir, "never");
    path_in_tmp(before, sizeof before, "before.jsonl");
    write_text(before, "", 0644);
    const char *const outs[] = {jsonl, dir, before};
    for (size_t i = 0; i < 3; i++) {
        pu_run_result r = vmmap("watch", "2", "-n", "1", "-o", outs[i], NULL); /* PID 2: kthreadd */
        if (r.exit_code != 3 || !strstr(r.err, "no user address space"))
            fail_msg("watch 2 -o %s: exit %d: %s", outs[i], r.exit_code, r.err);
        pu_run_result_free(&r);
    }
    assert_false(pu_file_exists(jsonl));
    assert_false(pu_file_exists(dir));
    assert_true(pu_file_exists(before));
}

/* /proc: the real reason, not "directory /proc does not exist". */
static void test_proc_refused_with_reason(void **state)
{
    (void)state;
    const char *const paths[] = {"/proc/version", "/proc/vmmap-test-new-file"};
    for (size_t i = 0; i < 2; i++) {
        pu_run_result r = vmmap("snapshot", snap, "-o", paths[i], NULL);
        if (strstr(r.err, "does not exist"))
            fail_msg("-o %s: %s", paths[i], r.err);
        expect_failure(&r, paths[i], "proc file system");
    }
}

/* /dev/stdout is the shell's descriptor: written through, never replaced by a file.  The link
 * is our own (what /dev/stdout is: a link to /proc/self/fd/1), so that a broken build replaces a
 * file of this test, never the system's /dev/stdout. */
static void test_dev_stdout_written_through(void **state)
{
    (void)state;
    char out[512], link[512], cmd[2048];
    path_in_tmp(out, sizeof out, "through-stdout.json");
    path_in_tmp(link, sizeof link, "stdout");
    unlink(link);
    assert_int_equal(symlink("/proc/self/fd/1", link), 0);
    char *bin = pu_build_path("vmmap");
    snprintf(cmd, sizeof cmd, "%s snapshot %s -q -o %s > %s", bin, snap, link, out);
    free(bin);
    pu_run_result r = shell(cmd);
    if (r.exit_code != 0)
        fail_msg("%s: exit %d: %s", cmd, r.exit_code, r.err);
    pu_run_result_free(&r);
    char *text = pu_read_file(out, NULL);
    assert_non_null(text);
    assert_int_equal(text[0], '{');
    free(text);
    assert_int_equal(type_of(link), S_IFLNK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_device_written_not_replaced),
        cmocka_unit_test(test_full_device_fails_with_enospc),
        cmocka_unit_test(test_block_device_refused),
        cmocka_unit_test(test_full_stdout_is_an_error),
        cmocka_unit_test(test_fifo_streamed),
        cmocka_unit_test(test_socket_streamed),
        cmocka_unit_test(test_symlink_followed),
        cmocka_unit_test(test_read_only_file_refused),
        cmocka_unit_test(test_file_of_another_user_refused),
        cmocka_unit_test(test_watch_into_unwritable_dir),
        cmocka_unit_test(test_failed_watch_leaves_nothing),
        cmocka_unit_test(test_proc_refused_with_reason),
        cmocka_unit_test(test_dev_stdout_written_through),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
