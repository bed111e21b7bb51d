/* The region list: VirtualQueryEx from address 0 to the top of the user address space, and the
 * file behind each mapped or image allocation (GetMappedFileNameW, as a DOS path). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "win_capture.h" /* first: <windows.h> before the other Windows headers */

#include <psapi.h>

#include "../../util/xalloc.h"

/* 128 TiB / 64 KiB would be 2^31 allocations; a real process has well under a million regions.
 * The bound only stops a loop that makes no progress or a target that churns forever. */
#define MAX_REGIONS 4000000u

/* GetMappedFileNameW for the allocation at base: called once per allocation, since every region
 * of an image or view has the same file. */
static char *mapped_name(HANDLE process, uint64_t base)
{
    wchar_t buf[1024];
    DWORD n = GetMappedFileNameW(process, (LPVOID)(uintptr_t)base, buf, sizeof buf / sizeof buf[0]);
    if (n == 0 || n >= sizeof buf / sizeof buf[0])
        return NULL;
    buf[n] = L'\0';
    return win_nt_to_dos_path(buf);
}

bool win_read_regions(win_capture *c)
{
    uint64_t addr = 0;
    uint64_t last_alloc = UINT64_MAX;
    const char *last_path = NULL;
    while (addr < c->user_top) {
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQueryEx(c->process, (LPCVOID)(uintptr_t)addr, &mbi, sizeof mbi) != sizeof mbi) {
            DWORD e = GetLastError();
            /* ERROR_INVALID_PARAMETER: past the last address the kernel knows; the normal end. */
            if (e != ERROR_INVALID_PARAMETER) {
                char why[256];
                vm_snapshot_warn(c->snap, "read-failed", "VirtualQueryEx at 0x%" PRIx64 " failed: %s", addr,
                                 win_error_text(e, why, sizeof why));
            }
            break;
        }
        uint64_t base = (uint64_t)(uintptr_t)mbi.BaseAddress, size = mbi.RegionSize;
        if (base + size <= addr || size == 0) {
            vm_snapshot_warn(c->snap, "read-failed", "VirtualQueryEx made no progress at 0x%" PRIx64, addr);
            break;
        }
        if (c->nregions >= MAX_REGIONS) {
            vm_snapshot_warn(c->snap, "partial", "more than %u regions: the rest of the address space is not listed",
                             MAX_REGIONS);
            break;
        }
        vm_nt_region *r = vm_array_push((void **)&c->regions, &c->nregions, sizeof *c->regions);
        if (!r)
            return false;
        r->base = base;
        r->size = size;
        r->alloc_base = (uint64_t)(uintptr_t)mbi.AllocationBase;
        r->alloc_protect = mbi.AllocationProtect;
        r->state = mbi.State;
        r->protect = mbi.Protect;
        r->type = mbi.State == MEM_FREE ? 0 : mbi.Type;
        if (r->type == MEM_MAPPED || r->type == MEM_IMAGE) {
            if (r->alloc_base != last_alloc) {
                last_alloc = r->alloc_base;
                r->mapped_path = mapped_name(c->process, r->alloc_base ? r->alloc_base : base);
                last_path = r->mapped_path;
            } else if (last_path && !(r->mapped_path = vm_strdup(last_path))) {
                return false;
            }
        }
        addr = base + size;
    }
    /* MEM_MAPPED without a name is normal (pagefile-backed sections); a nameless image is not. */
    size_t nameless_images = 0;
    for (size_t i = 0; i < c->nregions; i++)
        if (c->regions[i].type == MEM_IMAGE && !c->regions[i].mapped_path && c->regions[i].base == c->regions[i].alloc_base)
            nameless_images++;
    if (nameless_images)
        vm_snapshot_warn(c->snap, "mapped-name", "%zu image(s) without a file name (GetMappedFileNameW failed)",
                         nameless_images);
    return true;
}
