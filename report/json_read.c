/* JSON -> snapshot, validating everything (docs/snapshot-format.md).
 *
 * Every problem is reported as "NAME: JSON.path: problem" with code VM_EXIT_BAD_INPUT, and the
 * partial snapshot is freed.  Objects are read through field tables (key, type, rules, offset of
 * the model field); the few fields with their own rules (counters, links, version) have helpers.
 * Unknown keys are ignored, so files from newer writers that only add fields still read. */
#include "json.h"
#include "json_arena.h"
#include "json_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#ifdef _WIN32
#define fileno _fileno /* hidden in strict C mode */
#endif

#include "../vmmap/model/heap_stats.h"
#include "../vmmap/model/snapshot_check.h"
#include "../vmmap/util/xalloc.h"
#include "../vmmap/util/compiler.h"

/* Largest integer read: 2^53 - 1.  A double holds every integer up to 2^53, but 2^53 + 1 rounds
 * to 2^53 on parsing, so 2^53 itself may stand for a value that was not written. */
#define JSON_MAX_INT 9007199254740991.0 /* 2^53 - 1 */
/* Snapshot files bigger than this are refused before reading. */
#define JSON_MAX_FILE_BYTES ((size_t)2 << 30) /* 2 GiB */

/* ---- the reader and its error path ------------------------------------------------------- */

typedef struct reader {
    const char *name; /* source name for messages */
    vm_error *err;
    char path[256];   /* JSON path of the value being read: "regions[3].blocks[0]" */
    size_t plen;
    struct heap_ref *heaps; /* heaps sorted by id, for block links */
    int version;            /* the file's format version */
    const char *text;       /* what root was parsed from: numbers are quoted from it */
    size_t len;
    const cJSON *root;
} reader;

struct heap_ref {
    int32_t id;
    size_t index;
};

/* Appends ".key" (or "key" at the top) / "[i]" to the path; returns the old length for pop. */
static size_t push_key(reader *rd, const char *key)
{
    size_t old = rd->plen;
    int n = snprintf(rd->path + old, sizeof rd->path - old, "%s%s", old ? "." : "", key);
    if (n > 0)
        rd->plen = strlen(rd->path);
    return old;
}

static size_t push_index(reader *rd, size_t i)
{
    size_t old = rd->plen;
    int n = snprintf(rd->path + old, sizeof rd->path - old, "[%" PRIu64 "]", (uint64_t)i);
    if (n > 0)
        rd->plen = strlen(rd->path);
    return old;
}

static void pop(reader *rd, size_t old)
{
    rd->plen = old;
    rd->path[old] = '\0';
}

/* Sets the error "NAME: PATH: problem"; always returns false. */
VM_PRINTF(2, 3) static bool fail(reader *rd, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vm_error_set(rd->err, VM_EXIT_BAD_INPUT, "%s: %s: %s", rd->name,
                 rd->plen ? rd->path : "top level", msg);
    return false;
}

/* The same, for the member key of the current object. */
VM_PRINTF(3, 4) static bool fail_at(reader *rd, const char *key, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t old = push_key(rd, key);
    fail(rd, "%s", msg);
    pop(rd, old);
    return false;
}

/* Input text quoted for a message: at most 40 characters, control characters escaped. */
static const char *quoted(const char *s, char *buf, size_t len)
{
    size_t o = 0, i = 0;
    buf[o++] = '"';
    for (; s[i] && i < 40 && o + 8 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            o += (size_t)snprintf(buf + o, len - o, c == '"' || c == '\\' ? "\\%c" : "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    snprintf(buf + o, len - o, "%s\"", s[i] ? "..." : "");
    return buf;
}

/* What a JSON value is, for "found ..." in messages. */
static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    return "an object";
}

/* A number as the file writes it ("18446744073709551616", "-1e400"), not as the double it
 * became ("1.8446744073709552e+19", "-inf"). */
static const char *number_text(const reader *rd, const cJSON *v, char *buf, size_t len)
{
    const char *t = vm_json_number_text(rd->text, rd->len, rd->root, v, buf, len);
    if (!t)
        snprintf(buf, len, "%.17g", v->valuedouble);
    return buf;
}

/* ---- scalar values ----------------------------------------------------------------------- */

/* Field rules. */
enum {
    F_REQUIRED = 0, /* must be present and not null */
    F_NULLABLE = 1, /* null or missing: the model's "absent" (NULL, 0, unknown) */
};

/* Looks key up; returns NULL (after setting the error when required) if absent or null. */
static const cJSON *member(reader *rd, const cJSON *obj, const char *key, unsigned rules, bool *ok)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *ok = true;
    if (v && !cJSON_IsNull(v))
        return v;
    if (!(rules & F_NULLABLE))
        *ok = v ? fail_at(rd, key, "must not be null") : fail_at(rd, key, "missing");
    return NULL;
}

/* An integral JSON number within [min, 2^53]. */
static bool number_value(reader *rd, const char *key, const cJSON *v, double min, double *out)
{
    if (!cJSON_IsNumber(v))
        return fail_at(rd, key, "expected an integer, found %s", json_type_name(v));
    double d = v->valuedouble;
    char t[64];
    if (!(d >= -JSON_MAX_INT && d <= JSON_MAX_INT)) /* also NaN and infinities */
        return fail_at(rd, key, "integer %s is too large (the limit is 2^53 - 1)", number_text(rd, v, t, sizeof t));
    if (d != (double)(int64_t)d) /* no libm: the cast is exact within +-2^53 */
        return fail_at(rd, key, "expected an integer, found %s", number_text(rd, v, t, sizeof t));
    if (d < min)
        return fail_at(rd, key, "expected a non-negative integer, found %s", number_text(rd, v, t, sizeof t));
    *out = d;
    return true;
}

/* A required integer within [min, 2^53]. */
static bool get_number(reader *rd, const cJSON *obj, const char *key, double min, double *out)
{
    bool ok;
    const cJSON *v = member(rd, obj, key, F_REQUIRED, &ok);
    return v && number_value(rd, key, v, min, out);
}

static bool get_u64(reader *rd, const cJSON *obj, const char *key, unsigned rules, uint64_t *out,
                    bool *present)
{
    bool ok;
    double d;
    const cJSON *v = member(rd, obj, key, rules, &ok);
    if (present)
        *present = v != NULL;
    if (!v)
        return ok;
    if (!number_value(rd, key, v, 0, &d))
        return false;
    *out = (uint64_t)d;
    return true;
}

/* A non-negative integer that fits an int32 (ids and indexes). */
static bool get_index(reader *rd, const cJSON *obj, const char *key, unsigned rules, int32_t *out)
{
    uint64_t v = 0;
    bool present;
    if (!get_u64(rd, obj, key, rules, &v, &present))
        return false;
    if (present && v > INT32_MAX)
        return fail_at(rd, key, "%" PRIu64 " is too large (the limit is 2147483647)", v);
    if (present)
        *out = (int32_t)v;
    return true;
}

static bool parse_hex(const char *s, uint64_t *out)
{
    if (s[0] != '0' || s[1] != 'x')
        return false;
    uint64_t v = 0;
    size_t n = 0;
    for (const char *p = s + 2; *p; p++, n++) {
        int d = (*p >= '0' && *p <= '9') ? *p - '0'
              : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
              : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;
        if (d < 0 || n >= 16)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return n > 0;
}

static bool get_hex(reader *rd, const cJSON *obj, const char *key, unsigned rules, uint64_t *out)
{
    bool ok;
    const cJSON *v = member(rd, obj, key, rules, &ok);
    if (!v)
        return ok;
    if (!cJSON_IsString(v) || !parse_hex(v->valuestring, out))
        return fail_at(rd, key, "expected a hex string like \"0x7ff0\"");
    return true;
}

/* A string, copied to *out (NULL when null/missing and nullable). */
static bool get_str(reader *rd, const cJSON *obj, const char *key, unsigned rules, char **out)
{
    bool ok;
    const cJSON *v = member(rd, obj, key, rules, &ok);
    if (!v)
        return ok;
    if (!cJSON_IsString(v))
        return fail_at(rd, key, "expected a string%s, found %s",
                       (rules & F_NULLABLE) ? " or null" : "", json_type_name(v));
    char *copy = vm_strdup(v->valuestring);
    if (!copy) {
        vm_error_set(rd->err, VM_EXIT_ERROR, "%s: out of memory", rd->name);
        return false;
    }
    free(*out);
    *out = copy;
    return true;
}

/* ---- named values (type, state, memtype, protection) ------------------------------------- */

static bool parse_kind(const char *s, uint32_t *out)
{
    for (int k = 0; k < VM_KIND_COUNT; k++)
        if (strcmp(s, vm_kind_name((vm_kind)k)) == 0) {
            *out = (uint32_t)k;
            return true;
        }
    return false;
}

static bool parse_state(const char *s, uint32_t *out)
{
    vm_state st;
    if (!vm_state_parse(s, &st))
        return false;
    *out = (uint32_t)st;
    return true;
}

static bool parse_memtype(const char *s, uint32_t *out)
{
    vm_memtype t;
    if (!vm_memtype_parse(s, &t))
        return false;
    *out = (uint32_t)t;
    return true;
}

static bool parse_prot(const char *s, uint32_t *out)
{
    return *s && vm_prot_parse(s, out);
}

typedef bool (*name_parser)(const char *s, uint32_t *out);

static bool get_named(reader *rd, const cJSON *obj, const char *key, name_parser parse, uint32_t *out)
{
    bool ok;
    char q[192];
    const cJSON *v = member(rd, obj, key, F_REQUIRED, &ok);
    if (!v)
        return ok;
    if (!cJSON_IsString(v))
        return fail_at(rd, key, "expected a string, found %s", json_type_name(v));
    if (!parse(v->valuestring, out))
        return fail_at(rd, key, "unknown %s %s", key, quoted(v->valuestring, q, sizeof q));
    return true;
}

/* ---- field tables ------------------------------------------------------------------------ */

typedef enum field_type {
    FT_U64,      /* uint64_t, JSON integer */
    FT_HEX,      /* uint64_t, "0x..." */
    FT_STR,      /* char *   */
    FT_KIND,     /* vm_kind, VMMap's word */
    FT_STATE,    /* vm_state */
    FT_MEMTYPE,  /* vm_memtype */
    FT_PROT,     /* uint32_t VM_PROT_* */
} field_type;

typedef struct field {
    const char *key;
    field_type type;
    unsigned rules;
    size_t offset; /* of the model field in the destination struct */
} field;

#define FIELD(st, key, type, rules, member) {key, type, rules, offsetof(st, member)}

static bool store_named(reader *rd, const cJSON *obj, const field *f, void *at)
{
    static const name_parser parsers[] = {
        [FT_KIND] = parse_kind, [FT_STATE] = parse_state,
        [FT_MEMTYPE] = parse_memtype, [FT_PROT] = parse_prot,
    };
    uint32_t v;
    if (!get_named(rd, obj, f->key, parsers[f->type], &v))
        return false;
    switch (f->type) {
    case FT_KIND: *(vm_kind *)at = (vm_kind)v; break;
    case FT_STATE: *(vm_state *)at = (vm_state)v; break;
    case FT_MEMTYPE: *(vm_memtype *)at = (vm_memtype)v; break;
    default: *(uint32_t *)at = v; break;
    }
    return true;
}

static bool read_field(reader *rd, const cJSON *obj, const field *f, void *dst)
{
    void *at = (char *)dst + f->offset;
    switch (f->type) {
    case FT_U64: return get_u64(rd, obj, f->key, f->rules, at, NULL);
    case FT_HEX: return get_hex(rd, obj, f->key, f->rules, at);
    case FT_STR: return get_str(rd, obj, f->key, f->rules, at);
    default: return store_named(rd, obj, f, at);
    }
}

static bool read_fields(reader *rd, const cJSON *obj, const field *fields, size_t n, void *dst)
{
    for (size_t i = 0; i < n; i++)
        if (!read_field(rd, obj, &fields[i], dst))
            return false;
    return true;
}

#define READ_FIELDS(rd, obj, table, dst) read_fields(rd, obj, table, sizeof table / sizeof table[0], dst)

static const field snapshot_fields[] = {
    FIELD(vm_snapshot, "tool_version", FT_STR, F_NULLABLE, tool_version),
    FIELD(vm_snapshot, "taken_at", FT_STR, F_NULLABLE, taken_at),
    FIELD(vm_snapshot, "source", FT_STR, F_NULLABLE, source),
    FIELD(vm_snapshot, "page_size", FT_U64, F_REQUIRED, page_size),
    FIELD(vm_snapshot, "alloc_granularity", FT_U64, F_REQUIRED, alloc_granularity),
    FIELD(vm_snapshot, "user_top", FT_HEX, F_REQUIRED, user_top),
};
static const field host_fields[] = {
    FIELD(vm_snapshot, "name", FT_STR, F_NULLABLE, host),
    FIELD(vm_snapshot, "os", FT_STR, F_NULLABLE, os),
    FIELD(vm_snapshot, "arch", FT_STR, F_NULLABLE, arch),
};
static const field process_fields[] = {
    FIELD(vm_process, "name", FT_STR, F_NULLABLE, name),
    FIELD(vm_process, "exe", FT_STR, F_NULLABLE, exe),
    FIELD(vm_process, "cmdline", FT_STR, F_NULLABLE, cmdline),
};
static const field region_fields[] = {
    FIELD(vm_region, "address", FT_HEX, F_REQUIRED, address),
    FIELD(vm_region, "size", FT_U64, F_REQUIRED, size),
    FIELD(vm_region, "type", FT_KIND, F_REQUIRED, kind),
    FIELD(vm_region, "details", FT_STR, F_NULLABLE, details),
};
static const field block_fields[] = {
    FIELD(vm_block, "address", FT_HEX, F_REQUIRED, address),
    FIELD(vm_block, "size", FT_U64, F_REQUIRED, size),
    FIELD(vm_block, "state", FT_STATE, F_REQUIRED, state),
    FIELD(vm_block, "protection", FT_PROT, F_REQUIRED, protection),
    FIELD(vm_block, "memtype", FT_MEMTYPE, F_REQUIRED, memtype),
    FIELD(vm_block, "type", FT_KIND, F_REQUIRED, kind),
    FIELD(vm_block, "details", FT_STR, F_NULLABLE, details),
    FIELD(vm_block, "path", FT_STR, F_NULLABLE, path),
};
static const field heap_fields[] = {
    FIELD(vm_heap, "kind", FT_STR, F_NULLABLE, kind),
    FIELD(vm_heap, "flags", FT_STR, F_NULLABLE, flags),
    FIELD(vm_heap, "class", FT_STR, F_NULLABLE, heap_class),
    FIELD(vm_heap, "front_end", FT_STR, F_NULLABLE, front_end),
};
static const field heap_part_fields[] = {
    FIELD(vm_heap_part, "address", FT_HEX, F_REQUIRED, address),
    FIELD(vm_heap_part, "size", FT_U64, F_REQUIRED, size),
    FIELD(vm_heap_part, "committed", FT_U64, F_REQUIRED, committed),
    FIELD(vm_heap_part, "what", FT_STR, F_NULLABLE, what),
};
static const field thread_fields[] = {
    FIELD(vm_thread, "tid", FT_U64, F_REQUIRED, tid),
    FIELD(vm_thread, "name", FT_STR, F_NULLABLE, name),
    FIELD(vm_thread, "stack_base", FT_HEX, F_REQUIRED, stack_base),
    FIELD(vm_thread, "stack_limit", FT_HEX, F_REQUIRED, stack_limit),
    FIELD(vm_thread, "reserve_base", FT_HEX, F_REQUIRED, reserve_base),
    FIELD(vm_thread, "guard_address", FT_HEX, F_NULLABLE, guard_address),
    FIELD(vm_thread, "guard_size", FT_U64, F_REQUIRED, guard_size),
    FIELD(vm_thread, "teb", FT_HEX, F_NULLABLE, teb),
    FIELD(vm_thread, "sp", FT_HEX, F_NULLABLE, sp),
    FIELD(vm_thread, "found_by", FT_STR, F_NULLABLE, found_by),
};
static const field module_fields[] = {
    FIELD(vm_module, "path", FT_STR, F_NULLABLE, path),
    FIELD(vm_module, "base", FT_HEX, F_REQUIRED, base),
    FIELD(vm_module, "size", FT_U64, F_REQUIRED, size),
};
static const field section_fields[] = {
    FIELD(vm_section, "name", FT_STR, F_NULLABLE, name),
    FIELD(vm_section, "address", FT_HEX, F_REQUIRED, address),
    FIELD(vm_section, "size", FT_U64, F_REQUIRED, size),
    FIELD(vm_section, "protection", FT_PROT, F_REQUIRED, protection),
};
static const field warning_fields[] = {
    FIELD(vm_warning, "code", FT_STR, F_NULLABLE, code),
    FIELD(vm_warning, "message", FT_STR, F_NULLABLE, message),
};

/* ---- containers -------------------------------------------------------------------------- */

/* The member key as an object (NULL with *ok when nullable and absent). */
static const cJSON *get_object(reader *rd, const cJSON *obj, const char *key, unsigned rules, bool *ok)
{
    const cJSON *v = member(rd, obj, key, rules, ok);
    if (v && !cJSON_IsObject(v)) {
        *ok = fail_at(rd, key, "expected an object, found %s", json_type_name(v));
        return NULL;
    }
    return v;
}

/* Reads one array element (an object); ctx is the owner to add to. */
typedef bool (*element_reader)(reader *rd, const cJSON *elem, void *ctx);

/* Reads obj.key, an array of objects, calling fn for each with the path set to "key[i]". */
static bool read_array(reader *rd, const cJSON *obj, const char *key, element_reader fn, void *ctx)
{
    bool ok;
    const cJSON *arr = member(rd, obj, key, F_REQUIRED, &ok);
    if (!arr)
        return ok;
    if (!cJSON_IsArray(arr))
        return fail_at(rd, key, "expected an array, found %s", json_type_name(arr));
    size_t old = push_key(rd, key), i = 0;
    for (const cJSON *e = arr->child; e && ok; e = e->next, i++) {
        size_t at = push_index(rd, i);
        ok = cJSON_IsObject(e) ? fn(rd, e, ctx) : fail(rd, "expected an object, found %s", json_type_name(e));
        pop(rd, at);
    }
    pop(rd, old);
    return ok;
}

/* Adds one element through the model's add function; reports out of memory. */
static void *added(reader *rd, void *elem)
{
    if (!elem)
        vm_error_set(rd->err, VM_EXIT_ERROR, "%s: out of memory", rd->name);
    return elem;
}

/* address + size must not run past 2^64. */
static bool check_extent(reader *rd, uint64_t address, uint64_t size)
{
    if (address && size > UINT64_MAX - address + 1)
        return fail_at(rd, "size", "the range 0x%" PRIx64 " + %" PRIu64 " runs past the end of the 64-bit address space",
                       address, size);
    return true;
}

/* ---- heaps, threads, modules, warnings --------------------------------------------------- */

static bool read_heap_part(reader *rd, const cJSON *e, void *ctx)
{
    vm_heap_part *p = added(rd, vm_heap_add_part(ctx));
    return p && READ_FIELDS(rd, e, heap_part_fields, p) && check_extent(rd, p->address, p->size);
}

/* ---- a heap's walk (version 2): stats, sizes, walk_note, owner ---------------------------- */

typedef struct stats_field {
    const char *key;
    size_t offset;
} stats_field;

#define SF(member) {#member, offsetof(vm_heap_stats, member)}
static const stats_field stats_fields[] = {
    SF(busy_blocks), SF(busy_bytes), SF(free_blocks), SF(free_bytes), SF(cached_blocks),
    SF(cached_bytes), SF(largest_free), SF(overhead_bytes),
};

/* Blocks and bytes of one state must agree: a block is never empty. */
static bool check_pair(reader *rd, const char *blocks_key, uint64_t blocks, uint64_t bytes)
{
    if ((blocks == 0) != (bytes == 0))
        return fail_at(rd, blocks_key, "%" PRIu64 " blocks of %" PRIu64 " bytes in all", blocks, bytes);
    return true;
}

static bool read_stats(reader *rd, const cJSON *st, vm_heap_stats *out)
{
    for (size_t i = 0; i < sizeof stats_fields / sizeof stats_fields[0]; i++)
        if (!get_u64(rd, st, stats_fields[i].key, F_REQUIRED,
                     (uint64_t *)((char *)out + stats_fields[i].offset), NULL))
            return false;
    bool ok;
    const cJSON *f = member(rd, st, "fragmentation", F_REQUIRED, &ok);
    if (!f)
        return false;
    if (!cJSON_IsNumber(f) || !(f->valuedouble >= 0 && f->valuedouble <= 100))
        return fail_at(rd, "fragmentation", "expected a percentage from 0 to 100");
    out->fragmentation = f->valuedouble;
    if (!check_pair(rd, "busy_blocks", out->busy_blocks, out->busy_bytes) ||
        !check_pair(rd, "free_blocks", out->free_blocks, out->free_bytes) ||
        !check_pair(rd, "cached_blocks", out->cached_blocks, out->cached_bytes))
        return false;
    if (out->largest_free > out->free_bytes || (out->largest_free == 0) != (out->free_blocks == 0))
        return fail_at(rd, "largest_free", "%" PRIu64 " does not fit %" PRIu64 " free blocks of %" PRIu64
                       " bytes", out->largest_free, out->free_blocks, out->free_bytes);
    double want = vm_heap_fragmentation(out->free_bytes, out->largest_free);
    if (out->fragmentation < want - 0.01 || out->fragmentation > want + 0.01)
        return fail_at(rd, "fragmentation", "%.17g, but free_bytes and largest_free give %.2f",
                       out->fragmentation, want);
    return true;
}

typedef struct sizes_ctx {
    vm_heap *h;
    uint64_t sum[3];       /* busy, free, cached counts so far */
    uint64_t bytes[3];     /* and their bytes (saturating) */
} sizes_ctx;

static uint64_t sat_mul_add(uint64_t acc, uint64_t a, uint64_t b)
{
    if (a && b > UINT64_MAX / a)
        return UINT64_MAX;
    return acc > UINT64_MAX - a * b ? UINT64_MAX : acc + a * b;
}

static bool read_size_row(reader *rd, const cJSON *e, void *ctx)
{
    sizes_ctx *c = ctx;
    vm_heap_size z;
    if (!get_u64(rd, e, "size", F_REQUIRED, &z.size, NULL) || !get_u64(rd, e, "busy", F_REQUIRED, &z.busy, NULL) ||
        !get_u64(rd, e, "free", F_REQUIRED, &z.free, NULL) || !get_u64(rd, e, "cached", F_REQUIRED, &z.cached, NULL))
        return false;
    if (z.size == 0)
        return fail_at(rd, "size", "a block size must not be 0");
    if (c->h->nsizes && z.size <= c->h->sizes[c->h->nsizes - 1].size)
        return fail_at(rd, "size", "%" PRIu64 " is not above the previous row's %" PRIu64 " (rows are by size, each once)",
                       z.size, c->h->sizes[c->h->nsizes - 1].size);
    if (z.busy + z.free + z.cached == 0)
        return fail(rd, "a row without blocks");
    vm_heap_size *slot = added(rd, vm_array_push((void **)&c->h->sizes, &c->h->nsizes, sizeof *slot));
    if (!slot)
        return false;
    *slot = z;
    const uint64_t n[3] = {z.busy, z.free, z.cached};
    for (int k = 0; k < 3; k++) {
        c->sum[k] = c->sum[k] > UINT64_MAX - n[k] ? UINT64_MAX : c->sum[k] + n[k];
        c->bytes[k] = sat_mul_add(c->bytes[k], z.size, n[k]);
    }
    return true;
}

/* The size table may leave rows out (a heap of more distinct sizes than vmmap keeps), never
 * count more than the stats. */
static bool check_sizes(reader *rd, const sizes_ctx *c, const vm_heap_stats *st)
{
    static const char *const what[3] = {"busy", "free", "cached"};
    const uint64_t blocks[3] = {st->busy_blocks, st->free_blocks, st->cached_blocks};
    const uint64_t bytes[3] = {st->busy_bytes, st->free_bytes, st->cached_bytes};
    for (int k = 0; k < 3; k++)
        if (c->sum[k] > blocks[k] || c->bytes[k] > bytes[k])
            return fail_at(rd, "sizes", "%" PRIu64 " %s blocks of %" PRIu64 " bytes, more than the stats' %" PRIu64
                           " of %" PRIu64, c->sum[k], what[k], c->bytes[k], blocks[k], bytes[k]);
    return true;
}

static bool read_owner(reader *rd, const cJSON *e, void *ctx)
{
    vm_heap_owner *w = added(rd, vm_heap_add_owner(ctx));
    return w && get_index(rd, e, "module", F_REQUIRED, &w->module) &&
           get_hex(rd, e, "address", F_REQUIRED, &w->address);
}

static bool read_heap_walk(reader *rd, const cJSON *e, vm_heap *h)
{
    bool ok;
    const cJSON *st = get_object(rd, e, "stats", F_NULLABLE, &ok);
    if (!ok)
        return false;
    const cJSON *sizes = cJSON_GetObjectItemCaseSensitive(e, "sizes");
    bool has_sizes = sizes && !cJSON_IsNull(sizes);
    if (st || has_sizes) {
        if (!st)
            return fail_at(rd, "sizes", "a size table without stats");
        size_t old = push_key(rd, "stats");
        ok = read_stats(rd, st, &h->stats);
        pop(rd, old);
        if (!ok)
            return false;
        h->stats_known = true;
        sizes_ctx c = {h, {0}, {0}};
        if (!read_array(rd, e, "sizes", read_size_row, &c) || !check_sizes(rd, &c, &h->stats))
            return false;
    }
    if (!get_str(rd, e, "walk_note", F_NULLABLE, &h->walk_note))
        return false;
    const cJSON *owner = cJSON_GetObjectItemCaseSensitive(e, "owner");
    if (owner && !cJSON_IsNull(owner)) {
        h->owners_known = true;
        return read_array(rd, e, "owner", read_owner, h);
    }
    return true;
}

/* Owner links name modules, which are read after the heaps. */
static bool check_owner_links(reader *rd, const vm_snapshot *s)
{
    for (size_t i = 0; i < s->nheaps; i++)
        for (size_t j = 0; j < s->heaps[i].nowners; j++)
            if ((size_t)s->heaps[i].owners[j].module >= s->nmodules) {
                size_t old = push_key(rd, "heaps");
                push_index(rd, i);
                push_key(rd, "owner");
                push_index(rd, j);
                fail_at(rd, "module", "no module with index %d (the snapshot has %" PRIu64 ")",
                        (int)s->heaps[i].owners[j].module, (uint64_t)s->nmodules);
                pop(rd, old);
                return false;
            }
    return true;
}

/* Version 1 requires the address; version 2 writes null for one the source could not find. */
static bool read_heap_address(reader *rd, const cJSON *e, vm_heap *h)
{
    bool ok;
    const cJSON *v = member(rd, e, "address", rd->version >= 2 ? F_NULLABLE : F_REQUIRED, &ok);
    if (!ok)
        return false;
    h->address_unknown = v == NULL;
    return v == NULL || get_hex(rd, e, "address", F_REQUIRED, &h->address);
}

static bool read_heap(reader *rd, const cJSON *e, void *ctx)
{
    vm_snapshot *s = ctx;
    vm_heap *h = added(rd, vm_snapshot_add_heap(s));
    if (!h || !get_index(rd, e, "id", F_REQUIRED, &h->id) || !read_heap_address(rd, e, h) ||
        !READ_FIELDS(rd, e, heap_fields, h))
        return false;
    if (!get_u64(rd, e, "largest_free", F_NULLABLE, &h->largest_free, &h->largest_free_known))
        return false;
    if (!read_array(rd, e, "parts", read_heap_part, h))
        return false;
    /* Version 1 had no walk: its readers ignored these keys, and so does this path. */
    return rd->version < 2 || read_heap_walk(rd, e, h);
}

static bool read_thread(reader *rd, const cJSON *e, void *ctx)
{
    vm_thread *t = added(rd, vm_snapshot_add_thread(ctx));
    return t && READ_FIELDS(rd, e, thread_fields, t);
}

static bool read_section(reader *rd, const cJSON *e, void *ctx)
{
    vm_section *sec = added(rd, vm_module_add_section(ctx));
    return sec && READ_FIELDS(rd, e, section_fields, sec) && check_extent(rd, sec->address, sec->size);
}

static bool read_module(reader *rd, const cJSON *e, void *ctx)
{
    vm_module *m = added(rd, vm_snapshot_add_module(ctx));
    return m && READ_FIELDS(rd, e, module_fields, m) && check_extent(rd, m->base, m->size) &&
           read_array(rd, e, "sections", read_section, m);
}

static bool read_warning(reader *rd, const cJSON *e, void *ctx)
{
    vm_snapshot *s = ctx;
    vm_warning *w = added(rd, vm_array_push((void **)&s->warnings, &s->nwarnings, sizeof *s->warnings));
    return w && READ_FIELDS(rd, e, warning_fields, w);
}

/* ---- regions and blocks ------------------------------------------------------------------ */

static bool read_counters(reader *rd, const cJSON *e, vm_counters *c)
{
    c->known = 0;
    for (int i = 0; i < VM_C_COUNT; i++) {
        bool present;
        const char *key = vm_counter_name((vm_counter)i);
        if (!get_u64(rd, e, key, F_NULLABLE, &c->v[i], &present))
            return false;
        if (present)
            c->known |= 1u << i;
    }
    return true;
}

static int heap_ref_cmp(const void *a, const void *b)
{
    const struct heap_ref *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts the heap ids for lookup and refuses duplicates ("heaps[3].id: duplicate ..."). */
static bool index_heaps(reader *rd, const vm_snapshot *s)
{
    if (s->nheaps == 0)
        return true;
    rd->heaps = malloc(s->nheaps * sizeof *rd->heaps);
    if (!rd->heaps) {
        vm_error_set(rd->err, VM_EXIT_ERROR, "%s: out of memory", rd->name);
        return false;
    }
    for (size_t i = 0; i < s->nheaps; i++)
        rd->heaps[i] = (struct heap_ref){s->heaps[i].id, i};
    qsort(rd->heaps, s->nheaps, sizeof *rd->heaps, heap_ref_cmp);
    for (size_t i = 1; i < s->nheaps; i++)
        if (rd->heaps[i].id == rd->heaps[i - 1].id) {
            size_t old = push_key(rd, "heaps");
            push_index(rd, rd->heaps[i].index);
            fail_at(rd, "id", "duplicate heap id %d (also heaps[%" PRIu64 "])", (int)rd->heaps[i].id,
                    (uint64_t)rd->heaps[i - 1].index);
            pop(rd, old);
            return false;
        }
    return true;
}

static const vm_heap *find_heap(const reader *rd, const vm_snapshot *s, int32_t id)
{
    struct heap_ref key = {id, 0};
    size_t lo = 0, hi = s->nheaps;
    while (lo < hi) { /* first entry with id >= key.id */
        size_t mid = lo + (hi - lo) / 2;
        if (heap_ref_cmp(&rd->heaps[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nheaps && rd->heaps[lo].id == id ? &s->heaps[rd->heaps[lo].index] : NULL;
}

/* "heap": {"id": N, "part": N|null}, optional. */
static bool read_heap_link(reader *rd, const cJSON *e, const vm_snapshot *s, vm_block *b)
{
    bool ok;
    const cJSON *h = get_object(rd, e, "heap", F_NULLABLE, &ok);
    if (!h)
        return ok;
    size_t old = push_key(rd, "heap");
    ok = get_index(rd, h, "id", F_REQUIRED, &b->heap_id) &&
         get_index(rd, h, "part", F_NULLABLE, &b->heap_part);
    const vm_heap *heap = ok ? find_heap(rd, s, b->heap_id) : NULL;
    if (ok && !heap)
        ok = fail_at(rd, "id", "no heap with id %d", (int)b->heap_id);
    if (ok && b->heap_part >= 0 && (size_t)b->heap_part >= heap->nparts)
        ok = fail_at(rd, "part", "heap %d has no part %d (it has %" PRIu64 ")", (int)b->heap_id,
                     (int)b->heap_part, (uint64_t)heap->nparts);
    pop(rd, old);
    return ok;
}

/* "shared": optional boolean; absent: unknown (or, in a Linux snapshot, private unless mapped). */
static bool read_sharing(reader *rd, const cJSON *e, vm_block *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "shared");
    if (!v)
        return true;
    if (!cJSON_IsBool(v))
        return fail_at(rd, "shared", "expected true or false, found %s", json_type_name(v));
    b->sharing = cJSON_IsTrue(v) ? VM_SHARING_SHARED : VM_SHARING_PRIVATE;
    return true;
}

static bool read_block_links(reader *rd, const cJSON *e, const vm_snapshot *s, vm_block *b)
{
    if (!read_sharing(rd, e, b))
        return false;
    if (!read_heap_link(rd, e, s, b) || !get_u64(rd, e, "thread", F_NULLABLE, &b->thread_id, NULL) ||
        !get_index(rd, e, "module", F_NULLABLE, &b->module))
        return false;
    if (b->module >= 0 && (size_t)b->module >= s->nmodules)
        return fail_at(rd, "module", "no module with index %d (the snapshot has %" PRIu64 ")", (int)b->module,
                       (uint64_t)s->nmodules);
    return true;
}

typedef struct region_ctx {
    const vm_snapshot *s;
    vm_region *r;
} region_ctx;

static bool read_block(reader *rd, const cJSON *e, void *ctx)
{
    region_ctx *rc = ctx;
    vm_block *b = added(rd, vm_region_add_block(rc->r));
    return b && READ_FIELDS(rd, e, block_fields, b) && check_extent(rd, b->address, b->size) &&
           read_counters(rd, e, &b->counters) && read_block_links(rd, e, rc->s, b);
}

static bool read_region(reader *rd, const cJSON *e, void *ctx)
{
    vm_snapshot *s = ctx;
    vm_region *r = added(rd, vm_snapshot_add_region(s));
    region_ctx rc = {s, r};
    return r && READ_FIELDS(rd, e, region_fields, r) && check_extent(rd, r->address, r->size) &&
           read_array(rd, e, "blocks", read_block, &rc);
}

/* ---- the object census (optional) --------------------------------------------------------- */

static const field object_fields[] = {
    FIELD(vm_object_type, "type", FT_STR, F_REQUIRED, type),
    FIELD(vm_object_type, "module", FT_STR, F_NULLABLE, module),
    FIELD(vm_object_type, "vtable", FT_HEX, F_REQUIRED, vtable),
    FIELD(vm_object_type, "abi", FT_STR, F_REQUIRED, abi),
    FIELD(vm_object_type, "count", FT_U64, F_REQUIRED, count),
    FIELD(vm_object_type, "bytes", FT_U64, F_REQUIRED, bytes),
    FIELD(vm_object_type, "bytes_estimated", FT_U64, F_REQUIRED, bytes_estimated),
};
static const field census_fields[] = {
    FIELD(vm_object_census, "busy_blocks", FT_U64, F_REQUIRED, busy_blocks),
    FIELD(vm_object_census, "busy_bytes", FT_U64, F_REQUIRED, busy_bytes),
};

/* "heaps": ids of the snapshot's heaps, ascending, each once. */
static bool read_object_heaps(reader *rd, const cJSON *e, const vm_snapshot *s, vm_object_type *t)
{
    bool ok;
    const cJSON *arr = member(rd, e, "heaps", F_REQUIRED, &ok);
    if (!arr)
        return ok;
    if (!cJSON_IsArray(arr))
        return fail_at(rd, "heaps", "expected an array, found %s", json_type_name(arr));
    size_t old = push_key(rd, "heaps"), i = 0;
    for (const cJSON *v = arr->child; v && ok; v = v->next, i++) {
        size_t at = push_index(rd, i);
        double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
        if (!(d >= 0 && d <= INT32_MAX) || d != (double)(int32_t)d)
            ok = fail(rd, "expected a heap id, found %s", cJSON_IsNumber(v) ? "another number" : json_type_name(v));
        else if (!find_heap(rd, s, (int32_t)d))
            ok = fail(rd, "no heap with id %.17g", d);
        else if (ok && t->nheaps && (int32_t)d <= t->heaps[t->nheaps - 1])
            ok = fail(rd, "heap ids must be ascending and unique");
        else if (ok && !vm_object_type_add_heap(t, (int32_t)d))
            ok = added(rd, NULL) != NULL;
        pop(rd, at);
    }
    pop(rd, old);
    return ok;
}

/* "outside": {"stack": N, "private_data": N, "image_data": N}, with scope "all" only. */
static bool read_object_outside(reader *rd, const cJSON *e, const vm_snapshot *s, vm_object_type *t)
{
    bool ok;
    const cJSON *o = get_object(rd, e, "outside", F_NULLABLE, &ok);
    if (!o)
        return ok;
    if (!s->census.all)
        return fail_at(rd, "outside", "only a census of scope \"all\" counts objects outside heaps");
    size_t old = push_key(rd, "outside");
    for (int w = 0; w < VM_OBJ_WHERE_COUNT && ok; w++)
        ok = get_u64(rd, o, vm_object_where_name((vm_object_where)w), F_REQUIRED, &t->outside[w], NULL);
    pop(rd, old);
    return ok;
}

static bool read_object_type(reader *rd, const cJSON *e, void *ctx)
{
    vm_snapshot *s = ctx;
    vm_object_type *t = added(rd, vm_snapshot_add_object_type(s));
    if (!t || !READ_FIELDS(rd, e, object_fields, t) || !read_object_heaps(rd, e, s, t) ||
        !read_object_outside(rd, e, s, t))
        return false;
    if (strcmp(t->abi, "itanium") != 0 && strcmp(t->abi, "msvc") != 0)
        return fail_at(rd, "abi", "expected \"itanium\" or \"msvc\"");
    if (t->bytes_estimated > t->bytes)
        return fail_at(rd, "bytes_estimated", "%" PRIu64 " is more than bytes (%" PRIu64 ")", t->bytes_estimated,
                       t->bytes);
    return true;
}

/* "census" and "objects" come together or not at all. */
static bool read_census(reader *rd, const cJSON *root, vm_snapshot *s)
{
    bool ok;
    const cJSON *c = get_object(rd, root, "census", F_NULLABLE, &ok);
    const cJSON *objects = cJSON_GetObjectItemCaseSensitive(root, "objects");
    if (!ok)
        return false;
    if (!c) {
        if (objects && !cJSON_IsNull(objects))
            return fail_at(rd, "census", "missing; \"objects\" needs it");
        return true;
    }
    size_t old = push_key(rd, "census");
    char q[64];
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(c, "scope");
    if (!cJSON_IsString(scope) || (strcmp(scope->valuestring, "heap") != 0 && strcmp(scope->valuestring, "all") != 0))
        ok = fail_at(rd, "scope", "expected \"heap\" or \"all\", found %s",
                     cJSON_IsString(scope) ? quoted(scope->valuestring, q, sizeof q)
                                           : scope ? json_type_name(scope) : "nothing");
    if (ok) {
        s->census.all = strcmp(scope->valuestring, "all") == 0;
        ok = READ_FIELDS(rd, c, census_fields, &s->census);
    }
    pop(rd, old);
    s->census.present = ok;
    return ok && read_array(rd, root, "objects", read_object_type, s);
}

/* ---- the top level ----------------------------------------------------------------------- */

static bool read_header(reader *rd, const cJSON *root)
{
    char q[192];
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!f)
        return fail_at(rd, "format", "missing; this is not a vmmap snapshot");
    if (!cJSON_IsString(f) || strcmp(f->valuestring, VM_SNAPSHOT_FORMAT) != 0)
        return fail_at(rd, "format", "expected \"%s\", found %s", VM_SNAPSHOT_FORMAT,
                       cJSON_IsString(f) ? quoted(f->valuestring, q, sizeof q) : json_type_name(f));
    double d;
    char t[64];
    if (!get_number(rd, root, "version", -JSON_MAX_INT, &d))
        return false;
    if (d < 1 || d > VM_SNAPSHOT_VERSION) {
        fail_at(rd, "version", "unsupported version %s (this vmmap reads version%s %d)",
                number_text(rd, cJSON_GetObjectItemCaseSensitive(root, "version"), t, sizeof t),
                VM_SNAPSHOT_VERSION > 1 ? "s 1 to" : "", VM_SNAPSHOT_VERSION);
        if (d > VM_SNAPSHOT_VERSION)
            vm_error_hint(rd->err, "the snapshot was written by a newer vmmap; read it with that version");
        return false;
    }
    rd->version = (int)d;
    return true;
}

static bool read_process(reader *rd, const cJSON *root, vm_process *p)
{
    bool ok;
    double pid, bits;
    const cJSON *o = get_object(rd, root, "process", F_REQUIRED, &ok);
    if (!o)
        return false;
    size_t old = push_key(rd, "process");
    ok = get_number(rd, o, "pid", -JSON_MAX_INT, &pid) && get_number(rd, o, "bits", 0, &bits);
    char t[64];
    if (ok && bits != 32 && bits != 64)
        ok = fail_at(rd, "bits", "expected 32 or 64, found %s",
                     number_text(rd, cJSON_GetObjectItemCaseSensitive(o, "bits"), t, sizeof t));
    if (ok) {
        p->pid = (int64_t)pid;
        p->bits = (int)bits;
        ok = READ_FIELDS(rd, o, process_fields, p);
    }
    pop(rd, old);
    return ok;
}

static bool read_host(reader *rd, const cJSON *root, vm_snapshot *s)
{
    bool ok;
    const cJSON *o = get_object(rd, root, "host", F_REQUIRED, &ok);
    if (!o)
        return false;
    size_t old = push_key(rd, "host");
    ok = READ_FIELDS(rd, o, host_fields, s);
    pop(rd, old);
    return ok;
}

/* "summary" is recomputed from the blocks; only its shape is checked. */
static bool check_summary(reader *rd, const cJSON *root)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "summary");
    if (v && !cJSON_IsArray(v))
        return fail_at(rd, "summary", "expected an array, found %s", json_type_name(v));
    return true;
}

/* Heaps and modules come first whatever the key order: blocks link to them. */
static bool read_snapshot(reader *rd, const cJSON *root, vm_snapshot *s)
{
    if (!cJSON_IsObject(root))
        return fail(rd, "expected a JSON object, found %s", json_type_name(root));
    return read_header(rd, root) && READ_FIELDS(rd, root, snapshot_fields, s) &&
           read_host(rd, root, s) && read_process(rd, root, &s->process) &&
           get_u64(rd, root, "page_table", F_NULLABLE, &s->page_table_bytes, &s->page_table_known) &&
           check_summary(rd, root) && read_array(rd, root, "heaps", read_heap, s) &&
           index_heaps(rd, s) && read_array(rd, root, "threads", read_thread, s) &&
           read_array(rd, root, "modules", read_module, s) && check_owner_links(rd, s) &&
           read_array(rd, root, "warnings", read_warning, s) &&
           read_array(rd, root, "regions", read_region, s) && read_census(rd, root, s);
}

/* What was read must also hang together (vmmap/model/snapshot_check.h): blocks inside their
 * regions and adding up to them, regions apart, a page size, a user top, a possible time. */
static bool check_consistent(reader *rd, const vm_snapshot *s)
{
    char path[96], problem[256];
    if (vm_snapshot_check(s, path, sizeof path, problem, sizeof problem))
        return true;
    vm_error_set(rd->err, VM_EXIT_BAD_INPUT, "%s: %s: %s", rd->name, path, problem);
    return false;
}

/* ---- text -------------------------------------------------------------------------------- */

static size_t line_of(const char *text, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset; i++)
        line += text[i] == '\n';
    return line;
}

static cJSON *parse_text(const char *text, size_t len, const char *name, vm_error *err)
{
    if (len == 0) {
        vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: not JSON (the input is empty)", name);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root) {
        /* cJSON stops after the first value; anything but whitespace after it is an error. */
        while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
            end++;
        if (end == text + len)
            return root;
        cJSON_Delete(root);
    }
    size_t at = (end && end >= text && end <= text + len) ? (size_t)(end - text) : 0;
    char why[128];
    const char *problem = vm_json_parse_problem(text, len, at, why, sizeof why);
    vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: not JSON (error near byte %" PRIu64 ", line %" PRIu64 ")%s%s", name,
                 (uint64_t)at, (uint64_t)line_of(text, at), problem ? ": " : "", problem ? problem : "");
    return NULL;
}

static vm_snapshot *from_json(const char *text, size_t len, const char *name, vm_error *err)
{
    cJSON *root = parse_text(text, len, name, err);
    if (!root)
        return NULL;
    vm_snapshot *s = vm_snapshot_new();
    if (!s) {
        cJSON_Delete(root);
        vm_error_set(err, VM_EXIT_ERROR, "%s: out of memory", name);
        return NULL;
    }
    reader rd = {.name = name, .err = err, .text = text, .len = len, .root = root};
    bool ok = read_snapshot(&rd, root, s) && check_consistent(&rd, s);
    free(rd.heaps);
    cJSON_Delete(root);
    if (!ok) {
        vm_snapshot_free(s);
        return NULL;
    }
    return s;
}

vm_snapshot *vm_snapshot_from_json(const char *text, size_t len, const char *source_name, vm_error *err)
{
    /* The parse tree lives in an arena (json_arena.h); the snapshot is built with malloc. */
    vm_json_arena_begin();
    vm_snapshot *s = from_json(text, len, source_name ? source_name : "snapshot", err);
    vm_json_arena_end();
    return s;
}

/* ---- files ------------------------------------------------------------------------------- */

static void set_open_error(vm_error *err, const char *path, int e)
{
    if (e == ENOENT)
        vm_error_set(err, VM_EXIT_NOT_FOUND, "cannot read %s: no such file", path);
    else if (e == EACCES || e == EPERM)
        vm_error_set(err, VM_EXIT_ACCESS, "cannot read %s: permission denied", path);
    else if (e == EISDIR)
        vm_error_set(err, VM_EXIT_BAD_INPUT, "cannot read %s: it is a directory", path);
    else
        vm_error_set(err, VM_EXIT_ERROR, "cannot read %s: %s", path, strerror(e));
}

static bool too_large(vm_error *err, const char *path)
{
    vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: file is too large for a snapshot (the limit is 2 GiB)", path);
    return false;
}

/* Reads the whole stream into *buf (malloc'd), refusing more than JSON_MAX_FILE_BYTES.  hint: the
 * expected size (regular files), to read in one go. */
static bool slurp(FILE *fp, const char *path, size_t hint, char **buf, size_t *len, vm_error *err)
{
    size_t cap = 0, n = 0;
    char *b = NULL;
    for (;;) {
        if (n == cap) {
            if (n > JSON_MAX_FILE_BYTES) {
                free(b);
                return too_large(err, path);
            }
            size_t ncap = cap ? cap * 2 : hint + 1 > 65536 ? hint + 1 : 65536;
            if (ncap > JSON_MAX_FILE_BYTES + 1)
                ncap = JSON_MAX_FILE_BYTES + 1;
            char *grown = realloc(b, ncap);
            if (!grown) {
                free(b);
                vm_error_set(err, VM_EXIT_ERROR, "cannot read %s: out of memory", path);
                return false;
            }
            b = grown;
            cap = ncap;
        }
        size_t got = fread(b + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        set_open_error(err, path, errno ? errno : EIO);
        free(b);
        return false;
    }
    *buf = b;
    *len = n;
    return true;
}

/* Refuses directories and oversized files before reading; sets *hint to the file size. */
static bool check_input(FILE *fp, const char *path, size_t *hint, vm_error *err)
{
    struct stat st;
    *hint = 0;
    if (fstat(fileno(fp), &st) != 0)
        return true; /* reading will tell */
    if (S_ISDIR(st.st_mode)) {
        set_open_error(err, path, EISDIR);
        return false;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > JSON_MAX_FILE_BYTES)
        return too_large(err, path);
    if (S_ISREG(st.st_mode))
        *hint = (size_t)st.st_size;
    return true;
}

vm_snapshot *vm_snapshot_read_json(const char *path, vm_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "standard input" : path;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        set_open_error(err, path, errno);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, hint;
    errno = 0;
    bool ok = check_input(fp, name, &hint, err) && slurp(fp, name, hint, &text, &len, err);
    if (!is_stdin)
        fclose(fp);
    vm_snapshot *s = ok ? vm_snapshot_from_json(text, len, name, err) : NULL;
    free(text);
    return s;
}
