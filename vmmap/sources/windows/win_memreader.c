/* Target memory through ReadProcessMemory, behind the vm_memreader interface so the PE and heap
 * parsers are the same code the minidump source runs.  ReadProcessMemory fails as a whole when
 * any page of the range is not readable (ERROR_PARTIAL_COPY); the reader then goes page by page
 * and returns the readable leading bytes, as the interface promises. */
#include "win_capture.h"

#define READ_PAGE 4096u

static bool rpm(win_mem *m, uint64_t addr, void *buf, size_t len, size_t *got)
{
    SIZE_T n = 0;
    m->reads++;
    BOOL ok = ReadProcessMemory(m->process, (LPCVOID)(uintptr_t)addr, buf, len, &n);
    *got = ok ? len : (size_t)n;
    if (!ok) {
        m->failed++;
        m->last_error = GetLastError();
    }
    return ok;
}

static size_t win_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    win_mem *m = ctx;
    if (len == 0 || addr >= m->top || addr + len < addr)
        return 0;
    if (len > m->top - addr)
        len = (size_t)(m->top - addr);
    size_t got = 0;
    if (rpm(m, addr, buf, len, &got))
        return len;
    /* Partial: continue page by page from where the first attempt stopped. */
    size_t done = got;
    while (done < len) {
        uint64_t a = addr + done;
        size_t chunk = READ_PAGE - (size_t)(a % READ_PAGE);
        if (chunk > len - done)
            chunk = len - done;
        size_t n = 0;
        if (!rpm(m, a, (char *)buf + done, chunk, &n)) {
            done += n;
            break;
        }
        done += chunk;
    }
    return done;
}

vm_memreader win_memreader_make(win_mem *m, HANDLE process, uint64_t top)
{
    m->process = process;
    m->top = top;
    m->reads = m->failed = 0;
    m->last_error = 0;
    return (vm_memreader){.read = win_read, .ctx = m};
}
