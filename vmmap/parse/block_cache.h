/* A memory reader over another one that keeps the last few aligned blocks it read, for parsers
 * that jump around a file in small reads: an ELF's identification, header and program headers at
 * its start, its section headers, their names and its symbol tables near its end.  Over a file
 * every read is a system call; through the cache a small library costs two.
 *
 * Only for readers where a byte that can be read implies that the bytes before it in its block
 * can be read too: a file (offsets from 0).  Reads longer than a block go straight through.  One
 * thread at a time. */
#ifndef VMMAP_PARSE_BLOCK_CACHE_H
#define VMMAP_PARSE_BLOCK_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memreader.h"

#define VM_BLOCK_CACHE_BLOCK 4096u
#define VM_BLOCK_CACHE_BLOCKS 16u

typedef struct vm_block_cache {
    const vm_memreader *under;
    uint64_t size;                          /* under has no bytes at or past this offset */
    uint8_t *data;                          /* the blocks' bytes; NULL: every read goes through */
    uint64_t base[VM_BLOCK_CACHE_BLOCKS];   /* offset of each block */
    size_t len[VM_BLOCK_CACHE_BLOCKS];      /* bytes its read gave (fewer at the end of a file) */
    bool full[VM_BLOCK_CACHE_BLOCKS];       /* the slot holds a block */
    uint64_t used[VM_BLOCK_CACHE_BLOCKS];   /* when it was last used: the oldest is replaced */
    uint64_t clock;
} vm_block_cache;

/* Without memory for the blocks the cache still works, reading everything through. */
void vm_block_cache_init(vm_block_cache *c);
/* Forgets the blocks and reads through under from now on (a new file), which ends at size (a
 * file's size: no block is asked for beyond it, which would cost a read that finds nothing). */
void vm_block_cache_reset(vm_block_cache *c, const vm_memreader *under, uint64_t size);
void vm_block_cache_free(vm_block_cache *c);
vm_memreader vm_block_cache_reader(vm_block_cache *c);

#endif
