/* sip/uri.c: SIP, SIPS and tel URIs (RFC 3261 19.1, 25.1; RFC 3966) and
 * the comparison rules of RFC 3261 19.1.4. */
#include <string.h>
#include <strings.h>

#include "sip/msg-int.h"

/* Characters of cls, or %HH escapes; stops at anything else. */
static const char *span_esc(const char *p, const char *e, unsigned cls, bool *bad)
{
	while (p < e) {
		if (*p == '%') {
			if (e - p < 3 || !cc_is(p[1], CC_HEX) || !cc_is(p[2], CC_HEX)) {
				*bad = true;
				return p;
			}
			p += 3;
		} else if (cc_is(*p, cls)) {
			p++;
		} else {
			break;
		}
	}
	return p;
}

int sip_parse_port(const char *p, const char *e, uint16_t *port)
{
	uint32_t v = 0;
	if (p == e || e - p > 5)
		return EBADMSG;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return EBADMSG;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	if (v > 65535)
		return EBADMSG;
	*port = (uint16_t)v;
	return 0;
}

/* hostname / IPv4address / "[" IPv6address "]".  The IPv6 check is
 * deliberately loose (hex digits, ':' and '.'), as RFC 5118 4.8 asks. */
const char *sip_parse_host(const char *p, const char *e, struct pl *host, bool *v6)
{
	const char *s;

	if (p < e && *p == '[') {
		s = ++p;
		while (p < e && (cc_is(*p, CC_HEX) || *p == ':' || *p == '.'))
			p++;
		if (p == s || p >= e || *p != ']' || !memchr(s, ':', (size_t)(p - s)))
			return NULL;
		*host = pl_span(s, p);
		*v6 = true;
		return p + 1;
	}
	s = p;
	p = cc_span(p, e, CC_HOST);
	if (p == s)
		return NULL;
	*host = pl_span(s, p);
	*v6 = false;
	return p;
}

static int parse_sip(struct sip_uri *u, const char *p, const char *e)
{
	const char *at = memchr(p, '@', (size_t)(e - p));
	bool bad = false;

	if (at) {
		const char *q = span_esc(p, at, CC_USER, &bad);
		if (bad || q == p)
			return EBADMSG;
		u->user = pl_span(p, q);
		if (q < at) {
			const char *pw;
			if (*q != ':')
				return EBADMSG;
			pw = q + 1;
			q = span_esc(pw, at, CC_PASS, &bad);
			if (bad || q != at)
				return EBADMSG;
			u->password = pl_span(pw, q);
		}
		p = at + 1;
	}
	p = sip_parse_host(p, e, &u->host, &u->ipv6);
	if (!p)
		return EBADMSG;
	if (p < e && *p == ':') {
		const char *s = ++p;
		p = cc_span(p, e, CC_DIGIT);
		if (sip_parse_port(s, p, &u->port) || u->port == 0)
			return EBADMSG;
	}
	if (p < e && *p == ';') {
		const char *s = p;
		while (p < e && *p == ';') {
			const char *n = ++p;
			p = span_esc(p, e, CC_PARAM, &bad);
			if (bad || p == n)
				return EBADMSG;
			if (p < e && *p == '=') {
				const char *v = ++p;
				p = span_esc(p, e, CC_PARAM, &bad);
				if (bad || p == v)
					return EBADMSG;
			}
		}
		u->params = pl_span(s, p);
	}
	if (p < e && *p == '?') {
		const char *s = ++p;
		for (;;) {
			const char *n = p;
			p = span_esc(p, e, CC_HNV, &bad);
			if (bad || p == n || p >= e || *p != '=')
				return EBADMSG;
			p = span_esc(p + 1, e, CC_HNV, &bad);
			if (bad)
				return EBADMSG;
			if (p < e && *p == '&') {
				p++;
				continue;
			}
			break;
		}
		u->headers = pl_span(s, p);
	}
	return p == e ? 0 : EBADMSG;
}

/* tel:+1-201-555-0123;phone-context=... (RFC 3966), checked loosely. */
static int parse_tel(struct sip_uri *u, const char *p, const char *e)
{
	const char *s = p;
	bool bad = false;

	while (p < e && *p != ';')
		p++;
	if (p == s)
		return EBADMSG;
	u->user = pl_span(s, p);
	if (span_esc(s, p, CC_PARAM | CC_USER, &bad) != p || bad)
		return EBADMSG;
	if (p < e) {
		const char *q = span_esc(p, e, CC_PARAM | CC_USER, &bad);
		if (bad || q != e)
			return EBADMSG;
		u->params = pl_span(p, e);
	}
	return 0;
}

/* The scheme names we parse further; the rest are kept opaque. */
static enum sip_scheme scheme_id(const char *p, size_t l)
{
	if (FOLD_EQ_LIT(p, l, "sip"))
		return SIP_SCHEME_SIP;
	if (FOLD_EQ_LIT(p, l, "sips"))
		return SIP_SCHEME_SIPS;
	if (FOLD_EQ_LIT(p, l, "tel"))
		return SIP_SCHEME_TEL;
	return SIP_SCHEME_OTHER;
}

/* sip_uri_parse() into a zeroed struct the caller owns (and may find
 * half-filled on failure): saves the parsers that embed a URI a copy. */
int sip_uri_parse_into(struct sip_uri *u, const char *p, const char *e)
{
	const char *s = p;
	bool bad = false;

	if (p == e || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return EBADMSG;
	p = cc_span(p, e, CC_SCHEME);
	if (p >= e || *p != ':')
		return EBADMSG;
	u->scheme_name = pl_span(s, p);
	u->opaque = pl_span(p + 1, e);
	u->scheme = scheme_id(s, (size_t)(p - s));
	p++;
	switch (u->scheme) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		return parse_sip(u, p, e);
	case SIP_SCHEME_TEL:
		return parse_tel(u, p, e);
	default:
		/* absoluteURI: anything made of URI characters */
		return (p == e || span_esc(p, e, CC_URIC, &bad) != e || bad) ? EBADMSG : 0;
	}
}

/* Parse a whole URI text; *uri is left alone on failure. */
int sip_uri_parse(struct sip_uri *uri, const struct pl *text)
{
	struct sip_uri u;
	int err;

	if (!text->p)
		return EBADMSG;
	memset(&u, 0, sizeof(u));
	err = sip_uri_parse_into(&u, text->p, text->p + text->l);
	if (err)
		return err;
	*uri = u;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* Decode %HH once (never recursively).  NULs are kept: the result is
 * length-delimited; a NUL terminator is added when there is room. */
size_t sip_unescape(char *dst, size_t size, const struct pl *src)
{
	size_t o = 0;

	for (size_t i = 0; i < src->l && o < size; i++) {
		char c = src->p[i];
		if (c == '%' && i + 2 < src->l && cc_is(src->p[i + 1], CC_HEX) &&
		    cc_is(src->p[i + 2], CC_HEX)) {
			c = (char)(hexval(src->p[i + 1]) * 16 + hexval(src->p[i + 2]));
			i += 2;
		}
		dst[o++] = c;
	}
	if (o < size)
		dst[o] = '\0';
	return o;
}

/* Compare two escaped texts after decoding, case-sensitive or not. */
static bool esc_eq(const struct pl *a, const struct pl *b, bool icase)
{
	char da[512], db[512];
	size_t la, lb;

	if (a->l >= sizeof(da) || b->l >= sizeof(db))
		return icase ? pl_casecmp_eq(a, b) : pl_eq(a, b);
	la = sip_unescape(da, sizeof(da), a);
	lb = sip_unescape(db, sizeof(db), b);
	if (la != lb)
		return false;
	if (!la)
		return true;
	return icase ? mem_caseeq(da, db, la) : memcmp(da, db, la) == 0;
}

/* Every parameter of a that is also in b must be equal; the listed ones
 * must be present in both or in neither (RFC 3261 19.1.4). */
static bool params_eq(const struct pl *pa, const struct pl *pb)
{
	static const char *const strict[] = { "user", "ttl", "method", "maddr", "transport" };
	struct pl it = *pa, n, v, w;

	if (pl_eq(pa, pb))
		return true;
	for (unsigned i = 0; i < sizeof(strict) / sizeof(strict[0]); i++) {
		bool ina = sip_param_find(pa, strict[i], NULL) == 0;
		bool inb = sip_param_find(pb, strict[i], NULL) == 0;
		if (ina != inb)
			return false;
	}
	while (sip_param_next(&it, &n, &v) == 0) {
		if (sip_param_find_pl(pb, &n, &w) == 0 && !esc_eq(&v, &w, true))
			return false;
	}
	return true;
}

/* Headers must match as a set. */
static bool headers_eq(const struct pl *a, const struct pl *b)
{
	const struct pl *x = a, *y = b;
	if (pl_eq(a, b))
		return true;
	for (int pass = 0; pass < 2; pass++) {
		const char *p = x->p, *e = p ? p + x->l : NULL;
		while (p && p < e) {
			const char *amp = memchr(p, '&', (size_t)(e - p));
			struct pl item = pl_span(p, amp ? amp : e);
			const char *q = y->p, *ye = q ? q + y->l : NULL;
			bool found = false;
			while (q && q < ye && !found) {
				const char *a2 = memchr(q, '&', (size_t)(ye - q));
				struct pl other = pl_span(q, a2 ? a2 : ye);
				found = esc_eq(&item, &other, false);
				q = a2 ? a2 + 1 : ye;
			}
			if (!found)
				return false;
			p = amp ? amp + 1 : e;
		}
		x = b;
		y = a;
	}
	return true;
}

bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	if (a->scheme == SIP_SCHEME_OTHER)
		return pl_casecmp_eq(&a->scheme_name, &b->scheme_name) &&
		       pl_eq(&a->opaque, &b->opaque);
	if (!esc_eq(&a->user, &b->user, a->scheme == SIP_SCHEME_TEL) ||
	    !esc_eq(&a->password, &b->password, false))
		return false;
	if (a->scheme == SIP_SCHEME_TEL)
		return params_eq(&a->params, &b->params) && params_eq(&b->params, &a->params);
	if (!pl_casecmp_eq(&a->host, &b->host) || a->port != b->port)
		return false;
	return params_eq(&a->params, &b->params) && params_eq(&b->params, &a->params) &&
	       headers_eq(&a->headers, &b->headers);
}

int sip_uri_param(const struct sip_uri *uri, const char *name, struct pl *val)
{
	return sip_param_find(&uri->params, name, val);
}
