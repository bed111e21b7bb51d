/* The table of sources, asked in this order which one reads a target (capture.h).  Files are
 * claimed by their content, so the order only matters between a file source and the live one,
 * which claims what is not a file: it comes last. */
#include "capture.h"

const vm_source *const vm_sources[] = {
    &vm_source_minidump, /* "MDMP": Windows minidumps */
    &vm_source_live,     /* a PID, a process name, --self: the build's platform */
    NULL,
};
