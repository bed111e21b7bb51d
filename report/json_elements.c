/* The big arrays' elements (regions, modules, threads) written straight as text, in cJSON's own
 * layout (json_sink.h).
 *
 * Regions are nearly all of a snapshot's text (60,000 regions: ~30 MB), and building each as
 * cJSON items (a dozen nodes and strings per block) and printing them cost more than the rest of
 * the writer together; modules with their sections (hundreds of libraries) and threads (thousands)
 * are the next.  The text is cJSON's, byte for byte (tests/unit/test_json.c checks it
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

/* Tab depth of an element's members inside the document: top object 1, its arrays 2. */
#define ELEMENT_LEVEL 3

/* What the text of every block shares: its protection's words (7 bits of protection: each
 * formatted once, not per block) and the counters' key lengths.  Per thread. */
/* A name from the model's small vocabularies (states, memory types, kinds, protections), kept as
 * it is written: quoted and escaped, with its length. */
typedef struct word {
    bool have;
    size_t len;
    char text[128];
} word;

typedef struct shared_texts {
    bool have[VM_PROT_ALL + 1];
    char prot[VM_PROT_ALL + 1][96];
    size_t counter_len[VM_C_COUNT];
    word prot_words[VM_PROT_ALL + 1], states[VM_STATE_COUNT], memtypes[VM_MEMTYPE_COUNT], kinds[VM_KIND_COUNT];
} shared_texts;

static const char *prot_text(shared_texts *st, uint32_t prot)
{
    prot &= VM_PROT_ALL;
    if (!st->have[prot]) {
        vm_prot_format(prot, st->prot[prot], sizeof st->prot[prot]);
        st->have[prot] = true;
    }
    return st->prot[prot];
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

/* The separator from the previous member (none before the first), the indentation, the key. */
#define MAX_LEVEL 8
static inline void key_n(out *o, const char *k, size_t n, int level, bool first)
{
    static const char sep_tabs[] = ",\n\t\t\t\t\t\t\t\t"; /* "," "\n", then MAX_LEVEL tabs */
    if (o->pretty)
        first ? put(o, sep_tabs + 2, (size_t)level) : put(o, sep_tabs, 2 + (size_t)level);
    else if (!first)
        *o->p++ = ',';
    *o->p++ = '"';
    put(o, k, n); /* our own keys: plain ASCII */
    *o->p++ = '"';
    *o->p++ = ':';
    if (o->pretty)
        *o->p++ = '\t';
}
#define KEY(o, lit, level, first) key_n(o, lit, sizeof lit - 1, level, first)

static void open_object(out *o)
{
    *o->p++ = '{';
    if (o->pretty)
        *o->p++ = '\n';
}

/* After at least one member. */
static void close_object(out *o, int level)
{
    static const char nl_tabs[] = "\n\t\t\t\t\t\t\t\t";
    if (o->pretty)
        put(o, nl_tabs, (size_t)level); /* "\n" and level - 1 tabs */
    *o->p++ = '}';
}

/* Bytes a string can take at most written (6 per byte: \u00xx), with its quotes. */
static size_t str_room(const char *s)
{
    return s ? 6 * strlen(s) + 2 : 4;
}

/* The bytes a string escapes: below 0x20, '"' and '\\'. */
static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static void str(out *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        PUT(o, "null");
        return;
    }
    *o->p++ = '"';
    const unsigned char *c = (const unsigned char *)s;
    for (;;) {
        const unsigned char *run = c;
        while (*c && !needs_escape(*c))
            c++;
        put(o, (const char *)run, (size_t)(c - run));
        if (!*c)
            break;
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
        c++;
    }
    *o->p++ = '"';
}

/* A vocabulary name (w: its slot, written on first use) as a JSON string. */
static void word_str(out *o, word *w, const char *name)
{
    if (!w->have) {
        out t = {w->text, false};
        if (str_room(name) > sizeof w->text) {
            str(o, name); /* no name of ours is that long; stay right if one ever is */
            return;
        }
        str(&t, name);
        w->len = (size_t)(t.p - w->text);
        w->have = true;
    }
    put(o, w->text, w->len);
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

static void kind_str(out *o, shared_texts *st, vm_kind k)
{
    if ((unsigned)k < VM_KIND_COUNT)
        word_str(o, &st->kinds[k], vm_kind_name(k));
    else
        str(o, vm_kind_name(k));
}

/* Longest block text apart from its strings: 16 members of at most ~40 bytes (key, tabs, value)
 * and the heap link's two; generous. */
#define BLOCK_ROOM 1024

static void block(out *o, const vm_block *b, int level, shared_texts *st)
{
    open_object(o);
    KEY(o, "address", level, true);
    hex(o, b->address);
    KEY(o, "size", level, false);
    u64(o, b->size);
    KEY(o, "state", level, false);
    if ((unsigned)b->state < VM_STATE_COUNT)
        word_str(o, &st->states[b->state], vm_state_name(b->state));
    else
        str(o, vm_state_name(b->state));
    KEY(o, "protection", level, false);
    word_str(o, &st->prot_words[b->protection & VM_PROT_ALL], prot_text(st, b->protection));
    KEY(o, "memtype", level, false);
    if ((unsigned)b->memtype < VM_MEMTYPE_COUNT)
        word_str(o, &st->memtypes[b->memtype], vm_memtype_name(b->memtype));
    else
        str(o, vm_memtype_name(b->memtype));
    /* Only where it says something: a Linux mapped block ('p' or 's'), or a shared one of another
     * memtype.  Private and image blocks of a Linux snapshot are private (snapshot-format.md). */
    if (b->sharing == VM_SHARING_SHARED || (b->sharing == VM_SHARING_PRIVATE && b->memtype == VM_MEMTYPE_MAPPED)) {
        KEY(o, "shared", level, false);
        if (b->sharing == VM_SHARING_SHARED)
            PUT(o, "true");
        else
            PUT(o, "false");
    }
    KEY(o, "type", level, false);
    kind_str(o, st, b->kind);
    for (int c = 0; c < VM_C_COUNT; c++) {
        key_n(o, vm_counter_name((vm_counter)c), st->counter_len[c], level, false);
        if ((b->counters.known >> c) & 1u)
            u64(o, b->counters.v[c]);
        else
            PUT(o, "null");
    }
    /* Links: each left out when absent. */
    if (b->details) {
        KEY(o, "details", level, false);
        str(o, b->details);
    }
    if (b->path) {
        KEY(o, "path", level, false);
        str(o, b->path);
    }
    if (b->heap_id >= 0) {
        KEY(o, "heap", level, false);
        open_object(o);
        KEY(o, "id", level + 1, true);
        i64(o, b->heap_id);
        KEY(o, "part", level + 1, false);
        if (b->heap_part >= 0)
            i64(o, b->heap_part);
        else
            PUT(o, "null");
        close_object(o, level + 1);
    }
    if (b->thread_id) {
        KEY(o, "thread", level, false);
        u64(o, b->thread_id);
    }
    if (b->module >= 0) {
        KEY(o, "module", level, false);
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

/* This thread's shared texts: the same every time, kept from call to call. */
static shared_texts *texts(void)
{
    static _Thread_local shared_texts st;
    if (!st.counter_len[0])
        for (int c = 0; c < VM_C_COUNT; c++)
            st.counter_len[c] = strlen(vm_counter_name((vm_counter)c));
    return &st;
}

static void hex_or_null(out *o, uint64_t v)
{
    if (v)
        hex(o, v);
    else
        PUT(o, "null");
}

void vm_json_region_text(sink *k, const vm_snapshot *s, size_t i, bool pretty)
{
    shared_texts *st = texts();
    const vm_region *r = &s->regions[i];
    if (!vm_sink_reserve(k, region_room(r)))
        return;
    out o = {k->buf + k->len, pretty};
    const int level = ELEMENT_LEVEL;
    open_object(&o);
    KEY(&o, "address", level, true);
    hex(&o, r->address);
    KEY(&o, "size", level, false);
    u64(&o, r->size);
    KEY(&o, "type", level, false);
    kind_str(&o, st, r->kind);
    KEY(&o, "details", level, false);
    str(&o, r->details);
    KEY(&o, "blocks", level, false);
    *o.p++ = '[';
    for (size_t j = 0; j < r->nblocks; j++) {
        if (j)
            pretty ? PUT(&o, ", ") : PUT(&o, ",");
        block(&o, &r->blocks[j], level + 2, st);
    }
    *o.p++ = ']';
    close_object(&o, level);
    k->len = (size_t)(o.p - k->buf);
    k->buf[k->len] = '\0';
}

void vm_json_module_text(sink *k, const vm_snapshot *s, size_t i, bool pretty)
{
    shared_texts *st = texts();
    const vm_module *m = &s->modules[i];
    size_t room = 256 + str_room(m->path);
    for (size_t j = 0; j < m->nsections; j++)
        room += 256 + str_room(m->sections[j].name);
    if (!vm_sink_reserve(k, room))
        return;
    out o = {k->buf + k->len, pretty};
    const int level = ELEMENT_LEVEL;
    open_object(&o);
    KEY(&o, "path", level, true);
    str(&o, m->path);
    KEY(&o, "base", level, false);
    hex(&o, m->base);
    KEY(&o, "size", level, false);
    u64(&o, m->size);
    KEY(&o, "sections", level, false);
    *o.p++ = '[';
    for (size_t j = 0; j < m->nsections; j++) {
        const vm_section *sec = &m->sections[j];
        if (j)
            pretty ? PUT(&o, ", ") : PUT(&o, ",");
        open_object(&o);
        KEY(&o, "name", level + 2, true);
        str(&o, sec->name);
        KEY(&o, "address", level + 2, false);
        hex(&o, sec->address);
        KEY(&o, "size", level + 2, false);
        u64(&o, sec->size);
        KEY(&o, "protection", level + 2, false);
        str(&o, prot_text(st, sec->protection));
        close_object(&o, level + 2);
    }
    *o.p++ = ']';
    close_object(&o, level);
    k->len = (size_t)(o.p - k->buf);
    k->buf[k->len] = '\0';
}

void vm_json_thread_text(sink *k, const vm_snapshot *s, size_t i, bool pretty)
{
    const vm_thread *t = &s->threads[i];
    if (!vm_sink_reserve(k, 512 + str_room(t->name) + str_room(t->found_by)))
        return;
    out o = {k->buf + k->len, pretty};
    const int level = ELEMENT_LEVEL;
    open_object(&o);
    KEY(&o, "tid", level, true);
    u64(&o, t->tid);
    KEY(&o, "name", level, false);
    str(&o, t->name);
    KEY(&o, "stack_base", level, false);
    hex(&o, t->stack_base);
    KEY(&o, "stack_limit", level, false);
    hex(&o, t->stack_limit);
    KEY(&o, "reserve_base", level, false);
    hex(&o, t->reserve_base);
    KEY(&o, "guard_address", level, false);
    hex_or_null(&o, t->guard_address);
    KEY(&o, "guard_size", level, false);
    u64(&o, t->guard_size);
    KEY(&o, "teb", level, false);
    hex_or_null(&o, t->teb);
    KEY(&o, "sp", level, false);
    hex_or_null(&o, t->sp);
    KEY(&o, "found_by", level, false);
    str(&o, t->found_by);
    close_object(&o, level);
    k->len = (size_t)(o.p - k->buf);
    k->buf[k->len] = '\0';
}
