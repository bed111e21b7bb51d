/* Integration test of the heap walk with the binary against glibc's own account of the heap
 * sample (samples/linux/heapsample.c prints malloc_info(3) and mallinfo2(3) from inside):
 *   - every arena: free blocks = malloc_info's fast + rest count, free bytes = their size (less
 *     the PREV_INUSE bit malloc_info adds per binned chunk), busy + free + cached + overhead =
 *     its "current" (system_mem); over all arenas free bytes = mallinfo2's fordblks; the
 *     mmapped chunk = hblks and hblkhd;
 *     over all arenas, free blocks = mallinfo2's ordblks + smblks, busy + cached + overhead
 *     bytes = its uordblks, the arenas' current = its arena;
 *   - the known allocations are in the size tables with at least their counts; the tcache'd
 *     blocks are listed cached (not busy), the fastbin and unsorted ones free (vmmap heaps
 *     --blocks); cached blocks and bytes are exactly the sample's tcache'd chunks, and a worker
 *     thread's arena is busy with exactly what the worker allocated;
 *   - the owners of every arena, exactly: libc first (main_arena in its .data, the others through
 *     its ring), then the sample, at the .data word where it keeps the arena's address; in the
 *     JSON and in the Owner column of `vmmap heaps` and `vmmap heaps --heap ID`;
 *   - the same with the threads allocating all at once, and a bounded, warned-about walk of a
 *     process whose threads malloc and free while it is read;
 *   - issue 10: a single-threaded process's main arena address is found (it was 0x0);
 *   - a default snapshot does not walk (stats null), --heap-blocks does; output files; errors.
 * Binaries from $VMMAP_BUILD (default "build"): vmmap and samples/heapsample. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tests/support/malloc_info.h"
#include "tests/support/proc_util.h"
#include "tests/support/truth_check.h"

typedef struct fixture {
    char *vmmap, *sample;
    char dir[256];
    pu_child child;
    cJSON *snap;
    pu_run_result run;
} fixture;

static fixture *fx;

static int group_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    fx = calloc(1, sizeof *fx);
    fx->child.stdin_fd = fx->child.stdout_fd = -1;
    fx->vmmap = pu_build_path("vmmap");
    fx->sample = pu_build_path("samples/heapsample");
    if (access(fx->vmmap, X_OK) != 0 || access(fx->sample, X_OK) != 0 || pu_tempdir(fx->dir, sizeof fx->dir) != 0) {
        fprintf(stderr, "test_heaps: need %s, %s and a temporary directory\n", fx->vmmap, fx->sample);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    pu_tempdir_remove(fx->dir);
    free(fx->vmmap);
    free(fx->sample);
    free(fx);
    return 0;
}

static int per_test_setup(void **state)
{
    g_errors = 0;
    return 0;
}

static int per_test_teardown(void **state)
{
    pu_child_stop(&fx->child, 5000);
    fx->child.stdin_fd = fx->child.stdout_fd = -1;
    cJSON_Delete(fx->snap);
    fx->snap = NULL;
    pu_run_result_free(&fx->run);
    memset(&fx->run, 0, sizeof fx->run);
    return 0;
}

static void start_sample5(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5)
{
    char *argv[] = {fx->sample, (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL};
    if (pu_sample_start(&fx->child, argv, 10000) != 0)
        fail_msg("cannot start heapsample: %s", pu_last_error());
}

static void start_sample(const char *a1, const char *a2, const char *a3)
{
    start_sample5(a1, a2, a3, NULL, NULL);
}

static const char *pid_arg(void)
{
    static char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)fx->child.pid);
    return pid;
}

static pu_run_result *run_vmmap(const char *a0, ...)
{
    char *argv[16] = {fx->vmmap};
    int n = 1;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && n < 15; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    pu_run_result_free(&fx->run);
    memset(&fx->run, 0, sizeof fx->run);
    if (pu_run(argv, NULL, &fx->run) != 0)
        fail_msg("cannot run vmmap: %s", pu_last_error());
    return &fx->run;
}

static void expect_exit(int code)
{
    if (fx->run.exit_code != code)
        fail_msg("vmmap exited %d (wanted %d): %s", fx->run.exit_code, code, fx->run.err);
}

/* `vmmap snapshot PID --heap-blocks` (or without) into fx->snap. */
static void snapshot(bool heap_blocks)
{
    char path[320];
    snprintf(path, sizeof path, "%s/snap.json", fx->dir);
    if (heap_blocks)
        run_vmmap("snapshot", pid_arg(), "--heap-blocks", "-o", path, "-q", NULL);
    else
        run_vmmap("snapshot", pid_arg(), "-o", path, "-q", NULL);
    expect_exit(0);
    cJSON_Delete(fx->snap);
    fx->snap = pu_json_load(path);
    assert_non_null(fx->snap);
}

static const cJSON *heap_at(uint64_t address, const char *kind)
{
    const cJSON *h;
    cJSON_ArrayForEach(h, member(fx->snap, "heaps"))
    {
        uint64_t a;
        if (str_is(h, "kind", kind) && (address == 0 || (pu_json_hex(h, "address", &a) == 0 && a == address)))
            return h;
    }
    return NULL;
}

static uint64_t stat_of(const cJSON *h, const char *key)
{
    return u64_of(member(h, "stats"), key);
}

static void print_warnings(void)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, member(fx->snap, "warnings"))
        print_message("  warning %s: %s\n", str_or(w, "code"), str_or(w, "message"));
}

/* Every arena of malloc_info against the snapshot's heap of the same address (the sample prints
 * main_arena's ring, which is malloc_info's order). */
static void check_arenas(const cJSON *truth)
{
    mi_info mi;
    const char *xml = pu_json_str(truth, "malloc_info");
    assert_non_null(xml);
    assert_true(mi_parse(xml, &mi));
    const cJSON *ring = member(truth, "ring");
    assert_int_equal((size_t)cJSON_GetArraySize(ring), mi.nheaps);
    uint64_t free_total = 0, free_blocks_total = 0, in_use_total = 0, system_total = 0;
    for (size_t k = 0; k < mi.nheaps; k++) {
        uint64_t a;
        assert_int_equal(pu_parse_hex(cJSON_GetArrayItem(ring, (int)k)->valuestring, &a), 0);
        const cJSON *h = heap_at(a, k == 0 ? "glibc main arena" : "glibc arena");
        expect(h != NULL, "arena %zu (0x%" PRIx64 ") of malloc_info is in the snapshot", k, a);
        if (!h)
            continue;
        const mi_heap *m = &mi.heaps[k];
        expect(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(h, "stats")), "arena %zu walked", k);
        expect(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(h, "walk_note")), "arena %zu walked completely (%s)",
               k, str_or(h, "walk_note"));
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(h, "stats")))
            continue;
        uint64_t fb = stat_of(h, "free_blocks"), fz = stat_of(h, "free_bytes");
        uint64_t sum = stat_of(h, "busy_bytes") + fz + stat_of(h, "cached_bytes") + stat_of(h, "overhead_bytes");
        print_message("  arena %zu: malloc_info fast %" PRIu64 "/%" PRIu64 " rest %" PRIu64 "/%" PRIu64
                      " current %" PRIu64 "; vmmap free %" PRIu64 "/%" PRIu64 ", busy %" PRIu64 "/%" PRIu64
                      ", cached %" PRIu64 "/%" PRIu64 ", overhead %" PRIu64 "\n",
                      k, m->fast_count, m->fast_size, m->rest_count, m->rest_size, m->current, fb, fz,
                      stat_of(h, "busy_blocks"), stat_of(h, "busy_bytes"), stat_of(h, "cached_blocks"),
                      stat_of(h, "cached_bytes"), stat_of(h, "overhead_bytes"));
        expect(fb == m->fast_count + m->rest_count, "arena %zu: free blocks %" PRIu64 " = fast %" PRIu64 " + rest %" PRIu64,
               k, fb, m->fast_count, m->rest_count);
        expect(fz + (m->rest_count - 1) == m->fast_size + m->rest_size,
               "arena %zu: free bytes %" PRIu64 " + %" PRIu64 " PREV_INUSE bits = fast %" PRIu64 " + rest %" PRIu64, k,
               fz, m->rest_count - 1, m->fast_size, m->rest_size);
        expect(sum == m->current, "arena %zu: busy + free + cached + overhead %" PRIu64 " = current %" PRIu64, k, sum,
               m->current);
        free_total += fz;
        free_blocks_total += fb;
        in_use_total += sum - fz;
        system_total += m->current;
    }
    /* mallinfo2 sums the arenas: fordblks the free bytes (sizes masked), ordblks + smblks the free
     * blocks (bins and top, fastbins), uordblks what is not free: busy, cached and overhead. */
    const cJSON *mi2 = member(truth, "mallinfo2");
    expect(free_total == u64_of(mi2, "fordblks"), "free bytes over the arenas %" PRIu64 " = mallinfo2 fordblks %" PRIu64,
           free_total, u64_of(mi2, "fordblks"));
    expect(free_blocks_total == u64_of(mi2, "ordblks") + u64_of(mi2, "smblks"),
           "free blocks over the arenas %" PRIu64 " = mallinfo2 ordblks %" PRIu64 " + smblks %" PRIu64, free_blocks_total,
           u64_of(mi2, "ordblks"), u64_of(mi2, "smblks"));
    expect(in_use_total == u64_of(mi2, "uordblks"),
           "busy + cached + overhead bytes over the arenas %" PRIu64 " = mallinfo2 uordblks %" PRIu64, in_use_total,
           u64_of(mi2, "uordblks"));
    expect(system_total == u64_of(mi2, "arena"), "the arenas' current %" PRIu64 " = mallinfo2 arena %" PRIu64,
           system_total, u64_of(mi2, "arena"));
    const cJSON *mm = heap_at(0, "glibc mmap chunks");
    expect(mm != NULL, "the mmapped chunk's heap is there");
    if (mm) {
        expect(stat_of(mm, "busy_blocks") == u64_of(mi2, "hblks"), "mmapped chunks %" PRIu64 " = hblks %" PRIu64,
               stat_of(mm, "busy_blocks"), u64_of(mi2, "hblks"));
        expect(stat_of(mm, "busy_blocks") == mi.mmap_count && stat_of(mm, "busy_bytes") + stat_of(mm, "overhead_bytes") ==
                   mi.mmap_size, "mmapped chunks %" PRIu64 " = malloc_info's <total type=\"mmap\"> count %" PRIu64
               " and size %" PRIu64, stat_of(mm, "busy_blocks"), mi.mmap_count, mi.mmap_size);
        expect(stat_of(mm, "busy_bytes") + stat_of(mm, "overhead_bytes") == u64_of(mi2, "hblkhd"),
               "mmapped bytes %" PRIu64 " = hblkhd %" PRIu64, stat_of(mm, "busy_bytes"), u64_of(mi2, "hblkhd"));
    }
}

static uint64_t size_row(const cJSON *h, uint64_t size, const char *state)
{
    const cJSON *z;
    cJSON_ArrayForEach(z, member(h, "sizes"))
        if (u64_of(z, "size") == size)
            return u64_of(z, state);
    return 0;
}

/* The known allocations are in the arena's size table, with at least their counts. */
static void check_sizes(const cJSON *pattern)
{
    uint64_t arena = hex_of(pattern, "arena");
    const cJSON *h = heap_at(arena, "glibc main arena");
    if (!h)
        h = heap_at(arena, "glibc arena");
    expect(h != NULL, "the pattern's arena 0x%" PRIx64 " is a heap", arena);
    if (!h)
        return;
    expect(size_row(h, u64_of(pattern, "busy_size"), "busy") >= u64_of(pattern, "busy_count"),
           "arena 0x%" PRIx64 ": at least %" PRIu64 " busy 0x70 blocks", arena, u64_of(pattern, "busy_count"));
    expect(size_row(h, u64_of(pattern, "cached_size"), "cached") >= 7, "arena 0x%" PRIx64 ": 7 cached 0x50", arena);
    expect(size_row(h, u64_of(pattern, "fast_size"), "cached") >= 7, "arena 0x%" PRIx64 ": 7 cached 0x30", arena);
    expect(size_row(h, u64_of(pattern, "fast_size"), "free") >= 5, "arena 0x%" PRIx64 ": 5 fastbin 0x30", arena);
    expect(size_row(h, u64_of(pattern, "unsorted_size"), "free") >= 5, "arena 0x%" PRIx64 ": 5 free 0x510", arena);
}

/* The patterns of truth (the main thread's, then each worker's): n of them into out. */
static int patterns_of(const cJSON *truth, const cJSON **out, int max)
{
    int n = 0;
    out[n++] = member(truth, "main");
    const cJSON *t;
    cJSON_ArrayForEach(t, member(truth, "threads"))
        if (n < max)
            out[n++] = member(t, "pattern");
    return n;
}

#define MAX_PATTERNS 17

/* The blocks each arena holds that the sample knows of, exactly: cached = the tcache'd chunks it
 * freed (nothing else of the process frees); for a worker's arena, busy = its 0x70 blocks, its
 * guards and glibc's tcache_perthread_struct (a worker allocates nothing else).  The main arena
 * also holds libc's own busy blocks (stdio, the threads' DTVs): at least the known ones there. */
static void check_known_blocks(const cJSON *truth)
{
    const cJSON *pats[MAX_PATTERNS];
    int n = patterns_of(truth, pats, MAX_PATTERNS);
    for (int i = 0; i < n; i++) {
        uint64_t arena = hex_of(pats[i], "arena");
        bool first = true;
        for (int k = 0; k < i; k++)
            first &= hex_of(pats[k], "arena") != arena;
        if (!first)
            continue; /* summed with the first pattern in the same arena */
        uint64_t cached = 0, cached_bytes = 0, busy = 0, busy_bytes = 0;
        for (int k = i; k < n; k++) {
            if (hex_of(pats[k], "arena") != arena)
                continue;
            uint64_t nc = (uint64_t)cJSON_GetArraySize(member(pats[k], "cached"));
            uint64_t nf = (uint64_t)cJSON_GetArraySize(member(pats[k], "fast_cached"));
            cached += nc + nf;
            cached_bytes += nc * u64_of(pats[k], "cached_size") + nf * u64_of(pats[k], "fast_size");
            busy += u64_of(pats[k], "busy_count") + u64_of(pats[k], "guard_count") + 1;
            busy_bytes += u64_of(pats[k], "busy_count") * u64_of(pats[k], "busy_size") +
                          u64_of(pats[k], "guard_count") * u64_of(pats[k], "guard_size") +
                          u64_of(pats[k], "tcache_struct_size");
        }
        bool main_arena = i == 0;
        const cJSON *h = heap_at(arena, main_arena ? "glibc main arena" : "glibc arena");
        if (!h || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(h, "stats")))
            continue; /* check_arenas said so */
        expect(stat_of(h, "cached_blocks") == cached && stat_of(h, "cached_bytes") == cached_bytes,
               "arena 0x%" PRIx64 ": cached %" PRIu64 " blocks / %" PRIu64 " bytes, the sample's tcache'd chunks %"
               PRIu64 " / %" PRIu64, arena, stat_of(h, "cached_blocks"), stat_of(h, "cached_bytes"), cached, cached_bytes);
        if (main_arena)
            expect(stat_of(h, "busy_blocks") >= busy && stat_of(h, "busy_bytes") >= busy_bytes,
                   "main arena: busy %" PRIu64 " / %" PRIu64 ", at least the sample's %" PRIu64 " / %" PRIu64,
                   stat_of(h, "busy_blocks"), stat_of(h, "busy_bytes"), busy, busy_bytes);
        else
            expect(stat_of(h, "busy_blocks") == busy && stat_of(h, "busy_bytes") == busy_bytes,
                   "arena 0x%" PRIx64 ": busy %" PRIu64 " blocks / %" PRIu64 " bytes, the worker's %" PRIu64 " / %"
                   PRIu64, arena, stat_of(h, "busy_blocks"), stat_of(h, "busy_bytes"), busy, busy_bytes);
    }
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "";
}

/* The module of an owner entry. */
static const cJSON *owner_module(const cJSON *o)
{
    return cJSON_GetArrayItem(member(fx->snap, "modules"), (int)u64_of(o, "module"));
}

/* The pointer-sized word at address in the sample's memory, read from outside. */
static bool target_word(uint64_t address, uint64_t *out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)fx->child.pid);
    FILE *f = fopen(path, "rb");
    bool ok = f && fseeko(f, (off_t)address, SEEK_SET) == 0 && fread(out, sizeof *out, 1, f) == 1;
    if (f)
        fclose(f);
    return ok;
}

/* The owners of every arena, exactly: libc first (main_arena lies in its .data; another arena is
 * libc's through main_arena's ring, or where libc's data holds its address), then heapsample at
 * the .data word where it keeps the arena's address (arena_ref), and no other module.  The
 * mmapped chunks have no address to look for: owner null.  `vmmap heaps PID` says the same in
 * its Owner column, `--heap ID` too. */
static void check_owners(const cJSON *truth)
{
    const cJSON *pats[MAX_PATTERNS];
    int n = patterns_of(truth, pats, MAX_PATTERNS);
    uint64_t main_arena = hex_of(truth, "main_arena");
    char text_owner[64];
    snprintf(text_owner, sizeof text_owner, "libc.so.6, %s", base_name(fx->sample));
    run_vmmap("heaps", pid_arg(), "-q", NULL);
    expect_exit(0);
    char *table = strdup(fx->run.out);
    for (int i = 0; i < n; i++) {
        uint64_t arena = hex_of(pats[i], "arena"), ref = hex_of(pats[i], "arena_ref");
        for (int k = 0; k < i; k++)
            if (hex_of(pats[k], "arena") == arena && hex_of(pats[k], "arena_ref") < ref)
                ref = hex_of(pats[k], "arena_ref"); /* the first word that holds it */
        const cJSON *h = heap_at(arena, arena == main_arena ? "glibc main arena" : "glibc arena");
        if (!h)
            continue; /* check_sizes said so */
        const cJSON *owners = member(h, "owner");
        expect(cJSON_GetArraySize(owners) == 2, "arena 0x%" PRIx64 ": %d owners, want libc and %s", arena,
               cJSON_GetArraySize(owners), base_name(fx->sample));
        const cJSON *libc = cJSON_GetArrayItem(owners, 0), *prog = cJSON_GetArrayItem(owners, 1);
        const cJSON *lm = libc ? owner_module(libc) : NULL, *pm = prog ? owner_module(prog) : NULL;
        expect(lm && strcmp(base_name(pu_json_str(lm, "path")), "libc.so.6") == 0,
               "arena 0x%" PRIx64 ": first owner %s, want libc.so.6", arena, lm ? str_or(lm, "path") : "none");
        if (lm) {
            uint64_t at = hex_of(libc, "address"), word = 0, lo = hex_of(lm, "base"), hi = lo + u64_of(lm, "size");
            bool ok = arena == main_arena ? at == main_arena
                                          : at == main_arena || (at >= lo && at < hi && target_word(at, &word) &&
                                                                 word == arena);
            expect(ok, "arena 0x%" PRIx64 ": libc's reference at 0x%" PRIx64 " is neither main_arena 0x%" PRIx64
                   " nor a word of libc holding the arena's address", arena, at, main_arena);
        }
        expect(pm && strcmp(base_name(pu_json_str(pm, "path")), base_name(fx->sample)) == 0 &&
                   hex_of(prog, "address") == ref,
               "arena 0x%" PRIx64 ": second owner %s at %s, want %s at 0x%" PRIx64 " (its .data)", arena,
               pm ? str_or(pm, "path") : "none", prog ? str_or(prog, "address") : "-", fx->sample, ref);
        /* the Owner column of `vmmap heaps` and of `vmmap heaps --heap ID` */
        char addr[32], id[16];
        snprintf(addr, sizeof addr, "0x%" PRIx64 " ", arena);
        const char *row = strstr(table, addr);
        const char *eol = row ? strchr(row, '\n') : NULL;
        expect(row && eol && memmem(row, (size_t)(eol - row), text_owner, strlen(text_owner)),
               "vmmap heaps: the row of arena 0x%" PRIx64 " does not name \"%s\" as owner:\n%s", arena, text_owner,
               table);
        snprintf(id, sizeof id, "%" PRIu64, u64_of(h, "id"));
        run_vmmap("heaps", pid_arg(), "--heap", id, "-q", NULL);
        expect_exit(0);
        expect(strstr(fx->run.out, addr) && strstr(fx->run.out, text_owner), "vmmap heaps --heap %s: no \"%s\":\n%s",
               id, text_owner, fx->run.out);
    }
    const cJSON *mm = heap_at(0, "glibc mmap chunks");
    expect(!mm || cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(mm, "owner")), "the mmapped chunks' owner is null");
    free(table);
}

/* The state --blocks gives each address of a list of the ground truth. */
static void check_states(const char *blocks, const cJSON *pattern, const char *key, const char *want)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, member(pattern, key))
    {
        char needle[64];
        snprintf(needle, sizeof needle, "\t%s\t", a->valuestring);
        const char *line = strstr(blocks, needle);
        const char *state = line ? strchr(line + strlen(needle), '\t') : NULL;
        bool ok = state && strncmp(state + 1, want, strlen(want)) == 0 && state[1 + strlen(want)] == '\n';
        expect(ok, "%s block %s is %s (%.40s)", key, a->valuestring, want, line ? line + 1 : "not listed");
    }
}

static void check_block_states(const cJSON *truth)
{
    run_vmmap("heaps", pid_arg(), "--blocks", "-q", NULL);
    expect_exit(0);
    const char *out = fx->run.out;
    assert_true(strncmp(out, "Heap\tAddress\tSize\tState\n", 24) == 0);
    const cJSON *patterns[1 + 16];
    int n = 0;
    patterns[n++] = member(truth, "main");
    const cJSON *t;
    cJSON_ArrayForEach(t, member(truth, "threads"))
        if (n < 17)
            patterns[n++] = member(t, "pattern");
    /* mallinfo2's keepcost is the main arena's top chunk: the last block listed for it, free */
    const cJSON *main_heap = heap_at(hex_of(truth, "main_arena"), "glibc main arena");
    if (main_heap) {
        char prefix[32];
        int plen = snprintf(prefix, sizeof prefix, "%" PRIu64 "\t", u64_of(main_heap, "id"));
        const char *last = NULL;
        for (const char *line = out; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line))
            if (strncmp(line, prefix, (size_t)plen) == 0)
                last = line;
        char want[64];
        snprintf(want, sizeof want, "\t%" PRIu64 "\tfree\n", u64_of(member(truth, "mallinfo2"), "keepcost"));
        const char *eol = last ? strchr(last, '\n') : NULL;
        expect(last && eol && memmem(last, (size_t)(eol - last + 1), want, strlen(want)),
               "the main arena's last block (%.60s) is its top chunk, free, of mallinfo2's keepcost %" PRIu64,
               last ? last : "none", u64_of(member(truth, "mallinfo2"), "keepcost"));
    }
    for (int i = 0; i < n; i++) {
        check_states(out, patterns[i], "busy", "busy");
        check_states(out, patterns[i], "cached", "cached");
        check_states(out, patterns[i], "fast_cached", "cached");
        check_states(out, patterns[i], "fastbin", "free");
        check_states(out, patterns[i], "unsorted", "free");
    }
}

static void ground_truth(const char *a1, const char *a2, const char *a3)
{
    start_sample(a1, a2, a3);
    snapshot(true);
    print_warnings();
    check_arenas(fx->child.truth);
    check_sizes(member(fx->child.truth, "main"));
    const cJSON *t;
    cJSON_ArrayForEach(t, member(fx->child.truth, "threads"))
        check_sizes(member(t, "pattern"));
    check_known_blocks(fx->child.truth);
    check_block_states(fx->child.truth);
    check_owners(fx->child.truth);
    expect_none("heap statistics against malloc_info");
}

/* The heap "glibc mmap chunks" has as many parts, and as many bytes, as glibc counts mmapped
 * chunks (mallinfo2's hblks, hblkhd), and no address of its own (null, not "0x0"). */
static void check_chunk_parts(const cJSON *truth)
{
    const cJSON *mm = heap_at(0, "glibc mmap chunks"), *mi2 = member(truth, "mallinfo2");
    expect(mm != NULL, "the mmapped chunks' heap is there");
    if (!mm)
        return;
    uint64_t n = 0, bytes = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, member(mm, "parts"))
    {
        n++;
        bytes += u64_of(part, "size");
    }
    print_message("  mmapped chunks: vmmap %" PRIu64 " of %" PRIu64 " bytes, mallinfo2 hblks %" PRIu64 " hblkhd %" PRIu64
                  "\n", n, bytes, u64_of(mi2, "hblks"), u64_of(mi2, "hblkhd"));
    expect(n == u64_of(mi2, "hblks") && bytes == u64_of(mi2, "hblkhd"),
           "mmapped chunks %" PRIu64 " of %" PRIu64 " bytes = mallinfo2 hblks %" PRIu64 " of hblkhd %" PRIu64, n, bytes,
           u64_of(mi2, "hblks"), u64_of(mi2, "hblkhd"));
    expect(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(mm, "address")), "the mmapped chunks' heap address is null");
}

/* Dozens of mmapped chunks, each followed by a plain mmap: merged into few VMAs, most chunks not
 * at a VMA's start.  All found, in a default snapshot and walked. */
static void test_mmapped_chunks_counted(void **state)
{
    start_sample("--mmaps", "40", NULL);
    snapshot(false);
    print_warnings();
    check_chunk_parts(fx->child.truth);
    snapshot(true);
    check_chunk_parts(fx->child.truth);
    check_arenas(fx->child.truth);
    /* no address of its own: "-" in the heaps table, an empty CSV field */
    run_vmmap("heaps", pid_arg(), "-q", NULL);
    expect_exit(0);
    expect(strstr(fx->run.out, "glibc mmap chunks  -  ") != NULL, "heaps shows the mmapped chunks' address as -:\n%s",
           fx->run.out);
    char csv_path[320];
    snprintf(csv_path, sizeof csv_path, "%s/chunks.csv", fx->dir);
    run_vmmap("heaps", pid_arg(), "-o", csv_path, "-q", NULL);
    expect_exit(0);
    char *csv = pu_read_file(csv_path, NULL);
    expect(csv && strstr(csv, "\"glibc mmap chunks\",\"\","), "the heaps CSV leaves the address empty");
    free(csv);
    expect_none("mmapped chunks against mallinfo2");
}

static void test_threads_one_at_a_time(void **state)
{
    ground_truth("--threads", "3", NULL);
}

static void test_threads_at_once(void **state)
{
    ground_truth("--threads", "6", "--concurrent");
}

/* Issue 10: a single-threaded process's main arena was written as 0x0 (no other arena's next
 * link leads to it); it is found in libc's data now, without the heap walk. */
static void test_single_threaded_main_arena(void **state)
{
    start_sample(NULL, NULL, NULL);
    snapshot(false);
    const cJSON *h = heap_at(0, "glibc main arena");
    assert_non_null(h);
    uint64_t want = hex_of(fx->child.truth, "main_arena"), got = 0;
    expect(pu_json_hex(h, "address", &got) == 0 && got == want, "main arena at 0x%" PRIx64 " (the sample's), got %s",
           want, cJSON_IsString(cJSON_GetObjectItemCaseSensitive(h, "address"))
                     ? cJSON_GetObjectItemCaseSensitive(h, "address")->valuestring
                     : "null");
    /* the default snapshot does not walk: stats null, never zeros */
    expect(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(h, "stats")), "no stats without --heap-blocks");
    expect(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(h, "owner")), "no owner without --heap-blocks");
    expect_none("single-threaded main arena");
    /* and walked, it matches malloc_info too */
    snapshot(true);
    check_arenas(fx->child.truth);
    check_sizes(member(fx->child.truth, "main"));
    check_known_blocks(fx->child.truth);
    check_owners(fx->child.truth);
    expect_none("single-threaded heap statistics");
}

/* The same heaps from a core file (gdb's gcore of the sample): the walk reads the core's
 * segments through the same pipeline, and malloc_info's figures still hold. */
static void test_core_file(void **state)
{
    start_sample5("--threads", "2", "--mmaps", "30", NULL);
    char prefix[320], core[400], snap_path[320];
    snprintf(prefix, sizeof prefix, "%s/core", fx->dir);
    snprintf(core, sizeof core, "%s.%d", prefix, (int)fx->child.pid);
    char *argv[] = {(char *)"/usr/bin/gcore", (char *)"-o", prefix, (char *)pid_arg(), NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (access("/usr/bin/gcore", X_OK) != 0 || pu_run(argv, NULL, &r) != 0 || r.exit_code != 0) {
        pu_run_result_free(&r);
        fail_msg("gcore (gdb, installed by scripts/deps.sh) could not dump the sample");
    }
    pu_run_result_free(&r);
    snprintf(snap_path, sizeof snap_path, "%s/core.json", fx->dir);
    run_vmmap("snapshot", core, "--heap-blocks", "-o", snap_path, "-q", NULL);
    expect_exit(0);
    fx->snap = pu_json_load(snap_path);
    assert_non_null(fx->snap);
    print_warnings();
    check_arenas(fx->child.truth);
    check_sizes(member(fx->child.truth, "main"));
    check_chunk_parts(fx->child.truth);
    expect_none("heap statistics from a core");
    unlink(core);
}

/* Threads that malloc and free while the walk reads: it ends, exit 0, what tore is a warning. */
static void test_changing_heaps(void **state)
{
    start_sample("--churn", "3", NULL);
    for (int i = 0; i < 3; i++) {
        run_vmmap("heaps", pid_arg(), "-q", NULL);
        expect_exit(0);
        assert_non_null(strstr(fx->run.out, "glibc arena"));
        run_vmmap("heaps", pid_arg(), "--blocks", "-q", NULL);
        expect_exit(0);
    }
}

/* The report checker (tests/report/check_xlsx.py, openpyxl) on an output of the snapshot. */
static void check_report(const char *mode, const char *snapshot_path, const char *out)
{
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char *argv[] = {(char *)py, (char *)"tests/report/check_xlsx.py", (char *)mode, (char *)snapshot_path,
                    (char *)out, NULL};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, NULL, &r) != 0)
        fail_msg("cannot run the checker: %s", pu_last_error());
    if (r.exit_code != 0)
        fail_msg("check_xlsx.py %s %s:\n%s%s", mode, out, r.out, r.err);
    pu_run_result_free(&r);
}

static void test_outputs_and_errors(void **state)
{
    start_sample("--threads", "1", NULL);
    char path[320];
    const char *exts[] = {"json", "xlsx", "csv"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/heaps.%s", fx->dir, exts[i]);
        run_vmmap("heaps", pid_arg(), "-o", path, "-q", NULL);
        expect_exit(0);
        assert_true(pu_file_exists(path));
    }
    /* the JSON is a snapshot that loads again, with the walk */
    snprintf(path, sizeof path, "%s/heaps.json", fx->dir);
    run_vmmap("heaps", path, NULL);
    expect_exit(0);
    assert_non_null(strstr(fx->run.out, "glibc main arena"));
    assert_non_null(strstr(fx->run.out, "3 heaps, 3 walked")); /* main arena, the thread's, mmapped */
    /* the notes under the table: the mmapped chunks' flags, and no line ending in a separator
     * ("flags malloc >= mmap threshold;" with nothing after it) */
    const char *flags_note = strstr(fx->run.out, "(glibc mmap chunks): flags ");
    assert_non_null(flags_note);
    for (const char *l = fx->run.out; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (len && l[len - 1] == ';')
            fail_msg("a heaps line ends with ';': %.*s", (int)len, l);
        l += len + (e ? 1 : 0);
    }
    snprintf(path, sizeof path, "%s/heaps.csv", fx->dir);
    char *csv = pu_read_file(path, NULL);
    assert_non_null(csv);
    assert_non_null(strstr(csv, "\"Heap\",\"Kind\",\"Address\""));
    assert_non_null(strstr(csv, "\"Heap\",\"Block size (bytes)\",\"Busy\",\"Free\",\"Cached\",\"Total (K)\""));
    free(csv);
    /* the workbook's Heaps and Sizes sheets and the heaps CSV, read back against the snapshot */
    char json[320], out[320];
    snprintf(json, sizeof json, "%s/heaps.json", fx->dir);
    snprintf(out, sizeof out, "%s/again.xlsx", fx->dir);
    run_vmmap("report", json, "-o", out, "-q", NULL);
    expect_exit(0);
    check_report("xlsx", json, out);
    snprintf(out, sizeof out, "%s/again.csv", fx->dir);
    run_vmmap("heaps", json, "-o", out, "-q", NULL);
    expect_exit(0);
    check_report("heapscsv", json, out);
    /* --blocks needs memory: a snapshot file has none */
    snprintf(path, sizeof path, "%s/heaps.json", fx->dir);
    run_vmmap("heaps", path, "--blocks", NULL);
    expect_exit(2);
    assert_non_null(strstr(fx->run.err, "vmmap: error: heaps --blocks: a snapshot file has no memory"));
    assert_non_null(strstr(fx->run.err, "vmmap: hint:"));
    run_vmmap("heaps", pid_arg(), "--heap", "99", NULL);
    expect_exit(2);
    assert_non_null(strstr(fx->run.err, "no heap with id 99"));
    run_vmmap("heaps", pid_arg(), "--heap", "x", NULL);
    expect_exit(2);
    run_vmmap("heaps", pid_arg(), "--heap", "1", "-q", NULL);
    expect_exit(0);
    assert_non_null(strstr(fx->run.out, "1 heap, 1 walked"));
    run_vmmap("heaps", pid_arg(), "--no-heaps", NULL);
    expect_exit(2);
}

/* A heap whose busy bytes only grow: `diff` shows them changing, `watch --heap-blocks` flags
 * the heap's busy series GROWING (grower mallocs 256 KiB every 200 ms in its own arena). */
static void test_busy_growth(void **state)
{
    char *grower = pu_build_path("samples/grower");
    char *argv[] = {grower, NULL};
    if (pu_sample_start(&fx->child, argv, 10000) != 0)
        fail_msg("cannot start grower: %s", pu_last_error());
    free(grower);
    uint64_t arena = hex_of(fx->child.truth, "arena");
    char a[320], b[320], d[320], series[320];
    snprintf(a, sizeof a, "%s/before.json", fx->dir);
    snprintf(b, sizeof b, "%s/after.json", fx->dir);
    snprintf(d, sizeof d, "%s/diff.json", fx->dir);
    run_vmmap("snapshot", pid_arg(), "--heap-blocks", "-o", a, "-q", NULL);
    expect_exit(0);
    pu_sleep_ms(700);
    run_vmmap("snapshot", pid_arg(), "--heap-blocks", "-o", b, "-q", NULL);
    expect_exit(0);
    run_vmmap("diff", a, b, "-o", d, "-q", NULL);
    expect_exit(0);
    cJSON *j = pu_json_load(d);
    assert_non_null(j);
    bool seen = false;
    const cJSON *h;
    cJSON_ArrayForEach(h, member(j, "heaps"))
    {
        uint64_t addr;
        const cJSON *nw = cJSON_GetObjectItemCaseSensitive(h, "new");
        if (!cJSON_IsObject(nw) || pu_json_hex(nw, "address", &addr) != 0 || addr != arena)
            continue;
        seen = true;
        const cJSON *bd = cJSON_GetObjectItemCaseSensitive(h, "busy_delta");
        expect(cJSON_IsNumber(bd) && bd->valuedouble >= 2 * 256 * 1024, "busy_delta %g >= 512 K",
               cJSON_IsNumber(bd) ? bd->valuedouble : -1);
        expect(u64_of(nw, "busy_bytes") > u64_of(member(h, "old"), "busy_bytes"), "busy bytes grew");
    }
    cJSON_Delete(j);
    expect(seen, "the grower's arena 0x%" PRIx64 " is among the heaps that changed", arena);
    snprintf(series, sizeof series, "%s/w.jsonl", fx->dir);
    run_vmmap("watch", pid_arg(), "--heap-blocks", "-i", "300ms", "-n", "5", "-o", series, "-q", NULL);
    expect_exit(0);
    char want[128];
    snprintf(want, sizeof want, "heap glibc arena 0x%" PRIx64 " busy", arena);
    const char *line = strstr(fx->run.out, want);
    expect(line != NULL, "watch prints the arena's busy series (%s)", want);
    const char *eol = line ? strchr(line, '\n') : NULL;
    expect(line && eol && memmem(line, (size_t)(eol - line), "GROWING", 7), "and flags it GROWING:\n%s", fx->run.out);
    expect_none("busy bytes over time");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_threads_one_at_a_time, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_threads_at_once, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_single_threaded_main_arena, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_mmapped_chunks_counted, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_core_file, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_changing_heaps, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_outputs_and_errors, per_test_setup, per_test_teardown),
        cmocka_unit_test_setup_teardown(test_busy_growth, per_test_setup, per_test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
