/* pty_run.h: forkpty, then everything the terminal gets until the program closes it. */
#include "pty_run.h"

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "proc_util.h"

#define SILENCE_MS 60000 /* a program that says nothing for this long is killed */

int pu_run_on_pty(char *const argv[], unsigned short cols, const char *name, const char *value, pu_pty_result *r)
{
    memset(r, 0, sizeof *r);
    size_t cap = 65536;
    char *buf = malloc(cap);
    if (!buf)
        return pu_set_error("out of memory");
    struct winsize ws = {.ws_row = 50, .ws_col = cols};
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0) {
        free(buf);
        return pu_set_error("forkpty: %s", strerror(errno));
    }
    if (pid == 0) {
        setenv("LANG", "C.UTF-8", 1);
        unsetenv("LC_ALL");
        unsetenv("COLUMNS");
        if (name)
            setenv(name, value, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    for (;;) {
        struct pollfd p = {.fd = master, .events = POLLIN};
        if (poll(&p, 1, SILENCE_MS) <= 0) {
            kill(pid, SIGKILL); /* our child, by its pid */
            break;
        }
        if (r->len + 4096 > cap) {
            char *more = realloc(buf, cap * 2);
            if (!more)
                break;
            buf = more;
            cap *= 2;
        }
        ssize_t got = read(master, buf + r->len, 4096);
        if (got <= 0)
            break; /* EIO: the program closed the terminal */
        r->len += (size_t)got;
    }
    close(master);
    int status = 0;
    waitpid(pid, &status, 0);
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    size_t o = 0;
    for (size_t i = 0; i < r->len; i++)
        if (!(buf[i] == '\r' && i + 1 < r->len && buf[i + 1] == '\n'))
            buf[o++] = buf[i];
    buf[o] = '\0';
    r->len = o;
    r->out = buf;
    return 0;
}
