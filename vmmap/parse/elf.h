/* ELF files, read through a vm_memreader whose addresses are file offsets (vm_file_reader), so
 * the same code reads a file on disk, bytes in a core file, or a fuzzer's buffer.
 * Both ELFCLASS32 and ELFCLASS64, little-endian.  Every header, count, offset and string index is
 * checked against the file size; a bad file is an error message, never a crash. */
#ifndef VMMAP_PARSE_ELF_H
#define VMMAP_PARSE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memreader.h"

typedef struct vm_elf_section {
    char name[64];
    uint32_t type;     /* SHT_* */
    uint64_t flags;    /* SHF_* (ALLOC 0x2, WRITE 0x1, EXECINSTR 0x4) */
    uint64_t addr;     /* sh_addr: link-time virtual address */
    uint64_t offset;   /* sh_offset */
    uint64_t size;
} vm_elf_section;

typedef struct vm_elf_segment {  /* PT_LOAD only */
    uint64_t vaddr, offset, filesz, memsz, align;
    uint32_t flags;  /* PF_R 4, PF_W 2, PF_X 1 */
} vm_elf_segment;

typedef struct vm_elf {
    int bits;          /* 32 or 64 */
    uint16_t type;     /* ET_EXEC, ET_DYN, ET_CORE ... */
    uint16_t machine;
    vm_elf_section *sections; size_t nsections;
    vm_elf_segment *loads;    size_t nloads;
    /* private: symbol tables located for vm_elf_find_symbol */
    uint64_t dynsym_off, dynsym_size, dynstr_off, dynstr_size;
    uint64_t symtab_off, symtab_size, strtab_off, strtab_size;
    uint64_t file_size;
} vm_elf;

/* Parses headers, sections (names resolved via shstrndx), PT_LOAD segments. */
bool vm_elf_parse(const vm_memreader *file, uint64_t file_size, vm_elf *out, char *err, size_t errlen);
void vm_elf_free(vm_elf *e);

/* Looks a symbol up in .dynsym then .symtab; value is the link-time address (add the load bias). */
bool vm_elf_find_symbol(const vm_memreader *file, const vm_elf *e, const char *name,
                        uint64_t *value, uint64_t *size);

/* Every defined symbol of .dynsym, then of .symtab (a symbol in both is seen twice), whose
 * name starts with prefix and is shorter than VM_ELF_SYMBOL_NAME_MAX; value is the link-time
 * address.  fn returns false to stop. */
#define VM_ELF_SYMBOL_NAME_MAX 1024
typedef bool (*vm_elf_symbol_fn)(void *ctx, const char *name, uint64_t value, uint64_t size);
void vm_elf_each_symbol(const vm_memreader *file, const vm_elf *e, const char *prefix, vm_elf_symbol_fn fn,
                        void *ctx);

/* Load bias of an ELF mapped at runtime: given a mapping with file offset map_offset starting at
 * map_start, bias = map_start - (vaddr of the PT_LOAD containing that offset, page-aligned, with
 * the offset difference).  Returns false when no PT_LOAD contains map_offset.
 * When several PT_LOADs contain it, the one whose page-aligned offset is nearest wins, then
 * the first in file order: pass the file's mapping at offset 0 for an unambiguous answer. */
bool vm_elf_load_bias(const vm_elf *e, uint64_t map_start, uint64_t map_offset, uint64_t page_size,
                      uint64_t *bias);

/* A file on disk as a vm_memreader (pread).  Opened read-only; size from fstat. */
typedef struct vm_file_reader {
    int fd;
    uint64_t size;
} vm_file_reader;

bool vm_file_reader_open(vm_file_reader *fr, const char *path, char *err, size_t errlen);
vm_memreader vm_file_reader_make(vm_file_reader *fr);
void vm_file_reader_close(vm_file_reader *fr);

#endif
