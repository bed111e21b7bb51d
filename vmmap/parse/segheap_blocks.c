/* The blocks of a segment heap (see winheap_blocks.h): its large allocations, each one busy block
 * spanning its pages, user_size what was asked for (the pages less the UnusedBytes kept in the
 * low bits of VirtualAddress).  The page segments' VS and LFH blocks are not decoded: their
 * headers are encoded with keys held by ntdll (RtlpHpHeapGlobals), so the walk says so in its
 * info rather than count them as zero. */
#include "segheap.h"
#include "winheap_emit.h"

bool vm_segheap_blocks(vm_winemit *w)
{
    vm_winheap h;
    int got = vm_winemit_map(w, vm_segheap_walk, &h);
    if (got <= 0)
        return got == 0;
    if (h.nsegments)
        vm_winemit_missing(w, "VS and LFH blocks of the segment heap's %zu page segment%s not counted (their headers "
                           "are encoded with ntdll's keys)", h.nsegments, h.nsegments == 1 ? "" : "s");
    bool ok = true;
    for (size_t i = 0; ok && i < h.nlarge; i++)
        ok = vm_winemit_block(w, h.large[i].address, h.large[i].size, h.large[i].address, h.large[i].user_size,
                              VM_HBLOCK_BUSY);
    vm_winheap_free(&h);
    return ok;
}
