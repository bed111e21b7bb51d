/* Reading /proc/PID/maps and /proc/PID/smaps of a live process (Linux builds only): the file read
 * (on a thread of its own when the caller takes the mappings as they come: proc_reader.h) and
 * parsed chunk by chunk by the maps parser (proc_maps.h) as it arrives. */
#ifndef VMMAP_SOURCES_LINUX_PROC_SMAPS_H
#define VMMAP_SOURCES_LINUX_PROC_SMAPS_H

#include "../linux_model/proc_maps.h"

/* Called while a file is parsed, on the caller's thread: once as the reading starts (batch empty),
 * then with each batch of mappings as they come, complete and in order; so_far holds those before
 * them that were not taken.  Returning true takes the batch's mappings (the callee frees their
 * names; they will not be in out); false leaves them to be appended to out. */
typedef bool (*vm_linux_parsed_fn)(void *ctx, vm_linux_maps *batch, const vm_linux_maps *so_far);

/* A maps or smaps file read from fd to its end and parsed chunk by chunk as it arrives: read on a
 * reader thread (proc_reader.h) and parsed there or on the caller's thread, on_parsed called on
 * the caller's thread as the mappings come; without on_parsed (NULL) no thread, everything on the
 * caller's.  Gives the same
 * result as vm_linux_parse_smaps_text on the whole text.  False on a malformed line ("line N:
 * what" in err, *read_errno 0), a failed read (*read_errno set) or no memory (*read_errno ENOMEM);
 * out is then empty. */
bool vm_linux_parse_smaps_fd(int fd, vm_linux_maps *out, vm_linux_parsed_fn on_parsed, void *ctx, char *err,
                             size_t errlen, int *read_errno);

/* Reads and parses /proc/PID/smaps, streaming (the file can be tens of MB for 60,000
 * mappings).  Returns VM_EXIT_OK, or NOT_FOUND / ACCESS (with the reason) / ERROR. */
int vm_linux_read_smaps(int pid, vm_linux_maps *out, vm_error *err);

/* The same, calling on_parsed as the mappings come, while the rest is still being read (out holds
 * those not taken). */
int vm_linux_read_smaps_ex(int pid, vm_linux_maps *out, vm_linux_parsed_fn on_parsed, void *ctx, vm_error *err);

/* /proc/PID/maps: the same mappings without the smaps values (have 0), for a tenth of the
 * kernel's work. */
int vm_linux_read_maps(int pid, vm_linux_maps *out, vm_error *err);

#endif
