/* PE parser tests over headers built here byte by byte from the PE/COFF specification: a
 * realistic PE32+ image (.text, .rdata, .data, .pdata, .rsrc, .reloc) and a PE32 one, their
 * sections and protections as a module sees them, and hostile variants: truncated at every
 * length, absurd counts and offsets, sections outside the image. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tests/support/synth_mem.h"
#include "vmmap/parse/pe.h"

#define LFANEW 0x80u
#define IMAGE_BASE64 UINT64_C(0x140000000)

typedef struct pe_image {
    uint8_t b[0x1000];
    size_t opt, sections, end;  /* offsets of the optional header, section table, its end */
} pe_image;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

typedef struct sec_spec {
    const char *name;
    uint32_t va, vsize, raw, ch;
} sec_spec;

static const sec_spec SECS[] = {
    {".text", 0x1000, 0x1234, 0x1400, 0x60000020},
    {".rdata", 0x3000, 0x800, 0x800, 0x40000040},
    {".data", 0x4000, 0x1800, 0x200, 0xC0000040},
    {".pdata", 0x6000, 0, 0x200, 0x40000040},     /* VirtualSize 0: SizeOfRawData counts */
    {".rsrc", 0x7000, 0x400, 0x400, 0x40000040},
    {".reloc", 0x8000, 0x100, 0x200, 0x42000040},
};
#define NSECS (sizeof SECS / sizeof SECS[0])

static void put_section(pe_image *im, size_t i, const sec_spec *s)
{
    uint8_t *p = im->b + im->sections + i * 40;
    memcpy(p, s->name, strnlen(s->name, 8));
    put32(p + 8, s->vsize);
    put32(p + 12, s->va);
    put32(p + 16, s->raw);
    put32(p + 20, 0x400 + (uint32_t)i * 0x200);
    put32(p + 36, s->ch);
}

/* A PE32+ (bits 64) or PE32 (bits 32) image with the six sections above. */
static void build(pe_image *im, int bits)
{
    memset(im, 0, sizeof *im);
    put16(im->b, 0x5A4D);
    put32(im->b + 0x3C, LFANEW);
    uint8_t *nt = im->b + LFANEW;
    put32(nt, 0x4550);
    put16(nt + 4, bits == 64 ? 0x8664 : 0x14c);
    put16(nt + 6, NSECS);
    put32(nt + 8, 0x5F5E1000);
    uint16_t opt_size = bits == 64 ? 240 : 224;
    put16(nt + 20, opt_size);
    put16(nt + 22, 0x22);
    im->opt = LFANEW + 24;
    uint8_t *o = im->b + im->opt;
    put16(o, bits == 64 ? 0x20b : 0x10b);
    put32(o + 16, 0x1010);
    if (bits == 64)
        put64(o + 24, IMAGE_BASE64);
    else
        put32(o + 28, 0x400000);
    put32(o + 32, 0x1000);
    put32(o + 36, 0x200);
    put32(o + 56, 0x9000);
    put32(o + 60, 0x400);
    put32(o + 64, 0xABCDE);
    put16(o + 68, 3);
    put16(o + 70, 0x8160);
    if (bits == 64) {
        put64(o + 72, 0x100000);
        put64(o + 80, 0x1000);
    } else {
        put32(o + 72, 0x200000);
        put32(o + 76, 0x2000);
    }
    im->sections = im->opt + opt_size;
    for (size_t i = 0; i < NSECS; i++)
        put_section(im, i, &SECS[i]);
    im->end = im->sections + NSECS * 40;
}

static bool parse_len(const pe_image *im, size_t len, uint64_t base, vm_pe *pe, char *err, size_t errlen)
{
    vm_buffer_reader br = {.base = base, .data = im->b, .len = len};
    vm_memreader r = vm_buffer_reader_make(&br);
    return vm_pe_parse(&r, base, pe, err, errlen);
}

static void expect_failure(const pe_image *im, const char *needle)
{
    vm_pe pe;
    char err[256];
    assert_false(parse_len(im, sizeof im->b, IMAGE_BASE64, &pe, err, sizeof err));
    assert_non_null(strstr(err, needle));
    assert_null(pe.sections);
}

/* ---- valid images ---- */

static void test_pe32plus_headers(void **state)
{
    (void)state;
    pe_image im;
    vm_pe pe;
    char err[256];
    build(&im, 64);
    assert_true(parse_len(&im, sizeof im.b, IMAGE_BASE64, &pe, err, sizeof err));
    assert_int_equal(pe.bits, 64);
    assert_int_equal(pe.machine, 0x8664);
    assert_int_equal(pe.characteristics, 0x22);
    assert_int_equal(pe.time_date_stamp, 0x5F5E1000);
    assert_int_equal(pe.checksum, 0xABCDE);
    assert_int_equal(pe.image_base, IMAGE_BASE64);
    assert_int_equal(pe.entry_point, 0x1010);
    assert_int_equal(pe.section_alignment, 0x1000);
    assert_int_equal(pe.file_alignment, 0x200);
    assert_int_equal(pe.size_of_image, 0x9000);
    assert_int_equal(pe.size_of_headers, 0x400);
    assert_int_equal(pe.subsystem, 3);
    assert_int_equal(pe.dll_characteristics, 0x8160);
    assert_int_equal(pe.stack_reserve, 0x100000);
    assert_int_equal(pe.stack_commit, 0x1000);
    assert_int_equal(pe.nsections, NSECS);
    for (size_t i = 0; i < NSECS; i++) {
        assert_string_equal(pe.sections[i].name, SECS[i].name);
        assert_int_equal(pe.sections[i].virtual_address, SECS[i].va);
        assert_int_equal(pe.sections[i].virtual_size, SECS[i].vsize);
        assert_int_equal(pe.sections[i].raw_size, SECS[i].raw);
        assert_int_equal(pe.sections[i].characteristics, SECS[i].ch);
    }
    vm_pe_free(&pe);
}

static void test_pe32plus_module_sections(void **state)
{
    (void)state;
    pe_image im;
    vm_pe pe;
    vm_module m = {0};
    build(&im, 64);
    assert_true(parse_len(&im, sizeof im.b, IMAGE_BASE64, &pe, NULL, 0));
    assert_true(vm_pe_add_sections(&pe, IMAGE_BASE64, &m));
    static const struct {
        const char *name;
        uint64_t rva, size;
        uint32_t prot;
    } want[] = {
        {"headers", 0, 0x1000, VM_PROT_READ},
        {".text", 0x1000, 0x2000, VM_PROT_READ | VM_PROT_EXEC},
        {".rdata", 0x3000, 0x1000, VM_PROT_READ},
        {".data", 0x4000, 0x2000, VM_PROT_READ | VM_PROT_WRITE | VM_PROT_COPY},
        {".pdata", 0x6000, 0x1000, VM_PROT_READ},
        {".rsrc", 0x7000, 0x1000, VM_PROT_READ},
        {".reloc", 0x8000, 0x1000, VM_PROT_READ},
    };
    assert_int_equal(m.nsections, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < m.nsections; i++) {
        assert_string_equal(m.sections[i].name, want[i].name);
        assert_int_equal(m.sections[i].address, IMAGE_BASE64 + want[i].rva);
        assert_int_equal(m.sections[i].size, want[i].size);
        assert_int_equal(m.sections[i].protection, want[i].prot);
        free(m.sections[i].name);
    }
    free(m.sections);
    vm_pe_free(&pe);
}

static void test_pe32(void **state)
{
    (void)state;
    pe_image im;
    vm_pe pe;
    build(&im, 32);
    /* A file read at offset 0 works the same: only the headers are read. */
    assert_true(parse_len(&im, sizeof im.b, 0, &pe, NULL, 0));
    assert_int_equal(pe.bits, 32);
    assert_int_equal(pe.machine, 0x14c);
    assert_int_equal(pe.image_base, 0x400000);
    assert_int_equal(pe.stack_reserve, 0x200000);
    assert_int_equal(pe.stack_commit, 0x2000);
    assert_int_equal(pe.checksum, 0xABCDE);
    assert_int_equal(pe.nsections, NSECS);
    assert_string_equal(pe.sections[5].name, ".reloc");
    vm_pe_free(&pe);
}

static void test_image_in_sparse_memory(void **state)
{
    (void)state;
    pe_image im;
    vm_pe pe;
    synth_mem m = {0};
    build(&im, 64);
    /* Only the header page of the image is readable, as in a minidump with modules' headers. */
    synth_map_copy(&m, IMAGE_BASE64, im.b, sizeof im.b);
    vm_memreader r = synth_reader(&m);
    assert_true(vm_pe_parse(&r, IMAGE_BASE64, &pe, NULL, 0));
    assert_int_equal(pe.nsections, NSECS);
    vm_pe_free(&pe);
    assert_false(vm_pe_parse(&r, IMAGE_BASE64 + 0x1000, &pe, NULL, 0));
    synth_free(&m);
}

/* ---- protections and names ---- */

static void test_protection_mapping(void **state)
{
    (void)state;
    assert_int_equal(vm_pe_section_protection(0), 0);
    assert_int_equal(vm_pe_section_protection(0x20000000), VM_PROT_EXEC);
    assert_int_equal(vm_pe_section_protection(0xE0000020), VM_PROT_READ | VM_PROT_WRITE | VM_PROT_COPY | VM_PROT_EXEC);
    assert_int_equal(vm_pe_section_protection(0xD0000040), VM_PROT_READ | VM_PROT_WRITE);  /* shared */
    /* COPY never comes without WRITE. */
    for (uint32_t hi = 0; hi < 16; hi++) {
        uint32_t p = vm_pe_section_protection(hi << 28);
        assert_true(!(p & VM_PROT_COPY) || (p & VM_PROT_WRITE));
    }
}

static void test_section_names(void **state)
{
    (void)state;
    pe_image im;
    vm_pe pe;
    build(&im, 64);
    memcpy(im.b + im.sections, "12345678", 8);         /* 8 bytes, no NUL */
    memcpy(im.b + im.sections + 40, "\x01\xff.x", 5);  /* unprintable bytes, then NUL */
    assert_true(parse_len(&im, sizeof im.b, IMAGE_BASE64, &pe, NULL, 0));
    assert_string_equal(pe.sections[0].name, "12345678");
    assert_string_equal(pe.sections[1].name, "??.x");
    vm_pe_free(&pe);
}

/* ---- bounds ---- */

static void test_truncated_at_every_length(void **state)
{
    (void)state;
    for (int bits = 32; bits <= 64; bits += 32) {
        pe_image im;
        build(&im, bits);
        for (size_t len = 0; len <= im.end + 8; len++) {
            vm_pe pe;
            char err[256] = "";
            bool ok = parse_len(&im, len, IMAGE_BASE64, &pe, err, sizeof err);
            assert_int_equal(ok, len >= im.end);
            if (ok)
                vm_pe_free(&pe);
            else
                assert_true(err[0] != '\0');
        }
    }
}

static void test_number_of_sections(void **state)
{
    (void)state;
    pe_image im;
    vm_pe pe;
    build(&im, 64);
    put16(im.b + LFANEW + 6, 0xFFFF);
    expect_failure(&im, "NumberOfSections 65535 exceeds 96");
    put16(im.b + LFANEW + 6, 97);
    expect_failure(&im, "exceeds 96");
    /* 96 fits in the page only partly: the parse fails on the read, not on the count. */
    put16(im.b + LFANEW + 6, 96);
    expect_failure(&im, "cannot read section header");
    put16(im.b + LFANEW + 6, 0);
    assert_true(parse_len(&im, sizeof im.b, IMAGE_BASE64, &pe, NULL, 0));
    assert_int_equal(pe.nsections, 0);
    vm_pe_free(&pe);
}

static void test_lfanew_out_of_range(void **state)
{
    (void)state;
    static const uint32_t bad[] = {0, 2, 0x10000, 0xFFFFFFFF, 0x7FFFFFF0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pe_image im;
        build(&im, 64);
        put32(im.b + 0x3C, bad[i]);
        expect_failure(&im, "e_lfanew");
    }
    pe_image im;
    build(&im, 64);
    put32(im.b + 0x3C, 0xFFF0);  /* in range, but beyond the readable bytes */
    expect_failure(&im, "cannot read the NT headers");
}

static void test_bad_signatures_and_headers(void **state)
{
    (void)state;
    pe_image im;
    build(&im, 64);
    im.b[0] = 'Z';
    expect_failure(&im, "no MZ signature");
    build(&im, 64);
    im.b[LFANEW] = 'X';
    expect_failure(&im, "no PE signature");
    build(&im, 64);
    put16(im.b + im.opt, 0x107);
    expect_failure(&im, "magic 0x107");
    build(&im, 64);
    put16(im.b + LFANEW + 20, 80);  /* PE32+ needs 88 */
    expect_failure(&im, "too small for PE32+");
    build(&im, 64);
    put16(im.b + LFANEW + 20, 0);
    expect_failure(&im, "no optional header");
    build(&im, 64);
    put16(im.b + LFANEW + 20, 0xF000);
    expect_failure(&im, "implausible");
    build(&im, 64);
    put32(im.b + im.opt + 60, 0x10000);  /* SizeOfHeaders > SizeOfImage */
    expect_failure(&im, "inconsistent");
    build(&im, 64);
    put32(im.b + im.opt + 56, 0);
    expect_failure(&im, "inconsistent");
}

static void test_sections_clipped_to_image(void **state)
{
    (void)state;
    pe_image im;
    vm_pe pe;
    vm_module m = {0};
    build(&im, 64);
    put32(im.b + im.sections + 5 * 40 + 12, 0x9000);   /* .reloc at SizeOfImage: left out */
    put32(im.b + im.sections + 4 * 40 + 8, 0x7FFFFFFF); /* .rsrc runs far past the end: clipped */
    put32(im.b + im.sections + 3 * 40 + 12, 0x200);    /* .pdata inside the headers: left out */
    assert_true(parse_len(&im, sizeof im.b, IMAGE_BASE64, &pe, NULL, 0));
    assert_true(vm_pe_add_sections(&pe, IMAGE_BASE64, &m));
    assert_int_equal(m.nsections, 5);
    assert_string_equal(m.sections[4].name, ".rsrc");
    assert_int_equal(m.sections[4].size, 0x9000 - 0x7000);
    for (size_t i = 0; i < m.nsections; i++) {
        assert_true(m.sections[i].address + m.sections[i].size <= IMAGE_BASE64 + 0x9000);
        free(m.sections[i].name);
    }
    free(m.sections);
    vm_pe_free(&pe);
}

static void test_low_alignment_headers(void **state)
{
    (void)state;
    pe_image im;
    vm_pe pe;
    vm_module m = {0};
    build(&im, 32);
    put32(im.b + im.sections + 12, 0x400);  /* .text right after 0x400 bytes of headers */
    assert_true(parse_len(&im, sizeof im.b, 0x400000, &pe, NULL, 0));
    assert_true(vm_pe_add_sections(&pe, 0x400000, &m));
    assert_string_equal(m.sections[0].name, "headers");
    assert_int_equal(m.sections[0].size, 0x400);
    assert_string_equal(m.sections[1].name, ".text");
    assert_int_equal(m.sections[1].address, 0x400400);
    for (size_t i = 0; i < m.nsections; i++)
        free(m.sections[i].name);
    free(m.sections);
    vm_pe_free(&pe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pe32plus_headers),
        cmocka_unit_test(test_pe32plus_module_sections),
        cmocka_unit_test(test_pe32),
        cmocka_unit_test(test_image_in_sparse_memory),
        cmocka_unit_test(test_protection_mapping),
        cmocka_unit_test(test_section_names),
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_number_of_sections),
        cmocka_unit_test(test_lfanew_out_of_range),
        cmocka_unit_test(test_bad_signatures_and_headers),
        cmocka_unit_test(test_sections_clipped_to_image),
        cmocka_unit_test(test_low_alignment_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
