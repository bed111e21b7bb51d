/* Reading a series (series.h): directories of snapshots, .jsonl files with the torn-last-line
 * rule, and the timeline built from them. */
#include "series.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../report/json.h"
#include "../util/xalloc.h"

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool vm_series_is_jsonl(const char *path)
{
    return strlen(path) > 6 && has_suffix(path, ".jsonl");
}

/* One line of f into *buf (grown as needed), without its newline; *had_newline tells whether the
 * line ended with one (a final line without is torn).  false at EOF with nothing read. */
static bool read_line(FILE *f, char **buf, size_t *cap, size_t *len, bool *had_newline)
{
    *len = 0;
    *had_newline = false;
    for (;;) {
        if (*cap - *len < 2) {
            size_t ncap = *cap ? *cap * 2 : 65536;
            char *n = realloc(*buf, ncap);
            if (!n)
                return false;
            *buf = n;
            *cap = ncap;
        }
        if (!fgets(*buf + *len, (int)(*cap - *len > 1u << 30 ? 1u << 30 : *cap - *len), f))
            return *len > 0;
        *len += strlen(*buf + *len);
        if (*len > 0 && (*buf)[*len - 1] == '\n') {
            (*buf)[--*len] = '\0';
            *had_newline = true;
            return true;
        }
    }
}

static bool blank(const char *s)
{
    return s[strspn(s, " \t\r")] == '\0';
}

static int open_failed(const char *path, vm_error *err)
{
    int e = errno;
    vm_error_set(err, e == ENOENT ? VM_EXIT_NOT_FOUND : e == EACCES ? VM_EXIT_ACCESS : VM_EXIT_ERROR,
                 "cannot read %s: %s", path, strerror(e));
    return err->code;
}

/* Calls fn for every snapshot line of a .jsonl file, or only for line stop_at (0: every line). */
static int each_jsonl(const char *path, size_t stop_at, vm_series_fn fn, void *ctx, size_t *torn, vm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return open_failed(path, err);
    char *buf = NULL, name[600];
    size_t cap = 0, len, line = 0;
    bool nl;
    int rc = VM_EXIT_OK;
    while (rc == VM_EXIT_OK && read_line(f, &buf, &cap, &len, &nl)) {
        line++;
        if ((stop_at && line != stop_at) || blank(buf))
            continue;
        snprintf(name, sizeof name, "%s:%zu", path, line);
        vm_snapshot *s = vm_snapshot_from_json(buf, len, name, err);
        if (!s && !nl) { /* a torn final line: a writer was killed while appending it */
            *torn += 1;
            break;
        }
        rc = s ? fn(ctx, path, line, s, err) : err->code;
        if (stop_at)
            break;
    }
    if (rc == VM_EXIT_OK && ferror(f))
        rc = open_failed(path, err);
    free(buf);
    fclose(f);
    return rc;
}

static int read_file(const char *path, vm_series_fn fn, void *ctx, vm_error *err)
{
    vm_snapshot *s = vm_snapshot_read_json(path, err);
    return s ? fn(ctx, path, 0, s, err) : err->code;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files of dir (not starting with '.', which are temporaries), sorted by name. */
static int list_dir(const char *dir, char ***names, size_t *n, vm_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return open_failed(dir, err);
    struct dirent *e;
    int rc = VM_EXIT_OK;
    while (rc == VM_EXIT_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, ".json"))
            continue;
        char **slot = vm_array_push((void **)names, n, sizeof *slot);
        if (!slot || !(*slot = vm_asprintf("%s/%s", dir, e->d_name))) {
            vm_error_set(err, VM_EXIT_ERROR, "out of memory");
            rc = err->code;
        }
    }
    closedir(d);
    if (*n)
        qsort(*names, *n, sizeof **names, compare_names);
    return rc;
}

static int read_dir(const char *dir, vm_series_fn fn, void *ctx, vm_error *err)
{
    char **names = NULL;
    size_t n = 0;
    int rc = list_dir(dir, &names, &n, err);
    for (size_t i = 0; i < n; i++) {
        if (rc == VM_EXIT_OK)
            rc = read_file(names[i], fn, ctx, err);
        free(names[i]);
    }
    free(names);
    return rc;
}

int vm_series_read(const char *path, vm_series_fn fn, void *ctx, size_t *torn, vm_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return open_failed(path, err);
    if (S_ISDIR(st.st_mode))
        return read_dir(path, fn, ctx, err);
    if (vm_series_is_jsonl(path))
        return each_jsonl(path, 0, fn, ctx, torn, err);
    return read_file(path, fn, ctx, err);
}

static int keep_snapshot(void *ctx, const char *path, size_t line, vm_snapshot *s, vm_error *err)
{
    *(vm_snapshot **)ctx = s;
    return VM_EXIT_OK;
}

int vm_series_read_one(const char *source, size_t line, vm_snapshot **out, vm_error *err)
{
    *out = NULL;
    if (line == 0) {
        *out = vm_snapshot_read_json(source, err);
        return *out ? VM_EXIT_OK : err->code;
    }
    size_t torn = 0;
    int rc = each_jsonl(source, line, keep_snapshot, out, &torn, err);
    if (rc == VM_EXIT_OK && !*out) {
        vm_error_set(err, VM_EXIT_BAD_INPUT, "%s:%zu: the line is gone (the file changed)", source, line);
        rc = err->code;
    }
    return rc;
}

/* ---- the timeline ---- */

static int add_and_free(void *ctx, const char *path, size_t line, vm_snapshot *s, vm_error *err)
{
    int rc = vm_timeline_add(ctx, s, path, line, err);
    vm_snapshot_free(s);
    return rc;
}

int vm_timeline_load(vm_timeline *tl, const char *const *paths, size_t npaths, vm_error *err)
{
    for (size_t i = 0; i < npaths; i++) {
        int rc = vm_series_read(paths[i], add_and_free, tl, &tl->torn_lines, err);
        if (rc != VM_EXIT_OK)
            return rc;
    }
    if (tl->nrows == 0) {
        vm_error_set(err, VM_EXIT_BAD_INPUT, "no snapshots in %s%s", paths[0], npaths > 1 ? " and the others" : "");
        vm_error_hint(err, "a timeline reads *.json snapshots in a directory, a .jsonl file or several files");
        return err->code;
    }
    return VM_EXIT_OK;
}

int vm_timeline_reload(const vm_timeline *tl, size_t i, vm_snapshot **out, vm_error *err)
{
    const vm_tl_row *r = &tl->rows[i];
    *out = NULL;
    if (!r->source) {
        vm_error_set(err, VM_EXIT_ERROR, "sample %zu was not read from a file", i + 1);
        return err->code;
    }
    return vm_series_read_one(r->source, r->line, out, err);
}
