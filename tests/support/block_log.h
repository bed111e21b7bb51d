/* A heap block visitor for tests (heap_blocks.h): keeps every block it is shown and counts them
 * per state, and can stop the walk after a given number of blocks.  Test support only. */
#ifndef VMMAP_TESTS_SUPPORT_BLOCK_LOG_H
#define VMMAP_TESTS_SUPPORT_BLOCK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmmap/parse/heap_blocks.h"

typedef struct block_log {
    vm_hblock *blocks;
    size_t n, cap;
    uint64_t count[VM_HBLOCK_STATE_COUNT], bytes[VM_HBLOCK_STATE_COUNT];
    size_t stop_after;  /* 0: never stop */
} block_log;

/* The visitor: ctx is a block_log. */
bool block_log_visit(void *ctx, const vm_hblock *b);
void block_log_free(block_log *l);

#endif
