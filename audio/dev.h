/* dev.h: an audio device as the engine sees it.
 *
 * A device runs at one sample rate (8000, 16000 or 48000 Hz) in frames of
 * 20 ms (rate / 50 samples, mono int16_t) and owns two SPSC rings:
 *   capture   device -> engine   (the microphone)
 *   playback  engine -> device   (the speaker)
 * The device side produces one capture frame and consumes one playback
 * frame per 20 ms.  A threaded device pops its speaker frame while the
 * engine is still making the next one: its playback ring starts primed
 * with one frame of silence, which is its output latency.  The timer
 * devices run frame_h synchronously and pop the frame it just pushed, in
 * the same period: their playback ring starts empty, no latency added.
 *
 * The contract, the same for every device (timer-paced null and file
 * devices, the PortAudio device's thread):
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
 *  - audio_dev_close may be called from inside frame_h or error_h; the
 *    device is freed when the handler returns.
 *  - A device that stops working (sound card unplugged, sound server gone,
 *    no sound for a while) fails once: error_h runs on the engine thread
 *    with an errno and a sentence for the user (or, with no error_h set,
 *    frame_h runs once more and audio_dev_failed() says so).  After that
 *    neither handler runs again; the rings stay valid until the owner
 *    calls audio_dev_close, which it should do (end or move the call).
 *
 * The timer devices add their period to the previous deadline, so they do
 * not drift; after a stall of the loop they catch up by up to 5 frames,
 * beyond that they skip ahead (counted) instead of bursting.  All of a
 * process's timer devices tick together, on one 20 ms grid. */
#ifndef SIPTERM_AUDIO_DEV_H
#define SIPTERM_AUDIO_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct audio_dev;

typedef void (audio_frame_h)(struct audio_dev *d, void *arg);
/* err: EIO the device failed, ETIMEDOUT it delivered nothing for too long;
 * msg: one sentence for the user, valid until audio_dev_close. */
typedef void (audio_error_h)(struct audio_dev *d, int err, const char *msg, void *arg);

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
/* The sound card through PortAudio (audio/dev-pa.c): one input and one
 * output stream, mono 16-bit, 20 ms frames, moved by one thread of ours.
 * in_name/out_name: NULL for the default devices, else a PortAudio device
 * name, matched exactly or else as a case-insensitive substring ("pulse").
 * rate is tried first, then 48000, 16000 and 8000 Hz: audio_dev_rate()
 * tells which one the card took.  ENODEV with "no sound card found: use
 * --audio null or --audio file" when there is none, ENODEV for a name that
 * matches nothing, ENOTSUP for no usable rate, EIO when PortAudio refuses,
 * EBUSY while a previous device has not let go of PortAudio; err says it
 * in one sentence.  PortAudio is initialised on the first call (or the
 * first audio_pa_devices), quietly: nothing reaches stderr. */
int audio_dev_open_portaudio(struct audio_dev **dp, const char *in_name, const char *out_name,
			     uint32_t rate, audio_frame_h *h, void *arg, char *err, size_t errsz);
void audio_dev_close(struct audio_dev *d);

/* Failure reporting (see above).  Set error_h right after opening; it gets
 * the arg given to the open function. */
void audio_dev_set_error_h(struct audio_dev *d, audio_error_h *eh);
bool audio_dev_failed(const struct audio_dev *d);
const char *audio_dev_error(const struct audio_dev *d);   /* "" while working */

struct ring *audio_dev_capture(const struct audio_dev *d);
struct ring *audio_dev_playback(const struct audio_dev *d);
uint32_t audio_dev_rate(const struct audio_dev *d);
size_t audio_dev_frame_samples(const struct audio_dev *d);
const char *audio_dev_name(const struct audio_dev *d);   /* "null", "file", ... */
/* Frame periods the device has run, and those it skipped after a stall. */
uint64_t audio_dev_frames(const struct audio_dev *d);
uint64_t audio_dev_skipped(const struct audio_dev *d);

/* Everything a device counts, for `stats` and the tests; any thread. */
struct audio_dev_counters {
	uint64_t frames;              /* frame periods run */
	uint64_t skipped;             /* timer devices: periods skipped after a stall */
	uint64_t capture_overruns;    /* capture ring full: the engine fell behind */
	uint64_t playback_underruns;  /* playback ring empty: silence played */
	uint64_t in_overflows;        /* sound card: input lost before we read it */
	uint64_t out_underflows;      /* sound card: output ran dry */
	uint64_t out_dropped;         /* sound card had no room: frame not played */
	uint64_t first_frame_ms;      /* open to first captured frame; 0: none yet */
};
void audio_dev_counters(const struct audio_dev *d, struct audio_dev_counters *c);

/* The sound cards PortAudio sees, for `audio devices`.  Fills up to max
 * entries and sets *n to how many there are (0 without a sound card; that
 * is not an error).  EIO when PortAudio cannot be loaded (src/dl.c: the
 * library is opened at first use) or initialised. */
struct audio_pa_dev {
	char name[128];
	char host_api[32];            /* "ALSA", "JACK Audio Connection Kit", "OSS" */
	int max_in, max_out;          /* channels */
	double default_rate;
	bool default_in, default_out;
};
int audio_pa_devices(struct audio_pa_dev *out, size_t max, size_t *n);
/* At program exit, after closing the devices: wait (at most 3 s) for
 * device threads that a stuck sound card kept.  PortAudio stays loaded
 * (Pa_Terminate would make LeakSanitizer report ALSA plugins' libraries:
 * see audio/dev-pa.c).  Harmless when PortAudio was never used. */
void audio_pa_terminate(void);

#endif
