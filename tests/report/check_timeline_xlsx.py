#!/usr/bin/env python3
"""Reads back a timeline workbook written by `vmmap report DIR|FILE.jsonl -o t.xlsx`.

    check_timeline_xlsx.py TIMELINE.xlsx SAMPLES HEAP_ADDRESS grow|steady

Checks the sheets (Timeline, Heap timeline, and Changes when there are 2+ samples), one row per
sample in time order, and the growth analysis beneath the rows:
  grow:   the heap at HEAP_ADDRESS (its column in Heap timeline) only goes up, ends higher than
          it starts and is marked GROWING (red header, positive slope); on the Timeline sheet
          Heap, Stack (the new threads' stacks) and Threads end higher, Threads never goes down;
  steady: nothing is marked GROWING anywhere.
Prints "ok", or every difference found (exit 1).
"""
import sys

import openpyxl

GROWING_RGB = "C62828"
errors = []


def fail(msg):
    errors.append(msg)


def table(ws, nsamples):
    """Header, the sample rows, and the growth rows by label."""
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    data = rows[1:1 + nsamples]
    growth = {r[0]: list(r) for r in rows[1 + nsamples:] if r and isinstance(r[0], str)}
    return header, data, growth


def column(header, title, sheet):
    for i, h in enumerate(header):
        if isinstance(h, str) and h.lower() == title.lower():
            return i
    fail(f"{sheet}: no column {title!r} in {header}")
    return None


def series(data, col):
    return [r[col] for r in data]


def check_rows(sheet, header, data, nsamples):
    if len(data) != nsamples or any(r[0] != i + 1 for i, r in enumerate(data)):
        fail(f"{sheet}: expected samples 1..{nsamples}, found {[r[0] for r in data]}")
    taken = series(data, 1)
    if taken != sorted(taken):
        fail(f"{sheet}: Taken at not in time order: {taken}")
    elapsed = series(data, 2)
    if elapsed[0] != 0 or elapsed != sorted(elapsed):
        fail(f"{sheet}: Elapsed (s) does not start at 0 and rise: {elapsed}")


def only_up(values):
    return all(b >= a for a, b in zip(values, values[1:])) and values[-1] > values[0]


def check_growing(ws, sheet, header, data, growth, col, title):
    values = series(data, col)
    if None in values or not only_up(values):
        fail(f"{sheet}: {title} does not only go up: {values}")
    flag = growth.get("Growing", [None] * len(header))[col]
    if flag != "GROWING":
        fail(f"{sheet}: {title} not flagged GROWING (found {flag!r})")
    fill = ws.cell(row=1, column=col + 1).fill.fgColor.rgb or ""
    if not str(fill).upper().endswith(GROWING_RGB):
        fail(f"{sheet}: header of {title} not highlighted (fill {fill!r})")
    slope = growth.get("Slope per minute", [0] * len(header))[col]
    if not isinstance(slope, (int, float)) or slope <= 0:
        fail(f"{sheet}: {title} slope per minute {slope!r}, expected > 0")


def check_none_growing(sheet, growth):
    flags = growth.get("Growing")
    if flags is None:
        fail(f"{sheet}: no Growing row")
    elif "GROWING" in flags:
        fail(f"{sheet}: something flagged GROWING on a steady process: {flags}")


def heap_column(header, address):
    for i, h in enumerate(header):
        if isinstance(h, str) and h.lower().endswith(" " + address.lower()):
            return i
    fail(f"Heap timeline: no column for heap {address} in {header}")
    return None


def main():
    path, nsamples, address, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    wb = openpyxl.load_workbook(path)
    want = ["Timeline", "Heap timeline"] + (["Changes"] if nsamples > 1 else [])
    if wb.sheetnames != want:
        fail(f"sheets {wb.sheetnames}, expected {want}")
        print("\n".join(errors))
        return 1
    sheets = {}
    for name in ("Timeline", "Heap timeline"):
        sheets[name] = (wb[name],) + table(wb[name], nsamples)
        check_rows(name, *sheets[name][1:3], nsamples)
    ws, header, data, growth = sheets["Timeline"]
    hws, hheader, hdata, hgrowth = sheets["Heap timeline"]
    if mode == "grow":
        # The Heap type, the thread count and Stack end higher than they start; Threads never
        # goes down.  (The flag itself is asserted on the heap: a type also moves when a new
        # stack lands next to a heap, a thread count is a staircase.)
        for title in ("Heap", "Threads", "Stack"):
            col = column(header, title, "Timeline")
            if col is not None and not data[-1][col] > data[0][col]:
                fail(f"Timeline: {title} did not grow: {series(data, col)}")
        col = column(header, "Threads", "Timeline")
        if col is not None and not only_up(series(data, col)):
            fail(f"Timeline: Threads went down: {series(data, col)}")
        col = heap_column(hheader, address)
        if col is not None:
            check_growing(hws, "Heap timeline", hheader, hdata, hgrowth, col, hheader[col])
    else:
        check_none_growing("Timeline", growth)
        check_none_growing("Heap timeline", hgrowth)
        heap_column(hheader, address)  # the grower's heap is there, steady or not
    if errors:
        print("\n".join(errors))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
