#include <stdlib.h>

#include "../util/xalloc.h"
#include "source.h"

vm_raw_block *vm_facts_add_block(vm_facts *f)
{
    return vm_array_push((void **)&f->blocks, &f->nblocks, sizeof *f->blocks);
}

void vm_facts_free_blocks(vm_facts *f)
{
    for (size_t i = 0; i < f->nblocks; i++) {
        free(f->blocks[i].path);
        free(f->blocks[i].note);
    }
    free(f->blocks);
    f->blocks = NULL;
    f->nblocks = 0;
}
