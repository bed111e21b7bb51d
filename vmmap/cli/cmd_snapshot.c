/* vmmap snapshot TARGET -o FILE: save the map for later viewing, reporting or comparison; a
 * .xlsx or .csv FILE writes the review report instead (the same as `vmmap report`). */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "../../report/json.h"
#include "../../report/output.h"
#include "../util/progress.h"
#include "../util/timings.h"
#include "../util/units.h"
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap snapshot TARGET [-o FILE] [OPTIONS]\n"
            "\n"
            "Captures the target and writes a snapshot: every region and block with its type,\n"
            "counters and details, the heaps with their segments, the threads with their stacks,\n"
            "the modules with their sections, and what could not be read (warnings).  The JSON\n"
            "format is versioned and documented (docs/snapshot-format.md); every command that\n"
            "takes a PID also takes a snapshot file, on any platform.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE  where to write; '-' writes JSON to stdout (for jq).  Default:\n"
            "                     NAME-PID-YYYYMMDD-HHMMSS.json in the current directory.\n"
            "                     FILE.xlsx writes the review workbook and FILE.csv the CSV\n"
            "                     report instead (see `vmmap report --help`).\n"
            "                     The file appears whole or not at all (temporary + rename).\n"
            "  --heap-blocks      walk every block of every heap too: each heap gets its busy,\n"
            "                     free and cached blocks and bytes, largest free block,\n"
            "                     fragmentation, overhead, size table and owner (as `vmmap\n"
            "                     heaps`: glibc, NT, Wine heaps; of a segment heap only its\n"
            "                     large allocations, said in its walk note).  Reads all heap\n"
            "                     memory: slower on big heaps (progress on a terminal)\n"
            "  --objects          the C++ object census too (as `vmmap objects`): types, counts\n"
            "                     and bytes by vtable; `vmmap diff` of two such snapshots shows\n"
            "                     which types grew.  Reads all heap memory\n"
            "  -h, --help         this help\n"
            "\n%s",
            VM_CLI_TARGET_HELP);
}

void vm_cli_default_output(const vm_snapshot *s, const char *ext, char *buf, size_t len)
{
    char stamp[32] = "now";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char name[64];
    snprintf(name, sizeof name, "%s", s->process.name && s->process.name[0] ? s->process.name : "process");
    for (char *p = name; *p; p++) /* names come from the target: keep them file-name safe */
        if (*p == '/' || *p == '\\' || *p == ' ' || *p == ':' || (unsigned char)*p < 32)
            *p = '_';
    snprintf(buf, len, "%s-%" PRId64 "-%s.%s", name, s->process.pid, stamp, ext);
}

void vm_cli_report_written(const vm_snapshot *s, const char *path, bool quiet)
{
    if (strcmp(path, "-") != 0 && !quiet)
        fprintf(stderr, "vmmap: wrote %s (%zu region%s, %zu thread%s, %zu heap%s, %zu warning%s)\n", path,
                s->nregions, vm_plural(s->nregions), s->nthreads, vm_plural(s->nthreads), s->nheaps,
                vm_plural(s->nheaps), s->nwarnings, vm_plural(s->nwarnings));
}

static const struct option longopts[] = {
    VM_CLI_TARGET_LONGOPTS, {"output", required_argument, NULL, 'o'}, {"heap-blocks", no_argument, NULL, 1100},
    {"objects", no_argument, NULL, 1101},
    {"help", no_argument, NULL, 'h'}, {0}};
static const char shortopts[] = ":ho:q"; /* ':' first: a missing value is told apart */

static int own_option(void *ctx, int opt)
{
    vm_capture_options *c = ctx;
    if (opt == 1100) {
        c->heap_blocks = true;
        c->asked |= VM_ASK_HEAP_BLOCKS;
    } else if (opt == 1101) {
        c->objects = true;
        c->asked |= VM_ASK_OBJECTS;
    }
    return 0;
}

/* The JSON file, written while a live capture is still going, region by region as they are final. */
typedef struct json_output {
    vm_json_writer *w;
    const char *path;   /* -o, or the default name once known */
    char fallback[256]; /* the default name */
} json_output;

/* Without -o the file is named as the first regions come (the process is known by then), so that
 * they can be written at once. */
static void json_regions_final(void *ctx, const vm_snapshot *s, size_t nfinal)
{
    json_output *o = ctx;
    if (!o->path && nfinal) {
        vm_cli_default_output(s, "json", o->fallback, sizeof o->fallback);
        o->path = o->fallback;
        vm_json_writer_set_path(o->w, o->path);
    }
    vm_json_writer_regions_final(o->w, s, nfinal);
}

/* The process ends once the file is written, and the snapshot's memory goes back with it: freeing
 * it piece by piece first took 2.5-4 ms of 60,000 regions (make bench: alternate, guards), all of
 * it after the file was complete.  It stays reachable from here, so a leak checker sees no leak
 * (git's UNLEAK does the same). */
static vm_snapshot *volatile kept_until_exit; /* volatile: the store is never optimised away */

static void keep_until_exit(vm_snapshot *s)
{
    kept_until_exit = s;
}

static int run(int argc, char **argv)
{
    vm_cli_args args = {0};
    int rc = vm_cli_parse(&vm_cmd_snapshot, argc, argv, &args, own_option, &args.target.capture);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    vm_target t = args.target;
    const char *output = args.output;
    vm_error err = {0};
    if (!vm_cli_take_target(&t, argc, argv, optind, "snapshot", &err))
        return vm_error_report(&err);
    vm_output_format f = output ? vm_output_format_of_path(output) : VM_OUTPUT_JSON;
    if (f == VM_OUTPUT_UNKNOWN)
        f = VM_OUTPUT_JSON;
    json_output json = {.path = output};
    if (f == VM_OUTPUT_JSON) {
        if (!(json.w = vm_json_writer_new(output))) {
            vm_error_set(&err, VM_EXIT_ERROR, "out of memory");
            return vm_error_report(&err);
        }
        t.capture.on_final = json_regions_final;
        t.capture.on_final_ctx = &json;
    }
    vm_snapshot *s = NULL;
    if (f != VM_OUTPUT_JSON && !t.capture.quiet)
        vm_progress_start("snapshot"); /* a report (.xlsx, .csv): progress as `vmmap report` shows it */
    vm_progress_phase("capturing", 0);
    if (vm_load_target(&t, &s, &err) != 0) {
        vm_json_writer_free(json.w);
        return vm_error_report(&err);
    }
    if (!json.path) {
        vm_cli_default_output(s, "json", json.fallback, sizeof json.fallback);
        json.path = json.fallback;
    }
    output = json.path;
    if (json.w)
        vm_json_writer_set_path(json.w, output);
    rc = json.w ? vm_json_writer_finish(json.w, s, &err) : vm_output_write(s, output, f, &err);
    vm_progress_stop();
    vm_json_writer_free(json.w);
    vm_timing_mark("write");
    if (rc == 0)
        vm_cli_report_written(s, output, t.capture.quiet);
    keep_until_exit(s);
    return rc == 0 ? 0 : vm_error_report(&err);
}

const vm_command vm_cmd_snapshot = {"snapshot", "save a snapshot (.json) to view, report or compare later",
                                    run, help, shortopts, longopts};
