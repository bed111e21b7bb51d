#include "json_arena.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#define CHUNK_BYTES ((size_t)1 << 20)
#define ALIGN 16

typedef struct chunk {
    struct chunk *prev;
    size_t used, size;
    _Alignas(ALIGN) unsigned char data[];
} chunk;

static _Thread_local chunk *current; /* this thread's newest chunk */

static void *arena_malloc(size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n == 0 || n > SIZE_MAX / 2)
        return NULL;
    if (!current || current->size - current->used < n) {
        size_t size = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        chunk *c = malloc(sizeof *c + size);
        if (!c)
            return NULL; /* cJSON reports the failure as a parse error */
        c->prev = current;
        c->used = 0;
        c->size = size;
        current = c;
    }
    void *p = current->data + current->used;
    current->used += n;
    return p;
}

static void arena_free(void *p)
{
    (void)p; /* everything goes at once in vm_json_arena_end */
}

void vm_json_arena_begin(void)
{
    cJSON_Hooks hooks = {arena_malloc, arena_free};
    cJSON_InitHooks(&hooks);
}

static void free_chunks(chunk *c)
{
    while (c) {
        chunk *prev = c->prev;
        free(c);
        c = prev;
    }
}

void vm_json_arena_rewind(void)
{
    if (!current)
        return;
    free_chunks(current->prev);
    current->prev = NULL;
    current->used = 0;
}

void vm_json_arena_thread_end(void)
{
    free_chunks(current);
    current = NULL;
}

void vm_json_arena_pause(void)
{
    cJSON_InitHooks(NULL);
    vm_json_arena_rewind();
}

void vm_json_arena_end(void)
{
    cJSON_InitHooks(NULL); /* back to malloc and free */
    vm_json_arena_thread_end();
}
