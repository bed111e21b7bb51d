/* Itanium C++ ABI type names (the <type> production, as std::type_info keeps it), demangled
 * into __cxa_demangle's text.  See type_names.h for why we carry our own.
 *
 * The parser follows the ABI's grammar (itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling)
 * for what class names contain: nested and local names, templates (types, literals, packs),
 * std:: abbreviations, substitutions and template parameters, builtin, qualified, pointer,
 * reference, array, function and member pointer types, unnamed types and lambdas, ABI tags.
 * Expressions (X...E, decltype) and vendor qualifiers are refused.
 *
 * Every piece of text lives in one fixed pool; a type is kept as up to three pieces so that
 * pointers to functions and arrays print the C way ("int (*)(char)", "int (*) [4]").  The
 * substitution table records candidates in the order the ABI (and libiberty) add them. */
#include "type_names.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BYTES 65536u
#define MAX_SUBS 512
#define MAX_TARGS 64
#define MAX_DEPTH 64

typedef struct piece {
    uint32_t off, len;
} piece;

typedef enum { TY_SIMPLE, TY_FUNC, TY_ARRAY } ty_kind;

/* SIMPLE: all of it in base.  FUNC: base = return type, suffix = "(params)" and qualifiers.
 * ARRAY: base = element type, suffix = "[N]...".  decl: declarators applied to a function or
 * array ("*", "&", "A::*", " const"), printed in parentheses between base and suffix. */
typedef struct ty {
    ty_kind kind;
    piece base, decl, suffix;
    bool returns_declarator; /* a function returning a function pointer: no declarator fits */
} ty;

typedef struct dm {
    const char *p, *end;
    char *pool;
    uint32_t used;
    bool failed;
    int depth;
    ty subs[MAX_SUBS];
    size_t nsubs;
    ty targs[MAX_TARGS];  /* the last complete template argument list, for T_ */
    size_t ntargs;
    int targs_level;      /* template-args nesting: only level 0 lists are kept for T_ */
    bool targs_frozen;    /* in a template function's signature: T_ means its arguments */
} dm;

/* ---- text pool ------------------------------------------------------------------------- */

static const piece EMPTY = {0, 0};

static bool fail(dm *d)
{
    d->failed = true;
    return false;
}

static uint32_t mark(const dm *d)
{
    return d->used;
}

static void put_n(dm *d, const char *s, size_t n)
{
    if (d->failed)
        return;
    if (n > POOL_BYTES - d->used) {
        d->failed = true;
        return;
    }
    memmove(d->pool + d->used, s, n);
    d->used += (uint32_t)n;
}

static void put(dm *d, const char *s)
{
    put_n(d, s, strlen(s));
}

static void put_p(dm *d, piece p)
{
    /* p lies below d->used, so copying it to the end never overlaps what is being written. */
    if (!d->failed)
        put_n(d, d->pool + p.off, p.len);
}

static piece done(const dm *d, uint32_t start)
{
    piece p = {start, d->used - start};
    return p;
}

static char last_char(const dm *d)
{
    return d->used ? d->pool[d->used - 1] : 0;
}

static piece lit(dm *d, const char *s)
{
    uint32_t m = mark(d);
    put(d, s);
    return done(d, m);
}

static bool piece_eq_lit(const dm *d, piece p, const char *s)
{
    return p.len == strlen(s) && memcmp(d->pool + p.off, s, p.len) == 0;
}

static ty simple(piece p)
{
    ty t = {TY_SIMPLE, p, EMPTY, EMPTY, false};
    return t;
}

/* The whole type as text. */
static piece ty_text(dm *d, const ty *t)
{
    if (t->kind == TY_SIMPLE)
        return t->base;
    uint32_t m = mark(d);
    put_p(d, t->base);
    if (t->base.len)
        put(d, " ");
    if (t->decl.len) {
        put(d, "(");
        put_p(d, t->decl);
        put(d, t->kind == TY_ARRAY ? ") " : ")");
    }
    put_p(d, t->suffix);
    return done(d, m);
}

/* Applies a declarator ("*", "&", "&&", " const", "A::*") to t. */
static void ty_apply(dm *d, ty *t, const char *op, piece member_class)
{
    if (t->returns_declarator) { /* "int (*(*)(char))(long)": not printed, refused */
        d->failed = true;
        return;
    }
    uint32_t m = mark(d);
    if (t->kind == TY_SIMPLE) {
        put_p(d, t->base);
        if (member_class.len) {
            put(d, " ");
            put_p(d, member_class);
            put(d, "::");
        }
        put(d, op);
        t->base = done(d, m);
    } else {
        put_p(d, t->decl);
        if (member_class.len) {
            put_p(d, member_class);
            put(d, "::");
        }
        put(d, op);
        t->decl = done(d, m);
    }
}

/* ---- input ----------------------------------------------------------------------------- */

static char peek(const dm *d)
{
    return d->p < d->end ? *d->p : 0;
}

static char peek2(const dm *d)
{
    return d->p + 1 < d->end ? d->p[1] : 0;
}

static bool eat(dm *d, char c)
{
    if (peek(d) != c)
        return false;
    d->p++;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

/* <number> ::= [n] <decimal>; returns false when there are no digits or it is too large. */
static bool number(dm *d, long *out, bool allow_negative)
{
    bool neg = allow_negative && eat(d, 'n');
    if (!is_digit(peek(d)))
        return false;
    long v = 0;
    while (is_digit(peek(d))) {
        if (v > 100000000L)
            return false;
        v = v * 10 + (*d->p++ - '0');
    }
    *out = neg ? -v : v;
    return true;
}

/* <seq-id> _ (base 36, upper-case letters) or just _ ; returns the index (0 for "_"). */
static bool seq_id(dm *d, size_t *out)
{
    if (eat(d, '_')) {
        *out = 0;
        return true;
    }
    size_t v = 0;
    bool any = false;
    while (is_digit(peek(d)) || is_upper(peek(d))) {
        char c = *d->p++;
        v = v * 36 + (size_t)(is_digit(c) ? c - '0' : c - 'A' + 10);
        if (v > 100000)
            return false;
        any = true;
    }
    if (!any || !eat(d, '_'))
        return false;
    *out = v + 1;
    return true;
}

/* _ <digit> or __ <number> _ : discriminators are not printed. */
static bool discriminator(dm *d)
{
    if (peek(d) != '_')
        return true;
    d->p++;
    if (eat(d, '_')) {
        long n;
        return number(d, &n, false) && eat(d, '_');
    }
    if (!is_digit(peek(d)))
        return false;
    d->p++;
    return true;
}

static bool add_sub(dm *d, const ty *t)
{
    if (d->nsubs >= MAX_SUBS)
        return fail(d);
    d->subs[d->nsubs++] = *t;
    return true;
}

/* ---- grammar --------------------------------------------------------------------------- */

/* Qualifiers of a member function, after N: r V K then R/O.  Printed after its parameters. */
typedef struct fn_quals {
    bool is_const, is_volatile, is_restrict;
    int ref; /* 0, 1 '&', 2 '&&' */
} fn_quals;

static bool type(dm *d, ty *out);
static bool name(dm *d, piece *out, piece *ident, fn_quals *q);
static bool template_args(dm *d, piece *out);
static bool bare_function_type(dm *d, piece *out, bool *just_void);

static bool enter(dm *d)
{
    if (++d->depth > MAX_DEPTH)
        return fail(d);
    return true;
}

static bool leave(dm *d, bool ok)
{
    d->depth--;
    return ok && !d->failed;
}

/* <source-name> ::= <length> <identifier> */
static bool source_name(dm *d, piece *out)
{
    long len;
    if (!number(d, &len, false) || len <= 0 || len > d->end - d->p)
        return fail(d);
    const char *id = d->p;
    for (long i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '$' || c == '.';
        if (!ok)
            return fail(d);
    }
    d->p += len;
    /* GCC names an anonymous namespace _GLOBAL__N_1 (or _GLOBAL_.N / _GLOBAL_$N on some targets). */
    if (len >= 10 && memcmp(id, "_GLOBAL_", 8) == 0 && (id[8] == '.' || id[8] == '_' || id[8] == '$') &&
        id[9] == 'N') {
        *out = lit(d, "(anonymous namespace)");
        return !d->failed;
    }
    uint32_t m = mark(d);
    put_n(d, id, (size_t)len);
    *out = done(d, m);
    return !d->failed;
}

static const struct {
    char code[3];
    const char *text;
} OPERATORS[] = {
    {"nw", "new"}, {"na", "new[]"}, {"dl", "delete"}, {"da", "delete[]"}, {"aw", "co_await"},
    {"ps", "+"}, {"ng", "-"}, {"ad", "&"}, {"de", "*"}, {"co", "~"}, {"pl", "+"}, {"mi", "-"},
    {"ml", "*"}, {"dv", "/"}, {"rm", "%"}, {"an", "&"}, {"or", "|"}, {"eo", "^"}, {"aS", "="},
    {"pL", "+="}, {"mI", "-="}, {"mL", "*="}, {"dV", "/="}, {"rM", "%="}, {"aN", "&="},
    {"oR", "|="}, {"eO", "^="}, {"ls", "<<"}, {"rs", ">>"}, {"lS", "<<="}, {"rS", ">>="},
    {"eq", "=="}, {"ne", "!="}, {"lt", "<"}, {"gt", ">"}, {"le", "<="}, {"ge", ">="},
    {"ss", "<=>"}, {"nt", "!"}, {"aa", "&&"}, {"oo", "||"}, {"pp", "++"}, {"mm", "--"},
    {"cm", ","}, {"pm", "->*"}, {"pt", "->"}, {"cl", "()"}, {"ix", "[]"}, {"qu", "?"},
};

static bool operator_name(dm *d, piece *out)
{
    char a = peek(d), b = peek2(d);
    if (a == 'c' && b == 'v') { /* conversion operator: "operator int" */
        d->p += 2;
        ty t;
        if (!type(d, &t))
            return fail(d);
        piece tt = ty_text(d, &t);
        uint32_t m = mark(d);
        put(d, "operator ");
        put_p(d, tt);
        *out = done(d, m);
        return !d->failed;
    }
    if (a == 'l' && b == 'i') { /* literal operator: operator"" _x */
        d->p += 2;
        piece id;
        if (!source_name(d, &id))
            return false;
        uint32_t m = mark(d);
        put(d, "operator\"\" ");
        put_p(d, id);
        *out = done(d, m);
        return !d->failed;
    }
    for (size_t i = 0; i < sizeof OPERATORS / sizeof OPERATORS[0]; i++)
        if (OPERATORS[i].code[0] == a && OPERATORS[i].code[1] == b) {
            d->p += 2;
            uint32_t m = mark(d);
            put(d, "operator");
            if (is_lower(OPERATORS[i].text[0]))
                put(d, " ");
            put(d, OPERATORS[i].text);
            *out = done(d, m);
            return !d->failed;
        }
    return fail(d);
}

/* Ut [<number>] _  |  Ul <lambda-sig> E [<number>] _ */
static bool unnamed_type_name(dm *d, piece *out)
{
    d->p++; /* U */
    char k = *d->p++;
    piece params = EMPTY;
    if (k == 'l') {
        bool just_void;
        if (!bare_function_type(d, &params, &just_void) || !eat(d, 'E'))
            return fail(d);
    }
    long n = -1;
    if (is_digit(peek(d)) && !number(d, &n, false))
        return fail(d);
    if (!eat(d, '_'))
        return fail(d);
    char num[24];
    long shown = n + 2;
    int w = 0;
    char rev[24];
    do {
        rev[w++] = (char)('0' + shown % 10);
        shown /= 10;
    } while (shown && w < 20);
    for (int i = 0; i < w; i++)
        num[i] = rev[w - 1 - i];
    num[w] = 0;
    uint32_t m = mark(d);
    if (k == 'l') {
        put(d, "{lambda");
        put_p(d, params);
    } else {
        put(d, "{unnamed type");
    }
    put(d, "#");
    put(d, num);
    put(d, "}");
    *out = done(d, m);
    return !d->failed;
}

/* B <source-name> ... : "name[abi:tag]" */
static bool abi_tags(dm *d, piece *name_p)
{
    while (peek(d) == 'B') {
        d->p++;
        piece tag;
        if (!source_name(d, &tag))
            return false;
        uint32_t m = mark(d);
        put_p(d, *name_p);
        put(d, "[abi:");
        put_p(d, tag);
        put(d, "]");
        *name_p = done(d, m);
    }
    return !d->failed;
}

/* <unqualified-name>; scope_ident: the innermost enclosing class's plain name, for ctors/dtors.
 * ident: set to this component's plain name when it is a source name. */
static bool unqualified_name(dm *d, piece scope_ident, piece *out, piece *ident)
{
    char c = peek(d);
    *ident = EMPTY;
    if (is_digit(c)) {
        if (!source_name(d, out))
            return false;
        *ident = *out;
    } else if (c == 'C' && (peek2(d) >= '1' && peek2(d) <= '5')) {
        if (!scope_ident.len)
            return fail(d);
        d->p += 2;
        *out = scope_ident;
    } else if (c == 'D' && (peek2(d) == '0' || peek2(d) == '1' || peek2(d) == '2' || peek2(d) == '4' ||
                            peek2(d) == '5')) {
        if (!scope_ident.len)
            return fail(d);
        d->p += 2;
        uint32_t m = mark(d);
        put(d, "~");
        put_p(d, scope_ident);
        *out = done(d, m);
    } else if (c == 'U' && (peek2(d) == 't' || peek2(d) == 'l')) {
        if (!unnamed_type_name(d, out))
            return false;
    } else if (c == 'L') { /* internal-linkage name: L <source-name> [<discriminator>] */
        d->p++;
        if (!source_name(d, out) || !discriminator(d))
            return fail(d);
        *ident = *out;
    } else if (is_lower(c)) {
        if (!operator_name(d, out))
            return false;
    } else {
        return fail(d);
    }
    return abi_tags(d, out);
}

/* The standard abbreviations (non-verbose, as __cxa_demangle prints them). */
static bool std_abbreviation(char c, const char **text, const char **ident)
{
    switch (c) {
    case 't': *text = "std"; *ident = ""; return true;
    case 'a': *text = "std::allocator"; *ident = "allocator"; return true;
    case 'b': *text = "std::basic_string"; *ident = "basic_string"; return true;
    case 's': *text = "std::string"; *ident = "basic_string"; return true;
    case 'i': *text = "std::istream"; *ident = "basic_istream"; return true;
    case 'o': *text = "std::ostream"; *ident = "basic_ostream"; return true;
    case 'd': *text = "std::iostream"; *ident = "basic_iostream"; return true;
    default: return false;
    }
}

/* <substitution>: S_, S<seq-id>_, or one of the std abbreviations.  std_sub: set when it was an
 * abbreviation (those are not new candidates). */
static bool substitution(dm *d, ty *out, piece *ident, bool *std_sub)
{
    d->p++; /* S */
    *std_sub = false;
    *ident = EMPTY;
    char c = peek(d);
    const char *text, *id;
    if (is_lower(c)) {
        if (!std_abbreviation(c, &text, &id))
            return fail(d);
        d->p++;
        *out = simple(lit(d, text));
        if (*id)
            *ident = lit(d, id);
        *std_sub = true;
        return !d->failed;
    }
    size_t i;
    if (!seq_id(d, &i) || i >= d->nsubs)
        return fail(d);
    *out = d->subs[i];
    return true;
}

/* T_ / T<n>_ : refers to the last template argument list. */
static bool template_param(dm *d, ty *out)
{
    d->p++; /* T */
    size_t i;
    if (!seq_id(d, &i) || i >= d->ntargs)
        return fail(d);
    *out = d->targs[i];
    return true;
}

static piece join(dm *d, piece scope, piece name_p)
{
    if (!scope.len)
        return name_p;
    uint32_t m = mark(d);
    put_p(d, scope);
    put(d, "::");
    put_p(d, name_p);
    return done(d, m);
}

static piece with_args(dm *d, piece name_p, piece args)
{
    uint32_t m = mark(d);
    put_p(d, name_p);
    put_p(d, args);
    return done(d, m);
}

/* <nested-name> ::= N [<CV-qualifiers>] [<ref-qualifier>] <prefix> <unqualified-name> E */
static bool nested_name(dm *d, piece *out, piece *ident, fn_quals *q)
{
    d->p++; /* N */
    fn_quals local = {0};
    if (!q)
        q = &local;
    if (eat(d, 'r'))
        q->is_restrict = true;
    if (eat(d, 'V'))
        q->is_volatile = true;
    if (eat(d, 'K'))
        q->is_const = true;
    if (eat(d, 'R'))
        q->ref = 1;
    else if (eat(d, 'O'))
        q->ref = 2;
    piece cur = EMPTY, cur_ident = EMPTY;
    bool have = false;
    for (;;) {
        char c = peek(d);
        bool from_sub = false;
        if (c == 'E') {
            d->p++;
            break;
        }
        if (c == 'S') {
            if (have)
                return fail(d);
            ty t;
            bool std_sub;
            piece id;
            if (!substitution(d, &t, &id, &std_sub) || t.kind != TY_SIMPLE)
                return fail(d);
            cur = t.base;
            cur_ident = id.len ? id : EMPTY;
            if (!std_sub && !id.len) {
                /* The plain name of a substituted class: its last component without arguments. */
                cur_ident = EMPTY;
            }
            from_sub = true;
        } else if (c == 'I') {
            if (!have)
                return fail(d);
            piece args;
            if (!template_args(d, &args))
                return false;
            cur = with_args(d, cur, args);
        } else if (c == 'T') {
            if (have)
                return fail(d);
            ty t;
            if (!template_param(d, &t) || t.kind != TY_SIMPLE)
                return fail(d);
            cur = t.base;
        } else if (c == 'M') { /* lambda initializer scope: not printed */
            if (!have)
                return fail(d);
            d->p++;
            continue;
        } else if (is_digit(c) || is_lower(c) || c == 'C' || c == 'D' || c == 'U' || c == 'L') {
            piece comp, id;
            if (!unqualified_name(d, cur_ident, &comp, &id))
                return false;
            cur = have ? join(d, cur, comp) : comp;
            if (id.len)
                cur_ident = id;
        } else {
            return fail(d);
        }
        have = true;
        if (c != 'S' && peek(d) != 'E') {
            ty t = simple(cur);
            if (!add_sub(d, &t))
                return false;
        }
        (void)from_sub;
    }
    if (!have)
        return fail(d);
    *out = cur;
    if (ident)
        *ident = cur_ident;
    return !d->failed;
}

static bool encoding(dm *d, piece *out);

/* <local-name> ::= Z <encoding> E <entity name> [<discriminator>] | Z <encoding> E s [...] */
static bool local_name(dm *d, piece *out, piece *ident, fn_quals *q)
{
    d->p++; /* Z */
    piece fn;
    if (!encoding(d, &fn) || !eat(d, 'E'))
        return fail(d);
    piece ent;
    if (eat(d, 's')) {
        if (!discriminator(d))
            return fail(d);
        ent = lit(d, "string literal");
        if (ident)
            *ident = EMPTY;
    } else {
        long default_arg = -1;
        if (eat(d, 'd')) { /* default argument scope: d [<number>] _, printed "{default arg#N}" */
            default_arg = 0;
            if (is_digit(peek(d))) {
                if (!number(d, &default_arg, false))
                    return fail(d);
                default_arg++;
            }
            if (!eat(d, '_'))
                return fail(d);
        }
        const char *before = d->p;
        piece id;
        if (!name(d, &ent, &id, q))
            return false;
        bool unnamed = before[0] == 'U' && (before[1] == 't' || before[1] == 'l');
        if (!unnamed && !discriminator(d))
            return fail(d);
        if (default_arg >= 0) {
            char num[24];
            snprintf(num, sizeof num, "%ld", default_arg + 1);
            uint32_t m = mark(d);
            put(d, "{default arg#");
            put(d, num);
            put(d, "}::");
            put_p(d, ent);
            ent = done(d, m);
        }
        if (ident)
            *ident = id;
    }
    *out = join(d, fn, ent);
    return !d->failed;
}

/* <name>; ident: the plain name of its last component (for constructors). */
static bool name(dm *d, piece *out, piece *ident, fn_quals *q)
{
    if (!enter(d))
        return false;
    piece id_local;
    if (!ident)
        ident = &id_local;
    *ident = EMPTY;
    char c = peek(d);
    bool ok;
    if (c == 'N') {
        ok = nested_name(d, out, ident, q);
    } else if (c == 'Z') {
        ok = local_name(d, out, ident, q);
    } else if (c == 'S' && peek2(d) == 't') {
        d->p += 2;
        piece comp;
        ok = unqualified_name(d, EMPTY, &comp, ident);
        if (ok) {
            *out = join(d, lit(d, "std"), comp);
            if (peek(d) == 'I') {
                ty t = simple(*out);
                piece args;
                ok = add_sub(d, &t) && template_args(d, &args);
                if (ok)
                    *out = with_args(d, *out, args);
            }
        }
    } else if (c == 'S') {
        ty t;
        bool std_sub;
        ok = substitution(d, &t, ident, &std_sub) && t.kind == TY_SIMPLE;
        if (ok) {
            *out = t.base;
            if (peek(d) == 'I') {
                piece args;
                ok = template_args(d, &args);
                if (ok)
                    *out = with_args(d, *out, args);
            }
        }
    } else {
        ok = unqualified_name(d, EMPTY, out, ident);
        if (ok && peek(d) == 'I') {
            ty t = simple(*out);
            piece args;
            ok = add_sub(d, &t) && template_args(d, &args);
            if (ok)
                *out = with_args(d, *out, args);
        }
    }
    return leave(d, ok);
}

/* The encoding of a function whose local class is named: <name> <bare-function-type>, with the
 * return type first for templates (elided in the output, as __cxa_demangle does). */
static bool encoding(dm *d, piece *out)
{
    if (!enter(d))
        return false;
    fn_quals q = {0};
    piece nm, id = EMPTY;
    bool ok;
    const char *start = d->p;
    ok = name(d, &nm, &id, &q);
    if (!ok)
        return leave(d, false);
    if (peek(d) == 'E' || peek(d) == 0) { /* a variable or a function without a signature */
        *out = nm;
        return leave(d, true);
    }
    /* A template function (name ends in template arguments) has its return type first, unless
     * it is a constructor, destructor or conversion operator. */
    bool is_template = d->p > start && d->p[-1] == 'E' && nm.len && d->pool[nm.off + nm.len - 1] == '>';
    bool was_frozen = d->targs_frozen;
    if (is_template) {
        d->targs_frozen = true;
        ty ret;
        if (!type(d, &ret))
            return leave(d, false);
    }
    piece params;
    bool just_void;
    bool ok_params = bare_function_type(d, &params, &just_void);
    d->targs_frozen = was_frozen;
    if (!ok_params)
        return leave(d, false);
    uint32_t m = mark(d);
    put_p(d, nm);
    put_p(d, params);
    if (q.is_restrict)
        put(d, " restrict");
    if (q.is_volatile)
        put(d, " volatile");
    if (q.is_const)
        put(d, " const");
    if (q.ref)
        put(d, q.ref == 1 ? " &" : " &&");
    *out = done(d, m);
    return leave(d, !d->failed);
}

/* Parameter types until E (or the end): "(int, char*)"; "v" alone is "()". */
static bool bare_function_type(dm *d, piece *out, bool *just_void)
{
    piece parts[64];
    size_t n = 0;
    *just_void = false;
    while (peek(d) && peek(d) != 'E') {
        if (peek(d) == 'v' && n == 0 && (peek2(d) == 'E' || peek2(d) == 0)) {
            d->p++;
            *just_void = true;
            break;
        }
        if ((peek(d) == 'R' || peek(d) == 'O') && peek2(d) == 'E')
            break; /* a function type's ref-qualifier */
        ty t;
        if (n >= 64 || !type(d, &t))
            return fail(d);
        parts[n++] = ty_text(d, &t);
    }
    if (n == 0 && !*just_void)
        return fail(d);
    uint32_t m = mark(d);
    put(d, "(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(d, ", ");
        put_p(d, parts[i]);
    }
    put(d, ")");
    *out = done(d, m);
    return !d->failed;
}

static const struct {
    char code;
    const char *text;
} BUILTINS[] = {
    {'v', "void"}, {'w', "wchar_t"}, {'b', "bool"}, {'c', "char"}, {'a', "signed char"},
    {'h', "unsigned char"}, {'s', "short"}, {'t', "unsigned short"}, {'i', "int"},
    {'j', "unsigned int"}, {'l', "long"}, {'m', "unsigned long"}, {'x', "long long"},
    {'y', "unsigned long long"}, {'n', "__int128"}, {'o', "unsigned __int128"}, {'f', "float"},
    {'d', "double"}, {'e', "long double"}, {'g', "__float128"}, {'z', "..."},
};

static const char *builtin(char c)
{
    for (size_t i = 0; i < sizeof BUILTINS / sizeof BUILTINS[0]; i++)
        if (BUILTINS[i].code == c)
            return BUILTINS[i].text;
    return NULL;
}

static const char *d_builtin(char c)
{
    switch (c) {
    case 'a': return "auto";
    case 'c': return "decltype(auto)";
    case 'n': return "decltype(nullptr)";
    case 'i': return "char32_t";
    case 's': return "char16_t";
    case 'u': return "char8_t";
    case 'f': return "decimal32";
    case 'd': return "decimal64";
    case 'e': return "decimal128";
    case 'h': return "half";
    default: return NULL;
    }
}

/* F [Y] <return type> <bare-function-type> [<ref-qualifier>] E */
static bool function_type(dm *d, ty *out, const char *this_quals, const char *exception_spec)
{
    d->p++; /* F */
    eat(d, 'Y');
    ty ret;
    if (!type(d, &ret))
        return false;
    piece rett = ty_text(d, &ret);
    piece params;
    bool just_void;
    if (!bare_function_type(d, &params, &just_void))
        return false;
    int ref = 0;
    if (eat(d, 'R'))
        ref = 1;
    else if (eat(d, 'O'))
        ref = 2;
    if (!eat(d, 'E'))
        return fail(d);
    uint32_t m = mark(d);
    put_p(d, params);
    put(d, this_quals);
    if (ref)
        put(d, ref == 1 ? " &" : " &&");
    put(d, exception_spec);
    piece suffix = done(d, m);
    if (ret.kind != TY_SIMPLE) {
        /* A function returning a pointer to a function (or array) prints C's way:
         * "R (*(params))(inner params)". */
        m = mark(d);
        put_p(d, ret.decl);
        put_p(d, suffix);
        ty t = {ret.kind, ret.base, done(d, m), ret.suffix, true};
        *out = t;
        return !d->failed;
    }
    ty t = {TY_FUNC, rett, EMPTY, suffix, false};
    *out = t;
    return !d->failed;
}

/* A <number> _ <type> | A _ <type> */
static bool array_type(dm *d, ty *out)
{
    d->p++; /* A */
    const char *dim = d->p;
    while (is_digit(peek(d)))
        d->p++;
    size_t dimlen = (size_t)(d->p - dim);
    if (!eat(d, '_'))
        return fail(d);
    ty elem;
    if (!type(d, &elem))
        return false;
    uint32_t m = mark(d);
    put(d, "[");
    put_n(d, dim, dimlen);
    put(d, "]");
    if (elem.kind == TY_ARRAY && !elem.decl.len) {
        put_p(d, elem.suffix);
        ty t = {TY_ARRAY, elem.base, EMPTY, done(d, m), false};
        *out = t;
    } else {
        piece suffix = done(d, m);
        ty t = {TY_ARRAY, ty_text(d, &elem), EMPTY, suffix, false};
        *out = t;
    }
    return !d->failed;
}

/* CV-qualifiers r V K, printed in source order after the type ("char const volatile"). */
static const char *cv_text(bool r, bool v, bool k)
{
    static const char *const T[8] = {"", " const", " volatile", " const volatile", " restrict",
                                     " const restrict", " volatile restrict", " const volatile restrict"};
    return T[(k ? 1 : 0) | (v ? 2 : 0) | (r ? 4 : 0)];
}

static bool type_inner(dm *d, ty *out)
{
    char c = peek(d);
    const char *b = builtin(c);
    if (b) {
        d->p++;
        *out = simple(lit(d, b));
        return !d->failed; /* builtins are not substitution candidates */
    }
    switch (c) {
    case 'u': { /* vendor extended type */
        d->p++;
        piece p;
        if (!source_name(d, &p))
            return false;
        *out = simple(p);
        return add_sub(d, out);
    }
    case 'D': {
        const char *db = d_builtin(peek2(d));
        if (db) {
            d->p += 2;
            *out = simple(lit(d, db));
            return !d->failed;
        }
        if ((peek2(d) == 'o' || peek2(d) == 'x') && d->p + 2 < d->end && d->p[2] == 'F') {
            /* Do: noexcept, Dx: transaction_safe function types */
            const char *spec = peek2(d) == 'o' ? " noexcept" : " transaction_safe";
            d->p += 2;
            return function_type(d, out, "", spec) && add_sub(d, out);
        }
        if (peek2(d) == 'p') { /* pack expansion */
            d->p += 2;
            ty t;
            if (!type(d, &t))
                return false;
            *out = t;
            return add_sub(d, out);
        }
        return fail(d);
    }
    case 'r':
    case 'V':
    case 'K': {
        bool r = eat(d, 'r'), v = eat(d, 'V'), k = eat(d, 'K');
        const char *q = cv_text(r, v, k);
        if (peek(d) == 'F') { /* qualifiers of a member function's this */
            if (!function_type(d, out, q, ""))
                return false;
            return add_sub(d, out);
        }
        ty t;
        if (!type(d, &t))
            return false;
        ty_apply(d, &t, q, EMPTY);
        *out = t;
        return add_sub(d, out);
    }
    case 'P':
    case 'R':
    case 'O': {
        d->p++;
        ty t;
        if (!type(d, &t))
            return false;
        ty_apply(d, &t, c == 'P' ? "*" : c == 'R' ? "&" : "&&", EMPTY);
        *out = t;
        return add_sub(d, out);
    }
    case 'C':
    case 'G': { /* complex, imaginary */
        d->p++;
        ty t;
        if (!type(d, &t))
            return false;
        ty_apply(d, &t, c == 'C' ? " _Complex" : " _Imaginary", EMPTY);
        *out = t;
        return add_sub(d, out);
    }
    case 'F':
        return function_type(d, out, "", "") && add_sub(d, out);
    case 'A':
        return array_type(d, out) && add_sub(d, out);
    case 'M': { /* pointer to member: M <class type> <member type> */
        d->p++;
        ty cls, mem;
        if (!type(d, &cls) || !type(d, &mem))
            return false;
        piece ct = ty_text(d, &cls);
        ty_apply(d, &mem, "*", ct);
        *out = mem;
        return add_sub(d, out);
    }
    case 'T': {
        ty t;
        if (!template_param(d, &t) || !add_sub(d, &t))
            return false;
        if (peek(d) == 'I') { /* template template parameter with arguments */
            piece args;
            if (t.kind != TY_SIMPLE || !template_args(d, &args))
                return fail(d);
            t = simple(with_args(d, t.base, args));
            if (!add_sub(d, &t))
                return false;
        }
        *out = t;
        return true;
    }
    case 'S': {
        char n2 = peek2(d);
        if (is_digit(n2) || n2 == '_' || is_upper(n2)) {
            ty t;
            piece id;
            bool std_sub;
            if (!substitution(d, &t, &id, &std_sub))
                return false;
            if (peek(d) == 'I') {
                piece args;
                if (t.kind != TY_SIMPLE || !template_args(d, &args))
                    return fail(d);
                t = simple(with_args(d, t.base, args));
                *out = t;
                return add_sub(d, out);
            }
            *out = t;
            return true;
        }
        /* St..., Sa..., Ss...: a class name starting with an abbreviation. */
        const char *before = d->p;
        piece nm;
        if (!name(d, &nm, NULL, NULL))
            return false;
        *out = simple(nm);
        bool bare_abbrev = d->p == before + 2 && n2 != 't';
        return bare_abbrev ? true : add_sub(d, out);
    }
    default:
        if (is_digit(c) || c == 'N' || c == 'Z') {
            piece nm;
            if (!name(d, &nm, NULL, NULL))
                return false;
            *out = simple(nm);
            return add_sub(d, out);
        }
        return fail(d);
    }
}

static bool type(dm *d, ty *out)
{
    if (!enter(d))
        return false;
    return leave(d, type_inner(d, out));
}

/* Literal template argument: L <type> <value> E, L _Z <encoding> E. */
static bool expr_primary(dm *d, piece *out)
{
    d->p++; /* L */
    if (peek(d) == '_' && peek2(d) == 'Z') {
        d->p += 2;
        piece enc;
        if (!encoding(d, &enc) || !eat(d, 'E'))
            return fail(d);
        *out = enc;
        return true;
    }
    char tc = peek(d);
    bool is_builtin = builtin(tc) != NULL;
    ty t;
    if (!type(d, &t))
        return false;
    const char *val = d->p;
    bool neg = eat(d, 'n');
    const char *digits = d->p;
    while (is_digit(peek(d)))
        d->p++;
    size_t ndig = (size_t)(d->p - digits);
    if (!eat(d, 'E'))
        return fail(d); /* floating-point literals (hex digits) are refused */
    (void)val;
    piece tt = ty_text(d, &t);
    uint32_t m = mark(d);
    if (ndig == 0) {
        if (tc == 'D' && piece_eq_lit(d, tt, "decltype(nullptr)")) {
            put_p(d, tt);
            *out = done(d, m);
            return !d->failed;
        }
        return fail(d);
    }
    const char *suffix = NULL;
    if (is_builtin) {
        switch (tc) {
        case 'i': suffix = ""; break;
        case 'j': suffix = "u"; break;
        case 'l': suffix = "l"; break;
        case 'm': suffix = "ul"; break;
        case 'x': suffix = "ll"; break;
        case 'y': suffix = "ull"; break;
        case 'b':
            if (!neg && ndig == 1 && (digits[0] == '0' || digits[0] == '1')) {
                put(d, digits[0] == '1' ? "true" : "false");
                *out = done(d, m);
                return !d->failed;
            }
            break;
        default: break;
        }
    }
    if (suffix) {
        if (neg)
            put(d, "-");
        put_n(d, digits, ndig);
        put(d, suffix);
    } else {
        put(d, "(");
        put_p(d, tt);
        put(d, ")");
        if (neg)
            put(d, "-");
        put_n(d, digits, ndig);
    }
    *out = done(d, m);
    return !d->failed;
}

/* One <template-arg>; a pack may print as nothing (empty is then set). */
static bool template_arg(dm *d, piece *out, ty *as_type)
{
    char c = peek(d);
    if (c == 'L') {
        if (!expr_primary(d, out))
            return false;
        *as_type = simple(*out);
        return true;
    }
    if (c == 'J') { /* argument pack */
        d->p++;
        uint32_t m = mark(d);
        piece parts[64];
        size_t n = 0;
        while (peek(d) != 'E') {
            if (!peek(d) || n >= 64)
                return fail(d);
            ty t;
            piece p;
            if (!template_arg(d, &p, &t))
                return false;
            if (p.len)
                parts[n++] = p;
        }
        d->p++;
        m = mark(d);
        for (size_t i = 0; i < n; i++) {
            if (i)
                put(d, ", ");
            put_p(d, parts[i]);
        }
        *out = done(d, m);
        *as_type = simple(*out);
        return !d->failed;
    }
    if (c == 'X') {
        /* Of the expressions, only the address of an entity: X ad L _Z <encoding> E E
         * ("&var", "&(fn(int))"). */
        if (!(d->end - d->p >= 6 && memcmp(d->p, "XadL_Z", 6) == 0))
            return fail(d);
        d->p += 6;
        const char *start = d->p;
        piece enc;
        if (!encoding(d, &enc) || !eat(d, 'E') || !eat(d, 'E'))
            return fail(d);
        bool is_function = d->p - start >= 3 && d->pool[enc.off + enc.len - 1] == ')';
        uint32_t m = mark(d);
        put(d, is_function ? "&(" : "&");
        put_p(d, enc);
        if (is_function)
            put(d, ")");
        *out = done(d, m);
        *as_type = simple(*out);
        return !d->failed;
    }
    ty t;
    if (!type(d, &t))
        return false;
    *as_type = t;
    *out = ty_text(d, &t);
    return !d->failed;
}

/* I <template-arg>+ E -> "<a, b>" (a space before a closing '>' after '>'). */
static bool template_args(dm *d, piece *out)
{
    if (!enter(d))
        return false;
    d->p++; /* I */
    piece parts[MAX_TARGS];
    ty types[MAX_TARGS];
    size_t n = 0;
    d->targs_level++;
    bool ok = true;
    while (ok && peek(d) != 'E') {
        if (!peek(d) || n >= MAX_TARGS) {
            ok = fail(d);
            break;
        }
        ok = template_arg(d, &parts[n], &types[n]);
        n++;
    }
    d->targs_level--;
    if (!ok || n == 0)
        return leave(d, fail(d));
    d->p++; /* E */
    if (d->targs_level == 0 && !d->targs_frozen) {
        memcpy(d->targs, types, n * sizeof types[0]);
        d->ntargs = n;
    }
    uint32_t m = mark(d);
    put(d, "<");
    /* __cxa_demangle prints ", " before each argument after the first and takes it back when
     * the argument (an empty pack) printed nothing; its "last character" is then still the
     * space, so no space goes between two '>' in that case.  The same text here. */
    bool comma_taken_back = false;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].len) {
            if (i)
                comma_taken_back = true;
            continue;
        }
        if (i && last_char(d) != '<')
            put(d, ", ");
        put_p(d, parts[i]);
        comma_taken_back = false;
    }
    if (last_char(d) == '>' && !comma_taken_back)
        put(d, " ");
    put(d, ">");
    *out = done(d, m);
    return leave(d, !d->failed);
}

bool vm_itanium_type_name(const char *mangled, char *out, size_t cap)
{
    if (cap)
        out[0] = 0;
    if (!mangled || !cap)
        return false;
    size_t len = strnlen(mangled, VM_TYPE_NAME_INPUT_MAX + 1);
    if (len == 0 || len > VM_TYPE_NAME_INPUT_MAX)
        return false;
    dm *d = calloc(1, sizeof *d);
    char *pool = malloc(POOL_BYTES);
    if (!d || !pool) {
        free(d);
        free(pool);
        return false;
    }
    d->pool = pool;
    d->p = mangled;
    d->end = mangled + len;
    if (*d->p == '*') /* libstdc++ marks names compared by address with a leading '*' */
        d->p++;
    ty t;
    bool ok = d->p < d->end && type(d, &t) && d->p == d->end && !d->failed;
    if (ok) {
        piece p = ty_text(d, &t);
        ok = !d->failed && p.len > 0 && p.len < cap;
        if (ok) {
            memcpy(out, d->pool + p.off, p.len);
            out[p.len] = 0;
        }
    }
    free(pool);
    free(d);
    return ok;
}
