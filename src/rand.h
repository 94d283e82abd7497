/* rand.h: random bytes from the kernel's generator (getrandom(2)).
 * Cryptographically strong, so fit for digest cnonces as well as tags,
 * branches, Call-IDs, SSRCs and the instance id; it costs no library (an
 * idle sipterm does not load libcrypto for it: src/dl.h).  Blocks only in
 * early boot, until the kernel's pool is first seeded. */
#ifndef SIPTERM_RAND_H
#define SIPTERM_RAND_H

#include <stddef.h>

/* Fill p with n random bytes: 0, or EIO when the kernel gives none (no
 * getrandom and no /dev/urandom). */
int rand_fill(void *p, size_t n);

#endif
