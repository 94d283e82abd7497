/* call.c: INVITE sessions.
 *
 * Outgoing: INVITE with an SDP offer -> 1xx (early dialog; 183 with SDP is
 * early media, 180 plays local ringback) -> 2xx (dialog confirmed, ACK,
 * media) or a failure surfaced with its status.  401/407 are answered
 * with credentials, 3xx followed when the policy says so, 422 retried.
 * Incoming: 180 at once, auto-answer after a delay if asked, 200 with the
 * SDP answer (or an offer when the INVITE had none), then the ACK; a 2xx
 * never ACKed ends the call.  In a dialog: BYE, re-INVITE and UPDATE with
 * offer/answer (hold and resume both ways), 491 on glare with the
 * RFC 3261 14.1 retry timer, INFO DTMF, session timers (RFC 4028) and an
 * RTP inactivity limit to find dead peers. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audio/tone.h"
#include "call.h"
#include "event.h"
#include "log.h"
#include "loop.h"
#include "sip/auth.h"
#include "sip/dialog.h"
#include "sip/sip.h"
#include "ua.h"
#include "xmalloc.h"

#define LOG_MOD "call"

#define MAX_AUTH_ROUNDS 3
#define MIN_SE 90          /* RFC 4028: the shortest session interval */
#define MAX_REDIRECTS 3
#define MAX_TARGETS 8      /* Contacts of a 3xx kept to try */
#define CANCEL_GUARD_MS 32000
#define WAITING_EVERY_MS 10000 /* the call waiting tone again */
#define BUSY_TONE_MS 3000      /* how long a busy callee is heard */

struct call {
	struct le le;
	unsigned id;
	struct account *acc;
	enum call_state state;
	bool outgoing;
	char *peer;                /* the other party's URI, for display */
	char *target;              /* what we dialled (Request-URI) */
	char callid[40];
	char ltag[16];
	uint32_t cseq;
	unsigned auth_rounds, redirects;
	char *targets[MAX_TARGETS]; /* a 3xx's Contacts still to try, best q first */
	unsigned ntargets;
	struct sip_request *inv;   /* our INVITE in progress */
	struct sip_strans *st;     /* their INVITE, until answered or ended */
	struct sip_dialog *dlg;
	struct media *media;
	bool media_started;
	bool answer_done;          /* SDP answer processed (183 or 2xx) */
	bool delayed_offer;        /* their INVITE had no SDP: answer in ACK */
	bool canceling;
	/* re-INVITE */
	struct sip_request *reinv;
	struct sip_request *upd;   /* our session refresh by UPDATE */
	bool peer_update;          /* the peer's Allow has UPDATE (RFC 3311) */
	bool reoffer_acked;        /* our offer went in a 2xx: answer in the ACK */
	bool local_hold, remote_hold;
	bool muted;                /* the microphone is off (call_mute) */
	bool want_hold;
	uint32_t reinv_cseq;
	/* timers */
	struct tmr t_answer, t_glare, t_guard, t_maxdur, t_session;
	struct tmr t_tone;         /* call waiting repeats; the busy tone's end */
	uint32_t se;               /* session interval (s), 0 = none */
	uint32_t se_asked, min_se; /* what our INVITE asks; a 422's Min-SE */
	bool se_refresher;         /* we refresh */
	uint64_t t_created, t_established;
	char info_q[64];           /* DTMF digits still to send by INFO */
	size_t info_n;
	struct sip_request *info;  /* the INFO in flight */
	uint64_t last_stats_ev;
	uint64_t stats_sent, stats_received; /* in the last call-stats */
	enum sip_tp tp;
	struct sa laddr;
};

static struct {
	struct ua *ua;
	struct media_cfg mcfg;
	struct call_policy pol;
	struct list calls;
	unsigned next_id;
	bool inited;
} g;

static void call_end(struct call *c, uint16_t status, const char *reason, const char *by);
static void zombie_timeout(void *arg);
static int send_invite(struct call *c);
static void redirect_targets(struct call *c, const struct sip_msg *resp);
static bool next_target(struct call *c, const char *why);
static int send_reinvite(struct call *c);

void call_policy_default(struct call_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->answer_after = -1;
	p->reject_code = 486;
	p->follow_redirects = true;
	p->session_expires = 1800;
}

const char *call_state_name(enum call_state s)
{
	static const char *const n[] = { "calling", "ringing", "incoming", "answering",
					 "established", "ended" };
	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

/* ------------------------------------------------------------------ */
/* bookkeeping */

static struct call *call_new(struct account *acc, bool outgoing)
{
	struct call *c = xcalloc(1, sizeof(*c));
	c->id = ++g.next_id;
	c->acc = acc;
	c->outgoing = outgoing;
	c->se_asked = g.pol.session_expires;
	c->t_created = tmr_now();
	tmr_init(&c->t_answer);
	tmr_init(&c->t_glare);
	tmr_init(&c->t_guard);
	tmr_init(&c->t_maxdur);
	tmr_init(&c->t_session);
	tmr_init(&c->t_tone);
	list_append(&g.calls, &c->le, c);
	return c;
}

static void call_destroy(struct call *c)
{
	tmr_cancel(&c->t_answer);
	tmr_cancel(&c->t_glare);
	tmr_cancel(&c->t_guard);
	tmr_cancel(&c->t_maxdur);
	tmr_cancel(&c->t_session);
	tmr_cancel(&c->t_tone);
	sip_request_abandon(c->inv);
	sip_request_abandon(c->reinv);
	sip_request_abandon(c->upd);
	sip_request_abandon(c->info);
	if (c->st) {
		sip_strans_set_handlers(c->st, NULL, NULL, NULL);
		sip_strans_unref(c->st);
	}
	sip_dialog_free(c->dlg);
	media_free(c->media);
	list_unlink(&c->le);
	free(c->peer);
	free(c->target);
	for (unsigned i = 0; i < c->ntargets; i++)
		free(c->targets[i]);
	free(c);
}

static void call_reap(void *arg)
{
	call_destroy(arg);
}

struct call *call_find(unsigned id)
{
	LIST_FOREACH(&g.calls, e) {
		struct call *c = e->data;
		if (c->id == id && c->state != CALL_ENDED)
			return c;
	}
	return NULL;
}

/* The call commands act on without an id: the newest live one. */
struct call *call_current(void)
{
	for (struct le *e = g.calls.tail; e; e = e->prev) {
		struct call *c = e->data;
		if (c->state != CALL_ENDED)
			return c;
	}
	return NULL;
}

struct list *call_list(void)
{
	return &g.calls;
}

unsigned call_count(void)
{
	unsigned n = 0;
	LIST_FOREACH(&g.calls, e) {
		struct call *c = e->data;
		if (c->state != CALL_ENDED)
			n++;
	}
	return n;
}

unsigned call_id(const struct call *c)
{
	return c->id;
}

/* The SIP Call-ID (for the trace's ladder view). */
const char *call_callid(const struct call *c)
{
	if (c->dlg)
		return c->dlg->callid;
	if (c->outgoing)
		return c->callid;
	return "";
}

enum call_state call_state(const struct call *c)
{
	return c->state;
}

const char *call_peer(const struct call *c)
{
	return c->peer ? c->peer : "";
}

bool call_on_hold(const struct call *c)
{
	return c->local_hold || c->remote_hold;
}

bool call_incoming(const struct call *c)
{
	return !c->outgoing;
}

uint32_t call_duration(const struct call *c)
{
	return c->t_established ? (uint32_t)((tmr_now() - c->t_established) / 1000) : 0;
}

void call_stats(const struct call *c, struct media_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->rtt_ms = -1;
	if (c->media)
		media_get_stats(c->media, st);
}

/* ------------------------------------------------------------------ */
/* events */

static struct ev *call_ev(const char *name, const struct call *c)
{
	struct ev *e = ev_new(name);
	ev_int(e, "call", c->id);
	return e;
}

/* call-stats; at the end only when it says something new (an RTCP BYE
 * may just have reported the same figures) and media was negotiated. */
static void emit_stats(struct call *c, bool final)
{
	struct media_stats s;
	struct ev *e;

	if (!c->media || !c->media_started)
		return;
	media_get_stats(c->media, &s);
	if (final && ((c->last_stats_ev && s.sent == c->stats_sent &&
		       s.received == c->stats_received) ||
		      (!s.codec[0] && !s.sent && !s.received)))
		return;
	c->last_stats_ev = tmr_now();
	c->stats_sent = s.sent;
	c->stats_received = s.received;
	e = call_ev("call-stats", c);
	ev_str(e, "codec", s.codec);
	ev_int(e, "rate", s.rate);
	ev_int(e, "sent", (long long)s.sent);
	ev_int(e, "received", (long long)s.received);
	ev_int(e, "lost", (long long)s.lost);
	ev_num(e, "loss_pct", s.loss_pct);
	ev_num(e, "jitter_ms", s.jitter_ms);
	ev_num(e, "rtt_ms", s.rtt_ms);
	ev_int(e, "jb_delay_ms", s.jb_delay_ms);
	ev_int(e, "late", (long long)s.late);
	ev_int(e, "dup", (long long)s.dup);
	ev_int(e, "concealed", (long long)s.concealed);
	ev_int(e, "underruns", (long long)s.underruns);
	ev_int(e, "overruns", (long long)s.overruns);
	ev_emit(e);
}

static void media_dtmf_cb(void *arg, char digit, uint32_t ms)
{
	struct call *c = arg;
	char d[2] = { digit, 0 };
	struct ev *e = call_ev("dtmf", c);
	ev_str(e, "digit", d);
	ev_str(e, "method", "rfc4733");
	ev_int(e, "duration_ms", ms);
	ev_emit(e);
}

static void media_dead_cb(void *arg, const char *why)
{
	struct call *c = arg;
	log_i("call %u: %s; hanging up", c->id, why);
	call_hangup(c, 0, why);
	if (c->state != CALL_ENDED)
		call_end(c, 408, why, "error");
}

static void media_stats_cb(void *arg)
{
	struct call *c = arg;
	/* an RTCP report came; tell scripts at most every 10 s */
	if (c->state != CALL_ENDED && tmr_now() - c->last_stats_ev >= 10000)
		emit_stats(c, false);
}

/* RTP binds where SIP listens when that is one address (127.0.0.1 in
 * tests, a chosen interface), else to any address of the family. */
static void media_bind_addr(struct sa *bind, int af)
{
	struct sip_transport *tp = sip_transport(ua_sip(g.ua));
	if (sip_tp_listen_addr(tp, af, bind) || sa_is_any(bind))
		sa_init(bind, af);
	sa_set_port(bind, 0);
}

static void media_audio_error_cb(void *arg, const char *msg)
{
	struct call *c = arg;
	struct ev *e = call_ev("audio-error", c);
	ev_str(e, "message", msg);
	ev_emit(e);
}

static int media_new(struct call *c, const struct sa *bind)
{
	struct media_handlers h = { media_dtmf_cb, media_dead_cb, media_stats_cb,
				    media_audio_error_cb, c };
	int err = media_alloc(&c->media, &g.mcfg, c->acc ? c->acc->codecs : NULL, bind, c->peer,
			      &h);

	if (!err && c->muted)
		media_mute(c->media, true);
	return err;
}

/* ------------------------------------------------------------------ */
/* the end */

static void start_media(struct call *c);

static void busy_done(void *arg)
{
	struct call *c = arg;

	media_stop(c->media);
	loop_reap(call_reap, c);
}

static void call_end(struct call *c, uint16_t status, const char *reason, const char *by)
{
	struct ev *e;

	if (c->state == CALL_ENDED)
		return;
	emit_stats(c, true);
	c->state = CALL_ENDED;
	e = call_ev("call-ended", c);
	ev_int(e, "status", status);
	ev_str(e, "reason", reason ? reason : "");
	ev_str(e, "by", by);
	ev_int(e, "duration", call_duration(c));
	ev_str(e, "direction", c->outgoing ? "out" : "in");
	ev_str(e, "peer", call_peer(c));
	ev_bool(e, "answered", c->t_established != 0);
	ev_emit(e);
	tmr_cancel(&c->t_tone);
	/* an INVITE still waiting for its CANCEL to take effect keeps the
	 * call (ended, out of every list the user sees) until its final
	 * response, so that a late 2xx still gets its ACK and BYE; a busy
	 * callee is heard for a while (with local tones) */
	if (c->inv && c->canceling) {
		if (c->media)
			media_stop(c->media);
		tmr_start(&c->t_guard, CANCEL_GUARD_MS, zombie_timeout, c);
	} else if (c->outgoing && (status == 486 || status == 600) && c->media &&
		   media_tones(c->media)) {
		media_hush(c->media, true);
		media_tone(c->media, TONE_BUSY, 0, true);
		start_media(c);
		tmr_start(&c->t_tone, BUSY_TONE_MS, busy_done, c);
	} else {
		if (c->media)
			media_stop(c->media);
		loop_reap(call_reap, c);
	}
	/* keep the object out of lookups from now on */
	tmr_cancel(&c->t_answer);
	tmr_cancel(&c->t_glare);
	tmr_cancel(&c->t_maxdur);
	tmr_cancel(&c->t_session);
}

/* ------------------------------------------------------------------ */
/* building requests */

static const char *display(const struct account *a)
{
	return a && a->display ? a->display : NULL;
}

static void print_contact(struct call *c, struct buf *b, enum sip_tp tp, const struct sa *laddr)
{
	buf_puts(b, "Contact: ");
	ua_contact(g.ua, c->acc, b, tp, laddr);
	buf_puts(b, "\r\n");
}

static void print_common(struct buf *b)
{
	const char *ua_str = sip_config(ua_sip(g.ua))->user_agent;
	buf_printf(b, "Allow: %s\r\nSupported: %s\r\n", ua_allow(), ua_supported());
	if (ua_str)
		buf_printf(b, "User-Agent: %s\r\n", ua_str);
}

static void print_body(struct buf *b, const struct buf *sdp)
{
	if (sdp && sdp->len) {
		buf_printf(b, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n", sdp->len);
		buf_append(b, sdp->p, sdp->len);
	} else {
		buf_puts(b, "Content-Length: 0\r\n\r\n");
	}
}

static enum media_dir wanted_dir(const struct call *c)
{
	if (c->want_hold)
		return c->remote_hold ? MEDIA_INACTIVE : MEDIA_SENDONLY;
	return MEDIA_SENDRECV;
}

static int print_invite(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	struct call *c = arg;
	struct account *a = c->acc;
	struct buf sdp;
	size_t before;
	int err;

	c->tp = tp;
	c->laddr = *laddr;
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	err = media_offer(c->media, &sdp, laddr, wanted_dir(c));
	if (err) {
		buf_free(&sdp);
		return err;
	}
	buf_printf(b, "To: <%s>\r\n", c->target);
	if (a) {
		if (display(a))
			buf_printf(b, "From: \"%s\" <%s>;tag=%s\r\n", display(a), a->aor, c->ltag);
		else
			buf_printf(b, "From: <%s>;tag=%s\r\n", a->aor, c->ltag);
	} else {
		buf_puts(b, "From: <sip:sipterm@");
		sip_print_sentby(b, laddr);
		buf_printf(b, ">;tag=%s\r\n", c->ltag);
	}
	buf_printf(b, "Call-ID: %s\r\nCSeq: %u INVITE\r\nMax-Forwards: 70\r\n", c->callid, c->cseq);
	if (a && a->outbound_proxy)
		buf_printf(b, "Route: <%s;lr>\r\n", a->outbound_proxy);
	print_contact(c, b, tp, laddr);
	print_common(b);
	if (c->se_asked)
		buf_printf(b, "Session-Expires: %u\r\n", c->se_asked);
	if (c->min_se)
		buf_printf(b, "Min-SE: %u\r\n", c->min_se); /* RFC 4028 7.2 */
	if (a) {
		before = b->len;
		sip_auth_apply(a->auth, b, "INVITE", c->target, NULL);
		(void)before;
	}
	print_body(b, &sdp);
	buf_free(&sdp);
	return b->err;
}

/* A request in the call's dialog: Contact for target refreshes, the
 * common headers, then the shared dialog sender. */
static int dlg_send(struct call *c, struct sip_request **rp, const char *method, uint32_t cseq,
		    const char *extra, const char *ctype, const char *body, bool offer,
		    sip_resp_h *h)
{
	struct buf hdrs, sdp;
	struct pl b = PL_NULL;
	bool ack = !strcmp(method, "ACK");
	int err;

	buf_init(&hdrs, SIP_MAX_MSG_SIZE);
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	if (!strcmp(method, "INVITE") || !strcmp(method, "UPDATE"))
		print_contact(c, &hdrs, c->tp, &c->laddr);
	if (!ack)
		print_common(&hdrs);
	if (extra)
		buf_puts(&hdrs, extra);
	if (offer) {
		media_offer(c->media, &sdp, &c->laddr, wanted_dir(c));
		b = pl_make(sdp.p, sdp.len);
		ctype = "application/sdp";
	} else if (body) {
		b = pl_cstr(body);
	}
	err = sip_dialog_request(rp, ua_sip(g.ua), c->dlg, method, cseq, buf_cstr(&hdrs), ctype,
				 &b, c->acc ? c->acc->auth : NULL, c->tp, h, h ? c : NULL);
	buf_free(&hdrs);
	buf_free(&sdp);
	return err;
}

static void send_ack(struct call *c, uint32_t cseq)
{
	dlg_send(c, NULL, "ACK", cseq, NULL, NULL, NULL, false, NULL);
}

/* BYE: fire and forget (the call is over for us at once). */
static void send_bye(struct call *c, const char *reason)
{
	char *extra = NULL;

	if (!c->dlg)
		return;
	if (reason)
		xasprintf(&extra, "Reason: SIP;cause=200;text=\"%s\"\r\n", reason);
	dlg_send(c, NULL, "BYE", ++c->dlg->lseq, extra, NULL, NULL, false, NULL);
	free(extra);
}

/* ------------------------------------------------------------------ */
/* outgoing calls */

static void guard_timeout(void *arg)
{
	struct call *c = arg;
	call_end(c, 487, "Request Terminated", "local");
}

static void zombie_timeout(void *arg)
{
	struct call *c = arg;
	loop_reap(call_reap, c);
}

/* The final answer to an INVITE whose call the user already ended. */
static void zombie_final(struct call *c, int err, const struct sip_msg *resp)
{
	if (!err && resp->scode >= 200 && resp->scode < 300 && !c->dlg &&
	    sip_dialog_uac(&c->dlg, c->target, resp) == 0) {
		send_ack(c, resp->cseq.num);
		send_bye(c, NULL);
	}
	c->inv = NULL;
	tmr_cancel(&c->t_guard);
	loop_reap(call_reap, c);
}

static void max_duration(void *arg);

static void start_media(struct call *c)
{
	if (c->media_started)
		return;
	if (media_start(c->media) == 0)
		c->media_started = true;
}

static void established(struct call *c)
{
	struct media_stats s;
	struct ev *e;

	c->state = CALL_ESTABLISHED;
	c->t_established = tmr_now();
	media_ringback(c->media, false);
	start_media(c);
	media_get_stats(c->media, &s);
	e = call_ev("call-answered", c);
	ev_str(e, "peer", call_peer(c));
	ev_str(e, "codec", s.codec);
	ev_emit(e);
	if (g.pol.max_call_secs)
		tmr_start(&c->t_maxdur, (uint64_t)g.pol.max_call_secs * 1000, max_duration, c);
}

static void session_timer(void *arg);
static int send_update(struct call *c);

/* RFC 4028: who refreshes, and when. */
/* RFC 4028 8.1: a session interval under our Min-SE gets 422 with it. */
static bool session_too_brief(struct sip_strans *st, const struct sip_msg *req)
{
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_H_SESSION_EXPIRES);
	struct pl val;
	const char *semi;
	uint32_t se;

	if (!h)
		return false;
	val = h->val;
	semi = pl_chr(&val, ';');
	if (semi)
		val.l = (size_t)(semi - val.p);
	pl_trim(&val);
	if (pl_u32(&val, &se) || se >= MIN_SE)
		return false;
	sip_replyf(st, 422, NULL, "Min-SE: %u\r\n", MIN_SE);
	return true;
}

/* RFC 4028 7.4: a request in the dialog keeps the session timer going
 * with its interval and who refreshes, seen from us as the UAC. */
static void print_se_req(const struct call *c, struct buf *b)
{
	if (!c->se)
		return;
	buf_printf(b, "Session-Expires: %u;refresher=%s\r\nMin-SE: %u\r\n", c->se,
		   c->se_refresher ? "uac" : "uas", c->min_se > MIN_SE ? c->min_se : MIN_SE);
}

/* RFC 4028 9: a 2xx that keeps the timer says so; when the UAC is to
 * refresh, it requires the extension. */
static void print_se_2xx(const struct call *c, struct buf *b)
{
	if (!c->se)
		return;
	buf_printf(b, "Session-Expires: %u;refresher=%s\r\n", c->se, c->se_refresher ? "uas" : "uac");
	if (!c->se_refresher)
		buf_puts(b, "Require: timer\r\n");
}

/* From a request we answer (we_are_uac false) or a 2xx to ours.  Without
 * a refresher parameter the UAC refreshes, unless as UAS we see that it
 * does not support the extension (RFC 4028 9): then we do. */
static void setup_session_timer(struct call *c, const struct sip_msg *m, bool we_are_uac)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_SESSION_EXPIRES);
	struct pl val, refr;
	uint32_t se;
	const char *semi;

	tmr_cancel(&c->t_session);
	c->se = 0;
	if (!h)
		return;
	val = h->val;
	semi = pl_chr(&val, ';');
	if (semi)
		val.l = (size_t)(semi - val.p);
	pl_trim(&val);
	if (pl_u32(&val, &se) || se < MIN_SE)
		return;
	c->se = se;
	c->se_refresher = we_are_uac || !sip_msg_hdr_has_token(m, SIP_H_SUPPORTED, "timer");
	{
		struct pl params = h->val;
		params.p += val.l;
		params.l -= val.l;
		if (sip_param_find(&params, "refresher", &refr) == 0)
			c->se_refresher = pl_caseeq_str(&refr, we_are_uac ? "uac" : "uas");
	}
	if (c->se_refresher)
		tmr_start(&c->t_session, (uint64_t)se * 500, session_timer, c);
	else
		tmr_start(&c->t_session, (uint64_t)(se - (se / 3 < 32 ? se / 3 : 32)) * 1000,
			  session_timer, c);
}

static void session_timer(void *arg)
{
	struct call *c = arg;
	if (c->state != CALL_ESTABLISHED)
		return;
	if (c->se_refresher) {
		/* an UPDATE without a body when the peer takes it, else a
		 * re-INVITE carrying the same media (RFC 4028 7.4) */
		if (!c->reinv && !c->upd && !(c->peer_update && send_update(c) == 0))
			send_reinvite(c);
		tmr_start(&c->t_session, (uint64_t)c->se * 500, session_timer, c);
		return;
	}
	log_i("call %u: session expired (no refresh in %u s)", c->id, c->se);
	send_bye(c, "session expired");
	call_end(c, 408, "session expired", "error");
}

static void on_invite_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct call *c = arg;
	char reason[128];

	if (c->state == CALL_ENDED) {
		if (err || resp->scode >= 200)
			zombie_final(c, err, resp);
		return;
	}
	if (err) {
		c->inv = NULL;
		call_end(c, err == ETIMEDOUT ? 408 : err == ECANCELED ? 487 : 503,
			 err == ETIMEDOUT ? "Request Timeout" : err == ECANCELED ? "Request Terminated"
				: strerror(err), c->canceling ? "local" : "error");
		return;
	}
	pl_strcpy(&resp->reason, reason, sizeof(reason));
	if (resp->scode < 200) {
		if (resp->scode == 100)
			return;
		if (resp->to.tag.l && !c->dlg)
			sip_dialog_uac(&c->dlg, c->target, resp);
		if (resp->scode == 180 || resp->scode == 183) {
			bool early = resp->body.l && pl_caseeq_str(&resp->ctype, "application/sdp");
			struct ev *e;
			if (early && !c->answer_done && media_process_answer(c->media, &resp->body) == 0) {
				c->answer_done = true;
				media_ringback(c->media, false);
				start_media(c);
			} else if (!c->answer_done) {
				media_ringback(c->media, true);
				start_media(c); /* the device plays the ringback tone */
			}
			if (c->state == CALL_OUTGOING || resp->scode == 183) {
				c->state = CALL_RINGING;
				e = call_ev(early ? "call-progress" : "call-ringing", c);
				ev_int(e, "status", resp->scode);
				ev_emit(e);
			}
		}
		return;
	}
	c->inv = NULL;
	if (resp->scode < 300) {
		if (c->canceling) {
			/* answered while we cancelled: take it and hang up (RFC 3261 9.1) */
			if (!c->dlg)
				sip_dialog_uac(&c->dlg, c->target, resp);
			else
				sip_dialog_confirm(c->dlg, resp);
			if (c->dlg) {
				send_ack(c, resp->cseq.num);
				send_bye(c, NULL);
			}
			call_end(c, 487, "Request Terminated", "local");
			return;
		}
		if (!c->dlg) {
			if (sip_dialog_uac(&c->dlg, c->target, resp)) {
				call_end(c, 500, "2xx without a To tag", "error");
				return;
			}
		} else if (!sip_dialog_match_resp(c->dlg, resp)) {
			/* a different branch answered: use that dialog */
			sip_dialog_free(c->dlg);
			c->dlg = NULL;
			sip_dialog_uac(&c->dlg, c->target, resp);
		} else {
			sip_dialog_confirm(c->dlg, resp);
		}
		if (!c->dlg) {
			call_end(c, 500, "cannot form a dialog", "error");
			return;
		}
		send_ack(c, resp->cseq.num);
		if (!c->answer_done) {
			if (!resp->body.l || media_process_answer(c->media, &resp->body)) {
				log_w("call %u: the answer has no usable SDP", c->id);
				send_bye(c, "no usable SDP answer");
				call_end(c, 488, "no usable SDP answer", "error");
				return;
			}
			c->answer_done = true;
		}
		c->peer_update = sip_msg_hdr_has_token(resp, SIP_H_ALLOW, "UPDATE");
		setup_session_timer(c, resp, true);
		established(c);
		return;
	}
	if ((resp->scode == 401 || resp->scode == 407) && c->acc &&
	    c->auth_rounds++ < MAX_AUTH_ROUNDS && !c->canceling) {
		if (sip_auth_challenge(c->acc->auth, resp, c->auth_rounds > 1) == 0) {
			c->cseq++;
			if (send_invite(c) == 0)
				return;
		}
		call_end(c, resp->scode, "authentication failed", "remote");
		return;
	}
	if (resp->scode >= 300 && resp->scode < 400 && g.pol.follow_redirects && !c->canceling) {
		redirect_targets(c, resp);
		if (next_target(c, "redirected"))
			return;
	}
	if (resp->scode == 422) {
		const struct sip_hdr *h = sip_msg_hdr(resp, SIP_H_MIN_SE);
		uint32_t min;
		if (h && pl_u32(&h->val, &min) == 0 && min > c->se_asked && min < 86400 &&
		    c->auth_rounds++ < MAX_AUTH_ROUNDS) {
			c->se_asked = c->min_se = min;
			c->cseq++;
			if (send_invite(c) == 0)
				return;
		}
	}
	/* a target of a redirect failed: the next one (6xx: nobody will) */
	if (resp->scode >= 400 && resp->scode < 600 && !c->canceling && next_target(c, "failed"))
		return;
	call_end(c, resp->scode, reason, c->canceling && resp->scode == 487 ? "local" : "remote");
}

/* A Contact's q as 0..1000 (RFC 3261 20.10; none: 1000). */
static unsigned contact_q(const struct sip_addr *a)
{
	struct pl v;
	char tmp[16];
	double q;

	if (sip_param_find(&a->params, "q", &v))
		return 1000;
	pl_strcpy(&v, tmp, sizeof(tmp));
	q = strtod(tmp, NULL);
	return q >= 0 && q <= 1 ? (unsigned)(q * 1000 + 0.5) : 0;
}

/* A 3xx's SIP Contacts become the targets to try, highest q first, in
 * the order given among equals (RFC 3261 8.1.3.4, 16.6 step 1). */
static void redirect_targets(struct call *c, const struct sip_msg *resp)
{
	const struct sip_addr *list[MAX_TARGETS];
	unsigned q[MAX_TARGETS], n = 0;

	for (const struct sip_addr *a = resp->contact; a && n < MAX_TARGETS; a = a->next) {
		unsigned i, aq = contact_q(a);
		if (a->uri.scheme != SIP_SCHEME_SIP && a->uri.scheme != SIP_SCHEME_SIPS)
			continue;
		for (i = n; i > 0 && q[i - 1] < aq; i--) {
			list[i] = list[i - 1];
			q[i] = q[i - 1];
		}
		list[i] = a;
		q[i] = aq;
		n++;
	}
	for (unsigned i = 0; i < c->ntargets; i++)
		free(c->targets[i]);
	c->ntargets = 0;
	for (unsigned i = 0; i < n; i++)
		c->targets[c->ntargets++] = pl_strdup(&list[i]->auri);
}

/* INVITE the next target of a redirect, as a new attempt. */
static bool next_target(struct call *c, const char *why)
{
	char *to;

	if (!c->ntargets || c->redirects++ >= MAX_REDIRECTS + MAX_TARGETS)
		return false;
	to = c->targets[0];
	memmove(c->targets, c->targets + 1, --c->ntargets * sizeof(c->targets[0]));
	log_i("call %u: %s; trying %s", c->id, why, to);
	free(c->target);
	c->target = to;
	c->cseq++;
	c->answer_done = false;
	sip_dialog_free(c->dlg);
	c->dlg = NULL;
	return send_invite(c) == 0;
}

static int send_invite(struct call *c)
{
	struct sip_req_params p;
	struct account *a = c->acc;

	memset(&p, 0, sizeof(p));
	p.method = "INVITE";
	p.ruri = c->target;
	p.nexthop = a ? a->outbound_proxy : NULL;
	if (a && a->tp_set) {
		p.tp = a->tp;
		p.force_tp = true;
	}
	p.printh = print_invite;
	p.arg = c;
	return sip_request(&c->inv, ua_sip(g.ua), &p, on_invite_resp, c);
}

int call_connect(struct call **cp, struct account *acc, const char *target)
{
	struct call *c;
	struct sip_uri u;
	struct pl t;
	struct sa bind;
	char *uri = ua_expand_uri(acc, target);
	int err;

	if (!uri)
		return EINVAL;
	t = pl_cstr(uri);
	if (sip_uri_parse(&u, &t) || (u.scheme != SIP_SCHEME_SIP && u.scheme != SIP_SCHEME_SIPS)) {
		free(uri);
		return EINVAL;
	}
	c = call_new(acc, true);
	c->target = uri;
	c->peer = xstrdup(uri);
	sip_rand_token(c->callid, 24);
	sip_rand_token(c->ltag, 10);
	c->cseq = 1;
	c->state = CALL_OUTGOING;
	media_bind_addr(&bind, u.ipv6 ? AF_INET6 : AF_INET);
	err = media_new(c, &bind);
	if (!err)
		err = send_invite(c);
	if (err) {
		list_unlink(&c->le);
		call_destroy(c);
		return err;
	}
	if (cp)
		*cp = c;
	return 0;
}

/* ------------------------------------------------------------------ */
/* incoming calls */

static void ack_timeout(struct sip_strans *st, void *arg)
{
	struct call *c = arg;
	(void)st;
	if (c->state != CALL_ANSWERING)
		return;
	log_i("call %u: no ACK for our 200; ending the call", c->id);
	send_bye(c, "no ACK");
	call_end(c, 408, "no ACK received", "error");
}

static void on_cancel(struct sip_strans *st, void *arg)
{
	struct call *c = arg;
	sip_reply(st, 487, NULL, NULL, NULL, NULL);
	call_end(c, 487, "Request Terminated", "remote");
}

static void auto_answer(void *arg)
{
	call_answer(arg);
}

static void max_duration(void *arg)
{
	struct call *c = arg;
	log_i("call %u: reached the maximum call duration", c->id);
	call_hangup(c, 0, "maximum call duration");
}

static bool caller_allowed(const char *uri)
{
	if (!g.pol.nallow)
		return true;
	for (unsigned i = 0; i < g.pol.nallow; i++)
		if (fnmatch(g.pol.allow[i], uri, 0) == 0)
			return true;
	return false;
}

/* Call-Info: <...>;answer-after=N (when the account allows it). */
static int answer_after_hdr(const struct sip_msg *m)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_CALL_INFO); h;
	     h = sip_msg_hdr_next(m, h)) {
		const char *gt = pl_chr(&h->val, '>');
		struct pl params, v;
		uint32_t n;
		if (!gt)
			continue;
		params = pl_make(gt + 1, (size_t)(h->val.p + h->val.l - gt - 1));
		if (sip_param_find(&params, "answer-after", &v) == 0 && pl_u32(&v, &n) == 0 &&
		    n < 3600)
			return (int)n;
	}
	return -1;
}

/* Local tones for a call ringing here: the call waiting tone in the call
 * being talked in (again every WAITING_EVERY_MS while this one rings),
 * else the ring through this call's own device, which sends nothing
 * until the call is answered.  One ring at a time. */
static void ring_again(void *arg);

static void ring_here(struct call *c)
{
	LIST_FOREACH(&g.calls, e) {
		struct call *o = e->data;
		if (o == c || o->state == CALL_ENDED)
			continue;
		if (o->state == CALL_ESTABLISHED && !o->local_hold && o->media) {
			media_tone(o->media, TONE_WAITING, 0, false);
			tmr_start(&c->t_tone, WAITING_EVERY_MS, ring_again, c);
			return;
		}
		if (o->state == CALL_INCOMING && o->media_started)
			return; /* that one rings already */
	}
	media_hush(c->media, true);
	media_tone(c->media, TONE_RINGING, 0, true);
	start_media(c);
}

static void ring_again(void *arg)
{
	struct call *c = arg;

	if (c->state == CALL_INCOMING)
		ring_here(c);
}

static bool on_invite(struct ua *ua, struct account *acc, struct sip_strans *st,
		      const struct sip_msg *req, const struct sip_rx *rx, void *arg)
{
	struct call *c;
	struct sa bind;
	struct buf hdrs;
	char *from;
	int after;
	struct ev *e;
	(void)ua;
	(void)arg;

	from = pl_strdup(&req->from.auri);
	if (g.pol.max_calls && call_count() >= g.pol.max_calls) {
		log_i("refusing a call from %s: %u calls already", from, call_count());
		sip_reply(st, 486, NULL, NULL, NULL, NULL);
		free(from);
		return true;
	}
	if (!caller_allowed(from)) {
		log_i("refusing a call from %s: not in --allow", from);
		sip_reply(st, g.pol.reject_code, NULL, NULL, NULL, NULL);
		free(from);
		return true;
	}
	if (req->body.l && !pl_caseeq_str(&req->ctype, "application/sdp")) {
		sip_replyf(st, 415, NULL, "Accept: application/sdp\r\n");
		free(from);
		return true;
	}
	if (session_too_brief(st, req)) {
		free(from);
		return true;
	}
	c = call_new(acc, false);
	c->peer = from;
	c->state = CALL_INCOMING;
	c->st = sip_strans_ref(st);
	c->tp = rx->tp;
	c->laddr = rx->local;
	if (sa_is_any(&c->laddr))
		sip_laddr(ua_sip(g.ua), rx->tp, &rx->src, &c->laddr);
	bind = c->laddr;
	sa_set_port(&bind, 0);
	if (sip_dialog_uas(&c->dlg, req, sip_strans_tag(st)) || media_new(c, &bind)) {
		sip_reply(st, 500, NULL, NULL, NULL, NULL);
		call_end(c, 500, "cannot set up the call", "error");
		return true;
	}
	sip_strans_set_handlers(st, on_cancel, ack_timeout, c);
	c->peer_update = sip_msg_hdr_has_token(req, SIP_H_ALLOW, "UPDATE");
	if (!req->body.l) {
		c->delayed_offer = true;
	} else {
		/* check the offer now: 488 before ringing when we cannot take it */
		struct buf probe;
		buf_init(&probe, SIP_MAX_MSG_SIZE);
		if (media_answer(c->media, &probe, &req->body, &c->laddr, MEDIA_SENDRECV)) {
			const char *why;
			unsigned code = media_answer_warning(c->media, &why);
			buf_free(&probe);
			sip_replyf(st, 488, NULL, "Warning: %u sipterm \"%s\"\r\n", code, why);
			call_end(c, 488, why, "local");
			return true;
		}
		buf_free(&probe);
	}
	buf_init(&hdrs, 2048);
	print_contact(c, &hdrs, c->tp, &c->laddr);
	sip_reply(st, 180, NULL, buf_cstr(&hdrs), NULL, NULL);
	buf_free(&hdrs);
	setup_session_timer(c, req, false);

	e = call_ev("call-incoming", c);
	ev_str(e, "from", from);
	if (pl_isset(&req->from.dname)) {
		char name[128];
		sip_addr_dname(&req->from, name, sizeof(name));
		ev_str(e, "name", name);
	}
	ev_pl(e, "to", &req->to.auri);
	if (acc)
		ev_str(e, "account", acc->name);
	ev_emit(e);

	after = acc && acc->answer_after_ok ? answer_after_hdr(req) : -1;
	if (after < 0)
		after = g.pol.answer_after;
	if (after >= 0)
		tmr_start(&c->t_answer, (uint64_t)after * 1000, auto_answer, c);
	if (after != 0 && media_tones(c->media))
		ring_here(c);
	return true;
}

int call_answer(struct call *c)
{
	const struct sip_msg *req;
	struct buf sdp, hdrs;
	int err;

	if (!c || c->state != CALL_INCOMING || !c->st)
		return EINVAL;
	tmr_cancel(&c->t_answer);
	tmr_cancel(&c->t_tone);
	media_tone(c->media, TONE_NONE, 0, false);
	media_hush(c->media, false);
	req = sip_strans_req(c->st);
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	buf_init(&hdrs, 4096);
	if (c->delayed_offer)
		err = media_offer(c->media, &sdp, &c->laddr, MEDIA_SENDRECV);
	else
		err = media_answer(c->media, &sdp, &req->body, &c->laddr, MEDIA_SENDRECV);
	if (err) {
		sip_reply(c->st, 488, NULL, NULL, NULL, NULL);
		buf_free(&sdp);
		buf_free(&hdrs);
		call_end(c, 488, "no common codec", "local");
		return err;
	}
	print_contact(c, &hdrs, c->tp, &c->laddr);
	buf_printf(&hdrs, "Allow: %s\r\nSupported: %s\r\n", ua_allow(), ua_supported());
	print_se_2xx(c, &hdrs);
	err = sip_reply(c->st, 200, NULL, buf_cstr(&hdrs), "application/sdp",
			&(struct pl){ sdp.p, sdp.len });
	buf_free(&sdp);
	buf_free(&hdrs);
	if (err) {
		call_end(c, 500, "cannot answer", "error");
		return err;
	}
	c->state = CALL_ANSWERING;
	c->answer_done = !c->delayed_offer;
	start_media(c); /* RTP may flow before the ACK */
	return 0;
}

/* ------------------------------------------------------------------ */
/* in-dialog requests */

static struct call *find_by_dialog(const struct sip_msg *m, bool request)
{
	LIST_FOREACH(&g.calls, e) {
		struct call *c = e->data;
		if (!c->dlg || c->state == CALL_ENDED)
			continue;
		if (request ? sip_dialog_match_req(c->dlg, m) : sip_dialog_match_resp(c->dlg, m))
			return c;
	}
	return NULL;
}

static void hold_events(struct call *c, bool was_remote_hold)
{
	bool now = media_remote_hold(c->media);
	if (now == was_remote_hold)
		return;
	c->remote_hold = now;
	{
		struct ev *e = call_ev(now ? "call-held" : "call-resumed", c);
		ev_str(e, "by", "remote");
		ev_emit(e);
	}
}

/* A re-INVITE or UPDATE from the peer.  An offer gets our answer; a
 * re-INVITE without one gets our offer in the 2xx, answered in the ACK
 * (RFC 3261 14.2); an UPDATE without one only refreshes the session
 * timer or the target, and its 2xx carries no SDP (RFC 3311 5.2). */
static void on_reoffer(struct call *c, struct sip_strans *st, const struct sip_msg *req)
{
	struct buf sdp, hdrs;
	bool was = c->remote_hold, sdp_in_2xx = req->body.l || req->mid == SIP_M_INVITE;
	enum media_dir dir = c->local_hold ? MEDIA_SENDONLY : MEDIA_SENDRECV;
	int err = 0;

	if (c->reinv && (req->mid == SIP_M_INVITE || req->body.l)) {
		/* glare: our offer is pending (RFC 3261 14.2, RFC 3311 5.2) */
		sip_replyf(st, 491, NULL, "Retry-After: 2\r\n");
		return;
	}
	sip_dialog_update_target(c->dlg, req);
	if (sip_msg_hdr(req, SIP_H_ALLOW))
		c->peer_update = sip_msg_hdr_has_token(req, SIP_H_ALLOW, "UPDATE");
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	buf_init(&hdrs, 4096);
	if (req->body.l)
		err = media_answer(c->media, &sdp, &req->body, &c->laddr, dir);
	else if (sdp_in_2xx)
		err = media_offer(c->media, &sdp, &c->laddr, dir);
	if (err) {
		sip_reply(st, 488, NULL, NULL, NULL, NULL);
		buf_free(&sdp);
		buf_free(&hdrs);
		return;
	}
	if (c->se)
		setup_session_timer(c, req, false);
	print_contact(c, &hdrs, c->tp, &c->laddr);
	print_se_2xx(c, &hdrs);
	sip_reply(st, 200, NULL, buf_cstr(&hdrs), sdp_in_2xx ? "application/sdp" : NULL,
		  sdp_in_2xx ? &(struct pl){ sdp.p, sdp.len } : NULL);
	c->reoffer_acked = !req->body.l && sdp_in_2xx;
	if (req->body.l)
		hold_events(c, was);
	buf_free(&sdp);
	buf_free(&hdrs);
}

/* application/dtmf-relay: "Signal=5\r\nDuration=160" */
static void on_info(struct call *c, struct sip_strans *st, const struct sip_msg *req)
{
	const char *p = req->body.p, *e = p + req->body.l;
	char digit = 0;
	unsigned dur = 0;

	if (!pl_caseeq_str(&req->ctype, "application/dtmf-relay") &&
	    !pl_caseeq_str(&req->ctype, "application/dtmf")) {
		sip_replyf(st, 415, NULL, "Accept: application/dtmf-relay, application/dtmf\r\n");
		return;
	}
	if (pl_caseeq_str(&req->ctype, "application/dtmf")) {
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e)
			digit = *p;
	}
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p)), *le = nl ? nl : e, *q;
		struct pl name;
		q = memchr(p, '=', (size_t)(le - p));
		if (q) {
			name = pl_make(p, (size_t)(q - p));
			pl_trim(&name);
			q++;
			while (q < le && (*q == ' ' || *q == '\t'))
				q++;
			if (pl_caseeq_str(&name, "Signal") && q < le)
				digit = *q;
			else if (pl_caseeq_str(&name, "Duration"))
				dur = (unsigned)strtoul(q, NULL, 10);
		}
		p = nl ? nl + 1 : e;
	}
	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 32);
	if (!strchr("0123456789*#ABCD", digit) || !digit) {
		sip_reply(st, 400, "Bad DTMF signal", NULL, NULL, NULL);
		return;
	}
	sip_reply(st, 200, NULL, NULL, NULL, NULL);
	{
		char d[2] = { digit, 0 };
		struct ev *ev = call_ev("dtmf", c);
		ev_str(ev, "digit", d);
		ev_str(ev, "method", "info");
		ev_int(ev, "duration_ms", dur);
		ev_emit(ev);
	}
}

static bool on_dialog(struct ua *ua, struct sip_strans *st, const struct sip_msg *req,
		      const struct sip_rx *rx, void *arg)
{
	struct call *c = find_by_dialog(req, true);
	(void)ua;
	(void)rx;
	(void)arg;

	if (!c)
		return false;
	if (!st) {
		/* ACK */
		if (c->state == CALL_ANSWERING) {
			if (c->delayed_offer) {
				if (!req->body.l || media_process_answer(c->media, &req->body)) {
					send_bye(c, "no SDP answer in the ACK");
					call_end(c, 488, "no SDP answer in the ACK", "error");
					return true;
				}
				c->answer_done = true;
			}
			if (c->st) {
				sip_strans_set_handlers(c->st, NULL, NULL, NULL);
				sip_strans_unref(c->st);
				c->st = NULL;
			}
			established(c);
		} else if (c->reoffer_acked && c->state == CALL_ESTABLISHED) {
			bool was = c->remote_hold;
			c->reoffer_acked = false;
			if (!req->body.l || media_process_answer(c->media, &req->body))
				log_w("call %u: no usable SDP answer in the ACK; media unchanged",
				      c->id);
			else
				hold_events(c, was);
		}
		return true;
	}
	if (sip_dialog_check_cseq(c->dlg, req)) {
		sip_reply(st, 500, "CSeq out of order", NULL, NULL, NULL);
		return true;
	}
	switch (req->mid) {
	case SIP_M_BYE:
		sip_reply(st, 200, NULL, NULL, NULL, NULL);
		call_end(c, 200, "BYE", "remote");
		return true;
	case SIP_M_INVITE:
	case SIP_M_UPDATE:
		if (c->state != CALL_ESTABLISHED && req->mid == SIP_M_INVITE) {
			sip_replyf(st, 491, NULL, "Retry-After: 1\r\n");
			return true;
		}
		on_reoffer(c, st, req);
		return true;
	case SIP_M_INFO:
		on_info(c, st, req);
		return true;
	case SIP_M_OPTIONS:
		sip_replyf(st, 200, NULL, "Allow: %s\r\n", ua_allow());
		return true;
	default:
		sip_replyf(st, 405, NULL, "Allow: %s\r\n", ua_allow());
		return true;
	}
}

/* A repeated 2xx to our INVITE: ACK it again (RFC 3261 13.2.2.4); a 2xx
 * from another fork gets an ACK and a BYE. */
static void on_stray(const struct sip_msg *resp, void *arg)
{
	struct call *c = find_by_dialog(resp, false);
	(void)arg;

	if (c) {
		send_ack(c, resp->cseq.num);
		return;
	}
	LIST_FOREACH(&g.calls, e) {
		struct call *o = e->data;
		struct sip_dialog *d = NULL;
		if (!o->outgoing || !pl_eq_str(&resp->callid, o->callid))
			continue;
		if (sip_dialog_uac(&d, o->target, resp) == 0) {
			struct sip_dialog *keep = o->dlg;
			o->dlg = d;
			send_ack(o, resp->cseq.num);
			send_bye(o, "forked answer");
			o->dlg = keep;
			sip_dialog_free(d);
		}
		return;
	}
}

/* ------------------------------------------------------------------ */
/* re-INVITE: hold, resume, session refresh */

static void glare_retry(void *arg)
{
	send_reinvite(arg);
}

static void on_reinvite_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct call *c = arg;

	if (resp && resp->scode < 200)
		return;
	c->reinv = NULL;
	if (c->state == CALL_ENDED)
		return;
	if (err) {
		log_w("call %u: re-INVITE failed: %s", c->id, strerror(err));
		if (err == ETIMEDOUT) {
			send_bye(c, "re-INVITE timed out");
			call_end(c, 408, "re-INVITE timed out", "error");
		}
		return;
	}
	if (resp->scode < 300) {
		bool was_local = c->local_hold, was_remote = c->remote_hold;
		send_ack(c, resp->cseq.num);
		sip_dialog_update_target(c->dlg, resp);
		if (resp->body.l)
			media_process_answer(c->media, &resp->body);
		c->local_hold = c->want_hold;
		if (c->local_hold != was_local) {
			struct ev *e = call_ev(c->local_hold ? "call-held" : "call-resumed", c);
			ev_str(e, "by", "local");
			ev_emit(e);
		}
		(void)was_remote;
		if (c->se)
			setup_session_timer(c, resp, true);
		return;
	}
	if (resp->scode == 491) {
		/* RFC 3261 14.1: owner of the Call-ID waits 2.1-4 s, else 0-2 s */
		char r[4];
		uint64_t ms;
		sip_rand_token(r, 2);
		ms = c->outgoing ? 2100 + (unsigned char)r[0] % 19 * 100 : (unsigned char)r[0] % 20 * 100;
		tmr_start(&c->t_glare, ms, glare_retry, c);
		return;
	}
	if ((resp->scode == 401 || resp->scode == 407) && c->acc &&
	    sip_auth_challenge(c->acc->auth, resp, false) == 0 && c->auth_rounds++ < MAX_AUTH_ROUNDS) {
		send_reinvite(c);
		return;
	}
	if (resp->scode == 481 || resp->scode == 408) {
		/* the dialog is gone on the other side */
		call_end(c, resp->scode, "the peer lost the call", "remote");
		return;
	}
	c->want_hold = c->local_hold;
	log_w("call %u: re-INVITE refused: %u", c->id, resp->scode);
}

/* A re-INVITE (with our offer) or UPDATE (without one) of the established
 * call, carrying the session timer; one of each kind at a time. */
static int send_session_req(struct call *c, struct sip_request **rp, const char *method,
			    bool offer, sip_resp_h *h)
{
	struct buf se;
	int err;

	if (!c->dlg || c->state != CALL_ESTABLISHED || *rp)
		return EBUSY;
	buf_init(&se, 256);
	print_se_req(c, &se);
	err = dlg_send(c, rp, method, ++c->dlg->lseq, buf_cstr(&se), NULL, NULL, offer, h);
	buf_free(&se);
	return err;
}

static int send_reinvite(struct call *c)
{
	return send_session_req(c, &c->reinv, "INVITE", true, on_reinvite_resp);
}

static void on_update_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct call *c = arg;

	if (resp && resp->scode < 200)
		return;
	c->upd = NULL;
	if (c->state == CALL_ENDED)
		return;
	if (err || resp->scode == 481 || resp->scode == 408) {
		/* RFC 4028 10: the refresh failed, the session is over */
		log_w("call %u: session refresh failed: %s", c->id,
		      err ? strerror(err) : "the peer lost the call");
		send_bye(c, "session refresh failed");
		call_end(c, err ? 408 : resp->scode, "session refresh failed", "error");
		return;
	}
	if (resp->scode < 300) {
		sip_dialog_update_target(c->dlg, resp);
		setup_session_timer(c, resp, true);
		return;
	}
	if ((resp->scode == 401 || resp->scode == 407) && c->acc &&
	    sip_auth_challenge(c->acc->auth, resp, false) == 0 && c->auth_rounds++ < MAX_AUTH_ROUNDS) {
		send_update(c);
		return;
	}
	/* 405, 501, 491...: refresh by re-INVITE instead, from now on */
	log_i("call %u: UPDATE refused (%u); refreshing by re-INVITE", c->id, resp->scode);
	c->peer_update = false;
	send_reinvite(c);
}

/* A session refresh without an offer (RFC 3311, RFC 4028 7.4). */
static int send_update(struct call *c)
{
	return send_session_req(c, &c->upd, "UPDATE", false, on_update_resp);
}

int call_hold(struct call *c, bool hold)
{
	if (!c || c->state != CALL_ESTABLISHED)
		return EINVAL;
	if (c->want_hold == hold && c->local_hold == hold)
		return EALREADY;
	c->want_hold = hold;
	return send_reinvite(c);
}

static void send_info(struct call *c);

static void on_info_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct call *c = arg;
	if (resp && resp->scode < 200)
		return;
	c->info = NULL;
	if (err || resp->scode >= 300)
		log_w("call %u: DTMF by INFO failed: %s", c->id,
		      err ? strerror(err) : "refused by the peer");
	send_info(c);
}

/* SIP INFO DTMF (application/dtmf-relay), one digit per request, in order. */
static void send_info(struct call *c)
{
	char body[64];

	if (c->info || !c->info_n || c->state != CALL_ESTABLISHED)
		return;
	snprintf(body, sizeof(body), "Signal=%c\r\nDuration=160\r\n", c->info_q[0]);
	if (c->media && media_tones(c->media))
		media_tone(c->media, TONE_DTMF, c->info_q[0], false);
	memmove(c->info_q, c->info_q + 1, --c->info_n);
	dlg_send(c, &c->info, "INFO", ++c->dlg->lseq, NULL, "application/dtmf-relay", body,
		 false, on_info_resp);
}

/* RFC 4733 when the peer takes telephone-events (and info is not asked
 * for), else SIP INFO. */
int call_dtmf(struct call *c, const char *digits, bool info)
{
	size_t n = strlen(digits);
	int err;

	if (!c || c->state != CALL_ESTABLISHED)
		return EINVAL;
	if (!info) {
		err = media_dtmf_send(c->media, digits);
		if (err != ENOTSUP)
			return err;
	}
	if (c->info_n + n > sizeof(c->info_q))
		return ENOSPC;
	for (size_t i = 0; i < n; i++)
		c->info_q[c->info_n++] = (char)toupper((unsigned char)digits[i]);
	send_info(c);
	return 0;
}

int call_use_device(struct call *c, const char *spec)
{
	if (!c || !c->media_started)
		return EINVAL;
	return media_use_device(c->media, spec);
}

void call_levels(const struct call *c, float *in, float *out)
{
	*in = *out = -96;
	if (c && c->media_started)
		media_levels(c->media, in, out);
}

int call_record(struct call *c, const char *path)
{
	if (!c || !c->media_started)
		return EINVAL;
	return media_record(c->media, path);
}

int call_play(struct call *c, const char *path, char *err, size_t errsz)
{
	if (!c || !c->media_started) {
		snprintf(err, errsz, "the call has no media yet");
		return EINVAL;
	}
	return media_play(c->media, path, err, errsz);
}

/* The call that commands without an id act on. */
void call_switch(struct call *c)
{
	list_unlink(&c->le);
	list_append(&g.calls, &c->le, c);
}

/* Voice processing for new calls and the ones running. */
void call_dsp_set(const char *what, bool on)
{
	int v = on ? 1 : 0;
	if (!strcmp(what, "aec"))
		g.mcfg.aec = v;
	else if (!strcmp(what, "ns"))
		g.mcfg.ns = v;
	else if (!strcmp(what, "agc"))
		g.mcfg.agc = v;
	LIST_FOREACH(&g.calls, e) {
		struct call *c = e->data;
		if (c->media && c->media_started && c->state != CALL_ENDED)
			media_dsp_set(c->media, what, on);
	}
}

struct call_policy *call_policy(void)
{
	return &g.pol;
}

struct media_cfg *call_media_cfg(void)
{
	return &g.mcfg;
}

void call_mute(struct call *c, bool on)
{
	if (!c)
		return;
	c->muted = on;
	if (c->media)
		media_mute(c->media, on);
}

bool call_muted(const struct call *c)
{
	return c && c->muted;
}

/* Hang up in whatever state: CANCEL, reject, or BYE. */
int call_hangup(struct call *c, uint16_t code, const char *reason)
{
	if (!c || c->state == CALL_ENDED)
		return EINVAL;
	switch (c->state) {
	case CALL_OUTGOING:
	case CALL_RINGING:
		if (c->canceling)
			return EALREADY;
		c->canceling = true;
		if (!c->inv) {
			call_end(c, 487, "Request Terminated", "local");
			return 0;
		}
		sip_request_cancel(c->inv);
		if (c->state == CALL_ENDED)
			return 0; /* still resolving: it ended at once */
		if (c->state == CALL_OUTGOING) {
			/* nothing came back yet: the CANCEL waits for a provisional
			 * (RFC 3261 9.1), the user does not */
			call_end(c, 487, "Request Terminated", "local");
			return 0;
		}
		tmr_start(&c->t_guard, CANCEL_GUARD_MS, guard_timeout, c);
		return 0;
	case CALL_INCOMING:
		code = code ? code : g.pol.reject_code;
		sip_reply(c->st, code, reason, NULL, NULL, NULL);
		call_end(c, code, reason ? reason : sip_reason_phrase(code), "local");
		return 0;
	case CALL_ANSWERING:
	case CALL_ESTABLISHED:
		send_bye(c, reason);
		call_end(c, 200, reason ? reason : "BYE", "local");
		return 0;
	case CALL_ENDED:
		break;
	}
	return EINVAL;
}

void call_hangup_all(void)
{
	LIST_FOREACH_SAFE(&g.calls, e, tmp)
		call_hangup(e->data, 0, NULL);
}

int call_init(struct ua *ua, const struct media_cfg *mcfg, const struct call_policy *pol)
{
	g.ua = ua;
	g.mcfg = *mcfg;
	g.pol = *pol;
	list_init(&g.calls);
	g.inited = true;
	ua_set_handler(ua, SIP_M_INVITE, on_invite, NULL);
	ua_add_dialog_handler(ua, on_dialog, NULL);
	ua_set_stray_handler(ua, on_stray, NULL);
	return 0;
}

void call_close(void)
{
	if (!g.inited)
		return;
	LIST_FOREACH_SAFE(&g.calls, e, tmp)
		call_destroy(e->data);
	g.inited = false;
}
