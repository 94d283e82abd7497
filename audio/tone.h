/* tone.h: call progress tones and DTMF feedback, generated into PCM frames.
 *
 * The tones follow the CEPT/ETSI plan (ETSI TR 101 041, used across Europe
 * and much of the world), all at 425 Hz:
 *   ringback      1 s on, 4 s off, repeated
 *   busy          0.5 s on, 0.5 s off, repeated
 *   congestion    0.25 s on, 0.25 s off, repeated
 *   call waiting  0.2 s on, 0.2 s off, 0.2 s on, then done (restart it for
 *                 another beep)
 * DTMF digits (0-9, *, #, A-D) are the ITU-T Q.23 row + column pairs, played
 * for 100 ms (a key click the user hears; the digit itself goes out as an
 * RTP event elsewhere).
 * Each burst ramps in and out over 2 ms so there is no click.  A struct tone
 * lives inside its owner; tone_fill does no allocation. */
#ifndef SIPTERM_AUDIO_TONE_H
#define SIPTERM_AUDIO_TONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tone_kind {
	TONE_NONE = 0,
	TONE_RINGBACK,
	TONE_BUSY,
	TONE_CONGESTION,
	TONE_WAITING,
	TONE_DTMF,
	TONE_RINGING,          /* a call rings here: 400+450 Hz, double ring */
};

struct tone {
	uint32_t srate;
	enum tone_kind kind;
	const struct tone_cadence *cad;
	double f1, f2;         /* Hz; f2 0 for a single tone */
	double amp;            /* peak of each component, full scale 32767 */
	double ph1, ph2;       /* radians */
	double inc1, inc2;     /* radians per sample */
	unsigned seg;          /* index in the cadence */
	uint32_t pos;          /* samples into the segment */
	uint32_t seg_len;      /* samples in the segment */
};

void tone_init(struct tone *t, uint32_t srate);
/* Start a tone from its beginning; digit is used only for TONE_DTMF.
 * EINVAL for an unknown digit (the tone is then stopped). */
int tone_start(struct tone *t, enum tone_kind kind, char digit);
void tone_stop(struct tone *t);
bool tone_active(const struct tone *t);
/* Fill n samples (silence when inactive or in an off period).  Returns
 * whether the tone is still running afterwards. */
bool tone_fill(struct tone *t, int16_t *pcm, size_t n);
/* The two DTMF frequencies for a digit; EINVAL if it is not one. */
int tone_dtmf_freqs(char digit, unsigned *row_hz, unsigned *col_hz);

#endif
