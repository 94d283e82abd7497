/* ring.h: a single-producer/single-consumer ring of fixed-size PCM frames,
 * the only thing the audio device thread and the engine share.
 *
 * One thread pushes, one thread pops; each side may be a different thread
 * from the one that allocated the ring.  push and pop are wait-free: no
 * allocation, lock or syscall, C11 acquire/release on two free-running
 * indices kept on separate cache lines.  The capacity is a power of two
 * (rounded up) and every slot is usable.
 *
 * A push on a full ring drops the new frame and counts an overrun; a pop on
 * an empty ring fills the frame with silence and counts an underrun.  The
 * counters are atomics and may be read from any thread. */
#ifndef SIPTERM_AUDIO_RING_H
#define SIPTERM_AUDIO_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring;

/* Frames of frame_samples int16_t; nframes is rounded up to a power of two
 * (at most 65536 frames, frame_samples at most 65536).  EINVAL on 0. */
int ring_alloc(struct ring **rp, size_t frame_samples, size_t nframes);
void ring_free(struct ring *r);

/* Producer side.  0, or ENOSPC when full (frame dropped, overrun counted). */
int ring_push(struct ring *r, const int16_t *frame);

/* Consumer side.  0, or ENODATA when empty: frame is filled with silence and
 * an underrun is counted. */
int ring_pop(struct ring *r, int16_t *frame);
/* Consumer side, for draining: ENODATA when empty, frame untouched, nothing
 * counted. */
int ring_trypop(struct ring *r, int16_t *frame);
/* Consumer side: discard everything queued (e.g. playback on hold). */
void ring_flush(struct ring *r);

/* Any thread; a snapshot that may be stale by the time it is used. */
size_t ring_count(const struct ring *r);
size_t ring_capacity(const struct ring *r);
size_t ring_frame_samples(const struct ring *r);
uint64_t ring_overruns(const struct ring *r);
uint64_t ring_underruns(const struct ring *r);

#endif
