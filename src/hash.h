/* hash.h: a fixed-size table of intrusive lists; the caller hashes and
 * compares (O(1) average lookups for transactions, dialogs, connections). */
#ifndef SIPTERM_HASH_H
#define SIPTERM_HASH_H

#include <stdint.h>

#include "list.h"
#include "pl.h"

struct hash {
	struct list *b;
	uint32_t mask;
};

void hash_init(struct hash *h, uint32_t size_pow2);
void hash_free(struct hash *h);
void hash_add(struct hash *h, uint32_t key, struct le *e, void *data);
struct list *hash_bucket(const struct hash *h, uint32_t key);
uint32_t hash_pl(const struct pl *x);
uint32_t hash_pl_ci(const struct pl *x);
uint32_t hash_str(const char *s);

#endif
