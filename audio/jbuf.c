/* jbuf.c: adaptive jitter buffer.  speexdsp decides when to play what and
 * how much delay to keep; this file adds what it lacks: duplicate detection
 * by sequence number, a strict "late means dropped" rule, a fixed payload
 * pool (speexdsp's own copy mode mallocs per packet; with a destroy callback
 * it stores our pointers instead), and statistics.
 *
 * Invariants that keep speexdsp on its well-trodden path (and silent: its
 * warnings go to stderr):
 *  - every stored packet spans one frame and lies on the stream's timestamp
 *    grid, so its play pointer, which moves in whole frames, never lands
 *    inside a packet (no negative start offsets, no "negative buffering");
 *  - a late packet is given to speexdsp only for its timing statistics,
 *    with a marker instead of a slot: being wholly before the play pointer
 *    it can never be returned, and if stored it is destroyed unplayed;
 *  - after JBUF_MAX_MISS empty periods the buffer restarts itself, before
 *    speexdsp's own silent reset (more than 20 misses) could happen;
 *  - nothing is held more than JBUF_MAX_AHEAD_MS ahead of the play
 *    position.  speexdsp clamps the arrival timings it learns from (to
 *    0.68 s at 48 kHz) and never shrinks below a clamped one, so a backlog
 *    that no jitter explains (a sound card that took seconds to start
 *    while RTP came in, a stalled engine) would stay for the whole call,
 *    and fill the pool.  It is dropped instead: play resyncs on the next
 *    packet to arrive. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <speex/speex_jitter.h>

#include "jbuf.h"
#include "xmalloc.h"

#define JBUF_SLOTS 100         /* 2 s of 20 ms packets */
#define JBUF_SEQ_WIN 1024      /* sequence numbers remembered for duplicates */
#define JBUF_MAX_MISS 20       /* empty periods before a restart */
#define JBUF_MAX_OFFGRID 3     /* off-grid packets in a row before a restart */
#define JBUF_MAX_AHEAD_MS 1000 /* a longer backlog is dropped */

#define LT32(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define GT32(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)

struct jslot {
	struct jbuf *j;
	struct jslot *next;    /* free list */
	bool held;             /* speexdsp holds it: ts and len are valid */
	uint32_t ts;
	uint32_t len;
	_Alignas(16) uint8_t data[];
};

struct jbuf {
	JitterBuffer *jb;
	uint32_t rate;
	uint32_t span;         /* one frame in timestamp units */
	size_t max_payload;

	uint8_t *pool;
	size_t stride;
	struct jslot *free_slots;
	unsigned used;
	bool flushing;         /* slots coming back from a reset are not drops */

	/* the current stream */
	bool synced;           /* speexdsp has picked its first packet */
	bool have_grid;
	uint32_t grid;
	bool have_hi;
	uint32_t hi_ts;        /* newest timestamp accepted */
	uint32_t next_ts;      /* play position: earlier timestamps are late */
	unsigned miss_run;
	unsigned offgrid_run;
	bool seq_init;
	uint16_t max_seq;
	uint64_t seen[JBUF_SEQ_WIN / 64];
	bool have_transit;
	uint32_t transit;
	uint32_t jitter_q4;    /* RFC 3550 J, timestamp units, times 16 */

	struct jbuf_stats st;
};

/* Marks a late packet inside speexdsp: it owns no slot. */
static char late_mark[1];

static struct jslot *slot_of(void *data)
{
	return (struct jslot *)((char *)data - offsetof(struct jslot, data));
}

static void slot_put(struct jbuf *j, struct jslot *s)
{
	s->held = false;
	s->next = j->free_slots;
	j->free_slots = s;
	j->used--;
}

/* speexdsp discards a packet it will not play. */
static void slot_destroy(void *data)
{
	struct jslot *s;

	if (data == late_mark)
		return;
	s = slot_of(data);
	if (!s->j->flushing)
		s->j->st.dropped++;
	slot_put(s->j, s);
}

int jbuf_alloc(struct jbuf **jp, uint32_t clock_rate, uint32_t ptime_ms, size_t max_payload)
{
	struct jbuf *j;
	uint64_t span = (uint64_t)clock_rate * ptime_ms / 1000;
	spx_int32_t v;

	if (!jp || !clock_rate || !ptime_ms || !max_payload || max_payload > 65536 ||
	    span == 0 || span > 65536)
		return EINVAL;
	j = xcalloc(1, sizeof(*j));
	j->rate = clock_rate;
	j->span = (uint32_t)span;
	j->max_payload = max_payload;
	j->stride = (sizeof(struct jslot) + max_payload + 15) & ~(size_t)15;
	j->pool = xcalloc(JBUF_SLOTS, j->stride);
	for (size_t i = JBUF_SLOTS; i-- > 0;) {
		struct jslot *s = (struct jslot *)(j->pool + i * j->stride);
		s->j = j;
		s->next = j->free_slots;
		j->free_slots = s;
	}
	j->jb = jitter_buffer_init((int)j->span);
	if (!j->jb) {
		free(j->pool);
		free(j);
		return ENOMEM;
	}
	jitter_buffer_ctl(j->jb, JITTER_BUFFER_SET_DESTROY_CALLBACK, (void *)slot_destroy);
	v = (spx_int32_t)j->span;
	jitter_buffer_ctl(j->jb, JITTER_BUFFER_SET_DELAY_STEP, &v);
	jitter_buffer_ctl(j->jb, JITTER_BUFFER_SET_CONCEALMENT_SIZE, &v);
	*jp = j;
	return 0;
}

void jbuf_free(struct jbuf *j)
{
	if (!j)
		return;
	j->flushing = true;
	jitter_buffer_destroy(j->jb);
	free(j->pool);
	free(j);
}

/* Start over on a new stream: empty speexdsp, forget grid and sequence. */
static void restart(struct jbuf *j)
{
	j->flushing = true;
	jitter_buffer_reset(j->jb);
	j->flushing = false;
	j->synced = false;
	j->have_grid = false;
	j->have_hi = false;
	j->miss_run = 0;
	j->offgrid_run = 0;
	j->seq_init = false;
	memset(j->seen, 0, sizeof(j->seen));
}

void jbuf_reset(struct jbuf *j)
{
	restart(j);
	j->have_transit = false;
	j->jitter_q4 = 0;
}

void jbuf_set_margin(struct jbuf *j, uint32_t ms)
{
	spx_int32_t v = (spx_int32_t)((uint64_t)ms * j->rate / 1000);
	jitter_buffer_ctl(j->jb, JITTER_BUFFER_SET_MARGIN, &v);
}

static bool seen_test_set(struct jbuf *j, uint16_t seq)
{
	uint64_t *w = &j->seen[(seq % JBUF_SEQ_WIN) / 64];
	uint64_t bit = (uint64_t)1 << (seq % 64);
	bool was = (*w & bit) != 0;
	*w |= bit;
	return was;
}

/* True when seq was seen before; remembers it otherwise.  A sequence number
 * older than the window is not judged here (the late rule catches it). */
static bool duplicate(struct jbuf *j, uint16_t seq)
{
	int16_t d;

	if (!j->seq_init) {
		j->seq_init = true;
		j->max_seq = seq;
		memset(j->seen, 0, sizeof(j->seen));
		return seen_test_set(j, seq);
	}
	d = (int16_t)(uint16_t)(seq - j->max_seq);
	if (d > 0) {
		if (d >= JBUF_SEQ_WIN) {
			memset(j->seen, 0, sizeof(j->seen));
		} else {
			for (uint16_t s = (uint16_t)(j->max_seq + 1); s != seq; s++)
				j->seen[(s % JBUF_SEQ_WIN) / 64] &= ~((uint64_t)1 << (s % 64));
			j->seen[(seq % JBUF_SEQ_WIN) / 64] &= ~((uint64_t)1 << (seq % 64));
		}
		j->max_seq = seq;
		return seen_test_set(j, seq);
	}
	if (-d >= JBUF_SEQ_WIN)
		return false;
	return seen_test_set(j, seq);
}

/* RFC 3550 A.8: J += (|D| - J) / 16, kept times 16. */
static void update_jitter(struct jbuf *j, uint32_t ts, uint64_t arrival_ms)
{
	uint32_t arrival = (uint32_t)(arrival_ms * j->rate / 1000);
	uint32_t transit = arrival - ts;

	if (j->have_transit) {
		int32_t d = (int32_t)(transit - j->transit);
		uint32_t ad = d < 0 ? (uint32_t)-(int64_t)d : (uint32_t)d;
		if (ad > 0x7ffffff)
			ad = 0x7ffffff; /* a clock jump, not jitter */
		j->jitter_q4 += ad - ((j->jitter_q4 + 8) >> 4);
	}
	j->transit = transit;
	j->have_transit = true;
}

int jbuf_put(struct jbuf *j, uint32_t ts, uint16_t seq, const uint8_t *payload, size_t len,
	     uint64_t arrival_ms)
{
	JitterBufferPacket p;
	struct jslot *s;
	bool late;

	j->st.put++;
	if (len > j->max_payload) {
		j->st.dropped++;
		return EMSGSIZE;
	}
	if (duplicate(j, seq)) {
		j->st.dup++;
		return EALREADY;
	}
	update_jitter(j, ts, arrival_ms);

	if (!j->have_grid) {
		j->have_grid = true;
		j->grid = ts;
	} else if ((int32_t)(ts - j->grid) % (int32_t)j->span != 0) {
		if (++j->offgrid_run < JBUF_MAX_OFFGRID) {
			j->st.dropped++;
			return EPROTO;
		}
		/* the stream moved to another grid: follow it */
		restart(j);
		j->st.resets++;
		j->have_grid = true;
		j->grid = ts;
		(void)duplicate(j, seq);
	}
	j->offgrid_run = 0;

	memset(&p, 0, sizeof(p));
	p.timestamp = ts;
	p.span = j->span;
	p.sequence = seq;

	late = j->synced && LT32(ts, j->next_ts);
	if (late) {
		/* on the grid, so wholly before the play position: timing only */
		j->st.late++;
		p.data = late_mark;
		p.len = 0;
		jitter_buffer_put(j->jb, &p);
		return ETIMEDOUT;
	}
	s = j->free_slots;
	if (!s) {
		j->st.dropped++;
		return ENOSPC;
	}
	j->free_slots = s->next;
	j->used++;
	if (len)
		memcpy(s->data, payload, len);
	s->held = true;
	s->ts = ts;
	s->len = (uint32_t)len;
	p.data = (char *)s->data;
	p.len = (spx_uint32_t)len;
	/* not late: speexdsp stores it (it owns the slot until get or destroy) */
	jitter_buffer_put(j->jb, &p);
	if (!j->have_hi || GT32(ts, j->hi_ts)) {
		j->hi_ts = ts;
		j->have_hi = true;
	}
	return 0;
}

int jbuf_get(struct jbuf *j, uint8_t *out, size_t *len)
{
	uint32_t ts;
	int err = jbuf_get_ts(j, out, len, &ts);

	return err == EAGAIN ? ENODATA : err;
}

/* The oldest packet held (the one speexdsp syncs on); false when none. */
static bool oldest_held(const struct jbuf *j, uint32_t *ts)
{
	bool found = false;

	for (size_t i = 0; i < JBUF_SLOTS; i++) {
		const struct jslot *s = (const struct jslot *)(j->pool + i * j->stride);
		if (s->held && (!found || LT32(s->ts, *ts))) {
			*ts = s->ts;
			found = true;
		}
	}
	return found;
}

/* A backlog no jitter explains (see the top): everything held goes,
 * counted as dropped, and play resyncs on the next packet.  The grid, the
 * sequence window and the jitter estimate stay: it is the same stream. */
static bool skip_backlog(struct jbuf *j)
{
	uint32_t from = j->next_ts;
	uint32_t max = (uint32_t)((uint64_t)JBUF_MAX_AHEAD_MS * j->rate / 1000);

	if (!j->have_hi || !j->used || (!j->synced && !oldest_held(j, &from)) ||
	    !GT32(j->hi_ts + j->span - from, max))
		return false;
	jitter_buffer_reset(j->jb); /* slot_destroy counts each one dropped */
	j->synced = false;
	j->miss_run = 0;
	return true;
}

int jbuf_get_ts(struct jbuf *j, uint8_t *out, size_t *len, uint32_t *ts)
{
	JitterBufferPacket p;
	spx_int32_t off = 0;
	uint32_t play, after;
	int r, err;

	if (skip_backlog(j)) {
		*ts = j->next_ts;
		return EAGAIN; /* a gap to resync in: silence */
	}
	if (!j->synced) {
		if (j->used == 0) {
			*ts = 0;
			return EAGAIN; /* nothing received yet: silence, not loss */
		}
		j->synced = true;
	}
	memset(&p, 0, sizeof(p));
	r = jitter_buffer_get(j->jb, &p, (spx_int32_t)j->span, &off);
	play = (uint32_t)jitter_buffer_get_pointer_timestamp(j->jb);
	if (r == JITTER_BUFFER_OK && p.data && p.data != late_mark) {
		struct jslot *s = slot_of(p.data);
		if (p.len <= *len) {
			memcpy(out, s->data, p.len);
			*len = p.len;
			j->st.got++;
			err = 0;
		} else {
			j->st.dropped++;
			err = ENOSPC;
		}
		slot_put(j, s);
		j->miss_run = 0;
	} else if (r == JITTER_BUFFER_INSERTION) {
		j->st.inserted++;
		j->miss_run++;
		err = EAGAIN;
	} else {
		j->st.lost++;
		j->miss_run++;
		err = ENODATA;
	}
	/* speexdsp reports the frame's timestamp: the packet's, or the
	 * play position it found empty */
	*ts = (uint32_t)p.timestamp;
	jitter_buffer_tick(j->jb);
	/* a pending insertion moves the pointer back until the next get;
	 * a shrink moves it forward now: late is before the later of the two */
	after = (uint32_t)jitter_buffer_get_pointer_timestamp(j->jb);
	j->next_ts = GT32(after, play) ? after : play;
	if (j->miss_run >= JBUF_MAX_MISS) {
		/* the stream stopped (hold, a dead peer) or jumped: resync on the
		 * next packet instead of concealing forever */
		restart(j);
		j->st.resets++;
	}
	return err;
}

void jbuf_stats(const struct jbuf *j, struct jbuf_stats *st)
{
	*st = j->st;
	st->packets = j->used;
	st->playing = j->synced;
	st->delay_ms = 0;
	if (j->synced && j->have_hi && GT32(j->hi_ts + j->span, j->next_ts))
		st->delay_ms = (uint32_t)((uint64_t)(j->hi_ts + j->span - j->next_ts) * 1000 / j->rate);
	st->jitter_ms = (uint32_t)((uint64_t)(j->jitter_q4 >> 4) * 1000 / j->rate);
}

int jbuf_peek(const struct jbuf *j, uint32_t ts, uint8_t *out, size_t *len)
{
	for (size_t i = 0; i < JBUF_SLOTS; i++) {
		const struct jslot *s = (const struct jslot *)(j->pool + i * j->stride);
		if (!s->held || s->ts != ts)
			continue;
		if (s->len > *len)
			return ENOSPC;
		if (s->len)
			memcpy(out, s->data, s->len);
		*len = s->len;
		return 0;
	}
	return ENOENT;
}
