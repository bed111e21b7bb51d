#include "truth_check.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proc_util.h"
#include "report/json.h"
#include "report/json_reload.h"

int g_errors;

bool loads_again(const char *path, char *why, size_t len)
{
    vm_error err;
    vm_error_clear(&err);
    vm_snapshot *s = vm_snapshot_read_json(path, &err);
    if (!s) {
        snprintf(why, len, "%s", err.msg);
        return false;
    }
    char again[400];
    bool ok = vm_snapshot_reloads(s, again, sizeof again);
    if (!ok)
        snprintf(why, len, "written again, it %s", again);
    vm_snapshot_free(s);
    return ok;
}

void expect(bool ok, const char *fmt, ...)
{
    if (ok)
        return;
    g_errors++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  MISMATCH: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

void expect_none(const char *what)
{
    if (g_errors)
        fail_msg("%s: %d mismatch(es), listed above", what, g_errors);
}

const char *str_or(const cJSON *o, const char *key)
{
    const char *s = pu_json_str(o, key);
    return s ? s : "(none)";
}

bool str_is(const cJSON *o, const char *key, const char *want)
{
    const char *s = pu_json_str(o, key);
    return s && strcmp(s, want) == 0;
}

bool str_has(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

int64_t int_or(const cJSON *o, const char *key, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

uint64_t hex_of(const cJSON *o, const char *key)
{
    uint64_t v = 0;
    if (pu_json_hex(o, key, &v) != 0)
        fail_msg("ground truth: %s", pu_last_error());
    return v;
}

uint64_t u64_of(const cJSON *o, const char *key)
{
    uint64_t v = 0;
    if (pu_json_u64(o, key, &v) != 0)
        fail_msg("ground truth: %s", pu_last_error());
    return v;
}

const cJSON *member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        fail_msg("ground truth has no \"%s\"", key);
    return v;
}

const char *describe(const cJSON *b, char *buf, size_t len)
{
    if (!b) {
        snprintf(buf, len, "(no block)");
        return buf;
    }
    snprintf(buf, len, "block %s +%" PRId64 " type=%s state=%s prot=%s memtype=%s details=%s path=%s",
             str_or(b, "address"), int_or(b, "size", -1), str_or(b, "type"), str_or(b, "state"),
             str_or(b, "protection"), str_or(b, "memtype"), str_or(b, "details"), str_or(b, "path"));
    return buf;
}

void expect_range(const cJSON *snap, const char *what, uint64_t lo, uint64_t hi, const char *type,
                  const char *state, uint64_t heap_addr)
{
    char d[320];
    uint64_t pos = lo;
    while (pos < hi) {
        const cJSON *b = pu_snapshot_find_block(snap, pos, NULL);
        expect(b != NULL, "%s: no block contains 0x%" PRIx64, what, pos);
        if (!b)
            return;
        expect(str_is(b, "type", type), "%s at 0x%" PRIx64 ": want type %s, got %s", what, pos, type,
               describe(b, d, sizeof d));
        if (state)
            expect(str_is(b, "state", state), "%s at 0x%" PRIx64 ": want state %s, got %s", what, pos, state,
                   describe(b, d, sizeof d));
        if (heap_addr) {
            const cJSON *h = pu_snapshot_block_heap(snap, b);
            uint64_t ha = 0;
            if (h)
                pu_json_hex(h, "address", &ha);
            expect(h && ha == heap_addr, "%s at 0x%" PRIx64 ": want a link to heap 0x%" PRIx64 ", got %s in %s", what,
                   pos, heap_addr, h ? str_or(h, "address") : "no heap link", describe(b, d, sizeof d));
        }
        uint64_t a = 0, s = 0;
        if (pu_json_hex(b, "address", &a) != 0 || pu_json_u64(b, "size", &s) != 0 || s == 0) {
            expect(false, "%s: malformed or empty block at 0x%" PRIx64, what, pos);
            return;
        }
        pos = a + s;
    }
}
