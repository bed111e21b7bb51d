/* Clocks, sleeping, stop requests and terminals: POSIX and Windows behind one API. */
#include "clock_signal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>
#endif

static volatile sig_atomic_t stop_flag; /* 0, or the signal / control event + 1 */

bool vm_stop_requested(void)
{
    return stop_flag != 0;
}

/* Broken-down UTC time of (seconds, milliseconds) into buf. */
static void format_utc(time_t secs, int ms, char *buf, size_t len, bool compact)
{
    struct tm tm;
    char base[32];
#ifdef _WIN32
    if (gmtime_s(&tm, &secs) != 0) {
#else
    if (!gmtime_r(&secs, &tm)) {
#endif
        buf[0] = '\0';
        return;
    }
    strftime(base, sizeof base, compact ? "%Y%m%dT%H%M%S" : "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, ms);
}

#ifdef _WIN32

double vm_clock_now(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
}

void vm_sleep_until(double deadline)
{
    for (;;) {
        double left = deadline - vm_clock_now();
        if (left <= 0 || vm_stop_requested())
            return;
        DWORD ms = left > 0.1 ? 100 : (DWORD)(left * 1000) + 1; /* slices: stop is seen quickly */
        Sleep(ms);
    }
}

void vm_utc_now_ms(char *buf, size_t len, bool compact)
{
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft);
    unsigned long long t = ((unsigned long long)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    t /= 10000ULL;                 /* milliseconds since 1601 */
    t -= 11644473600000ULL;        /* ... since 1970 */
    format_utc((time_t)(t / 1000), (int)(t % 1000), buf, len, compact);
}

static BOOL WINAPI on_console_event(DWORD event)
{
    if (event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT || event == CTRL_CLOSE_EVENT) {
        stop_flag = (sig_atomic_t)(event + 1);
        return TRUE;
    }
    return FALSE;
}

void vm_stop_install(void)
{
    SetConsoleCtrlHandler(on_console_event, TRUE);
}

const char *vm_stop_name(void)
{
    switch (stop_flag) {
    case 0: return "";
    case CTRL_C_EVENT + 1: return "Ctrl-C";
    case CTRL_BREAK_EVENT + 1: return "Ctrl-Break";
    default: return "console close";
    }
}

bool vm_is_terminal(FILE *f)
{
    DWORD mode;
    HANDLE h = (HANDLE)_get_osfhandle(_fileno(f));
    return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode);
}

static size_t window_columns(FILE *f)
{
    CONSOLE_SCREEN_BUFFER_INFO info;
    HANDLE h = (HANDLE)_get_osfhandle(_fileno(f));
    if (h == INVALID_HANDLE_VALUE || !GetConsoleScreenBufferInfo(h, &info))
        return 0;
    int w = info.srWindow.Right - info.srWindow.Left + 1;
    return w > 0 ? (size_t)w : 0;
}

#else /* POSIX */

double vm_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void vm_sleep_until(double deadline)
{
    struct timespec ts;
    ts.tv_sec = (time_t)deadline;
    ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_nsec = 999999999L;
    /* Absolute deadline: no drift from the time spent before the call; a signal (EINTR) wakes us. */
    while (!vm_stop_requested() && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

void vm_utc_now_ms(char *buf, size_t len, bool compact)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    format_utc(ts.tv_sec, (int)(ts.tv_nsec / 1000000L), buf, len, compact);
}

static void on_signal(int sig)
{
    stop_flag = (sig_atomic_t)sig;
}

void vm_stop_install(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* reads and writes carry on; sleeps still wake (EINTR) */
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

const char *vm_stop_name(void)
{
    switch (stop_flag) {
    case 0: return "";
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
    }
}

bool vm_is_terminal(FILE *f)
{
    return isatty(fileno(f)) != 0;
}

static size_t window_columns(FILE *f)
{
    struct winsize ws;
    return ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

#endif

size_t vm_terminal_columns(FILE *f)
{
    if (!vm_is_terminal(f))
        return 0;
    size_t w = window_columns(f);
    if (w)
        return w;
    const char *env = getenv("COLUMNS");
    char *end;
    long n = env && *env ? strtol(env, &end, 10) : 0;
    return env && *env && !*end && n > 0 && n < 100000 ? (size_t)n : 80;
}
