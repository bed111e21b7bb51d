/* Wine for the tests of tests/wine/: the private prefix made ready, and one wineserver for it
 * kept running from a test program's group setup to its group teardown.
 *
 * Why one server.  Debian's wineserver wrapper starts the server with -p0: each wine64 run that
 * found no server started one, and its end began to end that server again, which takes some 2 s
 * (services.exe, explorer.exe, ... shut down, the registry is saved).  A run started in that
 * time waits for the old server to go, and Wine gives up after 5.5 s of retries: "wine: a wine
 * server seems to be running, but I cannot connect to it", exit 1, vmmap.exe never started.
 * That fits test_wine_offline's one failure of test_real_cores (exit 1 in a just-made prefix);
 * the message and exit 1 come every time when a lock holder stands in for a slow old server
 * (docs/testing-windows.md).  A persistent server (wineserver -p) does not go away between runs,
 * and a run no longer pays Wine's start-up either. */
#ifndef VMMAP_TESTS_SUPPORT_WINE_SESSION_H
#define VMMAP_TESTS_SUPPORT_WINE_SESSION_H

#include <stddef.h>

/* env's value when set, else `name` on PATH, else fallback when it exists; malloc'd, NULL
 * when none. */
char *pu_find_program(const char *env, const char *name, const char *fallback);

/* The prefix: WINEPREFIX, else <cwd>/<VMMAP_WIN_BUILD or build-win>/wineprefix-test; it must
 * be absolute.  WINEPREFIX and WINEDEBUG=-all are set for the programs the test starts.  Then:
 * the prefix made (wineboot -i) when it has no system.reg yet; a server of the prefix from
 * before (that run's, another test program's) waited for; a persistent one started and Wine's
 * services brought up in it (wineboot).  prefix gets the path.  0, or -1 (pu_last_error). */
int pu_wine_begin(const char *wine64, const char *wineserver, char *prefix, size_t len);

/* The pid of the wineserver running for prefix, 0 when none: the holder of the lock in the
 * prefix's server folder (/tmp/wine-XXXXXX/server-DEV-INODE/lock on Debian, /tmp/.wine-UID/... in
 * Wine's own builds), which a wineserver keeps from its start to its end. */
long pu_wine_server_pid(const char *prefix);

/* wineserver -k for the prefix: its server and Wine's own processes in it, never by name. */
void pu_wine_end(const char *wineserver);

#endif
