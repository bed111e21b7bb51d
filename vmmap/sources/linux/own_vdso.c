#include "own_vdso.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include "proc_process.h"

bool vm_linux_own_vdso(const uint8_t **base, uint64_t *size)
{
    uint64_t at = (uint64_t)getauxval(AT_SYSINFO_EHDR);
    if (!at)
        return false;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        uint64_t start, end;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2 && start == at && end > start &&
            strstr(line, "[vdso]")) {
            *base = (const uint8_t *)(uintptr_t)at;
            *size = end - start;
            found = true;
        }
    }
    fclose(f);
    return found;
}

bool vm_linux_same_abi(int pid)
{
    uint8_t theirs[VM_LINUX_EXE_HEADER], ours[VM_LINUX_EXE_HEADER];
    return vm_linux_exe_header(pid, theirs) && vm_linux_exe_header(0, ours) && theirs[4] == ours[4] &&
           theirs[5] == ours[5] && theirs[18] == ours[18] && theirs[19] == ours[19];
}
