/* reg.c: registration client (RFC 3261 10, RFC 5626).
 *
 * REGISTER with digest auth, refreshed before the granted expiry (the
 * Contact's expires, else Expires, else what we asked), 423 answered with
 * Min-Expires, failures retried with exponential backoff, wrong
 * credentials reported once and not retried, a stable +sip.instance and
 * reg-id, CRLF keep-alives on the flow, and Expires: 0 on the way out.
 * The address the registrar saw (Via received/rport) replaces ours in the
 * Contact when they differ (NAT). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "loop.h"
#include "sip/auth.h"
#include "ua.h"
#include "xmalloc.h"

#define LOG_MOD "reg"

#define RETRY_MIN_S 5
#define RETRY_MAX_S 300
#define KEEPALIVE_DEFAULT_S 30

enum reg_state {
	REG_IDLE,
	REG_REGISTERING,
	REG_REGISTERED,
	REG_FAILED,
	REG_UNREGISTERING,
};

struct reg {
	struct account *acc;
	char callid[32];
	char fromtag[16];
	uint32_t cseq;
	enum reg_state state;
	bool was_registered;
	struct sip_request *req;
	struct tmr tref;           /* refresh, retry */
	struct tmr tka;            /* keep-alive */
	uint32_t expires_req;
	uint32_t expires;          /* granted */
	unsigned failures;
	unsigned auth_rounds;      /* challenges answered for this REGISTER */
	bool sent_auth;            /* the last request carried credentials */
	bool sending_zero;         /* the request in flight has Expires: 0 */
	struct sip_conn *flow;
	enum sip_tp tp;
	struct sa dst;             /* where the registrar was reached */
	struct sa laddr;
	struct sa pub;             /* address the registrar saw */
	bool nat;
	uint16_t last_status;
	char last_reason[96];
	ua_done_h *doneh;
	void *donearg;
};

static void send_register(struct reg *r, uint32_t expires);

static const char *state_name[] = {
	[REG_IDLE] = "idle",
	[REG_REGISTERING] = "registering",
	[REG_REGISTERED] = "registered",
	[REG_FAILED] = "failed",
	[REG_UNREGISTERING] = "unregistering",
};

const char *reg_state(const struct reg *r)
{
	return r ? state_name[r->state] : "off";
}

bool reg_registered(const struct reg *r)
{
	return r && r->state == REG_REGISTERED;
}

uint32_t reg_expires(const struct reg *r)
{
	return r ? r->expires : 0;
}

int reg_alloc(struct reg **rp, struct account *acc)
{
	struct reg *r = xcalloc(1, sizeof(*r));

	r->acc = acc;
	sip_rand_token(r->callid, 24);
	sip_rand_token(r->fromtag, 10);
	r->cseq = 0;
	r->expires_req = acc->expires;
	tmr_init(&r->tref);
	tmr_init(&r->tka);
	*rp = r;
	return 0;
}

void reg_free(struct reg *r)
{
	if (!r)
		return;
	tmr_cancel(&r->tref);
	tmr_cancel(&r->tka);
	sip_request_abandon(r->req);
	sip_conn_unref(r->flow);
	free(r);
}

static void emit_failed(struct reg *r, uint16_t status, const char *reason, unsigned retry)
{
	struct ev *e = ev_new("registration-failed");
	ev_str(e, "account", r->acc->name);
	ev_int(e, "status", status);
	ev_str(e, "reason", reason);
	ev_int(e, "retry_in", retry);
	ev_emit(e);
	r->last_status = status;
	snprintf(r->last_reason, sizeof(r->last_reason), "%s", reason);
}

static void retry_timer(void *arg)
{
	struct reg *r = arg;
	send_register(r, r->expires_req);
}

/* Back off 5, 10, 20 ... 300 s (with up to 20% jitter so a fleet of
 * phones does not re-register in step). */
static unsigned schedule_retry(struct reg *r)
{
	unsigned s = RETRY_MIN_S;
	char j[4];

	for (unsigned i = 0; i < r->failures && s < RETRY_MAX_S; i++)
		s *= 2;
	if (s > RETRY_MAX_S)
		s = RETRY_MAX_S;
	r->failures++;
	sip_rand_token(j, 2);
	tmr_start(&r->tref, (uint64_t)s * 1000 + (uint64_t)((unsigned char)j[0] % 20) * s * 10,
		  retry_timer, r);
	return s;
}

static void keepalive(void *arg)
{
	struct reg *r = arg;
	uint32_t ka = r->acc->keepalive ? r->acc->keepalive : KEEPALIVE_DEFAULT_S;

	if (r->state != REG_REGISTERED)
		return;
	if (sip_tp_reliable(r->tp)) {
		if (sip_conn_keepalive(r->flow)) {
			log_i("account %s: flow to the registrar is gone; registering again",
			      r->acc->name);
			send_register(r, r->expires_req);
			return;
		}
	} else if (sa_isset(&r->dst)) {
		/* a CRLF pair over UDP keeps NAT bindings open */
		sip_tp_send(sip_transport(ua_sip(r->acc->ua)), SIP_TP_UDP, &r->dst, NULL,
			    "\r\n\r\n", 4, NULL);
	}
	tmr_start(&r->tka, (uint64_t)ka * 1000, keepalive, r);
}

static int print_register(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	struct reg *r = arg;
	struct account *a = r->acc;
	const struct sa *c = r->nat ? &r->pub : laddr;
	size_t before;

	r->tp = tp;
	r->laddr = *laddr;
	buf_printf(b, "To: <%s>\r\n", a->aor);
	if (a->display)
		buf_printf(b, "From: \"%s\" <%s>;tag=%s\r\n", a->display, a->aor, r->fromtag);
	else
		buf_printf(b, "From: <%s>;tag=%s\r\n", a->aor, r->fromtag);
	buf_printf(b, "Call-ID: %s\r\nCSeq: %u REGISTER\r\nMax-Forwards: 70\r\n", r->callid,
		   r->cseq);
	if (a->outbound_proxy)
		buf_printf(b, "Route: <%s;lr>\r\n", a->outbound_proxy);
	buf_puts(b, "Contact: ");
	ua_contact(a->ua, a, b, tp, c);
	buf_printf(b, ";+sip.instance=\"<%s>\";reg-id=1\r\n", ua_instance(a->ua));
	buf_printf(b, "Expires: %u\r\nAllow: %s\r\nSupported: %s\r\n",
		   r->sending_zero ? 0 : r->expires_req, ua_allow(), "outbound, path");
	if (sip_config(ua_sip(a->ua))->user_agent)
		buf_printf(b, "User-Agent: %s\r\n", sip_config(ua_sip(a->ua))->user_agent);
	before = b->len;
	sip_auth_apply(a->auth, b, "REGISTER", a->registrar, NULL);
	r->sent_auth = b->len > before;
	buf_puts(b, "Content-Length: 0\r\n\r\n");
	return b->err;
}

/* The expiry the registrar granted to our contact. */
static uint32_t granted(struct reg *r, const struct sip_msg *resp)
{
	for (const struct sip_addr *c = resp->contact; c; c = c->next) {
		struct pl v, inst;
		bool ours = false;
		uint32_t n;
		if (sip_param_find(&c->params, "+sip.instance", &inst) == 0)
			ours = inst.l > 2 && (size_t)inst.l - 4 == strlen(ua_instance(r->acc->ua)) &&
			       !memcmp(inst.p + 2, ua_instance(r->acc->ua), inst.l - 4);
		if (!ours) {
			const struct sa *mine = r->nat ? &r->pub : &r->laddr;
			char host[64];
			sa_ntop(mine, host, sizeof(host));
			ours = pl_caseeq_str(&c->uri.host, host) &&
			       (c->uri.port ? c->uri.port : 5060) == sa_port(mine);
		}
		if (ours && sip_param_find(&c->params, "expires", &v) == 0 && pl_u32(&v, &n) == 0)
			return n;
	}
	if (resp->has_expires)
		return resp->expires;
	return r->expires_req;
}

/* Did the registrar see another address than ours (NAT)?  RFC 3581. */
static bool learn_public(struct reg *r, const struct sip_msg *resp)
{
	const struct sip_via *v = resp->via;
	struct sa pub;
	uint16_t port;

	if (!v || !pl_isset(&v->received))
		return false;
	/* on a stream, rport is the connection's own port: only the address
	 * tells of NAT, and the flow carries requests back to us */
	if (sip_tp_reliable(r->tp))
		port = sa_port(&r->laddr);
	else
		port = v->rport_val.l ? (uint16_t)atoi(v->rport_val.p) : sa_port(&r->laddr);
	if (sa_set_pl(&pub, &v->received, port))
		return false;
	if (sa_eq(&pub, r->nat ? &r->pub : &r->laddr))
		return false;
	r->pub = pub;
	r->nat = true;
	return true;
}

static void finish_unregister(struct reg *r)
{
	ua_done_h *h = r->doneh;
	struct ev *e;

	r->state = REG_IDLE;
	tmr_cancel(&r->tka);
	tmr_cancel(&r->tref);
	e = ev_new("unregistered");
	ev_str(e, "account", r->acc->name);
	ev_emit(e);
	r->doneh = NULL;
	if (h)
		h(r->donearg);
}

/* Take the challenge of a 401/407.  Credentials reused from an earlier
 * REGISTER (a refresh keeps the nonce) may only be stale to a registrar
 * that challenges afresh without stale=true, as RFC 2617 3.2.1 lets it:
 * a first attempt is never called wrong, only the retry answering it. */
static int take_challenge(struct reg *r, const struct sip_msg *resp)
{
	return sip_auth_challenge(r->acc->auth, resp, r->auth_rounds > 0);
}

static void on_response(int err, const struct sip_msg *resp, void *arg)
{
	struct reg *r = arg;
	struct account *a = r->acc;
	/* no response: a timeout is 408, a transport error 503 (RFC 3261
	 * 8.1.3.1), as for calls and messages */
	uint16_t code = resp ? resp->scode : err == ETIMEDOUT ? 408 : 503;
	char reason[96];

	if (resp && code < 200)
		return;
	if (r->req) {
		/* the flow and the place the registrar was reached */
		struct sip_conn *c = sip_request_conn(r->req);
		if (c && c != r->flow) {
			sip_conn_unref(r->flow);
			r->flow = sip_conn_ref(c);
			sip_conn_hold(c, true);
		}
		sip_request_target(r->req, &r->tp, &r->dst);
	}
	r->req = NULL;
	if (resp) {
		pl_strcpy(&resp->reason, reason, sizeof(reason));
	} else {
		snprintf(reason, sizeof(reason), "%s",
			 err == ETIMEDOUT ? "Request Timeout" : err == ENOENT ? "Registrar not found"
							      : strerror(err));
	}

	if (r->sending_zero) {
		r->sending_zero = false;
		if (code == 401 || code == 407) {
			if (take_challenge(r, resp) == 0 && r->auth_rounds++ < 2) {
				r->sending_zero = true;
				send_register(r, 0);
				return;
			}
		}
		finish_unregister(r);
		return;
	}
	if (code >= 200 && code < 300) {
		uint32_t g = granted(r, resp);
		uint64_t delay;
		bool first = !r->was_registered || r->state != REG_REGISTERED;

		r->auth_rounds = 0;
		r->failures = 0;
		if (learn_public(r, resp)) {
			char p[SA_STRLEN];
			log_i("account %s: the registrar sees us as %s; registering that address",
			      a->name, sa_str(&r->pub, p, sizeof(p)));
			send_register(r, r->expires_req);
			return;
		}
		r->expires = g;
		r->state = REG_REGISTERED;
		r->was_registered = true;
		r->last_status = code;
		snprintf(r->last_reason, sizeof(r->last_reason), "%s", reason);
		/* refresh well before expiry: at 85%, or halfway for short ones */
		delay = g > 60 ? (uint64_t)g * 850 : (uint64_t)g * 500;
		if (!delay)
			delay = 1000;
		tmr_start(&r->tref, delay, retry_timer, r);
		if (a->keepalive || sip_tp_reliable(r->tp))
			tmr_start(&r->tka,
				  (uint64_t)(a->keepalive ? a->keepalive : KEEPALIVE_DEFAULT_S) * 1000,
				  keepalive, r);
		if (first) {
			struct ev *e = ev_new("registered");
			ev_str(e, "account", a->name);
			ev_int(e, "expires", g);
			ev_emit(e);
		} else {
			log_d("account %s: registration refreshed for %u s", a->name, g);
		}
		return;
	}
	if ((code == 401 || code == 407) && resp) {
		int rc = take_challenge(r, resp);
		if (rc == 0 && r->auth_rounds++ < 3) {
			send_register(r, r->expires_req);
			return;
		}
		r->state = REG_FAILED;
		r->auth_rounds = 0;
		if (rc == EACCES || rc == 0) {
			log_w("account %s: authentication failed (wrong user or password?)", a->name);
			emit_failed(r, code, "authentication failed", 0);
			return; /* no retry loop on bad credentials */
		}
		emit_failed(r, code, rc == ENOTSUP ? "no supported authentication scheme" : reason, 0);
		return;
	}
	if (code == 423 && resp) {
		const struct sip_hdr *h = sip_msg_hdr(resp, SIP_H_MIN_EXPIRES);
		uint32_t min;
		if (h && pl_u32(&h->val, &min) == 0 && min > r->expires_req && min <= 86400 * 7 &&
		    r->auth_rounds++ < 3) {
			log_i("account %s: registrar wants at least %u s", a->name, min);
			r->expires_req = min;
			send_register(r, r->expires_req);
			return;
		}
	}
	r->state = REG_FAILED;
	r->auth_rounds = 0;
	emit_failed(r, code, reason, schedule_retry(r));
}

static void send_register(struct reg *r, uint32_t expires)
{
	struct account *a = r->acc;
	struct sip_req_params p;
	int err;

	memset(&p, 0, sizeof(p));
	if (r->req) {
		sip_request_abandon(r->req);
		r->req = NULL;
	}
	r->cseq++;
	r->sending_zero = expires == 0;
	/* a refresh keeps the binding: still registered, no new event */
	if (!r->sending_zero && r->state != REG_REGISTERED)
		r->state = REG_REGISTERING;
	p.method = "REGISTER";
	p.ruri = a->registrar;
	p.nexthop = a->outbound_proxy;
	p.tp = a->tp;
	p.force_tp = a->tp_set;
	p.conn = sip_conn_alive(r->flow) ? r->flow : NULL;
	p.printh = print_register;
	p.arg = r;
	err = sip_request(&r->req, ua_sip(a->ua), &p, on_response, r);
	if (err) {
		r->req = NULL;
		if (r->sending_zero) {
			finish_unregister(r);
			return;
		}
		r->state = REG_FAILED;
		emit_failed(r, 0, strerror(err), schedule_retry(r));
	}
}

/* The flow to the registrar closed: register again over a new one
 * (RFC 5626 4.4.1), unless we are on the way out. */
void reg_conn_closed(struct reg *r, struct sip_conn *c)
{
	if (!r || c != r->flow)
		return;
	sip_conn_unref(r->flow);
	r->flow = NULL;
	if (r->state == REG_REGISTERED) {
		log_i("account %s: connection to the registrar closed; registering again",
		      r->acc->name);
		tmr_start(&r->tref, 500, retry_timer, r);
	}
}

void reg_start(struct reg *r)
{
	if (!r)
		return;
	r->failures = 0;
	r->auth_rounds = 0;
	tmr_cancel(&r->tref);
	/* asked for: report the outcome even when already registered */
	r->state = REG_REGISTERING;
	send_register(r, r->expires_req);
}

/* Unregister (Expires: 0) if we are or may be registered; h runs when
 * the registrar answered or there was nothing to do. */
void reg_stop(struct reg *r, ua_done_h *h, void *arg)
{
	tmr_cancel(&r->tref);
	tmr_cancel(&r->tka);
	if (r->state == REG_IDLE || r->state == REG_FAILED || !r->acc->do_register) {
		if (r->req) {
			sip_request_abandon(r->req);
			r->req = NULL;
		}
		r->state = REG_IDLE;
		if (h)
			h(arg);
		return;
	}
	r->doneh = h;
	r->donearg = arg;
	r->auth_rounds = 0;
	r->state = REG_UNREGISTERING;
	send_register(r, 0);
}
