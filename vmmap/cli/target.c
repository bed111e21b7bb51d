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
#include "../util/clock_signal.h"
#include "../util/units.h"
#include "cli.h"

bool vm_cli_target_option(int opt, vm_target *t)
{
    switch (opt) {
    case 1001: t->self = true; return true;
    case 1002: t->capture.skip_heaps = true; t->capture.asked |= VM_ASK_NO_HEAPS; return true;
    case 1003: t->capture.skip_sections = true; t->capture.asked |= VM_ASK_NO_SECTIONS; return true;
    case 1004: t->capture.image_path = optarg; t->capture.asked |= VM_ASK_IMAGE_PATH; return true;
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

/* The first heap the walk could not do, and why (its walk note), for the warning below. */
static const vm_heap *first_unwalked(const vm_snapshot *s, size_t *n)
{
    const vm_heap *first = NULL;
    *n = 0;
    for (size_t i = 0; i < s->nheaps; i++)
        if (!s->heaps[i].stats_known) {
            (*n)++;
            first = first ? first : &s->heaps[i];
        }
    return first;
}

/* --heap-blocks and --objects asked of a target whose memory holds less than they need (a dump
 * without full memory, a core whose heap pages were left out): honoured as far as it goes, and
 * said on stderr, not only among the snapshot's warnings. */
static void say_what_was_not_read(const vm_snapshot *s, uint32_t asked)
{
    if (asked & VM_ASK_HEAP_BLOCKS) {
        size_t n;
        const vm_heap *h = first_unwalked(s, &n);
        if (s->nheaps == 0)
            fprintf(stderr, "vmmap: warning: --heap-blocks: the target has no heap to walk\n");
        else if (h)
        {
            const char *why = h->walk_note ? h->walk_note : "no reason recorded";
            if (strncmp(why, "not walked: ", 12) == 0)
                why += 12;
            fprintf(stderr, "vmmap: warning: --heap-blocks: %zu of %zu heap%s not walked (heap %d: %s)\n", n,
                    s->nheaps, vm_plural(s->nheaps), (int)h->id, why);
        }
    }
    for (size_t i = 0; i < s->nwarnings; i++) {
        const char *code = s->warnings[i].code ? s->warnings[i].code : "";
        if (((asked & VM_ASK_OBJECTS) && strncmp(code, "census", 6) == 0) ||
            ((asked & (VM_ASK_HEAP_BLOCKS | VM_ASK_OBJECTS)) && strcmp(code, "memory-unavailable") == 0))
            fprintf(stderr, "vmmap: warning: %s\n", s->warnings[i].message);
    }
}

int vm_load_target(const vm_target *t, vm_snapshot **out, vm_error *err)
{
    int rc = vm_capture_target(t->self ? NULL : t->arg, &t->capture, out, err);
    if (rc == VM_EXIT_OK && !t->capture.quiet)
        say_what_was_not_read(*out, t->capture.asked);
    return rc;
}

bool vm_cli_view_option(int opt, vm_view_opts *v)
{
    switch (opt) {
    case 1010: v->color = optarg; return true;
    case 1011: v->human = true; return true;
    case 1012: v->wide = true; return true;
    default: return false;
    }
}

size_t vm_cli_view_width(const vm_view_opts *v, FILE *out)
{
    return v->wide ? 0 : vm_terminal_columns(out);
}

bool vm_cli_view_color(const vm_view_opts *v, FILE *out)
{
    return vm_cli_color(v->color ? v->color : "auto", out);
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
