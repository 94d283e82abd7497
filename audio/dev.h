/* dev.h: an audio device as the engine sees it.
 *
 * A device runs at one sample rate (8000, 16000 or 48000 Hz) in frames of
 * 20 ms (rate / 50 samples, mono int16_t) and owns two SPSC rings:
 *   capture   device -> engine   (the microphone)
 *   playback  engine -> device   (the speaker)
 * The device side produces one capture frame and consumes one playback
 * frame per 20 ms; the playback ring starts primed with one frame of
 * silence, which is the device's output latency.
 *
 * The contract, the same for every device (timer-paced null and file
 * devices now, a PortAudio thread later):
 *  - frame_h runs on the engine thread, never on a device thread.  For the
 *    timer devices it is called from the loop's timer; a threaded device
 *    pushes and pops in its own thread, calls loop_wakeup(), and the loop's
 *    wake handler calls frame_h.  Wakeups coalesce, so one call may stand
 *    for several frames.
 *  - In frame_h the engine drains the capture ring (ring_trypop until
 *    ENODATA) and pushes exactly one playback frame per capture frame it
 *    took (silence if it has nothing to play).  Doing so keeps the playback
 *    ring at its priming level; falling behind shows up as capture
 *    overruns, not pushing as playback underruns (ring_overruns,
 *    ring_underruns).
 *  - audio_dev_close may be called from inside frame_h; the device is freed
 *    when the handler returns.
 *
 * The timer devices add their period to the previous deadline, so they do
 * not drift; after a stall of the loop they catch up by up to 5 frames,
 * beyond that they skip ahead (counted) instead of bursting. */
#ifndef SIPTERM_AUDIO_DEV_H
#define SIPTERM_AUDIO_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct audio_dev;

typedef void (audio_frame_h)(struct audio_dev *d, void *arg);

#define AUDIO_DEV_PTIME_MS 20
#define AUDIO_DEV_RING_FRAMES 16   /* 320 ms each way */

/* Silence as the microphone; the speaker's frames are discarded.
 * EINVAL for an unsupported rate. */
int audio_dev_open_null(struct audio_dev **dp, uint32_t rate, audio_frame_h *h, void *arg);
/* play: a WAV file as the microphone, looped and resampled to rate (NULL:
 * silence).  record: a WAV file (mono, at rate) that receives the speaker's
 * frames (NULL: discarded).  Errors name the file: ENOENT/EACCES/... it
 * cannot be opened, EBADMSG it is not a valid WAV or is truncated, ENOTSUP
 * an unsupported WAV, ENODATA it holds no audio.  EINVAL for a bad rate. */
int audio_dev_open_file(struct audio_dev **dp, const char *play, const char *record,
			uint32_t rate, audio_frame_h *h, void *arg, char *err, size_t errsz);
void audio_dev_close(struct audio_dev *d);

struct ring *audio_dev_capture(const struct audio_dev *d);
struct ring *audio_dev_playback(const struct audio_dev *d);
uint32_t audio_dev_rate(const struct audio_dev *d);
size_t audio_dev_frame_samples(const struct audio_dev *d);
const char *audio_dev_name(const struct audio_dev *d);   /* "null", "file", ... */
/* Frame periods the device has run, and those it skipped after a stall. */
uint64_t audio_dev_frames(const struct audio_dev *d);
uint64_t audio_dev_skipped(const struct audio_dev *d);

#endif
