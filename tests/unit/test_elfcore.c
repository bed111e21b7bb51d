/* The ELF core parser (parse/elfcore.h) over synthetic cores of each machine it knows: x86-64,
 * i386 and AArch64 (each thread's stack pointer at its elf_prstatus offset), the process notes,
 * NT_FILE, segments dumped in full, in part and not at all, the memory reader over them, PN_XNUM,
 * and every truncation of a core's headers and notes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmmap/parse/elfcore.h"

typedef struct buf {
    uint8_t *d;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->d = realloc(b->d, b->cap);
        assert_non_null(b->d);
    }
    if (p)
        memcpy(b->d + b->n, p, n);
    else
        memset(b->d + b->n, 0, n);
    b->n += n;
}

static void put_le(buf *b, uint64_t v, size_t w)
{
    uint8_t x[8];
    for (size_t i = 0; i < w; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    put(b, x, w);
}

static void set_le(uint8_t *p, uint64_t v, size_t w)
{
    for (size_t i = 0; i < w; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void note(buf *b, uint32_t type, const void *desc, size_t n)
{
    put_le(b, 5, 4);
    put_le(b, n, 4);
    put_le(b, type, 4);
    put(b, "CORE\0\0\0", 8);
    put(b, desc, n);
    put(b, NULL, (4 - n % 4) % 4);
}

typedef struct machine {
    uint16_t em;
    int bits;
    size_t prstatus_size, pid_off, regs_off, sp_index;
} machine;

static const machine X86_64 = {62, 64, 336, 32, 0x70, 19};
static const machine I386 = {3, 32, 144, 24, 0x48, 15};
static const machine AARCH64 = {183, 64, 392, 32, 0x70, 31};

#define SEG1 UINT64_C(0x400000)
#define SEG2 UINT64_C(0x7f0000000000)

/* A core: PT_NOTE (PRPSINFO, two PRSTATUS, AUXV, FILE, SIGINFO), PT_LOAD SEG1 (4 KiB dumped, of
 * 8 KiB), PT_LOAD SEG2 (4 KiB, not dumped), PT_LOAD listed before SEG1 by address order test. */
static buf make_core(const machine *m)
{
    size_t w = (size_t)m->bits / 8, ehsize = m->bits == 64 ? 64 : 52, phsize = m->bits == 64 ? 56 : 32;
    buf notes = {0};
    uint8_t ps[136] = {0};
    if (m->bits == 64) {
        set_le(ps + 16, 1000, 4);
        set_le(ps + 24, 4242, 4);
        set_le(ps + 28, 1, 4);
        memcpy(ps + 40, "crashy", 6);
        memcpy(ps + 56, "./crashy --now    ", 18);
    } else {
        set_le(ps + 8, 1000, 2);
        set_le(ps + 12, 4242, 4);
        memcpy(ps + 28, "crashy", 6);
        memcpy(ps + 44, "./crashy --now", 14);
    }
    note(&notes, 3, ps, m->bits == 64 ? 136 : 124);
    for (int t = 0; t < 2; t++) {
        uint8_t pr[400] = {0};
        set_le(pr + 12, 11, 2); /* pr_cursig */
        set_le(pr + m->pid_off, 4242 + (uint64_t)t, 4);
        set_le(pr + m->regs_off + m->sp_index * w, SEG1 + 0x100 + (uint64_t)t * 0x10, w);
        note(&notes, 1, pr, m->prstatus_size);
    }
    buf aux = {0};
    put_le(&aux, 33, w), put_le(&aux, SEG2, w);  /* AT_SYSINFO_EHDR */
    put_le(&aux, 3, w), put_le(&aux, SEG1 + 64, w); /* AT_PHDR */
    put_le(&aux, 0, w), put_le(&aux, 0, w);
    note(&notes, 6, aux.d, aux.n);
    buf file = {0};
    put_le(&file, 1, w), put_le(&file, 4096, w);
    put_le(&file, SEG1, w), put_le(&file, SEG1 + 0x2000, w), put_le(&file, 0, w);
    put(&file, "/usr/bin/crashy", 16);
    note(&notes, 0x46494c45, file.d, file.n);
    uint8_t si[128] = {0};
    set_le(si, 11, 4);
    set_le(si + 8, 1, 4);
    set_le(si + (m->bits == 64 ? 16 : 12), 0xdead, w);
    note(&notes, 0x53494749, si, 128);

    size_t phnum = 3, data_off = ehsize + phnum * phsize, seg1_off = data_off + notes.n;
    buf c = {0};
    uint8_t eh[64] = {0x7f, 'E', 'L', 'F', m->bits == 64 ? 2 : 1, 1, 1};
    set_le(eh + 16, 4, 2);
    set_le(eh + 18, m->em, 2);
    set_le(eh + 20, 1, 4);
    if (m->bits == 64) {
        set_le(eh + 32, 64, 8);
        set_le(eh + 52, 64, 2);
        set_le(eh + 54, 56, 2);
        set_le(eh + 56, phnum, 2);
    } else {
        set_le(eh + 28, 52, 4);
        set_le(eh + 40, 52, 2);
        set_le(eh + 42, 32, 2);
        set_le(eh + 44, phnum, 2);
    }
    put(&c, eh, ehsize);
    struct { uint32_t type, flags; uint64_t off, vaddr, filesz, memsz; } ph[3] = {
        {4, 4, data_off, 0, notes.n, 0},
        {1, 5, seg1_off, SEG1, 0x1000, 0x2000},  /* half dumped */
        {1, 6, seg1_off + 0x1000, SEG2, 0, 0x1000}, /* not dumped */
    };
    if (m->bits == 32)
        ph[2].vaddr = 0xbf000000u;
    for (size_t i = 0; i < phnum; i++) {
        uint8_t p[56] = {0};
        set_le(p, ph[i].type, 4);
        if (m->bits == 64) {
            set_le(p + 4, ph[i].flags, 4);
            set_le(p + 8, ph[i].off, 8);
            set_le(p + 16, ph[i].vaddr, 8);
            set_le(p + 32, ph[i].filesz, 8);
            set_le(p + 40, ph[i].memsz, 8);
        } else {
            set_le(p + 4, ph[i].off, 4);
            set_le(p + 8, ph[i].vaddr, 4);
            set_le(p + 16, ph[i].filesz, 4);
            set_le(p + 20, ph[i].memsz, 4);
            set_le(p + 24, ph[i].flags, 4);
        }
        put(&c, p, phsize);
    }
    put(&c, notes.d, notes.n);
    for (int i = 0; i < 0x1000; i++)
        put_le(&c, (uint64_t)(i & 0xff), 1);
    free(notes.d);
    free(aux.d);
    free(file.d);
    return c;
}

static void check_machine(const machine *m, const char *arch)
{
    buf c = make_core(m);
    vm_buffer_reader br = {0, c.d, c.n};
    vm_memreader file = vm_buffer_reader_make(&br);
    vm_core core;
    char err[256] = "";
    if (!vm_core_parse(&file, c.n, &core, err, sizeof err))
        fail_msg("%s: %s", arch, err);
    assert_string_equal(vm_core_arch_name(core.machine), arch);
    assert_int_equal(core.bits, m->bits);
    assert_false(core.gcore);
    assert_int_equal(core.nthreads, 2);
    assert_int_equal(core.threads[0].tid, 4242);
    assert_int_equal(core.threads[1].tid, 4243);
    assert_int_equal(core.threads[0].sp, SEG1 + 0x100);
    assert_int_equal(core.threads[1].sp, SEG1 + 0x110);
    assert_int_equal(core.threads[0].cursig, 11);
    assert_true(core.has_prpsinfo);
    assert_int_equal(core.pid, 4242);
    assert_int_equal(core.uid, 1000);
    assert_string_equal(core.fname, "crashy");
    assert_string_equal(core.psargs, "./crashy --now"); /* the kernel's space padding dropped */
    assert_int_equal(core.at_phdr, SEG1 + 64);
    assert_int_equal(core.nfiles, 1);
    assert_string_equal(core.files[0].name, "/usr/bin/crashy");
    assert_int_equal(core.files[0].end, SEG1 + 0x2000);
    assert_non_null(vm_core_file_at(&core, SEG1 + 0x1fff));
    assert_null(vm_core_file_at(&core, SEG1 + 0x2000));
    assert_true(core.has_siginfo);
    assert_int_equal(core.si_signo, 11);
    assert_int_equal(core.si_addr, 0xdead);
    char why[160];
    assert_non_null(strstr(vm_core_crash_text(&core, why, sizeof why), "SIGSEGV"));
    assert_non_null(strstr(why, "0xdead"));
    assert_int_equal(core.nsegs, 2);
    assert_int_equal(core.nsegs_partial, 2);
    assert_int_equal(core.bytes_mapped, 0x3000);
    assert_int_equal(core.bytes_present, 0x1000);
    /* memory: the dumped half reads, the rest and the undumped segment do not */
    vm_memreader mem = vm_core_memreader(&core);
    uint8_t b[32];
    assert_int_equal(mem.read(mem.ctx, SEG1 + 0x10, b, 4), 4);
    assert_int_equal(b[0], 0x10);
    assert_int_equal(mem.read(mem.ctx, SEG1 + 0xff8, b, 32), 8); /* stops where the dump stops */
    assert_int_equal(mem.read(mem.ctx, SEG1 + 0x1000, b, 4), 0);
    assert_int_equal(mem.read(mem.ctx, core.segs[1].vaddr, b, 4), 0);
    assert_int_equal(mem.read(mem.ctx, UINT64_MAX - 2, b, 8), 0);
    vm_core_free(&core);

    /* Every cut of the headers and notes: a clear error or a smaller core, never a crash. */
    size_t notes_end = c.n - 0x1000;
    for (size_t len = 0; len <= notes_end; len++) {
        vm_buffer_reader cut = {0, c.d, len};
        vm_memreader cr = vm_buffer_reader_make(&cut);
        err[0] = '\0';
        if (!vm_core_parse(&cr, len, &core, err, sizeof err))
            assert_true(err[0] != '\0');
        else
            assert_true(core.nsegs > 0);
        vm_core_free(&core);
    }
    free(c.d);
}

static void test_x86_64(void **state) { (void)state; check_machine(&X86_64, "x86_64"); }
static void test_i386(void **state) { (void)state; check_machine(&I386, "i386"); }
static void test_aarch64(void **state) { (void)state; check_machine(&AARCH64, "aarch64"); }

static void test_not_cores(void **state)
{
    (void)state;
    buf c = make_core(&X86_64);
    vm_core core;
    char err[256];
    c.d[16] = 2; /* ET_EXEC */
    vm_buffer_reader br = {0, c.d, c.n};
    vm_memreader f = vm_buffer_reader_make(&br);
    assert_false(vm_core_parse(&f, c.n, &core, err, sizeof err));
    assert_non_null(strstr(err, "not a core"));
    vm_core_free(&core);
    c.d[16] = 4;
    c.d[5] = 2; /* big-endian */
    assert_false(vm_core_parse(&f, c.n, &core, err, sizeof err));
    assert_non_null(strstr(err, "big-endian"));
    vm_core_free(&core);
    c.d[5] = 1;
    set_le(c.d + 56, 0xffff, 2); /* PN_XNUM without a section header */
    assert_false(vm_core_parse(&f, c.n, &core, err, sizeof err));
    assert_non_null(strstr(err, "PN_XNUM"));
    vm_core_free(&core);
    set_le(c.d + 56, 3, 2);
    set_le(c.d + 32, c.n - 10, 8); /* program headers beyond the end */
    assert_false(vm_core_parse(&f, c.n, &core, err, sizeof err));
    assert_non_null(strstr(err, "truncated"));
    vm_core_free(&core);
    free(c.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x86_64),
        cmocka_unit_test(test_i386),
        cmocka_unit_test(test_aarch64),
        cmocka_unit_test(test_not_cores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
