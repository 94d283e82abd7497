/* sip/tp.c: UDP and TCP transports on the loop.
 *
 * Each listen address gets a UDP socket and a TCP listener on the same
 * port.  Stream connections (ours and accepted ones) are reused per peer
 * (RFC 3261 18), framed by Content-Length, bounded in buffered bytes, closed
 * when idle, and answer a CRLFCRLF ping with a CRLF pong (RFC 5626 3.5.1).
 * Connections are reference counted: a transaction that sent on one keeps
 * the object alive after the socket closed, and sees it as dead.
 * UDP sockets take ICMP errors (IP_RECVERR): an unreachable destination
 * is reported at once (RFC 3261 18.4) instead of at Timer B/F. */
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/errqueue.h>
#endif

#include "buf.h"
#include "hash.h"
#include "log.h"
#include "loop.h"
#include "sip/msg.h"
#include "sip/tp.h"
#include "xmalloc.h"

#define LOG_MOD "tp"

#define UDP_MAX 65535

struct listener {
	struct sip_transport *t;
	struct sa addr;      /* bound address (port filled in) */
	int udp;             /* -1 when UDP is not used */
	int tcp;             /* -1 when TCP is not used */
};

struct sip_conn {
	struct le le;        /* transport's list of connections */
	struct le hle;       /* hash by peer */
	struct sip_transport *t;
	enum sip_tp tp;
	int fd;
	struct sa peer, local;
	bool outgoing;
	bool connected;
	bool closed;
	bool held;           /* a registration flow: not closed when idle */
	unsigned refs;
	struct buf rx, tx;
	struct tmr idle;
	uint64_t last_io;
};

struct sip_transport {
	struct listener l[SIP_TP_MAX_LISTEN];
	unsigned nl;
	unsigned tp_mask;
	unsigned idle_secs;
	size_t max_buf;
	struct list conns;
	struct hash by_peer;
	sip_recv_h *recvh;
	sip_bad_h *badh;
	sip_conn_h *connh;
	sip_icmp_h *icmph;
	void *arg;
	char *udpbuf;
};

void sip_tp_cfg_default(struct sip_tp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->next_free = true;
	cfg->tp_mask = SIP_TP_MASK(SIP_TP_UDP) | SIP_TP_MASK(SIP_TP_TCP);
	cfg->idle_secs = 120;
	cfg->max_conn_buf = SIP_MAX_MSG_SIZE + 8192;
}

static void trace(bool out, enum sip_tp tp, const struct sa *peer, const char *data, size_t len)
{
	char p[SA_STRLEN];
	if (!log_trace_enabled())
		return;
	log_trace(out, sip_tp_name(tp), sa_str(peer, p, sizeof(p)), data, len);
}

static int sock_open(int af, int type)
{
	int fd = socket(af, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= FD_SETSIZE) {
		log_e("socket fd %d exceeds FD_SETSIZE (%d): too many sockets", fd, FD_SETSIZE);
		close(fd);
		errno = EMFILE;
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* receiving */

static void deliver(struct sip_transport *t, const char *data, size_t len, int flags,
		    const struct sip_rx *rx)
{
	struct sip_msg *m;
	const char *reason;
	char p[SA_STRLEN];

	trace(false, rx->tp, &rx->src, data, len);
	if (sip_msg_parse(&m, data, len, flags, &reason)) {
		if (len >= 4 && mem_caseeq(data, "SIP/", 4)) {
			log_w("dropping malformed response from %s: %s",
			      sa_str(&rx->src, p, sizeof(p)), reason);
		} else {
			log_i("malformed request from %s: %s", sa_str(&rx->src, p, sizeof(p)),
			      reason);
			if (t->badh)
				t->badh(data, len, reason, rx, t->arg);
		}
		return;
	}
	t->recvh(m, rx, t->arg);
	sip_msg_free(m);
}

static bool only_crlf(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

#if defined(__linux__) && defined(IP_RECVERR) && defined(IPV6_RECVERR)
#define TP_RECVERR 1

/* RFC 3261 18.4: host, network, port or protocol unreachable and parameter
 * problems fail the send; source quench, TTL exceeded and "fragmentation
 * needed" / "packet too big" (the kernel learns the path MTU, the
 * retransmission fits) do not. */
static bool icmp_fatal(const struct sock_extended_err *ee)
{
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
		return (ee->ee_type == ICMP_DEST_UNREACH && ee->ee_code != ICMP_FRAG_NEEDED) ||
		       ee->ee_type == ICMP_PARAMETERPROB;
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
		return ee->ee_type == ICMP6_DST_UNREACH || ee->ee_type == ICMP6_PARAM_PROB;
	return false;
}

/* Take the ICMP errors the kernel queued on a UDP socket (IP_RECVERR) and
 * report each fatal one with the destination of the datagram that drew it
 * (msg_name; SO_EE_OFFENDER is the node that sent the ICMP).  Until the
 * queue is empty the socket stays readable, so it is drained here; a
 * bounded round, the rest comes with the next one.  Never blocks. */
static void udp_errqueue(struct listener *l, int fd)
{
	struct sip_transport *t = l->t;

	for (unsigned burst = 0; burst < 32; burst++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
					    sizeof(struct sockaddr_in6)) + 64];
			struct cmsghdr align;
		} ctl;
		struct sock_extended_err *ee = NULL;
		size_t eelen = 0;
		char d[SA_STRLEN], o[SA_STRLEN];
		struct msghdr mh;
		struct sa dst, off;
		int err;

		memset(&mh, 0, sizeof(mh));
		memset(&dst, 0, sizeof(dst));
		mh.msg_name = &dst.u;
		mh.msg_namelen = sizeof(dst.u);
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		/* no iovec: the quoted datagram is not needed (MSG_TRUNC) */
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN: the queue is empty */
		}
		dst.len = mh.msg_namelen;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			     (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) &&
			    c->cmsg_len >= CMSG_LEN(sizeof(*ee))) {
				ee = (struct sock_extended_err *)CMSG_DATA(c);
				eelen = c->cmsg_len - CMSG_LEN(0);
			}
		}
		if (!ee || !sa_isset(&dst))
			continue;
		memset(&off, 0, sizeof(off));
		if ((ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6) &&
		    eelen >= sizeof(*ee) + sizeof(struct sockaddr_in)) {
			const struct sockaddr *so = SO_EE_OFFENDER(ee);
			size_t sl = so->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
				  : sizeof(struct sockaddr_in);
			if ((so->sa_family == AF_INET || so->sa_family == AF_INET6) &&
			    eelen >= sizeof(*ee) + sl) {
				memcpy(&off.u, so, sl);
				off.len = (socklen_t)sl;
			}
		}
		err = ee->ee_errno ? (int)ee->ee_errno : EHOSTUNREACH;
		if (!icmp_fatal(ee)) {
			log_d("UDP to %s: ICMP type %u code %u from %s (%s): not a send failure",
			      sa_str(&dst, d, sizeof(d)), ee->ee_type, ee->ee_code,
			      sa_isset(&off) ? sa_str(&off, o, sizeof(o)) : "?", strerror(err));
			continue;
		}
		log_d("UDP to %s: %s (ICMP type %u code %u from %s)", sa_str(&dst, d, sizeof(d)),
		      strerror(err), ee->ee_type, ee->ee_code,
		      sa_isset(&off) ? sa_str(&off, o, sizeof(o)) : "?");
		if (t->icmph)
			t->icmph(&dst, err, t->arg);
	}
}
#endif

static void udp_read(int fd, int events, void *arg)
{
	struct listener *l = arg;
	struct sip_transport *t = l->t;
	(void)events;

	/* a bounded burst so one busy socket cannot starve the loop */
	for (unsigned burst = 0; burst < 32; burst++) {
		struct sip_rx rx;
		ssize_t n;

		memset(&rx, 0, sizeof(rx));
		rx.tp = SIP_TP_UDP;
		rx.local = l->addr;
		rx.src.len = sizeof(rx.src.u);
		n = recvfrom(fd, t->udpbuf, UDP_MAX, 0, &rx.src.u.sa, &rx.src.len);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
#ifdef TP_RECVERR
			/* a queued ICMP error makes the socket readable and
			 * fails one recvfrom (ECONNREFUSED, ...), or none if a
			 * sendto took it first: the queue has the details */
			udp_errqueue(l, fd);
#endif
			if (err == EAGAIN || err == EWOULDBLOCK)
				return;
			continue; /* datagrams may wait behind the error */
		}
		if (n == 0 || only_crlf(t->udpbuf, (size_t)n))
			continue; /* keep-alive */
		if ((unsigned char)t->udpbuf[0] < 0x04)
			continue; /* STUN (RFC 5389) and other binary: not SIP */
		deliver(t, t->udpbuf, (size_t)n, 0, &rx);
		/* the handler may have freed the transport: it never does so
		 * synchronously (sip_tp_free is called from outside handlers) */
	}
}

/* ------------------------------------------------------------------ */
/* stream connections */

static void conn_free(struct sip_conn *c)
{
	buf_free(&c->rx);
	buf_free(&c->tx);
	free(c);
}

static void conn_reap(void *arg)
{
	sip_conn_unref(arg);
}

struct sip_conn *sip_conn_ref(struct sip_conn *c)
{
	if (c)
		c->refs++;
	return c;
}

void sip_conn_unref(struct sip_conn *c)
{
	if (c && --c->refs == 0)
		conn_free(c);
}

bool sip_conn_alive(const struct sip_conn *c)
{
	return c && !c->closed;
}

const struct sa *sip_conn_peer(const struct sip_conn *c)
{
	return &c->peer;
}

/* A registration flow is kept open while idle (keep-alives refresh it). */
void sip_conn_hold(struct sip_conn *c, bool keep)
{
	if (c)
		c->held = keep;
}

/* Close the socket now; the object goes when its last reference does.
 * Users learn through the transport's connection handler. */
static void conn_close(struct sip_conn *c, int err)
{
	struct sip_transport *t = c->t;
	char p[SA_STRLEN];

	if (c->closed)
		return;
	c->closed = true;
	loop_fd_del(c->fd);
	close(c->fd);
	c->fd = -1;
	tmr_cancel(&c->idle);
	list_unlink(&c->le);
	list_unlink(&c->hle);
	log_d("%s connection %s closed: %s", sip_tp_name(c->tp), sa_str(&c->peer, p, sizeof(p)),
	      err ? strerror(err) : "normal close");
	if (t->connh)
		t->connh(c, err, t->arg);
	/* the transport's own reference, dropped after this dispatch round */
	loop_reap(conn_reap, c);
}

static void conn_touch(struct sip_conn *c)
{
	c->last_io = tmr_now();
}

static void conn_idle(void *arg)
{
	struct sip_conn *c = arg;
	uint64_t limit = (uint64_t)c->t->idle_secs * 1000;
	uint64_t idle = tmr_now() - c->last_io;

	if (!c->held && idle >= limit && !c->tx.len) {
		conn_close(c, 0);
		return;
	}
	tmr_start(&c->idle, idle >= limit ? limit : limit - idle, conn_idle, c);
}

static void conn_io(int fd, int events, void *arg);

static struct sip_conn *conn_new(struct sip_transport *t, enum sip_tp tp, int fd,
				 const struct sa *peer, bool outgoing)
{
	struct sip_conn *c = xcalloc(1, sizeof(*c));

	c->t = t;
	c->tp = tp;
	c->fd = fd;
	c->peer = *peer;
	c->outgoing = outgoing;
	c->refs = 1; /* the transport's */
	buf_init(&c->rx, t->max_buf);
	buf_init(&c->tx, 4 * t->max_buf);
	tmr_init(&c->idle);
	c->local.len = sizeof(c->local.u);
	getsockname(fd, &c->local.u.sa, &c->local.len);
	list_append(&t->conns, &c->le, c);
	hash_add(&t->by_peer, sa_hash(peer), &c->hle, c);
	conn_touch(c);
	if (t->idle_secs)
		tmr_start(&c->idle, (uint64_t)t->idle_secs * 1000, conn_idle, c);
	return c;
}

static int conn_flush(struct sip_conn *c)
{
	while (c->tx.len) {
		ssize_t n = send(c->fd, c->tx.p, c->tx.len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf_consume(&c->tx, (size_t)n);
	}
	loop_fd_mod(c->fd, LOOP_READ | (c->tx.len ? LOOP_WRITE : 0));
	return 0;
}

static void conn_parse(struct sip_conn *c)
{
	struct sip_transport *t = c->t;

	sip_conn_ref(c);
	while (!c->closed && c->rx.len) {
		const char *reason;
		size_t len;
		int err;

		/* RFC 5626 3.5.1: CRLFCRLF ping gets a CRLF pong; a lone CRLF
		 * is a pong (or noise) and is dropped */
		if (c->rx.len >= 2 && c->rx.p[0] == '\r' && c->rx.p[1] == '\n') {
			if (c->rx.len >= 4 && c->rx.p[2] == '\r' && c->rx.p[3] == '\n') {
				buf_append(&c->tx, "\r\n", 2);
				buf_consume(&c->rx, 4);
				if (conn_flush(c))
					conn_close(c, EPIPE);
			} else if (c->rx.len == 3 && c->rx.p[2] == '\r') {
				break; /* wait for the rest of a ping */
			} else if (c->rx.len == 2 && !c->outgoing) {
				/* half a ping, or noise: clients ping (RFC 5626
				 * 4.4.1), so on a connection a client opened
				 * wait for what follows */
				break;
			} else {
				buf_consume(&c->rx, 2);
			}
			continue;
		}
		if (c->rx.p[0] == '\r' && c->rx.len == 1)
			break;
		err = sip_msg_frame(c->rx.p, c->rx.len, &len, &reason);
		if (err == ENODATA)
			break;
		if (err) {
			struct sip_rx rx = { c->tp, c->peer, c->local, c };
			char p[SA_STRLEN];
			log_i("bad stream from %s: %s; closing", sa_str(&c->peer, p, sizeof(p)), reason);
			if (t->badh && !mem_caseeq(c->rx.p, "SIP/", c->rx.len < 4 ? c->rx.len : 4))
				t->badh(c->rx.p, c->rx.len, reason, &rx, t->arg);
			conn_close(c, EBADMSG);
			break;
		}
		{
			struct sip_rx rx = { c->tp, c->peer, c->local, c };
			/* copy out: the handler may send on this connection */
			char *msg = xmalloc(len);
			memcpy(msg, c->rx.p, len);
			buf_consume(&c->rx, len);
			deliver(t, msg, len, SIP_PARSE_STREAM, &rx);
			free(msg);
		}
	}
	sip_conn_unref(c);
}

static void conn_read(struct sip_conn *c)
{
	char tmp[16384];

	/* parse after each read, so that the bound applies to what waits for
	 * the rest of a message and not to a burst of complete ones; a few
	 * reads per round, so that one busy peer cannot starve the loop */
	for (unsigned burst = 0; burst < 8; burst++) {
		size_t room = c->t->max_buf - c->rx.len;
		size_t want = room < sizeof(tmp) ? room : sizeof(tmp);
		ssize_t n;

		if (!want) {
			char p[SA_STRLEN];
			log_w("connection %s exceeded %zu buffered bytes; closing",
			      sa_str(&c->peer, p, sizeof(p)), c->t->max_buf);
			conn_close(c, EMSGSIZE);
			return;
		}
		n = recv(c->fd, tmp, want, 0);
		if (n == 0) {
			conn_close(c, 0);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c, errno);
			return;
		}
		conn_touch(c);
		buf_append(&c->rx, tmp, (size_t)n); /* fits: n <= room */
		conn_parse(c);
		if (c->closed || (size_t)n < want)
			return;
	}
}

static void conn_io(int fd, int events, void *arg)
{
	struct sip_conn *c = arg;
	(void)fd;

	if (!c->connected && (events & LOOP_WRITE)) {
		int err = 0;
		socklen_t l = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			conn_close(c, err);
			return;
		}
		c->connected = true;
		c->local.len = sizeof(c->local.u);
		getsockname(c->fd, &c->local.u.sa, &c->local.len);
	}
	if (events & LOOP_WRITE) {
		int err = conn_flush(c);
		if (err) {
			conn_close(c, err);
			return;
		}
		conn_touch(c);
	}
	if (events & LOOP_READ)
		conn_read(c);
}

static void tcp_accept(int fd, int events, void *arg)
{
	struct listener *l = arg;
	(void)events;

	for (unsigned burst = 0; burst < 16; burst++) {
		struct sa peer;
		struct sip_conn *c;
		int cfd, one = 1;

		peer.len = sizeof(peer.u);
		cfd = accept4(fd, &peer.u.sa, &peer.len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			return;
		if (cfd >= FD_SETSIZE) {
			log_w("refusing TCP connection: fd %d exceeds FD_SETSIZE", cfd);
			close(cfd);
			continue;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = conn_new(l->t, SIP_TP_TCP, cfd, &peer, false);
		c->connected = true;
		loop_fd_add(cfd, LOOP_READ, conn_io, c);
	}
}

static struct sip_conn *conn_find(struct sip_transport *t, enum sip_tp tp, const struct sa *peer)
{
	LIST_FOREACH(hash_bucket(&t->by_peer, sa_hash(peer)), e) {
		struct sip_conn *c = e->data;
		if (c->tp == tp && !c->closed && sa_eq(&c->peer, peer))
			return c;
	}
	return NULL;
}

static int conn_connect(struct sip_transport *t, enum sip_tp tp, const struct sa *dst,
			struct sip_conn **cp)
{
	struct sip_conn *c;
	int fd, one = 1;

	fd = sock_open(sa_af(dst), SOCK_STREAM);
	if (fd < 0)
		return errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, &dst->u.sa, dst->len) < 0 && errno != EINPROGRESS) {
		int err = errno;
		close(fd);
		return err;
	}
	c = conn_new(t, tp, fd, dst, true);
	if (loop_fd_add(fd, LOOP_READ | LOOP_WRITE, conn_io, c)) {
		conn_close(c, EMFILE);
		return EMFILE;
	}
	*cp = c;
	return 0;
}

/* Send a CRLFCRLF keep-alive ping on a flow (RFC 5626 4.4.1). */
int sip_conn_keepalive(struct sip_conn *c)
{
	int err;
	if (!sip_conn_alive(c))
		return ENOTCONN;
	if (buf_append(&c->tx, "\r\n\r\n", 4))
		return ENOBUFS;
	err = c->connected ? conn_flush(c) : 0;
	if (err)
		conn_close(c, err);
	return err;
}

/* ------------------------------------------------------------------ */
/* sending */

static struct listener *listener_for(struct sip_transport *t, int af, enum sip_tp tp)
{
	for (unsigned i = 0; i < t->nl; i++) {
		struct listener *l = &t->l[i];
		if (sa_af(&l->addr) != af)
			continue;
		if ((tp == SIP_TP_UDP && l->udp >= 0) || (tp != SIP_TP_UDP && l->tcp >= 0))
			return l;
	}
	return NULL;
}

/* Send one message.  For streams, conn (if alive) is used as is; otherwise
 * a connection to dst is reused or opened.  *used gets the connection
 * (referenced) so that the caller can watch it. */
int sip_tp_send(struct sip_transport *t, enum sip_tp tp, const struct sa *dst,
		struct sip_conn *conn, const void *data, size_t len, struct sip_conn **used)
{
	int err;

	if (used)
		*used = NULL;
	if (!(t->tp_mask & SIP_TP_MASK(tp)))
		return EPROTONOSUPPORT;
	if (tp == SIP_TP_UDP) {
		struct listener *l = listener_for(t, sa_af(dst), tp);
		if (!l)
			return EAFNOSUPPORT;
		if (len > UDP_MAX)
			return EMSGSIZE;
		trace(true, tp, dst, data, len);
		/* an ICMP error queued for an earlier datagram (IP_RECVERR) fails
		 * the next sendto once, whatever its destination: send again
		 * (the error queue reports it to the right sender); a real
		 * error repeats */
		for (unsigned i = 0; i < 3; i++) {
			if (sendto(l->udp, data, len, 0, &dst->u.sa, dst->len) >= 0)
				return 0;
			err = errno;
			if (err == EAGAIN || err == EWOULDBLOCK)
				return 0; /* a lost datagram: retransmission covers it */
		}
		return err;
	}
	if (tp == SIP_TP_TLS)
		return EPROTONOSUPPORT; /* the TLS transport slots in here */
	if (!sip_conn_alive(conn))
		conn = conn_find(t, tp, dst);
	if (!conn) {
		err = conn_connect(t, tp, dst, &conn);
		if (err)
			return err;
	}
	trace(true, tp, &conn->peer, data, len);
	if (buf_append(&conn->tx, data, len)) {
		conn_close(conn, ENOBUFS);
		return ENOBUFS;
	}
	if (conn->connected) {
		err = conn_flush(conn);
		if (err) {
			conn_close(conn, err);
			return err;
		}
	}
	conn_touch(conn);
	if (used)
		*used = sip_conn_ref(conn);
	return 0;
}

/* Our address as the peer at dst sees the socket we would use: the bound
 * address, or (bound to "any") the source the kernel routes from. */
int sip_tp_laddr(struct sip_transport *t, enum sip_tp tp, const struct sa *dst, struct sa *laddr)
{
	struct listener *l = listener_for(t, sa_af(dst), tp);
	int fd;

	if (!l)
		return EAFNOSUPPORT;
	*laddr = l->addr;
	if (!sa_is_any(&l->addr))
		return 0;
	fd = socket(sa_af(dst), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, &dst->u.sa, dst->len) == 0) {
		struct sa s;
		s.len = sizeof(s.u);
		if (getsockname(fd, &s.u.sa, &s.len) == 0) {
			sa_set_port(&s, sa_port(&l->addr));
			*laddr = s;
		}
	}
	close(fd);
	return 0;
}

uint16_t sip_tp_port(const struct sip_transport *t, enum sip_tp tp, int af)
{
	for (unsigned i = 0; i < t->nl; i++) {
		const struct listener *l = &t->l[i];
		if (af && sa_af(&l->addr) != af)
			continue;
		if ((tp == SIP_TP_UDP && l->udp >= 0) || (tp != SIP_TP_UDP && l->tcp >= 0))
			return sa_port(&l->addr);
	}
	return 0;
}

/* The first listen address of a family (any address possibly). */
int sip_tp_listen_addr(const struct sip_transport *t, int af, struct sa *out)
{
	for (unsigned i = 0; i < t->nl; i++) {
		if (sa_af(&t->l[i].addr) == af) {
			*out = t->l[i].addr;
			return 0;
		}
	}
	return ENOENT;
}

bool sip_tp_has_af(const struct sip_transport *t, int af)
{
	for (unsigned i = 0; i < t->nl; i++)
		if (sa_af(&t->l[i].addr) == af)
			return true;
	return false;
}

unsigned sip_tp_conn_count(const struct sip_transport *t)
{
	return (unsigned)list_count(&t->conns);
}

/* ------------------------------------------------------------------ */
/* setup */

static void listener_close(struct listener *l)
{
	if (l->udp >= 0) {
		loop_fd_del(l->udp);
		close(l->udp);
	}
	if (l->tcp >= 0) {
		loop_fd_del(l->tcp);
		close(l->tcp);
	}
	l->udp = l->tcp = -1;
}

/* Bind UDP and TCP on addr's port (both or neither). */
static int listener_bind(struct listener *l, const struct sa *addr, unsigned mask)
{
	struct sa a = *addr;
	int one = 1, err;

	l->udp = l->tcp = -1;
	if (mask & SIP_TP_MASK(SIP_TP_UDP)) {
		l->udp = sock_open(sa_af(&a), SOCK_DGRAM);
		if (l->udp < 0)
			return errno;
		if (sa_af(&a) == AF_INET6)
			setsockopt(l->udp, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
#ifdef TP_RECVERR
		/* ICMP errors for our datagrams, which the kernel drops on an
		 * unconnected socket otherwise (read in udp_errqueue) */
		if (sa_af(&a) == AF_INET6)
			setsockopt(l->udp, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
		else
			setsockopt(l->udp, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
#endif
		if (bind(l->udp, &a.u.sa, a.len) < 0)
			goto fail;
		a.len = sizeof(a.u);
		getsockname(l->udp, &a.u.sa, &a.len); /* learn an ephemeral port */
	}
	if (mask & (SIP_TP_MASK(SIP_TP_TCP) | SIP_TP_MASK(SIP_TP_TLS))) {
		l->tcp = sock_open(sa_af(&a), SOCK_STREAM);
		if (l->tcp < 0)
			goto fail;
		setsockopt(l->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (sa_af(&a) == AF_INET6)
			setsockopt(l->tcp, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(l->tcp, &a.u.sa, a.len) < 0 || listen(l->tcp, 64) < 0)
			goto fail;
		a.len = sizeof(a.u);
		getsockname(l->tcp, &a.u.sa, &a.len);
	}
	l->addr = a;
	return 0;
fail:
	err = errno;
	listener_close(l);
	return err;
}

static int listen_all(struct sip_transport *t, const struct sip_tp_cfg *cfg)
{
	struct sa addrs[SIP_TP_MAX_LISTEN];
	unsigned n = cfg->nlisten;
	unsigned tries = cfg->next_free ? 20 : 1;
	int err = 0;

	if (n) {
		memcpy(addrs, cfg->listen, n * sizeof(addrs[0]));
	} else {
		/* any IPv4, and any IPv6 when the host has it; port 5060 */
		sa_set(&addrs[0], "0.0.0.0", 5060);
		sa_set(&addrs[1], "::", 5060);
		n = 2;
	}
	for (unsigned i = 0; i < n; i++) {
		struct listener *l = &t->l[t->nl];
		struct sa a = addrs[i];
		uint16_t port = sa_port(&a);
		/* with no -l the IPv6 socket follows the IPv4 port */
		if (!cfg->nlisten && i == 1 && t->nl)
			port = sa_port(&t->l[0].addr);
		/* port 0: the ephemeral port UDP got may be taken for TCP, so
		 * draw another one */
		for (unsigned k = 0; k < (port ? tries : 20); k++) {
			sa_set_port(&a, (uint16_t)(port ? port + k : 0));
			err = listener_bind(l, &a, cfg->tp_mask);
			if (err != EADDRINUSE)
				break;
			if (!cfg->nlisten && i == 1)
				break; /* IPv6 is optional: do not wander */
		}
		if (err) {
			char s[SA_STRLEN];
			if (!cfg->nlisten && i == 1) {
				log_d("no IPv6 listener: %s", strerror(err));
				err = 0;
				continue;
			}
			/* the caller says it, once */
			log_d("cannot listen on %s: %s", sa_str(&a, s, sizeof(s)), strerror(err));
			return err;
		}
		l->t = t;
		if (l->udp >= 0)
			loop_fd_add(l->udp, LOOP_READ, udp_read, l);
		if (l->tcp >= 0)
			loop_fd_add(l->tcp, LOOP_READ, tcp_accept, l);
		t->nl++;
	}
	return 0;
}

int sip_tp_alloc(struct sip_transport **tp, const struct sip_tp_cfg *cfg,
		 sip_recv_h *recvh, sip_bad_h *badh, sip_conn_h *connh, void *arg)
{
	struct sip_transport *t = xcalloc(1, sizeof(*t));
	int err;

	t->tp_mask = cfg->tp_mask & (SIP_TP_MASK(SIP_TP_UDP) | SIP_TP_MASK(SIP_TP_TCP));
	t->idle_secs = cfg->idle_secs;
	t->max_buf = cfg->max_conn_buf ? cfg->max_conn_buf : SIP_MAX_MSG_SIZE + 8192;
	t->recvh = recvh;
	t->badh = badh;
	t->connh = connh;
	t->arg = arg;
	t->udpbuf = xmalloc(UDP_MAX + 1);
	list_init(&t->conns);
	hash_init(&t->by_peer, 64);
	err = listen_all(t, cfg);
	if (err) {
		sip_tp_free(t);
		return err;
	}
	*tp = t;
	return 0;
}

/* Who hears about ICMP errors on UDP (the SIP layer fails transactions);
 * it gets the arg given to sip_tp_alloc. */
void sip_tp_set_icmp_handler(struct sip_transport *t, sip_icmp_h *h)
{
	t->icmph = h;
}

void sip_tp_free(struct sip_transport *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->nl; i++)
		listener_close(&t->l[i]);
	t->connh = NULL; /* nobody to tell while shutting down */
	LIST_FOREACH_SAFE(&t->conns, e, tmp) {
		struct sip_conn *c = e->data;
		conn_close(c, 0);
	}
	hash_free(&t->by_peer);
	free(t->udpbuf);
	free(t);
}
