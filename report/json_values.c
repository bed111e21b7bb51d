#include "json_values.h"

#include <stddef.h>

/* Formats without snprintf: a snapshot writes about a dozen integers per region, and the
 * printf machinery was a measurable part of writing one with 60,000 regions. */

/* Decimal digits of v, NUL-terminated, ending at end[-1]; returns the first digit. */
static char *decimal(uint64_t v, char *end)
{
    char *p = end - 1;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

cJSON *vm_json_u64(uint64_t v)
{
    char buf[24];
    return cJSON_CreateRaw(decimal(v, buf + sizeof buf));
}

cJSON *vm_json_i64(int64_t v)
{
    char buf[24];
    /* The magnitude as unsigned: -INT64_MIN does not fit in an int64_t. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = decimal(mag, buf + sizeof buf);
    if (v < 0)
        *--p = '-';
    return cJSON_CreateRaw(p);
}

cJSON *vm_json_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[24];
    char *p = buf + sizeof buf - 1;
    *p = '\0';
    do {
        *--p = digits[v & 15];
        v >>= 4;
    } while (v);
    *--p = 'x';
    *--p = '0';
    return cJSON_CreateString(p);
}
