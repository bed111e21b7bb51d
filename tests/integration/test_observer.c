/* vmmap must not change what it measures.  Reading a page of the target that is not there (never
 * touched, or swapped out) makes the kernel put one there: an anonymous page gets the zero page
 * or a new page, a file or special mapping ([vdso]) gets its page table entry, and the target's
 * Rss grows by vmmap's doing.  So every mapping's Rss as /proc/PID/smaps says it after the
 * snapshot must equal what the snapshot recorded for that mapping (the sum of its blocks'
 * total_ws: a mapping cut at heap parts is several blocks), exactly, for a fresh `sleep 60`
 * (whose [vdso] pages are not all there), for the bundled sample (heaps, stacks, a reservation, a
 * mmapped chunk, shared memory), and for the sample again with the heap walk, the owners' search
 * and the object census (--heap-blocks --objects read every busy block and the modules' data).
 * Nor may the pages in the page tables change (pagemap, per mapping, before and after): a page
 * only read maps the zero page, which no Rss counts (vmmap used to map pages so on thread stacks,
 * and in the heaps and modules' data with --heap-blocks --objects).  The [vdso] still shows its
 * sections: vmmap reads its own copy of the kernel's image. */
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

#include "tests/support/proc_util.h"
#include "tests/support/truth_check.h"

#define RUN_MS 120000

static char g_dir[256];

static int setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    return pu_tempdir(g_dir, sizeof g_dir);
}

static int teardown(void **state)
{
    if (g_dir[0])
        pu_tempdir_remove(g_dir);
    return 0;
}

static cJSON *snapshot(pid_t pid, const char *extra1, const char *extra2)
{
    char out[512];
    snprintf(out, sizeof out, "%s/snap.json", g_dir);
    cJSON *snap = pu_snapshot_pid(pid, out, extra1, extra2, &(pu_run_opts){.timeout_ms = RUN_MS});
    if (!snap)
        fail_msg("%s", pu_last_error());
    return snap;
}

/* The snapshot's total_ws and swap of every block inside [start, end). */
static void recorded(const cJSON *snap, uint64_t start, uint64_t end, uint64_t *rss, uint64_t *swap, bool *known)
{
    *rss = *swap = 0;
    *known = true;
    const cJSON *region, *block;
    cJSON_ArrayForEach(region, cJSON_GetObjectItemCaseSensitive(snap, "regions"))
        cJSON_ArrayForEach(block, cJSON_GetObjectItemCaseSensitive(region, "blocks"))
        {
            uint64_t a = 0;
            if (pu_json_hex(block, "address", &a) != 0 || a < start || a >= end)
                continue;
            uint64_t ws = 0, sw = 0;
            if (pu_json_u64(block, "total_ws", &ws) != 0 || pu_json_u64(block, "swap", &sw) != 0)
                *known = false;
            *rss += ws;
            *swap += sw;
        }
}

/* The [vdso] is split into its sections all the same: read from vmmap's own copy of the image. */
static void expect_vdso_sections(const cJSON *snap, const char *what)
{
    const cJSON *mod, *w;
    size_t sections = 0;
    cJSON_ArrayForEach(mod, cJSON_GetObjectItemCaseSensitive(snap, "modules"))
        if (str_is(mod, "path", "[vdso]"))
            sections = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(mod, "sections"));
    expect(sections >= 3, "%s: the [vdso] module has %zu sections", what, sections);
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(snap, "warnings"))
        expect(!strstr(str_or(w, "message"), "[vdso]"), "%s: warning %s", what, str_or(w, "message"));
}

/* The pages of each mapping of pid that are in its page tables (pagemap bit 63): a page only
 * read maps the shared zero page, which Rss does not count but the page tables do.  counts[i]
 * for maps[i]; false when pagemap cannot be read. */
static bool present_pages(pid_t pid, const pu_smaps_map *maps, size_t n, uint64_t *counts)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        counts[i] = 0;
        if (maps[i].start >= 0x800000000000ull) /* [vsyscall]: no entries */
            continue;
        ok = fseeko(f, (off_t)(maps[i].start / 4096 * 8), SEEK_SET) == 0;
        for (uint64_t a = maps[i].start; ok && a < maps[i].end; a += 4096) {
            uint64_t e;
            ok = fread(&e, sizeof e, 1, f) == 1;
            counts[i] += ok && (e >> 63);
        }
    }
    fclose(f);
    return ok;
}

/* Snapshots pid with the given options, then compares every mapping's Rss and Swap in smaps with
 * the snapshot's, and the pages in its page tables with those before.  what names the case. */
static void check_unchanged(pid_t pid, const char *what, const char *extra1, const char *extra2)
{
    g_errors = 0;
    pu_smaps_map *before = NULL;
    size_t nbefore = 0;
    if (pu_read_smaps(pid, &before, &nbefore) != 0)
        fail_msg("%s: %s", what, pu_last_error());
    uint64_t *pages_before = calloc(nbefore, sizeof *pages_before);
    if (!pages_before || !present_pages(pid, before, nbefore, pages_before))
        fail_msg("%s: cannot read /proc/%d/pagemap", what, (int)pid);
    cJSON *snap = snapshot(pid, extra1, extra2);
    expect_vdso_sections(snap, what);
    pu_smaps_map *maps = NULL;
    size_t n = 0;
    if (pu_read_smaps(pid, &maps, &n) != 0)
        fail_msg("%s: %s", what, pu_last_error());
    size_t compared = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t rss, swap;
        bool known;
        recorded(snap, maps[i].start, maps[i].end, &rss, &swap, &known);
        expect(known, "%s: %" PRIx64 "-%" PRIx64 " %s: a block's total_ws or swap is unknown", what, maps[i].start,
               maps[i].end, maps[i].name);
        expect(rss == maps[i].rss && swap == maps[i].swap,
               "%s: %" PRIx64 "-%" PRIx64 " %s: the snapshot recorded Rss %" PRIu64 " kB, Swap %" PRIu64
               " kB; smaps says %" PRIu64 " kB, %" PRIu64 " kB after it (vmmap's reads brought pages in)",
               what, maps[i].start, maps[i].end, maps[i].name, rss >> 10, swap >> 10, maps[i].rss >> 10,
               maps[i].swap >> 10);
        compared++;
    }
    expect(compared > 10, "%s: only %zu mappings compared", what, compared);
    uint64_t *pages_after = calloc(nbefore, sizeof *pages_after);
    if (!pages_after || !present_pages(pid, before, nbefore, pages_after))
        fail_msg("%s: cannot read /proc/%d/pagemap", what, (int)pid);
    for (size_t i = 0; i < nbefore; i++)
        expect(pages_after[i] == pages_before[i], "%s: %" PRIx64 "-%" PRIx64 " %s: %" PRIu64 " pages in the page "
               "tables before the snapshot, %" PRIu64 " after", what, before[i].start, before[i].end, before[i].name,
               pages_before[i], pages_after[i]);
    free(pages_before);
    free(pages_after);
    free(before);
    free(maps);
    cJSON_Delete(snap);
    expect_none(what);
}

static void test_sleep(void **state)
{
    pu_child child;
    memset(&child, 0, sizeof child);
    child.stdin_fd = child.stdout_fd = -1;
    if (pu_sleep_start(&child, "60") != 0)
        fail_msg("cannot start sleep: %s", pu_last_error());
    check_unchanged(child.pid, "sleep 60", NULL, NULL);
    pu_child_kill(&child);
}

static void test_sample(void **state)
{
    char *sample = pu_build_path("samples/sample");
    char *argv[] = {sample, NULL};
    pu_child child;
    memset(&child, 0, sizeof child);
    child.stdin_fd = child.stdout_fd = -1;
    int rc = pu_sample_start(&child, argv, 10000);
    free(sample);
    if (rc != 0)
        fail_msg("cannot start the sample: %s", pu_last_error());
    check_unchanged(child.pid, "sample", NULL, NULL);
    check_unchanged(child.pid, "sample, --heap-blocks --objects", "--heap-blocks", "--objects");
    pu_child_stop(&child, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sleep),
        cmocka_unit_test(test_sample),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
