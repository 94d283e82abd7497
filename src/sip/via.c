/* sip/via.c: Via values (RFC 3261 20.42, RFC 3581 rport). */
#include <string.h>

#include "sip/msg-int.h"

static const char *slash(const char *p, const char *e)
{
	p = skip_ws(p, e);
	if (p == e || *p != '/')
		return NULL;
	return skip_ws(p + 1, e);
}

/* Parse one Via value at *rest; *rest becomes what follows its comma. */
int sip_via_parse_next(struct sip_via *via, struct pl *rest)
{
	const char *p = rest->p, *e, *s, *q;
	struct sip_via v;
	struct pl it, name, val;
	unsigned nparam;

	if (!p)
		return EBADMSG;
	e = p + rest->l;
	memset(&v, 0, sizeof(v));
	v.ttl = -1;
	p = skip_ws(p, e);
	s = p;
	q = cc_span(p, e, CC_TOKEN);
	if (q == p || !(p = slash(q, e)))
		return EBADMSG;
	q = cc_span(p, e, CC_TOKEN);
	if (q == p)
		return EBADMSG;
	v.version = pl_span(p, q);
	if (!(p = slash(q, e)))
		return EBADMSG;
	q = cc_span(p, e, CC_TOKEN);
	if (q == p)
		return EBADMSG;
	v.transport = pl_span(p, q);
	p = skip_ws(q, e);
	if (p == q)
		return EBADMSG; /* LWS before sent-by */
	p = sip_parse_host(p, e, &v.host, &v.ipv6);
	if (!p)
		return EBADMSG;
	q = skip_ws(p, e);
	if (q < e && *q == ':') {
		q = skip_ws(q + 1, e);
		p = cc_span(q, e, CC_DIGIT);
		if (sip_parse_port(q, p, &v.port) || !v.port)
			return EBADMSG;
	}
	q = sip_scan_params(p, e, true, &v.params, &nparam);
	if (!q)
		return EBADMSG;
	v.val = pl_span(s, v.params.p ? v.params.p + v.params.l : p);
	it = v.params;
	while (nparam && sip_param_next(&it, &name, &val) == 0) {
		if (pl_caseeq_str(&name, "branch")) {
			if (!val.l || *val.p == '"')
				return EBADMSG;
			v.branch = val;
		} else if (pl_caseeq_str(&name, "received")) {
			if (val.l >= 2 && val.p[0] == '[' && val.p[val.l - 1] == ']') {
				val.p++;
				val.l -= 2;
			}
			if (!val.l)
				return EBADMSG;
			v.received = val;
		} else if (pl_caseeq_str(&name, "rport")) {
			uint16_t port;
			v.rport = true;
			v.rport_val = val;
			if (val.l && sip_parse_port(val.p, val.p + val.l, &port))
				return EBADMSG;
		} else if (pl_caseeq_str(&name, "maddr")) {
			if (!val.l)
				return EBADMSG;
			v.maddr = val;
		} else if (pl_caseeq_str(&name, "ttl")) {
			uint32_t ttl;
			if (pl_u32(&val, &ttl) || ttl > 255)
				return EBADMSG;
			v.ttl = (int)ttl;
		}
	}
	if (q < e) {
		if (*q != ',')
			return EBADMSG;
		q = skip_ws(q + 1, e);
		if (q == e)
			return EBADMSG;
	}
	*rest = pl_span(q, e);
	*via = v;
	return 0;
}
