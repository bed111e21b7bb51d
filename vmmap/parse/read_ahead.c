/* Read-ahead of read_ahead.h: a ring of RING windows, each VM_READ_AHEAD_SLACK + window bytes.
 * Once the caller reads somewhere, the thread keeps reading the windows that follow, one after
 * another, as long as a slot is free: it never waits for the caller to ask, so the copy runs
 * without pause while the caller parses.  The caller moves to the next window when a request
 * reaches past its current one (the tail of the current window, a header cut by the boundary, is
 * copied into the slack in front of the next); any other request stops the stream and starts
 * over there. */
#include "read_ahead.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RING 4

typedef struct slot {
    uint8_t *buf;     /* SLACK bytes, then the window */
    uint64_t addr;
    size_t got;
} slot;

struct vm_read_ahead {
    const vm_memreader *mem;
    size_t window;
    slot ring[RING];
    /* the caller's current window */
    const uint8_t *data;
    uint64_t base;
    size_t len;
    size_t cur;              /* its slot */
    /* the stream, guarded by lock: slots [consumed, filled) are ready, the caller holds
     * consumed - 1; the thread fills slot filled % RING from next_addr up to limit */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool streaming, busy, stop;
    uint64_t filled, consumed;
    uint64_t next_addr, limit;
};

static size_t read_all(const vm_memreader *mem, uint64_t addr, uint8_t *dst, size_t want)
{
    size_t got = 0;
    while (got < want) {
        size_t n = mem->read(mem->ctx, addr + got, dst + got, want - got);
        if (n == 0)
            break;
        got += n;
    }
    return got;
}

static void *stream_main(void *arg)
{
    vm_read_ahead *ra = arg;
    pthread_mutex_lock(&ra->lock);
    for (;;) {
        while (!ra->stop && !(ra->streaming && ra->filled - ra->consumed + 1 < RING && ra->next_addr < ra->limit))
            pthread_cond_wait(&ra->cond, &ra->lock);
        if (ra->stop)
            break;
        slot *s = &ra->ring[ra->filled % RING];
        uint64_t addr = ra->next_addr;
        size_t want = ra->limit - addr < ra->window ? (size_t)(ra->limit - addr) : ra->window;
        ra->busy = true;
        pthread_mutex_unlock(&ra->lock);
        size_t got = read_all(ra->mem, addr, s->buf + VM_READ_AHEAD_SLACK, want);
        pthread_mutex_lock(&ra->lock);
        ra->busy = false;
        if (ra->streaming) { /* not stopped meanwhile */
            s->addr = addr;
            s->got = got;
            ra->filled++;
            ra->next_addr = addr + got;
            if (got < want)
                ra->streaming = false; /* unreadable from here: the caller reads it itself */
        }
        pthread_cond_broadcast(&ra->cond);
    }
    pthread_mutex_unlock(&ra->lock);
    return NULL;
}

vm_read_ahead *vm_read_ahead_new(const vm_memreader *mem, size_t window, bool threaded)
{
    vm_read_ahead *ra = calloc(1, sizeof *ra);
    if (!ra)
        return NULL;
    ra->mem = mem;
    ra->window = window < VM_READ_AHEAD_SLACK ? VM_READ_AHEAD_SLACK : window;
    size_t nslots = threaded ? RING : 1;
    for (size_t i = 0; i < nslots; i++)
        if (!(ra->ring[i].buf = malloc(VM_READ_AHEAD_SLACK + ra->window))) {
            for (size_t k = 0; k < i; k++)
                free(ra->ring[k].buf);
            free(ra);
            return NULL;
        }
    ra->data = ra->ring[0].buf + VM_READ_AHEAD_SLACK;
    if (threaded && pthread_mutex_init(&ra->lock, NULL) == 0) {
        if (pthread_cond_init(&ra->cond, NULL) == 0) {
            ra->threaded = pthread_create(&ra->thread, NULL, stream_main, ra) == 0;
            if (!ra->threaded)
                pthread_cond_destroy(&ra->cond);
        }
        if (!ra->threaded)
            pthread_mutex_destroy(&ra->lock);
    }
    return ra;
}

/* Stops the stream and waits until the thread reads nothing; the caller's window stays. */
static void stop_stream(vm_read_ahead *ra)
{
    pthread_mutex_lock(&ra->lock);
    ra->streaming = false;
    while (ra->busy)
        pthread_cond_wait(&ra->cond, &ra->lock);
    pthread_mutex_unlock(&ra->lock);
}

void vm_read_ahead_quiet(vm_read_ahead *ra)
{
    if (ra && ra->threaded)
        stop_stream(ra);
}

void vm_read_ahead_free(vm_read_ahead *ra)
{
    if (!ra)
        return;
    if (ra->threaded) {
        pthread_mutex_lock(&ra->lock);
        ra->stop = true;
        ra->streaming = false;
        pthread_cond_broadcast(&ra->cond);
        pthread_mutex_unlock(&ra->lock);
        pthread_join(ra->thread, NULL);
        pthread_cond_destroy(&ra->cond);
        pthread_mutex_destroy(&ra->lock);
    }
    for (size_t i = 0; i < RING; i++)
        free(ra->ring[i].buf);
    free(ra);
}

/* Starts streaming the windows after the caller's current one (slot cur), up to limit. */
static void start_stream(vm_read_ahead *ra, uint64_t limit)
{
    uint64_t end = ra->base + ra->len;
    if (!ra->threaded || ra->len == 0 || end >= limit || end < ra->base)
        return;
    pthread_mutex_lock(&ra->lock);
    ra->filled = ra->consumed = ra->cur + 1; /* the caller holds slot cur = consumed - 1 */
    ra->next_addr = end;
    ra->limit = limit;
    ra->streaming = true;
    pthread_cond_broadcast(&ra->cond);
    pthread_mutex_unlock(&ra->lock);
}

/* Moves to the next window of the stream when it holds addr (addr at or past the current
 * window's end, or within SLACK before it): waits for it, joins the tail of the current one in
 * front, hands the old slot back to the thread.  False when the stream cannot serve addr. */
static bool next_window(vm_read_ahead *ra, uint64_t addr)
{
    uint64_t end = ra->base + ra->len;
    pthread_mutex_lock(&ra->lock);
    /* Waits only for a window the thread will still read: once the stream has reached its
     * limit, nothing more comes (a request beyond it is read afresh). */
    while (ra->streaming && ra->filled == ra->consumed && ra->next_addr < ra->limit)
        pthread_cond_wait(&ra->cond, &ra->lock);
    bool ready = ra->filled > ra->consumed;
    pthread_mutex_unlock(&ra->lock);
    if (!ready)
        return false;
    slot *s = &ra->ring[ra->consumed % RING];
    if (s->addr != end || (addr > end && addr - end >= s->got))
        return false;
    uint8_t *next = s->buf + VM_READ_AHEAD_SLACK;
    if (addr <= end) {
        size_t tail = (size_t)(end - addr);
        memcpy(next - tail, ra->data + (ra->len - tail), tail);
        ra->data = next - tail;
        ra->len = tail + s->got;
    } else {
        ra->data = next + (addr - end);
        ra->len = s->got - (size_t)(addr - end);
    }
    ra->base = addr;
    ra->cur = ra->consumed % RING;
    pthread_mutex_lock(&ra->lock);
    ra->consumed++; /* the previous slot is the thread's again */
    pthread_cond_broadcast(&ra->cond);
    pthread_mutex_unlock(&ra->lock);
    return true;
}

const uint8_t *vm_read_ahead_get(vm_read_ahead *ra, uint64_t addr, size_t len, uint64_t limit)
{
    uint64_t off = addr - ra->base;
    if (addr >= ra->base && off <= ra->len && len <= ra->len - off)
        return ra->data + off;
    if (len > ra->window || addr >= limit || limit - addr < len)
        return NULL;
    uint64_t end = ra->base + ra->len;
    bool sequential = ra->threaded && ra->len && addr >= ra->base && (addr > end || end - addr <= VM_READ_AHEAD_SLACK);
    if (sequential && next_window(ra, addr) && ra->len >= len)
        return ra->data; /* the stream goes on by itself */
    if (ra->threaded)
        stop_stream(ra);
    size_t want = limit - addr < ra->window ? (size_t)(limit - addr) : ra->window;
    ra->cur = 0;
    ra->data = ra->ring[0].buf + VM_READ_AHEAD_SLACK;
    ra->base = addr;
    ra->len = read_all(ra->mem, addr, ra->ring[0].buf + VM_READ_AHEAD_SLACK, want);
    if (ra->len < len)
        return NULL;
    start_stream(ra, limit);
    return ra->data;
}

const uint8_t *vm_read_ahead_window(const vm_read_ahead *ra, uint64_t *base, size_t *len)
{
    *base = ra->base;
    *len = ra->len;
    return ra->data;
}
