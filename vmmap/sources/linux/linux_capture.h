/* Shared state of one live-Linux capture, passed between the steps (images, heaps, stacks,
 * blocks) that each live in their own file. */
#ifndef VMMAP_SOURCES_LINUX_CAPTURE_H
#define VMMAP_SOURCES_LINUX_CAPTURE_H

#include "../../parse/memreader.h"
#include "../source.h"
#include "proc_maps.h"
#include "proc_process.h"

/* What the steps learned about each mapping (parallel to maps.v). */
typedef struct lx_note {
    uint64_t alloc_base; /* mappings with the same base form one allocation */
    int32_t module;      /* index into snap->modules when part of a loaded ELF image, else -1 */
    bool heap;           /* claimed by a heap walk */
    bool stack;          /* claimed as a thread stack */
} lx_note;

typedef struct lx_capture {
    int pid;
    uint64_t page_size;
    vm_linux_maps maps;
    lx_note *notes;
    vm_snapshot *snap;
    vm_memreader mem;
    const vm_capture_options *opt;
    /* The steps ran on /proc/PID/maps before smaps was read (linux_capture.c): VmFlags are
     * guessed (none), and a step that relies on them sets used_guess. */
    bool vmflags_guessed;
    bool used_guess;
    /* The threads, being listed on a thread of their own since the capture started (the early
     * pass); NULL: list them when the steps need them. */
    vm_linux_task_list *tasks_ahead;
} lx_capture;

/* Index of the mapping containing addr, or -1 (binary search over sorted maps). */
long lx_find_mapping(const lx_capture *c, uint64_t addr);

/* True for a private mapping with no file behind it ([anon:...] names included). */
bool lx_is_anon_private(const vm_linux_mapping *m);

/* Steps, in the order the capture runs them. */
void lx_find_images(lx_capture *c);                            /* linux_images.c */
void lx_find_heaps(lx_capture *c);                             /* linux_heaps.c */
void lx_find_stacks(lx_capture *c, const vm_linux_task *tasks, size_t ntasks); /* linux_stacks.c */
bool lx_build_blocks(lx_capture *c, vm_facts *facts);          /* linux_blocks.c */

/* The raw blocks of mapping i (its header as in c->maps.v[i], its smaps values from m, which may
 * be another read of the same mapping: the early pass builds them from smaps while c->maps is
 * /proc/PID/maps), appended to facts.  lx_build_blocks does it for every mapping of c->maps.
 * False when out of memory. */
bool lx_add_blocks(lx_capture *c, vm_facts *facts, size_t i, const vm_linux_mapping *m);

#endif
