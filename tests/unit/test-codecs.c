/* test-codecs.c: unit tests for the wideband codecs: G.722 (frame sizes,
 * round trip quality across the band, bit-exactness against ffmpeg's and
 * spandsp's output in tests/data/g722/, concealment and recovery), Opus
 * (round trip, in-band FEC against plain concealment, DTX, bitrate and
 * fmtp), the registry, and the jitter buffer's look-ahead that FEC needs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/codec.h"
#include "audio/jbuf.h"
#include "xmalloc.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- signals and measures ---------- */

/* An exponential sine sweep from f0 to f1 Hz over n samples. */
static void sweep(int16_t *x, size_t n, double rate, double f0, double f1, double amp)
{
	double ph = 0;
	for (size_t i = 0; i < n; i++) {
		double f = f0 * pow(f1 / f0, (double)i / (double)n);
		ph += 2 * M_PI * f / rate;
		x[i] = (int16_t)lrint(amp * sin(ph));
	}
}

static uint32_t rng = 1;

static double noise(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return (double)rng / 2147483648.0 - 1.0;
}

/* A crude voice: a glottal pulse train with a gliding pitch through three
 * moving formant resonators, in 200 ms syllables and 50 ms pauses, with a
 * little breath noise.  Speech-like enough for Opus to code it as speech
 * (SILK), which is where its FEC lives. */
static void voice(int16_t *x, size_t n, double rate)
{
	double *y = xcalloc(n, sizeof(*y));
	double z[3][2] = { { 0 } }, ph = 0, peak = 0;

	rng = 2024;
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / rate, syl = fmod(t, 0.25);
		double f0 = 130 + 50 * sin(2 * M_PI * 0.7 * t);
		double fm[3] = { 550 + 200 * sin(2 * M_PI * 1.3 * t),
				 1500 + 500 * sin(2 * M_PI * 0.9 * t + 1), 2600 };
		double env = syl < 0.2 ? sin(M_PI * syl / 0.2) : 0;
		double e, v;

		ph += f0 / rate;
		e = 0.01 * noise();
		if (ph >= 1) {
			ph -= 1;
			e += 1;
		}
		v = e * env;
		for (int k = 0; k < 3; k++) {
			double r = exp(-M_PI * 120 / rate), c = 2 * r * cos(2 * M_PI * fm[k] / rate);
			double o = v + c * z[k][0] - r * r * z[k][1];
			z[k][1] = z[k][0];
			z[k][0] = o;
			v = o * (1 - r);
		}
		y[i] = v;
		if (fabs(v) > peak)
			peak = fabs(v);
	}
	for (size_t i = 0; i < n; i++)
		x[i] = (int16_t)lrint(y[i] * 12000 / peak);
	free(y);
}

/* Signal to noise ratio of x against ref (ref delayed by lag in x). */
static double snr_db(const int16_t *ref, const int16_t *x, size_t n, size_t lag)
{
	double s = 0, e = 0;
	for (size_t i = 0; i + lag < n; i++) {
		double d = (double)x[i + lag] - ref[i];
		s += (double)ref[i] * ref[i];
		e += d * d;
	}
	return e == 0 ? 200 : 10 * log10(s / e);
}

static double energy(const int16_t *x, size_t n)
{
	double e = 0;
	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return e;
}

/* A whole file from tests/data/g722 (top_srcdir set by make check). */
static uint8_t *read_data(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[PATH_MAX];
	uint8_t *buf;
	FILE *f;
	long sz;

	snprintf(path, sizeof(path), "%s/tests/data/g722/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	if (!f)
		fprintf(stderr, "cannot read %s (set top_srcdir)\n", path);
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz > 0);
	rewind(f);
	buf = xmalloc((size_t)sz);
	assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*len = (size_t)sz;
	return buf;
}

/* Little-endian 16-bit samples of a data file. */
static int16_t *read_pcm(const char *name, size_t *n)
{
	size_t len;
	uint8_t *b = read_data(name, &len);
	int16_t *x = xmalloc(len);
	for (size_t i = 0; i < len / 2; i++)
		x[i] = (int16_t)(uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
	free(b);
	*n = len / 2;
	return x;
}

/* Encode then decode n samples frame by frame with one codec state. */
static void roundtrip(const struct codec *c, const char *fmtp, const int16_t *in, int16_t *out,
		      size_t n, size_t *bytes)
{
	struct codec_state *s = NULL;
	size_t fs = codec_frame_samples(c);
	uint8_t pl[1500];

	*bytes = 0;
	assert_int_equal(codec_state_alloc(&s, c, fmtp), 0);
	for (size_t i = 0; i + fs <= n; i += fs) {
		size_t len = 0, got = 0;
		assert_int_equal(codec_encode(s, in + i, fs, pl, sizeof(pl), &len), 0);
		*bytes += len;
		if (len) {
			assert_int_equal(codec_decode(s, pl, len, out + i, fs, &got), 0);
			assert_int_equal(got, fs);
		} else {
			codec_plc(s, out + i, fs);
		}
	}
	codec_state_free(s);
}

/* ====================================================================== */
/* registry                                                               */
/* ====================================================================== */

static void test_registry(void **state)
{
	(void)state;
	/* the default preference: opus, G722, PCMU, PCMA */
	assert_int_equal(codec_count(), 4);
	assert_ptr_equal(codec_at(0), &codec_opus);
	assert_ptr_equal(codec_at(1), &codec_g722);
	assert_ptr_equal(codec_at(2), &codec_pcmu);
	assert_ptr_equal(codec_at(3), &codec_pcma);
	assert_null(codec_at(4));

	/* G.722 is G722/8000 in SDP (RFC 3551), static type 9 */
	assert_ptr_equal(codec_find("G722", 8000, 1), &codec_g722);
	assert_ptr_equal(codec_find("g722", 8000, 0), &codec_g722);
	assert_null(codec_find("G722", 16000, 1));
	assert_ptr_equal(codec_find_pt(9), &codec_g722);
	assert_int_equal(codec_g722.srate, 16000);
	assert_int_equal(codec_frame_samples(&codec_g722), 320);
	assert_int_equal(codec_frame_ts(&codec_g722), 160);
	assert_null(codec_g722.fmtp);
	assert_null(codec_g722.decode_fec);

	/* opus is opus/48000/2 (RFC 7587), dynamic */
	assert_ptr_equal(codec_find("opus", 48000, 2), &codec_opus);
	assert_ptr_equal(codec_find("OPUS", 48000, 2), &codec_opus);
	assert_null(codec_find("opus", 48000, 1));
	assert_null(codec_find("opus", 16000, 2));
	assert_int_equal(codec_opus.pt, CODEC_PT_DYNAMIC);
	assert_int_equal(codec_frame_samples(&codec_opus), 960);
	assert_int_equal(codec_frame_ts(&codec_opus), 960);
	assert_string_equal(codec_opus.fmtp, "useinbandfec=1; stereo=0; sprop-stereo=0");
	assert_non_null(codec_opus.decode_fec);
	/* no codec claims a dynamic type as static */
	assert_null(codec_find_pt(96));
	assert_null(codec_find_pt(CODEC_PT_DYNAMIC));
}

/* ====================================================================== */
/* G.722                                                                  */
/* ====================================================================== */

static void test_g722_sizes(void **state)
{
	struct codec_state *s = NULL;
	int16_t pcm[640] = { 0 }, out[640];
	uint8_t pl[320];
	size_t n = 0;
	int16_t plc[320];
	(void)state;

	assert_int_equal(codec_state_alloc(&s, &codec_g722, NULL), 0);
	assert_int_equal(codec_encode(s, pcm, 320, pl, 159, &n), ENOSPC);
	assert_int_equal(codec_encode(s, pcm, 319, pl, sizeof(pl), &n), EINVAL);
	assert_int_equal(codec_encode(s, pcm, 320, pl, 160, &n), 0);
	assert_int_equal(n, 160); /* 20 ms: 320 samples in 160 octets */
	assert_int_equal(codec_encode(s, pcm, 640, pl, sizeof(pl), &n), 0);
	assert_int_equal(n, 320); /* 40 ms */
	assert_int_equal(codec_decode(s, pl, 160, out, 319, &n), ENOSPC);
	assert_int_equal(codec_decode(s, pl, 160, out, 320, &n), 0);
	assert_int_equal(n, 320);
	assert_int_equal(codec_decode(s, pl, 320, out, 640, &n), 0);
	assert_int_equal(n, 640);
	assert_int_equal(codec_decode_fec(s, pl, 160, plc, 320, &n), ENOTSUP);
	codec_state_free(s);
}

/* A sweep across the whole band comes back with a good SNR, and so does
 * its top (5-7 kHz), which narrowband codecs cannot carry.  The codec
 * delays by 22 samples (the two QMFs). */
static void test_g722_roundtrip(void **state)
{
	enum { N = 32000 };
	int16_t *in = xcalloc(N, sizeof(*in)), *out = xcalloc(N, sizeof(*out));
	size_t bytes;
	double all, top, lag21;
	(void)state;

	sweep(in, N, 16000, 50, 7000, 10000);
	roundtrip(&codec_g722, NULL, in, out, N, &bytes);
	assert_int_equal(bytes, N / 2);
	all = snr_db(in, out, N, 22);
	/* the last 1/6 of the sweep covers 3.5 kHz up to 7 kHz: from 5 kHz */
	top = snr_db(in + N - 3200, out + N - 3200, 3200 - 300, 22);
	lag21 = snr_db(in, out, N, 21);
	print_message("# g722 sweep: SNR %.1f dB, 5-7 kHz %.1f dB\n", all, top);
	assert_true(all > 25);
	assert_true(top > 12); /* a narrowband codec: about 0 dB */
	assert_true(lag21 < all - 10); /* the delay is exactly 22 */
	free(in);
	free(out);
}

/* Bit-exact with the reference data: ffmpeg's encoding of in.raw and its
 * decoding of that (spandsp gives the same bytes, see the README), and
 * ffmpeg's decoding of random code words, which includes the unused codes
 * and the output saturation. */
static void test_g722_reference(void **state)
{
	size_t nin, ncode, ndec, nrnd, nrdec, bad = 0;
	int16_t *in = read_pcm("in.raw", &nin), *dec = read_pcm("in.dec.raw", &ndec);
	int16_t *rdec = read_pcm("rnd.dec.raw", &nrdec);
	uint8_t *code = read_data("in.g722", &ncode), *rnd = read_data("rnd.g722", &nrnd);
	uint8_t *mine = xmalloc(ncode);
	int16_t *out = xmalloc(2 * nrnd * sizeof(*out) + ndec * sizeof(*out));
	struct codec_state *s = NULL;
	size_t n;
	(void)state;

	assert_int_equal(ncode * 2, nin);
	assert_int_equal(ndec, nin);
	assert_int_equal(nrdec, 2 * nrnd);

	assert_int_equal(codec_state_alloc(&s, &codec_g722, NULL), 0);
	for (size_t i = 0; i + 320 <= nin; i += 320) {
		assert_int_equal(codec_encode(s, in + i, 320, mine + i / 2, 160, &n), 0);
		assert_int_equal(n, 160);
	}
	for (size_t i = 0; i < ncode; i++)
		bad += mine[i] != code[i];
	assert_int_equal(bad, 0);

	for (size_t i = 0; i + 160 <= ncode; i += 160) {
		assert_int_equal(codec_decode(s, code + i, 160, out + 2 * i, 320, &n), 0);
		assert_int_equal(n, 320);
	}
	assert_memory_equal(out, dec, ndec * sizeof(*out));
	codec_state_free(s);

	/* random code words, in odd-sized packets */
	s = NULL;
	assert_int_equal(codec_state_alloc(&s, &codec_g722, NULL), 0);
	for (size_t i = 0, len; i < nrnd; i += len) {
		len = nrnd - i < 77 ? nrnd - i : 77;
		assert_int_equal(codec_decode(s, rnd + i, len, out + 2 * i, 2 * len, &n), 0);
		assert_int_equal(n, 2 * len);
	}
	assert_memory_equal(out, rdec, nrdec * sizeof(*out));
	codec_state_free(s);
	free(in);
	free(dec);
	free(rdec);
	free(code);
	free(rnd);
	free(mine);
	free(out);
}

/* Loud input: the transmit QMF's sub-band signals are limited to 15 bits
 * as in the ITU-T reference (ffmpeg and spandsp wrap them instead, so they
 * are not the reference here): full scale must come out near full scale,
 * undistorted in shape, with no wrap-around. */
static void test_g722_full_scale(void **state)
{
	enum { N = 16000 };
	int16_t *in = xcalloc(N, sizeof(*in)), *out = xcalloc(N, sizeof(*out));
	size_t bytes;
	int peak = 0;
	(void)state;

	sweep(in, N, 16000, 100, 3000, 32767);
	roundtrip(&codec_g722, NULL, in, out, N, &bytes);
	for (size_t i = 22; i < N; i++) {
		peak = abs(out[i]) > peak ? abs(out[i]) : peak;
		/* never the opposite sign at a loud sample (wrap-around) */
		if (abs(in[i - 22]) > 16000)
			assert_true((out[i] > 0) == (in[i - 22] > 0));
	}
	print_message("# g722 full scale: SNR %.1f dB, peak %d\n", snr_db(in, out, N, 22), peak);
	assert_true(peak > 30000);
	assert_true(snr_db(in, out, N, 22) > 20);
	free(in);
	free(out);
}

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* Beyond 15 bits in the sub-bands only the ITU-T reference's limiter
 * decides (ffmpeg and spandsp agree with us on the triangle wave, and
 * differ from the 4013th code on, in the square wave, as they do not
 * limit): a regression check on full-scale waves made of integers, so
 * that every machine feeds the same samples. */
static void test_g722_limiter(void **state)
{
	enum { N = 16000 };
	int16_t *in = xcalloc(N, sizeof(*in)), *out = xcalloc(N, sizeof(*out));
	uint8_t code[N / 2];
	struct codec_state *s = NULL;
	uint32_t hc = 0x811c9dc5u, hd = 0x811c9dc5u;
	size_t n;
	(void)state;

	for (int i = 0; i < N; i++) {
		int t = i % 100; /* 160 Hz triangle, then a 400 Hz square */
		in[i] = (int16_t)(i < N / 2 ? (t < 50 ? -32767 + t * 1310 : 32767 - (t - 50) * 1310)
				      : (i / 20) % 2 ? 32767 : -32768);
	}
	assert_int_equal(codec_state_alloc(&s, &codec_g722, NULL), 0);
	for (size_t i = 0; i < N; i += 320) {
		assert_int_equal(codec_encode(s, in + i, 320, code + i / 2, 160, &n), 0);
		assert_int_equal(codec_decode(s, code + i / 2, 160, out + i, 320, &n), 0);
	}
	hc = fnv1a(hc, code, sizeof(code));
	for (size_t i = 0; i < N; i++) {
		uint8_t b[2] = { (uint8_t)out[i], (uint8_t)((uint16_t)out[i] >> 8) };
		hd = fnv1a(hd, b, 2);
	}
	print_message("# g722 limiter: codes %08x, output %08x\n", hc, hd);
	assert_int_equal(hc, 0x7e6f22c1u);
	assert_int_equal(hd, 0xdb71c6afu);
	codec_state_free(s);
	free(in);
	free(out);
}

/* Concealment: the last frame repeated, fading over five frames, then
 * silence; after the loss the decoder follows the peer again. */
static void test_g722_plc(void **state)
{
	enum { F = 320, FRAMES = 30, LOSS_AT = 10, LOST = 7 };
	int16_t in[F * FRAMES], ref[F * FRAMES], out[F * FRAMES], plc[F];
	uint8_t pl[FRAMES][F / 2];
	struct codec_state *enc = NULL, *dec = NULL, *s = NULL;
	size_t n;
	double e_prev;
	(void)state;

	/* 400 Hz: 8 whole periods per frame, so repeating a frame is seamless */
	for (size_t i = 0; i < N_ELEM(in); i++)
		in[i] = (int16_t)lrint(8000 * sin(2 * M_PI * 400 * (double)i / 16000));
	assert_int_equal(codec_state_alloc(&enc, &codec_g722, NULL), 0);
	assert_int_equal(codec_state_alloc(&dec, &codec_g722, NULL), 0);
	assert_int_equal(codec_state_alloc(&s, &codec_g722, NULL), 0);

	/* no history: silence */
	memset(plc, 0x11, sizeof(plc));
	codec_plc(s, plc, F);
	for (size_t i = 0; i < F; i++)
		assert_int_equal(plc[i], 0);

	for (size_t f = 0; f < FRAMES; f++) {
		assert_int_equal(codec_encode(enc, in + f * F, F, pl[f], sizeof(pl[f]), &n), 0);
		assert_int_equal(codec_decode(dec, pl[f], n, ref + f * F, F, &n), 0);
	}
	for (size_t f = 0; f < LOSS_AT; f++)
		assert_int_equal(codec_decode(s, pl[f], F / 2, out + f * F, F, &n), 0);
	e_prev = energy(out + (LOSS_AT - 1) * F, F);
	for (size_t f = LOSS_AT; f < LOSS_AT + LOST; f++) {
		int16_t *o = out + f * F;
		double e;
		codec_plc(s, o, F);
		e = energy(o, F);
		if (f == LOSS_AT) {
			/* the first lost frame continues the last one: close to
			 * the signal, at 80-100% of its level */
			double snr = snr_db(ref + f * F, o, F, 0);
			print_message("# g722 plc: first concealed frame %.1f dB\n", snr);
			assert_true(snr > 10);
			assert_true(e > 0.5 * e_prev);
		}
		if (f < LOSS_AT + 5) {
			assert_true(e < e_prev);
			assert_true(e > 0);
		} else {
			assert_true(e == 0); /* faded out */
		}
		e_prev = e;
	}
	/* the packets come back: within two frames the output is the
	 * peer's again */
	for (size_t f = LOSS_AT + LOST; f < FRAMES; f++)
		assert_int_equal(codec_decode(s, pl[f], F / 2, out + f * F, F, &n), 0);
	{
		double snr = snr_db(ref + (LOSS_AT + LOST + 2) * F, out + (LOSS_AT + LOST + 2) * F,
				    (FRAMES - LOSS_AT - LOST - 2) * F, 0);
		print_message("# g722 after a 140 ms loss: %.1f dB from the third frame\n", snr);
		assert_true(snr > 25);
	}

	/* one frame lost: the decoder keeps its state through concealment and
	 * is back on the peer's track quickly, without a click (no step
	 * larger than the signal's own) */
	codec_state_free(s);
	s = NULL;
	assert_int_equal(codec_state_alloc(&s, &codec_g722, NULL), 0);
	for (size_t f = 0; f < FRAMES; f++) {
		if (f == LOSS_AT)
			codec_plc(s, out + f * F, F);
		else
			assert_int_equal(codec_decode(s, pl[f], F / 2, out + f * F, F, &n), 0);
	}
	for (size_t i = (LOSS_AT - 1) * F; i < (LOSS_AT + 3) * F; i++)
		assert_true(abs(out[i + 1] - out[i]) < 2000); /* a 400 Hz sine moves < 1300 */
	{
		double snr = snr_db(ref + (LOSS_AT + 2) * F, out + (LOSS_AT + 2) * F,
				    (FRAMES - LOSS_AT - 2) * F, 0);
		print_message("# g722 after a 20 ms loss: %.1f dB from the second frame on\n", snr);
		assert_true(snr > 25);
	}
	codec_state_free(s);
	codec_state_free(enc);
	codec_state_free(dec);
}

/* ====================================================================== */
/* Opus                                                                   */
/* ====================================================================== */

static int opus_cfg_restore(void **state)
{
	struct codec_opus_cfg c;
	(void)state;
	codec_opus_cfg_default(&c);
	return codec_opus_cfg_set(&c);
}

/* The lag that best aligns out with in (Opus's look-ahead). */
static size_t best_lag(const int16_t *in, const int16_t *out, size_t n, size_t maxlag)
{
	size_t best = 0;
	double bs = -1e9;
	for (size_t lag = 0; lag <= maxlag; lag++) {
		double s = snr_db(in, out, n, lag);
		if (s > bs) {
			bs = s;
			best = lag;
		}
	}
	return best;
}

static void test_opus_roundtrip(void **state)
{
	enum { N = 48000 * 2 };
	int16_t *in = xcalloc(N, sizeof(*in)), *out = xcalloc(N, sizeof(*out));
	size_t bytes, lag;
	double snr, kbps;
	(void)state;

	voice(in, N, 48000);
	roundtrip(&codec_opus, NULL, in, out, N, &bytes);
	lag = best_lag(in, out, N, 600);
	snr = snr_db(in, out, N, lag);
	kbps = (double)bytes * 8 / 2 / 1000;
	print_message("# opus voice: %.1f kbit/s, SNR %.1f dB at lag %zu\n", kbps, snr, lag);
	assert_true(snr > 10);
	assert_true(kbps > 20 && kbps < 45); /* 32 kbit/s VBR */
	free(in);
	free(out);
}

/* Every 10th packet lost on the way through the jitter buffer; the lost
 * frame is rebuilt from the next packet's FEC data (peeked in the buffer,
 * as the media engine does) or concealed.  Measured against the lossless
 * decoding: FEC must be clearly better, on the lost frames and overall. */
static void test_opus_fec(void **state)
{
	enum { F = 960, FRAMES = 150, N = F * FRAMES };
	int16_t *in = xcalloc(N, sizeof(*in)), *ref = xcalloc(N, sizeof(*ref));
	int16_t *outp = xcalloc(N, sizeof(*outp)), *outf = xcalloc(N, sizeof(*outf));
	uint8_t (*pl)[1275] = xcalloc(FRAMES, sizeof(*pl));
	size_t *len = xcalloc(FRAMES, sizeof(*len));
	struct codec_state *enc = NULL, *dec = NULL;
	double lost_p = 0, lost_f = 0, lost_e = 0, snr_p, snr_f;
	unsigned fec_used = 0;
	(void)state;

	voice(in, N, 48000);
	assert_int_equal(codec_state_alloc(&enc, &codec_opus, NULL), 0);
	for (size_t f = 0; f < FRAMES; f++) {
		assert_int_equal(codec_encode(enc, in + f * F, F, pl[f], sizeof(pl[f]), &len[f]), 0);
		assert_true(len[f] > 0);
	}
	codec_state_free(enc);
	/* the lossless decoding */
	assert_int_equal(codec_state_alloc(&dec, &codec_opus, NULL), 0);
	for (size_t f = 0; f < FRAMES; f++) {
		size_t n;
		assert_int_equal(codec_decode(dec, pl[f], len[f], ref + f * F, F, &n), 0);
		assert_int_equal(n, F);
	}
	codec_state_free(dec);

	for (int use_fec = 0; use_fec < 2; use_fec++) {
		int16_t *out = use_fec ? outf : outp;
		struct jbuf *j = NULL;
		uint8_t buf[1500];
		size_t blen, n;
		uint32_t ts;

		dec = NULL;
		assert_int_equal(codec_state_alloc(&dec, &codec_opus, NULL), 0);
		assert_int_equal(jbuf_alloc(&j, 48000, 20, 1500), 0);
		/* a frame of margin keeps the next packet in the buffer (what
		 * the media engine sets when the codec has FEC) */
		jbuf_set_margin(j, 20);
		/* the network delivers one packet ahead of playout */
		assert_int_equal(jbuf_put(j, 1000, 1, pl[0], len[0], 0), 0);
		for (size_t f = 0; f < FRAMES; f++) {
			size_t next = f + 1;
			int err;
			if (next < FRAMES && next % 10 != 5)
				assert_int_equal(jbuf_put(j, 1000 + (uint32_t)(next * F),
							  (uint16_t)(1 + next), pl[next], len[next],
							  20 * (uint64_t)f), 0);
			blen = sizeof(buf);
			err = jbuf_get_ts(j, buf, &blen, &ts);
			if (err == 0) {
				assert_int_equal(ts, 1000 + f * F);
				assert_int_equal(codec_decode(dec, buf, blen, out + f * F, F, &n), 0);
				assert_int_equal(n, F);
				continue;
			}
			assert_int_equal(err, ENODATA);
			assert_int_equal(f % 10, 5);
			assert_int_equal(ts, 1000 + f * F);
			blen = sizeof(buf);
			if (use_fec && jbuf_peek(j, ts + codec_frame_ts(&codec_opus), buf, &blen) == 0 &&
			    codec_decode_fec(dec, buf, blen, out + f * F, F, &n) == 0 && n == F) {
				fec_used++;
				continue;
			}
			codec_plc(dec, out + f * F, F);
		}
		jbuf_free(j);
		codec_state_free(dec);
	}
	assert_int_equal(fec_used, FRAMES / 10);
	for (size_t f = 5; f < FRAMES; f += 10) {
		for (size_t i = f * F; i < (f + 1) * F; i++) {
			double dp = (double)outp[i] - ref[i], df = (double)outf[i] - ref[i];
			lost_p += dp * dp;
			lost_f += df * df;
			lost_e += (double)ref[i] * ref[i];
		}
	}
	snr_p = snr_db(ref, outp, N, 0);
	snr_f = snr_db(ref, outf, N, 0);
	print_message("# opus 10%% loss: lost frames %.1f dB with PLC, %.1f dB with FEC; "
		      "overall %.1f dB with PLC, %.1f dB with FEC\n",
		      10 * log10(lost_e / lost_p), 10 * log10(lost_e / lost_f), snr_p, snr_f);
	assert_true(lost_f * 2 < lost_p);     /* at least 3 dB better where it matters */
	assert_true(snr_f > snr_p + 3);
	free(in);
	free(ref);
	free(outp);
	free(outf);
	free(pl);
	free(len);
}

/* Silence with DTX: almost nothing is sent; without it, every frame is. */
static void test_opus_dtx(void **state)
{
	enum { F = 960, FRAMES = 100 };
	int16_t *in = xcalloc(F * FRAMES, sizeof(*in)), out[F];
	struct codec_opus_cfg c;
	unsigned sent[2] = { 0, 0 }, vsent = 0;
	size_t bytes[2] = { 0, 0 };
	(void)state;

	/* digital silence (libopus 1.3 stops sending on that, or on what
	 * SILK's voice detector calls inactive) */
	for (int dtx = 0; dtx < 2; dtx++) {
		struct codec_state *s = NULL;
		assert_int_equal(codec_state_alloc(&s, &codec_opus, dtx ? "usedtx=1" : NULL), 0);
		for (size_t f = 0; f < FRAMES; f++) {
			uint8_t pl[1500];
			size_t len = 99, n;
			assert_int_equal(codec_encode(s, in + f * F, F, pl, sizeof(pl), &len), 0);
			if (len) {
				sent[dtx]++;
				bytes[dtx] += len;
				assert_int_equal(codec_decode(s, pl, len, out, F, &n), 0);
			} else {
				codec_plc(s, out, F); /* comfort noise */
			}
		}
		codec_state_free(s);
	}
	print_message("# opus silence: %u packets, %zu bytes without DTX; %u, %zu with\n",
		      sent[0], bytes[0], sent[1], bytes[1]);
	assert_int_equal(sent[0], FRAMES);
	assert_true(sent[1] < FRAMES / 5);
	assert_true(bytes[1] * 4 < bytes[0]);

	/* DTX from our configuration, and speech still goes out */
	codec_opus_cfg_get(&c);
	c.dtx = true;
	assert_int_equal(codec_opus_cfg_set(&c), 0);
	assert_non_null(strstr(codec_opus.fmtp, "usedtx=1"));
	voice(in, F * FRAMES, 48000);
	{
		struct codec_state *s = NULL;
		assert_int_equal(codec_state_alloc(&s, &codec_opus, NULL), 0);
		for (size_t f = 0; f < FRAMES; f++) {
			uint8_t pl[1500];
			size_t len = 0;
			assert_int_equal(codec_encode(s, in + f * F, F, pl, sizeof(pl), &len), 0);
			vsent += len > 0;
		}
		codec_state_free(s);
	}
	/* 4 of every 5 frames are syllables */
	assert_true(vsent > FRAMES * 3 / 4);
	/* the peer can turn it off again */
	{
		struct codec_state *s = NULL;
		unsigned n0 = 0;
		assert_int_equal(codec_state_alloc(&s, &codec_opus, "usedtx=0"), 0);
		for (size_t f = 0; f < FRAMES; f++) {
			uint8_t pl[1500];
			size_t len = 0;
			int16_t z[F] = { 0 };
			assert_int_equal(codec_encode(s, z, F, pl, sizeof(pl), &len), 0);
			n0 += len > 0;
		}
		codec_state_free(s);
		assert_int_equal(n0, FRAMES);
	}
	free(in);
}

/* Average packet size of 2 s of voice under a configuration and fmtp. */
static double voice_packet_bytes(const char *fmtp)
{
	enum { N = 48000 * 2 };
	int16_t *in = xcalloc(N, sizeof(*in)), *out = xcalloc(N, sizeof(*out));
	size_t bytes;

	voice(in, N, 48000);
	roundtrip(&codec_opus, fmtp, in, out, N, &bytes);
	free(in);
	free(out);
	return (double)bytes / (N / 960);
}

/* The bitrate follows our configuration, capped by the peer's
 * maxaveragebitrate; our fmtp advertises a configured bitrate. */
static void test_opus_bitrate(void **state)
{
	struct codec_opus_cfg c, bad;
	double dflt, low, high, capped, cbr;
	(void)state;

	dflt = voice_packet_bytes(NULL);
	low = voice_packet_bytes("useinbandfec=1; maxaveragebitrate=12000");
	codec_opus_cfg_get(&c);
	c.bitrate = 64000;
	assert_int_equal(codec_opus_cfg_set(&c), 0);
	assert_string_equal(codec_opus.fmtp,
			    "useinbandfec=1; stereo=0; sprop-stereo=0; maxaveragebitrate=64000");
	high = voice_packet_bytes(NULL);
	capped = voice_packet_bytes("maxaveragebitrate=24000;useinbandfec=1");
	cbr = voice_packet_bytes("cbr=1");
	print_message("# opus bytes/packet: default %.0f, 12k %.0f, 64k %.0f, 64k capped at 24k "
		      "%.0f, 64k cbr %.0f\n", dflt, low, high, capped, cbr);
	/* 20 ms at R bit/s is R/400 bytes; VBR on this voice uses a bit less */
	assert_true(dflt > 0.5 * 80 && dflt < 1.2 * 80);
	assert_true(low > 0.5 * 30 && low < 1.2 * 30);
	assert_true(high > 0.5 * 160 && high < 1.2 * 160);
	assert_true(capped > 0.5 * 60 && capped < 1.2 * 60);
	assert_true(cbr > 150 && cbr < 170);
	assert_true(high > 3 * low);

	/* out of range: refused, nothing changes */
	bad = c;
	bad.bitrate = 5999;
	assert_int_equal(codec_opus_cfg_set(&bad), EINVAL);
	bad.bitrate = 510001;
	assert_int_equal(codec_opus_cfg_set(&bad), EINVAL);
	bad = c;
	bad.loss_perc = 101;
	assert_int_equal(codec_opus_cfg_set(&bad), EINVAL);
	assert_int_equal(codec_opus_cfg_set(NULL), EINVAL);
	codec_opus_cfg_get(&bad);
	assert_int_equal(bad.bitrate, 64000);

	/* FEC off: advertised, and the peer can also refuse it */
	c.bitrate = 0;
	c.fec = false;
	assert_int_equal(codec_opus_cfg_set(&c), 0);
	assert_string_equal(codec_opus.fmtp, "useinbandfec=0; stereo=0; sprop-stereo=0");
	codec_opus_cfg_default(&c);
	assert_int_equal(codec_opus_cfg_set(&c), 0);
	assert_string_equal(codec_opus.fmtp, "useinbandfec=1; stereo=0; sprop-stereo=0");
}

/* Frame lengths and payloads Opus refuses. */
static void test_opus_errors(void **state)
{
	struct codec_state *s = NULL;
	int16_t pcm[960] = { 0 }, out[960];
	uint8_t pl[1500];
	static const uint8_t bad[] = { 0x03 }; /* code 3 without its frame count */
	size_t n = 0;
	(void)state;

	assert_int_equal(codec_state_alloc(&s, &codec_opus, NULL), 0);
	assert_int_equal(codec_encode(s, pcm, 100, pl, sizeof(pl), &n), EINVAL);
	assert_int_equal(codec_encode(s, pcm, 960, pl, sizeof(pl), &n), 0);
	assert_true(n > 0);
	assert_int_equal(codec_decode(s, pl, n, out, 480, &n), ENOSPC);
	assert_int_equal(codec_decode(s, bad, sizeof(bad), out, 960, &n), EBADMSG);
	assert_int_equal(codec_decode(s, pl, 0, out, 960, &n), EBADMSG);
	assert_int_equal(codec_decode_fec(s, bad, sizeof(bad), out, 960, &n), EBADMSG);
	assert_int_equal(codec_encode(s, pcm, 960, pl, sizeof(pl), &n), 0);
	assert_int_equal(codec_decode_fec(s, pl, n, out, 100, &n), ENOSPC);
	/* concealment of an odd length: whole 2.5 ms blocks, then silence */
	memset(out, 0x55, sizeof(out));
	codec_plc(s, out, 130);
	for (size_t i = 120; i < 130; i++)
		assert_int_equal(out[i], 0);
	codec_state_free(s);
}

/* ====================================================================== */
/* the jitter buffer's look-ahead                                         */
/* ====================================================================== */

static void put(struct jbuf *j, unsigned i, uint64_t now)
{
	uint8_t p[40];
	memset(p, (int)i, sizeof(p));
	assert_int_equal(jbuf_put(j, 5000 + i * 160, (uint16_t)(100 + i), p, 20 + i % 7, now), 0);
}

static void test_jbuf_peek(void **state)
{
	struct jbuf *j = NULL;
	struct jbuf_stats st;
	uint8_t out[64];
	size_t len;
	uint32_t ts = 0;
	(void)state;

	assert_int_equal(jbuf_alloc(&j, 8000, 20, 64), 0);
	len = sizeof(out);
	assert_int_equal(jbuf_get_ts(j, out, &len, &ts), EAGAIN); /* idle, not a loss */
	len = sizeof(out);
	assert_int_equal(jbuf_get(j, out, &len), ENODATA);          /* as before */
	assert_int_equal(jbuf_peek(j, 5000, out, &len), ENOENT);

	put(j, 0, 0);
	put(j, 1, 0);
	put(j, 3, 0); /* 2 is lost */
	put(j, 4, 0);
	/* a look does not take */
	len = sizeof(out);
	assert_int_equal(jbuf_peek(j, 5000 + 160, out, &len), 0);
	assert_int_equal(len, 21);
	assert_int_equal(out[0], 1);
	len = 20;
	assert_int_equal(jbuf_peek(j, 5000 + 160, out, &len), ENOSPC);
	len = sizeof(out);
	assert_int_equal(jbuf_peek(j, 5000 + 80, out, &len), ENOENT);  /* off the grid */
	assert_int_equal(jbuf_peek(j, 5000 + 320, out, &len), ENOENT); /* the lost one */

	for (unsigned i = 0; i < 5; i++) {
		int err;
		len = sizeof(out);
		err = jbuf_get_ts(j, out, &len, &ts);
		assert_int_equal(ts, 5000 + i * 160);
		if (i == 2) {
			/* lost: the next packet is there to be looked at */
			assert_int_equal(err, ENODATA);
			len = sizeof(out);
			assert_int_equal(jbuf_peek(j, ts + 160, out, &len), 0);
			assert_int_equal(out[0], 3);
			assert_int_equal(len, 20 + 3);
			continue;
		}
		assert_int_equal(err, 0);
		assert_int_equal(out[0], i);
		assert_int_equal(len, 20 + i % 7);
		/* once played, a packet cannot be looked at */
		len = sizeof(out);
		assert_int_equal(jbuf_peek(j, ts, out, &len), ENOENT);
	}
	jbuf_stats(j, &st);
	assert_int_equal(st.got, 4);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.packets, 0);
	jbuf_free(j);
}

/* Frames the buffer inserts to grow its delay are EAGAIN from
 * jbuf_get_ts (nothing to recover), counted as inserted; lost ones are
 * ENODATA, counted as lost. */
static void test_jbuf_insertions(void **state)
{
	enum { N = 600 };
	struct jbuf *j = NULL;
	struct jbuf_stats st;
	uint64_t eagain = 0, enodata = 0;
	(void)state;

	assert_int_equal(jbuf_alloc(&j, 8000, 20, 64), 0);
	rng = 99;
	/* packets in order, each 0-80 ms late: the buffer has to grow */
	for (unsigned t = 0, next = 0; t < N + 10; t++) {
		while (next < N && 20 * (uint64_t)next + (uint64_t)(40 + 40 * noise()) <= 20 * (uint64_t)t) {
			uint8_t p[20] = { 0 };
			int e = jbuf_put(j, 5000 + next * 160, (uint16_t)next, p, sizeof(p), 20 * (uint64_t)t);
			assert_true(e == 0 || e == ETIMEDOUT);
			next++;
		}
		{
			uint8_t out[64];
			size_t len = sizeof(out);
			uint32_t ts;
			int e = jbuf_get_ts(j, out, &len, &ts);
			jbuf_stats(j, &st);
			if (e == EAGAIN && st.playing)
				eagain++;
			if (e == ENODATA)
				enodata++;
			assert_true(e == 0 || e == EAGAIN || e == ENODATA);
		}
	}
	jbuf_stats(j, &st);
	print_message("# jbuf: inserted %llu lost %llu late %llu\n", (unsigned long long)st.inserted,
		      (unsigned long long)st.lost, (unsigned long long)st.late);
	assert_true(st.inserted > 0);
	assert_int_equal(eagain, st.inserted);
	assert_int_equal(enodata, st.lost);
	jbuf_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_g722_sizes),
		cmocka_unit_test(test_g722_roundtrip),
		cmocka_unit_test(test_g722_reference),
		cmocka_unit_test(test_g722_full_scale),
		cmocka_unit_test(test_g722_limiter),
		cmocka_unit_test(test_g722_plc),
		cmocka_unit_test_teardown(test_opus_roundtrip, opus_cfg_restore),
		cmocka_unit_test_teardown(test_opus_fec, opus_cfg_restore),
		cmocka_unit_test_teardown(test_opus_dtx, opus_cfg_restore),
		cmocka_unit_test_teardown(test_opus_bitrate, opus_cfg_restore),
		cmocka_unit_test_teardown(test_opus_errors, opus_cfg_restore),
		cmocka_unit_test(test_jbuf_peek),
		cmocka_unit_test(test_jbuf_insertions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
