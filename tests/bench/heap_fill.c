/* heap_fill: a process with a big glibc heap for the heap-walk benchmark (tests/bench/heaps.sh).
 *
 *   heap_fill [BLOCKS [SIZE]]   BLOCKS x malloc(SIZE) in the main arena (default 10,000,000 x 96:
 *                               112-byte chunks, 1.04 GiB of [heap]), every byte written; then
 *                               prints "PID ready HEAP_BYTES" and waits until stdin reaches EOF.
 * One thread, so every block is in the brk heap and the walk reads it all. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000u;
    size_t size = argc > 2 ? strtoull(argv[2], NULL, 10) : 96;
    char *first = NULL, *last = NULL;
    for (size_t i = 0; i < n; i++) {
        char *p = malloc(size);
        if (!p) {
            fprintf(stderr, "heap_fill: out of memory after %zu blocks\n", i);
            return 1;
        }
        memset(p, (int)(i & 0xff), size);
        if (!first)
            first = p;
        last = p;
    }
    printf("%d ready %llu\n", (int)getpid(), (unsigned long long)((uintptr_t)last - (uintptr_t)first + size));
    fflush(stdout);
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    return 0;
}
