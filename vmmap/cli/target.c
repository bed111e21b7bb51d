/* Turning a command-line target into a snapshot: live capture through the platform source, or a
 * saved snapshot file.  Every command that takes a PID takes a snapshot file the same way. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../report/json.h"
#include "../classify/classify.h"
#include "../sources/minidump/minidump_source.h"
#include "../util/timings.h"
#include "../util/xalloc.h"
#include "../version.h"
#include "cli.h"

bool vm_cli_target_option(int opt, vm_target *t)
{
    switch (opt) {
    case 1001: t->self = true; return true;
    case 1002: t->capture.skip_heaps = true; return true;
    case 1003: t->capture.skip_sections = true; return true;
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

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Minidumps by name (.dmp, .mdmp, .dmp.xz, any case); others are recognised by their signature. */
static bool is_minidump_name(const char *s)
{
    static const char *const EXT[] = {".dmp", ".mdmp", ".dmp.xz", ".mdmp.xz"};
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof EXT / sizeof EXT[0]; i++) {
        size_t m = strlen(EXT[i]);
        if (n >= m && strcasecmp(s + n - m, EXT[i]) == 0)
            return true;
    }
    return false;
}

static char *utc_now(void)
{
    time_t now = time(NULL);
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&now, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return NULL;
    return vm_strdup(buf);
}

int vm_capture_snapshot(int64_t pid, const vm_capture_options *opt, vm_snapshot **out, vm_error *err)
{
    vm_facts facts = {0};
    facts.snap = vm_snapshot_new();
    if (!facts.snap) {
        vm_error_set(err, VM_EXIT_ERROR, "out of memory");
        return VM_EXIT_ERROR;
    }
    facts.snap->tool_version = vm_strdup(VMMAP_VERSION);
    facts.snap->taken_at = utc_now();
    vm_timing_mark("capture start");
    int rc = vm_platform_capture(pid, opt, &facts, err);
    if (rc == VM_EXIT_OK && !facts.classified) {
        rc = vm_classify(&facts, err);
        vm_timing_mark("classify");
    }
    vm_facts_free_blocks(&facts);
    if (rc != VM_EXIT_OK) {
        vm_snapshot_free(facts.snap);
        return rc;
    }
    *out = facts.snap;
    return VM_EXIT_OK;
}

int vm_load_target(const vm_target *t, vm_snapshot **out, vm_error *err)
{
    *out = NULL;
    if (t->self)
        return vm_capture_snapshot(vm_platform_self_pid(), &t->capture, out, err);
    const char *arg = t->arg;
    if (all_digits(arg)) {
        errno = 0;
        long long pid = strtoll(arg, NULL, 10);
        if (errno || pid <= 0) {
            vm_error_set(err, VM_EXIT_NOT_FOUND, "no process with PID %s", arg);
            return VM_EXIT_NOT_FOUND;
        }
        return vm_capture_snapshot((int64_t)pid, &t->capture, out, err);
    }
    if (is_minidump_name(arg) || vm_md_file_sniff(arg))
        return vm_minidump_capture(arg, out, err);
    struct stat st;
    if (ends_with(arg, ".json") || strchr(arg, '/') || (stat(arg, &st) == 0 && S_ISREG(st.st_mode))) {
        *out = vm_snapshot_read_json(arg, err);
        return *out ? VM_EXIT_OK : err->code;
    }
    int64_t pid = 0;
    int rc = vm_platform_find_pid(arg, &pid, err);
    if (rc != VM_EXIT_OK)
        return rc;
    return vm_capture_snapshot(pid, &t->capture, out, err);
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
