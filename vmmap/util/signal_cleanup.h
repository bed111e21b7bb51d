/* A temporary output file that stays open for long (the snapshot file, written while the capture
 * runs) is removed when SIGINT, SIGTERM or SIGHUP ends the process before it is renamed into
 * place, so that an interrupted run leaves neither a partial file nor a temporary (docs/cli.md).
 * One file at a time.  Only a signal left at its default action (ending the process) is caught,
 * and once the file is removed it ends the process as it would have: a handler of the program's
 * own (vmmap watch's graceful stop) or an ignored signal (nohup) stays as it is.  Windows: nothing
 * (a console's Ctrl+C ends the process as before). */
#ifndef VMMAP_UTIL_SIGNAL_CLEANUP_H
#define VMMAP_UTIL_SIGNAL_CLEANUP_H

#include <stdbool.h>

/* Arms for path (copied); false when it cannot (too long a name, Windows). */
bool vm_remove_on_signal(const char *path);
/* Disarms: the signals' default actions are back. */
void vm_keep_on_signal(void);

#endif
