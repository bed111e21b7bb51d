/* Reading through a packing (sources/input/unpack.h): gzip, xz and bzip2 recognised by their
 * magic, read as a stream (the first bytes alone, or all of it), concatenated members, and
 * truncated or corrupt data told apart from a clean end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bzlib.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "tests/support/proc_util.h"
#include "vmmap/sources/input/unpack.h"

#define PLAIN_LEN (300 * 1024)

static char dir[256];
static uint8_t *plain;

static int setup(void **state)
{
    (void)state;
    plain = malloc(PLAIN_LEN);
    if (!plain)
        return -1;
    uint32_t x = 12345;
    for (size_t i = 0; i < PLAIN_LEN; i++) { /* compressible, not trivially */
        x = x * 1103515245u + 12345u;
        plain[i] = (uint8_t)("ELF core vmmap "[(x >> 16) % 15]);
    }
    return pu_tempdir(dir, sizeof dir);
}

static int teardown(void **state)
{
    (void)state;
    free(plain);
    return pu_tempdir_remove(dir);
}

static size_t pack_gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (uint8_t *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}

static size_t pack_xz(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t pos = 0;
    assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, in, n, out, &pos, cap), LZMA_OK);
    return pos;
}

static size_t pack_bzip2(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    unsigned len = (unsigned)cap;
    assert_int_equal(BZ2_bzBuffToBuffCompress((char *)out, &len, (char *)in, (unsigned)n, 9, 0, 0), BZ_OK);
    return len;
}

typedef size_t (*pack_fn)(const uint8_t *, size_t, uint8_t *, size_t);

static void write_file(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

/* Reads all of path through vm_unpack; returns the exit code, *out the bytes. */
static int read_all(const char *path, uint8_t **out, size_t *n, vm_error *err)
{
    vm_unpack *u;
    *out = NULL;
    *n = 0;
    int rc = vm_unpack_open(path, &u, err);
    if (rc != VM_EXIT_OK)
        return rc;
    size_t cap = PLAIN_LEN * 3;
    *out = malloc(cap);
    assert_non_null(*out);
    for (;;) {
        size_t got;
        rc = vm_unpack_read(u, *out + *n, cap - *n < 7777 ? cap - *n : 7777, &got, err); /* odd sizes */
        if (rc != VM_EXIT_OK || got == 0)
            break;
        *n += got;
    }
    vm_unpack_close(u);
    return rc;
}

static void check_packing(pack_fn pack, vm_packing want, const char *name)
{
    size_t cap = PLAIN_LEN + 4096;
    uint8_t *packed = malloc(cap * 2);
    assert_non_null(packed);
    size_t len = pack(plain, PLAIN_LEN, packed, cap);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, packed, len);

    uint8_t head[4096];
    size_t n;
    vm_packing got;
    vm_error err = {0};
    int rc;
    assert_int_equal(vm_unpack_head(path, head, sizeof head, &n, &got, &err), VM_EXIT_OK);
    assert_int_equal(got, want);
    assert_int_equal(n, sizeof head);
    assert_memory_equal(head, plain, sizeof head);

    uint8_t *all;
    assert_int_equal(read_all(path, &all, &n, &err), VM_EXIT_OK);
    assert_int_equal(n, PLAIN_LEN);
    assert_memory_equal(all, plain, PLAIN_LEN);
    free(all);

    /* Two members one after the other (gzip -c a b, pbzip2, xz of concatenated streams). */
    size_t len2 = pack(plain, 1000, packed + len, cap);
    write_file(path, packed, len + len2);
    assert_int_equal(read_all(path, &all, &n, &err), VM_EXIT_OK);
    assert_int_equal(n, PLAIN_LEN + 1000);
    assert_memory_equal(all + PLAIN_LEN, plain, 1000);
    free(all);

    /* Cut in the middle: the whole says truncated; the head reads where the packing gives
     * output before the end of a block (gzip, xz), and says truncated where it cannot (bzip2's
     * 900 kB blocks hold all of this). */
    write_file(path, packed, len / 2);
    rc = vm_unpack_head(path, head, sizeof head, &n, &got, &err);
    if (rc == VM_EXIT_OK)
        assert_memory_equal(head, plain, n);
    else
        assert_non_null(strstr(err.msg, "truncated"));
    assert_int_equal(want == VM_PACK_BZIP2, rc != VM_EXIT_OK);
    assert_int_equal(read_all(path, &all, &n, &err), VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(err.msg, "truncated"));
    free(all);

    /* Damaged in the middle: corrupt, never a crash or a clean end. */
    for (size_t i = len / 3; i < len / 3 + 64; i++)
        packed[i] ^= 0x5a;
    write_file(path, packed, len);
    rc = read_all(path, &all, &n, &err);
    assert_int_equal(rc, VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(err.msg, "cannot decompress"));
    free(all);
    free(packed);
}

static void test_gzip(void **state) { (void)state; check_packing(pack_gzip, VM_PACK_GZIP, "x.gz"); }
static void test_xz(void **state) { (void)state; check_packing(pack_xz, VM_PACK_XZ, "x.xz"); }
static void test_bzip2(void **state) { (void)state; check_packing(pack_bzip2, VM_PACK_BZIP2, "x.bz2"); }

static void test_plain_and_errors(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/plain.gz", dir); /* the name does not make it gzip */
    write_file(path, plain, 5000);
    uint8_t head[4096];
    size_t n;
    vm_packing got;
    vm_error err = {0};
    assert_int_equal(vm_unpack_head(path, head, sizeof head, &n, &got, &err), VM_EXIT_OK);
    assert_int_equal(got, VM_PACK_NONE);
    assert_int_equal(n, sizeof head);
    write_file(path, plain, 0);
    assert_int_equal(vm_unpack_head(path, head, sizeof head, &n, &got, &err), VM_EXIT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vm_unpack_head(dir, head, sizeof head, &n, &got, &err), VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(err.msg, "directory"));
    snprintf(path, sizeof path, "%s/none", dir);
    assert_int_equal(vm_unpack_head(path, head, sizeof head, &n, &got, &err), VM_EXIT_NOT_FOUND);
    assert_int_equal(vm_packing_of((const uint8_t *)"BZh9", 4), VM_PACK_BZIP2);
    assert_int_equal(vm_packing_of((const uint8_t *)"BZh0", 4), VM_PACK_NONE);
    assert_int_equal(vm_packing_of((const uint8_t *)"\x1f", 1), VM_PACK_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_xz),
        cmocka_unit_test(test_bzip2),
        cmocka_unit_test(test_plain_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
