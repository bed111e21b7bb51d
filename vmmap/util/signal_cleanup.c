#include "signal_cleanup.h"

#ifdef _WIN32

bool vm_remove_on_signal(const char *path)
{
    (void)path;
    return false;
}

void vm_keep_on_signal(void)
{
}

#else

#include <signal.h>
#include <string.h>
#include <unistd.h>

static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSIGNALS (sizeof signals / sizeof signals[0])

/* A copy, not the caller's string: the handler may run at any moment, even while that is freed. */
static char temp_path[4096];
static volatile sig_atomic_t armed;
static bool caught[NSIGNALS]; /* the signals whose handler this is */

static void remove_and_end(int sig)
{
    if (armed)
        unlink(temp_path); /* async-signal-safe */
    armed = 0;
    /* SA_RESETHAND put the default action back; the signal, blocked while this runs, ends the
     * process when it returns. */
    raise(sig);
}

bool vm_remove_on_signal(const char *path)
{
    vm_keep_on_signal();
    size_t n = strlen(path);
    if (n >= sizeof temp_path)
        return false;
    memcpy(temp_path, path, n + 1);
    armed = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remove_and_end;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaddset(&sa.sa_mask, signals[i]); /* one handler at a time */
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    for (size_t i = 0; i < NSIGNALS; i++) {
        struct sigaction now;
        caught[i] = sigaction(signals[i], NULL, &now) == 0 && now.sa_handler == SIG_DFL &&
                    !(now.sa_flags & SA_SIGINFO) && sigaction(signals[i], &sa, NULL) == 0;
    }
    return true;
}

void vm_keep_on_signal(void)
{
    armed = 0;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++) {
        if (caught[i])
            sigaction(signals[i], &dfl, NULL);
        caught[i] = false;
    }
}

#endif
