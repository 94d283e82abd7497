/* audio/dsp.h: voice processing on the microphone path: acoustic echo
 * cancellation, noise suppression and automatic gain control (speexdsp's
 * MDF echo canceller and its preprocessor).
 *
 * One struct dsp per call (or per device), all calls on one thread (the
 * engine's frame tick).  Frames are mono int16_t of the frame_samples given
 * to dsp_alloc (20 ms at the device rate: 160, 320 or 960 samples).
 * Everything is allocated in dsp_alloc; dsp_playback, dsp_capture and
 * dsp_set allocate nothing.
 *
 * Per frame tick, for each capture frame the device gave:
 *   dsp_capture(d, mic);     the microphone frame, cleaned in place
 *   dsp_playback(d, far);    the frame pushed to the speaker this tick
 * (the other order works as well).
 *
 * The echo reference and the delay.  What goes to the speaker comes back
 * through the microphone some frames later: the playback ring's priming
 * (one frame), the card's output and input buffers, the air.  The echo
 * canceller's adaptive filter models any echo delay shorter than its tail,
 * but only a causal one: the reference it gets with a microphone frame
 * must not be later than the sound that frame holds.  dsp_capture
 * therefore uses the newest frame given to dsp_playback, delay_ms older
 * (delay_ms 0: the newest).  The newest played frame cannot be in the
 * microphone yet, so the reference always leads the echo; what the lead is
 * costs tail: echo paths up to about tail_ms - (output + input latency -
 * delay_ms) are cancelled.  Set delay_ms to a latency the device reports
 * to spend the whole tail on the room.
 * speexdsp's own speex_echo_playback/speex_echo_capture pair keeps a
 * similar two-frame buffer for a playback thread and a capture thread, but
 * writes a warning to stderr on every xrun; here both sides are driven in
 * lockstep from the engine's tick, so a history of frames we own is
 * enough and nothing is printed. */
#ifndef SIPTERM_AUDIO_DSP_H
#define SIPTERM_AUDIO_DSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DSP_TAIL_MS_DEFAULT 200
#define DSP_TAIL_MS_MAX 1000
#define DSP_DELAY_MS_MAX 500
#define DSP_NS_DB_DEFAULT (-15)   /* noise attenuation, dB (speexdsp's default) */
#define DSP_AGC_LEVEL_DEFAULT 8000 /* target loudness, linear sample units */

struct dsp_cfg {
	bool aec;                /* echo cancellation (with residual echo suppression) */
	uint32_t tail_ms;        /* echo tail the filter covers; 0: 200 */
	uint32_t delay_ms;       /* known playback-to-capture latency to skip; 0 */
	bool ns;                 /* noise suppression */
	int ns_db;               /* attenuation of noise, dB below 0; 0: -15 */
	bool agc;                /* automatic gain control */
	uint32_t agc_level;      /* target level, 1..32767; 0: 8000 */
};

struct dsp;

/* Everything off, the default levels. */
void dsp_cfg_default(struct dsp_cfg *cfg);
/* EINVAL: rate not 8000..48000, frame_samples not 1..4800 (at most 100 ms),
 * or a level out of range (tail_ms above 1000, delay_ms above 500, ns_db
 * above 0 or below -100, agc_level above 32767). */
int dsp_alloc(struct dsp **dp, uint32_t rate, size_t frame_samples, const struct dsp_cfg *cfg);
void dsp_free(struct dsp *d);
/* The frame that goes to the speaker: the echo reference. */
void dsp_playback(struct dsp *d, const int16_t *far);
/* A microphone frame, in place: echo cancelled with the matching far-end
 * frames, then residual echo, noise and gain by the preprocessor. */
void dsp_capture(struct dsp *d, int16_t *mic);
/* Switch "aec", "ns" or "agc" on or off while running.  Turning the echo
 * canceller on starts it afresh (its filter and the far-end history are
 * cleared).  EINVAL for another name. */
int dsp_set(struct dsp *d, const char *what, bool on);
bool dsp_get(const struct dsp *d, const char *what);
const struct dsp_cfg *dsp_config(const struct dsp *d);

#endif
