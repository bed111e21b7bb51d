/* libFuzzer target: the snapshot JSON reader.
 *
 * Any input must either fail with a message (code VM_EXIT_BAD_INPUT) or give a snapshot; a
 * snapshot (which the reader has checked to be consistent: vmmap/model/snapshot_check.h),
 * written (pretty and compact) and read again, must be equal to itself: the reader accepts
 * nothing the writer cannot reproduce.  Seeds: tests/fuzz/corpus/fuzz_json/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json.h"
#include "vmmap/model/snapshot.h"

static void check_round_trip(const vm_snapshot *s, int pretty)
{
    char *text = vm_snapshot_to_json(s, pretty);
    if (!text)
        abort();
    vm_error err;
    vm_error_clear(&err);
    vm_snapshot *again = vm_snapshot_from_json(text, strlen(text), "rewritten", &err);
    if (!again) {
        fprintf(stderr, "written snapshot does not read back: %s\n", err.msg);
        abort();
    }
    char why[256];
    if (!vm_snapshot_equal(s, again, why, sizeof why)) {
        fprintf(stderr, "round trip differs at %s\n", why);
        abort();
    }
    vm_snapshot_free(again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vm_error err;
    vm_error_clear(&err);
    vm_snapshot *s = vm_snapshot_from_json((const char *)data, size, "fuzz.json", &err);
    if (!s) {
        if (!err.msg[0] || (err.code != VM_EXIT_BAD_INPUT && err.code != VM_EXIT_ERROR))
            abort(); /* every failure says why */
        return 0;
    }
    check_round_trip(s, 0);
    check_round_trip(s, 1);
    vm_snapshot_free(s);
    return 0;
}
