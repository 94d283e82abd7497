/* sip/ctrans.c: client transactions (RFC 3261 17.1).
 *
 * INVITE: Calling (Timer A retransmits over UDP, B gives up) -> Proceeding
 * on 1xx -> a 2xx ends the transaction (the dialog ACKs it); 300-699 are
 * ACKed here and retransmitted finals absorbed until Timer D.
 * Non-INVITE: Trying (Timer E, capped at T2; F gives up) -> Proceeding ->
 * Completed (Timer K absorbs retransmitted finals). */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "sip/sip-int.h"
#include "xmalloc.h"

#define LOG_MOD "txn"

enum ct_state {
	CT_CALLING,      /* INVITE before any response; "Trying" for non-INVITE */
	CT_PROCEEDING,
	CT_COMPLETED,
	CT_TERMINATED,
};

struct sip_ctrans {
	struct le le, hle;
	struct sip *s;
	char branch[48];
	struct pl cseq_method;   /* in req */
	bool invite;
	enum ct_state state;
	struct buf msg;          /* what we sent, for retransmission */
	struct sip_msg *req;     /* the same, parsed: for ACK and CANCEL */
	enum sip_tp tp;
	struct sa dst;
	struct sip_conn *conn;
	struct tmr tretx, tgiveup, tend;
	uint32_t interval;
	bool unreachable;        /* marked by sip_ctrans_unreachable */
	sip_ctrans_h *h;
	void *arg;
};

static void ct_destroy(struct sip_ctrans *ct)
{
	tmr_cancel(&ct->tretx);
	tmr_cancel(&ct->tgiveup);
	tmr_cancel(&ct->tend);
	list_unlink(&ct->le);
	list_unlink(&ct->hle);
	sip_msg_free(ct->req);
	sip_conn_unref(ct->conn);
	buf_free(&ct->msg);
	free(ct);
}

static void ct_reap(void *arg)
{
	ct_destroy(arg);
}

/* Terminate: the object goes after this dispatch round, since a handler
 * up the stack may still stand on it. */
static void ct_terminate(struct sip_ctrans *ct)
{
	if (ct->state == CT_TERMINATED)
		return;
	ct->state = CT_TERMINATED;
	ct->h = NULL;
	tmr_cancel(&ct->tretx);
	tmr_cancel(&ct->tgiveup);
	tmr_cancel(&ct->tend);
	list_unlink(&ct->hle);
	list_unlink(&ct->le);
	loop_reap(ct_reap, ct);
}

static int ct_transmit(struct sip_ctrans *ct)
{
	struct sip_conn *used = NULL;
	int err = sip_tp_send(ct->s->tp, ct->tp, &ct->dst, ct->conn, ct->msg.p, ct->msg.len,
			      &used);
	if (used && used != ct->conn) {
		sip_conn_unref(ct->conn);
		ct->conn = used;
	} else {
		sip_conn_unref(used);
	}
	return err;
}

/* Tell the user once, then never again. */
static void ct_report(struct sip_ctrans *ct, int err, const struct sip_msg *resp, bool final)
{
	sip_ctrans_h *h = ct->h;
	if (final)
		ct->h = NULL;
	if (h)
		h(err, resp, ct->arg);
}

static void ct_fail(struct sip_ctrans *ct, int err)
{
	ct_report(ct, err, NULL, true);
	ct_terminate(ct);
}

static void timer_retx(void *arg)
{
	struct sip_ctrans *ct = arg;
	const struct sip_cfg *cfg = &ct->s->cfg;
	int err;

	if (ct->invite)
		ct->interval *= 2;                                     /* Timer A */
	else if (ct->state == CT_PROCEEDING)
		ct->interval = cfg->t2;                                /* Timer E */
	else
		ct->interval = ct->interval * 2 < cfg->t2 ? ct->interval * 2 : cfg->t2;
	err = ct_transmit(ct);
	if (err) {
		ct_fail(ct, err);
		return;
	}
	tmr_start(&ct->tretx, ct->interval, timer_retx, ct);
}

static void timer_giveup(void *arg)
{
	struct sip_ctrans *ct = arg;
	log_d("transaction %s timed out (Timer %s)", ct->branch, ct->invite ? "B" : "F");
	ct_fail(ct, ETIMEDOUT);
}

static void timer_end(void *arg)
{
	ct_terminate(arg);                                             /* Timer D / K */
}

int sip_ctrans_send(struct sip_ctrans **ctp, struct sip *s, struct buf *msg, const char *branch,
		    enum sip_tp tp, const struct sa *dst, struct sip_conn *conn,
		    sip_ctrans_h *h, void *arg)
{
	struct sip_ctrans *ct = xcalloc(1, sizeof(*ct));
	const char *reason;
	int err;

	ct->s = s;
	snprintf(ct->branch, sizeof(ct->branch), "%s", branch);
	ct->msg = *msg;
	buf_init(msg, msg->max);
	if (sip_msg_parse(&ct->req, ct->msg.p, ct->msg.len, 0, &reason)) {
		log_e("refusing to send a request we cannot parse ourselves: %s", reason);
		buf_free(&ct->msg);
		free(ct);
		return EINVAL;
	}
	ct->cseq_method = ct->req->cseq.method;
	ct->invite = ct->req->mid == SIP_M_INVITE;
	ct->tp = tp;
	ct->dst = *dst;
	ct->conn = sip_conn_ref(conn);
	ct->h = h;
	ct->arg = arg;
	ct->interval = s->cfg.t1;
	tmr_init(&ct->tretx);
	tmr_init(&ct->tgiveup);
	tmr_init(&ct->tend);
	list_append(&s->ctl, &ct->le, ct);
	hash_add(&s->ct, hash_str(ct->branch), &ct->hle, ct);

	err = ct_transmit(ct);
	if (err) {
		ct->h = NULL;
		ct_destroy(ct);
		return err;
	}
	if (!sip_tp_reliable(tp))
		tmr_start(&ct->tretx, ct->interval, timer_retx, ct);
	tmr_start(&ct->tgiveup, 64 * (uint64_t)s->cfg.t1, timer_giveup, ct);
	if (ctp)
		*ctp = ct;
	return 0;
}

/* The user goes away: no more callbacks; the transaction still absorbs
 * what belongs to it until its timers end it. */
void sip_ctrans_abandon(struct sip_ctrans *ct)
{
	if (!ct)
		return;
	ct->h = NULL;
	if (ct->state == CT_CALLING || ct->state == CT_PROCEEDING) {
		/* keep retransmitting a non-INVITE would be pointless */
		if (!ct->invite)
			ct_terminate(ct);
		else if (ct->state == CT_PROCEEDING)
			/* no timer runs in Proceeding: bound the wait for a
			 * final to ACK */
			tmr_start(&ct->tgiveup, 64 * (uint64_t)ct->s->cfg.t1, timer_giveup, ct);
	}
}

struct sip_conn *sip_ctrans_conn(const struct sip_ctrans *ct)
{
	return ct ? ct->conn : NULL;
}

/* Copy Route headers of our request into b (ACK and CANCEL carry them). */
static void copy_routes(struct buf *b, const struct sip_msg *req)
{
	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_H_ROUTE); h; h = sip_msg_hdr_next(req, h)) {
		buf_puts(b, "Route: ");
		buf_putpl(b, &h->val);
		buf_puts(b, "\r\n");
	}
}

/* ACK for a non-2xx final (RFC 3261 17.1.1.3): same Request-URI, top Via,
 * From, Call-ID, CSeq number; To from the response. */
static void send_ack(struct sip_ctrans *ct, const struct sip_msg *resp)
{
	const struct sip_msg *r = ct->req;
	struct buf b;

	buf_init(&b, SIP_MAX_MSG_SIZE);
	buf_printf(&b, "ACK %.*s SIP/2.0\r\nVia: %.*s\r\n", PL_ARG(r->ruri_text), PL_ARG(r->via->val));
	copy_routes(&b, r);
	buf_puts(&b, "From: ");
	buf_putpl(&b, &r->from.val);
	buf_puts(&b, "\r\nTo: ");
	buf_putpl(&b, &resp->to.val);
	buf_puts(&b, "\r\nCall-ID: ");
	buf_putpl(&b, &r->callid);
	buf_printf(&b, "\r\nCSeq: %u ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		   r->cseq.num);
	if (!b.err)
		sip_tp_send(ct->s->tp, ct->tp, &ct->dst, ct->conn, b.p, b.len, NULL);
	buf_free(&b);
}

static void ct_final(struct sip_ctrans *ct, const struct sip_msg *resp)
{
	bool reliable = sip_tp_reliable(ct->tp);

	tmr_cancel(&ct->tretx);
	tmr_cancel(&ct->tgiveup);
	if (ct->invite && resp->scode < 300) {
		ct_report(ct, 0, resp, true);
		ct_terminate(ct);
		return;
	}
	if (ct->invite)
		send_ack(ct, resp);
	ct->state = CT_COMPLETED;
	ct_report(ct, 0, resp, true);
	if (ct->state == CT_TERMINATED)
		return;
	/* Timer D (32 s, at least 64*T1 would be excessive) or Timer K (T4) */
	tmr_start(&ct->tend, reliable ? 0 : ct->invite ? 32000 : ct->s->cfg.t4, timer_end, ct);
}

/* A response: does it belong to one of our transactions?  Matching is by
 * top Via branch and CSeq method (RFC 3261 17.1.3). */
bool sip_ctrans_recv(struct sip *s, const struct sip_msg *resp)
{
	struct sip_ctrans *ct = NULL;
	const struct pl *branch;

	if (!resp->nvia || !resp->has_cseq)
		return false;
	branch = &resp->via->branch;
	if (!branch->l)
		return false;
	LIST_FOREACH(hash_bucket(&s->ct, hash_pl(branch)), e) {
		struct sip_ctrans *c = e->data;
		if (pl_eq_str(branch, c->branch) && pl_eq(&c->cseq_method, &resp->cseq.method)) {
			ct = c;
			break;
		}
	}
	if (!ct)
		return false;
	switch (ct->state) {
	case CT_CALLING:
	case CT_PROCEEDING:
		if (resp->scode < 200) {
			ct->state = CT_PROCEEDING;
			if (ct->invite) {
				/* Timer A stops on 1xx; Timer B counts only in
				 * Calling (17.1.1.2): ringing never times out */
				tmr_cancel(&ct->tretx);
				tmr_cancel(&ct->tgiveup);
			}
			ct_report(ct, 0, resp, false);
		} else {
			ct_final(ct, resp);
		}
		break;
	case CT_COMPLETED:
		/* a retransmitted final: ACK again (INVITE), else absorb */
		if (ct->invite && resp->scode >= 300)
			send_ack(ct, resp);
		break;
	case CT_TERMINATED:
		break;
	}
	return true;
}

/* CANCEL of a pending INVITE (RFC 3261 9.1): its own non-INVITE
 * transaction, same branch, to the same place. */
int sip_ctrans_cancel(struct sip_ctrans *ct, sip_ctrans_h *h, void *arg)
{
	const struct sip_msg *r = ct->req;
	struct buf b;
	int err;

	if (!ct->invite || ct->state != CT_PROCEEDING)
		return EPROTO;
	buf_init(&b, SIP_MAX_MSG_SIZE);
	buf_printf(&b, "CANCEL %.*s SIP/2.0\r\nVia: %.*s\r\n", PL_ARG(r->ruri_text),
		   PL_ARG(r->via->val));
	copy_routes(&b, r);
	buf_puts(&b, "From: ");
	buf_putpl(&b, &r->from.val);
	buf_puts(&b, "\r\nTo: ");
	buf_putpl(&b, &r->to.val);
	buf_puts(&b, "\r\nCall-ID: ");
	buf_putpl(&b, &r->callid);
	buf_printf(&b, "\r\nCSeq: %u CANCEL\r\nMax-Forwards: 70\r\n", r->cseq.num);
	if (ct->s->user_agent)
		buf_printf(&b, "User-Agent: %s\r\n", ct->s->user_agent);
	buf_puts(&b, "Content-Length: 0\r\n\r\n");
	err = b.err ? b.err
		    : sip_ctrans_send(NULL, ct->s, &b, ct->branch, ct->tp, &ct->dst, ct->conn, h, arg);
	buf_free(&b);
	return err;
}

/* A stream connection died: transactions on it fail now (transport error,
 * RFC 3261 17.1.4) instead of waiting for Timer B/F. */
void sip_ctrans_conn_failed(struct sip *s, struct sip_conn *c, int err)
{
	LIST_FOREACH_SAFE(&s->ctl, e, tmp) {
		struct sip_ctrans *ct = e->data;
		if (ct->conn != c || ct->state == CT_TERMINATED)
			continue;
		if (ct->state == CT_CALLING || ct->state == CT_PROCEEDING)
			ct_fail(ct, err ? err : ECONNRESET);
		else
			ct_terminate(ct);
	}
}

/* An ICMP error for a datagram to dst (RFC 3261 18.4, RFC 3263 4.3): UDP
 * transactions still sending there fail now with err instead of at Timer
 * B/F, so that their request moves to the next target.  An INVITE past
 * its 1xx sends nothing more and waits on; one in Completed ends on its
 * timer.  The matches are marked first and failed one by one, since each
 * failure runs handlers that start or end transactions (the list is
 * scanned again per failure: O(n) each). */
void sip_ctrans_unreachable(struct sip *s, const struct sa *dst, int err)
{
	char d[SA_STRLEN];
	unsigned marked = 0;

	LIST_FOREACH(&s->ctl, e) {
		struct sip_ctrans *ct = e->data;
		ct->unreachable = ct->tp == SIP_TP_UDP && sa_eq(&ct->dst, dst) &&
				  (ct->state == CT_CALLING ||
				   (ct->state == CT_PROCEEDING && !ct->invite));
		marked += ct->unreachable;
	}
	if (marked)
		log_i("UDP to %s: %s; failing %u transaction%s", sa_str(dst, d, sizeof(d)),
		      strerror(err), marked, marked == 1 ? "" : "s");
	else
		log_i("UDP to %s: %s (nothing of ours waits on it: ignored)",
		      sa_str(dst, d, sizeof(d)), strerror(err));
	for (;;) {
		struct sip_ctrans *hit = NULL;
		LIST_FOREACH(&s->ctl, e) {
			struct sip_ctrans *ct = e->data;
			if (ct->unreachable) {
				hit = ct;
				break;
			}
		}
		if (!hit)
			return;
		hit->unreachable = false;
		if (hit->state == CT_CALLING || hit->state == CT_PROCEEDING) {
			log_d("transaction %s failed: %s", hit->branch, strerror(err));
			ct_fail(hit, err);
		}
	}
}

void sip_ctrans_close_all(struct sip *s)
{
	LIST_FOREACH_SAFE(&s->ctl, e, tmp)
		ct_destroy(e->data);
}

/* Transactions still waiting for their final response (not the ones only
 * absorbing retransmissions in Completed). */
unsigned sip_ctrans_pending(const struct sip *s)
{
	unsigned n = 0;
	LIST_FOREACH(&s->ctl, e) {
		const struct sip_ctrans *ct = e->data;
		if (ct->state == CT_CALLING || ct->state == CT_PROCEEDING)
			n++;
	}
	return n;
}

unsigned sip_ctrans_count(const struct sip *s)
{
	return (unsigned)list_count(&s->ctl);
}
