/* Read-ahead of read_ahead.h: two buffers, each VM_READ_AHEAD_SLACK + window bytes; the current
 * window lives in one, the next is read into the other past its slack, so that the tail of the
 * current window (a header cut by the boundary) can be copied in front of it. */
#include "read_ahead.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { IDLE, PENDING, DONE, STOP };

struct vm_read_ahead {
    const vm_memreader *mem;
    size_t window;
    uint8_t *buf[2];
    int cur;                /* buf[cur] holds the current window */
    const uint8_t *data;    /* the current window's first byte */
    uint64_t base;          /* its address */
    size_t len;
    /* the read ahead: into buf[!cur] + SLACK, guarded by lock */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int state;
    uint64_t ahead_addr;
    size_t ahead_want, ahead_got;
};

/* All of [addr, addr + want) that the target gives, partial reads continued. */
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

static void *ahead_main(void *arg)
{
    vm_read_ahead *ra = arg;
    pthread_mutex_lock(&ra->lock);
    for (;;) {
        while (ra->state != PENDING && ra->state != STOP)
            pthread_cond_wait(&ra->cond, &ra->lock);
        if (ra->state == STOP)
            break;
        uint64_t addr = ra->ahead_addr;
        size_t want = ra->ahead_want;
        uint8_t *dst = ra->buf[!ra->cur] + VM_READ_AHEAD_SLACK;
        pthread_mutex_unlock(&ra->lock);
        size_t got = read_all(ra->mem, addr, dst, want);
        pthread_mutex_lock(&ra->lock);
        ra->ahead_got = got;
        ra->state = DONE;
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
    ra->buf[0] = malloc(VM_READ_AHEAD_SLACK + ra->window);
    ra->buf[1] = threaded ? malloc(VM_READ_AHEAD_SLACK + ra->window) : NULL;
    if (!ra->buf[0] || (threaded && !ra->buf[1])) {
        free(ra->buf[0]);
        free(ra->buf[1]);
        free(ra);
        return NULL;
    }
    ra->data = ra->buf[0] + VM_READ_AHEAD_SLACK;
    if (threaded && pthread_mutex_init(&ra->lock, NULL) == 0) {
        if (pthread_cond_init(&ra->cond, NULL) == 0) {
            ra->threaded = pthread_create(&ra->thread, NULL, ahead_main, ra) == 0;
            if (!ra->threaded)
                pthread_cond_destroy(&ra->cond);
        }
        if (!ra->threaded)
            pthread_mutex_destroy(&ra->lock);
    }
    return ra;
}

void vm_read_ahead_quiet(vm_read_ahead *ra)
{
    if (!ra || !ra->threaded)
        return;
    pthread_mutex_lock(&ra->lock);
    while (ra->state == PENDING)
        pthread_cond_wait(&ra->cond, &ra->lock);
    ra->state = IDLE;
    pthread_mutex_unlock(&ra->lock);
}

void vm_read_ahead_free(vm_read_ahead *ra)
{
    if (!ra)
        return;
    if (ra->threaded) {
        vm_read_ahead_quiet(ra);
        pthread_mutex_lock(&ra->lock);
        ra->state = STOP;
        pthread_cond_broadcast(&ra->cond);
        pthread_mutex_unlock(&ra->lock);
        pthread_join(ra->thread, NULL);
        pthread_cond_destroy(&ra->cond);
        pthread_mutex_destroy(&ra->lock);
    }
    free(ra->buf[0]);
    free(ra->buf[1]);
    free(ra);
}

/* Starts reading the window after the current one, up to limit. */
static void ahead(vm_read_ahead *ra, uint64_t limit)
{
    uint64_t end = ra->base + ra->len;
    if (!ra->threaded || ra->len == 0 || end >= limit || end < ra->base)
        return;
    pthread_mutex_lock(&ra->lock);
    ra->ahead_addr = end;
    ra->ahead_want = limit - end < ra->window ? (size_t)(limit - end) : ra->window;
    ra->state = PENDING;
    pthread_cond_broadcast(&ra->cond);
    pthread_mutex_unlock(&ra->lock);
}

/* The window read ahead, from addr on: joined to the tail [addr, end) of the current window when
 * addr is before its end, else entered at addr.  False when there is none (or addr lies past
 * what it read): then nothing is in flight any more. */
static bool take_ahead(vm_read_ahead *ra, uint64_t addr)
{
    uint64_t end = ra->base + ra->len;
    pthread_mutex_lock(&ra->lock);
    bool usable = (ra->state == PENDING || ra->state == DONE) && ra->ahead_addr == end;
    while (usable && ra->state == PENDING)
        pthread_cond_wait(&ra->cond, &ra->lock);
    size_t got = ra->ahead_got;
    ra->state = IDLE;
    pthread_mutex_unlock(&ra->lock);
    if (!usable || (addr > end && addr - end >= got))
        return false;
    uint8_t *next = ra->buf[!ra->cur] + VM_READ_AHEAD_SLACK;
    if (addr <= end) {
        size_t tail = (size_t)(end - addr);
        memcpy(next - tail, ra->data + (ra->len - tail), tail);
        ra->data = next - tail;
        ra->len = tail + got;
    } else {
        ra->data = next + (addr - end);
        ra->len = got - (size_t)(addr - end);
    }
    ra->cur = !ra->cur;
    ra->base = addr;
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
    bool joined = ra->threaded && ra->len && addr >= ra->base && (addr > end || end - addr <= VM_READ_AHEAD_SLACK) &&
                  take_ahead(ra, addr);
    if (!joined) {
        vm_read_ahead_quiet(ra);
        size_t want = limit - addr < ra->window ? (size_t)(limit - addr) : ra->window;
        ra->data = ra->buf[ra->cur] + VM_READ_AHEAD_SLACK;
        ra->base = addr;
        ra->len = read_all(ra->mem, addr, ra->buf[ra->cur] + VM_READ_AHEAD_SLACK, want);
    }
    if (ra->len < len)
        return NULL;
    ahead(ra, limit);
    return ra->data;
}

const uint8_t *vm_read_ahead_window(const vm_read_ahead *ra, uint64_t *base, size_t *len)
{
    *base = ra->base;
    *len = ra->len;
    return ra->data;
}
