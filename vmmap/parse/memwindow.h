/* Reading many small pieces of target memory in address order (heap block headers, one after
 * another) through a window buffer: one read of the target per window, not one per piece.  A
 * live process costs a system call per read, so a walk over millions of blocks needs this.
 *
 * The window holds what one read returned from the first address asked for: a piece inside it
 * is copied out, a piece outside it moves the window there.  Each window is one consistent copy
 * of the target's bytes, which is all a walker of changing memory can hope for. */
#ifndef VMMAP_PARSE_MEMWINDOW_H
#define VMMAP_PARSE_MEMWINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memreader.h"

#define VM_MEMWINDOW_SIZE (64 * 1024)

typedef struct vm_memwindow {
    const vm_memreader *mem;
    uint64_t base;   /* target address of buf[0] */
    size_t len;      /* valid bytes in buf (0: empty) */
    uint8_t *buf;    /* VM_MEMWINDOW_SIZE bytes */
} vm_memwindow;

/* False when out of memory. */
bool vm_memwindow_init(vm_memwindow *w, const vm_memreader *mem);
void vm_memwindow_free(vm_memwindow *w);

/* All n bytes at addr, or false (n <= VM_MEMWINDOW_SIZE; larger pieces are read directly). */
bool vm_memwindow_read(vm_memwindow *w, uint64_t addr, void *out, size_t n);

/* Forgets the window's bytes (the next read goes to the target again). */
void vm_memwindow_drop(vm_memwindow *w);

#endif
