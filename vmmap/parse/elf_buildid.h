/* The GNU build-id of an ELF image (the NT_GNU_BUILD_ID note in a PT_NOTE segment), read either
 * from a file or from the image as the loader mapped it (a core's or a dump's memory), so that a
 * module file on disk can be matched to the image a core holds. */
#ifndef VMMAP_PARSE_ELF_BUILDID_H
#define VMMAP_PARSE_ELF_BUILDID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memreader.h"

#define VM_BUILD_ID_MAX 64

/* Reads the build-id into id (at most cap bytes); returns its length, 0 when there is none or
 * it cannot be read.  in_memory false: r reads file offsets and base is 0 (or where the file
 * starts in r); true: r reads target addresses and base is the address of the image's first
 * mapping (file offset 0), notes found at their link-time address plus the load bias. */
size_t vm_elf_build_id(const vm_memreader *r, uint64_t base, bool in_memory, uint8_t *id, size_t cap);

/* "3f2a...": the id as lowercase hex into buf (2 * len + 1 bytes). */
void vm_build_id_hex(const uint8_t *id, size_t len, char *buf, size_t buflen);

#endif
