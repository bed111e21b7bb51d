/* The owner step of heap_owner.h: every writable section read in large pieces, each aligned
 * pointer-sized word looked up among the heaps' addresses. */
#include "heap_owner.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK ((size_t)1 << 20)
/* Bytes of module data read in all: a bound for hostile sections (a 4 GiB .bss). */
#define SCAN_MAX ((uint64_t)1 << 30)

typedef struct heap_key {
    uint64_t address;
    size_t heap;
} heap_key;

static int cmp_key(const void *a, const void *b)
{
    const heap_key *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

/* TLS templates are not where a thread's variables live; everything else writable may hold a
 * global (.data, .bss, and compilers' and linkers' other writable sections). */
static bool worth_scanning(const vm_section *sec)
{
    if (!(sec->protection & VM_PROT_WRITE) || sec->size == 0)
        return false;
    return !sec->name || (strcmp(sec->name, ".tdata") != 0 && strcmp(sec->name, ".tbss") != 0);
}

static bool has_owner(const vm_heap *h, int32_t module)
{
    for (size_t i = 0; i < h->nowners; i++)
        if (h->owners[i].module == module)
            return true;
    return false;
}

static bool add_owner(vm_heap *h, int32_t module, uint64_t address)
{
    if (has_owner(h, module))
        return true;
    vm_heap_owner *o = vm_heap_add_owner(h);
    if (!o)
        return false;
    o->module = module;
    o->address = address;
    return true;
}

static uint64_t load(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int b = bytes - 1; b >= 0; b--)
        v = v << 8 | p[b];
    return v;
}

typedef struct scan {
    const vm_memreader *mem;
    vm_snapshot *snap;
    heap_key *keys;
    size_t nkeys;
    int ptr;           /* bytes per pointer */
    uint8_t *buf;
    uint64_t budget;
    size_t unreadable;
} scan;

/* A read stops at the first page it cannot read (a live target's page not in memory: an
 * untouched page of .data holds no pointer made at run time, and reading it would bring it in):
 * the scan goes on at the next page. */
static bool scan_section(scan *s, int32_t module, const vm_section *sec)
{
    uint64_t start = (sec->address + (uint64_t)s->ptr - 1) & ~(uint64_t)(s->ptr - 1);
    uint64_t end = sec->address + sec->size < sec->address ? UINT64_MAX : sec->address + sec->size;
    uint64_t page = s->snap->page_size && !(s->snap->page_size & (s->snap->page_size - 1)) ? s->snap->page_size : 4096;
    bool any = false;
    for (uint64_t at = start; at < end && s->budget;) {
        size_t want = end - at < CHUNK ? (size_t)(end - at) : CHUNK;
        if (want > s->budget)
            want = (size_t)s->budget;
        s->budget -= want;
        size_t got = s->mem->read(s->mem->ctx, at, s->buf, want);
        any |= got > 0;
        for (size_t off = 0; off + (size_t)s->ptr <= got; off += (size_t)s->ptr) {
            heap_key k = {load(s->buf + off, s->ptr), 0};
            const heap_key *hit = k.address ? bsearch(&k, s->keys, s->nkeys, sizeof *s->keys, cmp_key) : NULL;
            if (hit && !add_owner(&s->snap->heaps[hit->heap], module, at + off))
                return false;
        }
        uint64_t next = got == want ? at + want : ((at + got) / page + 1) * page; /* past the page it stopped at */
        if (next <= at)
            break; /* the top of the address space */
        at = next;
    }
    s->unreadable += !any;
    return true;
}

/* Heaps whose own structure lies in the module's writable data. */
static bool structures_inside(scan *s, int32_t module, const vm_section *sec)
{
    for (size_t i = 0; i < s->nkeys; i++) {
        uint64_t a = s->keys[i].address;
        if (a >= sec->address && a - sec->address < sec->size &&
            !add_owner(&s->snap->heaps[s->keys[i].heap], module, a))
            return false;
    }
    return true;
}

/* glibc's other arenas hang off main_arena's next ring, which starts in libc: the module that
 * holds main_arena owns them all, at main_arena's address (only the newest arena's address is
 * in libc's own data; the others are in the ring's nodes, in the arenas themselves).  libc is
 * listed first for every arena, main_arena's included; other referencing modules follow. */
static bool glibc_arenas_owned_by_libc(vm_snapshot *snap)
{
    const vm_heap *main_arena = NULL;
    for (size_t i = 0; i < snap->nheaps && !main_arena; i++)
        if (snap->heaps[i].kind && strcmp(snap->heaps[i].kind, "glibc main arena") == 0 &&
            snap->heaps[i].owners_known)
            main_arena = &snap->heaps[i];
    for (size_t k = 0; main_arena && k < main_arena->nowners; k++) {
        if (main_arena->owners[k].address != main_arena->address)
            continue; /* a pointer to main_arena, not the module it lies in */
        vm_heap_owner libc = main_arena->owners[k];
        for (size_t i = 0; i < snap->nheaps; i++) {
            vm_heap *h = &snap->heaps[i];
            if (!h->owners_known || !h->kind || strncmp(h->kind, "glibc ", 6) != 0 ||
                strcmp(h->kind, "glibc mmap chunks") == 0)
                continue;
            /* libc first: where a reference of its own was found, else main_arena's address */
            size_t at = 0;
            while (at < h->nowners && h->owners[at].module != libc.module)
                at++;
            vm_heap_owner first = libc;
            if (at < h->nowners) {
                first = h->owners[at];
            } else {
                if (!vm_heap_add_owner(h))
                    return false;
                at = h->nowners - 1; /* the new slot, at the end, is overwritten by the shift */
            }
            memmove(h->owners + 1, h->owners, at * sizeof *h->owners);
            h->owners[0] = first;
        }
        break;
    }
    return true;
}

bool vm_heap_find_owners(const vm_memreader *mem, vm_snapshot *snap, int bits)
{
    scan s = {mem, snap, NULL, 0, bits == 32 ? 4 : 8, NULL, SCAN_MAX, 0};
    s.keys = malloc((snap->nheaps ? snap->nheaps : 1) * sizeof *s.keys);
    s.buf = malloc(CHUNK);
    bool ok = s.keys && s.buf;
    for (size_t i = 0; ok && i < snap->nheaps; i++) {
        vm_heap *h = &snap->heaps[i];
        if (h->address_unknown || h->address == 0)
            continue; /* glibc's mmapped chunks have no handle; an unknown one cannot be found */
        h->owners_known = true;
        s.keys[s.nkeys++] = (heap_key){h->address, i};
    }
    if (ok && s.nkeys > 1)
        qsort(s.keys, s.nkeys, sizeof *s.keys, cmp_key);
    size_t sections = 0;
    for (size_t m = 0; ok && s.nkeys && m < snap->nmodules; m++)
        for (size_t j = 0; ok && j < snap->modules[m].nsections; j++) {
            const vm_section *sec = &snap->modules[m].sections[j];
            if (!worth_scanning(sec))
                continue;
            sections++;
            ok = structures_inside(&s, (int32_t)m, sec) && scan_section(&s, (int32_t)m, sec);
        }
    if (ok && s.nkeys && sections == 0)
        vm_snapshot_warn(snap, "owner-unknown", "heap owners not looked for: no module has writable sections "
                         "in this snapshot (captured with --no-sections?)");
    if (ok && s.unreadable)
        vm_snapshot_warn(snap, "read-failed", "heap owners: %zu writable sections of modules could not be read",
                         s.unreadable);
    if (ok && !s.budget)
        vm_snapshot_warn(snap, "owner-partial", "heap owners: modules' writable data beyond %" PRIu64
                         " MiB not searched", SCAN_MAX >> 20);
    if (ok && sections == 0)
        for (size_t i = 0; i < snap->nheaps; i++)
            snap->heaps[i].owners_known = false;
    ok = ok && glibc_arenas_owned_by_libc(snap);
    free(s.keys);
    free(s.buf);
    return ok;
}
