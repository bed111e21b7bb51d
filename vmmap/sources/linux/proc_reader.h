/* Reading a /proc file on a thread of its own, handed over in chunks, in order.
 *
 * The kernel generates /proc/PID/smaps text while we read it: for 60,000 mappings that is most
 * of the time `cat` takes, spent in our read() calls.  A reader thread keeps those calls going
 * while the caller parses the chunks already read, so the parse is hidden behind the kernel's
 * work instead of added to it.  Without threads (one could not be started) next() reads on the
 * caller's thread: same chunks, only slower. */
#ifndef VMMAP_SOURCES_LINUX_PROC_READER_H
#define VMMAP_SOURCES_LINUX_PROC_READER_H

#include <stddef.h>

typedef struct lx_chunk {
    struct lx_chunk *next;
    size_t len;
    char data[];
} lx_chunk;

typedef struct lx_reader lx_reader;

/* Starts reading fd (which stays the caller's to close, after finish).  NULL when out of
 * memory. */
lx_reader *lx_reader_start(int fd);

/* The next chunk (len > 0), waiting for it if need be; NULL at the end of the file or after a
 * read error (finish says which). */
lx_chunk *lx_reader_next(lx_reader *r);

/* Gives a chunk back for reuse. */
void lx_reader_recycle(lx_reader *r, lx_chunk *c);

/* Stops the reader (if it is still going), waits for it and frees everything.  Returns 0, or the
 * errno of the read that failed. */
int lx_reader_finish(lx_reader *r);

/* For tests and fuzzers: fill chunks to n bytes (1 .. 64 KiB; anything else restores the
 * default) in readers started from now on, so small inputs cross many chunk boundaries. */
void lx_reader_test_chunk_bytes(size_t n);

/* For tests: the next reader started sleeps ms right after its last read, before anything else
 * (handing over the last chunk included), so a test can look at the target at the very moment
 * the file was read, or end it before the capture goes on (VMMAP_TEST_PAUSE_AFTER_MAPS). */
void lx_reader_test_pause_at_end(long ms);

#endif
