/* The one capture pipeline (capture.h): recognition, then gather -> classify -> post-classify
 * steps -> header -> release, the same for every source. */
#include "capture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../../report/json.h"
#include "../classify/bounds.h"
#include "../classify/classify.h"
#include "../sources/input/unpack.h"
#include "../sources/minidump/minidump_source.h"
#include "../util/timings.h"
#include "../util/xalloc.h"
#include "../version.h"

static char *utc_now(void)
{
    time_t now = time(NULL);
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&now, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return NULL;
    return vm_strdup(buf);
}

int vm_capture_run(vm_gather_fn gather, void *ctx, const vm_capture_options *opt, vm_snapshot **out,
                   vm_error *err)
{
    static const vm_capture_options defaults = {0};
    if (!opt)
        opt = &defaults;
    *out = NULL;
    vm_facts facts = {0};
    facts.snap = vm_snapshot_new();
    if (!facts.snap) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    facts.classify = vm_classify_more;
    /* The time the capture started: a source that knows better (a dump's own time) replaces it. */
    facts.snap->taken_at = utc_now();
    /* Set now, not at the end: a writer puts it in the file as soon as the first regions are final
     * (report/json.h, vm_json_writer). */
    facts.snap->tool_version = vm_strdup(VMMAP_VERSION);
    vm_timing_mark("capture start");
    int rc = gather(ctx, opt, &facts, err);
    if (rc == VM_EXIT_OK && !facts.classified) {
        rc = vm_classify(&facts, err);
        vm_timing_mark("classify");
    }
    vm_facts_free_blocks(&facts);
    if (rc == VM_EXIT_OK)
        rc = vm_run_post_steps(&facts, opt, err);
    if (rc == VM_EXIT_OK && opt->with_memory)
        rc = opt->with_memory(opt->with_memory_ctx, &facts, err);
    if (rc == VM_EXIT_OK)
        vm_snapshot_bound_steps(facts.snap); /* every snapshot loads again (classify/bounds.h) */
    vm_facts_release(&facts);
    if (rc == VM_EXIT_OK && !facts.snap->tool_version) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        rc = VM_EXIT_ERROR;
    }
    if (rc != VM_EXIT_OK) {
        vm_snapshot_free(facts.snap);
        return rc;
    }
    *out = facts.snap;
    return VM_EXIT_OK;
}

/* ---- a source from the table ---- */

typedef struct source_call {
    const vm_source *src;
    const char *arg;
} source_call;

static int gather_source(void *ctx, const vm_capture_options *opt, vm_facts *facts, vm_error *err)
{
    const source_call *c = ctx;
    return c->src->gather(c->arg, opt, facts, err);
}

int vm_capture_source(const vm_source *src, const char *arg, const vm_capture_options *opt, vm_snapshot **out,
                      vm_error *err)
{
    *out = NULL;
    if (opt && (opt->asked & ~src->honours))
        return vm_capture_refuse(arg, src, opt->asked & ~src->honours, err);
    source_call c = {src, arg};
    return vm_capture_run(gather_source, &c, opt, out, err);
}

/* ---- a minidump in memory ---- */

typedef struct buffer_call {
    const uint8_t *data;
    size_t size;
    const char *name;
} buffer_call;

static int gather_buffer(void *ctx, const vm_capture_options *opt, vm_facts *facts, vm_error *err)
{
    const buffer_call *c = ctx;
    return vm_minidump_gather_buffer(c->data, c->size, c->name, opt, facts, err);
}

int vm_minidump_capture_buffer_opt(const uint8_t *data, size_t size, const char *name,
                                   const vm_capture_options *opt, vm_snapshot **out, vm_error *err)
{
    buffer_call c = {data, size, name};
    return vm_capture_run(gather_buffer, &c, opt, out, err);
}

int vm_minidump_capture_buffer(const uint8_t *data, size_t size, const char *name, vm_snapshot **out,
                               vm_error *err)
{
    return vm_minidump_capture_buffer_opt(data, size, name, NULL, out, err);
}

/* ---- recognition ---- */

static bool has_separator(const char *s)
{
#ifdef _WIN32
    if (strchr(s, '\\') || (s[0] && s[1] == ':'))
        return true;
#endif
    return strchr(s, '/') != NULL;
}

/* A snapshot: JSON text whose first non-blank byte opens an object (a UTF-8 BOM allowed). */
static bool is_snapshot_head(const uint8_t *h, size_t n)
{
    size_t i = 0;
    if (n >= 3 && h[0] == 0xef && h[1] == 0xbb && h[2] == 0xbf)
        i = 3;
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
        i++;
    return i < n && h[i] == '{';
}

static const vm_source *claimant(const char *arg, const uint8_t *head, size_t n)
{
    for (size_t i = 0; vm_sources[i]; i++)
        if (vm_sources[i]->claims(arg, head, n))
            return vm_sources[i];
    return NULL;
}

/* A snapshot loaded from a file or a stream: nothing of the target is read any more. */
static int load_snapshot(const char *path, const vm_capture_options *opt, vm_snapshot **out, vm_error *err)
{
    if (opt && opt->asked)
        return vm_capture_refuse(path, NULL, opt->asked, err);
    return (*out = vm_snapshot_read_json(path, err)) ? VM_EXIT_OK : err->code;
}

/* A file target: the source that claims its content, the snapshot loader, or what it is. */
static int capture_file(const char *path, const vm_capture_options *opt, vm_snapshot **out, vm_error *err)
{
    uint8_t *head = malloc(VM_SOURCE_HEAD_BYTES);
    if (!head) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    size_t n = 0;
    vm_packing packing = VM_PACK_NONE;
    int rc = vm_unpack_head(path, head, VM_SOURCE_HEAD_BYTES, &n, &packing, err);
    if (rc == VM_EXIT_OK) {
        const vm_source *src = n ? claimant(path, head, n) : NULL;
        if (src)
            rc = vm_capture_source(src, path, opt, out, err);
        else if (packing == VM_PACK_NONE && is_snapshot_head(head, n))
            rc = load_snapshot(path, opt, out, err);
        else
            rc = vm_unclaimed_file(path, head, n, (int)packing, err);
    }
    free(head);
    return rc;
}

bool vm_capture_reader(const char *arg, const vm_source **src, bool *snapshot)
{
    *src = NULL;
    *snapshot = false;
    struct stat st;
    bool exists = arg && !vm_arg_is_pid(arg) && stat(arg, &st) == 0;
    if (!arg || vm_arg_is_pid(arg) || (!exists && !has_separator(arg)) ||
        (exists && S_ISDIR(st.st_mode) && !has_separator(arg))) { /* a process (by name) */
        *src = &vm_source_live;
        return true;
    }
    if (!exists || S_ISDIR(st.st_mode))
        return false;
    if (!S_ISREG(st.st_mode)) { /* a stream: read as a snapshot */
        *snapshot = true;
        return true;
    }
    uint8_t head[VM_SOURCE_HEAD_BYTES];
    size_t n = 0;
    vm_packing packing = VM_PACK_NONE;
    vm_error e = {0};
    if (vm_unpack_head(arg, head, sizeof head, &n, &packing, &e) != VM_EXIT_OK || n == 0)
        return false;
    *src = claimant(arg, head, n);
    *snapshot = !*src && packing == VM_PACK_NONE && is_snapshot_head(head, n);
    return *src || *snapshot;
}

int vm_capture_target(const char *arg, const vm_capture_options *opt, vm_snapshot **out, vm_error *err)
{
    *out = NULL;
    if (!arg || vm_arg_is_pid(arg)) /* --self, a PID */
        return vm_capture_source(&vm_source_live, arg, opt, out, err);
    struct stat st;
    if (stat(arg, &st) == 0) {
        /* A pipe or a device (`vmmap show /dev/stdin < snap.json`) cannot be read twice, so it is
         * not sniffed: it can only be a snapshot streamed in, as before. */
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            return load_snapshot(arg, opt, out, err);
        if (!S_ISDIR(st.st_mode))
            return capture_file(arg, opt, out, err);
        /* A bare name that is also a directory here: a process of that name first (add a '/'
         * to mean the directory), else the same answer as for "NAME/". */
        if (!has_separator(arg)) {
            vm_error name_err = {0};
            int64_t pid;
            if (vm_platform_find_pid(arg, &pid, &name_err) != VM_EXIT_NOT_FOUND)
                return vm_capture_source(&vm_source_live, arg, opt, out, err);
        }
        return vm_directory_target(arg, err);
    }
    if (errno != ENOENT || has_separator(arg)) {
        int e = errno;
        vm_error_set(err, e == ENOENT || e == ENOTDIR ? VM_EXIT_NOT_FOUND : e == EACCES ? VM_EXIT_ACCESS : VM_EXIT_ERROR,
                     "cannot read %s: %s", arg, e == ENOENT || e == ENOTDIR ? "no such file" : strerror(e));
        return err->code;
    }
    int rc = vm_capture_source(&vm_source_live, arg, opt, out, err);
    if (rc == VM_EXIT_NOT_FOUND && strchr(arg, '.')) { /* "crash.dmp", "snap.json": a file meant */
        vm_error_set(err, VM_EXIT_NOT_FOUND, "cannot read %s: no such file (and no process of that name)", arg);
        vm_error_hint(err, "check the file name; a process is given by PID or by its executable name");
    }
    return rc;
}
