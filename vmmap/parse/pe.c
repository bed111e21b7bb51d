/* PE32/PE32+ header parser over a vm_memreader (see pe.h).  The on-disk structures are
 * written down below as tables of (offset, width) per optional-header flavour, decoded
 * explicitly little-endian; nothing overlays a C struct on target bytes. */
#include "pe.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "../util/compiler.h"

#define PAGE UINT64_C(0x1000)
#define DOS_MAGIC 0x5A4Du          /* "MZ" */
#define NT_SIGNATURE 0x00004550u   /* "PE\0\0" */
#define FILE_HEADER_SIZE 20
#define SECTION_HEADER_SIZE 40
#define MAX_OPTIONAL_HEADER 0x1000 /* far above the 240 bytes of PE32+ */

typedef struct pe_field {
    uint8_t off, len;
} pe_field;

/* IMAGE_OPTIONAL_HEADER32 / 64: only what we use.  min_size: the header must reach the end of
 * SizeOfStackCommit. */
typedef struct opt_layout {
    int bits;
    uint16_t magic, min_size;
    pe_field entry_point, image_base, section_alignment, file_alignment, size_of_image,
        size_of_headers, checksum, subsystem, dll_characteristics, stack_reserve, stack_commit;
} opt_layout;

static const opt_layout OPT32 = {
    .bits = 32, .magic = 0x10b, .min_size = 80,
    .entry_point = {16, 4}, .image_base = {28, 4}, .section_alignment = {32, 4},
    .file_alignment = {36, 4}, .size_of_image = {56, 4}, .size_of_headers = {60, 4},
    .checksum = {64, 4}, .subsystem = {68, 2}, .dll_characteristics = {70, 2},
    .stack_reserve = {72, 4}, .stack_commit = {76, 4},
};

static const opt_layout OPT64 = {
    .bits = 64, .magic = 0x20b, .min_size = 88,
    .entry_point = {16, 4}, .image_base = {24, 8}, .section_alignment = {32, 4},
    .file_alignment = {36, 4}, .size_of_image = {56, 4}, .size_of_headers = {60, 4},
    .checksum = {64, 4}, .subsystem = {68, 2}, .dll_characteristics = {70, 2},
    .stack_reserve = {72, 8}, .stack_commit = {80, 8},
};

static uint64_t get(const uint8_t *p, pe_field f)
{
    uint64_t v = 0;
    for (int i = f.len - 1; i >= 0; i--)
        v = v << 8 | p[f.off + i];
    return v;
}

static bool fail(char *err, size_t errlen, const char *fmt, ...) VM_PRINTF(3, 4);
static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* e_lfanew, the NT signature and the file header. */
static bool parse_file_header(const vm_memreader *r, uint64_t base, vm_pe *pe, uint64_t *opt_at,
                              uint16_t *opt_size, uint16_t *nsections, char *err, size_t errlen)
{
    uint8_t dos[64], fh[4 + FILE_HEADER_SIZE];
    if (!vm_read_exact(r, base, dos, sizeof dos))
        return fail(err, errlen, "cannot read the DOS header at 0x%" PRIx64, base);
    if (get(dos, (pe_field){0, 2}) != DOS_MAGIC)
        return fail(err, errlen, "no MZ signature at 0x%" PRIx64, base);
    uint32_t lfanew = (uint32_t)get(dos, (pe_field){0x3C, 4});
    if (lfanew < 4 || lfanew >= VM_PE_MAX_LFANEW)
        return fail(err, errlen, "e_lfanew 0x%" PRIx32 " is out of range", lfanew);
    if (!vm_read_exact(r, base + lfanew, fh, sizeof fh))
        return fail(err, errlen, "cannot read the NT headers at offset 0x%" PRIx32, lfanew);
    if (get(fh, (pe_field){0, 4}) != NT_SIGNATURE)
        return fail(err, errlen, "no PE signature at offset 0x%" PRIx32, lfanew);
    pe->machine = (uint16_t)get(fh, (pe_field){4, 2});
    *nsections = (uint16_t)get(fh, (pe_field){6, 2});
    pe->time_date_stamp = (uint32_t)get(fh, (pe_field){8, 4});
    *opt_size = (uint16_t)get(fh, (pe_field){20, 2});
    pe->characteristics = (uint16_t)get(fh, (pe_field){22, 2});
    *opt_at = base + lfanew + sizeof fh;
    if (*nsections > VM_PE_MAX_SECTIONS)
        return fail(err, errlen, "NumberOfSections %u exceeds %d", *nsections, VM_PE_MAX_SECTIONS);
    return true;
}

static bool parse_optional_header(const vm_memreader *r, uint64_t at, uint16_t size, vm_pe *pe,
                                  char *err, size_t errlen)
{
    uint8_t oh[96];
    uint8_t m[2];
    if (size > MAX_OPTIONAL_HEADER)
        return fail(err, errlen, "SizeOfOptionalHeader 0x%x is implausible", size);
    if (size < 2 || !vm_read_exact(r, at, m, 2))
        return fail(err, errlen, "no optional header");
    uint16_t magic = (uint16_t)(m[0] | m[1] << 8);
    const opt_layout *l = magic == OPT32.magic ? &OPT32 : magic == OPT64.magic ? &OPT64 : NULL;
    if (!l)
        return fail(err, errlen, "unknown optional header magic 0x%x", magic);
    if (size < l->min_size)
        return fail(err, errlen, "SizeOfOptionalHeader 0x%x is too small for PE%s", size, l->bits == 64 ? "32+" : "32");
    if (!vm_read_exact(r, at, oh, l->min_size))
        return fail(err, errlen, "cannot read the optional header");
    pe->bits = l->bits;
    pe->entry_point = (uint32_t)get(oh, l->entry_point);
    pe->image_base = get(oh, l->image_base);
    pe->section_alignment = (uint32_t)get(oh, l->section_alignment);
    pe->file_alignment = (uint32_t)get(oh, l->file_alignment);
    pe->size_of_image = (uint32_t)get(oh, l->size_of_image);
    pe->size_of_headers = (uint32_t)get(oh, l->size_of_headers);
    pe->checksum = (uint32_t)get(oh, l->checksum);
    pe->subsystem = (uint16_t)get(oh, l->subsystem);
    pe->dll_characteristics = (uint16_t)get(oh, l->dll_characteristics);
    pe->stack_reserve = get(oh, l->stack_reserve);
    pe->stack_commit = get(oh, l->stack_commit);
    if (pe->size_of_image == 0 || pe->size_of_headers == 0 || pe->size_of_headers > pe->size_of_image)
        return fail(err, errlen, "SizeOfHeaders 0x%" PRIx32 " / SizeOfImage 0x%" PRIx32 " are inconsistent",
                    pe->size_of_headers, pe->size_of_image);
    return true;
}

static void copy_name(char dst[9], const uint8_t src[8])
{
    for (int i = 0; i < 8; i++)
        dst[i] = src[i] == 0 ? '\0' : (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[8] = '\0';
}

static bool parse_sections(const vm_memreader *r, uint64_t at, uint16_t n, vm_pe *pe, char *err, size_t errlen)
{
    uint8_t sh[SECTION_HEADER_SIZE];
    if (n && !(pe->sections = calloc(n, sizeof *pe->sections)))
        return fail(err, errlen, "out of memory");
    for (uint16_t i = 0; i < n; i++) {
        if (!vm_read_exact(r, at + (uint64_t)i * SECTION_HEADER_SIZE, sh, sizeof sh))
            return fail(err, errlen, "cannot read section header %u of %u", i, n);
        vm_pe_section *s = &pe->sections[i];
        copy_name(s->name, sh);
        s->virtual_size = (uint32_t)get(sh, (pe_field){8, 4});
        s->virtual_address = (uint32_t)get(sh, (pe_field){12, 4});
        s->raw_size = (uint32_t)get(sh, (pe_field){16, 4});
        s->raw_offset = (uint32_t)get(sh, (pe_field){20, 4});
        s->characteristics = (uint32_t)get(sh, (pe_field){36, 4});
        pe->nsections = i + 1u;
    }
    return true;
}

bool vm_pe_parse(const vm_memreader *r, uint64_t base, vm_pe *out, char *err, size_t errlen)
{
    uint64_t opt_at = 0;
    uint16_t opt_size = 0, nsections = 0;
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    bool ok = parse_file_header(r, base, out, &opt_at, &opt_size, &nsections, err, errlen) &&
              parse_optional_header(r, opt_at, opt_size, out, err, errlen) &&
              parse_sections(r, opt_at + opt_size, nsections, out, err, errlen);
    if (!ok)
        vm_pe_free(out);
    return ok;
}

void vm_pe_free(vm_pe *pe)
{
    free(pe->sections);
    pe->sections = NULL;
    pe->nsections = 0;
}

uint32_t vm_pe_section_protection(uint32_t ch)
{
    uint32_t prot = 0;
    if (ch & VM_PE_SCN_MEM_READ)
        prot |= VM_PROT_READ;
    if (ch & VM_PE_SCN_MEM_EXECUTE)
        prot |= VM_PROT_EXEC;
    if (ch & VM_PE_SCN_MEM_WRITE)
        prot |= (ch & VM_PE_SCN_MEM_SHARED) ? VM_PROT_WRITE : VM_PROT_WRITE | VM_PROT_COPY;
    return prot;
}

uint32_t vm_pe_section_span(const vm_pe_section *s)
{
    return s->virtual_size ? s->virtual_size : s->raw_size;
}

static uint64_t page_up(uint64_t v)
{
    return (v + PAGE - 1) & ~(PAGE - 1);
}

static bool add_section(vm_module *m, const char *name, uint64_t address, uint64_t size, uint32_t prot)
{
    char *copy = vm_strdup(name);
    vm_section *s = copy ? vm_module_add_section(m) : NULL;
    if (!s) {
        free(copy);
        return false;
    }
    s->name = copy;
    s->address = address;
    s->size = size;
    s->protection = prot;
    return true;
}

/* The headers take their page-rounded size, but never run into the first section: images with
 * a SectionAlignment below the page size put sections right after the headers. */
static uint64_t headers_end(const vm_pe *pe)
{
    uint64_t end = page_up(pe->size_of_headers);
    for (size_t i = 0; i < pe->nsections; i++) {
        uint64_t va = pe->sections[i].virtual_address;
        if (va >= pe->size_of_headers && va < end)
            end = va;
    }
    return end < pe->size_of_image ? end : pe->size_of_image;
}

bool vm_pe_add_sections(const vm_pe *pe, uint64_t base, vm_module *m)
{
    uint64_t image = pe->size_of_image;
    if (!add_section(m, "headers", base, headers_end(pe), VM_PROT_READ))
        return false;
    for (size_t i = 0; i < pe->nsections; i++) {
        const vm_pe_section *s = &pe->sections[i];
        uint64_t start = s->virtual_address, end = page_up(start + vm_pe_section_span(s));
        if (start < pe->size_of_headers || start >= image)
            continue;  /* overlaps the headers or lies outside the image: not a real mapping */
        if (end > image)
            end = image;
        if (end > start && !add_section(m, s->name, base + start, end - start,
                                        vm_pe_section_protection(s->characteristics)))
            return false;
    }
    return true;
}
