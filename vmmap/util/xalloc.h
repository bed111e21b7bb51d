/* Small allocation helpers shared by the model and the parsers. */
#ifndef VMMAP_UTIL_XALLOC_H
#define VMMAP_UTIL_XALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include "compiler.h"

/* Appends one zeroed element to *arr (element size elem) and increments *count; returns it, or
 * NULL on overflow/out of memory (then nothing changes).  Capacity is implicit in the count
 * (powers of two), so an array must only ever be grown through this function. */
void *vm_array_push(void **arr, size_t *count, size_t elem);

/* Appends n elements copied from src to *arr in one go, keeping vm_array_push's implicit
 * capacity; false on overflow/out of memory (then nothing changes). */
bool vm_array_append(void **arr, size_t *count, size_t elem, const void *src, size_t n);

/* strdup that accepts NULL (returns NULL). */
char *vm_strdup(const char *s);
/* malloc'd printf. */
char *vm_asprintf(const char *fmt, ...) VM_PRINTF(1, 2);

#endif
