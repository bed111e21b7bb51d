#include "synth_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static synth_chunk *find_chunk(synth_mem *m, uint64_t addr)
{
    for (size_t i = 0; i < m->nchunks; i++)
        if (addr >= m->chunks[i].base && addr - m->chunks[i].base < m->chunks[i].len)
            return &m->chunks[i];
    return NULL;
}

static void die(const char *what, uint64_t addr)
{
    fprintf(stderr, "synth_mem: %s at 0x%llx\n", what, (unsigned long long)addr);
    abort();
}

uint8_t *synth_map(synth_mem *m, uint64_t base, size_t len)
{
    if (len == 0 || base + len < base)
        die("bad chunk", base);
    for (size_t i = 0; i < m->nchunks; i++)
        if (base < m->chunks[i].base + m->chunks[i].len && m->chunks[i].base < base + len)
            die("overlapping chunk", base);
    synth_chunk *grown = realloc(m->chunks, (m->nchunks + 1) * sizeof *grown);
    uint8_t *data = calloc(1, len);
    if (!grown || !data)
        die("out of memory", base);
    m->chunks = grown;
    m->chunks[m->nchunks++] = (synth_chunk){base, data, len};
    return data;
}

void synth_map_copy(synth_mem *m, uint64_t base, const void *data, size_t len)
{
    memcpy(synth_map(m, base, len), data, len);
}

void synth_unmap(synth_mem *m, uint64_t base)
{
    for (size_t i = 0; i < m->nchunks; i++)
        if (m->chunks[i].base == base) {
            free(m->chunks[i].data);
            m->chunks[i] = m->chunks[--m->nchunks];
            return;
        }
}

void synth_free(synth_mem *m)
{
    for (size_t i = 0; i < m->nchunks; i++)
        free(m->chunks[i].data);
    free(m->chunks);
    m->chunks = NULL;
    m->nchunks = 0;
}

void synth_put(synth_mem *m, uint64_t addr, const void *src, size_t len)
{
    const uint8_t *s = src;
    for (size_t i = 0; i < len; i++) {
        synth_chunk *c = find_chunk(m, addr + i);
        if (!c)
            die("store outside every chunk", addr + i);
        c->data[addr + i - c->base] = s[i];
    }
}

static void put_le(synth_mem *m, uint64_t addr, uint64_t v, size_t len)
{
    uint8_t b[8];
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    synth_put(m, addr, b, len);
}

void synth_put_u8(synth_mem *m, uint64_t addr, uint8_t v) { put_le(m, addr, v, 1); }
void synth_put_u16(synth_mem *m, uint64_t addr, uint16_t v) { put_le(m, addr, v, 2); }
void synth_put_u32(synth_mem *m, uint64_t addr, uint32_t v) { put_le(m, addr, v, 4); }
void synth_put_u64(synth_mem *m, uint64_t addr, uint64_t v) { put_le(m, addr, v, 8); }

void synth_put_ptr(synth_mem *m, int bits, uint64_t addr, uint64_t v)
{
    put_le(m, addr, v, bits == 32 ? 4 : 8);
}

void synth_put_links(synth_mem *m, int bits, uint64_t addr, uint64_t flink, uint64_t blink)
{
    synth_put_ptr(m, bits, addr, flink);
    synth_put_ptr(m, bits, addr + (bits == 32 ? 4 : 8), blink);
}

void synth_put_list(synth_mem *m, int bits, uint64_t head, const uint64_t *nodes, size_t n)
{
    for (size_t i = 0; i <= n; i++) {
        uint64_t self = i == 0 ? head : nodes[i - 1];
        uint64_t next = i == n ? head : nodes[i];
        uint64_t prev = i == 0 ? (n ? nodes[n - 1] : head) : (i == 1 ? head : nodes[i - 2]);
        synth_put_links(m, bits, self, next, prev);
    }
}

bool synth_has_warning(const vm_snapshot *s, const char *code, const char *needle)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        if (strcmp(s->warnings[i].code, code) == 0 && strstr(s->warnings[i].message, needle))
            return true;
    return false;
}

/* Reads across adjacent chunks too, as a real address space would. */
static size_t synth_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    synth_mem *m = ctx;
    size_t done = 0;
    while (done < len) {
        synth_chunk *c = find_chunk(m, addr + done);
        if (!c || addr + done < addr)
            break;
        size_t off = (size_t)(addr + done - c->base), n = c->len - off;
        if (n > len - done)
            n = len - done;
        memcpy((uint8_t *)buf + done, c->data + off, n);
        done += n;
    }
    return done;
}

vm_memreader synth_reader(synth_mem *m)
{
    vm_memreader r = {.read = synth_read, .ctx = m};
    return r;
}
