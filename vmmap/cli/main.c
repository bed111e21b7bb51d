/* vmmap: maps a process's virtual memory and explains it.  Dispatches to one file per command. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "../util/atomic_file.h"
#include "../version.h"
#include "cli.h"

static const vm_command *const commands[] = {&vm_cmd_summary, &vm_cmd_show, &vm_cmd_snapshot, &vm_cmd_heaps,
                                             &vm_cmd_objects, &vm_cmd_report, &vm_cmd_info, &vm_cmd_watch,
                                             &vm_cmd_diff};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out,
            "vmmap %s: map a process's virtual memory and explain it (VMMap's types and columns).\n"
            "\n"
            "Usage: vmmap [COMMAND] TARGET [OPTIONS]\n"
            "       vmmap TARGET                  the summary table (same as `vmmap summary TARGET`)\n"
            "\n"
            "Commands:\n",
            VMMAP_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "\n%s"
            "\nExamples:\n"
            "  vmmap 1234                              summary of process 1234\n"
            "  vmmap show 1234 --type heap,stack       heaps and stacks, one row per allocation\n"
            "  vmmap show 1234 --address 0x7f12a0000   explain the region holding an address\n"
            "  vmmap snapshot firefox -o ff.json       save a snapshot; view it later anywhere:\n"
            "  vmmap show ff.json --sort committed --min-size 1M\n"
            "  vmmap snapshot 1234 -o - | jq '.summary'\n"
            "  vmmap report ff.json -o ff.xlsx         a workbook to send for review (or .csv)\n"
            "  vmmap diff ff.json firefox              what changed since the snapshot\n"
            "  vmmap heaps 1234                        inside the heaps: busy, free, cached, owners\n"
            "  vmmap objects 1234 --top 20             which C++ types fill the heap\n"
            "\n"
            "Exit codes: 0 ok, 1 error, 2 usage, 3 target not found, 4 access denied,\n"
            "            5 bad input file, 6 target exited during the scan, 7 not supported by this build\n"
            "\n"
            "Environment: VMMAP_THREADS=N (at most N threads; default one per CPU),\n"
            "             VMMAP_FSYNC=1 (sync output files to disk before renaming them into place),\n"
            "             VMMAP_TIMINGS=1 (print how long each phase took, on stderr),\n"
            "             VMMAP_DIFF_TIMINGS=1 (vmmap diff: load, diff and write times, on stderr)\n"
            "\n"
            "`vmmap COMMAND --help` describes each command; docs/ in the source tree has the details\n"
            "(column meanings per platform, snapshot format).\n",
            VM_CLI_TARGET_HELP);
}

static const vm_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

/* Edits (insert, delete, replace a letter) between a and b, for names of up to 15 letters. */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b), row[16];
    if (n > 15 || m > 15)
        return 99;
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            diag = up;
            row[j] = best;
        }
    }
    return row[m];
}

/* The command a mistyped word most likely meant ("heap", "snapsht"), or NULL. */
static const vm_command *meant(const char *word)
{
    const vm_command *best = NULL;
    size_t d = 3;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        size_t e = distance(word, commands[i]->name);
        if (e < d) {
            d = e;
            best = commands[i];
        }
    }
    return best;
}

/* `vmmap WORD X ...` where WORD is no command, no file and no PID but reads like a command: the
 * summary would only say "one target expected, got two"; say which command was meant instead. */
static bool mistyped_command(int argc, char **argv)
{
    const char *w = argv[1];
    struct stat st;
    if (argc < 3 || w[0] == '-' || strchr(w, '/') || stat(w, &st) == 0 || w[strspn(w, "0123456789")] == '\0')
        return false;
    const vm_command *c = meant(w);
    if (!c)
        return false;
    vm_error e;
    vm_error_set(&e, VM_EXIT_USAGE, "%s: no such command", w);
    vm_error_hint(&e, "did you mean `vmmap %s`? (`vmmap --help` lists the commands)", c->name);
    vm_error_report(&e);
    return true;
}

static int dispatch(int argc, char **argv);

/* Whatever a command printed must have reached stdout: a full disk or a closed pipe is an error
 * the user hears about (exit 1), not a silently short table. */
/* Big arrays (60,000 mappings, blocks, regions: megabytes each) grow by doubling.  glibc raises its
 * mmap threshold each time such a block is freed, after which big blocks come from the heap, and
 * growing one copies it whole into fresh pages; at a fixed threshold they stay mappings of their
 * own, which realloc grows in place (mremap). */
static void tune_allocator(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

int main(int argc, char **argv)
{
    tune_allocator();
    opterr = 0; /* the commands name a bad option themselves (vm_cli_option_error): one message */
    int rc = dispatch(argc, argv);
    vm_error err = {0};
    if (!vm_stdout_finish(&err) && rc == 0)
        rc = vm_error_report(&err);
    return rc;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("vmmap %s\n", VMMAP_VERSION);
        return 0;
    }
    if (strcmp(first, "help") == 0) {
        const vm_command *c = argc > 2 ? find_command(argv[2]) : NULL;
        if (argc > 2 && !c) {
            const vm_command *m = meant(argv[2]);
            vm_error e;
            vm_error_set(&e, VM_EXIT_USAGE, "help %s: no such command", argv[2]);
            if (m)
                vm_error_hint(&e, "did you mean `vmmap help %s`? (`vmmap --help` lists the commands)", m->name);
            else
                vm_error_hint(&e, "`vmmap --help` lists the commands");
            return vm_error_report(&e);
        }
        if (c)
            c->help(stdout);
        else
            usage(stdout);
        return 0;
    }
    const vm_command *cmd = find_command(first);
    if (cmd)
        return cmd->run(argc - 1, argv + 1);
    if (mistyped_command(argc, argv))
        return VM_EXIT_USAGE;
    /* `vmmap TARGET [OPTIONS]`: the summary.  argv[0] stands in for the command name. */
    argv[0] = (char *)"summary";
    return vm_cmd_summary.run(argc, argv);
}
