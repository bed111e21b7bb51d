/* util/file_io: folder lists, positioned reads, self-deleting temporaries, file maps (the POSIX
 * side; the Windows side runs under Wine in tests/wine/test_wine_offline.c, which reads plain and
 * packed cores and dumps through it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmmap/util/file_io.h"

static void test_path_list(void **state)
{
    (void)state;
    const char *rest = "/a:/bb::/ccc", *d;
    size_t n = 0;
    const char *want[] = {"/a", "/bb", "", "/ccc"};
    for (size_t i = 0; i < 4; i++) {
        d = vm_path_list_next(&rest, &n);
        assert_non_null(d);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(d, want[i], n);
    }
    assert_null(rest);
    assert_null(vm_path_list_next(&rest, &n));
    rest = "";
    assert_null(vm_path_list_next(&rest, &n));
    rest = NULL;
    assert_null(vm_path_list_next(&rest, &n));
}

static void test_temp_write_pread(void **state)
{
    (void)state;
    char where[256];
    int fd = vm_file_temp(where, sizeof where);
    assert_true(fd >= 0);
    assert_true(where[0] != '\0');
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_nlink, 0); /* no name: gone when closed */
    uint8_t buf[70000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7);
    assert_true(vm_file_write_all(fd, buf, sizeof buf));
    uint64_t size = 0;
    bool dir = true;
    assert_true(vm_file_info(fd, &size, &dir));
    assert_int_equal(size, sizeof buf);
    assert_false(dir);
    uint8_t got[100];
    assert_int_equal(vm_file_pread(fd, got, sizeof got, 65530), (int64_t)sizeof got);
    assert_memory_equal(got, buf + 65530, sizeof got);
    assert_int_equal(vm_file_pread(fd, got, sizeof got, sizeof buf - 10), 10); /* short at the end */
    assert_int_equal(vm_file_pread(fd, got, sizeof got, sizeof buf), 0);     /* at the end */
    assert_int_equal(vm_file_pread(fd, got, sizeof got, UINT64_MAX), -1);   /* beyond any offset */

    uint8_t *map = vm_file_map(fd, sizeof buf);
    assert_non_null(map);
    assert_memory_equal(map, buf, sizeof buf);
    vm_file_unmap(map, sizeof buf);
    errno = 0;
    assert_null(vm_file_map(fd, 0));
    assert_int_equal(errno, EINVAL);
    vm_file_close(fd);
}

static void test_open_and_info(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(vm_file_open_read("/nonexistent/vmmap-file-io"), -1);
    assert_int_equal(errno, ENOENT);
    uint64_t size = 1;
    bool dir = false;
    assert_true(vm_path_info("/", &size, &dir));
    assert_true(dir);
    int fd = vm_file_open_read("/");
    assert_true(fd >= 0);
    assert_true(vm_file_info(fd, &size, &dir));
    assert_true(dir);
    vm_file_close(fd);
    vm_file_close(-1); /* harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_list),
        cmocka_unit_test(test_temp_write_pread),
        cmocka_unit_test(test_open_and_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
