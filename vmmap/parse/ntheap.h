/* Windows NT heaps (_HEAP / _HEAP_SEGMENT), read through a vm_memreader, and the pieces every
 * Windows-family heap walker shares (the neutral walk result, the bounded LIST_ENTRY walk, the
 * "append to a snapshot" step): segheap.h and wineheap.h build on this header.
 *
 * Layouts are windows-internals.md §2: x64 and x86, Windows 7 and Windows 8-11.  Target memory is
 * untrusted (a live process changing under us, a customer's minidump, a fuzzer): every read is
 * checked, every structure validated before it is believed, every list walk bounded and checked
 * for Flink/Blink consistency; what fails ends that walk with a warning in the snapshot.
 * Platform-neutral C: no OS calls, builds on Linux and with MinGW. */
#ifndef VMMAP_PARSE_NTHEAP_H
#define VMMAP_PARSE_NTHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/snapshot.h"
#include "memreader.h"

/* ---- the neutral result of any Windows-family heap walk ---------------------------------- */

typedef struct vm_winheap_range {
    uint64_t address;
    uint64_t size;        /* reserved bytes */
    uint64_t committed;   /* committed bytes, when committed_known */
    bool committed_known;
    uint64_t header;      /* the part's own header, for the block walkers: NT _HEAP_SEGMENT or
                             _HEAP_VIRTUAL_ALLOC_ENTRY, Wine SUBHEAP or ARENA_LARGE; 0 none */
    uint64_t user_size;   /* large blocks: the bytes the program asked for; 0 unknown */
} vm_winheap_range;

typedef struct vm_winheap {
    uint64_t address;        /* the heap handle */
    const char *kind;        /* "NT", "segment", "Wine", "not captured", "unknown" (static) */
    const char *layout;      /* e.g. "Win8-11 x64", "Win10 x86", "Wine 8.0 x64"; NULL: none */
    const char *heap_class;  /* e.g. "private"; NULL: none (static) */
    const char *front_end;   /* "LFH", "lookaside"; NULL: none (static) */
    int front_end_type;      /* NT: the FrontEndHeapType byte believed (0 none, 1 lookaside, 2 LFH,
                                other values unknown), -1 when it could not be read; 0 for the others */
    const char *part_word;   /* what segments are called: "segment", "subheap" (static) */
    char flags[192];         /* e.g. "growable, no-serialize"; "" when none */
    uint32_t raw_flags;      /* _HEAP.Flags / GlobalFlags / Wine flags */
    bool encoded;            /* NT: heap entry headers are XOR-encoded with encoding[] */
    bool nt_win7;            /* NT: the Windows 7 layout (LFH without bitmaps) */
    uint8_t encoding[8];
    bool has_header;         /* segment heap: the _SEGMENT_HEAP itself, listed as part "heap" */
    vm_winheap_range header;
    vm_winheap_range *segments; size_t nsegments;  /* NT: index 0 is the heap itself */
    vm_winheap_range *large;    size_t nlarge;     /* own reservations */
} vm_winheap;

typedef enum vm_winheap_status {
    VM_WINHEAP_OK,           /* walked (perhaps partly: see the warnings) */
    VM_WINHEAP_NOT_THIS,     /* readable, but not this kind of heap: no warning recorded */
    VM_WINHEAP_UNREADABLE,   /* the heap header cannot be read: no warning recorded */
    VM_WINHEAP_OOM
} vm_winheap_status;

void vm_winheap_free(vm_winheap *h);

/* Appends h to snap as heap `id` with parts "heap" (has_header), "<part_word> N" for each
 * segment, then "large block" for each large block.  class_override, when not NULL, replaces
 * h->heap_class (the sources say "process heap").  Returns false when out of memory. */
bool vm_winheap_append(vm_snapshot *snap, const vm_winheap *h, int32_t id, const char *class_override);

/* A little-endian value of len (<= 8) bytes out of a buffer already read from the target. */
uint64_t vm_winheap_le(const uint8_t *p, unsigned len);

/* Reads a target pointer (4 bytes when bits == 32, else 8). */
bool vm_winheap_read_ptr(const vm_memreader *mem, int bits, uint64_t addr, uint64_t *out);

/* ---- bounded walk of a doubly linked list (LIST_ENTRY, Wine's struct list) ---------------- */

/* A list node as the walk reports it: its address (what the previous Flink pointed at). */
typedef enum vm_winlist_step { VM_WINLIST_NEXT, VM_WINLIST_STOP, VM_WINLIST_OOM } vm_winlist_step;
typedef vm_winlist_step (*vm_winlist_visit)(void *ctx, uint64_t link);

/* Walks the list whose head is at `head` (Flink then Blink, pointer-sized), calling visit for each
 * node other than the head, until the walk comes back to the head.  It stops, with a warning
 * naming `what` (e.g. "heap 0x... segment list"), at a link that is NULL, misaligned or
 * unreadable, at a node whose Blink does not point back at the node it came from (which also
 * makes a cycle that misses the head impossible to follow), or after max_nodes nodes; and
 * quietly when visit says STOP (visit records its own warning).  Returns false only when visit
 * reported OOM. */
bool vm_winlist_walk(const vm_memreader *mem, int bits, uint64_t head, size_t max_nodes,
                     const char *what, vm_winlist_visit visit, void *ctx, vm_snapshot *snap);

/* ---- the NT heap ------------------------------------------------------------------------- */

#define VM_NTHEAP_SEGMENT_SIGNATURE 0xFFEEFFEEu
#define VM_NTHEAP_SIGNATURE 0xEEFFEEFFu
#define VM_NTHEAP_MAX_SEGMENTS 4096
#define VM_NTHEAP_MAX_LARGE 65536

/* SegmentSignature at heap+0x10 (x64) / +0x08 (x86): true for NT heaps and Wine heaps alike. */
bool vm_ntheap_probe(const vm_memreader *mem, int bits, uint64_t heap);
/* SegmentSignature and _HEAP.Signature (0xEEFFEEFF at one of the known layouts' offsets): an NT
 * heap, not a Wine heap. */
bool vm_ntheap_has_signature(const vm_memreader *mem, int bits, uint64_t heap);

/* Walks the NT heap at `heap` into out (zeroed first): layout (Win8-11 or Win7, chosen by which
 * offset holds _HEAP.Signature), Flags, class, flag words, FrontEndHeapType, header encoding,
 * segments (SegmentList; segment 0 is the heap itself) and VirtualAllocdBlocks.
 * os_build (e.g. 19045; 0 unknown) picks the FrontEndHeapType offset; unknown, the candidate
 * offsets are probed newest Windows first.  NOT_THIS when the signatures do not match (a Wine
 * heap, a segment heap, garbage).  Warnings ("heap-invalid", "read-failed") go to snap (may be
 * NULL).  On anything but OK, out holds nothing to free. */
vm_winheap_status vm_ntheap_walk(const vm_memreader *mem, int bits, uint64_t heap, uint32_t os_build,
                                 vm_winheap *out, vm_snapshot *snap);

/* Words for _HEAP.Flags without the class bits, e.g. "growable, no-serialize"; bits without a
 * word in hex.  Wine heaps use the same HEAP_* flags. */
void vm_ntheap_flag_words(uint32_t flags, char *buf, size_t len);
/* The class of Flags & 0xF000: "process", "private", "kernel", ... (static string). */
const char *vm_ntheap_class_name(uint32_t flags);
/* FrontEndHeapType 1 "lookaside", 2 "LFH", else NULL. */
const char *vm_ntheap_front_end_name(unsigned type);

/* One _HEAP_ENTRY header, decoded. */
typedef struct vm_ntheap_entry {
    uint16_t size;           /* in units: 16 bytes x64, 8 bytes x86 */
    uint8_t flags;           /* 1 busy, 2 extra, 4 fill, 8 virtual/internal, 0x10 last */
    uint8_t small_tag;       /* the checksum byte when encoded */
    uint16_t previous_size;
    uint8_t segment_offset;
    uint8_t unused_bytes;
} vm_ntheap_entry;

/* Decodes the 8 real header bytes of a _HEAP_ENTRY (x64: entry+8, x86: entry+0) with h's
 * encoding.  Returns false when the heap is encoded and the checksum byte does not hold
 * (byte3 != byte0 ^ byte1 ^ byte2), i.e. this is not a heap entry of h. */
bool vm_ntheap_decode_entry(const vm_winheap *h, const uint8_t raw[8], vm_ntheap_entry *out);

#endif
