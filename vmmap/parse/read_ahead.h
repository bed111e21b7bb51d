/* Sequential reads of target memory in large windows, the windows that follow read on a thread
 * of its own (a few ahead) while the caller parses the current one: a heap walk of 1 GiB then
 * costs about the copy alone, its parsing hidden behind it (tests/bench/heaps.sh).
 *
 * Only one thread uses the memory reader at a time: the read-ahead thread between a window's
 * hand-over and the next request, the caller otherwise.  A caller that reads through mem itself
 * calls vm_read_ahead_quiet first.  Without a thread (it could not be started, or threaded is
 * false) every read is made on the caller's thread: the same bytes, only slower. */
#ifndef VMMAP_PARSE_READ_AHEAD_H
#define VMMAP_PARSE_READ_AHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memreader.h"

/* Requests that reach back this far before the end of the current window are still joined to
 * the window read ahead (a chunk header straddling the windows' boundary). */
#define VM_READ_AHEAD_SLACK 4096

typedef struct vm_read_ahead vm_read_ahead;

/* window: bytes per read (at least VM_READ_AHEAD_SLACK).  NULL when out of memory. */
vm_read_ahead *vm_read_ahead_new(const vm_memreader *mem, size_t window, bool threaded);
void vm_read_ahead_free(vm_read_ahead *ra);

/* [addr, addr + len) of the target (len at most the window), read from addr up to limit (never
 * at or past it); NULL when the target does not have those bytes.  Valid until the next call.
 * A request at, past or just before the end of the current window is served from the windows
 * read ahead; any other one stops the read-ahead, reads on the caller's thread and starts it
 * again from there. */
const uint8_t *vm_read_ahead_get(vm_read_ahead *ra, uint64_t addr, size_t len, uint64_t limit);

/* The current window (after a get that returned non-NULL): its bytes, address and length. */
const uint8_t *vm_read_ahead_window(const vm_read_ahead *ra, uint64_t *base, size_t *len);

/* Stops the read-ahead and waits until no read is in flight (the caller may use mem itself until
 * its next get); the current window stays valid. */
void vm_read_ahead_quiet(vm_read_ahead *ra);

#endif
