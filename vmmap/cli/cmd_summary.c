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
            "Blocks, Largest; on Linux also Pss and Swap.  Sizes in KiB.  \"?\" marks a value the\n"
            "source could not measure (never shown as 0).  docs/columns.md says where each\n"
            "column comes from on each platform.\n"
            "\n"
            "Options:\n"
            "  --color=WHEN     auto (default), always, never (NO_COLOR is honoured)\n"
            "  -h, --help       this help\n"
            "\n%s",
            VM_CLI_TARGET_HELP);
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        VM_CLI_TARGET_LONGOPTS, {"color", required_argument, NULL, 1100}, {"help", no_argument, NULL, 'h'}, {0}};
    vm_target t = {0};
    const char *color = "auto";
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        if (vm_cli_target_option(opt, &t))
            continue;
        switch (opt) {
        case 'h': help(stdout); return 0;
        case 1100: color = optarg; break;
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
    vm_text_options to = {.color = vm_cli_color(color, stdout)};
    vm_text_summary(stdout, s, &to);
    vm_snapshot_free(s);
    return 0; /* main() checks that stdout took it all */
}

const vm_command vm_cmd_summary = {"summary", "the per-type table (VMMap's upper pane)", run, help};
