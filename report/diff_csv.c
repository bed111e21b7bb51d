/* The change list as CSV (RFC 4180: every field quoted, quotes doubled, CRLF): one row per change,
 * sections one after another, unknown values empty.  The report CSV's convention (csv.c,
 * docs/reports.md): sizes in K (1 K = 1,024 bytes, rounded up as VMMap counts; a change is the
 * magnitude so rounded, with its sign) without separators, addresses as VMMap's hex. */
#include <inttypes.h>
#include <stdio.h>

#include "../vmmap/util/units.h"
#include "diff_lines.h"
#include "diff_objects.h"
#include "tabular.h"

static const char *const csv_titles[] = {
    "Section", "Change", "Address", "Type", "Old Size", "New Size",
    "Old Committed", "New Committed", "Committed Change", "Path", "Details",
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

/* A size in K, or an empty field when the side is absent or the value unknown. */
static void number(FILE *out, bool present, uint64_t bytes)
{
    char buf[32] = "";
    if (present)
        snprintf(buf, sizeof buf, "%" PRIu64, vm_tab_kb(bytes));
    field(out, false, buf);
}

typedef struct csv_ctx {
    FILE *out;
    int bits;
} csv_ctx;

static bool csv_line(void *vctx, const vm_diff_line *l)
{
    const csv_ctx *c = vctx;
    FILE *out = c->out;
    char buf[40] = "";
    field(out, true, vm_dl_section_title(l->section));
    field(out, false, l->change);
    if (l->address)
        vm_format_address(l->address, c->bits, buf, sizeof buf);
    field(out, false, buf);
    field(out, false, l->type);
    number(out, l->has_old, l->old_size);
    number(out, l->has_new, l->new_size);
    number(out, l->has_old && l->committed_known, l->old_committed);
    number(out, l->has_new && l->committed_known, l->new_committed);
    uint64_t kb = vm_tab_kb(vm_diff_magnitude(l->delta));
    snprintf(buf, sizeof buf, "%s%" PRIu64, l->delta < 0 && kb ? "-" : "", kb);
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
    csv_ctx c = {out, d->after.bits};
    return vm_diff_lines(d, f, NULL, csv_line, &c) && vm_diff_objects_csv(out, d, f);
}
