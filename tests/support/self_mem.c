#include "self_mem.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool self_maps_read(self_maps *m)
{
    FILE *f = fopen("/proc/self/maps", "r");
    m->ranges = NULL;
    m->n = 0;
    if (!f)
        return false;
    char line[4096];
    size_t cap = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        unsigned long long s, e;
        char perms[8];
        int off = 0;
        if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e, perms, &off) < 3)
            continue;
        char *path = line + off;
        path[strcspn(path, "\n")] = '\0';
        if (m->n == cap) {
            cap = cap ? cap * 2 : 256;
            vm_glibc_range *grown = realloc(m->ranges, cap * sizeof *m->ranges);
            if (!grown) {
                ok = false;
                break;
            }
            m->ranges = grown;
        }
        vm_glibc_range *r = &m->ranges[m->n++];
        memset(r, 0, sizeof *r);
        r->start = s;
        r->end = e;
        r->r = perms[0] == 'r';
        r->w = perms[1] == 'w';
        r->x = perms[2] == 'x';
        r->anon_private = perms[3] == 'p' && (path[0] == '\0' || strncmp(path, "[anon:", 6) == 0);
        r->is_brk_heap = strcmp(path, "[heap]") == 0;
        r->in_libc_data = r->w && strstr(path, "libc.so") != NULL;
        if (strncmp(path, "[vvar", 5) == 0) /* some vvar pages fault when read */
            r->r = false;
    }
    fclose(f);
    if (!ok)
        self_maps_free(m);
    return ok;
}

void self_maps_free(self_maps *m)
{
    free(m->ranges);
    m->ranges = NULL;
    m->n = 0;
}

/* One byte at a time through a volatile pointer: no sanitizer interceptor, no fault on a hostile
 * address (only readable mappings are touched). */
__attribute__((no_sanitize_address)) static size_t self_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const self_maps *m = ctx;
    for (size_t i = 0; i < m->n; i++) {
        const vm_glibc_range *r = &m->ranges[i];
        if (r->r && addr >= r->start && addr < r->end) {
            size_t n = r->end - addr < len ? (size_t)(r->end - addr) : len;
            const volatile uint8_t *src = (const volatile uint8_t *)(uintptr_t)addr;
            uint8_t *dst = buf;
            for (size_t k = 0; k < n; k++)
                dst[k] = src[k];
            return n;
        }
    }
    return 0;
}

vm_memreader self_reader(self_maps *m)
{
    vm_memreader r = {.read = self_read, .ctx = m};
    return r;
}

/* ASan interposes the symbol; valgrind redirects libc's own malloc and announces itself through
 * LD_PRELOAD. */
bool self_glibc_malloc_in_use(void)
{
    Dl_info info;
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        return false;
    return m && dladdr(m, &info) && info.dli_fname && strstr(info.dli_fname, "libc.so");
}
