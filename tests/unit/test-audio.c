/* test-audio.c: unit tests for the audio primitives: the SPSC frame ring
 * (semantics and a two-thread stress run), WAV reading and writing
 * (including a writer killed mid-file), G.711 against SoX's output, the
 * jitter buffer, the tone generator, and the timer-paced devices on a fake
 * clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audio/codec.h"
#include "audio/dev.h"
#include "audio/jbuf.h"
#include "audio/ring.h"
#include "audio/tone.h"
#include "audio/wav.h"
#include "log.h"
#include "loop.h"
#include "tmr.h"
#include "xmalloc.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- helpers ---------- */

static char tmpdir[PATH_MAX];

static int tmp_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sipterm-test-audio.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", tmpdir, name);
	assert_true(n > 0 && (size_t)n < size);
	return buf;
}

static void write_bytes(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Power of one frequency in a block (Goertzel). */
static double goertzel(const int16_t *x, size_t n, double hz, double rate)
{
	double w = 2 * M_PI * hz / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n);
}

static unsigned zero_crossings(const int16_t *x, size_t n)
{
	unsigned z = 0;
	for (size_t i = 1; i < n; i++)
		if ((x[i - 1] < 0) != (x[i] < 0))
			z++;
	return z;
}

static double energy(const int16_t *x, size_t n)
{
	double e = 0;
	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return n ? e / n : 0;
}

/* ====================================================================== */
/* ring                                                                   */
/* ====================================================================== */

static void fill_frame(int16_t *f, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		f[i] = (int16_t)(v * 7 + (int)i);
}

static void test_ring_semantics(void **state)
{
	struct ring *r = NULL;
	int16_t in[160], out[160];
	(void)state;

	assert_int_equal(ring_alloc(&r, 0, 4), EINVAL);
	assert_int_equal(ring_alloc(&r, 160, 0), EINVAL);
	assert_int_equal(ring_alloc(&r, 160, 65537), EINVAL);
	assert_null(r);

	assert_int_equal(ring_alloc(&r, 160, 5), 0);
	assert_int_equal(ring_capacity(r), 8); /* rounded up to a power of two */
	assert_int_equal(ring_frame_samples(r), 160);
	assert_int_equal(ring_count(r), 0);

	/* empty: pop gives silence and counts, trypop neither */
	memset(out, 0x55, sizeof(out));
	assert_int_equal(ring_trypop(r, out), ENODATA);
	assert_int_equal(out[0], 0x5555);
	assert_int_equal(ring_underruns(r), 0);
	assert_int_equal(ring_pop(r, out), ENODATA);
	for (size_t i = 0; i < 160; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(ring_underruns(r), 1);

	/* fill: every slot usable, the ninth push is dropped and counted */
	for (int k = 0; k < 8; k++) {
		fill_frame(in, 160, k);
		assert_int_equal(ring_push(r, in), 0);
		assert_int_equal(ring_count(r), (size_t)k + 1);
	}
	fill_frame(in, 160, 99);
	assert_int_equal(ring_push(r, in), ENOSPC);
	assert_int_equal(ring_push(r, in), ENOSPC);
	assert_int_equal(ring_overruns(r), 2);
	assert_int_equal(ring_count(r), 8);

	/* FIFO order, the dropped frame never appears */
	for (int k = 0; k < 8; k++) {
		int16_t want[160];
		fill_frame(want, 160, k);
		assert_int_equal(ring_pop(r, out), 0);
		assert_memory_equal(out, want, sizeof(out));
	}
	assert_int_equal(ring_count(r), 0);
	assert_int_equal(ring_pop(r, out), ENODATA);
	assert_int_equal(ring_underruns(r), 2);

	/* wrap many times with three frames in flight */
	int next_in = 0, next_out = 0;
	for (int k = 0; k < 3; k++) {
		fill_frame(in, 160, next_in++);
		assert_int_equal(ring_push(r, in), 0);
	}
	for (int round = 0; round < 1000; round++) {
		int16_t want[160];
		fill_frame(want, 160, next_out++);
		assert_int_equal(ring_trypop(r, out), 0);
		assert_memory_equal(out, want, sizeof(out));
		fill_frame(in, 160, next_in++);
		assert_int_equal(ring_push(r, in), 0);
		assert_int_equal(ring_count(r), 3);
	}
	assert_int_equal(ring_overruns(r), 2);
	assert_int_equal(ring_underruns(r), 2);

	/* flush empties from the consumer side */
	ring_flush(r);
	assert_int_equal(ring_count(r), 0);
	assert_int_equal(ring_trypop(r, out), ENODATA);
	fill_frame(in, 160, 7);
	assert_int_equal(ring_push(r, in), 0);
	assert_int_equal(ring_trypop(r, out), 0);
	assert_memory_equal(out, in, sizeof(out));
	ring_free(r);
	ring_free(NULL);
}

/* Two threads: frames carry a 64-bit sequence number and its complement,
 * so a torn or reordered frame is caught.  The producer retries on a full
 * ring and the consumer on an empty one, so every frame must arrive
 * exactly once and in order, and the counters must equal the failures each
 * side saw.  The sides run at different speeds in alternating phases, so
 * the ring runs both full and empty. */
#if defined(__SANITIZE_THREAD__)
#define STRESS_FRAMES 300000u
#else
#define STRESS_FRAMES 2000000u
#endif
#define STRESS_SAMPLES 8

struct stress {
	struct ring *r;
	uint64_t full, empty;  /* failures each side saw */
	uint64_t bad;          /* consumer: frames that were not the expected one */
};

static void spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

static void *stress_producer(void *arg)
{
	struct stress *s = arg;
	int16_t f[STRESS_SAMPLES];

	for (uint64_t seq = 0; seq < STRESS_FRAMES; seq++) {
		for (int i = 0; i < 4; i++) {
			f[i] = (int16_t)(seq >> (16 * i));
			f[4 + i] = (int16_t)~(seq >> (16 * i));
		}
		while (ring_push(s->r, f) == ENOSPC) {
			s->full++;
			sched_yield();
		}
		/* slower than the consumer in odd phases of 64k frames */
		if ((seq >> 16) & 1)
			spin(40);
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress *s = arg;
	int16_t f[STRESS_SAMPLES];

	for (uint64_t want = 0; want < STRESS_FRAMES;) {
		uint64_t seq = 0;
		if (ring_pop(s->r, f) == ENODATA) {
			s->empty++;
			sched_yield();
			continue;
		}
		for (int i = 0; i < 4; i++) {
			seq |= (uint64_t)(uint16_t)f[i] << (16 * i);
			if (f[4 + i] != (int16_t)~f[i])
				s->bad++;
		}
		if (seq != want)
			s->bad++;
		want++;
		if (!((want >> 16) & 1))
			spin(40);
	}
	return NULL;
}

static void test_ring_stress(void **state)
{
	struct stress s = { 0 };
	pthread_t p, c;
	(void)state;

	assert_int_equal(ring_alloc(&s.r, STRESS_SAMPLES, 64), 0);
	assert_int_equal(pthread_create(&c, NULL, stress_consumer, &s), 0);
	assert_int_equal(pthread_create(&p, NULL, stress_producer, &s), 0);
	assert_int_equal(pthread_join(p, NULL), 0);
	assert_int_equal(pthread_join(c, NULL), 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(ring_count(s.r), 0);
	assert_int_equal(ring_overruns(s.r), s.full);
	assert_int_equal(ring_underruns(s.r), s.empty);
	print_message("# ring stress: %u frames, %llu overruns, %llu underruns\n",
		      STRESS_FRAMES, (unsigned long long)s.full, (unsigned long long)s.empty);
	ring_free(s.r);
}

/* ====================================================================== */
/* WAV                                                                    */
/* ====================================================================== */

/* A WAV image built by hand: RIFF header, then the given chunks. */
struct img {
	uint8_t b[4096];
	size_t n;
};

static void img_bytes(struct img *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void img_u16(struct img *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	img_bytes(m, b, 2);
}

static void img_u32(struct img *m, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	img_bytes(m, b, 4);
}

static void img_riff(struct img *m)
{
	m->n = 0;
	img_bytes(m, "RIFF", 4);
	img_u32(m, 0); /* fixed by img_done */
	img_bytes(m, "WAVE", 4);
}

static void img_fmt(struct img *m, unsigned tag, unsigned ch, uint32_t rate, unsigned bits)
{
	img_bytes(m, "fmt ", 4);
	img_u32(m, 16);
	img_u16(m, tag);
	img_u16(m, ch);
	img_u32(m, rate);
	img_u32(m, rate * ch * bits / 8);
	img_u16(m, ch * bits / 8);
	img_u16(m, bits);
}

static void img_chunk(struct img *m, const char *id, const void *p, uint32_t n)
{
	img_bytes(m, id, 4);
	img_u32(m, n);
	img_bytes(m, p, n);
	if (n & 1)
		img_bytes(m, "", 1);
}

static void img_done(struct img *m)
{
	uint32_t v = (uint32_t)m->n - 8;
	m->b[4] = (uint8_t)v;
	m->b[5] = (uint8_t)(v >> 8);
	m->b[6] = (uint8_t)(v >> 16);
	m->b[7] = (uint8_t)(v >> 24);
}

static void test_wav_roundtrip(void **state)
{
	char path[PATH_MAX], err[256];
	struct wav_writer *w = NULL;
	struct wav_reader *r = NULL;
	static int16_t pcm[24000], back[24000];
	size_t got;
	(void)state;

	for (size_t i = 0; i < N_ELEM(pcm); i++)
		pcm[i] = (int16_t)rnd();
	pcm[0] = INT16_MIN;
	pcm[1] = INT16_MAX;
	tmp_path(path, sizeof(path), "rt.wav");
	assert_int_equal(wav_writer_open(&w, path, 16000, err, sizeof(err)), 0);
	for (size_t i = 0; i < N_ELEM(pcm); i += 320)
		assert_int_equal(wav_write(w, pcm + i, 320), 0);
	assert_int_equal(wav_writer_samples(w), 24000);
	assert_int_equal(wav_writer_close(w), 0);

	assert_int_equal(wav_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(wav_reader_rate(r), 16000);
	assert_int_equal(wav_reader_channels(r), 1);
	assert_int_equal(wav_reader_frames(r), 24000);
	/* odd read sizes straddle the internal buffer */
	size_t have = 0;
	while (have < N_ELEM(back)) {
		size_t want = 1 + rnd() % 3000;
		if (want > N_ELEM(back) - have)
			want = N_ELEM(back) - have;
		assert_int_equal(wav_read(r, back + have, want, &got), 0);
		assert_int_equal(got, want);
		have += got;
	}
	assert_memory_equal(pcm, back, sizeof(pcm));
	assert_int_equal(wav_read(r, back, 10, &got), 0);
	assert_int_equal(got, 0);
	wav_rewind(r);
	assert_int_equal(wav_read(r, back, 10, &got), 0);
	assert_int_equal(got, 10);
	assert_memory_equal(pcm, back, 10 * sizeof(int16_t));
	/* the file cut short under the reader: what is there, then EIO */
	assert_int_equal(truncate(path, 44 + 2 * 4000), 0);
	wav_rewind(r);
	assert_int_equal(wav_read(r, back, N_ELEM(back), &got), EIO);
	assert_int_equal(got, 4000);
	assert_memory_equal(pcm, back, 4000 * sizeof(int16_t));
	wav_reader_close(r);
	/* written again for what follows */
	assert_int_equal(wav_writer_open(&w, path, 16000, err, sizeof(err)), 0);
	assert_int_equal(wav_write(w, pcm, N_ELEM(pcm)), 0);
	assert_int_equal(wav_writer_close(w), 0);

	/* what SoX makes of it: the header is standard */
	char cmd[2 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "soxi -s '%s' 2>/dev/null | grep -qx 24000", path);
	if (system("command -v soxi >/dev/null 2>&1") == 0)
		assert_int_equal(system(cmd), 0);

	/* the writer refuses other rates */
	assert_int_equal(wav_writer_open(&w, path, 44100, err, sizeof(err)), ENOTSUP);
	assert_non_null(strstr(err, "44100"));
}

static void test_wav_stereo_and_chunks(void **state)
{
	char path[PATH_MAX], err[256];
	struct wav_reader *r = NULL;
	struct img m;
	int16_t lr[] = { 1000, 3000, -1000, -3001, 32767, 32767, -32768, -32768, 5, -5 };
	int16_t want[] = { 2000, -2001, 32767, -32768, 0 };
	int16_t out[8];
	size_t got;
	(void)state;

	/* LIST with an odd size (padded) before fmt, a fact chunk between */
	img_riff(&m);
	img_chunk(&m, "LIST", "INFOISFT\3\0\0\0ab", 15);
	img_fmt(&m, 1, 2, 48000, 16);
	img_chunk(&m, "fact", "\5\0\0\0", 4);
	img_bytes(&m, "data", 4);
	img_u32(&m, sizeof(lr));
	for (size_t i = 0; i < N_ELEM(lr); i++)
		img_u16(&m, (uint16_t)lr[i]);
	img_chunk(&m, "LIST", "tail", 4); /* after data: never reached */
	img_done(&m);
	tmp_path(path, sizeof(path), "stereo.wav");
	write_bytes(path, m.b, m.n);

	assert_int_equal(wav_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(wav_reader_rate(r), 48000);
	assert_int_equal(wav_reader_channels(r), 2);
	assert_int_equal(wav_reader_frames(r), 5);
	assert_int_equal(wav_read(r, out, N_ELEM(out), &got), 0);
	assert_int_equal(got, 5);
	assert_memory_equal(out, want, sizeof(want));
	wav_reader_close(r);

	/* EXTENSIBLE with the PCM subformat is PCM */
	static const uint8_t ks_pcm[16] = { 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71 };
	img_riff(&m);
	img_bytes(&m, "fmt ", 4);
	img_u32(&m, 40);
	img_u16(&m, 0xfffe);
	img_u16(&m, 1);
	img_u32(&m, 8000);
	img_u32(&m, 16000);
	img_u16(&m, 2);
	img_u16(&m, 16);
	img_u16(&m, 22);
	img_u16(&m, 16);
	img_u32(&m, 4);
	img_bytes(&m, ks_pcm, 16);
	img_chunk(&m, "data", "\1\0\2\0\3\0", 6);
	img_done(&m);
	write_bytes(path, m.b, m.n);
	assert_int_equal(wav_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(wav_reader_frames(r), 3);
	assert_int_equal(wav_read(r, out, 8, &got), 0);
	assert_int_equal(got, 3);
	assert_int_equal(out[2], 3);
	wav_reader_close(r);

	/* ... and with the float subformat it is not */
	m.b[12 + 8 + 24] = 3;
	write_bytes(path, m.b, m.n);
	assert_int_equal(wav_reader_open(&r, path, err, sizeof(err)), ENOTSUP);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "PCM"));

	/* a streaming writer's "data size unknown" reads to the end */
	img_riff(&m);
	img_fmt(&m, 1, 1, 8000, 16);
	img_bytes(&m, "data", 4);
	img_u32(&m, 0xffffffffu);
	img_bytes(&m, "\7\0\10\0\11\0\12", 7); /* 3.5 samples: the half is ignored */
	write_bytes(path, m.b, m.n);
	assert_int_equal(wav_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(wav_reader_frames(r), 3);
	wav_reader_close(r);
}

struct bad_wav {
	const char *what;
	int err;
	const char *msg; /* in the message, besides the path */
};

static void test_wav_errors(void **state)
{
	char path[PATH_MAX], err[256];
	struct wav_reader *r = NULL;
	struct img m;
	(void)state;

	/* missing file */
	tmp_path(path, sizeof(path), "nonexistent.wav");
	err[0] = 0;
	assert_int_equal(wav_reader_open(&r, path, err, sizeof(err)), ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	assert_null(r);

	static const struct bad_wav cases[] = {
		{ "empty", EBADMSG, "not a WAV" },
		{ "text", EBADMSG, "not a WAV" },
		{ "riff-only", EBADMSG, "no fmt chunk" },
		{ "no-data", EBADMSG, "no data chunk" },
		{ "data-truncated", EBADMSG, "truncated" },
		{ "fmt-truncated", EBADMSG, "truncated" },
		{ "fmt-short", EBADMSG, "fmt chunk of 12 bytes" },
		{ "float", ENOTSUP, "format tag 0x0003" },
		{ "8bit", ENOTSUP, "8-bit" },
		{ "44100", ENOTSUP, "44100 Hz (supported: 8000, 16000 and 48000 Hz)" },
		{ "3ch", ENOTSUP, "3 channels" },
		{ "block", EBADMSG, "block align" },
		{ "garbage", EBADMSG, "" },
		{ "chunk-bomb", EBADMSG, "" },
	};
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		const char *w = cases[i].what;
		img_riff(&m);
		if (!strcmp(w, "empty")) {
			m.n = 0;
		} else if (!strcmp(w, "text")) {
			m.n = 0;
			img_bytes(&m, "hello, this is not audio at all", 31);
		} else if (!strcmp(w, "riff-only")) {
			img_done(&m);
		} else if (!strcmp(w, "no-data")) {
			img_fmt(&m, 1, 1, 8000, 16);
			img_chunk(&m, "LIST", "abcd", 4);
			img_done(&m);
		} else if (!strcmp(w, "data-truncated")) {
			img_fmt(&m, 1, 1, 8000, 16);
			img_bytes(&m, "data", 4);
			img_u32(&m, 1000);
			img_bytes(&m, "\1\0\2\0", 4);
			img_done(&m);
		} else if (!strcmp(w, "fmt-truncated")) {
			img_fmt(&m, 1, 1, 8000, 16);
			m.n -= 6;
			img_done(&m);
		} else if (!strcmp(w, "fmt-short")) {
			img_chunk(&m, "fmt ", "\1\0\1\0\100\37\0\0\200\76\0\0", 12);
			img_chunk(&m, "data", "\0\0", 2);
			img_done(&m);
		} else if (!strcmp(w, "float")) {
			img_fmt(&m, 3, 1, 8000, 32);
			img_chunk(&m, "data", "\0\0\0\0", 4);
		} else if (!strcmp(w, "8bit")) {
			img_fmt(&m, 1, 1, 8000, 8);
			img_chunk(&m, "data", "\0\0", 2);
		} else if (!strcmp(w, "44100")) {
			img_fmt(&m, 1, 1, 44100, 16);
			img_chunk(&m, "data", "\0\0", 2);
		} else if (!strcmp(w, "3ch")) {
			img_fmt(&m, 1, 3, 8000, 16);
			img_chunk(&m, "data", "\0\0\0\0\0\0", 6);
		} else if (!strcmp(w, "block")) {
			img_fmt(&m, 1, 1, 8000, 16);
			m.b[12 + 8 + 12] = 4; /* block align 4 for mono 16-bit */
			img_chunk(&m, "data", "\0\0\0\0", 4);
		} else if (!strcmp(w, "garbage")) {
			m.n = 12;
			for (int k = 0; k < 3000; k++) {
				uint8_t b = (uint8_t)rnd();
				img_bytes(&m, &b, 1);
			}
		} else if (!strcmp(w, "chunk-bomb")) {
			for (int k = 0; k < 1100 && m.n + 8 <= sizeof(m.b); k++)
				img_chunk(&m, "junk", "", 0);
			img_done(&m);
		}
		tmp_path(path, sizeof(path), w);
		write_bytes(path, m.b, m.n);
		err[0] = 0;
		int e = wav_reader_open(&r, path, err, sizeof(err));
		if (e != cases[i].err || !strstr(err, path) || !strstr(err, cases[i].msg))
			print_error("case %s: got %d (%s)\n", w, e, err);
		assert_int_equal(e, cases[i].err);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, cases[i].msg));
		assert_null(r);
	}
}

/* A writer killed without closing leaves a valid file holding everything up
 * to its last header update (once per second of audio). */
static void test_wav_killed_writer(void **state)
{
	char path[PATH_MAX], err[256];
	struct wav_reader *r = NULL;
	static int16_t pcm[20000], back[20000];
	int status = 0;
	size_t got;
	pid_t pid;
	(void)state;

	for (size_t i = 0; i < N_ELEM(pcm); i++)
		pcm[i] = (int16_t)(i * 37);
	tmp_path(path, sizeof(path), "killed.wav");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wav_writer *w = NULL;
		if (wav_writer_open(&w, path, 8000, err, sizeof(err)))
			_exit(1);
		/* 2.5 s in 20 ms frames: header updates at 1 s and 2 s */
		for (size_t i = 0; i < 125; i++)
			if (wav_write(w, pcm + i * 160, 160))
				_exit(2);
		raise(SIGKILL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 44 + 125 * 160 * 2); /* every sample reached the file */
	assert_int_equal(wav_reader_open(&r, path, err, sizeof(err)), 0);
	assert_int_equal(wav_reader_frames(r), 16000);
	assert_int_equal(wav_read(r, back, N_ELEM(back), &got), 0);
	assert_int_equal(got, 16000);
	assert_memory_equal(back, pcm, 16000 * sizeof(int16_t));
	wav_reader_close(r);
}

/* ====================================================================== */
/* G.711                                                                  */
/* ====================================================================== */

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x01000193u;
	}
	return h;
}

/* From SoX 14.4.2 (-D, no dither):
 *   sox -D -r 8000 -c 1 -e signed -b 16 -t raw in.raw -t raw -e mu-law out.raw
 * and the same with -e a-law, and back to signed 16-bit for the codes. */
static const struct {
	int16_t x;
	uint8_t mu, a;
} enc_known[] = {
	{ 0, 0xff, 0xd5 }, { 1, 0xff, 0xd5 }, { -1, 0xff, 0xd5 }, { 2, 0xfe, 0xd5 },
	{ -2, 0xff, 0xd5 }, { -3, 0x7e, 0xd5 }, { 4, 0xfe, 0xd5 }, { -8, 0x7e, 0x55 },
	{ 100, 0xf2, 0xd3 }, { -100, 0x72, 0x50 }, { 1000, 0xce, 0xfa }, { -1000, 0x4e, 0x7a },
	{ 4000, 0xaf, 0x9a }, { -4000, 0x2f, 0x1a }, { 8000, 0xa0, 0x8a }, { -8000, 0x20, 0x0a },
	{ 16000, 0x90, 0xba }, { -16000, 0x10, 0x3a }, { 32124, 0x80, 0xaa },
	{ 32767, 0x80, 0xaa }, { -32768, 0x00, 0x2a }, { -32124, 0x00, 0x2a },
};

static const struct {
	uint8_t code;
	int16_t mu, a;
} dec_known[] = {
	{ 0x00, -32124, -5504 }, { 0x01, -31100, -5248 }, { 0x0f, -16764, -6784 },
	{ 0x10, -15996, -2752 }, { 0x7e, -8, -880 }, { 0x7f, 0, -848 }, { 0x80, 32124, 5504 },
	{ 0xfe, 8, 880 }, { 0xff, 0, 848 }, { 0x55, -716, -8 }, { 0xd5, 716, 8 },
	{ 0x2a, -5372, -32256 }, { 0xaa, 5372, 32256 },
};

static void test_g711_known_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(enc_known); i++) {
		assert_int_equal(g711_ulaw_encode(enc_known[i].x), enc_known[i].mu);
		assert_int_equal(g711_alaw_encode(enc_known[i].x), enc_known[i].a);
	}
	for (size_t i = 0; i < N_ELEM(dec_known); i++) {
		assert_int_equal(g711_ulaw_decode(dec_known[i].code), dec_known[i].mu);
		assert_int_equal(g711_alaw_decode(dec_known[i].code), dec_known[i].a);
	}
}

/* Every input and every code, against checksums of SoX's output files. */
static void test_g711_matches_sox(void **state)
{
	uint32_t hmu = 0x811c9dc5u, ha = 0x811c9dc5u, hdmu = 0x811c9dc5u, hda = 0x811c9dc5u;
	(void)state;

	for (int x = -32768; x < 32768; x++) {
		uint8_t u = g711_ulaw_encode((int16_t)x), a = g711_alaw_encode((int16_t)x);
		hmu = fnv1a(hmu, &u, 1);
		ha = fnv1a(ha, &a, 1);
	}
	for (int c = 0; c < 256; c++) {
		int16_t u = g711_ulaw_decode((uint8_t)c), a = g711_alaw_decode((uint8_t)c);
		uint8_t bu[2] = { (uint8_t)u, (uint8_t)((uint16_t)u >> 8) };
		uint8_t ba[2] = { (uint8_t)a, (uint8_t)((uint16_t)a >> 8) };
		hdmu = fnv1a(hdmu, bu, 2);
		hda = fnv1a(hda, ba, 2);
	}
	assert_int_equal(hmu, 0x9aa140d1u);
	assert_int_equal(ha, 0xc95044c5u);
	assert_int_equal(hdmu, 0x715d95a8u);
	assert_int_equal(hda, 0x12fb6645u);
}

/* Quantisation error within half a step of the segment (plus the rounding
 * to 14/13 bits), the laws' structure (monotonic, odd), and code
 * round trips. */
static void test_g711_error_bounds(void **state)
{
	(void)state;
	int prev_mu = -40000, prev_a = -40000;

	for (int x = -32768; x < 32768; x++) {
		uint8_t u = g711_ulaw_encode((int16_t)x), a = g711_alaw_encode((int16_t)x);
		int du = g711_ulaw_decode(u), da = g711_alaw_decode(a);
		int useg = ((uint8_t)~u >> 4) & 7, aseg = ((a ^ 0x55) >> 4) & 7;
		int ustep = 8 << useg;                         /* 16-bit units */
		int astep = aseg <= 1 ? 16 : 16 << (aseg - 1);
		int ax = x < 0 ? -x : x;

		/* half a step, plus one 14-bit (mu) or 13-bit (A) unit of
		 * rounding; above the top level, the top level */
		if (ax <= 32124)
			assert_true(abs(du - x) <= ustep / 2 + 4);
		else
			assert_true(abs(du) == 32124);
		if (ax <= 32256)
			assert_true(abs(da - x) <= astep / 2 + 8);
		else
			assert_true(abs(da) == 32256);
		assert_true(du >= prev_mu);                    /* monotonic */
		assert_true(da >= prev_a);
		prev_mu = du;
		prev_a = da;
	}
	for (int c = 0; c < 256; c++) {
		int16_t du = g711_ulaw_decode((uint8_t)c), da = g711_alaw_decode((uint8_t)c);
		/* symmetric laws: the sign bit flips the value */
		assert_int_equal(g711_ulaw_decode((uint8_t)(c ^ 0x80)), -du);
		assert_int_equal(g711_alaw_decode((uint8_t)(c ^ 0x80)), -da);
		/* decode then encode gives the code back (mu-law's -0 becomes +0) */
		assert_int_equal(g711_ulaw_encode(du), c == 0x7f ? 0xff : c);
		assert_int_equal(g711_alaw_encode(da), c);
	}
}

static void test_codec_registry(void **state)
{
	const struct codec *c;
	struct codec_state *s = NULL;
	int16_t pcm[160], back[160];
	uint8_t pl[160];
	size_t n = 0, count = 0;
	(void)state;

	assert_ptr_equal(codec_find("PCMU", 8000, 1), &codec_pcmu);
	assert_ptr_equal(codec_find("pcmu", 8000, 0), &codec_pcmu);
	assert_ptr_equal(codec_find("PcMa", 8000, 1), &codec_pcma);
	assert_null(codec_find("PCMU", 16000, 1));
	assert_null(codec_find("PCMU", 8000, 2));
	assert_null(codec_find("telephone-event", 8000, 1)); /* not a codec */
	assert_null(codec_find(NULL, 8000, 1));
	assert_ptr_equal(codec_find_pt(0), &codec_pcmu);
	assert_ptr_equal(codec_find_pt(8), &codec_pcma);
	assert_null(codec_find_pt(101));
	assert_null(codec_find_pt(CODEC_PT_DYNAMIC));
	for (size_t i = 0; (c = codec_at(i)); i++) {
		count++;
		assert_non_null(c->name);
		assert_non_null(c->encode);
		assert_non_null(c->decode);
		assert_non_null(c->plc);
		assert_int_equal(c->ptime_ms, 20);
		assert_ptr_equal(codec_find(c->name, c->clock_rate, c->channels), c);
	}
	assert_int_equal(count, codec_count());
	assert_true(count >= 2);
	assert_int_equal(codec_frame_samples(&codec_pcmu), 160);
	assert_int_equal(codec_frame_ts(&codec_pcma), 160);
	assert_null(codec_pcmu.fmtp);

	for (size_t i = 0; i < 160; i++)
		pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 1000 * (double)i / 8000));
	for (size_t k = 0; k < 2; k++) {
		const struct codec *cc = k ? &codec_pcma : &codec_pcmu;
		assert_int_equal(codec_state_alloc(&s, cc, NULL), 0);
		assert_ptr_equal(codec_state_codec(s), cc);
		assert_int_equal(codec_encode(s, pcm, 160, pl, 159, &n), ENOSPC);
		assert_int_equal(codec_encode(s, pcm, 160, pl, sizeof(pl), &n), 0);
		assert_int_equal(n, 160);
		assert_int_equal(pl[0], k ? g711_alaw_encode(pcm[0]) : g711_ulaw_encode(pcm[0]));
		assert_int_equal(codec_decode(s, pl, 160, back, 100, &n), ENOSPC);
		assert_int_equal(codec_decode(s, pl, 160, back, 160, &n), 0);
		assert_int_equal(n, 160);
		for (size_t i = 0; i < 160; i++)
			assert_true(abs(back[i] - pcm[i]) <= 256);
		codec_state_free(s);
		s = NULL;
	}
	codec_state_free(NULL);
}

/* Concealment repeats the last good frame and fades it out over five lost
 * frames; a good frame resets it. */
static void test_g711_plc(void **state)
{
	struct codec_state *s = NULL;
	int16_t pcm[160], dec[160], plc[160];
	uint8_t pl[160];
	size_t n;
	double e_prev;
	(void)state;

	assert_int_equal(codec_state_alloc(&s, &codec_pcmu, NULL), 0);
	/* no history: silence */
	memset(plc, 0x11, sizeof(plc));
	codec_plc(s, plc, 160);
	for (size_t i = 0; i < 160; i++)
		assert_int_equal(plc[i], 0);

	for (size_t i = 0; i < 160; i++)
		pcm[i] = (int16_t)(10000 * sin(2 * M_PI * 400 * (double)i / 8000));
	assert_int_equal(codec_encode(s, pcm, 160, pl, sizeof(pl), &n), 0);
	assert_int_equal(codec_decode(s, pl, 160, dec, 160, &n), 0);
	e_prev = energy(dec, 160);

	for (int k = 0; k < 7; k++) {
		double e;
		codec_plc(s, plc, 160);
		e = energy(plc, 160);
		if (k == 0) {
			/* the first lost frame starts as the last good one */
			assert_int_equal(plc[0], dec[0]);
			for (size_t i = 0; i < 160; i++)
				assert_true(abs(plc[i] - dec[i]) <= abs(dec[i]) / 5 + 1);
			assert_true(e > 0.5 * e_prev);
		}
		if (k < 5) {
			assert_true(e < e_prev);
			assert_true(e > 0);
		} else {
			assert_true(e == 0); /* faded out */
		}
		e_prev = e;
	}
	/* a good frame, then loss again: loud again */
	assert_int_equal(codec_decode(s, pl, 160, dec, 160, &n), 0);
	codec_plc(s, plc, 160);
	assert_int_equal(plc[0], dec[0]);
	assert_true(energy(plc, 160) > 0.5 * energy(dec, 160));
	codec_state_free(s);
}

/* ====================================================================== */
/* jitter buffer                                                          */
/* ====================================================================== */

#define JB_SPAN 160 /* 20 ms at 8000 */
#define JB_TS0 123456789u
#define JB_SEQ0 65500 /* wraps during the tests */

static void jb_put(struct jbuf *j, unsigned i, int want, uint64_t now)
{
	uint8_t p[160];
	memset(p, (int)(i & 0xff), sizeof(p));
	p[0] = (uint8_t)(i >> 8);
	p[1] = (uint8_t)i;
	assert_int_equal(jbuf_put(j, JB_TS0 + i * JB_SPAN, (uint16_t)(JB_SEQ0 + i), p,
				  sizeof(p), now), want);
}

/* -1: nothing to play; else the packet index. */
static int jb_get(struct jbuf *j)
{
	uint8_t out[200];
	size_t len = sizeof(out);
	int e = jbuf_get(j, out, &len);
	if (e == ENODATA)
		return -1;
	assert_int_equal(e, 0);
	assert_int_equal(len, 160);
	assert_int_equal(out[2], out[1]); /* payload intact */
	return out[0] << 8 | out[1];
}

static struct jbuf *jb_new(void)
{
	struct jbuf *j = NULL;
	assert_int_equal(jbuf_alloc(&j, 8000, 20, 160), 0);
	return j;
}

static void test_jbuf_in_order(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	(void)state;

	assert_int_equal(jb_get(j), -1); /* before anything: idle, not lost */
	for (unsigned i = 0; i < 200; i++) {
		jb_put(j, i, 0, 20 * (uint64_t)i);
		assert_int_equal(jb_get(j), (int)i);
	}
	jbuf_stats(j, &st);
	assert_int_equal(st.put, 200);
	assert_int_equal(st.got, 200);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.inserted, 0);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.dup, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.delay_ms, 0);
	assert_int_equal(st.jitter_ms, 0);
	assert_true(st.playing);
	jbuf_free(j);

	assert_int_equal(jbuf_alloc(&j, 8000, 0, 160), EINVAL);
	assert_int_equal(jbuf_alloc(&j, 0, 20, 160), EINVAL);
	assert_int_equal(jbuf_alloc(&j, 8000, 20, 0), EINVAL);
}

static void test_jbuf_prebuffered(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	(void)state;

	for (unsigned i = 0; i < 5; i++)
		jb_put(j, i, 0, 0);
	jbuf_stats(j, &st);
	assert_int_equal(st.packets, 5);
	assert_int_equal(jb_get(j), 0);
	jbuf_stats(j, &st);
	assert_int_equal(st.delay_ms, 80); /* four frames wait behind the play position */
	assert_int_equal(st.packets, 4);
	for (unsigned i = 5; i < 30; i++) {
		jb_put(j, i, 0, 0);
		assert_int_equal(jb_get(j), (int)i - 4);
	}
	jbuf_stats(j, &st);
	assert_int_equal(st.delay_ms, 80);
	assert_int_equal(st.got, 26);
	jbuf_free(j);
}

static void test_jbuf_reordered(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	(void)state;

	/* pairs swapped in flight, each still before its play time */
	jb_put(j, 1, 0, 0);
	jb_put(j, 0, 0, 0);
	assert_int_equal(jb_get(j), 0);
	for (unsigned t = 1; t < 30; t++) {
		if (t % 2) {
			jb_put(j, t + 2, 0, 0);
			jb_put(j, t + 1, 0, 0);
		}
		assert_int_equal(jb_get(j), (int)t);
	}
	jbuf_stats(j, &st);
	assert_int_equal(st.got, 30);
	assert_int_equal(st.lost + st.late + st.dup + st.dropped + st.inserted, 0);
	jbuf_free(j);
}

static void test_jbuf_duplicates(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	(void)state;

	jb_put(j, 0, 0, 0);
	jb_put(j, 0, EALREADY, 0);        /* twice before play */
	jb_put(j, 1, 0, 0);
	assert_int_equal(jb_get(j), 0);
	jb_put(j, 0, EALREADY, 0);        /* again after it was played */
	assert_int_equal(jb_get(j), 1);
	for (unsigned i = 2; i < 20; i++) {
		jb_put(j, i, 0, 0);
		jb_put(j, i, EALREADY, 0);
		if (i > 2)
			jb_put(j, i - 1, EALREADY, 0);
		assert_int_equal(jb_get(j), (int)i);
	}
	jbuf_stats(j, &st);
	assert_int_equal(st.dup, 2 + 18 + 17);
	assert_int_equal(st.got, 20);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.lost, 0);
	jbuf_free(j);
}

/* Feeds packets 0..n-1 one per period, except the lost ones (never sent)
 * and the late ones, which are held until the buffer has played a later
 * packet (so their play time has certainly passed) and must then be
 * refused as late.  out[t] is what period t played. */
static void jb_run(struct jbuf *j, unsigned n, const unsigned *lost, size_t nlost,
		   const unsigned *late, size_t nlate, int *out, size_t *nout)
{
	bool held[200] = { false };

	assert_true(n + 10 <= N_ELEM(held));
	*nout = 0;
	for (unsigned t = 0; t < n + 10; t++) {
		bool skip = false, is_late = false;
		for (size_t k = 0; k < nlost; k++)
			skip |= lost[k] == t;
		for (size_t k = 0; k < nlate; k++)
			is_late |= late[k] == t;
		if (t < n && !skip && !is_late)
			jb_put(j, t, 0, 20 * (uint64_t)t);
		held[t] = t < n && is_late;
		out[*nout] = jb_get(j);
		for (unsigned k = 0; out[*nout] >= 0 && k < (unsigned)out[*nout]; k++) {
			if (held[k]) {
				jb_put(j, k, ETIMEDOUT, 20 * (uint64_t)t + 5);
				held[k] = false;
			}
		}
		(*nout)++;
	}
	for (unsigned k = 0; k < n; k++)
		assert_false(held[k]);
}

/* Every packet at most once and in order, the ones listed never, and all
 * the others except those the buffer reports dropped (skipped when it
 * shrank its delay). */
static void check_order(const int *out, size_t nout, unsigned n, const unsigned *never,
			size_t nnever, uint64_t dropped)
{
	int last = -1;
	unsigned seen = 0;

	for (size_t i = 0; i < nout; i++) {
		if (out[i] < 0)
			continue;
		assert_true(out[i] > last);
		for (size_t k = 0; k < nnever; k++)
			assert_int_not_equal(out[i], (int)never[k]);
		last = out[i];
		seen++;
	}
	assert_int_equal(seen + dropped, n - nnever);
}

static void test_jbuf_lost(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	static const unsigned lost[] = { 10, 11, 40 };
	int out[200];
	size_t nout;
	(void)state;

	jb_run(j, 100, lost, N_ELEM(lost), NULL, 0, out, &nout);
	check_order(out, nout, 100, lost, N_ELEM(lost), 0);
	/* a gap exactly where the packets are missing */
	assert_int_equal(out[9], 9);
	assert_int_equal(out[10], -1);
	assert_int_equal(out[11], -1);
	assert_int_equal(out[12], 12);
	assert_int_equal(out[40], -1);
	jbuf_stats(j, &st);
	assert_int_equal(st.got, 97);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.dup, 0);
	/* 3 holes, and 10 periods at the end with the stream over */
	assert_int_equal(st.lost, 3 + 10);
	jbuf_free(j);
}

static void test_jbuf_late(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	static const unsigned late[] = { 20, 50 };
	int out[200];
	size_t nout;
	(void)state;

	jb_run(j, 100, NULL, 0, late, N_ELEM(late), out, &nout);
	jbuf_stats(j, &st);
	check_order(out, nout, 100, late, N_ELEM(late), st.dropped);
	assert_int_equal(out[20], -1);
	assert_int_equal(st.late, 2);
	assert_true(st.dropped <= 3);
	assert_int_equal(st.got + st.dropped, 98);
	assert_int_equal(st.dup, 0);
	assert_true(st.lost >= 2);
	assert_int_equal(st.packets, 0);
	print_message("# jbuf late: lost %llu inserted %llu dropped %llu\n",
		      (unsigned long long)st.lost, (unsigned long long)st.inserted,
		      (unsigned long long)st.dropped);
	jbuf_free(j);
}

/* Random network delay of 0-60 ms: the buffer must grow to cover most of it
 * (few late packets) without growing without bound. */
static void test_jbuf_adapts_to_jitter(void **state)
{
	enum { N = 1500 };
	static uint64_t arrive[N];
	struct jbuf *j = jb_new();
	struct jbuf_stats st, warm;
	int last = -1;
	unsigned next = 0, order[N], dmin = UINT_MAX, dmax = 0;
	(void)state;

	rnd_state = 12345;
	for (unsigned i = 0; i < N; i++) {
		arrive[i] = 20 * (uint64_t)i + rnd() % 61;
		order[i] = i;
	}
	/* arrival order */
	for (unsigned i = 1; i < N; i++)
		for (unsigned k = i; k > 0 && arrive[order[k - 1]] > arrive[order[k]]; k--) {
			unsigned t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	memset(&warm, 0, sizeof(warm));
	for (uint64_t now = 0; now < 20 * (uint64_t)N + 200; now += 20) {
		while (next < N && arrive[order[next]] <= now) {
			unsigned i = order[next++];
			uint8_t p[160];
			memset(p, (int)(i & 0xff), sizeof(p));
			p[0] = (uint8_t)(i >> 8);
			p[1] = (uint8_t)i;
			jbuf_put(j, JB_TS0 + i * JB_SPAN, (uint16_t)i, p, sizeof(p), arrive[i]);
		}
		int got = jb_get(j);
		if (got >= 0) {
			assert_true(got > last);
			last = got;
		}
		if (now == 10000)
			jbuf_stats(j, &warm);
		if (now >= 10000 && now < 20 * (uint64_t)N) {
			jbuf_stats(j, &st);
			assert_true(st.delay_ms <= 200);
			dmin = st.delay_ms < dmin ? st.delay_ms : dmin;
			dmax = st.delay_ms > dmax ? st.delay_ms : dmax;
		}
	}
	jbuf_stats(j, &st);
	print_message("# jbuf jitter: late %llu (%llu after warm-up), lost %llu, inserted %llu, "
		      "dropped %llu, jitter %u ms, delay %u-%u ms\n", (unsigned long long)st.late,
		      (unsigned long long)(st.late - warm.late), (unsigned long long)st.lost,
		      (unsigned long long)st.inserted, (unsigned long long)st.dropped, st.jitter_ms,
		      dmin, dmax);
	assert_int_equal(st.put, N);
	assert_int_equal(st.dup, 0);
	/* after warm-up, fewer than 5% of the packets are late */
	assert_true(st.late - warm.late < (N - 500) / 20);
	assert_true(st.got + st.late + st.dropped == N);
	/* it grew (inserted frames) to hold up to the 60 ms of jitter */
	assert_true(st.inserted >= 1);
	assert_true(dmax >= 40);
	assert_true(st.jitter_ms >= 5 && st.jitter_ms <= 40);
	jbuf_free(j);
}

/* Packets always a few frames early: the delay comes down. */
static void test_jbuf_shrinks(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	(void)state;

	for (unsigned i = 0; i < 8; i++)
		jb_put(j, i, 0, 0);
	for (unsigned t = 0; t < 300; t++) {
		jb_put(j, t + 8, 0, 20 * (uint64_t)t);
		(void)jb_get(j);
	}
	jbuf_stats(j, &st);
	print_message("# jbuf shrink: delay %u ms, dropped %llu\n", st.delay_ms,
		      (unsigned long long)st.dropped);
	assert_true(st.delay_ms < 160);
	assert_true(st.dropped > 0);
	jbuf_free(j);
}

/* A sound card that starts 1.6 s after the RTP: the backlog is dropped
 * and play goes on from the next packet with a normal delay; the same
 * after the engine stalls for 1.5 s in the middle of a stream. */
static void test_jbuf_backlog(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	unsigned i;
	(void)state;

	for (i = 0; i < 80; i++)
		jb_put(j, i, 0, 20 * (uint64_t)i);
	assert_int_equal(jb_get(j), -1); /* dropped: a gap to resync in */
	jbuf_stats(j, &st);
	assert_int_equal(st.dropped, 80);
	assert_int_equal(st.packets, 0);
	for (; i < 130; i++) {
		jb_put(j, i, 0, 20 * (uint64_t)i);
		assert_int_equal(jb_get(j), (int)i);
	}
	jbuf_stats(j, &st);
	assert_true(st.delay_ms <= 20);
	/* the engine stalls: 75 packets pile up */
	for (unsigned k = 0; k < 75; k++, i++)
		jb_put(j, i, 0, 20 * (uint64_t)i);
	assert_int_equal(jb_get(j), -1);
	jb_put(j, i, 0, 20 * (uint64_t)i);
	assert_int_equal(jb_get(j), (int)i);
	i++;
	jbuf_stats(j, &st);
	assert_int_equal(st.dropped, 155);
	assert_true(st.delay_ms <= 20);
	/* a second of buffer that jitter built is kept */
	for (unsigned k = 0; k < 45; k++, i++)
		jb_put(j, i, 0, 20 * (uint64_t)i);
	assert_int_equal(jb_get(j), (int)i - 45);
	jbuf_stats(j, &st);
	assert_int_equal(st.dropped, 155);
	jbuf_free(j);
}

static void test_jbuf_restarts(void **state)
{
	struct jbuf *j = jb_new();
	struct jbuf_stats st;
	uint8_t p[161] = { 0 }, out[160];
	size_t len;
	(void)state;

	for (unsigned i = 0; i < 10; i++) {
		jb_put(j, i, 0, 0);
		assert_int_equal(jb_get(j), (int)i);
	}
	/* the peer stops: 20 concealed periods, then the buffer waits quietly */
	for (unsigned t = 0; t < 50; t++)
		assert_int_equal(jb_get(j), -1);
	jbuf_stats(j, &st);
	assert_int_equal(st.lost, 20);
	assert_int_equal(st.resets, 1);
	assert_false(st.playing);

	/* a new stream, with other timestamps and sequence numbers */
	for (unsigned i = 0; i < 5; i++) {
		p[0] = 0;
		p[1] = (uint8_t)(200 + i);
		p[2] = p[1];
		assert_int_equal(jbuf_put(j, 777 + i * JB_SPAN, (uint16_t)(9 + i), p, 160, 0), 0);
		assert_int_equal(jb_get(j), (int)(200 + i));
	}
	/* off the timestamp grid: two dropped, the third restarts on it */
	assert_int_equal(jbuf_put(j, 777 + 5 * JB_SPAN + 80, 14, p, 160, 0), EPROTO);
	assert_int_equal(jbuf_put(j, 777 + 6 * JB_SPAN + 80, 15, p, 160, 0), EPROTO);
	p[1] = p[2] = 77;
	assert_int_equal(jbuf_put(j, 777 + 7 * JB_SPAN + 80, 16, p, 160, 0), 0);
	assert_int_equal(jb_get(j), 77);
	jbuf_stats(j, &st);
	assert_int_equal(st.resets, 2);
	assert_int_equal(st.dropped, 2);

	/* too large for the pool, too large for the caller */
	assert_int_equal(jbuf_put(j, 777 + 8 * JB_SPAN + 80, 17, p, 161, 0), EMSGSIZE);
	assert_int_equal(jbuf_put(j, 777 + 8 * JB_SPAN + 80, 17, p, 160, 0), 0);
	len = 100;
	assert_int_equal(jbuf_get(j, out, &len), ENOSPC);

	/* an explicit reset (new SSRC) forgets everything but the counters */
	assert_int_equal(jbuf_put(j, 777 + 9 * JB_SPAN + 80, 18, p, 160, 0), 0);
	jbuf_stats(j, &st);
	assert_int_equal(st.packets, 1);
	jbuf_reset(j);
	jbuf_stats(j, &st);
	assert_int_equal(st.packets, 0);
	assert_false(st.playing);
	assert_int_equal(st.resets, 2);
	assert_int_equal(st.dropped, 4); /* off grid twice, too big, did not fit */
	jb_put(j, 0, 0, 0);
	assert_int_equal(jb_get(j), 0);
	jbuf_reset(j);
	jb_put(j, 0, 0, 0); /* the same sequence number is not a duplicate now */
	assert_int_equal(jb_get(j), 0);
	jbuf_free(j);
}

/* ====================================================================== */
/* tones                                                                  */
/* ====================================================================== */

static void test_tone_ringback(void **state)
{
	static int16_t buf[8000 * 11];
	struct tone t;
	(void)state;

	tone_init(&t, 8000);
	assert_false(tone_active(&t));
	assert_int_equal(tone_start(&t, TONE_RINGBACK, 0), 0);
	/* in odd frame sizes, as a device might ask */
	for (size_t i = 0; i < N_ELEM(buf); i += 157) {
		size_t n = N_ELEM(buf) - i < 157 ? N_ELEM(buf) - i : 157;
		assert_true(tone_fill(&t, buf + i, n));
	}
	/* 1 s on at 425 Hz: 850 zero crossings, the energy at 425 Hz */
	unsigned z = zero_crossings(buf, 8000);
	assert_true(z >= 846 && z <= 852);
	assert_true(goertzel(buf, 8000, 425, 8000) > 100 * goertzel(buf, 8000, 350, 8000));
	assert_true(goertzel(buf, 8000, 425, 8000) > 100 * goertzel(buf, 8000, 500, 8000));
	assert_true(energy(buf, 8000) > 1e7);
	/* 4 s off */
	assert_true(energy(buf + 8000, 32000) == 0);
	/* and again */
	assert_true(energy(buf + 40000, 8000) > 1e7);
	assert_true(energy(buf + 48000, 32000) == 0);
	/* ramps: no click at the edges */
	assert_true(abs(buf[0]) < 100 && abs(buf[7999]) < 500);

	tone_stop(&t);
	assert_false(tone_fill(&t, buf, 160));
	assert_true(energy(buf, 160) == 0);
}

static void test_tone_busy_waiting(void **state)
{
	static int16_t buf[48000 * 3];
	struct tone t;
	(void)state;

	/* busy at 48 kHz: 0.5 s on, 0.5 s off */
	tone_init(&t, 48000);
	assert_int_equal(tone_start(&t, TONE_BUSY, 0), 0);
	assert_true(tone_fill(&t, buf, N_ELEM(buf)));
	for (int k = 0; k < 3; k++) {
		unsigned z = zero_crossings(buf + k * 48000, 24000);
		assert_true(z >= 423 && z <= 427);   /* 425 Hz for 0.5 s */
		assert_true(energy(buf + k * 48000 + 24000, 24000) == 0);
	}

	/* call waiting at 16 kHz: 0.2 on, 0.2 off, 0.2 on, then done */
	tone_init(&t, 16000);
	assert_int_equal(tone_start(&t, TONE_WAITING, 0), 0);
	assert_true(tone_fill(&t, buf, 3200 * 2));
	assert_false(tone_fill(&t, buf + 6400, 16000));
	assert_false(tone_active(&t));
	assert_true(energy(buf, 3200) > 1e7);
	assert_true(energy(buf + 3200, 3200) == 0);
	assert_true(energy(buf + 6400, 3200) > 1e7);
	assert_true(energy(buf + 9600, 16000 - 3200) == 0);

	/* ringing at 8 kHz: 0.4 on, 0.2 off, 0.4 on, 2 s off, again */
	tone_init(&t, 8000);
	assert_int_equal(tone_start(&t, TONE_RINGING, 0), 0);
	assert_true(tone_fill(&t, buf, 8000 * 6));
	for (int k = 0; k < 2; k++) {
		const int16_t *p = buf + k * 3 * 8000;
		assert_true(energy(p, 3200) > 1e7);
		assert_true(energy(p + 3200, 1600) == 0);
		assert_true(energy(p + 4800, 3200) > 1e7);
		assert_true(energy(p + 8000, 16000) == 0);
	}
}

static void test_tone_dtmf(void **state)
{
	static const char digits[] = "0123456789*#ABCD";
	static const unsigned rows[] = { 697, 770, 852, 941 };
	static const unsigned cols[] = { 1209, 1336, 1477, 1633 };
	int16_t buf[1000];
	struct tone t;
	unsigned r, c;
	(void)state;

	tone_init(&t, 8000);
	for (const char *d = digits; *d; d++) {
		assert_int_equal(tone_dtmf_freqs(*d, &r, &c), 0);
		assert_int_equal(tone_start(&t, TONE_DTMF, *d), 0);
		/* 100 ms, then over */
		assert_false(tone_fill(&t, buf, 1000));
		assert_true(energy(buf + 800, 200) == 0);
		double pr = goertzel(buf, 800, r, 8000), pc = goertzel(buf, 800, c, 8000);
		for (size_t k = 0; k < 4; k++) {
			if (rows[k] != r)
				assert_true(pr > 50 * goertzel(buf, 800, rows[k], 8000));
			if (cols[k] != c)
				assert_true(pc > 50 * goertzel(buf, 800, cols[k], 8000));
		}
	}
	assert_int_equal(tone_dtmf_freqs('5', &r, &c), 0);
	assert_int_equal(r, 770);
	assert_int_equal(c, 1336);
	assert_int_equal(tone_dtmf_freqs('d', &r, &c), 0);
	assert_int_equal(r, 941);
	assert_int_equal(c, 1633);
	assert_int_equal(tone_dtmf_freqs('X', &r, &c), EINVAL);
	assert_int_equal(tone_dtmf_freqs(0, &r, &c), EINVAL);
	assert_int_equal(tone_start(&t, TONE_DTMF, 'E'), EINVAL);
	assert_false(tone_active(&t));
}

/* ====================================================================== */
/* devices, on a fake clock                                               */
/* ====================================================================== */

static uint64_t fake_ms;

static uint64_t fake_clock(void)
{
	return fake_ms;
}

static int dev_setup(void **state)
{
	if (tmp_setup(state))
		return -1;
	tmr_reset_all();
	fake_ms = 5000000;
	tmr_clock_set(fake_clock);
	return loop_init();
}

static int dev_teardown(void **state)
{
	loop_close();
	tmr_clock_set(NULL);
	return tmp_teardown(state);
}

/* An engine: drains capture, answers each frame with one playback frame
 * (its own capture: a loopback), and keeps what it captured. */
struct engine {
	unsigned calls;
	unsigned frames;
	int16_t *cap;        /* everything captured */
	size_t cap_len, cap_max;
	bool close_in_cb;
	bool push_nothing;
};

static void engine_frame(struct audio_dev *d, void *arg)
{
	struct engine *e = arg;
	int16_t f[960];
	size_t n = audio_dev_frame_samples(d);

	e->calls++;
	while (ring_trypop(audio_dev_capture(d), f) == 0) {
		e->frames++;
		if (e->cap && e->cap_len + n <= e->cap_max) {
			memcpy(e->cap + e->cap_len, f, n * sizeof(*f));
			e->cap_len += n;
		}
		if (!e->push_nothing)
			assert_int_equal(ring_push(audio_dev_playback(d), f), 0);
	}
	if (e->close_in_cb)
		audio_dev_close(d);
}

static void advance(uint64_t ms)
{
	fake_ms += ms;
	assert_int_equal(loop_poll(0), 0);
}

static void test_dev_null_pacing(void **state)
{
	struct audio_dev *d = NULL;
	struct engine e = { 0 };
	(void)state;

	assert_int_equal(audio_dev_open_null(&d, 44100, engine_frame, &e), EINVAL);
	assert_null(d);
	assert_int_equal(audio_dev_open_null(&d, 8000, engine_frame, &e), 0);
	assert_string_equal(audio_dev_name(d), "null");
	assert_int_equal(audio_dev_rate(d), 8000);
	assert_int_equal(audio_dev_frame_samples(d), 160);
	/* not primed: the timer devices take the speaker frame after frame_h */
	assert_int_equal(ring_count(audio_dev_playback(d)), 0);

	/* the first period ends on the process's grid, at most 20 ms away */
	for (int i = 0; i < 20 && e.calls == 0; i++)
		advance(1);
	assert_int_equal(e.calls, 1);
	/* N periods: N frames, one call each */
	for (int i = 0; i < 49; i++)
		advance(20);
	assert_int_equal(audio_dev_frames(d), 50);
	assert_int_equal(e.calls, 50);
	assert_int_equal(e.frames, 50);
	/* no drift: 7 ms steps over 700 ms are exactly 35 periods */
	for (int i = 0; i < 100; i++)
		advance(7);
	assert_int_equal(audio_dev_frames(d), 85);
	/* a 200 ms stall: 5 frames caught up, the rest skipped, on schedule after */
	fake_ms += 14;
	advance(186);   /* 10 periods due at once */
	uint64_t f = audio_dev_frames(d), s = audio_dev_skipped(d);
	assert_int_equal(f, 85 + 5);
	assert_int_equal(f + s, 85 + 10);
	advance(20);
	assert_int_equal(audio_dev_frames(d), 91);
	assert_int_equal(ring_overruns(audio_dev_capture(d)), 0);
	assert_int_equal(ring_underruns(audio_dev_playback(d)), 0);

	/* an engine that stops pushing: the device underruns, counted */
	e.push_nothing = true;
	advance(20);
	advance(20);
	assert_int_equal(ring_underruns(audio_dev_playback(d)), 2);
	audio_dev_close(d);
	assert_int_equal(tmr_count(), 0);
	advance(100); /* nothing runs any more */
	assert_int_equal(e.calls, 93);
}

static void make_wav(const char *path, uint32_t rate, size_t n, double hz, int16_t *keep)
{
	struct wav_writer *w = NULL;
	char err[256];
	int16_t s[1];

	assert_int_equal(wav_writer_open(&w, path, rate, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++) {
		s[0] = hz > 0 ? (int16_t)(12000 * sin(2 * M_PI * hz * (double)i / rate))
			      : (int16_t)(i * 13);
		if (keep)
			keep[i] = s[0];
		assert_int_equal(wav_write(w, s, 1), 0);
	}
	assert_int_equal(wav_writer_close(w), 0);
}

static void test_dev_file_loopback(void **state)
{
	char play[PATH_MAX], rec[PATH_MAX], err[256];
	struct audio_dev *d = NULL;
	struct wav_reader *r = NULL;
	static int16_t src[3000], got[320 * 40];
	struct engine e = { 0 };
	size_t n;
	(void)state;

	/* 3000 samples at 16 kHz: 9.375 frames, so the loop wraps mid-frame */
	tmp_path(play, sizeof(play), "mic.wav");
	tmp_path(rec, sizeof(rec), "spk.wav");
	make_wav(play, 16000, N_ELEM(src), 0, src);
	assert_int_equal(audio_dev_open_file(&d, play, rec, 16000, engine_frame, &e, err,
					     sizeof(err)), 0);
	assert_string_equal(audio_dev_name(d), "file");
	for (int i = 0; i < 40; i++)
		advance(20);
	assert_int_equal(e.frames, 40);
	assert_int_equal(audio_dev_frames(d), 40);
	audio_dev_close(d);

	/* the speaker got the microphone, looped, in the very period the
	 * engine answered it: no frame of latency on a timer device */
	assert_int_equal(wav_reader_open(&r, rec, err, sizeof(err)), 0);
	assert_int_equal(wav_reader_rate(r), 16000);
	assert_int_equal(wav_reader_frames(r), 40 * 320);
	assert_int_equal(wav_read(r, got, N_ELEM(got), &n), 0);
	assert_int_equal(n, 40 * 320);
	wav_reader_close(r);
	for (size_t i = 0; i < 40 * 320; i++)
		assert_int_equal(got[i], src[i % N_ELEM(src)]);
}

/* Timer devices opened at different moments tick in the same loop round:
 * one wakeup per period for any number of calls. */
static void test_dev_common_grid(void **state)
{
	struct audio_dev *d[3] = { NULL, NULL, NULL };
	struct engine e[3];
	(void)state;

	memset(e, 0, sizeof(e));
	assert_int_equal(audio_dev_open_null(&d[0], 8000, engine_frame, &e[0]), 0);
	for (int i = 0; i < 20 && e[0].calls == 0; i++)
		advance(1);
	assert_int_equal(e[0].calls, 1);
	/* 7 and 12 ms into the period: their first periods are short */
	advance(7);
	assert_int_equal(audio_dev_open_null(&d[1], 16000, engine_frame, &e[1]), 0);
	advance(5);
	assert_int_equal(audio_dev_open_null(&d[2], 48000, engine_frame, &e[2]), 0);
	advance(7);
	assert_int_equal(e[0].calls + e[1].calls + e[2].calls, 1);
	advance(1);
	assert_int_equal(e[0].calls, 2);
	assert_int_equal(e[1].calls, 1);
	assert_int_equal(e[2].calls, 1);
	for (unsigned k = 1; k < 30; k++) {
		advance(19);
		assert_int_equal(e[0].calls, k + 1);
		assert_int_equal(e[1].calls, k);
		advance(1);
		assert_int_equal(e[0].calls, k + 2);
		assert_int_equal(e[1].calls, k + 1);
		assert_int_equal(e[2].calls, k + 1);
	}
	assert_int_equal(tmr_count(), 3);
	for (int k = 0; k < 3; k++)
		audio_dev_close(d[k]);
	assert_int_equal(tmr_count(), 0);
}

static void test_dev_file_resamples(void **state)
{
	char play[PATH_MAX], err[256];
	struct audio_dev *d = NULL;
	static int16_t cap[160 * 50];
	struct engine e = { 0 };
	(void)state;

	/* 1 kHz at 48 kHz in, an 8 kHz device */
	tmp_path(play, sizeof(play), "mic48.wav");
	make_wav(play, 48000, 48000, 1000, NULL);
	e.cap = cap;
	e.cap_max = N_ELEM(cap);
	assert_int_equal(audio_dev_open_file(&d, play, NULL, 8000, engine_frame, &e, err,
					     sizeof(err)), 0);
	for (int i = 0; i < 50; i++)
		advance(20);
	audio_dev_close(d);
	assert_int_equal(e.cap_len, 8000);
	/* 1 s of 1 kHz: 2000 crossings, the power where it belongs, the level kept */
	unsigned z = zero_crossings(cap + 800, 7200);
	assert_true(z >= 1790 && z <= 1810);
	assert_true(goertzel(cap + 800, 7200, 1000, 8000) > 1000 * goertzel(cap + 800, 7200, 2500, 8000));
	double rms = sqrt(energy(cap + 800, 7200));
	assert_true(rms > 12000 / sqrt(2) * 0.9 && rms < 12000 / sqrt(2) * 1.1);
}

static void test_dev_errors(void **state)
{
	char path[PATH_MAX], err[256];
	struct audio_dev *d = NULL;
	struct engine e = { 0 };
	struct img m;
	(void)state;

	tmp_path(path, sizeof(path), "missing.wav");
	assert_int_equal(audio_dev_open_file(&d, path, NULL, 8000, engine_frame, &e, err,
					     sizeof(err)), ENOENT);
	assert_non_null(strstr(err, path));
	assert_null(d);

	img_riff(&m);
	img_fmt(&m, 1, 1, 22050, 16);
	img_chunk(&m, "data", "\0\0", 2);
	img_done(&m);
	tmp_path(path, sizeof(path), "22k.wav");
	write_bytes(path, m.b, m.n);
	assert_int_equal(audio_dev_open_file(&d, path, NULL, 8000, engine_frame, &e, err,
					     sizeof(err)), ENOTSUP);
	assert_non_null(strstr(err, "22050 Hz"));

	img_riff(&m);
	img_fmt(&m, 1, 1, 8000, 16);
	img_chunk(&m, "data", "", 0);
	img_done(&m);
	tmp_path(path, sizeof(path), "empty.wav");
	write_bytes(path, m.b, m.n);
	assert_int_equal(audio_dev_open_file(&d, path, NULL, 8000, engine_frame, &e, err,
					     sizeof(err)), ENODATA);
	assert_non_null(strstr(err, "no audio"));

	tmp_path(path, sizeof(path), "no/such/dir/rec.wav");
	assert_int_equal(audio_dev_open_file(&d, NULL, path, 8000, engine_frame, &e, err,
					     sizeof(err)), ENOENT);
	assert_non_null(strstr(err, path));

	assert_int_equal(audio_dev_open_file(&d, NULL, NULL, 11025, engine_frame, &e, err,
					     sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "11025"));
	assert_null(d);
	assert_int_equal(tmr_count(), 0);
}

static void test_dev_close_in_handler(void **state)
{
	char rec[PATH_MAX], err[256];
	struct audio_dev *d = NULL;
	struct wav_reader *r = NULL;
	struct engine e = { 0 };
	(void)state;

	tmp_path(rec, sizeof(rec), "closed.wav");
	assert_int_equal(audio_dev_open_file(&d, NULL, rec, 8000, engine_frame, &e, err,
					     sizeof(err)), 0);
	advance(20);
	advance(20);
	e.close_in_cb = true;
	advance(20);
	assert_int_equal(e.calls, 3);
	assert_int_equal(tmr_count(), 0);
	advance(100);
	assert_int_equal(e.calls, 3);
	/* the recording was closed properly: the two frames played before
	 * the close (the closing period's frame never reached the speaker) */
	assert_int_equal(wav_reader_open(&r, rec, err, sizeof(err)), 0);
	assert_int_equal(wav_reader_frames(r), 2 * 160);
	wav_reader_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_semantics),
		cmocka_unit_test(test_ring_stress),
		cmocka_unit_test_setup_teardown(test_wav_roundtrip, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_wav_stereo_and_chunks, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_wav_errors, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_wav_killed_writer, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_g711_known_values),
		cmocka_unit_test(test_g711_matches_sox),
		cmocka_unit_test(test_g711_error_bounds),
		cmocka_unit_test(test_codec_registry),
		cmocka_unit_test(test_g711_plc),
		cmocka_unit_test(test_jbuf_in_order),
		cmocka_unit_test(test_jbuf_prebuffered),
		cmocka_unit_test(test_jbuf_reordered),
		cmocka_unit_test(test_jbuf_duplicates),
		cmocka_unit_test(test_jbuf_lost),
		cmocka_unit_test(test_jbuf_late),
		cmocka_unit_test(test_jbuf_adapts_to_jitter),
		cmocka_unit_test(test_jbuf_shrinks),
		cmocka_unit_test(test_jbuf_backlog),
		cmocka_unit_test(test_jbuf_restarts),
		cmocka_unit_test(test_tone_ringback),
		cmocka_unit_test(test_tone_busy_waiting),
		cmocka_unit_test(test_tone_dtmf),
		cmocka_unit_test_setup_teardown(test_dev_null_pacing, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_file_loopback, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_file_resamples, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_common_grid, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_errors, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_close_in_handler, dev_setup, dev_teardown),
	};
	log_set_stderr(false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
