/* echo.c: the built-in echo service (see echo.h): a small UAS with its own
 * stack on 127.0.0.1 that answers every call and sends the caller's RTP
 * packets back.
 *
 * A call: INVITE -> 180, 200 with the SDP answer (or an offer when the
 * INVITE had none) -> ACK (with the answer to our offer) -> RTP echoed ->
 * BYE from the caller, or our BYE when the 2xx is never ACKed or the
 * caller goes silent.  The dialog layer (sip/dialog.h) does matching, CSeq
 * order and the BYE's headers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/codec.h"
#include "echo.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "rtp.h"
#include "sdp.h"
#include "sip/dialog.h"
#include "sip/sip.h"
#include "xmalloc.h"

#define LOG_MOD "echo"

#define MAX_CODECS 16
#define TE_PT 101

static const char allow[] = "INVITE, ACK, BYE, CANCEL, OPTIONS";

struct echo_call {
	struct le le;
	struct sip_dialog *dlg;
	struct sip_strans *st;       /* the INVITE whose 2xx waits for its ACK */
	enum sip_tp tp;              /* the transport the call came in on */
	struct rtp_sock *rtp;
	struct sdp_local local;      /* our last offer or answer */
	bool want_answer;            /* we offered in a 2xx: the ACK answers */
	bool echo;                   /* we may send (our direction sends) */
	uint64_t echoed;
};

static struct {
	struct sip *sip;
	struct list calls;
	uint16_t port;
	struct sdp_codec codecs[MAX_CODECS];
	unsigned ncodecs;
	uint32_t t1_ms, rtp_timeout_ms;
	uint64_t sess_id;
} g;

static void call_end(struct echo_call *c, bool bye, const char *why);

/* PCMU and PCMA first, then every other codec of the registry, with
 * dynamic payload types from 96 (telephone-event keeps 101). */
static void load_codecs(void)
{
	static const char *const first[] = { "PCMU", "PCMA" };
	uint8_t dyn = 96;

	g.ncodecs = 0;
	for (size_t k = 0; k < 2 + codec_count() && g.ncodecs < MAX_CODECS; k++) {
		const struct codec *c = k < 2 ? codec_find(first[k], 8000, 1) : codec_at(k - 2);
		struct sdp_codec *s;
		bool dup = false;

		if (!c)
			continue;
		for (unsigned i = 0; i < g.ncodecs; i++)
			dup = dup || (!strcmp(g.codecs[i].name, c->name) &&
				      g.codecs[i].rate == c->clock_rate);
		if (dup)
			continue;
		if (c->pt < 0 && dyn == TE_PT)
			dyn++;
		if (c->pt < 0 && dyn > 127)
			continue;
		s = &g.codecs[g.ncodecs++];
		s->name = c->name;
		s->rate = c->clock_rate;
		s->channels = (uint8_t)c->channels;
		s->pt = c->pt >= 0 ? (uint8_t)c->pt : dyn++;
		s->fmtp = c->fmtp;
	}
}

/* ------------------------------------------------------------------ */
/* media */

/* The packet goes back as it came, under our SSRC: rtp_sock adds its
 * random timestamp offset, so take it off to keep the caller's. */
static void on_rtp(const struct rtp_pkt *pkt, uint64_t arrival_ms, void *arg)
{
	struct echo_call *c = arg;
	(void)arrival_ms;

	if (!c->echo)
		return;
	if (rtp_sock_send(c->rtp, pkt->hdr.pt, pkt->hdr.marker,
			  pkt->hdr.ts - rtp_sock_ts_offset(c->rtp), pkt->payload,
			  pkt->payload_len) == 0)
		c->echoed++;
}

static void on_rtp_timeout(uint32_t silent_ms, void *arg)
{
	struct echo_call *c = arg;
	char why[48];

	snprintf(why, sizeof(why), "no RTP for %.1f s", silent_ms / 1000.0);
	call_end(c, true, why);
}

/* What was negotiated takes effect: where to send, whether to echo, and
 * whether silence means a dead caller (not while it holds the call). */
static int media_apply(struct echo_call *c, const struct sdp_neg *n)
{
	int err = rtp_sock_set_remote(c->rtp, &n->remote_rtp, &n->remote_rtcp);

	if (err)
		return err;
	rtp_sock_set_clock_rate(c->rtp, n->rate);
	c->echo = sdp_dir_sends(n->dir);
	rtp_sock_set_timeout(c->rtp, sdp_dir_recvs(n->dir) ? g.rtp_timeout_ms : 0);
	return 0;
}

static void local_init(struct echo_call *c)
{
	struct sdp_local *l = &c->local;

	memset(l, 0, sizeof(*l));
	l->user = "echo";
	l->sess_id = g.sess_id;
	l->sess_version = g.sess_id;
	l->addr = *rtp_sock_local(c->rtp);
	l->rtcp_port = sa_port(rtp_sock_local_rtcp(c->rtp));
	l->codecs = g.codecs;
	l->ncodecs = g.ncodecs;
	l->te_pt = TE_PT;
	l->dir = SDP_DIR_SENDRECV;
}

/* Our SDP for a request's body: the answer to its offer, or an offer when
 * it had none (then the ACK brings the answer).  EPROTO: 488. */
static int media_sdp(struct echo_call *c, const struct sip_msg *req, struct buf *sdp)
{
	struct sdp_session *s;
	struct sdp_neg n;
	const char *why;
	int err;

	c->local.sess_version++;
	if (!req->body.l) {
		/* RTP may come before the ACK's answer: echo it to where it
		 * comes from (the socket latches to the first source) */
		c->want_answer = true;
		c->echo = true;
		return sdp_offer(sdp, &c->local);
	}
	s = xmalloc(sizeof(*s));
	err = sdp_parse(s, req->body.p, req->body.l, &why);
	if (err)
		log_i("bad SDP offer: %s", why);
	else
		err = sdp_answer(sdp, &n, s, &c->local);
	free(s);
	if (!err)
		err = media_apply(c, &n);
	c->want_answer = false;
	return err ? EPROTO : 0;
}

/* The answer in an ACK, to the offer of our 2xx. */
static int media_ack_answer(struct echo_call *c, const struct sip_msg *ack)
{
	struct sdp_session *s;
	struct sdp_neg n;
	const char *why;
	int err;

	if (!ack->body.l)
		return EPROTO;
	s = xmalloc(sizeof(*s));
	err = sdp_parse(s, ack->body.p, ack->body.l, &why);
	if (!err)
		err = sdp_process_answer(&n, s, &c->local);
	free(s);
	if (!err)
		err = media_apply(c, &n);
	return err;
}

/* ------------------------------------------------------------------ */
/* calls */

static void call_free(void *arg)
{
	struct echo_call *c = arg;

	sip_dialog_free(c->dlg);
	free(c);
}

static void drop_strans(struct echo_call *c)
{
	if (!c->st)
		return;
	sip_strans_set_handlers(c->st, NULL, NULL, NULL);
	sip_strans_unref(c->st);
	c->st = NULL;
}

static int print_text(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	(void)tp;
	(void)laddr;
	return buf_puts(b, arg);
}

/* BYE, fire and forget: the request owns its text. */
static void send_bye(struct echo_call *c, const char *why)
{
	struct sip_req_params p;
	struct buf b;

	buf_init(&b, SIP_MAX_MSG_SIZE);
	sip_dialog_print(c->dlg, &b, "BYE", ++c->dlg->lseq);
	buf_printf(&b, "Reason: SIP;cause=200;text=\"%s\"\r\nContent-Length: 0\r\n\r\n", why);
	if (b.err) {
		buf_free(&b);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.method = "BYE";
	p.ruri = sip_dialog_ruri(c->dlg);
	p.nexthop = sip_dialog_nexthop(c->dlg);
	if (c->tp != SIP_TP_UDP) {
		p.tp = c->tp;
		p.force_tp = true;
	}
	p.printh = print_text;
	p.arg = b.p;
	p.free_arg = free;
	if (sip_request(NULL, g.sip, &p, NULL, NULL))
		log_i("cannot send BYE to %s", p.ruri);
}

/* Out of the list at once; freed after this dispatch round (a handler of
 * the RTP socket or of the transaction may be what called us). */
static void call_end(struct echo_call *c, bool bye, const char *why)
{
	log_i("echo call %s ended: %s (%llu packets echoed)", c->dlg->callid, why,
	      (unsigned long long)c->echoed);
	if (bye)
		send_bye(c, why);
	list_unlink(&c->le);
	drop_strans(c);
	rtp_sock_close(c->rtp);
	c->rtp = NULL;
	loop_reap(call_free, c);
}

static struct echo_call *find_call(const struct sip_msg *m)
{
	LIST_FOREACH(&g.calls, e) {
		struct echo_call *c = e->data;
		if (sip_dialog_match_req(c->dlg, m))
			return c;
	}
	return NULL;
}

static void on_ack_timeout(struct sip_strans *st, void *arg)
{
	struct echo_call *c = arg;
	(void)st;
	call_end(c, true, "no ACK");
}

static void print_contact(struct buf *b, enum sip_tp tp)
{
	buf_printf(b, "Contact: <sip:echo@127.0.0.1:%u%s>\r\nAllow: %s\r\n", g.port,
		   tp == SIP_TP_TCP ? ";transport=tcp" : "", allow);
}

/* 200 with our SDP; the transaction is kept for its ACK timeout. */
static void answer(struct echo_call *c, struct sip_strans *st, const struct sip_msg *req)
{
	struct buf sdp, hdrs;

	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	buf_init(&hdrs, 1024);
	print_contact(&hdrs, c->tp);
	if (media_sdp(c, req, &sdp) || sdp.err) {
		sip_replyf(st, 488, NULL, "Warning: 305 echo \"no common audio codec\"\r\n");
	} else {
		sip_reply(st, 200, NULL, buf_cstr(&hdrs), "application/sdp",
			  &(struct pl){ sdp.p, sdp.len });
		drop_strans(c);
		c->st = sip_strans_ref(st);
		sip_strans_set_handlers(st, NULL, on_ack_timeout, c);
	}
	buf_free(&sdp);
	buf_free(&hdrs);
}

static void new_call(struct sip_strans *st, const struct sip_msg *req, const struct sip_rx *rx)
{
	struct rtp_sock_cfg rc;
	struct echo_call *c;
	struct buf hdrs;
	int err;

	if (list_count(&g.calls) >= ECHO_MAX_CALLS) {
		sip_reply(st, 486, "Too many echo calls", NULL, NULL, NULL);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->tp = rx->tp;
	rtp_sock_cfg_init(&rc);
	sa_set(&rc.laddr, "127.0.0.1", 0);
	rc.timeout_ms = g.rtp_timeout_ms;
	err = rtp_sock_alloc(&c->rtp, &rc, on_rtp, NULL, on_rtp_timeout, c);
	if (!err)
		err = sip_dialog_uas(&c->dlg, req, sip_strans_tag(st));
	if (err) {
		log_w("cannot take a call: %s", strerror(err));
		sip_reply(st, 500, NULL, NULL, NULL, NULL);
		rtp_sock_close(c->rtp);
		sip_dialog_free(c->dlg);
		free(c);
		return;
	}
	list_append(&g.calls, &c->le, c);
	local_init(c);
	buf_init(&hdrs, 1024);
	print_contact(&hdrs, c->tp);
	sip_reply(st, 180, NULL, buf_cstr(&hdrs), NULL, NULL);
	buf_free(&hdrs);
	answer(c, st, req);
	if (!c->st) {
		/* 488: no call after all */
		list_unlink(&c->le);
		rtp_sock_close(c->rtp);
		call_free(c);
		return;
	}
	log_i("echo call %s from %.*s", c->dlg->callid, PL_ARG(req->from.auri));
}

static void on_ack(const struct sip_msg *ack)
{
	struct echo_call *c = find_call(ack);

	/* a repeated ACK of an earlier INVITE is not the one we wait for */
	if (!c || !c->st || sip_strans_req(c->st)->cseq.num != ack->cseq.num)
		return;
	drop_strans(c);
	if (c->want_answer) {
		c->want_answer = false;
		if (media_ack_answer(c, ack))
			call_end(c, true, "no SDP answer in the ACK");
	}
}

/* In a dialog: BYE, re-INVITE, OPTIONS; the rest 405. */
static void in_dialog(struct sip_strans *st, const struct sip_msg *req)
{
	struct echo_call *c = find_call(req);

	if (!c) {
		sip_reply(st, 481, NULL, NULL, NULL, NULL);
		return;
	}
	if (sip_dialog_check_cseq(c->dlg, req)) {
		sip_reply(st, 500, "CSeq out of order", NULL, NULL, NULL);
		return;
	}
	switch (req->mid) {
	case SIP_M_BYE:
		sip_reply(st, 200, NULL, NULL, NULL, NULL);
		call_end(c, false, "BYE");
		return;
	case SIP_M_INVITE:
		if (c->want_answer) {
			/* our offer still waits for its answer (RFC 3261 14.2) */
			sip_replyf(st, 491, NULL, "Retry-After: 1\r\n");
			return;
		}
		sip_dialog_update_target(c->dlg, req);
		answer(c, st, req);
		return;
	case SIP_M_OPTIONS:
		sip_replyf(st, 200, NULL, "Allow: %s\r\nAccept: application/sdp\r\n", allow);
		return;
	default:
		sip_replyf(st, 405, NULL, "Allow: %s\r\n", allow);
		return;
	}
}

/* We support no extension: 420 naming every one a request requires. */
static void unsupported(struct sip_strans *st, const struct sip_msg *req)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_puts(&b, "Unsupported: ");
	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_H_REQUIRE); h;
	     h = sip_msg_hdr_next(req, h)) {
		if (b.len > 13)
			buf_puts(&b, ", ");
		buf_putpl(&b, &h->val);
	}
	buf_puts(&b, "\r\n");
	sip_reply(st, 420, NULL, b.err ? NULL : buf_cstr(&b), NULL, NULL);
	buf_free(&b);
}

static bool on_request(struct sip *s, struct sip_strans *st, const struct sip_msg *req,
		       const struct sip_rx *rx, void *arg)
{
	const char *why;
	(void)s;
	(void)arg;

	if (!st) {
		on_ack(req);
		return true;
	}
	if (!sip_msg_version_ok(req)) {
		sip_reply(st, 505, NULL, NULL, NULL, NULL);
		return true;
	}
	if (req->mid == SIP_M_OTHER) {
		sip_replyf(st, 501, NULL, "Allow: %s\r\n", allow);
		return true;
	}
	if (sip_msg_check(req, &why)) {
		sip_reply(st, 400, why, NULL, NULL, NULL);
		return true;
	}
	if (req->mid != SIP_M_CANCEL && sip_msg_hdr(req, SIP_H_REQUIRE)) {
		unsupported(st, req);
		return true;
	}
	if (req->body.l && req->mid == SIP_M_INVITE &&
	    !pl_caseeq_str(&req->ctype, "application/sdp")) {
		sip_replyf(st, 415, NULL, "Accept: application/sdp\r\n");
		return true;
	}
	if (req->to.tag.l) {
		in_dialog(st, req);
		return true;
	}
	switch (req->mid) {
	case SIP_M_INVITE:
		new_call(st, req, rx);
		return true;
	case SIP_M_OPTIONS:
		sip_replyf(st, 200, NULL, "Allow: %s\r\nAccept: application/sdp\r\n", allow);
		return true;
	case SIP_M_BYE:
		sip_reply(st, 481, NULL, NULL, NULL, NULL);
		return true;
	default:
		sip_replyf(st, 405, NULL, "Allow: %s\r\n", allow);
		return true;
	}
}

/* ------------------------------------------------------------------ */

static int start(void)
{
	struct sip_cfg cfg;
	char tok[13];
	int err;

	sip_cfg_default(&cfg);
	cfg.user_agent = "sipterm-echo";
	if (g.t1_ms)
		cfg.t1 = g.t1_ms;
	sa_set(&cfg.tp.listen[0], "127.0.0.1", 0);
	cfg.tp.nlisten = 1;
	cfg.tp.next_free = false;
	cfg.tp.tp_mask = SIP_TP_MASK(SIP_TP_UDP) | SIP_TP_MASK(SIP_TP_TCP);
	err = sip_alloc(&g.sip, &cfg);
	if (err) {
		log_w("echo service: cannot open its sockets: %s", strerror(err));
		g.sip = NULL;
		return err;
	}
	sip_set_handlers(g.sip, on_request, NULL, NULL);
	g.port = sip_tp_port(sip_transport(g.sip), SIP_TP_UDP, AF_INET);
	list_init(&g.calls);
	load_codecs();
	if (!g.rtp_timeout_ms)
		g.rtp_timeout_ms = ECHO_RTP_TIMEOUT_MS;
	sip_rand_token(tok, 12);
	g.sess_id = 0;
	for (int i = 0; i < 12; i++)
		g.sess_id = g.sess_id * 10 + (uint64_t)(tok[i] % 10);
	log_i("echo service on sip:echo@127.0.0.1:%u (UDP and TCP)", g.port);
	return 0;
}

int echo_service_uri(char *buf, size_t size)
{
	int n;

	if (!g.sip) {
		int err = start();
		if (err)
			return err;
	}
	n = snprintf(buf, size, "sip:echo@127.0.0.1:%u", g.port);
	return n < 0 || (size_t)n >= size ? ENOSPC : 0;
}

void echo_service_stop(void)
{
	if (!g.sip)
		return;
	LIST_FOREACH_SAFE(&g.calls, e, tmp)
		call_end(e->data, false, "the service stops");
	sip_free(g.sip);
	g.sip = NULL;
	g.port = 0;
}

unsigned echo_service_calls(void)
{
	return g.sip ? (unsigned)list_count(&g.calls) : 0;
}

void echo_service_set_timers(uint32_t t1_ms, uint32_t rtp_timeout_ms)
{
	g.t1_ms = t1_ms;
	g.rtp_timeout_ms = rtp_timeout_ms;
}
