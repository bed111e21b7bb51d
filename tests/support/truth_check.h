/* Comparing a snapshot with a sample's ground truth: expectations that record a mismatch and go
 * on, so one run lists every difference, and small readers of the JSON both sides are made of.
 * Shared by the Linux and the Wine integration tests.  Uses cmocka's fail_msg to end a test. */
#ifndef VMMAP_TESTS_SUPPORT_TRUTH_CHECK_H
#define VMMAP_TESTS_SUPPORT_TRUTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Mismatches recorded since the test reset it to 0. */
extern int g_errors;

/* Records a failed expectation ("  MISMATCH: ..." on stderr) without stopping the test. */
void expect(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether the snapshot file at path, as vmmap wrote it, loads again with vmmap's own reader
 * (every check it makes included) and is the same written again: the promise every snapshot
 * keeps.  why says what failed. */
bool loads_again(const char *path, char *why, size_t len);
/* Fails the test when any expectation failed. */
void expect_none(const char *what);

const char *str_or(const cJSON *o, const char *key);             /* string member or "(none)" */
bool str_is(const cJSON *o, const char *key, const char *want);  /* string member equals want */
bool str_has(const char *hay, const char *needle);               /* case-insensitive substring */
int64_t int_or(const cJSON *o, const char *key, int64_t dflt);   /* number member or dflt */
/* Required members of the ground truth: a missing or malformed one fails the test. */
uint64_t hex_of(const cJSON *o, const char *key);
uint64_t u64_of(const cJSON *o, const char *key);
const cJSON *member(const cJSON *o, const char *key);

/* "block 0x... +N type=... state=... prot=... memtype=... details=... path=..." for messages. */
const char *describe(const cJSON *block, char *buf, size_t len);
/* Every byte of [lo, hi) is in blocks of type `type`, of state `state` (when not NULL) and, when
 * heap_addr is not 0, linked to the heap whose address is heap_addr. */
void expect_range(const cJSON *snap, const char *what, uint64_t lo, uint64_t hi, const char *type,
                  const char *state, uint64_t heap_addr);

#endif
