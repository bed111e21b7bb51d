/* runstat: runs a command and prints "wall_seconds max_rss_kb cpu_seconds" (wait4's rusage: the
 * peak resident set, and user plus system time of the command and its threads) on stdout.
 *
 *   runstat [-o FILE] COMMAND [ARG...]
 *
 * The command's stdout and stderr are left alone (redirect them yourself); with -o the result line
 * goes to FILE instead of stdout.  Exit status: the command's (128+signal when killed, 127 when it
 * could not be started).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *outfile = NULL;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-o") == 0) {
        outfile = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: runstat [-o FILE] COMMAND [ARG...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[first], argv + first);
        fprintf(stderr, "runstat: %s: %s\n", argv[first], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("runstat: wait4");
            return 127;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    FILE *out = stdout;
    if (outfile && !(out = fopen(outfile, "w"))) {
        perror("runstat: output file");
        return 127;
    }
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec / 1e6;
    fprintf(out, "%.6f %ld %.6f\n", wall, ru.ru_maxrss, cpu);
    if (out != stdout)
        fclose(out);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 127;
}
