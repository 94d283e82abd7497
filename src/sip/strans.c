/* sip/strans.c: server transactions (RFC 3261 17.2, RFC 6026).
 *
 * INVITE: Proceeding (100 sent at once) -> 2xx: Accepted (the 2xx is
 * retransmitted over UDP until its ACK, Timer L ends the wait) -> or
 * 300-699: Completed (Timer G retransmits, H gives up) -> ACK: Confirmed
 * (Timer I) -> Terminated.
 * Non-INVITE: Trying -> Proceeding -> Completed (Timer J) -> Terminated.
 * Matching by branch, sent-by and method (ACK as INVITE), or by the
 * RFC 2543 fields when the branch lacks the magic cookie (17.2.3). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "sip/sip-int.h"
#include "xmalloc.h"

#define LOG_MOD "txn"

enum st_state {
	ST_TRYING,
	ST_PROCEEDING,
	ST_COMPLETED,
	ST_CONFIRMED,
	ST_ACCEPTED,
	ST_TERMINATED,
};

struct sip_strans {
	struct le le, hle;
	struct sip *s;
	char *key;
	uint32_t khash;
	bool invite;
	enum st_state state;
	unsigned refs;
	struct sip_msg *req;
	struct sip_rx rx;
	struct sa dst;
	char tag[24];
	struct buf resp;
	uint16_t code;
	bool acked;              /* Accepted: the 2xx was ACKed */
	struct tmr tretx, tend;
	uint32_t interval;
	sip_cancel_h *cancelh;
	sip_ackto_h *ackto;
	void *harg;
};

/* Key of a request for matching; method is the one to match as. */
static char *make_key(const struct sip_msg *m, const char *method)
{
	const struct sip_via *v = m->via;
	struct buf b;

	buf_init(&b, 0);
	if (v->branch.l > 7 && pl_prefix_case(&v->branch, SIP_MAGIC_COOKIE)) {
		buf_putpl(&b, &v->branch);
		buf_putc(&b, '|');
		buf_putpl(&b, &v->host);
		buf_printf(&b, ":%u|%s", v->port, method);
	} else {
		/* RFC 2543: Request-URI, From tag, Call-ID, CSeq, top Via (the
		 * To tag is checked separately: an ACK carries ours) */
		buf_puts(&b, "2543|");
		buf_putpl(&b, &m->ruri_text);
		buf_putc(&b, '|');
		buf_putpl(&b, &m->from.tag);
		buf_putc(&b, '|');
		buf_putpl(&b, &m->callid);
		buf_printf(&b, "|%u|", m->cseq.num);
		buf_putpl(&b, &v->val);
		buf_printf(&b, "|%s", method);
	}
	return b.p;
}

static const char *match_method(const struct sip_msg *m)
{
	static char buf[64];
	if (m->mid == SIP_M_ACK)
		return "INVITE";
	pl_strcpy(&m->method, buf, sizeof(buf));
	return buf;
}

static struct sip_strans *find(struct sip *s, const char *key)
{
	uint32_t h = hash_str(key);
	LIST_FOREACH(hash_bucket(&s->st, h), e) {
		struct sip_strans *st = e->data;
		if (st->khash == h && !strcmp(st->key, key))
			return st;
	}
	return NULL;
}

static void st_destroy(struct sip_strans *st)
{
	tmr_cancel(&st->tretx);
	tmr_cancel(&st->tend);
	list_unlink(&st->le);
	list_unlink(&st->hle);
	sip_msg_free(st->req);
	sip_conn_unref(st->rx.conn);
	buf_free(&st->resp);
	free(st->key);
	free(st);
}

struct sip_strans *sip_strans_ref(struct sip_strans *st)
{
	if (st)
		st->refs++;
	return st;
}

void sip_strans_unref(struct sip_strans *st)
{
	if (st && --st->refs == 0)
		st_destroy(st);
}

static void st_reap(void *arg)
{
	sip_strans_unref(arg);
}

static void st_terminate(struct sip_strans *st)
{
	if (st->state == ST_TERMINATED)
		return;
	st->state = ST_TERMINATED;
	tmr_cancel(&st->tretx);
	tmr_cancel(&st->tend);
	list_unlink(&st->hle);
	list_unlink(&st->le);
	loop_reap(st_reap, st); /* the table's reference */
}

static void st_send(struct sip_strans *st)
{
	int err = sip_send_response(st->s, &st->rx, &st->dst, st->resp.p, st->resp.len);
	if (err)
		log_d("response %u not sent: %s", st->code, strerror(err));
}

static void timer_end(void *arg)
{
	struct sip_strans *st = arg;

	if (st->state == ST_ACCEPTED && !st->acked) {
		/* Timer L: the 2xx was never ACKed */
		sip_ackto_h *h = st->ackto;
		log_i("no ACK for the 2xx to INVITE %.*s", PL_ARG(st->req->callid));
		st->ackto = NULL;
		sip_strans_ref(st);
		st_terminate(st);
		if (h)
			h(st, st->harg);
		sip_strans_unref(st);
		return;
	}
	st_terminate(st);                               /* Timer H, I, J */
}

static void timer_retx(void *arg)
{
	struct sip_strans *st = arg;
	uint32_t t2 = st->s->cfg.t2;

	st_send(st);                                    /* Timer G, or 2xx */
	st->interval = st->interval * 2 < t2 ? st->interval * 2 : t2;
	tmr_start(&st->tretx, st->interval, timer_retx, st);
}

int sip_strans_new(struct sip_strans **stp, struct sip *s, const struct sip_msg *req,
		   const struct sip_rx *rx)
{
	struct sip_strans *st = xcalloc(1, sizeof(*st));

	st->s = s;
	st->key = make_key(req, match_method(req));
	st->khash = hash_str(st->key);
	st->invite = req->mid == SIP_M_INVITE;
	st->state = st->invite ? ST_PROCEEDING : ST_TRYING;
	st->refs = 1;
	st->req = sip_msg_ref((struct sip_msg *)req);
	st->rx = *rx;
	sip_conn_ref(st->rx.conn);
	sip_reply_dest(req, rx, &st->dst);
	sip_rand_token(st->tag, 10);
	buf_init(&st->resp, SIP_MAX_MSG_SIZE);
	tmr_init(&st->tretx);
	tmr_init(&st->tend);
	list_append(&s->stl, &st->le, st);
	hash_add(&s->st, st->khash, &st->hle, st);
	*stp = st;
	if (st->invite)
		sip_reply(st, 100, NULL, NULL, NULL, NULL);
	return 0;
}

/* A retransmission, or an ACK/CANCEL belonging to a transaction?  true
 * when it was absorbed here. */
bool sip_strans_recv(struct sip *s, const struct sip_msg *req, const struct sip_rx *rx)
{
	char *key;
	struct sip_strans *st;
	(void)rx;

	key = make_key(req, match_method(req));
	st = find(s, key);
	free(key);
	if (!st)
		return false;
	if (req->mid == SIP_M_ACK) {
		/* RFC 2543 matching: the ACK's To tag must be ours */
		if (!pl_prefix_case(&req->via->branch, SIP_MAGIC_COOKIE) &&
		    !pl_eq_str(&req->to.tag, st->tag))
			return false;
		if (st->state == ST_COMPLETED) {
			st->state = ST_CONFIRMED;
			tmr_cancel(&st->tretx);
			tmr_start(&st->tend,
				  sip_tp_reliable(st->rx.tp) ? 0 : st->s->cfg.t4, timer_end, st);
			return true;
		}
		return st->state == ST_CONFIRMED;
	}
	switch (st->state) {
	case ST_PROCEEDING:
	case ST_COMPLETED:
		if (st->resp.len)
			st_send(st);
		break;
	default:
		break;
	}
	return true;
}

/* An ACK for a 2xx (its own branch): stop retransmitting that 2xx.  The
 * ACK itself goes on to the dialog; the transaction stays Accepted until
 * Timer L to absorb late copies of the INVITE (RFC 6026 7.1). */
static void ack_2xx(struct sip *s, const struct sip_msg *ack)
{
	LIST_FOREACH(&s->stl, e) {
		struct sip_strans *st = e->data;
		if (st->state != ST_ACCEPTED || st->req->cseq.num != ack->cseq.num ||
		    !pl_eq(&st->req->callid, &ack->callid) ||
		    !pl_eq(&st->req->from.tag, &ack->from.tag))
			continue;
		tmr_cancel(&st->tretx);
		st->acked = true;
		return;
	}
}

/* The INVITE transaction a CANCEL is for (same key but the method). */
static struct sip_strans *invite_for_cancel(struct sip *s, const struct sip_msg *cancel)
{
	char *key = make_key(cancel, "INVITE");
	struct sip_strans *st = find(s, key);
	free(key);
	return st;
}

/* RFC 3261 8.2.2.2: a request without To tag that matches an ongoing
 * transaction by From tag, Call-ID and CSeq but not by branch arrived by
 * another path (a fork): answer 482. */
bool sip_strans_merged(struct sip *s, const struct sip_msg *req)
{
	bool merged = false;
	char *key;

	if (req->to.tag.l || !req->from.tag.l)
		return false;
	/* the request's own transaction (17.2.3 match) is no merge */
	key = make_key(req, match_method(req));
	LIST_FOREACH(&s->stl, e) {
		struct sip_strans *st = e->data;
		const struct sip_msg *o = st->req;
		if (o->cseq.num == req->cseq.num && pl_eq(&o->cseq.method, &req->cseq.method) &&
		    pl_eq(&o->callid, &req->callid) && pl_eq(&o->from.tag, &req->from.tag) &&
		    strcmp(st->key, key)) {
			merged = true;
			break;
		}
	}
	free(key);
	return merged;
}

/* Handle ACK-for-2xx and CANCEL before the request reaches its user.
 * Returns true when done here. */
bool sip_strans_special(struct sip *s, const struct sip_msg *req, const struct sip_rx *rx)
{
	if (req->mid == SIP_M_ACK) {
		ack_2xx(s, req);
		return false;
	}
	if (req->mid == SIP_M_CANCEL) {
		struct sip_strans *inv = invite_for_cancel(s, req), *st;
		sip_strans_new(&st, s, req, rx);
		if (!inv) {
			sip_reply(st, 481, NULL, NULL, NULL, NULL);
			return true;
		}
		/* the 200 carries the To tag of the INVITE's responses */
		sip_strans_set_tag(st, inv->tag);
		sip_reply(st, 200, NULL, NULL, NULL, NULL);
		if (inv->state == ST_PROCEEDING && inv->cancelh) {
			sip_cancel_h *h = inv->cancelh;
			sip_strans_ref(inv);
			h(inv, inv->harg);
			sip_strans_unref(inv);
		}
		return true;
	}
	return false;
}

int sip_reply(struct sip_strans *st, uint16_t code, const char *reason, const char *hdrs,
	      const char *ctype, const struct pl *body)
{
	struct sip *s = st->s;
	int err;

	if (st->state != ST_TRYING && st->state != ST_PROCEEDING)
		return EALREADY; /* a final response was sent already */
	if (code < 100 || code > 699)
		return EINVAL;
	buf_reset(&st->resp);
	err = sip_reply_build(&st->resp, s, st->req, &st->rx, code, reason,
			      code > 100 ? st->tag : NULL, hdrs, ctype, body);
	if (err)
		return err;
	st->code = code;
	st_send(st);
	if (code < 200) {
		st->state = ST_PROCEEDING;
		return 0;
	}
	if (st->invite && code < 300) {
		st->state = ST_ACCEPTED;
		st->interval = s->cfg.t1;
		if (!sip_tp_reliable(st->rx.tp))
			tmr_start(&st->tretx, st->interval, timer_retx, st);
		tmr_start(&st->tend, 64 * (uint64_t)s->cfg.t1, timer_end, st);
		return 0;
	}
	st->state = ST_COMPLETED;
	if (st->invite) {
		st->interval = s->cfg.t1;
		if (!sip_tp_reliable(st->rx.tp))
			tmr_start(&st->tretx, st->interval, timer_retx, st);
		tmr_start(&st->tend, 64 * (uint64_t)s->cfg.t1, timer_end, st);
	} else {
		tmr_start(&st->tend, sip_tp_reliable(st->rx.tp) ? 0 : 64 * (uint64_t)s->cfg.t1,
			  timer_end, st);
	}
	return 0;
}

int sip_replyf(struct sip_strans *st, uint16_t code, const char *reason, const char *fmt, ...)
{
	char *hdrs = NULL;
	va_list ap;
	int err;

	if (fmt) {
		va_start(ap, fmt);
		xvasprintf(&hdrs, fmt, ap);
		va_end(ap);
	}
	err = sip_reply(st, code, reason, hdrs, NULL, NULL);
	free(hdrs);
	return err;
}

const char *sip_strans_tag(const struct sip_strans *st)
{
	return st->tag;
}

/* Use a given To tag (the dialog's) for the responses still to come. */
void sip_strans_set_tag(struct sip_strans *st, const char *tag)
{
	snprintf(st->tag, sizeof(st->tag), "%s", tag);
}

const struct sip_msg *sip_strans_req(const struct sip_strans *st)
{
	return st->req;
}

const struct sip_rx *sip_strans_rx(const struct sip_strans *st)
{
	return &st->rx;
}

void sip_strans_set_handlers(struct sip_strans *st, sip_cancel_h *cancelh, sip_ackto_h *ackto,
			     void *arg)
{
	st->cancelh = cancelh;
	st->ackto = ackto;
	st->harg = arg;
}

bool sip_strans_final_sent(const struct sip_strans *st)
{
	return st->state != ST_TRYING && st->state != ST_PROCEEDING;
}

void sip_strans_close_all(struct sip *s)
{
	LIST_FOREACH_SAFE(&s->stl, e, tmp) {
		struct sip_strans *st = e->data;
		tmr_cancel(&st->tretx);
		tmr_cancel(&st->tend);
		list_unlink(&st->le);
		list_unlink(&st->hle);
		st->state = ST_TERMINATED;
		sip_strans_unref(st);
	}
}

unsigned sip_strans_count(const struct sip *s)
{
	return (unsigned)list_count(&s->stl);
}
