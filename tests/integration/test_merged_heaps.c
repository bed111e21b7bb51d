/* Heap parts in a VMA the kernel merged with other anonymous memory (samples/linux/merged.c): an
 * mmapped malloc chunk with the program's own memory right above it, and a thread's arena heap
 * with memory right below its base.  Each heap part must be a block and an allocation of its own,
 * labelled Heap; the memory beside it stays Private Data, its own allocation.  The counters of the
 * pieces of one VMA: sizes exact, Committed and Private exact where they follow from the size,
 * the working set of each piece equal to the pages the sample found resident in it (mincore).
 * The same for a chunk at the top of a VMA above other memory and one between two other mappings
 * (found through glibc's own count of its chunks), and that count: mallinfo2's hblks, hblkhd.
 * A chunk and other memory with pages that were only read (they map the shared zero page, which
 * pagemap shows present and smaps does not count): each piece's working set is its pages written,
 * and the pieces add up to the VMA's smaps Rss, Private and Pss exactly.
 * Checked with the early pass (the default) and without it (VMMAP_TEST_EARLY_PASS=off), and with
 * glibc's files named as before 2.34 (libc-2.31.so, ld-2.31.so): the same, and glibc's thread list
 * read from them. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "tests/support/truth_check.h"

#define RUN_MS 60000

typedef struct fixture {
    pu_child child;
    pu_child *cur; /* the sample being checked: child, or one started by a test */
    char dir[256];
    uint64_t page;
} fixture;

static fixture fx;

static int setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    fx.child.stdin_fd = fx.child.stdout_fd = -1;
    char *sample = pu_build_path("samples/merged");
    char *argv[] = {sample, NULL};
    int rc = pu_sample_start(&fx.child, argv, 10000);
    free(sample);
    if (rc != 0) {
        fprintf(stderr, "test_merged_heaps: cannot start the sample: %s\n", pu_last_error());
        return -1;
    }
    fx.page = u64_of(fx.child.truth, "page_size");
    fx.cur = &fx.child;
    return pu_tempdir(fx.dir, sizeof fx.dir);
}

static int teardown(void **state)
{
    if (fx.child.pid > 0)
        pu_child_stop(&fx.child, 5000);
    if (fx.dir[0])
        pu_tempdir_remove(fx.dir);
    return 0;
}

/* A snapshot of fx.cur, with the environment variable env (NAME=VALUE) when not NULL. */
static cJSON *snapshot(const char *env)
{
    char *vmmap = pu_build_path("vmmap");
    char pid[32], out[512], name[64] = "";
    snprintf(pid, sizeof pid, "%d", (int)fx.cur->pid);
    snprintf(out, sizeof out, "%s/snap.json", fx.dir);
    char *argv[] = {vmmap, "snapshot", pid, "-o", out, "-q", NULL};
    const char *eq = env ? strchr(env, '=') : NULL;
    if (eq && (size_t)(eq - env) < sizeof name)
        memcpy(name, env, (size_t)(eq - env));
    pu_run_opts opts = {.env_name = eq ? name : NULL, .env_value = eq ? eq + 1 : NULL, .timeout_ms = RUN_MS};
    pu_run_result r;
    memset(&r, 0, sizeof r);
    if (pu_run(argv, &opts, &r) != 0 || r.exit_code != 0)
        fail_msg("vmmap snapshot %s: exit %d\n%s", pid, r.exit_code, r.err ? r.err : "");
    pu_run_result_free(&r);
    free(vmmap);
    char why[512];
    if (!loads_again(out, why, sizeof why))
        fail_msg("the snapshot does not load again: %s", why);
    cJSON *snap = pu_json_load(out);
    if (!snap)
        fail_msg("%s", pu_last_error());
    unlink(out);
    return snap;
}

static uint64_t counter(const cJSON *b, const char *name)
{
    const cJSON *v = b ? cJSON_GetObjectItemCaseSensitive(b, name) : NULL;
    return cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : UINT64_MAX; /* MAX: unknown */
}

/* The piece of the ground truth named key is one block and one region of its own, of type type
 * (and heap kind heap_kind when not NULL), with Total WS its resident pages; committed is what
 * Committed and Private must be (UINT64_MAX: the resident bytes). */
static void expect_piece(const cJSON *snap, const char *label, const char *key, const char *type,
                         const char *heap_kind, uint64_t committed)
{
    const cJSON *t = member(fx.cur->truth, key);
    /* pieces with pages only read: the pages written, as smaps leaves the zero page out */
    const char *pages = cJSON_GetObjectItemCaseSensitive(t, "written") ? "written" : "resident";
    uint64_t addr = hex_of(t, "address"), size = u64_of(t, "size"), ws = u64_of(t, pages) * fx.page;
    const cJSON *region = NULL;
    const cJSON *b = pu_snapshot_find_block(snap, addr, &region);
    char d[400];
    expect(b != NULL, "%s %s: no block holds 0x%" PRIx64, label, key, addr);
    if (!b)
        return;
    describe(b, d, sizeof d);
    expect(hex_of(b, "address") == addr && u64_of(b, "size") == size,
           "%s %s: want a block of its own at 0x%" PRIx64 " +%" PRIu64 ", found %s", label, key, addr, size, d);
    expect(str_is(b, "type", type), "%s %s: want %s, found %s", label, key, type, d);
    expect(hex_of(region, "address") == addr, "%s %s: its region starts at %s, not at the piece",
           label, key, str_or(region, "address"));
    if (heap_kind) {
        const cJSON *h = pu_snapshot_block_heap(snap, b);
        expect(h && str_is(h, "kind", heap_kind), "%s %s: heap kind %s, want %s", label, key,
               h ? str_or(h, "kind") : "(no heap link)", heap_kind);
    } else {
        expect(!cJSON_GetObjectItemCaseSensitive(b, "heap"), "%s %s: linked to a heap: %s", label, key, d);
    }
    uint64_t want_committed = committed == UINT64_MAX ? ws : committed;
    static const char *const same_as_ws[] = {"total_ws", "private_ws", "pss"};
    for (size_t i = 0; i < sizeof same_as_ws / sizeof *same_as_ws; i++)
        expect(counter(b, same_as_ws[i]) == ws, "%s %s: %s %" PRIu64 ", want %" PRIu64 " (%" PRIu64 " pages resident)",
               label, key, same_as_ws[i], counter(b, same_as_ws[i]), ws, ws / fx.page);
    static const char *const zero[] = {"shareable_ws", "shared_ws", "locked_ws", "swap"};
    for (size_t i = 0; i < sizeof zero / sizeof *zero; i++)
        expect(counter(b, zero[i]) == 0, "%s %s: %s %" PRIu64 ", want 0", label, key, zero[i], counter(b, zero[i]));
    expect(counter(b, "committed") == want_committed && counter(b, "private") == want_committed,
           "%s %s: committed %" PRIu64 " private %" PRIu64 ", want %" PRIu64, label, key, counter(b, "committed"),
           counter(b, "private"), want_committed);
}

/* The blocks inside the VMA of the ground truth named key add up to that VMA's smaps Rss, Private
 * (clean + dirty) and Pss, read after the snapshot (the sample holds still), exactly. */
static void expect_vma_sums(const cJSON *snap, const char *label, const char *key)
{
    uint64_t start = hex_of(member(fx.cur->truth, key), "address");
    pu_smaps_map *maps = NULL;
    size_t n = 0;
    if (pu_read_smaps(fx.cur->pid, &maps, &n) != 0)
        fail_msg("%s", pu_last_error());
    const pu_smaps_map *m = NULL;
    for (size_t i = 0; i < n && !m; i++)
        if (maps[i].start == start)
            m = &maps[i];
    expect(m != NULL, "%s %s: no smaps mapping starts at 0x%" PRIx64, label, key, start);
    if (m) {
        static const char *const names[] = {"total_ws", "private_ws", "pss"};
        uint64_t want[] = {m->rss, m->private_clean + m->private_dirty, m->pss}, sum[3] = {0, 0, 0};
        size_t blocks = 0;
        const cJSON *region, *b;
        cJSON_ArrayForEach(region, member(snap, "regions"))
            cJSON_ArrayForEach(b, member(region, "blocks"))
            {
                uint64_t a = hex_of(b, "address");
                if (a < m->start || a >= m->end)
                    continue;
                blocks++;
                for (int k = 0; k < 3; k++)
                    sum[k] = counter(b, names[k]) == UINT64_MAX || sum[k] == UINT64_MAX ? UINT64_MAX
                                                                                       : sum[k] + counter(b, names[k]);
            }
        expect(blocks >= 2, "%s %s: the VMA is %zu block(s), not cut", label, key, blocks);
        for (int k = 0; k < 3; k++)
            expect(sum[k] == want[k], "%s %s: the blocks' %s add up to %" PRIu64 " (UINT64_MAX: unknown), smaps says %"
                   PRIu64, label, key, names[k], sum[k], want[k]);
    }
    free(maps);
}

/* Every check of fx.cur's snapshot (taken with env, when not NULL); the snapshot is returned for
 * more. */
static cJSON *check(const char *label, const char *env)
{
    g_errors = 0;
    cJSON *snap = snapshot(env);
    const cJSON *truth = fx.cur->truth;
    expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(truth, "merged")),
           "the kernel did not merge the sample's mappings: nothing to test (%s)", fx.cur->first_line);
    /* ac (accounted) mappings: Committed and Private are the size; NORESERVE: what is resident */
    expect_piece(snap, label, "chunk", "Heap", "glibc mmap chunks", u64_of(member(truth, "chunk"), "size"));
    expect_piece(snap, label, "chunk_other", "Private Data", NULL, u64_of(member(truth, "chunk_other"), "size"));
    /* chunks above other memory and between two other mappings: found through glibc's count */
    static const char *const chunks[] = {"top_chunk", "mid_chunk"};
    static const char *const others[] = {"top_below", "mid_below", "mid_above"};
    for (size_t i = 0; i < 2; i++)
        expect_piece(snap, label, chunks[i], "Heap", "glibc mmap chunks", u64_of(member(truth, chunks[i]), "size"));
    for (size_t i = 0; i < 3; i++)
        expect_piece(snap, label, others[i], "Private Data", NULL, u64_of(member(truth, others[i]), "size"));
    /* every mmapped chunk, as many and as big as glibc says (mallinfo2: hblks, hblkhd) */
    uint64_t n = 0, bytes = 0;
    const cJSON *h;
    cJSON_ArrayForEach(h, member(snap, "heaps"))
        if (str_is(h, "kind", "glibc mmap chunks")) {
            const cJSON *part;
            cJSON_ArrayForEach(part, member(h, "parts"))
            {
                n++;
                bytes += u64_of(part, "size");
            }
        }
    const cJSON *mi = member(truth, "mallinfo2");
    expect(n == u64_of(mi, "hblks") && bytes == u64_of(mi, "hblkhd"),
           "%s %" PRIu64 " mmapped chunks of %" PRIu64 " bytes, mallinfo2 says %" PRIu64 " of %" PRIu64, label, n, bytes,
           u64_of(mi, "hblks"), u64_of(mi, "hblkhd"));
    /* a chunk and other memory with pages only read (the zero page): each piece's working set is
     * its pages written, and the pieces add up to the VMA's smaps figures */
    expect_piece(snap, label, "zero_chunk", "Heap", "glibc mmap chunks", u64_of(member(truth, "zero_chunk"), "size"));
    expect_piece(snap, label, "zero_other", "Private Data", NULL, u64_of(member(truth, "zero_other"), "size"));
    expect_vma_sums(snap, label, "zero_vma");
    expect_piece(snap, label, "arena_heap", "Heap", "glibc arena", UINT64_MAX);
    expect_piece(snap, label, "arena_below", "Private Data", NULL, UINT64_MAX);
    /* the arena heap's allocation goes on over its PROT_NONE reservation, to base + 64 MiB */
    const cJSON *r = pu_snapshot_find_region(snap, hex_of(member(truth, "arena_heap"), "address"));
    expect(r && u64_of(r, "size") == 64 << 20 && str_is(r, "type", "Heap"),
           "%s the arena heap's region is %s +%" PRId64 ", want 64 MiB of Heap", label, r ? str_or(r, "type") : "-",
           r ? int_or(r, "size", -1) : -1);
    return snap;
}

static void test_pieces_early_pass(void **state)
{
    cJSON_Delete(check("early pass:", NULL));
    expect_none("early pass");
}

static void test_pieces_plain_pass(void **state)
{
    cJSON_Delete(check("early pass off:", "VMMAP_TEST_EARLY_PASS=off"));
    expect_none("early pass off");
}

/* The mapped file holding text in this process's maps, its last component starting with prefix. */
static bool own_mapping(const char *prefix, char *path, size_t len)
{
    char *maps = pu_read_file("/proc/self/maps", NULL);
    bool found = false;
    for (char *line = maps; line && *line && !found;) {
        char *nl = strchr(line, '\n'), *name = strchr(line, '/');
        if (nl)
            *nl = '\0';
        const char *base = name ? strrchr(name, '/') + 1 : NULL;
        if (base && strncmp(base, prefix, strlen(prefix)) == 0 && strlen(name) < len) {
            strcpy(path, name);
            found = true;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(maps);
    return found;
}

static bool copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *data = pu_read_file(from, &len);
    FILE *f = data ? fopen(to, "wb") : NULL;
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f)
        ok = fclose(f) == 0 && ok;
    free(data);
    return ok && chmod(to, 0755) == 0;
}

/* glibc before 2.34 is libc-2.NN.so and ld-2.NN.so (libc.so.6 and ld-linux-x86-64.so.2 being
 * symbolic links to them), and the maps name those files.  The sample runs so: this machine's
 * libc copied as libc-2.31.so behind a libc.so.6 link, started by its loader copied as
 * ld-2.31.so.  libc must be known by that name too: main_arena and mp_ (the chunks inside merged
 * mappings) found in its data, and glibc's thread list read (the only stack method allowed). */
static void test_old_glibc_file_names(void **state)
{
    char libc[512], ld[512], dir[256], to[600];
    if (!own_mapping("libc.so.6", libc, sizeof libc) && !own_mapping("libc-2.", libc, sizeof libc))
        fail_msg("no libc in this process's maps");
    if (!own_mapping("ld-linux", ld, sizeof ld) && !own_mapping("ld-2.", ld, sizeof ld))
        fail_msg("no loader in this process's maps");
    if (pu_tempdir(dir, sizeof dir) != 0)
        fail_msg("%s", pu_last_error());
    snprintf(to, sizeof to, "%s/libc-2.31.so", dir);
    bool made = copy_file(libc, to);
    snprintf(to, sizeof to, "%s/libc.so.6", dir);
    made = made && symlink("libc-2.31.so", to) == 0;
    snprintf(to, sizeof to, "%s/ld-2.31.so", dir);
    made = made && copy_file(ld, to);
    if (!made) {
        pu_tempdir_remove(dir);
        fail_msg("cannot copy %s and %s into %s", libc, ld, dir);
    }
    char *sample = pu_build_path("samples/merged");
    char *argv[] = {to, "--library-path", dir, sample, NULL};
    pu_child old;
    memset(&old, 0, sizeof old);
    old.stdin_fd = old.stdout_fd = -1;
    int rc = pu_sample_start(&old, argv, 10000);
    free(sample);
    if (rc != 0) {
        pu_tempdir_remove(dir);
        fail_msg("cannot start the sample through %s: %s", to, pu_last_error());
    }
    fx.cur = &old;
    cJSON *snap = check("old glibc names:", "VMMAP_TEST_STACK_METHODS=glibc");
    fx.cur = &fx.child;
    const cJSON *m, *h, *t, *w;
    bool named = false, main_arena = false;
    cJSON_ArrayForEach(m, member(snap, "modules"))
        named |= strstr(str_or(m, "path"), "/libc-2.31.so") != NULL;
    expect(named, "old glibc names: no module is libc-2.31.so");
    cJSON_ArrayForEach(h, member(snap, "heaps"))
        main_arena |= str_is(h, "kind", "glibc main arena") && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(h, "address"));
    expect(main_arena, "old glibc names: the main arena's address is not known");
    cJSON_ArrayForEach(t, member(snap, "threads"))
        expect(str_is(t, "found_by", "glibc thread list") || str_is(t, "found_by", "[stack] mapping"),
               "old glibc names: thread %" PRId64 " found by %s", int_or(t, "tid", -1), str_or(t, "found_by"));
    cJSON_ArrayForEach(w, member(snap, "warnings"))
        expect(!str_is(w, "code", "heap-invalid") && !str_is(w, "code", "heap-chunks") &&
                   !str_is(w, "code", "thread-stack") && !str_is(w, "code", "threads-glibc"),
               "old glibc names: warning %s: %s", str_or(w, "code"), str_or(w, "message"));
    cJSON_Delete(snap);
    pu_child_stop(&old, 5000);
    pu_tempdir_remove(dir);
    expect_none("old glibc names");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pieces_early_pass),
        cmocka_unit_test(test_pieces_plain_pass),
        cmocka_unit_test(test_old_glibc_file_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
