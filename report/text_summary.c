/* The summary view (VMMap's upper pane), and the table machinery both text views share. */
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "../vmmap/model/summary.h"
#include "../vmmap/util/units.h"

/* ---- rows ----------------------------------------------------------------------------------- */

void vm_trow_reset(vm_trow *r)
{
    r->n = 0;
}

void vm_trow_text(vm_trow *r, const char *s)
{
    if (r->n < VM_TEXT_MAXCOLS)
        r->cell[r->n++] = s ? s : "";
}

char *vm_trow_scratch(vm_trow *r)
{
    /* Past the last column the text goes to the spare buffer and is dropped by vm_trow_text. */
    return r->scratch[r->n < VM_TEXT_MAXCOLS ? r->n : VM_TEXT_MAXCOLS];
}

static bool human_units;

void vm_text_set_human(bool on)
{
    human_units = on;
}

void vm_trow_kb(vm_trow *r, uint64_t bytes)
{
    char *buf = vm_trow_scratch(r);
    if (human_units)
        vm_format_kb_short(bytes, buf, VM_TEXT_CELL);
    else
        vm_format_kb(bytes, buf, VM_TEXT_CELL);
    vm_trow_text(r, buf);
}

void vm_trow_count(vm_trow *r, uint64_t n)
{
    char *buf = vm_trow_scratch(r);
    vm_format_count(n, buf, VM_TEXT_CELL);
    vm_trow_text(r, buf);
}

void vm_trow_blanks(vm_trow *r, size_t n)
{
    while (n--)
        vm_trow_text(r, "");
}

size_t vm_text_counter_columns(bool linux_cols)
{
    return linux_cols ? VM_C_COUNT : VM_C_PSS;
}

void vm_trow_counters(vm_trow *r, const vm_counters *c, bool linux_cols)
{
    for (size_t i = 0; i < vm_text_counter_columns(linux_cols); i++) {
        if (c->known & (1u << i))
            vm_trow_kb(r, c->v[i]);
        else
            vm_trow_text(r, "?");
    }
}

void vm_trow_counter_titles(vm_trow *r, bool linux_cols)
{
    for (size_t i = 0; i < vm_text_counter_columns(linux_cols); i++)
        vm_trow_text(r, vm_counter_title((vm_counter)i));
}

bool vm_text_linux_columns(const vm_snapshot *s, bool force)
{
    const uint32_t linux_bits = (1u << VM_C_PSS) | (1u << VM_C_SWAP);
    if (force)
        return true;
    for (size_t i = 0; i < s->nregions; i++)
        for (size_t j = 0; j < s->regions[i].nblocks; j++)
            if (s->regions[i].blocks[j].state != VM_STATE_FREE && (s->regions[i].blocks[j].counters.known & linux_bits))
                return true; /* gaps (Free, Unusable) are known zeros on every platform: not evidence */
    return false;
}

/* Close to VMMap's palette: purple images, blue files, teal shareable, orange-red heaps, ... */
static const char *const kind_colors[VM_KIND_COUNT] = {
    "35", "34", "36", "31", "32", "33", "93", "95", "90", "2",
};

const char *vm_text_kind_color(vm_kind k)
{
    return (unsigned)k < VM_KIND_COUNT ? kind_colors[k] : "";
}

/* ---- tables --------------------------------------------------------------------------------- */

/* Rows are stored back to back in one buffer, each as ncols NUL-terminated cells. */
struct vm_ttable {
    size_t ncols;
    size_t width[VM_TEXT_MAXCOLS];
    uint32_t right;
    int color_col;
    char *text;
    size_t len, cap;
    signed char *kinds;
    size_t nrows, rcap;
};

/* Display width of UTF-8 text: code points, not bytes. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 4096;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / elem)
        return false;
    void *q = realloc(*p, ncap * elem);
    if (!q)
        return false;
    *p = q;
    *cap = ncap;
    return true;
}

vm_ttable *vm_ttable_new(const vm_trow *titles, uint32_t right_aligned, int color_col)
{
    vm_ttable *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = titles->n;
    t->right = right_aligned;
    t->color_col = color_col;
    if (!vm_ttable_add(t, titles, -1)) {
        vm_ttable_free(t);
        return NULL;
    }
    return t;
}

bool vm_ttable_add(vm_ttable *t, const vm_trow *row, int kind)
{
    size_t need = 0, lens[VM_TEXT_MAXCOLS];
    for (size_t c = 0; c < t->ncols; c++) {
        lens[c] = c < row->n ? strlen(row->cell[c]) : 0;
        need += lens[c] + 1;
    }
    if (!grow((void **)&t->text, &t->cap, t->len + need, 1) ||
        !grow((void **)&t->kinds, &t->rcap, t->nrows + 1, 1))
        return false;
    for (size_t c = 0; c < t->ncols; c++) {
        char *dst = t->text + t->len;
        if (lens[c])
            memcpy(dst, row->cell[c], lens[c]);
        dst[lens[c]] = '\0';
        t->len += lens[c] + 1;
        size_t w = text_width(dst);
        if (w > t->width[c])
            t->width[c] = w;
    }
    t->kinds[t->nrows++] = (signed char)kind;
    return true;
}

static void pad(FILE *out, size_t n)
{
    static const char spaces[] = "                                ";
    while (n) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        fwrite(spaces, 1, k, out);
        n -= k;
    }
}

static void print_cell(FILE *out, const char *s, const char *color)
{
    if (color && *color && *s)
        fprintf(out, "\x1b[%sm%s\x1b[0m", color, s);
    else
        fputs(s, out);
}

/* The columns as printed: which are shown, how wide, and which one is cut to fit. */
typedef struct layout {
    bool shown[VM_TEXT_MAXCOLS];
    bool abbrev[VM_TEXT_MAXCOLS]; /* size cells "92,437,684,512 K" shown as "86 T" */
    size_t width[VM_TEXT_MAXCOLS];
    int clip;        /* column cut to width[clip] with an ellipsis, -1 none */
    const char *ellipsis;
} layout;

/* A size cell ("1,234 K") in --human's units ("1.2 M"), in buf; other cells as they are. */
static const char *abbreviated(const char *cell, char *buf, size_t len)
{
    size_t n = strlen(cell);
    if (n < 3 || strcmp(cell + n - 2, " K") != 0)
        return cell;
    uint64_t kb = 0;
    for (size_t i = 0; i + 2 < n; i++) {
        if (cell[i] == ',')
            continue;
        if (cell[i] < '0' || cell[i] > '9' || kb > UINT64_MAX / 10 / 1024)
            return cell;
        kb = kb * 10 + (uint64_t)(cell[i] - '0');
    }
    vm_format_kb_short(kb * 1024, buf, len);
    return buf;
}

/* The byte length of the first w code points of s. */
static size_t prefix_bytes(const char *s, size_t w)
{
    size_t i = 0;
    for (size_t n = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == w)
            break;
    }
    return i;
}

static void print_clipped(FILE *out, const char *s, size_t w, const char *ellipsis)
{
    if (text_width(s) <= w) {
        fputs(s, out);
        return;
    }
    size_t keep = w > text_width(ellipsis) ? w - text_width(ellipsis) : 0;
    fwrite(s, 1, prefix_bytes(s, keep), out);
    fputs(ellipsis, out);
}

/* One row; padding stops after the last non-empty cell so lines carry no trailing blanks. */
static void print_row(const vm_ttable *t, const layout *lay, FILE *out, const char *const *cells, const char *color)
{
    size_t last = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (lay->shown[c] && *cells[c])
            last = c;
    bool first = true;
    char shorter[VM_UNITS_BUFSZ];
    for (size_t c = 0; c <= last; c++) {
        if (!lay->shown[c])
            continue;
        const char *text = lay->abbrev[c] ? abbreviated(cells[c], shorter, sizeof shorter) : cells[c];
        size_t w = text_width(text);
        size_t gap = lay->width[c] > w ? lay->width[c] - w : 0;
        bool right = (t->right >> c) & 1u;
        if (!first)
            fputs("  ", out);
        first = false;
        if (right)
            pad(out, gap);
        if ((int)c == lay->clip)
            print_clipped(out, text, lay->width[c], lay->ellipsis);
        else
            print_cell(out, text, (int)c == t->color_col ? color : NULL);
        if (!right && c < last)
            pad(out, gap);
    }
    fputc('\n', out);
}

static void print_rule(const vm_ttable *t, const layout *lay, FILE *out)
{
    bool first = true;
    for (size_t c = 0; c < t->ncols; c++) {
        if (!lay->shown[c])
            continue;
        if (!first)
            fputs("  ", out);
        first = false;
        for (size_t i = 0; i < lay->width[c]; i++)
            fputc('-', out);
    }
    fputc('\n', out);
}

static void print_laid_out(const vm_ttable *t, const layout *lay, FILE *out, bool color)
{
    const char *p = t->text;
    const char *cells[VM_TEXT_MAXCOLS];
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            cells[c] = p;
            p += strlen(p) + 1;
        }
        int kind = t->kinds[r];
        print_row(t, lay, out, cells, color && kind >= 0 ? vm_text_kind_color((vm_kind)kind) : NULL);
        if (r == 0)
            print_rule(t, lay, out);
    }
}

static void full_layout(const vm_ttable *t, layout *lay)
{
    memset(lay, 0, sizeof *lay);
    for (size_t c = 0; c < t->ncols; c++) {
        lay->shown[c] = true;
        lay->width[c] = t->width[c];
    }
    lay->clip = -1;
}

void vm_ttable_print(const vm_ttable *t, FILE *out, bool color)
{
    layout lay;
    full_layout(t, &lay);
    print_laid_out(t, &lay, out, color);
}

/* ---- fitting a terminal ---------------------------------------------------------------------- */

/* The clip column keeps at least this much before other columns are dropped for it. */
#define CLIP_ROOM 40
#define CLIP_MIN 4 /* three characters and the ellipsis */

static int column_titled(const vm_ttable *t, const char *title)
{
    const char *p = t->text; /* row 0: the titles */
    for (size_t c = 0; c < t->ncols; c++, p += strlen(p) + 1)
        if (title && strcmp(p, title) == 0)
            return (int)c;
    return -1;
}

/* Width of the shown columns other than skip, with the gaps between all shown ones. */
static size_t shown_width(const vm_ttable *t, const layout *lay, int skip)
{
    size_t w = 0, n = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (lay->shown[c]) {
            w += (int)c == skip ? 0 : lay->width[c];
            n++;
        }
    return w + (n ? 2 * (n - 1) : 0);
}

/* "…" where the terminal speaks UTF-8 (the locale says so), "..." elsewhere. */
static const char *ellipsis_for_locale(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strstr(v, "UTF-8") || strstr(v, "utf-8") || strstr(v, "UTF8") || strstr(v, "utf8") ? "\u2026"
                                                                                                  : "...";
    }
    return "...";
}

static void append_title(char *dropped, size_t len, const char *title)
{
    size_t used = strlen(dropped);
    snprintf(dropped + used, len - used, "%s%s", used ? ", " : "hidden ", title);
}


/* Abbreviates the size columns, shown or not, and sets their widths from the shorter cells. */
static void abbreviate_sizes(const vm_ttable *t, layout *lay)
{
    char buf[VM_UNITS_BUFSZ];
    for (size_t c = 0; c < t->ncols; c++)
        if ((t->right >> c) & 1u) {
            lay->abbrev[c] = true;
            lay->width[c] = 0;
        }
    const char *p = t->text;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++, p += strlen(p) + 1)
            if (lay->abbrev[c]) {
                size_t w = text_width(abbreviated(p, buf, sizeof buf));
                if (w > lay->width[c])
                    lay->width[c] = w;
            }
}

/* Hides columns in drop order until the rest fits with room for the clip column. */
static void drop_columns(const vm_ttable *t, layout *lay, const vm_ttable_fit *fit, int clip, size_t room)
{
    for (size_t i = 0; fit->drop && fit->drop[i] && shown_width(t, lay, clip) + room > fit->width; i++) {
        int c = column_titled(t, fit->drop[i]);
        if (c >= 0)
            lay->shown[c] = false;
    }
}

/* After abbreviating, shows again the most wanted of the hidden columns that now fit. */
static void show_again(const vm_ttable *t, layout *lay, const vm_ttable_fit *fit, int clip, size_t room)
{
    size_t n = 0;
    while (fit->drop && fit->drop[n])
        n++;
    for (size_t i = n; i-- > 0;) {
        int c = column_titled(t, fit->drop[i]);
        if (c < 0 || lay->shown[c])
            continue;
        lay->shown[c] = true;
        if (shown_width(t, lay, clip) + room > fit->width)
            lay->shown[c] = false;
    }
}

void vm_ttable_print_fit(const vm_ttable *t, FILE *out, bool color, const vm_ttable_fit *fit, char *dropped,
                         size_t len)
{
    layout lay;
    full_layout(t, &lay);
    if (len)
        dropped[0] = '\0';
    if (!fit || fit->width == 0 || shown_width(t, &lay, -1) <= fit->width) {
        print_laid_out(t, &lay, out, color);
        return;
    }
    int clip = column_titled(t, fit->clip);
    size_t room = clip >= 0 ? (t->width[clip] < CLIP_ROOM ? t->width[clip] : CLIP_ROOM) : 0;
    drop_columns(t, &lay, fit, clip, room);
    /* Still too wide for what is kept: the sizes in short units (Free's alone takes 17
     * characters), and then what fits again of what was hidden. */
    bool abbreviated_sizes = shown_width(t, &lay, clip) + room > fit->width;
    if (abbreviated_sizes) {
        abbreviate_sizes(t, &lay);
        show_again(t, &lay, fit, clip, room);
    }
    for (size_t i = 0; fit->drop && fit->drop[i]; i++) {
        int c = column_titled(t, fit->drop[i]);
        if (c >= 0 && !lay.shown[c])
            append_title(dropped, len, fit->drop[i]);
    }
    if (abbreviated_sizes) {
        size_t used = strlen(dropped);
        snprintf(dropped + used, len - used, "%ssizes abbreviated", used ? "; " : "");
    }
    if (clip >= 0) {
        size_t rest = shown_width(t, &lay, clip);
        if (rest + t->width[clip] > fit->width && rest + CLIP_MIN <= fit->width) {
            lay.width[clip] = fit->width - rest;
            lay.clip = clip;
            lay.ellipsis = ellipsis_for_locale();
        }
    }
    print_laid_out(t, &lay, out, color);
}

/* The note, broken into lines of at most width columns (at spaces). */
void vm_text_fit_note(FILE *out, const char *dropped, size_t width)
{
    if (!dropped || !*dropped)
        return;
    char note[512];
    snprintf(note, sizeof note, "(to fit %zu columns: %s; --wide shows everything)", width, dropped);
    size_t col = 0;
    for (const char *p = note; *p;) {
        size_t word = strcspn(p, " ");
        if (col && width && col + 1 + word > width) {
            fputc('\n', out);
            col = 0;
        } else if (col) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, word, out);
        col += word;
        p += word;
        p += strspn(p, " ");
    }
    fputc('\n', out);
}

void vm_ttable_free(vm_ttable *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->kinds);
    free(t);
}

/* ---- the summary view ----------------------------------------------------------------------- */

static const char *or_unknown(const char *s)
{
    return s && *s ? s : "?";
}

static void field(FILE *out, const char *label, const char *value)
{
    fprintf(out, "%-11s%s\n", label, or_unknown(value));
}

static void print_process(FILE *out, const vm_snapshot *s)
{
    fprintf(out, "%-11s%s (PID %lld, %d-bit)\n", "Process:", or_unknown(s->process.name),
            (long long)s->process.pid, s->process.bits);
    field(out, "Image:", s->process.exe);
    field(out, "Taken at:", s->taken_at);
    field(out, "Source:", s->source);
    fprintf(out, "%-11s%s, %s, %s\n", "Host:", or_unknown(s->host), or_unknown(s->os),
            or_unknown(s->arch));
}

static void print_sizes_and_counts(FILE *out, const vm_snapshot *s)
{
    char page[VM_UNITS_BUFSZ], gran[VM_UNITS_BUFSZ];
    vm_format_kb(s->page_size, page, sizeof page);
    vm_format_kb(s->alloc_granularity, gran, sizeof gran);
    if (s->alloc_granularity && s->alloc_granularity != s->page_size)
        fprintf(out, "%-11s%s (allocation granularity %s)\n", "Page size:", page, gran);
    else
        field(out, "Page size:", s->page_size ? page : NULL);
    fprintf(out, "%-11s%zu region%s, %zu thread%s, %zu module%s, %zu heap%s\n", "Contents:", s->nregions,
            vm_plural(s->nregions), s->nthreads, vm_plural(s->nthreads), s->nmodules, vm_plural(s->nmodules),
            s->nheaps, vm_plural(s->nheaps));
    if (s->nwarnings)
        fprintf(out, "%-11s%zu (see: vmmap show --warnings)\n", "Warnings:", s->nwarnings);
    else
        field(out, "Warnings:", "none");
}

/* What a summary row shows besides its name. */
enum {
    ROW_EMPTY = 1,        /* nothing of this kind: blank cells, as VMMap */
    ROW_NO_COUNTERS = 2,  /* Free: no committed or working-set values */
    ROW_SIZE_UNKNOWN = 4, /* Page Table when the source could not tell */
    ROW_NO_BLOCKS = 8,    /* Page Table has no blocks */
};

static void summary_cells(vm_trow *r, const char *name, const vm_summary_row *row,
                          unsigned flags, bool linux_cols)
{
    size_t ncounters = vm_text_counter_columns(linux_cols);
    vm_trow_reset(r);
    vm_trow_text(r, name);
    if (flags & ROW_EMPTY) {
        vm_trow_blanks(r, ncounters + 3);
        return;
    }
    if (flags & ROW_SIZE_UNKNOWN)
        vm_trow_text(r, "?");
    else
        vm_trow_kb(r, row->size);
    if (flags & ROW_NO_COUNTERS)
        vm_trow_blanks(r, ncounters);
    else
        vm_trow_counters(r, &row->counters, linux_cols);
    if (flags & ROW_NO_BLOCKS) {
        vm_trow_blanks(r, 2);
        return;
    }
    vm_trow_count(r, row->blocks);
    vm_trow_kb(r, row->largest);
}

static unsigned kind_flags(const vm_snapshot *s, int k, const vm_summary_row *row)
{
    if (k == VM_KIND_PAGE_TABLE)
        return ROW_NO_BLOCKS | (s->page_table_known ? 0 : ROW_SIZE_UNKNOWN);
    if (row->blocks == 0)
        return ROW_EMPTY;
    return k == VM_KIND_FREE ? ROW_NO_COUNTERS : 0;
}

static vm_ttable *summary_table(const vm_snapshot *s, bool linux_cols)
{
    vm_summary sum;
    vm_trow r;
    vm_summary_compute(s, &sum);

    vm_trow_reset(&r);
    vm_trow_text(&r, "Type");
    vm_trow_text(&r, "Size");
    vm_trow_counter_titles(&r, linux_cols);
    vm_trow_text(&r, "Blocks");
    vm_trow_text(&r, "Largest");
    vm_ttable *t = vm_ttable_new(&r, ~1u, 0);

    for (int k = 0; t && k < VM_KIND_COUNT; k++) {
        summary_cells(&r, vm_kind_name((vm_kind)k), &sum.kind[k], kind_flags(s, k, &sum.kind[k]),
                      linux_cols);
        if (!vm_ttable_add(t, &r, k))
            goto fail;
    }
    if (t) {
        summary_cells(&r, "Total", &sum.total, 0, linux_cols);
        if (!vm_ttable_add(t, &r, -1))
            goto fail;
    }
    return t;
fail:
    vm_ttable_free(t);
    return NULL;
}

/* Committed beside resident: on Linux they differ most (a python with 41 threads: 345 MB
 * committed, 14 MB resident), because reserved-and-accountable memory such as untouched thread
 * stacks counts as committed.  Said where the totals are read first. */
static void print_memory(FILE *out, const vm_snapshot *s)
{
    vm_summary sum;
    vm_summary_compute(s, &sum);
    const vm_counters *c = &sum.total.counters;
    char committed[VM_UNITS_BUFSZ], resident[VM_UNITS_BUFSZ];
    bool has_c = c->known & (1u << VM_C_COMMITTED), has_r = c->known & (1u << VM_C_TOTAL_WS);
    if (human_units) {
        vm_format_kb_short(c->v[VM_C_COMMITTED], committed, sizeof committed);
        vm_format_kb_short(c->v[VM_C_TOTAL_WS], resident, sizeof resident);
    } else {
        vm_format_kb(c->v[VM_C_COMMITTED], committed, sizeof committed);
        vm_format_kb(c->v[VM_C_TOTAL_WS], resident, sizeof resident);
    }
    fprintf(out, "%-11s%s committed, %s resident (Total WS)\n", "Memory:", has_c ? committed : "?",
            has_r ? resident : "?");
    if (s->source && strcmp(s->source, "live-linux") == 0)
        fprintf(out, "%-11s%s\n", "", "(Linux: committed counts untouched reservations, e.g. thread stacks)");
}

static const char *const summary_drop[] = {"Locked WS", "Shared WS", "Shareable WS", "Swap", "Largest", "Blocks",
                                           "Pss", "Private", "Total WS", NULL};

void vm_text_summary(FILE *out, const vm_snapshot *s, const vm_text_options *opt)
{
    static const vm_text_options defaults = {false, false, 0};
    if (!opt)
        opt = &defaults;
    print_process(out, s);
    print_sizes_and_counts(out, s);
    print_memory(out, s);
    fputc('\n', out);

    vm_ttable *t = summary_table(s, vm_text_linux_columns(s, opt->linux_columns));
    if (!t) {
        fputs("(out of memory)\n", out);
        return;
    }
    char dropped[256];
    vm_ttable_fit fit = {opt->width, summary_drop, NULL};
    vm_ttable_print_fit(t, out, opt->color, &fit, dropped, sizeof dropped);
    vm_text_fit_note(out, dropped, opt->width);
    vm_ttable_free(t);
}
