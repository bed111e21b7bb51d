/* Whether what a block walker could not count reaches the user: the heap statistics step
 * (capture/heap_step.h) run over a snapshot holding one heap, then the heap's walk_note, the
 * snapshot JSON written and read back, and the `vmmap heaps` view (report/text_heaps.h).  For the
 * walkers' unit tests, over their synthetic images.  Test support only. */
#ifndef VMMAP_TESTS_SUPPORT_HEAP_NOTE_VIEW_H
#define VMMAP_TESTS_SUPPORT_HEAP_NOTE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmmap/parse/memreader.h"

/* Walks the heap of `kind` ("NT", "segment", "Wine", ...) at address in mem (bits 32 or 64; os
 * the snapshot's OS string, e.g. "Windows 10.0.19045", or NULL) and checks that its walk_note
 * holds needle, in the snapshot, after the JSON round trip, and on the heap's line of the view's
 * notes ("Heap 0 (KIND): ... NEEDLE"), and that the heap was walked (stats, not null).  False
 * with the first failure in why. */
bool hn_note_reaches_view(const vm_memreader *mem, int bits, const char *os, const char *kind, uint64_t address,
                          const char *needle, char *why, size_t len);

#endif
