/* opus.c: Opus (RFC 6716) through libopus, as RFC 7587 puts it in RTP:
 * "opus/48000/2" whatever is sent, here always mono at 48 kHz, 20 ms
 * frames, a dynamic payload type.
 *
 * The encoder is set for speech over a lossy network: VBR at 32 kbit/s,
 * in-band FEC (each packet carries a coarse copy of the previous frame)
 * sized for 10% loss, DTX off.  codec_opus_cfg_set changes those defaults;
 * the peer's a=fmtp, which says what it wants to receive, can lower them:
 * maxaveragebitrate caps the bitrate, useinbandfec=0 turns FEC off,
 * usedtx=1/0 turns DTX on/off, cbr=1 asks for constant bitrate,
 * maxplaybackrate caps the audio bandwidth.
 *
 * A lost packet is rebuilt from the FEC data of the next one when the
 * caller has it (decode_fec), else concealed by libopus's own PLC.  With
 * DTX the encoder stops sending during silence (libopus 1.3: digital
 * silence, or what SILK's voice detector calls inactive; a faint hiss
 * coded by CELT is still sent) apart from an update every 400 ms: encode
 * reports those frames as empty (*outlen 0: send nothing), and the
 * decoder's concealment of the missing packets is Opus's comfort noise.
 *
 * libopus allocates its encoder and decoder once, at init; nothing is
 * allocated per frame. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opus.h>

#include "codec.h"

#define OP_RATE 48000
#define OP_MAX_PACKET 1275     /* RFC 6716 3.2.1: the largest frame */
#define OP_BITRATE_DEFAULT 32000
#define OP_BITRATE_MIN 6000
#define OP_BITRATE_MAX 510000

static struct codec_opus_cfg cfg = {
	.bitrate = 0,
	.loss_perc = 10,
	.fec = true,
	.dtx = false,
};

/* What our SDP says we want to receive, rewritten by codec_opus_cfg_set. */
static char opus_fmtp[128] = "useinbandfec=1; stereo=0; sprop-stereo=0";

struct opus_state {
	OpusEncoder *enc;
	OpusDecoder *dec;
};

void codec_opus_cfg_default(struct codec_opus_cfg *c)
{
	c->bitrate = 0;
	c->loss_perc = 10;
	c->fec = true;
	c->dtx = false;
}

int codec_opus_cfg_set(const struct codec_opus_cfg *c)
{
	int n;

	if (!c || (c->bitrate && (c->bitrate < OP_BITRATE_MIN || c->bitrate > OP_BITRATE_MAX)) ||
	    c->loss_perc > 100)
		return EINVAL;
	cfg = *c;
	n = snprintf(opus_fmtp, sizeof(opus_fmtp), "useinbandfec=%d; stereo=0; sprop-stereo=0",
		     cfg.fec ? 1 : 0);
	if (cfg.bitrate)
		n += snprintf(opus_fmtp + n, sizeof(opus_fmtp) - (size_t)n,
			      "; maxaveragebitrate=%u", (unsigned)cfg.bitrate);
	if (cfg.dtx)
		snprintf(opus_fmtp + n, sizeof(opus_fmtp) - (size_t)n, "; usedtx=1");
	return 0;
}

void codec_opus_cfg_get(struct codec_opus_cfg *c)
{
	*c = cfg;
}

/* The integer value of key in an a=fmtp parameter list ("a=1; b=2"),
 * matched case-insensitively; false when absent or not a number. */
static bool fmtp_int(const char *fmtp, const char *key, long *val)
{
	size_t klen = strlen(key);
	const char *p = fmtp;

	while (p && *p) {
		const char *end = strchr(p, ';');
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncasecmp(p, key, klen)) {
			const char *v = p + klen;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				char *e;
				long x;
				v++;
				errno = 0;
				x = strtol(v, &e, 10);
				while (*e == ' ' || *e == '\t')
					e++;
				if (e != v && !errno && (*e == '\0' || *e == ';')) {
					*val = x;
					return true;
				}
				return false;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* maxplaybackrate (RFC 7587 6.1) as an Opus audio bandwidth. */
static int bandwidth_for(long rate)
{
	if (rate <= 8000)
		return OPUS_BANDWIDTH_NARROWBAND;
	if (rate <= 12000)
		return OPUS_BANDWIDTH_MEDIUMBAND;
	if (rate <= 16000)
		return OPUS_BANDWIDTH_WIDEBAND;
	if (rate <= 24000)
		return OPUS_BANDWIDTH_SUPERWIDEBAND;
	return OPUS_BANDWIDTH_FULLBAND;
}

static void opus_deinit(void *st)
{
	struct opus_state *s = st;

	opus_encoder_destroy(s->enc);
	opus_decoder_destroy(s->dec);
	s->enc = NULL;
	s->dec = NULL;
}

/* fmtp: the peer's a=fmtp (what it wants to receive), or NULL. */
static int opus_init(void *st, const struct codec *c, const char *fmtp)
{
	struct opus_state *s = st;
	long bitrate = cfg.bitrate ? (long)cfg.bitrate : OP_BITRATE_DEFAULT, v;
	bool fec = cfg.fec, dtx = cfg.dtx, cbr = false;
	int bw = OPUS_BANDWIDTH_FULLBAND, err;

	(void)c;
	if (fmtp) {
		if (fmtp_int(fmtp, "maxaveragebitrate", &v) && v > 0 && v < bitrate)
			bitrate = v < OP_BITRATE_MIN ? OP_BITRATE_MIN : v;
		if (fmtp_int(fmtp, "useinbandfec", &v) && v == 0)
			fec = false;
		if (fmtp_int(fmtp, "usedtx", &v))
			dtx = v != 0;
		if (fmtp_int(fmtp, "cbr", &v))
			cbr = v != 0;
		if (fmtp_int(fmtp, "maxplaybackrate", &v) && v > 0)
			bw = bandwidth_for(v);
	}
	s->enc = opus_encoder_create(OP_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!s->enc)
		return EINVAL;
	s->dec = opus_decoder_create(OP_RATE, 1, &err);
	if (!s->dec) {
		opus_deinit(s);
		return EINVAL;
	}
	if (opus_encoder_ctl(s->enc, OPUS_SET_BITRATE((opus_int32)bitrate)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_VBR(cbr ? 0 : 1)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_INBAND_FEC(fec ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_PACKET_LOSS_PERC((int)cfg.loss_perc)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_DTX(dtx ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(s->enc, OPUS_SET_MAX_BANDWIDTH(bw)) != OPUS_OK) {
		opus_deinit(s);
		return EINVAL;
	}
	return 0;
}

static int opus_enc(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t outsize,
		    size_t *outlen)
{
	struct opus_state *s = st;
	opus_int32 max = outsize > OP_MAX_PACKET ? OP_MAX_PACKET : (opus_int32)outsize;
	opus_int32 r;

	if (n > INT_MAX)
		return EINVAL;
	r = opus_encode(s->enc, pcm, (int)n, out, max);
	if (r == OPUS_BUFFER_TOO_SMALL)
		return ENOSPC;
	if (r < 0)
		return EINVAL; /* not a frame length Opus has (2.5-60 ms) */
	/* libopus: 2 bytes or less need not be sent (DTX silence) */
	*outlen = r <= 2 ? 0 : (size_t)r;
	return 0;
}

/* A libopus decoder result as the codec interface's. */
static int dec_result(int r, size_t *nsamples)
{
	if (r == OPUS_BUFFER_TOO_SMALL)
		return ENOSPC;
	if (r < 0)
		return EBADMSG;
	*nsamples = (size_t)r;
	return 0;
}

static int opus_dec(void *st, const uint8_t *p, size_t len, int16_t *pcm, size_t max,
		    size_t *nsamples)
{
	struct opus_state *s = st;

	if (!len || len > INT_MAX)
		return EBADMSG; /* empty: libopus would conceal, which is plc's job */
	if (max > INT_MAX)
		max = INT_MAX;
	return dec_result(opus_decode(s->dec, p, (opus_int32)len, pcm, (int)max, 0), nsamples);
}

/* libopus's concealment extrapolates in multiples of 2.5 ms; the rest of
 * an odd length is silence. */
static void opus_plc(void *st, int16_t *pcm, size_t n)
{
	struct opus_state *s = st;
	size_t whole = n - n % (OP_RATE / 400);
	int r = 0;

	if (whole && whole <= INT_MAX)
		r = opus_decode(s->dec, NULL, 0, pcm, (int)whole, 0);
	if (r < 0)
		r = 0;
	if ((size_t)r < n)
		memset(pcm + r, 0, (n - (size_t)r) * sizeof(*pcm));
}

/* The lost frame from the next packet's LBRR data (libopus falls back to
 * its concealment when that packet carries none). */
static int opus_dec_fec(void *st, const uint8_t *next, size_t len, int16_t *pcm, size_t n,
			size_t *outn)
{
	struct opus_state *s = st;

	if (!len || len > INT_MAX)
		return EBADMSG;
	if (n % (OP_RATE / 400) || n == 0 || n > INT_MAX)
		return ENOSPC;
	return dec_result(opus_decode(s->dec, next, (opus_int32)len, pcm, (int)n, 1), outn);
}

const struct codec codec_opus = {
	.name = "opus",
	.clock_rate = OP_RATE,
	.srate = OP_RATE,
	.channels = 2, /* RFC 7587: always /2 in SDP; stereo=0 asks for mono */
	.pt = CODEC_PT_DYNAMIC,
	.fmtp = opus_fmtp,
	.ptime_ms = 20,
	.state_size = sizeof(struct opus_state),
	.init = opus_init,
	.deinit = opus_deinit,
	.encode = opus_enc,
	.decode = opus_dec,
	.plc = opus_plc,
	.decode_fec = opus_dec_fec,
};
