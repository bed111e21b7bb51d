/* A region's JSON written straight as text, in cJSON's own layout (json_sink.h).
 *
 * Regions are nearly all of a snapshot's text (60,000 regions: ~30 MB), and building each as
 * cJSON items (a dozen nodes and strings per block) and printing them cost more than the rest of
 * the writer together.  The text is cJSON's, byte for byte (tests/unit/test_json.c checks it
 * against cJSON_Print and cJSON_PrintUnformatted of the same document):
 *   - pretty: an object is "{\n", its members one per line indented by tabs ("\t\"key\":\tvalue"),
 *     separated by ",\n", then "\n", one tab fewer and "}"; an array is "[", its elements
 *     separated by ", ", "]";
 *   - compact: the same without the tabs, newlines and the spaces after ", " and ":";
 *   - strings escape '"', '\\', \b \f \n \r \t and the other bytes below 0x20 as \u00xx (lowercase
 *     hex); every other byte, UTF-8 or not, is written as it is;
 *   - integers are raw digits, addresses "0x..." strings, what is unknown null. */
#include <string.h>

#include "json_sink.h"

/* Tab depth of a region's members inside the document: top object 1, "regions" array 2. */
#define REGION_LEVEL 3

/* Text for every protection value (7 bits): formatted once per call of the batch, not per block. */
typedef struct prot_texts {
    bool have[VM_PROT_ALL + 1];
    char text[VM_PROT_ALL + 1][96];
} prot_texts;

static const char *prot_text(prot_texts *pt, uint32_t prot)
{
    prot &= VM_PROT_ALL;
    if (!pt->have[prot]) {
        vm_prot_format(prot, pt->text[prot], sizeof pt->text[prot]);
        pt->have[prot] = true;
    }
    return pt->text[prot];
}

typedef struct out {
    char *p;
    bool pretty;
} out;

static inline void put(out *o, const char *s, size_t n)
{
    memcpy(o->p, s, n);
    o->p += n;
}
#define PUT(o, lit) put(o, lit, sizeof lit - 1)

static inline void tabs(out *o, int n)
{
    while (n-- > 0)
        *o->p++ = '\t';
}

/* A member's key, after the separator from the previous member (none before the first). */
static void key(out *o, const char *k, int level, bool first)
{
    if (!first) {
        *o->p++ = ',';
        if (o->pretty)
            *o->p++ = '\n';
    }
    if (o->pretty)
        tabs(o, level);
    *o->p++ = '"';
    put(o, k, strlen(k)); /* our own keys: plain ASCII */
    *o->p++ = '"';
    *o->p++ = ':';
    if (o->pretty)
        *o->p++ = '\t';
}

static void open_object(out *o)
{
    *o->p++ = '{';
    if (o->pretty)
        *o->p++ = '\n';
}

/* After at least one member. */
static void close_object(out *o, int level)
{
    if (o->pretty) {
        *o->p++ = '\n';
        tabs(o, level - 1);
    }
    *o->p++ = '}';
}

/* Bytes a string can take at most written (6 per byte: \u00xx), with its quotes. */
static size_t str_room(const char *s)
{
    return s ? 6 * strlen(s) + 2 : 4;
}

static void str(out *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        PUT(o, "null");
        return;
    }
    *o->p++ = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c > 31 && *c != '"' && *c != '\\') {
            *o->p++ = (char)*c;
            continue;
        }
        *o->p++ = '\\';
        switch (*c) {
        case '"': *o->p++ = '"'; break;
        case '\\': *o->p++ = '\\'; break;
        case '\b': *o->p++ = 'b'; break;
        case '\f': *o->p++ = 'f'; break;
        case '\n': *o->p++ = 'n'; break;
        case '\r': *o->p++ = 'r'; break;
        case '\t': *o->p++ = 't'; break;
        default:
            PUT(o, "u00");
            *o->p++ = hex[*c >> 4];
            *o->p++ = hex[*c & 15];
            break;
        }
    }
    *o->p++ = '"';
}

static void u64(out *o, uint64_t v)
{
    char buf[24], *q = buf + sizeof buf;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, q, (size_t)(buf + sizeof buf - q));
}

static void i64(out *o, int64_t v)
{
    if (v < 0) {
        *o->p++ = '-';
        u64(o, (uint64_t)0 - (uint64_t)v); /* -INT64_MIN does not fit in an int64_t */
    } else {
        u64(o, (uint64_t)v);
    }
}

static void hex(out *o, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[20], *q = buf + sizeof buf;
    do {
        *--q = digits[v & 15];
        v >>= 4;
    } while (v);
    PUT(o, "\"0x");
    put(o, q, (size_t)(buf + sizeof buf - q));
    *o->p++ = '"';
}

/* Longest block text apart from its strings: 16 members of at most ~40 bytes (key, tabs, value)
 * and the heap link's two; generous. */
#define BLOCK_ROOM 1024

static void block(out *o, const vm_block *b, int level, prot_texts *pt)
{
    open_object(o);
    key(o, "address", level, true);
    hex(o, b->address);
    key(o, "size", level, false);
    u64(o, b->size);
    key(o, "state", level, false);
    str(o, vm_state_name(b->state));
    key(o, "protection", level, false);
    str(o, prot_text(pt, b->protection));
    key(o, "memtype", level, false);
    str(o, vm_memtype_name(b->memtype));
    key(o, "type", level, false);
    str(o, vm_kind_name(b->kind));
    for (int c = 0; c < VM_C_COUNT; c++) {
        key(o, vm_counter_name((vm_counter)c), level, false);
        if ((b->counters.known >> c) & 1u)
            u64(o, b->counters.v[c]);
        else
            PUT(o, "null");
    }
    /* Links: each left out when absent. */
    if (b->details) {
        key(o, "details", level, false);
        str(o, b->details);
    }
    if (b->path) {
        key(o, "path", level, false);
        str(o, b->path);
    }
    if (b->heap_id >= 0) {
        key(o, "heap", level, false);
        open_object(o);
        key(o, "id", level + 1, true);
        i64(o, b->heap_id);
        key(o, "part", level + 1, false);
        if (b->heap_part >= 0)
            i64(o, b->heap_part);
        else
            PUT(o, "null");
        close_object(o, level + 1);
    }
    if (b->thread_id) {
        key(o, "thread", level, false);
        u64(o, b->thread_id);
    }
    if (b->module >= 0) {
        key(o, "module", level, false);
        i64(o, b->module);
    }
    close_object(o, level);
}

static size_t region_room(const vm_region *r)
{
    size_t n = 512 + str_room(r->details);
    for (size_t j = 0; j < r->nblocks; j++)
        n += BLOCK_ROOM + str_room(r->blocks[j].details) + str_room(r->blocks[j].path);
    return n;
}

void vm_json_region_text(sink *k, const vm_snapshot *s, size_t i, bool pretty)
{
    static _Thread_local prot_texts pt; /* formatting is the same every time: keep what was made */
    const vm_region *r = &s->regions[i];
    if (!vm_sink_reserve(k, region_room(r)))
        return;
    out o = {k->buf + k->len, pretty};
    const int level = REGION_LEVEL;
    open_object(&o);
    key(&o, "address", level, true);
    hex(&o, r->address);
    key(&o, "size", level, false);
    u64(&o, r->size);
    key(&o, "type", level, false);
    str(&o, vm_kind_name(r->kind));
    key(&o, "details", level, false);
    str(&o, r->details);
    key(&o, "blocks", level, false);
    *o.p++ = '[';
    for (size_t j = 0; j < r->nblocks; j++) {
        if (j)
            pretty ? PUT(&o, ", ") : PUT(&o, ",");
        block(&o, &r->blocks[j], level + 2, &pt);
    }
    *o.p++ = ']';
    close_object(&o, level);
    k->len = (size_t)(o.p - k->buf);
    k->buf[k->len] = '\0';
}
