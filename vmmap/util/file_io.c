#include "file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

/* One read or write moves at most this much: Windows counts bytes in a DWORD. */
#define MAX_IO ((size_t)1 << 30)

const char *vm_path_list_next(const char **rest, size_t *len)
{
    const char *d = *rest;
    if (!d || !*d) {
        *rest = NULL;
        return NULL;
    }
    const char *sep = strchr(d, VM_PATH_LIST_SEPARATOR);
    *len = sep ? (size_t)(sep - d) : strlen(d);
    *rest = sep ? sep + 1 : NULL;
    return d;
}

/* 64-bit sizes on both: Windows' plain stat has a 32-bit st_size. */
#ifdef _WIN32
typedef struct _stati64 stat_buf;
#define stat_fd _fstati64
#define stat_path _stati64
#define mode_is_dir(m) (((m) & _S_IFMT) == _S_IFDIR)
#else
typedef struct stat stat_buf;
#define stat_fd fstat
#define stat_path stat
#define mode_is_dir(m) S_ISDIR(m)
#endif

static bool info_of(const stat_buf *st, uint64_t *size, bool *is_dir)
{
    *size = st->st_size > 0 ? (uint64_t)st->st_size : 0;
    *is_dir = mode_is_dir(st->st_mode);
    return true;
}

bool vm_file_info(int fd, uint64_t *size, bool *is_dir)
{
    stat_buf st;
    return stat_fd(fd, &st) == 0 && info_of(&st, size, is_dir);
}

bool vm_path_info(const char *path, uint64_t *size, bool *is_dir)
{
    stat_buf st;
    return stat_path(path, &st) == 0 && info_of(&st, size, is_dir);
}

#ifdef _WIN32

int vm_file_open_read(const char *path)
{
    return _open(path, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
}

void vm_file_close(int fd)
{
    if (fd >= 0)
        _close(fd);
}

static HANDLE handle_of(int fd)
{
    intptr_t h = _get_osfhandle(fd);
    return h == -1 ? INVALID_HANDLE_VALUE : (HANDLE)h;
}

int64_t vm_file_pread(int fd, void *buf, size_t len, uint64_t off)
{
    HANDLE h = handle_of(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)off;
    ov.OffsetHigh = (DWORD)(off >> 32);
    DWORD got = 0;
    if (!ReadFile(h, buf, (DWORD)(len < MAX_IO ? len : MAX_IO), &got, &ov)) {
        if (GetLastError() == ERROR_HANDLE_EOF)
            return 0;
        errno = EIO;
        return -1;
    }
    return (int64_t)got;
}

bool vm_file_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        int w = _write(fd, p, (unsigned)(len < MAX_IO ? len : MAX_IO));
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return false;
        }
        p += w;
        len -= (size_t)w;
    }
    return true;
}

int vm_file_temp(char *where, size_t wherelen)
{
    wchar_t dir[MAX_PATH + 1], name[MAX_PATH + 1];
    DWORD n = GetTempPathW(MAX_PATH + 1, dir);
    if (wherelen)
        where[0] = '\0';
    if (n == 0 || n > MAX_PATH) {
        errno = ENOENT;
        return -1;
    }
    if (wherelen && !WideCharToMultiByte(CP_UTF8, 0, dir, -1, where, (int)wherelen, NULL, NULL))
        snprintf(where, wherelen, "the temporary folder");
    if (!GetTempFileNameW(dir, L"vmm", 0, name)) { /* creates it, empty, with a unique name */
        errno = GetLastError() == ERROR_ACCESS_DENIED ? EACCES : EIO;
        return -1;
    }
    HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_DELETE, NULL, TRUNCATE_EXISTING,
                           FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        errno = GetLastError() == ERROR_ACCESS_DENIED ? EACCES : EIO;
        DeleteFileW(name);
        return -1;
    }
    int fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY);
    if (fd < 0) {
        CloseHandle(h); /* deletes it */
        errno = EMFILE;
    }
    return fd;
}

void *vm_file_map(int fd, uint64_t size)
{
    HANDLE h = handle_of(fd);
    if (h == INVALID_HANDLE_VALUE || size == 0 || size > SIZE_MAX) {
        errno = EINVAL;
        return NULL;
    }
    HANDLE fm = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL);
    if (!fm) {
        errno = ENODEV;
        return NULL;
    }
    void *p = MapViewOfFile(fm, FILE_MAP_READ, 0, 0, (SIZE_T)size);
    CloseHandle(fm); /* the view keeps the mapping alive */
    if (!p)
        errno = ENOMEM;
    return p;
}

void vm_file_unmap(void *data, size_t size)
{
    (void)size;
    if (data)
        UnmapViewOfFile(data);
}

#else

int vm_file_open_read(const char *path)
{
    return open(path, O_RDONLY | O_CLOEXEC);
}

void vm_file_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

int64_t vm_file_pread(int fd, void *buf, size_t len, uint64_t off)
{
    if (off > (uint64_t)INT64_MAX) {
        errno = EINVAL;
        return -1;
    }
    for (;;) {
        ssize_t n = pread(fd, buf, len < MAX_IO ? len : MAX_IO, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        return (int64_t)n;
    }
}

bool vm_file_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len < MAX_IO ? len : MAX_IO);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return false;
        }
        p += w;
        len -= (size_t)w;
    }
    return true;
}

int vm_file_temp(char *where, size_t wherelen)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char name[4200];
    if (wherelen)
        snprintf(where, wherelen, "%s", dir);
    if ((size_t)snprintf(name, sizeof name, "%s/vmmap-unpacked-XXXXXX", dir) >= sizeof name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkstemp(name);
    if (fd >= 0)
        unlink(name); /* gone when closed, whatever happens */
    return fd;
}

void *vm_file_map(int fd, uint64_t size)
{
    if (size == 0 || size > SIZE_MAX) {
        errno = EINVAL;
        return NULL;
    }
    void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

void vm_file_unmap(void *data, size_t size)
{
    if (data)
        munmap(data, size);
}

#endif
