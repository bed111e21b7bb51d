/* Minidump reader tests over dumps built here byte by byte from the MINIDUMP_* layouts
 * (minidumpapiset.h, written out again independently of the parser's tables): x64, x86 and ARM64
 * dumps with every stream we read (ThreadList, ModuleList, MemoryList or Memory64List,
 * SystemInfo, MiscInfo, MemoryInfoList, ThreadInfoList, UnloadedModuleList, ThreadNames), the map
 * they give (stacks, images, partial maps), and hostile variants: bad signature, directory out of
 * bounds, RVA overflow, absurd counts, entry sizes smaller than known, broken strings, and the
 * valid dump truncated at every length.
 *
 * VMMAP_MINIDUMP_SEEDS=DIR writes the synthetic dumps there (the fuzzer's seeds:
 * tests/fuzz/corpus/fuzz_minidump/). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json_reload.h"
#include "vmmap/parse/minidump.h"
#include "vmmap/capture/capture.h"
#include "vmmap/sources/minidump/minidump_source.h"

/* ---- a byte buffer and a dump assembler ---- */

typedef struct buf {
    uint8_t *p;
    size_t n;
} buf;

static size_t put(buf *b, const void *src, size_t n)
{
    uint8_t *np = realloc(b->p, b->n + n + 1);
    assert_non_null(np);
    b->p = np;
    if (src)
        memcpy(b->p + b->n, src, n);
    else
        memset(b->p + b->n, 0, n);
    size_t at = b->n;
    b->n += n;
    return at;
}

static void set_le(uint8_t *p, uint64_t v, int width)
{
    for (int i = 0; i < width; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t put_le(buf *b, uint64_t v, int width)
{
    uint8_t t[8];
    set_le(t, v, width);
    return put(b, t, (size_t)width);
}
#define P16(b, v) put_le((b), (v), 2)
#define P32(b, v) put_le((b), (v), 4)
#define P64(b, v) put_le((b), (v), 8)

/* MINIDUMP_STRING from ASCII. */
static uint32_t put_string(buf *b, const char *s)
{
    size_t at = P32(b, strlen(s) * 2);
    for (const char *c = s; *c; c++)
        P16(b, (uint8_t)*c);
    P16(b, 0);
    return (uint32_t)at;
}

typedef struct dump {
    buf f;
    uint32_t type[24], rva[24], size[24];
    size_t n, cur;
} dump;

static void stream_begin(dump *d, uint32_t type)
{
    d->cur = d->n++;
    d->type[d->cur] = type;
    d->rva[d->cur] = (uint32_t)d->f.n;
}

static void stream_end(dump *d) { d->size[d->cur] = (uint32_t)(d->f.n - d->rva[d->cur]); }

/* Header and directory go at the end of the file here (writers may place them anywhere). */
static uint8_t *dump_finish(dump *d, size_t *len)
{
    uint32_t dir = (uint32_t)d->f.n;
    for (size_t i = 0; i < d->n; i++) {
        P32(&d->f, d->type[i]);
        P32(&d->f, d->size[i]);
        P32(&d->f, d->rva[i]);
    }
    uint8_t *h = d->f.p;
    set_le(h, 0x504d444d, 4);
    set_le(h + 4, 0xa793, 4);
    set_le(h + 8, d->n, 4);
    set_le(h + 12, dir, 4);
    set_le(h + 20, 1610106429, 4); /* 2021-01-08T11:47:09Z */
    set_le(h + 24, 0x2, 8);
    *len = d->f.n;
    return d->f.p;
}

/* ---- the synthetic process ---- */

enum { ARCH_X86 = 0, ARCH_AMD64 = 9, ARCH_ARM64 = 12 };

typedef struct spec {
    uint16_t arch;
    bool mem64;      /* Memory64List instead of MemoryList */
    bool meminfo;    /* a MemoryInfoList */
    bool extras;     /* ThreadInfoList, UnloadedModuleList, ThreadNames, a duplicate stream */
} spec;

#define TID 100u
#define TID2 200u
#define PEB 0x7ff5c000u
#define TEB 0x7ff5e000u
#define STACK_RES 0x700000u
#define STACK_GUARD 0x7fc000u
#define STACK_LIMIT 0x7fe000u
#define STACK_BASE 0x800000u
#define SP 0x7fe800u
#define STACK2_LO 0x900000u /* second thread: no TEB, stack from its descriptor */
#define STACK2_SP 0x93f000u
#define STACK2_HI 0x940000u

static bool is64(const spec *s) { return s->arch != ARCH_X86; }
static uint64_t exe_base(const spec *s) { return is64(s) ? UINT64_C(0x140000000) : 0x7ff70000u; }
static uint64_t dll_base(const spec *s) { return is64(s) ? UINT64_C(0x7ffb00000000) : UINT64_C(0x80000000); }

typedef struct mi { uint64_t base, alloc, size; uint32_t aprot, state, prot, type; } mi;

static size_t regions(const spec *s, mi *out)
{
    uint64_t exe = exe_base(s), dll = dll_base(s), top = is64(s) ? UINT64_C(0x7fffffff0000) : UINT64_C(0xffff0000);
    const mi r[] = {
        {0, 0, STACK_RES, 0, 0x10000, 0x01, 0},
        {STACK_RES, STACK_RES, STACK_GUARD - STACK_RES, 0x04, 0x2000, 0, 0x20000},
        {STACK_GUARD, STACK_RES, STACK_LIMIT - STACK_GUARD, 0x04, 0x1000, 0x104, 0x20000},
        {STACK_LIMIT, STACK_RES, STACK_BASE - STACK_LIMIT, 0x04, 0x1000, 0x04, 0x20000},
        {STACK_BASE, 0, STACK2_LO - STACK_BASE, 0, 0x10000, 0x01, 0},
        {STACK2_LO, STACK2_LO, STACK2_HI - STACK2_LO, 0x04, 0x1000, 0x04, 0x20000},
        {STACK2_HI, 0, PEB - STACK2_HI, 0, 0x10000, 0x01, 0},
        {PEB, PEB, 0x4000, 0x04, 0x1000, 0x04, 0x20000},
        {PEB + 0x4000, 0, exe - PEB - 0x4000, 0, 0x10000, 0x01, 0},
        {exe, exe, 0x1000, 0x80, 0x1000, 0x02, 0x1000000},
        {exe + 0x1000, exe, 0xf000, 0x80, 0x1000, 0x20, 0x1000000},
        {exe + 0x10000, 0, dll - exe - 0x10000, 0, 0x10000, 0x01, 0},
        {dll, dll, 0x20000, 0x80, 0x1000, 0x20, 0x1000000},
        {dll + 0x20000, 0, top - dll - 0x20000, 0, 0x10000, 0x01, 0},
    };
    memcpy(out, r, sizeof r);
    return sizeof r / sizeof r[0];
}

static uint64_t nonfree_total(const spec *s)
{
    mi r[32];
    size_t n = regions(s, r);
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += r[i].state != 0x10000 ? r[i].size : 0;
    return t;
}

typedef struct capture { uint64_t start; uint32_t size; uint32_t rva; } capture;

/* Memory bytes: the stack from SP, the PEB page, and the TEB as two adjacent ranges. */
static size_t put_memory(const spec *s, buf *f, capture *c)
{
    bool b64 = is64(s);
    unsigned ptr = b64 ? 8 : 4;
    uint8_t teb[0x2000] = {0}, peb[0x1000] = {0}, stack[STACK_BASE - SP], stack2[STACK2_HI - STACK2_SP];
    memset(stack, 0xab, sizeof stack);
    memset(stack2, 0xcd, sizeof stack2);
    set_le(teb + (b64 ? 0x08 : 0x04), STACK_BASE, (int)ptr);
    set_le(teb + (b64 ? 0x10 : 0x08), STACK_LIMIT, (int)ptr);
    set_le(teb + (b64 ? 0x30 : 0x18), TEB, (int)ptr);
    set_le(teb + (b64 ? 0x60 : 0x30), PEB, (int)ptr);
    set_le(teb + (b64 ? 0x1478 : 0xe0c), STACK_RES, (int)ptr);
    set_le(peb + (b64 ? 0x10 : 0x08), exe_base(s), (int)ptr);
    const struct { uint64_t start; const uint8_t *p; uint32_t n; } m[] = {
        {TEB + 0x1000, teb + 0x1000, 0x1000}, /* listed before its neighbour: the reader sorts */
        {SP, stack, sizeof stack},
        {PEB, peb, sizeof peb},
        {TEB, teb, 0x1000},
        {STACK2_SP, stack2, sizeof stack2},
    };
    for (size_t i = 0; i < 5; i++)
        c[i] = (capture){m[i].start, m[i].n, (uint32_t)put(f, m[i].p, m[i].n)};
    return 5;
}

static uint8_t *build_dump(const spec *s, size_t *len)
{
    dump d = {0};
    put(&d.f, NULL, 32);
    bool b64 = is64(s);
    uint64_t exe = exe_base(s), dll = dll_base(s);
    /* strings */
    uint32_t exe_name = put_string(&d.f, b64 ? "C:\\app\\app.exe" : "C:\\app32\\app32.exe");
    uint32_t dll_name = put_string(&d.f, "C:\\Windows\\System32\\ntdll.dll");
    uint32_t gone_name = put_string(&d.f, "C:\\Windows\\System32\\gone.dll");
    uint32_t csd = put_string(&d.f, "");
    size_t tname = P32(&d.f, 8); /* "main" + a surrogate pair (U+1F600) + "!" */
    P16(&d.f, 'm'); P16(&d.f, 'a'); P16(&d.f, 0xd83d); P16(&d.f, 0xde00);
    capture cap[8];
    size_t ncap = put_memory(s, &d.f, cap);

    stream_begin(&d, VM_MD_STREAM_SYSTEM_INFO);
    P16(&d.f, s->arch); P16(&d.f, 6); P16(&d.f, 0x5e03); put(&d.f, (uint8_t[]){8, 1}, 2);
    P32(&d.f, 10); P32(&d.f, 0); P32(&d.f, 19041); P32(&d.f, 2); P32(&d.f, csd); P16(&d.f, 0x100); P16(&d.f, 0);
    put(&d.f, NULL, 24);
    stream_end(&d);

    stream_begin(&d, VM_MD_STREAM_MISC_INFO);
    P32(&d.f, 24); P32(&d.f, 3); P32(&d.f, 4242); P32(&d.f, 1610106258); P32(&d.f, 19); P32(&d.f, 8);
    stream_end(&d);

    stream_begin(&d, VM_MD_STREAM_THREAD_LIST);
    P32(&d.f, 2);
    const struct { uint32_t tid; uint64_t teb, sp; uint32_t n, rva; } th[] = {
        {TID, TEB, SP, cap[1].size, cap[1].rva}, {TID2, 0, STACK2_SP, cap[4].size, cap[4].rva}};
    for (size_t i = 0; i < 2; i++) {
        P32(&d.f, th[i].tid); P32(&d.f, 0); P32(&d.f, 0x20); P32(&d.f, 0);
        P64(&d.f, th[i].teb); P64(&d.f, th[i].sp); P32(&d.f, th[i].n); P32(&d.f, th[i].rva);
        P32(&d.f, 0); P32(&d.f, 0);
    }
    stream_end(&d);

    stream_begin(&d, VM_MD_STREAM_MODULE_LIST);
    P32(&d.f, 2);
    const struct { uint64_t base; uint32_t size, name; } mod[] = {{exe, 0x10000, exe_name}, {dll, 0x20000, dll_name}};
    for (size_t i = 0; i < 2; i++) {
        /* an x86 writer may sign-extend addresses above 2 GiB */
        uint64_t base = !b64 && mod[i].base >= 0x80000000u ? mod[i].base | UINT64_C(0xffffffff00000000) : mod[i].base;
        P64(&d.f, base); P32(&d.f, mod[i].size); P32(&d.f, 0x1234); P32(&d.f, 0x5f5e1000); P32(&d.f, mod[i].name);
        put(&d.f, NULL, 108 - 24);
    }
    stream_end(&d);

    if (s->mem64) {
        /* Memory64List: the data must be contiguous, so copy it again in descriptor order */
        size_t base = d.f.n;
        for (size_t i = 0; i < ncap; i++) {
            size_t at = put(&d.f, NULL, cap[i].size); /* put may move the buffer: copy after */
            memcpy(d.f.p + at, d.f.p + cap[i].rva, cap[i].size);
        }
        stream_begin(&d, VM_MD_STREAM_MEMORY64_LIST);
        P64(&d.f, ncap); P64(&d.f, base);
        for (size_t i = 0; i < ncap; i++) {
            P64(&d.f, cap[i].start); P64(&d.f, cap[i].size);
        }
    } else {
        stream_begin(&d, VM_MD_STREAM_MEMORY_LIST);
        P32(&d.f, ncap);
        for (size_t i = 0; i < ncap; i++) {
            P64(&d.f, cap[i].start); P32(&d.f, cap[i].size); P32(&d.f, cap[i].rva);
        }
    }
    stream_end(&d);

    if (s->meminfo) {
        mi r[32];
        size_t n = regions(s, r);
        stream_begin(&d, VM_MD_STREAM_MEMORY_INFO_LIST);
        P32(&d.f, 16); P32(&d.f, 48); P64(&d.f, n);
        for (size_t i = 0; i < n; i++) {
            P64(&d.f, r[i].base); P64(&d.f, r[i].alloc); P32(&d.f, r[i].aprot); P32(&d.f, 0);
            P64(&d.f, r[i].size); P32(&d.f, r[i].state); P32(&d.f, r[i].prot); P32(&d.f, r[i].type); P32(&d.f, 0);
        }
        stream_end(&d);
    }
    if (s->extras) {
        stream_begin(&d, VM_MD_STREAM_THREAD_INFO_LIST);
        P32(&d.f, 12); P32(&d.f, 72); P32(&d.f, 2); /* entries larger than we know: honoured */
        for (uint32_t i = 0; i < 2; i++) {
            P32(&d.f, i ? TID2 : TID); put(&d.f, NULL, 64 - 4 + 8);
        }
        stream_end(&d);
        stream_begin(&d, VM_MD_STREAM_UNLOADED_MODULE_LIST);
        P32(&d.f, 12); P32(&d.f, 24); P32(&d.f, 1);
        P64(&d.f, 0x10000000); P32(&d.f, 0x3000); P32(&d.f, 0); P32(&d.f, 0); P32(&d.f, gone_name);
        stream_end(&d);
        stream_begin(&d, VM_MD_STREAM_THREAD_NAMES);
        P32(&d.f, 2);
        P32(&d.f, TID); P64(&d.f, tname);
        P32(&d.f, 999); P64(&d.f, tname); /* a name for a thread that does not exist */
        stream_end(&d);
        stream_begin(&d, VM_MD_STREAM_MISC_INFO); /* duplicate: ignored */
        P32(&d.f, 24); P32(&d.f, 1); P32(&d.f, 1); put(&d.f, NULL, 12);
        stream_end(&d);
        stream_begin(&d, 0x47670001); /* unknown to the reader: skipped */
        put(&d.f, NULL, 8);
        stream_end(&d);
    }
    return dump_finish(&d, len);
}

static const spec X64_FULL = {ARCH_AMD64, false, true, true};
static const spec X64_MEM64 = {ARCH_AMD64, true, true, false};
static const spec X86_FULL = {ARCH_X86, false, true, true};
static const spec X86_MEM64_PARTIAL = {ARCH_X86, true, false, true};
static const spec X64_PARTIAL = {ARCH_AMD64, false, false, false};
static const spec ARM64_FULL = {ARCH_ARM64, false, true, true};

/* ---- helpers over the results ---- */

static bool has_warning(const vm_minidump *md, const char *needle)
{
    for (size_t i = 0; i < md->nwarnings; i++)
        if (strstr(md->warnings[i], needle))
            return true;
    return false;
}

static bool snap_warning(const vm_snapshot *s, const char *needle)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        if (strstr(s->warnings[i].message, needle) || strcmp(s->warnings[i].code, needle) == 0)
            return true;
    return false;
}

static const vm_block *block_at(const vm_snapshot *s, uint64_t a)
{
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++) {
            const vm_block *b = &s->regions[i].blocks[j];
            if (a >= b->address && a - b->address < b->size)
                return b;
        }
    return NULL;
}

static uint64_t mapped_total(const vm_snapshot *s)
{
    uint64_t t = 0;
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++) {
            const vm_block *b = &s->regions[i].blocks[j];
            t += b->kind != VM_KIND_FREE && b->kind != VM_KIND_UNUSABLE ? b->size : 0;
        }
    return t;
}

static void parse_ok(const uint8_t *d, size_t n, vm_minidump *md)
{
    char err[256] = "";
    bool ok = vm_md_parse(d, n, md, err, sizeof err);
    if (!ok)
        fail_msg("parse failed: %s", err);
}

/* ---- well-formed dumps ---- */

static void test_x64_all_streams(void **state)
{
    size_t n;
    uint8_t *d = build_dump(&X64_FULL, &n);
    vm_minidump md;
    parse_ok(d, n, &md);
    assert_int_equal(md.bits, 64);
    assert_string_equal(vm_md_arch_name(md.sys.processor_architecture), "x86_64");
    char os[64];
    vm_md_os_string(&md, os, sizeof os);
    assert_string_equal(os, "Windows 10.0.19041");
    assert_int_equal(md.nthreads, 2);
    assert_int_equal(md.threads[0].thread_id, TID);
    assert_int_equal(md.threads[0].teb, TEB);
    assert_string_equal(md.threads[0].name, "ma\xf0\x9f\x98\x80");
    assert_null(md.threads[1].name);
    assert_int_equal(md.nthread_names, 1);
    assert_true(has_warning(&md, "belong to no thread"));
    assert_int_equal(md.nmodules, 2);
    assert_string_equal(md.modules[0].name, "C:\\app\\app.exe");
    assert_int_equal(md.modules[1].base, UINT64_C(0x7ffb00000000));
    assert_int_equal(md.nunloaded, 1);
    assert_string_equal(md.unloaded[0].name, "C:\\Windows\\System32\\gone.dll");
    assert_int_equal(md.nthread_info, 2);
    assert_int_equal(md.thread_info[1].thread_id, TID2);
    assert_int_equal(md.nmeminfo, 14);
    assert_int_equal(md.misc.process_id, 4242); /* the first MiscInfo wins */
    assert_true(has_warning(&md, "duplicate MiscInfo"));
    assert_int_equal(md.nranges, 5);
    for (size_t i = 1; i < md.nranges; i++)
        assert_true(md.ranges[i - 1].start + md.ranges[i - 1].size <= md.ranges[i].start);
    assert_int_equal(md.captured_bytes, 0x2000 + 0x1000 + (STACK_BASE - SP) + (STACK2_HI - STACK2_SP));

    /* the reader: one range, two adjacent ones, an uncaptured tail */
    vm_memreader r = vm_md_memreader(&md);
    uint64_t v = 0;
    assert_true(vm_read_u64(&r, TEB + 0x60, &v));
    assert_int_equal(v, PEB);
    assert_true(vm_read_u64(&r, TEB + 0x1478, &v));
    assert_int_equal(v, STACK_RES);
    uint8_t big[0x2000];
    assert_int_equal(r.read(r.ctx, TEB, big, sizeof big), sizeof big);
    assert_int_equal(r.read(r.ctx, TEB + 0x1ff0, big, 0x100), 0x10);
    assert_int_equal(r.read(r.ctx, PEB + 0x1000, big, 8), 0);
    assert_int_equal(r.read(r.ctx, UINT64_MAX - 4, big, 16), 0);
    assert_int_equal(r.read(r.ctx, 0, big, 16), 0);
    vm_md_free(&md);
    free(d);
}

static void test_x86_memory64_sign_extended(void **state)
{
    size_t n;
    uint8_t *d = build_dump(&X86_MEM64_PARTIAL, &n);
    vm_minidump md;
    parse_ok(d, n, &md);
    assert_int_equal(md.bits, 32);
    assert_true(md.has_memory64_list);
    assert_false(md.has_memory_list);
    assert_int_equal(md.nmemory64_list, 5);
    assert_int_equal(md.modules[1].base, 0x80000000u);
    vm_memreader r = vm_md_memreader(&md);
    uint32_t v = 0;
    assert_true(vm_read_u32(&r, TEB + 0x30, &v));
    assert_int_equal(v, PEB);
    assert_true(vm_read_u32(&r, TEB + 0xe0c, &v));
    assert_int_equal(v, STACK_RES);
    vm_md_free(&md);
    free(d);
}

static void check_map(const spec *sp, bool stack_from_teb)
{
    size_t n;
    uint8_t *d = build_dump(sp, &n);
    vm_snapshot *s = NULL;
    vm_error err = {0};
    int rc = vm_minidump_capture_buffer(d, n, "synthetic.dmp", &s, &err);
    if (rc != 0)
        fail_msg("capture failed: %s", err.msg);
    assert_string_equal(s->source, "minidump");
    assert_string_equal(s->os, "Windows 10.0.19041");
    assert_string_equal(s->taken_at, "2021-01-08T11:47:09Z");
    assert_int_equal(s->process.pid, 4242);
    assert_string_equal(s->process.name, is64(sp) ? "app.exe" : "app32.exe");
    assert_int_equal(s->process.bits, is64(sp) ? 64 : 32);
    assert_int_equal(s->nthreads, 2);
    assert_int_equal(s->nmodules, 2);
    /* stacks: the first thread's whole reservation when its TEB is read, else the captured part */
    const vm_block *b = block_at(s, STACK_BASE - 0x10);
    assert_non_null(b);
    assert_int_equal(b->kind, VM_KIND_STACK);
    assert_int_equal(b->thread_id, TID);
    if (stack_from_teb) {
        b = block_at(s, STACK_GUARD);
        assert_non_null(b);
        assert_int_equal(b->kind, VM_KIND_STACK);
        assert_int_equal(b->thread_id, TID);
    }
    b = block_at(s, STACK2_HI - 0x10);
    assert_non_null(b);
    assert_int_equal(b->kind, VM_KIND_STACK);
    assert_int_equal(b->thread_id, TID2);
    for (size_t i = 0; i < 2; i++) {
        uint64_t base = i ? dll_base(sp) : exe_base(sp);
        b = block_at(s, base);
        assert_non_null(b);
        assert_int_equal(b->kind, VM_KIND_IMAGE);
        b = block_at(s, base + 0xfff0);
        assert_non_null(b);
        assert_int_equal(b->kind, VM_KIND_IMAGE);
    }
    if (sp->meminfo) {
        assert_int_equal(mapped_total(s), nonfree_total(sp));
        assert_false(snap_warning(s, "partial map"));
    } else {
        assert_true(snap_warning(s, "partial map"));
    }
    if (sp->extras)
        assert_true(snap_warning(s, "unloaded modules (1): gone.dll@0x10000000"));
    assert_true(snap_warning(s, "heaps-not-captured"));
    vm_snapshot_free(s);
    free(d);
}

static void test_map_x64(void **state) { check_map(&X64_FULL, true); }
static void test_map_x64_mem64(void **state) { check_map(&X64_MEM64, true); }
static void test_map_x86(void **state) { check_map(&X86_FULL, true); }
static void test_map_x86_partial(void **state) { check_map(&X86_MEM64_PARTIAL, false); }
static void test_map_x64_partial(void **state) { check_map(&X64_PARTIAL, false); }

/* ARM64: the TEBs and the PEB are read as on x64 (the same NT_TIB and PEB offsets), so the first
 * thread's stack has its whole reservation from its TEB and the TEB pages are labelled.  (TEBs were not read on ARM64: stacks were the captured part only.) */
static void test_map_arm64(void **state)
{
    check_map(&ARM64_FULL, true);
    size_t n;
    uint8_t *d = build_dump(&ARM64_FULL, &n);
    vm_snapshot *s = NULL;
    vm_error err = {0};
    assert_int_equal(vm_minidump_capture_buffer(d, n, "arm64.dmp", &s, &err), 0);
    assert_string_equal(s->arch, "arm64");
    assert_false(snap_warning(s, "ARM64 dump"));
    assert_int_equal(s->threads[0].teb, TEB);
    assert_int_equal(s->threads[0].stack_base, STACK_BASE);
    assert_string_equal(s->threads[0].found_by, "TEB");
    const vm_block *teb = block_at(s, TEB);
    assert_non_null(teb);
    assert_non_null(teb->details);
    assert_non_null(strstr(teb->details, "TEB"));
    vm_snapshot_free(s);
    free(d);
}

/* ---- hostile dumps ---- */

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* The directory entry of the first stream of type t. */
static uint8_t *dir_entry(uint8_t *d, uint32_t t)
{
    uint32_t n = get32(d + 8), rva = get32(d + 12);
    for (uint32_t i = 0; i < n; i++)
        if (get32(d + rva + 12 * i) == t)
            return d + rva + 12 * i;
    fail_msg("no stream %u", t);
    return NULL;
}

static uint8_t *stream_of(uint8_t *d, uint32_t t) { return d + get32(dir_entry(d, t) + 8); }

static void expect_parse_error(const uint8_t *d, size_t n, const char *needle)
{
    vm_minidump md;
    char err[256] = "";
    assert_false(vm_md_parse(d, n, &md, err, sizeof err));
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not say \"%s\"", err, needle);
    vm_snapshot *s = NULL;
    vm_error e = {0};
    assert_int_equal(vm_minidump_capture_buffer(d, n, "bad.dmp", &s, &e), VM_EXIT_BAD_INPUT);
    assert_null(s);
    assert_non_null(strstr(e.msg, "bad.dmp: "));
}

/* Parses (must succeed), checks a warning, and maps without crashing. */
static void expect_warning(const uint8_t *d, size_t n, const char *needle)
{
    vm_minidump md;
    parse_ok(d, n, &md);
    if (!has_warning(&md, needle)) {
        for (size_t i = 0; i < md.nwarnings; i++)
            print_message("warning: %s\n", md.warnings[i]);
        fail_msg("no warning saying \"%s\"", needle);
    }
    vm_md_free(&md);
    vm_snapshot *s = NULL;
    vm_error e = {0};
    if (vm_minidump_capture_buffer(d, n, "odd.dmp", &s, &e) == 0)
        vm_snapshot_free(s);
}

static void test_bad_signature(void **state)
{
    size_t n;
    uint8_t *d = build_dump(&X64_FULL, &n);
    d[0] = 'P';
    expect_parse_error(d, n, "not a minidump (signature 0x");
    expect_parse_error(d, 3, "not a minidump");
    expect_parse_error((const uint8_t *)"", 0, "not a minidump");
    free(d);
}

static void test_directory_out_of_bounds(void **state)
{
    size_t n;
    uint8_t *d = build_dump(&X64_FULL, &n);
    uint32_t good = get32(d + 8);
    set_le(d + 8, good + 1, 4);
    expect_parse_error(d, n, "stream directory");
    set_le(d + 8, 0xffffffffu, 4);
    expect_parse_error(d, n, "stream directory");
    set_le(d + 8, good, 4);
    set_le(d + 12, 0xfffffff8u, 4);
    expect_parse_error(d, n, "outside the file");
    free(d);
}

static void test_stream_rva_overflow(void **state)
{
    size_t n;
    uint8_t *d = build_dump(&X64_FULL, &n);
    uint8_t *e = dir_entry(d, VM_MD_STREAM_THREAD_LIST);
    set_le(e + 4, 0x100, 4);
    set_le(e + 8, 0xfffffff0u, 4);
    expect_warning(d, n, "ThreadList stream at RVA 0xfffffff0");
    e = dir_entry(d, VM_MD_STREAM_MODULE_LIST);
    set_le(e + 4, 0xffffffffu, 4); /* runs past the end */
    expect_warning(d, n, "ModuleList stream is truncated");
    free(d);
}

static void test_counts_too_large(void **state)
{
    const uint32_t types[] = {VM_MD_STREAM_THREAD_LIST, VM_MD_STREAM_MODULE_LIST, VM_MD_STREAM_MEMORY_LIST,
                              VM_MD_STREAM_THREAD_NAMES};
    const char *names[] = {"ThreadList declares", "ModuleList declares", "MemoryList declares", "ThreadNames declares"};
    for (size_t i = 0; i < 4; i++) {
        size_t n;
        uint8_t *d = build_dump(&X64_FULL, &n);
        set_le(stream_of(d, types[i]), 0xfffffff0u, 4);
        expect_warning(d, n, names[i]);
        free(d);
    }
    size_t n;
    uint8_t *d = build_dump(&X64_FULL, &n);
    set_le(stream_of(d, VM_MD_STREAM_MEMORY_INFO_LIST) + 8, UINT64_MAX, 8);
    expect_warning(d, n, "MemoryInfoList declares 18446744073709551615 entries");
    set_le(stream_of(d, VM_MD_STREAM_UNLOADED_MODULE_LIST) + 8, 1000000, 4);
    expect_warning(d, n, "UnloadedModuleList declares 1000000");
    free(d);
    d = build_dump(&X64_MEM64, &n);
    set_le(stream_of(d, VM_MD_STREAM_MEMORY64_LIST), UINT64_C(1) << 60, 8);
    expect_warning(d, n, "Memory64List declares");
    /* data beyond the end of the file: the ranges are clipped */
    set_le(stream_of(d, VM_MD_STREAM_MEMORY64_LIST), 5, 8);
    set_le(stream_of(d, VM_MD_STREAM_MEMORY64_LIST) + 8, n - 0x100, 8);
    expect_warning(d, n, "extend past the end of the file");
    set_le(stream_of(d, VM_MD_STREAM_MEMORY64_LIST) + 8, UINT64_MAX - 0x10, 8);
    expect_warning(d, n, "extend past the end of the file");
    free(d);
}

static void test_entry_sizes(void **state)
{
    size_t n;
    uint8_t *d = build_dump(&X64_FULL, &n);
    uint8_t *mil = stream_of(d, VM_MD_STREAM_MEMORY_INFO_LIST);
    set_le(mil + 4, 40, 4);
    expect_warning(d, n, "SizeOfEntry 40 is smaller than a MINIDUMP_MEMORY_INFO");
    set_le(mil + 4, 48, 4);
    set_le(mil, 8, 4);
    expect_warning(d, n, "SizeOfHeader 8 is invalid");
    set_le(mil, 0xffffff, 4);
    expect_warning(d, n, "SizeOfHeader 16777215 is invalid");
    set_le(mil, 16, 4);
    uint8_t *ti = stream_of(d, VM_MD_STREAM_THREAD_INFO_LIST);
    set_le(ti + 4, 63, 4);
    expect_warning(d, n, "smaller than a MINIDUMP_THREAD_INFO");
    uint8_t *um = stream_of(d, VM_MD_STREAM_UNLOADED_MODULE_LIST);
    set_le(um + 4, 0, 4);
    expect_warning(d, n, "smaller than a MINIDUMP_UNLOADED_MODULE");
    uint8_t *e = dir_entry(d, VM_MD_STREAM_SYSTEM_INFO);
    set_le(e + 4, 10, 4);
    expect_warning(d, n, "SystemInfo stream is too short");
    free(d);
}

static void test_strings(void **state)
{
    buf b = {0};
    size_t odd = P32(&b, 5);
    P16(&b, 'a'); P16(&b, 'b'); put(&b, "c", 1);
    size_t huge = P32(&b, 0x7fffffff);
    size_t past = P32(&b, 64);
    P16(&b, 'x');
    const char *why = NULL;
    char *s = vm_md_string(b.p, b.n, odd, &why);
    assert_string_equal(s, "ab");
    free(s);
    assert_null(vm_md_string(b.p, b.n, huge, &why));
    assert_string_equal(why, "its length is implausible");
    assert_null(vm_md_string(b.p, b.n, past, &why));
    assert_string_equal(why, "it runs past the end of the file");
    assert_null(vm_md_string(b.p, b.n, b.n - 2, &why));
    assert_null(vm_md_string(b.p, b.n, UINT64_MAX - 1, &why));
    assert_string_equal(why, "its length field lies outside the file");
    /* unpaired surrogates, an embedded NUL, control characters, no terminator at all */
    buf c = {0};
    P32(&c, 12);
    P16(&c, 0xdc00); P16(&c, 'z'); P16(&c, 0xd800); P16(&c, 0x07); P16(&c, 0); P16(&c, 'q');
    s = vm_md_string(c.p, c.n, 0, &why);
    assert_string_equal(s, "\xef\xbf\xbdz\xef\xbf\xbd?");
    free(s);
    free(b.p);
    free(c.p);

    /* in a dump: a module name that runs off the end, one with an absurd length */
    size_t n;
    uint8_t *d = build_dump(&X64_FULL, &n);
    uint8_t *ml = stream_of(d, VM_MD_STREAM_MODULE_LIST);
    set_le(ml + 4 + 20, (uint32_t)n - 2, 4);
    set_le(ml + 4 + 108 + 20, 0xffffffffu, 4);
    expect_warning(d, n, "module 0: name at RVA");
    vm_snapshot *snap = NULL;
    vm_error e = {0};
    assert_int_equal(vm_minidump_capture_buffer(d, n, "names.dmp", &snap, &e), 0);
    assert_null(snap->process.name);
    assert_non_null(strstr(snap->modules[0].path, "name not captured"));
    vm_snapshot_free(snap);
    free(d);
}

static void test_nothing_to_map(void **state)
{
    dump d = {0};
    put(&d.f, NULL, 32);
    stream_begin(&d, 0x47670009);
    put(&d.f, "maps", 4);
    stream_end(&d);
    size_t n;
    uint8_t *p = dump_finish(&d, &n);
    vm_snapshot *s = NULL;
    vm_error e = {0};
    assert_int_equal(vm_minidump_capture_buffer(p, n, "empty.dmp", &s, &e), VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(e.msg, "empty.dmp: nothing to map"));
    free(p);
}

/* What every map made from a dump must be: a snapshot that loads again (and is freed here). */
static void expect_reloads(vm_snapshot *s, const char *what)
{
    char why[512];
    if (!vm_snapshot_reloads(s, why, sizeof why))
        fail_msg("%s: the snapshot does not load again: %s", what, why);
    vm_snapshot_free(s);
}

static void set_meminfo(uint8_t *d, size_t i, uint64_t base, uint64_t size, uint32_t state)
{
    uint8_t *e = stream_of(d, VM_MD_STREAM_MEMORY_INFO_LIST) + 16 + 48 * i;
    set_le(e, base, 8);
    set_le(e + 8, base, 8);
    set_le(e + 24, size, 8);
    set_le(e + 32, state, 4);
}

/* MemoryInfoList entries beyond the user address space (a damaged dump): the snapshot said
 * "size 72057594037927936", which vmmap then refused to read.  They are cut at the top of the
 * architecture's user space (Windows x64: 0x7fffffff0000) or left out, with a warning. */
static uint8_t *build_beyond_user_space(size_t *n)
{
    uint8_t *d = build_dump(&X64_FULL, n);
    mi r[32];
    size_t nr = regions(&X64_FULL, r);
    /* the last entry (free up to the top) becomes a reservation of 2^56 bytes */
    set_meminfo(d, nr - 1, r[nr - 1].base, UINT64_C(1) << 56, 0x2000);
    return d;
}

static void test_meminfo_beyond_user_space(void **state)
{
    size_t n;
    uint8_t *d = build_beyond_user_space(&n);
    mi r[32];
    size_t nr = regions(&X64_FULL, r);
    vm_snapshot *s = NULL;
    vm_error e = {0};
    assert_int_equal(vm_minidump_capture_buffer(d, n, "huge.dmp", &s, &e), 0);
    assert_int_equal(s->user_top, UINT64_C(0x7fffffff0000));
    assert_true(snap_warning(s, "1 block reaching past the top of the user address space (0x7fffffff0000): cut"));
    const vm_block *b = block_at(s, UINT64_C(0x7ffffffe0000));
    assert_non_null(b);
    assert_int_equal(b->address + b->size, UINT64_C(0x7fffffff0000));
    expect_reloads(s, "huge.dmp");
    /* the same entry moved above the top: left out */
    set_meminfo(d, nr - 1, UINT64_C(0x7fff00000000000), 0x10000, 0x1000);
    assert_int_equal(vm_minidump_capture_buffer(d, n, "high.dmp", &s, &e), 0);
    assert_int_equal(s->user_top, UINT64_C(0x7fffffff0000));
    assert_true(snap_warning(s, "1 block beyond the user address space (it ends at 0x7fffffff0000)"));
    expect_reloads(s, "high.dmp");
    free(d);
}

/* Every prefix of every synthetic dump: a clear error or a (partial) map that loads again, never a
 * crash. */
static void test_truncated_everywhere(void **state)
{
    const spec *specs[] = {&X64_FULL, &X86_MEM64_PARTIAL};
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        uint8_t *d = build_dump(specs[k], &n);
        for (size_t len = 0; len < n; len += len < 0x200 ? 1 : 7) {
            uint8_t *copy = malloc(len ? len : 1);
            memcpy(copy, d, len);
            vm_snapshot *s = NULL;
            vm_error e = {0};
            int rc = vm_minidump_capture_buffer(copy, len, "cut.dmp", &s, &e);
            if (rc == 0) {
                assert_non_null(s);
                expect_reloads(s, "cut.dmp");
            } else {
                assert_int_equal(rc, VM_EXIT_BAD_INPUT);
                assert_true(strlen(e.msg) > 10);
            }
            free(copy);
        }
        free(d);
    }
}

/* Byte flips all over a valid dump: parse and map must hold, and the map load again. */
static void test_corrupted_bytes(void **state)
{
    size_t n;
    uint8_t *d = build_dump(&X64_FULL, &n);
    uint32_t seed = 12345;
    for (int round = 0; round < 300; round++) {
        uint8_t *copy = malloc(n);
        memcpy(copy, d, n);
        for (int k = 0; k < 8; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = 32 + (seed >> 8) % (n - 32);
            copy[at] = (uint8_t)(seed >> 3);
        }
        vm_snapshot *s = NULL;
        vm_error e = {0};
        if (vm_minidump_capture_buffer(copy, n, "flip.dmp", &s, &e) == 0)
            expect_reloads(s, "flip.dmp");
        free(copy);
    }
    free(d);
}

static void write_seeds(void)
{
    const char *dir = getenv("VMMAP_MINIDUMP_SEEDS");
    if (!dir)
        return;
    const struct { const spec *s; const char *name; } seeds[] = {{&X64_FULL, "synthetic-x64-full.seed"},
                                                                  {&X86_MEM64_PARTIAL, "synthetic-x86-mem64.seed"},
                                                                  {NULL, "synthetic-x64-beyond-user-space.seed"}};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        size_t n;
        uint8_t *d = seeds[i].s ? build_dump(seeds[i].s, &n) : build_beyond_user_space(&n);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, seeds[i].name);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(d, 1, n, f);
            fclose(f);
        }
        free(d);
    }
}

int main(void)
{
    write_seeds();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x64_all_streams),
        cmocka_unit_test(test_x86_memory64_sign_extended),
        cmocka_unit_test(test_map_x64),
        cmocka_unit_test(test_map_x64_mem64),
        cmocka_unit_test(test_map_x86),
        cmocka_unit_test(test_map_x86_partial),
        cmocka_unit_test(test_map_x64_partial),
        cmocka_unit_test(test_map_arm64),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_directory_out_of_bounds),
        cmocka_unit_test(test_stream_rva_overflow),
        cmocka_unit_test(test_counts_too_large),
        cmocka_unit_test(test_entry_sizes),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_nothing_to_map),
        cmocka_unit_test(test_meminfo_beyond_user_space),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_corrupted_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
