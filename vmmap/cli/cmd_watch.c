/* vmmap watch TARGET --interval 2s [--count N | --duration 10m] -o DIR|FILE.jsonl: a snapshot every
 * interval, on a schedule that does not drift, each written whole; a live progress line; at the
 * end the growth analysis of the timeline (docs/watch.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../report/diff_report.h"
#include "../../report/text.h"
#include "../model/summary.h"
#include "../model/timeline.h"
#include "../capture/capture.h"
#include "../series/series.h"
#include "../sources/source.h"
#include "../util/clock_signal.h"
#include "../util/units.h"
#include "../util/xalloc.h"
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap watch PID|NAME|--self --interval 2s [--count N | --duration 10m]\n"
            "                   -o DIR|FILE.jsonl [OPTIONS]\n"
            "\n"
            "Takes a snapshot of a running process every interval, to find what grows: a leak in\n"
            "a heap, thread stacks piling up, a mapping never unmapped.  Samples are scheduled on\n"
            "a monotonic clock (sample k at start + k x interval; a slow capture skips the slots\n"
            "it overran, it never shifts the schedule).\n"
            "\n"
            "  -o DIR           one snapshot file per sample, NAME-PID-SEQ-UTC.json, each written\n"
            "                   whole (temporary + rename); DIR is created when missing\n"
            "  -o FILE.jsonl    one snapshot per line, appended; each line is written and flushed\n"
            "                   whole, so a crash leaves only complete lines (readers skip a torn\n"
            "                   final line, and watch cuts one off before appending); a FIFO or\n"
            "                   a device (/dev/stdout, a pipe to a reader) gets the lines as they come\n"
            "A watch that cannot take its first sample leaves no file or directory it made.\n"
            "\n"
            "Options:\n"
            "  -i, --interval T   time between samples (500ms, 2s, 1m; default 2s)\n"
            "  -n, --count N      stop after N samples\n"
            "  -d, --duration T   stop after T (the last sample is at or before T)\n"
            "  -o, --output P     where to write (required: DIR or FILE.jsonl)\n"
            "  --heap-blocks      walk every heap block in each sample (as `vmmap heaps`): the\n"
            "                     growth analysis then has each heap's busy bytes too, so a leak\n"
            "                     inside memory already committed is flagged (slower samples)\n"
            "  --wide             whole lines and every column of the analysis, however wide\n"
            "                     the terminal (on one, the progress line and the table fit it)\n"
            "  -h, --help         this help\n"
            "Without --count or --duration it runs until Ctrl-C (or SIGTERM), which stops it\n"
            "cleanly: the snapshot being taken is finished, everything written stays intact.  The\n"
            "process exiting ends it too (\"process N exited after K samples\", exit 0).\n"
            "\n"
            "On a terminal a progress line is redrawn in place (elapsed, samples, committed now\n"
            "and since start, resident (Total WS) now and since start, the type that grew most);\n"
            "otherwise one plain line per sample.  On Linux committed also counts reserved memory\n"
            "not yet touched (thread stacks): resident is what is in RAM.\n"
            "At the end: the growth analysis, per type, Total, Threads and heap (heaps matched by\n"
            "kind and address): change, least-squares slope per minute, R², steps that went up,\n"
            "and GROWING when the series only went up across the window: at least 3 samples,\n"
            "never down, up overall, R² >= 0.9 (docs/watch.md).  `vmmap report DIR -o t.xlsx`\n"
            "draws the timeline.\n"
            "\n"
            "Capture options: --no-heaps, --no-sections, -q/--quiet (no per-sample lines), --self;\n"
            "--image-path is for a core or a dump, not a running process: refused\n"
            "\n"
            "Examples:\n"
            "  vmmap watch 1234 --interval 2s --duration 10m -o leak/\n"
            "  vmmap watch myserver -i 30s -o server.jsonl        until Ctrl-C\n"
            "  vmmap report leak/ -o leak.xlsx                     the timeline workbook\n");
}

typedef struct watch_opts {
    vm_cli_args args;          /* the target and the shared options (-o, --wide) */
    double interval, duration; /* seconds; duration 0: none */
    uint64_t count;            /* 0: no limit */
} watch_opts;

typedef struct watch {
    const watch_opts *o;
    int64_t pid;
    vm_timeline *tl;
    size_t samples;
    double start;
    bool tty;
    size_t width;             /* the terminal's columns; 0: not one, or --wide */
    vm_series_writer *series; /* the directory or .jsonl being written */
    char prefix[256];   /* NAME-PID, file-name safe */
    /* Resident memory (Total WS) of the first and the latest sample, for the progress line: on
     * Linux committed alone misleads (untouched thread stacks count). */
    uint64_t resident_first, resident_now;
    bool resident_known;
} watch;

/* ---- options ---------------------------------------------------------------------------------- */

static bool parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    *out = v;
    return *s >= '0' && *s <= '9' && !*end && !errno && v > 0;
}

static const struct option longopts[] = {VM_CLI_TARGET_LONGOPTS,
                                         {"interval", required_argument, NULL, 'i'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"duration", required_argument, NULL, 'd'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"heap-blocks", no_argument, NULL, 1100},
                                         VM_CLI_WIDE_LONGOPT,
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
static const char shortopts[] = ":hi:n:d:o:q"; /* ':' first: a missing value is told apart */

static int own_option(void *ctx, int opt)
{
    watch_opts *o = ctx;
    switch (opt) {
    case 'i':
        if (!vm_parse_duration(optarg, &o->interval) || o->interval <= 0)
            return vm_cli_usage_error("watch", "--interval %s: expected a duration such as 500ms, 2s, 1m", optarg);
        break;
    case 'd':
        if (!vm_parse_duration(optarg, &o->duration) || o->duration <= 0)
            return vm_cli_usage_error("watch", "--duration %s: expected a duration such as 30s, 10m, 1h", optarg);
        break;
    case 'n':
        if (!parse_count(optarg, &o->count))
            return vm_cli_usage_error("watch", "--count %s: expected a whole number of samples, at least 1", optarg);
        break;
    case 1100:
        o->args.target.capture.heap_blocks = true;
        o->args.target.capture.asked |= VM_ASK_HEAP_BLOCKS;
        break;
    }
    return 0;
}

static int parse_options(int argc, char **argv, watch_opts *o)
{
    int rc = vm_cli_parse(&vm_cmd_watch, argc, argv, &o->args, own_option, o);
    if (rc != 0)
        return rc;
    if (!o->args.output)
        return vm_cli_usage_error("watch", "no output given: -o DIR or -o FILE.jsonl");
    return 0;
}

/* The process to watch: a PID, a unique name, or --self; never a file. */
static int resolve_pid(const watch_opts *o, int64_t *pid, vm_error *err)
{
    const char *a = o->args.target.arg;
    if (o->args.target.self) {
        *pid = vm_platform_self_pid();
        return 0;
    }
    size_t n = strlen(a);
    if (strchr(a, '/') || strchr(a, '\\') || (n > 5 && strcmp(a + n - 5, ".json") == 0)) {
        vm_error_set(err, VM_EXIT_USAGE, "watch: %s is a file; watch needs a running process", a);
        vm_error_hint(err, "vmmap watch PID|NAME|--self -o DIR  (`vmmap report DIR` reads the snapshots)");
        return err->code;
    }
    if (vm_arg_is_pid(a)) {
        *pid = strtoll(a, NULL, 10);
        return 0;
    }
    return vm_platform_find_pid(a, pid, err);
}

/* ---- output ----------------------------------------------------------------------------------- */

/* NAME-PID from the default output name NAME-PID-YYYYMMDD-HHMMSS.json (file-name safe). */
static void set_prefix(watch *w, const vm_snapshot *s)
{
    char name[256];
    vm_cli_default_output(s, "json", name, sizeof name);
    for (int dashes = 0; dashes < 2;) {
        char *d = strrchr(name, '-');
        if (!d)
            break;
        *d = '\0';
        dashes++;
    }
    memcpy(w->prefix, name, sizeof w->prefix);
}

/* Writes the sample into the series; where it went (file, or .jsonl and line) goes into the
 * timeline row. */
static int write_sample(watch *w, const vm_snapshot *s, const char *stamp, vm_error *err)
{
    if (!w->prefix[0])
        set_prefix(w, s);
    char name[sizeof w->prefix + 64];
    snprintf(name, sizeof name, "%s-%04zu-%s.json", w->prefix, w->samples + 1, stamp);
    const char *source;
    size_t line;
    int rc = vm_series_write(w->series, s, name, &source, &line, err);
    return rc ? rc : vm_timeline_add(w->tl, s, source, line, err);
}

/* ---- progress --------------------------------------------------------------------------------- */

/* The type whose committed grew most since the first sample; -1 when none grew. */
static int biggest_growth(const vm_tl_row *first, const vm_tl_row *now, int64_t *by)
{
    int best = -1;
    *by = 0;
    for (int k = 0; k < VM_KIND_COUNT; k++) {
        int64_t d = vm_diff_delta(first->committed[k], now->committed[k]);
        if (k != VM_KIND_FREE && d > *by) {
            best = k;
            *by = d;
        }
    }
    return best;
}

/* The progress line, its parts least needed last: on a terminal it is redrawn in place, so it
 * must fit one line of it (a wrapped line cannot be erased): the parts that do not fit are left
 * out, and what still does not is cut. */
static void progress(const watch *w)
{
    if (w->o->args.target.capture.quiet)
        return;
    const vm_tl_row *first = &w->tl->rows[0], *now = &w->tl->rows[w->tl->nrows - 1];
    char total[VM_UNITS_BUFSZ], change[VM_UNITS_BUFSZ], grew[VM_UNITS_BUFSZ];
    char resident[VM_UNITS_BUFSZ] = "?", rchange[VM_UNITS_BUFSZ];
    int64_t by;
    int k = biggest_growth(first, now, &by);
    vm_format_kb(now->total, total, sizeof total);
    vm_diff_format_kb(vm_diff_delta(first->total, now->total), first->total_known && now->total_known, change,
                      sizeof change);
    vm_diff_format_kb(by, true, grew, sizeof grew);
    if (w->resident_known)
        vm_format_kb(w->resident_now, resident, sizeof resident);
    vm_diff_format_kb(vm_diff_delta(w->resident_first, w->resident_now), w->resident_known, rchange, sizeof rchange);
    double el = vm_clock_now() - w->start;
    char part[4][128];
    snprintf(part[0], sizeof part[0], "[%02d:%02d:%02d] %zu sample%s  committed %s", (int)(el / 3600),
             (int)fmod(el / 60, 60), (int)fmod(el, 60), w->samples, vm_plural(w->samples), total);
    snprintf(part[1], sizeof part[1], " (%s since start)  resident %s (%s)", change, resident, rchange);
    snprintf(part[2], sizeof part[2], "  resident %s", resident);
    snprintf(part[3], sizeof part[3], "  grew most: %s%s%s", k < 0 ? "nothing" : vm_kind_name((vm_kind)k),
             k < 0 ? "" : " ", k < 0 ? "" : grew);
    /* The terminal's last column is left free: writing into it wraps on some terminals. */
    size_t room = w->tty && w->width > 1 ? w->width - 1 : 0;
    char line[512];
    snprintf(line, sizeof line, "%s%s%s", part[0], part[1], part[3]);
    if (room && strlen(line) > room)
        snprintf(line, sizeof line, "%s%s", part[0], part[1]);
    if (room && strlen(line) > room)
        snprintf(line, sizeof line, "%s%s", part[0], part[2]);
    fputs(w->tty ? "\r\033[K" : "", stdout);
    vm_text_clipped(stdout, line, room);
    fputs(w->tty ? "" : "\n", stdout);
    fflush(stdout);
}

/* ---- the growth analysis ---------------------------------------------------------------------- */

/* On a narrow terminal: Series, Change and the flag stay, Series cut to fit. */
static const char *const growth_drop[] = {"Steps up", "R\u00b2", "Per minute", NULL};

static bool growth_row(vm_ttable *t, const char *name, const vm_growth *g, bool bytes)
{
    vm_trow r;
    vm_trow_reset(&r);
    vm_trow_text(&r, name);
    int64_t d = (int64_t)(g->last - g->first), s = (int64_t)llround(g->slope);
    char *change = vm_trow_scratch(&r);
    if (bytes)
        vm_diff_format_kb(d, true, change, VM_TEXT_CELL);
    else
        vm_diff_format_count(d, true, change, VM_TEXT_CELL);
    vm_trow_text(&r, change);
    char *slope = vm_trow_scratch(&r);
    if (bytes)
        vm_diff_format_kb(s, g->span_min > 0, slope, VM_TEXT_CELL);
    else
        snprintf(slope, VM_TEXT_CELL, "%+.1f", g->slope);
    vm_trow_text(&r, slope);
    char *r2 = vm_trow_scratch(&r);
    snprintf(r2, VM_TEXT_CELL, "%.2f", g->r2);
    vm_trow_text(&r, r2);
    char *steps = vm_trow_scratch(&r);
    snprintf(steps, VM_TEXT_CELL, "%zu/%zu", g->steps_up, g->steps);
    vm_trow_text(&r, steps);
    vm_trow_text(&r, g->flagged ? "GROWING" : "");
    return vm_ttable_add(t, &r, -1);
}

static bool worth_a_line(const vm_growth *g)
{
    return g->n > 0 && (g->flagged || g->last != g->first || g->steps_up || g->steps_down);
}

/* The rows: each type, Total and Threads, each heap, each walked heap's busy bytes.  Returns the
 * number flagged; *ok false when out of memory. */
static size_t growth_rows(vm_ttable *t, const vm_timeline *tl, bool *ok)
{
    size_t flagged = 0;
    for (int k = 0; k < VM_TL_SERIES && *ok; k++)
        if (k != VM_KIND_FREE && worth_a_line(&tl->growth[k])) {
            *ok = growth_row(t, vm_timeline_series_name(k), &tl->growth[k], k != VM_TL_THREADS);
            flagged += tl->growth[k].flagged;
        }
    for (int busy = 0; busy < 2; busy++) /* busy bytes come from samples taken with --heap-blocks */
        for (size_t h = 0; h < tl->nheaps && *ok; h++) {
            const vm_tl_heap *hp = &tl->heaps[h];
            const vm_growth *g = busy ? &hp->busy_growth : &hp->growth;
            if ((busy && hp->nwalked == 0) || !worth_a_line(g))
                continue;
            char name[96], heap[80];
            vm_timeline_heap_name(hp, heap, sizeof heap);
            snprintf(name, sizeof name, "heap %s%s", heap, busy ? " busy" : "");
            *ok = growth_row(t, name, g, true);
            flagged += g->flagged;
        }
    return flagged;
}

static void print_growth(const watch *w, const vm_timeline *tl)
{
    const vm_growth *g = &tl->growth[VM_TL_THREADS];
    char head[320];
    snprintf(head, sizeof head,
             "Growth over %zu sample%s, %.1f s (committed; slope by least squares; GROWING when it only\n"
             "went up: >= %d samples, never down, up overall, R\u00b2 >= %.2f):\n",
             g->n, vm_plural(g->n), g->span_min * 60, VM_GROWTH_MIN_SAMPLES, VM_GROWTH_MIN_R2);
    fputc('\n', stdout);
    vm_text_reflow(stdout, head, w->width);
    vm_trow r;
    vm_trow_reset(&r);
    static const char *const titles[] = {"Series", "Change", "Per minute", "R\u00b2", "Steps up", ""};
    for (size_t c = 0; c < sizeof titles / sizeof titles[0]; c++)
        vm_trow_text(&r, titles[c]);
    vm_ttable *t = vm_ttable_new(&r, 0x1e, -1);
    vm_ttable_set_indent(t, 2);
    bool ok = t != NULL;
    size_t flagged = ok ? growth_rows(t, tl, &ok) : 0;
    vm_ttable_fit fit = {w->width, growth_drop, "Series"};
    if (ok)
        vm_ttable_print_noted(t, stdout, false, &fit);
    vm_ttable_free(t);
    char end[64];
    snprintf(end, sizeof end, "  %zu series flagged GROWING.", flagged);
    const char *none = "  No steady growth: nothing only went up across the window.";
    vm_text_wrap(stdout, !ok ? "  (out of memory)" : flagged ? end : none, w->width, 2);
}

/* ---- the loop --------------------------------------------------------------------------------- */

/* take_sample's answer when the process is gone after at least one sample: not an exit code (1
 * is VM_EXIT_ERROR, an output that could not be written, which must not pass for the end). */
#define PROCESS_GONE (-1)

/* One sample: capture, stamp, write, reduce.  PROCESS_GONE, 0 ok, else an exit code. */
static int take_sample(watch *w, vm_error *err)
{
    char when[40], stamp[40];
    vm_utc_now_ms(when, sizeof when, false);
    vm_utc_now_ms(stamp, sizeof stamp, true);
    vm_snapshot *s = NULL;
    int rc = vm_capture_snapshot(w->pid, &w->o->args.target.capture, &s, err);
    if (rc == VM_EXIT_NOT_FOUND || rc == VM_EXIT_TARGET_GONE)
        return w->samples > 0 ? PROCESS_GONE : rc;
    if (rc != 0)
        return rc;
    if (when[0]) { /* milliseconds: samples less than a second apart keep their order and spacing */
        free(s->taken_at);
        s->taken_at = vm_strdup(when);
    }
    rc = write_sample(w, s, stamp, err);
    if (rc == 0) {
        vm_summary sum;
        vm_summary_compute(s, &sum);
        bool known = (sum.total.counters.known & (1u << VM_C_TOTAL_WS)) != 0;
        w->resident_now = sum.total.counters.v[VM_C_TOTAL_WS];
        if (w->samples == 0) {
            w->resident_first = w->resident_now;
            w->resident_known = known;
        }
        w->resident_known = w->resident_known && known;
    }
    vm_snapshot_free(s);
    if (rc == 0)
        w->samples++;
    return rc;
}

/* When the next sample is due: the next slot of the schedule that is still ahead. */
static double next_slot(const watch *w, uint64_t *slot)
{
    double now = vm_clock_now(), iv = w->o->interval;
    uint64_t behind = (uint64_t)((now - w->start) / iv) + 1;
    *slot = behind > *slot + 1 ? behind : *slot + 1;
    return w->start + (double)*slot * iv;
}

static bool done(const watch *w, double next)
{
    return (w->o->count && w->samples >= w->o->count) || (w->o->duration > 0 && next - w->start > w->o->duration + 1e-9);
}

/* Runs until done, stopped or the process exits; the reason goes to *why. */
static int loop(watch *w, const char **why, vm_error *err)
{
    uint64_t slot = 0;
    w->start = vm_clock_now();
    for (;;) {
        int rc = take_sample(w, err);
        if (rc == PROCESS_GONE) {
            *why = "exited";
            return 0;
        }
        if (rc != 0)
            return rc;
        progress(w);
        double next = next_slot(w, &slot);
        if (done(w, next) || vm_stop_requested())
            break;
        vm_sleep_until(next);
        if (vm_stop_requested())
            break;
    }
    *why = vm_stop_requested() ? "stopped" : "done";
    return 0;
}

static void say_end(const watch *w, const char *why)
{
    if (w->tty && !w->o->args.target.capture.quiet)
        printf("\n");
    if (strcmp(why, "exited") == 0)
        fprintf(stderr, "vmmap: process %" PRId64 " exited after %zu sample%s\n", w->pid, w->samples,
                w->samples == 1 ? "" : "s");
    else if (strcmp(why, "stopped") == 0)
        fprintf(stderr, "vmmap: stopped by %s after %zu sample%s; everything written is complete\n", vm_stop_name(),
                w->samples, w->samples == 1 ? "" : "s");
    if (!w->o->args.target.capture.quiet && w->samples)
        fprintf(stderr, "vmmap: wrote %zu snapshot%s to %s\n", w->samples, vm_plural(w->samples), w->o->args.output);
}

static int watch_process(watch *w, vm_error *err)
{
    const char *why = "done";
    int rc = vm_series_writer_open(w->o->args.output, &w->series, err);
    if (rc == 0)
        rc = loop(w, &why, err);
    vm_error close_err = {0};
    if (vm_series_writer_close(w->series, &close_err) != 0 && rc == 0) {
        *err = close_err;
        rc = err->code;
    }
    w->series = NULL;
    if (w->samples == 0)
        return rc;
    say_end(w, why);
    vm_timeline_finish(w->tl);
    print_growth(w, w->tl);
    return rc;
}

static int run(int argc, char **argv)
{
    watch_opts o = {.interval = 2.0};
    int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    vm_error err = {0};
    watch w = {.o = &o, .tty = vm_is_terminal(stdout), .width = vm_cli_view_width(&o.args.view, stdout)};
    vm_target *t = &o.args.target;
    if (!vm_cli_take_target(t, argc, argv, optind, "watch", &err) || resolve_pid(&o, &w.pid, &err) != 0 ||
        vm_capture_refuse(t->arg, &vm_source_live, t->capture.asked & ~vm_source_live.honours, &err) != 0)
        return vm_error_report(&err); /* before the output is opened: nothing is written */
    w.tl = vm_timeline_new();
    if (!w.tl)
        return VM_EXIT_ERROR;
    vm_stop_install();
    rc = watch_process(&w, &err);
    vm_timeline_free(w.tl);
    return rc == 0 ? 0 : vm_error_report(&err);
}

const vm_command vm_cmd_watch = {"watch", "snapshot a process every interval and flag growth",
                                 run, help, shortopts, longopts};
