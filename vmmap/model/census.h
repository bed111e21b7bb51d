/* The C++ object census: which classes fill the heap, counted by their vtables.
 *
 * An object is every pointer-aligned word inside a busy heap block whose value is the address
 * point of a vtable that parse/rtti.h vouches for, with offset 0 in its complete object (a
 * non-zero offset is a secondary base of an object already counted).  Blocks come from the heap
 * walkers (parse/heap_blocks.h): vm_census_visit is a vm_hblock_visit, and free or cached blocks
 * are skipped, so stale copies in freed memory do not count.  Objects embedded in containers
 * count where they lie: std::list nodes, std::vector buffers, arrays.
 *
 * Bytes: a block holding exactly one object is that object's (its allocator size, exact); in a
 * block holding several, each object is charged the distance to the next one (the last one: to
 * the end of the block), and those bytes are marked estimated.
 *
 * Memory is read in large pieces (a window of a few MiB clipped to the mapping, reused by the
 * block walk itself through vm_census_reader), never one word at a time; each distinct
 * candidate value is validated once. */
#ifndef VMMAP_MODEL_CENSUS_H
#define VMMAP_MODEL_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../parse/heap_blocks.h"
#include "../parse/memreader.h"
#include "snapshot.h"

typedef struct vm_census_options {
    /* util/pattern.h: the instances of the types whose name matches are listed
     * (vm_census_instances); plain text also matches a name's last part after "::".  NULL:
     * none. */
    const char *type_pattern;
    /* Also scan stacks (from each thread's stack pointer up), Private Data and images' writable
     * data, and count what is found there apart from the heap. */
    bool all;
    /* A progress line on stderr when the scan takes more than a second (terminal only). */
    bool progress;
    /* Where module files are opened for their _ZTV symbols and, for a core, the read-only
     * segments it left out: this prefix + the module's path ("/proc/PID/root" for a live Linux
     * process, "" for the host's files); NULL: no module files. */
    const char *module_root;
    /* The module files found under module_root are used only when their GNU build-id equals the
     * one in the target's copy of the image's headers (a core, a dump); false: also when that
     * copy cannot be read (a live process's own files). */
    bool require_build_id;
    /* Also looked in for a module's file, by its base name: DIR[:DIR...] (--image-path), or NULL. */
    const char *image_path;
    /* At most this many instances are listed (0: 1,000,000); a warning says when there were more. */
    size_t max_instances;
} vm_census_options;

typedef struct vm_census_instance {
    uint64_t address;  /* the object: its primary vptr */
    uint64_t vtable;   /* its type (vm_object_type.vtable) */
    uint64_t block;    /* the heap block's address (allocator header), 0 outside heaps */
    int32_t heap_id;   /* -1 outside heaps */
    int where;         /* -1 in a heap block, else a vm_object_where */
} vm_census_instance;

/* What a caller of the census step asks beyond the counts (vm_capture_options.objects_request),
 * and what it gets back. */
typedef struct vm_census_request {
    const char *type_pattern;   /* as vm_census_options */
    bool all;                   /* as vm_census_options */
    bool want_instances;        /* copy the instance list out */
    bool ran;                   /* out: the census ran on the target (not loaded from a file) */
    vm_census_instance *instances; /* out: malloc'd, the caller frees */
    size_t ninstances;
} vm_census_request;

typedef struct vm_census vm_census;

/* A census of snap's process, reading its memory through mem (valid until vm_census_free).
 * snap's modules, sections, regions and threads must be final.  NULL when out of memory. */
vm_census *vm_census_new(const vm_snapshot *snap, const vm_memreader *mem, const vm_census_options *opt);

/* A reader serving from the census's window, for the block walk that feeds it: the walk's
 * header reads then cost no system calls, and each byte is read from the target once. */
vm_memreader vm_census_reader(vm_census *c);

/* The block visitor; ctx is the census.  Always returns true. */
bool vm_census_visit(void *ctx, const vm_hblock *b);

/* With opt.all: scans stacks, Private Data and image data (call once, after the walk). */
void vm_census_scan_outside(vm_census *c);

/* Moves the result into snap (snap->census, snap->objects, biggest first; previous ones
 * replaced) and records warnings there.  Returns false when out of memory. */
bool vm_census_finish(vm_census *c, vm_snapshot *snap);

/* The instances listed (with opt.type_pattern), in the order found. */
const vm_census_instance *vm_census_instances(const vm_census *c, size_t *n);

/* How many reads of the target the census's windows made, and how many bytes they brought. */
void vm_census_read_stats(const vm_census *c, uint64_t *reads, uint64_t *bytes);

void vm_census_free(vm_census *c);

/* Sorts a snapshot's objects biggest first: bytes, then count, then name. */
void vm_census_sort(vm_snapshot *snap);

#endif
