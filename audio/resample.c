/* audio/resample.c: a thin owner of a speexdsp resampler.  Quality 5 is
 * speexdsp's "VoIP" default: cheap enough per 20 ms frame, transparent
 * for speech. */
#include <errno.h>
#include <speex/speex_resampler.h>
#include <stdlib.h>

#include "audio/resample.h"
#include "xmalloc.h"

struct resampler {
	SpeexResamplerState *st;
	uint32_t in_rate, out_rate;
};

int resampler_alloc(struct resampler **rp, uint32_t in_rate, uint32_t out_rate)
{
	struct resampler *r;
	int err = 0;

	if (!in_rate || !out_rate)
		return EINVAL;
	r = xcalloc(1, sizeof(*r));
	r->st = speex_resampler_init(1, in_rate, out_rate, 5, &err);
	if (!r->st || err) {
		free(r);
		return EINVAL;
	}
	speex_resampler_skip_zeros(r->st);
	r->in_rate = in_rate;
	r->out_rate = out_rate;
	*rp = r;
	return 0;
}

void resampler_free(struct resampler *r)
{
	if (!r)
		return;
	speex_resampler_destroy(r->st);
	free(r);
}

/* *nout: room in out on entry, samples written on return. */
int resampler_process(struct resampler *r, const int16_t *in, size_t nin, int16_t *out,
		      size_t *nout)
{
	spx_uint32_t il = (spx_uint32_t)nin, ol = (spx_uint32_t)*nout;
	if (speex_resampler_process_int(r->st, 0, in, &il, out, &ol) != RESAMPLER_ERR_SUCCESS)
		return EIO;
	*nout = ol;
	return 0;
}

uint32_t resampler_in_rate(const struct resampler *r)
{
	return r->in_rate;
}

uint32_t resampler_out_rate(const struct resampler *r)
{
	return r->out_rate;
}
