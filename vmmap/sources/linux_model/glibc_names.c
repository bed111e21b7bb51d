#include "glibc_names.h"

#include <string.h>

static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

/* s is "2.NN.so" (NN one or more digits, optionally ".N..." more), nothing after. */
static bool glibc_version_so(const char *s)
{
    if (strncmp(s, "2.", 2) != 0)
        return false;
    s += 2;
    for (;;) {
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
        if (strcmp(s, ".so") == 0)
            return true;
        if (*s != '.')
            return false;
        s++;
    }
}

bool lx_is_glibc_libc(const char *path)
{
    const char *b = base_name(path);
    return b && (strcmp(b, "libc.so.6") == 0 || (strncmp(b, "libc-", 5) == 0 && glibc_version_so(b + 5)));
}

bool lx_is_glibc_loader(const char *path)
{
    const char *b = base_name(path);
    if (!b)
        return false;
    if (strncmp(b, "ld-", 3) == 0 && glibc_version_so(b + 3))
        return true;
    /* ld-linux.so.2, ld-linux-x86-64.so.2, ld-linux-aarch64.so.1, ld-linux-armhf.so.3 */
    if (strncmp(b, "ld-linux", 8) != 0)
        return false;
    const char *so = strstr(b + 8, ".so.");
    if (!so || (b[8] != '.' && b[8] != '-') || !so[4])
        return false;
    for (const char *d = so + 4; *d; d++)
        if (*d < '0' || *d > '9')
            return false;
    return true;
}
