/* Fitting a terminal table to the window (text.h): the least wanted columns dropped, the sizes
 * abbreviated as a last resort, the clip column (Details) cut with an ellipsis, and the note
 * that says what was left out. */
#include <stdlib.h>
#include <string.h>

#include "text_table_impl.h"

#include "../vmmap/util/units.h"

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
static size_t shown_width(const vm_ttable *t, const vm_tt_layout *lay, int skip)
{
    size_t w = 0, n = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (lay->shown[c]) {
            w += (int)c == skip ? 0 : lay->width[c];
            n++;
        }
    return t->indent + w + (n ? 2 * (n - 1) : 0);
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


/* Abbreviates the size columns, shown or not, and sets their widths from the shorter cells; true
 * when some cell was a size to abbreviate (columns of counts have none). */
static bool abbreviate_sizes(const vm_ttable *t, vm_tt_layout *lay)
{
    bool any = false;
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
                const char *shorter = vm_tt_abbreviated(p, buf, sizeof buf);
                any |= shorter != p;
                size_t w = vm_tt_text_width(shorter);
                if (w > lay->width[c])
                    lay->width[c] = w;
            }
    return any;
}

/* Hides columns in drop order until the rest fits with room for the clip column. */
static void drop_columns(const vm_ttable *t, vm_tt_layout *lay, const vm_ttable_fit *fit, int clip, size_t room)
{
    for (size_t i = 0; fit->drop && fit->drop[i] && shown_width(t, lay, clip) + room > fit->width; i++) {
        int c = column_titled(t, fit->drop[i]);
        if (c >= 0)
            lay->shown[c] = false;
    }
}

/* After abbreviating, shows again the most wanted of the hidden columns that now fit. */
static void show_again(const vm_ttable *t, vm_tt_layout *lay, const vm_ttable_fit *fit, int clip, size_t room)
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
    vm_tt_layout lay;
    vm_tt_full_layout(t, &lay);
    if (len)
        dropped[0] = '\0';
    if (!fit || fit->width == 0 || shown_width(t, &lay, -1) <= fit->width) {
        vm_tt_print_laid_out(t, &lay, out, color);
        return;
    }
    int clip = column_titled(t, fit->clip);
    size_t room = clip >= 0 ? (t->width[clip] < CLIP_ROOM ? t->width[clip] : CLIP_ROOM) : 0;
    drop_columns(t, &lay, fit, clip, room);
    /* Still too wide for what is kept: the sizes in short units (Free's alone takes 17
     * characters), and then what fits again of what was hidden. */
    bool abbreviated_sizes = shown_width(t, &lay, clip) + room > fit->width;
    if (abbreviated_sizes) {
        abbreviated_sizes = abbreviate_sizes(t, &lay);
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
    vm_tt_print_laid_out(t, &lay, out, color);
}

/* The byte length of the first w code points of s (all of it when shorter). */
static size_t prefix_bytes(const char *s, size_t n, size_t w)
{
    size_t i = 0;
    for (size_t k = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && k++ == w)
            break;
    return i;
}

static size_t span_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xc0) != 0x80;
    return w;
}

static void indent_by(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

/* One paragraph (no newline in it): words moved to the next line when they would pass width, a
 * word wider than a whole line cut where the line ends. */
static void wrap_paragraph(FILE *out, const char *p, size_t n, size_t width, size_t indent)
{
    size_t col = 0, lead = strspn(p, " ");
    if (lead > n)
        lead = n;
    fwrite(p, 1, lead, out); /* the paragraph's own indentation stays */
    col = lead;
    size_t start = col;     /* where words start on this line */
    const char *end = p + n;
    p += lead;
    while (p < end) {
        size_t word = strcspn(p, " ");
        if (word > (size_t)(end - p))
            word = (size_t)(end - p);
        size_t w = span_width(p, word);
        if (col > start && col + 1 + w > width) {
            fputc('\n', out);
            indent_by(out, indent);
            col = start = indent;
        } else if (col > start) {
            fputc(' ', out);
            col++;
        }
        while (col + w > width && width > col) { /* longer than a line: cut it */
            size_t fit = prefix_bytes(p, word, width - col);
            fwrite(p, 1, fit, out);
            p += fit;
            word -= fit;
            w = span_width(p, word);
            fputc('\n', out);
            indent_by(out, indent);
            col = start = indent;
        }
        fwrite(p, 1, word, out);
        col += w;
        p += word;
        while (p < end && *p == ' ')
            p++;
    }
    fputc('\n', out);
}

void vm_text_wrap(FILE *out, const char *text, size_t width, size_t indent)
{
    if (!text)
        return;
    if (indent + 8 > width) /* no room to wrap into */
        indent = 0;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        if (width == 0 || span_width(p, n) <= width) {
            fwrite(p, 1, n, out);
            fputc('\n', out);
        } else {
            wrap_paragraph(out, p, n, width, indent);
        }
        p += n + (p[n] == '\n');
    }
}

void vm_text_reflow(FILE *out, const char *text, size_t width)
{
    if (!text)
        return;
    bool fits = true;
    for (const char *p = text; *p && fits;) {
        size_t n = strcspn(p, "\n");
        fits = width == 0 || span_width(p, n) <= width;
        p += n + (p[n] == '\n');
    }
    if (fits) {
        fputs(text, out);
        return;
    }
    /* Paragraph by paragraph (a blank line ends one): its lines joined, then wrapped. */
    for (const char *p = text; *p;) {
        const char *end = strstr(p, "\n\n");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && p[n - 1] == '\n')
            n--;
        char *para = malloc(n + 1);
        if (para) {
            for (size_t i = 0; i < n; i++)
                para[i] = p[i] == '\n' ? ' ' : p[i];
            para[n] = '\0';
            vm_text_wrap(out, para, width, 0);
            free(para);
        } else {
            fwrite(p, 1, n, out);
            fputc('\n', out);
        }
        p += n;
        if (*p == '\n') /* the paragraph's own end, printed with it */
            p++;
        for (; *p == '\n'; p++) /* blank lines */
            fputc('\n', out);
    }
}

void vm_text_clipped(FILE *out, const char *text, size_t width)
{
    size_t n = strlen(text);
    if (width == 0 || span_width(text, n) <= width) {
        fputs(text, out);
        return;
    }
    const char *ellipsis = ellipsis_for_locale();
    size_t ew = span_width(ellipsis, strlen(ellipsis));
    fwrite(text, 1, prefix_bytes(text, n, width > ew ? width - ew : 0), out);
    if (width >= ew)
        fputs(ellipsis, out);
}

/* The note, broken into lines of at most width columns (at spaces). */
void vm_text_fit_note(FILE *out, const char *dropped, size_t width)
{
    if (!dropped || !*dropped)
        return;
    char note[512];
    snprintf(note, sizeof note, "(to fit %zu columns: %s; --wide shows everything)", width, dropped);
    vm_text_wrap(out, note, width, 0);
}

void vm_ttable_print_noted(const vm_ttable *t, FILE *out, bool color, const vm_ttable_fit *fit)
{
    char dropped[256];
    vm_ttable_print_fit(t, out, color, fit, dropped, sizeof dropped);
    vm_text_fit_note(out, dropped, fit ? fit->width : 0);
}
