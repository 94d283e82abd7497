/* pl.h: pointer-length slices into a buffer someone else owns.
 * Parsers hand these out instead of copying; copy (pl_strdup) only what
 * must outlive the buffer. */
#ifndef SIPTERM_PL_H
#define SIPTERM_PL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl {
	const char *p;
	size_t l;
};

#define PL(s) ((struct pl){ (s), sizeof(s) - 1 })
#define PL_NULL ((struct pl){ NULL, 0 })
/* printf("%.*s", PL_ARG(x)) */
#define PL_ARG(x) (int)(x).l, (x).p

static inline struct pl pl_make(const char *p, size_t l)
{
	struct pl x = { p, l };
	return x;
}

/* A slice is "set" when it points somewhere, even if empty (";rport"). */
static inline bool pl_isset(const struct pl *x)
{
	return x->p != NULL;
}

bool mem_caseeq(const char *a, const char *b, size_t n);
struct pl pl_cstr(const char *s);
bool pl_eq(const struct pl *a, const struct pl *b);
bool pl_casecmp_eq(const struct pl *a, const struct pl *b);
bool pl_eq_str(const struct pl *a, const char *s);
bool pl_caseeq_str(const struct pl *a, const char *s);
int pl_cmp(const struct pl *a, const struct pl *b);
int pl_u32(const struct pl *x, uint32_t *out);
int pl_u64(const struct pl *x, uint64_t *out);
void pl_trim(struct pl *x);
char *pl_strdup(const struct pl *x);
size_t pl_strcpy(const struct pl *x, char *dst, size_t size);
const char *pl_chr(const struct pl *x, char c);
bool pl_prefix_case(const struct pl *x, const char *prefix);

#endif
