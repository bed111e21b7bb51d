/* crowd: a process of many small pieces, the shapes on which a capture's early pass (steps run on
 * /proc/PID/maps while smaps is read) must give what the plain pass gives.  Prints its ground
 * truth as one JSON object (one line on stdout), then waits until stdin reaches EOF or
 * SIGTERM / SIGINT.
 *
 *   crowd [THREADS [GUARDED]]     defaults 64 and 500
 *
 * Layout:
 *   guarded     GUARDED three-page private read/write mappings, the first page written, the middle
 *               page then mprotect'ed PROT_NONE: a guard page inside accountable memory.  The
 *               kernel keeps it charged to commit ('ac' in smaps' VmFlags; /proc/PID/maps cannot
 *               show it): Private Data, committed, no access.
 *   untouched   the same, but never written before the mprotect (and fenced off by PROT_NONE pages
 *               on both sides, so that it merges with nothing that was): with no anonymous memory
 *               behind it yet the kernel takes the charge back, so the guard is reserved
 *   reserved    PROT_NONE mappings (reservations): reserved
 *   threads     THREADS threads blocked in read() on a pipe, default stacks (glibc puts a
 *               PROT_NONE guard below each, not charged)
 *
 * The truth says, from this process's own /proc/self/smaps, which of the PROT_NONE pages the
 * kernel charges ("charged", with 'ac') and which it does not ("uncharged"), for up to 64 of each
 * kind, and the counts.  (The kernel may merge the read/write pages of neighbouring mappings;
 * a guard never merges with them.)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LISTED 64     /* addresses listed per kind in the truth */
#define RESERVED 8
#define MAX_THREADS 4096
#define MAX_GUARDED 20000

static int g_block_pipe[2] = {-1, -1};
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static long g_started;

static void die(const char *what)
{
    fprintf(stderr, "crowd: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *blocked_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    g_started++;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    char c;
    for (;;) {
        ssize_t n = read(g_block_pipe[0], &c, 1);
        if (n == 0 || (n < 0 && errno != EINTR))
            return NULL;
    }
}

/* A three-page read/write mapping with its middle page made PROT_NONE, its first page written
 * before.  Returns the guard's address. */
static uintptr_t guarded_mapping(long page)
{
    char *p = mmap(NULL, (size_t)(3 * page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    p[0] = 1;
    if (mprotect(p + page, (size_t)page, PROT_NONE) != 0)
        die("mprotect");
    return (uintptr_t)(p + page);
}

/* The same never written, between two PROT_NONE pages: five pages none | rw | none | rw | none. */
static uintptr_t untouched_guarded_mapping(long page)
{
    char *p = mmap(NULL, (size_t)(5 * page), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (mprotect(p + page, (size_t)(3 * page), PROT_READ | PROT_WRITE) != 0 ||
        mprotect(p + 2 * page, (size_t)page, PROT_NONE) != 0)
        die("mprotect");
    return (uintptr_t)(p + 2 * page);
}

/* PROT_NONE pages, and whether the kernel charges each to commit (its smaps VmFlags has 'ac'). */
typedef struct charge_list {
    uintptr_t *addr;
    size_t n;
    int *charged;
} charge_list;

static int cmp_uintptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/* Looks up every address of the list in one read of /proc/self/smaps. */
static void read_charges(charge_list *l)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        die("/proc/self/smaps");
    char line[1024];
    uintptr_t start = 0, end = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long s, e;
        if (sscanf(line, "%llx-%llx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            start = (uintptr_t)s;
            end = (uintptr_t)e;
            continue;
        }
        if (strncmp(line, "VmFlags:", 8) != 0)
            continue;
        int ac = strstr(line, " ac") != NULL;
        for (size_t i = 0; i < l->n; i++)
            if (l->addr[i] >= start && l->addr[i] < end)
                l->charged[i] = ac;
    }
    fclose(f);
}

static void print_list(const char *key, const uintptr_t *v, size_t n)
{
    printf("\"%s\":[", key);
    for (size_t i = 0; i < n; i++)
        printf("%s\"0x%" PRIxPTR "\"", i ? "," : "", v[i]);
    printf("]");
}

int main(int argc, char **argv)
{
    long nthreads = argc > 1 ? strtol(argv[1], NULL, 10) : 64;
    long nguarded = argc > 2 ? strtol(argv[2], NULL, 10) : 500;
    if (nthreads < 0 || nthreads > MAX_THREADS || nguarded < 1 || nguarded > MAX_GUARDED) {
        fprintf(stderr, "usage: crowd [THREADS (0..%d) [GUARDED (1..%d)]]\n", MAX_THREADS, MAX_GUARDED);
        return 2;
    }
    long page = sysconf(_SC_PAGESIZE);
    signal(SIGPIPE, SIG_IGN);

    size_t nguards = (size_t)nguarded + LISTED + RESERVED;
    charge_list l = {calloc(nguards, sizeof *l.addr), 0, calloc(nguards, sizeof *l.charged)};
    if (!l.addr || !l.charged)
        die("calloc");
    for (int i = 0; i < LISTED; i++)
        l.addr[l.n++] = untouched_guarded_mapping(page);
    for (long i = 0; i < nguarded; i++)
        l.addr[l.n++] = guarded_mapping(page);
    for (int i = 0; i < RESERVED; i++) {
        void *p = mmap(NULL, (size_t)(16 * page), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            die("mmap reservation");
        l.addr[l.n++] = (uintptr_t)p;
    }

    if (pipe(g_block_pipe) != 0)
        die("pipe");
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old); /* signals go to the main thread only */
    for (long i = 0; i < nthreads; i++) {
        pthread_t t;
        errno = pthread_create(&t, NULL, blocked_thread, NULL);
        if (errno)
            die("pthread_create");
        pthread_detach(t);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_lock(&g_lock);
    while (g_started < nthreads)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);
    usleep(100 * 1000); /* give the last threads time to get into read() */

    read_charges(&l);
    uintptr_t *charged = calloc(l.n, sizeof *charged), *uncharged = calloc(l.n, sizeof *uncharged);
    if (!charged || !uncharged)
        die("calloc");
    size_t nc = 0, nu = 0, total_c = 0, total_u = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (l.charged[i]) {
            total_c++;
            if (nc < LISTED)
                charged[nc++] = l.addr[i];
        } else {
            total_u++;
            if (nu < LISTED)
                uncharged[nu++] = l.addr[i];
        }
    }
    qsort(charged, nc, sizeof *charged, cmp_uintptr);
    qsort(uncharged, nu, sizeof *uncharged, cmp_uintptr);
    printf("{\"pid\":%d,\"threads\":%ld,\"page_size\":%ld,\"charged_count\":%zu,\"uncharged_count\":%zu,",
           (int)getpid(), nthreads + 1, page, total_c, total_u);
    print_list("charged", charged, nc);
    printf(",");
    print_list("uncharged", uncharged, nu);
    printf("}\n");
    fflush(stdout);

    char buf[64];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    close(g_block_pipe[1]);
    free(charged);
    free(uncharged);
    free(l.addr);
    free(l.charged);
    return 0;
}
