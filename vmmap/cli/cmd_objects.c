/* vmmap objects TARGET: which C++ types fill the heap, counted by their vtables (the object
 * census, model/census.h).  The table, an instance list for scripting (--type), or a snapshot /
 * workbook / CSV carrying the census (-o). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../report/objects_table.h"
#include "../../report/output.h"
#include "../model/census.h"
#include "../util/output_target.h"
#include "../util/timings.h"
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap objects TARGET [--type PATTERN] [--all] [--min-count N] [--top N] [-o FILE]\n"
            "\n"
            "Counts the C++ objects on the heap by their vtables, biggest first: COUNT, BYTES, TYPE\n"
            "(demangled or undecorated class name), MODULE (whose read-only data holds the vtable)\n"
            "and HEAPS (the ids of `vmmap show --type heap`), with the totals and their share of\n"
            "the busy heap bytes.  An object is a word inside a busy heap block (not free, not in a\n"
            "thread cache) holding the address point of a vtable whose RTTI checks out: Itanium\n"
            "(GCC, Clang, MinGW) and MSVC layouts, 32- and 64-bit.  A vptr of a secondary base is\n"
            "part of an object already counted; objects in std::list nodes, vectors and arrays\n"
            "count where they lie.  BYTES is the whole block for an object alone in its block;\n"
            "objects sharing a block are each charged the distance to the next one, shown '~'\n"
            "(estimated).  Classes without RTTI are named only by a _ZTV symbol (Linux).\n"
            "\n"
            "Options:\n"
            "  --type PATTERN     list the instances of the matching types instead of the table\n"
            "                     (address, heap block, where); PATTERN may use * ? [...], plain\n"
            "                     text also matches the last part of a name (\"Context\" matches\n"
            "                     app::Context)\n"
            "  --all              also scan thread stacks (from each stack pointer up), Private\n"
            "                     Data and images' writable data; those hits are counted apart\n"
            "                     (STACK, PRIVATE, IMAGE), never in COUNT\n"
            "  --min-count N      leave out types with fewer than N objects\n"
            "  --top N            show the N biggest types only\n"
            "  --wide             every column and whole type names, however wide the terminal\n"
            "                     (on a terminal the table fits it: HEAPS and MODULE go first,\n"
            "                     TYPE is cut with an ellipsis; piped output is whole)\n"
            "  -o, --output FILE  FILE.json: the snapshot with its census (as `vmmap snapshot\n"
            "                     --objects`; `vmmap diff` of two says which types grew);\n"
            "                     FILE.xlsx: the review workbook with a Types sheet; FILE.csv:\n"
            "                     the table as CSV.  The file appears whole or not at all.\n"
            "  -h, --help         this help\n"
            "\n"
            "Targets: a live process (Linux or Windows), a Linux core, a full-memory minidump, or\n"
            "a snapshot taken with --objects (its census is shown; --type needs the target's\n"
            "memory).  A core lacks the read-only data the RTTI is in: it is read from the module\n"
            "files, where the core names them or in --image-path, each only if its build-id\n"
            "matches (a `census-images` warning names those not found).\n"
            "Heaps whose blocks this build cannot walk are named in a warning, not counted.\n"
            "\n"
            "Examples:\n"
            "  vmmap objects 1234 --top 20\n"
            "  vmmap objects 1234 --type 'app::Request*' | awk 'NR > 1 {print $1}'\n"
            "  vmmap snapshot 1234 --objects -o before.json; ...; vmmap diff before.json 1234\n"
            "\n%s",
            VM_CLI_TARGET_HELP);
}

static bool parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* Why there is no census to show, and what to do. */
static int no_census(const vm_snapshot *s, const char *arg, vm_error *err)
{
    for (size_t i = 0; i < s->nwarnings; i++)
        if (s->warnings[i].code && strcmp(s->warnings[i].code, "memory-unavailable") == 0) {
            vm_error_set(err, VM_EXIT_BAD_INPUT, "%s", s->warnings[i].message);
            vm_error_hint(err, "the census reads the target's memory: give a live process or a full-memory dump");
            return err->code;
        }
    vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: the snapshot has no object census", arg ? arg : "target");
    vm_error_hint(err, "take one with `vmmap snapshot PID --objects -o FILE.json`, or run `vmmap objects PID`");
    return err->code;
}

static const struct option longopts[] = {VM_CLI_TARGET_LONGOPTS,
                                         {"output", required_argument, NULL, 'o'},
                                         {"type", required_argument, NULL, 1200},
                                         {"all", no_argument, NULL, 1201},
                                         {"min-count", required_argument, NULL, 1202},
                                         {"top", required_argument, NULL, 1203},
                                         VM_CLI_WIDE_LONGOPT,
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
static const char shortopts[] = ":ho:q"; /* ':' first: a missing value is told apart */

typedef struct objects_args {
    vm_census_request req;
    vm_objects_view view;
} objects_args;

static int own_option(void *ctx, int opt)
{
    objects_args *o = ctx;
    uint64_t top = 0;
    switch (opt) {
    case 1200: o->req.type_pattern = optarg; break;
    case 1201: o->req.all = true; break;
    case 1202:
        if (!parse_count(optarg, &o->view.min_count))
            return vm_cli_usage_error("objects", "--min-count: expected a count, got \"%s\"", optarg);
        break;
    case 1203:
        if (!parse_count(optarg, &top) || top == 0 || top > SIZE_MAX)
            return vm_cli_usage_error("objects", "--top: expected a positive count, got \"%s\"", optarg);
        o->view.top = (size_t)top;
        break;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    vm_cli_args args = {0};
    objects_args own = {0};
    int rc = vm_cli_parse(&vm_cmd_objects, argc, argv, &args, own_option, &own);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    vm_target t = args.target;
    vm_census_request req = own.req;
    vm_objects_view view = own.view;
    const char *output = args.output;
    const vm_view_opts look = args.view;
    vm_error err = {0};
    if (!vm_cli_take_target(&t, argc, argv, optind, "objects", &err))
        return vm_error_report(&err);
    vm_output_format f = VM_OUTPUT_UNKNOWN;
    if (output) {
        f = vm_output_format_of_path(output);
        if (f == VM_OUTPUT_UNKNOWN && vm_out_is_stream(output)) /* '-', /dev/null, a FIFO */
            f = VM_OUTPUT_JSON;
        if (f == VM_OUTPUT_UNKNOWN)
            return vm_cli_usage_error("objects", "-o %s: expected a .json, .xlsx or .csv file name", output);
    }
    if (t.capture.skip_heaps)
        return vm_cli_usage_error("objects", "--no-heaps: the census reads the target's heaps");
    req.want_instances = req.type_pattern != NULL;
    t.capture.objects = true;
    t.capture.objects_request = &req;
    vm_snapshot *s = NULL;
    if (vm_load_target(&t, &s, &err) != 0)
        return vm_error_report(&err);
    rc = 0;
    size_t width = vm_cli_view_width(&look, stdout);
    if (!s->census.present) {
        rc = no_census(s, t.arg, &err);
    } else if (output) {
        rc = f == VM_OUTPUT_CSV ? vm_objects_write_csv(s, &view, output, &err) : vm_output_write(s, output, f, &err);
        if (rc == 0)
            vm_cli_report_written(s, output, t.capture.quiet);
    } else if (req.type_pattern) {
        if (!req.ran) {
            vm_error_set(&err, VM_EXIT_BAD_INPUT, "--type: a snapshot file holds the counts, not the instances");
            vm_error_hint(&err, "run it on the live process or the dump itself");
            rc = err.code;
        } else {
            vm_objects_print_instances(stdout, s, req.instances, req.ninstances, width);
        }
    } else {
        view.width = width;
        vm_objects_print(stdout, s, &view);
    }
    if (rc == 0 && !t.capture.quiet && !output)
        for (size_t i = 0; i < s->nwarnings; i++)
            if (s->warnings[i].code && strncmp(s->warnings[i].code, "census", 6) == 0)
                fprintf(stderr, "vmmap: note: %s\n", s->warnings[i].message);
    vm_timing_mark("objects output");
    free(req.instances);
    vm_snapshot_free(s);
    return rc == 0 ? 0 : vm_error_report(&err);
}

const vm_command vm_cmd_objects = {"objects", "count the C++ objects on the heap by type (vtables and RTTI)", run,
                                   help, shortopts, longopts};
