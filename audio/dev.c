/* dev.c: the part of an audio device every kind shares: the two rings, the
 * accessors, the counters, reporting a failure once, and closing safely
 * from inside the frame or error handler. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dev-int.h"
#include "wav.h"

int audio_dev_setup(struct audio_dev *d, const struct audio_dev_ops *ops, uint32_t rate,
		    audio_frame_h *h, void *arg)
{
	int16_t silence[48000 / 50] = { 0 };
	int err;

	if (!wav_rate_supported(rate))
		return EINVAL;
	d->ops = ops;
	d->rate = rate;
	d->frame_samples = rate * AUDIO_DEV_PTIME_MS / 1000;
	d->frame_h = h;
	d->arg = arg;
	atomic_init(&d->frames, 0);
	atomic_init(&d->skipped, 0);
	atomic_init(&d->in_overflows, 0);
	atomic_init(&d->out_underflows, 0);
	atomic_init(&d->out_dropped, 0);
	atomic_init(&d->first_frame_ms, 0);
	atomic_init(&d->refs, 1);
	err = ring_alloc(&d->capture, d->frame_samples, AUDIO_DEV_RING_FRAMES);
	if (err)
		return err;
	err = ring_alloc(&d->playback, d->frame_samples, AUDIO_DEV_RING_FRAMES);
	if (err) {
		ring_free(d->capture);
		d->capture = NULL;
		return err;
	}
	/* one frame of output latency: a threaded device pops before the
	 * engine pushes (the timer devices flush it: they pop after) */
	ring_push(d->playback, silence);
	return 0;
}

void audio_dev_destroy(struct audio_dev *d)
{
	/* acq_rel: the last holder sees everything the others wrote */
	if (atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) != 1)
		return;
	ring_free(d->capture);
	ring_free(d->playback);
	free(d);
}

void audio_dev_hold(struct audio_dev *d)
{
	atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
}

/* Run one of the owner's handlers, and free the device if it was closed
 * inside (the handler stood on it). */
static bool run_handler(struct audio_dev *d, bool failure)
{
	d->in_handler = true;
	if (failure && d->error_h)
		d->error_h(d, d->error, d->errmsg, d->arg);
	else if (d->frame_h)
		d->frame_h(d, d->arg);
	d->in_handler = false;
	if (d->closing) {
		audio_dev_destroy(d);
		return true;
	}
	return false;
}

bool audio_dev_notify(struct audio_dev *d)
{
	if (!d->frame_h || d->failed)
		return false;
	return run_handler(d, false);
}

bool audio_dev_fail(struct audio_dev *d, int err, const char *msg)
{
	if (d->failed || d->closing)
		return false;
	d->failed = true;
	d->error = err ? err : EIO;
	snprintf(d->errmsg, sizeof(d->errmsg), "%s", msg && *msg ? msg : "the audio device failed");
	return run_handler(d, true);
}

void audio_dev_set_error_h(struct audio_dev *d, audio_error_h *eh)
{
	d->error_h = eh;
}

bool audio_dev_failed(const struct audio_dev *d)
{
	return d->failed;
}

const char *audio_dev_error(const struct audio_dev *d)
{
	return d->failed ? d->errmsg : "";
}

void audio_dev_close(struct audio_dev *d)
{
	if (!d || d->closing)
		return;
	d->ops->stop(d);
	if (d->in_handler) {
		d->closing = true; /* audio_dev_notify frees it on return */
		return;
	}
	audio_dev_destroy(d);
}

struct ring *audio_dev_capture(const struct audio_dev *d)
{
	return d->capture;
}

struct ring *audio_dev_playback(const struct audio_dev *d)
{
	return d->playback;
}

uint32_t audio_dev_rate(const struct audio_dev *d)
{
	return d->rate;
}

size_t audio_dev_frame_samples(const struct audio_dev *d)
{
	return d->frame_samples;
}

const char *audio_dev_name(const struct audio_dev *d)
{
	return d->ops->name;
}

uint64_t audio_dev_frames(const struct audio_dev *d)
{
	return atomic_load_explicit(&d->frames, memory_order_relaxed);
}

uint64_t audio_dev_skipped(const struct audio_dev *d)
{
	return atomic_load_explicit(&d->skipped, memory_order_relaxed);
}

/* The audio thread counts a frame (release) after the ring counted its
 * overrun or underrun, so a frame count that reads the same before and
 * after the other counters brackets a consistent set, one frame at most in
 * flight.  A running device is read again until it is (a preempted reader
 * would otherwise see thousands of overruns of an unclocked card that
 * frames does not hold yet); a few tries, then what was read. */
void audio_dev_counters(const struct audio_dev *d, struct audio_dev_counters *c)
{
	for (int tries = 0; tries < 64; tries++) {
		c->frames = atomic_load_explicit(&d->frames, memory_order_acquire);
		c->skipped = atomic_load_explicit(&d->skipped, memory_order_relaxed);
		c->capture_overruns = ring_overruns(d->capture);
		c->playback_underruns = ring_underruns(d->playback);
		c->in_overflows = atomic_load_explicit(&d->in_overflows, memory_order_relaxed);
		c->out_underflows = atomic_load_explicit(&d->out_underflows, memory_order_relaxed);
		c->out_dropped = atomic_load_explicit(&d->out_dropped, memory_order_relaxed);
		c->first_frame_ms = atomic_load_explicit(&d->first_frame_ms, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&d->frames, memory_order_relaxed) == c->frames)
			break;
	}
}
