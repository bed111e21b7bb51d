/* The live source's table entry: a running process by PID, by name, or vmmap itself, captured by
 * the build's platform (vm_platform_capture in sources/linux or sources/windows). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

bool vm_arg_is_pid(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Whatever is not a file: --self, a PID, a name.  (The pipeline has already turned away paths
 * that name no file, so a name here is a process name.) */
static bool live_claims(const char *arg, const uint8_t *head, size_t nhead)
{
    (void)arg;
    (void)nhead;
    return head == NULL;
}

static int live_gather(const char *arg, const vm_capture_options *opt, vm_facts *facts, vm_error *err)
{
    int64_t pid = 0;
    if (!arg) {
        pid = vm_platform_self_pid();
    } else if (vm_arg_is_pid(arg)) {
        errno = 0;
        long long v = strtoll(arg, NULL, 10);
        if (errno || v <= 0) {
            vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %s", arg);
            return VM_EXIT_NOT_FOUND;
        }
        pid = (int64_t)v;
    } else {
        int rc = vm_platform_find_pid(arg, &pid, err);
        if (rc != VM_EXIT_OK)
            return rc;
    }
    return vm_platform_capture(pid, opt, facts, err);
}

/* Everything but --image-path: a live process's module files are read where its mappings say. */
const vm_source vm_source_live = {"live", live_claims, live_gather, VM_ASK_ALL & ~VM_ASK_IMAGE_PATH};
