/* /proc/PID/maps and /proc/PID/smaps of a live process, read on a thread of their own
 * (proc_reader.h) and parsed as they come by the maps parser (proc_maps.h).  Linux builds only. */
#include "proc_smaps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../util/xalloc.h"
#include "proc_process.h"
#include "proc_reader.h"

static int open_error(int pid, const char *file, int e, vm_error *err)
{
    if (e == ENOENT || e == ESRCH) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %d", pid);
        vm_error_hint(err, "list processes with: ps -e -o pid,comm");
        return VM_EXIT_NOT_FOUND;
    }
    if (e == EACCES || e == EPERM) {
        vm_linux_explain_access(pid, "read the memory map", err);
        return VM_EXIT_ACCESS;
    }
    vm_error_set(err, VM_EXIT_ERROR, "cannot open /proc/%d/%s: %s", pid, file, strerror(e));
    return VM_EXIT_ERROR;
}

/* A read that fails, or a file that ends early, is most often the process exiting under us:
 * say so when it is gone, instead of reporting an I/O error or a silently short map. */
static int read_error(int pid, const char *file, int e, vm_error *err)
{
    if (!vm_linux_process_alive(pid)) {
        vm_error_set(err, VM_EXIT_TARGET_GONE, "process %d exited during the scan", pid);
        return VM_EXIT_TARGET_GONE;
    }
    if (e == EACCES || e == EPERM) {
        vm_linux_explain_access(pid, "read the memory map", err);
        return VM_EXIT_ACCESS;
    }
    vm_error_set(err, VM_EXIT_ERROR, "cannot read /proc/%d/%s: %s", pid, file, strerror(e));
    return VM_EXIT_ERROR;
}

/* The parse of a file chunk by chunk as the reader hands them over (proc_reader.h): each chunk's
 * lines go into a batch of its own, handed to the caller with the chunk; the mapping still in
 * progress at its end (its fields may go on in the next chunk) stays in the parser.  A caller
 * that takes no batch gets every mapping parsed straight into its array (direct), not copied
 * there from the batches. */
typedef struct stream {
    vm_linux_maps_stream *text;
    vm_linux_maps *direct; /* or NULL */
    bool failed; /* a line did not parse, or no memory: the reading stopped there */
} stream;

static bool parse_chunk(void *ctx, lx_chunk *c)
{
    stream *st = ctx;
    if (st->direct) {
        st->failed = !vm_linux_maps_stream_feed(st->text, c->data, c->len, st->direct);
        return !st->failed;
    }
    vm_linux_maps *batch = calloc(1, sizeof *batch);
    if (!batch) {
        vm_linux_maps_stream_fail_nomem(st->text);
        st->failed = true;
        return false;
    }
    c->result = batch;
    if (!vm_linux_maps_stream_feed(st->text, c->data, c->len, batch)) {
        st->failed = true;
        return false;
    }
    return true;
}

/* A batch's mappings onto the end of out (their names go with them); false when out of memory
 * (the batch's are freed then). */
static bool take_batch(vm_linux_maps *out, vm_linux_maps *batch)
{
    bool ok = vm_array_append((void **)&out->v, &out->n, sizeof *out->v, batch->v, batch->n);
    if (!ok)
        vm_linux_maps_free(batch);
    free(batch->v);
    batch->v = NULL;
    batch->n = 0;
    return ok;
}

/* A batch to the caller, who may take it; else onto out. */
static bool hand_over(vm_linux_maps *out, vm_linux_maps *batch, vm_linux_parsed_fn on_parsed, void *ctx)
{
    if (on_parsed && on_parsed(ctx, batch, out)) {
        free(batch->v); /* the mappings (and their names) are the caller's now */
        batch->v = NULL;
        batch->n = 0;
        return true;
    }
    return take_batch(out, batch);
}

bool vm_linux_parse_smaps_fd(int fd, vm_linux_maps *out, vm_linux_parsed_fn on_parsed, void *ctx, char *err,
                             size_t errlen, int *read_errno)
{
    out->v = NULL;
    out->n = 0;
    *read_errno = 0;
    stream st = {.text = vm_linux_maps_stream_new(err, errlen), .direct = on_parsed ? NULL : out};
    /* Lines are parsed on the reader thread right after they are read while this thread is busy
     * with the mappings it already has (its chunk buffers are used again at once, still in cache),
     * and on this one when it waits: the kernel's reading, the longest part, goes on meanwhile
     * (proc_reader.h).  A caller that takes nothing as it comes (no on_parsed) would only wait:
     * then there is no reader thread. */
    lx_reader *rd = st.text ? lx_reader_start_with(fd, parse_chunk, &st, on_parsed != NULL) : NULL;
    if (!rd) {
        vm_linux_maps_stream_free(st.text);
        if (err && errlen)
            snprintf(err, errlen, "line 0: out of memory");
        *read_errno = ENOMEM;
        return false;
    }
    vm_linux_maps none = {NULL, 0};
    if (on_parsed)
        on_parsed(ctx, &none, out); /* nothing yet: the caller's turn while the first chunk is read */
    bool taken = true;
    lx_chunk *c;
    while ((c = lx_reader_next(rd)) != NULL) {
        vm_linux_maps *batch = c->result;
        c->result = NULL;
        lx_reader_recycle(rd, c);
        if (!batch)
            continue;
        if (taken && !hand_over(out, batch, on_parsed, ctx))
            taken = false;
        vm_linux_maps_free(batch); /* what was not handed over (after running out of memory) */
        free(batch);
    }
    *read_errno = lx_reader_finish(rd); /* the parser is ours again */
    vm_linux_maps last = {NULL, 0}; /* the mapping still in progress at the end */
    bool parsed = !st.failed && taken;
    if (!taken)
        vm_linux_maps_stream_fail_nomem(st.text);
    if (parsed && !*read_errno)
        parsed = vm_linux_maps_stream_end(st.text, &last);
    if (!parsed && vm_linux_maps_stream_nomem(st.text))
        *read_errno = ENOMEM; /* not the text's fault */
    vm_linux_maps_stream_free(st.text);
    if (parsed && !*read_errno && last.n && !hand_over(out, &last, on_parsed, ctx)) {
        parsed = false;
        *read_errno = ENOMEM;
    }
    vm_linux_maps_free(&last);
    if (!parsed || *read_errno) {
        vm_linux_maps_free(out);
        return false;
    }
    return true;
}

/* Reads the open smaps fd to the end (vm_linux_parse_smaps_fd), turning failures into the
 * capture's errors.  Returns VM_EXIT_*. */
static int stream_smaps(int pid, const char *file, int fd, vm_linux_maps *out, vm_linux_parsed_fn on_parsed,
                        void *ctx, vm_error *err)
{
    char perr[200];
    int read_errno = 0;
    if (vm_linux_parse_smaps_fd(fd, out, on_parsed, ctx, perr, sizeof perr, &read_errno))
        return VM_EXIT_OK;
    if (read_errno)
        return read_error(pid, file, read_errno, err);
    /* A half-written record from a process that died mid-read is not a parse bug. */
    if (!vm_linux_process_alive(pid)) {
        vm_error_set(err, VM_EXIT_TARGET_GONE, "process %d exited during the scan", pid);
        return VM_EXIT_TARGET_GONE;
    }
    vm_error_set(err, VM_EXIT_ERROR, "cannot parse /proc/%d/%s: %s", pid, file, perr);
    return VM_EXIT_ERROR;
}

int vm_linux_read_smaps(int pid, vm_linux_maps *out, vm_error *err)
{
    return vm_linux_read_smaps_ex(pid, out, NULL, NULL, err);
}

/* /proc/PID/FILE (maps or smaps), read and parsed. */
static int read_proc_maps(int pid, const char *file, vm_linux_maps *out, vm_linux_parsed_fn on_parsed, void *ctx,
                          vm_error *err)
{
    out->v = NULL;
    out->n = 0;
    if (pid <= 0) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %d", pid);
        return VM_EXIT_NOT_FOUND;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return open_error(pid, file, errno, err);
    int rc = stream_smaps(pid, file, fd, out, on_parsed, ctx, err);
    close(fd);
    /* When the mm goes away the kernel just ends the file early, which looks like success: an
     * empty or short map from a process that is no longer there is a vanished target.  A live
     * process with no mappings (a kernel thread) is fine. */
    if (rc == VM_EXIT_OK && !vm_linux_process_alive(pid)) {
        vm_error_set(err, VM_EXIT_TARGET_GONE, "process %d exited during the scan", pid);
        rc = VM_EXIT_TARGET_GONE;
    }
    if (rc != VM_EXIT_OK)
        vm_linux_maps_free(out);
    return rc;
}

int vm_linux_read_smaps_ex(int pid, vm_linux_maps *out, vm_linux_parsed_fn on_parsed, void *ctx, vm_error *err)
{
    return read_proc_maps(pid, "smaps", out, on_parsed, ctx, err);
}

int vm_linux_read_maps(int pid, vm_linux_maps *out, vm_error *err)
{
    return read_proc_maps(pid, "maps", out, NULL, NULL, err);
}
