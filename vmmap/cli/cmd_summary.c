/* vmmap summary TARGET: VMMap's upper pane, one row per memory type. */
#include <getopt.h>
#include <string.h>

#include "../../report/text.h"
#include "../util/clock_signal.h"
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap [summary] TARGET [OPTIONS]\n"
            "\n"
            "One row per memory type (Image, Mapped File, Shareable, Heap, Managed Heap, Stack,\n"
            "Private Data, Page Table, Unusable, Free) and a Total, with VMMap's columns:\n"
            "Size, Committed, Private, Total WS, Private WS, Shareable WS, Shared WS, Locked WS,\n"
            "Blocks, Largest; on Linux also Pss and Swap.  In Linux words: Total WS is RSS,\n"
            "Private WS is USS, Pss is PSS (pmap -X, smaps).  Sizes in K (1 K = 1,024 bytes).\n"
            "\"?\" marks a value the source could not measure (never shown as 0).  Above the table:\n"
            "committed beside resident (Total WS); on Linux committed also counts reserved memory\n"
            "not yet touched, such as thread stacks.  docs/columns.md says where each column comes\n"
            "from on each platform.\n"
            "\n"
            "On a terminal the table fits its width: the columns least needed are left out (Type,\n"
            "Size, Committed and Private WS stay) and a line says which; piped output has them all.\n"
            "\n"
            "Options:\n"
            "  --human          sizes at a glance: 340 M, 1.2 G, 128 T (1,024-based)\n"
            "  --wide           every column, however wide the terminal\n"
            "  --color=WHEN     auto (default), always, never (NO_COLOR is honoured)\n"
            "  -h, --help       this help\n"
            "\n%s",
            VM_CLI_TARGET_HELP);
}

static const struct option longopts[] = {VM_CLI_TARGET_LONGOPTS,
                                         {"color", required_argument, NULL, 1100},
                                         {"human", no_argument, NULL, 1101},
                                         {"wide", no_argument, NULL, 1102},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
static const char shortopts[] = ":hq"; /* ':' first: a missing value is told apart */

static int run(int argc, char **argv)
{
    vm_target t = {0};
    const char *color = "auto";
    bool human = false, wide = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (vm_cli_target_option(opt, &t))
            continue;
        switch (opt) {
        case 'h': help(stdout); return 0;
        case 1100: color = optarg; break;
        case 1101: human = true; break;
        case 1102: wide = true; break;
        default: return vm_cli_option_error("summary", opt, argv);
        }
    }
    vm_error err = {0};
    if (!vm_cli_take_target(&t, argc, argv, optind, "summary", &err))
        return vm_error_report(&err);
    vm_snapshot *s = NULL;
    int rc = vm_load_target(&t, &s, &err);
    if (rc != 0)
        return vm_error_report(&err);
    vm_text_options to = {.color = vm_cli_color(color, stdout), .width = wide ? 0 : vm_terminal_columns(stdout)};
    vm_text_set_human(human);
    vm_text_summary(stdout, s, &to);
    vm_snapshot_free(s);
    return 0; /* main() checks that stdout took it all */
}

const vm_command vm_cmd_summary = {"summary", "the per-type table (VMMap's upper pane)",
                                   run, help, shortopts, longopts};
