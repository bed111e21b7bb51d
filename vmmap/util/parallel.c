#include "parallel.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

enum { MAX_WORKERS = 64 };

size_t vm_cpu_count(void)
{
    const char *forced = getenv("VMMAP_THREADS");
    if (forced && *forced) {
        long v = strtol(forced, NULL, 10);
        if (v >= 1 && v <= MAX_WORKERS)
            return (size_t)v;
    }
#ifdef _WIN32
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    long n = (long)si.dwNumberOfProcessors;
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    if (n < 1)
        return 1;
    return n > MAX_WORKERS ? MAX_WORKERS : (size_t)n;
}

size_t vm_parallel_workers(size_t n, size_t min_per_worker, size_t max_workers)
{
    size_t w = vm_cpu_count();
    if (max_workers && w > max_workers)
        w = max_workers;
    if (min_per_worker && n / min_per_worker < w)
        w = n / min_per_worker;
    return w ? w : 1;
}

typedef struct slice {
    vm_slice_fn fn;
    void *ctx;
    size_t worker, from, to;
    pthread_t thread;
    bool started;
} slice;

static void *run_slice(void *arg)
{
    slice *s = arg;
    s->fn(s->ctx, s->worker, s->from, s->to);
    return NULL;
}

void vm_parallel_for(size_t n, size_t workers, vm_slice_fn fn, void *ctx)
{
    if (workers < 1)
        workers = 1;
    if (workers > MAX_WORKERS)
        workers = MAX_WORKERS;
    slice sl[MAX_WORKERS];
    size_t base = n / workers, extra = n % workers, from = 0;
    for (size_t w = 0; w < workers; w++) {
        sl[w].fn = fn;
        sl[w].ctx = ctx;
        sl[w].worker = w;
        sl[w].from = from;
        from += base + (w < extra); /* the first `extra` slices take one more */
        sl[w].to = from;
        sl[w].started = false;
    }
    for (size_t w = 1; w < workers; w++)
        sl[w].started = pthread_create(&sl[w].thread, NULL, run_slice, &sl[w]) == 0;
    run_slice(&sl[0]);
    for (size_t w = 1; w < workers; w++) {
        if (sl[w].started)
            pthread_join(sl[w].thread, NULL);
        else
            run_slice(&sl[w]); /* could not start a thread: do it here */
    }
}
