/* libFuzzer target for the Windows-family block walkers behind vm_winheap_blocks (NT heap with
 * its segments, uncommitted ranges, LFH user blocks and VirtualAlloc'd blocks; segment heap
 * large allocations; Wine subheaps, large blocks, LFH groups).  The input is target memory
 * mapped at a fixed base; byte 0 picks the bitness (bit 0) and which heap's signatures the
 * harness plants at the handle (bits 1-2: none, NT, Wine, segment heap: so the fuzzer starts
 * inside a walker instead of having to find four magic numbers), bytes 1..2 place the heap handle
 * inside the input, bytes 3..4 an OS build hint.  Whatever the bytes, the walk must end without a
 * crash or a leak, and every block it reports must be a real range: non-empty, not wrapping. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmmap/model/snapshot.h"
#include "vmmap/parse/memreader.h"
#include "vmmap/parse/winheap_blocks.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);

#define BASE UINT64_C(0x10000000)  /* below 4 GiB, so x86 pointers can reach it */

typedef struct seen {
    uint64_t blocks;
} seen;

static bool visit(void *ctx, const vm_hblock *b)
{
    seen *s = ctx;
    if (b->size == 0 || b->address + b->size < b->address || b->state >= VM_HBLOCK_STATE_COUNT ||
        b->heap_id != 5)
        __builtin_trap();
    s->blocks++;
    return true;
}

static void plant(uint8_t *img, size_t size, uint64_t off, uint32_t v)
{
    if (off + 4 <= size)
        for (int i = 0; i < 4; i++)
            img[off + i] = (uint8_t)(v >> (8 * i));
}

/* The signatures a walker checks first, at the handle, for both bitnesses' offsets. */
static void plant_signatures(uint8_t *img, size_t size, uint64_t at, unsigned kind, int bits)
{
    bool x86 = bits == 32;
    switch (kind) {
    case 1: /* NT heap: SegmentSignature and _HEAP.Signature (Win8+ offset) */
        plant(img, size, at + (x86 ? 0x08 : 0x10), 0xFFEEFFEE);
        plant(img, size, at + (x86 ? 0x60 : 0x98), 0xEEFFEEFF);
        break;
    case 2: /* Wine 8.0: SegmentSignature and 'HEAP' */
        plant(img, size, at + (x86 ? 0x08 : 0x10), 0xFFEEFFEE);
        plant(img, size, at + (x86 ? 0x68 : 0xB8), 0x50414548);
        break;
    case 3: /* segment heap */
        plant(img, size, at + (x86 ? 0x08 : 0x10), 0xDDEEDDEE);
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size < 5)
        return 0;
    uint8_t *data = malloc(size);
    if (!data)
        return 0;
    memcpy(data, input, size);
    vm_buffer_reader br = {.base = BASE, .data = data, .len = size};
    vm_memreader r = vm_buffer_reader_make(&br);
    vm_snapshot *snap = vm_snapshot_new();
    if (!snap) {
        free(data);
        return 0;
    }
    int bits = (data[0] & 1) ? 32 : 64;
    uint64_t heap = BASE + ((uint64_t)data[1] << 4 | (uint64_t)data[2] << 12);
    uint32_t build = (uint32_t)data[3] | (uint32_t)data[4] << 8;
    plant_signatures(data, size, heap - BASE, (data[0] >> 1) & 3, bits);
    seen s = {0};
    vm_winheap_walk_info info;
    vm_winheap_blocks(&r, bits, heap, build, 5, visit, &s, snap, NULL, &info);
    if (info.complete && info.not_counted[0])
        __builtin_trap();
    vm_snapshot_free(snap);
    free(data);
    return 0;
}
