/* bare_read: the floor of the heap-walk benchmark: reads the same memory a heap walk reads, with
 * nothing else: every heap mapping of PID ([heap], and glibc arena heaps: anonymous read/write
 * mappings of 64 MiB-aligned starts) through process_vm_readv in large chunks into one buffer.
 *
 *   bare_read PID [CHUNK_MIB]   prints "BYTES" read; exit 1 when nothing could be read */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int pid = atoi(argv[1]);
    size_t chunk = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1) << 20;
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "r");
    char *buf = malloc(chunk);
    if (!f || !buf)
        return 1;
    uint64_t total = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi;
        char perms[8];
        int off = 0;
        if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi, perms, &off) < 3)
            continue;
        const char *name = line + off;
        bool heap = strncmp(name, "[heap]", 6) == 0 ||
                    (name[0] == '\n' && perms[0] == 'r' && perms[1] == 'w' && (lo & ((1ull << 26) - 1)) == 0);
        if (!heap)
            continue;
        for (unsigned long long at = lo; at < hi; at += chunk) {
            size_t want = hi - at < chunk ? (size_t)(hi - at) : chunk;
            struct iovec local = {buf, want}, remote = {(void *)(uintptr_t)at, want};
            ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
            if (got > 0)
                total += (uint64_t)got;
        }
    }
    fclose(f);
    free(buf);
    printf("%llu\n", (unsigned long long)total);
    return total ? 0 : 1;
}
