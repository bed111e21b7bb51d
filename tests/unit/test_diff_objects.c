/* The object census in a diff (vmmap/model/diff_objects.c, report/diff_objects.c): types matched
 * by name and module whatever their vtable address, each change kind, the order, the filters, the
 * note when only one side has a census, and the JSON / text / CSV words. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/diff_objects.h"
#include "report/diff_report.h"
#include "vmmap/model/diff.h"

static vm_snapshot *census(void)
{
    vm_snapshot *s = vm_snapshot_new();
    s->census.present = true;
    return s;
}

static void add(vm_snapshot *s, const char *type, const char *module, uint64_t vtable, uint64_t count,
                uint64_t bytes, uint64_t est)
{
    vm_object_type *t = vm_snapshot_add_object_type(s);
    t->type = strdup(type);
    t->module = module ? strdup(module) : NULL;
    t->abi = strdup("itanium");
    t->vtable = vtable;
    t->count = count;
    t->bytes = bytes;
    t->bytes_estimated = est;
}

static const vm_diff_object *find(const vm_diff *d, const char *type, const char *module)
{
    for (size_t i = 0; i < d->nobjects; i++)
        if (strcmp(d->objects[i].type, type) == 0 &&
            strcmp(d->objects[i].module ? d->objects[i].module : "", module ? module : "") == 0)
            return &d->objects[i];
    return NULL;
}

static void test_changes(void **state)
{
    (void)state;
    vm_snapshot *o = census(), *n = census();
    add(o, "Same", "/a", 0x1000, 5, 80, 0);
    add(n, "Same", "/a", 0x7000, 5, 80, 0);             /* moved vtable (ASLR): not a change */
    add(o, "Grows", "/a", 0x1100, 10, 160, 0);
    add(n, "Grows", "/a", 0x7100, 40010, 640160, 0);
    add(o, "Shrinks", "/a", 0x1200, 100, 3200, 3200);
    add(n, "Shrinks", "/a", 0x7200, 60, 1920, 1920);
    add(o, "Gone", "/b", 0x1300, 3, 96, 0);
    add(n, "New", "/b", 0x7300, 7, 224, 0);
    add(o, "Twice", "/a", 0x1400, 1, 16, 0);             /* same class in two modules: two types */
    add(o, "Twice", "/c", 0x1500, 1, 16, 0);
    add(n, "Twice", "/a", 0x7400, 1, 16, 0);
    add(n, "Twice", "/c", 0x7500, 2, 32, 0);
    add(n, "Outside", "/a", 0x7600, 0, 0, 0);            /* only outside heaps in the new one */
    vm_diff *d = vm_diff_compute(o, n);
    assert_non_null(d);
    assert_true(d->objects_compared);
    assert_null(d->objects_note);
    assert_int_equal(d->nobjects, 5);
    assert_null(find(d, "Same", "/a"));
    assert_null(find(d, "Outside", "/a"));
    const vm_diff_object *g = find(d, "Grows", "/a");
    assert_int_equal(g->what, VM_DIFF_GROWN);
    assert_int_equal(g->count_delta, 40000);
    assert_int_equal(g->bytes_delta, 640000);
    const vm_diff_object *s = find(d, "Shrinks", "/a");
    assert_int_equal(s->what, VM_DIFF_SHRUNK);
    assert_int_equal(s->count_delta, -40);
    assert_true(s->estimated);
    assert_int_equal(find(d, "Gone", "/b")->what, VM_DIFF_REMOVED);
    assert_int_equal(find(d, "New", "/b")->what, VM_DIFF_ADDED);
    assert_int_equal(find(d, "Twice", "/c")->count_delta, 1);
    /* biggest |bytes change| first */
    assert_string_equal(d->objects[0].type, "Grows");
    assert_string_equal(d->objects[1].type, "Shrinks");
    assert_false(vm_diff_is_empty(d));

    /* filters: --top, --min-change on bytes, --type without heap hides them */
    vm_diff_filter top = {.top = 2};
    assert_int_equal(vm_diff_select_objects(d, &top, NULL), 2);
    vm_diff_filter big = {.min_change = 1000};
    assert_int_equal(vm_diff_select_objects(d, &big, NULL), 2);
    vm_diff_filter stacks = {.kinds = 1u << VM_KIND_STACK};
    assert_int_equal(vm_diff_select_objects(d, &stacks, NULL), 0);
    vm_diff_filter heaps = {.kinds = 1u << VM_KIND_HEAP};
    assert_int_equal(vm_diff_select_objects(d, &heaps, NULL), 5);

    char *json = vm_diff_to_json(d, NULL, 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"objects\":[{\"change\":\"grown\",\"type\":\"Grows\",\"module\":\"/a\","
                                 "\"old_count\":10,\"new_count\":40010,\"count_delta\":40000,\"old_bytes\":160,"
                                 "\"new_bytes\":640160,\"bytes_delta\":640000,\"estimated\":false}"));
    assert_non_null(strstr(json, "\"objects_note\":null"));
    free(json);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_int_equal(vm_diff_objects_text(mem, d, NULL, 0), 0);
    assert_true(vm_diff_objects_csv(mem, d, NULL));
    fclose(mem);
    assert_non_null(strstr(buf, "C++ objects (5 of 5 types that changed):"));
    assert_non_null(strstr(buf, "+40,000"));
    assert_non_null(strstr(buf, "~-1,280  Shrinks (a)"));
    assert_non_null(strstr(buf, "\"grown\",\"Grows\",\"/a\",\"10\",\"40010\",\"40000\",\"160\",\"640160\",\"640000\",\"no\""));
    free(buf);
    vm_diff_free(d);
    vm_snapshot_free(o);
    vm_snapshot_free(n);
}

static void test_one_side_only(void **state)
{
    (void)state;
    vm_snapshot *o = census(), *n = vm_snapshot_new();
    add(o, "A", "/a", 0x1000, 5, 80, 0);
    vm_diff *d = vm_diff_compute(o, n);
    assert_false(d->objects_compared);
    assert_string_equal(d->objects_note, "only the old snapshot has an object census");
    assert_int_equal(d->nobjects, 0);
    char *json = vm_diff_to_json(d, NULL, 0);
    assert_non_null(strstr(json, "\"objects\":null"));
    free(json);
    vm_diff_free(d);
    d = vm_diff_compute(n, o);
    assert_string_equal(d->objects_note, "only the new snapshot has an object census");
    vm_diff_free(d);
    /* Neither: nothing said. */
    d = vm_diff_compute(n, n);
    assert_false(d->objects_compared);
    assert_null(d->objects_note);
    vm_diff_free(d);
    vm_snapshot_free(o);
    vm_snapshot_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_one_side_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
