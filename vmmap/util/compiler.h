/* Compiler portability.  MinGW checks printf formats against Microsoft's printf unless told the
 * GNU dialect; we build it with __USE_MINGW_ANSI_STDIO=1, so %zu and %llu are right there too. */
#ifndef VMMAP_UTIL_COMPILER_H
#define VMMAP_UTIL_COMPILER_H

#if defined(__MINGW32__)
#define VM_PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#else
#define VM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

#endif
