/* Where a vtable may live: the images' read-only data, code and extents, built from a snapshot
 * (or by a test), plus the _ZTV symbols of ELF modules.  See rtti.h. */
#include "rtti.h"

#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "elf.h"
#include "elf_buildid.h"
#include "type_names.h"

/* The target first; what it does not have, from a module file's read-only segment. */
static size_t read_through(void *ctx, uint64_t addr, void *buf, size_t len)
{
    vm_rtti_space *sp = ctx;
    size_t got = sp->target->read(sp->target->ctx, addr, buf, len);
    while (got < len && sp->nsegs) {
        uint64_t at = addr + got;
        const vm_rtti_file_seg *seg = NULL;
        for (size_t i = 0; i < sp->nsegs && !seg; i++)
            if (at >= sp->segs[i].start && at < sp->segs[i].end)
                seg = &sp->segs[i];
        if (!seg)
            break;
        size_t want = len - got;
        if (want > seg->end - at)
            want = (size_t)(seg->end - at);
        vm_memreader f = vm_file_reader_make(&sp->files[seg->file]);
        size_t n = f.read(f.ctx, seg->offset + (at - seg->start), (uint8_t *)buf + got, want);
        if (n == 0)
            break;
        got += n;
    }
    return got;
}

void vm_rtti_space_init(vm_rtti_space *sp, const vm_memreader *mem, int ptr_size, size_t nmodules)
{
    memset(sp, 0, sizeof *sp);
    sp->target = mem;
    sp->through.read = read_through;
    sp->through.ctx = sp;
    sp->mem = &sp->through;
    sp->ptr_size = ptr_size == 4 ? 4 : 8;
    sp->module_base = calloc(nmodules ? nmodules : 1, sizeof *sp->module_base);
    sp->nmodules = sp->module_base ? nmodules : 0;
}

bool vm_rtti_add_range(vm_rtti_space *sp, vm_rtti_range_kind kind, uint64_t start, uint64_t end, int32_t module)
{
    if (kind >= VM_RTTI_RANGE_KINDS || end <= start)
        return true;
    vm_rtti_range *r = vm_array_push((void **)&sp->ranges[kind], &sp->nranges[kind], sizeof *r);
    if (!r)
        return false;
    r->start = start;
    r->end = end;
    r->module = module;
    sp->sorted = false;
    return true;
}

void vm_rtti_set_module_base(vm_rtti_space *sp, int32_t module, uint64_t base)
{
    if (module >= 0 && (size_t)module < sp->nmodules)
        sp->module_base[module] = base;
}

bool vm_rtti_add_symbol(vm_rtti_space *sp, const char *mangled, uint64_t start, uint64_t size, int32_t module)
{
    if (strncmp(mangled, "_ZTV", 4) == 0)
        mangled += 4;
    char name[VM_RTTI_NAME_MAX];
    if (size < (uint64_t)sp->ptr_size * 3 || start + size < start || !vm_itanium_type_name(mangled, name, sizeof name))
        return true; /* not a vtable we could use: ignored */
    vm_rtti_symbol *s = vm_array_push((void **)&sp->symbols, &sp->nsymbols, sizeof *s);
    if (!s)
        return false;
    s->start = start;
    s->end = start + size;
    s->module = module;
    s->name = vm_strdup(name);
    sp->sorted = false;
    return s->name != NULL;
}

void vm_rtti_space_free(vm_rtti_space *sp)
{
    for (int k = 0; k < VM_RTTI_RANGE_KINDS; k++)
        free(sp->ranges[k]);
    for (size_t i = 0; i < sp->nsymbols; i++)
        free(sp->symbols[i].name);
    free(sp->symbols);
    free(sp->module_base);
    for (size_t i = 0; i < sp->nfiles; i++)
        vm_file_reader_close(&sp->files[i]);
    free(sp->files);
    free(sp->segs);
    memset(sp, 0, sizeof *sp);
}

static int range_cmp(const void *a, const void *b)
{
    const vm_rtti_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int symbol_cmp(const void *a, const void *b)
{
    const vm_rtti_symbol *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static void sort_space(vm_rtti_space *sp)
{
    if (sp->sorted)
        return;
    for (int k = 0; k < VM_RTTI_RANGE_KINDS; k++)
        if (sp->nranges[k])
            qsort(sp->ranges[k], sp->nranges[k], sizeof *sp->ranges[k], range_cmp);
    if (sp->nsymbols)
        qsort(sp->symbols, sp->nsymbols, sizeof *sp->symbols, symbol_cmp);
    sp->sorted = true;
}

const vm_rtti_range *vm_rtti_find(vm_rtti_space *sp, vm_rtti_range_kind kind, uint64_t addr)
{
    sort_space(sp);
    const vm_rtti_range *v = sp->ranges[kind];
    size_t lo = 0, hi = sp->nranges[kind];
    /* The last range starting at or below addr; ranges may overlap (sections inside blocks), so
     * a few before it are looked at too. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo, looked = 0; i > 0 && looked < 8; i--, looked++)
        if (addr >= v[i - 1].start && addr < v[i - 1].end)
            return &v[i - 1];
    return NULL;
}

const vm_rtti_symbol *vm_rtti_find_symbol(vm_rtti_space *sp, uint64_t addr)
{
    sort_space(sp);
    size_t lo = 0, hi = sp->nsymbols;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->symbols[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && addr < sp->symbols[lo - 1].end)
        return &sp->symbols[lo - 1];
    return NULL;
}

bool vm_rtti_read_ptr(const vm_rtti_space *sp, uint64_t addr, uint64_t *out)
{
    if (sp->ptr_size == 4) {
        uint32_t v;
        if (!vm_read_u32(sp->mem, addr, &v))
            return false;
        *out = v;
        return true;
    }
    return vm_read_u64(sp->mem, addr, out);
}

bool vm_rtti_read_name(const vm_rtti_space *sp, uint64_t addr, uint64_t limit, char *buf)
{
    if (limit <= addr)
        return false;
    uint64_t room = limit - addr;
    size_t want = room < VM_TYPE_NAME_INPUT_MAX + 1 ? (size_t)room : VM_TYPE_NAME_INPUT_MAX + 1;
    size_t got = sp->mem->read(sp->mem->ctx, addr, buf, want);
    const char *nul = memchr(buf, 0, got);
    if (!nul || nul == buf)
        return false;
    return true;
}

/* ---- from a snapshot ----------------------------------------------------------------------- */

static bool is_relro_name(const char *name)
{
    return name && strncmp(name, ".data.rel.ro", 12) == 0;
}

static bool add_by_protection(vm_rtti_space *sp, uint64_t start, uint64_t end, uint32_t prot, const char *name,
                              int32_t module)
{
    if (prot & VM_PROT_EXEC)
        return vm_rtti_add_range(sp, VM_RTTI_CODE, start, end, module);
    if (((prot & VM_PROT_READ) && !(prot & (VM_PROT_WRITE | VM_PROT_COPY))) || is_relro_name(name))
        return vm_rtti_add_range(sp, VM_RTTI_RODATA, start, end, module);
    return true;
}

bool vm_rtti_space_from_snapshot(vm_rtti_space *sp, const vm_snapshot *s, const vm_memreader *mem)
{
    vm_rtti_space_init(sp, mem, s->process.bits == 32 ? 4 : 8, s->nmodules);
    if (s->nmodules && !sp->module_base)
        return false;
    bool *has_sections = calloc(s->nmodules ? s->nmodules : 1, sizeof *has_sections);
    if (!has_sections)
        return false;
    bool ok = true;
    for (size_t i = 0; i < s->nmodules && ok; i++) {
        const vm_module *m = &s->modules[i];
        int32_t mi = (int32_t)i;
        vm_rtti_set_module_base(sp, mi, m->base);
        ok = vm_rtti_add_range(sp, VM_RTTI_IMAGE, m->base, m->base + m->size, mi);
        for (size_t k = 0; k < m->nsections && ok; k++) {
            const vm_section *sec = &m->sections[k];
            if (sec->size == 0 || sec->address + sec->size < sec->address)
                continue;
            /* Headers are read-only but hold no vtables. */
            if (sec->name && strcmp(sec->name, "headers") == 0)
                continue;
            has_sections[i] = true;
            ok = add_by_protection(sp, sec->address, sec->address + sec->size, sec->protection, sec->name, mi);
        }
    }
    /* Modules without sections (not split, or their headers unreadable): their blocks. */
    for (size_t r = 0; r < s->nregions && ok; r++)
        for (size_t b = 0; b < s->regions[r].nblocks && ok; b++) {
            const vm_block *blk = &s->regions[r].blocks[b];
            if (blk->module < 0 || (size_t)blk->module >= s->nmodules || has_sections[blk->module] ||
                blk->state != VM_STATE_COMMIT)
                continue;
            ok = add_by_protection(sp, blk->address, blk->address + blk->size, blk->protection, NULL, blk->module);
        }
    free(has_sections);
    return ok;
}

/* ---- _ZTV symbols of ELF modules ----------------------------------------------------------- */

typedef struct symbol_load {
    vm_rtti_space *sp;
    int32_t module;
    uint64_t bias, lo, hi;
    size_t added;
    bool oom;
} symbol_load;

static bool on_vtable_symbol(void *ctx, const char *name, uint64_t value, uint64_t size)
{
    symbol_load *l = ctx;
    uint64_t start = value + l->bias;
    if (start < l->lo || start >= l->hi || size > l->hi - start)
        return true; /* outside the module as mapped: a stale file or bad symbol */
    size_t before = l->sp->nsymbols;
    if (!vm_rtti_add_symbol(l->sp, name, start, size, l->module)) {
        l->oom = true;
        return false;
    }
    l->added += l->sp->nsymbols - before;
    return true;
}

/* Is the file the image mapped at base?  Their build-ids agree, or the target's copy of the
 * headers cannot be read and the caller takes the file on trust. */
static bool same_image(vm_rtti_space *sp, uint64_t base, const vm_memreader *file, bool require_build_id)
{
    uint8_t in_target[VM_BUILD_ID_MAX], in_file[VM_BUILD_ID_MAX];
    size_t t = vm_elf_build_id(sp->target, base, true, in_target, sizeof in_target);
    size_t f = vm_elf_build_id(file, 0, false, in_file, sizeof in_file);
    if (t == 0)
        return !require_build_id;
    return f == t && memcmp(in_file, in_target, t) == 0;
}

static bool target_has(const vm_rtti_space *sp, uint64_t addr)
{
    uint8_t b;
    return sp->target->read(sp->target->ctx, addr, &b, 1) == 1;
}

/* The file's read-only PT_LOADs, as they lie in the target, that the target lacks (a core's
 * left-out mappings: a mapping is dumped whole or not at all).  Returns how many were added. */
static size_t add_file_segments(vm_rtti_space *sp, const vm_elf *e, uint64_t bias, size_t file, uint64_t lo, uint64_t hi)
{
    size_t added = 0;
    for (size_t i = 0; i < e->nloads; i++) {
        const vm_elf_segment *g = &e->loads[i];
        uint64_t start = bias + g->vaddr, end = start + g->filesz;
        if ((g->flags & 2) || g->filesz == 0 || end < start || start < lo || end > hi)
            continue; /* written at run time (its file bytes are not its memory), or outside the image */
        if (target_has(sp, start) && target_has(sp, end - 1))
            continue;
        vm_rtti_file_seg *s = vm_array_push((void **)&sp->segs, &sp->nsegs, sizeof *s);
        if (!s)
            break;
        s->start = start;
        s->end = end;
        s->offset = g->offset;
        s->file = file;
        added++;
    }
    return added;
}

bool vm_rtti_load_elf_module(vm_rtti_space *sp, int32_t module, const char *path, uint64_t page_size,
                             bool require_build_id)
{
    if (module < 0 || (size_t)module >= sp->nmodules || !path)
        return false;
    vm_file_reader fr;
    char err[256];
    if (!vm_file_reader_open(&fr, path, err, sizeof err))
        return false;
    vm_memreader r = vm_file_reader_make(&fr);
    vm_elf e;
    memset(&e, 0, sizeof e);
    uint64_t base = sp->module_base[module], bias;
    bool used = false, kept = false;
    if (same_image(sp, base, &r, require_build_id) && vm_elf_parse(&r, fr.size, &e, err, sizeof err) &&
        vm_elf_load_bias(&e, base, 0, page_size ? page_size : 4096, &bias)) {
        const vm_rtti_range *img = vm_rtti_find(sp, VM_RTTI_IMAGE, base);
        symbol_load l = {sp, module, bias, base, img ? img->end : base, 0, false};
        vm_elf_each_symbol(&r, &e, "_ZTV", on_vtable_symbol, &l);
        used = true;
        /* Kept open only for segments the target lacks; closed by vm_rtti_space_free. */
        vm_file_reader *slot = vm_array_push((void **)&sp->files, &sp->nfiles, sizeof *slot);
        if (slot) {
            *slot = fr;
            kept = add_file_segments(sp, &e, bias, sp->nfiles - 1, base, img ? img->end : base) > 0;
            if (!kept)
                sp->nfiles--;
        }
    }
    vm_elf_free(&e);
    if (!kept)
        vm_file_reader_close(&fr);
    return used;
}

/* ---- both ABIs ------------------------------------------------------------------------------ */

vm_rtti_verdict vm_rtti_check(vm_rtti_space *sp, uint64_t vptr, vm_rtti_vtable *out)
{
    vm_rtti_verdict v = vm_rtti_check_itanium(sp, vptr, out);
    if (v != VM_RTTI_NOT_VTABLE)
        return v;
    return vm_rtti_check_msvc(sp, vptr, out);
}
