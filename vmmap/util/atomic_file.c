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

#include "output_target.h"
#include "signal_cleanup.h"
#include "xalloc.h"

/* VMMAP_FSYNC=1: sync each output file to disk before it is renamed into place. */
static bool want_sync(void)
{
    const char *v = getenv("VMMAP_FSYNC");
    return v && *v && strcmp(v, "0") != 0;
}

/* "<dir>/.<base>.XXXXXX" (malloc'd), the template for the temporary beside path. */
static char *temp_template(const char *path)
{
    size_t d = strlen(path);
    while (d > 0 && path[d - 1] != '/'
#ifdef _WIN32
           && path[d - 1] != '\\'
#endif
    )
        d--;
    return vm_asprintf("%.*s.%s.XXXXXX", (int)d, path, path + d);
}

/* For a stream target (a device or FIFO) a writer that needs a file name gets one in the system's
 * temporary directory, copied into the stream when done. */
static char *stream_temp_template(void)
{
    const char *dir = getenv("TMPDIR");
#ifdef _WIN32
    if (!dir || !*dir)
        dir = getenv("TEMP");
    if (!dir || !*dir)
        dir = ".";
#else
    if (!dir || !*dir)
        dir = "/tmp";
#endif
    return vm_asprintf("%s/.vmmap-output.XXXXXX", dir);
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

static void set_file_mode(int fd, const vm_out_target *t)
{
    (void)fd; /* Windows files carry ACLs inherited from the directory */
    (void)t;
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

/* mkstemp makes 0600; a new output file gets the usual 0666 & ~umask, a replaced one keeps the
 * permissions it had.  umask can only be read by setting it, so it is set and restored at once. */
static void set_file_mode(int fd, const vm_out_target *t)
{
    mode_t mask = umask(022);
    umask(mask);
    (void)fchmod(fd, t->exists ? (mode_t)t->mode : 0666 & ~mask);
}

/* Makes the rename itself durable.  Best effort: some file systems refuse fsync on directories. */
static void sync_parent_dir(const char *path)
{
    char dir[4096];
    vm_out_dir_of(path, dir, sizeof dir);
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
    if (e == ENOSPC || e == EIO || e == EFBIG || e == EDQUOT || e == EPIPE || e == ENXIO || e == EBADF)
        return e;
    struct statvfs st;
    if (fstatvfs(fd, &st) == 0 && st.f_bavail == 0)
        return ENOSPC;
    return EIO;
}

#endif

/* ---- the temporary ----------------------------------------------------------------------- */

/* Creates the temporary for target t (beside the file it replaces, or in the temporary directory
 * for a stream); returns its descriptor and sets *tmp_path, or -1 with err. */
static int open_temp(const char *shown, const vm_out_target *t, char **tmp_path, vm_error *err)
{
    *tmp_path = NULL;
    char *tmpl = t->kind == VM_OUT_STREAM ? stream_temp_template() : temp_template(t->path);
    if (!tmpl) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", shown);
        return -1;
    }
    int fd = create_temp(tmpl);
    if (fd < 0) {
        vm_out_error(err, shown, errno);
        free(tmpl);
        return -1;
    }
    set_file_mode(fd, t);
    *tmp_path = tmpl;
    return fd;
}

/* What path names, refusing what must not be written; "not a file name" for "" and "dir/". */
static bool resolve(const char *path, vm_out_target *t, vm_error *err)
{
    size_t n = path ? strlen(path) : 0;
    if (n == 0 || path[n - 1] == '/'
#ifdef _WIN32
        || path[n - 1] == '\\'
#endif
    ) {
        vm_error_set(err, VM_EXIT_USAGE, "cannot write \"%s\": not a file name", path ? path : "");
        return false;
    }
    return vm_out_resolve(path, t, err);
}

/* Renames tmp over t's file; on failure removes tmp.  Messages name shown. */
static bool install(const char *tmp, const vm_out_target *t, const char *shown, vm_error *err)
{
    if (replace_file(tmp, t->path) != 0) {
        vm_out_error(err, shown, errno);
        remove(tmp);
        return false;
    }
    if (want_sync())
        sync_parent_dir(t->path);
    return true;
}

/* ---- public ------------------------------------------------------------------------------ */

/* The temporary is gone or renamed: a signal has nothing more to remove. */
static void free_names(vm_atomic_file *af)
{
    if (af->on_signal)
        vm_keep_on_signal();
    af->on_signal = false;
    free(af->tmp_path);
    free(af->final_path);
    free(af->shown);
    af->tmp_path = af->final_path = af->shown = NULL;
}

bool vm_atomic_open(vm_atomic_file *af, const char *path, vm_error *err)
{
    memset(af, 0, sizeof *af);
    if (path && strcmp(path, "-") == 0) {
        af->fp = stdout;
        return true;
    }
    vm_out_target t;
    if (!resolve(path, &t, err))
        return false;
    char *tmp = NULL;
    int fd = t.kind == VM_OUT_STREAM ? vm_out_open_stream(&t, path, err) : open_temp(path, &t, &tmp, err);
    if (fd < 0) {
        vm_out_target_free(&t);
        return false;
    }
    FILE *fp = fdopen(fd, "wb");
    af->shown = vm_strdup(path);
    if (!fp || !af->shown) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
        if (fp)
            fclose(fp);
        else
            close(fd);
        if (tmp)
            remove(tmp);
        free(tmp);
        free(af->shown);
        af->shown = NULL;
        vm_out_target_free(&t);
        return false;
    }
    af->fp = fp;
    af->tmp_path = tmp;
    if (t.kind == VM_OUT_FILE) {
        af->final_path = t.path; /* the link's target, when path is a link */
        t.path = NULL;
    }
    vm_out_target_free(&t);
    return true;
}

/* Flushes and closes the stream; returns 0 or the errno that describes the first failure (seen,
 * when the writer noted it: errno may have changed since). */
static int finish_stream(FILE *fp, bool sync, int seen)
{
    int fd = fileno(fp);
    bool had_error = ferror(fp) != 0;
    int e = 0;
    if (fflush(fp) != 0 || had_error)
        e = seen ? seen : guess_write_errno(fd);
    if (!e && sync && sync_fd(fd) != 0)
        e = errno;
    if (fclose(fp) != 0 && !e)
        e = errno;
    return e;
}

static bool stdout_finish(vm_error *err, int seen)
{
    bool had_error = ferror(stdout) != 0;
    errno = 0;
    int e = 0;
    if (fflush(stdout) != 0 || had_error)
        e = seen ? seen : guess_write_errno(fileno(stdout));
    if (!e)
        return true;
    vm_error_set(err, VM_EXIT_ERROR, "cannot write to standard output: %s", strerror(e));
    if (e == ENOSPC)
        vm_error_hint(err, "standard output is a full device or file system; redirect it elsewhere");
    clearerr(stdout);
    return false;
}

bool vm_stdout_finish(vm_error *err)
{
    return stdout_finish(err, 0);
}

bool vm_atomic_commit(vm_atomic_file *af, vm_error *err)
{
    if (!af->fp) {
        vm_error_set(err, VM_EXIT_ERROR, "internal error: commit of a file that is not open");
        return false;
    }
    if (!af->shown) {
        af->fp = NULL;
        return stdout_finish(err, af->write_errno);
    }
    bool stream = af->tmp_path == NULL;
    int e = finish_stream(af->fp, want_sync() && !stream, af->write_errno);
    af->fp = NULL;
    bool ok = e == 0;
    if (!ok && stream) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s", af->shown, strerror(e));
    } else if (!ok) {
        vm_out_error(err, af->shown, e);
        remove(af->tmp_path);
    } else if (!stream) {
        vm_out_target t = {.kind = VM_OUT_FILE, .path = af->final_path};
        ok = install(af->tmp_path, &t, af->shown, err);
    }
    free_names(af);
    return ok;
}

void vm_atomic_abort(vm_atomic_file *af)
{
    if (af->fp && af->fp != stdout)
        fclose(af->fp);
    if (af->tmp_path)
        remove(af->tmp_path);
    free_names(af);
    memset(af, 0, sizeof *af);
}

void vm_atomic_remove_on_signal(vm_atomic_file *af)
{
    if (af->tmp_path)
        af->on_signal = vm_remove_on_signal(af->tmp_path);
}

char *vm_atomic_temp_path(const char *path, vm_error *err)
{
    vm_out_target t;
    if (!resolve(path, &t, err))
        return NULL;
    char *tmp;
    int fd = open_temp(path, &t, &tmp, err);
    vm_out_target_free(&t);
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

/* Copies the finished temporary into a stream target (a device, FIFO or socket). */
static bool copy_into_stream(const char *tmp, const vm_out_target *t, const char *shown, vm_error *err)
{
    FILE *in = fopen(tmp, "rb");
    if (!in) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: cannot read back %s: %s", shown, tmp, strerror(errno));
        return false;
    }
    int fd = vm_out_open_stream(t, shown, err);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!out) {
        if (fd >= 0) {
            close(fd);
            vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", shown);
        }
        fclose(in);
        return false;
    }
    char buf[65536];
    size_t n;
    int seen = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            seen = errno;
            break;
        }
    fclose(in);
    int e = finish_stream(out, false, seen);
    if (e)
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s", shown, strerror(e));
    return e == 0;
}

bool vm_atomic_commit_path(const char *tmp_path, const char *path, vm_error *err)
{
    vm_out_target t;
    if (!resolve(path, &t, err)) {
        remove(tmp_path);
        return false;
    }
    bool ok;
    if (t.kind == VM_OUT_STREAM) {
        ok = copy_into_stream(tmp_path, &t, path, err);
        remove(tmp_path);
    } else {
        int e = want_sync() ? sync_path(tmp_path) : 0;
        if (e) {
            vm_out_error(err, path, e);
            remove(tmp_path);
            ok = false;
        } else {
            ok = install(tmp_path, &t, path, err);
        }
    }
    vm_out_target_free(&t);
    return ok;
}
