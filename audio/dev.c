/* dev.c: the part of an audio device every kind shares: the two rings, the
 * accessors, and closing safely from inside the frame handler. */
#include <errno.h>
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
	err = ring_alloc(&d->capture, d->frame_samples, AUDIO_DEV_RING_FRAMES);
	if (err)
		return err;
	err = ring_alloc(&d->playback, d->frame_samples, AUDIO_DEV_RING_FRAMES);
	if (err) {
		ring_free(d->capture);
		d->capture = NULL;
		return err;
	}
	/* one frame of output latency: the device pops before the engine pushes */
	ring_push(d->playback, silence);
	return 0;
}

void audio_dev_destroy(struct audio_dev *d)
{
	ring_free(d->capture);
	ring_free(d->playback);
	free(d);
}

bool audio_dev_notify(struct audio_dev *d)
{
	if (!d->frame_h)
		return false;
	d->in_handler = true;
	d->frame_h(d, d->arg);
	d->in_handler = false;
	if (d->closing) {
		audio_dev_destroy(d);
		return true;
	}
	return false;
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
