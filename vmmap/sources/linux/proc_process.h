/* Process-level facts from /proc: identity, page tables, threads, and access diagnosis. */
#ifndef VMMAP_SOURCES_LINUX_PROC_PROCESS_H
#define VMMAP_SOURCES_LINUX_PROC_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../model/snapshot.h"
#include "../../util/error.h"
#include "../linux_model/linux_task.h"

/* name (comm), exe (readlink /proc/PID/exe, may stay NULL without permission), cmdline
 * (NUL-separated args joined with spaces), bits (from the exe's ELF class, default 64). */
int vm_linux_process_info(int pid, vm_process *out, vm_error *err);

/* VmPTE from /proc/PID/status, in bytes. */
bool vm_linux_page_table_bytes(int pid, uint64_t *out);

/* Lists threads with their stack pointers.  Unreadable syscall files degrade to sp_known=false
 * (and a warning in snap); a missing task dir means the process is gone (TARGET_GONE). */
int vm_linux_list_tasks(int pid, vm_linux_task **out, size_t *n, vm_snapshot *snap, vm_error *err);

/* The same on a thread of its own, started now: two small files per thread, which for thousands
 * of threads is as long as the kernel takes to generate smaps.  start returns NULL when no thread
 * could be started (list them with vm_linux_list_tasks then); wait gives what
 * vm_linux_list_tasks would have, and frees the list; discard drops it unused. */
typedef struct vm_linux_task_list vm_linux_task_list;
vm_linux_task_list *vm_linux_tasks_start(int pid);
int vm_linux_tasks_wait(vm_linux_task_list *tl, vm_linux_task **out, size_t *n, vm_snapshot *snap, vm_error *err);
void vm_linux_tasks_discard(vm_linux_task_list *tl);

/* The first bytes of the running executable of pid (0: vmmap's own) when it is an ELF file:
 * e_ident (class at 4, data at 5) and e_type, e_machine (at 18).  False when it cannot be read. */
#define VM_LINUX_EXE_HEADER 20
bool vm_linux_exe_header(int pid, uint8_t head[VM_LINUX_EXE_HEADER]);

/* Finds a PID by executable base name or comm.  See vm_platform_find_pid. */
int vm_linux_find_pid(const char *name, int64_t *pid, vm_error *err);

/* Fills err with an ACCESS error that says why: not root and another user's process, Yama
 * ptrace_scope value, or missing CAP_SYS_PTRACE; what is one of "read maps", "read memory". */
void vm_linux_explain_access(int pid, const char *what, vm_error *err);

/* True while /proc/PID exists and is not a zombie. */
bool vm_linux_process_alive(int pid);

/* First address above the user address space: 0x7ffffffff000 with 4-level paging, larger with
 * 5-level (detected from the highest mapping and /proc/cpuinfo la57). */
uint64_t vm_linux_user_top(uint64_t highest_mapping_end);

#endif
