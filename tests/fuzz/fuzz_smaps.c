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

/* The streaming parser (reader thread, chunks, lines carried across chunk boundaries) must
 * agree with the whole-text parser on every input: same verdict, same mappings, same error. */
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
    if (ok != whole_ok || read_errno)
        abort();
    if (!ok) {
        if (strcmp(err, whole_err) != 0)
            abort();
        return;
    }
    if (streamed.n != whole->n)
        abort();
    for (size_t i = 0; i < streamed.n; i++)
        if (streamed.v[i].start != whole->v[i].start || streamed.v[i].end != whole->v[i].end ||
            streamed.v[i].rss != whole->v[i].rss || streamed.v[i].have != whole->v[i].have)
            abort();
    vm_linux_maps_free(&streamed);
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
    vm_linux_maps_free(&maps);
    parse_lines(text, size);
    free(text);
    return 0;
}
