#include "block_cache.h"

#include <stdlib.h>
#include <string.h>

void vm_block_cache_init(vm_block_cache *c)
{
    memset(c, 0, sizeof *c);
    c->data = malloc((size_t)VM_BLOCK_CACHE_BLOCK * VM_BLOCK_CACHE_BLOCKS);
}

void vm_block_cache_reset(vm_block_cache *c, const vm_memreader *under, uint64_t size)
{
    c->under = under;
    c->size = size;
    memset(c->full, 0, sizeof c->full);
}

void vm_block_cache_free(vm_block_cache *c)
{
    free(c->data);
    memset(c, 0, sizeof *c);
}

/* The slot holding the block at base, read now if no slot does. */
static size_t block_at(vm_block_cache *c, uint64_t base)
{
    size_t victim = 0;
    for (size_t i = 0; i < VM_BLOCK_CACHE_BLOCKS; i++) {
        if (c->full[i] && c->base[i] == base) {
            c->used[i] = ++c->clock;
            return i;
        }
        if (!c->full[victim])
            continue;
        if (!c->full[i] || c->used[i] < c->used[victim])
            victim = i;
    }
    uint8_t *buf = c->data + (size_t)victim * VM_BLOCK_CACHE_BLOCK;
    c->base[victim] = base;
    size_t want = base >= c->size ? 0 : c->size - base < VM_BLOCK_CACHE_BLOCK ? (size_t)(c->size - base)
                                                                               : VM_BLOCK_CACHE_BLOCK;
    c->len[victim] = want ? c->under->read(c->under->ctx, base, buf, want) : 0;
    c->full[victim] = true;
    c->used[victim] = ++c->clock;
    return victim;
}

static size_t cached_read(void *ctx, uint64_t addr, void *out, size_t len)
{
    vm_block_cache *c = ctx;
    if (!c->data || len > VM_BLOCK_CACHE_BLOCK || addr + len < addr)
        return c->under->read(c->under->ctx, addr, out, len);
    size_t done = 0;
    while (done < len) {
        uint64_t a = addr + done, base = a - a % VM_BLOCK_CACHE_BLOCK;
        size_t slot = block_at(c, base), off = (size_t)(a - base);
        if (off >= c->len[slot])
            break; /* past what the block's read gave: the end of the file */
        size_t take = c->len[slot] - off < len - done ? c->len[slot] - off : len - done;
        memcpy((uint8_t *)out + done, c->data + slot * VM_BLOCK_CACHE_BLOCK + off, take);
        done += take; /* a short block ends what can be read: the next address is past its end */
    }
    return done;
}

vm_memreader vm_block_cache_reader(vm_block_cache *c)
{
    vm_memreader r = {.read = cached_read, .ctx = c};
    return r;
}
