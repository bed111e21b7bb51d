/* Options a target cannot honour are refused, never ignored (capture.h): the reason for each
 * option and each kind of target that cannot honour it, in one table. */
#include "capture.h"

#include <stddef.h>
#include <string.h>

typedef struct refusal {
    uint32_t option;
    const char *name;
    const char *snapshot_why; /* for a snapshot file (nothing of the target is read any more) */
    const char *snapshot_hint;
    const char *live_why;     /* for a live process; NULL: a live process honours it */
    const char *live_hint;
} refusal;

/* Each reason follows "--option: TARGET is a snapshot" or "... is a live process". */
static const refusal refusals[] = {
    {VM_ASK_NO_HEAPS, "--no-heaps", ": nothing of the target is read any more, so there is no heap walk to leave out",
     "--no-heaps is for a process, a dump or a core", NULL, NULL},
    {VM_ASK_NO_SECTIONS, "--no-sections",
     ": nothing of the target is read any more (its images' sections are what was saved)",
     "--no-sections is for a process, a dump or a core", NULL, NULL},
    {VM_ASK_IMAGE_PATH, "--image-path", ": no module file is read for it (its images' sections are what was saved)",
     "--image-path is for a core or a dump whose module headers are missing",
     ": its module files are read where its mappings name them",
     "--image-path is for a core or a dump whose module headers are missing"},
    {VM_ASK_HEAP_BLOCKS, "--heap-blocks",
     ", with no target memory to walk (its heaps carry what `vmmap snapshot --heap-blocks` saved, if it was)",
     "walk the heaps of the process or the dump itself: vmmap snapshot PID|DUMP --heap-blocks -o FILE.json", NULL, NULL},
    {VM_ASK_OBJECTS, "--objects",
     ", with no target memory to scan (its census is what `vmmap snapshot --objects` saved, if it was)",
     "take the census of the process or the dump itself: vmmap snapshot PID|DUMP --objects -o FILE.json", NULL, NULL},
};

const char *vm_capture_option_name(uint32_t option)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (refusals[i].option == option)
            return refusals[i].name;
    return "?";
}

int vm_capture_refuse(const char *arg, const vm_source *src, uint32_t refused, vm_error *err)
{
    bool snapshot = src == NULL, live = src == &vm_source_live;
    const char *target = arg ? arg : "vmmap itself (--self)";
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const refusal *r = &refusals[i];
        if (!(refused & r->option))
            continue;
        const char *why = snapshot ? r->snapshot_why : live ? r->live_why : NULL;
        const char *hint = snapshot ? r->snapshot_hint : live ? r->live_hint : NULL;
        if (why) {
            vm_error_set(err, VM_EXIT_USAGE, "%s: %s is %s%s", r->name, target,
                         snapshot ? "a snapshot" : "a live process", why);
            vm_error_hint(err, "%s", hint);
        } else { /* a source that refuses what this table has no words for */
            vm_error_set(err, VM_EXIT_USAGE, "%s: the %s source cannot honour it for %s", r->name,
                         src ? src->name : "snapshot", target);
        }
        return VM_EXIT_USAGE; /* one error for one mistake: the first option refused */
    }
    return VM_EXIT_OK;
}

uint32_t vm_capture_honours(const char *arg)
{
    const vm_source *src = NULL;
    bool snapshot = false;
    if (!vm_capture_reader(arg, &src, &snapshot))
        return VM_ASK_ALL; /* the target itself is the error: said when it is read */
    return snapshot ? 0 : src->honours;
}
