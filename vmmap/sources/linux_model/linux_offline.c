/* The offline Linux steps (linux_offline.h) and the module files found by build-id. */
#include "linux_offline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../parse/elf_buildid.h"
#include "../../util/file_io.h"
#include "../../util/xalloc.h"

uint64_t vm_linux_offline_user_top(uint64_t highest)
{
    const uint64_t four_level = UINT64_C(0x7ffffffff000), five_level = UINT64_C(0xfffffffffff000);
    return highest <= four_level ? four_level : highest <= five_level ? five_level : highest;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

/* The expected build-id: from the file's module list, else from the image's first page. */
static size_t expected_id(const lx_capture *c, uint64_t base, uint8_t *id)
{
    for (size_t i = 0; i < c->nids; i++)
        if (c->ids[i].base == base && c->ids[i].len) {
            memcpy(id, c->ids[i].id, c->ids[i].len);
            return c->ids[i].len;
        }
    return vm_elf_build_id(&c->mem, base, true, id, VM_BUILD_ID_MAX);
}

static bool try_candidate(const char *path, const uint8_t *want, size_t wlen, vm_file_reader *fr, bool *seen)
{
    char e[128];
    if (!vm_file_reader_open(fr, path, e, sizeof e))
        return false;
    *seen = true;
    vm_memreader r = vm_file_reader_make(fr);
    uint8_t got[VM_BUILD_ID_MAX];
    size_t glen = vm_elf_build_id(&r, 0, false, got, sizeof got);
    if (glen == wlen && memcmp(got, want, wlen) == 0)
        return true;
    vm_file_reader_close(fr);
    return false;
}

bool lx_open_image_by_build_id(lx_capture *c, uint64_t base, const char *path, vm_file_reader *fr, char *err,
                               size_t errlen)
{
    uint8_t want[VM_BUILD_ID_MAX];
    size_t wlen = expected_id(c, base, want);
    if (!wlen) {
        snprintf(err, errlen, "its build-id is not in the file (the image's first page was not captured), so no "
                              "file on disk can be trusted to match");
        return false;
    }
    bool seen = false;
    if (try_candidate(path, want, wlen, fr, &seen))
        return true;
    size_t n;
    for (const char *rest = c->image_path, *dir; (dir = vm_path_list_next(&rest, &n)) != NULL;) {
        char cand[4096];
        if (n && n < 2048) {
            snprintf(cand, sizeof cand, "%.*s/%s", (int)n, dir, base_name(path));
            if (try_candidate(cand, want, wlen, fr, &seen))
                return true;
        }
    }
    char hex[2 * VM_BUILD_ID_MAX + 1];
    vm_build_id_hex(want, wlen, hex, sizeof hex);
    snprintf(err, errlen, "no file with its build-id %s %s%s%s", hex, seen ? "(the files found differ)" : "found",
             c->image_path ? "; looked in --image-path " : "; add --image-path DIR where the module files are",
             c->image_path ? c->image_path : "");
    return false;
}

int vm_linux_offline_facts(const vm_linux_offline *in, const vm_capture_options *opt, vm_facts *out,
                           vm_error *err)
{
    lx_capture c;
    memset(&c, 0, sizeof c);
    c.pid = in->pid > 0 && in->pid <= 0x7fffffff ? (int)in->pid : 0;
    c.offline = true;
    c.image_path = opt->image_path;
    c.ids = in->ids;
    c.nids = in->nids;
    c.page_size = in->page_size ? in->page_size : 4096;
    c.maps = in->maps;
    c.snap = out->snap;
    c.mem = in->mem;
    c.opt = opt;
    c.vmflags_guessed = true; /* the file has no VmFlags; nobody redoes the steps with them */
    c.notes = calloc(c.maps.n ? c.maps.n : 1, sizeof *c.notes);
    if (!c.notes) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory for %zu mappings", c.maps.n);
        return VM_EXIT_ERROR;
    }
    for (size_t i = 0; i < c.maps.n; i++) {
        c.notes[i].alloc_base = c.maps.v[i].start;
        c.notes[i].module = -1;
    }
    vm_snapshot *s = out->snap;
    s->page_size = c.page_size;
    s->alloc_granularity = c.page_size;
    uint64_t highest = 0;
    for (size_t i = 0; i < c.maps.n; i++)
        if (c.maps.v[i].end < UINT64_C(0x0100000000000000) && c.maps.v[i].end > highest)
            highest = c.maps.v[i].end;
    s->user_top = vm_linux_offline_user_top(highest);

    lx_find_images(&c);
    if (c.unsplit)
        vm_snapshot_warn(s, "module-unreadable", "%zu image%s not split into sections (no module file with the "
                         "image's build-id here; --image-path DIR names where they are); the first: %s", c.unsplit,
                         c.unsplit == 1 ? "" : "s", c.first_unsplit);
    lx_find_heaps(&c);
    lx_find_stacks(&c, in->tasks, in->ntasks);
    bool ok = lx_build_blocks(&c, out);
    free(c.notes);
    if (!ok) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory building %zu blocks", c.maps.n);
        return VM_EXIT_ERROR;
    }
    return VM_EXIT_OK;
}
