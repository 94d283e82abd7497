/* wav.h: WAV files as a microphone (reader) and as a speaker (writer).
 *
 * Reader: RIFF/WAVE with 16-bit PCM (format tag 1, or EXTENSIBLE with the
 * PCM subformat), mono or stereo (stereo is mixed down to mono), at 8000,
 * 16000 or 48000 Hz.  Chunks other than "fmt " and "data" (LIST, fact, ...)
 * are skipped; every chunk is bounds-checked against the file size.
 * Errors come back as an errno and a message naming the file:
 *   ENOENT, EACCES, ...  the file cannot be opened (strerror)
 *   EBADMSG              not a WAV file, malformed or truncated
 *   ENOTSUP              a valid WAV this reader does not play (not PCM,
 *                        not 16-bit, more than 2 channels, another rate)
 *
 * Writer: 16-bit PCM mono at a given rate.  Samples go to the file with
 * write(2) as they come (nothing is held in user space), and the RIFF and
 * data sizes in the header are rewritten after each second of audio and on
 * close, so a file whose writer was killed is still a valid WAV holding
 * everything up to the last header update. */
#ifndef SIPTERM_AUDIO_WAV_H
#define SIPTERM_AUDIO_WAV_H

#include <stddef.h>
#include <stdint.h>

struct wav_reader;
struct wav_writer;

/* True for the rates the reader, the writer and the devices accept. */
int wav_rate_supported(uint32_t rate);

int wav_reader_open(struct wav_reader **rp, const char *path, char *err, size_t errsz);
void wav_reader_close(struct wav_reader *r);
uint32_t wav_reader_rate(const struct wav_reader *r);
unsigned wav_reader_channels(const struct wav_reader *r); /* in the file */
uint64_t wav_reader_frames(const struct wav_reader *r);   /* samples per channel */
/* Up to n mono samples into pcm; *got < n only at the end of the data.
 * 0, or an errno from read(2) (EIO when the file shrank under us). */
int wav_read(struct wav_reader *r, int16_t *pcm, size_t n, size_t *got);
/* Back to the first sample (for looping). */
void wav_rewind(struct wav_reader *r);

int wav_writer_open(struct wav_writer **wp, const char *path, uint32_t rate,
		    char *err, size_t errsz);
/* Append n samples.  0, or an errno from write(2) (sticky: once a write
 * failed every later call returns it); EFBIG past the 4 GB WAV limit. */
int wav_write(struct wav_writer *w, const int16_t *pcm, size_t n);
/* Rewrite the header's sizes now (wav_write does it every second). */
int wav_writer_sync(struct wav_writer *w);
uint64_t wav_writer_samples(const struct wav_writer *w);
/* Final header update and close; returns the first error seen, if any. */
int wav_writer_close(struct wav_writer *w);

#endif
