/* Cores of the Linux sample (samples/linux/sample.c), made in the test, against a live snapshot
 * taken just before: gdb's gcore of the running sample, and the kernel's core of a second sample
 * killed with SIGABRT (only where the kernel writes cores into the process's directory: a
 * core_pattern that is a plain relative name; the test never changes the system-wide setting).
 * Every ground-truth item is typed in the core's snapshot as the sample says; every block the
 * core has is typed as in the live snapshot; `vmmap diff LIVE CORE` reports no type change.  The
 * kernel's core is read gzip-compressed, as users keep them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/sample_truth.h"
#include "tests/support/truth_check.h"

#define SAMPLE_START_MS 10000
#define RUN_MS 120000

typedef struct fixture {
    char *vmmap, *sample;
    char dir[64];
    pu_child sample_child;
} fixture;

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    signal(SIGPIPE, SIG_IGN);
    f->sample_child.stdin_fd = f->sample_child.stdout_fd = -1;
    /* Absolute: the kernel-core test starts the sample from the temporary directory. */
    char *vmmap = pu_build_path("vmmap"), *sample = pu_build_path("samples/sample");
    f->vmmap = vmmap ? realpath(vmmap, NULL) : NULL;
    f->sample = sample ? realpath(sample, NULL) : NULL;
    free(vmmap);
    free(sample);
    if (!f->vmmap || !f->sample || pu_tempdir(f->dir, sizeof f->dir) != 0) {
        fprintf(stderr, "test_core_sample: need build/vmmap and build/samples/sample (make first)\n");
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    pu_child_stop(&f->sample_child, 5000);
    if (f->dir[0])
        pu_tempdir_remove(f->dir);
    free(f->vmmap);
    free(f->sample);
    free(f);
    return 0;
}

/* Runs vmmap with argv (NULL-terminated, after the binary); fails the test unless it exits 0. */
static pu_run_result run_vmmap(fixture *f, const char *const *args)
{
    char *argv[16];
    size_t n = 0;
    argv[n++] = f->vmmap;
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    pu_run_result r = {0};
    pu_run_opts o = {.timeout_ms = RUN_MS};
    if (pu_run(argv, &o, &r) != 0)
        fail_msg("cannot run vmmap: %s", pu_last_error());
    if (r.exit_code != 0)
        fail_msg("vmmap %s %s: exit %d\n%s", args[0], args[1] ? args[1] : "", r.exit_code, r.err);
    return r;
}

static cJSON *snapshot(fixture *f, const char *target, const char *name)
{
    char out[256];
    snprintf(out, sizeof out, "%s/%s", f->dir, name);
    const char *args[] = {"snapshot", target, "-o", out, "-q", NULL};
    pu_run_result r = run_vmmap(f, args);
    pu_run_result_free(&r);
    cJSON *j = pu_json_load(out);
    if (!j)
        fail_msg("%s: %s", out, pu_last_error());
    return j;
}

/* Every non-free block of live that the core also has is of the same type there. */
static void same_types(const cJSON *live, const cJSON *core)
{
    const cJSON *region, *block;
    size_t compared = 0, absent = 0;
    cJSON_ArrayForEach(region, cJSON_GetObjectItemCaseSensitive(live, "regions"))
    cJSON_ArrayForEach(block, cJSON_GetObjectItemCaseSensitive(region, "blocks"))
    {
        uint64_t a = 0;
        if (str_is(block, "type", "Free") || pu_json_hex(block, "address", &a) != 0)
            continue;
        const cJSON *other = pu_snapshot_find_block(core, a, NULL);
        if (!other || str_is(other, "type", "Free")) {
            absent++; /* not in the core ([vvar]; MADV_DONTDUMP) */
            continue;
        }
        char d1[256], d2[256];
        expect(str_is(other, "type", str_or(block, "type")), "block 0x%" PRIx64 ": live %s, core %s", a,
               describe(block, d1, sizeof d1), describe(other, d2, sizeof d2));
        compared++;
    }
    expect(compared > 20, "only %zu blocks compared", compared);
    print_message("note: %zu blocks typed alike, %zu of the live snapshot not in the core\n", compared, absent);
}

/* `vmmap diff LIVE CORE -o JSON`: no change carries the "type" flag. */
static void no_type_change(fixture *f, const char *live, const char *core)
{
    char out[256], a[256], b[256];
    snprintf(out, sizeof out, "%s/diff.json", f->dir);
    snprintf(a, sizeof a, "%s/%s", f->dir, live);
    snprintf(b, sizeof b, "%s/%s", f->dir, core);
    const char *args[] = {"diff", a, b, "-o", out, "-q", NULL};
    pu_run_result r = run_vmmap(f, args);
    pu_run_result_free(&r);
    cJSON *d = pu_json_load(out);
    if (!d)
        fail_msg("%s: %s", out, pu_last_error());
    const cJSON *c, *flag;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(d, "changes"))
    cJSON_ArrayForEach(flag, cJSON_GetObjectItemCaseSensitive(c, "flags"))
        expect(!cJSON_IsString(flag) || strcmp(flag->valuestring, "type") != 0, "diff: %s at %s changed type",
               str_or(c, "type"), str_or(c, "address"));
    cJSON_Delete(d);
}

static bool have_program(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* gdb's gcore leaves out mappings named with PR_SET_VMA ([anon:NAME]): not in the core, the item
 * cannot be typed; it is dropped from the truth with a note (the kernel's core keeps them). */
static void drop_absent_named_anon(cJSON *truth, const cJSON *core)
{
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(truth, "named_anon");
    uint64_t a = 0;
    if (!na || pu_json_hex(na, "address", &a) != 0)
        return;
    const cJSON *b = pu_snapshot_find_block(core, a, NULL);
    if (b && !str_is(b, "type", "Free"))
        return;
    print_message("note: named_anon (an [anon:NAME] mapping) is not in the core: gcore leaves such mappings out\n");
    cJSON_DeleteItemFromObjectCaseSensitive(truth, "named_anon");
}

static void check_core(fixture *f, const cJSON *sample_truth, const char *core_path, const char *live_name,
                       const char *source_writer, bool gcore)
{
    cJSON *live = pu_json_load(live_name);
    if (!live)
        fail_msg("%s: %s", live_name, pu_last_error());
    cJSON *core = snapshot(f, core_path, "core.json");
    cJSON *truth = cJSON_Duplicate(sample_truth, 1);
    expect(str_is(core, "source", "core"), "source %s, want core", str_or(core, "source"));
    g_errors = 0;
    if (gcore)
        drop_absent_named_anon(truth, core);
    st_check_sample(core, truth);
    cJSON_Delete(truth);
    same_types(live, core);
    no_type_change(f, "live.json", "core.json");
    cJSON_Delete(live);
    cJSON_Delete(core);
    expect_none(source_writer);
}

static void test_gcore_matches_live(void **state)
{
    fixture *f = *state;
    if (!have_program("gcore")) {
        print_message("skipped: gcore (Debian's gdb package) is not installed\n");
        skip();
    }
    char *argv[] = {f->sample, NULL};
    if (pu_sample_start(&f->sample_child, argv, SAMPLE_START_MS) != 0)
        fail_msg("cannot start the sample: %s", pu_last_error());
    char pid[32], live[256], prefix[256], core[300], cmd[700];
    snprintf(pid, sizeof pid, "%d", (int)f->sample_child.pid);
    snprintf(live, sizeof live, "%s/live.json", f->dir);
    cJSON_Delete(snapshot(f, pid, "live.json"));
    snprintf(prefix, sizeof prefix, "%s/gcore", f->dir);
    snprintf(cmd, sizeof cmd, "gcore -o %s %s >%s/gcore.log 2>&1", prefix, pid, f->dir);
    if (system(cmd) != 0) {
        print_message("skipped: gcore could not attach to the sample (ptrace not allowed here?)\n");
        skip();
    }
    snprintf(core, sizeof core, "%s.%s", prefix, pid);
    check_core(f, f->sample_child.truth, core, live, "gcore vs live", true);
    unlink(core);
    pu_child_stop(&f->sample_child, 5000);
}

/* The kernel writes "core" (or a pattern of it) in the dumping process's directory. */
static bool core_pattern_is_local(char *pattern, size_t len)
{
    FILE *p = fopen("/proc/sys/kernel/core_pattern", "r");
    if (!p || !fgets(pattern, (int)len, p)) {
        if (p)
            fclose(p);
        return false;
    }
    fclose(p);
    pattern[strcspn(pattern, "\n")] = '\0';
    return pattern[0] && pattern[0] != '|' && !strchr(pattern, '/');
}

static bool find_core(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d));)
        if (strncmp(e->d_name, "core", 4) == 0 && !strstr(e->d_name, ".json")) {
            snprintf(out, len, "%s/%s", dir, e->d_name);
            found = true;
        }
    closedir(d);
    return found;
}

static void test_kernel_core_matches_live(void **state)
{
    fixture *f = *state;
    char pattern[256];
    if (!core_pattern_is_local(pattern, sizeof pattern)) {
        print_message("skipped: /proc/sys/kernel/core_pattern is \"%s\": the kernel's cores do not go to the "
                      "process's directory, and the test does not change a system-wide setting\n", pattern);
        skip();
    }
    if (!have_program("gzip")) {
        print_message("skipped: gzip is not installed\n");
        skip();
    }
    /* The child inherits the directory and the core size limit. */
    char here[4096];
    struct rlimit old, unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(getrlimit(RLIMIT_CORE, &old), 0);
    if (setrlimit(RLIMIT_CORE, &unlimited) != 0) {
        unlimited.rlim_cur = unlimited.rlim_max = old.rlim_max;
        if (old.rlim_max != RLIM_INFINITY || setrlimit(RLIMIT_CORE, &unlimited) != 0) {
            print_message("skipped: cannot raise RLIMIT_CORE (hard limit %llu)\n", (unsigned long long)old.rlim_max);
            skip();
        }
    }
    char *argv[] = {f->sample, NULL};
    assert_int_equal(chdir(f->dir), 0);
    int rc = pu_sample_start(&f->sample_child, argv, SAMPLE_START_MS);
    assert_int_equal(chdir(here), 0);
    setrlimit(RLIMIT_CORE, &old);
    if (rc != 0)
        fail_msg("cannot start the sample: %s", pu_last_error());
    cJSON *truth = cJSON_Duplicate(f->sample_child.truth, 1);
    char pid[32], live[256], core[512], gz[600], cmd[1300];
    snprintf(pid, sizeof pid, "%d", (int)f->sample_child.pid);
    snprintf(live, sizeof live, "%s/live.json", f->dir);
    cJSON_Delete(snapshot(f, pid, "live.json"));
    kill(f->sample_child.pid, SIGABRT);
    int status = 0;
    while (waitpid(f->sample_child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    f->sample_child.reaped = true;
    f->sample_child.status = status;
    pu_child_stop(&f->sample_child, 5000); /* cleanup: pipes, the sample's files */
    if (!WIFSIGNALED(status) || !WCOREDUMP(status) || !find_core(f->dir, core, sizeof core)) {
        cJSON_Delete(truth);
        print_message("skipped: the kernel wrote no core (status 0x%x, core_pattern \"%s\")\n", status, pattern);
        skip();
    }
    snprintf(gz, sizeof gz, "%s.gz", core);
    snprintf(cmd, sizeof cmd, "gzip -1 -c %s > %s", core, gz);
    assert_int_equal(system(cmd), 0);
    unlink(core);
    check_core(f, truth, gz, live, "kernel core vs live", false);
    cJSON_Delete(truth);
    unlink(gz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcore_matches_live),
        cmocka_unit_test(test_kernel_core_matches_live),
    };
    return cmocka_run_group_tests_name("cores of the sample", tests, group_setup, group_teardown);
}
