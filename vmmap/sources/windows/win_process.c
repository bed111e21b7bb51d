/* The target's identity and PEB: image path (QueryFullProcessImageNameW), name, the PEB address
 * (NtQueryInformationProcess; the 32-bit PEB of a WOW64 process, whose heaps are 32-bit), and
 * the command line read from the PEB's process parameters. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/xalloc.h"
#include "win_capture.h"

#define PROCESS_BASIC_INFORMATION_CLASS 0
#define PROCESS_WOW64_INFORMATION_CLASS 26
#define MAX_CMDLINE_BYTES 65534u /* UNICODE_STRING.Length is a USHORT */

/* PROCESS_BASIC_INFORMATION (64-bit caller): PebBaseAddress at +0x8. */
typedef struct win_pbi {
    LONG exit_status;
    PVOID peb;
    ULONG_PTR affinity;
    LONG base_priority;
    ULONG_PTR pid, parent_pid;
} win_pbi;

static void find_peb(win_capture *c)
{
    win_nt_query_info_fn query = win_nt_query_information_process();
    if (!query)
        return;
    ULONG got = 0;
    if (c->wow64) {
        /* Windows returns the PEB32 address; Wine returns 1 (windows-internals.md §5): only a
         * plausible address is believed. */
        ULONG_PTR peb32 = 0;
        if (query(c->process, PROCESS_WOW64_INFORMATION_CLASS, &peb32, sizeof peb32, &got) == 0 && peb32 >= 0x10000 &&
            peb32 < 0x100000000ull && peb32 % 4096 == 0)
            c->peb = peb32;
        else
            vm_snapshot_warn(c->snap, "peb", "the 32-bit PEB of this WOW64 process is not available: heaps are not listed");
        return;
    }
    win_pbi pbi;
    memset(&pbi, 0, sizeof pbi);
    if (query(c->process, PROCESS_BASIC_INFORMATION_CLASS, &pbi, sizeof pbi, &got) == 0)
        c->peb = (uint64_t)(uintptr_t)pbi.peb;
}

/* PEB.ProcessParameters -> RTL_USER_PROCESS_PARAMETERS.CommandLine (UNICODE_STRING). */
static char *read_cmdline(const win_capture *c, const vm_memreader *mem)
{
    uint64_t params = 0, buffer = 0;
    uint16_t len = 0;
    if (c->bits == 64) {
        uint32_t len32;
        if (!vm_read_u64(mem, c->peb + 0x20, &params) || !vm_read_u32(mem, params + 0x70, &len32) ||
            !vm_read_u64(mem, params + 0x78, &buffer))
            return NULL;
        len = (uint16_t)len32;
    } else {
        uint32_t p32, len32, b32;
        if (!vm_read_u32(mem, c->peb + 0x10, &p32) || !vm_read_u32(mem, (uint64_t)p32 + 0x40, &len32) ||
            !vm_read_u32(mem, (uint64_t)p32 + 0x44, &b32))
            return NULL;
        len = (uint16_t)len32;
        buffer = b32;
    }
    if (!buffer || len == 0 || len % 2 || len > MAX_CMDLINE_BYTES)
        return NULL;
    wchar_t *w = malloc(len + sizeof(wchar_t));
    if (!w)
        return NULL;
    char *s = NULL;
    if (vm_read_exact(mem, buffer, w, len))
        s = win_utf8(w, len / 2);
    free(w);
    return s;
}

void win_read_process_info(win_capture *c, const vm_memreader *mem)
{
    vm_process *p = &c->snap->process;
    p->pid = c->pid;
    p->bits = c->bits;
    wchar_t path[32768];
    DWORD n = sizeof path / sizeof path[0];
    if (QueryFullProcessImageNameW(c->process, 0, path, &n) && n > 0) {
        p->exe = win_utf8(path, (int)n);
        const char *base = p->exe ? strrchr(p->exe, '\\') : NULL;
        p->name = vm_strdup(base ? base + 1 : p->exe);
    }
    find_peb(c);
    if (c->peb)
        p->cmdline = read_cmdline(c, mem);
}
