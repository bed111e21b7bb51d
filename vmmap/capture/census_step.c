/* The object census step of census_step.h: the heap walk dispatcher drives the census visitor
 * over each heap; the walk hands each block's bytes to the census, so each heap byte is read
 * from the target once. */
#include "census_step.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../parse/heap_walk.h"
#include "../util/parallel.h"
#include "../util/clock_signal.h"
#include "../util/timings.h"

static int census_fill(const vm_memreader *mem, vm_snapshot *snap, vm_census_request *req,
                       const vm_census_options *files, bool quiet, vm_error *err);

/* The target's reader shared by two threads: the walk's read-ahead thread and the census (its
 * reads of blocks the walk did not have at hand, and the validator's).  A memory reader is used
 * by one thread at a time: calls take turns. */
typedef struct locked_reader {
    const vm_memreader *inner;
    pthread_mutex_t lock;
} locked_reader;

static size_t locked_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    locked_reader *l = ctx;
    pthread_mutex_lock(&l->lock);
    size_t got = l->inner->read(l->inner->ctx, addr, buf, len);
    pthread_mutex_unlock(&l->lock);
    return got;
}

static void locked_read_many(void *ctx, vm_read_req *reqs, size_t n)
{
    locked_reader *l = ctx;
    pthread_mutex_lock(&l->lock);
    vm_read_many(l->inner, reqs, n);
    pthread_mutex_unlock(&l->lock);
}

int vm_census_fill(const vm_memreader *raw, vm_snapshot *snap, vm_census_request *req,
                   const vm_census_options *files, bool quiet, vm_error *err)
{
    locked_reader lr;
    lr.inner = raw;
    pthread_mutex_init(&lr.lock, NULL);
    vm_memreader locked = {locked_read, &lr, locked_read_many};
    int rc = census_fill(&locked, snap, req, files, quiet, err);
    pthread_mutex_destroy(&lr.lock);
    return rc;
}

static int census_fill(const vm_memreader *mem, vm_snapshot *snap, vm_census_request *req,
                       const vm_census_options *files, bool quiet, vm_error *err)
{
    vm_census_options co = {0};
    if (req) {
        co.type_pattern = req->type_pattern;
        co.all = req->all;
    }
    if (files) {
        co.module_root = files->module_root;
        co.require_build_id = files->require_build_id;
        co.image_path = files->image_path;
    }
    co.progress = !quiet && vm_is_terminal(stderr);
    vm_census *c = vm_census_new(snap, mem, &co);
    if (!c) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory for the object census");
        return VM_EXIT_ERROR;
    }
    /* The walk reads the target on its own, a window ahead on a second CPU, and hands its bytes
     * to the census (vm_hblock.bytes): each heap byte is read once. */
    vm_heap_walk_opts wo = {.read_ahead = vm_cpu_count() > 1};
    vm_heap_walker *w = vm_heap_walker_new(mem, snap, &wo);
    if (!w) {
        vm_census_free(c);
        vm_error_set(err, VM_EXIT_ERROR, "out of memory for the object census");
        return VM_EXIT_ERROR;
    }
    int rc = VM_EXIT_OK;
    for (size_t i = 0; i < snap->nheaps && rc == VM_EXIT_OK; i++) {
        char note[512];
        vm_heap_walk_status st = vm_heap_walk(w, i, vm_census_visit, c, note, sizeof note);
        if (st == VM_HEAP_WALK_OOM || st == VM_HEAP_WALK_STOPPED) {
            vm_error_set(err, VM_EXIT_ERROR, "out of memory walking heap %d for the object census",
                         (int)snap->heaps[i].id);
            rc = VM_EXIT_ERROR;
        } else if (st == VM_HEAP_WALK_NONE || st == VM_HEAP_WALK_PARTIAL) {
            /* Objects there are not counted: the census says so rather than under-count quietly. */
            vm_snapshot_warn(snap, "census-heap", "objects: heap %d (%s) %s%s%s", (int)snap->heaps[i].id,
                             snap->heaps[i].kind ? snap->heaps[i].kind : "?",
                             st == VM_HEAP_WALK_NONE ? "not counted" : "partly counted",
                             note[0] ? ": " : "", note);
        }
    }
    vm_heap_walker_free(w);
    vm_timing_mark("census: heaps");
    if (rc == VM_EXIT_OK) {
        vm_census_scan_outside(c);
        if (!vm_census_finish(c, snap)) {
            vm_error_set(err, VM_EXIT_ERROR, "out of memory for the object census");
            rc = VM_EXIT_ERROR;
        }
    }
    if (rc == VM_EXIT_OK && req)
        req->ran = true;
    if (rc == VM_EXIT_OK && req && req->want_instances) {
        size_t n;
        const vm_census_instance *in = vm_census_instances(c, &n);
        req->instances = n ? malloc(n * sizeof *in) : NULL;
        if (n && !req->instances) {
            vm_error_set(err, VM_EXIT_ERROR, "out of memory for the instance list");
            rc = VM_EXIT_ERROR;
        } else {
            if (n)
                memcpy(req->instances, in, n * sizeof *in);
            req->ninstances = n;
        }
    }
    vm_census_free(c);
    vm_timing_mark("census");
    return rc;
}

bool vm_census_step_wanted(const vm_capture_options *opt)
{
    return opt->objects;
}

int vm_census_step_run(vm_facts *facts, const vm_capture_options *opt, vm_error *err)
{
    /* Module files give the _ZTV symbols (vtables without RTTI) and, for a core, the read-only
     * data it left out (the RTTI itself).  A live Linux process's files are read through its own
     * view of the file system; a core's or dump's where they are named or in --image-path, each
     * only when its build-id is the mapped image's. */
    char root[64];
    vm_census_options files = {0};
    const vm_snapshot *s = facts->snap;
    if (s->source && strcmp(s->source, "live-linux") == 0 && s->process.pid > 0) {
        snprintf(root, sizeof root, "/proc/%" PRId64 "/root", s->process.pid);
        files.module_root = root;
    } else if (!s->source || strncmp(s->source, "live-", 5) != 0) {
        files.module_root = "";
        files.require_build_id = true;
        files.image_path = opt->image_path;
    }
    return vm_census_fill(&facts->mem, facts->snap, opt->objects_request, &files, opt->quiet, err);
}
