/* Atomic output files: write "<dir>/.<base>.XXXXXX", close it, rename it over the target.  A
 * reader of the target sees the old file or the new one, never half of one, and an interrupted
 * run leaves no partial file (design.md's contract).
 *
 * Durability across a power cut is not part of that contract and is off by default: the fsync it
 * needs took 50 ms for a 28 MB snapshot, a fifth of the whole capture, and tools of this kind
 * (pmap, jq > file) do not pay it either.  VMMAP_FSYNC=1 in the environment turns it on: the file
 * and then its directory are synced before and after the rename.
 *
 * POSIX: mkstemp + fchmod(0666 & ~umask) + rename.  Windows (MinGW-w64): _mktemp_s +
 * _open(O_EXCL) + MoveFileExA(MOVEFILE_REPLACE_EXISTING); _commit for VMMAP_FSYNC. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
/* The POSIX names may be hidden in strict C mode; the underscore names are always declared. */
#define fdopen _fdopen
#define fileno _fileno
#define close _close
#else
#include <sys/statvfs.h>
#include <unistd.h>
#endif

#include "xalloc.h"

/* VMMAP_FSYNC=1: sync each output file to disk before it is renamed into place. */
static bool want_sync(void)
{
    const char *v = getenv("VMMAP_FSYNC");
    return v && *v && strcmp(v, "0") != 0;
}

/* ---- paths ------------------------------------------------------------------------------- */

static bool is_sep(char c)
{
#ifdef _WIN32
    return c == '/' || c == '\\';
#else
    return c == '/';
#endif
}

/* Length of the directory part of path including its last separator (0: no directory). */
static size_t dir_prefix_len(const char *path)
{
    size_t n = strlen(path);
    while (n > 0 && !is_sep(path[n - 1]))
        n--;
    return n;
}

/* The directory, for messages: "/nope" for "/nope/x.json", "." for "x.json", "/" for "/x". */
static void dir_for_message(const char *path, char *buf, size_t len)
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

/* "<dir>/.<base>.XXXXXX" (malloc'd), the template for the temporary. */
static char *temp_template(const char *path)
{
    size_t d = dir_prefix_len(path);
    return vm_asprintf("%.*s.%s.XXXXXX", (int)d, path, path + d);
}

/* ---- messages ---------------------------------------------------------------------------- */

static int code_for_errno(int e)
{
    return (e == EACCES || e == EPERM) ? VM_EXIT_ACCESS : VM_EXIT_ERROR;
}

/* "cannot write PATH: <why>", the why in words a user acts on. */
static void set_write_error(vm_error *err, const char *path, int e)
{
    char dir[512];
    dir_for_message(path, dir, sizeof dir);
    switch (e) {
    case ENOENT:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: directory %s does not exist", path, dir);
        break;
    case ENOTDIR:
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s is not a directory", path, dir);
        break;
    case EACCES:
    case EPERM:
        vm_error_set(err, VM_EXIT_ACCESS, "cannot write %s: permission denied", path);
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
        break;
    default:
        vm_error_set(err, code_for_errno(e), "cannot write %s: %s", path, strerror(e));
        break;
    }
}

/* ---- platform ---------------------------------------------------------------------------- */

#ifdef _WIN32

/* Creates a new file from tmpl (modified in place); returns its descriptor or -1 (errno set). */
static int create_temp(char *tmpl)
{
    size_t n = strlen(tmpl);
    char *copy = vm_strdup(tmpl);
    if (!copy) {
        errno = ENOMEM;
        return -1;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        memcpy(tmpl, copy, n + 1);
        if (_mktemp_s(tmpl, n + 1) != 0) {
            errno = EEXIST;
            continue;
        }
        int fd = _open(tmpl, _O_CREAT | _O_EXCL | _O_WRONLY | _O_BINARY, _S_IREAD | _S_IWRITE);
        if (fd >= 0 || errno != EEXIST) {
            free(copy);
            return fd;
        }
    }
    free(copy);
    return -1;
}

static int sync_fd(int fd)
{
    return _commit(fd);
}

static int replace_file(const char *from, const char *to)
{
    if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        return 0;
    DWORD w = GetLastError();
    errno = (w == ERROR_ACCESS_DENIED) ? EACCES : (w == ERROR_PATH_NOT_FOUND) ? ENOENT
          : (w == ERROR_DISK_FULL) ? ENOSPC : EIO;
    return -1;
}

static void set_new_file_mode(int fd)
{
    (void)fd; /* Windows files carry ACLs inherited from the directory */
}

static void sync_parent_dir(const char *path)
{
    (void)path;
}

static int guess_write_errno(int fd)
{
    (void)fd;
    return errno ? errno : EIO;
}

#else

static int create_temp(char *tmpl)
{
    return mkstemp(tmpl);
}

static int sync_fd(int fd)
{
    return fsync(fd);
}

static int replace_file(const char *from, const char *to)
{
    return rename(from, to);
}

/* mkstemp makes 0600; an output file should get the usual 0666 & ~umask.  umask can only be read
 * by setting it, so it is set and restored at once. */
static void set_new_file_mode(int fd)
{
    mode_t mask = umask(022);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
}

/* Makes the rename itself durable.  Best effort: some file systems refuse fsync on directories. */
static void sync_parent_dir(const char *path)
{
    char dir[4096];
    dir_for_message(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* A stream in error state no longer says why.  errno usually still holds the cause; a full file
 * system is confirmed by asking it. */
static int guess_write_errno(int fd)
{
    int e = errno;
    if (e == ENOSPC || e == EIO || e == EFBIG || e == EDQUOT)
        return e;
    struct statvfs st;
    if (fstatvfs(fd, &st) == 0 && st.f_bavail == 0)
        return ENOSPC;
    return EIO;
}

#endif

/* ---- the temporary ----------------------------------------------------------------------- */

/* Creates the temporary beside path; returns its descriptor and sets *tmp_path, or -1 with err. */
static int open_temp(const char *path, char **tmp_path, vm_error *err)
{
    *tmp_path = NULL;
    if (!path || !*path || is_sep(path[strlen(path) - 1])) {
        vm_error_set(err, VM_EXIT_USAGE, "cannot write \"%s\": not a file name", path ? path : "");
        return -1;
    }
    char *tmpl = temp_template(path);
    if (!tmpl) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
        return -1;
    }
    int fd = create_temp(tmpl);
    if (fd < 0) {
        set_write_error(err, path, errno);
        free(tmpl);
        return -1;
    }
    set_new_file_mode(fd);
    *tmp_path = tmpl;
    return fd;
}

/* Renames tmp over path; on failure removes tmp. */
static bool install(const char *tmp, const char *path, vm_error *err)
{
    if (replace_file(tmp, path) != 0) {
        set_write_error(err, path, errno);
        remove(tmp);
        return false;
    }
    if (want_sync())
        sync_parent_dir(path);
    return true;
}

/* ---- public ------------------------------------------------------------------------------ */

bool vm_atomic_open(vm_atomic_file *af, const char *path, vm_error *err)
{
    memset(af, 0, sizeof *af);
    if (path && strcmp(path, "-") == 0) {
        af->fp = stdout;
        return true;
    }
    char *tmp;
    int fd = open_temp(path, &tmp, err);
    if (fd < 0)
        return false;
    FILE *fp = fdopen(fd, "wb");
    char *final_path = vm_strdup(path);
    if (!fp || !final_path) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
        if (fp)
            fclose(fp);
        else
            close(fd);
        remove(tmp);
        free(tmp);
        free(final_path);
        return false;
    }
    af->fp = fp;
    af->final_path = final_path;
    af->tmp_path = tmp;
    return true;
}

/* Flushes and closes the stream; returns 0 or the errno that describes the first failure. */
static int finish_stream(FILE *fp)
{
    int fd = fileno(fp);
    bool had_error = ferror(fp) != 0;
    int e = 0;
    if (fflush(fp) != 0 || had_error)
        e = guess_write_errno(fd);
    if (!e && want_sync() && sync_fd(fd) != 0)
        e = errno;
    if (fclose(fp) != 0 && !e)
        e = errno;
    return e;
}

static bool commit_stdout(vm_atomic_file *af, vm_error *err)
{
    bool ok = fflush(stdout) == 0 && !ferror(stdout);
    int e = errno;
    af->fp = NULL;
    if (!ok)
        vm_error_set(err, VM_EXIT_ERROR, "cannot write to standard output: %s", strerror(e ? e : EIO));
    return ok;
}

bool vm_atomic_commit(vm_atomic_file *af, vm_error *err)
{
    if (!af->fp) {
        vm_error_set(err, VM_EXIT_ERROR, "internal error: commit of a file that is not open");
        return false;
    }
    if (!af->final_path)
        return commit_stdout(af, err);
    int e = finish_stream(af->fp);
    af->fp = NULL;
    bool ok;
    if (e) {
        set_write_error(err, af->final_path, e);
        remove(af->tmp_path);
        ok = false;
    } else {
        ok = install(af->tmp_path, af->final_path, err);
    }
    free(af->tmp_path);
    free(af->final_path);
    af->tmp_path = NULL;
    af->final_path = NULL;
    return ok;
}

void vm_atomic_abort(vm_atomic_file *af)
{
    if (af->fp && af->fp != stdout)
        fclose(af->fp);
    if (af->tmp_path)
        remove(af->tmp_path);
    free(af->tmp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
}

char *vm_atomic_temp_path(const char *path, vm_error *err)
{
    char *tmp;
    int fd = open_temp(path, &tmp, err);
    if (fd < 0)
        return NULL;
    close(fd);
    return tmp;
}

/* Syncs a file someone else wrote by name; 0 or errno. */
static int sync_path(const char *path)
{
#ifdef _WIN32
    int fd = _open(path, _O_RDWR | _O_BINARY);
#else
    int fd = open(path, O_RDONLY);
#endif
    if (fd < 0)
        return errno;
    int e = sync_fd(fd) != 0 ? errno : 0;
    close(fd);
    return e;
}

bool vm_atomic_commit_path(const char *tmp_path, const char *path, vm_error *err)
{
    int e = want_sync() ? sync_path(tmp_path) : 0;
    if (e) {
        set_write_error(err, path, e);
        remove(tmp_path);
        return false;
    }
    return install(tmp_path, path, err);
}
