/* libFuzzer target for the /proc/PID/maps and smaps parsers: the text names files the target
 * chose, so any bytes must parse or be rejected cleanly, without leaks. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmmap/sources/linux/proc_smaps.h"
#include "vmmap/sources/linux/proc_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each line through the line parsers on their own, as a caller streaming the file would. */
static void parse_lines(const char *text, size_t size)
{
    vm_linux_mapping m;
    memset(&m, 0, sizeof m);
    const char *s = text, *end = text + size;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = (size_t)((nl ? nl : end) - s);
        vm_linux_mapping h;
        if (vm_linux_parse_maps_line(s, len, &h)) {
            /* A header we accept must be a real, non-empty range. */
            if (h.end <= h.start)
                abort();
            free(h.name);
        }
        vm_linux_parse_smaps_field(s, len, &m);
        s = nl ? nl + 1 : end;
    }
}

/* Every value a mapping holds, the same in a and b (names included). */
static bool same_mapping(const vm_linux_mapping *a, const vm_linux_mapping *b)
{
    return a->start == b->start && a->end == b->end && a->r == b->r && a->w == b->w && a->x == b->x &&
           a->shared == b->shared && a->offset == b->offset && a->dev_major == b->dev_major &&
           a->dev_minor == b->dev_minor && a->inode == b->inode && a->deleted == b->deleted &&
           strcmp(a->name ? a->name : "", b->name ? b->name : "") == 0 && !a->name == !b->name &&
           a->size == b->size && a->rss == b->rss && a->pss == b->pss && a->shared_clean == b->shared_clean &&
           a->shared_dirty == b->shared_dirty && a->private_clean == b->private_clean &&
           a->private_dirty == b->private_dirty && a->swap == b->swap && a->swap_pss == b->swap_pss &&
           a->locked == b->locked && a->anonymous == b->anonymous && a->vmflags == b->vmflags &&
           a->have == b->have;
}

/* Another parse of the same text against the whole-text parser's: same verdict, same mappings,
 * same error; aborts on any difference (got is freed). */
static void expect_same_parse(bool ok, const char *err, vm_linux_maps *got, bool whole_ok, const vm_linux_maps *whole,
                              const char *whole_err)
{
    if (ok != whole_ok || (!ok && strcmp(err, whole_err) != 0))
        abort();
    if (!ok)
        return;
    if (got->n != whole->n)
        abort();
    for (size_t i = 0; i < got->n; i++)
        if (!same_mapping(&got->v[i], &whole->v[i]))
            abort();
    vm_linux_maps_free(got);
}

/* The fast paths (field lines matched against the form the first mapping showed) must agree with
 * the general parse of every line by its name. */
static void compare_general(const char *text, size_t size, bool whole_ok, const vm_linux_maps *whole,
                            const char *whole_err)
{
    vm_linux_maps general;
    char err[128];
    vm_linux_parse_test_general_only(true);
    bool ok = vm_linux_parse_smaps_text(text, size, &general, err, sizeof err);
    vm_linux_parse_test_general_only(false);
    expect_same_parse(ok, err, &general, whole_ok, whole, whole_err);
}

/* The streaming parser (reader thread, chunks, lines carried across chunk boundaries) must
 * agree with the whole-text parser on every input. */
static void compare_streamed(const char *text, size_t size, bool whole_ok, const vm_linux_maps *whole,
                             const char *whole_err)
{
    int fd = memfd_create("fuzz-smaps", MFD_CLOEXEC);
    if (fd < 0)
        return;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, text + done, size - done);
        if (n <= 0) {
            close(fd);
            return;
        }
        done += (size_t)n;
    }
    lseek(fd, 0, SEEK_SET);
    /* Chunk size from the input itself, so short inputs are cut in every possible place. */
    lx_reader_test_chunk_bytes(size ? 1 + (unsigned char)text[0] % 97 : 0);
    vm_linux_maps streamed;
    char err[128];
    int read_errno = 0;
    bool ok = vm_linux_parse_smaps_fd(fd, &streamed, NULL, NULL, err, sizeof err, &read_errno);
    close(fd);
    if (read_errno)
        abort();
    expect_same_parse(ok, err, &streamed, whole_ok, whole, whole_err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy, so reading past size is caught rather than landing in libFuzzer's data. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    vm_linux_maps maps;
    char err[128];
    bool ok = vm_linux_parse_smaps_text(text, size, &maps, err, sizeof err);
    if (ok) {
        for (size_t i = 0; i < maps.n; i++)
            if (maps.v[i].end <= maps.v[i].start)
                abort();
    } else if (maps.v != NULL || maps.n != 0 || strncmp(err, "line ", 5) != 0) {
        abort(); /* a failure leaves nothing allocated and says which line */
    }
    compare_streamed(text, size, ok, &maps, err);
    compare_general(text, size, ok, &maps, err);
    vm_linux_maps_free(&maps);
    parse_lines(text, size);
    free(text);
    return 0;
}
