/* Threads of the target: Toolhelp lists them (every thread of the system, filtered by owner),
 * NtQueryInformationThread(ThreadBasicInformation) gives each one's TEB address, and
 * GetThreadDescription its name where the system has it (Windows 10 1607+; Wine may not).
 * Only THREAD_QUERY_LIMITED_INFORMATION is asked for; the TEB itself is read later through the
 * memory reader (nt_facts.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "win_capture.h" /* first: <windows.h> before the other Windows headers */

#include <tlhelp32.h>

#include "../../util/xalloc.h"

#define MAX_THREADS 1000000u
#define THREAD_BASIC_INFORMATION_CLASS 0

/* THREAD_BASIC_INFORMATION as a 64-bit caller sees it (windows-internals.md §1): ExitStatus 0,
 * TebBaseAddress 0x8, ClientId 0x10, AffinityMask 0x20, Priority 0x28, BasePriority 0x2C. */
typedef struct win_tbi {
    LONG exit_status;
    PVOID teb;
    PVOID client_pid, client_tid;
    ULONG_PTR affinity;
    LONG priority, base_priority;
} win_tbi;

typedef HRESULT(WINAPI *get_description_fn)(HANDLE, PWSTR *);

static void describe(win_capture *c, vm_nt_thread *t, win_nt_query_info_fn query, get_description_fn get_desc,
                     size_t *no_teb)
{
    HANDLE h = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)t->tid);
    if (!h) {
        (*no_teb)++;
        return;
    }
    win_tbi tbi;
    memset(&tbi, 0, sizeof tbi);
    ULONG got = 0;
    if (query && query(h, THREAD_BASIC_INFORMATION_CLASS, &tbi, sizeof tbi, &got) == 0)
        t->teb = (uint64_t)(uintptr_t)tbi.teb;
    else
        (*no_teb)++;
    PWSTR desc = NULL;
    if (get_desc && SUCCEEDED(get_desc(h, &desc)) && desc) {
        if (desc[0])
            t->name = win_utf8(desc, -1);
        LocalFree(desc);
    }
    CloseHandle(h);
    (void)c;
}

bool win_read_threads(win_capture *c)
{
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE) {
        char why[256];
        vm_snapshot_warn(c->snap, "threads", "cannot list threads (%s): no stacks are labelled",
                         win_error_text(GetLastError(), why, sizeof why));
        return true;
    }
    win_nt_query_info_fn query = win_nt_query_information_thread();
    get_description_fn get_desc =
        (get_description_fn)(void (*)(void))win_proc("kernel32.dll", "GetThreadDescription");
    if (!get_desc)
        get_desc = (get_description_fn)(void (*)(void))win_proc("kernelbase.dll", "GetThreadDescription");
    THREADENTRY32 te;
    te.dwSize = sizeof te;
    size_t no_teb = 0, seen = 0;
    bool ok = true;
    for (BOOL more = Thread32First(snap, &te); more && seen < MAX_THREADS; more = Thread32Next(snap, &te), seen++) {
        if (te.th32OwnerProcessID != c->pid)
            continue;
        vm_nt_thread *t = vm_array_push((void **)&c->threads, &c->nthreads, sizeof *c->threads);
        if (!t) {
            ok = false;
            break;
        }
        t->tid = te.th32ThreadID;
        describe(c, t, query, get_desc, &no_teb);
    }
    CloseHandle(snap);
    if (no_teb)
        vm_snapshot_warn(c->snap, "threads", "%zu of %zu threads: TEB address not available (thread exited, or "
                         "access denied): their stacks are not labelled", no_teb, c->nthreads);
    return ok;
}
