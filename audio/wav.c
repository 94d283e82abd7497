/* wav.c: WAV reader and crash-tolerant WAV writer.  The reader walks the
 * RIFF chunk list with pread(2) and bounds every chunk by the file size; it
 * then streams the data chunk through a fixed read-ahead buffer, so a file
 * of any length costs 4 KB and a 20 ms frame costs no system call most of
 * the time (one pread per 4 KB: 256 ms of 8 kHz mono; a looped file that
 * fits is read once).  The writer never buffers: what wav_write was given is
 * in the kernel when it returns, and the header is brought up to date once
 * per second of audio. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wav.h"
#include "xmalloc.h"

#define WAV_MAX_CHUNKS 1024      /* chunks walked before giving up */
#define WAV_HDR_LEN 44
#define WAV_MAX_DATA (0xffffffffu - 36u - 1u) /* data bytes a RIFF size can hold, even */
#define WAV_FMT_PCM 0x0001
#define WAV_FMT_EXTENSIBLE 0xfffe

struct wav_reader {
	int fd;
	uint32_t rate;
	unsigned channels;
	unsigned block;         /* bytes per frame: 2 * channels */
	uint64_t data_off;      /* file offset of the first sample */
	uint64_t frames;        /* whole frames in the data chunk */
	uint64_t pos;           /* next frame to read */
	uint64_t bpos;          /* frame of buf[0] */
	size_t bfr;             /* whole frames in buf (0: nothing read yet) */
	uint8_t buf[4096];
};

struct wav_writer {
	int fd;
	uint32_t rate;
	uint64_t bytes;         /* data bytes written */
	uint64_t synced;        /* data bytes the header describes */
	int err;                /* sticky */
};

int wav_rate_supported(uint32_t rate)
{
	return rate == 8000 || rate == 16000 || rate == 48000;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

__attribute__((format(printf, 4, 5)))
static int fail(int code, char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Exactly len bytes at off, or EBADMSG for a short file, or read's errno. */
static int pread_all(int fd, void *p, size_t len, uint64_t off)
{
	uint8_t *b = p;

	while (len) {
		ssize_t n = pread(fd, b, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EBADMSG;
		b += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* KSDATAFORMAT_SUBTYPE_PCM after its first two bytes (which hold the tag). */
static const uint8_t ks_pcm_tail[14] = {
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

struct fmt {
	uint16_t tag, channels, block, bits;
	uint32_t rate;
};

/* Read the "fmt " chunk's body (size bytes at off). */
static int parse_fmt(int fd, uint64_t off, uint32_t size, struct fmt *f, const char *path,
		     char *err, size_t errsz)
{
	uint8_t b[40];
	size_t n = size < sizeof(b) ? size : sizeof(b);
	int e;

	if (size < 16)
		return fail(EBADMSG, err, errsz, "%s: malformed WAV: fmt chunk of %u bytes "
			    "(at least 16 expected)", path, size);
	e = pread_all(fd, b, n, off);
	if (e)
		return fail(e, err, errsz, "%s: %s", path,
			    e == EBADMSG ? "truncated WAV file (inside the fmt chunk)" : strerror(e));
	f->tag = le16(b);
	f->channels = le16(b + 2);
	f->rate = le32(b + 4);
	f->block = le16(b + 12);
	f->bits = le16(b + 14);
	if (f->tag == WAV_FMT_EXTENSIBLE) {
		if (n < 40)
			return fail(EBADMSG, err, errsz, "%s: malformed WAV: extensible fmt chunk "
				    "of %u bytes (40 expected)", path, size);
		if (memcmp(b + 26, ks_pcm_tail, sizeof(ks_pcm_tail)) != 0)
			return fail(ENOTSUP, err, errsz, "%s: unsupported WAV: extensible format "
				    "with a non-PCM subformat (only 16-bit PCM is supported)", path);
		f->tag = le16(b + 24);
	}
	return 0;
}

int wav_reader_open(struct wav_reader **rp, const char *path, char *err, size_t errsz)
{
	struct wav_reader *r;
	struct stat st;
	struct fmt f = { 0 };
	uint8_t hdr[12];
	uint64_t size, pos, data_off = 0, data_len = 0;
	bool have_fmt = false, have_data = false;
	int fd, e;

	if (!rp || !path)
		return fail(EINVAL, err, errsz, "no WAV file given");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return fail(e, err, errsz, "%s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		e = fail(errno, err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = fail(EINVAL, err, errsz, "%s: not a regular file", path);
		goto out;
	}
	size = (uint64_t)st.st_size;
	e = size < sizeof(hdr) ? EBADMSG : pread_all(fd, hdr, sizeof(hdr), 0);
	if (e || memcmp(hdr, "RIFF", 4) != 0 || memcmp(hdr + 8, "WAVE", 4) != 0) {
		e = fail(e && e != EBADMSG ? e : EBADMSG, err, errsz, "%s: %s", path,
			 e && e != EBADMSG ? strerror(e) : "not a WAV file (no RIFF/WAVE header)");
		goto out;
	}

	/* Walk the chunks.  The RIFF size is often wrong (streamed or
	 * interrupted writers), so the file size is the bound. */
	pos = 12;
	for (unsigned i = 0; !(have_fmt && have_data); i++) {
		uint8_t ch[8];
		uint32_t csize;

		if (i == WAV_MAX_CHUNKS) {
			e = fail(EBADMSG, err, errsz, "%s: malformed WAV: more than %d chunks",
				 path, WAV_MAX_CHUNKS);
			goto out;
		}
		if (pos + 8 > size) {
			e = fail(EBADMSG, err, errsz, "%s: truncated WAV file (no %s chunk)", path,
				 have_fmt ? "data" : "fmt");
			goto out;
		}
		e = pread_all(fd, ch, 8, pos);
		if (e) {
			e = fail(e, err, errsz, "%s: %s", path, strerror(e));
			goto out;
		}
		csize = le32(ch + 4);
		if (memcmp(ch, "data", 4) == 0) {
			data_off = pos + 8;
			data_len = csize;
			if (data_off + data_len > size) {
				/* 0xffffffff: a streaming writer's "until the end" */
				if (csize != 0xffffffffu) {
					e = fail(EBADMSG, err, errsz, "%s: truncated WAV file: data "
						 "chunk declares %u bytes, the file holds %llu",
						 path, csize, (unsigned long long)(size - data_off));
					goto out;
				}
				data_len = size - data_off;
			}
			have_data = true;
		} else if (memcmp(ch, "fmt ", 4) == 0) {
			if (pos + 8 + csize > size) {
				e = fail(EBADMSG, err, errsz, "%s: truncated WAV file (inside the "
					 "fmt chunk)", path);
				goto out;
			}
			e = parse_fmt(fd, pos + 8, csize, &f, path, err, errsz);
			if (e)
				goto out;
			have_fmt = true;
		}
		/* chunks are padded to an even size */
		pos += 8 + (uint64_t)csize + (csize & 1);
	}

	if (f.tag != WAV_FMT_PCM) {
		e = fail(ENOTSUP, err, errsz, "%s: unsupported WAV: format tag 0x%04x is not PCM "
			 "(only 16-bit PCM is supported)", path, f.tag);
		goto out;
	}
	if (f.bits != 16) {
		e = fail(ENOTSUP, err, errsz, "%s: unsupported WAV: %u-bit samples (only 16-bit "
			 "PCM is supported)", path, f.bits);
		goto out;
	}
	if (f.channels != 1 && f.channels != 2) {
		e = fail(ENOTSUP, err, errsz, "%s: unsupported WAV: %u channels (mono or stereo "
			 "only)", path, f.channels);
		goto out;
	}
	if (f.block != 2 * f.channels) {
		e = fail(EBADMSG, err, errsz, "%s: malformed WAV: block align %u for %u "
			 "16-bit channels", path, f.block, f.channels);
		goto out;
	}
	if (!wav_rate_supported(f.rate)) {
		e = fail(ENOTSUP, err, errsz, "%s: unsupported WAV: sample rate %u Hz (supported: "
			 "8000, 16000 and 48000 Hz)", path, f.rate);
		goto out;
	}

	r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->rate = f.rate;
	r->channels = f.channels;
	r->block = f.block;
	r->data_off = data_off;
	r->frames = data_len / f.block;
	*rp = r;
	return 0;
out:
	close(fd);
	return e;
}

void wav_reader_close(struct wav_reader *r)
{
	if (!r)
		return;
	close(r->fd);
	free(r);
}

uint32_t wav_reader_rate(const struct wav_reader *r)
{
	return r->rate;
}

unsigned wav_reader_channels(const struct wav_reader *r)
{
	return r->channels;
}

uint64_t wav_reader_frames(const struct wav_reader *r)
{
	return r->frames;
}

/* Read ahead from pos: one pread for a buffer's worth of frames. */
static int fill(struct wav_reader *r)
{
	size_t want = sizeof(r->buf) / r->block;
	ssize_t k;

	if (want > r->frames - r->pos)
		want = (size_t)(r->frames - r->pos);
	do
		k = pread(r->fd, r->buf, want * r->block, (off_t)(r->data_off + r->pos * r->block));
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return errno;
	if ((size_t)k < r->block)
		return EIO; /* the file shrank after it was opened */
	r->bpos = r->pos;
	r->bfr = (size_t)k / r->block;
	return 0;
}

int wav_read(struct wav_reader *r, int16_t *pcm, size_t n, size_t *got)
{
	size_t done = 0;

	while (done < n && r->pos < r->frames) {
		size_t off, k;

		if (r->pos < r->bpos || r->pos >= r->bpos + r->bfr) {
			int e = fill(r);
			if (e) {
				*got = done;
				return e;
			}
		}
		off = (size_t)(r->pos - r->bpos);
		k = r->bfr - off;
		if (k > n - done)
			k = n - done;
		for (size_t i = 0; i < k; i++) {
			const uint8_t *p = r->buf + (off + i) * r->block;
			if (r->channels == 1) {
				pcm[done + i] = (int16_t)le16(p);
			} else {
				int32_t v = (int32_t)(int16_t)le16(p) + (int16_t)le16(p + 2);
				pcm[done + i] = (int16_t)(v >> 1);
			}
		}
		done += k;
		r->pos += k;
	}
	*got = done;
	return 0;
}

void wav_rewind(struct wav_reader *r)
{
	r->pos = 0;
}

static int write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t n = write(fd, b, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static void header(uint8_t *h, uint32_t rate, uint32_t data_bytes)
{
	memcpy(h, "RIFF", 4);
	put32(h + 4, 36 + data_bytes);
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, 16);
	put16(h + 20, WAV_FMT_PCM);
	put16(h + 22, 1);
	put32(h + 24, rate);
	put32(h + 28, rate * 2);
	put16(h + 32, 2);
	put16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put32(h + 40, data_bytes);
}

int wav_writer_open(struct wav_writer **wp, const char *path, uint32_t rate,
		    char *err, size_t errsz)
{
	struct wav_writer *w;
	uint8_t h[WAV_HDR_LEN];
	int fd, e;

	if (!wp || !path)
		return fail(EINVAL, err, errsz, "no WAV file given");
	if (!wav_rate_supported(rate))
		return fail(ENOTSUP, err, errsz, "%s: cannot record at %u Hz (supported: 8000, "
			    "16000 and 48000 Hz)", path, rate);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		return fail(e, err, errsz, "%s: %s", path, strerror(e));
	}
	header(h, rate, 0);
	e = write_all(fd, h, sizeof(h));
	if (e) {
		close(fd);
		return fail(e, err, errsz, "%s: %s", path, strerror(e));
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->rate = rate;
	*wp = w;
	return 0;
}

static int pwrite32(int fd, const uint8_t *b, off_t off)
{
	ssize_t n;

	do
		n = pwrite(fd, b, 4, off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	return n == 4 ? 0 : EIO;
}

int wav_writer_sync(struct wav_writer *w)
{
	uint8_t b[4];
	int e;

	if (w->synced == w->bytes)
		return w->err;
	/* data size first: a reader bounds the data by it, not by RIFF's */
	put32(b, (uint32_t)w->bytes);
	e = pwrite32(w->fd, b, 40);
	if (!e) {
		put32(b, (uint32_t)(36 + w->bytes));
		e = pwrite32(w->fd, b, 4);
	}
	if (e) {
		if (!w->err)
			w->err = e;
		return e;
	}
	w->synced = w->bytes;
	return w->err;
}

int wav_write(struct wav_writer *w, const int16_t *pcm, size_t n)
{
	uint8_t b[2048];

	if (w->err)
		return w->err;
	if (w->bytes + 2 * (uint64_t)n > WAV_MAX_DATA)
		return EFBIG;
	while (n) {
		size_t k = n < sizeof(b) / 2 ? n : sizeof(b) / 2;
		int e;
		for (size_t i = 0; i < k; i++)
			put16(b + 2 * i, (uint16_t)pcm[i]);
		e = write_all(w->fd, b, 2 * k);
		if (e) {
			w->err = e;
			return e;
		}
		w->bytes += 2 * k;
		pcm += k;
		n -= k;
	}
	/* once per second of audio */
	if (w->bytes - w->synced >= 2 * (uint64_t)w->rate)
		return wav_writer_sync(w);
	return 0;
}

uint64_t wav_writer_samples(const struct wav_writer *w)
{
	return w->bytes / 2;
}

int wav_writer_close(struct wav_writer *w)
{
	int e;

	if (!w)
		return 0;
	e = wav_writer_sync(w);
	if (close(w->fd) < 0 && !e)
		e = errno;
	free(w);
	return e;
}
