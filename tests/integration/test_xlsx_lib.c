/* libxlsxwriter is loaded only when a workbook is written (report/xlsx_lib.h): build/vmmap does
 * not list it among its needed libraries, a snapshot of vmmap itself does not find it mapped, and
 * without it (VMMAP_TEST_XLSX_LIB=/nonexistent) every command that writes a workbook fails with
 * exit 1, naming the library and its Debian package, and leaves no file -- while the outputs
 * that need no workbook still work, and a workbook is written when the library is there. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tests/support/proc_util.h"

#define HOOK "VMMAP_TEST_XLSX_LIB"
#define ABSENT "/nonexistent"

static char tmpdir[256];
static char snap[512]; /* a snapshot of vmmap itself, taken once */

static void in_tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* build/vmmap with the arguments (NULL-terminated), with HOOK=lib when lib is not NULL. */
static pu_run_result vmmap_with(const char *lib, const char *a1, ...)
{
    pu_run_opts opts = {.env_name = lib ? HOOK : NULL, .env_value = lib};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    va_list ap;
    va_start(ap, a1);
    int rc = pu_vmmapv(&r, &opts, a1, ap);
    va_end(ap);
    if (rc != 0)
        fail_msg("cannot run vmmap: %s", pu_last_error());
    return r;
}

static int setup(void **state)
{
    (void)state;
    return pu_tempdir_with_self_snapshot(tmpdir, sizeof tmpdir, snap, sizeof snap);
}

static int teardown(void **state)
{
    (void)state;
    return pu_tempdir_remove(tmpdir);
}

/* readelf -d build/vmmap: libc among the NEEDED entries (the listing is what we think it is), and
 * neither libxlsxwriter nor what it brings along. */
static void test_not_linked(void **state)
{
    (void)state;
    char *bin = pu_build_path("vmmap");
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_runl(&r, NULL, "/usr/bin/readelf", "-d", bin, (char *)NULL) != 0 || r.exit_code != 0)
        fail_msg("readelf -d %s (binutils): exit %d: %s %s", bin, r.exit_code, pu_last_error(),
                 r.err ? r.err : "");
    if (!strstr(r.out, "(NEEDED)") || !strstr(r.out, "[libc.so.6]"))
        fail_msg("readelf -d %s lists no NEEDED libc.so.6:\n%s", bin, r.out);
    static const char *const unwanted[] = {"libxlsxwriter", "libcrypto", "libminizip"};
    for (size_t i = 0; i < sizeof unwanted / sizeof unwanted[0]; i++)
        if (strstr(r.out, unwanted[i]))
            fail_msg("%s needs %s (it must be loaded only to write a workbook):\n%s", bin, unwanted[i], r.out);
    pu_run_result_free(&r);
    free(bin);
}

/* The snapshot of vmmap itself (taken in setup, no workbook written) lists its modules: libcjson
 * (linked) among them, libxlsxwriter not. */
static void test_not_loaded_by_a_snapshot(void **state)
{
    (void)state;
    cJSON *j = pu_json_load(snap);
    assert_non_null(j);
    bool cjson = false;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(j, "modules"))
    {
        const char *path = pu_json_str(m, "path");
        if (!path)
            continue;
        if (strstr(path, "libxlsxwriter"))
            fail_msg("a snapshot of vmmap finds %s mapped: loaded without a workbook", path);
        cjson = cjson || strstr(path, "libcjson");
    }
    cJSON_Delete(j);
    if (!cjson)
        fail_msg("no libcjson among the modules of vmmap's own snapshot: the module list is not what we think");
}

/* Without the library: exit 1, the message names the output, the library, the package and the
 * hook's path; no file appears at out and nothing else is left in the directory. */
static void expect_no_library(pu_run_result *r, const char *what, const char *out)
{
    if (r->exit_code != 1)
        fail_msg("%s without libxlsxwriter: exit %d, expected 1: %s", what, r->exit_code, r->err);
    static const char *const said[] = {"vmmap: error: cannot write ", "libxlsxwriter", ABSENT,
                                       "vmmap: hint: install the package libxlsxwriter4"};
    for (size_t i = 0; i < sizeof said / sizeof said[0]; i++)
        if (!strstr(r->err, said[i]))
            fail_msg("%s without libxlsxwriter: stderr lacks \"%s\":\n%s", what, said[i], r->err);
    if (!strstr(r->err, out))
        fail_msg("%s without libxlsxwriter: the message does not name %s:\n%s", what, out, r->err);
    if (pu_file_exists(out))
        fail_msg("%s without libxlsxwriter: %s was created", what, out);
    if (pu_dir_count(tmpdir) != 1)
        fail_msg("%s without libxlsxwriter: %d entries in %s, expected the snapshot alone (a temporary?)", what,
                 pu_dir_count(tmpdir), tmpdir);
    pu_run_result_free(r);
}

static void test_workbooks_without_the_library(void **state)
{
    (void)state;
    char out[600];
    in_tmp(out, sizeof out, "r.xlsx");
    pu_run_result r = vmmap_with(ABSENT, "report", "-q", snap, "-o", out, (char *)NULL);
    expect_no_library(&r, "report", out);

    in_tmp(out, sizeof out, "live.xlsx");
    r = vmmap_with(ABSENT, "snapshot", "--self", "-q", "-o", out, (char *)NULL);
    expect_no_library(&r, "snapshot --self", out);

    in_tmp(out, sizeof out, "d.xlsx");
    r = vmmap_with(ABSENT, "diff", snap, snap, "-o", out, (char *)NULL);
    expect_no_library(&r, "diff", out);

    in_tmp(out, sizeof out, "t.xlsx");
    r = vmmap_with(ABSENT, "report", "-q", snap, snap, "-o", out, (char *)NULL);
    expect_no_library(&r, "report (timeline)", out);
}

/* An existing file at the output path is left as it was. */
static void test_existing_file_kept(void **state)
{
    (void)state;
    char out[600];
    in_tmp(out, sizeof out, "old.xlsx");
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs("keep me", f);
    assert_int_equal(fclose(f), 0);
    pu_run_result r = vmmap_with(ABSENT, "report", "-q", snap, "-o", out, (char *)NULL);
    if (r.exit_code != 1 || !strstr(r.err, "libxlsxwriter4"))
        fail_msg("report over an existing file without libxlsxwriter: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);
    char *kept = pu_read_file(out, NULL);
    assert_non_null(kept);
    assert_string_equal(kept, "keep me");
    free(kept);
    assert_int_equal(remove(out), 0);
}

/* What needs no workbook does not need the library either. */
static void test_other_outputs_without_the_library(void **state)
{
    (void)state;
    pu_run_result r = vmmap_with(ABSENT, "--version", (char *)NULL);
    if (r.exit_code != 0 || !strstr(r.out, "vmmap "))
        fail_msg("--version without libxlsxwriter: exit %d: %s", r.exit_code, r.err);
    pu_run_result_free(&r);

    static const char *const names[] = {"r.csv", "s.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char out[600];
        in_tmp(out, sizeof out, names[i]);
        r = i == 0 ? vmmap_with(ABSENT, "report", "-q", snap, "-o", out, (char *)NULL)
                   : vmmap_with(ABSENT, "snapshot", "--self", "-q", "-o", out, (char *)NULL);
        if (r.exit_code != 0 || !pu_file_exists(out))
            fail_msg("-o %s without libxlsxwriter: exit %d: %s", names[i], r.exit_code, r.err);
        pu_run_result_free(&r);
        assert_int_equal(remove(out), 0);
    }
}

/* A workbook is written as before: a zip holding xl/workbook.xml (its name is stored
 * uncompressed in the zip's headers); with the hook naming the real library too. */
static void expect_workbook(const char *lib)
{
    char out[600];
    in_tmp(out, sizeof out, "ok.xlsx");
    pu_run_result r = vmmap_with(lib, "report", "-q", snap, "-o", out, (char *)NULL);
    if (r.exit_code != 0)
        fail_msg("report -o %s (%s=%s): exit %d: %s", out, HOOK, lib ? lib : "unset", r.exit_code, r.err);
    pu_run_result_free(&r);
    size_t len = 0;
    char *book = pu_read_file(out, &len);
    assert_non_null(book);
    if (len < 4 || memcmp(book, "PK\3\4", 4) != 0 || !memmem(book, len, "xl/workbook.xml", 15))
        fail_msg("%s (%zu bytes) is not a workbook", out, len);
    free(book);
    assert_int_equal(remove(out), 0);
}

static void test_workbook_with_the_library(void **state)
{
    (void)state;
    expect_workbook(NULL);
    expect_workbook("libxlsxwriter.so.4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_linked),
        cmocka_unit_test(test_not_loaded_by_a_snapshot),
        cmocka_unit_test(test_workbooks_without_the_library),
        cmocka_unit_test(test_existing_file_kept),
        cmocka_unit_test(test_other_outputs_without_the_library),
        cmocka_unit_test(test_workbook_with_the_library),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
