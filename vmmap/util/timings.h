/* Phase timings for finding where time goes (make bench prints them): with VMMAP_TIMINGS set in
 * the environment, vm_timing_mark("phase") prints on stderr how long it has been since the
 * previous mark (or since the first call).  Without it, a mark costs one cached getenv test. */
#ifndef VMMAP_UTIL_TIMINGS_H
#define VMMAP_UTIL_TIMINGS_H

#include <stdbool.h>

/* True when VMMAP_TIMINGS is set (non-empty). */
bool vm_timings_on(void);

/* "vmmap: timing: PHASE N.N ms" on stderr when timings are on. */
void vm_timing_mark(const char *phase);

#endif
