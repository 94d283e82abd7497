/* codec.h: audio codecs behind one interface, and the registry the SDP code
 * picks from.
 *
 * A codec is a constant description plus five operations on a per-call
 * state (and a sixth, optional, for codecs with in-band FEC).  PCM on the
 * sipterm side is always mono int16_t at srate; channels is what the SDP
 * rtpmap line says (opus/48000/2 is still decoded to mono).
 * A frame is ptime_ms of audio: codec_frame_samples() PCM samples and
 * codec_frame_ts() RTP timestamp units (they differ for G.722, whose RTP
 * clock is 8000 while it samples at 16000).
 *
 * telephone-event (RFC 4733) is not a codec: RTP events are signalling and
 * live with the RTP code.
 *
 * Adding a codec: a file that defines a `const struct codec` and one line in
 * the table in codec.c. */
#ifndef SIPTERM_AUDIO_CODEC_H
#define SIPTERM_AUDIO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODEC_PT_DYNAMIC (-1)

struct codec {
	const char *name;       /* SDP encoding name: "PCMU", "PCMA", "G722", "opus" */
	uint32_t clock_rate;    /* RTP clock (rtpmap rate) */
	uint32_t srate;         /* PCM sample rate */
	unsigned channels;      /* rtpmap channels (PCM is always mono) */
	int pt;                 /* static payload type, or CODEC_PT_DYNAMIC */
	const char *fmtp;       /* default a=fmtp parameters, or NULL */
	uint32_t ptime_ms;      /* frame duration: 20 */
	size_t state_size;      /* bytes codec_state_alloc zeroes for the codec */

	/* Prepare a zeroed state; fmtp is the negotiated a=fmtp or NULL.
	 * 0, EINVAL for parameters it cannot honour, or the library's error. */
	int (*init)(void *st, const struct codec *c, const char *fmtp);
	/* Release what init acquired (may be NULL). */
	void (*deinit)(void *st);
	/* nsamples of PCM (one frame) into at most outsize payload bytes.
	 * 0 with *outlen set, ENOSPC when out is too small. */
	int (*encode)(void *st, const int16_t *pcm, size_t nsamples, uint8_t *out,
		      size_t outsize, size_t *outlen);
	/* One payload into at most maxsamples of PCM.  0 with *nsamples set,
	 * ENOSPC when pcm is too small, EBADMSG for an undecodable payload. */
	int (*decode)(void *st, const uint8_t *payload, size_t len, int16_t *pcm,
		      size_t maxsamples, size_t *nsamples);
	/* Fill nsamples of PCM for a packet that never came.  Successive calls
	 * without a decode in between are successive lost frames. */
	void (*plc)(void *st, int16_t *pcm, size_t nsamples);
	/* Optional (NULL: none): rebuild a lost frame from the redundancy
	 * carried by the packet that follows it (Opus in-band FEC), instead of
	 * plc.  next is that following packet, which is still decoded in its
	 * own turn; nsamples is the lost frame's length.  0 with *outn set,
	 * EBADMSG for an undecodable payload, ENOSPC when nsamples is not a
	 * length the codec can rebuild. */
	int (*decode_fec)(void *st, const uint8_t *next, size_t len, int16_t *pcm,
			  size_t nsamples, size_t *outn);
};

/* The registry, in order of preference.  Names match case-insensitively
 * (RFC 4566: encoding names are case-insensitive); channels 0 means 1. */
const struct codec *codec_find(const char *name, uint32_t clock_rate, unsigned channels);
const struct codec *codec_find_pt(int pt); /* a static payload type */
const struct codec *codec_at(size_t i);    /* NULL past the last */
size_t codec_count(void);

static inline size_t codec_frame_samples(const struct codec *c)
{
	return (size_t)c->srate * c->ptime_ms / 1000;
}

static inline uint32_t codec_frame_ts(const struct codec *c)
{
	return c->clock_rate * c->ptime_ms / 1000;
}

/* Per-call state: one for both directions (an encoder and a decoder). */
struct codec_state;

int codec_state_alloc(struct codec_state **sp, const struct codec *c, const char *fmtp);
void codec_state_free(struct codec_state *s);
const struct codec *codec_state_codec(const struct codec_state *s);
int codec_encode(struct codec_state *s, const int16_t *pcm, size_t nsamples, uint8_t *out,
		 size_t outsize, size_t *outlen);
int codec_decode(struct codec_state *s, const uint8_t *payload, size_t len, int16_t *pcm,
		 size_t maxsamples, size_t *nsamples);
void codec_plc(struct codec_state *s, int16_t *pcm, size_t nsamples);
/* The codec's decode_fec; ENOTSUP when it has none (conceal with plc). */
int codec_decode_fec(struct codec_state *s, const uint8_t *next, size_t len, int16_t *pcm,
		     size_t nsamples, size_t *outn);

/* G.711 (g711.c): the codecs and the sample conversions, exported for the
 * tests and for anyone who needs a raw law conversion. */
extern const struct codec codec_pcmu;
extern const struct codec codec_pcma;
uint8_t g711_ulaw_encode(int16_t x);
int16_t g711_ulaw_decode(uint8_t u);
uint8_t g711_alaw_encode(int16_t x);
int16_t g711_alaw_decode(uint8_t a);

/* G.722 (g722.c): 16 kHz, "G722/8000" in SDP, static payload type 9. */
extern const struct codec codec_g722;

/* Opus (opus.c) through libopus: mono at 48 kHz, "opus/48000/2" in SDP
 * (RFC 7587) with a dynamic payload type. */
extern const struct codec codec_opus;

/* What our Opus encoder does unless the peer's a=fmtp asks for less
 * (maxaveragebitrate, useinbandfec=0, usedtx, cbr, maxplaybackrate), and
 * what our a=fmtp asks of the peer's. */
struct codec_opus_cfg {
	uint32_t bitrate;    /* bit/s, 6000-510000; 0: 32000 and not advertised */
	unsigned loss_perc;  /* expected packet loss in %, 0-100: FEC's share */
	bool fec;            /* in-band FEC (useinbandfec=1) */
	bool dtx;            /* discontinuous transmission (usedtx=1) */
};

/* The defaults: 32000 bit/s, FEC on with 10% expected loss, DTX off. */
void codec_opus_cfg_default(struct codec_opus_cfg *cfg);
/* Change the configuration for codec states allocated from now on, and
 * codec_opus.fmtp with it.  EINVAL for a value out of range (nothing
 * changes).  Engine thread only. */
int codec_opus_cfg_set(const struct codec_opus_cfg *cfg);
void codec_opus_cfg_get(struct codec_opus_cfg *cfg);

#endif
