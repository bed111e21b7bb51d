/* Shell-style patterns (see pattern.h).  Matching keeps one backtracking point, the last '*':
 * on a mismatch the star takes one more character, so the work is at most pattern x text. */
#include "pattern.h"

#include <stddef.h>

/* Matches one set at p ("[...]") against c; *end is set past the set.  A set without its ']'
 * is an ordinary '[' (as in fnmatch). */
static bool match_set(const char *p, char c, const char **end, bool *ok)
{
    const char *q = p + 1;
    bool negate = *q == '!' || *q == '^';
    if (negate)
        q++;
    bool hit = false, first = true;
    while (*q && (*q != ']' || first)) {
        char lo = *q;
        if (lo == '\\' && q[1])
            lo = *++q;
        char hi = lo;
        if (q[1] == '-' && q[2] && q[2] != ']') {
            hi = q[2];
            if (hi == '\\' && q[3])
                hi = *(q += 1, q + 2);
            q += 2;
        }
        if ((unsigned char)c >= (unsigned char)lo && (unsigned char)c <= (unsigned char)hi)
            hit = true;
        q++;
        first = false;
    }
    if (*q != ']') {
        *ok = false; /* not a set */
        return false;
    }
    *ok = true;
    *end = q + 1;
    return hit != negate;
}

bool vm_pattern_match(const char *pattern, const char *text)
{
    const char *p = pattern, *t = text;
    const char *star_p = NULL, *star_t = NULL;
    while (*t) {
        bool matched = false;
        const char *next = p + 1;
        if (*p == '*') {
            star_p = ++p;
            star_t = t;
            continue;
        }
        if (*p == '?') {
            matched = true;
        } else if (*p == '[') {
            bool is_set;
            matched = match_set(p, *t, &next, &is_set);
            if (!is_set)
                matched = *t == '[';
            if (!is_set)
                next = p + 1;
        } else if (*p == '\\' && p[1]) {
            matched = p[1] == *t;
            next = p + 2;
        } else if (*p) {
            matched = *p == *t;
        }
        if (matched) {
            p = next;
            t++;
        } else if (star_p) {
            p = star_p;
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == 0;
}

bool vm_pattern_is_glob(const char *pattern)
{
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '*' || *p == '?' || *p == '[')
            return true;
    }
    return false;
}
