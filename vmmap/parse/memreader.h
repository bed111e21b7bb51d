/* Reading target memory, whatever the target: a live process, a minidump, a core file, or a
 * synthetic image built by a test.  Every structure parser (ELF, PE, heap walkers) reads through
 * this and nothing else, so one parser serves every source and tests can feed it hostile bytes. */
#ifndef VMMAP_PARSE_MEMREADER_H
#define VMMAP_PARSE_MEMREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One piece of a batched read: got is set to how many leading bytes were read. */
typedef struct vm_read_req {
    uint64_t addr;
    void *buf;
    size_t len;
    size_t got;
} vm_read_req;

typedef struct vm_memreader {
    /* Copies up to len bytes at addr into buf; returns how many leading bytes were read (0 when
     * the first byte is unreadable).  Must never fault, whatever addr and len are. */
    size_t (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
    void *ctx;
    /* Optional: the same for many pieces at once, for sources where each read is a system call
     * (a live process: one process_vm_readv serves up to 1024 pieces).  NULL: read one by one. */
    void (*read_many)(void *ctx, vm_read_req *reqs, size_t n);
} vm_memreader;

/* Fills every reqs[i].got, with read_many when the reader has it. */
void vm_read_many(const vm_memreader *r, vm_read_req *reqs, size_t n);

/* All len bytes or false. */
static inline bool vm_read_exact(const vm_memreader *r, uint64_t addr, void *buf, size_t len)
{
    if (addr + len < addr)
        return false;
    return r->read(r->ctx, addr, buf, len) == len;
}

/* Little-endian scalars (every target we parse is little-endian). */
bool vm_read_u32(const vm_memreader *r, uint64_t addr, uint32_t *out);
bool vm_read_u64(const vm_memreader *r, uint64_t addr, uint64_t *out);

/* A reader over one buffer mapped at base: used by tests, fuzzers and minidump ranges. */
typedef struct vm_buffer_reader {
    uint64_t base;
    const uint8_t *data;
    size_t len;
} vm_buffer_reader;

vm_memreader vm_buffer_reader_make(vm_buffer_reader *br);

#endif
