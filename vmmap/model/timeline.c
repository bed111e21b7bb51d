/* Timelines: snapshots reduced to rows as they are read, sorted, and analysed for growth. */
#include "timeline.h"

#include <math.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/xalloc.h"
#include "summary.h"

/* ---- the growth analysis -------------------------------------------------------------------- */

static void count_steps(const double *y, size_t n, vm_growth *g)
{
    for (size_t i = 1; i < n; i++) {
        g->steps_up += y[i] > y[i - 1];
        g->steps_down += y[i] < y[i - 1];
    }
}

/* Least squares of y over x = minutes since t[0]; values are centred on their means first. */
static void fit_line(const double *t, const double *y, size_t n, vm_growth *g)
{
    double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        mx += (t[i] - t[0]) / 60.0;
        my += y[i] - y[0];
    }
    mx /= (double)n;
    my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double dx = (t[i] - t[0]) / 60.0 - mx, dy = y[i] - y[0] - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if (sxx <= 0)
        return;
    g->slope = sxy / sxx;
    g->r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
}

void vm_growth_compute(const double *t, const double *y, size_t n, vm_growth *g)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    if (n == 0)
        return;
    g->first = y[0];
    g->last = y[n - 1];
    g->steps = n - 1;
    g->span_min = (t[n - 1] - t[0]) / 60.0;
    count_steps(y, n, g);
    if (n >= 2 && g->span_min > 0)
        fit_line(t, y, n, g);
    g->flagged = n >= VM_GROWTH_MIN_SAMPLES && g->span_min > 0 && g->steps_down == 0 &&
                 g->last > g->first && g->r2 >= VM_GROWTH_MIN_R2;
}

/* ---- RFC 3339 ------------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* The zone suffix: "Z", "+hh:mm" or "-hh:mm"; its offset east of UTC in seconds. */
static bool parse_zone(const char *z, double *offset)
{
    int hh, mm, used = 0;
    if ((z[0] == 'Z' || z[0] == 'z') && z[1] == '\0') {
        *offset = 0;
        return true;
    }
    if ((z[0] != '+' && z[0] != '-') || sscanf(z + 1, "%2d:%2d%n", &hh, &mm, &used) != 2 || z[1 + used] ||
        used != 5 || hh > 23 || mm > 59)
        return false;
    *offset = (z[0] == '-' ? -1 : 1) * (hh * 3600.0 + mm * 60.0);
    return true;
}

/* The number in the n digits at s, or -1 when they are not all digits. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int y, int m)
{
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : DAYS[m - 1];
}

/* "YYYY-MM-DDTHH:MM:SS", every field its digits and a date that exists (no 2026-02-30). */
bool vm_parse_rfc3339(const char *s, double *out)
{
    if (!s || strnlen(s, 19) < 19 || s[4] != '-' || s[7] != '-' || !strchr("Tt ", s[10]) || s[13] != ':' ||
        s[16] != ':')
        return false;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
        mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60)
        return false;
    const char *p = s + 19;
    double frac = 0, scale = 0.1, offset;
    if (*p == '.') {
        if (!(p[1] >= '0' && p[1] <= '9'))
            return false;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    if (!parse_zone(p, &offset))
        return false;
    *out = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec +
           frac - offset;
    return true;
}

/* ---- building ------------------------------------------------------------------------------- */

vm_timeline *vm_timeline_new(void)
{
    vm_timeline *tl = calloc(1, sizeof *tl);
    if (tl)
        tl->pid = -1;
    return tl;
}

void vm_timeline_free(vm_timeline *tl)
{
    if (!tl)
        return;
    for (size_t i = 0; i < tl->nrows; i++) {
        free(tl->rows[i].taken_at);
        free(tl->rows[i].source);
        free(tl->rows[i].heaps);
    }
    for (size_t i = 0; i < tl->nheaps; i++) {
        free(tl->heaps[i].kind);
        free(tl->heaps[i].committed);
        free(tl->heaps[i].present);
        free(tl->heaps[i].busy);
        free(tl->heaps[i].walked);
    }
    free(tl->rows);
    free(tl->heaps);
    free(tl->process_name);
    free(tl);
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The index of the heap (kind, address), added when new; SIZE_MAX when out of memory. */
static size_t heap_index(vm_timeline *tl, const vm_heap *h)
{
    for (size_t i = 0; i < tl->nheaps; i++)
        if (tl->heaps[i].address == h->address && tl->heaps[i].address_unknown == h->address_unknown &&
            same_str(tl->heaps[i].kind, h->kind))
            return i;
    vm_tl_heap *n = vm_array_push((void **)&tl->heaps, &tl->nheaps, sizeof *n);
    if (!n)
        return SIZE_MAX;
    n->address = h->address;
    n->address_unknown = h->address_unknown;
    n->kind = vm_strdup(h->kind);
    if (h->kind && !n->kind) {
        tl->nheaps--; /* vm_array_push keeps the capacity; the slot is reused */
        return SIZE_MAX;
    }
    return tl->nheaps - 1;
}

static bool reduce_heaps(vm_timeline *tl, vm_tl_row *r, const vm_snapshot *s)
{
    if (s->nheaps == 0)
        return true;
    r->heaps = calloc(s->nheaps, sizeof *r->heaps);
    if (!r->heaps)
        return false;
    for (size_t i = 0; i < s->nheaps; i++) {
        size_t h = heap_index(tl, &s->heaps[i]);
        if (h == SIZE_MAX)
            return false;
        r->heaps[i].heap = h;
        for (size_t p = 0; p < s->heaps[i].nparts; p++)
            r->heaps[i].committed += s->heaps[i].parts[p].committed;
        r->heaps[i].walked = s->heaps[i].stats_known;
        r->heaps[i].busy = s->heaps[i].stats_known ? s->heaps[i].stats.busy_bytes : 0;
    }
    r->nheaps = s->nheaps;
    return true;
}

static void reduce_kinds(vm_tl_row *r, const vm_snapshot *s)
{
    vm_summary sum;
    vm_summary_compute(s, &sum);
    const uint32_t bit = 1u << VM_C_COMMITTED;
    for (int k = 0; k < VM_KIND_COUNT; k++) {
        r->committed[k] = sum.kind[k].counters.v[VM_C_COMMITTED];
        if (sum.kind[k].counters.known & bit)
            r->known |= 1u << k;
    }
    r->total = sum.total.counters.v[VM_C_COMMITTED];
    r->total_known = (sum.total.counters.known & bit) != 0;
    r->threads = s->nthreads;
}

static void note_process(vm_timeline *tl, const vm_snapshot *s)
{
    if (tl->nrows == 1) {
        tl->pid = s->process.pid;
        tl->process_name = vm_strdup(s->process.name);
    } else if (s->process.pid != tl->pid) {
        tl->mixed_pids = true;
    }
}

int vm_timeline_add(vm_timeline *tl, const vm_snapshot *s, const char *source, size_t line, vm_error *err)
{
    double when;
    const char *name = source ? source : "snapshot";
    if (!vm_parse_rfc3339(s->taken_at, &when)) {
        vm_error_set(err, VM_EXIT_BAD_INPUT, "%s%s%.0zu: taken_at: %s", name, line ? ":" : "", line,
                     s->taken_at ? "not an RFC 3339 time" : "missing; a timeline needs the time of each snapshot");
        return err->code;
    }
    vm_tl_row *r = vm_array_push((void **)&tl->rows, &tl->nrows, sizeof *r);
    if (!r) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return err->code;
    }
    r->time = when;
    r->order = tl->nrows - 1;
    r->line = line;
    r->pid = s->process.pid;
    r->taken_at = vm_strdup(s->taken_at);
    r->source = vm_strdup(source);
    reduce_kinds(r, s);
    note_process(tl, s);
    if (!r->taken_at || (source && !r->source) || !reduce_heaps(tl, r, s)) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return err->code;
    }
    tl->finished = false;
    return VM_EXIT_OK;
}

/* ---- finishing ------------------------------------------------------------------------------ */

static int compare_rows(const void *a, const void *b)
{
    const vm_tl_row *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

bool vm_timeline_value(const vm_tl_row *r, int k, double *out)
{
    if (k == VM_TL_THREADS) {
        *out = (double)r->threads;
        return true;
    }
    bool known = k == VM_TL_TOTAL ? r->total_known : (r->known >> k) & 1u;
    *out = (double)(k == VM_TL_TOTAL ? r->total : r->committed[k]);
    return known;
}

const char *vm_timeline_series_name(int k)
{
    return k == VM_TL_TOTAL ? "Total" : k == VM_TL_THREADS ? "Threads" : vm_kind_name((vm_kind)k);
}

/* The heap's per-row series from the rows' sparse lists. */
static bool fill_heap(vm_timeline *tl, size_t h)
{
    vm_tl_heap *hp = &tl->heaps[h];
    free(hp->committed);
    free(hp->present);
    free(hp->busy);
    free(hp->walked);
    size_t n = tl->nrows ? tl->nrows : 1;
    hp->committed = calloc(n, sizeof *hp->committed);
    hp->present = calloc(n, sizeof *hp->present);
    hp->busy = calloc(n, sizeof *hp->busy);
    hp->walked = calloc(n, sizeof *hp->walked);
    hp->nwalked = 0;
    if (!hp->committed || !hp->present || !hp->busy || !hp->walked)
        return false;
    for (size_t i = 0; i < tl->nrows; i++)
        for (size_t j = 0; j < tl->rows[i].nheaps; j++)
            if (tl->rows[i].heaps[j].heap == h) {
                const vm_tl_heapval *v = &tl->rows[i].heaps[j];
                hp->committed[i] += v->committed;
                hp->present[i] = true;
                if (v->walked) {
                    hp->busy[i] += v->busy;
                    hp->nwalked += !hp->walked[i];
                    hp->walked[i] = true;
                }
            }
    return true;
}

static void analyse_series(vm_timeline *tl, double *t, double *y)
{
    for (int k = 0; k < VM_TL_SERIES; k++) {
        size_t n = 0;
        for (size_t i = 0; i < tl->nrows; i++)
            if (vm_timeline_value(&tl->rows[i], k, &y[n]))
                t[n++] = tl->rows[i].time;
        vm_growth_compute(t, y, n, &tl->growth[k]);
    }
    for (size_t h = 0; h < tl->nheaps; h++) {
        vm_tl_heap *hp = &tl->heaps[h];
        size_t n = 0;
        if (!fill_heap(tl, h))
            continue; /* out of memory: no series, no flag */
        for (size_t i = 0; i < tl->nrows; i++)
            if (hp->present[i]) {
                t[n] = tl->rows[i].time;
                y[n++] = (double)hp->committed[i];
            }
        vm_growth_compute(t, y, n, &hp->growth);
        n = 0;
        for (size_t i = 0; i < tl->nrows; i++)
            if (hp->walked[i]) {
                t[n] = tl->rows[i].time;
                y[n++] = (double)hp->busy[i];
            }
        vm_growth_compute(t, y, n, &hp->busy_growth);
    }
}

void vm_timeline_heap_name(const vm_tl_heap *h, char *buf, size_t len)
{
    const char *kind = h->kind ? h->kind : "heap";
    if (vm_heap_kind_has_no_address(h->kind))
        snprintf(buf, len, "%s", kind); /* there is one such heap, and it has no address */
    else if (h->address_unknown)
        snprintf(buf, len, "%s (address unknown)", kind);
    else
        snprintf(buf, len, "%s 0x%" PRIx64, kind, h->address);
}

void vm_timeline_finish(vm_timeline *tl)
{
    if (tl->nrows > 1)
        qsort(tl->rows, tl->nrows, sizeof *tl->rows, compare_rows);
    double *t = malloc((tl->nrows ? tl->nrows : 1) * sizeof *t);
    double *y = malloc((tl->nrows ? tl->nrows : 1) * sizeof *y);
    if (t && y)
        analyse_series(tl, t, y);
    free(t);
    free(y);
    tl->finished = true;
}
