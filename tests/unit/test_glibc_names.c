/* glibc's C library and loader by file name (vmmap/sources/linux_model/glibc_names.h): the names
 * of glibc 2.34 and later (libc.so.6, ld-linux-*.so.N) and of older ones (libc-2.NN.so,
 * ld-2.NN.so), in any directory; not musl's, nor other libraries that start alike. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmmap/sources/linux_model/glibc_names.h"

static void test_libc(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib64/libc.so.6", "/tmp/copy/libc.so.6", "libc.so.6",
        "/lib/x86_64-linux-gnu/libc-2.31.so", "/lib/x86_64-linux-gnu/libc-2.24.so", "/lib64/libc-2.17.so",
        "/lib/i386-linux-gnu/libc-2.23.so", "/opt/glibc/lib/libc-2.9.so", "/lib/libc-2.3.6.so",
    };
    static const char *const no[] = {
        "/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1", "/usr/lib/libcap.so.2", "/usr/lib/libcrypt.so.1",
        "/lib/x86_64-linux-gnu/libc.so", "/lib/libc.so.6.bak", "/lib/libc-2.31.so.1", "/lib/libc-2.31.so.bak",
        "/lib/libc-2..so", "/lib/libc-2.so", "/lib/libc-3.1.so", "/lib/libc-2.x.so", "/lib/libcrypt-2.31.so",
        "/lib/x86_64-linux-gnu/libpthread-2.31.so", "/lib/libc.so.6/other", "", NULL,
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!lx_is_glibc_libc(yes[i]))
            fail_msg("%s is glibc's libc", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (lx_is_glibc_libc(no[i]))
            fail_msg("%s is not glibc's libc", no[i]);
}

static void test_loader(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux.so.2",
        "/lib/ld-linux-aarch64.so.1", "/lib/ld-linux-armhf.so.3", "/lib/x86_64-linux-gnu/ld-2.31.so",
        "/lib/x86_64-linux-gnu/ld-2.24.so", "/lib64/ld-2.17.so",
    };
    static const char *const no[] = {
        "/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1", "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/x86_64-linux-gnu/libc-2.31.so", "/lib/ld-linuxish.so.2", "/lib/ld-linux-x86-64.so", "/lib/ld-linux-x86-64.so.",
        "/lib/ld-2.31.so.bak", "/usr/bin/ld", "/usr/bin/ld-2.31", "/lib/ld.so", "", NULL,
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!lx_is_glibc_loader(yes[i]))
            fail_msg("%s is glibc's loader", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (lx_is_glibc_loader(no[i]))
            fail_msg("%s is not glibc's loader", no[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libc),
        cmocka_unit_test(test_loader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
