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

/* A block a test expects. */
typedef struct block_expect {
    uint64_t address, size, user, user_size;
    vm_hblock_state state;
} block_expect;

/* Whether blocks at .. at+n of the log are want[0 .. n), each of heap heap_id; when not, why
 * says the first difference. */
bool block_log_matches(const block_log *l, size_t at, const block_expect *want, size_t n, int32_t heap_id,
                       char *why, size_t whylen);

#endif
