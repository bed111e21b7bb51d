/* Files by descriptor, the same on every build, for the readers of cores, dumps and module files:
 *   - reads at an offset that never move a shared file position (pread; on Windows ReadFile
 *     with the offset in an OVERLAPPED, so two threads reading one descriptor do not race, which
 *     a seek followed by a read would);
 *   - a temporary file that is gone once closed, whatever happens (POSIX: mkstemp in $TMPDIR,
 *     else /tmp, unlinked at once; Windows: in the user's temp folder, GetTempPath, opened
 *     FILE_FLAG_DELETE_ON_CLOSE: msvcrt's tmpfile() writes to the root of the drive, which
 *     needs administrator rights);
 *   - a whole file mapped read-only (mmap; a view of a file mapping on Windows).
 * Errors are errno values, as the callers' messages (strerror) expect. */
#ifndef VMMAP_UTIL_FILE_IO_H
#define VMMAP_UTIL_FILE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The environment variable that names the temporary folder, for hints. */
#ifdef _WIN32
#define VM_TEMP_DIR_VARIABLE "TMP"
#else
#define VM_TEMP_DIR_VARIABLE "TMPDIR"
#endif

/* Lists of folders (--image-path): separated by ':' on POSIX and by ';' on Windows, where
 * C:\dir has a colon of its own. */
#ifdef _WIN32
#define VM_PATH_LIST_SEPARATOR ';'
#else
#define VM_PATH_LIST_SEPARATOR ':'
#endif

/* The first folder of the list *rest: its length in *len, *rest moved past it (NULL after the
 * last).  Returns its start, NULL when *rest is NULL or empty. */
const char *vm_path_list_next(const char **rest, size_t *len);

/* Opens path read-only (binary, not inherited by children).  -1 with errno set on failure. */
int vm_file_open_read(const char *path);
void vm_file_close(int fd);

/* Size of the open file and whether it is a directory.  False with errno set. */
bool vm_file_info(int fd, uint64_t *size, bool *is_dir);
/* The same by name. */
bool vm_path_info(const char *path, uint64_t *size, bool *is_dir);

/* Reads up to len bytes at offset off.  Returns the bytes read (0 at the end of the file), or
 * -1 with errno set (EINTR is retried here). */
int64_t vm_file_pread(int fd, void *buf, size_t len, uint64_t off);

/* Writes all of buf; false with errno set (ENOSPC when the disk is full). */
bool vm_file_write_all(int fd, const void *buf, size_t len);

/* A new temporary file, open for reading and writing, that disappears when closed.  where gets
 * the folder it is in (for messages).  -1 with errno set on failure. */
int vm_file_temp(char *where, size_t wherelen);

/* Maps the first size bytes (size > 0) of the open file read-only; the descriptor may be closed
 * afterwards.  NULL with errno set when the file cannot be mapped (the caller reads it instead). */
void *vm_file_map(int fd, uint64_t size);
void vm_file_unmap(void *data, size_t size);

#endif
