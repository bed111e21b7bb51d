/* The parts of `vmmap info`, one per kind of file it describes, and where their lines go. */
#ifndef VMMAP_CLI_INFO_H
#define VMMAP_CLI_INFO_H

#include <stddef.h>
#include <stdio.h>

#include "../../report/text.h"
#include "../classify/facts.h"
#include "../util/error.h"

/* Each line is built in line, then printed wrapped to width (0: whole) by vm_info_put. */
typedef struct vm_info_out {
    FILE *out;
    size_t width;
    vm_tline line;
} vm_info_out;

void vm_info_put(vm_info_out *o);

/* An ELF core (info_core.c); opt: the capture options its map is made with. */
int vm_info_core(const char *path, const vm_capture_options *opt, vm_info_out *o, vm_error *err);

#endif
