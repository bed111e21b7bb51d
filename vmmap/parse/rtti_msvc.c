/* MSVC RTTI: the checks of rtti.h for vftables whose slot -1 holds a complete object locator.
 *
 * Layouts (ehdata.h / rttidata.h of the MSVC runtime, as Wine's dlls/msvcrt/cxx.h and the
 * public RTTI write-ups describe them; all fields little-endian u32 unless said):
 *   RTTICompleteObjectLocator  signature (0 x86, 1 x64), offset (of this vftable's vptr in the
 *                              complete object), cdOffset, pTypeDescriptor,
 *                              pClassHierarchyDescriptor, x64 only: pSelf (the locator's RVA)
 *   TypeDescriptor             pVFTable (pointer: type_info's vftable), spare (pointer), name[]
 *   ClassHierarchyDescriptor   signature (0), attributes (1 multiple, 2 virtual, 4 ambiguous),
 *                              numBaseClasses, pBaseClassArray
 *   BaseClassArray             numBaseClasses x pBaseClassDescriptor; the first is the class
 *   BaseClassDescriptor        pTypeDescriptor, numContainedBases, PMD {mdisp, pdisp, vdisp},
 *                              attributes [, pClassHierarchyDescriptor]
 * On x64 every p* field above is an RVA (u32, relative to the image base); on x86 an absolute
 * 32-bit address, except TypeDescriptor's two pointer-sized fields. */
#include "rtti.h"

#include <string.h>

#include "type_names.h"

#define MAX_BASE_CLASSES 4096u
#define MAX_VFTABLE_OFFSET (1u << 24)

typedef struct locator {
    uint32_t signature, offset, cd_offset, type_descriptor, hierarchy, self;
} locator;

static bool read_u32s(const vm_rtti_space *sp, uint64_t addr, uint32_t *v, size_t n)
{
    uint8_t b[24];
    if (n * 4 > sizeof b || !vm_read_exact(sp->mem, addr, b, n * 4))
        return false;
    for (size_t i = 0; i < n; i++)
        v[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
               (uint32_t)b[4 * i + 3] << 24;
    return true;
}

/* Address of a locator field's target: base + RVA on x64, the value itself on x86. */
static uint64_t target(const vm_rtti_space *sp, uint64_t base, uint32_t field)
{
    return sp->ptr_size == 8 ? base + field : field;
}

/* [addr, addr + len) inside module m's image. */
static bool in_module(vm_rtti_space *sp, uint64_t addr, uint64_t len, int32_t m)
{
    const vm_rtti_range *img = vm_rtti_find(sp, VM_RTTI_IMAGE, addr);
    return img && img->module == m && addr + len >= addr && addr + len <= img->end;
}

vm_rtti_verdict vm_rtti_check_msvc(vm_rtti_space *sp, uint64_t v, vm_rtti_vtable *out)
{
    uint64_t ps = (uint64_t)sp->ptr_size;
    bool x64 = ps == 8;
    if ((v & (ps - 1)) != 0 || v < ps)
        return VM_RTTI_NOT_VTABLE;
    const vm_rtti_range *ro = vm_rtti_find(sp, VM_RTTI_RODATA, v);
    if (!ro || v - ps < ro->start)
        return VM_RTTI_NOT_VTABLE;
    int32_t m = ro->module;
    uint64_t col_addr, f0;
    if (!vm_rtti_read_ptr(sp, v - ps, &col_addr) || (col_addr & 3) != 0)
        return VM_RTTI_NOT_VTABLE;
    const vm_rtti_range *col_ro = vm_rtti_find(sp, VM_RTTI_RODATA, col_addr);
    if (!col_ro || col_ro->module != m)
        return VM_RTTI_NOT_VTABLE;
    uint32_t f[6];
    if (!read_u32s(sp, col_addr, f, x64 ? 6 : 5))
        return VM_RTTI_NOT_VTABLE;
    locator col = {f[0], f[1], f[2], f[3], f[4], x64 ? f[5] : 0};
    uint64_t base = m >= 0 && (size_t)m < sp->nmodules ? sp->module_base[m] : 0;
    if (col.signature != (x64 ? 1u : 0u) || (x64 && (base == 0 || col_addr - base != col.self)))
        return VM_RTTI_NOT_VTABLE;
    if (col.offset >= MAX_VFTABLE_OFFSET || (col.offset & 3) != 0)
        return VM_RTTI_NOT_VTABLE;
    uint64_t td = target(sp, base, col.type_descriptor), chd = target(sp, base, col.hierarchy);
    if ((td & (ps - 1)) != 0 || (chd & 3) != 0 || !in_module(sp, td, 2 * ps + 4, m) || !in_module(sp, chd, 16, m))
        return VM_RTTI_NOT_VTABLE;
    /* The hierarchy: its first base class descriptor is the class itself. */
    uint32_t h[4];
    if (!read_u32s(sp, chd, h, 4) || h[0] != 0 || (h[1] & ~7u) != 0 || h[2] == 0 || h[2] > MAX_BASE_CLASSES)
        return VM_RTTI_NOT_VTABLE;
    uint64_t bca = target(sp, base, h[3]);
    uint32_t first_bcd, bcd_td;
    if ((bca & 3) != 0 || !in_module(sp, bca, 4, m) || !read_u32s(sp, bca, &first_bcd, 1))
        return VM_RTTI_NOT_VTABLE;
    uint64_t bcd = target(sp, base, first_bcd);
    if ((bcd & 3) != 0 || !in_module(sp, bcd, 4, m) || !read_u32s(sp, bcd, &bcd_td, 1) ||
        target(sp, base, bcd_td) != td)
        return VM_RTTI_NOT_VTABLE;
    /* The TypeDescriptor: type_info's vftable somewhere in an image, then the name. */
    uint64_t ti_vftable;
    if (!vm_rtti_read_ptr(sp, td, &ti_vftable) || ti_vftable == 0 || !vm_rtti_find(sp, VM_RTTI_IMAGE, ti_vftable))
        return VM_RTTI_NOT_VTABLE;
    /* v[0]: a virtual function. */
    if (!vm_rtti_read_ptr(sp, v, &f0) || !vm_rtti_find(sp, VM_RTTI_CODE, f0))
        return VM_RTTI_NOT_VTABLE;
    const vm_rtti_range *img = vm_rtti_find(sp, VM_RTTI_IMAGE, td);
    char decorated[VM_TYPE_NAME_INPUT_MAX + 1];
    if (!img || !vm_rtti_read_name(sp, td + 2 * ps, img->end, decorated) || strncmp(decorated, ".?A", 3) != 0)
        return VM_RTTI_NOT_VTABLE;
    memset(out, 0, sizeof *out);
    out->abi = VM_RTTI_MSVC;
    out->module = m;
    out->offset = col.offset;
    size_t n = strnlen(decorated, sizeof out->raw - 1);
    memcpy(out->raw, decorated, n);
    out->raw[n] = 0;
    if (!vm_msvc_type_name(decorated, out->name, sizeof out->name))
        return VM_RTTI_BAD_NAME;
    return VM_RTTI_VTABLE;
}
