/* sip/print.c: printing messages and URIs.  sip_msg_print() writes a
 * parsed message back in canonical form (long header names, folds gone,
 * Content-Length equal to the body), so parse(print(m)) gives m again. */
#include "sip/msg-int.h"

int sip_uri_print(struct buf *b, const struct sip_uri *uri)
{
	buf_putpl(b, &uri->scheme_name);
	buf_putc(b, ':');
	if (uri->scheme != SIP_SCHEME_SIP && uri->scheme != SIP_SCHEME_SIPS)
		return buf_putpl(b, &uri->opaque);
	if (uri->user.l) {
		buf_putpl(b, &uri->user);
		if (pl_isset(&uri->password)) {
			buf_putc(b, ':');
			buf_putpl(b, &uri->password);
		}
		buf_putc(b, '@');
	}
	if (uri->ipv6)
		buf_putc(b, '[');
	buf_putpl(b, &uri->host);
	if (uri->ipv6)
		buf_putc(b, ']');
	if (uri->port)
		buf_printf(b, ":%u", uri->port);
	if (pl_isset(&uri->params))
		buf_putpl(b, &uri->params);
	if (pl_isset(&uri->headers)) {
		buf_putc(b, '?');
		buf_putpl(b, &uri->headers);
	}
	return b->err;
}

int sip_msg_print(const struct sip_msg *m, struct buf *b)
{
	bool clen = false;

	/* slices may hold NUL bytes (quoted-pair): never print them with %s */
	if (m->req) {
		buf_putpl(b, &m->method);
		buf_putc(b, ' ');
		buf_putpl(b, &m->ruri_text);
		buf_puts(b, " SIP/");
		buf_putpl(b, &m->version);
	} else {
		buf_puts(b, "SIP/");
		buf_putpl(b, &m->version);
		buf_printf(b, " %03u ", m->scode);
		buf_putpl(b, &m->reason);
	}
	buf_puts(b, "\r\n");
	for (unsigned i = 0; i < m->nhdr; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		if (h->id == SIP_H_CONTENT_LENGTH) {
			buf_printf(b, "Content-Length: %zu\r\n", m->body.l);
			clen = true;
		} else {
			if (h->id != SIP_H_OTHER)
				buf_puts(b, sip_hdr_name(h->id));
			else
				buf_putpl(b, &h->name);
			buf_puts(b, ": ");
			buf_putpl(b, &h->val);
			buf_puts(b, "\r\n");
		}
	}
	if (!clen)
		buf_printf(b, "Content-Length: %zu\r\n", m->body.l);
	buf_puts(b, "\r\n");
	buf_putpl(b, &m->body);
	return b->err;
}
