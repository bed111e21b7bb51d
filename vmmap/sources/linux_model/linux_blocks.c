/* Mappings -> raw blocks: state, protection, backing and the counters (docs/columns.md says
 * where each column comes from; linux-internals.md §1 has the commit-charge rules). */
#include <stdlib.h>
#include <string.h>

#include "../../util/xalloc.h"
#include "linux_capture.h"

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Shared-memory objects: charged to the object, shareable by nature. */
static bool is_shmem(const vm_linux_mapping *m)
{
    const char *n = m->name;
    if (starts_with(n, "/memfd:") || starts_with(n, "/SYSV") || starts_with(n, "/dev/shm/") ||
        starts_with(n, "[anon_shmem:"))
        return true;
    /* MAP_SHARED|MAP_ANONYMOUS shows as "/dev/zero (deleted)" (shmem inode), or unnamed 's'. */
    if (m->shared && (!n || (strcmp(n, "/dev/zero") == 0 && m->deleted)))
        return true;
    return false;
}

static bool is_kernel_pseudo(const char *n)
{
    return n && (strcmp(n, "[vdso]") == 0 || strcmp(n, "[vvar]") == 0 || strcmp(n, "[vvar_vclock]") == 0 ||
                 strcmp(n, "[vsyscall]") == 0);
}

static bool is_file(const vm_linux_mapping *m)
{
    return m->name && m->name[0] == '/' && m->inode != 0;
}

static void set_counters(vm_counters *k, const vm_linux_mapping *m, bool shmem, bool file)
{
    const uint32_t need = VM_LX_HAVE_RSS | VM_LX_HAVE_PSS | VM_LX_HAVE_SHARED_CLEAN | VM_LX_HAVE_SHARED_DIRTY |
                          VM_LX_HAVE_PRIVATE_CLEAN | VM_LX_HAVE_PRIVATE_DIRTY;
    memset(k, 0, sizeof *k);
    bool accessible = m->r || m->w || m->x;
    bool charged = (m->vmflags & VM_LX_AC) != 0;

    if ((m->have & need) != need) {
        k->known = 0; /* plain maps (no smaps): only sizes are known */
        return;
    }
    uint64_t resident_or_swapped = m->rss + m->swap;
    if ((accessible && (file || shmem)) || charged)
        k->v[VM_C_COMMITTED] = m->size ? m->size : m->end - m->start;
    else
        k->v[VM_C_COMMITTED] = resident_or_swapped; /* NORESERVE or PROT_NONE: what is really there */
    if (shmem || m->shared)
        k->v[VM_C_PRIVATE] = 0;
    else if (charged)
        k->v[VM_C_PRIVATE] = k->v[VM_C_COMMITTED];
    else if (!file)
        k->v[VM_C_PRIVATE] = resident_or_swapped;
    else
        k->v[VM_C_PRIVATE] = 0;
    k->v[VM_C_TOTAL_WS] = m->rss;
    k->v[VM_C_PRIVATE_WS] = m->private_clean + m->private_dirty;
    k->v[VM_C_SHARED_WS] = m->shared_clean + m->shared_dirty;
    k->v[VM_C_SHAREABLE_WS] = (file || m->shared || shmem) ? m->rss : 0;
    k->v[VM_C_LOCKED_WS] = m->locked;
    k->v[VM_C_PSS] = m->pss;
    k->v[VM_C_SWAP] = m->swap;
    k->known = VM_COUNTERS_ALL_KNOWN;
    if (!(m->have & VM_LX_HAVE_LOCKED))
        k->known &= ~(1u << VM_C_LOCKED_WS);
    if (!(m->have & VM_LX_HAVE_SWAP)) {
        k->known &= ~(1u << VM_C_SWAP);
    }
    if (!(m->have & VM_LX_HAVE_VMFLAGS))
        k->known &= ~((1u << VM_C_COMMITTED) | (1u << VM_C_PRIVATE)); /* no 'ac' to go by */
}

static void set_backing(vm_raw_block *rb, const vm_linux_mapping *m, const lx_note *note)
{
    bool shmem = is_shmem(m), file = is_file(m);
    rb->flags |= VM_RAW_SHARING_KNOWN | (m->shared ? VM_RAW_MAP_SHARED : 0); /* maps' p/s, for pmap's view */
    if (m->shared)
        rb->flags |= VM_RAW_SHARED;
    if (m->deleted)
        rb->flags |= VM_RAW_DELETED;
    if (shmem)
        rb->flags |= VM_RAW_SHMEM | VM_RAW_SHARED;
    else if (file)
        rb->flags |= VM_RAW_FILE;
    if (is_kernel_pseudo(m->name))
        rb->flags |= VM_RAW_KERNEL;

    if (note->module >= 0)
        rb->memtype = VM_MEMTYPE_IMAGE;
    else if (m->name && (strcmp(m->name, "[vvar]") == 0 || strcmp(m->name, "[vvar_vclock]") == 0)) {
        rb->memtype = VM_MEMTYPE_MAPPED; /* kernel data shared with every process */
        rb->flags |= VM_RAW_SHARED;
    } else if (m->name && strcmp(m->name, "[vsyscall]") == 0)
        rb->memtype = VM_MEMTYPE_IMAGE;
    else if (file || shmem || m->shared)
        rb->memtype = VM_MEMTYPE_MAPPED;
    else
        rb->memtype = VM_MEMTYPE_PRIVATE;
    set_counters(&rb->counters, m, shmem, file);
}

void lx_block_counters(const vm_linux_mapping *m, vm_counters *out)
{
    set_counters(out, m, is_shmem(m), is_file(m));
}

vm_state lx_block_state(const vm_linux_mapping *m)
{
    /* Reserved: inaccessible and not charged to commit (guards, arena tails, reservations).  Only
     * smaps tells: its VmFlags 'ac'. */
    return (!m->r && !m->w && !m->x && !(m->vmflags & VM_LX_AC)) ? VM_STATE_RESERVE : VM_STATE_COMMIT;
}

static vm_raw_block *add_block(lx_capture *c, vm_facts *facts, size_t i, const vm_linux_mapping *m, uint64_t start,
                               uint64_t end, uint64_t alloc_base)
{
    vm_raw_block *rb = vm_facts_add_block(facts);
    if (!rb)
        return NULL;
    rb->address = start;
    rb->size = end - start;
    rb->alloc_base = alloc_base;
    rb->protection = (m->r ? VM_PROT_READ : 0) | (m->w ? VM_PROT_WRITE : 0) | (m->x ? VM_PROT_EXEC : 0);
    rb->state = lx_block_state(m);
    if (m->name && !(rb->path = vm_strdup(m->name)))
        return NULL;
    set_backing(rb, m, &c->notes[i]);
    return rb;
}

/* A heap-claimed mapping that holds more than its heap parts (the kernel merged it with its
 * neighbours): one block per piece (linux_split.c).  False when out of memory. */
static bool add_pieces(lx_capture *c, vm_facts *facts, size_t i, const vm_linux_mapping *m,
                       const lx_part_ranges *parts, bool *done)
{
    uint64_t *starts;
    size_t n = lx_cut(parts, m->start, m->end, &starts);
    *done = n > 1;
    if (n <= 1) {
        free(starts);
        return n == 1;
    }
    vm_counters *k = calloc(n, sizeof *k);
    bool ok = k != NULL;
    if (ok)
        lx_piece_counters(c, m, starts, n, k);
    for (size_t j = 0; ok && j < n; j++) {
        uint64_t end = j + 1 < n ? starts[j + 1] : m->end, base = starts[j];
        lx_in_part(parts, starts[j], &base); /* in a part: the part's allocation; else its own */
        vm_raw_block *rb = add_block(c, facts, i, m, starts[j], end, base);
        if (rb)
            rb->counters = k[j];
        ok = rb != NULL;
    }
    free(k);
    free(starts);
    return ok;
}

bool lx_add_blocks(lx_capture *c, vm_facts *facts, size_t i, const vm_linux_mapping *m, const lx_part_ranges *parts)
{
    bool cut = false;
    if (c->notes[i].heap && parts->n && !add_pieces(c, facts, i, m, parts, &cut))
        return false;
    return cut || add_block(c, facts, i, m, m->start, m->end, c->notes[i].alloc_base) != NULL;
}

bool lx_build_blocks(lx_capture *c, vm_facts *facts)
{
    lx_part_ranges parts;
    if (!lx_part_ranges_build(c->snap, c->page_size, &parts))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < c->maps.n; i++)
        ok = lx_add_blocks(c, facts, i, &c->maps.v[i], &parts);
    lx_part_ranges_free(&parts);
    return ok;
}
