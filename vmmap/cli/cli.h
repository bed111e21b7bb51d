/* The command line: one file per command (git's builtin/ layout), sharing target loading and a
 * few option helpers declared here. */
#ifndef VMMAP_CLI_CLI_H
#define VMMAP_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../model/snapshot.h"
#include "../classify/facts.h"
#include "../util/error.h"
#include "../util/compiler.h"

typedef struct vm_command {
    const char *name;
    const char *summary;           /* one line for `vmmap --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    void (*help)(FILE *out);
    /* What run parses (getopt_long's): the test that --help, docs/cli.md and the man page name
     * every option reads them (test_cli_docs.c). */
    const char *shortopts;
    const struct option *longopts;
} vm_command;

extern const vm_command vm_cmd_summary, vm_cmd_show, vm_cmd_snapshot;
extern const vm_command vm_cmd_report;
extern const vm_command vm_cmd_info;
extern const vm_command vm_cmd_watch;
extern const vm_command vm_cmd_diff;
extern const vm_command vm_cmd_heaps;
extern const vm_command vm_cmd_objects;

/* The default output file name: NAME-PID-YYYYMMDD-HHMMSS.EXT (UTC), file-name safe. */
void vm_cli_default_output(const vm_snapshot *s, const char *ext, char *buf, size_t len);
/* "vmmap: wrote PATH (N regions, ...)" on stderr, unless quiet or PATH is "-". */
void vm_cli_report_written(const vm_snapshot *s, const char *path, bool quiet);

/* What a command is pointed at: a PID, a process name, --self, a snapshot .json (or a .dmp). */
typedef struct vm_target {
    const char *arg; /* NULL with self */
    bool self;
    vm_capture_options capture;
} vm_target;

/* Options every target-taking command accepts; returns true if opt was one of them. */
bool vm_cli_target_option(int opt, vm_target *t);
#define VM_CLI_TARGET_LONGOPTS                                                                     \
    {"self", no_argument, NULL, 1001}, {"no-heaps", no_argument, NULL, 1002},                      \
        {"no-sections", no_argument, NULL, 1003}, {"image-path", required_argument, NULL, 1004},              \
        {"quiet", no_argument, NULL, 'q'}
#define VM_CLI_TARGET_HELP                                                                         \
    "Target:\n"                                                                                    \
    "  PID              a running process (decimal)\n"                                             \
    "  NAME             a running process by executable name (must be unique)\n"                   \
    "  --self           vmmap itself (useful to try the tool)\n"                                   \
    "  FILE.json        a snapshot written by `vmmap snapshot` (on any platform)\n"                \
    "  FILE.dmp         a minidump of a Windows or Linux process (any platform; also packed)\n"   \
    "  CORE             a Linux ELF core, kernel-written or gcore (any platform; also packed)\n"   \
    "                   Files are told by their content, not their name; a bare NAME that\n"     \
    "                   is also a directory means the process (NAME/ the directory)\n"            \
    "Capture options:\n"                                                                           \
    "  --no-heaps       do not read target memory (no heap walk, no glibc thread list)\n"          \
    "  --no-sections    do not split images into sections (no module file opened,\n"              \
    "                   no image headers read)\n"                                                 \
    "  --image-path DIR[:DIR...]  where the module files of a core or dump are, for\n"         \
    "                   images whose headers it lacks (ELF by build-id, PE by size and\n"        \
    "                   time stamp, as WinDbg's image path; ';' between DIRs on Windows)\n"       \
    "  -q, --quiet      no progress or notes on stderr\n"

/* Sets t->arg from the one remaining positional argument; usage error otherwise. */
bool vm_cli_take_target(vm_target *t, int argc, char **argv, int optind_, const char *cmd, vm_error *err);

/* Captures or loads the target into a snapshot (classified, with header filled). */
int vm_load_target(const vm_target *t, vm_snapshot **out, vm_error *err);

/* Captures a live process through the pipeline (the live source on PID). */
int vm_capture_snapshot(int64_t pid, const vm_capture_options *opt, vm_snapshot **out, vm_error *err);

/* Colour on stdout: --color=auto|always|never, NO_COLOR, TERM=dumb, isatty. */
bool vm_cli_color(const char *mode, FILE *out);

/* How a command's tables look on the terminal: --color=WHEN, --human, --wide (docs/cli.md, "On
 * the terminal").  A command takes the ones that mean something for it. */
typedef struct vm_view_opts {
    const char *color; /* NULL: auto */
    bool human, wide;
} vm_view_opts;
#define VM_CLI_COLOR_LONGOPT {"color", required_argument, NULL, 1010}
#define VM_CLI_HUMAN_LONGOPT {"human", no_argument, NULL, 1011}
#define VM_CLI_WIDE_LONGOPT {"wide", no_argument, NULL, 1012}
#define VM_CLI_VIEW_LONGOPTS VM_CLI_COLOR_LONGOPT, VM_CLI_HUMAN_LONGOPT, VM_CLI_WIDE_LONGOPT
/* True if opt was one of them (recorded in v). */
bool vm_cli_view_option(int opt, vm_view_opts *v);
/* The columns to fit out's tables in: out's terminal width; 0 with --wide or off a terminal. */
size_t vm_cli_view_width(const vm_view_opts *v, FILE *out);
bool vm_cli_view_color(const vm_view_opts *v, FILE *out);

int vm_cli_usage_error(const char *cmd, const char *fmt, ...) VM_PRINTF(2, 3);

/* getopt returned '?' (unknown option) or ':' (missing value; optstrings start with ':'): one
 * usage error naming the option.  Returns VM_EXIT_USAGE. */
int vm_cli_option_error(const char *cmd, int opt, char **argv);

/* The options commands share, as vm_cli_parse leaves them. */
typedef struct vm_cli_args {
    vm_target target;   /* VM_CLI_TARGET_LONGOPTS (the operands are the command's to take) */
    vm_view_opts view;  /* --color, --human, --wide */
    const char *output; /* -o, --output */
} vm_cli_args;

/* One option of the command's own (its value in optarg): 0, or the exit code of a usage error. */
typedef int (*vm_cli_option_fn)(void *ctx, int opt);

/* Parses argv from the start with cmd's option tables: the shared options into a, the command's
 * own through own(ctx, opt) (NULL: it has none).  -h/--help prints cmd's help and returns -1
 * (the command then exits 0); an unknown option or a missing value is the usage error, whose
 * code it returns.  0 when done, with optind at the first operand. */
int vm_cli_parse(const vm_command *cmd, int argc, char **argv, vm_cli_args *a, vm_cli_option_fn own, void *ctx);

#endif
