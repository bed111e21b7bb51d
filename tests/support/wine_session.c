/* wine_session.h: one persistent wineserver per test program. */
#include "wine_session.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_util.h"

#define WINEBOOT_MS 300000 /* making a prefix: minutes on a busy machine */
#define SERVER_MS 60000

char *pu_find_program(const char *env, const char *name, const char *fallback)
{
    const char *v = getenv(env);
    if (v && *v)
        return strdup(v);
    const char *path = getenv("PATH");
    char *copy = path ? strdup(path) : NULL;
    for (char *save = NULL, *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
        char cand[PATH_MAX];
        snprintf(cand, sizeof cand, "%s/%s", dir, name);
        if (access(cand, X_OK) == 0) {
            free(copy);
            return strdup(cand);
        }
    }
    free(copy);
    return access(fallback, X_OK) == 0 ? strdup(fallback) : NULL;
}

/* Runs argv to its end, its output into a file: the wineserver it may start stays behind as a
 * daemon, and so do Wine's services a first program starts, with the descriptors they were
 * given (a pipe would then never reach its end).  0 when it exited 0, else -1 with its output
 * in the message. */
static int run_wine(char *const argv[], int timeout_ms)
{
    char log[] = "/tmp/vmmap-wine-XXXXXX";
    int fd = mkstemp(log);
    if (fd < 0)
        return pu_set_error("mkstemp: %s", strerror(errno));
    unlink(log); /* ours alone; gone once the last holder closes it */
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (null > 2)
            close(null);
        if (fd > 2)
            close(fd);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0, rc = 0;
    if (pid < 0) {
        rc = pu_set_error("fork: %s", strerror(errno));
    } else {
        int64_t until = pu_now_ms() + timeout_ms;
        pid_t got;
        while ((got = waitpid(pid, &status, WNOHANG)) == 0 && pu_now_ms() < until)
            pu_sleep_ms(20);
        if (got == 0) {
            kill(pid, SIGKILL); /* our child, by its pid */
            waitpid(pid, &status, 0);
            rc = pu_set_error("%s %s: no end after %d ms; killed", argv[0], argv[1], timeout_ms);
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char said[2048] = "";
            ssize_t n = pread(fd, said, sizeof said - 1, 0);
            said[n > 0 ? n : 0] = '\0';
            rc = pu_set_error("%s %s: exit %d\n%s", argv[0], argv[1], WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                              said);
        }
    }
    close(fd);
    return rc;
}

static int choose_prefix(char *prefix, size_t len)
{
    const char *pfx = getenv("WINEPREFIX");
    if (pfx && *pfx) {
        snprintf(prefix, len, "%s", pfx);
    } else {
        char cwd[PATH_MAX];
        const char *wb = getenv("VMMAP_WIN_BUILD");
        if (!getcwd(cwd, sizeof cwd))
            return pu_set_error("getcwd failed");
        snprintf(prefix, len, "%s/%s/wineprefix-test", cwd, wb && *wb ? wb : "build-win");
    }
    if (prefix[0] != '/')
        return pu_set_error("WINEPREFIX must be absolute: %s", prefix);
    setenv("WINEPREFIX", prefix, 1);
    setenv("WINEDEBUG", "-all", 1);
    return 0;
}

int pu_wine_begin(const char *wine64, const char *wineserver, char *prefix, size_t len)
{
    if (choose_prefix(prefix, len) != 0)
        return -1;
    char sysreg[PATH_MAX + 16];
    snprintf(sysreg, sizeof sysreg, "%s/system.reg", prefix);
    bool made = false;
    if (!pu_file_exists(sysreg)) {
        fprintf(stderr, "creating the Wine prefix %s (wineboot -i)\n", prefix);
        if (run_wine((char *const[]){(char *)wine64, "wineboot", "-i", NULL}, WINEBOOT_MS) != 0)
            return -1;
        made = true;
    }
    /* The server that made the prefix (it writes the registry as it ends), or another
     * program's: gone before ours starts. */
    if (run_wine((char *const[]){(char *)wineserver, "-w", NULL}, SERVER_MS) != 0)
        return -1;
    if (made && !pu_file_exists(sysreg))
        return pu_set_error("wineboot -i made no %s", sysreg);
    if (run_wine((char *const[]){(char *)wineserver, "-p", NULL}, SERVER_MS) != 0)
        return -1;
    /* The first program of a server's life starts Wine's services and waits for them: here,
     * not in the first test. */
    return run_wine((char *const[]){(char *)wine64, "wineboot", NULL}, WINEBOOT_MS);
}

long pu_wine_server_pid(const char *prefix)
{
    struct stat st;
    if (stat(prefix, &st) != 0)
        return 0;
    char pattern[2][PATH_MAX]; /* Wine puts them in /tmp, whatever TMPDIR says */
    snprintf(pattern[0], sizeof pattern[0], "/tmp/wine-*/server-%llx-%llx/lock", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    snprintf(pattern[1], sizeof pattern[1], "/tmp/.wine-%u/server-%llx-%llx/lock", (unsigned)getuid(),
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    long pid = 0;
    for (int k = 0; k < 2 && !pid; k++) {
        glob_t g;
        if (glob(pattern[k], 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc && !pid; i++) { /* an old folder of a removed prefix: unlocked */
            int fd = open(g.gl_pathv[i], O_RDWR | O_CLOEXEC);
            struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            if (fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
                pid = (long)fl.l_pid;
            if (fd >= 0)
                close(fd);
        }
        globfree(&g);
    }
    return pid;
}

void pu_wine_end(const char *wineserver)
{
    if (wineserver && run_wine((char *const[]){(char *)wineserver, "-k", NULL}, SERVER_MS) != 0 &&
        !strstr(pu_last_error(), ": exit 1")) /* exit 1: no server ran, nothing to end */
        fprintf(stderr, "wineserver -k: %s\n", pu_last_error());
}
