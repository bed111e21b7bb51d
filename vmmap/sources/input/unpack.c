#include "unpack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>

#define IN_CHUNK (64 * 1024)

static const uint8_t XZ_MAGIC[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

vm_packing vm_packing_of(const uint8_t *b, size_t n)
{
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return VM_PACK_GZIP;
    if (n >= sizeof XZ_MAGIC && memcmp(b, XZ_MAGIC, sizeof XZ_MAGIC) == 0)
        return VM_PACK_XZ;
    if (n >= 4 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9')
        return VM_PACK_BZIP2;
    return VM_PACK_NONE;
}

const char *vm_packing_name(vm_packing p)
{
    switch (p) {
    case VM_PACK_GZIP: return "gzip";
    case VM_PACK_XZ: return "xz";
    case VM_PACK_BZIP2: return "bzip2";
    default: return "uncompressed";
    }
}

struct vm_unpack {
    FILE *fp;
    const char *path;
    vm_packing packing;
    bool started, finished;
    uint64_t bytes_in;
    uint8_t in[IN_CHUNK];
    size_t in_len, in_pos; /* bytes of in[] not yet given to the decoder */
    z_stream gz;
    lzma_stream xz;
    bz_stream bz;
};

int vm_input_open_error(const char *path, int e, vm_error *err)
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
    if (e == EISDIR) {
        vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: is a directory", path);
        return VM_EXIT_BAD_INPUT;
    }
    vm_error_set(err, VM_EXIT_ERROR, "%s: cannot read: %s", path, strerror(e));
    return VM_EXIT_ERROR;
}

static int corrupt(vm_unpack *u, const char *what, vm_error *err)
{
    vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: cannot decompress (%s): %s", u->path, vm_packing_name(u->packing), what);
    vm_error_hint(err, "check the file (`%s -t FILE`), or decompress it yourself and pass the result",
                  u->packing == VM_PACK_GZIP ? "gzip" : u->packing == VM_PACK_XZ ? "xz" : "bzip2");
    return VM_EXIT_BAD_INPUT;
}

/* More compressed input when the buffer is used up; false at the end of the file. */
static bool refill(vm_unpack *u, int *io_errno)
{
    if (u->in_pos < u->in_len)
        return true;
    u->in_len = fread(u->in, 1, sizeof u->in, u->fp);
    u->in_pos = 0;
    u->bytes_in += u->in_len;
    if (u->in_len == 0 && ferror(u->fp))
        *io_errno = errno ? errno : EIO;
    return u->in_len > 0;
}

static int start_decoder(vm_unpack *u, vm_error *err)
{
    u->started = true;
    switch (u->packing) {
    case VM_PACK_GZIP:
        memset(&u->gz, 0, sizeof u->gz);
        if (inflateInit2(&u->gz, 15 + 32) != Z_OK) /* 32: gzip or zlib header, detected */
            return corrupt(u, "zlib could not start", err);
        return VM_EXIT_OK;
    case VM_PACK_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        u->xz = init;
        if (lzma_stream_decoder(&u->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            return corrupt(u, "liblzma could not start", err);
        return VM_EXIT_OK;
    }
    case VM_PACK_BZIP2:
        memset(&u->bz, 0, sizeof u->bz);
        if (BZ2_bzDecompressInit(&u->bz, 0, 0) != BZ_OK)
            return corrupt(u, "libbz2 could not start", err);
        return VM_EXIT_OK;
    default: return VM_EXIT_OK;
    }
}

int vm_unpack_open(const char *path, vm_unpack **out, vm_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return vm_input_open_error(path, errno, err);
    if (S_ISDIR(st.st_mode))
        return vm_input_open_error(path, EISDIR, err);
    vm_unpack *u = calloc(1, sizeof *u);
    if (!u) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    u->path = path;
    u->fp = fopen(path, "rb");
    if (!u->fp) {
        int rc = vm_input_open_error(path, errno, err);
        free(u);
        return rc;
    }
    int io = 0;
    refill(u, &io);
    if (io) {
        vm_unpack_close(u);
        return vm_input_open_error(path, io, err);
    }
    u->packing = vm_packing_of(u->in, u->in_len);
    int rc = start_decoder(u, err);
    if (rc != VM_EXIT_OK) {
        vm_unpack_close(u);
        return rc;
    }
    *out = u;
    return VM_EXIT_OK;
}

/* One decoder step: from in[in_pos..] into buf; consumed input and produced output returned. */
static int step(vm_unpack *u, uint8_t *buf, size_t len, size_t *produced, bool at_eof, vm_error *err)
{
    size_t avail = u->in_len - u->in_pos;
    *produced = 0;
    switch (u->packing) {
    case VM_PACK_GZIP: {
        u->gz.next_in = u->in + u->in_pos;
        u->gz.avail_in = (uInt)avail;
        u->gz.next_out = buf;
        u->gz.avail_out = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
        int r = inflate(&u->gz, Z_NO_FLUSH);
        u->in_pos += avail - u->gz.avail_in;
        *produced = (size_t)(u->gz.next_out - buf);
        if (r == Z_STREAM_END) {
            /* Concatenated members (gzip -c a b > c): go on when more input follows. */
            if (u->in_pos < u->in_len || refill(u, &(int){0})) {
                if (inflateReset(&u->gz) != Z_OK)
                    return corrupt(u, "zlib could not restart", err);
            } else {
                u->finished = true;
            }
            return VM_EXIT_OK;
        }
        if (r == Z_BUF_ERROR && at_eof && *produced == 0)
            return corrupt(u, "the compressed data is truncated", err);
        if (r != Z_OK && r != Z_BUF_ERROR)
            return corrupt(u, r == Z_MEM_ERROR ? "out of memory" : "the compressed data is corrupt", err);
        return VM_EXIT_OK;
    }
    case VM_PACK_XZ: {
        u->xz.next_in = u->in + u->in_pos;
        u->xz.avail_in = avail;
        u->xz.next_out = buf;
        u->xz.avail_out = len;
        lzma_ret r = lzma_code(&u->xz, at_eof ? LZMA_FINISH : LZMA_RUN);
        u->in_pos += avail - u->xz.avail_in;
        *produced = len - u->xz.avail_out;
        if (r == LZMA_STREAM_END) {
            u->finished = true;
            return VM_EXIT_OK;
        }
        if (r == LZMA_BUF_ERROR && at_eof)
            return corrupt(u, "the compressed data is truncated", err);
        if (r != LZMA_OK && r != LZMA_BUF_ERROR)
            return corrupt(u, r == LZMA_MEM_ERROR ? "out of memory" : "the compressed data is corrupt", err);
        return VM_EXIT_OK;
    }
    case VM_PACK_BZIP2: {
        u->bz.next_in = (char *)(u->in + u->in_pos);
        u->bz.avail_in = (unsigned)avail;
        u->bz.next_out = (char *)buf;
        u->bz.avail_out = (unsigned)(len > UINT32_MAX ? UINT32_MAX : len);
        int r = BZ2_bzDecompress(&u->bz);
        u->in_pos += avail - u->bz.avail_in;
        *produced = (size_t)((uint8_t *)u->bz.next_out - buf);
        if (r == BZ_STREAM_END) {
            /* Concatenated streams (pbzip2, lbzip2 write them): go on when more input follows. */
            if (u->in_pos < u->in_len || refill(u, &(int){0})) {
                BZ2_bzDecompressEnd(&u->bz);
                memset(&u->bz, 0, sizeof u->bz);
                if (BZ2_bzDecompressInit(&u->bz, 0, 0) != BZ_OK)
                    return corrupt(u, "libbz2 could not restart", err);
            } else {
                u->finished = true;
            }
            return VM_EXIT_OK;
        }
        if (r == BZ_OK && at_eof && *produced == 0)
            return corrupt(u, "the compressed data is truncated", err);
        if (r != BZ_OK)
            return corrupt(u, r == BZ_MEM_ERROR ? "out of memory" : "the compressed data is corrupt", err);
        return VM_EXIT_OK;
    }
    default: return corrupt(u, "unknown packing", err);
    }
}

int vm_unpack_read(vm_unpack *u, void *buf, size_t len, size_t *got, vm_error *err)
{
    *got = 0;
    if (len == 0 || u->finished)
        return VM_EXIT_OK;
    int io = 0;
    if (u->packing == VM_PACK_NONE) {
        while (*got < len) {
            if (!refill(u, &io))
                break;
            size_t n = u->in_len - u->in_pos < len - *got ? u->in_len - u->in_pos : len - *got;
            memcpy((uint8_t *)buf + *got, u->in + u->in_pos, n);
            u->in_pos += n;
            *got += n;
        }
        return io ? vm_input_open_error(u->path, io, err) : VM_EXIT_OK;
    }
    /* Until some output (or the end): a decoder may take a lot of input before it gives any. */
    while (*got == 0 && !u->finished) {
        bool eof = !refill(u, &io);
        if (io)
            return vm_input_open_error(u->path, io, err);
        size_t produced;
        int rc = step(u, (uint8_t *)buf, len, &produced, eof, err);
        if (rc != VM_EXIT_OK)
            return rc;
        *got = produced;
        if (eof && produced == 0 && !u->finished)
            return corrupt(u, "the compressed data is truncated", err);
    }
    return VM_EXIT_OK;
}

vm_packing vm_unpack_packing(const vm_unpack *u)
{
    return u->packing;
}

uint64_t vm_unpack_bytes_in(const vm_unpack *u)
{
    return u->bytes_in;
}

void vm_unpack_close(vm_unpack *u)
{
    if (!u)
        return;
    if (u->started) {
        switch (u->packing) {
        case VM_PACK_GZIP: inflateEnd(&u->gz); break;
        case VM_PACK_XZ: lzma_end(&u->xz); break;
        case VM_PACK_BZIP2: BZ2_bzDecompressEnd(&u->bz); break;
        default: break;
        }
    }
    if (u->fp)
        fclose(u->fp);
    free(u);
}

int vm_unpack_head(const char *path, uint8_t *buf, size_t cap, size_t *n, vm_packing *packing, vm_error *err)
{
    vm_unpack *u;
    *n = 0;
    *packing = VM_PACK_NONE;
    int rc = vm_unpack_open(path, &u, err);
    if (rc != VM_EXIT_OK)
        return rc;
    *packing = u->packing;
    while (rc == VM_EXIT_OK && *n < cap) {
        size_t got;
        rc = vm_unpack_read(u, buf + *n, cap - *n, &got, err);
        if (got == 0)
            break;
        *n += got;
    }
    vm_unpack_close(u);
    return rc;
}
