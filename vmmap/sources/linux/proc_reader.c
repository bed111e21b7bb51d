#include "proc_reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Chunk payload: small enough that the parser starts early (a few hundred mappings), large enough
 * that handing chunks over costs nothing next to generating them (the kernel returns at most a
 * page or two of smaps per read, so a chunk takes dozens of reads).  A consumer faster than the
 * kernel waits for every chunk, and each wake-up cost it some 15 us: with 64 KiB chunks, 660 of
 * them for a 60,000-mapping smaps were 4% of the capture's CPU time. */
#define CHUNK_BYTES ((size_t)256 * 1024)
/* Chunks read but not yet parsed, at most: bounds the memory (64 MiB) when the parser falls
 * behind. */
#define MAX_QUEUED 256
/* Chunks queued for the caller to parse (proc_reader.h), at most: a caller that falls behind is
 * the slower side, so the reader waits for it (rather than keep text four times the size of its
 * parse in memory). */
#define MAX_PENDING 4
/* EINTR retries in a row: a signal storm must not spin the reader forever. */
#define MAX_EINTR 64

/* What a chunk is filled to: CHUNK_BYTES, or less for tests (lx_reader_test_chunk_bytes). */
static size_t fill_bytes = CHUNK_BYTES;

void lx_reader_test_chunk_bytes(size_t n)
{
    fill_bytes = n >= 1 && n <= CHUNK_BYTES ? n : CHUNK_BYTES;
}

/* Pause of the next reader started after its last read, in ms (lx_reader_test_pause_at_end). */
static long pause_at_end_ms;

void lx_reader_test_pause_at_end(long ms)
{
    pause_at_end_ms = ms > 0 && ms <= 60000 ? ms : 0;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

struct lx_reader {
    int fd;
    size_t fill;   /* fill_bytes when started */
    long pause_ms; /* after the last read (tests) */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    lx_chunk *head, *tail; /* read, not yet taken */
    lx_chunk *spare;       /* given back, for reuse */
    size_t queued;
    bool done;             /* the reader reached the end (or failed) */
    bool stop;             /* the caller wants no more */
    int error;             /* errno of the failed read, or 0 */
    bool threaded;
    pthread_t thread;
    lx_chunk_fn work;      /* on each chunk read, or NULL */
    void *work_ctx;
    /* Where the work is done (lx_reader_start_with): on the reader thread while the caller is
     * busy, on the caller's when it waits for a chunk (so that the kernel's reading, the longest
     * part, is not held up by it).  In order, one chunk at a time: */
    bool waiting;          /* the caller waits in next for a chunk */
    bool working;          /* the caller does the work of a chunk it took */
    size_t pending;        /* chunks queued whose work is still to do: the caller's */
    bool work_stopped;     /* the work said stop on the caller's thread (its thread only) */
};

/* A queue entry that carries a chunk's result but no data (len stays, for the consumer's
 * information). */
static lx_chunk *light_node(const lx_chunk *c)
{
    lx_chunk *n = malloc(sizeof *n);
    if (n) {
        n->next = NULL;
        n->result = c->result;
        n->len = c->len;
        n->light = true;
        n->pending = false;
    }
    return n;
}

static lx_chunk *new_chunk(lx_reader *r)
{
    lx_chunk *c = r->spare;
    if (c) {
        r->spare = c->next;
        return c;
    }
    return malloc(sizeof *c + CHUNK_BYTES);
}

/* Fills one chunk with as many reads as fit.  Returns the chunk, or NULL at the end (with
 * *error set when a read failed, ENOMEM included). */
static lx_chunk *fill_chunk(int fd, size_t fill, lx_chunk *c, int *error)
{
    c->next = NULL;
    c->result = NULL;
    c->light = false;
    c->pending = false;
    c->len = 0;
    int eintr = 0;
    while (c->len < fill) {
        ssize_t n = read(fd, c->data + c->len, fill - c->len);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR && ++eintr < MAX_EINTR)
            continue;
        if (n < 0)
            *error = errno;
        break;
    }
    return c->len ? c : NULL;
}

static void *reader_main(void *arg)
{
    lx_reader *r = arg;
    pthread_setname_np(pthread_self(), "vmmap-reader"); /* what top -H and perf show */
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while ((r->queued >= MAX_QUEUED || r->pending >= MAX_PENDING) && !r->stop)
            pthread_cond_wait(&r->changed, &r->lock);
        lx_chunk *c = r->stop ? NULL : new_chunk(r);
        bool stop = r->stop;
        pthread_mutex_unlock(&r->lock);

        int error = 0;
        lx_chunk *full = c ? fill_chunk(r->fd, r->fill, c, &error) : NULL;
        if (!c && !stop)
            error = ENOMEM;
        if (r->pause_ms && (!full || full->len < r->fill || error))
            pause_ms(r->pause_ms); /* right after the last read, before anything else runs */
        /* The work here while the caller is busy with what it has (and no chunk ahead of this one
         * still waits for its work); when it waits for this chunk, the chunk goes to it as it is,
         * and the work is done there, beside the next reads. */
        bool here = false;
        if (full && r->work) {
            pthread_mutex_lock(&r->lock);
            here = !r->waiting && !r->working && r->pending == 0;
            pthread_mutex_unlock(&r->lock);
        }
        bool stopped = here && !r->work(r->work_ctx, full);
        /* With work done on it here, only its result goes on: the buffer is read into again at
         * once (still in cache; no new memory while the consumer is busy elsewhere).  Without
         * memory for the entry, the whole chunk goes on instead. */
        lx_chunk *node = here ? light_node(full) : NULL;
        if (full)
            full->pending = r->work && !here;

        pthread_mutex_lock(&r->lock);
        if (node) {
            full->next = r->spare;
            r->spare = full;
            full = node;
        }
        if (full) {
            if (r->tail)
                r->tail->next = full;
            else
                r->head = full;
            r->tail = full;
            r->queued++;
            r->pending += full->pending;
        } else if (c) {
            c->next = r->spare;
            r->spare = c;
        }
        /* A chunk that ends short was cut by the end of the file or by an error. */
        bool end = !full || full->len < r->fill || error || stopped;
        if (end) {
            r->done = true;
            r->error = error;
        }
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        if (end)
            return NULL;
    }
}

lx_reader *lx_reader_start(int fd)
{
    return lx_reader_start_with(fd, NULL, NULL, true);
}

lx_reader *lx_reader_start_with(int fd, lx_chunk_fn work, void *ctx, bool threaded)
{
    lx_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->fd = fd;
    r->work = work;
    r->work_ctx = ctx;
    r->fill = fill_bytes;
    r->pause_ms = pause_at_end_ms; /* one reader only: the next one read does not pause */
    pause_at_end_ms = 0;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    if (pthread_cond_init(&r->changed, NULL) != 0) {
        pthread_mutex_destroy(&r->lock);
        free(r);
        return NULL;
    }
    r->threaded = threaded && pthread_create(&r->thread, NULL, reader_main, r) == 0;
    return r;
}

lx_chunk *lx_reader_next(lx_reader *r)
{
    if (!r->threaded) { /* read here, one chunk at a time */
        if (r->done)
            return NULL;
        lx_chunk *c = new_chunk(r);
        if (!c) {
            r->done = true;
            r->error = ENOMEM;
            return NULL;
        }
        lx_chunk *full = fill_chunk(r->fd, r->fill, c, &r->error);
        if (!full || full->len < r->fill || r->error) {
            r->done = true;
            if (r->pause_ms)
                pause_ms(r->pause_ms);
        }
        if (full && r->work && !r->work(r->work_ctx, full))
            r->done = true;
        if (!full) {
            c->next = r->spare;
            r->spare = c;
        }
        return full;
    }
    if (r->work_stopped)
        return NULL;
    pthread_mutex_lock(&r->lock);
    r->waiting = true;
    while (!r->head && !r->done)
        pthread_cond_wait(&r->changed, &r->lock);
    r->waiting = false;
    lx_chunk *c = r->head;
    if (c) {
        r->head = c->next;
        if (!r->head)
            r->tail = NULL;
        r->queued--;
        r->pending -= c->pending;
        r->working = c->pending;
        pthread_cond_broadcast(&r->changed);
    }
    pthread_mutex_unlock(&r->lock);
    if (c && c->pending) {
        c->pending = false;
        bool go_on = r->work(r->work_ctx, c);
        pthread_mutex_lock(&r->lock);
        r->working = false;
        if (!go_on)
            r->stop = true; /* this chunk is the last one handed out */
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        r->work_stopped = !go_on;
    }
    return c;
}

void lx_reader_recycle(lx_reader *r, lx_chunk *c)
{
    if (!c)
        return;
    if (c->light) {
        free(c);
        return;
    }
    if (r->threaded)
        pthread_mutex_lock(&r->lock);
    c->next = r->spare;
    c->result = NULL;
    r->spare = c;
    if (r->threaded)
        pthread_mutex_unlock(&r->lock);
}

static void free_list(lx_chunk *c)
{
    while (c) {
        lx_chunk *next = c->next;
        free(c);
        c = next;
    }
}

int lx_reader_finish(lx_reader *r)
{
    if (!r)
        return 0;
    if (r->threaded) {
        pthread_mutex_lock(&r->lock);
        r->stop = true;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
    }
    int error = r->error;
    free_list(r->head);
    free_list(r->spare);
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return error;
}
