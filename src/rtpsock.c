/* rtpsock.c: the per-call RTP socket on the loop.  One UDP socket for RTP
 * on an even port and one for RTCP on the next port (or a single socket
 * with rtcp-mux, RFC 5761), symmetric RTP latching, periodic RTCP (RFC 3550
 * 6.2) and an inactivity timer.  All sockets are non-blocking; per packet
 * nothing is allocated (the receive buffer lives in the struct, the send
 * buffer on the stack).
 *
 * Latching rule (symmetric RTP, RFC 4961 style):
 *  1. Until a packet arrives, RTP goes to the address from SDP.
 *  2. The first RTP packet that parses latches its source (address and
 *     port); from then on RTP is sent there and only that source is heard.
 *  3. A packet from exactly the SDP address always wins: it relatches at
 *     once (whoever raced it in first was not the peer we signalled with).
 *  4. RTP from any other source is dropped (rx_wrong_src).  It relatches
 *     only when the latched source has been silent for latch_silence_ms
 *     (2 s) and the newcomer sent latch_min_pkts (3) consistent packets in
 *     a row: same address, same SSRC, sequence numbers each 1..16 ahead.
 *     A NAT rebinding or a peer moving its media passes; a spoofer cannot
 *     take over a stream that is flowing.
 *  5. rtp_sock_set_remote() with a new address forgets the latch.
 *  RTCP (two sockets) is heard from the latched RTP source's IP address,
 *  any port, when its first packet carries the SSRC of the RTP we hear,
 *  and is then sent to where it came from; before RTP latches it is heard
 *  from anyone and sent to the SDP RTCP address.  With rtcp-mux RTCP
 *  follows the RTP latch exactly. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "rand.h"
#include "rtp.h"
#include "tmr.h"
#include "xmalloc.h"

#define LOG_MOD "rtp"

#define CAND_MAX_GAP 16        /* sequence step a relatch candidate may take */
#define RX_BURST 32            /* datagrams read per readiness, for fairness */
#define BUF_SIZE (RTP_MAX_PACKET + RTP_XFORM_ROOM)

struct rtp_sock {
	struct rtp_sock_cfg cfg;
	char cname[RTCP_MAX_CNAME + 1];
	int rtp_fd, rtcp_fd;          /* rtcp_fd -1 with rtcp-mux */
	struct sa local_rtp, local_rtcp;

	/* where to send: SDP, then latched */
	bool have_remote;
	struct sa remote_rtp, remote_rtcp;
	bool latched;
	struct sa peer;               /* latched RTP source */
	uint64_t peer_last_ms;        /* its last accepted packet */
	bool rtcp_latched;
	struct sa rtcp_peer;
	struct sa cand;               /* relatch candidate */
	uint32_t cand_ssrc;
	uint16_t cand_seq;
	unsigned cand_n;

	/* sending */
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts_offset;
	uint32_t last_ts;             /* last RTP timestamp sent (wire) */
	uint64_t last_send_ms;
	bool sent_since_report;
	uint32_t pkt_count, octet_count;

	/* receiving */
	bool have_src;
	struct rtcp_rx src;
	bool have_last_rx_ts;
	uint32_t last_rx_ts;

	struct tmr rtcp_tmr;
	uint64_t rtcp_due;
	struct tmr idle_tmr;
	uint64_t last_rx_ms;          /* last accepted RTP or RTCP */
	bool idle_fired;

	int64_t wall_offset_ms;       /* wall clock minus tmr clock */

	rtp_recv_h *recvh;
	rtcp_recv_h *rtcph;
	rtp_timeout_h *timeouth;
	void *arg;
	rtp_xform_h *protect, *unprotect;
	void *xarg;

	struct rtp_sock_counters cnt;
	unsigned busy;                /* inside one of our callbacks */
	bool closed;
	uint8_t buf[BUF_SIZE];        /* receive buffer */
};

static void rtp_read(int fd, int events, void *arg);
static void rtcp_read(int fd, int events, void *arg);
static void rtcp_tmr_h(void *arg);
static void idle_tmr_h(void *arg);

void rtp_sock_cfg_init(struct rtp_sock_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	sa_init(&cfg->laddr, AF_INET);
	cfg->port_min = 16384;
	cfg->port_max = 32767;
	cfg->clock_rate = 8000;
	cfg->rtcp_interval_ms = 5000;
	cfg->latch_silence_ms = 2000;
	cfg->latch_min_pkts = 3;
}

static int rand_bytes(void *p, size_t n)
{
	int err = rand_fill(p, n);

	if (err)
		log_e("the kernel gives no random bytes for SSRC and sequence numbers");
	return err;
}

static uint32_t rand32(void)
{
	uint32_t r = 0x80000000u;
	(void)rand_bytes(&r, sizeof(r));
	return r;
}

/* The wall clock (for the NTP timestamps of SRs) moved onto the tmr clock,
 * so LSR and A are measured on one clock even under a test's fake clock. */
static uint64_t ntp_now(const struct rtp_sock *rs)
{
	return rtcp_ntp_from_ms((uint64_t)((int64_t)tmr_now() + rs->wall_offset_ms));
}

/* RFC 3550 6.2/6.3.1: the nominal interval times a uniform factor in
 * [0.5, 1.5); the first report comes after half of it.  No bandwidth
 * scaling: with two members and a 5 s minimum the minimum always wins. */
static uint64_t rtcp_interval(const struct rtp_sock *rs, bool first)
{
	uint64_t t = rs->cfg.rtcp_interval_ms;
	uint32_t r = rand32();

	if (first)
		t /= 2;
	/* t * (0.5 + r / 2^32) */
	return t / 2 + ((t * r) >> 32) + 1;
}

static int open_one(const struct sa *laddr, uint16_t port, int *fdp, struct sa *bound)
{
	struct sa a = *laddr;
	int fd, err, on = 1;

	fd = socket(sa_af(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (sa_af(&a) == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) {
		err = errno;
		goto fail;
	}
	sa_set_port(&a, port);
	if (bind(fd, &a.u.sa, a.len) < 0) {
		err = errno;
		goto fail;
	}
	*bound = a;
	bound->len = sizeof(bound->u);
	if (getsockname(fd, &bound->u.sa, &bound->len) < 0) {
		err = errno;
		goto fail;
	}
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return err;
}

/* An even RTP port (and RTCP on the next) in the range, from a random
 * start; ports in use are skipped.  Costs up to two binds per pair tried. */
static int open_ports(struct rtp_sock *rs)
{
	const struct rtp_sock_cfg *c = &rs->cfg;
	uint32_t lo = ((uint32_t)c->port_min + 1) & ~1u, hi = c->port_max, n, start;
	int err = EADDRINUSE;

	if (!c->rtcp_mux)
		hi = hi ? hi - 1 : 0; /* room for port + 1 */
	if (lo < 2 || lo > hi)
		return EINVAL;
	n = (hi - lo) / 2 + 1;
	start = rand32() % n;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(lo + 2 * ((start + i) % n));
		err = open_one(&c->laddr, port, &rs->rtp_fd, &rs->local_rtp);
		if (err == EADDRINUSE)
			continue;
		if (err)
			return err;
		if (c->rtcp_mux)
			return 0;
		err = open_one(&c->laddr, (uint16_t)(port + 1), &rs->rtcp_fd, &rs->local_rtcp);
		if (!err)
			return 0;
		close(rs->rtp_fd);
		rs->rtp_fd = -1;
		if (err != EADDRINUSE)
			return err;
	}
	log_w("no free RTP port pair in %u-%u", c->port_min, c->port_max);
	return err;
}

static void close_fds(struct rtp_sock *rs)
{
	if (rs->rtp_fd >= 0) {
		loop_fd_del(rs->rtp_fd);
		close(rs->rtp_fd);
		rs->rtp_fd = -1;
	}
	if (rs->rtcp_fd >= 0) {
		loop_fd_del(rs->rtcp_fd);
		close(rs->rtcp_fd);
		rs->rtcp_fd = -1;
	}
}

/* Open the sockets and start RTCP.  cfg fields left 0 take the defaults
 * (rtp_sock_cfg_init); the callbacks may be NULL. */
int rtp_sock_alloc(struct rtp_sock **rsp, const struct rtp_sock_cfg *cfg,
		   rtp_recv_h *recvh, rtcp_recv_h *rtcph, rtp_timeout_h *timeouth, void *arg)
{
	struct rtp_sock *rs;
	struct rtp_sock_cfg def;
	struct timespec wall;
	uint8_t r[12];
	int err;

	if (!rsp || !cfg)
		return EINVAL;
	if (!sa_isset(&cfg->laddr) && sa_af(&cfg->laddr) != AF_UNSPEC)
		return EAFNOSUPPORT;
	if (cfg->cname && strlen(cfg->cname) > RTCP_MAX_CNAME)
		return EINVAL;
	rtp_sock_cfg_init(&def);
	rs = xcalloc(1, sizeof(*rs));
	rs->rtp_fd = rs->rtcp_fd = -1;
	rs->cfg = *cfg;
	if (!sa_isset(&rs->cfg.laddr))
		rs->cfg.laddr = def.laddr;
	if (!rs->cfg.port_min)
		rs->cfg.port_min = def.port_min;
	if (!rs->cfg.port_max)
		rs->cfg.port_max = def.port_max;
	if (!rs->cfg.clock_rate)
		rs->cfg.clock_rate = def.clock_rate;
	if (!rs->cfg.rtcp_interval_ms)
		rs->cfg.rtcp_interval_ms = def.rtcp_interval_ms;
	if (!rs->cfg.latch_silence_ms)
		rs->cfg.latch_silence_ms = def.latch_silence_ms;
	if (!rs->cfg.latch_min_pkts)
		rs->cfg.latch_min_pkts = def.latch_min_pkts;
	rs->cfg.cname = NULL;
	tmr_init(&rs->rtcp_tmr);
	tmr_init(&rs->idle_tmr);

	err = rand_bytes(r, sizeof(r));
	if (err)
		goto out;
	rs->ssrc = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
	rs->seq = (uint16_t)(r[4] << 8 | r[5]);
	rs->ts_offset = (uint32_t)r[6] << 24 | (uint32_t)r[7] << 16 | (uint32_t)r[8] << 8 | r[9];
	if (cfg->cname) {
		strcpy(rs->cname, cfg->cname);
	} else {
		/* RFC 7022: a random CNAME, 96 bits in hex */
		uint8_t c[12];
		err = rand_bytes(c, sizeof(c));
		if (err)
			goto out;
		for (size_t i = 0; i < sizeof(c); i++) {
			rs->cname[2 * i] = "0123456789abcdef"[c[i] >> 4];
			rs->cname[2 * i + 1] = "0123456789abcdef"[c[i] & 15];
		}
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	rs->wall_offset_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000 -
			     (int64_t)tmr_now();

	err = open_ports(rs);
	if (err)
		goto out;
	err = loop_fd_add(rs->rtp_fd, LOOP_READ, rtp_read, rs);
	if (!err && rs->rtcp_fd >= 0)
		err = loop_fd_add(rs->rtcp_fd, LOOP_READ, rtcp_read, rs);
	if (err)
		goto out;
	rs->recvh = recvh;
	rs->rtcph = rtcph;
	rs->timeouth = timeouth;
	rs->arg = arg;
	rs->rtcp_due = tmr_now() + rtcp_interval(rs, true);
	tmr_start_at(&rs->rtcp_tmr, rs->rtcp_due, rtcp_tmr_h, rs);
	{
		char a[SA_STRLEN];
		log_d("RTP socket %s%s ssrc %08x", sa_str(&rs->local_rtp, a, sizeof(a)),
		      rs->cfg.rtcp_mux ? " (rtcp-mux)" : "", rs->ssrc);
	}
	*rsp = rs;
	return 0;
out:
	close_fds(rs);
	free(rs);
	return err;
}

static const struct sa *rtp_dest(const struct rtp_sock *rs)
{
	if (rs->latched)
		return &rs->peer;
	return rs->have_remote ? &rs->remote_rtp : NULL;
}

static const struct sa *rtcp_dest(const struct rtp_sock *rs)
{
	if (rs->cfg.rtcp_mux)
		return rtp_dest(rs);
	if (rs->rtcp_latched)
		return &rs->rtcp_peer;
	return rs->have_remote ? &rs->remote_rtcp : NULL;
}

static void unlatch(struct rtp_sock *rs)
{
	rs->latched = false;
	rs->rtcp_latched = false;
	rs->cand_n = 0;
}

/* Arm the inactivity timer for the silence that started at last_rx_ms. */
static void idle_arm(struct rtp_sock *rs)
{
	if (!rs->cfg.timeout_ms) {
		tmr_cancel(&rs->idle_tmr);
		return;
	}
	tmr_start_at(&rs->idle_tmr, rs->last_rx_ms + rs->cfg.timeout_ms, idle_tmr_h, rs);
}

/* The peer's address from SDP; rtcp NULL means port + 1 (or the RTP address
 * with rtcp-mux).  A changed address forgets the latch.  Starts the
 * inactivity timer. */
int rtp_sock_set_remote(struct rtp_sock *rs, const struct sa *rtp, const struct sa *rtcp)
{
	struct sa rc;

	if (!rs || rs->closed || !rtp || !sa_isset(rtp) || !sa_port(rtp))
		return EINVAL;
	if (sa_af(rtp) != sa_af(&rs->local_rtp) ||
	    (rtcp && sa_af(rtcp) != sa_af(&rs->local_rtp)))
		return EAFNOSUPPORT;
	if (rtcp) {
		rc = *rtcp;
	} else {
		rc = *rtp;
		if (!rs->cfg.rtcp_mux)
			sa_set_port(&rc, (uint16_t)(sa_port(rtp) + 1));
	}
	if (!rs->have_remote || !sa_eq(&rs->remote_rtp, rtp))
		unlatch(rs);
	rs->remote_rtp = *rtp;
	rs->remote_rtcp = rc;
	rs->have_remote = true;
	rs->last_rx_ms = tmr_now();
	rs->idle_fired = false;
	idle_arm(rs);
	return 0;
}

void rtp_sock_set_clock_rate(struct rtp_sock *rs, uint32_t clock_rate)
{
	if (!rs || !clock_rate)
		return;
	rs->cfg.clock_rate = clock_rate;
	if (rs->have_src)
		rs->src.clock_rate = clock_rate;
}

/* 0 turns inactivity detection off (a call on hold may be silent). */
void rtp_sock_set_timeout(struct rtp_sock *rs, uint32_t timeout_ms)
{
	if (!rs || rs->closed)
		return;
	rs->cfg.timeout_ms = timeout_ms;
	rs->last_rx_ms = tmr_now();
	rs->idle_fired = false;
	if (rs->have_remote)
		idle_arm(rs);
	else
		tmr_cancel(&rs->idle_tmr);
}

void rtp_sock_set_xform(struct rtp_sock *rs, rtp_xform_h *protect, rtp_xform_h *unprotect,
			void *arg)
{
	if (!rs)
		return;
	rs->protect = protect;
	rs->unprotect = unprotect;
	rs->xarg = arg;
}

static void new_ssrc(struct rtp_sock *rs, uint32_t clash)
{
	uint32_t old = rs->ssrc;
	do
		rs->ssrc = rand32();
	while (rs->ssrc == clash || rs->ssrc == old);
	log_w("SSRC collision on %08x: ours is now %08x", old, rs->ssrc);
}

/* Build and send one RTP packet with our SSRC and the next sequence number;
 * ts is on the caller's media clock (rtp_sock adds its random offset). */
int rtp_sock_send(struct rtp_sock *rs, uint8_t pt, bool marker, uint32_t ts,
		  const uint8_t *payload, size_t len)
{
	uint8_t buf[BUF_SIZE];
	struct rtp_hdr h;
	const struct sa *dst;
	size_t n;
	int err;

	if (!rs || rs->closed || pt > 127 || (!payload && len))
		return EINVAL;
	if (rs->cfg.rtcp_mux && pt >= 64 && pt <= 95)
		return EINVAL; /* would read as RTCP (RFC 5761 4) */
	dst = rtp_dest(rs);
	if (!dst)
		return ENOTCONN;
	if (len > RTP_MAX_PACKET - RTP_HDR_SIZE)
		return EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.marker = marker;
	h.pt = pt;
	h.seq = rs->seq++;
	h.ts = rs->ts_offset + ts;
	h.ssrc = rs->ssrc;
	err = rtp_build(buf, RTP_MAX_PACKET, &n, &h, payload, len);
	if (err)
		return err;
	if (rs->protect) {
		err = rs->protect(false, buf, &n, sizeof(buf), rs->xarg);
		if (err)
			return err;
	}
	if (sendto(rs->rtp_fd, buf, n, 0, &dst->u.sa, dst->len) < 0) {
		err = errno;
		rs->cnt.tx_errors++;
		return err;
	}
	rs->cnt.tx_pkts++;
	rs->cnt.tx_bytes += len;
	rs->pkt_count++;
	rs->octet_count += (uint32_t)len;
	rs->last_ts = h.ts;
	rs->last_send_ms = tmr_now();
	rs->sent_since_report = true;
	return 0;
}

/* SR or RR, SDES CNAME and optionally BYE, as one compound. */
static int send_rtcp(struct rtp_sock *rs, bool bye)
{
	uint8_t buf[RTCP_MAX_PACKET + RTP_XFORM_ROOM];
	const struct sa *dst = rtcp_dest(rs);
	struct rtcp_sr sr, *srp = NULL;
	struct rtcp_rb rb;
	uint64_t now = tmr_now();
	size_t off = 0;
	unsigned n_rb = 0;
	int fd = rs->rtcp_fd >= 0 ? rs->rtcp_fd : rs->rtp_fd;
	int err;

	if (!dst)
		return ENOTCONN;
	if (rs->sent_since_report) {
		uint64_t dt = now - rs->last_send_ms;
		sr.ntp = ntp_now(rs);
		sr.rtp_ts = rs->last_ts + (uint32_t)(dt * rs->cfg.clock_rate / 1000);
		sr.pkt_count = rs->pkt_count;
		sr.octet_count = rs->octet_count;
		srp = &sr;
	}
	if (rs->have_src && !rs->src.probation) {
		rtcp_rx_report(&rs->src, &rb, now);
		n_rb = 1;
	}
	err = rtcp_build_report(buf, RTCP_MAX_PACKET, &off, rs->ssrc, srp, &rb, n_rb);
	if (!err)
		err = rtcp_build_sdes_cname(buf, RTCP_MAX_PACKET, &off, rs->ssrc, rs->cname);
	if (!err && bye)
		err = rtcp_build_bye(buf, RTCP_MAX_PACKET, &off, rs->ssrc, NULL);
	if (err)
		return err;
	if (rs->protect) {
		err = rs->protect(true, buf, &off, sizeof(buf), rs->xarg);
		if (err)
			return err;
	}
	if (sendto(fd, buf, off, 0, &dst->u.sa, dst->len) < 0) {
		err = errno;
		rs->cnt.tx_errors++;
		return err;
	}
	rs->cnt.rtcp_tx++;
	rs->sent_since_report = false;
	return 0;
}

int rtp_sock_send_rtcp_now(struct rtp_sock *rs)
{
	if (!rs || rs->closed)
		return EINVAL;
	return send_rtcp(rs, false);
}

/* Periodic: each deadline is the previous one plus a fresh random
 * interval, so the schedule does not drift with loop latency. */
static void rtcp_tmr_h(void *arg)
{
	struct rtp_sock *rs = arg;
	uint64_t now = tmr_now();
	int err = send_rtcp(rs, false);

	if (err && err != ENOTCONN)
		log_d("RTCP send: %s", strerror(err));
	rs->rtcp_due += rtcp_interval(rs, false);
	if (rs->rtcp_due <= now) /* the loop stalled: do not fire a burst */
		rs->rtcp_due = now + rtcp_interval(rs, false);
	tmr_start_at(&rs->rtcp_tmr, rs->rtcp_due, rtcp_tmr_h, rs);
}

static void idle_tmr_h(void *arg)
{
	struct rtp_sock *rs = arg;
	uint64_t now = tmr_now(), silent = now - rs->last_rx_ms;

	if (silent < rs->cfg.timeout_ms) {
		idle_arm(rs);
		return;
	}
	rs->idle_fired = true;
	log_i("no RTP or RTCP for %u ms", (unsigned)silent);
	if (rs->timeouth) {
		rs->busy++;
		rs->timeouth((uint32_t)silent, rs->arg);
		rs->busy--;
	}
}

/* Accepted traffic: the inactivity clock restarts. */
static void activity(struct rtp_sock *rs, uint64_t now)
{
	rs->last_rx_ms = now;
	if (rs->idle_fired && rs->cfg.timeout_ms && rs->have_remote) {
		rs->idle_fired = false;
		idle_arm(rs);
	}
}

static void relatch(struct rtp_sock *rs, const struct sa *from, uint64_t now, const char *why)
{
	char a[SA_STRLEN], b[SA_STRLEN];

	if (rs->latched) {
		rs->cnt.relatches++;
		log_i("RTP source %s replaced by %s (%s)", sa_str(&rs->peer, a, sizeof(a)),
		      sa_str(from, b, sizeof(b)), why);
	} else {
		log_d("RTP latched to %s", sa_str(from, b, sizeof(b)));
	}
	rs->latched = true;
	rs->peer = *from;
	rs->peer_last_ms = now;
	rs->rtcp_latched = false;
	rs->cand_n = 0;
}

/* The latching rule at the top of this file: may this RTP packet be heard? */
static bool latch_accept(struct rtp_sock *rs, const struct sa *from, const struct rtp_hdr *h,
			 uint64_t now)
{
	uint16_t step;

	if (!rs->latched) {
		relatch(rs, from, now, "first packet");
		return true;
	}
	if (sa_eq(from, &rs->peer)) {
		rs->peer_last_ms = now;
		rs->cand_n = 0;
		return true;
	}
	if (rs->have_remote && sa_eq(from, &rs->remote_rtp)) {
		relatch(rs, from, now, "the SDP address");
		return true;
	}
	step = (uint16_t)(h->seq - rs->cand_seq);
	if (rs->cand_n && sa_eq(from, &rs->cand) && h->ssrc == rs->cand_ssrc &&
	    step >= 1 && step <= CAND_MAX_GAP) {
		rs->cand_n++;
	} else {
		rs->cand = *from;
		rs->cand_ssrc = h->ssrc;
		rs->cand_n = 1;
	}
	rs->cand_seq = h->seq;
	if (rs->cand_n >= rs->cfg.latch_min_pkts &&
	    now - rs->peer_last_ms >= rs->cfg.latch_silence_ms) {
		relatch(rs, from, now, "old source silent");
		return true;
	}
	return false;
}

static void handle_rtp(struct rtp_sock *rs, size_t len, const struct sa *from, uint64_t now)
{
	struct rtp_pkt pkt;
	const char *reason = NULL;
	enum rtcp_seq_res res;
	uint32_t rate;

	if (rs->unprotect && rs->unprotect(false, rs->buf, &len, sizeof(rs->buf), rs->xarg)) {
		rs->cnt.rx_malformed++;
		return;
	}
	if (rtp_parse(&pkt, rs->buf, len, &reason)) {
		rs->cnt.rx_malformed++;
		log_d("RTP dropped: %s", reason);
		return;
	}
	if (!latch_accept(rs, from, &pkt.hdr, now)) {
		rs->cnt.rx_wrong_src++;
		return;
	}
	activity(rs, now);
	if (pkt.hdr.ssrc == rs->ssrc)
		new_ssrc(rs, pkt.hdr.ssrc);
	if (!rs->have_src || rs->src.ssrc != pkt.hdr.ssrc) {
		if (rs->have_src)
			log_d("remote SSRC %08x -> %08x", rs->src.ssrc, pkt.hdr.ssrc);
		rtcp_rx_init(&rs->src, pkt.hdr.ssrc, pkt.hdr.seq, rs->cfg.clock_rate);
		rs->have_src = true;
		rs->have_last_rx_ts = false;
	}
	res = rtcp_rx_update_seq(&rs->src, pkt.hdr.seq);
	if (res == RTCP_SEQ_BAD) {
		rs->cnt.rx_bad_seq++;
		return;
	}
	/* packets repeating a timestamp (RFC 4733 updates, video fragments)
	 * say nothing about transit time */
	if (!rs->have_last_rx_ts || pkt.hdr.ts != rs->last_rx_ts) {
		rate = rs->src.clock_rate;
		rtcp_rx_jitter(&rs->src, pkt.hdr.ts, (uint32_t)(now * rate / 1000));
	}
	rs->have_last_rx_ts = true;
	rs->last_rx_ts = pkt.hdr.ts;
	rs->cnt.rx_pkts++;
	rs->cnt.rx_bytes += pkt.payload_len;
	if (rs->recvh) {
		rs->busy++;
		rs->recvh(&pkt, now, rs->arg);
		rs->busy--;
	}
}

/* May an RTCP compound from this address, whose first packet names
 * sender, be heard?  (See the rule at the top.) */
static bool rtcp_accept(struct rtp_sock *rs, const struct sa *from, uint32_t sender)
{
	if (!rs->latched)
		return true;
	if (rs->cfg.rtcp_mux)
		return sa_eq(from, &rs->peer);
	if (!sa_eq_addr(from, &rs->peer) || (rs->have_src && sender != rs->src.ssrc))
		return false;
	if (!rs->rtcp_latched || !sa_eq(from, &rs->rtcp_peer)) {
		rs->rtcp_latched = true;
		rs->rtcp_peer = *from;
	}
	return true;
}

static void handle_rtcp(struct rtp_sock *rs, size_t len, const struct sa *from, uint64_t now)
{
	struct rtcp_stats st;
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	const char *reason = NULL;
	bool have_sender = false;

	if (rs->unprotect && rs->unprotect(true, rs->buf, &len, sizeof(rs->buf), rs->xarg)) {
		rs->cnt.rx_malformed++;
		return;
	}
	if (rtcp_check(rs->buf, len, &reason)) {
		rs->cnt.rx_malformed++;
		log_d("RTCP dropped: %s", reason);
		return;
	}
	rtcp_iter_init(&it, rs->buf, len);
	if (rtcp_next(&it, &pkt, NULL) || !rtcp_accept(rs, from, pkt.ssrc)) {
		rs->cnt.rx_wrong_src++;
		return;
	}
	rs->cnt.rtcp_rx++;
	activity(rs, now);
	memset(&st, 0, sizeof(st));
	rtcp_iter_init(&it, rs->buf, len);
	while (rtcp_next(&it, &pkt, NULL) == 0) {
		switch (pkt.pt) {
		case RTCP_SR:
		case RTCP_RR:
			if (pkt.ssrc == rs->ssrc) {
				new_ssrc(rs, pkt.ssrc);
				break;
			}
			if (!have_sender) {
				st.ssrc = pkt.ssrc;
				have_sender = true;
			}
			if (pkt.pt == RTCP_SR) {
				st.sr = true;
				if (rs->have_src && pkt.ssrc == rs->src.ssrc)
					rtcp_rx_sr(&rs->src, &pkt.sr, now);
			}
			for (unsigned i = 0; i < pkt.n_rb; i++) {
				const struct rtcp_rb *rb = &pkt.rb[i];
				if (rb->ssrc != rs->ssrc)
					continue;
				st.has_rb = true;
				st.fraction_lost = rb->fraction;
				st.fraction_lost_pct = rb->fraction * 100.0 / 256.0;
				st.cum_lost = rb->lost;
				st.jitter_ts = rb->jitter;
				st.jitter_ms = rtcp_ts_to_ms(rb->jitter, rs->cfg.clock_rate);
				st.has_rtt = rtcp_rtt_ms(rb, rtcp_ntp_mid32(ntp_now(rs)),
							 &st.rtt_ms) == 0;
			}
			break;
		case RTCP_BYE:
			/* before its RTP arrived, any BYE is the peer's */
			for (unsigned i = 0; i < pkt.n_src; i++)
				if (!rs->have_src || pkt.src[i] == rs->src.ssrc)
					st.bye = true;
			break;
		default:
			break;
		}
	}
	if (st.bye)
		log_i("remote RTP source %08x sent BYE", rs->src.ssrc);
	if (rs->have_src) {
		st.rx_received = rs->src.probation ? 0 : rs->src.received;
		st.rx_lost = rtcp_rx_lost(&rs->src);
		st.rx_jitter_ms = rtcp_ts_to_ms(rtcp_rx_jitter_ts(&rs->src), rs->src.clock_rate);
	}
	if (rs->rtcph) {
		rs->busy++;
		rs->rtcph(&st, rs->arg);
		rs->busy--;
	}
}

/* Read up to RX_BURST datagrams, stopping early when the socket is empty
 * or a callback closed us; the loop calls again while more are queued. */
static void read_sock(struct rtp_sock *rs, int fd, bool rtcp)
{
	for (unsigned n = 0; n < RX_BURST && !rs->closed; n++) {
		struct sa from;
		ssize_t r;
		uint64_t now;

		memset(&from, 0, sizeof(from));
		from.len = sizeof(from.u);
		r = recvfrom(fd, rs->buf, sizeof(rs->buf), MSG_TRUNC, &from.u.sa, &from.len);
		if (r < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue; /* ICMP from an earlier send: not ours to act on */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_d("recvfrom: %s", strerror(errno));
			return;
		}
		if ((size_t)r > sizeof(rs->buf)) {
			rs->cnt.rx_malformed++;
			continue;
		}
		now = tmr_now();
		/* RFC 7983: a first byte of 0-3 is STUN (a peer's keep-alive
		 * or ICE check), 20-63 DTLS: not media, and not malformed
		 * either; they are counted apart (ICE and DTLS-SRTP will take
		 * them from here) */
		if (r > 0 && (rs->buf[0] <= 3 || (rs->buf[0] >= 20 && rs->buf[0] <= 63))) {
			rs->cnt.rx_other++;
			continue;
		}
		if (rtcp || (rs->cfg.rtcp_mux && rtp_is_rtcp(rs->buf, (size_t)r)))
			handle_rtcp(rs, (size_t)r, &from, now);
		else
			handle_rtp(rs, (size_t)r, &from, now);
	}
}

static void rtp_read(int fd, int events, void *arg)
{
	(void)events;
	read_sock(arg, fd, false);
}

static void rtcp_read(int fd, int events, void *arg)
{
	(void)events;
	read_sock(arg, fd, true);
}

static void rs_free(void *arg)
{
	free(arg);
}

/* Send RTCP BYE, close the sockets, cancel the timers.  Safe from inside
 * any of this socket's callbacks: the memory is then freed after the
 * loop's dispatch round. */
void rtp_sock_close(struct rtp_sock *rs)
{
	if (!rs || rs->closed)
		return;
	if (rtcp_dest(rs)) {
		int err = send_rtcp(rs, true);
		if (err)
			log_d("RTCP BYE: %s", strerror(err));
	}
	rs->closed = true;
	tmr_cancel(&rs->rtcp_tmr);
	tmr_cancel(&rs->idle_tmr);
	close_fds(rs);
	if (rs->busy)
		loop_reap(rs_free, rs);
	else
		free(rs);
}

const struct sa *rtp_sock_local(const struct rtp_sock *rs)
{
	return &rs->local_rtp;
}

/* The RTCP address (the RTP one with rtcp-mux). */
const struct sa *rtp_sock_local_rtcp(const struct rtp_sock *rs)
{
	return rs->cfg.rtcp_mux ? &rs->local_rtp : &rs->local_rtcp;
}

/* Where RTP goes now: the latched source, else the SDP address, else NULL. */
const struct sa *rtp_sock_peer(const struct rtp_sock *rs)
{
	return rtp_dest(rs);
}

bool rtp_sock_latched(const struct rtp_sock *rs)
{
	return rs->latched;
}

uint32_t rtp_sock_ssrc(const struct rtp_sock *rs)
{
	return rs->ssrc;
}

uint32_t rtp_sock_ts_offset(const struct rtp_sock *rs)
{
	return rs->ts_offset;
}

/* Our statistics of the remote source, NULL before its first packet. */
const struct rtcp_rx *rtp_sock_rx(const struct rtp_sock *rs)
{
	return rs->have_src ? &rs->src : NULL;
}

void rtp_sock_counters(const struct rtp_sock *rs, struct rtp_sock_counters *out)
{
	*out = rs->cnt;
}
