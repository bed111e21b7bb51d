/* Snapshot JSON: round trips, the documented shape, every validation error, atomic files, and the
 * JSON Schema's agreement with the reader.  Run from the repository root (the schema test reads
 * docs/snapshot.schema.json). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "report/json.h"
#include "report/json_values.h"
#include "vmmap/model/heap_stats.h"
#include "vmmap/model/snapshot.h"
#include "vmmap/util/atomic_file.h"
#include "vmmap/util/xalloc.h"
#include "vmmap/version.h"

/* ---- synthetic snapshots ----------------------------------------------------------------- */

static const uint32_t protections[] = {
    0,
    VM_PROT_READ,
    VM_PROT_READ | VM_PROT_WRITE,
    VM_PROT_READ | VM_PROT_EXEC,
    VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC,
    VM_PROT_READ | VM_PROT_WRITE | VM_PROT_COPY,
    VM_PROT_READ | VM_PROT_WRITE | VM_PROT_COPY | VM_PROT_EXEC,
    VM_PROT_READ | VM_PROT_WRITE | VM_PROT_GUARD,
    VM_PROT_READ | VM_PROT_WRITE | VM_PROT_NOCACHE,
    VM_PROT_READ | VM_PROT_WRITE | VM_PROT_WCOMBINE,
    VM_PROT_GUARD,
    VM_PROT_EXEC,
};
#define NPROT (sizeof protections / sizeof protections[0])

static void fill_counters(vm_counters *c, unsigned seed)
{
    for (int i = 0; i < VM_C_COUNT; i++)
        c->v[i] = (uint64_t)(seed * 4096u + (unsigned)i * 8192u);
    switch (seed % 4) {
    case 0: c->known = VM_COUNTERS_ALL_KNOWN; break;
    case 1: c->known = 0; break;                                   /* all unknown */
    case 2: c->known = VM_COUNTERS_ALL_KNOWN & ~(1u << VM_C_PSS); break;
    default:                                                        /* known zeros */
        c->known = VM_COUNTERS_ALL_KNOWN;
        memset(c->v, 0, sizeof c->v);
        break;
    }
}

static void add_heaps(vm_snapshot *s)
{
    vm_heap *h = vm_snapshot_add_heap(s);
    h->id = 0;
    h->address = 0x7ffff7e19c80;
    h->kind = vm_strdup("glibc main arena");
    h->flags = vm_strdup("growable");
    h->heap_class = vm_strdup("process heap");
    h->front_end = vm_strdup("tcache");
    h->largest_free = 123456;
    h->largest_free_known = true;
    vm_heap_part *p = vm_heap_add_part(h);
    p->address = 0x555555559000;
    p->size = 135168;
    p->committed = 135168;
    p->what = vm_strdup("brk heap");
    p = vm_heap_add_part(h);
    p->address = 0x7ffff0000000;
    p->size = 67108864;
    p->committed = 0;
    p->what = NULL;

    h->stats_known = true;
    h->stats = (vm_heap_stats){.busy_blocks = 100, .busy_bytes = 6400, .free_blocks = 2,
                               .free_bytes = 123456 + 48, .cached_blocks = 7, .cached_bytes = 7 * 80,
                               .largest_free = 123456, .overhead_bytes = 0};
    h->stats.fragmentation = vm_heap_fragmentation(h->stats.free_bytes, h->stats.largest_free);
    h->sizes = calloc(3, sizeof *h->sizes);
    h->nsizes = 3;
    h->sizes[0] = (vm_heap_size){48, 0, 1, 0};
    h->sizes[1] = (vm_heap_size){64, 100, 0, 0};
    h->sizes[2] = (vm_heap_size){80, 0, 0, 7};
    h->walk_note = vm_strdup("a note \"quoted\"");
    h->owners_known = true;
    vm_heap_owner *w = vm_heap_add_owner(h);
    w->module = 0;
    w->address = 0x7ffff7e19c80;

    h = vm_snapshot_add_heap(s);
    h->id = 7;
    h->address = 0x7fffe8000020;
    h->kind = vm_strdup("glibc arena");
    p = vm_heap_add_part(h);
    p->address = 0x7fffe8000000;
    p->size = 67108864;
    p->committed = 139264;
    p->what = vm_strdup("arena heap 1");
    h->owners_known = true; /* looked for, none found: an empty list */
    h->stats_known = true;   /* walked and empty */

    h = vm_snapshot_add_heap(s);
    h->id = 8;
    h->address_unknown = true;
    h->kind = vm_strdup("glibc main arena");
    h->walk_note = vm_strdup("not walked: the main arena's address is unknown");
}

static void add_threads(vm_snapshot *s, int n)
{
    vm_thread *t = vm_snapshot_add_thread(s);
    t->tid = 4120;
    t->name = vm_strdup("worker \"one\"");
    t->stack_base = 0x7ffff7800000;
    t->stack_limit = 0x7ffff7001000;
    t->reserve_base = 0x7ffff7000000;
    t->guard_address = 0x7ffff7000000;
    t->guard_size = 4096;
    t->teb = 0x7ffde000;
    t->sp = 0x7ffff77ffe40;
    t->found_by = vm_strdup("syscall sp");
    if (n < 2)
        return;
    t = vm_snapshot_add_thread(s);
    t->tid = 4121; /* no guard, teb or sp; NULL strings */
    t->stack_base = 0x7ffffffff000;
    t->stack_limit = 0x7ffffffde000;
    t->reserve_base = 0x7fffff7ff000;
}

static void add_modules(vm_snapshot *s)
{
    vm_module *m = vm_snapshot_add_module(s);
    m->path = vm_strdup("/usr/lib/x86_64-linux-gnu/libc.so.6");
    m->base = 0x7ffff7d80000;
    m->size = 2000000;
    const char *names[] = {".text", ".rodata", ".data", NULL};
    for (int i = 0; i < 4; i++) {
        vm_section *sec = vm_module_add_section(m);
        sec->name = vm_strdup(names[i]);
        sec->address = m->base + (uint64_t)i * 0x10000;
        sec->size = 100 + (uint64_t)i;
        sec->protection = protections[(unsigned)i % NPROT];
    }
    m = vm_snapshot_add_module(s);
    m->path = NULL;
    m->base = 0x400000;
    m->size = 4096;
}

static void add_block(vm_region *r, uint64_t address, uint64_t size, unsigned i)
{
    vm_block *b = vm_region_add_block(r);
    b->address = address;
    b->size = size;
    b->state = (vm_state)(i % VM_STATE_COUNT);
    b->memtype = (vm_memtype)(i % VM_MEMTYPE_COUNT);
    b->kind = r->kind;
    b->protection = protections[i % NPROT];
    fill_counters(&b->counters, i);
    if (i % 3 == 0)
        b->details = vm_strdup(i % 2 ? "Thread 4120 stack (guard)" : "tab\there, \"quotes\", \\, \xc3\xa9\xe2\x98\x83");
    if (i % 5 == 1)
        b->path = vm_strdup("/tmp/dir with spaces/f\xc3\xbcr.so\n(deleted)");
    if (i % 4 == 1) {
        b->heap_id = 7;
        b->heap_part = 0;
    } else if (i % 4 == 2) {
        b->heap_id = 0;
        b->heap_part = (int32_t)(i % 3) - 1; /* -1, 0 or 1 */
    }
    if (i % 6 == 2)
        b->thread_id = 4120;
    if (i % 7 == 3)
        b->module = (int32_t)(i % 2);
}

static void add_regions(vm_snapshot *s, unsigned copies)
{
    unsigned n = 0;
    uint64_t address = 0x10000;
    for (unsigned c = 0; c < copies; c++)
        for (int k = 0; k < VM_KIND_COUNT; k++) {
            vm_region *r = vm_snapshot_add_region(s);
            r->kind = (vm_kind)k;
            r->address = address;
            r->size = 3 * 4096;
            r->details = (k % 2) ? vm_strdup("region \xe2\x80\x94 details") : NULL;
            for (unsigned j = 0; j < 3; j++)
                add_block(r, address + j * 4096u, 4096, n++);
            address += 0x100000;
        }
    vm_region *r = vm_snapshot_add_region(s); /* big free space: > 2^32, < 2^53 */
    r->kind = VM_KIND_FREE;
    r->address = address;
    r->size = 0x7f0000000000;
    add_block(r, address, r->size, 0);
    r->blocks[0].state = VM_STATE_FREE;
    r = vm_snapshot_add_region(s); /* the vsyscall page, near 2^64 */
    r->kind = VM_KIND_IMAGE;
    r->address = 0xffffffffff600000;
    r->size = 4096;
    r->details = vm_strdup("[vsyscall]");
    add_block(r, 0xffffffffff600000, 4096, 5);
    r = vm_snapshot_add_region(s); /* ends exactly at 2^64 */
    r->kind = VM_KIND_UNUSABLE;
    r->address = 0xfffffffffffff000;
    r->size = 4096;
    add_block(r, r->address, r->size, 6);
}

/* Every kind, state, memtype and protection; unknown and zero counters; NULL and awkward
 * strings; heaps with parts; threads with and without guard/teb/sp; modules with sections. */
static vm_snapshot *build_rich(unsigned copies)
{
    vm_snapshot *s = vm_snapshot_new();
    s->tool_version = vm_strdup(VMMAP_VERSION);
    s->taken_at = vm_strdup("2026-11-22T03:00:00Z");
    s->source = vm_strdup("live-linux");
    s->host = vm_strdup("box \"with quotes\"\nand a newline");
    s->os = NULL;
    s->arch = vm_strdup("x86_64");
    s->process.pid = 123456;
    s->process.name = vm_strdup("s\xc3\xa4mple \xe2\x98\x83");
    s->process.exe = vm_strdup("/path/with \\ backslash/sample");
    s->process.cmdline = vm_strdup("sample --x \"a b\"\t\x01");
    s->process.bits = 64;
    s->page_size = 4096;
    s->alloc_granularity = 65536;
    s->user_top = 0x7ffffffff000;
    s->page_table_bytes = 12288;
    s->page_table_known = true;
    add_heaps(s);
    add_threads(s, 2);
    add_modules(s);
    add_regions(s, copies);
    vm_snapshot_warn(s, "read-failed", "could not read %s: \"%s\"", "/proc/1/mem", "Input/output error");
    vm_snapshot_warn(s, "heap-invalid", "arena \xe2\x80\x9c" "2\xe2\x80\x9d looks corrupt\nsecond line");
    return s;
}

/* Small, but with every optional key present: the base the validation cases mutate. */
static vm_snapshot *build_small(void)
{
    vm_snapshot *t = vm_snapshot_new();
    t->tool_version = vm_strdup(VMMAP_VERSION);
    t->taken_at = vm_strdup("2026-11-22T03:00:00Z");
    t->source = vm_strdup("live-linux");
    t->host = vm_strdup("box");
    t->os = vm_strdup("Linux 6.1.0");
    t->arch = vm_strdup("x86_64");
    t->process.pid = 42;
    t->process.name = vm_strdup("sample");
    t->process.exe = vm_strdup("/bin/sample");
    t->process.cmdline = vm_strdup("sample");
    t->process.bits = 64;
    t->page_size = 4096;
    t->alloc_granularity = 4096;
    t->user_top = 0x7ffffffff000;
    t->page_table_bytes = 8192;
    t->page_table_known = true;
    for (int id = 3; id <= 4; id++) {
        vm_heap *h = vm_snapshot_add_heap(t);
        h->id = id;
        h->address = 0x1000;
        h->kind = vm_strdup("glibc arena");
        h->largest_free = 16;
        h->largest_free_known = true;
        vm_heap_part *p = vm_heap_add_part(h);
        p->address = 0x10000;
        p->size = 0x1000;
        p->committed = 0x1000;
        p->what = vm_strdup("arena heap 1");
        h->walk_note = vm_strdup("a note");
        h->owners_known = true;
        vm_heap_owner *w = vm_heap_add_owner(h);
        w->module = 0;
        w->address = 0x7f0000001000;
        if (id == 4)
            continue;
        h->stats_known = true;
        h->stats = (vm_heap_stats){.busy_blocks = 2, .busy_bytes = 96, .free_blocks = 2, .free_bytes = 48,
                                   .cached_blocks = 1, .cached_bytes = 32, .largest_free = 32,
                                   .overhead_bytes = 16};
        h->stats.fragmentation = vm_heap_fragmentation(48, 32);
        h->sizes = calloc(2, sizeof *h->sizes);
        h->nsizes = 2;
        h->sizes[0] = (vm_heap_size){16, 0, 1, 0};
        h->sizes[1] = (vm_heap_size){32, 1, 1, 1};
    }
    add_threads(t, 1); /* the one with every field */
    vm_module *m = vm_snapshot_add_module(t);
    m->path = vm_strdup("/lib/libc.so.6");
    m->base = 0x7f0000000000;
    m->size = 8192;
    vm_section *sec = vm_module_add_section(m);
    sec->name = vm_strdup(".text");
    sec->address = 0x7f0000000000;
    sec->size = 4096;
    sec->protection = VM_PROT_READ | VM_PROT_EXEC;
    vm_region *r = vm_snapshot_add_region(t);
    r->address = 0x10000;
    r->size = 4096;
    r->kind = VM_KIND_HEAP;
    r->details = vm_strdup("heap region");
    vm_block *b = vm_region_add_block(r);
    b->address = 0x10000;
    b->size = 4096;
    b->state = VM_STATE_COMMIT;
    b->protection = VM_PROT_READ | VM_PROT_WRITE;
    b->memtype = VM_MEMTYPE_PRIVATE;
    b->kind = VM_KIND_HEAP;
    fill_counters(&b->counters, 0);
    b->details = vm_strdup("glibc arena");
    b->path = vm_strdup("[heap]");
    b->heap_id = 3;
    b->heap_part = 0;
    b->thread_id = 4120;
    b->module = 0;
    vm_snapshot_warn(t, "read-failed", "a warning");
    return t;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static void assert_same(const vm_snapshot *a, const vm_snapshot *b)
{
    char why[256] = "";
    bool eq = vm_snapshot_equal(a, b, why, sizeof why);
    if (!eq)
        print_error("snapshots differ at %s\n", why);
    assert_true(eq);
}

static vm_snapshot *parse_ok(const char *text)
{
    vm_error err;
    vm_error_clear(&err);
    vm_snapshot *s = vm_snapshot_from_json(text, strlen(text), "t.json", &err);
    if (!s)
        print_error("unexpected error: %s\n", err.msg);
    assert_non_null(s);
    return s;
}

static void round_trip(const vm_snapshot *s, int pretty)
{
    char *text = vm_snapshot_to_json(s, pretty);
    assert_non_null(text);
    vm_snapshot *back = parse_ok(text);
    assert_same(s, back);
    /* and a second generation gives the same text */
    char *again = vm_snapshot_to_json(back, pretty);
    assert_string_equal(text, again);
    free(again);
    vm_snapshot_free(back);
    free(text);
}

static char tmp_base[256];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static const char *make_tmpdir(void)
{
    snprintf(tmp_base, sizeof tmp_base, "/tmp/vmmap-test-json.XXXXXX");
    assert_non_null(mkdtemp(tmp_base));
    chmod(tmp_base, 0755); /* the permission tests run parts as another user */
    return tmp_base;
}

static void remove_tmpdir(void)
{
    nftw(tmp_base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* ---- round trips and shape --------------------------------------------------------------- */

static void test_round_trip_rich(void **state)
{
    vm_snapshot *s = build_rich(2);
    round_trip(s, 1);
    round_trip(s, 0);
    vm_snapshot_free(s);
}

/* No regions, heaps, threads, modules, warnings or strings: only what every snapshot has. */
static void test_round_trip_empty(void **state)
{
    vm_snapshot *s = vm_snapshot_new();
    s->page_size = s->alloc_granularity = 4096;
    s->user_top = 0x7ffffffff000;
    round_trip(s, 1);
    round_trip(s, 0);
    vm_snapshot_free(s);
}

static void test_round_trip_small(void **state)
{
    vm_snapshot *s = build_small();
    round_trip(s, 1);
    vm_snapshot_free(s);
}

/* cJSON's own layout for the whole document, from the compact text. */
static void assert_cjson_layout(const char *pretty_in, const char *compact_in)
{
    char *pretty = vm_strdup(pretty_in), *compact = vm_strdup(compact_in);
    cJSON *doc = cJSON_Parse(compact);
    assert_non_null(doc);
    char *printed = cJSON_Print(doc), *flat = cJSON_PrintUnformatted(doc);
    size_t n = strlen(pretty);
    assert_true(n > 0 && pretty[n - 1] == '\n');
    pretty[n - 1] = '\0';
    assert_true(strcmp(printed, pretty) == 0);
    compact[strlen(compact) - 1] = '\0';
    assert_true(strcmp(flat, compact) == 0);
    cJSON_free(printed);
    cJSON_free(flat);
    cJSON_Delete(doc);
    free(pretty);
    free(compact);
}

/* Pretty output is what cJSON_Print gives for the whole document; compact is the same JSON. */
/* "shared" (pmap's p/s): written on mapped blocks whose source knows and on any shared block; read
 * back as written; absent elsewhere (a Linux private or image block is private by the format). */
static void test_block_sharing(void **state)
{
    (void)state;
    vm_snapshot *s = build_small();
    vm_region *reg = vm_snapshot_add_region(s);
    assert_non_null(reg);
    reg->address = 0x7e0000000000;
    reg->size = 0x3000;
    reg->kind = VM_KIND_MAPPED_FILE;
    for (size_t i = 0; i < 3; i++)
        assert_non_null(vm_region_add_block(reg));
    vm_block *b[3] = {&reg->blocks[0], &reg->blocks[1], &reg->blocks[2]}; /* after the last push */
    for (size_t i = 0; i < 3; i++) {
        b[i]->address = reg->address + 0x1000 * i;
        b[i]->size = 0x1000;
        b[i]->state = VM_STATE_COMMIT;
        b[i]->protection = VM_PROT_READ;
        b[i]->kind = VM_KIND_MAPPED_FILE;
    }
    b[0]->memtype = VM_MEMTYPE_MAPPED;
    b[0]->sharing = VM_SHARING_PRIVATE; /* a private file mapping: r--p */
    b[1]->memtype = VM_MEMTYPE_PRIVATE;
    b[1]->sharing = VM_SHARING_SHARED; /* a shared one of another memtype says so too */
    b[2]->memtype = VM_MEMTYPE_PRIVATE;
    b[2]->sharing = VM_SHARING_PRIVATE; /* implied: not written */
    char *text = vm_snapshot_to_json(s, 1);
    assert_non_null(text);
    size_t shared_keys = 0;
    for (const char *p = text; (p = strstr(p, "\"shared\":")); p++)
        shared_keys++;
    assert_int_equal(shared_keys, 2);
    vm_snapshot *back = parse_ok(text);
    const vm_region *rr = &back->regions[back->nregions - 1];
    assert_int_equal(rr->nblocks, 3);
    const vm_block *r[3] = {&rr->blocks[0], &rr->blocks[1], &rr->blocks[2]};
    assert_int_equal(r[0]->sharing, VM_SHARING_PRIVATE);
    assert_int_equal(r[1]->sharing, VM_SHARING_SHARED);
    assert_int_equal(r[2]->sharing, VM_SHARING_UNKNOWN);
    vm_snapshot_free(back);
    /* Anything but a boolean is refused with its path. */
    char *at = strstr(text, "\"shared\":\ttrue");
    assert_non_null(at);
    memcpy(at + 10, "0   ", 4);
    vm_error err;
    vm_error_clear(&err);
    assert_null(vm_snapshot_from_json(text, strlen(text), "t.json", &err));
    assert_non_null(strstr(err.msg, ".shared: expected true or false, found a number"));
    free(text);
    vm_snapshot_free(s);
}

static void test_pretty_is_cjson_layout(void **state)
{
    vm_snapshot *s = build_rich(1);
    char *pretty = vm_snapshot_to_json(s, 1), *compact = vm_snapshot_to_json(s, 0);
    assert_non_null(pretty);
    assert_non_null(compact);
    assert_cjson_layout(pretty, compact);
    free(pretty);
    free(compact);
    vm_snapshot_free(s);
}

/* The regions are written as text without cJSON (json_region_text.c): every byte value in their
 * strings, an empty string, no blocks, every link, come out as cJSON prints them. */
static void test_region_text_every_byte(void **state)
{
    vm_snapshot *s = build_rich(1);
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    vm_region *r = &s->regions[1];
    free(r->details);
    r->details = vm_strdup(all);
    free(r->blocks[0].path);
    r->blocks[0].path = vm_strdup(all);
    free(r->blocks[1].details);
    r->blocks[1].details = vm_strdup("");
    r->blocks[2].heap_id = 3;
    r->blocks[2].heap_part = -1;
    r->blocks[2].thread_id = UINT32_MAX + 1ull; /* exact in the double the layout check parses */
    r->blocks[2].module = INT32_MAX;
    r = &s->regions[2];
    for (size_t j = 0; j < r->nblocks; j++) {
        free(r->blocks[j].details);
        free(r->blocks[j].path);
    }
    free(r->blocks);
    r->blocks = NULL;
    r->nblocks = 0;
    char *pretty = vm_snapshot_to_json(s, 1), *compact = vm_snapshot_to_json(s, 0);
    assert_non_null(pretty);
    assert_non_null(compact);
    assert_cjson_layout(pretty, compact);
    assert_non_null(strstr(compact, "\"blocks\":[]"));
    assert_non_null(strstr(compact, "\\u0001\\u0002"));
    free(pretty);
    free(compact);
    s->regions[1].blocks[0].size = UINT64_MAX;
    s->regions[1].address = 0xffffffffffffffffull;
    compact = vm_snapshot_to_json(s, 0);
    assert_non_null(strstr(compact, "\"address\":\"0xffffffffffffffff\",\"size\":"));
    assert_non_null(strstr(compact, "\"size\":18446744073709551615,"));
    free(compact);
    vm_snapshot_free(s);
}

/* 4,233 regions: the regions are printed in batches of 256 by several workers and passed on in
 * order; the text is the same whatever the number of threads, is cJSON's layout, and a file
 * written through (vm_snapshot_write_json, with and without VMMAP_FSYNC) holds exactly it. */
static void test_layout_many_batches(void **state)
{
    vm_snapshot *s = build_rich(423);
    assert_true(s->nregions > 16 * 256);
    const char *dir = make_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/big.json", dir);
    char *first = NULL;
    const char *threads[] = {"1", "2", "3", "7"};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        setenv("VMMAP_THREADS", threads[t], 1);
        setenv("VMMAP_FSYNC", t % 2 ? "1" : "0", 1);
        char *pretty = vm_snapshot_to_json(s, 1), *compact = vm_snapshot_to_json(s, 0);
        assert_non_null(pretty);
        assert_non_null(compact);
        if (!first) {
            assert_cjson_layout(pretty, compact);
            first = vm_strdup(pretty);
        }
        assert_true(strcmp(first, pretty) == 0);
        vm_error err = {0};
        assert_int_equal(vm_snapshot_write_json(s, path, &err), 0);
        char *file = read_text(path);
        assert_true(strcmp(file, pretty) == 0);
        free(file);
        free(pretty);
        free(compact);
    }
    unsetenv("VMMAP_THREADS");
    unsetenv("VMMAP_FSYNC");
    assert_int_equal(count_entries(dir), 1); /* no temporaries left */
    remove_tmpdir();
    free(first);
    vm_snapshot_free(s);
}

/* The temporary a writer has open in dir (a name starting with '.'), read whole; NULL when there
 * is none. */
static char *read_temporary(const char *dir, size_t *len)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *text = NULL;
    for (struct dirent *e; (e = readdir(d)) != NULL && !text;) {
        if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        text = read_text(path);
        *len = strlen(text);
    }
    closedir(d);
    return text;
}

/* The writer fed as a live capture feeds it: the regions grow while they are handed out (here by
 * showing it more and more of them), and the capture may start over (nfinal 0) once, with a
 * region different before it (as after a layout change).  It writes
 * the file as the regions come: its temporary holds the start of the document, more of it as
 * more regions are final, a new one after a restart; the file it commits is the one
 * vm_snapshot_write_json writes.  A writer freed before finish (the capture failed) leaves no
 * file. */
static void test_writer_fed_growing_regions(void **state)
{
    vm_snapshot *s = build_rich(423);
    size_t all = s->nregions;
    const char *dir = make_tmpdir();
    char whole[512], fed[512];
    snprintf(whole, sizeof whole, "%s/whole.json", dir);
    snprintf(fed, sizeof fed, "%s/fed.json", dir);
    vm_error err = {0};
    assert_int_equal(vm_snapshot_write_json(s, whole, &err), 0);
    char *want = read_text(whole);
    const size_t steps[] = {1, 100, 255, 256, 257, 700, 1500, 0, 300, 2000, 2047, 4000, 4232};
    for (int restart = 0; restart < 3; restart++) {
        vm_json_writer *w = vm_json_writer_new(fed);
        assert_non_null(w);
        size_t written = 0, before = 0;
        /* Before the restart a region says something else: what was written of it must go. */
        char *details = s->regions[3].details, other[] = "before the restart";
        if (restart == 1)
            s->regions[3].details = other;
        for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
            if (restart != 1 && steps[i] == 0)
                continue;
            if (steps[i] == 0)
                s->regions[3].details = details;
            if (steps[i] < before)
                written = 0; /* fewer regions than before: they were built again (a restart too) */
            before = steps[i];
            s->nregions = steps[i] ? steps[i] : all; /* at a restart the regions are all there again */
            vm_json_writer_regions_final(w, s, steps[i]);
            size_t len = 0;
            char *temp = read_temporary(dir, &len);
            if (steps[i] < 256) { /* not one whole batch yet, or a restart: nothing open */
                assert_null(temp);
                continue;
            }
            assert_non_null(temp);
            /* The start of the document, never less than before; FILE's buffer may hold back a bit. */
            assert_true(len >= written && len + BUFSIZ >= steps[i] / 256 * 256 * 64);
            if (s->regions[3].details == details)
                assert_memory_equal(temp, want, len);
            written = len;
            free(temp);
        }
        s->nregions = all;
        if (restart == 2) { /* the capture failed */
            vm_json_writer_free(w);
            assert_int_equal(count_entries(dir), 1);
            continue;
        }
        assert_int_equal(vm_json_writer_finish(w, s, &err), 0);
        vm_json_writer_free(w);
        assert_int_equal(count_entries(dir), 2); /* whole.json, fed.json: no temporary left */
        char *b = read_text(fed);
        assert_true(strcmp(want, b) == 0);
        free(b);
        assert_int_equal(remove(fed), 0);
    }
    free(want);
    remove_tmpdir();
    vm_snapshot_free(s);
}

/* A writer whose file is a stream (stdout here, as `-o -`) could not rewrite it if the capture
 * started over: nothing goes out before finish, which then writes the same text. */
static void test_writer_keeps_streams_for_the_end(void **state)
{
    vm_snapshot *s = build_rich(60);
    char *want = vm_snapshot_to_json(s, 1);
    assert_non_null(want);
    const char *dir = make_tmpdir();
    char out[512];
    snprintf(out, sizeof out, "%s/stdout", dir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    close(fd);
    vm_json_writer *w = vm_json_writer_new("-");
    assert_non_null(w);
    vm_json_writer_regions_final(w, s, s->nregions);
    fflush(stdout);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    off_t before = st.st_size;
    vm_error err = {0};
    int rc = vm_json_writer_finish(w, s, &err);
    vm_json_writer_free(w);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(before, 0);
    char *text = read_text(out);
    assert_true(strcmp(text, want) == 0);
    free(text);
    free(want);
    remove_tmpdir();
    vm_snapshot_free(s);
}

/* Integers exactly, at the ends of their ranges; addresses as lowercase hex. */
static void test_json_values(void **state)
{
    struct {
        cJSON *item;
        const char *text;
    } cases[] = {
        {vm_json_u64(0), "0"},
        {vm_json_u64(UINT64_MAX), "18446744073709551615"},
        {vm_json_u64(4096), "4096"},
        {vm_json_i64(INT64_MIN), "-9223372036854775808"},
        {vm_json_i64(INT64_MAX), "9223372036854775807"},
        {vm_json_i64(-1), "-1"},
        {vm_json_i64(0), "0"},
        {vm_json_hex(0), "\"0x0\""},
        {vm_json_hex(0xffffffffff600000ull), "\"0xffffffffff600000\""},
        {vm_json_hex(UINT64_MAX), "\"0xffffffffffffffff\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_non_null(cases[i].item);
        char *text = cJSON_PrintUnformatted(cases[i].item);
        assert_string_equal(text, cases[i].text);
        cJSON_free(text);
        cJSON_Delete(cases[i].item);
    }
}

static const cJSON *at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        print_error("no key \"%s\"\n", key);
    assert_non_null(v);
    return v;
}

static void test_shape(void **state)
{
    vm_snapshot *s = build_rich(1);
    char *text = vm_snapshot_to_json(s, 0);
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    assert_string_equal(at(doc, "format")->valuestring, "vmmap-snapshot");
    assert_int_equal(at(doc, "version")->valueint, 2);
    assert_string_equal(at(doc, "user_top")->valuestring, "0x7ffffffff000");
    assert_true(cJSON_IsNull(at(at(doc, "host"), "os")));
    assert_int_equal(at(doc, "page_table")->valueint, 12288);
    assert_non_null(strstr(text, "\"size\":139637976727552,")); /* plain digits, no exponent */
    /* summary: one row per kind in VMMap order, then Total */
    const cJSON *sum = at(doc, "summary");
    assert_int_equal(cJSON_GetArraySize(sum), VM_KIND_COUNT + 1);
    assert_string_equal(at(cJSON_GetArrayItem(sum, 0), "type")->valuestring, "Image");
    assert_string_equal(at(cJSON_GetArrayItem(sum, VM_KIND_COUNT), "type")->valuestring, "Total");
    /* block 0 (seed 0): all counters known, no heap/thread/module link, details, no path */
    const cJSON *regions = at(doc, "regions");
    const cJSON *b0 = cJSON_GetArrayItem(at(cJSON_GetArrayItem(regions, 0), "blocks"), 0);
    assert_string_equal(at(b0, "address")->valuestring, "0x10000");
    assert_string_equal(at(b0, "protection")->valuestring, "No access");
    assert_string_equal(at(b0, "memtype")->valuestring, "none");
    assert_string_equal(at(b0, "state")->valuestring, "commit");
    assert_true(cJSON_IsNumber(at(b0, "committed")));
    assert_null(cJSON_GetObjectItemCaseSensitive(b0, "heap"));
    assert_null(cJSON_GetObjectItemCaseSensitive(b0, "thread"));
    assert_null(cJSON_GetObjectItemCaseSensitive(b0, "module"));
    assert_null(cJSON_GetObjectItemCaseSensitive(b0, "path"));
    /* block 1 (seed 1): unknown counters are null; heap link present */
    const cJSON *b1 = cJSON_GetArrayItem(at(cJSON_GetArrayItem(regions, 0), "blocks"), 1);
    assert_true(cJSON_IsNull(at(b1, "pss")));
    assert_int_equal(at(at(b1, "heap"), "id")->valueint, 7);
    /* block 3 (seed 3): known zero is 0 */
    const cJSON *b3 = cJSON_GetArrayItem(at(cJSON_GetArrayItem(regions, 1), "blocks"), 0);
    assert_true(cJSON_IsNumber(at(b3, "swap")) && at(b3, "swap")->valuedouble == 0);
    /* threads: guard/teb/sp null when 0 */
    const cJSON *t1 = cJSON_GetArrayItem(at(doc, "threads"), 1);
    assert_true(cJSON_IsNull(at(t1, "guard_address")) && cJSON_IsNull(at(t1, "teb")) &&
                cJSON_IsNull(at(t1, "sp")) && cJSON_IsNull(at(t1, "name")));
    assert_string_equal(at(cJSON_GetArrayItem(at(doc, "threads"), 0), "teb")->valuestring, "0x7ffde000");
    assert_true(cJSON_IsNull(at(cJSON_GetArrayItem(at(doc, "heaps"), 1), "largest_free")));
    /* heaps: the walk's results; walked and empty is zeros, not walked is null; unknown address */
    const cJSON *heaps = at(doc, "heaps");
    const cJSON *st0 = at(cJSON_GetArrayItem(heaps, 0), "stats");
    assert_int_equal(at(st0, "busy_bytes")->valueint, 6400);
    assert_true(cJSON_IsNumber(at(st0, "fragmentation")) && at(st0, "fragmentation")->valuedouble == 0.04);
    assert_int_equal(cJSON_GetArraySize(at(cJSON_GetArrayItem(heaps, 0), "sizes")), 3);
    assert_int_equal(at(cJSON_GetArrayItem(at(cJSON_GetArrayItem(heaps, 0), "owner"), 0), "module")->valueint, 0);
    assert_int_equal(at(at(cJSON_GetArrayItem(heaps, 1), "stats"), "busy_blocks")->valueint, 0);
    assert_int_equal(cJSON_GetArraySize(at(cJSON_GetArrayItem(heaps, 1), "owner")), 0);
    const cJSON *h2 = cJSON_GetArrayItem(heaps, 2);
    assert_true(cJSON_IsNull(at(h2, "address")) && cJSON_IsNull(at(h2, "stats")) &&
                cJSON_IsNull(at(h2, "sizes")) && cJSON_IsNull(at(h2, "owner")));
    assert_string_equal(at(h2, "walk_note")->valuestring, "not walked: the main arena's address is unknown");
    cJSON_Delete(doc);
    free(text);
    vm_snapshot_free(s);
}

/* 2^53 - 1 is the largest size read back; larger values are written exactly but refused on read
 * (2^53 + 1 would parse as 2^53, so 2^53 itself is refused too). */
static void test_integer_limits(void **state)
{
    vm_snapshot *s = build_small();
    s->regions[0].size = s->regions[0].blocks[0].size = ((uint64_t)1 << 53) - 1;
    s->regions[0].address = 0;
    s->regions[0].blocks[0].address = 0;
    round_trip(s, 0);
    s->regions[0].size = s->regions[0].blocks[0].size = ((uint64_t)1 << 53) + 1;
    char *text = vm_snapshot_to_json(s, 0);
    assert_non_null(strstr(text, "\"size\":9007199254740993"));
    vm_error err;
    vm_error_clear(&err);
    assert_null(vm_snapshot_from_json(text, strlen(text), "t.json", &err));
    assert_non_null(strstr(err.msg, "t.json: regions[0].size: integer 9007199254740993"));
    assert_non_null(strstr(err.msg, "is too large (the limit is 2^53 - 1)"));
    free(text);
    vm_snapshot_free(s);
}

/* Newer writers may add keys; nullable keys may be null or missing. */
static void test_lenient_parts(void **state)
{
    vm_snapshot *s = build_small();
    char *text = vm_snapshot_to_json(s, 0);
    cJSON *doc = cJSON_Parse(text);
    cJSON_AddStringToObject(doc, "added_in_a_later_version", "x");
    cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "regions"), 0), "blocks"), 0);
    cJSON_AddNumberToObject(b, "future_counter", 1);
    cJSON_DeleteItemFromObject(b, "pss");          /* missing counter: unknown */
    cJSON_ReplaceItemInObject(b, "swap", cJSON_CreateNull());
    cJSON_ReplaceItemInObject(b, "path", cJSON_CreateNull());
    cJSON_DeleteItemFromObject(doc, "summary");    /* optional */
    cJSON_DeleteItemFromObject(doc, "tool_version");
    char *edited = cJSON_PrintUnformatted(doc);
    vm_snapshot *back = parse_ok(edited);
    s->regions[0].blocks[0].counters.known &= ~((1u << VM_C_PSS) | (1u << VM_C_SWAP));
    free(s->regions[0].blocks[0].path);
    s->regions[0].blocks[0].path = NULL;
    free(s->tool_version);
    s->tool_version = NULL;
    assert_same(s, back);
    vm_snapshot_free(back);
    cJSON_free(edited);
    cJSON_Delete(doc);
    free(text);
    vm_snapshot_free(s);
}

/* ---- validation -------------------------------------------------------------------------- */

/* The node at path ("regions[0].blocks[0]"; "" is the root). */
static cJSON *resolve(cJSON *node, const char *path)
{
    const char *p = path;
    while (node && *p) {
        if (*p == '.')
            p++;
        if (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            node = cJSON_GetArrayItem(node, (int)i);
            p = end + 1;
        } else {
            size_t n = strcspn(p, ".[");
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)n, p);
            node = cJSON_GetObjectItemCaseSensitive(node, key);
            p += n;
        }
    }
    return node;
}

/* Sets the value at path to the JSON text raw, or deletes it when raw is NULL. */
static void mutate(cJSON *root, const char *path, const char *raw)
{
    const char *last = path + strlen(path);
    while (last > path && last[-1] != '.' && last[-1] != '[')
        last--;
    bool is_index = last > path && last[-1] == '[';
    char parent_path[256], key[64];
    snprintf(parent_path, sizeof parent_path, "%.*s", (int)(last > path ? last - path - 1 : 0), path);
    snprintf(key, sizeof key, "%.*s", (int)strcspn(last, "]"), last);
    cJSON *parent = resolve(root, parent_path);
    assert_non_null(parent);
    cJSON *item = raw ? cJSON_Parse(raw) : NULL;
    if (raw)
        assert_non_null(item);
    if (is_index && raw)
        assert_true(cJSON_ReplaceItemInArray(parent, atoi(key), item));
    else if (is_index)
        cJSON_DeleteItemFromArray(parent, atoi(key));
    else if (!raw)
        cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
    else if (cJSON_GetObjectItemCaseSensitive(parent, key))
        assert_true(cJSON_ReplaceItemInObjectCaseSensitive(parent, key, item));
    else
        assert_true(cJSON_AddItemToObject(parent, key, item));
}

/* Parses text expecting failure with want in the message; returns false (and says why) if not. */
static bool fails_with(const char *text, size_t len, const char *want)
{
    vm_error err;
    vm_error_clear(&err);
    vm_snapshot *s = vm_snapshot_from_json(text, len, "t.json", &err);
    if (s) {
        print_error("expected \"%s\", but it parsed\n", want);
        vm_snapshot_free(s);
        return false;
    }
    if (!strstr(err.msg, want) || err.code != VM_EXIT_BAD_INPUT) {
        print_error("expected \"%s\"\n     got \"%s\" (code %d)\n", want, err.msg, err.code);
        return false;
    }
    return true;
}

static char *base_text(void)
{
    vm_snapshot *s = build_small();
    char *text = vm_snapshot_to_json(s, 0);
    vm_snapshot_free(s);
    return text;
}

#define B0 "regions[0].blocks[0]"
/* A block and a region of private data, as JSON text, for the consistency cases. */
#define BLK(addr, size) \
    "{\"address\":\"" addr "\",\"size\":" size ",\"state\":\"commit\",\"protection\":\"Read/Write\"," \
    "\"memtype\":\"private\",\"type\":\"Private Data\"}"
#define REG(addr, size, blocks) \
    "{\"address\":\"" addr "\",\"size\":" size ",\"type\":\"Private Data\",\"blocks\":[" blocks "]}"

static const struct mutation {
    const char *path;
    const char *raw; /* NULL: delete */
    const char *want;
} mutations[] = {
    {"format", "\"foo\"", "t.json: format: expected \"vmmap-snapshot\", found \"foo\""},
    {"format", NULL, "t.json: format: missing"},
    {"format", "3", "t.json: format: expected \"vmmap-snapshot\", found a number"},
    {"version", "7", "t.json: version: unsupported version 7 (this vmmap reads versions 1 to 2)"},
    {"version", "0", "t.json: version: unsupported version 0"},
    {"version", "\"1\"", "t.json: version: expected an integer"},
    {"version", "1.5", "t.json: version: expected an integer, found 1.5"},
    {"version", NULL, "t.json: version: missing"},
    {"regions", NULL, "t.json: regions: missing"},
    {"regions", "{}", "t.json: regions: expected an array, found an object"},
    {"regions", "null", "t.json: regions: must not be null"},
    {"regions[0]", "[]", "t.json: regions[0]: expected an object, found an array"},
    {"regions[0].address", "\"1000\"", "t.json: regions[0].address: expected a hex string like \"0x7ff0\""},
    {"regions[0].address", "\"0x12345678901234567\"", "t.json: regions[0].address: expected a hex string"},
    {"regions[0].address", "\"0x\"", "t.json: regions[0].address: expected a hex string"},
    {"regions[0].address", "\"0x12g4\"", "t.json: regions[0].address: expected a hex string"},
    {"regions[0].address", "\" 0x10\"", "t.json: regions[0].address: expected a hex string"},
    {"regions[0].address", "65536", "t.json: regions[0].address: expected a hex string"},
    {"regions[0].type", "\"heap\"", "t.json: regions[0].type: unknown type \"heap\""},
    {"regions[0].details", "false", "t.json: regions[0].details: expected a string or null, found a boolean"},
    {"regions[0].blocks", NULL, "t.json: regions[0].blocks: missing"},
    {B0, "42", "t.json: regions[0].blocks[0]: expected an object, found a number"},
    {B0 ".size", "\"1\"", "t.json: regions[0].blocks[0].size: expected an integer"},
    {B0 ".size", "-1", "t.json: regions[0].blocks[0].size: expected a non-negative integer, found -1"},
    {B0 ".size", "1.5", "t.json: regions[0].blocks[0].size: expected an integer, found 1.5"},
    {B0 ".size", "1e300", "t.json: regions[0].blocks[0].size: integer 1e+300 is too large"},
    {B0 ".size", NULL, "t.json: regions[0].blocks[0].size: missing"},
    {B0 ".address", "\"0xffffffffffffffff\"", "t.json: regions[0].blocks[0].size: the range 0xffffffffffffffff + 4096 runs past the end"},
    {B0 ".type", "\"Heapp\"", "t.json: regions[0].blocks[0].type: unknown type \"Heapp\""},
    {B0 ".type", "\"He\\\"ap\\n\"", "t.json: regions[0].blocks[0].type: unknown type \"He\\\"ap\\x0a\""},
    {B0 ".type", "1", "t.json: regions[0].blocks[0].type: expected a string, found a number"},
    {B0 ".state", "\"comitted\"", "t.json: regions[0].blocks[0].state: unknown state \"comitted\""},
    {B0 ".memtype", "\"anon\"", "t.json: regions[0].blocks[0].memtype: unknown memtype \"anon\""},
    {B0 ".protection", "\"Read/Wrte\"", "t.json: regions[0].blocks[0].protection: unknown protection \"Read/Wrte\""},
    {B0 ".protection", "\"\"", "t.json: regions[0].blocks[0].protection: unknown protection \"\""},
    {B0 ".protection", "\"Read/\"", "t.json: regions[0].blocks[0].protection: unknown protection \"Read/\""},
    {B0 ".committed", "\"4096\"", "t.json: regions[0].blocks[0].committed: expected an integer, found a string"},
    {B0 ".pss", "true", "t.json: regions[0].blocks[0].pss: expected an integer, found a boolean"},
    {B0 ".details", "5", "t.json: regions[0].blocks[0].details: expected a string or null, found a number"},
    {B0 ".heap", "1", "t.json: regions[0].blocks[0].heap: expected an object, found a number"},
    {B0 ".heap.id", "9", "t.json: regions[0].blocks[0].heap.id: no heap with id 9"},
    {B0 ".heap.id", NULL, "t.json: regions[0].blocks[0].heap.id: missing"},
    {B0 ".heap.id", "-3", "t.json: regions[0].blocks[0].heap.id: expected a non-negative integer"},
    {B0 ".heap.part", "5", "t.json: regions[0].blocks[0].heap.part: heap 3 has no part 5 (it has 1)"},
    {B0 ".module", "5", "t.json: regions[0].blocks[0].module: no module with index 5 (the snapshot has 1)"},
    {B0 ".module", "-1", "t.json: regions[0].blocks[0].module: expected a non-negative integer"},
    {B0 ".module", "3000000000", "t.json: regions[0].blocks[0].module: 3000000000 is too large"},
    {B0 ".thread", "-5", "t.json: regions[0].blocks[0].thread: expected a non-negative integer"},
    {"heaps", "7", "t.json: heaps: expected an array, found a number"},
    {"heaps[0].id", "\"3\"", "t.json: heaps[0].id: expected an integer, found a string"},
    {"heaps[1].id", "3", "t.json: heaps[1].id: duplicate heap id 3 (also heaps[0])"},
    {"heaps[0].largest_free", "-1", "t.json: heaps[0].largest_free: expected a non-negative integer"},
    {"heaps[0].class", "{}", "t.json: heaps[0].class: expected a string or null, found an object"},
    {"heaps[0].parts[0].committed", NULL, "t.json: heaps[0].parts[0].committed: missing"},
    {"heaps[0].parts[0]", "\"x\"", "t.json: heaps[0].parts[0]: expected an object, found a string"},
    {"heaps[0].address", "7", "t.json: heaps[0].address: expected a hex string"},
    {"heaps[0].stats", "[]", "t.json: heaps[0].stats: expected an object, found an array"},
    {"heaps[0].stats.busy_bytes", NULL, "t.json: heaps[0].stats.busy_bytes: missing"},
    {"heaps[0].stats.busy_bytes", "0", "t.json: heaps[0].stats.busy_blocks: 2 blocks of 0 bytes in all"},
    {"heaps[0].stats.cached_blocks", "0", "t.json: heaps[0].stats.cached_blocks: 0 blocks of 32 bytes"},
    {"heaps[0].stats.free_bytes", "-48", "t.json: heaps[0].stats.free_bytes: expected a non-negative integer"},
    {"heaps[0].stats.largest_free", "49", "t.json: heaps[0].stats.largest_free: 49 does not fit 2 free blocks"},
    {"heaps[0].stats.largest_free", "0", "t.json: heaps[0].stats.largest_free: 0 does not fit 2 free blocks"},
    {"heaps[0].stats.fragmentation", "\"33\"", "t.json: heaps[0].stats.fragmentation: expected a percentage"},
    {"heaps[0].stats.fragmentation", "101", "t.json: heaps[0].stats.fragmentation: expected a percentage"},
    {"heaps[0].stats.fragmentation", "50", "t.json: heaps[0].stats.fragmentation: 50, but free_bytes and largest_free give 33.33"},
    {"heaps[0].stats.fragmentation", NULL, "t.json: heaps[0].stats.fragmentation: missing"},
    {"heaps[0].sizes", NULL, "t.json: heaps[0].sizes: missing"},
    {"heaps[0].sizes", "{}", "t.json: heaps[0].sizes: expected an array, found an object"},
    {"heaps[0].sizes[0].size", "0", "t.json: heaps[0].sizes[0].size: a block size must not be 0"},
    {"heaps[0].sizes[1].size", "16", "t.json: heaps[0].sizes[1].size: 16 is not above the previous row's 16"},
    {"heaps[0].sizes[1].busy", "3", "t.json: heaps[0].sizes: 3 busy blocks of 96 bytes, more than the stats' 2 of 96"},
    {"heaps[0].sizes[1].cached", NULL, "t.json: heaps[0].sizes[1].cached: missing"},
    {"heaps[0].sizes[0].free", "0", "t.json: heaps[0].sizes[0]: a row without blocks"},
    {"heaps[1].sizes", "[]", "t.json: heaps[1].sizes: a size table without stats"},
    {"heaps[0].walk_note", "3", "t.json: heaps[0].walk_note: expected a string or null, found a number"},
    {"heaps[0].owner", "{}", "t.json: heaps[0].owner: expected an array, found an object"},
    {"heaps[0].owner[0].module", "1", "t.json: heaps[0].owner[0].module: no module with index 1 (the snapshot has 1)"},
    {"heaps[0].owner[0].module", NULL, "t.json: heaps[0].owner[0].module: missing"},
    {"heaps[0].owner[0].address", "null", "t.json: heaps[0].owner[0].address: must not be null"},
    {"threads[0].tid", "-1", "t.json: threads[0].tid: expected a non-negative integer, found -1"},
    {"threads[0].guard_address", "0", "t.json: threads[0].guard_address: expected a hex string"},
    {"threads[0].stack_base", "null", "t.json: threads[0].stack_base: must not be null"},
    {"modules[0].base", NULL, "t.json: modules[0].base: missing"},
    {"modules[0].sections[0].protection", "\"rwx\"", "t.json: modules[0].sections[0].protection: unknown protection \"rwx\""},
    {"warnings", "{}", "t.json: warnings: expected an array, found an object"},
    {"warnings[0].code", "1", "t.json: warnings[0].code: expected a string or null, found a number"},
    {"process", NULL, "t.json: process: missing"},
    {"process", "[]", "t.json: process: expected an object, found an array"},
    {"process.bits", "48", "t.json: process.bits: expected 32 or 64, found 48"},
    {"process.pid", "1.5", "t.json: process.pid: expected an integer, found 1.5"},
    {"process.name", "[]", "t.json: process.name: expected a string or null, found an array"},
    {"host", "\"box\"", "t.json: host: expected an object, found a string"},
    {"page_size", "\"4096\"", "t.json: page_size: expected an integer, found a string"},
    {"user_top", "140737488351232", "t.json: user_top: expected a hex string like \"0x7ff0\""},
    {"page_table", "-4096", "t.json: page_table: expected a non-negative integer, found -4096"},
    {"summary", "{}", "t.json: summary: expected an array, found an object"},
    {"tool_version", "1", "t.json: tool_version: expected a string or null, found a number"},
    /* consistency: what no source writes */
    {"page_size", "0", "t.json: page_size: 0 is not a page size (a power of two)"},
    {"page_size", "3000", "t.json: page_size: 3000 is not a page size"},
    {"user_top", "\"0x0\"", "t.json: user_top: must not be 0"},
    {"taken_at", "\"2026-02-30T03:00:00Z\"", "t.json: taken_at: not a possible RFC 3339 time"},
    {"taken_at", "\"2026-11-22T24:00:00Z\"", "t.json: taken_at: not a possible RFC 3339 time"},
    {"taken_at", "\"+026-11-22T03:00:00Z\"", "t.json: taken_at: not a possible RFC 3339 time"},
    {"taken_at", "\"yesterday\"", "t.json: taken_at: not a possible RFC 3339 time"},
    {B0 ".address", "\"0x11000\"", "t.json: " B0 ": 0x11000 + 4096 lies outside its region 0x10000 + 4096"},
    {B0 ".address", "\"0xf000\"", "t.json: " B0 ": 0xf000 + 4096 lies outside its region 0x10000 + 4096"},
    {B0 ".size", "0", "t.json: " B0 ": size 0: a block holds at least one page"},
    {"regions[0].size", "8192", "t.json: regions[0].size: 8192 is not the total of its blocks' sizes (4096)"},
    {"regions[0].size", "0", "t.json: regions[0]: size 0"},
    {"regions[0].blocks", "[]", "t.json: regions[0].blocks: empty: a region is made of at least one block"},
    {"regions[0].blocks", "[" BLK("0x10000", "4096") "," BLK("0x10000", "4096") "]",
     "t.json: regions[0].blocks[1]: 0x10000 + 4096 overlaps the block before it (0x10000 + 4096)"},
    {"regions", "[" REG("0x10000", "8192", BLK("0x11000", "4096") "," BLK("0x10000", "4096")) "]",
     "t.json: regions[0].blocks[1]: 0x10000 is below the block before it (0x11000): blocks go in address order"},
    {"regions", "[" REG("0x10000", "8192", BLK("0x10000", "4096")) "]",
     "t.json: regions[0].size: 8192 is not the total of its blocks' sizes (4096)"},
    {"regions", "[" REG("0x10000", "8192", BLK("0x10000", "8192")) "," REG("0x11000", "4096", BLK("0x11000", "4096")) "]",
     "t.json: regions[1]: 0x11000 + 4096 overlaps regions[0] (0x10000 + 8192): its memory would be counted twice"},
    {"regions", "[" REG("0x20000", "4096", BLK("0x20000", "4096")) "," REG("0x10000", "4096", BLK("0x10000", "4096")) "]",
     "t.json: regions[1]: 0x10000 is below the region before it (0x20000): regions go in address order"},
};

static void test_validation_errors(void **state)
{
    char *base = base_text();
    int bad = 0;
    for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
        const struct mutation *m = &mutations[i];
        cJSON *doc = cJSON_Parse(base);
        mutate(doc, m->path, m->raw);
        char *text = cJSON_PrintUnformatted(doc);
        if (!fails_with(text, strlen(text), m->want)) {
            print_error("  (case %zu: %s = %s)\n", i, m->path, m->raw ? m->raw : "<deleted>");
            bad++;
        }
        cJSON_free(text);
        cJSON_Delete(doc);
    }
    free(base);
    assert_int_equal(bad, 0);
}

/* Version 2 (issue 11) added the walk and a nullable heap address; version 1 files keep their
 * own rules: the address is required and walk keys (which no version-1 writer wrote) are not
 * read. */
static void test_version_paths(void **state)
{
    char *base = base_text();
    cJSON *doc = cJSON_Parse(base);
    assert_int_equal(at(doc, "version")->valueint, 2);
    mutate(doc, "heaps[0].address", "null");
    char *text = cJSON_PrintUnformatted(doc);
    vm_error err;
    vm_error_clear(&err);
    vm_snapshot *s = vm_snapshot_from_json(text, strlen(text), "t.json", &err);
    assert_non_null(s);
    assert_true(s->heaps[0].address_unknown);
    assert_true(s->heaps[0].stats_known);
    assert_int_equal(s->heaps[0].nsizes, 2);
    assert_int_equal(s->heaps[0].nowners, 1);
    assert_false(s->heaps[1].stats_known);
    assert_true(s->heaps[1].owners_known);
    assert_string_equal(s->heaps[1].walk_note, "a note");
    vm_snapshot_free(s);
    cJSON_free(text);

    mutate(doc, "version", "1");
    text = cJSON_PrintUnformatted(doc);
    assert_true(fails_with(text, strlen(text), "t.json: heaps[0].address: must not be null"));
    cJSON_free(text);
    mutate(doc, "heaps[0].address", "\"0x1000\"");
    mutate(doc, "heaps[0].owner[0].module", "99"); /* not a version-1 key: not read */
    text = cJSON_PrintUnformatted(doc);
    s = vm_snapshot_from_json(text, strlen(text), "t.json", &err);
    assert_non_null(s);
    assert_false(s->heaps[0].address_unknown);
    assert_false(s->heaps[0].stats_known);
    assert_false(s->heaps[0].owners_known);
    assert_null(s->heaps[0].walk_note);
    vm_snapshot_free(s);
    cJSON_free(text);
    cJSON_Delete(doc);
    free(base);
}

static void test_text_errors(void **state)
{
    char *base = base_text();
    size_t n = strlen(base);
    int bad = 0;
    bad += !fails_with(base, n / 2, "t.json: not JSON (error near byte");     /* truncated */
    bad += !fails_with("", 0, "t.json: not JSON (the input is empty)");
    bad += !fails_with("hello", 5, "t.json: not JSON (error near byte 0, line 1)");
    bad += !fails_with("{\n\"a\": 1,\n}", 11, "t.json: not JSON (error near byte 10, line 3)");
    bad += !fails_with("{\"a\":1}\0", 8, "t.json: not JSON (error near byte 7");
    bad += !fails_with("[1, 2]", 6, "t.json: top level: expected a JSON object, found an array");
    bad += !fails_with("null", 4, "t.json: top level: expected a JSON object, found null");
    bad += !fails_with("{\"a\": 1}  \n", 11, "t.json: format: missing");        /* trailing space ok */
    char *garbage = vm_asprintf("%.*sxyz", (int)(n - 1), base);          /* drop '\n', add junk */
    char want[64];
    snprintf(want, sizeof want, "not JSON (error near byte %zu", n - 1);
    bad += !fails_with(garbage, strlen(garbage), want);
    free(garbage);
    /* deeply nested garbage: cJSON stops at its nesting limit instead of overflowing the stack */
    size_t depth = 200000;
    char *deep = malloc(depth);
    memset(deep, '[', depth);
    bad += !fails_with(deep, depth, "t.json: not JSON (error near byte");
    for (size_t i = 0; i < depth; i += 2)
        deep[i] = '{', deep[i + 1] = '"';
    bad += !fails_with(deep, depth, "t.json: not JSON");
    free(deep);
    /* nesting inside an unknown key within the limit is read and ignored */
    char *nested = vm_asprintf("{\"x\":%s1%s,%s", "[[[[[[[[[[", "]]]]]]]]]]", base + 1);
    vm_snapshot *s = parse_ok(nested);
    vm_snapshot_free(s);
    free(nested);
    free(base);
    assert_int_equal(bad, 0);
}

/* text with the first occurrence of from replaced by to (from must occur). */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    return vm_asprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

/* Why a text is not JSON, when the text says so, and numbers quoted as the file writes them: a
 * double would print 2^64 as 1.8446744073709552e+19 and -1e400 as -inf. */
static void test_text_reasons(void **state)
{
    char *base = base_text();
    int bad = 0;
    static const struct {
        const char *from, *to, *want;
    } cases[] = {
        {"\"version\":", "\"version\":NaN,\"v0\":", "not JSON (error near byte 37, line 1): NaN is not allowed"},
        {"\"version\":", "\"version\":-nan,\"v0\":", "): NaN is not allowed"},
        {"\"version\":", "\"version\":Infinity,\"v0\":", "): Infinity is not allowed"},
        {"\"version\":", "\"version\":-Infinity,\"v0\":", "): -Infinity is not allowed"},
        {"\"version\":", "\"version\":Nope,\"v0\":", "not JSON (error near byte 37, line 1)"},
        {"\"size\":4096,\"state\"", "\"size\":18446744073709551616,\"state\"",
         "regions[0].blocks[0].size: integer 18446744073709551616 is too large (the limit is 2^53 - 1)"},
        {"\"size\":4096,\"state\"", "\"size\":9007199254740993,\"state\"", "integer 9007199254740993 is too large"},
        {"\"size\":4096,\"state\"", "\"size\":-1e400,\"state\"", "blocks[0].size: integer -1e400 is too large"},
        {"\"size\":4096,\"state\"", "\"size\":1.25e1,\"state\"", "blocks[0].size: expected an integer, found 1.25e1"},
        {"\"size\":4096,\"state\"", "\"size\":-4E3,\"state\"", "expected a non-negative integer, found -4E3"},
        {"\"version\":", "\"version\":1e400,\"v0\":", "version: integer 1e400 is too large"},
        {"\"version\":", "\"version\":3.0e0,\"v0\":", "version: unsupported version 3.0e0 (this vmmap reads version"},
        {"\"bits\":64", "\"bits\":4.8e1", "process.bits: expected 32 or 64, found 4.8e1"},
        /* numbers inside strings and keys before it are not counted */
        {"\"bits\":64", "\"1e5\":\"-3 [\\\"5\",\"bits\":65", "process.bits: expected 32 or 64, found 65"},
        {"\"bits\":64", "\"bits\":64,\"bits\":1", "process.name"}, /* the first of two counts: no error there */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = replaced(base, cases[i].from, cases[i].to);
        if (i == sizeof cases / sizeof cases[0] - 1) { /* make the error come later, at process.name */
            char *u = replaced(t, "\"name\":\"sample\"", "\"name\":1");
            free(t);
            t = u;
        }
        if (!fails_with(t, strlen(t), cases[i].want)) {
            print_error("  (case %zu)\n", i);
            bad++;
        }
        free(t);
    }
    /* nesting: cJSON's limit is 1000 arrays and objects inside one another */
    char *deep = malloc(4000);
    size_t n = (size_t)snprintf(deep, 4000, "{\"x\":");
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    bad += !fails_with(deep, n, "not JSON (error near byte 1004, line 1): nested too deep (more than 1000");
    free(deep);
    /* cut inside a string longer than the tail rule's reach: cJSON puts the error at the string's
     * opening quote, 300 bytes before the end; still said as cut short */
    char *torn = malloc(400);
    n = (size_t)snprintf(torn, 400, "{\"regions\":[{\"details\":\"");
    for (int i = 0; i < 300; i++)
        torn[n++] = 'a';
    bad += !fails_with(torn, n, "the file is cut short");
    free(torn);
    free(base);
    assert_int_equal(bad, 0);
}

/* ---- files ------------------------------------------------------------------------------- */

static void test_file_round_trip(void **state)
{
    const char *dir = make_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/snap.json", dir);
    vm_snapshot *s = build_rich(1);
    vm_error err;
    vm_error_clear(&err);
    mode_t old = umask(022);
    assert_int_equal(vm_snapshot_write_json(s, path, &err), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(count_entries(dir), 1); /* no temporary left behind */
    vm_snapshot *back = vm_snapshot_read_json(path, &err);
    if (!back)
        print_error("%s\n", err.msg);
    assert_non_null(back);
    assert_same(s, back);
    /* the file is the pretty form */
    char *text = read_text(path), *pretty = vm_snapshot_to_json(s, 1);
    assert_string_equal(text, pretty);
    free(text);
    free(pretty);
    vm_snapshot_free(back);
    vm_snapshot_free(s);
    remove_tmpdir();
}

/* Drops to an unprivileged user so permission checks apply (root bypasses them). */
static bool become_nobody(void)
{
    if (geteuid() != 0)
        return true;
    if (setegid(65534) != 0 || seteuid(65534) != 0) {
        print_message("  (cannot drop root privileges: skipping the permission case)\n");
        return false;
    }
    return true;
}

static void become_root_again(bool was_root)
{
    if (was_root) {
        assert_int_equal(seteuid(0), 0);
        assert_int_equal(setegid(0), 0);
    }
}

static void test_read_file_errors(void **state)
{
    const char *dir = make_tmpdir();
    char path[512];
    vm_error err;
    vm_error_clear(&err);
    snprintf(path, sizeof path, "%s/nope.json", dir);
    assert_null(vm_snapshot_read_json(path, &err));
    assert_int_equal(err.code, VM_EXIT_NOT_FOUND);
    assert_non_null(strstr(err.msg, "nope.json: no such file"));

    assert_null(vm_snapshot_read_json(dir, &err));
    assert_non_null(strstr(err.msg, ": it is a directory"));

    snprintf(path, sizeof path, "%s/huge.json", dir); /* sparse, 2 GiB + 1 */
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, ((off_t)2 << 30) + 1), 0);
    close(fd);
    assert_null(vm_snapshot_read_json(path, &err));
    assert_int_equal(err.code, VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(err.msg, "huge.json: file is too large for a snapshot (the limit is 2 GiB)"));

    snprintf(path, sizeof path, "%s/secret.json", dir);
    write_text(path, "{}");
    chmod(path, 0600);
    bool root = geteuid() == 0;
    if (become_nobody()) {
        vm_snapshot *s = vm_snapshot_read_json(path, &err);
        become_root_again(root);
        assert_null(s);
        assert_int_equal(err.code, VM_EXIT_ACCESS);
        assert_non_null(strstr(err.msg, "secret.json: permission denied"));
    }

    snprintf(path, sizeof path, "%s/bad.json", dir);
    write_text(path, "{\"format\": \"vmmap-snapshot\", \"version\": 99}");
    assert_null(vm_snapshot_read_json(path, &err));
    char want[600];
    snprintf(want, sizeof want, "%s: version: unsupported version 99 (this vmmap reads versions 1 to 2)", path);
    assert_string_equal(err.msg, want);
    assert_true(err.hint[0] != '\0');
    remove_tmpdir();
}

/* ---- atomic files ------------------------------------------------------------------------ */

static void test_atomic_missing_directory(void **state)
{
    vm_snapshot *s = build_small();
    vm_error err;
    vm_error_clear(&err);
    assert_int_not_equal(vm_snapshot_write_json(s, "/nonexistent-vmmap-dir/x.json", &err), 0);
    assert_string_equal(err.msg, "cannot write /nonexistent-vmmap-dir/x.json: directory /nonexistent-vmmap-dir does not exist");
    assert_int_equal(access("/nonexistent-vmmap-dir", F_OK), -1);
    vm_snapshot_free(s);
}

static void test_atomic_permission_denied(void **state)
{
    const char *dir = make_tmpdir();
    char ro[512], path[600];
    snprintf(ro, sizeof ro, "%s/ro", dir);
    assert_int_equal(mkdir(ro, 0555), 0);
    chmod(ro, 0555);
    snprintf(path, sizeof path, "%s/x.json", ro);
    vm_snapshot *s = build_small();
    vm_error err;
    vm_error_clear(&err);
    bool root = geteuid() == 0;
    if (become_nobody()) {
        int rc = vm_snapshot_write_json(s, path, &err);
        become_root_again(root);
        assert_int_not_equal(rc, 0);
        char want[700];
        snprintf(want, sizeof want, "cannot write %s: permission denied", path);
        assert_string_equal(err.msg, want);
        assert_int_equal(err.code, VM_EXIT_ERROR); /* an output failure is exit 1; 4 is for the target */
        assert_int_equal(count_entries(ro), 0);
    }
    vm_snapshot_free(s);
    remove_tmpdir();
}

static void test_atomic_replace_and_abort(void **state)
{
    const char *dir = make_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/out.json", dir);
    write_text(path, "old contents");
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);

    /* abort leaves the target untouched and removes the temporary (twice is harmless) */
    vm_atomic_file af;
    vm_error err;
    vm_error_clear(&err);
    assert_true(vm_atomic_open(&af, path, &err));
    assert_non_null(strstr(af.tmp_path, "/.out.json."));
    fputs("half a file", af.fp);
    vm_atomic_abort(&af);
    vm_atomic_abort(&af);
    char *text = read_text(path);
    assert_string_equal(text, "old contents");
    free(text);
    assert_int_equal(count_entries(dir), 1);

    /* commit replaces it with a new file (new inode: renamed, not rewritten in place) */
    vm_snapshot *s = build_small();
    assert_int_equal(vm_snapshot_write_json(s, path, &err), 0);
    assert_int_equal(stat(path, &after), 0);
    assert_true(before.st_ino != after.st_ino);
    vm_snapshot *back = vm_snapshot_read_json(path, &err);
    assert_non_null(back);
    assert_same(s, back);
    vm_snapshot_free(back);
    assert_int_equal(count_entries(dir), 1);

    /* writers that need a path */
    char *tmp = vm_atomic_temp_path(path, &err);
    assert_non_null(tmp);
    write_text(tmp, "by path");
    assert_true(vm_atomic_commit_path(tmp, path, &err));
    free(tmp);
    text = read_text(path);
    assert_string_equal(text, "by path");
    free(text);
    assert_int_equal(count_entries(dir), 1);

    /* the target is a directory: commit fails, the temporary goes */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_not_equal(vm_snapshot_write_json(s, sub, &err), 0);
    assert_non_null(strstr(err.msg, "sub: it is a directory"));
    assert_int_equal(count_entries(dir), 2);

    /* "-" is standard output */
    assert_true(vm_atomic_open(&af, "-", &err));
    assert_ptr_equal(af.fp, stdout);
    assert_null(af.tmp_path);
    assert_true(vm_atomic_commit(&af, &err));
    vm_snapshot_free(s);
    remove_tmpdir();
}

/* Mounts a small tmpfs on a fresh directory; false (with a message) when mounting is not allowed. */
static bool mount_tmpfs(const char *dir, unsigned long flags)
{
    if (mount("tmpfs", dir, "tmpfs", flags, "size=64k") != 0) {
        print_message("  (cannot mount a tmpfs on %s: %s; skipping this case)\n", dir, strerror(errno));
        return false;
    }
    return true;
}

static void test_atomic_disk_full(void **state)
{
    const char *dir = make_tmpdir();
    char mnt[512], path[600];
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    assert_int_equal(mkdir(mnt, 0755), 0);
    if (!mount_tmpfs(mnt, 0)) {
        remove_tmpdir();
        return;
    }
    snprintf(path, sizeof path, "%s/snap.json", mnt);
    write_text(path, "old");
    vm_snapshot *s = build_rich(60);
    char *text = vm_snapshot_to_json(s, 1);
    assert_true(strlen(text) > 2 * 64 * 1024);
    free(text);
    char want[700];
    snprintf(want, sizeof want, "cannot write %s: no space left on device", path);
    /* Written at the end; and by a writer the file filled up on while the capture handed out
     * regions (written as they come): the error is told at the end all the same.  Checked once
     * the file system is gone: a failed assertion must not leave it mounted. */
    vm_error err[2];
    int rc[2], left[2];
    char *now[2];
    for (int fed = 0; fed < 2; fed++) {
        vm_error_clear(&err[fed]);
        if (fed) {
            vm_json_writer *w = vm_json_writer_new(path);
            assert_non_null(w);
            size_t all = s->nregions;
            for (size_t n = 256; n < all; n += 256) {
                s->nregions = n;
                vm_json_writer_regions_final(w, s, n);
            }
            s->nregions = all;
            rc[fed] = vm_json_writer_finish(w, s, &err[fed]);
            vm_json_writer_free(w);
        } else {
            rc[fed] = vm_snapshot_write_json(s, path, &err[fed]);
        }
        left[fed] = count_entries(mnt);
        now[fed] = read_text(path);
    }
    umount2(mnt, MNT_DETACH);
    for (int fed = 0; fed < 2; fed++) {
        assert_int_not_equal(rc[fed], 0);
        assert_string_equal(err[fed].msg, want);
        assert_int_equal(left[fed], 1); /* the old file only: no temporary */
        assert_string_equal(now[fed], "old");
        free(now[fed]);
    }
    vm_snapshot_free(s);
    remove_tmpdir();
}

static void test_atomic_read_only_fs(void **state)
{
    const char *dir = make_tmpdir();
    char mnt[512], path[600];
    snprintf(mnt, sizeof mnt, "%s/ro", dir);
    assert_int_equal(mkdir(mnt, 0755), 0);
    if (!mount_tmpfs(mnt, MS_RDONLY)) {
        remove_tmpdir();
        return;
    }
    snprintf(path, sizeof path, "%s/snap.json", mnt);
    vm_snapshot *s = build_small();
    vm_error err;
    vm_error_clear(&err);
    int rc = vm_snapshot_write_json(s, path, &err);
    umount2(mnt, MNT_DETACH);
    assert_int_not_equal(rc, 0);
    char want[700];
    snprintf(want, sizeof want, "cannot write %s: read-only file system", path);
    assert_string_equal(err.msg, want);
    vm_snapshot_free(s);
    remove_tmpdir();
}

/* ---- the JSON Schema --------------------------------------------------------------------- */

/* Keys whose removal makes the reader fail: the reader's required set for the object at path. */
static cJSON *reader_required(const char *base, const char *path)
{
    cJSON *doc = cJSON_Parse(base), *req = cJSON_CreateArray();
    const cJSON *obj = resolve(doc, path);
    assert_true(cJSON_IsObject(obj));
    for (const cJSON *c = obj->child; c; c = c->next) {
        cJSON *copy = cJSON_Parse(base);
        char full[256];
        snprintf(full, sizeof full, "%s%s%s", path, *path ? "." : "", c->string);
        mutate(copy, full, NULL);
        char *text = cJSON_PrintUnformatted(copy);
        vm_error err;
        vm_snapshot *s = vm_snapshot_from_json(text, strlen(text), "t.json", &err);
        if (!s)
            cJSON_AddItemToArray(req, cJSON_CreateString(c->string));
        vm_snapshot_free(s);
        cJSON_free(text);
        cJSON_Delete(copy);
    }
    cJSON_Delete(doc);
    return req;
}

static bool same_key_set(const cJSON *a, const cJSON *b)
{
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return false;
    for (const cJSON *x = a->child; x; x = x->next) {
        bool found = false;
        for (const cJSON *y = b->child; y && !found; y = y->next)
            found = cJSON_IsString(x) && cJSON_IsString(y) && strcmp(x->valuestring, y->valuestring) == 0;
        if (!found)
            return false;
    }
    return true;
}

static void test_schema_matches_reader(void **state)
{
    static const struct {
        const char *path; /* an instance in the base document */
        const char *def;  /* its schema: NULL the root, else $defs/NAME */
    } objects[] = {
        {"", NULL},
        {"host", "host"},
        {"process", "process"},
        {"regions[0]", "region"},
        {B0, "block"},
        {B0 ".heap", "heap_link"},
        {"heaps[0]", "heap"},
        {"heaps[0].parts[0]", "heap_part"},
        {"heaps[0].stats", "heap_stats"},
        {"heaps[0].sizes[0]", "heap_size"},
        {"heaps[0].owner[0]", "heap_owner"},
        {"threads[0]", "thread"},
        {"modules[0]", "module"},
        {"modules[0].sections[0]", "section"},
        {"warnings[0]", "warning"},
    };
    char *schema_text = read_text("docs/snapshot.schema.json");
    cJSON *schema = cJSON_Parse(schema_text);
    assert_non_null(schema); /* valid JSON */
    assert_string_equal(at(schema, "$schema")->valuestring, "https://json-schema.org/draft/2020-12/schema");
    char *base = base_text();
    int bad = 0;
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        const cJSON *def = objects[i].def ? at(at(schema, "$defs"), objects[i].def) : schema;
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(def, "required");
        cJSON *got = reader_required(base, objects[i].path);
        /* Keys required together ("dependentRequired": stats and sizes) are each required
         * once the other is there, which is what deleting one from the base shows. */
        const cJSON *dep = cJSON_GetObjectItemCaseSensitive(def, "dependentRequired");
        for (const cJSON *d = dep ? dep->child : NULL; d; d = d->next)
            for (int k = cJSON_GetArraySize(got) - 1; k >= 0; k--)
                if (strcmp(cJSON_GetArrayItem(got, k)->valuestring, d->string) == 0)
                    cJSON_DeleteItemFromArray(got, k);
        cJSON *none = cJSON_CreateArray();
        if (!same_key_set(want ? want : none, got)) {
            char *w = want ? cJSON_PrintUnformatted(want) : NULL, *g = cJSON_PrintUnformatted(got);
            print_error("%s: schema requires %s, the reader requires %s\n",
                        objects[i].def ? objects[i].def : "top level", w ? w : "[]", g);
            cJSON_free(w);
            cJSON_free(g);
            bad++;
        }
        cJSON_Delete(none);
        cJSON_Delete(got);
    }
    free(base);
    cJSON_Delete(schema);
    free(schema_text);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_rich),
        cmocka_unit_test(test_round_trip_empty),
        cmocka_unit_test(test_round_trip_small),
        cmocka_unit_test(test_pretty_is_cjson_layout),
        cmocka_unit_test(test_region_text_every_byte),
        cmocka_unit_test(test_layout_many_batches),
        cmocka_unit_test(test_writer_fed_growing_regions),
        cmocka_unit_test(test_writer_keeps_streams_for_the_end),
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_integer_limits),
        cmocka_unit_test(test_lenient_parts),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_version_paths),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_text_reasons),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_read_file_errors),
        cmocka_unit_test(test_atomic_missing_directory),
        cmocka_unit_test(test_atomic_permission_denied),
        cmocka_unit_test(test_atomic_replace_and_abort),
        cmocka_unit_test(test_atomic_disk_full),
        cmocka_unit_test(test_atomic_read_only_fs),
        cmocka_unit_test(test_schema_matches_reader),
        cmocka_unit_test(test_block_sharing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
