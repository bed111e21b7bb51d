/* The command-line contract (docs/cli.md): help, version, exit codes, error messages, snapshot
 * files as targets, and the show filters, run against the real binary. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/proc_util.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    return pu_tempdir(tmpdir, sizeof tmpdir);
}

static int teardown(void **state)
{
    (void)state;
    return pu_tempdir_remove(tmpdir);
}

#define vmmap pu_vmmap_result /* build/vmmap with the arguments (NULL-terminated) */

static void path_in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void test_help_and_version(void **state)
{
    (void)state;
    pu_run_result r = vmmap("--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Usage: vmmap"));
    assert_non_null(strstr(r.out, "snapshot"));
    assert_non_null(strstr(r.out, "diff")); /* nothing is planned any more: every command is built */
    assert_non_null(strstr(r.out, "Exit codes"));
    pu_run_result_free(&r);

    const char *cmds[] = {"summary", "show", "snapshot"};
    for (size_t i = 0; i < 3; i++) {
        r = vmmap(cmds[i], "--help", NULL);
        assert_int_equal(r.exit_code, 0);
        assert_non_null(strstr(r.out, "Usage: vmmap"));
        assert_non_null(strstr(r.out, "--self"));
        pu_run_result_free(&r);
    }
    r = vmmap("--version", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_memory_equal(r.out, "vmmap ", 6);
    pu_run_result_free(&r);
}

static void test_usage_errors(void **state)
{
    (void)state;
    pu_run_result r = vmmap(NULL);
    assert_int_equal(r.exit_code, 2);
    pu_run_result_free(&r);

    r = vmmap("show", "--self", "--type", "bogus", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "vmmap: error: --type bogus"));
    pu_run_result_free(&r);

    r = vmmap("show", "--self", "--min-size", "lots", NULL);
    assert_int_equal(r.exit_code, 2);
    pu_run_result_free(&r);

    r = vmmap("show", "--self", "--sort", "colour", NULL);
    assert_int_equal(r.exit_code, 2);
    pu_run_result_free(&r);

    r = vmmap("show", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "no target"));
    pu_run_result_free(&r);
}

/* Commands that were planned are built now: listed in --help with the others and run, never
 * refused as "not built yet" (exit 7).  (A command still planned would be refused with exit 7.) */
static void test_not_built_is_said(void **state)
{
    (void)state;
    pu_run_result r = vmmap("--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "  diff "));
    assert_null(strstr(r.out, "Not built yet"));
    pu_run_result_free(&r);

    r = vmmap("diff", "no-such-a.json", "no-such-b.json", NULL);
    assert_int_not_equal(r.exit_code, 7);
    assert_int_equal(r.exit_code, 3);
    assert_null(strstr(r.err, "not built yet"));
    pu_run_result_free(&r);
}

/* Output format follows -o's extension: .xlsx and .csv reports from `snapshot` too. */
static void test_output_by_extension(void **state)
{
    (void)state;
    const char *names[] = {"r.xlsx", "r.csv", "r.json"};
    for (size_t i = 0; i < 3; i++) {
        char out[512];
        path_in_tmp(out, sizeof out, names[i]);
        pu_run_result r = vmmap("snapshot", "--self", "-o", out, NULL);
        assert_int_equal(r.exit_code, 0);
        assert_true(pu_file_exists(out));
        size_t len = 0;
        char *text = pu_read_file(out, &len);
        assert_non_null(text);
        assert_true(len > 100);
        if (i == 0)
            assert_memory_equal(text, "PK", 2); /* a zip container */
        else if (i == 1)
            assert_non_null(strstr(text, "Committed"));
        else
            assert_int_equal(text[0], '{');
        free(text);
        pu_run_result_free(&r);
    }
}

static void test_targets_not_found(void **state)
{
    (void)state;
    pu_run_result r = vmmap("no-such-process-name-zz9", NULL);
    assert_int_equal(r.exit_code, 3);
    assert_non_null(strstr(r.err, "vmmap: error:"));
    pu_run_result_free(&r);

    r = vmmap("show", "/nonexistent/dir/snap.json", NULL);
    assert_int_equal(r.exit_code, 3);
    assert_non_null(strstr(r.err, "/nonexistent/dir/snap.json"));
    pu_run_result_free(&r);
}

static void test_snapshot_file_round_trip(void **state)
{
    (void)state;
    char a[512], b[512];
    path_in_tmp(a, sizeof a, "a.json");
    path_in_tmp(b, sizeof b, "b.json");
    pu_run_result r = vmmap("snapshot", "--self", "-o", a, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "wrote"));
    pu_run_result_free(&r);

    /* A snapshot file is a target like a PID: re-saving it gives the same bytes. */
    r = vmmap("snapshot", a, "-o", b, NULL);
    assert_int_equal(r.exit_code, 0);
    pu_run_result_free(&r);
    size_t la = 0, lb = 0;
    char *ta = pu_read_file(a, &la), *tb = pu_read_file(b, &lb);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_int_equal(la, lb);
    assert_memory_equal(ta, tb, la);
    free(ta);
    free(tb);

    /* Views of the file work, and -o - writes parseable JSON to stdout. */
    r = vmmap("summary", a, "--color=never", NULL);
    assert_int_equal(r.exit_code, 0);
    const char *types[] = {"Image", "Mapped File", "Shareable", "Heap", "Managed Heap", "Stack",
                           "Private Data", "Page Table", "Unusable", "Free", "Total"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_non_null(strstr(r.out, types[i]));
    pu_run_result_free(&r);
    r = vmmap("snapshot", a, "-o", "-", NULL);
    assert_int_equal(r.exit_code, 0);
    cJSON *j = cJSON_Parse(r.out);
    assert_non_null(j);
    assert_string_equal(pu_json_str(j, "format"), "vmmap-snapshot");
    cJSON_Delete(j);
    pu_run_result_free(&r);
}

static void test_show_filters_and_address(void **state)
{
    (void)state;
    char a[512];
    path_in_tmp(a, sizeof a, "f.json");
    pu_run_result r = vmmap("snapshot", "--self", "-o", a, NULL);
    assert_int_equal(r.exit_code, 0);
    pu_run_result_free(&r);
    cJSON *snap = pu_json_load(a);
    assert_non_null(snap);

    /* --type stack shows the stack and no image rows. */
    r = vmmap("show", a, "--type", "stack", "--color=never", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Stack"));
    assert_null(strstr(r.out, "Image "));
    pu_run_result_free(&r);

    /* --address names the thread of a stack address. */
    const cJSON *regions = cJSON_GetObjectItemCaseSensitive(snap, "regions"), *reg;
    char addr[32] = "";
    cJSON_ArrayForEach(reg, regions)
    {
        const char *type = pu_json_str(reg, "type");
        if (type && strcmp(type, "Stack") == 0) {
            uint64_t base = 0;
            assert_int_equal(pu_json_hex(reg, "address", &base), 0);
            snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)base + 16);
            break;
        }
    }
    assert_true(addr[0]);
    r = vmmap("show", a, "--address", addr, "--color=never", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Thread"));
    pu_run_result_free(&r);

    /* Above the user address space and below [vsyscall]: in no region. */
    r = vmmap("show", a, "--address", "0xffff800000000000", "--color=never", NULL);
    assert_int_not_equal(r.exit_code, 0);
    pu_run_result_free(&r);
    cJSON_Delete(snap);
}

/* Bad input: the error names the file and the JSON path, exit code 5. */
static void test_bad_snapshot_file(void **state)
{
    (void)state;
    char good[512], bad[512];
    path_in_tmp(good, sizeof good, "good.json");
    path_in_tmp(bad, sizeof bad, "bad.json");
    pu_run_result r = vmmap("snapshot", "--self", "-o", good, NULL);
    assert_int_equal(r.exit_code, 0);
    pu_run_result_free(&r);

    cJSON *snap = pu_json_load(good);
    assert_non_null(snap);
    cJSON *reg1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(snap, "regions"), 1);
    assert_non_null(reg1);
    cJSON_ReplaceItemInObjectCaseSensitive(reg1, "size", cJSON_CreateString("big"));
    char *text = cJSON_PrintUnformatted(snap);
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    cJSON_Delete(snap);

    r = vmmap("show", bad, NULL);
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.err, "bad.json: regions[1].size"));
    pu_run_result_free(&r);

    f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\"format\": \"something-else\", \"version\": 1}", f);
    fclose(f);
    r = vmmap(bad, NULL);
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.err, "format"));
    pu_run_result_free(&r);

    /* A snapshot cut short (an interrupted copy): said so, with where it stops. */
    size_t len = 0;
    char *whole = pu_read_file(good, &len);
    assert_non_null(whole);
    const size_t cuts[] = {1, len / 3, len - 2};
    for (size_t i = 0; i < 3; i++) {
        f = fopen(bad, "w");
        assert_non_null(f);
        fwrite(whole, 1, cuts[i], f);
        fclose(f);
        r = vmmap("show", bad, NULL);
        char says[96];
        snprintf(says, sizeof says, "the text ends inside the JSON, after %zu byte%s: the file is cut short", cuts[i],
                 cuts[i] == 1 ? "" : "s");
        if (r.exit_code != 5 || !strstr(r.err, says))
            fail_msg("show of a snapshot cut at %zu bytes: exit %d: %s", cuts[i], r.exit_code, r.err);
        pu_run_result_free(&r);
    }
    free(whole);
}

/* A file is told by its first bytes, and only those are read: a 256 MiB ELF core (sparse) is
 * named for what it is, never loaded whole (it was: "not JSON (error near byte 0)" after reading
 * all of it into memory). */
static void test_file_kind_from_first_bytes(void **state)
{
    (void)state;
    char core[512];
    path_in_tmp(core, sizeof core, "big.core");
    int fd = open(core, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    unsigned char eh[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    eh[16] = 4;  /* e_type ET_CORE */
    eh[18] = 62; /* e_machine x86-64 */
    eh[20] = 1;  /* e_version */
    eh[52] = 64; /* e_ehsize */
    eh[54] = 56; /* e_phentsize; e_phnum 0 */
    assert_int_equal(write(fd, eh, sizeof eh), (ssize_t)sizeof eh);
    assert_int_equal(ftruncate(fd, (off_t)256 << 20), 0);
    close(fd);
    pu_run_result r = vmmap("show", core, NULL);
    assert_true(r.exit_code == 5 || r.exit_code == 7);
    assert_non_null(strstr(r.err, "ELF core"));
    assert_null(strstr(r.err, "not JSON"));
    assert_non_null(strstr(r.err, "vmmap: hint:"));
    if (r.max_rss_kb >= 64 * 1024)
        fail_msg("peak RSS %ld KiB for a 256 MiB file: it was read whole", r.max_rss_kb);
    pu_run_result_free(&r);
    remove(core);

    char *bin = pu_build_path("vmmap"); /* a program, not a process */
    r = vmmap(bin, NULL);
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.err, "an ELF"));
    assert_non_null(strstr(r.err, "PID"));
    pu_run_result_free(&r);
    free(bin);

    char text[512];
    path_in_tmp(text, sizeof text, "notes.txt");
    FILE *f = fopen(text, "w");
    assert_non_null(f);
    fputs("hello, this is not a snapshot\n", f);
    fclose(f);
    r = vmmap(text, NULL);
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.err, "a text file"));
    pu_run_result_free(&r);

    /* info says the same of what is no dump or core, from the first bytes (a snapshot is named
     * as one, with the command that shows it), never "signature 0x..." after reading it whole */
    r = vmmap("info", text, NULL);
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.err, "a text file"));
    pu_run_result_free(&r);
    char snap[512];
    path_in_tmp(snap, sizeof snap, "kind.json");
    assert_int_equal(pu_snapshot_self(snap), 0);
    r = vmmap("info", snap, NULL);
    if (r.exit_code != 5 || !strstr(r.err, "a snapshot (JSON), not a minidump or core") || strstr(r.err, "signature"))
        fail_msg("info SNAPSHOT: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    r = vmmap("info", tmpdir, NULL);
    assert_int_equal(r.exit_code, 5);
    assert_non_null(strstr(r.err, "is a directory"));
    pu_run_result_free(&r);
    remove(snap);
    remove(text);
}

/* `vmmap adir` and `vmmap adir/` for an existing directory: the same answer, the same exit code
 * (it was "no process named adir", exit 3, against "is a directory", exit 5). */
static void test_directory_target(void **state)
{
    (void)state;
    char dir[512], here[PATH_MAX], bin[PATH_MAX];
    path_in_tmp(dir, sizeof dir, "adir");
    assert_int_equal(mkdir(dir, 0755), 0);
    char *rel = pu_build_path("vmmap");
    assert_non_null(realpath(rel, bin));
    free(rel);
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(tmpdir), 0);
    pu_run_result a, b;
    char *argv_a[] = {bin, "adir", NULL}, *argv_b[] = {bin, "adir/", NULL};
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ra = pu_run(argv_a, NULL, &a), rb = pu_run(argv_b, NULL, &b);
    assert_int_equal(chdir(here), 0);
    assert_int_equal(ra, 0);
    assert_int_equal(rb, 0);
    assert_int_equal(a.exit_code, 5);
    assert_int_equal(b.exit_code, a.exit_code);
    assert_non_null(strstr(a.err, "adir: is a directory"));
    assert_non_null(strstr(b.err, "adir/: is a directory"));
    assert_non_null(strstr(a.err, "vmmap report")); /* what directories are for */
    assert_non_null(strstr(b.err, "vmmap report"));
    pu_run_result_free(&a);
    pu_run_result_free(&b);
    rmdir(dir);
}

/* A snapshot streamed through a pipe is read as before: a FIFO is not sniffed (its first bytes
 * could not be read twice). */
static void test_snapshot_through_a_pipe(void **state)
{
    (void)state;
    char snap[512], fifo[512];
    path_in_tmp(snap, sizeof snap, "piped.json");
    path_in_tmp(fifo, sizeof fifo, "pipe");
    pu_run_result r = vmmap("snapshot", "--self", "-o", snap, "-q", NULL);
    assert_int_equal(r.exit_code, 0);
    pu_run_result_free(&r);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) { /* child: copy the snapshot into the FIFO */
        size_t len = 0;
        char *text = pu_read_file(snap, &len);
        int fd = open(fifo, O_WRONLY);
        _exit(text && fd >= 0 && write(fd, text, len) == (ssize_t)len ? 0 : 1);
    }
    r = vmmap("show", fifo, NULL);
    int status = 0;
    waitpid(writer, &status, 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Free"));
    pu_run_result_free(&r);
    remove(fifo);
    remove(snap);
}

static void test_unwritable_output(void **state)
{
    (void)state;
    pu_run_result r = vmmap("snapshot", "--self", "-o", "/nonexistent/dir/x.json", NULL);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.err, "/nonexistent/dir"));
    pu_run_result_free(&r);
}

static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* `vmmap -5`: one message for one mistake (getopt's own "invalid option" was a second one). */
static void test_one_message_per_mistake(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"-5", NULL, "unknown option -5"},
        {"show", "--bogus", "unknown option --bogus"},
        {"show", "--type", "option --type needs a value"},
        {"watch", "-o", "option -o needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pu_run_result r = cases[i][1] ? vmmap(cases[i][0], "--self", cases[i][1], NULL) : vmmap(cases[i][0], NULL);
        if (r.exit_code != 2 || !strstr(r.err, cases[i][2]) || occurrences(r.err, "error") != 1 ||
            strstr(r.err, "invalid option"))
            fail_msg("%s %s: exit %d, stderr: %s", cases[i][0], cases[i][1] ? cases[i][1] : "", r.exit_code, r.err);
        assert_memory_equal(r.err, "vmmap: error: ", 14);
        assert_non_null(strstr(r.err, "vmmap: hint: "));
        pu_run_result_free(&r);
    }
}

/* `vmmap 123 456`: one target is expected, and diff compares two. */
static void test_two_targets_point_at_diff(void **state)
{
    (void)state;
    pu_run_result r = vmmap("123", "456", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "one target expected"));
    assert_non_null(strstr(r.err, "vmmap: hint: to compare two processes or snapshots: vmmap diff 123 456"));
    pu_run_result_free(&r);
}

/* --address beyond the user address space is an error in our format (stderr, exit 2); a free
 * gap is an answer (stdout, exit 0). */
static void test_address_outside_user_space(void **state)
{
    (void)state;
    char a[512];
    path_in_tmp(a, sizeof a, "addr.json");
    pu_run_result r = vmmap("snapshot", "--self", "-q", "-o", a, NULL);
    assert_int_equal(r.exit_code, 0);
    pu_run_result_free(&r);
    r = vmmap("show", a, "--address", "0xffffffffffffffff", NULL);
    if (r.exit_code != 2 || r.out_len != 0 || strncmp(r.err, "vmmap: error: --address FFFFFFFFFFFFFFFF: outside the user "
                                                             "address space", 68) != 0)
        fail_msg("exit %d; stdout: %s; stderr: %s", r.exit_code, r.out, r.err);
    assert_non_null(strstr(r.err, "vmmap: hint: "));
    pu_run_result_free(&r);
    r = vmmap("show", a, "--address", "0x1000", NULL); /* below every mapping: Free */
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Free"));
    pu_run_result_free(&r);
}

/* A 131,000-character argument: the message keeps its reason (it was cut at about 780 bytes). */
static void test_huge_argument_keeps_the_reason(void **state)
{
    (void)state;
    size_t n = 131000;
    char *huge = malloc(n + 1), *path = malloc(n + 16);
    assert_non_null(huge);
    assert_non_null(path);
    memset(huge, 'a', n);
    huge[n] = '\0';
    snprintf(path, n + 16, "%s/%s", tmpdir, huge);
    pu_run_result r = vmmap("show", "--self", "--type", huge, NULL);
    assert_int_equal(r.exit_code, 2);
    assert_true(r.err_len < 1000);
    assert_non_null(strstr(r.err, "...(131001 bytes)...")); /* the word is the argument and its colon */
    assert_non_null(strstr(r.err, ": unknown type"));
    pu_run_result_free(&r);
    r = vmmap("snapshot", "--self", "-o", path, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_true(r.err_len < 1000);
    assert_non_null(strstr(r.err, "the file name is too long"));
    pu_run_result_free(&r);
    free(huge);
    free(path);
}

/* --help says what the commands do: show's columns include Pss and Swap and its --type the
 * pagetable that diff accepts; the general help lists every environment variable. */
static void test_help_is_complete(void **state)
{
    (void)state;
    pu_run_result r = vmmap("show", "--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Pss"));
    assert_non_null(strstr(r.out, "Swap"));
    assert_non_null(strstr(r.out, "pagetable"));
    pu_run_result_free(&r);
    r = vmmap("show", "--self", "--type", "pagetable", NULL);
    assert_int_equal(r.exit_code, 0);
    pu_run_result_free(&r);
    r = vmmap("--help", NULL);
    const char *const vars[] = {"VMMAP_THREADS", "VMMAP_FSYNC", "VMMAP_TIMINGS", "VMMAP_DIFF_TIMINGS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (!strstr(r.out, vars[i]))
            fail_msg("vmmap --help does not mention %s", vars[i]);
    pu_run_result_free(&r);
}

/* Counted nouns agree with their count: "1 thread", "Growth over 1 sample". */
/* A mistyped command is said to be one, with the command meant (`vmmap heap X` used to answer
 * "summary: one target expected, got two" and suggest `vmmap diff heap X`); `help` of no command
 * is an error; a --color value that means nothing is refused, not taken for auto. */
static void test_mistyped_command_and_values(void **state)
{
    (void)state;
    char snap[512];
    path_in_tmp(snap, sizeof snap, "typo.json");
    assert_int_equal(pu_snapshot_self(snap), 0);
    const char *const typos[][2] = {{"heap", "heaps"}, {"snapsht", "snapshot"}, {"shw", "show"}};
    for (size_t i = 0; i < 3; i++) {
        pu_run_result r = vmmap(typos[i][0], snap, NULL);
        char says[128];
        snprintf(says, sizeof says, "vmmap: error: %s: no such command\nvmmap: hint: did you mean `vmmap %s`?",
                 typos[i][0], typos[i][1]);
        if (r.exit_code != 2 || !strstr(r.err, says))
            fail_msg("vmmap %s SNAPSHOT: exit %d: %s", typos[i][0], r.exit_code, r.err);
        pu_run_result_free(&r);
    }
    pu_run_result r = vmmap(snap, snap, NULL); /* two real targets still point at diff */
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "vmmap diff "));
    pu_run_result_free(&r);
    r = vmmap("help", "shw", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "help shw: no such command"));
    assert_non_null(strstr(r.err, "`vmmap help show`"));
    pu_run_result_free(&r);
    r = vmmap(snap, "--color=sometimes", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--color sometimes: expected auto, always or never"));
    pu_run_result_free(&r);
    remove(snap);
}

static void test_grammar(void **state)
{
    (void)state;
    char a[512], dir[512];
    path_in_tmp(a, sizeof a, "one.json");
    pu_run_result r = vmmap("snapshot", "--self", "-o", a, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, " 1 thread,"));
    pu_run_result_free(&r);
    r = vmmap("summary", a, NULL);
    assert_non_null(strstr(r.out, " 1 thread,"));
    assert_null(strstr(r.out, " 1 threads"));
    pu_run_result_free(&r);
    path_in_tmp(dir, sizeof dir, "one-sample");
    r = vmmap("watch", "--self", "-n", "1", "-q", "-o", dir, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Growth over 1 sample,"));
    pu_run_result_free(&r);
    char rm[600];
    snprintf(rm, sizeof rm, "%s", dir);
    pu_tempdir_remove(rm);
    /* The warnings say "1 heap is", "1 counter" too (a dump with one heap it did not capture). */
    const char *dump = pu_testdata("minidumps/node-minidump__windows.dmp");
    if (!dump)
        return;
    r = vmmap("show", dump, "--warnings", NULL);
    assert_int_equal(r.exit_code, 0);
    if (!strstr(r.out, "1 of 1 heap is listed as \"not captured\": its memory") || strstr(r.out, " 1 heaps"))
        fail_msg("show DUMP --warnings:\n%s", r.out);
    pu_run_result_free(&r);
}

/* info counts heaps as the summary does: every heap listed, then how many were walked. */
static void test_info_heap_count_matches_summary(void **state)
{
    (void)state;
    const char *dump = pu_testdata("minidumps/breakpad__tiny-exe-with-cet-xsave.dmp");
    if (!dump)
        skip();
    pu_run_result r = vmmap("info", dump, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "; 1 heap (0 walked, 1 not captured)"));
    pu_run_result_free(&r);
    r = vmmap(dump, NULL);
    assert_non_null(strstr(r.out, ", 1 heap\n"));
    pu_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_not_built_is_said),
        cmocka_unit_test(test_output_by_extension),
        cmocka_unit_test(test_targets_not_found),
        cmocka_unit_test(test_snapshot_file_round_trip),
        cmocka_unit_test(test_show_filters_and_address),
        cmocka_unit_test(test_bad_snapshot_file),
        cmocka_unit_test(test_unwritable_output),
        cmocka_unit_test(test_one_message_per_mistake),
        cmocka_unit_test(test_two_targets_point_at_diff),
        cmocka_unit_test(test_address_outside_user_space),
        cmocka_unit_test(test_huge_argument_keeps_the_reason),
        cmocka_unit_test(test_help_is_complete),
        cmocka_unit_test(test_grammar),
        cmocka_unit_test(test_mistyped_command_and_values),
        cmocka_unit_test(test_info_heap_count_matches_summary),
        cmocka_unit_test(test_file_kind_from_first_bytes),
        cmocka_unit_test(test_directory_target),
        cmocka_unit_test(test_snapshot_through_a_pipe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
