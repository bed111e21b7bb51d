/* The object census in a diff (diff.h, vm_diff_object): which C++ types grew or shrank, in count
 * and bytes, between two snapshots that both carry a census. */
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "diff_impl.h"

static int cmp_object(const void *a, const void *b)
{
    const vm_object_type *x = *(const vm_object_type *const *)a, *y = *(const vm_object_type *const *)b;
    int c = strcmp(vm_diff_str(x->type), vm_diff_str(y->type));
    return c ? c : strcmp(vm_diff_str(x->module), vm_diff_str(y->module));
}

static int key_object(const void *a, const void *b)
{
    return cmp_object(&a, &b);
}

static bool pair_object(void *ctx, const void *a, const void *b)
{
    vm_diff *d = ctx;
    const vm_object_type *o = a, *n = b;
    uint64_t oc = o ? o->count : 0, nc = n ? n->count : 0, ob = o ? o->bytes : 0, nb = n ? n->bytes : 0;
    if (oc == nc && ob == nb)
        return true;
    /* A type with no heap objects on one side (only hits outside heaps) counts as absent there. */
    vm_diff_change what = oc == 0 && ob == 0   ? VM_DIFF_ADDED
                          : nc == 0 && nb == 0 ? VM_DIFF_REMOVED
                          : nc > oc || (nc == oc && nb > ob) ? VM_DIFF_GROWN
                                                              : VM_DIFF_SHRUNK;
    const vm_object_type *t = n ? n : o;
    vm_diff_object *x = vm_array_push((void **)&d->objects, &d->nobjects, sizeof *d->objects);
    if (!x)
        return false;
    x->what = what;
    x->type = vm_strdup(t->type);
    x->module = vm_strdup(t->module);
    x->old_count = oc;
    x->new_count = nc;
    x->count_delta = vm_diff_delta(oc, nc);
    x->old_bytes = ob;
    x->new_bytes = nb;
    x->bytes_delta = vm_diff_delta(ob, nb);
    x->estimated = (o && o->bytes_estimated) || (n && n->bytes_estimated);
    return x->type != NULL;
}

static int order_objects(const void *a, const void *b)
{
    const vm_diff_object *x = a, *y = b;
    int c = vm_diff_cmp_u64(vm_diff_magnitude(y->bytes_delta), vm_diff_magnitude(x->bytes_delta));
    c = c ? c : vm_diff_cmp_u64(vm_diff_magnitude(y->count_delta), vm_diff_magnitude(x->count_delta));
    c = c ? c : strcmp(vm_diff_str(x->type), vm_diff_str(y->type));
    return c ? c : strcmp(vm_diff_str(x->module), vm_diff_str(y->module));
}

bool vm_diff_objects(vm_diff *d, const vm_snapshot *o, const vm_snapshot *n)
{
    if (!o->census.present || !n->census.present) {
        if (o->census.present || n->census.present) {
            d->objects_note = vm_strdup(o->census.present ? "only the old snapshot has an object census"
                                                          : "only the new snapshot has an object census");
            return d->objects_note != NULL;
        }
        return true;
    }
    d->objects_compared = true;
    bool ok = true;
    const void **a = vm_diff_sorted_ptrs(o->objects, o->nobjects, sizeof *o->objects, cmp_object, &ok);
    const void **b = ok ? vm_diff_sorted_ptrs(n->objects, n->nobjects, sizeof *n->objects, cmp_object, &ok) : NULL;
    ok = ok && vm_diff_merge(a, o->nobjects, b, n->nobjects, key_object, pair_object, d, true);
    free(a);
    free(b);
    if (ok && d->nobjects > 1)
        qsort(d->objects, d->nobjects, sizeof *d->objects, order_objects);
    return ok;
}

void vm_diff_objects_free(vm_diff *d)
{
    for (size_t i = 0; i < d->nobjects; i++) {
        free(d->objects[i].type);
        free(d->objects[i].module);
    }
    free(d->objects);
    free(d->objects_note);
}
