/* The floor for tests/bench/report.sh: the same number of rows and cells as vmmap's report of the
 * synthetic snapshot, with no logic of ours.
 *
 *   floor xlsx ROWS FILE.xlsx   libxlsxwriter, constant-memory mode, ROWS x 15 cells per row as
 *                               the Regions sheet has them (3 text, 11 numbers, 1 longer text),
 *                               no formats, no outline
 *   floor csv ROWS FILE.csv     the same cells as quoted CSV with fprintf
 *
 * Built by the script (cc -O2 ... -lxlsxwriter): not part of the Makefile's standalone benches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#define TEXTS 3
#define NUMBERS 11

static const char *const details = ".text, .fini of /usr/lib/x86_64-linux-gnu/libbench.so";

static int xlsx(long rows, const char *path)
{
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Regions");
    char addr[32];
    for (long r = 0; r < rows; r++) {
        snprintf(addr, sizeof addr, "%016lX", 0x100000000L + r * 4096L);
        worksheet_write_string(ws, (lxw_row_t)r, 0, addr, NULL);
        worksheet_write_string(ws, (lxw_row_t)r, 1, "Private Data", NULL);
        worksheet_write_string(ws, (lxw_row_t)r, 2, "Read/Write", NULL);
        for (int c = 0; c < NUMBERS; c++)
            worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)(TEXTS + c), (double)(r % 97) * 4.0, NULL);
        worksheet_write_string(ws, (lxw_row_t)r, TEXTS + NUMBERS, details, NULL);
    }
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : 1;
}

static int csv(long rows, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    for (long r = 0; r < rows; r++) {
        fprintf(f, "\"%016lX\",\"Private Data\",\"Read/Write\"", 0x100000000L + r * 4096L);
        for (int c = 0; c < NUMBERS; c++)
            fprintf(f, ",\"%ld\"", (r % 97) * 4);
        fprintf(f, ",\"%s\"\r\n", details);
    }
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "xlsx") == 0)
        return xlsx(strtol(argv[2], NULL, 10), argv[3]);
    if (argc == 4 && strcmp(argv[1], "csv") == 0)
        return csv(strtol(argv[2], NULL, 10), argv[3]);
    fprintf(stderr, "usage: floor xlsx|csv ROWS FILE\n");
    return 2;
}
