/* sample_heapdll.dll: a DLL with a private heap of its own, made the way a module with a
 * statically linked (pre-UCRT) C runtime makes its CRT heap: HeapCreate when the DLL is loaded,
 * the handle kept in a global of the DLL's writable data.  sample.exe loads it from its own
 * folder, allocates from it (heapdll_allocate) and prints the heap's handle and where the DLL
 * keeps it (heapdll_handle_slot): vmmap must name this DLL as the heap's owner.
 * Built by mk/wine.mk with MinGW-w64 (-shared). */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

/* The handle, in .bss: the reference vmmap's owner step finds. */
static HANDLE g_heap;

__declspec(dllexport) HANDLE WINAPI heapdll_handle(void);
__declspec(dllexport) HANDLE *WINAPI heapdll_handle_slot(void);
__declspec(dllexport) void *WINAPI heapdll_allocate(int count, SIZE_T size);

HANDLE WINAPI heapdll_handle(void)
{
    return g_heap;
}

HANDLE *WINAPI heapdll_handle_slot(void)
{
    return &g_heap;
}

/* count blocks of size bytes from the DLL's heap, filled, never freed (HeapDestroy at unload
 * releases them); returns the first, NULL when one fails. */
void *WINAPI heapdll_allocate(int count, SIZE_T size)
{
    void *first = NULL;
    for (int i = 0; i < count; i++) {
        char *p = HeapAlloc(g_heap, 0, size);
        if (!p)
            return NULL;
        for (SIZE_T j = 0; j < size; j++)
            p[j] = (char)(i + j);
        if (!first)
            first = p;
    }
    return first;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved);

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    if (reason == DLL_PROCESS_ATTACH) {
        g_heap = HeapCreate(0, 0, 0);
        return g_heap != NULL;
    }
    if (reason == DLL_PROCESS_DETACH && g_heap && !reserved) {
        HeapDestroy(g_heap);
        g_heap = NULL;
    }
    return TRUE;
}
