/* How far a block walk got, for a progress line: the one counter every block walker adds to
 * (glibc's, glibc_blocks.h; the Windows family's, winheap_blocks.h), owned by the dispatcher
 * (heap_walk.h), so that a walk over every heap of a snapshot tells one growing figure to one
 * hook.  The hook hears of it every VM_WALK_PROGRESS_EVERY bytes; it decides itself whether
 * to draw (after a second, on a terminal: capture/heap_step.c).  Platform-neutral. */
#ifndef VMMAP_PARSE_WALK_PROGRESS_H
#define VMMAP_PARSE_WALK_PROGRESS_H

#include <stdint.h>

/* Often enough that a heap of a few MiB (a Windows process's) is heard of, seldom enough that
 * the walk of a GiB of glibc heap makes only 256 calls. */
#define VM_WALK_PROGRESS_EVERY ((uint64_t)4 << 20)

typedef struct vm_walk_progress {
    void (*report)(void *ctx, uint64_t bytes);  /* bytes of heap walked so far; NULL: none */
    void *ctx;
    uint64_t walked, told;
} vm_walk_progress;

/* bytes more were walked (p may be NULL: nobody counts). */
static inline void vm_walk_progress_add(vm_walk_progress *p, uint64_t bytes)
{
    if (!p)
        return;
    p->walked += bytes;
    if (p->walked - p->told >= VM_WALK_PROGRESS_EVERY) {
        p->told = p->walked;
        if (p->report)
            p->report(p->ctx, p->walked);
    }
}

#endif
