#include "block_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

bool block_log_visit(void *ctx, const vm_hblock *b)
{
    block_log *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        vm_hblock *grown = realloc(l->blocks, cap * sizeof *grown);
        if (!grown) {
            fprintf(stderr, "block_log: out of memory\n");
            abort();
        }
        l->blocks = grown;
        l->cap = cap;
    }
    l->blocks[l->n++] = *b;
    if (b->state < VM_HBLOCK_STATE_COUNT) {
        l->count[b->state]++;
        l->bytes[b->state] += b->size;
    }
    return !l->stop_after || l->n < l->stop_after;
}

void block_log_free(block_log *l)
{
    free(l->blocks);
    l->blocks = NULL;
    l->n = l->cap = 0;
}

bool block_log_matches(const block_log *l, size_t at, const block_expect *want, size_t n, int32_t heap_id,
                       char *why, size_t whylen)
{
    if (at > l->n || n > l->n - at) {
        snprintf(why, whylen, "%zu blocks logged, want %zu from %zu on", l->n, n, at);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const vm_hblock *b = &l->blocks[at + i];
        const block_expect *e = &want[i];
        if (b->address != e->address || b->size != e->size || b->state != e->state || b->user != e->user ||
            b->user_size != e->user_size || b->heap_id != heap_id) {
            snprintf(why, whylen, "block %zu: 0x%" PRIx64 " +0x%" PRIx64 " state %d user 0x%" PRIx64 " +0x%" PRIx64
                     " heap %d; want 0x%" PRIx64 " +0x%" PRIx64 " state %d user 0x%" PRIx64 " +0x%" PRIx64 " heap %d",
                     at + i, b->address, b->size, (int)b->state, b->user, b->user_size, (int)b->heap_id, e->address,
                     e->size, (int)e->state, e->user, e->user_size, (int)heap_id);
            return false;
        }
    }
    return true;
}
