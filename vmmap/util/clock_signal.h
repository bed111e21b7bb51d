/* Clocks, sleeping, stop requests (Ctrl-C, SIGTERM) and terminals, for long-running commands
 * (`vmmap watch`).  One small API over POSIX (clock_gettime, sigaction, clock_nanosleep, isatty)
 * and Windows (QueryPerformanceCounter, SetConsoleCtrlHandler, Sleep, GetConsoleMode).
 *
 * Stop requests: the handler only sets a flag (nothing else is safe in a signal handler); the
 * command polls vm_stop_requested() between steps, so whatever it was writing is finished. */
#ifndef VMMAP_UTIL_CLOCK_SIGNAL_H
#define VMMAP_UTIL_CLOCK_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Seconds on a monotonic clock (arbitrary origin; never jumps with the wall clock). */
double vm_clock_now(void);

/* Sleeps until vm_clock_now() >= deadline, returning early once a stop was requested. */
void vm_sleep_until(double deadline);

/* The wall clock in UTC, RFC 3339 with milliseconds ("2026-11-22T03:00:00.250Z"); with compact
 * set, a file-name-safe form ("20261122T030000.250Z").  Empty on failure. */
void vm_utc_now_ms(char *buf, size_t len, bool compact);

/* Ctrl-C / SIGINT and SIGTERM (Windows: Ctrl-C, Ctrl-Break, console close) set a flag instead of
 * ending the process.  Call once. */
void vm_stop_install(void);
/* True once a stop was requested. */
bool vm_stop_requested(void);
/* "SIGINT", "SIGTERM", "Ctrl-C", ... for the message; "" when none. */
const char *vm_stop_name(void);

/* True when f is an interactive terminal (console on Windows). */
bool vm_is_terminal(FILE *f);

/* The width of the terminal f is, in columns: the window's size (TIOCGWINSZ, the console's
 * window on Windows), else $COLUMNS, else 80; 0 when f is not a terminal. */
size_t vm_terminal_columns(FILE *f);

#endif
