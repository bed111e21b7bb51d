/* A file's content as something to read at any offset without holding it in memory: the file
 * itself when it is plain, or, when it is packed (gzip, xz, bzip2), its content decompressed as
 * a stream into an unlinked temporary file (in $TMPDIR, else /tmp).  Either way reads are pread
 * through a small cache, so the peak resident memory does not grow with the file's size. */
#ifndef VMMAP_SOURCES_INPUT_SPOOL_H
#define VMMAP_SOURCES_INPUT_SPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "../../parse/elf.h"
#include "../../parse/memreader.h"
#include "../../util/error.h"
#include "unpack.h"

/* A packed file that expands by more than this factor beyond its first 64 MiB is refused (a
 * decompression bomb would fill the disk). */
#define VM_SPOOL_MAX_RATIO 10000u

#define VM_SPOOL_CACHE_BLOCKS 32
#define VM_SPOOL_BLOCK (64 * 1024)

typedef struct vm_spool {
    vm_file_reader file;      /* the plain content (the file, or the temporary) */
    vm_packing packing;       /* what the file was packed in */
    uint64_t packed_size;     /* the file's own size */
    /* cache: direct-mapped 64 KiB blocks */
    uint8_t *cache;
    uint64_t tag[VM_SPOOL_CACHE_BLOCKS];
    uint32_t len[VM_SPOOL_CACHE_BLOCKS];
    bool valid[VM_SPOOL_CACHE_BLOCKS];
    uint64_t reads;           /* pread calls made */
} vm_spool;

/* Opens path (NOT_FOUND, ACCESS, BAD_INPUT for a directory or corrupt/too expansive packing,
 * UNSUPPORTED for a packing this build cannot open, ERROR when the temporary cannot be written:
 * the message says where and why). */
int vm_spool_open(const char *path, vm_spool *s, vm_error *err);
/* The content, addresses being offsets; valid until vm_spool_close. */
vm_memreader vm_spool_reader(vm_spool *s);
void vm_spool_close(vm_spool *s);

#endif
