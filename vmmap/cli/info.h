/* The parts of `vmmap info`, one per kind of file it describes. */
#ifndef VMMAP_CLI_INFO_H
#define VMMAP_CLI_INFO_H

#include "../util/error.h"

/* An ELF core (info_core.c). */
int vm_info_core(const char *path, vm_error *err);

#endif
