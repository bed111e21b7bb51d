/* A command's options, parsed the same way for every command: the shared ones (the target's,
 * the terminal's, -o) here, its own by its callback; and one message for one mistake: getopt's
 * own complaint is switched off (main sets opterr = 0) and the command says what was wrong, in
 * our error format. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

int vm_cli_parse(const vm_command *cmd, int argc, char **argv, vm_cli_args *a, vm_cli_option_fn own, void *ctx)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd->shortopts, cmd->longopts, NULL)) != -1) {
        if (vm_cli_target_option(opt, &a->target))
            continue;
        if (vm_cli_view_option(opt, &a->view)) {
            const char *c = a->view.color;
            if (opt == 1010 && strcmp(c, "auto") != 0 && strcmp(c, "always") != 0 && strcmp(c, "never") != 0)
                return vm_cli_usage_error(cmd->name, "--color %s: expected auto, always or never", c);
            continue;
        }
        if (opt == 'h') {
            cmd->help(stdout);
            return -1;
        }
        if (opt == 'o') {
            a->output = optarg;
            continue;
        }
        if (opt == '?' || opt == ':' || !own)
            return vm_cli_option_error(cmd->name, opt, argv);
        int rc = own(ctx, opt);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int vm_cli_option_error(const char *cmd, int opt, char **argv)
{
    /* argv[optind - 1] is the word getopt was looking at: "-5", "--bogus=1", "-qZ", "--type". */
    const char *word = optind > 0 ? argv[optind - 1] : "";
    char text[64];
    if (optopt && word[0] == '-' && word[1] != '-')
        snprintf(text, sizeof text, "-%c", optopt);
    else
        snprintf(text, sizeof text, "%.*s", (int)strcspn(word, "="), word);
    if (opt == ':')
        return vm_cli_usage_error(cmd, "option %s needs a value", text);
    return vm_cli_usage_error(cmd, "unknown option %s", text);
}
