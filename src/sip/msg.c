/* sip/msg.c: the SIP message parser (RFC 3261 7 and 25).
 *
 * Cost: one memchr per line to find the end of the header section (the
 * line starts are kept, so no line is searched twice), one memchr per
 * comma to bound the number of values, one allocation sized from those
 * counts that holds the message struct, the header table, the decoded
 * values and a copy of the bytes, then one pass over the header lines that
 * decodes the headers the engine needs; parameters are validated and
 * picked up in the same walk (sip_pscan_next).  No allocation per header.
 * About 12,800 instructions for tests/bench/msgs/invite.sip (callgrind). */
#include <stdlib.h>
#include <string.h>

#include "sip/msg-int.h"
#include "xmalloc.h"

const char sip_reason_body_too_large[] = "Message too large";
const char sip_reason_hdr_too_large[] = "Header section too large";

union sip_value {
	struct sip_via via;
	struct sip_addr addr;
};

struct parser {
	struct sip_msg *m;
	union sip_value *vals;
	unsigned nval, maxval;
	const char *reason;
};

#define FAIL(ps, why) do { (ps)->reason = (why); return EBADMSG; } while (0)

static union sip_value *val_alloc(struct parser *ps)
{
	if (ps->nval >= ps->maxval)
		return NULL;
	return &ps->vals[ps->nval++];
}

/* The start line, SIP_MAX_HDRS header lines, a Content-Length beyond
 * them (what sip_msg_print adds to a message that had none) and the
 * empty line. */
#define MAX_LINES (SIP_MAX_HDRS + 3)

/* Line offsets are kept as uint16_t: a parsed message is at most this big. */
_Static_assert(SIP_MAX_MSG_SIZE <= UINT16_MAX, "line offsets need more than 16 bits");

/* Find the empty line that ends the header section.  On success *hend is
 * the start of the empty line, *body the first body byte and *nlines the
 * number of lines, the empty one included.  When off is not NULL, the
 * offsets (from p) of the first max line starts go there, so the header
 * loop does not search for line ends again.  One memchr per line. */
static int find_header_end(const char *p, const char *e, const char **hend, const char **body,
			   unsigned *nlines, uint16_t *off, unsigned max)
{
	const char *s = p;
	unsigned n = 0;

	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			return ENODATA;
		if (off && n < max)
			off[n] = (uint16_t)(p - s);
		n++;
		if (nl == p || (nl == p + 1 && *p == '\r')) {
			if (n == 1)
				return EBADMSG; /* empty start line */
			*hend = p;
			*body = nl + 1;
			*nlines = n;
			return 0;
		}
		p = nl + 1;
	}
}

static unsigned count_char(const char *p, const char *e, char c)
{
	unsigned n = 0;
	while ((p = memchr(p, c, (size_t)(e - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

static bool version_ok(const struct pl *v, struct pl *num)
{
	const char *p = v->p, *e = v->p + v->l, *d;
	if (v->l < 7 || !fold_eq(p, "SIP/", 4))
		return false;
	p += 4;
	d = cc_span(p, e, CC_DIGIT);
	if (d == p || d >= e || *d != '.')
		return false;
	p = cc_span(d + 1, e, CC_DIGIT);
	if (p == d + 1 || p != e)
		return false;
	*num = pl_span(v->p + 4, e);
	return true;
}

static int parse_start_line(struct parser *ps, const char *p, const char *e)
{
	struct sip_msg *m = ps->m;
	const char *s = p, *q;

	if (e - p >= 4 && fold_eq(p, "SIP/", 4)) {
		uint32_t code = 0;
		q = memchr(p, ' ', (size_t)(e - p));
		if (!q || !version_ok(&(struct pl){ p, (size_t)(q - p) }, &m->version))
			FAIL(ps, "Bad Status-Line");
		p = q + 1;
		q = cc_span(p, e, CC_DIGIT);
		if (q - p != 3 || (q < e && *q != ' '))
			FAIL(ps, "Bad Status-Code");
		(void)dec_u32(&(struct pl){ p, 3 }, &code); /* three digits: cannot fail */
		if (code < 100 || code > 699)
			FAIL(ps, "Bad Status-Code");
		m->scode = (uint16_t)code;
		m->reason = q < e ? pl_span(q + 1, e) : pl_span(e, e);
		m->req = false;
		return 0;
	}
	m->req = true;
	p = cc_span(p, e, CC_TOKEN);
	if (p == s || p >= e || *p != ' ')
		FAIL(ps, "Bad Request-Line: method");
	m->method = pl_span(s, p);
	m->mid = sip_method_id(&m->method);
	s = ++p;
	q = memchr(p, ' ', (size_t)(e - p));
	if (!q || q == s)
		FAIL(ps, "Bad Request-Line");
	m->ruri_text = pl_span(s, q);
	if (sip_uri_parse(&m->ruri, &m->ruri_text))
		FAIL(ps, "Bad Request-URI");
	if (pl_isset(&m->ruri.headers))
		FAIL(ps, "Bad Request-URI: headers not allowed");
	if (!version_ok(&(struct pl){ q + 1, (size_t)(e - q - 1) }, &m->version))
		FAIL(ps, "Bad Request-Line: SIP-Version");
	return 0;
}

/* Call-ID = word [ "@" word ] */
static bool callid_ok(const struct pl *v)
{
	const char *p = v->p, *e = v->p + v->l, *q;
	q = cc_span(p, e, CC_WORD);
	if (q == p)
		return false;
	if (q < e && *q == '@') {
		p = q + 1;
		q = cc_span(p, e, CC_WORD);
		if (q == p)
			return false;
	}
	return q == e;
}

static int parse_u32_hdr(struct parser *ps, const struct pl *v, uint32_t max, uint32_t *out,
			 bool *has, const char *bad, const char *dup)
{
	if (*has)
		FAIL(ps, dup);
	if (dec_u32(v, out) || *out > max)
		FAIL(ps, bad);
	*has = true;
	return 0;
}

static int parse_cseq(struct parser *ps, const struct pl *v)
{
	struct sip_msg *m = ps->m;
	const char *p = v->p, *e = v->p + v->l, *q;

	if (m->has_cseq)
		FAIL(ps, "Duplicate CSeq header");
	q = cc_span(p, e, CC_DIGIT);
	if (q == p || dec_u32(&(struct pl){ p, (size_t)(q - p) }, &m->cseq.num))
		FAIL(ps, "Bad CSeq header");
	p = skip_ws(q, e);
	if (p == q)
		FAIL(ps, "Bad CSeq header");
	q = cc_span(p, e, CC_TOKEN);
	if (q == p || q != e)
		FAIL(ps, "Bad CSeq header");
	m->cseq.method = pl_span(p, q);
	m->cseq.mid = sip_method_id(&m->cseq.method);
	m->has_cseq = true;
	return 0;
}

static int parse_vias(struct parser *ps, const struct pl *v)
{
	struct sip_msg *m = ps->m;
	struct pl rest = *v;
	struct sip_via **tail = &m->via;

	while (*tail)
		tail = &(*tail)->next;
	if (!rest.l)
		FAIL(ps, "Bad Via header");
	while (rest.l) {
		union sip_value *slot = val_alloc(ps);
		if (!slot)
			FAIL(ps, "Too many header values");
		if (sip_via_parse_ext(&slot->via, &rest))
			FAIL(ps, "Bad Via header");
		*tail = &slot->via;
		tail = &slot->via.next;
		m->nvia++;
	}
	return 0;
}

/* Contact: expires and q must be in range (RFC 4475 3.1.2.4); the values
 * are the first of each, as sip_addr_parse_ext() found them. */
static bool contact_params_ok(const struct pl *exp, const struct pl *v)
{
	uint32_t n;

	if (pl_isset(exp) && dec_u32(exp, &n))
		return false;
	if (pl_isset(v)) {
		/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
		if (!v->l || (v->p[0] != '0' && v->p[0] != '1') || v->l > 5 ||
		    (v->l > 1 && v->p[1] != '.') ||
		    cc_span(v->p + (v->l > 1 ? 2 : 1), v->p + v->l, CC_DIGIT) != v->p + v->l)
			return false;
	}
	return true;
}

static int parse_addrs(struct parser *ps, const struct pl *v, struct sip_addr **head,
		       unsigned *count, const char *bad, bool contact)
{
	struct pl rest = *v;
	struct sip_addr **tail = head;

	while (*tail)
		tail = &(*tail)->next;
	if (!rest.l)
		FAIL(ps, bad);
	while (rest.l) {
		union sip_value *slot = val_alloc(ps);
		struct pl exp, q;
		if (!slot)
			FAIL(ps, "Too many header values");
		if (sip_addr_parse_ext(&slot->addr, &rest, true, &exp, &q))
			FAIL(ps, bad);
		if (contact && !contact_params_ok(&exp, &q))
			FAIL(ps, "Bad Contact header: parameter out of range");
		*tail = &slot->addr;
		tail = &slot->addr.next;
		(*count)++;
	}
	return 0;
}

static int parse_ctype(struct parser *ps, const struct pl *v)
{
	struct sip_msg *m = ps->m;
	const char *p = v->p, *e = v->p + v->l, *q;

	if (pl_isset(&m->ctype))
		FAIL(ps, "Duplicate Content-Type header");
	q = cc_span(p, e, CC_TOKEN);
	if (q == p)
		FAIL(ps, "Bad Content-Type header");
	q = skip_ws(q, e);
	if (q >= e || *q != '/')
		FAIL(ps, "Bad Content-Type header");
	q = skip_ws(q + 1, e);
	p = cc_span(q, e, CC_TOKEN);
	if (p == q)
		FAIL(ps, "Bad Content-Type header");
	m->ctype = pl_span(v->p, p);
	q = sip_scan_params(p, e, false, &m->ctype_params, NULL);
	if (!q || q != e)
		FAIL(ps, "Bad Content-Type header");
	return 0;
}

/* sip_addr_parse() straight into the message (a failure frees it all). */
static int parse_addr1(struct sip_addr *a, const struct pl *v)
{
	struct pl rest = *v;
	return sip_addr_parse_ext(a, &rest, false, NULL, NULL);
}

/* Decode one header the engine needs now; others are left as text. */
static int decode(struct parser *ps, enum sip_hdr_id id, const struct pl *v)
{
	struct sip_msg *m = ps->m;

	switch (id) {
	case SIP_H_VIA:
		return parse_vias(ps, v);
	case SIP_H_FROM:
		if (m->has_from)
			FAIL(ps, "Duplicate From header");
		if (parse_addr1(&m->from, v))
			FAIL(ps, "Bad From header");
		m->has_from = true;
		return 0;
	case SIP_H_TO:
		if (m->has_to)
			FAIL(ps, "Duplicate To header");
		if (parse_addr1(&m->to, v))
			FAIL(ps, "Bad To header");
		m->has_to = true;
		return 0;
	case SIP_H_CALL_ID:
		if (pl_isset(&m->callid))
			FAIL(ps, "Duplicate Call-ID header");
		if (!callid_ok(v))
			FAIL(ps, "Bad Call-ID header");
		m->callid = *v;
		return 0;
	case SIP_H_CSEQ:
		return parse_cseq(ps, v);
	case SIP_H_MAX_FORWARDS:
		return parse_u32_hdr(ps, v, 255, &m->maxfwd, &m->has_maxfwd,
				     "Bad Max-Forwards header", "Duplicate Max-Forwards header");
	case SIP_H_CONTENT_LENGTH:
		return parse_u32_hdr(ps, v, UINT32_MAX, &m->clen, &m->has_clen,
				     "Bad Content-Length header", "Duplicate Content-Length header");
	case SIP_H_EXPIRES:
		return parse_u32_hdr(ps, v, UINT32_MAX, &m->expires, &m->has_expires,
				     "Bad Expires header", "Duplicate Expires header");
	case SIP_H_CONTENT_TYPE:
		return parse_ctype(ps, v);
	case SIP_H_CONTACT:
		if (v->l == 1 && v->p[0] == '*') {
			if (m->contact_star || m->ncontact)
				FAIL(ps, "Bad Contact header: '*' with other contacts");
			m->contact_star = true;
			return 0;
		}
		if (m->contact_star)
			FAIL(ps, "Bad Contact header: '*' with other contacts");
		return parse_addrs(ps, v, &m->contact, &m->ncontact, "Bad Contact header", true);
	case SIP_H_ROUTE:
		return parse_addrs(ps, v, &m->route, &m->nroute, "Bad Route header", false);
	case SIP_H_RECORD_ROUTE:
		return parse_addrs(ps, v, &m->rroute, &m->nrroute, "Bad Record-Route header", false);
	case SIP_H_DATE:
		if (sip_date_check(v))
			FAIL(ps, "Bad Date header");
		return 0;
	default:
		return 0;
	}
}

/* pl_trim() for a value, inline: drop SP, HT, CR and LF at both ends. */
static inline struct pl trim_value(const char *a, const char *b)
{
	while (a < b && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n'))
		a++;
	while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r' || b[-1] == '\n'))
		b--;
	return pl_span(a, b);
}

/* Header lines 1 .. n-2 (line n-1 is the empty one); off[] holds the line
 * starts, so line i ends with the LF at off[i + 1] - 1. */
static int parse_headers(struct parser *ps, char *buf, const uint16_t *off, unsigned n)
{
	struct sip_msg *m = ps->m;
	uint16_t last[SIP_H_NUM];
	unsigned i = 1;

	memset(last, 0, sizeof(last));
	while (i + 1 < n) {
		char *s = buf + off[i], *p, *nl, *le, *vs;
		struct sip_hdr *h;
		enum sip_hdr_id id;
		struct pl val;
		int err;

		if (*s == ' ' || *s == '\t')
			FAIL(ps, "Bad header: continuation line without a header");
		nl = buf + off[i + 1] - 1;
		p = (char *)cc_span(s, nl, CC_TOKEN);
		if (p == s)
			FAIL(ps, "Bad header line");
		id = sip_hdr_lookup(s, (size_t)(p - s));
		vs = (char *)skip_ws(p, nl);
		if (vs >= nl || *vs != ':')
			FAIL(ps, "Bad header line: missing colon");
		vs++;
		/* the value, with folded lines joined by blanks in place */
		for (i++;; i++) {
			le = nl;
			if (le > vs && le[-1] == '\r')
				le--;
			if (i + 1 < n && (buf[off[i]] == ' ' || buf[off[i]] == '\t')) {
				memset(le, ' ', (size_t)(nl - le) + 1);
				nl = buf + off[i + 1] - 1;
				continue;
			}
			break;
		}
		if ((size_t)(le - s) > SIP_MAX_LINE)
			FAIL(ps, "Header line too long");
		val = trim_value(vs, le);
		/* one Content-Length past the limit: the printer adds it to a
		 * datagram that had none, and what it prints must parse */
		if (m->nhdr >= SIP_MAX_HDRS + (id == SIP_H_CONTENT_LENGTH && !m->has_clen))
			FAIL(ps, "Too many headers");
		h = &m->hdrs[m->nhdr];
		h->name = pl_span(s, p);
		h->val = val;
		h->id = id;
		h->next_same = 0;
		m->nhdr++;
		if (id != SIP_H_OTHER) {
			if (last[id])
				m->hdrs[last[id] - 1].next_same = (uint16_t)m->nhdr;
			else
				m->hfirst[id] = (uint16_t)m->nhdr;
			last[id] = (uint16_t)m->nhdr;
			err = decode(ps, id, &val);
			if (err)
				return err;
		}
	}
	return 0;
}

int sip_msg_parse(struct sip_msg **mp, const char *data, size_t len, int flags,
		  const char **reason)
{
	struct parser ps = { 0 };
	const char *e = data + len, *hend, *bstart, *sle;
	uint16_t off[MAX_LINES];
	struct sip_msg *m;
	unsigned nlines, ncomma;
	size_t off_body, vsize, hsize, avail;
	char *block;
	int err;

	*reason = NULL;
	/* RFC 3261 7.5: ignore CRLFs before the start line */
	while (data < e && (*data == '\r' || *data == '\n'))
		data++;
	len = (size_t)(e - data);
	if (!len) {
		*reason = "Empty message";
		return EBADMSG;
	}
	if (len > SIP_MAX_MSG_SIZE) {
		*reason = "Message too large";
		return EBADMSG;
	}
	err = find_header_end(data, e, &hend, &bstart, &nlines, off, MAX_LINES);
	if (err) {
		*reason = err == ENODATA ? "Incomplete header section (no empty line)"
					 : "Empty start line";
		return EBADMSG;
	}
	if (nlines > MAX_LINES) {
		*reason = "Too many headers";
		return EBADMSG;
	}
	ncomma = count_char(data, hend, ',');
	ps.maxval = nlines + ncomma;
	if (ps.maxval > SIP_MAX_VALUES)
		ps.maxval = SIP_MAX_VALUES;

	/* one block: msg | header table | values | bytes */
	hsize = (sizeof(struct sip_hdr) * nlines + 7) & ~(size_t)7;
	vsize = sizeof(union sip_value) * ps.maxval;
	block = xmalloc(sizeof(*m) + hsize + vsize + len + 1);
	m = (struct sip_msg *)block;
	memset(m, 0, sizeof(*m));
	m->hdrs = (struct sip_hdr *)(block + sizeof(*m));
	ps.vals = (union sip_value *)(block + sizeof(*m) + hsize);
	m->buf = block + sizeof(*m) + hsize + vsize;
	memcpy(m->buf, data, len);
	m->buf[len] = '\0';
	m->refs = 1;
	ps.m = m;
	off_body = (size_t)(bstart - data);

	sle = m->buf + off[1] - 1; /* the start line's LF */
	if (sle > m->buf && sle[-1] == '\r')
		sle--;
	err = parse_start_line(&ps, m->buf, sle);
	if (!err)
		err = parse_headers(&ps, m->buf, off, nlines);
	if (err)
		goto fail;

	avail = len - off_body;
	if (m->has_clen) {
		if (m->clen > avail) {
			ps.reason = "Content-Length larger than the message";
			goto fail;
		}
		m->body = pl_span(m->buf + off_body, m->buf + off_body + m->clen);
	} else if (flags & SIP_PARSE_STREAM) {
		m->body = pl_span(m->buf + off_body, m->buf + off_body);
	} else {
		m->body = pl_span(m->buf + off_body, m->buf + len);
	}
	m->len = off_body + m->body.l;
	*mp = m;
	return 0;
fail:
	*reason = ps.reason ? ps.reason : "Bad message";
	free(block);
	return EBADMSG;
}

bool sip_raw_header(const char *data, size_t len, const char *name, char c, struct pl *line)
{
	const char *p = data, *e = data + len;
	size_t nl = strlen(name);

	while (p < e) {
		const char *end = memchr(p, '\n', (size_t)(e - p)), *q;
		size_t l;
		if (!end)
			end = e;
		l = (size_t)(end - p);
		if (l && p[l - 1] == '\r')
			l--;
		if (!l)
			break; /* end of headers */
		q = NULL;
		if (l > nl && mem_caseeq(p, name, nl))
			q = p + nl;
		else if (l > 1 && (p[0] | 0x20) == c)
			q = p + 1;
		if (q) {
			while (q < p + l && (*q == ' ' || *q == '\t'))
				q++;
			if (q < p + l && *q == ':') {
				q++;
				while (q < p + l && (*q == ' ' || *q == '\t'))
					q++;
				*line = pl_make(q, (size_t)(p + l - q));
				return true;
			}
		}
		p = end + 1;
	}
	return false;
}

/* Stream framing (TCP): how long is the message at the start of data?
 * 0 with *msglen; ENODATA when more bytes are needed; EBADMSG when no
 * valid message can start here. */
int sip_msg_frame(const char *data, size_t len, size_t *msglen, const char **reason)
{
	const char *p = data, *e = data + len, *hend, *body;
	uint32_t clen = 0;
	bool has = false;
	unsigned nlines;
	int err;

	*reason = NULL;
	while (p < e && (*p == '\r' || *p == '\n'))
		p++;
	err = find_header_end(p, e, &hend, &body, &nlines, NULL, 0);
	if (err == ENODATA) {
		if (len > SIP_MAX_MSG_SIZE) {
			*reason = sip_reason_hdr_too_large;
			return EBADMSG;
		}
		return ENODATA;
	}
	if (err) {
		*reason = "Empty start line";
		return EBADMSG;
	}
	/* find Content-Length (or "l") among the header lines */
	{
		const char *l = memchr(p, '\n', (size_t)(hend - p));
		while (l && l + 1 < hend) {
			const char *s = l + 1, *n = cc_span(s, hend, CC_TOKEN), *c;
			l = memchr(s, '\n', (size_t)(hend - s));
			if (!l)
				break;
			c = skip_ws(n, l);
			if (c < l && *c == ':' &&
			    sip_hdr_lookup(s, (size_t)(n - s)) == SIP_H_CONTENT_LENGTH) {
				const char *v = skip_ws(c + 1, l), *ve = l;
				while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
					ve--;
				if (has || pl_u32(&(struct pl){ v, (size_t)(ve - v) }, &clen)) {
					*reason = has ? "Duplicate Content-Length header"
						      : "Bad Content-Length header";
					return EBADMSG;
				}
				has = true;
			}
		}
	}
	if ((size_t)(body - data) + clen > SIP_MAX_MSG_SIZE + (size_t)(p - data)) {
		*reason = sip_reason_body_too_large;
		return EBADMSG;
	}
	if ((size_t)(e - body) < clen)
		return ENODATA;
	*msglen = (size_t)(body - data) + clen;
	return 0;
}

struct sip_msg *sip_msg_ref(struct sip_msg *m)
{
	if (m)
		m->refs++;
	return m;
}

void sip_msg_free(struct sip_msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

bool sip_msg_version_ok(const struct sip_msg *m)
{
	return pl_eq_str(&m->version, "2.0");
}

/* Checks that need the whole message; the answer for a failing request
 * is 400 with *reason as the phrase.  Method, version, scheme and
 * extension checks belong to the UA (501, 505, 416, 420). */
int sip_msg_check(const struct sip_msg *m, const char **reason)
{
	*reason = NULL;
	if (!m->nvia)
		*reason = "Missing Via header";
	else if (!m->has_from)
		*reason = "Missing From header";
	else if (!m->has_to)
		*reason = "Missing To header";
	else if (!pl_isset(&m->callid))
		*reason = "Missing Call-ID header";
	else if (!m->has_cseq)
		*reason = "Missing CSeq header";
	else if (m->req && !pl_eq(&m->cseq.method, &m->method) &&
		 !(m->mid == SIP_M_ACK && m->cseq.mid == SIP_M_INVITE))
		*reason = "CSeq method does not match the request method";
	else if (m->req && m->cseq.num > 0x7fffffffu)
		*reason = "CSeq number out of range";
	else if (m->req && pl_eq_str(&m->via->branch, SIP_MAGIC_COOKIE))
		*reason = "Bad Via branch: magic cookie alone";
	else if (m->req && (m->from.uri.scheme == SIP_SCHEME_OTHER ||
			    m->to.uri.scheme == SIP_SCHEME_OTHER))
		*reason = "Unsupported URI scheme in From or To";
	else if (m->req && m->mid == SIP_M_REGISTER) {
		for (const struct sip_addr *c = m->contact; c; c = c->next)
			if (c->uri.scheme == SIP_SCHEME_OTHER) {
				*reason = "Unsupported URI scheme in Contact";
				break;
			}
	}
	return *reason ? EPROTO : 0;
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_H_NUM || id == SIP_H_OTHER || !m->hfirst[id])
		return NULL;
	return &m->hdrs[m->hfirst[id] - 1];
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h)
{
	return h && h->next_same ? &m->hdrs[h->next_same - 1] : NULL;
}

/* Linear in the header count: for headers without an id. */
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m, const char *name)
{
	enum sip_hdr_id id = sip_hdr_lookup(name, strlen(name));
	if (id != SIP_H_OTHER)
		return sip_msg_hdr(m, id);
	for (unsigned i = 0; i < m->nhdr; i++)
		if (m->hdrs[i].id == SIP_H_OTHER && pl_caseeq_str(&m->hdrs[i].name, name))
			return &m->hdrs[i];
	return NULL;
}

int sip_msg_hdr_count(const struct sip_msg *m, enum sip_hdr_id id)
{
	int n = 0;
	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h))
		n++;
	return n;
}

/* Is token listed in any header of this id (Supported, Require, Allow)? */
bool sip_msg_hdr_has_token(const struct sip_msg *m, enum sip_hdr_id id, const char *token)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h)) {
		struct pl it = h->val, tok;
		while (sip_token_next(&it, &tok) == 0)
			if (pl_caseeq_str(&tok, token))
				return true;
	}
	return false;
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 20.17) */
int sip_date_check(const struct pl *v)
{
	static const char wk[] = "MonTueWedThuFriSatSun";
	static const char mo[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = v->p;
	bool ok = false;

	if (v->l != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' ||
	    p[16] != ' ' || p[19] != ':' || p[22] != ':' || p[25] != ' ' ||
	    memcmp(p + 26, "GMT", 3) != 0)
		return EBADMSG;
	for (unsigned i = 0; i < 7 && !ok; i++)
		ok = memcmp(p, wk + 3 * i, 3) == 0;
	if (!ok)
		return EBADMSG;
	ok = false;
	for (unsigned i = 0; i < 12 && !ok; i++)
		ok = memcmp(p + 8, mo + 3 * i, 3) == 0;
	if (!ok)
		return EBADMSG;
	{
		static const int digits[] = { 5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24 };
		for (unsigned i = 0; i < sizeof(digits) / sizeof(digits[0]); i++)
			if (p[digits[i]] < '0' || p[digits[i]] > '9')
				return EBADMSG;
	}
	return 0;
}
