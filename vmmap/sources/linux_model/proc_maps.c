/* /proc/PID/maps and /proc/PID/smaps parsing.
 *
 * Speed matters here: a process with 60,000 mappings has a ~50 MB smaps, and the kernel's own
 * text generation already costs most of the time `cat` takes.  So the parser is hand-written (no
 * sscanf), looks at each byte about once, and dispatches field lines on their first character.
 * Everything is bounded by the line length we were given: the text is untrusted. */
#include "proc_maps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/compiler.h"
#include "../../util/xalloc.h"

/* Longest line we accept.  Paths are at most PATH_MAX (4096) bytes, escaped; 64 KiB leaves room
 * for anything a future kernel prints while still catching garbage that has no newline. */
#define VM_LX_MAX_LINE (64u * 1024u)

/* ---- numbers ------------------------------------------------------------------------------- */

/* What each byte is, for the parser's inner loops (one load per byte instead of range tests):
 * its hex digit value + 1 (0: not a hex digit), and whether it may be part of a field name. */
enum { CH_NAME = 0x20, CH_HEX_MASK = 0x1f };

static const unsigned char char_class[256] = {
    ['0'] = CH_NAME | 1, ['1'] = CH_NAME | 2, ['2'] = CH_NAME | 3, ['3'] = CH_NAME | 4, ['4'] = CH_NAME | 5,
    ['5'] = CH_NAME | 6, ['6'] = CH_NAME | 7, ['7'] = CH_NAME | 8, ['8'] = CH_NAME | 9, ['9'] = CH_NAME | 10,
    ['a'] = CH_NAME | 11, ['b'] = CH_NAME | 12, ['c'] = CH_NAME | 13, ['d'] = CH_NAME | 14, ['e'] = CH_NAME | 15,
    ['f'] = CH_NAME | 16, ['A'] = CH_NAME | 11, ['B'] = CH_NAME | 12, ['C'] = CH_NAME | 13, ['D'] = CH_NAME | 14,
    ['E'] = CH_NAME | 15, ['F'] = CH_NAME | 16,
    ['g'] = CH_NAME, ['h'] = CH_NAME, ['i'] = CH_NAME, ['j'] = CH_NAME, ['k'] = CH_NAME, ['l'] = CH_NAME,
    ['m'] = CH_NAME, ['n'] = CH_NAME, ['o'] = CH_NAME, ['p'] = CH_NAME, ['q'] = CH_NAME, ['r'] = CH_NAME,
    ['s'] = CH_NAME, ['t'] = CH_NAME, ['u'] = CH_NAME, ['v'] = CH_NAME, ['w'] = CH_NAME, ['x'] = CH_NAME,
    ['y'] = CH_NAME, ['z'] = CH_NAME, ['G'] = CH_NAME, ['H'] = CH_NAME, ['I'] = CH_NAME, ['J'] = CH_NAME,
    ['K'] = CH_NAME, ['L'] = CH_NAME, ['M'] = CH_NAME, ['N'] = CH_NAME, ['O'] = CH_NAME, ['P'] = CH_NAME,
    ['Q'] = CH_NAME, ['R'] = CH_NAME, ['S'] = CH_NAME, ['T'] = CH_NAME, ['U'] = CH_NAME, ['V'] = CH_NAME,
    ['W'] = CH_NAME, ['X'] = CH_NAME, ['Y'] = CH_NAME, ['Z'] = CH_NAME, ['_'] = CH_NAME,
};

static inline int hexval(unsigned char c)
{
    return (int)(char_class[c] & CH_HEX_MASK) - 1;
}

/* Parses one or more hex digits at *p (< end); rejects values above 64 bits. */
static bool parse_hex(const char **p, const char *end, uint64_t *out)
{
    const unsigned char *s = (const unsigned char *)*p, *e = (const unsigned char *)end;
    uint64_t v = 0;
    unsigned d;
    if (s >= e || !(d = char_class[*s] & CH_HEX_MASK))
        return false;
    /* Sixteen digits cannot overflow: check from the seventeenth on (leading zeros are fine). */
    const unsigned char *unchecked = e - s > 16 ? s + 16 : e;
    do {
        v = v << 4 | (d - 1);
        s++;
    } while (s < unchecked && (d = char_class[*s] & CH_HEX_MASK));
    while (s < e && (d = char_class[*s] & CH_HEX_MASK)) {
        if (v >> 60)
            return false; /* the next shift would lose bits */
        v = v << 4 | (d - 1);
        s++;
    }
    *p = (const char *)s;
    *out = v;
    return true;
}

/* Parses one or more decimal digits at *p (< end); rejects values above 64 bits. */
static bool parse_dec(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || *s < '0' || *s > '9')
        return false;
    /* Nineteen digits cannot overflow: check from the twentieth on (leading zeros are fine). */
    const char *unchecked = end - s > 19 ? s + 19 : end;
    do {
        v = v * 10 + (unsigned)(*s - '0');
        s++;
    } while (s < unchecked && *s >= '0' && *s <= '9');
    while (s < end && *s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return true;
}

static inline const char *skip_spaces(const char *s, const char *end)
{
    /* Field values are padded with runs of 5-20 spaces: eight bytes at a time first. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - s >= 8) {
        uint64_t w;
        memcpy(&w, s, sizeof w);
        uint64_t other = w ^ 0x2020202020202020ull; /* 0 bytes where there are spaces */
        if (other) {
            s += __builtin_ctzll(other) >> 3; /* up to the first byte that is not a space */
            break;
        }
        s += 8;
    }
#else
    static const char eight[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
    while (end - s >= 8 && memcmp(s, eight, 8) == 0)
        s += 8;
#endif
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* ---- header lines ------------------------------------------------------------------------- */

/* Results of the internal header parser: "not a header" must be told apart from "out of
 * memory", which is not the input's fault. */
enum { HDR_OK, HDR_BAD, HDR_NOMEM };

static bool parse_perms(const char *s, vm_linux_mapping *m)
{
    if ((s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') || (s[2] != 'x' && s[2] != '-') ||
        (s[3] != 's' && s[3] != 'p'))
        return false;
    m->r = s[0] == 'r';
    m->w = s[1] == 'w';
    m->x = s[2] == 'x';
    m->shared = s[3] == 's';
    return true;
}

/* Copies the pathname, stripping " (deleted)".  An all-blank name is no name. */
static int take_name(const char *s, const char *end, vm_linux_mapping *m)
{
    static const char deleted[] = " (deleted)";
    const size_t dlen = sizeof deleted - 1;
    if (s == end)
        return HDR_OK;
    if ((size_t)(end - s) > dlen && memcmp(end - dlen, deleted, dlen) == 0) {
        end -= dlen;
        m->deleted = true;
    }
    size_t n = (size_t)(end - s);
    m->name = malloc(n + 1);
    if (!m->name)
        return HDR_NOMEM;
    memcpy(m->name, s, n);
    m->name[n] = '\0';
    return HDR_OK;
}

/* "start-end perms offset major:minor inode [   pathname]".  The kernel pads the pathname to a
 * column with spaces; an anonymous mapping ends after the inode (usually with one space). */
static int parse_header(const char *line, size_t len, vm_linux_mapping *m)
{
    const char *s = line, *end = line + len;
    uint64_t v;
    memset(m, 0, sizeof *m);
    if (!parse_hex(&s, end, &m->start) || s >= end || *s++ != '-')
        return HDR_BAD;
    if (!parse_hex(&s, end, &m->end) || m->end <= m->start)
        return HDR_BAD;
    if (end - s < 6 || *s != ' ' || !parse_perms(s + 1, m) || s[5] != ' ')
        return HDR_BAD;
    s += 6;
    if (!parse_hex(&s, end, &m->offset) || s >= end || *s++ != ' ')
        return HDR_BAD;
    if (!parse_hex(&s, end, &v) || v > UINT32_MAX || s >= end || *s++ != ':')
        return HDR_BAD;
    m->dev_major = (uint32_t)v;
    if (!parse_hex(&s, end, &v) || v > UINT32_MAX || s >= end || *s++ != ' ')
        return HDR_BAD;
    m->dev_minor = (uint32_t)v;
    if (!parse_dec(&s, end, &m->inode))
        return HDR_BAD;
    if (s < end && *s != ' ' && *s != '\t')
        return HDR_BAD; /* "123abc": the inode must end at a blank */
    s = skip_spaces(s, end);
    return take_name(s, end, m);
}

bool vm_linux_parse_maps_line(const char *line, size_t len, vm_linux_mapping *out)
{
    if (!line || !out)
        return false;
    int rc = parse_header(line, len, out);
    if (rc != HDR_OK) {
        free(out->name);
        out->name = NULL;
        return false;
    }
    return true;
}

/* ---- field lines -------------------------------------------------------------------------- */

/* The counter field "name" (n bytes, before its ':') names, or NULL for names we do not use;
 * *known when it is one of the names kernels print (so its characters need no checking).
 * Dispatched on the length first: two dozen lines a mapping, most of them names we skip. */
static uint64_t *known_counter(const char *name, size_t n, vm_linux_mapping *m, uint32_t *bit, bool *known)
{
#define IS(lit) (n == sizeof lit - 1 && memcmp(name, lit, sizeof lit - 1) == 0)
#define FIELD(lit, b, member)                                                                     \
    do {                                                                                          \
        if (IS(lit)) {                                                                            \
            *bit = b;                                                                             \
            *known = true;                                                                        \
            return &m->member;                                                                    \
        }                                                                                         \
    } while (0)
#define SKIP1(a) (*known = IS(a))
#define SKIP2(a, b) (*known = IS(a) || IS(b))
#define SKIP3(a, b, c) (*known = IS(a) || IS(b) || IS(c))
    switch (n) {
    case 3:
        FIELD("Rss", VM_LX_HAVE_RSS, rss);
        FIELD("Pss", VM_LX_HAVE_PSS, pss);
        SKIP1("KSM");
        return NULL;
    case 4:
        FIELD("Size", VM_LX_HAVE_SIZE, size);
        FIELD("Swap", VM_LX_HAVE_SWAP, swap);
        return NULL;
    case 6:
        FIELD("Locked", VM_LX_HAVE_LOCKED, locked);
        return NULL;
    case 7:
        FIELD("SwapPss", VM_LX_HAVE_SWAP_PSS, swap_pss);
        SKIP1("VmFlags");
        return NULL;
    case 8:
        SKIP3("Pss_Anon", "Pss_File", "LazyFree");
        return NULL;
    case 9:
        FIELD("Anonymous", VM_LX_HAVE_ANONYMOUS, anonymous);
        SKIP2("Pss_Dirty", "Pss_Shmem");
        return NULL;
    case 10:
        SKIP1("Referenced");
        return NULL;
    case 11:
        SKIP2("MMUPageSize", "THPeligible");
        return NULL;
    case 12:
        FIELD("Shared_Clean", VM_LX_HAVE_SHARED_CLEAN, shared_clean);
        FIELD("Shared_Dirty", VM_LX_HAVE_SHARED_DIRTY, shared_dirty);
        return NULL;
    case 13:
        FIELD("Private_Clean", VM_LX_HAVE_PRIVATE_CLEAN, private_clean);
        FIELD("Private_Dirty", VM_LX_HAVE_PRIVATE_DIRTY, private_dirty);
        SKIP3("AnonHugePages", "FilePmdMapped", "ProtectionKey");
        return NULL;
    case 14:
        SKIP3("KernelPageSize", "ShmemPmdMapped", "Shared_Hugetlb");
        return NULL;
    case 15:
        SKIP1("Private_Hugetlb");
        return NULL;
    default:
        return NULL;
    }
#undef SKIP3
#undef SKIP2
#undef SKIP1
#undef FIELD
#undef IS
}

/* "NNN kB" -> bytes.  Every counter we use is in kB; anything else is malformed. */
static bool parse_kb(const char *s, const char *end, uint64_t *out)
{
    uint64_t v;
    s = skip_spaces(s, end);
    if (!parse_dec(&s, end, &v))
        return false;
    if (end - s == 3 && s[0] == ' ' && s[1] == 'k' && s[2] == 'B' && v <= UINT64_MAX / 1024) {
        *out = v * 1024; /* the kernel's own form: no more spaces to skip */
        return true;
    }
    s = skip_spaces(s, end);
    if (end - s < 2 || s[0] != 'k' || s[1] != 'B')
        return false;
    s = skip_spaces(s + 2, end);
    if (s != end || v > UINT64_MAX / 1024)
        return false;
    *out = v * 1024;
    return true;
}

static uint32_t vmflag_bit(char a, char b)
{
    switch (a) {
    case 'r': return b == 'd' ? VM_LX_RD : 0;
    case 'w': return b == 'r' ? VM_LX_WR : 0;
    case 'e': return b == 'x' ? VM_LX_EX : 0;
    case 's': return b == 'h' ? VM_LX_SH : b == 'd' ? VM_LX_SD : 0;
    case 'g': return b == 'd' ? VM_LX_GD : 0;
    case 'a': return b == 'c' ? VM_LX_AC : 0;
    case 'n': return b == 'r' ? VM_LX_NR : 0;
    case 'l': return b == 'o' ? VM_LX_LO : 0;
    case 'h': return b == 't' ? VM_LX_HT : 0;
    case 'd': return b == 'd' ? VM_LX_DD : 0;
    case 'm': return b == 's' ? VM_LX_MS : 0;
    default: return 0;
    }
}

/* "rd wr mr mw me ac sd": blank-separated codes; unknown codes (and any that a future kernel
 * makes longer than two letters) are skipped. */
static void parse_vmflags(const char *s, const char *end, vm_linux_mapping *m)
{
    uint32_t flags = 0;
    while ((s = skip_spaces(s, end)) < end) {
        const char *w = s;
        while (s < end && *s != ' ' && *s != '\t')
            s++;
        if (s - w == 2)
            flags |= vmflag_bit(w[0], w[1]);
    }
    m->vmflags = flags;
    m->have |= VM_LX_HAVE_VMFLAGS;
}

static inline bool is_name_char(unsigned char c)
{
    return (char_class[c] & CH_NAME) != 0;
}

bool vm_linux_parse_smaps_field(const char *line, size_t len, vm_linux_mapping *m)
{
    if (!line || !m || len == 0)
        return false;
    const char *end = line + len;
    /* "Name:" first, whatever the name: a line of any other form is malformed.  The name is what
     * comes before the first ':', made of [A-Za-z0-9_] only. */
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return false;
    size_t n = (size_t)(colon - line);
    uint32_t bit = 0;
    bool known = false;
    uint64_t *slot = known_counter(line, n, m, &bit, &known);
    for (const char *s = line; !known && s < colon; s++)
        if (!is_name_char((unsigned char)*s))
            return false;
    if (slot) {
        uint64_t v;
        if (!parse_kb(colon + 1, end, &v))
            return false;
        *slot = v;
        m->have |= bit;
        return true;
    }
    if (n == 7 && memcmp(line, "VmFlags", 7) == 0)
        parse_vmflags(colon + 1, end, m);
    return true;
}

/* ---- whole files ---------------------------------------------------------------------------- */

/* A field name as the first mapping of the file showed it, and what the field is. */
enum { FIELD_SKIP, FIELD_COUNTER, FIELD_VMFLAGS };
enum { FIXED_NAME_COLUMNS = 16, FIXED_VALUE_COLUMNS = 8 };
typedef struct known_field {
    char name[32];
    size_t len;       /* of the name, without its ':' */
    int kind;         /* FIELD_* */
    size_t offset;    /* FIELD_COUNTER: of the value in vm_linux_mapping */
    uint32_t bit;     /* FIELD_COUNTER: its VM_LX_HAVE_* */
    /* The kernel's fixed columns (fs/proc/task_mmu.c pads every name to 16 characters and prints
     * the value right-aligned in 8, as "%8llu kB" or "%8u"): the line's first 16 bytes, and its
     * length with the '\n' (28 with " kB", 25 without).  0: the first mapping's line was not of
     * that form. */
    char columns[FIXED_NAME_COLUMNS];
    size_t fixed_len;
} known_field;

#define MAX_KNOWN_FIELDS 48

typedef struct parser {
    vm_linux_maps *out;   /* where each mapping goes once complete */
    vm_linux_mapping cur; /* the last mapping so far: its fields may still come */
    bool have_cur;
    /* The kernel prints every mapping's fields in the same order: the first mapping's, learned,
     * let each later line be matched against the one name expected there. */
    known_field seq[MAX_KNOWN_FIELDS];
    size_t nseq;
    size_t pos;           /* field lines of the current mapping so far */
    size_t mappings;      /* headers seen */
    size_t line;   /* number of the line being parsed, from 1 */
    char *err;
    size_t errlen;
    bool nomem;
} parser;

VM_PRINTF(2, 3) static bool parse_fail(parser *p, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "line %zu: %s", p->line, what);
    return false;
}

/* A header starts with a hex range "xxx-"; a field with "Word:".  Kernel hex is lowercase but
 * field names such as "Anonymous" start with a hex letter, so look for the '-' that ends the
 * run of hex digits rather than at the first character only. */
static bool looks_like_header(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && hexval((unsigned char)line[i]) >= 0)
        i++;
    return i > 0 && i < len && line[i] == '-';
}

/* The mapping in progress, complete now, goes to out. */
static bool push_cur(parser *p)
{
    if (!p->have_cur)
        return true;
    vm_linux_mapping *slot = vm_array_push((void **)&p->out->v, &p->out->n, sizeof *p->out->v);
    if (!slot) {
        p->nomem = true;
        return parse_fail(p, "out of memory");
    }
    *slot = p->cur;
    p->have_cur = false;
    return true;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIXED_COLUMNS 1
/* The value column of a fixed-form line, eight bytes loaded little-endian (the first character in
 * the lowest byte): blanks, then one to eight digits, nothing else.  False for anything else. */
static inline bool fixed_value(uint64_t w, uint64_t *out)
{
    uint64_t other = w ^ 0x2020202020202020ull; /* 0 bytes where there are blanks */
    if (!other)
        return false;
    unsigned blanks = (unsigned)__builtin_ctzll(other) >> 3; /* 0..7: the leading ones */
    uint64_t lead = blanks ? ~0ull >> (64 - 8 * blanks) : 0;
    uint64_t d = w | (0x1010101010101010ull & lead); /* leading blanks (0x20) read as '0' (0x30) */
    /* every byte in '0'..'9': high nibble 3, and still 3 after adding 6 (no byte carries) */
    if ((d & 0xf0f0f0f0f0f0f0f0ull) != 0x3030303030303030ull ||
        ((d + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) != 0x3030303030303030ull)
        return false;
    d -= 0x3030303030303030ull;
    d = d * 10 + (d >> 8); /* each even byte: the two digits from it up, as a number 0..99 */
    *out = ((d & 0x000000ff000000ffull) * (100 + (1000000ull << 32)) +
            ((d >> 16 & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >> 32;
    return true;
}
#else
#define FIXED_COLUMNS 0
#endif

/* Whether the first mapping's line for f is in the kernel's fixed columns (known_field). */
static void learn_columns(known_field *f, const char *line, size_t len)
{
    f->fixed_len = 0;
    if (!FIXED_COLUMNS || f->kind == FIELD_VMFLAGS || f->len + 1 > FIXED_NAME_COLUMNS)
        return;
    const size_t value_end = FIXED_NAME_COLUMNS + FIXED_VALUE_COLUMNS;
    bool kb = len == value_end + 3 && memcmp(line + value_end, " kB", 3) == 0;
    if (!kb && (len != value_end || f->kind == FIELD_COUNTER))
        return;
    for (size_t i = f->len + 1; i < FIXED_NAME_COLUMNS; i++)
        if (line[i] != ' ')
            return;
#if FIXED_COLUMNS
    uint64_t w, v;
    memcpy(&w, line + FIXED_NAME_COLUMNS, sizeof w);
    if (!fixed_value(w, &v))
        return;
#endif
    memcpy(f->columns, line, FIXED_NAME_COLUMNS);
    f->fixed_len = len + 1;
}

static bool general_only; /* vm_linux_parse_test_general_only */

void vm_linux_parse_test_general_only(bool on)
{
    general_only = on;
}

/* Learns the name of a field line of the first mapping (its form already checked). */
static void learn_field(parser *p, const char *line, size_t len)
{
    if (p->nseq >= MAX_KNOWN_FIELDS)
        return;
    known_field *f = &p->seq[p->nseq++];
    memset(f, 0, sizeof *f);
    const char *colon = memchr(line, ':', len);
    size_t n = colon ? (size_t)(colon - line) : 0;
    if (!colon || n >= sizeof f->name)
        return; /* an empty name: its position never matches, later lines there go the general way */
    memcpy(f->name, line, n);
    f->name[n] = '\0';
    f->len = n;
    vm_linux_mapping probe;
    bool known = false;
    uint64_t *slot = known_counter(line, n, &probe, &f->bit, &known);
    if (slot) {
        f->kind = FIELD_COUNTER;
        f->offset = (size_t)((char *)slot - (char *)&probe);
    } else {
        f->kind = n == 7 && memcmp(line, "VmFlags", 7) == 0 ? FIELD_VMFLAGS : FIELD_SKIP;
    }
    learn_columns(f, line, len);
}

/* A field line whose name is the one learned for this position: what vm_linux_parse_smaps_field
 * does with it, without finding its name again.  -1: not that name (parse it the general way). */
/* a[0, n) == b[0, n), eight bytes at a time (names are short: no library call). */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
    }
    for (; n; a++, b++, n--)
        if (*a != *b)
            return false;
    return true;
}

static int known_field_line(const known_field *f, const char *line, size_t len, vm_linux_mapping *m)
{
    if (f->len == 0 || len <= f->len || line[f->len] != ':' || !same_bytes(line, f->name, f->len))
        return -1; /* an empty name was not learned: ":..." is malformed, as the general parse says */
    const char *value = line + f->len + 1, *end = line + len;
    if (f->kind == FIELD_COUNTER) {
        uint64_t v;
        if (!parse_kb(value, end, &v))
            return 0;
        memcpy((char *)m + f->offset, &v, sizeof v);
        m->have |= f->bit;
    } else if (f->kind == FIELD_VMFLAGS) {
        parse_vmflags(value, end, m);
    }
    return 1;
}

static bool parse_line(parser *p, const char *line, size_t len)
{
    p->line++;
    if (len == 0)
        return true; /* blank lines carry nothing; tolerate them */
    if (len > VM_LX_MAX_LINE)
        return parse_fail(p, "too long");
    if (looks_like_header(line, len)) {
        vm_linux_mapping m;
        int rc = parse_header(line, len, &m);
        if (rc == HDR_NOMEM) {
            p->nomem = true;
            return parse_fail(p, "out of memory");
        }
        if (rc != HDR_OK)
            return parse_fail(p, "malformed mapping line");
        if (!push_cur(p)) {
            free(m.name);
            return false;
        }
        p->cur = m;
        p->have_cur = true;
        p->mappings++;
        p->pos = 0;
        return true;
    }
    if (!p->have_cur)
        return parse_fail(p, "expected a mapping line");
    size_t at = p->pos++;
    if (p->mappings > 1 && at < p->nseq && !general_only) {
        int known = known_field_line(&p->seq[at], line, len, &p->cur);
        if (known >= 0)
            return known ? true : parse_fail(p, "malformed field line");
    }
    if (!vm_linux_parse_smaps_field(line, len, &p->cur))
        return parse_fail(p, "malformed field line");
    if (p->mappings == 1)
        learn_field(p, line, len);
    return true;
}

/* The first '\n' in [s, end), or NULL: eight bytes at a time (a line's rest is a few dozen bytes,
 * too short for a memchr call to pay). */
static inline const char *find_newline(const char *s, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - s >= 8) {
        uint64_t w;
        memcpy(&w, s, sizeof w);
        uint64_t x = w ^ 0x0a0a0a0a0a0a0a0aull; /* 0 bytes where there are newlines */
        uint64_t zero = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
        if (zero)
            return s + (__builtin_ctzll(zero) >> 3); /* the lowest flagged byte is a true zero */
        s += 8;
    }
#endif
    while (s < end && *s != '\n')
        s++;
    return s < end ? s : NULL;
}

/* The line at s when it is in the fixed columns the first mapping showed for f (known_field):
 * its 16 name bytes, an 8-byte value column and its end checked at their places, no search.
 * Returns the start of the next line, or NULL (then the line goes the general way). */
static inline const char *fixed_field_line(parser *p, const known_field *f, const char *s, const char *end)
{
#if FIXED_COLUMNS
    if (!f->fixed_len || (size_t)(end - s) < f->fixed_len || s[f->fixed_len - 1] != '\n' ||
        !same_bytes(s, f->columns, FIXED_NAME_COLUMNS))
        return NULL;
    const char *tail = s + FIXED_NAME_COLUMNS + FIXED_VALUE_COLUMNS;
    if (f->fixed_len == FIXED_NAME_COLUMNS + FIXED_VALUE_COLUMNS + 4 && memcmp(tail, " kB", 3) != 0)
        return NULL;
    uint64_t w, v;
    memcpy(&w, s + FIXED_NAME_COLUMNS, sizeof w);
    if (!fixed_value(w, &v))
        return NULL;
    if (f->kind == FIELD_COUNTER) {
        v *= 1024; /* at most 99,999,999 kB: no overflow */
        memcpy((char *)&p->cur + f->offset, &v, sizeof v);
        p->cur.have |= f->bit;
    }
    p->line++;
    p->pos++;
    return s + f->fixed_len;
#else
    (void)p, (void)f, (void)s, (void)end;
    return NULL;
#endif
}

/* The field line at s (up to end, its '\n' not looked for yet) when it is the one expected next
 * and has the kernel's own form: the name learned for this position, ':', blanks, then for a
 * counter digits and " kB"; VmFlags' two-letter codes each followed by a space.  Parsed as
 * parse_line would (same values, same line count), without first searching for the line's end:
 * two dozen short lines a mapping made that search (a memchr call each) a fifth of the parse.
 * Returns the start of the next line, or NULL for anything else (then parse_line takes the line
 * from the start, nothing changed). */
static const char *fast_field_line(parser *p, const char *s, const char *end)
{
    if (!p->have_cur || p->mappings < 2 || p->pos >= p->nseq || general_only)
        return NULL;
    const known_field *f = &p->seq[p->pos];
    const char *fixed = fixed_field_line(p, f, s, end);
    if (fixed)
        return fixed;
    const char *limit = end - s > (ptrdiff_t)VM_LX_MAX_LINE ? s + VM_LX_MAX_LINE : end;
    if (f->len == 0 || limit - s <= (ptrdiff_t)f->len || s[f->len] != ':' || !same_bytes(s, f->name, f->len))
        return NULL;
    const char *q = s + f->len + 1;
    if (f->kind == FIELD_COUNTER) {
        q = skip_spaces(q, limit);
        uint64_t v;
        if (!parse_dec(&q, limit, &v) || limit - q < 4 || memcmp(q, " kB\n", 4) != 0 || v > UINT64_MAX / 1024)
            return NULL;
        v *= 1024;
        memcpy((char *)&p->cur + f->offset, &v, sizeof v);
        p->cur.have |= f->bit;
        q += 4;
    } else if (f->kind == FIELD_VMFLAGS) {
        uint32_t flags = 0;
        while (limit - q >= 3 && q[0] == ' ' && q[1] != ' ' && q[1] != '\n' && q[2] != ' ' && q[2] != '\n' &&
               q[2] != '\t' && (limit - q == 3 || q[3] == ' ' || q[3] == '\n')) {
            flags |= vmflag_bit(q[1], q[2]); /* " xx": one code (what parse_vmflags keeps of it) */
            q += 3;
        }
        if (limit - q >= 2 && q[0] == ' ' && q[1] == '\n')
            q += 2; /* the kernel ends the list with a space */
        else if (limit - q >= 1 && q[0] == '\n')
            q += 1;
        else
            return NULL;
        p->cur.vmflags = flags;
        p->cur.have |= VM_LX_HAVE_VMFLAGS;
    } else {
        /* Skipped: most are counters too ("N kB"), the rest a number ("THPeligible: 0") */
        q = skip_spaces(q, limit);
        while (q < limit && *q >= '0' && *q <= '9')
            q++;
        if (limit - q >= 4 && memcmp(q, " kB\n", 4) == 0)
            q += 3;
        q = find_newline(q, limit);
        if (!q)
            return NULL;
        q++;
    }
    p->line++;
    p->pos++;
    return q;
}

/* Parses the complete lines in buf[0, len); returns how many bytes were consumed (the rest is
 * a partial line to carry over), or (size_t)-1 on a parse error. */
static size_t parse_complete_lines(parser *p, const char *buf, size_t len)
{
    const char *s = buf, *end = buf + len, *nl;
    while (s < end) {
        const char *next = fast_field_line(p, s, end);
        if (next) {
            s = next;
            continue;
        }
        if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
            break;
        if (!parse_line(p, s, (size_t)(nl - s)))
            return (size_t)-1;
        s = nl + 1;
    }
    return (size_t)(s - buf);
}

/* After a failure: what the parser held that out does not. */
static void parser_drop(parser *p)
{
    if (p->have_cur)
        free(p->cur.name);
    p->have_cur = false;
}

void vm_linux_maps_free(vm_linux_maps *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].name);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

bool vm_linux_parse_smaps_text(const char *text, size_t len, vm_linux_maps *out, char *err, size_t errlen)
{
    out->v = NULL;
    out->n = 0;
    if (err && errlen)
        err[0] = '\0';
    parser p = {.out = out, .err = err, .errlen = errlen};
    size_t n = text ? len : 0, used = n ? parse_complete_lines(&p, text, n) : 0;
    /* a last line without '\n' still counts */
    if (used == (size_t)-1 || (used < n && !parse_line(&p, text + used, n - used)) || !push_cur(&p)) {
        parser_drop(&p);
        vm_linux_maps_free(out);
        return false;
    }
    return true;
}

/* ---- text in pieces ------------------------------------------------------------------------- */

/* A line cut between two chunks is put back together here (at most VM_LX_MAX_LINE bytes). */
typedef struct carry {
    char *buf;
    size_t have;
} carry;

static bool too_long(parser *p)
{
    p->line++;
    return parse_fail(p, "too long");
}

/* Parses one chunk's lines, the first one completing the carried-over part. */
static bool feed(parser *p, carry *cy, const char *data, size_t len)
{
    const char *s = data, *end = data + len;
    if (cy->have) {
        const char *nl = memchr(s, '\n', len);
        size_t take = nl ? (size_t)(nl - s) : len;
        if (take > VM_LX_MAX_LINE - cy->have)
            return too_long(p);
        memcpy(cy->buf + cy->have, s, take);
        cy->have += take;
        if (!nl)
            return true;
        if (!parse_line(p, cy->buf, cy->have))
            return false;
        cy->have = 0;
        s = nl + 1;
    }
    size_t used = parse_complete_lines(p, s, (size_t)(end - s));
    if (used == (size_t)-1)
        return false;
    s += used;
    if ((size_t)(end - s) > VM_LX_MAX_LINE)
        return too_long(p);
    memcpy(cy->buf, s, (size_t)(end - s));
    cy->have = (size_t)(end - s);
    return true;
}

struct vm_linux_maps_stream {
    parser p;
    carry cy;
};

vm_linux_maps_stream *vm_linux_maps_stream_new(char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    vm_linux_maps_stream *st = calloc(1, sizeof *st);
    if (st && !(st->cy.buf = malloc(VM_LX_MAX_LINE))) {
        free(st);
        st = NULL;
    }
    if (!st && err && errlen)
        snprintf(err, errlen, "out of memory");
    if (st) {
        st->p.err = err;
        st->p.errlen = errlen;
    }
    return st;
}

bool vm_linux_maps_stream_feed(vm_linux_maps_stream *st, const char *data, size_t len, vm_linux_maps *batch)
{
    st->p.out = batch;
    return feed(&st->p, &st->cy, data, len);
}

bool vm_linux_maps_stream_end(vm_linux_maps_stream *st, vm_linux_maps *last)
{
    st->p.out = last;
    /* The kernel ends every line with '\n': a leftover is a truncated last line. */
    if (st->cy.have && !parse_line(&st->p, st->cy.buf, st->cy.have))
        return false;
    st->cy.have = 0;
    return push_cur(&st->p);
}

void vm_linux_maps_stream_fail_nomem(vm_linux_maps_stream *st)
{
    st->p.nomem = true;
    parse_fail(&st->p, "out of memory");
}

bool vm_linux_maps_stream_nomem(const vm_linux_maps_stream *st)
{
    return st->p.nomem;
}

void vm_linux_maps_stream_free(vm_linux_maps_stream *st)
{
    if (!st)
        return;
    parser_drop(&st->p);
    free(st->cy.buf);
    free(st);
}
