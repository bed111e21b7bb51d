/* What the JSON text itself says, for error messages: cJSON keeps neither the offsets of its items
 * nor the text of its numbers (a number is a double: 2^64 reads back as 1.8446744073709552e+19,
 * -1e400 as -inf), and a parse error is one position.  These look at the text again, only on the
 * error path (each is a pass over the text). */
#ifndef VMMAP_REPORT_JSON_TEXT_H
#define VMMAP_REPORT_JSON_TEXT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The text of the number item as written in text (which root was parsed from), copied into buf
 * (cut at 40 characters with "..."); NULL when it cannot be found. */
const char *vm_json_number_text(const char *text, size_t len, const cJSON *root, const cJSON *item, char *buf,
                                size_t buflen);

/* Why the parse failed at byte at, when the text there says so: "NaN is not allowed",
 * "Infinity is not allowed", "nested too deep (more than 1000 arrays and objects)"; else NULL. */
const char *vm_json_parse_problem(const char *text, size_t len, size_t at, char *buf, size_t buflen);

#endif
