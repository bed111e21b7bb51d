#include "units.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- parsing -------------------------------------------------------------------------------- */

/* "123.456" as whole = 123, frac = 456, frac_digits = 3.  Fraction digits past the 18th are
 * dropped (they weigh less than 10^-18 of a unit). */
typedef struct decimal {
    uint64_t whole;
    uint64_t frac;
    unsigned frac_digits;
} decimal;

#define MAX_FRAC_DIGITS 18

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Parses digits with an optional fraction; returns the first character after it, or NULL when
 * there is no number or the whole part overflows. */
static const char *parse_decimal(const char *p, decimal *d)
{
    bool any = false;
    memset(d, 0, sizeof *d);
    for (; is_digit(*p); p++, any = true) {
        unsigned digit = (unsigned)(*p - '0');
        if (d->whole > (UINT64_MAX - digit) / 10)
            return NULL;
        d->whole = d->whole * 10 + digit;
    }
    if (*p != '.')
        return any ? p : NULL;
    p++;
    if (!is_digit(*p))
        return NULL;
    for (; is_digit(*p); p++)
        if (d->frac_digits < MAX_FRAC_DIGITS) {
            d->frac = d->frac * 10 + (uint64_t)(*p - '0');
            d->frac_digits++;
        }
    return p;
}

static uint64_t pow10u(unsigned n)
{
    uint64_t v = 1;
    while (n--)
        v *= 10;
    return v;
}

/* floor(frac / 10^digits * 2^shift), exactly: binary long division of frac * 2^shift by 10^digits
 * (frac < 10^digits <= 10^18, so the remainder never exceeds 2 * 10^18 < 2^63). */
static uint64_t frac_times_pow2(uint64_t frac, unsigned digits, unsigned shift)
{
    uint64_t den = pow10u(digits), rem = frac, q = 0;
    for (unsigned i = 0; i < shift; i++) {
        rem *= 2;
        q *= 2;
        if (rem >= den) {
            rem -= den;
            q |= 1;
        }
    }
    return q;
}

static const struct {
    char letter;
    unsigned shift;
} size_units[] = {
    {'k', 10}, {'m', 20}, {'g', 30}, {'t', 40}, {'p', 50},
};

/* "", "B", "K", "KB", "KiB" (any case) -> shift; false for anything else. */
static bool parse_size_unit(const char *p, unsigned *shift)
{
    *shift = 0;
    for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++)
        if (lower(*p) == size_units[i].letter) {
            *shift = size_units[i].shift;
            p++;
            if (lower(*p) == 'i' && lower(p[1]) == 'b')
                p++; /* KiB; a bare "Ki" is left to fail below */
            break;
        }
    if (lower(*p) == 'b')
        p++;
    return *p == '\0';
}

bool vm_parse_size(const char *s, uint64_t *out)
{
    decimal d;
    unsigned shift;
    const char *p = s ? parse_decimal(s, &d) : NULL;
    if (!p)
        return false;
    if (*p == ' ' && *++p == '\0')
        return false; /* a space must lead to a unit */
    if (!parse_size_unit(p, &shift))
        return false;
    if (d.frac_digits && shift == 0)
        return false; /* a fraction of a byte */
    if (d.whole > (UINT64_MAX >> shift))
        return false;
    uint64_t bytes = d.whole << shift;
    uint64_t part = d.frac_digits ? frac_times_pow2(d.frac, d.frac_digits, shift) : 0;
    if (bytes > UINT64_MAX - part)
        return false;
    *out = bytes + part;
    return true;
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

bool vm_parse_address(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned digits = 0, ticks = 0;
    if (!s)
        return false;
    if (s[0] == '0' && lower(s[1]) == 'x')
        s += 2;
    for (const char *p = s; *p; p++) {
        if (*p == '`') {
            /* One backtick, between two digits. */
            if (++ticks > 1 || p == s || hex_value(p[1]) < 0)
                return false;
            continue;
        }
        int h = hex_value(*p);
        if (h < 0)
            return false;
        if (v >> 60)
            return false; /* a 17th significant digit */
        v = (v << 4) | (uint64_t)h;
        digits++;
    }
    if (digits == 0)
        return false;
    *out = v;
    return true;
}

static const struct {
    const char *suffix;
    double seconds;
} duration_units[] = {
    {"", 1.0}, {"ms", 0.001}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}, {"d", 86400.0},
};

bool vm_parse_duration(const char *s, double *seconds)
{
    decimal d;
    const char *p = s ? parse_decimal(s, &d) : NULL;
    if (!p)
        return false;
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
        if (strcmp(p, duration_units[i].suffix) != 0)
            continue;
        double v = (double)d.whole + (double)d.frac / (double)pow10u(d.frac_digits);
        v *= duration_units[i].seconds;
        if (!isfinite(v))
            return false;
        *seconds = v;
        return true;
    }
    return false;
}

/* ---- formatting ----------------------------------------------------------------------------- */

/* Copies src (of n bytes) into buf, truncating to len - 1. */
static void put(char *buf, size_t len, const char *src, size_t n)
{
    if (len == 0)
        return;
    if (n >= len)
        n = len - 1;
    memcpy(buf, src, n);
    buf[n] = '\0';
}

/* Writes n with separators into the end of tmp; returns the start. */
static char *count_digits(uint64_t n, char *end)
{
    char *p = end;
    int group = 0;
    do {
        if (group++ == 3) {
            *--p = ',';
            group = 1;
        }
        *--p = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    return p;
}

void vm_format_count(uint64_t n, char *buf, size_t len)
{
    char tmp[VM_UNITS_BUFSZ];
    char *end = tmp + sizeof tmp;
    char *p = count_digits(n, end);
    put(buf, len, p, (size_t)(end - p));
}

void vm_format_kb(uint64_t bytes, char *buf, size_t len)
{
    char tmp[VM_UNITS_BUFSZ];
    char *end = tmp + sizeof tmp;
    uint64_t kb = bytes / 1024 + (bytes % 1024 != 0);
    end[-2] = ' ';
    end[-1] = 'K';
    char *p = count_digits(kb, end - 2);
    put(buf, len, p, (size_t)(end - p));
}

void vm_format_size(uint64_t bytes, char *buf, size_t len)
{
    vm_format_kb(bytes, buf, len);
}

void vm_format_kb_short(uint64_t bytes, char *buf, size_t len)
{
    static const char unit[] = "KMGTPE";
    uint64_t kb = bytes / 1024 + (bytes % 1024 != 0);
    if (kb < 1000) {
        snprintf(buf, len, "%" PRIu64 " K", kb);
        return;
    }
    size_t u = 0;
    double v = (double)kb;
    while (u + 1 < sizeof unit - 1 && v >= 999.5) { /* four digits: the next unit reads better */
        v /= 1024.0;
        u++;
    }
    if (v < 9.95)
        snprintf(buf, len, "%.1f %c", v, unit[u]);
    else
        snprintf(buf, len, "%.0f %c", v, unit[u]);
}

static const char *const human_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
#define NHUMAN (sizeof human_units / sizeof human_units[0])

void vm_format_human(uint64_t bytes, char *buf, size_t len)
{
    if (bytes < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", bytes);
        return;
    }
    size_t u = 0;
    double v = (double)bytes;
    /* Move up while the value would print as 1024 or more. */
    while (u + 1 < NHUMAN && v >= 1023.5) {
        v /= 1024.0;
        u++;
    }
    if (v < 99.95)
        snprintf(buf, len, "%.1f %s", v, human_units[u]);
    else
        snprintf(buf, len, "%.0f %s", v, human_units[u]);
}

void vm_format_address(uint64_t a, int bits, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char tmp[16];
    int digits = (bits == 32 && a <= UINT32_MAX) ? 8 : 16;
    for (int i = digits - 1; i >= 0; i--, a >>= 4)
        tmp[i] = hex[a & 0xf];
    put(buf, len, tmp, (size_t)digits);
}

const char *vm_plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}
