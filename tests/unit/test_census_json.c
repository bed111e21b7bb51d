/* The census in the snapshot JSON (docs/snapshot-format.md): written only when taken, read back
 * identical, and every invalid census field named by its JSON path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report/json.h"
#include "vmmap/model/snapshot.h"

static vm_snapshot *base_snapshot(void)
{
    vm_snapshot *s = vm_snapshot_new();
    s->tool_version = strdup("test");
    s->page_size = 4096;
    s->alloc_granularity = 4096;
    s->user_top = 0x800000000000ull;
    for (int i = 0; i < 3; i++) {
        vm_heap *h = vm_snapshot_add_heap(s);
        h->id = i;
        h->address = 0x1000000u * (uint64_t)(i + 1);
        h->kind = strdup("glibc arena");
    }
    return s;
}

static void add_type(vm_snapshot *s, const char *name, uint64_t vt, uint64_t count, uint64_t bytes, uint64_t est,
                     const int32_t *heaps, size_t nheaps)
{
    vm_object_type *t = vm_snapshot_add_object_type(s);
    t->type = strdup(name);
    t->module = strdup("/usr/lib/libapp.so");
    t->abi = strdup("itanium");
    t->vtable = vt;
    t->count = count;
    t->bytes = bytes;
    t->bytes_estimated = est;
    for (size_t i = 0; i < nheaps; i++)
        assert_true(vm_object_type_add_heap(t, heaps[i]));
}

static vm_snapshot *round_trip(const vm_snapshot *s, char **text_out)
{
    char *text = vm_snapshot_to_json(s, 1);
    assert_non_null(text);
    vm_error err = {0};
    vm_snapshot *back = vm_snapshot_from_json(text, strlen(text), "t.json", &err);
    if (!back)
        fail_msg("%s", err.msg);
    if (text_out)
        *text_out = text;
    else
        free(text);
    return back;
}

static void test_round_trip(void **state)
{
    (void)state;
    vm_snapshot *s = base_snapshot();
    s->census.present = true;
    s->census.busy_blocks = 12345;
    s->census.busy_bytes = 9876543;
    int32_t h02[] = {2, 0}, h1[] = {1};
    add_type(s, "std::vector<int, std::allocator<int> >", 0x7f0000001230ull, 40000, 1280000, 1000, h02, 2);
    add_type(s, "app::RequestContext", 0x555555556010ull, 3, 144, 0, h1, 1);
    add_type(s, "Lonely", 0x555555556040ull, 0, 0, 0, NULL, 0);
    char *text;
    vm_snapshot *back = round_trip(s, &text);
    char why[256];
    if (!vm_snapshot_equal(s, back, why, sizeof why))
        fail_msg("differs at %s", why);
    assert_int_equal(back->objects[0].heaps[0], 0); /* kept ascending */
    assert_non_null(strstr(text, "\"census\""));
    assert_non_null(strstr(text, "\"scope\":\t\"heap\""));
    assert_null(strstr(text, "\"outside\"")); /* only with scope all */
    free(text);
    vm_snapshot_free(back);

    /* scope all: outside counts travel too. */
    s->census.all = true;
    s->objects[1].outside[VM_OBJ_STACK] = 1;
    s->objects[1].outside[VM_OBJ_IMAGE_DATA] = 2;
    back = round_trip(s, NULL);
    if (!vm_snapshot_equal(s, back, why, sizeof why))
        fail_msg("differs at %s", why);
    assert_int_equal(back->objects[1].outside[VM_OBJ_IMAGE_DATA], 2);
    vm_snapshot_free(back);
    vm_snapshot_free(s);
}

/* Without a census, the document is what it always was: no census, no objects. */
static void test_absent(void **state)
{
    (void)state;
    vm_snapshot *s = base_snapshot();
    char *text;
    vm_snapshot *back = round_trip(s, &text);
    assert_null(strstr(text, "census"));
    assert_null(strstr(text, "objects"));
    assert_false(back->census.present);
    assert_int_equal(back->nobjects, 0);
    free(text);
    vm_snapshot_free(back);
    vm_snapshot_free(s);
}

/* Replaces the first occurrence of from by to in the JSON of a valid census snapshot, and
 * expects the reader to refuse it with a message containing want. */
static void expect_refused(const char *from, const char *to, const char *want)
{
    vm_snapshot *s = base_snapshot();
    s->census.present = true;
    int32_t h[] = {1};
    add_type(s, "A", 0x1000, 2, 64, 0, h, 1);
    char *text = vm_snapshot_to_json(s, 0);
    char *at = strstr(text, from);
    if (!at)
        fail_msg("%s not in %s", from, text);
    size_t n = strlen(text) + strlen(to) + 1;
    char *edited = malloc(n);
    snprintf(edited, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    vm_error err = {0};
    vm_snapshot *back = vm_snapshot_from_json(edited, strlen(edited), "t.json", &err);
    if (back)
        fail_msg("accepted: %s", edited);
    if (!strstr(err.msg, want))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
    assert_int_equal(err.code, VM_EXIT_BAD_INPUT);
    free(edited);
    free(text);
    vm_snapshot_free(s);
}

static void test_invalid(void **state)
{
    (void)state;
    expect_refused("\"abi\":\"itanium\"", "\"abi\":\"gcc\"", "objects[0].abi");
    expect_refused("\"heaps\":[1]", "\"heaps\":[7]", "objects[0].heaps[0]: no heap with id 7");
    expect_refused("\"heaps\":[1]", "\"heaps\":[1,1]", "ascending");
    expect_refused("\"heaps\":[1]", "\"heaps\":[\"x\"]", "objects[0].heaps[0]");
    expect_refused("\"bytes_estimated\":0", "\"bytes_estimated\":65", "objects[0].bytes_estimated");
    expect_refused("\"count\":2", "\"count\":-2", "objects[0].count");
    expect_refused("\"vtable\":\"0x1000\"", "\"vtable\":4096", "objects[0].vtable");
    expect_refused("\"scope\":\"heap\"", "\"scope\":\"most\"", "census.scope");
    expect_refused("\"busy_bytes\":0", "\"busy_bytes\":null", "census.busy_bytes");
    expect_refused("\"bytes_estimated\":0", "\"bytes_estimated\":0,\"outside\":{\"stack\":1}", "objects[0].outside");
    expect_refused("\"census\":{", "\"census_\":{", "census: missing");
    expect_refused("\"objects\":[", "\"objects\":[3,", "objects[0]: expected an object");
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *t = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(t, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return t;
}

static cJSON *find(cJSON *doc, const char *outer, int index, const char *inner)
{
    cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, outer);
    if (index >= 0)
        o = cJSON_GetArrayItem(o, index);
    return inner ? cJSON_GetObjectItemCaseSensitive(o, inner) : o;
}

/* The schema's "required" for the census and an object type equals what the reader refuses
 * to do without (run from the repository root, like test_json). */
static void test_schema_matches_reader(void **state)
{
    (void)state;
    vm_snapshot *s = base_snapshot();
    s->census.present = true;
    s->census.all = true;
    int32_t h[] = {1};
    add_type(s, "A", 0x1000, 2, 64, 0, h, 1);
    char *text = vm_snapshot_to_json(s, 0);
    cJSON *parsed = cJSON_Parse(text);
    char *schema_text = read_text("docs/snapshot.schema.json");
    cJSON *schema = cJSON_Parse(schema_text);
    assert_non_null(schema);
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(schema, "$defs");
    static const struct {
        const char *def, *outer;
        int index; /* -1: outer is an object; else the element of the outer array */
        const char *inner;
    } objects[] = {
        {"census", "census", -1, NULL},
        {"object_type", "objects", 0, NULL},
        {"object_outside", "objects", 0, "outside"},
    };
    for (size_t k = 0; k < sizeof objects / sizeof objects[0]; k++) {
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(defs, objects[k].def),
                                                             "required");
        assert_non_null(want);
        const cJSON *base = find(parsed, objects[k].outer, objects[k].index, objects[k].inner);
        assert_true(cJSON_IsObject(base));
        int required = 0;
        for (const cJSON *c = base->child; c; c = c->next) {
            cJSON *doc = cJSON_Parse(text);
            cJSON_DeleteItemFromObjectCaseSensitive(find(doc, objects[k].outer, objects[k].index, objects[k].inner),
                                                    c->string);
            char *edited = cJSON_PrintUnformatted(doc);
            vm_error err = {0};
            vm_snapshot *back = vm_snapshot_from_json(edited, strlen(edited), "t.json", &err);
            bool in_schema = false;
            for (const cJSON *w = want->child; w; w = w->next)
                in_schema |= strcmp(w->valuestring, c->string) == 0;
            if (in_schema != (back == NULL))
                fail_msg("%s.%s: schema says %s, the reader %s", objects[k].def, c->string,
                         in_schema ? "required" : "optional", back ? "does without it" : "refuses to do without it");
            required += back == NULL;
            vm_snapshot_free(back);
            cJSON_free(edited);
            cJSON_Delete(doc);
        }
        assert_int_equal(required, cJSON_GetArraySize(want));
    }
    cJSON_Delete(parsed);
    cJSON_Delete(schema);
    free(schema_text);
    free(text);
    vm_snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_absent),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_schema_matches_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
