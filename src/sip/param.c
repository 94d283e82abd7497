/* sip/param.c: parameters (";name=value"), token lists and quoted strings. */
#include <string.h>
#include <strings.h>

#include "sip/msg-int.h"

/* Returns the position after the closing quote; NULL when unterminated.
 * A backslash escapes any byte but CR and LF (quoted-pair), NUL included. */
const char *sip_skip_quoted(const char *p, const char *e)
{
	if (p >= e || *p != '"')
		return NULL;
	for (p++; p < e; p++) {
		if (*p == '\\') {
			/* quoted-pair excludes CR and LF (RFC 3261 25.1) */
			if (++p >= e || *p == '\r' || *p == '\n')
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		} else if (*p == '\r' || *p == '\n') {
			return NULL;
		}
	}
	return NULL;
}

/* One generic-param at p (just after ';' and blanks): token [= value].
 * A value-less parameter gets an empty value that is still set. */
static const char *scan_one(const char *p, const char *e, struct pl *name, struct pl *val)
{
	const char *n = p;

	p = cc_span(p, e, CC_TOKEN);
	if (p == n)
		return NULL;
	*name = pl_span(n, p);
	val->p = p;
	val->l = 0;
	{
		const char *q = skip_ws(p, e);
		if (q < e && *q == '=') {
			const char *v = skip_ws(q + 1, e);
			if (v < e && *v == '"') {
				p = sip_skip_quoted(v, e);
				if (!p)
					return NULL;
			} else {
				p = cc_span(v, e, CC_PVAL);
				if (p == v)
					return NULL;
			}
			*val = pl_span(v, p);
		}
	}
	return p;
}

/* One step of the parameter walk: the next ";name[=value]" after the
 * last one.  The rules are those of generic-param (RFC 3261 25.1) with
 * LWS allowed around ';' and '=' and at most SIP_MAX_PARAMS per value. */
int sip_pscan_next(struct sip_pscan *ps, struct pl *name, struct pl *val)
{
	const char *q = skip_ws(ps->p, ps->e), *p;

	if (q == ps->e || (ps->multi && *q == ','))
		return ENOENT;
	if (*q != ';')
		return EBADMSG;
	if (!ps->first)
		ps->first = q;
	q = skip_ws(q + 1, ps->e);
	p = scan_one(q, ps->e, name, val);
	if (!p || ++ps->n > SIP_MAX_PARAMS)
		return EBADMSG;
	ps->p = p;
	return 0;
}

/* Validate the parameters that follow a value.  p is at the first ';' (or
 * blanks before it); parsing stops at the end, or at ',' when multi.
 * Returns where it stopped (blanks skipped), NULL when malformed. */
const char *sip_scan_params(const char *p, const char *e, bool multi, struct pl *params,
			    unsigned *count)
{
	struct sip_pscan ps;
	struct pl name, val;
	int err;

	sip_pscan_init(&ps, p, e, multi);
	while ((err = sip_pscan_next(&ps, &name, &val)) == 0)
		;
	if (err != ENOENT)
		return NULL;
	if (params)
		*params = sip_pscan_params(&ps);
	if (count)
		*count = ps.n;
	return sip_pscan_end(&ps);
}

int sip_param_next(struct pl *iter, struct pl *name, struct pl *val)
{
	const char *p = iter->p, *e;

	if (!p)
		return ENOENT;
	e = p + iter->l;
	p = skip_ws(p, e);
	if (p == e)
		return ENOENT;
	if (*p != ';')
		return EBADMSG;
	p = skip_ws(p + 1, e);
	p = scan_one(p, e, name, val);
	if (!p)
		return EBADMSG;
	*iter = pl_span(p, e);
	return 0;
}

/* Case-insensitive lookup; val is set (possibly empty) when found. */
int sip_param_find(const struct pl *params, const char *name, struct pl *val)
{
	struct pl n = pl_cstr(name);
	return sip_param_find_pl(params, &n, val);
}

int sip_param_find_pl(const struct pl *params, const struct pl *name, struct pl *val)
{
	struct pl it = *params, n, v;
	int err;

	while ((err = sip_param_next(&it, &n, &v)) == 0) {
		if (pl_casecmp_eq(&n, name)) {
			if (val)
				*val = v;
			return 0;
		}
	}
	return err == EBADMSG ? EBADMSG : ENOENT;
}

/* Next token of a comma-separated list (Allow, Supported, Require...). */
int sip_token_next(struct pl *iter, struct pl *tok)
{
	const char *p = iter->p, *e, *s;

	if (!p)
		return ENOENT;
	e = p + iter->l;
	while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
		p++;
	if (p == e)
		return ENOENT;
	s = p;
	p = cc_span(p, e, CC_TOKEN);
	if (p == s)
		return EBADMSG;
	*tok = pl_span(s, p);
	p = skip_ws(p, e);
	/* skip parameters of this element (e.g. Accept: a/b;q=0.5) */
	while (p < e && *p != ',')
		p++;
	*iter = pl_span(p, e);
	return 0;
}

/* Copy a possibly quoted value, removing quotes and backslash escapes. */
int sip_unquote(const struct pl *in, char *dst, size_t size)
{
	const char *p = in->p, *e;
	size_t o = 0;

	if (!size)
		return ENOSPC;
	if (!p) {
		dst[0] = '\0';
		return 0;
	}
	e = p + in->l;
	if (in->l >= 2 && *p == '"' && e[-1] == '"') {
		p++;
		e--;
	}
	for (; p < e; p++) {
		if (*p == '\\' && p + 1 < e)
			p++;
		if (o + 1 >= size) {
			dst[o] = '\0';
			return ENOSPC;
		}
		dst[o++] = *p;
	}
	dst[o] = '\0';
	return 0;
}
