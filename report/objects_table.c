/* The object census as a table: see objects_table.h. */
#include "objects_table.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/atomic_file.h"
#include "../vmmap/util/units.h"
#include "csv.h"
#include "text.h"

#define MAX_HEAPS_SHOWN 4

void vm_objects_totals_of(const vm_snapshot *s, vm_objects_totals *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < s->nobjects; i++) {
        const vm_object_type *o = &s->objects[i];
        t->objects += o->count;
        t->bytes += o->bytes;
        t->bytes_estimated += o->bytes_estimated;
        for (int w = 0; w < VM_OBJ_WHERE_COUNT; w++)
            t->outside[w] += o->outside[w];
        t->types++;
    }
    t->share = s->census.busy_bytes ? 100.0 * (double)t->bytes / (double)s->census.busy_bytes : 0;
}

static uint64_t all_hits(const vm_object_type *o)
{
    uint64_t n = o->count;
    for (int w = 0; w < VM_OBJ_WHERE_COUNT; w++)
        n += o->outside[w];
    return n;
}

size_t *vm_objects_rows(const vm_snapshot *s, const vm_objects_view *v, size_t *n, bool *oom)
{
    *n = 0;
    *oom = false;
    size_t *rows = malloc((s->nobjects ? s->nobjects : 1) * sizeof *rows);
    if (!rows) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < s->nobjects; i++) {
        if (all_hits(&s->objects[i]) < (v ? v->min_count : 0) || all_hits(&s->objects[i]) == 0)
            continue;
        if (v && v->top && *n >= v->top)
            break;
        rows[(*n)++] = i;
    }
    return rows;
}

void vm_objects_heaps_text(const vm_object_type *t, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < t->nheaps && i < MAX_HEAPS_SHOWN && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%d", i ? ", " : "", (int)t->heaps[i]);
    if (t->nheaps > MAX_HEAPS_SHOWN && o < len)
        snprintf(buf + o, len - o, ", +%zu more", t->nheaps - MAX_HEAPS_SHOWN);
}

const char *vm_objects_module_name(const char *path)
{
    if (!path)
        return "";
    const char *slash = strrchr(path, '/'), *back = strrchr(path, '\\');
    const char *last = slash > back ? slash : back;
    return last ? last + 1 : path;
}

static void bytes_text(const vm_object_type *o, char *buf, size_t len)
{
    char n[VM_UNITS_BUFSZ];
    vm_format_count(o->bytes, n, sizeof n);
    snprintf(buf, len, "%s%s", o->bytes_estimated ? "~" : "", n);
}

static void heading(FILE *out, const vm_snapshot *s, const vm_objects_totals *t, size_t width)
{
    char objs[VM_UNITS_BUFSZ], bytes[VM_UNITS_BUFSZ], busy[VM_UNITS_BUFSZ], blocks[VM_UNITS_BUFSZ], line[512];
    vm_format_count(t->objects, objs, sizeof objs);
    vm_format_count(t->bytes, bytes, sizeof bytes);
    vm_format_count(s->census.busy_bytes, busy, sizeof busy);
    vm_format_count(s->census.busy_blocks, blocks, sizeof blocks);
    snprintf(line, sizeof line,
             "C++ objects of %s (PID %" PRId64 "): %s object%s of %" PRIu64 " type%s in heap blocks, %s bytes = "
             "%.1f%% of %s busy heap bytes (%s busy blocks)",
             s->process.name ? s->process.name : "?", s->process.pid, objs, vm_plural(t->objects), t->types,
             vm_plural(t->types), bytes, t->share, busy, blocks);
    vm_text_wrap(out, line, width, 4);
    if (s->census.all) {
        snprintf(line, sizeof line,
                 "Outside heap blocks (--all): %" PRIu64 " on stacks, %" PRIu64 " in private data, %" PRIu64
                 " in image data",
                 t->outside[VM_OBJ_STACK], t->outside[VM_OBJ_PRIVATE_DATA], t->outside[VM_OBJ_IMAGE_DATA]);
        vm_text_wrap(out, line, width, 4);
    }
}

enum { OC_COUNT, OC_BYTES, OC_TYPE, OC_MODULE, OC_HEAPS, OC_STACK, OC_PRIVATE, OC_IMAGE, OC_NCOLS };
static const char *const object_titles[OC_NCOLS] = {"COUNT", "BYTES", "TYPE", "MODULE", "HEAPS",
                                                    "STACK", "PRIVATE", "IMAGE"};
/* On a narrow terminal: COUNT, BYTES and TYPE stay, TYPE cut to fit. */
static const char *const objects_drop[] = {"IMAGE", "PRIVATE", "STACK", "HEAPS", "MODULE", NULL};

static void object_row(vm_trow *r, const vm_snapshot *s, const vm_object_type *o)
{
    vm_trow_reset(r);
    vm_trow_count(r, o->count);
    char *b = vm_trow_scratch(r);
    bytes_text(o, b, VM_TEXT_CELL);
    vm_trow_text(r, b);
    vm_trow_text(r, o->type);
    vm_trow_text(r, vm_objects_module_name(o->module));
    char *heaps = vm_trow_scratch(r);
    vm_objects_heaps_text(o, heaps, VM_TEXT_CELL);
    vm_trow_text(r, heaps);
    if (s->census.all)
        for (int w = 0; w < VM_OBJ_WHERE_COUNT; w++)
            vm_trow_count(r, o->outside[w]);
}

static vm_ttable *objects_table(const vm_snapshot *s, const size_t *rows, size_t n)
{
    vm_trow r;
    vm_trow_reset(&r);
    size_t ncols = s->census.all ? OC_NCOLS : OC_STACK;
    for (size_t c = 0; c < ncols; c++)
        vm_trow_text(&r, object_titles[c]);
    uint32_t right = 1u << OC_COUNT | 1u << OC_BYTES | 1u << OC_STACK | 1u << OC_PRIVATE | 1u << OC_IMAGE;
    vm_ttable *t = vm_ttable_new(&r, right, -1);
    for (size_t i = 0; t && i < n; i++) {
        object_row(&r, s, &s->objects[rows[i]]);
        if (!vm_ttable_add(t, &r, -1)) {
            vm_ttable_free(t);
            t = NULL;
        }
    }
    return t;
}

void vm_objects_print(FILE *out, const vm_snapshot *s, const vm_objects_view *v)
{
    vm_objects_totals t;
    vm_objects_totals_of(s, &t);
    size_t width = v ? v->width : 0;
    heading(out, s, &t, width);
    bool oom;
    size_t n;
    size_t *rows = vm_objects_rows(s, v, &n, &oom);
    vm_ttable *table = n ? objects_table(s, rows, n) : NULL;
    if (n == 0 || !table) {
        fprintf(out, "%s\n",
                oom || n ? "(out of memory)" : s->nobjects ? "(no type matches)" : "No C++ objects found.");
        free(rows);
        return;
    }
    bool any_estimated = false;
    for (size_t i = 0; i < n; i++)
        any_estimated |= s->objects[rows[i]].bytes_estimated != 0;
    fputc('\n', out);
    vm_ttable_fit fit = {width, objects_drop, "TYPE"};
    vm_ttable_print_noted(table, out, false, &fit);
    vm_ttable_free(table);
    if (n < t.types)
        fprintf(out, "(%zu of %" PRIu64 " types shown)\n", n, t.types);
    if (any_estimated)
        vm_text_wrap(out,
                     "~ estimated: objects sharing a heap block (an array, a vector's buffer) are charged the "
                     "distance to the next one",
                     width, 2);
    free(rows);
}

static const vm_object_type *type_of(const vm_snapshot *s, uint64_t vtable)
{
    for (size_t i = 0; i < s->nobjects; i++)
        if (s->objects[i].vtable == vtable)
            return &s->objects[i];
    return NULL;
}

static void where_text(const vm_census_instance *in, char *buf, size_t len)
{
    if (in->where < 0)
        snprintf(buf, len, "heap %d", (int)in->heap_id);
    else
        snprintf(buf, len, "%s", vm_object_where_name((vm_object_where)in->where));
}

static int hex_len(uint64_t v)
{
    char buf[24];
    return snprintf(buf, sizeof buf, "0x%" PRIx64, v);
}

void vm_objects_print_instances(FILE *out, const vm_snapshot *s, const vm_census_instance *in, size_t n,
                                size_t width)
{
    /* Streamed (a million instances are not held twice): the column widths come from one pass
     * over the instances; fitting is cutting TYPE, and leaving BLOCK out when TYPE would keep
     * fewer than 12 columns. */
    int aw = 7, bw = 5, ww = 5; /* "ADDRESS", "BLOCK", "WHERE" */
    for (size_t i = 0; i < n; i++) {
        char where[32];
        where_text(&in[i], where, sizeof where);
        int a = hex_len(in[i].address), b = in[i].block ? hex_len(in[i].block) : 1, w = (int)strlen(where);
        aw = a > aw ? a : aw;
        bw = b > bw ? b : bw;
        ww = w > ww ? w : ww;
    }
    size_t lead_all = (size_t)(aw + bw + ww) + 6, lead = lead_all - (size_t)bw - 2;
    bool block_col = width == 0 || lead_all + 12 <= width;
    if (!block_col)
        lead_all = lead;
    size_t type_w = width > lead_all + 4 ? width - lead_all : 4;
    if (block_col)
        fprintf(out, "%-*s  %-*s  %-*s  %s\n", aw, "ADDRESS", bw, "BLOCK", ww, "WHERE", "TYPE");
    else
        fprintf(out, "%-*s  %-*s  %s\n", aw, "ADDRESS", ww, "WHERE", "TYPE");
    for (size_t i = 0; i < n; i++) {
        const vm_object_type *t = type_of(s, in[i].vtable);
        char where[32], block_text[24] = "-", addr[24];
        where_text(&in[i], where, sizeof where);
        if (in[i].block)
            snprintf(block_text, sizeof block_text, "0x%" PRIx64, in[i].block);
        snprintf(addr, sizeof addr, "0x%" PRIx64, in[i].address);
        if (block_col)
            fprintf(out, "%-*s  %-*s  %-*s  ", aw, addr, bw, block_text, ww, where);
        else
            fprintf(out, "%-*s  %-*s  ", aw, addr, ww, where);
        vm_text_clipped(out, t && t->type ? t->type : "?", width ? type_w : 0);
        fputc('\n', out);
    }
    if (!block_col)
        vm_text_fit_note(out, "hidden BLOCK", width);
}

void vm_objects_csv_field(FILE *out, bool first, const char *text)
{
    vm_csv_field(out, first, "", text ? text : "");
}

static void csv_u64(FILE *f, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    vm_objects_csv_field(f, false, buf);
}

int vm_objects_write_csv(const vm_snapshot *s, const vm_objects_view *v, const char *path, vm_error *err)
{
    bool oom;
    size_t n;
    size_t *rows = vm_objects_rows(s, v, &n, &oom);
    if (oom) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return err->code;
    }
    vm_atomic_file af;
    if (!vm_atomic_open(&af, path, err)) {
        free(rows);
        return err->code;
    }
    FILE *f = af.fp;
    static const char *const cols[] = {"Count", "Bytes", "Bytes estimated", "Type", "Module", "Vtable", "ABI",
                                       "Heaps", "Stack", "Private Data", "Image data"};
    size_t ncols = s->census.all ? sizeof cols / sizeof cols[0] : sizeof cols / sizeof cols[0] - VM_OBJ_WHERE_COUNT;
    for (size_t c = 0; c < ncols; c++)
        vm_objects_csv_field(f, c == 0, cols[c]);
    vm_csv_end_line(f);
    for (size_t i = 0; i < n; i++) {
        const vm_object_type *o = &s->objects[rows[i]];
        char num[24], vt[24], heaps[256];
        snprintf(num, sizeof num, "%" PRIu64, o->count);
        vm_objects_csv_field(f, true, num);
        csv_u64(f, o->bytes);
        csv_u64(f, o->bytes_estimated);
        vm_objects_csv_field(f, false, o->type);
        vm_objects_csv_field(f, false, o->module);
        snprintf(vt, sizeof vt, "0x%" PRIx64, o->vtable);
        vm_objects_csv_field(f, false, vt);
        vm_objects_csv_field(f, false, o->abi);
        size_t len = 0;
        heaps[0] = 0;
        for (size_t k = 0; k < o->nheaps && len + 16 < sizeof heaps; k++)
            len += (size_t)snprintf(heaps + len, sizeof heaps - len, "%s%d", k ? " " : "", (int)o->heaps[k]);
        vm_objects_csv_field(f, false, heaps);
        if (s->census.all)
            for (int w = 0; w < VM_OBJ_WHERE_COUNT; w++)
                csv_u64(f, o->outside[w]);
        vm_csv_end_line(f);
    }
    free(rows);
    return vm_atomic_commit(&af, err) ? 0 : err->code;
}
