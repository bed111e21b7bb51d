#include "json_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Characters cJSON takes into a number (it hands them to strtod). */
static bool number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

/* Index just past the string whose opening quote is at i (or len when it never closes). */
static size_t string_end(const char *text, size_t len, size_t i, bool *closed)
{
    for (i++; i < len; i++) {
        if (text[i] == '\\')
            i++;
        else if (text[i] == '"') {
            *closed = true;
            return i + 1;
        }
    }
    return len;
}

static size_t skip_string(const char *text, size_t len, size_t i)
{
    bool closed = false;
    return string_end(text, len, i, &closed);
}

/* Position of item among the numbers of the tree in document order (cJSON keeps every member in
 * the order read, duplicate keys included, so this is the order of the numbers in the text). */
static bool number_index(const cJSON *node, const cJSON *item, size_t *index)
{
    for (; node; node = node->next) {
        if (node == item)
            return true;
        if (cJSON_IsNumber(node))
            ++*index;
        if (node->child && number_index(node->child, item, index))
            return true;
    }
    return false;
}

static const char *copy_cut(const char *s, size_t n, char *buf, size_t buflen)
{
    const size_t max = 40;
    snprintf(buf, buflen, "%.*s%s", (int)(n > max ? max : n), s, n > max ? "..." : "");
    return buf;
}

const char *vm_json_number_text(const char *text, size_t len, const cJSON *root, const cJSON *item, char *buf,
                                size_t buflen)
{
    size_t want = 0, seen = 0;
    if (!text || !cJSON_IsNumber(item) || !number_index(root, item, &want))
        return NULL;
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (c == '"') {
            i = skip_string(text, len, i);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            while (i < len && number_char(text[i]))
                i++;
            if (seen++ == want)
                return copy_cut(text + start, i - start, buf, buflen);
        } else {
            i++;
        }
    }
    return NULL;
}

/* Arrays and objects open at byte at (strings skipped). */
static size_t depth_at(const char *text, size_t at)
{
    size_t depth = 0;
    for (size_t i = 0; i < at;) {
        char c = text[i];
        if (c == '"') {
            i = skip_string(text, at, i);
            continue;
        }
        if (c == '[' || c == '{')
            depth++;
        else if ((c == ']' || c == '}') && depth)
            depth--;
        i++;
    }
    return depth;
}

/* The word at p if it is one of JSON's missing numbers, any case, with an optional sign. */
static const char *non_number(const char *p, size_t n)
{
    static const char *const WORDS[] = {"Infinity", "NaN", "inf"};
    size_t sign = n && (*p == '-' || *p == '+');
    for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++) {
        size_t w = strlen(WORDS[i]), end = sign + w;
        if (n >= end && strncasecmp(p + sign, WORDS[i], w) == 0 &&
            (end == n || !((p[end] | 0x20) >= 'a' && (p[end] | 0x20) <= 'z')))
            return i == 1 ? "NaN" : "Infinity";
    }
    return NULL;
}

/* The string that opens at `at` (or just before it) has no closing quote in the text. */
static bool string_never_ends(const char *text, size_t len, size_t at)
{
    bool closed = false;
    if (at < len && text[at] != '"' && at > 0 && text[at - 1] == '"')
        at--; /* cJSON's offset is just past the quote */
    if (at >= len || text[at] != '"')
        return false;
    string_end(text, len, at, &closed);
    return !closed;
}

/* How close to the end an error must be for the text to count as cut short. */
#define TORN_TAIL 64

const char *vm_json_parse_problem(const char *text, size_t len, size_t at, char *buf, size_t buflen)
{
    if (!text || !len)
        return NULL;
    const char *word = at < len ? non_number(text + at, len - at) : NULL;
    if (word) {
        snprintf(buf, buflen, "%s%s is not allowed (JSON numbers are finite)",
                 word[0] == 'I' && text[at] == '-' ? "-" : "", word);
        return buf;
    }
    if (at < len && (text[at] == '[' || text[at] == '{') && depth_at(text, at) >= CJSON_NESTING_LIMIT) {
        snprintf(buf, buflen, "nested too deep (more than %d arrays and objects inside one another)",
                 CJSON_NESTING_LIMIT);
        return buf;
    }
    /* Stopped at the end with arrays or objects still open: the file was cut short.  cJSON puts
     * the error of a string that never ends at its start, however long the string. */
    if ((at + TORN_TAIL >= len || string_never_ends(text, len, at)) && depth_at(text, len) > 0) {
        snprintf(buf, buflen, "the text ends inside the JSON, after %zu byte%s: the file is cut short (an "
                 "interrupted copy or download?)", len, len == 1 ? "" : "s");
        return buf;
    }
    return NULL;
}
