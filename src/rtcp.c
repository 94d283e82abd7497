/* rtcp.c: compound RTCP (RFC 3550 section 6) and the reception statistics
 * of appendix A: sequence validation (A.1), loss (A.3), interarrival jitter
 * (A.8), LSR/DLSR and the round-trip time they give (6.4.1).  Everything
 * here is pure arithmetic on caller-owned state; rtpsock.c supplies clocks
 * and sockets. */
#include <errno.h>
#include <string.h>

#include "rtp.h"
#include "rtp-int.h"

/* ---------- parsing ---------- */

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->len = p ? len : 0;
	it->off = 0;
}

static void get_rb(struct rtcp_rb *rb, const uint8_t *p)
{
	uint32_t l = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];

	rb->ssrc = get32(p);
	rb->fraction = p[4];
	/* 24-bit two's complement */
	rb->lost = (l & 0x800000) ? (int32_t)l - 0x1000000 : (int32_t)l;
	rb->ext_max_seq = get32(p + 8);
	rb->jitter = get32(p + 12);
	rb->lsr = get32(p + 16);
	rb->dlsr = get32(p + 20);
}

/* Chunks of an SDES body: each an SSRC, items, a null octet and zeros to
 * the next 32-bit boundary (the body starts aligned). */
static int check_sdes(const uint8_t *p, size_t len, unsigned count, uint32_t *first,
		      const char **reason)
{
	size_t off = 0;

	for (unsigned c = 0; c < count; c++) {
		if (len - off < 4)
			return bad(reason, "SDES chunk beyond the end");
		if (c == 0)
			*first = get32(p + off);
		off += 4;
		for (;;) {
			if (off >= len)
				return bad(reason, "SDES chunk without end");
			if (p[off] == RTCP_SDES_END) {
				off = (off + 4) & ~(size_t)3;
				if (off > len)
					return bad(reason, "SDES padding beyond the end");
				break;
			}
			if (len - off < 2 || p[off + 1] > len - off - 2)
				return bad(reason, "SDES item beyond the end");
			off += 2 + (size_t)p[off + 1];
		}
	}
	return 0;
}

/* The next packet of the compound: 0, ENOENT at the end, EBADMSG (with a
 * reason) when a length lies; the iterator stops at the first error. */
int rtcp_next(struct rtcp_iter *it, struct rtcp_pkt *pkt, const char **reason)
{
	const uint8_t *p;
	size_t rest, plen, end;
	int err;

	if (it->off >= it->len)
		return ENOENT;
	rest = it->len - it->off;
	p = it->p + it->off;
	/* poison first: a failure leaves the iterator at its end */
	it->off = it->len;
	pkt->pt = 0;
	pkt->n_rb = pkt->n_src = 0;
	pkt->ssrc = 0;
	pkt->reason = PL_NULL;
	pkt->body = NULL;
	pkt->body_len = 0;
	if (rest < RTCP_HDR_SIZE)
		return bad(reason, "truncated RTCP header");
	if (p[0] >> 6 != RTP_VERSION)
		return bad(reason, "RTCP version is not 2");
	plen = ((size_t)get16(p + 2) + 1) * 4;
	if (plen > rest)
		return bad(reason, "RTCP length beyond the datagram");
	end = plen;
	if (p[0] & 0x20) {
		size_t n = p[plen - 1];
		if (plen != rest)
			return bad(reason, "RTCP padding before the last packet");
		if (n == 0 || n > plen - RTCP_HDR_SIZE)
			return bad(reason, "RTCP padding larger than the packet");
		end = plen - n;
	}
	pkt->pt = p[1];
	pkt->count = p[0] & 0x1f;
	pkt->raw = p;
	pkt->raw_len = plen;
	pkt->body = p + RTCP_HDR_SIZE;
	pkt->body_len = end - RTCP_HDR_SIZE;

	switch (pkt->pt) {
	case RTCP_SR:
	case RTCP_RR: {
		size_t need = 4 + (pkt->pt == RTCP_SR ? RTCP_SR_INFO_SIZE : 0) +
			      (size_t)pkt->count * RTCP_RB_SIZE;
		const uint8_t *q = pkt->body + 4;
		if (pkt->body_len < need)
			return bad(reason, pkt->pt == RTCP_SR ? "SR shorter than its count"
							      : "RR shorter than its count");
		pkt->ssrc = get32(pkt->body);
		if (pkt->pt == RTCP_SR) {
			pkt->sr.ntp = (uint64_t)get32(q) << 32 | get32(q + 4);
			pkt->sr.rtp_ts = get32(q + 8);
			pkt->sr.pkt_count = get32(q + 12);
			pkt->sr.octet_count = get32(q + 16);
			q += RTCP_SR_INFO_SIZE;
		}
		/* anything after the blocks is a profile extension: ignored */
		for (unsigned i = 0; i < pkt->count; i++, q += RTCP_RB_SIZE)
			get_rb(&pkt->rb[i], q);
		pkt->n_rb = pkt->count;
		break;
	}
	case RTCP_SDES:
		err = check_sdes(pkt->body, pkt->body_len, pkt->count, &pkt->ssrc, reason);
		if (err)
			return err;
		break;
	case RTCP_BYE: {
		size_t off = (size_t)pkt->count * 4;
		if (pkt->body_len < off)
			return bad(reason, "BYE shorter than its count");
		for (unsigned i = 0; i < pkt->count; i++)
			pkt->src[i] = get32(pkt->body + 4 * i);
		pkt->n_src = pkt->count;
		if (pkt->count)
			pkt->ssrc = pkt->src[0];
		if (pkt->body_len > off) {
			size_t n = pkt->body[off];
			if (n > pkt->body_len - off - 1)
				return bad(reason, "BYE reason beyond the end");
			pkt->reason = pl_make((const char *)pkt->body + off + 1, n);
		}
		break;
	}
	case RTCP_APP:
		if (pkt->body_len < 8)
			return bad(reason, "APP shorter than its header");
		pkt->ssrc = get32(pkt->body);
		memcpy(pkt->app_name, pkt->body + 4, 4);
		pkt->body += 8;
		pkt->body_len -= 8;
		break;
	default:
		/* unknown type (RTPFB, PSFB, XR...): the caller skips it; their
		 * first word is the sender's SSRC */
		if (pkt->body_len >= 4)
			pkt->ssrc = get32(pkt->body);
		break;
	}
	it->off = (size_t)(p - it->p) + plen;
	return 0;
}

/* Is the whole compound well formed?  An invalid compound is dropped as a
 * whole (RFC 3550 A.2).  The first packet need not be SR/RR: reduced-size
 * RTCP (RFC 5506) is accepted. */
int rtcp_check(const uint8_t *p, size_t len, const char **reason)
{
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	int err;

	if (len < RTCP_HDR_SIZE)
		return bad(reason, "truncated RTCP header");
	rtcp_iter_init(&it, p, len);
	while ((err = rtcp_next(&it, &pkt, reason)) == 0)
		;
	return err == ENOENT ? 0 : err;
}

void rtcp_sdes_iter_init(struct rtcp_sdes_iter *it, const struct rtcp_pkt *pkt)
{
	memset(it, 0, sizeof(*it));
	if (pkt->pt != RTCP_SDES)
		return;
	it->p = pkt->body;
	it->len = pkt->body_len;
	it->chunks_left = pkt->count;
}

/* The next item of a packet rtcp_next() returned; ENOENT at the end.  Bounds
 * are checked again, so a hand-made rtcp_pkt cannot make it overread. */
int rtcp_sdes_next(struct rtcp_sdes_iter *it, struct rtcp_sdes_item *item)
{
	for (;;) {
		if (!it->in_chunk) {
			if (!it->chunks_left || it->len - it->off < 4)
				return ENOENT;
			it->src = get32(it->p + it->off);
			it->off += 4;
			it->in_chunk = true;
		}
		if (it->off >= it->len)
			return ENOENT;
		if (it->p[it->off] == RTCP_SDES_END) {
			it->off = (it->off + 4) & ~(size_t)3;
			if (it->off > it->len)
				it->off = it->len;
			it->in_chunk = false;
			it->chunks_left--;
			continue;
		}
		if (it->len - it->off < 2 || it->p[it->off + 1] > it->len - it->off - 2)
			return ENOENT;
		item->src = it->src;
		item->type = it->p[it->off];
		item->text = pl_make((const char *)it->p + it->off + 2, it->p[it->off + 1]);
		it->off += 2 + (size_t)it->p[it->off + 1];
		return 0;
	}
}

/* ---------- building ---------- */

static void put_hdr(uint8_t *p, unsigned count, uint8_t pt, size_t bytes)
{
	p[0] = (uint8_t)(RTP_VERSION << 6 | (count & 0x1f));
	p[1] = pt;
	put16(p + 2, (uint16_t)(bytes / 4 - 1));
}

static void put_rb(uint8_t *p, const struct rtcp_rb *rb)
{
	int32_t lost = rb->lost;
	uint32_t l;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	l = (uint32_t)lost & 0xffffff;
	put32(p, rb->ssrc);
	p[4] = rb->fraction;
	p[5] = (uint8_t)(l >> 16);
	p[6] = (uint8_t)(l >> 8);
	p[7] = (uint8_t)l;
	put32(p + 8, rb->ext_max_seq);
	put32(p + 12, rb->jitter);
	put32(p + 16, rb->lsr);
	put32(p + 20, rb->dlsr);
}

/* SR (sr given) or RR with n_rb report blocks. */
int rtcp_build_report(uint8_t *dst, size_t size, size_t *off, uint32_t ssrc,
		      const struct rtcp_sr *sr, const struct rtcp_rb *rb, unsigned n_rb)
{
	size_t need, o;
	uint8_t *p;

	if (!dst || !off || *off > size || n_rb > RTCP_MAX_RB || (n_rb && !rb))
		return EINVAL;
	need = RTCP_HDR_SIZE + 4 + (sr ? RTCP_SR_INFO_SIZE : 0) + (size_t)n_rb * RTCP_RB_SIZE;
	if (need > size - *off)
		return ENOSPC;
	p = dst + *off;
	put_hdr(p, n_rb, sr ? RTCP_SR : RTCP_RR, need);
	put32(p + 4, ssrc);
	o = 8;
	if (sr) {
		put32(p + o, (uint32_t)(sr->ntp >> 32));
		put32(p + o + 4, (uint32_t)sr->ntp);
		put32(p + o + 8, sr->rtp_ts);
		put32(p + o + 12, sr->pkt_count);
		put32(p + o + 16, sr->octet_count);
		o += RTCP_SR_INFO_SIZE;
	}
	for (unsigned i = 0; i < n_rb; i++, o += RTCP_RB_SIZE)
		put_rb(p + o, &rb[i]);
	*off += need;
	return 0;
}

/* SDES with one chunk holding our CNAME. */
int rtcp_build_sdes_cname(uint8_t *dst, size_t size, size_t *off, uint32_t ssrc,
			  const char *cname)
{
	size_t n, need;
	uint8_t *p;

	if (!dst || !off || !cname || *off > size)
		return EINVAL;
	n = strlen(cname);
	if (n > RTCP_MAX_CNAME)
		return EINVAL;
	/* header, SSRC, type, length, text, at least one null octet, aligned */
	need = (RTCP_HDR_SIZE + 4 + 2 + n + 1 + 3) & ~(size_t)3;
	if (need > size - *off)
		return ENOSPC;
	p = dst + *off;
	memset(p, 0, need);
	put_hdr(p, 1, RTCP_SDES, need);
	put32(p + 4, ssrc);
	p[8] = RTCP_SDES_CNAME;
	p[9] = (uint8_t)n;
	memcpy(p + 10, cname, n);
	*off += need;
	return 0;
}

/* BYE for our SSRC, with an optional reason. */
int rtcp_build_bye(uint8_t *dst, size_t size, size_t *off, uint32_t ssrc, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0, need;
	uint8_t *p;

	if (!dst || !off || *off > size || n > 255)
		return EINVAL;
	need = RTCP_HDR_SIZE + 4 + (n ? (1 + n + 3) & ~(size_t)3 : 0);
	if (need > size - *off)
		return ENOSPC;
	p = dst + *off;
	memset(p, 0, need);
	put_hdr(p, 1, RTCP_BYE, need);
	put32(p + 4, ssrc);
	if (n) {
		p[8] = (uint8_t)n;
		memcpy(p + 9, reason, n);
	}
	*off += need;
	return 0;
}

/* ---------- time ---------- */

/* Unix milliseconds to NTP 32.32 (seconds since 1900). */
uint64_t rtcp_ntp_from_ms(uint64_t unix_ms)
{
	uint64_t sec = unix_ms / 1000 + 2208988800u;
	uint64_t frac = ((unix_ms % 1000) << 32) / 1000;
	return sec << 32 | frac;
}

uint32_t rtcp_ts_to_ms(uint32_t ts_units, uint32_t clock_rate)
{
	if (!clock_rate)
		return 0;
	return (uint32_t)(((uint64_t)ts_units * 1000 + clock_rate / 2) / clock_rate);
}

/* Round-trip time from a report block about us (RFC 3550 6.4.1):
 * A - LSR - DLSR, all in 1/65536 s.  ENODATA when the peer had no SR of
 * ours (LSR 0); EPROTO when the numbers cannot be right (A before LSR by
 * more than half the wrap).  A delay slightly under zero (rounding of DLSR)
 * reads as 0. */
int rtcp_rtt_ms(const struct rtcp_rb *rb, uint32_t arrival_mid32, uint32_t *rtt_ms)
{
	uint32_t since;

	if (!rb->lsr)
		return ENODATA;
	since = arrival_mid32 - rb->lsr;
	if (since > 0x7fffffffu)
		return EPROTO;
	if (since <= rb->dlsr) {
		*rtt_ms = 0;
		return 0;
	}
	*rtt_ms = (uint32_t)(((uint64_t)(since - rb->dlsr) * 1000 + 32768) >> 16);
	return 0;
}

/* ---------- reception statistics (RFC 3550 A.1, A.3, A.8) ---------- */

#define SEQ_MOD (1u << 16)

static void init_seq(struct rtcp_rx *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->duplicates = 0;
	s->seen = 1;
	s->received_prior = 0;
	s->expected_prior = 0;
}

/* A new source heard with its first sequence number; it stays on probation
 * until RTCP_MIN_SEQUENTIAL packets arrived in sequence. */
void rtcp_rx_init(struct rtcp_rx *s, uint32_t ssrc, uint16_t seq, uint32_t clock_rate)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->clock_rate = clock_rate;
	init_seq(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = RTCP_MIN_SEQUENTIAL;
}

/* A.1 update_seq(), with the probation test done in 16 bits so it also
 * holds across 65535 -> 0. */
enum rtcp_seq_res rtcp_rx_update_seq(struct rtcp_rx *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return RTCP_SEQ_VALID;
			}
		} else {
			s->probation = RTCP_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return RTCP_SEQ_PROBATION;
	} else if (udelta == 0) {
		s->duplicates++; /* the newest one again */
	} else if (udelta < RTCP_MAX_DROPOUT) {
		/* in order, with a permissible gap */
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
		s->seen = udelta >= 64 ? 1 : s->seen << udelta | 1;
	} else if (udelta <= SEQ_MOD - RTCP_MAX_MISORDER) {
		/* a very large jump: believe it when the next one follows it */
		if (seq == s->bad_seq) {
			init_seq(s, seq);
		} else {
			s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			return RTCP_SEQ_BAD;
		}
	} else {
		/* duplicate or reordered: counted, as the RFC does */
		uint16_t back = (uint16_t)(s->max_seq - seq);
		if (back < 64) {
			if (s->seen & (UINT64_C(1) << back))
				s->duplicates++;
			s->seen |= UINT64_C(1) << back;
		}
	}
	s->received++;
	return RTCP_SEQ_VALID;
}

/* A.8, integer form: arrival_ts is the arrival time in RTP timestamp units
 * (the same clock rate as the stream). */
void rtcp_rx_jitter(struct rtcp_rx *s, uint32_t rtp_ts, uint32_t arrival_ts)
{
	uint32_t transit = arrival_ts - rtp_ts;
	int64_t d, j;

	if (!s->have_transit) {
		s->have_transit = true;
		s->transit = transit;
		return;
	}
	d = (int32_t)(transit - s->transit);
	s->transit = transit;
	if (d < 0)
		d = -d;
	j = (int64_t)s->jitter + d - (((int64_t)s->jitter + 8) >> 4);
	s->jitter = j < 0 ? 0 : j > UINT32_MAX ? UINT32_MAX : (uint32_t)j;
}

uint32_t rtcp_rx_jitter_ts(const struct rtcp_rx *s)
{
	return s->jitter >> 4;
}

/* Remember an SR from this source for the LSR/DLSR of our next report. */
void rtcp_rx_sr(struct rtcp_rx *s, const struct rtcp_sr *sr, uint64_t arrival_ms)
{
	s->lsr = rtcp_ntp_mid32(sr->ntp);
	s->lsr_arrival_ms = arrival_ms;
	s->have_sr = true;
}

/* A.3: packets expected so far (0 while on probation). */
uint32_t rtcp_rx_expected(const struct rtcp_rx *s)
{
	if (s->probation)
		return 0;
	return s->cycles + s->max_seq - s->base_seq + 1;
}

/* A.3: cumulative lost, clamped to the 24 bits a report block holds. */
int32_t rtcp_rx_lost(const struct rtcp_rx *s)
{
	int64_t lost = (int64_t)rtcp_rx_expected(s) - (s->probation ? 0 : s->received);

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

uint32_t rtcp_rx_missing(const struct rtcp_rx *s)
{
	int64_t unique = s->probation ? 0 : (int64_t)s->received - s->duplicates;
	int64_t lost = (int64_t)rtcp_rx_expected(s) - unique;

	return lost > 0 ? (uint32_t)lost : 0;
}

/* Fill a report block about this source and start a new interval. */
void rtcp_rx_report(struct rtcp_rx *s, struct rtcp_rb *rb, uint64_t now_ms)
{
	uint32_t expected = rtcp_rx_expected(s);
	uint32_t received = s->probation ? 0 : s->received;
	uint32_t exp_int = expected - s->expected_prior;
	uint32_t rcv_int = received - s->received_prior;
	int64_t lost_int = (int64_t)exp_int - (int64_t)rcv_int;

	memset(rb, 0, sizeof(*rb));
	rb->ssrc = s->ssrc;
	s->expected_prior = expected;
	s->received_prior = received;
	if (exp_int && lost_int > 0) {
		/* 256 (everything lost) does not fit in 8 bits */
		uint64_t f = ((uint64_t)lost_int << 8) / exp_int;
		rb->fraction = f > 255 ? 255 : (uint8_t)f;
	}
	rb->lost = rtcp_rx_lost(s);
	rb->ext_max_seq = s->probation ? 0 : s->cycles + s->max_seq;
	rb->jitter = rtcp_rx_jitter_ts(s);
	if (s->have_sr) {
		uint64_t d = now_ms > s->lsr_arrival_ms ? now_ms - s->lsr_arrival_ms : 0;
		d = (d << 16) / 1000;
		rb->lsr = s->lsr;
		rb->dlsr = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
}
