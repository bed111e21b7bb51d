/* The live memory reader reads only pages that are there (vmmap/sources/linux/linux_memreader.h),
 * on this process's own memory: a page of an anonymous mapping never written reads as zeros and
 * stays unmapped; a file mapping's page not mapped yet stops the read and stays unmapped (reading
 * it would have mapped it: the observer effect this prevents); a PROT_NONE page is a failed read;
 * batched reads the same; without the mappings known, a page not there stops the read.  Each
 * page's state is checked in /proc/self/pagemap after the reads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmmap/sources/linux/linux_memreader.h"
#include "vmmap/sources/linux/proc_smaps.h"

#define P 4096u

/* Whether the page at p is present in this process's page tables (pagemap bit 63). */
static bool present(const void *p)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    assert_true(fd >= 0);
    uint64_t e = 0;
    assert_int_equal(pread(fd, &e, sizeof e, (off_t)((uintptr_t)p / P * sizeof e)), (ssize_t)sizeof e);
    close(fd);
    return (e >> 63) & 1;
}

static vm_memreader reader_with_layout(vm_linux_mem *m)
{
    vm_memreader r = vm_linux_memreader_open(m, getpid());
    vm_linux_maps maps = {NULL, 0};
    vm_error err = {0};
    assert_int_equal(vm_linux_read_maps(getpid(), &maps, &err), VM_EXIT_OK);
    vm_linux_memreader_set_layout(m, &maps);
    vm_linux_maps_free(&maps);
    return r;
}

static void test_anonymous_pages_not_there_read_as_zeros(void **state)
{
    (void)state;
    char *a = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(a != MAP_FAILED);
    madvise(a, 8 * P, MADV_NOHUGEPAGE);
    memset(a, 'x', P);
    memset(a + 5 * P, 'y', P);
    vm_linux_mem m;
    vm_memreader r = reader_with_layout(&m);
    char *buf = malloc(8 * P);
    memset(buf, 0x55, 8 * P);
    assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)a + 100, buf, 8 * P - 200), 8 * P - 200);
    for (size_t i = 0; i < 8 * P - 200; i++) {
        size_t pg = (i + 100) / P;
        assert_int_equal(buf[i], pg == 0 ? 'x' : pg == 5 ? 'y' : 0);
    }
    for (int pg = 0; pg < 8; pg++)
        assert_int_equal(present(a + pg * P), pg == 0 || pg == 5);
    assert_int_equal(m.zero_pages, 6);
    assert_int_equal(m.failed_reads, 0);
    assert_int_equal(m.not_there_swapped + m.not_there_unmapped, 0);

    /* batched: pieces on pages not there are zeros too, the others read */
    char got[4][16];
    vm_read_req reqs[4] = {{(uint64_t)(uintptr_t)a + 3 * P, got[0], 16, 0},
                           {(uint64_t)(uintptr_t)a + 5 * P + 8, got[1], 16, 0},
                           {(uint64_t)(uintptr_t)a + 7 * P + 4000, got[2], 16, 0},
                           {(uint64_t)(uintptr_t)a + 8, got[3], 16, 0}};
    vm_read_many(&r, reqs, 4);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(reqs[k].got, 16);
        for (int i = 0; i < 16; i++)
            assert_int_equal(got[k][i], k == 1 ? 'y' : k == 3 ? 'x' : 0);
    }
    for (int pg = 0; pg < 8; pg++)
        assert_int_equal(present(a + pg * P), pg == 0 || pg == 5);

    /* without the mappings known, a page not there stops the read, unread */
    vm_linux_mem bare;
    vm_memreader rb = vm_linux_memreader_open(&bare, getpid());
    assert_int_equal(rb.read(rb.ctx, (uint64_t)(uintptr_t)a, buf, 3 * P), P);
    assert_false(present(a + P));
    vm_linux_memreader_close(&bare);
    vm_linux_memreader_close(&m);
    free(buf);
    munmap(a, 8 * P);
}

static void test_file_and_prot_none_pages_not_read(void **state)
{
    (void)state;
    char path[] = "/tmp/vmmap-test-pages-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    char page[P];
    for (int pg = 0; pg < 4; pg++) {
        memset(page, 'a' + pg, P);
        assert_int_equal(write(fd, page, P), (ssize_t)P);
    }
    char *f = mmap(NULL, 4 * P, PROT_READ, MAP_PRIVATE, fd, 0); /* in the page cache, not mapped yet */
    assert_true(f != MAP_FAILED);
    char *none = mmap(NULL, 2 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(none != MAP_FAILED);
    vm_linux_mem m;
    vm_memreader r = reader_with_layout(&m);
    char buf[4 * P];
    assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)f, buf, sizeof buf), 0);
    assert_int_equal(m.not_there_unmapped, 1);
    assert_int_equal(m.failed_reads, 0);
    for (int pg = 0; pg < 4; pg++)
        assert_false(present(f + pg * P));
    /* a PROT_NONE page: no read at all, a failed one (as process_vm_readv fails there) */
    assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)none, buf, 16), 0);
    assert_int_equal(m.failed_reads, 1);
    assert_int_equal(m.not_there_unmapped, 1);
    assert_false(present(none));
    /* once the process has the page, it is read */
    volatile char c = f[2 * P];
    assert_int_equal(c, 'c');
    assert_true(present(f + 2 * P));
    assert_int_equal(r.read(r.ctx, (uint64_t)(uintptr_t)f + 2 * P + 10, buf, 20), 20);
    assert_int_equal(buf[0], 'c');
    vm_linux_memreader_close(&m);
    munmap(none, 2 * P);
    munmap(f, 4 * P);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anonymous_pages_not_there_read_as_zeros),
        cmocka_unit_test(test_file_and_prot_none_pages_not_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
