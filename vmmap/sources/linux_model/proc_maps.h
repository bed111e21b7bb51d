/* The text of /proc/PID/maps and /proc/PID/smaps, parsed: from a live process (proc_smaps.h
 * reads it), a Linux minidump's LinuxMaps stream, or a fuzzer's buffer.  Portable: every build.
 *
 * Header lines are "start-end perms offset dev inode   pathname"; smaps adds "Key:  N kB" lines
 * and "VmFlags: rd wr ...".  Fields are parsed by name, never by position: kernels add, drop and
 * reorder them.  The text is untrusted (it names files the target chose), so every line is
 * bounded and a malformed line is an error with its line number, never a crash. */
#ifndef VMMAP_SOURCES_LINUX_PROC_MAPS_H
#define VMMAP_SOURCES_LINUX_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../util/error.h"

/* VmFlags two-letter codes we use (Documentation/filesystems/proc.rst). */
enum {
    VM_LX_RD = 1u << 0,  /* rd readable */
    VM_LX_WR = 1u << 1,  /* wr writeable */
    VM_LX_EX = 1u << 2,  /* ex executable */
    VM_LX_SH = 1u << 3,  /* sh shared */
    VM_LX_GD = 1u << 4,  /* gd stack segment grows down */
    VM_LX_AC = 1u << 5,  /* ac area is accountable (charged to commit) */
    VM_LX_NR = 1u << 6,  /* nr swap space is not reserved for the area */
    VM_LX_LO = 1u << 7,  /* lo pages are locked in memory */
    VM_LX_HT = 1u << 8,  /* ht area uses huge tlb pages */
    VM_LX_DD = 1u << 9,  /* dd do not include area into core dump */
    VM_LX_SD = 1u << 10, /* sd soft dirty */
    VM_LX_MS = 1u << 11, /* ms may share */
};

/* Which smaps fields were present (kernels differ): bit per field below. */
enum {
    VM_LX_HAVE_SIZE = 1u << 0,
    VM_LX_HAVE_RSS = 1u << 1,
    VM_LX_HAVE_PSS = 1u << 2,
    VM_LX_HAVE_SHARED_CLEAN = 1u << 3,
    VM_LX_HAVE_SHARED_DIRTY = 1u << 4,
    VM_LX_HAVE_PRIVATE_CLEAN = 1u << 5,
    VM_LX_HAVE_PRIVATE_DIRTY = 1u << 6,
    VM_LX_HAVE_SWAP = 1u << 7,
    VM_LX_HAVE_LOCKED = 1u << 8,
    VM_LX_HAVE_ANONYMOUS = 1u << 9,
    VM_LX_HAVE_VMFLAGS = 1u << 10,
    VM_LX_HAVE_SWAP_PSS = 1u << 11,
};

typedef struct vm_linux_mapping {
    uint64_t start, end;  /* end exclusive */
    bool r, w, x;         /* perms */
    bool shared;          /* 's' (VM_MAYSHARE) vs 'p' */
    uint64_t offset;
    uint32_t dev_major, dev_minor;
    uint64_t inode;
    char *name;           /* pathname or pseudo-name ("[heap]", "[anon:foo]"); NULL if none.
                             A trailing " (deleted)" is stripped and sets deleted. */
    bool deleted;
    /* smaps values, converted to bytes. */
    uint64_t size, rss, pss, shared_clean, shared_dirty, private_clean, private_dirty;
    uint64_t swap, swap_pss, locked, anonymous;
    uint32_t vmflags;     /* VM_LX_* */
    uint32_t have;        /* VM_LX_HAVE_* */
} vm_linux_mapping;

typedef struct vm_linux_maps {
    vm_linux_mapping *v;
    size_t n;
} vm_linux_maps;

/* One maps/smaps header line (without the newline).  Returns false if it is not one. */
bool vm_linux_parse_maps_line(const char *line, size_t len, vm_linux_mapping *out);

/* One smaps field line ("Rss:   12 kB", "VmFlags: rd wr mr"); unknown names are ignored and
 * return true.  Returns false if the line is not of the "Name: value" form. */
bool vm_linux_parse_smaps_field(const char *line, size_t len, vm_linux_mapping *m);

/* Whole text of a maps or smaps file, as one buffer.  On a malformed line returns false and
 * writes "line N: what" to err. */
bool vm_linux_parse_smaps_text(const char *text, size_t len, vm_linux_maps *out, char *err, size_t errlen);

/* Test hook: true makes the whole-file parsers take every field line the general way (by its
 * name, as vm_linux_parse_smaps_field does), without the fast paths that match a line against
 * the form the first mapping showed; they must give the same results (tests/fuzz/fuzz_smaps.c). */
void vm_linux_parse_test_general_only(bool on);

/* The same parse over text that comes in pieces (a file read chunk by chunk, proc_smaps.h): each
 * piece's complete mappings go to the batch given with it; the mapping still in progress at a
 * piece's end (its fields may go on in the next piece) stays in the stream until _end, which also
 * parses a last line without its '\n' and puts the last mapping into last.  A line may be cut
 * anywhere between two pieces.  feed and end return false on a malformed line ("line N: what" in
 * err) or no memory (_nomem says which); the stream is done then.  _new returns NULL when out of
 * memory. */
typedef struct vm_linux_maps_stream vm_linux_maps_stream;
vm_linux_maps_stream *vm_linux_maps_stream_new(char *err, size_t errlen);
bool vm_linux_maps_stream_feed(vm_linux_maps_stream *st, const char *data, size_t len, vm_linux_maps *batch);
bool vm_linux_maps_stream_end(vm_linux_maps_stream *st, vm_linux_maps *last);
/* Marks the stream failed for want of memory (err "line N: out of memory"). */
void vm_linux_maps_stream_fail_nomem(vm_linux_maps_stream *st);
bool vm_linux_maps_stream_nomem(const vm_linux_maps_stream *st);
/* Frees the stream and the mapping it still held. */
void vm_linux_maps_stream_free(vm_linux_maps_stream *st);

void vm_linux_maps_free(vm_linux_maps *m);

#endif
