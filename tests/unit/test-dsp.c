/* test-dsp.c: the voice processing (audio/dsp.c) on synthetic signals.
 *
 * The far end is speech-like: coloured noise under a syllable-rate
 * envelope.  The room is an echo path of 40 ms delay, -6 dB and a short
 * FIR; the near end is silence, stationary white noise, or another
 * speech-like signal with its own colour and rhythm.  The engine's order
 * is simulated frame by frame: the microphone frame is cleaned
 * (dsp_capture), then the frame for the speaker is given (dsp_playback),
 * whose sound reaches the microphone 40 ms later.
 *
 * Figures (measured on this machine with speexdsp 1.2.1, float build; the
 * bounds leave a margin).  The microphone has a noise floor at -66 dBFS and
 * the echo, at -32 dBFS, passes a slightly saturating speaker, so the
 * figures are not those of a perfect linear room:
 *   ERLE after convergence (seconds 6-10), near end silent: 39.6 dB at
 *   8 kHz, 39.2 dB at 16 kHz, 38.4 dB at 48 kHz (the output sits below the
 *   microphone's noise floor: residual echo suppression); bound 25 dB.
 *   A 150 ms echo path with a 100 ms tail: 2 dB without delay_ms, 39.7 dB
 *   with delay_ms 120 (bounds 10 and 25).
 *   Near-end speech alone after convergence: correlation with the clean
 *   near end 0.96; in double talk 0.95, where the raw microphone has 0.90
 *   (bounds 0.9, and 0.85 and 0.02 above the microphone's).  The missing
 *   0.04 is not echo: speexdsp's canceller starts with a DC notch (radius
 *   0.9 at 8 kHz), a high-pass whose phase shift alone costs that much
 *   with no far end at all.
 *   AEC off: the output is the input, bit for bit.  Turned on again: 6.7 dB
 *   in its first 300 ms (the filter was reset), 39.7 dB 6 s later.
 *   NS at -15 dB on white noise: 13.9 dB less energy (bound 8 dB); NS off
 *   with AEC on: 0.3 dB (bound 3 dB).
 *   AGC on a -46 dBFS speech-like signal: +17.9 dB at seconds 6-10 (bound
 *   +10 dB); AGC off: 0 dB.
 * Each check compares against what broken processing would give (no
 * reduction, silence, no gain), so each can fail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/dsp.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_SANITIZER 1
#endif
#endif

/* ---------- counting allocations (not under ASan, which owns malloc) ---------- */

#ifndef HAVE_SANITIZER
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
static unsigned long n_allocs;

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

void *malloc(size_t size)
{
	n_allocs++;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	n_allocs++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	n_allocs++;
	return __libc_realloc(p, size);
}
#endif

/* ---------- signals ---------- */

static uint32_t rng_next(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Uniform in [-1, 1). */
static double white(uint32_t *s)
{
	return (double)rng_next(s) / 2147483648.0 - 1.0;
}

static int16_t clip(double v)
{
	if (v > 32767.0)
		return 32767;
	if (v < -32768.0)
		return -32768;
	return (int16_t)lrint(v);
}

/* Speech-like: noise through a one-pole filter (pole > 0: dark, < 0:
 * bright) under an envelope of syllables at syl_hz with short pauses;
 * rms is the level while voiced. */
static void gen_speechlike(int16_t *out, size_t len, uint32_t rate, uint32_t seed, double pole,
			   double syl_hz, double rms)
{
	uint32_t s = seed;
	double y = 0, norm = sqrt((1 - pole * pole) * 3.0);

	for (size_t i = 0; i < len; i++) {
		double t = (double)i / rate;
		double env = sin(2 * M_PI * syl_hz * t);
		env = env > 0 ? 0.25 + 0.75 * env : 0.25 * (1 + env); /* a pause every other half */
		y = pole * y + white(&s);
		out[i] = clip(rms * norm * y * env);
	}
}

static void gen_white(int16_t *out, size_t len, uint32_t seed, double rms)
{
	uint32_t s = seed;
	for (size_t i = 0; i < len; i++)
		out[i] = clip(rms * sqrt(3.0) * white(&s));
}

/* A small loudspeaker: soft saturation, about 1 dB of compression at
 * -10 dBFS.  Its distortion is what a linear canceller cannot model. */
static double speaker(int16_t x)
{
	return 32768.0 / 1.5 * tanh(1.5 * x / 32768.0);
}

/* The room: the speaker, delay_ms, gain, and a short FIR (a few early reflections). */
static void echo_path(const int16_t *far, int16_t *echo, size_t len, uint32_t rate,
		      double delay_ms, double gain)
{
	static const double h[] = { 0.6, 0.3, -0.2, 0.15, -0.1, 0.05, 0.03 };
	size_t d = (size_t)(rate * delay_ms / 1000);

	for (size_t i = 0; i < len; i++) {
		double acc = 0;
		for (size_t j = 0; j < sizeof(h) / sizeof(h[0]); j++)
			if (i >= d + j)
				acc += h[j] * speaker(far[i - d - j]);
		echo[i] = clip(gain * acc);
	}
}

static double energy(const int16_t *x, size_t from, size_t to)
{
	double e = 0;
	for (size_t i = from; i < to; i++)
		e += (double)x[i] * x[i];
	return e;
}

static double rms_db(const int16_t *x, size_t from, size_t to)
{
	return 10 * log10(energy(x, from, to) / (double)(to - from) + 1e-9) - 90.3;
}

/* Reduction of b against a in dB over [from, to). */
static double reduction_db(const int16_t *a, const int16_t *b, size_t from, size_t to)
{
	return 10 * log10((energy(a, from, to) + 1e-9) / (energy(b, from, to) + 1e-9));
}

/* Normalized correlation of y against x over [from, to), at the best lag
 * of y behind x in 0..max_lag (the preprocessor delays by one frame). */
static double best_corr(const int16_t *x, const int16_t *y, size_t from, size_t to,
			size_t max_lag)
{
	double best = -1;
	for (size_t lag = 0; lag <= max_lag; lag++) {
		double sxy = 0, sxx = 0, syy = 0;
		for (size_t i = from; i + lag < to; i++) {
			double a = x[i], b = y[i + lag];
			sxy += a * b;
			sxx += a * a;
			syy += b * b;
		}
		if (sxx > 0 && syy > 0 && sxy / sqrt(sxx * syy) > best)
			best = sxy / sqrt(sxx * syy);
	}
	return best;
}

/* ---------- the engine's tick, simulated ---------- */

struct sim {
	uint32_t rate;
	size_t n;          /* frame */
	size_t len;        /* samples */
	int16_t *far;      /* to the speaker */
	int16_t *near;     /* the talker at our end, clean */
	int16_t *mic;      /* echo + near */
	int16_t *out;      /* what dsp_capture made of mic */
};

static void sim_init(struct sim *s, uint32_t rate, double secs)
{
	s->rate = rate;
	s->n = rate / 50;
	s->len = (size_t)(secs * rate) / s->n * s->n;
	s->far = calloc(s->len, sizeof(int16_t));
	s->near = calloc(s->len, sizeof(int16_t));
	s->mic = calloc(s->len, sizeof(int16_t));
	s->out = calloc(s->len, sizeof(int16_t));
	assert_non_null(s->far);
	assert_non_null(s->near);
	assert_non_null(s->mic);
	assert_non_null(s->out);
}

static void sim_free(struct sim *s)
{
	free(s->far);
	free(s->near);
	free(s->mic);
	free(s->out);
}

/* mic = echo of far through the room + near + the microphone's own
 * noise floor (-66 dBFS, so that no figure rests on exact silence). */
static void sim_room(struct sim *s, double delay_ms, double gain)
{
	uint32_t seed = 4242;

	echo_path(s->far, s->mic, s->len, s->rate, delay_ms, gain);
	for (size_t i = 0; i < s->len; i++)
		s->mic[i] = clip((double)s->mic[i] + s->near[i] + 16 * sqrt(3.0) * white(&seed));
}

/* Frames [f0, f1) through the DSP in the engine's order. */
static void sim_run(struct sim *s, struct dsp *d, size_t f0, size_t f1)
{
	for (size_t f = f0; f < f1 && (f + 1) * s->n <= s->len; f++) {
		memcpy(s->out + f * s->n, s->mic + f * s->n, s->n * sizeof(int16_t));
		dsp_capture(d, s->out + f * s->n);
		dsp_playback(d, s->far + f * s->n);
	}
}

static size_t sec(const struct sim *s, double t)
{
	return (size_t)(t * s->rate);
}

static struct dsp *dsp_new(uint32_t rate, bool aec, bool ns, bool agc)
{
	struct dsp_cfg cfg;
	struct dsp *d = NULL;

	dsp_cfg_default(&cfg);
	cfg.aec = aec;
	cfg.ns = ns;
	cfg.agc = agc;
	assert_int_equal(dsp_alloc(&d, rate, rate / 50, &cfg), 0);
	return d;
}

/* ---------- echo cancellation ---------- */

/* Far end only: after convergence the echo is mostly gone. */
static double erle_far_only(uint32_t rate)
{
	struct sim s;
	struct dsp *d = dsp_new(rate, true, false, false);
	double erle;

	sim_init(&s, rate, 10);
	gen_speechlike(s.far, s.len, rate, 1234, 0.6, 3.0, 4000);
	sim_room(&s, 40, 0.5);
	sim_run(&s, d, 0, s.len / s.n);
	erle = reduction_db(s.mic, s.out, sec(&s, 6), s.len);
	print_message("# ERLE at %u Hz, seconds 6-10: %.1f dB (echo %.1f dBFS, out %.1f dBFS)\n",
		      rate, erle, rms_db(s.mic, sec(&s, 6), s.len), rms_db(s.out, sec(&s, 6), s.len));
	dsp_free(d);
	sim_free(&s);
	return erle;
}

static void test_aec_erle_8k(void **state)
{
	(void)state;
	assert_true(erle_far_only(8000) > 25.0);
}

static void test_aec_erle_16k(void **state)
{
	(void)state;
	assert_true(erle_far_only(16000) > 25.0);
}

static void test_aec_erle_48k(void **state)
{
	(void)state;
	assert_true(erle_far_only(48000) > 25.0);
}

/* Near-end speech survives: alone after convergence, and over the echo
 * (double talk). */
static void test_aec_near_end(void **state)
{
	struct sim s;
	struct dsp *d = dsp_new(8000, true, false, false);
	int16_t *far2;
	double c_alone, c_double, c_mic, erle;
	(void)state;

	sim_init(&s, 8000, 14);
	far2 = calloc(s.len, sizeof(int16_t));
	assert_non_null(far2);
	/* far end talks 0-6 s and 9-14 s; near end 6-14 s */
	gen_speechlike(far2, s.len, 8000, 1234, 0.6, 3.0, 4000);
	for (size_t i = 0; i < s.len; i++)
		s.far[i] = i < sec(&s, 6) || i >= sec(&s, 9) ? far2[i] : 0;
	gen_speechlike(s.near, s.len, 8000, 777, -0.3, 2.1, 3000);
	for (size_t i = 0; i < sec(&s, 6); i++)
		s.near[i] = 0;
	sim_room(&s, 40, 0.5);
	sim_run(&s, d, 0, s.len / s.n);

	erle = reduction_db(s.mic, s.out, sec(&s, 4), sec(&s, 6));
	/* near end alone (the far end's echo has died away after 0.3 s) */
	c_alone = best_corr(s.near, s.out, sec(&s, 6.5), sec(&s, 9), 2 * s.n);
	/* double talk, after a second of it */
	c_double = best_corr(s.near, s.out, sec(&s, 10), s.len, 2 * s.n);
	/* the raw microphone in double talk: what no processing would give */
	c_mic = best_corr(s.near, s.mic, sec(&s, 10), s.len, 0);
	print_message("# ERLE before the near end talks %.1f dB; near end alone corr %.3f, "
		      "in double talk corr %.3f (mic in double talk: %.3f)\n",
		      erle, c_alone, c_double, c_mic);
	assert_true(erle > 25.0);
	assert_true(c_alone > 0.9);
	assert_true(c_double > 0.85);
	assert_true(c_double > c_mic + 0.02);
	free(far2);
	dsp_free(d);
	sim_free(&s);
}

/* With the canceller off nothing is taken away; turned on again it starts
 * afresh and converges again. */
static void test_aec_off_and_on(void **state)
{
	struct sim s;
	struct dsp *d = dsp_new(8000, true, false, false);
	double converged, off, fresh, again;
	(void)state;

	sim_init(&s, 8000, 24);
	gen_speechlike(s.far, s.len, 8000, 99, 0.6, 3.0, 4000);
	sim_room(&s, 40, 0.5);
	sim_run(&s, d, 0, sec(&s, 8) / s.n);
	converged = reduction_db(s.mic, s.out, sec(&s, 5), sec(&s, 8));

	assert_int_equal(dsp_set(d, "aec", false), 0);
	assert_false(dsp_get(d, "aec"));
	sim_run(&s, d, sec(&s, 8) / s.n, sec(&s, 12) / s.n);
	off = reduction_db(s.mic, s.out, sec(&s, 8), sec(&s, 12));
	assert_memory_equal(s.mic + sec(&s, 8), s.out + sec(&s, 8),
			    (sec(&s, 12) - sec(&s, 8)) * sizeof(int16_t));

	assert_int_equal(dsp_set(d, "aec", true), 0);
	assert_true(dsp_get(d, "aec"));
	sim_run(&s, d, sec(&s, 12) / s.n, s.len / s.n);
	fresh = reduction_db(s.mic, s.out, sec(&s, 12), sec(&s, 12.3));
	again = reduction_db(s.mic, s.out, sec(&s, 18), s.len);
	print_message("# converged %.1f dB; off %.2f dB; first 300 ms after on %.1f dB; "
		      "6 s later %.1f dB\n", converged, off, fresh, again);
	assert_true(converged > 25.0);
	assert_true(fabs(off) < 0.01);
	/* a reset filter knows nothing yet: far less than the converged one */
	assert_true(fresh < converged - 10.0);
	assert_true(again > 25.0);
	dsp_free(d);
	sim_free(&s);
}

/* The playback-to-capture delay: an echo later than the tail is not
 * cancelled, unless delay_ms moves the reference along. */
static double erle_long_path(uint32_t delay_ms)
{
	struct dsp_cfg cfg;
	struct dsp *d = NULL;
	struct sim s;
	double erle;

	dsp_cfg_default(&cfg);
	cfg.aec = true;
	cfg.tail_ms = 100;
	cfg.delay_ms = delay_ms;
	assert_int_equal(dsp_alloc(&d, 8000, 160, &cfg), 0);
	sim_init(&s, 8000, 10);
	gen_speechlike(s.far, s.len, 8000, 4321, 0.6, 3.0, 4000);
	sim_room(&s, 150, 0.5);
	sim_run(&s, d, 0, s.len / s.n);
	erle = reduction_db(s.mic, s.out, sec(&s, 6), s.len);
	print_message("# 150 ms echo path, 100 ms tail, delay_ms %u: ERLE %.1f dB\n", delay_ms,
		      erle);
	dsp_free(d);
	sim_free(&s);
	return erle;
}

static void test_aec_delay(void **state)
{
	(void)state;
	assert_true(erle_long_path(0) < 10.0);
	assert_true(erle_long_path(120) > 25.0);
}

/* ---------- noise suppression ---------- */

static double ns_reduction(bool ns, bool aec)
{
	struct sim s;
	struct dsp *d = dsp_new(8000, aec, ns, false);
	double r;

	sim_init(&s, 8000, 6);
	gen_white(s.near, s.len, 555, 1000); /* -30 dBFS */
	sim_room(&s, 40, 0.5);               /* far end silent */
	sim_run(&s, d, 0, s.len / s.n);
	r = reduction_db(s.mic, s.out, sec(&s, 3), s.len);
	print_message("# white noise, ns %s aec %s: %.1f dB less\n", ns ? "on" : "off",
		      aec ? "on" : "off", r);
	dsp_free(d);
	sim_free(&s);
	return r;
}

static void test_ns(void **state)
{
	(void)state;
	assert_true(ns_reduction(true, false) > 8.0);
	assert_true(ns_reduction(true, true) > 8.0);
	/* the canceller alone keeps the denoiser at 0 dB: noise stays */
	assert_true(fabs(ns_reduction(false, true)) < 3.0);
	assert_true(fabs(ns_reduction(false, false)) < 0.01);
}

/* NS switched on at run time takes effect. */
static void test_ns_runtime(void **state)
{
	struct sim s;
	struct dsp *d = dsp_new(8000, false, false, false);
	double before, after;
	(void)state;

	sim_init(&s, 8000, 8);
	gen_white(s.near, s.len, 556, 1000);
	sim_room(&s, 40, 0.5);
	sim_run(&s, d, 0, sec(&s, 3) / s.n);
	assert_int_equal(dsp_set(d, "ns", true), 0);
	assert_true(dsp_get(d, "ns"));
	sim_run(&s, d, sec(&s, 3) / s.n, s.len / s.n);
	before = reduction_db(s.mic, s.out, 0, sec(&s, 3));
	after = reduction_db(s.mic, s.out, sec(&s, 5), s.len);
	print_message("# ns off %.2f dB, then on %.1f dB\n", before, after);
	assert_true(fabs(before) < 0.01);
	assert_true(after > 8.0);
	dsp_free(d);
	sim_free(&s);
}

/* ---------- gain control ---------- */

static double agc_gain(bool agc)
{
	struct sim s;
	struct dsp *d = dsp_new(8000, false, false, agc);
	double g;

	sim_init(&s, 8000, 10);
	gen_speechlike(s.near, s.len, 8000, 31337, 0.3, 2.5, 300); /* about -46 dBFS */
	sim_room(&s, 40, 0.5);
	sim_run(&s, d, 0, s.len / s.n);
	g = -reduction_db(s.mic, s.out, sec(&s, 6), s.len);
	print_message("# quiet speech at %.1f dBFS, agc %s: %+.1f dB\n",
		      rms_db(s.mic, sec(&s, 6), s.len), agc ? "on" : "off", g);
	dsp_free(d);
	sim_free(&s);
	return g;
}

static void test_agc(void **state)
{
	(void)state;
	assert_true(agc_gain(true) > 10.0);
	assert_true(fabs(agc_gain(false)) < 0.01);
}

/* ---------- the API ---------- */

static void test_alloc_errors(void **state)
{
	struct dsp_cfg cfg;
	struct dsp *d = (struct dsp *)&cfg; /* untouched on failure */
	(void)state;

	dsp_cfg_default(&cfg);
	assert_int_equal(cfg.tail_ms, 200);
	assert_false(cfg.aec || cfg.ns || cfg.agc);
	assert_int_equal(dsp_alloc(&d, 4000, 80, &cfg), EINVAL);
	assert_int_equal(dsp_alloc(&d, 96000, 1920, &cfg), EINVAL);
	assert_int_equal(dsp_alloc(&d, 8000, 0, &cfg), EINVAL);
	assert_int_equal(dsp_alloc(&d, 8000, 1600, &cfg), EINVAL);
	cfg.tail_ms = 5000;
	assert_int_equal(dsp_alloc(&d, 8000, 160, &cfg), EINVAL);
	dsp_cfg_default(&cfg);
	cfg.ns_db = 10;
	assert_int_equal(dsp_alloc(&d, 8000, 160, &cfg), EINVAL);
	dsp_cfg_default(&cfg);
	cfg.delay_ms = 2000;
	assert_int_equal(dsp_alloc(&d, 8000, 160, &cfg), EINVAL);
	assert_ptr_equal(d, (struct dsp *)&cfg);

	/* NULL cfg: everything off, the defaults */
	assert_int_equal(dsp_alloc(&d, 16000, 320, NULL), 0);
	assert_int_equal(dsp_config(d)->tail_ms, 200);
	assert_int_equal(dsp_config(d)->ns_db, -15);
	assert_int_equal(dsp_set(d, "echo", true), EINVAL);
	assert_false(dsp_get(d, "echo"));
	assert_int_equal(dsp_set(d, "agc", true), 0);
	assert_true(dsp_config(d)->agc);
	assert_int_equal(dsp_set(d, "agc", true), 0);
	dsp_free(d);
	dsp_free(NULL);
}

/* All on, 48 kHz: no allocation in dsp_capture, dsp_playback, dsp_set. */
/* Not built with the sanitizers: they own malloc, so the counting hook
 * sees nothing; the plain build runs it. */
#ifndef HAVE_SANITIZER
static void test_no_alloc_per_frame(void **state)
{
	struct sim s;
	struct dsp *d = dsp_new(48000, true, true, true);
	unsigned long before;
	(void)state;

	sim_init(&s, 48000, 2);
	gen_speechlike(s.far, s.len, 48000, 1, 0.6, 3.0, 4000);
	gen_white(s.near, s.len, 2, 300);
	sim_room(&s, 40, 0.5);
	before = n_allocs;
	sim_run(&s, d, 0, s.len / s.n / 2);
	dsp_set(d, "aec", false);
	dsp_set(d, "ns", false);
	sim_run(&s, d, s.len / s.n / 2, s.len / s.n * 3 / 4);
	dsp_set(d, "aec", true);
	dsp_set(d, "ns", true);
	sim_run(&s, d, s.len / s.n * 3 / 4, s.len / s.n);
	assert_int_equal(n_allocs - before, 0);
	/* and the counter works */
	{
		void *volatile p = malloc(16);
		free(p);
	}
	assert_int_equal(n_allocs - before, 1);
	dsp_free(d);
	sim_free(&s);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_errors),
		cmocka_unit_test(test_aec_erle_8k),
		cmocka_unit_test(test_aec_erle_16k),
		cmocka_unit_test(test_aec_erle_48k),
		cmocka_unit_test(test_aec_near_end),
		cmocka_unit_test(test_aec_off_and_on),
		cmocka_unit_test(test_aec_delay),
		cmocka_unit_test(test_ns),
		cmocka_unit_test(test_ns_runtime),
		cmocka_unit_test(test_agc),
#ifndef HAVE_SANITIZER
		cmocka_unit_test(test_no_alloc_per_frame),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
