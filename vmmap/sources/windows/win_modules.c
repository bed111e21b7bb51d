/* Loaded modules: EnumProcessModulesEx(LIST_MODULES_ALL) so a WOW64 target lists its 32-bit
 * and 64-bit DLLs, with GetModuleInformation for base and size and GetModuleFileNameExW for the
 * path.  The PE sections come later, from target memory (nt_facts.c). */
#include <inttypes.h>
#include <stdlib.h>

#include "win_capture.h" /* first: <windows.h> before the other Windows headers */

#include <psapi.h>

#include "../../util/xalloc.h"

#define MAX_MODULES 65536u

/* The module handles; the list can grow while we ask (a DLL loading), so ask again. */
static HMODULE *list_modules(HANDLE process, DWORD *count, DWORD *error)
{
    DWORD cap = 256;
    for (int attempt = 0; attempt < 8; attempt++) {
        HMODULE *v = calloc(cap, sizeof *v);
        DWORD needed = 0;
        if (!v) {
            *error = ERROR_NOT_ENOUGH_MEMORY;
            return NULL;
        }
        if (!EnumProcessModulesEx(process, v, cap * (DWORD)sizeof *v, &needed, LIST_MODULES_ALL)) {
            *error = GetLastError();
            free(v);
            return NULL;
        }
        DWORD n = needed / (DWORD)sizeof *v;
        if (n <= cap) {
            *count = n;
            return v;
        }
        free(v);
        if (n > MAX_MODULES) {
            *error = ERROR_BUFFER_OVERFLOW;
            return NULL;
        }
        cap = n + 64;
    }
    *error = ERROR_BUFFER_OVERFLOW;
    return NULL;
}

bool win_read_modules(win_capture *c)
{
    DWORD n = 0, error = 0;
    HMODULE *v = list_modules(c->process, &n, &error);
    if (!v) {
        char why[256];
        if (error == ERROR_NOT_ENOUGH_MEMORY)
            return false;
        /* Not fatal: nt_facts.c still finds every image from MEM_IMAGE regions and their names. */
        vm_snapshot_warn(c->snap, "modules", "EnumProcessModulesEx failed (%s): images are named from their "
                         "mapped files only", win_error_text(error, why, sizeof why));
        return true;
    }
    for (DWORD i = 0; i < n; i++) {
        MODULEINFO mi;
        if (!GetModuleInformation(c->process, v[i], &mi, sizeof mi))
            continue; /* unloaded since the list was taken */
        vm_nt_module *m = vm_array_push((void **)&c->modules, &c->nmodules, sizeof *c->modules);
        if (!m) {
            free(v);
            return false;
        }
        m->base = (uint64_t)(uintptr_t)mi.lpBaseOfDll;
        m->size = mi.SizeOfImage;
        wchar_t path[1024];
        DWORD len = GetModuleFileNameExW(c->process, v[i], path, sizeof path / sizeof path[0]);
        if (len > 0 && len < sizeof path / sizeof path[0]) {
            path[len] = L'\0';
            m->path = win_utf8(path, -1);
        }
    }
    free(v);
    return true;
}
