#include "elf_buildid.h"

#include <stdio.h>
#include <string.h>

#define MAX_PHDRS 512
#define MAX_NOTE_BYTES 8192

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Walks the notes in buf for NT_GNU_BUILD_ID (type 3, owner "GNU"). */
static size_t find_in_notes(const uint8_t *buf, size_t n, uint8_t *id, size_t cap)
{
    size_t off = 0;
    while (off <= n && n - off >= 12) {
        uint64_t namesz = le(buf + off, 4), descsz = le(buf + off + 4, 4), type = le(buf + off + 8, 4);
        uint64_t name_pad = (namesz + 3) & ~UINT64_C(3), desc_pad = (descsz + 3) & ~UINT64_C(3);
        off += 12;
        if (name_pad > n - off || desc_pad > n - off - name_pad)
            return 0;
        if (type == 3 && namesz == 4 && memcmp(buf + off, "GNU", 4) == 0 && descsz > 0) {
            size_t len = descsz < cap ? (size_t)descsz : cap;
            memcpy(id, buf + off + name_pad, len);
            return len;
        }
        off += (size_t)(name_pad + desc_pad);
    }
    return 0;
}

size_t vm_elf_build_id(const vm_memreader *r, uint64_t base, bool in_memory, uint8_t *id, size_t cap)
{
    uint8_t eh[64];
    if (!vm_read_exact(r, base, eh, 52) || memcmp(eh, "\x7f" "ELF", 4) != 0 || eh[5] != 1)
        return 0;
    bool is64 = eh[4] == 2;
    if (!is64 && eh[4] != 1)
        return 0;
    if (is64 && !vm_read_exact(r, base, eh, 64))
        return 0;
    uint64_t phoff = is64 ? le(eh + 32, 8) : le(eh + 28, 4);
    uint64_t phentsize = is64 ? le(eh + 54, 2) : le(eh + 42, 2), phnum = is64 ? le(eh + 56, 2) : le(eh + 44, 2);
    if (phentsize < (is64 ? 56u : 32u) || phnum == 0 || phnum > MAX_PHDRS || phoff > UINT32_MAX)
        return 0;
    uint64_t first_vaddr = UINT64_MAX;
    struct {
        uint64_t offset, vaddr, filesz;
    } notes[16];
    size_t nnotes = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        uint8_t ph[56];
        if (!vm_read_exact(r, base + phoff + i * phentsize, ph, is64 ? 56 : 32))
            return 0;
        uint32_t type = (uint32_t)le(ph, 4);
        uint64_t offset = is64 ? le(ph + 8, 8) : le(ph + 4, 4), vaddr = is64 ? le(ph + 16, 8) : le(ph + 8, 4);
        uint64_t filesz = is64 ? le(ph + 32, 8) : le(ph + 16, 4);
        if (type == 1 && vaddr < first_vaddr)
            first_vaddr = vaddr;
        if (type == 4 && nnotes < sizeof notes / sizeof notes[0])
            notes[nnotes].offset = offset, notes[nnotes].vaddr = vaddr, notes[nnotes++].filesz = filesz;
    }
    if (in_memory && first_vaddr == UINT64_MAX)
        return 0;
    uint64_t bias = in_memory ? base - (first_vaddr & ~UINT64_C(0xfff)) : base;
    for (size_t k = 0; k < nnotes; k++) {
        uint8_t buf[MAX_NOTE_BYTES];
        size_t want = notes[k].filesz < sizeof buf ? (size_t)notes[k].filesz : sizeof buf;
        uint64_t at = bias + (in_memory ? notes[k].vaddr : notes[k].offset);
        if (at < bias)
            continue;
        size_t got = r->read(r->ctx, at, buf, want);
        size_t len = find_in_notes(buf, got, id, cap);
        if (len)
            return len;
    }
    return 0;
}

void vm_build_id_hex(const uint8_t *id, size_t len, char *buf, size_t buflen)
{
    size_t used = 0;
    if (buflen)
        buf[0] = '\0';
    for (size_t i = 0; i < len && used + 3 <= buflen; i++)
        used += (size_t)snprintf(buf + used, buflen - used, "%02x", id[i]);
}
