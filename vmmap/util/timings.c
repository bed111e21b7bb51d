#include "timings.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock_signal.h"

bool vm_timings_on(void)
{
    static int on = -1; /* read once: marks sit on hot paths */
    if (on < 0) {
        const char *v = getenv("VMMAP_TIMINGS");
        on = v && *v;
    }
    return on != 0;
}

void vm_timing_mark(const char *phase)
{
    static double last = -1;
    if (!vm_timings_on())
        return;
    double now = vm_clock_now();
    if (last < 0)
        fprintf(stderr, "vmmap: timing: %-24s (start)\n", phase);
    else
        fprintf(stderr, "vmmap: timing: %-24s %8.1f ms\n", phase, (now - last) * 1000.0);
    last = now;
}
