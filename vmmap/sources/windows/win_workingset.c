/* Working-set columns from QueryWorkingSetEx, asked page by page in batches over committed
 * regions (windows-internals.md §6): a Valid page counts in Total WS; not Shared -> Private WS;
 * Shared -> Shareable WS, and Shared with ShareCount > 1 (mapped by another process too) ->
 * Shared WS; Locked -> Locked WS.  When the API fails (access, or Wine not implementing it for
 * another process) the columns stay unknown, not zero, with one warning. */
#include <inttypes.h>
#include <stdlib.h>

#include "win_capture.h" /* first: <windows.h> before the other Windows headers */

#include <psapi.h>


#define BATCH 65536u /* pages per call: 1 MiB of entries on x64 */

static const uint32_t WS_KNOWN = (1u << VM_C_TOTAL_WS) | (1u << VM_C_PRIVATE_WS) | (1u << VM_C_SHAREABLE_WS) |
                                 (1u << VM_C_SHARED_WS) | (1u << VM_C_LOCKED_WS);

static void count_page(const PSAPI_WORKING_SET_EX_BLOCK *a, uint64_t page, vm_counters *ws)
{
    if (!a->Valid)
        return;
    ws->v[VM_C_TOTAL_WS] += page;
    if (a->Shared) {
        ws->v[VM_C_SHAREABLE_WS] += page;
        if (a->ShareCount > 1)
            ws->v[VM_C_SHARED_WS] += page;
    } else {
        ws->v[VM_C_PRIVATE_WS] += page;
    }
    if (a->Locked)
        ws->v[VM_C_LOCKED_WS] += page;
}

/* Measures one region; false when the API refused (error set). */
static bool measure(win_capture *c, vm_nt_region *r, PSAPI_WORKING_SET_EX_INFORMATION *buf, DWORD *error)
{
    uint64_t pages = r->size / c->page_size;
    /* Wine answers only for the pseudo handle of the calling process (--self). */
    HANDLE handle = c->pid == GetCurrentProcessId() ? GetCurrentProcess() : c->process;
    for (uint64_t done = 0; done < pages;) {
        DWORD n = (DWORD)(pages - done < BATCH ? pages - done : BATCH);
        for (DWORD i = 0; i < n; i++)
            buf[i].VirtualAddress = (PVOID)(uintptr_t)(r->base + (done + i) * c->page_size);
        if (!QueryWorkingSetEx(handle, buf, n * (DWORD)sizeof *buf)) {
            *error = GetLastError();
            return false;
        }
        for (DWORD i = 0; i < n; i++)
            count_page(&buf[i].VirtualAttributes, c->page_size, &r->ws);
        done += n;
    }
    return true;
}

void win_read_working_set(win_capture *c)
{
    PSAPI_WORKING_SET_EX_INFORMATION *buf = calloc(BATCH, sizeof *buf);
    DWORD error = 0;
    bool ok = buf != NULL;
    for (size_t i = 0; ok && i < c->nregions; i++) {
        vm_nt_region *r = &c->regions[i];
        if (r->state == MEM_COMMIT)
            ok = measure(c, r, buf, &error);
    }
    free(buf);
    if (!ok) {
        for (size_t i = 0; i < c->nregions; i++) {
            c->regions[i].ws.known &= ~WS_KNOWN;
            for (int k = VM_C_TOTAL_WS; k <= VM_C_LOCKED_WS; k++)
                c->regions[i].ws.v[k] = 0;
        }
        char why[256];
        vm_snapshot_warn(c->snap, "working-set", "QueryWorkingSetEx failed (%s): the working-set columns are unknown",
                         error ? win_error_text(error, why, sizeof why) : "out of memory");
        return;
    }
    /* Reserved pages are never in the working set: a true zero. */
    for (size_t i = 0; i < c->nregions; i++)
        if (c->regions[i].state != MEM_FREE)
            c->regions[i].ws.known |= WS_KNOWN;
}
