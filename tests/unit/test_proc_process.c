/* Tests for process facts (/proc identity, threads, find by name, access diagnosis) and for the
 * live memory reader, run against this process and children it starts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmmap/model/snapshot.h"
#include "vmmap/sources/linux/linux_memreader.h"
#include "vmmap/sources/linux/proc_maps.h"
#include "vmmap/sources/linux/proc_process.h"

static int g_argc;
static char **g_argv;

/* ---- helpers ---------------------------------------------------------------------------------- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int absent_pid(void)
{
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    long max = 4194304;
    if (f) {
        if (fscanf(f, "%ld", &max) != 1)
            max = 4194304;
        fclose(f);
    }
    return (int)max + 1; /* PIDs never exceed pid_max */
}

/* Valgrind preloads its vgpreload_*.so into the program it runs. */
static bool under_valgrind(void)
{
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload");
}

static void read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* ---- identity --------------------------------------------------------------------------------- */

static void test_info_self(void **state)
{
    vm_process p;
    vm_error err;
    vm_error_clear(&err);
    assert_int_equal(vm_linux_process_info(getpid(), &p, &err), VM_EXIT_OK);
    assert_int_equal(p.pid, getpid());
    char comm[64];
    read_text("/proc/self/comm", comm, sizeof comm);
    comm[strcspn(comm, "\n")] = '\0';
    assert_string_equal(p.name, comm);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_string_equal(p.exe, exe);
    assert_non_null(p.cmdline);
    assert_memory_equal(p.cmdline, g_argv[0], strlen(g_argv[0]));
    /* Arguments are joined by single spaces, with no trailing one. */
    size_t len = strlen(p.cmdline);
    assert_true(len > 0 && p.cmdline[len - 1] != ' ');
    assert_int_equal(p.bits, (int)(sizeof(void *) * 8));
    free(p.name);
    free(p.exe);
    free(p.cmdline);
}

static void stop_child(pid_t child);

static void test_info_child_cmdline(void **state)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* argv[0] need not be the file name, and may hold a space. */
        execl("/bin/sleep", "my sleep", "30", "0", (char *)NULL);
        _exit(127);
    }
    /* Wait for exec to finish: the exe link changes before the new argv is in place. */
    char link[64], exe[4096] = "";
    snprintf(link, sizeof link, "/proc/%d/exe", (int)child);
    vm_process p = {0};
    vm_error err;
    for (int i = 0; i < 500; i++) {
        ssize_t n = readlink(link, exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        assert_int_equal(vm_linux_process_info(child, &p, &err), VM_EXIT_OK);
        if (strstr(exe, "sleep") && p.cmdline && strcmp(p.cmdline, "my sleep 30 0") == 0)
            break;
        free(p.name);
        free(p.exe);
        free(p.cmdline);
        p.name = p.exe = p.cmdline = NULL;
        sleep_ms(10);
    }
    assert_non_null(p.name);
    assert_string_equal(p.name, "sleep");
    assert_string_equal(p.cmdline, "my sleep 30 0");
    assert_string_equal(p.exe, exe);
    free(p.name);
    free(p.exe);
    free(p.cmdline);
    stop_child(child);
}

static void test_info_missing(void **state)
{
    vm_process p;
    vm_error err;
    vm_error_clear(&err);
    assert_int_equal(vm_linux_process_info(absent_pid(), &p, &err), VM_EXIT_NOT_FOUND);
    assert_non_null(strstr(err.msg, "no process with PID"));
    assert_null(p.name);
    assert_null(p.exe);
    assert_null(p.cmdline);
}

static void test_page_tables(void **state)
{
    uint64_t pte = 0;
    assert_true(vm_linux_page_table_bytes(getpid(), &pte));
    assert_true(pte > 0);
    assert_int_equal(pte % 1024, 0);
    assert_false(vm_linux_page_table_bytes(absent_pid(), &pte));
}

/* ---- threads ---------------------------------------------------------------------------------- */

typedef struct worker {
    pthread_t th;
    int fd;                          /* read end of a pipe nobody writes to until teardown */
    _Atomic uint64_t local_addr;     /* &local on the thread's own stack */
    _Atomic pid_t tid;               /* set last: once it is there, local_addr is too */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    volatile char local = 0;
    w->local_addr = (uint64_t)(uintptr_t)&local;
    w->tid = gettid();
    char c;
    while (read(w->fd, &c, 1) < 0 && errno == EINTR)
        ;
    (void)local;
    return NULL;
}

static const vm_linux_task *find_task(const vm_linux_task *t, size_t n, uint64_t tid)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].tid == tid)
            return &t[i];
    return NULL;
}

static const vm_linux_mapping *containing(const vm_linux_maps *maps, uint64_t addr)
{
    for (size_t i = 0; i < maps->n; i++)
        if (addr >= maps->v[i].start && addr < maps->v[i].end)
            return &maps->v[i];
    return NULL;
}

/* True once every worker is blocked in a syscall and reported with a stack pointer. */
static bool all_blocked(worker *w, size_t nw, vm_linux_task **tasks, size_t *n)
{
    vm_error err;
    assert_int_equal(vm_linux_list_tasks(getpid(), tasks, n, NULL, &err), VM_EXIT_OK);
    for (size_t i = 0; i < nw; i++) {
        const vm_linux_task *t = find_task(*tasks, *n, (uint64_t)w[i].tid);
        if (!w[i].tid || !t || !t->sp_known) {
            free(*tasks);
            *tasks = NULL;
            return false;
        }
    }
    return true;
}

static void test_tasks_self(void **state)
{
    enum { NW = 3 };
    worker w[NW];
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    memset(w, 0, sizeof w);
    for (int i = 0; i < NW; i++) {
        w[i].fd = fds[0];
        assert_int_equal(pthread_create(&w[i].th, NULL, worker_main, &w[i]), 0);
        char name[16];
        snprintf(name, sizeof name, "vmt-worker-%c", (char)('0' + i));
        pthread_setname_np(w[i].th, name);
    }
    vm_linux_task *tasks = NULL;
    size_t n = 0;
    bool ready = false;
    for (int tries = 0; tries < 500 && !ready; tries++) {
        ready = all_blocked(w, NW, &tasks, &n);
        if (!ready)
            sleep_ms(10);
    }
    assert_true(ready);
    vm_linux_maps maps;
    vm_error err;
    assert_int_equal(vm_linux_read_smaps(getpid(), &maps, &err), VM_EXIT_OK);
    assert_true(n >= NW + 1);
    for (size_t i = 1; i < n; i++)
        assert_true(tasks[i - 1].tid < tasks[i].tid); /* sorted */
    assert_non_null(find_task(tasks, n, (uint64_t)getpid()));
    for (int i = 0; i < NW; i++) {
        const vm_linux_task *t = find_task(tasks, n, (uint64_t)w[i].tid);
        char name[16];
        snprintf(name, sizeof name, "vmt-worker-%c", (char)('0' + i));
        assert_string_equal(t->name, name);
        assert_false(t->running);
        /* The sp the kernel saved lies in the same mapping as the thread's own local variable.
         * Under valgrind the guest's stack is simulated and the kernel sees valgrind's own. */
        const vm_linux_mapping *mine = containing(&maps, w[i].local_addr);
        const vm_linux_mapping *at_sp = containing(&maps, t->sp);
        assert_non_null(mine);
        assert_non_null(at_sp);
        if (!under_valgrind())
            assert_ptr_equal(mine, at_sp);
        assert_true(mine->r && mine->w);
    }
    vm_linux_maps_free(&maps);
    /* Listed on a thread of their own: the same threads (the workers still blocked, with the
     * same stack pointers), and the one listing them, which is ours too. */
    vm_linux_task_list *tl = vm_linux_tasks_start(getpid());
    assert_non_null(tl);
    vm_linux_task *again = NULL;
    size_t n2 = 0;
    assert_int_equal(vm_linux_tasks_wait(tl, &again, &n2, NULL, &err), VM_EXIT_OK);
    assert_int_equal(n2, n + 1);
    for (size_t i = 0; i < n; i++) {
        const vm_linux_task *t = find_task(again, n2, tasks[i].tid);
        assert_non_null(t);
        assert_string_equal(t->name, tasks[i].name);
        if (t->tid != (uint64_t)getpid()) { /* the others are blocked */
            assert_true(t->sp_known);
            assert_int_equal(t->sp, tasks[i].sp);
        }
    }
    for (size_t i = 1; i < n2; i++)
        assert_true(again[i - 1].tid < again[i].tid);
    free(again);
    vm_linux_tasks_discard(vm_linux_tasks_start(getpid())); /* started, then not wanted */
    free(tasks);
    close(fds[1]); /* EOF wakes every reader */
    for (int i = 0; i < NW; i++)
        pthread_join(w[i].th, NULL);
    close(fds[0]);
}

static void test_tasks_gone(void **state)
{
    vm_linux_task *t = (vm_linux_task *)&t;
    size_t n = 99;
    vm_error err;
    vm_linux_task_list *tl = vm_linux_tasks_start(absent_pid());
    assert_non_null(tl);
    assert_int_equal(vm_linux_tasks_wait(tl, &t, &n, NULL, &err), VM_EXIT_TARGET_GONE);
    assert_null(t);
    assert_int_equal(n, 0);
    t = (vm_linux_task *)&t;
    n = 99;
    assert_int_equal(vm_linux_list_tasks(absent_pid(), &t, &n, NULL, &err), VM_EXIT_TARGET_GONE);
    assert_null(t);
    assert_int_equal(n, 0);
}

/* As an unprivileged user, inspecting a root process must degrade or explain, never crash.
 * Runs in a child that drops to nobody, and reports the first failed check as its exit code. */
static int become_nobody(void)
{
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
        return -1;
    return 0;
}

static int unprivileged_checks(pid_t target)
{
    if (become_nobody() != 0)
        return 2;
    vm_snapshot *snap = vm_snapshot_new();
    vm_linux_task *tasks = NULL;
    size_t n = 0;
    vm_error err;
    if (!snap || vm_linux_list_tasks(target, &tasks, &n, snap, &err) != VM_EXIT_OK || n == 0)
        return 3;
    for (size_t i = 0; i < n; i++)
        if (tasks[i].sp_known)
            return 4;
    if (snap->nwarnings != 1 || strcmp(snap->warnings[0].code, "threads-sp") != 0)
        return 5;
    free(tasks);
    vm_snapshot_free(snap);
    vm_linux_maps maps;
    vm_error_clear(&err);
    if (vm_linux_read_smaps(target, &maps, &err) != VM_EXIT_ACCESS || err.code != VM_EXIT_ACCESS)
        return 6;
    if (!strstr(err.msg, "owned by user root") || !strstr(err.msg, "permission denied") ||
        !strstr(err.msg, "read the memory map") || strcmp(err.hint, "run vmmap as root") != 0)
        return 7;
    vm_linux_mem m;
    vm_memreader r = vm_linux_memreader_open(&m, target);
    char buf[16];
    if (r.read(r.ctx, (uint64_t)(uintptr_t)&g_argc, buf, sizeof buf) != 0)
        return 8;
    if (m.vm_readv_works || m.failed_reads != 1 || m.last_errno == 0)
        return 9;
    vm_linux_memreader_close(&m);
    vm_process p;
    if (vm_linux_process_info(target, &p, &err) != VM_EXIT_OK || p.exe != NULL || !p.name)
        return 10; /* exe is unreadable for another user's process: stays NULL */
    free(p.name);
    free(p.cmdline);
    return 0;
}

static void test_unprivileged_view(void **state)
{
    if (geteuid() != 0)
        skip(); /* needs root to become somebody else */
    /* Our main thread waits in waitpid(), so it has an sp the child must not be shown. */
    pid_t parent = getpid();
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(unprivileged_checks(parent));
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- find by name ----------------------------------------------------------------------------- */

/* A copy of /bin/sleep under a unique name, so no other process can match it. */
static void make_sleep_copy(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/vmmaptest-sleep-%d", (int)getpid());
    int in = open("/bin/sleep", O_RDONLY | O_CLOEXEC);
    assert_true(in >= 0);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    assert_true(out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    close(in);
    assert_int_equal(close(out), 0);
}

static pid_t start_copy(const char *path)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        execl(path, path, "30", (char *)NULL);
        _exit(127);
    }
    /* Wait for exec: until then the child is a copy of us. */
    char link[64], exe[4096];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)child);
    for (int i = 0; i < 500; i++) {
        ssize_t n = readlink(link, exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            if (strcmp(exe, path) == 0)
                return child;
        }
        sleep_ms(10);
    }
    fail_msg("child %d never ran %s", (int)child, path);
    return -1;
}

static void stop_child(pid_t child)
{
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

static void test_find_pid(void **state)
{
    char path[64];
    make_sleep_copy(path, sizeof path);
    const char *name = strrchr(path, '/') + 1;
    int64_t pid = -1;
    vm_error err;
    vm_error_clear(&err);

    pid_t a = start_copy(path);
    assert_int_equal(vm_linux_find_pid(name, &pid, &err), VM_EXIT_OK);
    assert_int_equal(pid, a);
    assert_int_equal(vm_linux_find_pid(path, &pid, &err), VM_EXIT_OK); /* the full path works too */
    assert_int_equal(pid, a);

    pid_t b = start_copy(path);
    assert_int_equal(vm_linux_find_pid(name, &pid, &err), VM_EXIT_USAGE);
    char pa[16], pb[16];
    snprintf(pa, sizeof pa, "%d", (int)a);
    snprintf(pb, sizeof pb, "%d", (int)b);
    assert_non_null(strstr(err.msg, "several processes are named"));
    assert_non_null(strstr(err.msg, pa));
    assert_non_null(strstr(err.msg, pb));
    assert_non_null(strstr(err.msg, "pass a PID instead"));
    stop_child(a);
    stop_child(b);
    unlink(path);

    assert_int_equal(vm_linux_find_pid(name, &pid, &err), VM_EXIT_NOT_FOUND);
    assert_non_null(strstr(err.msg, name));
    assert_string_equal(err.hint, "list processes with: ps -e -o pid,comm");
    assert_int_equal(vm_linux_find_pid("", &pid, &err), VM_EXIT_USAGE);
}

static void test_find_pid_skips_self(void **state)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    int64_t pid = -1;
    vm_error err;
    int rc = vm_linux_find_pid(strrchr(exe, '/') + 1, &pid, &err);
    if (rc == VM_EXIT_OK)
        assert_true(pid != getpid()); /* another copy of this test may be running */
    else
        assert_true(rc == VM_EXIT_NOT_FOUND || rc == VM_EXIT_USAGE);
}

/* ---- liveness, address space size ------------------------------------------------------------- */

static void test_alive(void **state)
{
    assert_true(vm_linux_process_alive(getpid()));
    assert_false(vm_linux_process_alive(absent_pid()));
    assert_false(vm_linux_process_alive(0));
    assert_false(vm_linux_process_alive(-1));
    pid_t z = fork();
    assert_true(z >= 0);
    if (z == 0)
        _exit(0);
    /* Not reaped yet: a zombie, which is not alive. */
    bool dead = false;
    for (int i = 0; i < 500 && !dead; i++) {
        dead = !vm_linux_process_alive(z);
        if (!dead)
            sleep_ms(10);
    }
    assert_true(dead);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)z);
    assert_int_equal(access(path, F_OK), 0); /* still listed in /proc */
    waitpid(z, NULL, 0);
}

static void test_user_top(void **state)
{
#if defined(__x86_64__)
    assert_true(vm_linux_user_top(0) == 0x7ffffffff000ull);
    assert_true(vm_linux_user_top(0x7ffffffff000ull) == 0x7ffffffff000ull);
    assert_true(vm_linux_user_top(0x7ffd00000000ull) == 0x7ffffffff000ull);
    assert_true(vm_linux_user_top(0x7ffffffff000ull + 0x1000) == 0x00fffffffffff000ull);
    assert_true(vm_linux_user_top(0x00fffffffffff000ull) == 0x00fffffffffff000ull);
    /* [vsyscall] is kernel space and must not widen the user space. */
    assert_true(vm_linux_user_top(0xffffffffff601000ull) == 0x7ffffffff000ull);
    assert_true(vm_linux_user_top(UINT64_MAX) == 0x7ffffffff000ull);
#else
    skip();
#endif
}

/* ---- memory reader ---------------------------------------------------------------------------- */

static const char KNOWN[] = "vmmap known bytes: 0123456789abcdef";

static void check_reader(bool force_proc_mem)
{
    vm_linux_mem m;
    vm_memreader r = vm_linux_memreader_open(&m, getpid());
    if (force_proc_mem)
        m.vm_readv_works = false;
    char buf[sizeof KNOWN];
    memset(buf, 0, sizeof buf);
    assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)KNOWN, buf, sizeof KNOWN), sizeof KNOWN);
    assert_memory_equal(buf, KNOWN, sizeof KNOWN);
    if (force_proc_mem)
        assert_true(m.mem_fd >= 0);
    else
        assert_int_equal(m.mem_fd, -1);

    long ps = sysconf(_SC_PAGESIZE);
    /* Two pages, the second unmapped: a read across the boundary returns the first part. */
    char *two = mmap(NULL, (size_t)ps * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(two != MAP_FAILED);
    memset(two, 'A', (size_t)ps);
    assert_int_equal(munmap(two + ps, (size_t)ps), 0);
    char big[256];
    uint64_t at = (uint64_t)(uintptr_t)two + (uint64_t)ps - 100;
    assert_int_equal(r.read(r.ctx, at, big, sizeof big), 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(big[i], 'A');
    /* Entirely unmapped. */
    assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)two + (uint64_t)ps, big, sizeof big), 0);
    assert_int_equal(munmap(two, (size_t)ps), 0);
    assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)two, big, sizeof big), 0);
    assert_int_equal(r.read(r.ctx, 0, big, sizeof big), 0);
    assert_int_equal(r.read(r.ctx, 0x10, big, 0), 0);
    /* Addresses at the very top: the length is clamped so addr + len never wraps. */
    assert_int_equal(r.read(r.ctx, UINT64_MAX, big, 1), 0);
    assert_int_equal(r.read(r.ctx, UINT64_MAX - 15, big, SIZE_MAX), 0);
    assert_int_equal(r.read(r.ctx, 0x8000000000000000ull, big, 16), 0);
    assert_int_equal(r.read(r.ctx, 0xffffffffff600000ull, big, 16) <= 16, 1);
    /* A huge len (with a buffer that really is that big, reserved but never touched) comes back
     * empty over unreadable memory, and as the readable prefix over a partly readable range. */
    size_t hlen = (size_t)256 << 20;
    char *huge = mmap(NULL, hlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(huge != MAP_FAILED);
    assert_int_equal(r.read(r.ctx, 0, huge, hlen), 0);
    char *one = mmap(NULL, (size_t)ps * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(one != MAP_FAILED);
    assert_int_equal(munmap(one + ps, (size_t)ps), 0);
    memset(one, 'B', (size_t)ps);
    assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)one, huge, hlen), (size_t)ps);
    assert_int_equal(huge[0], 'B');
    assert_int_equal(huge[ps - 1], 'B');
    assert_int_equal(munmap(one, (size_t)ps), 0);
    assert_int_equal(munmap(huge, hlen), 0);

    assert_true(m.reads >= 10);
    assert_true(m.failed_reads >= 8);
    assert_true(m.bytes >= sizeof KNOWN + 100);
    assert_int_equal(force_proc_mem ? !m.vm_readv_works : m.vm_readv_works, 1);
    vm_linux_memreader_close(&m);
    assert_int_equal(m.mem_fd, -1);
    vm_linux_memreader_close(&m); /* twice is harmless */
}

static void test_reader_vm_readv(void **state)
{
    check_reader(false);
}

static void test_reader_proc_mem(void **state)
{
    check_reader(true);
}

static void test_reader_large(void **state)
{
    /* Several MiB in one call, through both paths: partial page handling must not lose data. */
    size_t len = 3u << 20;
    unsigned char *src = malloc(len), *dst = malloc(len);
    assert_non_null(src);
    assert_non_null(dst);
    for (size_t i = 0; i < len; i++)
        src[i] = (unsigned char)(i * 7 + 3);
    for (int mode = 0; mode < 2; mode++) {
        vm_linux_mem m;
        vm_memreader r = vm_linux_memreader_open(&m, getpid());
        m.vm_readv_works = mode == 0;
        memset(dst, 0, len);
        assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)src, dst, len), len);
        assert_memory_equal(src, dst, len);
        assert_true(vm_read_exact(&r, (uint64_t)(uintptr_t)src + 5, dst, 11));
        assert_false(vm_read_exact(&r, UINT64_MAX - 3, dst, 8));
        vm_linux_memreader_close(&m);
    }
    free(src);
    free(dst);
}

/* Batched reads (vm_read_many): 3,000 pieces, with unreadable ones scattered among them (an
 * unmapped page, address 0, the top of the address space, zero lengths), through both paths:
 * every piece gets exactly what a read of its own gets. */
static void check_read_many(bool force_proc_mem)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t npages = 64;
    unsigned char *area = mmap(NULL, (size_t)ps * npages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(area != MAP_FAILED);
    for (size_t i = 0; i < (size_t)ps * npages; i++)
        area[i] = (unsigned char)(i * 13 + 1);
    assert_int_equal(munmap(area + 10 * ps, (size_t)ps), 0); /* a hole */

    enum { N = 3000 };
    static vm_read_req reqs[N];
    static unsigned char got[N][24], want[N][24];
    vm_linux_mem m;
    vm_memreader r = vm_linux_memreader_open(&m, getpid());
    m.vm_readv_works = !force_proc_mem;
    for (size_t i = 0; i < N; i++) {
        uint64_t addr = (uint64_t)(uintptr_t)area + (i * 977) % ((size_t)ps * npages - 24);
        size_t len = 1 + i % 24;
        if (i % 101 == 0)
            addr = 0;
        if (i % 211 == 0)
            addr = UINT64_MAX - 3;
        if (i % 307 == 0)
            len = 0;
        reqs[i] = (vm_read_req){addr, got[i], len, 99};
    }
    memset(got, 0, sizeof got);
    vm_read_many(&r, reqs, N);
    size_t unreadable = 0;
    for (size_t i = 0; i < N; i++) {
        memset(want[i], 0, sizeof want[i]);
        size_t one = reqs[i].len ? r.read(r.ctx, reqs[i].addr, want[i], reqs[i].len) : 0;
        assert_int_equal(reqs[i].got, one);
        assert_memory_equal(got[i], want[i], sizeof got[i]);
        unreadable += one < reqs[i].len;
    }
    assert_true(unreadable > 40); /* the holes really were among them */
    vm_linux_memreader_close(&m);
    assert_int_equal(munmap(area, (size_t)ps * 10), 0);
    assert_int_equal(munmap(area + 11 * ps, (size_t)ps * (npages - 11)), 0);
}

static void test_reader_read_many(void **state)
{
    check_read_many(false);
    check_read_many(true);
}

static void test_explain_access(void **state)
{
    vm_error err;
    vm_error_clear(&err);
    vm_linux_explain_access(getpid(), "read the memory", &err);
    assert_int_equal(err.code, VM_EXIT_ACCESS);
    assert_non_null(strstr(err.msg, "cannot read the memory of PID"));
    assert_non_null(strstr(err.msg, "permission denied"));
    assert_true(err.hint[0] != '\0');
    vm_error_clear(&err);
    vm_linux_explain_access(absent_pid(), NULL, &err);
    assert_int_equal(err.code, VM_EXIT_ACCESS);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_self),
        cmocka_unit_test(test_info_child_cmdline),
        cmocka_unit_test(test_info_missing),
        cmocka_unit_test(test_page_tables),
        cmocka_unit_test(test_tasks_self),
        cmocka_unit_test(test_tasks_gone),
        cmocka_unit_test(test_unprivileged_view),
        cmocka_unit_test(test_find_pid),
        cmocka_unit_test(test_find_pid_skips_self),
        cmocka_unit_test(test_alive),
        cmocka_unit_test(test_user_top),
        cmocka_unit_test(test_reader_vm_readv),
        cmocka_unit_test(test_reader_proc_mem),
        cmocka_unit_test(test_reader_large),
        cmocka_unit_test(test_reader_read_many),
        cmocka_unit_test(test_explain_access),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
