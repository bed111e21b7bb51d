/* Units: sizes, addresses and durations, parsed and formatted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vmmap/util/units.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define TiB (1024ull * GiB)
#define PiB (1024ull * TiB)

typedef struct size_case {
    const char *text;
    uint64_t bytes;
} size_case;

static const size_case good_sizes[] = {
    {"0", 0},
    {"4096", 4096},
    {"4K", 4 * KiB},
    {"4k", 4 * KiB},
    {"1M", MiB},
    {"1.5M", MiB + MiB / 2},
    {"2G", 2 * GiB},
    {"1T", TiB},
    {"1P", PiB},
    {"64KiB", 64 * KiB},
    {"64KB", 64 * KiB},
    {"64kib", 64 * KiB},
    {"10MB", 10 * MiB},
    {"10 MB", 10 * MiB},
    {"512B", 512},
    {"512b", 512},
    {".5K", 512},
    {"0.25G", GiB / 4},
    {"1.3K", 1331},           /* 1331.2 rounded down */
    {"0.000001P", 1125899906}, /* floor(2^50 / 10^6) */
    {"18446744073709551615", UINT64_MAX},
    {"16383P", 16383 * PiB},
    {"15.999P", 18013272609575141}, /* floor(15.999 * 2^50) */
};

static const char *const bad_sizes[] = {
    "", " 4K", "-1", "-4K", "+4K", "4X", "4KK", "4Ki", "KB", "K", "1.", ".", "1.5", "1.5B",
    "4K ", "4 ", "4  K", "0x10", "1e3", "4,096", "18446744073709551616", "16384P",
    "99999999999999999999999", "17179869184G",
};

static void test_parse_size_good(void **state)
{
    for (size_t i = 0; i < sizeof good_sizes / sizeof good_sizes[0]; i++) {
        uint64_t v = 12345;
        if (!vm_parse_size(good_sizes[i].text, &v))
            fail_msg("rejected \"%s\"", good_sizes[i].text);
        if (v != good_sizes[i].bytes)
            fail_msg("\"%s\" gave %llu, want %llu", good_sizes[i].text, (unsigned long long)v,
                     (unsigned long long)good_sizes[i].bytes);
    }
}

static void test_parse_size_bad(void **state)
{
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        uint64_t v = 777;
        if (vm_parse_size(bad_sizes[i], &v))
            fail_msg("accepted \"%s\" as %llu", bad_sizes[i], (unsigned long long)v);
        assert_int_equal(v, 777); /* untouched on failure */
    }
    assert_false(vm_parse_size(NULL, &(uint64_t){0}));
}

static void test_parse_address(void **state)
{
    static const size_case good[] = {
        {"0x7ffd12340000", 0x7ffd12340000ull},
        {"0X7FFD12340000", 0x7ffd12340000ull},
        {"7ffd12340000", 0x7ffd12340000ull},
        {"00007ffd`12340000", 0x7ffd12340000ull},
        {"0x00007FFD`12340000", 0x7ffd12340000ull},
        {"0", 0},
        {"ffffffffffffffff", UINT64_MAX},
        {"0000ffffffffffffffff", UINT64_MAX}, /* leading zeros are not bits */
        {"1000", 0x1000},
    };
    static const char *const bad[] = {
        "", "0x", "x10", "-1", "0x-1", "12g4", "0x7ffd 1234", "`1234", "1234`", "12``34",
        "12`34`56", "1ffffffffffffffff", "0x10000000000000000", " 10", "10 ",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 1;
        if (!vm_parse_address(good[i].text, &v) || v != good[i].bytes)
            fail_msg("\"%s\" -> %llx", good[i].text, (unsigned long long)v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v;
        if (vm_parse_address(bad[i], &v))
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_parse_duration(void **state)
{
    static const struct {
        const char *text;
        double seconds;
    } good[] = {
        {"2s", 2.0}, {"500ms", 0.5}, {"10m", 600.0}, {"1h", 3600.0}, {"1.5s", 1.5},
        {"3", 3.0}, {"0.25", 0.25}, {"1d", 86400.0}, {"0", 0.0}, {"1.5h", 5400.0},
    };
    static const char *const bad[] = {
        "", "s", "-1s", "+1s", "1x", "1 s", "1.s", "1sec", "1e3", "nan", "inf", "2ss", "0x10",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -1;
        if (!vm_parse_duration(good[i].text, &v))
            fail_msg("rejected \"%s\"", good[i].text);
        assert_float_equal(v, good[i].seconds, 1e-9);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        if (vm_parse_duration(bad[i], &v))
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

typedef struct format_case {
    uint64_t value;
    const char *text;
} format_case;

static void test_format_kb(void **state)
{
    static const format_case cases[] = {
        {0, "0 K"},
        {4096, "4 K"},
        {1, "1 K"}, /* rounded up: a byte is not nothing */
        {8 * MiB, "8,192 K"},
        {999 * KiB, "999 K"},
        {1000 * KiB, "1,000 K"},
        {GiB, "1,048,576 K"},
        {UINT64_MAX, "18,014,398,509,481,984 K"},
    };
    char buf[VM_UNITS_BUFSZ];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vm_format_kb(cases[i].value, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
        vm_format_size(cases[i].value, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

static void test_format_count(void **state)
{
    static const format_case cases[] = {
        {0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"},
        {UINT64_MAX, "18,446,744,073,709,551,615"},
    };
    char buf[VM_UNITS_BUFSZ];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vm_format_count(cases[i].value, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

static void test_format_human(void **state)
{
    static const format_case cases[] = {
        {0, "0 B"},
        {123, "123 B"},
        {1023, "1023 B"},
        {1024, "1.0 KiB"},
        {512 * KiB, "512 KiB"},
        {8 * MiB, "8.0 MiB"},
        {4 * GiB, "4.0 GiB"},
        {MiB + MiB / 2, "1.5 MiB"},
        {MiB - 1, "1.0 MiB"}, /* would be "1024 KiB" */
        {99 * MiB + 1000 * KiB, "100 MiB"},
        {3 * TiB, "3.0 TiB"},
        {UINT64_MAX, "16.0 EiB"},
    };
    char buf[VM_UNITS_BUFSZ];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vm_format_human(cases[i].value, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

/* --human: VMMap's K cells at a glance, at most three digits, 1,024-based. */
static void test_format_kb_short(void **state)
{
    static const struct {
        uint64_t bytes;
        const char *text;
    } cases[] = {
        {0, "0 K"},
        {1, "1 K"}, /* rounded up, as VMMap counts */
        {999 * 1024, "999 K"},
        {1000 * 1024, "1.0 M"}, /* four digits read worse than the next unit */
        {340ull << 20, "340 M"},
        {1288490189ull, "1.2 G"},
        {10ull << 30, "10 G"},
        {137438650920ull * 1024, "128 T"}, /* the Free row of a 64-bit process */
        {UINT64_MAX, "16 E"},
    };
    char buf[VM_UNITS_BUFSZ];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vm_format_kb_short(cases[i].bytes, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

static void test_format_address(void **state)
{
    char buf[VM_UNITS_BUFSZ];
    vm_format_address(0x7ffd12340000ull, 64, buf, sizeof buf);
    assert_string_equal(buf, "00007FFD12340000");
    vm_format_address(0, 64, buf, sizeof buf);
    assert_string_equal(buf, "0000000000000000");
    vm_format_address(0x7ffe0000, 32, buf, sizeof buf);
    assert_string_equal(buf, "7FFE0000");
    vm_format_address(0x100000000ull, 32, buf, sizeof buf); /* does not fit: all digits */
    assert_string_equal(buf, "0000000100000000");
    vm_format_address(UINT64_MAX, 64, buf, sizeof buf);
    assert_string_equal(buf, "FFFFFFFFFFFFFFFF");
}

static void test_format_truncates(void **state)
{
    char buf[5];
    memset(buf, 'x', sizeof buf);
    vm_format_kb(8 * MiB, buf, sizeof buf);
    assert_string_equal(buf, "8,19");
    vm_format_address(0x7ffd12340000ull, 64, buf, sizeof buf);
    assert_string_equal(buf, "0000");
    vm_format_count(1234567, buf, 0); /* no room at all: nothing written */
    assert_string_equal(buf, "0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size_good),  cmocka_unit_test(test_parse_size_bad),
        cmocka_unit_test(test_parse_address),    cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_format_kb),        cmocka_unit_test(test_format_count),
        cmocka_unit_test(test_format_human),     cmocka_unit_test(test_format_address), cmocka_unit_test(test_format_kb_short),
        cmocka_unit_test(test_format_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
