/* A thread of a Linux process, as the steps need it (linux_capture.h): its id, name and stack
 * pointer, from /proc (proc_process.h), a core's NT_PRSTATUS or a minidump's thread list. */
#ifndef VMMAP_SOURCES_LINUX_TASK_H
#define VMMAP_SOURCES_LINUX_TASK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct vm_linux_task {
    uint64_t tid;
    char name[32];      /* /proc/PID/task/TID/comm (a core: the main thread's) */
    uint64_t sp;        /* live: from /proc/PID/task/TID/syscall, when blocked */
    bool sp_known;
    bool running;       /* syscall said "running": no sp available */
} vm_linux_task;

#endif
