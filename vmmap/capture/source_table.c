/* The table of sources, asked in this order which one reads a target (capture.h).  Files are
 * claimed by their content, so the order only matters between a file source and the live one,
 * which claims what is not a file: it comes last. */
#include "capture.h"

#ifndef _WIN32
#include "../sources/linux/core_source.h"
#include "../sources/linux/linux_offline.h"
#endif

const vm_source *const vm_sources[] = {
#ifndef _WIN32
    &vm_source_linux_minidump, /* "MDMP" whose SystemInfo says Linux or Android: before Windows' */
#endif
    &vm_source_minidump, /* "MDMP": Windows minidumps */
#ifndef _WIN32
    &vm_source_core, /* ELF ET_CORE: Linux cores (the offline Linux steps need the Linux build) */
#endif
    &vm_source_live,     /* a PID, a process name, --self: the build's platform */
    NULL,
};
