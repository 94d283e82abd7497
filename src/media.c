/* media.c: a call's audio.
 *
 * Offer/answer picks the codec (src/sdp-oa.c); the RTP socket latches to
 * the peer and reports RTCP figures (src/rtpsock.c); received packets go
 * into the jitter buffer, telephone-events to the DTMF receiver.  The
 * device (audio/dev.h) paces everything: for each 20 ms frame it captured
 * we send one packet (or the due RFC 4733 packets while a digit plays) and
 * pull one frame from the jitter buffer (or the ringback tone) into its
 * playback ring.  Nothing here allocates per frame. */
#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "audio/codec.h"
#include "audio/dev.h"
#include "audio/dsp.h"
#include "audio/jbuf.h"
#include "audio/resample.h"
#include "audio/ring.h"
#include "audio/tone.h"
#include "audio/wav.h"
#include "conf.h"
#include "log.h"
#include "loop.h"
#include "media.h"
#include "rtp.h"
#include "sdp.h"
#include "sip/sip.h"
#include "xmalloc.h"

#define LOG_MOD "media"

#define MAX_CODECS 8
#define TE_PT 101
#define MAX_FRAME 960          /* samples: 20 ms at 48 kHz */
#define DTMF_MS 100            /* each digit */
#define DTMF_GAP_MS 60         /* between digits */
#define FEC_HOLD_MS 20000      /* FEC's extra frame stays this long after a loss */

struct media {
	const struct media_cfg *cfg;
	unsigned warn_code;        /* why the last offer could not be answered */
	const char *warn_text;
	struct media_handlers h;
	char *peer;
	struct rtp_sock *rtp;
	struct sdp_codec codecs[MAX_CODECS];
	char codec_names[MAX_CODECS][24];
	unsigned ncodecs;
	uint64_t sess_id, sess_version;
	struct sdp_local offered;      /* what our last offer said */
	struct sdp_neg neg;
	bool neg_ok;
	bool remote_hold;
	enum sdp_dir dir;
	const struct codec *codec;
	struct codec_state *enc, *dec;
	/* G.711 arrives in any packet size (10, 20, 30 ms...): its payloads
	 * are cut into 10 ms chunks on the way into the jitter buffer */
	bool split;
	uint32_t chunk;           /* samples (and bytes) per chunk */
	struct jbuf *jb;
	/* in-band FEC (Opus) rebuilds a lost frame from the next packet, which
	 * must then be buffered already: one frame more of delay, kept only
	 * while packets go missing (FEC_HOLD_MS after the last one) */
	bool fec_margin;
	uint64_t fec_loss_ms;
	uint32_t fec_missing;     /* the RTP receiver's lost count, last seen */
	struct audio_dev *dev;
	struct resampler *down, *up;   /* device rate <-> codec rate */
	struct dsp *dsp;               /* echo cancelling, noise, gain (device rate) */
	bool card;                     /* the device is a sound card */
	float level_in, level_out;     /* dBFS of the last frames, for "audio level" */
	bool started, mute;
	/* a local tone into the speaker (tone.c): over the far end's audio
	 * (ringback, ringing, busy) or mixed into it (call waiting, DTMF) */
	struct tone tone;
	enum tone_kind tone_kind;
	char tone_digit;
	bool tone_over;
	bool hush;                /* send nothing: ringing here, or busy */
	uint32_t tx_ts;
	bool tx_marker;
	/* DTMF out */
	char dtmf_q[64];
	size_t dtmf_n;
	struct dtmf_tx dtx;
	struct dtmf_tx_pkt dnext;
	bool dtmf_active, dtmf_have;
	uint32_t dtmf_elapsed;
	uint32_t dtmf_gap;
	/* DTMF in */
	struct dtmf_rx drx;
	/* echo mode: the last decoded frame goes back out */
	int16_t echo[MAX_FRAME];
	bool echo_have;
	/* record: what the speaker plays; play: a file as the microphone */
	struct wav_writer *rec;
	char *rec_path;                /* --record: this call's file */
	struct wav_reader *play;
	struct resampler *play_rs;
	/* figures */
	struct rtcp_stats last_rtcp;
	bool have_rtcp;
	uint64_t rtp_sent, rtp_recv;
};

void media_cfg_default(struct media_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->audio = "null";
	cfg->codecs = "opus, G722, PCMU, PCMA";
	cfg->rtp_timeout = 30;
	cfg->port_min = 16384;
	cfg->port_max = 32767;
	cfg->ptime = 20;
	cfg->aec = cfg->ns = cfg->agc = cfg->tones = -1;
}

static const char *const media_keys[] = {
	"codecs", "rtp_timeout", "rtp_port_min", "rtp_port_max",
	"opus_bitrate", "opus_fec", "opus_loss", "opus_dtx", NULL,
};

static const char *const audio_keys[] = {
	"aec", "aec_tail_ms", "aec_delay_ms", "ns", "ns_level", "agc", "agc_level", "tones", NULL,
};

static int tristate(const struct conf *c, const struct conf_sect *s, const char *key, int *out,
		    char *err, size_t errsz)
{
	bool b;
	int rc = conf_get_bool(c, s, key, &b, err, errsz);
	if (rc == 0)
		*out = b;
	return rc == ENOENT ? 0 : rc;
}

/* [media] opus_*: the encoder settings of every Opus call (the codec
 * module holds them; they are also what the SDP's fmtp advertises). */
static int opus_from_conf(const struct conf *c, const struct conf_sect *s, char *err,
			  size_t errsz)
{
	struct codec_opus_cfg oc;
	int rc;

	codec_opus_cfg_get(&oc);
	if ((rc = conf_get_u32(c, s, "opus_bitrate", 6000, 510000, &oc.bitrate, err, errsz)) &&
	    rc != ENOENT)
		return rc;
	if ((rc = conf_get_u32(c, s, "opus_loss", 0, 100, &oc.loss_perc, err, errsz)) &&
	    rc != ENOENT)
		return rc;
	if ((rc = conf_get_bool(c, s, "opus_fec", &oc.fec, err, errsz)) && rc != ENOENT)
		return rc;
	if ((rc = conf_get_bool(c, s, "opus_dtx", &oc.dtx, err, errsz)) && rc != ENOENT)
		return rc;
	return codec_opus_cfg_set(&oc);
}

/* [audio]: voice processing. */
static int audio_from_conf(struct media_cfg *cfg, const struct conf *c, char *err, size_t errsz)
{
	struct conf_sect *s = conf_sect_find(c, "audio", NULL);
	uint32_t n;
	int rc;

	if (!s)
		return 0;
	if ((rc = conf_check_keys(c, s, audio_keys, err, errsz)) ||
	    (rc = tristate(c, s, "aec", &cfg->aec, err, errsz)) ||
	    (rc = tristate(c, s, "ns", &cfg->ns, err, errsz)) ||
	    (rc = tristate(c, s, "agc", &cfg->agc, err, errsz)) ||
	    (rc = tristate(c, s, "tones", &cfg->tones, err, errsz)))
		return rc;
	if ((rc = conf_get_u32(c, s, "aec_tail_ms", 20, 1000, &cfg->aec_tail_ms, err, errsz)) &&
	    rc != ENOENT)
		return rc;
	if ((rc = conf_get_u32(c, s, "aec_delay_ms", 0, 500, &cfg->aec_delay_ms, err, errsz)) &&
	    rc != ENOENT)
		return rc;
	if ((rc = conf_get_u32(c, s, "ns_level", 1, 100, &n, err, errsz)) == 0)
		cfg->ns_db = -(int)n;
	else if (rc != ENOENT)
		return rc;
	if ((rc = conf_get_u32(c, s, "agc_level", 1, 32767, &cfg->agc_level, err, errsz)) &&
	    rc != ENOENT)
		return rc;
	return 0;
}

/* [media] and [audio] of the config file (the command line wins). */
int media_cfg_from_conf(struct media_cfg *cfg, const struct conf *c, char *err, size_t errsz)
{
	struct conf_sect *s = conf_sect_find(c, "media", NULL);
	const struct conf_kv *kv;
	uint32_t n;
	int rc;

	rc = audio_from_conf(cfg, c, err, errsz);
	if (rc || !s)
		return rc;
	rc = conf_check_keys(c, s, media_keys, err, errsz);
	if (rc)
		return rc;
	if ((kv = conf_kv_find(s, "codecs"))) {
		char why[256];
		if (media_codecs_check(kv->val, why, sizeof(why))) {
			conf_errf(c, kv->line, err, errsz, "codecs = %s: %s", kv->val, why);
			return EINVAL;
		}
		cfg->codecs = kv->val;
	}
	if ((rc = conf_get_u32(c, s, "rtp_timeout", 0, 3600, &cfg->rtp_timeout, err, errsz)) &&
	    rc != ENOENT)
		return rc;
	if ((rc = conf_get_u32(c, s, "rtp_port_min", 1024, 65534, &n, err, errsz)) == 0)
		cfg->port_min = (uint16_t)n;
	else if (rc != ENOENT)
		return rc;
	if ((rc = conf_get_u32(c, s, "rtp_port_max", 1025, 65535, &n, err, errsz)) == 0)
		cfg->port_max = (uint16_t)n;
	else if (rc != ENOENT)
		return rc;
	if (cfg->port_max <= cfg->port_min + 1) {
		kv = conf_kv_find(s, "rtp_port_max");
		if (!kv)
			kv = conf_kv_find(s, "rtp_port_min");
		conf_errf(c, kv ? kv->line : s->line, err, errsz,
			  "rtp_port_max = %u: make it at least rtp_port_min + 2 (%u): "
			  "a call needs an RTP and an RTCP port", cfg->port_max,
			  cfg->port_min + 2);
		return EINVAL;
	}
	return opus_from_conf(c, s, err, errsz);
}

/* Split "PCMU, PCMA" into codecs we know; unknown names are an error. */
static int parse_codecs(const char *list, struct sdp_codec *out, char names[][24], unsigned *n,
			char *err, size_t errsz)
{
	char *copy, *save = NULL;
	uint8_t dyn = 96;
	bool name = false;

	/* "PCMU,,PCMA" or a comma at either end: a name is missing */
	for (const char *p = list;; p++) {
		if (*p == ',' || !*p) {
			if (!name && (*p || p != list)) {
				snprintf(err, errsz, "a codec name is missing between commas in '%s'",
					 list);
				return EINVAL;
			}
			if (!*p)
				break;
			name = false;
		} else if (*p != ' ' && *p != '\t') {
			name = true;
		}
	}
	copy = xstrdup(list);
	*n = 0;
	for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		const struct codec *c = NULL;
		char *slash = strchr(t, '/');
		uint32_t rate = 0;
		if (slash) {
			*slash = '\0';
			rate = (uint32_t)strtoul(slash + 1, NULL, 10);
		}
		for (size_t i = 0; i < codec_count() && !c; i++) {
			const struct codec *k = codec_at(i);
			if (!strcasecmp(k->name, t) && (!rate || k->clock_rate == rate))
				c = k;
		}
		if (!c) {
			char known[256];
			size_t o = 0;
			known[0] = '\0';
			for (size_t i = 0; i < codec_count() && o < sizeof(known); i++)
				o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s",
						      i ? ", " : "", codec_at(i)->name);
			snprintf(err, errsz, "unknown codec '%s' (known: %s)", t, known);
			free(copy);
			return EINVAL;
		}
		if (*n >= MAX_CODECS)
			break;
		snprintf(names[*n], 24, "%s", c->name);
		out[*n].name = names[*n];
		out[*n].rate = c->clock_rate;
		out[*n].channels = (uint8_t)c->channels;
		out[*n].pt = c->pt >= 0 ? (uint8_t)c->pt : dyn++;
		out[*n].fmtp = c->fmtp;
		(*n)++;
	}
	free(copy);
	if (!*n) {
		snprintf(err, errsz, "no codecs configured: write e.g. codecs = PCMU, PCMA");
		return EINVAL;
	}
	return 0;
}

/* --record names a folder (a file a call) or a file: either must be one
 * we can write, or be made in a folder we can write, before any call. */
static int record_path_check(const char *path, char *err, size_t errsz)
{
	char *dir = xstrdup(path), *slash;
	struct stat st;
	int rc = 0;

	if (stat(path, &st) == 0) {
		if (access(path, W_OK)) {
			snprintf(err, errsz, "--record %s: %s", path, strerror(errno));
			rc = EINVAL;
		}
	} else {
		slash = strrchr(dir, '/');
		if (!slash)
			strcpy(dir, ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		int e = stat(dir, &st) ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR
			: access(dir, W_OK) ? errno : 0;
		if (e) {
			snprintf(err, errsz, "--record %s: cannot write in %s: %s; make the folder "
				 "first", path, dir, strerror(e));
			rc = EINVAL;
		}
	}
	free(dir);
	return rc;
}

int media_cfg_check(const struct media_cfg *cfg, char *err, size_t errsz)
{
	struct sdp_codec c[MAX_CODECS];
	char names[MAX_CODECS][24];
	unsigned n;
	struct stat st;

	if (strcmp(cfg->audio, "null") && strcmp(cfg->audio, "file") &&
	    strcmp(cfg->audio, "auto") && strncmp(cfg->audio, "portaudio", 9)) {
		snprintf(err, errsz, "--audio %s: write null, file, auto or portaudio[:IN[,OUT]]",
			 cfg->audio);
		return EINVAL;
	}
	if (!strncmp(cfg->audio, "portaudio", 9) && cfg->audio[9] && cfg->audio[9] != ':') {
		snprintf(err, errsz, "--audio %s: write portaudio or portaudio:IN[,OUT]", cfg->audio);
		return EINVAL;
	}
	if (cfg->play && stat(cfg->play, &st)) {
		snprintf(err, errsz, "--play %s: %s", cfg->play, strerror(errno));
		return EINVAL;
	}
	if (cfg->record && record_path_check(cfg->record, err, errsz))
		return EINVAL;
	return parse_codecs(cfg->codecs, c, names, &n, err, errsz);
}

/* ------------------------------------------------------------------ */
/* receiving */

static void on_digit(const struct dtmf_digit *d, void *arg)
{
	struct media *m = arg;
	if (m->h.dtmf)
		m->h.dtmf(m->h.arg, d->digit, d->duration_ms);
}

static void on_rtp(const struct rtp_pkt *pkt, uint64_t arrival_ms, void *arg)
{
	struct media *m = arg;

	if (!m->neg_ok)
		return;
	m->rtp_recv++;
	if (m->neg.te_pt_recv && pkt->hdr.pt == m->neg.te_pt_recv) {
		dtmf_rx_input(&m->drx, pkt->hdr.ts, pkt->payload, pkt->payload_len, arrival_ms);
		return;
	}
	if (pkt->hdr.pt != m->neg.pt_recv || !m->jb)
		return; /* comfort noise and strangers are not played */
	if (m->split) {
		/* a chunk's "sequence number" is its position on the 10 ms grid,
		 * so duplicates are still found whatever the packet size */
		for (size_t off = 0; off + m->chunk <= pkt->payload_len; off += m->chunk) {
			uint32_t ts = pkt->hdr.ts + (uint32_t)off;
			jbuf_put(m->jb, ts, (uint16_t)(ts / m->chunk), pkt->payload + off, m->chunk,
				 arrival_ms);
		}
		return;
	}
	jbuf_put(m->jb, pkt->hdr.ts, pkt->hdr.seq, pkt->payload, pkt->payload_len, arrival_ms);
}

static void on_rtcp(const struct rtcp_stats *st, void *arg)
{
	struct media *m = arg;
	m->last_rtcp = *st;
	m->have_rtcp = true;
	if (m->h.stats)
		m->h.stats(m->h.arg);
}

static void on_timeout(uint32_t silent_ms, void *arg)
{
	struct media *m = arg;
	char why[64];
	if (!m->started || m->remote_hold || !sdp_dir_recvs(m->dir))
		return; /* no media is expected on hold, ours (sendonly) or theirs */
	snprintf(why, sizeof(why), "no RTP for %u s", silent_ms / 1000);
	if (m->h.dead)
		m->h.dead(m->h.arg, why);
}

/* ------------------------------------------------------------------ */
/* the frame tick */

static void send_dtmf(struct media *m)
{
	if (!m->dtmf_active) {
		int ev;
		if (m->dtmf_gap) {
			m->dtmf_gap = m->dtmf_gap > 20 ? m->dtmf_gap - 20 : 0;
			return;
		}
		if (!m->dtmf_n)
			return;
		ev = dtmf_event_from_char(m->dtmf_q[0]);
		if (ev >= 0 && media_tones(m))
			media_tone(m, TONE_DTMF, m->dtmf_q[0], false); /* what we send, heard */
		memmove(m->dtmf_q, m->dtmf_q + 1, --m->dtmf_n);
		if (ev < 0 || dtmf_tx_start(&m->dtx, (uint8_t)ev, m->tx_ts,
					    m->neg.rate ? m->neg.rate : 8000, DTMF_MS, 10))
			return;
		m->dtmf_active = true;
		m->dtmf_elapsed = 0;
		m->dtmf_have = dtmf_tx_next(&m->dtx, &m->dnext);
	}
	while (m->dtmf_have && m->dnext.offset_ms <= m->dtmf_elapsed) {
		rtp_sock_send(m->rtp, m->neg.te_pt_send, m->dnext.marker, m->dnext.ts,
			      m->dnext.payload, sizeof(m->dnext.payload));
		m->rtp_sent++;
		m->dtmf_have = dtmf_tx_next(&m->dtx, &m->dnext);
	}
	m->dtmf_elapsed += 20;
	if (!m->dtmf_have) {
		m->dtmf_active = false;
		m->dtmf_gap = DTMF_GAP_MS;
		m->tx_marker = true;
	}
}

static void send_frame(struct media *m, const int16_t *pcm, size_t n)
{
	uint8_t payload[1500];
	size_t len = 0;
	bool sends = sdp_dir_sends(m->dir);

	if (!m->neg_ok || !m->enc)
		return;
	if (sends && m->neg.te_pt_send && (m->dtmf_active || m->dtmf_n || m->dtmf_gap)) {
		send_dtmf(m);
		if (m->dtmf_active || !m->dtmf_gap) {
			m->tx_ts += (uint32_t)codec_frame_ts(m->codec);
			return;
		}
	}
	if (sends && !m->mute && codec_encode(m->enc, pcm, n, payload, sizeof(payload), &len) == 0) {
		if (!len) {
			/* discontinuous transmission: the next packet starts a talkspurt */
			m->tx_marker = true;
		} else {
			if (rtp_sock_send(m->rtp, m->neg.pt_send, m->tx_marker, m->tx_ts, payload,
					  len) == 0)
				m->rtp_sent++;
			m->tx_marker = false;
		}
	}
	m->tx_ts += (uint32_t)codec_frame_ts(m->codec);
}

/* FEC's frame of delay: taken when the RTP receiver counts a packet
 * lost (that one is concealed; the jitter buffer then grows its delay by
 * the margin and later losses find their successor buffered), given back
 * after FEC_HOLD_MS without a loss.  A clean network pays nothing, nor
 * does a packet that was only late (the jitter buffer's business). */
static void fec_track(struct media *m)
{
	const struct rtcp_rx *rx = rtp_sock_rx(m->rtp);
	uint32_t missing = rx ? rtcp_rx_missing(rx) : 0;
	uint64_t now = tmr_now();
	bool lost = missing > m->fec_missing;

	m->fec_missing = missing; /* a new source starts from 0 */
	if (lost) {
		m->fec_loss_ms = now;
		if (!m->fec_margin) {
			m->fec_margin = true;
			jbuf_set_margin(m->jb, m->codec->ptime_ms);
		}
	} else if (m->fec_margin && now - m->fec_loss_ms >= FEC_HOLD_MS) {
		m->fec_margin = false;
		jbuf_set_margin(m->jb, 0);
	}
}

/* One frame of the peer's audio at the codec rate (silence when there is
 * nothing to play). */
static void play_frame(struct media *m, int16_t *out, size_t n)
{
	uint8_t payload[1500];
	size_t len = sizeof(payload), got = 0;

	memset(out, 0, n * sizeof(*out));
	if (!m->neg_ok || !m->jb || !m->dec || !sdp_dir_recvs(m->dir))
		return;
	if (m->split) {
		for (size_t off = 0; off + m->chunk <= n; off += m->chunk) {
			len = sizeof(payload);
			got = 0;
			if (jbuf_get(m->jb, payload, &len) != 0 ||
			    codec_decode(m->dec, payload, len, out + off, m->chunk, &got) || got != m->chunk)
				codec_plc(m->dec, out + off, m->chunk);
		}
		if (m->cfg->echo) {
			memcpy(m->echo, out, n * sizeof(*out));
			m->echo_have = true;
		}
		return;
	}
	{
		uint32_t ts;
		int err = jbuf_get_ts(m->jb, payload, &len, &ts);
		if (err == 0) {
			if (codec_decode(m->dec, payload, len, out, n, &got) || got < n) {
				if (got < n)
					memset(out + got, 0, (n - got) * sizeof(*out));
			}
		} else {
			/* a lost packet may be rebuilt from the in-band FEC of the
			 * next one (Opus); else the codec conceals it */
			len = sizeof(payload);
			got = 0;
			if (!(err == ENODATA && m->codec->decode_fec &&
			      jbuf_peek(m->jb, ts + codec_frame_ts(m->codec), payload, &len) == 0 &&
			      codec_decode_fec(m->dec, payload, len, out, n, &got) == 0 && got == n))
				codec_plc(m->dec, out, n);
		}
		if (m->codec->decode_fec)
			fec_track(m);
	}
	if (m->cfg->echo) {
		memcpy(m->echo, out, n * sizeof(*out));
		m->echo_have = true;
	}
}

/* "play FILE": the file replaces the microphone until it ends. */
static void play_file(struct media *m, int16_t *in, size_t n, uint32_t rate)
{
	uint32_t frate = wav_reader_rate(m->play);
	int16_t buf[MAX_FRAME];
	size_t want = frate == rate ? n : (size_t)((uint64_t)n * frate / rate), got = 0;

	if (want > MAX_FRAME || wav_read(m->play, buf, want, &got) || got == 0) {
		wav_reader_close(m->play);
		resampler_free(m->play_rs);
		m->play = NULL;
		m->play_rs = NULL;
		return;
	}
	if (got < want)
		memset(buf + got, 0, (want - got) * sizeof(*buf));
	if (frate == rate) {
		memcpy(in, buf, n * sizeof(*in));
		return;
	}
	if (!m->play_rs && resampler_alloc(&m->play_rs, frate, rate))
		return;
	{
		size_t out = n;
		if (resampler_process(m->play_rs, buf, want, in, &out) || out < n)
			memset(in + out, 0, (n - out) * sizeof(*in));
	}
}

/* Device and codec rates differ (a 48 kHz sound card, G.722, Opus):
 * convert 20 ms frames both ways. */
static int set_resamplers(struct media *m)
{
	uint32_t drate = m->dev ? audio_dev_rate(m->dev) : 0;
	uint32_t crate = m->codec ? m->codec->srate : 0;

	if (m->down && (resampler_in_rate(m->down) != drate || resampler_out_rate(m->down) != crate)) {
		resampler_free(m->down);
		resampler_free(m->up);
		m->down = m->up = NULL;
	}
	if (!drate || !crate || drate == crate || m->down)
		return 0;
	if (resampler_alloc(&m->down, drate, crate) || resampler_alloc(&m->up, crate, drate))
		return EINVAL;
	return 0;
}

static void convert(struct resampler *r, const int16_t *in, size_t nin, int16_t *out, size_t nout)
{
	size_t got = nout;
	if (!r || resampler_process(r, in, nin, out, &got))
		got = 0;
	if (got < nout)
		memset(out + got, 0, (nout - got) * sizeof(*out));
}

/* dBFS of a frame (-96 for silence). */
static float level(const int16_t *s, size_t n)
{
	double e = 0;
	for (size_t i = 0; i < n; i++)
		e += (double)s[i] * s[i];
	e = n ? e / n : 0;
	return e < 1 ? -96.0f : (float)(10.0 * log10(e / (32768.0 * 32768.0)));
}

static void restart_tone(struct media *m, uint32_t rate)
{
	tone_init(&m->tone, rate);
	if (tone_start(&m->tone, m->tone_kind, m->tone_digit))
		m->tone_kind = TONE_NONE;
}

static void mix_tone(struct media *m, int16_t *out, size_t n)
{
	int16_t t[MAX_FRAME];

	memset(t, 0, n * sizeof(*t));
	tone_fill(&m->tone, t, n);
	for (size_t i = 0; i < n; i++) {
		int32_t v = (int32_t)out[i] + t[i];
		out[i] = (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
	}
}

static void on_frame(struct audio_dev *d, void *arg)
{
	struct media *m = arg;
	struct ring *cap = audio_dev_capture(d), *pb = audio_dev_playback(d);
	size_t n = audio_dev_frame_samples(d);
	size_t nc = m->codec ? codec_frame_samples(m->codec) : n;
	bool conv = m->codec && m->codec->srate != audio_dev_rate(d);
	int16_t in[MAX_FRAME], out[MAX_FRAME], cin[MAX_FRAME], cout[MAX_FRAME];

	if (n > MAX_FRAME || nc > MAX_FRAME)
		return;
	if (conv && !m->down && set_resamplers(m))
		conv = false;
	while (ring_trypop(cap, in) == 0) {
		bool decoded = false;
		if (m->dsp)
			dsp_capture(m->dsp, in);
		if (m->play)
			play_file(m, in, n, audio_dev_rate(d));
		/* the peer's frame first: what arrived before this tick is
		 * played, and echoed, in this tick, not the next one */
		if (!(m->tone_kind && m->tone_over)) {
			play_frame(m, cout, nc);
			decoded = true;
		}
		/* microphone -> peer */
		if (m->cfg->echo) {
			/* the caller hears itself: the frame just received */
			if (m->echo_have)
				memcpy(cin, m->echo, nc * sizeof(*cin));
			else
				memset(cin, 0, nc * sizeof(*cin));
		} else if (conv) {
			convert(m->down, in, n, cin, nc);
		} else {
			memcpy(cin, in, nc * sizeof(*cin));
		}
		if (!m->hush)
			send_frame(m, cin, nc);
		/* peer -> speaker */
		if (m->tone_kind && m->tone.srate != audio_dev_rate(d))
			restart_tone(m, audio_dev_rate(d));
		if (m->tone_kind && m->tone_over) {
			tone_fill(&m->tone, out, n);
		} else {
			if (!decoded) /* a tone over it ended in between */
				play_frame(m, cout, nc);
			if (conv)
				convert(m->up, cout, nc, out, n);
			else
				memcpy(out, cout, n * sizeof(*out));
			if (m->tone_kind)
				mix_tone(m, out, n);
		}
		if (m->tone_kind && !tone_active(&m->tone))
			m->tone_kind = TONE_NONE; /* a tone without repeat ended */
		if (m->dsp)
			dsp_playback(m->dsp, out);
		ring_push(pb, out);
		m->level_in = level(in, n);
		m->level_out = level(out, n);
		if (m->rec && wav_write(m->rec, out, n)) {
			log_w("recording stopped: cannot write");
			wav_writer_close(m->rec);
			m->rec = NULL;
		}
	}
	dtmf_rx_timeout(&m->drx, tmr_now());
}

/* ------------------------------------------------------------------ */

/* An account's own codec list ([account] codecs = ...). */
int media_codecs_check(const char *codecs, char *err, size_t errsz)
{
	struct sdp_codec c[MAX_CODECS];
	char names[MAX_CODECS][24];
	unsigned n;
	return parse_codecs(codecs, c, names, &n, err, errsz);
}

int media_alloc(struct media **mp, const struct media_cfg *cfg, const char *codecs,
		const struct sa *bind, const char *peer, const struct media_handlers *h)
{
	struct media *m = xcalloc(1, sizeof(*m));
	struct rtp_sock_cfg rc;
	char err[256], tok[17];
	int rcode;

	m->cfg = cfg;
	m->h = *h;
	m->level_in = m->level_out = -96.0f; /* silence until the first frame */
	m->peer = xstrdup(peer ? peer : "");
	rcode = parse_codecs(codecs ? codecs : cfg->codecs, m->codecs, m->codec_names,
			     &m->ncodecs, err, sizeof(err));
	if (rcode) {
		log_e("%s", err);
		media_free(m);
		return rcode;
	}
	sip_rand_token(tok, 12);
	for (int i = 0; i < 12; i++)
		m->sess_id = m->sess_id * 10 + (uint64_t)(tok[i] % 10);
	m->sess_version = m->sess_id;
	m->dir = SDP_DIR_SENDRECV;
	m->tx_marker = true;
	rtp_sock_cfg_init(&rc);
	rc.laddr = *bind;
	rc.port_min = cfg->port_min;
	rc.port_max = cfg->port_max;
	rc.timeout_ms = cfg->rtp_timeout * 1000;
	rcode = rtp_sock_alloc(&m->rtp, &rc, on_rtp, on_rtcp, on_timeout, m);
	if (rcode) {
		log_e("cannot open RTP sockets: %s", strerror(rcode));
		media_free(m);
		return rcode;
	}
	dtmf_rx_init(&m->drx, 8000, on_digit, m);
	*mp = m;
	return 0;
}

void media_free(struct media *m)
{
	if (!m)
		return;
	media_stop(m);
	rtp_sock_close(m->rtp);
	codec_state_free(m->enc);
	codec_state_free(m->dec);
	jbuf_free(m->jb);
	resampler_free(m->down);
	resampler_free(m->up);
	media_record(m, NULL);
	if (m->play)
		wav_reader_close(m->play);
	resampler_free(m->play_rs);
	free(m->rec_path);
	free(m->peer);
	free(m);
}

static enum sdp_dir to_sdp(enum media_dir d)
{
	switch (d) {
	case MEDIA_SENDONLY:
		return SDP_DIR_SENDONLY;
	case MEDIA_RECVONLY:
		return SDP_DIR_RECVONLY;
	case MEDIA_INACTIVE:
		return SDP_DIR_INACTIVE;
	default:
		return SDP_DIR_SENDRECV;
	}
}

static void local_desc(struct media *m, struct sdp_local *l, const struct sa *laddr,
		       enum media_dir dir)
{
	memset(l, 0, sizeof(*l));
	l->user = "sipterm";
	l->sess_id = m->sess_id;
	l->sess_version = ++m->sess_version;
	l->addr = *laddr;
	sa_set_port(&l->addr, sa_port(rtp_sock_local(m->rtp)));
	l->rtcp_port = sa_port(rtp_sock_local_rtcp(m->rtp));
	l->codecs = m->codecs;
	l->ncodecs = m->ncodecs;
	l->te_pt = TE_PT;
	l->dir = to_sdp(dir);
	l->ptime = m->cfg->ptime;
	l->rtcp_mux = false;
}

static void restart_device(struct media *m);

/* The negotiated codec and peer take effect. */
static int apply(struct media *m, const struct sdp_neg *n)
{
	const struct codec *c = codec_find(n->codec, n->rate, n->channels);
	int err;

	if (!c)
		return EPROTO;
	if (c != m->codec) {
		/* the file device runs at the codec's rate; one started before
		 * the first codec was known (a 180 without SDP: the ringback)
		 * runs at 8 kHz, and would play and record a wideband call
		 * narrowband: it starts over at the codec's rate */
		bool restart = !m->codec && m->started && m->dev && !m->rec &&
			       !strcmp(audio_dev_name(m->dev), "file") &&
			       audio_dev_rate(m->dev) != c->srate;
		codec_state_free(m->enc);
		codec_state_free(m->dec);
		jbuf_free(m->jb);
		m->enc = m->dec = NULL;
		m->jb = NULL;
		m->split = !strcasecmp(c->name, "PCMU") || !strcasecmp(c->name, "PCMA");
		m->chunk = c->clock_rate / 100;
		if ((err = codec_state_alloc(&m->enc, c, n->fmtp)) ||
		    (err = codec_state_alloc(&m->dec, c, n->fmtp)) ||
		    (err = jbuf_alloc(&m->jb, c->clock_rate, m->split ? 10 : n->ptime ? n->ptime : 20,
				      1500)))
			return err;
		/* a new jitter buffer: no FEC margin until the next loss */
		m->fec_margin = false;
		m->fec_missing = rtp_sock_rx(m->rtp) ? rtcp_rx_missing(rtp_sock_rx(m->rtp)) : 0;
		m->codec = c;
		dtmf_rx_init(&m->drx, c->clock_rate, on_digit, m);
		if (restart)
			restart_device(m);
		set_resamplers(m);
	}
	/* play_frame does not pull from the jitter buffer while we do not
	 * receive (hold): its play position stopped there, so on resuming it
	 * starts over on the stream as it is now */
	if (m->neg_ok && m->jb && !sdp_dir_recvs(m->dir) && sdp_dir_recvs(n->dir))
		jbuf_reset(m->jb);
	m->neg = *n;
	m->neg_ok = true;
	m->dir = n->dir;
	m->remote_hold = n->remote_hold;
	rtp_sock_set_clock_rate(m->rtp, c->clock_rate);
	rtp_sock_set_remote(m->rtp, &n->remote_rtp, &n->remote_rtcp);
	return 0;
}

int media_offer(struct media *m, struct buf *b, const struct sa *laddr, enum media_dir dir)
{
	local_desc(m, &m->offered, laddr, dir);
	return sdp_offer(b, &m->offered);
}

int media_answer(struct media *m, struct buf *b, const struct pl *offer, const struct sa *laddr,
		 enum media_dir dir)
{
	struct sdp_session *s = xmalloc(sizeof(*s));
	struct sdp_local l;
	struct sdp_neg n = m->neg;
	const char *reason;
	int err;

	err = sdp_parse(s, offer->p, offer->l, &reason);
	if (err) {
		log_i("bad SDP offer: %s", reason);
		free(s);
		m->warn_code = 399;
		m->warn_text = "malformed session description";
		return EPROTO;
	}
	local_desc(m, &l, laddr, dir);
	err = sdp_answer(b, &n, s, &l);
	if (err == EPROTO)
		m->warn_code = sdp_answer_warning(s, &l, &m->warn_text);
	free(s);
	if (err)
		return err;
	return apply(m, &n);
}

unsigned media_answer_warning(const struct media *m, const char **text)
{
	*text = m->warn_text ? m->warn_text : "no common audio codec";
	return m->warn_code ? m->warn_code : 305;
}

int media_process_answer(struct media *m, const struct pl *answer)
{
	struct sdp_session *s = xmalloc(sizeof(*s));
	struct sdp_neg n = m->neg;
	const char *reason;
	int err;

	err = sdp_parse(s, answer->p, answer->l, &reason);
	if (err) {
		log_i("bad SDP answer: %s", reason);
		free(s);
		return EPROTO;
	}
	err = sdp_process_answer(&n, s, &m->offered);
	free(s);
	if (err)
		return err;
	return apply(m, &n);
}

static int make_dsp(struct media *m, bool aec, bool ns, bool agc)
{
	struct dsp_cfg dc;
	int rc;

	dsp_cfg_default(&dc);
	dc.aec = aec;
	dc.ns = ns;
	dc.agc = agc;
	dc.tail_ms = m->cfg->aec_tail_ms;
	dc.delay_ms = m->cfg->aec_delay_ms;
	dc.ns_db = m->cfg->ns_db;
	dc.agc_level = m->cfg->agc_level;
	rc = dsp_alloc(&m->dsp, audio_dev_rate(m->dev), audio_dev_frame_samples(m->dev), &dc);
	if (rc)
		log_w("voice processing: %s", strerror(rc));
	return rc;
}

/* --record DIR: one file per call, named by time and peer. */
static char *record_path(const struct media *m)
{
	struct stat st;
	char when[32], who[64], *out;
	time_t now = time(NULL);
	struct tm tm;
	size_t o = 0;

	if (!m->cfg->record)
		return NULL;
	if (stat(m->cfg->record, &st) || !S_ISDIR(st.st_mode))
		return xstrdup(m->cfg->record);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	for (const char *p = m->peer; *p && o < sizeof(who) - 1; p++) {
		if (!strncmp(p, "sip:", 4) && p == m->peer) {
			p += 3;
			continue;
		}
		who[o++] = isalnum((unsigned char)*p) || *p == '@' || *p == '.' || *p == '-' ||
				   *p == '_' ? *p : '_';
	}
	who[o] = '\0';
	xasprintf(&out, "%s/%s-%s.wav", m->cfg->record, when, who[0] ? who : "unknown");
	{
		/* two calls in the same second from the same peer */
		int k = 2;
		while (stat(out, &st) == 0 && k < 100) {
			free(out);
			xasprintf(&out, "%s/%s-%s-%d.wav", m->cfg->record, when, who, k++);
		}
	}
	return out;
}

/* The sound card failed (unplugged, server gone): say so, and keep the
 * call going on the null device; "audio use" can move it to another. */
static void on_dev_error(struct audio_dev *d, int err, const char *msg, void *arg)
{
	struct media *m = arg;
	(void)err;
	log_w("audio device failed: %s; the call continues without sound", msg);
	if (m->h.audio_error)
		m->h.audio_error(m->h.arg, msg);
	if (d == m->dev) {
		dsp_free(m->dsp);
		m->dsp = NULL;
		audio_dev_close(d);
		m->dev = NULL;
		audio_dev_open_null(&m->dev, 8000, on_frame, m);
		set_resamplers(m);
	}
}

/* "portaudio:IN,OUT" -> the two names (NULL: the default device). */
static void pa_names(const char *spec, char *in, char *out, size_t size)
{
	const char *p = strchr(spec, ':'), *comma;
	in[0] = out[0] = '\0';
	if (!p)
		return;
	p++;
	comma = strchr(p, ',');
	snprintf(in, size, "%.*s", comma ? (int)(comma - p) : (int)strlen(p), p);
	snprintf(out, size, "%s", comma ? comma + 1 : in);
}

static bool no_card_said;

/* Open the device the configuration asks for. */
static int open_device(struct media *m, const char *spec, const char *rec)
{
	uint32_t rate = m->codec ? m->codec->srate : 8000;
	char err[512] = "", in[128], out[128];
	int rc;

	m->card = false;
	if (m->cfg->play || rec || !strcmp(spec, "file"))
		rc = audio_dev_open_file(&m->dev, m->cfg->play, rec, rate, on_frame, m, err,
					 sizeof(err));
	else if (!strncmp(spec, "portaudio", 9) || !strcmp(spec, "auto")) {
		pa_names(spec, in, out, sizeof(in));
		rc = audio_dev_open_portaudio(&m->dev, in[0] ? in : NULL, out[0] ? out : NULL, 48000,
					      on_frame, m, err, sizeof(err));
		if (rc == 0) {
			m->card = true;
			audio_dev_set_error_h(m->dev, on_dev_error);
		} else if (!strcmp(spec, "auto") || rc == ENODEV) {
			/* no sound card: say it once, then go on in silence */
			if (!no_card_said)
				log_w("%s; calls will be silent", err);
			no_card_said = true;
			rc = audio_dev_open_null(&m->dev, rate, on_frame, m);
		}
	} else {
		rc = audio_dev_open_null(&m->dev, rate, on_frame, m);
	}
	if (rc)
		log_e("audio device: %s", err[0] ? err : strerror(rc));
	return rc;
}

/* Move the call to another device ("audio use IN OUT"). */
int media_use_device(struct media *m, const char *spec)
{
	struct audio_dev *old = m->dev;
	int rc;

	if (!m->started)
		return EINVAL;
	dsp_free(m->dsp);
	m->dsp = NULL;
	m->dev = NULL;
	rc = open_device(m, spec, NULL);
	if (rc) {
		m->dev = old;
		return rc;
	}
	audio_dev_close(old);
	set_resamplers(m);
	if (m->card && m->cfg->aec != 0)
		make_dsp(m, true, m->cfg->ns > 0, m->cfg->agc > 0);
	return 0;
}

static void start_dsp(struct media *m)
{
	/* file and null devices have no acoustic echo: processing is opt-in
	 * there, and would change the audio tests compare */
	const struct media_cfg *c = m->cfg;
	bool card = m->card;

	if (c->aec > 0 || (c->aec < 0 && card) || c->ns > 0 || c->agc > 0)
		make_dsp(m, c->aec > 0 || (c->aec < 0 && card), c->ns > 0, c->agc > 0);
}

int media_start(struct media *m)
{
	char *rec;
	int rc;

	if (m->started)
		return 0;
	rec = record_path(m);
	rc = open_device(m, m->cfg->audio, rec);
	if (rc) {
		free(rec);
		return rc;
	}
	if (rec)
		log_i("recording to %s", rec);
	free(m->rec_path);
	m->rec_path = rec;
	m->started = true;
	start_dsp(m);
	return 0;
}

/* The file device again, at the codec's rate now (see apply): the
 * --play file starts over, the recording too (it held the ringback). */
static void restart_device(struct media *m)
{
	char err[512] = "";

	dsp_free(m->dsp);
	m->dsp = NULL;
	audio_dev_close(m->dev); /* first: it closes the recording */
	m->dev = NULL;
	resampler_free(m->play_rs);
	m->play_rs = NULL;
	if (audio_dev_open_file(&m->dev, m->cfg->play, m->rec_path, m->codec->srate, on_frame, m,
				err, sizeof(err))) {
		log_e("audio device: %s; the call continues without sound", err);
		if (audio_dev_open_null(&m->dev, m->codec->srate, on_frame, m))
			m->dev = NULL;
	}
	if (m->dev)
		start_dsp(m);
}

/* Turn a processing stage on or off in a running call. */
int media_dsp_set(struct media *m, const char *what, bool on)
{
	if (!m->dev)
		return ENODEV;
	if (!m->dsp) {
		if (!on)
			return 0;
		return make_dsp(m, !strcmp(what, "aec"), !strcmp(what, "ns"), !strcmp(what, "agc"));
	}
	return dsp_set(m->dsp, what, on);
}

void media_stop(struct media *m)
{
	if (!m->started)
		return;
	dsp_free(m->dsp);
	m->dsp = NULL;
	audio_dev_close(m->dev);
	m->dev = NULL;
	m->started = false;
}

/* Start (path) or stop (NULL) recording what the speaker plays. */
int media_record(struct media *m, const char *path)
{
	char err[256];
	int rc;

	if (m->rec) {
		wav_writer_close(m->rec);
		m->rec = NULL;
	}
	if (!path)
		return 0;
	if (!m->dev)
		return ENODEV;
	rc = wav_writer_open(&m->rec, path, audio_dev_rate(m->dev), err, sizeof(err));
	if (rc)
		log_w("%s", err);
	return rc;
}

/* Play a WAV file into the call instead of the microphone. */
int media_play(struct media *m, const char *path, char *err, size_t errsz)
{
	struct wav_reader *r;
	int rc = wav_reader_open(&r, path, err, errsz);

	if (rc)
		return rc;
	if (m->play)
		wav_reader_close(m->play);
	resampler_free(m->play_rs);
	m->play_rs = NULL;
	m->play = r;
	return 0;
}

void media_tone(struct media *m, int kind, char digit, bool over)
{
	enum tone_kind k = (enum tone_kind)kind;

	if (k == TONE_NONE || k != m->tone_kind || digit != m->tone_digit ||
	    over != m->tone_over || k == TONE_WAITING || k == TONE_DTMF) {
		m->tone_kind = k;
		m->tone_digit = digit;
		m->tone_over = over;
		if (kind)
			restart_tone(m, m->dev ? audio_dev_rate(m->dev) : 8000);
	}
}

void media_ringback(struct media *m, bool on)
{
	if (on)
		media_tone(m, TONE_RINGBACK, 0, true);
	else if (m->tone_kind == TONE_RINGBACK)
		media_tone(m, TONE_NONE, 0, false);
}

void media_hush(struct media *m, bool on)
{
	if (m->hush && !on)
		m->tx_marker = true; /* a new talkspurt */
	m->hush = on;
}

bool media_tones(const struct media *m)
{
	if (m->cfg->tones >= 0)
		return m->cfg->tones;
	return !strcmp(m->cfg->audio, "auto") || !strncmp(m->cfg->audio, "portaudio", 9);
}

void media_mute(struct media *m, bool on)
{
	m->mute = on;
}

bool media_remote_hold(const struct media *m)
{
	return m->remote_hold;
}

void media_levels(const struct media *m, float *in, float *out)
{
	*in = m->level_in;
	*out = m->level_out;
}

int media_dtmf_send(struct media *m, const char *digits)
{
	size_t n = strlen(digits);

	if (!m->neg_ok)
		return EINVAL;
	if (!m->neg.te_pt_send)
		return ENOTSUP;
	if (m->dtmf_n + n > sizeof(m->dtmf_q))
		return ENOSPC;
	for (size_t i = 0; i < n; i++)
		m->dtmf_q[m->dtmf_n++] = (char)toupper((unsigned char)digits[i]);
	return 0;
}

void media_get_stats(const struct media *m, struct media_stats *s)
{
	struct rtp_sock_counters c;
	struct jbuf_stats j;
	const struct rtcp_rx *rx;

	memset(s, 0, sizeof(*s));
	s->rtt_ms = -1;
	if (m->codec) {
		snprintf(s->codec, sizeof(s->codec), "%s", m->codec->name);
		s->rate = m->codec->clock_rate;
	}
	rtp_sock_counters(m->rtp, &c);
	s->sent = c.tx_pkts;
	s->received = c.rx_pkts;
	rx = rtp_sock_rx(m->rtp);
	if (rx && m->codec) {
		uint32_t lost = rtcp_rx_missing(rx);
		uint32_t expected = rtcp_rx_expected(rx);
		s->lost = lost;
		s->dup = rx->duplicates;
		s->received = s->received > s->dup ? s->received - s->dup : 0;
		s->loss_pct = expected ? 100.0 * lost / expected : 0;
		s->jitter_ms = (double)rtcp_rx_jitter_ts(rx) * 1000.0 / m->codec->clock_rate;
	}
	if (m->have_rtcp && m->last_rtcp.has_rtt)
		s->rtt_ms = m->last_rtcp.rtt_ms;
	if (m->jb) {
		jbuf_stats(m->jb, &j);
		s->jb_delay_ms = j.delay_ms;
		s->late = j.late;
		s->concealed = j.lost + j.inserted;
	}
	if (m->dev) {
		struct audio_dev_counters c2;
		audio_dev_counters(m->dev, &c2);
		s->underruns = c2.playback_underruns;
		s->overruns = c2.capture_overruns;
		snprintf(s->device, sizeof(s->device), "%s", audio_dev_name(m->dev));
	}
}
