/* Writing a series (series.h): one file per sample in a directory, or one line per sample in a
 * .jsonl file, with the torn-last-line rule on the writer's side. */
#include "series.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef _WIN32
#include <direct.h>
#define make_dir(p) _mkdir(p)
#else
#define make_dir(p) mkdir(p, 0777)
#endif

#include "../../report/json.h"
#include "../util/output_target.h"
#include "../util/xalloc.h"

struct vm_series_writer {
    char *path;
    FILE *jsonl;  /* NULL for a directory */
    size_t lines; /* complete lines in the .jsonl, for the rows' line numbers */
    char *last;   /* the file the last sample went to (directory) */
    bool created; /* the writer made path: a series nothing was written to is removed at close */
    size_t written;
};

/* DIR must be a directory we may write into: created when missing.  Said before the first
 * capture; an output failure is exit 1 like every other (exit 4 is for the target). */
static int prepare_dir(const char *dir, bool *created, vm_error *err)
{
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (access(dir, W_OK | X_OK) == 0)
            return 0;
        vm_error_set(err, VM_EXIT_ERROR, "cannot write into directory %s: %s", dir, strerror(errno));
        vm_error_hint(err, "choose a directory you can write to, or check the permissions of %s", dir);
        return err->code;
    }
    if (make_dir(dir) == 0) {
        *created = true;
        return 0;
    }
    vm_error_set(err, VM_EXIT_ERROR, "cannot create directory %s: %s", dir,
                 errno == EEXIST ? "a file of that name exists" : strerror(errno));
    vm_error_hint(err, "-o names a directory for one file per sample, or FILE.jsonl for one file");
    return err->code;
}

/* Counts the complete lines of an existing .jsonl and cuts off a torn last line (a crash while it
 * was appended), so that new lines start on a line of their own. */
static int trim_torn_tail(FILE *f, size_t *lines, vm_error *err, const char *path)
{
    long good = 0, pos = 0;
    int c;
    rewind(f);
    while ((c = fgetc(f)) != EOF) {
        pos++;
        if (c == '\n') {
            good = pos;
            ++*lines;
        }
    }
    if (pos != good && ftruncate(fileno(f), good) != 0) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s", path, strerror(errno));
        return err->code;
    }
    if (pos != good)
        fprintf(stderr, "vmmap: note: %s ended with a torn line (%ld bytes); cut off before appending\n", path,
                pos - good);
    return fseek(f, good, SEEK_SET) == 0 ? 0 : VM_EXIT_ERROR;
}

/* A .jsonl is appended to in place (a link is followed); a FIFO or device gets the lines as they
 * come; a read-only file, a directory or a disk is refused (util/output_target.h). */
static int open_jsonl(vm_series_writer *w, vm_error *err)
{
    vm_out_target t;
    if (!vm_out_resolve(w->path, &t, err))
        return err->code;
    if (t.kind == VM_OUT_STREAM) {
        int fd = vm_out_open_stream(&t, w->path, err);
        vm_out_target_free(&t);
        if (fd >= 0 && !(w->jsonl = fdopen(fd, "ab"))) {
            close(fd);
            vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", w->path);
        }
        return w->jsonl ? 0 : err->code;
    }
    vm_out_target_free(&t);
    w->jsonl = fopen(w->path, "r+b");
    if (!w->jsonl && errno == ENOENT && (w->jsonl = fopen(w->path, "w+b")))
        w->created = true;
    if (!w->jsonl) {
        vm_out_error(err, w->path, errno);
        return err->code;
    }
    return trim_torn_tail(w->jsonl, &w->lines, err, w->path);
}

int vm_series_writer_open(const char *path, vm_series_writer **out, vm_error *err)
{
    *out = NULL;
    vm_series_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = vm_strdup(path))) {
        free(w);
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return err->code;
    }
    /* A device or FIFO (/dev/stdout, a pipe to a reader) gets one line per sample too. */
    bool lines = vm_series_is_jsonl(path) || vm_out_is_stream(path);
    int rc = lines ? open_jsonl(w, err) : prepare_dir(path, &w->created, err);
    if (rc != 0) {
        if (w->jsonl)
            fclose(w->jsonl);
        free(w->path);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

/* One line, written with one fwrite and flushed; on failure the partial line is cut off again. */
static int append_line(vm_series_writer *w, const vm_snapshot *s, vm_error *err)
{
    char *text = vm_snapshot_to_json(s, 0); /* one line, ending in '\n' */
    if (!text) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return err->code;
    }
    long before = ftell(w->jsonl);
    size_t len = strlen(text);
    errno = 0;
    bool ok = fwrite(text, 1, len, w->jsonl) == len && fflush(w->jsonl) == 0;
    free(text);
    if (ok) {
        w->lines++;
        return 0;
    }
    vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s", w->path, errno ? strerror(errno) : "write error");
    clearerr(w->jsonl);
    if (before >= 0 && ftruncate(fileno(w->jsonl), before) == 0)
        fseek(w->jsonl, before, SEEK_SET);
    return err->code;
}

int vm_series_write(vm_series_writer *w, const vm_snapshot *s, const char *name, const char **source, size_t *line,
                    vm_error *err)
{
    if (w->jsonl) {
        int rc = append_line(w, s, err);
        *source = w->path;
        *line = w->lines;
        w->written += rc == 0;
        return rc;
    }
    free(w->last);
    w->last = vm_asprintf("%s/%s", w->path, name);
    if (!w->last) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return err->code;
    }
    *source = w->last;
    *line = 0;
    if (vm_snapshot_write_json(s, w->last, err) != 0)
        return err->code;
    w->written++;
    return 0;
}

int vm_series_writer_close(vm_series_writer *w, vm_error *err)
{
    if (!w)
        return 0;
    int rc = 0;
    if (w->jsonl && fclose(w->jsonl) != 0) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: %s", w->path, strerror(errno));
        rc = err->code;
    }
    /* A watch that failed at its first sample (the process was a kernel thread, or gone) leaves
     * nothing behind that was not there before it. */
    if (w->created && w->written == 0)
        (void)(w->jsonl ? remove(w->path) : rmdir(w->path));
    free(w->path);
    free(w->last);
    free(w);
    return rc;
}
