/* Thread stacks of running threads: the fallbacks behind the syscall stack pointer.
 *
 * A thread that is running when vmmap reads /proc/PID/task/TID/syscall has no stack pointer
 * there; vmmap then reads glibc's own thread list from target memory, or, when exactly one
 * thread is still missing, picks the one stack-shaped mapping nobody claimed.  A running thread
 * cannot be produced on demand, so these tests limit vmmap to one method with the test hook
 * VMMAP_TEST_STACK_METHODS and check the result on live processes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/truth_check.h"

#define RUN_MS 60000

/* Snapshots pid with only `methods` allowed; returns the loaded snapshot (test fails otherwise). */
static cJSON *snapshot_with(pid_t pid, const char *methods, const char *dir)
{
    char out[512];
    snprintf(out, sizeof out, "%s/%s.json", dir, methods);
    pu_run_opts opts = {.env_name = "VMMAP_TEST_STACK_METHODS", .env_value = methods, .timeout_ms = RUN_MS};
    cJSON *snap = pu_snapshot_pid(pid, out, NULL, NULL, &opts);
    if (!snap)
        fail_msg("with %s: %s", methods, pu_last_error());
    return snap;
}

static const cJSON *thread_entry(const cJSON *snap, uint64_t tid)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(snap, "threads"))
    {
        uint64_t v = 0;
        if (pu_json_u64(t, "tid", &v) == 0 && v == tid)
            return t;
    }
    return NULL;
}

/* The block holding a thread's stack local is Stack, linked to that thread. */
static void expect_stack_of(const cJSON *snap, uint64_t tid, uint64_t local, const char *found_by)
{
    const cJSON *b = pu_snapshot_find_block(snap, local, NULL);
    uint64_t linked = 0;
    expect(b && str_is(b, "type", "Stack"), "thread %" PRIu64 ": its stack local 0x%" PRIx64 " is in a %s block",
           tid, local, b ? str_or(b, "type") : "(no)");
    expect(b && pu_json_u64(b, "thread", &linked) == 0 && linked == tid,
           "thread %" PRIu64 ": the stack block is linked to thread %" PRIu64, tid, linked);
    const cJSON *t = thread_entry(snap, tid);
    expect(t && str_is(t, "found_by", found_by), "thread %" PRIu64 ": found_by %s, want %s", tid,
           t ? str_or(t, "found_by") : "(no entry)", found_by);
}

static int count_warnings(const cJSON *snap, const char *code)
{
    int n = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(snap, "warnings")) n += str_is(w, "code", code);
    return n;
}

typedef struct fixture {
    pu_child sample;
    char dir[256];
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    char *sample = pu_build_path("samples/sample");
    char *argv[] = {sample, NULL};
    int rc = pu_tempdir(f.dir, sizeof f.dir) == 0 && pu_sample_start(&f.sample, argv, 10000) == 0 ? 0 : -1;
    free(sample);
    if (rc != 0)
        fprintf(stderr, "setup: %s\n", pu_last_error());
    *state = &f;
    return rc;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pu_child_stop(&f->sample, 5000);
    pu_tempdir_remove(f->dir);
    return 0;
}

/* Only glibc's thread list: every thread of the sample is still found, with the right id. */
static void test_glibc_thread_list(void **state)
{
    fixture *f = *state;
    g_errors = 0;
    cJSON *snap = snapshot_with(f->sample.pid, "glibc", f->dir);
    const cJSON *t;
    int checked = 0;
    cJSON_ArrayForEach(t, member(f->sample.truth, "threads"))
    {
        uint64_t tid = u64_of(t, "tid");
        bool is_main = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "main"));
        expect_stack_of(snap, tid, hex_of(t, "stack_local"), is_main ? "[stack] mapping" : "glibc thread list");
        checked++;
    }
    expect(checked >= 8, "only %d threads in the ground truth", checked);
    expect(count_warnings(snap, "thread-stack") == 0, "%d thread-stack warnings", count_warnings(snap, "thread-stack"));
    cJSON_Delete(snap);
    expect_none("stacks from glibc's thread list");
}

/* Only the stack shape, with seven threads missing: no guess.  Each is listed as not found, with
 * a warning, and no stack is attributed to a thread. */
static void test_shape_refuses_to_guess(void **state)
{
    fixture *f = *state;
    g_errors = 0;
    cJSON *snap = snapshot_with(f->sample.pid, "shape", f->dir);
    int missing = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, member(f->sample.truth, "threads"))
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "main")))
            continue;
        uint64_t tid = u64_of(t, "tid");
        const cJSON *e = thread_entry(snap, tid);
        expect(e && str_is(e, "found_by", "not found"), "thread %" PRIu64 ": found_by %s", tid,
               e ? str_or(e, "found_by") : "(no entry)");
        const cJSON *b = pu_snapshot_find_block(snap, hex_of(t, "stack_local"), NULL);
        expect(b && !cJSON_GetObjectItemCaseSensitive(b, "thread"),
               "thread %" PRIu64 ": its stack is attributed to a thread without evidence", tid);
        missing++;
    }
    expect(count_warnings(snap, "thread-stack") == missing, "%d thread-stack warnings for %d missing threads",
           count_warnings(snap, "thread-stack"), missing);
    cJSON_Delete(snap);
    expect_none("stack shape with several threads missing");
}

/* A process with one extra thread: with only the shape allowed, that one thread's stack is the
 * one stack-shaped mapping (a guard page below a read/write mapping) nobody else claimed. */
static void *blocked(void *arg)
{
    int *fds = arg;
    volatile uint64_t local = 0;
    uint64_t msg[2] = {(uint64_t)gettid(), (uint64_t)(uintptr_t)&local};
    if (write(fds[1], msg, sizeof msg) != (ssize_t)sizeof msg)
        _exit(3);
    char c;
    while (read(fds[2], &c, 1) < 0) {
    }
    return NULL;
}

static void test_shape_single_thread(void **state)
{
    fixture *f = *state;
    g_errors = 0;
    int up[2], down[2];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int fds[3] = {up[0], up[1], down[0]};
        pthread_t th;
        if (pthread_create(&th, NULL, blocked, fds) != 0)
            _exit(2);
        pause(); /* until the test kills us */
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    uint64_t msg[2];
    assert_int_equal(read(up[0], msg, sizeof msg), (ssize_t)sizeof msg);
    pu_sleep_ms(100); /* the thread is in read() by now, or about to be: either is fine here */
    cJSON *snap = snapshot_with(child, "shape", f->dir);
    kill(child, SIGKILL); /* our own child, by its pid */
    waitpid(child, NULL, 0);
    close(up[0]);
    close(down[1]);
    expect_stack_of(snap, msg[0], msg[1], "stack shape (the only unlocated thread)");
    cJSON_Delete(snap);
    expect_none("stack shape with one thread missing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glibc_thread_list),
        cmocka_unit_test(test_shape_refuses_to_guess),
        cmocka_unit_test(test_shape_single_thread),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
