/* Integration test of the object census (vmmap objects) on live Linux processes and their cores:
 *  - the C++ sample (samples/linux/census.cpp) prints how many objects of each class it holds and
 *    the bytes their blocks take; the census must equal it exactly, type by type (count, bytes,
 *    exact or estimated, module, which heap), with nothing else found, and with --all also the
 *    one static and one stack instance; --type lists the very instances it printed;
 *  - a C program (samples/linux/sample.c) has no C++ objects: none reported;
 *  - a gcore of the sample gives the same census, its left-out read-only data read from the
 *    module files (checked by build-id; found with --image-path when moved);
 *  - real C++ programs of the distribution (gdb, cmake: libstdc++ and its streams): every type
 *    reported is checked independently, by reading the RTTI name the vtable leads to from the
 *    process's memory and demangling it with the C++ runtime, and by finding the vtable inside
 *    the module named.
 * Binaries come from $VMMAP_BUILD (default "build"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/proc_util.h"

#define START_MS 10000
#define STOP_MS 5000
#define RUN_MS 120000

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

typedef struct fixture {
    char *vmmap;
    pu_child census;   /* the C++ sample, shared by the tests */
    char dir[64];
    /* per test */
    pu_run_result run;
    cJSON *snap;
    pu_child other;
} fixture;

static int group_teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    pu_child_stop(&f->census, STOP_MS);
    if (f->dir[0])
        pu_tempdir_remove(f->dir);
    free(f->vmmap);
    free(f);
    return 0;
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    f->census.stdin_fd = f->census.stdout_fd = f->other.stdin_fd = f->other.stdout_fd = -1;
    signal(SIGPIPE, SIG_IGN);
    f->vmmap = pu_build_path("vmmap");
    char *sample = pu_build_path("samples/census");
    char *argv[] = {sample, NULL};
    int rc = f->vmmap && sample && access(f->vmmap, X_OK) == 0 && pu_tempdir(f->dir, sizeof f->dir) == 0
                 ? pu_sample_start(&f->census, argv, START_MS)
                 : -1;
    if (rc != 0)
        fprintf(stderr, "test_census_sample: cannot start %s: %s\n", sample ? sample : "?", pu_last_error());
    free(sample);
    if (rc != 0) {
        group_teardown(state);
        *state = NULL;
    }
    return rc;
}

/* Ends the children of pid (ours: it is our child), by their pids from /proc. */
static void kill_children(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    char *text = pu_read_file(path, NULL);
    for (char *p = text; p && *p;) {
        char *end;
        long child = strtol(p, &end, 10);
        if (end == p)
            break;
        if (child > 1)
            kill((pid_t)child, SIGKILL);
        p = end;
    }
    free(text);
}

static int per_test_teardown(void **state)
{
    fixture *f = *state;
    if (f->other.pid > 0)
        kill_children(f->other.pid); /* cmake's sleep, which would outlive it */
    pu_run_result_free(&f->run);
    cJSON_Delete(f->snap);
    f->snap = NULL;
    pu_child_stop(&f->other, STOP_MS);
    return 0;
}

/* Runs vmmap with the arguments after want (ending with (char *)NULL); fails the test unless it
 * exits want. */
static void vmmap(fixture *f, int want, ...)
{
    pu_run_result_free(&f->run);
    va_list ap, peek;
    va_start(ap, want);
    va_copy(peek, ap);
    const char *command = va_arg(peek, const char *);
    va_end(peek);
    int rc = pu_runv(&f->run, &(pu_run_opts){.timeout_ms = RUN_MS}, f->vmmap, ap);
    va_end(ap);
    if (rc != 0 || f->run.exit_code != want)
        fail_msg("vmmap %s: exit %d, want %d (%s)\nstderr:\n%s", command ? command : "", f->run.exit_code, want,
                 rc ? pu_last_error() : "ran", f->run.err ? f->run.err : "");
}

/* vmmap objects TARGET [extra...] -o DIR/name (extra: up to two arguments, NULL for none),
 * loaded into f->snap. */
static void census_at(fixture *f, const char *target, const char *extra, const char *extra2, const char *name)
{
    char out[256];
    snprintf(out, sizeof out, "%s/%s", f->dir, name);
    if (extra && extra2)
        vmmap(f, 0, "objects", target, extra, extra2, "-o", out, (char *)NULL);
    else if (extra)
        vmmap(f, 0, "objects", target, extra, "-o", out, (char *)NULL);
    else
        vmmap(f, 0, "objects", target, "-o", out, (char *)NULL);
    cJSON_Delete(f->snap);
    f->snap = pu_json_load(out);
    if (!f->snap)
        fail_msg("%s: %s", out, pu_last_error());
    unlink(out);
}

/* vmmap objects PID [extra] -o DIR/name, loaded into f->snap. */
static void census_of(fixture *f, pid_t pid, const char *extra, const char *name)
{
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
    census_at(f, pidbuf, extra, NULL, name);
}

static const cJSON *object_named(const cJSON *snap, const char *type)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(snap, "objects"))
    {
        const char *t = pu_json_str(o, "type");
        if (t && strcmp(t, type) == 0)
            return o;
    }
    return NULL;
}

static uint64_t u64(const cJSON *o, const char *key)
{
    uint64_t v = 0;
    if (pu_json_u64(o, key, &v) != 0)
        fail_msg("%s: %s", key, pu_last_error());
    return v;
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "";
}

/* Every type the sample printed, against the census; then nothing else of the sample's. */
static void check_heap_truth(const cJSON *truth, const cJSON *snap)
{
    const cJSON *t;
    size_t expected = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(truth, "types"))
    {
        const char *name = pu_json_str(t, "name");
        const cJSON *o = object_named(snap, name);
        uint64_t heap = u64(t, "heap"), bytes = u64(t, "bytes");
        bool estimated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "estimated"));
        if (heap == 0) {
            if (o && u64(o, "count") != 0)
                fail_msg("%s: the sample holds none, the census found %" PRIu64, name, u64(o, "count"));
            continue;
        }
        expected++;
        if (!o)
            fail_msg("%s: not found (the sample holds %" PRIu64 ")", name, heap);
        if (u64(o, "count") != heap || u64(o, "bytes") != bytes)
            fail_msg("%s: census %" PRIu64 " objects / %" PRIu64 " bytes, the sample %" PRIu64 " / %" PRIu64, name,
                     u64(o, "count"), u64(o, "bytes"), heap, bytes);
        assert_int_equal(u64(o, "bytes_estimated"), estimated ? bytes : 0);
        assert_string_equal(base_name(pu_json_str(o, "module")), pu_json_str(t, "module"));
        assert_string_equal(pu_json_str(o, "abi"), "itanium");
    }
    /* Nothing else on the heap: the sample's own classes are all its C++ objects. */
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(snap, "objects"));
    int with_heap = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(snap, "objects")) with_heap += u64(o, "count") > 0;
    if ((size_t)with_heap != expected)
        fail_msg("%d types with heap objects (of %d), the sample holds %zu", with_heap, n, expected);
}

/* The heap an object type lives in, by kind. */
static const char *heap_kind_of(const cJSON *snap, const cJSON *o)
{
    const cJSON *heaps = cJSON_GetObjectItemCaseSensitive(o, "heaps");
    assert_int_equal(cJSON_GetArraySize(heaps), 1);
    const cJSON *h = pu_snapshot_heap(snap, (int64_t)cJSON_GetArrayItem(heaps, 0)->valuedouble);
    assert_non_null(h);
    return pu_json_str(h, "kind");
}

static void test_sample_heap_census(void **state)
{
    fixture *f = *state;
    census_of(f, f->census.pid, NULL, "c.json");
    check_heap_truth(f->census.truth, f->snap);
    const cJSON *census = cJSON_GetObjectItemCaseSensitive(f->snap, "census");
    assert_string_equal(pu_json_str(census, "scope"), "heap");
    assert_true(u64(census, "busy_blocks") > 2200); /* at least the blocks of the objects alone in theirs */
    /* The other thread's objects are in its own arena, the rest in the main one. */
    assert_string_equal(heap_kind_of(f->snap, object_named(f->snap, "ThreadObj")), "glibc arena");
    assert_string_equal(heap_kind_of(f->snap, object_named(f->snap, "Circle")), "glibc main arena");
    /* The vtable is the address point the objects hold: read it back from the sample. */
    uint64_t vt, circle_vptr;
    assert_int_equal(pu_json_hex(object_named(f->snap, "Circle"), "vtable", &vt), 0);
    uint64_t stack_circle;
    assert_int_equal(pu_json_hex(f->census.truth, "stack_circle", &stack_circle), 0);
    struct iovec l = {&circle_vptr, 8}, r = {(void *)(uintptr_t)stack_circle, 8};
    assert_int_equal(process_vm_readv(f->census.pid, &l, 1, &r, 1, 0), 8);
    assert_int_equal(circle_vptr, vt);
}

/* With --all: the sample's static and stack instances, and nothing else of its classes. */
static void check_outside_truth(const cJSON *truth, const cJSON *snap)
{
    assert_string_equal(pu_json_str(cJSON_GetObjectItemCaseSensitive(snap, "census"), "scope"), "all");
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(truth, "outside");
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(snap, "objects"))
    {
        const char *mod = base_name(pu_json_str(o, "module"));
        if (strcmp(mod, "census") != 0 && strcmp(mod, "libcensus_plugin.so") != 0)
            continue; /* libstdc++'s own static objects (error categories, locale facets) */
        const cJSON *out = cJSON_GetObjectItemCaseSensitive(o, "outside");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, pu_json_str(o, "type"));
        static const char *const where[] = {"stack", "private_data", "image_data"};
        for (size_t i = 0; i < 3; i++) {
            const cJSON *n = w ? cJSON_GetObjectItemCaseSensitive(w, where[i]) : NULL;
            uint64_t expect = n ? (uint64_t)n->valuedouble : 0;
            if (u64(out, where[i]) != expect)
                fail_msg("%s: %" PRIu64 " in %s, the sample has %" PRIu64, pu_json_str(o, "type"), u64(out, where[i]),
                         where[i], expect);
        }
    }
}

static void test_sample_all(void **state)
{
    fixture *f = *state;
    census_of(f, f->census.pid, "--all", "all.json");
    check_heap_truth(f->census.truth, f->snap);
    check_outside_truth(f->census.truth, f->snap);
}

/* --type: the instance list names the very objects the sample printed. */
static void test_sample_type_list(void **state)
{
    fixture *f = *state;
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->census.pid);
    vmmap(f, 0, "objects", pidbuf, "--type", "Circle", "--all", (char *)NULL);
    uint64_t stack_circle, static_circle, vec;
    assert_int_equal(pu_json_hex(f->census.truth, "stack_circle", &stack_circle), 0);
    assert_int_equal(pu_json_hex(f->census.truth, "static_circle", &static_circle), 0);
    char want_stack[64], want_static[64];
    snprintf(want_stack, sizeof want_stack, "0x%" PRIx64 " ", stack_circle);
    snprintf(want_static, sizeof want_static, "0x%" PRIx64 " ", static_circle);
    int lines = 0, heap = 0;
    bool stack = false, image = false;
    for (char *line = strtok(f->run.out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        heap += strstr(line, " heap 0 ") != NULL;
        stack |= strncmp(line, want_stack, strlen(want_stack)) == 0 && strstr(line, " stack ");
        image |= strncmp(line, want_static, strlen(want_static)) == 0 && strstr(line, " image_data ");
        if (lines > 0 && !strstr(line, " Circle"))
            fail_msg("not a Circle: %s", line);
    }
    assert_int_equal(lines, 1 + 1000 + 2); /* header, heap objects, static, stack */
    assert_int_equal(heap, 1000);
    assert_true(stack);
    assert_true(image);
    /* The vector's objects: the first is at the start of its buffer, all in one block. */
    vmmap(f, 0, "objects", pidbuf, "--type", "VecItem", (char *)NULL);
    assert_int_equal(pu_json_hex(f->census.truth, "vector_buffer", &vec), 0);
    char first[64];
    snprintf(first, sizeof first, "\n0x%" PRIx64 " ", vec);
    assert_non_null(strstr(f->run.out, first));
    char block[64];
    snprintf(block, sizeof block, " 0x%" PRIx64 " ", vec - 16); /* its chunk header */
    int in_block = 0;
    for (char *p = f->run.out; (p = strstr(p, block)); p++)
        in_block++;
    assert_int_equal(in_block, 1024);
}

static void test_sample_text(void **state)
{
    fixture *f = *state;
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->census.pid);
    vmmap(f, 0, "objects", pidbuf, (char *)NULL);
    const char *o = f->run.out;
    assert_non_null(strstr(o, "3,234 objects of 8 types"));
    assert_non_null(strstr(o, "1,000   32,000  Circle "));
    assert_non_null(strstr(o, "~16,392  VecItem "));
    assert_non_null(strstr(o, "plugin::Plugin  libcensus_plugin.so  0"));
    assert_non_null(strstr(o, "~ estimated"));
    vmmap(f, 0, "objects", pidbuf, "--top", "2", (char *)NULL);
    assert_non_null(strstr(f->run.out, "(2 of 8 types shown)"));
    vmmap(f, 0, "objects", pidbuf, "--min-count", "500", (char *)NULL);
    assert_non_null(strstr(f->run.out, "Square"));
    assert_null(strstr(f->run.out, "Widget"));
    vmmap(f, 2, "objects", pidbuf, "--no-heaps", (char *)NULL);
    vmmap(f, 2, "objects", pidbuf, "--top", "x", (char *)NULL);
    vmmap(f, 2, "objects", pidbuf, "-o", "out.txt", (char *)NULL);
}

/* A snapshot taken without the census has none to show; one taken with it shows it again. */
static void test_snapshot_files(void **state)
{
    fixture *f = *state;
    char pidbuf[32], plain[128], with[128], csv[128];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->census.pid);
    snprintf(plain, sizeof plain, "%s/plain.json", f->dir);
    snprintf(with, sizeof with, "%s/with.json", f->dir);
    snprintf(csv, sizeof csv, "%s/t.csv", f->dir);
    vmmap(f, 0, "snapshot", pidbuf, "-o", plain, (char *)NULL);
    vmmap(f, 5, "objects", plain, (char *)NULL);
    assert_non_null(strstr(f->run.err, "has no object census"));
    vmmap(f, 0, "snapshot", pidbuf, "--objects", "-o", with, (char *)NULL);
    vmmap(f, 0, "objects", with, "--top", "1", (char *)NULL);
    assert_non_null(strstr(f->run.out, "Circle"));
    vmmap(f, 5, "objects", with, "--type", "Circle", (char *)NULL);
    vmmap(f, 0, "objects", with, "-o", csv, (char *)NULL);
    char *text = pu_read_file(csv, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"Count\",\"Bytes\",\"Bytes estimated\",\"Type\""));
    assert_non_null(strstr(text, "\"1000\",\"32000\",\"0\",\"Circle\""));
    free(text);
    unlink(plain);
    unlink(with);
    unlink(csv);
}

/* The review workbook of a census snapshot has a Types sheet equal to the snapshot's census
 * (tests/report/check_types_xlsx.py reads it back with openpyxl); one without a census has none. */
static void check_workbook(fixture *f, const char *snap_path, const char *xlsx_path)
{
    vmmap(f, 0, "report", snap_path, "-q", "-o", xlsx_path, (char *)NULL);
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char *argv[] = {(char *)py, "tests/report/check_types_xlsx.py", (char *)snap_path, (char *)xlsx_path, NULL};
    pu_run_result r = {0};
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, &r);
    if (rc != 0 || r.exit_code != 0)
        fail_msg("check_types_xlsx %s: exit %d\n%s", xlsx_path, r.exit_code, r.err ? r.err : pu_last_error());
    pu_run_result_free(&r);
}

static void test_workbook(void **state)
{
    fixture *f = *state;
    char pidbuf[32], json[128], xlsx[128];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->census.pid);
    snprintf(json, sizeof json, "%s/w.json", f->dir);
    snprintf(xlsx, sizeof xlsx, "%s/w.xlsx", f->dir);
    static const char *const variants[][2] = {{"--objects", NULL}, {"--objects", "--all"}, {"-q", NULL}};
    for (size_t i = 0; i < 3; i++) {
        if (i == 1)
            vmmap(f, 0, "objects", pidbuf, "--all", "-q", "-o", json, (char *)NULL);
        else
            vmmap(f, 0, "snapshot", pidbuf, variants[i][0], "-q", "-o", json, (char *)NULL);
        check_workbook(f, json, xlsx);
    }
    /* -o FILE.xlsx on the command itself writes the same workbook */
    vmmap(f, 0, "objects", pidbuf, "-q", "-o", xlsx, (char *)NULL);
    unlink(json);
    unlink(xlsx);
}

static void test_c_program_has_none(void **state)
{
    fixture *f = *state;
    char *sample = pu_build_path("samples/sample");
    char *argv[] = {sample, NULL};
    int rc = pu_sample_start(&f->other, argv, START_MS);
    free(sample);
    if (rc != 0)
        fail_msg("samples/sample: %s", pu_last_error());
    census_of(f, f->other.pid, NULL, "c-program.json");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f->snap, "objects")), 0);
    assert_true(u64(cJSON_GetObjectItemCaseSensitive(f->snap, "census"), "busy_blocks") > 0);
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)f->other.pid);
    vmmap(f, 0, "objects", pidbuf, (char *)NULL);
    assert_non_null(strstr(f->run.out, "No C++ objects found."));
}

/* ---- real programs ------------------------------------------------------------------------ */

static bool read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

/* Checks every type of the census of pid the independent way; returns how many. */
static int check_real_types(fixture *f, pid_t pid, const char *what)
{
    census_of(f, pid, NULL, "real.json");
    const cJSON *modules = cJSON_GetObjectItemCaseSensitive(f->snap, "modules");
    const cJSON *o;
    int n = 0;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(f->snap, "objects"))
    {
        const char *type = pu_json_str(o, "type"), *module = pu_json_str(o, "module");
        uint64_t vt, ti, name_ptr;
        assert_int_equal(pu_json_hex(o, "vtable", &vt), 0);
        /* the vtable lies inside the module named */
        bool inside = false;
        const cJSON *m;
        cJSON_ArrayForEach(m, modules)
        {
            uint64_t base, size;
            const char *path = pu_json_str(m, "path");
            if (path && module && strcmp(path, module) == 0 && pu_json_hex(m, "base", &base) == 0 &&
                pu_json_u64(m, "size", &size) == 0 && vt >= base && vt < base + size)
                inside = true;
        }
        if (!inside)
            fail_msg("%s: %s: vtable 0x%" PRIx64 " is not inside %s", what, type, vt, module);
        /* its RTTI name, read from the process and demangled by the C++ runtime */
        char mangled[1100] = "";
        if (!read_mem(pid, vt - 8, &ti, 8) || !read_mem(pid, ti + 8, &name_ptr, 8))
            fail_msg("%s: %s: cannot read its type_info", what, type);
        for (size_t i = 0; i + 1 < sizeof mangled && read_mem(pid, name_ptr + i, &mangled[i], 1) && mangled[i]; i++)
            ;
        mangled[sizeof mangled - 1] = 0;
        int status;
        char *ref = __cxa_demangle(mangled[0] == '*' ? mangled + 1 : mangled, NULL, NULL, &status);
        if (!ref || strcmp(ref, type) != 0)
            fail_msg("%s: reported \"%s\", its RTTI name %s demangles to %s", what, type, mangled, ref ? ref : "nothing");
        free(ref);
        n++;
    }
    return n;
}

static void wait_started(pu_child *c, int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    assert_true(c->pid > 0 && kill(c->pid, 0) == 0);
}

static void test_real_gdb(void **state)
{
    fixture *f = *state;
    char *argv[] = {"/usr/bin/gdb", "-q", "-nx", NULL};
    if (access(argv[0], X_OK) != 0)
        skip();
    assert_int_equal(pu_child_start(&f->other, argv), 0);
    /* gdb reads commands from the pipe: once it answers, it is up. */
    assert_true(write(f->other.stdin_fd, "echo ready\\n\n", 13) == 13);
    assert_int_equal(pu_child_read_line(&f->other, START_MS), 0);
    int n = check_real_types(f, f->other.pid, "gdb");
    print_message("  note: gdb: %d types checked\n", n);
    assert_true(n > 0);
}

/* cmake running a script: its generators and shared_ptr control blocks on the heap. */
static void test_real_cmake(void **state)
{
    fixture *f = *state;
    if (access("/usr/bin/cmake", X_OK) != 0)
        skip();
    char script[128];
    snprintf(script, sizeof script, "%s/wait.cmake", f->dir);
    FILE *fp = fopen(script, "w");
    assert_non_null(fp);
    fputs("execute_process(COMMAND sleep 60)\n", fp);
    fclose(fp);
    char *argv[] = {"/usr/bin/cmake", "-P", script, NULL};
    assert_int_equal(pu_child_start(&f->other, argv), 0);
    wait_started(&f->other, 1000);
    int n = check_real_types(f, f->other.pid, "cmake");
    print_message("  note: cmake: %d types checked\n", n);
    assert_true(n > 0);
    unlink(script);
}

static bool have_gcore(void)
{
    return system("command -v gcore >/dev/null 2>&1") == 0;
}

/* gdb's gcore of pid into DIR/name.PID; the core's path in core (cap bytes). */
static void make_core(fixture *f, pid_t pid, const char *name, char *core, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "gcore -o %s/%s %d >%s/gcore.log 2>&1", f->dir, name, (int)pid, f->dir);
    if (system(cmd) != 0)
        fail_msg("%s failed", cmd);
    snprintf(core, cap, "%s/%s.%d", f->dir, name, (int)pid);
    if (access(core, R_OK) != 0)
        fail_msg("gcore wrote no %s", core);
}

static bool has_warning(const cJSON *snap, const char *code)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(snap, "warnings"))
    {
        const char *c = pu_json_str(w, "code");
        if (c && strcmp(c, code) == 0)
            return true;
    }
    return false;
}

/* A core of the sample (gdb's gcore): the same census as live, with and without --all.  The core
 * leaves out the read-only mappings the process never wrote (.rodata: the RTTI), which come from
 * the module files, each checked by its build-id. */
static void test_core(void **state)
{
    fixture *f = *state;
    if (!have_gcore()) {
        print_message("skipped: gcore (Debian's gdb package) is not installed\n");
        skip();
    }
    char core[300];
    make_core(f, f->census.pid, "census.core", core, sizeof core);
    census_at(f, core, NULL, NULL, "core.json");
    assert_string_equal(pu_json_str(f->snap, "source"), "core");
    check_heap_truth(f->census.truth, f->snap);
    assert_false(has_warning(f->snap, "census-images"));
    census_at(f, core, "--all", NULL, "core-all.json");
    check_heap_truth(f->census.truth, f->snap);
    check_outside_truth(f->census.truth, f->snap);
    unlink(core);
}

/* A core whose module files are no longer where it names them: nothing of their classes is
 * counted, and a warning says why; with --image-path DIR holding them, the full census; with a
 * different file under the same name there (another build-id), that module is left out again. */
static void test_core_image_path(void **state)
{
    fixture *f = *state;
    if (!have_gcore()) {
        print_message("skipped: gcore (Debian's gdb package) is not installed\n");
        skip();
    }
    char *sample = pu_build_path("samples/census"), *plugin = pu_build_path("samples/libcensus_plugin.so");
    char cmd[1024], run[128], img[128], bad[128], exe[200], core[300];
    snprintf(run, sizeof run, "%s/run", f->dir);
    snprintf(img, sizeof img, "%s/img", f->dir);
    snprintf(bad, sizeof bad, "%s/bad", f->dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s %s %s && cp %s %s %s/ && cp %s %s/ && cp /bin/true %s/census", run, img,
             bad, sample, plugin, run, plugin, bad, bad);
    free(sample);
    free(plugin);
    if (system(cmd) != 0)
        fail_msg("%s failed", cmd);
    snprintf(exe, sizeof exe, "%s/census", run);
    char *argv[] = {exe, NULL};
    if (pu_sample_start(&f->other, argv, START_MS) != 0)
        fail_msg("cannot start %s: %s", exe, pu_last_error());
    make_core(f, f->other.pid, "moved.core", core, sizeof core);
    snprintf(cmd, sizeof cmd, "mv %s/census %s/libcensus_plugin.so %s/", run, run, img);
    if (system(cmd) != 0)
        fail_msg("%s failed", cmd);

    census_at(f, core, NULL, NULL, "moved.json");
    assert_true(has_warning(f->snap, "census-images"));
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(f->snap, "objects"))
    {
        const char *mod = base_name(pu_json_str(o, "module"));
        if (strcmp(mod, "census") == 0 || strcmp(mod, "libcensus_plugin.so") == 0)
            fail_msg("%s found without its module's file", pu_json_str(o, "type"));
    }

    census_at(f, core, "--image-path", img, "found.json");
    check_heap_truth(f->other.truth, f->snap);
    assert_false(has_warning(f->snap, "census-images"));

    census_at(f, core, "--image-path", bad, "bad.json");
    assert_true(has_warning(f->snap, "census-images"));
    assert_non_null(object_named(f->snap, "plugin::Plugin"));
    assert_null(object_named(f->snap, "Circle"));
    unlink(core);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sample_heap_census, per_test_teardown),
        cmocka_unit_test_teardown(test_sample_all, per_test_teardown),
        cmocka_unit_test_teardown(test_sample_type_list, per_test_teardown),
        cmocka_unit_test_teardown(test_sample_text, per_test_teardown),
        cmocka_unit_test_teardown(test_snapshot_files, per_test_teardown),
        cmocka_unit_test_teardown(test_workbook, per_test_teardown),
        cmocka_unit_test_teardown(test_c_program_has_none, per_test_teardown),
        cmocka_unit_test_teardown(test_core, per_test_teardown),
        cmocka_unit_test_teardown(test_core_image_path, per_test_teardown),
        cmocka_unit_test_teardown(test_real_gdb, per_test_teardown),
        cmocka_unit_test_teardown(test_real_cmake, per_test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
