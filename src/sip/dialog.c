/* sip/dialog.c: dialog state and in-dialog request headers.
 * Strings are copied out of the messages that created the dialog, since
 * the dialog outlives them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/auth.h"
#include "sip/dialog.h"
#include "sip/sip.h"
#include "xmalloc.h"

/* A name-addr value without its tag parameter (From/To of the dialog). */
static char *without_tag(const struct sip_addr *a)
{
	struct buf b;
	struct pl it = a->params, n, v;

	buf_init(&b, 0);
	if (a->angle) {
		if (pl_isset(&a->dname)) {
			buf_putpl(&b, &a->dname);
			buf_putc(&b, ' ');
		}
		buf_putc(&b, '<');
		buf_putpl(&b, &a->auri);
		buf_putc(&b, '>');
	} else {
		buf_putc(&b, '<');
		buf_putpl(&b, &a->auri);
		buf_putc(&b, '>');
	}
	while (sip_param_next(&it, &n, &v) == 0) {
		if (pl_caseeq_str(&n, "tag"))
			continue;
		buf_putc(&b, ';');
		buf_putpl(&b, &n);
		if (v.l) {
			buf_putc(&b, '=');
			buf_putpl(&b, &v);
		}
	}
	return b.p ? b.p : xstrdup("");
}

static int set_routes(struct sip_dialog *d, const struct sip_msg *m, bool reverse)
{
	const struct sip_addr *rr[SIP_DIALOG_MAX_ROUTES];
	unsigned n = 0;

	for (const struct sip_addr *a = m->rroute; a; a = a->next) {
		if (n >= SIP_DIALOG_MAX_ROUTES)
			return E2BIG;
		rr[n++] = a;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct sip_addr *a = rr[reverse ? n - 1 - i : i];
		struct buf b;
		buf_init(&b, 0);
		buf_putc(&b, '<');
		buf_putpl(&b, &a->auri);
		buf_putc(&b, '>');
		if (pl_isset(&a->params))
			buf_putpl(&b, &a->params);
		d->route[d->nroute++] = b.p;
	}
	return 0;
}

static char *contact_uri(const struct sip_msg *m)
{
	return m->contact ? pl_strdup(&m->contact->auri) : NULL;
}

/* A response with a To tag to our INVITE or SUBSCRIBE (RFC 3261 12.1.2);
 * it echoes our From, To, Call-ID and CSeq.  ruri: the Request-URI we
 * sent, the target when the response has no Contact. */
int sip_dialog_uac(struct sip_dialog **dp, const char *ruri, const struct sip_msg *resp)
{
	struct sip_dialog *d;
	int err;

	if (!resp->to.tag.l || !resp->from.tag.l)
		return EPROTO;
	d = xcalloc(1, sizeof(*d));
	d->callid = pl_strdup(&resp->callid);
	d->ltag = pl_strdup(&resp->from.tag);
	d->rtag = pl_strdup(&resp->to.tag);
	d->luri = without_tag(&resp->from);
	d->ruri = without_tag(&resp->to);
	d->rtarget = contact_uri(resp);
	if (!d->rtarget)
		d->rtarget = xstrdup(ruri);
	d->lseq = resp->cseq.num;
	d->early = resp->scode < 200;
	d->secure = !strncasecmp(ruri, "sips:", 5);
	err = set_routes(d, resp, true);
	if (err) {
		sip_dialog_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

/* A request that creates a dialog on our side (RFC 3261 12.1.1). */
int sip_dialog_uas(struct sip_dialog **dp, const struct sip_msg *req, const char *ltag)
{
	struct sip_dialog *d = xcalloc(1, sizeof(*d));
	int err;

	d->callid = pl_strdup(&req->callid);
	d->ltag = xstrdup(ltag);
	d->rtag = pl_strdup(&req->from.tag);
	d->luri = without_tag(&req->to);
	d->ruri = without_tag(&req->from);
	d->rtarget = contact_uri(req);
	if (!d->rtarget)
		d->rtarget = pl_strdup(&req->from.auri);
	d->rseq = req->cseq.num;
	d->rseq_set = true;
	d->lseq = 0;
	d->secure = req->ruri.scheme == SIP_SCHEME_SIPS;
	err = set_routes(d, req, false);
	if (err) {
		sip_dialog_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

void sip_dialog_free(struct sip_dialog *d)
{
	if (!d)
		return;
	free(d->callid);
	free(d->ltag);
	free(d->rtag);
	free(d->luri);
	free(d->ruri);
	free(d->rtarget);
	for (unsigned i = 0; i < d->nroute; i++)
		free(d->route[i]);
	free(d);
}

bool sip_dialog_match_req(const struct sip_dialog *d, const struct sip_msg *req)
{
	return pl_eq_str(&req->callid, d->callid) && pl_eq_str(&req->to.tag, d->ltag) &&
	       pl_eq_str(&req->from.tag, d->rtag);
}

bool sip_dialog_match_resp(const struct sip_dialog *d, const struct sip_msg *resp)
{
	return pl_eq_str(&resp->callid, d->callid) && pl_eq_str(&resp->from.tag, d->ltag) &&
	       pl_eq_str(&resp->to.tag, d->rtag);
}

/* The 2xx of an early dialog: its route set and target are final now. */
int sip_dialog_confirm(struct sip_dialog *d, const struct sip_msg *resp)
{
	if (!d->early)
		return 0;
	for (unsigned i = 0; i < d->nroute; i++)
		free(d->route[i]);
	d->nroute = 0;
	d->early = false;
	sip_dialog_update_target(d, resp);
	return set_routes(d, resp, true);
}

/* A target refresh (re-INVITE, UPDATE, their 2xx) moves the peer. */
int sip_dialog_update_target(struct sip_dialog *d, const struct sip_msg *m)
{
	if (!m->contact)
		return 0;
	free(d->rtarget);
	d->rtarget = pl_strdup(&m->contact->auri);
	return 0;
}

/* RFC 3261 12.2.2: a lower CSeq than the last one is out of order (500). */
int sip_dialog_check_cseq(struct sip_dialog *d, const struct sip_msg *req)
{
	if (req->mid == SIP_M_ACK || req->mid == SIP_M_CANCEL)
		return 0;
	if (d->rseq_set && req->cseq.num < d->rseq)
		return EPROTO;
	d->rseq = req->cseq.num;
	d->rseq_set = true;
	return 0;
}

static bool route_is_loose(const char *route)
{
	return strstr(route, ";lr") != NULL;
}

/* The URI inside a stored route "<uri>;params", into buf. */
static const char *route_uri(const char *route, char *buf, size_t size)
{
	const char *s = route + 1, *e = strchr(s, '>');
	size_t n = e ? (size_t)(e - s) : strlen(s);

	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* Request-URI: the remote target, or with a strict first route, that route. */
const char *sip_dialog_ruri(const struct sip_dialog *d)
{
	static char buf[1024];

	if (d->nroute && !route_is_loose(d->route[0]))
		return route_uri(d->route[0], buf, sizeof(buf));
	return d->rtarget;
}

/* Where the request goes first: the first route, else the remote target. */
const char *sip_dialog_nexthop(const struct sip_dialog *d)
{
	static char buf[1024];

	if (d->nroute)
		return route_uri(d->route[0], buf, sizeof(buf));
	return d->rtarget;
}

/* From, To, Call-ID, CSeq, Max-Forwards and Route of an in-dialog request
 * (RFC 3261 12.2.1.1, loose and strict routing). */
int sip_dialog_print(const struct sip_dialog *d, struct buf *b, const char *method, uint32_t cseq)
{
	bool strict = d->nroute && !route_is_loose(d->route[0]);

	buf_printf(b, "From: %s;tag=%s\r\nTo: %s", d->luri, d->ltag, d->ruri);
	if (d->rtag && *d->rtag)
		buf_printf(b, ";tag=%s", d->rtag);
	buf_printf(b, "\r\nCall-ID: %s\r\nCSeq: %u %s\r\nMax-Forwards: 70\r\n", d->callid, cseq,
		   method);
	for (unsigned i = strict ? 1 : 0; i < d->nroute; i++)
		buf_printf(b, "Route: %s\r\n", d->route[i]);
	if (strict)
		buf_printf(b, "Route: <%s>\r\n", d->rtarget);
	return b->err;
}

static int print_text(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	(void)tp;
	(void)laddr;
	return buf_puts(b, arg);
}

/* Send a request in the dialog.  Everything after the Via is rendered now
 * (the dialog's addresses are known), so the request owns its text and
 * does not depend on its sender living until the next hop resolves.
 * hdrs: extra header lines (Contact, Event, ...); auth: credentials to
 * apply, or NULL.  ACK goes without a transaction. */
int sip_dialog_request(struct sip_request **rp, struct sip *s, const struct sip_dialog *d,
		       const char *method, uint32_t cseq, const char *hdrs, const char *ctype,
		       const struct pl *body, struct sip_auth *auth, enum sip_tp tp,
		       sip_resp_h *h, void *arg)
{
	struct sip_req_params p;
	struct buf b;
	bool ack = !strcmp(method, "ACK");

	buf_init(&b, SIP_MAX_MSG_SIZE);
	sip_dialog_print(d, &b, method, cseq);
	if (hdrs)
		buf_puts(&b, hdrs);
	if (auth && !ack)
		sip_auth_apply(auth, &b, method, sip_dialog_ruri(d), body);
	if (body && body->l) {
		buf_printf(&b, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", ctype, body->l);
		buf_putpl(&b, body);
	} else {
		buf_puts(&b, "Content-Length: 0\r\n\r\n");
	}
	if (b.err) {
		int err = b.err;
		buf_free(&b);
		return err;
	}
	memset(&p, 0, sizeof(p));
	p.method = method;
	p.ruri = sip_dialog_ruri(d);
	p.nexthop = sip_dialog_nexthop(d);
	if (tp != SIP_TP_UDP) {
		p.tp = tp;
		p.force_tp = true;
	}
	p.printh = print_text;
	p.arg = b.p;
	p.free_arg = free;
	if (ack)
		return sip_send_ack(s, &p);
	return sip_request(rp, s, &p, h, arg);
}
