/* sip/reply.c: building responses and sending them where RFC 3261 18.2.2
 * and RFC 3581 say: back on the connection for streams, to the source
 * address and port when the request asked for rport, else to the source
 * address and the port of its Via sent-by. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sip/sip-int.h"

#define LOG_MOD "sip"

/* The top Via as received, with received= and rport= filled in. */
static void print_top_via(struct buf *b, const struct sip_via *v, const struct sip_rx *rx)
{
	struct pl it = v->params, name, val;
	char addr[64];
	bool add_received;

	sa_ntop(&rx->src, addr, sizeof(addr));
	buf_puts(b, "Via: SIP/");
	buf_putpl(b, &v->version);
	buf_putc(b, '/');
	buf_putpl(b, &v->transport);
	buf_putc(b, ' ');
	if (v->ipv6)
		buf_putc(b, '[');
	buf_putpl(b, &v->host);
	if (v->ipv6)
		buf_putc(b, ']');
	if (v->port)
		buf_printf(b, ":%u", v->port);
	while (sip_param_next(&it, &name, &val) == 0) {
		if (pl_caseeq_str(&name, "received") || pl_caseeq_str(&name, "rport"))
			continue;
		buf_putc(b, ';');
		buf_putpl(b, &name);
		if (val.l) {
			buf_putc(b, '=');
			buf_putpl(b, &val);
		}
	}
	/* received when the source differs from sent-by, or rport asked */
	add_received = v->rport || !pl_caseeq_str(&v->host, addr);
	if (add_received)
		buf_printf(b, ";received=%s", addr);
	if (v->rport)
		buf_printf(b, ";rport=%u", sa_port(&rx->src));
	else if (pl_isset(&v->rport_val))
		buf_printf(b, ";rport=%.*s", PL_ARG(v->rport_val));
	buf_puts(b, "\r\n");
}

int sip_reply_build(struct buf *b, struct sip *s, const struct sip_msg *req, const struct sip_rx *rx,
		    uint16_t code, const char *reason, const char *totag, const char *hdrs,
		    const char *ctype, const struct pl *body)
{
	if (!reason)
		reason = sip_reason_phrase(code);
	buf_printf(b, "SIP/2.0 %u %s\r\n", code, reason);
	for (const struct sip_via *v = req->via; v; v = v->next) {
		if (v == req->via) {
			print_top_via(b, v, rx);
		} else {
			buf_puts(b, "Via: ");
			buf_putpl(b, &v->val);
			buf_puts(b, "\r\n");
		}
	}
	buf_puts(b, "From: ");
	buf_putpl(b, &req->from.val);
	buf_puts(b, "\r\nTo: ");
	buf_putpl(b, &req->to.val);
	if (totag && *totag && !req->to.tag.l)
		buf_printf(b, ";tag=%s", totag);
	buf_puts(b, "\r\nCall-ID: ");
	buf_putpl(b, &req->callid);
	buf_printf(b, "\r\nCSeq: %u ", req->cseq.num);
	buf_putpl(b, &req->cseq.method);
	buf_puts(b, "\r\n");
	/* RFC 3261 12.1.1: a response that makes a dialog (early or
	 * confirmed) carries the request's Record-Route values in order */
	if (code > 100 && code < 300 &&
	    (req->mid == SIP_M_INVITE || req->mid == SIP_M_SUBSCRIBE ||
	     req->mid == SIP_M_NOTIFY || req->mid == SIP_M_REFER)) {
		for (const struct sip_addr *r = req->rroute; r; r = r->next) {
			buf_puts(b, "Record-Route: ");
			buf_putpl(b, &r->val);
			buf_puts(b, "\r\n");
		}
	}
	if (hdrs)
		buf_puts(b, hdrs);
	if (s && s->user_agent)
		buf_printf(b, "Server: %s\r\n", s->user_agent);
	if (ctype && body && body->l)
		buf_printf(b, "Content-Type: %s\r\n", ctype);
	buf_printf(b, "Content-Length: %zu\r\n\r\n", body ? body->l : 0);
	if (body && body->l)
		buf_putpl(b, body);
	return b->err;
}

/* Where a response to req goes (for UDP; streams use the connection). */
int sip_reply_dest(const struct sip_msg *req, const struct sip_rx *rx, struct sa *dst)
{
	const struct sip_via *v = req->via;

	*dst = rx->src;
	if (sip_tp_reliable(rx->tp) || v->rport)
		return 0;
	sa_set_port(dst, v->port ? v->port : sip_tp_default_port(rx->tp));
	return 0;
}

int sip_send_response(struct sip *s, const struct sip_rx *rx, const struct sa *dst,
		      const char *data, size_t len)
{
	if (sip_tp_reliable(rx->tp)) {
		/* the same connection; if it is gone, a new one to the source
		 * (RFC 3261 18.2.2 would try sent-by: the source is what works
		 * behind NAT) */
		return sip_tp_send(s->tp, rx->tp, &rx->src, rx->conn, data, len, NULL);
	}
	return sip_tp_send(s->tp, SIP_TP_UDP, dst, NULL, data, len, NULL);
}

static bool printable(const struct pl *x)
{
	for (size_t i = 0; i < x->l; i++)
		if ((unsigned char)x->p[i] < 0x20 && x->p[i] != '\t')
			return false;
	return x->l > 0;
}

/* 400 for a request the parser refused (413 when its body makes it too
 * large, 513 when its header section is), when enough of it is readable
 * to address an answer (Via, From, To, Call-ID, CSeq); else it is
 * dropped. */
int sip_reply_raw400(struct sip *s, const char *data, size_t len, const char *reason,
		     const struct sip_rx *rx)
{
	struct pl via, from, to, callid, cseq, rest;
	bool has_from, has_to, has_callid, has_cseq;
	const char *p, *nl, *e = data + len;
	struct sip_via v;
	struct buf b;
	struct sa dst = rx->src;
	char tag[16];
	int err;

	/* the Via says where the answer goes; the rest is copied if there */
	if (!sip_raw_header(data, len, "Via", 'v', &via) || !printable(&via))
		return EBADMSG;
	/* to the sent-by port as for any response (18.2.2) when the top Via
	 * parses and has no rport; else back to the source */
	rest = via;
	if (!sip_tp_reliable(rx->tp) && sip_via_parse_next(&v, &rest) == 0 && !v.rport)
		sa_set_port(&dst, v.port ? v.port : sip_tp_default_port(rx->tp));
	has_from = sip_raw_header(data, len, "From", 'f', &from) && printable(&from);
	has_to = sip_raw_header(data, len, "To", 't', &to) && printable(&to);
	has_callid = sip_raw_header(data, len, "Call-ID", 'i', &callid) && printable(&callid);
	has_cseq = sip_raw_header(data, len, "CSeq", '\0', &cseq) && printable(&cseq);
	if (has_cseq && cseq.l >= 3 && mem_caseeq(cseq.p + cseq.l - 3, "ACK", 3))
		return 0; /* never answer an ACK */
	if (len >= 4 && mem_caseeq(data, "ACK ", 4))
		return 0;
	sip_rand_token(tag, 10);
	buf_init(&b, SIP_MAX_MSG_SIZE);
	buf_printf(&b, "SIP/2.0 %d %s\r\n",
		   reason == sip_reason_body_too_large ? 413
		   : reason == sip_reason_hdr_too_large ? 513 : 400, reason);
	/* every Via line in order (8.2.6.2): a proxy on the path needs its own */
	for (;;) {
		buf_puts(&b, "Via: ");
		buf_putpl(&b, &via);
		buf_puts(&b, "\r\n");
		nl = memchr(via.p + via.l, '\n', (size_t)(e - (via.p + via.l)));
		if (!nl)
			break;
		p = nl + 1;
		if (!sip_raw_header(p, (size_t)(e - p), "Via", 'v', &via) || !printable(&via))
			break;
	}
	if (has_from) {
		buf_puts(&b, "From: ");
		buf_putpl(&b, &from);
		buf_puts(&b, "\r\n");
	}
	if (has_to) {
		buf_puts(&b, "To: ");
		buf_putpl(&b, &to);
		if (!memmem(to.p, to.l, "tag=", 4))
			buf_printf(&b, ";tag=%s", tag);
		buf_puts(&b, "\r\n");
	}
	if (has_callid) {
		buf_puts(&b, "Call-ID: ");
		buf_putpl(&b, &callid);
		buf_puts(&b, "\r\n");
	}
	if (has_cseq) {
		buf_puts(&b, "CSeq: ");
		buf_putpl(&b, &cseq);
		buf_puts(&b, "\r\n");
	}
	if (s->user_agent)
		buf_printf(&b, "Server: %s\r\n", s->user_agent);
	buf_puts(&b, "Content-Length: 0\r\n\r\n");
	err = b.err ? b.err : sip_send_response(s, rx, &dst, b.p, b.len);
	buf_free(&b);
	return err;
}
