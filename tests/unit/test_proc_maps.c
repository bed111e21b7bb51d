/* Tests for /proc/PID/maps and smaps parsing: odd names, hostile lines, fields by name, and the
 * live files of this process and of a quiet child. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmmap/sources/linux/proc_smaps.h"
#include "vmmap/sources/linux/proc_reader.h"

/* ---- helpers ---------------------------------------------------------------------------------- */

static bool hdr(const char *line, vm_linux_mapping *m)
{
    return vm_linux_parse_maps_line(line, strlen(line), m);
}

static bool field(const char *line, vm_linux_mapping *m)
{
    return vm_linux_parse_smaps_field(line, strlen(line), m);
}

static bool text(const char *t, vm_linux_maps *out, char *err, size_t errlen)
{
    return vm_linux_parse_smaps_text(t, strlen(t), out, err, errlen);
}

/* ---- header lines ----------------------------------------------------------------------------- */

static void test_header_plain_file(void **state)
{
    vm_linux_mapping m;
    assert_true(hdr("00400000-00452000 r-xp 00001000 08:02 173521      /usr/bin/dbus-daemon", &m));
    assert_int_equal(m.start, 0x400000);
    assert_int_equal(m.end, 0x452000);
    assert_true(m.r);
    assert_false(m.w);
    assert_true(m.x);
    assert_false(m.shared);
    assert_int_equal(m.offset, 0x1000);
    assert_int_equal(m.dev_major, 8);
    assert_int_equal(m.dev_minor, 2);
    assert_int_equal(m.inode, 173521);
    assert_string_equal(m.name, "/usr/bin/dbus-daemon");
    assert_false(m.deleted);
    assert_int_equal(m.have, 0);
    free(m.name);
}

static void test_header_spaces_in_path(void **state)
{
    vm_linux_mapping m;
    assert_true(hdr("7f0000001000-7f0000002000 rw-s 00000000 fd:01 42    /tmp/my file  with spaces.dat", &m));
    assert_string_equal(m.name, "/tmp/my file  with spaces.dat");
    assert_true(m.shared);
    assert_true(m.w);
    assert_int_equal(m.dev_major, 0xfd);
    assert_int_equal(m.dev_minor, 1);
    free(m.name);
    /* A path whose last component ends in a blank keeps it. */
    assert_true(hdr("1000-2000 r--p 00000000 00:00 1 /tmp/trailing ", &m));
    assert_string_equal(m.name, "/tmp/trailing ");
    free(m.name);
}

static void test_header_deleted(void **state)
{
    static const struct {
        const char *line, *name;
        bool shared;
    } cases[] = {
        {"7f1000000000-7f1000100000 rw-s 00000000 00:01 2048                       /dev/zero (deleted)", "/dev/zero", true},
        {"7f1000000000-7f1000100000 rw-s 00000000 00:01 7                          /memfd:name (deleted)", "/memfd:name", true},
        {"7f1000000000-7f1000100000 rw-s 00000000 00:01 32768                      /SYSV0000abcd (deleted)", "/SYSV0000abcd", true},
        {"7f1000000000-7f1000100000 r--p 00000000 08:01 99  /tmp/a (deleted) (deleted)", "/tmp/a (deleted)", false},
        {"7f1000000000-7f1000100000 r--p 00000000 08:01 99  /memfd:with space (deleted)", "/memfd:with space", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vm_linux_mapping m;
        assert_true(hdr(cases[i].line, &m));
        assert_string_equal(m.name, cases[i].name);
        assert_true(m.deleted);
        assert_int_equal(m.shared, cases[i].shared);
        free(m.name);
    }
    /* " (deleted)" alone is a name, not a marker on an empty name. */
    vm_linux_mapping m;
    assert_true(hdr("1000-2000 r--p 00000000 00:00 0 x (deleted)", &m));
    assert_string_equal(m.name, "x");
    assert_true(m.deleted);
    free(m.name);
}

static void test_header_pseudo_names(void **state)
{
    static const char *const names[] = {"[heap]", "[stack]", "[vdso]", "[vvar]", "[anon:foo bar]",
                                        "[anon_shmem:x y z]", "[anon: glibc: pthread stack: 4242]"};
    char line[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        vm_linux_mapping m;
        snprintf(line, sizeof line, "5600c0de0000-5600c0e01000 rw-p 00000000 00:00 0                          %s",
                 names[i]);
        assert_true(hdr(line, &m));
        assert_string_equal(m.name, names[i]);
        assert_false(m.deleted);
        free(m.name);
    }
    vm_linux_mapping m;
    assert_true(hdr("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]", &m));
    assert_true(m.start == 0xffffffffff600000ull);
    assert_false(m.r);
    assert_true(m.x);
    assert_string_equal(m.name, "[vsyscall]");
    free(m.name);
}

static void test_header_no_name(void **state)
{
    vm_linux_mapping m;
    assert_true(hdr("7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0 ", &m));
    assert_null(m.name);
    assert_false(m.deleted);
    assert_true(hdr("7ffd00000000-7ffd00001000 ---p 00000000 00:00 0", &m));
    assert_null(m.name);
    assert_false(m.r || m.w || m.x);
    assert_true(hdr("7ffd00000000-7ffd00001000 ---p 00000000 00:00 0        ", &m));
    assert_null(m.name);
}

static void test_header_big_values(void **state)
{
    vm_linux_mapping m;
    /* 5-level paging: addresses above 47 bits. */
    assert_true(hdr("00fffffff0000000-00fffffffffff000 rw-p 00000000 00:00 0", &m));
    assert_true(m.start == 0x00fffffff0000000ull);
    assert_true(m.end == 0x00fffffffffff000ull);
    /* Every number at its maximum. */
    assert_true(hdr("0-ffffffffffffffff rwxs ffffffffffffffff ffffffff:ffffffff 18446744073709551615 /x", &m));
    assert_true(m.start == 0);
    assert_true(m.end == UINT64_MAX);
    assert_true(m.offset == UINT64_MAX);
    assert_true(m.dev_major == UINT32_MAX);
    assert_true(m.dev_minor == UINT32_MAX);
    assert_true(m.inode == UINT64_MAX);
    free(m.name);
    /* Leading zeros do not count towards overflow. */
    assert_true(hdr("00000000000000000000001000-2000 r--p 0 0:0 0", &m));
    assert_true(m.start == 0x1000);
}

static void test_header_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "zz-1000 r--p 00000000 00:00 0",
        "1000-zz r--p 00000000 00:00 0",
        "1000-2000",
        "1000-2000 r--p",
        "1000-2000 r--p 00000000",
        "1000-2000 r--p 00000000 00:00",
        "1000-2000 r--p 00000000 0000 0",
        "1000-2000 r--p 0000000g 00:00 0",
        "1000-2000 rwxq 00000000 00:00 0",
        "1000-2000 xwrp 00000000 00:00 0",
        "1000-2000 r--p00000000 00:00 0",
        "1000 2000 r--p 00000000 00:00 0",
        "2000-1000 r--p 00000000 00:00 0",        /* end before start */
        "2000-2000 r--p 00000000 00:00 0",        /* empty */
        "10000000000000000-10000000000000001 r--p 00000000 00:00 0", /* 17 hex digits */
        "1000-2000 r--p 10000000000000000 00:00 0",
        "1000-2000 r--p 00000000 100000000:00 0", /* major above 32 bits */
        "1000-2000 r--p 00000000 00:100000000 0",
        "1000-2000 r--p 00000000 00:00 18446744073709551616", /* inode above 64 bits */
        "1000-2000 r--p 00000000 00:00 12abc /x",
        "1000-2000 r--p 00000000 00:00 -1",
        "-2000 r--p 00000000 00:00 0",
        "1000- r--p 00000000 00:00 0",
        "Rss:     4 kB",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vm_linux_mapping m;
        if (hdr(bad[i], &m)) {
            free(m.name);
            fail_msg("accepted malformed header \"%s\"", bad[i]);
        }
    }
    /* Length is honoured: a valid line cut short is not valid. */
    vm_linux_mapping m;
    const char *line = "1000-2000 r--p 00000000 00:00 0";
    assert_false(vm_linux_parse_maps_line(line, 12, &m));
}

/* ---- field lines ------------------------------------------------------------------------------ */

static void test_fields_by_name(void **state)
{
    vm_linux_mapping m;
    memset(&m, 0, sizeof m);
    assert_true(field("Size:                132 kB", &m));
    assert_true(field("Rss:                  64 kB", &m));
    assert_true(field("Pss:                  32 kB", &m));
    assert_true(field("Shared_Clean:          8 kB", &m));
    assert_true(field("Shared_Dirty:          4 kB", &m));
    assert_true(field("Private_Clean:        12 kB", &m));
    assert_true(field("Private_Dirty:        40 kB", &m));
    assert_true(field("Swap:                  16 kB", &m));
    assert_true(field("SwapPss:                2 kB", &m));
    assert_true(field("Locked:                 1 kB", &m));
    assert_true(field("Anonymous:             44 kB", &m));
    assert_int_equal(m.size, 132 * 1024);
    assert_int_equal(m.rss, 64 * 1024);
    assert_int_equal(m.pss, 32 * 1024);
    assert_int_equal(m.shared_clean, 8 * 1024);
    assert_int_equal(m.shared_dirty, 4 * 1024);
    assert_int_equal(m.private_clean, 12 * 1024);
    assert_int_equal(m.private_dirty, 40 * 1024);
    assert_int_equal(m.swap, 16 * 1024);
    assert_int_equal(m.swap_pss, 2 * 1024);
    assert_int_equal(m.locked, 1024);
    assert_int_equal(m.anonymous, 44 * 1024);
    assert_int_equal(m.have, VM_LX_HAVE_SIZE | VM_LX_HAVE_RSS | VM_LX_HAVE_PSS | VM_LX_HAVE_SHARED_CLEAN |
                                 VM_LX_HAVE_SHARED_DIRTY | VM_LX_HAVE_PRIVATE_CLEAN | VM_LX_HAVE_PRIVATE_DIRTY |
                                 VM_LX_HAVE_SWAP | VM_LX_HAVE_SWAP_PSS | VM_LX_HAVE_LOCKED |
                                 VM_LX_HAVE_ANONYMOUS);
}

static void test_fields_unknown_ignored(void **state)
{
    static const char *const unknown[] = {
        "KernelPageSize:        4 kB", "MMUPageSize:           4 kB", "Pss_Dirty:            12 kB",
        "Pss_Anon:              8 kB", "Referenced:           64 kB", "LazyFree:              0 kB",
        "AnonHugePages:         0 kB", "ShmemPmdMapped:        0 kB", "FilePmdMapped:         0 kB",
        "Shared_Hugetlb:        0 kB", "Private_Hugetlb:       0 kB", "SwapFoo:               3 kB",
        "THPeligible:    0",           "ProtectionKey:         0",    "FutureField: any text at all",
        "KSM:                   0 kB", "Sizes:                 9 kB", "R:                     1 kB",
        "S:                     1 kB", "Empty:",
    };
    vm_linux_mapping m;
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_true(field(unknown[i], &m));
    vm_linux_mapping zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&m, &zero, sizeof m);
}

static void test_fields_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "Rss",
        "Rss 12 kB",
        ": 12 kB",
        "Rss: abc kB",
        "Rss: 12 MB",
        "Rss: 12",
        "Rss: kB",
        "Rss: 12 kB junk",
        "Rss: -12 kB",
        "Rss: 18014398509481984 kB",   /* * 1024 overflows 64 bits */
        "Rss: 99999999999999999999 kB", /* above 64 bits before scaling */
        "Rss:: 12 kB",
        "Rs s: 12 kB",
        "1000-2000 r--p 00000000 00:00 0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vm_linux_mapping m;
        memset(&m, 0, sizeof m);
        if (field(bad[i], &m))
            fail_msg("accepted malformed field \"%s\"", bad[i]);
    }
    /* The largest value that fits after scaling. */
    vm_linux_mapping m;
    memset(&m, 0, sizeof m);
    assert_true(field("Rss: 18014398509481983 kB", &m));
    assert_true(m.rss == 18014398509481983ull * 1024);
    assert_true(field("Rss:\t7 kB\t", &m));
    assert_int_equal(m.rss, 7 * 1024);
}

static void test_vmflags(void **state)
{
    vm_linux_mapping m;
    memset(&m, 0, sizeof m);
    assert_true(field("VmFlags: rd wr mr mw me ac sd ", &m));
    assert_int_equal(m.vmflags, VM_LX_RD | VM_LX_WR | VM_LX_AC | VM_LX_SD);
    assert_true(m.have & VM_LX_HAVE_VMFLAGS);
    assert_true(field("VmFlags: rd ex sh gd nr lo ht dd ms zz abc r x", &m));
    assert_int_equal(m.vmflags, VM_LX_RD | VM_LX_EX | VM_LX_SH | VM_LX_GD | VM_LX_NR | VM_LX_LO | VM_LX_HT |
                                    VM_LX_DD | VM_LX_MS);
    assert_true(field("VmFlags:", &m));
    assert_int_equal(m.vmflags, 0);
    assert_true(m.have & VM_LX_HAVE_VMFLAGS);
}

/* ---- whole texts ------------------------------------------------------------------------------ */

static const char SAMPLE[] =
    "55d5c6a00000-55d5c6a21000 rw-p 00000000 00:00 0                          [heap]\n"
    "VmFlags: rd wr mr mw me ac sd\n"
    "Locked:                0 kB\n"
    "Anonymous:           12 kB\n"
    "THPeligible:    0\n"
    "Rss:                  12 kB\n"
    "Size:                132 kB\n"
    "7f6d1c000000-7f6d1c021000 r-xp 00002000 08:01 1234                       /usr/lib/x y.so (deleted)\n"
    "Size:                132 kB\n"
    "KernelPageSize:        4 kB\n"
    "Rss:                  20 kB\n"
    "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 \n"
    "VmFlags: rd wr mr mw me gd ac";

static void test_text_sample(void **state)
{
    vm_linux_maps maps;
    char err[128];
    assert_true(text(SAMPLE, &maps, err, sizeof err));
    assert_int_equal(maps.n, 3);
    const vm_linux_mapping *h = &maps.v[0];
    assert_string_equal(h->name, "[heap]");
    assert_int_equal(h->rss, 12 * 1024);
    assert_int_equal(h->size, 132 * 1024);
    assert_int_equal(h->anonymous, 12 * 1024);
    assert_int_equal(h->locked, 0);
    assert_int_equal(h->have, VM_LX_HAVE_VMFLAGS | VM_LX_HAVE_LOCKED | VM_LX_HAVE_ANONYMOUS | VM_LX_HAVE_RSS |
                                  VM_LX_HAVE_SIZE);
    const vm_linux_mapping *so = &maps.v[1];
    assert_string_equal(so->name, "/usr/lib/x y.so");
    assert_true(so->deleted);
    assert_int_equal(so->offset, 0x2000);
    assert_int_equal(so->have, VM_LX_HAVE_SIZE | VM_LX_HAVE_RSS);
    assert_int_equal(so->pss, 0);
    const vm_linux_mapping *st = &maps.v[2];
    assert_null(st->name);
    assert_int_equal(st->vmflags, VM_LX_RD | VM_LX_WR | VM_LX_GD | VM_LX_AC); /* last line without '\n' */
    vm_linux_maps_free(&maps);
    assert_null(maps.v);
    assert_int_equal(maps.n, 0);
}

static void test_text_maps_only_and_empty(void **state)
{
    vm_linux_maps maps;
    char err[128];
    assert_true(text("1000-2000 r--p 00000000 00:00 0\n3000-4000 rw-p 00000000 00:00 0 [heap]\n", &maps, err,
                     sizeof err));
    assert_int_equal(maps.n, 2);
    assert_int_equal(maps.v[1].have, 0);
    vm_linux_maps_free(&maps);
    assert_true(text("", &maps, err, sizeof err));
    assert_int_equal(maps.n, 0);
    vm_linux_maps_free(&maps);
    assert_true(vm_linux_parse_smaps_text(NULL, 0, &maps, err, sizeof err));
    assert_int_equal(maps.n, 0);
}

static void expect_text_error(const char *t, const char *want)
{
    vm_linux_maps maps;
    char err[128] = "";
    if (text(t, &maps, err, sizeof err)) {
        vm_linux_maps_free(&maps);
        fail_msg("accepted \"%s\"", t);
    }
    assert_null(maps.v);
    assert_int_equal(maps.n, 0);
    assert_string_equal(err, want);
}

static void test_text_errors(void **state)
{
    expect_text_error("Rss: 4 kB\n", "line 1: expected a mapping line");
    expect_text_error("1000-2000 r--p 00000000 00:00 0\nRss: 4 kB\nRss: x kB\n", "line 3: malformed field line");
    expect_text_error("1000-2000 r--p 00000000 00:00 0\n\n1000-zz r--p 0 0:0 0\n", "line 3: malformed mapping line");
    expect_text_error("1000-2000 r--p 00000000 00:00 0\ngarbage here\n", "line 2: malformed field line");
    expect_text_error("1000-2000 r--p 00000000 00:00 0\nRss: 4 kB\n1000-2000 r--p 0 00:00 0 /x\nSize 4 kB",
                      "line 4: malformed field line");
    /* An overlong line is an error of its own, with its number. */
    size_t big = 70 * 1024;
    char *t = malloc(big + 64);
    assert_non_null(t);
    strcpy(t, "1000-2000 r--p 00000000 00:00 0 /");
    size_t n = strlen(t);
    memset(t + n, 'a', big);
    strcpy(t + n + big, "\n");
    vm_linux_maps maps;
    char err[128];
    assert_false(text(t, &maps, err, sizeof err));
    assert_string_equal(err, "line 1: too long");
    free(t);
    /* A tiny error buffer is not overrun. */
    char tiny[4];
    assert_false(text("zz\n", &maps, tiny, sizeof tiny));
    assert_string_equal(tiny, "lin");
}

/* The text parser learns the first mapping's field order and parses later lines in the kernel's
 * own form without looking for their end first (proc_maps.c fast_field_line).  Every other form a
 * field line may take must still come out as the line-by-line parse gives it: each mapping below
 * parsed whole equals its header and fields parsed one line at a time. */
static const char *const VARIANT_FIELDS[] = {
    "Rss:                   4 kB",          /* the kernel's form */
    "Rss:\t4 kB",                           /* a tab */
    "Rss:  4  kB",                          /* two blanks before kB */
    "Rss: 4 kB   ",                         /* blanks after */
    "Rss: 0000000000000000000000004 kB",    /* more digits than a number needs */
    "Rss: 18014398509481983 kB",            /* the largest that fits in bytes */
    "Size:          8 kB",
    "KernelPageSize:        4 kB",          /* skipped fields, in every form */
    "KernelPageSize: lots",
    "KernelPageSize:",
    "THPeligible:    1",
    "VmFlags: rd wr mr mw me ac sd ",       /* the kernel's form */
    "VmFlags: rd wr ac",                    /* no blank at the end */
    "VmFlags: rd  wr\tabc a ac ",           /* other blanks, codes that are not two letters */
    "VmFlags:",
    "VmFlags: ",
    "VmFlags: \tac",
    "Pss:    2 kB",                         /* a field where another was learned */
    "Locked:   0 kB",
};

static void test_text_field_forms(void **state)
{
    const size_t nv = sizeof VARIANT_FIELDS / sizeof *VARIANT_FIELDS;
    for (size_t v = 0; v < nv; v++) {
        /* the first mapping teaches the order Rss, Size, KernelPageSize, THPeligible, VmFlags;
         * the second has the variant where the field of its kind is expected */
        const char *learn[] = {"Rss:     4 kB", "Size:     4 kB", "KernelPageSize:    4 kB", "THPeligible:    0",
                               "VmFlags: rd wr "};
        char t[1024];
        size_t n = (size_t)snprintf(t, sizeof t, "1000-2000 rw-p 00000000 00:00 0\n");
        for (size_t k = 0; k < 5; k++)
            n += (size_t)snprintf(t + n, sizeof t - n, "%s\n", learn[k]);
        n += (size_t)snprintf(t + n, sizeof t - n, "2000-3000 r--p 00000000 00:00 0\n");
        const char *second[5];
        memcpy(second, learn, sizeof second);
        const char *f = VARIANT_FIELDS[v];
        size_t slot = strncmp(f, "Size", 4) == 0 ? 1 : strncmp(f, "Kernel", 6) == 0 ? 2 : strncmp(f, "THP", 3) == 0 ? 3
                      : strncmp(f, "VmFlags", 7) == 0 ? 4 : 0;
        second[slot] = f;
        for (size_t k = 0; k < 5; k++)
            n += (size_t)snprintf(t + n, sizeof t - n, "%s\n", second[k]);
        /* the expected second mapping, one line at a time */
        vm_linux_mapping want;
        assert_true(vm_linux_parse_maps_line("2000-3000 r--p 00000000 00:00 0", 31, &want));
        for (size_t k = 0; k < 5; k++)
            assert_true(vm_linux_parse_smaps_field(second[k], strlen(second[k]), &want));
        vm_linux_maps maps;
        char err[128] = "";
        if (!text(t, &maps, err, sizeof err))
            fail_msg("\"%s\": %s", f, err);
        assert_int_equal(maps.n, 2);
        const vm_linux_mapping *got = &maps.v[1];
        if (got->rss != want.rss || got->size != want.size || got->pss != want.pss || got->locked != want.locked ||
            got->vmflags != want.vmflags || got->have != want.have)
            fail_msg("\"%s\": rss %llu size %llu vmflags 0x%x have 0x%x, line by line %llu %llu 0x%x 0x%x", f,
                     (unsigned long long)got->rss, (unsigned long long)got->size, got->vmflags, got->have,
                     (unsigned long long)want.rss, (unsigned long long)want.size, want.vmflags, want.have);
        vm_linux_maps_free(&maps);
    }
    /* and what is malformed stays so, with its line number */
    expect_text_error("1000-2000 r--p 00000000 00:00 0\nRss: 4 kB\n2000-3000 r--p 00000000 00:00 0\n"
                      "Rss: 18014398509481984 kB\n", "line 4: malformed field line");
    expect_text_error("1000-2000 r--p 00000000 00:00 0\nRss: 4 kB\n2000-3000 r--p 00000000 00:00 0\n"
                      "Rss: 99999999999999999999 kB\n", "line 4: malformed field line");
    expect_text_error("1000-2000 r--p 00000000 00:00 0\nRss: 4 kB\n2000-3000 r--p 00000000 00:00 0\n"
                      "Rss: 4 MB\n", "line 4: malformed field line");
    expect_text_error("1000-2000 r--p 00000000 00:00 0\nRss: 4 kB\n2000-3000 r--p 00000000 00:00 0\n"
                      "Rss: kB\n", "line 4: malformed field line");
    /* a name too long to learn leaves its position empty: a line with no name there is still
     * malformed (it once matched the empty name) */
    expect_text_error("1000-2000 r--p 00000000 00:00 0\nAFieldNameLongerThanThirtyTwoLetters: 1\n"
                      "2000-3000 r--p 00000000 00:00 0\n: 1\n", "line 4: malformed field line");
}

/* The kernel's fixed columns (a name padded to 16, the value right-aligned in 8) are parsed
 * without a search once the first mapping showed them; every value column that form can hold,
 * and every near miss of it, must give what the line-by-line parse gives, errors included. */
static void test_text_fixed_columns(void **state)
{
    (void)state;
    static const char *const learn =
        "1000-2000 rw-p 00000000 00:00 0\n"
        "Size:                  4 kB\nKernelPageSize:        4 kB\nRss:                   4 kB\n"
        "Pss:                   2 kB\nLocked:                0 kB\nTHPeligible:           0\n"
        "ProtectionKey:         0\nVmFlags: rd wr mr mw me ac \n";
    /* value columns (8 characters where the form holds) and near misses of the form */
    static const char *const values[] = {
        "       0", "       4", "      12", "    4096", " 1234567", "12345678", "99999999", "00000000",
        "0000004 ", " 12 34  ", "  1a    ", "        ", "  +12345", "\t      4", "      -4",
        "123456789", "1234567890123", "       4 ", "      4", "    ", "", "  :12345",
    };
    const size_t nv = sizeof values / sizeof *values;
    for (size_t v = 0; v < nv; v++) {
        for (size_t field = 0; field < 4; field++) {
            /* field 0: Rss (counted), 1: KernelPageSize (skipped, kB), 2: THPeligible (skipped, no
             * kB), 3: Size with a value column but its kB missing */
            char line[4][64] = {"Rss:            ", "KernelPageSize:  ", "THPeligible:    ", "Size:           "};
            snprintf(line[field] + strlen(line[field]), 48, "%s%s", values[v], field == 2 || field == 3 ? "" : " kB");
            const char *fixed[] = {"Size:                  4 kB", "KernelPageSize:        4 kB",
                                   "Rss:                   4 kB", "Pss:                   2 kB",
                                   "Locked:                0 kB", "THPeligible:           0",
                                   "ProtectionKey:         0", "VmFlags: rd wr mr mw me ac "};
            const char *second[8];
            memcpy(second, fixed, sizeof second);
            second[field == 0 ? 2 : field == 1 ? 1 : field == 2 ? 5 : 0] = line[field];
            char t[2048];
            size_t n = (size_t)snprintf(t, sizeof t, "%s2000-3000 r--p 00000000 00:00 0\n", learn);
            for (size_t k = 0; k < 8; k++)
                n += (size_t)snprintf(t + n, sizeof t - n, "%s\n", second[k]);
            /* line by line: what the general parse says of the second mapping */
            vm_linux_mapping want;
            assert_true(vm_linux_parse_maps_line("2000-3000 r--p 00000000 00:00 0", 31, &want));
            bool want_ok = true;
            for (size_t k = 0; k < 8 && want_ok; k++)
                want_ok = vm_linux_parse_smaps_field(second[k], strlen(second[k]), &want);
            vm_linux_maps maps;
            char err[128] = "";
            bool ok = text(t, &maps, err, sizeof err);
            if (ok != want_ok)
                fail_msg("\"%s\": the parse %s it, line by line %s", line[field], ok ? "took" : "refused",
                         want_ok ? "took" : "refused");
            if (!ok)
                continue;
            assert_int_equal(maps.n, 2);
            const vm_linux_mapping *got = &maps.v[1];
            if (got->rss != want.rss || got->size != want.size || got->pss != want.pss ||
                got->locked != want.locked || got->vmflags != want.vmflags || got->have != want.have)
                fail_msg("\"%s\": rss %llu size %llu have 0x%x, line by line %llu %llu 0x%x", line[field],
                         (unsigned long long)got->rss, (unsigned long long)got->size, got->have,
                         (unsigned long long)want.rss, (unsigned long long)want.size, want.have);
            vm_linux_maps_free(&maps);
        }
    }
    /* every value an 8-column field can hold, a sample of each width */
    for (uint64_t x = 1, width = 1; width <= 8; width++, x *= 10) {
        for (uint64_t val = x - 1; val < x * 10; val += x / 3 + 1) {
            char t[1024];
            snprintf(t, sizeof t, "%s2000-3000 r--p 00000000 00:00 0\nSize:           %8llu kB\n", learn,
                     (unsigned long long)val);
            vm_linux_maps maps;
            char err[128] = "";
            assert_true(text(t, &maps, err, sizeof err));
            assert_int_equal(maps.n, 2);
            assert_int_equal(maps.v[1].size, val * 1024);
            vm_linux_maps_free(&maps);
        }
    }
}

/* ---- streamed from a file descriptor (vm_linux_parse_smaps_fd) ---------------------------------- */

/* A file holding text, positioned at its start. */
static int text_fd(const char *t, size_t len)
{
    char path[] = "/tmp/vmmap-test-smaps-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, t + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* An smaps-like text of count records whose names grow so that lines end at every offset
 * around the reader's chunk boundaries. */
static char *synthetic_smaps(size_t count, size_t *len)
{
    size_t cap = count * 700 + 1, used = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    for (size_t i = 0; i < count; i++) {
        char name[300];
        size_t nlen = 1 + (i * 37) % 250;
        memset(name, 'a' + (char)(i % 26), nlen);
        name[nlen] = '\0';
        int n = snprintf(t + used, cap - used,
                         "%zx-%zx rw-p 00000000 00:00 0          /x/%s\n"
                         "Size:                  4 kB\nRss:     %8zu kB\nPss:       4 kB\n"
                         "Private_Dirty:     4 kB\nSwap:      0 kB\nVmFlags: rd wr mr mw me ac\n",
                         0x10000 + i * 0x2000, 0x11000 + i * 0x2000, name, i % 1000);
        assert_true(n > 0 && (size_t)n < cap - used);
        used += (size_t)n;
    }
    *len = used;
    return t;
}

static void assert_same_maps(const vm_linux_maps *a, const vm_linux_maps *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->v[i].start, b->v[i].start);
        assert_int_equal(a->v[i].end, b->v[i].end);
        assert_int_equal(a->v[i].rss, b->v[i].rss);
        assert_int_equal(a->v[i].vmflags, b->v[i].vmflags);
        assert_int_equal(a->v[i].have, b->v[i].have);
        assert_string_equal(a->v[i].name ? a->v[i].name : "", b->v[i].name ? b->v[i].name : "");
    }
}

typedef struct progress {
    size_t calls, last_n;
    bool decreased;
    bool first_empty; /* the first call came before anything was parsed */
} progress;

static bool on_parsed(void *ctx, vm_linux_maps *batch, const vm_linux_maps *so_far)
{
    progress *p = ctx;
    if (p->calls++ == 0)
        p->first_empty = so_far->n == 0 && batch->n == 0;
    if (so_far->n < p->last_n)
        p->decreased = true;
    p->last_n = so_far->n + batch->n; /* left to out: the next call's so_far holds them */
    return false;
}

/* A caller busy now and then (2 ms every third batch): the reader parses ahead meanwhile, the
 * caller parses the chunks it waits for (proc_reader.h: with 4 KiB chunks some 450 and 40 of
 * them); the parse must not care which. */
static bool slow_sometimes(void *ctx, vm_linux_maps *batch, const vm_linux_maps *so_far)
{
    progress *p = ctx;
    if (p->calls % 3 == 1) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return on_parsed(ctx, batch, so_far);
}

static void test_fd_busy_caller(void **state)
{
    size_t len;
    char *t = synthetic_smaps(6000, &len);
    vm_linux_maps whole, streamed;
    char err[200];
    assert_true(vm_linux_parse_smaps_text(t, len, &whole, err, sizeof err));
    for (size_t chunk = 4096; chunk <= 65536; chunk *= 4) {
        int fd = text_fd(t, len);
        int read_errno = -1;
        progress pr = {0, 0, false, false};
        lx_reader_test_chunk_bytes(chunk);
        assert_true(vm_linux_parse_smaps_fd(fd, &streamed, slow_sometimes, &pr, err, sizeof err, &read_errno));
        lx_reader_test_chunk_bytes(0);
        assert_int_equal(read_errno, 0);
        assert_same_maps(&whole, &streamed);
        assert_false(pr.decreased);
        close(fd);
        vm_linux_maps_free(&streamed);
    }
    vm_linux_maps_free(&whole);
    free(t);
}

/* Takes every other batch handed over, keeping the start of each mapping taken. */
typedef struct taker {
    size_t calls;
    uint64_t *starts;
    size_t n;
} taker;

static bool take_some(void *ctx, vm_linux_maps *batch, const vm_linux_maps *so_far)
{
    (void)so_far;
    taker *t = ctx;
    if (t->calls++ % 2 == 0)
        return false;
    for (size_t i = 0; i < batch->n; i++) {
        t->starts[t->n++] = batch->v[i].start;
        free(batch->v[i].name);
    }
    return true;
}

/* 6,000 records (about 1.5 MB, twenty-odd chunks of 64 KiB): lines cut at chunk boundaries are
 * put back together, and the result is exactly the whole-text parse. */
static void test_fd_matches_text(void **state)
{
    size_t len;
    char *t = synthetic_smaps(6000, &len);
    assert_true(len > 20 * 65536);
    vm_linux_maps whole, streamed;
    char err[200];
    assert_true(vm_linux_parse_smaps_text(t, len, &whole, err, sizeof err));
    assert_int_equal(whole.n, 6000);
    int fd = text_fd(t, len);
    int read_errno = -1;
    progress pr = {0, 0, false, false};
    lx_reader_test_chunk_bytes(65536);
    assert_true(vm_linux_parse_smaps_fd(fd, &streamed, on_parsed, &pr, err, sizeof err, &read_errno));
    lx_reader_test_chunk_bytes(0);
    assert_int_equal(read_errno, 0);
    assert_same_maps(&whole, &streamed);
    assert_true(pr.calls >= 20);        /* called per chunk, while reading */
    assert_true(pr.first_empty);        /* and first as the reading starts */
    assert_false(pr.decreased);
    assert_int_equal(pr.last_n, 6000);
    close(fd);
    vm_linux_maps_free(&whole);
    vm_linux_maps_free(&streamed);
    free(t);

    /* A caller that takes some batches: each mapping is either taken or in out, once. */
    t = synthetic_smaps(6000, &len);
    assert_true(vm_linux_parse_smaps_text(t, len, &whole, err, sizeof err));
    fd = text_fd(t, len);
    taker tk = {0, calloc(6000, sizeof(uint64_t)), 0};
    assert_non_null(tk.starts);
    assert_true(vm_linux_parse_smaps_fd(fd, &streamed, take_some, &tk, err, sizeof err, &read_errno));
    assert_true(tk.n > 0 && streamed.n > 0);
    assert_int_equal(tk.n + streamed.n, whole.n);
    size_t ti = 0, oi = 0;
    for (size_t i = 0; i < whole.n; i++) { /* both in order: together they are the whole, in turn */
        if (ti < tk.n && tk.starts[ti] == whole.v[i].start)
            ti++;
        else
            assert_true(oi < streamed.n && streamed.v[oi++].start == whole.v[i].start);
    }
    free(tk.starts);
    close(fd);
    vm_linux_maps_free(&whole);
    vm_linux_maps_free(&streamed);
    free(t);

    /* Tiny chunks on a shorter text: every line is cut, many several times. */
    t = synthetic_smaps(40, &len);
    assert_true(vm_linux_parse_smaps_text(t, len, &whole, err, sizeof err));
    fd = text_fd(t, len);
    for (size_t chunk = 1; chunk <= 61; chunk += 6) {
        lx_reader_test_chunk_bytes(chunk);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_true(vm_linux_parse_smaps_fd(fd, &streamed, NULL, NULL, err, sizeof err, &read_errno));
        assert_same_maps(&whole, &streamed);
        vm_linux_maps_free(&streamed);
    }
    lx_reader_test_chunk_bytes(0);
    close(fd);
    vm_linux_maps_free(&whole);
    free(t);
}

/* A last line without its newline counts, as in the whole-text parser; an empty file is an empty
 * map. */
static void test_fd_edges(void **state)
{
    const char *t = "00400000-00401000 r-xp 00000000 08:01 42 /bin/x\nRss: 4 kB";
    vm_linux_maps a, b;
    char err[200];
    int read_errno;
    assert_true(vm_linux_parse_smaps_text(t, strlen(t), &a, err, sizeof err));
    int fd = text_fd(t, strlen(t));
    assert_true(vm_linux_parse_smaps_fd(fd, &b, NULL, NULL, err, sizeof err, &read_errno));
    assert_same_maps(&a, &b);
    assert_int_equal(b.v[0].rss, 4096);
    close(fd);
    vm_linux_maps_free(&a);
    vm_linux_maps_free(&b);

    fd = text_fd("", 0);
    assert_true(vm_linux_parse_smaps_fd(fd, &b, NULL, NULL, err, sizeof err, &read_errno));
    assert_int_equal(b.n, 0);
    close(fd);
}

/* A line longer than 64 KiB, whether it straddles a chunk boundary or not, is refused with its
 * line number, as the whole-text parser does; a malformed line in a later chunk too. */
static void test_fd_errors(void **state)
{
    size_t len;
    char *t = synthetic_smaps(600, &len); /* about 150 KB: three chunks of 64 KiB */
    lx_reader_test_chunk_bytes(65536);
    size_t big = len + 70000 + 2;
    char *u = malloc(big);
    assert_non_null(u);
    memcpy(u, t, len);
    memset(u + len, 'x', 70000);
    memcpy(u + len + 70000, "\n", 2);
    vm_linux_maps m;
    char err[200], err2[200];
    int read_errno;
    assert_false(vm_linux_parse_smaps_text(u, big - 1, &m, err, sizeof err));
    int fd = text_fd(u, big - 1);
    assert_false(vm_linux_parse_smaps_fd(fd, &m, NULL, NULL, err2, sizeof err2, &read_errno));
    assert_int_equal(read_errno, 0);
    assert_string_equal(err, err2);
    assert_non_null(strstr(err2, "too long"));
    assert_null(m.v);
    close(fd);

    /* A bad first line in front of a long file: the reader is stopped, not drained. */
    size_t blen;
    char *b = synthetic_smaps(6000, &blen);
    memcpy(b, "garbage", 7);
    fd = text_fd(b, blen);
    assert_false(vm_linux_parse_smaps_fd(fd, &m, NULL, NULL, err2, sizeof err2, &read_errno));
    assert_string_equal(err2, "line 1: expected a mapping line");
    close(fd);
    free(b);

    memcpy(u + len, "garbage line\n", 13);
    assert_false(vm_linux_parse_smaps_text(u, len + 13, &m, err, sizeof err));
    fd = text_fd(u, len + 13);
    assert_false(vm_linux_parse_smaps_fd(fd, &m, NULL, NULL, err2, sizeof err2, &read_errno));
    assert_string_equal(err, err2);
    assert_non_null(strstr(err2, "malformed"));
    close(fd);
    free(u);
    free(t);
    lx_reader_test_chunk_bytes(0);
}

/* A read that fails (here: a directory) is reported as such, not as a parse error. */
static void test_fd_read_error(void **state)
{
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    vm_linux_maps m;
    char err[200];
    int read_errno = 0;
    assert_false(vm_linux_parse_smaps_fd(fd, &m, NULL, NULL, err, sizeof err, &read_errno));
    assert_int_equal(read_errno, EISDIR);
    assert_null(m.v);
    close(fd);
}

/* ---- live ------------------------------------------------------------------------------------- */

static const vm_linux_mapping *containing(const vm_linux_maps *maps, uint64_t addr)
{
    for (size_t i = 0; i < maps->n; i++)
        if (addr >= maps->v[i].start && addr < maps->v[i].end)
            return &maps->v[i];
    return NULL;
}

static void test_live_self(void **state)
{
    volatile int local = 42;
    vm_linux_maps maps;
    vm_error err;
    vm_error_clear(&err);
    assert_int_equal(vm_linux_read_smaps(getpid(), &maps, &err), VM_EXIT_OK);
    assert_true(maps.n > 5);
    const vm_linux_mapping *stack = containing(&maps, (uint64_t)(uintptr_t)&local);
    assert_non_null(stack);
    assert_true(stack->r && stack->w);
    /* Valgrind runs our main thread on a stack of its own making, an unnamed mapping. */
    const char *pre = getenv("LD_PRELOAD");
    if (!pre || !strstr(pre, "vgpreload")) {
        assert_non_null(stack->name);
        assert_string_equal(stack->name, "[stack]");
        assert_true(stack->vmflags & VM_LX_GD);
    }
    const vm_linux_mapping *code = containing(&maps, (uint64_t)(uintptr_t)&test_live_self);
    assert_non_null(code);
    assert_true(code->x);
    assert_true(code->vmflags & VM_LX_EX);
    assert_non_null(code->name);
    uint32_t want = VM_LX_HAVE_SIZE | VM_LX_HAVE_RSS | VM_LX_HAVE_PSS | VM_LX_HAVE_PRIVATE_DIRTY | VM_LX_HAVE_VMFLAGS;
    uint64_t prev_end = 0;
    for (size_t i = 0; i < maps.n; i++) {
        assert_int_equal(maps.v[i].have & want, want);
        assert_int_equal(maps.v[i].size, maps.v[i].end - maps.v[i].start);
        assert_true(maps.v[i].start >= prev_end); /* sorted, no overlap */
        prev_end = maps.v[i].end;
    }
    vm_linux_maps_free(&maps);
    (void)local;
}

static bool rollup_rss(int pid, uint64_t *rss)
{
    static char buf[16384];
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    vm_linux_maps r;
    char err[128];
    /* smaps_rollup is one "[rollup]" record in smaps syntax: the same parser reads it. */
    bool ok = vm_linux_parse_smaps_text(buf, (size_t)n, &r, err, sizeof err) && r.n == 1 &&
              (r.v[0].have & VM_LX_HAVE_RSS);
    if (ok)
        *rss = r.v[0].rss;
    vm_linux_maps_free(&r);
    return ok;
}

static bool sum_rss(int pid, uint64_t *sum)
{
    vm_linux_maps maps;
    vm_error err;
    if (vm_linux_read_smaps(pid, &maps, &err) != VM_EXIT_OK)
        return false;
    *sum = 0;
    for (size_t i = 0; i < maps.n; i++)
        *sum += maps.v[i].rss;
    vm_linux_maps_free(&maps);
    return true;
}

/* The rollup is the kernel's own sum, so the per-mapping Rss must add up to it exactly.  Our own
 * reading allocates (and, under ASan, quarantines) memory, which moves our Rss between two reads;
 * a child blocked in read() holds still, and we read it both ways, retrying if a page moved. */
static void check_rss_sum(int pid)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        uint64_t a = 0, b = 0, r = 0;
        assert_true(sum_rss(pid, &a));
        assert_true(rollup_rss(pid, &r));
        assert_true(sum_rss(pid, &b));
        if (a == b && a == r) {
            assert_true(a > 0);
            return;
        }
        usleep(20000);
    }
    fail_msg("sum of smaps Rss never matched smaps_rollup for PID %d", pid);
}

static void test_live_rss_matches_rollup(void **state)
{
    if (access("/proc/self/smaps_rollup", R_OK) != 0)
        skip();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char c;
        close(fds[1]);
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(fds[0]);
    check_rss_sum((int)child);
    close(fds[1]);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* A child with 3,000 extra mappings: its smaps (about 2.5 MB) comes in many chunks from the
 * kernel, and every mapping of its maps file is there, in order. */
static void test_live_many_mappings(void **state)
{
    /* fds: the child waits on it to exit; ready: it says it has made every mapping.  (Waiting
     * for 3000 lines in its maps was not enough under ThreadSanitizer, whose runtime maps memory
     * of its own: the count was reached while the child was still mapping.) */
    int fds[2], ready[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(fds[1]);
        close(ready[0]);
        long page = sysconf(_SC_PAGESIZE);
        for (int i = 0; i < 3000; i++) {
            /* alternating protections keep neighbours from merging */
            char *p = mmap(NULL, (size_t)page, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED)
                _exit(1);
        }
        char c = 0;
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        while (read(fds[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(fds[0]);
    close(ready[1]);
    char path[64], c;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)child);
    ssize_t got;
    while ((got = read(ready[0], &c, 1)) < 0 && errno == EINTR)
        ;
    close(ready[0]);
    assert_int_equal(got, 1);
    vm_linux_maps maps;
    vm_error err;
    vm_error_clear(&err);
    assert_int_equal(vm_linux_read_smaps((int)child, &maps, &err), VM_EXIT_OK);
    assert_int_equal(maps.n, count_lines(path));
    assert_true(maps.n >= 3000);
    for (size_t i = 1; i < maps.n; i++)
        assert_true(maps.v[i].start >= maps.v[i - 1].end);
    for (size_t i = 0; i < maps.n; i++)
        assert_int_equal(maps.v[i].size, maps.v[i].end - maps.v[i].start);
    vm_linux_maps_free(&maps);
    close(fds[1]);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
}

/* A PID above pid_max can never exist. */
static int absent_pid(void)
{
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    long max = 4194304;
    if (f) {
        if (fscanf(f, "%ld", &max) != 1)
            max = 4194304;
        fclose(f);
    }
    int pid = (int)max + 1;
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
    return pid;
}

static void test_live_not_found(void **state)
{
    vm_linux_maps maps;
    vm_error err;
    vm_error_clear(&err);
    int pid = absent_pid();
    assert_int_equal(vm_linux_read_smaps(pid, &maps, &err), VM_EXIT_NOT_FOUND);
    assert_int_equal(err.code, VM_EXIT_NOT_FOUND);
    char want[64];
    snprintf(want, sizeof want, "no process with PID %d", pid);
    assert_string_equal(err.msg, want);
    assert_null(maps.v);
    assert_int_equal(vm_linux_read_smaps(0, &maps, &err), VM_EXIT_NOT_FOUND);
    assert_int_equal(vm_linux_read_smaps(-5, &maps, &err), VM_EXIT_NOT_FOUND);
}

/* A kernel thread (kthreadd is PID 2 on a normal system) has an empty smaps: no error. */
static void test_live_kernel_thread(void **state)
{
    char comm[32] = "";
    FILE *f = fopen("/proc/2/comm", "r");
    if (!f)
        skip();
    bool is_kthreadd = fgets(comm, sizeof comm, f) && strcmp(comm, "kthreadd\n") == 0;
    fclose(f);
    if (!is_kthreadd)
        skip();
    vm_linux_maps maps;
    vm_error err;
    vm_error_clear(&err);
    assert_int_equal(vm_linux_read_smaps(2, &maps, &err), VM_EXIT_OK);
    assert_int_equal(maps.n, 0);
    vm_linux_maps_free(&maps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_plain_file),
        cmocka_unit_test(test_header_spaces_in_path),
        cmocka_unit_test(test_header_deleted),
        cmocka_unit_test(test_header_pseudo_names),
        cmocka_unit_test(test_header_no_name),
        cmocka_unit_test(test_header_big_values),
        cmocka_unit_test(test_header_malformed),
        cmocka_unit_test(test_fields_by_name),
        cmocka_unit_test(test_fields_unknown_ignored),
        cmocka_unit_test(test_fields_malformed),
        cmocka_unit_test(test_vmflags),
        cmocka_unit_test(test_text_sample),
        cmocka_unit_test(test_text_maps_only_and_empty),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_text_field_forms),
        cmocka_unit_test(test_text_fixed_columns),
        cmocka_unit_test(test_fd_matches_text),
        cmocka_unit_test(test_fd_busy_caller),
        cmocka_unit_test(test_fd_edges),
        cmocka_unit_test(test_fd_errors),
        cmocka_unit_test(test_fd_read_error),
        cmocka_unit_test(test_live_self),
        cmocka_unit_test(test_live_rss_matches_rollup),
        cmocka_unit_test(test_live_many_mappings),
        cmocka_unit_test(test_live_not_found),
        cmocka_unit_test(test_live_kernel_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
