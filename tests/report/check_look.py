#!/usr/bin/env python3
"""Reads a vmmap workbook back and checks how it looks and prints (issue 10's review findings).

    check_look.py print WORKBOOK.xlsx          every sheet: landscape, one page wide; every data
                                               sheet (all but Summary) repeats its header row
    check_look.py ids WORKBOOK.xlsx            Threads: thread ids are numbers shown without
                                               thousands separators ("0", not "#,##0")
    check_look.py headers WORKBOOK.xlsx        a diff's Summary: every header fits its column
    check_look.py chart-colours WORKBOOK.xlsx TITLE
                                               the chart titled TITLE: every series has a line
                                               colour (and dash) of its own
    check_look.py chart-series WORKBOOK.xlsx TITLE NAME...
                                               the chart titled TITLE draws these series

Exit 0 when everything holds; 1 with every problem listed; 2 on usage or missing openpyxl.
"""
import re
import sys
import zipfile

try:
    import openpyxl
except ImportError:
    print("check_look.py: python3-openpyxl is not installed", file=sys.stderr)
    sys.exit(2)

PROBLEMS = []


def problem(text):
    PROBLEMS.append(text)


def check_print(path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        ps = ws.page_setup
        if ps.orientation != "landscape":
            problem(f"{ws.title}: orientation {ps.orientation!r}, expected landscape")
        if not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage:
            problem(f"{ws.title}: not fitted to pages")
        # The file omits a value equal to its default (1): openpyxl then reads None.
        wide = 1 if ps.fitToWidth is None else ps.fitToWidth
        high = 1 if ps.fitToHeight is None else ps.fitToHeight
        if str(wide) != "1":
            problem(f"{ws.title}: fit to {wide} page(s) wide, expected 1")
        if ws.title != "Summary":
            if str(high) != "0":
                problem(f"{ws.title}: fit to {high} page(s) high, expected as many as needed (0)")
            titles = ws.print_title_rows
            if not titles or titles.replace("$", "") != "1:1":
                problem(f"{ws.title}: print titles {titles!r}, expected the header row 1:1")
        if not ws.oddFooter or not ws.oddFooter.right.text or "&P" not in ws.oddFooter.right.text:
            problem(f"{ws.title}: no page number in the footer")


def check_ids(path):
    wb = openpyxl.load_workbook(path)
    ws = wb["Threads"]
    if ws.cell(1, 1).value != "Thread ID":
        problem(f"Threads: A1 is {ws.cell(1, 1).value!r}, expected 'Thread ID'")
    rows = 0
    for row in ws.iter_rows(min_row=2, max_col=1):
        c = row[0]
        if c.value is None:
            continue
        rows += 1
        if not isinstance(c.value, (int, float)):
            problem(f"Threads!{c.coordinate}: {c.value!r} is not a number")
        if c.number_format != "0":
            problem(f"Threads!{c.coordinate}: number format {c.number_format!r}, expected '0' (no separators)")
    if rows == 0:
        problem("Threads: no thread rows")


def check_headers(path):
    wb = openpyxl.load_workbook(path)
    ws = wb["Summary"]
    header = None
    for row in ws.iter_rows(max_col=1):
        if row[0].value == "Type":
            header = row[0].row
            break
    if header is None:
        problem("Summary: no header row (Type)")
        return
    for c in ws[header]:
        if c.value is None:
            continue
        letter = c.column_letter
        width = ws.column_dimensions[letter].width if letter in ws.column_dimensions else None
        # A width unit is one digit of the default font; bold header text needs about 1.1 of it
        # per character, plus the cell's padding.
        need = len(str(c.value)) * 1.1 + 1
        if width is None or width < need:
            problem(f"Summary!{c.coordinate}: header {c.value!r} needs width {need:.1f}, column is {width}")


def charts(path):
    """(title, [(series name ref, colour, dash)]) of every chart in the workbook."""
    out = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)):
            xml = z.read(name).decode("utf-8")
            title = re.search(r"<c:title>.*?</c:title>", xml, re.S)
            title_text = "".join(re.findall(r"<a:t>(.*?)</a:t>", title.group(0))) if title else ""
            series = []
            for ser in re.findall(r"<c:ser>.*?</c:ser>", xml, re.S):
                tx = re.search(r"<c:tx>(.*?)</c:tx>", ser, re.S)
                tx = tx.group(1) if tx else ""
                ref = re.search(r"<c:f>(.*?)</c:f>", tx, re.S)
                lit = re.search(r"<c:v>(.*?)</c:v>", tx, re.S)
                ln = re.search(r"<c:spPr>.*?<a:ln[^>]*>(.*?)</a:ln>", ser, re.S)
                colour = dash = None
                if ln:
                    m = re.search(r'<a:srgbClr val="([0-9A-Fa-f]{6})"', ln.group(1))
                    colour = m.group(1).upper() if m else None
                    m = re.search(r'<a:prstDash val="(\w+)"', ln.group(1))
                    dash = m.group(1) if m else "solid"
                series.append((ref.group(1) if ref else (lit.group(1) if lit else "?"), colour, dash))
            out.append((title_text, series))
    return out


def find_chart(path, title):
    for t, series in charts(path):
        if t == title:
            return series
    problem(f"no chart titled {title!r} (charts: {[t for t, _ in charts(path)]})")
    return None


def check_chart_colours(path, title):
    series = find_chart(path, title)
    if series is None:
        return
    if len(series) < 2:
        problem(f"{title}: {len(series)} series; need at least 2 to compare colours")
    seen = {}
    for name, colour, dash in series:
        if colour is None:
            problem(f"{title}: series {name} has no line colour of its own")
            continue
        if (colour, dash) in seen:
            problem(f"{title}: series {name} has the same line ({colour}, {dash}) as {seen[(colour, dash)]}")
        seen[(colour, dash)] = name


def check_chart_series(path, title, names):
    series = find_chart(path, title)
    if series is None:
        return
    found = [n for n, _, _ in series]
    for name in names:
        if name not in found:
            problem(f"{title}: no series named {name!r} (series: {found})")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, path = argv[1], argv[2]
    if mode == "print":
        check_print(path)
    elif mode == "ids":
        check_ids(path)
    elif mode == "headers":
        check_headers(path)
    elif mode == "chart-colours" and len(argv) == 4:
        check_chart_colours(path, argv[3])
    elif mode == "chart-series" and len(argv) >= 5:
        check_chart_series(path, argv[3], argv[4:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in PROBLEMS:
        print(p)
    if PROBLEMS:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
