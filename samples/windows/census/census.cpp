// The Windows C++ census sample (MinGW g++; tests/wine/test_wine_census.c): known numbers of
// objects of several classes, the ground truth printed as one JSON line, then it waits until its
// stdin reaches EOF.  The same classes and rules as samples/linux/census.cpp:
//   Circle, Square      single inheritance from Shape (abstract)
//   Widget              multiple inheritance: two vptrs, one object
//   ListItem            in a std::list: the object after each node's two links
//   VecItem             in a std::vector grown by doubling (freed old buffers hold stale copies)
//   Holder<int>         a template, in an array allocated with new[] (a count before it)
//   Temp                created and deleted again: must not count
//   ThreadObj           created by another thread; ThreadTemp created and deleted there
//   plugin::Plugin      defined in census_plugin.dll: named with it
//   Unused              has a vtable, never instantiated
//   Circle also has a static instance (.bss) and one on main's stack (only with --all).
// The bytes of each type come from HeapWalk of the CRT's heap (_get_heap_handle): a busy
// entry's cbData + cbOverhead is the block vmmap counts (docs/testing-windows.md); objects sharing
// a block are charged its cbData from the first object on (estimated).
//
//   census.exe                 print the truth, wait for EOF on stdin
//   census.exe --dump FILE     then have a full-memory minidump of this process written to FILE
//                              by a second instance started (suspended) before any object was
//                              made, and print {"dump": true, "ok": true|false}
//   census.exe --dump-of PID FILE   that second instance
#include <windows.h>

#include <dbghelp.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <list>
#include <vector>

#include "../../common/census_plugin.h"

#include "../../common/census_classes.h"

static Circle g_static_circle;
static char g_stdout_buffer[1 << 16];
static volatile int g_sink;
static ThreadObj *g_thread_objs[N_THREAD];
static HANDLE g_thread_ready, g_release;

/* HeapWalk's busy entries of the CRT heap, in static memory (walking must not allocate). */
struct entry {
    const void *data;
    unsigned long long block;  /* cbData + cbOverhead */
    unsigned long long size;   /* cbData */
};
static entry g_entries[1 << 16];
static size_t g_nentries;

static void walk_crt_heap()
{
    HANDLE heap = (HANDLE)_get_heap_handle();
    PROCESS_HEAP_ENTRY e;
    memset(&e, 0, sizeof e);
    g_nentries = 0;
    HeapLock(heap);
    while (HeapWalk(heap, &e) && g_nentries < sizeof g_entries / sizeof *g_entries)
        if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY)
            g_entries[g_nentries++] = {e.lpData, (unsigned long long)e.cbData + e.cbOverhead, e.cbData};
    HeapUnlock(heap);
}

static const entry *entry_of(const void *p)
{
    for (size_t i = 0; i < g_nentries; i++)
        if (g_entries[i].data == p)
            return &g_entries[i];
    return nullptr;
}

static unsigned long long block_of(const void *p)
{
    const entry *e = entry_of(p);
    return e ? e->block : 0;
}

/* Allocation in functions of their own that return before the thread waits (see the Linux
 * sample: a vtable address left in a saved register would be a live stale copy on the stack). */
__attribute__((noinline)) static void thread_allocate()
{
    for (int i = 0; i < N_THREAD; i++)
        g_thread_objs[i] = new ThreadObj;
    ThreadTemp *tmp[N_THREAD_TEMP];
    for (int i = 0; i < N_THREAD_TEMP; i++)
        tmp[i] = new ThreadTemp;
    for (int i = 0; i < N_THREAD_TEMP; i++)
        delete tmp[i];
}

static DWORD WINAPI thread_main(void *)
{
    thread_allocate();
    SetEvent(g_thread_ready);
    WaitForSingleObject(g_release, INFINITE);
    return 0;
}

struct kept {
    Shape *shapes[N_CIRCLE + N_SQUARE];
    Widget *widgets[N_WIDGET];
    std::list<ListItem> *list;
    Holder<int> *holders;
    plugin::Plugin *plugins[N_PLUGIN];
    std::vector<VecItem> *vec;
};
static kept g_kept;
static HANDLE g_thread;

__attribute__((noinline)) static bool build()
{
    for (int i = 0; i < N_CIRCLE; i++)
        g_kept.shapes[i] = new Circle;
    for (int i = 0; i < N_SQUARE; i++)
        g_kept.shapes[N_CIRCLE + i] = new Square;
    for (int i = 0; i < N_WIDGET; i++)
        g_kept.widgets[i] = new Widget;
    g_kept.list = new std::list<ListItem>;
    for (int i = 0; i < N_LIST; i++)
        g_kept.list->emplace_back();
    g_kept.holders = new Holder<int>[N_HOLDER];
    for (int i = 0; i < N_PLUGIN; i++)
        g_kept.plugins[i] = plugin::make_plugin(i);
    g_thread = CreateThread(nullptr, 0, thread_main, nullptr, 0, nullptr);
    if (!g_thread)
        return false;
    WaitForSingleObject(g_thread_ready, INFINITE);
    g_kept.vec = new std::vector<VecItem>;
    for (int i = 0; i < N_VEC; i++)
        g_kept.vec->emplace_back();
    static Temp *temps[N_TEMP];
    for (int i = 0; i < N_TEMP; i++)
        temps[i] = new Temp;
    for (int i = 0; i < N_TEMP; i++)
        delete temps[i];
    return true;
}

static unsigned long long addr(const void *p)
{
    return (unsigned long long)(uintptr_t)p;
}

static void type(const char *name, const char *module, long heap, unsigned long long bytes, bool estimated,
                 bool last)
{
    printf("{\"name\":\"%s\",\"module\":\"%s\",\"heap\":%ld,\"bytes\":%llu,\"estimated\":%s}%s", name, module, heap,
           bytes, estimated ? "true" : "false", last ? "" : ",");
}

/* ---- the dump, written by a second instance of this program ---- */

static int dump_other(DWORD pid, const wchar_t *path)
{
    HANDLE proc = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ | PROCESS_DUP_HANDLE, FALSE, pid);
    HANDLE f = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                           nullptr);
    if (!proc || f == INVALID_HANDLE_VALUE)
        return 2;
    BOOL ok = MiniDumpWriteDump(proc, pid, f, MiniDumpWithFullMemory, nullptr, nullptr, nullptr);
    CloseHandle(f);
    CloseHandle(proc);
    return ok ? 0 : 1;
}

static bool start_dumper(const wchar_t *path, PROCESS_INFORMATION *pi)
{
    static wchar_t cmd[3 * MAX_PATH];
    wchar_t exe[MAX_PATH];
    DWORD n = GetModuleFileNameW(nullptr, exe, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        return false;
    _snwprintf(cmd, sizeof cmd / sizeof *cmd, L"\"%ls\" --dump-of %lu \"%ls\"", exe,
               (unsigned long)GetCurrentProcessId(), path);
    cmd[sizeof cmd / sizeof *cmd - 1] = L'\0';
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    return CreateProcessW(exe, cmd, nullptr, nullptr, FALSE, CREATE_SUSPENDED, nullptr, nullptr, &si, pi) != FALSE;
}

int main()
{
    int argc = 0;
    wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    const wchar_t *dump_path = nullptr;
    for (int i = 1; argv && i < argc; i++) {
        if (wcscmp(argv[i], L"--dump") == 0 && i + 1 < argc)
            dump_path = argv[++i];
        else if (wcscmp(argv[i], L"--dump-of") == 0 && i + 2 < argc)
            return dump_other((DWORD)wcstoul(argv[i + 1], nullptr, 10), argv[i + 2]);
        else {
            fprintf(stderr, "usage: census.exe [--dump FILE]\n");
            return 2;
        }
    }
    setvbuf(stdout, g_stdout_buffer, _IOFBF, sizeof g_stdout_buffer);
    /* Everything that allocates for the process itself happens before the objects exist. */
    g_thread_ready = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    g_release = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    PROCESS_INFORMATION dumper;
    memset(&dumper, 0, sizeof dumper);
    if (dump_path && !start_dumper(dump_path, &dumper))
        return 3;
    Circle stack_circle;
    stack_circle.id = 42;
    if (!build())
        return 1;
    walk_crt_heap();

    unsigned long long circle = 0, square = 0, widget = 0, list = 0, plugin_bytes = 0, thread = 0;
    for (int i = 0; i < N_CIRCLE; i++)
        circle += block_of(g_kept.shapes[i]);
    for (int i = 0; i < N_SQUARE; i++)
        square += block_of(g_kept.shapes[N_CIRCLE + i]);
    for (int i = 0; i < N_WIDGET; i++)
        widget += block_of(g_kept.widgets[i]);
    for (ListItem &item : *g_kept.list) /* the node: two links before the object */
        list += block_of(reinterpret_cast<char *>(&item) - 2 * sizeof(void *));
    for (int i = 0; i < N_PLUGIN; i++)
        plugin_bytes += block_of(g_kept.plugins[i]);
    for (int i = 0; i < N_THREAD; i++)
        thread += block_of(g_thread_objs[i]);
    /* new[] puts the element count before the first object */
    const entry *holders = entry_of(reinterpret_cast<char *>(g_kept.holders) - sizeof(size_t));
    const entry *vec = entry_of(g_kept.vec->data());

    printf("{\"pid\":%lu,\"crt_heap\":\"0x%llx\",\"vector_buffer\":\"0x%llx\",\"static_circle\":\"0x%llx\","
           "\"stack_circle\":\"0x%llx\",\"entries\":%llu,\"types\":[",
           (unsigned long)GetCurrentProcessId(), addr((const void *)_get_heap_handle()), addr(g_kept.vec->data()),
           addr(&g_static_circle), addr(&stack_circle), (unsigned long long)g_nentries);
    type("Circle", "census.exe", N_CIRCLE, circle, false, false);
    type("Square", "census.exe", N_SQUARE, square, false, false);
    type("Widget", "census.exe", N_WIDGET, widget, false, false);
    type("ListItem", "census.exe", N_LIST, list, false, false);
    type("VecItem", "census.exe", N_VEC, vec ? vec->size : 0, true, false);
    type("Holder<int>", "census.exe", N_HOLDER, holders ? holders->size - sizeof(size_t) : 0, true, false);
    type("Temp", "census.exe", 0, 0, false, false);
    type("ThreadObj", "census.exe", N_THREAD, thread, false, false);
    type("ThreadTemp", "census.exe", 0, 0, false, false);
    type("plugin::Plugin", "census_plugin.dll", N_PLUGIN, plugin_bytes, false, false);
    type("Unused", "census.exe", 0, 0, false, true);
    printf("],\"outside\":{\"Circle\":{\"image_data\":1}}}\n");
    fflush(stdout);

    if (dump_path) {
        DWORD code = 1;
        ResumeThread(dumper.hThread);
        if (WaitForSingleObject(dumper.hProcess, 600000) != WAIT_OBJECT_0 ||
            !GetExitCodeProcess(dumper.hProcess, &code))
            code = 1;
        printf("{\"dump\":true,\"ok\":%s}\n", code == 0 ? "true" : "false");
        fflush(stdout);
    }

    char buf[64];
    DWORD got;
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    while (ReadFile(in, buf, sizeof buf, &got, nullptr) && got > 0) {
    }
    SetEvent(g_release);
    WaitForSingleObject(g_thread, INFINITE);
    g_sink = stack_circle.id + static_cast<int>(g_kept.shapes[0]->area()) + g_kept.list->front().value();
    return 0;
}
