/* libFuzzer target for the glibc block walker (parse/glibc_blocks.h) and the statistics visitor.
 *
 * Input: a header describing up to 4 heaps and 2 TLS ranges, then a memory image mapped at BASE
 * (everything else unreadable).  Addresses in the header are offsets into the image in 16-byte
 * units, so arenas, heap parts, chunks and list links all land in fuzzer bytes.
 *
 *   u8  nheaps (low 2 bits + 1); bit 7: a 4 KiB read window (many refills) instead of 1 MiB
 *   per heap: u8 kind (mod 3: main arena, arena, mmapped), u16 arena (0: unknown), u8 nparts
 *             (mod 4), per part: u16 start, u32 size in bytes
 *   u8  ntls (mod 3), per range: u16 start, u16 length
 *   the rest: memory
 * Seeds (tests/fuzz/corpus/fuzz_glibc_blocks/): the main arena and the two-heap arena of
 * tests/unit/test_glibc_blocks.c, built by tests/fuzz/make_glibc_blocks_seeds.py. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmmap/model/heap_stats.h"
#include "vmmap/parse/glibc_blocks.h"

#define BASE 0x7f0000000000ull
#define MAX_HEAPS 4
#define MAX_PARTS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct image {
    const uint8_t *data;
    size_t len;
} image;

static size_t image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const image *im = ctx;
    if (addr < BASE || addr - BASE >= im->len)
        return 0;
    size_t off = (size_t)(addr - BASE), n = im->len - off < len ? im->len - off : len;
    memcpy(buf, im->data + off, n);
    return n;
}

typedef struct cursor {
    const uint8_t *p;
    size_t left;
} cursor;

static uint64_t take(cursor *c, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && c->left; i++, c->p++, c->left--)
        v |= (uint64_t)*c->p << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cursor c = {data, size};
    unsigned head = (unsigned)take(&c, 1);
    size_t nheaps = (head & 3) + 1;
    vm_glibc_heap_desc heaps[MAX_HEAPS];
    vm_glibc_part parts[MAX_HEAPS][MAX_PARTS];
    for (size_t i = 0; i < nheaps; i++) {
        heaps[i].kind = (vm_glibc_heap_kind)(take(&c, 1) % 3);
        uint64_t arena = take(&c, 2);
        heaps[i].arena = arena ? BASE + 16 * arena : 0;
        heaps[i].heap_id = (int32_t)i;
        heaps[i].nparts = take(&c, 1) % (MAX_PARTS + 1);
        heaps[i].parts = parts[i];
        for (size_t j = 0; j < heaps[i].nparts; j++) {
            parts[i][j].address = BASE + 16 * take(&c, 2);
            parts[i][j].size = take(&c, 4);
        }
    }
    vm_glibc_tls_range tls[2];
    size_t ntls = take(&c, 1) % 3;
    for (size_t i = 0; i < ntls; i++) {
        tls[i].start = BASE + 16 * take(&c, 2);
        tls[i].end = tls[i].start + take(&c, 2);
    }
    image im = {c.p, c.left};
    vm_memreader mem = {.read = image_read, .ctx = &im};
    vm_snapshot *snap = vm_snapshot_new();
    if (!snap)
        return 0;
    vm_glibc_walk_opts opts = {.tls = tls, .ntls = ntls, .window = (head & 0x80) ? 4096 : 0};
    vm_glibc_walker *w = vm_glibc_walker_new(&mem, heaps, nheaps, &opts, snap);
    for (size_t i = 0; w && i < nheaps; i++) {
        vm_heap h;
        memset(&h, 0, sizeof h);
        vm_heap_stats_acc *acc = vm_heap_stats_begin();
        char note[256];
        if (!acc)
            break;
        vm_glibc_walk(w, i, vm_heap_stats_visit, acc, note, sizeof note);
        vm_heap_stats_end(acc, &h);
        vm_heap_clear_walk(&h);
    }
    vm_glibc_walker_free(w);
    vm_snapshot_free(snap);
    return 0;
}
