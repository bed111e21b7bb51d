/* The change list as CSV (RFC 4180: every field quoted, quotes doubled, CRLF): one row per change,
 * sections one after another, sizes in bytes (exact, signed deltas), unknown values empty. */
#include <inttypes.h>
#include <stdio.h>

#include "diff_lines.h"
#include "diff_objects.h"
#include "diff_objects.h"

static const char *const csv_titles[] = {
    "Section", "Change", "Address", "Type", "Old Size (bytes)", "New Size (bytes)",
    "Old Committed (bytes)", "New Committed (bytes)", "Change (bytes)", "Path", "Details",
};
#define NTITLES (sizeof csv_titles / sizeof csv_titles[0])

static void field(FILE *out, bool first, const char *text)
{
    if (!first)
        fputc(',', out);
    fputc('"', out);
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

/* A number field, or an empty one when the side is absent or the value unknown. */
static void number(FILE *out, bool present, uint64_t v)
{
    char buf[32] = "";
    if (present)
        snprintf(buf, sizeof buf, "%" PRIu64, v);
    field(out, false, buf);
}

static bool csv_line(void *ctx, const vm_diff_line *l)
{
    FILE *out = ctx;
    char buf[40] = "";
    field(out, true, vm_dl_section_title(l->section));
    field(out, false, l->change);
    if (l->address)
        snprintf(buf, sizeof buf, "0x%" PRIx64, l->address);
    field(out, false, buf);
    field(out, false, l->type);
    number(out, l->has_old, l->old_size);
    number(out, l->has_new, l->new_size);
    number(out, l->has_old && l->committed_known, l->old_committed);
    number(out, l->has_new && l->committed_known, l->new_committed);
    snprintf(buf, sizeof buf, "%" PRId64, l->delta);
    field(out, false, buf);
    field(out, false, l->path);
    field(out, false, l->details);
    fputs("\r\n", out);
    return true;
}

bool vm_diff_csv(FILE *out, const vm_diff *d, const vm_diff_filter *f)
{
    for (size_t i = 0; i < NTITLES; i++)
        field(out, i == 0, csv_titles[i]);
    fputs("\r\n", out);
    return vm_diff_lines(d, f, NULL, csv_line, out) && vm_diff_objects_csv(out, d, f);
}
