/* dev-file.c: the timer-paced devices.  "null" is silence in and a sink
 * out; "file" plays a WAV file as the microphone (looped, resampled with
 * speexdsp when its rate is not the device's) and records the speaker into
 * a WAV file.  Both run on the engine thread from a loop timer: each period
 * pushes one capture frame, calls frame_h and pops the playback frame
 * frame_h pushed, the steps a PortAudio callback takes in its own thread,
 * less its output latency: frame_h runs synchronously here, so the speaker
 * frame is taken the moment it is made (the playback ring is not primed).
 *
 * Every timer device of the process ticks on one 20 ms grid (its phase set
 * by the first device opened), so N calls cost one loop wakeup per period,
 * not N (the select() round and the timer heap are per wakeup).  File
 * reads are buffered by the WAV reader; writes happen here, on the engine
 * thread, a few hundred bytes at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <speex/speex_resampler.h>

#include "dev-int.h"
#include "log.h"
#include "rand.h"
#include "tmr.h"
#include "wav.h"
#include "xmalloc.h"

#define LOG_MOD "audio"
#define MAX_CATCHUP 5 /* frames produced in one go after a stall */

struct file_dev {
	struct audio_dev d;     /* first: audio_dev_destroy frees the whole */
	struct tmr tmr;
	uint64_t due;           /* deadline of the next frame */

	struct wav_reader *play;
	char *play_path;
	SpeexResamplerState *rs;
	int16_t *in;            /* file-rate samples for the resampler */
	size_t in_cap, in_len, in_off;

	struct wav_writer *rec;
	char *rec_path;

	int16_t *frame;         /* scratch: one device frame */
};

static void file_stop(struct audio_dev *d);

/* The process's frame grid: every timer device's deadlines are this phase
 * plus a multiple of the period, so calls opened at any moment share their
 * wakeups (a skip after a stall keeps the phase too).  The phase is drawn
 * at random once: two processes that open their devices at the same
 * moment -- the two ends of a call on one host -- would otherwise tick in
 * lockstep, and each one's packet would reach the other just after its
 * tick and wait a whole period there, both ways. */
static bool grid_set;
static uint64_t grid_phase;

/* The first deadline on the grid after now. */
static uint64_t grid_next(uint64_t now)
{
	if (!grid_set) {
		unsigned r = 0;
		if (rand_fill(&r, sizeof(r)))
			r = (unsigned)now; /* no randomness at all: any phase will do */
		grid_set = true;
		grid_phase = r % AUDIO_DEV_PTIME_MS;
	}
	return now - (now + AUDIO_DEV_PTIME_MS - grid_phase) % AUDIO_DEV_PTIME_MS +
	       AUDIO_DEV_PTIME_MS;
}

static const struct audio_dev_ops null_ops = { "null", file_stop };
static const struct audio_dev_ops file_ops = { "file", file_stop };

static void play_failed(struct file_dev *f, int e)
{
	log_e("play %s: %s; the microphone is silent from now on", f->play_path, strerror(e));
	wav_reader_close(f->play);
	f->play = NULL;
}

/* n samples at the file's rate, wrapping to the start at the end. */
static int read_looped(struct file_dev *f, int16_t *out, size_t n)
{
	size_t have = 0;
	bool rewound = false;

	while (have < n) {
		size_t got = 0;
		int e = wav_read(f->play, out + have, n - have, &got);
		if (e)
			return e;
		if (got == 0) {
			if (rewound)
				return EIO; /* the file lost its samples under us */
			wav_rewind(f->play);
			rewound = true;
			continue;
		}
		rewound = false;
		have += got;
	}
	return 0;
}

/* One capture frame from the file, at the device's rate. */
static int play_frame(struct file_dev *f, int16_t *out, size_t n)
{
	size_t have = 0;

	if (!f->rs)
		return read_looped(f, out, n);
	while (have < n) {
		spx_uint32_t il, ol;
		if (f->in_off == f->in_len) {
			int e = read_looped(f, f->in, f->in_cap);
			if (e)
				return e;
			f->in_len = f->in_cap;
			f->in_off = 0;
		}
		il = (spx_uint32_t)(f->in_len - f->in_off);
		ol = (spx_uint32_t)(n - have);
		speex_resampler_process_int(f->rs, 0, f->in + f->in_off, &il, out + have, &ol);
		if (il == 0 && ol == 0)
			return EIO; /* cannot happen with input left; do not spin */
		f->in_off += il;
		have += ol;
	}
	return 0;
}

/* The microphone's half of a frame period. */
static void frame_in(struct file_dev *f)
{
	int16_t *buf = f->frame;
	size_t n = f->d.frame_samples;
	int e;

	if (f->play) {
		e = play_frame(f, buf, n);
		if (e) {
			play_failed(f, e);
			memset(buf, 0, n * sizeof(*buf));
		}
	} else {
		memset(buf, 0, n * sizeof(*buf));
	}
	ring_push(f->d.capture, buf);   /* full: counted as an overrun */
}

/* The speaker's half of a period, after frame_h made its frame. */
static void frame_out(struct file_dev *f)
{
	int16_t *buf = f->frame;
	size_t n = f->d.frame_samples;
	int e;

	ring_pop(f->d.playback, buf);   /* empty: silence, counted as an underrun */
	if (f->rec) {
		e = wav_write(f->rec, buf, n);
		if (e) {
			log_e("record %s: %s; recording stopped", f->rec_path, strerror(e));
			wav_writer_close(f->rec);
			f->rec = NULL;
		}
	}
	atomic_fetch_add_explicit(&f->d.frames, 1, memory_order_release);
}

static void tick(void *arg)
{
	struct file_dev *f = arg;
	uint64_t now = tmr_now();
	unsigned n = 0;

	while (f->due <= now) {
		if (n == MAX_CATCHUP) {
			/* a long stall: skip ahead rather than burst */
			uint64_t k = (now - f->due) / AUDIO_DEV_PTIME_MS + 1;
			f->due += k * AUDIO_DEV_PTIME_MS;
			atomic_fetch_add_explicit(&f->d.skipped, k, memory_order_relaxed);
			break;
		}
		frame_in(f);
		f->due += AUDIO_DEV_PTIME_MS;
		n++;
		if (audio_dev_notify(&f->d))
			return; /* closed inside frame_h: f is gone */
		frame_out(f);
	}
	tmr_start_at(&f->tmr, f->due, tick, f);
}

static void file_stop(struct audio_dev *d)
{
	struct file_dev *f = (struct file_dev *)d;
	int e;

	tmr_cancel(&f->tmr);
	if (f->rec) {
		e = wav_writer_close(f->rec);
		if (e)
			log_e("record %s: %s", f->rec_path, strerror(e));
		f->rec = NULL;
	}
	wav_reader_close(f->play);
	f->play = NULL;
	if (f->rs)
		speex_resampler_destroy(f->rs);
	f->rs = NULL;
	free(f->in);
	f->in = NULL;
	free(f->frame);
	f->frame = NULL;
	free(f->play_path);
	f->play_path = NULL;
	free(f->rec_path);
	f->rec_path = NULL;
}

static int open_dev(struct audio_dev **dp, const struct audio_dev_ops *ops, const char *play,
		    const char *record, uint32_t rate, audio_frame_h *h, void *arg,
		    char *err, size_t errsz)
{
	struct file_dev *f;
	int e;

	if (!dp)
		return EINVAL;
	f = xcalloc(1, sizeof(*f));
	tmr_init(&f->tmr);
	e = audio_dev_setup(&f->d, ops, rate, h, arg);
	if (e) {
		if (err && errsz)
			snprintf(err, errsz, "audio device: unsupported sample rate %u Hz "
				 "(supported: 8000, 16000 and 48000 Hz)", rate);
		free(f);
		return e;
	}
	f->frame = xcalloc(f->d.frame_samples, sizeof(int16_t));

	if (play) {
		uint32_t frate;
		e = wav_reader_open(&f->play, play, err, errsz);
		if (e)
			goto out;
		if (wav_reader_frames(f->play) == 0) {
			if (err && errsz)
				snprintf(err, errsz, "%s: the WAV file holds no audio", play);
			e = ENODATA;
			goto out;
		}
		f->play_path = xstrdup(play);
		frate = wav_reader_rate(f->play);
		if (frate != rate) {
			int re = 0;
			f->rs = speex_resampler_init(1, frate, rate, SPEEX_RESAMPLER_QUALITY_DEFAULT, &re);
			if (!f->rs) {
				if (err && errsz)
					snprintf(err, errsz, "%s: cannot resample %u Hz to %u Hz: %s",
						 play, frate, rate, speex_resampler_strerror(re));
				e = EINVAL;
				goto out;
			}
			/* drop the filter's leading delay: sound starts at once */
			speex_resampler_skip_zeros(f->rs);
			f->in_cap = frate * AUDIO_DEV_PTIME_MS / 1000;
			f->in = xcalloc(f->in_cap, sizeof(int16_t));
		}
	}
	if (record) {
		e = wav_writer_open(&f->rec, record, rate, err, errsz);
		if (e)
			goto out;
		f->rec_path = xstrdup(record);
	}

	/* no output latency (see above): drop the frame audio_dev_setup
	 * primed the playback ring with */
	ring_flush(f->d.playback);
	f->due = grid_next(tmr_now());
	tmr_start_at(&f->tmr, f->due, tick, f);
	*dp = &f->d;
	return 0;
out:
	file_stop(&f->d);
	audio_dev_destroy(&f->d);
	return e;
}

int audio_dev_open_null(struct audio_dev **dp, uint32_t rate, audio_frame_h *h, void *arg)
{
	return open_dev(dp, &null_ops, NULL, NULL, rate, h, arg, NULL, 0);
}

int audio_dev_open_file(struct audio_dev **dp, const char *play, const char *record,
			uint32_t rate, audio_frame_h *h, void *arg, char *err, size_t errsz)
{
	return open_dev(dp, &file_ops, play, record, rate, h, arg, err, errsz);
}
