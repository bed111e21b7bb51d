#include "elfcore.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/compiler.h"
#include "../util/xalloc.h"

#define MAX_NOTES_BYTES (UINT64_C(64) << 20) /* all PT_NOTE segments together */
#define MAX_THREADS 100000
#define MAX_FILES 1000000
#define MAX_SEGS 10000000

enum { PT_LOAD_ = 1, PT_NOTE_ = 4, ET_CORE_ = 4, PN_XNUM_ = 0xffff };
enum { NT_PRSTATUS_ = 1, NT_PRPSINFO_ = 3, NT_AUXV_ = 6, NT_SIGINFO_ = 0x53494749, NT_FILE_ = 0x46494c45 };
enum { AT_PHDR_ = 3, AT_PAGESZ_ = 6, AT_BASE_ = 7, AT_ENTRY_ = 9, AT_RANDOM_ = 25, AT_EXECFN_ = 31,
       AT_SYSINFO_EHDR_ = 33 };

/* Where each machine keeps what vmmap reads in elf_prstatus (heap-facts.md). */
typedef struct prstatus_layout {
    uint16_t machine;
    int bits;
    size_t pid_off, regs_off, sp_index, pc_index, min_size;
} prstatus_layout;

static const prstatus_layout LAYOUTS[] = {
    {VM_EM_X86_64, 64, 32, 0x70, 19, 16, 0x70 + 27 * 8},
    {VM_EM_AARCH64, 64, 32, 0x70, 31, 32, 0x70 + 34 * 8},
    {VM_EM_386, 32, 24, 0x48, 15, 12, 0x48 + 17 * 4},
};

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static bool fail(char *err, size_t len, const char *fmt, ...) VM_PRINTF(3, 4);
static bool fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return false;
}

static void warn(vm_core *c, const char *fmt, ...) VM_PRINTF(2, 3);
static void warn(vm_core *c, const char *fmt, ...)
{
    if (c->nwarnings >= VM_CORE_MAX_WARNINGS) {
        c->nwarnings_dropped++;
        return;
    }
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *w = vm_strdup(buf);
    if (w)
        c->warnings[c->nwarnings++] = w;
}

const char *vm_core_arch_name(uint16_t machine)
{
    switch (machine) {
    case VM_EM_X86_64: return "x86_64";
    case VM_EM_386: return "i386";
    case VM_EM_AARCH64: return "aarch64";
    default: return NULL;
    }
}

const char *vm_signal_name(int sig)
{
    static const char *const names[] = {NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
                                        "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
                                        "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
                                        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
                                        "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
                                        "SIGSYS"};
    return sig > 0 && (size_t)sig < sizeof names / sizeof names[0] ? names[sig] : NULL;
}

const char *vm_core_crash_text(const vm_core *c, char *buf, size_t len)
{
    const char *name = vm_signal_name(c->si_signo);
    bool fault = c->si_code > 0 && (c->si_signo == 4 || c->si_signo == 7 || c->si_signo == 8 || c->si_signo == 11);
    const char *who = c->si_code > 0 ? "raised by the kernel" : c->si_code == 0 ? "sent by a process (kill)"
                    : c->si_code == -6 ? "sent by a thread (tkill)" : "sent from user space";
    int n = snprintf(buf, len, "%s (signal %d, %s)", name ? name : "signal", c->si_signo, who);
    if (fault && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " at address 0x%" PRIx64, c->si_addr);
    return buf;
}

static const prstatus_layout *layout_of(uint16_t machine)
{
    for (size_t i = 0; i < sizeof LAYOUTS / sizeof LAYOUTS[0]; i++)
        if (LAYOUTS[i].machine == machine)
            return &LAYOUTS[i];
    return NULL;
}

/* ---- notes ---- */

static void note_prstatus(vm_core *c, const uint8_t *d, size_t n)
{
    const prstatus_layout *l = layout_of(c->machine);
    if (!l)
        return; /* another machine: no thread facts */
    if (n < l->min_size) {
        warn(c, "NT_PRSTATUS of %zu bytes, too short for %s registers: thread left out", n,
             vm_core_arch_name(c->machine));
        return;
    }
    if (c->nthreads >= MAX_THREADS) {
        warn(c, "more than %d threads: the rest left out", MAX_THREADS);
        return;
    }
    vm_core_thread *t = vm_array_push((void **)&c->threads, &c->nthreads, sizeof *t);
    if (!t)
        return;
    size_t w = (size_t)(l->bits / 8);
    t->cursig = (int)le(d + 12, 2);
    t->tid = le(d + l->pid_off, 4);
    t->sp = le(d + l->regs_off + l->sp_index * w, w);
    t->pc = le(d + l->regs_off + l->pc_index * w, w);
}

static void copy_str(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 1 < cap && i < n && src[i]; i++)
        dst[i] = (char)(src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?');
    dst[i] = '\0';
}

static void note_prpsinfo(vm_core *c, const uint8_t *d, size_t n)
{
    /* 64-bit: uid +16, pid +24, ppid +28, fname +40, psargs +56 (136 bytes); i386: uid (16-bit)
     * +8, pid +12, ppid +16, fname +28, psargs +44 (124 bytes). */
    bool is64 = c->bits == 64;
    size_t need = is64 ? 136 : 124;
    if (n < need) {
        warn(c, "NT_PRPSINFO of %zu bytes, %zu expected: process name and id not read", n, need);
        return;
    }
    c->has_prpsinfo = true;
    c->uid = (uint32_t)(is64 ? le(d + 16, 4) : le(d + 8, 2));
    c->pid = (int64_t)le(d + (is64 ? 24 : 12), 4);
    c->ppid = (int64_t)le(d + (is64 ? 28 : 16), 4);
    copy_str(c->fname, sizeof c->fname, d + (is64 ? 40 : 28), 16);
    copy_str(c->psargs, sizeof c->psargs, d + (is64 ? 56 : 44), 80);
    for (size_t k = strlen(c->psargs); k && c->psargs[k - 1] == ' ';) /* the kernel pads with spaces */
        c->psargs[--k] = '\0';
}

static void note_auxv(vm_core *c, const uint8_t *d, size_t n)
{
    size_t w = (size_t)(c->bits / 8);
    for (size_t off = 0; off + 2 * w <= n; off += 2 * w) {
        uint64_t key = le(d + off, w), val = le(d + off + w, w);
        switch (key) {
        case 0: return; /* AT_NULL */
        case AT_PHDR_: c->at_phdr = val; break;
        case AT_PAGESZ_:
            if (val == 0 || val > (UINT64_C(1) << 30) || (val & (val - 1)))
                warn(c, "AT_PAGESZ %" PRIu64 " is not a power of two: not used", val);
            else
                c->at_pagesz = val;
            break;
        case AT_BASE_: c->at_base = val; break;
        case AT_ENTRY_: c->at_entry = val; break;
        case AT_RANDOM_: c->at_random = val; break;
        case AT_EXECFN_: c->at_execfn = val; break;
        case AT_SYSINFO_EHDR_: c->at_sysinfo_ehdr = val; break;
        default: break;
        }
    }
}

static void note_siginfo(vm_core *c, const uint8_t *d, size_t n)
{
    size_t addr_off = c->bits == 64 ? 16 : 12, w = (size_t)(c->bits / 8);
    if (n < addr_off + w)
        return;
    c->has_siginfo = true;
    c->si_signo = (int)(int32_t)le(d, 4);
    c->si_code = (int)(int32_t)le(d + 8, 4);
    c->si_addr = le(d + addr_off, w);
}

static int cmp_file(const void *a, const void *b)
{
    const vm_core_file *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static void note_file(vm_core *c, const uint8_t *d, size_t n)
{
    size_t w = (size_t)(c->bits / 8);
    if (c->nfiles) {
        warn(c, "a second NT_FILE note: ignored");
        return;
    }
    if (n < 2 * w) {
        warn(c, "NT_FILE of %zu bytes: no file names", n);
        return;
    }
    uint64_t count = le(d, w), page = le(d + w, w);
    if (count > MAX_FILES || count > (n - 2 * w) / (3 * w)) {
        warn(c, "NT_FILE says %" PRIu64 " files, more than its %zu bytes hold: no file names", count, n);
        return;
    }
    if (page == 0 || page > (UINT64_C(1) << 30) || (page & (page - 1))) {
        warn(c, "NT_FILE page size %" PRIu64 " is not a power of two: taken as 4096", page);
        page = 4096;
    }
    c->file_page_size = page;
    c->files = count ? calloc((size_t)count, sizeof *c->files) : NULL;
    if (count && !c->files)
        return;
    const uint8_t *names = d + 2 * w + (size_t)count * 3 * w, *end = d + n;
    size_t bad = 0;
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *e = d + 2 * w + (size_t)i * 3 * w;
        uint64_t start = le(e, w), stop = le(e + w, w), ofs = le(e + 2 * w, w);
        const uint8_t *nul = names < end ? memchr(names, 0, (size_t)(end - names)) : NULL;
        if (!nul) {
            warn(c, "NT_FILE: names end early (%" PRIu64 " of %" PRIu64 " read)", i, count);
            break;
        }
        if (stop <= start || ofs > UINT64_MAX / page) {
            bad++;
        } else {
            vm_core_file *f = &c->files[c->nfiles];
            f->start = start;
            f->end = stop;
            f->offset = ofs * page;
            f->name = malloc((size_t)(nul - names) + 1);
            if (!f->name)
                break;
            copy_str(f->name, (size_t)(nul - names) + 1, names, (size_t)(nul - names));
            c->nfiles++;
        }
        names = nul + 1;
    }
    if (bad)
        warn(c, "NT_FILE: %zu entries with an empty or impossible range left out", bad);
    if (c->nfiles > 1)
        qsort(c->files, c->nfiles, sizeof *c->files, cmp_file);
}

static void parse_notes(vm_core *c, const uint8_t *buf, size_t n)
{
    size_t off = 0;
    while (off <= n && n - off >= 12) {
        uint64_t namesz = le(buf + off, 4), descsz = le(buf + off + 4, 4), type = le(buf + off + 8, 4);
        uint64_t name_pad = (namesz + 3) & ~UINT64_C(3), desc_pad = (descsz + 3) & ~UINT64_C(3);
        off += 12;
        if (name_pad > n - off || desc_pad > n - off - name_pad) {
            warn(c, "a note runs past the end of its segment (cut short?): the notes after it are lost");
            return;
        }
        const uint8_t *name = buf + off, *desc = buf + off + name_pad;
        bool core = namesz == 5 && memcmp(name, "CORE", 5) == 0;
        if (core) {
            size_t len = (size_t)descsz;
            switch (type) {
            case NT_PRSTATUS_: note_prstatus(c, desc, len); break;
            case NT_PRPSINFO_: note_prpsinfo(c, desc, len); break;
            case NT_AUXV_: note_auxv(c, desc, len); break;
            case NT_SIGINFO_: note_siginfo(c, desc, len); break;
            case NT_FILE_: note_file(c, desc, len); break;
            default: break;
            }
        }
        off += (size_t)(name_pad + desc_pad);
    }
}

/* ---- headers ---- */

static int cmp_seg(const void *a, const void *b)
{
    const vm_core_segment *x = a, *y = b;
    return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static bool read_at(const vm_memreader *f, uint64_t off, void *buf, size_t len)
{
    return vm_read_exact(f, off, buf, len);
}

typedef struct hdr {
    uint64_t phoff, phnum, phentsize, shoff, shnum, shentsize;
} hdr;

static bool parse_ehdr(vm_core *c, const uint8_t *eh, hdr *h, char *err, size_t errlen)
{
    if (memcmp(eh, "\x7f" "ELF", 4) != 0)
        return fail(err, errlen, "not an ELF file");
    if (eh[4] != 1 && eh[4] != 2)
        return fail(err, errlen, "unknown ELF class %u", eh[4]);
    if (eh[5] != 1)
        return fail(err, errlen, "a big-endian ELF file (only little-endian cores are read)");
    c->bits = eh[4] == 2 ? 64 : 32;
    bool is64 = c->bits == 64;
    uint16_t type = (uint16_t)le(eh + 16, 2);
    c->machine = (uint16_t)le(eh + 18, 2);
    if (type != ET_CORE_)
        return fail(err, errlen, "an ELF file, but not a core (e_type %u)", type);
    h->phoff = is64 ? le(eh + 32, 8) : le(eh + 28, 4);
    h->shoff = is64 ? le(eh + 40, 8) : le(eh + 32, 4);
    h->phentsize = le(eh + (is64 ? 54 : 42), 2);
    h->phnum = le(eh + (is64 ? 56 : 44), 2);
    h->shentsize = le(eh + (is64 ? 58 : 46), 2);
    h->shnum = le(eh + (is64 ? 60 : 48), 2);
    if (h->phentsize < (is64 ? 56u : 32u))
        return fail(err, errlen, "program header entries of %" PRIu64 " bytes (too small)", h->phentsize);
    return true;
}

/* PN_XNUM: more than 65534 program headers, the real count in section header 0's sh_info. */
static bool real_phnum(vm_core *c, const vm_memreader *f, hdr *h, char *err, size_t errlen)
{
    if (h->phnum != PN_XNUM_)
        return true;
    uint8_t sh[64];
    size_t need = c->bits == 64 ? 64 : 40;
    if (h->shoff == 0 || h->shoff > c->file_size || c->file_size - h->shoff < need || !read_at(f, h->shoff, sh, need))
        return fail(err, errlen, "PN_XNUM program headers but no readable section header 0");
    h->phnum = le(sh + (c->bits == 64 ? 44 : 28), 4);
    return true;
}

static bool parse_phdrs(vm_core *c, const vm_memreader *f, const hdr *h, uint8_t **notes, size_t *nnotes,
                        char *err, size_t errlen)
{
    bool is64 = c->bits == 64;
    if (h->phnum > MAX_SEGS)
        return fail(err, errlen, "%" PRIu64 " program headers (more than %d)", h->phnum, MAX_SEGS);
    if (h->phoff > c->file_size || h->phnum * h->phentsize > c->file_size - h->phoff)
        return fail(err, errlen, "program headers (%" PRIu64 " at offset %" PRIu64 ") beyond the end of the file "
                    "(%" PRIu64 " bytes: truncated?)", h->phnum, h->phoff, c->file_size);
    for (uint64_t i = 0; i < h->phnum; i++) {
        uint8_t ph[56];
        if (!read_at(f, h->phoff + i * h->phentsize, ph, is64 ? 56 : 32))
            return fail(err, errlen, "program header %" PRIu64 " unreadable", i);
        uint32_t type = (uint32_t)le(ph, 4);
        uint64_t off = is64 ? le(ph + 8, 8) : le(ph + 4, 4), vaddr = is64 ? le(ph + 16, 8) : le(ph + 8, 4);
        uint64_t filesz = is64 ? le(ph + 32, 8) : le(ph + 16, 4), memsz = is64 ? le(ph + 40, 8) : le(ph + 20, 4);
        uint32_t flags = (uint32_t)(is64 ? le(ph + 4, 4) : le(ph + 24, 4));
        if (type == PT_NOTE_) {
            if (off > c->file_size || filesz > c->file_size - off) {
                warn(c, "PT_NOTE at offset %" PRIu64 " runs past the end of the file: notes cut short", off);
                filesz = off > c->file_size ? 0 : c->file_size - off;
            }
            if (filesz > MAX_NOTES_BYTES - *nnotes) {
                warn(c, "notes larger than %" PRIu64 " bytes: the rest ignored", MAX_NOTES_BYTES);
                continue;
            }
            uint8_t *nb = realloc(*notes, *nnotes + (size_t)filesz + 1);
            if (!nb)
                return fail(err, errlen, "out of memory");
            *notes = nb;
            if (filesz && !read_at(f, off, nb + *nnotes, (size_t)filesz))
                return fail(err, errlen, "PT_NOTE at offset %" PRIu64 " unreadable", off);
            /* Each segment's notes are parsed on their own (a torn one must not eat the next). */
            parse_notes(c, nb + *nnotes, (size_t)filesz);
            *nnotes += (size_t)filesz;
        } else if (type == PT_LOAD_ && memsz) {
            if (vaddr + memsz < vaddr) {
                warn(c, "PT_LOAD at 0x%" PRIx64 " wraps around the address space: left out", vaddr);
                continue;
            }
            if (filesz > memsz)
                filesz = memsz;
            if (off > c->file_size || filesz > c->file_size - off) {
                uint64_t have = off > c->file_size ? 0 : c->file_size - off;
                warn(c, "PT_LOAD at 0x%" PRIx64 ": %" PRIu64 " bytes said to be dumped, %" PRIu64 " in the file "
                     "(truncated?)", vaddr, filesz, have);
                filesz = have;
            }
            vm_core_segment *s = vm_array_push((void **)&c->segs, &c->nsegs, sizeof *s);
            if (!s)
                return fail(err, errlen, "out of memory");
            *s = (vm_core_segment){vaddr, memsz, off, filesz, flags};
        }
    }
    return true;
}

static void finish_segments(vm_core *c)
{
    if (c->nsegs > 1)
        qsort(c->segs, c->nsegs, sizeof *c->segs, cmp_seg);
    size_t out = 0, dropped = 0;
    for (size_t i = 0; i < c->nsegs; i++) {
        if (out && c->segs[i].vaddr < c->segs[out - 1].vaddr + c->segs[out - 1].memsz) {
            dropped++;
            continue;
        }
        c->segs[out++] = c->segs[i];
    }
    c->nsegs = out;
    if (dropped)
        warn(c, "%zu PT_LOAD segments overlap earlier ones: left out", dropped);
    for (size_t i = 0; i < c->nsegs; i++) {
        c->bytes_mapped += c->segs[i].memsz;
        c->bytes_present += c->segs[i].filesz;
        c->nsegs_partial += c->segs[i].filesz < c->segs[i].memsz;
    }
}

bool vm_core_parse(const vm_memreader *file, uint64_t size, vm_core *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->file = file;
    c->file_size = size;
    uint8_t eh[64];
    memset(eh, 0, sizeof eh);
    if (size < 52 || !read_at(file, 0, eh, size < 64 ? 52 : 64))
        return fail(err, errlen, size >= 4 && read_at(file, 0, eh, 4) && memcmp(eh, "\x7f" "ELF", 4) == 0
                                     ? "truncated inside the ELF header (%" PRIu64 " bytes)"
                                     : "not an ELF file (%" PRIu64 " bytes)", size);
    hdr h = {0};
    if (!parse_ehdr(c, eh, &h, err, errlen))
        return false;
    if (c->bits == 64 && size < 64)
        return fail(err, errlen, "truncated inside the ELF header (%" PRIu64 " bytes)", size);
    /* The kernel writes section headers only to hold a PN_XNUM count; gdb always writes some. */
    c->gcore = h.shnum > 0 && h.phnum != PN_XNUM_;
    if (!real_phnum(c, file, &h, err, errlen))
        return false;
    uint8_t *notes = NULL;
    size_t nnotes = 0;
    bool ok = parse_phdrs(c, file, &h, &notes, &nnotes, err, errlen);
    free(notes);
    if (!ok)
        return false;
    finish_segments(c);
    if (!vm_core_arch_name(c->machine))
        warn(c, "machine %u: threads' registers are not read (x86-64, i386 and aarch64 are)", c->machine);
    if (c->nsegs == 0)
        return fail(err, errlen, "no memory segments (PT_LOAD): nothing to map");
    return true;
}

void vm_core_free(vm_core *c)
{
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i].name);
    for (size_t i = 0; i < c->nwarnings; i++)
        free(c->warnings[i]);
    free(c->files);
    free(c->segs);
    free(c->threads);
    memset(c, 0, sizeof *c);
}

const vm_core_file *vm_core_file_at(const vm_core *c, uint64_t addr)
{
    size_t lo = 0, hi = c->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->files[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nfiles && c->files[lo].start <= addr ? &c->files[lo] : NULL;
}

/* The segment containing addr, by binary search; NULL when none. */
static const vm_core_segment *seg_at(const vm_core *c, uint64_t addr)
{
    size_t lo = 0, hi = c->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->segs[mid].vaddr + c->segs[mid].memsz <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nsegs && c->segs[lo].vaddr <= addr ? &c->segs[lo] : NULL;
}

static size_t core_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const vm_core *c = ctx;
    size_t done = 0;
    while (done < len) {
        uint64_t a = addr + done;
        if (a < addr)
            break;
        const vm_core_segment *s = seg_at(c, a);
        if (!s || a - s->vaddr >= s->filesz)
            break; /* not mapped, or not dumped */
        uint64_t in_seg = s->filesz - (a - s->vaddr);
        size_t want = len - done < in_seg ? len - done : (size_t)in_seg;
        size_t got = c->file->read(c->file->ctx, s->offset + (a - s->vaddr), (uint8_t *)buf + done, want);
        done += got;
        if (got < want)
            break;
    }
    return done;
}

vm_memreader vm_core_memreader(const vm_core *c)
{
    vm_memreader r = {.read = core_read, .ctx = (void *)c};
    return r;
}
