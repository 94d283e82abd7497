/* audio/resample.h: sample rate conversion (speexdsp's resampler) for the
 * media path: device rate <-> codec rate, mono PCM16, fixed-size frames. */
#ifndef SIPTERM_AUDIO_RESAMPLE_H
#define SIPTERM_AUDIO_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

struct resampler;

int resampler_alloc(struct resampler **rp, uint32_t in_rate, uint32_t out_rate);
void resampler_free(struct resampler *r);
int resampler_process(struct resampler *r, const int16_t *in, size_t nin, int16_t *out,
		      size_t *nout);
uint32_t resampler_in_rate(const struct resampler *r);
uint32_t resampler_out_rate(const struct resampler *r);

#endif
