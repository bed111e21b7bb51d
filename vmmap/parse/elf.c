/* ELF32/ELF64 little-endian parser over a vm_memreader (see elf.h).
 *
 * The bytes are untrusted (a file on disk that may be replaced while we read it, a core file
 * from a customer, a fuzzer's buffer), so nothing here overlays a C struct on them: every
 * on-disk structure is written down below as a table of (offset, width) fields per ELF class,
 * decoded explicitly little-endian, and every count, offset and size is checked against the
 * file size with overflow-safe arithmetic before it is used. */
#include "elf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/compiler.h"
#include "../util/file_io.h"
#include "../util/xalloc.h"

/* ---- Constants (from the System V gABI; <elf.h> is not available under MinGW) ---- */

enum {
    EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6, EI_NIDENT = 16,
    ELFCLASS32 = 1, ELFCLASS64 = 2,
    ELFDATA2LSB = 1,
    EV_CURRENT = 1,
};

enum {
    SHN_UNDEF = 0,
    SHN_XINDEX = 0xffff,  /* e_shstrndx escape: real index in section 0's sh_link */
    PN_XNUM = 0xffff,     /* e_phnum escape: real count in section 0's sh_info */
};

enum {
    SHT_NULL = 0, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOBITS = 8, SHT_DYNSYM = 11,
};

enum { PT_LOAD = 1 };

/* Far above what linkers produce for anything that gets mapped, and it bounds what a hostile
 * header can make us allocate (65535 * sizeof(vm_elf_section) is about 6.5 MiB). */
#define MAX_SECTIONS 65535u
#define MAX_SEGMENTS 65535u
/* Name tables are KiBs (MiBs for C++ objects built with -ffunction-sections); this bounds the
 * allocation a hostile sh_size can ask for. */
#define MAX_SHSTRTAB (16u * 1024 * 1024)

/* ---- On-disk layouts, declared as data ---- */

/* One field of an on-disk structure: byte offset and width (1, 2, 4 or 8), little-endian. */
typedef struct elf_field {
    uint8_t off, len;
} elf_field;

typedef struct ehdr_layout {
    uint16_t size;
    elf_field type, machine, phoff, shoff, ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} ehdr_layout;

typedef struct shdr_layout {
    uint16_t size;
    elf_field name, type, flags, addr, offset, size_, link, info, entsize;
} shdr_layout;

typedef struct phdr_layout {
    uint16_t size;
    elf_field type, flags, offset, vaddr, filesz, memsz, align;
} phdr_layout;

typedef struct sym_layout {
    uint16_t size;
    elf_field name, value, size_, shndx;
} sym_layout;

/* Everything that differs between ELFCLASS32 and ELFCLASS64. */
typedef struct elf_class {
    int bits;
    ehdr_layout ehdr;  /* Elf{32,64}_Ehdr */
    shdr_layout shdr;  /* Elf{32,64}_Shdr */
    phdr_layout phdr;  /* Elf{32,64}_Phdr */
    sym_layout sym;    /* Elf{32,64}_Sym */
} elf_class;

static const elf_class ELF32 = {
    .bits = 32,
    .ehdr = {.size = 52, .type = {16, 2}, .machine = {18, 2}, .phoff = {28, 4}, .shoff = {32, 4},
             .ehsize = {40, 2}, .phentsize = {42, 2}, .phnum = {44, 2}, .shentsize = {46, 2},
             .shnum = {48, 2}, .shstrndx = {50, 2}},
    .shdr = {.size = 40, .name = {0, 4}, .type = {4, 4}, .flags = {8, 4}, .addr = {12, 4},
             .offset = {16, 4}, .size_ = {20, 4}, .link = {24, 4}, .info = {28, 4},
             .entsize = {36, 4}},
    .phdr = {.size = 32, .type = {0, 4}, .offset = {4, 4}, .vaddr = {8, 4}, .filesz = {16, 4},
             .memsz = {20, 4}, .flags = {24, 4}, .align = {28, 4}},
    .sym = {.size = 16, .name = {0, 4}, .value = {4, 4}, .size_ = {8, 4}, .shndx = {14, 2}},
};

static const elf_class ELF64 = {
    .bits = 64,
    .ehdr = {.size = 64, .type = {16, 2}, .machine = {18, 2}, .phoff = {32, 8}, .shoff = {40, 8},
             .ehsize = {52, 2}, .phentsize = {54, 2}, .phnum = {56, 2}, .shentsize = {58, 2},
             .shnum = {60, 2}, .shstrndx = {62, 2}},
    .shdr = {.size = 64, .name = {0, 4}, .type = {4, 4}, .flags = {8, 8}, .addr = {16, 8},
             .offset = {24, 8}, .size_ = {32, 8}, .link = {40, 4}, .info = {44, 4},
             .entsize = {56, 8}},
    .phdr = {.size = 56, .type = {0, 4}, .flags = {4, 4}, .offset = {8, 8}, .vaddr = {16, 8},
             .filesz = {32, 8}, .memsz = {40, 8}, .align = {48, 8}},
    .sym = {.size = 24, .name = {0, 4}, .value = {8, 8}, .size_ = {16, 8}, .shndx = {6, 2}},
};

/* Each width spelled out: compilers make each one a single load (on a little-endian host), where
 * a loop over the width was a dozen instructions a byte (every field of every section header). */
static uint64_t get(const uint8_t *p, elf_field f)
{
    const uint8_t *b = p + f.off;
    switch (f.len) {
    case 1:
        return b[0];
    case 2:
        return (uint64_t)b[0] | (uint64_t)b[1] << 8;
    case 4:
        return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24;
    case 8:
        return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
               (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
    default: {
        uint64_t v = 0;
        for (int i = f.len - 1; i >= 0; i--)
            v = v << 8 | b[i];
        return v;
    }
    }
}

/* Decoded headers, before validation. */
typedef struct raw_ehdr {
    uint16_t type, machine, ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
    uint64_t phoff, shoff;
} raw_ehdr;

typedef struct raw_shdr {
    uint32_t name, type, link, info;
    uint64_t flags, addr, offset, size, entsize;
} raw_shdr;

static raw_shdr decode_shdr(const elf_class *c, const uint8_t *p)
{
    const shdr_layout *l = &c->shdr;
    raw_shdr s = {
        .name = (uint32_t)get(p, l->name), .type = (uint32_t)get(p, l->type),
        .link = (uint32_t)get(p, l->link), .info = (uint32_t)get(p, l->info),
        .flags = get(p, l->flags), .addr = get(p, l->addr), .offset = get(p, l->offset),
        .size = get(p, l->size_), .entsize = get(p, l->entsize),
    };
    return s;
}

/* ---- Errors and bounds ---- */


static bool fail(char *err, size_t errlen, const char *fmt, ...) VM_PRINTF(3, 4);
static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

typedef unsigned long long ull;  /* for printf: %llu works with every C library we build for */

/* [off, off+size) lies inside a file of file_size bytes, without overflowing. */
static bool in_file(uint64_t off, uint64_t size, uint64_t file_size)
{
    return off <= file_size && size <= file_size - off;
}

/* A table of count entries of entsize bytes at off lies inside the file. */
static bool table_in_file(uint64_t off, uint64_t count, uint64_t entsize, uint64_t file_size)
{
    if (entsize && count > UINT64_MAX / entsize)
        return false;
    return in_file(off, count * entsize, file_size);
}

/* ---- Buffered sequential access to a table of fixed-size entries ---- */

/* Section headers and symbols are read in 4 KiB batches rather than one read per entry: over a
 * file reader every read is a system call, and libc's .dynsym has thousands of entries. */
typedef struct table_cursor {
    const vm_memreader *r;
    uint64_t base, count, entsize;
    size_t need;                 /* bytes of each entry we decode (the layout's size) */
    uint64_t first;              /* entries [first, first + nbuf) are in buf */
    size_t nbuf;
    uint8_t buf[4096];
} table_cursor;

static void cursor_init(table_cursor *c, const vm_memreader *r, uint64_t base, uint64_t count,
                        uint64_t entsize, size_t need)
{
    c->r = r;
    c->base = base;
    c->count = count;
    c->entsize = entsize;
    c->need = need;
    c->first = 0;
    c->nbuf = 0;
}

/* Entry i (the caller has checked the table lies inside the file), or NULL if unreadable. */
static const uint8_t *cursor_entry(table_cursor *c, uint64_t i)
{
    if (i >= c->count)
        return NULL;
    if (i >= c->first && i - c->first < c->nbuf)
        return c->buf + (i - c->first) * c->entsize;
    c->first = i;
    c->nbuf = 0;
    if (c->entsize > sizeof c->buf) {
        /* Entries larger than the buffer (a hostile e_shentsize): read only the bytes we decode,
         * and leave nbuf at 0 so the next entry is read afresh. */
        if (!vm_read_exact(c->r, c->base + i * c->entsize, c->buf, c->need))
            return NULL;
        return c->buf;
    }
    uint64_t n = sizeof c->buf / c->entsize;
    if (n > c->count - i)
        n = c->count - i;
    if (!vm_read_exact(c->r, c->base + i * c->entsize, c->buf, (size_t)(n * c->entsize)))
        return NULL;
    c->nbuf = (size_t)n;
    return c->buf;
}

/* ---- Parsing ---- */

typedef struct parse_ctx {
    const vm_memreader *r;
    uint64_t file_size;
    const elf_class *c;
    raw_ehdr eh;
    raw_shdr sec0;       /* section 0, which holds the SHN_XINDEX / PN_XNUM escapes */
    uint64_t shnum;      /* real counts and index after those escapes */
    uint64_t shstrndx;
    uint64_t phnum;
    char *names;         /* the section name string table, read whole */
    uint64_t names_size;
    uint64_t names_terminated;  /* names starting below this end with a NUL inside the table */
    char *err;
    size_t errlen;
} parse_ctx;

static bool parse_ident(parse_ctx *p)
{
    uint8_t id[EI_NIDENT] = {0};
    size_t want = p->file_size < EI_NIDENT ? (size_t)p->file_size : EI_NIDENT;
    size_t got = p->r->read(p->r->ctx, 0, id, want);
    if (got < 4 || memcmp(id, "\177ELF", 4) != 0)
        return fail(p->err, p->errlen, "not an ELF file");
    if (got < EI_NIDENT)
        return fail(p->err, p->errlen, "truncated ELF header (file is %llu bytes)",
                    (ull)p->file_size);
    if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
        return fail(p->err, p->errlen, "unsupported ELF class %u (1 is 32-bit, 2 is 64-bit)",
                    id[EI_CLASS]);
    if (id[EI_DATA] != ELFDATA2LSB)
        return fail(p->err, p->errlen, "%s ELF files are not supported (EI_DATA %u)",
                    id[EI_DATA] == 2 ? "big-endian" : "unknown-endian", id[EI_DATA]);
    if (id[EI_VERSION] != EV_CURRENT)
        return fail(p->err, p->errlen, "unsupported ELF version %u", id[EI_VERSION]);
    p->c = id[EI_CLASS] == ELFCLASS32 ? &ELF32 : &ELF64;
    return true;
}

static bool parse_ehdr(parse_ctx *p)
{
    const ehdr_layout *l = &p->c->ehdr;
    uint8_t b[64];
    if (p->file_size < l->size || !vm_read_exact(p->r, 0, b, l->size))
        return fail(p->err, p->errlen,
                    "truncated ELF header (file is %llu bytes, an ELF%d header is %u)",
                    (ull)p->file_size, p->c->bits, l->size);
    raw_ehdr h = {
        .type = (uint16_t)get(b, l->type), .machine = (uint16_t)get(b, l->machine),
        .ehsize = (uint16_t)get(b, l->ehsize), .phentsize = (uint16_t)get(b, l->phentsize),
        .phnum = (uint16_t)get(b, l->phnum), .shentsize = (uint16_t)get(b, l->shentsize),
        .shnum = (uint16_t)get(b, l->shnum), .shstrndx = (uint16_t)get(b, l->shstrndx),
        .phoff = get(b, l->phoff), .shoff = get(b, l->shoff),
    };
    if (h.ehsize < l->size)
        return fail(p->err, p->errlen, "ELF header size e_ehsize %u is smaller than %u",
                    h.ehsize, l->size);
    p->eh = h;
    return true;
}

static bool shtab_out_of_bounds(parse_ctx *p, uint64_t count)
{
    return fail(p->err, p->errlen,
                "section header table out of bounds (offset 0x%llx, %llu entries of %u bytes, "
                "file is %llu bytes)",
                (ull)p->eh.shoff, (ull)count, p->eh.shentsize, (ull)p->file_size);
}

/* Section 0 and the real section count, program header count and name table index, which the
 * extended numbering scheme moves into section 0 when they do not fit in 16 bits. */
static bool resolve_counts(parse_ctx *p)
{
    const raw_ehdr *h = &p->eh;
    bool have_table = h->shoff != 0;
    if (have_table) {
        uint8_t b[64];
        if (h->shentsize < p->c->shdr.size)
            return fail(p->err, p->errlen,
                        "section header entry size e_shentsize %u is smaller than %u",
                        h->shentsize, p->c->shdr.size);
        if (!in_file(h->shoff, h->shentsize, p->file_size))
            return shtab_out_of_bounds(p, h->shnum ? h->shnum : 1);
        if (!vm_read_exact(p->r, h->shoff, b, p->c->shdr.size))
            return fail(p->err, p->errlen, "cannot read section header 0 at offset 0x%llx",
                        (ull)h->shoff);
        p->sec0 = decode_shdr(p->c, b);
        p->shnum = h->shnum ? h->shnum : p->sec0.size;
        p->shstrndx = h->shstrndx == SHN_XINDEX ? p->sec0.link : h->shstrndx;
    }
    if (p->shnum > MAX_SECTIONS)
        return fail(p->err, p->errlen, "too many sections (%llu, limit %u)", (ull)p->shnum,
                    MAX_SECTIONS);
    if (have_table && !table_in_file(h->shoff, p->shnum, h->shentsize, p->file_size))
        return shtab_out_of_bounds(p, p->shnum);
    if (p->shstrndx != SHN_UNDEF && p->shstrndx >= p->shnum)
        return fail(p->err, p->errlen,
                    "section name string table index %llu out of range (%llu sections)",
                    (ull)p->shstrndx, (ull)p->shnum);
    if (h->phnum == PN_XNUM) {
        if (p->shnum == 0)
            return fail(p->err, p->errlen,
                        "e_phnum is PN_XNUM but there is no section 0 holding the real count");
        p->phnum = p->sec0.info;
    } else {
        p->phnum = h->phnum;
    }
    return true;
}

static bool parse_loads(parse_ctx *p, vm_elf *out)
{
    const raw_ehdr *h = &p->eh;
    const phdr_layout *l = &p->c->phdr;
    if (p->phnum == 0)
        return true;
    if (h->phentsize < l->size)
        return fail(p->err, p->errlen,
                    "program header entry size e_phentsize %u is smaller than %u", h->phentsize,
                    l->size);
    if (p->phnum > MAX_SEGMENTS)
        return fail(p->err, p->errlen, "too many program headers (%llu, limit %u)",
                    (ull)p->phnum, MAX_SEGMENTS);
    if (!table_in_file(h->phoff, p->phnum, h->phentsize, p->file_size))
        return fail(p->err, p->errlen,
                    "program header table out of bounds (offset 0x%llx, %llu entries of %u "
                    "bytes, file is %llu bytes)",
                    (ull)h->phoff, (ull)p->phnum, h->phentsize, (ull)p->file_size);
    table_cursor cur;
    cursor_init(&cur, p->r, h->phoff, p->phnum, h->phentsize, l->size);
    for (uint64_t i = 0; i < p->phnum; i++) {
        const uint8_t *b = cursor_entry(&cur, i);
        if (!b)
            return fail(p->err, p->errlen, "cannot read program header %llu", (ull)i);
        if (get(b, l->type) != PT_LOAD)
            continue;
        vm_elf_segment s = {
            .vaddr = get(b, l->vaddr), .offset = get(b, l->offset),
            .filesz = get(b, l->filesz), .memsz = get(b, l->memsz),
            .align = get(b, l->align), .flags = (uint32_t)get(b, l->flags),
        };
        if (!in_file(s.offset, s.filesz, p->file_size))
            return fail(p->err, p->errlen,
                        "PT_LOAD segment (program header %llu) out of bounds (offset 0x%llx, "
                        "%llu bytes, file is %llu bytes)",
                        (ull)i, (ull)s.offset, (ull)s.filesz, (ull)p->file_size);
        if (s.vaddr + s.memsz < s.vaddr)
            return fail(p->err, p->errlen,
                        "PT_LOAD segment (program header %llu) wraps around the address space "
                        "(vaddr 0x%llx, memsz 0x%llx)",
                        (ull)i, (ull)s.vaddr, (ull)s.memsz);
        vm_elf_segment *slot = vm_array_push((void **)&out->loads, &out->nloads, sizeof *slot);
        if (!slot)
            return fail(p->err, p->errlen, "out of memory");
        *slot = s;
    }
    return true;
}

/* Reads the section name string table whole: it is small, every section name is looked up in
 * it, and holding it lets us prove each name is NUL-terminated inside it in one pass. */
static bool load_names(parse_ctx *p, table_cursor *cur)
{
    if (p->shstrndx == SHN_UNDEF)
        return true;  /* no names: every section keeps an empty one */
    const uint8_t *b = cursor_entry(cur, p->shstrndx);
    if (!b)
        return fail(p->err, p->errlen, "cannot read section header %llu", (ull)p->shstrndx);
    raw_shdr s = decode_shdr(p->c, b);
    if (s.type == SHT_NOBITS)
        return fail(p->err, p->errlen,
                    "section name string table (section %llu) has no data in the file",
                    (ull)p->shstrndx);
    if (!in_file(s.offset, s.size, p->file_size))
        return fail(p->err, p->errlen,
                    "section name string table out of bounds (offset 0x%llx, %llu bytes, file "
                    "is %llu bytes)",
                    (ull)s.offset, (ull)s.size, (ull)p->file_size);
    if (s.size > MAX_SHSTRTAB)
        return fail(p->err, p->errlen, "section name string table too large (%llu bytes)",
                    (ull)s.size);
    p->names = malloc(s.size ? (size_t)s.size : 1);
    if (!p->names)
        return fail(p->err, p->errlen, "out of memory");
    if (!vm_read_exact(p->r, s.offset, p->names, (size_t)s.size))
        return fail(p->err, p->errlen,
                    "cannot read the section name string table (offset 0x%llx, %llu bytes)",
                    (ull)s.offset, (ull)s.size);
    p->names_size = s.size;
    /* Past the last NUL nothing is terminated (memrchr is a GNU extension: loop by hand). */
    uint64_t end = s.size;
    while (end > 0 && p->names[end - 1] != '\0')
        end--;
    p->names_terminated = end;
    return true;
}

static bool section_name(parse_ctx *p, uint64_t index, uint32_t name, char out[64])
{
    out[0] = '\0';
    if (p->shstrndx == SHN_UNDEF)
        return true;
    if (name >= p->names_size)
        return fail(p->err, p->errlen,
                    "section %llu name offset %u is outside the section name string table "
                    "(%llu bytes)",
                    (ull)index, name, (ull)p->names_size);
    if (name >= p->names_terminated)
        return fail(p->err, p->errlen,
                    "section %llu name (offset %u) is not NUL-terminated within the section "
                    "name string table",
                    (ull)index, name);
    size_t len = strlen(p->names + name);  /* stops inside the table: proven above */
    if (len > 63)
        len = 63;  /* truncated: vm_elf_section.name holds 63 characters */
    memcpy(out, p->names + name, len);
    out[len] = '\0';
    return true;
}

/* Symbol tables found while walking the sections; validated once all sections are known. */
typedef struct symtab_ref {
    bool found;
    uint64_t index, link, entsize;
} symtab_ref;

static void note_symtab(symtab_ref *ref, uint64_t index, const raw_shdr *s)
{
    if (ref->found)
        return;  /* the first one is the one the loader and tools use */
    ref->found = true;
    ref->index = index;
    ref->link = s->link;
    ref->entsize = s->entsize;
}

/* A symbol table whose entry size or string table is wrong is left out (so lookups simply find
 * nothing) rather than failing the whole parse: sections and segments are still good. */
static void locate_symtab(const parse_ctx *p, const vm_elf *e, const symtab_ref *ref,
                          uint64_t *off, uint64_t *size, uint64_t *str_off, uint64_t *str_size)
{
    if (!ref->found || ref->entsize != p->c->sym.size || ref->link >= e->nsections)
        return;
    const vm_elf_section *sym = &e->sections[ref->index];
    const vm_elf_section *str = &e->sections[ref->link];
    if (str->type != SHT_STRTAB)  /* also excludes NOBITS: its bounds were checked */
        return;
    *off = sym->offset;
    *size = sym->size;
    *str_off = str->offset;
    *str_size = str->size;
}

static bool parse_sections(parse_ctx *p, vm_elf *out)
{
    if (p->shnum == 0)
        return true;
    table_cursor cur;
    cursor_init(&cur, p->r, p->eh.shoff, p->shnum, p->eh.shentsize, p->c->shdr.size);
    if (!load_names(p, &cur))
        return false;
    symtab_ref dynsym = {0}, symtab = {0};
    for (uint64_t i = 0; i < p->shnum; i++) {
        const uint8_t *b = cursor_entry(&cur, i);
        if (!b)
            return fail(p->err, p->errlen, "cannot read section header %llu", (ull)i);
        raw_shdr s = decode_shdr(p->c, b);
        vm_elf_section *sec = vm_array_push((void **)&out->sections, &out->nsections, sizeof *sec);
        if (!sec)
            return fail(p->err, p->errlen, "out of memory");
        if (!section_name(p, i, s.name, sec->name))
            return false;
        /* SHT_NULL (section 0 holds escape values in sh_size) and SHT_NOBITS have no bytes. */
        if (s.type != SHT_NULL && s.type != SHT_NOBITS && !in_file(s.offset, s.size, p->file_size))
            return fail(p->err, p->errlen,
                        "section %llu (%s) out of bounds (offset 0x%llx, %llu bytes, file is "
                        "%llu bytes)",
                        (ull)i, sec->name, (ull)s.offset, (ull)s.size, (ull)p->file_size);
        sec->type = s.type;
        sec->flags = s.flags;
        sec->addr = s.addr;
        sec->offset = s.offset;
        sec->size = s.size;
        if (s.type == SHT_DYNSYM)
            note_symtab(&dynsym, i, &s);
        else if (s.type == SHT_SYMTAB)
            note_symtab(&symtab, i, &s);
    }
    locate_symtab(p, out, &dynsym, &out->dynsym_off, &out->dynsym_size, &out->dynstr_off,
                  &out->dynstr_size);
    locate_symtab(p, out, &symtab, &out->symtab_off, &out->symtab_size, &out->strtab_off,
                  &out->strtab_size);
    return true;
}

bool vm_elf_parse(const vm_memreader *file, uint64_t file_size, vm_elf *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen)
        err[0] = '\0';
    parse_ctx p = {.r = file, .file_size = file_size, .err = err, .errlen = errlen};
    bool ok = parse_ident(&p) && parse_ehdr(&p) && resolve_counts(&p);
    if (ok) {
        out->bits = p.c->bits;
        out->type = p.eh.type;
        out->machine = p.eh.machine;
        out->file_size = file_size;
        ok = parse_loads(&p, out) && parse_sections(&p, out);
    }
    free(p.names);
    if (!ok)
        vm_elf_free(out);
    return ok;
}

void vm_elf_free(vm_elf *e)
{
    if (!e)
        return;
    free(e->sections);
    free(e->loads);
    memset(e, 0, sizeof *e);
}

/* ---- Symbols ---- */

/* The NUL-terminated string at off equals name (len bytes plus its NUL).  Compared in chunks so
 * a long name needs no allocation; the caller has checked the bytes lie in the string table. */
static bool string_equals(const vm_memreader *r, uint64_t off, const char *name, size_t len)
{
    char chunk[128];
    size_t total = len + 1, done = 0;
    while (done < total) {
        size_t n = total - done < sizeof chunk ? total - done : sizeof chunk;
        if (!vm_read_exact(r, off + done, chunk, n) || memcmp(chunk, name + done, n) != 0)
            return false;
        done += n;
    }
    return true;
}

static bool search_symtab(const vm_memreader *r, const sym_layout *l, uint64_t off, uint64_t size,
                          uint64_t str_off, uint64_t str_size, const char *name, size_t len,
                          uint64_t *value, uint64_t *sym_size)
{
    uint64_t count = size / l->size;
    /* The tables come from vm_elf_parse, which checked them against the file; these checks
     * only keep a hand-made vm_elf from wrapping addresses around. */
    if (count == 0 || str_size == 0 || str_off + str_size < str_off || off + size < off)
        return false;
    table_cursor cur;
    cursor_init(&cur, r, off, count, l->size, l->size);
    for (uint64_t i = 1; i < count; i++) {  /* entry 0 is the reserved null symbol */
        const uint8_t *b = cursor_entry(&cur, i);
        if (!b)
            return false;
        uint64_t st_name = get(b, l->name);
        /* Undefined symbols are imports: their value is not where the thing lives. */
        if (st_name == 0 || get(b, l->shndx) == SHN_UNDEF)
            continue;
        if (st_name >= str_size || len + 1 > str_size - st_name)
            continue;
        if (string_equals(r, str_off + st_name, name, len)) {
            if (value)
                *value = get(b, l->value);
            if (sym_size)
                *sym_size = get(b, l->size_);
            return true;
        }
    }
    return false;
}

bool vm_elf_find_symbol(const vm_memreader *file, const vm_elf *e, const char *name,
                        uint64_t *value, uint64_t *size)
{
    if (!file || !e || !name || !*name || (e->bits != 32 && e->bits != 64))
        return false;
    const sym_layout *l = e->bits == 32 ? &ELF32.sym : &ELF64.sym;
    size_t len = strlen(name);
    return search_symtab(file, l, e->dynsym_off, e->dynsym_size, e->dynstr_off, e->dynstr_size,
                         name, len, value, size) ||
           search_symtab(file, l, e->symtab_off, e->symtab_size, e->strtab_off, e->strtab_size,
                         name, len, value, size);
}

static bool string_equals_prefix(const vm_memreader *r, uint64_t off, const char *prefix, size_t plen)
{
    char head[64];
    if (plen > sizeof head)
        return false;
    return vm_read_exact(r, off, head, plen) && memcmp(head, prefix, plen) == 0;
}

/* Calls fn for each defined symbol of one table whose name starts with prefix. */
static bool each_symbol(const vm_memreader *r, const sym_layout *l, uint64_t off, uint64_t size, uint64_t str_off,
                        uint64_t str_size, const char *prefix, vm_elf_symbol_fn fn, void *ctx)
{
    uint64_t count = size / l->size;
    size_t plen = strlen(prefix);
    if (count == 0 || str_size == 0 || str_off + str_size < str_off || off + size < off)
        return true;
    table_cursor cur;
    cursor_init(&cur, r, off, count, l->size, l->size);
    for (uint64_t i = 1; i < count; i++) {
        const uint8_t *b = cursor_entry(&cur, i);
        if (!b)
            return true;
        uint64_t st_name = get(b, l->name);
        if (st_name == 0 || get(b, l->shndx) == SHN_UNDEF || st_name >= str_size)
            continue;
        /* Names are read whole only when the prefix matches: most symbols are not wanted. */
        char name[VM_ELF_SYMBOL_NAME_MAX];
        uint64_t room = str_size - st_name;
        size_t want = room < sizeof name ? (size_t)room : sizeof name;
        if (want <= plen || !string_equals_prefix(r, str_off + st_name, prefix, plen))
            continue;
        if (r->read(r->ctx, str_off + st_name, name, want) != want || !memchr(name, 0, want))
            continue; /* a name longer than the buffer: skipped */
        if (!fn(ctx, name, get(b, l->value), get(b, l->size_)))
            return false;
    }
    return true;
}

void vm_elf_each_symbol(const vm_memreader *file, const vm_elf *e, const char *prefix, vm_elf_symbol_fn fn, void *ctx)
{
    if (!file || !e || !prefix || !fn || (e->bits != 32 && e->bits != 64))
        return;
    const sym_layout *l = e->bits == 32 ? &ELF32.sym : &ELF64.sym;
    if (each_symbol(file, l, e->dynsym_off, e->dynsym_size, e->dynstr_off, e->dynstr_size, prefix, fn, ctx))
        each_symbol(file, l, e->symtab_off, e->symtab_size, e->strtab_off, e->strtab_size, prefix, fn, ctx);
}

/* ---- Load bias ---- */

/* map_offset lies in [start, offset + filesz), start being the page-aligned offset; written so
 * that offset + filesz cannot overflow even for a segment the caller built by hand. */
static bool segment_holds(const vm_elf_segment *s, uint64_t start, uint64_t map_offset)
{
    if (s->filesz == 0 || map_offset < start)
        return false;
    return map_offset < s->offset || map_offset - s->offset < s->filesz;
}

bool vm_elf_load_bias(const vm_elf *e, uint64_t map_start, uint64_t map_offset, uint64_t page_size,
                      uint64_t *bias)
{
    if (!e || page_size == 0 || (page_size & (page_size - 1)) != 0)
        return false;
    /* The loader maps each PT_LOAD from its offset rounded down to a page, so a mapping of file
     * offset map_offset belongs to a segment whose [page-aligned offset, offset + filesz)
     * contains it.  Old layouts (no -z separate-code) let two segments share a page; then the
     * one whose aligned start is nearest below map_offset is the one the mapping begins with,
     * and on a tie the first in file order (the mapping at offset 0 is the text segment's). */
    const vm_elf_segment *best = NULL;
    uint64_t best_start = 0;
    for (size_t i = 0; i < e->nloads; i++) {
        const vm_elf_segment *s = &e->loads[i];
        uint64_t start = s->offset & ~(page_size - 1);
        if (!segment_holds(s, start, map_offset))
            continue;
        if (!best || start > best_start) {
            best = s;
            best_start = start;
        }
    }
    if (!best)
        return false;
    /* The runtime address of file offset o in the segment is bias + vaddr + (o - offset); the
     * mapping puts o = map_offset at map_start.  Unsigned arithmetic wraps as intended when
     * map_offset is below the segment's unaligned offset. */
    if (bias)
        *bias = map_start - best->vaddr - map_offset + best->offset;
    return true;
}

/* ---- A file as a memory reader ---- */

static size_t file_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const vm_file_reader *fr = ctx;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = addr + done;
        if (pos < addr || pos > (uint64_t)INT64_MAX)
            break;
        int64_t n = vm_file_pread(fr->fd, (char *)buf + done, len - done, pos);
        if (n <= 0)
            break;  /* end of file (the prefix read so far is what there is) or an error */
        done += (size_t)n;
    }
    return done;
}

bool vm_file_reader_open(vm_file_reader *fr, const char *path, char *err, size_t errlen)
{
    fr->fd = -1;
    fr->size = 0;
    int fd = vm_file_open_read(path);
    if (fd < 0)
        return fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
    uint64_t size = 0;
    bool is_dir = false;
    if (!vm_file_info(fd, &size, &is_dir) || is_dir) {
        int e = is_dir ? EISDIR : errno;
        vm_file_close(fd);
        return fail(err, errlen, "cannot read %s: %s", path, strerror(e));
    }
    fr->fd = fd;
    fr->size = size;
    return true;
}

vm_memreader vm_file_reader_make(vm_file_reader *fr)
{
    vm_memreader r = {.read = file_read, .ctx = fr};
    return r;
}

void vm_file_reader_close(vm_file_reader *fr)
{
    if (!fr || fr->fd < 0)
        return;
    vm_file_close(fr->fd);
    fr->fd = -1;
}
