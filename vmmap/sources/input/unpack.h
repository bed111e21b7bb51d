/* Reading a file's content whatever it is packed in: plain, gzip, xz or bzip2, recognised by
 * their magic bytes (never by the name), decompressed as a stream with a fixed-size buffer, so
 * reading the first bytes of a 4 GB core.xz costs a few kilobytes, and reading all of it never
 * holds more than a buffer.  Every build opens all three: zlib, liblzma and libbz2 are linked
 * into the Linux build from Debian's packages and into the Windows one from Debian's sources
 * (scripts/build-mingw-deps.sh). */
#ifndef VMMAP_SOURCES_INPUT_UNPACK_H
#define VMMAP_SOURCES_INPUT_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../util/error.h"

typedef enum vm_packing {
    VM_PACK_NONE,
    VM_PACK_GZIP,
    VM_PACK_XZ,
    VM_PACK_BZIP2,
} vm_packing;

/* The packing that the first bytes announce (VM_PACK_NONE when none). */
vm_packing vm_packing_of(const uint8_t *head, size_t n);
/* "gzip", "xz", "bzip2"; "uncompressed" for VM_PACK_NONE. */
const char *vm_packing_name(vm_packing p);

/* The error for a file that cannot be opened or read (errno e): NOT_FOUND, ACCESS (with a hint),
 * BAD_INPUT for a directory, else ERROR with strerror's words; err names path.  Returns the code. */
int vm_input_open_error(const char *path, int e, vm_error *err);

/* A stream of a file's content: plain bytes, or decompressed.  Reads the file with stdio. */
typedef struct vm_unpack vm_unpack;

/* Opens path.  Errors: NOT_FOUND, ACCESS, BAD_INPUT (a directory, or a packed start that is
 * corrupt), ERROR. */
int vm_unpack_open(const char *path, vm_unpack **out, vm_error *err);
/* Reads up to len bytes of content into buf; *got 0 at the end.  BAD_INPUT when the compressed
 * data is corrupt or truncated (named as such), ERROR on a read error. */
int vm_unpack_read(vm_unpack *u, void *buf, size_t len, size_t *got, vm_error *err);
vm_packing vm_unpack_packing(const vm_unpack *u);
/* Bytes of the file read so far (compressed bytes for a packed file). */
uint64_t vm_unpack_bytes_in(const vm_unpack *u);
void vm_unpack_close(vm_unpack *u);

/* The first up to cap bytes of path's content (decompressed when packed).  *packing says what
 * it was packed in.  Same errors as vm_unpack_open / vm_unpack_read; a packed file whose start
 * is corrupt gives BAD_INPUT. */
int vm_unpack_head(const char *path, uint8_t *buf, size_t cap, size_t *n, vm_packing *packing, vm_error *err);

#endif
