/* What a file is when no source claims it and it is not a snapshot: told from its first bytes
 * (never by reading the whole file), with what vmmap can do with it. */
#include "capture.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../sources/input/unpack.h"

static bool name_ends(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static const char *elf_machine(unsigned m)
{
    switch (m) {
    case 3: return "i386";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC 64";
    case 22: return "s390";
    case 40: return "ARM";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    default: return "an unknown machine";
    }
}

static const char *elf_type(unsigned t)
{
    switch (t) {
    case 1: return "an ELF object file";
    case 2: return "an ELF executable";
    case 3: return "an ELF shared object or position-independent executable";
    case 4: return "an ELF core dump";
    default: return "an ELF file of an unknown type";
    }
}

static bool looks_like_text(const uint8_t *h, size_t n)
{
    size_t odd = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = h[i];
        if (c == 0)
            return false;
        odd += c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f';
    }
    return odd * 100 <= n;
}

static const char *first_non_blank(const uint8_t *h, size_t n, size_t *at)
{
    size_t i = 0;
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
        i++;
    *at = i;
    return i < n ? (const char *)h + i : NULL;
}

/* The name's promise, when the content breaks it: "not a minidump (signature 0x...): ". */
static void broken_promise(const char *path, const uint8_t *h, size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    if (name_ends(path, ".dmp") || name_ends(path, ".mdmp") || name_ends(path, ".dmp.xz") ||
        name_ends(path, ".mdmp.xz")) {
        unsigned sig = 0;
        for (size_t i = 0; i < 4 && i < n; i++)
            sig |= (unsigned)h[i] << (8 * i);
        snprintf(buf, len, "not a minidump (signature 0x%08x): ", sig);
    } else if (name_ends(path, ".json")) {
        snprintf(buf, len, "not a snapshot: ");
    }
}

int vm_unclaimed_file(const char *path, const uint8_t *h, size_t n, int packing, vm_error *err)
{
    char what[200], promise[64];
    const char *hint = NULL;
    int code = VM_EXIT_BAD_INPUT;
    size_t at = 0;
    const char *start = first_non_blank(h, n, &at);
    broken_promise(path, h, n, promise, sizeof promise);
    if (n == 0) {
        snprintf(what, sizeof what, "an empty file");
        hint = "vmmap reads snapshots (.json), minidumps and running processes; this file has nothing in it";
    } else if (n >= 20 && memcmp(h, "\x7f" "ELF", 4) == 0) {
        unsigned type = h[5] == 2 ? (unsigned)h[16] << 8 | h[17] : (unsigned)h[16] | (unsigned)h[17] << 8;
        unsigned mach = h[5] == 2 ? (unsigned)h[18] << 8 | h[19] : (unsigned)h[18] | (unsigned)h[19] << 8;
        snprintf(what, sizeof what, "%s (%s, %s-bit)", elf_type(type), elf_machine(mach),
                 h[4] == 2 ? "64" : h[4] == 1 ? "32" : "?");
        if (type == 4) {
            code = VM_EXIT_UNSUPPORTED;
#ifdef _WIN32
            hint = "this build cannot map ELF core dumps (Linux builds of vmmap can); it maps running processes, "
                   "snapshots (.json) and minidumps";
#else
            hint = h[5] == 2 ? "a big-endian core: vmmap reads little-endian cores (x86-64, i386, AArch64)"
                             : "vmmap reads little-endian Linux cores; this one it could not take";
#endif
        } else {
            hint = "a program file, not a process: run it and give vmmap its PID or name (or `vmmap --self`)";
        }
    } else if (n >= 2 && h[0] == 'M' && h[1] == 'Z') {
        snprintf(what, sizeof what, "a Windows executable or DLL (PE)");
        hint = "a program file, not a process: run it and give vmmap its PID, or pass a minidump of it "
               "(procdump -ma PID, Task Manager's \"Create dump file\")";
    } else if (n >= 4 && memcmp(h, "PK\x03\x04", 4) == 0) {
        snprintf(what, sizeof what, "a zip archive (a .xlsx workbook?)");
        hint = "vmmap reads the snapshots it writes (`vmmap snapshot TARGET -o FILE.json`), not its reports";
    } else if (packing == VM_PACK_NONE && vm_packing_of(h, n) != VM_PACK_NONE) {
        snprintf(what, sizeof what, "%s-compressed data", vm_packing_name(vm_packing_of(h, n)));
    } else if (start && *start == '{') {
        snprintf(what, sizeof what, "a compressed snapshot");
        hint = "decompress it first and pass the .json";
    } else if (start && *start == '[') {
        snprintf(what, sizeof what, "a JSON array, not a snapshot (a snapshot is one JSON object)");
        hint = "a series of snapshots is a directory of .json files or a .jsonl file: `vmmap report FILE.jsonl`";
    } else if (looks_like_text(h, n)) {
        snprintf(what, sizeof what, "a text file, not a snapshot (a snapshot is JSON: it starts with '{')");
    } else {
        snprintf(what, sizeof what, "unrecognised content (first bytes %02x %02x %02x %02x)", h[0], n > 1 ? h[1] : 0,
                 n > 2 ? h[2] : 0, n > 3 ? h[3] : 0);
    }
    (void)at;
    const char *packed = packing != VM_PACK_NONE ? vm_packing_name((vm_packing)packing) : NULL;
    vm_error_set(err, code, "%s: %s%s%s%s", path, promise, packed ? packed : "", packed ? "-compressed: " : "", what);
    vm_error_hint(err, "%s", hint ? hint : "vmmap reads snapshots (.json), minidumps (MDMP) and running processes "
                                           "(a PID or a name)");
    return code;
}

int vm_directory_target(const char *path, vm_error *err)
{
    vm_error_set(err, VM_EXIT_BAD_INPUT, "%s: is a directory, not a process, snapshot or dump", path);
    vm_error_hint(err, "directories of snapshots are for `vmmap report DIR -o timeline.xlsx` (and `vmmap watch PID "
                       "-o DIR` writes one); give one .json in it to map that snapshot");
    return VM_EXIT_BAD_INPUT;
}
