/* libFuzzer target for the /proc/PID/maps and smaps parsers: the text names files the target
 * chose, so any bytes must parse or be rejected cleanly, without leaks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmmap/sources/linux/proc_maps.h"

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
    if (vm_linux_parse_smaps_text(text, size, &maps, err, sizeof err)) {
        for (size_t i = 0; i < maps.n; i++)
            if (maps.v[i].end <= maps.v[i].start)
                abort();
        vm_linux_maps_free(&maps);
    } else if (maps.v != NULL || maps.n != 0 || strncmp(err, "line ", 5) != 0) {
        abort(); /* a failure leaves nothing allocated and says which line */
    }
    parse_lines(text, size);
    free(text);
    return 0;
}
