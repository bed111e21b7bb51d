/* ELF core files as a source (vm_source_core): kernel-written and gdb's gcore, plain or packed
 * (gzip, xz, bzip2: decompressed as a stream into an unlinked temporary), read through pread with
 * a small cache, never loaded whole.  The core's PT_LOAD segments and NT_FILE names become the
 * mappings of a Linux process, its NT_PRSTATUS threads the tasks with their stack pointers, and
 * the offline Linux steps (linux_offline.h) do the rest.  docs/cores.md says what a core can
 * and cannot show. */
#ifndef VMMAP_SOURCES_LINUX_CORE_SOURCE_H
#define VMMAP_SOURCES_LINUX_CORE_SOURCE_H

#include "../../parse/elfcore.h"
#include "../input/spool.h"
#include "../source.h"

extern const vm_source vm_source_core;

/* An opened core: the spooled file and the parsed core over it. */
typedef struct vm_core_input {
    vm_spool spool;
    vm_memreader file;
    vm_core core;
} vm_core_input;

/* Opens and parses path (BAD_INPUT with the reason for a core that cannot be read; the message
 * names the file).  Close with vm_core_input_close, also after a failure. */
int vm_core_input_open(const char *path, vm_core_input *in, vm_error *err);
void vm_core_input_close(vm_core_input *in);

/* The facts of an opened core (used by the source and by the fuzzer on bytes in memory). */
int vm_core_gather_parsed(const vm_core *core, const char *name, const vm_capture_options *opt, vm_facts *f,
                          vm_error *err);

#endif
