/* The live Windows source: vm_platform_capture.  Opens the process with the least rights that
 * work, gathers regions, modules, threads, the PEB and the working set, and hands them to
 * vm_nt_build_facts (sources/nt), the same builder the minidump source uses. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "win_capture.h" /* first: <windows.h> before the other Windows headers */

#include <psapi.h>

#include "../../util/xalloc.h"

typedef BOOL(WINAPI *is_wow64_process2_fn)(HANDLE, USHORT *, USHORT *);

static bool is_elevated(void)
{
    HANDLE token;
    TOKEN_ELEVATION te;
    DWORD n = 0;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return false;
    BOOL ok = GetTokenInformation(token, TokenElevation, &te, sizeof te, &n);
    CloseHandle(token);
    return ok && te.TokenIsElevated;
}

/* A protected process (PPL: antimalware, csrss, ...) opens for limited query only. */
static bool is_protected(DWORD pid)
{
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!h)
        return false;
    PROCESS_PROTECTION_LEVEL_INFORMATION info;
    memset(&info, 0, sizeof info);
    typedef BOOL(WINAPI * get_info_fn)(HANDLE, PROCESS_INFORMATION_CLASS, LPVOID, DWORD);
    get_info_fn get = (get_info_fn)(void (*)(void))win_proc("kernel32.dll", "GetProcessInformation");
    bool prot = get && get(h, ProcessProtectionLevelInfo, &info, sizeof info) &&
                info.ProtectionLevel != PROTECTION_LEVEL_NONE;
    CloseHandle(h);
    return prot;
}

static int open_error(DWORD pid, DWORD e, vm_error *err)
{
    char why[256];
    if (e == ERROR_INVALID_PARAMETER) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %lu", (unsigned long)pid);
        vm_error_hint(err, "list processes with tasklist, or give a process name");
        return VM_EXIT_NOT_FOUND;
    }
    if (e == ERROR_ACCESS_DENIED) {
        if (is_protected(pid)) {
            vm_error_set(err, VM_EXIT_ACCESS, "process %lu is a protected process: its memory cannot be read",
                         (unsigned long)pid);
            vm_error_hint(err, "protected processes (antimalware services, csrss, ...) cannot be mapped, even by an administrator");
        } else {
            vm_error_set(err, VM_EXIT_ACCESS, "access denied opening process %lu", (unsigned long)pid);
            vm_error_hint(err, is_elevated() ? "the process belongs to a more privileged account (SYSTEM or a service); "
                                               "enable SeDebugPrivilege or run as that account"
                                             : "run vmmap from an elevated prompt (Run as administrator)");
        }
        return VM_EXIT_ACCESS;
    }
    vm_error_set(err, VM_EXIT_ERROR, "cannot open process %lu: %s", (unsigned long)pid, win_error_text(e, why, sizeof why));
    return VM_EXIT_ERROR;
}

/* Limited rights first (they suffice for VirtualQueryEx and ReadProcessMemory on Windows 8.1+);
 * PROCESS_QUERY_INFORMATION when VirtualQueryEx or the module list refuse the limited handle. */
static int open_target(win_capture *c, vm_error *err)
{
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ, FALSE, c->pid);
    DWORD e = h ? 0 : GetLastError();
    if (h) {
        MEMORY_BASIC_INFORMATION mbi;
        HMODULE first;
        DWORD needed;
        bool query_ok = VirtualQueryEx(h, NULL, &mbi, sizeof mbi) == sizeof mbi;
        bool modules_ok = EnumProcessModulesEx(h, &first, sizeof first, &needed, LIST_MODULES_ALL) ||
                          GetLastError() != ERROR_ACCESS_DENIED;
        if (query_ok && modules_ok) {
            c->process = h;
            return VM_EXIT_OK;
        }
    }
    HANDLE full = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE, c->pid);
    if (full) {
        if (h)
            CloseHandle(h);
        c->process = full;
        return VM_EXIT_OK;
    }
    if (h) { /* keep what works: the gaps become warnings */
        c->process = h;
        return VM_EXIT_OK;
    }
    return open_error(c->pid, e ? e : GetLastError(), err);
}

static void find_bits(win_capture *c)
{
    is_wow64_process2_fn fn2 = (is_wow64_process2_fn)(void (*)(void))win_proc("kernel32.dll", "IsWow64Process2");
    USHORT process_machine = 0, native_machine = 0;
    BOOL wow = FALSE;
    if (fn2 && fn2(c->process, &process_machine, &native_machine))
        c->wow64 = process_machine != IMAGE_FILE_MACHINE_UNKNOWN;
    else if (IsWow64Process(c->process, &wow))
        c->wow64 = wow != FALSE;
    c->bits = c->wow64 ? 32 : 64;
}

static void find_layout(win_capture *c)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    c->page_size = si.dwPageSize ? si.dwPageSize : 4096;
    c->granularity = si.dwAllocationGranularity ? si.dwAllocationGranularity : 65536;
    c->user_top = (uint64_t)(uintptr_t)si.lpMaximumApplicationAddress + 1;
    if (c->wow64) /* 2 GiB, or 4 GiB for a large-address-aware image: refined from the regions */
        c->user_top = 0x100000000ull;
}

/* WOW64: the top is 0x7FFF0000 unless the image is large-address-aware and uses more. */
static void refine_wow64_top(win_capture *c)
{
    if (!c->wow64)
        return;
    uint64_t top = 0x7FFF0000ull;
    for (size_t i = 0; i < c->nregions; i++)
        if (c->regions[i].state != MEM_FREE && c->regions[i].base >= 0x80000000ull)
            top = 0xFFFF0000ull;
    c->user_top = top;
}

static bool process_alive(HANDLE h)
{
    DWORD code = 0;
    return GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
}

void win_capture_free(win_capture *c)
{
    for (size_t i = 0; i < c->nregions; i++)
        free(c->regions[i].mapped_path);
    for (size_t i = 0; i < c->nmodules; i++)
        free(c->modules[i].path);
    for (size_t i = 0; i < c->nthreads; i++)
        free(c->threads[i].name);
    free(c->regions);
    free(c->modules);
    free(c->threads);
    if (c->process)
        CloseHandle(c->process);
    memset(c, 0, sizeof *c);
}

static int oom(vm_error *err)
{
    vm_error_set(err, VM_EXIT_ERROR, "out of memory while reading the process");
    return VM_EXIT_ERROR;
}

static int capture(win_capture *c, win_mem *mem, vm_facts *out, vm_error *err)
{
    int rc = open_target(c, err);
    if (rc != VM_EXIT_OK)
        return rc;
    find_bits(c);
    find_layout(c);
    vm_snapshot *s = c->snap;
    s->source = vm_strdup("live-windows");
    vm_platform_host(&s->os, &s->host, &s->arch);

    if (!win_read_regions(c))
        return oom(err);
    refine_wow64_top(c);
    vm_memreader reader = win_memreader_make(mem, c->process, c->user_top);
    out->mem = reader;
    win_read_process_info(c, &reader);
    if (!win_read_modules(c) || !win_read_threads(c))
        return oom(err);
    win_read_working_set(c);
    if (!process_alive(c->process)) {
        vm_error_set(err, VM_EXIT_TARGET_GONE, "process %lu exited during the scan", (unsigned long)c->pid);
        vm_error_hint(err, "nothing was written; run vmmap again while the process is alive");
        return VM_EXIT_TARGET_GONE;
    }

    vm_nt_input in = {
        .bits = c->bits, .page_size = c->page_size, .alloc_granularity = c->granularity, .user_top = c->user_top,
        .peb = c->peb, .skip_heaps = c->opt->skip_heaps, .skip_sections = c->opt->skip_sections,
        .os_build = win_os_build(),
        .regions = c->regions, .nregions = c->nregions, .regions_complete = true,
        .modules = c->modules, .nmodules = c->nmodules, .threads = c->threads, .nthreads = c->nthreads,
        .mem = &reader,
    };
    rc = vm_nt_build_facts(&in, out, err);
    if (rc == VM_EXIT_OK && mem->failed)
        vm_snapshot_warn(s, "read-failed", "%" PRIu64 " of %" PRIu64 " reads of target memory failed (last: error %lu)",
                         mem->failed, mem->reads, (unsigned long)mem->last_error);
    return rc;
}

/* The process handle and the reader on it outlive the capture: steps after classification read
 * through them until the pipeline releases the facts. */
static void release_process(vm_facts *f)
{
    win_mem *mem = f->source_ctx;
    if (mem && mem->process)
        CloseHandle(mem->process);
    free(mem);
}

int vm_platform_capture(int64_t pid, const vm_capture_options *opt, vm_facts *out, vm_error *err)
{
    static const vm_capture_options defaults = {0};
    /* PID 0 is the idle process and PIDs are multiples of 4 below 2^32. */
    if (pid <= 0 || pid > 0xFFFFFFFFll) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %" PRId64, pid);
        return VM_EXIT_NOT_FOUND;
    }
    win_mem *mem = calloc(1, sizeof *mem);
    if (!mem)
        return oom(err);
    win_capture c;
    memset(&c, 0, sizeof c);
    c.pid = (DWORD)pid;
    c.opt = opt ? opt : &defaults;
    c.snap = out->snap;
    out->source_ctx = mem;
    out->release = release_process;
    int rc = capture(&c, mem, out, err);
    mem->process = c.process; /* now mem's: closed by release_process */
    c.process = NULL;
    win_capture_free(&c);
    return rc;
}
