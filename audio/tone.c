/* tone.c: tone generator.  A cadence is a list of on/off durations (even
 * index on); the generator walks it sample by sample.  Sines come from a
 * phase accumulator and sin(): two calls per sample, negligible at 48 kHz,
 * and exact at any rate. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "tone.h"

struct tone_cadence {
	const uint16_t *ms;    /* segment lengths; even index sounding */
	unsigned n;
	bool repeat;
};

#define CAD(name, rep, ...) \
	static const uint16_t name##_ms[] = { __VA_ARGS__ }; \
	static const struct tone_cadence name = { name##_ms, \
		sizeof(name##_ms) / sizeof(name##_ms[0]), rep }

CAD(cad_ringback, true, 1000, 4000);
CAD(cad_busy, true, 500, 500);
CAD(cad_congestion, true, 250, 250);
CAD(cad_waiting, false, 200, 200, 200);
CAD(cad_dtmf, false, 100);
CAD(cad_ringing, true, 400, 200, 400, 2000);

#define TONE_HZ 425.0
#define TONE_AMP 8000.0        /* about -12 dBFS */
#define DTMF_AMP 6000.0        /* each of the two */
#define RAMP_MS 2

static const double two_pi = 6.283185307179586476925286766559;

int tone_dtmf_freqs(char digit, unsigned *row_hz, unsigned *col_hz)
{
	static const char keys[] = "123A456B789C*0#D";
	static const unsigned rows[4] = { 697, 770, 852, 941 };
	static const unsigned cols[4] = { 1209, 1336, 1477, 1633 };
	const char *k;

	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	k = digit ? strchr(keys, digit) : NULL;
	if (!k)
		return EINVAL;
	*row_hz = rows[(k - keys) / 4];
	*col_hz = cols[(k - keys) % 4];
	return 0;
}

void tone_init(struct tone *t, uint32_t srate)
{
	memset(t, 0, sizeof(*t));
	t->srate = srate ? srate : 8000;
}

static void enter_segment(struct tone *t, unsigned seg)
{
	t->seg = seg;
	t->pos = 0;
	t->seg_len = (uint32_t)((uint64_t)t->cad->ms[seg] * t->srate / 1000);
	t->ph1 = t->ph2 = 0;
}

int tone_start(struct tone *t, enum tone_kind kind, char digit)
{
	unsigned r = 0, c = 0;

	tone_stop(t);
	switch (kind) {
	case TONE_NONE:
		return 0;
	case TONE_RINGBACK:
		t->cad = &cad_ringback;
		break;
	case TONE_BUSY:
		t->cad = &cad_busy;
		break;
	case TONE_CONGESTION:
		t->cad = &cad_congestion;
		break;
	case TONE_WAITING:
		t->cad = &cad_waiting;
		break;
	case TONE_DTMF:
		if (tone_dtmf_freqs(digit, &r, &c))
			return EINVAL;
		t->cad = &cad_dtmf;
		break;
	case TONE_RINGING:
		t->cad = &cad_ringing;
		r = 400;
		c = 450;
		break;
	default:
		return EINVAL;
	}
	if (kind == TONE_DTMF || kind == TONE_RINGING) {
		t->f1 = r;
		t->f2 = c;
		t->amp = DTMF_AMP;
	} else {
		t->f1 = TONE_HZ;
		t->f2 = 0;
		t->amp = TONE_AMP;
	}
	t->inc1 = two_pi * t->f1 / t->srate;
	t->inc2 = two_pi * t->f2 / t->srate;
	t->kind = kind;
	enter_segment(t, 0);
	return 0;
}

void tone_stop(struct tone *t)
{
	t->kind = TONE_NONE;
	t->cad = NULL;
}

bool tone_active(const struct tone *t)
{
	return t->kind != TONE_NONE;
}

bool tone_fill(struct tone *t, int16_t *pcm, size_t n)
{
	uint32_t ramp = t->srate * RAMP_MS / 1000;
	size_t i = 0;

	while (i < n && t->kind != TONE_NONE) {
		if (t->pos >= t->seg_len) {
			unsigned next = t->seg + 1;
			if (next == t->cad->n) {
				if (!t->cad->repeat) {
					tone_stop(t);
					break;
				}
				next = 0;
			}
			enter_segment(t, next);
			continue;
		}
		if (t->seg % 2) {
			/* off: skip ahead in one go */
			size_t k = n - i;
			if (k > t->seg_len - t->pos)
				k = t->seg_len - t->pos;
			memset(pcm + i, 0, k * sizeof(*pcm));
			i += k;
			t->pos += (uint32_t)k;
			continue;
		}
		{
			double g = 1.0, v;
			uint32_t left = t->seg_len - t->pos;
			if (ramp && t->pos < ramp)
				g = (double)t->pos / ramp;
			if (ramp && left < ramp && (double)left / ramp < g)
				g = (double)left / ramp;
			v = sin(t->ph1);
			if (t->f2 > 0)
				v += sin(t->ph2);
			pcm[i++] = (int16_t)lrint(v * t->amp * g);
			t->ph1 += t->inc1;
			if (t->ph1 >= two_pi)
				t->ph1 -= two_pi;
			t->ph2 += t->inc2;
			if (t->ph2 >= two_pi)
				t->ph2 -= two_pi;
			t->pos++;
		}
	}
	if (i < n)
		memset(pcm + i, 0, (n - i) * sizeof(*pcm));
	return t->kind != TONE_NONE;
}
