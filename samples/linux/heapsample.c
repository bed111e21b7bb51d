/* heapsample: known glibc malloc blocks in the main arena and in threads' arenas, and glibc's own
 * account of them (malloc_info(3), mallinfo2(3)) printed from inside, as one JSON line on stdout;
 * then it waits.  The ground truth of the heap walk's integration test (tests/integration/
 * test_heaps.c).
 *
 *   heapsample                   the pattern below in the main arena only (one thread)
 *   heapsample --threads N       and in N threads, one after another (each gets its own arena)
 *   heapsample --threads N --concurrent   the N threads allocate all at once
 *   heapsample --churn N         N threads malloc and free without pause (no exact truth: the
 *                                walk must cope with memory changing under it)
 *   --mmaps N                    N more mmapped chunks (malloc of 200 KiB + i pages), each followed
 *                                by a plain private mmap of 64 KiB the program touches: the kernel
 *                                merges them into few VMAs, most chunks not at a VMA's start
 *   --seconds S                  wait S seconds instead of until stdin reaches EOF
 *
 * The pattern, per thread, in that thread's arena (chunk sizes as glibc keeps them):
 *   busy      BUSY_N x malloc(100)        0x70 chunks, in use
 *   cached    7 x malloc(72), freed        0x50 chunks: the tcache bin's 7
 *   fast      12 x malloc(40), freed       0x30 chunks: 7 to the tcache bin, 5 to the fastbin
 *   unsorted  5 x malloc(0x500), freed     0x510 chunks (above the tcache's sizes): the unsorted
 *             bin, each kept apart by a busy malloc(16) guard
 * and in the main thread one malloc(LARGE_SIZE), above the mmap threshold: an mmapped chunk.
 * Each thread's arena address is kept in g_arena_of, an array in the program's .data (and nowhere
 * else in its image): the owner test expects heapsample listed as an owner of each arena there.
 * The threads are created before the main thread's pattern is made (creating a thread allocates
 * from the main arena), and start on a barrier.
 *
 * Nothing allocates after malloc_info has run: stdout and the malloc_info stream print into
 * static buffers, the threads block in read(), and the main thread in poll(). */
#include <errno.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BUSY_N 500
#define TCACHE_N 7
#define FAST_N 12
#define UNSORTED_N 5
#define MAX_THREADS 16
#define HEAP_MAX ((uintptr_t)64 << 20) /* glibc's HEAP_MAX_SIZE on 64-bit */
#define LARGE_SIZE (4u << 20)
#define MAX_MMAPS 256

typedef struct pattern {
    void *busy[BUSY_N];
    void *cached[TCACHE_N];
    void *fast[FAST_N];
    void *unsorted[UNSORTED_N];
    void *guards[UNSORTED_N];
    int slot;        /* its arena's entry in g_arena_of */
} pattern;

typedef struct worker {
    pthread_t th;
    pid_t tid;
    pattern p;
} worker;

static worker g_workers[MAX_THREADS];
static pattern g_main;
static int g_nthreads;
static int g_nmmaps;
static void *g_mmaps[2 * MAX_MMAPS];
static bool g_concurrent;
static pthread_barrier_t g_start, g_made;
static int g_block[2] = {-1, -1};
static volatile sig_atomic_t g_stop;

/* The malloc_state of each pattern's arena: [0] the main thread's, [1 + i] worker i's.  Given a
 * non-zero initializer so that it lies in .data, as a module's global heap handle does; only here
 * does the program's image keep arena addresses (the patterns keep chunk addresses). */
static uintptr_t g_arena_of[1 + MAX_THREADS] = {1};

static char g_out_buf[1 << 20];
static char g_xml[1 << 20];
static char g_xml_buf[1 << 16];

static void die(const char *what)
{
    fprintf(stderr, "heapsample: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *must(void *p)
{
    if (!p) {
        fprintf(stderr, "heapsample: out of memory\n");
        exit(1);
    }
    return p;
}

/* The arena a user pointer's chunk belongs to: a non-main chunk (NON_MAIN_ARENA in its size
 * field) lies in a 64 MiB-aligned heap whose heap_info starts with ar_ptr; a main-arena one is
 * found through a binned chunk, whose fd points at the unsorted bin's header, main_arena + 0x60
 * (glibc 2.27 and later). */
static uintptr_t arena_of(const pattern *p)
{
    size_t size_field = ((const size_t *)p->busy[0])[-1];
    if (size_field & 4)
        return *(const uintptr_t *)((uintptr_t)p->busy[0] & ~(HEAP_MAX - 1));
    return *(const uintptr_t *)p->unsorted[0] - 0x60;
}

static void make_pattern(pattern *p, int slot)
{
    for (int i = 0; i < BUSY_N; i++)
        memset(p->busy[i] = must(malloc(100)), 0x42, 100);
    for (int i = 0; i < TCACHE_N; i++)
        p->cached[i] = must(malloc(72));
    for (int i = 0; i < FAST_N; i++)
        p->fast[i] = must(malloc(40));
    for (int i = 0; i < UNSORTED_N; i++) {
        p->unsorted[i] = must(malloc(0x500));
        p->guards[i] = must(malloc(16));
    }
    for (int i = 0; i < TCACHE_N; i++)
        free(p->cached[i]);
    for (int i = 0; i < FAST_N; i++)
        free(p->fast[i]);
    for (int i = 0; i < UNSORTED_N; i++)
        free(p->unsorted[i]);
    p->slot = slot;
    g_arena_of[slot] = arena_of(p);
}

static void block_until_released(void)
{
    char c;
    while (read(g_block[0], &c, 1) < 0 && errno == EINTR) {
    }
}

static pthread_mutex_t g_turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_turn_cond = PTHREAD_COND_INITIALIZER;
static int g_turn = -1; /* one at a time: the worker whose turn it is; concurrent: g_nthreads */

static void wait_turn(int me)
{
    pthread_mutex_lock(&g_turn_lock);
    while (g_turn != me && g_turn != g_nthreads)
        pthread_cond_wait(&g_turn_cond, &g_turn_lock);
    pthread_mutex_unlock(&g_turn_lock);
}

static void give_turn(int who)
{
    pthread_mutex_lock(&g_turn_lock);
    g_turn = who;
    pthread_cond_broadcast(&g_turn_cond);
    pthread_mutex_unlock(&g_turn_lock);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    w->tid = gettid();
    wait_turn((int)(w - g_workers));
    if (g_concurrent)
        pthread_barrier_wait(&g_start); /* all allocate at once */
    make_pattern(&w->p, 1 + (int)(w - g_workers));
    pthread_barrier_wait(&g_made);
    block_until_released();
    return NULL;
}

/* Allocates and frees blocks of changing sizes without pause, until told to stop. */
static void *churn_main(void *arg)
{
    unsigned x = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    void *keep[256] = {0};
    while (!g_stop) {
        x = x * 1103515245u + 12345u;
        unsigned slot = (x >> 8) & 255;
        free(keep[slot]);
        keep[slot] = malloc(16 + (x >> 16) % 4000);
    }
    for (int i = 0; i < 256; i++)
        free(keep[i]);
    return NULL;
}

/* ---- output ---------------------------------------------------------------------------------- */

static void put_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void put_chunks(const char *key, void *const *users, int n, bool comma)
{
    printf("\"%s\":[", key);
    for (int i = 0; i < n; i++)
        printf("%s\"0x%" PRIxPTR "\"", i ? "," : "", (uintptr_t)users[i] - 16);
    printf("]%s", comma ? "," : "");
}

/* The chunk glibc's tcache_perthread_struct takes, allocated from a thread's arena before its
 * first block: uint16_t counts[64] since 2.30 (char before), then 64 entry pointers, plus the
 * chunk header. */
static size_t tcache_struct_chunk(void)
{
    int major = 0, minor = 0;
    sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor);
    size_t counts = major > 2 || (major == 2 && minor >= 30) ? 64 * sizeof(uint16_t) : 64;
    return (counts + 64 * sizeof(void *) + 2 * sizeof(size_t) + 15) & ~(size_t)15;
}

/* What the thread of a pattern allocated in its arena, besides the chunks listed: the guards, and
 * glibc's tcache of the thread.  A worker allocates nothing else, so for a worker's arena these
 * are every busy block; the main arena also holds libc's own (stdio, the threads' DTVs). */
static void put_pattern(const pattern *p)
{
    printf("{\"arena\":\"0x%" PRIxPTR "\",\"arena_ref\":\"0x%" PRIxPTR "\",\"busy_count\":%d,\"busy_size\":%d,",
           g_arena_of[p->slot], (uintptr_t)&g_arena_of[p->slot], BUSY_N, 0x70);
    printf("\"guard_count\":%d,\"guard_size\":%d,\"tcache_struct_size\":%zu,", UNSORTED_N, 0x20,
           tcache_struct_chunk());
    put_chunks("busy", p->busy, 8, true);
    put_chunks("cached", p->cached, TCACHE_N, true);
    printf("\"cached_size\":%d,", 0x50);
    put_chunks("fast_cached", p->fast, TCACHE_N, true);
    put_chunks("fastbin", p->fast + TCACHE_N, FAST_N - TCACHE_N, true);
    printf("\"fast_size\":%d,", 0x30);
    put_chunks("unsorted", p->unsorted, UNSORTED_N, true);
    printf("\"unsorted_size\":%d}", 0x510);
}

/* main_arena's next ring, in malloc_info's order, read without allocating (2.27+ offset). */
static void put_ring(uintptr_t main_arena)
{
    printf("\"ring\":[");
    uintptr_t cur = main_arena;
    int n = 0;
    do {
        printf("%s\"0x%" PRIxPTR "\"", n ? "," : "", cur);
        cur = *(const uintptr_t *)(cur + 0x870);
    } while (cur != main_arena && ++n < 1024);
    printf("],");
}

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

int main(int argc, char **argv)
{
    long seconds = -1;
    int churn = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            g_nthreads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--concurrent") == 0)
            g_concurrent = true;
        else if (strcmp(argv[i], "--churn") == 0 && i + 1 < argc)
            churn = atoi(argv[++i]);
        else if (strcmp(argv[i], "--mmaps") == 0 && i + 1 < argc)
            g_nmmaps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: heapsample [--threads N [--concurrent]] [--churn N] [--mmaps N] [--seconds S]\n");
            return 2;
        }
    }
    if (g_nmmaps < 0 || g_nmmaps > MAX_MMAPS) {
        fprintf(stderr, "heapsample: at most %d mmaps\n", MAX_MMAPS);
        return 2;
    }
    if (g_nthreads < 0 || g_nthreads > MAX_THREADS || churn < 0 || churn > MAX_THREADS) {
        fprintf(stderr, "heapsample: at most %d threads\n", MAX_THREADS);
        return 2;
    }
    setvbuf(stdout, g_out_buf, _IOFBF, sizeof g_out_buf);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    FILE *xml = fmemopen(g_xml, sizeof g_xml - 1, "w");
    if (!xml || pipe(g_block) != 0)
        die("setup");
    setvbuf(xml, g_xml_buf, _IOFBF, sizeof g_xml_buf);
    pthread_barrier_init(&g_start, NULL, (unsigned)g_nthreads + 1);
    pthread_barrier_init(&g_made, NULL, 2);

    if (g_concurrent) {
        pthread_barrier_destroy(&g_made);
        pthread_barrier_init(&g_made, NULL, (unsigned)g_nthreads + 1);
    }
    for (int i = 0; i < g_nthreads; i++)
        if (pthread_create(&g_workers[i].th, NULL, worker_main, &g_workers[i]) != 0)
            die("pthread_create");
    /* Before the pattern: a large request consolidates the arena's fastbins first. */
    void *large = must(malloc(LARGE_SIZE));
    memset(large, 0x11, LARGE_SIZE);
    /* Before the pattern too (a large request consolidates the fastbins).  Nothing is freed, so the
     * mmap threshold stays at its 128 KiB: every one of these is mmapped. */
    for (int i = 0; i < g_nmmaps; i++) {
        long page = sysconf(_SC_PAGESIZE);
        size_t len = (200u << 10) + (size_t)i * (size_t)page;
        char *c = must(malloc(len));
        c[0] = c[len - 1] = 1;
        char *m = mmap(NULL, 64u << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            die("mmap");
        m[0] = 1;
        g_mmaps[2 * i] = c;
        g_mmaps[2 * i + 1] = m;
    }
    make_pattern(&g_main, 0);
    if (g_concurrent) {
        give_turn(g_nthreads);
        pthread_barrier_wait(&g_start);
        pthread_barrier_wait(&g_made);
    } else {
        for (int i = 0; i < g_nthreads; i++) { /* one at a time */
            give_turn(i);
            pthread_barrier_wait(&g_made);
        }
    }
    pthread_t churners[MAX_THREADS];
    for (int i = 0; i < churn; i++)
        if (pthread_create(&churners[i], NULL, churn_main, (void *)(uintptr_t)(i + 1)) != 0)
            die("pthread_create");

    malloc_info(0, xml);
    fflush(xml);
    struct mallinfo2 mi = mallinfo2();
    printf("{\"pid\":%d,\"main_arena\":\"0x%" PRIxPTR "\",\"churn\":%d,\"large\":\"0x%" PRIxPTR "\",",
           (int)getpid(), g_arena_of[0], churn, (uintptr_t)large - 16);
    put_ring(g_arena_of[0]);
    printf("\"main\":");
    put_pattern(&g_main);
    printf(",\"threads\":[");
    for (int i = 0; i < g_nthreads; i++) {
        printf("%s{\"tid\":%d,\"pattern\":", i ? "," : "", (int)g_workers[i].tid);
        put_pattern(&g_workers[i].p);
        putchar('}');
    }
    printf("],\"mallinfo2\":{\"arena\":%zu,\"ordblks\":%zu,\"smblks\":%zu,\"hblks\":%zu,\"hblkhd\":%zu,"
           "\"uordblks\":%zu,\"fordblks\":%zu,\"keepcost\":%zu},\"malloc_info\":",
           mi.arena, mi.ordblks, mi.smblks, mi.hblks, mi.hblkhd, mi.uordblks, mi.fordblks, mi.keepcost);
    put_json_string(g_xml);
    printf("}\n");
    fflush(stdout);

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!g_stop) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int timeout = 200;
        if (seconds >= 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec >= seconds)
                break;
        }
        int n = poll(&pfd, seconds < 0 ? 1 : 0, timeout);
        if (n > 0 && seconds < 0) {
            char buf[64];
            ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EINTR))
                break;
        }
    }
    g_stop = 1;
    close(g_block[1]);
    for (int i = 0; i < g_nthreads; i++)
        pthread_join(g_workers[i].th, NULL);
    for (int i = 0; i < churn; i++)
        pthread_join(churners[i], NULL);
    fclose(xml);
    free(large);
    return 0;
}
