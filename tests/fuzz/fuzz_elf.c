/* libFuzzer target for the ELF parser: the input is a whole file, read through a buffer reader
 * at base 0.  Any input must give true or false with a message, never a crash, a leak or an
 * out-of-bounds read.  Seeds: tests/fuzz/corpus/fuzz_elf/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmmap/parse/elf.h"
#include "vmmap/parse/memreader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vm_buffer_reader br = {.base = 0, .data = data, .len = size};
    vm_memreader r = vm_buffer_reader_make(&br);
    vm_elf e;
    char err[256];
    if (!vm_elf_parse(&r, size, &e, err, sizeof err)) {
        /* A refusal must say why. */
        if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
            __builtin_trap();
        return 0;
    }
    uint64_t value = 0, sym_size = 0, bias = 0;
    vm_elf_find_symbol(&r, &e, "main", &value, &sym_size);
    vm_elf_find_symbol(&r, &e, "_start", &value, NULL);
    static const uint64_t offsets[] = {0, 0x1000, 0x2000, 0x10000, UINT64_MAX & ~0xfffull};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
        vm_elf_load_bias(&e, 0x7f0000000000, offsets[i], 4096, &bias);
    vm_elf_load_bias(&e, 0x400000, 0, 65536, &bias);
    /* The parsed sections must be self-consistent: names terminated, file bytes in bounds. */
    for (size_t i = 0; i < e.nsections; i++) {
        const vm_elf_section *s = &e.sections[i];
        if (memchr(s->name, '\0', sizeof s->name) == NULL)
            __builtin_trap();
        if (s->type != 0 && s->type != 8 && (s->offset > size || s->size > size - s->offset))
            __builtin_trap();
    }
    for (size_t i = 0; i < e.nloads; i++)
        if (e.loads[i].offset > size || e.loads[i].filesz > size - e.loads[i].offset)
            __builtin_trap();
    vm_elf_free(&e);
    return 0;
}
