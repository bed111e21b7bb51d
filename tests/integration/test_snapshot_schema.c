/* The snapshot format's documents against what vmmap writes (docs/snapshot.schema.json,
 * docs/snapshot-format.md): snapshots taken of the heap sample (default, and with --heap-blocks:
 * every heap's stats, sizes, walk_note and owner), of the C++ census sample (objects, census, with
 * and without --all) and of a gcore of the heap sample validate against the schema, with no key
 * the schema does not describe (tests/support/schema_check.h); every key the schema describes for
 * heaps' walk fields, census and objects[] is written; the format version in the schema, in the
 * format doc's title and in every snapshot is the one the code writes, and the version-1 fixture
 * still loads (the compatibility rule).  Binaries from $VMMAP_BUILD (default "build"). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/support/proc_util.h"
#include "tests/support/schema_check.h"
#include "vmmap/model/snapshot.h"

#define SCHEMA "docs/snapshot.schema.json"

static char g_dir[256];
static char *g_vmmap;
static cJSON *g_schema;
/* Every instance of the walk's and the census's objects seen, by schema definition, so that the
 * test can check that each key the schema describes was written somewhere. */
static cJSON *g_seen;
/* One walked heap snapshot and one census snapshot, for the test that the check can fail. */
static cJSON *g_walked, *g_census;

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    g_vmmap = pu_build_path("vmmap");
    char *text = pu_read_file(SCHEMA, NULL);
    g_schema = text ? cJSON_Parse(text) : NULL;
    free(text);
    g_seen = cJSON_CreateObject();
    return g_vmmap && access(g_vmmap, X_OK) == 0 && g_schema && pu_tempdir(g_dir, sizeof g_dir) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pu_tempdir_remove(g_dir);
    cJSON_Delete(g_schema);
    cJSON_Delete(g_seen);
    cJSON_Delete(g_walked);
    cJSON_Delete(g_census);
    free(g_vmmap);
    return 0;
}

/* Keeps the keys of each object of an array (or the object itself) under g_seen[def]. */
static void seen(const char *def, const cJSON *v)
{
    cJSON *keys = cJSON_GetObjectItemCaseSensitive(g_seen, def);
    if (!keys)
        keys = cJSON_AddObjectToObject(g_seen, def);
    const cJSON *o = cJSON_IsArray(v) ? v->child : v;
    for (; o; o = cJSON_IsArray(v) ? o->next : NULL) {
        for (const cJSON *k = cJSON_IsObject(o) ? o->child : NULL; k; k = k->next)
            if (!cJSON_GetObjectItemCaseSensitive(keys, k->string))
                cJSON_AddTrueToObject(keys, k->string);
        if (!cJSON_IsArray(v))
            break;
    }
}

static void remember(const cJSON *snap)
{
    const cJSON *h, *o;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(snap, "heaps"))
    {
        seen("heap", h);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(h, "stats");
        if (cJSON_IsObject(st))
            seen("heap_stats", st);
        seen("heap_size", cJSON_GetObjectItemCaseSensitive(h, "sizes"));
        seen("heap_owner", cJSON_GetObjectItemCaseSensitive(h, "owner"));
        seen("heap_part", cJSON_GetObjectItemCaseSensitive(h, "parts"));
    }
    const cJSON *census = cJSON_GetObjectItemCaseSensitive(snap, "census");
    if (census)
        seen("census", census);
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(snap, "objects"))
    {
        seen("object_type", o);
        const cJSON *out = cJSON_GetObjectItemCaseSensitive(o, "outside");
        if (out)
            seen("object_outside", out);
    }
}

/* The snapshot at path follows the schema, is of the version the code writes, and is kept in
 * g_seen (and in *keep, when not NULL). */
static void validate_file(const char *path, cJSON **keep)
{
    cJSON *snap = pu_json_load(path);
    if (!snap)
        fail_msg("%s: %s", path, pu_last_error());
    char why[8192];
    if (!sc_validate(g_schema, snap, why, sizeof why))
        fail_msg("%s does not follow %s:\n%s", path, SCHEMA, why);
    uint64_t version = 0;
    assert_int_equal(pu_json_u64(snap, "version", &version), 0);
    assert_int_equal(version, VM_SNAPSHOT_VERSION);
    remember(snap);
    if (keep) {
        cJSON_Delete(*keep);
        *keep = snap;
    } else {
        cJSON_Delete(snap);
    }
    unlink(path);
}

static void run_ok(const char *a0, ...)
{
    pu_run_result r = {0};
    va_list ap;
    va_start(ap, a0);
    int rc = pu_runv(&r, &(pu_run_opts){.timeout_ms = 120000}, a0, ap);
    va_end(ap);
    if (rc != 0 || r.exit_code != 0)
        fail_msg("%s: exit %d (%s)\n%s", a0, r.exit_code, rc ? pu_last_error() : "ran", r.err ? r.err : "");
    pu_run_result_free(&r);
}

static void start(pu_child *c, const char *sample, const char *a1, const char *a2, const char *a3, const char *a4)
{
    char *path = pu_build_path(sample);
    char *argv[] = {path, (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    c->stdin_fd = c->stdout_fd = -1;
    int rc = pu_sample_start(c, argv, 10000);
    free(path);
    if (rc != 0)
        fail_msg("cannot start %s: %s", sample, pu_last_error());
}

/* vmmap CMD TARGET [EXTRA [EXTRA2]] -o DIR/NAME -q, then the file validated (validate_file). */
static void take(const char *name, cJSON **keep, const char *cmd, const char *target, const char *extra,
                 const char *extra2)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    if (extra2)
        run_ok(g_vmmap, cmd, target, extra, extra2, "-o", path, "-q", (char *)NULL);
    else if (extra)
        run_ok(g_vmmap, cmd, target, extra, "-o", path, "-q", (char *)NULL);
    else
        run_ok(g_vmmap, cmd, target, "-o", path, "-q", (char *)NULL);
    validate_file(path, keep);
}

static void test_heap_snapshots(void **state)
{
    (void)state;
    pu_child c;
    start(&c, "samples/heapsample", "--threads", "2", "--mmaps", "3");
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)c.pid);
    take("default.json", NULL, "snapshot", pid, NULL, NULL);
    take("walked.json", &g_walked, "snapshot", pid, "--heap-blocks", NULL);
    take("heaps.json", NULL, "heaps", pid, NULL, NULL);
    /* a core: heaps walked from a file, owners among its modules */
    char prefix[320], core[400];
    snprintf(prefix, sizeof prefix, "%s/core", g_dir);
    snprintf(core, sizeof core, "%s.%s", prefix, pid);
    if (access("/usr/bin/gcore", X_OK) != 0)
        fail_msg("gcore (gdb, installed by scripts/deps.sh) is needed");
    run_ok("/usr/bin/gcore", "-o", prefix, pid, (char *)NULL);
    take("core.json", NULL, "snapshot", core, "--heap-blocks", NULL);
    unlink(core);
    pu_child_stop(&c, 5000);
}

static void test_census_snapshots(void **state)
{
    (void)state;
    pu_child c;
    start(&c, "samples/census", NULL, NULL, NULL, NULL);
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)c.pid);
    take("objects.json", NULL, "objects", pid, NULL, NULL);
    take("all.json", &g_census, "objects", pid, "--all", NULL);
    take("snap_objects.json", NULL, "snapshot", pid, "--objects", "--heap-blocks");
    pu_child_stop(&c, 5000);
}

/* Every key the schema describes for these definitions was written by one of the snapshots above
 * (the two tests run first): the documents describe what the code writes, no more. */
static void test_every_described_key_written(void **state)
{
    (void)state;
    static const char *const defs[] = {"heap", "heap_stats", "heap_size", "heap_owner", "heap_part",
                                       "census", "object_type", "object_outside"};
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(g_schema, "$defs");
    int missing = 0;
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(all, defs[i]),
                                                              "properties");
        const cJSON *keys = cJSON_GetObjectItemCaseSensitive(g_seen, defs[i]);
        assert_non_null(props);
        for (const cJSON *p = props->child; p; p = p->next)
            if (!keys || !cJSON_GetObjectItemCaseSensitive(keys, p->string)) {
                print_error("%s.%s: described by the schema, written by no snapshot\n", defs[i], p->string);
                missing++;
            }
    }
    assert_int_equal(missing, 0);
}

/* The check is not one that cannot fail: each of these changes to a real snapshot is refused,
 * with its path. */
static void test_check_refuses(void **state)
{
    (void)state;
    static const struct {
        bool census;
        const char *path, *key, *value, *needle; /* value NULL: delete key */
    } cases[] = {
        {false, "heaps.0.stats", "extra", "1", "heaps[0].stats.extra: key not described"},
        {false, "heaps.0.stats", "busy_bytes", NULL, "required key \"busy_bytes\" is missing"},
        {false, "heaps.0.stats", "free_blocks", "-1", "below the minimum"},
        {false, "heaps.0.sizes.0", "busy", "\"many\"", "heaps[0].sizes[0].busy: not of type"},
        {false, "heaps.0", "sizes", NULL, "\"stats\" is there, so \"sizes\" must be"},
        {false, "heaps.1.owner.0", "address", "\"0x\"", "heaps[1].owner[0].address"},
        {false, "", "version", "3", "version: 3 is above the maximum"},
        {true, "objects.0", "abi", "\"cfront\"", "objects[0].abi"},
        {true, "objects.0", "heaps", "[0, 0]", "uniqueItems"},
        {true, "", "census", NULL, "\"objects\" is there, so \"census\" must be"},
    };
    assert_non_null(g_walked);
    assert_non_null(g_census);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *doc = cJSON_Duplicate(cases[i].census ? g_census : g_walked, true);
        cJSON *at = doc;
        char path[128];
        snprintf(path, sizeof path, "%s", cases[i].path);
        for (char *tok = strtok(path, "."); tok && at; tok = strtok(NULL, "."))
            at = cJSON_IsArray(at) ? cJSON_GetArrayItem(at, atoi(tok)) : cJSON_GetObjectItemCaseSensitive(at, tok);
        assert_non_null(at);
        cJSON_DeleteItemFromObjectCaseSensitive(at, cases[i].key);
        if (cases[i].value)
            cJSON_AddItemToObject(at, cases[i].key, cJSON_Parse(cases[i].value));
        char why[8192];
        bool ok = sc_validate(g_schema, doc, why, sizeof why);
        if (ok || !strstr(why, cases[i].needle))
            fail_msg("%s.%s = %s: %s, want a problem saying \"%s\":\n%s", cases[i].path, cases[i].key,
                     cases[i].value ? cases[i].value : "(deleted)", ok ? "accepted" : "refused", cases[i].needle, why);
        cJSON_Delete(doc);
    }
}

/* The version: the schema allows 1 to the code's, the format doc is titled with it, and the
 * version-1 fixture loads (a reader keeps every older version's path). */
static void test_version_and_compatibility(void **state)
{
    (void)state;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(g_schema, "properties"),
                                                      "version");
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(v, "minimum")->valuedouble, 1);
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(v, "maximum")->valuedouble, VM_SNAPSHOT_VERSION);
    char *doc = pu_read_file("docs/snapshot-format.md", NULL);
    assert_non_null(doc);
    char title[64];
    snprintf(title, sizeof title, "# The vmmap snapshot format (version %d)\n", VM_SNAPSHOT_VERSION);
    assert_true(strncmp(doc, title, strlen(title)) == 0);
    char current[64];
    snprintf(current, sizeof current, "currently **%d**", VM_SNAPSHOT_VERSION);
    assert_non_null(strstr(doc, current));
    free(doc);
    pu_run_result r = {0};
    assert_int_equal(pu_runl(&r, NULL, g_vmmap, "summary", "tests/fixtures/snapshot-v1-minimal.json", (char *)NULL), 0);
    if (r.exit_code != 0)
        fail_msg("the version-1 fixture does not load: %s", r.err ? r.err : "");
    pu_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_snapshots),
        cmocka_unit_test(test_census_snapshots),
        cmocka_unit_test(test_every_described_key_written),
        cmocka_unit_test(test_check_refuses),
        cmocka_unit_test(test_version_and_compatibility),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
