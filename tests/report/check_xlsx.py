#!/usr/bin/env python3
"""Reads a vmmap report back and checks it against the snapshot it was made from.

    check_xlsx.py xlsx SNAPSHOT.json REPORT.xlsx   the workbook against the snapshot
    check_xlsx.py csv  SNAPSHOT.json REPORT.csv    the CSV against the snapshot
    check_xlsx.py heapscsv SNAPSHOT.json HEAPS.csv  `vmmap heaps -o HEAPS.csv` against the snapshot
    check_xlsx.py live REPORT.xlsx                 a workbook of a live process: structure, and
                                                   Summary totals against its own Regions sheet

The expected values are computed here from the snapshot's blocks, independently of vmmap's C
code, by the rules of docs/columns.md: a type's value is the sum over its blocks, unknown (null)
when any block's is; Page Table comes from "page_table"; Total is every type but Free.  Display
rules (docs/reports.md): a type without blocks is an empty row, Free has no counters, Page Table
no Blocks/Largest; an unknown value is an empty cell.

Exit 0 when everything matches; 1 with every difference listed; 2 on usage or missing openpyxl.
"""
import csv
import io
import json
import math
import sys

TYPES = ["Image", "Mapped File", "Shareable", "Heap", "Managed Heap", "Stack", "Private Data",
         "Page Table", "Unusable", "Free"]
COUNTERS = [("committed", "Committed"), ("private", "Private"), ("total_ws", "Total WS"),
            ("private_ws", "Private WS"), ("shareable_ws", "Shareable WS"),
            ("shared_ws", "Shared WS"), ("locked_ws", "Locked WS"), ("pss", "Pss"), ("swap", "Swap")]
VMMAP_SUMMARY = ["Type", "Size", "Committed", "Private", "Total WS", "Private WS", "Shareable WS",
                 "Shared WS", "Locked WS", "Blocks", "Largest"]
VMMAP_DETAILS = ["Address", "Type", "Size", "Committed", "Private", "Total WS", "Private WS",
                 "Shareable WS", "Shared WS", "Locked WS", "Blocks", "Protection", "Details"]
SHEETS = ["Summary", "Regions", "Heaps", "Threads", "Modules"]

problems = []


def problem(msg):
    problems.append(msg)


def finish(what):
    if problems:
        print(f"{what}: {len(problems)} difference(s):")
        for p in problems[:60]:
            print("  " + p)
        if len(problems) > 60:
            print(f"  ... and {len(problems) - 60} more")
        sys.exit(1)
    print(f"{what}: ok")
    sys.exit(0)


# ---- expected values from the snapshot ---------------------------------------------------------

def blocks_of(snap):
    for r in snap["regions"]:
        for b in r["blocks"]:
            yield b


def linux_columns(snap):
    return any(b.get("pss") is not None or b.get("swap") is not None for b in blocks_of(snap))


def add(row, b):
    row["size"] += b["size"]
    row["blocks"] += 1
    row["largest"] = max(row["largest"], b["size"])
    for key, _ in COUNTERS:
        v = b.get(key)
        row[key] = None if v is None or row[key] is None else row[key] + v


def empty_row():
    row = {"size": 0, "blocks": 0, "largest": 0}
    row.update({key: 0 for key, _ in COUNTERS})
    return row


def expected_summary(snap):
    """Type name -> {column title: bytes/count or None (empty cell)}, plus "Total"."""
    raw = {t: empty_row() for t in TYPES}
    for b in blocks_of(snap):
        add(raw[b["type"]], b)
    pt = snap.get("page_table")
    ptrow = raw["Page Table"]
    if pt is None:
        ptrow.update({key: None for key, _ in COUNTERS})
    else:
        ptrow.update(size=pt, committed=pt, private=pt, largest=pt)
    total = empty_row()
    for t in TYPES:
        if t == "Free":
            continue
        if t == "Page Table" and pt is None:
            total["committed"] = total["private"] = None
            continue
        r = raw[t]
        total["size"] += r["size"]
        total["blocks"] += r["blocks"]
        total["largest"] = max(total["largest"], r["largest"])
        for key, _ in COUNTERS:
            total[key] = None if r[key] is None or total[key] is None else total[key] + r[key]

    def shown(name, r):
        cells = {"Size": r["size"], "Blocks": r["blocks"], "Largest": r["largest"]}
        cells.update({title: r[key] for key, title in COUNTERS})
        if name == "Page Table":
            cells["Blocks"] = cells["Largest"] = None
            if pt is None:
                cells["Size"] = None
        elif name != "Total" and r["blocks"] == 0:
            cells = {k: None for k in cells}
        elif name == "Free":
            cells.update({title: None for _, title in COUNTERS})
        return cells

    out = {t: shown(t, raw[t]) for t in TYPES}
    out["Total"] = shown("Total", total)
    return out


def region_counters(region):
    row = empty_row()
    for b in region["blocks"]:
        add(row, b)
    return row


def hex_address(a, bits):
    v = int(a, 16)
    return f"{v:08X}" if bits == 32 and v <= 0xFFFFFFFF else f"{v:016X}"


# ---- the workbook ------------------------------------------------------------------------------

def load_workbook(path):
    try:
        import openpyxl
    except ImportError:
        print("check_xlsx: python3-openpyxl is not installed (apt-get install python3-openpyxl)")
        sys.exit(2)
    return openpyxl.load_workbook(path)


def header_map(ws, row):
    return {c.value: c.column for c in ws[row] if c.value is not None}


def check_number(where, cell, expected, unit=1024):
    """expected: bytes (unit 1024: the cell holds K) or a count (unit 1), or None for empty."""
    if expected is None:
        if cell.value is not None:
            problem(f"{where}: expected an empty cell (unknown / not applicable), found {cell.value!r}")
        return
    if cell.data_type != "n" or not isinstance(cell.value, (int, float)):
        problem(f"{where}: expected a number, found {cell.value!r} (type {cell.data_type})")
        return
    if abs(cell.value * unit - expected) > 1e-6 * max(1, expected):
        problem(f"{where}: expected {expected / unit:g} ({expected} bytes), found {cell.value!r}"
                if unit != 1 else f"{where}: expected {expected}, found {cell.value!r}")


def check_text(where, cell, expected):
    if not expected:
        if cell.value not in (None, ""):
            problem(f"{where}: expected empty, found {cell.value!r}")
        return
    if cell.data_type != "s" or cell.value != expected:
        problem(f"{where}: expected text {expected!r}, found {cell.value!r} (type {cell.data_type})")


def find_type_table(ws):
    for row in ws.iter_rows():
        if row[0].value == "Type":
            return row[0].row
    problem("Summary: no type table (no row starting with 'Type')")
    return None


def check_summary(wb, snap):
    ws = wb["Summary"]
    head = find_type_table(ws)
    if head is None:
        return
    cols = header_map(ws, head)
    linux = linux_columns(snap)
    for title in ("Pss", "Swap"):
        if (title in cols) != linux:
            problem(f"Summary: column {title} {'missing' if linux else 'present without Linux values'}")
    want = expected_summary(snap)
    names = ["Total"] + TYPES
    for i, name in enumerate(names):
        r = head + 1 + i
        if ws.cell(r, 1).value != name:
            problem(f"Summary row {r}: expected type {name!r}, found {ws.cell(r, 1).value!r}")
            continue
        for title, expected in want[name].items():
            if title not in cols:
                continue
            unit = 1 if title == "Blocks" else 1024
            check_number(f"Summary {name}/{title}", ws.cell(r, cols[title]), expected, unit)


def regions_rows(ws):
    """(row number, outline level) of every data row of a sheet."""
    for r in range(2, ws.max_row + 1):
        yield r, ws.row_dimensions[r].outline_level or 0


def check_regions(wb, snap):
    ws = wb["Regions"]
    cols = header_map(ws, 1)
    for title in ("Address", "Type", "Size", "Blocks", "Protection", "Details"):
        if title not in cols:
            problem(f"Regions: no column {title!r}")
            return
    if ws.freeze_panes != "A2":
        problem(f"Regions: header not frozen (freeze_panes {ws.freeze_panes!r})")
    if not ws.auto_filter.ref:
        problem("Regions: no autofilter")
    bits = snap["process"].get("bits", 64)
    rows = list(regions_rows(ws))
    expected = []
    for reg in snap["regions"]:
        expected.append((0, reg, None))
        expected.extend((1, reg, b) for b in reg["blocks"])
    if len(rows) != len(expected):
        problem(f"Regions: {len(rows)} data rows, expected {len(expected)} "
                f"({len(snap['regions'])} regions + their blocks)")
    got_regions = {ws.cell(r, cols["Address"]).value for r, lvl in rows if lvl == 0}
    want_regions = {hex_address(reg["address"], bits) for reg in snap["regions"]}
    for a in sorted(want_regions - got_regions):
        problem(f"Regions: region {a} of the snapshot has no row")
    for a in sorted(got_regions - want_regions):
        problem(f"Regions: row for {a}, which is no region of the snapshot")
    for (r, lvl), (want_lvl, reg, b) in zip(rows, expected):
        item = b if b else reg
        where = f"Regions row {r} ({'block' if b else 'region'} {item['address']})"
        if lvl != want_lvl:
            problem(f"{where}: outline level {lvl}, expected {want_lvl}")
        check_text(f"{where} Address", ws.cell(r, cols["Address"]), hex_address(item["address"], bits))
        check_text(f"{where} Type", ws.cell(r, cols["Type"]), item["type"])
        check_number(f"{where} Size", ws.cell(r, cols["Size"]), item["size"])
        check_text(f"{where} Details", ws.cell(r, cols["Details"]), item.get("details"))
        counters = b if b else region_counters(reg)
        for key, title in COUNTERS:
            if title in cols:
                value = None if item["type"] == "Free" else counters.get(key)
                check_number(f"{where} {title}", ws.cell(r, cols[title]), value)
        if b:
            check_text(f"{where} Protection", ws.cell(r, cols["Protection"]), b["protection"])
            check_number(f"{where} Blocks", ws.cell(r, cols["Blocks"]), None, 1)
        else:
            check_number(f"{where} Blocks", ws.cell(r, cols["Blocks"]), len(reg["blocks"]), 1)


def check_outline_sheet(wb, name, parents, children_of):
    ws = wb[name]
    rows = list(regions_rows(ws))
    want = []
    for p in parents:
        want.append(0)
        want.extend(1 for _ in children_of(p))
    got = [lvl for _, lvl in rows]
    if got != want:
        problem(f"{name}: outline levels {got[:20]}..., expected {want[:20]}... "
                f"({len(got)} rows, expected {len(want)})")


def check_lists(wb, snap):
    check_outline_sheet(wb, "Heaps", snap["heaps"], lambda h: h["parts"])
    check_outline_sheet(wb, "Modules", snap["modules"], lambda m: m["sections"])
    check_outline_sheet(wb, "Threads", snap["threads"], lambda t: [])
    ws = wb["Threads"]
    for i, t in enumerate(snap["threads"]):
        check_number(f"Threads row {i + 2} Thread ID", ws.cell(i + 2, 1), t["tid"], 1)
    ws = wb["Modules"]
    r = 2
    for m in snap["modules"]:
        check_text(f"Modules row {r} path", ws.cell(r, 1), m["path"])
        check_number(f"Modules row {r} size", ws.cell(r, 3), m["size"])
        r += 1 + len(m["sections"])


# The Heaps sheet's walk columns (issue 11): (stats key, column title, unit).
HEAP_STATS = [("busy_blocks", "Busy blocks", 1), ("busy_bytes", "Busy", 1024), ("free_blocks", "Free blocks", 1),
              ("free_bytes", "Free", 1024), ("cached_blocks", "Cached blocks", 1), ("cached_bytes", "Cached", 1024),
              ("largest_free", "Largest free", 1024), ("overhead_bytes", "Overhead", 1024)]


def check_heap_stats(wb, snap):
    """Each heap row's statistics against the snapshot's; empty cells for a heap not walked."""
    ws = wb["Heaps"]
    cols = header_map(ws, 1)
    r = 2
    for h in snap["heaps"]:
        st = h.get("stats")
        for key, title, unit in HEAP_STATS:
            check_number(f"Heaps row {r} {title}", ws.cell(r, cols[title]), st[key] if st else None, unit)
        frag = ws.cell(r, cols["Fragmentation"]).value
        if (frag is None) != (st is None) or (st and abs(frag - st["fragmentation"]) > 1e-9):
            problem(f"Heaps row {r} Fragmentation: {frag!r}, expected {st and st['fragmentation']!r}")
        r += 1 + len(h["parts"])


def check_sizes_sheet(wb, snap):
    """Every walked heap's size table, biggest bytes first within a heap."""
    ws = wb["Sizes"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    want = []
    for h in snap["heaps"]:
        if h.get("stats") is None:
            continue
        zs = sorted(h["sizes"], key=lambda z: (-(z["size"] * (z["busy"] + z["free"] + z["cached"])), z["size"]))
        want += [[h["id"], h["kind"], z["size"], z["busy"], z["free"], z["cached"]] for z in zs]
    got = [row[:6] for row in rows]
    if got != want:
        problem(f"Sizes: rows {got[:5]}... expected {want[:5]}... ({len(got)} rows, expected {len(want)})")
    for i, (row, w) in enumerate(zip(rows, want)):
        if abs(row[6] * 1024 - w[2] * (w[3] + w[4] + w[5])) > 1e-6:
            problem(f"Sizes row {i + 2} Bytes: {row[6]!r} K, expected {w[2] * (w[3] + w[4] + w[5])} bytes")


def walked(snap):
    return any(h.get("stats") is not None for h in snap["heaps"])


def check_sheets(wb, warnings, snap=None):
    sheets = SHEETS[:3] + (["Sizes"] if snap and walked(snap) else []) + SHEETS[3:]
    want = sheets + (["Warnings"] if warnings else [])
    if wb.sheetnames != want:
        problem(f"sheets {wb.sheetnames}, expected {want}")
    if warnings and "Warnings" in wb.sheetnames:
        ws = wb["Warnings"]
        got = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(2, ws.max_row + 1)]
        exp = [(w["code"], w["message"]) for w in warnings]
        if got != exp:
            problem(f"Warnings: {got[:5]} expected {exp[:5]}")


def check_xlsx(snap_path, path):
    snap = json.load(open(snap_path))
    wb = load_workbook(path)
    check_sheets(wb, snap["warnings"], snap)
    if "Summary" in wb.sheetnames:
        check_summary(wb, snap)
    if "Regions" in wb.sheetnames:
        check_regions(wb, snap)
    if not problems:
        check_lists(wb, snap)
    if not problems:
        check_heap_stats(wb, snap)
    if not problems and walked(snap):
        check_sizes_sheet(wb, snap)
    finish(path)


def check_live(path):
    """A workbook without its snapshot: Summary's totals against its own Regions sheet."""
    wb = load_workbook(path)
    for name in SHEETS:
        if name not in wb.sheetnames:
            problem(f"no sheet {name}")
    if problems:
        finish(path)
    ws = wb["Regions"]
    cols = header_map(ws, 1)
    size = {}
    levels = set()
    for r, lvl in regions_rows(ws):
        levels.add(lvl)
        addr = ws.cell(r, cols["Address"])
        if addr.data_type != "s":
            problem(f"Regions row {r}: address {addr.value!r} is not text")
        if lvl == 1:
            t = ws.cell(r, cols["Type"]).value
            size[t] = size.get(t, 0) + round(ws.cell(r, cols["Size"]).value * 1024)
    if levels != {0, 1}:
        problem(f"Regions: outline levels {sorted(levels)}, expected [0, 1]")
    sm = wb["Summary"]
    head = find_type_table(sm)
    scol = header_map(sm, head)["Size"]
    names = ["Total"] + TYPES
    page_table = sm.cell(head + 1 + names.index("Page Table"), scol).value  # kernel, no blocks
    for i, name in enumerate(names):
        cell = sm.cell(head + 1 + i, scol)
        if name == "Page Table":
            continue
        want = size.get(name)
        if name == "Total":
            want = sum(v for t, v in size.items() if t != "Free") + round((page_table or 0) * 1024)
        check_number(f"Summary {name}/Size", cell, want)
    finish(path)


# ---- CSV ---------------------------------------------------------------------------------------

def csv_tables(path):
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    if "\r\n" not in text:
        problem("CSV: lines do not end in CRLF (RFC 4180)")
    tables, cur = [], []
    for row in csv.reader(io.StringIO(text, newline="")):
        if not row:
            if cur:
                tables.append(cur)
            cur = []
        else:
            cur.append(row)
    if cur:
        tables.append(cur)
    return tables


def kb_text(v):
    return "" if v is None else str(math.ceil(v / 1024))


def compare_row(where, got, header, want):
    for title, value in want.items():
        if title not in header:
            problem(f"{where}: no column {title!r}")
            continue
        cell = got[header.index(title)] if header.index(title) < len(got) else "<missing>"
        if cell != value:
            problem(f"{where} {title}: expected {value!r}, found {cell!r}")


def csv_summary_want(name, cells):
    return {t: ("" if v is None else str(v) if t == "Blocks" else kb_text(v)) for t, v in cells.items()}


def csv_detail_want(item, counters, is_block, bits):
    want = {
        "Address": ("  " if is_block else "") + hex_address(item["address"], bits),
        "Type": item["type"],
        "Size": kb_text(item["size"]),
        "Details": item.get("details") or "",
        "Blocks": "" if is_block else str(len(item["blocks"])),
    }
    if is_block:
        want["Protection"] = item["protection"]
    for key, title in COUNTERS:
        want[title] = "" if item["type"] == "Free" else kb_text(counters.get(key))
    return want


def check_csv(snap_path, path):
    snap = json.load(open(snap_path))
    tables = csv_tables(path)
    if len(tables) != 3:
        problem(f"CSV: {len(tables)} blank-line separated tables, expected 3 (process, summary, details)")
        finish(path)
    facts = {r[0]: r[1] for r in tables[0]}
    if facts.get("Process:") != snap["process"]["name"] or facts.get("PID:") != str(snap["process"]["pid"]):
        problem(f"CSV: process facts {facts.get('Process:')!r}/{facts.get('PID:')!r}")
    linux = linux_columns(snap)
    extra = ["Pss", "Swap"] if linux else []
    summary, details = tables[1], tables[2]
    if summary[0] != VMMAP_SUMMARY + extra:
        problem(f"CSV summary header {summary[0]}, expected {VMMAP_SUMMARY + extra}")
    if details[0] != VMMAP_DETAILS + extra:
        problem(f"CSV details header {details[0]}, expected {VMMAP_DETAILS + extra}")
    want = expected_summary(snap)
    names = ["Total"] + TYPES
    if [r[0] for r in summary[1:]] != names:
        problem(f"CSV summary types {[r[0] for r in summary[1:]]}, expected {names}")
    for row in summary[1:]:
        if row[0] in want:
            compare_row(f"CSV summary {row[0]}", row, summary[0],
                        {t: v for t, v in csv_summary_want(row[0], want[row[0]]).items() if t in summary[0]})
    bits = snap["process"].get("bits", 64)
    want_rows = []
    for reg in snap["regions"]:
        want_rows.append(csv_detail_want(reg, region_counters(reg), False, bits))
        want_rows.extend(csv_detail_want(b, b, True, bits) for b in reg["blocks"])
    if len(details) - 1 != len(want_rows):
        problem(f"CSV details: {len(details) - 1} rows, expected {len(want_rows)}")
    for i, (got, w) in enumerate(zip(details[1:], want_rows)):
        if len(got) != len(details[0]):
            problem(f"CSV details row {i + 1}: {len(got)} fields, header has {len(details[0])}")
        compare_row(f"CSV details row {i + 1}", got, details[0],
                    {t: v for t, v in w.items() if t in details[0]})
    finish(path)


def check_heaps_csv(snap_path, path):
    """`vmmap heaps -o FILE.csv`: the heaps table and the size tables, memory in K (rounded up)
    and addresses as VMMap's hex like every CSV of vmmap, block sizes in bytes."""
    snap = json.load(open(snap_path))
    bits = snap["process"].get("bits", 64)
    tables = csv_tables(path)
    if len(tables) != 2:
        problem(f"heaps CSV: {len(tables)} tables, expected 2 (heaps, sizes)")
        finish(path)
    heaps, sizes = tables
    head = heaps[0]
    by_id = {str(h["id"]): h for h in snap["heaps"]}
    if len(heaps) - 1 != len(snap["heaps"]):
        problem(f"heaps CSV: {len(heaps) - 1} heaps, expected {len(snap['heaps'])}")
    for row in heaps[1:]:
        h = by_id.get(row[0])
        if not h:
            problem(f"heaps CSV: heap {row[0]} is not in the snapshot")
            continue
        got = dict(zip(head, row))
        st = h.get("stats")
        for key, title, is_kb in [("busy_blocks", "Busy blocks", False), ("busy_bytes", "Busy", True),
                                  ("free_blocks", "Free blocks", False), ("free_bytes", "Free", True),
                                  ("cached_blocks", "Cached blocks", False), ("cached_bytes", "Cached", True),
                                  ("largest_free", "Largest free", True), ("overhead_bytes", "Overhead", True)]:
            want = (kb_text(st[key]) if is_kb else str(st[key])) if st else ""
            if got.get(title) != want:
                problem(f"heaps CSV heap {row[0]} {title}: {got.get(title)!r}, expected {want!r}")
        committed = sum(p["committed"] for p in h["parts"])
        if got.get("Committed") != kb_text(committed):
            problem(f"heaps CSV heap {row[0]} Committed: {got.get('Committed')!r}, expected {kb_text(committed)}")
        want_addr = hex_address(h["address"], bits) if h.get("address") else ""
        if got.get("Address") != want_addr:
            problem(f"heaps CSV heap {row[0]} Address: {got.get('Address')!r}, expected {want_addr!r}")
    want = [[str(h["id"]), str(z["size"]), str(z["busy"]), str(z["free"]), str(z["cached"]),
             kb_text(z["size"] * (z["busy"] + z["free"] + z["cached"]))]
            for h in sorted(snap["heaps"], key=lambda h: (-sum(p["committed"] for p in h["parts"]), h["id"]))
            if h.get("stats") is not None for z in h["sizes"]]
    if sizes[0] != ["Heap", "Block size (bytes)", "Busy", "Free", "Cached", "Total (K)"] or sizes[1:] != want:
        problem(f"heaps CSV sizes: {sizes[:4]}..., expected {want[:3]}... ({len(sizes) - 1} rows, expected {len(want)})")
    finish(path)


def main(argv):
    if len(argv) == 4 and argv[1] == "xlsx":
        check_xlsx(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "csv":
        check_csv(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "heapscsv":
        check_heaps_csv(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "live":
        check_live(argv[2])
    print(__doc__)
    sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
