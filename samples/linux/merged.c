/* merged: a process whose glibc heap parts share a VMA with other anonymous memory, as the kernel
 * merges adjacent anonymous mappings with equal flags.  Prints its ground truth as one JSON line
 * on stdout, then waits until stdin reaches EOF (or --seconds N, or SIGTERM / SIGINT / SIGHUP).
 *
 *   chunk    a 4 MiB malloc (an mmapped chunk) with 2 MiB of the program's own anonymous memory
 *            right above it: one VMA [chunk][other], the chunk at its start (how a Python process
 *            showed 1 GB of its arenas as "Heap ... mmapped chunk").  Every page of the chunk is
 *            touched, OTHER_TOUCHED pages of the other memory.
 *   arena    a thread's arena heap with 1 MiB of MAP_NORESERVE anonymous memory (the heap's own
 *            flags) right below its 64 MiB-aligned base: one VMA [other][heap's read/write part].
 *            BELOW_TOUCHED pages of the memory below are touched.
 *   top      a 1 MiB malloc's chunk at the top of a VMA, 768 KiB of the program's memory below it
 *            ([top_below][top_chunk]), and
 *   mid      a 512 KiB one in the middle of a VMA ([mid_below][mid_chunk][mid_above]): the kernel
 *            merges a later mapping below an earlier one, so this is how chunks usually lie.  Both
 *            made in a room of the sample's own, guard pages around it, the chunk's place left
 *            for glibc's mmap.
 *   zero     a 1 MiB malloc's chunk at the start of a VMA with 4 MiB of the program's memory above
 *            it ([zero_chunk][zero_other]), in each some pages written and more pages only read:
 *            a page only read maps the kernel's shared zero page, which pagemap shows present but
 *            smaps does not count (in Rss, Pss or Private), so each piece's "written" is its
 *            working set (mincore would count the pages read too).
 * The ground truth gives each part and each other piece with its pages resident (mincore), and
 * the VMA that holds them as /proc/self/maps shows it; "merged" is false (and the test fails) when
 * the kernel did not merge. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
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
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define MiB ((size_t)1 << 20)
#define CHUNK_REQUEST (4 * MiB)
#define OTHER_SIZE (2 * MiB)
#define OTHER_TOUCHED 100
#define BELOW_SIZE (1 * MiB)
#define BELOW_TOUCHED 30
#define HEAP_MAX ((uintptr_t)64 * MiB) /* glibc's HEAP_MAX_SIZE on 64-bit */
#define TOP_REQUEST (1 * MiB)
#define TOP_BELOW (768 * 1024)
#define MID_REQUEST (512 * 1024)
#define MID_BELOW (256 * 1024)
#define MID_ABOVE (384 * 1024)
#define ZERO_REQUEST (1 * MiB)
#define ZERO_CHUNK_WRITTEN 16 /* pages, the chunk header's included */
#define ZERO_CHUNK_READ 200
#define ZERO_OTHER (4 * MiB)
#define ZERO_OTHER_WRITTEN 8
#define ZERO_OTHER_READ 300

static void die(const char *what)
{
    fprintf(stderr, "merged: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* The /proc/self/maps line holding addr: its range; false when none. */
static bool vma_of(uintptr_t addr, uintptr_t *start, uintptr_t *end)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        die("/proc/self/maps");
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long s, e;
        if (sscanf(line, "%llx-%llx", &s, &e) == 2 && s <= addr && addr < e) {
            *start = (uintptr_t)s;
            *end = (uintptr_t)e;
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* Pages of [p, p + size) resident now (mincore), for the ground truth of every piece's working set. */
static size_t resident(uintptr_t p, size_t size, long page)
{
    size_t n = (size + (size_t)page - 1) / (size_t)page, count = 0;
    unsigned char *vec = malloc(n);
    if (!vec || mincore((void *)p, size, vec) != 0)
        die("mincore");
    for (size_t i = 0; i < n; i++)
        count += vec[i] & 1;
    free(vec);
    return count;
}

static void touch(void *p, size_t pages, long page)
{
    for (size_t i = 0; i < pages; i++)
        ((volatile char *)p)[i * (size_t)page] = 1;
}

/* Reads one byte of each page: a page never written gets the zero page. */
static void read_pages(const void *p, size_t pages, long page)
{
    unsigned sum = 0;
    for (size_t i = 0; i < pages; i++)
        sum += ((const volatile unsigned char *)p)[i * (size_t)page];
    if (sum != 0)
        die("a page never written does not read as zeros");
}

/* ---- the arena thread ---- */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static void *g_arena_piece;

static void *arena_thread(void *arg)
{
    (void)arg;
    void *p = malloc(256); /* a thread's first malloc makes it an arena of its own */
    if (!p)
        die("malloc in the thread");
    memset(p, 1, 256);
    pthread_mutex_lock(&g_lock);
    g_arena_piece = p;
    pthread_cond_broadcast(&g_cond);
    for (;;)
        pthread_cond_wait(&g_cond, &g_lock); /* parked until the process exits */
    return NULL;
}

/* ---- chunks above and between other memory ---- */

/* Makes glibc map the chunk of a malloc(request) at hole (an unmapped span of exactly its size
 * in a room of ours): the kernel puts a new mapping at the top of the highest gap it fits in, so
 * every higher gap of that size is plugged first, then unplugged.  The user pointer (the chunk
 * is at hole unless a gap the plugs could not fill took it). */
static char *chunk_at(uintptr_t hole, size_t request, size_t span)
{
    void *plugs[1024];
    size_t nplugs = 0;
    for (;;) {
        void *p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            die("mmap");
        if ((uintptr_t)p == hole || (uintptr_t)p < hole || nplugs == sizeof plugs / sizeof *plugs) {
            munmap(p, span);
            break;
        }
        plugs[nplugs++] = p;
    }
    char *user = malloc(request);
    for (size_t i = 0; i < nplugs; i++)
        munmap(plugs[i], span);
    if (!user || !(((size_t *)user)[-1] & 2))
        die("the malloc is not an mmapped chunk");
    return user;
}

/* A room of ours, bottom to top: a PROT_NONE guard page, then each piece: other memory
 * (read/write, as the program's own mmap makes it: the chunk's flags) or the chunk, then a guard.
 * The guards keep anything else from merging in.  One VMA of the pieces when it worked. */
typedef struct piece {
    size_t size; /* 0: the chunk */
    size_t touched; /* pages written (the chunk: SIZE_MAX, all of it) */
    size_t read;    /* pages only read, after the written ones */
    uintptr_t address;
} piece;

static bool make_room(piece *pieces, size_t n, size_t request, size_t span, long page, char **user)
{
    size_t total = 2 * (size_t)page;
    for (size_t i = 0; i < n; i++)
        total += pieces[i].size ? pieces[i].size : span;
    char *room = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (room == MAP_FAILED)
        die("mmap");
    uintptr_t at = (uintptr_t)room + (size_t)page, hole = 0;
    for (size_t i = 0; i < n; i++) {
        pieces[i].address = at;
        if (pieces[i].size) {
            if (mmap((void *)at, pieces[i].size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                     0) == MAP_FAILED)
                die("mmap");
        } else {
            hole = at;
        }
        at += pieces[i].size ? pieces[i].size : span;
    }
    munmap((void *)hole, span);
    *user = chunk_at(hole, request, span);
    uintptr_t vs = 0, ve = 0;
    bool one = (uintptr_t)*user - 2 * sizeof(size_t) == hole && vma_of(pieces[0].address, &vs, &ve) &&
               vs == pieces[0].address && ve == at;
    if (one && madvise((void *)vs, ve - vs, MADV_NOHUGEPAGE) != 0) /* 4 KiB pages: the counts below */
        die("madvise");
    for (size_t i = 0; i < n; i++) {
        if (!pieces[i].size && pieces[i].touched == SIZE_MAX) {
            memset(*user, 7, request);
            continue;
        }
        /* the chunk's pages from its user pointer: its header is glibc's */
        touch(pieces[i].size ? (char *)pieces[i].address : *user, pieces[i].touched, page);
        if (pieces[i].read)
            read_pages((const char *)pieces[i].address + pieces[i].touched * (size_t)page, pieces[i].read, page);
    }
    return one;
}

static void print_piece(const char *key, uintptr_t address, size_t size, long page)
{
    printf("\"%s\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"resident\":%zu},", key, address, size,
           resident(address, size, page));
}

/* ---- main ---- */

static void wait_for_end(int sig_fd, long seconds)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd pfd[2] = {{.fd = sig_fd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
        int timeout = -1;
        if (seconds >= 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long left = seconds * 1000LL - ((now.tv_sec - start.tv_sec) * 1000LL +
                                                 (now.tv_nsec - start.tv_nsec) / 1000000);
            if (left <= 0)
                return;
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        int n = poll(pfd, seconds < 0 ? 2 : 1, timeout);
        if (n < 0 && errno != EINTR)
            return;
        if (n <= 0)
            continue;
        if (pfd[0].revents)
            return;
        if (seconds < 0 && pfd[1].revents) {
            char buf[64];
            ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                return;
        }
    }
}

int main(int argc, char **argv)
{
    long seconds = -1;
    if (argc == 3 && strcmp(argv[1], "--seconds") == 0)
        seconds = strtol(argv[2], NULL, 10);
    long page = sysconf(_SC_PAGESIZE);
    /* A fixed threshold: freeing an mmapped chunk would otherwise raise it above 4 MiB. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    int sig_fd = signalfd(-1, &stop, 0);
    if (sig_fd < 0)
        die("signalfd");

    /* The arena heap and memory just below its base.  The thread first: its stack (MAP_STACK, no
     * huge pages) would merge with the chunk's VMA once that is made MADV_NOHUGEPAGE below. */
    pthread_t th;
    if (pthread_create(&th, NULL, arena_thread, NULL) != 0)
        die("pthread_create");
    pthread_mutex_lock(&g_lock);
    while (!g_arena_piece)
        pthread_cond_wait(&g_cond, &g_lock);
    uintptr_t heap = (uintptr_t)g_arena_piece & ~(HEAP_MAX - 1);
    pthread_mutex_unlock(&g_lock);
    uintptr_t hs = 0, he = 0;
    if (!vma_of(heap, &hs, &he))
        die("the arena heap is not in /proc/self/maps");
    char *below = mmap((void *)(heap - BELOW_SIZE), BELOW_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (below == MAP_FAILED)
        die("mmap below the arena heap");
    touch(below, BELOW_TOUCHED, page);
    uintptr_t as = 0, ae = 0;
    bool arena_merged = vma_of(heap, &as, &ae) && as == (uintptr_t)below && ae == he;

    /* The chunk below the other memory: new mappings go top-down, so a mapping at least as large
     * as the one just made usually lands right below it, and glibc maps its chunks with the same
     * flags.  When the gap below it is too small the chunk lands at the top of another gap; then
     * the layout is made by hand: a room for both (and a PROT_NONE page above, so that nothing
     * merges in from there), the other memory at its top, and every higher gap the chunk would
     * fit in plugged until the next mapping of its size goes to the room's bottom. */
    char *other = mmap(NULL, OTHER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (other == MAP_FAILED)
        die("mmap");
    char *user = malloc(CHUNK_REQUEST);
    if (!user || !(((size_t *)user)[-1] & 2))
        die("the 4 MiB malloc is not an mmapped chunk");
    uintptr_t chunk = (uintptr_t)user - 2 * sizeof(size_t);
    uintptr_t span = ((size_t *)user)[-1] & ~(uintptr_t)7;
    if ((uintptr_t)other != chunk + span) {
        free(user);
        munmap(other, OTHER_SIZE);
        char *room = mmap(NULL, span + OTHER_SIZE + (size_t)page, PROT_NONE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (room == MAP_FAILED)
            die("mmap");
        other = mmap(room + span, OTHER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (other == MAP_FAILED)
            die("mmap");
        munmap(room, span);
        user = chunk_at((uintptr_t)room, CHUNK_REQUEST, span);
        chunk = (uintptr_t)user - 2 * sizeof(size_t);
        span = ((size_t *)user)[-1] & ~(uintptr_t)7;
    }
    uintptr_t vs = 0, ve = 0;
    bool chunk_merged = vma_of(chunk, &vs, &ve) && vs == chunk && ve == (uintptr_t)other + OTHER_SIZE;
    /* Small pages only, whatever the system's THP setting: the counts below are of 4 KiB pages.
     * (The whole VMA, so that it stays one.) */
    if (chunk_merged && madvise((void *)vs, ve - vs, MADV_NOHUGEPAGE) != 0)
        die("madvise");
    memset(user, 7, CHUNK_REQUEST);
    touch(other, OTHER_TOUCHED, page);

    /* A chunk at the top of a VMA, above other memory ([other][chunk]), and one in the middle
     * ([other][chunk][other]): the walk from a VMA's start does not meet them; glibc's count
     * (malloc_par) sends vmmap looking. */
    size_t top_span = TOP_REQUEST + (size_t)page, mid_span = MID_REQUEST + (size_t)page;
    piece top[] = {{TOP_BELOW, 40, 0, 0}, {0, SIZE_MAX, 0, 0}};
    piece mid[] = {{MID_BELOW, 20, 0, 0}, {0, SIZE_MAX, 0, 0}, {MID_ABOVE, 10, 0, 0}};
    char *top_user, *mid_user;
    bool top_merged = make_room(top, 2, TOP_REQUEST, top_span, page, &top_user);
    bool mid_merged = make_room(mid, 3, MID_REQUEST, mid_span, page, &mid_user);
    /* A chunk and other memory with pages only read ([zero_chunk][zero_other]): the pieces' working
     * sets leave the zero page out, as smaps does. */
    size_t zero_span = ZERO_REQUEST + (size_t)page;
    piece zero[] = {{0, ZERO_CHUNK_WRITTEN, ZERO_CHUNK_READ, 0}, {ZERO_OTHER, ZERO_OTHER_WRITTEN, ZERO_OTHER_READ, 0}};
    char *zero_user;
    bool zero_merged = make_room(zero, 2, ZERO_REQUEST, zero_span, page, &zero_user);

    printf("{\"pid\":%d,\"page_size\":%ld,\"merged\":%s,", (int)getpid(), page,
           chunk_merged && arena_merged && top_merged && mid_merged && zero_merged ? "true" : "false");
    print_piece("top_below", top[0].address, TOP_BELOW, page);
    print_piece("top_chunk", top[1].address, top_span, page);
    print_piece("mid_below", mid[0].address, MID_BELOW, page);
    print_piece("mid_chunk", mid[1].address, mid_span, page);
    print_piece("mid_above", mid[2].address, MID_ABOVE, page);
    printf("\"zero_chunk\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"written\":%d,\"read\":%d},",
           zero[0].address, zero_span, ZERO_CHUNK_WRITTEN, ZERO_CHUNK_READ);
    printf("\"zero_other\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"written\":%d,\"read\":%d},",
           zero[1].address, ZERO_OTHER, ZERO_OTHER_WRITTEN, ZERO_OTHER_READ);
    printf("\"zero_vma\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu},", zero[0].address,
           zero_span + ZERO_OTHER);
    struct mallinfo2 mi = mallinfo2();
    printf("\"mallinfo2\":{\"hblks\":%zu,\"hblkhd\":%zu},", mi.hblks, mi.hblkhd);
    printf("\"chunk\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%" PRIuPTR ",\"user_size\":%zu,\"resident\":%zu},",
           chunk, span, (size_t)CHUNK_REQUEST, resident(chunk, span, page));
    printf("\"chunk_other\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"resident\":%zu},", (uintptr_t)other,
           OTHER_SIZE, resident((uintptr_t)other, OTHER_SIZE, page));
    printf("\"chunk_vma\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%" PRIuPTR "},", vs, ve - vs);
    printf("\"arena_heap\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%" PRIuPTR ",\"resident\":%zu},", heap,
           he - heap, resident(heap, he - heap, page));
    printf("\"arena_below\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"resident\":%zu},", (uintptr_t)below,
           BELOW_SIZE, resident((uintptr_t)below, BELOW_SIZE, page));
    printf("\"arena_vma\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%" PRIuPTR "}}\n", as, ae - as);
    fflush(stdout);

    wait_for_end(sig_fd, seconds);
    return 0;
}
