/* A Windows minidump as a source: the dump's streams turned into the NT facts (sources/nt) that
 * a live Windows process gives, then classified like one (by the pipeline, capture/).  Works in every build: the dump is just
 * bytes.  docs/minidumps.md says what each stream gives and what a dump without a MemoryInfoList
 * or without full memory can and cannot show. */
#ifndef VMMAP_SOURCES_MINIDUMP_SOURCE_H
#define VMMAP_SOURCES_MINIDUMP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../classify/facts.h"
#include "../../model/snapshot.h"
#include "../../util/error.h"

/* Above this a packed dump is not decompressed, nor a dump read whole where it cannot be mapped. */
#define VM_MD_MAX_LOAD (UINT64_C(4) << 30)
/* A packed dump that expands by more than this factor (beyond its first 64 MiB) is refused. */
#define VM_MD_MAX_XZ_RATIO 10000u

/* A dump file's bytes: mapped (POSIX), read whole (Windows, non-regular files) or decompressed
 * (gzip, xz, bzip2). */
typedef struct vm_md_file {
    uint8_t *data;
    size_t size;
    bool mapped;       /* munmap rather than free */
    bool decompressed; /* it was packed (gzip, xz, bzip2) */
} vm_md_file;

/* Loads path.  VM_EXIT_NOT_FOUND (no such file), VM_EXIT_ACCESS, VM_EXIT_BAD_INPUT (corrupt packing,
 * too large), VM_EXIT_UNSUPPORTED (a packing this build cannot open) or VM_EXIT_ERROR. */
int vm_md_file_load(const char *path, vm_md_file *f, vm_error *err);
void vm_md_file_close(vm_md_file *f);

/* The minidump source (vm_source_minidump, source.h): the dump at path loaded, parsed and turned
 * into NT facts, honouring --no-heaps and --no-sections.  Errors: NOT_FOUND for a missing file;
 * BAD_INPUT "PATH: not a minidump (signature ...)" or naming what is out of bounds in a truncated
 * one.  The facts' header: source "minidump", os, arch, process, taken_at = the dump's time.  A
 * dump with nothing to map (no threads, modules, memory or region list) is VM_EXIT_BAD_INPUT.
 * The facts' memory reader reads the captured bytes until vm_facts_release. */
int vm_minidump_gather(const char *path, const vm_capture_options *opt, vm_facts *facts, vm_error *err);

/* The same from bytes in memory (tests, the fuzzer, `vmmap info`); name is used in messages.
 * data must stay valid until the facts are released.  capture/capture.h's
 * vm_minidump_capture_buffer runs it through the pipeline to a classified snapshot. */
int vm_minidump_gather_buffer(const uint8_t *data, size_t size, const char *name, const vm_capture_options *opt,
                              vm_facts *facts, vm_error *err);

#endif
