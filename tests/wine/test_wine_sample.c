/* Wine integration test: run the Windows sample (samples/windows/, built by mk/wine.mk into
 * build-win/samples/sample.exe) under wine64, snapshot it with `wine64 build-win/vmmap.exe snapshot
 * PID -o Z:\...\snap.json`, and compare every item of the sample's ground truth with the snapshot;
 * then read the Windows snapshot with the Linux build (`build/vmmap show`).  Then a second run of
 * the sample writes a full-memory minidump of itself (`--dump`, under VMMAP_WIN_BUILD), mapped by
 * build/vmmap and by vmmap.exe and compared with that run's ground truth (test_dump_*).
 *
 * Where Wine cannot show something (docs/testing-windows.md, windows-internals.md section 5: no
 * PEB.ProcessHeaps, no LFH, no Windows segment lists), the test asserts what Wine does show (the
 * Wine heap list, subheaps, large blocks) and prints a note for the rest.
 *
 * Environment (mk/wine.mk sets all of them; the defaults suit a run from the repository root):
 *   VMMAP_BUILD       Linux build folder (build): vmmap
 *   VMMAP_WIN_BUILD   Windows build folder (build-win): vmmap.exe, samples/sample.exe
 *   WINE64            the 64-bit Wine loader (wine64 on PATH, else /usr/lib/wine/wine64)
 *   WINESERVER        wineserver (on PATH, else /usr/lib/wine/wineserver)
 *   WINEPREFIX        the private prefix (absolute; default <cwd>/build-win/wineprefix-test),
 *                     created with `wineboot -i` when it does not exist yet
 *   WINEDEBUG         forced to -all
 *
 * Processes: the sample is our child (wine64 started by us); it is ended by closing its stdin,
 * then SIGTERM / SIGKILL by its pid.  Wine's own processes (wineserver, services.exe, ...) are
 * never signalled: the group teardown runs `wineserver -k` for our prefix only, even on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/schema_check.h"
#include "tests/support/truth_check.h"

#define KiB ((uint64_t)1024)
#define MiB (KiB * KiB)
#define SAMPLE_START_MS 120000  /* the first Wine process of a prefix starts wineserver & services */
#define STOP_MS 10000
#define RUN_MS 180000
#define WINEBOOT_MS 300000

typedef struct fixture {
    char *wine64, *wineserver, *vmmap_exe, *sample_exe, *vmmap_linux;
    char prefix[2 * PATH_MAX];
    char dir[64];               /* private temp dir: the sample's temp files and the snapshot */
    char windir[96];            /* the same dir as Wine sees it: Z:\tmp\vmmap-test-XXXXXX */
    pu_child sample;
    cJSON *snap;                /* the snapshot, once test_take_snapshot succeeded */
    char snap_path[PATH_MAX];   /* Unix path of the snapshot file */
    bool offline;               /* VMMAP_WINE_TRUTH / VMMAP_WINE_SNAPSHOT: files, no Wine */
    pu_run_result run;          /* per test */
    /* The minidump test: a second run of the sample writes a full-memory dump of itself. */
    char *win_build_abs;        /* absolute VMMAP_WIN_BUILD: the dump (~100 MiB) goes there, not /tmp */
    char dump_path[PATH_MAX];   /* Unix path of the dump while it exists */
    char dump_json[2][PATH_MAX];/* the dump mapped by build/vmmap [0] and by vmmap.exe [1], while they exist */
    cJSON *dump_truth;          /* that run's ground truth */
    cJSON *dump_snap[2];        /* the two snapshots, loaded (NULL: not made) */
} fixture;

static int g_notes;

/* Something Wine does not show (or not like Windows): printed, never silently dropped. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    g_notes++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  note: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

/* The last component of a Windows or Unix path. */
static const char *base_name(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

static bool same_base_name(const char *a, const char *b)
{
    return a && b && strcasecmp(base_name(a), base_name(b)) == 0;
}

static uint64_t block_addr(const cJSON *b)
{
    uint64_t a = 0;
    pu_json_hex(b, "address", &a);
    return a;
}

static uint64_t block_size(const cJSON *b)
{
    uint64_t s = 0;
    pu_json_u64(b, "size", &s);
    return s;
}

/* The heaps[] entry whose "address" equals handle, or NULL. */
static const cJSON *snap_heap_at(const cJSON *snap, uint64_t handle)
{
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(snap, "heaps"))
    {
        uint64_t a = 0;
        if (pu_json_hex(h, "address", &a) == 0 && a == handle)
            return h;
    }
    return NULL;
}

/* The threads[] entry with tid, or NULL. */
static const cJSON *snap_thread(const cJSON *snap, int64_t tid)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(snap, "threads"))
        if (int_or(t, "tid", -1) == tid)
            return t;
    return NULL;
}

/* The heap part of heap h containing addr, or NULL. */
static const cJSON *heap_part_containing(const cJSON *h, uint64_t addr)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(h, "parts"))
    {
        uint64_t a = 0, s = 0;
        if (pu_json_hex(p, "address", &a) == 0 && pu_json_u64(p, "size", &s) == 0 && addr >= a && addr - a < s)
            return p;
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Fixtures                                                                                        */

static char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return strdup(v && *v ? v : dflt);
}

/* A program on PATH, else the first existing fallback path; malloc'd, NULL when neither. */
static char *find_program(const char *env, const char *name, const char *fallback)
{
    const char *v = getenv(env);
    if (v && *v)
        return strdup(v);
    const char *path = getenv("PATH");
    if (path) {
        char *copy = strdup(path);
        for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
            char cand[PATH_MAX];
            snprintf(cand, sizeof cand, "%s/%s", dir, name);
            if (access(cand, X_OK) == 0) {
                free(copy);
                return strdup(cand);
            }
        }
        free(copy);
    }
    return access(fallback, X_OK) == 0 ? strdup(fallback) : NULL;
}

static int group_teardown(void **state);

static int setup_failed(void **state)
{
    group_teardown(state);
    *state = NULL;
    return -1;
}

/* Offline mode (debugging the checks, or re-checking a saved run): VMMAP_WINE_TRUTH names a file
 * holding a sample's ground truth line and VMMAP_WINE_SNAPSHOT the snapshot of that same run (from
 * vmmap.exe, or `vmmap snapshot DUMP.dmp` of the dump `sample.exe --dump` wrote).  Nothing is
 * started; every check runs on those two files. */
static bool offline_setup(fixture *f)
{
    const char *truth = getenv("VMMAP_WINE_TRUTH"), *snap = getenv("VMMAP_WINE_SNAPSHOT");
    if (!truth || !*truth || !snap || !*snap)
        return false;
    f->offline = true;
    f->vmmap_linux = pu_build_path("vmmap");
    f->sample.truth = pu_json_load(truth);
    snprintf(f->snap_path, sizeof f->snap_path, "%s", snap);
    fprintf(stderr, "test_wine_sample: offline: ground truth %s, snapshot %s\n", truth, snap);
    return true;
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->sample.stdin_fd = f->sample.stdout_fd = -1;
    *state = f;
    signal(SIGPIPE, SIG_IGN);
    if (offline_setup(f)) {
        if (!f->sample.truth || !f->vmmap_linux) {
            fprintf(stderr, "test_wine_sample: %s\n", pu_last_error());
            return setup_failed(state);
        }
        return 0;
    }

    f->wine64 = find_program("WINE64", "wine64", "/usr/lib/wine/wine64");
    f->wineserver = find_program("WINESERVER", "wineserver", "/usr/lib/wine/wineserver");
    if (!f->wine64 || !f->wineserver) {
        fprintf(stderr, "test_wine_sample: wine64 / wineserver not found (apt-get install wine64 wine)\n");
        return setup_failed(state);
    }
    char *winbuild = env_or("VMMAP_WIN_BUILD", "build-win");
    f->win_build_abs = realpath(winbuild, NULL);
    size_t n = strlen(winbuild) + 32;
    f->vmmap_exe = malloc(n);
    f->sample_exe = malloc(n);
    if (f->vmmap_exe && f->sample_exe) {
        snprintf(f->vmmap_exe, n, "%s/vmmap.exe", winbuild);
        snprintf(f->sample_exe, n, "%s/samples/sample.exe", winbuild);
    }
    f->vmmap_linux = pu_build_path("vmmap");
    if (!f->vmmap_exe || !f->sample_exe || !f->vmmap_linux) {
        free(winbuild);
        return setup_failed(state);
    }
    if (access(f->sample_exe, R_OK) != 0) {
        fprintf(stderr, "test_wine_sample: %s missing (make test-wine builds it)\n", f->sample_exe);
        free(winbuild);
        return setup_failed(state);
    }

    /* A private prefix: absolute, as Wine requires. */
    const char *pfx = getenv("WINEPREFIX");
    if (pfx && *pfx) {
        snprintf(f->prefix, sizeof f->prefix, "%s", pfx);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            free(winbuild);
            return setup_failed(state);
        }
        snprintf(f->prefix, sizeof f->prefix, "%s/%s/wineprefix-test", cwd, winbuild);
    }
    free(winbuild);
    if (f->prefix[0] != '/') {
        fprintf(stderr, "test_wine_sample: WINEPREFIX must be absolute: %s\n", f->prefix);
        return setup_failed(state);
    }
    setenv("WINEPREFIX", f->prefix, 1);
    setenv("WINEDEBUG", "-all", 1);
    char sysreg[2 * PATH_MAX + 16];
    snprintf(sysreg, sizeof sysreg, "%s/system.reg", f->prefix);
    if (!pu_file_exists(sysreg)) {
        fprintf(stderr, "test_wine_sample: creating the Wine prefix %s (wineboot -i)\n", f->prefix);
        char *argv[] = {f->wine64, "wineboot", "-i", NULL};
        pu_run_result r = {0};
        int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = WINEBOOT_MS}, &r);
        bool ok = rc == 0 && r.exit_code == 0 && pu_file_exists(sysreg);
        if (!ok)
            fprintf(stderr, "test_wine_sample: wineboot failed (exit %d): %s\n", r.exit_code,
                    r.err ? r.err : pu_last_error());
        pu_run_result_free(&r);
        if (!ok)
            return setup_failed(state);
    }

    if (pu_tempdir(f->dir, sizeof f->dir) != 0) {
        fprintf(stderr, "test_wine_sample: %s\n", pu_last_error());
        f->dir[0] = '\0';
        return setup_failed(state);
    }
    /* Wine maps / to Z:. */
    snprintf(f->windir, sizeof f->windir, "Z:%s", f->dir);
    for (char *p = f->windir; *p; p++)
        if (*p == '/')
            *p = '\\';

    char *argv[] = {f->wine64, f->sample_exe, "--tempdir", f->windir, NULL};
    if (pu_sample_start(&f->sample, argv, SAMPLE_START_MS) != 0) {
        fprintf(stderr, "test_wine_sample: cannot start the sample under Wine: %s\n", pu_last_error());
        return setup_failed(state);
    }
    const char *wine = pu_json_str(f->sample.truth, "wine");
    fprintf(stderr, "test_wine_sample: sample running: unix pid %d, Windows pid %" PRId64 ", %s%s\n",
            (int)f->sample.pid, int_or(f->sample.truth, "pid", -1), wine ? "Wine " : "not Wine",
            wine ? wine : "");
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    int rc = 0;
    if (f->offline) {
        cJSON_Delete(f->sample.truth);
        cJSON_Delete(f->snap);
        free(f->vmmap_linux);
        free(f);
        *state = NULL;
        return 0;
    }
    if (f->sample.pid > 0 && pu_child_stop(&f->sample, STOP_MS) != 0) {
        fprintf(stderr, "test_wine_sample: sample did not exit cleanly: %s\n", pu_last_error());
        rc = -1;
    }
    /* The sample deletes its temp files on a clean exit: an empty dir proves it (beside the
     * snapshots, which are ours). */
    if (f->snap_path[0])
        unlink(f->snap_path);
    if (f->dump_path[0])
        unlink(f->dump_path);
    for (int i = 0; i < 2; i++)
        if (f->dump_json[i][0])
            unlink(f->dump_json[i]);
    if (f->dir[0]) {
        int left = pu_dir_count(f->dir);
        if (rc == 0 && left != 0) {
            fprintf(stderr, "test_wine_sample: the sample left %d file(s) in %s\n", left, f->dir);
            rc = -1;
        }
        if (pu_tempdir_remove(f->dir) != 0) {
            fprintf(stderr, "test_wine_sample: %s\n", pu_last_error());
            rc = -1;
        }
    }
    /* Our prefix's wineserver (and with it services.exe etc. of that prefix): never by name. */
    if (f->wineserver && f->prefix[0]) {
        char *argv[] = {f->wineserver, "-k", NULL};
        pu_run_result r = {0};
        if (pu_run(argv, &(pu_run_opts){.timeout_ms = 30000}, &r) != 0)
            fprintf(stderr, "test_wine_sample: wineserver -k: %s\n", pu_last_error());
        pu_run_result_free(&r);
    }
    cJSON_Delete(f->snap);
    cJSON_Delete(f->dump_truth);
    cJSON_Delete(f->dump_snap[0]);
    cJSON_Delete(f->dump_snap[1]);
    free(f->win_build_abs);
    free(f->wine64);
    free(f->wineserver);
    free(f->vmmap_exe);
    free(f->sample_exe);
    free(f->vmmap_linux);
    free(f);
    *state = NULL;
    return rc;
}

static int per_test_setup(void **state)
{
    g_errors = 0;
    g_notes = 0;
    return 0;
}

static int per_test_teardown(void **state)
{
    fixture *f = *state;
    pu_run_result_free(&f->run);
    return 0;
}

static const cJSON *need_snapshot(fixture *f)
{
    if (!f->snap)
        fail_msg("no snapshot of the sample (test_take_snapshot failed: see above)");
    return f->snap;
}

/* ---------------------------------------------------------------------------------------------- */
/* The sample's own ground truth (no vmmap.exe needed)                                             */

static void test_ground_truth(void **state)
{
    fixture *f = *state;
    const cJSON *t = f->sample.truth;
    expect(str_is(t, "sample", "windows"), "not the Windows sample's ground truth");
    expect(int_or(t, "pid", 0) > 0, "no Windows pid");
    expect(int_or(t, "page_size", 0) == 4096, "page_size %" PRId64, int_or(t, "page_size", 0));
    expect(int_or(t, "alloc_granularity", 0) == 65536, "alloc_granularity %" PRId64, int_or(t, "alloc_granularity", 0));
    uint64_t process_heap = hex_of(t, "process_heap"), crt_heap = hex_of(t, "crt_heap");

    /* GetProcessHeaps lists the process heap, the CRT heap and the private heap, each walked. */
    bool seen_process = false, seen_crt = false, seen_private = false;
    const cJSON *h;
    cJSON_ArrayForEach(h, member(t, "heaps"))
    {
        uint64_t handle = hex_of(h, "handle");
        seen_process |= handle == process_heap;
        seen_crt |= handle == crt_heap;
        seen_private |= handle == hex_of(member(t, "private_heap"), "handle");
        expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "walk_ok")), "HeapWalk of heap 0x%" PRIx64
               " failed (error %" PRId64 ")", handle, int_or(h, "walk_error", -1));
        expect(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(h, "regions")) >= 1,
               "heap 0x%" PRIx64 ": HeapWalk listed no region", handle);
    }
    expect(seen_process && seen_crt && seen_private,
           "GetProcessHeaps lacks the process heap (%d), the CRT heap (%d) or the private heap (%d)", seen_process,
           seen_crt, seen_private);
    expect(int_or(member(t, "private_heap"), "regions", 0) >= 2,
           "the private heap has %" PRId64 " HeapWalk region(s): the sample should force a second segment",
           int_or(member(t, "private_heap"), "regions", 0));

    /* Every allocation is inside a heap region or large block, of the heap its API uses. */
    const cJSON *a;
    int nalloc = 0;
    cJSON_ArrayForEach(a, member(t, "allocations"))
    {
        nalloc++;
        const char *what = str_or(a, "what");
        const cJSON *heap = cJSON_GetObjectItemCaseSensitive(a, "heap");
        expect(cJSON_IsString(heap), "%s 0x%" PRIx64 ": HeapWalk found no heap holding it", what,
               hex_of(a, "address"));
        if (!cJSON_IsString(heap))
            continue;
        uint64_t owner = hex_of(a, "heap");
        expect(owner == hex_of(a, "api_heap"), "%s: in heap 0x%" PRIx64 ", expected 0x%" PRIx64, what, owner,
               hex_of(a, "api_heap"));
        if (u64_of(a, "size") >= 1 * MiB)
            expect(str_is(a, "in", "large"), "%s (%" PRIu64 " bytes) is not a large block of its own", what,
                   u64_of(a, "size"));
    }
    expect(nalloc >= 15, "only %d allocations in the ground truth", nalloc);

    /* Threads: the local lies in [StackLimit, StackBase); guard page below StackLimit. */
    const cJSON *th;
    int nthreads = 0;
    cJSON_ArrayForEach(th, member(t, "threads"))
    {
        nthreads++;
        int64_t tid = int_or(th, "tid", -1);
        uint64_t local = hex_of(th, "stack_local"), base = hex_of(th, "stack_base"), limit = hex_of(th, "stack_limit");
        uint64_t dealloc = hex_of(th, "deallocation_stack"), guard = hex_of(th, "guard_address");
        uint64_t reserve = u64_of(th, "requested_reserve");
        expect(local >= limit && local < base, "thread %" PRId64 ": local 0x%" PRIx64 " outside [0x%" PRIx64
               ", 0x%" PRIx64 ")", tid, local, limit, base);
        expect(dealloc < limit, "thread %" PRId64 ": DeallocationStack 0x%" PRIx64 " not below StackLimit", tid,
               dealloc);
        expect(guard >= dealloc && guard < limit, "thread %" PRId64 ": guard 0x%" PRIx64 " not in [0x%" PRIx64
               ", 0x%" PRIx64 ")", tid, guard, dealloc, limit);
        expect(base - dealloc >= reserve, "thread %" PRId64 ": stack reservation %" PRIu64 " < requested %" PRIu64,
               tid, base - dealloc, reserve);
        expect(hex_of(th, "teb") != 0, "thread %" PRId64 ": no TEB", tid);
        expect(hex_of(th, "allocation_base") == dealloc && hex_of(th, "allocation_end") == base,
               "thread %" PRId64 ": stack allocation [0x%" PRIx64 ", 0x%" PRIx64 ") is not [DeallocationStack, "
               "StackBase)", tid, hex_of(th, "allocation_base"), hex_of(th, "allocation_end"));
    }
    expect(nthreads == 4, "%d threads in the ground truth, want 4", nthreads);

    expect(str_is(member(t, "pagefile_section"), "memtype", "mapped"), "pagefile section is not MEM_MAPPED");
    expect(str_is(member(t, "file_mapping"), "memtype", "mapped"), "file mapping is not MEM_MAPPED");
    expect(str_is(member(t, "datafile_dll"), "memtype", "mapped"), "data-file DLL is %s, not MEM_MAPPED",
           str_or(member(t, "datafile_dll"), "memtype"));
    expect(cJSON_GetArraySize(member(t, "images")) == 3, "want 3 images");
    expect_none("ground truth");
}

/* ---------------------------------------------------------------------------------------------- */
/* The snapshot                                                                                    */

static void test_take_snapshot(void **state)
{
    fixture *f = *state;
    if (f->offline) {
        f->snap = pu_json_load(f->snap_path);
        if (!f->snap)
            fail_msg("snapshot %s: %s", f->snap_path, pu_last_error());
        note("offline: the snapshot was not taken by this run");
        return;
    }
    if (access(f->vmmap_exe, R_OK) != 0)
        fail_msg("%s does not exist: `make windows` (run by `make test-wine`) builds it", f->vmmap_exe);
    char pid[32], winout[160];
    snprintf(pid, sizeof pid, "%" PRId64, int_or(f->sample.truth, "pid", -1));
    snprintf(f->snap_path, sizeof f->snap_path, "%s/snap.json", f->dir);
    snprintf(winout, sizeof winout, "%s\\snap.json", f->windir);
    char *argv[] = {f->wine64, f->vmmap_exe, "snapshot", pid, "--heap-blocks", "-o", winout, NULL};
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, &f->run);
    if (rc != 0 || f->run.exit_code != 0)
        fail_msg("wine64 vmmap.exe snapshot %s -o %s: exit %d%s (%s)\nstdout:\n%s\nstderr:\n%s", pid, winout,
                 f->run.exit_code, f->run.timed_out ? " (timed out)" : "", rc ? pu_last_error() : "ran",
                 f->run.out ? f->run.out : "", f->run.err ? f->run.err : "");
    if (f->run.err && *f->run.err)
        fprintf(stderr, "vmmap.exe said on stderr:\n%s\n", f->run.err);
    f->snap = pu_json_load(f->snap_path);
    if (!f->snap)
        fail_msg("snapshot %s: %s", f->snap_path, pu_last_error());
    char why[512];
    expect(loads_again(f->snap_path, why, sizeof why), "vmmap.exe snapshot: it does not load again: %s", why);

    const cJSON *s = f->snap;
    const cJSON *proc = cJSON_GetObjectItemCaseSensitive(s, "process");
    expect(str_is(s, "format", "vmmap-snapshot"), "format is %s", str_or(s, "format"));
    expect(int_or(proc, "pid", -1) == int_or(f->sample.truth, "pid", -2), "process.pid %" PRId64 ", want %" PRId64,
           int_or(proc, "pid", -1), int_or(f->sample.truth, "pid", -2));
    expect(int_or(proc, "bits", 0) == 64, "process.bits %" PRId64, int_or(proc, "bits", 0));
    expect(same_base_name(pu_json_str(proc, "exe"), "sample.exe") || str_has(pu_json_str(proc, "name"), "sample"),
           "process exe %s / name %s is not the sample", str_or(proc, "exe"), str_or(proc, "name"));
    expect(str_is(s, "source", "live-windows"), "source %s, want live-windows", str_or(s, "source"));
    expect(int_or(s, "page_size", 0) == int_or(f->sample.truth, "page_size", -1), "page_size %" PRId64,
           int_or(s, "page_size", 0));
    expect(int_or(s, "alloc_granularity", 0) == int_or(f->sample.truth, "alloc_granularity", -1),
           "alloc_granularity %" PRId64, int_or(s, "alloc_granularity", 0));
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(s, "warnings"))
        note("snapshot warning %s: %s", str_or(w, "code"), str_or(w, "message"));
    expect_none("snapshot header");
}

/* The block holding addr has type `type`; returns it (NULL when none). */
static const cJSON *expect_at(const cJSON *snap, const char *what, uint64_t addr, const char *type)
{
    char d[320];
    const cJSON *b = pu_snapshot_find_block(snap, addr, NULL);
    expect(b != NULL, "%s 0x%" PRIx64 ": no block contains it", what, addr);
    if (b && type)
        expect(str_is(b, "type", type), "%s 0x%" PRIx64 ": want type %s, got %s", what, addr, type,
               describe(b, d, sizeof d));
    return b;
}

static void test_heaps(void **state)
{
    fixture *f = *state;
    const cJSON *snap = need_snapshot(f), *t = f->sample.truth;
    bool wine = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "wine"));
    char d[320];

    const cJSON *th;
    cJSON_ArrayForEach(th, member(t, "heaps"))
    {
        uint64_t handle = hex_of(th, "handle");
        const cJSON *sh = snap_heap_at(snap, handle);
        expect(sh != NULL, "heap 0x%" PRIx64 " (from GetProcessHeaps) is not in the snapshot's heaps[]", handle);
        if (!sh)
            continue;
        const char *kind = pu_json_str(sh, "kind");
        if (wine)
            expect(kind && strcmp(kind, "Wine") == 0, "heap 0x%" PRIx64 ": kind %s, want Wine (running under Wine)",
                   handle, kind ? kind : "null");
        else
            expect(kind && (strcmp(kind, "NT") == 0 || strcmp(kind, "segment") == 0),
                   "heap 0x%" PRIx64 ": kind %s, want NT or segment", handle, kind ? kind : "null");
        /* GetProcessHeap() and HeapCreate(0, 0, 0) are growable (HEAP_GROWABLE, at the offset
         * Windows and Wine share). */
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(th, "process_heap")) ||
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(th, "private_heap")))
            expect(str_has(pu_json_str(sh, "flags"), "growable"), "heap 0x%" PRIx64 ": flags %s, want growable", handle,
                   str_or(sh, "flags"));
        if (wine && pu_json_str(sh, "front_end"))
            expect(!str_has(pu_json_str(sh, "front_end"), "LFH"), "heap 0x%" PRIx64 ": front end %s under Wine (Wine "
                   "has no LFH)", handle, str_or(sh, "front_end"));

        /* Each HeapWalk region (a segment / subheap) and large block: its whole allocation is
         * Heap linked to this heap, committed where VirtualQuery said so, and one of the heap's
         * parts is exactly that allocation. */
        static const char *const lists[] = {"regions", "large_blocks"};
        for (int li = 0; li < 2; li++) {
            const cJSON *r;
            int i = 0;
            cJSON_ArrayForEach(r, member(th, lists[li]))
            {
                char what[96];
                snprintf(what, sizeof what, "heap 0x%" PRIx64 " %s %d", handle, li ? "large block" : "region", i++);
                uint64_t ra = hex_of(r, "address");
                uint64_t ab = hex_of(r, "allocation_base"), ae = hex_of(r, "allocation_end");
                uint64_t vqc = u64_of(r, "vq_committed");
                expect_range(snap, what, ab, ae, "Heap", NULL, handle);
                if (li == 0)
                    expect_range(snap, what, ra, ra + u64_of(r, "committed"), "Heap", "commit", handle);
                else
                    expect_range(snap, what, ra, ra + u64_of(r, "size"), "Heap", "commit", handle);
                uint64_t committed = 0;
                for (uint64_t p = ab; p < ae;) {
                    const cJSON *b = pu_snapshot_find_block(snap, p, NULL);
                    if (!b || block_size(b) == 0)
                        break;
                    if (str_is(b, "state", "commit"))
                        committed += block_size(b);
                    p = block_addr(b) + block_size(b);
                }
                expect(committed == vqc, "%s [0x%" PRIx64 ", 0x%" PRIx64 "): %" PRIu64 " committed bytes in the "
                       "snapshot, VirtualQuery said %" PRIu64, what, ab, ae, committed, vqc);
                const cJSON *part = heap_part_containing(sh, ra);
                expect(part != NULL, "%s 0x%" PRIx64 ": no part of the snapshot's heap contains it", what, ra);
                if (!part)
                    continue;
                uint64_t pa = 0, ps = 0, pc = 0;
                pu_json_hex(part, "address", &pa);
                pu_json_u64(part, "size", &ps);
                pu_json_u64(part, "committed", &pc);
                expect(pa == ab && ps == ae - ab, "%s: heap part [0x%" PRIx64 ", +%" PRIu64 "), its allocation is "
                       "[0x%" PRIx64 ", 0x%" PRIx64 ")", what, pa, ps, ab, ae);
                expect(pc == vqc, "%s: heap part committed %" PRIu64 ", VirtualQuery said %" PRIu64, what, pc, vqc);
                if (li == 1 && !str_has(pu_json_str(part, "what"), "large"))
                    note("%s: its heap part is described as \"%s\" (no \"large\")", what, str_or(part, "what"));
            }
        }
    }

    /* Tracked allocations: in the heap HeapWalk found them in. */
    const cJSON *a;
    cJSON_ArrayForEach(a, member(t, "allocations"))
    {
        const char *what = str_or(a, "what");
        uint64_t addr = hex_of(a, "address");
        const cJSON *b = expect_at(snap, what, addr, "Heap");
        if (!b || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "heap")))
            continue;
        uint64_t want = hex_of(a, "heap");
        const cJSON *h = pu_snapshot_block_heap(snap, b);
        uint64_t got = 0;
        if (h)
            pu_json_hex(h, "address", &got);
        expect(h && got == want, "%s 0x%" PRIx64 ": want heap 0x%" PRIx64 ", got %s (%s)", what, addr, want,
               h ? str_or(h, "address") : "no heap link", describe(b, d, sizeof d));
        expect(str_is(b, "state", "commit"), "%s: not committed: %s", what, describe(b, d, sizeof d));
    }

    const cJSON *priv = member(t, "private_heap");
    const cJSON *ph = snap_heap_at(snap, hex_of(priv, "handle"));
    if (ph)
        expect(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ph, "parts")) >= int_or(priv, "regions", 2),
               "private heap: %d part(s) in the snapshot, HeapWalk listed %" PRId64 " regions",
               cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ph, "parts")), int_or(priv, "regions", 2));
    if (wine) {
        note("Wine: PEB.ProcessHeaps is NULL; heaps come from Wine's heap list (checked: every GetProcessHeaps "
             "heap is there, kind Wine)");
        note("Wine: no LFH, no Windows segment lists / VirtualAllocdBlocks / header encoding: covered by the "
             "unit tests over synthetic memory (test_ntheap, test_segheap)");
    }
    expect_none("heaps");
}

/* ---------------------------------------------------------------------------------------------- */
/* Every block of every heap against HeapWalk (docs/testing-windows.md, "Heap blocks")            */

/* Wine 8.0 x64: a free block's header and free-list links lie before HeapWalk's lpData (8 + 16
 * bytes; HeapWalk's cbOverhead says 32); a free block crossing its subheap's committed end is
 * given a cbData 4 * BLOCK_ALIGN short of that end. */
#define WINE_FREE_HEADER 24
#define WINE_CLIPPED_GAP 64

typedef struct heap_expect {
    uint64_t busy_blocks, busy_bytes, free_blocks, free_bytes, largest_free, committed;
} heap_expect;

/* vmmap's statistics of one heap, from the sample's HeapWalk of it. */
static heap_expect expected_stats(const cJSON *th)
{
    heap_expect e = {0};
    const cJSON *w = member(th, "walk"), *regions = member(th, "regions"), *r;
    e.busy_blocks = u64_of(th, "busy");
    e.free_blocks = u64_of(th, "free");
    /* Busy inside a region: header and unused tail (cbOverhead) + the program's bytes (cbData). */
    e.busy_bytes = u64_of(w, "busy_data") + u64_of(w, "busy_overhead");
    /* A large block spans its whole reservation, ARENA_LARGE header included. */
    cJSON_ArrayForEach(r, member(th, "large_blocks"))
    {
        uint64_t span = hex_of(r, "allocation_end") - hex_of(r, "allocation_base");
        e.busy_bytes += span;
        e.committed += span;
    }
    cJSON_ArrayForEach(r, regions)
        e.committed += u64_of(r, "committed");
    const cJSON *fe;
    cJSON_ArrayForEach(fe, member(w, "frees"))
    {
        const cJSON *reg = cJSON_GetArrayItem(regions, (int)int_or(fe, "region", -1));
        uint64_t data = hex_of(fe, "address"), n = u64_of(fe, "size"), size = n + WINE_FREE_HEADER;
        expect(reg != NULL, "heap 0x%" PRIx64 ": a free entry listed under no region", hex_of(th, "handle"));
        if (reg) {
            uint64_t commit_end = hex_of(reg, "address") + u64_of(reg, "committed");
            /* Only the last block of a subheap with an uncommitted tail crosses its committed end:
             * vmmap counts its committed part. */
            if (u64_of(reg, "uncommitted") > 0 && data + n + WINE_CLIPPED_GAP == commit_end)
                size = commit_end - (data - WINE_FREE_HEADER);
        }
        e.free_bytes += size;
        if (size > e.largest_free)
            e.largest_free = size;
    }
    expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "frees_all")), "heap 0x%" PRIx64 ": the sample listed "
           "only some of its free entries", hex_of(th, "handle"));
    return e;
}

static uint64_t stat_of(const cJSON *stats, const char *key)
{
    uint64_t v = 0;
    expect(pu_json_u64(stats, key, &v) == 0, "stats.%s missing", key);
    return v;
}

/* The statistics of every GetProcessHeaps heap equal what HeapWalk saw, exactly. */
static void check_heap_stats(const cJSON *snap, const cJSON *t, const char *who)
{
    const cJSON *th;
    cJSON_ArrayForEach(th, member(t, "heaps"))
    {
        uint64_t handle = hex_of(th, "handle");
        const cJSON *sh = snap_heap_at(snap, handle);
        expect(sh != NULL, "%s: heap 0x%" PRIx64 " not in heaps[]", who, handle);
        const cJSON *st = sh ? cJSON_GetObjectItemCaseSensitive(sh, "stats") : NULL;
        expect(cJSON_IsObject(st), "%s: heap 0x%" PRIx64 ": no stats (walk note: %s)", who, handle,
               sh ? str_or(sh, "walk_note") : "");
        if (!cJSON_IsObject(st))
            continue;
        const cJSON *wn = cJSON_GetObjectItemCaseSensitive(sh, "walk_note");
        expect(!cJSON_IsString(wn) || !*wn->valuestring, "%s: heap 0x%" PRIx64 ": walk incomplete: %s", who, handle,
               str_or(sh, "walk_note"));
        heap_expect e = expected_stats(th);
        uint64_t busy = stat_of(st, "busy_blocks"), busy_bytes = stat_of(st, "busy_bytes");
        uint64_t cached = stat_of(st, "cached_blocks"), cached_bytes = stat_of(st, "cached_bytes");
        uint64_t nfree = stat_of(st, "free_blocks"), free_bytes = stat_of(st, "free_bytes");
        uint64_t largest = stat_of(st, "largest_free"), overhead = stat_of(st, "overhead_bytes");
        /* HeapWalk counts Wine's delayed frees (cached for vmmap) as busy. */
        expect(busy + cached == e.busy_blocks, "%s: heap 0x%" PRIx64 ": %" PRIu64 " busy + %" PRIu64 " cached blocks, "
               "HeapWalk: %" PRIu64 " busy", who, handle, busy, cached, e.busy_blocks);
        expect(busy_bytes + cached_bytes == e.busy_bytes, "%s: heap 0x%" PRIx64 ": %" PRIu64 " + %" PRIu64 " busy and "
               "cached bytes, HeapWalk: %" PRIu64, who, handle, busy_bytes, cached_bytes, e.busy_bytes);
        expect(nfree == e.free_blocks, "%s: heap 0x%" PRIx64 ": %" PRIu64 " free blocks, HeapWalk: %" PRIu64, who,
               handle, nfree, e.free_blocks);
        expect(free_bytes == e.free_bytes, "%s: heap 0x%" PRIx64 ": %" PRIu64 " free bytes, HeapWalk: %" PRIu64, who,
               handle, free_bytes, e.free_bytes);
        expect(largest == e.largest_free, "%s: heap 0x%" PRIx64 ": largest free %" PRIu64 ", HeapWalk: %" PRIu64, who,
               handle, largest, e.largest_free);
        /* Nothing lost, nothing counted twice: every committed byte is a block or overhead. */
        expect(busy_bytes + cached_bytes + free_bytes + overhead == e.committed, "%s: heap 0x%" PRIx64 ": busy %"
               PRIu64 " + cached %" PRIu64 " + free %" PRIu64 " + overhead %" PRIu64 " bytes != %" PRIu64 " committed",
               who, handle, busy_bytes, cached_bytes, free_bytes, overhead, e.committed);
        uint64_t hundredths = free_bytes ? ((free_bytes - largest) * 10000 + free_bytes / 2) / free_bytes : 0;
        const cJSON *frag = cJSON_GetObjectItemCaseSensitive(st, "fragmentation");
        expect(cJSON_IsNumber(frag) && (uint64_t)(frag->valuedouble * 100 + 0.5) == hundredths, "%s: heap 0x%" PRIx64
               ": fragmentation %g%%, want %" PRIu64 ".%02" PRIu64 "%%", who, handle, cJSON_IsNumber(frag) ?
               frag->valuedouble : -1.0, hundredths / 100, hundredths % 100);
        if (cached)
            note("%s: heap 0x%" PRIx64 ": %" PRIu64 " delayed frees (cached)", who, handle, cached);
        note("%s: heap 0x%" PRIx64 ": HeapWalk %" PRIu64 " busy (%" PRIu64 " bytes mapped), %" PRIu64 " free (%"
             PRIu64 "); vmmap busy %" PRIu64 "/%" PRIu64 ", cached %" PRIu64 "/%" PRIu64 ", free %" PRIu64 "/%" PRIu64
             ", largest %" PRIu64 ", overhead %" PRIu64 ", committed %" PRIu64, who, handle, e.busy_blocks, e.busy_bytes,
             e.free_blocks, e.free_bytes, busy, busy_bytes, cached, cached_bytes, nfree, free_bytes, largest, overhead,
             e.committed);
    }
}

/* The owner modules of heap h (the snapshot's), by file name: whether name is one of them, and
 * where it keeps the handle. */
static bool owned_by(const cJSON *snap, const cJSON *sh, const char *name, uint64_t *where)
{
    const cJSON *o, *mods = cJSON_GetObjectItemCaseSensitive(snap, "modules");
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(sh, "owner"))
    {
        const cJSON *m = cJSON_GetArrayItem(mods, (int)int_or(o, "module", -1));
        if (m && same_base_name(pu_json_str(m, "path"), name)) {
            if (where)
                pu_json_hex(o, "address", where);
            return true;
        }
    }
    return false;
}

static void check_heap_owners(const cJSON *snap, const cJSON *t, const char *who, bool wine)
{
    const cJSON *dll = member(t, "dll");
    uint64_t dll_heap = hex_of(dll, "heap"), where = 0;
    const cJSON *sh = snap_heap_at(snap, dll_heap);
    expect(sh && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(sh, "owner")), "%s: the DLL's heap 0x%" PRIx64
           " has no owner list", who, dll_heap);
    if (sh) {
        expect(owned_by(snap, sh, "sample_heapdll.dll", &where), "%s: the DLL's heap 0x%" PRIx64 " is not owned by "
               "sample_heapdll.dll", who, dll_heap);
        expect(where == hex_of(dll, "handle_address"), "%s: sample_heapdll.dll keeps the handle at 0x%" PRIx64
               ", vmmap found it at 0x%" PRIx64, who, hex_of(dll, "handle_address"), where);
    }
    sh = snap_heap_at(snap, hex_of(t, "crt_heap"));
    if (sh && wine)  /* Wine's msvcrt makes a heap of its own and keeps its handle in its data */
        expect(owned_by(snap, sh, "msvcrt.dll", NULL), "%s: the CRT heap 0x%" PRIx64 " is not owned by msvcrt.dll",
               who, hex_of(t, "crt_heap"));
    sh = snap_heap_at(snap, hex_of(t, "process_heap"));
    if (sh) {
        expect(str_is(sh, "class", "process heap"), "%s: the process heap's class is %s", who, str_or(sh, "class"));
        if (wine)  /* ntdll's process_heap global */
            expect(owned_by(snap, sh, "ntdll.dll", NULL), "%s: the process heap is not referenced by ntdll.dll", who);
    }
    /* The sample keeps the private heap's handle on its stack only: no module owns it. */
    sh = snap_heap_at(snap, hex_of(member(t, "private_heap"), "handle"));
    if (sh)
        expect(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sh, "owner")) == 0, "%s: the private heap has "
               "owners, but no module keeps its handle", who);
}

/* The row of `vmmap heaps SNAPSHOT` (build/vmmap, on the snapshot file) whose Address is handle
 * names owner in its Owner column. */
static void check_owner_column(const char *table, const char *who, uint64_t handle, const char *owner)
{
    char addr[32];
    snprintf(addr, sizeof addr, "  0x%" PRIx64 "  ", handle);
    const char *row = strstr(table, addr);
    const char *eol = row ? strchr(row, '\n') : NULL;
    expect(row && eol && memmem(row, (size_t)(eol - row), owner, strlen(owner)), "%s: vmmap heaps: the row of heap 0x%"
           PRIx64 " does not name \"%s\" as owner:\n%s", who, handle, owner, table);
}

/* The owners as `vmmap heaps` shows them (its Owner column), and the snapshot against the
 * format's schema (every heap's stats, sizes, owner and walk_note as Windows heaps have them). */
static void check_heaps_view(fixture *f, const cJSON *snap, const cJSON *t)
{
    char *text = pu_read_file("docs/snapshot.schema.json", NULL);
    cJSON *schema = text ? cJSON_Parse(text) : NULL;
    free(text);
    char why[8192];
    expect(schema && sc_validate(schema, snap, why, sizeof why), "the snapshot does not follow "
           "docs/snapshot.schema.json:\n%s", schema ? why : "(no schema)");
    cJSON_Delete(schema);
    char *argv[] = {f->vmmap_linux, "heaps", f->snap_path, "-q", NULL};
    pu_run_result r = {0};
    if (pu_run(argv, NULL, &r) != 0 || r.exit_code != 0)
        fail_msg("vmmap heaps %s: exit %d: %s", f->snap_path, r.exit_code, r.err ? r.err : pu_last_error());
    check_owner_column(r.out, "live", hex_of(t, "process_heap"), "process default heap");
    check_owner_column(r.out, "live", hex_of(member(t, "dll"), "heap"), "sample_heapdll.dll");
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "wine")))
        check_owner_column(r.out, "live", hex_of(t, "crt_heap"), "msvcrt.dll");
    pu_run_result_free(&r);
}

static void test_heap_blocks(void **state)
{
    fixture *f = *state;
    const cJSON *snap = need_snapshot(f), *t = f->sample.truth;
    bool wine = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "wine"));
    if (!wine)
        fail_msg("HeapWalk's entries map onto vmmap's blocks as docs/testing-windows.md says for Wine 8.0; on "
                 "Windows the mapping is not written yet");
    check_heap_stats(snap, t, "live");
    check_heap_owners(snap, t, "live", wine);
    check_heaps_view(f, snap, t);
    note("heap blocks: every GetProcessHeaps heap's busy/free/cached blocks and bytes, largest free, fragmentation "
         "and overhead equal HeapWalk's (mapped as docs/testing-windows.md says); owners: the DLL at its handle's "
         "address, msvcrt.dll, ntdll.dll (the process heap, class \"process heap\")");
    expect_none("heap blocks");
}

static void test_threads(void **state)
{
    fixture *f = *state;
    const cJSON *snap = need_snapshot(f), *t = f->sample.truth;
    char d[320];
    const cJSON *th;
    cJSON_ArrayForEach(th, member(t, "threads"))
    {
        int64_t tid = int_or(th, "tid", -1);
        char what[96];
        snprintf(what, sizeof what, "thread %" PRId64 "%s", tid,
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(th, "main")) ? " (main)" : "");
        uint64_t local = hex_of(th, "stack_local"), base = hex_of(th, "stack_base");
        uint64_t limit = hex_of(th, "stack_limit"), dealloc = hex_of(th, "deallocation_stack");
        uint64_t guard = hex_of(th, "guard_address"), teb = hex_of(th, "teb");

        const cJSON *b = expect_at(snap, what, local, "Stack");
        if (b)
            expect(int_or(b, "thread", 0) == tid, "%s: stack local in a block of thread %" PRId64 ": %s", what,
                   int_or(b, "thread", 0), describe(b, d, sizeof d));
        /* The whole allocation [DeallocationStack, StackBase) is this thread's Stack. */
        const cJSON *region = pu_snapshot_find_region(snap, local);
        if (region) {
            expect(str_is(region, "type", "Stack"), "%s: region type %s", what, str_or(region, "type"));
            uint64_t ra = block_addr(region), rs = block_size(region);
            expect(ra == dealloc && ra + rs == base, "%s: stack region [0x%" PRIx64 ", 0x%" PRIx64
                   "), want [DeallocationStack 0x%" PRIx64 ", StackBase 0x%" PRIx64 ")", what, ra, ra + rs, dealloc,
                   base);
        }
        expect_range(snap, what, dealloc, base, "Stack", NULL, 0);
        for (uint64_t p = dealloc; p < base;) {
            const cJSON *sb = pu_snapshot_find_block(snap, p, NULL);
            if (!sb || block_size(sb) == 0)
                break;
            expect(int_or(sb, "thread", 0) == tid, "%s: %s is not linked to the thread", what,
                   describe(sb, d, sizeof d));
            p = block_addr(sb) + block_size(sb);
        }
        /* Guard page: the PAGE_GUARD run the sample saw. */
        const cJSON *g = expect_at(snap, "guard page", guard, "Stack");
        if (g) {
            expect(str_has(pu_json_str(g, "protection"), "Guard") || str_has(pu_json_str(g, "details"), "guard"),
                   "%s: the guard page 0x%" PRIx64 " is not marked: %s", what, guard, describe(g, d, sizeof d));
            expect(block_addr(g) == guard && block_size(g) == u64_of(th, "guard_size"),
                   "%s: guard block %s, want [0x%" PRIx64 ", +%" PRIu64 ")", what, describe(g, d, sizeof d), guard,
                   u64_of(th, "guard_size"));
        }
        /* TEB: its block says so. */
        const cJSON *tb = expect_at(snap, "TEB", teb, NULL);
        if (tb)
            expect(str_has(pu_json_str(tb, "details"), "TEB"), "%s: TEB 0x%" PRIx64 " not labelled: %s", what, teb,
                   describe(tb, d, sizeof d));
        /* threads[]: the TEB's numbers. */
        const cJSON *st = snap_thread(snap, tid);
        expect(st != NULL, "%s: not in the snapshot's threads[]", what);
        if (st) {
            uint64_t v = 0;
            expect(pu_json_hex(st, "stack_base", &v) == 0 && v == base, "%s: stack_base %s, want 0x%" PRIx64, what,
                   str_or(st, "stack_base"), base);
            expect(pu_json_hex(st, "stack_limit", &v) == 0 && v == limit, "%s: stack_limit %s, want 0x%" PRIx64,
                   what, str_or(st, "stack_limit"), limit);
            expect(pu_json_hex(st, "reserve_base", &v) == 0 && v == dealloc, "%s: reserve_base %s, want 0x%" PRIx64,
                   what, str_or(st, "reserve_base"), dealloc);
            expect(pu_json_hex(st, "teb", &v) == 0 && v == teb, "%s: teb %s, want 0x%" PRIx64, what,
                   str_or(st, "teb"), teb);
            expect(pu_json_hex(st, "guard_address", &v) == 0 && v == guard, "%s: guard_address %s, want 0x%" PRIx64,
                   what, str_or(st, "guard_address"), guard);
        }
    }
    const cJSON *peb = expect_at(snap, "PEB", hex_of(t, "peb"), NULL);
    if (peb)
        expect(str_has(pu_json_str(peb, "details"), "PEB"), "PEB not labelled: %s", describe(peb, d, sizeof d));
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "wine")))
        note("Wine commits whole stacks (no reserved part below the guard, unlike Windows): checked as Wine lays "
             "them out");
    expect_none("threads");
}

static void test_virtual_and_mappings(void **state)
{
    fixture *f = *state;
    const cJSON *snap = need_snapshot(f), *t = f->sample.truth;
    char d[320];

    /* 64 MiB reservation, 1 MiB committed: exact split. */
    const cJSON *r = member(t, "reservation");
    uint64_t ra = hex_of(r, "address"), rsize = u64_of(r, "size"), rcommit = u64_of(r, "committed");
    expect_range(snap, "reservation (committed)", ra, ra + rcommit, "Private Data", "commit", 0);
    expect_range(snap, "reservation (reserved)", ra + rcommit, ra + rsize, "Private Data", "reserve", 0);
    const cJSON *b = pu_snapshot_find_block(snap, ra, NULL);
    expect(b && block_addr(b) == ra && block_size(b) == rcommit, "reservation: committed block %s, want [0x%" PRIx64
           ", +%" PRIu64 ")", describe(b, d, sizeof d), ra, rcommit);
    b = pu_snapshot_find_block(snap, ra + rcommit, NULL);
    expect(b && block_addr(b) == ra + rcommit && block_size(b) == rsize - rcommit,
           "reservation: reserved block %s, want [0x%" PRIx64 ", +%" PRIu64 ")", describe(b, d, sizeof d),
           ra + rcommit, rsize - rcommit);
    const cJSON *reg = pu_snapshot_find_region(snap, ra);
    expect(reg && block_addr(reg) == ra && block_size(reg) == rsize, "reservation: region %s +%" PRIu64
           ", want 0x%" PRIx64 " +%" PRIu64, reg ? str_or(reg, "address") : "(none)", reg ? block_size(reg) : 0, ra,
           rsize);

    /* 12 KiB VirtualAlloc: then Unusable up to the 64 KiB boundary. */
    const cJSON *sv = member(t, "small_virtual");
    uint64_t sa = hex_of(sv, "address"), ss = u64_of(sv, "size"), gend = hex_of(sv, "granule_end");
    b = expect_at(snap, "12 KiB VirtualAlloc", sa, "Private Data");
    if (b)
        expect(block_addr(b) == sa && block_size(b) == ss && str_is(b, "state", "commit"),
               "12 KiB VirtualAlloc: %s, want committed [0x%" PRIx64 ", +%" PRIu64 ")", describe(b, d, sizeof d), sa,
               ss);
    b = expect_at(snap, "unusable tail", sa + ss, "Unusable");
    if (b)
        expect(block_addr(b) == sa + ss && block_addr(b) + block_size(b) == gend,
               "unusable tail: %s, want [0x%" PRIx64 ", 0x%" PRIx64 ")", describe(b, d, sizeof d), sa + ss, gend);

    /* Pagefile-backed section: Shareable; file mapping and data-file DLL: Mapped File with path. */
    const cJSON *ps = member(t, "pagefile_section");
    uint64_t pa = hex_of(ps, "address");
    expect_range(snap, "pagefile section", pa, pa + u64_of(ps, "size"), "Shareable", "commit", 0);
    b = pu_snapshot_find_block(snap, pa, NULL);
    if (b)
        expect(str_is(b, "memtype", "mapped"), "pagefile section: memtype %s", str_or(b, "memtype"));

    static const char *const mapped[] = {"file_mapping", "datafile_dll"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *m = member(t, mapped[i]);
        uint64_t ma = hex_of(m, "address"), ms = u64_of(m, "size");
        expect_range(snap, mapped[i], ma, ma + ms, "Mapped File", NULL, 0);
        b = pu_snapshot_find_block(snap, ma, NULL);
        if (!b)
            continue;
        expect(str_is(b, "memtype", "mapped"), "%s: memtype %s (an image mapped as data is not an image)", mapped[i],
               str_or(b, "memtype"));
        expect(same_base_name(pu_json_str(b, "path"), pu_json_str(m, "path")), "%s: path %s, want ...\\%s",
               mapped[i], str_or(b, "path"), base_name(str_or(m, "path")));
        expect(pu_snapshot_block_module(snap, b) == NULL, "%s: linked to a module as if it were an image: %s",
               mapped[i], describe(b, d, sizeof d));
    }
    expect_none("virtual memory and mappings");
}

static void test_images(void **state)
{
    fixture *f = *state;
    const cJSON *snap = need_snapshot(f), *t = f->sample.truth;
    char d[320];
    const cJSON *exe_module = NULL;
    const cJSON *im;
    cJSON_ArrayForEach(im, member(t, "images"))
    {
        const char *name = str_or(im, "name");
        uint64_t base = hex_of(im, "base"), size = u64_of(im, "size");
        const cJSON *b = expect_at(snap, name, base, "Image");
        if (!b)
            continue;
        expect(str_is(b, "memtype", "image"), "%s: memtype %s", name, str_or(b, "memtype"));
        const cJSON *m = pu_snapshot_block_module(snap, b);
        expect(m != NULL, "%s: %s has no module link", name, describe(b, d, sizeof d));
        if (!m)
            continue;
        if (strcmp(name, "exe") == 0)
            exe_module = m;
        uint64_t mb = 0, ms = 0;
        pu_json_hex(m, "base", &mb);
        pu_json_u64(m, "size", &ms);
        expect(mb == base, "%s: module base 0x%" PRIx64 ", want 0x%" PRIx64, name, mb, base);
        expect(ms == size || ms == align_up(size, 4096), "%s: module size %" PRIu64 ", SizeOfImage %" PRIu64, name,
               ms, size);
        expect(same_base_name(pu_json_str(m, "path"), pu_json_str(im, "path")), "%s: module path %s, want ...\\%s",
               name, str_or(m, "path"), base_name(str_or(im, "path")));
        expect_range(snap, name, base, base + align_up(size, 4096), "Image", NULL, 0);

        /* Sections as the PE headers list them (long names "/N" live in the COFF string table,
         * which is not mapped: only the 8-byte names are compared). */
        const cJSON *s;
        int compared = 0;
        cJSON_ArrayForEach(s, member(im, "sections"))
        {
            const char *sname = str_or(s, "name");
            uint64_t vs = u64_of(s, "virtual_size");
            if (sname[0] == '/' || vs == 0)
                continue;
            compared++;
            uint64_t sa = hex_of(s, "address");
            const cJSON *ms_ = pu_module_section(m, sname);
            expect(ms_ != NULL, "%s: no section %s in the snapshot's module", name, sname);
            if (!ms_)
                continue;
            uint64_t a = 0, z = 0;
            pu_json_hex(ms_, "address", &a);
            pu_json_u64(ms_, "size", &z);
            expect(a == sa && (z == vs || z == align_up(vs, 4096)), "%s %s: [0x%" PRIx64 ", +%" PRIu64 "), PE header "
                   "says [0x%" PRIx64 ", +%" PRIu64 ")", name, sname, a, z, sa, vs);
            uint64_t ch = hex_of(s, "characteristics");
            const char *prot = pu_json_str(ms_, "protection");
            if (ch & 0x20000000u) /* IMAGE_SCN_MEM_EXECUTE */
                expect(str_has(prot, "Execute"), "%s %s: executable section with protection %s", name, sname,
                       prot ? prot : "(none)");
            else
                expect(prot && !str_has(prot, "Execute"), "%s %s: protection %s for a non-executable section", name,
                       sname, prot ? prot : "(none)");
            if (ch & 0x80000000u) /* IMAGE_SCN_MEM_WRITE */
                expect(str_has(prot, "Write"), "%s %s: writable section with protection %s", name, sname,
                       prot ? prot : "(none)");
        }
        expect(compared >= 3, "%s: only %d sections to compare", name, compared);
        const cJSON *text = pu_module_section(m, ".text");
        uint64_t probe = hex_of(im, "text_probe"), ta = 0, tz = 0;
        if (text && pu_json_hex(text, "address", &ta) == 0 && pu_json_u64(text, "size", &tz) == 0)
            expect(probe >= ta && probe - ta < tz, "%s: code at 0x%" PRIx64 " is not in .text", name, probe);
        const cJSON *pb = expect_at(snap, "code probe", probe, "Image");
        if (pb)
            expect(str_has(pu_json_str(pb, "protection"), "Execute"), "%s: code at 0x%" PRIx64 " in %s", name, probe,
                   describe(pb, d, sizeof d));
    }
    static const char *const probes[] = {"exe_data_probe", "exe_bss_probe"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *b = expect_at(snap, probes[i], hex_of(t, probes[i]), "Image");
        if (b && exe_module)
            expect(pu_snapshot_block_module(snap, b) == exe_module, "%s: not linked to the exe module", probes[i]);
        if (b)
            expect(str_has(pu_json_str(b, "protection"), "Write"), "%s: %s", probes[i], describe(b, d, sizeof d));
    }
    expect_none("images");
}

/* Counters: Committed and Private from VirtualQueryEx always; the working-set columns from
 * QueryWorkingSetEx, unknown (null) where Wine or access does not allow it, never invented. */
static void test_counters(void **state)
{
    fixture *f = *state;
    const cJSON *snap = need_snapshot(f);
    char d[320];
    int known_ws = 0, unknown_ws = 0, blocks = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(snap, "regions"))
    {
        const cJSON *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(r, "blocks"))
        {
            blocks++;
            uint64_t size = block_size(b), committed = 0, priv = 0, ws = 0;
            bool has_c = pu_json_u64(b, "committed", &committed) == 0, has_p = pu_json_u64(b, "private", &priv) == 0;
            expect(has_c && has_p, "%s: committed/private unknown", describe(b, d, sizeof d));
            if (has_c)
                expect(committed == (str_is(b, "state", "commit") ? size : 0), "%s: committed %" PRIu64,
                       describe(b, d, sizeof d), committed);
            if (has_p)
                expect(priv == (str_is(b, "state", "commit") && str_is(b, "memtype", "private") ? size : 0),
                       "%s: private %" PRIu64, describe(b, d, sizeof d), priv);
            if (pu_json_u64(b, "total_ws", &ws) == 0) {
                known_ws++;
                expect(ws <= committed, "%s: total_ws %" PRIu64 " > committed", describe(b, d, sizeof d), ws);
            } else {
                unknown_ws++;
            }
            /* Pss and Swap are Linux counters: unknown for memory Windows describes. */
            if (str_is(b, "state", "commit")) {
                const cJSON *pss = cJSON_GetObjectItemCaseSensitive(b, "pss");
                const cJSON *swap = cJSON_GetObjectItemCaseSensitive(b, "swap");
                expect((!pss || cJSON_IsNull(pss)) && (!swap || cJSON_IsNull(swap)),
                       "%s: pss/swap are Linux counters, want null for a Windows block", describe(b, d, sizeof d));
            }
        }
    }
    expect(blocks > 0, "no blocks");
    if (unknown_ws)
        note("working set unknown (null) for %d of %d blocks (QueryWorkingSetEx not available here)", unknown_ws,
             blocks);
    if (known_ws)
        note("working set known for %d of %d blocks", known_ws, blocks);
    expect_none("counters");
}

/* The Linux build reads, shows and summarises the Windows snapshot. */
static void test_linux_reads_windows_snapshot(void **state)
{
    fixture *f = *state;
    need_snapshot(f);
    if (access(f->vmmap_linux, X_OK) != 0)
        fail_msg("%s missing (run make)", f->vmmap_linux);
    char *argv[] = {f->vmmap_linux, "show", f->snap_path, NULL};
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = 60000}, &f->run);
    if (rc != 0 || f->run.exit_code != 0)
        fail_msg("vmmap show %s: exit %d\nstderr:\n%s", f->snap_path, f->run.exit_code, f->run.err ? f->run.err : "");
    static const char *const words[] = {"Image", "Mapped File", "Shareable", "Heap", "Stack", "Private Data",
                                        "Unusable"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        expect(strstr(f->run.out, words[i]) != NULL, "vmmap show: output lacks \"%s\"", words[i]);
    expect(str_has(f->run.out, "sample.exe"), "vmmap show: output does not name sample.exe");
    if (g_errors)
        fprintf(stderr, "vmmap show output (first 4000 bytes):\n%.4000s\n", f->run.out);
    pu_run_result_free(&f->run);

    char *argv2[] = {f->vmmap_linux, "summary", f->snap_path, NULL};
    rc = pu_run(argv2, &(pu_run_opts){.timeout_ms = 60000}, &f->run);
    if (rc != 0 || f->run.exit_code != 0)
        fail_msg("vmmap summary %s: exit %d\nstderr:\n%s", f->snap_path, f->run.exit_code,
                 f->run.err ? f->run.err : "");
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        expect(strstr(f->run.out, words[i]) != NULL, "vmmap summary: output lacks \"%s\"", words[i]);
    expect_none("Linux build reading the Windows snapshot");
}

/* ---------------------------------------------------------------------------------------------- */
/* A full-memory minidump of the sample (issue 6)                                                  */
/*                                                                                                 */
/* A second run of the sample writes `--dump Z:\...\build-win\sample-dump-PID.dmp` (MiniDumpWriteDump */
/* with MiniDumpWithFullMemory) after printing its ground truth; the dump is mapped by the Linux    */
/* build and by vmmap.exe under Wine, then deleted.  Wine writes no MemoryInfoList: the map is      */
/* rebuilt from modules, stacks and captured memory, stacks and heap parts given their extent from  */
/* the captured TEBs and heap headers.  Asserted: every heap, subheap and large block at its        */
/* address and size, the tracked allocations in the right heap, the stacks with their tids; noted:  */
/* what no MemoryInfoList cannot show.                                                              */

#define DUMP_MS 180000

static const char *const DUMP_WHO[2] = {"dump via build/vmmap", "dump via vmmap.exe"};

/* "/a/b" -> "Z:\a\b" (Wine maps / to Z:). */
static void wine_path(const char *unix_path, char *out, size_t len)
{
    snprintf(out, len, "Z:%s", unix_path);
    for (char *p = out; *p; p++)
        if (*p == '/')
            *p = '\\';
}

/* Runs the sample with --dump; returns its ground truth (NULL on failure, with a mismatch). */
static cJSON *write_dump(fixture *f, const char *windump)
{
    pu_child c = {.stdin_fd = -1, .stdout_fd = -1};
    char *argv[] = {f->wine64, f->sample_exe, "--tempdir", f->windir, "--dump", (char *)windump, NULL};
    if (pu_sample_start(&c, argv, SAMPLE_START_MS) != 0)
        fail_msg("cannot start the sample with --dump: %s", pu_last_error());
    int rc = pu_child_read_line(&c, DUMP_MS);
    cJSON *line = rc == 0 ? cJSON_Parse(c.first_line) : NULL;
    expect(line != NULL, "the sample printed no dump line: %s", rc ? pu_last_error() : c.first_line);
    cJSON *truth = c.truth;
    c.truth = NULL;
    expect(pu_child_stop(&c, STOP_MS) == 0, "the dumping sample did not exit cleanly: %s", pu_last_error());
    if (line) {
        expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(line, "ok")), "MiniDumpWriteDump failed: error %" PRId64
               " (flags %s)", int_or(line, "error", -1), str_or(line, "flags"));
        note("dump written with MINIDUMP_TYPE %s", str_or(line, "flags"));
    }
    cJSON_Delete(line);
    return truth;
}

/* Maps the dump with argv into json (Unix path); returns the loaded snapshot or NULL. */
static cJSON *map_dump(fixture *f, char *const argv[], const char *json, const char *who)
{
    int rc = pu_run(argv, &(pu_run_opts){.timeout_ms = RUN_MS}, &f->run);
    bool ran = rc == 0 && f->run.exit_code == 0;
    expect(ran, "%s: exit %d%s\nstderr:\n%s", who, f->run.exit_code, f->run.timed_out ? " (timed out)" : "",
           f->run.err ? f->run.err : pu_last_error());
    pu_run_result_free(&f->run);
    cJSON *snap = ran ? pu_json_load(json) : NULL;
    expect(!ran || snap, "%s: %s", who, pu_last_error());
    char why[512];
    expect(!snap || loads_again(json, why, sizeof why), "%s: the snapshot does not load again: %s", who, why);
    return snap;
}

static bool has_warning_code(const cJSON *snap, const char *code)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(snap, "warnings"))
        if (str_is(w, "code", code))
            return true;
    return false;
}

static void check_dump_header(const cJSON *snap, const cJSON *t, const char *who)
{
    const cJSON *proc = cJSON_GetObjectItemCaseSensitive(snap, "process");
    expect(str_is(snap, "source", "minidump"), "%s: source %s", who, str_or(snap, "source"));
    expect(int_or(proc, "pid", -1) == int_or(t, "pid", -2), "%s: pid %" PRId64 ", want %" PRId64, who,
           int_or(proc, "pid", -1), int_or(t, "pid", -2));
    expect(int_or(proc, "bits", 0) == 64, "%s: bits %" PRId64, who, int_or(proc, "bits", 0));
    expect(same_base_name(pu_json_str(proc, "exe"), "sample.exe"), "%s: exe %s", who, str_or(proc, "exe"));
    /* Wine 8 writes no MemoryInfoList: the map must say it is partial. */
    expect(has_warning_code(snap, "partial-map"), "%s: no partial-map warning (has Wine started writing a "
           "MemoryInfoList? then the mapping checks of the live test apply)", who);
}

static void test_dump_write_and_map(void **state)
{
    fixture *f = *state;
    if (f->offline) {
        print_message("offline mode: the minidump tests need Wine, skipped\n");
        skip();
    }
    if (!f->win_build_abs)
        fail_msg("VMMAP_WIN_BUILD does not exist");
    char windump[PATH_MAX + 8], winjson[160];
    snprintf(f->dump_path, sizeof f->dump_path, "%s/sample-dump-%d.dmp", f->win_build_abs, (int)getpid());
    wine_path(f->dump_path, windump, sizeof windump);
    f->dump_truth = write_dump(f, windump);
    struct stat st;
    if (!f->dump_truth || stat(f->dump_path, &st) != 0)
        fail_msg("no dump at %s", f->dump_path);
    note("minidump: %.0f MiB at %s (deleted after mapping)", (double)st.st_size / (double)MiB, f->dump_path);

    snprintf(f->dump_json[0], sizeof f->dump_json[0], "%s/dump-linux.json", f->dir);
    char *lx[] = {f->vmmap_linux, "snapshot", f->dump_path, "--heap-blocks", "-o", f->dump_json[0], NULL};
    f->dump_snap[0] = map_dump(f, lx, f->dump_json[0], DUMP_WHO[0]);
    snprintf(f->dump_json[1], sizeof f->dump_json[1], "%s/dump-win.json", f->dir);
    snprintf(winjson, sizeof winjson, "%s\\dump-win.json", f->windir);
    char *wx[] = {f->wine64, f->vmmap_exe, "snapshot", windump, "--heap-blocks", "-o", winjson, NULL};
    f->dump_snap[1] = map_dump(f, wx, f->dump_json[1], DUMP_WHO[1]);
    unlink(f->dump_path);
    f->dump_path[0] = '\0';
    for (int i = 0; i < 2; i++) {
        unlink(f->dump_json[i]);
        f->dump_json[i][0] = '\0';
        if (f->dump_snap[i])
            check_dump_header(f->dump_snap[i], f->dump_truth, DUMP_WHO[i]);
    }
    /* One parser, two platforms: the same map. */
    static const char *const parts[] = {"regions", "heaps", "threads", "modules", "warnings"};
    for (size_t i = 0; f->dump_snap[0] && f->dump_snap[1] && i < sizeof parts / sizeof *parts; i++)
        expect(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(f->dump_snap[0], parts[i]),
                             cJSON_GetObjectItemCaseSensitive(f->dump_snap[1], parts[i]), true),
               "the dump's %s differ between build/vmmap and vmmap.exe", parts[i]);
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(f->dump_snap[0], "warnings"))
        note("dump snapshot warning %s: %.300s", str_or(w, "code"), str_or(w, "message"));
    expect_none("minidump written and mapped");
}

/* Committed bytes of the snapshot's blocks in [lo, hi). */
static uint64_t committed_in(const cJSON *snap, uint64_t lo, uint64_t hi)
{
    uint64_t committed = 0;
    for (uint64_t p = lo; p < hi;) {
        const cJSON *b = pu_snapshot_find_block(snap, p, NULL);
        if (!b || block_size(b) == 0)
            break;
        if (str_is(b, "state", "commit"))
            committed += block_size(b);
        p = block_addr(b) + block_size(b);
    }
    return committed;
}

/* One HeapWalk region (li 0) or large block (li 1) of heap `handle` against the dump's snapshot.
 * own: only the sample allocates in this heap, so nothing changed between truth and dump. */
static void check_dump_heap_range(const cJSON *snap, const cJSON *sh, const cJSON *r, int li, uint64_t handle,
                                  bool own, const char *what)
{
    uint64_t ra = hex_of(r, "address"), ab = hex_of(r, "allocation_base"), ae = hex_of(r, "allocation_end");
    uint64_t vqc = u64_of(r, "vq_committed");
    const cJSON *part = heap_part_containing(sh, ra);
    expect(part != NULL, "%s 0x%" PRIx64 ": no part of the heap contains it", what, ra);
    if (!part)
        return;
    uint64_t pa = 0, ps = 0, pc = 0;
    pu_json_hex(part, "address", &pa);
    pu_json_u64(part, "size", &ps);
    pu_json_u64(part, "committed", &pc);
    expect(pa == ab && ps == ae - ab, "%s: part [0x%" PRIx64 ", +%" PRIu64 "), its allocation is [0x%" PRIx64
           ", 0x%" PRIx64 ")", what, pa, ps, ab, ae);
    expect(str_has(pu_json_str(part, "what"), "inferred"), "%s: part \"%s\" does not say its extent is inferred",
           what, str_or(part, "what"));
    /* The whole reservation is Heap of this heap (reserved where nothing was captured). */
    expect_range(snap, what, ab, ae, "Heap", NULL, handle);
    expect_range(snap, what, ra, ra + u64_of(r, li ? "size" : "committed"), "Heap", "commit", handle);
    uint64_t committed = committed_in(snap, ab, ae);
    /* Captured pages agree with the header's committed size (a large block's to the page). */
    expect(committed == align_up(pc, 4096), "%s: %" PRIu64 " committed bytes in the map, the header says %" PRIu64,
           what, committed, pc);
    if (own || committed == vqc)
        expect(committed == vqc, "%s: %" PRIu64 " committed bytes, VirtualQuery said %" PRIu64, what, committed, vqc);
    else {
        expect(committed > vqc, "%s: %" PRIu64 " committed bytes, fewer than VirtualQuery's %" PRIu64, what,
               committed, vqc);
        note("%s: %" PRIu64 " committed bytes in the dump, %" PRIu64 " in the ground truth (MiniDumpWriteDump "
             "allocates in this heap after the truth was printed)", what, committed, vqc);
    }
}

static void check_dump_heaps(const cJSON *snap, const cJSON *t, const char *who)
{
    char d[320], what[128];
    const cJSON *th;
    cJSON_ArrayForEach(th, member(t, "heaps"))
    {
        uint64_t handle = hex_of(th, "handle");
        const cJSON *sh = snap_heap_at(snap, handle);
        expect(sh != NULL, "%s: heap 0x%" PRIx64 " (GetProcessHeaps) not found", who, handle);
        if (!sh)
            continue;
        expect(str_is(sh, "kind", "Wine"), "%s: heap 0x%" PRIx64 ": kind %s, want Wine", who, handle,
               str_or(sh, "kind"));
        bool own = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(th, "private_heap"));
        static const char *const lists[] = {"regions", "large_blocks"};
        for (int li = 0; li < 2; li++) {
            const cJSON *r;
            int i = 0;
            cJSON_ArrayForEach(r, member(th, lists[li]))
            {
                snprintf(what, sizeof what, "%s: heap 0x%" PRIx64 " %s %d", who, handle, li ? "large block" : "subheap",
                         i++);
                check_dump_heap_range(snap, sh, r, li, handle, own, what);
            }
        }
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, member(t, "allocations"))
    {
        snprintf(what, sizeof what, "%s: %s", who, str_or(a, "what"));
        const cJSON *b = expect_at(snap, what, hex_of(a, "address"), "Heap");
        if (!b || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "heap")))
            continue;
        const cJSON *h = pu_snapshot_block_heap(snap, b);
        uint64_t got = 0;
        if (h)
            pu_json_hex(h, "address", &got);
        expect(h && got == hex_of(a, "heap"), "%s: want heap 0x%" PRIx64 ", got %s (%s)", what, hex_of(a, "heap"),
               h ? str_or(h, "address") : "no heap link", describe(b, d, sizeof d));
        expect(str_is(b, "state", "commit"), "%s: not committed: %s", what, describe(b, d, sizeof d));
    }
}

static void test_dump_heaps(void **state)
{
    fixture *f = *state;
    if (f->offline)
        skip();
    for (int i = 0; i < 2; i++)
        if (f->dump_snap[i])
            check_dump_heaps(f->dump_snap[i], f->dump_truth, DUMP_WHO[i]);
    expect(f->dump_snap[0] || f->dump_snap[1], "no snapshot of the dump (see test_dump_write_and_map)");
    note("dump: a heap part's reserved extent comes from its header (no MemoryInfoList): asserted equal to the "
         "live allocation; its uncaptured pages show as reserved");
    expect_none("heaps from the dump");
}

/* The dump was written from outside the sample, after its HeapWalk: its heaps, block for block,
 * are the ground truth's. */
static void test_dump_heap_blocks(void **state)
{
    fixture *f = *state;
    if (f->offline)
        skip();
    for (int i = 0; i < 2; i++)
        if (f->dump_snap[i]) {
            check_heap_stats(f->dump_snap[i], f->dump_truth, DUMP_WHO[i]);
            check_heap_owners(f->dump_snap[i], f->dump_truth, DUMP_WHO[i], true);
        }
    expect(f->dump_snap[0] || f->dump_snap[1], "no snapshot of the dump (see test_dump_write_and_map)");
    expect_none("heap blocks from the dump");
}

static void check_dump_thread(const cJSON *snap, const cJSON *th, const char *who)
{
    char d[320], what[128];
    int64_t tid = int_or(th, "tid", -1);
    snprintf(what, sizeof what, "%s: thread %" PRId64, who, tid);
    uint64_t base = hex_of(th, "stack_base"), limit = hex_of(th, "stack_limit");
    uint64_t dealloc = hex_of(th, "deallocation_stack"), guard = hex_of(th, "guard_address");
    const cJSON *st = snap_thread(snap, tid);
    expect(st != NULL, "%s: not in threads[]", what);
    if (st) {
        static const char *const keys[] = {"stack_base", "stack_limit", "reserve_base", "teb", "guard_address"};
        const uint64_t want[] = {base, limit, dealloc, hex_of(th, "teb"), guard};
        for (size_t k = 0; k < 5; k++) {
            uint64_t v = 0;
            expect(pu_json_hex(st, keys[k], &v) == 0 && v == want[k], "%s: %s %s, want 0x%" PRIx64, what, keys[k],
                   str_or(st, keys[k]), want[k]);
        }
        expect(str_has(pu_json_str(st, "found_by"), "inferred"), "%s: found_by \"%s\" does not say what is inferred",
               what, str_or(st, "found_by"));
    }
    const cJSON *region = pu_snapshot_find_region(snap, hex_of(th, "stack_local"));
    expect(region && str_is(region, "type", "Stack") && block_addr(region) == dealloc &&
               block_addr(region) + block_size(region) == base,
           "%s: the stack region is %s +%" PRIu64 " %s, want Stack [0x%" PRIx64 ", 0x%" PRIx64 ")", what,
           region ? str_or(region, "address") : "(none)", region ? block_size(region) : 0,
           region ? str_or(region, "type") : "", dealloc, base);
    expect_range(snap, what, dealloc, base, "Stack", NULL, 0);
    for (uint64_t p = dealloc; p < base;) {
        const cJSON *b = pu_snapshot_find_block(snap, p, NULL);
        if (!b || block_size(b) == 0)
            break;
        expect(int_or(b, "thread", 0) == tid, "%s: %s is not linked to the thread", what, describe(b, d, sizeof d));
        p = block_addr(b) + block_size(b);
    }
    const cJSON *g = pu_snapshot_find_block(snap, guard, NULL);
    expect(g && block_addr(g) == guard && block_size(g) == u64_of(th, "guard_size") &&
               str_has(pu_json_str(g, "details"), "guard"),
           "%s: guard block %s, want [0x%" PRIx64 ", +%" PRIu64 ") marked guard", what, describe(g, d, sizeof d), guard,
           u64_of(th, "guard_size"));
    const cJSON *tb = expect_at(snap, "TEB", hex_of(th, "teb"), NULL);
    if (tb)
        expect(str_has(pu_json_str(tb, "details"), "TEB"), "%s: TEB not labelled: %s", what, describe(tb, d, sizeof d));
}

static void test_dump_threads(void **state)
{
    fixture *f = *state;
    if (f->offline)
        skip();
    char d[320];
    for (int i = 0; i < 2; i++) {
        const cJSON *snap = f->dump_snap[i], *th;
        if (!snap)
            continue;
        cJSON_ArrayForEach(th, member(f->dump_truth, "threads"))
            check_dump_thread(snap, th, DUMP_WHO[i]);
        const cJSON *peb = expect_at(snap, "PEB", hex_of(f->dump_truth, "peb"), NULL);
        if (peb)
            expect(str_has(pu_json_str(peb, "details"), "PEB"), "%s: PEB not labelled: %s", DUMP_WHO[i],
                   describe(peb, d, sizeof d));
    }
    expect(f->dump_snap[0] || f->dump_snap[1], "no snapshot of the dump (see test_dump_write_and_map)");
    note("dump: stacks span [DeallocationStack, StackBase) from the TEB; the guard page is inferred one page below "
         "StackLimit (where Wine puts it; shown Read/Write/Guard, though the dump itself records no protection)");
    expect_none("threads from the dump");
}

/* Images are in the module list and their headers captured; what needs a MemoryInfoList is not
 * in a Wine dump: asserted not to be claimed, and noted. */
static void check_dump_images_and_limits(const cJSON *snap, const cJSON *t, const char *who)
{
    char d[320], what[128];
    const cJSON *im;
    cJSON_ArrayForEach(im, member(t, "images"))
    {
        snprintf(what, sizeof what, "%s: %s", who, str_or(im, "name"));
        uint64_t base = hex_of(im, "base");
        const cJSON *b = expect_at(snap, what, base, "Image");
        const cJSON *m = b ? pu_snapshot_block_module(snap, b) : NULL;
        uint64_t mb = 0;
        expect(m && pu_json_hex(m, "base", &mb) == 0 && mb == base &&
                   same_base_name(pu_json_str(m, "path"), pu_json_str(im, "path")),
               "%s: module %s at %s, want 0x%" PRIx64, what, m ? str_or(m, "path") : "(none)",
               m ? str_or(m, "base") : "", base);
        expect_range(snap, what, base, base + align_up(u64_of(im, "size"), 4096), "Image", NULL, 0);
        expect(m && pu_module_section(m, ".text"), "%s: no .text section (PE headers not read from the dump)", what);
    }
    /* The 64 MiB reservation: its committed MiB is captured; the reserved rest is unknown and must
     * not be claimed as committed. */
    const cJSON *r = member(t, "reservation");
    uint64_t ra = hex_of(r, "address"), rc = u64_of(r, "committed"), rs = u64_of(r, "size");
    snprintf(what, sizeof what, "%s: reservation (committed)", who);
    expect_range(snap, what, ra, ra + rc, "Private Data", "commit", 0);
    const cJSON *b = pu_snapshot_find_block(snap, ra + rc, NULL);
    expect(!b || !str_is(b, "state", "commit"), "%s: the reservation's uncommitted part shown committed: %s", who,
           describe(b, d, sizeof d));
    (void)rs;
    /* Sections and file views: captured, but a dump without MemoryInfoList cannot tell them from
     * private memory (no MEM_MAPPED, no file name). */
    static const char *const views[] = {"pagefile_section", "file_mapping", "datafile_dll"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *v = member(t, views[i]);
        snprintf(what, sizeof what, "%s: %s", who, views[i]);
        b = expect_at(snap, what, hex_of(v, "address"), NULL);
        if (b)
            expect(str_is(b, "state", "commit") && !str_is(b, "type", "Heap") && !str_is(b, "type", "Stack"),
                   "%s: %s", what, describe(b, d, sizeof d));
    }
}

static void test_dump_images_and_limits(void **state)
{
    fixture *f = *state;
    if (f->offline)
        skip();
    for (int i = 0; i < 2; i++)
        if (f->dump_snap[i])
            check_dump_images_and_limits(f->dump_snap[i], f->dump_truth, DUMP_WHO[i]);
    expect(f->dump_snap[0] || f->dump_snap[1], "no snapshot of the dump (see test_dump_write_and_map)");
    note("a Wine minidump has no MemoryInfoList (nor ThreadInfoList): page protections of captured pages (shown as "
         "Read/Write), reserved memory outside stacks and heaps (the 64 MiB reservation shows its committed MiB, "
         "then Free), MEM_MAPPED and mapped-file names (the pagefile section, the file mapping and the data-file "
         "DLL show as Private Data), PAGE_GUARD, Unusable tails after uncaptured memory and working sets are not "
         "in the dump");
    expect_none("images and limits of the dump");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ground_truth, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_take_snapshot, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_heaps, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_heap_blocks, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_threads, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_virtual_and_mappings, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_images, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_counters, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_linux_reads_windows_snapshot, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_dump_write_and_map, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_dump_heaps, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_dump_heap_blocks, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_dump_threads, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_dump_images_and_limits, per_test_setup, per_test_teardown),
    };
    return cmocka_run_group_tests_name("wine sample", tests, group_setup, group_teardown);
}
