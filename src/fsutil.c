/* fsutil.c: bounded reads and crash-safe writes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmalloc.h"

/* Whole file into a NUL-terminated heap buffer; EFBIG past max bytes. */
int fs_read_file(const char *path, char **out, size_t *len, size_t max, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *p = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	if (fd < 0)
		return errno;
	if (fstat(fd, &sb) < 0) {
		err = errno;
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		err = EISDIR;
		goto out;
	}
	for (;;) {
		ssize_t r;
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			p = xrealloc(p, cap);
		}
		r = read(fd, p + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			err = EFBIG;
			goto out;
		}
	}
	if (!p)
		p = xmalloc(1);
	p[n] = '\0';
	*out = p;
	*len = n;
	if (st)
		*st = sb;
	p = NULL;
out:
	free(p);
	close(fd);
	return err;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int sync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;
	free(copy);
	if (fd < 0)
		return errno;
	if (fsync(fd) < 0)
		err = errno;
	close(fd);
	return err;
}

/* Replace path so that a crash leaves either the old or the new content. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp;
	int fd, err;

	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		err = errno;
		free(tmp);
		return err;
	}
	err = write_all(fd, data, len);
	if (!err && fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err)
		unlink(tmp);
	else
		err = sync_dir_of(path);
	free(tmp);
	return err;
}

/* Append one record and fsync before returning: once this returns 0 the
 * record survives kill -9 and power loss. */
int fs_append_sync(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
	int err;

	if (fd < 0)
		return errno;
	err = write_all(fd, data, len);
	if (!err && fdatasync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	return err;
}

/* mkdir -p; ENOTDIR when something else than a directory is in the way. */
int fs_mkdir_p(const char *path, mode_t mode)
{
	char *p;
	int err = 0;
	struct stat st;

	if (!*path)
		return ENOENT;
	p = xstrdup(path);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				err = errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	/* mkdir says EEXIST for a file too */
	if (!err && stat(p, &st) < 0)
		err = errno;
	else if (!err && !S_ISDIR(st.st_mode))
		err = ENOTDIR;
	free(p);
	return err;
}

/* $XDG_DATA_HOME/sipterm[/sub], else ~/.local/share/sipterm[/sub]. */
int fs_data_dir(char *buf, size_t size, const char *sub)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/sipterm%s%s", xdg, sub ? "/" : "", sub ? sub : "");
	else if (home && *home)
		n = snprintf(buf, size, "%s/.local/share/sipterm%s%s", home, sub ? "/" : "",
			     sub ? sub : "");
	else
		return ENOENT;
	return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}
