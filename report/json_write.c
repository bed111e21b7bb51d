/* Snapshot -> JSON (docs/snapshot-format.md).
 *
 * The document is never built as one cJSON tree: a 60,000-region snapshot would need millions of
 * nodes.  The small top-level fields form one tree; the big arrays (regions, heaps, threads,
 * modules, warnings, objects) are printed in batches of 256 elements, on as many threads as there are
 * CPUs, and the batches are passed on in order to a buffer or a file.  The regions, nearly all of
 * the text, and the modules and threads are written straight as text in cJSON's layout
 * (json_elements.c); the other arrays'
 * elements are built as cJSON items, with nodes taken from a per-thread arena, and printed into a
 * reused buffer (json_arena.h).  Pretty
 * output is byte-for-byte what cJSON_Print would give for the whole tree, compact output what
 * cJSON_PrintUnformatted gives (tests/unit/test_json.c checks both).
 *
 * A live capture can hand out regions before it ends (vm_json_writer, fed by on_final): their
 * batches are printed then, while the kernel is still generating smaps, and written to the file at
 * once.  So everything before "regions" must be final by then; the summary of every region and
 * the census come right after them.
 *
 * Integers are written with cJSON raw items ("%" PRIu64), not cJSON numbers (doubles), so every
 * value is written exactly and never in exponent form.  Values above 2^53 (never expected: no
 * address space is that large) are still written exactly, but the reader rejects them because a
 * JSON number that large cannot be read back exactly by common JSON tools. */
#include "json.h"
#include "json_arena.h"
#include "json_sink.h"
#include "json_values.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../vmmap/model/summary.h"
#include "../vmmap/util/atomic_file.h"
#include "../vmmap/util/output_target.h"
#include "../vmmap/util/parallel.h"
#include "../vmmap/util/timings.h"
#include "../vmmap/util/xalloc.h"

/* ---- building items ---------------------------------------------------------------------- */

/* All builders take a bool *ok that turns false on the first allocation failure. */

static void put(cJSON *obj, const char *key, cJSON *item, bool *ok)
{
    /* Keys are string literals: added without copying (cJSON_AddItemToObjectCS). */
    if (!item || !cJSON_AddItemToObjectCS(obj, key, item)) {
        cJSON_Delete(item);
        *ok = false;
    }
}

/* o when every step succeeded; else frees it and returns NULL. */
static cJSON *finished(cJSON *o, bool ok)
{
    if (ok)
        return o;
    cJSON_Delete(o);
    return NULL;
}

static cJSON *json_str(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *json_known(uint64_t v, bool known)
{
    return known ? vm_json_u64(v) : cJSON_CreateNull();
}

static void put_counters(cJSON *o, const vm_counters *c, bool *ok)
{
    for (int i = 0; i < VM_C_COUNT; i++)
        put(o, vm_counter_name((vm_counter)i), json_known(c->v[i], (c->known >> i) & 1u), ok);
}

/* ---- the pieces -------------------------------------------------------------------------- */

static cJSON *summary_row_json(const char *type, const vm_summary_row *row)
{
    bool ok = true;
    cJSON *o = cJSON_CreateObject();
    put(o, "type", cJSON_CreateString(type), &ok);
    put(o, "size", vm_json_u64(row->size), &ok);
    put_counters(o, &row->counters, &ok);
    put(o, "blocks", vm_json_u64(row->blocks), &ok);
    put(o, "largest", vm_json_u64(row->largest), &ok);
    return finished(o, ok);
}

static cJSON *summary_json(const vm_snapshot *s)
{
    vm_summary sum;
    vm_summary_compute(s, &sum);
    bool ok = true;
    cJSON *a = cJSON_CreateArray();
    for (int k = 0; k <= VM_KIND_COUNT && ok; k++) {
        const vm_summary_row *row = k < VM_KIND_COUNT ? &sum.kind[k] : &sum.total;
        cJSON *r = summary_row_json(k < VM_KIND_COUNT ? vm_kind_name((vm_kind)k) : "Total", row);
        ok = r && cJSON_AddItemToArray(a, r);
        if (!ok)
            cJSON_Delete(r);
    }
    return finished(a, ok);
}

static cJSON *host_json(const vm_snapshot *s)
{
    bool ok = true;
    cJSON *o = cJSON_CreateObject();
    put(o, "name", json_str(s->host), &ok);
    put(o, "os", json_str(s->os), &ok);
    put(o, "arch", json_str(s->arch), &ok);
    return finished(o, ok);
}

static cJSON *process_json(const vm_process *p)
{
    bool ok = true;
    cJSON *o = cJSON_CreateObject();
    put(o, "pid", vm_json_i64(p->pid), &ok);
    put(o, "name", json_str(p->name), &ok);
    put(o, "exe", json_str(p->exe), &ok);
    put(o, "cmdline", json_str(p->cmdline), &ok);
    put(o, "bits", vm_json_i64(p->bits), &ok);
    return finished(o, ok);
}

/* The object census's totals (optional; docs/snapshot-format.md). */
static cJSON *census_json(const vm_object_census *c)
{
    bool ok = true;
    cJSON *o = cJSON_CreateObject();
    put(o, "scope", cJSON_CreateString(c->all ? "all" : "heap"), &ok);
    put(o, "busy_blocks", vm_json_u64(c->busy_blocks), &ok);
    put(o, "busy_bytes", vm_json_u64(c->busy_bytes), &ok);
    return finished(o, ok);
}

/* The members before "regions", as one small tree.  A live capture hands out regions before it
 * ends, and the file is written from then on (vm_json_writer): only what is final by the first
 * region may be here (the header, filled before any block is made; tool_version and taken_at, set
 * as the capture starts).  What depends on every region or on a later step comes after the
 * regions (tail_json). */
static cJSON *head_json(const vm_snapshot *s)
{
    bool ok = true;
    cJSON *o = cJSON_CreateObject();
    put(o, "format", cJSON_CreateString(VM_SNAPSHOT_FORMAT), &ok);
    put(o, "version", vm_json_i64(VM_SNAPSHOT_VERSION), &ok);
    put(o, "tool_version", json_str(s->tool_version), &ok);
    put(o, "taken_at", json_str(s->taken_at), &ok);
    put(o, "source", json_str(s->source), &ok);
    put(o, "host", host_json(s), &ok);
    put(o, "process", process_json(&s->process), &ok);
    put(o, "page_size", vm_json_u64(s->page_size), &ok);
    put(o, "alloc_granularity", vm_json_u64(s->alloc_granularity), &ok);
    put(o, "user_top", vm_json_hex(s->user_top), &ok);
    put(o, "page_table", json_known(s->page_table_bytes, s->page_table_known), &ok);
    return finished(o, ok);
}

/* The members right after "regions": the summary of them all, and the census (a later step). */
static cJSON *tail_json(const vm_snapshot *s)
{
    bool ok = true;
    cJSON *o = cJSON_CreateObject();
    put(o, "summary", summary_json(s), &ok);
    if (s->census.present)
        put(o, "census", census_json(&s->census), &ok);
    return finished(o, ok);
}

/* Builds the JSON for one element of a model array (blocks, parts, sections). */
typedef cJSON *(*item_fn)(const void *item, bool *ok);

/* "key": [fn(items[0]), fn(items[1]), ...] */
static void put_array(cJSON *o, const char *key, const void *items, size_t n, size_t elem_size,
                      item_fn fn, bool *ok)
{
    cJSON *arr = cJSON_CreateArray();
    put(o, key, arr, ok);
    for (size_t i = 0; arr && i < n && *ok; i++) {
        cJSON *e = fn((const char *)items + i * elem_size, ok);
        if (!e || !cJSON_AddItemToArray(arr, e)) {
            cJSON_Delete(e);
            *ok = false;
        }
    }
}

static cJSON *heap_part_json(const void *item, bool *ok)
{
    const vm_heap_part *p = item;
    cJSON *o = cJSON_CreateObject();
    put(o, "address", vm_json_hex(p->address), ok);
    put(o, "size", vm_json_u64(p->size), ok);
    put(o, "committed", vm_json_u64(p->committed), ok);
    put(o, "what", json_str(p->what), ok);
    return o;
}

static cJSON *heap_size_json(const void *item, bool *ok)
{
    const vm_heap_size *z = item;
    cJSON *o = cJSON_CreateObject();
    put(o, "size", vm_json_u64(z->size), ok);
    put(o, "busy", vm_json_u64(z->busy), ok);
    put(o, "free", vm_json_u64(z->free), ok);
    put(o, "cached", vm_json_u64(z->cached), ok);
    return o;
}

static cJSON *heap_owner_json(const void *item, bool *ok)
{
    const vm_heap_owner *w = item;
    cJSON *o = cJSON_CreateObject();
    put(o, "module", vm_json_i64(w->module), ok);
    put(o, "address", vm_json_hex(w->address), ok);
    return o;
}

static cJSON *heap_stats_json(const vm_heap_stats *st, bool *ok)
{
    cJSON *o = cJSON_CreateObject();
    put(o, "busy_blocks", vm_json_u64(st->busy_blocks), ok);
    put(o, "busy_bytes", vm_json_u64(st->busy_bytes), ok);
    put(o, "free_blocks", vm_json_u64(st->free_blocks), ok);
    put(o, "free_bytes", vm_json_u64(st->free_bytes), ok);
    put(o, "cached_blocks", vm_json_u64(st->cached_blocks), ok);
    put(o, "cached_bytes", vm_json_u64(st->cached_bytes), ok);
    put(o, "largest_free", vm_json_u64(st->largest_free), ok);
    put(o, "overhead_bytes", vm_json_u64(st->overhead_bytes), ok);
    put(o, "fragmentation", cJSON_CreateNumber(st->fragmentation), ok);
    return o;
}

/* The walk's results (format version 2): null when the heap was not walked. */
static void put_heap_walk(cJSON *o, const vm_heap *h, bool *ok)
{
    if (h->stats_known) {
        put(o, "stats", heap_stats_json(&h->stats, ok), ok);
        put_array(o, "sizes", h->sizes, h->nsizes, sizeof *h->sizes, heap_size_json, ok);
    } else {
        put(o, "stats", cJSON_CreateNull(), ok);
        put(o, "sizes", cJSON_CreateNull(), ok);
    }
    put(o, "walk_note", json_str(h->walk_note), ok);
    if (h->owners_known)
        put_array(o, "owner", h->owners, h->nowners, sizeof *h->owners, heap_owner_json, ok);
    else
        put(o, "owner", cJSON_CreateNull(), ok);
}

static cJSON *heap_json(const vm_snapshot *s, size_t i, bool *ok)
{
    const vm_heap *h = &s->heaps[i];
    cJSON *o = cJSON_CreateObject();
    put(o, "id", vm_json_i64(h->id), ok);
    put(o, "address", h->address_unknown ? cJSON_CreateNull() : vm_json_hex(h->address), ok);
    put(o, "kind", json_str(h->kind), ok);
    put(o, "flags", json_str(h->flags), ok);
    put(o, "class", json_str(h->heap_class), ok);
    put(o, "front_end", json_str(h->front_end), ok);
    put(o, "largest_free", json_known(h->largest_free, h->largest_free_known), ok);
    put_array(o, "parts", h->parts, h->nparts, sizeof *h->parts, heap_part_json, ok);
    put_heap_walk(o, h, ok);
    return o;
}

static cJSON *object_type_json(const vm_snapshot *s, size_t i, bool *ok)
{
    const vm_object_type *t = &s->objects[i];
    cJSON *o = cJSON_CreateObject();
    put(o, "type", json_str(t->type), ok);
    put(o, "module", json_str(t->module), ok);
    put(o, "vtable", vm_json_hex(t->vtable), ok);
    put(o, "abi", json_str(t->abi), ok);
    put(o, "count", vm_json_u64(t->count), ok);
    put(o, "bytes", vm_json_u64(t->bytes), ok);
    put(o, "bytes_estimated", vm_json_u64(t->bytes_estimated), ok);
    cJSON *heaps = cJSON_CreateArray();
    put(o, "heaps", heaps, ok);
    for (size_t k = 0; heaps && k < t->nheaps && *ok; k++) {
        cJSON *id = vm_json_i64(t->heaps[k]);
        if (!id || !cJSON_AddItemToArray(heaps, id)) {
            cJSON_Delete(id);
            *ok = false;
        }
    }
    if (s->census.all) {
        cJSON *out = cJSON_CreateObject();
        put(o, "outside", out, ok);
        for (int w = 0; out && w < VM_OBJ_WHERE_COUNT; w++)
            put(out, vm_object_where_name((vm_object_where)w), vm_json_u64(t->outside[w]), ok);
    }
    return o;
}

static cJSON *warning_json(const vm_snapshot *s, size_t i, bool *ok)
{
    cJSON *o = cJSON_CreateObject();
    put(o, "code", json_str(s->warnings[i].code), ok);
    put(o, "message", json_str(s->warnings[i].message), ok);
    return o;
}

/* ---- output ------------------------------------------------------------------------------ */

/* Per-thread room for cJSON_PrintPreallocated: printing into a reused buffer instead of letting
 * cJSON grow (and copy) a fresh one for every item. */
typedef struct scratch {
    char *buf;
    size_t cap;
} scratch;

#define SCRATCH_MIN ((size_t)256 * 1024)
#define SCRATCH_MAX ((size_t)1 << 30)

/* item printed into sc->buf; NULL when it cannot be (out of memory, or over 1 GiB). */
static const char *print_item(const cJSON *item, bool pretty, scratch *sc)
{
    if (!sc->buf) {
        sc->cap = SCRATCH_MIN;
        if (!(sc->buf = malloc(sc->cap)))
            return NULL;
    }
    /* cJSON asks for 5 bytes more than it may estimate (cJSON.h). */
    while (!cJSON_PrintPreallocated((cJSON *)item, sc->buf, (int)(sc->cap - 5), pretty)) {
        free(sc->buf);
        sc->buf = NULL;
        if (sc->cap >= SCRATCH_MAX)
            return NULL;
        sc->cap *= 2;
        if (!(sc->buf = malloc(sc->cap)))
            return NULL;
    }
    return sc->buf;
}

/* Appends a member of the top object (depth 1) as cJSON would print it inside the document:
 * every line after the first indented by one more tab (JSON strings never hold a raw newline,
 * so each '\n' is layout). */
static void emit_member_value(sink *k, const cJSON *item, bool pretty, scratch *sc)
{
    const char *text = print_item(item, pretty, sc);
    if (!text) {
        if (!k->err)
            k->err = ENOMEM;
        return;
    }
    const char *p = text;
    for (const char *nl; pretty && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        vm_sink_put(k, p, (size_t)(nl - p) + 1);
        vm_sink_put(k, "\t", 1);
    }
    vm_sink_str(k, p);
}

static void emit_key(sink *k, const char *key, bool first, bool pretty)
{
    if (!first)
        vm_sink_str(k, pretty ? ",\n" : ",");
    vm_sink_str(k, pretty ? "\t\"" : "\"");
    vm_sink_str(k, key); /* our own keys: plain ASCII, nothing to escape */
    vm_sink_str(k, pretty ? "\":\t" : "\":");
}

typedef cJSON *(*element_fn)(const vm_snapshot *s, size_t i, bool *ok);
/* An element written straight as text, in cJSON's layout (json_elements.c). */
typedef void (*text_fn)(sink *k, const vm_snapshot *s, size_t i, bool pretty);

/* Elements printed per cJSON call, and the unit of work the workers take. */
#define BATCH 256

/* One big array: its elements cut into batches that the workers take in turn (whoever is free
 * takes the next), each printed into its own buffer; worker 0 passes finished batches on to the
 * document in order as they become ready, so the file is written while the rest is printed.
 * The regions' job can also be started while the capture is still going (vm_json_writer): the
 * batches already complete are printed then (and written at once when the document goes to a
 * file), and the rest when the document is finished. */
typedef struct array_job {
    const vm_snapshot *s;
    element_fn fn;
    text_fn text;         /* used instead of fn when set */
    bool pretty;
    size_t n, nbatches;
    sink *batch;          /* one buffer per batch */
    atomic_bool *ready;   /* batch[b] is complete */
    atomic_size_t next;   /* the next batch nobody has taken */
    atomic_size_t last_len; /* the text of the last batch printed: room for the next one */
    sink *doc;            /* worker 0 only */
    size_t passed;        /* batches passed on to the document so far (worker 0 only; during a
                           * capture, the writer: vm_json_writer_regions_final) */
} array_job;

/* Makes room for n elements in all (never fewer than before); false when out of memory. */
static bool job_grow(array_job *job, size_t n)
{
    if (n <= job->n && job->batch)
        return true;
    size_t old = job->nbatches, nb = (n + BATCH - 1) / BATCH;
    sink *batch = realloc(job->batch, (nb ? nb : 1) * sizeof *batch);
    if (!batch)
        return false;
    job->batch = batch;
    atomic_bool *ready = realloc((void *)job->ready, (nb ? nb : 1) * sizeof *ready);
    if (!ready)
        return false;
    job->ready = ready;
    for (size_t b = old; b < nb; b++) {
        memset(&job->batch[b], 0, sizeof job->batch[b]);
        atomic_init(&job->ready[b], false);
    }
    job->nbatches = nb;
    job->n = n;
    return true;
}

static bool job_init(array_job *job, const vm_snapshot *s, size_t n, element_fn fn, text_fn text, bool pretty)
{
    memset(job, 0, sizeof *job);
    job->s = s;
    job->fn = fn;
    job->text = text;
    job->pretty = pretty;
    atomic_init(&job->next, 0);
    atomic_init(&job->last_len, 0);
    return job_grow(job, n);
}

static void job_free(array_job *job)
{
    for (size_t b = 0; job->batch && b < job->nbatches; b++)
        free(job->batch[b].buf);
    free(job->batch);
    free((void *)job->ready);
    memset(job, 0, sizeof *job);
}

/* Prints elements [from, to) as they appear inside the document, without re-indenting: they are
 * put in a wrapper {"a": [...]}, which cJSON prints with the elements at depth 2, exactly their
 * depth in the document; the wrapper's own text around them is cut off.  Every element but the
 * very first of the array is preceded by its separator. */
static void render_batch(const array_job *job, sink *k, size_t from, size_t to, scratch *sc)
{
    if (job->text) {
        for (size_t i = from; i < to; i++) {
            if (i)
                vm_sink_str(k, job->pretty ? ", " : ",");
            job->text(k, job->s, i, job->pretty);
        }
        return;
    }
    cJSON *wrapper = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    bool ok = wrapper && arr && cJSON_AddItemToObjectCS(wrapper, "a", arr);
    if (!ok)
        cJSON_Delete(arr);
    for (size_t i = from; i < to && ok; i++) {
        cJSON *e = job->fn(job->s, i, &ok);
        ok = ok && e && cJSON_AddItemToArray(arr, e);
    }
    const char *text = ok ? print_item(wrapper, job->pretty, sc) : NULL;
    if (!text) {
        k->err = ENOMEM;
        return;
    }
    /* pretty: "{\n\t\"a\":\t[" ... "]\n}"; compact: "{\"a\":[" ... "]}" */
    const char *open = strchr(text, '[');
    size_t len = strlen(text), tail = job->pretty ? 3 : 2;
    if (!open || len < (size_t)(open - text) + 1 + tail) {
        k->err = EINVAL; /* cannot happen with cJSON's layout; never write garbage if it does */
        return;
    }
    if (from)
        vm_sink_str(k, job->pretty ? ", " : ",");
    vm_sink_put(k, open + 1, len - (size_t)(open + 1 - text) - tail);
}

/* Prints batch b (the elements it holds of the n known) into k. */
static void render_into(const array_job *job, size_t b, sink *k, scratch *sc)
{
    size_t lo = b * BATCH, hi = job->n - lo < BATCH ? job->n : lo + BATCH;
    render_batch(job, k, lo, hi, sc);
    vm_json_arena_rewind(); /* drops the batch's items: the arena frees nothing one by one */
}

/* Prints batch b into its buffer and marks it ready. */
static void render_one(array_job *job, size_t b, scratch *sc)
{
    /* Filled in a local and stored whole: batch sinks sit side by side in memory, and updating
     * them in place from two cores made each wait for the other's cache line. */
    sink k = {0};
    /* Room for as much as the last batch took, and some: a buffer grown by doubling from 4 KiB
     * copied each batch's text several times over. */
    size_t guess = atomic_load_explicit(&job->last_len, memory_order_relaxed);
    if (guess)
        vm_sink_reserve(&k, guess + guess / 8);
    render_into(job, b, &k, sc);
    atomic_store_explicit(&job->last_len, k.len, memory_order_relaxed);
    job->batch[b] = k;
    atomic_store(&job->ready[b], true);
}

/* Worker 0: the finished batches that come next in order go to the document. */
static void pass_on_ready(array_job *job)
{
    while (job->passed < job->nbatches && atomic_load(&job->ready[job->passed])) {
        sink *b = &job->batch[job->passed++];
        if (b->err && !job->doc->err)
            job->doc->err = b->err;
        vm_sink_put(job->doc, b->buf, b->len);
        free(b->buf);
        b->buf = NULL;
    }
}

static void render_worker(void *ctx, size_t worker, size_t from, size_t to)
{
    (void)from;
    (void)to;
    array_job *job = ctx;
    scratch sc = {NULL, 0};
    for (;;) {
        size_t b = atomic_fetch_add(&job->next, 1);
        if (b >= job->nbatches)
            break;
        render_one(job, b, &sc);
        if (worker == 0)
            pass_on_ready(job);
    }
    free(sc.buf);
    if (worker)
        vm_json_arena_thread_end();
}

/* Fewer batches than this per worker are not worth a thread. */
#define MIN_BATCHES_PER_WORKER 8

/* The elements of an array, printed on as many cores as there are (util/parallel.h).  started,
 * when not NULL, is the job for this array begun earlier, with some batches printed (and maybe
 * passed on) already. */
static void emit_items(sink *doc, const vm_snapshot *s, size_t n, element_fn fn, text_fn text, bool pretty,
                       array_job *started)
{
    array_job local, *job = started ? started : &local;
    if (!started && !job_init(&local, s, n, fn, text, pretty)) {
        doc->err = ENOMEM;
    } else {
        job->doc = doc;
        pass_on_ready(job); /* those printed earlier and not passed on yet */
        size_t left = job->nbatches - atomic_load(&job->next);
        size_t workers = vm_parallel_workers(left, MIN_BATCHES_PER_WORKER, 0);
        /* One item per worker: each takes batches from job->next until none are left. */
        vm_parallel_for(workers, workers, render_worker, job);
        pass_on_ready(job); /* what the other workers finished last */
    }
    if (!started)
        job_free(&local);
}

/* "key": [elem, elem, ...] */
static void emit_array(sink *doc, const char *key, const vm_snapshot *s, size_t n, element_fn fn, text_fn text,
                       bool pretty)
{
    emit_key(doc, key, false, pretty);
    vm_sink_str(doc, "[");
    emit_items(doc, s, n, fn, text, pretty, NULL);
    vm_sink_str(doc, "]");
}

/* The members of tree as members of the document. */
static void emit_members(sink *k, const cJSON *tree, bool first, bool pretty)
{
    scratch sc = {NULL, 0};
    for (const cJSON *c = tree->child; c; c = c->next, first = false) {
        emit_key(k, c->string, first, pretty);
        emit_member_value(k, c, pretty, &sc);
    }
    free(sc.buf);
}

/* The document up to its first region: what a writer can put in the file as soon as the capture
 * hands out regions. */
static void emit_head(sink *k, const vm_snapshot *s, bool pretty)
{
    cJSON *head = head_json(s);
    if (!head) {
        k->err = ENOMEM;
        return;
    }
    vm_sink_str(k, pretty ? "{\n" : "{");
    emit_members(k, head, true, pretty);
    cJSON_Delete(head); /* with the hooks it was made with: the arena's, or malloc's */
    emit_key(k, "regions", false, pretty);
    vm_sink_str(k, "[");
}

/* The document after its last region. */
static void emit_tail(sink *k, const vm_snapshot *s, bool pretty)
{
    vm_sink_str(k, "]");
    cJSON *tail = tail_json(s);
    if (!tail) {
        k->err = ENOMEM;
        return;
    }
    emit_members(k, tail, false, pretty);
    cJSON_Delete(tail);
    vm_json_arena_rewind();
    emit_array(k, "heaps", s, s->nheaps, heap_json, NULL, pretty);
    emit_array(k, "threads", s, s->nthreads, NULL, vm_json_thread_text, pretty);
    emit_array(k, "modules", s, s->nmodules, NULL, vm_json_module_text, pretty);
    emit_array(k, "warnings", s, s->nwarnings, warning_json, NULL, pretty);
    if (s->census.present)
        emit_array(k, "objects", s, s->nobjects, object_type_json, NULL, pretty);
    vm_sink_str(k, pretty ? "\n}\n" : "}\n");
}

/* The document after its head: the regions (started: their job begun during the capture, or
 * NULL) and the tail. */
static void emit_body(sink *k, const vm_snapshot *s, bool pretty, array_job *started)
{
    vm_json_arena_begin();
    emit_items(k, s, s->nregions, NULL, vm_json_region_text, pretty, started);
    emit_tail(k, s, pretty);
    vm_json_arena_end();
}

/* ---- public ------------------------------------------------------------------------------ */

char *vm_snapshot_to_json(const vm_snapshot *s, int pretty)
{
    sink k = {0};
    emit_head(&k, s, pretty != 0);
    emit_body(&k, s, pretty != 0, NULL);
    if (k.err) {
        free(k.buf);
        return NULL;
    }
    return k.buf;
}

/* The file is opened as the capture hands out its first regions (when it is a file: a stream, such
 * as stdout or a FIFO, cannot be rewritten if the capture starts over, and waits for the end), the
 * head written, and then each batch of regions as soon as it is printed, in order, through one
 * reused buffer: the text is never all in memory, and little is left to write at the end. */
struct vm_json_writer {
    const char *path;   /* where the document goes; NULL until known */
    array_job regions;  /* valid when started */
    bool started;
    scratch sc;
    vm_atomic_file af;  /* the temporary, while open */
    bool open;          /* af holds the head and the regions' batches [0, regions.passed) */
    bool cannot_open;   /* it failed during the capture: finish tries again and says why */
    sink file;          /* writes to af.fp */
    sink head;          /* the head as written, checked again at the end */
    sink batch;         /* one batch's text on its way to the file, its buffer kept for the next */
};

vm_json_writer *vm_json_writer_new(const char *path)
{
    vm_json_writer *w = calloc(1, sizeof(vm_json_writer));
    if (w)
        w->path = path;
    return w;
}

void vm_json_writer_set_path(vm_json_writer *w, const char *path)
{
    w->path = path;
}

/* Opens the temporary and writes the head in it. */
static bool writer_open(vm_json_writer *w, const vm_snapshot *s, vm_error *err)
{
    if (!vm_atomic_open(&w->af, w->path, err))
        return false;
    vm_atomic_remove_on_signal(&w->af); /* open while the capture runs: Ctrl+C must not leave it */
    w->open = true;
    w->file = (sink){.fp = w->af.fp};
    w->head.len = 0;
    w->head.err = w->batch.err = 0; /* a new start */
    emit_head(&w->head, s, true);
    w->file.err = w->head.err;
    vm_sink_put(&w->file, w->head.buf, w->head.len);
    return true;
}

/* Drops the temporary and what was printed: the capture starts over, or failed. */
static void writer_reset(vm_json_writer *w)
{
    if (w->started)
        job_free(&w->regions);
    w->started = false;
    if (w->open)
        vm_atomic_abort(&w->af);
    w->open = false;
}

/* The file cannot take more: later batches would be lost anyway (finish reports why). */
static bool file_failed(const vm_json_writer *w)
{
    return w->file.err || w->file.write_errno || ferror(w->file.fp);
}

/* Prints region batch b, the next the file needs, and writes it. */
static void write_batch(vm_json_writer *w, size_t b)
{
    w->batch.len = 0;
    render_into(&w->regions, b, &w->batch, &w->sc);
    if (w->batch.err && !w->file.err)
        w->file.err = w->batch.err;
    vm_sink_put(&w->file, w->batch.buf, w->batch.len);
    w->regions.passed = b + 1;
}

/* Whether what is in the file before the regions is what the snapshot says now: were a header
 * field changed after the first regions, the file is written again rather than left stale. */
static bool head_unchanged(const vm_json_writer *w, const vm_snapshot *s)
{
    sink now = {0};
    emit_head(&now, s, true);
    bool same = !now.err && !w->head.err && now.len == w->head.len && memcmp(now.buf, w->head.buf, now.len) == 0;
    free(now.buf);
    return same;
}

void vm_json_writer_regions_final(void *ctx, const vm_snapshot *s, size_t nfinal)
{
    vm_json_writer *w = ctx;
    if (nfinal == 0 || (w->started && (w->regions.s != s || nfinal < w->regions.n))) {
        writer_reset(w); /* the regions were built again */
        if (nfinal == 0)
            return;
    }
    if (!w->started) {
        if (!job_init(&w->regions, s, 0, NULL, vm_json_region_text, true)) {
            job_free(&w->regions);
            return; /* everything is printed at the end instead */
        }
        w->started = true;
    }
    array_job *job = &w->regions;
    if (nfinal > s->nregions)
        nfinal = s->nregions;
    /* The regions that follow are not known yet: whole batches only (the last one, maybe short,
     * is printed when the document is finished). */
    size_t b = atomic_load(&job->next);
    if ((b + 1) * BATCH > nfinal)
        return;
    if (!job_grow(job, nfinal)) {
        writer_reset(w);
        return;
    }
    if (!w->open && !w->cannot_open && w->path && !vm_out_is_stream(w->path)) {
        vm_error err = {0};
        w->cannot_open = !writer_open(w, s, &err);
    }
    vm_json_arena_begin();
    for (; (b + 1) * BATCH <= nfinal && !(w->open && file_failed(w)); b++) {
        if (w->open)
            write_batch(w, b);
        else
            render_one(job, b, &w->sc); /* kept until finish opens the file */
        atomic_store(&job->next, b + 1);
    }
    vm_json_arena_pause();
}

int vm_json_writer_finish(vm_json_writer *w, const vm_snapshot *s, vm_error *err)
{
    free(w->sc.buf);
    w->sc.buf = NULL;
    if (w->started && (w->regions.s != s || w->regions.n > s->nregions || !job_grow(&w->regions, s->nregions) ||
                       (w->open && !head_unchanged(w, s))))
        writer_reset(w);
    vm_timing_mark("capture (json writer)");
    if (!w->open && !writer_open(w, s, err))
        return -1;
    emit_body(&w->file, s, true, w->started ? &w->regions : NULL);
    vm_timing_mark("render and write json");
    w->open = false; /* committed or removed below */
    if (w->file.err) {
        vm_atomic_abort(&w->af);
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", w->path);
        return -1;
    }
    /* A short write left the stream in error state: commit reports it (ENOSPC, EIO...) and
     * removes the temporary. */
    w->af.write_errno = w->file.write_errno;
    bool ok = vm_atomic_commit(&w->af, err);
    vm_timing_mark("commit json");
    return ok ? 0 : -1;
}

void vm_json_writer_free(vm_json_writer *w)
{
    if (!w)
        return;
    writer_reset(w);
    free(w->sc.buf);
    free(w->head.buf);
    free(w->batch.buf);
    vm_json_arena_thread_end();
    free(w);
}

int vm_snapshot_write_json(const vm_snapshot *s, const char *path, vm_error *err)
{
    vm_json_writer *w = vm_json_writer_new(path);
    if (!w) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot write %s: out of memory", path);
        return -1;
    }
    int rc = vm_json_writer_finish(w, s, err);
    vm_json_writer_free(w);
    return rc;
}
