/* Progress on a terminal for work that takes a while (a 60,000-region workbook takes seconds):
 * one line on stderr, redrawn in place ("vmmap: report big.xlsx: Regions sheet 45%"), shown only
 * when stderr is a terminal and only once the work has taken over a second; cleared when done.
 *
 * The code doing the work names its phases and counts its steps; a ticker thread draws, so a
 * phase that blocks (compressing the workbook) still shows that it is alive.  Every call is a
 * no-op until vm_progress_start, so library code may call them unconditionally.
 *
 * VMMAP_TEST_PROGRESS_AFTER=S (seconds, 0 allowed) replaces the one-second delay for the tests,
 * which then see the line drawn at once when a phase begins (docs/testing.md). */
#ifndef VMMAP_UTIL_PROGRESS_H
#define VMMAP_UTIL_PROGRESS_H

#include <stdint.h>

/* Starts showing progress of what ("report big.xlsx") when stderr is a terminal. */
void vm_progress_start(const char *what);
/* A new phase ("reading big.json", "Regions sheet"); total steps, 0 when unknown. */
void vm_progress_phase(const char *phase, uint64_t total);
/* Steps done in the current phase. */
void vm_progress_step(uint64_t done);
/* Stops, clears the line; safe to call when never started.  Call before printing to stderr. */
void vm_progress_stop(void);

/* Seconds of work before a progress line appears: 1, or VMMAP_TEST_PROGRESS_AFTER.  For the
 * progress lines of their own (the heap walk's, the census's) to keep the same rule. */
double vm_progress_delay(void);

#endif
