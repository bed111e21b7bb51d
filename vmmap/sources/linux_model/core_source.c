/* ELF cores -> the mappings, threads and memory of a Linux process (core_source.h). */
#include "core_source.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../../util/units.h"
#include "../../util/xalloc.h"
#include "linux_offline.h"

/* How far after the executable the kernel may start the brk heap: 1 GiB of randomisation for
 * 64-bit processes (arch_randomize_brk), 32 MiB for 32-bit ones, plus a little slack. */
#define BRK_RANGE_64 ((UINT64_C(1) << 30) + (UINT64_C(32) << 20))
#define BRK_RANGE_32 (UINT64_C(64) << 20)

/* ---- mappings ---- */

typedef struct name_id {
    const char *name;
    size_t index;
} name_id;

static int cmp_name(const void *a, const void *b)
{
    const name_id *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* A core keeps no inode: the same name gets the same made-up one (1 + first index), so mappings
 * of one file group into one image as they do live. */
static uint64_t *file_inodes(const vm_core *core)
{
    uint64_t *ino = calloc(core->nfiles ? core->nfiles : 1, sizeof *ino);
    name_id *ids = calloc(core->nfiles ? core->nfiles : 1, sizeof *ids);
    if (!ino || !ids) {
        free(ino);
        free(ids);
        return NULL;
    }
    for (size_t i = 0; i < core->nfiles; i++)
        ids[i] = (name_id){core->files[i].name, i};
    qsort(ids, core->nfiles, sizeof *ids, cmp_name);
    for (size_t i = 0, first = 0; i < core->nfiles; i++) {
        if (i == 0 || strcmp(ids[i].name, ids[i - 1].name) != 0)
            first = ids[i].index;
        ino[ids[i].index] = first + 1;
    }
    free(ids);
    return ino;
}

static bool set_name(vm_linux_mapping *m, const char *name)
{
    static const char deleted[] = " (deleted)";
    size_t n = strlen(name), d = sizeof deleted - 1;
    if (n > d && strcmp(name + n - d, deleted) == 0) {
        m->deleted = true;
        n -= d;
    }
    m->name = malloc(n + 1);
    if (!m->name)
        return false;
    memcpy(m->name, name, n);
    m->name[n] = '\0';
    return true;
}

/* The exe: the NT_FILE entry holding the program headers (AT_PHDR), else the entry point. */
static const vm_core_file *exe_file(const vm_core *core)
{
    const vm_core_file *f = core->at_phdr ? vm_core_file_at(core, core->at_phdr) : NULL;
    return f ? f : core->at_entry ? vm_core_file_at(core, core->at_entry) : NULL;
}

static bool anon_rw(const vm_linux_mapping *m)
{
    return !m->name && m->r && m->w && !m->shared;
}

/* Names what a live process's maps would name and a core does not keep: [vdso] (AT_SYSINFO_EHDR),
 * [stack] (the mapping AT_RANDOM points into) and [heap] (the first anonymous read/write mapping
 * within the brk randomisation range after the executable's end, skipping its .bss tail). */
static bool name_specials(const vm_core *core, vm_linux_maps *maps, vm_snapshot *snap)
{
    const vm_core_file *exe = exe_file(core);
    uint64_t exe_end = 0;
    for (size_t i = 0; exe && i < core->nfiles; i++)
        if (strcmp(core->files[i].name, exe->name) == 0 && core->files[i].end > exe_end)
            exe_end = core->files[i].end;
    long heap = -1, adjacent = -1;
    for (size_t i = 0; i < maps->n; i++) {
        vm_linux_mapping *m = &maps->v[i];
        if (m->name)
            continue;
        const char *special = NULL;
        if (core->at_sysinfo_ehdr && m->start == core->at_sysinfo_ehdr)
            special = "[vdso]";
        else if (core->at_random && m->start <= core->at_random && core->at_random < m->end && anon_rw(m))
            special = "[stack]";
        if (special) {
            if (!(m->name = vm_strdup(special)))
                return false;
            continue;
        }
        uint64_t range = core->bits == 64 ? BRK_RANGE_64 : BRK_RANGE_32;
        if (exe_end && heap < 0 && anon_rw(m) && m->start >= exe_end && m->start - exe_end <= range) {
            if (m->start == exe_end && adjacent < 0)
                adjacent = (long)i; /* the .bss tail, or a heap right behind it */
            else
                heap = (long)i;
        }
    }
    /* The kernel's data pages for the vDSO ([vvar], [vvar_vclock]) sit right below it: read-only,
     * anonymous in the core. */
    for (size_t i = 0; core->at_sysinfo_ehdr && i < maps->n; i++)
        if (maps->v[i].start == core->at_sysinfo_ehdr)
            for (size_t k = i; k-- > 0 && !maps->v[k].name && maps->v[k].end == maps->v[k + 1].start &&
                               maps->v[k].r && !maps->v[k].w && !maps->v[k].x;)
                if (!(maps->v[k].name = vm_strdup("[vvar]")))
                    return false;
    if (heap < 0)
        heap = adjacent;
    if (heap >= 0) {
        if (!(maps->v[heap].name = vm_strdup("[heap]")))
            return false;
        vm_snapshot_warn(snap, "core", "the brk heap [heap] at 0x%" PRIx64 " is inferred from its place after the "
                         "executable (a core keeps no mapping names)", maps->v[heap].start);
    }
    return true;
}

static int cmp_mapping(const void *a, const void *b)
{
    const vm_linux_mapping *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static vm_linux_mapping *add_mapping(vm_linux_maps *maps, size_t *cap)
{
    if (maps->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        vm_linux_mapping *nv = realloc(maps->v, ncap * sizeof *nv);
        if (!nv)
            return NULL;
        maps->v = nv;
        *cap = ncap;
    }
    vm_linux_mapping *m = &maps->v[maps->n++];
    memset(m, 0, sizeof *m);
    return m;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A core does not say whether a mapping is shared.  These files only ever appear shared: the
 * shmem behind MAP_SHARED|MAP_ANONYMOUS ("/dev/zero (deleted)"), SysV segments, POSIX shm;
 * memfds almost always are. */
static bool shared_by_name(const vm_linux_mapping *m)
{
    return (m->deleted && strcmp(m->name, "/dev/zero") == 0) || starts_with(m->name, "/SYSV") ||
           starts_with(m->name, "/dev/shm/") || starts_with(m->name, "/memfd:");
}

static bool name_from_file(vm_linux_mapping *m, const vm_core *core, const vm_core_file *f, const uint64_t *ino)
{
    m->offset = f->offset + (m->start - f->start);
    m->inode = ino[f - core->files];
    if (!set_name(m, f->name))
        return false;
    m->shared = shared_by_name(m);
    return true;
}

/* The protection the loader gave the part of an ELF image at file offset off: the p_flags of the
 * PT_LOAD holding it, read from the image's headers in the core (mapped at base).  -1 unknown. */
static int loaded_flags(const vm_memreader *mem, uint64_t base, uint64_t off)
{
    uint8_t eh[64];
    if (!vm_read_exact(mem, base, eh, sizeof eh) || memcmp(eh, "\x7f" "ELF", 4) != 0 || eh[4] != 2 || eh[5] != 1)
        return -1; /* 64-bit little-endian images only */
    uint64_t phoff = 0, phnum = (uint64_t)eh[56] | (uint64_t)eh[57] << 8, entsize = (uint64_t)eh[54] | (uint64_t)eh[55] << 8;
    for (int i = 7; i >= 0; i--)
        phoff = phoff << 8 | eh[32 + i];
    if (entsize < 56 || phnum > 256 || phoff > 65536)
        return -1;
    for (uint64_t i = 0; i < phnum; i++) {
        uint8_t ph[56];
        if (!vm_read_exact(mem, base + phoff + i * entsize, ph, sizeof ph))
            return -1;
        uint64_t p_off = 0, p_filesz = 0;
        for (int k = 7; k >= 0; k--) {
            p_off = p_off << 8 | ph[8 + k];
            p_filesz = p_filesz << 8 | ph[32 + k];
        }
        uint32_t type = (uint32_t)ph[0] | (uint32_t)ph[1] << 8 | (uint32_t)ph[2] << 16 | (uint32_t)ph[3] << 24;
        uint64_t lo = p_off & ~UINT64_C(0xfff);
        if (type == 1 && off >= lo && off < p_off + p_filesz)
            return ph[4] & 7;
    }
    return -1;
}

/* NT_FILE ranges no PT_LOAD covers: file mappings the core lists but left out (gcore skips
 * unmodified read-only file mappings).  Their protection is not in the core: shown as read. */
/* The NT_FILE entry of the same file at offset 0 (where its ELF headers are), or NULL. */
static const vm_core_file *image_start(const vm_core *core, const vm_core_file *f)
{
    for (size_t i = 0; i < core->nfiles; i++)
        if (core->files[i].offset == 0 && core->files[i].start <= f->start && strcmp(core->files[i].name, f->name) == 0)
            return &core->files[i];
    return NULL;
}

static bool add_undumped_files(const vm_core *core, const vm_memreader *mem, const uint64_t *ino,
                               vm_linux_maps *maps, size_t *cap, size_t *added, size_t *guessed)
{
    for (size_t i = 0; i < core->nfiles; i++) {
        const vm_core_file *f = &core->files[i];
        uint64_t at = f->start;
        while (at < f->end) {
            /* the first segment ending above at */
            size_t lo = 0, hi = core->nsegs;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (core->segs[mid].vaddr + core->segs[mid].memsz <= at)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            uint64_t next = lo < core->nsegs ? core->segs[lo].vaddr : UINT64_MAX;
            if (next <= at) { /* covered: skip past this segment */
                at = core->segs[lo].vaddr + core->segs[lo].memsz;
                continue;
            }
            uint64_t stop = next < f->end ? next : f->end;
            vm_linux_mapping *m = add_mapping(maps, cap);
            if (!m)
                return false;
            m->start = at;
            m->end = stop;
            if (!name_from_file(m, core, f, ino))
                return false;
            /* Its protection: as the image's headers give it, else unknown and shown as read. */
            const vm_core_file *first = image_start(core, f);
            int pf = first ? loaded_flags(mem, first->start, m->offset) : -1;
            m->r = pf < 0 || (pf & 4);
            m->w = pf > 0 && (pf & 2);
            m->x = pf > 0 && (pf & 1);
            *guessed += pf < 0;
            ++*added;
            at = stop;
        }
    }
    return true;
}

static bool build_maps(const vm_core *core, vm_linux_maps *maps, vm_snapshot *snap)
{
    uint64_t *ino = file_inodes(core);
    size_t cap = 0, undumped = 0, guessed = 0, inaccessible = 0;
    vm_memreader mem = vm_core_memreader(core);
    if (!ino)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < core->nsegs; i++) {
        const vm_core_segment *s = &core->segs[i];
        vm_linux_mapping *m = add_mapping(maps, &cap);
        if (!m) {
            ok = false;
            break;
        }
        m->start = s->vaddr;
        m->end = s->vaddr + s->memsz;
        m->r = (s->flags & 4) != 0;
        m->w = (s->flags & 2) != 0;
        m->x = (s->flags & 1) != 0;
        const vm_core_file *f = vm_core_file_at(core, s->vaddr);
        if (f)
            ok = name_from_file(m, core, f, ino);
        else if (m->start == UINT64_C(0xffffffffff600000) && core->machine == VM_EM_X86_64)
            ok = (m->name = vm_strdup("[vsyscall]")) != NULL;
        else if (core->gcore && m->r && !m->w && !m->x) {
            /* gcore writes inaccessible (PROT_NONE) memory as readable: guard pages, the reserved
             * tails of arena heaps.  An anonymous read-only mapping is that. */
            m->r = false;
            inaccessible++;
        }
    }
    ok = ok && add_undumped_files(core, &mem, ino, maps, &cap, &undumped, &guessed);
    free(ino);
    if (!ok)
        return false;
    if (maps->n > 1)
        qsort(maps->v, maps->n, sizeof *maps->v, cmp_mapping);
    if (undumped)
        vm_snapshot_warn(snap, "core", "%zu file mappings are listed (NT_FILE) but have no segment in the core (gcore "
                         "leaves out unmodified read-only file mappings): their protection comes from the image's "
                         "program headers%s", undumped, guessed ? "; where those are not in the core it is not known "
                         "and shown as Read" : "");
    if (inaccessible)
        vm_snapshot_warn(snap, "core", "%zu anonymous mappings that gcore marks read-only are taken as inaccessible "
                         "(gcore writes PROT_NONE memory, guard pages and reservations, as readable)", inaccessible);
    return name_specials(core, maps, snap);
}

/* ---- threads ---- */

static vm_linux_task *build_tasks(const vm_core *core)
{
    vm_linux_task *t = calloc(core->nthreads ? core->nthreads : 1, sizeof *t);
    if (!t)
        return NULL;
    for (size_t i = 0; i < core->nthreads; i++) {
        t[i].tid = core->threads[i].tid;
        t[i].sp = core->threads[i].sp;
        t[i].sp_known = vm_core_arch_name(core->machine) != NULL;
        if (core->pid && t[i].tid == (uint64_t)core->pid)
            snprintf(t[i].name, sizeof t[i].name, "%s", core->fname);
    }
    return t;
}

/* ---- header and warnings ---- */

static char *file_time(const char *path)
{
    struct stat st;
    struct tm tm;
    char buf[32];
    if (!path || stat(path, &st) != 0 || !gmtime_r(&st.st_mtime, &tm) ||
        !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return NULL;
    return vm_strdup(buf);
}

static bool fill_header(const vm_core *core, const char *name, vm_snapshot *s)
{
    const char *arch = vm_core_arch_name(core->machine);
    s->source = vm_strdup("core");
    s->os = vm_strdup("Linux");
    s->arch = vm_strdup(arch ? arch : "unknown");
    char *when = file_time(name);
    if (when) { /* the core's own time: when the file was written */
        free(s->taken_at);
        s->taken_at = when;
    }
    s->process.pid = core->pid;
    s->process.bits = core->bits;
    if (core->fname[0])
        s->process.name = vm_strdup(core->fname);
    if (core->psargs[0])
        s->process.cmdline = vm_strdup(core->psargs);
    const vm_core_file *exe = exe_file(core);
    if (exe)
        s->process.exe = vm_strdup(exe->name);
    return s->source && s->os && s->arch;
}

static void note_core(const vm_core *core, vm_snapshot *s)
{
    for (size_t i = 0; i < core->nwarnings; i++)
        vm_snapshot_warn(s, "core", "%s", core->warnings[i]);
    if (core->nwarnings_dropped)
        vm_snapshot_warn(s, "core", "%zu more problems in the core not listed", core->nwarnings_dropped);
    vm_snapshot_warn(s, "core", "a core holds no smaps: Committed, Private and the working-set columns are unknown");
    if (core->nsegs_partial) {
        char mapped[32], present[32];
        vm_format_human(core->bytes_mapped, mapped, sizeof mapped);
        vm_format_human(core->bytes_present, present, sizeof present);
        vm_snapshot_warn(s, "core", "%zu of %zu mappings are not in the core whole (%s of %s mapped is): the "
                         "coredump_filter or gcore left them out, so their memory cannot be read",
                         core->nsegs_partial, core->nsegs, present, mapped);
    }
    if (core->has_siginfo && !core->gcore) /* gcore's is the SIGSTOP it stopped the process with */
        vm_snapshot_warn(s, "crash", "the process was stopped by %s", vm_core_crash_text(core, (char[160]){0}, 160));
}

static uint64_t user_top(const vm_core *core, const vm_linux_maps *maps)
{
    uint64_t highest = 0;
    for (size_t i = 0; i < maps->n; i++)
        if (maps->v[i].end > highest && maps->v[i].end < UINT64_C(0x0100000000000000))
            highest = maps->v[i].end;
    if (core->bits == 32) /* native i386 (3 GiB) or a 32-bit process on a 64-bit kernel (4 GiB) */
        return highest <= UINT64_C(0xc0000000) ? UINT64_C(0xc0000000) : UINT64_C(0xffffe000);
    return vm_linux_offline_user_top(highest);
}

int vm_core_gather_parsed(const vm_core *core, const char *name, const vm_capture_options *opt, vm_facts *f,
                          vm_error *err)
{
    vm_snapshot *s = f->snap;
    vm_linux_maps maps = {NULL, 0};
    vm_linux_task *tasks = NULL;
    int rc = VM_EXIT_OK;
    if (!fill_header(core, name, s) || !build_maps(core, &maps, s) || !(tasks = build_tasks(core))) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory reading the core");
        rc = VM_EXIT_ERROR;
    }
    if (rc == VM_EXIT_OK) {
        note_core(core, s);
        uint64_t page = core->at_pagesz ? core->at_pagesz : core->file_page_size ? core->file_page_size : 4096;
        vm_linux_offline in = {.pid = core->pid, .page_size = page, .maps = maps, .tasks = tasks,
                               .ntasks = core->nthreads, .mem = vm_core_memreader(core)};
        rc = vm_linux_offline_facts(&in, opt, f, err);
        if (rc == VM_EXIT_OK) {
            s->user_top = user_top(core, &maps);
            f->mem = vm_core_memreader(core);
        }
    }
    vm_linux_maps_free(&maps);
    free(tasks);
    return rc;
}

/* ---- the source ---- */

int vm_core_input_open(const char *path, vm_core_input *in, vm_error *err)
{
    memset(in, 0, sizeof *in);
    in->spool.file.fd = -1;
    int rc = vm_spool_open(path, &in->spool, err);
    if (rc != VM_EXIT_OK)
        return rc;
    in->file = vm_spool_reader(&in->spool);
    char why[256];
    if (!vm_core_parse(&in->file, in->spool.file.size, &in->core, why, sizeof why)) {
        bool oom = strstr(why, "out of memory") != NULL;
        vm_error_set(err, oom ? VM_EXIT_ERROR : VM_EXIT_BAD_INPUT, "%s: an ELF core that cannot be read: %s", path, why);
        if (!oom)
            vm_error_hint(err, "the core is damaged or incomplete (a core cut short while it was written, or "
                               "copied in part): write it again, or copy it whole");
        return err->code;
    }
    in->core.file = &in->file;
    return VM_EXIT_OK;
}

void vm_core_input_close(vm_core_input *in)
{
    vm_core_free(&in->core);
    vm_spool_close(&in->spool);
}

static void release_core(vm_facts *f)
{
    vm_core_input *in = f->source_ctx;
    if (!in)
        return;
    vm_core_input_close(in);
    free(in);
}

static int core_gather(const char *path, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    vm_core_input *in = calloc(1, sizeof *in);
    if (!in) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    f->source_ctx = in;
    f->release = release_core;
    int rc = vm_core_input_open(path, in, err);
    if (rc != VM_EXIT_OK)
        return rc;
    if (in->core.bits == 64 && in->core.machine != VM_EM_X86_64 && in->core.machine != VM_EM_AARCH64)
        vm_snapshot_warn(f->snap, "core", "machine %u: read as a 64-bit Linux process without registers",
                         in->core.machine);
    return vm_core_gather_parsed(&in->core, path, opt, f, err);
}

static bool core_claims(const char *arg, const uint8_t *head, size_t n)
{
    (void)arg;
    return head && n >= 18 && memcmp(head, "\x7f" "ELF", 4) == 0 && head[5] == 1 && head[16] == 4 && head[17] == 0;
}

const vm_source vm_source_core = {"core", core_claims, core_gather, VM_ASK_ALL};
