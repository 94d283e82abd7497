/* sip/via.c: Via values (RFC 3261 20.42, RFC 3581 rport). */
#include <string.h>

#include "sip/msg-int.h"

/* The '/' between the parts of sent-protocol, with LWS around it. */
static const char *slash(const char *p, const char *e)
{
	p = skip_ws(p, e);
	if (p == e || *p != '/')
		return NULL;
	return skip_ws(p + 1, e);
}

/* Parse one Via value at *rest into *v; *rest becomes what follows its
 * comma.  On failure *v is half-filled: the message parser gives it
 * scratch space and saves a copy per value. */
int sip_via_parse_ext(struct sip_via *v, struct pl *rest)
{
	const char *p = rest->p, *e, *s, *q;
	struct sip_pscan ps;
	struct pl name, val;
	int err;

	if (!p)
		return EBADMSG;
	e = p + rest->l;
	memset(v, 0, sizeof(*v));
	v->ttl = -1;
	p = skip_ws(p, e);
	s = p;
	q = cc_span(p, e, CC_TOKEN);
	if (q == p || !(p = slash(q, e)))
		return EBADMSG;
	q = cc_span(p, e, CC_TOKEN);
	if (q == p)
		return EBADMSG;
	v->version = pl_span(p, q);
	if (!(p = slash(q, e)))
		return EBADMSG;
	q = cc_span(p, e, CC_TOKEN);
	if (q == p)
		return EBADMSG;
	v->transport = pl_span(p, q);
	p = skip_ws(q, e);
	if (p == q)
		return EBADMSG; /* LWS before sent-by */
	p = sip_parse_host(p, e, &v->host, &v->ipv6);
	if (!p)
		return EBADMSG;
	q = skip_ws(p, e);
	if (q < e && *q == ':') {
		q = skip_ws(q + 1, e);
		p = cc_span(q, e, CC_DIGIT);
		if (sip_parse_port(q, p, &v->port) || !v->port)
			return EBADMSG;
	}
	/* one pass: validate every parameter and act on the ones we know;
	 * each occurrence is checked, the last one wins */
	sip_pscan_init(&ps, p, e, true);
	while ((err = sip_pscan_next(&ps, &name, &val)) == 0) {
		switch (sip_pname_id(&name)) {
		case SIP_P_BRANCH:
			if (!val.l || *val.p == '"')
				return EBADMSG;
			v->branch = val;
			break;
		case SIP_P_RECEIVED:
			if (val.l >= 2 && val.p[0] == '[' && val.p[val.l - 1] == ']') {
				val.p++;
				val.l -= 2;
			}
			if (!val.l)
				return EBADMSG;
			v->received = val;
			break;
		case SIP_P_RPORT: {
			uint16_t port;
			v->rport = true;
			v->rport_val = val;
			if (val.l && sip_parse_port(val.p, val.p + val.l, &port))
				return EBADMSG;
			break;
		}
		case SIP_P_MADDR:
			if (!val.l)
				return EBADMSG;
			v->maddr = val;
			break;
		case SIP_P_TTL: {
			uint32_t ttl;
			if (dec_u32(&val, &ttl) || ttl > 255)
				return EBADMSG;
			v->ttl = (int)ttl;
			break;
		}
		default:
			break;
		}
	}
	if (err != ENOENT)
		return EBADMSG;
	v->params = sip_pscan_params(&ps);
	q = sip_pscan_end(&ps);
	v->val = pl_span(s, v->params.p ? v->params.p + v->params.l : p);
	if (q < e) {
		if (*q != ',')
			return EBADMSG;
		q = skip_ws(q + 1, e);
		if (q == e)
			return EBADMSG;
	}
	*rest = pl_span(q, e);
	return 0;
}

/* The public form: *via and *rest are left alone on failure. */
int sip_via_parse_next(struct sip_via *via, struct pl *rest)
{
	struct sip_via v;
	struct pl r = *rest;
	int err = sip_via_parse_ext(&v, &r);

	if (err)
		return err;
	*via = v;
	*rest = r;
	return 0;
}
