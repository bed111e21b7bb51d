/* vmmap summary TARGET: VMMap's upper pane, one row per memory type. */
#include <getopt.h>
#include <string.h>

#include "../../report/text.h"
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
                                         VM_CLI_VIEW_LONGOPTS,
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
static const char shortopts[] = ":hq"; /* ':' first: a missing value is told apart */

static int run(int argc, char **argv)
{
    vm_cli_args a = {0};
    int rc = vm_cli_parse(&vm_cmd_summary, argc, argv, &a, NULL, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    vm_target t = a.target;
    const vm_view_opts view = a.view;
    vm_error err = {0};
    if (!vm_cli_take_target(&t, argc, argv, optind, "summary", &err))
        return vm_error_report(&err);
    vm_snapshot *s = NULL;
    if (vm_load_target(&t, &s, &err) != 0)
        return vm_error_report(&err);
    vm_text_options to = {.color = vm_cli_view_color(&view, stdout), .width = vm_cli_view_width(&view, stdout)};
    vm_text_set_human(view.human);
    vm_text_summary(stdout, s, &to);
    vm_snapshot_free(s);
    return 0; /* main() checks that stdout took it all */
}

const vm_command vm_cmd_summary = {"summary", "the per-type table (VMMap's upper pane)",
                                   run, help, shortopts, longopts};
