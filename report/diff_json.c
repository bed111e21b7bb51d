/* The diff as JSON: the "vmmap-diff" format, version 1 (docs/diff-format.md).  Sizes are
 * integers in bytes, written exactly (cJSON raw items, never doubles); addresses are hex
 * strings; an unknown value is null. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "../vmmap/version.h"
#include "diff_objects.h"
#include "diff_report.h"
#include "json_values.h"

typedef struct jb {
    bool ok; /* false once anything failed to allocate */
} jb;

static cJSON *jstr(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static void put(jb *b, cJSON *obj, const char *key, cJSON *item)
{
    if (!item || !obj || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        b->ok = false;
    }
}

static void add(jb *b, cJSON *arr, cJSON *item)
{
    if (!item || !arr || !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        b->ok = false;
    }
}

/* ---- head --------------------------------------------------------------------------------------- */

static cJSON *process_json(jb *b, const vm_diff_process *p)
{
    cJSON *o = cJSON_CreateObject();
    put(b, o, "pid", vm_json_i64(p->pid));
    put(b, o, "name", jstr(p->name));
    put(b, o, "exe", jstr(p->exe));
    put(b, o, "taken_at", jstr(p->taken_at));
    put(b, o, "source", jstr(p->source));
    put(b, o, "regions", vm_json_u64(p->nregions));
    return o;
}

static cJSON *filter_json(jb *b, const vm_diff_filter *f)
{
    cJSON *o = cJSON_CreateObject(), *types = cJSON_CreateArray();
    for (int k = 0; f && f->kinds && k < VM_KIND_COUNT; k++)
        if (f->kinds & (1u << k))
            add(b, types, cJSON_CreateString(vm_kind_name((vm_kind)k)));
    put(b, o, "top", vm_json_u64(f ? f->top : 0));
    put(b, o, "types", types);
    put(b, o, "min_change", vm_json_u64(f ? f->min_change : 0));
    return o;
}

/* ---- per-type deltas ------------------------------------------------------------------------------ */

/* Unknown on either side: old, new and delta are all null (a number there would be what one
 * side happened to hold, not a measurement). */
static cJSON *value_json(jb *b, const vm_diff_value *v)
{
    cJSON *o = cJSON_CreateObject();
    put(b, o, "old", v->known ? vm_json_u64(v->old_value) : cJSON_CreateNull());
    put(b, o, "new", v->known ? vm_json_u64(v->new_value) : cJSON_CreateNull());
    put(b, o, "delta", v->known ? vm_json_i64(v->delta) : cJSON_CreateNull());
    return o;
}

static cJSON *row_json(jb *b, const char *type, const vm_diff_row *row)
{
    cJSON *o = cJSON_CreateObject();
    put(b, o, "type", cJSON_CreateString(type));
    for (int c = 0; c < VM_DCOL_COUNT; c++)
        put(b, o, vm_diff_col_key((vm_diff_col)c), value_json(b, &row->col[c]));
    return o;
}

static cJSON *by_type_json(jb *b, const vm_diff *d, const vm_diff_filter *f)
{
    cJSON *a = cJSON_CreateArray();
    for (int k = 0; k < VM_KIND_COUNT; k++)
        if (vm_diff_kind_shown(f, (vm_kind)k))
            add(b, a, row_json(b, vm_kind_name((vm_kind)k), &d->kind[k]));
    add(b, a, row_json(b, "Total", &d->total));
    return a;
}

/* ---- changes ------------------------------------------------------------------------------------- */

static const struct {
    uint32_t bit;
    const char *word;
} flag_words[] = {
    {VM_DIFF_F_SIZE, "size"}, {VM_DIFF_F_COMMITTED, "committed"}, {VM_DIFF_F_PROTECTION, "protection"},
    {VM_DIFF_F_TYPE, "type"}, {VM_DIFF_F_MOVED, "moved"}, {VM_DIFF_F_START, "start"},
};

static cJSON *side_json(jb *b, const vm_diff_side *s)
{
    if (!s->present)
        return cJSON_CreateNull();
    char prot[64];
    vm_prot_format(s->protection, prot, sizeof prot);
    cJSON *o = cJSON_CreateObject();
    put(b, o, "address", vm_json_hex(s->address));
    put(b, o, "type", cJSON_CreateString(vm_kind_name(s->kind)));
    put(b, o, "size", vm_json_u64(s->size));
    put(b, o, "committed", s->committed_known ? vm_json_u64(s->committed) : cJSON_CreateNull());
    put(b, o, "private", s->private_known ? vm_json_u64(s->private_bytes) : cJSON_CreateNull());
    put(b, o, "blocks", vm_json_u64(s->blocks));
    put(b, o, "protection", cJSON_CreateString(prot));
    put(b, o, "index", vm_json_u64(s->index));
    return o;
}

static cJSON *region_json(jb *b, const vm_diff_region *r)
{
    cJSON *o = cJSON_CreateObject(), *flags = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof flag_words / sizeof flag_words[0]; i++)
        if (r->flags & flag_words[i].bit)
            add(b, flags, cJSON_CreateString(flag_words[i].word));
    put(b, o, "change", cJSON_CreateString(vm_diff_change_name(r->what)));
    put(b, o, "type", cJSON_CreateString(vm_kind_name(vm_diff_region_kind(r))));
    put(b, o, "address", vm_json_hex(r->after.present ? r->after.address : r->before.address));
    put(b, o, "flags", flags);
    put(b, o, "size_delta", vm_json_i64(r->size_delta));
    put(b, o, "committed_delta", r->committed_known ? vm_json_i64(r->committed_delta) : cJSON_CreateNull());
    put(b, o, "path", jstr(r->path));
    put(b, o, "details", jstr(r->details));
    put(b, o, "old", side_json(b, &r->before));
    put(b, o, "new", side_json(b, &r->after));
    return o;
}

static cJSON *parts_json(jb *b, const vm_diff_part *p, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        put(b, o, "address", vm_json_hex(p[i].address));
        put(b, o, "size", vm_json_u64(p[i].size));
        put(b, o, "committed", vm_json_u64(p[i].committed));
        put(b, o, "what", jstr(p[i].what));
        add(b, a, o);
    }
    return a;
}

static cJSON *heap_side_json(jb *b, const vm_diff_heap_side *s)
{
    if (!s->present)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    put(b, o, "id", vm_json_i64(s->id));
    put(b, o, "address", s->address_unknown ? cJSON_CreateNull() : vm_json_hex(s->address));
    put(b, o, "size", vm_json_u64(s->size));
    put(b, o, "committed", vm_json_u64(s->committed));
    put(b, o, "parts", vm_json_u64(s->nparts));
    /* the block walk's figures, null when the snapshot has none */
    put(b, o, "busy_blocks", s->walked ? vm_json_u64(s->busy_blocks) : cJSON_CreateNull());
    put(b, o, "busy_bytes", s->walked ? vm_json_u64(s->busy_bytes) : cJSON_CreateNull());
    put(b, o, "free_blocks", s->walked ? vm_json_u64(s->free_blocks) : cJSON_CreateNull());
    put(b, o, "free_bytes", s->walked ? vm_json_u64(s->free_bytes) : cJSON_CreateNull());
    put(b, o, "cached_bytes", s->walked ? vm_json_u64(s->cached_bytes) : cJSON_CreateNull());
    return o;
}

static cJSON *heap_json(jb *b, const vm_diff_heap *h)
{
    cJSON *o = cJSON_CreateObject();
    put(b, o, "change", cJSON_CreateString(vm_diff_change_name(h->what)));
    put(b, o, "kind", jstr(h->kind));
    put(b, o, "committed_delta", vm_json_i64(h->committed_delta));
    put(b, o, "size_delta", vm_json_i64(h->size_delta));
    put(b, o, "busy_delta", h->walked_both ? vm_json_i64(h->busy_delta) : cJSON_CreateNull());
    put(b, o, "free_delta", h->walked_both ? vm_json_i64(h->free_delta) : cJSON_CreateNull());
    put(b, o, "old", heap_side_json(b, &h->before));
    put(b, o, "new", heap_side_json(b, &h->after));
    put(b, o, "parts_added", parts_json(b, h->parts_added, h->nparts_added));
    put(b, o, "parts_freed", parts_json(b, h->parts_freed, h->nparts_freed));
    return o;
}

static cJSON *thread_json(jb *b, const vm_diff_thread *t)
{
    cJSON *o = cJSON_CreateObject();
    put(b, o, "change", cJSON_CreateString(vm_diff_thread_change_name(t->what)));
    put(b, o, "tid", vm_json_u64(t->tid));
    put(b, o, "name", jstr(t->name));
    put(b, o, "stack_base", vm_json_hex(t->stack_base));
    put(b, o, "stack_reserved", vm_json_u64(t->stack_reserved));
    put(b, o, "stack_committed", vm_json_u64(t->stack_committed));
    return o;
}

static cJSON *module_json(jb *b, const vm_diff_module *m)
{
    cJSON *o = cJSON_CreateObject();
    put(b, o, "change", cJSON_CreateString(vm_diff_module_change_name(m->what)));
    put(b, o, "path", jstr(m->path));
    put(b, o, "base", vm_json_hex(m->base));
    put(b, o, "size", vm_json_u64(m->size));
    return o;
}

/* One list: the shown entries (filter and --top applied) and the total before filtering. */
typedef size_t (*select_fn)(const vm_diff *d, const vm_diff_filter *f, size_t *idx);

static void put_list(jb *b, cJSON *root, const char *key, const vm_diff *d, const vm_diff_filter *f,
                     select_fn select, size_t total, cJSON *(*one)(jb *, const vm_diff *, size_t))
{
    size_t *idx = total ? malloc(total * sizeof *idx) : NULL;
    if (total && !idx) {
        b->ok = false;
        return;
    }
    size_t shown = select(d, f, idx);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < shown && b->ok; i++)
        add(b, a, one(b, d, idx[i]));
    free(idx);
    put(b, root, key, a);
}

static cJSON *one_region(jb *b, const vm_diff *d, size_t i) { return region_json(b, &d->regions[i]); }
static cJSON *one_heap(jb *b, const vm_diff *d, size_t i) { return heap_json(b, &d->heaps[i]); }
static cJSON *one_thread(jb *b, const vm_diff *d, size_t i) { return thread_json(b, &d->threads[i]); }
static cJSON *one_module(jb *b, const vm_diff *d, size_t i) { return module_json(b, &d->modules[i]); }

static cJSON *counts_json(jb *b, const vm_diff *d)
{
    cJSON *o = cJSON_CreateObject();
    put(b, o, "changes", vm_json_u64(d->nregions));
    put(b, o, "heaps", vm_json_u64(d->nheaps));
    put(b, o, "threads", vm_json_u64(d->nthreads));
    put(b, o, "modules", vm_json_u64(d->nmodules));
    put(b, o, "objects", vm_json_u64(d->nobjects));
    return o;
}

char *vm_diff_to_json(const vm_diff *d, const vm_diff_filter *f, int pretty)
{
    jb b = {true};
    cJSON *root = cJSON_CreateObject();
    put(&b, root, "format", cJSON_CreateString(VM_DIFF_FORMAT));
    put(&b, root, "version", vm_json_u64(VM_DIFF_VERSION));
    put(&b, root, "tool_version", cJSON_CreateString(VMMAP_VERSION));
    put(&b, root, "old", process_json(&b, &d->before));
    put(&b, root, "new", process_json(&b, &d->after));
    put(&b, root, "different_process", cJSON_CreateBool(d->different_process));
    put(&b, root, "warning", jstr(d->warning));
    put(&b, root, "filter", filter_json(&b, f));
    put(&b, root, "totals", counts_json(&b, d));
    put(&b, root, "by_type", by_type_json(&b, d, f));
    put_list(&b, root, "changes", d, f, vm_diff_select_regions, d->nregions, one_region);
    put_list(&b, root, "heaps", d, f, vm_diff_select_heaps, d->nheaps, one_heap);
    put_list(&b, root, "threads", d, f, vm_diff_select_threads, d->nthreads, one_thread);
    put_list(&b, root, "modules", d, f, vm_diff_select_modules, d->nmodules, one_module);
    put(&b, root, "objects", vm_diff_objects_json(d, f, &b.ok));
    put(&b, root, "objects_note", jstr(d->objects_note));
    char *text = b.ok ? (pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root)) : NULL;
    cJSON_Delete(root);
    return text;
}
