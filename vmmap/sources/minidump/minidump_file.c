/* Getting a dump's bytes: mmap on POSIX (any size, nothing copied), read whole elsewhere or when
 * the file cannot be mapped (capped), and .dmp.xz decompressed into memory with liblzma (Linux
 * builds only; capped in size and in expansion ratio).  Kept apart from minidump_source.c so
 * code that maps dumps from memory (tests, the fuzzer) does not need liblzma. */
#include "minidump_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef _WIN32
#include <fcntl.h>
#include <lzma.h>
#include <sys/mman.h>
#include <unistd.h>
#define VM_MD_HAVE_XZ 1
#endif

static const uint8_t XZ_MAGIC[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int open_error(const char *path, int e, vm_error *err)
{
    if (e == ENOENT || e == ENOTDIR) {
        vm_error_set(err, VM_EXIT_NOT_FOUND, "%s: no such file", path);
        return VM_EXIT_NOT_FOUND;
    }
    if (e == EACCES || e == EPERM) {
        vm_error_set(err, VM_EXIT_ACCESS, "%s: permission denied", path);
        vm_error_hint(err, "check the file's permissions (it must be readable by you)");
        return VM_EXIT_ACCESS;
    }
    vm_error_set(err, VM_EXIT_ERROR, "%s: cannot read: %s", path, strerror(e));
    return VM_EXIT_ERROR;
}

/* Reads the whole stream, up to VM_MD_MAX_LOAD bytes. */
static int read_whole(FILE *fp, const char *path, vm_md_file *f, vm_error *err)
{
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= VM_MD_MAX_LOAD) {
                free(buf);
                vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: larger than %llu bytes, the most this build reads whole",
                             path, (unsigned long long)VM_MD_MAX_LOAD);
                return VM_EXIT_BAD_INPUT;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp)) {
                free(buf);
                return open_error(path, errno ? errno : EIO, err);
            }
            f->data = buf;
            f->size = n;
            return VM_EXIT_OK;
        }
    }
    free(buf);
    vm_error_set(err, VM_EXIT_ERROR, "%s: out of memory reading the file", path);
    return VM_EXIT_ERROR;
}

#ifdef VM_MD_HAVE_XZ
static int xz_fail(const char *path, const char *what, vm_error *err)
{
    vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: cannot decompress: %s", path, what);
    vm_error_hint(err, "check the download (`xz -t FILE`), or decompress it yourself and pass the .dmp");
    return VM_EXIT_BAD_INPUT;
}

/* in[0 .. n) -> f, bounded by VM_MD_MAX_LOAD and VM_MD_MAX_XZ_RATIO. */
static int xz_decompress(const uint8_t *in, size_t n, const char *path, vm_md_file *f, vm_error *err)
{
    uint64_t limit = (uint64_t)n * VM_MD_MAX_XZ_RATIO + (UINT64_C(64) << 20);
    if (limit > VM_MD_MAX_LOAD)
        limit = VM_MD_MAX_LOAD;
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return xz_fail(path, "liblzma could not start", err);
    size_t cap = 1 << 20;
    uint8_t *out = malloc(cap);
    s.next_in = in;
    s.avail_in = n;
    lzma_ret r = LZMA_OK;
    while (out && r == LZMA_OK) {
        if (s.total_out == cap) {
            if (cap >= limit) {
                free(out);
                lzma_end(&s);
                return xz_fail(path, "it expands beyond the size limit (4 GiB, or 10000 times the compressed "
                               "size)", err);
            }
            size_t ncap = cap * 2 > limit ? (size_t)limit : cap * 2;
            uint8_t *nb = realloc(out, ncap);
            if (!nb)
                break;
            out = nb;
            cap = ncap;
        }
        s.next_out = out + s.total_out;
        s.avail_out = cap - (size_t)s.total_out;
        r = lzma_code(&s, LZMA_FINISH);
    }
    size_t total = (size_t)s.total_out;
    lzma_end(&s);
    if (!out || (r != LZMA_OK && r != LZMA_STREAM_END)) {
        free(out);
        if (!out || r == LZMA_MEM_ERROR)
            return xz_fail(path, "out of memory", err);
        return xz_fail(path, r == LZMA_BUF_ERROR ? "the compressed data is truncated" : "the compressed data is corrupt",
                       err);
    }
    f->data = out;
    f->size = total;
    f->decompressed = true;
    return VM_EXIT_OK;
}
#endif

static bool has_xz_magic(const uint8_t *p, size_t n)
{
    return n >= sizeof XZ_MAGIC && memcmp(p, XZ_MAGIC, sizeof XZ_MAGIC) == 0;
}

static int maybe_xz(const char *path, vm_md_file *f, vm_error *err)
{
    if (!has_xz_magic(f->data, f->size))
        return VM_EXIT_OK;
#ifdef VM_MD_HAVE_XZ
    vm_md_file raw = *f;
    memset(f, 0, sizeof *f);
    int rc = xz_decompress(raw.data, raw.size, path, f, err);
    vm_md_file_close(&raw);
    return rc;
#else
    vm_md_file_close(f);
    vm_error_set(err, VM_EXIT_UNSUPPORTED, "%s: .xz not supported in this build", path);
    vm_error_hint(err, "decompress it first (xz -d, 7-Zip) and pass the .dmp");
    return VM_EXIT_UNSUPPORTED;
#endif
}

int vm_md_file_load(const char *path, vm_md_file *f, vm_error *err)
{
    memset(f, 0, sizeof *f);
#ifndef _WIN32
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return open_error(path, errno, err);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: is a directory, not a minidump", path);
        return VM_EXIT_BAD_INPUT;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            f->data = p;
            f->size = (size_t)st.st_size;
            f->mapped = true;
            return maybe_xz(path, f, err);
        }
    }
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        int e = errno;
        close(fd);
        return open_error(path, e, err);
    }
#else
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return open_error(path, errno, err);
#endif
    int rc = read_whole(fp, path, f, err);
    fclose(fp);
    return rc == VM_EXIT_OK ? maybe_xz(path, f, err) : rc;
}

void vm_md_file_close(vm_md_file *f)
{
    if (!f || !f->data) {
        if (f)
            memset(f, 0, sizeof *f);
        return;
    }
#ifndef _WIN32
    if (f->mapped)
        munmap(f->data, f->size);
    else
#endif
        free(f->data);
    memset(f, 0, sizeof *f);
}

bool vm_md_file_sniff(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    uint8_t b[6] = {0};
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    if (n >= 4 && memcmp(b, "MDMP", 4) == 0)
        return true;
    return has_xz_magic(b, n) && (ends_with(path, ".dmp.xz") || ends_with(path, ".mdmp.xz"));
}

int vm_minidump_capture(const char *path, vm_snapshot **out, vm_error *err)
{
    vm_md_file f;
    *out = NULL;
    int rc = vm_md_file_load(path, &f, err);
    if (rc != VM_EXIT_OK)
        return rc;
    rc = vm_minidump_capture_buffer(f.data, f.size, path, out, err);
    vm_md_file_close(&f);
    return rc;
}
