/* Helper of tests/bench/report.sh (the report export benchmark); standalone, no libraries.
 *
 *   bench_report gen N FILE.json   writes a synthetic snapshot of N regions (a repeating mix of
 *                                  images with 3 blocks, heaps and stacks with 2, private data,
 *                                  mapped files, shareable memory and free gaps with 1), and
 *                                  prints "ROWS CELLS": the Regions sheet's data rows and cells
 *   bench_report time CMD ARGS...  runs CMD (stdout to /dev/null) and prints
 *                                  "SECONDS PEAK_RSS_KB EXIT", measured with wait4()
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CELLS_PER_ROW 15 /* Regions sheet columns with Pss and Swap */

typedef struct pattern {
    const char *type, *memtype, *prot, *details;
    int blocks;
} pattern;

static const pattern patterns[] = {
    {"Image", "image", "Execute/Read", ".text, .fini of /usr/lib/x86_64-linux-gnu/libbench.so", 3},
    {"Heap", "private", "Read/Write", "Heap 1 [glibc arena] arena heap 1", 2},
    {"Private Data", "private", "Read/Write", "[anon:bench, \\\"quoted\\\"]", 1}, /* JSON-escaped */
    {"Stack", "private", "Read/Write", "Thread 4120 stack", 2},
    {"Mapped File", "mapped", "Read", "/var/lib/bench/data.bin", 1},
    {"Shareable", "mapped", "Read/Write", "memfd blob", 1},
    {"Free", "none", "No access", NULL, 1},
};
#define NPATTERNS (sizeof patterns / sizeof patterns[0])

static void block(FILE *f, const pattern *p, uint64_t a, uint64_t size, int first)
{
    int is_free = strcmp(p->type, "Free") == 0;
    fprintf(f,
            "%s{\"address\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 ",\"state\":\"%s\",\"protection\":\"%s\","
            "\"memtype\":\"%s\",\"type\":\"%s\",",
            first ? "" : ",", a, size, is_free ? "free" : "commit", p->prot, p->memtype, p->type);
    uint64_t ws = is_free ? 0 : size / 2;
    fprintf(f,
            "\"committed\":%" PRIu64 ",\"private\":%" PRIu64 ",\"total_ws\":%" PRIu64
            ",\"private_ws\":%" PRIu64 ",\"shareable_ws\":0,\"shared_ws\":0,\"locked_ws\":0,"
            "\"pss\":%" PRIu64 ",\"swap\":0",
            is_free ? 0 : size, is_free ? 0 : size, ws, ws, ws);
    if (p->details)
        fprintf(f, ",\"details\":\"%s\"", p->details);
    fputc('}', f);
}

static int gen(long n, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fprintf(f, "{\"format\":\"vmmap-snapshot\",\"version\":1,\"tool_version\":\"bench\","
               "\"taken_at\":\"2024-01-01T00:00:00Z\",\"source\":\"live-linux\","
               "\"host\":{\"name\":\"bench\",\"os\":\"Linux\",\"arch\":\"x86_64\"},"
               "\"process\":{\"pid\":4242,\"name\":\"bench\",\"exe\":\"/usr/bin/bench\","
               "\"cmdline\":\"bench --big\",\"bits\":64},\"page_size\":4096,"
               "\"alloc_granularity\":4096,\"user_top\":\"0x7ffffffff000\",\"page_table\":1048576,"
               "\"summary\":[],\"regions\":[");
    uint64_t a = 0x100000000ull, rows = 0;
    for (long i = 0; i < n; i++) {
        const pattern *p = &patterns[i % NPATTERNS];
        uint64_t bsize = 4096ull * (uint64_t)(1 + i % 7);
        uint64_t rsize = bsize * (uint64_t)p->blocks;
        fprintf(f, "%s{\"address\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 ",\"type\":\"%s\"", i ? "," : "", a,
                rsize, p->type);
        if (p->details)
            fprintf(f, ",\"details\":\"%s\"", p->details);
        fputs(",\"blocks\":[", f);
        for (int b = 0; b < p->blocks; b++)
            block(f, p, a + bsize * (uint64_t)b, bsize, b == 0);
        fputs("]}", f);
        a += rsize;
        rows += 1 + (uint64_t)p->blocks;
    }
    fputs("],\"heaps\":[],\"threads\":[],\"modules\":[],\"warnings\":[]}\n", f);
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    printf("%" PRIu64 " %" PRIu64 "\n", rows, rows * CELLS_PER_ROW);
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int timed(char **argv)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 1;
    }
    printf("%.3f %ld %d\n", now() - t0, ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0)
        return gen(strtol(argv[2], NULL, 10), argv[3]);
    if (argc >= 3 && strcmp(argv[1], "time") == 0)
        return timed(argv + 2);
    fprintf(stderr, "usage: bench_report gen N FILE.json | bench_report time CMD [ARGS...]\n");
    return 2;
}
