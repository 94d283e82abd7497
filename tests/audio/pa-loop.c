/* tests/audio/pa-loop.c: the PortAudio device (audio/dev-pa.c) driven by
 * the real engine loop, for tests/audio/pulse.sh.
 *
 *   pa-loop list
 *   pa-loop open [--in NAME] [--out NAME] [--rate HZ]
 *   pa-loop run --seconds S [--in NAME] [--out NAME] [--rate HZ]
 *               [--play REF.wav] [--record CAPTURED.wav]
 *   pa-loop gen OUT.wav SECONDS SEED
 *
 * run opens the device the way the media layer does and, in its frame
 * handler on the engine thread, drains the capture ring into --record and
 * answers each captured frame with one frame of --play (looped) or
 * silence.  A 20 ms loop timer measures how long the engine ever went
 * without running (it must not stall while the device starts slowly).  At
 * the end it closes the device and prints one line of figures:
 *
 *   frames=N steady_fps=F capture_overruns=N playback_underruns=N
 *   in_overflows=N out_underflows=N out_dropped=N first_frame_ms=N rate=N
 *   engine_frames=N max_gap_ms=N failed=0 error=""
 *   close_ms=N
 *
 * When the device fails, the error handler prints the same line with
 * failed=1 and the message, closes the device from inside the handler and
 * the program exits 3.  open failures print the message on stderr once and
 * exit 1.  gen writes a 48 kHz test signal: band-limited noise whose level
 * changes every 150 ms, different for each seed (for cross-correlation). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/dev.h"
#include "audio/ring.h"
#include "audio/wav.h"
#include "loop.h"
#include "tmr.h"

#define MAX_FRAME 960

struct run {
	struct audio_dev *dev;
	struct wav_reader *play;
	struct wav_writer *rec;
	struct tmr tick, end;
	uint64_t t0, last_tick, max_gap;
	uint64_t engine_frames;
	uint64_t frames_at_3s;
	bool have_3s;
	double seconds;
	int16_t pbuf[MAX_FRAME];
};

static void usage(void)
{
	fprintf(stderr, "usage: pa-loop list | open [--in N] [--out N] [--rate HZ] |\n"
		"       run --seconds S [--in N] [--out N] [--rate HZ] [--play F] [--record F] |\n"
		"       gen OUT.wav SECONDS SEED\n");
	exit(2);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int cmd_list(void)
{
	struct audio_pa_dev d[64];
	size_t n = 0;
	int e = audio_pa_devices(d, 64, &n);

	if (e) {
		fprintf(stderr, "pa-loop: cannot list the audio devices: %s\n", strerror(e));
		return 1;
	}
	printf("devices=%zu\n", n);
	for (size_t i = 0; i < n && i < 64; i++)
		printf("%zu\t%s\t%s\tin=%d out=%d rate=%.0f%s%s\n", i, d[i].name, d[i].host_api,
		       d[i].max_in, d[i].max_out, d[i].default_rate,
		       d[i].default_in ? " default-in" : "", d[i].default_out ? " default-out" : "");
	audio_pa_terminate();
	return 0;
}

/* One frame of the reference, looped; silence without one. */
static void next_play(struct run *r, int16_t *out, size_t n)
{
	size_t have = 0, got;

	if (!r->play) {
		memset(out, 0, n * sizeof(*out));
		return;
	}
	while (have < n) {
		if (wav_read(r->play, out + have, n - have, &got) || got == 0) {
			wav_rewind(r->play);
			if (wav_read(r->play, out + have, n - have, &got) || got == 0) {
				memset(out + have, 0, (n - have) * sizeof(*out));
				return;
			}
		}
		have += got;
	}
}

static void print_figures(struct run *r, bool failed, const char *msg)
{
	struct audio_dev_counters c;
	double steady = 0;

	audio_dev_counters(r->dev, &c);
	if (r->have_3s && r->seconds > 3.5)
		steady = (double)(c.frames - r->frames_at_3s) / (r->seconds - 3.0);
	printf("frames=%llu steady_fps=%.1f capture_overruns=%llu playback_underruns=%llu "
	       "in_overflows=%llu out_underflows=%llu out_dropped=%llu first_frame_ms=%llu "
	       "rate=%u engine_frames=%llu max_gap_ms=%llu failed=%d error=\"%s\"\n",
	       (unsigned long long)c.frames, steady, (unsigned long long)c.capture_overruns,
	       (unsigned long long)c.playback_underruns, (unsigned long long)c.in_overflows,
	       (unsigned long long)c.out_underflows, (unsigned long long)c.out_dropped,
	       (unsigned long long)c.first_frame_ms, audio_dev_rate(r->dev),
	       (unsigned long long)r->engine_frames, (unsigned long long)r->max_gap,
	       failed ? 1 : 0, msg ? msg : "");
	fflush(stdout);
}

/* The media layer's part: drain the microphone, answer frame for frame. */
static void on_frame(struct audio_dev *d, void *arg)
{
	struct run *r = arg;
	struct ring *cap = audio_dev_capture(d), *pb = audio_dev_playback(d);
	size_t n = audio_dev_frame_samples(d);
	int16_t in[MAX_FRAME];

	while (ring_trypop(cap, in) == 0) {
		r->engine_frames++;
		if (r->rec && wav_write(r->rec, in, n)) {
			fprintf(stderr, "pa-loop: cannot write the recording\n");
			wav_writer_close(r->rec);
			r->rec = NULL;
		}
		next_play(r, r->pbuf, n);
		ring_push(pb, r->pbuf);
	}
}

/* The device gave up: close it from inside the handler, as media will. */
static void on_error(struct audio_dev *d, int err, const char *msg, void *arg)
{
	struct run *r = arg;
	uint64_t t;

	(void)err;
	print_figures(r, true, msg);
	t = wall_ms();
	audio_dev_close(d);
	printf("closed_in_handler_ms=%llu\n", (unsigned long long)(wall_ms() - t));
	r->dev = NULL;
	loop_stop(3);
}

static void on_tick(void *arg)
{
	struct run *r = arg;
	uint64_t now = wall_ms();

	if (now - r->last_tick > r->max_gap)
		r->max_gap = now - r->last_tick;
	r->last_tick = now;
	if (!r->have_3s && r->dev && now - r->t0 >= 3000) {
		r->frames_at_3s = audio_dev_frames(r->dev);
		r->have_3s = true;
	}
	tmr_start(&r->tick, 20, on_tick, r);
}

static void on_end(void *arg)
{
	(void)arg;
	loop_stop(0);
}

static int open_dev(struct run *r, const char *in, const char *out, uint32_t rate)
{
	char err[256] = "";
	int e = audio_dev_open_portaudio(&r->dev, in, out, rate, on_frame, r, err, sizeof(err));

	if (e) {
		fprintf(stderr, "pa-loop: %s\n", err[0] ? err : strerror(e));
		return 1;
	}
	audio_dev_set_error_h(r->dev, on_error);
	return 0;
}

static int cmd_run(const char *in, const char *out, uint32_t rate, double seconds,
		   const char *play, const char *record, bool just_open)
{
	static struct run r;
	char err[256];
	int code;
	uint64_t t;

	if (loop_init())
		return 1;
	r.seconds = seconds;
	if (open_dev(&r, in, out, rate))
		return 1;
	if (just_open) {
		printf("opened rate=%u\n", audio_dev_rate(r.dev));
		audio_dev_close(r.dev);
		audio_pa_terminate();
		return 0;
	}
	if (play && wav_reader_open(&r.play, play, err, sizeof(err))) {
		fprintf(stderr, "pa-loop: %s\n", err);
		return 2;
	}
	if (r.play && wav_reader_rate(r.play) != audio_dev_rate(r.dev)) {
		fprintf(stderr, "pa-loop: %s is not at %u Hz\n", play, audio_dev_rate(r.dev));
		return 2;
	}
	if (record && wav_writer_open(&r.rec, record, audio_dev_rate(r.dev), err, sizeof(err))) {
		fprintf(stderr, "pa-loop: %s\n", err);
		return 2;
	}
	tmr_init(&r.tick);
	tmr_init(&r.end);
	r.t0 = r.last_tick = wall_ms();
	tmr_start(&r.tick, 20, on_tick, &r);
	tmr_start(&r.end, (uint64_t)(seconds * 1000), on_end, &r);
	code = loop_run();
	tmr_cancel(&r.tick);
	tmr_cancel(&r.end);
	if (r.dev) {
		print_figures(&r, false, NULL);   /* before: closing frees the counters */
		t = wall_ms();
		audio_dev_close(r.dev);
		r.dev = NULL;
		printf("close_ms=%llu\n", (unsigned long long)(wall_ms() - t));
	}
	if (r.rec && wav_writer_close(r.rec)) {
		fprintf(stderr, "pa-loop: cannot finish %s\n", record);
		code = 2;
	}
	wav_reader_close(r.play);
	audio_pa_terminate();
	loop_close();
	return code;
}

/* A reproducible, non-periodic test signal at 48 kHz. */
static int cmd_gen(const char *path, double seconds, unsigned seed)
{
	struct wav_writer *w;
	char err[256];
	uint64_t x = 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed * 0xD1B54A32D192ED03ull);
	size_t n = (size_t)(seconds * 48000), seg = 48000 * 150 / 1000;
	double lp = 0, lp2 = 0, level = 0.5;
	int16_t buf[480];
	size_t k = 0;

	if (wav_writer_open(&w, path, 48000, err, sizeof(err))) {
		fprintf(stderr, "pa-loop: %s\n", err);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		double v;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (i % seg == 0)
			level = 0.25 + 0.6 * (double)(x >> 40) / (double)(1ull << 24);
		v = (double)(int64_t)(x >> 11) / (double)(1ull << 52) - 1.0;  /* -1..1 */
		lp += 0.35 * (v - lp);           /* two poles: below ~6 kHz */
		lp2 += 0.35 * (lp - lp2);
		buf[k++] = (int16_t)lrint(fmax(-1.0, fmin(1.0, 2.2 * lp2 * level)) * 32000);
		if (k == 480) {
			if (wav_write(w, buf, k))
				break;
			k = 0;
		}
	}
	if (k)
		wav_write(w, buf, k);
	if (wav_writer_close(w)) {
		fprintf(stderr, "pa-loop: cannot write %s\n", path);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *play = NULL, *record = NULL;
	uint32_t rate = 48000;
	double seconds = 5;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "list"))
		return cmd_list();
	if (!strcmp(argv[1], "gen")) {
		if (argc != 5)
			usage();
		return cmd_gen(argv[2], atof(argv[3]), (unsigned)atoi(argv[4]));
	}
	if (strcmp(argv[1], "run") && strcmp(argv[1], "open"))
		usage();
	for (int i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--in"))
			in = argv[++i];
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else if (!strcmp(argv[i], "--rate"))
			rate = (uint32_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--play"))
			play = argv[++i];
		else if (!strcmp(argv[i], "--record"))
			record = argv[++i];
		else
			usage();
	}
	return cmd_run(in, out, rate, seconds, play, record, !strcmp(argv[1], "open"));
}
