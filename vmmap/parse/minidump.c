/* Minidump parsing: each on-disk record is a table of (file offset, width, struct member) decoded
 * by one function, each stream a small function over bytes already bounded by the directory.
 * See minidump.h for the rules; docs/minidumps.md for what each stream gives the map. */
#include "minidump.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/compiler.h"

/* ---- declarative layouts ---- */

typedef struct md_field {
    uint16_t at;    /* offset in the record on disk */
    uint8_t width;  /* bytes on disk = bytes of the member */
    uint16_t dst;   /* offsetof the member */
} md_field;

typedef struct md_layout {
    const char *name;
    uint32_t size;  /* bytes on disk that we read (a file's entries may be longer) */
    const md_field *fields;
    size_t nfields;
} md_layout;

#define FLD(T, m, off) {(off), (uint8_t)sizeof(((T *)0)->m), (uint16_t)offsetof(T, m)}
#define LAYOUT(nm, sz, arr) {(nm), (sz), (arr), sizeof(arr) / sizeof((arr)[0])}

static const md_field HEADER_F[] = {
    FLD(vm_md_header, signature, 0),          FLD(vm_md_header, version, 4),
    FLD(vm_md_header, number_of_streams, 8),  FLD(vm_md_header, stream_directory_rva, 12),
    FLD(vm_md_header, checksum, 16),          FLD(vm_md_header, time_date_stamp, 20),
    FLD(vm_md_header, flags, 24),
};
static const md_layout HEADER = LAYOUT("MINIDUMP_HEADER", 32, HEADER_F);

static const md_field DIRECTORY_F[] = {
    FLD(vm_md_directory, stream_type, 0), FLD(vm_md_directory, data_size, 4), FLD(vm_md_directory, rva, 8),
};
static const md_layout DIRECTORY = LAYOUT("MINIDUMP_DIRECTORY", 12, DIRECTORY_F);

static const md_field THREAD_F[] = {
    FLD(vm_md_thread, thread_id, 0),     FLD(vm_md_thread, suspend_count, 4),
    FLD(vm_md_thread, priority_class, 8), FLD(vm_md_thread, priority, 12),
    FLD(vm_md_thread, teb, 16),           FLD(vm_md_thread, stack_start, 24),
    FLD(vm_md_thread, stack_size, 32),    FLD(vm_md_thread, stack_rva, 36),
    FLD(vm_md_thread, context_size, 40),  FLD(vm_md_thread, context_rva, 44),
};
static const md_layout THREAD = LAYOUT("MINIDUMP_THREAD", 48, THREAD_F);

static const md_field MODULE_F[] = {
    FLD(vm_md_module, base, 0),             FLD(vm_md_module, size, 8),
    FLD(vm_md_module, checksum, 12),        FLD(vm_md_module, time_date_stamp, 16),
    FLD(vm_md_module, name_rva, 20),
};
static const md_field MODULE_CV_F[] = {
    FLD(vm_md_module, base, 0),             FLD(vm_md_module, size, 8),
    FLD(vm_md_module, checksum, 12),        FLD(vm_md_module, time_date_stamp, 16),
    FLD(vm_md_module, name_rva, 20),        FLD(vm_md_module, cv_size, 76),
    FLD(vm_md_module, cv_rva, 80),
};
/* MINIDUMP_MODULE is 108 bytes (VersionInfo, CvRecord, MiscRecord, reserved follow the name);
 * MINIDUMP_UNLOADED_MODULE is the first 24 bytes of the same shape. */
static const md_layout MODULE = LAYOUT("MINIDUMP_MODULE", 108, MODULE_CV_F);
static const md_layout UNLOADED = LAYOUT("MINIDUMP_UNLOADED_MODULE", 24, MODULE_F);

typedef struct md_memdesc { /* MINIDUMP_MEMORY_DESCRIPTOR (16) and ..._DESCRIPTOR64 (16) */
    uint64_t start;
    uint32_t data_size;
    uint32_t rva;
    uint64_t data_size64;
} md_memdesc;
static const md_field MEMDESC_F[] = {
    FLD(md_memdesc, start, 0), FLD(md_memdesc, data_size, 8), FLD(md_memdesc, rva, 12),
};
static const md_layout MEMDESC = LAYOUT("MINIDUMP_MEMORY_DESCRIPTOR", 16, MEMDESC_F);
static const md_field MEMDESC64_F[] = {FLD(md_memdesc, start, 0), FLD(md_memdesc, data_size64, 8)};
static const md_layout MEMDESC64 = LAYOUT("MINIDUMP_MEMORY_DESCRIPTOR64", 16, MEMDESC64_F);

typedef struct md_mem64_header { uint64_t count, base_rva; } md_mem64_header;
static const md_field MEM64_HEADER_F[] = {FLD(md_mem64_header, count, 0), FLD(md_mem64_header, base_rva, 8)};
static const md_layout MEM64_HEADER = LAYOUT("MINIDUMP_MEMORY64_LIST", 16, MEM64_HEADER_F);

static const md_field MEMINFO_F[] = {
    FLD(vm_md_memory_info, base, 0),          FLD(vm_md_memory_info, alloc_base, 8),
    FLD(vm_md_memory_info, alloc_protect, 16), FLD(vm_md_memory_info, pad1, 20),
    FLD(vm_md_memory_info, region_size, 24),  FLD(vm_md_memory_info, state, 32),
    FLD(vm_md_memory_info, protect, 36),      FLD(vm_md_memory_info, type, 40),
    FLD(vm_md_memory_info, pad2, 44),
};
static const md_layout MEMINFO = LAYOUT("MINIDUMP_MEMORY_INFO", 48, MEMINFO_F);

static const md_field THREAD_INFO_F[] = {
    FLD(vm_md_thread_info, thread_id, 0),    FLD(vm_md_thread_info, dump_flags, 4),
    FLD(vm_md_thread_info, dump_error, 8),   FLD(vm_md_thread_info, exit_status, 12),
    FLD(vm_md_thread_info, create_time, 16), FLD(vm_md_thread_info, exit_time, 24),
    FLD(vm_md_thread_info, kernel_time, 32), FLD(vm_md_thread_info, user_time, 40),
    FLD(vm_md_thread_info, start_address, 48), FLD(vm_md_thread_info, affinity, 56),
};
static const md_layout THREAD_INFO = LAYOUT("MINIDUMP_THREAD_INFO", 64, THREAD_INFO_F);

static const md_field SYSTEM_INFO_F[] = {
    FLD(vm_md_system_info, processor_architecture, 0), FLD(vm_md_system_info, processor_level, 2),
    FLD(vm_md_system_info, processor_revision, 4),     FLD(vm_md_system_info, number_of_processors, 6),
    FLD(vm_md_system_info, product_type, 7),           FLD(vm_md_system_info, major_version, 8),
    FLD(vm_md_system_info, minor_version, 12),         FLD(vm_md_system_info, build_number, 16),
    FLD(vm_md_system_info, platform_id, 20),           FLD(vm_md_system_info, csd_version_rva, 24),
    FLD(vm_md_system_info, suite_mask, 28),            FLD(vm_md_system_info, reserved2, 30),
};
static const md_layout SYSTEM_INFO = LAYOUT("MINIDUMP_SYSTEM_INFO", 32, SYSTEM_INFO_F);

static const md_field MISC_INFO_F[] = {
    FLD(vm_md_misc_info, size_of_info, 0),        FLD(vm_md_misc_info, flags1, 4),
    FLD(vm_md_misc_info, process_id, 8),          FLD(vm_md_misc_info, process_create_time, 12),
    FLD(vm_md_misc_info, process_user_time, 16),  FLD(vm_md_misc_info, process_kernel_time, 20),
};
static const md_layout MISC_INFO = LAYOUT("MINIDUMP_MISC_INFO", 24, MISC_INFO_F);

typedef struct md_thread_name { uint32_t thread_id; uint64_t rva; } md_thread_name;
static const md_field THREAD_NAME_F[] = {FLD(md_thread_name, thread_id, 0), FLD(md_thread_name, rva, 4)};
static const md_layout THREAD_NAME = LAYOUT("MINIDUMP_THREAD_NAME", 12, THREAD_NAME_F);

static uint64_t le(const uint8_t *p, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = width; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* Decodes one record; p must hold l->size bytes. */
static void decode(const md_layout *l, const uint8_t *p, void *dst)
{
    uint8_t *d = dst;
    for (size_t i = 0; i < l->nfields; i++) {
        const md_field *f = &l->fields[i];
        uint64_t v = le(p + f->at, f->width);
        uint8_t u8 = (uint8_t)v;
        uint16_t u16 = (uint16_t)v;
        uint32_t u32 = (uint32_t)v;
        switch (f->width) {
        case 1: memcpy(d + f->dst, &u8, 1); break;
        case 2: memcpy(d + f->dst, &u16, 2); break;
        case 4: memcpy(d + f->dst, &u32, 4); break;
        default: memcpy(d + f->dst, &v, 8); break;
        }
    }
}

/* ---- names ---- */

static const struct {
    uint32_t type;
    const char *name;
} STREAM_NAMES[] = {
    {3, "ThreadList"}, {4, "ModuleList"}, {5, "MemoryList"}, {6, "Exception"}, {7, "SystemInfo"},
    {8, "ThreadExList"}, {9, "Memory64List"}, {10, "CommentA"}, {11, "CommentW"}, {12, "HandleData"},
    {13, "FunctionTable"}, {14, "UnloadedModuleList"}, {15, "MiscInfo"}, {16, "MemoryInfoList"},
    {17, "ThreadInfoList"}, {18, "HandleOperationList"}, {19, "Token"}, {20, "JavaScriptData"},
    {21, "SystemMemoryInfo"}, {22, "ProcessVmCounters"}, {23, "IptTrace"}, {24, "ThreadNames"},
    {0x47670001, "BP_BreakpadInfo"}, {0x47670002, "BP_AssertionInfo"}, {0x47670003, "BP_LinuxCpuInfo"},
    {0x47670004, "BP_LinuxProcStatus"}, {0x47670005, "BP_LinuxLsbRelease"}, {0x47670006, "BP_LinuxCmdLine"},
    {0x47670007, "BP_LinuxEnviron"}, {0x47670008, "BP_LinuxAuxv"}, {0x47670009, "BP_LinuxMaps"},
    {0x4767000a, "BP_LinuxDsoDebug"}, {0x4d7a0001, "Mozilla_MacosCrashInfo"},
    {0x4d7a0002, "Mozilla_MacosBootargs"}, {0x4d7a0003, "Mozilla_LinuxLimits"},
};

const char *vm_md_stream_name(uint32_t type)
{
    for (size_t i = 0; i < sizeof STREAM_NAMES / sizeof STREAM_NAMES[0]; i++)
        if (STREAM_NAMES[i].type == type)
            return STREAM_NAMES[i].name;
    return NULL;
}

static const struct {
    uint16_t arch;
    const char *name;
    int bits;
} ARCHES[] = {
    {VM_MD_ARCH_X86, "x86", 32},   {VM_MD_ARCH_AMD64, "x86_64", 64}, {VM_MD_ARCH_ARM64, "arm64", 64},
    {VM_MD_ARCH_ARM64_BREAKPAD, "arm64", 64}, {VM_MD_ARCH_ARM, "arm", 32}, {VM_MD_ARCH_IA64, "ia64", 64},
};

const char *vm_md_arch_name(uint16_t arch)
{
    for (size_t i = 0; i < sizeof ARCHES / sizeof ARCHES[0]; i++)
        if (ARCHES[i].arch == arch)
            return ARCHES[i].name;
    return NULL;
}

int vm_md_arch_bits(uint16_t arch)
{
    for (size_t i = 0; i < sizeof ARCHES / sizeof ARCHES[0]; i++)
        if (ARCHES[i].arch == arch)
            return ARCHES[i].bits;
    return 0;
}

static const struct {
    uint32_t id;
    const char *name;
} PLATFORMS[] = {
    {2, "Windows"}, {1, "Windows 9x"}, {0x8000, "Unix"}, {0x8101, "macOS"}, {0x8102, "iOS"},
    {0x8201, "Linux"}, {0x8202, "Solaris"}, {0x8203, "Android"}, {0x8204, "PS3"}, {0x8205, "NaCl"},
    {0x8206, "Fuchsia"},
};

void vm_md_os_string(const vm_minidump *md, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    if (!md->has_system_info || !len)
        return;
    const char *name = NULL;
    for (size_t i = 0; i < sizeof PLATFORMS / sizeof PLATFORMS[0]; i++)
        if (PLATFORMS[i].id == md->sys.platform_id)
            name = PLATFORMS[i].name;
    char other[32];
    if (!name) {
        snprintf(other, sizeof other, "platform 0x%" PRIx32, md->sys.platform_id);
        name = other;
    }
    snprintf(buf, len, "%s %" PRIu32 ".%" PRIu32 ".%" PRIu32, name, md->sys.major_version,
             md->sys.minor_version, md->sys.build_number);
}

/* civil_from_days (H. Hinnant): no gmtime, which not every C library we build with has. */
void vm_md_format_time(uint32_t t, char *buf, size_t len)
{
    int64_t days = t / 86400, secs = t % 86400;
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
    snprintf(buf, len, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64 "Z", y, m, d,
             secs / 3600, secs / 60 % 60, secs % 60);
}

/* ---- bounds, warnings, strings ---- */

static void warn(vm_minidump *md, const char *fmt, ...) VM_PRINTF(2, 3);
static void warn(vm_minidump *md, const char *fmt, ...)
{
    if (md->nwarnings >= VM_MD_MAX_WARNINGS) {
        md->nwarnings_dropped++;
        return;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = malloc(strlen(buf) + 1);
    if (!s) {
        md->nwarnings_dropped++;
        return;
    }
    memcpy(s, buf, strlen(buf) + 1);
    md->warnings[md->nwarnings++] = s;
}

/* Bytes [off, off + len) of the file, or NULL when any of them lies outside it. */
static const uint8_t *span(const uint8_t *data, size_t size, uint64_t off, uint64_t len)
{
    if (off > size || len > size - off)
        return NULL;
    return data + off;
}

/* x86 dumps sometimes carry 32-bit addresses sign-extended to 64 bits. */
static uint64_t addr32(const vm_minidump *md, uint64_t v)
{
    return md->bits == 32 && (v >> 32) == 0xffffffffu ? (v & 0xffffffffu) : v;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7f) {
        o[0] = '?';
        return 1;
    }
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

char *vm_md_string(const uint8_t *data, size_t size, uint64_t rva, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    const uint8_t *p = span(data, size, rva, 4);
    if (!p) {
        *why = "its length field lies outside the file";
        return NULL;
    }
    uint32_t len = (uint32_t)le(p, 4);
    if (len > VM_MD_MAX_STRING_BYTES) {
        *why = "its length is implausible";
        return NULL;
    }
    const uint8_t *s = span(data, size, rva + 4, len);
    if (!s) {
        *why = "it runs past the end of the file";
        return NULL;
    }
    size_t units = len / 2; /* an odd length: the stray last byte is ignored */
    char *out = malloc(units * 3 + 1);
    if (!out) {
        *why = "out of memory";
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t u = (uint32_t)le(s + 2 * i, 2);
        if (u == 0)
            break;
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < units) {
            uint32_t lo = (uint32_t)le(s + 2 * (i + 1), 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                o += put_utf8(out + o, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
                i++;
                continue;
            }
        }
        o += put_utf8(out + o, (u >= 0xd800 && u <= 0xdfff) ? 0xfffd : u);
    }
    out[o] = '\0';
    return out;
}

/* A string for a record, with a warning naming the record when it cannot be read. */
static char *record_string(vm_minidump *md, uint64_t rva, const char *what, size_t index)
{
    const char *why = NULL;
    char *s = vm_md_string(md->data, md->size, rva, &why);
    if (!s)
        warn(md, "%s %zu: name at RVA 0x%" PRIx64 " not read: %s", what, index, rva, why);
    return s;
}

/* ---- lists ---- */

/* Where the entries of a list that starts with a u32 count begin, and how many of them fit.
 * Some writers pad the count to 8 bytes: detected from the stream size, as rust-minidump does. */
static size_t counted_list(vm_minidump *md, const char *what, const uint8_t *s, size_t n, size_t esize,
                           size_t *start)
{
    *start = 4;
    if (n < 4) {
        warn(md, "%s stream is too short for its count (%zu bytes)", what, n);
        return 0;
    }
    uint32_t count = (uint32_t)le(s, 4);
    if (n >= 8 && (n - 4) % esize != 0 && (n - 8) % esize == 0 && (n - 8) / esize == count)
        *start = 8;
    size_t fits = (n - *start) / esize;
    if (count > fits) {
        warn(md, "%s declares %" PRIu32 " entries but its stream holds %zu", what, count, fits);
        return fits;
    }
    return count;
}

typedef struct sized_list {
    size_t start, stride, count;
} sized_list;

/* A list with a {SizeOfHeader, SizeOfEntry, NumberOfEntries} header: entries may be larger than
 * the layout we know (the rest is skipped), never smaller. */
static bool sized_header(vm_minidump *md, const char *what, const uint8_t *s, size_t n, size_t min_header,
                         bool count64, const md_layout *entry, sized_list *out)
{
    if (n < min_header) {
        warn(md, "%s stream is too short for its header (%zu bytes)", what, n);
        return false;
    }
    uint32_t hdr = (uint32_t)le(s, 4), ent = (uint32_t)le(s + 4, 4);
    uint64_t count = count64 ? le(s + 8, 8) : le(s + 8, 4);
    if (hdr < min_header || hdr > n) {
        warn(md, "%s: SizeOfHeader %" PRIu32 " is invalid (stream of %zu bytes); list ignored", what, hdr, n);
        return false;
    }
    if (ent < entry->size) {
        warn(md, "%s: SizeOfEntry %" PRIu32 " is smaller than a %s (%" PRIu32 " bytes); list ignored", what, ent,
             entry->name, entry->size);
        return false;
    }
    size_t fits = (n - hdr) / ent;
    if (count > fits) {
        warn(md, "%s declares %" PRIu64 " entries but its stream holds %zu", what, count, fits);
        count = fits;
    }
    out->start = hdr;
    out->stride = ent;
    out->count = (size_t)count;
    return true;
}

/* calloc'd array of count records decoded from base every stride bytes; false when out of memory. */
static bool decode_array(const md_layout *l, const uint8_t *base, size_t count, size_t stride, size_t elem,
                         void **out)
{
    *out = NULL;
    if (count == 0)
        return true;
    uint8_t *arr = calloc(count, elem);
    if (!arr)
        return false;
    for (size_t i = 0; i < count; i++)
        decode(l, base + i * stride, arr + i * elem);
    *out = arr;
    return true;
}

static bool add_range(vm_minidump *md, size_t *cap, uint64_t start, uint64_t size, uint64_t offset)
{
    if (md->nranges == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        vm_md_range *r = realloc(md->ranges, ncap * sizeof *r);
        if (!r)
            return false;
        md->ranges = r;
        *cap = ncap;
    }
    md->ranges[md->nranges++] = (vm_md_range){addr32(md, start), size, offset};
    return true;
}

/* ---- streams ---- */

typedef struct md_ctx {
    vm_minidump *md;
    size_t range_cap;
} md_ctx;

typedef bool (*stream_fn)(md_ctx *c, const uint8_t *s, size_t n);

static bool parse_system_info(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    if (n < SYSTEM_INFO.size) {
        warn(md, "SystemInfo stream is too short (%zu bytes)", n);
        return true;
    }
    decode(&SYSTEM_INFO, s, &md->sys);
    md->has_system_info = true;
    if (md->sys.csd_version_rva) {
        const char *why = NULL;
        md->csd_version = vm_md_string(md->data, md->size, md->sys.csd_version_rva, &why);
    }
    return true;
}

static bool parse_misc_info(md_ctx *c, const uint8_t *s, size_t n)
{
    if (n < MISC_INFO.size) {
        warn(c->md, "MiscInfo stream is too short (%zu bytes)", n);
        return true;
    }
    decode(&MISC_INFO, s, &c->md->misc);
    c->md->has_misc_info = true;
    return true;
}

static bool parse_thread_list(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    size_t start, count = counted_list(md, "ThreadList", s, n, THREAD.size, &start);
    if (!decode_array(&THREAD, s + start, count, THREAD.size, sizeof *md->threads, (void **)&md->threads))
        return false;
    md->nthreads = count;
    md->has_thread_list = true;
    for (size_t i = 0; i < count; i++) {
        md->threads[i].teb = addr32(md, md->threads[i].teb);
        md->threads[i].stack_start = addr32(md, md->threads[i].stack_start);
        md->threads[i].name = NULL;
    }
    return true;
}

static bool read_module_names(vm_minidump *md, vm_md_module *m, size_t count, const char *what)
{
    for (size_t i = 0; i < count; i++) {
        m[i].base = addr32(md, m[i].base);
        m[i].name = record_string(md, m[i].name_rva, what, i);
    }
    return true;
}

static bool parse_module_list(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    size_t start, count = counted_list(md, "ModuleList", s, n, MODULE.size, &start);
    if (!decode_array(&MODULE, s + start, count, MODULE.size, sizeof *md->modules, (void **)&md->modules))
        return false;
    md->nmodules = count;
    md->has_module_list = true;
    return read_module_names(md, md->modules, count, "module");
}

static bool parse_unloaded(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    sized_list l;
    if (!sized_header(md, "UnloadedModuleList", s, n, 12, false, &UNLOADED, &l))
        return true;
    if (!decode_array(&UNLOADED, s + l.start, l.count, l.stride, sizeof *md->unloaded, (void **)&md->unloaded))
        return false;
    md->nunloaded = l.count;
    md->has_unloaded = true;
    return read_module_names(md, md->unloaded, l.count, "unloaded module");
}

static bool parse_memory_list(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    size_t start, count = counted_list(md, "MemoryList", s, n, MEMDESC.size, &start);
    md->has_memory_list = true;
    md->nmemory_list = count;
    for (size_t i = 0; i < count; i++) {
        md_memdesc d;
        decode(&MEMDESC, s + start + i * MEMDESC.size, &d);
        if (!add_range(md, &c->range_cap, d.start, d.data_size, d.rva))
            return false;
    }
    return true;
}

static bool parse_memory64_list(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    if (n < MEM64_HEADER.size) {
        warn(md, "Memory64List stream is too short (%zu bytes)", n);
        return true;
    }
    md_mem64_header h;
    decode(&MEM64_HEADER, s, &h);
    size_t fits = (n - MEM64_HEADER.size) / MEMDESC64.size;
    if (h.count > fits) {
        warn(md, "Memory64List declares %" PRIu64 " ranges but its stream holds %zu", h.count, fits);
        h.count = fits;
    }
    md->has_memory64_list = true;
    md->nmemory64_list = (size_t)h.count;
    uint64_t offset = h.base_rva;
    for (size_t i = 0; i < h.count; i++) {
        md_memdesc d;
        decode(&MEMDESC64, s + MEM64_HEADER.size + i * MEMDESC64.size, &d);
        if (!add_range(md, &c->range_cap, d.start, d.data_size64, offset))
            return false;
        offset = offset + d.data_size64 < offset ? UINT64_MAX : offset + d.data_size64;
    }
    return true;
}

static bool parse_memory_info_list(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    sized_list l;
    if (!sized_header(md, "MemoryInfoList", s, n, 16, true, &MEMINFO, &l))
        return true;
    if (!decode_array(&MEMINFO, s + l.start, l.count, l.stride, sizeof *md->meminfo, (void **)&md->meminfo))
        return false;
    md->nmeminfo = l.count;
    md->has_memory_info = true;
    for (size_t i = 0; i < l.count; i++) {
        md->meminfo[i].base = addr32(md, md->meminfo[i].base);
        md->meminfo[i].alloc_base = addr32(md, md->meminfo[i].alloc_base);
    }
    return true;
}

static bool parse_thread_info_list(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    sized_list l;
    if (!sized_header(md, "ThreadInfoList", s, n, 12, false, &THREAD_INFO, &l))
        return true;
    if (!decode_array(&THREAD_INFO, s + l.start, l.count, l.stride, sizeof *md->thread_info,
                      (void **)&md->thread_info))
        return false;
    md->nthread_info = l.count;
    md->has_thread_info = true;
    return true;
}

static int cmp_thread_ptr(const void *a, const void *b)
{
    uint32_t x = (*(vm_md_thread *const *)a)->thread_id, y = (*(vm_md_thread *const *)b)->thread_id;
    return x < y ? -1 : x > y;
}

/* Runs after ThreadList: names attach to threads by id (through a sorted index). */
static bool parse_thread_names(md_ctx *c, const uint8_t *s, size_t n)
{
    vm_minidump *md = c->md;
    size_t start, count = counted_list(md, "ThreadNames", s, n, THREAD_NAME.size, &start);
    md->has_thread_names = true;
    if (!count || !md->nthreads)
        return true;
    vm_md_thread **idx = malloc(md->nthreads * sizeof *idx);
    if (!idx)
        return false;
    for (size_t i = 0; i < md->nthreads; i++)
        idx[i] = &md->threads[i];
    qsort(idx, md->nthreads, sizeof *idx, cmp_thread_ptr);
    size_t unmatched = 0;
    for (size_t i = 0; i < count; i++) {
        md_thread_name tn;
        decode(&THREAD_NAME, s + start + i * THREAD_NAME.size, &tn);
        vm_md_thread key = {.thread_id = tn.thread_id}, *kp = &key;
        vm_md_thread **hit = bsearch(&kp, idx, md->nthreads, sizeof *idx, cmp_thread_ptr);
        if (!hit) {
            unmatched++;
            continue;
        }
        if ((*hit)->name)
            continue; /* first name wins */
        (*hit)->name = record_string(md, tn.rva, "thread name", i);
        md->nthread_names += (*hit)->name != NULL;
    }
    free(idx);
    if (unmatched)
        warn(md, "ThreadNames: %zu names belong to no thread in the ThreadList", unmatched);
    return true;
}

/* The streams we read, in the order they are parsed (SystemInfo first: it sets the pointer size
 * the others need; ThreadNames after ThreadList: it names those threads). */
static const struct {
    uint32_t type;
    stream_fn parse;
} STREAMS[] = {
    {VM_MD_STREAM_SYSTEM_INFO, parse_system_info},
    {VM_MD_STREAM_MISC_INFO, parse_misc_info},
    {VM_MD_STREAM_THREAD_LIST, parse_thread_list},
    {VM_MD_STREAM_MODULE_LIST, parse_module_list},
    {VM_MD_STREAM_UNLOADED_MODULE_LIST, parse_unloaded},
    {VM_MD_STREAM_MEMORY_LIST, parse_memory_list},
    {VM_MD_STREAM_MEMORY64_LIST, parse_memory64_list},
    {VM_MD_STREAM_MEMORY_INFO_LIST, parse_memory_info_list},
    {VM_MD_STREAM_THREAD_INFO_LIST, parse_thread_info_list},
    {VM_MD_STREAM_THREAD_NAMES, parse_thread_names},
};

/* ---- the captured ranges ---- */

static int cmp_range(const void *a, const void *b)
{
    const vm_md_range *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->size < y->size ? -1 : x->size > y->size;
}

/* Clips every range to the file and to the address space, sorts them, and trims overlaps (the
 * earlier range keeps its bytes). */
static void normalise_ranges(vm_minidump *md)
{
    size_t clipped = 0, overlapping = 0, out = 0;
    for (size_t i = 0; i < md->nranges; i++) {
        vm_md_range r = md->ranges[i];
        uint64_t in_file = r.offset >= md->size ? 0 : md->size - r.offset;
        if (r.size > in_file || r.start + r.size < r.start) {
            clipped++;
            r.size = r.size > in_file ? in_file : r.size;
            if (r.start + r.size < r.start)
                r.size = UINT64_MAX - r.start;
        }
        if (r.size)
            md->ranges[out++] = r;
    }
    md->nranges = out;
    if (md->nranges > 1)
        qsort(md->ranges, md->nranges, sizeof *md->ranges, cmp_range);
    out = 0;
    for (size_t i = 0; i < md->nranges; i++) {
        vm_md_range r = md->ranges[i];
        if (out) {
            const vm_md_range *p = &md->ranges[out - 1];
            uint64_t end = p->start + p->size;
            if (r.start < end) {
                overlapping++;
                uint64_t cut = end - r.start;
                if (cut >= r.size)
                    continue;
                r.start += cut;
                r.offset += cut;
                r.size -= cut;
            }
        }
        md->ranges[out++] = r;
    }
    md->nranges = out;
    md->captured_bytes = 0;
    for (size_t i = 0; i < md->nranges; i++)
        md->captured_bytes += md->ranges[i].size;
    if (clipped)
        warn(md, "%zu captured memory ranges extend past the end of the file (clipped to what it holds)", clipped);
    if (overlapping)
        warn(md, "%zu captured memory ranges overlap others (the first one's bytes are used)", overlapping);
}

static size_t md_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const vm_minidump *md = ctx;
    size_t lo = 0, hi = md->nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (md->ranges[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t done = 0;
    for (size_t i = lo ? lo - 1 : md->nranges; i < md->nranges && done < len; i++) {
        const vm_md_range *r = &md->ranges[i];
        uint64_t a = addr + done;
        if (a < addr || a < r->start || a - r->start >= r->size)
            break;
        uint64_t off = a - r->start, avail = r->size - off;
        size_t n = len - done < avail ? len - done : (size_t)avail;
        memcpy((uint8_t *)buf + done, md->data + r->offset + off, n);
        done += n;
    }
    return done;
}

vm_memreader vm_md_memreader(const vm_minidump *md)
{
    vm_memreader r = {.read = md_read, .ctx = (void *)md};
    return r;
}

/* ---- the whole file ---- */

/* The bytes of directory entry i, clipped to the file (with a warning), or NULL. */
static const uint8_t *stream_bytes(vm_minidump *md, const vm_md_directory *d, size_t *n)
{
    const char *name = vm_md_stream_name(d->stream_type);
    *n = d->data_size;
    if (span(md->data, md->size, d->rva, d->data_size))
        return md->data + d->rva;
    if (d->rva >= md->size) {
        warn(md, "%s stream at RVA 0x%" PRIx32 " (%" PRIu32 " bytes) lies outside the file (%zu bytes); ignored",
             name, d->rva, d->data_size, md->size);
        return NULL;
    }
    *n = md->size - d->rva;
    warn(md, "%s stream is truncated: %" PRIu32 " bytes at RVA 0x%" PRIx32 ", the file holds %zu of them", name,
         d->data_size, d->rva, *n);
    return md->data + d->rva;
}

const uint8_t *vm_md_stream_data(const vm_minidump *md, uint32_t type, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < md->ndir; i++) {
        const vm_md_directory *d = &md->dir[i];
        if (d->stream_type != type)
            continue;
        if (d->rva >= md->size)
            return NULL;
        *n = d->data_size < md->size - d->rva ? d->data_size : md->size - d->rva;
        return md->data + d->rva;
    }
    return NULL;
}

static uint64_t le_bytes(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

bool vm_md_thread_sp(const vm_minidump *md, const vm_md_thread *t, uint64_t *sp)
{
    /* Offset and width of the stack pointer, and the least context size holding it. */
    size_t off, width;
    switch (md->has_system_info ? md->sys.processor_architecture : VM_MD_ARCH_UNKNOWN) {
    case VM_MD_ARCH_AMD64: off = 0x98, width = 8; break;       /* CONTEXT.Rsp */
    case VM_MD_ARCH_X86: off = 0xc4, width = 4; break;         /* CONTEXT.Esp */
    case VM_MD_ARCH_ARM64:
    case VM_MD_ARCH_ARM64_BREAKPAD: off = 0x100, width = 8; break; /* X[31]: Sp, both layouts */
    case VM_MD_ARCH_ARM: off = 0x38, width = 4; break;         /* R[13] */
    default: return false;
    }
    if (!t->context_rva || t->context_size < off + width || t->context_rva >= md->size ||
        md->size - t->context_rva < off + width)
        return false;
    *sp = le_bytes(md->data + t->context_rva + off, width);
    return *sp != 0;
}

size_t vm_md_module_build_id(const vm_minidump *md, const vm_md_module *m, uint8_t *id, size_t cap)
{
    if (m->cv_size <= 4 || m->cv_rva >= md->size || md->size - m->cv_rva < m->cv_size)
        return 0;
    const uint8_t *cv = md->data + m->cv_rva;
    if (le_bytes(cv, 4) != 0x4270454cu) /* 'BpEL' */
        return 0;
    size_t n = m->cv_size - 4 < cap ? m->cv_size - 4 : cap;
    memcpy(id, cv + 4, n);
    return n;
}

/* One pass over the directory per stream kind we read: the first entry of a kind is parsed, later
 * ones are counted and reported once (linear, whatever the directory holds). */
static bool parse_streams(md_ctx *c)
{
    vm_minidump *md = c->md;
    for (size_t s = 0; s < sizeof STREAMS / sizeof STREAMS[0]; s++) {
        const vm_md_directory *first = NULL;
        size_t dups = 0;
        for (size_t i = 0; i < md->ndir; i++) {
            if (md->dir[i].stream_type != STREAMS[s].type)
                continue;
            if (first) {
                dups++;
                continue;
            }
            first = &md->dir[i];
            size_t n;
            const uint8_t *bytes = stream_bytes(md, first, &n);
            if (bytes && !STREAMS[s].parse(c, bytes, n))
                return false;
        }
        if (dups)
            warn(md, "%zu duplicate %s streams ignored (the first one, at RVA 0x%" PRIx32 ", is used)", dups,
                 vm_md_stream_name(STREAMS[s].type), first->rva);
        if (STREAMS[s].type == VM_MD_STREAM_SYSTEM_INFO && md->has_system_info) {
            md->bits = vm_md_arch_bits(md->sys.processor_architecture);
            if (!md->bits) {
                md->bits = 64;
                warn(md, "unknown processor architecture %" PRIu16 ": assuming 64-bit pointers",
                     md->sys.processor_architecture);
            }
        }
    }
    return true;
}

bool vm_md_parse(const uint8_t *data, size_t size, vm_minidump *md, char *err, size_t errlen)
{
    memset(md, 0, sizeof *md);
    md->data = data;
    md->size = size;
    if (size < HEADER.size) {
        uint32_t sig = 0;
        for (size_t i = 0; i < size && i < 4; i++)
            sig |= (uint32_t)data[i] << (8 * i);
        if (size >= 4 && sig == VM_MD_SIGNATURE)
            snprintf(err, errlen, "truncated minidump: %zu bytes, the header alone needs %" PRIu32, size,
                     HEADER.size);
        else
            snprintf(err, errlen, "not a minidump (%zu bytes, too short for a header)", size);
        return false;
    }
    decode(&HEADER, data, &md->header);
    if (md->header.signature != VM_MD_SIGNATURE) {
        snprintf(err, errlen, "not a minidump (signature 0x%08" PRIx32 ", expected 0x%08" PRIx32 " \"MDMP\")",
                 md->header.signature, (uint32_t)VM_MD_SIGNATURE);
        return false;
    }
    uint64_t n = md->header.number_of_streams, rva = md->header.stream_directory_rva;
    if (!span(data, size, rva, n * DIRECTORY.size)) {
        snprintf(err, errlen,
                 "truncated or corrupt minidump: stream directory at RVA 0x%" PRIx64 " (%" PRIu64
                 " entries of 12 bytes) lies outside the file (%zu bytes)",
                 rva, n, size);
        return false;
    }
    if ((md->header.version & 0xffff) != VM_MD_VERSION)
        warn(md, "unexpected header version 0x%04" PRIx32 " (reading it anyway)", md->header.version & 0xffff);
    md->bits = 64;
    md_ctx c = {md, 0};
    bool ok = decode_array(&DIRECTORY, data + rva, (size_t)n, DIRECTORY.size, sizeof *md->dir, (void **)&md->dir);
    if (ok) {
        md->ndir = (size_t)n;
        ok = parse_streams(&c);
    }
    if (!ok) {
        vm_md_free(md);
        snprintf(err, errlen, "out of memory reading the minidump");
        return false;
    }
    if (!md->has_system_info)
        warn(md, "no SystemInfo stream: architecture and OS unknown (assuming 64-bit)");
    normalise_ranges(md);
    return true;
}

static void free_modules(vm_md_module *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].name);
    free(m);
}

void vm_md_free(vm_minidump *md)
{
    if (!md)
        return;
    free(md->dir);
    free(md->csd_version);
    for (size_t i = 0; i < md->nthreads; i++)
        free(md->threads[i].name);
    free(md->threads);
    free_modules(md->modules, md->nmodules);
    free_modules(md->unloaded, md->nunloaded);
    free(md->meminfo);
    free(md->thread_info);
    free(md->ranges);
    for (size_t i = 0; i < md->nwarnings; i++)
        free(md->warnings[i]);
    memset(md, 0, sizeof *md);
}
