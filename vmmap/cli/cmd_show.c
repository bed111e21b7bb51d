/* vmmap show TARGET: VMMap's lower pane, one row per allocation with its blocks beneath. */
#include <getopt.h>
#include <string.h>

#include "../../report/text.h"
#include "../model/diff.h"
#include "../util/units.h"
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "Usage: vmmap show TARGET [OPTIONS]\n"
            "\n"
            "One row per allocation (Windows: one AllocationBase; Linux: the mappings that belong\n"
            "together, e.g. a thread stack and its guard page, or all mappings of one ELF file),\n"
            "its blocks indented beneath it.  Columns: Address, Type, Size, Committed, Private,\n"
            "Total WS, Private WS, Shareable WS, Shared WS, Locked WS, on Linux Pss and Swap, Blocks,\n"
            "Protection, Details.  In Linux words: Total WS is RSS, Private WS is USS, Pss is PSS\n"
            "(as pmap -X and smaps say them); docs/columns.md defines every column.\n"
            "\n"
            "Options:\n"
            "  --type LIST      only these types, comma-separated: image, mapped, shareable, heap,\n"
            "                   managed, stack, private, pagetable, unusable, free (or VMMap's\n"
            "                   names; Page Table has no regions: its size is in the summary)\n"
            "  --min-size SIZE  only allocations at least this big (4096, 64K, 1M, 1.5G)\n"
            "  --address ADDR   explain the one region holding ADDR (hex, 0x optional, WinDbg ` ok)\n"
            "  --sort KEY       address (default), size or committed (largest first)\n"
            "                   (sorted by size or committed, Free gaps are left out unless --type\n"
            "                   free asks for them)\n"
            "  --regions-only   allocation rows only, no blocks\n"
            "  --warnings       list what could not be read and why, instead of the map\n"
            "  --human          sizes at a glance: 340 M, 1.2 G, 128 T (1,024-based)\n"
            "  --wide           every column and the whole of Details, however wide the terminal\n"
            "  --color=WHEN     auto (default), always, never\n"
            "  -h, --help       this help\n"
            "\n"
            "On a terminal the rows fit its width: the columns least needed are left out (Address,\n"
            "Type, Size, Committed, Private WS and Details stay), a line says which, and Details is\n"
            "cut with an ellipsis; piped output keeps every column in full.  Protection on Linux\n"
            "reads as pmap prints it, with p or s for a private or shared mapping: rw-p, r--s.\n"
            "\n%s",
            VM_CLI_TARGET_HELP);
}

static bool parse_sort(const char *s, vm_detail_options *o)
{
    if (strcmp(s, "address") == 0)
        o->sort = VM_SORT_ADDRESS;
    else if (strcmp(s, "size") == 0)
        o->sort = VM_SORT_SIZE;
    else if (strcmp(s, "committed") == 0)
        o->sort = VM_SORT_COMMITTED;
    else
        return false;
    return true;
}

enum { O_TYPE = 1100, O_MIN, O_ADDR, O_SORT, O_REGIONS, O_WARN };
static const struct option longopts[] = {
    VM_CLI_TARGET_LONGOPTS,
    {"type", required_argument, NULL, O_TYPE},
    {"min-size", required_argument, NULL, O_MIN},
    {"address", required_argument, NULL, O_ADDR},
    {"sort", required_argument, NULL, O_SORT},
    {"regions-only", no_argument, NULL, O_REGIONS},
    {"warnings", no_argument, NULL, O_WARN},
    VM_CLI_VIEW_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {0}};
static const char shortopts[] = ":hq"; /* ':' first: a missing value is told apart */

static int own_option(void *ctx, int opt)
{
    vm_detail_options *o = ctx;
    switch (opt) {
    case O_TYPE:
        if (!vm_diff_parse_kinds(optarg, &o->kinds))
            return vm_cli_usage_error("show", "--type %s: unknown type (try: heap,stack,image,private)", optarg);
        break;
    case O_MIN:
        if (!vm_parse_size(optarg, &o->min_size))
            return vm_cli_usage_error("show", "--min-size %s: expected a size like 4096, 64K, 1M", optarg);
        break;
    case O_ADDR:
        if (!vm_parse_address(optarg, &o->address))
            return vm_cli_usage_error("show", "--address %s: expected a hex address like 0x7ffd1234", optarg);
        o->has_address = true;
        break;
    case O_SORT:
        if (!parse_sort(optarg, o))
            return vm_cli_usage_error("show", "--sort %s: expected address, size or committed", optarg);
        break;
    case O_REGIONS: o->regions_only = true; break;
    case O_WARN: o->warnings = true; break;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    vm_cli_args args = {0};
    vm_detail_options o = {0};
    int rc = vm_cli_parse(&vm_cmd_show, argc, argv, &args, own_option, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    vm_target t = args.target;
    const vm_view_opts view = args.view;
    vm_error err = {0};
    if (!vm_cli_take_target(&t, argc, argv, optind, "show", &err))
        return vm_error_report(&err);
    vm_snapshot *s = NULL;
    if (vm_load_target(&t, &s, &err) != 0)
        return vm_error_report(&err);
    o.color = vm_cli_view_color(&view, stdout);
    o.width = vm_cli_view_width(&view, stdout);
    vm_text_set_human(view.human);
    uint64_t top;
    if (o.has_address && vm_text_address_outside(s, o.address, &top)) {
        char a[VM_UNITS_BUFSZ], t_[VM_UNITS_BUFSZ];
        vm_format_address(o.address, s->process.bits, a, sizeof a);
        vm_format_address(top, s->process.bits, t_, sizeof t_);
        vm_error_set(&err, VM_EXIT_USAGE, "--address %s: outside the user address space of %s (PID %lld), "
                                          "which ends at %s", a, s->process.name ? s->process.name : "the process",
                     (long long)s->process.pid, t_);
        vm_error_hint(&err, "addresses at or above %s are the kernel's; a user-space pointer is below it", t_);
        vm_snapshot_free(s);
        return vm_error_report(&err);
    }
    rc = vm_text_detail(stdout, s, &o);
    vm_snapshot_free(s);
    if (rc < 0) {
        vm_error_set(&err, VM_EXIT_ERROR, "out of memory");
        return vm_error_report(&err);
    }
    return rc; /* main() checks that stdout took it all */
}

const vm_command vm_cmd_show = {"show", "the detail view: allocations and their blocks",
                                run, help, shortopts, longopts};
