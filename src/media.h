/* media.h: the audio half of a call: SDP offer/answer, the RTP socket,
 * the codec, the jitter buffer, DTMF, and the audio device the call's
 * frames go to and come from (through SPSC rings, the same contract the
 * PortAudio thread uses).  Paced by the device: each 20 ms frame of
 * captured audio sends one packet and pulls one frame from the jitter
 * buffer into the playback ring. */
#ifndef SIPTERM_MEDIA_H
#define SIPTERM_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "pl.h"
#include "sa.h"

struct media;

enum media_dir {
	MEDIA_SENDRECV = 0,
	MEDIA_SENDONLY,
	MEDIA_RECVONLY,
	MEDIA_INACTIVE,
};

/* How a call gets its audio (set once from the command line/config). */
struct media_cfg {
	const char *audio;       /* "null", "file" (see play/record); "portaudio" later */
	const char *play;        /* WAV file as the microphone (looped), or NULL */
	const char *record;      /* WAV file or directory for what the speaker plays */
	bool echo;               /* send each caller's own audio back */
	const char *codecs;      /* preference: "PCMU, PCMA" */
	uint32_t rtp_timeout;    /* seconds without RTP/RTCP before a call is dead; 0 off */
	uint16_t port_min, port_max;
	uint32_t ptime;          /* ms, 20 */
	/* voice processing: -1 = the device's default (echo cancelling on
	 * for a sound card, everything off for file and null devices) */
	int aec, ns, agc;
	int tones;               /* local ringing, busy, waiting, DTMF tones; -1:
	                          * on with a sound card */
	uint32_t aec_tail_ms, aec_delay_ms;
	int ns_db;
	uint32_t agc_level;
};

struct media_stats {
	char codec[32];
	uint32_t rate;
	uint64_t sent, received, lost, late;
	uint64_t dup;            /* duplicates received (not in received) */
	uint64_t concealed;      /* frames the jitter buffer made up */
	double jitter_ms;        /* RFC 3550 interarrival jitter */
	double rtt_ms;           /* from RTCP, -1 when unknown */
	double loss_pct;
	uint32_t jb_delay_ms;    /* jitter buffer delay */
	uint64_t underruns, overruns;
	char device[64];         /* the audio device in use */
};

/* What the media layer tells its call. */
struct media_handlers {
	void (*dtmf)(void *arg, char digit, uint32_t duration_ms);
	void (*dead)(void *arg, const char *why);   /* RTP inactivity */
	void (*stats)(void *arg);                   /* an RTCP report arrived */
	void (*audio_error)(void *arg, const char *msg); /* the sound card failed */
	void *arg;
};

void media_cfg_default(struct media_cfg *cfg);
int media_cfg_check(const struct media_cfg *cfg, char *err, size_t errsz);
struct conf;
int media_cfg_from_conf(struct media_cfg *cfg, const struct conf *c, char *err, size_t errsz);
int media_alloc(struct media **mp, const struct media_cfg *cfg, const char *codecs,
		const struct sa *bind, const char *peer, const struct media_handlers *h);
int media_codecs_check(const char *codecs, char *err, size_t errsz);
void media_free(struct media *m);
int media_offer(struct media *m, struct buf *b, const struct sa *laddr, enum media_dir dir);
int media_answer(struct media *m, struct buf *b, const struct pl *offer, const struct sa *laddr,
		 enum media_dir dir);
int media_process_answer(struct media *m, const struct pl *answer);
/* After media_answer() failed: the Warning code (RFC 3261 20.43) and text. */
unsigned media_answer_warning(const struct media *m, const char **text);
int media_start(struct media *m);
void media_stop(struct media *m);
void media_ringback(struct media *m, bool on);
/* A local tone into the speaker at the device's rate: kind is an enum
 * tone_kind of audio/tone.h (an int here: curses' term.h makes "tone" a
 * macro in the files that include both).  over: instead of the far end's
 * audio (ringing, busy); else mixed into it (call waiting, DTMF
 * feedback).  TONE_NONE stops it; waiting and DTMF start again each time. */
void media_tone(struct media *m, int kind, char digit, bool over);
/* Send no audio while on: a call ringing here plays its ring through the
 * device before it is answered, an ended one its busy tone. */
void media_hush(struct media *m, bool on);
/* Whether local tones are wanted: [audio] tones, by default on when the
 * audio is a sound card (auto or portaudio). */
bool media_tones(const struct media *m);
int media_record(struct media *m, const char *path);
int media_play(struct media *m, const char *path, char *err, size_t errsz);
void media_mute(struct media *m, bool on);
bool media_remote_hold(const struct media *m);
int media_dtmf_send(struct media *m, const char *digits);
int media_dsp_set(struct media *m, const char *what, bool on);
int media_use_device(struct media *m, const char *spec);
void media_levels(const struct media *m, float *in, float *out);
void media_get_stats(const struct media *m, struct media_stats *s);

#endif
