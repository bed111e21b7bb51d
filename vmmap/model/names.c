/* Names of the model's enumerations: VMMap's words for people, stable keys for JSON. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "snapshot.h"

static const char *const kind_names[VM_KIND_COUNT] = {
    "Image", "Mapped File", "Shareable", "Heap", "Managed Heap",
    "Stack", "Private Data", "Page Table", "Unusable", "Free",
};

/* Short forms accepted on the command line (--type heap,stack). */
static const struct {
    const char *word;
    vm_kind kind;
} kind_aliases[] = {
    {"image", VM_KIND_IMAGE},         {"mapped", VM_KIND_MAPPED_FILE},
    {"mappedfile", VM_KIND_MAPPED_FILE}, {"mapped-file", VM_KIND_MAPPED_FILE},
    {"file", VM_KIND_MAPPED_FILE},    {"shareable", VM_KIND_SHAREABLE},
    {"heap", VM_KIND_HEAP},           {"managed", VM_KIND_MANAGED_HEAP},
    {"managed-heap", VM_KIND_MANAGED_HEAP}, {"stack", VM_KIND_STACK},
    {"private", VM_KIND_PRIVATE_DATA}, {"private-data", VM_KIND_PRIVATE_DATA},
    {"pagetable", VM_KIND_PAGE_TABLE}, {"page-table", VM_KIND_PAGE_TABLE},
    {"unusable", VM_KIND_UNUSABLE},   {"free", VM_KIND_FREE},
};

bool vm_heap_kind_has_no_address(const char *kind)
{
    return kind && strcmp(kind, "glibc mmap chunks") == 0;
}

const char *vm_kind_name(vm_kind k)
{
    return (unsigned)k < VM_KIND_COUNT ? kind_names[k] : "?";
}

bool vm_kind_parse(const char *s, vm_kind *out)
{
    for (int k = 0; k < VM_KIND_COUNT; k++)
        if (strcasecmp(s, kind_names[k]) == 0) {
            *out = (vm_kind)k;
            return true;
        }
    for (size_t i = 0; i < sizeof kind_aliases / sizeof kind_aliases[0]; i++)
        if (strcasecmp(s, kind_aliases[i].word) == 0) {
            *out = kind_aliases[i].kind;
            return true;
        }
    return false;
}

static const char *const state_names[VM_STATE_COUNT] = {"commit", "reserve", "free"};

const char *vm_state_name(vm_state st)
{
    return (unsigned)st < VM_STATE_COUNT ? state_names[st] : "?";
}

bool vm_state_parse(const char *s, vm_state *out)
{
    for (int i = 0; i < VM_STATE_COUNT; i++)
        if (strcmp(s, state_names[i]) == 0) {
            *out = (vm_state)i;
            return true;
        }
    return false;
}

static const char *const memtype_names[VM_MEMTYPE_COUNT] = {"none", "private", "mapped", "image"};

const char *vm_memtype_name(vm_memtype t)
{
    return (unsigned)t < VM_MEMTYPE_COUNT ? memtype_names[t] : "?";
}

bool vm_memtype_parse(const char *s, vm_memtype *out)
{
    for (int i = 0; i < VM_MEMTYPE_COUNT; i++)
        if (strcmp(s, memtype_names[i]) == 0) {
            *out = (vm_memtype)i;
            return true;
        }
    return false;
}

static const char *const counter_keys[VM_C_COUNT] = {
    "committed", "private", "total_ws", "private_ws", "shareable_ws",
    "shared_ws", "locked_ws", "pss", "swap",
};
static const char *const counter_titles[VM_C_COUNT] = {
    "Committed", "Private", "Total WS", "Private WS", "Shareable WS",
    "Shared WS", "Locked WS", "Pss", "Swap",
};

const char *vm_counter_name(vm_counter c)
{
    return (unsigned)c < VM_C_COUNT ? counter_keys[c] : "?";
}

const char *vm_counter_title(vm_counter c)
{
    return (unsigned)c < VM_C_COUNT ? counter_titles[c] : "?";
}

/* ---- protection -------------------------------------------------------------------------- */

/* Access words in VMMap's order, then modifiers.  "Write Copy" stands for COPY (with WRITE). */
static const struct {
    const char *word;
    uint32_t bits;
} prot_words[] = {
    {"Execute", VM_PROT_EXEC},   {"Read", VM_PROT_READ},           {"Write Copy", VM_PROT_COPY},
    {"Write", VM_PROT_WRITE},    {"Guard", VM_PROT_GUARD},         {"No cache", VM_PROT_NOCACHE},
    {"Write combine", VM_PROT_WCOMBINE},
};

void vm_prot_format(uint32_t prot, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (!(prot & (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC | VM_PROT_COPY))) {
        used = (size_t)snprintf(buf, len, "No access");
        if (used >= len)
            return;
    }
    for (size_t i = 0; i < sizeof prot_words / sizeof prot_words[0]; i++) {
        uint32_t bits = prot_words[i].bits;
        if (!(prot & bits))
            continue;
        /* COPY implies write access: do not also print "Write". */
        if (bits == VM_PROT_WRITE && (prot & VM_PROT_COPY))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? "/" : "", prot_words[i].word);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

bool vm_prot_parse(const char *s, uint32_t *out)
{
    uint32_t prot = 0;
    const char *p = s;
    if (strncmp(p, "No access", 9) == 0) {
        p += 9;
        if (*p == '/')
            p++;
        else if (*p) {
            return false;
        }
    }
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        bool found = false;
        for (size_t i = 0; i < sizeof prot_words / sizeof prot_words[0]; i++)
            if (strlen(prot_words[i].word) == n && strncmp(p, prot_words[i].word, n) == 0) {
                prot |= prot_words[i].bits;
                if (prot_words[i].bits == VM_PROT_COPY)
                    prot |= VM_PROT_WRITE;
                found = true;
                break;
            }
        if (!found)
            return false;
        p += n;
        if (*p == '/') {
            p++;
            if (!*p)
                return false;
        }
    }
    *out = prot;
    return true;
}
