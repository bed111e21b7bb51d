/* ELF images mapped by the loader: group their mappings into one allocation, and split them into
 * sections by reading the file's section headers (or, for [vdso], the ELF in memory: vmmap's own
 * copy when it is the same image, else the target's). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../parse/block_cache.h"
#include "../../parse/elf.h"
#include "../../util/xalloc.h"
#include "linux_capture.h"

/* Reads an ELF that lives in target memory (the vDSO) as if it were a file. */
typedef struct mem_file {
    const vm_memreader *mem;
    uint64_t base, size;
} mem_file;

static size_t mem_file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const mem_file *mf = ctx;
    if (off >= mf->size)
        return 0;
    if (len > mf->size - off)
        len = (size_t)(mf->size - off);
    return mf->mem->read(mf->mem->ctx, mf->base + off, buf, len);
}

static bool same_file(const vm_linux_mapping *a, const vm_linux_mapping *b)
{
    return a->inode == b->inode && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor &&
           a->name && b->name && strcmp(a->name, b->name) == 0;
}

static uint32_t mapping_prot(const vm_linux_mapping *m)
{
    return (m->r ? VM_PROT_READ : 0) | (m->w ? VM_PROT_WRITE : 0) | (m->x ? VM_PROT_EXEC : 0);
}

static uint32_t segment_prot(uint32_t pf)
{
    return (pf & 4 ? VM_PROT_READ : 0) | (pf & 2 ? VM_PROT_WRITE : 0) | (pf & 1 ? VM_PROT_EXEC : 0);
}

/* Highest address the ELF occupies once loaded at bias. */
static uint64_t image_end(const vm_elf *e, uint64_t bias, uint64_t page)
{
    uint64_t end = 0;
    for (size_t i = 0; i < e->nloads; i++) {
        uint64_t top = bias + e->loads[i].vaddr + e->loads[i].memsz;
        if (top < bias)
            continue;
        top = (top + page - 1) / page * page;
        if (top > end)
            end = top;
    }
    return end;
}

/* The mapping holding addr: the one at hint or the next (sections come in address order, through
 * the image's few mappings), else searched for. */
static long mapping_near(const lx_capture *c, uint64_t addr, long hint)
{
    for (long i = hint; i >= 0 && i <= hint + 1 && (size_t)i < c->maps.n; i++)
        if (addr >= c->maps.v[i].start && addr < c->maps.v[i].end)
            return i;
    return lx_find_mapping(c, addr);
}

static void add_sections(lx_capture *c, vm_module *mod, const vm_elf *e, uint64_t bias)
{
    long mi = -1;
    for (size_t i = 0; i < e->nsections; i++) {
        const vm_elf_section *s = &e->sections[i];
        if (!(s->flags & 0x2 /* SHF_ALLOC */) || s->size == 0 || !s->name[0])
            continue;
        uint64_t addr = bias + s->addr;
        if (addr < bias || addr < mod->base || addr >= mod->base + mod->size)
            continue; /* a section outside the loaded image: bad headers, skip it */
        vm_section *sec = vm_module_add_section(mod);
        if (!sec || !(sec->name = vm_strdup(s->name)))
            return;
        sec->address = addr;
        sec->size = s->size;
        /* Protection as mapped now (RELRO makes .data.rel.ro read-only after relocation). */
        long found = mapping_near(c, addr, mi);
        if (found >= 0) {
            mi = found;
            sec->protection = mapping_prot(&c->maps.v[mi]);
        } else
            for (size_t k = 0; k < e->nloads; k++)
                if (s->addr >= e->loads[k].vaddr && s->addr - e->loads[k].vaddr < e->loads[k].memsz)
                    sec->protection = segment_prot(e->loads[k].flags);
    }
}

/* Opens the mapped file as the target sees it (its mount namespace via /proc/PID/root); offline,
 * the file whose build-id is the image's (linux_offline.c). */
static bool open_mapped_file(lx_capture *c, const vm_linux_mapping *m0, vm_file_reader *fr, char *err, size_t errlen)
{
    const char *path = m0->name;
    if (c->offline)
        return lx_open_image_by_build_id(c, m0->start, path, fr, err, errlen);
    char root_path[4096 + 64];
    snprintf(root_path, sizeof root_path, "/proc/%d/root%s", c->pid, path);
    if (vm_file_reader_open(fr, root_path, err, errlen))
        return true;
    return vm_file_reader_open(fr, path, err, errlen);
}

/* Claims maps[first..last) (+ anonymous .bss pages up to end) for module index mi. */
static size_t claim_run(lx_capture *c, size_t first, size_t last, uint64_t end, int32_t mi)
{
    uint64_t base = c->maps.v[first].start;
    size_t i = first;
    for (; i < c->maps.n; i++) {
        const vm_linux_mapping *m = &c->maps.v[i];
        if (i >= last) {
            /* The anonymous tail that holds .bss beyond the file's last page. */
            if (m->start >= end || m->start != c->maps.v[i - 1].end || m->name || m->shared)
                break;
        }
        c->notes[i].module = mi;
        c->notes[i].alloc_base = base;
    }
    return i;
}

static int32_t add_module(lx_capture *c, const char *path, uint64_t base, uint64_t end)
{
    vm_module *mod = vm_snapshot_add_module(c->snap);
    if (!mod || !(mod->path = vm_strdup(path)))
        return -1;
    mod->base = base;
    mod->size = end - base;
    return (int32_t)(c->snap->nmodules - 1);
}

/* One run of mappings of the same file starting at file offset 0.  The file's headers are read
 * through cache (its few blocks: a handful of small reads at both ends of the file). */
static size_t image_from_run(lx_capture *c, size_t first, vm_block_cache *cache)
{
    const vm_linux_mapping *m0 = &c->maps.v[first];
    size_t last = first + 1;
    bool exec = m0->x;
    while (last < c->maps.n && same_file(&c->maps.v[last], m0) && c->maps.v[last].start == c->maps.v[last - 1].end &&
           !c->maps.v[last].shared && c->maps.v[last].offset != 0) {
        exec |= c->maps.v[last].x;
        last++;
    }
    /* The loader always maps code; a program's own mmap of an ELF file (to read it) does not.
     * Offline, the protection of mappings left out of a core is not known: there several
     * mappings of the file (the loader's segments) make an image too. */
    if (!exec && !(c->offline && last - first > 1))
        return first + 1;

    uint64_t end = c->maps.v[last - 1].end;
    vm_elf e;
    memset(&e, 0, sizeof e);
    char err[256] = "";
    bool parsed = false;
    uint64_t bias = 0;
    vm_file_reader fr;
    if (c->opt->skip_sections) {
        /* keep the run as one image without sections */
    } else if (open_mapped_file(c, m0, &fr, err, sizeof err)) {
        vm_memreader file = vm_file_reader_make(&fr);
        vm_block_cache_reset(cache, &file, fr.size);
        vm_memreader r = vm_block_cache_reader(cache);
        parsed = vm_elf_parse(&r, fr.size, &e, err, sizeof err) &&
                 vm_elf_load_bias(&e, m0->start, m0->offset, c->page_size, &bias);
        vm_file_reader_close(&fr);
        if (parsed) {
            uint64_t img_end = image_end(&e, bias, c->page_size);
            if (img_end > end)
                end = img_end;
        }
    }
    if (!parsed && !c->opt->skip_sections && c->offline) {
        /* Offline most module files are usually elsewhere: one warning for all (linux_offline.c). */
        if (c->unsplit++ == 0)
            snprintf(c->first_unsplit, sizeof c->first_unsplit, "%s: %s", m0->name,
                     err[0] ? err : "no loadable segment at offset 0");
    } else if (!parsed && !c->opt->skip_sections)
        vm_snapshot_warn(c->snap, "module-unreadable", "%s%s: sections not shown: %s", m0->name,
                         m0->deleted ? " (deleted)" : "", err[0] ? err : "no loadable segment at offset 0");

    size_t next = claim_run(c, first, last, end, -1);
    /* The module ends where its mappings end (a truncated or replaced file must not widen it). */
    uint64_t claimed_end = c->maps.v[next - 1].end;
    int32_t mi = add_module(c, m0->name, m0->start, claimed_end);
    if (mi >= 0) {
        for (size_t i = first; i < next; i++)
            c->notes[i].module = mi;
        if (parsed)
            add_sections(c, &c->snap->modules[mi], &e, bias);
    }
    vm_elf_free(&e);
    return next;
}

/* Whether the target's vDSO at m is the image vmmap has itself (c->own_vdso): the kernel maps one
 * image per ABI, so the same size and the same bytes in the target's first page; when pagemap
 * says that page is not in the target's memory (reading it would map it), the same size and the
 * same ABI. */
static bool same_vdso(lx_capture *c, const vm_linux_mapping *m)
{
    uint64_t page = c->page_size;
    if (!c->own_vdso || c->own_vdso_size != m->end - m->start || !page || c->own_vdso_size < page || page > SIZE_MAX)
        return false;
    uint8_t state = 0;
    if (!vm_linux_pagemap_states(&c->pagemap, m->start, 1, page, &state))
        return false; /* not known: the target's own, as far as it can be read */
    if (state != 1)
        return c->own_vdso_same_abi;
    uint8_t *first = malloc((size_t)page);
    bool same = first && c->mem.read(c->mem.ctx, m->start, first, (size_t)page) == page &&
                memcmp(first, c->own_vdso, (size_t)page) == 0;
    free(first);
    return same;
}

static void image_from_vdso(lx_capture *c, size_t i)
{
    const vm_linux_mapping *m = &c->maps.v[i];
    int32_t mi = add_module(c, m->name, m->start, m->end);
    if (mi < 0)
        return;
    c->notes[i].module = mi;
    if (c->opt->skip_heaps)
        return; /* reading target memory was declined */
    /* vmmap's own copy when it is the same, else the target's pages that are in memory */
    mem_file mf = {&c->mem, m->start, m->end - m->start};
    vm_memreader r = {.read = mem_file_read, .ctx = &mf};
    vm_buffer_reader own = {0, c->own_vdso, (size_t)c->own_vdso_size};
    if (same_vdso(c, m))
        r = vm_buffer_reader_make(&own);
    vm_elf e;
    memset(&e, 0, sizeof e);
    char err[256];
    if (vm_elf_parse(&r, mf.size, &e, err, sizeof err))
        add_sections(c, &c->snap->modules[mi], &e, m->start);
    else
        vm_snapshot_warn(c->snap, "module-unreadable", "[vdso]: sections not shown: %s", err);
    vm_elf_free(&e);
}

void lx_find_images(lx_capture *c)
{
    vm_block_cache cache;
    vm_block_cache_init(&cache);
    size_t i = 0;
    while (i < c->maps.n) {
        const vm_linux_mapping *m = &c->maps.v[i];
        if (m->name && strcmp(m->name, "[vdso]") == 0) {
            image_from_vdso(c, i);
            i++;
        } else if (m->name && m->name[0] == '/' && m->inode && !m->shared && m->offset == 0 &&
                   c->notes[i].module < 0) {
            i = image_from_run(c, i, &cache);
        } else {
            i++;
        }
    }
    vm_block_cache_free(&cache);
}
