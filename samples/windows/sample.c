/* sample.exe: a Windows process that allocates memory in every way vmmap.exe must explain, prints
 * its own ground truth as ONE JSON object on one line of stdout, then waits.  Built with MinGW-w64
 * (x86_64-w64-mingw32-gcc/g++, -static) together with sample_cpp.cpp; run natively or under Wine.
 *
 *   sample.exe                    wait until stdin reaches EOF (the test closes its end of the pipe)
 *   sample.exe --seconds N        wait N seconds instead of reading stdin
 *   sample.exe --tempdir DIR      create the temp files (file mapping, data-file DLL copy) in DIR
 *                                 instead of GetTempPath(); the test passes a Z:\ path it removes
 *   sample.exe --dump FILE        after printing the ground truth, have a full-memory minidump of
 *                                 this process written to FILE with dbghelp's MiniDumpWriteDump
 *                                 (MiniDumpWithFullMemory | MiniDumpWithFullMemoryInfo |
 *                                 MiniDumpWithThreadInfo, falling back to MiniDumpWithFullMemory
 *                                 alone) by a second instance of the sample, started suspended
 *                                 before the heaps are walked (sample.exe --dump-of PID FILE:
 *                                 MiniDumpWriteDump allocates from the heaps of the process that
 *                                 calls it, so the dump shows the heaps exactly as the ground
 *                                 truth describes them), print a second JSON line
 *                                 {"dump": "FILE", "ok": true|false, "flags": "0x...", "error": N}
 *                                 and keep waiting.  The ground truth line says which addresses
 *                                 the dump must explain, so a minidump reader test can compare
 *                                 the dump with it exactly as the live test compares a snapshot.
 *
 * What it allocates (the ground truth's keys):
 *   allocations[]     malloc small (100 x 64 B) and large (4 MiB), C++ new (100 objects) and new[]
 *                     (2 MiB), HeapAlloc on GetProcessHeap() (small, and 2 MiB: its own
 *                     reservation), CoTaskMemAlloc, GlobalAlloc (fixed and moveable+locked),
 *                     LocalAlloc; each with the heap that owns it according to HeapWalk
 *                     ("heap", "in": "region" or "large") and the heap the API is expected to use
 *   private_heap      HeapCreate(0, 0, 0) filled with 6 MiB of 4000-byte blocks: more than one
 *                     segment (Windows) / subheap (Wine)
 *   dll               sample_heapdll.dll (dll/, loaded from the exe's folder): a heap it created
 *                     when loaded, its handle in the DLL's .bss (handle_address), 50 blocks of
 *                     1000 bytes allocated from it; the sample keeps no heap handle in its own
 *                     image's data (vmmap names a heap's owner after the modules that do)
 *   heaps[]           GetProcessHeaps(), each heap's HeapWalk region list (lpData, cbData,
 *                     Region.dwCommittedSize, dwUnCommittedSize, lpFirstBlock, lpLastBlock) and its
 *                     busy blocks outside every region (large blocks, own reservations);
 *                     for each, its allocation [AllocationBase, end) and committed bytes as
 *                     VirtualQuery sees them; "walk": HeapWalk's own sums (cbData and cbOverhead
 *                     of the busy entries inside regions, cbData of the large ones, of the free
 *                     entries) and every free entry with the region it was listed under, for
 *                     vmmap's per-heap statistics (docs/testing-windows.md maps one onto the other)
 *   reservation       VirtualAlloc MEM_RESERVE 64 MiB, first 1 MiB committed
 *   small_virtual     VirtualAlloc 12 KiB: the rest of its 64 KiB granule is Unusable
 *   threads[]         main + 3 threads created with STACK_SIZE_PARAM_IS_A_RESERVATION 256 KiB,
 *                     1 MiB, 4 MiB, each blocked in WaitForSingleObject; tid, the address of a
 *                     local, the TEB, NT_TIB StackBase/StackLimit, TEB.DeallocationStack and the
 *                     PAGE_GUARD run found with VirtualQuery, and the stack's allocation
 *                     [AllocationBase, end) as VirtualQuery sees it
 *   pagefile_section  CreateFileMapping(INVALID_HANDLE_VALUE) 2 MiB view -> Shareable
 *   file_mapping      1 MiB temp file mapped read-only -> Mapped File
 *   datafile_dll      a copy of kernel32.dll loaded with LOAD_LIBRARY_AS_DATAFILE -> Mapped File
 *   images[]          the exe, kernel32.dll and ntdll.dll: base, size and the section table read
 *                     from their PE headers; probes in the exe's .text, .data and .bss
 *
 * The JSON is built in a VirtualAlloc'd buffer after every heap walk, so printing it does not
 * change the heaps it describes.  On exit (EOF / timeout) everything is released and the temp
 * files are deleted; if the process is killed, the files stay in --tempdir (the test removes it).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <dbghelp.h>
#include <malloc.h>
#include <objbase.h>
#include <shellapi.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define KiB ((SIZE_T)1024)
#define MiB (KiB * KiB)

#define SMALL_COUNT 100
#define SMALL_SIZE 64
#define SMALL_REPORTED 4
#define LARGE_MALLOC (4 * MiB)
#define CPP_COUNT 100
#define CPP_BIG (2 * MiB)
#define HEAP_SMALL 200
#define HEAP_LARGE (2 * MiB)
#define PRIV_PIECE 4000
#define PRIV_TOTAL (6 * MiB)
#define PRIV_COUNT (PRIV_TOTAL / PRIV_PIECE)
#define RESERVE_SIZE (64 * MiB)
#define RESERVE_COMMIT (1 * MiB)
#define SMALL_VIRTUAL (12 * KiB)
#define SECTION_SIZE (2 * MiB)
#define FILE_SIZE (1 * MiB)
#define NTHREADS 3

#define MAX_HEAPS 64
#define MAX_REGIONS 128
#define MAX_LARGE 64
#define MAX_ALLOCS 32
#define MAX_FREES 256
#define DLL_BLOCKS 50
#define DLL_BLOCK_SIZE 1000
#define OUT_SIZE (1 * MiB)

/* TEB offsets (x64): windows-internals.md section 1. */
#define TEB_STACK_BASE 0x08
#define TEB_STACK_LIMIT 0x10
#define TEB_PEB 0x60
#define TEB_DEALLOCATION_STACK 0x1478

/* The DLL with a heap of its own (dll/sample_heapdll.c), loaded from the exe's folder. */
#define HEAPDLL_NAME L"sample_heapdll.dll"
typedef HANDLE(WINAPI *heapdll_handle_fn)(void);
typedef HANDLE *(WINAPI *heapdll_slot_fn)(void);
typedef void *(WINAPI *heapdll_alloc_fn)(int count, SIZE_T size);

/* C++ part (sample_cpp.cpp). */
void *cpp_allocate(int count, size_t big_size, void **big_out);
void *cpp_object(int i);
void cpp_release(void);

/* Probes for the exe's sections. */
int sample_data_marker = 0x5a5a5a5a;
int sample_bss_marker;

/* ---------------------------------------------------------------------------------------------- */
/* Output buffer (not on any heap)                                                                 */

static char *g_out;
static size_t g_len;

static void die(const char *what)
{
    fprintf(stderr, "sample: %s failed (error %lu)\n", what, (unsigned long)GetLastError());
    fflush(stderr);
    ExitProcess(1);
}

static void out(const char *fmt, ...)
{
    if (g_len >= OUT_SIZE - 1)
        die("ground truth too long");
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(g_out + g_len, OUT_SIZE - g_len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= OUT_SIZE - g_len)
        die("ground truth too long");
    g_len += (size_t)n;
}

static void out_hex(const char *key, uint64_t v)
{
    out("\"%s\":\"0x%llx\"", key, (unsigned long long)v);
}

static void out_str(const char *key, const char *s)
{
    if (!s) {
        out("\"%s\":null", key);
        return;
    }
    out("\"%s\":\"", key);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            out("\\%c", *p);
        else if (*p < 0x20)
            out("\\u%04x", *p);
        else
            out("%c", *p);
    }
    out("\"");
}

/* UTF-16 -> UTF-8 into buf. */
static const char *utf8(const wchar_t *w, char *buf, int len)
{
    if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, len, NULL, NULL))
        buf[0] = '\0';
    return buf;
}

/* ---------------------------------------------------------------------------------------------- */
/* Heaps and HeapWalk                                                                              */

static void alloc_span(const void *p, uint64_t *base, uint64_t *end);

/* Committed bytes of the allocation [base, end) (VirtualQuery). */
static uint64_t committed_in(uint64_t base, uint64_t end)
{
    uint64_t sum = 0, a = base;
    MEMORY_BASIC_INFORMATION mbi;
    while (a < end && VirtualQuery((void *)(uintptr_t)a, &mbi, sizeof mbi) && mbi.RegionSize) {
        if (mbi.State == MEM_COMMIT)
            sum += mbi.RegionSize;
        a = (uintptr_t)mbi.BaseAddress + mbi.RegionSize;
    }
    return sum;
}

typedef struct region_info {
    uint64_t address, size, committed, uncommitted, first_block, last_block;
    uint64_t alloc_base, alloc_end, vq_committed; /* its allocation, as VirtualQuery sees it */
    unsigned flags;
} region_info;

typedef struct large_info {
    uint64_t address, size;
    uint64_t alloc_base, alloc_end, vq_committed;
    unsigned flags, overhead;
} large_info;

/* A free entry as HeapWalk gives it, and the region it was listed under (its index). */
typedef struct free_info {
    uint64_t address, size;
    unsigned overhead;
    int region;
} free_info;

typedef struct heap_info {
    HANDLE handle;
    region_info regions[MAX_REGIONS];
    int nregions;
    large_info large[MAX_LARGE];
    int nlarge;
    unsigned long busy, free_blocks, uncommitted_ranges, entries;
    /* HeapWalk's own sums: cbData and cbOverhead of the busy entries inside regions, cbData of the
     * busy entries outside every region (large blocks), of the free entries; the free entries. */
    uint64_t busy_data, busy_overhead, large_data, free_data, free_overhead, uncommitted_bytes;
    free_info frees[MAX_FREES];
    int nfrees;
    bool frees_all;
    bool walk_ok;
    unsigned long walk_error;
} heap_info;

/* Every heap handle the sample keeps lives in VirtualAlloc'd memory (these arrays, allocated by
 * main), never in the exe's .data/.bss: vmmap names a heap's owner after the modules whose
 * writable data holds its handle, and the sample must not own every heap it looks at. */
static heap_info *g_heaps;
static int g_nheaps;

/* The end of a region as HeapWalk describes it: its committed + uncommitted span from lpData,
 * or lpLastBlock when that is further. */
static uint64_t region_end(const region_info *r)
{
    uint64_t end = r->address + r->committed + r->uncommitted;
    return r->last_block > end ? r->last_block : end;
}

static void walk_heap(heap_info *h)
{
    PROCESS_HEAP_ENTRY e;
    memset(&e, 0, sizeof e);
    h->walk_ok = true;
    if (!HeapLock(h->handle)) {
        h->walk_ok = false;
        h->walk_error = GetLastError();
        return;
    }
    /* Pass 1: regions; busy blocks kept aside until every region is known. */
    static large_info busy_outside[4096];
    int nbusy_outside = 0;
    while (HeapWalk(h->handle, &e)) {
        h->entries++;
        if (e.wFlags & PROCESS_HEAP_REGION) {
            if (h->nregions < MAX_REGIONS) {
                region_info *r = &h->regions[h->nregions++];
                r->address = (uintptr_t)e.lpData;
                r->size = e.cbData;
                r->committed = e.Region.dwCommittedSize;
                r->uncommitted = e.Region.dwUnCommittedSize;
                r->first_block = (uintptr_t)e.Region.lpFirstBlock;
                r->last_block = (uintptr_t)e.Region.lpLastBlock;
                r->flags = e.wFlags;
            }
        } else if (e.wFlags & PROCESS_HEAP_UNCOMMITTED_RANGE) {
            h->uncommitted_ranges++;
            h->uncommitted_bytes += e.cbData;
        } else if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) {
            h->busy++;
            h->busy_data += e.cbData;
            h->busy_overhead += e.cbOverhead;
            /* Only blocks of at least 64 KiB can be their own reservation: keep those. */
            if (e.cbData >= 64 * KiB && nbusy_outside < (int)(sizeof busy_outside / sizeof *busy_outside)) {
                large_info *l = &busy_outside[nbusy_outside++];
                l->address = (uintptr_t)e.lpData;
                l->size = e.cbData;
                l->flags = e.wFlags;
                l->overhead = e.cbOverhead;
            }
        } else {
            h->free_blocks++;
            h->free_data += e.cbData;
            h->free_overhead += e.cbOverhead;
            if (h->nfrees < MAX_FREES)
                h->frees[h->nfrees++] = (free_info){(uintptr_t)e.lpData, e.cbData, e.cbOverhead, h->nregions - 1};
        }
    }
    DWORD err = GetLastError();
    HeapUnlock(h->handle);
    if (err != ERROR_NO_MORE_ITEMS) {
        h->walk_ok = false;
        h->walk_error = err;
    }
    h->frees_all = h->nfrees == (int)h->free_blocks;
    /* Pass 2: a busy block outside every region is a large block (its own reservation). */
    for (int i = 0; i < nbusy_outside && h->nlarge < MAX_LARGE; i++) {
        bool inside = false;
        for (int r = 0; r < h->nregions && !inside; r++)
            inside = busy_outside[i].address >= h->regions[r].address &&
                     busy_outside[i].address < region_end(&h->regions[r]);
        if (!inside) {
            h->large[h->nlarge++] = busy_outside[i];
            h->busy_data -= busy_outside[i].size;
            h->busy_overhead -= busy_outside[i].overhead;
            h->large_data += busy_outside[i].size;
        }
    }
    for (int r = 0; r < h->nregions; r++) {
        region_info *ri = &h->regions[r];
        alloc_span((const void *)(uintptr_t)ri->address, &ri->alloc_base, &ri->alloc_end);
        ri->vq_committed = committed_in(ri->alloc_base, ri->alloc_end);
    }
    for (int l = 0; l < h->nlarge; l++) {
        large_info *li = &h->large[l];
        alloc_span((const void *)(uintptr_t)li->address, &li->alloc_base, &li->alloc_end);
        li->vq_committed = committed_in(li->alloc_base, li->alloc_end);
    }
}

static void walk_all_heaps(void)
{
    HANDLE handles[MAX_HEAPS];
    DWORD n = GetProcessHeaps(MAX_HEAPS, handles);
    if (n == 0)
        die("GetProcessHeaps");
    if (n > MAX_HEAPS)
        n = MAX_HEAPS;
    g_nheaps = (int)n;
    for (int i = 0; i < g_nheaps; i++) {
        memset(&g_heaps[i], 0, sizeof g_heaps[i]);
        g_heaps[i].handle = handles[i];
        walk_heap(&g_heaps[i]);
    }
}

/* Which heap owns address a according to the walks: *in = "region" or "large". */
static const heap_info *owner_of(uint64_t a, const char **in)
{
    for (int i = 0; i < g_nheaps; i++) {
        const heap_info *h = &g_heaps[i];
        for (int r = 0; r < h->nregions; r++)
            if (a >= h->regions[r].address && a < region_end(&h->regions[r])) {
                *in = "region";
                return h;
            }
        for (int l = 0; l < h->nlarge; l++)
            if (a >= h->large[l].address && a < h->large[l].address + h->large[l].size) {
                *in = "large";
                return h;
            }
    }
    *in = NULL;
    return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Tracked allocations                                                                             */

typedef struct alloc_info {
    const char *what;
    void *address;
    uint64_t size;
    HANDLE api_heap; /* the heap this API is expected to allocate from */
} alloc_info;

static alloc_info *g_allocs;  /* MAX_ALLOCS, VirtualAlloc'd (see g_heaps) */
static int g_nallocs;

static void track(const char *what, void *p, uint64_t size, HANDLE api_heap)
{
    if (!p) {
        fprintf(stderr, "sample: %s: allocation failed\n", what);
        ExitProcess(1);
    }
    if (g_nallocs < MAX_ALLOCS)
        g_allocs[g_nallocs++] = (alloc_info){what, p, size, api_heap};
}

/* ---------------------------------------------------------------------------------------------- */
/* Threads                                                                                         */

typedef struct thread_info {
    HANDLE handle;
    bool main;
    SIZE_T requested;
    DWORD tid;
    uint64_t local, teb, stack_base, stack_limit, dealloc, guard, guard_size, alloc_base, alloc_end;
} thread_info;

static thread_info g_threads[NTHREADS + 1];
static HANDLE g_release;   /* manual-reset: set when the sample ends */
static HANDLE g_ready[NTHREADS];

static uint64_t teb_field(const void *teb, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)teb + off, sizeof v);
    return v;
}

/* The allocation holding p: [AllocationBase, end of its last region). */
static void alloc_span(const void *p, uint64_t *base, uint64_t *end)
{
    MEMORY_BASIC_INFORMATION mbi;
    *base = *end = 0;
    if (!VirtualQuery(p, &mbi, sizeof mbi))
        return;
    void *ab = mbi.AllocationBase;
    *base = (uintptr_t)ab;
    uint64_t a = (uintptr_t)ab;
    while (VirtualQuery((void *)(uintptr_t)a, &mbi, sizeof mbi) && mbi.AllocationBase == ab && mbi.RegionSize)
        a = (uintptr_t)mbi.BaseAddress + mbi.RegionSize;
    *end = a;
}

/* Fills t from the calling thread's TEB and its stack's VirtualQuery runs. */
static void describe_thread(thread_info *t, volatile char *local)
{
    const void *teb = NtCurrentTeb();
    t->tid = GetCurrentThreadId();
    t->local = (uintptr_t)local;
    t->teb = (uintptr_t)teb;
    t->stack_base = teb_field(teb, TEB_STACK_BASE);
    t->stack_limit = teb_field(teb, TEB_STACK_LIMIT);
    t->dealloc = teb_field(teb, TEB_DEALLOCATION_STACK);
    alloc_span((const void *)local, &t->alloc_base, &t->alloc_end);
    uint64_t a = t->dealloc;
    while (a < t->stack_base) {
        MEMORY_BASIC_INFORMATION mbi;
        if (!VirtualQuery((void *)(uintptr_t)a, &mbi, sizeof mbi) || mbi.RegionSize == 0)
            break;
        if (mbi.State == MEM_COMMIT && (mbi.Protect & PAGE_GUARD)) {
            t->guard = (uintptr_t)mbi.BaseAddress;
            t->guard_size = mbi.RegionSize;
            break;
        }
        a = (uintptr_t)mbi.BaseAddress + mbi.RegionSize;
    }
}

static DWORD WINAPI thread_main(LPVOID arg)
{
    int idx = (int)(intptr_t)arg;
    volatile char local[64];
    local[0] = (char)idx;
    describe_thread(&g_threads[idx + 1], local);
    SetEvent(g_ready[idx]);
    WaitForSingleObject(g_release, INFINITE);
    return (DWORD)local[0];
}

/* ---------------------------------------------------------------------------------------------- */
/* Images                                                                                          */

static void out_image(const char *name, HMODULE mod, uint64_t probe)
{
    wchar_t wpath[MAX_PATH];
    char path[3 * MAX_PATH];
    DWORD n = GetModuleFileNameW(mod, wpath, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        wpath[0] = L'\0';
    const unsigned char *base = (const unsigned char *)mod;
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)base;
    const IMAGE_NT_HEADERS64 *nt = (const IMAGE_NT_HEADERS64 *)(base + dos->e_lfanew);
    out("{");
    out_str("name", name);
    out(",");
    out_str("path", utf8(wpath, path, sizeof path));
    out(",");
    out_hex("base", (uintptr_t)base);
    out(",\"size\":%lu,\"stack_reserve\":%llu,", (unsigned long)nt->OptionalHeader.SizeOfImage,
        (unsigned long long)nt->OptionalHeader.SizeOfStackReserve);
    out_hex("text_probe", probe);
    out(",\"sections\":[");
    const IMAGE_SECTION_HEADER *s = IMAGE_FIRST_SECTION(nt);
    for (WORD i = 0; i < nt->FileHeader.NumberOfSections; i++, s++) {
        char sname[IMAGE_SIZEOF_SHORT_NAME + 1];
        memcpy(sname, s->Name, IMAGE_SIZEOF_SHORT_NAME);
        sname[IMAGE_SIZEOF_SHORT_NAME] = '\0';
        out("%s{", i ? "," : "");
        out_str("name", sname);
        out(",");
        out_hex("address", (uintptr_t)base + s->VirtualAddress);
        out(",\"virtual_size\":%lu,\"raw_size\":%lu,\"characteristics\":\"0x%lx\"}", (unsigned long)s->Misc.VirtualSize,
            (unsigned long)s->SizeOfRawData, (unsigned long)s->Characteristics);
    }
    out("]}");
}

/* ---------------------------------------------------------------------------------------------- */

static const char *memtype_of(const void *p)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (!VirtualQuery(p, &mbi, sizeof mbi))
        return "unknown";
    switch (mbi.Type) {
    case MEM_PRIVATE: return "private";
    case MEM_MAPPED: return "mapped";
    case MEM_IMAGE: return "image";
    default: return "none";
    }
}

static void write_all(HANDLE h, const char *buf, size_t len)
{
    while (len > 0) {
        DWORD done = 0;
        if (!WriteFile(h, buf, (DWORD)len, &done, NULL) || done == 0)
            die("WriteFile(stdout)");
        buf += done;
        len -= done;
    }
}

static const DWORD DUMP_TRIES[] = {
    MiniDumpWithFullMemory | MiniDumpWithFullMemoryInfo | MiniDumpWithThreadInfo,
    MiniDumpWithFullMemory,
};
#define DUMP_FAILED 100  /* exit code of the dumper: index into DUMP_TRIES, or this + GetLastError's low bits */

/* The dumper (sample.exe --dump-of PID FILE): writes a full-memory minidump of process pid to
 * path.  Exit code: the index of the DUMP_TRIES flags that worked, else DUMP_FAILED and up. */
static int dump_other(DWORD pid, const wchar_t *path)
{
    HANDLE proc = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ | PROCESS_DUP_HANDLE, FALSE, pid);
    if (!proc)
        return DUMP_FAILED + (int)(GetLastError() & 0xff);
    HANDLE f = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return DUMP_FAILED + (int)(GetLastError() & 0xff);
    int rc = DUMP_FAILED;
    for (size_t i = 0; i < sizeof DUMP_TRIES / sizeof *DUMP_TRIES && rc == DUMP_FAILED; i++) {
        SetFilePointer(f, 0, NULL, FILE_BEGIN);
        SetEndOfFile(f);
        if (MiniDumpWriteDump(proc, pid, f, (MINIDUMP_TYPE)DUMP_TRIES[i], NULL, NULL, NULL))
            rc = (int)i;
        else if (i + 1 == sizeof DUMP_TRIES / sizeof *DUMP_TRIES)
            rc = DUMP_FAILED + (int)(GetLastError() & 0xff);
    }
    CloseHandle(f);
    CloseHandle(proc);
    return rc;
}

/* The dump is written by a second instance of the sample, started suspended before the heaps are
 * walked: MiniDumpWriteDump allocates from the heaps of the process that calls it, so a sample
 * dumping itself would show heaps that are no longer those its ground truth describes. */
static bool start_dumper(const wchar_t *dump_path, PROCESS_INFORMATION *pi)
{
    static wchar_t cmd[3 * MAX_PATH];
    wchar_t exe[MAX_PATH];
    STARTUPINFOW si;
    DWORD n = GetModuleFileNameW(NULL, exe, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        return false;
    _snwprintf(cmd, sizeof cmd / sizeof *cmd, L"\"%ls\" --dump-of %lu \"%ls\"", exe,
               (unsigned long)GetCurrentProcessId(), dump_path);
    cmd[sizeof cmd / sizeof *cmd - 1] = L'\0';
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    return CreateProcessW(exe, cmd, NULL, NULL, FALSE, CREATE_SUSPENDED, NULL, NULL, &si, pi) != FALSE;
}

static bool run_dumper(PROCESS_INFORMATION *pi, DWORD *flags_used, DWORD *error)
{
    DWORD code = DUMP_FAILED;
    ResumeThread(pi->hThread);
    if (WaitForSingleObject(pi->hProcess, 600000) != WAIT_OBJECT_0 || !GetExitCodeProcess(pi->hProcess, &code))
        code = DUMP_FAILED;
    CloseHandle(pi->hThread);
    CloseHandle(pi->hProcess);
    if (code < sizeof DUMP_TRIES / sizeof *DUMP_TRIES) {
        *flags_used = DUMP_TRIES[code];
        return true;
    }
    *error = code;
    return false;
}

int main(void)
{
    int argc = 0;
    wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv)
        die("CommandLineToArgvW");
    long seconds = -1;
    const wchar_t *tempdir_arg = NULL, *dump_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (wcscmp(argv[i], L"--seconds") == 0 && i + 1 < argc)
            seconds = wcstol(argv[++i], NULL, 10);
        else if (wcscmp(argv[i], L"--tempdir") == 0 && i + 1 < argc)
            tempdir_arg = argv[++i];
        else if (wcscmp(argv[i], L"--dump") == 0 && i + 1 < argc)
            dump_path = argv[++i];
        else if (wcscmp(argv[i], L"--dump-of") == 0 && i + 2 < argc)
            return dump_other((DWORD)wcstoul(argv[i + 1], NULL, 10), argv[i + 2]);
        else {
            fprintf(stderr, "usage: sample.exe [--seconds N] [--tempdir DIR] [--dump FILE]\n");
            return 2;
        }
    }

    SYSTEM_INFO si;
    GetSystemInfo(&si);
    HANDLE process_heap = GetProcessHeap();
    HANDLE crt_heap = (HANDLE)_get_heap_handle();
    g_heaps = VirtualAlloc(NULL, MAX_HEAPS * sizeof *g_heaps, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    g_allocs = VirtualAlloc(NULL, MAX_ALLOCS * sizeof *g_allocs, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!g_heaps || !g_allocs)
        die("VirtualAlloc(sample state)");

    /* ---- a DLL with a heap of its own (its handle in the DLL's .bss, as a static CRT keeps it) ---- */
    wchar_t dll_file[MAX_PATH];
    DWORD dl = GetModuleFileNameW(NULL, dll_file, MAX_PATH);
    wchar_t *slash = dl && dl < MAX_PATH ? wcsrchr(dll_file, L'\\') : NULL;
    if (!slash || (size_t)(slash - dll_file) + 1 + wcslen(HEAPDLL_NAME) >= MAX_PATH)
        die("GetModuleFileName(exe)");
    wcscpy(slash + 1, HEAPDLL_NAME);
    HMODULE heapdll = LoadLibraryW(dll_file);
    if (!heapdll)
        die("LoadLibrary(sample_heapdll.dll)");
    heapdll_handle_fn heapdll_handle = (heapdll_handle_fn)(void (*)(void))GetProcAddress(heapdll, "heapdll_handle");
    heapdll_slot_fn heapdll_slot = (heapdll_slot_fn)(void (*)(void))GetProcAddress(heapdll, "heapdll_handle_slot");
    heapdll_alloc_fn heapdll_alloc = (heapdll_alloc_fn)(void (*)(void))GetProcAddress(heapdll, "heapdll_allocate");
    if (!heapdll_handle || !heapdll_slot || !heapdll_alloc || !heapdll_handle())
        die("sample_heapdll.dll exports");
    void *dll_first = heapdll_alloc(DLL_BLOCKS, DLL_BLOCK_SIZE);
    if (!dll_first)
        die("heapdll_allocate");

    /* ---- heap allocations ---- */
    static void *small[SMALL_COUNT];
    for (int i = 0; i < SMALL_COUNT; i++) {
        small[i] = malloc(SMALL_SIZE);
        if (small[i])
            memset(small[i], i, SMALL_SIZE);
    }
    for (int i = 0; i < SMALL_REPORTED; i++)
        track("malloc small", small[i * (SMALL_COUNT / SMALL_REPORTED)], SMALL_SIZE, crt_heap);
    char *large = malloc(LARGE_MALLOC);
    track("malloc large", large, LARGE_MALLOC, crt_heap);
    for (SIZE_T i = 0; i < LARGE_MALLOC; i += 4096)
        large[i] = 1;

    void *cpp_big = NULL;
    void *cpp_first = cpp_allocate(CPP_COUNT, CPP_BIG, &cpp_big);
    track("new small", cpp_first, 128, crt_heap);
    track("new small", cpp_object(CPP_COUNT - 1), 128, crt_heap);
    track("new[] large", cpp_big, CPP_BIG, crt_heap);

    void *ha_small = HeapAlloc(process_heap, HEAP_ZERO_MEMORY, HEAP_SMALL);
    track("HeapAlloc small", ha_small, HEAP_SMALL, process_heap);
    void *ha_large = HeapAlloc(process_heap, 0, HEAP_LARGE);
    track("HeapAlloc large", ha_large, HEAP_LARGE, process_heap);
    memset(ha_large, 2, HEAP_LARGE);

    void *co = CoTaskMemAlloc(512);
    track("CoTaskMemAlloc", co, 512, process_heap);
    HGLOBAL gfixed = GlobalAlloc(GMEM_FIXED, 300);
    track("GlobalAlloc fixed", gfixed, 300, process_heap);
    HGLOBAL gmove = GlobalAlloc(GMEM_MOVEABLE, 400);
    void *gmove_ptr = gmove ? GlobalLock(gmove) : NULL;
    track("GlobalAlloc moveable", gmove_ptr, 400, process_heap);
    HLOCAL lfixed = LocalAlloc(LMEM_FIXED, 250);
    track("LocalAlloc", lfixed, 250, process_heap);

    HANDLE priv_heap = HeapCreate(0, 0, 0);
    if (!priv_heap)
        die("HeapCreate");
    static void *priv[PRIV_COUNT];
    for (SIZE_T i = 0; i < PRIV_COUNT; i++) {
        priv[i] = HeapAlloc(priv_heap, 0, PRIV_PIECE);
        if (!priv[i])
            die("HeapAlloc(private heap)");
        memset(priv[i], 3, PRIV_PIECE);
    }
    track("dll heap first", dll_first, DLL_BLOCK_SIZE, heapdll_handle());
    track("private heap first", priv[0], PRIV_PIECE, priv_heap);
    track("private heap last", priv[PRIV_COUNT - 1], PRIV_PIECE, priv_heap);

    /* ---- virtual memory ---- */
    char *resv = VirtualAlloc(NULL, RESERVE_SIZE, MEM_RESERVE, PAGE_NOACCESS);
    if (!resv || !VirtualAlloc(resv, RESERVE_COMMIT, MEM_COMMIT, PAGE_READWRITE))
        die("VirtualAlloc(64 MiB reservation)");
    memset(resv, 4, RESERVE_COMMIT);
    char *small_va = VirtualAlloc(NULL, SMALL_VIRTUAL, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!small_va)
        die("VirtualAlloc(12 KiB)");
    memset(small_va, 5, SMALL_VIRTUAL);

    /* ---- sections ---- */
    HANDLE sec = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)SECTION_SIZE, NULL);
    if (!sec)
        die("CreateFileMapping(pagefile)");
    char *sec_view = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, SECTION_SIZE);
    if (!sec_view)
        die("MapViewOfFile(pagefile)");
    memset(sec_view, 6, SECTION_SIZE);

    wchar_t tempdir[MAX_PATH];
    if (tempdir_arg) {
        if (wcslen(tempdir_arg) + 2 > MAX_PATH)
            die("--tempdir too long");
        wcscpy(tempdir, tempdir_arg);
    } else if (!GetTempPathW(MAX_PATH, tempdir)) {
        die("GetTempPath");
    }
    size_t tl = wcslen(tempdir);
    if (tl && tempdir[tl - 1] != L'\\' && tempdir[tl - 1] != L'/')
        wcscat(tempdir, L"\\");
    wchar_t file_path[MAX_PATH], dll_path[MAX_PATH], sys_kernel32[MAX_PATH];
    _snwprintf(file_path, MAX_PATH, L"%lsvmmap-sample-%lu.dat", tempdir, (unsigned long)GetCurrentProcessId());
    _snwprintf(dll_path, MAX_PATH, L"%lsvmmap-sample-%lu.dll", tempdir, (unsigned long)GetCurrentProcessId());
    file_path[MAX_PATH - 1] = dll_path[MAX_PATH - 1] = L'\0';

    HANDLE fh = CreateFileW(file_path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS,
                            FILE_ATTRIBUTE_TEMPORARY, NULL);
    if (fh == INVALID_HANDLE_VALUE)
        die("CreateFile(temp file)");
    for (SIZE_T done = 0; done < FILE_SIZE; done += 4096) {
        static char page[4096];
        memset(page, 'v', sizeof page);
        DWORD w = 0;
        if (!WriteFile(fh, page, sizeof page, &w, NULL) || w != sizeof page)
            die("WriteFile(temp file)");
    }
    HANDLE fmap = CreateFileMappingW(fh, NULL, PAGE_READONLY, 0, 0, NULL);
    if (!fmap)
        die("CreateFileMapping(file)");
    const char *file_view = MapViewOfFile(fmap, FILE_MAP_READ, 0, 0, 0);
    if (!file_view)
        die("MapViewOfFile(file)");
    volatile char sink = 0;
    for (SIZE_T i = 0; i < FILE_SIZE; i += 4096)
        sink = (char)(sink + file_view[i]);

    UINT sl = GetSystemDirectoryW(sys_kernel32, MAX_PATH - 16);
    if (sl == 0 || sl >= MAX_PATH - 16)
        die("GetSystemDirectory");
    wcscat(sys_kernel32, L"\\kernel32.dll");
    if (!CopyFileW(sys_kernel32, dll_path, FALSE))
        die("CopyFile(kernel32.dll)");
    HMODULE data_dll = LoadLibraryExW(dll_path, NULL, LOAD_LIBRARY_AS_DATAFILE);
    if (!data_dll)
        die("LoadLibraryEx(AS_DATAFILE)");
    /* The low bits of a data-file module handle are flags; the mapping starts at the handle & ~3. */
    const void *data_base = (const void *)((uintptr_t)data_dll & ~(uintptr_t)3);
    MEMORY_BASIC_INFORMATION dmbi;
    SIZE_T data_size = 0;
    if (VirtualQuery(data_base, &dmbi, sizeof dmbi))
        data_size = dmbi.RegionSize;

    /* ---- threads ---- */
    g_release = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!g_release)
        die("CreateEvent");
    static const SIZE_T reserves[NTHREADS] = {256 * KiB, 1 * MiB, 4 * MiB};
    volatile char main_local[16];
    main_local[0] = 1;
    g_threads[0].main = true;
    {
        const unsigned char *eb = (const unsigned char *)GetModuleHandleW(NULL);
        const IMAGE_NT_HEADERS64 *enh = (const IMAGE_NT_HEADERS64 *)(eb + ((const IMAGE_DOS_HEADER *)eb)->e_lfanew);
        g_threads[0].requested = (SIZE_T)enh->OptionalHeader.SizeOfStackReserve;
    }
    describe_thread(&g_threads[0], main_local);
    for (int i = 0; i < NTHREADS; i++) {
        g_ready[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (!g_ready[i])
            die("CreateEvent");
        g_threads[i + 1].requested = reserves[i];
        g_threads[i + 1].handle = CreateThread(NULL, reserves[i], thread_main, (LPVOID)(intptr_t)i,
                                               STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
        if (!g_threads[i + 1].handle)
            die("CreateThread");
    }
    if (WaitForMultipleObjects(NTHREADS, g_ready, TRUE, 30000) != WAIT_OBJECT_0)
        die("waiting for the threads");

    /* ---- walk the heaps (nothing is allocated from a heap after this) ---- */
    PROCESS_INFORMATION dumper;
    if (dump_path && !start_dumper(dump_path, &dumper))
        die("CreateProcess(dumper)");
    walk_all_heaps();
    g_out = VirtualAlloc(NULL, OUT_SIZE, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!g_out)
        die("VirtualAlloc(output)");

    HMODULE exe = GetModuleHandleW(NULL), k32 = GetModuleHandleW(L"kernel32.dll"), ntdll = GetModuleHandleW(L"ntdll.dll");
    if (!exe || !k32 || !ntdll)
        die("GetModuleHandle");
    typedef const char *(CDECL * wine_version_fn)(void);
    wine_version_fn wine_version = (wine_version_fn)(void (*)(void))GetProcAddress(ntdll, "wine_get_version");
    wchar_t wexe[MAX_PATH];
    char buf[3 * MAX_PATH];
    if (!GetModuleFileNameW(NULL, wexe, MAX_PATH))
        wexe[0] = L'\0';

    out("{\"sample\":\"windows\",\"pid\":%lu,", (unsigned long)GetCurrentProcessId());
    out_str("wine", wine_version ? wine_version() : NULL);
    out(",\"page_size\":%lu,\"alloc_granularity\":%lu,", (unsigned long)si.dwPageSize,
        (unsigned long)si.dwAllocationGranularity);
    out_str("exe", utf8(wexe, buf, sizeof buf));
    out(",");
    out_hex("peb", teb_field(NtCurrentTeb(), TEB_PEB));
    out(",");
    out_hex("process_heap", (uintptr_t)process_heap);
    out(",");
    out_hex("crt_heap", (uintptr_t)crt_heap);

    out(",\"heaps\":[");
    for (int i = 0; i < g_nheaps; i++) {
        const heap_info *h = &g_heaps[i];
        out("%s{", i ? "," : "");
        out_hex("handle", (uintptr_t)h->handle);
        out(",\"process_heap\":%s,\"crt_heap\":%s,\"private_heap\":%s,\"dll_heap\":%s,\"walk_ok\":%s,"
            "\"walk_error\":%lu,\"entries\":%lu,\"busy\":%lu,\"free\":%lu,\"uncommitted_ranges\":%lu,",
            h->handle == process_heap ? "true" : "false", h->handle == crt_heap ? "true" : "false",
            h->handle == priv_heap ? "true" : "false", h->handle == heapdll_handle() ? "true" : "false",
            h->walk_ok ? "true" : "false", h->walk_error, h->entries, h->busy, h->free_blocks, h->uncommitted_ranges);
        out("\"walk\":{\"busy_data\":%llu,\"busy_overhead\":%llu,\"large\":%d,\"large_data\":%llu,"
            "\"free_data\":%llu,\"free_overhead\":%llu,\"uncommitted_bytes\":%llu,\"frees_all\":%s,\"frees\":[",
            (unsigned long long)h->busy_data, (unsigned long long)h->busy_overhead, h->nlarge,
            (unsigned long long)h->large_data, (unsigned long long)h->free_data, (unsigned long long)h->free_overhead,
            (unsigned long long)h->uncommitted_bytes, h->frees_all ? "true" : "false");
        for (int f = 0; f < h->nfrees; f++) {
            out("%s{", f ? "," : "");
            out_hex("address", h->frees[f].address);
            out(",\"size\":%llu,\"overhead\":%u,\"region\":%d}", (unsigned long long)h->frees[f].size,
                h->frees[f].overhead, h->frees[f].region);
        }
        out("]},\"regions\":[");
        for (int r = 0; r < h->nregions; r++) {
            const region_info *ri = &h->regions[r];
            out("%s{", r ? "," : "");
            out_hex("address", ri->address);
            out(",\"size\":%llu,\"committed\":%llu,\"uncommitted\":%llu,", (unsigned long long)ri->size,
                (unsigned long long)ri->committed, (unsigned long long)ri->uncommitted);
            out_hex("first_block", ri->first_block);
            out(",");
            out_hex("last_block", ri->last_block);
            out(",\"flags\":\"0x%x\",", ri->flags);
            out_hex("allocation_base", ri->alloc_base);
            out(",");
            out_hex("allocation_end", ri->alloc_end);
            out(",\"vq_committed\":%llu}", (unsigned long long)ri->vq_committed);
        }
        out("],\"large_blocks\":[");
        for (int l = 0; l < h->nlarge; l++) {
            out("%s{", l ? "," : "");
            out_hex("address", h->large[l].address);
            out(",\"size\":%llu,\"flags\":\"0x%x\",", (unsigned long long)h->large[l].size, h->large[l].flags);
            out_hex("allocation_base", h->large[l].alloc_base);
            out(",");
            out_hex("allocation_end", h->large[l].alloc_end);
            out(",\"vq_committed\":%llu}", (unsigned long long)h->large[l].vq_committed);
        }
        out("]}");
    }
    out("],\"allocations\":[");
    for (int i = 0; i < g_nallocs; i++) {
        const alloc_info *a = &g_allocs[i];
        const char *in = NULL;
        const heap_info *owner = owner_of((uintptr_t)a->address, &in);
        out("%s{", i ? "," : "");
        out_str("what", a->what);
        out(",");
        out_hex("address", (uintptr_t)a->address);
        out(",\"size\":%llu,", (unsigned long long)a->size);
        out_hex("api_heap", (uintptr_t)a->api_heap);
        out(",");
        if (owner)
            out_hex("heap", (uintptr_t)owner->handle);
        else
            out("\"heap\":null");
        out(",");
        out_str("in", in);
        out("}");
    }
    int priv_regions = 0;
    for (int i = 0; i < g_nheaps; i++)
        if (g_heaps[i].handle == priv_heap)
            priv_regions = g_heaps[i].nregions;
    out("],\"dll\":{");
    {
        wchar_t wdll[MAX_PATH];
        if (!GetModuleFileNameW(heapdll, wdll, MAX_PATH))
            wdll[0] = L'\0';
        out_str("path", utf8(wdll, buf, sizeof buf));
    }
    out(",");
    out_hex("base", (uintptr_t)heapdll);
    out(",");
    out_hex("heap", (uintptr_t)heapdll_handle());
    out(",");
    out_hex("handle_address", (uintptr_t)heapdll_slot());
    out(",\"blocks\":%d,\"block_size\":%d},", DLL_BLOCKS, DLL_BLOCK_SIZE);
    out("\"private_heap\":{");
    out_hex("handle", (uintptr_t)priv_heap);
    out(",\"count\":%u,\"piece\":%u,\"regions\":%d},", (unsigned)PRIV_COUNT, (unsigned)PRIV_PIECE, priv_regions);

    out("\"reservation\":{");
    out_hex("address", (uintptr_t)resv);
    out(",\"size\":%llu,\"committed\":%llu},", (unsigned long long)RESERVE_SIZE, (unsigned long long)RESERVE_COMMIT);
    uint64_t gran = si.dwAllocationGranularity;
    out("\"small_virtual\":{");
    out_hex("address", (uintptr_t)small_va);
    out(",\"size\":%llu,", (unsigned long long)SMALL_VIRTUAL);
    out_hex("granule_end", ((uintptr_t)small_va + SMALL_VIRTUAL + gran - 1) / gran * gran);
    out("},");

    out("\"threads\":[");
    for (int i = 0; i <= NTHREADS; i++) {
        const thread_info *t = &g_threads[i];
        out("%s{\"tid\":%lu,\"main\":%s,\"requested_reserve\":%llu,", i ? "," : "", (unsigned long)t->tid,
            t->main ? "true" : "false", (unsigned long long)t->requested);
        out_hex("stack_local", t->local);
        out(",");
        out_hex("teb", t->teb);
        out(",");
        out_hex("stack_base", t->stack_base);
        out(",");
        out_hex("stack_limit", t->stack_limit);
        out(",");
        out_hex("deallocation_stack", t->dealloc);
        out(",");
        out_hex("guard_address", t->guard);
        out(",\"guard_size\":%llu,", (unsigned long long)t->guard_size);
        out_hex("allocation_base", t->alloc_base);
        out(",");
        out_hex("allocation_end", t->alloc_end);
        out("}");
    }
    out("],\"pagefile_section\":{");
    out_hex("address", (uintptr_t)sec_view);
    out(",\"size\":%llu,", (unsigned long long)SECTION_SIZE);
    out_str("memtype", memtype_of(sec_view));
    out("},\"file_mapping\":{");
    out_hex("address", (uintptr_t)file_view);
    out(",\"size\":%llu,", (unsigned long long)FILE_SIZE);
    out_str("path", utf8(file_path, buf, sizeof buf));
    out(",");
    out_str("memtype", memtype_of(file_view));
    out("},\"datafile_dll\":{");
    out_hex("handle", (uintptr_t)data_dll);
    out(",");
    out_hex("address", (uintptr_t)data_base);
    out(",\"size\":%llu,", (unsigned long long)data_size);
    out_str("path", utf8(dll_path, buf, sizeof buf));
    out(",");
    out_str("memtype", memtype_of(data_base));
    out("},\"images\":[");
    out_image("exe", exe, (uintptr_t)(void *)thread_main);
    out(",");
    out_image("kernel32.dll", k32, (uintptr_t)(void *)GetProcAddress(k32, "VirtualAlloc"));
    out(",");
    out_image("ntdll.dll", ntdll, (uintptr_t)(void *)GetProcAddress(ntdll, "NtQueryVirtualMemory"));
    out("],");
    out_hex("exe_data_probe", (uintptr_t)&sample_data_marker);
    out(",");
    out_hex("exe_bss_probe", (uintptr_t)&sample_bss_marker);
    out("}\n");

    HANDLE so = GetStdHandle(STD_OUTPUT_HANDLE);
    write_all(so, g_out, g_len);

    if (dump_path) {
        DWORD flags = 0, error = 0;
        bool ok = run_dumper(&dumper, &flags, &error);
        g_len = 0;
        out("{");
        out_str("dump", utf8(dump_path, buf, sizeof buf));
        out(",\"ok\":%s,\"flags\":\"0x%lx\",\"error\":%lu}\n", ok ? "true" : "false", (unsigned long)flags,
            (unsigned long)(ok ? 0 : error));
        write_all(so, g_out, g_len);
    }

    /* ---- wait ---- */
    if (seconds >= 0) {
        Sleep((DWORD)seconds * 1000);
    } else {
        HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
        char c[256];
        DWORD got = 0;
        while (ReadFile(in, c, sizeof c, &got, NULL) && got > 0)
            ;
    }

    /* ---- clean up ---- */
    SetEvent(g_release);
    for (int i = 1; i <= NTHREADS; i++) {
        WaitForSingleObject(g_threads[i].handle, 10000);
        CloseHandle(g_threads[i].handle);
        CloseHandle(g_ready[i - 1]);
    }
    CloseHandle(g_release);
    FreeLibrary(data_dll);
    DeleteFileW(dll_path);
    UnmapViewOfFile(file_view);
    CloseHandle(fmap);
    CloseHandle(fh);
    DeleteFileW(file_path);
    UnmapViewOfFile(sec_view);
    CloseHandle(sec);
    VirtualFree(small_va, 0, MEM_RELEASE);
    VirtualFree(resv, 0, MEM_RELEASE);
    VirtualFree(g_out, 0, MEM_RELEASE);
    FreeLibrary(heapdll);
    for (SIZE_T i = 0; i < PRIV_COUNT; i++)
        HeapFree(priv_heap, 0, priv[i]);
    HeapDestroy(priv_heap);
    LocalFree(lfixed);
    GlobalUnlock(gmove);
    GlobalFree(gmove);
    GlobalFree(gfixed);
    CoTaskMemFree(co);
    HeapFree(process_heap, 0, ha_large);
    HeapFree(process_heap, 0, ha_small);
    cpp_release();
    free(large);
    for (int i = 0; i < SMALL_COUNT; i++)
        free(small[i]);
    LocalFree(argv);
    (void)sink;
    return 0;
}
