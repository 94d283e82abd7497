/* presence.c: subscriptions to buddies, PUBLISH of our status, and the
 * notifier for our own presence.  See presence.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "call.h"
#include "event.h"
#include "fsutil.h"
#include "log.h"
#include "loop.h"
#include "pidf.h"
#include "presence.h"
#include "sip/auth.h"
#include "sip/dialog.h"
#include "sip/sip.h"
#include "ua.h"
#include "xmalloc.h"

#define LOG_MOD "presence"

#define SUB_EXPIRES 600          /* what we ask a buddy's notifier for */
#define PUB_EXPIRES 3600
#define WATCH_MAX_EXPIRES 3600
#define WATCH_MIN_EXPIRES 60
#define MAX_WATCHERS 64
#define MAX_BUDDIES 256
#define RETRY_MIN_S 30
#define RETRY_MAX_S 3600
#define RESUB_SOON_MS 100        /* "at once" after deactivated or timeout */
#define CHURN_MAX 3              /* endings in a row before backing off */
#define CHURN_WINDOW_S 300       /* ... each within this of the one before */
#define MAX_AUTH 3

enum sub_state {
	SUB_IDLE,
	SUB_PENDING,          /* SUBSCRIBE sent, nothing back yet */
	SUB_ACTIVE,
	SUB_WAITING,          /* notifier said pending (authorisation) */
	SUB_TERMINATED,
};

struct buddy {
	struct le le;
	char *name;
	char *uri;
	struct account *acc;
	bool from_config;
	/* what we know */
	struct pidf_status st;
	bool known;
	/* the subscription */
	enum sub_state state;
	char term_reason[32];
	struct sip_request *req;
	struct sip_dialog *dlg;
	char callid[32], ltag[16];
	uint32_t cseq;
	unsigned failures, auth_rounds;
	uint32_t expires;     /* what we ask for: SUB_EXPIRES, or a 423's Min-Expires */
	bool gave_up;         /* the notifier said not to subscribe again */
	bool told_wait;       /* a retry-after (or "at once") timer is set */
	unsigned churn;       /* subscriptions ended in a row, see churn_floor() */
	uint64_t churn_at;
	struct tmr t_refresh;
	enum sip_tp tp;
	struct sa laddr;
};

struct watcher {
	struct le le;
	struct sip_dialog *dlg;
	char *who;
	uint32_t expires;
	struct tmr t_expire;
	struct sip_request *notify;
	bool again;           /* the status changed while a NOTIFY was out */
	bool ending;
	enum sip_tp tp;
	struct sa laddr;
	struct account *acc;
};

/* PUBLISH state per account */
struct pub {
	struct le le;
	struct account *acc;
	char *etag;
	struct sip_request *req;
	struct tmr t_refresh;
	unsigned auth_rounds;
	uint32_t expires;     /* what we ask for: PUB_EXPIRES, or a 423's Min-Expires */
	bool dirty;           /* our status changed since it was last sent */
	bool body;            /* the PUBLISH in flight carries the status */
	bool cond;            /* ... and a SIP-If-Match */
	bool removing;
};

static struct {
	struct ua *ua;
	struct list buddies, watchers, pubs;
	enum presence_state state;
	char note[256];
	bool on_phone;
	char *store;          /* the buddies added by command */
	bool inited;
	bool quitting;        /* presence_shutdown() ran: no new subscriptions */
} g;

static void subscribe(struct buddy *b);
static void notify_all(void);
static void publish_all(void);

const char *presence_state_name(enum presence_state st)
{
	static const char *const n[] = { "online", "away", "busy", "offline" };
	return (unsigned)st < 4 ? n[st] : "?";
}

int presence_state_parse(const char *s, enum presence_state *st)
{
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, presence_state_name((enum presence_state)i))) {
			*st = (enum presence_state)i;
			return 0;
		}
	}
	return EINVAL;
}

/* Our status as a PIDF document. */
static void own_pidf(struct pidf_status *st)
{
	memset(st, 0, sizeof(*st));
	st->basic = g.state == PRES_OFFLINE ? PIDF_CLOSED : PIDF_OPEN;
	if (g.on_phone && g.state != PRES_OFFLINE)
		st->activity = PIDF_ACT_ON_THE_PHONE;
	else if (g.state == PRES_AWAY)
		st->activity = PIDF_ACT_AWAY;
	else if (g.state == PRES_BUSY)
		st->activity = PIDF_ACT_BUSY;
	snprintf(st->note, sizeof(st->note), "%s", g.note);
}

static int own_body(struct buf *b, const struct account *acc)
{
	struct pidf_status st;
	char entity[300];
	own_pidf(&st);
	snprintf(entity, sizeof(entity), "%s", acc ? acc->aor : "sip:sipterm@localhost");
	return pidf_build(b, entity, &st);
}

/* ------------------------------------------------------------------ */
/* 423 and Retry-After, for SUBSCRIBE and PUBLISH alike */

#define MAX_MIN_EXPIRES 86400  /* a Min-Expires above a day is not followed */

/* A 423's Min-Expires when it asks for more than *cur (and not absurdly
 * much): *cur is raised and true returned, the request is to be sent
 * again.  RFC 6665 4.1.2.1 and RFC 3903 6 (the same as REGISTER's). */
static bool raise_expires(const struct sip_msg *resp, uint32_t *cur)
{
	const struct sip_hdr *h = resp ? sip_msg_hdr(resp, SIP_H_MIN_EXPIRES) : NULL;
	uint32_t min;

	if (!h || pl_u32(&h->val, &min) || min <= *cur || min > MAX_MIN_EXPIRES)
		return false;
	*cur = min;
	return true;
}

/* Retry-After's delta-seconds (RFC 3261 20.33: "120 (comment);duration=..."),
 * 0 when there is none; at most RETRY_MAX_S. */
static unsigned retry_after(const struct sip_msg *resp)
{
	const struct sip_hdr *h = resp ? sip_msg_hdr(resp, SIP_H_RETRY_AFTER) : NULL;
	unsigned s = 0;
	size_t i = 0;

	if (!h)
		return 0;
	for (; i < h->val.l && h->val.p[i] >= '0' && h->val.p[i] <= '9'; i++) {
		s = s * 10 + (unsigned)(h->val.p[i] - '0');
		if (s > RETRY_MAX_S)
			return RETRY_MAX_S;
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* buddies */

static void emit(struct buddy *b)
{
	struct ev *e = ev_new("presence");
	ev_str(e, "buddy", b->name);
	ev_str(e, "uri", b->uri);
	ev_str(e, "basic", !b->known ? "unknown" : b->st.basic == PIDF_OPEN ? "open"
						: b->st.basic == PIDF_CLOSED ? "closed" : "unknown");
	ev_str(e, "activity", b->known ? (b->st.activity == PIDF_ACT_OTHER ? b->st.activity_name
					  : pidf_activity_name(b->st.activity)) : "");
	ev_str(e, "note", b->known ? b->st.note : "");
	ev_emit(e);
}

/* Forget the subscription: its Call-ID too, so that a late NOTIFY of the
 * old dialog gets 481 instead of starting a dialog anew. */
static void buddy_reset_sub(struct buddy *b)
{
	sip_request_abandon(b->req);
	b->req = NULL;
	sip_dialog_free(b->dlg);
	b->dlg = NULL;
	b->callid[0] = '\0';
	tmr_cancel(&b->t_refresh);
}

static void buddy_free(struct buddy *b)
{
	buddy_reset_sub(b);
	list_unlink(&b->le);
	free(b->name);
	free(b->uri);
	free(b);
}

static void retry_timer(void *arg)
{
	struct buddy *b = arg;
	subscribe(b);
}

static void backoff(struct buddy *b, unsigned min_s)
{
	unsigned s = min_s ? min_s : RETRY_MIN_S;
	for (unsigned i = 0; i < b->failures && s < RETRY_MAX_S; i++)
		s *= 2;
	if (s > RETRY_MAX_S)
		s = RETRY_MAX_S;
	b->failures++;
	buddy_reset_sub(b);
	tmr_start(&b->t_refresh, (uint64_t)s * 1000, retry_timer, b);
	log_d("buddy %s: subscribing again in %u s", b->name, s);
}

static int print_subscribe(struct buf *buf, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	struct buddy *b = arg;
	struct account *a = b->acc;

	b->tp = tp;
	b->laddr = *laddr;
	buf_printf(buf, "To: <%s>\r\n", b->uri);
	if (a) {
		buf_printf(buf, "From: <%s>;tag=%s\r\n", a->aor, b->ltag);
	} else {
		buf_puts(buf, "From: <sip:sipterm@");
		sip_print_sentby(buf, laddr);
		buf_printf(buf, ">;tag=%s\r\n", b->ltag);
	}
	buf_printf(buf, "Call-ID: %s\r\nCSeq: %u SUBSCRIBE\r\nMax-Forwards: 70\r\n", b->callid,
		   b->cseq);
	if (a && a->outbound_proxy)
		buf_printf(buf, "Route: <%s;lr>\r\n", a->outbound_proxy);
	buf_puts(buf, "Contact: ");
	ua_contact(g.ua, a, buf, tp, laddr);
	buf_printf(buf, "\r\nEvent: presence\r\nAccept: application/pidf+xml\r\nExpires: %u\r\n"
			"Allow: %s\r\n", b->expires, ua_allow());
	if (sip_config(ua_sip(g.ua))->user_agent)
		buf_printf(buf, "User-Agent: %s\r\n", sip_config(ua_sip(g.ua))->user_agent);
	if (a)
		sip_auth_apply(a->auth, buf, "SUBSCRIBE", b->uri, NULL);
	buf_puts(buf, "Content-Length: 0\r\n\r\n");
	return buf->err;
}

static void refresh_timer(void *arg)
{
	subscribe(arg);
}

static void on_sub_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct buddy *b = arg;
	uint16_t code;

	if (resp && resp->scode < 200)
		return;
	b->req = NULL;
	code = resp ? resp->scode : 408;
	if (!err && code < 300) {
		uint32_t exp = resp->has_expires ? resp->expires : b->expires;
		b->auth_rounds = 0;
		b->failures = 0;
		if (!b->dlg && sip_dialog_uac(&b->dlg, b->uri, resp) == 0)
			b->dlg->lseq = b->cseq;
		else if (b->dlg)
			sip_dialog_update_target(b->dlg, resp);
		if (b->state == SUB_PENDING)
			b->state = SUB_ACTIVE;
		if (!exp) {
			backoff(b, RETRY_MIN_S);
			return;
		}
		tmr_start(&b->t_refresh, exp > 60 ? (uint64_t)exp * 850 : (uint64_t)exp * 500,
			  refresh_timer, b);
		return;
	}
	if ((code == 401 || code == 407) && resp && b->acc && b->auth_rounds++ < MAX_AUTH &&
	    sip_auth_challenge(b->acc->auth, resp, b->auth_rounds > 1) == 0) {
		subscribe(b);
		return;
	}
	if (code == 423 && b->auth_rounds++ < MAX_AUTH && raise_expires(resp, &b->expires)) {
		log_i("buddy %s: the notifier wants at least %u s", b->name, b->expires);
		subscribe(b);
		return;
	}
	if (code == 481 && b->dlg) {
		/* the subscription is gone at the other end: a new one */
		buddy_reset_sub(b);
		subscribe(b);
		return;
	}
	if (code == 489 || code == 403 || code == 603 || code == 401 || code == 407) {
		log_i("buddy %s: the server refused the subscription (%u); not retrying soon",
		      b->name, code);
		b->state = SUB_TERMINATED;
		snprintf(b->term_reason, sizeof(b->term_reason), "%u", code);
		backoff(b, RETRY_MAX_S / 2);
		return;
	}
	b->state = SUB_TERMINATED;
	snprintf(b->term_reason, sizeof(b->term_reason), "%u", code);
	/* a 503, 480 or 404 may say when to come back (RFC 3261 21.5.4) */
	backoff(b, retry_after(resp));
}

/* SUBSCRIBE: in the dialog when there is one (a refresh), else anew. */
static void subscribe(struct buddy *b)
{
	int err;

	tmr_cancel(&b->t_refresh);
	b->told_wait = false;
	if (g.quitting)
		return; /* e.g. a retry after a final NOTIFY that came during the exit */
	if (b->req) {
		sip_request_abandon(b->req);
		b->req = NULL;
	}
	if (b->dlg && b->state != SUB_TERMINATED) {
		struct buf h;
		buf_init(&h, 4096);
		buf_puts(&h, "Contact: ");
		ua_contact(g.ua, b->acc, &h, b->tp, &b->laddr);
		buf_printf(&h, "\r\nEvent: presence\r\nAccept: application/pidf+xml\r\nExpires: %u\r\n",
			   b->expires);
		err = sip_dialog_request(&b->req, ua_sip(g.ua), b->dlg, "SUBSCRIBE", ++b->dlg->lseq,
					 buf_cstr(&h), NULL, NULL, b->acc ? b->acc->auth : NULL,
					 b->tp, on_sub_resp, b);
		buf_free(&h);
	} else {
		struct sip_req_params p;
		buddy_reset_sub(b);
		sip_rand_token(b->callid, 24);
		sip_rand_token(b->ltag, 10);
		b->cseq++;
		b->state = SUB_PENDING;
		memset(&p, 0, sizeof(p));
		p.method = "SUBSCRIBE";
		p.ruri = b->uri;
		p.nexthop = b->acc ? b->acc->outbound_proxy : NULL;
		if (b->acc && b->acc->tp_set) {
			p.tp = b->acc->tp;
			p.force_tp = true;
		}
		p.printh = print_subscribe;
		p.arg = b;
		err = sip_request(&b->req, ua_sip(g.ua), &p, on_sub_resp, b);
	}
	if (err) {
		log_w("buddy %s: cannot subscribe: %s", b->name, strerror(err));
		backoff(b, 0);
	}
}

/* Subscription-State: active|pending|terminated [;expires=N][;reason=R]
 * [;retry-after=N] (RFC 6665 8.2.3). */
struct substate {
	struct pl state, reason;
	uint32_t expires, retry;
	bool has_retry;
};

static void parse_substate(const struct sip_msg *m, struct substate *ss)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_SUBSCRIPTION_STATE);
	struct pl v, params, val;
	const char *semi;

	memset(ss, 0, sizeof(*ss));
	if (!h)
		return;
	v = h->val;
	semi = pl_chr(&v, ';');
	params = semi ? pl_make(semi, (size_t)(v.p + v.l - semi)) : PL_NULL;
	if (semi)
		v.l = (size_t)(semi - v.p);
	pl_trim(&v);
	ss->state = v;
	if (sip_param_find(&params, "expires", &val) == 0)
		pl_u32(&val, &ss->expires);
	if (sip_param_find(&params, "reason", &val) == 0)
		ss->reason = val;
	if (sip_param_find(&params, "retry-after", &val) == 0)
		ss->has_retry = pl_u32(&val, &ss->retry) == 0;
}

/* RFC 6665 4.1.3: what the reason of a terminated subscription asks of
 * the subscriber, as the seconds to wait before subscribing anew (0: at
 * once) or -1 for never.  retry-after counts only where the RFC gives it
 * a meaning: probation, giveup, and no or an unknown reason. */
static int64_t resubscribe_after(const struct substate *ss)
{
	const struct pl *r = &ss->reason;

	if (pl_caseeq_str(r, "deactivated") || pl_caseeq_str(r, "timeout"))
		return 0;
	if (pl_caseeq_str(r, "rejected") || pl_caseeq_str(r, "noresource") ||
	    pl_caseeq_str(r, "invariant"))
		return -1;
	return ss->has_retry ? (int64_t)ss->retry : RETRY_MIN_S;
}

/* A notifier that ends every subscription soon after it began must not
 * get a storm of SUBSCRIBEs: past CHURN_MAX endings, each less than
 * CHURN_WINDOW_S after the one before, the wait doubles from RETRY_MIN_S
 * (and never drops below what the notifier asked for). */
static uint64_t churn_floor(struct buddy *b, uint64_t s)
{
	uint64_t now = tmr_now(), f = RETRY_MIN_S;

	if (b->churn && now - b->churn_at > (uint64_t)CHURN_WINDOW_S * 1000)
		b->churn = 0;
	b->churn_at = now;
	if (++b->churn <= CHURN_MAX)
		return s;
	for (unsigned i = CHURN_MAX + 1; i < b->churn && f < RETRY_MAX_S; i++)
		f *= 2;
	if (f > RETRY_MAX_S)
		f = RETRY_MAX_S;
	return f > s ? f : s;
}

static bool event_is_presence(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_EVENT);
	struct pl v;
	const char *semi;
	if (!h)
		return false;
	v = h->val;
	semi = pl_chr(&v, ';');
	if (semi)
		v.l = (size_t)(semi - v.p);
	pl_trim(&v);
	return pl_caseeq_str(&v, "presence");
}

static void on_notify(struct buddy *b, struct sip_strans *st, const struct sip_msg *req)
{
	struct substate ss;
	int64_t wait_s;
	char why[32];

	if (!event_is_presence(req)) {
		sip_replyf(st, 489, NULL, "Allow-Events: presence\r\n");
		return;
	}
	if (!b->dlg) {
		/* the NOTIFY came before the 2xx: it makes the dialog */
		if (sip_dialog_uas(&b->dlg, req, b->ltag)) {
			sip_reply(st, 500, NULL, NULL, NULL, NULL);
			return;
		}
		b->dlg->lseq = b->cseq;
	} else if (sip_dialog_check_cseq(b->dlg, req)) {
		sip_reply(st, 500, "CSeq out of order", NULL, NULL, NULL);
		return;
	}
	sip_dialog_update_target(b->dlg, req);
	sip_reply(st, 200, NULL, NULL, NULL, NULL);
	parse_substate(req, &ss);
	if (req->body.l && pl_caseeq_str(&req->ctype, "application/pidf+xml")) {
		struct pidf_status ps;
		const char *err;
		if (pidf_parse(&ps, req->body.p, req->body.l, &err) == 0) {
			b->st = ps;
			b->known = true;
			emit(b);
		} else {
			log_i("buddy %s: ignoring a bad presence document: %s", b->name, err);
		}
	}
	if (pl_caseeq_str(&ss.state, "terminated")) {
		pl_strcpy(&ss.reason, why, sizeof(why));
		b->state = SUB_TERMINATED;
		snprintf(b->term_reason, sizeof(b->term_reason), "%s", why[0] ? why : "none");
		if (b->known) {
			b->st.basic = PIDF_UNKNOWN;
			b->known = false;
			emit(b);
		}
		buddy_reset_sub(b);
		wait_s = resubscribe_after(&ss);
		if (wait_s < 0) {
			log_i("buddy %s: subscription terminated (%s); not subscribing again",
			      b->name, b->term_reason);
			b->gave_up = true;
			return;
		}
		wait_s = (int64_t)churn_floor(b, (uint64_t)wait_s);
		log_i("buddy %s: subscription terminated (%s); subscribing again in %lld s",
		      b->name, b->term_reason, (long long)wait_s);
		b->told_wait = true;
		tmr_start(&b->t_refresh, wait_s ? (uint64_t)wait_s * 1000 : RESUB_SOON_MS,
			  retry_timer, b);
		return;
	}
	b->state = pl_caseeq_str(&ss.state, "pending") ? SUB_WAITING : SUB_ACTIVE;
	if (ss.expires) {
		uint64_t at = ss.expires > 60 ? (uint64_t)ss.expires * 850
					      : (uint64_t)ss.expires * 500;
		if (!tmr_active(&b->t_refresh) || tmr_remaining(&b->t_refresh) > at)
			tmr_start(&b->t_refresh, at, refresh_timer, b);
	}
}

static struct buddy *buddy_find(const char *name)
{
	LIST_FOREACH(&g.buddies, e) {
		struct buddy *b = e->data;
		if (!strcmp(b->name, name))
			return b;
	}
	return NULL;
}

/* The buddies added by command survive restarts (atomic rewrite). */
static void save_buddies(void)
{
	struct buf b;
	if (!g.store)
		return;
	buf_init(&b, 0);
	LIST_FOREACH(&g.buddies, e) {
		struct buddy *x = e->data;
		if (!x->from_config)
			buf_printf(&b, "%s\t%s\n", x->name, x->uri);
	}
	if (fs_write_atomic(g.store, b.p ? b.p : "", b.len, 0600))
		log_w("cannot save the buddy list to %s", g.store);
	buf_free(&b);
}

static struct buddy *buddy_new(const char *name, const char *uri, struct account *acc,
			       bool from_config)
{
	struct buddy *b = xcalloc(1, sizeof(*b));
	b->name = xstrdup(name);
	b->uri = xstrdup(uri);
	b->acc = acc;
	b->from_config = from_config;
	b->expires = SUB_EXPIRES;
	tmr_init(&b->t_refresh);
	list_append(&g.buddies, &b->le, b);
	return b;
}

/* A short name for a URI: its user part. */
static void default_name(const char *uri, char *out, size_t size)
{
	const char *p = strchr(uri, ':'), *at;
	p = p ? p + 1 : uri;
	at = strchr(p, '@');
	snprintf(out, size, "%.*s", at ? (int)(at - p) : (int)strlen(p), p);
}

int presence_buddy_add(const char *text, const char *name, char *err, size_t errsz)
{
	struct account *acc = ua_account_default(g.ua);
	char *uri = ua_expand_uri(acc, text), nm[64];
	struct sip_uri u;
	struct pl t;
	struct buddy *b;

	if (!uri) {
		snprintf(err, errsz, "'%s' is not an address: write sip:user@host or user@host", text);
		return EINVAL;
	}
	t = pl_cstr(uri);
	if (sip_uri_parse(&u, &t) || (u.scheme != SIP_SCHEME_SIP && u.scheme != SIP_SCHEME_SIPS)) {
		snprintf(err, errsz, "'%s' is not a SIP address", text);
		free(uri);
		return EINVAL;
	}
	if (!name) {
		default_name(uri, nm, sizeof(nm));
		name = nm;
	}
	if (buddy_find(name)) {
		snprintf(err, errsz, "there is already a buddy '%s'", name);
		free(uri);
		return EEXIST;
	}
	if (list_count(&g.buddies) >= MAX_BUDDIES) {
		snprintf(err, errsz, "too many buddies (at most %d)", MAX_BUDDIES);
		free(uri);
		return ENOSPC;
	}
	b = buddy_new(name, uri, acc, false);
	free(uri);
	save_buddies();
	subscribe(b);
	return 0;
}

int presence_buddy_remove(const char *name)
{
	struct buddy *b = buddy_find(name);
	if (!b)
		return ENOENT;
	if (b->dlg && b->state == SUB_ACTIVE) {
		/* unsubscribe (Expires: 0), fire and forget */
		struct buf h;
		buf_init(&h, 4096);
		buf_puts(&h, "Contact: ");
		ua_contact(g.ua, b->acc, &h, b->tp, &b->laddr);
		buf_puts(&h, "\r\nEvent: presence\r\nExpires: 0\r\n");
		sip_dialog_request(NULL, ua_sip(g.ua), b->dlg, "SUBSCRIBE", ++b->dlg->lseq,
				   buf_cstr(&h), NULL, NULL, b->acc ? b->acc->auth : NULL, b->tp,
				   NULL, NULL);
		buf_free(&h);
	}
	if (b->from_config) {
		log_i("buddy %s comes from the config file: removed for this run", name);
		buddy_free(b);
		return 0;
	}
	buddy_free(b);
	save_buddies();
	return 0;
}

size_t presence_buddy_count(void)
{
	return list_count(&g.buddies);
}

bool presence_buddy_get(size_t i, struct buddy_info *out)
{
	static char sub[64];
	size_t k = 0;
	LIST_FOREACH(&g.buddies, e) {
		struct buddy *b = e->data;
		if (k++ != i)
			continue;
		out->name = b->name;
		out->uri = b->uri;
		out->basic = !b->known ? "unknown" : b->st.basic == PIDF_OPEN ? "open"
			     : b->st.basic == PIDF_CLOSED ? "closed" : "unknown";
		out->activity = !b->known ? "" : b->st.activity == PIDF_ACT_OTHER
					       ? b->st.activity_name : pidf_activity_name(b->st.activity);
		out->note = b->known ? b->st.note : "";
		switch (b->state) {
		case SUB_ACTIVE:
			out->sub_state = "active";
			break;
		case SUB_WAITING:
			out->sub_state = "pending";
			break;
		case SUB_TERMINATED:
			snprintf(sub, sizeof(sub), "terminated: %s", b->term_reason);
			out->sub_state = sub;
			break;
		default:
			out->sub_state = "subscribing";
			break;
		}
		out->from_config = b->from_config;
		return true;
	}
	return false;
}

/* The buddy name for a peer's URI: the same address, or in direct mode
 * (where sipterm's own user part is "sipterm") the same host and port. */
const char *presence_buddy_name(const char *uri)
{
	struct sip_uri u, v;
	struct pl t = pl_cstr(uri);

	if (sip_uri_parse(&u, &t))
		return NULL;
	LIST_FOREACH(&g.buddies, e) {
		struct buddy *b = e->data;
		struct pl bt = pl_cstr(b->uri);
		if (sip_uri_parse(&v, &bt))
			continue;
		if (!pl_casecmp_eq(&u.host, &v.host) || u.port != v.port)
			continue;
		if (pl_eq(&u.user, &v.user) || pl_eq_str(&u.user, "sipterm"))
			return b->name;
	}
	return NULL;
}

const char *presence_buddy_uri(const char *name)
{
	struct buddy *b = buddy_find(name);
	return b ? b->uri : NULL;
}

/* ------------------------------------------------------------------ */
/* the notifier: our own presence for those who SUBSCRIBE */

static void watcher_free(struct watcher *w)
{
	tmr_cancel(&w->t_expire);
	sip_request_abandon(w->notify);
	sip_dialog_free(w->dlg);
	list_unlink(&w->le);
	free(w->who);
	free(w);
}

static void watcher_reap(void *arg)
{
	watcher_free(arg);
}

static void send_notify(struct watcher *w);

static void on_notify_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct watcher *w = arg;
	if (resp && resp->scode < 200)
		return;
	w->notify = NULL;
	if (w->ending || err || (resp && (resp->scode == 481 || resp->scode >= 500))) {
		/* the watcher is gone (RFC 6665 4.2.2: 481 ends the subscription) */
		if (!w->ending && (err || resp->scode == 481))
			log_i("watcher %s is gone; dropping it", w->who);
		list_unlink(&w->le);
		loop_reap(watcher_reap, w);
		return;
	}
	if (w->again) {
		w->again = false;
		send_notify(w);
	}
}

static void send_notify(struct watcher *w)
{
	struct buf h, body;
	char state[64];
	uint32_t left = w->ending ? 0 : (uint32_t)(tmr_remaining(&w->t_expire) / 1000);

	if (w->notify) {
		w->again = true;
		return;
	}
	if (w->ending)
		snprintf(state, sizeof(state), "terminated;reason=timeout");
	else
		snprintf(state, sizeof(state), "active;expires=%u", left);
	buf_init(&h, 4096);
	buf_init(&body, 8192);
	buf_puts(&h, "Contact: ");
	ua_contact(g.ua, w->acc, &h, w->tp, &w->laddr);
	buf_printf(&h, "\r\nEvent: presence\r\nSubscription-State: %s\r\n", state);
	own_body(&body, w->acc);
	sip_dialog_request(&w->notify, ua_sip(g.ua), w->dlg, "NOTIFY", ++w->dlg->lseq,
			   buf_cstr(&h), "application/pidf+xml", &(struct pl){ body.p, body.len },
			   NULL, w->tp, on_notify_resp, w);
	buf_free(&h);
	buf_free(&body);
}

static void watcher_expired(void *arg)
{
	struct watcher *w = arg;
	w->ending = true;
	send_notify(w);
}

static void notify_all(void)
{
	LIST_FOREACH(&g.watchers, e) {
		struct watcher *w = e->data;
		if (!w->ending)
			send_notify(w);
	}
}

static uint32_t watch_expires(const struct sip_msg *req)
{
	uint32_t e = req->has_expires ? req->expires : WATCH_MAX_EXPIRES;
	if (e && e < WATCH_MIN_EXPIRES)
		e = WATCH_MIN_EXPIRES;
	if (e > WATCH_MAX_EXPIRES)
		e = WATCH_MAX_EXPIRES;
	return e;
}

/* A new SUBSCRIBE for our presence (RFC 3856 6). */
static bool on_subscribe(struct ua *ua, struct account *acc, struct sip_strans *st,
			 const struct sip_msg *req, const struct sip_rx *rx, void *arg)
{
	struct watcher *w;
	uint32_t exp;
	struct buf h;
	(void)ua;
	(void)arg;

	if (!event_is_presence(req)) {
		sip_replyf(st, 489, NULL, "Allow-Events: presence\r\n");
		return true;
	}
	if (g.quitting) {
		/* we are going away: a subscription accepted now would never
		 * be terminated, and the watcher would see us as present */
		sip_replyf(st, 480, NULL, "Retry-After: 30\r\n");
		return true;
	}
	if (list_count(&g.watchers) >= MAX_WATCHERS) {
		sip_replyf(st, 503, NULL, "Retry-After: 300\r\n");
		return true;
	}
	exp = watch_expires(req);
	w = xcalloc(1, sizeof(*w));
	w->acc = acc;
	w->who = pl_strdup(&req->from.auri);
	w->tp = rx->tp;
	w->laddr = rx->local;
	if (sa_is_any(&w->laddr))
		sip_laddr(ua_sip(g.ua), rx->tp, &rx->src, &w->laddr);
	tmr_init(&w->t_expire);
	if (sip_dialog_uas(&w->dlg, req, sip_strans_tag(st))) {
		sip_reply(st, 500, NULL, NULL, NULL, NULL);
		free(w->who);
		free(w);
		return true;
	}
	buf_init(&h, 4096);
	buf_puts(&h, "Contact: ");
	ua_contact(g.ua, acc, &h, w->tp, &w->laddr);
	buf_printf(&h, "\r\nExpires: %u\r\n", exp);
	sip_reply(st, 200, NULL, buf_cstr(&h), NULL, NULL);
	buf_free(&h);
	list_append(&g.watchers, &w->le, w);
	log_i("%s watches our presence for %u s", w->who, exp);
	if (exp) {
		tmr_start(&w->t_expire, (uint64_t)exp * 1000, watcher_expired, w);
	} else {
		w->ending = true; /* a fetch: one NOTIFY, then done */
	}
	send_notify(w);
	return true;
}

/* In-dialog requests: NOTIFYs for our subscriptions, refreshes from our
 * watchers. */
static bool on_dialog(struct ua *ua, struct sip_strans *st, const struct sip_msg *req,
		      const struct sip_rx *rx, void *arg)
{
	(void)ua;
	(void)rx;
	(void)arg;
	if (!st)
		return false;
	if (req->mid == SIP_M_NOTIFY) {
		LIST_FOREACH(&g.buddies, e) {
			struct buddy *b = e->data;
			bool match = b->dlg ? sip_dialog_match_req(b->dlg, req)
					    : (pl_eq_str(&req->callid, b->callid) &&
					       pl_eq_str(&req->to.tag, b->ltag));
			if (match) {
				on_notify(b, st, req);
				return true;
			}
		}
		return false;
	}
	if (req->mid == SIP_M_SUBSCRIBE) {
		LIST_FOREACH(&g.watchers, e) {
			struct watcher *w = e->data;
			uint32_t exp;
			struct buf h;
			if (!sip_dialog_match_req(w->dlg, req))
				continue;
			exp = watch_expires(req);
			buf_init(&h, 64);
			buf_printf(&h, "Expires: %u\r\n", exp);
			sip_reply(st, 200, NULL, buf_cstr(&h), NULL, NULL);
			buf_free(&h);
			sip_dialog_check_cseq(w->dlg, req);
			if (exp) {
				tmr_start(&w->t_expire, (uint64_t)exp * 1000, watcher_expired, w);
			} else {
				tmr_cancel(&w->t_expire);
				w->ending = true;
			}
			send_notify(w);
			return true;
		}
	}
	return false;
}

/* A NOTIFY outside any dialog we know (its subscription ended here). */
static bool on_stray_notify(struct ua *ua, struct account *acc, struct sip_strans *st,
			    const struct sip_msg *req, const struct sip_rx *rx, void *arg)
{
	(void)ua;
	(void)acc;
	(void)rx;
	(void)arg;
	sip_reply(st, 481, NULL, NULL, NULL, NULL);
	(void)req;
	return true;
}

unsigned presence_watchers(void)
{
	return (unsigned)list_count(&g.watchers);
}

/* ------------------------------------------------------------------ */
/* PUBLISH (RFC 3903) */

static void publish(struct pub *p);

static void pub_refresh(void *arg)
{
	publish(arg);
}

static int print_publish(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	struct pub *p = arg;
	struct account *a = p->acc;
	struct buf body;
	char tag[16];
	bool refresh_only = !p->body;

	(void)laddr;
	(void)tp;
	sip_rand_token(tag, 10);
	buf_init(&body, 8192);
	if (!refresh_only)
		own_body(&body, a);
	buf_printf(b, "To: <%s>\r\nFrom: <%s>;tag=%s\r\n", a->aor, a->aor, tag);
	{
		char cid[32];
		sip_rand_token(cid, 24);
		buf_printf(b, "Call-ID: %s\r\nCSeq: 1 PUBLISH\r\nMax-Forwards: 70\r\n", cid);
	}
	if (a->outbound_proxy)
		buf_printf(b, "Route: <%s;lr>\r\n", a->outbound_proxy);
	buf_printf(b, "Event: presence\r\nExpires: %u\r\n",
		   p->removing ? 0 : p->expires);
	p->cond = p->etag != NULL;
	if (p->etag)
		buf_printf(b, "SIP-If-Match: %s\r\n", p->etag);
	if (sip_config(ua_sip(g.ua))->user_agent)
		buf_printf(b, "User-Agent: %s\r\n", sip_config(ua_sip(g.ua))->user_agent);
	sip_auth_apply(a->auth, b, "PUBLISH", a->aor, NULL);
	if (body.len) {
		buf_printf(b, "Content-Type: application/pidf+xml\r\nContent-Length: %zu\r\n\r\n",
			   body.len);
		buf_append(b, body.p, body.len);
	} else {
		buf_puts(b, "Content-Length: 0\r\n\r\n");
	}
	buf_free(&body);
	return b->err;
}

static void on_pub_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct pub *p = arg;
	uint16_t code;

	if (resp && resp->scode < 200)
		return;
	p->req = NULL;
	code = resp ? resp->scode : 408;
	if (!err && code < 300) {
		const struct sip_hdr *h = sip_msg_hdr(resp, SIP_H_SIP_ETAG);
		uint32_t exp = resp->has_expires ? resp->expires : p->expires;
		p->auth_rounds = 0;
		if (p->removing) {
			free(p->etag);
			p->etag = NULL;
			p->removing = false;
			return;
		}
		if (h) {
			free(p->etag);
			p->etag = pl_strdup(&h->val);
		}
		if (exp)
			tmr_start(&p->t_refresh, exp > 60 ? (uint64_t)exp * 850 : (uint64_t)exp * 500,
				  pub_refresh, p);
		if (p->dirty)
			publish(p);
		return;
	}
	if ((code == 401 || code == 407) && resp && p->auth_rounds++ < MAX_AUTH &&
	    sip_auth_challenge(p->acc->auth, resp, p->auth_rounds > 1) == 0) {
		p->dirty |= p->body; /* the retry carries what this one did */
		publish(p);
		return;
	}
	if (code == 412 && p->cond) {
		/* RFC 3903 4.4: our entity tag is unknown there (the state
		 * expired, or the server restarted): publish the whole state
		 * anew, as an initial PUBLISH without SIP-If-Match.  A 412 to
		 * that (it had no condition to fail) is a plain failure below,
		 * so this cannot loop. */
		log_i("account %s: the presence server lost our publication (412); "
		      "publishing it anew", p->acc->name);
		free(p->etag);
		p->etag = NULL;
		p->dirty = true;
		if (p->removing)
			p->removing = false; /* nothing left there to remove */
		else
			publish(p);
		return;
	}
	if (code == 423 && !p->removing && p->auth_rounds++ < MAX_AUTH &&
	    raise_expires(resp, &p->expires)) {
		log_i("account %s: the presence server wants at least %u s", p->acc->name,
		      p->expires);
		p->dirty |= p->body;
		publish(p);
		return;
	}
	log_w("account %s: PUBLISH failed: %u", p->acc->name, code);
	p->dirty |= p->body;
	{
		unsigned ra = retry_after(resp);
		tmr_start(&p->t_refresh, (uint64_t)(ra ? ra : RETRY_MIN_S * 4) * 1000, pub_refresh, p);
	}
}

static void publish(struct pub *p)
{
	struct sip_req_params sp;
	int err;

	if (p->req) {
		p->dirty = true;
		return;
	}
	tmr_cancel(&p->t_refresh);
	/* the whole status when it changed (or was never published); a bare
	 * refresh (SIP-If-Match, no body) otherwise.  Decided here: the
	 * request is printed later, once the next hop is resolved. */
	p->body = !p->removing && (p->dirty || !p->etag);
	memset(&sp, 0, sizeof(sp));
	sp.method = "PUBLISH";
	sp.ruri = p->acc->aor;
	sp.nexthop = p->acc->outbound_proxy ? p->acc->outbound_proxy : p->acc->registrar;
	if (p->acc->tp_set) {
		sp.tp = p->acc->tp;
		sp.force_tp = true;
	}
	sp.printh = print_publish;
	sp.arg = p;
	err = sip_request(&p->req, ua_sip(g.ua), &sp, on_pub_resp, p);
	if (!err)
		p->dirty = false;
	else
		log_w("account %s: cannot PUBLISH: %s", p->acc->name, strerror(err));
}

/* Our status changed: every account publishes it (or will, once
 * registered). */
static void publish_all(void)
{
	LIST_FOREACH(&g.pubs, e) {
		struct pub *p = e->data;
		p->dirty = true;
		if (reg_registered(p->acc->reg))
			publish(p);
	}
}

int presence_set_status(enum presence_state st, const char *note)
{
	g.state = st;
	snprintf(g.note, sizeof(g.note), "%s", note ? note : "");
	publish_all();
	notify_all();
	return 0;
}

enum presence_state presence_status(const char **note)
{
	if (note)
		*note = g.note;
	return g.state;
}

/* The calls answered and not ended (ringing ones do not put us on the
 * phone).  O(calls). */
static unsigned calls_up(void)
{
	unsigned n = 0;
	LIST_FOREACH(call_list(), e) {
		if (call_state(e->data) == CALL_ESTABLISHED)
			n++;
	}
	return n;
}

/* Registered: publish; calls: on-the-phone while one is up. */
static void on_event(const struct ev *e, void *arg)
{
	(void)arg;
	if (!strcmp(e->name, "registered")) {
		const char *name = ev_get(e, "account");
		LIST_FOREACH(&g.pubs, el) {
			struct pub *p = el->data;
			if (name && !strcmp(p->acc->name, name) && !p->etag)
				publish(p);
		}
		/* subscriptions that failed while unregistered: try again now
		 * (not those a notifier told when to come back, or not to) */
		LIST_FOREACH(&g.buddies, el) {
			struct buddy *b = el->data;
			if (b->state == SUB_TERMINATED && !b->gave_up && !b->told_wait)
				subscribe(b);
		}
		return;
	}
	if (!strcmp(e->name, "call-answered") || !strcmp(e->name, "call-ended")) {
		/* the call that ended is already CALL_ENDED: any call still
		 * up keeps us on the phone */
		bool on = !strcmp(e->name, "call-answered") || calls_up() > 0;
		if (on != g.on_phone) {
			g.on_phone = on;
			publish_all();
			notify_all();
		}
	}
}

/* ------------------------------------------------------------------ */

static const char *const buddy_keys[] = { "uri", "account", NULL };

static void load_store(void)
{
	char *text, *save = NULL;
	size_t len;

	if (!g.store || fs_read_file(g.store, &text, &len, 1 << 20, NULL))
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(l, '\t');
		if (!tab || buddy_find(l))
			continue;
		*tab = '\0';
		buddy_new(l, tab + 1, ua_account_default(g.ua), false);
	}
	free(text);
}

int presence_init(struct ua *ua, const struct conf *c, char *err, size_t errsz)
{
	char dir[1024];

	g.ua = ua;
	list_init(&g.buddies);
	list_init(&g.watchers);
	list_init(&g.pubs);
	g.state = PRES_ONLINE;
	for (const struct conf_sect *s = c ? c->sects : NULL; s; s = s->next) {
		const char *uri, *an;
		struct account *acc = ua_account_default(ua);
		char *full;
		int rc;
		if (strcmp(s->name, "buddy"))
			continue;
		if (!s->arg) {
			conf_errf(c, s->line, err, errsz, "a buddy needs a name: write [buddy NAME]");
			return EINVAL;
		}
		if ((rc = conf_check_keys(c, s, buddy_keys, err, errsz)))
			return rc;
		if ((an = conf_get(s, "account")) && !(acc = ua_account(ua, an))) {
			conf_errf(c, conf_kv_find(s, "account")->line, err, errsz,
				  "account = %s: no [account %s] in this file", an, an);
			return EINVAL;
		}
		uri = conf_get(s, "uri");
		if (!uri || !(full = ua_expand_uri(acc, uri))) {
			conf_errf(c, s->line, err, errsz,
				  "[buddy %s] needs uri = sip:user@host (or user@host)", s->arg);
			return EINVAL;
		}
		if (buddy_find(s->arg)) {
			conf_errf(c, s->line, err, errsz, "[buddy %s] is defined twice", s->arg);
			free(full);
			return EINVAL;
		}
		buddy_new(s->arg, full, acc, true);
		free(full);
	}
	if (fs_data_dir(dir, sizeof(dir), NULL) == 0 && fs_mkdir_p(dir, 0700) == 0)
		xasprintf(&g.store, "%s/buddies", dir);
	load_store();
	LIST_FOREACH(ua_accounts(ua), e) {
		struct pub *p = xcalloc(1, sizeof(*p));
		p->acc = e->data;
		p->expires = PUB_EXPIRES;
		tmr_init(&p->t_refresh);
		list_append(&g.pubs, &p->le, p);
	}
	ua_set_handler(ua, SIP_M_SUBSCRIBE, on_subscribe, NULL);
	ua_set_handler(ua, SIP_M_NOTIFY, on_stray_notify, NULL);
	ua_add_dialog_handler(ua, on_dialog, NULL);
	ev_sink_add(on_event, NULL);
	g.inited = true;
	return 0;
}

/* Watch every buddy (after the accounts started registering). */
void presence_start(void)
{
	LIST_FOREACH(&g.buddies, e)
		subscribe(e->data);
}

/* On the way out: unsubscribe, tell watchers it is over, withdraw what
 * we published (the UA waits for these requests before exiting). */
void presence_shutdown(void)
{
	g.quitting = true;
	LIST_FOREACH(&g.buddies, e) {
		struct buddy *b = e->data;
		tmr_cancel(&b->t_refresh);
		/* a SUBSCRIBE still in flight (to a buddy gone silent) would
		 * only hold the exit up until the UA gives up waiting */
		sip_request_abandon(b->req);
		b->req = NULL;
		if (b->dlg && b->state == SUB_ACTIVE) {
			struct buf h;
			buf_init(&h, 4096);
			buf_puts(&h, "Contact: ");
			ua_contact(g.ua, b->acc, &h, b->tp, &b->laddr);
			buf_puts(&h, "\r\nEvent: presence\r\nExpires: 0\r\n");
			sip_dialog_request(NULL, ua_sip(g.ua), b->dlg, "SUBSCRIBE", ++b->dlg->lseq,
					   buf_cstr(&h), NULL, NULL, b->acc ? b->acc->auth : NULL,
					   b->tp, NULL, NULL);
			buf_free(&h);
			b->state = SUB_TERMINATED;
		}
	}
	LIST_FOREACH(&g.watchers, e) {
		struct watcher *w = e->data;
		if (!w->ending) {
			tmr_cancel(&w->t_expire);
			w->ending = true;
			send_notify(w);
		}
	}
	LIST_FOREACH(&g.pubs, e) {
		struct pub *p = e->data;
		tmr_cancel(&p->t_refresh);
		if (p->etag && !p->req) {
			p->removing = true;
			publish(p);
		}
	}
}

void presence_close(void)
{
	if (!g.inited)
		return;
	ev_sink_del(on_event, NULL);
	LIST_FOREACH_SAFE(&g.buddies, e, tmp)
		buddy_free(e->data);
	LIST_FOREACH_SAFE(&g.watchers, e, tmp)
		watcher_free(e->data);
	LIST_FOREACH_SAFE(&g.pubs, e, tmp) {
		struct pub *p = e->data;
		tmr_cancel(&p->t_refresh);
		sip_request_abandon(p->req);
		list_unlink(&p->le);
		free(p->etag);
		free(p);
	}
	free(g.store);
	memset(&g, 0, sizeof(g));
}
