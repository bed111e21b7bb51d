/* Terminal views: summary by type and the region/block detail, on a snapshot built here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/text.h"
#include "vmmap/util/units.h"
#include "vmmap/util/xalloc.h"

/* ---- the fixture ---------------------------------------------------------------------------- */

#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define RX (VM_PROT_READ | VM_PROT_EXEC)
#define NOT_LINUX (VM_COUNTERS_ALL_KNOWN & ~((1u << VM_C_PSS) | (1u << VM_C_SWAP)))

typedef struct block_spec {
    uint64_t address, size;
    vm_state state;
    uint32_t prot;
    vm_kind kind;
    const char *details;
    int32_t heap_id, heap_part, module;
    uint64_t tid;
} block_spec;

typedef struct region_spec {
    uint64_t address, size;
    vm_kind kind;
    const char *details;
    size_t first, count; /* into blocks[] */
} region_spec;

enum { NO = -1 };

static const block_spec blocks[] = {
    /* 0-1: image */
    {0x400000, 0x1000, VM_STATE_COMMIT, RX, VM_KIND_IMAGE, ".text", NO, NO, 0, 0},
    {0x401000, 0x2000, VM_STATE_COMMIT, RW, VM_KIND_IMAGE, ".data", NO, NO, 0, 0},
    /* 2-3: heap, committed part and reserved tail */
    {0x1000000, 0x100000, VM_STATE_COMMIT, RW, VM_KIND_HEAP, "Heap 1 brk", 1, 0, NO, 0},
    {0x1100000, 0x100000, VM_STATE_RESERVE, 0, VM_KIND_HEAP, "Heap 1 reserve", 1, 0, NO, 0},
    /* 4: one block saying what its region says */
    {0x2000000, 0x10000, VM_STATE_COMMIT, RW, VM_KIND_PRIVATE_DATA, "anon", NO, NO, NO, 0},
    /* 5-6: private data with an unusable tail */
    {0x3000000, 0xc000, VM_STATE_COMMIT, RW, VM_KIND_PRIVATE_DATA, NULL, NO, NO, NO, 0},
    {0x300c000, 0x4000, VM_STATE_RESERVE, 0, VM_KIND_UNUSABLE, "tail", NO, NO, NO, 0},
    /* 7: free space, the largest region */
    {0x10000000, 0x10000000, VM_STATE_FREE, 0, VM_KIND_FREE, NULL, NO, NO, NO, 0},
    /* 8: a mapped file, the most committed */
    {0x7f0000000000, 0x800000, VM_STATE_COMMIT, VM_PROT_READ, VM_KIND_MAPPED_FILE, "data.bin",
     NO, NO, NO, 0},
    /* 9-10: a thread stack and its guard page */
    {0x7ffd00000000, 0x1000, VM_STATE_COMMIT, RW | VM_PROT_GUARD, VM_KIND_STACK, "guard", NO, NO,
     NO, 4120},
    {0x7ffd00001000, 0xff000, VM_STATE_COMMIT, RW, VM_KIND_STACK, "stack", NO, NO, NO, 4120},
};

enum { R_IMAGE, R_HEAP, R_PRIVATE1, R_PRIVATE2, R_FREE, R_MAPPED, R_STACK, NREGIONS };

static const region_spec regions[NREGIONS] = {
    {0x400000, 0x3000, VM_KIND_IMAGE, "/usr/bin/sample", 0, 2},
    {0x1000000, 0x200000, VM_KIND_HEAP, "Heap 1 [glibc main arena]", 2, 2},
    {0x2000000, 0x10000, VM_KIND_PRIVATE_DATA, "anon", 4, 1},
    {0x3000000, 0x10000, VM_KIND_PRIVATE_DATA, "mmap", 5, 2},
    {0x10000000, 0x10000000, VM_KIND_FREE, NULL, 7, 1},
    {0x7f0000000000, 0x800000, VM_KIND_MAPPED_FILE, "/data/data.bin", 8, 1},
    {0x7ffd00000000, 0x100000, VM_KIND_STACK, "Thread 4120 stack", 9, 2},
};

static void set_counters(vm_block *b)
{
    uint64_t committed = b->state == VM_STATE_COMMIT ? b->size : 0;
    b->counters.known = NOT_LINUX;
    for (int c = 0; c < VM_C_PSS; c++)
        b->counters.v[c] = committed;
    b->counters.v[VM_C_LOCKED_WS] = 0;
    b->counters.v[VM_C_SHARED_WS] = committed / 2;
}

static void add_block(vm_region *r, const block_spec *spec)
{
    vm_block *b = vm_region_add_block(r);
    assert_non_null(b);
    b->address = spec->address;
    b->size = spec->size;
    b->state = spec->state;
    b->protection = spec->prot;
    b->kind = spec->kind;
    b->memtype = spec->kind == VM_KIND_IMAGE ? VM_MEMTYPE_IMAGE : VM_MEMTYPE_PRIVATE;
    b->details = vm_strdup(spec->details);
    b->heap_id = spec->heap_id;
    b->heap_part = spec->heap_part;
    b->module = spec->module;
    b->thread_id = spec->tid;
    set_counters(b);
}

static void add_region(vm_snapshot *s, const region_spec *spec)
{
    vm_region *r = vm_snapshot_add_region(s);
    assert_non_null(r);
    r->address = spec->address;
    r->size = spec->size;
    r->kind = spec->kind;
    r->details = vm_strdup(spec->details);
    for (size_t i = 0; i < spec->count; i++)
        add_block(r, &blocks[spec->first + i]);
}

static void add_links(vm_snapshot *s)
{
    vm_heap *h = vm_snapshot_add_heap(s);
    h->id = 1;
    h->address = 0x7f1234560000;
    h->kind = vm_strdup("glibc main arena");
    vm_heap_part *part = vm_heap_add_part(h);
    part->address = 0x1000000;
    part->size = 0x200000;
    part->what = vm_strdup("brk heap");

    vm_thread *t = vm_snapshot_add_thread(s);
    t->tid = 4120;
    t->name = vm_strdup("worker");
    t->found_by = vm_strdup("syscall sp");

    vm_module *m = vm_snapshot_add_module(s);
    m->path = vm_strdup("/usr/bin/sample");
    m->base = 0x400000;
    m->size = 0x3000;
    static const struct {
        const char *name;
        uint64_t address, size;
        uint32_t prot;
    } sections[] = {{".text", 0x400000, 0x800, RX}, {".data", 0x401000, 0x2000, RW}};
    for (size_t i = 0; i < 2; i++) {
        vm_section *sec = vm_module_add_section(m);
        sec->name = vm_strdup(sections[i].name);
        sec->address = sections[i].address;
        sec->size = sections[i].size;
        sec->protection = sections[i].prot;
    }
}

static vm_snapshot *fixture(void)
{
    vm_snapshot *s = vm_snapshot_new();
    assert_non_null(s);
    s->taken_at = vm_strdup("2024-05-01T12:00:00Z");
    s->source = vm_strdup("live-linux");
    s->host = vm_strdup("buildbox");
    s->os = vm_strdup("Linux 6.1.0");
    s->arch = vm_strdup("x86_64");
    s->process.pid = 4242;
    s->process.name = vm_strdup("sample");
    s->process.exe = vm_strdup("/usr/bin/sample");
    s->page_size = 4096;
    s->user_top = 0x800000000000;
    s->page_table_bytes = 0x10000;
    s->page_table_known = true;
    for (size_t i = 0; i < NREGIONS; i++)
        add_region(s, &regions[i]);
    add_links(s);
    return s;
}

/* ---- capturing output ----------------------------------------------------------------------- */

typedef struct capture {
    char *text;
    size_t len;
    FILE *f;
} capture;

static FILE *cap_open(capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
    return c->f;
}

static char *cap_close(capture *c)
{
    fclose(c->f);
    return c->text;
}

static char *summary_text(const vm_snapshot *s, const vm_text_options *opt)
{
    capture c;
    vm_text_summary(cap_open(&c), s, opt);
    return cap_close(&c);
}

static char *detail_text(const vm_snapshot *s, const vm_detail_options *opt, int *rc)
{
    capture c;
    *rc = vm_text_detail(cap_open(&c), s, opt);
    return cap_close(&c);
}

/* The line that starts with prefix followed by a blank or its end (a table row by its first
 * cell). */
static const char *row_of(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, prefix, n) == 0 && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return p;
    }
    return NULL;
}

/* Cell i of a table row: cells are separated by two or more blanks, so blank cells are skipped
 * (callers count only the cells that hold something). */
static void cell_of(const char *row, int i, char *buf, size_t len)
{
    const char *p = row;
    for (;;) {
        const char *end = p;
        while (*end && *end != '\n' && !(end[0] == ' ' && end[1] == ' '))
            end++;
        if (i-- == 0) {
            snprintf(buf, len, "%.*s", (int)(end - p), p);
            return;
        }
        while (*end == ' ')
            end++;
        if (!*end || *end == '\n') {
            buf[0] = '\0';
            return;
        }
        p = end;
    }
}

/* "11,404 K" -> 11404. */
static uint64_t kb_of(const char *cell)
{
    uint64_t v = 0;
    for (; *cell && *cell != ' '; cell++)
        if (*cell != ',')
            v = v * 10 + (uint64_t)(*cell - '0');
    return v;
}

/* Occurrences of needle (not strstr in a loop: ASan's strstr measures the whole haystack). */
static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = text; *p; p++)
        n += strncmp(p, needle, len) == 0;
    return n;
}

/* The first table row after the title and the rule. */
static const char *first_row(const char *text)
{
    const char *rule = strstr(text, "\n---");
    assert_non_null(rule);
    const char *p = strchr(rule + 1, '\n');
    assert_non_null(p);
    return p + 1;
}

/* ---- summary -------------------------------------------------------------------------------- */

static const char *const kind_rows[] = {
    "Image", "Mapped File", "Shareable", "Heap", "Managed Heap", "Stack",
    "Private Data", "Page Table", "Unusable", "Free", "Total",
};
#define NROWS (sizeof kind_rows / sizeof kind_rows[0])

static void test_summary_header(void **state)
{
    vm_snapshot *s = fixture();
    vm_snapshot_warn(s, "read-failed", "could not read %s", "0x1000");
    char *out = summary_text(s, NULL);
    assert_non_null(strstr(out, "Process:   sample (PID 4242, 64-bit)\n"));
    assert_non_null(strstr(out, "Image:     /usr/bin/sample\n"));
    assert_non_null(strstr(out, "Taken at:  2024-05-01T12:00:00Z\n"));
    assert_non_null(strstr(out, "Source:    live-linux\n"));
    assert_non_null(strstr(out, "Host:      buildbox, Linux 6.1.0, x86_64\n"));
    assert_non_null(strstr(out, "Page size: 4 K\n"));
    assert_non_null(strstr(out, "7 regions, 1 thread, 1 module, 1 heap\n")); /* counted nouns agree */
    assert_non_null(strstr(out, "Warnings:  1 (see: vmmap show --warnings)\n"));
    free(out);
    vm_snapshot_free(s);
}

static void test_summary_rows_in_order(void **state)
{
    vm_snapshot *s = fixture();
    char *out = summary_text(s, NULL);
    const char *prev = row_of(out, "Type");
    assert_non_null(prev);
    for (size_t i = 0; i < NROWS; i++) {
        const char *row = row_of(out, kind_rows[i]);
        if (!row || row <= prev)
            fail_msg("row %s missing or out of order:\n%s", kind_rows[i], out);
        prev = row;
    }
    assert_null(strstr(out, "\x1b")); /* no colour unless asked */
    assert_null(strstr(out, " \n"));  /* no trailing blanks */
    free(out);
    vm_snapshot_free(s);
}

static void test_summary_total_is_the_sum(void **state)
{
    vm_snapshot *s = fixture();
    char *out = summary_text(s, NULL);
    char cell[64];
    for (int col = 1; col <= 3; col++) { /* Size, Committed, Private */
        uint64_t sum = 0;
        for (size_t i = 0; i + 1 < NROWS; i++) {
            if (strcmp(kind_rows[i], "Free") == 0)
                continue;
            cell_of(row_of(out, kind_rows[i]), col, cell, sizeof cell);
            sum += kb_of(cell);
        }
        cell_of(row_of(out, "Total"), col, cell, sizeof cell);
        assert_int_equal(kb_of(cell), sum);
    }
    /* 12 K image + 8,192 K file + 2,048 K heap + 1,024 K stack + 112 K private + 16 K unusable
     * + 64 K page tables: thousands separated. */
    cell_of(row_of(out, "Total"), 1, cell, sizeof cell);
    assert_string_equal(cell, "11,468 K");
    cell_of(row_of(out, "Heap"), 10, cell, sizeof cell); /* Largest */
    assert_string_equal(cell, "1,024 K");
    cell_of(row_of(out, "Free"), 1, cell, sizeof cell);
    assert_string_equal(cell, "262,144 K");
    free(out);
    vm_snapshot_free(s);
}

static void test_summary_unknown_is_question_mark(void **state)
{
    vm_snapshot *s = fixture();
    s->regions[R_MAPPED].blocks[0].counters.known &= ~(1u << VM_C_TOTAL_WS);
    s->page_table_known = false;
    char *out = summary_text(s, NULL);
    char cell[64];
    cell_of(row_of(out, "Mapped File"), 4, cell, sizeof cell); /* Total WS */
    assert_string_equal(cell, "?");
    cell_of(row_of(out, "Mapped File"), 2, cell, sizeof cell); /* Committed still known */
    assert_string_equal(cell, "8,192 K");
    cell_of(row_of(out, "Total"), 4, cell, sizeof cell);
    assert_string_equal(cell, "?");
    cell_of(row_of(out, "Heap"), 4, cell, sizeof cell);
    assert_string_not_equal(cell, "?");
    cell_of(row_of(out, "Page Table"), 1, cell, sizeof cell);
    assert_string_equal(cell, "?");
    /* Unknown page tables are left out of the total (docs/columns.md): 10,428 K with page
     * tables known (test_summary_rows) minus their 64 K. */
    cell_of(row_of(out, "Total"), 2, cell, sizeof cell);
    assert_string_equal(cell, "10,364 K");
    free(out);
    vm_snapshot_free(s);
}

static void test_summary_linux_columns(void **state)
{
    vm_snapshot *s = fixture();
    char *out = summary_text(s, NULL);
    assert_null(strstr(out, "Pss"));
    free(out);

    out = summary_text(s, &(vm_text_options){.linux_columns = true});
    assert_non_null(strstr(out, "Pss"));
    assert_non_null(strstr(out, "Swap"));
    free(out);

    s->regions[R_HEAP].blocks[0].counters.known |= 1u << VM_C_PSS;
    s->regions[R_HEAP].blocks[0].counters.v[VM_C_PSS] = 0x80000;
    out = summary_text(s, NULL);
    const char *title = row_of(out, "Type");
    assert_non_null(title);
    assert_true(strstr(title, "Pss") < strstr(title, "Swap"));
    char cell[64];
    cell_of(row_of(out, "Image"), 9, cell, sizeof cell); /* Image blocks do not know Pss */
    assert_string_equal(cell, "?");
    free(out);
    vm_snapshot_free(s);
}

static void test_summary_color(void **state)
{
    vm_snapshot *s = fixture();
    char *out = summary_text(s, &(vm_text_options){.color = true});
    assert_non_null(strstr(out, "\x1b[35mImage\x1b[0m"));
    assert_non_null(strstr(out, "\x1b[31mHeap\x1b[0m"));
    free(out);
    vm_snapshot_free(s);
}

/* ---- detail --------------------------------------------------------------------------------- */

static void test_detail_rows(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = detail_text(s, &(vm_detail_options){0}, &rc);
    assert_int_equal(rc, 0);
    /* Region row and its first block share the address; the block is indented. */
    assert_int_equal(count_of(out, "0000000001000000"), 2);
    assert_non_null(strstr(out, "\n  0000000001000000  Heap"));
    assert_non_null(strstr(out, "\n  0000000001100000  Heap"));
    /* A one-block region that says nothing more prints one row. */
    assert_int_equal(count_of(out, "0000000002000000"), 1);
    /* Region protection: shown when the blocks agree, blank when not; in a Linux snapshot as
     * pmap prints it (a private block is private there). */
    assert_non_null(strstr(row_of(out, "0000000002000000"), "rw-p"));
    assert_non_null(strstr(out, "Read/Write/Guard"));
    char cell[64];
    cell_of(row_of(out, "0000000001000000"), 2, cell, sizeof cell);
    assert_string_equal(cell, "2,048 K");
    cell_of(row_of(out, "0000000001000000"), 3, cell, sizeof cell); /* committed: sum */
    assert_string_equal(cell, "1,024 K");
    cell_of(row_of(out, "0000000001000000"), 10, cell, sizeof cell); /* Blocks */
    assert_string_equal(cell, "2");
    cell_of(row_of(out, "0000000001000000"), 11, cell, sizeof cell);
    assert_string_equal(cell, "Heap 1 [glibc main arena]");
    /* Free space: no counters, no protection. */
    const char *free_row = row_of(out, "0000000010000000");
    assert_null(strstr(free_row, "No access"));
    assert_memory_equal(strchr(free_row, '\n') - 3, "  1\n", 4);
    /* Address order. */
    assert_true(strstr(out, "0000000000400000") < strstr(out, "00007FFD00000000"));
    free(out);
    vm_snapshot_free(s);
}

static void test_detail_regions_only(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = detail_text(s, &(vm_detail_options){.regions_only = true}, &rc);
    assert_int_equal(count_of(out, "\n  "), 0);
    assert_int_equal(count_of(out, "0000000001000000"), 1);
    free(out);
    vm_snapshot_free(s);
}

static void test_detail_type_filter(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = detail_text(s, &(vm_detail_options){.kinds = 1u << VM_KIND_HEAP}, &rc);
    assert_non_null(strstr(out, "0000000001000000"));
    assert_null(strstr(out, "0000000000400000"));
    assert_null(strstr(out, "00007F0000000000"));
    free(out);
    /* A region is shown when one of its blocks is of the kind, with all its blocks. */
    out = detail_text(s, &(vm_detail_options){.kinds = 1u << VM_KIND_UNUSABLE}, &rc);
    assert_non_null(row_of(out, "0000000003000000"));
    assert_non_null(strstr(out, "  000000000300C000  Unusable"));
    assert_non_null(strstr(out, "  0000000003000000  Private Data"));
    assert_null(strstr(out, "0000000002000000"));
    free(out);
    vm_snapshot_free(s);
}

static void test_detail_min_size(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = detail_text(s, &(vm_detail_options){.min_size = 0x100000}, &rc);
    static const char *const shown[] = {"0000000001000000", "0000000010000000",
                                        "00007F0000000000", "00007FFD00000000"};
    static const char *const hidden[] = {"0000000000400000", "0000000002000000",
                                         "0000000003000000"};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(row_of(out, shown[i]));
    for (size_t i = 0; i < 3; i++)
        assert_null(strstr(out, hidden[i]));
    free(out);
    vm_snapshot_free(s);
}

static void test_detail_sort(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    /* Sorted, the Free gaps are left out (they would bury the map), and a line says so... */
    char *out = detail_text(s, &(vm_detail_options){.sort = VM_SORT_SIZE}, &rc);
    assert_null(row_of(out, "0000000010000000")); /* the free space */
    assert_true(strstr(out, "00007F0000000000") < strstr(out, "0000000001000000"));
    assert_non_null(strstr(out, "(Free gaps are left out of a sorted view; --type free shows them)\n"));
    free(out);
    /* ...unless --type asks for Free. */
    out = detail_text(s, &(vm_detail_options){.sort = VM_SORT_SIZE, .kinds = ~0u}, &rc);
    assert_true(row_of(out, "0000000010000000") == first_row(out));
    assert_null(strstr(out, "left out"));
    free(out);
    out = detail_text(s, &(vm_detail_options){.sort = VM_SORT_COMMITTED}, &rc);
    assert_true(row_of(out, "00007F0000000000") == first_row(out));
    free(out);
    vm_snapshot_free(s);
}

/* Linux: pmap's p/s where the snapshot knows it (a mapped block says it; private and image blocks
 * are private); VMMap's words where it does not, and on every other platform. */
static void test_detail_protection_private_shared(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    vm_block *mapped = &s->regions[R_MAPPED].blocks[0];
    mapped->memtype = VM_MEMTYPE_MAPPED;
    char *out = detail_text(s, &(vm_detail_options){0}, &rc);
    assert_non_null(strstr(row_of(out, "00007F0000000000"), "  Read  ")); /* unknown: VMMap's word */
    assert_non_null(strstr(row_of(out, "0000000000400000"), "r-xp")); /* the image's .text */
    free(out);
    mapped->sharing = VM_SHARING_SHARED;
    out = detail_text(s, &(vm_detail_options){0}, &rc);
    assert_non_null(strstr(row_of(out, "00007F0000000000"), "r--s"));
    free(out);
    mapped->sharing = VM_SHARING_PRIVATE;
    out = detail_text(s, &(vm_detail_options){0}, &rc);
    assert_non_null(strstr(row_of(out, "00007F0000000000"), "r--p"));
    free(out);
    free(s->source);
    s->source = vm_strdup("minidump");
    mapped->sharing = VM_SHARING_UNKNOWN;
    out = detail_text(s, &(vm_detail_options){0}, &rc);
    assert_non_null(strstr(row_of(out, "0000000002000000"), "Read/Write"));
    assert_null(strstr(out, "rw-p"));
    free(out);
    vm_snapshot_free(s);
}

static char *explain_text(const vm_snapshot *s, uint64_t address, int *rc)
{
    return detail_text(s, &(vm_detail_options){.has_address = true, .address = address}, rc);
}

static void test_address_heap(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = explain_text(s, 0x1000010, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(row_of(out, "0000000001000000"));
    assert_null(strstr(out, "0000000000400000"));
    assert_non_null(strstr(out, "Address 0000000001000010 is in region 0000000001000000-"));
    assert_non_null(strstr(out, "offset +0x10"));
    assert_non_null(strstr(out, "commit, Read/Write (rw-p), private"));
    assert_non_null(strstr(out, "Heap 1 brk"));
    assert_non_null(strstr(out, "1: glibc main arena heap at 00007F1234560000"));
    assert_non_null(strstr(out, "part 0: brk heap"));
    free(out);
    /* a heap with no address of its own (glibc's mmapped chunks): no "at 0000000000000000", also
     * from an older snapshot that wrote 0x0; one whose address was not found: "address unknown" */
    vm_heap *h = NULL;
    for (size_t i = 0; i < s->nheaps; i++)
        if (s->heaps[i].id == 1)
            h = &s->heaps[i];
    assert_non_null(h);
    free(h->kind);
    h->kind = vm_strdup("glibc mmap chunks");
    h->address = 0;
    for (int unknown = 0; unknown < 2; unknown++) {
        h->address_unknown = unknown;
        out = explain_text(s, 0x1000010, &rc);
        assert_non_null(strstr(out, "1: glibc mmap chunks heap; part 0"));
        assert_null(strstr(out, "heap at"));
        free(out);
    }
    free(h->kind);
    h->kind = vm_strdup("glibc main arena");
    out = explain_text(s, 0x1000010, &rc);
    assert_non_null(strstr(out, "1: glibc main arena heap, address unknown; part 0"));
    free(out);
    vm_snapshot_free(s);
}

static void test_address_stack_and_module(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = explain_text(s, 0x7ffd00050000, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "Thread:     4120 \"worker\", stack found by syscall sp"));
    free(out);

    out = explain_text(s, 0x400100, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "Module:     /usr/bin/sample, section .text "
                                "0000000000400000-0000000000400800 (2 K) Execute/Read"));
    free(out);

    out = explain_text(s, 0x400900, &rc); /* in the image, in no section */
    assert_non_null(strstr(out, "/usr/bin/sample, in no section"));
    free(out);
    vm_snapshot_free(s);
}

static void test_address_dangling_links(void **state)
{
    vm_snapshot *s = fixture();
    vm_block *b = &s->regions[R_PRIVATE1].blocks[0];
    b->heap_id = 9;
    b->thread_id = 77;
    b->module = 5;
    int rc;
    char *out = explain_text(s, 0x2000000, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "9 (not in the heap list)"));
    assert_non_null(strstr(out, "77 (not in the thread list)"));
    assert_non_null(strstr(out, "5 (not in the module list)"));
    free(out);
    vm_snapshot_free(s);
}

static void test_address_in_gap(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = explain_text(s, 0x1500000, &rc);
    assert_int_equal(rc, 0); /* an answer: the address is Free */
    assert_string_equal(out, "Address 0000000001500000 is in no region: it is in the free gap "
                             "0000000001200000-0000000002000000 (14,336 K), Free.\n");
    free(out);
    vm_snapshot_free(s);
}

static void test_address_outside(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = explain_text(s, 0x900000000000, &rc);
    assert_int_equal(rc, 2); /* nothing printed: `vmmap show` reports it as an error */
    assert_string_equal(out, "");
    uint64_t top = 0;
    assert_true(vm_text_address_outside(s, 0x900000000000, &top));
    assert_int_equal(top, 0x800000000000);
    assert_false(vm_text_address_outside(s, 0x1500000, &top));
    free(out);
    vm_snapshot_free(s);
}

static void test_warnings(void **state)
{
    vm_snapshot *s = fixture();
    int rc;
    char *out = detail_text(s, &(vm_detail_options){.warnings = true}, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "No warnings.\n");
    free(out);
    vm_snapshot_warn(s, "read-failed", "could not read %d bytes", 4096);
    vm_snapshot_warn(s, "heap-invalid", "heap 2 is corrupt");
    out = detail_text(s, &(vm_detail_options){.warnings = true}, &rc);
    assert_string_equal(out, "2 warnings:\n"
                             "  [read-failed] could not read 4096 bytes\n"
                             "  [heap-invalid] heap 2 is corrupt\n");
    free(out);
    vm_snapshot_free(s);
}

/* 60,000 regions of two blocks each: every row is there, once. */
static void test_detail_many_regions(void **state)
{
    enum { N = 60000 };
    vm_snapshot *s = vm_snapshot_new();
    for (size_t i = 0; i < N; i++) {
        /* Added out of address order so the sort has work to do. */
        uint64_t base = 0x10000000 + (uint64_t)((i * 7919) % N) * 0x20000;
        vm_region *r = vm_snapshot_add_region(s);
        r->address = base;
        r->size = 0x20000;
        r->kind = VM_KIND_PRIVATE_DATA;
        for (int j = 0; j < 2; j++) {
            vm_block *b = vm_region_add_block(r);
            b->address = base + (uint64_t)j * 0x10000;
            b->size = 0x10000;
            b->kind = VM_KIND_PRIVATE_DATA;
            b->state = j ? VM_STATE_RESERVE : VM_STATE_COMMIT;
            b->counters.known = NOT_LINUX;
        }
    }
    int rc;
    char *out = detail_text(s, &(vm_detail_options){0}, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(count_of(out, "\n"), 2 + 3 * N);
    assert_memory_equal(first_row(out), "0000000010000000", 16);
    free(out);
    vm_snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_header),
        cmocka_unit_test(test_summary_rows_in_order),
        cmocka_unit_test(test_summary_total_is_the_sum),
        cmocka_unit_test(test_summary_unknown_is_question_mark),
        cmocka_unit_test(test_summary_linux_columns),
        cmocka_unit_test(test_summary_color),
        cmocka_unit_test(test_detail_rows),
        cmocka_unit_test(test_detail_regions_only),
        cmocka_unit_test(test_detail_type_filter),
        cmocka_unit_test(test_detail_min_size),
        cmocka_unit_test(test_detail_sort),
        cmocka_unit_test(test_detail_protection_private_shared),
        cmocka_unit_test(test_address_heap),
        cmocka_unit_test(test_address_stack_and_module),
        cmocka_unit_test(test_address_dangling_links),
        cmocka_unit_test(test_address_in_gap),
        cmocka_unit_test(test_address_outside),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_detail_many_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
