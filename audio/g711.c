/* g711.c: ITU-T G.711 mu-law (PCMU) and A-law (PCMA), from the standard's
 * segment tables, with repeat-and-fade packet loss concealment.
 *
 * G.711 is defined on 14-bit (mu-law) and 13-bit (A-law) uniform PCM.  A
 * 16-bit sample is first rounded to that width (round half up, saturating),
 * then placed in its segment (chord) and quantisation step.  Decoding
 * returns the step's reconstruction value scaled back to 16 bits.  Both
 * directions are bit-exact with SoX 14.4 (sox -D ... -e mu-law / -e a-law)
 * for all 65536 inputs and 256 codes; the unit test holds the checksums. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"

#define ULAW_BIAS 33     /* 0x84 >> 2 */
#define ULAW_CLIP 8159   /* largest 14-bit magnitude below the top decision value */

/* The segment of v: segment s ends at (first << s) - 1 (first: 0x40 for
 * mu-law on |x| + 33, 0x20 for A-law on the 13-bit magnitude), so s is
 * the bit length of v / first (8: beyond the last segment).  A count of
 * leading zeros instead of a walk through the segment ends: this runs for
 * every sample of every call. */
static unsigned segment(unsigned v, unsigned first_shift)
{
	unsigned q = v >> first_shift;
	return q ? 32u - (unsigned)__builtin_clz(q) : 0;
}

uint8_t g711_ulaw_encode(int16_t x)
{
	/* 16 -> 14 bits, rounding half up; 32766 and 32767 saturate at 8191 */
	int v = ((int)x + 2) >> 2;
	unsigned mag, seg, mask;

	if (v > 8191)
		v = 8191;
	if (v < 0) {
		mag = (unsigned)-v;
		mask = 0x7f;
	} else {
		mag = (unsigned)v;
		mask = 0xff;
	}
	if (mag > ULAW_CLIP)
		mag = ULAW_CLIP;
	mag += ULAW_BIAS;
	seg = segment(mag, 6);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((mag >> (seg + 1)) & 0xf)) ^ mask);
}

int16_t g711_ulaw_decode(uint8_t u)
{
	int t;

	u = (uint8_t)~u;
	t = ((u & 0x0f) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

uint8_t g711_alaw_encode(int16_t x)
{
	/* 16 -> 13 bits, rounding half up, saturating at 4095 */
	int v = ((int)x + 4) >> 3;
	unsigned mag, seg, mask, a;

	if (v > 4095)
		v = 4095;
	if (v >= 0) {
		mag = (unsigned)v;
		mask = 0xd5;
	} else {
		/* A-law has no zero level: -1 is the first negative step */
		mag = (unsigned)(-v - 1);
		mask = 0x55;
	}
	seg = segment(mag, 5);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	a = seg << 4;
	a |= seg < 2 ? (mag >> 1) & 0xf : (mag >> seg) & 0xf;
	return (uint8_t)(a ^ mask);
}

int16_t g711_alaw_decode(uint8_t a)
{
	int t, seg;

	a ^= 0x55;
	t = (a & 0x0f) << 4;
	seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else if (seg == 1)
		t += 0x108;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

/* ---------- the codec: stateless encoder, decoder with PLC history ---------- */

#define G711_HIST 480      /* 60 ms at 8 kHz: the longest frame remembered */
#define G711_FADE_FRAMES 5 /* concealment reaches silence after 5 lost frames */

struct g711_state {
	int16_t hist[G711_HIST];
	size_t hist_len;   /* samples of the last good frame */
	size_t hist_pos;   /* where concealment continues in hist */
	unsigned lost;     /* lost frames in a row */
};

static int g711_init(void *st, const struct codec *c, const char *fmtp)
{
	(void)st;
	(void)c;
	(void)fmtp; /* G.711 has no fmtp parameters */
	return 0;
}

/* The loops call the law directly (not through a pointer) so that it is
 * inlined into them. */
static int ulaw_enc(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t outsize,
		    size_t *outlen)
{
	(void)st;
	if (n > outsize)
		return ENOSPC;
	for (size_t i = 0; i < n; i++)
		out[i] = g711_ulaw_encode(pcm[i]);
	*outlen = n;
	return 0;
}

static int alaw_enc(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t outsize,
		    size_t *outlen)
{
	(void)st;
	if (n > outsize)
		return ENOSPC;
	for (size_t i = 0; i < n; i++)
		out[i] = g711_alaw_encode(pcm[i]);
	*outlen = n;
	return 0;
}

/* Keep the tail of a good frame for concealment. */
static void remember(struct g711_state *s, const int16_t *pcm, size_t n)
{
	if (n > G711_HIST) {
		pcm += n - G711_HIST;
		n = G711_HIST;
	}
	memcpy(s->hist, pcm, n * sizeof(*pcm));
	s->hist_len = n;
	s->hist_pos = 0;
	s->lost = 0;
}

static int decode(struct g711_state *s, int16_t (*law)(uint8_t), const uint8_t *p,
		  size_t len, int16_t *pcm, size_t max, size_t *nsamples)
{
	if (len > max)
		return ENOSPC;
	for (size_t i = 0; i < len; i++)
		pcm[i] = law(p[i]);
	if (len)
		remember(s, pcm, len);
	*nsamples = len;
	return 0;
}

static int ulaw_dec(void *st, const uint8_t *p, size_t len, int16_t *pcm, size_t max,
		    size_t *nsamples)
{
	return decode(st, g711_ulaw_decode, p, len, pcm, max, nsamples);
}

static int alaw_dec(void *st, const uint8_t *p, size_t len, int16_t *pcm, size_t max,
		    size_t *nsamples)
{
	return decode(st, g711_alaw_decode, p, len, pcm, max, nsamples);
}

/* Repeat the last good frame, fading linearly to silence over
 * G711_FADE_FRAMES lost frames (a ramp inside each frame, so no steps). */
static void g711_plc(void *st, int16_t *pcm, size_t n)
{
	struct g711_state *s = st;
	const int32_t step = 32768 / G711_FADE_FRAMES; /* Q15 gain lost per frame */
	int32_t g0;

	if (!s->hist_len || s->lost >= G711_FADE_FRAMES) {
		memset(pcm, 0, n * sizeof(*pcm));
		if (s->lost < G711_FADE_FRAMES)
			s->lost++;
		return;
	}
	g0 = 32768 - (int32_t)s->lost * step;
	for (size_t i = 0; i < n; i++) {
		int32_t g = g0 - (int32_t)((int64_t)step * (int64_t)i / (int64_t)n);
		if (g < 0)
			g = 0;
		pcm[i] = (int16_t)(((int32_t)s->hist[s->hist_pos] * g) >> 15);
		if (++s->hist_pos == s->hist_len)
			s->hist_pos = 0;
	}
	s->lost++;
}

const struct codec codec_pcmu = {
	.name = "PCMU",
	.clock_rate = 8000,
	.srate = 8000,
	.channels = 1,
	.pt = 0,
	.fmtp = NULL,
	.ptime_ms = 20,
	.state_size = sizeof(struct g711_state),
	.init = g711_init,
	.deinit = NULL,
	.encode = ulaw_enc,
	.decode = ulaw_dec,
	.plc = g711_plc,
};

const struct codec codec_pcma = {
	.name = "PCMA",
	.clock_rate = 8000,
	.srate = 8000,
	.channels = 1,
	.pt = 8,
	.fmtp = NULL,
	.ptime_ms = 20,
	.state_size = sizeof(struct g711_state),
	.init = g711_init,
	.deinit = NULL,
	.encode = alaw_enc,
	.decode = alaw_dec,
	.plc = g711_plc,
};
