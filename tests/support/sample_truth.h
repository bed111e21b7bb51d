/* The Linux sample's ground truth against a snapshot (sample_truth.c). */
#ifndef VMMAP_TESTS_SUPPORT_SAMPLE_TRUTH_H
#define VMMAP_TESTS_SUPPORT_SAMPLE_TRUTH_H

#include <cjson/cJSON.h>

/* Records a mismatch (truth_check.h's expect) for every ground-truth item of the sample that the
 * snapshot types otherwise: small and large mallocs, arena allocations and their heaps, each
 * thread's stack with its tid and guard, the reservation, the file mapping, the shareable
 * mappings, the named anonymous mapping, the executable's and libc's sections. */
void st_check_sample(const cJSON *snap, const cJSON *truth);

#endif
