/* A JSON document checked against docs/snapshot.schema.json, in C (the machine's python3 has no
 * jsonschema module): the keywords that schema uses ($ref into $defs, type, properties, required,
 * dependentRequired, items, minItems, uniqueItems, enum, const, minimum, maximum, pattern, oneOf,
 * anyOf), and one rule more than JSON Schema's: an object whose schema lists `properties` may
 * have no other key, so that every key a writer puts in is documented.  Test support only. */
#ifndef VMMAP_TESTS_SUPPORT_SCHEMA_CHECK_H
#define VMMAP_TESTS_SUPPORT_SCHEMA_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Whether doc follows schema (its root); when not, why lists the first problems, each with its
 * JSON path ("heaps[0].stats.busy_blocks: ..."). */
bool sc_validate(const cJSON *schema, const cJSON *doc, char *why, size_t len);

#endif
