/* libxlsxwriter, loaded when a workbook is written rather than when vmmap starts.
 *
 * Linked in, libxlsxwriter brings libcrypto and libminizip with it: about 1.7 ms of dynamic
 * loading and relocation on every run (a trivial program starts in 2.9 ms with -lxlsxwriter,
 * 1.2 ms without), which a `vmmap --version` or a snapshot of a small process pays and never
 * uses.  So on Linux build/vmmap does not link it: vm_xlsx_lib_load() dlopens it the first time
 * a workbook is about to be written and fills the table below with dlsym.  On Windows the
 * MinGW build links libxlsxwriter statically; the table holds its functions from the start and
 * loading is a no-op.
 *
 * Every file that calls libxlsxwriter includes this header instead of <xlsxwriter.h>.  Each
 * function's name is a macro for its entry in the table, so call sites keep the library's own
 * names (and read as its documentation does) while going through the table.  The macros are
 * object-like, not function-like, so that every use of the name -- a call or its address --
 * is the table's.  The list and the macros are kept apart (a macro cannot define macros) and
 * the build catches a difference: a function without its macro is called directly, which fails
 * to link on Linux (no -lxlsxwriter); a macro without its entry names no member of the table.
 *
 * The entries are declared with __typeof__(&function), so they keep <xlsxwriter.h>'s own
 * prototypes: a call through the table is checked exactly as a direct call would be. */
#ifndef VMMAP_REPORT_XLSX_LIB_H
#define VMMAP_REPORT_XLSX_LIB_H

#include <stdbool.h>

#include <xlsxwriter.h>

#include "../vmmap/util/error.h"

/* The libxlsxwriter functions vmmap (and its tests) use. */
#define VM_XLSX_FUNCTIONS(X)                                                                              \
    X(lxw_strerror)                                                                                       \
    X(workbook_new_opt) X(workbook_add_worksheet) X(workbook_add_format) X(workbook_add_chart)            \
    X(workbook_set_properties) X(workbook_close)                                                          \
    X(worksheet_write_string) X(worksheet_write_number) X(worksheet_write_blank)                          \
    X(worksheet_set_column) X(worksheet_set_row_opt) X(worksheet_freeze_panes) X(worksheet_autofilter)    \
    X(worksheet_outline_settings) X(worksheet_gridlines) X(worksheet_insert_chart_opt)                    \
    X(worksheet_set_landscape) X(worksheet_fit_to_pages) X(worksheet_repeat_rows) X(worksheet_set_footer) \
    X(format_set_align) X(format_set_bg_color) X(format_set_bold) X(format_set_italic)                    \
    X(format_set_bottom) X(format_set_bottom_color) X(format_set_font_color) X(format_set_font_name)      \
    X(format_set_font_size) X(format_set_indent) X(format_set_num_format)                                 \
    X(chart_add_series) X(chart_set_series_gap) X(chart_title_set_name) X(chart_title_set_name_font)      \
    X(chart_legend_set_position) X(chart_axis_set_name) X(chart_axis_set_num_format)                      \
    X(chart_axis_set_reverse) X(chart_series_set_categories) X(chart_series_set_values)                   \
    X(chart_series_set_name) X(chart_series_set_name_range) X(chart_series_set_fill)                      \
    X(chart_series_set_line) X(chart_series_set_points) X(chart_series_set_labels)                        \
    X(chart_series_set_labels_num_format)

#define VM_XLSX_ENTRY(fn) __typeof__(&fn) fn;
typedef struct vm_xlsx_table {
    VM_XLSX_FUNCTIONS(VM_XLSX_ENTRY)
} vm_xlsx_table;
#undef VM_XLSX_ENTRY

/* Empty (all NULL) on Linux until vm_xlsx_lib_load() succeeds; full from the start on Windows. */
extern vm_xlsx_table vm_xlsx_lib;

/* Makes the table usable: loads libxlsxwriter.so.4 (or libxlsxwriter.so), or the file named by
 * the test hook VMMAP_TEST_XLSX_LIB, and resolves every function.  Call it before the first
 * workbook_new_opt; once it has succeeded it returns true at once.  false with err set (exit 1,
 * naming the library and the Debian package libxlsxwriter4) when the library or one of its
 * functions is missing.  Not thread-safe: workbooks are written by the main thread. */
bool vm_xlsx_lib_load(vm_error *err);

/* xlsx_lib.c defines VM_XLSX_LIB_DIRECT: it names the real functions (in __typeof__ and, on
 * Windows, in the table's initialiser). */
#ifndef VM_XLSX_LIB_DIRECT
#define lxw_strerror (vm_xlsx_lib.lxw_strerror)
#define workbook_new_opt (vm_xlsx_lib.workbook_new_opt)
#define workbook_add_worksheet (vm_xlsx_lib.workbook_add_worksheet)
#define workbook_add_format (vm_xlsx_lib.workbook_add_format)
#define workbook_add_chart (vm_xlsx_lib.workbook_add_chart)
#define workbook_set_properties (vm_xlsx_lib.workbook_set_properties)
#define workbook_close (vm_xlsx_lib.workbook_close)
#define worksheet_write_string (vm_xlsx_lib.worksheet_write_string)
#define worksheet_write_number (vm_xlsx_lib.worksheet_write_number)
#define worksheet_write_blank (vm_xlsx_lib.worksheet_write_blank)
#define worksheet_set_column (vm_xlsx_lib.worksheet_set_column)
#define worksheet_set_row_opt (vm_xlsx_lib.worksheet_set_row_opt)
#define worksheet_freeze_panes (vm_xlsx_lib.worksheet_freeze_panes)
#define worksheet_autofilter (vm_xlsx_lib.worksheet_autofilter)
#define worksheet_outline_settings (vm_xlsx_lib.worksheet_outline_settings)
#define worksheet_gridlines (vm_xlsx_lib.worksheet_gridlines)
#define worksheet_insert_chart_opt (vm_xlsx_lib.worksheet_insert_chart_opt)
#define worksheet_set_landscape (vm_xlsx_lib.worksheet_set_landscape)
#define worksheet_fit_to_pages (vm_xlsx_lib.worksheet_fit_to_pages)
#define worksheet_repeat_rows (vm_xlsx_lib.worksheet_repeat_rows)
#define worksheet_set_footer (vm_xlsx_lib.worksheet_set_footer)
#define format_set_align (vm_xlsx_lib.format_set_align)
#define format_set_bg_color (vm_xlsx_lib.format_set_bg_color)
#define format_set_bold (vm_xlsx_lib.format_set_bold)
#define format_set_italic (vm_xlsx_lib.format_set_italic)
#define format_set_bottom (vm_xlsx_lib.format_set_bottom)
#define format_set_bottom_color (vm_xlsx_lib.format_set_bottom_color)
#define format_set_font_color (vm_xlsx_lib.format_set_font_color)
#define format_set_font_name (vm_xlsx_lib.format_set_font_name)
#define format_set_font_size (vm_xlsx_lib.format_set_font_size)
#define format_set_indent (vm_xlsx_lib.format_set_indent)
#define format_set_num_format (vm_xlsx_lib.format_set_num_format)
#define chart_add_series (vm_xlsx_lib.chart_add_series)
#define chart_set_series_gap (vm_xlsx_lib.chart_set_series_gap)
#define chart_title_set_name (vm_xlsx_lib.chart_title_set_name)
#define chart_title_set_name_font (vm_xlsx_lib.chart_title_set_name_font)
#define chart_legend_set_position (vm_xlsx_lib.chart_legend_set_position)
#define chart_axis_set_name (vm_xlsx_lib.chart_axis_set_name)
#define chart_axis_set_num_format (vm_xlsx_lib.chart_axis_set_num_format)
#define chart_axis_set_reverse (vm_xlsx_lib.chart_axis_set_reverse)
#define chart_series_set_categories (vm_xlsx_lib.chart_series_set_categories)
#define chart_series_set_values (vm_xlsx_lib.chart_series_set_values)
#define chart_series_set_name (vm_xlsx_lib.chart_series_set_name)
#define chart_series_set_name_range (vm_xlsx_lib.chart_series_set_name_range)
#define chart_series_set_fill (vm_xlsx_lib.chart_series_set_fill)
#define chart_series_set_line (vm_xlsx_lib.chart_series_set_line)
#define chart_series_set_points (vm_xlsx_lib.chart_series_set_points)
#define chart_series_set_labels (vm_xlsx_lib.chart_series_set_labels)
#define chart_series_set_labels_num_format (vm_xlsx_lib.chart_series_set_labels_num_format)
#endif

#endif
