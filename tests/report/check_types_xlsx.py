#!/usr/bin/env python3
"""Reads the Types sheet of a vmmap workbook back and checks it against the snapshot's census.

    check_types_xlsx.py SNAPSHOT.json REPORT.xlsx

Every type of the snapshot's "objects" with any hit is a row, in the snapshot's order, with its
count, bytes, estimated bytes, name, module (file name), heaps, vtable and ABI (and the outside
counts for a census of scope "all"); then the totals row.  A snapshot without a census must give a
workbook without a Types sheet.  Exit 0 when everything matches; 1 with every difference listed;
2 on usage or missing openpyxl.
"""
import json
import sys

try:
    import openpyxl
except ImportError:
    print("check_types_xlsx: python3-openpyxl is not installed", file=sys.stderr)
    sys.exit(2)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    snap = json.load(open(sys.argv[1]))
    wb = openpyxl.load_workbook(sys.argv[2], read_only=True)
    problems = []
    census = snap.get("census")
    if census is None:
        if "Types" in wb.sheetnames:
            problems.append("a Types sheet without a census")
        return report(problems)
    if "Types" not in wb.sheetnames:
        return report(["no Types sheet"])
    rows = list(wb["Types"].iter_rows(values_only=True))
    head = rows[0]
    scope_all = census["scope"] == "all"
    want_head = ("Count", "Bytes", "Type", "Module", "Heaps", "Bytes estimated", "Vtable", "ABI")
    if scope_all:
        want_head += ("Stack", "Private Data", "Image data")
    if tuple(head) != want_head:
        problems.append("header %r, want %r" % (head, want_head))
    types = [o for o in snap["objects"]
             if o["count"] + sum((o.get("outside") or {}).values()) > 0]
    bits = snap["process"]["bits"]
    for i, o in enumerate(types):
        if i + 1 >= len(rows):
            problems.append("row for %s missing" % o["type"])
            continue
        r = rows[i + 1]
        vt = int(o["vtable"], 16)
        want = [o["count"], o["bytes"], o["type"], (o["module"] or "").replace("\\", "/").split("/")[-1],
                ", ".join(str(h) for h in o["heaps"][:4]) + (", +%d more" % (len(o["heaps"]) - 4)
                                                             if len(o["heaps"]) > 4 else ""),
                o["bytes_estimated"], ("%08X" if bits == 32 else "%016X") % vt, o["abi"]]
        if scope_all:
            want += [o["outside"]["stack"], o["outside"]["private_data"], o["outside"]["image_data"]]
        got = [("" if v is None else v) for v in r[:len(want)]]
        if got != want:
            problems.append("row %d: %r, want %r" % (i + 1, got, want))
    total = rows[len(types) + 1] if len(rows) > len(types) + 1 else None
    if not total:
        problems.append("no totals row")
    else:
        objects = sum(o["count"] for o in snap["objects"])
        nbytes = sum(o["bytes"] for o in snap["objects"])
        if total[0] != objects or total[1] != nbytes:
            problems.append("totals %r %r, want %d %d" % (total[0], total[1], objects, nbytes))
        if not str(total[2]).startswith("Total: %d types" % len(snap["objects"])):
            problems.append("totals text %r" % (total[2],))
    return report(problems)


def report(problems):
    for p in problems:
        print("check_types_xlsx: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
