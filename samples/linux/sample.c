/* sample: a process that lays out memory in every way the Linux classifier distinguishes, prints
 * its own ground truth as one JSON object (one line on stdout), then waits.
 *
 *   sample               wait until stdin reaches EOF, or SIGTERM / SIGINT / SIGHUP
 *   sample --seconds N   wait N seconds instead of reading stdin (signals still end it early)
 *   sample --aligned-reservation
 *                        the reservation starts at a 64 MiB-aligned address, as a glibc arena
 *                        heap does (HEAP_MAX_SIZE): read/write then PROT_NONE up to 64 MiB, and no
 *                        heap_info at its start.  By chance it sometimes is; this makes it so.
 *
 * Layout (what the integration test checks against a snapshot):
 *   small_malloc   100 x 64-byte malloc in the main thread          -> Heap, "glibc main arena" ([heap])
 *   large_malloc   one 4 MiB malloc (above the mmap threshold)      -> Heap, "glibc mmap chunks"
 *   reservation    64 MiB PROT_NONE mmap, first 1 MiB made RW       -> Private Data, commit + reserve
 *   file_mapping   1 MiB temp file in /tmp, MAP_SHARED read-only    -> Mapped File, path
 *   shared_anon    2 MiB MAP_SHARED|MAP_ANONYMOUS                   -> Shareable
 *   memfd          1 MiB memfd "vmmap-sample", MAP_SHARED           -> Shareable
 *   sysv_shm       1 MiB SysV segment (IPC_RMID right after shmat)  -> Shareable
 *   named_anon     256 KiB private anon named with PR_SET_VMA        -> Private Data (name if supported)
 *   arena_allocs   3 worker threads, each 256 KiB in 256-byte pieces -> Heap, "glibc arena" (one each)
 *   threads        main + 3 workers (default stack) + 4 threads with 256 KiB, 512 KiB, 1 MiB, 2 MiB
 *                  stacks; every thread other than main is blocked in read() on a pipe  -> Stack
 *   images         addresses in the executable's .text/.data/.bss and in libc           -> Image
 *
 * The creation order is chosen so that no two items that the classifier must tell apart end up in
 * one VMA: the kernel merges adjacent anonymous mappings with equal flags, and places new mappings
 * top-down, so the large malloc and the reservation are made first (their neighbours below are
 * file or shared mappings, and their neighbours above are library images).
 *
 * Cleanup: the temp file is unlinked on the EOF / signal / timeout path (a SIGKILL leaves it: the
 * test harness removes the path named in the ground truth after reaping the sample); the SysV
 * segment is marked IPC_RMID as soon as it is attached, so nothing leaks when the sample is killed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_SET_VMA_ANON_NAME
#define PR_SET_VMA_ANON_NAME 0
#endif

#define KiB ((size_t)1024)
#define MiB (KiB * KiB)

#define SMALL_COUNT 100
#define SMALL_SIZE 64
#define SMALL_REPORTED 5
#define LARGE_SIZE (4 * MiB)
#define RESERVE_SIZE (64 * MiB)
#define RESERVE_COMMIT (1 * MiB)
#define FILE_SIZE (1 * MiB)
#define SHARED_ANON_SIZE (2 * MiB)
#define MEMFD_SIZE (1 * MiB)
#define SHM_SIZE (1 * MiB)
#define NAMED_SIZE (256 * KiB)
#define NAMED_NAME "vmmap-sample-named"
#define MEMFD_NAME "vmmap-sample"
#define WORKERS 3
#define WORKER_PIECE 256
#define WORKER_TOTAL (256 * KiB)
#define WORKER_PIECES (WORKER_TOTAL / WORKER_PIECE)
#define SIZED_THREADS 4
#define NTHREADS (WORKERS + SIZED_THREADS)
#define GLIBC_HEAP_MAX ((uintptr_t)64 * MiB) /* HEAP_MAX_SIZE on 64-bit */

/* Initialised data and bss in the executable, reported so the test can find its sections. */
int sample_data_marker = 0x5a5a5a5a;
int sample_bss_marker;

typedef struct thread_info {
    pthread_t handle;
    bool worker;
    char name[16];
    size_t requested;     /* stack size asked for; 0 = default */
    size_t stack_size;    /* pthread_getattr_np's stack size */
    pid_t tid;
    uintptr_t stack_local;
    /* worker only */
    void **pieces;
    uintptr_t alloc_address;
    uintptr_t arena_heap;   /* the 64 MiB-aligned heap the piece lies in */
    bool non_main_arena;    /* NON_MAIN_ARENA bit of the piece's chunk header */
    uintptr_t arena;        /* the arena's malloc_state (heap_info.ar_ptr), 0 if main arena */
    bool ready;
} thread_info;

static int g_block_pipe[2] = {-1, -1};   /* threads block reading [0]; closing [1] releases them */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;

static void die(const char *what)
{
    fprintf(stderr, "sample: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void die_msg(const char *what)
{
    fprintf(stderr, "sample: %s\n", what);
    exit(1);
}

static void mark_ready(thread_info *t)
{
    pthread_mutex_lock(&g_lock);
    t->ready = true;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static void wait_ready(thread_info *t)
{
    pthread_mutex_lock(&g_lock);
    while (!t->ready)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);
}

static void block_until_released(void)
{
    char c;
    for (;;) {
        ssize_t n = read(g_block_pipe[0], &c, 1);
        if (n == 0)
            return;
        if (n < 0 && errno != EINTR)
            return;
    }
}

static void *thread_main(void *arg)
{
    thread_info *t = arg;
    volatile char local[64];   /* a local the test looks up: it must be in this thread's stack */
    local[0] = 1;
    t->tid = gettid();
    t->stack_local = (uintptr_t)&local[0];
    pthread_setname_np(pthread_self(), t->name);

    if (t->worker) {
        /* The first malloc in a thread attaches it to an arena; with threads started one at a time
         * glibc creates a new arena for each (the limit is 8 x cores). */
        t->pieces = malloc(WORKER_PIECES * sizeof *t->pieces);
        if (!t->pieces)
            die_msg("out of memory");
        for (size_t i = 0; i < WORKER_PIECES; i++) {
            t->pieces[i] = malloc(WORKER_PIECE);
            if (!t->pieces[i])
                die_msg("out of memory");
            memset(t->pieces[i], (int)(i & 0xff), WORKER_PIECE);
        }
        void *p = t->pieces[WORKER_PIECES / 2];
        t->alloc_address = (uintptr_t)p;
        t->arena_heap = (uintptr_t)p & ~(GLIBC_HEAP_MAX - 1);
        size_t header = ((size_t *)p)[-1];
        t->non_main_arena = (header & 0x4) != 0;
        /* heap_info.ar_ptr (offset 0 of the heap) names the arena: equal for threads sharing one. */
        t->arena = t->non_main_arena ? *(uintptr_t *)t->arena_heap : 0;

        /* The default stack size, as glibc chose it.  Only workers ask: pthread_getattr_np mallocs
         * (a cpuset), which would give the sized-stack threads arenas of their own. */
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            size_t sz = 0;
            pthread_attr_getstacksize(&attr, &sz);
            t->stack_size = sz;
            pthread_attr_destroy(&attr);
        }
    }

    mark_ready(t);
    block_until_released();
    (void)local[0];
    return NULL;
}

/* Waits (up to 2 s) until the thread is asleep, i.e. inside read(), so the mapper sees a syscall
 * stack pointer for it. */
static void wait_sleeping(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    for (int i = 0; i < 2000; i++) {
        char buf[512];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
            return;
        buf[n] = '\0';
        char *rp = strrchr(buf, ')');
        if (rp && rp[1] == ' ' && rp[2] == 'S')
            return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static void touch_pages(volatile char *p, size_t len, bool write, long page)
{
    for (size_t off = 0; off < len; off += (size_t)page) {
        if (write)
            p[off] = (char)(off / (size_t)page + 1);
        else
            (void)p[off];
    }
}

static void print_range(const char *key, uintptr_t addr, size_t size, bool comma)
{
    printf("\"%s\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu}%s", key, addr, size, comma ? "," : "");
}

/* JSON string: the paths we print are ours or the kernel's; escape the few characters that need it. */
static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The reservation at a GLIBC_HEAP_MAX-aligned address, as glibc's new_heap places an arena heap:
 * twice the size mapped, the aligned half kept.  The other half stays mapped read-only (never
 * touched, so it costs nothing) rather than unmapped: the mappings made later would fill the
 * hole next to the reservation, and a thread stack's PROT_NONE guard page there would merge
 * with the reservation's PROT_NONE part. */
static char *map_aligned_reservation(void)
{
    char *span = mmap(NULL, 2 * RESERVE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (span == MAP_FAILED)
        return MAP_FAILED;
    uintptr_t base = ((uintptr_t)span + GLIBC_HEAP_MAX - 1) & ~(GLIBC_HEAP_MAX - 1);
    size_t below = base - (uintptr_t)span, above = RESERVE_SIZE - below;
    if ((below && mprotect(span, below, PROT_READ) != 0) ||
        (above && mprotect((char *)base + RESERVE_SIZE, above, PROT_READ) != 0))
        return MAP_FAILED;
    return (char *)base;
}

/* Checks that [addr, addr+size) is exactly one mapping in /proc/self/maps (nothing merged into it,
 * not split); a mismatch is reported on stderr and in the ground truth ("layout_problems"). */
static int check_own_vma(const char *what, uintptr_t addr, size_t size)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return 0;
    char line[512];
    int problems = 1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi;
        if (sscanf(line, "%llx-%llx", &lo, &hi) != 2)
            continue;
        if (lo <= addr && addr < hi) {
            problems = (lo == addr && hi == addr + size) ? 0 : 1;
            if (problems)
                fprintf(stderr, "sample: warning: %s [0x%" PRIxPTR ", +%zu) lies in mapping %llx-%llx\n", what,
                        addr, size, lo, hi);
            break;
        }
    }
    fclose(f);
    return problems;
}

int main(int argc, char **argv)
{
    long seconds = -1;
    bool aligned_reservation = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            char *end;
            seconds = strtol(argv[++i], &end, 10);
            if (*end || seconds < 0)
                die_msg("usage: sample [--seconds N] [--aligned-reservation]");
        } else if (strcmp(argv[i], "--aligned-reservation") == 0) {
            aligned_reservation = true;
        } else {
            die_msg("usage: sample [--seconds N] [--aligned-reservation]");
        }
    }
    volatile char main_local[64];   /* the main thread's stack marker */
    main_local[0] = 1;

    long page = sysconf(_SC_PAGESIZE);
    signal(SIGPIPE, SIG_IGN);

    /* Signals that end the sample are blocked in every thread (threads inherit the mask) and read
     * by the main thread from a signalfd. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0)
        die_msg("pthread_sigmask failed");
    int sig_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    if (sig_fd < 0)
        die("signalfd");

    /* 1. small mallocs from the main arena ([heap], brk). */
    void *small[SMALL_COUNT];
    for (int i = 0; i < SMALL_COUNT; i++) {
        small[i] = malloc(SMALL_SIZE);
        if (!small[i])
            die_msg("out of memory");
        memset(small[i], i, SMALL_SIZE);
    }

    /* 2. a large malloc: an mmapped chunk. */
    char *large = malloc(LARGE_SIZE);
    if (!large)
        die_msg("out of memory");
    memset(large, 0x11, LARGE_SIZE);

    /* 3. reservation: 64 MiB PROT_NONE, the first 1 MiB committed. */
    char *reserve = aligned_reservation ? map_aligned_reservation()
                                        : mmap(NULL, RESERVE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reserve == MAP_FAILED)
        die("mmap reservation");
    if (mprotect(reserve, RESERVE_COMMIT, PROT_READ | PROT_WRITE) != 0)
        die("mprotect reservation");
    touch_pages(reserve, RESERVE_COMMIT, true, page);

    /* 4. a file mapping: 1 MiB temp file, shared read-only, pages touched. */
    char file_path[] = "/tmp/vmmap-sample-XXXXXX";
    int file_fd = mkostemp(file_path, O_CLOEXEC);
    if (file_fd < 0)
        die("mkostemp");
    {
        char chunk[4096];
        memset(chunk, 'v', sizeof chunk);
        for (size_t off = 0; off < FILE_SIZE; off += sizeof chunk) {
            if (write(file_fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) {
                unlink(file_path);
                die("write temp file");
            }
        }
    }
    char *file_map = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, file_fd, 0);
    if (file_map == MAP_FAILED) {
        unlink(file_path);
        die("mmap file");
    }
    close(file_fd);
    touch_pages(file_map, FILE_SIZE, false, page);

    /* 5. shared anonymous memory. */
    char *shared_anon = mmap(NULL, SHARED_ANON_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared_anon == MAP_FAILED) {
        unlink(file_path);
        die("mmap shared anonymous");
    }
    touch_pages(shared_anon, SHARED_ANON_SIZE, true, page);

    /* 6. memfd. */
    int mfd = memfd_create(MEMFD_NAME, MFD_CLOEXEC);
    if (mfd < 0 || ftruncate(mfd, (off_t)MEMFD_SIZE) != 0) {
        unlink(file_path);
        die("memfd");
    }
    char *memfd_map = mmap(NULL, MEMFD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    if (memfd_map == MAP_FAILED) {
        unlink(file_path);
        die("mmap memfd");
    }
    close(mfd);
    touch_pages(memfd_map, MEMFD_SIZE, true, page);

    /* 7. SysV shared memory, removed (IPC_RMID) as soon as it is attached: it goes away with us. */
    int shmid = shmget(IPC_PRIVATE, SHM_SIZE, IPC_CREAT | 0600);
    if (shmid < 0) {
        unlink(file_path);
        die("shmget");
    }
    char *shm = shmat(shmid, NULL, 0);
    int shmat_errno = errno;
    shmctl(shmid, IPC_RMID, NULL);
    if (shm == (void *)-1) {
        errno = shmat_errno;
        unlink(file_path);
        die("shmat");
    }
    touch_pages(shm, SHM_SIZE, true, page);

    /* 8. a private anonymous mapping with a name (5.17+, CONFIG_ANON_VMA_NAME); failure is fine. */
    char *named = mmap(NULL, NAMED_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (named == MAP_FAILED) {
        unlink(file_path);
        die("mmap named");
    }
    /* VM_DONTDUMP keeps it out of a merge with a neighbouring private anonymous mapping (such as
     * the large malloc chunk) when naming is not supported. */
    madvise(named, NAMED_SIZE, MADV_DONTDUMP);
    bool named_ok = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)named, (unsigned long)NAMED_SIZE,
                          (unsigned long)NAMED_NAME) == 0;
    touch_pages(named, NAMED_SIZE, true, page);

    /* 9. threads: workers (default stack, own arena) one at a time, then the sized stacks. */
    if (pipe2(g_block_pipe, O_CLOEXEC) != 0) {
        unlink(file_path);
        die("pipe");
    }
    static const size_t sizes[SIZED_THREADS] = {256 * KiB, 512 * KiB, 1 * MiB, 2 * MiB};
    static thread_info threads[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        thread_info *t = &threads[i];
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        if (i < WORKERS) {
            t->worker = true;
            snprintf(t->name, sizeof t->name, "worker-%d", (i + 1) % 10);
        } else {
            t->requested = sizes[i - WORKERS];
            snprintf(t->name, sizeof t->name, "stack-%uk", (unsigned)(t->requested / KiB) % 100000u);
            if (pthread_attr_setstacksize(&attr, t->requested) != 0) {
                unlink(file_path);
                die_msg("pthread_attr_setstacksize failed");
            }
        }
        int rc = pthread_create(&t->handle, &attr, thread_main, t);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            errno = rc;
            unlink(file_path);
            die("pthread_create");
        }
        wait_ready(t);
    }
    for (int i = 0; i < NTHREADS; i++)
        wait_sleeping(threads[i].tid);

    /* Image addresses: executable text, data, bss; libc text and data. */
    Dl_info libc_info;
    memset(&libc_info, 0, sizeof libc_info);
    uintptr_t libc_text = (uintptr_t)&fprintf;
    uintptr_t libc_data = (uintptr_t)stdout;   /* &_IO_2_1_stdout_, in libc's .data */
    char libc_path[PATH_MAX] = "";
    if (dladdr((void *)libc_text, &libc_info) && libc_info.dli_fname) {
        if (!realpath(libc_info.dli_fname, libc_path))
            snprintf(libc_path, sizeof libc_path, "%s", libc_info.dli_fname);
    }
    char exe_path[PATH_MAX];
    ssize_t exe_len = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_path[exe_len > 0 ? exe_len : 0] = '\0';
    sample_bss_marker = 1;

    int layout_problems = 0;
    layout_problems += check_own_vma("reservation (committed part)", (uintptr_t)reserve, RESERVE_COMMIT);
    layout_problems += check_own_vma("reservation (reserved part)", (uintptr_t)reserve + RESERVE_COMMIT,
                                     RESERVE_SIZE - RESERVE_COMMIT);
    layout_problems += check_own_vma("file mapping", (uintptr_t)file_map, FILE_SIZE);
    layout_problems += check_own_vma("shared anonymous", (uintptr_t)shared_anon, SHARED_ANON_SIZE);
    layout_problems += check_own_vma("memfd", (uintptr_t)memfd_map, MEMFD_SIZE);
    layout_problems += check_own_vma("sysv shm", (uintptr_t)shm, SHM_SIZE);
    layout_problems += check_own_vma("named anonymous", (uintptr_t)named, NAMED_SIZE);

    /* Ground truth: one line of JSON. */
    printf("{\"pid\":%d,\"page_size\":%ld,\"layout_problems\":%d,", (int)getpid(), page, layout_problems);
    printf("\"small_malloc\":[");
    for (int i = 0; i < SMALL_REPORTED; i++)
        printf("%s{\"address\":\"0x%" PRIxPTR "\",\"size\":%d}", i ? "," : "", (uintptr_t)small[i], SMALL_SIZE);
    printf("],");
    print_range("large_malloc", (uintptr_t)large, LARGE_SIZE, true);
    printf("\"arena_allocs\":[");
    for (int i = 0; i < WORKERS; i++) {
        thread_info *t = &threads[i];
        printf("%s{\"tid\":%d,\"address\":\"0x%" PRIxPTR "\",\"size\":%d,\"total\":%zu,"
               "\"arena\":\"0x%" PRIxPTR "\",\"arena_heap\":\"0x%" PRIxPTR "\",\"non_main_arena\":%s}",
               i ? "," : "", (int)t->tid, t->alloc_address, WORKER_PIECE, (size_t)WORKER_TOTAL, t->arena, t->arena_heap,
               t->non_main_arena ? "true" : "false");
    }
    printf("],");
    printf("\"threads\":[{\"tid\":%d,\"name\":\"main\",\"main\":true,\"stack_local\":\"0x%" PRIxPTR
           "\",\"stack_size\":0}",
           (int)getpid(), (uintptr_t)&main_local[0]);
    for (int i = 0; i < NTHREADS; i++) {
        thread_info *t = &threads[i];
        printf(",{\"tid\":%d,\"name\":\"%s\",\"main\":false,\"worker\":%s,\"stack_local\":\"0x%" PRIxPTR
               "\",\"stack_size\":%zu}",
               (int)t->tid, t->name, t->worker ? "true" : "false", t->stack_local,
               t->requested ? t->requested : t->stack_size);
    }
    printf("],");
    printf("\"reservation\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"committed\":%zu},", (uintptr_t)reserve,
           RESERVE_SIZE, RESERVE_COMMIT);
    printf("\"file_mapping\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"path\":", (uintptr_t)file_map, FILE_SIZE);
    print_json_string(file_path);
    printf("},");
    print_range("shared_anon", (uintptr_t)shared_anon, SHARED_ANON_SIZE, true);
    printf("\"memfd\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"name\":\"%s\"},", (uintptr_t)memfd_map,
           MEMFD_SIZE, MEMFD_NAME);
    printf("\"sysv_shm\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"shmid\":%d},", (uintptr_t)shm, SHM_SIZE,
           shmid);
    printf("\"named_anon\":{\"address\":\"0x%" PRIxPTR "\",\"size\":%zu,\"name\":\"%s\",\"named\":%s},",
           (uintptr_t)named, NAMED_SIZE, NAMED_NAME, named_ok ? "true" : "false");
    printf("\"images\":{\"exe\":");
    print_json_string(exe_path);
    printf(",\"exe_text\":\"0x%" PRIxPTR "\",\"exe_data\":\"0x%" PRIxPTR "\",\"exe_bss\":\"0x%" PRIxPTR "\",",
           (uintptr_t)&main, (uintptr_t)&sample_data_marker, (uintptr_t)&sample_bss_marker);
    printf("\"libc\":");
    print_json_string(libc_path);
    printf(",\"libc_text\":\"0x%" PRIxPTR "\",\"libc_data\":\"0x%" PRIxPTR "\"}}\n", libc_text, libc_data);
    fflush(stdout);

    /* Wait: stdin EOF (unless --seconds), a stop signal, or the timeout. */
    bool watch_stdin = seconds < 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd pfd[2] = {{.fd = sig_fd, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
        int timeout = -1;
        if (seconds >= 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000;
            long long left = seconds * 1000LL - elapsed_ms;
            if (left <= 0)
                break;
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        int n = poll(pfd, watch_stdin ? 2 : 1, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (n == 0)
            continue;   /* the loop head checks the deadline */
        if (pfd[0].revents)
            break;      /* a stop signal */
        if (watch_stdin && pfd[1].revents) {
            char buf[256];
            ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                break;  /* EOF or a dead stdin */
        }
    }

    /* Cleanup. */
    unlink(file_path);
    close(g_block_pipe[1]);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(threads[i].handle, NULL);
        if (threads[i].pieces) {
            for (size_t j = 0; j < WORKER_PIECES; j++)
                free(threads[i].pieces[j]);
            free(threads[i].pieces);
        }
    }
    close(g_block_pipe[0]);
    munmap(named, NAMED_SIZE);
    shmdt(shm);
    munmap(memfd_map, MEMFD_SIZE);
    munmap(shared_anon, SHARED_ANON_SIZE);
    munmap(file_map, FILE_SIZE);
    munmap(reserve, RESERVE_SIZE);
    free(large);
    for (int i = 0; i < SMALL_COUNT; i++)
        free(small[i]);
    close(sig_fd);
    (void)main_local[0];
    return 0;
}
