/* Tests for util/parallel: every item covered exactly once, in contiguous slices, on however many
 * workers; the worker count follows the work, the cap and VMMAP_THREADS. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vmmap/util/parallel.h"

typedef struct seen {
    atomic_int *count;     /* per item */
    size_t from[64], to[64];
    atomic_int calls;
    pthread_t thread[64];
} seen;

static void mark(void *ctx, size_t worker, size_t from, size_t to)
{
    seen *s = ctx;
    assert_true(worker < 64);
    s->from[worker] = from;
    s->to[worker] = to;
    s->thread[worker] = pthread_self();
    for (size_t i = from; i < to; i++)
        atomic_fetch_add(&s->count[i], 1);
    atomic_fetch_add(&s->calls, 1);
}

static void check_cover(size_t n, size_t workers)
{
    seen s;
    memset(&s, 0, sizeof s);
    s.count = calloc(n ? n : 1, sizeof *s.count);
    assert_non_null(s.count);
    vm_parallel_for(n, workers, mark, &s);
    size_t w = workers < 1 ? 1 : workers > 64 ? 64 : workers;
    assert_int_equal(atomic_load(&s.calls), (int)w);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(atomic_load(&s.count[i]), 1);
    /* Slices in order, back to back, sizes differing by at most one. */
    assert_int_equal(s.from[0], 0);
    for (size_t k = 1; k < w; k++)
        assert_int_equal(s.from[k], s.to[k - 1]);
    assert_int_equal(s.to[w - 1], n);
    for (size_t k = 0; k < w; k++) {
        size_t len = s.to[k] - s.from[k];
        assert_true(len == n / w || len == n / w + 1);
    }
    /* Slice 0 ran on the calling thread. */
    assert_true(pthread_equal(s.thread[0], pthread_self()));
    free(s.count);
}

static void test_cover(void **state)
{
    size_t ns[] = {0, 1, 2, 7, 100, 4097};
    size_t ws[] = {0, 1, 2, 3, 8, 64, 1000};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        for (size_t j = 0; j < sizeof ws / sizeof *ws; j++)
            check_cover(ns[i], ws[j]);
}

static void test_workers(void **state)
{
    setenv("VMMAP_THREADS", "4", 1);
    assert_int_equal(vm_cpu_count(), 4);
    assert_int_equal(vm_parallel_workers(1000, 100, 0), 4);
    assert_int_equal(vm_parallel_workers(1000, 100, 2), 2);   /* the cap */
    assert_int_equal(vm_parallel_workers(250, 100, 0), 2);    /* the work */
    assert_int_equal(vm_parallel_workers(50, 100, 0), 1);     /* never zero */
    assert_int_equal(vm_parallel_workers(0, 100, 0), 1);
    assert_int_equal(vm_parallel_workers(1000, 0, 0), 4);
    setenv("VMMAP_THREADS", "1", 1);
    assert_int_equal(vm_parallel_workers(1000000, 1, 0), 1);
    /* Nonsense is ignored: the machine's count. */
    setenv("VMMAP_THREADS", "0", 1);
    size_t machine = vm_cpu_count();
    assert_true(machine >= 1 && machine <= 64);
    setenv("VMMAP_THREADS", "lots", 1);
    assert_int_equal(vm_cpu_count(), machine);
    setenv("VMMAP_THREADS", "100000", 1);
    assert_int_equal(vm_cpu_count(), machine);
    unsetenv("VMMAP_THREADS");
    assert_int_equal(vm_cpu_count(), machine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cover),
        cmocka_unit_test(test_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
