/* Itanium C++ ABI vtables (GCC, Clang, MinGW g++): the checks of rtti.h.
 *
 * Layout (itanium-cxx-abi, "Virtual Table Layout"): an object's vptr points at its vtable's
 * address point; one word before it is the std::type_info pointer, two words before it the
 * offset-to-top.  A class type_info is {vptr, const char *name} and, for single inheritance,
 * one base type_info pointer, or, for multiple/virtual inheritance, u32 flags, u32 base count
 * and (base type_info, offset_flags) pairs. */
#include "rtti.h"

#include <string.h>

#include "type_names.h"

/* Offsets between a base subobject and its complete object beyond this are not believed. */
#define MAX_OFFSET_TO_TOP ((int64_t)1 << 24)
#define MAX_VMI_BASES 4096u

enum tiv_kind { TIV_CLASS, TIV_SI, TIV_VMI, TIV_KINDS };

static const char *const TIV_NAMES[TIV_KINDS] = {
    "N10__cxxabiv117__class_type_infoE",
    "N10__cxxabiv120__si_class_type_infoE",
    "N10__cxxabiv121__vmi_class_type_infoE",
};

static int64_t as_signed(const vm_rtti_space *sp, uint64_t v)
{
    if (sp->ptr_size == 4)
        return (int64_t)(int32_t)(uint32_t)v;
    return (int64_t)v;
}

static bool aligned(const vm_rtti_space *sp, uint64_t a)
{
    return (a & (uint64_t)(sp->ptr_size - 1)) == 0;
}

/* Which of the three names the type_info at ti carries, or -1. */
static int type_info_name_kind(vm_rtti_space *sp, uint64_t ti)
{
    uint64_t name_ptr;
    if (!vm_rtti_read_ptr(sp, ti + (uint64_t)sp->ptr_size, &name_ptr))
        return -1;
    const vm_rtti_range *img = vm_rtti_find(sp, VM_RTTI_IMAGE, name_ptr);
    if (!img)
        return -1;
    char buf[64];
    size_t want = sizeof buf;
    if (img->end - name_ptr < want)
        want = (size_t)(img->end - name_ptr);
    size_t got = sp->mem->read(sp->mem->ctx, name_ptr, buf, want);
    for (int k = 0; k < TIV_KINDS; k++) {
        size_t n = strlen(TIV_NAMES[k]) + 1;
        if (got >= n && memcmp(buf, TIV_NAMES[k], n) == 0)
            return k;
    }
    return -1;
}

static int cached_tiv(const vm_rtti_space *sp, uint64_t tv, bool *found)
{
    for (size_t i = 0; i < sp->ntiv; i++)
        if (sp->tiv[i].address == tv) {
            *found = true;
            return sp->tiv[i].kind;
        }
    *found = false;
    return -1;
}

static int remember_tiv(vm_rtti_space *sp, uint64_t tv, int kind)
{
    /* A hostile image can offer endless candidates; the real ones are three per C++ runtime
     * (a process has one or two), so a full cache only means checking again. */
    if (sp->ntiv < sizeof sp->tiv / sizeof sp->tiv[0]) {
        sp->tiv[sp->ntiv].address = tv;
        sp->tiv[sp->ntiv].kind = (int8_t)kind;
        sp->ntiv++;
    }
    return kind;
}

/* Is tv the address point of one of the three __cxxabiv1 class type_info vtables?  Each of
 * those classes derives singly from another class, so each one's own type_info is an
 * __si_class_type_info: its vptr is the __si_class_type_info vtable, whose type_info names
 * itself.  depth bounds the recursion to that one extra step. */
static int classify_tiv(vm_rtti_space *sp, uint64_t tv, int depth)
{
    bool found;
    int kind = cached_tiv(sp, tv, &found);
    if (found)
        return kind;
    if (!aligned(sp, tv) || !vm_rtti_find(sp, VM_RTTI_IMAGE, tv))
        return depth ? -1 : remember_tiv(sp, tv, -1);
    uint64_t ott, tti, ttv;
    uint64_t ps = (uint64_t)sp->ptr_size;
    if (tv < 2 * ps || !vm_rtti_read_ptr(sp, tv - 2 * ps, &ott) || ott != 0 || !vm_rtti_read_ptr(sp, tv - ps, &tti) ||
        !aligned(sp, tti) || !vm_rtti_find(sp, VM_RTTI_IMAGE, tti))
        return depth ? -1 : remember_tiv(sp, tv, -1);
    kind = type_info_name_kind(sp, tti);
    if (kind < 0 || !vm_rtti_read_ptr(sp, tti, &ttv))
        return depth ? -1 : remember_tiv(sp, tv, -1);
    bool consistent;
    if (ttv == tv)
        consistent = kind == TIV_SI;
    else
        consistent = depth == 0 && classify_tiv(sp, ttv, 1) == TIV_SI;
    if (!consistent)
        kind = -1;
    return depth && kind < 0 ? -1 : remember_tiv(sp, tv, kind);
}

/* The structure after {vptr, name}: a base pointer for __si, flags and bases for __vmi. */
static bool bases_plausible(vm_rtti_space *sp, uint64_t ti, int kind)
{
    uint64_t ps = (uint64_t)sp->ptr_size;
    if (kind == TIV_SI) {
        uint64_t base, base_tv;
        return vm_rtti_read_ptr(sp, ti + 2 * ps, &base) && aligned(sp, base) &&
               vm_rtti_find(sp, VM_RTTI_IMAGE, base) && vm_rtti_read_ptr(sp, base, &base_tv) &&
               classify_tiv(sp, base_tv, 0) >= 0;
    }
    if (kind == TIV_VMI) {
        uint32_t flags, count;
        if (!vm_read_u32(sp->mem, ti + 2 * ps, &flags) || !vm_read_u32(sp->mem, ti + 2 * ps + 4, &count))
            return false;
        /* __non_diamond_repeat_mask 1, __diamond_shaped_mask 2, __flags_unknown_mask 0x10 */
        return (flags & ~0x13u) == 0 && count >= 1 && count <= MAX_VMI_BASES;
    }
    return true;
}

static void keep_raw(vm_rtti_vtable *out, const char *name)
{
    size_t n = strnlen(name, sizeof out->raw - 1);
    memcpy(out->raw, name, n);
    out->raw[n] = 0;
}

vm_rtti_verdict vm_rtti_check_itanium(vm_rtti_space *sp, uint64_t v, vm_rtti_vtable *out)
{
    uint64_t ps = (uint64_t)sp->ptr_size;
    if (!aligned(sp, v) || v < 2 * ps)
        return VM_RTTI_NOT_VTABLE;
    const vm_rtti_range *ro = vm_rtti_find(sp, VM_RTTI_RODATA, v);
    const vm_rtti_symbol *sym = vm_rtti_find_symbol(sp, v);
    if (sym && !vm_rtti_find(sp, VM_RTTI_IMAGE, v))
        sym = NULL;
    if (!ro && !sym)
        return VM_RTTI_NOT_VTABLE;
    uint64_t lowest = sym ? sym->start : ro->start;
    if (v - 2 * ps < lowest)
        return VM_RTTI_NOT_VTABLE;
    uint64_t ott_raw, ti;
    if (!vm_rtti_read_ptr(sp, v - 2 * ps, &ott_raw) || !vm_rtti_read_ptr(sp, v - ps, &ti))
        return VM_RTTI_NOT_VTABLE;
    int64_t ott = as_signed(sp, ott_raw);
    if (ott > 0 || ott < -MAX_OFFSET_TO_TOP || (ott % (int64_t)ps) != 0)
        return VM_RTTI_NOT_VTABLE;
    /* v[0]: a virtual function.  A vtable known by its symbol needs no such sign. */
    uint64_t f0;
    bool code_ok = sym != NULL || (vm_rtti_read_ptr(sp, v, &f0) && vm_rtti_find(sp, VM_RTTI_CODE, f0));
    if (!code_ok)
        return VM_RTTI_NOT_VTABLE;

    memset(out, 0, sizeof *out);
    out->abi = VM_RTTI_ITANIUM;
    out->module = sym ? sym->module : ro->module;
    out->offset = (uint64_t)-ott;
    if (ti == 0) {
        /* No RTTI (-fno-rtti): only the primary address point of a _ZTV group is believed. */
        if (!sym || v != sym->start + 2 * ps || ott != 0)
            return VM_RTTI_NOT_VTABLE;
        strncpy(out->name, sym->name, sizeof out->name - 1);
        out->from_symbol = true;
        keep_raw(out, sym->name);
        return VM_RTTI_VTABLE;
    }
    uint64_t tv, name_ptr;
    if (!aligned(sp, ti) || !vm_rtti_find(sp, VM_RTTI_IMAGE, ti) || !vm_rtti_read_ptr(sp, ti, &tv) ||
        !vm_rtti_read_ptr(sp, ti + ps, &name_ptr))
        return VM_RTTI_NOT_VTABLE;
    int kind = classify_tiv(sp, tv, 0);
    if (kind < 0 || !bases_plausible(sp, ti, kind))
        return VM_RTTI_NOT_VTABLE;
    const vm_rtti_range *name_ro = vm_rtti_find(sp, VM_RTTI_RODATA, name_ptr);
    char mangled[VM_TYPE_NAME_INPUT_MAX + 1];
    if (!name_ro || !vm_rtti_read_name(sp, name_ptr, name_ro->end, mangled))
        return VM_RTTI_NOT_VTABLE;
    keep_raw(out, mangled);
    if (!vm_itanium_type_name(mangled, out->name, sizeof out->name))
        return VM_RTTI_BAD_NAME;
    if (sym && strcmp(sym->name, out->name) != 0)
        return VM_RTTI_NOT_VTABLE; /* inside another class's vtable group: not an address point */
    return VM_RTTI_VTABLE;
}
