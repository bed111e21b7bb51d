/* What `make` prints while it builds: no compiler command lines (README: "Compiler command lines
 * are not printed, so what you read are the test results"), and `make V=1` shows them.  Every
 * kind of rule is built once into a private BUILD folder: a C sample, the C++ census plugin and
 * a C++ sample linked with it (mk/census.mk). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    return pu_tempdir_remove_tree(tmpdir); /* our own directory, with the build tree */
}

/* make TARGETS in BUILD=tmpdir/NAME, run from the repository (the tests' working directory),
 * outside the make that runs the tests (its flags would make this one silent or parallel). */
static pu_run_result make(const char *name, const char *vars, const char *targets)
{
    char cmd[2048], build[400];
    snprintf(build, sizeof build, "%s/%s", tmpdir, name);
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory BUILD=%s %s", build,
             vars);
    size_t used = strlen(cmd);
    for (const char *t = targets; *t;) {
        size_t n = strcspn(t, " ");
        used += (size_t)snprintf(cmd + used, sizeof cmd - used, " %s/%.*s", build, (int)n, t);
        t += n + strspn(t + n, " ");
    }
    pu_run_result r;
    if (pu_run_shell(cmd, &r) != 0)
        fail_msg("cannot run sh -c %s: %s", cmd, pu_last_error());
    if (r.exit_code != 0)
        fail_msg("%s: exit %d:\n%s%s", cmd, r.exit_code, r.out, r.err);
    return r;
}

static const char *const compilers[] = {"cc ", "gcc ", "g++ ", "clang ", "mingw32-"};

static const char *compiler_line(const char *text)
{
    for (size_t i = 0; i < sizeof compilers / sizeof compilers[0]; i++) {
        const char *p = strstr(text, compilers[i]);
        if (p)
            return p;
    }
    return NULL;
}

static const char samples[] = "samples/sample samples/libcensus_plugin.so samples/census";

static void test_build_prints_no_command_lines(void **state)
{
    (void)state;
    pu_run_result r = make("quiet", "", samples);
    const char *line = compiler_line(r.out);
    if (line || r.out_len)
        fail_msg("make printed what it ran (V=1 should be needed for that):\n%s", r.out);
    pu_run_result_free(&r);
}

/* The other side: V=1 shows every compiler command, so the test above could see one. */
static void test_v1_shows_the_command_lines(void **state)
{
    (void)state;
    pu_run_result r = make("verbose", "V=1", samples);
    if (!strstr(r.out, "samples/linux/sample.c") || !strstr(r.out, "samples/common/census_plugin.cpp") ||
        !strstr(r.out, "samples/linux/census.cpp"))
        fail_msg("make V=1 did not show each compiler command:\n%s", r.out);
    pu_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_prints_no_command_lines),
        cmocka_unit_test(test_v1_shows_the_command_lines),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
