/* The census part of the snapshot model: object types, their heaps, freeing and equality. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "snapshot.h"

vm_object_type *vm_snapshot_add_object_type(vm_snapshot *s)
{
    return vm_array_push((void **)&s->objects, &s->nobjects, sizeof *s->objects);
}

bool vm_object_type_add_heap(vm_object_type *t, int32_t heap_id)
{
    size_t i = 0;
    while (i < t->nheaps && t->heaps[i] < heap_id)
        i++;
    if (i < t->nheaps && t->heaps[i] == heap_id)
        return true;
    if (!vm_array_push((void **)&t->heaps, &t->nheaps, sizeof *t->heaps))
        return false;
    memmove(t->heaps + i + 1, t->heaps + i, (t->nheaps - 1 - i) * sizeof *t->heaps);
    t->heaps[i] = heap_id;
    return true;
}

void vm_snapshot_clear_objects(vm_snapshot *s)
{
    for (size_t i = 0; i < s->nobjects; i++) {
        vm_object_type *t = &s->objects[i];
        free(t->type);
        free(t->module);
        free(t->abi);
        free(t->heaps);
    }
    free(s->objects);
    s->objects = NULL;
    s->nobjects = 0;
    memset(&s->census, 0, sizeof s->census);
}

const char *vm_object_where_name(vm_object_where w)
{
    static const char *const N[VM_OBJ_WHERE_COUNT] = {"stack", "private_data", "image_data"};
    return (unsigned)w < VM_OBJ_WHERE_COUNT ? N[w] : "";
}

const char *vm_object_where_title(vm_object_where w)
{
    static const char *const N[VM_OBJ_WHERE_COUNT] = {"Stack", "Private Data", "Image data"};
    return (unsigned)w < VM_OBJ_WHERE_COUNT ? N[w] : "";
}

static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool vm_objects_equal(const vm_snapshot *a, const vm_snapshot *b, char *why, size_t whylen)
{
    const vm_object_census *ca = &a->census, *cb = &b->census;
    if (ca->present != cb->present || ca->all != cb->all || ca->busy_blocks != cb->busy_blocks ||
        ca->busy_bytes != cb->busy_bytes) {
        snprintf(why, whylen, "census");
        return false;
    }
    if (a->nobjects != b->nobjects) {
        snprintf(why, whylen, "objects: count %zu vs %zu", a->nobjects, b->nobjects);
        return false;
    }
    for (size_t i = 0; i < a->nobjects; i++) {
        const vm_object_type *x = &a->objects[i], *y = &b->objects[i];
        bool same = str_same(x->type, y->type) && str_same(x->module, y->module) && x->vtable == y->vtable &&
                    str_same(x->abi, y->abi) && x->count == y->count && x->bytes == y->bytes &&
                    x->bytes_estimated == y->bytes_estimated && x->nheaps == y->nheaps &&
                    (x->nheaps == 0 || memcmp(x->heaps, y->heaps, x->nheaps * sizeof *x->heaps) == 0) &&
                    memcmp(x->outside, y->outside, sizeof x->outside) == 0;
        if (!same) {
            snprintf(why, whylen, "objects[%zu]", i);
            return false;
        }
    }
    return true;
}
