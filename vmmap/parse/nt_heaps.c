/* Every heap of a Windows process into the snapshot (see nt_heaps.h). */
#include "nt_heaps.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "ntheap.h"
#include "segheap.h"
#include "wineheap.h"

/* PEB fields (windows-internals.md §1). */
typedef struct peb_layout {
    uint16_t process_heap, number_of_heaps, process_heaps;
} peb_layout;

static const peb_layout PEB64 = {0x30, 0xE8, 0xF0};
static const peb_layout PEB32 = {0x18, 0x88, 0x90};

typedef struct handle_list {
    uint64_t *v;
    size_t n;
} handle_list;

/* Adds h unless it is 0, already listed, or the list is full.  False only when out of memory. */
static bool add_handle(handle_list *l, uint64_t h)
{
    if (!h || l->n >= VM_NT_HEAPS_MAX)
        return true;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == h)
            return true;
    uint64_t *slot = vm_array_push((void **)&l->v, &l->n, sizeof *l->v);
    if (!slot)
        return false;
    *slot = h;
    return true;
}

/* The walkers in the order a heap is tried: a signature decides, so at most one answers OK. */
typedef vm_winheap_status (*walker)(const vm_memreader *, int, uint64_t, uint32_t, vm_winheap *, vm_snapshot *);

static const walker WALKERS[] = {vm_segheap_walk, vm_ntheap_walk, vm_wineheap_walk_build};

/* Walks one heap with the walker its signatures select; a heap nobody recognises or that cannot
 * be read is described as such (with a warning) so it is listed all the same. */
static bool identify(const vm_memreader *mem, const vm_nt_heaps_input *in, uint64_t heap,
                     vm_winheap *out, vm_snapshot *snap)
{
    bool unreadable = false;
    for (size_t i = 0; i < sizeof WALKERS / sizeof WALKERS[0]; i++) {
        vm_winheap_status st = WALKERS[i](mem, in->bits, heap, in->os_build, out, snap);
        if (st == VM_WINHEAP_OK)
            return true;
        if (st == VM_WINHEAP_OOM)
            return false;
        unreadable |= st == VM_WINHEAP_UNREADABLE;
    }
    memset(out, 0, sizeof *out);
    out->address = heap;
    if (unreadable) {
        out->kind = "not captured";
        vm_snapshot_warn(snap, "read-failed", "heap 0x%" PRIx64 ": its header is not readable (not captured)", heap);
    } else {
        out->kind = "unknown";
        vm_snapshot_warn(snap, "heap-invalid", "heap 0x%" PRIx64 ": neither an NT, a segment nor a Wine heap", heap);
    }
    return true;
}

bool vm_nt_heaps_collect(const vm_memreader *mem, const vm_nt_heaps_input *in, vm_snapshot *snap)
{
    handle_list l = {0};
    uint64_t *wine = NULL;
    size_t nwine = 0;
    bool ok = add_handle(&l, in->process_heap);
    for (size_t i = 0; ok && i < in->nheaps; i++)
        ok = add_handle(&l, in->heaps[i]);
    if (ok && in->process_heap)
        ok = vm_wineheap_list(mem, in->bits, in->process_heap, &wine, &nwine, snap);
    for (size_t i = 0; ok && i < nwine; i++)
        ok = add_handle(&l, wine[i]);
    free(wine);
    for (size_t i = 0; ok && i < l.n; i++) {
        vm_winheap h;
        ok = identify(mem, in, l.v[i], &h, snap);
        const char *cls = l.v[i] == in->process_heap ? "process heap" : NULL;
        ok = ok && vm_winheap_append(snap, &h, (int32_t)snap->nheaps, cls);
        vm_winheap_free(&h);
    }
    free(l.v);
    return ok;
}

bool vm_nt_heaps_from_peb(const vm_memreader *mem, int bits, uint64_t peb, uint32_t os_build, vm_snapshot *snap)
{
    const peb_layout *p = bits == 32 ? &PEB32 : &PEB64;
    unsigned ptr = bits == 32 ? 4 : 8;
    vm_nt_heaps_input in = {.bits = bits, .os_build = os_build};
    uint64_t array = 0;
    uint32_t count = 0;
    if (!vm_winheap_read_ptr(mem, bits, peb + p->process_heap, &in.process_heap) ||
        !vm_read_u32(mem, peb + p->number_of_heaps, &count) ||
        !vm_winheap_read_ptr(mem, bits, peb + p->process_heaps, &array)) {
        vm_snapshot_warn(snap, "read-failed", "PEB 0x%" PRIx64 ": cannot read its heap fields", peb);
        return true;
    }
    if (count > VM_NT_HEAPS_MAX) {
        vm_snapshot_warn(snap, "heap-invalid", "PEB 0x%" PRIx64 ": NumberOfHeaps %" PRIu32 " is implausible; "
                         "reading the first %d", peb, count, VM_NT_HEAPS_MAX);
        count = VM_NT_HEAPS_MAX;
    }
    uint64_t *heaps = count ? calloc(count, sizeof *heaps) : NULL;
    if (count && !heaps)
        return false;
    for (uint32_t i = 0; array && i < count; i++) {
        if (!vm_winheap_read_ptr(mem, bits, array + (uint64_t)i * ptr, &heaps[i])) {
            vm_snapshot_warn(snap, "read-failed", "PEB 0x%" PRIx64 ": ProcessHeaps[%" PRIu32 "] at 0x%" PRIx64
                             " is not readable", peb, i, array + (uint64_t)i * ptr);
            count = i;
            break;
        }
    }
    in.heaps = heaps;
    in.nheaps = array ? count : 0;
    bool ok = vm_nt_heaps_collect(mem, &in, snap);
    free(heaps);
    return ok;
}
