/* g722.c: ITU-T G.722 at 64 kbit/s (mode 1), written from the
 * recommendation: a 24-tap QMF splits 16 kHz audio into two 8 kHz
 * sub-bands; the lower band is coded with 6-bit ADPCM (of which the
 * predictor only sees the 4 most significant bits, so that the 56 and 48
 * kbit/s modes can drop bits), the upper band with 2-bit ADPCM.  One octet
 * per pair of input samples: the upper-band code in bits 7-6, the
 * lower-band code in bits 5-0.
 *
 * The arithmetic is the recommendation's 16-bit fixed point, saturations
 * and limiters included, as in the ITU-T reference software.  Encoder and
 * decoder are bit-exact with ffmpeg's and spandsp's (tests/data/g722/
 * holds the proof); the decoder also on random code words, where spandsp
 * wraps around instead of saturating and ffmpeg agrees with us.  Only input
 * within about 4 dB of full scale can encode differently: the reference
 * limits the QMF's sub-band outputs to 15 bits, those two do not.  The
 * block names in the comments (SUBTL, QUANTL, INVQAL, LOGSCL, SCALEL,
 * UPPOL1, ...) are the recommendation's.
 *
 * RTP quirk (RFC 3551): G.722 is "G722/8000" in SDP and its timestamps
 * count 8000 per second, although it samples at 16000.  A 20 ms frame is
 * 320 samples in 160 octets.
 *
 * Concealment repeats the last good frame, fading to silence over five
 * frames like G.711.  The repetition is not copied to the output but coded
 * by an encoder that shares the decoder's state and decoded by the decoder
 * itself: the decoder's predictors, scale factors and QMF line go on
 * following a signal like the one the peer's encoder keeps coding, so the
 * packets after the loss meet a state closer to the peer's than one frozen
 * at the loss (on synthetic speech, the 60 ms after a 20-140 ms loss come
 * out 4-5 dB closer to the lossless decoding).  ADPCM states converge
 * slowly all the same: about 200 ms to within 20 dB.  Once faded out, the
 * decoder state is left as the last concealed frame made it. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"

/* ---------- 16-bit fixed-point helpers (the recommendation's operators) ---------- */

static int16_t sat16(int32_t x)
{
	return (int16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
}

/* (a * b) >> 15, rounding down, saturating (only -1 * -1 overflows) */
static int16_t mul15(int32_t a, int32_t b)
{
	return sat16((a * b) >> 15);
}

/* 15-bit limiter on sub-band signals */
static int16_t limit15(int32_t x)
{
	return (int16_t)(x > 16383 ? 16383 : x < -16384 ? -16384 : x);
}

/* ---------- tables from the recommendation ---------- */

/* QMF coefficients h0..h23 (symmetric), scaled by 2^13. */
static const int16_t qmf_h[24] = {
	3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876,
	3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3,
};

/* Lower band: decision levels of the 6-bit quantiser (QUANTL), by
 * interval 0..30, before scaling by 8 and by DETL. */
static const int16_t q6_level[31] = {
	0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714,
	786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 3200,
};

/* Lower band: 6-bit inverse quantiser outputs (INVQBL, 64 kbit/s). */
static const int16_t oq6[31] = {
	0, 17, 54, 91, 130, 170, 211, 254, 300, 347, 396, 447, 501, 558, 618, 682,
	750, 822, 899, 982, 1072, 1170, 1279, 1399, 1535, 1689, 1873, 2088, 2376, 2738, 3101,
};

/* Lower band: 4-bit inverse quantiser outputs (INVQAL) and the log scale
 * factor multipliers (LOGSCL), by magnitude 0..7. */
static const int16_t oq4[8] = { 0, 150, 323, 530, 786, 1121, 1612, 2557 };
static const int16_t wl[8] = { -60, -30, 58, 172, 334, 538, 1198, 3042 };

/* Upper band: quantiser threshold (QUANTH), inverse quantiser outputs
 * (INVQAH) and log scale factor multipliers (LOGSCH), by magnitude 0..2. */
#define Q2_LEVEL 564
static const int16_t oq2[3] = { 0, 202, 926 };
static const int16_t wh[3] = { 0, -214, 798 };

/* ILA: the antilog table of SCALEL and SCALEH, 2^(i/32 + 1) - 1 as the
 * recommendation tabulates it (its rounding is not a formula's). */
static const int16_t ila[353] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4,
	4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6,
	7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9, 9, 9, 10,
	10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 13, 13, 13, 13, 14, 14,
	15, 15, 15, 16, 16, 16, 17, 17, 18, 18, 18, 19, 19, 20, 20, 21,
	21, 22, 22, 23, 23, 24, 24, 25, 25, 26, 27, 27, 28, 28, 29, 30,
	31, 31, 32, 33, 33, 34, 35, 36, 37, 37, 38, 39, 40, 41, 42, 43,
	44, 45, 46, 47, 48, 49, 50, 51, 52, 54, 55, 56, 57, 58, 60, 61,
	63, 64, 65, 67, 68, 70, 71, 73, 75, 76, 78, 80, 82, 83, 85, 87,
	89, 91, 93, 95, 97, 99, 102, 104, 106, 109, 111, 113, 116, 118, 121, 124,
	127, 129, 132, 135, 138, 141, 144, 147, 151, 154, 157, 161, 165, 168, 172, 176,
	180, 184, 188, 192, 196, 200, 205, 209, 214, 219, 223, 228, 233, 238, 244, 249,
	255, 260, 266, 272, 278, 284, 290, 296, 303, 310, 316, 323, 331, 338, 345, 353,
	361, 369, 377, 385, 393, 402, 411, 420, 429, 439, 448, 458, 468, 478, 489, 500,
	511, 522, 533, 545, 557, 569, 582, 594, 607, 621, 634, 648, 663, 677, 692, 707,
	723, 739, 755, 771, 788, 806, 823, 841, 860, 879, 898, 918, 938, 958, 979, 1001,
	1023, 1045, 1068, 1092, 1115, 1140, 1165, 1190, 1216, 1243, 1270, 1298, 1327, 1356, 1386, 1416,
	1447, 1479, 1511, 1544, 1578, 1613, 1648, 1684, 1721, 1759, 1797, 1837, 1877, 1918, 1960, 2003,
	2047, 2092, 2138, 2185, 2232, 2281, 2331, 2382, 2434, 2488, 2542, 2598, 2655, 2713, 2773, 2833,
	2895, 2959, 3024, 3090, 3157, 3227, 3297, 3370, 3443, 3519, 3596, 3675, 3755, 3837, 3921, 4007,
	4095,
};

/* ---------- code words ---------- */

/* A 4-bit lower-band code (the 6-bit code without its 2 LSBs) as a signed
 * magnitude: codes 1-7 are negative 7..1, 8-14 positive 7..1, 0 and 15
 * the zero level. */
static int code4_mag(unsigned c)
{
	return c >= 1 && c <= 7 ? 8 - (int)c : c >= 8 && c <= 14 ? 15 - (int)c : 0;
}

static int code4_neg(unsigned c)
{
	return c < 8;
}

/* A 6-bit code from the quantiser interval (1-30) and the sign. */
static unsigned code6(int mil, int neg)
{
	if (!neg)
		return (unsigned)(62 - mil);       /* 61 (smallest) .. 32 (largest) */
	return mil <= 2 ? (unsigned)(64 - mil) /* 63, 62 */
			: (unsigned)(34 - mil); /* 31 .. 4 */
}

/* The quantiser interval and sign of a received 6-bit code; the unused
 * codes 0-3 read as the smallest negative level. */
static int code6_mag(unsigned c, int *neg)
{
	if (c < 4) {
		*neg = 1;
		return 1;
	}
	if (c < 32) {
		*neg = 1;
		return 34 - (int)c;
	}
	if (c < 62) {
		*neg = 0;
		return 62 - (int)c;
	}
	*neg = 1;
	return 64 - (int)c;
}

/* Upper band: codes 0, 1 negative large, small; 2, 3 positive large, small. */
static int code2_mag(unsigned c)
{
	return c & 1 ? 1 : 2;
}

/* ---------- one sub-band's ADPCM state ---------- */

struct g722_band {
	int16_t s;        /* signal estimate (PREDIC) */
	int16_t sz;       /* its zero section (FILTEZ) */
	int16_t det;      /* quantiser scale factor */
	int16_t nb;       /* log scale factor */
	int16_t a[3];     /* pole predictor coefficients a1, a2 */
	int16_t b[7];     /* zero predictor coefficients b1..b6 */
	int16_t d[7];     /* quantised difference signal, d[0] the newest */
	int16_t p[3];     /* partial reconstructed signal */
	int16_t r[3];     /* reconstructed signal */
};

/* The reset state of the recommendation: all zero but the scale factor. */
static void band_reset(struct g722_band *b, int16_t det)
{
	memset(b, 0, sizeof(*b));
	b->det = det;
}

/* Block 4, shared by both bands and both directions: the adaptive
 * predictor follows the quantised difference dq. */
static void band_adapt(struct g722_band *b, int16_t dq)
{
	int neg0 = dq < 0, gain;
	int32_t wd, apl1, apl2, lim, sz;

	b->d[0] = dq;
	b->p[0] = sat16((int32_t)dq + b->sz);  /* PARREC */
	b->r[0] = sat16((int32_t)b->s + dq);   /* RECONS */

	/* UPZERO: sign-sign update of the zero section, then the delay line */
	gain = dq == 0 ? 0 : 128;
	for (int i = 6; i > 0; i--) {
		int g = (b->d[i] < 0) == neg0 ? gain : -gain;
		b->b[i] = sat16(g + mul15(b->b[i], 32640));
		b->d[i] = b->d[i - 1];
	}

	/* UPPOL2 (from the old a1) */
	wd = sat16((int32_t)b->a[1] * 4);
	if ((b->p[0] < 0) == (b->p[1] < 0))
		wd = sat16(-wd);
	wd >>= 7;
	wd += (b->p[0] < 0) == (b->p[2] < 0) ? 128 : -128;
	apl2 = sat16(wd + mul15(b->a[2], 32512));
	if (apl2 > 12288)
		apl2 = 12288;
	if (apl2 < -12288)
		apl2 = -12288;
	b->a[2] = (int16_t)apl2;

	/* UPPOL1 (bounded by the new a2), then the delay line */
	apl1 = sat16(((b->p[0] < 0) == (b->p[1] < 0) ? 192 : -192) + mul15(b->a[1], 32640));
	lim = 15360 - apl2;
	if (apl1 > lim)
		apl1 = lim;
	else if (apl1 < -lim)
		apl1 = -lim;
	b->a[1] = (int16_t)apl1;
	b->p[2] = b->p[1];
	b->p[1] = b->p[0];

	/* FILTEZ: sixth-order zero section, saturating after each term */
	sz = 0;
	for (int i = 6; i > 0; i--)
		sz = sat16(sz + mul15(sat16((int32_t)b->d[i] * 2), b->b[i]));
	b->sz = (int16_t)sz;

	/* FILTEP and PREDIC: second-order pole section */
	b->r[2] = b->r[1];
	b->r[1] = b->r[0];
	wd = sat16(mul15(b->a[1], sat16((int32_t)b->r[1] * 2)) +
		   mul15(b->a[2], sat16((int32_t)b->r[2] * 2)));
	b->s = sat16(wd + b->sz);
}

/* INVQAL: the 4-bit quantised difference of a lower-band code. */
static int16_t lo_invq4(const struct g722_band *b, unsigned code)
{
	unsigned c4 = code >> 2;
	int32_t v = (int32_t)oq4[code4_mag(c4)] * 8;
	return mul15(b->det, code4_neg(c4) ? -v : v);
}

/* LOGSCL and SCALEL: the lower band's scale factor follows the code. */
static void lo_scale(struct g722_band *b, unsigned code)
{
	int32_t nb = mul15(b->nb, 32512) + wl[code4_mag(code >> 2)];
	if (nb < 0)
		nb = 0;
	if (nb > 18432)
		nb = 18432;
	b->nb = (int16_t)nb;
	b->det = (int16_t)((ila[((nb >> 6) & 511) + 64] + 1) * 4);
}

/* INVQAH */
static int16_t hi_invq(const struct g722_band *b, unsigned code)
{
	int32_t v = (int32_t)oq2[code2_mag(code)] * 8;
	return mul15(code < 2 ? -v : v, b->det);
}

/* LOGSCH and SCALEH */
static void hi_scale(struct g722_band *b, unsigned code)
{
	int32_t nb = mul15(b->nb, 32512) + wh[code2_mag(code)];
	if (nb < 0)
		nb = 0;
	if (nb > 22528)
		nb = 22528;
	b->nb = (int16_t)nb;
	b->det = (int16_t)((ila[(nb >> 6) & 511] + 1) * 4);
}

/* Lower-band encoder: SUBTL, QUANTL, then the local decoder. */
static unsigned lo_encode(struct g722_band *b, int16_t xl)
{
	int16_t el = sat16((int32_t)xl - b->s);
	int32_t mag = el < 0 ? -(int32_t)el - 1 : el; /* one's complement */
	int mil;
	unsigned code;
	int16_t dq;

	for (mil = 1; mil < 30; mil++) {
		if (mul15(q6_level[mil] * 8, b->det) > mag)
			break;
	}
	code = code6(mil, el < 0);
	dq = lo_invq4(b, code);
	lo_scale(b, code);
	band_adapt(b, dq);
	return code;
}

/* Upper-band encoder: SUBTH, QUANTH, then the local decoder. */
static unsigned hi_encode(struct g722_band *b, int16_t xh)
{
	int16_t eh = sat16((int32_t)xh - b->s);
	int32_t mag = eh < 0 ? -(int32_t)eh - 1 : eh;
	int large = mag >= mul15(Q2_LEVEL * 8, b->det);
	unsigned code = eh < 0 ? (large ? 0 : 1) : (large ? 2 : 3);
	int16_t dq = hi_invq(b, code);

	hi_scale(b, code);
	band_adapt(b, dq);
	return code;
}

/* Lower-band decoder (64 kbit/s): the output uses all 6 bits (INVQBL),
 * the predictor the same 4 bits as the encoder's. */
static int16_t lo_decode(struct g722_band *b, unsigned code)
{
	int neg, mag = code6_mag(code, &neg);
	int32_t v = (int32_t)oq6[mag] * 8;
	int16_t out = limit15(sat16((int32_t)b->s + mul15(b->det, neg ? -v : v)));
	int16_t dq = lo_invq4(b, code);

	lo_scale(b, code);
	band_adapt(b, dq);
	return out;
}

static int16_t hi_decode(struct g722_band *b, unsigned code)
{
	int16_t dq = hi_invq(b, code);
	int16_t out = limit15(sat16((int32_t)b->s + dq));

	hi_scale(b, code);
	band_adapt(b, dq);
	return out;
}

/* ---------- QMF and the two directions ---------- */

struct g722_coder {
	int16_t x[24];        /* QMF delay line, x[0] the newest */
	struct g722_band lo, hi;
};

static void coder_reset(struct g722_coder *c)
{
	memset(c->x, 0, sizeof(c->x));
	band_reset(&c->lo, 32);
	band_reset(&c->hi, 8);
}

/* Push two values into a QMF delay line; even and odd taps give the two
 * polyphase sums. */
static void qmf_push(int16_t *x, int16_t older, int16_t newer, int32_t *even, int32_t *odd)
{
	int32_t e = 0, o = 0;

	memmove(x + 2, x, 22 * sizeof(*x));
	x[1] = older;
	x[0] = newer;
	for (int i = 0; i < 24; i += 2) {
		e += (int32_t)qmf_h[i] * x[i];
		o += (int32_t)qmf_h[i + 1] * x[i + 1];
	}
	*even = e;
	*odd = o;
}

/* Two input samples to one code word: transmit QMF, then both bands. */
static uint8_t encode_pair(struct g722_coder *c, int16_t first, int16_t second)
{
	int32_t e, o;
	unsigned il, ih;

	qmf_push(c->x, first, second, &e, &o);
	/* >> 14 rounds down, as the reference's 32-bit shift does */
	il = lo_encode(&c->lo, limit15((e + o) >> 14));
	ih = hi_encode(&c->hi, limit15((e - o) >> 14));
	return (uint8_t)(ih << 6 | il);
}

/* One code word to two output samples: both bands, then receive QMF. */
static void decode_pair(struct g722_coder *c, uint8_t code, int16_t *out)
{
	int16_t rl = lo_decode(&c->lo, code & 0x3f);
	int16_t rh = hi_decode(&c->hi, code >> 6);
	int32_t e, o;

	qmf_push(c->x, sat16((int32_t)rl + rh), sat16((int32_t)rl - rh), &e, &o);
	out[0] = sat16(e >> 11);
	out[1] = sat16(o >> 11);
}

/* ---------- the codec ---------- */

#define G722_HIST 960       /* 60 ms at 16 kHz: the longest frame remembered */
#define G722_FADE_FRAMES 5  /* concealment reaches silence after 5 lost frames */
#define G722_QMF_DELAY 22   /* samples the encoder-decoder chain lags behind */

struct g722_state {
	struct g722_coder enc, dec;
	struct g722_coder plc;  /* codes the concealment for dec */
	int16_t hist[G722_HIST];
	size_t hist_len;        /* samples of the last good frame */
	size_t hist_pos;        /* where concealment's input continues in hist */
	unsigned lost;          /* lost frames in a row */
};

static int g722_init(void *st, const struct codec *c, const char *fmtp)
{
	struct g722_state *s = st;
	(void)c;
	(void)fmtp; /* G.722 has no fmtp parameters */
	coder_reset(&s->enc);
	coder_reset(&s->dec);
	return 0;
}

static int g722_enc(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t outsize,
		    size_t *outlen)
{
	struct g722_state *s = st;

	if (n % 2)
		return EINVAL;
	if (n / 2 > outsize)
		return ENOSPC;
	for (size_t i = 0; i < n / 2; i++)
		out[i] = encode_pair(&s->enc, pcm[2 * i], pcm[2 * i + 1]);
	*outlen = n / 2;
	return 0;
}

static int g722_dec(void *st, const uint8_t *p, size_t len, int16_t *pcm, size_t max,
		    size_t *nsamples)
{
	struct g722_state *s = st;
	size_t n;

	if (len > max / 2)
		return ENOSPC;
	for (size_t i = 0; i < len; i++)
		decode_pair(&s->dec, p[i], pcm + 2 * i);
	n = 2 * len;
	if (n) {
		/* keep the tail of the frame for concealment */
		const int16_t *from = n > G722_HIST ? pcm + n - G722_HIST : pcm;
		s->hist_len = n > G722_HIST ? G722_HIST : n;
		memcpy(s->hist, from, s->hist_len * sizeof(*from));
		/* the concealment input runs ahead of the output by the
		 * codec's delay, so that what comes out lines up */
		s->hist_pos = G722_QMF_DELAY % s->hist_len;
		s->lost = 0;
	}
	*nsamples = n;
	return 0;
}

/* The next sample of the last good frame, repeated. */
static int16_t repeat_sample(struct g722_state *s)
{
	int16_t v = s->hist[s->hist_pos];

	if (++s->hist_pos == s->hist_len)
		s->hist_pos = 0;
	return v;
}

/* Repeat-and-fade concealment through the decoder's state (see the top). */
static void g722_plc(void *st, int16_t *pcm, size_t n)
{
	struct g722_state *s = st;
	const int32_t step = 32768 / G722_FADE_FRAMES; /* Q15 gain lost per frame */
	int32_t g0;

	if (!s->hist_len || s->lost >= G722_FADE_FRAMES) {
		/* silence; the decoder keeps the state the speech left */
		memset(pcm, 0, n * sizeof(*pcm));
		if (s->lost < G722_FADE_FRAMES)
			s->lost++;
		return;
	}
	if (s->lost == 0) {
		/* the encoder's QMF line holds the input that precedes the
		 * first sample it codes: the end of the last frame, continued
		 * by the repetition */
		size_t pos = s->hist_pos;
		for (size_t k = 0; k < 24; k++) {
			pos = (pos + s->hist_len - 1) % s->hist_len;
			s->plc.x[k] = s->hist[pos];
		}
	}
	/* an encoder whose ADPCM state is the decoder's makes codes that move
	 * the decoder exactly as they move the encoder; it codes the
	 * repetition at full level, as the peer's encoder goes on hearing
	 * speech, and only the output fades */
	s->plc.lo = s->dec.lo;
	s->plc.hi = s->dec.hi;
	for (size_t i = 0; i + 1 < n; i += 2) {
		int16_t a = repeat_sample(s);
		int16_t b = repeat_sample(s);
		decode_pair(&s->dec, encode_pair(&s->plc, a, b), pcm + i);
	}
	if (n % 2)
		pcm[n - 1] = n > 1 ? pcm[n - 2] : 0;
	g0 = 32768 - (int32_t)s->lost * step;
	for (size_t i = 0; i < n; i++) {
		int32_t g = g0 - (int32_t)((int64_t)step * (int64_t)i / (int64_t)n);
		pcm[i] = (int16_t)(((int32_t)pcm[i] * (g < 0 ? 0 : g)) >> 15);
	}
	s->lost++;
}

const struct codec codec_g722 = {
	.name = "G722",
	.clock_rate = 8000, /* RFC 3551: the rtpmap rate is 8000 */
	.srate = 16000,
	.channels = 1,
	.pt = 9,
	.fmtp = NULL,
	.ptime_ms = 20,
	.state_size = sizeof(struct g722_state),
	.init = g722_init,
	.deinit = NULL,
	.encode = g722_enc,
	.decode = g722_dec,
	.plc = g722_plc,
	.decode_fec = NULL,
};
