#include "json_reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmmap/model/snapshot_check.h"
#include "json.h"

bool vm_snapshot_reloads(const vm_snapshot *s, char *why, size_t len)
{
    char path[96], problem[256];
    if (!vm_snapshot_check(s, path, sizeof path, problem, sizeof problem)) {
        snprintf(why, len, "inconsistent: %s: %s", path, problem);
        return false;
    }
    char *text = vm_snapshot_to_json(s, 0);
    if (!text) {
        snprintf(why, len, "out of memory writing it");
        return false;
    }
    vm_error err;
    vm_error_clear(&err);
    vm_snapshot *back = vm_snapshot_from_json(text, strlen(text), "written", &err);
    free(text);
    if (!back) {
        snprintf(why, len, "does not load: %s", err.msg);
        return false;
    }
    char where[160];
    bool same = vm_snapshot_equal(s, back, where, sizeof where);
    if (!same)
        snprintf(why, len, "read back differs at %s", where);
    vm_snapshot_free(back);
    return same;
}
