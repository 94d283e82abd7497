/* ua.c: the user agent core.  Owns the stack and the accounts; runs the
 * RFC 3261 8.2 checks on each new request in the order that gives each
 * torture message of RFC 4475 its expected answer (505, 501, 400, 405,
 * 483, 416, 420, 415, 406), answers OPTIONS, matches requests to
 * accounts, and hands the rest to the module registered for the method. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "fsutil.h"
#include "log.h"
#include "loop.h"
#include "sip/auth.h"
#include "sip/resolv.h"
#include "ua.h"
#include "xmalloc.h"

#define LOG_MOD "ua"

struct handler {
	ua_req_h *h;
	void *arg;
};

struct ua {
	struct sip *sip;
	struct list accounts;
	char instance[64];       /* urn:uuid:... shared by all accounts */
	struct handler h[SIP_M_NUM];
	struct {
		ua_dlg_h *h;
		void *arg;
	} dlg[4];                /* modules owning dialogs: calls, subscriptions */
	unsigned ndlg;
	sip_stray_h *strayh;
	void *strayarg;
	/* shutdown */
	struct tmr tdown, tdrain;
	unsigned pending_unreg;
	ua_done_h *doneh;
	void *donearg;
};

/* What we do (Allow) and which extensions we understand (Supported). */
static const char allow[] =
	"INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, MESSAGE, SUBSCRIBE, NOTIFY";
static const char supported[] = "outbound, timer";
/* Bodies we read, by method (415 lists them in Accept). */
static const char accept_all[] =
	"application/sdp, text/plain, application/pidf+xml, application/dtmf-relay, "
	"application/im-iscomposing+xml, message/sipfrag";

const char *ua_allow(void)
{
	return allow;
}

const char *ua_supported(void)
{
	return supported;
}

void ua_opts_default(struct ua_opts *o)
{
	memset(o, 0, sizeof(*o));
	sip_cfg_default(&o->sip);
}

static const char *const general_keys[] = {
	"listen", "dns_server", "user_agent", "t1", "t2", "t4", "log_file", "log_level",
	"siptrace_file", NULL,
};

int ua_parse_listen(struct sa *sa, const char *s)
{
	const char *c = strchr(s, ':');

	if (c && strchr(c + 1, ':') && s[0] != '[')
		return EINVAL;
	return sa_parse_hostport(sa, s, 5060);
}

bool ua_dns_servers_ok(const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	bool ok = *list != '\0';
	struct sa sa;

	for (char *t = strtok_r(copy, ", ", &save); t && ok; t = strtok_r(NULL, ", ", &save)) {
		const char *c = strchr(t, ':');
		if (c && strchr(c + 1, ':') && t[0] != '[')
			ok = sa_set(&sa, t, 53) == 0; /* a bare IPv6 address */
		else
			ok = sa_parse_hostport(&sa, t, 53) == 0;
	}
	free(copy);
	return ok;
}

/* [general]: values the command line did not already set. */
int ua_opts_from_conf(struct ua_opts *o, const struct conf *c, char *err, size_t errsz)
{
	struct conf_sect *g = conf_sect_find(c, "general", NULL);
	const struct conf_kv *kv;
	int rc;

	if (!g)
		return 0;
	rc = conf_check_keys(c, g, general_keys, err, errsz);
	if (rc)
		return rc;
	if ((kv = conf_kv_find(g, "listen")) && !o->listen_given) {
		char *list = xstrdup(kv->val), *save = NULL;
		o->sip.tp.nlisten = 0;
		for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
			if (o->sip.tp.nlisten >= SIP_TP_MAX_LISTEN ||
			    ua_parse_listen(&o->sip.tp.listen[o->sip.tp.nlisten], t)) {
				conf_errf(c, kv->line, err, errsz,
					  "listen = %s: write HOST:PORT, [IPv6]:PORT (at most %d, "
					  "comma separated)", kv->val, SIP_TP_MAX_LISTEN);
				free(list);
				return EINVAL;
			}
			o->sip.tp.nlisten++;
		}
		free(list);
		o->sip.tp.next_free = false;
	}
	if ((kv = conf_kv_find(g, "dns_server")) && !o->dns_server) {
		if (!ua_dns_servers_ok(kv->val)) {
			conf_errf(c, kv->line, err, errsz, "dns_server = %s: write IP[:PORT], e.g. "
				  "127.0.0.1:53 or [::1]:53 (comma separated)", kv->val);
			return EINVAL;
		}
		o->dns_server = kv->val;
	}
	if ((kv = conf_kv_find(g, "user_agent")))
		o->sip.user_agent = kv->val;
	if ((rc = conf_get_u32(c, g, "t1", 10, 10000, &o->sip.t1, err, errsz)) && rc != ENOENT)
		return rc;
	if ((rc = conf_get_u32(c, g, "t2", 100, 60000, &o->sip.t2, err, errsz)) && rc != ENOENT)
		return rc;
	if ((rc = conf_get_u32(c, g, "t4", 100, 60000, &o->sip.t4, err, errsz)) && rc != ENOENT)
		return rc;
	return 0;
}

/* A stable +sip.instance (RFC 5626 4.1): created once, kept in the data
 * directory; without one, a fresh id for this run. */
static void load_instance(struct ua *ua)
{
	char dir[1024], path[1100], *text = NULL;
	unsigned char r[16];
	size_t len;

	if (fs_data_dir(dir, sizeof(dir), NULL) == 0) {
		snprintf(path, sizeof(path), "%s/instance-id", dir);
		if (fs_read_file(path, &text, &len, 256, NULL) == 0 && len >= 45 &&
		    !strncmp(text, "urn:uuid:", 9)) {
			text[strcspn(text, "\r\n")] = '\0';
			snprintf(ua->instance, sizeof(ua->instance), "%s", text);
			free(text);
			return;
		}
		free(text);
	}
	{
		char tok[33];
		sip_rand_token(tok, 32);
		for (int i = 0; i < 16; i++)
			r[i] = (unsigned char)(tok[2 * i] * 31 + tok[2 * i + 1]);
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* variant */
	snprintf(ua->instance, sizeof(ua->instance),
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
	if (fs_data_dir(dir, sizeof(dir), NULL) == 0 && fs_mkdir_p(dir, 0700) == 0) {
		char line[80];
		int n = snprintf(line, sizeof(line), "%s\n", ua->instance);
		snprintf(path, sizeof(path), "%s/instance-id", dir);
		if (fs_write_atomic(path, line, (size_t)n, 0600))
			log_d("cannot save %s: the instance id changes each run", path);
	}
}

/* ------------------------------------------------------------------ */
/* incoming requests */

static bool body_type_ok(enum sip_method m, const struct pl *ctype)
{
	static const struct {
		enum sip_method m;
		const char *type;
	} ok[] = {
		{ SIP_M_INVITE, "application/sdp" },   { SIP_M_ACK, "application/sdp" },
		{ SIP_M_UPDATE, "application/sdp" },   { SIP_M_PRACK, "application/sdp" },
		{ SIP_M_MESSAGE, "text/plain" },       { SIP_M_MESSAGE, "application/im-iscomposing+xml" },
		{ SIP_M_NOTIFY, "application/pidf+xml" }, { SIP_M_NOTIFY, "message/sipfrag" },
		{ SIP_M_PUBLISH, "application/pidf+xml" },
		{ SIP_M_INFO, "application/dtmf-relay" }, { SIP_M_INFO, "application/dtmf" },
	};
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i].m == m && pl_caseeq_str(ctype, ok[i].type))
			return true;
	return false;
}

static bool is_supported(const struct pl *t)
{
	struct pl sup = pl_cstr(supported), st;
	while (sip_token_next(&sup, &st) == 0)
		if (pl_casecmp_eq(&st, t))
			return true;
	return false;
}

/* "Unsupported: a, b\r\n" for the Require tokens we lack; false if none. */
static bool unsupported_ext(const struct sip_msg *m, struct buf *b)
{
	bool any = false;
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_REQUIRE); h; h = sip_msg_hdr_next(m, h)) {
		struct pl it = h->val, t;
		while (sip_token_next(&it, &t) == 0) {
			if (is_supported(&t))
				continue;
			buf_puts(b, any ? ", " : "Unsupported: ");
			buf_putpl(b, &t);
			any = true;
		}
	}
	if (any)
		buf_puts(b, "\r\n");
	return any;
}

/* An Accept header that excludes SDP makes an INVITE unanswerable (406). */
static bool accepts_sdp(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_ACCEPT);
	if (!h)
		return true;
	for (; h; h = sip_msg_hdr_next(m, h)) {
		const char *p = h->val.p, *e = h->val.p + h->val.l;
		if (!h->val.l)
			return true;
		while (p < e) {
			const char *c = memchr(p, ',', (size_t)(e - p));
			struct pl item = pl_make(p, (size_t)((c ? c : e) - p));
			const char *semi = pl_chr(&item, ';');
			if (semi)
				item.l = (size_t)(semi - item.p);
			pl_trim(&item);
			if (pl_caseeq_str(&item, "application/sdp") || pl_caseeq_str(&item, "*/*") ||
			    pl_caseeq_str(&item, "application/*"))
				return true;
			p = c ? c + 1 : e;
		}
	}
	return false;
}

static struct account *match_account(struct ua *ua, const struct sip_msg *m)
{
	char user[256];
	size_t n = sip_unescape(user, sizeof(user) - 1, &m->ruri.user);
	struct account *first = NULL;

	user[n] = '\0';
	LIST_FOREACH(&ua->accounts, e) {
		struct account *a = e->data;
		if (strcmp(a->user, user))
			continue;
		if (!first)
			first = a;
		/* same user on several domains: the domain decides */
		if (!strncasecmp(a->domain, m->ruri.host.p, m->ruri.host.l))
			return a;
	}
	return first;
}

/* No Content-Encoding, or only "identity" ones. */
static bool identity_encoding(const struct sip_msg *m)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_CONTENT_ENCODING); h;
	     h = sip_msg_hdr_next(m, h)) {
		struct pl it = h->val, tok;
		while (sip_token_next(&it, &tok) == 0)
			if (!pl_caseeq_str(&tok, "identity"))
				return false;
	}
	return true;
}

static bool on_request(struct sip *s, struct sip_strans *st, const struct sip_msg *m,
		       const struct sip_rx *rx, void *arg)
{
	struct ua *ua = arg;
	struct account *acc = NULL;
	const char *why;
	struct buf ext;
	(void)s;

	if (!st) {
		/* ACK for a 2xx: only a dialog can use it */
		for (unsigned i = 0; i < ua->ndlg; i++)
			if (ua->dlg[i].h(ua, NULL, m, rx, ua->dlg[i].arg))
				break;
		return true;
	}
	if (!sip_msg_version_ok(m)) {
		sip_reply(st, 505, NULL, NULL, NULL, NULL);
		return true;
	}
	if (m->mid == SIP_M_OTHER) {
		sip_replyf(st, 501, NULL, "Allow: %s\r\n", allow);
		return true;
	}
	if (sip_msg_check(m, &why)) {
		sip_reply(st, 400, why, NULL, NULL, NULL);
		return true;
	}
	if (m->mid == SIP_M_REGISTER || m->mid == SIP_M_PUBLISH || m->mid == SIP_M_REFER) {
		sip_replyf(st, 405, NULL, "Allow: %s\r\n", allow);
		return true;
	}
	if (m->has_maxfwd && m->maxfwd == 0 && m->mid != SIP_M_OPTIONS) {
		sip_reply(st, 483, NULL, NULL, NULL, NULL);
		return true;
	}
	if (m->ruri.scheme != SIP_SCHEME_SIP && m->ruri.scheme != SIP_SCHEME_SIPS) {
		sip_reply(st, 416, NULL, NULL, NULL, NULL);
		return true;
	}
	buf_init(&ext, 4096);
	if (unsupported_ext(m, &ext)) {
		sip_reply(st, 420, NULL, ext.err ? NULL : ext.p, NULL, NULL);
		buf_free(&ext);
		return true;
	}
	buf_free(&ext);
	if (m->body.l && !body_type_ok(m->mid, &m->ctype)) {
		sip_replyf(st, 415, NULL, "Accept: %s\r\n", accept_all);
		return true;
	}
	if (m->body.l && !identity_encoding(m)) {
		/* RFC 3261 8.2.3: no compression here */
		sip_replyf(st, 415, NULL, "Accept-Encoding: identity\r\n");
		return true;
	}
	if (m->mid == SIP_M_SUBSCRIBE && !m->contact) {
		/* RFC 6665 4.1.1: where would the NOTIFYs go?  (An INVITE
		 * without one is RFC 2543's and taken: RFC 4475 3.3.2.) */
		sip_reply(st, 400, "Missing Contact header", NULL, NULL, NULL);
		return true;
	}
	if (m->mid == SIP_M_INVITE && !accepts_sdp(m)) {
		sip_replyf(st, 406, NULL, "Accept: application/sdp\r\n");
		return true;
	}
	if (m->to.tag.l) {
		for (unsigned i = 0; i < ua->ndlg; i++)
			if (ua->dlg[i].h(ua, st, m, rx, ua->dlg[i].arg))
				return true;
		sip_reply(st, 481, NULL, NULL, NULL, NULL);
		return true;
	}
	if (m->mid == SIP_M_BYE || m->mid == SIP_M_INFO || m->mid == SIP_M_UPDATE ||
	    m->mid == SIP_M_PRACK) {
		/* only ever inside a dialog, and this one names none */
		sip_reply(st, 481, NULL, NULL, NULL, NULL);
		return true;
	}
	if (!list_count(&ua->accounts)) {
		acc = NULL; /* direct mode: any user at our address */
	} else {
		acc = match_account(ua, m);
		if (!acc && m->mid != SIP_M_OPTIONS) {
			sip_reply(st, 404, NULL, NULL, NULL, NULL);
			return true;
		}
	}
	if (m->mid == SIP_M_OPTIONS) {
		sip_replyf(st, 200, NULL, "Allow: %s\r\nAccept: %s\r\nSupported: %s\r\n", allow,
			   accept_all, supported);
		return true;
	}
	if (ua->h[m->mid].h)
		return ua->h[m->mid].h(ua, acc, st, m, rx, ua->h[m->mid].arg);
	sip_replyf(st, 405, NULL, "Allow: %s\r\n", allow);
	return true;
}

static void on_conn_closed(struct sip_conn *c, int err, void *arg)
{
	struct ua *ua = arg;
	(void)err;
	LIST_FOREACH(&ua->accounts, e) {
		struct account *a = e->data;
		reg_conn_closed(a->reg, c);
	}
}

static void on_stray(const struct sip_msg *resp, void *arg)
{
	struct ua *ua = arg;
	/* a repeated 2xx to our INVITE: the dialog ACKs it again */
	if (ua->strayh)
		ua->strayh(resp, ua->strayarg);
}

/* ------------------------------------------------------------------ */

static const char *const sections[] = { "general", "media", "audio", "account", "buddy",
					NULL };

static int check_sections(const struct conf *c, char *err, size_t errsz)
{
	for (const struct conf_sect *s = c ? c->sects : NULL; s; s = s->next) {
		bool ok = false, named = !strcmp(s->name, "account") || !strcmp(s->name, "buddy");
		for (const char *const *k = sections; *k && !ok; k++)
			ok = !strcmp(*k, s->name);
		if (!ok) {
			conf_errf(c, s->line, err, errsz,
				  "unknown section [%s] (known: general, media, audio, account NAME, "
				  "buddy NAME)", s->name);
			return EINVAL;
		}
		if (!named && s->arg) {
			conf_errf(c, s->line, err, errsz, "[%s %s]: [%s] takes no name; write [%s]",
				  s->name, s->arg, s->name, s->name);
			return EINVAL;
		}
	}
	return 0;
}

int ua_alloc(struct ua **up, const struct conf *c, const struct ua_opts *o, char *err,
	     size_t errsz)
{
	struct ua *ua = xcalloc(1, sizeof(*ua));
	int rc;

	list_init(&ua->accounts);
	tmr_init(&ua->tdown);
	tmr_init(&ua->tdrain);
	rc = check_sections(c, err, errsz);
	if (rc)
		goto fail;
	for (const struct conf_sect *s = c ? c->sects : NULL; s; s = s->next) {
		struct account *a;
		if (strcmp(s->name, "account"))
			continue;
		if (s->arg && ua_account(ua, s->arg)) {
			conf_errf(c, s->line, err, errsz,
				  "[account %s] is defined twice: rename one", s->arg);
			rc = EINVAL;
			goto fail;
		}
		rc = account_load(ua, c, s, &a, err, errsz);
		if (rc)
			goto fail;
		list_append(&ua->accounts, &a->le, a);
	}
	rc = sip_resolv_init(o->dns_server);
	if (rc) {
		snprintf(err, errsz, "cannot start the DNS resolver (%s): %s",
			 o->dns_server ? o->dns_server : "system", strerror(rc));
		goto fail;
	}
	rc = sip_alloc(&ua->sip, &o->sip);
	if (rc) {
		char a[SA_STRLEN] = "";
		if (o->sip.tp.nlisten == 1)
			sa_str(&o->sip.tp.listen[0], a, sizeof(a));
		snprintf(err, errsz, "cannot listen for SIP%s%s: %s%s", *a ? " on " : "", a,
			 strerror(rc),
			 rc == EADDRINUSE ? " (another program has the port: choose another, "
					    "or port 0 for any)"
			 : rc == EADDRNOTAVAIL ? " (not an address of this machine)" : "");
		goto fail;
	}
	sip_set_handlers(ua->sip, on_request, on_stray, ua);
	sip_set_conn_handler(ua->sip, on_conn_closed, ua);
	load_instance(ua);
	LIST_FOREACH(&ua->accounts, e) {
		struct account *a = e->data;
		rc = reg_alloc(&a->reg, a);
		if (rc)
			goto fail;
	}
	*up = ua;
	return 0;
fail:
	ua_free(ua);
	return rc;
}

void ua_free(struct ua *ua)
{
	if (!ua)
		return;
	tmr_cancel(&ua->tdown);
	tmr_cancel(&ua->tdrain);
	LIST_FOREACH_SAFE(&ua->accounts, e, tmp) {
		struct account *a = e->data;
		list_unlink(&a->le);
		account_free(a);
	}
	sip_free(ua->sip);
	sip_resolv_close();
	free(ua);
}

void ua_start(struct ua *ua)
{
	LIST_FOREACH(&ua->accounts, e) {
		struct account *a = e->data;
		if (a->do_register)
			reg_start(a->reg);
	}
}

static void shutdown_done(struct ua *ua)
{
	ua_done_h *h = ua->doneh;
	tmr_cancel(&ua->tdown);
	tmr_cancel(&ua->tdrain);
	ua->doneh = NULL;
	if (h)
		h(ua->donearg);
}

/* Let requests in flight (a BYE sent just before quitting) finish. */
static void drain(void *arg)
{
	struct ua *ua = arg;
	if (!sip_busy(ua->sip)) {
		shutdown_done(ua);
		return;
	}
	tmr_start(&ua->tdrain, 20, drain, ua);
}

static void unreg_done(void *arg)
{
	struct ua *ua = arg;
	if (ua->pending_unreg && --ua->pending_unreg == 0)
		drain(ua);
}

static void shutdown_timeout(void *arg)
{
	struct ua *ua = arg;
	if (ua->pending_unreg)
		log_i("giving up waiting for %u unregistration(s)", ua->pending_unreg);
	else
		log_i("giving up waiting for requests in flight");
	ua->pending_unreg = 0;
	shutdown_done(ua);
}

/* Unregister every account, then call h (at the latest after max_wait_ms). */
void ua_shutdown(struct ua *ua, uint32_t max_wait_ms, ua_done_h *h, void *arg)
{
	ua->doneh = h;
	ua->donearg = arg;
	ua->pending_unreg = 1; /* held until the loop below is done */
	LIST_FOREACH(&ua->accounts, e) {
		struct account *a = e->data;
		ua->pending_unreg++;
		reg_stop(a->reg, unreg_done, ua);
	}
	tmr_start(&ua->tdown, max_wait_ms, shutdown_timeout, ua);
	unreg_done(ua);
}

struct sip *ua_sip(struct ua *ua)
{
	return ua->sip;
}

struct list *ua_accounts(struct ua *ua)
{
	return &ua->accounts;
}

struct account *ua_account(struct ua *ua, const char *name)
{
	LIST_FOREACH(&ua->accounts, e) {
		struct account *a = e->data;
		if (!strcmp(a->name, name))
			return a;
	}
	return NULL;
}

struct account *ua_account_default(struct ua *ua)
{
	return ua->accounts.head ? ua->accounts.head->data : NULL;
}

bool ua_direct(const struct ua *ua)
{
	return list_count(&ua->accounts) == 0;
}

const char *ua_instance(const struct ua *ua)
{
	return ua->instance;
}

void ua_set_handler(struct ua *ua, enum sip_method m, ua_req_h *h, void *arg)
{
	if ((unsigned)m < SIP_M_NUM) {
		ua->h[m].h = h;
		ua->h[m].arg = arg;
	}
}

/* Modules that own dialogs are asked in the order they registered. */
void ua_add_dialog_handler(struct ua *ua, ua_dlg_h *h, void *arg)
{
	if (ua->ndlg < sizeof(ua->dlg) / sizeof(ua->dlg[0])) {
		ua->dlg[ua->ndlg].h = h;
		ua->dlg[ua->ndlg].arg = arg;
		ua->ndlg++;
	}
}

void ua_set_stray_handler(struct ua *ua, sip_stray_h *strayh, void *arg)
{
	ua->strayh = strayh;
	ua->strayarg = arg;
}

/* What a user types for an address: a full sip:/sips: URI, "bob@host", or
 * "bob" / "1234" at the account's domain.  NULL when it cannot be one. */
char *ua_expand_uri(const struct account *a, const char *t)
{
	char *out;
	if (!strncasecmp(t, "sip:", 4) || !strncasecmp(t, "sips:", 5))
		return xstrdup(t);
	if (strchr(t, '@')) {
		xasprintf(&out, "sip:%s", t);
		return out;
	}
	if (!a || !*t)
		return NULL;
	xasprintf(&out, "sip:%s@%s", t, a->domain);
	return out;
}

/* Contact URI for requests we send over tp from laddr (user part: the
 * account's user, or "sipterm" in direct mode). */
int ua_contact(struct ua *ua, const struct account *acc, struct buf *b, enum sip_tp tp,
	       const struct sa *laddr)
{
	(void)ua;
	buf_printf(b, "<sip:%s@", acc ? acc->user : "sipterm");
	sip_print_sentby(b, laddr);
	if (tp != SIP_TP_UDP)
		buf_printf(b, ";transport=%s", tp == SIP_TP_TCP ? "tcp" : "tls");
	buf_putc(b, '>');
	return b->err;
}
