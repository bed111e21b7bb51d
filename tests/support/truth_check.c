#include "truth_check.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proc_util.h"

int g_errors;

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
