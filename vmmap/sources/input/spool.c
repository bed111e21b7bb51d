#include "spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
#include <io.h>
#endif

static int temp_fd(char *where, size_t len, vm_error *err)
{
#ifdef _WIN32
    FILE *f = tmpfile();
    snprintf(where, len, "a temporary file");
    if (!f) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot create a temporary file: %s", strerror(errno));
        return -1;
    }
    return _dup(_fileno(f)); /* the FILE leaks its small buffer until exit: tmpfile deletes on close */
#else
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(where, len, "%s/vmmap-unpacked-XXXXXX", dir);
    int fd = mkstemp(where);
    if (fd < 0) {
        vm_error_set(err, VM_EXIT_ERROR, "cannot create a temporary file in %s: %s", dir, strerror(errno));
        vm_error_hint(err, "set TMPDIR to a directory with room for the decompressed file, or decompress it yourself");
        return -1;
    }
    unlink(where); /* gone when closed, whatever happens */
    return fd;
#endif
}

static bool write_all(int fd, const uint8_t *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

/* Decompresses path into a temporary; s->file gets it. */
static int unpack_to_temp(const char *path, vm_spool *s, vm_error *err)
{
    vm_unpack *u;
    int rc = vm_unpack_open(path, &u, err);
    if (rc != VM_EXIT_OK)
        return rc;
    char where[4200];
    int fd = temp_fd(where, sizeof where, err);
    uint8_t *buf = fd >= 0 ? malloc(VM_SPOOL_BLOCK * 4) : NULL;
    if (fd >= 0 && !buf) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        rc = VM_EXIT_ERROR;
    } else if (fd < 0) {
        rc = VM_EXIT_ERROR;
    }
    uint64_t total = 0, limit = s->packed_size * VM_SPOOL_MAX_RATIO + (UINT64_C(64) << 20);
    while (rc == VM_EXIT_OK) {
        size_t got;
        rc = vm_unpack_read(u, buf, VM_SPOOL_BLOCK * 4, &got, err);
        if (rc != VM_EXIT_OK || got == 0)
            break;
        total += got;
        if (total > limit) {
            vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: expands more than %u times its size: refused", path,
                         VM_SPOOL_MAX_RATIO);
            vm_error_hint(err, "decompress it yourself if it is genuine, and pass the result");
            rc = VM_EXIT_BAD_INPUT;
        } else if (!write_all(fd, buf, got)) {
            vm_error_set(err, VM_EXIT_ERROR, "cannot write the decompressed %s to %s: %s", path, where,
                         strerror(errno ? errno : ENOSPC));
            vm_error_hint(err, "set TMPDIR to a directory with room for it, or decompress it yourself");
            rc = VM_EXIT_ERROR;
        }
    }
    free(buf);
    vm_unpack_close(u);
    if (rc != VM_EXIT_OK) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    s->file.fd = fd;
    s->file.size = total;
    return VM_EXIT_OK;
}

int vm_spool_open(const char *path, vm_spool *s, vm_error *err)
{
    memset(s, 0, sizeof *s);
    s->file.fd = -1;
    uint8_t head[8];
    size_t n;
    vm_packing packing;
    int rc = vm_unpack_head(path, head, sizeof head, &n, &packing, err);
    if (rc != VM_EXIT_OK)
        return rc;
    s->packing = packing;
    struct stat st;
    s->packed_size = stat(path, &st) == 0 && st.st_size > 0 ? (uint64_t)st.st_size : 0;
    if (packing != VM_PACK_NONE) {
        rc = unpack_to_temp(path, s, err);
    } else {
        char why[256];
        if (!vm_file_reader_open(&s->file, path, why, sizeof why)) {
            vm_error_set(err, VM_EXIT_ERROR, "%s", why);
            rc = VM_EXIT_ERROR;
        }
    }
    if (rc == VM_EXIT_OK && !(s->cache = malloc((size_t)VM_SPOOL_CACHE_BLOCKS * VM_SPOOL_BLOCK))) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        rc = VM_EXIT_ERROR;
    }
    if (rc != VM_EXIT_OK)
        vm_spool_close(s);
    return rc;
}

static size_t spool_read(void *ctx, uint64_t addr, void *out, size_t len)
{
    vm_spool *s = ctx;
    vm_memreader raw = vm_file_reader_make(&s->file);
    if (len >= VM_SPOOL_BLOCK) { /* large reads go straight to the file */
        s->reads++;
        return raw.read(raw.ctx, addr, out, len);
    }
    size_t done = 0;
    while (done < len) {
        uint64_t a = addr + done;
        if (a < addr || a >= s->file.size)
            break;
        uint64_t block = a / VM_SPOOL_BLOCK;
        size_t slot = (size_t)(block % VM_SPOOL_CACHE_BLOCKS);
        if (!s->valid[slot] || s->tag[slot] != block) {
            s->reads++;
            size_t got = raw.read(raw.ctx, block * VM_SPOOL_BLOCK, s->cache + slot * VM_SPOOL_BLOCK, VM_SPOOL_BLOCK);
            s->valid[slot] = true;
            s->tag[slot] = block;
            s->len[slot] = (uint32_t)got;
        }
        size_t in_block = (size_t)(a - block * VM_SPOOL_BLOCK);
        if (in_block >= s->len[slot])
            break;
        size_t n = s->len[slot] - in_block < len - done ? s->len[slot] - in_block : len - done;
        memcpy((uint8_t *)out + done, s->cache + slot * VM_SPOOL_BLOCK + in_block, n);
        done += n;
    }
    return done;
}

vm_memreader vm_spool_reader(vm_spool *s)
{
    vm_memreader r = {.read = spool_read, .ctx = s};
    return r;
}

void vm_spool_close(vm_spool *s)
{
    vm_file_reader_close(&s->file);
    free(s->cache);
    s->cache = NULL;
}
