/* The object census as a table: see objects_table.h. */
#include "objects_table.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/util/atomic_file.h"
#include "../vmmap/util/units.h"
#include "csv.h"

#define MAX_HEAPS_SHOWN 4
#define TYPE_WIDTH_MAX 70

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

void vm_objects_print(FILE *out, const vm_snapshot *s, const vm_objects_view *v)
{
    vm_objects_totals t;
    vm_objects_totals_of(s, &t);
    char objs[VM_UNITS_BUFSZ], bytes[VM_UNITS_BUFSZ], busy[VM_UNITS_BUFSZ], blocks[VM_UNITS_BUFSZ];
    vm_format_count(t.objects, objs, sizeof objs);
    vm_format_count(t.bytes, bytes, sizeof bytes);
    vm_format_count(s->census.busy_bytes, busy, sizeof busy);
    vm_format_count(s->census.busy_blocks, blocks, sizeof blocks);
    fprintf(out, "C++ objects of %s (PID %" PRId64 "): %s object%s of %" PRIu64 " type%s in heap blocks, %s bytes = "
                 "%.1f%% of %s busy heap bytes (%s busy blocks)\n",
            s->process.name ? s->process.name : "?", s->process.pid, objs, t.objects == 1 ? "" : "s", t.types,
            t.types == 1 ? "" : "s", bytes, t.share, busy, blocks);
    if (s->census.all) {
        fprintf(out, "Outside heap blocks (--all): %" PRIu64 " on stacks, %" PRIu64 " in private data, %" PRIu64
                     " in image data\n",
                t.outside[VM_OBJ_STACK], t.outside[VM_OBJ_PRIVATE_DATA], t.outside[VM_OBJ_IMAGE_DATA]);
    }
    bool oom;
    size_t n;
    size_t *rows = vm_objects_rows(s, v, &n, &oom);
    if (n == 0) {
        fprintf(out, "%s\n", oom ? "(out of memory)" : s->nobjects ? "(no type matches)" : "No C++ objects found.");
        free(rows);
        return;
    }
    int type_w = 4, mod_w = 6;
    bool any_estimated = false;
    for (size_t i = 0; i < n; i++) {
        const vm_object_type *o = &s->objects[rows[i]];
        int tw = (int)strlen(o->type ? o->type : "");
        int mw = (int)strlen(vm_objects_module_name(o->module));
        type_w = tw > type_w ? (tw < TYPE_WIDTH_MAX ? tw : TYPE_WIDTH_MAX) : type_w;
        mod_w = mw > mod_w ? mw : mod_w;
        any_estimated |= o->bytes_estimated != 0;
    }
    fprintf(out, "\n%12s %14s  %-*s  %-*s  %s", "COUNT", "BYTES", type_w, "TYPE", mod_w, "MODULE", "HEAPS");
    if (s->census.all)
        fprintf(out, "  %8s %8s %8s", "STACK", "PRIVATE", "IMAGE");
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        const vm_object_type *o = &s->objects[rows[i]];
        char count[VM_UNITS_BUFSZ], b[VM_UNITS_BUFSZ + 2], heaps[64];
        vm_format_count(o->count, count, sizeof count);
        bytes_text(o, b, sizeof b);
        vm_objects_heaps_text(o, heaps, sizeof heaps);
        fprintf(out, "%12s %14s  %-*s  %-*s  %s", count, b, type_w, o->type ? o->type : "", mod_w,
                vm_objects_module_name(o->module), heaps);
        if (s->census.all)
            fprintf(out, "  %8" PRIu64 " %8" PRIu64 " %8" PRIu64, o->outside[VM_OBJ_STACK],
                    o->outside[VM_OBJ_PRIVATE_DATA], o->outside[VM_OBJ_IMAGE_DATA]);
        fputc('\n', out);
    }
    if (n < t.types)
        fprintf(out, "(%zu of %" PRIu64 " types shown)\n", n, t.types);
    if (any_estimated)
        fprintf(out, "~ estimated: objects sharing a heap block (an array, a vector's buffer) are charged the distance "
                     "to the next one\n");
    free(rows);
}

static const vm_object_type *type_of(const vm_snapshot *s, uint64_t vtable)
{
    for (size_t i = 0; i < s->nobjects; i++)
        if (s->objects[i].vtable == vtable)
            return &s->objects[i];
    return NULL;
}

void vm_objects_print_instances(FILE *out, const vm_snapshot *s, const vm_census_instance *in, size_t n)
{
    int w = s->process.bits == 32 ? 10 : 18;
    fprintf(out, "%-*s  %-*s  %-14s  %s\n", w, "ADDRESS", w, "BLOCK", "WHERE", "TYPE");
    for (size_t i = 0; i < n; i++) {
        const vm_object_type *t = type_of(s, in[i].vtable);
        char where[32], block[24] = "-";
        if (in[i].where < 0)
            snprintf(where, sizeof where, "heap %d", (int)in[i].heap_id);
        else
            snprintf(where, sizeof where, "%s", vm_object_where_name((vm_object_where)in[i].where));
        if (in[i].block)
            snprintf(block, sizeof block, "0x%" PRIx64, in[i].block);
        char addr[24];
        snprintf(addr, sizeof addr, "0x%" PRIx64, in[i].address);
        fprintf(out, "%-*s  %-*s  %-14s  %s\n", w, addr, w, block, where, t && t->type ? t->type : "?");
    }
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
