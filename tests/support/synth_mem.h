/* A sparse synthetic address space for parser tests and fuzzers: a few chunks, each a zeroed
 * buffer mapped at a base address, read through the vm_memreader interface exactly as a live
 * process or a minidump would be.  Addresses outside every chunk are unreadable.
 *
 * Test support only: no cmocka calls; misuse (writing outside every chunk, overlapping chunks)
 * aborts, because it is a bug in the test, not in the code under test. */
#ifndef VMMAP_TESTS_SUPPORT_SYNTH_MEM_H
#define VMMAP_TESTS_SUPPORT_SYNTH_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmmap/model/snapshot.h"
#include "vmmap/parse/memreader.h"

typedef struct synth_chunk {
    uint64_t base;
    uint8_t *data;
    size_t len;
} synth_chunk;

typedef struct synth_mem {
    synth_chunk *chunks;
    size_t nchunks;
} synth_mem;

/* Maps len zeroed bytes at base; returns the buffer (owned by m). */
uint8_t *synth_map(synth_mem *m, uint64_t base, size_t len);
/* Maps a copy of data at base. */
void synth_map_copy(synth_mem *m, uint64_t base, const void *data, size_t len);
/* Removes the chunk based at base (no-op when none): its bytes become unreadable. */
void synth_unmap(synth_mem *m, uint64_t base);
void synth_free(synth_mem *m);

/* Little-endian stores; every byte must be mapped. */
void synth_put(synth_mem *m, uint64_t addr, const void *src, size_t len);
void synth_put_u8(synth_mem *m, uint64_t addr, uint8_t v);
void synth_put_u16(synth_mem *m, uint64_t addr, uint16_t v);
void synth_put_u32(synth_mem *m, uint64_t addr, uint32_t v);
void synth_put_u64(synth_mem *m, uint64_t addr, uint64_t v);
/* A target pointer: 4 bytes when bits == 32, else 8. */
void synth_put_ptr(synth_mem *m, int bits, uint64_t addr, uint64_t v);
/* A LIST_ENTRY {Flink, Blink} at addr. */
void synth_put_links(synth_mem *m, int bits, uint64_t addr, uint64_t flink, uint64_t blink);

/* A circular doubly linked list head -> nodes[0] -> ... -> nodes[n-1] -> head, every Flink and
 * Blink consistent (each address a LIST_ENTRY, all mapped). */
void synth_put_list(synth_mem *m, int bits, uint64_t head, const uint64_t *nodes, size_t n);

/* Whether s holds a warning with this code whose message contains needle. */
bool synth_has_warning(const vm_snapshot *s, const char *code, const char *needle);

/* The reader; valid while m lives. */
vm_memreader synth_reader(synth_mem *m);

#endif
