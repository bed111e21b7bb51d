/* Reading a /proc file on a thread of its own, handed over in chunks, in order.
 *
 * The kernel generates /proc/PID/smaps text while we read it: for 60,000 mappings that is most
 * of the time `cat` takes, spent in our read() calls.  A reader thread keeps those calls going
 * while the caller parses the chunks already read, so the parse is hidden behind the kernel's
 * work instead of added to it.  Without threads (one could not be started) next() reads on the
 * caller's thread: same chunks, only slower. */
#ifndef VMMAP_SOURCES_LINUX_PROC_READER_H
#define VMMAP_SOURCES_LINUX_PROC_READER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct lx_chunk {
    struct lx_chunk *next;
    void *result; /* what the work function made of it (lx_reader_start_with), or NULL */
    bool light;   /* the result only, no data (with a work function, on the reader thread) */
    bool pending; /* its work is still to do (done in next): internal */
    size_t len;
    char data[];
} lx_chunk;

typedef struct lx_reader lx_reader;

/* Starts reading fd (which stays the caller's to close, after finish).  NULL when out of
 * memory. */
lx_reader *lx_reader_start(int fd);

/* Work done on each chunk, in order, one chunk at a time: on the reader thread as soon as the
 * chunk is read while the caller is busy (then next hands over the result without the data: the
 * buffer is read into again at once), or in next on the caller's thread when it waits for the
 * chunk (the reader thread then goes on reading: the kernel's generation of the text is the
 * longest part of the whole, and the work would only hold it up), and always there without
 * threads.  It may set c->result for the consumer.  false stops the reading (its reason is the
 * work's own to keep): that chunk is the last one next hands out.  Until finish returns, ctx
 * belongs to the reader: the caller must not touch it, and every result is the caller's to take
 * before finish (finish frees none). */
typedef bool (*lx_chunk_fn)(void *ctx, lx_chunk *c);
/* threaded false: no thread, every chunk read in next, for a caller with nothing to do in the
 * meantime (a thread would only add its start and the hand-over of every chunk). */
lx_reader *lx_reader_start_with(int fd, lx_chunk_fn work, void *ctx, bool threaded);

/* The next chunk (len > 0), waiting for it if need be; NULL at the end of the file or after a
 * read error (finish says which). */
lx_chunk *lx_reader_next(lx_reader *r);

/* Gives a chunk back for reuse. */
void lx_reader_recycle(lx_reader *r, lx_chunk *c);

/* Stops the reader (if it is still going), waits for it and frees everything.  Returns 0, or the
 * errno of the read that failed. */
int lx_reader_finish(lx_reader *r);

/* For tests and fuzzers: fill chunks to n bytes (1 .. 256 KiB; anything else restores the
 * default) in readers started from now on, so small inputs cross many chunk boundaries. */
void lx_reader_test_chunk_bytes(size_t n);

/* For tests: the next reader started sleeps ms right after its last read, before anything else
 * (handing over the last chunk included), so a test can look at the target at the very moment
 * the file was read, or end it before the capture goes on (VMMAP_TEST_PAUSE_AFTER_MAPS). */
void lx_reader_test_pause_at_end(long ms);

#endif
