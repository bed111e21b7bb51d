/* /proc/PID/maps and /proc/PID/smaps, parsed.
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

/* Called while a file is parsed, on the caller's thread: once as the reading starts (batch empty),
 * then with each batch of mappings as they come, complete and in order; so_far holds those before
 * them that were not taken.  Returning true takes the batch's mappings (the callee frees their
 * names; they will not be in out); false leaves them to be appended to out. */
typedef bool (*vm_linux_parsed_fn)(void *ctx, vm_linux_maps *batch, const vm_linux_maps *so_far);

/* A maps or smaps file read from fd to its end and parsed chunk by chunk as it arrives, both on a
 * reader thread (proc_reader.h), on_parsed (may be NULL) called on the caller's thread as the
 * mappings come.  Gives the same result as vm_linux_parse_smaps_text on the whole text.  False on
 * a malformed line ("line N: what" in err, *read_errno 0), a failed read (*read_errno set) or no
 * memory (*read_errno ENOMEM); out is then empty. */
bool vm_linux_parse_smaps_fd(int fd, vm_linux_maps *out, vm_linux_parsed_fn on_parsed, void *ctx, char *err,
                             size_t errlen, int *read_errno);

/* Whole text of a maps or smaps file, as one buffer.  On a malformed line returns false and
 * writes "line N: what" to err. */
bool vm_linux_parse_smaps_text(const char *text, size_t len, vm_linux_maps *out, char *err, size_t errlen);

/* Reads and parses /proc/PID/smaps, streaming (the file can be tens of MB for 60,000
 * mappings).  Returns VM_EXIT_OK, or NOT_FOUND / ACCESS (with the reason) / ERROR. */
int vm_linux_read_smaps(int pid, vm_linux_maps *out, vm_error *err);

/* The same, calling on_parsed as the mappings come, while the rest is still being read (out holds
 * those not taken). */
int vm_linux_read_smaps_ex(int pid, vm_linux_maps *out, vm_linux_parsed_fn on_parsed, void *ctx, vm_error *err);

/* /proc/PID/maps: the same mappings without the smaps values (have 0), for a tenth of the
 * kernel's work. */
int vm_linux_read_maps(int pid, vm_linux_maps *out, vm_error *err);

void vm_linux_maps_free(vm_linux_maps *m);

#endif
