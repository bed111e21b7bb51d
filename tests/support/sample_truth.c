/* The Linux sample's ground truth (samples/linux/sample.c) checked against a snapshot of it: its
 * heaps, thread stacks, mappings and images, each item typed as the sample says.  Used on the
 * live snapshot (test_linux_sample) and on the snapshots of cores of the sample (test_core_sample). */
#include "sample_truth.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proc_util.h"
#include "truth_check.h"

/* The block holding addr must have type `type` (and heap kind `heap_kind` when not NULL); returns
 * the block (NULL when none). */
static const cJSON *expect_at(const cJSON *snap, const char *what, uint64_t addr, const char *type,
                              const char *heap_kind)
{
    char d[256];
    const cJSON *b = pu_snapshot_find_block(snap, addr, NULL);
    expect(b != NULL, "%s 0x%" PRIx64 ": no block contains it", what, addr);
    if (!b)
        return NULL;
    expect(str_is(b, "type", type), "%s 0x%" PRIx64 ": want type %s, got %s", what, addr, type,
           describe(b, d, sizeof d));
    if (heap_kind) {
        const cJSON *h = pu_snapshot_block_heap(snap, b);
        expect(h != NULL, "%s 0x%" PRIx64 ": %s has no heap link to a heaps[] entry", what, addr,
               describe(b, d, sizeof d));
        if (h)
            expect(str_is(h, "kind", heap_kind), "%s 0x%" PRIx64 ": want heap kind \"%s\", got \"%s\"", what, addr,
                   heap_kind, str_or(h, "kind"));
    }
    return b;
}

static void check_heaps(const cJSON *snap, const cJSON *truth)
{
    const cJSON *item;
    int i = 0;
    cJSON_ArrayForEach(item, member(truth, "small_malloc"))
    {
        char what[64];
        snprintf(what, sizeof what, "small_malloc[%d]", i++);
        expect_at(snap, what, hex_of(item, "address"), "Heap", "glibc main arena");
    }
    expect(i > 0, "ground truth lists no small_malloc");
    expect_at(snap, "large_malloc", hex_of(member(truth, "large_malloc"), "address"), "Heap", "glibc mmap chunks");

    /* Arena allocations: "glibc arena"; allocations from the same arena share a heap id, from
     * different arenas (as the sample saw them: heap_info.ar_ptr) have different ids. */
    int64_t ids[16];
    uint64_t arenas[16];
    int n = 0;
    cJSON_ArrayForEach(item, member(truth, "arena_allocs"))
    {
        if (n == 16)
            break;
        char what[64];
        snprintf(what, sizeof what, "arena_allocs[%d] (tid %" PRId64 ")", n, int_or(item, "tid", 0));
        const cJSON *b = expect_at(snap, what, hex_of(item, "address"), "Heap", "glibc arena");
        const cJSON *link = cJSON_GetObjectItemCaseSensitive(b, "heap");
        ids[n] = int_or(link, "id", -1);
        arenas[n] = hex_of(item, "arena");
        n++;
    }
    expect(n == 3, "ground truth lists %d arena_allocs, want 3", n);
    int distinct = 0;
    for (int a = 0; a < n; a++) {
        bool seen = false;
        for (int b = 0; b < a; b++) {
            seen |= ids[b] == ids[a];
            if (arenas[a] != arenas[b])
                expect(ids[a] != ids[b], "arena_allocs[%d] and [%d] are in different arenas (0x%" PRIx64 ", 0x%" PRIx64
                       ") but share heap id %" PRId64, b, a, arenas[b], arenas[a], ids[a]);
            else
                expect(ids[a] == ids[b], "arena_allocs[%d] and [%d] share arena 0x%" PRIx64
                       " but have heap ids %" PRId64 " and %" PRId64, b, a, arenas[a], ids[b], ids[a]);
        }
        if (!seen && ids[a] >= 0)
            distinct++;
    }
    expect(distinct >= 2, "the 3 workers' allocations are in %d distinct arena heap(s), want >= 2", distinct);
}

static void check_threads(const cJSON *snap, const cJSON *truth)
{
    char d[256];
    int64_t pid = int_or(truth, "pid", -1);
    const cJSON *t;
    int nthreads = 0;
    cJSON_ArrayForEach(t, member(truth, "threads"))
    {
        nthreads++;
        int64_t tid = int_or(t, "tid", -1);
        bool is_main = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "main"));
        uint64_t local = hex_of(t, "stack_local");
        uint64_t want_size = u64_of(t, "stack_size");
        char what[96];
        snprintf(what, sizeof what, "thread %" PRId64 " (%s) stack local", tid, str_or(t, "name"));

        const cJSON *region = NULL;
        const cJSON *b = pu_snapshot_find_block(snap, local, &region);
        expect(b != NULL, "%s 0x%" PRIx64 ": no block contains it", what, local);
        if (!b)
            continue;
        expect(str_is(b, "type", "Stack"), "%s: want type Stack, got %s", what, describe(b, d, sizeof d));
        expect(int_or(b, "thread", 0) == tid, "%s: want thread %" PRId64 ", got %" PRId64 " in %s", what, tid,
               int_or(b, "thread", 0), describe(b, d, sizeof d));
        if (is_main)
            expect(tid == pid, "main thread tid %" PRId64 " != pid %" PRId64, tid, pid);

        uint64_t ra = 0, rs = 0;
        if (!region || pu_json_hex(region, "address", &ra) != 0 || pu_json_u64(region, "size", &rs) != 0) {
            expect(false, "%s: its region has no address/size", what);
            continue;
        }
        expect(str_is(region, "type", "Stack"), "%s: region type %s, want Stack", what, str_or(region, "type"));
        expect(rs >= want_size, "%s: region size %" PRIu64 " < requested stack size %" PRIu64, what, rs, want_size);

        /* Every block of the stack region belongs to the thread; the lowest is the guard. */
        const cJSON *lowest = NULL;
        uint64_t lowest_addr = UINT64_MAX;
        const cJSON *rb;
        cJSON_ArrayForEach(rb, cJSON_GetObjectItemCaseSensitive(region, "blocks"))
        {
            uint64_t a = 0;
            pu_json_hex(rb, "address", &a);
            if (a < lowest_addr) {
                lowest_addr = a;
                lowest = rb;
            }
            if (str_is(rb, "type", "Stack"))
                expect(int_or(rb, "thread", 0) == tid, "%s: stack %s has thread %" PRId64 ", want %" PRId64, what,
                       describe(rb, d, sizeof d), int_or(rb, "thread", 0), tid);
        }
        if (is_main)
            continue;
        expect(lowest && lowest_addr == ra, "%s: region's lowest block does not start at the region", what);
        if (!lowest)
            continue;
        bool guardish = str_is(lowest, "state", "reserve") || str_is(lowest, "protection", "No access");
        expect(guardish && str_has(pu_json_str(lowest, "details"), "guard"),
               "%s: lowest block of the stack region is not a guard (state reserve or No access, details "
               "mentioning guard): %s", what, describe(lowest, d, sizeof d));
        expect(str_is(lowest, "type", "Stack") && int_or(lowest, "thread", 0) == tid,
               "%s: guard block should be Stack with thread %" PRId64 ": %s", what, tid, describe(lowest, d, sizeof d));
    }
    expect(nthreads == 8, "ground truth lists %d threads, want 8 (main, 3 workers, 4 sized)", nthreads);
}

static void check_mappings(const cJSON *snap, const cJSON *truth)
{
    char d[256];
    const cJSON *r = member(truth, "reservation");
    uint64_t ra = hex_of(r, "address"), rsize = u64_of(r, "size"), rcommit = u64_of(r, "committed");
    expect_range(snap, "reservation (committed part)", ra, ra + rcommit, "Private Data", "commit", 0);
    expect_range(snap, "reservation (reserved part)", ra + rcommit, ra + rsize, "Private Data", "reserve", 0);

    const cJSON *fm = member(truth, "file_mapping");
    uint64_t fa = hex_of(fm, "address");
    expect_range(snap, "file_mapping", fa, fa + u64_of(fm, "size"), "Mapped File", NULL, 0);
    const cJSON *b = pu_snapshot_find_block(snap, fa, NULL);
    const char *want_path = pu_json_str(fm, "path");
    if (b)
        expect(want_path && str_is(b, "path", want_path), "file_mapping: want path %s, got %s (%s)",
               want_path ? want_path : "?", str_or(b, "path"), describe(b, d, sizeof d));

    static const char *const shareable[] = {"shared_anon", "memfd", "sysv_shm"};
    for (size_t i = 0; i < sizeof shareable / sizeof *shareable; i++) {
        const cJSON *m = member(truth, shareable[i]);
        uint64_t a = hex_of(m, "address");
        expect_range(snap, shareable[i], a, a + u64_of(m, "size"), "Shareable", NULL, 0);
    }
    const cJSON *mf = member(truth, "memfd");
    b = pu_snapshot_find_block(snap, hex_of(mf, "address"), NULL);
    if (b) {
        char prefix[128];
        snprintf(prefix, sizeof prefix, "/memfd:%s", str_or(mf, "name"));
        const char *path = pu_json_str(b, "path");
        expect(path && strncmp(path, prefix, strlen(prefix)) == 0, "memfd: want a path starting %s, got %s", prefix,
               path ? path : "(none)");
    }

    /* A private anonymous mapping, named with PR_SET_VMA when the kernel supports it. */
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(truth, "named_anon");
    if (!na)
        return; /* left out by the caller: not in a gcore (test_core_sample.c) */
    uint64_t naa = hex_of(na, "address");
    expect_range(snap, "named_anon", naa, naa + u64_of(na, "size"), "Private Data", NULL, 0);
}

/* The block at addr is Image, linked to a module whose path is want_path, whose sections include
 * .text (containing text_addr when non-zero) and .data or .bss. */
static void check_image(const cJSON *snap, const char *what, uint64_t addr, const char *want_path, uint64_t text_addr)
{
    char d[256];
    const cJSON *b = expect_at(snap, what, addr, "Image", NULL);
    if (!b)
        return;
    const cJSON *m = pu_snapshot_block_module(snap, b);
    expect(m != NULL, "%s: %s has no module link", what, describe(b, d, sizeof d));
    if (!m)
        return;
    expect(str_is(m, "path", want_path), "%s: module path %s, want %s", what, str_or(m, "path"), want_path);
    const cJSON *text = pu_module_section(m, ".text");
    expect(text != NULL, "%s: module %s has no .text section", what, str_or(m, "path"));
    expect(pu_module_section(m, ".data") || pu_module_section(m, ".bss"), "%s: module %s has neither .data nor .bss",
           what, str_or(m, "path"));
    if (text && text_addr) {
        uint64_t ta = 0, ts = 0;
        pu_json_hex(text, "address", &ta);
        pu_json_u64(text, "size", &ts);
        expect(text_addr >= ta && text_addr - ta < ts, "%s: 0x%" PRIx64 " not inside .text [0x%" PRIx64 ", +%" PRIu64 ")",
               what, text_addr, ta, ts);
    }
}

static void check_images(const cJSON *snap, const cJSON *truth)
{
    const cJSON *im = member(truth, "images");
    const char *exe = pu_json_str(im, "exe");
    const char *libc = pu_json_str(im, "libc");
    if (!exe || !libc || !*libc)
        fail_msg("ground truth: images.exe / images.libc missing");
    uint64_t exe_text = hex_of(im, "exe_text"), libc_text = hex_of(im, "libc_text");
    check_image(snap, "executable .text", exe_text, exe, exe_text);
    check_image(snap, "executable .data", hex_of(im, "exe_data"), exe, 0);
    check_image(snap, "executable .bss", hex_of(im, "exe_bss"), exe, 0);
    check_image(snap, "libc .text", libc_text, libc, libc_text);
    check_image(snap, "libc .data", hex_of(im, "libc_data"), libc, 0);
}

void st_check_sample(const cJSON *snap, const cJSON *truth)
{
    check_heaps(snap, truth);
    check_threads(snap, truth);
    check_mappings(snap, truth);
    check_images(snap, truth);
}
