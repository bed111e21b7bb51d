/* Running a program on a pseudo-terminal, for what vmmap prints only there (tables fitted to the
 * width, progress lines): tests/integration/test_terminal.c, tests/wine/test_wine_sample.c. */
#ifndef VMMAP_TESTS_SUPPORT_PTY_RUN_H
#define VMMAP_TESTS_SUPPORT_PTY_RUN_H

#include <stddef.h>

typedef struct pu_pty_result {
    int exit_code; /* -1 when it did not exit by itself (killed after 60 s of silence) */
    char *out;     /* stdout and stderr as the terminal got them, "\r\n" turned into "\n" */
    size_t len;
} pu_pty_result;

/* Runs argv (argv[0] a path) on a new pseudo-terminal `cols` wide, with LANG=C.UTF-8, no LC_ALL
 * nor COLUMNS, and one more variable (name may be NULL).  0, or -1 (pu_last_error says why). */
int pu_run_on_pty(char *const argv[], unsigned short cols, const char *name, const char *value, pu_pty_result *r);

#endif
