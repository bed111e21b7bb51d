/* MSVC decorated type names (an RTTI TypeDescriptor's name: ".?AV" / ".?AU" / ".?AT" / ".?AW4"
 * then a qualified name ending in "@@") turned into the text a user reads.  See type_names.h.
 *
 * A qualified name is a list of fragments, innermost first, each ending in '@', the list ending
 * in one more '@': ".?AVName@ns@@" is ns::Name.  A fragment is an identifier, a template
 * instance "?$name@<args>@", a back-reference digit 0-9 to an earlier fragment of the same
 * scope, or an anonymous namespace "?A0x1234abcd@".  A template instance opens a scope of its
 * own (its name is the scope's first fragment), and once closed counts as one fragment of the
 * enclosing scope (the layout LLVM's MicrosoftDemangle.cpp documents).
 *
 * Template arguments: the primitive types, classes/structs/unions/enums (V U T W4 + name), the
 * pointers and references (P Q R S A, $$Q, with the __ptr64 marker E and the pointee's cv
 * letter), cv-qualified types ($$C), function types and pointers ($$A6, P6), integers ($0),
 * nullptr ($$T) and empty packs ($$V, $S).  Anything else is refused.
 *
 * Output follows type_info::name() without its class/struct/union/enum keywords:
 * "std::map<int,int,std::less<int>,std::allocator<std::pair<int const,int> > >". */
#include "type_names.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_BYTES 8192
#define MAX_DEPTH 32
#define MAX_BACKREFS 10

typedef struct scope {
    /* Memorized fragments of the current scope, as offsets of their text in the output pool. */
    struct {
        uint32_t off, len;
    } names[MAX_BACKREFS];
    int nnames;
} scope;

typedef struct ud {
    const char *p, *end;
    char pool[OUT_BYTES];
    uint32_t used;
    bool failed;
    int depth;
    scope *sc;
} ud;

typedef struct txt {
    uint32_t off, len;
} txt;

static bool fail(ud *u)
{
    u->failed = true;
    return false;
}

static void put_n(ud *u, const char *s, size_t n)
{
    if (u->failed)
        return;
    if (n > OUT_BYTES - u->used) {
        u->failed = true;
        return;
    }
    memmove(u->pool + u->used, s, n);
    u->used += (uint32_t)n;
}

static void put(ud *u, const char *s)
{
    put_n(u, s, strlen(s));
}

static void put_t(ud *u, txt t)
{
    if (!u->failed)
        put_n(u, u->pool + t.off, t.len);
}

static txt done(const ud *u, uint32_t start)
{
    txt t = {start, u->used - start};
    return t;
}

static char peek(const ud *u)
{
    return u->p < u->end ? *u->p : 0;
}

static bool eat(ud *u, char c)
{
    if (peek(u) != c)
        return false;
    u->p++;
    return true;
}

static bool starts(const ud *u, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(u->end - u->p) >= n && memcmp(u->p, s, n) == 0;
}

static void memorize(ud *u, txt t)
{
    scope *s = u->sc;
    for (int i = 0; i < s->nnames; i++)
        if (s->names[i].len == t.len && memcmp(u->pool + s->names[i].off, u->pool + t.off, t.len) == 0)
            return;
    if (s->nnames < MAX_BACKREFS) {
        s->names[s->nnames].off = t.off;
        s->names[s->nnames].len = t.len;
        s->nnames++;
    }
}

static bool enter(ud *u)
{
    return ++u->depth <= MAX_DEPTH || fail(u);
}

static bool leave(ud *u, bool ok)
{
    u->depth--;
    return ok && !u->failed;
}

static bool qualified_name(ud *u, txt *out);
static bool type(ud *u, txt *out);

/* An identifier up to '@' (consumed). */
static bool identifier(ud *u, txt *out)
{
    const char *s = u->p;
    while (u->p < u->end && *u->p != '@') {
        unsigned char c = (unsigned char)*u->p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '$' || c == '<' || c == '>' || c == '-';
        if (!ok)
            return fail(u);
        u->p++;
    }
    if (u->p == s || !eat(u, '@'))
        return fail(u);
    uint32_t m = u->used;
    put_n(u, s, (size_t)(u->p - 1 - s));
    *out = done(u, m);
    return !u->failed;
}

/* MSVC's encoded number: [?] then a digit 0-9 meaning 1-10, or hex digits A-P ending in '@'. */
static bool number(ud *u, int64_t *out)
{
    bool neg = eat(u, '?');
    char c = peek(u);
    uint64_t v = 0;
    if (c >= '0' && c <= '9') {
        u->p++;
        v = (uint64_t)(c - '0') + 1;
    } else {
        int n = 0;
        while (peek(u) >= 'A' && peek(u) <= 'P') {
            v = v * 16 + (uint64_t)(*u->p++ - 'A');
            if (++n > 16)
                return fail(u);
        }
        if (n == 0 || !eat(u, '@'))
            return fail(u);
    }
    if (v > (uint64_t)INT64_MAX)
        return fail(u);
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

static const struct {
    const char *code;
    const char *text;
} PRIMITIVES[] = {
    {"C", "signed char"}, {"D", "char"}, {"E", "unsigned char"}, {"F", "short"},
    {"G", "unsigned short"}, {"H", "int"}, {"I", "unsigned int"}, {"J", "long"},
    {"K", "unsigned long"}, {"M", "float"}, {"N", "double"}, {"O", "long double"}, {"X", "void"},
    {"_D", "__int8"}, {"_E", "unsigned __int8"}, {"_F", "__int16"}, {"_G", "unsigned __int16"},
    {"_H", "__int32"}, {"_I", "unsigned __int32"}, {"_J", "__int64"}, {"_K", "unsigned __int64"},
    {"_L", "__int128"}, {"_M", "unsigned __int128"}, {"_N", "bool"}, {"_Q", "char8_t"},
    {"_S", "char16_t"}, {"_U", "char32_t"}, {"_W", "wchar_t"},
};

/* "?$name@args@": the template's own scope holds its name then what the arguments memorize. */
static bool template_instance(ud *u, txt *out)
{
    if (!enter(u))
        return false;
    u->p += 2; /* ?$ */
    scope inner = {0}, *outer = u->sc;
    u->sc = &inner;
    txt nm;
    bool ok = identifier(u, &nm);
    if (ok)
        memorize(u, nm);
    txt args[64];
    int n = 0;
    bool any = false; /* an argument, or an (empty) pack: a template has at least one */
    while (ok && peek(u) != '@') {
        if (!peek(u) || n >= 64) {
            ok = fail(u);
            break;
        }
        any = true;
        if (starts(u, "$$V") || starts(u, "$$Z") || starts(u, "$S")) { /* empty pack, pack separator */
            u->p += starts(u, "$S") ? 2 : 3;
            continue;
        }
        ok = type(u, &args[n]);
        n++;
    }
    u->sc = outer;
    if (!ok || !any || !eat(u, '@'))
        return leave(u, fail(u));
    uint32_t m = u->used;
    put_t(u, nm);
    put(u, "<");
    for (int i = 0; i < n; i++) {
        if (i)
            put(u, ",");
        put_t(u, args[i]);
    }
    if (u->used > m && u->pool[u->used - 1] == '>')
        put(u, " ");
    put(u, ">");
    *out = done(u, m);
    return leave(u, !u->failed);
}

/* One fragment of a qualified name. */
static bool fragment(ud *u, txt *out)
{
    char c = peek(u);
    if (c >= '0' && c <= '9') {
        u->p++;
        int i = c - '0';
        if (i >= u->sc->nnames)
            return fail(u);
        out->off = u->sc->names[i].off;
        out->len = u->sc->names[i].len;
        return true;
    }
    if (starts(u, "?$")) {
        if (!template_instance(u, out))
            return false;
        memorize(u, *out);
        return true;
    }
    if (starts(u, "?A0x")) { /* anonymous namespace: ?A0x<hex>@ */
        u->p += 4;
        const char *h = u->p;
        while ((peek(u) >= '0' && peek(u) <= '9') || (peek(u) >= 'a' && peek(u) <= 'f'))
            u->p++;
        if (u->p == h || !eat(u, '@'))
            return fail(u);
        uint32_t m = u->used;
        put(u, "`anonymous namespace'");
        *out = done(u, m);
        memorize(u, *out);
        return !u->failed;
    }
    if (c == '?')
        return fail(u); /* local scopes, special names: refused */
    if (!identifier(u, out))
        return false;
    memorize(u, *out);
    return true;
}

/* Fragments up to the closing '@', printed outermost first with "::". */
static bool qualified_name(ud *u, txt *out)
{
    if (!enter(u))
        return false;
    txt frags[32];
    int n = 0;
    while (peek(u) != '@') {
        if (!peek(u) || n >= 32)
            return leave(u, fail(u));
        if (!fragment(u, &frags[n]))
            return leave(u, false);
        n++;
    }
    u->p++;
    if (n == 0)
        return leave(u, fail(u));
    uint32_t m = u->used;
    for (int i = n - 1; i >= 0; i--) {
        put_t(u, frags[i]);
        if (i)
            put(u, "::");
    }
    *out = done(u, m);
    return leave(u, !u->failed);
}

static const char *cv_word(char c)
{
    switch (c) {
    case 'A': return "";
    case 'B': return " const";
    case 'C': return " volatile";
    case 'D': return " const volatile";
    default: return NULL;
    }
}

/* The pointee of a pointer or reference: [E] [I] [F] <cv letter> <type> (E: __ptr64). */
static bool pointee(ud *u, txt *out)
{
    while (peek(u) == 'E' || peek(u) == 'I' || peek(u) == 'F')
        u->p++;
    const char *cv = cv_word(peek(u));
    if (!cv)
        return fail(u);
    u->p++;
    txt t;
    if (!type(u, &t))
        return false;
    uint32_t m = u->used;
    put_t(u, t);
    put(u, cv);
    *out = done(u, m);
    return !u->failed;
}

static const char *calling_convention(char c)
{
    switch (c) {
    case 'A': return "__cdecl";
    case 'C': return "__pascal";
    case 'E': return "__thiscall";
    case 'G': return "__stdcall";
    case 'I': return "__fastcall";
    case 'M': return "__clrcall";
    case 'Q': return "__vectorcall";
    default: return NULL;
    }
}

/* After "6": <calling convention> <return type> <params> Z; params "X" alone is "(void)".
 * decl: the declarator inside the parentheses ("*" for a pointer, "" for a function type). */
static bool function_type(ud *u, const char *decl, txt *out)
{
    const char *cc = calling_convention(peek(u));
    if (!cc)
        return fail(u);
    u->p++;
    txt ret;
    if (!type(u, &ret))
        return false;
    txt params[32];
    int n = 0;
    bool is_void = false;
    if (eat(u, 'X')) {
        is_void = true;
    } else {
        while (peek(u) != '@' && peek(u) != 'Z') {
            if (!peek(u) || n >= 32)
                return fail(u);
            if (!type(u, &params[n]))
                return false;
            n++;
        }
        eat(u, '@');
    }
    if (!eat(u, 'Z'))
        return fail(u);
    uint32_t m = u->used;
    put_t(u, ret);
    if (*decl) {
        put(u, " (");
        put(u, cc);
        put(u, decl);
        put(u, ")(");
    } else {
        put(u, " ");
        put(u, cc);
        put(u, "(");
    }
    if (is_void)
        put(u, "void");
    for (int i = 0; i < n; i++) {
        if (i)
            put(u, ",");
        put_t(u, params[i]);
    }
    put(u, ")");
    *out = done(u, m);
    return !u->failed;
}

static bool type_inner(ud *u, txt *out)
{
    for (size_t i = 0; i < sizeof PRIMITIVES / sizeof PRIMITIVES[0]; i++) {
        const char *code = PRIMITIVES[i].code;
        if (starts(u, code) && (code[0] == '_' || peek(u) == code[0])) {
            u->p += strlen(code);
            uint32_t m = u->used;
            put(u, PRIMITIVES[i].text);
            *out = done(u, m);
            return !u->failed;
        }
    }
    char c = peek(u);
    if (c == 'V' || c == 'U' || c == 'T') {
        u->p++;
        return qualified_name(u, out);
    }
    if (c == 'W') {
        u->p++;
        if (peek(u) < '0' || peek(u) > '7')
            return fail(u);
        u->p++;
        return qualified_name(u, out);
    }
    if (starts(u, "P6")) {
        u->p += 2;
        return function_type(u, "*", out);
    }
    if (starts(u, "$$A6")) {
        u->p += 4;
        return function_type(u, "", out);
    }
    if (c == 'P' || c == 'Q' || c == 'R' || c == 'S' || c == 'A' || starts(u, "$$Q")) {
        const char *op = c == 'A' ? " &" : starts(u, "$$Q") ? " &&" : " *";
        const char *self = c == 'Q' ? " const" : c == 'R' ? " volatile" : c == 'S' ? " const volatile" : "";
        u->p += starts(u, "$$Q") ? 3 : 1;
        txt t;
        if (!pointee(u, &t))
            return false;
        uint32_t m = u->used;
        put_t(u, t);
        put(u, op);
        put(u, self);
        *out = done(u, m);
        return !u->failed;
    }
    if (starts(u, "$$C")) { /* cv-qualified type */
        u->p += 3;
        const char *cv = cv_word(peek(u));
        if (!cv)
            return fail(u);
        u->p++;
        txt t;
        if (!type(u, &t))
            return false;
        uint32_t m = u->used;
        put_t(u, t);
        put(u, cv);
        *out = done(u, m);
        return !u->failed;
    }
    if (starts(u, "$$T")) {
        u->p += 3;
        uint32_t m = u->used;
        put(u, "std::nullptr_t");
        *out = done(u, m);
        return !u->failed;
    }
    if (starts(u, "$0")) {
        u->p += 2;
        int64_t v;
        if (!number(u, &v))
            return false;
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)v);
        uint32_t m = u->used;
        put(u, buf);
        *out = done(u, m);
        return !u->failed;
    }
    return fail(u);
}

static bool type(ud *u, txt *out)
{
    if (!enter(u))
        return false;
    return leave(u, type_inner(u, out));
}

bool vm_msvc_type_name(const char *decorated, char *out, size_t cap)
{
    if (cap)
        out[0] = 0;
    if (!decorated || !cap)
        return false;
    size_t len = strnlen(decorated, VM_TYPE_NAME_INPUT_MAX + 1);
    if (len < 6 || len > VM_TYPE_NAME_INPUT_MAX || memcmp(decorated, ".?A", 3) != 0)
        return false;
    ud *u = calloc(1, sizeof *u);
    if (!u)
        return false;
    scope top = {0};
    u->sc = &top;
    u->p = decorated + 3;
    u->end = decorated + len;
    char kind = *u->p++;
    bool ok = true;
    if (kind == 'W')
        ok = peek(u) >= '0' && peek(u) <= '7' && u->p++;
    else if (kind != 'V' && kind != 'U' && kind != 'T')
        ok = false;
    txt t;
    ok = ok && qualified_name(u, &t) && u->p == u->end && !u->failed && t.len > 0 && t.len < cap;
    if (ok) {
        memcpy(out, u->pool + t.off, t.len);
        out[t.len] = 0;
    }
    free(u);
    return ok;
}
