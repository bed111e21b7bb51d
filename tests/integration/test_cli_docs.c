/* `vmmap COMMAND --help`, docs/cli.md and the man page name the same options as the parser
 * takes, mechanically: every option a command's getopt table accepts (vm_command.longopts and
 * .shortopts) is in its --help, in its section of the man page and in docs/cli.md (its row of the
 * command table, or the text around it for the options every command shares); and every option
 * --help lists or cli.md gives a command is one that command accepts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/proc_util.h"
#include "vmmap/cli/cli.h"

static const vm_command *const commands[] = {&vm_cmd_summary, &vm_cmd_show,   &vm_cmd_snapshot,
                                             &vm_cmd_heaps,   &vm_cmd_objects, &vm_cmd_report,
                                             &vm_cmd_info,    &vm_cmd_watch,   &vm_cmd_diff};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static char *cli_md;   /* docs/cli.md */
static char *man_text; /* the man page as roff, "\-" read as "-" */

static char *help_of(const vm_command *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    c->help(f);
    fclose(f);
    return buf;
}

static const vm_command *command_named(const char *name, size_t n)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strlen(commands[i]->name) == n && strncmp(commands[i]->name, name, n) == 0)
            return commands[i];
    return NULL;
}

static bool accepts_long(const vm_command *c, const char *name, size_t n)
{
    for (const struct option *o = c->longopts; o->name; o++)
        if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
            return true;
    return false;
}

static bool accepts_short(const vm_command *c, char ch)
{
    return ch != ':' && strchr(c->shortopts, ch) != NULL;
}

static bool option_char(char ch)
{
    return islower((unsigned char)ch) || isdigit((unsigned char)ch) || ch == '-';
}

/* "--name" in text as a whole option (not the start of "--name-more"). */
static bool names_long(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; (p = strstr(p, "--")); p += 2)
        if (strncmp(p + 2, name, n) == 0 && !option_char(p[2 + n]) && (p == text || p[-1] != '-'))
            return true;
    return false;
}

/* "-x" in text as a short option: "-o, ", "-q/--quiet", "-n N". */
static bool names_short(const char *text, char ch)
{
    for (const char *p = text; (p = strchr(p, '-')); p++)
        if (p[1] == ch && (p == text || p[-1] == ' ' || p[-1] == '[' || p[-1] == '(') &&
            (p[2] == ',' || p[2] == ' ' || p[2] == '/' || p[2] == ']' || p[2] == '\n'))
            return true;
    return false;
}

static int setup(void **state)
{
    (void)state;
    cli_md = pu_read_file("docs/cli.md", NULL);
    char page[512], cmd[1200];
    if (!cli_md || pu_tempdir(page, sizeof page - 16) != 0)
        return -1;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", page);
    strcat(page, "/vmmap.1");
    snprintf(cmd, sizeof cmd, "scripts/manpage.sh %s/vmmap > %s", pu_build_dir(), page);
    if (system(cmd) != 0)
        return -1;
    man_text = pu_read_file(page, NULL);
    unlink(page);
    pu_tempdir_remove(dir);
    if (!man_text)
        return -1;
    size_t o = 0;
    for (size_t i = 0; man_text[i]; i++) /* roff's minus sign back to a hyphen */
        if (!(man_text[i] == '\\' && man_text[i + 1] == '-'))
            man_text[o++] = man_text[i];
    man_text[o] = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(cli_md);
    free(man_text);
    return 0;
}

/* The commands here are the ones `vmmap --help` lists: none is left out of the checks below. */
static void test_every_command_is_checked(void **state)
{
    (void)state;
    char *bin = pu_build_path("vmmap");
    pu_run_result r;
    assert_int_equal(pu_runl(&r, NULL, bin, "--help", (char *)NULL), 0);
    const char *p = strstr(r.out, "\nCommands:\n");
    assert_non_null(p);
    size_t listed = 0;
    for (p += 11; strncmp(p, "  ", 2) == 0 && p[2] != ' '; p = strchr(p, '\n') + 1, listed++) {
        size_t n = strcspn(p + 2, " ");
        if (!command_named(p + 2, n))
            fail_msg("vmmap --help lists %.*s, which this test does not check", (int)n, p + 2);
    }
    assert_int_equal(listed, NCOMMANDS);
    pu_run_result_free(&r);
    free(bin);
}

/* Every option the parser takes is in --help; every option --help lists is taken. */
static void test_help_names_what_the_parser_takes(void **state)
{
    (void)state;
    int errors = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const vm_command *c = commands[i];
        char *help = help_of(c);
        for (const struct option *o = c->longopts; o->name; o++)
            if (!names_long(help, o->name)) {
                print_error("vmmap %s takes --%s but its --help does not say so\n", c->name, o->name);
                errors++;
            }
        for (const char *s = c->shortopts; *s; s++)
            if (*s != ':' && !names_short(help, *s)) {
                print_error("vmmap %s takes -%c but its --help does not say so\n", c->name, *s);
                errors++;
            }
        /* The option lists: lines that start with an option, two to four blanks in (deeper,
         * a line continues a description: "(as `vmmap snapshot\n    --objects`)"). */
        for (const char *line = help; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] == '\n')) {
            size_t len = strcspn(line, "\n"), lead = strspn(line, " ");
            if (lead < 2 || lead > 4 || lead >= len || line[lead] != '-')
                continue;
            for (const char *p = line + lead; p < line + len && (p = strchr(p, '-')) && p < line + len; p++) {
                if (p > line && p[-1] != ' ' && p[-1] != ',' && p[-1] != '/' && p[-1] != '[')
                    continue;
                if (p[1] == '-' && option_char(p[2])) {
                    size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
                    if (!accepts_long(c, p + 2, n)) {
                        print_error("vmmap %s --help lists --%.*s, which it does not take\n", c->name, (int)n, p + 2);
                        errors++;
                    }
                    p += 1 + n;
                } else if (isalpha((unsigned char)p[1]) && !isalpha((unsigned char)p[2]) && !accepts_short(c, p[1])) {
                    print_error("vmmap %s --help lists -%c, which it does not take\n", c->name, p[1]);
                    errors++;
                }
            }
        }
        free(help);
    }
    assert_int_equal(errors, 0);
}

/* The man page has every option of every command in that command's section. */
static void test_man_page_names_every_option(void **state)
{
    (void)state;
    int errors = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const vm_command *c = commands[i];
        char heading[64];
        snprintf(heading, sizeof heading, ".SS \"vmmap %s\"\n", c->name);
        const char *sec = strstr(man_text, heading);
        if (!sec) {
            print_error("the man page has no section for vmmap %s\n", c->name);
            errors++;
            continue;
        }
        const char *end = strstr(sec + 1, "\n.S");
        size_t n = end ? (size_t)(end - sec) : strlen(sec);
        char *text = strndup(sec, n);
        for (const struct option *o = c->longopts; o->name; o++)
            if (!names_long(text, o->name)) {
                print_error("the man page's vmmap %s does not name --%s\n", c->name, o->name);
                errors++;
            }
        free(text);
    }
    assert_int_equal(errors, 0);
}

/* The rows of cli.md's command table ("| `vmmap show TARGET` | ... |") of command c, joined;
 * the rest of the page goes to outside. */
static char *rows_of(const vm_command *c, char **outside)
{
    size_t len = strlen(cli_md);
    char *rows = calloc(1, len + 1), *rest = calloc(1, len + 1);
    assert_true(rows && rest);
    for (const char *line = cli_md; *line;) {
        size_t n = strcspn(line, "\n") + (line[strcspn(line, "\n")] == '\n');
        const char *cmd = strncmp(line, "| `vmmap ", 9) == 0 ? line + 9 : NULL;
        const char *word = cmd && strncmp(cmd, "TARGET", 6) == 0 ? "summary" : cmd;
        size_t wn = word == cmd && cmd ? strcspn(cmd, " `") : word ? strlen(word) : 0;
        bool mine = word && wn == strlen(c->name) && strncmp(word, c->name, wn) == 0;
        strncat(mine ? rows : rest, line, n);
        line += n;
    }
    *outside = rest;
    return rows;
}

/* The --options of a table row that are its command's: not those named after another command
 * ("`vmmap snapshot --heap-blocks`", "with `snapshot --objects`"). */
static int check_row_options(const vm_command *c, const char *rows)
{
    int errors = 0;
    for (const char *p = rows; (p = strstr(p, "--")); p += 2) {
        if (!option_char(p[2]) || (p > rows && p[-1] == '-'))
            continue;
        const char *w = p;
        while (w > rows && (w[-1] == ' ' || w[-1] == '`'))
            w--;
        const char *ws = w;
        while (ws > rows && islower((unsigned char)ws[-1]))
            ws--;
        const vm_command *other = command_named(ws, (size_t)(w - ws));
        if (other && other != c)
            continue;
        size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
        if (!accepts_long(c, p + 2, n)) {
            print_error("docs/cli.md gives vmmap %s --%.*s, which it does not take\n", c->name, (int)n, p + 2);
            errors++;
        }
    }
    return errors;
}

/* cli.md names every option of every command (in its row, or around the table for the shared
 * ones), and gives a command no option it does not take. */
static void test_cli_md_names_what_the_parser_takes(void **state)
{
    (void)state;
    int errors = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const vm_command *c = commands[i];
        char *outside = NULL, *rows = rows_of(c, &outside);
        if (!*rows) {
            print_error("docs/cli.md has no row for vmmap %s\n", c->name);
            errors++;
        }
        errors += check_row_options(c, rows);
        for (const struct option *o = c->longopts; o->name; o++)
            if (strcmp(o->name, "help") != 0 && !names_long(rows, o->name) && !names_long(outside, o->name)) {
                print_error("docs/cli.md does not name vmmap %s --%s\n", c->name, o->name);
                errors++;
            }
        free(rows);
        free(outside);
    }
    assert_int_equal(errors, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_command_is_checked),
        cmocka_unit_test(test_help_names_what_the_parser_takes),
        cmocka_unit_test(test_man_page_names_every_option),
        cmocka_unit_test(test_cli_md_names_what_the_parser_takes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
