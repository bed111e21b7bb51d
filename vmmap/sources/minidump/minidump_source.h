/* A Windows minidump as a source: the dump's streams turned into the NT facts (sources/nt) that
 * a live Windows process gives, then classified like one.  Works in every build: the dump is just
 * bytes.  docs/minidumps.md says what each stream gives and what a dump without a MemoryInfoList
 * or without full memory can and cannot show. */
#ifndef VMMAP_SOURCES_MINIDUMP_SOURCE_H
#define VMMAP_SOURCES_MINIDUMP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../model/snapshot.h"
#include "../../util/error.h"

/* Above this a .dmp.xz is not decompressed, nor a dump read whole where it cannot be mapped. */
#define VM_MD_MAX_LOAD (UINT64_C(4) << 30)
/* A .dmp.xz that expands by more than this factor (beyond its first 64 MiB) is refused. */
#define VM_MD_MAX_XZ_RATIO 10000u

/* A dump file's bytes: mapped (POSIX), read whole (Windows, non-regular files) or decompressed
 * (.xz, Linux builds). */
typedef struct vm_md_file {
    uint8_t *data;
    size_t size;
    bool mapped;       /* munmap rather than free */
    bool decompressed; /* it was a .xz file */
} vm_md_file;

/* Loads path.  VM_EXIT_NOT_FOUND (no such file), VM_EXIT_ACCESS, VM_EXIT_BAD_INPUT (corrupt .xz,
 * too large), VM_EXIT_UNSUPPORTED (.xz in a build without liblzma) or VM_EXIT_ERROR. */
int vm_md_file_load(const char *path, vm_md_file *f, vm_error *err);
void vm_md_file_close(vm_md_file *f);

/* True when path is an existing file starting with "MDMP" (or an xz stream whose name says
 * .dmp.xz / .mdmp.xz): used to recognise dumps whatever their extension. */
bool vm_md_file_sniff(const char *path);

/* Maps the dump at path: loads it, then vm_minidump_capture_buffer.  Errors: NOT_FOUND for a
 * missing file; BAD_INPUT "PATH: not a minidump (signature ...)" or naming what is out of bounds
 * in a truncated one. */
int vm_minidump_capture(const char *path, vm_snapshot **out, vm_error *err);

/* The same from bytes in memory (tests, the fuzzer); name is used in messages.  Returns a
 * classified snapshot with its header filled (source "minidump", os, arch, process, taken_at =
 * the dump's time).  A dump with nothing to map (no threads, modules, memory or region list) is
 * VM_EXIT_BAD_INPUT. */
int vm_minidump_capture_buffer(const uint8_t *data, size_t size, const char *name, vm_snapshot **out,
                               vm_error *err);

#endif
