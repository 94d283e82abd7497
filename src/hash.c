/* hash.c: bucket table and FNV-1a hashes. */
#include <stdlib.h>

#include "hash.h"
#include "xmalloc.h"

void hash_init(struct hash *h, uint32_t size_pow2)
{
	uint32_t n = 1;
	while (n < size_pow2)
		n <<= 1;
	h->b = xcalloc(n, sizeof(*h->b));
	h->mask = n - 1;
}

void hash_free(struct hash *h)
{
	free(h->b);
	h->b = NULL;
	h->mask = 0;
}

void hash_add(struct hash *h, uint32_t key, struct le *e, void *data)
{
	list_append(&h->b[key & h->mask], e, data);
}

struct list *hash_bucket(const struct hash *h, uint32_t key)
{
	return &h->b[key & h->mask];
}

uint32_t hash_pl(const struct pl *x)
{
	uint32_t v = 2166136261u;
	for (size_t i = 0; i < x->l; i++)
		v = (v ^ (unsigned char)x->p[i]) * 16777619u;
	return v;
}

/* Case-insensitive variant, for tokens compared without case. */
uint32_t hash_pl_ci(const struct pl *x)
{
	uint32_t v = 2166136261u;
	for (size_t i = 0; i < x->l; i++) {
		unsigned char c = (unsigned char)x->p[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		v = (v ^ c) * 16777619u;
	}
	return v;
}

uint32_t hash_str(const char *s)
{
	struct pl x = pl_cstr(s);
	return hash_pl(&x);
}
