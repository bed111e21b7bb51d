/* libFuzzer target for the Windows heap walkers (NT heap, segment heap, Wine heap) behind
 * nt_heaps: the input is target memory mapped at a fixed base.  Byte 0 picks the bitness (bit 0)
 * and whether a PEB is read (bit 1); bytes 1..6 place the heap handles (or the PEB) inside the
 * input; bytes 7..8 an OS build hint.  Whatever the bytes, the walk must end, without a crash,
 * a leak or a part that wraps around the address space, and the heaps, made into a snapshot as a
 * source would (vm_classify), must give one that loads again (vm_snapshot_reloads). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/json_reload.h"
#include "vmmap/classify/classify.h"
#include "vmmap/model/snapshot.h"
#include "vmmap/parse/memreader.h"
#include "vmmap/parse/nt_heaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE UINT64_C(0x10000000)  /* below 4 GiB, so x86 pointers can reach it */

static uint64_t handle_at(const uint8_t *p)
{
    return BASE + ((uint64_t)p[0] << 4 | (uint64_t)p[1] << 12);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    vm_buffer_reader br = {.base = BASE, .data = data, .len = size};
    vm_memreader r = vm_buffer_reader_make(&br);
    vm_snapshot *snap = vm_snapshot_new();
    if (!snap)
        return 0;
    int bits = (data[0] & 1) ? 32 : 64;
    uint32_t build = (uint32_t)data[7] | (uint32_t)data[8] << 8;
    uint64_t handles[2] = {handle_at(data + 3), handle_at(data + 5)};
    if (data[0] & 2) {
        vm_nt_heaps_from_peb(&r, bits, handle_at(data + 1), build, snap);
    } else {
        vm_nt_heaps_input in = {.bits = bits, .process_heap = handle_at(data + 1), .heaps = handles,
                                .nheaps = 2, .os_build = build};
        vm_nt_heaps_collect(&r, &in, snap);
    }
    if (snap->nheaps > 3 && !(data[0] & 2))
        __builtin_trap();
    for (size_t i = 0; i < snap->nheaps; i++)
        for (size_t j = 0; j < snap->heaps[i].nparts; j++) {
            const vm_heap_part *p = &snap->heaps[i].parts[j];
            if (p->address + p->size < p->address || p->committed > p->size || !p->what)
                __builtin_trap();
        }
    /* The heaps made into a snapshot, as a source would: it must load again. */
    snap->page_size = 4096;
    snap->alloc_granularity = 65536;
    snap->user_top = bits == 32 ? UINT64_C(0xffff0000) : UINT64_C(0x7fffffff0000);
    snap->process.bits = bits;
    vm_facts facts = {.snap = snap};
    vm_error err;
    vm_error_clear(&err);
    char why[512];
    if (vm_classify(&facts, &err) == VM_EXIT_OK && !vm_snapshot_reloads(snap, why, sizeof why)) {
        fprintf(stderr, "a snapshot of these heaps does not load again: %s\n", why);
        __builtin_trap();
    }
    vm_facts_free_blocks(&facts);
    vm_snapshot_free(snap);
    return 0;
}
