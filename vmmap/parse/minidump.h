/* The Windows minidump format (MINIDUMP_* in DbgHelp's minidumpapiset.h), written down as plain
 * structs and parsed from a byte buffer with explicit bounds, the way rust-minidump does it.
 *
 * Every byte of a dump is hostile: each RVA + size is checked against the buffer (overflow-safe),
 * each count is clipped to what its stream can hold, entry sizes declared by the file are honoured
 * when larger than ours and refused when smaller, unknown streams are skipped and duplicates
 * ignored (the first wins).  Only a wrong signature, a stream directory outside the buffer or
 * running out of memory fail the parse; everything else degrades into a warning.
 *
 * Little-endian on disk (every minidump is), decoded field by field: no casts of file bytes to
 * structs, so the code is the same on every host.  Platform-neutral (no windows.h). */
#ifndef VMMAP_PARSE_MINIDUMP_H
#define VMMAP_PARSE_MINIDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memreader.h"

#define VM_MD_SIGNATURE 0x504d444du     /* "MDMP" */
#define VM_MD_VERSION 0xa793u           /* low 16 bits of Version; the high ones are the writer's */
#define VM_MD_MAX_STRING_BYTES 0x10000u /* a MINIDUMP_STRING longer than this is refused */
#define VM_MD_MAX_WARNINGS 64           /* further warnings are counted, not kept */

/* MINIDUMP_STREAM_TYPE values we know by name (plus Breakpad's and Mozilla's private ones). */
enum vm_md_stream_type {
    VM_MD_STREAM_THREAD_LIST = 3,
    VM_MD_STREAM_MODULE_LIST = 4,
    VM_MD_STREAM_MEMORY_LIST = 5,
    VM_MD_STREAM_EXCEPTION = 6,
    VM_MD_STREAM_SYSTEM_INFO = 7,
    VM_MD_STREAM_MEMORY64_LIST = 9,
    VM_MD_STREAM_HANDLE_DATA = 12,
    VM_MD_STREAM_UNLOADED_MODULE_LIST = 14,
    VM_MD_STREAM_MISC_INFO = 15,
    VM_MD_STREAM_MEMORY_INFO_LIST = 16,
    VM_MD_STREAM_THREAD_INFO_LIST = 17,
    VM_MD_STREAM_THREAD_NAMES = 24,
};

/* MINIDUMP_SYSTEM_INFO.ProcessorArchitecture (PROCESSOR_ARCHITECTURE_*). */
enum vm_md_arch {
    VM_MD_ARCH_X86 = 0,
    VM_MD_ARCH_ARM = 5,
    VM_MD_ARCH_IA64 = 6,
    VM_MD_ARCH_AMD64 = 9,
    VM_MD_ARCH_ARM64 = 12,
    VM_MD_ARCH_ARM64_BREAKPAD = 0x8003, /* Breakpad's value before Windows had one */
    VM_MD_ARCH_UNKNOWN = 0xffff,
};

/* MINIDUMP_MISC_INFO.Flags1 bits we read. */
enum { VM_MD_MISC1_PROCESS_ID = 0x1, VM_MD_MISC1_PROCESS_TIMES = 0x2 };

/* ---- on-disk records, decoded (member widths are the on-disk widths) ---- */

typedef struct vm_md_location { /* MINIDUMP_LOCATION_DESCRIPTOR, 8 bytes */
    uint32_t data_size;
    uint32_t rva;
} vm_md_location;

typedef struct vm_md_header { /* MINIDUMP_HEADER, 32 bytes */
    uint32_t signature;
    uint32_t version;
    uint32_t number_of_streams;
    uint32_t stream_directory_rva;
    uint32_t checksum;
    uint32_t time_date_stamp; /* when the dump was written, time_t */
    uint64_t flags;           /* MINIDUMP_TYPE */
} vm_md_header;

typedef struct vm_md_directory { /* MINIDUMP_DIRECTORY, 12 bytes */
    uint32_t stream_type;
    uint32_t data_size;
    uint32_t rva;
} vm_md_directory;

typedef struct vm_md_thread { /* MINIDUMP_THREAD, 48 bytes */
    uint32_t thread_id;
    uint32_t suspend_count;
    uint32_t priority_class;
    uint32_t priority;
    uint64_t teb;
    uint64_t stack_start;     /* Stack.StartOfMemoryRange */
    uint32_t stack_size;      /* Stack.Memory.DataSize */
    uint32_t stack_rva;       /* Stack.Memory.Rva */
    uint32_t context_size;
    uint32_t context_rva;
    char *name;               /* from ThreadNames, UTF-8; NULL if none */
} vm_md_thread;

typedef struct vm_md_module { /* MINIDUMP_MODULE (108 bytes) and MINIDUMP_UNLOADED_MODULE (24) */
    uint64_t base;
    uint32_t size;
    uint32_t checksum;
    uint32_t time_date_stamp;
    uint32_t name_rva;
    uint32_t cv_size, cv_rva; /* CvRecord (MINIDUMP_MODULE only): PDB70 for PE, 'BpEL' for ELF */
    char *name;               /* UTF-8; NULL when the name could not be read */
} vm_md_module;

typedef struct vm_md_memory_info { /* MINIDUMP_MEMORY_INFO, 48 bytes (MEMORY_BASIC_INFORMATION64) */
    uint64_t base;
    uint64_t alloc_base;
    uint32_t alloc_protect;
    uint32_t pad1;
    uint64_t region_size;
    uint32_t state;
    uint32_t protect;
    uint32_t type;
    uint32_t pad2;
} vm_md_memory_info;

typedef struct vm_md_thread_info { /* MINIDUMP_THREAD_INFO, 64 bytes */
    uint32_t thread_id;
    uint32_t dump_flags;
    uint32_t dump_error;
    uint32_t exit_status;
    uint64_t create_time;     /* FILETIME */
    uint64_t exit_time;
    uint64_t kernel_time;
    uint64_t user_time;
    uint64_t start_address;
    uint64_t affinity;
} vm_md_thread_info;

typedef struct vm_md_system_info { /* MINIDUMP_SYSTEM_INFO, 56 bytes (CPU info not read) */
    uint16_t processor_architecture;
    uint16_t processor_level;
    uint16_t processor_revision;
    uint8_t number_of_processors;
    uint8_t product_type;
    uint32_t major_version;
    uint32_t minor_version;
    uint32_t build_number;
    uint32_t platform_id;     /* 2 VER_PLATFORM_WIN32_NT; 0x8xxx Breakpad's other systems */
    uint32_t csd_version_rva;
    uint16_t suite_mask;
    uint16_t reserved2;
} vm_md_system_info;

typedef struct vm_md_misc_info { /* MINIDUMP_MISC_INFO, 24 bytes (later versions are longer) */
    uint32_t size_of_info;
    uint32_t flags1;
    uint32_t process_id;
    uint32_t process_create_time; /* time_t */
    uint32_t process_user_time;   /* seconds */
    uint32_t process_kernel_time;
} vm_md_misc_info;

/* A captured memory range (MemoryList or Memory64List), clipped to the file: bytes
 * [start, start + size) of the target are at file offset `offset`. */
typedef struct vm_md_range {
    uint64_t start;
    uint64_t size;
    uint64_t offset;
} vm_md_range;

/* ---- the parsed dump ---- */

typedef struct vm_minidump {
    const uint8_t *data;      /* borrowed: the caller keeps the buffer alive */
    size_t size;
    vm_md_header header;
    vm_md_directory *dir;     /* every directory entry that fits in the file */
    size_t ndir;

    bool has_system_info, has_misc_info, has_thread_list, has_module_list, has_memory_list,
        has_memory64_list, has_memory_info, has_thread_info, has_unloaded, has_thread_names;

    vm_md_system_info sys;
    char *csd_version;        /* service pack string, NULL if none */
    vm_md_misc_info misc;
    int bits;                 /* 32 or 64: from the architecture (64 when unknown) */

    vm_md_thread *threads;           size_t nthreads;
    vm_md_module *modules;           size_t nmodules;
    vm_md_module *unloaded;          size_t nunloaded;
    vm_md_memory_info *meminfo;      size_t nmeminfo;     /* as in the file */
    vm_md_thread_info *thread_info;  size_t nthread_info;
    size_t nthread_names;            /* names attached to threads */

    vm_md_range *ranges;      /* sorted by start, non-overlapping, non-empty */
    size_t nranges;
    size_t nmemory_list, nmemory64_list; /* descriptors as listed (before clipping) */
    uint64_t captured_bytes;  /* sum of ranges[].size */

    char *warnings[VM_MD_MAX_WARNINGS];
    size_t nwarnings;         /* kept */
    size_t nwarnings_dropped; /* beyond VM_MD_MAX_WARNINGS */
} vm_minidump;

/* Parses data[0 .. size).  False (with a message in err) when the buffer is not a minidump
 * ("not a minidump (signature 0x...)"), its stream directory is out of bounds, or memory runs
 * out; then md holds nothing to free.  True otherwise, with problems listed in md->warnings. */
bool vm_md_parse(const uint8_t *data, size_t size, vm_minidump *md, char *err, size_t errlen);
void vm_md_free(vm_minidump *md);

/* Reads target memory from the captured ranges; reads spanning adjacent ranges continue into the
 * next one; uncaptured bytes end the read (a short read).  md must outlive the reader. */
vm_memreader vm_md_memreader(const vm_minidump *md);

/* The bytes of the first stream of type `type`, clipped to the file, or NULL (n set to 0). */
const uint8_t *vm_md_stream_data(const vm_minidump *md, uint32_t type, size_t *n);

/* The thread's stack pointer from its captured CONTEXT (Rsp for x64, Esp for x86, Sp for ARM64
 * and ARM, in the CONTEXT layouts Windows and Breakpad write); false when the context is not
 * captured, too short or of another architecture. */
bool vm_md_thread_sp(const vm_minidump *md, const vm_md_thread *t, uint64_t *sp);

/* The ELF build-id a Breakpad dump records for module m (CodeView signature 'BpEL' followed by
 * the id); its length, 0 when there is none.  At most cap bytes are copied. */
size_t vm_md_module_build_id(const vm_minidump *md, const vm_md_module *m, uint8_t *id, size_t cap);

/* A MINIDUMP_STRING at rva as malloc'd UTF-8 (unpaired surrogates become U+FFFD, the string ends
 * at an embedded NUL), or NULL when it lies outside the buffer, is longer than
 * VM_MD_MAX_STRING_BYTES or memory runs out; why (if not NULL) then says which. */
char *vm_md_string(const uint8_t *data, size_t size, uint64_t rva, const char **why);

/* A time_t (TimeDateStamp, ProcessCreateTime) as RFC 3339 UTC, "2021-01-08T11:47:09Z". */
void vm_md_format_time(uint32_t t, char *buf, size_t len);

/* Names for people: "ThreadList", "BP_BreakpadInfo"...; NULL for a type we do not know. */
const char *vm_md_stream_name(uint32_t type);
/* "x86_64", "x86", "arm64", "arm", "ia64", or NULL when unknown. */
const char *vm_md_arch_name(uint16_t arch);
/* 32 or 64 for a known architecture, 0 otherwise. */
int vm_md_arch_bits(uint16_t arch);
/* The system as "Windows 10.0.19041" (or "macOS 10.15.7", "Linux 5.4.0" for Breakpad dumps of
 * other systems) into buf; "" without SystemInfo. */
void vm_md_os_string(const vm_minidump *md, char *buf, size_t len);

#endif
