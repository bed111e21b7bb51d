#include "memwindow.h"

#include <stdlib.h>
#include <string.h>

bool vm_memwindow_init(vm_memwindow *w, const vm_memreader *mem)
{
    w->mem = mem;
    w->base = 0;
    w->len = 0;
    w->buf = malloc(VM_MEMWINDOW_SIZE);
    return w->buf != NULL;
}

void vm_memwindow_free(vm_memwindow *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = 0;
}

void vm_memwindow_drop(vm_memwindow *w)
{
    w->len = 0;
}

bool vm_memwindow_read(vm_memwindow *w, uint64_t addr, void *out, size_t n)
{
    if (addr + n < addr)
        return false;
    if (n > VM_MEMWINDOW_SIZE)
        return vm_read_exact(w->mem, addr, out, n);
    if (w->len && addr >= w->base && addr - w->base <= w->len && n <= w->len - (size_t)(addr - w->base)) {
        memcpy(out, w->buf + (addr - w->base), n);
        return true;
    }
    /* Reads stop at the end of the address space rather than wrapping. */
    size_t want = VM_MEMWINDOW_SIZE;
    if (UINT64_MAX - addr < VM_MEMWINDOW_SIZE - 1)
        want = (size_t)(UINT64_MAX - addr) + 1;
    w->base = addr;
    w->len = w->mem->read(w->mem->ctx, addr, w->buf, want);
    if (w->len > want)
        w->len = 0;  /* a reader breaking its contract: believe nothing */
    if (w->len < n)
        return false;
    memcpy(out, w->buf, n);
    return true;
}
