/* test-sip-txn.c: the transaction layer (RFC 3261 17, RFC 6026, RFC 3581)
 * driven through the real stack on loopback.
 *
 * The stack listens on 127.0.0.1 (ephemeral port, UDP and TCP); plain
 * sockets play the peer.  Time is a fake clock: advance_to() moves it from
 * one timer deadline to the next, so each timer fires at its exact due time,
 * and every message the peer receives is stamped with the fake time it was
 * sent at.  After each step sync_stack() makes a round trip through the
 * stack (a request with a bad CSeq, answered with a raw 400 on a separate
 * socket): once that answer is back, everything the stack sent before it
 * has arrived.  Real time is only waited on, never measured. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "sa.h"
#include "tmr.h"
#include "sip/resolv.h"
#include "sip/sip.h"
#include "sip/sip-int.h" /* sip_strans_merged: the dialog layer's check */

#define T1 500u
#define T2 4000u
#define T4 5000u
#define BASE 1000000u   /* fake clock at the start of each case */
#define END 70000u      /* well past every transaction timer */

/* ---------- the fake clock ---------- */

static uint64_t fake_ms;

static uint64_t fake_clock(void)
{
	return fake_ms;
}

/* Milliseconds since the case started. */
static uint64_t now_rel(void)
{
	return fake_ms - BASE;
}

/* ---------- the peer ---------- */

enum {
	P_UDP,    /* the main peer socket */
	P_UDP2,   /* a second port, for Via sent-by */
	P_TCPC,   /* the peer's own TCP connection to the stack */
	P_ACC,    /* connections the stack opened to the peer's listener */
	P_NUM
};

#define MAX_ACC 4
#define MAX_PKT 256

struct pkt {
	int sock;            /* P_* */
	unsigned conn;       /* for P_ACC: which accepted connection */
	uint64_t at;         /* fake time it was sent, ms since the case started */
	char *raw;           /* the bytes, NUL-terminated */
	struct sip_msg *m;   /* parsed, or NULL (a 400 copies a bad CSeq as is) */
};

static struct env {
	struct sip *s;
	struct sa stack;             /* the stack's 127.0.0.1:port */
	int fd[P_NUM];               /* P_ACC unused: see acc */
	struct sa addr[P_NUM];
	int sync;                    /* answers to sync_stack() arrive here */
	struct sa sync_addr;
	unsigned sync_seq;
	int tcpl;                    /* the peer's TCP listener */
	struct sa tcpl_addr;
	int acc[MAX_ACC];
	struct buf accbuf[MAX_ACC];
	unsigned nacc;
	struct buf tcpcbuf;
	struct pkt pkts[MAX_PKT];
	size_t npkt;
	unsigned nstray;
	uint16_t stray_code;
} E;

/* What the test's request handler does (server side cases). */
static struct server {
	uint16_t prov;               /* provisional to answer at once, or 0 */
	uint16_t final;              /* final to answer at once, or 0 */
	bool hold;                   /* keep a reference to reply later */
	bool check_merged;           /* answer 482 when sip_strans_merged */
	struct sip_strans *held;
	unsigned nreq;               /* new requests with a transaction */
	unsigned nack;               /* ACKs that reached the handler */
	unsigned nmerged;
	unsigned ncancel;
	unsigned nackto;
	uint64_t ackto_at;
} S;

static void take(int sock, unsigned conn, const char *data, size_t len, int flags)
{
	struct pkt *p;
	const char *why;
	size_t i;

	for (i = 0; i < len && (data[i] == '\r' || data[i] == '\n'); i++)
		;
	if (i == len)
		return; /* keep-alive */
	if (E.npkt >= MAX_PKT)
		fail_msg("more than %d messages captured", MAX_PKT);
	p = &E.pkts[E.npkt];
	if (sip_msg_parse(&p->m, data, len, flags, &why))
		p->m = NULL;
	p->raw = malloc(len + 1);
	assert_non_null(p->raw);
	memcpy(p->raw, data, len);
	p->raw[len] = '\0';
	p->sock = sock;
	p->conn = conn;
	p->at = now_rel();
	E.npkt++;
}

static void drain_udp(int sock)
{
	static char b[65536];
	ssize_t n;

	if (E.fd[sock] < 0)
		return;
	while ((n = recv(E.fd[sock], b, sizeof(b), MSG_DONTWAIT)) > 0)
		take(sock, 0, b, (size_t)n, 0);
}

/* Read a stream and cut it into messages. */
static void drain_stream(int fd, struct buf *sb, int sock, unsigned conn)
{
	char b[16384];
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
		buf_append(sb, b, (size_t)n);
	while (sb->len) {
		const char *why;
		size_t skip = 0, len;
		while (skip < sb->len && (sb->p[skip] == '\r' || sb->p[skip] == '\n'))
			skip++;
		buf_consume(sb, skip);
		if (!sb->len || sip_msg_frame(sb->p, sb->len, &len, &why))
			break;
		take(sock, conn, sb->p, len, SIP_PARSE_STREAM);
		buf_consume(sb, len);
	}
}

static void drain(void)
{
	int fd;

	drain_udp(P_UDP);
	drain_udp(P_UDP2);
	while (E.tcpl >= 0 && E.nacc < MAX_ACC &&
	       (fd = accept4(E.tcpl, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		buf_init(&E.accbuf[E.nacc], 0);
		E.acc[E.nacc++] = fd;
	}
	for (unsigned i = 0; i < E.nacc; i++)
		drain_stream(E.acc[i], &E.accbuf[i], P_ACC, i);
	drain_stream(E.fd[P_TCPC], &E.tcpcbuf, P_TCPC, 0);
}

/* Wait (in real time, bounded) while pumping the loop, until cond holds. */
#define WAIT_UNTIL(cond) do { \
	for (int w_ = 0; w_ < 2000 && !(cond); w_++) { \
		struct pollfd pf_[P_NUM + MAX_ACC + 1]; \
		nfds_t n_ = 0; \
		loop_poll(0); \
		drain(); \
		if (cond) \
			break; \
		for (int k_ = 0; k_ < P_NUM; k_++) \
			if (E.fd[k_] >= 0) \
				pf_[n_++] = (struct pollfd){ E.fd[k_], POLLIN, 0 }; \
		for (unsigned k_ = 0; k_ < E.nacc; k_++) \
			if (E.acc[k_] >= 0) \
				pf_[n_++] = (struct pollfd){ E.acc[k_], POLLIN, 0 }; \
		if (E.tcpl >= 0) \
			pf_[n_++] = (struct pollfd){ E.tcpl, POLLIN, 0 }; \
		poll(pf_, n_, 1); \
	} \
	assert_true(cond); \
} while (0)

/* A round trip through the stack's UDP socket: the answer to this bad
 * request leaves after everything the stack sent before. */
static void sync_stack(void)
{
	char req[512], mark[48], b[2048];
	int n;

	snprintf(mark, sizeof(mark), "Call-ID: sync%u\r\n", ++E.sync_seq);
	n = snprintf(req, sizeof(req),
		     "OPTIONS sip:sync@127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKsync%u\r\n"
		     "From: <sip:sync@127.0.0.1>;tag=s\r\n"
		     "To: <sip:sync@127.0.0.1>\r\n"
		     "%s"
		     "CSeq: x OPTIONS\r\n"
		     "Content-Length: 0\r\n\r\n", sa_port(&E.sync_addr), E.sync_seq, mark);
	assert_int_equal(sendto(E.sync, req, (size_t)n, 0, &E.stack.u.sa, E.stack.len), n);
	for (int i = 0; i < 2000; i++) {
		ssize_t r;
		struct pollfd pf = { E.sync, POLLIN, 0 };

		loop_poll(0);
		drain();
		while ((r = recv(E.sync, b, sizeof(b) - 1, MSG_DONTWAIT)) > 0) {
			b[r] = '\0';
			if (strstr(b, mark)) {
				drain();
				return;
			}
		}
		poll(&pf, 1, 1);
	}
	fail_msg("no answer to the sync request: is the raw 400 path broken?");
}

static void pump(void)
{
	loop_poll(0);
	sync_stack();
}

/* Move the fake clock to t (ms since the case started), stopping at every
 * timer deadline on the way. */
static void advance_to(uint64_t t)
{
	uint64_t end = BASE + t, due;
	unsigned guard = 0;

	assert_true(end >= fake_ms);
	while (tmr_next_due(&due) == 0 && due <= end) {
		if (++guard > 10000)
			fail_msg("timers keep firing at %" PRIu64, due);
		if (due > fake_ms)
			fake_ms = due;
		pump();
	}
	fake_ms = end;
	pump();
}

/* ---------- looking at what the peer got ---------- */

static bool pkt_is(const struct pkt *p, int sock, const char *method, uint16_t code)
{
	if ((sock >= 0 && p->sock != sock) || !p->m)
		return false;
	if (method)
		return p->m->req && pl_eq_str(&p->m->method, method);
	return !p->m->req && (!code || p->m->scode == code);
}

/* Requests with method (or responses with code, 0: any) that sock got. */
static size_t count(int sock, const char *method, uint16_t code)
{
	size_t n = 0;
	for (size_t i = 0; i < E.npkt; i++)
		n += pkt_is(&E.pkts[i], sock, method, code);
	return n;
}

static const struct pkt *nth(int sock, const char *method, uint16_t code, size_t k)
{
	size_t left = k;
	for (size_t i = 0; i < E.npkt; i++)
		if (pkt_is(&E.pkts[i], sock, method, code) && left-- == 0)
			return &E.pkts[i];
	fail_msg("no message #%zu %s/%u on socket %d", k, method ? method : "-", code, sock);
	return NULL;
}

static bool same_bytes(const struct pkt *a, const struct pkt *b)
{
	return a->m->len == b->m->len && !memcmp(a->m->buf, b->m->buf, a->m->len);
}

static void assert_pl(const struct pl *x, const char *want)
{
	char got[256];
	pl_strcpy(x, got, sizeof(got));
	assert_string_equal(got, want);
}

static void assert_pl_eq(const struct pl *a, const struct pl *b)
{
	char x[512], y[512];
	pl_strcpy(a, x, sizeof(x));
	pl_strcpy(b, y, sizeof(y));
	assert_string_equal(x, y);
}

/* ---------- the peer talking ---------- */

static void peer_send(int sock, unsigned conn, const char *data, size_t len)
{
	ssize_t n;

	if (sock == P_ACC)
		n = send(E.acc[conn], data, len, MSG_NOSIGNAL);
	else if (sock == P_TCPC)
		n = send(E.fd[P_TCPC], data, len, MSG_NOSIGNAL);
	else
		n = sendto(E.fd[sock], data, len, 0, &E.stack.u.sa, E.stack.len);
	assert_int_equal(n, (ssize_t)len);
}

/* A response to a request the peer received, sent back the way it came. */
static void peer_reply(const struct pkt *req, uint16_t code, const char *totag)
{
	const struct sip_msg *m = req->m;
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "SIP/2.0 %u %s\r\n", code, sip_reason_phrase(code));
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_VIA); h; h = sip_msg_hdr_next(m, h))
		buf_printf(&b, "Via: %.*s\r\n", PL_ARG(h->val));
	buf_printf(&b, "From: %.*s\r\nTo: %.*s", PL_ARG(m->from.val), PL_ARG(m->to.val));
	if (totag && !m->to.tag.l)
		buf_printf(&b, ";tag=%s", totag);
	buf_printf(&b, "\r\nCall-ID: %.*s\r\nCSeq: %u %.*s\r\nContent-Length: 0\r\n\r\n",
		   PL_ARG(m->callid), m->cseq.num, PL_ARG(m->cseq.method));
	peer_send(req->sock, req->conn, b.p, b.len);
	buf_free(&b);
}

/* A request from the peer to the stack. */
struct preq {
	const char *method;
	const char *branch;      /* NULL: no branch parameter (RFC 2543) */
	int sock;                /* P_UDP, P_UDP2, P_TCPC */
	int via_sock;            /* whose port goes into sent-by, -1: sock's */
	const char *via_host;    /* NULL: 127.0.0.1 */
	bool rport;
	const char *callid;      /* NULL: "call-1" */
	const char *ftag;        /* NULL: "ftag-1" */
	const char *totag;
	uint32_t cseq;           /* 0: 1 */
	const char *cseq_method; /* NULL: method */
};

static void peer_request(const struct preq *q)
{
	int vs = q->via_sock >= 0 ? q->via_sock : q->sock;
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "%s sip:bob@127.0.0.1:%u SIP/2.0\r\n", q->method, sa_port(&E.stack));
	buf_printf(&b, "Via: SIP/2.0/%s %s:%u", q->sock == P_TCPC ? "TCP" : "UDP",
		   q->via_host ? q->via_host : "127.0.0.1", sa_port(&E.addr[vs]));
	if (q->branch)
		buf_printf(&b, ";branch=%s", q->branch);
	buf_printf(&b, "%s\r\n", q->rport ? ";rport" : "");
	buf_printf(&b, "Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=%s\r\n",
		   q->ftag ? q->ftag : "ftag-1");
	buf_printf(&b, "To: <sip:bob@127.0.0.1>%s%s\r\n", q->totag ? ";tag=" : "",
		   q->totag ? q->totag : "");
	buf_printf(&b, "Call-ID: %s\r\nCSeq: %u %s\r\nContent-Length: 0\r\n\r\n",
		   q->callid ? q->callid : "call-1", q->cseq ? q->cseq : 1,
		   q->cseq_method ? q->cseq_method : q->method);
	peer_send(q->sock, 0, b.p, b.len);
	buf_free(&b);
}

static void peer_raw(int sock, const char *data)
{
	peer_send(sock, 0, data, strlen(data));
}

/* ---------- the stack's users ---------- */

#define MAX_RESP 16

struct client {
	struct sip_request *r;
	const char *method;
	char route[96];              /* a Route header value, or "" */
	unsigned cseq;
	unsigned n;                  /* calls of the response handler */
	int err[MAX_RESP];
	uint16_t code[MAX_RESP];
	uint64_t at[MAX_RESP];
	unsigned nfinal;
	unsigned after_final;        /* calls after the final one: a bug */
};

static int client_print(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	struct client *c = arg;
	(void)tp;
	(void)laddr;

	if (c->route[0])
		buf_printf(b, "Route: %s\r\n", c->route);
	buf_printf(b, "Max-Forwards: 70\r\n"
		   "From: \"Alice\" <sip:alice@127.0.0.1>;tag=atag\r\n"
		   "To: <sip:bob@127.0.0.1>\r\n"
		   "Call-ID: ccall-%u\r\n"
		   "CSeq: %u %s\r\n"
		   "Content-Length: 0\r\n\r\n", c->cseq, c->cseq, c->method);
	return 0;
}

static void client_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct client *c = arg;

	if (c->nfinal) {
		c->after_final++;
		return;
	}
	if (c->n < MAX_RESP) {
		c->err[c->n] = err;
		c->code[c->n] = resp ? resp->scode : 0;
		c->at[c->n] = now_rel();
	}
	c->n++;
	if (err || !resp || resp->scode >= 200) {
		c->nfinal++;
		c->r = NULL; /* freed after this round */
	}
}

static void client_start(struct client *c, const char *method, enum sip_tp tp, uint16_t port)
{
	static unsigned cseq = 100;
	struct sip_req_params p;
	char ruri[96];
	char route[sizeof(c->route)];

	memcpy(route, c->route, sizeof(route));
	memset(c, 0, sizeof(*c));
	memcpy(c->route, route, sizeof(route));
	c->method = method;
	c->cseq = ++cseq;
	snprintf(ruri, sizeof(ruri), "sip:bob@127.0.0.1:%u%s", port,
		 tp == SIP_TP_TCP ? ";transport=tcp" : "");
	memset(&p, 0, sizeof(p));
	p.method = method;
	p.ruri = ruri;
	p.printh = client_print;
	p.arg = c;
	assert_int_equal(sip_request(&c->r, E.s, &p, client_resp, c), 0);
}

static void srv_cancel(struct sip_strans *st, void *arg)
{
	(void)arg;
	S.ncancel++;
	sip_reply(st, 487, NULL, NULL, NULL, NULL);
}

static void srv_ackto(struct sip_strans *st, void *arg)
{
	(void)st;
	(void)arg;
	S.nackto++;
	S.ackto_at = now_rel();
}

static bool srv_req(struct sip *s, struct sip_strans *st, const struct sip_msg *req,
		    const struct sip_rx *rx, void *arg)
{
	(void)rx;
	(void)arg;

	if (!st) {
		S.nack++;
		return true;
	}
	S.nreq++;
	if (S.check_merged && sip_strans_merged(s, req)) {
		S.nmerged++;
		sip_reply(st, 482, NULL, NULL, NULL, NULL);
		return true;
	}
	sip_strans_set_handlers(st, srv_cancel, srv_ackto, NULL);
	if (S.prov)
		sip_reply(st, S.prov, NULL, NULL, NULL, NULL);
	if (S.final)
		sip_reply(st, S.final, NULL, NULL, NULL, NULL);
	if (S.hold && !S.held)
		S.held = sip_strans_ref(st);
	return true;
}

static void stray(const struct sip_msg *resp, void *arg)
{
	(void)arg;
	E.nstray++;
	E.stray_code = resp->scode;
}

/* ---------- fixtures ---------- */

static int udp_socket(struct sa *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sa_set(addr, "127.0.0.1", 0);
	if (fd < 0 || bind(fd, &addr->u.sa, addr->len) < 0)
		return -1;
	addr->len = sizeof(addr->u);
	getsockname(fd, &addr->u.sa, &addr->len);
	return fd;
}

static int setup(void **state)
{
	struct sip_cfg cfg;
	int one = 1, err;
	(void)state;

	memset(&E, 0, sizeof(E));
	memset(&S, 0, sizeof(S));
	fake_ms = BASE;
	tmr_clock_set(fake_clock);

	sip_cfg_default(&cfg);
	cfg.t1 = T1;
	cfg.t2 = T2;
	cfg.t4 = T4;
	sa_set(&cfg.tp.listen[0], "127.0.0.1", 0);
	cfg.tp.nlisten = 1;
	cfg.tp.next_free = false;
	err = sip_alloc(&E.s, &cfg);
	if (err) {
		print_error("sip_alloc: %s\n", strerror(err));
		return -1;
	}
	sip_set_handlers(E.s, srv_req, stray, NULL);
	sa_set(&E.stack, "127.0.0.1", sip_tp_port(sip_transport(E.s), SIP_TP_UDP, AF_INET));
	if (!sa_port(&E.stack) ||
	    sip_tp_port(sip_transport(E.s), SIP_TP_TCP, AF_INET) != sa_port(&E.stack))
		return -1;

	for (int i = 0; i < P_NUM; i++)
		E.fd[i] = -1;
	for (int i = 0; i < MAX_ACC; i++)
		E.acc[i] = -1;
	E.fd[P_UDP] = udp_socket(&E.addr[P_UDP]);
	E.fd[P_UDP2] = udp_socket(&E.addr[P_UDP2]);
	E.sync = udp_socket(&E.sync_addr);

	/* the peer's TCP listener, for requests the stack sends over TCP */
	E.tcpl = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sa_set(&E.tcpl_addr, "127.0.0.1", 0);
	setsockopt(E.tcpl, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (E.fd[P_UDP] < 0 || E.fd[P_UDP2] < 0 || E.sync < 0 || E.tcpl < 0 ||
	    bind(E.tcpl, &E.tcpl_addr.u.sa, E.tcpl_addr.len) < 0 || listen(E.tcpl, 8) < 0)
		return -1;
	E.tcpl_addr.len = sizeof(E.tcpl_addr.u);
	getsockname(E.tcpl, &E.tcpl_addr.u.sa, &E.tcpl_addr.len);
	buf_init(&E.tcpcbuf, 0);
	return 0;
}

static int teardown(void **state)
{
	int rc = 0;
	(void)state;

	if (S.held)
		sip_strans_unref(S.held);
	sip_free(E.s);
	loop_poll(0); /* run the reap list */
	if (tmr_count() != 0) {
		print_error("%zu timers still running after sip_free\n", tmr_count());
		rc = -1;
	}
	if (loop_fd_count() != 1) {
		print_error("%u fds still watched after sip_free\n", loop_fd_count());
		rc = -1;
	}
	for (int i = 0; i < P_NUM; i++)
		if (E.fd[i] >= 0)
			close(E.fd[i]);
	for (unsigned i = 0; i < E.nacc; i++) {
		if (E.acc[i] >= 0)
			close(E.acc[i]);
		buf_free(&E.accbuf[i]);
	}
	buf_free(&E.tcpcbuf);
	close(E.sync);
	close(E.tcpl);
	for (size_t i = 0; i < E.npkt; i++) {
		sip_msg_free(E.pkts[i].m);
		free(E.pkts[i].raw);
	}
	tmr_reset_all();
	memset(&E, 0, sizeof(E));
	memset(&S, 0, sizeof(S));
	return rc;
}

/* ================= client transactions ================= */

/* Retransmission schedule of a request nobody answers (or answers with a
 * provisional only) and the timeout that ends it. */
struct sched_case {
	const char *method;
	uint64_t prov_at;        /* the peer sends 100 then; 0: never */
	uint64_t sends[16];      /* when the request goes out */
	size_t nsends;
	uint64_t giveup;         /* ETIMEDOUT then; 0: no timeout at all */
};

/* RFC 3261 17.1.1.2: Timer A doubles without a cap; Timer B = 64*T1. */
static const struct sched_case timer_a_b = {
	"INVITE", 0, { 0, 500, 1500, 3500, 7500, 15500, 31500 }, 7, 32000
};
/* RFC 3261 17.1.1.2: a provisional stops Timer A, and Timer B only
 * counts in Calling: a ringing call does not time out. */
static const struct sched_case timer_a_b_1xx = {
	"INVITE", 200, { 0 }, 1, 0
};
/* RFC 3261 17.1.2.2: Timer E doubles up to T2; Timer F = 64*T1. */
static const struct sched_case timer_e_f = {
	"OPTIONS", 0,
	{ 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 }, 11, 32000
};
/* RFC 3261 17.1.2.2: in Proceeding Timer E is reset to T2 each time;
 * Timer F still ends the transaction. */
static const struct sched_case timer_e_1xx = {
	"OPTIONS", 600,
	{ 0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500 }, 10, 32000
};

static void test_client_schedule(void **state)
{
	const struct sched_case *k = *state;
	const struct pkt *first;
	struct client c = { 0 };

	client_start(&c, k->method, SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	pump();
	assert_int_equal(count(P_UDP, k->method, 0), 1);
	first = nth(P_UDP, k->method, 0, 0);
	if (k->prov_at) {
		advance_to(k->prov_at);
		peer_reply(first, 100, NULL);
		pump();
		assert_int_equal(c.n, 1);
		assert_int_equal(c.code[0], 100);
	}
	advance_to(END);

	assert_int_equal(count(P_UDP, k->method, 0), k->nsends);
	for (size_t i = 0; i < k->nsends; i++) {
		const struct pkt *p = nth(P_UDP, k->method, 0, i);
		assert_int_equal(p->at, k->sends[i]);
		assert_true(same_bytes(p, first));
	}
	assert_int_equal(E.npkt, k->nsends); /* nothing else, ever */
	assert_int_equal(c.after_final, 0);
	if (k->giveup) {
		assert_int_equal(c.nfinal, 1);
		assert_int_equal(c.err[c.n - 1], ETIMEDOUT);
		assert_int_equal(c.at[c.n - 1], k->giveup);
		assert_int_equal(sip_ctrans_count(E.s), 0);
	} else {
		assert_int_equal(c.nfinal, 0);
		assert_int_equal(sip_ctrans_count(E.s), 1);
	}
}

/* RFC 3261 17.1.2.2: 1xx and the final go to the TU once each; a
 * retransmitted final is absorbed in Completed until Timer K (T4). */
static void test_nict_timer_k(void **state)
{
	struct client c = { 0 };
	const struct pkt *req;
	(void)state;

	client_start(&c, "OPTIONS", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	pump();
	req = nth(P_UDP, "OPTIONS", 0, 0);
	advance_to(100);
	peer_reply(req, 180, "btag");
	pump();
	advance_to(200);
	peer_reply(req, 200, "btag");
	pump();
	assert_int_equal(c.n, 2);
	assert_int_equal(c.code[0], 180);
	assert_int_equal(c.code[1], 200);
	assert_int_equal(c.err[1], 0);
	assert_int_equal(c.nfinal, 1);

	/* retransmitted 200s are absorbed by the transaction */
	advance_to(3000);
	peer_reply(req, 200, "btag");
	pump();
	assert_int_equal(sip_ctrans_count(E.s), 1);
	advance_to(200 + T4 - 1);
	peer_reply(req, 200, "btag");
	pump();
	assert_int_equal(sip_ctrans_count(E.s), 1);
	advance_to(200 + T4);
	assert_int_equal(sip_ctrans_count(E.s), 0);
	assert_int_equal(E.nstray, 0);
	advance_to(END);
	/* the request went out at 0 only: the 180 at 100 came before Timer E */
	assert_int_equal(count(P_UDP, "OPTIONS", 0), 1);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.after_final, 0);
}

/* RFC 3261 17.1.1.3: a 300-699 to an INVITE is ACKed by the transaction
 * (same Request-URI, one Via = the INVITE's top Via, From, Call-ID, CSeq
 * number, Route; To from the response); a retransmitted final gets the
 * ACK again and is not passed up; Timer D (32 s) ends the transaction. */
static void test_ict_ack_non2xx(void **state)
{
	struct client c = { 0 };
	const struct pkt *inv, *ack;
	const struct sip_msg *a, *i;
	(void)state;

	snprintf(c.route, sizeof(c.route), "<sip:127.0.0.1:%u;lr>", sa_port(&E.addr[P_UDP]));
	client_start(&c, "INVITE", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	pump();
	inv = nth(P_UDP, "INVITE", 0, 0);
	advance_to(100);
	peer_reply(inv, 486, "busy");
	pump();
	assert_int_equal(c.n, 1);
	assert_int_equal(c.code[0], 486);
	assert_int_equal(count(P_UDP, "ACK", 0), 1);

	ack = nth(P_UDP, "ACK", 0, 0);
	a = ack->m;
	i = inv->m;
	assert_int_equal(ack->at, 100);
	assert_pl_eq(&a->ruri_text, &i->ruri_text);
	assert_int_equal(a->nvia, 1);
	assert_pl_eq(&a->via->val, &i->via->val);
	assert_pl_eq(&a->via->branch, &i->via->branch);
	assert_pl_eq(&a->from.val, &i->from.val);
	assert_pl(&a->to.tag, "busy");
	assert_pl_eq(&a->to.auri, &i->to.auri);
	assert_pl_eq(&a->callid, &i->callid);
	assert_int_equal(a->cseq.num, i->cseq.num);
	assert_pl(&a->cseq.method, "ACK");
	assert_int_equal(a->nroute, 1);
	assert_pl_eq(&a->route->val, &i->route->val);

	/* a retransmitted 486: ACK again, the TU hears nothing */
	advance_to(2000);
	peer_reply(inv, 486, "busy");
	pump();
	assert_int_equal(count(P_UDP, "ACK", 0), 2);
	assert_true(same_bytes(nth(P_UDP, "ACK", 0, 1), ack));
	assert_int_equal(c.n, 1);

	/* Timer D from the first 486 */
	advance_to(100 + 32000 - 1);
	assert_int_equal(sip_ctrans_count(E.s), 1);
	advance_to(100 + 32000);
	assert_int_equal(sip_ctrans_count(E.s), 0);
	advance_to(END);
	assert_int_equal(count(P_UDP, "INVITE", 0), 1); /* Timer A stopped at 100 */
	assert_int_equal(c.after_final, 0);
}

/* RFC 3261 17.1.1.2: a 2xx goes to the TU and ends the transaction; the
 * ACK is the TU's job (13.2.2.4); a retransmitted 2xx matches nothing and
 * goes to the stray handler (where the dialog resends its ACK). */
static void test_ict_2xx(void **state)
{
	struct client c = { 0 };
	const struct pkt *inv;
	(void)state;

	client_start(&c, "INVITE", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	pump();
	inv = nth(P_UDP, "INVITE", 0, 0);
	advance_to(100);
	peer_reply(inv, 200, "ok");
	pump();
	assert_int_equal(c.n, 1);
	assert_int_equal(c.code[0], 200);
	assert_int_equal(sip_ctrans_count(E.s), 0);
	assert_int_equal(count(P_UDP, "ACK", 0), 0);
	assert_int_equal(E.nstray, 0);

	advance_to(600);
	peer_reply(inv, 200, "ok");
	pump();
	assert_int_equal(E.nstray, 1);
	assert_int_equal(E.stray_code, 200);
	assert_int_equal(c.n, 1);
	advance_to(END);
	assert_int_equal(E.npkt, 1); /* no retransmission, no ACK */
	assert_int_equal(c.after_final, 0);
}

/* RFC 3261 17.1.1.2-3: a ringing INVITE whose user went away still ACKs
 * a non-2xx final, and ends (64*T1) when none comes, although Timer B no
 * longer runs in Proceeding. */
static void test_ict_abandoned(void **state)
{
	struct client a = { 0 }, b = { 0 };
	const struct pkt *inv_a, *inv_b;
	(void)state;

	client_start(&a, "INVITE", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	client_start(&b, "INVITE", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	pump();
	assert_int_equal(count(P_UDP, "INVITE", 0), 2);
	inv_a = nth(P_UDP, "INVITE", 0, 0);
	inv_b = nth(P_UDP, "INVITE", 0, 1);
	if (inv_a->m->cseq.num != a.cseq) {
		const struct pkt *t = inv_a;
		inv_a = inv_b;
		inv_b = t;
	}
	advance_to(100);
	peer_reply(inv_a, 180, "ra");
	peer_reply(inv_b, 180, "rb");
	pump();
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 1);
	sip_request_abandon(a.r);
	sip_request_abandon(b.r);
	pump();                                        /* frees the requests */
	advance_to(500);
	assert_int_equal(sip_ctrans_count(E.s), 2);

	peer_reply(inv_a, 486, "ra");
	pump();
	assert_int_equal(count(P_UDP, "ACK", 0), 1);
	assert_pl(&nth(P_UDP, "ACK", 0, 0)->m->to.tag, "ra");
	assert_int_equal(a.n, 1);                      /* nobody to tell */

	advance_to(100 + 64 * T1 - 1);
	assert_int_equal(sip_ctrans_count(E.s), 2);
	advance_to(100 + 64 * T1);                     /* b: 64*T1 after abandon */
	assert_int_equal(sip_ctrans_count(E.s), 1);
	advance_to(500 + 32000);                       /* a: Timer D */
	assert_int_equal(sip_ctrans_count(E.s), 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(count(P_UDP, "INVITE", 0), 2);
}

/* RFC 3261 9.1: CANCEL after a provisional: same Request-URI, Call-ID,
 * To, From, CSeq number, Route, and one Via equal to the INVITE's top Via
 * (same branch); method CANCEL.  The 487 that follows is ACKed. */
static void test_cancel_after_1xx(void **state)
{
	struct client c = { 0 };
	const struct pkt *inv, *can;
	const struct sip_msg *i, *k;
	(void)state;

	snprintf(c.route, sizeof(c.route), "<sip:127.0.0.1:%u;lr>", sa_port(&E.addr[P_UDP]));
	client_start(&c, "INVITE", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	pump();
	inv = nth(P_UDP, "INVITE", 0, 0);
	advance_to(100);
	peer_reply(inv, 180, "ring");
	pump();
	assert_int_equal(c.n, 1);
	assert_int_equal(c.code[0], 180);

	advance_to(1000);
	assert_int_equal(sip_request_cancel(c.r), 0);
	pump();
	assert_int_equal(count(P_UDP, "CANCEL", 0), 1);
	can = nth(P_UDP, "CANCEL", 0, 0);
	i = inv->m;
	k = can->m;
	assert_int_equal(can->at, 1000);
	assert_pl_eq(&k->ruri_text, &i->ruri_text);
	assert_int_equal(k->nvia, 1);
	assert_pl_eq(&k->via->val, &i->via->val);
	assert_pl_eq(&k->via->branch, &i->via->branch);
	assert_pl_eq(&k->callid, &i->callid);
	assert_pl_eq(&k->from.val, &i->from.val);
	assert_pl_eq(&k->to.val, &i->to.val);
	assert_int_equal(k->cseq.num, i->cseq.num);
	assert_pl(&k->cseq.method, "CANCEL");
	assert_int_equal(k->nroute, 1);
	assert_pl_eq(&k->route->val, &i->route->val);

	/* CANCEL is a non-INVITE transaction: Timer E until answered */
	advance_to(1000 + T1);
	assert_int_equal(count(P_UDP, "CANCEL", 0), 2);
	peer_reply(can, 200, "ring");
	peer_reply(inv, 487, "ring");
	pump();
	assert_int_equal(c.n, 2);
	assert_int_equal(c.code[1], 487);
	assert_int_equal(count(P_UDP, "ACK", 0), 1);
	advance_to(END);
	assert_int_equal(count(P_UDP, "CANCEL", 0), 2);
	assert_int_equal(count(P_UDP, "INVITE", 0), 1);
	assert_int_equal(c.after_final, 0);
	assert_int_equal(sip_ctrans_count(E.s), 0);
}

/* RFC 3261 9.1: without a provisional response the CANCEL must wait for
 * one; a request not sent yet just ends. */
static void test_cancel_deferred(void **state)
{
	struct client c = { 0 }, d = { 0 };
	const struct pkt *inv, *can;
	(void)state;

	/* still resolving: nothing goes out at all */
	client_start(&d, "INVITE", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	assert_int_equal(sip_request_cancel(d.r), 0);
	assert_int_equal(d.nfinal, 1);
	assert_int_equal(d.err[0], ECANCELED);
	pump();
	assert_int_equal(E.npkt, 0);

	client_start(&c, "INVITE", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	pump();
	inv = nth(P_UDP, "INVITE", 0, 0);
	advance_to(100);
	assert_int_equal(sip_request_cancel(c.r), 0);
	pump();
	advance_to(300);
	assert_int_equal(count(P_UDP, "CANCEL", 0), 0);

	peer_reply(inv, 100, NULL);
	pump();
	assert_int_equal(count(P_UDP, "CANCEL", 0), 1);
	can = nth(P_UDP, "CANCEL", 0, 0);
	assert_int_equal(can->at, 300);
	assert_pl_eq(&can->m->via->branch, &inv->m->via->branch);
	assert_int_equal(can->m->cseq.num, inv->m->cseq.num);
	peer_reply(can, 200, "x");
	peer_reply(inv, 487, "x");
	pump();
	assert_int_equal(c.nfinal, 1);
	assert_int_equal(c.code[c.n - 1], 487);
	assert_int_equal(count(P_UDP, "ACK", 0), 1);
	assert_int_equal(d.n, 1);
}

/* ================= server transactions ================= */

/* RFC 3261 17.2.2: a retransmitted request gets the same final again and
 * never reaches the TU; after Timer J (64*T1 over UDP) a copy is a new
 * transaction. */
static void test_nist_retransmission(void **state)
{
	struct preq q = { .method = "OPTIONS", .branch = "z9hG4bKnist1", .sock = P_UDP,
			  .via_sock = -1 };
	const struct pkt *r0;
	(void)state;

	S.final = 200;
	peer_request(&q);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(count(P_UDP, NULL, 200), 1);
	r0 = nth(P_UDP, NULL, 200, 0);
	assert_pl(&r0->m->via->branch, "z9hG4bKnist1");
	assert_true(r0->m->to.tag.l > 0);
	assert_int_equal(sip_strans_count(E.s), 1);

	advance_to(1000);
	peer_request(&q);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(count(P_UDP, NULL, 200), 2);
	assert_true(same_bytes(nth(P_UDP, NULL, 200, 1), r0));

	advance_to(64 * T1 - 1);
	peer_request(&q);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(count(P_UDP, NULL, 200), 3);

	advance_to(64 * T1);
	assert_int_equal(sip_strans_count(E.s), 0);
	peer_request(&q);
	pump();
	assert_int_equal(S.nreq, 2);
	assert_int_equal(count(P_UDP, NULL, 200), 4);
	assert_int_equal(count(P_UDP, NULL, 0), 4); /* nothing unasked for */
}

/* RFC 3261 17.2.2: in Trying a retransmission is discarded; in
 * Proceeding it gets the last provisional; in Completed the final. */
static void test_nist_trying_proceeding(void **state)
{
	struct preq q = { .method = "MESSAGE", .branch = "z9hG4bKnist2", .sock = P_UDP,
			  .via_sock = -1 };
	(void)state;

	S.hold = true;
	peer_request(&q);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_non_null(S.held);
	assert_int_equal(E.npkt, 0);
	peer_request(&q);
	pump();
	assert_int_equal(E.npkt, 0);
	assert_int_equal(S.nreq, 1);

	assert_int_equal(sip_reply(S.held, 101, "Wait", NULL, NULL, NULL), 0);
	pump();
	peer_request(&q);
	pump();
	assert_int_equal(count(P_UDP, NULL, 101), 2);
	assert_int_equal(sip_reply(S.held, 202, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(sip_reply(S.held, 200, NULL, NULL, NULL, NULL), EALREADY);
	pump();
	peer_request(&q);
	pump();
	assert_int_equal(count(P_UDP, NULL, 202), 2);
	assert_int_equal(E.npkt, 4);
	assert_int_equal(S.nreq, 1);
}

/* RFC 3261 17.2.1: 100 Trying at once (before the TU has answered); a
 * retransmitted INVITE in Proceeding gets the last provisional again. */
static void test_ist_proceeding(void **state)
{
	struct preq q = { .method = "INVITE", .branch = "z9hG4bKist1", .sock = P_UDP,
			  .via_sock = -1 };
	const struct pkt *trying, *ring;
	(void)state;

	S.prov = 180;
	S.hold = true;
	peer_request(&q);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(E.npkt, 2);
	trying = &E.pkts[0];
	ring = &E.pkts[1];
	assert_int_equal(trying->m->scode, 100);
	assert_int_equal(trying->m->to.tag.l, 0);    /* 100 carries no To tag */
	assert_int_equal(ring->m->scode, 180);
	assert_pl(&ring->m->to.tag, sip_strans_tag(S.held));

	advance_to(T1 * 3);
	assert_int_equal(E.npkt, 2);                  /* no retransmission of a 1xx */
	peer_request(&q);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(E.npkt, 3);
	assert_int_equal(E.pkts[2].m->scode, 180);
	assert_true(same_bytes(&E.pkts[2], ring));
	assert_int_equal(count(P_UDP, NULL, 100), 1);
}

/* The final response's retransmissions by the server INVITE transaction
 * and what ends them. */
struct srv_sched_case {
	uint16_t final;
	uint64_t ack_at;          /* the peer ACKs then; 0: never */
	uint64_t sends[16];       /* when the final goes out */
	size_t nsends;
	uint64_t end;             /* when the transaction is gone */
	unsigned nackto;          /* ack-timeout handler calls (at end) */
};

/* RFC 3261 17.2.1: Timer G from T1 doubling up to T2; Timer H = 64*T1. */
static const struct srv_sched_case timer_g_h = {
	486, 0, { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 }, 11,
	32000, 0
};
/* RFC 3261 17.2.1: the ACK stops Timer G; Confirmed absorbs ACKs for
 * Timer I (T4). */
static const struct srv_sched_case timer_g_ack_i = {
	486, 8000, { 0, 500, 1500, 3500, 7500 }, 5, 8000 + 5000, 0
};
/* RFC 6026 8.5 (13.3.1.4): the 2xx is retransmitted T1 doubling up to T2
 * until its ACK; without one the TU learns at 64*T1 (Timer L). */
static const struct srv_sched_case accepted_no_ack = {
	200, 0, { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 }, 11,
	32000, 1
};
/* RFC 6026 8.5-8.7: the ACK (its own branch) stops the 2xx; the
 * transaction stays Accepted until Timer L to absorb INVITE copies. */
static const struct srv_sched_case accepted_ack = {
	200, 8000, { 0, 500, 1500, 3500, 7500 }, 5, 32000, 0
};

static void test_ist_schedule(void **state)
{
	const struct srv_sched_case *k = *state;
	struct preq q = { .method = "INVITE", .branch = "z9hG4bKist2", .sock = P_UDP,
			  .via_sock = -1, .callid = "ist-call", .ftag = "ist-ftag", .cseq = 7 };
	const struct pkt *fin;

	S.final = k->final;
	peer_request(&q);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(count(P_UDP, NULL, 100), 1);
	assert_int_equal(count(P_UDP, NULL, k->final), 1);
	fin = nth(P_UDP, NULL, k->final, 0);

	if (k->ack_at) {
		struct preq ack = q;
		char totag[64];

		pl_strcpy(&fin->m->to.tag, totag, sizeof(totag));
		advance_to(k->ack_at);
		ack.method = "ACK";
		ack.totag = totag;
		if (k->final >= 300) {
			ack.branch = q.branch;       /* 17.1.1.3: the INVITE's branch */
		} else {
			ack.branch = "z9hG4bKack2xx"; /* 13.2.2.4: a new transaction */
		}
		peer_request(&ack);
		pump();
		/* an ACK for a 2xx goes on to the TU (the dialog); one for a
		 * non-2xx is the transaction's */
		assert_int_equal(S.nack, k->final >= 300 ? 0 : 1);
		/* a retransmitted ACK is absorbed too (or passed on, for 2xx) */
		advance_to(k->ack_at + 1000);
		peer_request(&ack);
		pump();
		assert_int_equal(S.nack, k->final >= 300 ? 0 : 2);
		/* a late copy of the INVITE is not a new request */
		peer_request(&q);
		pump();
		assert_int_equal(S.nreq, 1);
	}
	advance_to(k->end - 1);
	assert_int_equal(sip_strans_count(E.s), 1);
	assert_int_equal(S.nackto, 0);
	advance_to(k->end);
	assert_int_equal(sip_strans_count(E.s), 0);
	assert_int_equal(S.nackto, k->nackto);
	if (k->nackto)
		assert_int_equal(S.ackto_at, k->end);
	advance_to(END);

	assert_int_equal(count(P_UDP, NULL, k->final), k->nsends);
	for (size_t i = 0; i < k->nsends; i++) {
		const struct pkt *p = nth(P_UDP, NULL, k->final, i);
		assert_int_equal(p->at, k->sends[i]);
		assert_true(same_bytes(p, fin));
	}
	assert_int_equal(E.npkt, k->nsends + 1);
	assert_int_equal(S.nreq, 1);
	assert_int_equal(S.nackto, k->nackto);
}

/* RFC 3261 9.2: a CANCEL matching a pending INVITE gets 200 with the
 * INVITE's To tag, and the TU answers the INVITE 487; an ACK to the 487
 * ends the retransmissions; a retransmitted CANCEL gets its 200 again. */
static void test_cancel_pending_invite(void **state)
{
	struct preq inv = { .method = "INVITE", .branch = "z9hG4bKcan1", .sock = P_UDP,
			    .via_sock = -1, .cseq = 5 };
	struct preq can = inv, ack = inv;
	const struct pkt *ring, *ok, *term;
	char totag[64];
	(void)state;

	S.prov = 180;
	peer_request(&inv);
	pump();
	ring = nth(P_UDP, NULL, 180, 0);
	pl_strcpy(&ring->m->to.tag, totag, sizeof(totag));

	advance_to(1000);
	can.method = "CANCEL";
	peer_request(&can);
	pump();
	assert_int_equal(S.ncancel, 1);
	assert_int_equal(S.nreq, 1);
	ok = nth(P_UDP, NULL, 200, 0);
	assert_pl(&ok->m->cseq.method, "CANCEL");
	assert_int_equal(ok->m->cseq.num, 5);
	assert_pl(&ok->m->to.tag, totag);
	term = nth(P_UDP, NULL, 487, 0);
	assert_pl(&term->m->cseq.method, "INVITE");
	assert_pl(&term->m->to.tag, totag);

	ack.method = "ACK";
	ack.totag = totag;
	peer_request(&ack);
	pump();
	advance_to(1000 + 4 * T1);
	assert_int_equal(count(P_UDP, NULL, 487), 1);

	peer_request(&can);
	pump();
	assert_int_equal(count(P_UDP, NULL, 200), 2);
	assert_int_equal(S.ncancel, 1);
	assert_int_equal(S.nack, 0);
}

/* RFC 3261 9.2: a CANCEL that matches no transaction gets 481. */
static void test_cancel_unknown(void **state)
{
	struct preq can = { .method = "CANCEL", .branch = "z9hG4bKnothing", .sock = P_UDP,
			    .via_sock = -1 };
	const struct pkt *r;
	(void)state;

	peer_request(&can);
	pump();
	assert_int_equal(E.npkt, 1);
	r = &E.pkts[0];
	assert_int_equal(r->m->scode, 481);
	assert_pl(&r->m->cseq.method, "CANCEL");
	assert_int_equal(S.nreq, 0);
	assert_int_equal(S.ncancel, 0);
}

/* RFC 3261 8.2.2.2: no To tag, From tag, Call-ID and CSeq of an ongoing
 * transaction but another branch: a merged request, answered 482 by the
 * stack without reaching the TU.  The request's own transaction is not a
 * merge (the handler asks sip_strans_merged about it). */
static void test_merged_request(void **state)
{
	struct preq a = { .method = "INVITE", .branch = "z9hG4bKpath1", .sock = P_UDP,
			  .via_sock = -1, .callid = "fork", .ftag = "ff", .cseq = 9 };
	struct preq b = a, other = a;
	(void)state;

	S.check_merged = true;
	S.prov = 180;
	peer_request(&a);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(S.nmerged, 0);
	assert_int_equal(count(P_UDP, NULL, 180), 1);

	b.branch = "z9hG4bKpath2";
	b.sock = P_UDP2;
	peer_request(&b);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(count(P_UDP2, NULL, 482), 1);
	peer_request(&b);  /* its retransmission: the 482 again */
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(count(P_UDP2, NULL, 482), 2);

	/* another CSeq is not the same request */
	other.branch = "z9hG4bKpath3";
	other.cseq = 10;
	peer_request(&other);
	pump();
	assert_int_equal(S.nreq, 2);
	assert_int_equal(S.nmerged, 0);
	assert_int_equal(count(P_UDP, NULL, 180), 2);
	assert_int_equal(count(-1, NULL, 482), 2);
}

/* Where responses go, and the Via they carry. */
struct route_case {
	bool rport;
	const char *via_host;    /* NULL: 127.0.0.1 */
	int want_sock;           /* which peer socket gets the answer */
	const char *received;    /* expected received=, NULL: absent */
	bool want_rport;         /* rport=<source port> expected */
};

/* RFC 3581 4: rport: to the source port, with received= and rport=. */
static const struct route_case rport_case = { true, NULL, P_UDP, "127.0.0.1", true };
/* RFC 3261 18.2.2: no rport: to the source address, the sent-by port;
 * received= only when sent-by differs from the source (18.2.1). */
static const struct route_case sentby_case = { false, NULL, P_UDP2, NULL, false };
static const struct route_case received_case = { false, "client.invalid", P_UDP2, "127.0.0.1",
						 false };

static void test_response_route(void **state)
{
	const struct route_case *k = *state;
	struct preq q = { .method = "OPTIONS", .branch = "z9hG4bKroute", .sock = P_UDP,
			  .via_sock = P_UDP2, .rport = k->rport, .via_host = k->via_host };
	const struct sip_via *v;

	S.final = 200;
	peer_request(&q);
	pump();
	assert_int_equal(E.npkt, 1);
	assert_int_equal(E.pkts[0].sock, k->want_sock);
	v = E.pkts[0].m->via;
	assert_int_equal(v->port, sa_port(&E.addr[P_UDP2]));
	if (k->received)
		assert_pl(&v->received, k->received);
	else
		assert_false(pl_isset(&v->received));
	if (k->want_rport) {
		char port[16];
		snprintf(port, sizeof(port), "%u", sa_port(&E.addr[P_UDP]));
		assert_pl(&v->rport_val, port);
	} else {
		assert_false(v->rport);
	}
	assert_pl(&v->branch, "z9hG4bKroute");
}

/* RFC 3261 21.4.1, 8.2.6.2, 18.2.2: a request that does not parse is
 * answered 400 with the fault as reason phrase (via the transport's
 * bad-message path), every Via copied in order, sent where any response
 * would go; a parsed request missing a mandatory header too; never an
 * ACK. */
static void test_bad_request_400(void **state)
{
	char req[512];
	const struct pkt *r;
	const char *via1, *via2;
	(void)state;

	/* from P_UDP, sent-by P_UDP2 without rport: the answer goes there */
	snprintf(req, sizeof(req),
		 "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad1\r\n"
		 "Via: SIP/2.0/UDP proxy.invalid:5070;branch=z9hG4bKup\r\n"
		 "From: <sip:alice@127.0.0.1>;tag=f1\r\n"
		 "To: <sip:bob@127.0.0.1>\r\n"
		 "Call-ID: bad-1\r\n"
		 "CSeq: one OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n", sa_port(&E.addr[P_UDP2]));
	peer_raw(P_UDP, req);
	pump();
	assert_int_equal(E.npkt, 1);
	r = &E.pkts[0];
	/* the CSeq is copied as it came (8.2.6.2), so the 400 does not
	 * parse either: look at its text */
	assert_int_equal(r->sock, P_UDP2);
	assert_memory_equal(r->raw, "SIP/2.0 400 Bad CSeq header\r\n",
			    strlen("SIP/2.0 400 Bad CSeq header\r\n"));
	via1 = strstr(r->raw, "\r\nVia: SIP/2.0/UDP 127.0.0.1:");
	via2 = strstr(r->raw, "\r\nVia: SIP/2.0/UDP proxy.invalid:5070;branch=z9hG4bKup\r\n");
	assert_non_null(via1);
	assert_non_null(via2);
	assert_true(via1 < via2);
	assert_non_null(strstr(r->raw, ";branch=z9hG4bKbad1\r\n"));
	assert_non_null(strstr(r->raw, "\r\nFrom: <sip:alice@127.0.0.1>;tag=f1\r\n"));
	assert_non_null(strstr(r->raw, "\r\nTo: <sip:bob@127.0.0.1>;tag="));
	assert_non_null(strstr(r->raw, "\r\nCall-ID: bad-1\r\n"));
	assert_non_null(strstr(r->raw, "\r\nCSeq: one OPTIONS\r\n"));

	/* parses but lacks Call-ID; rport: back to the source */
	snprintf(req, sizeof(req),
		 "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad2;rport\r\n"
		 "From: <sip:alice@127.0.0.1>;tag=f1\r\n"
		 "To: <sip:bob@127.0.0.1>\r\n"
		 "CSeq: 1 OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n", sa_port(&E.addr[P_UDP2]));
	peer_raw(P_UDP, req);
	pump();
	assert_int_equal(E.npkt, 2);
	assert_int_equal(E.pkts[1].sock, P_UDP);
	assert_int_equal(E.pkts[1].m->scode, 400);
	assert_pl(&E.pkts[1].m->reason, "Missing Call-ID header");
	assert_pl(&E.pkts[1].m->via->branch, "z9hG4bKbad2");

	snprintf(req, sizeof(req),
		 "ACK sip:bob@127.0.0.1 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad3\r\n"
		 "From: <sip:alice@127.0.0.1>;tag=f1\r\n"
		 "To: <sip:bob@127.0.0.1>;tag=t\r\n"
		 "Call-ID: bad-3\r\n"
		 "CSeq: x ACK\r\n"
		 "Content-Length: 0\r\n\r\n", sa_port(&E.addr[P_UDP]));
	peer_raw(P_UDP, req);
	pump();
	assert_int_equal(E.npkt, 2);
	assert_int_equal(S.nreq, 0);
	assert_int_equal(S.nack, 0);
	assert_int_equal(sip_strans_count(E.s), 0);
}

/* RFC 3261 18.1.2: a response that does not parse (or lacks what matching
 * needs) is dropped; it is never answered and does not touch the
 * transaction it seems to belong to. */
static void test_bad_response_dropped(void **state)
{
	struct client c = { 0 };
	const struct pkt *req;
	char resp[512];
	(void)state;

	client_start(&c, "OPTIONS", SIP_TP_UDP, sa_port(&E.addr[P_UDP]));
	pump();
	req = nth(P_UDP, "OPTIONS", 0, 0);
	snprintf(resp, sizeof(resp),
		 "SIP/2.0 2x0 OK\r\n"
		 "Via: %.*s\r\n"
		 "From: %.*s\r\nTo: %.*s;tag=x\r\nCall-ID: %.*s\r\n"
		 "CSeq: %u OPTIONS\r\nContent-Length: 0\r\n\r\n",
		 PL_ARG(req->m->via->val), PL_ARG(req->m->from.val), PL_ARG(req->m->to.val),
		 PL_ARG(req->m->callid), req->m->cseq.num);
	peer_raw(P_UDP, resp);
	pump();
	snprintf(resp, sizeof(resp),
		 "SIP/2.0 200 OK\r\n"
		 "Via: %.*s\r\n"
		 "From: %.*s\r\nTo: %.*s;tag=x\r\nCall-ID: %.*s\r\n"
		 "Content-Length: 0\r\n\r\n",
		 PL_ARG(req->m->via->val), PL_ARG(req->m->from.val), PL_ARG(req->m->to.val),
		 PL_ARG(req->m->callid));
	peer_raw(P_UDP, resp);
	pump();
	assert_int_equal(E.npkt, 1);
	assert_int_equal(c.n, 0);
	assert_int_equal(sip_ctrans_count(E.s), 1);
	advance_to(T1);
	assert_int_equal(count(P_UDP, "OPTIONS", 0), 2); /* still retransmitting */
	peer_reply(req, 200, "x");
	pump();
	assert_int_equal(c.n, 1);
	assert_int_equal(c.code[0], 200);
}

/* RFC 3261 17.2.3: a branch without the magic cookie is matched by
 * Request-URI, From tag, Call-ID, CSeq, top Via (and for ACK the To tag of
 * our response). */
static void test_rfc2543_matching(void **state)
{
	struct preq inv = { .method = "INVITE", .branch = NULL, .sock = P_UDP, .via_sock = -1,
			    .callid = "old-call", .ftag = "old", .cseq = 3 };
	struct preq ack = inv, inv2 = inv;
	const struct pkt *busy;
	char totag[64];
	(void)state;

	S.final = 486;
	peer_request(&inv);
	pump();
	assert_int_equal(S.nreq, 1);
	busy = nth(P_UDP, NULL, 486, 0);
	pl_strcpy(&busy->m->to.tag, totag, sizeof(totag));

	peer_request(&inv);
	pump();
	assert_int_equal(S.nreq, 1);
	assert_int_equal(count(P_UDP, NULL, 486), 2);

	/* an ACK with someone else's To tag is not ours */
	ack.method = "ACK";
	ack.totag = "not-ours";
	peer_request(&ack);
	pump();
	assert_int_equal(S.nack, 1);
	advance_to(T1);
	assert_int_equal(count(P_UDP, NULL, 486), 3);   /* Timer G still runs */

	ack.totag = totag;
	peer_request(&ack);
	pump();
	assert_int_equal(S.nack, 1);
	advance_to(10 * T1);
	assert_int_equal(count(P_UDP, NULL, 486), 3);   /* Confirmed */

	inv2.cseq = 4;
	peer_request(&inv2);
	pump();
	assert_int_equal(S.nreq, 2);
	assert_int_equal(count(P_UDP, NULL, 486), 4);
}

/* ================= TCP ================= */

/* RFC 3261 17.1.2.2: over a reliable transport Timer E is not used;
 * Timer F still ends the transaction. */
static void test_tcp_no_retransmission(void **state)
{
	struct client c = { 0 };
	(void)state;

	client_start(&c, "OPTIONS", SIP_TP_TCP, sa_port(&E.tcpl_addr));
	WAIT_UNTIL(count(P_ACC, "OPTIONS", 0) == 1);
	assert_pl(&nth(P_ACC, "OPTIONS", 0, 0)->m->via->transport, "TCP");
	advance_to(64 * T1 - 1);
	assert_int_equal(count(P_ACC, "OPTIONS", 0), 1);
	assert_int_equal(c.n, 0);
	advance_to(64 * T1);
	assert_int_equal(c.nfinal, 1);
	assert_int_equal(c.err[0], ETIMEDOUT);
	assert_int_equal(c.at[0], 64 * T1);
	assert_int_equal(count(P_ACC, NULL, 0), 0);
	assert_int_equal(E.npkt, 1);
}

/* RFC 3261 18.1.1 / 18: a second request to the same peer reuses the
 * connection. */
static void test_tcp_reuse(void **state)
{
	struct client a = { 0 }, b = { 0 };
	(void)state;

	client_start(&a, "OPTIONS", SIP_TP_TCP, sa_port(&E.tcpl_addr));
	WAIT_UNTIL(count(P_ACC, "OPTIONS", 0) == 1);
	peer_reply(nth(P_ACC, "OPTIONS", 0, 0), 200, "t");
	WAIT_UNTIL(a.nfinal == 1);
	assert_int_equal(a.code[0], 200);

	advance_to(1000);
	client_start(&b, "MESSAGE", SIP_TP_TCP, sa_port(&E.tcpl_addr));
	WAIT_UNTIL(count(P_ACC, "MESSAGE", 0) == 1);
	assert_int_equal(nth(P_ACC, "MESSAGE", 0, 0)->conn, 0);
	assert_int_equal(E.nacc, 1);
	assert_int_equal(sip_tp_conn_count(sip_transport(E.s)), 1);
	peer_reply(nth(P_ACC, "MESSAGE", 0, 0), 200, "t");
	WAIT_UNTIL(b.nfinal == 1);
	assert_int_equal(b.code[0], 200);
}

/* RFC 3261 17.1.4 / 18.4: the connection closing is a transport error
 * for the transactions on it, reported at once, not at Timer B. */
static void test_tcp_close_fails(void **state)
{
	struct client c = { 0 };
	(void)state;

	client_start(&c, "INVITE", SIP_TP_TCP, sa_port(&E.tcpl_addr));
	WAIT_UNTIL(count(P_ACC, "INVITE", 0) == 1);
	peer_reply(nth(P_ACC, "INVITE", 0, 0), 180, "t");
	WAIT_UNTIL(c.n == 1);
	advance_to(5000);
	close(E.acc[0]);
	E.acc[0] = -1;
	WAIT_UNTIL(c.nfinal == 1);
	assert_int_equal(c.n, 2);
	assert_int_not_equal(c.err[1], 0);
	assert_int_not_equal(c.err[1], ETIMEDOUT);
	assert_int_equal(c.at[1], 5000);
	assert_int_equal(sip_ctrans_count(E.s), 0);
}

/* RFC 3261 18.4 / 17.1.4: a connection that cannot be opened is a
 * transport error, reported at once (no target left to fail over to). */
static void test_tcp_refused(void **state)
{
	struct client c = { 0 };
	struct sa a;
	(void)state;

	/* a bound port nobody listens on answers the SYN with RST */
	E.fd[P_TCPC] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa_set(&a, "127.0.0.1", 0);
	assert_int_equal(bind(E.fd[P_TCPC], &a.u.sa, a.len), 0);
	a.len = sizeof(a.u);
	getsockname(E.fd[P_TCPC], &a.u.sa, &a.len);
	client_start(&c, "OPTIONS", SIP_TP_TCP, sa_port(&a));
	WAIT_UNTIL(c.nfinal == 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.err[0], ECONNREFUSED);
	assert_int_equal(c.at[0], 0);
	assert_int_equal(sip_ctrans_count(E.s), 0);
	advance_to(END);
	assert_int_equal(c.after_final, 0);
}

/* RFC 3261 17.2.2: over TCP the response goes back on the connection and
 * Timer J is zero. */
static void test_tcp_server_timer_j(void **state)
{
	struct preq q = { .method = "OPTIONS", .branch = "z9hG4bKtcp1", .sock = P_TCPC,
			  .via_sock = -1 };
	(void)state;

	E.fd[P_TCPC] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(E.fd[P_TCPC], &E.stack.u.sa, E.stack.len), 0);
	E.addr[P_TCPC].len = sizeof(E.addr[P_TCPC].u);
	getsockname(E.fd[P_TCPC], &E.addr[P_TCPC].u.sa, &E.addr[P_TCPC].len);
	S.final = 200;
	peer_request(&q);
	WAIT_UNTIL(count(P_TCPC, NULL, 200) == 1);
	assert_int_equal(S.nreq, 1);
	pump();
	assert_int_equal(sip_strans_count(E.s), 0);
	assert_int_equal(sip_tp_conn_count(sip_transport(E.s)), 1);
}

/* ---------- the table ---------- */

#define CASE(name, fn) { #name, fn, setup, teardown, NULL }
#define CASE_T(name, fn, tab) { #name, fn, setup, teardown, (void *)&(tab) }

static int group_setup(void **state)
{
	(void)state;
	log_set_stderr(getenv("TXN_LOG") != NULL);
	if (getenv("TXN_LOG")) {
		log_set_level(LOG_LVL_DEBUG);
		log_trace_enable(true);
	}
	if (loop_init())
		return -1;
	return sip_resolv_init(NULL) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sip_resolv_close();
	loop_close();
	tmr_clock_set(NULL);
	log_close();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CASE_T(rfc3261_17_1_1_2_timer_a_doubles_timer_b_times_out, test_client_schedule,
		       timer_a_b),
		CASE_T(rfc3261_17_1_1_2_provisional_stops_timers_a_and_b, test_client_schedule,
		       timer_a_b_1xx),
		CASE_T(rfc3261_17_1_2_2_timer_e_capped_at_t2_timer_f, test_client_schedule,
		       timer_e_f),
		CASE_T(rfc3261_17_1_2_2_proceeding_retransmits_every_t2, test_client_schedule,
		       timer_e_1xx),
		CASE(rfc3261_17_1_2_2_final_once_timer_k_absorbs, test_nict_timer_k),
		CASE(rfc3261_17_1_1_3_ack_for_non2xx_timer_d, test_ict_ack_non2xx),
		CASE(rfc3261_17_1_1_2_2xx_ends_transaction_stray_2xx, test_ict_2xx),
		CASE(rfc3261_17_1_1_3_abandoned_invite_acks_and_ends, test_ict_abandoned),
		CASE(rfc3261_9_1_cancel_after_provisional, test_cancel_after_1xx),
		CASE(rfc3261_9_1_cancel_waits_for_provisional, test_cancel_deferred),
		CASE(rfc3261_17_2_2_retransmission_absorbed_timer_j, test_nist_retransmission),
		CASE(rfc3261_17_2_2_trying_discards_proceeding_resends, test_nist_trying_proceeding),
		CASE(rfc3261_17_2_1_100_at_once_resend_provisional, test_ist_proceeding),
		CASE_T(rfc3261_17_2_1_timer_g_capped_timer_h, test_ist_schedule, timer_g_h),
		CASE_T(rfc3261_17_2_1_ack_confirms_timer_i, test_ist_schedule, timer_g_ack_i),
		CASE_T(rfc6026_2xx_retransmitted_until_timer_l, test_ist_schedule, accepted_no_ack),
		CASE_T(rfc6026_ack_stops_2xx_accepted_absorbs, test_ist_schedule, accepted_ack),
		CASE(rfc3261_9_2_cancel_pending_invite_200_and_487, test_cancel_pending_invite),
		CASE(rfc3261_9_2_cancel_unmatched_481, test_cancel_unknown),
		CASE(rfc3261_8_2_2_2_merged_request, test_merged_request),
		CASE_T(rfc3581_4_rport_response_to_source_port, test_response_route, rport_case),
		CASE_T(rfc3261_18_2_2_response_to_sent_by_port, test_response_route, sentby_case),
		CASE_T(rfc3261_18_2_1_received_when_sent_by_differs, test_response_route,
		       received_case),
		CASE(rfc3261_21_4_1_unparsable_request_400_with_reason, test_bad_request_400),
		CASE(rfc3261_18_1_2_unparsable_response_dropped, test_bad_response_dropped),
		CASE(rfc3261_17_2_3_rfc2543_matching, test_rfc2543_matching),
		CASE(rfc3261_17_1_2_2_tcp_no_timer_e, test_tcp_no_retransmission),
		CASE(rfc3261_18_tcp_connection_reused, test_tcp_reuse),
		CASE(rfc3261_17_1_4_connection_loss_fails_transaction, test_tcp_close_fails),
		CASE(rfc3261_18_4_connect_refused_fails_at_once, test_tcp_refused),
		CASE(rfc3261_17_2_2_tcp_response_on_connection_timer_j_zero,
		     test_tcp_server_timer_j),
	};

	return cmocka_run_group_tests_name("sip-txn", tests, group_setup, group_teardown);
}
