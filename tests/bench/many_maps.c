/* many_maps: a process with ~60,000 separate mappings, for benchmarking the mapper.
 *
 *   many_maps [TOTAL]   TOTAL mappings in /proc/self/maps (default 60000; capped 1000 below
 *                       /proc/sys/vm/max_map_count, so tools and the loader keep headroom)
 *
 * Maps one page at a time, alternating PROT_READ and PROT_READ|PROT_WRITE and touching each page
 * so that neighbours never merge into one VMA; prints "PID ready NMAPS" (one line) and waits until stdin
 * reaches EOF or SIGTERM/SIGINT.
 */
#include <errno.h>
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

int main(int argc, char **argv)
{
    long target = argc > 1 ? strtol(argv[1], NULL, 10) : 60000;
    long max_maps = read_long("/proc/sys/vm/max_map_count", 65530);
    if (target > max_maps - 1000)
        target = max_maps - 1000;   /* headroom: libc, threads of tools, the loader */
    if (target < 100)
        target = 100;
    long page = sysconf(_SC_PAGESIZE);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   /* no SA_RESTART: the read below returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* The array first: it is a mapping of its own, counted below. */
    char **pages = calloc((size_t)target, sizeof *pages);
    if (!pages) {
        fprintf(stderr, "many_maps: out of memory\n");
        return 1;
    }
    long have = count_maps();
    if (have < 0) {
        fprintf(stderr, "many_maps: cannot read /proc/self/maps\n");
        return 1;
    }
    long want = target - have;
    long made = 0;
    for (long i = 0; i < want; i++) {
        int prot = (i & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
        char *p = mmap(NULL, (size_t)page, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "many_maps: mmap #%ld: %s (stopping there)\n", i, strerror(errno));
            break;
        }
        if (prot & PROT_WRITE)
            p[0] = 1;              /* touch: a private dirty page */
        else
            (void)*(volatile char *)p;   /* touch: the zero page */
        pages[made++] = p;
    }
    printf("%d ready %ld\n", (int)getpid(), count_maps());
    fflush(stdout);

    char buf[256];
    while (!g_stop) {
        ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EINTR))
            break;
    }
    for (long i = 0; i < made; i++)
        munmap(pages[i], (size_t)page);
    free(pages);
    return 0;
}
