/* vmmap's own [vdso]: the kernel maps one vDSO image per ABI into every process, so a target's
 * vDSO can be read from vmmap's own copy instead of from the target, where reading a page that
 * is not yet mapped would map it (linux_memreader.h).  linux_images.c decides whether the two are
 * the same image. */
#ifndef VMMAP_SOURCES_LINUX_OWN_VDSO_H
#define VMMAP_SOURCES_LINUX_OWN_VDSO_H

#include <stdbool.h>
#include <stdint.h>

/* vmmap's vDSO (getauxval(AT_SYSINFO_EHDR)) and its size (its /proc/self/maps line); false when
 * there is none. */
bool vm_linux_own_vdso(const uint8_t **base, uint64_t *size);

/* Whether process pid runs an executable of vmmap's own ABI (ELF class, byte order, machine):
 * then the kernel gave it the same vDSO image as vmmap's.  False when it cannot be told. */
bool vm_linux_same_abi(int pid);

#endif
