/* A synthetic C++ process for census tests, fuzzers and benchmarks: a snapshot with an
 * application module and a C++ runtime module (sections .text, .rodata, .data.rel.ro, .data),
 * their memory holding Itanium RTTI laid out per the ABI (the three __cxxabiv1 class type_info
 * vtables in the runtime, classes with single and multiple inheritance in the application),
 * and heap regions to put objects in.  Everything goes through synth_mem, so the census reads
 * it exactly as it reads a live process.
 *
 * Test support only: misuse aborts. */
#ifndef VMMAP_TESTS_SUPPORT_SYNTH_CXX_H
#define VMMAP_TESTS_SUPPORT_SYNTH_CXX_H

#include <stdint.h>

#include "synth_mem.h"
#include "vmmap/model/snapshot.h"

typedef struct synth_area { /* a bump allocator over one mapped section */
    uint64_t next, end;
} synth_area;

typedef struct synth_cxx {
    synth_mem m;
    vm_memreader r;
    vm_snapshot *snap;
    int bits;
    uint64_t ps;
    synth_area text, rodata, relro, data, rt_rodata;
    uint64_t fn, class_vt, si_vt, vmi_vt, ti_type_info;
} synth_cxx;

void synth_cxx_init(synth_cxx *x, int bits);
void synth_cxx_free(synth_cxx *x);

uint64_t synth_cxx_take(synth_area *a, uint64_t len, uint64_t align);
uint64_t synth_cxx_str(synth_cxx *x, synth_area *a, const char *s);

/* A class in the application: its type_info (an __si one when base_ti is not 0) and vtable;
 * returns the address point; *ti_out (if not NULL) its type_info. */
uint64_t synth_cxx_class(synth_cxx *x, const char *mangled, uint64_t base_ti, uint64_t *ti_out);
/* A class with two bases (an __vmi type_info): *primary and *secondary address points, the
 * secondary one with offset-to-top -secondary_offset. */
void synth_cxx_mi_class(synth_cxx *x, const char *mangled, uint64_t secondary_offset, uint64_t *primary,
                        uint64_t *secondary);

/* A committed read/write region of kind at [base, base + size), mapped; for VM_KIND_HEAP also a
 * heap with this id and one part.  Returns the block. */
vm_block *synth_cxx_region(synth_cxx *x, uint64_t base, uint64_t size, vm_kind kind, int32_t heap_id);

#endif
