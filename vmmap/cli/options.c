/* One message for one mistake on the command line: getopt's own complaint is switched off (main
 * sets opterr = 0) and the command says what was wrong, in our error format. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

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
