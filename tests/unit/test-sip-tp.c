/* test-sip-tp.c: the SIP transports (src/sip/tp.c: RFC 3261 18, RFC 5626
 * 3.5.1) and where responses go (RFC 3581, RFC 3261 18.2.2), on loopback.
 *
 * Most cases drive a bare transport (sip_tp_alloc on 127.0.0.1 and ::1,
 * ephemeral ports) whose handlers record what it delivers, what it rejects
 * and which connections close; plain sockets play the peer.  The response
 * routing cases and the 400 on a broken stream run the whole stack
 * (sip_alloc).  Time is a fake clock: idle timers fire only when
 * advance_to() moves it.  Real time is only waited on (bounded), never
 * measured. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "sip/msg.h"
#include "sip/sip.h"
#include "sip/tp.h"

#define BASE 1000000u   /* fake clock at the start of each case */
#define MAX_GOT 32
#define MAX_FDS 16

/* ---------- the fake clock ---------- */

static uint64_t fake_ms;

static uint64_t fake_clock(void)
{
	return fake_ms;
}

/* ---------- what the transport did ---------- */

struct got {
	struct sip_msg *m;           /* referenced */
	struct sip_conn *conn;       /* compared only, never dereferenced */
	enum sip_tp tp;
	struct sa src;
};

static struct env {
	struct sip_transport *t;     /* the bare transport, or NULL */
	struct sip *s;               /* the whole stack, or NULL */
	bool v6;                     /* ::1 usable */
	struct got got[MAX_GOT];
	size_t ngot;
	unsigned nbad;
	char bad_reason[128];
	unsigned nclosed;
	int close_err;
	struct sip_conn *closed_conn;
	int fds[MAX_FDS];            /* peer sockets, closed in teardown */
	size_t nfds;
	unsigned nreq;               /* stack: requests answered 200 */
} E;

static void on_recv(struct sip_msg *m, const struct sip_rx *rx, void *arg)
{
	struct got *g;
	(void)arg;

	if (E.ngot >= MAX_GOT)
		fail_msg("more than %d messages delivered", MAX_GOT);
	g = &E.got[E.ngot++];
	g->m = sip_msg_ref(m);
	g->conn = rx->conn;
	g->tp = rx->tp;
	g->src = rx->src;
}

static void on_bad(const char *data, size_t len, const char *reason, const struct sip_rx *rx,
		   void *arg)
{
	(void)data;
	(void)len;
	(void)rx;
	(void)arg;
	E.nbad++;
	snprintf(E.bad_reason, sizeof(E.bad_reason), "%s", reason ? reason : "");
}

static void on_conn(struct sip_conn *c, int err, void *arg)
{
	(void)arg;
	E.nclosed++;
	E.close_err = err;
	E.closed_conn = c;
}

/* ---------- time and the loop ---------- */

/* Wait (in real time, bounded) while pumping the loop, until cond holds. */
#define WAIT_UNTIL(cond) do { \
	for (int w_ = 0; w_ < 3000 && !(cond); w_++) \
		loop_poll(1); \
	assert_true(cond); \
} while (0)

/* Let the stack read whatever the peer has written (loopback delivers a
 * write before send() returns; a few rounds cover the reap list). */
static void settle(void)
{
	for (int i = 0; i < 4; i++)
		loop_poll(i < 2 ? 0 : 1);
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
		settle();
	}
	fake_ms = end;
	settle();
}

/* ---------- the peer ---------- */

static int keep_fd(int fd)
{
	assert_true(fd >= 0);
	assert_true(E.nfds < MAX_FDS);
	E.fds[E.nfds++] = fd;
	return fd;
}

/* Close a peer socket now (and forget it). */
static void peer_close(int fd)
{
	for (size_t i = 0; i < E.nfds; i++)
		if (E.fds[i] == fd)
			E.fds[i] = -1;
	close(fd);
}

static void loopback(struct sa *a, int af, uint16_t port)
{
	assert_int_equal(sa_set(a, af == AF_INET6 ? "::1" : "127.0.0.1", port), 0);
}

/* The transport's (or stack's) listen address of a family. */
static void stack_addr(struct sa *a, int af, enum sip_tp tp)
{
	struct sip_transport *t = E.t ? E.t : sip_transport(E.s);
	uint16_t port = sip_tp_port(t, tp, af);

	assert_int_not_equal(port, 0);
	loopback(a, af, port);
}

/* A blocking TCP connection from the peer to the transport, accepted. */
static int peer_connect(int af)
{
	struct sip_transport *t = E.t ? E.t : sip_transport(E.s);
	unsigned before = sip_tp_conn_count(t);
	int fd = keep_fd(socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0)), one = 1;
	struct sa a;

	stack_addr(&a, af, SIP_TP_TCP);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	assert_int_equal(connect(fd, &a.u.sa, a.len), 0);
	WAIT_UNTIL(sip_tp_conn_count(t) == before + 1);
	return fd;
}

/* A listening TCP socket of the peer's (non-blocking accept). */
static int peer_listen(int af, struct sa *addr)
{
	int fd = keep_fd(socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));

	loopback(addr, af, 0);
	assert_int_equal(bind(fd, &addr->u.sa, addr->len), 0);
	assert_int_equal(listen(fd, 8), 0);
	addr->len = sizeof(addr->u);
	getsockname(fd, &addr->u.sa, &addr->len);
	return fd;
}

/* Take every connection waiting on a listener; returns how many were
 * accepted so far (*n). */
static unsigned peer_accept(int lfd, int *acc, unsigned max, unsigned *n)
{
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		assert_true(*n < max);
		acc[(*n)++] = keep_fd(fd);
	}
	return *n;
}

static int peer_udp(int af, struct sa *addr)
{
	int fd = keep_fd(socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0));

	loopback(addr, af, 0);
	assert_int_equal(bind(fd, &addr->u.sa, addr->len), 0);
	addr->len = sizeof(addr->u);
	getsockname(fd, &addr->u.sa, &addr->len);
	return fd;
}

static void peer_write(int fd, const char *data, size_t len)
{
	assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void peer_puts(int fd, const char *s)
{
	peer_write(fd, s, strlen(s));
}

/* What a peer stream socket has received, accumulated; eof once closed. */
struct rxbuf {
	char b[8192];
	size_t len;
	bool eof;
};

static bool peer_read(int fd, struct rxbuf *r)
{
	for (;;) {
		ssize_t n = recv(fd, r->b + r->len, sizeof(r->b) - 1 - r->len, MSG_DONTWAIT);
		if (n > 0) {
			r->len += (size_t)n;
			r->b[r->len] = '\0';
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			r->eof = true;
		return r->eof;
	}
}

/* True once the peer holds at least n bytes. */
static bool peer_has(int fd, struct rxbuf *r, size_t n)
{
	peer_read(fd, r);
	return r->len >= n;
}

/* A request of about size bytes (padding header), with an optional body. */
static size_t mk_req(char *out, size_t size, const char *method, unsigned seq, const char *body,
		     size_t pad)
{
	char padding[8192];
	int n;

	assert_true(pad < sizeof(padding));
	memset(padding, 'x', pad);
	padding[pad] = '\0';
	n = snprintf(out, size,
		     "%s sip:bob@127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKtp%u\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:alice@127.0.0.1>;tag=a%u\r\n"
		     "To: <sip:bob@127.0.0.1>\r\n"
		     "Call-ID: tp-%u\r\n"
		     "CSeq: %u %s\r\n"
		     "%s%s%s"
		     "Content-Length: %zu\r\n\r\n%s",
		     method, seq, seq, seq, seq, method,
		     pad ? "X-Pad: " : "", padding, pad ? "\r\n" : "",
		     body ? strlen(body) : 0, body ? body : "");
	assert_true(n > 0 && (size_t)n < size);
	return (size_t)n;
}

static void assert_pl(const struct pl *x, const char *want)
{
	char got[256];
	pl_strcpy(x, got, sizeof(got));
	assert_string_equal(got, want);
}

/* The k-th delivered message is the request with this Call-ID seq and body. */
static void assert_got(size_t k, unsigned seq, const char *body)
{
	char callid[32];

	assert_true(k < E.ngot);
	snprintf(callid, sizeof(callid), "tp-%u", seq);
	assert_true(E.got[k].m->req);
	assert_pl(&E.got[k].m->callid, callid);
	assert_int_equal(E.got[k].tp, SIP_TP_TCP);
	assert_int_equal(E.got[k].m->body.l, body ? strlen(body) : 0);
	if (body)
		assert_memory_equal(E.got[k].m->body.p, body, strlen(body));
}

/* ---------- fixtures ---------- */

/* Per-case transport settings (the state of the tp cases). */
struct tp_case {
	int af;                      /* the family the case runs on */
	unsigned idle_secs;          /* 0: none */
	size_t max_buf;              /* 0: the default */
	int err;                     /* for the bound cases: the close reason */
	size_t close_lo, close_hi;   /* bytes written when the close comes */
};

static const struct tp_case v4 = { AF_INET, 0, 0, 0, 0, 0 };
static const struct tp_case v6 = { AF_INET6, 0, 0, 0, 0, 0 };

static bool have_v6(void)
{
	struct sa a;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	sa_set(&a, "::1", 0);
	ok = fd >= 0 && bind(fd, &a.u.sa, a.len) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void env_reset(void)
{
	memset(&E, 0, sizeof(E));
	for (size_t i = 0; i < MAX_FDS; i++)
		E.fds[i] = -1;
	fake_ms = BASE;
	tmr_clock_set(fake_clock);
	E.v6 = have_v6();
}

static void listen_cfg(struct sip_tp_cfg *cfg)
{
	sa_set(&cfg->listen[0], "127.0.0.1", 0);
	cfg->nlisten = 1;
	if (E.v6) {
		sa_set(&cfg->listen[1], "::1", 0);
		cfg->nlisten = 2;
	}
	cfg->next_free = false;
}

static int setup_tp(void **state)
{
	const struct tp_case *k = state ? *state : NULL;
	struct sip_tp_cfg cfg;
	int err;

	env_reset();
	sip_tp_cfg_default(&cfg);
	listen_cfg(&cfg);
	cfg.idle_secs = k ? k->idle_secs : 0;
	if (k && k->max_buf)
		cfg.max_conn_buf = k->max_buf;
	err = sip_tp_alloc(&E.t, &cfg, on_recv, on_bad, on_conn, NULL);
	if (err) {
		print_error("sip_tp_alloc: %s\n", strerror(err));
		return -1;
	}
	return 0;
}

/* A transport with the default settings (the state is the case's own). */
static int setup_tp_default(void **state)
{
	(void)state;
	return setup_tp(NULL);
}

/* The whole stack: answers every request 200. */
static bool stack_req(struct sip *s, struct sip_strans *st, const struct sip_msg *req,
		      const struct sip_rx *rx, void *arg)
{
	(void)s;
	(void)req;
	(void)rx;
	(void)arg;
	if (!st)
		return true;
	E.nreq++;
	sip_reply(st, 200, NULL, NULL, NULL, NULL);
	return true;
}

static int setup_stack(void **state)
{
	struct sip_cfg cfg;
	int err;
	(void)state;

	env_reset();
	sip_cfg_default(&cfg);
	listen_cfg(&cfg.tp);
	err = sip_alloc(&E.s, &cfg);
	if (err) {
		print_error("sip_alloc: %s\n", strerror(err));
		return -1;
	}
	sip_set_handlers(E.s, stack_req, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	int rc = 0;
	(void)state;

	sip_tp_free(E.t);
	sip_free(E.s);
	loop_poll(0); /* run the reap list */
	if (tmr_count() != 0) {
		print_error("%zu timers still running after free\n", tmr_count());
		rc = -1;
	}
	if (loop_fd_count() != 1) {
		print_error("%u fds still watched after free\n", loop_fd_count());
		rc = -1;
	}
	for (size_t i = 0; i < E.nfds; i++)
		if (E.fds[i] >= 0)
			close(E.fds[i]);
	for (size_t i = 0; i < E.ngot; i++)
		sip_msg_free(E.got[i].m);
	tmr_reset_all();
	memset(&E, 0, sizeof(E));
	return rc;
}

/* Skip an IPv6 case on a host without ::1. */
static int af_of(void **state)
{
	const struct tp_case *k = *state;
	if (k->af == AF_INET6 && !E.v6)
		skip();
	return k->af;
}

/* ================= framing (RFC 3261 18.3) ================= */

/* A request that trickles in one byte per write is delivered once, whole,
 * and only after its last byte. */
static void test_byte_at_a_time(void **state)
{
	int af = af_of(state);
	char req[1024];
	size_t len = mk_req(req, sizeof(req), "MESSAGE", 1, "hello, world", 0);
	int fd = peer_connect(af);

	for (size_t i = 0; i < len; i++) {
		peer_write(fd, req + i, 1);
		loop_poll(0);
		loop_poll(0);
		if (i + 1 < len)
			assert_int_equal(E.ngot, 0);
	}
	WAIT_UNTIL(E.ngot == 1);
	settle();
	assert_int_equal(E.ngot, 1);
	assert_int_equal(E.nbad, 0);
	assert_int_equal(E.nclosed, 0);
	assert_got(0, 1, "hello, world");
	assert_int_equal(E.got[0].m->len, len);
	assert_memory_equal(E.got[0].m->buf, req, len);
	assert_int_equal(sa_af(&E.got[0].src), af);
}

/* Two requests in one write: both, in order, from the same connection. */
static void test_two_in_one_write(void **state)
{
	char req[2048];
	size_t a = mk_req(req, sizeof(req), "OPTIONS", 1, NULL, 0);
	size_t b = mk_req(req + a, sizeof(req) - a, "MESSAGE", 2, "second", 0);
	int fd = peer_connect(af_of(state));

	peer_write(fd, req, a + b);
	WAIT_UNTIL(E.ngot == 2);
	settle();
	assert_int_equal(E.ngot, 2);
	assert_got(0, 1, NULL);
	assert_got(1, 2, "second");
	assert_ptr_equal(E.got[0].conn, E.got[1].conn);
	assert_int_equal(E.nbad, 0);
	assert_int_equal(E.nclosed, 0);
}

/* Content-Length says the body is still coming: nothing is delivered
 * until it has arrived; the rest of the body and the next request may
 * share a write. */
static void test_body_later(void **state)
{
	char req[2048];
	size_t a = mk_req(req, sizeof(req), "MESSAGE", 1, "0123456789", 0);
	size_t b = mk_req(req + a, sizeof(req) - a, "OPTIONS", 2, NULL, 0);
	int fd = peer_connect(af_of(state));

	peer_write(fd, req, a - 10);         /* headers only */
	settle();
	assert_int_equal(E.ngot, 0);
	peer_write(fd, req + a - 10, 4);     /* "0123" */
	settle();
	assert_int_equal(E.ngot, 0);
	peer_write(fd, req + a - 6, 6 + b);  /* "456789" and the next request */
	WAIT_UNTIL(E.ngot == 2);
	assert_got(0, 1, "0123456789");
	assert_got(1, 2, NULL);
	assert_int_equal(E.nbad, 0);
	assert_int_equal(E.nclosed, 0);
}

/* A framing error cannot be skipped on a stream (RFC 3261 18.3: the
 * Content-Length is what delimits the message): the transport reports the
 * request (the stack answers 400) and closes the connection; nothing else
 * on it is delivered. */
struct frame_case {
	const char *clen;            /* the Content-Length value */
	const char *reason;
};

static const struct frame_case clen_too_big = { "70000", "Message too large" };
static const struct frame_case clen_garbage = { "12abc", "Bad Content-Length header" };

static void test_bad_framing_closes(void **state)
{
	const struct frame_case *k = *state;
	struct rxbuf r = { .len = 0 };
	char req[2048];
	size_t b;
	int n, fd = peer_connect(AF_INET);

	n = snprintf(req, sizeof(req),
		     "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKbig\r\n"
		     "From: <sip:alice@127.0.0.1>;tag=a\r\nTo: <sip:bob@127.0.0.1>\r\n"
		     "Call-ID: big\r\nCSeq: 1 MESSAGE\r\n"
		     "Content-Length: %s\r\n\r\n", k->clen);
	b = mk_req(req + n, sizeof(req) - (size_t)n, "OPTIONS", 2, NULL, 0);
	peer_write(fd, req, (size_t)n + b);
	WAIT_UNTIL(E.nclosed == 1);
	assert_int_equal(E.close_err, EBADMSG);
	assert_int_equal(E.nbad, 1);
	assert_string_equal(E.bad_reason, k->reason);
	assert_int_equal(E.ngot, 0);
	assert_int_equal(sip_tp_conn_count(E.t), 0);
	WAIT_UNTIL(peer_read(fd, &r));
	assert_int_equal(r.len, 0);  /* the bare transport answers nothing */
}

/* A garbage start line inside a well-framed message is the message's
 * fault, not the stream's: reported (the stack answers 400 when it can
 * address one), the connection stays and the next request arrives. */
static void test_garbage_start_line(void **state)
{
	char req[1024];
	size_t len = mk_req(req, sizeof(req), "OPTIONS", 2, NULL, 0);
	int fd = peer_connect(af_of(state));

	peer_puts(fd, "HELLO WORLD\r\nFrom: x\r\nContent-Length: 3\r\n\r\nabc");
	peer_write(fd, req, len);
	WAIT_UNTIL(E.ngot == 1);
	assert_int_equal(E.nbad, 1);
	assert_got(0, 2, NULL);
	assert_int_equal(E.nclosed, 0);
	assert_int_equal(sip_tp_conn_count(E.t), 1);
}

/* ================= keep-alives (RFC 5626 3.5.1) ================= */

/* A CRLFCRLF ping gets exactly one CRLF pong, also when its halves arrive
 * in separate writes or a request follows it in the same write; pings
 * are not messages and keep the connection. */
static void test_ping_pong(void **state)
{
	struct rxbuf r = { .len = 0 };
	char req[1024];
	size_t len = mk_req(req, sizeof(req), "OPTIONS", 1, NULL, 0);
	int fd = peer_connect(af_of(state));

	peer_puts(fd, "\r\n\r\n");
	WAIT_UNTIL(peer_has(fd, &r, 2));
	settle();
	peer_read(fd, &r);
	assert_int_equal(r.len, 2);
	assert_memory_equal(r.b, "\r\n", 2);

	/* split: "\r\n" then "\r\n" */
	peer_puts(fd, "\r\n");
	settle();
	peer_puts(fd, "\r\n");
	WAIT_UNTIL(peer_has(fd, &r, 4));
	settle();
	peer_read(fd, &r);
	assert_int_equal(r.len, 4);

	/* "\r\n\r" then "\n" */
	peer_puts(fd, "\r\n\r");
	settle();
	peer_puts(fd, "\n");
	WAIT_UNTIL(peer_has(fd, &r, 6));

	/* a ping and a request in one write */
	memmove(req + 4, req, len);
	memcpy(req, "\r\n\r\n", 4);
	peer_write(fd, req, len + 4);
	WAIT_UNTIL(E.ngot == 1 && peer_has(fd, &r, 8));
	settle();
	peer_read(fd, &r);
	assert_int_equal(r.len, 8);
	assert_memory_equal(r.b, "\r\n\r\n\r\n\r\n", 8);
	assert_false(r.eof);
	assert_got(0, 1, NULL);
	assert_int_equal(E.nbad, 0);
	assert_int_equal(E.nclosed, 0);
}

/* A lone CRLF (a pong, or noise) between requests is skipped without an
 * answer, in the same write or its own. */
static void test_lone_crlf(void **state)
{
	struct rxbuf r = { .len = 0 };
	char req[2048];
	size_t a = mk_req(req, sizeof(req), "OPTIONS", 1, NULL, 0), b;
	int fd = peer_connect(af_of(state));

	memcpy(req + a, "\r\n", 2);
	b = mk_req(req + a + 2, sizeof(req) - a - 2, "OPTIONS", 2, NULL, 0);
	peer_write(fd, req, a + 2 + b);
	WAIT_UNTIL(E.ngot == 2);

	a = mk_req(req, sizeof(req), "OPTIONS", 3, NULL, 0);
	peer_write(fd, req, a);
	WAIT_UNTIL(E.ngot == 3);
	peer_puts(fd, "\r\n");
	settle();
	a = mk_req(req, sizeof(req), "OPTIONS", 4, NULL, 0);
	peer_write(fd, req, a);
	WAIT_UNTIL(E.ngot == 4);
	settle();
	for (unsigned i = 0; i < 4; i++)
		assert_got(i, i + 1, NULL);
	peer_read(fd, &r);
	assert_int_equal(r.len, 0);
	assert_false(r.eof);
	assert_int_equal(E.nbad, 0);
	assert_int_equal(E.nclosed, 0);
}

/* On a connection we opened (a flow, RFC 5626 4.4.1) sip_conn_keepalive
 * sends CRLFCRLF, and a ping from the other side is answered too. */
static void test_keepalive_out(void **state)
{
	int af = af_of(state);
	struct rxbuf r = { .len = 0 };
	struct sip_conn *c = NULL;
	struct sa la;
	int acc[2];
	unsigned nacc = 0;
	int lfd = peer_listen(af, &la);
	char req[1024];
	size_t len = mk_req(req, sizeof(req), "OPTIONS", 1, NULL, 0);

	assert_int_equal(sip_tp_send(E.t, SIP_TP_TCP, &la, NULL, req, len, &c), 0);
	assert_non_null(c);
	WAIT_UNTIL(peer_accept(lfd, acc, 2, &nacc) == 1 && peer_has(acc[0], &r, len));
	assert_int_equal(sip_conn_keepalive(c), 0);
	WAIT_UNTIL(peer_has(acc[0], &r, len + 4));
	assert_memory_equal(r.b + len, "\r\n\r\n", 4);

	peer_puts(acc[0], "\r\n\r\n");
	WAIT_UNTIL(peer_has(acc[0], &r, len + 6));
	settle();
	peer_read(acc[0], &r);
	assert_int_equal(r.len, len + 6);
	assert_memory_equal(r.b + len + 4, "\r\n", 2);
	assert_true(sip_conn_alive(c));
	assert_int_equal(E.ngot, 0);
	sip_conn_unref(c);
}

/* ================= the bound on buffered bytes ================= */

/* A peer that sends an endless header section is cut off as soon as it
 * has more than the bound buffered: with a configured max_conn_buf by
 * the transport (EMSGSIZE), with the default by the framer at the SIP
 * message size limit (EBADMSG).  The listener keeps working. */
static const struct tp_case bound_small = { AF_INET, 0, 4096, EMSGSIZE, 4096, 4096 + 1024 };
static const struct tp_case bound_default = { AF_INET, 0, 0, EBADMSG, SIP_MAX_MSG_SIZE,
					      SIP_MAX_MSG_SIZE + 1024 };

static void test_bound(void **state)
{
	const struct tp_case *k = *state;
	char chunk[1024], req[1024];
	size_t sent = 0, len;
	int fd = peer_connect(AF_INET), fd2;

	peer_puts(fd, "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n");
	sent = strlen("MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n");
	memset(chunk, 'y', sizeof(chunk));
	memcpy(chunk, "X-Long: ", 8);
	chunk[sizeof(chunk) - 2] = '\r';
	chunk[sizeof(chunk) - 1] = '\n';
	while (E.nclosed == 0 && sent < 4 * SIP_MAX_MSG_SIZE) {
		ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
		if (n < 0)
			break;
		assert_int_equal(n, (ssize_t)sizeof(chunk));
		sent += (size_t)n;
		settle();
	}
	assert_int_equal(E.nclosed, 1);
	assert_int_equal(E.close_err, k->err);
	if (sent <= k->close_lo || sent > k->close_hi)
		fail_msg("closed after %zu bytes, want (%zu, %zu]", sent, k->close_lo,
			 k->close_hi);
	assert_int_equal(E.ngot, 0);
	assert_int_equal(sip_tp_conn_count(E.t), 0);

	fd2 = peer_connect(AF_INET);
	len = mk_req(req, sizeof(req), "OPTIONS", 1, NULL, 0);
	peer_write(fd2, req, len);
	WAIT_UNTIL(E.ngot == 1);
}

/* The bound is on what waits for the rest of a message, not on a burst:
 * a write of many complete requests (together past the bound, each well
 * within it) is delivered whole and the connection stays. */
static const struct tp_case burst_small = { AF_INET, 0, 4096, 0, 0, 0 };

static void test_burst_within_bound(void **state)
{
	char req[16384];
	size_t len = 0;
	int fd = peer_connect(AF_INET);
	(void)state;

	for (unsigned i = 0; i < 12; i++)
		len += mk_req(req + len, sizeof(req) - len, "OPTIONS", i + 1, NULL, 600);
	assert_true(len > 2 * 4096);
	peer_write(fd, req, len);
	WAIT_UNTIL(E.ngot == 12 || E.nclosed);
	assert_int_equal(E.nclosed, 0);
	for (unsigned i = 0; i < 12; i++)
		assert_got(i, i + 1, NULL);
	assert_int_equal(sip_tp_conn_count(E.t), 1);
}

/* ================= idle close ================= */

#define IDLE_S 30u
static const struct tp_case idle4 = { AF_INET, IDLE_S, 0, 0, 0, 0 };
static const struct tp_case idle6 = { AF_INET6, IDLE_S, 0, 0, 0, 0 };

/* An unused connection closes after idle_secs (the peer sees it end);
 * traffic on it pushes the close back. */
static void test_idle_close(void **state)
{
	struct rxbuf r = { .len = 0 };
	char req[1024];
	size_t len = mk_req(req, sizeof(req), "OPTIONS", 1, NULL, 0);
	int af = af_of(state);
	int fd = peer_connect(af), fd2;

	advance_to(IDLE_S * 1000 - 1);
	assert_int_equal(E.nclosed, 0);
	assert_int_equal(sip_tp_conn_count(E.t), 1);
	advance_to(IDLE_S * 1000);
	assert_int_equal(E.nclosed, 1);
	assert_int_equal(E.close_err, 0);
	assert_int_equal(sip_tp_conn_count(E.t), 0);
	WAIT_UNTIL(peer_read(fd, &r));

	/* a request 20 s in: closes 30 s after it */
	fd2 = peer_connect(af);
	advance_to(IDLE_S * 1000 + 20000);
	peer_write(fd2, req, len);
	WAIT_UNTIL(E.ngot == 1);
	advance_to(2 * IDLE_S * 1000 + 20000 - 1);
	assert_int_equal(E.nclosed, 1);
	advance_to(2 * IDLE_S * 1000 + 20000);
	assert_int_equal(E.nclosed, 2);
}

/* A registration flow held with sip_conn_hold stays open however long it
 * idles; released, it closes within idle_secs. */
static void test_idle_held(void **state)
{
	int af = af_of(state);
	struct rxbuf r = { .len = 0 };
	struct sip_conn *c = NULL;
	struct sa la;
	int acc[2];
	unsigned nacc = 0;
	int lfd = peer_listen(af, &la);
	char req[1024];
	size_t len = mk_req(req, sizeof(req), "REGISTER", 1, NULL, 0);

	assert_int_equal(sip_tp_send(E.t, SIP_TP_TCP, &la, NULL, req, len, &c), 0);
	sip_conn_hold(c, true);
	WAIT_UNTIL(peer_accept(lfd, acc, 2, &nacc) == 1 && peer_has(acc[0], &r, len));
	advance_to(10 * IDLE_S * 1000);
	assert_int_equal(E.nclosed, 0);
	assert_true(sip_conn_alive(c));
	assert_false(peer_read(acc[0], &r));

	sip_conn_hold(c, false);
	advance_to(11 * IDLE_S * 1000);
	assert_int_equal(E.nclosed, 1);
	assert_ptr_equal(E.closed_conn, c);
	assert_false(sip_conn_alive(c));
	WAIT_UNTIL(peer_read(acc[0], &r));
	sip_conn_unref(c);
}

/* ================= connection reuse (RFC 3261 18) ================= */

/* Requests to one destination share one connection (one accept on the
 * peer's listener), in order; after the peer closes it, the next request
 * opens a new one. */
static void test_reuse_out(void **state)
{
	int af = af_of(state);
	struct rxbuf r[2] = { { .len = 0 }, { .len = 0 } };
	struct sip_conn *c1 = NULL, *c2 = NULL, *c3 = NULL;
	struct sa la;
	int acc[4];
	unsigned nacc = 0;
	int lfd = peer_listen(af, &la);
	char a[1024], b[1024];
	size_t lena = mk_req(a, sizeof(a), "OPTIONS", 1, NULL, 0);
	size_t lenb = mk_req(b, sizeof(b), "MESSAGE", 2, "hi", 0);

	assert_int_equal(sip_tp_send(E.t, SIP_TP_TCP, &la, NULL, a, lena, &c1), 0);
	assert_int_equal(sip_tp_send(E.t, SIP_TP_TCP, &la, NULL, b, lenb, &c2), 0);
	assert_ptr_equal(c1, c2);
	WAIT_UNTIL(peer_accept(lfd, acc, 4, &nacc) >= 1 &&
		   peer_has(acc[0], &r[0], lena + lenb));
	settle();
	peer_accept(lfd, acc, 4, &nacc);
	assert_int_equal(nacc, 1);
	assert_int_equal(sip_tp_conn_count(E.t), 1);
	assert_int_equal(r[0].len, lena + lenb);
	assert_memory_equal(r[0].b, a, lena);
	assert_memory_equal(r[0].b + lena, b, lenb);

	/* a third request, after a while, still on it */
	advance_to(5000);
	assert_int_equal(sip_tp_send(E.t, SIP_TP_TCP, &la, NULL, a, lena, &c3), 0);
	assert_ptr_equal(c3, c1);
	WAIT_UNTIL(peer_has(acc[0], &r[0], 2 * lena + lenb));
	sip_conn_unref(c3);
	c3 = NULL;

	peer_close(acc[0]);
	WAIT_UNTIL(E.nclosed == 1);
	assert_ptr_equal(E.closed_conn, c1);
	assert_int_equal(sip_tp_conn_count(E.t), 0);
	assert_int_equal(sip_tp_send(E.t, SIP_TP_TCP, &la, NULL, a, lena, &c3), 0);
	assert_ptr_not_equal(c3, c1);
	WAIT_UNTIL(peer_accept(lfd, acc, 4, &nacc) == 2 && peer_has(acc[1], &r[1], lena));
	sip_conn_unref(c1);
	sip_conn_unref(c2);
	sip_conn_unref(c3);
}

/* A connection the peer opened is reused for sending to the peer's
 * address (its source port): no new connection. */
static void test_reuse_accepted(void **state)
{
	int af = af_of(state);
	struct rxbuf r = { .len = 0 };
	struct sip_conn *c = NULL;
	struct sa src;
	char a[1024];
	size_t len = mk_req(a, sizeof(a), "OPTIONS", 1, NULL, 0);
	int fd = peer_connect(af);

	src.len = sizeof(src.u);
	getsockname(fd, &src.u.sa, &src.len);
	peer_write(fd, a, len);
	WAIT_UNTIL(E.ngot == 1);
	assert_true(sa_eq(&E.got[0].src, &src));

	len = mk_req(a, sizeof(a), "MESSAGE", 2, "back", 0);
	assert_int_equal(sip_tp_send(E.t, SIP_TP_TCP, &src, NULL, a, len, &c), 0);
	assert_ptr_equal(c, E.got[0].conn);
	WAIT_UNTIL(peer_has(fd, &r, len));
	assert_memory_equal(r.b, a, len);
	assert_int_equal(sip_tp_conn_count(E.t), 1);
	sip_conn_unref(c);
}

/* ================= the whole stack ================= */

/* Where a response to a UDP request goes (RFC 3581 4, RFC 3261 18.2.2). */
struct route_case {
	int af;
	bool rport;
};

static const struct route_case rport4 = { AF_INET, true };
static const struct route_case sentby4 = { AF_INET, false };
static const struct route_case rport6 = { AF_INET6, true };
static const struct route_case sentby6 = { AF_INET6, false };

/* The request comes from socket "src" with the port of socket "via" in its
 * sent-by: with ;rport the answer goes to src with received= and rport=,
 * without it to the sent-by port (and no rport=). */
static void test_response_route(void **state)
{
	const struct route_case *k = *state;
	struct sa stack, src, via;
	char req[1024], b[4096], host[64], port[16];
	struct sip_msg *m;
	const char *why;
	struct pollfd pf[2];
	ssize_t n = -1;
	int fsrc, fvia, len, got = -1;

	if (k->af == AF_INET6 && !E.v6)
		skip();
	stack_addr(&stack, k->af, SIP_TP_UDP);
	fsrc = peer_udp(k->af, &src);
	fvia = peer_udp(k->af, &via);
	sa_ntop(&via, host, sizeof(host));
	len = snprintf(req, sizeof(req),
		       "OPTIONS sip:bob@%s SIP/2.0\r\n"
		       "Via: SIP/2.0/UDP %s%s%s:%u;branch=z9hG4bKroute%s\r\n"
		       "Max-Forwards: 70\r\n"
		       "From: <sip:alice@example.test>;tag=f\r\nTo: <sip:bob@example.test>\r\n"
		       "Call-ID: route-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		       k->af == AF_INET6 ? "[::1]" : "127.0.0.1",
		       k->af == AF_INET6 ? "[" : "", host, k->af == AF_INET6 ? "]" : "",
		       sa_port(&via), k->rport ? ";rport" : "");
	assert_int_equal(sendto(fsrc, req, (size_t)len, 0, &stack.u.sa, stack.len), len);
	pf[0] = (struct pollfd){ fsrc, POLLIN, 0 };
	pf[1] = (struct pollfd){ fvia, POLLIN, 0 };
	for (int i = 0; i < 3000 && got < 0; i++) {
		loop_poll(1);
		if (poll(pf, 2, 0) > 0) {
			got = (pf[0].revents & POLLIN) ? 0 : 1;
			n = recv(got ? fvia : fsrc, b, sizeof(b) - 1, MSG_DONTWAIT);
		}
	}
	assert_int_equal(E.nreq, 1);
	assert_true(n > 0);
	assert_int_equal(got, k->rport ? 0 : 1);
	assert_int_equal(sip_msg_parse(&m, b, (size_t)n, 0, &why), 0);
	assert_int_equal(m->scode, 200);
	assert_int_equal(m->via->port, sa_port(&via));
	assert_pl(&m->via->branch, "z9hG4bKroute");
	if (k->rport) {
		sa_ntop(&src, host, sizeof(host));
		snprintf(port, sizeof(port), "%u", sa_port(&src));
		assert_pl(&m->via->received, host);
		assert_pl(&m->via->rport_val, port);
	} else {
		assert_false(m->via->rport);
		assert_false(pl_isset(&m->via->received)); /* sent-by is the source */
	}
	sip_msg_free(m);
	settle();
	assert_int_equal(recv(fsrc, b, sizeof(b), MSG_DONTWAIT), -1);
	assert_int_equal(recv(fvia, b, sizeof(b), MSG_DONTWAIT), -1);
}

/* The stack answers a request whose Content-Length cannot fit with 413
 * on the connection (RFC 3261 21.4.11, the fault as reason), then closes
 * it: the stream cannot be resynchronised. */
static void test_stack_bad_framing_400(void **state)
{
	struct rxbuf r = { .len = 0 };
	int fd;
	(void)state;

	fd = peer_connect(AF_INET);
	peer_puts(fd, "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
		  "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKbig\r\n"
		  "From: <sip:alice@127.0.0.1>;tag=a\r\nTo: <sip:bob@127.0.0.1>\r\n"
		  "Call-ID: big\r\nCSeq: 1 MESSAGE\r\n"
		  "Content-Length: 70000\r\n\r\nsome of the body");
	WAIT_UNTIL(peer_read(fd, &r));
	/* the body is what makes it too large: 413 (RFC 3261 21.4.11) */
	assert_memory_equal(r.b, "SIP/2.0 413 Message too large\r\n",
			    strlen("SIP/2.0 413 Message too large\r\n"));
	assert_non_null(strstr(r.b, ";branch=z9hG4bKbig"));
	assert_non_null(strstr(r.b, "\r\nCall-ID: big\r\n"));
	assert_int_equal(E.nreq, 0);
	assert_int_equal(sip_tp_conn_count(sip_transport(E.s)), 0);
}

/* A header section that never ends within SIP_MAX_MSG_SIZE is answered
 * 513 (RFC 3261 21.5.11) before the connection's buffer bound is hit,
 * then the connection is closed. */
static void test_stack_hdr_too_large_513(void **state)
{
	struct rxbuf r = { .len = 0 };
	char pad[8192];
	size_t sent = 0;
	int fd;
	(void)state;

	fd = peer_connect(AF_INET);
	peer_puts(fd, "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n"
		  "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKhuge\r\n"
		  "From: <sip:alice@127.0.0.1>;tag=a\r\nTo: <sip:bob@127.0.0.1>\r\n"
		  "Call-ID: huge\r\nCSeq: 1 MESSAGE\r\n");
	/* 8 KB of "X-Pad: aaa...\r\n" lines a turn, the stack reading between */
	for (size_t i = 0; i < sizeof(pad); i += 128) {
		memcpy(pad + i, "X-Pad: ", 7);
		memset(pad + i + 7, 'a', 128 - 9);
		memcpy(pad + i + 126, "\r\n", 2);
	}
	while (sent < 2 * SIP_MAX_MSG_SIZE && !r.len) {
		if (send(fd, pad, sizeof(pad), MSG_NOSIGNAL) != (ssize_t)sizeof(pad))
			break;   /* closed: the answer is already there */
		sent += sizeof(pad);
		for (int i = 0; i < 20; i++)
			loop_poll(1);
		peer_read(fd, &r);
	}
	WAIT_UNTIL(peer_read(fd, &r));
	assert_true(sent > SIP_MAX_MSG_SIZE - sizeof(pad));
	assert_memory_equal(r.b, "SIP/2.0 513 Header section too large\r\n",
			    strlen("SIP/2.0 513 Header section too large\r\n"));
	assert_non_null(strstr(r.b, ";branch=z9hG4bKhuge"));
	assert_non_null(strstr(r.b, "\r\nCall-ID: huge\r\n"));
	assert_int_equal(E.nreq, 0);
	assert_int_equal(sip_tp_conn_count(sip_transport(E.s)), 0);
}

/* ---------- the table ---------- */

#define TP(name, fn, k) { #name, fn, setup_tp, teardown, (void *)&(k) }
#define TPD(name, fn, k) { #name, fn, setup_tp_default, teardown, (void *)&(k) }
#define STACK(name, fn, k) { #name, fn, setup_stack, teardown, (void *)&(k) }

static int group_setup(void **state)
{
	(void)state;
	log_set_stderr(getenv("TP_LOG") != NULL);
	if (getenv("TP_LOG")) {
		log_set_level(LOG_LVL_DEBUG);
		log_trace_enable(true);
	}
	return loop_init() ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	loop_close();
	tmr_clock_set(NULL);
	log_close();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TP(rfc3261_18_3_byte_at_a_time_delivered_once, test_byte_at_a_time, v4),
		TP(rfc3261_18_3_byte_at_a_time_delivered_once_ipv6, test_byte_at_a_time, v6),
		TP(rfc3261_18_3_two_requests_one_write_in_order, test_two_in_one_write, v4),
		TP(rfc3261_18_3_body_in_later_write_waits, test_body_later, v4),
		TPD(rfc3261_18_3_content_length_too_large_closes, test_bad_framing_closes,
		    clen_too_big),
		TPD(rfc3261_18_3_content_length_garbage_closes, test_bad_framing_closes,
		    clen_garbage),
		TP(rfc3261_18_3_garbage_start_line_rejected_connection_kept,
		   test_garbage_start_line, v4),
		TP(rfc5626_3_5_1_ping_gets_one_pong, test_ping_pong, v4),
		TP(rfc5626_3_5_1_ping_gets_one_pong_ipv6, test_ping_pong, v6),
		TP(rfc5626_3_5_1_lone_crlf_skipped_unanswered, test_lone_crlf, v4),
		TP(rfc5626_4_4_1_keepalive_on_our_flow_and_pong, test_keepalive_out, v4),
		TP(tp_bound_configured_closes_past_max_conn_buf, test_bound, bound_small),
		TP(tp_bound_default_closes_past_max_message, test_bound, bound_default),
		TP(tp_bound_burst_of_complete_messages_kept, test_burst_within_bound, burst_small),
		TP(tp_idle_connection_closed_after_idle_secs, test_idle_close, idle4),
		TP(tp_idle_connection_closed_after_idle_secs_ipv6, test_idle_close, idle6),
		TP(tp_idle_held_flow_kept_until_released, test_idle_held, idle4),
		TP(rfc3261_18_tcp_reused_per_destination, test_reuse_out, v4),
		TP(rfc3261_18_tcp_reused_per_destination_ipv6, test_reuse_out, v6),
		TP(rfc3261_18_accepted_connection_reused, test_reuse_accepted, v4),
		STACK(rfc3581_4_rport_answer_to_source_port, test_response_route, rport4),
		STACK(rfc3261_18_2_2_answer_to_sent_by_port, test_response_route, sentby4),
		STACK(rfc3581_4_rport_answer_to_source_port_ipv6, test_response_route, rport6),
		STACK(rfc3261_18_2_2_answer_to_sent_by_port_ipv6, test_response_route, sentby6),
		STACK(rfc3261_18_3_stack_answers_400_then_closes, test_stack_bad_framing_400, v4),
		STACK(rfc3261_21_5_11_header_section_too_large_513, test_stack_hdr_too_large_513, v4),
	};

	return cmocka_run_group_tests_name("sip-tp", tests, group_setup, group_teardown);
}
