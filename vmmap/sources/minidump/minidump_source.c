/* Minidump -> NT facts (the pipeline classifies them).
 *
 * Regions come from the MemoryInfoList (the VirtualQueryEx view, complete); without it they are
 * rebuilt from the modules, the thread stacks and the captured memory ranges, and the result is
 * marked partial (sources/nt then gives stacks and heap parts their whole extent from the captured
 * TEBs and heap headers: vm_nt_input.regions_complete).  Everything else (PE sections, TEB/PEB, stacks, heaps) is sources/nt's work over
 * a memory reader on the captured bytes.  The file loader lives in minidump_file.c, so this file
 * (and the fuzzer that links it) needs no liblzma. */
#include "minidump_source.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../parse/minidump.h"
#include "../../util/units.h"
#include "../../util/xalloc.h"
#include "../nt/nt_facts.h"

#define MD_PAGE UINT64_C(0x1000)
#define MD_GRANULE UINT64_C(0x10000)

/* PAGE_* values used for regions rebuilt without a MemoryInfoList. */
enum { PAGE_READWRITE_ = 0x04, PAGE_EXECUTE_WRITECOPY_ = 0x80 };

/* TEB fields (windows-internals.md §1): NT_TIB.Self and ProcessEnvironmentBlock. */
static const struct {
    int bits;
    uint64_t self, peb;
} TEB_LAYOUT[] = {{64, 0x30, 0x60}, {32, 0x18, 0x30}};

/* ---- small helpers ---- */

static uint64_t page_down(uint64_t a) { return a & ~(MD_PAGE - 1); }
static uint64_t page_up(uint64_t a) { return a > UINT64_MAX - (MD_PAGE - 1) ? UINT64_MAX & ~(MD_PAGE - 1) : (a + MD_PAGE - 1) & ~(MD_PAGE - 1); }
static uint64_t end_of(uint64_t start, uint64_t size) { return size > UINT64_MAX - start ? UINT64_MAX : start + size; }

static const char *base_name(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

/* ---- intervals, for rebuilding regions without a MemoryInfoList ---- */

typedef struct iv {
    uint64_t start, end;
    uint32_t type, protect;
} iv;

typedef struct ivs {
    iv *v;
    size_t n;
} ivs;

static bool ivs_push(ivs *a, uint64_t start, uint64_t end, uint32_t type, uint32_t protect)
{
    if (end <= start)
        return true;
    iv *slot = vm_array_push((void **)&a->v, &a->n, sizeof *a->v);
    if (!slot)
        return false;
    *slot = (iv){start, end, type, protect};
    return true;
}

static int cmp_iv(const void *a, const void *b)
{
    const iv *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorts and trims overlaps (the earlier interval keeps its pages). */
static void ivs_normalise(ivs *a)
{
    if (a->n > 1)
        qsort(a->v, a->n, sizeof *a->v, cmp_iv);
    size_t out = 0;
    for (size_t i = 0; i < a->n; i++) {
        iv x = a->v[i];
        if (out && x.start < a->v[out - 1].end)
            x.start = a->v[out - 1].end;
        if (x.start < x.end)
            a->v[out++] = x;
    }
    a->n = out;
}

/* Appends to out the parts of a (sorted, disjoint) not covered by cut (sorted, disjoint). */
static bool ivs_subtract(const ivs *a, const ivs *cut, ivs *out)
{
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        const iv *x = &a->v[i];
        uint64_t s = x->start;
        while (j < cut->n && cut->v[j].end <= s)
            j++;
        for (size_t k = j; s < x->end; k++) {
            if (k >= cut->n || cut->v[k].start >= x->end) {
                if (!ivs_push(out, s, x->end, x->type, x->protect))
                    return false;
                break;
            }
            if (cut->v[k].start > s && !ivs_push(out, s, cut->v[k].start, x->type, x->protect))
                return false;
            if (cut->v[k].end > s)
                s = cut->v[k].end;
        }
    }
    return true;
}

static bool ivs_append(ivs *dst, const ivs *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (!ivs_push(dst, src->v[i].start, src->v[i].end, src->v[i].type, src->v[i].protect))
            return false;
    return true;
}

/* Modules beat stacks beat captured ranges; each rounded out to whole pages. */
static bool rebuild_intervals(const vm_minidump *md, ivs *all)
{
    ivs mods = {0}, stacks = {0}, ranges = {0}, taken = {0}, rest = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < md->nmodules; i++) {
        const vm_md_module *m = &md->modules[i];
        ok = ivs_push(&mods, page_down(m->base), page_up(end_of(m->base, m->size)), VM_NT_MEM_IMAGE,
                      PAGE_EXECUTE_WRITECOPY_);
    }
    for (size_t i = 0; ok && i < md->nthreads; i++) {
        const vm_md_thread *t = &md->threads[i];
        ok = ivs_push(&stacks, page_down(t->stack_start), page_up(end_of(t->stack_start, t->stack_size)),
                      VM_NT_MEM_PRIVATE, PAGE_READWRITE_);
    }
    for (size_t i = 0; ok && i < md->nranges; i++) {
        const vm_md_range *r = &md->ranges[i];
        ok = ivs_push(&ranges, page_down(r->start), page_up(end_of(r->start, r->size)), VM_NT_MEM_PRIVATE,
                      PAGE_READWRITE_);
    }
    if (ok) {
        ivs_normalise(&mods);
        ivs_normalise(&stacks);
        ivs_normalise(&ranges);
        ok = ivs_append(all, &mods) && ivs_subtract(&stacks, &mods, all) && ivs_append(&taken, all);
    }
    if (ok) {
        ivs_normalise(&taken);
        ok = ivs_subtract(&ranges, &taken, &rest) && ivs_append(all, &rest);
    }
    if (ok)
        ivs_normalise(all);
    free(mods.v);
    free(stacks.v);
    free(ranges.v);
    free(taken.v);
    free(rest.v);
    return ok;
}

/* ---- the NT input ---- */

typedef struct md_input {
    vm_nt_input in;
    vm_nt_region *regions;
    vm_nt_module *modules;
    vm_nt_thread *threads;
    size_t nregions, nmodules, nthreads;
} md_input;

static void md_input_free(md_input *x)
{
    for (size_t i = 0; i < x->nmodules; i++)
        free(x->modules[i].path);
    for (size_t i = 0; i < x->nthreads; i++)
        free(x->threads[i].name);
    free(x->regions);
    free(x->modules);
    free(x->threads);
}

static int cmp_region(const void *a, const void *b)
{
    const vm_nt_region *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

static bool known_state(uint32_t st)
{
    return st == VM_NT_MEM_COMMIT || st == VM_NT_MEM_RESERVE || st == VM_NT_MEM_FREE;
}

/* Regions as the MemoryInfoList gives them, sorted, with impossible entries left out (warned). */
static bool regions_from_meminfo(const vm_minidump *md, md_input *x, vm_snapshot *snap)
{
    x->regions = md->nmeminfo ? calloc(md->nmeminfo, sizeof *x->regions) : NULL;
    if (md->nmeminfo && !x->regions)
        return false;
    size_t bad = 0, rebased = 0, overlapping = 0, n = 0;
    for (size_t i = 0; i < md->nmeminfo; i++) {
        const vm_md_memory_info *m = &md->meminfo[i];
        if (!m->region_size || !known_state(m->state) || end_of(m->base, m->region_size) == UINT64_MAX) {
            bad++;
            continue;
        }
        vm_nt_region *r = &x->regions[n++];
        *r = (vm_nt_region){.base = m->base, .alloc_base = m->alloc_base, .size = m->region_size,
                            .alloc_protect = m->alloc_protect, .state = m->state, .protect = m->protect,
                            .type = m->state == VM_NT_MEM_FREE ? 0 : m->type};
        if (m->state != VM_NT_MEM_FREE && (r->alloc_base > r->base || r->alloc_base == 0)) {
            r->alloc_base = r->base;
            rebased++;
        }
    }
    if (n > 1)
        qsort(x->regions, n, sizeof *x->regions, cmp_region);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out && x->regions[i].base < x->regions[out - 1].base + x->regions[out - 1].size) {
            overlapping++;
            continue;
        }
        x->regions[out++] = x->regions[i];
    }
    x->nregions = out;
    if (bad)
        vm_snapshot_warn(snap, "minidump", "MemoryInfoList: %zu entries with a zero size, an unknown state or an "
                         "impossible range left out", bad);
    if (rebased)
        vm_snapshot_warn(snap, "minidump", "MemoryInfoList: %zu entries with an AllocationBase above their "
                         "BaseAddress (or 0) treated as their own allocation", rebased);
    if (overlapping)
        vm_snapshot_warn(snap, "minidump", "MemoryInfoList: %zu entries overlap earlier ones and were left out",
                         overlapping);
    return true;
}

static bool regions_rebuilt(const vm_minidump *md, md_input *x)
{
    ivs all = {0};
    if (!rebuild_intervals(md, &all)) {
        free(all.v);
        return false;
    }
    x->regions = all.n ? calloc(all.n, sizeof *x->regions) : NULL;
    if (all.n && !x->regions) {
        free(all.v);
        return false;
    }
    for (size_t i = 0; i < all.n; i++)
        x->regions[i] = (vm_nt_region){.base = all.v[i].start, .alloc_base = all.v[i].start,
                                       .size = all.v[i].end - all.v[i].start, .alloc_protect = all.v[i].protect,
                                       .state = VM_NT_MEM_COMMIT, .protect = all.v[i].protect,
                                       .type = all.v[i].type};
    x->nregions = all.n;
    free(all.v);
    return true;
}

static bool modules_in(const vm_minidump *md, md_input *x, vm_snapshot *snap)
{
    x->modules = md->nmodules ? calloc(md->nmodules, sizeof *x->modules) : NULL;
    if (md->nmodules && !x->modules)
        return false;
    for (size_t i = 0; i < md->nmodules; i++) {
        const vm_md_module *m = &md->modules[i];
        if (!m->size || end_of(m->base, m->size) == UINT64_MAX) {
            vm_snapshot_warn(snap, "minidump", "module %zu (%s): impossible range base 0x%" PRIx64 " size 0x%" PRIx32
                             "; left out", i, m->name ? m->name : "unnamed", m->base, m->size);
            continue;
        }
        vm_nt_module *o = &x->modules[x->nmodules++];
        o->base = m->base;
        o->size = m->size;
        o->time_date_stamp = m->time_date_stamp;
        o->path = m->name ? vm_strdup(m->name) : vm_asprintf("[module at 0x%" PRIx64 ", name not captured]", m->base);
        if (!o->path)
            return false;
    }
    return true;
}

static bool threads_in(const vm_minidump *md, md_input *x, bool read_teb)
{
    x->threads = md->nthreads ? calloc(md->nthreads, sizeof *x->threads) : NULL;
    if (md->nthreads && !x->threads)
        return false;
    for (size_t i = 0; i < md->nthreads; i++) {
        const vm_md_thread *t = &md->threads[i];
        vm_nt_thread *o = &x->threads[x->nthreads++];
        o->tid = t->thread_id;
        o->teb = read_teb ? t->teb : 0;
        o->stack_start = t->stack_start;
        o->stack_size = t->stack_size;
        if (!vm_md_thread_sp(md, t, &o->sp))
            o->sp = 0;
        o->name = vm_strdup(t->name);
        if (t->name && !o->name)
            return false;
    }
    return true;
}

static bool read_ptr(const vm_memreader *mem, int bits, uint64_t addr, uint64_t *out)
{
    uint32_t v32;
    if (bits == 64)
        return vm_read_u64(mem, addr, out);
    if (!vm_read_u32(mem, addr, &v32))
        return false;
    *out = v32;
    return true;
}

/* PEB address from the first captured TEB whose Self field (when captured) points at itself. */
static uint64_t find_peb(const vm_minidump *md, const vm_memreader *mem, int bits)
{
    const uint64_t self_off = TEB_LAYOUT[bits == 32].self, peb_off = TEB_LAYOUT[bits == 32].peb;
    for (size_t i = 0; i < md->nthreads; i++) {
        uint64_t teb = md->threads[i].teb, peb = 0, self = 0;
        if (!teb || !read_ptr(mem, bits, teb + peb_off, &peb) || !peb)
            continue;
        if (read_ptr(mem, bits, teb + self_off, &self) && self != teb)
            continue;
        return peb;
    }
    return 0;
}

static bool is_windows(const vm_minidump *md)
{
    return !md->has_system_info || md->sys.platform_id == 2 || md->sys.platform_id == 1;
}

/* First address above the user address space: the usual top for the pointer size, raised to the
 * end of anything the dump describes (x86 processes with /LARGEADDRESSAWARE reach 0xFFFF0000), but
 * never above what the system gives a process: on Windows 128 TiB (64-bit) or 4 GiB - 64 KiB
 * (32-bit); elsewhere (Breakpad dumps of Linux) 2^56 (5-level paging) or 4 GiB.  What a damaged
 * dump places above that is cut off where the snapshot is made (classify/bounds.h). */
static uint64_t user_top(const vm_minidump *md, int bits, const md_input *x)
{
    bool windows = is_windows(md);
    uint64_t top = bits == 32 ? UINT64_C(0x7fff0000) : UINT64_C(0x7fffffff0000), high = 0;
    uint64_t limit = bits == 32 ? (windows ? UINT64_C(0xffff0000) : UINT64_C(0x100000000))
                                : (windows ? UINT64_C(0x7fffffff0000) : UINT64_C(0x0100000000000000));
    for (size_t i = 0; i < x->nregions; i++)
        if (end_of(x->regions[i].base, x->regions[i].size) > high)
            high = end_of(x->regions[i].base, x->regions[i].size);
    if (bits == 32 && high > top)
        top = UINT64_C(0xffff0000);
    if (high > top)
        top = high > UINT64_MAX - MD_GRANULE ? high : (high + MD_GRANULE - 1) & ~(MD_GRANULE - 1);
    return top < limit ? top : limit;
}

/* ---- the snapshot header and notes ---- */

static bool fill_header(const vm_minidump *md, vm_snapshot *s)
{
    char os[96];
    vm_md_os_string(md, os, sizeof os);
    const char *arch = md->has_system_info ? vm_md_arch_name(md->sys.processor_architecture) : NULL;
    char when[32];
    vm_md_format_time(md->header.time_date_stamp, when, sizeof when);
    free(s->taken_at); /* the dump's time, not the pipeline's */
    s->taken_at = vm_strdup(when);
    s->source = vm_strdup("minidump");
    s->os = os[0] ? vm_strdup(os) : NULL;
    s->arch = vm_strdup(arch ? arch : "unknown");
    s->process.bits = md->bits;
    if (md->has_misc_info && (md->misc.flags1 & VM_MD_MISC1_PROCESS_ID))
        s->process.pid = md->misc.process_id;
    if (md->nmodules && md->modules[0].name) {
        s->process.exe = vm_strdup(md->modules[0].name);
        s->process.name = vm_strdup(base_name(md->modules[0].name));
        if (!s->process.exe || !s->process.name)
            return false;
    }
    return s->taken_at && s->source && s->arch && (!os[0] || s->os);
}

static void note_unloaded(const vm_minidump *md, vm_snapshot *s)
{
    if (!md->nunloaded)
        return;
    char list[400] = "";
    size_t shown = 0, len = 0;
    for (size_t i = 0; i < md->nunloaded && len + 40 < sizeof list; i++, shown++) {
        const char *nm = md->unloaded[i].name ? base_name(md->unloaded[i].name) : "?";
        int w = snprintf(list + len, sizeof list - len, "%s%.*s@0x%" PRIx64, i ? ", " : "", 48, nm,
                         md->unloaded[i].base);
        len += w > 0 ? (size_t)w : 0;
        if (len >= sizeof list)
            len = sizeof list - 1;
    }
    vm_snapshot_warn(s, "unloaded-modules", "unloaded modules (%zu): %s%s", md->nunloaded, list,
                     shown < md->nunloaded ? ", ..." : "");
}

static void note_heaps(const vm_minidump *md, uint64_t peb, const char *why_no_peb, vm_snapshot *s)
{
    if (!peb) {
        vm_snapshot_warn(s, "heaps-not-captured", "heaps not listed: %s", why_no_peb);
        return;
    }
    if (!s->nheaps) {
        vm_snapshot_warn(s, "heaps-not-captured", "heaps not listed: none could be found from the PEB at 0x%" PRIx64
                         " (its heap fields, ProcessHeap and ProcessHeaps, are not captured or empty)", peb);
        return;
    }
    size_t missing = 0;
    for (size_t i = 0; i < s->nheaps; i++)
        missing += s->heaps[i].kind && strcmp(s->heaps[i].kind, "not captured") == 0;
    if (missing)
        vm_snapshot_warn(s, "heaps-not-captured", "%zu of %zu heap%s %s listed as \"not captured\": %s memory is "
                         "not in the dump (a full-memory dump has it)", missing, s->nheaps, vm_plural(s->nheaps),
                         missing == 1 ? "is" : "are", missing == 1 ? "its" : "their");
}

static void note_partial(const vm_minidump *md, const md_input *x, vm_snapshot *s)
{
    vm_snapshot_warn(s, "minidump", "partial map: the dump has no MemoryInfoList, so the map is rebuilt from %zu "
                     "modules, %zu thread stacks and %zu captured memory ranges (%zu regions); page protections "
                     "are not known (captured pages show as read/write), reserved memory is known only inside "
                     "stacks and heaps whose TEBs and heap headers are captured, and everything else shows as Free",
                     x->nmodules, x->nthreads, md->nranges, x->nregions);
}

/* ---- capture ---- */

static bool nothing_to_map(const vm_minidump *md)
{
    return !md->nthreads && !md->nmodules && !md->nranges && !md->nmeminfo;
}

static int parse_error(const char *name, const char *msg, vm_error *err)
{
    bool oom = strstr(msg, "out of memory") != NULL;
    vm_error_set(err, oom ? VM_EXIT_ERROR : VM_EXIT_BAD_INPUT, "%s: %s", name, msg);
    if (!oom)
        vm_error_hint(err, strncmp(msg, "not a minidump", 14) == 0
                               ? "expected a Windows minidump (.dmp written by MiniDumpWriteDump, procdump, "
                                 "Task Manager, Breakpad or Crashpad)"
                               : "the file is damaged or incomplete: copy it again from its source");
    return err->code;
}

static int oom(vm_error *err)
{
    vm_error_set(err, VM_EXIT_ERROR, "out of memory reading the minidump");
    return VM_EXIT_ERROR;
}

/* Builds the NT input and facts into f->snap; md's warnings are copied first. */
static int build(const vm_minidump *md, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    vm_snapshot *s = f->snap;
    md_input x = {0};
    vm_memreader mem = vm_md_memreader(md);
    /* ARM64's TEB matches x64's in the fields read (NT_TIB: StackBase 0x8, StackLimit 0x10,
     * Self 0x30; ProcessEnvironmentBlock 0x60; DeallocationStack 0x1478): read as on x64. */
    bool windows = is_windows(md), read_teb = windows && (md->bits == 32 || md->bits == 64);
    const char *why_no_peb = !windows ? "not a Windows dump" : "no thread's TEB (and so no PEB) is captured in the dump";
    for (size_t i = 0; i < md->nwarnings; i++)
        vm_snapshot_warn(s, "minidump", "%s", md->warnings[i]);
    if (md->nwarnings_dropped)
        vm_snapshot_warn(s, "minidump", "%zu more problems in the dump not listed", md->nwarnings_dropped);
    if (!windows)
        vm_snapshot_warn(s, "minidump", "not a Windows dump (%s): TEB, PEB and heap structures are not read",
                         s->os ? s->os : "unknown system");
    bool ok = (md->has_memory_info ? regions_from_meminfo(md, &x, s) : regions_rebuilt(md, &x)) &&
              modules_in(md, &x, s) && threads_in(md, &x, read_teb);
    if (!ok) {
        md_input_free(&x);
        return oom(err);
    }
    uint64_t peb = read_teb ? find_peb(md, &mem, md->bits) : 0;
    x.in = (vm_nt_input){.bits = md->bits, .page_size = MD_PAGE, .alloc_granularity = MD_GRANULE,
                         .user_top = user_top(md, md->bits, &x), .peb = peb,
                         .os_build = md->has_system_info && windows ? md->sys.build_number : 0,
                         .regions = x.regions, .nregions = x.nregions, .regions_complete = md->has_memory_info,
                         .modules = x.modules, .nmodules = x.nmodules, .threads = x.threads,
                         .nthreads = x.nthreads, .mem = &mem, .skip_heaps = opt->skip_heaps,
                         .skip_sections = opt->skip_sections,
                         .image_path = opt->image_path};
    if (!md->has_memory_info)
        note_partial(md, &x, s);
    int rc = vm_nt_build_facts(&x.in, f, err);
    if (rc == VM_EXIT_OK) {
        note_heaps(md, peb, why_no_peb, s);
        note_unloaded(md, s);
    }
    md_input_free(&x);
    return rc;
}

/* What the facts' memory reader reads until the pipeline releases them: the parsed dump (its
 * ranges point into the file's bytes) and, when the source loaded it, the file. */
typedef struct md_state {
    vm_minidump md;
    vm_md_file file; /* empty when the caller owns the bytes */
} md_state;

static void release_dump(vm_facts *f)
{
    md_state *st = f->source_ctx;
    if (!st)
        return;
    vm_md_free(&st->md);
    vm_md_file_close(&st->file);
    free(st);
}

/* Parses the dump in st->file's bytes or data[0 .. size) into facts; st becomes the facts'. */
static int gather_into(md_state *st, const uint8_t *data, size_t size, const char *name,
                       const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    static const vm_capture_options defaults = {0};
    char msg[512];
    if (!opt)
        opt = &defaults;
    f->source_ctx = st;
    f->release = release_dump;
    vm_minidump *md = &st->md;
    if (!vm_md_parse(data, size, md, msg, sizeof msg))
        return parse_error(name, msg, err);
    if (nothing_to_map(md)) {
        snprintf(msg, sizeof msg, "nothing to map: no threads, modules, captured memory or MemoryInfoList%s%s",
                 md->nwarnings ? " (" : "", md->nwarnings ? md->warnings[0] : "");
        if (md->nwarnings)
            strncat(msg, ")", sizeof msg - strlen(msg) - 1);
        return parse_error(name, msg, err);
    }
    if (!fill_header(md, f->snap))
        return oom(err);
    int rc = build(md, opt, f, err);
    if (rc == VM_EXIT_OK)
        f->mem = vm_md_memreader(md);
    return rc;
}

int vm_minidump_gather_buffer(const uint8_t *data, size_t size, const char *name, const vm_capture_options *opt,
                              vm_facts *f, vm_error *err)
{
    md_state *st = calloc(1, sizeof *st);
    if (!st)
        return oom(err);
    return gather_into(st, data, size, name, opt, f, err);
}

int vm_minidump_gather(const char *path, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    md_state *st = calloc(1, sizeof *st);
    if (!st)
        return oom(err);
    int rc = vm_md_file_load(path, &st->file, err);
    if (rc != VM_EXIT_OK) {
        free(st);
        return rc;
    }
    return gather_into(st, st->file.data, st->file.size, path, opt, f, err);
}
