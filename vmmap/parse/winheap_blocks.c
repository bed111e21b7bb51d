/* The Windows-family block walk's entry point (see winheap_blocks.h): identifies the heap by its
 * signatures, in nt_heaps.c's order, and hands it to its walker. */
#include "winheap_blocks.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ntheap.h"
#include "segheap.h"
#include "winheap_emit.h"
#include "wineheap.h"

bool vm_winemit_block(vm_winemit *w, uint64_t address, uint64_t size, uint64_t user, uint64_t user_size,
                      vm_hblock_state state)
{
    vm_hblock b = {.address = address, .size = size, .user = user, .user_size = user_size, .state = state,
                   .heap_id = w->heap_id};
    vm_walk_progress_add(w->progress, size); /* every walker's blocks pass here */
    if (!w->visit(w->ctx, &b))
        w->stopped = true;
    return !w->stopped;
}

void vm_winemit_missing(vm_winemit *w, const char *fmt, ...)
{
    char words[sizeof w->info->not_counted];
    va_list ap;
    w->info->complete = false;
    if (!fmt)
        return;
    va_start(ap, fmt);
    vsnprintf(words, sizeof words, fmt, ap);
    va_end(ap);
    char *have = w->info->not_counted;
    if (strstr(have, words))
        return;
    size_t used = strlen(have);
    snprintf(have + used, sizeof w->info->not_counted - used, "%s%s", used ? "; " : "", words);
}

void vm_winemit_warn(vm_winemit *w, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!w->snap)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vm_snapshot_warn(w->snap, code, "%s heap 0x%" PRIx64 ": %s", w->info->kind ? w->info->kind : "", w->heap, msg);
}


static bool has_warning(const vm_snapshot *s, const vm_warning *w)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        if (strcmp(s->warnings[i].code, w->code) == 0 && strcmp(s->warnings[i].message, w->message) == 0)
            return true;
    return false;
}

int vm_winemit_map(vm_winemit *w, vm_winemit_map_fn walk, vm_winheap *h)
{
    vm_snapshot *scratch = vm_snapshot_new();  /* NULL when out of memory: then no warnings */
    vm_winheap_status st = walk(w->mem, w->bits, w->heap, w->os_build, h, scratch);
    if (scratch && scratch->nwarnings)
        vm_winemit_missing(w, "some parts not walked (see the heap's warnings)");
    for (size_t i = 0; scratch && w->snap && i < scratch->nwarnings; i++)
        if (!has_warning(w->snap, &scratch->warnings[i]))
            vm_snapshot_warn(w->snap, scratch->warnings[i].code, "%s", scratch->warnings[i].message);
    vm_snapshot_free(scratch);
    if (st == VM_WINHEAP_OOM)
        return -1;
    if (st != VM_WINHEAP_OK) {
        vm_winemit_missing(w, "no blocks: the heap header is not readable");
        return 0;
    }
    return 1;
}

bool vm_winheap_blocks(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build, int32_t heap_id,
                       vm_hblock_visit visit, void *ctx, vm_snapshot *snap, vm_walk_progress *progress,
                       vm_winheap_walk_info *info)
{
    vm_winheap_walk_info own;
    if (!info)
        info = &own;
    memset(info, 0, sizeof *info);
    info->complete = true;
    vm_winemit w = {.mem = mem, .bits = bits == 32 ? 32 : 64, .heap = heap, .os_build = os_build,
                    .heap_id = heap_id, .visit = visit, .ctx = ctx, .snap = snap, .info = info,
                    .progress = progress};
    bool (*walk)(vm_winemit *) = NULL;
    if (vm_segheap_probe(mem, w.bits, heap)) {
        info->kind = "segment";
        walk = vm_segheap_blocks;
    } else if (vm_ntheap_has_signature(mem, w.bits, heap)) {
        info->kind = "NT";
        walk = vm_ntheap_blocks;
    } else if (vm_wineheap_probe(mem, w.bits, heap)) {
        info->kind = "Wine";
        walk = vm_wineheap_blocks;
    }
    if (!walk) {
        info->complete = false;
        snprintf(info->not_counted, sizeof info->not_counted,
                 "not walked: neither an NT, a segment nor a Wine heap at this address (or not readable)");
        if (snap)
            vm_snapshot_warn(snap, "heap-invalid", "heap 0x%" PRIx64 ": blocks not walked (neither an NT, a segment "
                             "nor a Wine heap, or not readable)", heap);
        return true;
    }
    if (!vm_memwindow_init(&w.win, mem))
        return false;
    bool ok = walk(&w);
    vm_memwindow_free(&w.win);
    info->stopped = w.stopped;
    return ok && !w.stopped;
}
