/* A process holding MIB mebibytes in 4 KiB malloc chunks (the main arena's brk heap), every page
 * written, for the core benchmark (tests/bench/core.sh): prints "ready PID" and waits for its
 * stdin to close.
 *   big_heap MIB */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 64;
    if (mib <= 0 || mib > 65536) {
        fprintf(stderr, "usage: big_heap MIB (1..65536)\n");
        return 2;
    }
    size_t n = (size_t)mib * 256; /* 4 KiB each */
    for (size_t i = 0; i < n; i++) {
        char *p = malloc(4096 - 16);
        if (!p) {
            fprintf(stderr, "big_heap: out of memory after %zu chunks\n", i);
            return 1;
        }
        memset(p, (int)(i & 0xff), 4096 - 16);
    }
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}
