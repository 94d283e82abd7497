/* sdp.c: SDP parser and printer (RFC 4566).  One pass over the lines,
 * O(lines * formats) for the rtpmap/fmtp lookups, no allocation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp.h"

#define FAIL(why) do { *reason = (why); return EBADMSG; } while (0)

/* RFC 3551 static payload types that need no a=rtpmap. */
static const struct {
	uint8_t pt;
	const char *enc;
	uint32_t rate;
} static_pts[] = {
	{ 0, "PCMU", 8000 },
	{ 3, "GSM", 8000 },
	{ 4, "G723", 8000 },
	{ 8, "PCMA", 8000 },
	{ 9, "G722", 8000 },
	{ 13, "CN", 8000 },
	{ 18, "G729", 8000 },
};

static const struct {
	const char *name;
	enum sdp_media_type type;
} media_types[] = {
	{ "audio", SDP_MEDIA_AUDIO },
	{ "video", SDP_MEDIA_VIDEO },
	{ "text", SDP_MEDIA_TEXT },
	{ "application", SDP_MEDIA_APPLICATION },
	{ "message", SDP_MEDIA_MESSAGE },
	{ "image", SDP_MEDIA_IMAGE },
};

static const struct {
	const char *name;
	enum sdp_proto proto;
} protos[] = {
	{ "RTP/AVP", SDP_PROTO_RTP_AVP },
	{ "RTP/AVPF", SDP_PROTO_RTP_AVPF },
	{ "RTP/SAVP", SDP_PROTO_RTP_SAVP },
	{ "RTP/SAVPF", SDP_PROTO_RTP_SAVPF },
	{ "UDP/TLS/RTP/SAVP", SDP_PROTO_UDP_TLS_RTP_SAVP },
	{ "UDP/TLS/RTP/SAVPF", SDP_PROTO_UDP_TLS_RTP_SAVPF },
};

static const char *const dir_names[] = {
	[SDP_DIR_SENDRECV] = "sendrecv",
	[SDP_DIR_SENDONLY] = "sendonly",
	[SDP_DIR_RECVONLY] = "recvonly",
	[SDP_DIR_INACTIVE] = "inactive",
};

const char *sdp_dir_name(enum sdp_dir d)
{
	return (unsigned)d < sizeof(dir_names) / sizeof(dir_names[0]) ? dir_names[d] : "?";
}

bool sdp_dir_sends(enum sdp_dir d)
{
	return d == SDP_DIR_SENDRECV || d == SDP_DIR_SENDONLY;
}

bool sdp_dir_recvs(enum sdp_dir d)
{
	return d == SDP_DIR_SENDRECV || d == SDP_DIR_RECVONLY;
}

enum sdp_dir sdp_dir_make(bool send, bool recv)
{
	if (send)
		return recv ? SDP_DIR_SENDRECV : SDP_DIR_SENDONLY;
	return recv ? SDP_DIR_RECVONLY : SDP_DIR_INACTIVE;
}

/* The peer's direction seen from our side (their sendonly is our recvonly). */
enum sdp_dir sdp_dir_reverse(enum sdp_dir d)
{
	return sdp_dir_make(sdp_dir_recvs(d), sdp_dir_sends(d));
}

static bool is_rtp(enum sdp_proto p)
{
	return p != SDP_PROTO_OTHER;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Next blank-separated field; false at the end. */
static bool next_field(struct pl *rest, struct pl *f)
{
	size_t i = 0, j;

	while (i < rest->l && is_blank(rest->p[i]))
		i++;
	if (i == rest->l) {
		rest->p += i;
		rest->l = 0;
		return false;
	}
	j = i;
	while (j < rest->l && !is_blank(rest->p[j]))
		j++;
	*f = pl_make(rest->p + i, j - i);
	rest->p += j;
	rest->l -= j;
	return true;
}

/* What remains after the fields taken so far, blanks trimmed; unset when
 * nothing is left. */
static struct pl rest_of(const struct pl *rest)
{
	struct pl r = *rest;
	pl_trim(&r);
	return r.l ? r : PL_NULL;
}

/* Split at the first c: head before, tail after; false when c is absent. */
static bool split_at(const struct pl *x, char c, struct pl *head, struct pl *tail)
{
	const char *q = pl_chr(x, c);
	if (!q)
		return false;
	*head = pl_make(x->p, (size_t)(q - x->p));
	*tail = pl_make(q + 1, x->l - head->l - 1);
	return true;
}

static bool is_digits(const struct pl *x)
{
	if (!x->l)
		return false;
	for (size_t i = 0; i < x->l; i++)
		if (x->p[i] < '0' || x->p[i] > '9')
			return false;
	return true;
}

static int pl_u16(const struct pl *x, uint16_t *out)
{
	uint32_t v;
	if (pl_u32(x, &v) || v > 65535)
		return EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* "IN IP4 192.0.2.1[/ttl[/n]]" as in c= and the tail of a=rtcp. */
static int parse_conn(struct sdp_conn *c, struct pl rest)
{
	struct pl net, type, addr, extra, a, suffix;

	if (!next_field(&rest, &net) || !next_field(&rest, &type) ||
	    !next_field(&rest, &addr) || next_field(&rest, &extra))
		return EBADMSG;
	if (!pl_caseeq_str(&net, "IN"))
		return EBADMSG;
	c->nettype = net;
	c->addrtype = type;
	c->af = pl_caseeq_str(&type, "IP4") ? AF_INET :
		pl_caseeq_str(&type, "IP6") ? AF_INET6 : 0;
	c->suffix = PL_NULL;
	if (split_at(&addr, '/', &a, &suffix)) {
		struct pl ttl, n;
		if (split_at(&suffix, '/', &ttl, &n)) {
			if (!is_digits(&ttl) || !is_digits(&n))
				return EBADMSG;
		} else if (!is_digits(&suffix)) {
			return EBADMSG;
		}
		addr = a;
		c->suffix = suffix;
	}
	if (!addr.l)
		return EBADMSG;
	c->addr = addr;
	return 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static int parse_origin(struct sdp_session *s, struct pl rest, const char **reason)
{
	struct pl user, id, ver, net, type, addr, extra;

	if (!next_field(&rest, &user) || !next_field(&rest, &id) ||
	    !next_field(&rest, &ver) || !next_field(&rest, &net) ||
	    !next_field(&rest, &type) || !next_field(&rest, &addr) ||
	    next_field(&rest, &extra))
		FAIL("o= line does not have six fields");
	if (pl_u64(&id, &s->sess_id))
		FAIL("o= session id is not a 64-bit number");
	if (pl_u64(&ver, &s->sess_version))
		FAIL("o= session version is not a 64-bit number");
	s->o_user = user;
	s->origin.nettype = net;
	s->origin.addrtype = type;
	s->origin.addr = addr;
	s->origin.af = pl_caseeq_str(&type, "IP4") ? AF_INET :
		       pl_caseeq_str(&type, "IP6") ? AF_INET6 : 0;
	return 0;
}

/* b=<bwtype>:<bandwidth> */
static int parse_bw(struct sdp_bw *bw, unsigned *nbw, const struct pl *v,
		    const char **reason)
{
	struct pl type, val;

	if (!split_at(v, ':', &type, &val) || !type.l || !val.l)
		FAIL("bad b= line");
	if (*nbw >= SDP_MAX_BW)
		FAIL("too many b= lines");
	pl_trim(&type);
	pl_trim(&val);
	bw[*nbw].type = type;
	bw[*nbw].value = val;
	(*nbw)++;
	return 0;
}

/* t=<start-time> <stop-time>; only the first t= is kept. */
static int parse_time(struct sdp_session *s, struct pl rest, const char **reason)
{
	struct pl start, stop, extra;

	if (!next_field(&rest, &start) || !next_field(&rest, &stop) ||
	    next_field(&rest, &extra) || pl_u64(&start, &s->t_start) ||
	    pl_u64(&stop, &s->t_stop))
		FAIL("bad t= line");
	s->has_time = true;
	return 0;
}

/* Fill encoding, rate and channels of the static payload types. */
static void static_fmt(struct sdp_fmt *f)
{
	for (size_t i = 0; i < sizeof(static_pts) / sizeof(static_pts[0]); i++) {
		if (static_pts[i].pt == f->pt) {
			f->enc = pl_cstr(static_pts[i].enc);
			f->rate = static_pts[i].rate;
			f->channels = 1;
			return;
		}
	}
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int parse_media(struct sdp_media *m, struct pl rest, const char **reason)
{
	struct pl type, port, proto, fmt, p, n;

	if (!next_field(&rest, &type) || !next_field(&rest, &port) ||
	    !next_field(&rest, &proto))
		FAIL("m= line needs media, port, proto and formats");
	m->type_name = type;
	for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++)
		if (pl_caseeq_str(&type, media_types[i].name))
			m->type = media_types[i].type;
	m->nports = 1;
	if (split_at(&port, '/', &p, &n)) {
		if (pl_u16(&n, &m->nports) || !m->nports)
			FAIL("bad number of ports in m= line");
		port = p;
	}
	if (pl_u16(&port, &m->port))
		FAIL("bad port in m= line");
	m->proto_name = proto;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (pl_caseeq_str(&proto, protos[i].name))
			m->proto = protos[i].proto;
	while (next_field(&rest, &fmt)) {
		struct sdp_fmt *f;
		if (m->nfmts >= SDP_MAX_FMTS)
			FAIL("too many formats in m= line");
		f = &m->fmts[m->nfmts++];
		f->id = fmt;
		f->pt = -1;
		f->channels = 1;
		if (is_rtp(m->proto)) {
			uint32_t v;
			if (pl_u32(&fmt, &v) || v > 127)
				FAIL("bad RTP payload type in m= line");
			f->pt = (int)v;
			static_fmt(f);
		}
	}
	if (!m->nfmts)
		FAIL("m= line without formats");
	return 0;
}

/* The first format an a=rtpmap / a=fmtp token names: by payload type
 * number for RTP ("096" is 96), by the token otherwise. */
static struct sdp_fmt *fmt_by_id(struct sdp_media *m, const struct pl *id)
{
	uint32_t pt = 128;

	if (is_rtp(m->proto) && (pl_u32(id, &pt) || pt > 127))
		return NULL;
	for (unsigned i = 0; i < m->nfmts; i++) {
		if (is_rtp(m->proto) ? m->fmts[i].pt == (int)pt : pl_eq(&m->fmts[i].id, id))
			return &m->fmts[i];
	}
	return NULL;
}

/* a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>].
 * Sets *used when the line was decoded into a format; a well-formed line
 * for an absent format (or a repeated one) is kept as a plain attribute. */
static int parse_rtpmap(struct sdp_media *m, const struct pl *v, bool *used,
			const char **reason)
{
	struct pl rest = *v, id, spec, extra, enc, rt, rate, ch;
	uint32_t r, c = 1, pt;
	struct sdp_fmt *f;

	if (!next_field(&rest, &id) || !next_field(&rest, &spec) ||
	    next_field(&rest, &extra) || pl_u32(&id, &pt) || pt > 127)
		FAIL("bad a=rtpmap");
	if (!split_at(&spec, '/', &enc, &rt) || !enc.l)
		FAIL("bad a=rtpmap encoding");
	if (split_at(&rt, '/', &rate, &ch)) {
		if (pl_u32(&ch, &c) || c < 1 || c > 255)
			FAIL("bad a=rtpmap channels");
	} else {
		rate = rt;
	}
	if (pl_u32(&rate, &r) || !r)
		FAIL("bad a=rtpmap clock rate");
	f = fmt_by_id(m, &id);
	if (!f || f->rtpmap || f->pt < 0)
		return 0;
	f->enc = enc;
	f->rate = r;
	f->channels = (uint8_t)c;
	f->rtpmap = true;
	*used = true;
	return 0;
}

/* a=fmtp:<format> <format specific parameters> */
static int parse_fmtp(struct sdp_media *m, const struct pl *v, bool *used,
		      const char **reason)
{
	struct pl rest = *v, id, params;
	struct sdp_fmt *f;

	if (!next_field(&rest, &id))
		FAIL("bad a=fmtp");
	params = rest_of(&rest);
	if (!pl_isset(&params))
		params = pl_make(id.p + id.l, 0);
	f = fmt_by_id(m, &id);
	if (!f || pl_isset(&f->fmtp))
		return 0;
	f->fmtp = params;
	*used = true;
	return 0;
}

/* Milliseconds; a fractional part ("20.0", seen in the wild) is dropped. */
static int parse_ms(const struct pl *v, uint32_t *out)
{
	struct pl whole = *v, frac;

	if (split_at(v, '.', &whole, &frac) && frac.l && !is_digits(&frac))
		return EBADMSG;
	if (pl_u32(&whole, out) || !*out)
		return EBADMSG;
	return 0;
}

/* a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605) */
static int parse_rtcp(struct sdp_media *m, const struct pl *v, const char **reason)
{
	struct pl rest = *v, port, tail;

	if (!next_field(&rest, &port) || pl_u16(&port, &m->rtcp_port))
		FAIL("bad a=rtcp port");
	tail = rest_of(&rest);
	memset(&m->rtcp_conn, 0, sizeof(m->rtcp_conn));
	if (pl_isset(&tail) && (parse_conn(&m->rtcp_conn, tail) ||
				pl_isset(&m->rtcp_conn.suffix)))
		FAIL("bad a=rtcp address");
	m->has_rtcp = true;
	return 0;
}

static bool dir_attr(const struct pl *name, enum sdp_dir *d)
{
	for (unsigned i = 0; i < sizeof(dir_names) / sizeof(dir_names[0]); i++) {
		if (pl_caseeq_str(name, dir_names[i])) {
			*d = (enum sdp_dir)i;
			return true;
		}
	}
	return false;
}

static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`{|}~", c);
}

/* a=<attribute>[:<value>] at session (m == NULL) or media level. */
static int parse_attr(struct sdp_session *s, struct sdp_media *m, const struct pl *line,
		      const char **reason)
{
	struct pl name = *line, value = PL_NULL;
	struct sdp_attr *attrs;
	unsigned *nattrs;
	enum sdp_dir d;
	bool used = false;
	int err = 0;

	if (split_at(line, ':', &name, &value))
		pl_trim(&value);
	if (!name.l)
		FAIL("a= line without a name");
	for (size_t i = 0; i < name.l; i++)
		if (!is_token_char(name.p[i]))
			FAIL("bad a= attribute name");
	if (!pl_isset(&value) && dir_attr(&name, &d)) {
		if (m) {
			m->dir = d;
			m->dir_set = true;
		} else {
			s->dir = d;
			s->dir_set = true;
		}
		return 0;
	}
	if (m && pl_caseeq_str(&name, "rtcp-mux") && !pl_isset(&value)) {
		m->rtcp_mux = true;
		return 0;
	}
	if (m && pl_isset(&value)) {
		if (pl_caseeq_str(&name, "rtpmap")) {
			err = parse_rtpmap(m, &value, &used, reason);
		} else if (pl_caseeq_str(&name, "fmtp")) {
			err = parse_fmtp(m, &value, &used, reason);
		} else if (pl_caseeq_str(&name, "ptime")) {
			if (m->ptime)
				FAIL("duplicate a=ptime");
			if (parse_ms(&value, &m->ptime))
				FAIL("bad a=ptime");
			used = true;
		} else if (pl_caseeq_str(&name, "maxptime")) {
			if (m->maxptime)
				FAIL("duplicate a=maxptime");
			if (parse_ms(&value, &m->maxptime))
				FAIL("bad a=maxptime");
			used = true;
		} else if (pl_caseeq_str(&name, "rtcp")) {
			if (m->has_rtcp)
				FAIL("duplicate a=rtcp");
			err = parse_rtcp(m, &value, reason);
			used = true;
		}
		if (err || used)
			return err;
	}
	attrs = m ? m->attrs : s->attrs;
	nattrs = m ? &m->nattrs : &s->nattrs;
	if (*nattrs >= SDP_MAX_ATTRS)
		FAIL("too many a= lines");
	attrs[*nattrs].name = name;
	attrs[*nattrs].value = value;
	(*nattrs)++;
	return 0;
}

/* One "x=value" line, value trimmed. */
static int parse_line(struct sdp_session *s, char type, struct pl v, bool *seen_o,
		      bool *seen_s, const char **reason)
{
	struct sdp_media *m = s->nmedia ? &s->media[s->nmedia - 1] : NULL;
	struct sdp_conn *c;

	switch (type) {
	case 'v':
		FAIL("more than one v= line");
	case 'o':
		if (m)
			FAIL("o= line inside a media description");
		if (*seen_o)
			FAIL("more than one o= line");
		*seen_o = true;
		return parse_origin(s, v, reason);
	case 's':
		if (m)
			FAIL("s= line inside a media description");
		if (*seen_s)
			FAIL("more than one s= line");
		*seen_s = true;
		s->name = v;
		return 0;
	case 't':
		if (m)
			FAIL("t= line inside a media description");
		return s->has_time ? 0 : parse_time(s, v, reason);
	case 'c':
		c = m ? &m->conn : &s->conn;
		if (pl_isset(&c->addr))
			return 0; /* layered multicast: the first address is ours */
		if (parse_conn(c, v))
			FAIL("bad c= line");
		return 0;
	case 'b':
		return m ? parse_bw(m->bw, &m->nbw, &v, reason)
			 : parse_bw(s->bw, &s->nbw, &v, reason);
	case 'm':
		if (s->nmedia >= SDP_MAX_MEDIA)
			FAIL("too many m= lines");
		return parse_media(&s->media[s->nmedia++], v, reason);
	case 'a':
		return parse_attr(s, m, &v, reason);
	case 'i': case 'u': case 'e': case 'p': case 'z': case 'k': case 'r':
		return 0;
	default:
		/* RFC 4566 5: a description with an unknown type is ignored */
		FAIL("unknown SDP line type");
	}
}

/* Parse one description; on failure *s is zeroed and *reason says why. */
int sdp_parse(struct sdp_session *s, const char *buf, size_t len, const char **reason)
{
	const char *dummy;
	bool seen_v = false, seen_o = false, seen_s = false;
	size_t pos = 0;
	int err = 0;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	if (!s || (!buf && len)) {
		*reason = "no input";
		return EINVAL;
	}
	memset(s, 0, sizeof(*s));
	while (pos < len) {
		size_t avail = len - pos, n;
		const char *lf = memchr(buf + pos, '\n', avail);
		struct pl line;

		n = lf ? (size_t)(lf - (buf + pos)) : avail;
		line = pl_make(buf + pos, n);
		pos += n + (lf ? 1 : 0);
		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		if (!line.l)
			continue; /* blank lines (a trailing CRLF pair) are tolerated */
		if (line.l > SDP_MAX_LINE) {
			*reason = "line too long";
			err = EBADMSG;
			break;
		}
		for (size_t i = 0; i < line.l; i++) {
			unsigned char ch = (unsigned char)line.p[i];
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				*reason = "control character in line";
				err = EBADMSG;
				break;
			}
		}
		if (err)
			break;
		if (line.l < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z') {
			*reason = "line is not <letter>=<value>";
			err = EBADMSG;
			break;
		}
		if (!seen_v) {
			struct pl v = pl_make(line.p + 2, line.l - 2);
			pl_trim(&v);
			if (line.p[0] != 'v') {
				*reason = "SDP does not start with v=";
				err = EBADMSG;
				break;
			}
			if (!pl_eq_str(&v, "0")) {
				*reason = "unsupported SDP version";
				err = EBADMSG;
				break;
			}
			seen_v = true;
			continue;
		}
		{
			struct pl v = pl_make(line.p + 2, line.l - 2);
			pl_trim(&v);
			err = parse_line(s, line.p[0], v, &seen_o, &seen_s, reason);
			if (err)
				break;
		}
	}
	if (!err && !seen_v) {
		*reason = "empty SDP";
		err = EBADMSG;
	}
	if (!err && !seen_o) {
		*reason = "missing o= line";
		err = EBADMSG;
	}
	if (!err && !seen_s) {
		*reason = "missing s= line";
		err = EBADMSG;
	}
	for (unsigned i = 0; !err && i < s->nmedia; i++) {
		struct sdp_media *m = &s->media[i];
		if (m->port && !pl_isset(&sdp_media_conn(s, m)->addr)) {
			*reason = "media without c= line";
			err = EBADMSG;
		}
		if (!m->dir_set)
			m->dir = s->dir;
	}
	if (err) {
		memset(s, 0, sizeof(*s));
		return err;
	}
	*reason = NULL;
	return 0;
}

/* The c= that applies to this media: its own, else the session's. */
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, const struct sdp_media *m)
{
	return pl_isset(&m->conn.addr) ? &m->conn : &s->conn;
}

/* The first format with this RTP payload type, or NULL. */
const struct sdp_fmt *sdp_media_fmt(const struct sdp_media *m, int pt)
{
	for (unsigned i = 0; i < m->nfmts; i++)
		if (m->fmts[i].pt == pt && pt >= 0)
			return &m->fmts[i];
	return NULL;
}

static const struct sdp_attr *attr_find(const struct sdp_attr *a, unsigned n, const char *name,
					const struct sdp_attr *after)
{
	unsigned i = after ? (unsigned)(after - a) + 1 : 0;
	for (; i < n; i++)
		if (pl_caseeq_str(&a[i].name, name))
			return &a[i];
	return NULL;
}

/* Undecoded attributes by name (case-insensitive); pass the previous hit
 * as after to iterate over repeated ones (a=candidate, a=crypto). */
const struct sdp_attr *sdp_media_attr(const struct sdp_media *m, const char *name,
				      const struct sdp_attr *after)
{
	return attr_find(m->attrs, m->nattrs, name, after);
}

const struct sdp_attr *sdp_session_attr(const struct sdp_session *s, const char *name,
					const struct sdp_attr *after)
{
	return attr_find(s->attrs, s->nattrs, name, after);
}

/* A numeric c= address as a socket address; EINVAL for FQDNs and address
 * types other than IP4/IP6 (sipterm does no DNS for media). */
int sdp_conn_sa(const struct sdp_conn *c, uint16_t port, struct sa *out)
{
	struct sa tmp;

	if (!c || !pl_isset(&c->addr) || !c->af)
		return EINVAL;
	if (sa_set_pl(&tmp, &c->addr, port) || sa_af(&tmp) != c->af)
		return EINVAL;
	*out = tmp;
	return 0;
}

static void print_conn(struct buf *b, const char *prefix, const struct sdp_conn *c)
{
	buf_printf(b, "%s%.*s %.*s %.*s", prefix, PL_ARG(c->nettype), PL_ARG(c->addrtype),
		   PL_ARG(c->addr));
	if (pl_isset(&c->suffix))
		buf_printf(b, "/%.*s", PL_ARG(c->suffix));
}

static void print_bw(struct buf *b, const struct sdp_bw *bw, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf_printf(b, "b=%.*s:%.*s\r\n", PL_ARG(bw[i].type), PL_ARG(bw[i].value));
}

static void print_attrs(struct buf *b, const struct sdp_attr *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		buf_printf(b, "a=%.*s", PL_ARG(a[i].name));
		if (pl_isset(&a[i].value))
			buf_printf(b, ":%.*s", PL_ARG(a[i].value));
		buf_puts(b, "\r\n");
	}
}

static void print_media(struct buf *b, const struct sdp_media *m)
{
	buf_printf(b, "m=%.*s %u", PL_ARG(m->type_name), m->port);
	if (m->nports != 1)
		buf_printf(b, "/%u", m->nports);
	buf_printf(b, " %.*s", PL_ARG(m->proto_name));
	for (unsigned i = 0; i < m->nfmts; i++)
		buf_printf(b, " %.*s", PL_ARG(m->fmts[i].id));
	buf_puts(b, "\r\n");
	if (pl_isset(&m->conn.addr)) {
		print_conn(b, "c=", &m->conn);
		buf_puts(b, "\r\n");
	}
	print_bw(b, m->bw, m->nbw);
	for (unsigned i = 0; i < m->nfmts; i++) {
		const struct sdp_fmt *f = &m->fmts[i];
		char id[16];
		/* RTP formats by number: "096" on the m= line is 96 here, so
		 * no printed line is longer than the one it was parsed from */
		snprintf(id, sizeof(id), "%d", f->pt);
		if (f->rtpmap) { /* only RTP formats have one */
			buf_printf(b, "a=rtpmap:%s %.*s/%u", id, PL_ARG(f->enc), f->rate);
			if (f->channels != 1)
				buf_printf(b, "/%u", f->channels);
			buf_puts(b, "\r\n");
		}
		if (!pl_isset(&f->fmtp))
			continue;
		buf_puts(b, "a=fmtp:");
		if (f->pt >= 0)
			buf_puts(b, id);
		else
			buf_putpl(b, &f->id);
		if (f->fmtp.l)
			buf_printf(b, " %.*s", PL_ARG(f->fmtp));
		buf_puts(b, "\r\n");
	}
	if (m->ptime)
		buf_printf(b, "a=ptime:%u\r\n", m->ptime);
	if (m->maxptime)
		buf_printf(b, "a=maxptime:%u\r\n", m->maxptime);
	if (m->dir_set)
		buf_printf(b, "a=%s\r\n", sdp_dir_name(m->dir));
	if (m->has_rtcp) {
		buf_printf(b, "a=rtcp:%u", m->rtcp_port);
		if (pl_isset(&m->rtcp_conn.addr))
			print_conn(b, " ", &m->rtcp_conn);
		buf_puts(b, "\r\n");
	}
	if (m->rtcp_mux)
		buf_puts(b, "a=rtcp-mux\r\n");
	print_attrs(b, m->attrs, m->nattrs);
}

/* Print a parsed (or hand-built) session with CRLF line ends. */
int sdp_print(struct buf *b, const struct sdp_session *s)
{
	buf_puts(b, "v=0\r\n");
	buf_printf(b, "o=%.*s %llu %llu %.*s %.*s %.*s\r\n", PL_ARG(s->o_user),
		   (unsigned long long)s->sess_id, (unsigned long long)s->sess_version,
		   PL_ARG(s->origin.nettype), PL_ARG(s->origin.addrtype),
		   PL_ARG(s->origin.addr));
	buf_printf(b, "s=%.*s\r\n", PL_ARG(s->name));
	if (pl_isset(&s->conn.addr)) {
		print_conn(b, "c=", &s->conn);
		buf_puts(b, "\r\n");
	}
	print_bw(b, s->bw, s->nbw);
	if (s->has_time)
		buf_printf(b, "t=%llu %llu\r\n", (unsigned long long)s->t_start,
			   (unsigned long long)s->t_stop);
	if (s->dir_set)
		buf_printf(b, "a=%s\r\n", sdp_dir_name(s->dir));
	print_attrs(b, s->attrs, s->nattrs);
	for (unsigned i = 0; i < s->nmedia; i++)
		print_media(b, &s->media[i]);
	return b->err;
}
