/* libFuzzer target for the PE parser: the input is an image mapped at a fixed base, read
 * through a buffer reader.  Any input must give true or false with a message, never a crash, a
 * leak or an out-of-bounds read; accepted images must give module sections inside the image. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmmap/model/snapshot.h"
#include "vmmap/parse/memreader.h"
#include "vmmap/parse/pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE UINT64_C(0x140000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vm_buffer_reader br = {.base = BASE, .data = data, .len = size};
    vm_memreader r = vm_buffer_reader_make(&br);
    vm_pe pe;
    char err[256];
    if (!vm_pe_parse(&r, BASE, &pe, err, sizeof err)) {
        if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL || pe.sections)
            __builtin_trap();
        return 0;
    }
    if (pe.nsections > VM_PE_MAX_SECTIONS || (pe.bits != 32 && pe.bits != 64))
        __builtin_trap();
    vm_module m = {0};
    if (vm_pe_add_sections(&pe, BASE, &m)) {
        for (size_t i = 0; i < m.nsections; i++) {
            const vm_section *s = &m.sections[i];
            if (s->address < BASE || s->address + s->size > BASE + pe.size_of_image)
                __builtin_trap();
            if ((s->protection & VM_PROT_COPY) && !(s->protection & VM_PROT_WRITE))
                __builtin_trap();
        }
    }
    for (size_t i = 0; i < m.nsections; i++)
        free(m.sections[i].name);
    free(m.sections);
    vm_pe_free(&pe);
    return 0;
}
