/* The small platform pieces: self PID, host description, process lookup by name, and the
 * string and ntdll helpers the capture steps share. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "win_capture.h" /* first: <windows.h> before the other Windows headers */

#include <tlhelp32.h>

#include "../../util/xalloc.h"

FARPROC win_proc(const char *module, const char *name)
{
    HMODULE h = GetModuleHandleA(module);
    return h ? GetProcAddress(h, name) : NULL;
}

/* FARPROC -> a typed pointer through void (*)(void), the cast GCC accepts without
 * -Wcast-function-type complaints. */
#define WIN_PROC(type, module, name) ((type)(void (*)(void))win_proc(module, name))

win_nt_query_info_fn win_nt_query_information_process(void)
{
    return WIN_PROC(win_nt_query_info_fn, "ntdll.dll", "NtQueryInformationProcess");
}

win_nt_query_info_fn win_nt_query_information_thread(void)
{
    return WIN_PROC(win_nt_query_info_fn, "ntdll.dll", "NtQueryInformationThread");
}

char *win_utf8(const wchar_t *w, int wlen)
{
    if (!w)
        return NULL;
    int n = WideCharToMultiByte(CP_UTF8, 0, w, wlen, NULL, 0, NULL, NULL);
    if (n <= 0)
        return wlen == 0 ? vm_strdup("") : NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    WideCharToMultiByte(CP_UTF8, 0, w, wlen, s, n, NULL, NULL);
    s[n] = '\0';
    return s;
}

wchar_t *win_wide(const char *s)
{
    /* Command-line arguments arrive in the ANSI code page; strings from our own model are UTF-8. */
    UINT cp = CP_UTF8;
    int n = MultiByteToWideChar(cp, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0) {
        cp = CP_ACP;
        n = MultiByteToWideChar(cp, 0, s, -1, NULL, 0);
    }
    if (n <= 0)
        return NULL;
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w)
        MultiByteToWideChar(cp, cp == CP_UTF8 ? MB_ERR_INVALID_CHARS : 0, s, -1, w, n);
    return w;
}

const char *win_error_text(DWORD code, char *buf, size_t len)
{
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, buf,
                             (DWORD)len, NULL);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '.' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (n == 0)
        snprintf(buf, len, "Windows error %lu", (unsigned long)code);
    return buf;
}

/* "\Device\HarddiskVolume3\Windows\x.dll" -> "C:\Windows\x.dll": each drive letter's device
 * name from QueryDosDeviceW; network paths ("\Device\Mup\server\share") become UNC. */
char *win_nt_to_dos_path(const wchar_t *nt)
{
    static const wchar_t mup[] = L"\\Device\\Mup\\";
    if (wcsncmp(nt, mup, wcslen(mup)) == 0) {
        size_t n = wcslen(nt) - wcslen(mup);
        wchar_t *unc = malloc((n + 3) * sizeof *unc);
        if (!unc)
            return NULL;
        unc[0] = unc[1] = L'\\';
        memcpy(unc + 2, nt + wcslen(mup), (n + 1) * sizeof *unc);
        char *r = win_utf8(unc, -1);
        free(unc);
        return r;
    }
    DWORD drives = GetLogicalDrives();
    for (int i = 0; i < 26; i++) {
        if (!(drives & (1u << i)))
            continue;
        wchar_t drive[3] = {(wchar_t)(L'A' + i), L':', 0}, dev[MAX_PATH];
        if (!QueryDosDeviceW(drive, dev, MAX_PATH))
            continue;
        size_t dl = wcslen(dev);
        if (dl && wcsncmp(nt, dev, dl) == 0 && nt[dl] == L'\\') {
            size_t rest = wcslen(nt + dl);
            wchar_t *dos = malloc((rest + 3) * sizeof *dos);
            if (!dos)
                return NULL;
            dos[0] = drive[0];
            dos[1] = L':';
            memcpy(dos + 2, nt + dl, (rest + 1) * sizeof *dos);
            char *r = win_utf8(dos, -1);
            free(dos);
            return r;
        }
    }
    /* "\??\C:\x" (seen under Wine): strip the object-manager prefix. */
    if (wcsncmp(nt, L"\\??\\", 4) == 0)
        return win_utf8(nt + 4, -1);
    return win_utf8(nt, -1);
}

/* RTL_OSVERSIONINFOW: GetVersionEx lies to unmanifested programs, RtlGetVersion does not. */
typedef struct win_osversion {
    ULONG size, major, minor, build, platform;
    WCHAR csd[128];
} win_osversion;
typedef LONG(NTAPI *rtl_get_version_fn)(win_osversion *);

static bool os_version(win_osversion *v)
{
    rtl_get_version_fn fn = WIN_PROC(rtl_get_version_fn, "ntdll.dll", "RtlGetVersion");
    memset(v, 0, sizeof *v);
    v->size = sizeof *v;
    return fn && fn(v) == 0;
}

uint32_t win_os_build(void)
{
    win_osversion v;
    return os_version(&v) ? (uint32_t)v.build : 0;
}

int64_t vm_platform_self_pid(void)
{
    return (int64_t)GetCurrentProcessId();
}

void vm_platform_host(char **os, char **host, char **arch)
{
    win_osversion v;
    *os = os_version(&v) ? vm_asprintf("Windows %lu.%lu.%lu", (unsigned long)v.major, (unsigned long)v.minor,
                                       (unsigned long)v.build)
                         : vm_strdup("Windows");
    wchar_t name[MAX_COMPUTERNAME_LENGTH + 1];
    DWORD n = MAX_COMPUTERNAME_LENGTH + 1;
    *host = GetComputerNameW(name, &n) ? win_utf8(name, -1) : NULL;
    SYSTEM_INFO si;
    GetNativeSystemInfo(&si);
    switch (si.wProcessorArchitecture) {
    case PROCESSOR_ARCHITECTURE_AMD64: *arch = vm_strdup("x86_64"); break;
    case PROCESSOR_ARCHITECTURE_INTEL: *arch = vm_strdup("x86"); break;
    case PROCESSOR_ARCHITECTURE_ARM64: *arch = vm_strdup("arm64"); break;
    default: *arch = NULL; break;
    }
}

/* "notepad" matches notepad.exe; "Notepad.EXE" too. */
static bool name_matches(const wchar_t *exe, const wchar_t *want)
{
    if (_wcsicmp(exe, want) == 0)
        return true;
    size_t n = wcslen(want);
    return _wcsnicmp(exe, want, n) == 0 && _wcsicmp(exe + n, L".exe") == 0;
}

int vm_platform_find_pid(const char *name, int64_t *pid, vm_error *err)
{
    wchar_t *want = win_wide(name);
    if (!want) {
        vm_error_set(err, VM_EXIT_USAGE, "\"%s\" is not a valid process name", name);
        return VM_EXIT_USAGE;
    }
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE) {
        char why[256];
        free(want);
        vm_error_set(err, VM_EXIT_ERROR, "cannot list processes: %s", win_error_text(GetLastError(), why, sizeof why));
        return VM_EXIT_ERROR;
    }
    DWORD self = GetCurrentProcessId(), found[16];
    size_t nfound = 0;
    PROCESSENTRY32W pe;
    pe.dwSize = sizeof pe;
    /* Bounded: a process list longer than this is not a real system. */
    size_t seen = 0;
    for (BOOL ok = Process32FirstW(snap, &pe); ok && seen < 1000000; ok = Process32NextW(snap, &pe), seen++) {
        if (pe.th32ProcessID == self || !name_matches(pe.szExeFile, want))
            continue;
        if (nfound < sizeof found / sizeof found[0])
            found[nfound] = pe.th32ProcessID;
        nfound++;
    }
    CloseHandle(snap);
    free(want);
    if (nfound == 0) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "no process named \"%s\"", name);
        vm_error_hint(err, "give its PID instead, or check the name with tasklist");
        return VM_EXIT_NOT_FOUND;
    }
    if (nfound > 1) {
        char list[256] = "";
        size_t used = 0, shown = nfound < 16 ? nfound : 16;
        for (size_t i = 0; i < shown && used < sizeof list; i++) {
            int k = snprintf(list + used, sizeof list - used, "%s%lu", i ? ", " : "", (unsigned long)found[i]);
            if (k < 0)
                break;
            used += (size_t)k;
        }
        vm_error_set(err, VM_EXIT_USAGE, "%zu processes are named \"%s\": PIDs %s%s", nfound, name, list,
                     nfound > shown ? ", ..." : "");
        vm_error_hint(err, "give the PID of the one you mean");
        return VM_EXIT_USAGE;
    }
    *pid = found[0];
    return VM_EXIT_OK;
}
