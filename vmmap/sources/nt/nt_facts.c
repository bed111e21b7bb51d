/* A Windows address space (regions, modules, threads, PEB) into vmmap facts (see nt_facts.h).
 *
 * Shared by the live Windows source and the minidump source, and tested on Linux with synthetic
 * inputs, so it never calls Windows: every fact about the target comes from the input arrays or
 * through the memory reader, and every value read is checked before it is believed. */
#include "nt_facts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../parse/elf.h"
#include "../../parse/nt_heaps.h"
#include "../../parse/pe.h"
#include "../../util/xalloc.h"

#define PAGE_GUARD_BIT 0x100u
#define PAGE_NOCACHE_BIT 0x200u
#define PAGE_WRITECOMBINE_BIT 0x400u

/* windows-internals.md §1: NT_TIB and TEB fields, TEB/PEB sizes rounded to pages. */
#define TEB64_STACK_BASE 0x08
#define TEB64_STACK_LIMIT 0x10
#define TEB64_SELF 0x30
#define TEB64_DEALLOC 0x1478
#define TEB64_SIZE 0x2000   /* sizeof(TEB) 0x1838 on x64 */
#define TEB32_STACK_BASE 0x04
#define TEB32_STACK_LIMIT 0x08
#define TEB32_SELF 0x18
#define TEB32_DEALLOC 0xE0C
#define TEB32_SIZE 0x1000   /* sizeof(TEB32) 0xFE4 */
#define WOW64_TEB32_OFFSET 0x2000 /* TEB32 = TEB64 + 0x2000 (phnt WOW64_GET_TEB32) */
#define PEB_SIZE 0x1000     /* PEB64 0x7C8, PEB32 0x480: one page */
#define KUSER_SHARED_DATA 0x7FFE0000u

#define MAX_MODULES 65536   /* bounds the image-allocation fallback on hostile region lists */

uint32_t vm_nt_protection(uint32_t p)
{
    uint32_t r;
    switch (p & 0xFFu) {
    case 0x02: r = VM_PROT_READ; break;
    case 0x04: r = VM_PROT_READ | VM_PROT_WRITE; break;
    case 0x08: r = VM_PROT_READ | VM_PROT_WRITE | VM_PROT_COPY; break;
    case 0x10: r = VM_PROT_EXEC; break;
    case 0x20: r = VM_PROT_READ | VM_PROT_EXEC; break;
    case 0x40: r = VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC; break;
    case 0x80: r = VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC | VM_PROT_COPY; break;
    default: r = 0; break; /* PAGE_NOACCESS, or nothing (reserved) */
    }
    if (p & PAGE_GUARD_BIT)
        r |= VM_PROT_GUARD;
    if (p & PAGE_NOCACHE_BIT)
        r |= VM_PROT_NOCACHE;
    if (p & PAGE_WRITECOMBINE_BIT)
        r |= VM_PROT_WCOMBINE;
    return r;
}

/* ---- the region list, cleaned ------------------------------------------------------------ */

/* Sub-ranges the source knows by name (TEBs, the PEB), used to split blocks. */
typedef struct label {
    uint64_t start, end;
    char note[48];
} label;

typedef struct ctx {
    const vm_nt_input *in;
    vm_snapshot *snap;
    const vm_nt_region **reg; /* used regions (not free, non-empty), sorted, non-overlapping */
    size_t nreg;
    label *labels;
    size_t nlabels;
    uint64_t page;
    /* Per-thread problems are counted and reported once each, not once per thread. */
    size_t teb_unreadable, teb_invalid, no_stack;
    uint64_t first_unreadable, first_invalid, first_no_stack;
    char invalid_why[96];
    /* Partial maps (regions_complete false): allocations inferred from TEBs and heap headers,
     * and the region list rebuilt with them (c->reg then points into owned). */
    struct extent *ext;
    size_t next;
    vm_nt_region *owned;
    size_t nowned;
    size_t unsplit;           /* images whose PE headers were read nowhere, and the first */
    char first_unsplit[400];
} ctx;

static int cmp_region(const void *a, const void *b)
{
    const vm_nt_region *x = *(const vm_nt_region *const *)a, *y = *(const vm_nt_region *const *)b;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* Keeps the allocated regions, sorted; drops empty, wrapping and overlapping ones (warning). */
static bool clean_regions(ctx *c)
{
    const vm_nt_input *in = c->in;
    c->reg = calloc(in->nregions ? in->nregions : 1, sizeof *c->reg);
    if (!c->reg)
        return false;
    for (size_t i = 0; i < in->nregions; i++) {
        const vm_nt_region *r = &in->regions[i];
        if (r->state == VM_NT_MEM_FREE || r->size == 0)
            continue;
        if (r->state != VM_NT_MEM_COMMIT && r->state != VM_NT_MEM_RESERVE) {
            vm_snapshot_warn(c->snap, "region-invalid", "region 0x%" PRIx64 ": unknown state 0x%" PRIx32 "; skipped",
                             r->base, r->state);
            continue;
        }
        if (r->base + r->size < r->base) {
            vm_snapshot_warn(c->snap, "region-invalid", "region 0x%" PRIx64 ": size 0x%" PRIx64 " wraps; skipped",
                             r->base, r->size);
            continue;
        }
        c->reg[c->nreg++] = r;
    }
    if (c->nreg > 1) /* an empty array may be NULL, which qsort must not see */
        qsort(c->reg, c->nreg, sizeof *c->reg, cmp_region);
    size_t kept = 0;
    for (size_t i = 0; i < c->nreg; i++) {
        const vm_nt_region *r = c->reg[i];
        if (kept && r->base < c->reg[kept - 1]->base + c->reg[kept - 1]->size) {
            vm_snapshot_warn(c->snap, "overlap", "region 0x%" PRIx64 " overlaps the previous one; skipped", r->base);
            continue;
        }
        c->reg[kept++] = r;
    }
    c->nreg = kept;
    return true;
}

/* The allocation base a region belongs to (its own base when the source left it 0). */
static uint64_t alloc_of(const vm_nt_region *r)
{
    return r->alloc_base && r->alloc_base <= r->base ? r->alloc_base : r->base;
}

/* Index of the first used region ending above addr (c->nreg when none). */
static size_t first_ending_above(const ctx *c, uint64_t addr)
{
    size_t lo = 0, hi = c->nreg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->reg[mid]->base + c->reg[mid]->size <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the used region containing addr, or -1. */
static long find_region(const ctx *c, uint64_t addr)
{
    size_t lo = first_ending_above(c, addr);
    if (lo < c->nreg && c->reg[lo]->base <= addr)
        return (long)lo;
    return -1;
}

/* ---- labels (TEB, PEB) ------------------------------------------------------------------- */

static bool add_label(ctx *c, uint64_t start, uint64_t size, const char *fmt, uint64_t n)
{
    if (!start || start + size < start)
        return true;
    label *l = vm_array_push((void **)&c->labels, &c->nlabels, sizeof *c->labels);
    if (!l)
        return false;
    l->start = start;
    l->end = start + size;
    snprintf(l->note, sizeof l->note, fmt, n);
    return true;
}

static int cmp_label(const void *a, const void *b)
{
    const label *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted, overlaps dropped (a hostile TEB address must not produce overlapping blocks). */
static void sort_labels(ctx *c)
{
    if (c->nlabels < 2)
        return; /* also: qsort must not see the NULL of an empty array */
    qsort(c->labels, c->nlabels, sizeof *c->labels, cmp_label);
    size_t kept = 0;
    for (size_t i = 0; i < c->nlabels; i++) {
        if (kept && c->labels[i].start < c->labels[kept - 1].end)
            continue;
        c->labels[kept++] = c->labels[i];
    }
    c->nlabels = kept;
}

/* Under WOW64 the TEB handed to us may be the 64-bit one (live 64-bit tool) or the 32-bit one
 * (a dump written by a 32-bit debugger); the Self field says which. */
static bool is_wow64_teb64(const ctx *c, uint64_t teb)
{
    uint64_t self = 0;
    return c->in->bits == 32 && vm_read_u64(c->in->mem, teb + TEB64_SELF, &self) && self == teb;
}

static bool collect_labels(ctx *c)
{
    const vm_nt_input *in = c->in;
    for (size_t i = 0; i < in->nthreads; i++) {
        const vm_nt_thread *t = &in->threads[i];
        if (!t->teb)
            continue;
        if (in->bits == 64) {
            if (!add_label(c, t->teb, TEB64_SIZE, "TEB of thread %" PRIu64, t->tid))
                return false;
        } else if (is_wow64_teb64(c, t->teb)) {
            if (!add_label(c, t->teb, TEB64_SIZE, "TEB64 of thread %" PRIu64, t->tid) ||
                !add_label(c, t->teb + WOW64_TEB32_OFFSET, TEB32_SIZE, "TEB of thread %" PRIu64, t->tid))
                return false;
        } else if (!add_label(c, t->teb, TEB32_SIZE, "TEB of thread %" PRIu64, t->tid)) {
            return false;
        }
    }
    if (in->peb && !add_label(c, in->peb - in->peb % c->page, PEB_SIZE, "PEB", 0))
        return false;
    /* KUSER_SHARED_DATA: the kernel's read-only page at a fixed address in every process. */
    long k = find_region(c, KUSER_SHARED_DATA);
    if (k >= 0 && c->reg[k]->base == KUSER_SHARED_DATA &&
        !add_label(c, KUSER_SHARED_DATA, c->page, "KUSER_SHARED_DATA", 0))
        return false;
    sort_labels(c);
    return true;
}

/* ---- raw blocks -------------------------------------------------------------------------- */

static const uint32_t WS_BITS = (1u << VM_C_TOTAL_WS) | (1u << VM_C_PRIVATE_WS) | (1u << VM_C_SHAREABLE_WS) |
                                (1u << VM_C_SHARED_WS) | (1u << VM_C_LOCKED_WS);

/* Working-set bytes are measured per region; when a region is split (TEB/PEB pages), each piece
 * gets its share by size, in whole pages, and the last piece the remainder, so sums stay exact. */
static void set_counters(const ctx *c, const vm_nt_region *r, uint64_t off, uint64_t len, vm_counters *out)
{
    memset(out, 0, sizeof *out);
    bool committed = r->state == VM_NT_MEM_COMMIT;
    out->v[VM_C_COMMITTED] = committed ? len : 0;
    out->v[VM_C_PRIVATE] = committed && r->type == VM_NT_MEM_PRIVATE ? len : 0;
    out->known = (1u << VM_C_COMMITTED) | (1u << VM_C_PRIVATE);
    uint32_t ws_known = r->ws.known & WS_BITS;
    out->known |= ws_known;
    bool last = off + len >= r->size;
    for (int k = VM_C_TOTAL_WS; k <= VM_C_LOCKED_WS; k++) {
        if (!(ws_known & (1u << k)))
            continue;
        uint64_t total = r->ws.v[k] < r->size ? r->ws.v[k] : r->size;
        if (off == 0 && last) {
            out->v[k] = total;
            continue;
        }
        /* Bytes given to earlier pieces: same formula, so pieces add up to total. */
        long double share_before = (long double)total * (long double)off / (long double)r->size;
        long double share_upto = (long double)total * (long double)(off + len) / (long double)r->size;
        uint64_t before = (uint64_t)share_before - (uint64_t)share_before % c->page;
        uint64_t upto = last ? total : (uint64_t)share_upto - (uint64_t)share_upto % c->page;
        out->v[k] = upto > before ? upto - before : 0;
    }
}

static vm_memtype memtype_of(uint32_t type)
{
    switch (type) {
    case VM_NT_MEM_MAPPED: return VM_MEMTYPE_MAPPED;
    case VM_NT_MEM_IMAGE: return VM_MEMTYPE_IMAGE;
    default: return VM_MEMTYPE_PRIVATE;
    }
}

static bool add_piece(ctx *c, vm_facts *out, const vm_nt_region *r, uint64_t start, uint64_t end, const char *note)
{
    vm_raw_block *b = vm_facts_add_block(out);
    if (!b)
        return false;
    b->address = start;
    b->size = end - start;
    b->alloc_base = alloc_of(r);
    b->state = r->state == VM_NT_MEM_COMMIT ? VM_STATE_COMMIT : VM_STATE_RESERVE;
    /* A reserved page has no protection of its own (VirtualQueryEx reports 0). */
    b->protection = b->state == VM_STATE_COMMIT ? vm_nt_protection(r->protect) : 0;
    b->memtype = memtype_of(r->type);
    bool named = r->mapped_path && r->mapped_path[0];
    if (r->type == VM_NT_MEM_MAPPED)
        b->flags = named ? VM_RAW_FILE | VM_RAW_SHARED : VM_RAW_SHARED | VM_RAW_SHMEM;
    else if (r->type == VM_NT_MEM_IMAGE && named)
        b->flags = VM_RAW_FILE | VM_RAW_SHARED;
    if (named && r->type != VM_NT_MEM_PRIVATE && !(b->path = vm_strdup(r->mapped_path)))
        return false;
    if (note && !(b->note = vm_strdup(note)))
        return false;
    set_counters(c, r, start - r->base, end - start, &b->counters);
    return true;
}

/* One block per region, split where a label begins or ends. */
static bool build_blocks(ctx *c, vm_facts *out)
{
    size_t li = 0;
    for (size_t i = 0; i < c->nreg; i++) {
        const vm_nt_region *r = c->reg[i];
        uint64_t cur = r->base, end = r->base + r->size;
        while (li < c->nlabels && c->labels[li].end <= cur)
            li++;
        while (cur < end) {
            const label *l = li < c->nlabels ? &c->labels[li] : NULL;
            uint64_t stop = end;
            const char *note = NULL;
            if (l && l->start <= cur) {
                stop = l->end < end ? l->end : end;
                note = l->note;
            } else if (l && l->start < end) {
                stop = l->start;
            }
            if (!add_piece(c, out, r, cur, stop, note))
                return false;
            cur = stop;
            while (li < c->nlabels && c->labels[li].end <= cur)
                li++;
        }
    }
    return true;
}

/* ---- modules ----------------------------------------------------------------------------- */

static const char *path_at(const ctx *c, uint64_t addr)
{
    long k = find_region(c, addr);
    return k >= 0 ? c->reg[k]->mapped_path : NULL;
}

/* The module's file in one of the --image-path directories: DIR/NAME, DIR/name (lower case) or
 * a symbol store's DIR/NAME/TTTTTTTTSIZE/NAME, whose PE headers give the module's SizeOfImage
 * and TimeDateStamp.  Parsed into pe on success. */
static bool pe_from_image_path(const vm_nt_input *in, const char *path, uint64_t size, uint32_t stamp, vm_pe *pe)
{
    if (!in->image_path || !path || !stamp)
        return false;
    const char *name = path;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            name = p + 1;
    char lower[256];
    size_t ln = 0;
    for (; name[ln] && ln + 1 < sizeof lower; ln++)
        lower[ln] = (char)(name[ln] >= 'A' && name[ln] <= 'Z' ? name[ln] - 'A' + 'a' : name[ln]);
    lower[ln] = '\0';
    for (const char *d = in->image_path; d && *d;) {
        const char *colon = strchr(d, ':');
#ifdef _WIN32
        colon = strchr(d, ';'); /* C:\dir is a path here: directories are separated by ';' */
#endif
        int n = (int)(colon ? (size_t)(colon - d) : strlen(d));
        char cands[3][1024];
        snprintf(cands[0], sizeof cands[0], "%.*s/%s", n, d, name);
        snprintf(cands[1], sizeof cands[1], "%.*s/%s", n, d, lower);
        snprintf(cands[2], sizeof cands[2], "%.*s/%s/%08X%x/%s", n, d, name, stamp, (unsigned)size, name);
        for (int k = 0; k < 3; k++) {
            vm_file_reader fr;
            char why[160];
            if (!vm_file_reader_open(&fr, cands[k], why, sizeof why))
                continue;
            vm_memreader r = vm_file_reader_make(&fr);
            memset(pe, 0, sizeof *pe);
            bool ok = vm_pe_parse(&r, 0, pe, why, sizeof why);
            vm_file_reader_close(&fr);
            if (ok && pe->time_date_stamp == stamp && (!size || pe->size_of_image == size))
                return true;
            if (ok)
                vm_pe_free(pe);
        }
        d = colon ? colon + 1 : NULL;
    }
    return false;
}

/* Adds a module and splits it into sections from the PE headers in target memory, or from its
 * file in --image-path when they are not there. */
static bool add_module(ctx *c, const char *path, uint64_t base, uint64_t size, uint32_t stamp)
{
    vm_module *m = vm_snapshot_add_module(c->snap);
    if (!m)
        return false;
    m->base = base;
    m->size = size;
    if (path && !(m->path = vm_strdup(path)))
        return false;
    if (c->in->skip_sections)
        return true; /* asked not to: the image stays whole */
    vm_pe pe;
    char why[160];
    memset(&pe, 0, sizeof pe);
    if (!vm_pe_parse(c->in->mem, base, &pe, why, sizeof why) &&
        !pe_from_image_path(c->in, path, size, stamp, &pe)) {
        c->unsplit++;
        if (c->unsplit == 1)
            snprintf(c->first_unsplit, sizeof c->first_unsplit, "%s at 0x%" PRIx64 ": %s", path ? path : "module",
                     base, why);
        return true;
    }
    if (m->size == 0 || base + m->size < base)
        m->size = pe.size_of_image;
    bool ok = vm_pe_add_sections(&pe, base, m);
    vm_pe_free(&pe);
    return ok;
}

static bool module_listed(const ctx *c, uint64_t base)
{
    for (size_t i = 0; i < c->snap->nmodules; i++)
        if (c->snap->modules[i].base == base)
            return true;
    return false;
}

static bool collect_modules(ctx *c)
{
    const vm_nt_input *in = c->in;
    for (size_t i = 0; i < in->nmodules; i++) {
        const vm_nt_module *mod = &in->modules[i];
        if (!mod->base || module_listed(c, mod->base))
            continue;
        const char *path = mod->path && mod->path[0] ? mod->path : path_at(c, mod->base);
        if (!add_module(c, path, mod->base, mod->base + mod->size < mod->base ? 0 : mod->size, mod->time_date_stamp))
            return false;
    }
    /* MEM_IMAGE allocations the module list missed (a list read while a DLL loads, a dump without
     * a module stream): the mapped file name says which image it is. */
    size_t added = 0;
    for (size_t i = 0; i < c->nreg && added < MAX_MODULES; i++) {
        const vm_nt_region *r = c->reg[i];
        if (r->type != VM_NT_MEM_IMAGE || r->base != alloc_of(r) || module_listed(c, r->base))
            continue;
        uint64_t end = r->base + r->size;
        for (size_t j = i + 1; j < c->nreg && alloc_of(c->reg[j]) == r->base && c->reg[j]->base == end; j++)
            end += c->reg[j]->size;
        if (!add_module(c, r->mapped_path, r->base, end - r->base, 0))
            return false;
        added++;
    }
    /* One warning for every image left whole (a real Firefox dump gave 126 of them). */
    if (c->unsplit)
        vm_snapshot_warn(c->snap, "module-unreadable", "%zu image%s not split into sections: PE headers not readable "
                         "%s(the first: %s)", c->unsplit, c->unsplit == 1 ? "" : "s",
                         c->in->image_path ? "in memory nor in --image-path " : "(--image-path DIR names where the "
                         "module files are) ", c->first_unsplit);
    return true;
}

/* ---- threads ----------------------------------------------------------------------------- */

typedef struct tib {
    uint64_t base, limit, dealloc;
} tib;

static bool read_tib(const vm_memreader *mem, uint64_t teb, int bits, tib *t)
{
    memset(t, 0, sizeof *t);
    if (bits == 64)
        return vm_read_u64(mem, teb + TEB64_STACK_BASE, &t->base) && vm_read_u64(mem, teb + TEB64_STACK_LIMIT, &t->limit) &&
               vm_read_u64(mem, teb + TEB64_DEALLOC, &t->dealloc);
    uint32_t b, l, d;
    if (!vm_read_u32(mem, teb + TEB32_STACK_BASE, &b) || !vm_read_u32(mem, teb + TEB32_STACK_LIMIT, &l) ||
        !vm_read_u32(mem, teb + TEB32_DEALLOC, &d))
        return false;
    t->base = b;
    t->limit = l;
    t->dealloc = d;
    return true;
}

/* The committed PAGE_GUARD run just below limit inside allocation alloc: found by flag, not size
 * (SetThreadStackGuarantee makes it larger than a page). */
static void find_guard(const ctx *c, uint64_t alloc, uint64_t limit, vm_thread *th)
{
    long k = find_region(c, limit - 1);
    /* Windows: the guard ends at StackLimit.  Otherwise look further down the allocation for the
     * highest guard run (a stale StackLimit after the guard page was hit). */
    while (k >= 0 && alloc_of(c->reg[k]) == alloc &&
           !(c->reg[k]->state == VM_NT_MEM_COMMIT && (c->reg[k]->protect & PAGE_GUARD_BIT)))
        k--;
    if (k < 0 || alloc_of(c->reg[k]) != alloc)
        return;
    uint64_t hi = c->reg[k]->base + c->reg[k]->size, lo = c->reg[k]->base;
    for (long j = k - 1; j >= 0; j--) {
        const vm_nt_region *r = c->reg[j];
        if (alloc_of(r) != alloc || r->base + r->size != lo || r->state != VM_NT_MEM_COMMIT ||
            !(r->protect & PAGE_GUARD_BIT))
            break;
        lo = r->base;
    }
    th->guard_address = lo;
    th->guard_size = hi - lo;
}

/* Checks a stack range [limit, base) against the regions and fills th; false with why set when
 * the values cannot be a stack.  dealloc may be 0 (unknown). */
static bool place_stack(ctx *c, uint64_t base, uint64_t limit, uint64_t dealloc, vm_thread *th, char *why, size_t wl)
{
    const vm_nt_input *in = c->in;
    uint64_t top = in->user_top ? in->user_top : UINT64_MAX;
    if (!base || !limit || limit >= base) {
        snprintf(why, wl, "StackLimit 0x%" PRIx64 " is not below StackBase 0x%" PRIx64, limit, base);
        return false;
    }
    if (base > top || limit % c->page || base % c->page) {
        snprintf(why, wl, "stack 0x%" PRIx64 "-0x%" PRIx64 " is unaligned or outside the user address space", limit, base);
        return false;
    }
    long lo = find_region(c, limit), hi = find_region(c, base - 1);
    uint64_t reserve = dealloc && dealloc <= limit ? dealloc : limit;
    if (lo >= 0 && hi >= 0) {
        uint64_t alloc = alloc_of(c->reg[lo]);
        if (alloc_of(c->reg[hi]) != alloc) {
            snprintf(why, wl, "StackLimit 0x%" PRIx64 " and StackBase 0x%" PRIx64 " lie in different allocations", limit, base);
            return false;
        }
        if (c->reg[lo]->type != VM_NT_MEM_PRIVATE) {
            snprintf(why, wl, "stack 0x%" PRIx64 " is not private memory", limit);
            return false;
        }
        if (dealloc && dealloc != alloc)
            vm_snapshot_warn(c->snap, "thread-stack", "thread %" PRIu64 ": DeallocationStack 0x%" PRIx64
                             " is not the stack's allocation base 0x%" PRIx64 "; using the allocation base",
                             th->tid, dealloc, alloc);
        reserve = alloc;
        find_guard(c, alloc, limit, th);
    } else if (in->regions_complete) {
        snprintf(why, wl, "stack 0x%" PRIx64 "-0x%" PRIx64 " is not inside allocated memory", limit, base);
        return false;
    }
    th->stack_base = base;
    th->stack_limit = limit;
    th->reserve_base = reserve;
    return true;
}

static void note_invalid(ctx *c, uint64_t tid, const char *why)
{
    if (c->teb_invalid++ == 0) {
        c->first_invalid = tid;
        snprintf(c->invalid_why, sizeof c->invalid_why, "%s", why);
    }
}

/* Without a usable TEB: the captured stack memory (minidump thread list: from the stack pointer
 * up to StackBase) and the allocation holding it. */
static bool stack_from_range(ctx *c, const vm_nt_thread *t, vm_thread *th)
{
    if (!t->stack_size || t->stack_start + t->stack_size < t->stack_start)
        return false;
    uint64_t limit = t->stack_start - t->stack_start % c->page;
    uint64_t base = t->stack_start + t->stack_size;
    if (base % c->page)
        base += c->page - base % c->page;
    char why[96];
    if (!place_stack(c, base, limit, 0, th, why, sizeof why))
        return false;
    /* The whole committed part, not only what was captured: the guard run marks its bottom. */
    if (th->guard_address && th->guard_address + th->guard_size < th->stack_limit)
        th->stack_limit = th->guard_address + th->guard_size;
    th->found_by = vm_strdup("minidump thread list");
    return th->found_by != NULL;
}

static bool inferred_stack_at(const ctx *c, uint64_t start);

/* Fills th's stack from one TIB (64-bit or 32-bit view). */
static bool stack_from_teb(ctx *c, uint64_t teb, int bits, vm_thread *th, const char *how)
{
    tib tb;
    if (!read_tib(c->in->mem, teb, bits, &tb)) {
        if (c->teb_unreadable++ == 0)
            c->first_unreadable = th->tid;
        return false;
    }
    char why[96];
    if (!place_stack(c, tb.base, tb.limit, tb.dealloc, th, why, sizeof why)) {
        note_invalid(c, th->tid, why);
        return false;
    }
    if (inferred_stack_at(c, th->reserve_base))
        th->found_by = vm_asprintf("%s; partial map: reserved part and guard page inferred from it", how);
    else
        th->found_by = vm_strdup(how);
    return th->found_by != NULL;
}

static vm_thread *new_thread(ctx *c, const vm_nt_thread *t, uint64_t teb)
{
    vm_thread *th = vm_snapshot_add_thread(c->snap);
    if (!th)
        return NULL;
    th->tid = t->tid;
    th->teb = teb;
    th->sp = t->sp;
    if (t->name && t->name[0] && !(th->name = vm_strdup(t->name)))
        return NULL;
    return th;
}

static bool collect_threads(ctx *c)
{
    const vm_nt_input *in = c->in;
    for (size_t i = 0; i < in->nthreads; i++) {
        const vm_nt_thread *t = &in->threads[i];
        bool wow64 = t->teb && is_wow64_teb64(c, t->teb);
        uint64_t teb = wow64 ? t->teb + WOW64_TEB32_OFFSET : t->teb;
        vm_thread *th = new_thread(c, t, teb);
        if (!th)
            return false;
        bool found = teb && stack_from_teb(c, teb, in->bits, th, "TEB");
        if (!found)
            found = stack_from_range(c, t, th);
        if (!found && c->no_stack++ == 0)
            c->first_no_stack = t->tid;
        /* A WOW64 thread also runs on a 64-bit stack, described by its TEB64: a second entry
         * with the same thread id, added only when that stack is found. */
        if (wow64) {
            vm_thread th64;
            memset(&th64, 0, sizeof th64);
            th64.tid = t->tid;
            th64.teb = t->teb;
            if (stack_from_teb(c, t->teb, 64, &th64, "TEB64 (WOW64 64-bit stack)")) {
                vm_thread *slot = vm_snapshot_add_thread(c->snap);
                if (!slot) {
                    free(th64.found_by);
                    return false;
                }
                *slot = th64;
                if (t->name && t->name[0] && !(slot->name = vm_strdup(t->name)))
                    return false;
            }
        }
    }
    if (c->teb_unreadable)
        vm_snapshot_warn(c->snap, "teb-unreadable", "%zu thread(s): TEB not readable (first: thread %" PRIu64
                         "); their stacks come from the thread list where available", c->teb_unreadable, c->first_unreadable);
    if (c->teb_invalid)
        vm_snapshot_warn(c->snap, "teb-invalid", "%zu thread(s): implausible stack fields in the TEB (first: thread %"
                         PRIu64 ": %s)", c->teb_invalid, c->first_invalid, c->invalid_why);
    if (c->no_stack)
        vm_snapshot_warn(c->snap, "thread-stack", "%zu thread(s) without a located stack (first: thread %" PRIu64 ")",
                         c->no_stack, c->first_no_stack);
    return true;
}

/* ---- partial maps: allocations inferred from TEBs and heap headers ------------------------- */

/* Without a full region list (a minidump without MemoryInfoList) the regions are only what was
 * captured, each its own allocation.  A TEB and a heap header each describe one allocation
 * completely: [DeallocationStack, StackBase) with [StackLimit, StackBase) committed, a heap
 * part's reservation.  Those become allocations here; inside one, a captured (or TEB-committed)
 * page is committed and anything else reserved. */
typedef struct extent {
    uint64_t start, end;         /* page-aligned */
    uint64_t firm_lo, firm_hi;   /* committed whether captured or not (a stack above StackLimit) */
    uint64_t guard_lo, guard_hi; /* the guard page assumed just below StackLimit */
    bool stack;
    size_t heap, part;           /* heap parts: indexes into the snapshot */
} extent;

static uint64_t top_of(const ctx *c)
{
    return c->in->user_top ? c->in->user_top : UINT64_MAX;
}

static bool push_extent(ctx *c, const extent *e)
{
    extent *slot = vm_array_push((void **)&c->ext, &c->next, sizeof *c->ext);
    if (!slot)
        return false;
    *slot = *e;
    return true;
}

/* The stack one TIB describes, when its fields are plausible (else nothing: collect_threads
 * reports implausible TEBs). */
static bool stack_extent(ctx *c, uint64_t teb, int bits)
{
    tib tb;
    if (!read_tib(c->in->mem, teb, bits, &tb) || !tb.limit || tb.limit >= tb.base || tb.base > top_of(c) ||
        tb.limit % c->page || tb.base % c->page)
        return true;
    extent e = {.start = tb.limit, .end = tb.base, .firm_lo = tb.limit, .firm_hi = tb.base, .stack = true};
    if (tb.dealloc && tb.dealloc < tb.limit && tb.dealloc % c->page == 0)
        e.start = tb.dealloc;
    if (tb.limit - e.start >= c->page) {
        e.guard_lo = tb.limit - c->page;
        e.guard_hi = tb.limit;
    }
    return push_extent(c, &e);
}

static bool stack_extents(ctx *c)
{
    const vm_nt_input *in = c->in;
    for (size_t i = 0; i < in->nthreads; i++) {
        uint64_t teb = in->threads[i].teb;
        if (!teb)
            continue;
        bool wow64 = is_wow64_teb64(c, teb);
        if (!stack_extent(c, wow64 ? teb + WOW64_TEB32_OFFSET : teb, in->bits) ||
            (wow64 && !stack_extent(c, teb, 64)))
            return false;
    }
    return true;
}

/* A heap part as an extent, when its first byte was captured (its header: the walk read it) and
 * its span, rounded out to pages, fits the user address space. */
static bool part_extent(const ctx *c, const vm_heap_part *part, extent *e)
{
    uint8_t byte;
    uint64_t end = part->address + part->size;
    if (!part->size || end < part->address || end > top_of(c) || end > UINT64_MAX - c->page ||
        !vm_read_exact(c->in->mem, part->address, &byte, 1))
        return false;
    e->start = part->address - part->address % c->page;
    e->end = end % c->page ? end + (c->page - end % c->page) : end;
    return true;
}

static bool heap_extents(ctx *c)
{
    const vm_snapshot *s = c->snap;
    for (size_t h = 0; h < s->nheaps; h++)
        for (size_t p = 0; p < s->heaps[h].nparts; p++) {
            extent e = {.heap = h, .part = p};
            if (part_extent(c, &s->heaps[h].parts[p], &e) && !push_extent(c, &e))
                return false;
        }
    return true;
}

static int cmp_extent(const void *a, const void *b)
{
    const extent *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (int)y->stack - (int)x->stack; /* a stack before a heap part at the same address */
}

/* Index of the first used region starting at or above addr (c->nreg when none). */
static size_t first_starting_at(const ctx *c, uint64_t addr)
{
    size_t lo = 0, hi = c->nreg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->reg[mid]->base < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* True when a region the source reported as other than private memory (an image, a mapped view)
 * lies in e: a heap or a stack cannot be there, so the extent is wrong.  foreign[k] counts such
 * regions below c->reg[k], so each test is two binary searches, however many extents overlap. */
static bool extent_hits_foreign(const ctx *c, const size_t *foreign, const extent *e)
{
    return foreign[first_starting_at(c, e->end)] > foreign[first_ending_above(c, e->start)];
}

/* Sorted; those overlapping an earlier one or foreign memory dropped (counted, first noted).
 * Returns how many were dropped, SIZE_MAX when out of memory. */
static size_t keep_plausible_extents(ctx *c, uint64_t *first_dropped)
{
    size_t *foreign = calloc(c->nreg + 1, sizeof *foreign);
    if (!foreign)
        return SIZE_MAX;
    for (size_t k = 0; k < c->nreg; k++)
        foreign[k + 1] = foreign[k] + (c->reg[k]->type != VM_NT_MEM_PRIVATE);
    if (c->next > 1)
        qsort(c->ext, c->next, sizeof *c->ext, cmp_extent);
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < c->next; i++) {
        const extent *e = &c->ext[i];
        if ((kept && e->start < c->ext[kept - 1].end) || extent_hits_foreign(c, foreign, e)) {
            if (dropped++ == 0)
                *first_dropped = e->start;
            continue;
        }
        c->ext[kept++] = *e;
    }
    c->next = kept;
    free(foreign);
    return dropped;
}

static bool inferred_stack_at(const ctx *c, uint64_t start)
{
    size_t lo = 0, hi = c->next;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->ext[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->next && c->ext[lo].start == start && c->ext[lo].stack;
}

static bool emit_region(ctx *c, const vm_nt_region *r)
{
    vm_nt_region *slot = vm_array_push((void **)&c->owned, &c->nowned, sizeof *c->owned);
    if (!slot)
        return false;
    *slot = *r;
    return true;
}

/* A piece of an inferred allocation: merged into the previous one when nothing differs. */
static bool emit_piece(ctx *c, const extent *e, uint64_t lo, uint64_t hi, uint32_t state, uint32_t protect)
{
    vm_nt_region *prev = c->nowned ? &c->owned[c->nowned - 1] : NULL;
    if (prev && prev->alloc_base == e->start && prev->base + prev->size == lo && prev->state == state &&
        prev->protect == protect) {
        prev->size += hi - lo;
        return true;
    }
    vm_nt_region r = {.base = lo, .alloc_base = e->start, .size = hi - lo, .alloc_protect = 0x04,
                      .state = state, .protect = protect, .type = VM_NT_MEM_PRIVATE};
    return emit_region(c, &r);
}

static uint64_t min_above(uint64_t cur, uint64_t pos, uint64_t v)
{
    return v > pos && v < cur ? v : cur;
}

/* The pieces of e: a captured region keeps its state and protection; elsewhere committed when
 * the TEB says so, else reserved.  The guard page gets PAGE_GUARD when committed. */
static bool emit_extent(ctx *c, const extent *e)
{
    uint64_t pos = e->start;
    size_t k = first_ending_above(c, pos);
    while (pos < e->end) {
        const vm_nt_region *r = k < c->nreg && c->reg[k]->base <= pos ? c->reg[k] : NULL;
        uint64_t next = e->end;
        if (r)
            next = min_above(next, pos, r->base + r->size);
        else if (k < c->nreg)
            next = min_above(next, pos, c->reg[k]->base);
        next = min_above(min_above(next, pos, e->firm_lo), pos, e->firm_hi);
        next = min_above(min_above(next, pos, e->guard_lo), pos, e->guard_hi);
        bool firm = pos >= e->firm_lo && pos < e->firm_hi, guard = pos >= e->guard_lo && pos < e->guard_hi;
        uint32_t state = r ? r->state : firm || guard ? VM_NT_MEM_COMMIT : VM_NT_MEM_RESERVE;
        uint32_t protect = state != VM_NT_MEM_COMMIT ? 0 : r ? r->protect : 0x04;
        if (guard && state == VM_NT_MEM_COMMIT)
            protect |= PAGE_GUARD_BIT;
        if (!emit_piece(c, e, pos, next, state, protect))
            return false;
        pos = next;
        while (k < c->nreg && c->reg[k]->base + c->reg[k]->size <= pos)
            k++;
    }
    return true;
}

/* A region clipped to [lo, hi): its own allocation when its start moved; working-set counters,
 * measured for the whole region, are dropped. */
static bool emit_clipped(ctx *c, const vm_nt_region *r, uint64_t lo, uint64_t hi)
{
    if (lo == r->base && hi == r->base + r->size)
        return emit_region(c, r);
    vm_nt_region piece = *r;
    piece.base = lo;
    piece.size = hi - lo;
    if (lo != r->base)
        piece.alloc_base = lo;
    piece.ws.known = 0;
    return emit_region(c, &piece);
}

/* The region list with the extents in place (regions outside them as they were, clipped where
 * they straddle an extent's edge); c->reg then points into c->owned. */
static bool rebuild_regions(ctx *c)
{
    size_t k = 0;
    uint64_t pos = 0; /* the regions' bytes below pos are placed */
    for (size_t i = 0; i <= c->next; i++) {
        uint64_t stop = i < c->next ? c->ext[i].start : UINT64_MAX;
        for (; k < c->nreg && c->reg[k]->base < stop; k++) {
            const vm_nt_region *r = c->reg[k];
            uint64_t end = r->base + r->size, lo = pos > r->base ? pos : r->base, hi = end < stop ? end : stop;
            if (lo < hi && !emit_clipped(c, r, lo, hi))
                return false;
            if (end > stop)
                break; /* it goes on inside the extent: the rest is placed below */
        }
        if (i == c->next)
            break;
        if (!emit_extent(c, &c->ext[i]))
            return false;
        pos = c->ext[i].end;
        while (k < c->nreg && c->reg[k]->base + c->reg[k]->size <= pos)
            k++;
    }
    const vm_nt_region **reg = calloc(c->nowned ? c->nowned : 1, sizeof *reg);
    if (!reg)
        return false;
    for (size_t i = 0; i < c->nowned; i++)
        reg[i] = &c->owned[i];
    free(c->reg);
    c->reg = reg;
    c->nreg = c->nowned;
    return true;
}

/* A heap part made an allocation says so in its name, and so in every block's details. */
static bool mark_inferred_parts(ctx *c, size_t *nstacks, size_t *nparts)
{
    for (size_t i = 0; i < c->next; i++) {
        if (c->ext[i].stack) {
            (*nstacks)++;
            continue;
        }
        vm_heap_part *p = &c->snap->heaps[c->ext[i].heap].parts[c->ext[i].part];
        char *what = vm_asprintf("%s (extent inferred from the heap header)", p->what ? p->what : "part");
        if (!what)
            return false;
        free(p->what);
        p->what = what;
        (*nparts)++;
    }
    return true;
}

static bool infer_partial(ctx *c)
{
    if (!stack_extents(c) || !heap_extents(c))
        return false;
    uint64_t first = 0;
    size_t dropped = keep_plausible_extents(c, &first), nstacks = 0, nparts = 0;
    if (dropped == SIZE_MAX || !rebuild_regions(c) || !mark_inferred_parts(c, &nstacks, &nparts))
        return false;
    if (nstacks || nparts)
        vm_snapshot_warn(c->snap, "partial-map", "%zu stack(s) and %zu heap part(s) mapped from their TEBs and "
                         "heap headers: a stack spans [DeallocationStack, StackBase), committed from StackLimit up, "
                         "its guard page assumed one page below StackLimit; a heap part spans the reservation its "
                         "header gives.  Inside them captured pages show as committed and the rest as reserved "
                         "(inferred: committed pages the dump did not capture show as reserved)", nstacks, nparts);
    if (dropped)
        vm_snapshot_warn(c->snap, "partial-map", "%zu stack or heap extent(s) from TEBs or heap headers left out: "
                         "they overlap an image, a mapped view or one another (first at 0x%" PRIx64 ")", dropped, first);
    return true;
}

/* ---- entry point ------------------------------------------------------------------------- */

static bool collect_heaps(ctx *c)
{
    const vm_nt_input *in = c->in;
    if (in->peb && !in->skip_heaps)
        return vm_nt_heaps_from_peb(in->mem, c->snap->process.bits, in->peb, in->os_build, c->snap);
    vm_snapshot_warn(c->snap, "heaps-unknown", "the PEB address is unknown: heaps were not listed");
    return true;
}

int vm_nt_build_facts(const vm_nt_input *in, vm_facts *out, vm_error *err)
{
    vm_snapshot *s = out->snap;
    ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.snap = s;
    c.page = in->page_size && (in->page_size & (in->page_size - 1)) == 0 ? in->page_size : 4096;
    s->page_size = c.page;
    s->alloc_granularity = in->alloc_granularity ? in->alloc_granularity : 65536;
    s->user_top = in->user_top;
    s->process.bits = in->bits == 32 ? 32 : 64;

    if (!in->regions_complete)
        vm_snapshot_warn(s, "partial-map", "the region list is incomplete (rebuilt from captured memory): "
                         "reserved and free space are approximate");
    /* A partial map needs the heaps first: their parts become allocations. */
    bool ok = clean_regions(&c) && (in->regions_complete || (collect_heaps(&c) && infer_partial(&c))) &&
              collect_labels(&c) && build_blocks(&c, out) && collect_modules(&c) && collect_threads(&c) &&
              (!in->regions_complete || collect_heaps(&c));
    free(c.reg);
    free(c.labels);
    free(c.ext);
    free(c.owned);
    if (!ok) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory while gathering the process's facts");
        return VM_EXIT_ERROR;
    }
    return VM_EXIT_OK;
}
