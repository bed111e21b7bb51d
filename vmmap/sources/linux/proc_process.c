/* Process-level facts from /proc: identity, page tables, threads, and why access was denied.
 *
 * Every file here is untrusted text that can change or vanish between two reads (the target
 * runs on), so reads are bounded, numbers are overflow-checked, and a thread that disappears
 * while we list it is simply skipped. */
#include "proc_process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmmap/util/xalloc.h"

#define CMDLINE_MAX (64u * 1024u)
/* /proc/PID/status is ~1.5 KiB; large CPU lists can grow it, so leave generous room. */
#define STATUS_MAX (32u * 1024u)
/* pid_max can be at most 2^22: no /proc or task directory can hold more entries than that. */
#define MAX_DIR_ENTRIES (1u << 22)
#define CAP_SYS_PTRACE_BIT 19

/* ---- small helpers ------------------------------------------------------------------------ */

/* Reads up to cap-1 bytes of a file and NUL-terminates them.  /proc files can come back in
 * several short reads, so loop until EOF or full.  Returns 0 or an errno value. */
static int read_file(const char *path, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    size_t n = 0;
    int e = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = errno;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return e;
}

static int read_pid_file(int pid, const char *name, char *buf, size_t cap, size_t *len)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    return read_file(path, buf, cap, len);
}

/* readlink into a fresh string; NULL when the link cannot be read (no permission, kernel
 * thread, gone) or is implausibly long. */
static char *readlink_alloc(const char *path)
{
    char buf[8192];
    ssize_t n = readlink(path, buf, sizeof buf);
    if (n <= 0 || (size_t)n >= sizeof buf)
        return NULL;
    buf[n] = '\0';
    return vm_strdup(buf);
}

/* Removes one trailing newline (comm ends with one). */
static void chomp(char *s, size_t *len)
{
    if (*len && s[*len - 1] == '\n')
        s[--*len] = '\0';
}

static size_t min_len(size_t a, size_t b)
{
    return a < b ? a : b;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Decimal text to int64; the whole string must be digits and fit. */
static bool parse_decimal(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool parse_pid_name(const char *s, int *pid)
{
    uint64_t v;
    if (!parse_decimal(s, INT32_MAX, &v) || v == 0)
        return false;
    *pid = (int)v;
    return true;
}

/* ---- process identity ------------------------------------------------------------------------ */

/* NUL-separated argv joined by spaces; NULL when empty (kernel threads, zombies). */
static char *read_cmdline(int pid)
{
    char *buf = malloc(CMDLINE_MAX + 1);
    if (!buf)
        return NULL;
    size_t len;
    read_pid_file(pid, "cmdline", buf, CMDLINE_MAX + 1, &len);
    while (len && buf[len - 1] == '\0')
        len--;
    if (len == 0) {
        free(buf);
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[len] = '\0';
    return buf;
}

bool vm_linux_exe_header(int pid, uint8_t head[VM_LINUX_EXE_HEADER])
{
    char path[64];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/exe", pid);
    else
        snprintf(path, sizeof path, "/proc/self/exe");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = pread(fd, head, VM_LINUX_EXE_HEADER, 0);
    close(fd);
    return n == VM_LINUX_EXE_HEADER && memcmp(head, "\177ELF", 4) == 0;
}

/* 32 or 64 from the ELF class byte of the running executable; 64 when it cannot be read. */
static int exe_bits(int pid)
{
    uint8_t head[VM_LINUX_EXE_HEADER];
    return vm_linux_exe_header(pid, head) && head[4] == 1 ? 32 : 64;
}

static int missing_process(int pid, int e, vm_error *err)
{
    if (e == ENOENT || e == ESRCH) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %d", pid);
        vm_error_hint(err, "list processes with: ps -e -o pid,comm");
        return VM_EXIT_NOT_FOUND;
    }
    vm_error_set(err, VM_EXIT_ERROR, "cannot read /proc/%d: %s", pid, strerror(e));
    return VM_EXIT_ERROR;
}

int vm_linux_process_info(int pid, vm_process *out, vm_error *err)
{
    char comm[64];
    size_t len;
    out->pid = pid;
    out->name = out->exe = out->cmdline = NULL;
    out->bits = 64;
    int e = pid > 0 ? read_pid_file(pid, "comm", comm, sizeof comm, &len) : ENOENT;
    if (e == 0 && len == 0)
        e = ESRCH; /* comm is never empty for a live process */
    if (e)
        return missing_process(pid, e, err);
    chomp(comm, &len);
    out->name = vm_strdup(comm);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    out->exe = readlink_alloc(path);
    out->cmdline = read_cmdline(pid);
    out->bits = exe_bits(pid);
    if (!out->name) {
        free(out->exe);
        free(out->cmdline);
        out->exe = out->cmdline = NULL;
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    return VM_EXIT_OK;
}

/* Finds "Key:" at the start of a line of status text and returns what follows, or NULL. */
static const char *status_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, klen) == 0)
            return line + klen;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

bool vm_linux_page_table_bytes(int pid, uint64_t *out)
{
    char *buf = malloc(STATUS_MAX);
    if (!buf)
        return false;
    size_t len;
    bool ok = false;
    if (read_pid_file(pid, "status", buf, STATUS_MAX, &len) == 0) {
        const char *s = status_value(buf, "VmPTE:");
        uint64_t v = 0;
        while (s && (*s == ' ' || *s == '\t'))
            s++;
        if (s && *s >= '0' && *s <= '9') {
            ok = true;
            for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX / 1024 - d) / 10) {
                    ok = false;
                    break;
                }
                v = v * 10 + d;
            }
            ok = ok && strncmp(s, " kB", 3) == 0;
        }
        if (ok)
            *out = v * 1024;
    }
    free(buf);
    return ok;
}

/* ---- threads --------------------------------------------------------------------------------- */

/* Splits text on blanks into at most max tokens (modifies text).  Returns the count. */
static size_t split_words(char *text, char **tok, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(text, " \t\n", &save); t && n < max; t = strtok_r(NULL, " \t\n", &save))
        tok[n++] = t;
    return n;
}

static bool parse_hex_word(const char *s, uint64_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return false;
        if (v >> 60)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* A small /proc file of one line (comm, syscall) relative to dirfd, NUL-terminated.  These
 * files come whole in one read; a read that stops short of the newline is followed by more, to
 * the end.  Returns 0 or an errno value. */
static int read_line_at(int dirfd, const char *path, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    buf[0] = '\0';
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    size_t n = 0;
    int e = 0;
    while (n + 1 < cap && (n == 0 || buf[n - 1] != '\n')) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            e = errno;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return e;
}

/* TID/syscall: "nr a0 a1 a2 a3 a4 a5 sp pc" (blocked in a syscall), "-1 sp pc" (blocked outside
 * one) or "running".  Returns 0, or the errno of the read. */
static int read_task_sp(int taskdir, vm_linux_task *t)
{
    char path[48], buf[512];
    size_t len;
    char *tok[10];
    snprintf(path, sizeof path, "%llu/syscall", (unsigned long long)t->tid);
    int e = read_line_at(taskdir, path, buf, sizeof buf, &len);
    if (e)
        return e;
    size_t n = split_words(buf, tok, 10);
    if (n >= 1 && strcmp(tok[0], "running") == 0) {
        t->running = true;
        return 0;
    }
    const char *sp = NULL;
    if (n == 3 && strcmp(tok[0], "-1") == 0)
        sp = tok[1];
    else if (n >= 9)
        sp = tok[7];
    /* Kernel threads report all zeros: no user stack, so no sp either. */
    t->sp_known = sp && parse_hex_word(sp, &t->sp) && t->sp != 0;
    return 0;
}

static int cmp_task(const void *a, const void *b)
{
    uint64_t x = ((const vm_linux_task *)a)->tid, y = ((const vm_linux_task *)b)->tid;
    return x < y ? -1 : x > y;
}

/* Adds one thread; false if it vanished.  *denied is set when its syscall file was refused. */
static bool add_task(int taskdir, int tid, vm_linux_task **out, size_t *n, bool *denied, bool *nomem)
{
    char path[48], comm[64];
    size_t len;
    snprintf(path, sizeof path, "%d/comm", tid);
    if (read_line_at(taskdir, path, comm, sizeof comm, &len) != 0)
        return false; /* exited between readdir and now */
    chomp(comm, &len);
    vm_linux_task *t = vm_array_push((void **)out, n, sizeof **out);
    if (!t) {
        *nomem = true;
        return false;
    }
    t->tid = (uint64_t)tid;
    /* comm is at most 15 bytes today (TASK_COMM_LEN); truncate whatever a kernel gives. */
    size_t nlen = min_len(len, sizeof t->name - 1);
    memcpy(t->name, comm, nlen);
    t->name[nlen] = '\0';
    int e = read_task_sp(taskdir, t);
    if (e == EACCES || e == EPERM)
        *denied = true;
    return true;
}

/* The threads, sorted by tid; *denied when their stack pointers could not be read.  Touches
 * nothing but its arguments, so it may run on a thread of its own. */
static int list_tasks(int pid, vm_linux_task **out, size_t *n, bool *denied, vm_error *err)
{
    *out = NULL;
    *n = 0;
    *denied = false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = pid > 0 ? opendir(path) : NULL;
    if (!d) {
        int e = pid > 0 ? errno : ENOENT;
        if (e == EACCES || e == EPERM) {
            vm_linux_explain_access(pid, "list the threads", err);
            return VM_EXIT_ACCESS;
        }
        vm_error_set(err, VM_EXIT_TARGET_GONE, "process %d exited during the scan", pid);
        return VM_EXIT_TARGET_GONE;
    }
    /* Each thread's files are opened relative to the task directory: no walk from /proc down
     * for each of thousands of threads. */
    int taskdir = dirfd(d);
    bool nomem = false;
    struct dirent *de;
    for (size_t seen = 0; seen < MAX_DIR_ENTRIES && !nomem && (de = readdir(d)) != NULL; seen++) {
        int tid;
        if (parse_pid_name(de->d_name, &tid))
            add_task(taskdir, tid, out, n, denied, &nomem);
    }
    closedir(d);
    if (nomem || *n == 0) {
        free(*out);
        *out = NULL;
        *n = 0;
        if (nomem) {
            vm_error_set(err, VM_EXIT_ERROR, "out of memory listing threads");
            return VM_EXIT_ERROR;
        }
        vm_error_set(err, VM_EXIT_TARGET_GONE, "process %d exited during the scan", pid);
        return VM_EXIT_TARGET_GONE;
    }
    qsort(*out, *n, sizeof **out, cmp_task);
    return VM_EXIT_OK;
}

/* One warning for the whole process: the cause (ptrace access) is the same for every thread. */
static void warn_denied(int pid, bool denied, vm_snapshot *snap)
{
    if (denied && snap)
        vm_snapshot_warn(snap, "threads-sp",
                         "cannot read the threads' stack pointers of PID %d (/proc/%d/task/*/syscall: "
                         "permission denied); thread stacks are located without them",
                         pid, pid);
}

int vm_linux_list_tasks(int pid, vm_linux_task **out, size_t *n, vm_snapshot *snap, vm_error *err)
{
    bool denied;
    int rc = list_tasks(pid, out, n, &denied, err);
    if (rc == VM_EXIT_OK)
        warn_denied(pid, denied, snap);
    return rc;
}

/* ---- the same, on a thread of its own -------------------------------------------------------- */

struct vm_linux_task_list {
    int pid;
    pthread_t thread;
    int rc;
    vm_linux_task *tasks;
    size_t n;
    bool denied;
    vm_error err;
};

static void *task_list_main(void *arg)
{
    vm_linux_task_list *tl = arg;
    pthread_setname_np(pthread_self(), "vmmap-tasks"); /* what top -H and perf show */
    tl->rc = list_tasks(tl->pid, &tl->tasks, &tl->n, &tl->denied, &tl->err);
    return NULL;
}

vm_linux_task_list *vm_linux_tasks_start(int pid)
{
    vm_linux_task_list *tl = calloc(1, sizeof *tl);
    if (!tl)
        return NULL;
    tl->pid = pid;
    if (pthread_create(&tl->thread, NULL, task_list_main, tl) != 0) {
        free(tl);
        return NULL;
    }
    return tl;
}

int vm_linux_tasks_wait(vm_linux_task_list *tl, vm_linux_task **out, size_t *n, vm_snapshot *snap, vm_error *err)
{
    pthread_join(tl->thread, NULL);
    int rc = tl->rc;
    *out = tl->tasks;
    *n = tl->n;
    if (rc == VM_EXIT_OK)
        warn_denied(tl->pid, tl->denied, snap);
    else
        *err = tl->err;
    free(tl);
    return rc;
}

void vm_linux_tasks_discard(vm_linux_task_list *tl)
{
    if (!tl)
        return;
    pthread_join(tl->thread, NULL);
    free(tl->tasks);
    free(tl);
}

/* ---- finding a process by name ----------------------------------------------------------------- */

/* basename of argv[0] from /proc/P/cmdline, into buf. */
static bool argv0_base(int pid, char *buf, size_t cap)
{
    char raw[4096];
    size_t len;
    if (read_pid_file(pid, "cmdline", raw, sizeof raw, &len) != 0 || len == 0)
        return false;
    /* raw is NUL-terminated by read_file, so argv[0] ends at the first NUL either way. */
    snprintf(buf, cap, "%s", base_name(raw));
    return buf[0] != '\0';
}

static bool process_matches(int pid, const char *name)
{
    char buf[4096], path[64];
    size_t len;
    if (read_pid_file(pid, "comm", buf, sizeof buf, &len) == 0) {
        chomp(buf, &len);
        if (strcmp(buf, name) == 0)
            return true;
    }
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    char *exe = readlink_alloc(path);
    if (exe) {
        /* An upgraded or unlinked binary reads "/usr/bin/x (deleted)": still named x. */
        size_t n = strlen(exe);
        static const char del[] = " (deleted)";
        if (n > sizeof del - 1 && strcmp(exe + n - (sizeof del - 1), del) == 0)
            exe[n - (sizeof del - 1)] = '\0';
        bool hit = strcmp(base_name(exe), name) == 0 || (strchr(name, '/') && strcmp(exe, name) == 0);
        free(exe);
        if (hit)
            return true;
    }
    return argv0_base(pid, buf, sizeof buf) && strcmp(buf, name) == 0;
}

#define MAX_LISTED 10

static int report_matches(const char *name, const int *pids, size_t listed, size_t total, vm_error *err)
{
    char list[160] = "";
    size_t off = 0;
    for (size_t i = 0; i < listed && off < sizeof list; i++) {
        int w = snprintf(list + off, sizeof list - off, "%s%d", i ? ", " : "", pids[i]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (total > listed)
        vm_error_set(err, VM_EXIT_USAGE, "several processes are named %s: %s and %zu more; pass a PID instead", name,
                     list, total - listed);
    else
        vm_error_set(err, VM_EXIT_USAGE, "several processes are named %s: %s; pass a PID instead", name, list);
    vm_error_hint(err, "list them with: pgrep -a -- '%s'", name);
    return VM_EXIT_USAGE;
}

int vm_linux_find_pid(const char *name, int64_t *pid, vm_error *err)
{
    if (!name || !*name) {
        vm_error_set(err, VM_EXIT_USAGE, "empty process name");
        return VM_EXIT_USAGE;
    }
    DIR *d = opendir("/proc");
    if (!d) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot list /proc: %s", strerror(errno));
        return VM_EXIT_ERROR;
    }
    int self = getpid(), found[MAX_LISTED];
    size_t total = 0;
    struct dirent *de;
    for (size_t seen = 0; seen < MAX_DIR_ENTRIES && (de = readdir(d)) != NULL; seen++) {
        int p;
        if (!parse_pid_name(de->d_name, &p) || p == self || !process_matches(p, name))
            continue;
        if (total < MAX_LISTED)
            found[total] = p;
        total++;
    }
    closedir(d);
    if (total == 1) {
        *pid = found[0];
        return VM_EXIT_OK;
    }
    if (total == 0) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process named %s", name);
        vm_error_hint(err, "list processes with: ps -e -o pid,comm");
        return VM_EXIT_NOT_FOUND;
    }
    return report_matches(name, found, total < MAX_LISTED ? total : MAX_LISTED, total, err);
}

/* ---- explaining EACCES ------------------------------------------------------------------------ */

static void user_name(uid_t uid, char *buf, size_t cap)
{
    struct passwd pw, *res = NULL;
    char tmp[1024];
    if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res && res->pw_name)
        snprintf(buf, cap, "%s", res->pw_name);
    else
        snprintf(buf, cap, "uid %u", (unsigned)uid);
}

/* Real, effective and saved uid of the target from its status file. */
static bool target_uids(int pid, uid_t uids[3])
{
    char buf[4096];
    size_t len;
    unsigned long a, b, c;
    if (read_pid_file(pid, "status", buf, sizeof buf, &len) != 0)
        return false;
    const char *s = status_value(buf, "Uid:");
    if (!s || sscanf(s, "%lu %lu %lu", &a, &b, &c) != 3)
        return false;
    uids[0] = (uid_t)a;
    uids[1] = (uid_t)b;
    uids[2] = (uid_t)c;
    return true;
}

/* Whether we hold CAP_SYS_PTRACE (root in a container often does not). */
static bool have_cap_sys_ptrace(void)
{
    char buf[4096];
    size_t len;
    unsigned long long caps;
    if (read_file("/proc/self/status", buf, sizeof buf, &len) != 0)
        return geteuid() == 0;
    const char *s = status_value(buf, "CapEff:");
    if (!s || sscanf(s, "%llx", &caps) != 1)
        return geteuid() == 0;
    return (caps >> CAP_SYS_PTRACE_BIT) & 1;
}

/* Yama's ptrace_scope, or -1 when Yama is not there. */
static int yama_scope(void)
{
    char buf[32];
    size_t len;
    if (read_file("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof buf, &len) != 0 || len == 0)
        return -1;
    if (buf[0] < '0' || buf[0] > '3')
        return -1;
    return buf[0] - '0';
}

static bool explain_yama(int pid, const char *what, int scope, vm_error *err)
{
    static const char *const why[] = {
        NULL,
        "Yama ptrace_scope is 1: only descendants may be inspected",
        "Yama ptrace_scope is 2: only processes with CAP_SYS_PTRACE may inspect others",
        "Yama ptrace_scope is 3: inspecting other processes is disabled until reboot",
    };
    static const char *const hint[] = {
        NULL,
        "run as root, or echo 0 > /proc/sys/kernel/yama/ptrace_scope",
        "run as root (with CAP_SYS_PTRACE)",
        "ptrace_scope 3 cannot be lowered without a reboot",
    };
    if (scope < 1 || scope > 3)
        return false;
    vm_error_set(err, VM_EXIT_ACCESS, "cannot %s of PID %d (%s): permission denied", what, pid, why[scope]);
    vm_error_hint(err, "%s", hint[scope]);
    return true;
}

void vm_linux_explain_access(int pid, const char *what, vm_error *err)
{
    uid_t me = geteuid(), uids[3];
    bool cap = have_cap_sys_ptrace();
    char mine[128], theirs[128];
    user_name(me, mine, sizeof mine);
    if (!what)
        what = "inspect";
    if (target_uids(pid, uids) && !cap) {
        /* ptrace access needs all of the target's uids to equal ours, else CAP_SYS_PTRACE. */
        uid_t other = uids[1] != me ? uids[1] : uids[0] != me ? uids[0] : uids[2];
        if (other != me) {
            user_name(other, theirs, sizeof theirs);
            vm_error_set(err, VM_EXIT_ACCESS, "cannot %s of PID %d (owned by user %s, you are %s%s): permission denied",
                         what, pid, theirs, mine, me == 0 ? " without CAP_SYS_PTRACE" : "");
            if (me == 0)
                vm_error_hint(err, "grant CAP_SYS_PTRACE (e.g. docker run --cap-add=SYS_PTRACE) or run as %s", theirs);
            else
                vm_error_hint(err, "run vmmap as root%s%s", other == 0 ? "" : " or as ", other == 0 ? "" : theirs);
            return;
        }
        /* Same user, but /proc/PID belongs to root: the kernel marks it non-dumpable. */
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%d", pid);
        if (stat(path, &st) == 0 && st.st_uid != me) {
            vm_error_set(err, VM_EXIT_ACCESS,
                         "cannot %s of PID %d (it is not dumpable: a setuid or setgid program, or it called "
                         "prctl(PR_SET_DUMPABLE, 0)): permission denied",
                         what, pid);
            vm_error_hint(err, "run as root (CAP_SYS_PTRACE)");
            return;
        }
    }
    if (explain_yama(pid, what, yama_scope(), err))
        return;
    if (cap) {
        vm_error_set(err, VM_EXIT_ACCESS,
                     "cannot %s of PID %d (even with CAP_SYS_PTRACE: a security module such as SELinux or "
                     "AppArmor, or kernel lockdown, refused): permission denied",
                     what, pid);
        vm_error_hint(err, "check the audit log (journalctl -k, dmesg) for the denial");
        return;
    }
    vm_error_set(err, VM_EXIT_ACCESS,
                 "cannot %s of PID %d (CAP_SYS_PTRACE is missing, or it is a setuid or non-dumpable "
                 "process): permission denied",
                 what, pid);
    vm_error_hint(err, "run as root");
}

/* ---- liveness and address-space size ------------------------------------------------------------ */

bool vm_linux_process_alive(int pid)
{
    char buf[1024], name[48];
    size_t len;
    /* The main thread's own stat: its state is the one /proc/PID/stat shows, without the kernel
     * adding up the times of every thread (half a millisecond a read for 2,000 threads). */
    snprintf(name, sizeof name, "task/%d/stat", pid);
    if (pid <= 0 || read_pid_file(pid, name, buf, sizeof buf, &len) != 0 || len == 0)
        return false;
    /* "pid (comm) S ...": comm may hold ')' and spaces, so the state follows the LAST ')'. */
    const char *paren = strrchr(buf, ')');
    if (!paren || paren[1] != ' ' || paren[2] == '\0')
        return false;
    char state = paren[2];
    return state != 'Z' && state != 'X' && state != 'x';
}

/* 5-level paging only gives a process addresses above the 4-level limit when it asks for them
 * with an mmap hint, so a process whose mappings all sit below it has the 4-level space; we go by
 * the mappings rather than the la57 CPU flag, which would report 64 PiB of unreachable "free".
 * [vsyscall] (0xffffffffff600000) is kernel space: only ends below 2^56 count. */
#if defined(__aarch64__)
#define USER_TOP_4LEVEL 0x0001000000000000ull /* 48-bit VA */
#define USER_TOP_5LEVEL 0x0010000000000000ull /* 52-bit VA */
#else
#define USER_TOP_4LEVEL 0x00007ffffffff000ull
#define USER_TOP_5LEVEL 0x00fffffffffff000ull
#endif
#define USER_LIMIT_56 0x0100000000000000ull

uint64_t vm_linux_user_top(uint64_t highest_mapping_end)
{
    if (highest_mapping_end > USER_TOP_4LEVEL && highest_mapping_end < USER_LIMIT_56)
        return USER_TOP_5LEVEL;
    return USER_TOP_4LEVEL;
}
