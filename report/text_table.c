/* Terminal tables (text.h): column widths from the contents, right-aligned numbers, a kind's
 * colour, a rule under the titles; fitting them to a terminal is text_fit.c. */
#include <stdlib.h>
#include <string.h>

#include "text_table_impl.h"

#include "../vmmap/util/units.h"

/* ---- tables --------------------------------------------------------------------------------- */

size_t vm_tt_text_width(const char *s)
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
        size_t w = vm_tt_text_width(dst);
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

const char *vm_tt_abbreviated(const char *cell, char *buf, size_t len)
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
    if (vm_tt_text_width(s) <= w) {
        fputs(s, out);
        return;
    }
    size_t keep = w > vm_tt_text_width(ellipsis) ? w - vm_tt_text_width(ellipsis) : 0;
    fwrite(s, 1, prefix_bytes(s, keep), out);
    fputs(ellipsis, out);
}

/* One row; padding stops after the last non-empty cell so lines carry no trailing blanks. */
static void print_row(const vm_ttable *t, const vm_tt_layout *lay, FILE *out, const char *const *cells,
                      const char *color)
{
    size_t last = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (lay->shown[c] && *cells[c])
            last = c;
    bool first = true;
    char shorter[VM_UNITS_BUFSZ];
    pad(out, t->indent);
    for (size_t c = 0; c <= last; c++) {
        if (!lay->shown[c])
            continue;
        const char *text = lay->abbrev[c] ? vm_tt_abbreviated(cells[c], shorter, sizeof shorter) : cells[c];
        size_t w = vm_tt_text_width(text);
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

/* Dashes under each shown column; the line ends with the last column that has a width (an
 * untitled column nothing was written in has none). */
static void print_rule(const vm_ttable *t, const vm_tt_layout *lay, FILE *out)
{
    bool first = true;
    size_t end = 0;
    for (size_t c = 0; c < t->ncols; c++)
        if (lay->shown[c] && lay->width[c])
            end = c + 1;
    pad(out, t->indent);
    for (size_t c = 0; c < end; c++) {
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

void vm_tt_print_laid_out(const vm_ttable *t, const vm_tt_layout *lay, FILE *out, bool color)
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

void vm_tt_full_layout(const vm_ttable *t, vm_tt_layout *lay)
{
    memset(lay, 0, sizeof *lay);
    for (size_t c = 0; c < t->ncols; c++) {
        lay->shown[c] = true;
        lay->width[c] = t->width[c];
    }
    lay->clip = -1;
}

void vm_ttable_set_indent(vm_ttable *t, size_t n)
{
    if (t)
        t->indent = n < 16 ? n : 16;
}

void vm_ttable_print(const vm_ttable *t, FILE *out, bool color)
{
    vm_tt_layout lay;
    vm_tt_full_layout(t, &lay);
    vm_tt_print_laid_out(t, &lay, out, color);
}


void vm_ttable_free(vm_ttable *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->kinds);
    free(t);
}
