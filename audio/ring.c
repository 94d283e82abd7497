/* ring.c: SPSC frame ring.  head and tail run freely (size_t wraps) and are
 * masked into the slot array; head - tail is the fill level.  Each side keeps
 * a cached copy of the other side's index on its own cache line, so the
 * shared line is read only when the ring looks full (producer) or empty
 * (consumer). */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "xmalloc.h"

#define CACHELINE 64
#define RING_MAX_FRAMES 65536u
#define RING_MAX_SAMPLES (16u * 1024 * 1024) /* 32 MB of PCM per ring */

struct ring {
	/* producer's line: head is written only by the producer */
	_Alignas(CACHELINE) atomic_size_t head;
	size_t tail_cache;
	atomic_uint_fast64_t overruns;

	/* consumer's line: tail is written only by the consumer */
	_Alignas(CACHELINE) atomic_size_t tail;
	size_t head_cache;
	atomic_uint_fast64_t underruns;

	/* read-only after ring_alloc */
	_Alignas(CACHELINE) size_t mask;
	size_t frame_samples;
	int16_t *slots;
	void *base; /* what xcalloc returned, before alignment */
};

static size_t pow2_ceil(size_t n)
{
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

int ring_alloc(struct ring **rp, size_t frame_samples, size_t nframes)
{
	struct ring *r;
	size_t cap;
	void *base;

	if (!rp || !frame_samples || !nframes || nframes > RING_MAX_FRAMES ||
	    frame_samples > 65536)
		return EINVAL;
	cap = pow2_ceil(nframes);
	if (cap * frame_samples > RING_MAX_SAMPLES)
		return EINVAL;

	/* xcalloc keeps the one out-of-memory policy; align by hand */
	base = xcalloc(1, sizeof(*r) + CACHELINE - 1);
	r = (struct ring *)(((uintptr_t)base + CACHELINE - 1) & ~(uintptr_t)(CACHELINE - 1));
	r->base = base;
	r->mask = cap - 1;
	r->frame_samples = frame_samples;
	r->slots = xcalloc(cap * frame_samples, sizeof(int16_t));
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->overruns, 0);
	atomic_init(&r->underruns, 0);
	r->tail_cache = 0;
	r->head_cache = 0;
	*rp = r;
	return 0;
}

/* Only when neither side can touch the ring any more. */
void ring_free(struct ring *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r->base);
}

int ring_push(struct ring *r, const int16_t *frame)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (h - r->tail_cache > r->mask) {
		/* looks full: see how far the consumer really got */
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h - r->tail_cache > r->mask) {
			atomic_fetch_add_explicit(&r->overruns, 1, memory_order_relaxed);
			return ENOSPC;
		}
	}
	memcpy(r->slots + (h & r->mask) * r->frame_samples, frame,
	       r->frame_samples * sizeof(int16_t));
	/* release: the frame's bytes are visible before the new head */
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 0;
}

static bool take(struct ring *r, int16_t *frame)
{
	size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (t == r->head_cache) {
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (t == r->head_cache)
			return false;
	}
	memcpy(frame, r->slots + (t & r->mask) * r->frame_samples,
	       r->frame_samples * sizeof(int16_t));
	/* release: the slot is read before the producer may reuse it */
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return true;
}

int ring_pop(struct ring *r, int16_t *frame)
{
	if (take(r, frame))
		return 0;
	memset(frame, 0, r->frame_samples * sizeof(int16_t));
	atomic_fetch_add_explicit(&r->underruns, 1, memory_order_relaxed);
	return ENODATA;
}

int ring_trypop(struct ring *r, int16_t *frame)
{
	return take(r, frame) ? 0 : ENODATA;
}

void ring_flush(struct ring *r)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	r->head_cache = h;
	atomic_store_explicit(&r->tail, h, memory_order_release);
}

size_t ring_count(const struct ring *r)
{
	/* tail first: it never passes head, so the difference cannot wrap */
	size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t n = h - t;
	return n > r->mask + 1 ? r->mask + 1 : n;
}

size_t ring_capacity(const struct ring *r)
{
	return r->mask + 1;
}

size_t ring_frame_samples(const struct ring *r)
{
	return r->frame_samples;
}

uint64_t ring_overruns(const struct ring *r)
{
	return atomic_load_explicit(&r->overruns, memory_order_relaxed);
}

uint64_t ring_underruns(const struct ring *r)
{
	return atomic_load_explicit(&r->underruns, memory_order_relaxed);
}
