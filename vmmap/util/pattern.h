/* Shell-style name patterns for options such as `vmmap objects --type`: '*' any run of
 * characters, '?' any one, [abc] / [a-z] / [!abc] a set, '\' quotes the next character.  The
 * whole text must match.  Our own because MinGW has no fnmatch(3). */
#ifndef VMMAP_UTIL_PATTERN_H
#define VMMAP_UTIL_PATTERN_H

#include <stdbool.h>

bool vm_pattern_match(const char *pattern, const char *text);

/* True when the pattern has a wildcard ('*', '?', '['). */
bool vm_pattern_is_glob(const char *pattern);

#endif
