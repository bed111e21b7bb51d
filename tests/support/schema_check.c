#include "schema_check.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct checker {
    const cJSON *root;
    char *why;
    size_t len, used;
    int quiet;        /* > 0 inside oneOf/anyOf branches: failures are not reported */
    int problems;
} checker;

static bool problem(checker *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool problem(checker *c, const char *path, const char *fmt, ...)
{
    if (c->quiet)
        return false;
    c->problems++;
    if (c->used + 1 >= c->len)
        return false;
    int n = snprintf(c->why + c->used, c->len - c->used, "%s%s: ", c->used ? "\n" : "", *path ? path : "(root)");
    if (n > 0)
        c->used += (size_t)n < c->len - c->used ? (size_t)n : c->len - c->used - 1;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(c->why + c->used, c->len - c->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->used += (size_t)n < c->len - c->used ? (size_t)n : c->len - c->used - 1;
    return false;
}

static bool is_type(const cJSON *v, const char *type)
{
    if (strcmp(type, "object") == 0)
        return cJSON_IsObject(v);
    if (strcmp(type, "array") == 0)
        return cJSON_IsArray(v);
    if (strcmp(type, "string") == 0)
        return cJSON_IsString(v);
    if (strcmp(type, "null") == 0)
        return cJSON_IsNull(v);
    if (strcmp(type, "boolean") == 0)
        return cJSON_IsBool(v);
    if (strcmp(type, "number") == 0)
        return cJSON_IsNumber(v);
    if (strcmp(type, "integer") == 0)
        return cJSON_IsNumber(v) && floor(v->valuedouble) == v->valuedouble;
    return false;
}

static bool type_ok(const cJSON *v, const cJSON *type)
{
    if (cJSON_IsString(type))
        return is_type(v, type->valuestring);
    const cJSON *t;
    cJSON_ArrayForEach(t, type)
        if (cJSON_IsString(t) && is_type(v, t->valuestring))
            return true;
    return false;
}

/* JSON equality for enum, const and uniqueItems (the schema's values are strings and numbers). */
static bool same(const cJSON *a, const cJSON *b)
{
    return cJSON_Compare(a, b, true);
}

static void sub_path(char *out, size_t len, const char *path, const char *key, int index)
{
    if (key)
        snprintf(out, len, "%s%s%s", path, *path ? "." : "", key);
    else
        snprintf(out, len, "%s[%d]", path, index);
}

static bool check(checker *c, const cJSON *s, const cJSON *v, const char *path, int depth);

static const cJSON *resolve(checker *c, const char *ref, const char *path)
{
    const char *prefix = "#/$defs/";
    if (strncmp(ref, prefix, strlen(prefix)) != 0) {
        problem(c, path, "$ref %s: only #/$defs/NAME is known here", ref);
        return NULL;
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->root, "$defs"),
                                                      ref + strlen(prefix));
    if (!d)
        problem(c, path, "$ref %s: no such definition", ref);
    return d;
}

/* How many of the branches v follows (quietly). */
static int branches_matched(checker *c, const cJSON *list, const cJSON *v, const char *path, int depth)
{
    int n = 0;
    const cJSON *b;
    c->quiet++;
    cJSON_ArrayForEach(b, list)
        n += check(c, b, v, path, depth + 1);
    c->quiet--;
    return n;
}

static bool check_object(checker *c, const cJSON *s, const cJSON *v, const char *path, int depth)
{
    bool ok = true;
    char sub[512];
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties"), *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(s, "required"))
        if (cJSON_IsString(k) && !cJSON_GetObjectItemCaseSensitive(v, k->valuestring))
            ok = problem(c, path, "required key \"%s\" is missing", k->valuestring);
    const cJSON *dep = cJSON_GetObjectItemCaseSensitive(s, "dependentRequired");
    for (const cJSON *d = dep ? dep->child : NULL; d; d = d->next) {
        if (!cJSON_GetObjectItemCaseSensitive(v, d->string))
            continue;
        cJSON_ArrayForEach(k, d)
            if (cJSON_IsString(k) && !cJSON_GetObjectItemCaseSensitive(v, k->valuestring))
                ok = problem(c, path, "\"%s\" is there, so \"%s\" must be", d->string, k->valuestring);
    }
    for (const cJSON *m = v->child; m; m = m->next) {
        sub_path(sub, sizeof sub, path, m->string, 0);
        const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        if (props && !ps)
            ok = problem(c, sub, "key not described by the schema");
        else if (ps && !check(c, ps, m, sub, depth + 1))
            ok = false;
    }
    return ok;
}

static bool check_array(checker *c, const cJSON *s, const cJSON *v, const char *path, int depth)
{
    bool ok = true;
    char sub[512];
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(s, "minItems");
    int n = cJSON_GetArraySize(v);
    if (cJSON_IsNumber(min) && n < min->valuedouble)
        ok = problem(c, path, "%d items, at least %g wanted", n, min->valuedouble);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        sub_path(sub, sizeof sub, path, NULL, i);
        if (items && !check(c, items, e, sub, depth + 1))
            ok = false;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "uniqueItems")))
            for (const cJSON *f = v->child; f != e; f = f->next)
                if (same(e, f))
                    ok = problem(c, sub, "repeats an earlier item (uniqueItems)");
    }
    return ok;
}

static bool check_scalar(checker *c, const cJSON *s, const cJSON *v, const char *path)
{
    bool ok = true;
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(s, "minimum");
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(s, "maximum");
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(s, "pattern");
    if (cJSON_IsNumber(v) && cJSON_IsNumber(min) && v->valuedouble < min->valuedouble)
        ok = problem(c, path, "%.17g is below the minimum %.17g", v->valuedouble, min->valuedouble);
    if (cJSON_IsNumber(v) && cJSON_IsNumber(max) && v->valuedouble > max->valuedouble)
        ok = problem(c, path, "%.17g is above the maximum %.17g", v->valuedouble, max->valuedouble);
    if (cJSON_IsString(v) && cJSON_IsString(pat)) {
        regex_t re;
        if (regcomp(&re, pat->valuestring, REG_EXTENDED | REG_NOSUB) != 0)
            return problem(c, path, "the schema's pattern %s does not compile", pat->valuestring);
        if (regexec(&re, v->valuestring, 0, NULL, 0) != 0)
            ok = problem(c, path, "\"%s\" does not match %s", v->valuestring, pat->valuestring);
        regfree(&re);
    }
    return ok;
}

static bool check(checker *c, const cJSON *s, const cJSON *v, const char *path, int depth)
{
    if (depth > MAX_DEPTH)
        return problem(c, path, "nested too deep");
    if (!cJSON_IsObject(s))
        return problem(c, path, "the schema here is not an object");
    bool ok = true;
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(s, "$ref");
    if (cJSON_IsString(ref)) {
        const cJSON *d = resolve(c, ref->valuestring, path);
        ok = d && check(c, d, v, path, depth + 1);
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(s, "type");
    if (type && !type_ok(v, type)) {
        char *t = cJSON_PrintUnformatted(type);
        problem(c, path, "not of type %s", t ? t : "?");
        cJSON_free(t);
        return false;
    }
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(s, "enum"), *e;
    if (en) {
        bool any = false;
        cJSON_ArrayForEach(e, en) any |= same(e, v);
        if (!any) {
            char *t = cJSON_PrintUnformatted(v);
            ok = problem(c, path, "%s is none of the enum's values", t ? t : "?");
            cJSON_free(t);
        }
    }
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(s, "const");
    if (cn && !same(cn, v))
        ok = problem(c, path, "not the schema's const value");
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(s, "oneOf"), *any = cJSON_GetObjectItemCaseSensitive(s, "anyOf");
    if (one) {
        int n = branches_matched(c, one, v, path, depth);
        if (n != 1) {
            ok = problem(c, path, "follows %d of the oneOf branches, not exactly one", n);
            if (n == 0 && !c->quiet) /* why: the branches of v's own type (not the null one) */
                cJSON_ArrayForEach(e, one)
                {
                    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(e, "type");
                    if (!bt || type_ok(v, bt))
                        check(c, e, v, path, depth + 1);
                }
        }
    }
    if (any && branches_matched(c, any, v, path, depth) == 0)
        ok = problem(c, path, "follows none of the anyOf branches");
    if (cJSON_IsObject(v))
        ok &= check_object(c, s, v, path, depth);
    else if (cJSON_IsArray(v))
        ok &= check_array(c, s, v, path, depth);
    else
        ok &= check_scalar(c, s, v, path);
    return ok;
}

bool sc_validate(const cJSON *schema, const cJSON *doc, char *why, size_t len)
{
    checker c = {schema, why, len, 0, 0, 0};
    if (len)
        why[0] = '\0';
    return check(&c, schema, doc, "", 0) && c.problems == 0;
}
