/* The table of sources, asked in this order which one reads a target (capture.h).  Files are
 * claimed by their content, so the order only matters between a file source and the live one,
 * which claims what is not a file: it comes last.  Every build reads every kind of file: the
 * Linux sources (cores, Linux minidumps) are the portable Linux model, not the live /proc source. */
#include "capture.h"

#include "../sources/linux_model/core_source.h"
#include "../sources/linux_model/linux_offline.h"

const vm_source *const vm_sources[] = {
    &vm_source_linux_minidump, /* "MDMP" whose SystemInfo says Linux or Android: before Windows' */
    &vm_source_minidump,       /* "MDMP": Windows minidumps */
    &vm_source_core,           /* ELF ET_CORE: Linux cores */
    &vm_source_live,           /* a PID, a process name, --self: the build's platform */
    NULL,
};
