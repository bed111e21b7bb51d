/* What an output path names (see output_target.h).
 *
 * POSIX: lstat + readlink walk the symbolic links one hop at a time (at most 40, as the kernel),
 * so a dangling link still names the file to create; /proc/PID/fd/N (what /dev/stdout and
 * /dev/fd/N lead to) is a descriptor, not a file name: it is opened, never replaced.  Windows
 * (MinGW-w64): stat only; NUL and CON are character devices, written directly. */
#include "output_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef _WIN32
#include <io.h>
#else
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif
#ifdef __linux__
#include <sys/vfs.h>
#endif

#include "xalloc.h"

#define MAX_LINK_HOPS 40

/* ---- messages ------------------------------------------------------------------------------ */

static bool is_sep(char c)
{
#ifdef _WIN32
    return c == '/' || c == '\\';
#else
    return c == '/';
#endif
}

static size_t dir_prefix_len(const char *path)
{
    size_t n = strlen(path);
    while (n > 0 && !is_sep(path[n - 1]))
        n--;
    return n;
}

void vm_out_dir_of(const char *path, char *buf, size_t len)
{
    size_t n = dir_prefix_len(path);
    if (n == 0) {
        snprintf(buf, len, ".");
        return;
    }
    if (n > 1)
        n--; /* drop the trailing separator, except for the root itself */
    snprintf(buf, len, "%.*s", (int)n, path);
}

/* The directory exists: then ENOENT on creating a file in it means the file system refuses new
 * files (/proc, /sys), not that the directory is missing. */
static bool dir_exists(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

void vm_out_error(vm_error *err, const char *path, int e)
{
    char dir[512];
    vm_out_dir_of(path, dir, sizeof dir);
    switch (e) {
    case ENOENT:
        if (dir_exists(dir))
            vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: the directory %s does not accept new files "
                                             "(a virtual file system such as /proc or /sys)", path, dir);
        else
            vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: directory %s does not exist", path, dir);
        break;
    case ENOTDIR:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s is not a directory", path, dir);
        break;
    case EACCES:
    case EPERM:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: permission denied", path);
        vm_error_hint(err, "choose a directory you can write to, or check the permissions of %s", dir);
        break;
    case EROFS:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: read-only file system", path);
        break;
    case ENOSPC:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: no space left on device", path);
        vm_error_hint(err, "free some space on the file system of %s, or write elsewhere", dir);
        break;
#ifdef EDQUOT
    case EDQUOT:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: disk quota exceeded", path);
        break;
#endif
    case EISDIR:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: it is a directory", path);
        vm_error_hint(err, "give a file name inside it, e.g. %s/out.json", path);
        break;
    case ENAMETOOLONG:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: the file name is too long", path);
        vm_error_hint(err, "file names are at most 255 bytes and paths 4,095 on Linux");
        break;
    default:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s", path, strerror(e));
        break;
    }
}

/* ---- resolving ----------------------------------------------------------------------------- */

#ifndef _WIN32
/* The kernel's own file systems (/proc, /sys, ...) hold the kernel's files, not reports: writing
 * there fails in confusing ways (ENOENT on create, EINVAL or a truncated write on a file), so it is
 * refused with the real reason first.  The name of the file system, or NULL. */
static const char *kernel_fs(const char *path)
{
#ifdef __linux__
    static const struct {
        long magic;
        const char *name;
    } fs[] = {
        {0x9fa0, "proc"}, {0x62656572, "sysfs"}, {0x64626720, "debugfs"}, {0x74726163, "tracefs"},
        {0x27e0eb, "cgroup"}, {0x63677270, "cgroup2"}, {0x73636673, "securityfs"}, {0xcafe4a11, "bpf"},
    };
    char dir[4096];
    struct statfs st;
    if (statfs(path, &st) != 0) {
        vm_out_dir_of(path, dir, sizeof dir);
        if (statfs(dir, &st) != 0)
            return NULL;
    }
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
        if ((long)st.f_type == fs[i].magic)
            return fs[i].name;
#else
    (void)path;
#endif
    return NULL;
}

static bool refuse_kernel_fs(const char *path, vm_error *err)
{
    const char *fs = kernel_fs(path);
    if (!fs)
        return false;
    vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: it is on the kernel's %s file system, which holds the "
                                     "kernel's own files, not files written by programs", path, fs);
    vm_error_hint(err, "give a file name in a directory of your own, e.g. -o ./out.json");
    return true;
}
#endif

/* A regular file that the user may not write (or, for root, that nobody may: mode 0444, the
 * file a user protected on purpose) is refused, never replaced. */
static bool writable_file(const char *path, const char *shown, const struct stat *st, vm_error *err)
{
#ifdef _WIN32
    if (_access(path, 2) != 0) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: the file is read-only", shown);
        vm_error_hint(err, "clear its read-only attribute, or choose another name");
        return false;
    }
#else
    if (access(path, W_OK) != 0) {
        int e = errno;
        if (e == EACCES || e == EPERM) {
            vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: permission denied (the file is mode %04o and "
                                             "not writable by you)", shown, (unsigned)(st->st_mode & 07777));
            vm_error_hint(err, "choose another name, or ask the file's owner to make it writable");
        } else {
            vm_out_error(err, shown, e);
        }
        return false;
    }
    if ((st->st_mode & 0222) == 0) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: the file is read-only (mode %04o)", shown,
                     (unsigned)(st->st_mode & 07777));
        vm_error_hint(err, "make it writable first (chmod u+w %s), or choose another name", shown);
        return false;
    }
#endif
    return true;
}

/* Decides from the file's type (st, from stat or lstat of path). */
static bool by_type(const char *path, const char *shown, const struct stat *st, vm_out_target *t, vm_error *err)
{
    if (S_ISREG(st->st_mode)) {
        if (!writable_file(path, shown, st, err))
            return false;
        t->kind = VM_OUT_FILE;
        t->exists = true;
        t->mode = (unsigned)(st->st_mode & 07777);
        return true;
    }
    if (S_ISDIR(st->st_mode)) {
        vm_out_error(err, shown, EISDIR);
        return false;
    }
#ifdef S_ISBLK
    if (S_ISBLK(st->st_mode)) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: it is a block device (a disk); vmmap does not write "
                                         "to disks", shown);
        vm_error_hint(err, "give the name of a file to write");
        return false;
    }
#endif
#ifdef S_ISSOCK
    t->socket = S_ISSOCK(st->st_mode);
#endif
    t->kind = VM_OUT_STREAM; /* character device, FIFO, socket */
    return true;
}

#ifdef _WIN32

bool vm_out_resolve(const char *path, vm_out_target *t, vm_error *err)
{
    memset(t, 0, sizeof *t);
    if (!(t->path = vm_strdup(path))) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
        return false;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        t->kind = VM_OUT_FILE; /* a new file; creating it tells the rest */
        return true;
    }
    if (by_type(path, path, &st, t, err))
        return true;
    vm_out_target_free(t);
    return false;
}

#else

/* /proc/PID/fd/N (and /proc/self/fd/N): a descriptor of some process, e.g. the shell's stdout. */
static bool is_proc_fd(const char *p)
{
    if (strncmp(p, "/proc/", 6) != 0)
        return false;
    const char *fd = strstr(p + 6, "/fd/");
    return fd && fd[4] && strchr(fd + 4, '/') == NULL;
}

/* The target of link cur, relative to cur's directory when it is relative (malloc'd). */
static char *follow(const char *cur, const struct stat *lst)
{
    size_t cap = (size_t)(lst->st_size > 0 ? lst->st_size : 255) + 1;
    char *buf = malloc(cap + 1);
    if (!buf)
        return NULL;
    ssize_t n = readlink(cur, buf, cap);
    if (n < 0 || (size_t)n >= cap) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (buf[0] == '/')
        return buf;
    size_t d = dir_prefix_len(cur);
    char *joined = vm_asprintf("%.*s%s", (int)d, cur, buf);
    free(buf);
    return joined;
}

bool vm_out_resolve(const char *path, vm_out_target *t, vm_error *err)
{
    memset(t, 0, sizeof *t);
    char *cur = vm_strdup(path);
    if (cur && !is_proc_fd(cur) && strncmp(cur, "/dev/", 5) != 0 && refuse_kernel_fs(cur, err)) {
        free(cur);
        return false;
    }
    for (int hops = 0; cur; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0) {
            if (errno != ENOENT) {
                vm_out_error(err, path, errno);
                break;
            }
            t->kind = VM_OUT_FILE; /* a new name (or a dangling link's target): created whole */
            t->path = cur;
            return true;
        }
        if (S_ISLNK(st.st_mode) && is_proc_fd(cur)) {
            /* An open descriptor: written through, appending as the shell's >> or after its >. */
            if (stat(cur, &st) != 0) {
                vm_out_error(err, path, errno);
                break;
            }
            if (S_ISREG(st.st_mode)) {
                t->kind = VM_OUT_STREAM;
                t->append = true;
            } else if (!by_type(cur, path, &st, t, err)) {
                break;
            }
            t->path = cur;
            return true;
        }
        if (!S_ISLNK(st.st_mode)) {
            if (!by_type(cur, path, &st, t, err))
                break;
            t->path = cur;
            return true;
        }
        if (hops >= MAX_LINK_HOPS) {
            vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: too many levels of symbolic links", path);
            break;
        }
        char *next = follow(cur, &st);
        if (!next) {
            vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: cannot read the symbolic link %s", path, cur);
            break;
        }
        free(cur);
        cur = next;
    }
    if (!cur)
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
    free(cur);
    memset(t, 0, sizeof *t);
    return false;
}

#endif

void vm_out_target_free(vm_out_target *t)
{
    free(t->path);
    memset(t, 0, sizeof *t);
}

bool vm_out_is_stream(const char *path)
{
    if (strcmp(path, "-") == 0)
        return true;
    vm_out_target t;
    vm_error e = {0};
    if (!vm_out_resolve(path, &t, &e))
        return false; /* refused: said when it is opened */
    bool stream = t.kind == VM_OUT_STREAM;
    vm_out_target_free(&t);
    return stream;
}

/* ---- streams ------------------------------------------------------------------------------- */

#ifdef _WIN32

int vm_out_open_stream(const vm_out_target *t, const char *shown, vm_error *err)
{
    int fd = _open(t->path, _O_WRONLY | _O_BINARY);
    if (fd < 0)
        vm_out_error(err, shown, errno);
    return fd;
}

#else

static int connect_socket(const char *path, const char *shown, vm_error *err)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: the socket's path is longer than %zu bytes", shown,
                     sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    int e = errno;
    if (fd >= 0)
        close(fd);
    vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: cannot connect to the socket: %s", shown, strerror(e));
    return -1;
}

int vm_out_open_stream(const vm_out_target *t, const char *shown, vm_error *err)
{
    if (t->socket)
        return connect_socket(t->path, shown, err);
    /* Never O_CREAT or O_TRUNC: the node is there and is not ours to replace. */
    int fd = open(t->path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (t->append ? O_APPEND : 0));
    if (fd < 0)
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s", shown, strerror(errno));
    return fd;
}

#endif
