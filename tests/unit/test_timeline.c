/* Timelines: the growth flag on constructed series, RFC 3339 times, snapshots reduced into rows
 * (sorted, heaps matched by kind and address), .jsonl files with a torn final line, directories,
 * and a hand-written version-1 snapshot that must keep loading (docs/snapshot-format.md). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/json.h"
#include "vmmap/model/timeline.h"
#include "vmmap/series/series.h"

#define V1_FIXTURE "tests/fixtures/snapshot-v1-minimal.json"
#define MiB (1024.0 * 1024.0)

/* ---- the growth flag -------------------------------------------------------------------------- */

typedef struct growth_case {
    const char *name;
    size_t n;
    double t[10]; /* seconds */
    double y[10]; /* bytes */
    bool flagged;
} growth_case;

static const growth_case cases[] = {
    {"steady", 6, {0, 2, 4, 6, 8, 10}, {100, 100, 100, 100, 100, 100}, false},
    {"growing", 6, {0, 2, 4, 6, 8, 10}, {100, 200, 300, 400, 500, 600}, true},
    /* irregular steps, some flat, never down: still a leak */
    {"noisy growing", 8, {0, 2, 4, 6, 8, 10, 12, 14}, {100, 130, 130, 210, 260, 260, 330, 400}, true},
    /* growing on the whole but it went down once: not "only goes up" */
    {"growing with a dip", 6, {0, 2, 4, 6, 8, 10}, {100, 200, 180, 400, 500, 600}, false},
    {"shrinking", 6, {0, 2, 4, 6, 8, 10}, {600, 500, 400, 300, 200, 100}, false},
    {"single sample", 1, {0}, {100}, false},
    {"two samples", 2, {0, 2}, {100, 200}, false},
    {"equal timestamps", 4, {5, 5, 5, 5}, {100, 200, 300, 400}, false},
    /* one jump at the end of a flat series: goes up, never down, but not steadily (R² < 0.9) */
    {"one late jump", 8, {0, 1, 2, 3, 4, 5, 6, 7}, {100, 100, 100, 100, 100, 100, 100, 900}, false},
};

static void test_growth_cases(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const growth_case *c = &cases[i];
        vm_growth g;
        vm_growth_compute(c->t, c->y, c->n, &g);
        if (g.flagged != c->flagged)
            fail_msg("%s: flagged %d, expected %d (r2 %.3f, slope %.1f, down %zu)", c->name, g.flagged,
                     c->flagged, g.r2, g.slope, g.steps_down);
        assert_int_equal(g.n, c->n);
        assert_int_equal(g.steps, c->n ? c->n - 1 : 0);
    }
}

static void test_growth_numbers(void **state)
{
    /* +100 bytes every 2 s = 3000 bytes per minute, a perfect fit, 5 of 5 steps up. */
    const growth_case *c = &cases[1];
    vm_growth g;
    vm_growth_compute(c->t, c->y, c->n, &g);
    assert_true(fabs(g.slope - 3000.0) < 1e-6);
    assert_true(fabs(g.r2 - 1.0) < 1e-9);
    assert_int_equal(g.steps_up, 5);
    assert_int_equal(g.steps_down, 0);
    assert_true(fabs(g.span_min - 10.0 / 60.0) < 1e-12);
    assert_true(g.first == 100 && g.last == 600);

    /* Shrinking: a negative slope, every step down. */
    vm_growth_compute(cases[4].t, cases[4].y, cases[4].n, &g);
    assert_true(g.slope < 0);
    assert_int_equal(g.steps_down, 5);

    /* Equal timestamps: no slope (no time passed), nothing flagged. */
    vm_growth_compute(cases[7].t, cases[7].y, cases[7].n, &g);
    assert_true(g.slope == 0 && g.r2 == 0 && g.span_min == 0);

    /* Empty. */
    vm_growth_compute(NULL, NULL, 0, &g);
    assert_false(g.flagged);
    assert_int_equal(g.n, 0);
}

/* Large values (a 100 GiB process growing by 1 MiB a step) keep their precision. */
static void test_growth_large_values(void **state)
{
    double t[20], y[20];
    for (int i = 0; i < 20; i++) {
        t[i] = 1.7e9 + i * 2.0;
        y[i] = 100.0 * 1024 * MiB + i * MiB;
    }
    vm_growth g;
    vm_growth_compute(t, y, 20, &g);
    assert_true(g.flagged);
    assert_true(fabs(g.slope - 30.0 * MiB) < 1.0);
}

/* ---- RFC 3339 ----------------------------------------------------------------------------------- */

static void test_rfc3339(void **state)
{
    double a, b;
    assert_true(vm_parse_rfc3339("1970-01-01T00:00:00Z", &a));
    assert_true(a == 0);
    assert_true(vm_parse_rfc3339("2026-11-22T03:00:00Z", &a));
    assert_true(a == 1795316400.0);
    assert_true(vm_parse_rfc3339("2026-11-22T03:00:00.250Z", &b));
    assert_true(fabs(b - a - 0.25) < 1e-6);
    assert_true(vm_parse_rfc3339("2026-11-22T04:00:00+01:00", &b));
    assert_true(b == a);
    assert_true(vm_parse_rfc3339("2000-02-29T12:00:00-00:30", &b));
    assert_true(vm_parse_rfc3339("2024-02-29T23:59:60Z", &b)); /* a leap day, a leap second */
    static const char *const bad[] = {"", "2026-11-22", "2026-11-22T03:00:00", "2026-13-01T00:00:00Z",
                                      "2026-11-22T03:00:00.Z", "2026-11-22T03:00:00Zx", "x2026-11-22T03:00:00Z",
                                      "2026-11-22T03:00:00+0100",
                                      /* dates and times that do not exist, signs and spaces in fields */
                                      "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                                      "2026-11-22T24:00:00Z", "2026-11-22T03:60:00Z", "2026-11-22T03:00:61Z",
                                      "2026-00-22T03:00:00Z", "+026-11-22T03:00:00Z", "2026-1 -22T03:00:00Z",
                                      "2026-11-+2T03:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (vm_parse_rfc3339(bad[i], &b))
            fail_msg("accepted \"%s\"", bad[i]);
    assert_false(vm_parse_rfc3339(NULL, &b));
}

/* ---- rows from snapshots ------------------------------------------------------------------------ */

/* A snapshot at time `when` with `heap` bytes committed in one Heap block and heap (arena at
 * heap_addr), and `threads` threads. */
static vm_snapshot *make_snapshot(const char *when, uint64_t heap, uint64_t heap_addr, size_t threads)
{
    vm_snapshot *s = vm_snapshot_new();
    assert_non_null(s);
    s->taken_at = strdup(when);
    s->process.pid = 42;
    s->process.name = strdup("app");
    s->process.bits = 64;
    s->page_size = 4096;
    s->user_top = 0x7ffffffff000; /* every snapshot has one (the loader insists) */
    vm_heap *h = vm_snapshot_add_heap(s);
    h->id = 0;
    h->address = heap_addr;
    h->kind = strdup("glibc arena");
    vm_heap_part *p = vm_heap_add_part(h);
    p->address = 0x10000;
    p->size = heap;
    p->committed = heap;
    vm_region *r = vm_snapshot_add_region(s);
    r->address = 0x10000;
    r->size = heap;
    r->kind = VM_KIND_HEAP;
    vm_block *b = vm_region_add_block(r);
    b->address = 0x10000;
    b->size = heap;
    b->kind = VM_KIND_HEAP;
    b->counters.v[VM_C_COMMITTED] = heap;
    b->counters.known = VM_COUNTERS_ALL_KNOWN;
    b->heap_id = 0;
    for (size_t i = 0; i < threads; i++)
        vm_snapshot_add_thread(s)->tid = 100 + i;
    return s;
}

static void add(vm_timeline *tl, const char *when, uint64_t heap, uint64_t heap_addr, size_t threads)
{
    vm_error err = {0};
    vm_snapshot *s = make_snapshot(when, heap, heap_addr, threads);
    if (vm_timeline_add(tl, s, NULL, 0, &err) != 0)
        fail_msg("%s", err.msg);
    vm_snapshot_free(s);
}

static void test_rows_sorted_and_heaps_matched(void **state)
{
    vm_timeline *tl = vm_timeline_new();
    /* added out of order; two samples share a time (kept in the order added) */
    add(tl, "2026-01-01T00:00:04Z", 3 * 4096, 0x7000, 3);
    add(tl, "2026-01-01T00:00:00Z", 1 * 4096, 0x7000, 1);
    add(tl, "2026-01-01T00:00:02Z", 2 * 4096, 0x7000, 2);
    add(tl, "2026-01-01T00:00:02Z", 2 * 4096, 0x8000, 2); /* a different heap, same kind */
    add(tl, "2026-01-01T00:00:06Z", 4 * 4096, 0x7000, 4);
    vm_timeline_finish(tl);
    assert_int_equal(tl->nrows, 5);
    static const char *const order[] = {"2026-01-01T00:00:00Z", "2026-01-01T00:00:02Z", "2026-01-01T00:00:02Z",
                                        "2026-01-01T00:00:04Z", "2026-01-01T00:00:06Z"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(tl->rows[i].taken_at, order[i]);
    assert_true(tl->rows[1].order < tl->rows[2].order);
    assert_int_equal(tl->nheaps, 2);
    const vm_tl_heap *h0 = &tl->heaps[0], *h1 = &tl->heaps[1];
    assert_int_equal(h0->address, 0x7000);
    assert_true(h0->present[0] && h0->present[1] && !h0->present[2] && h0->present[3] && h0->present[4]);
    assert_int_equal(h0->committed[4], 4 * 4096);
    assert_true(h0->growth.flagged);
    assert_int_equal(h0->growth.n, 4);
    assert_true(!h1->present[0] && h1->present[2]);
    assert_false(h1->growth.flagged); /* one sample */
    /* Heap type and threads grow; Stack (never seen) does not. */
    assert_true(tl->growth[VM_KIND_HEAP].flagged); /* 4, 8, 8, 12, 16 K: a straight line */
    assert_true(tl->growth[VM_TL_THREADS].flagged);
    assert_false(tl->growth[VM_KIND_STACK].flagged);
    double v;
    assert_true(vm_timeline_value(&tl->rows[4], VM_KIND_HEAP, &v) && v == 4 * 4096);
    assert_true(vm_timeline_value(&tl->rows[4], VM_TL_THREADS, &v) && v == 4);
    assert_string_equal(vm_timeline_series_name(VM_TL_TOTAL), "Total");
    assert_string_equal(vm_timeline_series_name(VM_KIND_HEAP), "Heap");
    assert_false(tl->mixed_pids);
    assert_string_equal(tl->process_name, "app");
    vm_timeline_free(tl);
}

static void test_steady_series_not_flagged(void **state)
{
    vm_timeline *tl = vm_timeline_new();
    char when[32];
    for (int i = 0; i < 8; i++) {
        snprintf(when, sizeof when, "2026-01-01T00:00:%02dZ", i * 2);
        add(tl, when, 64 * 4096, 0x7000, 5);
    }
    vm_timeline_finish(tl);
    for (int k = 0; k < VM_TL_SERIES; k++)
        assert_false(tl->growth[k].flagged);
    assert_false(tl->heaps[0].growth.flagged);
    assert_int_equal(tl->heaps[0].growth.steps_up, 0);
    vm_timeline_free(tl);
}

/* Issue 11: a heap whose busy bytes only grow while its committed memory stays put is flagged
 * on its busy series; samples without the walk leave the series out (never zeros).  Issue 10:
 * a heap whose address is unknown is named so, not "0x0". */
static void test_busy_bytes_series(void **state)
{
    vm_timeline *tl = vm_timeline_new();
    vm_error err = {0};
    char when[32];
    for (int i = 0; i < 6; i++) {
        snprintf(when, sizeof when, "2026-01-01T00:00:%02dZ", i * 2);
        vm_snapshot *s = make_snapshot(when, 64 * 4096, 0x7000, 1);
        vm_heap *h = &s->heaps[0];
        h->stats_known = i != 2; /* one sample without the walk */
        h->stats.busy_blocks = 10 + (uint64_t)i;
        h->stats.busy_bytes = 1000 * (uint64_t)(i + 1);
        vm_heap *u = vm_snapshot_add_heap(s);
        u->id = 1;
        u->kind = strdup("glibc main arena");
        u->address_unknown = true;
        assert_int_equal(vm_timeline_add(tl, s, NULL, 0, &err), 0);
        vm_snapshot_free(s);
    }
    vm_timeline_finish(tl);
    assert_int_equal(tl->nheaps, 2);
    const vm_tl_heap *h = &tl->heaps[0];
    assert_false(h->growth.flagged); /* committed: steady */
    assert_int_equal(h->nwalked, 5);
    assert_false(h->walked[2]);
    assert_int_equal(h->busy[5], 6000);
    assert_int_equal(h->busy_growth.n, 5);
    assert_true(h->busy_growth.flagged);
    char name[80];
    vm_timeline_heap_name(&tl->heaps[1], name, sizeof name);
    assert_string_equal(name, "glibc main arena (address unknown)");
    /* the mmapped chunks have no address of their own: the kind alone, never "0x0" (even from an
     * older snapshot that wrote 0x0) */
    vm_tl_heap chunks = {.kind = (char *)"glibc mmap chunks", .address_unknown = true};
    vm_timeline_heap_name(&chunks, name, sizeof name);
    assert_string_equal(name, "glibc mmap chunks");
    chunks.address_unknown = false;
    vm_timeline_heap_name(&chunks, name, sizeof name);
    assert_string_equal(name, "glibc mmap chunks");
    vm_timeline_heap_name(h, name, sizeof name);
    assert_string_equal(name, "glibc arena 0x7000");
    assert_int_equal(tl->heaps[1].nwalked, 0);
    vm_timeline_free(tl);
}

static void test_needs_taken_at(void **state)
{
    vm_timeline *tl = vm_timeline_new();
    vm_snapshot *s = make_snapshot("yesterday", 4096, 0x7000, 1);
    vm_error err = {0};
    assert_int_equal(vm_timeline_add(tl, s, "a.json", 0, &err), VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(err.msg, "a.json: taken_at"));
    free(s->taken_at);
    s->taken_at = NULL;
    assert_int_equal(vm_timeline_add(tl, s, "b.jsonl", 3, &err), VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(err.msg, "b.jsonl:3: taken_at: missing"));
    vm_snapshot_free(s);
    assert_int_equal(tl->nrows, 0);
    vm_timeline_free(tl);
}

/* ---- files -------------------------------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *snapshot_line(const char *when, uint64_t heap)
{
    vm_snapshot *s = make_snapshot(when, heap, 0x7000, 2);
    char *text = vm_snapshot_to_json(s, 0);
    assert_non_null(text);
    /* one line: the only newline is the last character, which we drop */
    assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
    text[strlen(text) - 1] = '\0';
    vm_snapshot_free(s);
    return text;
}

/* A .jsonl of three lines, a blank one, and a torn last line: three rows, one torn line skipped;
 * each row reloads to its own snapshot. */
static void test_jsonl_with_torn_line(void **state)
{
    char dir[] = "/tmp/vmmap-timeline-XXXXXX", path[128], text[65536] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/w.jsonl", dir);
    for (int i = 0; i < 3; i++) {
        char when[32], *line;
        snprintf(when, sizeof when, "2026-01-01T00:00:%02d.500Z", i);
        line = snapshot_line(when, (uint64_t)(i + 1) * 4096);
        strcat(text, line);
        strcat(text, i == 1 ? "\n\n" : "\n");
        free(line);
    }
    strcat(text, "{\"format\": \"vmmap-snapshot\", \"vers");
    write_text(path, text);

    vm_timeline *tl = vm_timeline_new();
    vm_error err = {0};
    const char *paths[] = {path};
    if (vm_timeline_load(tl, paths, 1, &err) != 0)
        fail_msg("%s", err.msg);
    vm_timeline_finish(tl);
    assert_int_equal(tl->nrows, 3);
    assert_int_equal(tl->torn_lines, 1);
    assert_int_equal(tl->rows[2].line, 4); /* line 3 is blank */
    vm_snapshot *s = NULL;
    assert_int_equal(vm_timeline_reload(tl, 2, &s, &err), 0);
    assert_string_equal(s->taken_at, "2026-01-01T00:00:02.500Z");
    vm_snapshot_free(s);
    vm_timeline_free(tl);

    /* A bad line that is not the last one is an error naming the line. */
    write_text(path, "{\"format\": 1}\n");
    tl = vm_timeline_new();
    assert_int_equal(vm_timeline_load(tl, paths, 1, &err), VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(err.msg, "w.jsonl:1"));
    vm_timeline_free(tl);
    unlink(path);
    rmdir(dir);
}

/* A directory: every *.json in name order; hidden temporaries and other files are not read;
 * an empty directory is an error. */
static void test_directory(void **state)
{
    char dir[] = "/tmp/vmmap-timeline-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    const char *paths[] = {dir};
    vm_timeline *tl = vm_timeline_new();
    vm_error err = {0};
    assert_int_equal(vm_timeline_load(tl, paths, 1, &err), VM_EXIT_BAD_INPUT);
    assert_non_null(strstr(err.msg, "no snapshots"));
    static const char *const names[] = {"a-0002.json", "a-0001.json", ".a-0003.json.XXXXXX", "notes.txt"};
    for (size_t i = 0; i < 4; i++) {
        char *line = snapshot_line(i == 0 ? "2026-01-01T00:00:05Z" : "2026-01-01T00:00:01Z", 4096);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        write_text(path, line);
        free(line);
    }
    if (vm_timeline_load(tl, paths, 1, &err) != 0)
        fail_msg("%s", err.msg);
    vm_timeline_finish(tl);
    assert_int_equal(tl->nrows, 2);
    assert_non_null(strstr(tl->rows[0].source, "a-0001.json"));
    vm_timeline_free(tl);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    const char *missing[] = {"/nonexistent/vmmap-timeline"};
    tl = vm_timeline_new();
    assert_int_equal(vm_timeline_load(tl, missing, 1, &err), VM_EXIT_NOT_FOUND);
    vm_timeline_free(tl);
}

/* ---- format compatibility ----------------------------------------------------------------------- */

/* A version-1 snapshot written by hand (not by vmmap) keeps loading, with every section. */
static void test_v1_fixture_loads(void **state)
{
    vm_error err = {0};
    vm_snapshot *s = vm_snapshot_read_json(V1_FIXTURE, &err);
    if (!s)
        fail_msg("%s", err.msg);
    assert_int_equal(s->process.pid, 4117);
    assert_string_equal(s->taken_at, "2026-01-02T03:04:05Z");
    assert_int_equal(s->nregions, 3);
    assert_int_equal(s->regions[2].nblocks, 2);
    assert_int_equal(s->regions[1].blocks[0].heap_id, 0);
    assert_int_equal(s->regions[2].blocks[0].thread_id, 4120);
    assert_false(s->regions[1].blocks[0].counters.known & (1u << VM_C_SWAP)); /* null: unknown */
    assert_int_equal(s->nheaps, 1);
    assert_int_equal(s->nthreads, 1);
    assert_int_equal(s->nmodules, 1);
    assert_int_equal(s->modules[0].nsections, 1);
    assert_int_equal(s->nwarnings, 1);
    assert_true(s->page_table_known && s->page_table_bytes == 8192);

    /* ... and joins a timeline like any other. */
    vm_timeline *tl = vm_timeline_new();
    assert_int_equal(vm_timeline_add(tl, s, V1_FIXTURE, 0, &err), 0);
    vm_timeline_finish(tl);
    assert_int_equal(tl->rows[0].committed[VM_KIND_STACK], 8388608);
    assert_int_equal(tl->rows[0].committed[VM_KIND_PAGE_TABLE], 8192);
    assert_int_equal(tl->heaps[0].committed[0], 135168);
    vm_timeline_free(tl);

    /* Written again by this vmmap, it reads back equal. */
    char *text = vm_snapshot_to_json(s, 1);
    vm_snapshot *back = vm_snapshot_from_json(text, strlen(text), "rewritten", &err);
    char why[256];
    assert_non_null(back);
    if (!vm_snapshot_equal(s, back, why, sizeof why))
        fail_msg("differs at %s", why);
    vm_snapshot_free(back);
    free(text);
    vm_snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_growth_cases),
        cmocka_unit_test(test_growth_numbers),
        cmocka_unit_test(test_growth_large_values),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_rows_sorted_and_heaps_matched),
        cmocka_unit_test(test_steady_series_not_flagged),
        cmocka_unit_test(test_busy_bytes_series),
        cmocka_unit_test(test_needs_taken_at),
        cmocka_unit_test(test_jsonl_with_torn_line),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_v1_fixture_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
