/* pl.c: slice helpers. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "pl.h"
#include "xmalloc.h"

/* Wrap a C string without copying. */
struct pl pl_cstr(const char *s)
{
	struct pl x = { s, s ? strlen(s) : 0 };
	return x;
}

/* Exact byte comparison, for tags, Call-IDs and branches. */
bool pl_eq(const struct pl *a, const struct pl *b)
{
	return a->l == b->l && (a->l == 0 || memcmp(a->p, b->p, a->l) == 0);
}

static inline unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ASCII case-insensitive, length-delimited (NULs compare like any byte). */
bool mem_caseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* ASCII case-insensitive comparison, for tokens and header names. */
bool pl_casecmp_eq(const struct pl *a, const struct pl *b)
{
	return a->l == b->l && mem_caseeq(a->p, b->p, a->l);
}

bool pl_eq_str(const struct pl *a, const char *s)
{
	size_t n = strlen(s);
	return a->l == n && (n == 0 || memcmp(a->p, s, n) == 0);
}

bool pl_caseeq_str(const struct pl *a, const char *s)
{
	size_t n = strlen(s);
	return a->l == n && mem_caseeq(a->p, s, n);
}

bool pl_prefix_case(const struct pl *x, const char *prefix)
{
	size_t n = strlen(prefix);
	return x->l >= n && mem_caseeq(x->p, prefix, n);
}

/* Ordering for sorted tables; shorter sorts first on a common prefix. */
int pl_cmp(const struct pl *a, const struct pl *b)
{
	size_t n = a->l < b->l ? a->l : b->l;
	int r = n ? memcmp(a->p, b->p, n) : 0;
	if (r)
		return r;
	return a->l < b->l ? -1 : a->l > b->l;
}

/* Strict unsigned decimal: digits only, no sign, no overflow (ERANGE).
 * No length cap: leading zeros are valid and the overflow check bounds v. */
int pl_u64(const struct pl *x, uint64_t *out)
{
	uint64_t v = 0;
	int err = 0;
	if (!x->l)
		return EINVAL;
	for (size_t i = 0; i < x->l; i++) {
		unsigned d = (unsigned char)x->p[i] - '0';
		if (d > 9)
			return EINVAL;
		if (err || v > (UINT64_MAX - d) / 10)
			err = ERANGE; /* keep scanning: bad input is EINVAL */
		else
			v = v * 10 + d;
	}
	if (!err)
		*out = v;
	return err;
}

int pl_u32(const struct pl *x, uint32_t *out)
{
	uint64_t v;
	int err = pl_u64(x, &v);
	if (err)
		return err;
	if (v > UINT32_MAX)
		return ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* Drop leading and trailing SP/HT/CR/LF. */
void pl_trim(struct pl *x)
{
	while (x->l && (x->p[0] == ' ' || x->p[0] == '\t' || x->p[0] == '\r' ||
			x->p[0] == '\n')) {
		x->p++;
		x->l--;
	}
	while (x->l && (x->p[x->l - 1] == ' ' || x->p[x->l - 1] == '\t' ||
			x->p[x->l - 1] == '\r' || x->p[x->l - 1] == '\n'))
		x->l--;
}

char *pl_strdup(const struct pl *x)
{
	char *s = xmalloc(x->l + 1);
	if (x->l)
		memcpy(s, x->p, x->l);
	s[x->l] = '\0';
	return s;
}

/* Copy into a fixed buffer, always terminated; returns the full length so
 * the caller can tell truncation (like strlcpy). */
size_t pl_strcpy(const struct pl *x, char *dst, size_t size)
{
	if (size) {
		size_t n = x->l < size - 1 ? x->l : size - 1;
		if (n)
			memcpy(dst, x->p, n);
		dst[n] = '\0';
	}
	return x->l;
}

const char *pl_chr(const struct pl *x, char c)
{
	return x->l ? memchr(x->p, c, x->l) : NULL;
}
