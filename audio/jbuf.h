/* jbuf.h: the adaptive jitter buffer between RTP reception and playback,
 * over speexdsp's JitterBuffer.
 *
 * The engine puts each received payload with its RTP timestamp and sequence
 * number, and calls jbuf_get exactly once per frame period (ptime_ms, paced
 * by the audio device).  jbuf_get hands out the packet due now, or ENODATA:
 * the caller conceals that frame with the codec's plc.  The buffer delay
 * grows when packets come late and shrinks when they come early (speexdsp's
 * estimate over the last few hundred packets), in whole frames.  A backlog
 * of more than a second (a sound card that started late, a stalled
 * engine) is dropped: play resyncs on the next packet.
 *
 * Rules the buffer enforces:
 *  - a packet whose sequence number was seen before is a duplicate: dropped,
 *    never played twice (a window of the last 1024 sequence numbers);
 *  - a packet whose timestamp is before the play position (its frame was
 *    played or concealed already) is late: dropped and counted, and shown to
 *    speexdsp so the delay adapts;
 *  - every packet spans one frame (ptime_ms); timestamps must lie on the
 *    grid of the first packet (multiples of a frame apart).  A packet off
 *    the grid is dropped; three in a row, or 20 frame periods with nothing
 *    to play, restart the buffer on the new stream (as a new SSRC would).
 *
 * Timestamps are RTP clock units (clock_rate), arrival times milliseconds
 * on any monotonic clock (tmr_now()).  No allocation after jbuf_alloc:
 * payloads live in a fixed pool of slots of max_payload bytes.  Engine
 * thread only. */
#ifndef SIPTERM_AUDIO_JBUF_H
#define SIPTERM_AUDIO_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jbuf;

struct jbuf_stats {
	uint64_t put;         /* jbuf_put calls */
	uint64_t got;         /* packets jbuf_get returned */
	uint64_t lost;        /* frames missing at their play time (concealed);
	                       * includes the <= 20 periods after a stream stops */
	uint64_t inserted;    /* frames added to grow the delay (concealed) */
	uint64_t late;        /* packets that came after their play time (dropped) */
	uint64_t dup;         /* duplicates (dropped) */
	uint64_t dropped;     /* other drops: off the grid, too big, pool full,
	                       * or skipped when the delay shrank or a backlog
	                       * was dropped */
	uint64_t resets;      /* restarts on a new stream */
	uint32_t delay_ms;    /* buffered ahead of the play position now */
	uint32_t jitter_ms;   /* RFC 3550 interarrival jitter estimate */
	unsigned packets;     /* packets held now */
	bool playing;         /* the first packet has been played */
};

/* max_payload: the largest payload accepted (160 for G.711 at 20 ms, 1275
 * for Opus).  EINVAL for a zero or a frame period under 1 clock unit. */
int jbuf_alloc(struct jbuf **jp, uint32_t clock_rate, uint32_t ptime_ms, size_t max_payload);
void jbuf_free(struct jbuf *j);
/* Forget the stream (a new SSRC); statistics are kept. */
void jbuf_reset(struct jbuf *j);
/* Extra delay kept on top of what the jitter needs (default 0). */
void jbuf_set_margin(struct jbuf *j, uint32_t ms);

/* 0 queued; EALREADY duplicate; ETIMEDOUT late; EMSGSIZE larger than
 * max_payload; EPROTO off the timestamp grid; ENOSPC pool full. */
int jbuf_put(struct jbuf *j, uint32_t ts, uint16_t seq, const uint8_t *payload, size_t len,
	     uint64_t arrival_ms);
/* Once per frame period.  0: a payload in out, *len its size (on entry
 * *len is out's size).  ENODATA: nothing to play, conceal this frame.
 * ENOSPC: the due packet did not fit out (dropped; conceal). */
int jbuf_get(struct jbuf *j, uint8_t *out, size_t *len);
/* jbuf_get that also tells which frame it was: *ts is the RTP timestamp
 * of the frame played (0, ENOSPC) or lost (ENODATA).  A period that is
 * not a lost packet -- nothing received yet, or a frame inserted to grow
 * the delay -- is EAGAIN instead of ENODATA (jbuf_get says ENODATA for
 * both): conceal it with plc, there is nothing to recover. */
int jbuf_get_ts(struct jbuf *j, uint8_t *out, size_t *len, uint32_t *ts);
/* Copy the buffered packet with timestamp ts without taking it: it is
 * still played in its turn.  For forward error correction: after jbuf_get_ts
 * reported frame ts lost, the packet at ts + one frame may carry it.
 * 0 (*len as for jbuf_get), ENOENT when no such packet is buffered,
 * ENOSPC when it does not fit out.  A scan of the slot pool (100 slots). */
int jbuf_peek(const struct jbuf *j, uint32_t ts, uint8_t *out, size_t *len);

void jbuf_stats(const struct jbuf *j, struct jbuf_stats *st);

#endif
