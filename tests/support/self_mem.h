/* This test process's own memory as a target: its mappings (from /proc/self/maps) as the glibc
 * heap finder takes them, and a reader that copies only from readable mappings, so a test can
 * run the walkers over live glibc arenas and compare with what glibc itself says.
 *
 * Test support only: no cmocka calls; failures return false. */
#ifndef VMMAP_TESTS_SUPPORT_SELF_MEM_H
#define VMMAP_TESTS_SUPPORT_SELF_MEM_H

#include <stdbool.h>
#include <stddef.h>

#include "vmmap/parse/glibc_heap.h"
#include "vmmap/parse/memreader.h"

typedef struct self_maps {
    vm_glibc_range *ranges;
    size_t n;
} self_maps;

/* Reads /proc/self/maps (libc's writable mappings flagged in_libc_data). */
bool self_maps_read(self_maps *m);
void self_maps_free(self_maps *m);

/* Reads from our own memory, inside m's readable mappings only; valid while m lives. */
vm_memreader self_reader(self_maps *m);

/* False under ASan or valgrind, which replace glibc's malloc: no glibc arenas to find then. */
bool self_glibc_malloc_in_use(void);

#endif
