/* Which mapped files are glibc's C library and its dynamic loader, by their names as the maps (or a
 * core's NT_FILE note) give them: the name of the file itself, which a symbolic link does not
 * hide.  glibc 2.34 and later install libc.so.6 and ld-linux-<arch>.so.N as files; before 2.34
 * they were libc-2.NN.so and ld-2.NN.so, with libc.so.6 and ld-linux-*.so.N symbolic links to
 * them (Debian 11: /lib/x86_64-linux-gnu/libc-2.31.so).  musl's libc (libc.musl-*.so.1,
 * ld-musl-*.so.1) is not glibc. */
#ifndef VMMAP_SOURCES_LINUX_GLIBC_NAMES_H
#define VMMAP_SOURCES_LINUX_GLIBC_NAMES_H

#include <stdbool.h>

/* path's last component is libc.so.6 or libc-2.NN.so (NN digits, a .N more allowed). */
bool lx_is_glibc_libc(const char *path);
/* path's last component is ld-linux*.so.N or ld-2.NN.so. */
bool lx_is_glibc_loader(const char *path);

#endif
