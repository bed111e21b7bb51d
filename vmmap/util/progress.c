/* Progress on a terminal (see progress.h).  The worker only stores counters; the ticker thread
 * (and a phase change, so that a short phase still shows once it is past the delay) draws under
 * the lock.  The line is erased with spaces rather than an escape sequence: old Windows consoles
 * print escapes literally. */
#include "progress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock_signal.h"

#define TICK_MS 200
#define DEFAULT_AFTER 1.0

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t ticker;
    bool on, stop, ticking;
    char what[96], phase[96];
    uint64_t total;
    atomic_uint_fast64_t done;
    double start, after;
    size_t drawn; /* width of the line on the terminal, 0 when nothing is shown */
} P = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

double vm_progress_delay(void)
{
    const char *v = getenv("VMMAP_TEST_PROGRESS_AFTER");
    char *end;
    double d = v && *v ? strtod(v, &end) : -1;
    return v && *v && !*end && d >= 0 ? d : DEFAULT_AFTER;
}

/* Redraws the line; the lock is held. */
static void draw_locked(void)
{
    double el = vm_clock_now() - P.start;
    if (!P.on || el < P.after)
        return;
    char line[256];
    uint64_t done = atomic_load_explicit(&P.done, memory_order_relaxed);
    int n;
    if (P.total)
        n = snprintf(line, sizeof line, "vmmap: %s: %s %3u%%", P.what, P.phase,
                     (unsigned)(done >= P.total ? 100 : done * 100 / P.total));
    else
        n = snprintf(line, sizeof line, "vmmap: %s: %s (%.0f s)", P.what, P.phase, el);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    fprintf(stderr, "\r%s%*s", line, P.drawn > len ? (int)(P.drawn - len) : 0, "");
    fflush(stderr);
    if (len > P.drawn)
        P.drawn = len;
}

static void *tick(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&P.mu);
    while (!P.stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&P.cv, &P.mu, &ts);
        if (!P.stop)
            draw_locked();
    }
    pthread_mutex_unlock(&P.mu);
    return NULL;
}

void vm_progress_start(const char *what)
{
    if (P.on || !vm_is_terminal(stderr))
        return;
    pthread_mutex_lock(&P.mu);
    snprintf(P.what, sizeof P.what, "%s", what ? what : "working");
    P.phase[0] = '\0';
    P.total = 0;
    atomic_store(&P.done, 0);
    P.start = vm_clock_now();
    P.after = vm_progress_delay();
    P.stop = false;
    P.drawn = 0;
    P.on = true;
    pthread_mutex_unlock(&P.mu);
    P.ticking = pthread_create(&P.ticker, NULL, tick, NULL) == 0;
}

void vm_progress_phase(const char *phase, uint64_t total)
{
    if (!P.on)
        return;
    pthread_mutex_lock(&P.mu);
    snprintf(P.phase, sizeof P.phase, "%s", phase ? phase : "");
    P.total = total;
    atomic_store(&P.done, 0);
    draw_locked();
    pthread_mutex_unlock(&P.mu);
}

void vm_progress_step(uint64_t done)
{
    if (P.on)
        atomic_store_explicit(&P.done, done, memory_order_relaxed);
}

void vm_progress_stop(void)
{
    if (!P.on)
        return;
    pthread_mutex_lock(&P.mu);
    P.stop = true;
    pthread_cond_signal(&P.cv);
    pthread_mutex_unlock(&P.mu);
    if (P.ticking)
        pthread_join(P.ticker, NULL);
    P.ticking = false;
    if (P.drawn) {
        fprintf(stderr, "\r%*s\r", (int)P.drawn, "");
        fflush(stderr);
    }
    P.drawn = 0;
    P.on = false;
}
