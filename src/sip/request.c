/* sip/request.c: a request from its sender's point of view (RFC 3261 8.1,
 * RFC 3263 4.3): resolve the next hop, send through a client transaction,
 * and on a transport error, a timeout or a 503 before any provisional
 * response, try the next target with a new branch.  ACK for a 2xx is
 * sent without a transaction and kept for resending on 2xx repeats. */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "sip/resolv.h"
#include "sip/sip-int.h"
#include "xmalloc.h"

#define LOG_MOD "sip"

struct sip_request {
	struct le le;
	struct sip *s;
	char *method, *ruri, *nexthop;
	enum sip_tp force;
	bool force_tp;
	bool ack;
	sip_print_h *printh;
	void *parg;
	void (*free_arg)(void *arg);
	sip_resp_h *h;
	void *arg;
	struct sip_resolv *q;
	struct sip_target t[SIP_RESOLV_MAX_TARGETS];
	size_t nt, idx;
	struct sip_ctrans *ct;
	struct sip_conn *conn;     /* flow to use, or the one last used */
	enum sip_tp tp;
	struct sa dst;             /* the target last sent to */
	bool provisional;
	bool cancel_wanted;
	bool done;
	struct tmr t0;             /* starts a send on an existing flow */
};

static void req_destroy(struct sip_request *r)
{
	if (r->q)
		sip_resolv_cancel(r->q);
	tmr_cancel(&r->t0);
	if (r->ct)
		sip_ctrans_abandon(r->ct);
	list_unlink(&r->le);
	sip_conn_unref(r->conn);
	if (r->free_arg)
		r->free_arg(r->parg);
	free(r->method);
	free(r->ruri);
	free(r->nexthop);
	free(r);
}

static void req_reap(void *arg)
{
	req_destroy(arg);
}

/* Report and finish: the object is freed after this dispatch round. */
static void req_finish(struct sip_request *r, int err, const struct sip_msg *resp)
{
	sip_resp_h *h = r->h;

	if (r->done)
		return;
	r->done = true;
	r->h = NULL;
	list_unlink(&r->le);
	/* a lookup or flow start still pending must not send it after all */
	sip_resolv_cancel(r->q);
	r->q = NULL;
	tmr_cancel(&r->t0);
	if (h)
		h(err, resp, r->arg);
	loop_reap(req_reap, r);
}

static int build(struct sip_request *r, struct buf *b, enum sip_tp tp, const struct sa *dst,
		 char *branch, size_t bsize)
{
	struct sa laddr;
	int err;

	/* sent-by is our listening address (with rport the answer finds us
	 * anyway); on a stream the connection carries the answer */
	err = sip_laddr(r->s, tp, dst, &laddr);
	if (err)
		return err;
	sip_rand_token(branch + 7, bsize - 8 > 24 ? 24 : bsize - 8);
	memcpy(branch, SIP_MAGIC_COOKIE, 7);
	buf_printf(b, "%s %s SIP/2.0\r\nVia: SIP/2.0/%s ", r->method, r->ruri, sip_tp_name(tp));
	sip_print_sentby(b, &laddr);
	buf_printf(b, ";branch=%s;rport\r\n", branch);
	err = r->printh(b, tp, &laddr, r->parg);
	return err ? err : b->err;
}

static void ct_handler(int err, const struct sip_msg *resp, void *arg);
static void try_next(struct sip_request *r, int last_err);

static int send_to(struct sip_request *r, enum sip_tp tp, const struct sa *dst)
{
	char branch[40];
	struct buf b;
	int err;

	buf_init(&b, SIP_MAX_MSG_SIZE);
	r->dst = *dst;
	err = build(r, &b, tp, dst, branch, sizeof(branch));
	if (!err && r->ack) {
		r->tp = tp;
		err = sip_tp_send(r->s->tp, tp, dst, r->conn, b.p, b.len, NULL);
		buf_free(&b);
		return err;
	}
	if (!err) {
		r->tp = tp;
		err = sip_ctrans_send(&r->ct, r->s, &b, branch, tp, dst,
				      sip_conn_alive(r->conn) ? r->conn : NULL, ct_handler, r);
	}
	buf_free(&b);
	if (!err && r->ct) {
		struct sip_conn *c = sip_ctrans_conn(r->ct);
		if (c && c != r->conn) {
			sip_conn_unref(r->conn);
			r->conn = sip_conn_ref(c);
		}
	}
	return err;
}

static void try_next(struct sip_request *r, int last_err)
{
	while (r->idx < r->nt) {
		struct sip_target *t = &r->t[r->idx++];
		int err;
		if (r->force_tp && t->tp != r->force)
			continue;
		err = send_to(r, t->tp, &t->addr);
		if (!err) {
			if (r->ack)
				req_finish(r, 0, NULL);
			return;
		}
		log_d("cannot send %s to target %zu: %s", r->method, r->idx, strerror(err));
		last_err = err;
	}
	req_finish(r, last_err ? last_err : ENOENT, NULL);
}

static void ct_handler(int err, const struct sip_msg *resp, void *arg)
{
	struct sip_request *r = arg;

	if (err || (resp && resp->scode == 503 && !r->provisional && r->idx < r->nt)) {
		/* failover (RFC 3263 4.3): only before anything came back */
		r->ct = NULL;
		if (!r->provisional && r->idx < r->nt && !r->cancel_wanted) {
			log_i("%s: %s; trying the next target", r->method,
			      err ? strerror(err) : "503 Service Unavailable");
			try_next(r, err);
			return;
		}
		req_finish(r, err, resp);
		return;
	}
	if (resp->scode < 200) {
		r->provisional = true;
		if (r->cancel_wanted)
			sip_ctrans_cancel(r->ct, NULL, NULL);
		r->cancel_wanted = false;
		if (r->h)
			r->h(0, resp, r->arg);
		return;
	}
	r->ct = NULL;
	req_finish(r, 0, resp);
}

static void resolved(int err, const struct sip_target *t, size_t n, void *arg)
{
	struct sip_request *r = arg;

	r->q = NULL;
	if (r->done)
		return;
	if (err) {
		log_i("cannot locate %s: %s", r->nexthop ? r->nexthop : r->ruri, strerror(err));
		req_finish(r, err, NULL);
		return;
	}
	if (n > SIP_RESOLV_MAX_TARGETS)
		n = SIP_RESOLV_MAX_TARGETS;
	memcpy(r->t, t, n * sizeof(*t));
	r->nt = n;
	r->idx = 0;
	try_next(r, 0);
}

static void flow_start(void *arg)
{
	struct sip_request *r = arg;
	if (!r->done)
		try_next(r, 0);
}

static unsigned af_mask(struct sip *s)
{
	unsigned m = 0;
	if (sip_tp_has_af(s->tp, AF_INET))
		m |= SIP_AF_V4;
	if (sip_tp_has_af(s->tp, AF_INET6))
		m |= SIP_AF_V6;
	return m;
}

static int start(struct sip_request **rp, struct sip *s, const struct sip_req_params *p,
		 bool ack, sip_resp_h *h, void *arg)
{
	struct sip_request *r;
	struct sip_uri uri;
	struct pl text;
	unsigned mask;
	int err;

	if (!p->method || !p->ruri || !p->printh) {
		if (p->free_arg)
			p->free_arg(p->arg);
		return EINVAL;
	}
	r = xcalloc(1, sizeof(*r));
	r->s = s;
	r->method = xstrdup(p->method);
	r->ruri = xstrdup(p->ruri);
	r->nexthop = p->nexthop ? xstrdup(p->nexthop) : NULL;
	r->force = p->tp;
	r->force_tp = p->force_tp;
	r->ack = ack;
	r->printh = p->printh;
	r->parg = p->arg;
	r->free_arg = p->free_arg;
	r->h = h;
	r->arg = arg;
	tmr_init(&r->t0);
	list_append(&s->reqs, &r->le, r);

	/* an existing flow (RFC 5626): no resolution, no failover */
	if (sip_conn_alive(p->conn)) {
		r->conn = sip_conn_ref(p->conn);
		r->t[0].tp = r->force_tp ? r->force : SIP_TP_TCP;
		r->t[0].addr = *sip_conn_peer(p->conn);
		r->nt = 1;
		tmr_start(&r->t0, 0, flow_start, r);
		if (rp)
			*rp = r;
		return 0;
	}
	text = pl_cstr(r->nexthop ? r->nexthop : r->ruri);
	if (sip_uri_parse(&uri, &text)) {
		req_destroy(r);
		return EINVAL;
	}
	mask = s->cfg.tp.tp_mask & (SIP_TP_MASK(SIP_TP_UDP) | SIP_TP_MASK(SIP_TP_TCP));
	if (r->force_tp)
		mask &= SIP_TP_MASK(r->force);
	err = sip_resolve(&r->q, &uri, mask, af_mask(s), resolved, r);
	if (err) {
		req_destroy(r);
		return err;
	}
	if (rp)
		*rp = r;
	return 0;
}

int sip_request(struct sip_request **rp, struct sip *s, const struct sip_req_params *p,
		sip_resp_h *h, void *arg)
{
	return start(rp, s, p, false, h, arg);
}

/* ACK for a 2xx: its own branch, no transaction (RFC 3261 13.2.2.4). */
int sip_send_ack(struct sip *s, const struct sip_req_params *p)
{
	return start(NULL, s, p, true, NULL, NULL);
}

/* CANCEL an INVITE: now if a provisional response came, else as soon as
 * one does (RFC 3261 9.1).  A request still being resolved just ends. */
int sip_request_cancel(struct sip_request *r)
{
	if (!r || r->done)
		return EALREADY;
	if (r->ct && r->provisional)
		return sip_ctrans_cancel(r->ct, NULL, NULL);
	if (!r->ct) {
		req_finish(r, ECANCELED, NULL);
		return 0;
	}
	r->cancel_wanted = true;
	return 0;
}

/* The sender goes away: no more callbacks. */
void sip_request_abandon(struct sip_request *r)
{
	if (!r || r->done)
		return;
	r->h = NULL;
	r->done = true;
	list_unlink(&r->le);
	sip_resolv_cancel(r->q);
	r->q = NULL;
	tmr_cancel(&r->t0);
	loop_reap(req_reap, r);
}

struct sip_conn *sip_request_conn(const struct sip_request *r)
{
	return r ? r->conn : NULL;
}

enum sip_tp sip_request_tp(const struct sip_request *r)
{
	return r->tp;
}

void sip_request_target(const struct sip_request *r, enum sip_tp *tp, struct sa *dst)
{
	*tp = r->tp;
	*dst = r->dst;
}

void sip_request_conn_failed(struct sip *s, struct sip_conn *c, int err)
{
	(void)s;
	(void)c;
	(void)err; /* transactions on c fail through sip_ctrans_conn_failed */
}

void sip_request_close_all(struct sip *s)
{
	LIST_FOREACH_SAFE(&s->reqs, e, tmp) {
		struct sip_request *r = e->data;
		r->h = NULL;
		req_destroy(r);
	}
}
