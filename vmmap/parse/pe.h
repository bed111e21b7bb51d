/* PE32 / PE32+ headers read through a vm_memreader at `base`: an image mapped in target memory
 * (section data at base + VirtualAddress; the headers at base), or a file whose reader maps file
 * offsets (base 0; only the headers are read, and they sit at the start of the file in both).
 * Every offset and count is bounded before use; a bad image is an error message, never a crash.
 * Platform-neutral C: no windows.h. */
#ifndef VMMAP_PARSE_PE_H
#define VMMAP_PARSE_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "memreader.h"

#define VM_PE_MAX_LFANEW 0x10000u   /* e_lfanew must lie below 64 KiB */
#define VM_PE_MAX_SECTIONS 96       /* the Windows loader's own limit */

/* IMAGE_SCN_* bits used for protection. */
#define VM_PE_SCN_MEM_SHARED 0x10000000u
#define VM_PE_SCN_MEM_EXECUTE 0x20000000u
#define VM_PE_SCN_MEM_READ 0x40000000u
#define VM_PE_SCN_MEM_WRITE 0x80000000u

typedef struct vm_pe_section {
    char name[9];              /* the 8-byte name, NUL-terminated; unprintable bytes as '?' */
    uint32_t virtual_address;  /* RVA */
    uint32_t virtual_size;     /* as declared (0 allowed: see vm_pe_section_span) */
    uint32_t raw_size;         /* SizeOfRawData */
    uint32_t raw_offset;       /* PointerToRawData */
    uint32_t characteristics;
} vm_pe_section;

typedef struct vm_pe {
    int bits;                  /* 32 (PE32, magic 0x10b) or 64 (PE32+, 0x20b) */
    uint16_t machine;          /* 0x14c x86, 0x8664 x64, 0xaa64 arm64 ... */
    uint16_t characteristics;  /* FileHeader.Characteristics */
    uint32_t time_date_stamp;  /* FileHeader.TimeDateStamp (matches MINIDUMP_MODULE's) */
    uint32_t checksum;         /* OptionalHeader.CheckSum (matches MINIDUMP_MODULE's) */
    uint64_t image_base;       /* preferred base */
    uint32_t entry_point;      /* RVA */
    uint32_t section_alignment, file_alignment;
    uint32_t size_of_image, size_of_headers;
    uint16_t subsystem, dll_characteristics;
    uint64_t stack_reserve, stack_commit;
    vm_pe_section *sections;
    size_t nsections;
} vm_pe;

/* Parses the headers and section table at base.  On failure returns false with a message in
 * err (and out holds nothing to free).  Sections are kept as declared; bounds against
 * SizeOfImage are applied by vm_pe_add_sections. */
bool vm_pe_parse(const vm_memreader *r, uint64_t base, vm_pe *out, char *err, size_t errlen);
void vm_pe_free(vm_pe *pe);

/* VM_PROT_* for section characteristics: READ, EXEC, and WRITE|COPY for writable sections (image
 * pages are copy-on-write) or plain WRITE for IMAGE_SCN_MEM_SHARED ones. */
uint32_t vm_pe_section_protection(uint32_t characteristics);

/* Bytes a section spans in memory, before page rounding: VirtualSize, or SizeOfRawData when
 * VirtualSize is 0. */
uint32_t vm_pe_section_span(const vm_pe_section *s);

/* Appends the image's sections, mapped at base, to m: "headers" [base, base + SizeOfHeaders
 * rounded up to a page, but not past the first section) as read-only, then every section at
 * base + VirtualAddress with its span rounded up to 4 KiB, clipped to SizeOfImage; sections
 * starting at or beyond SizeOfImage, or inside SizeOfHeaders, are left out.  Returns false when
 * out of memory. */
bool vm_pe_add_sections(const vm_pe *pe, uint64_t base, vm_module *m);

#endif
