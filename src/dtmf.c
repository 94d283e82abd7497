/* dtmf.c: RFC 4733 telephone-events for the DTMF digits (events 0-15).
 * The sender turns one key press into its packet sequence; the receiver
 * turns a lossy, duplicated, reordered packet stream back into exactly one
 * report per key press.  Neither touches a socket or a clock of its own. */
#include <errno.h>
#include <string.h>

#include "rtp.h"

static const char digits[] = "0123456789*#ABCD";

/* The first event block of a telephone-event payload.  A payload may pack
 * further blocks (RFC 4733 2.5.1.5); only the first is read. */
int dtmf_parse(struct dtmf_payload *d, const uint8_t *p, size_t len)
{
	if (!d || !p || len < DTMF_PAYLOAD_SIZE)
		return EBADMSG;
	d->event = p[0];
	d->end = (p[1] & 0x80) != 0;
	d->volume = p[1] & 0x3f;
	d->duration = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

void dtmf_build(uint8_t out[DTMF_PAYLOAD_SIZE], const struct dtmf_payload *d)
{
	out[0] = d->event;
	out[1] = (uint8_t)((d->end ? 0x80 : 0) | (d->volume & 0x3f));
	out[2] = (uint8_t)(d->duration >> 8);
	out[3] = (uint8_t)d->duration;
}

/* '0'..'9', '*', '#', 'A'..'D' (any case) to 0..15; -1 otherwise. */
int dtmf_event_from_char(char c)
{
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	for (int i = 0; i < 16; i++)
		if (digits[i] == c)
			return i;
	return -1;
}

char dtmf_event_char(uint8_t event)
{
	return event <= DTMF_MAX_EVENT ? digits[event] : '?';
}

/* ---------- sender ---------- */

/* Prepare the packets of one digit pressed for duration_ms, starting at RTP
 * timestamp ts.  The duration is capped to what 16 bits hold. */
int dtmf_tx_start(struct dtmf_tx *tx, uint8_t event, uint32_t ts, uint32_t clock_rate,
		  uint32_t duration_ms, uint8_t volume)
{
	uint64_t total;

	if (!tx || event > DTMF_MAX_EVENT || !clock_rate || !duration_ms || volume > 63)
		return EINVAL;
	total = (uint64_t)duration_ms * clock_rate / 1000;
	if (total > 0xffff)
		total = 0xffff;
	if (!total)
		total = 1;
	memset(tx, 0, sizeof(*tx));
	tx->event = event;
	tx->volume = volume;
	tx->ts = ts;
	tx->rate = clock_rate;
	tx->total = (uint32_t)total;
	tx->n_updates = (duration_ms + DTMF_INTERVAL_MS - 1) / DTMF_INTERVAL_MS;
	return 0;
}

/* The next packet of the sequence; false once all have been produced. */
bool dtmf_tx_next(struct dtmf_tx *tx, struct dtmf_tx_pkt *pkt)
{
	struct dtmf_payload d;
	uint64_t step = (uint64_t)tx->rate * DTMF_INTERVAL_MS / 1000;

	if (tx->i >= tx->n_updates + DTMF_END_REPEAT)
		return false;
	memset(pkt, 0, sizeof(*pkt));
	d.event = tx->event;
	d.volume = tx->volume;
	pkt->ts = tx->ts;
	if (tx->i < tx->n_updates) {
		uint64_t dur = step * (tx->i + 1);
		d.end = false;
		d.duration = (uint16_t)(dur < tx->total ? dur : tx->total);
		pkt->marker = tx->i == 0;
		pkt->offset_ms = tx->i * DTMF_INTERVAL_MS;
	} else {
		d.end = true;
		d.duration = (uint16_t)tx->total;
		pkt->offset_ms = tx->n_updates * DTMF_INTERVAL_MS;
	}
	pkt->end = d.end;
	dtmf_build(pkt->payload, &d);
	tx->i++;
	return true;
}

/* ---------- receiver ---------- */

void dtmf_rx_init(struct dtmf_rx *rx, uint32_t clock_rate, dtmf_rx_h *h, void *arg)
{
	memset(rx, 0, sizeof(*rx));
	rx->rate = clock_rate ? clock_rate : 8000;
	rx->h = h;
	rx->arg = arg;
}

static bool is_done(const struct dtmf_rx *rx, uint32_t ts)
{
	for (unsigned i = 0; i < rx->n_done; i++)
		if (rx->done[i] == ts)
			return true;
	return false;
}

static void mark_done(struct dtmf_rx *rx, uint32_t ts)
{
	rx->done[rx->done_pos] = ts;
	rx->done_pos = (rx->done_pos + 1) % DTMF_RX_HISTORY;
	if (rx->n_done < DTMF_RX_HISTORY)
		rx->n_done++;
}

static void report(struct dtmf_rx *rx, struct dtmf_digit *d, bool ended)
{
	d->ended = ended;
	d->duration_ms = rtcp_ts_to_ms(d->duration, rx->rate);
	mark_done(rx, d->ts);
	if (rx->h)
		rx->h(d, rx->arg);
}

static void report_current(struct dtmf_rx *rx, bool ended)
{
	struct dtmf_digit d = rx->cur;
	rx->active = false;
	report(rx, &d, ended);
}

/* One telephone-event packet (its RTP timestamp and payload).  0 when
 * handled (reported, tracked or ignored as a repeat), EBADMSG for a payload
 * too short, EPROTO for a non-DTMF event (ignored).  The handler may run up
 * to twice: for an event superseded by this packet, then for this one. */
int dtmf_rx_input(struct dtmf_rx *rx, uint32_t ts, const uint8_t *payload, size_t len,
		  uint64_t now_ms)
{
	struct dtmf_payload p;

	if (dtmf_parse(&p, payload, len))
		return EBADMSG;
	if (p.event > DTMF_MAX_EVENT)
		return EPROTO;
	rx->last_ms = now_ms;
	if (is_done(rx, ts))
		return 0;
	if (rx->active && rx->cur.ts == ts) {
		if (p.duration > rx->cur.duration)
			rx->cur.duration = p.duration;
		if (p.end)
			report_current(rx, true);
		return 0;
	}
	if (rx->active) {
		if ((int32_t)(ts - rx->cur.ts) < 0) {
			/* a late packet of an older event we never reported:
			 * only its end is worth a report, the current one goes on */
			if (p.end) {
				struct dtmf_digit d = {
					.event = p.event, .digit = dtmf_event_char(p.event),
					.ts = ts, .duration = p.duration, .volume = p.volume,
				};
				report(rx, &d, true);
			}
			return 0;
		}
		/* a newer event: the current one's end packets were lost */
		report_current(rx, false);
	}
	rx->active = true;
	rx->cur.event = p.event;
	rx->cur.digit = dtmf_event_char(p.event);
	rx->cur.ts = ts;
	rx->cur.duration = p.duration;
	rx->cur.volume = p.volume;
	if (p.end)
		report_current(rx, true);
	return 0;
}

/* Report an event that has gone silent for DTMF_RX_TIMEOUT_MS (all its end
 * packets lost and nothing after it); call it from a timer or per packet. */
void dtmf_rx_timeout(struct dtmf_rx *rx, uint64_t now_ms)
{
	if (rx->active && now_ms >= rx->last_ms + DTMF_RX_TIMEOUT_MS)
		report_current(rx, false);
}

/* Report the event in progress now (call end). */
void dtmf_rx_flush(struct dtmf_rx *rx)
{
	if (rx->active)
		report_current(rx, false);
}
