/* event.c: building, printing and dispatching events.  Sinks are called in
 * the order they were added; a sink may remove itself (or another) while
 * an event is being dispatched. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "xmalloc.h"

#define MAX_SINKS 16

struct sink {
	ev_sink_h *h;
	void *arg;
};

static struct sink sinks[MAX_SINKS];
static unsigned nsinks;
static uint64_t next_seq = 1;

struct ev *ev_new(const char *name)
{
	struct ev *e = xcalloc(1, sizeof(*e));
	e->name = name;
	return e;
}

static struct ev_field *add(struct ev *e, const char *key, enum ev_type type)
{
	struct ev_field *f;
	if (e->n >= EV_MAX_FIELDS)
		return NULL;
	f = &e->f[e->n++];
	f->key = key;
	f->type = type;
	return f;
}

void ev_str(struct ev *e, const char *key, const char *val)
{
	struct ev_field *f = add(e, key, EV_STR);
	if (f)
		f->s = xstrdup(val ? val : "");
}

void ev_pl(struct ev *e, const char *key, const struct pl *val)
{
	struct ev_field *f = add(e, key, EV_STR);
	if (f)
		f->s = pl_strdup(val);
}

void ev_int(struct ev *e, const char *key, long long val)
{
	struct ev_field *f = add(e, key, EV_INT);
	if (f)
		f->i = val;
}

void ev_bool(struct ev *e, const char *key, bool val)
{
	struct ev_field *f = add(e, key, EV_BOOL);
	if (f)
		f->i = val;
}

void ev_num(struct ev *e, const char *key, double val)
{
	struct ev_field *f = add(e, key, EV_NUM);
	if (f)
		f->d = val;
}

struct ev *ev_dup(const struct ev *e)
{
	struct ev *d = xmalloc(sizeof(*d));
	*d = *e;
	for (unsigned i = 0; i < d->n; i++)
		if (d->f[i].s)
			d->f[i].s = xstrdup(d->f[i].s);
	return d;
}

void ev_free(struct ev *e)
{
	if (!e)
		return;
	for (unsigned i = 0; i < e->n; i++)
		free(e->f[i].s);
	free(e);
}

/* Deliver to every sink, then free. */
void ev_emit(struct ev *e)
{
	struct sink snap[MAX_SINKS];
	unsigned n = nsinks;

	e->seq = next_seq++;
	memcpy(snap, sinks, n * sizeof(snap[0]));
	for (unsigned i = 0; i < n; i++) {
		/* skip sinks removed by an earlier one in this round */
		bool live = false;
		for (unsigned k = 0; k < nsinks && !live; k++)
			live = sinks[k].h == snap[i].h && sinks[k].arg == snap[i].arg;
		if (live)
			snap[i].h(e, snap[i].arg);
	}
	ev_free(e);
}

const char *ev_get(const struct ev *e, const char *key)
{
	static char num[32];
	for (unsigned i = 0; i < e->n; i++) {
		const struct ev_field *f = &e->f[i];
		if (strcmp(f->key, key))
			continue;
		switch (f->type) {
		case EV_STR:
			return f->s;
		case EV_INT:
			snprintf(num, sizeof(num), "%lld", f->i);
			return num;
		case EV_BOOL:
			return f->i ? "true" : "false";
		case EV_NUM:
			snprintf(num, sizeof(num), "%g", f->d);
			return num;
		}
	}
	return NULL;
}

bool ev_get_int(const struct ev *e, const char *key, long long *out)
{
	for (unsigned i = 0; i < e->n; i++) {
		if (!strcmp(e->f[i].key, key) && e->f[i].type == EV_INT) {
			*out = e->f[i].i;
			return true;
		}
	}
	return false;
}

/* JSON string: UTF-8 passed through, controls and quotes escaped, and
 * bytes that are not valid UTF-8 replaced so the line stays valid JSON. */
void ev_json_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	buf_putc(b, '"');
	while (*p) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
			if (c == '\n')
				buf_puts(b, "\\n");
			else if (c == '\t')
				buf_puts(b, "\\t");
			else if (c == '\r')
				buf_puts(b, "\\r");
			else
				buf_puts(b, esc);
			p++;
		} else if (c < 0x80) {
			buf_putc(b, (char)c);
			p++;
		} else {
			/* validate one UTF-8 sequence */
			size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
			size_t k = 1;
			if (n && n <= 4 && c < 0xf5) {
				while (k < n && (p[k] & 0xc0) == 0x80)
					k++;
			}
			if (n && k == n) {
				buf_append(b, p, n);
				p += n;
			} else {
				buf_puts(b, "\\ufffd");
				p++;
			}
		}
	}
	buf_putc(b, '"');
}

int ev_json(const struct ev *e, struct buf *b)
{
	buf_puts(b, "{\"event\":");
	ev_json_string(b, e->name);
	for (unsigned i = 0; i < e->n; i++) {
		const struct ev_field *f = &e->f[i];
		buf_putc(b, ',');
		ev_json_string(b, f->key);
		buf_putc(b, ':');
		switch (f->type) {
		case EV_STR:
			ev_json_string(b, f->s);
			break;
		case EV_INT:
			buf_printf(b, "%lld", f->i);
			break;
		case EV_BOOL:
			buf_puts(b, f->i ? "true" : "false");
			break;
		case EV_NUM:
			if (isfinite(f->d))
				buf_printf(b, "%.3f", f->d);
			else
				buf_puts(b, "null");
			break;
		}
	}
	buf_putc(b, '}');
	return b->err;
}

/* "name key=value key="value with spaces"": controls escaped. */
int ev_text(const struct ev *e, struct buf *b)
{
	buf_puts(b, e->name);
	for (unsigned i = 0; i < e->n; i++) {
		const struct ev_field *f = &e->f[i];
		buf_printf(b, " %s=", f->key);
		switch (f->type) {
		case EV_STR: {
			bool quote = !*f->s || strpbrk(f->s, " \t\"=") != NULL;
			if (quote)
				buf_putc(b, '"');
			for (const unsigned char *p = (const unsigned char *)f->s; *p; p++) {
				if (*p < 0x20 || *p == 0x7f)
					buf_printf(b, "\\x%02x", *p);
				else if (*p == '"' && quote)
					buf_puts(b, "\\\"");
				else
					buf_putc(b, (char)*p);
			}
			if (quote)
				buf_putc(b, '"');
			break;
		}
		case EV_INT:
			buf_printf(b, "%lld", f->i);
			break;
		case EV_BOOL:
			buf_puts(b, f->i ? "yes" : "no");
			break;
		case EV_NUM:
			buf_printf(b, "%.3f", f->d);
			break;
		}
	}
	return b->err;
}

int ev_sink_add(ev_sink_h *h, void *arg)
{
	if (nsinks >= MAX_SINKS)
		return ENOSPC;
	sinks[nsinks].h = h;
	sinks[nsinks].arg = arg;
	nsinks++;
	return 0;
}

void ev_sink_del(ev_sink_h *h, void *arg)
{
	for (unsigned i = 0; i < nsinks; i++) {
		if (sinks[i].h == h && sinks[i].arg == arg) {
			memmove(&sinks[i], &sinks[i + 1], (nsinks - i - 1) * sizeof(sinks[0]));
			nsinks--;
			return;
		}
	}
}

void ev_sinks_clear(void)
{
	nsinks = 0;
}
