/* Getting a dump's bytes: mapped (util/file_io.h: mmap, or a file mapping view on Windows; any
 * size, nothing copied), read whole when the file cannot be mapped (capped), and a packed dump (.dmp.gz, .dmp.xz, .dmp.bz2: recognised by
 * content, sources/input/unpack.h) decompressed into memory (capped in size and in expansion
 * ratio).  Kept apart from minidump_source.c, which maps dumps from memory. */
#include "minidump_source.h"

#include "../source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/file_io.h"
#include "../input/unpack.h"

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
                return vm_input_open_error(path, errno ? errno : EIO, err);
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

/* A packed dump (gzip, xz, bzip2: sources/input/unpack.h) decompressed into memory, bounded by
 * VM_MD_MAX_LOAD and VM_MD_MAX_XZ_RATIO. */
static int load_packed(const char *path, uint64_t packed_size, vm_md_file *f, vm_error *err)
{
    vm_unpack *u;
    int rc = vm_unpack_open(path, &u, err);
    if (rc != VM_EXIT_OK)
        return rc;
    uint64_t limit = packed_size * VM_MD_MAX_XZ_RATIO + (UINT64_C(64) << 20);
    if (limit > VM_MD_MAX_LOAD || packed_size > VM_MD_MAX_LOAD)
        limit = VM_MD_MAX_LOAD;
    size_t cap = 1 << 20, n = 0;
    uint8_t *out = malloc(cap);
    while (out && rc == VM_EXIT_OK) {
        if (n == cap) {
            if (cap >= limit) {
                vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: cannot decompress: it expands beyond the size limit (4 GiB, "
                             "or 10000 times the compressed size)", path);
                vm_error_hint(err, "decompress it yourself and pass the .dmp");
                rc = VM_EXIT_BAD_INPUT;
                break;
            }
            size_t ncap = (uint64_t)cap * 2 > limit ? (size_t)limit : cap * 2;
            uint8_t *nb = realloc(out, ncap);
            if (!nb)
                break;
            out = nb;
            cap = ncap;
        }
        size_t got;
        rc = vm_unpack_read(u, out + n, cap - n, &got, err);
        if (rc == VM_EXIT_OK && got == 0)
            break;
        n += got;
    }
    vm_unpack_close(u);
    if (rc == VM_EXIT_OK && !out) {
        vm_error_set(err, VM_EXIT_ERROR, "%s: out of memory decompressing the dump", path);
        rc = VM_EXIT_ERROR;
    }
    if (rc != VM_EXIT_OK) {
        free(out);
        return rc;
    }
    f->data = out;
    f->size = n;
    f->decompressed = true;
    return VM_EXIT_OK;
}

static int maybe_packed(const char *path, vm_md_file *f, vm_error *err)
{
    if (vm_packing_of(f->data, f->size) == VM_PACK_NONE)
        return VM_EXIT_OK;
    uint64_t size = f->size;
    vm_md_file_close(f);
    return load_packed(path, size, f, err);
}

int vm_md_file_load(const char *path, vm_md_file *f, vm_error *err)
{
    memset(f, 0, sizeof *f);
    int fd = vm_file_open_read(path);
    if (fd < 0)
        return vm_input_open_error(path, errno, err);
    uint64_t size = 0;
    bool is_dir = false;
    bool known = vm_file_info(fd, &size, &is_dir);
    if (known && is_dir) {
        vm_file_close(fd);
        vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: is a directory, not a minidump", path);
        return VM_EXIT_BAD_INPUT;
    }
    void *p = known && size > 0 ? vm_file_map(fd, size) : NULL;
    if (p) {
        vm_file_close(fd);
        f->data = p;
        f->size = (size_t)size;
        f->mapped = true;
        return maybe_packed(path, f, err);
    }
    FILE *fp = fdopen(fd, "rb"); /* not a regular file, or not mappable: read it */
    if (!fp) {
        int e = errno;
        vm_file_close(fd);
        return vm_input_open_error(path, e, err);
    }
    int rc = read_whole(fp, path, f, err);
    fclose(fp);
    return rc == VM_EXIT_OK ? maybe_packed(path, f, err) : rc;
}

void vm_md_file_close(vm_md_file *f)
{
    if (!f || !f->data) {
        if (f)
            memset(f, 0, sizeof *f);
        return;
    }
    if (f->mapped)
        vm_file_unmap(f->data, f->size);
    else
        free(f->data);
    memset(f, 0, sizeof *f);
}

static bool md_claims(const char *arg, const uint8_t *head, size_t nhead)
{
    (void)arg;
    return head && nhead >= 4 && memcmp(head, "MDMP", 4) == 0;
}

const vm_source vm_source_minidump = {"minidump", md_claims, vm_minidump_gather, VM_ASK_ALL};
