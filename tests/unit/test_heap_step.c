/* The heap statistics step over a whole snapshot: the dispatcher (parse/heap_walk.h) picks the
 * walker by heap kind, the statistics land in each heap, heaps without a walker are said not
 * walked, the owners are found in the modules' writable sections; and the result survives the
 * JSON round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "report/json.h"
#include "tests/support/synth_mem.h"
#include "vmmap/capture/heap_step.h"
#include "vmmap/parse/heap_owner.h"
#include "vmmap/parse/heap_walk.h"
#include "vmmap/util/xalloc.h"

#define LIBC 0x7fff00000000ull   /* libc's .data, main_arena inside */
#define MA (LIBC + 0x100)
#define EXE 0x555400000000ull    /* an executable's .bss */
#define BRK 0x555500000000ull
#define BRK_LEN 0x2000ull
#define H1 0x7f0000000000ull     /* an arena's only heap */
#define AR (H1 + 0x30)
#define MM 0x7f1000000000ull     /* an mmapped chunk */
#define NT 0x1d0000ull           /* a Windows heap in the same snapshot (as a merged file might) */

static void chunk(synth_mem *m, uint64_t at, uint64_t field)
{
    synth_put_u64(m, at + 8, field);
}

/* main_arena: [heap] holds a tcache (empty), one busy 0x100 chunk, the top. */
static void build_memory(synth_mem *m)
{
    synth_map(m, LIBC, 0x1000);
    synth_map(m, EXE, 0x1000);
    synth_map(m, BRK, BRK_LEN);
    synth_map(m, H1, 0x2000);
    synth_map(m, MM, 0x2000);
    chunk(m, BRK, 0x291);
    chunk(m, BRK + 0x290, 0x101);
    chunk(m, BRK + 0x390, (BRK_LEN - 0x390) | 1);
    synth_put_u64(m, MA + 0x60, BRK + 0x390);
    synth_put_u64(m, MA + 0x888, BRK_LEN);
    /* the arena: heap_info, malloc_state (top right after it: a pristine heap's one chunk) */
    synth_put_u64(m, H1, AR);
    synth_put_u64(m, H1 + 16, 0x2000);
    synth_put_u64(m, H1 + 24, 0x2000);
    synth_put_u64(m, AR + 0x60, H1 + 0x8d0);
    synth_put_u64(m, AR + 0x888, 0x2000);
    chunk(m, H1 + 0x8d0, (0x2000 - 0x8d0) | 5);
    synth_put_u64(m, EXE + 0x40, AR);      /* the exe keeps the arena's address in a global */
    synth_put_u64(m, LIBC + 0x800, AR);    /* and so does libc (main_arena.next, say) */
    chunk(m, MM, 0x2000 | 2);
}

static vm_heap *heap(vm_snapshot *s, int32_t id, const char *kind, uint64_t address, uint64_t part, uint64_t size)
{
    vm_heap *h = vm_snapshot_add_heap(s);
    h->id = id;
    h->kind = vm_strdup(kind);
    h->address = address;
    vm_heap_part *p = vm_heap_add_part(h);
    p->address = part;
    p->size = size;
    p->committed = size;
    return h;
}

static void module(vm_snapshot *s, const char *path, uint64_t data, const char *name)
{
    vm_module *mod = vm_snapshot_add_module(s);
    mod->path = vm_strdup(path);
    mod->base = data - 0x1000;
    mod->size = 0x2000;
    vm_section *sec = vm_module_add_section(mod);
    sec->name = vm_strdup(".text");
    sec->address = mod->base;
    sec->size = 0x1000;
    sec->protection = VM_PROT_READ | VM_PROT_EXEC;
    sec = vm_module_add_section(mod);
    sec->name = vm_strdup(name);
    sec->address = data;
    sec->size = 0x1000;
    sec->protection = VM_PROT_READ | VM_PROT_WRITE;
}

static vm_snapshot *build_snapshot(void)
{
    vm_snapshot *s = vm_snapshot_new();
    s->process.bits = 64;
    s->page_size = 4096;
    s->alloc_granularity = 4096;
    s->user_top = 0x800000000000ull;
    heap(s, 0, "glibc main arena", MA, BRK, BRK_LEN);
    heap(s, 1, "glibc arena", AR, H1, 0x4000000);
    heap(s, 2, "glibc mmap chunks", 0, MM, 0x2000);
    heap(s, 3, "NT", NT, NT, 0x10000);
    heap(s, 4, "jemalloc", 0x1234000, 0x1234000, 0x1000);
    module(s, "/usr/bin/prog", EXE, ".bss");
    module(s, "/lib/x86_64-linux-gnu/libc.so.6", LIBC, ".data");
    return s;
}

static void step_fills_every_heap(void **state)
{
    synth_mem m = {0};
    build_memory(&m);
    vm_memreader mem = synth_reader(&m);
    vm_snapshot *s = build_snapshot();
    vm_error err = {0};
    assert_int_equal(vm_heap_stats_fill(&mem, s, true, NULL, &err), VM_EXIT_OK);
    for (size_t i = 0; i < s->nwarnings; i++)
        print_message("warning %s: %s\n", s->warnings[i].code, s->warnings[i].message);

    const vm_heap *h = &s->heaps[0];
    assert_true(h->stats_known);
    assert_null(h->walk_note);
    assert_int_equal(h->stats.busy_blocks, 2);
    assert_int_equal(h->stats.busy_bytes, 0x390);
    assert_int_equal(h->stats.free_blocks, 1);
    assert_int_equal(h->stats.free_bytes, BRK_LEN - 0x390);
    assert_int_equal(h->nsizes, 3);
    assert_true(h->owners_known);
    assert_int_equal(h->nowners, 1); /* libc, where main_arena lies */
    assert_int_equal(h->owners[0].module, 1);
    assert_int_equal(h->owners[0].address, MA);

    h = &s->heaps[1];
    assert_true(h->stats_known);
    assert_int_equal(h->stats.free_blocks, 1);
    assert_int_equal(h->stats.overhead_bytes, 0x8d0);
    assert_int_equal(h->stats.free_bytes + h->stats.overhead_bytes, 0x2000);
    assert_int_equal(h->nowners, 2); /* libc (its ring) first, then the exe's global */
    assert_int_equal(h->owners[0].module, 1);
    assert_int_equal(h->owners[0].address, LIBC + 0x800);
    assert_int_equal(h->owners[1].module, 0);
    assert_int_equal(h->owners[1].address, EXE + 0x40);

    h = &s->heaps[2];
    assert_true(h->stats_known);
    assert_int_equal(h->stats.busy_blocks, 1);
    assert_int_equal(h->stats.busy_bytes, 0x2000);
    assert_false(h->owners_known); /* no handle to look for */

    h = &s->heaps[3]; /* said NT, but no NT heap at its address: not walked, no zeros */
    assert_false(h->stats_known);
    assert_non_null(strstr(h->walk_note, "not walked"));
    assert_non_null(strstr(h->walk_note, "neither an NT"));
    h = &s->heaps[4];
    assert_false(h->stats_known);
    assert_non_null(strstr(h->walk_note, "no block walker for this kind"));
    assert_true(h->owners_known);
    assert_int_equal(h->nowners, 0);

    /* Every field survives the JSON round trip. */
    s->tool_version = vm_strdup("t");
    char *text = vm_snapshot_to_json(s, 1);
    assert_non_null(text);
    vm_snapshot *back = vm_snapshot_from_json(text, strlen(text), "t.json", &err);
    if (!back)
        fail_msg("%s", err.msg);
    char why[256] = "";
    assert_true(vm_snapshot_equal(s, back, why, sizeof why));
    free(text);
    vm_snapshot_free(back);
    vm_snapshot_free(s);
    synth_free(&m);
}

/* Without sections (captured with --no-sections) there is nowhere to look: owners stay unknown,
 * said once. */
static void owners_without_sections(void **state)
{
    synth_mem m = {0};
    build_memory(&m);
    vm_memreader mem = synth_reader(&m);
    vm_snapshot *s = build_snapshot();
    for (size_t i = 0; i < s->nmodules; i++)
        s->modules[i].sections[1].protection = VM_PROT_READ;
    assert_true(vm_heap_find_owners(&mem, s, 64));
    for (size_t i = 0; i < s->nheaps; i++)
        assert_false(s->heaps[i].owners_known);
    assert_true(synth_has_warning(s, "owner-unknown", "no module has writable sections"));
    vm_snapshot_free(s);
    synth_free(&m);
}

/* An unreadable section is skipped with a warning; a 32-bit target's pointers are 4 bytes. */
static void owners_unreadable_and_32bit(void **state)
{
    synth_mem m = {0};
    build_memory(&m);
    synth_unmap(&m, EXE);
    synth_map(&m, EXE, 0x1000);
    synth_put_u32(&m, EXE + 0x44, 0x1234000); /* at a 4-aligned, not 8-aligned, offset */
    vm_memreader mem = synth_reader(&m);
    vm_snapshot *s = build_snapshot();
    s->process.bits = 32;
    assert_true(vm_heap_find_owners(&mem, s, 32));
    assert_int_equal(s->heaps[4].nowners, 1);
    assert_int_equal(s->heaps[4].owners[0].address, EXE + 0x44);
    synth_unmap(&m, LIBC);
    vm_snapshot_free(s);
    s = build_snapshot();
    assert_true(vm_heap_find_owners(&mem, s, 64));
    assert_true(synth_has_warning(s, "read-failed", "1 writable sections of modules could not be read"));
    vm_snapshot_free(s);
    synth_free(&m);
}

/* A section whose pages cannot all be read (a live target's pages not in memory are not read):
 * the search goes on past each one, to a pointer after a hole at the start and one in the middle. */
static void owners_past_unreadable_pages(void **state)
{
    const uint64_t data = 0x556600000000ull;
    synth_mem m = {0};
    build_memory(&m);
    synth_map(&m, data + 0x1000, 0x1000);
    synth_map(&m, data + 0x3000, 0x1000);
    synth_put_u64(&m, data + 0x1010, AR);
    synth_put_u64(&m, data + 0x3ff8, MA);
    vm_memreader mem = synth_reader(&m);
    vm_snapshot *s = build_snapshot();
    vm_module *mod = vm_snapshot_add_module(s);
    mod->path = vm_strdup("/usr/lib/libplugin.so");
    mod->base = data - 0x1000;
    mod->size = 0x5000;
    vm_section *sec = vm_module_add_section(mod);
    sec->name = vm_strdup(".data");
    sec->address = data;
    sec->size = 0x4000; /* pages 0 and 2 unreadable */
    sec->protection = VM_PROT_READ | VM_PROT_WRITE;
    assert_true(vm_heap_find_owners(&mem, s, 64));
    bool arena = false, main_arena = false;
    for (size_t i = 0; i < s->heaps[1].nowners; i++)
        arena |= s->heaps[1].owners[i].module == 2 && s->heaps[1].owners[i].address == data + 0x1010;
    for (size_t i = 0; i < s->heaps[0].nowners; i++)
        main_arena |= s->heaps[0].owners[i].module == 2 && s->heaps[0].owners[i].address == data + 0x3ff8;
    assert_true(arena);
    assert_true(main_arena);
    assert_false(synth_has_warning(s, "read-failed", "could not be read"));
    vm_snapshot_free(s);
    synth_free(&m);
}

/* An arena libc's own data does not point at (all but the newest): libc owns it through
 * main_arena's ring, named at main_arena's address. */
static void owners_libc_by_ring(void **state)
{
    synth_mem m = {0};
    build_memory(&m);
    synth_put_u64(&m, LIBC + 0x800, 0);
    vm_memreader mem = synth_reader(&m);
    vm_snapshot *s = build_snapshot();
    assert_true(vm_heap_find_owners(&mem, s, 64));
    const vm_heap *h = &s->heaps[1];
    assert_int_equal(h->nowners, 2);
    assert_int_equal(h->owners[0].module, 1);
    assert_int_equal(h->owners[0].address, MA);
    assert_int_equal(h->owners[1].module, 0);
    assert_int_equal(h->owners[1].address, EXE + 0x40);
    vm_snapshot_free(s);
    synth_free(&m);
}

/* The dispatcher on its own: the visitor sees overhead ranges, and stopping works. */
static bool count_visit(void *ctx, const vm_hblock *b)
{
    size_t *n = ctx;
    n[b->state]++;
    return true;
}

static void dispatcher_kinds(void **state)
{
    synth_mem m = {0};
    build_memory(&m);
    vm_memreader mem = synth_reader(&m);
    vm_snapshot *s = build_snapshot();
    vm_heap_walker *w = vm_heap_walker_new(&mem, s, NULL);
    size_t n[VM_HBLOCK_STATE_COUNT] = {0};
    char note[128];
    assert_int_equal(vm_heap_walk(w, 1, count_visit, n, note, sizeof note), VM_HEAP_WALK_COMPLETE);
    assert_int_equal(n[VM_HBLOCK_OVERHEAD], 1);
    assert_int_equal(n[VM_HBLOCK_FREE], 1);
    assert_int_equal(vm_heap_walk(w, 3, count_visit, n, note, sizeof note), VM_HEAP_WALK_NONE);
    assert_int_equal(vm_heap_walk(w, 99, count_visit, n, note, sizeof note), VM_HEAP_WALK_NONE);
    /* a dump's heap whose memory it did not capture: said so, not "no walker" */
    heap(s, 9, "not captured", 0x2000000, 0x2000000, 0x1000);
    assert_int_equal(vm_heap_walk(w, s->nheaps - 1, count_visit, n, note, sizeof note), VM_HEAP_WALK_NONE);
    assert_string_equal(note, "not walked: the dump holds no memory of this heap");
    assert_true(vm_heap_kind_walkable("glibc arena"));
    assert_true(vm_heap_kind_walkable("NT"));
    assert_true(vm_heap_kind_walkable("Wine"));
    assert_false(vm_heap_kind_walkable("jemalloc"));
    vm_heap_walker_free(w);
    vm_snapshot_free(s);
    synth_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(step_fills_every_heap),
        cmocka_unit_test(owners_without_sections),
        cmocka_unit_test(owners_unreadable_and_32bit),
        cmocka_unit_test(owners_libc_by_ring),
        cmocka_unit_test(owners_past_unreadable_pages),
        cmocka_unit_test(dispatcher_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
