/* fsutil.h: file helpers.  Writes that must survive a crash go through
 * fs_write_atomic (write, fsync, rename, fsync the directory). */
#ifndef SIPTERM_FSUTIL_H
#define SIPTERM_FSUTIL_H

#include <stddef.h>
#include <sys/stat.h>

int fs_read_file(const char *path, char **out, size_t *len, size_t max, struct stat *st);
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
int fs_append_sync(const char *path, const void *data, size_t len, mode_t mode);
int fs_mkdir_p(const char *path, mode_t mode);
int fs_data_dir(char *buf, size_t size, const char *sub);

#endif
