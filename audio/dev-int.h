/* dev-int.h: what every audio device shares, for the device files only.
 * A device embeds struct audio_dev as its first member; dev.c allocates the
 * rings and frees them after the device's close operation.  A device with
 * a thread takes a second reference for it (audio_dev_hold), so that a
 * thread stuck in a sound card call can outlive audio_dev_close and free
 * the device itself when it finally returns. */
#ifndef SIPTERM_AUDIO_DEV_INT_H
#define SIPTERM_AUDIO_DEV_INT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "dev.h"

struct audio_dev_ops {
	const char *name;
	/* Stop producing (cancel the timer, join the thread) and release the
	 * device's own resources; not the rings or the struct. */
	void (*stop)(struct audio_dev *d);
};

struct audio_dev {
	const struct audio_dev_ops *ops;
	uint32_t rate;
	size_t frame_samples;
	struct ring *capture;   /* producer: device; consumer: engine */
	struct ring *playback;  /* producer: engine; consumer: device */
	audio_frame_h *frame_h;
	void *arg;
	bool in_handler;        /* frame_h is running */
	bool closing;           /* closed from inside frame_h: free on return */
	atomic_uint_fast64_t frames;
	atomic_uint_fast64_t skipped;
	/* the sound card's own troubles, counted by a device thread */
	atomic_uint_fast64_t in_overflows;
	atomic_uint_fast64_t out_underflows;
	atomic_uint_fast64_t out_dropped;
	atomic_uint_fast64_t first_frame_ms;
	atomic_int refs;        /* the owner's, plus one per device thread */
	/* failure: engine thread only */
	audio_error_h *error_h;
	bool failed;
	int error;
	char errmsg[192];
};

/* Fill the common part (rings, primed playback); EINVAL for a bad rate. */
int audio_dev_setup(struct audio_dev *d, const struct audio_dev_ops *ops, uint32_t rate,
		    audio_frame_h *h, void *arg);
/* Drop a reference; the last one releases the common part and the
 * device's memory (after ops->stop).  Any thread. */
void audio_dev_destroy(struct audio_dev *d);
/* One more reference, for a device thread. */
void audio_dev_hold(struct audio_dev *d);
/* Run frame_h (not after a failure); true when the device was closed
 * inside it (and is gone). */
bool audio_dev_notify(struct audio_dev *d);
/* Engine thread: the device failed.  Records err and msg (once: later calls
 * do nothing) and runs error_h, or frame_h when there is no error_h; true
 * when the device was closed inside it (and is gone). */
bool audio_dev_fail(struct audio_dev *d, int err, const char *msg);

#endif
