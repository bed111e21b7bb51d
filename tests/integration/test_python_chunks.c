/* Issue 10's Python process, exactly: a python3 (Debian's, scripts/deps.sh) holding 300
 * bytearrays of 176 KiB, each an mmapped malloc chunk, interleaved with private mmap.mmap objects
 * (samples/linux/py_chunks.py), so the kernel merges them into one VMA in which no chunk starts
 * it.  vmmap must find every chunk glibc counts (mallinfo2's hblks and hblkhd, printed from inside
 * through ctypes) and make each a Heap block of its own; the mmaps between stay Private Data.
 * Checked with the early pass and without it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/truth_check.h"

#define PYTHON "/usr/bin/python3"

static pu_child child;
static char dir[256];

static int setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    child.stdin_fd = child.stdout_fd = -1;
    if (access(PYTHON, X_OK) != 0) {
        fprintf(stderr, "test_python_chunks: %s is missing (scripts/deps.sh installs python3)\n", PYTHON);
        return -1;
    }
    char *argv[] = {(char *)PYTHON, (char *)"samples/linux/py_chunks.py", NULL};
    if (pu_sample_start(&child, argv, 20000) != 0) {
        fprintf(stderr, "test_python_chunks: cannot start the script: %s\n", pu_last_error());
        return -1;
    }
    return pu_tempdir(dir, sizeof dir);
}

static int teardown(void **state)
{
    if (child.pid > 0)
        pu_child_stop(&child, 5000);
    if (dir[0])
        pu_tempdir_remove(dir);
    return 0;
}

static void check(const char *early)
{
    g_errors = 0;
    char *vmmap = pu_build_path("vmmap");
    char pid[32], out[512];
    snprintf(pid, sizeof pid, "%d", (int)child.pid);
    snprintf(out, sizeof out, "%s/py.json", dir);
    char *argv[] = {vmmap, "snapshot", pid, "-o", out, "-q", NULL};
    pu_run_opts opts = {.env_name = early ? "VMMAP_TEST_EARLY_PASS" : NULL, .env_value = early, .timeout_ms = 60000};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, &opts, &r) != 0 || r.exit_code != 0)
        fail_msg("vmmap snapshot %s: exit %d\n%s", pid, r.exit_code, r.err ? r.err : "");
    pu_run_result_free(&r);
    free(vmmap);
    cJSON *snap = pu_json_load(out);
    assert_non_null(snap);
    const cJSON *w;
    cJSON_ArrayForEach(w, member(snap, "warnings"))
        print_message("  warning %s: %s\n", str_or(w, "code"), str_or(w, "message"));
    uint64_t n = 0, bytes = 0, heap_blocks = 0;
    const cJSON *h;
    cJSON_ArrayForEach(h, member(snap, "heaps"))
        if (str_is(h, "kind", "glibc mmap chunks")) {
            const cJSON *part;
            cJSON_ArrayForEach(part, member(h, "parts"))
            {
                n++;
                bytes += u64_of(part, "size");
                uint64_t a = hex_of(part, "address");
                const cJSON *b = pu_snapshot_find_block(snap, a, NULL);
                char d[400];
                if (b && hex_of(b, "address") == a && u64_of(b, "size") == u64_of(part, "size") && str_is(b, "type", "Heap"))
                    heap_blocks++;
                else
                    expect(false, "chunk 0x%" PRIx64 " is not a Heap block of its own: %s", a,
                           b ? describe(b, d, sizeof d) : "no block");
            }
        }
    print_message("  %s: vmmap %" PRIu64 " mmapped chunks of %" PRIu64 " bytes (%" PRIu64 " Heap blocks); mallinfo2 "
                  "hblks %" PRIu64 " hblkhd %" PRIu64 "\n", early ? "early pass off" : "early pass", n, bytes,
                  heap_blocks, u64_of(child.truth, "hblks"), u64_of(child.truth, "hblkhd"));
    expect(u64_of(child.truth, "hblks") >= u64_of(child.truth, "count"), "python made its bytearrays mmapped chunks");
    expect(n == u64_of(child.truth, "hblks") && bytes == u64_of(child.truth, "hblkhd"),
           "vmmap found %" PRIu64 " mmapped chunks of %" PRIu64 " bytes, glibc counts %" PRIu64 " of %" PRIu64, n, bytes,
           u64_of(child.truth, "hblks"), u64_of(child.truth, "hblkhd"));
    cJSON_Delete(snap);
    unlink(out);
    expect_none(early ? "python's chunks, early pass off" : "python's chunks");
}

static void test_every_chunk_early_pass(void **state) { check(NULL); }
static void test_every_chunk_plain_pass(void **state) { check("off"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_chunk_early_pass),
        cmocka_unit_test(test_every_chunk_plain_pass),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
