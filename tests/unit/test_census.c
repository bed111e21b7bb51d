/* The object census (model/census.h) fed with synthetic heap blocks over a synthetic C++ process
 * (tests/support/synth_cxx.h): what counts (busy blocks only; primary vptrs, not secondary ones;
 * every object of a vector buffer; the object after a list node's links), the bytes (exact for a
 * block holding one object, estimated by distance otherwise), the heaps, the instance list,
 * --all (stacks from the stack pointer up, private data, image data), random data that must
 * invent nothing, unreadable blocks, blocks larger than the read window, and 32-bit targets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/synth_cxx.h"
#include "vmmap/cli/cli.h"
#include "vmmap/model/census.h"

#define HEAP0 0x20000000u
#define HEAP2 0x30000000u

static const vm_object_type *find_type(const vm_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->nobjects; i++)
        if (strcmp(s->objects[i].type, name) == 0)
            return &s->objects[i];
    return NULL;
}

static void visit(vm_census *c, uint64_t addr, uint64_t size, uint64_t header, vm_hblock_state st, int32_t heap)
{
    vm_hblock b = {.address = addr, .size = size, .user = addr + header, .user_size = size - header, .state = st,
                   .heap_id = heap};
    assert_true(vm_census_visit(c, &b));
}

static vm_census *start(synth_cxx *x, const vm_census_options *opt)
{
    vm_census *c = vm_census_new(x->snap, &x->r, opt);
    assert_non_null(c);
    return c;
}

static void put(synth_cxx *x, uint64_t addr, uint64_t v)
{
    synth_put_ptr(&x->m, x->bits, addr, v);
}

static void test_counts_and_bytes(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 64);
    uint64_t ti_base;
    uint64_t v_base = synth_cxx_class(&x, "4Base", 0, &ti_base);
    uint64_t v_der = synth_cxx_class(&x, "N3app7DerivedE", ti_base, NULL);
    uint64_t v_mi, v_mi2;
    synth_cxx_mi_class(&x, "5Multi", 16, &v_mi, &v_mi2);
    synth_cxx_class(&x, "5Never", 0, NULL); /* never instantiated */
    synth_cxx_region(&x, HEAP0, 0x10000, VM_KIND_HEAP, 0);
    synth_cxx_region(&x, HEAP2, 0x10000, VM_KIND_HEAP, 2);
    /* Memory first: the census reads it in windows and keeps what it read. */
    /* Three Derived, each alone in a 48-byte block (16-byte header). */
    for (int i = 0; i < 3; i++)
        put(&x, HEAP0 + 0x100 * (uint64_t)i + 16, v_der);
    /* Stale copies in a free and in a cached block: not objects. */
    put(&x, HEAP0 + 0x400 + 16, v_der);
    put(&x, HEAP0 + 0x500 + 16, v_der);
    /* One Multi: its second vptr (offset-to-top -16) is the same object. */
    put(&x, HEAP0 + 0x600 + 16, v_mi);
    put(&x, HEAP0 + 0x600 + 32, v_mi2);
    /* A vector buffer: four Base of 24 bytes in one 112-byte block, in another heap. */
    for (int i = 0; i < 4; i++)
        put(&x, HEAP2 + 16 + 24 * (uint64_t)i, v_base);
    /* A list node: two links, then the object. */
    put(&x, HEAP2 + 0x200 + 16, HEAP2 + 0x300);
    put(&x, HEAP2 + 0x200 + 24, HEAP2 + 0x100);
    put(&x, HEAP2 + 0x200 + 32, v_base);
    /* Words that are not vptrs: the type_info, the vtable's other slots, small numbers, code. */
    put(&x, HEAP0 + 0x800 + 16, ti_base);
    put(&x, HEAP0 + 0x800 + 24, v_base - 8);
    put(&x, HEAP0 + 0x800 + 32, v_base + 8);
    put(&x, HEAP0 + 0x800 + 40, 42);
    put(&x, HEAP0 + 0x800 + 48, x.fn);

    vm_census *c = start(&x, NULL);
    for (int i = 0; i < 3; i++)
        visit(c, HEAP0 + 0x100 * (uint64_t)i, 48, 16, VM_HBLOCK_BUSY, 0);
    visit(c, HEAP0 + 0x400, 48, 16, VM_HBLOCK_FREE, 0);
    visit(c, HEAP0 + 0x500, 48, 16, VM_HBLOCK_CACHED, 0);
    visit(c, HEAP0 + 0x600, 64, 16, VM_HBLOCK_BUSY, 0);
    visit(c, HEAP2, 112, 16, VM_HBLOCK_BUSY, 2);
    visit(c, HEAP2 + 0x200, 64, 16, VM_HBLOCK_BUSY, 2);
    visit(c, HEAP0 + 0x800, 64, 16, VM_HBLOCK_BUSY, 0);
    assert_true(vm_census_finish(c, x.snap));
    vm_census_free(c);

    const vm_snapshot *s = x.snap;
    assert_true(s->census.present);
    assert_false(s->census.all);
    assert_int_equal(s->census.busy_blocks, 3 + 1 + 1 + 1 + 1);
    assert_int_equal(s->census.busy_bytes, 3 * 48 + 64 + 112 + 64 + 64);
    assert_int_equal(s->nobjects, 3);
    const vm_object_type *d = find_type(s, "app::Derived");
    assert_non_null(d);
    assert_int_equal(d->count, 3);
    assert_int_equal(d->bytes, 3 * 48);
    assert_int_equal(d->bytes_estimated, 0);
    assert_int_equal(d->vtable, v_der);
    assert_string_equal(d->module, "/synthetic/app");
    assert_string_equal(d->abi, "itanium");
    assert_int_equal(d->nheaps, 1);
    assert_int_equal(d->heaps[0], 0);
    const vm_object_type *m = find_type(s, "Multi");
    assert_int_equal(m->count, 1);
    assert_int_equal(m->bytes, 64);
    const vm_object_type *b = find_type(s, "Base");
    assert_int_equal(b->count, 5);
    /* Vector: 24 + 24 + 24 + (112 - 16 - 72) estimated; list node: its block, exact. */
    assert_int_equal(b->bytes, 24 * 3 + 24 + 64);
    assert_int_equal(b->bytes_estimated, 24 * 3 + 24);
    assert_int_equal(b->nheaps, 1);
    assert_int_equal(b->heaps[0], 2);
    assert_null(find_type(s, "Never"));
    /* Biggest first. */
    assert_string_equal(s->objects[0].type, "Base");
    assert_string_equal(s->objects[1].type, "app::Derived");
    synth_cxx_free(&x);
}

static void test_instances_and_heaps(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 64);
    uint64_t v_req = synth_cxx_class(&x, "N3app14RequestContextE", 0, NULL);
    uint64_t v_other = synth_cxx_class(&x, "N3app5OtherE", 0, NULL);
    synth_cxx_region(&x, HEAP0, 0x10000, VM_KIND_HEAP, 3);
    synth_cxx_region(&x, HEAP2, 0x10000, VM_KIND_HEAP, 1);
    vm_census_options opt = {.type_pattern = "RequestContext"};
    put(&x, HEAP0 + 16, v_req);
    put(&x, HEAP2 + 16, v_req);
    put(&x, HEAP2 + 0x100 + 16, v_other);
    vm_census *c = start(&x, &opt);
    visit(c, HEAP0, 32, 16, VM_HBLOCK_BUSY, 3);
    visit(c, HEAP2, 32, 16, VM_HBLOCK_BUSY, 1);
    visit(c, HEAP2 + 0x100, 32, 16, VM_HBLOCK_BUSY, 1);
    size_t n;
    const vm_census_instance *in = vm_census_instances(c, &n);
    assert_int_equal(n, 2);
    assert_int_equal(in[0].address, HEAP0 + 16);
    assert_int_equal(in[0].block, HEAP0);
    assert_int_equal(in[0].heap_id, 3);
    assert_int_equal(in[0].where, -1);
    assert_int_equal(in[0].vtable, v_req);
    assert_int_equal(in[1].heap_id, 1);
    assert_true(vm_census_finish(c, x.snap));
    const vm_object_type *r = find_type(x.snap, "app::RequestContext");
    assert_int_equal(r->nheaps, 2);
    assert_int_equal(r->heaps[0], 1); /* ascending */
    assert_int_equal(r->heaps[1], 3);
    vm_census_free(c);
    synth_cxx_free(&x);
}

static void test_all_outside_heaps(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 64);
    uint64_t v = synth_cxx_class(&x, "6Static", 0, NULL);
    synth_cxx_region(&x, HEAP0, 0x1000, VM_KIND_HEAP, 0);
    vm_block *stk = synth_cxx_region(&x, 0x7ffe0000u, 0x4000, VM_KIND_STACK, -1);
    stk->thread_id = 77;
    vm_thread *t = vm_snapshot_add_thread(x.snap);
    t->tid = 77;
    t->stack_base = 0x7ffe4000u;
    t->sp = 0x7ffe2000u;
    synth_cxx_region(&x, 0x40000000u, 0x1000, VM_KIND_PRIVATE_DATA, -1);
    put(&x, 0x7ffe1000u, v);           /* below the stack pointer: a dead frame */
    put(&x, 0x7ffe3000u, v);           /* a live frame */
    put(&x, 0x40000100u, v);           /* private data */
    put(&x, x.data.next + 64, v);      /* the application's .data */
    put(&x, HEAP0 + 16, v);
    vm_census_options opt = {.all = true, .type_pattern = "Static"};
    vm_census *c = start(&x, &opt);
    visit(c, HEAP0, 32, 16, VM_HBLOCK_BUSY, 0);
    vm_census_scan_outside(c);
    size_t n;
    const vm_census_instance *in = vm_census_instances(c, &n);
    assert_int_equal(n, 4);
    assert_true(vm_census_finish(c, x.snap));
    const vm_object_type *o = find_type(x.snap, "Static");
    assert_int_equal(o->count, 1);
    assert_int_equal(o->outside[VM_OBJ_STACK], 1);
    assert_int_equal(o->outside[VM_OBJ_PRIVATE_DATA], 1);
    assert_int_equal(o->outside[VM_OBJ_IMAGE_DATA], 1);
    assert_true(x.snap->census.all);
    bool stack_seen = false;
    for (size_t i = 0; i < n; i++)
        if (in[i].where == VM_OBJ_STACK) {
            assert_int_equal(in[i].address, 0x7ffe3000u);
            stack_seen = true;
        }
    assert_true(stack_seen);
    vm_census_free(c);
    synth_cxx_free(&x);
}

/* Pseudo-random words, pointers into every module section included: no type appears. */
static void test_random_data_invents_nothing(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 64);
    uint64_t ti;
    uint64_t v = synth_cxx_class(&x, "4Real", 0, &ti);
    synth_cxx_region(&x, HEAP0, 0x100000, VM_KIND_HEAP, 0);
    uint64_t seed = 0x12345678;
    const vm_snapshot *s = x.snap;
    uint8_t *block = malloc(0x100000);
    for (size_t i = 0; i < 0x100000; i += 8) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t w = seed;
        /* Half of the words point somewhere into the images, aligned or not. */
        if ((seed >> 60) & 1) {
            const vm_module *m = &s->modules[(seed >> 40) & 1];
            w = m->base + (seed >> 8) % m->size;
            if (w == v) /* the one real address point stays out */
                w += 8;
        }
        memcpy(block + i, &w, 8);
    }
    synth_put(&x.m, HEAP0, block, 0x100000);
    free(block);
    vm_census *c = start(&x, NULL);
    for (uint64_t a = HEAP0; a < HEAP0 + 0x100000; a += 0x1000)
        visit(c, a, 0x1000, 16, VM_HBLOCK_BUSY, 0);
    assert_true(vm_census_finish(c, x.snap));
    assert_int_equal(x.snap->nobjects, 0);
    assert_int_equal(x.snap->census.busy_blocks, 256);
    vm_census_free(c);
    synth_cxx_free(&x);
}

static void test_bad_name_and_unreadable(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 64);
    uint64_t v_bad = synth_cxx_class(&x, "4Ba", 0, NULL);  /* structure fine, name truncated */
    uint64_t v_ok = synth_cxx_class(&x, "2Ok", 0, NULL);
    synth_cxx_region(&x, HEAP0, 0x2000, VM_KIND_HEAP, 0);
    put(&x, HEAP0 + 16, v_bad);
    put(&x, HEAP0 + 24, v_ok);
    put(&x, HEAP0 + 0x2000 - 8, v_ok);
    vm_census *c = start(&x, NULL);
    visit(c, HEAP0, 64, 16, VM_HBLOCK_BUSY, 0);
    /* A block running past the mapped memory: its readable part is scanned, a warning says so. */
    visit(c, HEAP0 + 0x1000, 0x3000, 16, VM_HBLOCK_BUSY, 0);
    assert_true(vm_census_finish(c, x.snap));
    const vm_object_type *ok = find_type(x.snap, "Ok");
    assert_int_equal(ok->count, 2);
    assert_int_equal(x.snap->nobjects, 1);
    assert_true(synth_has_warning(x.snap, "census-name", "4Ba"));
    assert_true(synth_has_warning(x.snap, "read-failed", "1 busy heap block"));
    vm_census_free(c);
    synth_cxx_free(&x);
}

/* A block bigger than the read window: objects on both sides of every window edge. */
static void test_big_block(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 64);
    uint64_t v = synth_cxx_class(&x, "3Big", 0, NULL);
    uint64_t size = 9u << 20;
    synth_cxx_region(&x, HEAP0, size, VM_KIND_HEAP, 0);
    uint64_t n = 0;
    for (uint64_t off = 16; off < size; off += 4096 * 64 - 8, n++)
        put(&x, HEAP0 + off, v);
    put(&x, HEAP0 + (4u << 20) - 8, v); /* the last word of the first window */
    put(&x, HEAP0 + (4u << 20), v);     /* the first of the next */
    n += 2;
    vm_census *c = start(&x, NULL);
    visit(c, HEAP0, size, 16, VM_HBLOCK_BUSY, 0);
    assert_true(vm_census_finish(c, x.snap));
    const vm_object_type *b = find_type(x.snap, "Big");
    assert_int_equal(b->count, n);
    assert_int_equal(b->bytes, size - 16 - 0); /* distances add up to the block from the first object */
    vm_census_free(c);
    synth_cxx_free(&x);
}

static void test_x86(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 32);
    uint64_t ti;
    uint64_t v_b = synth_cxx_class(&x, "1B", 0, &ti);
    uint64_t v_d = synth_cxx_class(&x, "1D", ti, NULL);
    uint64_t v_mi, v_mi2;
    synth_cxx_mi_class(&x, "2MI", 8, &v_mi, &v_mi2);
    synth_cxx_region(&x, HEAP0, 0x1000, VM_KIND_HEAP, 0);
    put(&x, HEAP0 + 8, v_b);
    put(&x, HEAP0 + 12, v_d); /* 4-byte aligned: a word on x86 */
    put(&x, HEAP0 + 0x100 + 8, v_mi);
    put(&x, HEAP0 + 0x100 + 16, v_mi2);
    vm_census *c = start(&x, NULL);
    visit(c, HEAP0, 24, 8, VM_HBLOCK_BUSY, 0);
    visit(c, HEAP0 + 0x100, 24, 8, VM_HBLOCK_BUSY, 0);
    assert_true(vm_census_finish(c, x.snap));
    assert_int_equal(find_type(x.snap, "B")->count, 1);
    assert_int_equal(find_type(x.snap, "B")->bytes, 4);
    assert_int_equal(find_type(x.snap, "D")->bytes, 12);
    assert_int_equal(find_type(x.snap, "MI")->count, 1);
    vm_census_free(c);
    synth_cxx_free(&x);
}

/* The census's reader serves the walk from the same windows: one target read per window. */
static void test_reader_chunks(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 64);
    synth_cxx_region(&x, HEAP0, 8u << 20, VM_KIND_HEAP, 0);
    vm_census *c = start(&x, NULL);
    vm_memreader r = vm_census_reader(c);
    uint8_t buf[16];
    for (uint64_t a = HEAP0; a < HEAP0 + (8u << 20); a += 64)
        assert_int_equal(r.read(r.ctx, a, buf, 16), 16);
    uint64_t reads, bytes;
    vm_census_read_stats(c, &reads, &bytes);
    assert_int_equal(reads, 2);
    assert_int_equal(bytes, 8u << 20);
    /* A read past the mapping: short, never a fault; outside every mapping: nothing. */
    assert_int_equal(r.read(r.ctx, HEAP0 + (8u << 20) - 8, buf, 16), 8);
    assert_int_equal(r.read(r.ctx, 0x10, buf, 16), 0);
    /* Then the blocks themselves cost no further read. */
    vm_census_read_stats(c, &reads, &bytes);
    uint64_t before = reads;
    for (uint64_t a = HEAP0 + (4u << 20); a < HEAP0 + (8u << 20); a += 4096)
        visit(c, a, 4096, 16, VM_HBLOCK_BUSY, 0);
    vm_census_read_stats(c, &reads, &bytes);
    assert_true(reads <= before + 1);
    vm_census_free(c);
    synth_cxx_free(&x);
}

/* A walker that has the block's bytes hands them over: the census scans those, and reads nothing
 * of its own (the target's copy here even says otherwise). */
static void test_bytes_from_the_walker(void **state)
{
    (void)state;
    synth_cxx x;
    synth_cxx_init(&x, 64);
    uint64_t v = synth_cxx_class(&x, "6Handed", 0, NULL);
    synth_cxx_region(&x, HEAP0, 0x1000, VM_KIND_HEAP, 0);
    vm_census *c = start(&x, NULL);
    uint8_t bytes[48] = {0};
    memcpy(bytes + 8, &v, 8);
    memcpy(bytes + 32, &v, 8);
    vm_hblock b = {.address = HEAP0, .size = 64, .user = HEAP0 + 16, .user_size = 48, .state = VM_HBLOCK_BUSY,
                   .heap_id = 0, .bytes = bytes};
    assert_true(vm_census_visit(c, &b));
    uint64_t reads, nbytes;
    vm_census_read_stats(c, &reads, &nbytes);
    assert_int_equal(reads, 0);
    assert_true(vm_census_finish(c, x.snap));
    const vm_object_type *t = find_type(x.snap, "Handed");
    assert_non_null(t);
    assert_int_equal(t->count, 2);
    assert_int_equal(t->bytes, 48 - 8); /* two objects in one block: 24 + the rest from the second */
    assert_int_equal(t->bytes_estimated, 40);
    vm_census_free(c);
    synth_cxx_free(&x);
}

/* The whole step on a live process, through the capture pipeline: the walk reads ahead on a
 * second thread while the census reads the target too (make test-tsan runs this).  `sleep` is
 * a C program: its heap is walked, and no C++ object is found. */
static void test_capture_live(void **state)
{
    (void)state;
    char *argv[] = {"/bin/sleep", "30", NULL};
    pu_child child;
    if (access(argv[0], X_OK) != 0)
        skip();
    assert_int_equal(pu_child_start(&child, argv), 0);
    usleep(100 * 1000);
    vm_census_request req = {.all = true, .type_pattern = "*", .want_instances = true};
    vm_capture_options opt = {.quiet = true, .objects = true, .objects_request = &req};
    vm_snapshot *s = NULL;
    vm_error err = {0};
    int rc = vm_capture_snapshot(child.pid, &opt, &s, &err);
    pu_child_kill(&child);
    if (rc != 0)
        fail_msg("capture: %s", err.msg);
    assert_true(req.ran);
    assert_true(s->census.present);
    assert_true(s->census.all);
    assert_int_equal(s->nobjects, 0);
    assert_int_equal(req.ninstances, 0);
    free(req.instances);
    vm_snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_bytes),  cmocka_unit_test(test_instances_and_heaps),
        cmocka_unit_test(test_all_outside_heaps), cmocka_unit_test(test_random_data_invents_nothing),
        cmocka_unit_test(test_bad_name_and_unreadable), cmocka_unit_test(test_big_block),
        cmocka_unit_test(test_x86),               cmocka_unit_test(test_reader_chunks),
        cmocka_unit_test(test_bytes_from_the_walker), cmocka_unit_test(test_capture_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
