/* tests/fuzz/fuzz-rtp.c: libFuzzer harness for the RTP side.  Every input
 * goes through rtp_parse (and what parses must build and parse back the
 * same), the compound RTCP walker with its SDES items, the RFC 4733
 * payload parser, the reception statistics, and the telephone-event
 * receiver fed with records cut from the input, which must never report
 * one event twice. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rtp(const uint8_t *data, size_t size)
{
	struct rtp_pkt pkt, again;
	const char *reason = NULL;
	static uint8_t out[70000];
	size_t n;

	if (rtp_parse(&pkt, data, size, &reason) != 0) {
		if (!reason)
			abort(); /* every EBADMSG says why */
		return;
	}
	if (pkt.payload < data || pkt.payload + pkt.payload_len > data + size)
		abort();
	if (pkt.hdr.ext && (pkt.hdr.ext_data < data ||
			    pkt.hdr.ext_data + pkt.hdr.ext_len > data + size))
		abort();
	if (rtp_hdr_size(&pkt.hdr) + pkt.payload_len + pkt.pad_len != size)
		abort();
	/* what we read, we can write and read back */
	if (rtp_build(out, sizeof(out), &n, &pkt.hdr, pkt.payload, pkt.payload_len))
		abort();
	if (n != size - pkt.pad_len || rtp_parse(&again, out, n, NULL))
		abort();
	if (again.hdr.seq != pkt.hdr.seq || again.hdr.ts != pkt.hdr.ts ||
	    again.hdr.ssrc != pkt.hdr.ssrc || again.hdr.pt != pkt.hdr.pt ||
	    again.hdr.marker != pkt.hdr.marker || again.hdr.cc != pkt.hdr.cc ||
	    again.payload_len != pkt.payload_len ||
	    memcmp(again.payload, pkt.payload, pkt.payload_len) ||
	    memcmp(again.hdr.csrc, pkt.hdr.csrc, sizeof(pkt.hdr.csrc)))
		abort();
	/* a smaller buffer is refused, never overrun */
	if (n && rtp_build(out, n - 1, NULL, &pkt.hdr, pkt.payload, pkt.payload_len) != ENOSPC)
		abort();
}

static void check_rtcp(const uint8_t *data, size_t size)
{
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	const char *reason = NULL;
	size_t total = 0;
	int err, ok = rtcp_check(data, size, &reason);

	if (ok && !reason)
		abort();
	rtcp_iter_init(&it, data, size);
	while ((err = rtcp_next(&it, &pkt, NULL)) == 0) {
		struct rtcp_sdes_iter si;
		struct rtcp_sdes_item item;

		if (pkt.raw < data || pkt.raw + pkt.raw_len > data + size)
			abort();
		if (pkt.body_len && (pkt.body < data || pkt.body + pkt.body_len > data + size))
			abort();
		total += pkt.raw_len;
		if (pkt.n_rb > RTCP_MAX_RB || pkt.n_src > RTCP_MAX_RB)
			abort();
		if (pkt.reason.l && ((const uint8_t *)pkt.reason.p < data ||
				     (const uint8_t *)pkt.reason.p + pkt.reason.l > data + size))
			abort();
		rtcp_sdes_iter_init(&si, &pkt);
		while (rtcp_sdes_next(&si, &item) == 0)
			if ((const uint8_t *)item.text.p + item.text.l > data + size)
				abort();
	}
	/* valid compounds are walked to the last byte */
	if (ok == 0 && (err != ENOENT || total != size))
		abort();
}

/* The input as (seq, ts, arrival) triples into the A.1/A.3/A.8 code. */
static void check_stats(const uint8_t *data, size_t size)
{
	struct rtcp_rx s;
	struct rtcp_rb rb;
	uint32_t rtt;

	if (size < 2)
		return;
	rtcp_rx_init(&s, 1, (uint16_t)(data[0] << 8 | data[1]), 8000);
	for (size_t i = 2; i + 6 <= size; i += 6) {
		uint16_t seq = (uint16_t)(data[i] << 8 | data[i + 1]);
		uint32_t ts = (uint32_t)data[i + 2] << 24 | (uint32_t)data[i + 3] << 16;
		uint32_t arr = (uint32_t)data[i + 4] << 20 | (uint32_t)data[i + 5] << 4;
		if (rtcp_rx_update_seq(&s, seq) != RTCP_SEQ_BAD)
			rtcp_rx_jitter(&s, ts, arr);
		if (data[i + 5] == 0x55)
			rtcp_rx_report(&s, &rb, (uint64_t)arr);
	}
	rtcp_rx_report(&s, &rb, 12345);
	if (rb.lost > 0x7fffff || rb.lost < -0x800000)
		abort();
	(void)rtcp_rtt_ms(&rb, 0x12345678, &rtt);
}

struct seen {
	uint32_t ts[DTMF_RX_HISTORY];
	unsigned n;
};

static void seen_h(const struct dtmf_digit *d, void *arg)
{
	struct seen *s = arg;
	unsigned k = s->n < DTMF_RX_HISTORY ? s->n : DTMF_RX_HISTORY;

	if (d->event > DTMF_MAX_EVENT || d->digit == '?')
		abort();
	/* exactly once: not among the last reports the receiver remembers */
	for (unsigned i = 0; i < k; i++)
		if (s->ts[i] == d->ts)
			abort();
	s->ts[s->n % DTMF_RX_HISTORY] = d->ts;
	s->n++;
}

/* Records of 9 bytes: a 1-byte timestamp selector (few distinct events, so
 * they repeat), 4 payload bytes, 1 clock step, 3 bytes ignored. */
static void check_dtmf(const uint8_t *data, size_t size)
{
	struct dtmf_payload d;
	struct dtmf_rx rx;
	struct seen s = { { 0 }, 0 };
	uint64_t now = 0;

	(void)dtmf_parse(&d, data, size);
	dtmf_rx_init(&rx, 8000, seen_h, &s);
	for (size_t i = 0; i + 9 <= size; i += 9) {
		uint32_t ts = (uint32_t)(data[i] & 0x0f) * 1000u + ((data[i] & 0x80) ? 0xfffff000u : 0);
		now += data[i + 5] * 10u;
		(void)dtmf_rx_input(&rx, ts, data + i + 1, 4, now);
		if (data[i + 6] == 0xff)
			dtmf_rx_timeout(&rx, now);
	}
	dtmf_rx_flush(&rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_rtp(data, size);
	check_rtcp(data, size);
	check_stats(data, size);
	check_dtmf(data, size);
	return 0;
}
