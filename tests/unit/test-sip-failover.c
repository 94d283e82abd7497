/* test-sip-failover.c: a request fails over to the next target of its
 * RFC 3263 server list (RFC 3263 4.3, src/sip/request.c) on a transport
 * error, a timeout or a 503, through the real stack, resolver and loop.
 *
 * The targets come from SRV records served by dnsmasq (started here, as in
 * test-sip-resolv.c) for names under fo.test, all pointing at 127.0.0.1
 * ports this program holds: a TCP port bound without listen() refuses, a
 * silent UDP socket never answers, a UDP port bound and closed again draws
 * an ICMP port unreachable, and plain sockets play the servers that do.  Without /usr/sbin/dnsmasq the cases are skipped, unless
 * SIPTERM_REQUIRE_INTEROP=1, where they fail.  SIP time is a fake clock
 * (advance_to), DNS answers arrive in real time; every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "sa.h"
#include "tmr.h"
#include "sip/msg.h"
#include "sip/resolv.h"
#include "sip/sip.h"

#ifndef DNSMASQ
#define DNSMASQ "/usr/sbin/dnsmasq"
#endif

#define T1 500u
#define BASE 1000000u   /* fake clock at the start of each case */
#define MAX_ACC 4

/* ---------- the servers (held for the whole group) ---------- */

enum {
	S_DEAD1,     /* TCP, bound, not listening: refuses */
	S_DEAD2,     /* another one */
	S_TCP_A,     /* TCP listener */
	S_TCP_B,     /* TCP listener, lower priority than A */
	S_TCP_CUT,   /* TCP listener whose connections we cut */
	S_SILENT,    /* UDP, never answers */
	S_UDP_503,   /* UDP, answers 503 */
	S_UDP_OK,    /* UDP, answers */
	S_UDP_CLOSED, /* UDP, nobody listens: ICMP port unreachable */
	S_UDP_CLOSED2, /* another one */
	S_NUM
};

static int srv_fd[S_NUM];
static uint16_t srv_port[S_NUM];

/* ---------- dnsmasq ---------- */

static pid_t dns_pid = -1;
static char dns_servers[64];
static bool dns_missing;

static uint64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int sock_bound(int type, uint16_t *port)
{
	struct sa a;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	sa_set(&a, "127.0.0.1", 0);
	if (fd < 0 || bind(fd, &a.u.sa, a.len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	a.len = sizeof(a.u);
	getsockname(fd, &a.u.sa, &a.len);
	*port = sa_port(&a);
	return fd;
}

/* True once something holds UDP 127.0.0.1:port. */
static bool udp_port_taken(uint16_t port)
{
	struct sa a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool taken;

	sa_set(&a, "127.0.0.1", port);
	taken = bind(fd, &a.u.sa, a.len) < 0 && errno == EADDRINUSE;
	close(fd);
	return taken;
}

static void dns_stop(void)
{
	int status;

	if (dns_pid <= 0)
		return;
	kill(dns_pid, SIGTERM);
	for (int i = 0; i < 200; i++) { /* 2 s, then SIGKILL */
		if (waitpid(dns_pid, &status, WNOHANG) == dns_pid) {
			dns_pid = -1;
			return;
		}
		sleep_ms(10);
	}
	kill(dns_pid, SIGKILL);
	waitpid(dns_pid, &status, 0);
	dns_pid = -1;
}

#define SRV(name, k, prio) { name, k, prio }
static const struct { const char *name; int srv; unsigned prio; } srv_records[] = {
	/* refused, then A; B only after A */
	SRV("_sip._tcp.refuse.fo.test", S_DEAD1, 10),
	SRV("_sip._tcp.refuse.fo.test", S_TCP_A, 20),
	SRV("_sip._tcp.refuse.fo.test", S_TCP_B, 30),
	/* the connection is cut before an answer, then A */
	SRV("_sip._tcp.cut.fo.test", S_TCP_CUT, 10),
	SRV("_sip._tcp.cut.fo.test", S_TCP_A, 20),
	/* no answer (Timer F), then an answer */
	SRV("_sip._udp.silent.fo.test", S_SILENT, 10),
	SRV("_sip._udp.silent.fo.test", S_UDP_OK, 20),
	/* 503, then an answer */
	SRV("_sip._udp.busy.fo.test", S_UDP_503, 10),
	SRV("_sip._udp.busy.fo.test", S_UDP_OK, 20),
	/* nobody listens on the UDP port (ICMP), then an answer */
	SRV("_sip._udp.closed.fo.test", S_UDP_CLOSED, 10),
	SRV("_sip._udp.closed.fo.test", S_UDP_OK, 20),
	/* nobody listens on either UDP port */
	SRV("_sip._udp.allclosed.fo.test", S_UDP_CLOSED, 10),
	SRV("_sip._udp.allclosed.fo.test", S_UDP_CLOSED2, 20),
	/* every target refuses */
	SRV("_sip._tcp.dead.fo.test", S_DEAD1, 10),
	SRV("_sip._tcp.dead.fo.test", S_DEAD2, 20),
};
#define NREC (sizeof(srv_records) / sizeof(srv_records[0]))

/* Start dnsmasq on a free port; 0 when it is listening. */
static int dns_start_once(uint16_t port)
{
	char *argv[16 + NREC];
	char recs[NREC][128];
	char portarg[32];
	size_t n = 0;
	uint64_t until;
	int status;

	argv[n++] = (char *)DNSMASQ;
	argv[n++] = (char *)"--keep-in-foreground";
	snprintf(portarg, sizeof(portarg), "--port=%u", (unsigned)port);
	argv[n++] = portarg;
	argv[n++] = (char *)"--listen-address=127.0.0.1";
	argv[n++] = (char *)"--bind-interfaces";
	argv[n++] = (char *)"--no-resolv";
	argv[n++] = (char *)"--no-hosts";
	argv[n++] = (char *)"--conf-file=/dev/null";
	argv[n++] = (char *)"--pid-file=";
	argv[n++] = (char *)"--cache-size=0";
	argv[n++] = (char *)"--local=/fo.test/";
	argv[n++] = (char *)"--host-record=h.fo.test,127.0.0.1";
	if (geteuid() == 0)
		argv[n++] = (char *)"--user=root";
	for (size_t i = 0; i < NREC; i++) {
		snprintf(recs[i], sizeof(recs[i]), "--srv-host=%s,h.fo.test,%u,%u,0",
			 srv_records[i].name, srv_port[srv_records[i].srv], srv_records[i].prio);
		argv[n++] = recs[i];
	}
	argv[n] = NULL;

	dns_pid = fork();
	if (dns_pid < 0)
		return errno;
	if (dns_pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(DNSMASQ, argv);
		_exit(127);
	}
	until = real_ms() + 5000;
	while (real_ms() < until) {
		if (waitpid(dns_pid, &status, WNOHANG) == dns_pid) {
			dns_pid = -1;
			return ECHILD;
		}
		if (udp_port_taken(port))
			return 0;
		sleep_ms(10);
	}
	dns_stop();
	return ETIMEDOUT;
}

/* ---------- the fake clock and the loop ---------- */

static uint64_t fake_ms;

static uint64_t fake_clock(void)
{
	return fake_ms;
}

static uint64_t now_rel(void)
{
	return fake_ms - BASE;
}

static void settle(void)
{
	for (int i = 0; i < 4; i++)
		loop_poll(i < 2 ? 0 : 1);
}

#define WAIT_UNTIL(cond) do { \
	for (int w_ = 0; w_ < 3000 && !(cond); w_++) \
		loop_poll(1); \
	assert_true(cond); \
} while (0)

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
		settle();
	}
	fake_ms = end;
	settle();
}

/* ---------- per case ---------- */

#define MAX_RX 32

/* A request one of the servers received. */
struct rx {
	int srv;
	uint64_t at;
	struct sip_msg *m;
	int fd;                  /* TCP: the accepted connection; UDP: -1 */
	struct sa from;          /* UDP: where it came from */
};

static struct env {
	struct sip *s;
	int acc[S_NUM][MAX_ACC];
	unsigned nacc[S_NUM];
	struct buf accbuf[S_NUM][MAX_ACC];
	struct rx rx[MAX_RX];
	size_t nrx;
	/* the client */
	struct sip_request *r;
	unsigned calls;
	int err;
	uint16_t code;
	uint64_t final_at;
	/* connections the stack saw close */
	unsigned nclosed;
	uint16_t closed_port[8];
	int closed_err[8];
} E;

static void take(int srv, int fd, const char *data, size_t len, const struct sa *from, int flags)
{
	struct rx *x;
	const char *why;

	if (E.nrx >= MAX_RX)
		fail_msg("more than %d requests received", MAX_RX);
	x = &E.rx[E.nrx];
	if (sip_msg_parse(&x->m, data, len, flags, &why))
		fail_msg("server %d got a bad message: %s", srv, why);
	x->srv = srv;
	x->at = now_rel();
	x->fd = fd;
	if (from)
		x->from = *from;
	E.nrx++;
}

/* Accept, read and frame whatever the servers got. */
static void drain(void)
{
	static char b[65536];

	for (int k = 0; k < S_NUM; k++) {
		ssize_t n;
		if (srv_fd[k] < 0 || k == S_DEAD1 || k == S_DEAD2)
			continue;
		if (k == S_SILENT || k == S_UDP_503 || k == S_UDP_OK) {
			struct sa from;
			for (;;) {
				from.len = sizeof(from.u);
				n = recvfrom(srv_fd[k], b, sizeof(b), MSG_DONTWAIT, &from.u.sa,
					     &from.len);
				if (n <= 0)
					break;
				take(k, -1, b, (size_t)n, &from, 0);
			}
			continue;
		}
		for (;;) {
			int fd = accept4(srv_fd[k], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				break;
			assert_true(E.nacc[k] < MAX_ACC);
			buf_init(&E.accbuf[k][E.nacc[k]], 0);
			E.acc[k][E.nacc[k]++] = fd;
		}
		for (unsigned i = 0; i < E.nacc[k]; i++) {
			struct buf *sb = &E.accbuf[k][i];
			size_t len;
			const char *why;
			if (E.acc[k][i] < 0)
				continue;
			while ((n = recv(E.acc[k][i], b, sizeof(b), MSG_DONTWAIT)) > 0)
				buf_append(sb, b, (size_t)n);
			while (sb->len && !sip_msg_frame(sb->p, sb->len, &len, &why)) {
				take(k, E.acc[k][i], sb->p, len, NULL, SIP_PARSE_STREAM);
				buf_consume(sb, len);
			}
		}
	}
}

static size_t count(int srv)
{
	size_t n = 0;
	for (size_t i = 0; i < E.nrx; i++)
		n += E.rx[i].srv == srv;
	return n;
}

static void assert_pl(const struct pl *x, const char *want)
{
	char got[256];
	pl_strcpy(x, got, sizeof(got));
	assert_string_equal(got, want);
}

static const struct rx *first(int srv)
{
	for (size_t i = 0; i < E.nrx; i++)
		if (E.rx[i].srv == srv)
			return &E.rx[i];
	fail_msg("server %d got nothing", srv);
	return NULL;
}

/* Pump the loop and the servers until cond holds. */
#define WAIT_RX(cond) WAIT_UNTIL((drain(), (cond)))

/* The server's answer to a request, the way it came. */
static void reply(const struct rx *x, uint16_t code)
{
	const struct sip_msg *m = x->m;
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "SIP/2.0 %u %s\r\n", code, sip_reason_phrase(code));
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_VIA); h; h = sip_msg_hdr_next(m, h))
		buf_printf(&b, "Via: %.*s\r\n", PL_ARG(h->val));
	buf_printf(&b, "From: %.*s\r\nTo: %.*s;tag=srv\r\nCall-ID: %.*s\r\n"
		   "CSeq: %u %.*s\r\nContent-Length: 0\r\n\r\n",
		   PL_ARG(m->from.val), PL_ARG(m->to.val), PL_ARG(m->callid), m->cseq.num,
		   PL_ARG(m->cseq.method));
	if (x->fd >= 0) {
		assert_int_equal(send(x->fd, b.p, b.len, MSG_NOSIGNAL), (ssize_t)b.len);
	} else {
		assert_int_equal(sendto(srv_fd[x->srv], b.p, b.len, 0, &x->from.u.sa, x->from.len),
				 (ssize_t)b.len);
	}
	buf_free(&b);
}

static int print_req(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	(void)tp;
	(void)laddr;
	(void)arg;
	buf_printf(b, "Max-Forwards: 70\r\n"
		   "From: <sip:alice@fo.test>;tag=fo\r\n"
		   "To: <sip:bob@fo.test>\r\n"
		   "Call-ID: fo-call\r\n"
		   "CSeq: 7 OPTIONS\r\n"
		   "Content-Length: 0\r\n\r\n");
	return 0;
}

static void resp_h(int err, const struct sip_msg *resp, void *arg)
{
	(void)arg;
	E.calls++;
	E.err = err;
	E.code = resp ? resp->scode : 0;
	if (err || !resp || resp->scode >= 200) {
		E.final_at = now_rel();
		E.r = NULL;
	}
}

static void conn_h(struct sip_conn *c, int err, void *arg)
{
	(void)arg;
	if (E.nclosed < 8) {
		E.closed_port[E.nclosed] = sa_port(sip_conn_peer(c));
		E.closed_err[E.nclosed] = err;
	}
	E.nclosed++;
}

static void start(const char *uri)
{
	struct sip_req_params p;

	memset(&p, 0, sizeof(p));
	p.method = "OPTIONS";
	p.ruri = uri;
	p.printh = print_req;
	assert_int_equal(sip_request(&E.r, E.s, &p, resp_h, NULL), 0);
}

/* Skip (or fail, under SIPTERM_REQUIRE_INTEROP=1) without dnsmasq. */
static void need_dns(void)
{
	const char *req = getenv("SIPTERM_REQUIRE_INTEROP");

	if (!dns_missing)
		return;
	if (req && !strcmp(req, "1"))
		fail_msg("%s is missing (apt-get install dnsmasq-base)", DNSMASQ);
	skip();
}

static bool want_v6;     /* the next setup listens on ::1 too */
static bool no_v6;       /* it could not: the case skips */

static int setup(void **state)
{
	struct sip_cfg cfg;
	int err;
	(void)state;

	memset(&E, 0, sizeof(E));
	for (int k = 0; k < S_NUM; k++)
		for (int i = 0; i < MAX_ACC; i++)
			E.acc[k][i] = -1;
	fake_ms = BASE;
	tmr_clock_set(fake_clock);
	sip_cfg_default(&cfg);
	cfg.t1 = T1;
	sa_set(&cfg.tp.listen[0], "127.0.0.1", 0);
	cfg.tp.nlisten = 1;
	cfg.tp.next_free = false;
	if (want_v6) {
		sa_set(&cfg.tp.listen[1], "::1", 0);
		cfg.tp.nlisten = 2;
	}
	err = sip_alloc(&E.s, &cfg);
	no_v6 = want_v6 && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT);
	if (no_v6) {
		cfg.tp.nlisten = 1;
		err = sip_alloc(&E.s, &cfg);
	}
	if (err) {
		print_error("sip_alloc: %s\n", strerror(err));
		return -1;
	}
	sip_set_conn_handler(E.s, conn_h, NULL);
	return 0;
}

static int teardown(void **state)
{
	int rc = 0;
	(void)state;

	sip_request_abandon(E.r);
	sip_free(E.s);
	loop_poll(0);
	if (tmr_count() != 0) {
		print_error("%zu timers still running after sip_free\n", tmr_count());
		rc = -1;
	}
	drain(); /* what the servers still hold belongs to this case */
	for (size_t i = 0; i < E.nrx; i++)
		sip_msg_free(E.rx[i].m);
	for (int k = 0; k < S_NUM; k++) {
		for (unsigned i = 0; i < E.nacc[k]; i++) {
			if (E.acc[k][i] >= 0)
				close(E.acc[k][i]);
			buf_free(&E.accbuf[k][i]);
		}
	}
	tmr_reset_all();
	memset(&E, 0, sizeof(E));
	return rc;
}

/* ================= the cases ================= */

/* RFC 3263 4.3, RFC 3261 18.4: the first target refuses the connection:
 * the request goes to the next one at once, and its answer is all the
 * user sees; the target after that is not touched. */
static void test_refused(void **state)
{
	const struct rx *x;
	(void)state;

	need_dns();
	start("sip:bob@refuse.fo.test;transport=tcp");
	WAIT_RX(count(S_TCP_A) == 1);
	x = first(S_TCP_A);
	assert_int_equal(x->at, 0);
	assert_pl(&x->m->via->transport, "TCP");
	assert_int_equal(E.calls, 0);
	reply(x, 200);
	WAIT_RX(E.calls == 1);
	assert_int_equal(E.err, 0);
	assert_int_equal(E.code, 200);
	settle();
	drain();
	assert_int_equal(E.nacc[S_TCP_B], 0);
	assert_int_equal(count(S_TCP_B), 0);
	assert_int_equal(E.nrx, 1);
	/* the first target was tried first: its refusal (the RST is seen
	 * after connect() returned EINPROGRESS) closed a connection */
	assert_true(E.nclosed >= 1);
	assert_int_equal(E.closed_port[0], srv_port[S_DEAD1]);
	assert_int_equal(E.closed_err[0], ECONNREFUSED);
}

/* RFC 3263 4.3, RFC 3261 17.1.4: the connection to the first target
 * closes before any answer: a transport error, the same request (new
 * branch) goes to the next target at once. */
static void test_cut(void **state)
{
	const struct rx *cut, *x;
	(void)state;

	need_dns();
	start("sip:bob@cut.fo.test;transport=tcp");
	WAIT_RX(count(S_TCP_CUT) == 1);
	cut = first(S_TCP_CUT);
	advance_to(2000);
	assert_int_equal(count(S_TCP_A), 0);
	close(E.acc[S_TCP_CUT][0]);
	E.acc[S_TCP_CUT][0] = -1;
	WAIT_RX(count(S_TCP_A) == 1);
	x = first(S_TCP_A);
	assert_int_equal(x->at, 2000);
	assert_false(pl_eq(&x->m->via->branch, &cut->m->via->branch));
	assert_true(pl_eq(&x->m->callid, &cut->m->callid));
	assert_int_equal(x->m->cseq.num, cut->m->cseq.num);
	assert_int_equal(E.calls, 0);
	reply(x, 200);
	WAIT_RX(E.calls == 1);
	assert_int_equal(E.err, 0);
	assert_int_equal(E.code, 200);
}

/* RFC 3263 4.3, RFC 3261 17.1.2.2: the first target never answers: after
 * Timer F (64*T1) the request goes to the next one with a new branch; the
 * timeout is not reported, the first target hears nothing more. */
static void test_timeout(void **state)
{
	const struct rx *x, *s0;
	size_t nsilent;
	(void)state;

	need_dns();
	start("sip:bob@silent.fo.test;transport=udp");
	WAIT_RX(count(S_SILENT) == 1);
	s0 = first(S_SILENT);
	assert_int_equal(s0->at, 0);
	advance_to(64 * T1 - 1);
	drain();
	assert_true(count(S_SILENT) > 1);   /* Timer E retransmissions */
	assert_int_equal(count(S_UDP_OK), 0);
	assert_int_equal(E.calls, 0);
	nsilent = count(S_SILENT);
	advance_to(64 * T1);
	WAIT_RX(count(S_UDP_OK) == 1);
	x = first(S_UDP_OK);
	assert_int_equal(x->at, 64 * T1);
	assert_false(pl_eq(&x->m->via->branch, &s0->m->via->branch));
	assert_int_equal(E.calls, 0);
	reply(x, 200);
	WAIT_RX(E.calls == 1);
	assert_int_equal(E.err, 0);
	assert_int_equal(E.code, 200);
	advance_to(64 * T1 + 10000);
	drain();
	assert_int_equal(count(S_SILENT), nsilent);
	assert_int_equal(E.calls, 1);
}

/* RFC 3263 4.3: a 503 from the first target sends the request to the
 * next one; the user sees only the final answer. */
static void test_503(void **state)
{
	const struct rx *x;
	(void)state;

	need_dns();
	start("sip:bob@busy.fo.test;transport=udp");
	WAIT_RX(count(S_UDP_503) == 1);
	reply(first(S_UDP_503), 503);
	WAIT_RX(count(S_UDP_OK) == 1);
	x = first(S_UDP_OK);
	assert_int_equal(x->at, 0);
	assert_false(pl_eq(&x->m->via->branch, &first(S_UDP_503)->m->via->branch));
	assert_int_equal(E.calls, 0);
	reply(x, 200);
	WAIT_RX(E.calls == 1);
	assert_int_equal(E.err, 0);
	assert_int_equal(E.code, 200);
}

/* Every target refuses: one error for the user, the transport's. */
static void test_all_refuse(void **state)
{
	(void)state;

	need_dns();
	start("sip:bob@dead.fo.test;transport=tcp");
	WAIT_RX(E.calls == 1);
	assert_int_equal(E.err, ECONNREFUSED);
	assert_int_equal(E.code, 0);
	assert_int_equal(E.final_at, 0);
	advance_to(64 * T1 + 1000);
	assert_int_equal(E.calls, 1);
}

/* True when the stack's UDP socket of family af has nothing to read and
 * no error queued: ICMP errors were drained (else select() would report
 * the socket readable forever and the loop would spin). */
static bool stack_udp_quiet(int af)
{
	struct sa me, a;

	settle();
	if (sip_tp_listen_addr(sip_transport(E.s), af, &me))
		return false;
	sa_set_port(&me, sip_tp_port(sip_transport(E.s), SIP_TP_UDP, af));
	for (int fd = 3; fd < FD_SETSIZE; fd++) {
		struct pollfd p = { fd, POLLIN, 0 };
		int type = 0;
		socklen_t tl = sizeof(type);
		a.len = sizeof(a.u);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_DGRAM ||
		    getsockname(fd, &a.u.sa, &a.len) < 0 || !sa_eq(&a, &me))
			continue;
		return poll(&p, 1, 0) == 0;
	}
	fail_msg("the stack's UDP socket is not found");
	return false;
}

/* RFC 3261 18.4, RFC 3263 4.3: nobody listens on the first target's UDP
 * port, and its ICMP port unreachable is a transport error: the request
 * goes to the next target at once (fake time 0, under a second of real
 * time) instead of after Timer F, and the answer is read from the socket
 * that took the ICMP error. */
static void test_udp_unreachable(void **state)
{
	const struct rx *x;
	uint64_t t0 = real_ms();
	(void)state;

	need_dns();
	start("sip:bob@closed.fo.test;transport=udp");
	WAIT_RX(count(S_UDP_OK) == 1);
	assert_true(real_ms() - t0 < 1000);
	x = first(S_UDP_OK);
	assert_int_equal(x->at, 0);
	assert_pl(&x->m->via->transport, "UDP");
	assert_int_equal(E.calls, 0);
	reply(x, 200);
	WAIT_RX(E.calls == 1);
	assert_int_equal(E.err, 0);
	assert_int_equal(E.code, 200);
	assert_int_equal(E.final_at, 0);
	assert_true(stack_udp_quiet(AF_INET));
	advance_to(64 * T1 + 1000);
	drain();
	assert_int_equal(count(S_UDP_OK), 1);
	assert_int_equal(E.calls, 1);
}

/* Nobody listens on any UDP target: each ICMP error moves the request on
 * (the second one comes while the first is being handled), and the user
 * gets one error, the transport's, at once. */
static void test_udp_all_unreachable(void **state)
{
	uint64_t t0 = real_ms();
	(void)state;

	need_dns();
	start("sip:bob@allclosed.fo.test;transport=udp");
	WAIT_UNTIL(E.calls == 1);
	assert_true(real_ms() - t0 < 1000);
	assert_int_equal(E.err, ECONNREFUSED);
	assert_int_equal(E.code, 0);
	assert_int_equal(E.final_at, 0);
	assert_true(stack_udp_quiet(AF_INET));
	advance_to(64 * T1 + 1000);
	assert_int_equal(E.calls, 1);
}

/* One UDP target, nobody on its port: ECONNREFUSED for the user at once,
 * not ETIMEDOUT after 64*T1. */
static void unreachable_single(const char *host, int af)
{
	char uri[96];
	uint64_t t0;
	struct sa a;
	uint16_t port;
	int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	/* a port of that family bound and closed: nobody listens there */
	assert_true(fd >= 0);
	sa_set(&a, host, 0);
	assert_int_equal(bind(fd, &a.u.sa, a.len), 0);
	a.len = sizeof(a.u);
	getsockname(fd, &a.u.sa, &a.len);
	port = sa_port(&a);
	close(fd);
	snprintf(uri, sizeof(uri), af == AF_INET6 ? "sip:bob@[%s]:%u;transport=udp"
						  : "sip:bob@%s:%u;transport=udp", host, (unsigned)port);
	t0 = real_ms();
	start(uri);
	WAIT_UNTIL(E.calls == 1);
	assert_true(real_ms() - t0 < 1000);
	assert_int_equal(E.err, ECONNREFUSED);
	assert_int_equal(E.code, 0);
	assert_int_equal(E.final_at, 0);
	assert_true(stack_udp_quiet(af));
	advance_to(64 * T1 + 1000);
	assert_int_equal(E.calls, 1);
}

static void test_udp_unreachable_single(void **state)
{
	(void)state;
	unreachable_single("127.0.0.1", AF_INET);
}

static int setup_v6(void **state)
{
	int rc;

	want_v6 = true;
	rc = setup(state);
	want_v6 = false;
	return rc;
}

static void test_udp_unreachable_single_v6(void **state)
{
	(void)state;
	if (no_v6)
		skip();
	unreachable_single("::1", AF_INET6);
}

/* For the stray case: answer, then send one more datagram at once. */
static struct sa stray_to;
static int stray_reply_err = -1, stray_send_err = -1;

static bool stray_req(struct sip *s, struct sip_strans *st, const struct sip_msg *req,
		      const struct sip_rx *rx, void *arg)
{
	static const char msg[] = "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKstray\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:a@fo.test>;tag=s\r\nTo: <sip:b@fo.test>\r\n"
		"Call-ID: stray\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	(void)req;
	(void)rx;
	(void)arg;
	/* the answer goes to a socket that is gone: on loopback its ICMP
	 * error is queued before sendto returns, and the kernel fails the
	 * next sendto on the socket with it, whatever its destination */
	stray_reply_err = sip_reply(st, 200, NULL, NULL, NULL, NULL);
	stray_send_err = sip_tp_send(sip_transport(s), SIP_TP_UDP, &stray_to, NULL, msg,
				     sizeof(msg) - 1, NULL);
	return true;
}

/* RFC 3261 18.4: an ICMP error for a response (the peer that sent the
 * request is gone) fails nothing: a request pending elsewhere goes on, a
 * datagram sent right after the response still leaves, and the socket
 * still reads. */
static void test_udp_stray_icmp(void **state)
{
	static const char req[] = "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKgone;rport\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:gone@fo.test>;tag=g\r\nTo: <sip:x@fo.test>\r\n"
		"Call-ID: gone\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	char uri[96];
	const struct rx *x;
	struct sa me;
	int fd;
	(void)state;

	sa_set(&stray_to, "127.0.0.1", srv_port[S_UDP_OK]);
	stray_reply_err = stray_send_err = -1;
	sip_set_handlers(E.s, stray_req, NULL, NULL);
	snprintf(uri, sizeof(uri), "sip:bob@127.0.0.1:%u;transport=udp",
		 (unsigned)srv_port[S_UDP_OK]);
	start(uri);
	WAIT_RX(count(S_UDP_OK) == 1);
	x = first(S_UDP_OK);

	/* a peer sends a request and leaves before the answer */
	assert_int_equal(sip_tp_listen_addr(sip_transport(E.s), AF_INET, &me), 0);
	sa_set_port(&me, sip_tp_port(sip_transport(E.s), SIP_TP_UDP, AF_INET));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, req, sizeof(req) - 1, 0, &me.u.sa, me.len),
			 (ssize_t)sizeof(req) - 1);
	close(fd);
	WAIT_UNTIL(stray_send_err != -1);
	assert_int_equal(stray_reply_err, 0);
	assert_int_equal(stray_send_err, 0);
	WAIT_RX(count(S_UDP_OK) == 2);
	assert_true(stack_udp_quiet(AF_INET));
	assert_int_equal(E.calls, 0);

	/* the pending request still gets its answer */
	reply(x, 200);
	WAIT_RX(E.calls == 1);
	assert_int_equal(E.err, 0);
	assert_int_equal(E.code, 200);
}

/* ---------- the group ---------- */

static int group_setup(void **state)
{
	int err = ENOENT;
	(void)state;

	log_set_stderr(getenv("FO_LOG") != NULL);
	if (getenv("FO_LOG")) {
		log_set_level(LOG_LVL_DEBUG);
		log_trace_enable(true);
	}
	for (int k = 0; k < S_NUM; k++) {
		bool closed = k == S_UDP_CLOSED || k == S_UDP_CLOSED2;
		bool udp = k == S_SILENT || k == S_UDP_503 || k == S_UDP_OK || closed;
		srv_fd[k] = sock_bound(udp ? SOCK_DGRAM : SOCK_STREAM, &srv_port[k]);
		if (srv_fd[k] < 0)
			return -1;
		if (closed) {
			/* the port was free a moment ago: nobody listens there */
			close(srv_fd[k]);
			srv_fd[k] = -1;
			continue;
		}
		if (!udp && k != S_DEAD1 && k != S_DEAD2 && listen(srv_fd[k], 8) < 0)
			return -1;
	}
	if (loop_init())
		return -1;
	if (access(DNSMASQ, X_OK) != 0) {
		dns_missing = true;
		return 0;
	}
	for (int i = 0; i < 5 && err; i++) {
		uint16_t port;
		int fd = sock_bound(SOCK_DGRAM, &port);
		if (fd < 0)
			continue;
		close(fd);
		err = dns_start_once(port);
		if (!err)
			snprintf(dns_servers, sizeof(dns_servers), "127.0.0.1:%u", (unsigned)port);
	}
	if (err) {
		fprintf(stderr, "# cannot start dnsmasq: %s\n", strerror(err));
		return -1;
	}
	return sip_resolv_init(dns_servers) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dns_stop();
	sip_resolv_close();
	loop_close();
	tmr_clock_set(NULL);
	log_close();
	for (int k = 0; k < S_NUM; k++)
		if (srv_fd[k] >= 0)
			close(srv_fd[k]);
	return 0;
}

#define CASE(name, fn) { #name, fn, setup, teardown, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(rfc3263_4_3_tcp_refused_next_target, test_refused),
		CASE(rfc3263_4_3_connection_lost_next_target, test_cut),
		CASE(rfc3263_4_3_timeout_next_target, test_timeout),
		CASE(rfc3263_4_3_503_next_target, test_503),
		CASE(rfc3263_4_3_all_targets_refuse_one_error, test_all_refuse),
		CASE(rfc3261_18_4_udp_port_unreachable_next_target, test_udp_unreachable),
		CASE(rfc3261_18_4_udp_all_targets_unreachable_one_error, test_udp_all_unreachable),
		CASE(rfc3261_18_4_udp_port_unreachable_single_target, test_udp_unreachable_single),
		{ "rfc3261_18_4_udp_port_unreachable_single_target_v6",
		  test_udp_unreachable_single_v6, setup_v6, teardown, NULL },
		CASE(rfc3261_18_4_icmp_for_a_response_fails_nothing, test_udp_stray_icmp),
	};

	return cmocka_run_group_tests_name("sip-failover", tests, group_setup, group_teardown);
}
