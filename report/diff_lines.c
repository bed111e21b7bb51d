/* Every change of a diff as one row shape, and the signed size words the writers share. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../vmmap/util/units.h"
#include "diff_lines.h"

static const char *const section_titles[VM_DL_SECTIONS] = {"Allocations", "Heaps", "Threads", "Modules"};

const char *vm_dl_section_title(vm_dl_section s)
{
    return (unsigned)s < VM_DL_SECTIONS ? section_titles[s] : "?";
}

/* ---- signed words ---------------------------------------------------------------------------- */

void vm_diff_format_kb(int64_t delta, bool known, char *buf, size_t len)
{
    if (!known) {
        snprintf(buf, len, "?");
        return;
    }
    char kb[VM_UNITS_BUFSZ];
    vm_format_kb(vm_diff_magnitude(delta), kb, sizeof kb);
    snprintf(buf, len, "%s%s", delta > 0 ? "+" : delta < 0 ? "-" : "", kb);
}

void vm_diff_format_count(int64_t delta, bool known, char *buf, size_t len)
{
    if (!known) {
        snprintf(buf, len, "?");
        return;
    }
    char n[VM_UNITS_BUFSZ];
    vm_format_count(vm_diff_magnitude(delta), n, sizeof n);
    snprintf(buf, len, "%s%s", delta > 0 ? "+" : delta < 0 ? "-" : "", n);
}

/* ---- formats by name ------------------------------------------------------------------------- */

static const char *const format_names[VM_DIFF_OUT_UNKNOWN] = {"text", "json", "xlsx", "csv"};

vm_diff_format vm_diff_format_named(const char *name)
{
    for (int i = 0; i < VM_DIFF_OUT_UNKNOWN; i++)
        if (strcasecmp(name, format_names[i]) == 0)
            return (vm_diff_format)i;
    return VM_DIFF_OUT_UNKNOWN;
}

vm_diff_format vm_diff_format_of_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/') || strchr(dot, '\\'))
        return VM_DIFF_OUT_UNKNOWN;
    if (strcasecmp(dot + 1, "txt") == 0)
        return VM_DIFF_OUT_TEXT;
    vm_diff_format f = vm_diff_format_named(dot + 1);
    return f == VM_DIFF_OUT_TEXT ? VM_DIFF_OUT_UNKNOWN : f;
}

/* ---- one line per change --------------------------------------------------------------------- */

static void set_sides(vm_diff_line *l, bool has_old, bool has_new)
{
    l->has_old = has_old;
    l->has_new = has_new;
}

static void region_line(vm_diff_line *l, const vm_diff *d, size_t i)
{
    const vm_diff_region *r = &d->regions[i];
    l->change = vm_diff_change_name(r->what);
    l->kind = vm_diff_region_kind(r);
    l->address = r->after.present ? r->after.address : r->before.address;
    if (r->what == VM_DIFF_TYPE)
        snprintf(l->type, sizeof l->type, "%s -> %s", vm_kind_name(r->before.kind), vm_kind_name(r->after.kind));
    else
        snprintf(l->type, sizeof l->type, "%s", vm_kind_name(l->kind));
    set_sides(l, r->before.present, r->after.present);
    l->old_size = r->before.size;
    l->new_size = r->after.size;
    l->committed_known = r->committed_known;
    l->old_committed = r->before.committed;
    l->new_committed = r->after.committed;
    l->delta = r->committed_known ? r->committed_delta : r->size_delta;
    l->path = r->path;
    l->details = r->details && *r->details ? r->details : NULL;
}

/* "added segment 3 at 0x.. (1,024 K); freed large block at 0x.. (512 K)", cut to fit. */
static void describe_parts(char *buf, size_t len, const char *verb, const vm_diff_part *p, size_t n)
{
    size_t at = strlen(buf);
    for (size_t i = 0; i < n && at < len; i++) {
        char kb[VM_UNITS_BUFSZ];
        vm_format_kb(p[i].size, kb, sizeof kb);
        at += (size_t)snprintf(buf + at, len - at, "%s%s %s at 0x%" PRIx64 " (%s)", at ? "; " : "",
                               i ? "" : verb, p[i].what ? p[i].what : "part", p[i].address, kb);
    }
}

/* "busy +1,024 K (to 5,120 K), free -512 K (to 64 K)" when both snapshots walked the heap. */
static void describe_walk(char *buf, size_t len, const vm_diff_heap *h)
{
    if (!h->walked_both)
        return;
    char d1[VM_UNITS_BUFSZ], t1[VM_UNITS_BUFSZ], d2[VM_UNITS_BUFSZ], t2[VM_UNITS_BUFSZ];
    vm_format_kb(vm_diff_magnitude(h->busy_delta), d1, sizeof d1);
    vm_format_kb(h->after.busy_bytes, t1, sizeof t1);
    vm_format_kb(vm_diff_magnitude(h->free_delta), d2, sizeof d2);
    vm_format_kb(h->after.free_bytes, t2, sizeof t2);
    snprintf(buf, len, "busy %s%s (to %s), free %s%s (to %s)", h->busy_delta < 0 ? "-" : "+", d1, t1,
             h->free_delta < 0 ? "-" : "+", d2, t2);
}

static void heap_line(vm_diff_line *l, const vm_diff *d, size_t i)
{
    const vm_diff_heap *h = &d->heaps[i];
    l->change = vm_diff_change_name(h->what);
    l->kind = VM_KIND_HEAP;
    l->address = h->after.present ? h->after.address : h->before.address;
    snprintf(l->type, sizeof l->type, "Heap (%s)", h->kind);
    set_sides(l, h->before.present, h->after.present);
    l->old_size = h->before.size;
    l->new_size = h->after.size;
    l->committed_known = true;
    l->old_committed = h->before.committed;
    l->new_committed = h->after.committed;
    l->delta = h->committed_delta;
    l->text[0] = '\0';
    describe_walk(l->text, sizeof l->text, h);
    describe_parts(l->text, sizeof l->text, "added", h->parts_added, h->nparts_added);
    describe_parts(l->text, sizeof l->text, "freed", h->parts_freed, h->nparts_freed);
    l->details = l->text[0] ? l->text : NULL;
}

static void thread_line(vm_diff_line *l, const vm_diff *d, size_t i)
{
    const vm_diff_thread *t = &d->threads[i];
    bool started = t->what == VM_DIFF_ADDED;
    l->change = vm_diff_thread_change_name(t->what);
    l->kind = VM_KIND_STACK;
    l->address = t->stack_base;
    snprintf(l->type, sizeof l->type, "Stack");
    set_sides(l, !started, started);
    l->old_size = started ? 0 : t->stack_reserved;
    l->new_size = started ? t->stack_reserved : 0;
    l->committed_known = t->stack_committed != 0 || t->stack_reserved == 0;
    l->old_committed = started ? 0 : t->stack_committed;
    l->new_committed = started ? t->stack_committed : 0;
    uint64_t mag = l->committed_known ? t->stack_committed : t->stack_reserved;
    l->delta = vm_diff_delta(started ? 0 : mag, started ? mag : 0);
    snprintf(l->text, sizeof l->text, "thread %" PRIu64 "%s%s%s", t->tid, t->name ? " (" : "",
             t->name ? t->name : "", t->name ? ")" : "");
    l->details = l->text;
}

static void module_line(vm_diff_line *l, const vm_diff *d, size_t i)
{
    const vm_diff_module *m = &d->modules[i];
    bool loaded = m->what == VM_DIFF_ADDED;
    l->change = vm_diff_module_change_name(m->what);
    l->kind = VM_KIND_IMAGE;
    l->address = m->base;
    snprintf(l->type, sizeof l->type, "Image");
    set_sides(l, !loaded, loaded);
    l->old_size = loaded ? 0 : m->size;
    l->new_size = loaded ? m->size : 0;
    l->committed_known = false;
    l->delta = vm_diff_delta(l->old_size, l->new_size);
    l->path = m->path;
}

typedef size_t (*select_fn)(const vm_diff *d, const vm_diff_filter *f, size_t *idx);
typedef void (*line_fn)(vm_diff_line *l, const vm_diff *d, size_t i);

static const struct {
    select_fn select;
    line_fn line;
} sections[VM_DL_SECTIONS] = {
    [VM_DL_REGION] = {vm_diff_select_regions, region_line},
    [VM_DL_HEAP] = {vm_diff_select_heaps, heap_line},
    [VM_DL_THREAD] = {vm_diff_select_threads, thread_line},
    [VM_DL_MODULE] = {vm_diff_select_modules, module_line},
};

static size_t section_total(const vm_diff *d, vm_dl_section s)
{
    const size_t totals[VM_DL_SECTIONS] = {d->nregions, d->nheaps, d->nthreads, d->nmodules};
    return totals[s];
}

static bool walk_section(const vm_diff *d, const vm_diff_filter *f, vm_dl_section s,
                         vm_dl_begin_fn begin, vm_dl_fn fn, void *ctx)
{
    size_t total = section_total(d, s);
    size_t *idx = total ? malloc(total * sizeof *idx) : NULL;
    if (total && !idx)
        return false;
    size_t shown = sections[s].select(d, f, idx);
    bool ok = !begin || begin(ctx, s, shown, total);
    vm_diff_line *l = malloc(sizeof *l);
    ok = ok && l;
    for (size_t i = 0; ok && i < shown; i++) {
        memset(l, 0, sizeof *l);
        l->section = s;
        sections[s].line(l, d, idx[i]);
        ok = fn(ctx, l);
    }
    free(l);
    free(idx);
    return ok;
}

bool vm_diff_lines(const vm_diff *d, const vm_diff_filter *f, vm_dl_begin_fn begin, vm_dl_fn fn,
                   void *ctx)
{
    for (int s = 0; s < VM_DL_SECTIONS; s++)
        if (!walk_section(d, f, (vm_dl_section)s, begin, fn, ctx))
            return false;
    return true;
}

size_t vm_diff_lines_count(const vm_diff *d, const vm_diff_filter *f)
{
    size_t n = 0;
    for (int s = 0; s < VM_DL_SECTIONS; s++)
        n += sections[s].select(d, f, NULL);
    return n;
}
