/* JSON values as every vmmap format writes them: integers exact (written as raw digits, never
 * through a double), addresses as "0x..." strings (jq holds numbers as doubles). */
#ifndef VMMAP_REPORT_JSON_VALUES_H
#define VMMAP_REPORT_JSON_VALUES_H

#include <stdint.h>

#include <cjson/cJSON.h>

cJSON *vm_json_u64(uint64_t v);
cJSON *vm_json_i64(int64_t v);
cJSON *vm_json_hex(uint64_t v);

#endif
