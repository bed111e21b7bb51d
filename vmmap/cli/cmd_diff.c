/* vmmap diff OLD NEW: what changed between two snapshots (or a snapshot and the process now). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../../report/diff_report.h"
#include "../capture/capture.h"
#include "../model/diff.h"
#include "../util/clock_signal.h"
#include "../util/progress.h"
#include "../util/units.h"
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap diff OLD NEW [--top N] [--type LIST] [--min-change SIZE]\n"
            "                  [-o FILE] [--format text|json|xlsx|csv] [OPTIONS]\n"
            "\n"
            "Shows what changed between two snapshots of a process: to find what grows (a leak in\n"
            "a heap, thread stacks piling up, a file mapped and never unmapped, fragmentation).\n"
            "OLD and NEW are each a snapshot .json (from `vmmap snapshot`, any platform), a\n"
            "minidump .dmp, or a PID, process name or --self meaning \"now\" (captured at once).\n"
            "\n"
            "What it shows, biggest committed change first:\n"
            "  by type      the change of every column of the summary table (Size, Committed,\n"
            "               Private, the working sets, Blocks, Largest), signed: +1,024 K, -512 K;\n"
            "               ? when either side could not measure it\n"
            "  allocations  added, removed, grown, shrunk, or changed in protection or type;\n"
            "               matched by allocation base and type, images and mapped files by file\n"
            "               (they may load at another address in another run)\n"
            "  heaps        grown or shrunk, with the segments / large blocks / arena heaps added\n"
            "               or freed\n"
            "  threads      started or ended, with their stacks\n"
            "  modules      loaded or unloaded\n"
            "  C++ objects  when both snapshots carry an object census (`vmmap snapshot\n"
            "               --objects`): the types whose count or bytes changed, e.g. +40,000\n"
            "               app::RequestContext.  A live NEW gets a census when OLD has one\n"
            "Working sets move all the time: they show in the by-type table, not as changes.\n"
            "Comparing two different processes (PID or executable differ) works but warns.\n"
            "\n"
            "Options:\n"
            "  --top N            at most N entries per list\n"
            "  --type LIST        only these types, comma-separated: image, mapped, shareable, heap,\n"
            "                     managed, stack, private, pagetable, unusable, free (heaps need\n"
            "                     heap, threads stack, modules image)\n"
            "  --min-change SIZE  hide changes smaller than SIZE (4K, 1M, 1.5G; bytes if no unit)\n"
            "  -o, --output FILE  write there instead of the terminal; the extension picks the\n"
            "                     format: .json (docs/diff-format.md), .xlsx (Summary + Changes\n"
            "                     sheets), .csv (the change list), .txt; '-' is stdout\n"
            "  -f, --format FMT   text, json, xlsx or csv, when FILE's extension does not say\n"
            "  --color WHEN       auto (default), always or never, for the terminal\n"
            "  --wide             every column and the whole of Details, however wide the\n"
            "                     terminal (on one the tables fit it, the columns least needed\n"
            "                     left out and named, Details cut; piped output is whole)\n"
            "  --no-heaps, --no-sections, --image-path DIR, -q/--quiet\n"
            "                     as for every command (`vmmap --help`), each for the side\n"
            "                     that can use it (a live process, a dump, a core)\n"
            "  -h, --help         this help\n"
            "\n"
            "Examples:\n"
            "  vmmap snapshot 1234 -o before.json\n"
            "  ... let it run ...\n"
            "  vmmap diff before.json 1234                 what changed since, in process 1234\n"
            "  vmmap diff before.json after.json --top 20  the 20 biggest changes\n"
            "  vmmap diff a.json b.json --type heap,stack --min-change 1M\n"
            "  vmmap diff a.json b.json -o changes.xlsx    a workbook to send for review\n"
            "  vmmap diff a.json b.json -o - | jq '.changes[0]'\n"
            "\n"
            "Set VMMAP_DIFF_TIMINGS=1 to print load, diff and write times on stderr.\n");
}

enum { O_TOP = 2001, O_TYPE, O_MIN_CHANGE };

/* `--self` is a side, in its place among OLD and NEW: it is turned into this word before option
 * parsing so that the order survives getopt's permutation. */
static const char self_word[] = "\x01self";

typedef struct diff_args {
    const char *sides[2];
    vm_cli_args args; /* the capture options (for both sides), -o, --color, --wide */
    vm_diff_filter filter;
    const char *format;
} diff_args;

static int parse_option(void *ctx, int opt)
{
    diff_args *a = ctx;
    char *end;
    switch (opt) {
    case 'f': a->format = optarg; return 0;
    case O_TOP:
        a->filter.top = (size_t)strtoull(optarg, &end, 10);
        if (*end || !*optarg || optarg[0] == '-' || a->filter.top == 0)
            return vm_cli_usage_error("diff", "--top %s: expected a positive number", optarg);
        return 0;
    case O_TYPE:
        if (!vm_diff_parse_kinds(optarg, &a->filter.kinds))
            return vm_cli_usage_error("diff", "--type %s: unknown type (try: heap,stack,image,private)", optarg);
        return 0;
    case O_MIN_CHANGE:
        if (!vm_parse_size(optarg, &a->filter.min_change))
            return vm_cli_usage_error("diff", "--min-change %s: expected a size such as 64K or 1M", optarg);
        return 0;
    default: return 0;
    }
}

static const struct option longopts[] = {VM_CLI_TARGET_LONGOPTS,
                                         {"output", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"top", required_argument, NULL, O_TOP},
                                         {"type", required_argument, NULL, O_TYPE},
                                         {"min-change", required_argument, NULL, O_MIN_CHANGE},
                                         VM_CLI_COLOR_LONGOPT,
                                         VM_CLI_WIDE_LONGOPT,
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
static const char shortopts[] = ":ho:f:q"; /* ':' first: a missing value is told apart */

static int parse_args(int argc, char **argv, diff_args *a)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--self") == 0)
            argv[i] = (char *)self_word;
    int rc = vm_cli_parse(&vm_cmd_diff, argc, argv, &a->args, parse_option, a);
    if (rc)
        return rc;
    if (argc - optind != 2)
        return vm_cli_usage_error("diff", "expected two snapshots (OLD NEW), got %d", argc - optind);
    a->sides[0] = argv[optind];
    a->sides[1] = argv[optind + 1];
    return 0;
}

/* The format from --format and the extension; text on the terminal when neither says. */
static bool choose_format(const diff_args *a, vm_diff_format *f, vm_error *err)
{
    vm_diff_format named = a->format ? vm_diff_format_named(a->format) : VM_DIFF_OUT_UNKNOWN;
    vm_diff_format by_ext = a->args.output ? vm_diff_format_of_path(a->args.output) : VM_DIFF_OUT_UNKNOWN;
    if (a->format && named == VM_DIFF_OUT_UNKNOWN) {
        vm_error_set(err, VM_EXIT_USAGE, "--format %s: expected text, json, xlsx or csv", a->format);
        return false;
    }
    if (named != VM_DIFF_OUT_UNKNOWN && by_ext != VM_DIFF_OUT_UNKNOWN && named != by_ext) {
        vm_error_set(err, VM_EXIT_USAGE, "--format %s does not match the file name %s", a->format, a->args.output);
        vm_error_hint(err, "rename the file, or drop --format");
        return false;
    }
    *f = named != VM_DIFF_OUT_UNKNOWN ? named : by_ext;
    if (*f == VM_DIFF_OUT_UNKNOWN && a->args.output && strcmp(a->args.output, "-") != 0) {
        vm_error_set(err, VM_EXIT_USAGE, "%s: cannot tell the format from the name", a->args.output);
        vm_error_hint(err, "name it .json, .xlsx, .csv or .txt, or add --format");
        return false;
    }
    if (*f == VM_DIFF_OUT_UNKNOWN)
        *f = VM_DIFF_OUT_TEXT;
    return true;
}

static const char *side_arg(const diff_args *a, int i)
{
    return strcmp(a->sides[i], self_word) == 0 ? NULL : a->sides[i];
}

/* The capture options are for a side that can honour them (a live side, a dump), each given
 * only to such a side; one that neither side can honour (--no-heaps with two snapshot files) is
 * refused with the reason, as for one target. */
static int check_options(const diff_args *a, uint32_t honours[2], vm_error *err)
{
    for (int i = 0; i < 2; i++)
        honours[i] = vm_capture_honours(side_arg(a, i));
    uint32_t refused = a->args.target.capture.asked & ~(honours[0] | honours[1]);
    if (!refused)
        return 0;
    const vm_source *src = NULL;
    bool snapshot = false;
    vm_capture_reader(side_arg(a, 0), &src, &snapshot);
    return vm_capture_refuse(side_arg(a, 0), snapshot ? NULL : src, refused, err);
}

/* objects: take the object census of a live side too (the other side carries one). */
static int load_side(const diff_args *a, int i, uint32_t honours, bool objects, vm_snapshot **out, vm_error *err)
{
    vm_target t = {.arg = side_arg(a, i), .self = side_arg(a, i) == NULL, .capture = a->args.target.capture};
    t.capture.objects = t.capture.objects || objects;
    t.capture.asked &= honours;
    return vm_load_target(&t, out, err);
}

/* Loads both sides and compares them; the snapshots are freed before returning. */
static int compute(const diff_args *a, vm_diff **out, double times[3], vm_error *err)
{
    vm_snapshot *s[2] = {NULL, NULL};
    uint32_t honours[2];
    int rc = check_options(a, honours, err);
    for (int i = 0; i < 2 && rc == 0; i++) {
        double t0 = vm_clock_now();
        vm_progress_phase(i == 0 ? "reading OLD" : "reading NEW", 0);
        rc = load_side(a, i, honours[i], i == 1 && s[0]->census.present, &s[i], err);
        times[i] = vm_clock_now() - t0;
    }
    if (rc == 0) {
        double t0 = vm_clock_now();
        vm_progress_phase("comparing", 0);
        *out = vm_diff_compute(s[0], s[1]);
        times[2] = vm_clock_now() - t0;
        if (!*out) {
            vm_error_set(err, VM_EXIT_ERROR, "out of memory comparing the snapshots");
            rc = err->code;
        }
    }
    vm_snapshot_free(s[0]);
    vm_snapshot_free(s[1]);
    return rc;
}

/* "vmmap: wrote FILE (...)" as snapshot and report say it; not for stdout. */
static void say_written(const diff_args *a, const vm_diff *d)
{
    if (a->args.target.capture.quiet || !a->args.output || strcmp(a->args.output, "-") == 0)
        return;
    size_t n = vm_diff_lines_count(d, &a->filter);
    fprintf(stderr, "vmmap: wrote %s (%zu change%s)\n", a->args.output, n, n == 1 ? "" : "s");
}

static int emit(const diff_args *a, const vm_diff *d, vm_diff_format f, vm_error *err)
{
    /* The text view prints the warning in its header; on stderr too would say it twice. */
    bool text_on_stdout = f == VM_DIFF_OUT_TEXT && (!a->args.output || strcmp(a->args.output, "-") == 0);
    if (a->args.output || f != VM_DIFF_OUT_TEXT) {
        int rc = vm_diff_write(d, &a->filter, a->args.output ? a->args.output : "-", f, err);
        vm_progress_stop();
        if (d->warning && !a->args.target.capture.quiet && !text_on_stdout)
            fprintf(stderr, "vmmap: warning: %s\n", d->warning);
        if (rc == 0)
            say_written(a, d);
        return rc;
    }
    vm_progress_stop();
    vm_diff_text_options opt = {.color = vm_cli_view_color(&a->args.view, stdout),
                                .width = vm_cli_view_width(&a->args.view, stdout)};
    if (vm_diff_text(stdout, d, &a->filter, &opt) != 0) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return err->code;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    diff_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    vm_error err = {0};
    vm_diff_format f;
    if (!choose_format(&a, &f, &err))
        return vm_error_report(&err);
    vm_diff *d = NULL;
    double times[3] = {0, 0, 0};
    if (!a.args.target.capture.quiet)
        vm_progress_start("diff"); /* on a terminal, once it takes over a second */
    if (compute(&a, &d, times, &err) != 0)
        return vm_error_report(&err);
    double t0 = vm_clock_now();
    rc = emit(&a, d, f, &err);
    if (getenv("VMMAP_DIFF_TIMINGS"))
        fprintf(stderr, "vmmap: timings: load old %.3f s, load new %.3f s, diff %.3f s, write %.3f s\n",
                times[0], times[1], times[2], vm_clock_now() - t0);
    vm_diff_free(d);
    return rc == 0 ? 0 : vm_error_report(&err);
}

const vm_command vm_cmd_diff = {"diff", "compare two snapshots: what grew, what appeared",
                                run, help, shortopts, longopts};
