/* The vtable/RTTI validator (parse/rtti.h) over synthetic images laid out per the documented
 * structures: Itanium (x64 and x86; the three __cxxabiv1 type_info vtables in a runtime module,
 * single, virtual-free multiple inheritance with its secondary vtable, a vtable without RTTI
 * known by its _ZTV symbol), MSVC x64 (signature 1, image-relative, pSelf) and x86 (signature 0,
 * absolute), each followed by corrupt variants that must give nothing: wrong signatures, pSelf
 * mismatch, pointers outside the image or into writable memory, inconsistent hierarchies,
 * positive or misaligned offsets, names that do not decode.  No MSVC compiler is available
 * here, so these images are the proof of the MSVC path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tests/support/synth_mem.h"
#include "vmmap/parse/rtti.h"

/* A section of a synthetic image with a bump allocator. */
typedef struct sect {
    uint64_t base, next, end;
} sect;

static uint64_t take(sect *s, size_t len, size_t align)
{
    uint64_t a = (s->next + align - 1) & ~(uint64_t)(align - 1);
    if (a + len > s->end)
        fail_msg("synthetic section full");
    s->next = a + len;
    return a;
}

typedef struct image {
    synth_mem m;
    vm_memreader r;
    vm_rtti_space sp;
    int bits;
    uint64_t ps;
} image;

static void image_init(image *im, int bits, size_t nmodules)
{
    memset(im, 0, sizeof *im);
    im->bits = bits;
    im->ps = bits == 32 ? 4 : 8;
    im->r = synth_reader(&im->m);
    vm_rtti_space_init(&im->sp, &im->r, (int)im->ps, nmodules);
}

static void image_free(image *im)
{
    vm_rtti_space_free(&im->sp);
    synth_free(&im->m);
}

/* Maps [base, base + len) as kind (and as part of module m's image). */
static sect map_sect(image *im, uint64_t base, size_t len, vm_rtti_range_kind kind, int32_t m)
{
    synth_map(&im->m, base, len);
    if (kind != VM_RTTI_IMAGE)
        assert_true(vm_rtti_add_range(&im->sp, kind, base, base + len, m));
    sect s = {base, base, base + len};
    return s;
}

static void ptr(image *im, uint64_t addr, uint64_t v)
{
    synth_put_ptr(&im->m, im->bits, addr, v);
}

static uint64_t str(image *im, sect *s, const char *text)
{
    uint64_t a = take(s, strlen(text) + 1, 1);
    synth_put(&im->m, a, text, strlen(text) + 1);
    return a;
}

/* A vtable: [offset-to-top][type_info][fn0]; returns the address point. */
static uint64_t vtable(image *im, sect *ro, int64_t ott, uint64_t ti, uint64_t fn0)
{
    uint64_t a = take(ro, 3 * im->ps, im->ps);
    ptr(im, a, (uint64_t)ott);
    ptr(im, a + im->ps, ti);
    ptr(im, a + 2 * im->ps, fn0);
    return a + 2 * im->ps;
}

/* ---- Itanium ------------------------------------------------------------------------------ */

typedef struct itanium {
    image im;
    sect code, ro, rw, rt_code, rt_ro;
    uint64_t fn, class_vt, si_vt, vmi_vt, ti_type_info;
} itanium;

/* The C++ runtime module (1): the three class type_info vtables, each class's own type_info
 * (an __si_class_type_info), and std::type_info's. */
static void put_runtime(itanium *t)
{
    image *im = &t->im;
    uint64_t ps = im->ps;
    uint64_t base = im->bits == 32 ? 0x70000000u : 0x7f0000000000u;
    map_sect(im, base, 0x10000, VM_RTTI_IMAGE, 1);
    assert_true(vm_rtti_add_range(&im->sp, VM_RTTI_IMAGE, base, base + 0x10000, 1));
    vm_rtti_set_module_base(&im->sp, 1, base);
    t->rt_code = (sect){base + 0x1000, base + 0x1000, base + 0x2000};
    assert_true(vm_rtti_add_range(&im->sp, VM_RTTI_CODE, base + 0x1000, base + 0x2000, 1));
    t->rt_ro = (sect){base + 0x2000, base + 0x2000, base + 0x6000};
    assert_true(vm_rtti_add_range(&im->sp, VM_RTTI_RODATA, base + 0x2000, base + 0x6000, 1));
    uint64_t rfn = take(&t->rt_code, 16, 16);
    uint64_t n_class = str(im, &t->rt_ro, "N10__cxxabiv117__class_type_infoE");
    uint64_t n_si = str(im, &t->rt_ro, "N10__cxxabiv120__si_class_type_infoE");
    uint64_t n_vmi = str(im, &t->rt_ro, "N10__cxxabiv121__vmi_class_type_infoE");
    uint64_t n_ti = str(im, &t->rt_ro, "St9type_info");
    uint64_t ti_class = take(&t->rt_ro, 3 * ps, ps), ti_si = take(&t->rt_ro, 3 * ps, ps);
    uint64_t ti_vmi = take(&t->rt_ro, 3 * ps, ps);
    t->ti_type_info = take(&t->rt_ro, 2 * ps, ps);
    t->class_vt = vtable(im, &t->rt_ro, 0, ti_class, rfn);
    t->si_vt = vtable(im, &t->rt_ro, 0, ti_si, rfn);
    t->vmi_vt = vtable(im, &t->rt_ro, 0, ti_vmi, rfn);
    ptr(im, t->ti_type_info, t->class_vt);
    ptr(im, t->ti_type_info + ps, n_ti);
    uint64_t tis[3] = {ti_class, ti_si, ti_vmi}, names[3] = {n_class, n_si, n_vmi};
    uint64_t bases[3] = {t->ti_type_info, ti_class, ti_class};
    for (int i = 0; i < 3; i++) {
        ptr(im, tis[i], t->si_vt);
        ptr(im, tis[i] + ps, names[i]);
        ptr(im, tis[i] + 2 * ps, bases[i]);
    }
}

static void itanium_init(itanium *t, int bits)
{
    memset(t, 0, sizeof *t);
    image_init(&t->im, bits, 3);
    uint64_t base = bits == 32 ? 0x00400000u : 0x555555554000u;
    vm_rtti_set_module_base(&t->im.sp, 0, base);
    assert_true(vm_rtti_add_range(&t->im.sp, VM_RTTI_IMAGE, base, base + 0x10000, 0));
    synth_map(&t->im.m, base, 0x10000);
    t->code = (sect){base + 0x1000, base + 0x1000, base + 0x3000};
    assert_true(vm_rtti_add_range(&t->im.sp, VM_RTTI_CODE, base + 0x1000, base + 0x3000, 0));
    t->ro = (sect){base + 0x3000, base + 0x3000, base + 0x8000};
    assert_true(vm_rtti_add_range(&t->im.sp, VM_RTTI_RODATA, base + 0x3000, base + 0x8000, 0));
    t->rw = (sect){base + 0x8000, base + 0x8000, base + 0x10000}; /* .data: writable, not RODATA */
    t->fn = take(&t->code, 16, 16);
    put_runtime(t);
}

/* A class type_info {vptr, name} (+ base for __si). */
static uint64_t class_ti(itanium *t, sect *where, uint64_t vt, uint64_t name, uint64_t base_ti)
{
    uint64_t ps = t->im.ps;
    uint64_t ti = take(where, 3 * ps, ps);
    ptr(&t->im, ti, vt);
    ptr(&t->im, ti + ps, name);
    ptr(&t->im, ti + 2 * ps, base_ti);
    return ti;
}

static vm_rtti_verdict check(itanium *t, uint64_t v, vm_rtti_vtable *out)
{
    return vm_rtti_check(&t->im.sp, v, out);
}

static void expect_class(itanium *t, uint64_t v, const char *name, uint64_t offset, int32_t module)
{
    vm_rtti_vtable vt;
    assert_int_equal(check(t, v, &vt), VM_RTTI_VTABLE);
    assert_string_equal(vt.name, name);
    assert_int_equal(vt.abi, VM_RTTI_ITANIUM);
    assert_int_equal(vt.offset, offset);
    assert_int_equal(vt.module, module);
}

static void expect_nothing(itanium *t, uint64_t v)
{
    vm_rtti_vtable vt;
    vm_rtti_verdict r = check(t, v, &vt);
    if (r != VM_RTTI_NOT_VTABLE)
        fail_msg("0x%llx: verdict %d (%s)", (unsigned long long)v, (int)r, r == VM_RTTI_VTABLE ? vt.name : "");
}

static void itanium_valid(int bits)
{
    itanium t;
    itanium_init(&t, bits);
    image *im = &t.im;
    uint64_t ps = im->ps;
    uint64_t ti_base = class_ti(&t, &t.ro, t.class_vt, str(im, &t.ro, "4Base"), 0);
    uint64_t v_base = vtable(im, &t.ro, 0, ti_base, t.fn);
    uint64_t ti_der = class_ti(&t, &t.ro, t.si_vt, str(im, &t.ro, "N2ns7DerivedE"), ti_base);
    uint64_t v_der = vtable(im, &t.ro, 0, ti_der, t.fn);
    /* MI : M1, M2 — a __vmi type_info and a vtable group with a secondary vtable at -8. */
    uint64_t ti_m1 = class_ti(&t, &t.ro, t.class_vt, str(im, &t.ro, "2M1"), 0);
    uint64_t ti_m2 = class_ti(&t, &t.ro, t.class_vt, str(im, &t.ro, "2M2"), 0);
    uint64_t ti_mi = take(&t.ro, 2 * ps + 8 + 4 * ps, ps);
    ptr(im, ti_mi, t.vmi_vt);
    ptr(im, ti_mi + ps, str(im, &t.ro, "2MI"));
    synth_put_u32(&im->m, ti_mi + 2 * ps, 0);
    synth_put_u32(&im->m, ti_mi + 2 * ps + 4, 2);
    ptr(im, ti_mi + 2 * ps + 8, ti_m1);
    ptr(im, ti_mi + 3 * ps + 8, 2);
    ptr(im, ti_mi + 4 * ps + 8, ti_m2);
    ptr(im, ti_mi + 5 * ps + 8, (ps << 8) | 2);
    uint64_t v_mi = vtable(im, &t.ro, 0, ti_mi, t.fn);
    uint64_t v_mi2 = vtable(im, &t.ro, -(int64_t)ps, ti_mi, t.fn);
    /* A class of the runtime module itself. */
    uint64_t ti_rt = class_ti(&t, &t.rt_ro, t.si_vt, str(im, &t.rt_ro, "St9bad_alloc"), t.ti_type_info);
    uint64_t v_rt = vtable(im, &t.rt_ro, 0, ti_rt, t.fn);

    expect_class(&t, v_base, "Base", 0, 0);
    expect_class(&t, v_der, "ns::Derived", 0, 0);
    expect_class(&t, v_mi, "MI", 0, 0);
    expect_class(&t, v_mi2, "MI", ps, 0);
    expect_class(&t, v_rt, "std::bad_alloc", 0, 1);
    /* Not address points: the words around them. */
    expect_nothing(&t, v_base - ps);
    expect_nothing(&t, v_base + ps);
    expect_nothing(&t, ti_base);
    expect_nothing(&t, ti_der + 3 * ps); /* after an __si type_info: [-2] is its name pointer */
    expect_nothing(&t, v_base + 1);
    expect_nothing(&t, 0);
    image_free(im);
}

static void test_itanium_valid_x64(void **state)
{
    (void)state;
    itanium_valid(64);
}

static void test_itanium_valid_x86(void **state)
{
    (void)state;
    itanium_valid(32);
}

static void test_itanium_corrupt(void **state)
{
    (void)state;
    itanium t;
    itanium_init(&t, 64);
    image *im = &t.im;
    uint64_t ps = im->ps;
    uint64_t name = str(im, &t.ro, "4Base");
    uint64_t ti = class_ti(&t, &t.ro, t.class_vt, name, 0);
    assert_int_equal(check(&t, vtable(im, &t.ro, 0, ti, t.fn), &(vm_rtti_vtable){0}), VM_RTTI_VTABLE);

    expect_nothing(&t, vtable(im, &t.ro, 8, ti, t.fn));                    /* offset-to-top > 0 */
    expect_nothing(&t, vtable(im, &t.ro, -4, ti, t.fn));                   /* not pointer-aligned */
    expect_nothing(&t, vtable(im, &t.ro, -((int64_t)1 << 30), ti, t.fn));   /* far beyond any object */
    expect_nothing(&t, vtable(im, &t.ro, 0, 0x1234000, t.fn));             /* type_info outside images */
    expect_nothing(&t, vtable(im, &t.ro, 0, ti + 4, t.fn));                /* misaligned type_info */
    expect_nothing(&t, vtable(im, &t.ro, 0, ti, name));                    /* v[0] is not code */
    expect_nothing(&t, vtable(im, &t.ro, 0, ti, 0));
    /* A type_info whose vptr is an ordinary class's vtable, not a type_info vtable. */
    uint64_t v_base = vtable(im, &t.ro, 0, ti, t.fn);
    uint64_t bad_ti = class_ti(&t, &t.ro, v_base, name, 0);
    expect_nothing(&t, vtable(im, &t.ro, 0, bad_ti, t.fn));
    /* Name pointer into writable data. */
    uint64_t rw_name = take(&t.rw, 8, 1);
    synth_put(&im->m, rw_name, "4Base", 6);
    expect_nothing(&t, vtable(im, &t.ro, 0, class_ti(&t, &t.ro, t.class_vt, rw_name, 0), t.fn));
    /* A vtable in writable memory, without a symbol. */
    uint64_t rw_vt = take(&t.rw, 3 * ps, ps);
    ptr(im, rw_vt + ps, ti);
    ptr(im, rw_vt + 2 * ps, t.fn);
    expect_nothing(&t, rw_vt + 2 * ps);
    /* A forged "type_info vtable": its type_info has the right name, but its vptr is not the
     * self-describing __si_class_type_info vtable. */
    uint64_t forged_ti = class_ti(&t, &t.ro, t.class_vt, str(im, &t.ro, "N10__cxxabiv117__class_type_infoE"), 0);
    uint64_t forged_vt = vtable(im, &t.ro, 0, forged_ti, t.fn);
    expect_nothing(&t, vtable(im, &t.ro, 0, class_ti(&t, &t.ro, forged_vt, name, 0), t.fn));
    /* __si whose base is not a type_info; __vmi with no bases or unknown flags. */
    expect_nothing(&t, vtable(im, &t.ro, 0, class_ti(&t, &t.ro, t.si_vt, name, 0x99), t.fn));
    uint64_t vmi = take(&t.ro, 4 * ps, ps);
    ptr(im, vmi, t.vmi_vt);
    ptr(im, vmi + ps, name);
    synth_put_u32(&im->m, vmi + 2 * ps, 0);
    synth_put_u32(&im->m, vmi + 2 * ps + 4, 0);
    expect_nothing(&t, vtable(im, &t.ro, 0, vmi, t.fn));
    synth_put_u32(&im->m, vmi + 2 * ps, 0x100);
    synth_put_u32(&im->m, vmi + 2 * ps + 4, 1);
    expect_nothing(&t, vtable(im, &t.ro, 0, vmi, t.fn));
    /* Every structural check passes but the name does not decode: said apart. */
    vm_rtti_vtable vt;
    uint64_t odd = vtable(im, &t.ro, 0, class_ti(&t, &t.ro, t.class_vt, str(im, &t.ro, "4Bas"), 0), t.fn);
    assert_int_equal(check(&t, odd, &vt), VM_RTTI_BAD_NAME);
    assert_string_equal(vt.raw, "4Bas");
    /* An unterminated name running to the end of read-only data. */
    uint64_t tail = t.ro.end - 8;
    synth_put(&im->m, tail, "8ABCDEFGH", 8);
    expect_nothing(&t, vtable(im, &t.ro, 0, class_ti(&t, &t.ro, t.class_vt, tail, 0), t.fn));
    image_free(im);
}

static void test_itanium_symbols(void **state)
{
    (void)state;
    itanium t;
    itanium_init(&t, 64);
    image *im = &t.im;
    uint64_t ps = im->ps;
    /* -fno-rtti: type_info slot 0; only the symbol can name it, at its primary address point. */
    uint64_t group = t.ro.next;
    uint64_t v = vtable(im, &t.ro, 0, 0, t.fn);
    expect_nothing(&t, v);
    assert_true(vm_rtti_add_symbol(&im->sp, "_ZTV6NoRtti", group, 4 * ps, 0));
    expect_class(&t, v, "NoRtti", 0, 0);
    vm_rtti_vtable vt;
    assert_int_equal(check(&t, v, &vt), VM_RTTI_VTABLE);
    assert_true(vt.from_symbol);
    expect_nothing(&t, v + ps); /* not an address point */
    /* A vtable in writable memory (no RELRO), believed because its symbol covers it. */
    uint64_t ti = class_ti(&t, &t.ro, t.class_vt, str(im, &t.ro, "8Writable"), 0);
    uint64_t rw = take(&t.rw, 3 * ps, ps);
    ptr(im, rw + ps, ti);
    ptr(im, rw + 2 * ps, t.fn);
    expect_nothing(&t, rw + 2 * ps);
    assert_true(vm_rtti_add_symbol(&im->sp, "_ZTV8Writable", rw, 3 * ps, 0));
    expect_class(&t, rw + 2 * ps, "Writable", 0, 0);
    /* RTTI naming another class than the symbol covering it: not believed. */
    uint64_t ti_other = class_ti(&t, &t.ro, t.class_vt, str(im, &t.ro, "5Other"), 0);
    uint64_t g2 = t.ro.next;
    uint64_t v2 = vtable(im, &t.ro, 0, ti_other, t.fn);
    expect_class(&t, v2, "Other", 0, 0);
    assert_true(vm_rtti_add_symbol(&im->sp, "_ZTV8Mismatch", g2, 3 * ps, 0));
    expect_nothing(&t, v2);
    /* Symbols that are not usable vtables are ignored. */
    assert_true(vm_rtti_add_symbol(&im->sp, "_ZTVjunk", g2, 3 * ps, 0));
    assert_true(vm_rtti_add_symbol(&im->sp, "_ZTV4Tiny", g2, ps, 0));
    image_free(im);
}

/* ---- MSVC ----------------------------------------------------------------------------------- */

typedef struct msvc {
    image im;
    uint64_t base;
    sect text, rdata, data, other_rdata;
    uint64_t fn, ti_vftable;
} msvc;

static void msvc_init(msvc *t, int bits)
{
    memset(t, 0, sizeof *t);
    image_init(&t->im, bits, 2);
    t->base = bits == 32 ? 0x00400000u : 0x140000000u;
    synth_map(&t->im.m, t->base, 0x10000);
    vm_rtti_set_module_base(&t->im.sp, 0, t->base);
    assert_true(vm_rtti_add_range(&t->im.sp, VM_RTTI_IMAGE, t->base, t->base + 0x10000, 0));
    t->text = (sect){t->base + 0x1000, t->base + 0x1000, t->base + 0x2000};
    assert_true(vm_rtti_add_range(&t->im.sp, VM_RTTI_CODE, t->base + 0x1000, t->base + 0x2000, 0));
    t->rdata = (sect){t->base + 0x2000, t->base + 0x2000, t->base + 0x8000};
    assert_true(vm_rtti_add_range(&t->im.sp, VM_RTTI_RODATA, t->base + 0x2000, t->base + 0x8000, 0));
    t->data = (sect){t->base + 0x8000, t->base + 0x8000, t->base + 0x10000};
    t->fn = take(&t->text, 16, 16);
    /* The runtime DLL holding type_info's vftable. */
    uint64_t rt = bits == 32 ? 0x10000000u : 0x7ff800000000u;
    synth_map(&t->im.m, rt, 0x4000);
    vm_rtti_set_module_base(&t->im.sp, 1, rt);
    assert_true(vm_rtti_add_range(&t->im.sp, VM_RTTI_IMAGE, rt, rt + 0x4000, 1));
    assert_true(vm_rtti_add_range(&t->im.sp, VM_RTTI_RODATA, rt + 0x1000, rt + 0x4000, 1));
    t->other_rdata = (sect){rt + 0x1000, rt + 0x1000, rt + 0x4000};
    t->ti_vftable = take(&t->other_rdata, 16, 8) + 8;
}

/* An address as a locator field: RVA on x64, absolute on x86. */
static uint32_t field(const msvc *t, uint64_t addr)
{
    return (uint32_t)(t->im.bits == 64 ? addr - t->base : addr);
}

typedef struct msvc_class {
    uint64_t td, chd, bca, bcd, col, vftable;
} msvc_class;

static uint64_t type_descriptor(msvc *t, const char *name)
{
    uint64_t ps = t->im.ps;
    uint64_t td = take(&t->data, 2 * ps + strlen(name) + 1, ps);
    ptr(&t->im, td, t->ti_vftable);
    ptr(&t->im, td + ps, 0);
    synth_put(&t->im.m, td + 2 * ps, name, strlen(name) + 1);
    return td;
}

/* A class with a TypeDescriptor, hierarchy (itself + nbases - 1 others) and a vftable whose
 * locator has this offset. */
static msvc_class msvc_add(msvc *t, const char *name, uint32_t offset)
{
    msvc_class c;
    image *im = &t->im;
    c.td = type_descriptor(t, name);
    c.bcd = take(&t->rdata, 28, 4);
    synth_put_u32(&im->m, c.bcd, field(t, c.td));
    synth_put_u32(&im->m, c.bcd + 4, 0);
    synth_put_u32(&im->m, c.bcd + 8, 0);
    synth_put_u32(&im->m, c.bcd + 12, 0xffffffffu);
    synth_put_u32(&im->m, c.bcd + 16, 0);
    synth_put_u32(&im->m, c.bcd + 20, 0x40);
    c.bca = take(&t->rdata, 4, 4);
    synth_put_u32(&im->m, c.bca, field(t, c.bcd));
    c.chd = take(&t->rdata, 16, 4);
    synth_put_u32(&im->m, c.chd, 0);
    synth_put_u32(&im->m, c.chd + 4, 0);
    synth_put_u32(&im->m, c.chd + 8, 1);
    synth_put_u32(&im->m, c.chd + 12, field(t, c.bca));
    synth_put_u32(&im->m, c.bcd + 24, field(t, c.chd));
    c.col = take(&t->rdata, 24, 4);
    synth_put_u32(&im->m, c.col, im->bits == 64 ? 1 : 0);
    synth_put_u32(&im->m, c.col + 4, offset);
    synth_put_u32(&im->m, c.col + 8, 0);
    synth_put_u32(&im->m, c.col + 12, field(t, c.td));
    synth_put_u32(&im->m, c.col + 16, field(t, c.chd));
    if (im->bits == 64)
        synth_put_u32(&im->m, c.col + 20, field(t, c.col));
    uint64_t vt = take(&t->rdata, 3 * im->ps, im->ps);
    ptr(im, vt, c.col);
    ptr(im, vt + im->ps, t->fn);
    ptr(im, vt + 2 * im->ps, t->fn);
    c.vftable = vt + im->ps;
    return c;
}

static void expect_msvc(msvc *t, uint64_t v, const char *name, uint64_t offset)
{
    vm_rtti_vtable vt;
    vm_rtti_verdict r = vm_rtti_check(&t->im.sp, v, &vt);
    if (r != VM_RTTI_VTABLE)
        fail_msg("%s: verdict %d", name, (int)r);
    assert_string_equal(vt.name, name);
    assert_int_equal(vt.abi, VM_RTTI_MSVC);
    assert_int_equal(vt.offset, offset);
    assert_int_equal(vt.module, 0);
}

static void expect_msvc_nothing(msvc *t, uint64_t v, const char *why)
{
    vm_rtti_vtable vt;
    vm_rtti_verdict r = vm_rtti_check(&t->im.sp, v, &vt);
    if (r != VM_RTTI_NOT_VTABLE)
        fail_msg("%s: verdict %d (%s)", why, (int)r, r == VM_RTTI_VTABLE ? vt.name : "");
}

static void msvc_valid_and_corrupt(int bits)
{
    msvc t;
    msvc_init(&t, bits);
    image *im = &t.im;
    uint64_t ps = im->ps;
    msvc_class d = msvc_add(&t, ".?AVDerived@@", 0);
    msvc_class n = msvc_add(&t, ".?AVName@ns@@", 0);
    msvc_class s = msvc_add(&t, ".?AUPoint@@", 0);
    msvc_class mi = msvc_add(&t, ".?AVMulti@@", 0);
    msvc_class mi2 = msvc_add(&t, ".?AVMulti@@", (uint32_t)ps * 2); /* its second vftable */
    expect_msvc(&t, d.vftable, "Derived", 0);
    expect_msvc(&t, n.vftable, "ns::Name", 0);
    expect_msvc(&t, s.vftable, "Point", 0);
    expect_msvc(&t, mi.vftable, "Multi", 0);
    expect_msvc(&t, mi2.vftable, "Multi", 2 * ps);
    expect_msvc_nothing(&t, d.vftable + ps, "inside a vftable");
    expect_msvc_nothing(&t, d.col, "a locator");
    expect_msvc_nothing(&t, d.td, "a type descriptor");

    msvc_class c;
    c = msvc_add(&t, ".?AVWrongSig@@", 0);
    synth_put_u32(&im->m, c.col, bits == 64 ? 0 : 1);
    expect_msvc_nothing(&t, c.vftable, "wrong signature");
    if (bits == 64) {
        c = msvc_add(&t, ".?AVSelf@@", 0);
        synth_put_u32(&im->m, c.col + 20, field(&t, c.col) + 16);
        expect_msvc_nothing(&t, c.vftable, "pSelf mismatch");
    }
    c = msvc_add(&t, ".?AVFarTD@@", 0);
    synth_put_u32(&im->m, c.col + 12, bits == 64 ? 0x00f00000u : 0x00f00000u);
    expect_msvc_nothing(&t, c.vftable, "type descriptor outside the image");
    c = msvc_add(&t, ".?AVFarCHD@@", 0);
    synth_put_u32(&im->m, c.col + 16, 0xfffffff0u);
    expect_msvc_nothing(&t, c.vftable, "hierarchy outside the image");
    c = msvc_add(&t, ".?AVOtherTD@@", 0);
    synth_put_u32(&im->m, c.bcd, field(&t, d.td));
    expect_msvc_nothing(&t, c.vftable, "hierarchy names another class first");
    c = msvc_add(&t, ".?AVNoBases@@", 0);
    synth_put_u32(&im->m, c.chd + 8, 0);
    expect_msvc_nothing(&t, c.vftable, "no base classes");
    c = msvc_add(&t, ".?AVManyBases@@", 0);
    synth_put_u32(&im->m, c.chd + 8, 100000);
    expect_msvc_nothing(&t, c.vftable, "absurd base count");
    c = msvc_add(&t, ".?AVChdSig@@", 0);
    synth_put_u32(&im->m, c.chd, 7);
    expect_msvc_nothing(&t, c.vftable, "hierarchy signature");
    c = msvc_add(&t, ".?AVOddOffset@@", 2);
    expect_msvc_nothing(&t, c.vftable, "misaligned vftable offset");
    c = msvc_add(&t, ".?AVNoTypeInfo@@", 0);
    ptr(im, c.td, 0);
    expect_msvc_nothing(&t, c.vftable, "type descriptor without type_info vftable");
    c = msvc_add(&t, ".?AVNoCode@@", 0);
    ptr(im, c.vftable, c.col);
    expect_msvc_nothing(&t, c.vftable, "slot 0 is not code");
    c = msvc_add(&t, "Xnot-decorated", 0);
    expect_msvc_nothing(&t, c.vftable, "name not .?A");
    /* The locator in another module's read-only data. */
    c = msvc_add(&t, ".?AVElsewhere@@", 0);
    uint64_t moved = take(&t.other_rdata, 24, 4);
    uint8_t buf[24];
    assert_int_equal(im->r.read(im->r.ctx, c.col, buf, 24), 24);
    synth_put(&im->m, moved, buf, 24);
    ptr(im, c.vftable - ps, moved);
    expect_msvc_nothing(&t, c.vftable, "locator in another module");
    /* A vftable in writable data. */
    c = msvc_add(&t, ".?AVWritable@@", 0);
    uint64_t rw = take(&t.data, 2 * ps, ps);
    ptr(im, rw, c.col);
    ptr(im, rw + ps, t.fn);
    expect_msvc_nothing(&t, rw + ps, "vftable in writable data");
    /* Structure right, name undecodable: said apart. */
    c = msvc_add(&t, ".?AV<lambda_1>@?1??main@@YAHXZ@", 0);
    vm_rtti_vtable vt;
    assert_int_equal(vm_rtti_check(&t.im.sp, c.vftable, &vt), VM_RTTI_BAD_NAME);
    image_free(im);
}

static void test_msvc_x64(void **state)
{
    (void)state;
    msvc_valid_and_corrupt(64);
}

static void test_msvc_x86(void **state)
{
    (void)state;
    msvc_valid_and_corrupt(32);
}

/* Snapshot modules to ranges: sections by protection, .data.rel.ro whatever its protection,
 * headers left out; a module without sections by its blocks. */
static void test_space_from_snapshot(void **state)
{
    (void)state;
    vm_snapshot *s = vm_snapshot_new();
    vm_module *m = vm_snapshot_add_module(s);
    m->path = strdup("/usr/bin/app");
    m->base = 0x1000000;
    m->size = 0x10000;
    struct {
        const char *name;
        uint64_t off, size;
        uint32_t prot;
    } secs[] = {{"headers", 0, 0x1000, VM_PROT_READ},
                {".text", 0x1000, 0x3000, VM_PROT_READ | VM_PROT_EXEC},
                {".rodata", 0x4000, 0x2000, VM_PROT_READ},
                {".data.rel.ro", 0x6000, 0x1000, VM_PROT_READ | VM_PROT_WRITE},
                {".data", 0x7000, 0x1000, VM_PROT_READ | VM_PROT_WRITE}};
    for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++) {
        vm_section *sec = vm_module_add_section(m);
        sec->name = strdup(secs[i].name);
        sec->address = m->base + secs[i].off;
        sec->size = secs[i].size;
        sec->protection = secs[i].prot;
    }
    vm_module *m2 = vm_snapshot_add_module(s);
    m2->path = strdup("C:\\x.dll");
    m2->base = 0x2000000;
    m2->size = 0x3000;
    vm_region *r = vm_snapshot_add_region(s);
    r->address = m2->base;
    r->size = m2->size;
    uint32_t prots[3] = {VM_PROT_READ, VM_PROT_READ | VM_PROT_EXEC, VM_PROT_READ | VM_PROT_COPY};
    for (int i = 0; i < 3; i++) {
        vm_block *b = vm_region_add_block(r);
        b->address = m2->base + (uint64_t)i * 0x1000;
        b->size = 0x1000;
        b->state = VM_STATE_COMMIT;
        b->protection = prots[i];
        b->module = 1;
    }
    vm_memreader none = {0};
    vm_rtti_space sp;
    assert_true(vm_rtti_space_from_snapshot(&sp, s, &none));
    assert_int_equal(sp.ptr_size, 8);
    assert_null(vm_rtti_find(&sp, VM_RTTI_RODATA, 0x1000000));        /* headers */
    assert_non_null(vm_rtti_find(&sp, VM_RTTI_CODE, 0x1001000));
    assert_non_null(vm_rtti_find(&sp, VM_RTTI_RODATA, 0x1004800));
    assert_non_null(vm_rtti_find(&sp, VM_RTTI_RODATA, 0x1006800));    /* relro */
    assert_null(vm_rtti_find(&sp, VM_RTTI_RODATA, 0x1007800));        /* .data */
    assert_int_equal(vm_rtti_find(&sp, VM_RTTI_IMAGE, 0x100f000)->module, 0);
    assert_non_null(vm_rtti_find(&sp, VM_RTTI_RODATA, 0x2000010));    /* blocks of module 1 */
    assert_int_equal(vm_rtti_find(&sp, VM_RTTI_CODE, 0x2001010)->module, 1);
    assert_null(vm_rtti_find(&sp, VM_RTTI_RODATA, 0x2002010));        /* write-copy */
    assert_null(vm_rtti_find(&sp, VM_RTTI_IMAGE, 0x3000000));
    assert_int_equal(sp.module_base[1], 0x2000000);
    vm_rtti_space_free(&sp);
    vm_snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_itanium_valid_x64), cmocka_unit_test(test_itanium_valid_x86),
        cmocka_unit_test(test_itanium_corrupt),   cmocka_unit_test(test_itanium_symbols),
        cmocka_unit_test(test_msvc_x64),          cmocka_unit_test(test_msvc_x86),
        cmocka_unit_test(test_space_from_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
