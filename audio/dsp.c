/* audio/dsp.c: the microphone's voice processing, a thin owner of
 * speexdsp's echo canceller and preprocessor.
 *
 * Cost: the MDF canceller runs one FFT per frame per filter block; with
 * the 200 ms default tail at 8 kHz that is 10 blocks of 160 samples, at
 * 48 kHz 10 blocks of 960.  The preprocessor adds one FFT pair.  Nothing
 * here allocates after dsp_alloc.
 *
 * Residual echo suppression lives in the preprocessor's gain stage, which
 * speexdsp applies only while its denoiser is enabled.  So with the echo
 * canceller on the denoiser stays enabled; when noise suppression is off
 * its noise attenuation is set to 0 dB and only echo is suppressed. */
#include <errno.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <stdlib.h>
#include <string.h>

#include "audio/dsp.h"
#include "xmalloc.h"

struct dsp {
	struct dsp_cfg cfg;
	uint32_t rate;
	size_t n;                    /* samples per frame */
	SpeexEchoState *echo;
	SpeexPreprocessState *pp;
	/* far-end history: the last hist_len frames given to dsp_playback */
	int16_t *hist;
	size_t hist_len;             /* delay frames + 1 */
	uint64_t played;             /* frames given to dsp_playback since reset */
	int16_t *silence;            /* a frame of zeros: the reference before any */
	int16_t *out;                /* the canceller's output */
};

void dsp_cfg_default(struct dsp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tail_ms = DSP_TAIL_MS_DEFAULT;
	cfg->ns_db = DSP_NS_DB_DEFAULT;
	cfg->agc_level = DSP_AGC_LEVEL_DEFAULT;
}

/* Push the on/off switches into the preprocessor. */
static void apply(struct dsp *d)
{
	spx_int32_t denoise = d->cfg.ns || d->cfg.aec;
	spx_int32_t level = d->cfg.ns ? d->cfg.ns_db : 0;
	spx_int32_t agc = d->cfg.agc;

	speex_preprocess_ctl(d->pp, SPEEX_PREPROCESS_SET_DENOISE, &denoise);
	speex_preprocess_ctl(d->pp, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &level);
	speex_preprocess_ctl(d->pp, SPEEX_PREPROCESS_SET_AGC, &agc);
	speex_preprocess_ctl(d->pp, SPEEX_PREPROCESS_SET_ECHO_STATE, d->cfg.aec ? d->echo : NULL);
}

/* A fresh canceller: its filter and the far-end history forgotten. */
static void echo_reset(struct dsp *d)
{
	speex_echo_state_reset(d->echo);
	memset(d->hist, 0, d->hist_len * d->n * sizeof(*d->hist));
	d->played = 0;
}

int dsp_alloc(struct dsp **dp, uint32_t rate, size_t frame_samples, const struct dsp_cfg *cfg)
{
	struct dsp_cfg c;
	struct dsp *d;
	spx_int32_t v;
	size_t tail, delay;

	dsp_cfg_default(&c);
	if (cfg) {
		c = *cfg;
		if (!c.tail_ms)
			c.tail_ms = DSP_TAIL_MS_DEFAULT;
		if (!c.ns_db)
			c.ns_db = DSP_NS_DB_DEFAULT;
		if (!c.agc_level)
			c.agc_level = DSP_AGC_LEVEL_DEFAULT;
	}
	if (rate < 8000 || rate > 48000 || !frame_samples || frame_samples > 4800 ||
	    frame_samples * 10 > rate || c.tail_ms > DSP_TAIL_MS_MAX ||
	    c.delay_ms > DSP_DELAY_MS_MAX || c.ns_db > 0 || c.ns_db < -100 ||
	    c.agc_level > 32767)
		return EINVAL;

	d = xcalloc(1, sizeof(*d));
	d->cfg = c;
	d->rate = rate;
	d->n = frame_samples;
	tail = (size_t)rate * c.tail_ms / 1000;
	if (tail < frame_samples)
		tail = frame_samples;
	delay = ((size_t)rate * c.delay_ms / 1000 + frame_samples / 2) / frame_samples;
	d->hist_len = delay + 1;
	d->hist = xcalloc(d->hist_len * frame_samples, sizeof(*d->hist));
	d->silence = xcalloc(frame_samples, sizeof(*d->silence));
	d->out = xcalloc(frame_samples, sizeof(*d->out));
	d->echo = speex_echo_state_init((int)frame_samples, (int)tail);
	d->pp = speex_preprocess_state_init((int)frame_samples, (int)rate);
	if (!d->echo || !d->pp)
		abort(); /* speexdsp allocates with calloc and does not check it */
	v = (spx_int32_t)rate;
	speex_echo_ctl(d->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &v);
	v = (spx_int32_t)c.agc_level;
	speex_preprocess_ctl(d->pp, SPEEX_PREPROCESS_SET_AGC_TARGET, &v);
	apply(d);
	*dp = d;
	return 0;
}

void dsp_free(struct dsp *d)
{
	if (!d)
		return;
	if (d->pp)
		speex_preprocess_state_destroy(d->pp);
	if (d->echo)
		speex_echo_state_destroy(d->echo);
	free(d->hist);
	free(d->silence);
	free(d->out);
	free(d);
}

/* Remember the frame for the microphone frames it will echo in. */
void dsp_playback(struct dsp *d, const int16_t *far)
{
	if (!d->cfg.aec)
		return;
	memcpy(d->hist + (d->played % d->hist_len) * d->n, far, d->n * sizeof(*far));
	d->played++;
}

/* The reference for this microphone frame: the newest far-end frame,
 * delay frames back (silence before there was one). */
static const int16_t *reference(const struct dsp *d)
{
	uint64_t back = d->hist_len - 1;
	if (d->played <= back)
		return d->silence;
	return d->hist + ((d->played - 1 - back) % d->hist_len) * d->n;
}

void dsp_capture(struct dsp *d, int16_t *mic)
{
	if (d->cfg.aec) {
		speex_echo_cancellation(d->echo, mic, reference(d), d->out);
		memcpy(mic, d->out, d->n * sizeof(*mic));
	}
	if (d->cfg.aec || d->cfg.ns || d->cfg.agc)
		speex_preprocess_run(d->pp, mic);
}

static bool *flag(struct dsp_cfg *c, const char *what)
{
	if (!strcmp(what, "aec"))
		return &c->aec;
	if (!strcmp(what, "ns"))
		return &c->ns;
	if (!strcmp(what, "agc"))
		return &c->agc;
	return NULL;
}

int dsp_set(struct dsp *d, const char *what, bool on)
{
	bool *f = flag(&d->cfg, what);

	if (!f)
		return EINVAL;
	if (*f == on)
		return 0;
	*f = on;
	if (f == &d->cfg.aec && on)
		echo_reset(d);
	apply(d);
	return 0;
}

bool dsp_get(const struct dsp *d, const char *what)
{
	struct dsp_cfg c = d->cfg;
	bool *f = flag(&c, what);
	return f && *f;
}

const struct dsp_cfg *dsp_config(const struct dsp *d)
{
	return &d->cfg;
}
