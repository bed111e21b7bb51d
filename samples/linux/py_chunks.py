#!/usr/bin/python3
"""py_chunks: a Python process whose glibc mmapped chunks lie inside merged VMAs, as in the
Python process of issue 10: COUNT bytearrays of 176 KiB (each one mmapped malloc chunk), each
followed by a private anonymous mmap.mmap of 64 KiB the script writes to.  The kernel merges them
into one VMA, [mmap][chunk][mmap][chunk]..., the youngest at the bottom: no chunk starts it.

Prints one JSON line, glibc's own count from inside (mallinfo2 through ctypes: hblks, hblkhd,
what vmmap's mmapped chunks must equal), then waits until stdin reaches EOF.  Used by
tests/integration/test_python_chunks.c."""
import ctypes
import json
import mmap
import os
import sys

COUNT = 300


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def main():
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    keep = []
    for _ in range(COUNT):
        keep.append(bytearray(176 * 1024))
        m = mmap.mmap(-1, 64 * 1024, flags=mmap.MAP_PRIVATE)
        m[0:1] = b"x"
        keep.append(m)
    chunks = [id(b) for b in keep[::2]]  # keeps the bytearrays referenced to the end
    mi = libc.mallinfo2()
    print(json.dumps({"pid": os.getpid(), "count": len(chunks), "hblks": mi.hblks, "hblkhd": mi.hblkhd}), flush=True)
    sys.stdin.read()


main()
