/* tests/tools/xcorr.c: does a recording carry the reference audio?
 *
 *   xcorr REF.wav REC.wav [--min-seconds S] [--align-ms MS] [--verbose]
 *
 * Both files are PCM16 WAVs (mono, or stereo mixed down) at the same rate.
 * A segment of S seconds of the recording (default 2) is chosen where it is
 * voiced: the window with the most 20 ms frames above -20 dB of the loudest
 * frame, the one nearest the middle of the voiced span among equals, which
 * skips leading silence, a short ringback, the gap left by RFC 4733 DTMF
 * and the fade-out of a hangup.  The reference is taken as looped (the
 * phone plays its --play file over and over), so the segment is searched
 * for in the reference repeated.  Prints
 *
 *   corr=0.973 lag_ms=123 seconds=2.0
 *
 * corr is the normalized cross-correlation (Pearson, means removed) of the
 * segment with the reference at the best offset; lag_ms is how far the
 * recording runs behind the reference (modulo the reference's length).
 *
 * --align-ms MS allows for a playout delay that changes during the segment
 * (an adaptive jitter buffer grows or shrinks its delay in whole frames,
 * and each step shifts the rest of the recording): the segment is cut into
 * blocks of MS, each block is aligned on its own within 100 ms of the
 * segment's best offset, and corr is the Pearson correlation of the whole
 * segment with that piecewise-aligned reference.  The line then ends with
 * "single=R blocks=N lag_changes=K": R the one-offset figure above, K how
 * many times the alignment moved between blocks.
 *
 * Cost, bounded: a coarse search correlates a 0.25 s probe (the loudest
 * part of the segment) at every offset of the reference, on signals
 * decimated to 8 kHz: 2000 multiply-adds per offset, 0.16 G for 10 s of
 * reference.  The best 16 coarse offsets are then refined at full rate with
 * the whole segment, a few samples either side.
 *
 * Exit status: 0 a figure was printed; 1 the recording holds too little
 * audio for the segment; 2 bad arguments or unreadable/unsuitable files. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/wav.h"

#define MAX_SECONDS 600          /* longest file read */
#define FRAME_MS 20
#define PROBE_MS 250
#define COARSE_RATE 8000
#define NCAND 16
#define VOICED_DB 20.0           /* below the loudest frame */
#define SILENCE_RMS 30.0         /* absolute floor (about -60 dBFS) */
#define ALIGN_RANGE_MS 100       /* how far a block may move (--align-ms) */

struct sig {
	float *x;
	size_t n;
	uint32_t rate;
};

static int verbose;

static void *xcalloc_or_die(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p) {
		fprintf(stderr, "xcorr: out of memory\n");
		exit(2);
	}
	return p;
}

/* The whole file as floats.  2 when it cannot be used. */
static int load(const char *path, struct sig *s)
{
	struct wav_reader *r;
	char err[256];
	int16_t buf[4096];
	uint64_t frames;
	size_t got, o = 0;
	int rc;

	rc = wav_reader_open(&r, path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "xcorr: %s\n", err);
		return 2;
	}
	s->rate = wav_reader_rate(r);
	frames = wav_reader_frames(r);
	if (frames > (uint64_t)s->rate * MAX_SECONDS) {
		fprintf(stderr, "xcorr: %s: longer than %d s\n", path, MAX_SECONDS);
		wav_reader_close(r);
		return 2;
	}
	s->x = xcalloc_or_die((size_t)frames, sizeof(float));
	while (o < frames) {
		size_t want = frames - o < 4096 ? (size_t)(frames - o) : 4096;
		rc = wav_read(r, buf, want, &got);
		if (rc) {
			fprintf(stderr, "xcorr: %s: %s\n", path, strerror(rc));
			wav_reader_close(r);
			return 2;
		}
		for (size_t i = 0; i < got; i++)
			s->x[o + i] = buf[i];
		o += got;
		if (got < want)
			break;
	}
	s->n = o;
	wav_reader_close(r);
	return 0;
}

/* Pearson correlation of a[0..n) and b[0..n). */
static double pearson(const float *a, const float *b, size_t n)
{
	double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, va, vb;

	for (size_t i = 0; i < n; i++) {
		sa += a[i];
		sb += b[i];
		saa += (double)a[i] * a[i];
		sbb += (double)b[i] * b[i];
		sab += (double)a[i] * b[i];
	}
	va = saa - sa * sa / (double)n;
	vb = sbb - sb * sb / (double)n;
	if (va <= 0 || vb <= 0)
		return 0;
	return (sab - sa * sb / (double)n) / sqrt(va * vb);
}

/* The voiced window of w samples: its start.  -1 when fewer than half of
 * its frames are voiced. */
static long pick_segment(const struct sig *rec, size_t w)
{
	size_t fl = rec->rate * FRAME_MS / 1000, nf = rec->n / fl, wf = w / fl;
	double *rms, peak = 0, thr;
	unsigned char *voiced;
	size_t first = SIZE_MAX, last = 0, best = 0, bestn = 0, cnt = 0;
	double mid, bestd = 1e30;

	if (!nf || wf > nf || !wf)
		return -1;
	rms = xcalloc_or_die(nf, sizeof(*rms));
	voiced = xcalloc_or_die(nf, 1);
	for (size_t f = 0; f < nf; f++) {
		double e = 0;
		for (size_t i = 0; i < fl; i++)
			e += (double)rec->x[f * fl + i] * rec->x[f * fl + i];
		rms[f] = sqrt(e / (double)fl);
		if (rms[f] > peak)
			peak = rms[f];
	}
	thr = peak * pow(10, -VOICED_DB / 20);
	if (thr < SILENCE_RMS)
		thr = SILENCE_RMS;
	for (size_t f = 0; f < nf; f++) {
		voiced[f] = rms[f] >= thr;
		if (voiced[f]) {
			if (first == SIZE_MAX)
				first = f;
			last = f;
		}
	}
	if (first == SIZE_MAX) {
		free(rms);
		free(voiced);
		return -1;
	}
	mid = (double)(first + last + 1) / 2.0;
	for (size_t f = 0; f < wf; f++)
		cnt += voiced[f];
	for (size_t s = 0; s + wf <= nf; s++) {
		double d;
		if (s) {
			cnt -= voiced[s - 1];
			cnt += voiced[s + wf - 1];
		}
		d = fabs((double)s + (double)wf / 2.0 - mid);
		if (cnt > bestn || (cnt == bestn && d < bestd)) {
			bestn = cnt;
			bestd = d;
			best = s;
		}
	}
	if (verbose)
		fprintf(stderr, "xcorr: voiced frames %zu-%zu of %zu (threshold rms %.0f), "
			"segment at %.2f s with %zu/%zu voiced\n", first, last, nf, thr,
			(double)best * FRAME_MS / 1000, bestn, wf);
	free(rms);
	free(voiced);
	return bestn * 2 >= wf ? (long)(best * fl) : -1;
}

/* Box-filter decimation by d: a crude low-pass, enough to find a peak. */
static float *decimate(const float *x, size_t n, size_t d, size_t *outn)
{
	size_t m = n / d;
	float *y = xcalloc_or_die(m, sizeof(float));
	for (size_t i = 0; i < m; i++) {
		float s = 0;
		for (size_t k = 0; k < d; k++)
			s += x[i * d + k];
		y[i] = s / (float)d;
	}
	*outn = m;
	return y;
}

struct cand {
	long off;
	double r;
};

/* Keep the NCAND best coarse offsets, at least 4 samples apart. */
static void cand_add(struct cand *c, size_t *nc, long off, double r)
{
	size_t worst = 0;

	for (size_t i = 0; i < *nc; i++) {
		if (labs(c[i].off - off) < 4) {
			if (r > c[i].r) {
				c[i].off = off;
				c[i].r = r;
			}
			return;
		}
	}
	if (*nc < NCAND) {
		c[*nc].off = off;
		c[*nc].r = r;
		(*nc)++;
		return;
	}
	for (size_t i = 1; i < *nc; i++)
		if (c[i].r < c[worst].r)
			worst = i;
	if (r > c[worst].r) {
		c[worst].off = off;
		c[worst].r = r;
	}
}

static unsigned align_nblocks, align_changes;

/* --align-ms: each block of the segment aligned on its own, near off; the
 * Pearson correlation of the segment with the reference so assembled. */
static double align_blocks(const struct sig *rec, long seg, size_t seg_n, const struct sig *ref,
			   const float *ext, long off, double align_ms)
{
	size_t blk = (size_t)(align_ms * rec->rate / 1000), range = ALIGN_RANGE_MS * rec->rate / 1000;
	float *aligned = xcalloc_or_die(seg_n, sizeof(float));
	long prev = 0;
	double r;
	size_t nb;

	if (blk > seg_n)
		blk = seg_n;
	nb = seg_n / blk; /* the last block takes the remainder */
	align_nblocks = (unsigned)nb;
	align_changes = 0;
	for (size_t k = 0; k < nb; k++) {
		size_t b = k * blk, len = k + 1 < nb ? blk : seg_n - b;
		double best = -2;
		long bo = off, p;
		for (long o = off - (long)range; o <= off + (long)range; o++) {
			double rr;
			p = ((o % (long)ref->n) + (long)ref->n) % (long)ref->n;
			rr = pearson(rec->x + seg + b, ext + p + b, len);
			if (rr > best) {
				best = rr;
				bo = o;
			}
		}
		p = ((bo % (long)ref->n) + (long)ref->n) % (long)ref->n;
		memcpy(aligned + b, ext + p + b, len * sizeof(float));
		if (k && labs(bo - prev) > 2)
			align_changes++;
		if (verbose)
			fprintf(stderr, "xcorr: block at %.2f s: r=%.3f, offset %+ld ms\n",
				(double)(seg + (long)b) / rec->rate, best,
				(bo - off) * 1000 / (long)rec->rate);
		prev = bo;
	}
	r = pearson(rec->x + seg, aligned, seg_n);
	free(aligned);
	return r;
}

static void usage(void)
{
	fprintf(stderr, "usage: xcorr REF.wav REC.wav [--min-seconds S] [--align-ms MS] "
		"[--verbose]\n");
}

int main(int argc, char **argv)
{
	struct sig ref, rec;
	const char *refp = NULL, *recp = NULL;
	double secs = 2.0, best_r = -2, align_ms = 0;
	size_t seg_n, ext_n, d, probe_n, cext_n, cprobe_n, nc = 0, pofs = 0;
	long seg, best_off = 0, lag;
	float *ext, *cext, *cseg, *probe;
	double *pre, *pre2, pmean = 0, pvar = 0, emax = -1;
	struct cand cands[NCAND];
	size_t cseg_n;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) {
			char *e;
			secs = strtod(argv[++i], &e);
			if (*e || secs < 0.1 || secs > 60) {
				fprintf(stderr, "xcorr: --min-seconds %s: write 0.1 to 60\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--align-ms") && i + 1 < argc) {
			char *e;
			align_ms = strtod(argv[++i], &e);
			if (*e || align_ms < 20 || align_ms > 10000) {
				fprintf(stderr, "xcorr: --align-ms %s: write 20 to 10000\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			verbose = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage();
			return 2;
		} else if (!refp) {
			refp = argv[i];
		} else if (!recp) {
			recp = argv[i];
		} else {
			usage();
			return 2;
		}
	}
	if (!recp) {
		usage();
		return 2;
	}
	if ((rc = load(refp, &ref)) || (rc = load(recp, &rec)))
		return rc;
	if (ref.rate != rec.rate) {
		fprintf(stderr, "xcorr: %s is at %u Hz, %s at %u Hz\n", refp, ref.rate, recp,
			rec.rate);
		return 2;
	}
	if (ref.n < ref.rate / 10) {
		fprintf(stderr, "xcorr: %s: shorter than 0.1 s\n", refp);
		return 2;
	}
	seg_n = (size_t)(secs * rec.rate);
	seg = pick_segment(&rec, seg_n);
	if (seg < 0) {
		fprintf(stderr, "xcorr: %s: less than %.1f s of audio (%.2f s in all)\n", recp,
			secs, (double)rec.n / rec.rate);
		printf("corr=0.000 lag_ms=0 seconds=0.0\n");
		return 1;
	}

	/* the looped reference: one period plus a segment */
	ext_n = ref.n + seg_n;
	ext = xcalloc_or_die(ext_n, sizeof(float));
	for (size_t i = 0; i < ext_n; i++)
		ext[i] = ref.x[i % ref.n];

	/* coarse: decimate to about 8 kHz, probe with the loudest 0.25 s */
	d = rec.rate > COARSE_RATE ? rec.rate / COARSE_RATE : 1;
	cext = decimate(ext, ext_n, d, &cext_n);
	cseg = decimate(rec.x + seg, seg_n, d, &cseg_n);
	probe_n = (size_t)rec.rate / d * PROBE_MS / 1000;
	if (probe_n > cseg_n)
		probe_n = cseg_n;
	for (size_t s = 0; s + probe_n <= cseg_n; s += probe_n / 4) {
		double e = 0;
		for (size_t i = 0; i < probe_n; i++)
			e += (double)cseg[s + i] * cseg[s + i];
		if (e > emax) {
			emax = e;
			pofs = s;
		}
		if (probe_n < 4)
			break;
	}
	cprobe_n = probe_n;
	probe = xcalloc_or_die(cprobe_n, sizeof(float));
	for (size_t i = 0; i < cprobe_n; i++)
		pmean += cseg[pofs + i];
	pmean /= (double)cprobe_n;
	for (size_t i = 0; i < cprobe_n; i++) {
		probe[i] = (float)(cseg[pofs + i] - pmean);
		pvar += (double)probe[i] * probe[i];
	}
	/* prefix sums of the coarse reference: mean and energy of any window */
	pre = xcalloc_or_die(cext_n + 1, sizeof(double));
	pre2 = xcalloc_or_die(cext_n + 1, sizeof(double));
	for (size_t i = 0; i < cext_n; i++) {
		pre[i + 1] = pre[i] + cext[i];
		pre2[i + 1] = pre2[i] + (double)cext[i] * cext[i];
	}
	{
		/* every offset of the probe's start within one period */
		size_t period = (ref.n + d - 1) / d;
		for (size_t o = 0; o < period && o + cprobe_n <= cext_n; o++) {
			float acc = 0;
			double s = pre[o + cprobe_n] - pre[o];
			double v = pre2[o + cprobe_n] - pre2[o] - s * s / (double)cprobe_n;
			const float *y = cext + o;
			for (size_t i = 0; i < cprobe_n; i++)
				acc += probe[i] * y[i];
			if (v > 0 && pvar > 0)
				cand_add(cands, &nc, (long)o, acc / sqrt(v * pvar));
		}
	}

	/* refine at full rate with the whole segment */
	for (size_t k = 0; k < nc; k++) {
		/* where the segment starts in the reference, at full rate */
		long base = cands[k].off * (long)d - (long)(pofs * d);
		long span = (long)d + 2;
		for (long o = base - span; o <= base + span; o++) {
			long p = ((o % (long)ref.n) + (long)ref.n) % (long)ref.n;
			double r = pearson(rec.x + seg, ext + p, seg_n);
			if (r > best_r) {
				best_r = r;
				best_off = p;
			}
		}
		if (verbose)
			fprintf(stderr, "xcorr: candidate %zu: coarse r=%.3f at %ld\n", k, cands[k].r,
				base);
	}
	if (best_r < -1)
		best_r = 0;
	lag = ((seg - best_off) % (long)ref.n + (long)ref.n) % (long)ref.n;
	if (verbose)
		fprintf(stderr, "xcorr: segment %.3f-%.3f s of %s matches %.3f s of %s\n",
			(double)seg / rec.rate, (double)(seg + (long)seg_n) / rec.rate, recp,
			(double)best_off / ref.rate, refp);
	if (align_ms > 0) {
		double r = align_blocks(&rec, seg, seg_n, &ref, ext, best_off, align_ms);
		printf("corr=%.3f lag_ms=%ld seconds=%.1f single=%.3f blocks=%u lag_changes=%u\n",
		       r, lag * 1000 / (long)rec.rate, (double)seg_n / rec.rate, best_r, align_nblocks,
		       align_changes);
	} else {
		printf("corr=%.3f lag_ms=%ld seconds=%.1f\n", best_r, lag * 1000 / (long)rec.rate,
		       (double)seg_n / rec.rate);
	}
	free(ext);
	free(cext);
	free(cseg);
	free(probe);
	free(pre);
	free(pre2);
	free(ref.x);
	free(rec.x);
	return 0;
}
