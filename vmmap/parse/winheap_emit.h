/* What the Windows-family block walkers (ntheap_blocks.c, segheap_blocks.c, wineheap_blocks.c)
 * share: the visitor and its context, the "not counted" notes for winheap_blocks.h's info, and a
 * window over target memory.  Internal to those walkers. */
#ifndef VMMAP_PARSE_WINHEAP_EMIT_H
#define VMMAP_PARSE_WINHEAP_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/compiler.h"
#include "memwindow.h"
#include "ntheap.h"
#include "winheap_blocks.h"

typedef struct vm_winemit {
    const vm_memreader *mem;
    vm_memwindow win;
    int bits;
    uint64_t heap;
    uint32_t os_build;
    int32_t heap_id;
    vm_hblock_visit visit;
    void *ctx;
    vm_snapshot *snap;           /* may be NULL */
    vm_winheap_walk_info *info;  /* never NULL inside the walkers */
    vm_walk_progress *progress;  /* may be NULL */
    bool stopped;                /* the visitor asked to stop */
} vm_winemit;

/* One block to the visitor; false when the visitor stopped (then w->stopped). */
bool vm_winemit_block(vm_winemit *w, uint64_t address, uint64_t size, uint64_t user, uint64_t user_size,
                      vm_hblock_state state);

/* The walk of a part ended early or skipped something: info->complete = false and, when why is
 * not NULL, the words are added to info->not_counted ("; "-separated, each said once). */
void vm_winemit_missing(vm_winemit *w, const char *fmt, ...) VM_PRINTF(2, 3);

/* A warning in snap (when there is one), prefixed with the heap's address. */
void vm_winemit_warn(vm_winemit *w, const char *code, const char *fmt, ...) VM_PRINTF(3, 4);

/* A map walker (ntheap.h, segheap.h; Wine's through an adapter). */
typedef vm_winheap_status (*vm_winemit_map_fn)(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build,
                                               vm_winheap *out, vm_snapshot *snap);

/* The map walk a block walker starts from: its segments, subheaps, large blocks into h.  It
 * already ran when the snapshot was taken and recorded its warnings then: run again, it writes
 * them to a scratch snapshot, and only those w->snap does not hold yet are copied there; any
 * means a part may be missing, recorded as missing.  Returns 1 when h holds the heap (free it),
 * 0 when there is nothing to walk (said as missing), -1 when out of memory. */
int vm_winemit_map(vm_winemit *w, vm_winemit_map_fn walk, vm_winheap *h);

/* The heap walkers (each returns false only when out of memory or when the visitor stopped). */
bool vm_ntheap_blocks(vm_winemit *w);
bool vm_segheap_blocks(vm_winemit *w);
bool vm_wineheap_blocks(vm_winemit *w);

#endif
