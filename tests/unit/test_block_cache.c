/* The block cache (parse/block_cache.h): every read through it gives what the reader under it
 * gives, byte for byte and in length (reads across blocks, at and past the end, longer than a
 * block, after the cache has cycled through more blocks than it holds, a reader that fails in
 * the middle), and it reads each block once while it is cached. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vmmap/parse/block_cache.h"

#define FILE_LEN (VM_BLOCK_CACHE_BLOCK * 40 + 123)

/* A "file": FILE_LEN bytes from 0, unreadable from hole on (a failed read), counting reads. */
typedef struct fake {
    uint64_t hole;
    size_t reads;
    bool past_end; /* asked for bytes past FILE_LEN (a file reader would try again there) */
} fake;

static uint8_t byte_at(uint64_t off)
{
    return (uint8_t)((off * 0x9e3779b97f4a7c15ull) >> 56);
}

static size_t fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    fake *f = ctx;
    f->reads++;
    f->past_end |= addr + len > FILE_LEN;
    uint64_t end = f->hole < FILE_LEN ? f->hole : FILE_LEN;
    if (addr >= end)
        return 0;
    size_t n = end - addr < len ? (size_t)(end - addr) : len;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = byte_at(addr + i);
    return n;
}

/* One read through the cache against the same read from the fake itself. */
static void same(vm_memreader *cached, fake *f, uint64_t addr, size_t len)
{
    static uint8_t got[3 * VM_BLOCK_CACHE_BLOCK], want[3 * VM_BLOCK_CACHE_BLOCK];
    memset(got, 0xee, len);
    size_t n = cached->read(cached->ctx, addr, got, len);
    size_t reads = f->reads;
    bool past = f->past_end;
    size_t m = fake_read(f, addr, want, len);
    f->reads = reads;
    f->past_end = past;
    assert_int_equal(n, m);
    assert_memory_equal(got, want, n);
}

static void reads_match(void **state)
{
    (void)state;
    fake f = {.hole = UINT64_MAX};
    vm_memreader under = {.read = fake_read, .ctx = &f};
    vm_block_cache c;
    vm_block_cache_init(&c);
    assert_non_null(c.data);
    vm_block_cache_reset(&c, &under, FILE_LEN);
    vm_memreader r = vm_block_cache_reader(&c);
    const uint64_t B = VM_BLOCK_CACHE_BLOCK;
    same(&r, &f, 0, 16);                       /* ident, header: the first block */
    same(&r, &f, 0, 64);
    same(&r, &f, 64, 504);
    same(&r, &f, B - 10, 20);                  /* across two blocks */
    same(&r, &f, 5 * B + 7, 2 * B);            /* over a block: straight through */
    same(&r, &f, FILE_LEN - 50, 100);          /* cut by the end */
    same(&r, &f, FILE_LEN, 1);                 /* at the end, and past it */
    same(&r, &f, FILE_LEN + B, 8);
    same(&r, &f, UINT64_MAX - 3, 8);           /* wraps around */
    /* more blocks than the cache holds, back and forth */
    for (uint64_t k = 0; k < 3 * VM_BLOCK_CACHE_BLOCKS; k++)
        same(&r, &f, (k * 7 % 40) * B + k, 100);
    vm_block_cache_free(&c);
}

static void reads_each_block_once(void **state)
{
    (void)state;
    fake f = {.hole = UINT64_MAX};
    vm_memreader under = {.read = fake_read, .ctx = &f};
    vm_block_cache c;
    vm_block_cache_init(&c);
    vm_block_cache_reset(&c, &under, FILE_LEN);
    vm_memreader r = vm_block_cache_reader(&c);
    uint8_t buf[64];
    for (int pass = 0; pass < 3; pass++)
        for (uint64_t off = 0; off + sizeof buf <= VM_BLOCK_CACHE_BLOCK; off += sizeof buf)
            assert_int_equal(r.read(r.ctx, off + 3 * VM_BLOCK_CACHE_BLOCK, buf, sizeof buf), sizeof buf);
    assert_int_equal(f.reads, 1);
    /* the last block is read only as far as the file goes, and nothing past it */
    assert_int_equal(r.read(r.ctx, FILE_LEN - 10, buf, sizeof buf), 10);
    assert_int_equal(r.read(r.ctx, FILE_LEN + 10, buf, sizeof buf), 0);
    assert_int_equal(f.reads, 2);
    assert_false(f.past_end);
    /* a new file forgets the old one's blocks */
    vm_block_cache_reset(&c, &under, FILE_LEN);
    assert_int_equal(r.read(r.ctx, 3 * VM_BLOCK_CACHE_BLOCK, buf, sizeof buf), sizeof buf);
    assert_int_equal(f.reads, 3);
    vm_block_cache_free(&c);
}

static void failed_read_inside(void **state)
{
    (void)state;
    fake f = {.hole = 10 * VM_BLOCK_CACHE_BLOCK + 100}; /* reads fail from there on */
    vm_memreader under = {.read = fake_read, .ctx = &f};
    vm_block_cache c;
    vm_block_cache_init(&c);
    vm_block_cache_reset(&c, &under, FILE_LEN);
    vm_memreader r = vm_block_cache_reader(&c);
    same(&r, &f, 10 * VM_BLOCK_CACHE_BLOCK + 50, 100);   /* the leading bytes only */
    same(&r, &f, 9 * VM_BLOCK_CACHE_BLOCK + 4000, 1000); /* a whole block, then the short one */
    same(&r, &f, 11 * VM_BLOCK_CACHE_BLOCK, 16);         /* nothing, though the file goes on */
    vm_block_cache_free(&c);
}

static void without_memory(void **state)
{
    (void)state;
    fake f = {.hole = UINT64_MAX};
    vm_memreader under = {.read = fake_read, .ctx = &f};
    vm_block_cache c;
    memset(&c, 0, sizeof c); /* what init leaves when malloc fails: data NULL */
    vm_block_cache_reset(&c, &under, FILE_LEN);
    vm_memreader r = vm_block_cache_reader(&c);
    same(&r, &f, 100, 16);
    same(&r, &f, FILE_LEN - 4, 16);
    vm_block_cache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_match),
        cmocka_unit_test(reads_each_block_once),
        cmocka_unit_test(failed_read_inside),
        cmocka_unit_test(without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
