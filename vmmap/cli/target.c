/* The command line's side of targets: the options every target-taking command shares, and the
 * one call that turns a target into a snapshot (the capture pipeline, capture/capture.h).  Every
 * command that takes a PID takes a snapshot file or a dump the same way. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../capture/capture.h"
#include "cli.h"

bool vm_cli_target_option(int opt, vm_target *t)
{
    switch (opt) {
    case 1001: t->self = true; return true;
    case 1002: t->capture.skip_heaps = true; return true;
    case 1003: t->capture.skip_sections = true; return true;
    case 1004: t->capture.image_path = optarg; return true;
    case 'q': t->capture.quiet = true; return true;
    default: return false;
    }
}

int vm_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    vm_error e;
    va_list ap;
    va_start(ap, fmt);
    vm_error_vset(&e, VM_EXIT_USAGE, fmt, ap); /* long arguments shortened, the reason kept */
    va_end(ap);
    vm_error_hint(&e, "see `vmmap %s%s--help`", cmd ? cmd : "", cmd ? " " : "");
    return vm_error_report(&e);
}

bool vm_cli_take_target(vm_target *t, int argc, char **argv, int optind_, const char *cmd, vm_error *err)
{
    int left = argc - optind_;
    if (t->self && left == 0)
        return true;
    if (left == 1 && !t->self) {
        t->arg = argv[optind_];
        return true;
    }
    if (left == 0) {
        vm_error_set(err, VM_EXIT_USAGE, "%s: no target given", cmd);
    } else if (left + t->self == 2) {
        const char *a = t->self ? "--self" : argv[optind_], *b = argv[optind_ + !t->self];
        vm_error_set(err, VM_EXIT_USAGE, "%s: one target expected, got two (%s and %s)", cmd, a, b);
        vm_error_hint(err, "to compare two processes or snapshots: vmmap diff %s %s", a, b);
        return false;
    } else {
        vm_error_set(err, VM_EXIT_USAGE, "%s: one target expected, got %d", cmd, left + t->self);
    }
    vm_error_hint(err, "vmmap %s PID|NAME|--self|SNAPSHOT.json|DUMP.dmp  (see `vmmap %s --help`)", cmd, cmd);
    return false;
}

int vm_capture_snapshot(int64_t pid, const vm_capture_options *opt, vm_snapshot **out, vm_error *err)
{
    char arg[24];
    snprintf(arg, sizeof arg, "%" PRId64, pid);
    return vm_capture_source(&vm_source_live, arg, opt, out, err);
}

int vm_load_target(const vm_target *t, vm_snapshot **out, vm_error *err)
{
    return vm_capture_target(t->self ? NULL : t->arg, &t->capture, out, err);
}

bool vm_cli_color(const char *mode, FILE *out)
{
    if (mode && strcmp(mode, "always") == 0)
        return true;
    if (mode && strcmp(mode, "never") == 0)
        return false;
    const char *term = getenv("TERM");
    if (getenv("NO_COLOR") || (term && strcmp(term, "dumb") == 0))
        return false;
    return isatty(fileno(out));
}
