/* The man page (scripts/manpage.sh, `make man`) builds from the help texts, renders with groff
 * without a warning, and has a section for every command `vmmap --help` lists; `make install`
 * puts the binary and the page under PREFIX in DESTDIR. */
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

static int setup(void **state)
{
    (void)state;
    return pu_tempdir(tmpdir, sizeof tmpdir);
}

static int teardown(void **state)
{
    (void)state;
    return pu_tempdir_remove_tree(tmpdir); /* our own directory, with the install tree */
}

static pu_run_result shell(const char *cmd)
{
    pu_run_result r;
    if (pu_run_shell(cmd, &r) != 0)
        fail_msg("cannot run sh -c %s: %s", cmd, pu_last_error());
    return r;
}

/* The commands `vmmap --help` lists: "  NAME   summary" lines after "Commands:". */
static size_t listed_commands(char names[][32], size_t max)
{
    char *bin = pu_build_path("vmmap");
    char *argv[] = {bin, "--help", NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(pu_run(argv, NULL, &r), 0);
    assert_int_equal(r.exit_code, 0);
    const char *p = strstr(r.out, "\nCommands:\n");
    assert_non_null(p);
    size_t n = 0;
    for (p += 11; n < max && strncmp(p, "  ", 2) == 0 && p[2] != ' '; p = strchr(p, '\n') + 1) {
        sscanf(p, " %31s", names[n]);
        n++;
    }
    pu_run_result_free(&r);
    free(bin);
    return n;
}

static void test_man_page_lists_every_command(void **state)
{
    (void)state;
    if (access("/usr/bin/groff", X_OK) != 0) {
        print_message("[ SKIP     ] groff is not installed (groff-base, scripts/deps.sh)\n");
        skip();
    }
    char page[512], cmd[2048];
    snprintf(page, sizeof page, "%s/vmmap.1", tmpdir);
    snprintf(cmd, sizeof cmd, "scripts/manpage.sh %s/vmmap > %s", pu_build_dir(), page);
    pu_run_result r = shell(cmd);
    if (r.exit_code != 0)
        fail_msg("%s: exit %d: %s", cmd, r.exit_code, r.err);
    pu_run_result_free(&r);

    /* Renders, and groff has nothing to say about it (-ww: every warning). */
    snprintf(cmd, sizeof cmd, "groff -k -man -Tutf8 -ww -z %s", page); /* -k: UTF-8 input, as man reads it */
    r = shell(cmd);
    if (r.exit_code != 0 || r.err_len != 0)
        fail_msg("%s: exit %d: %s", cmd, r.exit_code, r.err);
    pu_run_result_free(&r);
    snprintf(cmd, sizeof cmd, "groff -k -man -Tutf8 -P-cbou %s | tr -s ' '", page); /* justified: one space */
    r = shell(cmd);
    assert_int_equal(r.exit_code, 0);
    const char *sections[] = {"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "SEE ALSO"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (!strstr(r.out, sections[i]))
            fail_msg("the man page has no %s section", sections[i]);
    assert_non_null(strstr(r.out, "vmmap - map a process's virtual memory"));

    char names[32][32];
    size_t n = listed_commands(names, 32);
    assert_true(n >= 8);
    for (size_t i = 0; i < n; i++) {
        char heading[128], usage[128];
        snprintf(heading, sizeof heading, "\n vmmap %.31s\n", names[i]); /* a .SS heading */
        snprintf(usage, sizeof usage, "Usage: vmmap %.31s", names[i]);
        bool summary = strcmp(names[i], "summary") == 0; /* "Usage: vmmap [summary] TARGET" */
        if (!strstr(r.out, heading) || (!summary && !strstr(r.out, usage)))
            fail_msg("the man page has no section with the help of vmmap %s", names[i]);
    }
    pu_run_result_free(&r);
}

/* make install PREFIX=/usr DESTDIR=tmp: the binary and the page, nothing outside DESTDIR. */
static void test_make_install(void **state)
{
    (void)state;
    char cmd[2048], bin[600], man[600];
    snprintf(cmd, sizeof cmd,
             "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s install BUILD=%s PREFIX=/usr "
             "DESTDIR=%s/root",
             pu_build_dir(), tmpdir);
    pu_run_result r = shell(cmd);
    if (r.exit_code != 0)
        fail_msg("%s: exit %d: %s%s", cmd, r.exit_code, r.out, r.err);
    pu_run_result_free(&r);
    snprintf(bin, sizeof bin, "%s/root/usr/bin/vmmap", tmpdir);
    snprintf(man, sizeof man, "%s/root/usr/share/man/man1/vmmap.1", tmpdir);
    struct stat st;
    assert_int_equal(stat(bin, &st), 0);
    assert_true(st.st_mode & S_IXUSR);
    assert_int_equal(stat(man, &st), 0);
    assert_true(st.st_size > 1000);
    char *argv[] = {bin, "--version", NULL};
    memset(&r, 0, sizeof r);
    assert_int_equal(pu_run(argv, NULL, &r), 0);
    assert_int_equal(r.exit_code, 0);
    assert_memory_equal(r.out, "vmmap ", 6);
    pu_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_man_page_lists_every_command),
        cmocka_unit_test(test_make_install),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
