/* Segment heap walker (see segheap.h).  Offsets: windows-internals.md §3, written down as
 * tables per layout and read little-endian through the memreader. */
#include "segheap.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/xalloc.h"
#include "../util/compiler.h"

#define PAGE UINT64_C(0x1000)
#define LARGE_ALIGN_MASK UINT64_C(0xFFFF)  /* low 16 bits of VirtualAddress hold UnusedBytes */
#define MAX_LARGE_PAGES (UINT64_C(1) << 36)
#define MIN_UNIT_SHIFT 4                   /* segment sizes 4 KiB .. 1 GiB */
#define MAX_UNIT_SHIFT 22

/* What depends only on the bitness: _HEAP_LARGE_ALLOC_DATA. */
typedef struct seg_arch {
    int bits;
    uint8_t ptr;
    uint8_t signature;
    uint8_t node_parent, node_va, node_pages, node_pages_len, node_len;
} seg_arch;

static const seg_arch ARCH64 = {
    .bits = 64, .ptr = 8, .signature = 0x10,
    .node_parent = 0x10, .node_va = 0x18, .node_pages = 0x20, .node_pages_len = 8, .node_len = 0x28,
};

static const seg_arch ARCH32 = {
    .bits = 32, .ptr = 4, .signature = 0x08,
    .node_parent = 0x8, .node_va = 0xC, .node_pages = 0x10, .node_pages_len = 4, .node_len = 0x14,
};

/* _HEAP_SEG_CONTEXT: its size, UnitShift, Heap, SegmentListHead. */
typedef struct seg_ctx_layout {
    uint8_t size, unit_shift, heap, list;
} seg_ctx_layout;

static const seg_ctx_layout CTX64 = {0xC0, 0x8, 0x38, 0x48};       /* Windows 10 2004 and later, 11 */
static const seg_ctx_layout CTX64_1903 = {0x98, 0x8, 0x90, 0x20};  /* Windows 10 1903 / 1909 */
static const seg_ctx_layout CTX32 = {0x80, 0x4, 0x24, 0x44};

typedef struct seg_layout {
    const char *name;
    const seg_arch *a;
    uint16_t large_tree, large_reserved, seg_contexts;
    uint32_t from_build;
    const seg_ctx_layout *ctx;
} seg_layout;

/* Within one bitness the newest first.  The 1903 layout (public symbols of 10.0.18362) is
 * assumed for the builds before it too. */
static const seg_layout LAYOUTS[] = {
    {"Win11 x64", &ARCH64, 0x48, 0x58, 0x140, 22000, &CTX64},
    {"Win10 x64", &ARCH64, 0x48, 0x58, 0x100, 19041, &CTX64},
    {"Win10 1903 x64", &ARCH64, 0x88, 0x98, 0xA8, 16299, &CTX64_1903},
    {"Win10 x86", &ARCH32, 0x44, 0x4C, 0x100, 16299, &CTX32},
};
#define NLAYOUTS (sizeof LAYOUTS / sizeof LAYOUTS[0])

bool vm_segheap_probe(const vm_memreader *mem, int bits, uint64_t heap)
{
    uint32_t sig;
    const seg_arch *a = bits == 32 ? &ARCH32 : &ARCH64;
    return vm_read_u32(mem, heap + a->signature, &sig) && sig == VM_SEGHEAP_SIGNATURE;
}

typedef struct seg_walk {
    const vm_memreader *mem;
    const seg_arch *a;
    uint64_t heap;
    uint64_t segment_size;  /* of the context being walked */
    vm_winheap *out;
    vm_snapshot *snap;
    char what[96];
} seg_walk;

static void warn(const seg_walk *w, const char *code, const char *fmt, ...) VM_PRINTF(3, 4);
static void warn(const seg_walk *w, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    if (!w->snap)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vm_snapshot_warn(w->snap, code, "segment heap 0x%" PRIx64 ": %s", w->heap, msg);
}

static vm_winheap_range *push_range(vm_winheap_range **arr, size_t *n)
{
    return vm_array_push((void **)arr, n, sizeof **arr);
}

/* ---- SegContexts ------------------------------------------------------------------------- */

/* A context belongs to this heap when its Heap field points back at it. */
static bool context_owned(const seg_walk *w, const seg_layout *l, int i)
{
    uint64_t owner;
    uint64_t ctx = w->heap + l->seg_contexts + (uint64_t)i * l->ctx->size;
    return vm_winheap_read_ptr(w->mem, w->a->bits, ctx + l->ctx->heap, &owner) && owner == w->heap;
}

/* The newest layout (of those the build allows) whose SegContexts point back at the heap: both,
 * else the first.  Both are asked for first because layouts can place one context's Heap field
 * where another layout has its own (1903's SegContexts[0].Heap is where 2004 has it). */
static const seg_layout *pick_layout(const seg_walk *w, uint32_t build)
{
    for (int want_both = 1; want_both >= 0; want_both--)
        for (size_t i = 0; i < NLAYOUTS; i++) {
            const seg_layout *l = &LAYOUTS[i];
            if (l->a != w->a || (build && build < l->from_build))
                continue;
            if (context_owned(w, l, 0) && (!want_both || context_owned(w, l, 1)))
                return l;
        }
    return NULL;
}

/* Page segments are plain list nodes (ListEntry at offset 0) aligned to their size. */
static vm_winlist_step visit_segment(void *ctx, uint64_t link)
{
    seg_walk *w = ctx;
    if (link % w->segment_size || link + w->segment_size < link) {
        warn(w, "heap-invalid", "%s: link 0x%" PRIx64 " is not a segment (not aligned to 0x%" PRIx64 ")",
             w->what, link, w->segment_size);
        return VM_WINLIST_STOP;
    }
    vm_winheap_range *r = push_range(&w->out->segments, &w->out->nsegments);
    if (!r)
        return VM_WINLIST_OOM;
    r->address = link;
    r->size = w->segment_size;
    return VM_WINLIST_NEXT;
}

static bool walk_context(seg_walk *w, const seg_layout *l, int i)
{
    const seg_arch *a = w->a;
    uint64_t ctx = w->heap + l->seg_contexts + (uint64_t)i * l->ctx->size;
    uint8_t shift;
    if (!context_owned(w, l, i)) {
        warn(w, "heap-invalid", "SegContexts[%d] at 0x%" PRIx64 " does not point back at the heap", i, ctx);
        return true;
    }
    if (!vm_read_exact(w->mem, ctx + l->ctx->unit_shift, &shift, 1) || shift < MIN_UNIT_SHIFT ||
        shift > MAX_UNIT_SHIFT) {
        warn(w, "heap-invalid", "SegContexts[%d]: UnitShift unreadable or out of range", i);
        return true;
    }
    w->segment_size = UINT64_C(256) << shift;
    snprintf(w->what, sizeof w->what, "segment heap 0x%" PRIx64 " SegContexts[%d] segment list", w->heap, i);
    return vm_winlist_walk(w->mem, a->bits, ctx + l->ctx->list, VM_SEGHEAP_MAX_SEGMENTS, w->what,
                           visit_segment, w, w->snap);
}

/* ---- the large-allocation tree ----------------------------------------------------------- */

typedef struct tree_item {
    uint64_t node, parent;
    unsigned depth;
} tree_item;

typedef struct tree_node {
    uint64_t left, right, parent, address, pages, unused;
} tree_node;

static bool read_node(const seg_walk *w, uint64_t at, tree_node *n)
{
    const seg_arch *a = w->a;
    uint8_t b[0x28];
    if (!vm_read_exact(w->mem, at, b, a->node_len))
        return false;
    n->left = vm_winheap_le(b, a->ptr);
    n->right = vm_winheap_le(b + a->ptr, a->ptr);
    n->parent = vm_winheap_le(b + a->node_parent, a->ptr) & ~UINT64_C(3);  /* low bits: Red / Balance */
    n->address = vm_winheap_le(b + a->node_va, a->ptr) & ~LARGE_ALIGN_MASK;
    n->unused = vm_winheap_le(b + a->node_va, a->ptr) & LARGE_ALIGN_MASK;
    n->pages = vm_winheap_le(b + a->node_pages, a->node_pages_len) >> 12;
    return true;
}

/* Why the node at it.node cannot be believed (into why), or false when it can. */
static bool node_problem(const seg_walk *w, const tree_item *it, tree_node *n, char *why, size_t len)
{
    if (it->node % w->a->ptr)
        snprintf(why, len, "is misaligned");
    else if (!read_node(w, it->node, n))
        snprintf(why, len, "cannot be read");
    else if (n->parent != it->parent)
        snprintf(why, len, "names parent 0x%" PRIx64 ", not 0x%" PRIx64, n->parent, it->parent);
    else if (n->left && n->left == n->right)
        snprintf(why, len, "has the same left and right child");
    else if (!n->address || !n->pages || n->pages > MAX_LARGE_PAGES || n->address + n->pages * PAGE < n->address)
        snprintf(why, len, "holds no allocation (address 0x%" PRIx64 ", 0x%" PRIx64 " pages)", n->address, n->pages);
    else
        return false;
    return true;
}

/* Depth-first with an explicit stack: right child pushed before left, so the stack never holds
 * more than one pending sibling per level, at most VM_SEGHEAP_MAX_DEPTH + 1 items. */
static bool walk_large_tree(seg_walk *w, const seg_layout *l)
{
    tree_item stack[VM_SEGHEAP_MAX_DEPTH + 2];
    size_t top = 0, visited = 0;
    uint64_t root, min, total_pages = 0, reserved;
    uint64_t tree = w->heap + l->large_tree;
    if (!vm_winheap_read_ptr(w->mem, w->a->bits, tree, &root) ||
        !vm_winheap_read_ptr(w->mem, w->a->bits, tree + w->a->ptr, &min)) {
        warn(w, "read-failed", "cannot read the large allocation tree at 0x%" PRIx64, tree);
        return true;
    }
    if (min & 1) {  /* RTL_RB_TREE.Encoded: links are obfuscated, a layout we do not decode */
        warn(w, "heap-invalid", "the large allocation tree is encoded; large blocks not listed");
        return true;
    }
    if (root)
        stack[top++] = (tree_item){root, 0, 1};
    while (top) {
        tree_item it = stack[--top];
        tree_node n;
        char why[128];
        if (visited++ == VM_SEGHEAP_MAX_LARGE) {
            warn(w, "heap-invalid", "more than %d large allocations, walk stopped", VM_SEGHEAP_MAX_LARGE);
            break;
        }
        if (node_problem(w, &it, &n, why, sizeof why)) {
            warn(w, "heap-invalid", "large allocation node 0x%" PRIx64 " %s", it.node, why);
            break;
        }
        vm_winheap_range *r = push_range(&w->out->large, &w->out->nlarge);
        if (!r)
            return false;
        *r = (vm_winheap_range){n.address, n.pages * PAGE, n.pages * PAGE, true, n.address,
                                n.unused < n.pages * PAGE ? n.pages * PAGE - n.unused : 0};
        total_pages += n.pages;
        if ((n.left || n.right) && it.depth == VM_SEGHEAP_MAX_DEPTH) {
            warn(w, "heap-invalid", "large allocation tree deeper than %d levels, walk stopped", VM_SEGHEAP_MAX_DEPTH);
            break;
        }
        if (n.right)
            stack[top++] = (tree_item){n.right, it.node, it.depth + 1};
        if (n.left)
            stack[top++] = (tree_item){n.left, it.node, it.depth + 1};
    }
    /* LargeReservedPages is the heap's own total: the walk must not find more. */
    if (vm_winheap_read_ptr(w->mem, w->a->bits, w->heap + l->large_reserved, &reserved) && total_pages > reserved)
        warn(w, "heap-invalid", "large allocations hold 0x%" PRIx64 " pages, LargeReservedPages says 0x%" PRIx64,
             total_pages, reserved);
    return true;
}

vm_winheap_status vm_segheap_walk(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build,
                                  vm_winheap *out, vm_snapshot *snap)
{
    seg_walk w = {.mem = mem, .a = bits == 32 ? &ARCH32 : &ARCH64, .heap = heap, .out = out, .snap = snap};
    uint32_t sig;
    memset(out, 0, sizeof *out);
    if (!vm_read_u32(mem, heap + w.a->signature, &sig))
        return VM_WINHEAP_UNREADABLE;
    if (sig != VM_SEGHEAP_SIGNATURE)
        return VM_WINHEAP_NOT_THIS;
    out->address = heap;
    out->kind = "segment";
    out->part_word = "segment";
    out->has_header = true;
    out->header = (vm_winheap_range){heap, PAGE, PAGE, true, heap, 0};
    uint32_t global_flags;
    if (vm_read_u32(mem, heap + w.a->signature + 4, &global_flags))
        out->raw_flags = global_flags;

    const seg_layout *l = pick_layout(&w, os_build);
    if (!l) {
        warn(&w, "heap-invalid", "no known layout (SegContexts[0] does not point back at the heap)");
        return VM_WINHEAP_OK;
    }
    out->layout = l->name;
    bool ok = walk_context(&w, l, 0) && walk_context(&w, l, 1) && walk_large_tree(&w, l);
    if (!ok) {
        vm_winheap_free(out);
        return VM_WINHEAP_OOM;
    }
    return VM_WINHEAP_OK;
}
