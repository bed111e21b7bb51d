/* Shared state of one live-Windows capture, passed between the steps (regions, modules,
 * threads, working set, memory reader) that each live in their own file.  The steps only gather
 * facts into a vm_nt_input; sources/nt/nt_facts.c turns them into vmmap facts, the same code the
 * minidump source uses. */
#ifndef VMMAP_SOURCES_WINDOWS_WIN_CAPTURE_H
#define VMMAP_SOURCES_WINDOWS_WIN_CAPTURE_H

#include <windows.h>

#include <stdbool.h>
#include <stdint.h>

#include "../nt/nt_facts.h"
#include "../source.h"

typedef struct win_capture {
    HANDLE process;
    DWORD pid;
    int bits;                    /* the target's: 32 under WOW64 */
    bool wow64;
    uint64_t page_size, granularity, user_top;
    vm_snapshot *snap;
    const vm_capture_options *opt;

    vm_nt_region *regions;  size_t nregions;
    vm_nt_module *modules;  size_t nmodules;
    vm_nt_thread *threads;  size_t nthreads;
    uint64_t peb;
} win_capture;

/* The ReadProcessMemory reader (win_memreader.c). */
typedef struct win_mem {
    HANDLE process;
    uint64_t top;            /* reads at or above this address fail at once */
    uint64_t reads, failed;
    DWORD last_error;
} win_mem;

vm_memreader win_memreader_make(win_mem *m, HANDLE process, uint64_t top);

/* Steps, in the order the capture runs them.  Each returns false only when out of memory;
 * anything else it cannot get becomes a warning in c->snap. */
bool win_read_regions(win_capture *c);       /* win_regions.c: VirtualQueryEx + mapped names */
bool win_read_modules(win_capture *c);       /* win_modules.c */
bool win_read_threads(win_capture *c);       /* win_threads.c: Toolhelp + TEB addresses */
void win_read_working_set(win_capture *c);   /* win_workingset.c: QueryWorkingSetEx */
void win_read_process_info(win_capture *c, const vm_memreader *mem); /* win_process.c */
void win_capture_free(win_capture *c);

/* Helpers (win_platform.c). */
char *win_utf8(const wchar_t *w, int wlen);  /* malloc'd UTF-8, wlen -1 for NUL-terminated */
wchar_t *win_wide(const char *s);            /* malloc'd UTF-16 from UTF-8 (or the ANSI code page) */
char *win_nt_to_dos_path(const wchar_t *nt); /* "\Device\HarddiskVolume3\x" -> "C:\x" (UTF-8) */
uint32_t win_os_build(void);                 /* RtlGetVersion's build number, 0 if unknown */
const char *win_error_text(DWORD code, char *buf, size_t len);

/* ntdll and newer kernel32 entry points, looked up at run time (absent on older systems and
 * partly under Wine).  NULL when missing. */
typedef LONG(NTAPI *win_nt_query_info_fn)(HANDLE, ULONG, PVOID, ULONG, PULONG);
win_nt_query_info_fn win_nt_query_information_process(void);
win_nt_query_info_fn win_nt_query_information_thread(void);
FARPROC win_proc(const char *module, const char *name);

#endif
