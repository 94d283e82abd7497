/* sip/sip.c: the stack's context and the receive path.
 * Responses go to their client transaction (or, for a late 2xx to an
 * INVITE, to the stray handler); requests are matched against server
 * transactions (retransmissions, ACK, CANCEL), and new ones go to the
 * user's request handler with a fresh server transaction. */
#include "config.h"

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "rand.h"
#include "sip/sip-int.h"
#include "xmalloc.h"

#define LOG_MOD "sip"

void sip_cfg_default(struct sip_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->t1 = 500;
	cfg->t2 = 4000;
	cfg->t4 = 5000;
	cfg->user_agent = "sipterm/" PACKAGE_VERSION;
	sip_tp_cfg_default(&cfg->tp);
}

/* Random token of len characters from [0-9a-z] (tags, branches, Call-IDs). */
void sip_rand_token(char *out, size_t len)
{
	static const char alpha[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char r[64];

	if (len > sizeof(r))
		len = sizeof(r);
	if (rand_fill(r, len)) {
		static const char msg[] = "sipterm: the kernel gives no random bytes\n";
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			abort();
		abort();
	}
	for (size_t i = 0; i < len; i++)
		out[i] = alpha[r[i] % 36];
	out[len] = '\0';
}

static void on_recv(struct sip_msg *m, const struct sip_rx *rx, void *arg)
{
	struct sip *s = arg;
	const char *why;
	struct sip_strans *st;
	char src[SA_STRLEN];

	if (!m->req) {
		/* a response must carry what matching needs */
		if (sip_msg_check(m, &why)) {
			log_w("dropping response from %s: %s", sa_str(&rx->src, src, sizeof(src)), why);
			return;
		}
		if (sip_ctrans_recv(s, m))
			return;
		if (m->scode >= 200 && m->scode < 300 && m->cseq.mid == SIP_M_INVITE && s->strayh)
			s->strayh(m, s->arg);
		else
			log_d("response %u matches no transaction", m->scode);
		return;
	}
	/* a request needs a usable top Via to be answered at all */
	if (!m->nvia || !m->has_cseq || !pl_isset(&m->callid) || !m->has_from || !m->has_to) {
		sip_reply_raw400(s, m->buf, m->len,
				 !m->nvia ? "Missing Via header" : !m->has_cseq ? "Missing CSeq header"
				 : !pl_isset(&m->callid) ? "Missing Call-ID header"
				 : !m->has_from ? "Missing From header" : "Missing To header", rx);
		return;
	}
	if (sip_strans_recv(s, m, rx))
		return;
	if (sip_strans_special(s, m, rx))
		return;
	if (m->mid == SIP_M_ACK) {
		if (s->reqh)
			s->reqh(s, NULL, m, rx, s->arg);
		return;
	}
	if (sip_strans_merged(s, m)) {
		/* the same request by another path (RFC 3261 8.2.2.2) */
		sip_strans_new(&st, s, m, rx);
		sip_reply(st, 482, NULL, NULL, NULL, NULL);
		return;
	}
	sip_strans_new(&st, s, m, rx);
	if (!s->reqh || !s->reqh(s, st, m, rx, s->arg)) {
		if (!sip_strans_final_sent(st))
			sip_reply(st, 501, NULL, NULL, NULL, NULL);
	}
}

static void on_bad(const char *data, size_t len, const char *reason, const struct sip_rx *rx,
		   void *arg)
{
	sip_reply_raw400(arg, data, len, reason, rx);
}

static void on_conn(struct sip_conn *c, int err, void *arg)
{
	struct sip *s = arg;
	sip_ctrans_conn_failed(s, c, err);
	sip_request_conn_failed(s, c, err);
	if (s->connh)
		s->connh(c, err, s->connarg);
}

/* An ICMP error for a datagram we sent to dst (RFC 3261 18.4): requests
 * waiting on dst fail over now.  One for a response or an ACK (a peer
 * that left), or a late one for a transaction already over, changes
 * nothing. */
static void on_icmp(const struct sa *dst, int err, void *arg)
{
	sip_ctrans_unreachable(arg, dst, err);
}

int sip_alloc(struct sip **sp, const struct sip_cfg *cfg)
{
	struct sip *s = xcalloc(1, sizeof(*s));
	int err;

	s->cfg = *cfg;
	s->user_agent = cfg->user_agent ? xstrdup(cfg->user_agent) : NULL;
	s->cfg.user_agent = s->user_agent;
	hash_init(&s->ct, 256);
	hash_init(&s->st, 256);
	list_init(&s->ctl);
	list_init(&s->stl);
	list_init(&s->reqs);
	err = sip_tp_alloc(&s->tp, &cfg->tp, on_recv, on_bad, on_conn, s);
	if (err) {
		sip_free(s);
		return err;
	}
	sip_tp_set_icmp_handler(s->tp, on_icmp);
	*sp = s;
	return 0;
}

void sip_free(struct sip *s)
{
	if (!s)
		return;
	/* requests and transactions abandoned by their users wait in the
	 * loop's reap list: free them while the stack is still whole */
	loop_reap_flush();
	sip_request_close_all(s);
	sip_ctrans_close_all(s);
	sip_strans_close_all(s);
	sip_tp_free(s->tp);
	hash_free(&s->ct);
	hash_free(&s->st);
	free(s->user_agent);
	free(s);
}

void sip_set_handlers(struct sip *s, sip_req_h *reqh, sip_stray_h *strayh, void *arg)
{
	s->reqh = reqh;
	s->strayh = strayh;
	s->arg = arg;
}

/* Requests still on their way (BYE at quit, unregistrations). */
bool sip_busy(const struct sip *s)
{
	return list_count(&s->reqs) || sip_ctrans_pending(s);
}

void sip_set_conn_handler(struct sip *s, sip_conn_h *h, void *arg)
{
	s->connh = h;
	s->connarg = arg;
}

const struct sip_cfg *sip_config(const struct sip *s)
{
	return &s->cfg;
}

struct sip_transport *sip_transport(struct sip *s)
{
	return s->tp;
}

int sip_laddr(struct sip *s, enum sip_tp tp, const struct sa *dst, struct sa *laddr)
{
	return sip_tp_laddr(s->tp, tp, dst, laddr);
}

/* "host:port" of a Via sent-by or Contact, IPv6 in brackets. */
void sip_print_sentby(struct buf *b, const struct sa *laddr)
{
	char a[64];
	sa_ntop(laddr, a, sizeof(a));
	if (sa_af(laddr) == AF_INET6)
		buf_printf(b, "[%s]:%u", a, sa_port(laddr));
	else
		buf_printf(b, "%s:%u", a, sa_port(laddr));
}
