#include "synth_cxx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
    fprintf(stderr, "synth_cxx: %s\n", what);
    abort();
}

uint64_t synth_cxx_take(synth_area *a, uint64_t len, uint64_t align)
{
    uint64_t p = (a->next + align - 1) & ~(align - 1);
    if (p + len > a->end)
        die("area full");
    a->next = p + len;
    return p;
}

uint64_t synth_cxx_str(synth_cxx *x, synth_area *a, const char *s)
{
    uint64_t p = synth_cxx_take(a, strlen(s) + 1, 1);
    synth_put(&x->m, p, s, strlen(s) + 1);
    return p;
}

static void put_ptr(synth_cxx *x, uint64_t addr, uint64_t v)
{
    synth_put_ptr(&x->m, x->bits, addr, v);
}

/* [ott][ti][fn] in a; the address point. */
static uint64_t put_vtable(synth_cxx *x, synth_area *a, int64_t ott, uint64_t ti)
{
    uint64_t p = synth_cxx_take(a, 3 * x->ps, x->ps);
    put_ptr(x, p, (uint64_t)ott);
    put_ptr(x, p + x->ps, ti);
    put_ptr(x, p + 2 * x->ps, x->fn);
    return p + 2 * x->ps;
}

static uint64_t put_ti(synth_cxx *x, synth_area *a, uint64_t vt, uint64_t name, uint64_t base)
{
    uint64_t p = synth_cxx_take(a, 3 * x->ps, x->ps);
    put_ptr(x, p, vt);
    put_ptr(x, p + x->ps, name);
    put_ptr(x, p + 2 * x->ps, base);
    return p;
}

/* One module: a region per section with the section's protection, and the sections. */
static void add_module(synth_cxx *x, const char *path, uint64_t base, const char *const *names,
                       const uint32_t *prots, int n, synth_area *areas)
{
    vm_module *m = vm_snapshot_add_module(x->snap);
    int32_t mi = (int32_t)(x->snap->nmodules - 1);
    m->path = strdup(path);
    m->base = base;
    m->size = (uint64_t)n * 0x10000;
    synth_map(&x->m, base, (size_t)m->size);
    vm_region *r = vm_snapshot_add_region(x->snap);
    r->address = base;
    r->size = m->size;
    r->kind = VM_KIND_IMAGE;
    for (int i = 0; i < n; i++) {
        uint64_t a = base + (uint64_t)i * 0x10000;
        vm_section *s = vm_module_add_section(&x->snap->modules[mi]);
        s->name = strdup(names[i]);
        s->address = a;
        s->size = 0x10000;
        s->protection = prots[i];
        vm_block *b = vm_region_add_block(r);
        b->address = a;
        b->size = 0x10000;
        b->state = VM_STATE_COMMIT;
        b->protection = prots[i];
        b->memtype = VM_MEMTYPE_IMAGE;
        b->kind = VM_KIND_IMAGE;
        b->module = mi;
        if (areas) {
            areas[i].next = a;
            areas[i].end = a + 0x10000;
        }
    }
}

void synth_cxx_init(synth_cxx *x, int bits)
{
    memset(x, 0, sizeof *x);
    x->bits = bits;
    x->ps = bits == 32 ? 4 : 8;
    x->r = synth_reader(&x->m);
    x->snap = vm_snapshot_new();
    x->snap->process.bits = bits;
    x->snap->page_size = 4096;
    static const char *const names[] = {".text", ".rodata", ".data.rel.ro", ".data"};
    static const uint32_t prots[] = {VM_PROT_READ | VM_PROT_EXEC, VM_PROT_READ, VM_PROT_READ,
                                     VM_PROT_READ | VM_PROT_WRITE};
    synth_area app[4], rt[4];
    add_module(x, "/synthetic/app", bits == 32 ? 0x08040000u : 0x555555540000u, names, prots, 4, app);
    add_module(x, "/synthetic/libstdc++.so.6", bits == 32 ? 0x70000000u : 0x7f0000000000u, names, prots, 4, rt);
    x->text = app[0];
    x->rodata = app[1];
    x->relro = app[2];
    x->data = app[3];
    x->rt_rodata = rt[2];
    x->fn = synth_cxx_take(&x->text, 16, 16);
    uint64_t ps = x->ps;
    /* The runtime: type_info vtables whose own type_info describes them (heap-facts.md). */
    synth_area *rr = &x->rt_rodata, *rs = &rt[1];
    uint64_t n_class = synth_cxx_str(x, rs, "N10__cxxabiv117__class_type_infoE");
    uint64_t n_si = synth_cxx_str(x, rs, "N10__cxxabiv120__si_class_type_infoE");
    uint64_t n_vmi = synth_cxx_str(x, rs, "N10__cxxabiv121__vmi_class_type_infoE");
    uint64_t ti_class = synth_cxx_take(rr, 3 * ps, ps), ti_si = synth_cxx_take(rr, 3 * ps, ps);
    uint64_t ti_vmi = synth_cxx_take(rr, 3 * ps, ps);
    x->ti_type_info = synth_cxx_take(rr, 2 * ps, ps);
    x->class_vt = put_vtable(x, rr, 0, ti_class);
    x->si_vt = put_vtable(x, rr, 0, ti_si);
    x->vmi_vt = put_vtable(x, rr, 0, ti_vmi);
    put_ptr(x, x->ti_type_info, x->class_vt);
    put_ptr(x, x->ti_type_info + ps, synth_cxx_str(x, rs, "St9type_info"));
    put_ptr(x, ti_class, x->si_vt);
    put_ptr(x, ti_class + ps, n_class);
    put_ptr(x, ti_class + 2 * ps, x->ti_type_info);
    put_ptr(x, ti_si, x->si_vt);
    put_ptr(x, ti_si + ps, n_si);
    put_ptr(x, ti_si + 2 * ps, ti_class);
    put_ptr(x, ti_vmi, x->si_vt);
    put_ptr(x, ti_vmi + ps, n_vmi);
    put_ptr(x, ti_vmi + 2 * ps, ti_class);
}

void synth_cxx_free(synth_cxx *x)
{
    vm_snapshot_free(x->snap);
    synth_free(&x->m);
}

uint64_t synth_cxx_class(synth_cxx *x, const char *mangled, uint64_t base_ti, uint64_t *ti_out)
{
    uint64_t name = synth_cxx_str(x, &x->rodata, mangled);
    uint64_t ti = put_ti(x, &x->relro, base_ti ? x->si_vt : x->class_vt, name, base_ti);
    if (ti_out)
        *ti_out = ti;
    return put_vtable(x, &x->relro, 0, ti);
}

void synth_cxx_mi_class(synth_cxx *x, const char *mangled, uint64_t secondary_offset, uint64_t *primary,
                        uint64_t *secondary)
{
    uint64_t ps = x->ps, b1, b2;
    synth_cxx_class(x, "5Base1", 0, &b1);
    synth_cxx_class(x, "5Base2", 0, &b2);
    uint64_t ti = synth_cxx_take(&x->relro, 6 * ps + 8, ps);
    put_ptr(x, ti, x->vmi_vt);
    put_ptr(x, ti + ps, synth_cxx_str(x, &x->rodata, mangled));
    synth_put_u32(&x->m, ti + 2 * ps, 0);
    synth_put_u32(&x->m, ti + 2 * ps + 4, 2);
    put_ptr(x, ti + 2 * ps + 8, b1);
    put_ptr(x, ti + 3 * ps + 8, 2);
    put_ptr(x, ti + 4 * ps + 8, b2);
    put_ptr(x, ti + 5 * ps + 8, (secondary_offset << 8) | 2);
    *primary = put_vtable(x, &x->relro, 0, ti);
    *secondary = put_vtable(x, &x->relro, -(int64_t)secondary_offset, ti);
}

vm_block *synth_cxx_region(synth_cxx *x, uint64_t base, uint64_t size, vm_kind kind, int32_t heap_id)
{
    synth_map(&x->m, base, (size_t)size);
    vm_region *r = vm_snapshot_add_region(x->snap);
    r->address = base;
    r->size = size;
    r->kind = kind;
    vm_block *b = vm_region_add_block(r);
    b->address = base;
    b->size = size;
    b->state = VM_STATE_COMMIT;
    b->protection = VM_PROT_READ | VM_PROT_WRITE;
    b->memtype = VM_MEMTYPE_PRIVATE;
    b->kind = kind;
    if (kind == VM_KIND_HEAP) {
        vm_heap *h = vm_snapshot_add_heap(x->snap);
        h->id = heap_id;
        h->address = base;
        h->kind = strdup("synthetic");
        vm_heap_part *p = vm_heap_add_part(h);
        p->address = base;
        p->size = size;
        p->committed = size;
        p->what = strdup("part");
        b->heap_id = heap_id;
        b->heap_part = 0;
    }
    return b;
}
