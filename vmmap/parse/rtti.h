/* Is this word the address point of a C++ vtable, and of which class?  The validator behind the
 * object census (model/census.h), for both ABIs, over target memory read through a
 * vm_memreader (a live process, a minidump, or a test's synthetic image).
 *
 * A candidate is accepted only when its whole RTTI chain is consistent (heap-facts.md):
 *
 * Itanium (GCC, Clang, MinGW g++):  the address point v lies in an image's read-only data (a
 *   read-only section, or .data.rel.ro whatever its protection); v[-2] is offset-to-top, 0 for a
 *   complete object's primary vptr, a small negative multiple of the pointer size for a
 *   secondary base; v[-1] points into an image at a std::type_info whose own vptr is one of the
 *   three __cxxabiv1 class type_info vtables (recognised by their own RTTI: the
 *   __si_class_type_info vtable's type_info is an __si_class_type_info, named so); its name
 *   pointer leads into read-only data to a NUL-terminated name that demangles completely; and
 *   v[0] is code (a virtual function).  A _ZTV symbol covering v (vm_rtti_add_symbol) names
 *   the class when the vtable has no RTTI, and then also stands in for the code check.
 *
 * MSVC (x64, signature 1):  v in read-only data of module M; v[-1] points into M's read-only
 *   data at a RTTICompleteObjectLocator with signature 1 whose pSelf gives back M's base, whose
 *   TypeDescriptor and ClassHierarchyDescriptor RVAs lie in M, whose hierarchy's first base
 *   class descriptor names the same TypeDescriptor, and whose name (".?AV...") undecorates;
 *   v[0] is code.  x86 (signature 0): the same with absolute pointers and no pSelf.  The
 *   locator's `offset` is where this vftable's vptr sits in the complete object (0: primary).
 *
 * Everything read is bounded: names are at most VM_TYPE_NAME_INPUT_MAX bytes, base class counts
 * are capped, and no structure is followed more than two links deep. */
#ifndef VMMAP_PARSE_RTTI_H
#define VMMAP_PARSE_RTTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "memreader.h"

#define VM_RTTI_NAME_MAX 1024

typedef enum vm_rtti_abi { VM_RTTI_ITANIUM, VM_RTTI_MSVC } vm_rtti_abi;

typedef enum vm_rtti_range_kind {
    VM_RTTI_IMAGE,  /* anywhere in a loaded image (headers to .bss) */
    VM_RTTI_RODATA, /* an image's read-only, non-executable data (or .data.rel.ro) */
    VM_RTTI_CODE,   /* an image's executable part */
    VM_RTTI_RANGE_KINDS
} vm_rtti_range_kind;

typedef struct vm_rtti_range {
    uint64_t start, end;
    int32_t module; /* index into the snapshot's modules */
} vm_rtti_range;

typedef struct vm_rtti_symbol { /* a _ZTV symbol: the vtable group of one class */
    uint64_t start, end;
    int32_t module;
    char *name;     /* demangled class name */
} vm_rtti_symbol;

/* Cached classification of a candidate __cxxabiv1 type_info vtable. */
typedef struct vm_rtti_tiv {
    uint64_t address;
    int8_t kind; /* -1 not one, else enum tiv_kind in rtti_itanium.c */
} vm_rtti_tiv;

/* Read-only segments of module files standing in for memory a target does not hold (a core
 * leaves out unmodified read-only mappings: .rodata, .text). */
typedef struct vm_rtti_file_seg {
    uint64_t start, end; /* in the target */
    uint64_t offset;     /* in the file */
    size_t file;         /* index into files */
} vm_rtti_file_seg;

typedef struct vm_rtti_space {
    const vm_memreader *mem;    /* what the checkers read: the target, then the module files */
    const vm_memreader *target;
    vm_memreader through;       /* mem points here */
    struct vm_file_reader *files;
    size_t nfiles;
    vm_rtti_file_seg *segs;
    size_t nsegs;
    int ptr_size; /* 4 or 8 */
    vm_rtti_range *ranges[VM_RTTI_RANGE_KINDS];
    size_t nranges[VM_RTTI_RANGE_KINDS];
    uint64_t *module_base; /* per module index (MSVC image-relative offsets) */
    size_t nmodules;
    vm_rtti_symbol *symbols;
    size_t nsymbols;
    vm_rtti_tiv tiv[32];
    size_t ntiv;
    bool sorted;
} vm_rtti_space;

/* An empty space over mem; ptr_size 4 or 8.  Ranges and symbols are added, then used. */
void vm_rtti_space_init(vm_rtti_space *sp, const vm_memreader *mem, int ptr_size, size_t nmodules);
bool vm_rtti_add_range(vm_rtti_space *sp, vm_rtti_range_kind kind, uint64_t start, uint64_t end, int32_t module);
/* base of module index m (its image base: what MSVC RVAs are relative to). */
void vm_rtti_set_module_base(vm_rtti_space *sp, int32_t module, uint64_t base);
/* A _ZTV symbol at [start, start + size): mangled is the symbol name with or without "_ZTV". */
bool vm_rtti_add_symbol(vm_rtti_space *sp, const char *mangled, uint64_t start, uint64_t size, int32_t module);
void vm_rtti_space_free(vm_rtti_space *sp);

/* The ranges of a captured snapshot: each module's extent, its sections by protection (read-only
 * or .data.rel.ro: RODATA; executable: CODE), or, for a module without sections, its blocks in
 * the map.  ptr_size from the process's bitness.  Returns false when out of memory. */
bool vm_rtti_space_from_snapshot(vm_rtti_space *sp, const vm_snapshot *s, const vm_memreader *mem);

/* An ELF module's file (at path, loaded at the module's base): its _ZTV symbols from .dynsym and
 * .symtab, and its read-only PT_LOAD segments as stand-ins for memory the target does not hold.
 * The file is used only when its GNU build-id equals the one in the target's copy of the image's
 * headers; when that copy cannot be read, only if !require_build_id (a live process's own file,
 * through its /proc root).  Returns false when the file is not used. */
bool vm_rtti_load_elf_module(vm_rtti_space *sp, int32_t module, const char *path, uint64_t page_size,
                             bool require_build_id);

/* Lookups (binary search; the space sorts itself on first use). */
const vm_rtti_range *vm_rtti_find(vm_rtti_space *sp, vm_rtti_range_kind kind, uint64_t addr);
/* The _ZTV symbol whose object covers addr, or NULL. */
const vm_rtti_symbol *vm_rtti_find_symbol(vm_rtti_space *sp, uint64_t addr);

typedef enum vm_rtti_verdict {
    VM_RTTI_NOT_VTABLE, /* not an address point of a vtable we can vouch for */
    VM_RTTI_VTABLE,     /* out is filled */
    VM_RTTI_BAD_NAME,   /* every structural check passed, but the name does not decode */
} vm_rtti_verdict;

typedef struct vm_rtti_vtable {
    vm_rtti_abi abi;
    int32_t module;    /* module whose read-only data holds the vtable */
    uint64_t offset;   /* where this vptr sits in the complete object: 0 primary, else a base */
    bool from_symbol;  /* named by its _ZTV symbol (the vtable has no RTTI) */
    char name[VM_RTTI_NAME_MAX];
    char raw[96];      /* the start of the mangled / decorated name, for warnings */
} vm_rtti_vtable;

vm_rtti_verdict vm_rtti_check(vm_rtti_space *sp, uint64_t vptr, vm_rtti_vtable *out);

/* The two ABIs on their own (vm_rtti_check tries both: their layouts exclude each other). */
vm_rtti_verdict vm_rtti_check_itanium(vm_rtti_space *sp, uint64_t vptr, vm_rtti_vtable *out);
vm_rtti_verdict vm_rtti_check_msvc(vm_rtti_space *sp, uint64_t vptr, vm_rtti_vtable *out);

/* Helpers shared by the two checkers. */
bool vm_rtti_read_ptr(const vm_rtti_space *sp, uint64_t addr, uint64_t *out);
/* Reads a NUL-terminated string at addr lying inside [addr, limit); false when none fits in
 * VM_TYPE_NAME_INPUT_MAX bytes.  buf holds at least VM_TYPE_NAME_INPUT_MAX + 1 bytes. */
bool vm_rtti_read_name(const vm_rtti_space *sp, uint64_t addr, uint64_t limit, char *buf);

#endif
