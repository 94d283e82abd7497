/* tests/bench/bench.c: file list, input buffers and timing loop shared by
 * the parser benchmarks (see bench.h).
 *
 * Each message is parsed in batches timed with CLOCK_MONOTONIC: the batch
 * size is calibrated to about 20 ms (some 10^4 parses), batches run for
 * BENCH_SECONDS (2 s by default), and the fastest batch gives ns_per_msg.
 * Other processes can only slow a batch down, and on the shared 2-core
 * test machines the median of the same run moved by 50% from one run to
 * the next while the fastest batch moved by less than 7%; the median is
 * printed too (median_ns).  Both parsers get the same statistic.
 * BENCH_ITERS=N instead runs exactly N iterations in one batch (for
 * callgrind/perf). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_MAX_FILE    (1024 * 1024)
#define BENCH_MAX_FILES   256
#define BENCH_MAX_BATCHES 4096
#define BENCH_BATCH_NS    20e6   /* target length of one timed batch */
#define BENCH_CALIB_NS    5e6    /* a calibration run this long is trusted */

static const char *prog = "bench";

/* Written after every batch so the parse results are observably used. */
volatile uint64_t bench_sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void bench_put(FILE *out, const char *key, const char *p, size_t l)
{
	fprintf(out, " %s=", key);
	if (!p) {
		fputc('-', out);
		return;
	}
	for (size_t i = 0; i < l; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= ' ' || c >= 0x7f || c == '%')
			fprintf(out, "%%%02X", c);
		else
			fputc(c, out);
	}
}

void bench_put_str(FILE *out, const char *key, const char *s)
{
	bench_put(out, key, s, s ? strlen(s) : 0);
}

/* Read a whole file into an exactly sized buffer. */
static int read_file(const char *path, char **datap, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *data;
	size_t len = 0;
	int err = 0;

	if (!f)
		return errno;
	data = malloc(BENCH_MAX_FILE);
	if (!data) {
		fclose(f);
		return ENOMEM;
	}
	len = fread(data, 1, BENCH_MAX_FILE, f);
	if (ferror(f))
		err = EIO;
	else if (len == BENCH_MAX_FILE)
		err = EFBIG;
	else if (len == 0)
		err = ENODATA;
	fclose(f);
	if (err) {
		free(data);
		return err;
	}
	{
		char *shrunk = realloc(data, len);
		*datap = shrunk ? shrunk : data;
	}
	*lenp = len;
	return 0;
}

/* "dir/invite.sip" -> "invite" */
static void msg_name(const char *path, char *dst, size_t size)
{
	const char *b = strrchr(path, '/');
	size_t l;

	b = b ? b + 1 : path;
	l = strlen(b);
	if (l > 4 && strcmp(b + l - 4, ".sip") == 0)
		l -= 4;
	if (l >= size)
		l = size - 1;
	memcpy(dst, b, l);
	dst[l] = '\0';
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The message directory: $top_srcdir/tests/bench/msgs, then msgs/ next
 * to the program (in-tree build), then the source path compiled in. */
static int find_msgs_dir(const char *argv0, char *dst, size_t size)
{
	const char *top = getenv("top_srcdir");
	const char *slash = strrchr(argv0, '/');

	if (top && *top) {
		snprintf(dst, size, "%s/tests/bench/msgs", top);
		if (is_dir(dst))
			return 0;
	}
	if (slash)
		snprintf(dst, size, "%.*s/msgs", (int)(slash - argv0), argv0);
	else
		snprintf(dst, size, "msgs");
	if (is_dir(dst))
		return 0;
#ifdef BENCH_MSGS_DIR
	snprintf(dst, size, "%s", BENCH_MSGS_DIR);
	if (is_dir(dst))
		return 0;
#endif
	return ENOENT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.sip file of dir, sorted by name. */
static int list_msgs(const char *dir, char ***filesp, int *nfilesp)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **files;
	int n = 0;

	if (!d)
		return errno;
	files = calloc(BENCH_MAX_FILES, sizeof(*files));
	if (!files) {
		closedir(d);
		return ENOMEM;
	}
	while ((de = readdir(d)) != NULL && n < BENCH_MAX_FILES) {
		size_t l = strlen(de->d_name);
		size_t sz = strlen(dir) + l + 2;
		if (l <= 4 || strcmp(de->d_name + l - 4, ".sip") != 0)
			continue;
		files[n] = malloc(sz);
		if (!files[n])
			break;
		snprintf(files[n], sz, "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	qsort(files, (size_t)n, sizeof(*files), cmp_str);
	*filesp = files;
	*nfilesp = n;
	return n ? 0 : ENOENT;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Time n iterations; -1 on a parse error (with *reason). */
static int run_batch(const struct bench_parser *bp, const char *data, size_t len,
		     uint64_t n, double *ns, const char **reason)
{
	uint64_t sink = 0;
	double t0 = now_ns();

	for (uint64_t i = 0; i < n; i++)
		if (bp->parse(data, len, &sink, reason))
			return -1;
	*ns = now_ns() - t0;
	bench_sink += sink;
	return 0;
}

static double env_double(const char *name, double def)
{
	const char *s = getenv(name);
	char *end;
	double v;

	if (!s || !*s)
		return def;
	v = strtod(s, &end);
	return *end || v <= 0 ? def : v;
}

/* Measure one message and print its line; 0 or -1 after a parse error. */
static int bench_one(const struct bench_parser *bp, const char *name, const char *data,
		     size_t len, const char **reason)
{
	static double per[BENCH_MAX_BATCHES];
	double seconds = env_double("BENCH_SECONDS", 2.0);
	double iters_env = env_double("BENCH_ITERS", 0);
	double t, total = 0, med;
	uint64_t n = 1, iters = 0;
	unsigned nb = 0;

	if (iters_env > 0) {
		n = (uint64_t)iters_env;
		if (run_batch(bp, data, len, n, &t, reason))
			return -1;
		per[nb++] = t / (double)n;
		iters = n;
	} else {
		/* calibrate: double until a run is long enough to trust */
		for (;;) {
			if (run_batch(bp, data, len, n, &t, reason))
				return -1;
			if (t >= BENCH_CALIB_NS || n >= (1u << 30))
				break;
			n *= 2;
		}
		n = (uint64_t)((double)n * BENCH_BATCH_NS / t);
		if (n < 1)
			n = 1;
		while (total < seconds * 1e9 && nb < BENCH_MAX_BATCHES) {
			if (run_batch(bp, data, len, n, &t, reason))
				return -1;
			per[nb++] = t / (double)n;
			total += t;
			iters += n;
		}
	}
	qsort(per, nb, sizeof(per[0]), cmp_double);
	med = nb % 2 ? per[nb / 2] : (per[nb / 2 - 1] + per[nb / 2]) / 2;
	printf("parser=%s msg=%s msgs_per_sec=%.0f ns_per_msg=%.0f median_ns=%.0f bytes=%zu "
	       "batches=%u iters=%llu\n", bp->name, name, 1e9 / per[0], per[0], med, len, nb,
	       (unsigned long long)iters);
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-c] [FILE...]\n"
		"  Parse each raw SIP message FILE (default: every *.sip in tests/bench/msgs)\n"
		"  for BENCH_SECONDS (2) and print msgs_per_sec and ns_per_msg.\n"
		"  -c  print what was decoded instead of timing\n"
		"  BENCH_ITERS=N: exactly N iterations, no calibration (for profilers)\n",
		prog);
}

int bench_main(const struct bench_parser *bp, int argc, char **argv)
{
	char dir[4096], name[256];
	char **files = NULL;
	bool describe = false;
	int nfiles = 0, c, err, rc = 0;

	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	while ((c = getopt(argc, argv, "ch")) != -1) {
		switch (c) {
		case 'c':
			describe = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (optind < argc) {
		files = argv + optind;
		nfiles = argc - optind;
	} else {
		err = find_msgs_dir(argv[0], dir, sizeof(dir));
		if (err) {
			fprintf(stderr, "%s: cannot find tests/bench/msgs: set top_srcdir "
				"or give FILE arguments\n", prog);
			return 2;
		}
		err = list_msgs(dir, &files, &nfiles);
		if (err) {
			fprintf(stderr, "%s: %s: no *.sip messages: %s\n", prog, dir,
				strerror(err));
			return 2;
		}
	}

	for (int i = 0; i < nfiles; i++) {
		const char *reason = NULL;
		char *data = NULL;
		size_t len = 0;
		uint64_t sink = 0;

		err = read_file(files[i], &data, &len);
		if (err) {
			fprintf(stderr, "%s: %s: cannot read: %s\n", prog, files[i], strerror(err));
			return 2;
		}
		msg_name(files[i], name, sizeof(name));
		/* one checked parse first: a message that fails is an error,
		 * never a fast figure */
		rc = bp->parse(data, len, &sink, &reason);
		if (rc == 0 && describe) {
			printf("parser=%s msg=%s", bp->name, name);
			rc = bp->describe(data, len, stdout, &reason);
			printf("\n");
		} else if (rc == 0) {
			rc = bench_one(bp, name, data, len, &reason);
		}
		free(data);
		if (rc) {
			fflush(stdout);
			fprintf(stderr, "%s: %s: message does not parse with %s: %s\n", prog,
				files[i], bp->name, reason ? reason : "unknown error");
			return 1;
		}
	}
	return 0;
}
