/* sip/addr.c: name-addr / addr-spec with header parameters (RFC 3261 20.10,
 * 25.1): From, To, Contact, Route, Record-Route, Refer-To, ... */
#include <string.h>

#include "sip/msg-int.h"

/* Parse one value at the start of *rest into *addr; on success *rest is
 * what follows (after the separating comma when multi).  EBADMSG when
 * malformed, with *addr half-filled: the message parser gives it scratch
 * space and saves a copy.  The first tag, expires and q parameters are
 * picked up while the parameters are validated (one pass); a later
 * duplicate is validated as a generic parameter only. */
int sip_addr_parse_ext(struct sip_addr *addr, struct pl *rest, bool multi, struct pl *expires,
		       struct pl *qval)
{
	const char *p = rest->p, *e, *start, *q;
	struct sip_pscan ps;
	struct pl name, val, tag = PL_NULL, exp = PL_NULL, qv = PL_NULL;
	int err;

	if (!p)
		return EBADMSG;
	e = p + rest->l;
	memset(addr, 0, sizeof(*addr));
	p = skip_ws(p, e);
	start = p;
	if (p == e)
		return EBADMSG;
	if (*p == '"') {
		q = sip_skip_quoted(p, e);
		if (!q)
			return EBADMSG;
		addr->dname = pl_span(p, q);
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
				addr->dname = pl_span(p, de);
			p = q;
		}
	}
	if (*p == '<') {
		const char *gt = memchr(p + 1, '>', (size_t)(e - p - 1));
		if (!gt)
			return EBADMSG;
		addr->auri = pl_span(p + 1, gt);
		/* no blanks inside the brackets (RFC 4475 3.1.2.15) */
		if (!addr->auri.l || cc_is(addr->auri.p[0], CC_WS) || cc_is(gt[-1], CC_WS))
			return EBADMSG;
		addr->angle = true;
		p = gt + 1;
	} else {
		/* addr-spec: ends at ';', ',' or a blank; may not hold '?' */
		q = p;
		while (q < e && *q != ';' && *q != ',' && *q != ' ' && *q != '\t')
			q++;
		addr->auri = pl_span(p, q);
		if (pl_chr(&addr->auri, '?'))
			return EBADMSG;
		p = q;
	}
	if (sip_uri_parse_into(&addr->uri, addr->auri.p, addr->auri.p + addr->auri.l))
		return EBADMSG;
	sip_pscan_init(&ps, p, e, multi);
	while ((err = sip_pscan_next(&ps, &name, &val)) == 0) {
		/* a found value is always set (p non-NULL), even when empty */
		switch (sip_pname_id(&name)) {
		case SIP_P_TAG:
			if (!pl_isset(&tag))
				tag = val;
			break;
		case SIP_P_EXPIRES:
			if (!pl_isset(&exp))
				exp = val;
			break;
		case SIP_P_Q:
			if (!pl_isset(&qv))
				qv = val;
			break;
		default:
			break;
		}
	}
	if (err != ENOENT)
		return EBADMSG;
	addr->params = sip_pscan_params(&ps);
	q = sip_pscan_end(&ps);
	if (pl_isset(&tag)) {
		if (!tag.l || cc_span(tag.p, tag.p + tag.l, CC_TOKEN) != tag.p + tag.l)
			return EBADMSG;
		addr->tag = tag;
	}
	addr->val = pl_span(start, addr->params.p ? addr->params.p + addr->params.l : p);
	if (q < e) {
		if (!multi || *q != ',')
			return EBADMSG;
		q = skip_ws(q + 1, e);
		if (q == e)
			return EBADMSG; /* trailing comma */
	}
	*rest = pl_span(q, e);
	if (expires)
		*expires = exp;
	if (qval)
		*qval = qv;
	return 0;
}

/* The public form: *addr and *rest are left alone on failure. */
int sip_addr_parse_next(struct sip_addr *addr, struct pl *rest, bool multi)
{
	struct sip_addr a;
	struct pl r = *rest;
	int err = sip_addr_parse_ext(&a, &r, multi, NULL, NULL);

	if (err)
		return err;
	*addr = a;
	*rest = r;
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
