/* grower: a process that grows on a schedule, for `vmmap watch` and timelines.  Prints its ground
 * truth as one JSON line on stdout, then grows until stdin reaches EOF or SIGTERM / SIGINT / SIGHUP.
 *
 *   grower [--steady] [--every MS] [--chunk KIB] [--thread-every MS] [--seconds N]
 *
 *   every MS         (default 200) the allocator thread mallocs CHUNK KiB (default 256) in 1 KiB
 *                    pieces and touches them.  It is the only thread that mallocs after start, so
 *                    its glibc arena (a heap of its own, kind "glibc arena") is the one that grows.
 *   thread-every MS  (default 1000) the main thread starts a thread that blocks on a pipe, so the
 *                    thread count and the Stack type grow.
 *   --steady         starts the allocator thread (it mallocs its first chunk) and nothing after.
 *   --seconds N      exit by itself after N seconds (the "target exits mid-watch" case).
 *
 * Ground truth: {"pid":N,"steady":B,"every_ms":N,"chunk":BYTES,"thread_every_ms":N,
 *                "arena":"0x..","arena_heap":"0x..","alloc":"0x..","threads_at_start":N}
 * arena is the allocator thread's malloc_state (heap_info.ar_ptr, what vmmap reports as the heap's
 * address), arena_heap the 64 MiB-aligned heap its first piece lies in, alloc that piece. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define GLIBC_HEAP_MAX ((uintptr_t)64 << 20) /* HEAP_MAX_SIZE on 64-bit */
#define PIECE 1024
#define MAX_THREADS 512

typedef struct config {
    bool steady;
    long every_ms, chunk_kib, thread_every_ms, seconds;
} config;

static config cfg = {false, 200, 256, 1000, -1};
static int block_pipe[2] = {-1, -1};
static volatile int stopping;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static uintptr_t first_piece; /* set by the allocator once its first chunk is in */

static void die(const char *what)
{
    fprintf(stderr, "grower: %s\n", what);
    exit(1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One chunk in 1 KiB pieces, each touched; the pieces are kept (a leak, on purpose). */
static void grow_chunk(void)
{
    for (long i = 0; i < cfg.chunk_kib; i++) {
        char *p = malloc(PIECE);
        if (!p)
            die("out of memory");
        memset(p, (int)(i & 0xff), PIECE);
        if (!first_piece) {
            pthread_mutex_lock(&lock);
            first_piece = (uintptr_t)p;
            pthread_cond_broadcast(&cond);
            pthread_mutex_unlock(&lock);
        }
    }
}

static void *allocator(void *arg)
{
    (void)arg;
    grow_chunk();
    while (!stopping) {
        sleep_ms(cfg.every_ms);
        if (!cfg.steady && !stopping)
            grow_chunk();
    }
    return NULL;
}

static void *blocker(void *arg)
{
    char c;
    (void)arg;
    while (read(block_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static long parse_long(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0)
        die("usage: grower [--steady] [--every MS] [--chunk KIB] [--thread-every MS] [--seconds N]");
    return v;
}

static void parse_args(int argc, char **argv)
{
    static const struct {
        const char *name;
        long *value;
    } opts[] = {{"--every", &cfg.every_ms},
                {"--chunk", &cfg.chunk_kib},
                {"--thread-every", &cfg.thread_every_ms},
                {"--seconds", &cfg.seconds}};
    for (int i = 1; i < argc; i++) {
        bool known = strcmp(argv[i], "--steady") == 0;
        cfg.steady |= known;
        for (size_t o = 0; !known && o < sizeof opts / sizeof opts[0]; o++)
            if (strcmp(argv[i], opts[o].name) == 0 && i + 1 < argc) {
                *opts[o].value = parse_long(argv[++i]);
                known = true;
            }
        if (!known)
            die("usage: grower [--steady] [--every MS] [--chunk KIB] [--thread-every MS] [--seconds N]");
    }
    if (cfg.every_ms < 1 || cfg.thread_every_ms < 1)
        die("--every and --thread-every must be at least 1 ms");
}

static void print_truth(void)
{
    pthread_mutex_lock(&lock);
    while (!first_piece)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    uintptr_t heap = first_piece & ~(GLIBC_HEAP_MAX - 1);
    size_t header = ((size_t *)first_piece)[-1];
    uintptr_t arena = (header & 0x4) ? *(uintptr_t *)heap : 0; /* NON_MAIN_ARENA: heap_info.ar_ptr */
    printf("{\"pid\":%d,\"steady\":%s,\"every_ms\":%ld,\"chunk\":%ld,\"thread_every_ms\":%ld,"
           "\"arena\":\"0x%" PRIxPTR "\",\"arena_heap\":\"0x%" PRIxPTR "\",\"alloc\":\"0x%" PRIxPTR "\","
           "\"threads_at_start\":2}\n",
           (int)getpid(), cfg.steady ? "true" : "false", cfg.every_ms, cfg.chunk_kib * 1024, cfg.thread_every_ms,
           arena, heap, first_piece);
    fflush(stdout);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

/* Waits for a stop (signal, stdin EOF, --seconds), starting a blocked thread on schedule. */
static int run_schedule(int sig_fd, pthread_t *threads)
{
    int nthreads = 0;
    long start = now_ms(), never = 1L << 40;
    struct pollfd pfd[2] = {{sig_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    for (;;) {
        long next = cfg.steady || nthreads >= MAX_THREADS ? never : cfg.thread_every_ms * (nthreads + 1);
        long end = cfg.seconds >= 0 ? cfg.seconds * 1000 : never;
        long until = next < end ? next : end, elapsed = now_ms() - start;
        long wait = until > elapsed ? until - elapsed : 0;
        int n = poll(pfd, 2, wait > 60000 ? 60000 : (int)wait);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0) {
            char buf[256];
            if (pfd[0].revents || read(STDIN_FILENO, buf, sizeof buf) <= 0)
                return nthreads; /* a stop signal, or stdin EOF */
            continue;
        }
        elapsed = now_ms() - start;
        if (elapsed >= end)
            return nthreads;
        if (elapsed >= next && pthread_create(&threads[nthreads], NULL, blocker, NULL) != 0)
            die("pthread_create failed");
        nthreads += elapsed >= next;
    }
}

int main(int argc, char **argv)
{
    static pthread_t threads[MAX_THREADS];
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
        die("pthread_sigmask failed");
    int sig_fd = signalfd(-1, &stop, SFD_CLOEXEC);
    if (sig_fd < 0 || pipe(block_pipe) != 0)
        die("signalfd / pipe failed");

    pthread_t alloc_thread;
    if (pthread_create(&alloc_thread, NULL, allocator, NULL) != 0)
        die("pthread_create failed");
    print_truth();
    int nthreads = run_schedule(sig_fd, threads);

    stopping = 1;
    close(block_pipe[1]);
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    pthread_join(alloc_thread, NULL);
    close(block_pipe[0]);
    close(sig_fd);
    return 0;
}
