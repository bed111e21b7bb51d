/* The capture pipeline's contract (capture/capture.h): whatever the source, the facts are
 * classified once (unless the source did it early), the target's memory is readable until the
 * source's release hook runs, the hook runs exactly once, on success and on failure, and the
 * header gets the tool version and a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vmmap/capture/capture.h"
#include "vmmap/util/xalloc.h"

typedef struct fake {
    uint8_t bytes[64];
    vm_buffer_reader br;
    int fail_with;      /* gather returns this */
    bool classify_early;
    int released;       /* how often the release hook ran */
    bool read_in_release; /* the reader still worked when release ran */
} fake;

static void fake_release(vm_facts *f)
{
    fake *x = f->source_ctx;
    uint8_t b;
    x->read_in_release = f->mem.read && f->mem.read(f->mem.ctx, 0x10000, &b, 1) == 1;
    x->released++;
}

static int fake_gather(void *ctx, const vm_capture_options *opt, vm_facts *f, vm_error *err)
{
    fake *x = ctx;
    assert_non_null(f->classify); /* handed in by the pipeline */
    x->br = (vm_buffer_reader){.base = 0x10000, .data = x->bytes, .len = sizeof x->bytes};
    f->mem = vm_buffer_reader_make(&x->br);
    f->source_ctx = x;
    f->release = fake_release;
    if (x->fail_with) {
        vm_error_set(err, x->fail_with, "fake failure");
        return x->fail_with;
    }
    vm_snapshot *s = f->snap;
    s->source = vm_strdup("fake");
    s->page_size = 4096;
    s->alloc_granularity = 4096;
    s->user_top = 0x100000;
    vm_raw_block *b = vm_facts_add_block(f);
    assert_non_null(b);
    *b = (vm_raw_block){.address = 0x10000, .size = 0x1000, .alloc_base = 0x10000, .state = VM_STATE_COMMIT,
                        .protection = VM_PROT_READ | VM_PROT_WRITE, .memtype = VM_MEMTYPE_PRIVATE};
    if (x->classify_early) {
        assert_int_equal(f->classify(f, true, err), VM_EXIT_OK);
        f->classified = true;
    }
    return VM_EXIT_OK;
}

static size_t private_regions(const vm_snapshot *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nregions; i++)
        n += s->regions[i].kind == VM_KIND_PRIVATE_DATA;
    return n;
}

static void test_pipeline_success(void **state)
{
    (void)state;
    fake x = {0};
    vm_snapshot *s = NULL;
    vm_error err = {0};
    assert_int_equal(vm_capture_run(fake_gather, &x, NULL, &s, &err), VM_EXIT_OK);
    assert_non_null(s);
    assert_int_equal(x.released, 1);
    assert_true(x.read_in_release);
    assert_int_equal(private_regions(s), 1); /* classified once: one region, gaps around it */
    assert_non_null(s->tool_version);
    assert_non_null(s->taken_at);
    assert_string_equal(s->source, "fake");
    vm_snapshot_free(s);
}

static void test_pipeline_classified_early(void **state)
{
    (void)state;
    fake x = {.classify_early = true};
    vm_snapshot *s = NULL;
    vm_error err = {0};
    assert_int_equal(vm_capture_run(fake_gather, &x, NULL, &s, &err), VM_EXIT_OK);
    assert_int_equal(private_regions(s), 1); /* not classified a second time */
    assert_int_equal(x.released, 1);
    vm_snapshot_free(s);
}

static void test_pipeline_failure_releases(void **state)
{
    (void)state;
    fake x = {.fail_with = VM_EXIT_BAD_INPUT};
    vm_snapshot *s = NULL;
    vm_error err = {0};
    assert_int_equal(vm_capture_run(fake_gather, &x, NULL, &s, &err), VM_EXIT_BAD_INPUT);
    assert_null(s);
    assert_int_equal(x.released, 1);
    assert_string_equal(err.msg, "fake failure");
}

/* Every post-classify step is named and asks through an option; none runs unless asked. */
static void test_post_steps_table(void **state)
{
    (void)state;
    vm_capture_options none = {0};
    for (const vm_post_step *st = vm_post_steps; st->name; st++) {
        assert_non_null(st->wanted);
        assert_non_null(st->run);
        assert_false(st->wanted(&none));
    }
}

/* The table: files by content, the live source for what is not a file. */
static void test_source_claims(void **state)
{
    (void)state;
    const uint8_t mdmp[] = "MDMP\x93\xa7", json[] = "{\"format\"";
    const vm_source *md = NULL, *live = NULL;
    for (size_t i = 0; vm_sources[i]; i++) {
        if (strcmp(vm_sources[i]->name, "minidump") == 0)
            md = vm_sources[i];
        if (strcmp(vm_sources[i]->name, "live") == 0)
            live = vm_sources[i];
    }
    assert_non_null(md);
    assert_non_null(live);
    assert_true(md->claims("crash.bin", mdmp, 6));
    assert_false(md->claims("crash.dmp", json, 9)); /* the name does not matter */
    assert_false(md->claims("1234", NULL, 0));
    assert_true(live->claims("1234", NULL, 0));
    assert_true(live->claims(NULL, NULL, 0));
    assert_false(live->claims("x", mdmp, 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_success),
        cmocka_unit_test(test_pipeline_classified_early),
        cmocka_unit_test(test_pipeline_failure_releases),
        cmocka_unit_test(test_post_steps_table),
        cmocka_unit_test(test_source_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
