/* ELF parser tests.
 *  - hand-built ELF32/ELF64 images (written with glibc's <elf.h> structs, so the parser's own
 *    field tables are checked against an independent definition), and hostile variants of them;
 *  - real binaries: a shared library this test compiles and dlopens, where the ground truth is
 *    dlsym's answer and /proc/self/maps; the test executable itself and its libc. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmmap/parse/elf.h"
#include "vmmap/parse/memreader.h"

/* ---- Small helpers ---- */

static const vm_elf_section *find_section(const vm_elf *e, const char *name)
{
    for (size_t i = 0; i < e->nsections; i++)
        if (strcmp(e->sections[i].name, name) == 0)
            return &e->sections[i];
    return NULL;
}

static bool parse_buffer(const uint8_t *data, size_t len, uint64_t file_size, vm_elf *e,
                         char *err, size_t errlen)
{
    vm_buffer_reader br = {.base = 0, .data = data, .len = len};
    vm_memreader r = vm_buffer_reader_make(&br);
    return vm_elf_parse(&r, file_size, e, err, errlen);
}

static bool find_in_buffer(const uint8_t *data, size_t len, const vm_elf *e, const char *name,
                           uint64_t *value)
{
    vm_buffer_reader br = {.base = 0, .data = data, .len = len};
    vm_memreader r = vm_buffer_reader_make(&br);
    return vm_elf_find_symbol(&r, e, name, value, NULL);
}

/* ---- A small ELF image built in memory ---- */

typedef struct fake_elf {
    _Alignas(8) uint8_t b[2048];
    size_t len;
    int bits;
    size_t phoff, shoff, text, dynsym, symtab, shstrtab, shstrtab_size;
} fake_elf;

enum { FAKE_NSECT = 8, FAKE_NPHDR = 3, FAKE_SHSTRNDX = 6 };
enum { S_NULL, S_TEXT, S_DYNSYM, S_DYNSTR, S_SYMTAB, S_STRTAB, S_SHSTRTAB, S_BSS };

static void put_le(uint8_t *b, size_t off, size_t n, uint64_t v)
{
    for (size_t i = 0; i < n; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

#define PUT(f, T, base, field, v) \
    put_le((f)->b, (base) + offsetof(T, field), sizeof(((T *)0)->field), (uint64_t)(v))
/* Field writers that pick the Elf32_ or Elf64_ structure by the image's class. */
#define EH(f, field, v) \
    ((f)->bits == 64 ? PUT(f, Elf64_Ehdr, 0, field, v) : PUT(f, Elf32_Ehdr, 0, field, v))
#define SH(f, i, field, v)                                                          \
    ((f)->bits == 64 ? PUT(f, Elf64_Shdr, (f)->shoff + (i) * sizeof(Elf64_Shdr), field, v) \
                     : PUT(f, Elf32_Shdr, (f)->shoff + (i) * sizeof(Elf32_Shdr), field, v))
#define PH(f, i, field, v)                                                          \
    ((f)->bits == 64 ? PUT(f, Elf64_Phdr, (f)->phoff + (i) * sizeof(Elf64_Phdr), field, v) \
                     : PUT(f, Elf32_Phdr, (f)->phoff + (i) * sizeof(Elf32_Phdr), field, v))
#define SYM(f, tab, i, field, v)                                                   \
    ((f)->bits == 64 ? PUT(f, Elf64_Sym, (tab) + (i) * sizeof(Elf64_Sym), field, v) \
                     : PUT(f, Elf32_Sym, (tab) + (i) * sizeof(Elf32_Sym), field, v))

static size_t append(fake_elf *f, size_t *off, const void *data, size_t n)
{
    size_t at = *off;
    memcpy(f->b + at, data, n);
    *off += n;
    return at;
}

static size_t align8(size_t v)
{
    return (v + 7) & ~(size_t)7;
}

static void fake_symbol(fake_elf *f, size_t tab, int i, uint32_t name, uint64_t value,
                        uint16_t shndx)
{
    SYM(f, tab, i, st_name, name);
    SYM(f, tab, i, st_value, value);
    SYM(f, tab, i, st_size, 8);
    SYM(f, tab, i, st_info, shndx ? 0x12 : 0x10); /* GLOBAL FUNC / GLOBAL NOTYPE */
    SYM(f, tab, i, st_shndx, shndx);
}

static void fake_section(fake_elf *f, int i, uint32_t name, uint32_t type, uint64_t flags,
                         uint64_t offset, uint64_t size, uint32_t link, uint64_t entsize)
{
    SH(f, i, sh_name, name);
    SH(f, i, sh_type, type);
    SH(f, i, sh_flags, flags);
    SH(f, i, sh_addr, (flags & SHF_ALLOC) ? offset : 0); /* the image loads at vaddr == offset */
    SH(f, i, sh_offset, offset);
    SH(f, i, sh_size, size);
    SH(f, i, sh_link, link);
    SH(f, i, sh_addralign, 1);
    SH(f, i, sh_entsize, entsize);
}

/* ET_DYN with: .text; .dynsym {undefined printf, main, probe_fn}; .symtab {local_only};
 * .shstrtab; a .bss (named bss_name) that extends past the file; PT_PHDR + two PT_LOADs. */
static void build_fake(fake_elf *f, int bits, const char *bss_name)
{
    memset(f, 0, sizeof *f);
    f->bits = bits;
    size_t ehs = bits == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    size_t phs = bits == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    size_t shs = bits == 64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    size_t syms = bits == 64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
    size_t off = ehs;
    f->phoff = off;
    off += FAKE_NPHDR * phs;
    static const uint8_t code[16] = {0x31, 0xc0, 0xc3, 0x90, 0x90, 0x90, 0x90, 0x90,
                                     0x8d, 0x47, 0x01, 0xc3, 0x90, 0x90, 0x90, 0x90};
    f->text = append(f, &off, code, sizeof code);
    static const char dynstr[] = "\0printf\0main\0probe_fn"; /* 1, 8, 13 */
    size_t dynstr_off = append(f, &off, dynstr, sizeof dynstr);
    static const char strtab[] = "\0local_only"; /* 1 */
    size_t strtab_off = append(f, &off, strtab, sizeof strtab);
    static const char names[] = "\0.text\0.dynsym\0.dynstr\0.symtab\0.strtab\0.shstrtab";
    /* offsets:                  1      7        15       23       31       39 */
    f->shstrtab = append(f, &off, names, sizeof names);
    size_t bss_name_at = append(f, &off, bss_name, strlen(bss_name) + 1) - f->shstrtab;
    f->shstrtab_size = off - f->shstrtab;

    off = align8(off);
    f->dynsym = off;
    off += 4 * syms;
    fake_symbol(f, f->dynsym, 1, 1, 0, SHN_UNDEF);
    fake_symbol(f, f->dynsym, 2, 8, f->text, S_TEXT);
    fake_symbol(f, f->dynsym, 3, 13, f->text + 8, S_TEXT);
    f->symtab = off;
    off += 2 * syms;
    fake_symbol(f, f->symtab, 1, 1, f->text + 4, S_TEXT);

    f->shoff = off = align8(off);
    off += FAKE_NSECT * shs;
    f->len = off;

    memcpy(f->b, ELFMAG, SELFMAG);
    f->b[EI_CLASS] = bits == 64 ? ELFCLASS64 : ELFCLASS32;
    f->b[EI_DATA] = ELFDATA2LSB;
    f->b[EI_VERSION] = EV_CURRENT;
    EH(f, e_type, ET_DYN);
    EH(f, e_machine, bits == 64 ? EM_X86_64 : EM_386);
    EH(f, e_version, EV_CURRENT);
    EH(f, e_phoff, f->phoff);
    EH(f, e_shoff, f->shoff);
    EH(f, e_ehsize, ehs);
    EH(f, e_phentsize, phs);
    EH(f, e_phnum, FAKE_NPHDR);
    EH(f, e_shentsize, shs);
    EH(f, e_shnum, FAKE_NSECT);
    EH(f, e_shstrndx, FAKE_SHSTRNDX);

    PH(f, 0, p_type, PT_PHDR);
    PH(f, 0, p_offset, f->phoff);
    PH(f, 0, p_filesz, FAKE_NPHDR * phs);
    PH(f, 1, p_type, PT_LOAD);
    PH(f, 1, p_flags, PF_R | PF_X);
    PH(f, 1, p_filesz, f->len);
    PH(f, 1, p_memsz, f->len);
    PH(f, 1, p_align, 0x1000);
    PH(f, 2, p_type, PT_LOAD);
    PH(f, 2, p_flags, PF_R | PF_W);
    PH(f, 2, p_offset, f->text);
    PH(f, 2, p_vaddr, 0x2000 + f->text);
    PH(f, 2, p_filesz, 16);
    PH(f, 2, p_memsz, 0x3000);
    PH(f, 2, p_align, 0x1000);

    fake_section(f, S_TEXT, 1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, f->text, 16, 0, 0);
    fake_section(f, S_DYNSYM, 7, SHT_DYNSYM, SHF_ALLOC, f->dynsym, 4 * syms, S_DYNSTR, syms);
    fake_section(f, S_DYNSTR, 15, SHT_STRTAB, SHF_ALLOC, dynstr_off, sizeof dynstr, 0, 0);
    fake_section(f, S_SYMTAB, 23, SHT_SYMTAB, 0, f->symtab, 2 * syms, S_STRTAB, syms);
    fake_section(f, S_STRTAB, 31, SHT_STRTAB, 0, strtab_off, sizeof strtab, 0, 0);
    fake_section(f, S_SHSTRTAB, 39, SHT_STRTAB, 0, f->shstrtab, f->shstrtab_size, 0, 0);
    fake_section(f, S_BSS, (uint32_t)bss_name_at, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0x100000,
                 0x10000, 0, 0);
}

static bool parse_fake(const fake_elf *f, vm_elf *e, char *err, size_t errlen)
{
    return parse_buffer(f->b, f->len, f->len, e, err, errlen);
}

/* The image must be rejected with a message containing want. */
static void expect_error(const fake_elf *f, const char *want)
{
    vm_elf e;
    char err[256] = "";
    bool ok = parse_fake(f, &e, err, sizeof err);
    if (ok || !strstr(err, want))
        fail_msg("expected an error containing \"%s\", got %s \"%s\"", want,
                 ok ? "success" : "error", err);
    assert_null(e.sections);
    assert_null(e.loads);
}

/* ---- Hand-built images ---- */

static void check_fake(int bits)
{
    fake_elf f;
    build_fake(&f, bits, ".bss");
    vm_elf e;
    char err[256] = "";
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_int_equal(e.bits, bits);
    assert_int_equal(e.type, ET_DYN);
    assert_int_equal(e.machine, bits == 64 ? EM_X86_64 : EM_386);
    assert_int_equal(e.nsections, FAKE_NSECT);
    static const char *const names[FAKE_NSECT] = {"", ".text", ".dynsym", ".dynstr", ".symtab",
                                                  ".strtab", ".shstrtab", ".bss"};
    for (int i = 0; i < FAKE_NSECT; i++)
        assert_string_equal(e.sections[i].name, names[i]);
    const vm_elf_section *text = &e.sections[S_TEXT];
    assert_int_equal(text->type, SHT_PROGBITS);
    assert_int_equal(text->flags, SHF_ALLOC | SHF_EXECINSTR);
    assert_int_equal(text->offset, f.text);
    assert_int_equal(text->addr, f.text);
    assert_int_equal(text->size, 16);
    assert_int_equal(e.sections[S_BSS].type, SHT_NOBITS);
    assert_int_equal(e.sections[S_BSS].size, 0x10000);

    assert_int_equal(e.nloads, 2); /* PT_PHDR is not a load */
    assert_int_equal(e.loads[0].flags, PF_R | PF_X);
    assert_int_equal(e.loads[0].filesz, f.len);
    assert_int_equal(e.loads[1].offset, f.text);
    assert_int_equal(e.loads[1].vaddr, 0x2000 + f.text);
    assert_int_equal(e.loads[1].memsz, 0x3000);
    assert_int_equal(e.loads[1].align, 0x1000);

    uint64_t v = 0, size = 0;
    vm_buffer_reader br = {.base = 0, .data = f.b, .len = f.len};
    vm_memreader r = vm_buffer_reader_make(&br);
    assert_true(vm_elf_find_symbol(&r, &e, "main", &v, &size));
    assert_int_equal(v, f.text);
    assert_int_equal(size, 8);
    assert_true(vm_elf_find_symbol(&r, &e, "probe_fn", &v, NULL));
    assert_int_equal(v, f.text + 8);
    assert_true(vm_elf_find_symbol(&r, &e, "local_only", &v, NULL)); /* from .symtab */
    assert_int_equal(v, f.text + 4);
    assert_false(vm_elf_find_symbol(&r, &e, "printf", &v, NULL)); /* undefined: an import */
    assert_false(vm_elf_find_symbol(&r, &e, "mai", &v, NULL));
    assert_false(vm_elf_find_symbol(&r, &e, "main2", &v, NULL));
    assert_false(vm_elf_find_symbol(&r, &e, "", &v, NULL));
    vm_elf_free(&e);
    vm_elf_free(&e); /* idempotent */
}

static void test_fake_elf64(void **state)
{
    check_fake(64);
}

static void test_fake_elf32(void **state)
{
    check_fake(32);
}

static void test_long_section_name_truncated(void **state)
{
    char longname[101];
    memset(longname, 'x', 100);
    longname[0] = '.';
    longname[100] = '\0';
    fake_elf f;
    build_fake(&f, 64, longname);
    vm_elf e;
    char err[256] = "";
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_int_equal(strlen(e.sections[S_BSS].name), 63);
    assert_memory_equal(e.sections[S_BSS].name, longname, 63);
    vm_elf_free(&e);
}

static void test_not_elf(void **state)
{
    vm_elf e;
    char err[256];
    assert_false(parse_buffer(NULL, 0, 0, &e, err, sizeof err));
    assert_string_equal(err, "not an ELF file");
    assert_false(parse_buffer((const uint8_t *)"#!/bin/sh\n", 10, 10, &e, err, sizeof err));
    assert_string_equal(err, "not an ELF file");
    assert_false(parse_buffer((const uint8_t *)"\177ELF\2\1", 6, 6, &e, err, sizeof err));
    assert_non_null(strstr(err, "truncated ELF header"));

    fake_elf f;
    build_fake(&f, 64, ".bss");
    f.b[EI_DATA] = ELFDATA2MSB;
    expect_error(&f, "big-endian ELF files are not supported");
    build_fake(&f, 64, ".bss");
    f.b[EI_CLASS] = 3;
    expect_error(&f, "unsupported ELF class 3");
    build_fake(&f, 64, ".bss");
    f.b[EI_VERSION] = 0;
    expect_error(&f, "unsupported ELF version 0");
    build_fake(&f, 64, ".bss");
    EH(&f, e_ehsize, 40);
    expect_error(&f, "e_ehsize 40 is smaller than 64");
    /* A NULL error buffer is allowed. */
    assert_false(parse_buffer(NULL, 0, 0, &e, NULL, 0));
}

static void test_section_table_bounds(void **state)
{
    fake_elf f;
    char want[200];
    build_fake(&f, 64, ".bss");
    EH(&f, e_shnum, 0xfeff);
    snprintf(want, sizeof want,
             "section header table out of bounds (offset 0x%zx, 65279 entries of 64 bytes, "
             "file is %zu bytes)",
             f.shoff, f.len);
    expect_error(&f, want);

    build_fake(&f, 64, ".bss");
    EH(&f, e_shoff, f.len + 100);
    expect_error(&f, "section header table out of bounds");
    build_fake(&f, 64, ".bss");
    EH(&f, e_shoff, UINT64_MAX - 10); /* offset + size wraps past 2^64 */
    expect_error(&f, "section header table out of bounds");
    build_fake(&f, 32, ".bss");
    EH(&f, e_shoff, UINT32_MAX);
    expect_error(&f, "section header table out of bounds");

    build_fake(&f, 64, ".bss");
    EH(&f, e_shentsize, 10);
    expect_error(&f, "e_shentsize 10 is smaller than 64");
    build_fake(&f, 32, ".bss");
    EH(&f, e_shentsize, 39);
    expect_error(&f, "e_shentsize 39 is smaller than 40");
}

static void test_larger_entries_are_skipped_over(void **state)
{
    /* e_shentsize bigger than the structure is legal: the parser strides by it.  Rebuild the
     * table with 100-byte entries by moving each 64-byte header. */
    fake_elf f;
    build_fake(&f, 64, ".bss");
    uint8_t table[FAKE_NSECT * sizeof(Elf64_Shdr)];
    memcpy(table, f.b + f.shoff, sizeof table);
    memset(f.b + f.shoff, 0xee, FAKE_NSECT * 100);
    for (int i = 0; i < FAKE_NSECT; i++)
        memcpy(f.b + f.shoff + (size_t)i * 100, table + i * sizeof(Elf64_Shdr),
               sizeof(Elf64_Shdr));
    f.len = f.shoff + FAKE_NSECT * 100;
    EH(&f, e_shentsize, 100);
    PH(&f, 1, p_filesz, f.len);
    PH(&f, 1, p_memsz, f.len);
    vm_elf e;
    char err[256] = "";
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_string_equal(e.sections[S_BSS].name, ".bss");
    uint64_t v;
    assert_true(find_in_buffer(f.b, f.len, &e, "probe_fn", &v));
    vm_elf_free(&e);

    /* Entries far larger than any read buffer the parser uses: 8 headers 5000 bytes apart. */
    enum { STRIDE = 5000 };
    size_t big_len = f.shoff + FAKE_NSECT * STRIDE;
    uint8_t *big = calloc(1, big_len);
    assert_non_null(big);
    build_fake(&f, 64, ".bss");
    memcpy(big, f.b, f.shoff);
    for (int i = 0; i < FAKE_NSECT; i++)
        memcpy(big + f.shoff + (size_t)i * STRIDE, f.b + f.shoff + i * sizeof(Elf64_Shdr),
               sizeof(Elf64_Shdr));
    put_le(big, offsetof(Elf64_Ehdr, e_shentsize), 2, STRIDE);
    assert_true(parse_buffer(big, big_len, big_len, &e, err, sizeof err));
    assert_int_equal(e.nsections, FAKE_NSECT);
    assert_string_equal(e.sections[S_SHSTRTAB].name, ".shstrtab");
    assert_true(find_in_buffer(big, big_len, &e, "local_only", &v));
    vm_elf_free(&e);
    free(big);
}

static void test_shstrndx(void **state)
{
    fake_elf f;
    build_fake(&f, 64, ".bss");
    EH(&f, e_shstrndx, 50);
    expect_error(&f, "section name string table index 50 out of range (8 sections)");

    build_fake(&f, 64, ".bss");
    EH(&f, e_shstrndx, SHN_UNDEF); /* no names at all: legal, names stay empty */
    vm_elf e;
    char err[256] = "";
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_string_equal(e.sections[S_TEXT].name, "");
    vm_elf_free(&e);

    build_fake(&f, 64, ".bss");
    SH(&f, S_SHSTRTAB, sh_type, SHT_NOBITS);
    expect_error(&f, "has no data in the file");
    build_fake(&f, 64, ".bss");
    SH(&f, S_SHSTRTAB, sh_size, 1u << 30);
    expect_error(&f, "section name string table out of bounds");
}

static void test_names_must_be_terminated(void **state)
{
    fake_elf f;
    build_fake(&f, 64, ".bss");
    /* Cut the table's final NUL: ".bss" now runs off its end. */
    SH(&f, S_SHSTRTAB, sh_size, f.shstrtab_size - 1);
    expect_error(&f, "section 7 name (offset 49) is not NUL-terminated");

    build_fake(&f, 64, ".bss");
    SH(&f, S_TEXT, sh_name, f.shstrtab_size);
    expect_error(&f, "section 1 name offset 54 is outside the section name string table");
    build_fake(&f, 64, ".bss");
    SH(&f, S_TEXT, sh_name, UINT32_MAX);
    expect_error(&f, "is outside the section name string table");
}

static void test_section_bounds(void **state)
{
    fake_elf f;
    build_fake(&f, 64, ".bss");
    SH(&f, S_TEXT, sh_offset, UINT64_MAX - 4); /* offset + size overflows 2^64 */
    expect_error(&f, "section 1 (.text) out of bounds (offset 0xfffffffffffffffb, 16 bytes");
    build_fake(&f, 64, ".bss");
    SH(&f, S_DYNSTR, sh_size, UINT64_MAX);
    expect_error(&f, "section 3 (.dynstr) out of bounds");
    build_fake(&f, 32, ".bss");
    SH(&f, S_TEXT, sh_offset, UINT32_MAX);
    expect_error(&f, "section 1 (.text) out of bounds");
}

static void test_extended_numbering(void **state)
{
    fake_elf f;
    vm_elf e;
    char err[256] = "";
    /* Legal SHN_XINDEX use: count in section 0's sh_size, name table index in its sh_link. */
    build_fake(&f, 64, ".bss");
    EH(&f, e_shnum, 0);
    EH(&f, e_shstrndx, SHN_XINDEX);
    SH(&f, 0, sh_size, FAKE_NSECT);
    SH(&f, 0, sh_link, FAKE_SHSTRNDX);
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_int_equal(e.nsections, FAKE_NSECT);
    assert_string_equal(e.sections[S_TEXT].name, ".text");
    assert_int_equal(e.sections[0].size, FAKE_NSECT); /* section 0 keeps its escape value */
    vm_elf_free(&e);

    /* PN_XNUM: program header count in section 0's sh_info. */
    build_fake(&f, 32, ".bss");
    EH(&f, e_phnum, PN_XNUM);
    SH(&f, 0, sh_info, FAKE_NPHDR);
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_int_equal(e.nloads, 2);
    vm_elf_free(&e);

    /* Bogus counts. */
    build_fake(&f, 64, ".bss");
    EH(&f, e_shnum, 0);
    SH(&f, 0, sh_size, UINT64_MAX);
    expect_error(&f, "too many sections (18446744073709551615, limit 65535)");
    build_fake(&f, 64, ".bss");
    EH(&f, e_shnum, 0);
    SH(&f, 0, sh_size, 5000);
    expect_error(&f, "section header table out of bounds");
    build_fake(&f, 64, ".bss");
    EH(&f, e_shstrndx, SHN_XINDEX);
    SH(&f, 0, sh_link, 9999);
    expect_error(&f, "section name string table index 9999 out of range");
    build_fake(&f, 64, ".bss");
    EH(&f, e_phnum, PN_XNUM);
    SH(&f, 0, sh_info, 1000000);
    expect_error(&f, "too many program headers");
    build_fake(&f, 64, ".bss");
    EH(&f, e_phnum, PN_XNUM);
    EH(&f, e_shoff, 0);
    EH(&f, e_shnum, 0);
    expect_error(&f, "PN_XNUM");
}

static void test_program_headers(void **state)
{
    fake_elf f;
    build_fake(&f, 64, ".bss");
    EH(&f, e_phentsize, 8);
    expect_error(&f, "e_phentsize 8 is smaller than 56");
    build_fake(&f, 64, ".bss");
    EH(&f, e_phoff, UINT64_MAX - 8);
    expect_error(&f, "program header table out of bounds");
    build_fake(&f, 64, ".bss");
    PH(&f, 2, p_filesz, UINT64_MAX);
    expect_error(&f, "PT_LOAD segment (program header 2) out of bounds");
    build_fake(&f, 64, ".bss");
    PH(&f, 2, p_vaddr, UINT64_MAX - 100);
    expect_error(&f, "wraps around the address space");

    /* No section header table at all (sections stripped): segments still parse. */
    build_fake(&f, 64, ".bss");
    EH(&f, e_shoff, 0);
    EH(&f, e_shnum, 0);
    EH(&f, e_shstrndx, 0);
    vm_elf e;
    char err[256] = "";
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_int_equal(e.nsections, 0);
    assert_int_equal(e.nloads, 2);
    uint64_t v;
    assert_false(find_in_buffer(f.b, f.len, &e, "main", &v));
    vm_elf_free(&e);
}

static void test_bad_symbol_tables(void **state)
{
    fake_elf f;
    vm_elf e;
    char err[256] = "";
    uint64_t v;
    /* entsize 0: .dynsym is ignored (the parse still succeeds), .symtab still answers. */
    build_fake(&f, 64, ".bss");
    SH(&f, S_DYNSYM, sh_entsize, 0);
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_false(find_in_buffer(f.b, f.len, &e, "main", &v));
    assert_true(find_in_buffer(f.b, f.len, &e, "local_only", &v));
    vm_elf_free(&e);

    /* String table link out of range, or not a string table. */
    build_fake(&f, 64, ".bss");
    SH(&f, S_DYNSYM, sh_link, 200);
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_false(find_in_buffer(f.b, f.len, &e, "main", &v));
    vm_elf_free(&e);
    build_fake(&f, 32, ".bss");
    SH(&f, S_DYNSYM, sh_link, S_BSS);
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_false(find_in_buffer(f.b, f.len, &e, "main", &v));
    vm_elf_free(&e);

    /* Symbol name offsets past the string table, and a string table without its final NUL. */
    build_fake(&f, 64, ".bss");
    SYM(&f, f.dynsym, 2, st_name, 0xfffffff0u);
    SH(&f, S_DYNSTR, sh_size, 21); /* "probe_fn" loses its NUL */
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_false(find_in_buffer(f.b, f.len, &e, "main", &v));
    assert_false(find_in_buffer(f.b, f.len, &e, "probe_fn", &v));
    assert_false(find_in_buffer(f.b, f.len, &e, "probe_f", &v));
    vm_elf_free(&e);

    /* A lookup with a reader that has fewer bytes than the parse saw fails quietly. */
    build_fake(&f, 64, ".bss");
    assert_true(parse_fake(&f, &e, err, sizeof err));
    assert_false(find_in_buffer(f.b, f.dynsym + 10, &e, "main", &v));
    vm_elf_free(&e);

    /* A hand-made vm_elf with nonsense fields. */
    vm_elf bogus = {.bits = 64, .dynsym_off = UINT64_MAX - 3, .dynsym_size = UINT64_MAX,
                    .dynstr_off = UINT64_MAX, .dynstr_size = 10};
    assert_false(find_in_buffer(f.b, f.len, &bogus, "main", &v));
    bogus.bits = 7;
    assert_false(find_in_buffer(f.b, f.len, &bogus, "main", &v));
}

/* Every prefix of the image, with the true size and with an exaggerated one (so reads fail
 * after the bounds checks passed): a result and a message, never a crash. */
static void check_all_prefixes(const uint8_t *data, size_t len, size_t step)
{
    for (size_t n = 0;; n += step) {
        if (n > len)
            n = len;
        for (int lie = 0; lie < 2; lie++) {
            vm_elf e;
            char err[256] = "";
            uint64_t claimed = lie ? len : n;
            bool ok = parse_buffer(data, n, claimed, &e, err, sizeof err);
            if (ok) {
                uint64_t v;
                find_in_buffer(data, n, &e, "main", &v);
                find_in_buffer(data, n, &e, "probe_fn", &v);
                vm_elf_load_bias(&e, 0x10000, 0, 4096, &v);
                vm_elf_free(&e);
            } else if (err[0] == '\0') {
                fail_msg("prefix of %zu bytes (file size %llu): false without a message", n,
                         (unsigned long long)claimed);
            }
        }
        if (n == len)
            break;
    }
}

static void test_truncated_fake(void **state)
{
    for (int bits = 32; bits <= 64; bits += 32) {
        fake_elf f;
        build_fake(&f, bits, ".bss");
        check_all_prefixes(f.b, f.len, 1);
        /* A prefix that ends inside the section headers is rejected with a specific message. */
        vm_elf e;
        char err[256];
        assert_false(parse_buffer(f.b, f.len - 1, f.len - 1, &e, err, sizeof err));
        assert_non_null(strstr(err, "section header table out of bounds"));
    }
}

/* Deterministic random byte changes: cheap enough for valgrind, complements the fuzzer. */
static void test_mutations(void **state)
{
    uint32_t rng = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        fake_elf f;
        build_fake(&f, iter % 2 ? 32 : 64, ".bss");
        int changes = 1 + iter % 4;
        for (int k = 0; k < changes; k++) {
            rng = rng * 1103515245u + 12345u;
            size_t at = (rng >> 8) % f.len;
            rng = rng * 1103515245u + 12345u;
            f.b[at] = (uint8_t)(rng >> 16);
        }
        vm_elf e;
        char err[256] = "";
        if (parse_fake(&f, &e, err, sizeof err)) {
            uint64_t v;
            find_in_buffer(f.b, f.len, &e, "main", &v);
            find_in_buffer(f.b, f.len, &e, "local_only", &v);
            vm_elf_free(&e);
        } else {
            assert_true(err[0] != '\0');
        }
    }
}

/* ---- Load bias ---- */

static void test_load_bias(void **state)
{
    uint64_t bias = 0;
    /* Modern layout (-z separate-code): text starts on its own pages; the data segment
     * (offset 0x2df8) shares the file page 0x2000 with .rodata's segment, as in most small
     * binaries. */
    vm_elf_segment modern[] = {
        {.vaddr = 0, .offset = 0, .filesz = 0x560, .memsz = 0x560},
        {.vaddr = 0x1000, .offset = 0x1000, .filesz = 0x151, .memsz = 0x151},
        {.vaddr = 0x2000, .offset = 0x2000, .filesz = 0xd4, .memsz = 0xd4},
        {.vaddr = 0x3df8, .offset = 0x2df8, .filesz = 0x228, .memsz = 0x1230},
    };
    vm_elf e = {.bits = 64, .loads = modern, .nloads = 4};
    assert_true(vm_elf_load_bias(&e, 0x7f0000000000, 0, 4096, &bias));
    assert_int_equal(bias, 0x7f0000000000);
    assert_true(vm_elf_load_bias(&e, 0x7f0000001000, 0x1000, 4096, &bias));
    assert_int_equal(bias, 0x7f0000000000);
    assert_true(vm_elf_load_bias(&e, 0x7f0000002000, 0x2000, 4096, &bias));
    assert_int_equal(bias, 0x7f0000000000);
    /* The data segment's mapping also has file offset 0x2000: the documented tie rule (first
     * PT_LOAD in file order) cannot tell it from .rodata's, which is why callers pass the
     * mapping at offset 0. */
    assert_true(vm_elf_load_bias(&e, 0x7f0000003000, 0x2000, 4096, &bias));
    assert_int_equal(bias, 0x7f0000001000);
    assert_false(vm_elf_load_bias(&e, 0x7f0000004000, 0x4000, 4096, &bias));
    assert_false(vm_elf_load_bias(&e, 0x7f0000000000, 0, 0, &bias));
    assert_false(vm_elf_load_bias(&e, 0x7f0000000000, 0, 3000, &bias));

    /* Old layout: text [0, 0x1234) and data at offset 0x1e10 share the page at 0x1000; a
     * mapping that starts at file offset 0x1000 is the data segment's. */
    vm_elf_segment old[] = {
        {.vaddr = 0x400000, .offset = 0, .filesz = 0x1234, .memsz = 0x1234},
        {.vaddr = 0x601e10, .offset = 0x1e10, .filesz = 0x300, .memsz = 0x400},
    };
    vm_elf o = {.bits = 64, .loads = old, .nloads = 2};
    assert_true(vm_elf_load_bias(&o, 0x400000, 0, 4096, &bias));
    assert_int_equal(bias, 0);
    assert_true(vm_elf_load_bias(&o, 0x601000, 0x1000, 4096, &bias));
    assert_int_equal(bias, 0);

    /* Segments without file bytes never match; a segment built by hand near 2^64 is safe. */
    vm_elf_segment odd[] = {
        {.vaddr = 0x1000, .offset = 0x1000, .filesz = 0, .memsz = 0x1000},
        {.vaddr = 0, .offset = UINT64_MAX - 10, .filesz = UINT64_MAX, .memsz = 1},
    };
    vm_elf d = {.bits = 64, .loads = odd, .nloads = 2};
    assert_false(vm_elf_load_bias(&d, 0x1000, 0x1000, 4096, &bias));
    assert_true(vm_elf_load_bias(&d, 0x5000, UINT64_MAX - 4095, 4096, &bias));
    assert_false(vm_elf_load_bias(NULL, 0, 0, 4096, &bias));
}

/* ---- The file reader ---- */

static char g_dir[64]; /* scratch directory for this run, "" until created */

static void test_file_reader(void **state)
{
    vm_file_reader fr;
    char err[256] = "";
    assert_false(vm_file_reader_open(&fr, "/nonexistent/vmmap-test", err, sizeof err));
    assert_non_null(strstr(err, "cannot open /nonexistent/vmmap-test: No such file"));
    assert_int_equal(fr.fd, -1);
    vm_file_reader_close(&fr); /* harmless after a failed open */
    assert_false(vm_file_reader_open(&fr, "/", err, sizeof err));
    assert_non_null(strstr(err, "Is a directory"));

    char path[128];
    snprintf(path, sizeof path, "%s/ten.bin", g_dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite("0123456789", 1, 10, fp);
    fclose(fp);
    assert_true(vm_file_reader_open(&fr, path, err, sizeof err));
    assert_int_equal(fr.size, 10);
    vm_memreader r = vm_file_reader_make(&fr);
    char buf[32] = "";
    assert_int_equal(r.read(r.ctx, 2, buf, 4), 4);
    assert_memory_equal(buf, "2345", 4);
    assert_int_equal(r.read(r.ctx, 6, buf, sizeof buf), 4); /* past EOF: the prefix */
    assert_memory_equal(buf, "6789", 4);
    assert_int_equal(r.read(r.ctx, 10, buf, 1), 0);
    assert_int_equal(r.read(r.ctx, UINT64_MAX - 1, buf, 8), 0);
    assert_int_equal(r.read(r.ctx, (uint64_t)INT64_MAX, buf, 8), 0);
    assert_false(vm_read_exact(&r, 8, buf, 4));
    vm_file_reader_close(&fr);
    assert_int_equal(fr.fd, -1);
    unlink(path);
}

/* ---- Real binaries ---- */

static const char probe_src[] =
    "int probe_fn(int x) { return x * 3 + 1; }\n"
    "const char probe_ro[] = \"vmmap ELF test read-only string\";\n"
    "int probe_data = 42;\n"
    "int probe_bss[1000];\n"
    "const char *const probe_relro = probe_ro;\n";

static bool g_have_cc;
static char g_probe[128];   /* libprobe.so, "" if it could not be built */
static char g_probe32[128]; /* the 32-bit build (shared object or, failing that, object) */

static bool run(const char *cmd)
{
    return system(cmd) == 0;
}

static int group_setup(void **state)
{
    strcpy(g_dir, "/tmp/vmmap-test-elf-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/probe.c", g_dir);
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fputs(probe_src, fp);
    fclose(fp);
    g_have_cc = run("cc --version >/dev/null 2>&1");
    if (!g_have_cc)
        return 0;
    snprintf(cmd, sizeof cmd, "cd %s && cc -shared -fPIC -O1 -o libprobe.so probe.c", g_dir);
    if (run(cmd))
        snprintf(g_probe, sizeof g_probe, "%s/libprobe.so", g_dir);
    snprintf(cmd, sizeof cmd,
             "cd %s && cc -m32 -shared -fPIC -nostdlib -O1 -o libprobe32.so probe.c 2>/dev/null",
             g_dir);
    if (run(cmd)) {
        snprintf(g_probe32, sizeof g_probe32, "%s/libprobe32.so", g_dir);
    } else {
        snprintf(cmd, sizeof cmd, "cd %s && cc -m32 -c -O1 -o probe32.o probe.c 2>/dev/null",
                 g_dir);
        if (run(cmd))
            snprintf(g_probe32, sizeof g_probe32, "%s/probe32.o", g_dir);
    }
    return 0;
}

static int group_teardown(void **state)
{
    if (!g_dir[0])
        return 0;
    static const char *const files[] = {"probe.c", "libprobe.so", "libprobe32.so", "probe32.o"};
    char path[160];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", g_dir, files[i]);
        unlink(path);
    }
    rmdir(g_dir);
    return 0;
}

/* Opens and parses path; fails the test with the parser's message if it cannot. */
static void open_and_parse(const char *path, vm_file_reader *fr, vm_memreader *r, vm_elf *e)
{
    char err[256] = "";
    if (!vm_file_reader_open(fr, path, err, sizeof err))
        fail_msg("%s", err);
    *r = vm_file_reader_make(fr);
    if (!vm_elf_parse(r, fr->size, e, err, sizeof err))
        fail_msg("%s: %s", path, err);
}

/* Start address of the mapping of path at file offset 0 in /proc/self/maps. */
static bool find_mapping(const char *path, uint64_t *start)
{
    FILE *fp = fopen("/proc/self/maps", "r");
    if (!fp)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, fp)) {
        unsigned long long lo, hi, off;
        int name_at = 0;
        if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &lo, &hi, &off, &name_at) < 3 ||
            name_at == 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        if (off == 0 && strcmp(line + name_at, path) == 0) {
            *start = lo;
            found = true;
        }
    }
    fclose(fp);
    return found;
}

/* Path of the first mapped file whose base name starts with prefix. */
static bool find_mapped_file(const char *prefix, char *out, size_t outlen)
{
    FILE *fp = fopen("/proc/self/maps", "r");
    if (!fp)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        const char *path = strchr(line, '/');
        const char *base = path ? strrchr(path, '/') + 1 : NULL;
        if (base && strncmp(base, prefix, strlen(prefix)) == 0 && strlen(path) < outlen) {
            strcpy(out, path);
            found = true;
        }
    }
    fclose(fp);
    return found;
}

/* addr lies in section name, moved by bias. */
static void assert_in_section(const vm_elf *e, uint64_t bias, uintptr_t addr, const char *name)
{
    const vm_elf_section *s = find_section(e, name);
    if (!s)
        fail_msg("no section %s", name);
    uint64_t lo = bias + s->addr;
    if (addr < lo || addr - lo >= s->size)
        fail_msg("0x%llx is not in %s [0x%llx, +0x%llx)", (unsigned long long)addr, name,
                 (unsigned long long)lo, (unsigned long long)s->size);
}

static void test_probe_library(void **state)
{
    if (!g_probe[0]) {
        print_message("skipped: %s\n", g_have_cc ? "cc could not build libprobe.so"
                                                 : "no C compiler (cc) on PATH");
        skip();
    }
    char real[PATH_MAX];
    assert_non_null(realpath(g_probe, real));
    void *h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail_msg("dlopen: %s", dlerror());

    vm_file_reader fr;
    vm_memreader r;
    vm_elf e;
    open_and_parse(real, &fr, &r, &e);
    assert_int_equal(e.bits, 64);
    assert_int_equal(e.type, ET_DYN);
    assert_true(e.nloads >= 2);

    uint64_t start = 0, bias = 0;
    assert_true(find_mapping(real, &start));
    assert_true(vm_elf_load_bias(&e, start, 0, (uint64_t)sysconf(_SC_PAGESIZE), &bias));

    static const struct {
        const char *symbol, *section;
    } want[] = {
        {"probe_fn", ".text"},  {"probe_ro", ".rodata"},         {"probe_data", ".data"},
        {"probe_bss", ".bss"}, {"probe_relro", ".data.rel.ro"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        void *addr = dlsym(h, want[i].symbol);
        if (!addr)
            fail_msg("dlsym %s: %s", want[i].symbol, dlerror());
        assert_in_section(&e, bias, (uintptr_t)addr, want[i].section);
        uint64_t value = 0, size = 0;
        if (!vm_elf_find_symbol(&r, &e, want[i].symbol, &value, &size))
            fail_msg("vm_elf_find_symbol did not find %s", want[i].symbol);
        assert_int_equal(value + bias, (uintptr_t)addr);
    }
    uint64_t size = 0, value;
    assert_true(vm_elf_find_symbol(&r, &e, "probe_bss", &value, &size));
    assert_int_equal(size, sizeof(int) * 1000);
    assert_int_equal(*(const int *)dlsym(h, "probe_data"), 42);

    vm_elf_free(&e);
    vm_file_reader_close(&fr);
    dlclose(h);
}

static void test_probe_32bit(void **state)
{
    if (!g_probe32[0]) {
        print_message("skipped: %s\n", g_have_cc ? "cc -m32 is not available"
                                                 : "no C compiler (cc) on PATH");
        skip();
    }
    vm_file_reader fr;
    vm_memreader r;
    vm_elf e;
    open_and_parse(g_probe32, &fr, &r, &e);
    assert_int_equal(e.bits, 32);
    assert_int_equal(e.machine, EM_386);
    static const char *const names[] = {".text", ".rodata", ".data", ".bss"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!find_section(&e, names[i]))
            fail_msg("%s has no %s section", g_probe32, names[i]);
    bool shared = strstr(g_probe32, ".so") != NULL;
    if (shared) {
        assert_int_equal(e.type, ET_DYN);
        assert_true(e.nloads >= 1);
        assert_non_null(find_section(&e, ".dynsym"));
        assert_non_null(find_section(&e, ".data.rel.ro"));
    }
    uint64_t value = 0;
    assert_true(vm_elf_find_symbol(&r, &e, "probe_fn", &value, NULL));
    if (shared) {
        const vm_elf_section *text = find_section(&e, ".text");
        assert_true(value >= text->addr && value - text->addr < text->size);
    }
    vm_elf_free(&e);
    vm_file_reader_close(&fr);
}

/* Read a whole (small) file into memory for the truncation test. */
static uint8_t *slurp(const char *path, size_t *len)
{
    vm_file_reader fr;
    char err[256];
    if (!vm_file_reader_open(&fr, path, err, sizeof err))
        return NULL;
    uint8_t *buf = malloc(fr.size ? (size_t)fr.size : 1);
    vm_memreader r = vm_file_reader_make(&fr);
    if (buf && !vm_read_exact(&r, 0, buf, (size_t)fr.size)) {
        free(buf);
        buf = NULL;
    }
    *len = (size_t)fr.size;
    vm_file_reader_close(&fr);
    return buf;
}

static void test_truncated_probe(void **state)
{
    if (!g_probe[0]) {
        print_message("skipped: libprobe.so was not built\n");
        skip();
    }
    size_t len = 0;
    uint8_t *data = slurp(g_probe, &len);
    assert_non_null(data);
    assert_true(len > 1000);
    check_all_prefixes(data, 200, 1);                   /* every length through the headers */
    check_all_prefixes(data, len, len / 200 ? len / 200 : 1); /* ~200 lengths over the file */
    /* The whole file parses and answers from a buffer too. */
    vm_elf e;
    char err[256] = "";
    assert_true(parse_buffer(data, len, len, &e, err, sizeof err));
    uint64_t v;
    assert_true(find_in_buffer(data, len, &e, "probe_fn", &v));
    vm_elf_free(&e);
    free(data);
}

static void test_self_and_libc(void **state)
{
    vm_file_reader fr;
    vm_memreader r;
    vm_elf e;
    open_and_parse("/proc/self/exe", &fr, &r, &e);
    assert_int_equal(e.bits, (int)(sizeof(void *) * 8));
    assert_non_null(find_section(&e, ".text"));
    assert_non_null(find_section(&e, ".dynsym"));
    assert_true(e.nloads >= 1);
    vm_elf_free(&e);
    vm_file_reader_close(&fr);

    char libc[PATH_MAX];
    if (!find_mapped_file("libc.so", libc, sizeof libc) &&
        !find_mapped_file("libc-", libc, sizeof libc)) {
        print_message("skipped: no libc in /proc/self/maps (static build?)\n");
        skip();
    }
    open_and_parse(libc, &fr, &r, &e);
    assert_non_null(find_section(&e, ".text"));
    assert_non_null(find_section(&e, ".dynsym"));
    uint64_t start = 0, bias = 0, value = 0;
    assert_true(find_mapping(libc, &start));
    assert_true(vm_elf_load_bias(&e, start, 0, (uint64_t)sysconf(_SC_PAGESIZE), &bias));
    assert_true(vm_elf_find_symbol(&r, &e, "malloc", &value, NULL));
    /* &malloc could be a canonical PLT address, and under ASan the global "malloc" is the
     * sanitizer's: ask libc's own handle for libc's definition. */
    void *h = dlopen(libc, RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(h);
    void *real_malloc = dlsym(h, "malloc");
    assert_non_null(real_malloc);
    assert_int_equal(value + bias, (uintptr_t)real_malloc);
    assert_in_section(&e, bias, (uintptr_t)real_malloc, ".text");
    dlclose(h);
    vm_elf_free(&e);
    vm_file_reader_close(&fr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_elf64),
        cmocka_unit_test(test_fake_elf32),
        cmocka_unit_test(test_long_section_name_truncated),
        cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_section_table_bounds),
        cmocka_unit_test(test_larger_entries_are_skipped_over),
        cmocka_unit_test(test_shstrndx),
        cmocka_unit_test(test_names_must_be_terminated),
        cmocka_unit_test(test_section_bounds),
        cmocka_unit_test(test_extended_numbering),
        cmocka_unit_test(test_program_headers),
        cmocka_unit_test(test_bad_symbol_tables),
        cmocka_unit_test(test_truncated_fake),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_load_bias),
        cmocka_unit_test(test_file_reader),
        cmocka_unit_test(test_probe_library),
        cmocka_unit_test(test_probe_32bit),
        cmocka_unit_test(test_truncated_probe),
        cmocka_unit_test(test_self_and_libc),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
