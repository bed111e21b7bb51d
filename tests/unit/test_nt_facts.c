/* The Windows facts builder (vmmap/sources/nt/nt_facts.c) over synthetic address spaces: the
 * region list VirtualQueryEx would return, the module and thread lists, and target memory built
 * with synth_mem (PE headers, TEBs, the PEB).  Then the classifier runs on the result, as the
 * CLI does, to check the types a user sees.  Covers what Wine cannot show: x86 and WOW64
 * layouts, unreadable and garbage TEBs, a guard run longer than a page, hostile region lists. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/synth_mem.h"
#include "vmmap/classify/classify.h"
#include "vmmap/parse/pe.h"
#include "vmmap/sources/nt/nt_facts.h"

enum { COMMIT = VM_NT_MEM_COMMIT, RESERVE = VM_NT_MEM_RESERVE, FREE = VM_NT_MEM_FREE };
enum { PRIV = VM_NT_MEM_PRIVATE, MAPPED = VM_NT_MEM_MAPPED, IMAGE = VM_NT_MEM_IMAGE };
enum { NOACCESS = 0x01, RO = 0x02, RW = 0x04, WC = 0x08, RX = 0x20, GUARD = 0x100 };

/* ---- the x64 address space ---------------------------------------------------------------- */

#define IMG UINT64_C(0x140000000)      /* an EXE: headers, .text, .rdata, .data */
#define TEBPEB UINT64_C(0x10000000)    /* PEB page, then the TEB (2 pages), then reserved */
#define PEB_ADDR TEBPEB
#define TEB_ADDR (TEBPEB + 0x1000)
#define STACK UINT64_C(0x20000000)     /* 1 MiB stack: reserve, 2-page guard, 12 KiB committed */
#define STACK_LIMIT (STACK + 0xFD000)
#define STACK_TOP (STACK + 0x100000)
#define BIGRES UINT64_C(0x30000000)    /* 64 MiB reserved, 1 MiB committed */
#define SMALL UINT64_C(0x38000000)     /* 12 KiB private: Unusable tail up to 64 KiB */
#define SECTION UINT64_C(0x40000000)   /* pagefile-backed section: Shareable */
#define FILEMAP UINT64_C(0x41000000)   /* file mapping: Mapped File */
#define DATADLL UINT64_C(0x42000000)   /* a DLL loaded as a data file: Mapped File */
#define HEAP0 UINT64_C(0x50000000)     /* PEB.ProcessHeap, not readable */
#define TID 4120u

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* PE headers (PE32+ or PE32) with .text (RX), .rdata (R) and .data (RW); SizeOfImage 0x6000. */
static void put_pe(synth_mem *m, uint64_t base, int bits)
{
    uint8_t *b = synth_map(m, base, 0x1000);
    put16(b, 0x5A4D);
    put32(b + 0x3C, 0x80);
    uint8_t *nt = b + 0x80;
    put32(nt, 0x4550);
    put16(nt + 4, bits == 64 ? 0x8664 : 0x14c);
    put16(nt + 6, 3);
    uint16_t opt_size = bits == 64 ? 240 : 224;
    put16(nt + 20, opt_size);
    put16(nt + 22, 0x22);
    uint8_t *o = nt + 24;
    put16(o, bits == 64 ? 0x20b : 0x10b);
    put32(o + 32, 0x1000);
    put32(o + 36, 0x200);
    put32(o + 56, 0x6000);
    put32(o + 60, 0x400);
    static const struct { const char *name; uint32_t va, vsize, ch; } secs[] = {
        {".text", 0x1000, 0x1800, 0x60000020},
        {".rdata", 0x3000, 0x900, 0x40000040},
        {".data", 0x4000, 0x1200, 0xC0000040},
    };
    uint8_t *s = o + opt_size;
    for (size_t i = 0; i < 3; i++, s += 40) {
        memcpy(s, secs[i].name, strlen(secs[i].name));
        put32(s + 8, secs[i].vsize);
        put32(s + 12, secs[i].va);
        put32(s + 16, 0x200);
        put32(s + 20, 0x400 + (uint32_t)i * 0x200);
        put32(s + 36, secs[i].ch);
    }
}

typedef struct fixture {
    synth_mem m;
    vm_nt_region regions[32];
    size_t nregions;
    vm_nt_module modules[4];
    vm_nt_thread threads[4];
    vm_nt_input in;
    vm_memreader reader;
    vm_facts facts;
} fixture;

static vm_nt_region *reg(fixture *f, uint64_t base, uint64_t alloc, uint64_t size, uint32_t state,
                         uint32_t protect, uint32_t type, const char *path)
{
    assert_true(f->nregions < sizeof f->regions / sizeof f->regions[0]);
    vm_nt_region *r = &f->regions[f->nregions++];
    memset(r, 0, sizeof *r);
    r->base = base;
    r->alloc_base = state == FREE ? 0 : alloc;
    r->size = size;
    r->state = state;
    r->protect = state == COMMIT ? protect : 0;
    r->type = state == FREE ? 0 : type;
    r->mapped_path = (char *)path;
    return r;
}

static void all_ws(vm_nt_region *r, uint64_t total)
{
    r->ws.known = (1u << VM_C_TOTAL_WS) | (1u << VM_C_PRIVATE_WS) | (1u << VM_C_SHAREABLE_WS) |
                  (1u << VM_C_SHARED_WS) | (1u << VM_C_LOCKED_WS);
    r->ws.v[VM_C_TOTAL_WS] = total;
    r->ws.v[VM_C_PRIVATE_WS] = total;
}

static void x64_space(fixture *f)
{
    memset(f, 0, sizeof *f);
    /* Memory: PE headers, the PEB and the TEB. */
    put_pe(&f->m, IMG, 64);
    synth_map(&f->m, TEBPEB, 0x3000);
    synth_put_u64(&f->m, PEB_ADDR + 0x10, IMG);     /* ImageBaseAddress */
    synth_put_u64(&f->m, PEB_ADDR + 0x30, HEAP0);   /* ProcessHeap: not captured */
    synth_put_u64(&f->m, TEB_ADDR + 0x08, STACK_TOP);
    synth_put_u64(&f->m, TEB_ADDR + 0x10, STACK_LIMIT);
    synth_put_u64(&f->m, TEB_ADDR + 0x30, TEB_ADDR);
    synth_put_u64(&f->m, TEB_ADDR + 0x60, PEB_ADDR);
    synth_put_u64(&f->m, TEB_ADDR + 0x1478, STACK);

    reg(f, 0, 0, TEBPEB, FREE, 0, 0, NULL);
    all_ws(reg(f, TEBPEB, TEBPEB, 0x3000, COMMIT, RW, PRIV, NULL), 0x3000);
    reg(f, TEBPEB + 0x3000, TEBPEB, 0xD000, RESERVE, 0, PRIV, NULL);
    reg(f, STACK, STACK, 0xFB000, RESERVE, 0, PRIV, NULL);
    reg(f, STACK + 0xFB000, STACK, 0x2000, COMMIT, RW | GUARD, PRIV, NULL);
    all_ws(reg(f, STACK_LIMIT, STACK, 0x3000, COMMIT, RW, PRIV, NULL), 0x2000);
    reg(f, BIGRES, BIGRES, 0x100000, COMMIT, RW, PRIV, NULL);
    reg(f, BIGRES + 0x100000, BIGRES, 0x3F00000, RESERVE, 0, PRIV, NULL);
    reg(f, SMALL, SMALL, 0x3000, COMMIT, RW, PRIV, NULL);
    reg(f, SMALL + 0x3000, 0, 0xD000, FREE, 0, 0, NULL);
    reg(f, SECTION, SECTION, 0x10000, COMMIT, RW, MAPPED, NULL);
    reg(f, FILEMAP, FILEMAP, 0x5000, COMMIT, RO, MAPPED, "C:\\data\\file.bin");
    reg(f, DATADLL, DATADLL, 0x6000, COMMIT, RO, MAPPED, "C:\\Windows\\System32\\shell32.dll");
    const char *exe = "C:\\app\\app.exe";
    reg(f, IMG, IMG, 0x1000, COMMIT, RO, IMAGE, exe);
    reg(f, IMG + 0x1000, IMG, 0x2000, COMMIT, RX, IMAGE, exe);
    reg(f, IMG + 0x3000, IMG, 0x1000, COMMIT, RO, IMAGE, exe);
    reg(f, IMG + 0x4000, IMG, 0x2000, COMMIT, WC, IMAGE, exe);

    f->modules[0] = (vm_nt_module){.base = IMG, .size = 0x6000, .path = (char *)exe};
    f->threads[0] = (vm_nt_thread){.tid = TID, .teb = TEB_ADDR, .name = (char *)"worker"};

    f->reader = synth_reader(&f->m);
    f->in = (vm_nt_input){
        .bits = 64, .page_size = 4096, .alloc_granularity = 65536, .user_top = UINT64_C(0x7FFFFFFF0000),
        .peb = PEB_ADDR, .os_build = 19045, .regions = f->regions, .regions_complete = true,
        .modules = f->modules, .nmodules = 1, .threads = f->threads, .nthreads = 1, .mem = &f->reader,
    };
}

static void build(fixture *f)
{
    f->in.nregions = f->nregions;
    f->facts.snap = vm_snapshot_new();
    assert_non_null(f->facts.snap);
    vm_error err;
    assert_int_equal(vm_nt_build_facts(&f->in, &f->facts, &err), VM_EXIT_OK);
}

static void classify(fixture *f)
{
    vm_error err;
    assert_int_equal(vm_classify(&f->facts, &err), VM_EXIT_OK);
}

static void done(fixture *f)
{
    vm_facts_free_blocks(&f->facts);
    vm_snapshot_free(f->facts.snap);
    synth_free(&f->m);
}

static const vm_raw_block *raw_at(const fixture *f, uint64_t addr)
{
    for (size_t i = 0; i < f->facts.nblocks; i++)
        if (f->facts.blocks[i].address == addr)
            return &f->facts.blocks[i];
    fail_msg("no raw block at 0x%llx", (unsigned long long)addr);
    return NULL;
}

static const vm_region *region_at(const vm_snapshot *s, uint64_t addr)
{
    for (size_t i = 0; i < s->nregions; i++)
        if (s->regions[i].address == addr)
            return &s->regions[i];
    fail_msg("no region at 0x%llx", (unsigned long long)addr);
    return NULL;
}

static const vm_block *block_at(const vm_snapshot *s, uint64_t addr)
{
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++)
            if (s->regions[i].blocks[j].address == addr)
                return &s->regions[i].blocks[j];
    fail_msg("no block at 0x%llx", (unsigned long long)addr);
    return NULL;
}

static bool has_warning(const vm_snapshot *s, const char *code)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        if (strcmp(s->warnings[i].code, code) == 0)
            return true;
    return false;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_protection(void **state)
{
    (void)state;
    assert_int_equal(vm_nt_protection(0x01), 0);
    assert_int_equal(vm_nt_protection(0x02), VM_PROT_READ);
    assert_int_equal(vm_nt_protection(0x04), VM_PROT_READ | VM_PROT_WRITE);
    assert_int_equal(vm_nt_protection(0x08), VM_PROT_READ | VM_PROT_WRITE | VM_PROT_COPY);
    assert_int_equal(vm_nt_protection(0x10), VM_PROT_EXEC);
    assert_int_equal(vm_nt_protection(0x20), VM_PROT_READ | VM_PROT_EXEC);
    assert_int_equal(vm_nt_protection(0x40), VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC);
    assert_int_equal(vm_nt_protection(0x80), VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC | VM_PROT_COPY);
    assert_int_equal(vm_nt_protection(0x104), VM_PROT_READ | VM_PROT_WRITE | VM_PROT_GUARD);
    assert_int_equal(vm_nt_protection(0x204), VM_PROT_READ | VM_PROT_WRITE | VM_PROT_NOCACHE);
    assert_int_equal(vm_nt_protection(0x404), VM_PROT_READ | VM_PROT_WRITE | VM_PROT_WCOMBINE);
    assert_int_equal(vm_nt_protection(0), 0);
}

static void test_x64_raw_blocks(void **state)
{
    (void)state;
    fixture f;
    x64_space(&f);
    build(&f);
    vm_snapshot *s = f.facts.snap;
    assert_int_equal(s->page_size, 4096);
    assert_int_equal(s->alloc_granularity, 65536);
    assert_int_equal(s->process.bits, 64);
    assert_false(has_warning(s, "partial-map"));

    /* Free regions are not blocks; the TEB/PEB allocation is split at the PEB and TEB. */
    for (size_t i = 0; i < f.facts.nblocks; i++)
        assert_int_not_equal(f.facts.blocks[i].state, VM_STATE_FREE);
    const vm_raw_block *peb = raw_at(&f, PEB_ADDR), *teb = raw_at(&f, TEB_ADDR);
    assert_int_equal(peb->size, 0x1000);
    assert_string_equal(peb->note, "PEB");
    assert_int_equal(teb->size, 0x2000);
    assert_string_equal(teb->note, "TEB of thread 4120");
    assert_int_equal(teb->alloc_base, TEBPEB);
    /* Working set measured for the whole region, shared out by size. */
    assert_int_equal(peb->counters.v[VM_C_TOTAL_WS] + teb->counters.v[VM_C_TOTAL_WS], 0x3000);
    assert_int_equal(teb->counters.v[VM_C_TOTAL_WS], 0x2000);
    assert_true(teb->counters.known & (1u << VM_C_PRIVATE_WS));
    assert_false(teb->counters.known & (1u << VM_C_PSS));
    assert_false(teb->counters.known & (1u << VM_C_SWAP));

    const vm_raw_block *res = raw_at(&f, TEBPEB + 0x3000);
    assert_int_equal(res->state, VM_STATE_RESERVE);
    assert_int_equal(res->protection, 0);
    assert_null(res->note);
    assert_int_equal(res->counters.v[VM_C_COMMITTED], 0);
    assert_true(res->counters.known & (1u << VM_C_COMMITTED));
    assert_false(res->counters.known & (1u << VM_C_TOTAL_WS)); /* not measured: unknown */

    const vm_raw_block *guard = raw_at(&f, STACK + 0xFB000);
    assert_int_equal(guard->protection, VM_PROT_READ | VM_PROT_WRITE | VM_PROT_GUARD);
    const vm_raw_block *big = raw_at(&f, BIGRES);
    assert_int_equal(big->counters.v[VM_C_COMMITTED], 0x100000);
    assert_int_equal(big->counters.v[VM_C_PRIVATE], 0x100000);

    const vm_raw_block *sec = raw_at(&f, SECTION), *file = raw_at(&f, FILEMAP);
    assert_int_equal(sec->memtype, VM_MEMTYPE_MAPPED);
    assert_true(sec->flags & VM_RAW_SHMEM);
    assert_null(sec->path);
    assert_int_equal(sec->counters.v[VM_C_PRIVATE], 0);
    assert_true(file->flags & VM_RAW_FILE);
    assert_string_equal(file->path, "C:\\data\\file.bin");

    const vm_raw_block *data = raw_at(&f, IMG + 0x4000);
    assert_int_equal(data->memtype, VM_MEMTYPE_IMAGE);
    assert_int_equal(data->protection, VM_PROT_READ | VM_PROT_WRITE | VM_PROT_COPY);
    assert_string_equal(data->path, "C:\\app\\app.exe");
    done(&f);
}

static void test_x64_modules_threads_heaps(void **state)
{
    (void)state;
    fixture f;
    x64_space(&f);
    build(&f);
    vm_snapshot *s = f.facts.snap;

    assert_int_equal(s->nmodules, 1);
    const vm_module *m = &s->modules[0];
    assert_int_equal(m->base, IMG);
    assert_int_equal(m->size, 0x6000);
    assert_string_equal(m->path, "C:\\app\\app.exe");
    assert_int_equal(m->nsections, 4);
    assert_string_equal(m->sections[0].name, "headers");
    assert_string_equal(m->sections[1].name, ".text");
    assert_int_equal(m->sections[1].address, IMG + 0x1000);
    assert_int_equal(m->sections[1].size, 0x2000);
    assert_string_equal(m->sections[3].name, ".data");

    assert_int_equal(s->nthreads, 1);
    const vm_thread *t = &s->threads[0];
    assert_int_equal(t->tid, TID);
    assert_string_equal(t->name, "worker");
    assert_int_equal(t->teb, TEB_ADDR);
    assert_int_equal(t->stack_base, STACK_TOP);
    assert_int_equal(t->stack_limit, STACK_LIMIT);
    assert_int_equal(t->reserve_base, STACK);
    assert_int_equal(t->guard_address, STACK + 0xFB000); /* two pages: found by flag, not size */
    assert_int_equal(t->guard_size, 0x2000);
    assert_string_equal(t->found_by, "TEB");

    /* The PEB's process heap is listed even though its bytes were not captured. */
    assert_int_equal(s->nheaps, 1);
    assert_int_equal(s->heaps[0].address, HEAP0);
    assert_true(has_warning(s, "read-failed"));
    done(&f);
}

static void test_x64_classified(void **state)
{
    (void)state;
    fixture f;
    x64_space(&f);
    build(&f);
    classify(&f);
    vm_snapshot *s = f.facts.snap;

    const vm_region *img = region_at(s, IMG);
    assert_int_equal(img->kind, VM_KIND_IMAGE);
    assert_int_equal(img->nblocks, 4);
    assert_non_null(strstr(block_at(s, IMG + 0x1000)->details, ".text"));
    assert_int_equal(block_at(s, IMG + 0x1000)->module, 0);

    const vm_region *stk = region_at(s, STACK);
    assert_int_equal(stk->kind, VM_KIND_STACK);
    assert_non_null(strstr(stk->details, "Thread 4120"));
    assert_non_null(strstr(block_at(s, STACK + 0xFB000)->details, "(guard)"));
    assert_non_null(strstr(block_at(s, STACK)->details, "(reserved)"));
    assert_int_equal(block_at(s, STACK_LIMIT)->thread_id, TID);

    assert_int_equal(region_at(s, TEBPEB)->kind, VM_KIND_PRIVATE_DATA);
    assert_string_equal(block_at(s, PEB_ADDR)->details, "PEB");
    assert_string_equal(block_at(s, TEB_ADDR)->details, "TEB of thread 4120");

    const vm_region *big = region_at(s, BIGRES);
    assert_int_equal(big->kind, VM_KIND_PRIVATE_DATA);
    assert_int_equal(big->size, 64u << 20);
    assert_int_equal(big->nblocks, 2);
    assert_int_equal(big->blocks[0].state, VM_STATE_COMMIT);
    assert_int_equal(big->blocks[0].size, 1u << 20);
    assert_int_equal(big->blocks[1].state, VM_STATE_RESERVE);

    assert_int_equal(region_at(s, SMALL)->kind, VM_KIND_PRIVATE_DATA);
    const vm_region *tail = region_at(s, SMALL + 0x3000);
    assert_int_equal(tail->kind, VM_KIND_UNUSABLE);
    assert_int_equal(tail->size, 0xD000);

    assert_int_equal(region_at(s, SECTION)->kind, VM_KIND_SHAREABLE);
    assert_int_equal(region_at(s, FILEMAP)->kind, VM_KIND_MAPPED_FILE);
    /* LoadLibraryEx(AS_DATAFILE): MEM_MAPPED, not a module: a Mapped File, not an Image. */
    assert_int_equal(region_at(s, DATADLL)->kind, VM_KIND_MAPPED_FILE);
    assert_int_equal(region_at(s, DATADLL)->blocks[0].module, -1);
    done(&f);
}

static void test_teb_unreadable(void **state)
{
    (void)state;
    fixture f;
    x64_space(&f);
    synth_unmap(&f.m, TEBPEB);
    /* Thread 1: a minidump-style captured stack range (SP .. StackBase); thread 2: nothing. */
    f.threads[0].stack_start = STACK_TOP - 0x800;
    f.threads[0].stack_size = 0x800;
    f.threads[1] = (vm_nt_thread){.tid = 77, .teb = UINT64_C(0x6000000)};
    f.in.nthreads = 2;
    build(&f);
    vm_snapshot *s = f.facts.snap;
    assert_true(has_warning(s, "teb-unreadable"));
    assert_true(has_warning(s, "thread-stack"));
    assert_true(synth_has_warning(s, "read-failed", "PEB"));
    assert_int_equal(s->nthreads, 2);
    const vm_thread *t = &s->threads[0];
    assert_string_equal(t->found_by, "minidump thread list");
    assert_int_equal(t->stack_base, STACK_TOP);
    assert_int_equal(t->reserve_base, STACK);
    assert_int_equal(t->guard_address, STACK + 0xFB000);
    assert_int_equal(t->stack_limit, STACK_LIMIT);
    assert_int_equal(s->threads[1].stack_base, 0);
    assert_null(s->threads[1].found_by);
    /* The TEB page is still labelled from the thread list's address. */
    assert_string_equal(raw_at(&f, TEB_ADDR)->note, "TEB of thread 4120");
    classify(&f);
    assert_int_equal(region_at(s, STACK)->kind, VM_KIND_STACK);
    done(&f);
}

static void test_teb_garbage(void **state)
{
    (void)state;
    static const struct { uint64_t base, limit; } bad[] = {
        {STACK + 0x1000, STACK_TOP},            /* limit above base */
        {0, 0},                                 /* empty */
        {STACK_TOP + 3, STACK_LIMIT},           /* unaligned */
        {UINT64_C(0xFFFFFFFFFFFFF000), 0x1000}, /* beyond the user address space */
        {SMALL + 0x3000, STACK_LIMIT},          /* spans two allocations */
        {BIGRES + 0x10000, BIGRES},             /* in a known allocation that is not the stack's */
        {UINT64_C(0x60001000), UINT64_C(0x60000000)}, /* in no allocation at all */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture f;
        x64_space(&f);
        synth_put_u64(&f.m, TEB_ADDR + 0x08, bad[i].base);
        synth_put_u64(&f.m, TEB_ADDR + 0x10, bad[i].limit);
        build(&f);
        vm_snapshot *s = f.facts.snap;
        const vm_thread *t = &s->threads[0];
        if (i == 5) {
            /* Plausible as a stack: accepted, but DeallocationStack disagrees: a warning. */
            assert_true(has_warning(s, "thread-stack"));
            assert_int_equal(t->reserve_base, BIGRES);
        } else {
            assert_true(has_warning(s, "teb-invalid"));
            assert_int_equal(t->stack_base, 0);
            assert_true(has_warning(s, "thread-stack"));
        }
        classify(&f);
        done(&f);
    }
    /* A DeallocationStack that disagrees with the allocation base: the allocation base wins. */
    fixture f;
    x64_space(&f);
    synth_put_u64(&f.m, TEB_ADDR + 0x1478, STACK + 0x5000);
    build(&f);
    assert_int_equal(f.facts.snap->threads[0].reserve_base, STACK);
    assert_true(has_warning(f.facts.snap, "thread-stack"));
    done(&f);
}

#define X86_IMG UINT64_C(0x400000)
#define X86_TEB UINT64_C(0x7EFDD000)
#define X86_PEB UINT64_C(0x7EFDE000)
#define X86_STACK UINT64_C(0x00200000)

static void x86_space(fixture *f, bool wow64)
{
    memset(f, 0, sizeof *f);
    put_pe(&f->m, X86_IMG, 32);
    uint64_t teb32 = wow64 ? X86_TEB + 0x2000 : X86_TEB;
    synth_map(&f->m, X86_TEB, 0x3000);
    synth_map(&f->m, X86_PEB + 0x2000, 0x1000);
    synth_put_u32(&f->m, teb32 + 0x04, (uint32_t)(X86_STACK + 0x40000));
    synth_put_u32(&f->m, teb32 + 0x08, (uint32_t)(X86_STACK + 0x3E000));
    synth_put_u32(&f->m, teb32 + 0x18, (uint32_t)teb32);
    synth_put_u32(&f->m, teb32 + 0xE0C, (uint32_t)X86_STACK);
    if (wow64) {
        /* TEB64: Self, and the 64-bit stack at 0x300000. */
        synth_put_u64(&f->m, X86_TEB + 0x08, 0x340000);
        synth_put_u64(&f->m, X86_TEB + 0x10, 0x33F000);
        synth_put_u64(&f->m, X86_TEB + 0x30, X86_TEB);
        synth_put_u64(&f->m, X86_TEB + 0x1478, 0x300000);
    }
    reg(f, X86_STACK, X86_STACK, 0x3D000, RESERVE, 0, PRIV, NULL);
    reg(f, X86_STACK + 0x3D000, X86_STACK, 0x1000, COMMIT, RW | GUARD, PRIV, NULL);
    reg(f, X86_STACK + 0x3E000, X86_STACK, 0x2000, COMMIT, RW, PRIV, NULL);
    if (wow64) {
        reg(f, 0x300000, 0x300000, 0x3E000, RESERVE, 0, PRIV, NULL);
        reg(f, 0x33E000, 0x300000, 0x1000, COMMIT, RW | GUARD, PRIV, NULL);
        reg(f, 0x33F000, 0x300000, 0x1000, COMMIT, RW, PRIV, NULL);
    }
    const char *exe = "C:\\app32\\app.exe";
    reg(f, X86_IMG, X86_IMG, 0x1000, COMMIT, RO, IMAGE, exe);
    reg(f, X86_IMG + 0x1000, X86_IMG, 0x2000, COMMIT, RX, IMAGE, exe);
    reg(f, X86_IMG + 0x3000, X86_IMG, 0x3000, COMMIT, RO, IMAGE, exe);
    reg(f, X86_TEB, X86_TEB, 0x3000, COMMIT, RW, PRIV, NULL);
    reg(f, X86_PEB + 0x2000, X86_PEB + 0x2000, 0x1000, COMMIT, RW, PRIV, NULL);
    f->threads[0] = (vm_nt_thread){.tid = 9, .teb = X86_TEB};
    f->reader = synth_reader(&f->m);
    f->in = (vm_nt_input){
        .bits = 32, .page_size = 4096, .alloc_granularity = 65536, .user_top = UINT64_C(0x7FFF0000),
        .peb = X86_PEB + 0x2000, .regions = f->regions, .regions_complete = true,
        .threads = f->threads, .nthreads = 1, .mem = &f->reader,
    };
}

static void test_x86_layout(void **state)
{
    (void)state;
    fixture f;
    x86_space(&f, false);
    /* No module list: the MEM_IMAGE allocation becomes a module by its mapped file name. */
    build(&f);
    vm_snapshot *s = f.facts.snap;
    assert_int_equal(s->process.bits, 32);
    assert_int_equal(s->nmodules, 1);
    assert_string_equal(s->modules[0].path, "C:\\app32\\app.exe");
    assert_int_equal(s->modules[0].size, 0x6000);
    assert_int_equal(s->modules[0].nsections, 4);
    assert_int_equal(s->nthreads, 1);
    const vm_thread *t = &s->threads[0];
    assert_int_equal(t->stack_base, X86_STACK + 0x40000);
    assert_int_equal(t->stack_limit, X86_STACK + 0x3E000);
    assert_int_equal(t->reserve_base, X86_STACK);
    assert_int_equal(t->guard_address, X86_STACK + 0x3D000);
    assert_int_equal(t->guard_size, 0x1000);
    const vm_raw_block *teb = raw_at(&f, X86_TEB);
    assert_int_equal(teb->size, 0x1000); /* an x86 TEB is one page */
    assert_string_equal(teb->note, "TEB of thread 9");
    assert_string_equal(raw_at(&f, X86_PEB + 0x2000)->note, "PEB");
    classify(&f);
    assert_int_equal(region_at(s, X86_STACK)->kind, VM_KIND_STACK);
    assert_int_equal(region_at(s, X86_IMG)->kind, VM_KIND_IMAGE);
    done(&f);
}

static void test_wow64(void **state)
{
    (void)state;
    fixture f;
    x86_space(&f, true);
    build(&f);
    vm_snapshot *s = f.facts.snap;
    /* Two stacks for one thread: the 32-bit one (TEB32) and the 64-bit one (TEB64). */
    assert_int_equal(s->nthreads, 2);
    assert_int_equal(s->threads[0].tid, 9);
    assert_int_equal(s->threads[0].teb, X86_TEB + 0x2000);
    assert_int_equal(s->threads[0].stack_base, X86_STACK + 0x40000);
    assert_int_equal(s->threads[1].tid, 9);
    assert_int_equal(s->threads[1].stack_base, 0x340000);
    assert_int_equal(s->threads[1].reserve_base, 0x300000);
    assert_int_equal(s->threads[1].guard_address, 0x33E000);
    assert_string_equal(raw_at(&f, X86_TEB)->note, "TEB64 of thread 9");
    assert_int_equal(raw_at(&f, X86_TEB)->size, 0x2000);
    assert_string_equal(raw_at(&f, X86_TEB + 0x2000)->note, "TEB of thread 9");
    classify(&f);
    assert_int_equal(region_at(s, 0x300000)->kind, VM_KIND_STACK);
    done(&f);
}

static void test_module_unreadable(void **state)
{
    (void)state;
    fixture f;
    x64_space(&f);
    synth_unmap(&f.m, IMG);
    build(&f);
    vm_snapshot *s = f.facts.snap;
    assert_true(synth_has_warning(s, "module-unreadable", "app.exe"));
    assert_int_equal(s->nmodules, 1);
    assert_int_equal(s->modules[0].nsections, 0);
    classify(&f);
    assert_int_equal(region_at(s, IMG)->kind, VM_KIND_IMAGE);
    done(&f);
}

/* --no-sections: the image stays whole, its headers are not read, nothing to warn about. */
static void test_skip_sections(void **state)
{
    (void)state;
    fixture f;
    x64_space(&f);
    f.in.skip_sections = true;
    build(&f);
    vm_snapshot *s = f.facts.snap;
    assert_int_equal(s->nmodules, 1);
    assert_int_equal(s->modules[0].nsections, 0);
    assert_false(has_warning(s, "module-unreadable"));
    classify(&f);
    assert_int_equal(region_at(s, IMG)->kind, VM_KIND_IMAGE);
    done(&f);
}

/* --image-path: an image whose headers are not in target memory is split from its file, found by
 * name in the directory and matched by SizeOfImage and TimeDateStamp; a file with another time
 * stamp is not used.  One warning names the images left whole. */
static void test_headers_from_image_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/vmmap-nt-imgpath-XXXXXX", file[128];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/app.exe", dir);
    for (int round = 0; round < 2; round++) {
        fixture f;
        x64_space(&f);
        uint8_t hdr[0x1000]; /* the image's headers, as its file starts */
        assert_true(vm_read_exact(&f.reader, IMG, hdr, sizeof hdr));
        uint32_t lfanew = (uint32_t)hdr[0x3c] | (uint32_t)hdr[0x3d] << 8, stamp = 0x5f1e2d3c;
        for (int i = 0; i < 4; i++) /* FileHeader.TimeDateStamp */
            hdr[lfanew + 8 + i] = (uint8_t)(stamp >> (8 * i));
        FILE *fp = fopen(file, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(hdr, 1, sizeof hdr, fp), sizeof hdr);
        fclose(fp);
        f.modules[0].time_date_stamp = round == 0 ? stamp : stamp + 1;
        synth_unmap(&f.m, IMG);
        f.in.image_path = dir;
        build(&f);
        vm_snapshot *s = f.facts.snap;
        if (round == 0) {
            assert_int_equal(s->modules[0].nsections, 4);
            assert_false(has_warning(s, "module-unreadable"));
        } else {
            assert_int_equal(s->modules[0].nsections, 0);
            assert_true(synth_has_warning(s, "module-unreadable", "1 image not split"));
        }
        done(&f);
    }
    remove(file);
    rmdir(dir);
}

static void test_partial_and_hostile_regions(void **state)
{
    (void)state;
    fixture f;
    x64_space(&f);
    f.in.regions_complete = false;
    /* Out of order, overlapping, wrapping, an unknown state, and a zero alloc_base. */
    reg(&f, BIGRES + 0x1000, BIGRES, 0x1000, COMMIT, RW, PRIV, NULL);
    reg(&f, UINT64_C(0xFFFFFFFFFFFFF000), 1, 0x2000, COMMIT, RW, PRIV, NULL);
    reg(&f, UINT64_C(0x60000000), 0, 0x1000, COMMIT, RW, PRIV, NULL);
    vm_nt_region *odd = reg(&f, UINT64_C(0x61000000), 0x61000000, 0x1000, COMMIT, RW, PRIV, NULL);
    odd->state = 0x4000;
    f.in.peb = 0;
    build(&f);
    vm_snapshot *s = f.facts.snap;
    assert_true(has_warning(s, "partial-map"));
    assert_true(has_warning(s, "overlap"));
    assert_true(has_warning(s, "region-invalid"));
    assert_true(has_warning(s, "heaps-unknown"));
    assert_int_equal(raw_at(&f, 0x60000000)->alloc_base, 0x60000000);
    for (size_t i = 1; i < f.facts.nblocks; i++)
        assert_true(f.facts.blocks[i].address >= f.facts.blocks[i - 1].address + f.facts.blocks[i - 1].size);
    classify(&f);
    assert_false(has_warning(s, "overlap") && s->nregions == 0);
    done(&f);
}

static void test_empty_input(void **state)
{
    (void)state;
    fixture f;
    memset(&f, 0, sizeof f);
    f.reader = synth_reader(&f.m);
    f.in = (vm_nt_input){.bits = 64, .regions_complete = true, .mem = &f.reader};
    build(&f);
    assert_int_equal(f.facts.nblocks, 0);
    assert_int_equal(f.facts.snap->page_size, 4096);
    assert_int_equal(f.facts.snap->alloc_granularity, 65536);
    done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protection),
        cmocka_unit_test(test_x64_raw_blocks),
        cmocka_unit_test(test_x64_modules_threads_heaps),
        cmocka_unit_test(test_x64_classified),
        cmocka_unit_test(test_teb_unreadable),
        cmocka_unit_test(test_teb_garbage),
        cmocka_unit_test(test_x86_layout),
        cmocka_unit_test(test_wow64),
        cmocka_unit_test(test_module_unreadable),
        cmocka_unit_test(test_skip_sections),
        cmocka_unit_test(test_headers_from_image_path),
        cmocka_unit_test(test_partial_and_hostile_regions),
        cmocka_unit_test(test_empty_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
