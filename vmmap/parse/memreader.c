#include "memreader.h"

#include <string.h>

bool vm_read_u32(const vm_memreader *r, uint64_t addr, uint32_t *out)
{
    uint8_t b[4];
    if (!vm_read_exact(r, addr, b, sizeof b))
        return false;
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

bool vm_read_u64(const vm_memreader *r, uint64_t addr, uint64_t *out)
{
    uint8_t b[8];
    if (!vm_read_exact(r, addr, b, sizeof b))
        return false;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    *out = v;
    return true;
}

void vm_read_many(const vm_memreader *r, vm_read_req *reqs, size_t n)
{
    if (r->read_many) {
        r->read_many(r->ctx, reqs, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        reqs[i].got = reqs[i].addr + reqs[i].len < reqs[i].addr ? 0
                                                                : r->read(r->ctx, reqs[i].addr, reqs[i].buf, reqs[i].len);
}

static size_t buffer_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const vm_buffer_reader *br = ctx;
    if (addr < br->base || addr - br->base >= br->len)
        return 0;
    uint64_t off = addr - br->base;
    size_t avail = br->len - (size_t)off;
    size_t n = len < avail ? len : avail;
    memcpy(buf, br->data + off, n);
    return n;
}

vm_memreader vm_buffer_reader_make(vm_buffer_reader *br)
{
    vm_memreader r = {.read = buffer_read, .ctx = br};
    return r;
}
