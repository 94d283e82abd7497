/* sip/addr.c: name-addr / addr-spec with header parameters (RFC 3261 20.10,
 * 25.1): From, To, Contact, Route, Record-Route, Refer-To, ... */
#include <string.h>

#include "sip/msg-int.h"

/* Parse one value at the start of *rest; on success *rest is what follows
 * (after the separating comma when multi).  EBADMSG when malformed. */
int sip_addr_parse_next(struct sip_addr *addr, struct pl *rest, bool multi)
{
	const char *p = rest->p, *e, *start, *q;
	struct sip_addr a;
	unsigned nparam;

	if (!p)
		return EBADMSG;
	e = p + rest->l;
	memset(&a, 0, sizeof(a));
	p = skip_ws(p, e);
	start = p;
	if (p == e)
		return EBADMSG;
	if (*p == '"') {
		q = sip_skip_quoted(p, e);
		if (!q)
			return EBADMSG;
		a.dname = pl_span(p, q);
		p = skip_ws(q, e);
		if (p == e || *p != '<')
			return EBADMSG;
	} else {
		/* *(token LWS) "<" ; bytes >= 0x80 tolerated in a display name */
		q = p;
		while (q < e && (cc_is(*q, CC_TOKEN | CC_WS) || (unsigned char)*q >= 0x80))
			q++;
		if (q < e && *q == '<') {
			const char *de = q;
			while (de > p && (de[-1] == ' ' || de[-1] == '\t'))
				de--;
			if (de > p)
				a.dname = pl_span(p, de);
			p = q;
		}
	}
	if (*p == '<') {
		const char *gt = memchr(p + 1, '>', (size_t)(e - p - 1));
		if (!gt)
			return EBADMSG;
		a.auri = pl_span(p + 1, gt);
		/* no blanks inside the brackets (RFC 4475 3.1.2.15) */
		if (!a.auri.l || cc_is(a.auri.p[0], CC_WS) || cc_is(gt[-1], CC_WS))
			return EBADMSG;
		a.angle = true;
		p = gt + 1;
	} else {
		/* addr-spec: ends at ';', ',' or a blank; may not hold '?' */
		q = p;
		while (q < e && *q != ';' && *q != ',' && *q != ' ' && *q != '\t')
			q++;
		a.auri = pl_span(p, q);
		if (pl_chr(&a.auri, '?'))
			return EBADMSG;
		p = q;
	}
	if (sip_uri_parse(&a.uri, &a.auri))
		return EBADMSG;
	q = sip_scan_params(p, e, multi, &a.params, &nparam);
	if (!q)
		return EBADMSG;
	if (nparam) {
		struct pl v;
		if (sip_param_find(&a.params, "tag", &v) == 0) {
			if (!v.l || cc_span(v.p, v.p + v.l, CC_TOKEN) != v.p + v.l)
				return EBADMSG;
			a.tag = v;
		}
	}
	a.val = pl_span(start, a.params.p ? a.params.p + a.params.l : p);
	if (q < e) {
		if (!multi || *q != ',')
			return EBADMSG;
		q = skip_ws(q + 1, e);
		if (q == e)
			return EBADMSG; /* trailing comma */
	}
	*rest = pl_span(q, e);
	*addr = a;
	return 0;
}

/* A single-valued header (From, To, Refer-To, ...). */
int sip_addr_parse(struct sip_addr *addr, const struct pl *text)
{
	struct pl rest = *text;
	return sip_addr_parse_next(addr, &rest, false);
}

/* The display name without quotes and escapes ("" when absent). */
int sip_addr_dname(const struct sip_addr *addr, char *dst, size_t size)
{
	return sip_unquote(&addr->dname, dst, size);
}
