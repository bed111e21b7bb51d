/* Sizes, addresses and durations: parsing what users type, formatting what they read.
 * Platform-neutral (no locale, no POSIX): the same text on Linux, Windows and in tests. */
#ifndef VMMAP_UTIL_UNITS_H
#define VMMAP_UTIL_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A byte count: digits with an optional fraction, an optional space, then an optional unit:
 * B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB, P/PB/PiB (any case; every unit is a power of 1024).
 * "4096", "4K", "1.5M", "64KiB", "10MB".  A fraction needs a unit of K or more and is rounded
 * down to a whole byte.  Rejects signs, empty text, trailing garbage and values above 2^64-1. */
bool vm_parse_size(const char *s, uint64_t *out);

/* An address in hex, with or without "0x": "0x7ffd12340000", "7ffd12340000", and WinDbg's
 * "00007ffd`12340000" (one backtick between digits).  Rejects garbage and more than 64 bits. */
bool vm_parse_address(const char *s, uint64_t *out);

/* A duration: a number with an optional unit ms, s, m, h or d; a bare number is seconds.
 * "2s", "500ms", "10m", "1h", "1.5s", "3".  Rejects signs, garbage and non-finite values. */
bool vm_parse_duration(const char *s, double *seconds);

/* "s" unless n is 1: "1 thread", "2 threads" (every noun vmmap counts takes a plain s). */
const char *vm_plural(uint64_t n);

/* Buffers of this size hold any output of the formatters below. */
#define VM_UNITS_BUFSZ 32

/* 1234567 -> "1,234,567". */
void vm_format_count(uint64_t n, char *buf, size_t len);
/* VMMap's size cells: kibibytes, rounded up, with thousands separators: 8388608 -> "8,192 K". */
void vm_format_kb(uint64_t bytes, char *buf, size_t len);
/* --human: VMMap's K cells at a glance, 1,024-based, at most three digits: "512 K", "340 M",
 * "1.2 G", "128 T" (one decimal below 10; K rounded up as vm_format_kb). */
void vm_format_kb_short(uint64_t bytes, char *buf, size_t len);
/* The same as vm_format_kb (the name the first drafts of the design used). */
void vm_format_size(uint64_t bytes, char *buf, size_t len);
/* For details and log lines: "123 B", "512 KiB", "8.0 MiB", "4.0 GiB" (one decimal below 100). */
void vm_format_human(uint64_t bytes, char *buf, size_t len);
/* VMMap's address cells: upper-case hex, 16 digits ("00007FFD12340000"), or 8 digits when
 * bits is 32 and the address fits. */
void vm_format_address(uint64_t a, int bits, char *buf, size_t len);

#endif
