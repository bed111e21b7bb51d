#!/usr/bin/env python3
"""Writes the seeds of tests/fuzz/fuzz_glibc_blocks.c: the synthetic main arena (a tcache, busy,
fastbin, binned and top chunks, safe-linking on) and the two-heap arena of
tests/unit/test_glibc_blocks.c, in the fuzz target's input format.  Run from the repository root:
    tests/fuzz/make_glibc_blocks_seeds.py"""
import os
import struct

BASE = 0x7f0000000000
OUT = "tests/fuzz/corpus/fuzz_glibc_blocks"


def protect(pos, ptr):
    return (pos >> 12) ^ ptr


class Image:
    def __init__(self, size):
        self.b = bytearray(size)

    def u64(self, addr, v):
        struct.pack_into("<Q", self.b, addr - BASE, v & 0xFFFFFFFFFFFFFFFF)

    def u16(self, addr, v):
        struct.pack_into("<H", self.b, addr - BASE, v)


def main_arena():
    ms, brk, brk_len = BASE + 0x100, BASE + 0x1000, 0x4000
    im = Image(0x1000 + brk_len)
    pos, prev_free, chunks = brk, False, {}
    for name, size, binned in [("tc", 0x290, 0), ("b1", 0x70, 0), ("c1", 0x50, 0), ("c2", 0x50, 0),
                               ("f1", 0x30, 0), ("b2", 0x70, 0), ("f2", 0x30, 0), ("u1", 0x510, 1),
                               ("b3", 0x20, 0)]:
        im.u64(pos + 8, size | (0 if prev_free else 1))
        if binned:
            im.u64(pos + size, size)
        chunks[name], prev_free, pos = pos, bool(binned), pos + size
    top = pos
    im.u64(top + 8, (brk + brk_len - top) | (0 if prev_free else 1))
    im.u64(chunks["f1"] + 16, protect(chunks["f1"] + 16, chunks["f2"]))
    im.u64(chunks["f2"] + 16, protect(chunks["f2"] + 16, 0))
    im.u16(chunks["tc"] + 16 + 6, 2)
    im.u64(chunks["tc"] + 16 + 0x80 + 24, chunks["c1"] + 16)
    im.u64(chunks["c1"] + 16, protect(chunks["c1"] + 16, chunks["c2"] + 16))
    im.u64(chunks["c2"] + 16, protect(chunks["c2"] + 16, 0))
    im.u64(ms + 0x60, top)
    im.u64(ms + 0x888, brk_len)
    im.u64(ms + 0x18, chunks["f1"])
    head = bytes([0x80 | 1])                                           # 2 heaps, small window
    head += struct.pack("<BHB", 0, (ms - BASE) // 16, 1) + struct.pack("<HI", (brk - BASE) // 16, brk_len)
    head += struct.pack("<BHB", 2, 0, 1) + struct.pack("<HI", (brk - BASE) // 16, 0x290)
    head += bytes([0])
    return head + bytes(im.b)


def arena_two_heaps():
    h1, size1, h2, size2 = BASE, 0x3000, BASE + 0x3000, 0x2000
    ar = h1 + 0x30
    im = Image(size1 + size2)
    im.u64(h1, ar), im.u64(h1 + 16, size1), im.u64(h1 + 24, size1)
    im.u64(h2, ar), im.u64(h2 + 8, h1), im.u64(h2 + 16, size2), im.u64(h2 + 24, size2)
    pos = h1 + 0x8d0
    im.u64(pos + 8, 0x290 | 5)
    pos += 0x290
    old = h1 + size1 - 0x20 - pos
    im.u64(pos + 8, old | 5)
    im.u64(pos + old, old)
    fence = pos + old
    im.u64(fence + 8, 0x10)
    im.u64(fence + 0x18, 1)
    b2 = h2 + 0x30
    im.u64(b2 + 8, 0x200 | 5)
    top = b2 + 0x200
    im.u64(top + 8, (h2 + size2 - top) | 5)
    im.u64(ar + 0x60, top)
    im.u64(ar + 0x888, size1 + size2)
    head = bytes([0])                                                   # 1 heap
    head += struct.pack("<BHB", 1, (ar - BASE) // 16, 2)
    head += struct.pack("<HI", 0, size1) + struct.pack("<HI", (h2 - BASE) // 16, size2)
    head += bytes([1]) + struct.pack("<HH", 0x100, 0x100)               # a TLS range
    return head + bytes(im.b)


os.makedirs(OUT, exist_ok=True)
for name, data in [("main_arena", main_arena()), ("arena_two_heaps", arena_two_heaps())]:
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
