/* vmmap report TARGET -o FILE.xlsx|FILE.csv: the snapshot as a workbook (or CSV) for review. */
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "../../report/output.h"
#include "../../report/timeline_xlsx.h"
#include "../capture/capture.h"
#include "../model/diff.h"
#include "../model/timeline.h"
#include "../series/series.h"
#include "../util/progress.h"
#include "../util/units.h"
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap report TARGET [-o FILE.xlsx|FILE.csv] [--format xlsx|csv] [OPTIONS]\n"
            "       vmmap report DIR|FILE.jsonl|SNAPSHOT.json... -o TIMELINE.xlsx\n"
            "\n"
            "Writes a report to send to someone for review, to open in Excel or LibreOffice.\n"
            "TARGET is a saved snapshot (.json, from any platform) or a live process.\n"
            "\n"
            "The workbook (.xlsx) has these sheets:\n"
            "  Summary   the process (pid, name, image, command line, when, source, OS), VMMap's\n"
            "            table by type (Size, Committed, Private, the working sets, Blocks,\n"
            "            Largest, plus Total) and a chart of committed memory by type\n"
            "  Regions   one row per allocation, its blocks grouped beneath it (outline: fold\n"
            "            them with the buttons on the left); filters on every column; each row\n"
            "            tinted with its type's colour, the same colour in every sheet and chart\n"
            "  Heaps     each heap with its segments / arena heaps / large blocks; when walked\n"
            "            (`vmmap heaps`, `snapshot --heap-blocks`): owner, busy / free / cached\n"
            "            blocks and sizes, largest free, fragmentation, overhead\n"
            "  Sizes     each walked heap's block sizes (busy, free, cached, bytes)\n"
            "  Threads   each thread's stack: base, limit, reserved, committed, guard\n"
            "  Modules   each image with its sections (protection, size)\n"
            "  Warnings  what could not be read and why (only when there is something to say)\n"
            "Sizes are numbers in K (1 K = 1,024 bytes), addresses are hex text; an empty cell\n"
            "means the source could not measure that value, never zero.\n"
            "\n"
            "The CSV (.csv) has VMMap's own layout and headers, so scripts written for\n"
            "`vmmap.exe -p PID out.csv` keep working: the process, the summary table, then one\n"
            "row per allocation followed by its blocks (address indented by two spaces); numbers\n"
            "in K without separators.  docs/reports.md describes both formats.\n"
            "\n"
            "A timeline: several snapshots, a directory of them (from `vmmap watch -o DIR`) or a\n"
            ".jsonl file (`vmmap watch -o FILE.jsonl`) make a timeline workbook (xlsx only):\n"
            "  Timeline       one row per snapshot (sorted by taken_at), committed per type, Total,\n"
            "                 Threads; the growth of each column beneath (change, slope per minute,\n"
            "                 R², steps up); GROWING columns in red; a line chart\n"
            "  Heap timeline  committed per heap (matched by kind and address), with its chart\n"
            "  Changes        what changed between the first and the last snapshot\n"
            "docs/watch.md defines the growth flag.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE   where to write; the extension picks the format.  Default:\n"
            "                      NAME-PID-YYYYMMDD-HHMMSS.xlsx in the current directory.\n"
            "                      '-' writes CSV to stdout.  The file appears whole or not at\n"
            "                      all (temporary + rename), also when the disk is full.\n"
            "  -f, --format FMT    xlsx or csv, when FILE's extension does not say\n"
            "  -h, --help          this help\n"
            "\n%s"
            "\n"
            "Examples:\n"
            "  vmmap snapshot 1234 -o app.json && vmmap report app.json -o app.xlsx\n"
            "  vmmap report --self -o self.csv\n"
            "  vmmap report app.json --format csv -o - | head\n"
            "  vmmap snapshot 1234 -o app.xlsx       the same, straight from the process\n"
            "  vmmap report leak/ -o leak.xlsx       a timeline of `vmmap watch 1234 -o leak/`\n",
            VM_CLI_TARGET_HELP);
}

/* The format from --format and the file's extension; usage error when they disagree or when
 * neither says.  JSON is a snapshot, not a report. */
static bool choose_format(const char *format_opt, const char *output, vm_output_format *f,
                          vm_error *err)
{
    vm_output_format named = format_opt ? vm_output_format_named(format_opt) : VM_OUTPUT_UNKNOWN;
    vm_output_format by_ext = output ? vm_output_format_of_path(output) : VM_OUTPUT_UNKNOWN;
    if (format_opt && (named == VM_OUTPUT_UNKNOWN || named == VM_OUTPUT_JSON)) {
        vm_error_set(err, VM_EXIT_USAGE, "--format %s: expected xlsx or csv", format_opt);
        vm_error_hint(err, "a .json snapshot is written by `vmmap snapshot`");
        return false;
    }
    if (by_ext == VM_OUTPUT_JSON) {
        vm_error_set(err, VM_EXIT_USAGE, "%s: a report is .xlsx or .csv", output);
        vm_error_hint(err, "to save a snapshot: vmmap snapshot TARGET -o %s", output);
        return false;
    }
    if (named != VM_OUTPUT_UNKNOWN && by_ext != VM_OUTPUT_UNKNOWN && named != by_ext) {
        vm_error_set(err, VM_EXIT_USAGE, "--format %s does not match the file name %s", format_opt, output);
        vm_error_hint(err, "name the file .%s, or drop --format", vm_output_format_name(named));
        return false;
    }
    *f = named != VM_OUTPUT_UNKNOWN ? named : by_ext;
    if (*f == VM_OUTPUT_UNKNOWN && !output)
        *f = VM_OUTPUT_XLSX;
    if (*f == VM_OUTPUT_UNKNOWN && strcmp(output, "-") == 0)
        *f = VM_OUTPUT_CSV; /* as --help says: '-' writes CSV to stdout */
    if (*f == VM_OUTPUT_UNKNOWN) {
        vm_error_set(err, VM_EXIT_USAGE, "%s: cannot tell the report format from the name", output);
        vm_error_hint(err, "name it .xlsx or .csv, or add --format xlsx|csv");
        return false;
    }
    return true;
}

/* ---- timelines ------------------------------------------------------------------------------- */

/* Several targets, a directory or a .jsonl file make a timeline. */
static bool is_timeline(int argc, char **argv, int first)
{
    if (argc - first > 1)
        return true;
    if (argc - first < 1)
        return false;
    struct stat st;
    size_t n = strlen(argv[first]);
    return (n > 6 && strcmp(argv[first] + n - 6, ".jsonl") == 0) ||
           (stat(argv[first], &st) == 0 && S_ISDIR(st.st_mode));
}

/* The diff of the first and last snapshot, for the Changes sheet; NULL with one snapshot. */
static int first_last_diff(const vm_timeline *tl, vm_diff **d, char *fallback, size_t len, vm_error *err)
{
    vm_snapshot *first = NULL, *last = NULL;
    int rc = vm_timeline_reload(tl, 0, &first, err);
    if (rc == 0)
        vm_cli_default_output(first, "xlsx", fallback, len);
    if (rc == 0 && tl->nrows > 1 && (rc = vm_timeline_reload(tl, tl->nrows - 1, &last, err)) == 0 &&
        !(*d = vm_diff_compute(first, last))) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        rc = err->code;
    }
    vm_snapshot_free(first);
    vm_snapshot_free(last);
    return rc;
}

static int write_timeline(const vm_timeline *tl, const char *output, bool quiet, vm_error *err)
{
    vm_diff *d = NULL;
    char fallback[256];
    int rc = first_last_diff(tl, &d, fallback, sizeof fallback, err);
    if (rc == 0)
        rc = vm_report_write_timeline_xlsx(tl, d, output ? output : fallback, err);
    vm_progress_stop();
    if (rc == 0 && !quiet)
        fprintf(stderr, "vmmap: wrote %s (%zu snapshot%s, %zu heap%s%s)\n", output ? output : fallback, tl->nrows,
                vm_plural(tl->nrows), tl->nheaps, vm_plural(tl->nheaps),
                tl->mixed_pids ? "; warning: more than one process" : "");
    vm_diff_free(d);
    return rc;
}

static int report_timeline(char **paths, size_t n, const char *output, const char *format_opt, bool quiet,
                           uint32_t asked)
{
    vm_error err = {0};
    if (asked) /* nothing of any target is read: the snapshots were taken already */
        return vm_cli_usage_error("report", "%s: a timeline is made of snapshots (%s%s): nothing of the target is "
                                  "read any more", vm_capture_option_name(asked & -asked), paths[0],
                                  n > 1 ? ", ..." : "");
    if ((format_opt && vm_output_format_named(format_opt) != VM_OUTPUT_XLSX) ||
        (output && vm_output_format_of_path(output) != VM_OUTPUT_XLSX))
        return vm_cli_usage_error("report", "a timeline (several snapshots, a directory, a .jsonl) is written as .xlsx");
    vm_timeline *tl = vm_timeline_new();
    if (!tl)
        return VM_EXIT_ERROR;
    if (!quiet)
        vm_progress_start("report");
    vm_progress_phase("reading the snapshots", 0);
    int rc = vm_timeline_load(tl, (const char *const *)paths, n, &err);
    if (rc == 0) {
        vm_timeline_finish(tl);
        if (tl->torn_lines && !quiet)
            fprintf(stderr, "vmmap: note: skipped %zu torn final line%s (a writer was interrupted)\n",
                    tl->torn_lines, tl->torn_lines == 1 ? "" : "s");
        rc = write_timeline(tl, output, quiet, &err);
    }
    vm_timeline_free(tl);
    return rc == 0 ? 0 : vm_error_report(&err);
}

/* ---- the command ------------------------------------------------------------------------------ */

static const struct option longopts[] = {VM_CLI_TARGET_LONGOPTS,
                                         {"output", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
static const char shortopts[] = ":ho:f:q"; /* ':' first: a missing value is told apart */

static int own_option(void *ctx, int opt)
{
    if (opt == 'f')
        *(const char **)ctx = optarg;
    return 0;
}

static int run(int argc, char **argv)
{
    vm_cli_args args = {0};
    const char *format_opt = NULL;
    int rc = vm_cli_parse(&vm_cmd_report, argc, argv, &args, own_option, &format_opt);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    vm_target t = args.target;
    const char *output = args.output;
    if (!t.self && is_timeline(argc, argv, optind))
        return report_timeline(argv + optind, (size_t)(argc - optind), output, format_opt, t.capture.quiet,
                               t.capture.asked);
    vm_error err = {0};
    vm_output_format f;
    if (!choose_format(format_opt, output, &f, &err) ||
        !vm_cli_take_target(&t, argc, argv, optind, "report", &err))
        return vm_error_report(&err);
    vm_snapshot *s = NULL;
    if (!t.capture.quiet)
        vm_progress_start("report"); /* on a terminal, once it takes over a second */
    vm_progress_phase(t.self ? "capturing vmmap itself" : "reading the target", 0);
    if (vm_load_target(&t, &s, &err) != 0)
        return vm_error_report(&err);
    char fallback[256];
    if (!output) {
        vm_cli_default_output(s, vm_output_format_name(f), fallback, sizeof fallback);
        output = fallback;
    }
    rc = vm_output_write(s, output, f, &err);
    vm_progress_stop();
    if (rc == 0)
        vm_cli_report_written(s, output, t.capture.quiet);
    vm_snapshot_free(s);
    return rc == 0 ? 0 : vm_error_report(&err);
}

const vm_command vm_cmd_report = {"report", "write a workbook (.xlsx) or CSV for review",
                                  run, help, shortopts, longopts};
