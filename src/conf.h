/* conf.h: the INI-style configuration file.
 *   # comment
 *   [media]
 *   codecs = PCMU, PCMA
 *   [account alice]
 *   uri = sip:alice@example.org
 * Sections may carry one argument (the account or buddy name).  Errors
 * name the file, the line and the fix. */
#ifndef SIPTERM_CONF_H
#define SIPTERM_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_kv {
	char *key;
	char *val;
	unsigned line;
	struct conf_kv *next;
};

struct conf_sect {
	char *name;
	char *arg; /* NULL when the section has no argument */
	unsigned line;
	struct conf_kv *kvs;
	struct conf_sect *next;
};

struct conf {
	char *path;
	struct conf_sect *sects;
};

int conf_default_path(char *buf, size_t size);
int conf_load(struct conf **cp, const char *path, char *err, size_t errsz);
int conf_parse(struct conf **cp, const char *path, const char *text, size_t len,
	       char *err, size_t errsz);
void conf_free(struct conf *c);
struct conf_sect *conf_sect_find(const struct conf *c, const char *name, const char *arg);
const struct conf_kv *conf_kv_find(const struct conf_sect *s, const char *key);
const char *conf_get(const struct conf_sect *s, const char *key);
int conf_get_bool(const struct conf *c, const struct conf_sect *s, const char *key,
		  bool *out, char *err, size_t errsz);
int conf_get_u32(const struct conf *c, const struct conf_sect *s, const char *key,
		 uint32_t min, uint32_t max, uint32_t *out, char *err, size_t errsz);
int conf_check_keys(const struct conf *c, const struct conf_sect *s,
		    const char *const *keys, char *err, size_t errsz);
void conf_errf(const struct conf *c, unsigned line, char *err, size_t errsz,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
