#include "block_log.h"

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
