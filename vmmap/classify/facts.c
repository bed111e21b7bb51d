#include "facts.h"

#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "classify.h"

vm_raw_block *vm_facts_add_block(vm_facts *f)
{
    return vm_array_push((void **)&f->blocks, &f->nblocks, sizeof *f->blocks);
}

void vm_facts_free_blocks(vm_facts *f)
{
    vm_classify_state_free(f);
    for (size_t i = 0; i < f->nblocks; i++) {
        free(f->blocks[i].path);
        free(f->blocks[i].note);
    }
    free(f->blocks);
    f->blocks = NULL;
    f->nblocks = 0;
}

void vm_facts_release(vm_facts *f)
{
    void (*release)(vm_facts *) = f->release;
    f->release = NULL;
    if (release)
        release(f);
    memset(&f->mem, 0, sizeof f->mem);
    f->source_ctx = NULL;
}
