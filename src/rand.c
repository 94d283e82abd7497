/* rand.c: getrandom(2), with /dev/urandom for kernels before 3.17. */
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "rand.h"

static int urandom_fill(unsigned char *p, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return EIO;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return EIO;
		}
		p += r;
		n -= (size_t)r;
	}
	close(fd);
	return 0;
}

int rand_fill(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == ENOSYS ? urandom_fill(p, n) : EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}
