/* The heap statistics step of heap_step.h: the dispatcher (parse/heap_walk.h) drives the
 * statistics visitor (model/heap_stats.h) over each heap, then the owner step
 * (parse/heap_owner.h).  A walk that takes more than a second says how far it got, on a
 * terminal. */
#include "heap_step.h"

#include <inttypes.h>
#include <stdio.h>

#include "../model/heap_stats.h"
#include "../parse/heap_owner.h"
#include "../parse/heap_walk.h"
#include "../util/clock_signal.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/timings.h"

typedef struct progress {
    bool on;          /* stderr is a terminal and the user did not ask for quiet */
    bool shown;
    double start, last, after;  /* after: seconds of walking before the first line */
    uint64_t total;   /* heap bytes to walk, as far as the parts say */
} progress;

static void show(void *ctx, uint64_t bytes)
{
    progress *p = ctx;
    double now = p->on ? vm_clock_now() : 0;
    if (!p->on || now - p->start < p->after || now - p->last < 0.2) /* a few redraws a second */
        return;
    p->shown = true;
    p->last = now;
    if (p->total)
        fprintf(stderr, "\rvmmap: walking heap blocks: %" PRIu64 " of %" PRIu64 " MiB (%d%%) ", bytes >> 20,
                p->total >> 20, (int)(bytes * 100 / p->total > 100 ? 100 : bytes * 100 / p->total));
    else
        fprintf(stderr, "\rvmmap: walking heap blocks: %" PRIu64 " MiB ", bytes >> 20);
    fflush(stderr);
}

static void finish(progress *p)
{
    if (p->shown)
        fprintf(stderr, "\r%60s\r", "");
}

/* The statistics and, when it wants this heap, the tee: one walk feeds both. */
typedef struct both {
    vm_heap_stats_acc *acc;
    const vm_heap_tee *tee;
    bool tee_stopped;
} both;

static bool visit_both(void *ctx, const vm_hblock *b)
{
    both *x = ctx;
    if (!vm_heap_stats_visit(x->acc, b))
        return false;
    if (x->tee && !x->tee_stopped && !x->tee->visit(x->tee->ctx, b))
        x->tee_stopped = true; /* the statistics still want the rest */
    return true;
}

/* One heap: walked into fresh stats, or left without them and said why. */
static int walk_heap(vm_heap_walker *w, vm_snapshot *snap, size_t i, const vm_heap_tee *tee, vm_error *err)
{
    vm_heap *h = &snap->heaps[i];
    vm_heap_clear_walk(h);
    vm_heap_stats_acc *acc = vm_heap_stats_begin();
    if (!acc) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory walking heap %d", (int)h->id);
        return VM_EXIT_ERROR;
    }
    char note[512];
    both x = {acc, tee && (tee->heap_id < 0 || tee->heap_id == h->id) ? tee : NULL, false};
    vm_heap_walk_status st = vm_heap_walk(w, i, visit_both, &x, note, sizeof note);
    if (st == VM_HEAP_WALK_OOM || st == VM_HEAP_WALK_STOPPED) { /* the visitor stops only when out of memory */
        vm_heap_stats_discard(acc);
        vm_error_set(err, VM_EXIT_ERROR, "out of memory walking heap %d", (int)h->id);
        return VM_EXIT_ERROR;
    }
    if (st == VM_HEAP_WALK_NONE) {
        vm_heap_stats_discard(acc);
        vm_heap_note(h, "%s", note[0] ? note : "not walked");
        return VM_EXIT_OK;
    }
    if (note[0])
        vm_heap_note(h, "%s", note);
    if (!vm_heap_stats_end(acc, h)) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory walking heap %d", (int)h->id);
        return VM_EXIT_ERROR;
    }
    return VM_EXIT_OK;
}

int vm_heap_stats_fill(const vm_memreader *mem, vm_snapshot *snap, bool quiet, const vm_heap_tee *tee,
                       vm_error *err)
{
    progress p = {.on = !quiet && vm_is_terminal(stderr), .start = vm_clock_now(), .after = vm_progress_delay()};
    for (size_t i = 0; i < snap->nheaps; i++)
        for (size_t j = 0; j < snap->heaps[i].nparts; j++)
            p.total += snap->heaps[i].parts[j].committed;
    /* The statistics read no target memory: the walk may read ahead, on a second CPU
     * (VMMAP_THREADS=1: none).  The tee (--blocks printing) reads none either. */
    vm_heap_walk_opts o = {.progress = show, .progress_ctx = &p, .read_ahead = vm_cpu_count() > 1};
    vm_heap_walker *w = vm_heap_walker_new(mem, snap, &o);
    if (!w) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    int rc = VM_EXIT_OK;
    for (size_t i = 0; i < snap->nheaps && rc == VM_EXIT_OK; i++)
        rc = walk_heap(w, snap, i, tee, err);
    vm_heap_walker_free(w);
    finish(&p);
    vm_timing_mark("heap blocks");
    if (rc == VM_EXIT_OK && !vm_heap_find_owners(mem, snap, snap->process.bits)) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory looking for heap owners");
        rc = VM_EXIT_ERROR;
    }
    vm_timing_mark("heap owners");
    return rc;
}

bool vm_heap_step_wanted(const vm_capture_options *opt)
{
    return opt->heap_blocks;
}

int vm_heap_step_run(vm_facts *facts, const vm_capture_options *opt, vm_error *err)
{
    return vm_heap_stats_fill(&facts->mem, facts->snap, opt->quiet, NULL, err);
}
