#include "heap_note_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json.h"
#include "report/text_heaps.h"
#include "vmmap/capture/heap_step.h"
#include "vmmap/util/xalloc.h"

static bool note_has(const vm_snapshot *s, const char *needle, const char *where, char *why, size_t len)
{
    const vm_heap *h = s->nheaps ? &s->heaps[0] : NULL;
    if (!h || !h->stats_known || !h->walk_note || !strstr(h->walk_note, needle)) {
        snprintf(why, len, "%s: heap %s, walk_note \"%s\", want one holding \"%s\"", where,
                 h && h->stats_known ? "walked" : "not walked", h && h->walk_note ? h->walk_note : "(null)", needle);
        return false;
    }
    return true;
}

/* The view's note line of heap 0 holds needle. */
static bool view_has(const vm_snapshot *s, const char *kind, const char *needle, char *why, size_t len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&text, &n);
    vm_heaps_view_options opt = {.heap = -1, .top = 0, .color = false};
    int rc = out ? vm_text_heaps(out, s, &opt) : -1;
    if (out)
        fclose(out);
    char head[64];
    snprintf(head, sizeof head, "\nHeap 0 (%s):", kind);
    const char *line = rc == 0 && text ? strstr(text, head) : NULL;
    const char *eol = line ? strchr(line + 1, '\n') : NULL;
    bool ok = line && eol && memmem(line, (size_t)(eol - line), needle, strlen(needle));
    if (!ok)
        snprintf(why, len, "vmmap heaps' view has no \"%s ... %s\" line:\n%s", head + 1, needle, text ? text : "");
    free(text);
    return ok;
}

bool hn_note_reaches_view(const vm_memreader *mem, int bits, const char *os, const char *kind, uint64_t address,
                          const char *needle, char *why, size_t len)
{
    vm_snapshot *s = vm_snapshot_new();
    s->process.bits = bits;
    s->process.name = vm_strdup("synthetic");
    s->os = os ? vm_strdup(os) : NULL;
    s->tool_version = vm_strdup("t");
    s->page_size = s->alloc_granularity = 4096;
    s->user_top = bits == 32 ? 0x80000000ull : 0x800000000000ull;
    vm_heap *h = vm_snapshot_add_heap(s);
    h->id = 0;
    h->kind = vm_strdup(kind);
    h->address = address;
    vm_heap_part *p = vm_heap_add_part(h);
    p->address = address;
    p->size = p->committed = 0x1000;
    vm_error err = {0};
    bool ok = vm_heap_stats_fill(mem, s, true, NULL, &err) == 0;
    if (!ok)
        snprintf(why, len, "the heap step failed: %s", err.msg);
    ok = ok && note_has(s, needle, "the snapshot", why, len) && view_has(s, kind, needle, why, len);
    char *text = ok ? vm_snapshot_to_json(s, 0) : NULL;
    vm_snapshot *back = text ? vm_snapshot_from_json(text, strlen(text), "t.json", &err) : NULL;
    if (ok && !back)
        snprintf(why, len, "the snapshot does not load again: %s", text ? err.msg : "not written");
    ok = ok && back && note_has(back, needle, "read back from JSON", why, len) && view_has(back, kind, needle, why, len);
    free(text);
    vm_snapshot_free(back);
    vm_snapshot_free(s);
    return ok;
}
