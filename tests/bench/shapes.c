/* shapes: a process of a chosen shape, for benchmarking the mapper (tests/bench/run.sh).
 *
 *   shapes alternate [TOTAL]     one-page mappings alternating PROT_READ and PROT_READ|PROT_WRITE,
 *                                each touched, until /proc/self/maps has TOTAL lines (default
 *                                60000)
 *   shapes guards [TOTAL]        two-page private read/write mmaps, the first page touched and the
 *                                second mprotect'ed PROT_NONE (guard pages inside accountable
 *                                mappings: smaps says 'ac', maps cannot), until TOTAL lines
 *   shapes threads NTHREADS NMAPS
 *                                NTHREADS threads blocked on a condition variable (default stacks,
 *                                as an interpreter's threads) and NMAPS small mappings as above
 *   shapes libs FILE...          dlopen's every shared library named (RTLD_NOW | RTLD_LOCAL)
 *   shapes anon MIB              one anonymous private mapping of MIB MiB, every page written,
 *                                transparent huge pages refused (MADV_NOHUGEPAGE), so the kernel
 *                                walks one page-table entry per 4 KiB page
 *
 * TOTAL is capped 1000 below /proc/sys/vm/max_map_count (headroom for the loader and for tools).
 * Prints "PID ready NMAPS" (one line, NMAPS the lines of /proc/self/maps) and waits until stdin
 * reaches EOF or SIGTERM/SIGINT.  Exits 1, saying why on stderr, when the shape cannot be built.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static long read_long(const char *path, long dflt)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return dflt;
    long v = dflt;
    if (fscanf(f, "%ld", &v) != 1)
        v = dflt;
    fclose(f);
    return v;
}

static long count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    long n = 0;
    int c;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static long page;

static long capped(long total)
{
    long max_maps = read_long("/proc/sys/vm/max_map_count", 65530);
    if (total > max_maps - 1000)
        total = max_maps - 1000;
    return total < 100 ? 100 : total;
}

/* Mappings until maps has `total` lines.  Neighbours never merge: their protections alternate
 * (alternate), or each ends in a PROT_NONE page next to the next one's read/write page (guards;
 * mmap places them downwards, so a guard sits right below the previous mapping's first page). */
static int make_mappings(long total, int guards)
{
    long have = count_maps();
    if (have < 0) {
        fprintf(stderr, "shapes: cannot read /proc/self/maps\n");
        return -1;
    }
    long per = guards ? 2 : 1;
    for (long i = 0; have + per <= total; i++, have += per) {
        int prot = guards || (i & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
        size_t len = (size_t)(page * per);
        char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "shapes: mmap #%ld: %s\n", i, strerror(errno));
            return -1;
        }
        if (prot & PROT_WRITE)
            p[0] = 1;                    /* touch: a private dirty page */
        else
            (void)*(volatile char *)p;   /* touch: the zero page */
        if (guards && mprotect(p + page, (size_t)page, PROT_NONE) != 0) {
            fprintf(stderr, "shapes: mprotect #%ld: %s\n", i, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;
static long g_started;

static void *sleeper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    g_started++;
    pthread_cond_broadcast(&g_wake);
    for (;;)
        pthread_cond_wait(&g_wake, &g_lock); /* the process exits under it */
    return NULL;
}

static int make_threads(long n)
{
    /* Signals go to the main thread only: the sleepers start with them blocked. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (long i = 0; i < n; i++) {
        pthread_t t;
        int rc = pthread_create(&t, NULL, sleeper, NULL);
        if (rc != 0) {
            fprintf(stderr, "shapes: thread #%ld: %s\n", i, strerror(rc));
            return -1;
        }
        pthread_detach(t);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_lock(&g_lock);
    while (g_started < n)
        pthread_cond_wait(&g_wake, &g_lock);
    pthread_mutex_unlock(&g_lock);
    return 0;
}

static int load_libs(int n, char **paths)
{
    for (int i = 0; i < n; i++)
        if (!dlopen(paths[i], RTLD_NOW | RTLD_LOCAL)) {
            fprintf(stderr, "shapes: %s\n", dlerror());
            return -1;
        }
    return 0;
}

static int make_anon(long mib)
{
    size_t len = (size_t)mib << 20;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "shapes: mmap of %ld MiB: %s\n", mib, strerror(errno));
        return -1;
    }
    madvise(p, len, MADV_NOHUGEPAGE); /* best effort: without THP support there is nothing to refuse */
    for (size_t off = 0; off < len; off += (size_t)page)
        p[off] = (char)(off >> 12 | 1); /* every page its own, none the zero page */
    return 0;
}

static long arg_long(int argc, char **argv, int i, long dflt)
{
    return argc > i ? strtol(argv[i], NULL, 10) : dflt;
}

int main(int argc, char **argv)
{
    page = sysconf(_SC_PAGESIZE);
    const char *shape = argc > 1 ? argv[1] : "";
    int rc;
    if (strcmp(shape, "alternate") == 0 || strcmp(shape, "guards") == 0)
        rc = make_mappings(capped(arg_long(argc, argv, 2, 60000)), shape[0] == 'g');
    else if (strcmp(shape, "threads") == 0) {
        long nthreads = arg_long(argc, argv, 2, 2000), nmaps = arg_long(argc, argv, 3, 20000);
        /* Threads first: their stacks and guards are mappings too, counted in the total. */
        rc = make_threads(nthreads);
        if (rc == 0)
            rc = make_mappings(capped(count_maps() + nmaps), 0);
    } else if (strcmp(shape, "libs") == 0)
        rc = load_libs(argc - 2, argv + 2);
    else if (strcmp(shape, "anon") == 0)
        rc = make_anon(arg_long(argc, argv, 2, 4096));
    else {
        fprintf(stderr, "usage: shapes alternate|guards [TOTAL] | threads NTHREADS NMAPS | libs FILE... | anon MIB\n");
        return 2;
    }
    if (rc != 0)
        return 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the read below returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    printf("%d ready %ld\n", (int)getpid(), count_maps());
    fflush(stdout);
    char buf[256];
    while (!g_stop) {
        ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EINTR))
            break;
    }
    return 0;
}
