/* conf.c: INI parser and typed getters.  The whole file is read at once
 * (bounded at 1 MiB); every error says FILE:LINE: what is wrong and how to
 * fix it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "conf.h"
#include "fsutil.h"
#include "pl.h"
#include "xmalloc.h"

#define CONF_MAX_SIZE (1024 * 1024)
#define CONF_MAX_LINE 4096

/* $XDG_CONFIG_HOME/sipterm/config, else ~/.config/sipterm/config. */
int conf_default_path(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/sipterm/config", xdg);
	else if (home && *home)
		n = snprintf(buf, size, "%s/.config/sipterm/config", home);
	else
		return ENOENT;
	return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}

void conf_errf(const struct conf *c, unsigned line, char *err, size_t errsz,
	       const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || !errsz)
		return;
	if (c && c->path)
		n = line ? snprintf(err, errsz, "%s:%u: ", c->path, line)
			 : snprintf(err, errsz, "%s: ", c->path);
	if (n < 0 || (size_t)n >= errsz)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err + n, errsz - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char *trim(char *s, char *e)
{
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	*e = '\0';
	return s;
}

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	}
	return true;
}

/* A value may be quoted to keep leading/trailing blanks or a '#'; a comment
 * may follow the closing quote.  EINVAL: no closing quote; EBADMSG: text
 * after it. */
static int unquote(char *v, char **out)
{
	size_t n = strlen(v);
	if (n && v[0] == '"') {
		char *o = v, *i = v + 1;
		for (; *i && *i != '"'; i++) {
			if (*i == '\\' && i[1])
				i++;
			*o++ = *i;
		}
		if (*i != '"')
			return EINVAL;
		for (i++; is_space(*i); i++)
			;
		if (*i != '\0' && *i != '#')
			return EBADMSG;
		*o = '\0';
	} else {
		/* strip a trailing comment: " # ..." */
		char *h = strstr(v, " #");
		if (!h)
			h = strstr(v, "\t#");
		if (h)
			trim(v, h);
	}
	*out = v;
	return 0;
}

int conf_parse(struct conf **cp, const char *path, const char *text, size_t len,
	       char *err, size_t errsz)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	struct conf_sect *sect = NULL, **sect_tail = &c->sects;
	struct conf_kv **kv_tail = NULL;
	char *copy = xmalloc(len + 1), *p = copy, *end = copy + len;
	unsigned line = 0;
	int rc = 0;

	memcpy(copy, text, len);
	copy[len] = '\0';
	c->path = xstrdup(path ? path : "(config)");
	if ((p = memchr(copy, '\0', len))) {
		for (char *q = copy; q < p; q++)
			line += *q == '\n';
		conf_errf(c, line + 1, err, errsz,
			  "contains a NUL byte: not a text file; save it as plain text");
		rc = EINVAL;
		goto out;
	}
	p = copy;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3; /* a UTF-8 byte order mark, as some editors write */
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end, *s;
		line++;
		if ((size_t)(e - p) > CONF_MAX_LINE) {
			conf_errf(c, line, err, errsz, "line longer than %d bytes: shorten it",
				  CONF_MAX_LINE);
			rc = EINVAL;
			goto out;
		}
		s = trim(p, e);
		p = nl ? nl + 1 : end;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']'), *name, *arg = NULL, *sp;
			if (!close || close[1] != '\0') {
				conf_errf(c, line, err, errsz,
					  "bad section header '%s': write it as [name] or [name arg]", s);
				rc = EINVAL;
				goto out;
			}
			name = trim(s + 1, close);
			sp = strpbrk(name, " \t");
			if (sp) {
				*sp = '\0';
				arg = trim(sp + 1, sp + 1 + strlen(sp + 1));
				if (*arg == '"' && strlen(arg) >= 2 && arg[strlen(arg) - 1] == '"') {
					arg[strlen(arg) - 1] = '\0';
					arg++;
				}
			}
			if (!is_name(name) || (arg && !*arg)) {
				conf_errf(c, line, err, errsz,
					  "bad section name '%s': use letters, digits, '-', '_' or '.'", name);
				rc = EINVAL;
				goto out;
			}
			/* a repeat would be ignored by conf_sect_find: refuse it */
			for (sect = c->sects; sect; sect = sect->next) {
				if (strcmp(sect->name, name) || !sect->arg != !arg ||
				    (arg && strcmp(sect->arg, arg)))
					continue;
				conf_errf(c, line, err, errsz,
					  "[%s%s%s] is already opened at line %u: merge the two",
					  name, arg ? " " : "", arg ? arg : "", sect->line);
				rc = EINVAL;
				goto out;
			}
			sect = xcalloc(1, sizeof(*sect));
			sect->name = xstrdup(name);
			sect->arg = arg ? xstrdup(arg) : NULL;
			sect->line = line;
			*sect_tail = sect;
			sect_tail = &sect->next;
			kv_tail = &sect->kvs;
			continue;
		}
		{
			char *eq = strchr(s, '='), *key, *val;
			struct conf_kv *kv;
			if (!eq) {
				conf_errf(c, line, err, errsz,
					  "expected 'key = value' or '[section]', got '%s'", s);
				rc = EINVAL;
				goto out;
			}
			key = trim(s, eq);
			val = trim(eq + 1, eq + 1 + strlen(eq + 1));
			if (!is_name(key)) {
				conf_errf(c, line, err, errsz,
					  "bad key '%s': use letters, digits, '-', '_' or '.'", key);
				rc = EINVAL;
				goto out;
			}
			if (!sect) {
				conf_errf(c, line, err, errsz,
					  "'%s' is outside any section: put it under [general]", key);
				rc = EINVAL;
				goto out;
			}
			rc = unquote(val, &val);
			if (rc) {
				conf_errf(c, line, err, errsz, rc == EINVAL ?
					  "unterminated quote in the value of '%s': close it with \"" :
					  "text after the closing quote in the value of '%s': "
					  "put it inside the \"\" or after a '#'", key);
				rc = EINVAL;
				goto out;
			}
			if (conf_kv_find(sect, key)) {
				conf_errf(c, line, err, errsz,
					  "'%s' is set twice in [%s%s%s]: keep one", key, sect->name,
					  sect->arg ? " " : "", sect->arg ? sect->arg : "");
				rc = EINVAL;
				goto out;
			}
			kv = xcalloc(1, sizeof(*kv));
			kv->key = xstrdup(key);
			kv->val = xstrdup(val);
			kv->line = line;
			*kv_tail = kv;
			kv_tail = &kv->next;
		}
	}
out:
	free(copy);
	if (rc) {
		conf_free(c);
		return rc;
	}
	*cp = c;
	return 0;
}

static bool has_password(const struct conf *c, unsigned *line)
{
	for (const struct conf_sect *s = c->sects; s; s = s->next)
		for (const struct conf_kv *kv = s->kvs; kv; kv = kv->next)
			if (!strcmp(kv->key, "password")) {
				*line = kv->line;
				return true;
			}
	return false;
}

/* Read and parse a file.  A file holding a password must not be readable by
 * group or others: it is refused, with the chmod that fixes it. */
int conf_load(struct conf **cp, const char *path, char *err, size_t errsz)
{
	struct conf *c = NULL;
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	unsigned line;
	int rc;

	rc = fs_read_file(path, &text, &len, CONF_MAX_SIZE, &st);
	if (rc) {
		if (rc == EFBIG)
			snprintf(err, errsz, "%s: larger than 1 MiB: not a sipterm config", path);
		else
			snprintf(err, errsz, "%s: cannot read: %s", path, strerror(rc));
		return rc;
	}
	rc = conf_parse(&c, path, text, len, err, errsz);
	free(text);
	if (rc)
		return rc;
	if (has_password(c, &line) && (st.st_mode & 077)) {
		conf_errf(c, line, err, errsz,
			  "holds a password but is readable by others (mode %04o): run 'chmod 600 %s'",
			  (unsigned)(st.st_mode & 07777), path);
		conf_free(c);
		return EACCES;
	}
	*cp = c;
	return 0;
}

void conf_free(struct conf *c)
{
	struct conf_sect *s, *sn;
	struct conf_kv *kv, *kn;

	if (!c)
		return;
	for (s = c->sects; s; s = sn) {
		sn = s->next;
		for (kv = s->kvs; kv; kv = kn) {
			kn = kv->next;
			/* wipe values: some are passwords */
			explicit_bzero(kv->val, strlen(kv->val));
			free(kv->key);
			free(kv->val);
			free(kv);
		}
		free(s->name);
		free(s->arg);
		free(s);
	}
	free(c->path);
	free(c);
}

/* arg NULL matches the first section of that name, with or without arg. */
struct conf_sect *conf_sect_find(const struct conf *c, const char *name, const char *arg)
{
	for (struct conf_sect *s = c ? c->sects : NULL; s; s = s->next) {
		if (strcmp(s->name, name))
			continue;
		if (!arg || (s->arg && !strcmp(s->arg, arg)))
			return s;
	}
	return NULL;
}

const struct conf_kv *conf_kv_find(const struct conf_sect *s, const char *key)
{
	for (const struct conf_kv *kv = s ? s->kvs : NULL; kv; kv = kv->next)
		if (!strcmp(kv->key, key))
			return kv;
	return NULL;
}

const char *conf_get(const struct conf_sect *s, const char *key)
{
	const struct conf_kv *kv = conf_kv_find(s, key);
	return kv ? kv->val : NULL;
}

/* ENOENT when absent (out untouched), EINVAL with a message when bad. */
int conf_get_bool(const struct conf *c, const struct conf_sect *s, const char *key,
		  bool *out, char *err, size_t errsz)
{
	const struct conf_kv *kv = conf_kv_find(s, key);
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	if (!kv)
		return ENOENT;
	for (unsigned i = 0; i < 4; i++) {
		if (!strcasecmp(kv->val, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(kv->val, no[i])) {
			*out = false;
			return 0;
		}
	}
	conf_errf(c, kv->line, err, errsz, "'%s = %s': write yes or no", key, kv->val);
	return EINVAL;
}

int conf_get_u32(const struct conf *c, const struct conf_sect *s, const char *key,
		 uint32_t min, uint32_t max, uint32_t *out, char *err, size_t errsz)
{
	const struct conf_kv *kv = conf_kv_find(s, key);
	struct pl x;
	uint32_t v;

	if (!kv)
		return ENOENT;
	/* strict: strtoul would take " 5", "+5" and wrap "-1" */
	x = pl_cstr(kv->val);
	if (pl_u32(&x, &v) || v < min || v > max) {
		conf_errf(c, kv->line, err, errsz, "'%s = %s': write a whole number from %u to %u",
			  key, kv->val, min, max);
		return EINVAL;
	}
	*out = v;
	return 0;
}

/* Reject keys a section does not know, naming the ones it does. */
int conf_check_keys(const struct conf *c, const struct conf_sect *s,
		    const char *const *keys, char *err, size_t errsz)
{
	for (const struct conf_kv *kv = s->kvs; kv; kv = kv->next) {
		bool ok = false;
		char known[512];
		size_t o = 0;
		for (const char *const *k = keys; *k; k++) {
			if (!strcmp(*k, kv->key))
				ok = true;
			o += (size_t)snprintf(known + o, o < sizeof(known) ? sizeof(known) - o : 0,
					      "%s%s", o ? ", " : "", *k);
			if (o >= sizeof(known))
				o = sizeof(known) - 1;
		}
		if (!ok) {
			conf_errf(c, kv->line, err, errsz, "unknown key '%s' in [%s%s%s] (known: %s)",
				  kv->key, s->name, s->arg ? " " : "", s->arg ? s->arg : "", known);
			return EINVAL;
		}
	}
	return 0;
}
