/* The read-ahead window (parse/read_ahead.h): every byte it hands out is the target's, whether
 * the request joins the window read ahead (before, at or past the current window's end), jumps
 * elsewhere, runs into unreadable memory, or the caller reads through the reader itself; with
 * and without the thread.  Run under ThreadSanitizer too (make test-tsan). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/synth_mem.h"
#include "vmmap/parse/read_ahead.h"

#define BASE 0x100000ull
#define LEN (256 * 1024)
#define WINDOW 8192

static uint8_t expected(uint64_t addr)
{
    uint64_t x = addr * 0x9e3779b97f4a7c15ull;
    return (uint8_t)(x >> 56);
}

static void fill(synth_mem *m)
{
    uint8_t *p = synth_map(m, BASE, LEN);
    for (size_t i = 0; i < LEN; i++)
        p[i] = expected(BASE + i);
}

static void check(const uint8_t *p, uint64_t addr, size_t len)
{
    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        if (p[i] != expected(addr + i))
            fail_msg("byte 0x%llx: %u, expected %u", (unsigned long long)(addr + i), p[i], expected(addr + i));
}

static void sequential(bool threaded)
{
    synth_mem m = {0};
    fill(&m);
    vm_memreader mem = synth_reader(&m);
    vm_read_ahead *ra = vm_read_ahead_new(&mem, WINDOW, threaded);
    assert_non_null(ra);
    /* chunk-walk-like steps of odd sizes: headers straddle and land past window ends */
    uint64_t pos = BASE;
    unsigned step = 40;
    while (pos + 16 <= BASE + LEN) {
        check(vm_read_ahead_get(ra, pos, 16, BASE + LEN), pos, 16);
        pos += step;
        step = step * 7 % 1000 + 24;
    }
    /* a jump back, a jump far ahead, then sequential again */
    check(vm_read_ahead_get(ra, BASE + 100, 64, BASE + LEN), BASE + 100, 64);
    check(vm_read_ahead_get(ra, BASE + LEN - 5000, 64, BASE + LEN), BASE + LEN - 5000, 64);
    check(vm_read_ahead_get(ra, BASE + LEN - 64, 64, BASE + LEN), BASE + LEN - 64, 64);
    /* past the limit, and unreadable memory */
    assert_null(vm_read_ahead_get(ra, BASE + LEN - 8, 16, BASE + LEN));
    assert_null(vm_read_ahead_get(ra, BASE + LEN, 16, BASE + 2 * LEN));
    assert_null(vm_read_ahead_get(ra, BASE, WINDOW + 1, BASE + LEN)); /* more than a window */
    /* the caller reads through mem itself after quiet */
    check(vm_read_ahead_get(ra, BASE, 16, BASE + LEN), BASE, 16);
    vm_read_ahead_quiet(ra);
    uint8_t own[32];
    assert_true(vm_read_exact(&mem, BASE + 1000, own, sizeof own));
    check(own, BASE + 1000, sizeof own);
    check(vm_read_ahead_get(ra, BASE + WINDOW, 16, BASE + LEN), BASE + WINDOW, 16);
    vm_read_ahead_free(ra);
    synth_free(&m);
}

static void threaded_reads(void **state)
{
    sequential(true);
}

static void single_thread_reads(void **state)
{
    sequential(false);
}

/* A hole in the middle: the window before it is served, the read ahead into it comes back short
 * and the request past the hole reads again. */
static void hole(void **state)
{
    synth_mem m = {0};
    fill(&m);
    synth_unmap(&m, BASE);
    uint8_t *a = synth_map(&m, BASE, WINDOW + 100);
    uint8_t *b = synth_map(&m, BASE + 2 * WINDOW, WINDOW);
    for (size_t i = 0; i < WINDOW + 100; i++)
        a[i] = expected(BASE + i);
    for (size_t i = 0; i < WINDOW; i++)
        b[i] = expected(BASE + 2 * WINDOW + i);
    vm_memreader mem = synth_reader(&m);
    vm_read_ahead *ra = vm_read_ahead_new(&mem, WINDOW, true);
    check(vm_read_ahead_get(ra, BASE + WINDOW - 8, 16, BASE + 3 * WINDOW), BASE + WINDOW - 8, 16);
    assert_null(vm_read_ahead_get(ra, BASE + WINDOW + 200, 16, BASE + 3 * WINDOW));
    check(vm_read_ahead_get(ra, BASE + 2 * WINDOW + 8, 16, BASE + 3 * WINDOW), BASE + 2 * WINDOW + 8, 16);
    vm_read_ahead_free(ra);
    synth_free(&m);
}

/* The stream has read up to its limit and the caller has taken every window, slowly (as the
 * object census scans each block): a request further on, with a limit of its own (the next
 * heap), is read afresh, not waited for (it was, for ever: vmmap objects hung on gdb). */
static void past_the_stream(void **state)
{
    synth_mem m = {0};
    fill(&m);
    vm_memreader mem = synth_reader(&m);
    vm_read_ahead *ra = vm_read_ahead_new(&mem, WINDOW, true);
    uint64_t first_end = BASE + 3 * WINDOW; /* the first heap: three windows */
    for (uint64_t pos = BASE; pos + 16 <= first_end; pos += 512) {
        check(vm_read_ahead_get(ra, pos, 16, first_end), pos, 16);
        if (pos % WINDOW == 0)
            usleep(20000); /* the thread reaches the limit meanwhile */
    }
    usleep(20000);
    uint64_t far = BASE + 8 * WINDOW; /* the next heap, further up */
    check(vm_read_ahead_get(ra, far, 16, BASE + LEN), far, 16);
    check(vm_read_ahead_get(ra, far + WINDOW, 16, BASE + LEN), far + WINDOW, 16);
    vm_read_ahead_free(ra);
    synth_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threaded_reads),
        cmocka_unit_test(single_thread_reads),
        cmocka_unit_test(hole),
        cmocka_unit_test(past_the_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
