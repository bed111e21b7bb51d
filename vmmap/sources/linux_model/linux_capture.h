/* Shared state of one capture of a Linux process, live (sources/linux/linux_capture.c) or from
 * a file (linux_offline.c: cores, Linux minidumps), passed between the steps (images, heaps,
 * stacks, blocks) that each live in their own file.  The steps are the portable Linux model:
 * every build compiles this folder (sources/linux_model); what only a live process has (/proc,
 * pagemap, the early pass) they reach through this state and never ask offline. */
#ifndef VMMAP_SOURCES_LINUX_CAPTURE_H
#define VMMAP_SOURCES_LINUX_CAPTURE_H

#include "../../parse/elf.h"
#include "../../parse/memreader.h"
#include "../source.h"
#include "linux_task.h"
#include "proc_maps.h"
#include "proc_pagemap.h"

/* What the steps learned about each mapping (parallel to maps.v). */
typedef struct lx_note {
    uint64_t alloc_base; /* mappings with the same base form one allocation */
    int32_t module;      /* index into snap->modules when part of a loaded ELF image, else -1 */
    bool heap;           /* claimed by a heap walk */
    bool stack;          /* claimed as a thread stack */
} lx_note;

/* A build-id known from outside the core or dump's memory (a minidump's module record), for the
 * image mapped at base. */
typedef struct vm_linux_build_id {
    uint64_t base;
    uint8_t id[64];
    size_t len;
} vm_linux_build_id;

typedef struct lx_capture {
    int pid;
    /* Offline (a core, a Linux minidump: linux_offline.c): no /proc to ask, module files are
     * looked up by build-id (on this machine's path, then in image_path), no glibc thread list. */
    bool offline;
    const char *image_path;
    const vm_linux_build_id *ids;
    size_t nids;
    size_t unsplit;           /* offline: images not split into sections, and the first of them */
    char first_unsplit[512];
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
    /* Mappings cut at heap parts count their pieces' pages here (linux_split.c). */
    vm_linux_pagemap pagemap;
    size_t split_moved; /* counters of pieces that did not fit: the pages moved between reads */
    /* The threads, being listed on a thread of their own since the capture started (the early
     * pass); NULL: list them when the steps need them. */
    struct vm_linux_task_list *tasks_ahead;
    /* Live: vmmap's own vDSO (sources/linux/own_vdso.h), read instead of the target's when it is
     * the same image (linux_images.c); same_abi: the target's executable is of vmmap's ABI.
     * NULL offline. */
    const uint8_t *own_vdso;
    uint64_t own_vdso_size;
    bool own_vdso_same_abi;
} lx_capture;

/* Every heap part of snap, [start, end) sorted by start (linux_split.c). */
typedef struct lx_part_ranges {
    uint64_t (*v)[2];
    size_t n;
} lx_part_ranges;

/* Index of the mapping containing addr, or -1 (binary search over sorted maps). */
long lx_find_mapping(const lx_capture *c, uint64_t addr);

/* True for a private mapping with no file behind it ([anon:...] names included). */
bool lx_is_anon_private(const vm_linux_mapping *m);

/* Steps, in the order the capture runs them. */
void lx_find_images(lx_capture *c);                            /* linux_images.c */
void lx_find_heaps(lx_capture *c);                             /* linux_heaps.c */
void lx_find_stacks(lx_capture *c, const vm_linux_task *tasks, size_t ntasks); /* linux_stacks.c */
bool lx_build_blocks(lx_capture *c, vm_facts *facts);          /* linux_blocks.c */

/* Cutting mappings at heap parts (linux_split.c).  lx_cut: the pieces of [start, end), cut where a
 * part begins or ends inside it; *starts (malloc'd) holds each piece's start; returns how many (1:
 * not cut), 0 when out of memory.  lx_in_part: whether addr lies in a part, and where it starts.
 * lx_piece_counters: each piece's counters from the mapping's smaps values and pagemap. */
bool lx_part_ranges_build(const vm_snapshot *s, uint64_t page, lx_part_ranges *out);
void lx_part_ranges_free(lx_part_ranges *r);
size_t lx_cut(const lx_part_ranges *r, uint64_t start, uint64_t end, uint64_t **starts);
bool lx_in_part(const lx_part_ranges *r, uint64_t addr, uint64_t *part_start);
void lx_piece_counters(lx_capture *c, const vm_linux_mapping *m, const uint64_t *starts, size_t n, vm_counters *out);

/* Offline: opens the file of the image mapped at base (named path in the core or dump) whose
 * build-id matches the image's (known from c->ids, else read from target memory): path itself,
 * then each directory of c->image_path.  False with the reason in err (linux_offline.c). */
bool lx_open_image_by_build_id(lx_capture *c, uint64_t base, const char *path, vm_file_reader *fr, char *err,
                               size_t errlen);

/* What lx_build_blocks derives from one mapping's smaps values (linux_blocks.c). */
vm_state lx_block_state(const vm_linux_mapping *m);
void lx_block_counters(const vm_linux_mapping *m, vm_counters *out);

/* The raw blocks of mapping i (its header as in c->maps.v[i], its smaps values from m, which may
 * be another read of the same mapping: the early pass builds them from smaps while c->maps is
 * /proc/PID/maps), appended to facts: one block, or one per piece when the mapping holds heap
 * parts and more (parts: lx_part_ranges_build).  lx_build_blocks does it for every mapping of
 * c->maps.  False when out of memory. */
bool lx_add_blocks(lx_capture *c, vm_facts *facts, size_t i, const vm_linux_mapping *m, const lx_part_ranges *parts);

#endif
