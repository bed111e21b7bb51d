#!/usr/bin/env python3
"""Reads a `vmmap diff` workbook back and checks it against the JSON of the same diff.

    check_diff_xlsx.py DIFF.json DIFF.xlsx [SHARED.xlsx]

DIFF.xlsx must have the sheets Summary and Changes: Summary's per-type "... change" columns equal
the JSON's by_type deltas (in K; an unknown delta is an empty cell), and Changes has one row per
change of the JSON (allocations, heaps, threads, modules, in that order) with the same change
word, address and committed change.  SHARED.xlsx, when given, is a workbook of the caller's with
a Changes sheet added by vm_xlsx_add_changes_sheet between two other sheets: its Changes sheet
must hold the same rows.

Exit 0 when everything matches; 1 with every difference listed; 2 on usage or missing openpyxl.
"""
import json
import sys

problems = []


def problem(msg):
    problems.append(msg)


def k_to_bytes(v):
    return None if v is None else round(v * 1024)


def check_summary(ws, doc):
    rows = list(ws.iter_rows(values_only=True))
    head = next((i for i, r in enumerate(rows) if r and r[0] == "Type"), None)
    if head is None:
        problem("Summary: no table header")
        return
    titles = rows[head]
    by_type = {t["type"]: t for t in doc["by_type"]}
    seen = 0
    for r in rows[head + 1:]:
        if not r or r[0] not in by_type:
            continue
        seen += 1
        t = by_type[r[0]]
        for col, title in enumerate(titles):
            if not title or not title.endswith(" change"):
                continue
            key = title[:-len(" change")].lower().replace(" ", "_")
            want = t[key]["delta"]
            got = r[col] if key == "blocks" else k_to_bytes(r[col])
            if got != want:
                problem(f"Summary {r[0]} {title}: {got} != {want}")
    if seen != len(doc["by_type"]):
        problem(f"Summary: {seen} type rows, JSON has {len(doc['by_type'])}")


def expected_rows(doc):
    out = []
    for c in doc["changes"]:
        delta = c["committed_delta"] if c["committed_delta"] is not None else c["size_delta"]
        out.append(("Allocations", c["change"], int(c["address"], 16), delta))
    for h in doc["heaps"]:
        side = h["new"] or h["old"]
        out.append(("Heaps", h["change"], int(side["address"], 16), h["committed_delta"]))
    for t in doc["threads"]:
        sign = 1 if t["change"] == "started" else -1
        size = t["stack_committed"] or t["stack_reserved"]
        out.append(("Threads", t["change"], int(t["stack_base"], 16), sign * size))
    for m in doc["modules"]:
        sign = 1 if m["change"] == "loaded" else -1
        out.append(("Modules", m["change"], int(m["base"], 16), sign * m["size"]))
    return out


def check_changes(ws, doc, where):
    rows = list(ws.iter_rows(values_only=True))
    want_titles = ["Section", "Change", "Address", "Type", "Old size", "New size", "Old committed",
                   "New committed", "Committed change", "Path", "Details"]
    if list(rows[0][:len(want_titles)]) != want_titles:
        problem(f"{where}: header {rows[0]}")
        return
    want = expected_rows(doc)
    got = rows[1:]
    if len(got) != len(want):
        problem(f"{where}: {len(got)} rows, JSON has {len(want)} changes")
    for i, (w, g) in enumerate(zip(want, got)):
        addr = int(g[2], 16) if g[2] else 0
        gg = (g[0], g[1], addr, k_to_bytes(g[8]))
        if gg != w:
            problem(f"{where} row {i + 2}: {gg} != {w}")


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import openpyxl
    except ImportError:
        print("check_diff_xlsx.py: openpyxl is not installed", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    wb = openpyxl.load_workbook(argv[2], read_only=True)
    if wb.sheetnames != ["Summary", "Changes"]:
        problem(f"sheets {wb.sheetnames}")
    else:
        check_summary(wb["Summary"], doc)
        check_changes(wb["Changes"], doc, "Changes")
    if len(argv) == 4:
        shared = openpyxl.load_workbook(argv[3], read_only=True)
        if shared.sheetnames != ["Timeline", "Changes", "After"]:
            problem(f"shared workbook sheets {shared.sheetnames}")
        else:
            check_changes(shared["Changes"], doc, "shared Changes")
    for p in problems:
        print("check_diff_xlsx.py:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
