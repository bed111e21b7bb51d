/* The one source interface: how vmmap reads a target, whatever it is.
 *
 * A source gathers facts (classify/facts.h): regions as the OS or the file reports them,
 * threads, modules, heaps, warnings, and a reader of the target's memory.  It never classifies
 * (it does not include classify.h); the capture pipeline (capture/capture.h) runs every source
 * the same way: gather -> classify -> post-classify steps -> header -> release.
 *
 * The sources form a table (capture/source_table.c), asked in order which one claims a target:
 * files by their content (their first bytes, read through gzip/xz/bzip2 when packed), never by
 * their name; the live source claims what is not a file (a PID, a process name, --self).  A
 * snapshot .json is not a source: it is loaded beside them, already classified. */
#ifndef VMMAP_SOURCES_SOURCE_H
#define VMMAP_SOURCES_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../classify/facts.h"
#include "../model/snapshot.h"
#include "../util/error.h"

/* How many first bytes of a file the claims see (fewer when the file is shorter). */
#define VM_SOURCE_HEAD_BYTES 4096

typedef struct vm_source {
    const char *name; /* "live", "minidump", ...: for messages and tests */
    /* True when this source reads the target.  arg: the command-line argument (NULL for --self);
     * head: the first nhead bytes of the file arg names, decompressed when it is packed, or NULL
     * (nhead 0) when arg names no file. */
    bool (*claims)(const char *arg, const uint8_t *head, size_t nhead);
    /* Gathers facts about arg into facts (facts->snap exists, its header empty but for taken_at
     * and tool_version, which the source may overwrite).  Returns VM_EXIT_OK or a VM_EXIT_* code
     * with err filled; on failure the pipeline still calls vm_facts_release. */
    int (*gather)(const char *arg, const vm_capture_options *opt, vm_facts *facts, vm_error *err);
    /* The VM_ASK_* options it honours; the others are refused, with the reason, before it runs. */
    uint32_t honours;
} vm_source;

/* The build's own platform (sources/linux or sources/windows): a running process by PID
 * ("1234"), by unique name ("nginx"), or vmmap itself (arg NULL). */
extern const vm_source vm_source_live;
/* Windows minidumps, on every platform (sources/minidump). */
extern const vm_source vm_source_minidump;

/* An argument of digits only ("1234") is a PID: never a process name or a file (docs/cli.md). */
bool vm_arg_is_pid(const char *arg);

/* ---- the live platform's helpers (one implementation per platform folder) ---- */

/* Gathers facts about a live process.  On failure returns a VM_EXIT_* code and fills err:
 * VM_EXIT_NOT_FOUND (no such process), VM_EXIT_ACCESS (say why: ptrace_scope, other user,
 * protected process), VM_EXIT_TARGET_GONE (exited during the scan).  Partial information that
 * does not prevent a map (an unreadable heap, a missing module file) becomes a warning.  The
 * memory reader left in out->mem reads the process until vm_facts_release. */
int vm_platform_capture(int64_t pid, const vm_capture_options *opt, vm_facts *out, vm_error *err);

/* Resolves a process name (executable base name or comm) to one PID.  No match: NOT_FOUND;
 * several: USAGE error listing them so the user can pick. */
int vm_platform_find_pid(const char *name, int64_t *pid, vm_error *err);

int64_t vm_platform_self_pid(void);

/* Host description for the snapshot header: "Linux 6.1.0-18-amd64", host name, arch. */
void vm_platform_host(char **os, char **host, char **arch);

#endif
