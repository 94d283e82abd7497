/* tests/tools/udprelay.c: a UDP relay with a bad network in the middle.
 *
 *   udprelay --listen PORT --to HOST:PORT [--listen PORT --to HOST:PORT ...]
 *            [--loss PCT] [--dup PCT] [--reorder PCT] [--reorder-ms MS]
 *            [--delay MIN-MAX] [--impair both|fwd|rev] [--seed N]
 *            [--sdp-port PORT] [--bind ADDR] [--max-secs S]
 *
 * Each --listen/--to pair is one socket on ADDR:PORT (default 127.0.0.1,
 * or ::1 when the first --to is IPv6).  Datagrams from HOST:PORT go back to
 * the "client", the latest other source heard on the socket (so the
 * return address is learned from the client's first packet; until then
 * they are dropped and counted as noclient); datagrams from anyone else go
 * to HOST:PORT.  Both directions leave from the listening socket, so
 * symmetric RTP peers see the relay as their peer.  "fwd" is client ->
 * HOST:PORT, "rev" the way back.
 *
 * On the impaired direction(s) (--impair, default both) every datagram is
 * lost with probability --loss, else sent after a delay drawn uniformly
 * from --delay (ms, default 0-0), plus --reorder-ms (default 40) with
 * probability --reorder; with probability --dup a second copy follows with
 * its own delay.  Random delays reorder packets by themselves too.  The
 * decisions come from a PRNG seeded with --seed (default 1), drawn in a
 * fixed order per datagram: the same traffic meets the same fate.
 *
 * --sdp-port PORT makes it a poor man's media relay for SIP: in every
 * datagram it forwards, "m=audio N " becomes "m=audio PORT " and
 * "a=rtcp:N" becomes "a=rtcp:PORT+1" when the numbers have as many digits
 * (so Content-Length stays right; other lengths are left alone and
 * counted).  A second udprelay on PORT and PORT+1 then carries the RTP and
 * RTCP of both parties.
 *
 * It stops after --max-secs (default 120) or on SIGTERM/SIGINT and prints
 * one line of counts per pair on standard output. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define MAX_PAIRS 8
#define MAX_PENDING 4096
#define MAX_DGRAM 65536

enum { FWD, REV };

struct counts {
	unsigned long in, sent, lost, dup, reordered, noclient, overflow, sdp, sdp_skipped;
};

struct pair {
	unsigned port;
	struct sockaddr_storage to;
	socklen_t to_len;
	struct sockaddr_storage client;
	socklen_t client_len;
	bool have_client;
	int fd;
	struct counts c[2];
};

struct pending {
	uint64_t due_us;
	uint64_t order;          /* FIFO among equal due times */
	struct pair *p;
	int dir;
	size_t len;
	unsigned char *data;
};

static struct pair pairs[MAX_PAIRS];
static unsigned npairs;
static struct pending pend[MAX_PENDING];
static size_t npend;
static uint64_t pend_order;
static volatile sig_atomic_t stop;

static double loss_pct, dup_pct, reorder_pct;
static unsigned delay_min, delay_max, reorder_ms = 40;
static bool impair[2] = { true, true };
static unsigned sdp_port;
static uint64_t rng;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* splitmix64: small, and the same sequence on every machine. */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A percentage roll: true with probability pct/100. */
static bool roll(double pct)
{
	double u = (double)(rnd() >> 11) / 9007199254740992.0;
	return u * 100.0 < pct;
}

static uint64_t draw_delay_us(void)
{
	uint64_t lo = (uint64_t)delay_min * 1000, hi = (uint64_t)delay_max * 1000;
	uint64_t r = rnd();
	return hi > lo ? lo + r % (hi - lo + 1) : lo;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/* "127.0.0.1:5060", "[::1]:5060", or a bare address ("::1") with port 0. */
static int parse_hostport(const char *s, bool need_port, struct sockaddr_storage *out,
			  socklen_t *len)
{
	char host[128], *end;
	const char *port = NULL;
	struct addrinfo hints, *ai;
	unsigned long pn = 0;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || (size_t)(rb - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1])
			return -1;
	} else {
		const char *colon = strrchr(s, ':');
		size_t hl;
		if (colon && strchr(s, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		hl = colon ? (size_t)(colon - s) : strlen(s);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port) {
		pn = strtoul(port, &end, 10);
		if (!*port || *end || pn > 65535)
			return -1;
	}
	if (need_port && !pn)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &ai))
		return -1;
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)out)->sin_port = htons((uint16_t)pn);
	else
		((struct sockaddr_in6 *)(void *)out)->sin6_port = htons((uint16_t)pn);
	return 0;
}

/* Replace the number after each tag by repl when it has as many digits. */
static void subst_number(unsigned char *d, size_t len, const char *tag, unsigned repl,
			 struct counts *c)
{
	size_t tl = strlen(tag);
	char num[8];

	snprintf(num, sizeof(num), "%u", repl);
	for (size_t i = 0; i + tl < len; i++) {
		size_t j = i + tl, k = j;
		unsigned long old = 0;
		if (memcmp(d + i, tag, tl))
			continue;
		while (k < len && d[k] >= '0' && d[k] <= '9' && k - j < 6)
			old = old * 10 + (d[k++] - '0');
		if (k == j)
			continue;
		if (k - j != strlen(num)) {
			c->sdp_skipped++;
			fprintf(stderr, "udprelay: %s%lu left alone: %u has another length\n", tag,
				old, repl);
			continue;
		}
		if (old != repl)
			fprintf(stderr, "udprelay: sdp %s%lu -> %s%s\n", tag, old, tag, num);
		memcpy(d + j, num, k - j);
		c->sdp++;
		i = k;
	}
}

static void send_now(struct pair *p, int dir, const unsigned char *d, size_t len)
{
	const struct sockaddr_storage *dst = dir == FWD ? &p->to : &p->client;
	socklen_t dl = dir == FWD ? p->to_len : p->client_len;

	if (sendto(p->fd, d, len, 0, (const struct sockaddr *)dst, dl) >= 0)
		p->c[dir].sent++;
}

static void schedule(struct pair *p, int dir, const unsigned char *d, size_t len,
		     uint64_t due)
{
	struct pending *q;

	if (npend >= MAX_PENDING) {
		p->c[dir].overflow++;
		return;
	}
	q = &pend[npend++];
	q->due_us = due;
	q->order = pend_order++;
	q->p = p;
	q->dir = dir;
	q->len = len;
	q->data = malloc(len ? len : 1);
	if (!q->data) {
		npend--;
		p->c[dir].overflow++;
		return;
	}
	memcpy(q->data, d, len);
}

/* One datagram meets the network. */
static void forward(struct pair *p, int dir, unsigned char *d, size_t len)
{
	struct counts *c = &p->c[dir];
	uint64_t t = now_us(), due;
	bool reo, dup;

	if (sdp_port) {
		subst_number(d, len, "m=audio ", sdp_port, c);
		subst_number(d, len, "a=rtcp:", sdp_port + 1, c);
	}
	if (!impair[dir]) {
		send_now(p, dir, d, len);
		return;
	}
	/* always the same draws per datagram, whatever the outcome */
	{
		bool lost = roll(loss_pct);
		reo = roll(reorder_pct);
		dup = roll(dup_pct);
		due = t + draw_delay_us();
		if (lost) {
			c->lost++;
			(void)draw_delay_us();
			return;
		}
	}
	if (reo) {
		c->reordered++;
		due += (uint64_t)reorder_ms * 1000;
	}
	schedule(p, dir, d, len, due);
	{
		uint64_t due2 = t + draw_delay_us();
		if (dup) {
			c->dup++;
			schedule(p, dir, d, len, due2);
		}
	}
}

static void flush_due(void)
{
	uint64_t t = now_us();

	for (;;) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < npend; i++) {
			if (pend[i].due_us > t)
				continue;
			if (best == SIZE_MAX || pend[i].due_us < pend[best].due_us ||
			    (pend[i].due_us == pend[best].due_us && pend[i].order < pend[best].order))
				best = i;
		}
		if (best == SIZE_MAX)
			return;
		send_now(pend[best].p, pend[best].dir, pend[best].data, pend[best].len);
		free(pend[best].data);
		pend[best] = pend[--npend];
	}
}

static int next_timeout_ms(uint64_t deadline)
{
	uint64_t t = now_us(), next = deadline;
	for (size_t i = 0; i < npend; i++)
		if (pend[i].due_us < next)
			next = pend[i].due_us;
	if (next <= t)
		return 0;
	return (int)((next - t + 999) / 1000);
}

static void on_readable(struct pair *p)
{
	static unsigned char buf[MAX_DGRAM];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (same_addr(&from, &p->to)) {
			p->c[REV].in++;
			if (!p->have_client) {
				p->c[REV].noclient++;
				continue;
			}
			forward(p, REV, buf, (size_t)n);
		} else {
			p->c[FWD].in++;
			p->client = from;
			p->client_len = fl;
			p->have_client = true;
			forward(p, FWD, buf, (size_t)n);
		}
	}
}

static void print_counts(void)
{
	for (unsigned i = 0; i < npairs; i++) {
		struct pair *p = &pairs[i];
		printf("udprelay: port %u", p->port);
		for (int dir = FWD; dir <= REV; dir++) {
			struct counts *c = &p->c[dir];
			printf(" %s in=%lu sent=%lu lost=%lu dup=%lu reordered=%lu", dir == FWD ? "fwd" : "rev",
			       c->in, c->sent, c->lost, c->dup, c->reordered);
			if (c->noclient)
				printf(" noclient=%lu", c->noclient);
			if (c->overflow)
				printf(" overflow=%lu", c->overflow);
			if (c->sdp || c->sdp_skipped)
				printf(" sdp=%lu sdp_skipped=%lu", c->sdp, c->sdp_skipped);
		}
		printf("\n");
	}
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udprelay --listen PORT --to HOST:PORT [--listen PORT --to HOST:PORT ...]\n"
		"                [--loss PCT] [--dup PCT] [--reorder PCT] [--reorder-ms MS]\n"
		"                [--delay MIN-MAX] [--impair both|fwd|rev] [--seed N]\n"
		"                [--sdp-port PORT] [--bind ADDR] [--max-secs S]\n");
}

static int pct_arg(const char *opt, const char *s, double *out)
{
	char *e;
	double v = strtod(s, &e);
	if (e == s || *e || v < 0 || v > 100) {
		fprintf(stderr, "udprelay: %s %s: write a percentage 0-100\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int uint_arg(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *e;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (!*s || *e || errno || v > max || s[0] == '-') {
		fprintf(stderr, "udprelay: %s %s: write a whole number up to %lu\n", opt, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *bind_s = NULL;
	unsigned long max_secs = 120, v, seed = 1;
	unsigned nlisten = 0, nto = 0;
	struct pollfd pfd[MAX_PAIRS];
	struct sigaction sa;
	uint64_t deadline;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
		if (!a) {
			usage();
			return 2;
		}
		i++;
		if (!strcmp(o, "--listen")) {
			if (nlisten >= MAX_PAIRS || uint_arg(o, a, 65535, &v))
				return 2;
			pairs[nlisten++].port = (unsigned)v;
		} else if (!strcmp(o, "--to")) {
			if (nto >= MAX_PAIRS ||
			    parse_hostport(a, true, &pairs[nto].to, &pairs[nto].to_len)) {
				fprintf(stderr, "udprelay: --to %s: write HOST:PORT\n", a);
				return 2;
			}
			nto++;
		} else if (!strcmp(o, "--loss")) {
			if (pct_arg(o, a, &loss_pct))
				return 2;
		} else if (!strcmp(o, "--dup")) {
			if (pct_arg(o, a, &dup_pct))
				return 2;
		} else if (!strcmp(o, "--reorder")) {
			if (pct_arg(o, a, &reorder_pct))
				return 2;
		} else if (!strcmp(o, "--reorder-ms")) {
			if (uint_arg(o, a, 10000, &v))
				return 2;
			reorder_ms = (unsigned)v;
		} else if (!strcmp(o, "--delay")) {
			unsigned lo, hi;
			char tail;
			if (sscanf(a, "%u-%u%c", &lo, &hi, &tail) != 2 || lo > hi || hi > 10000) {
				fprintf(stderr, "udprelay: --delay %s: write MIN-MAX in ms, e.g. 0-60\n",
					a);
				return 2;
			}
			delay_min = lo;
			delay_max = hi;
		} else if (!strcmp(o, "--impair")) {
			if (!strcmp(a, "both")) {
				impair[FWD] = impair[REV] = true;
			} else if (!strcmp(a, "fwd")) {
				impair[FWD] = true;
				impair[REV] = false;
			} else if (!strcmp(a, "rev")) {
				impair[FWD] = false;
				impair[REV] = true;
			} else {
				fprintf(stderr, "udprelay: --impair %s: write both, fwd or rev\n", a);
				return 2;
			}
		} else if (!strcmp(o, "--seed")) {
			if (uint_arg(o, a, ULONG_MAX, &seed))
				return 2;
		} else if (!strcmp(o, "--sdp-port")) {
			if (uint_arg(o, a, 65534, &v) || !v)
				return 2;
			sdp_port = (unsigned)v;
		} else if (!strcmp(o, "--bind")) {
			bind_s = a;
		} else if (!strcmp(o, "--max-secs")) {
			if (uint_arg(o, a, 86400, &max_secs) || !max_secs)
				return 2;
		} else {
			usage();
			return 2;
		}
	}
	if (!nlisten || nlisten != nto) {
		usage();
		return 2;
	}
	npairs = nlisten;
	rng = (uint64_t)seed;

	for (unsigned i = 0; i < npairs; i++) {
		struct pair *p = &pairs[i];
		struct sockaddr_storage la;
		socklen_t ll;
		const char *b = bind_s ? bind_s
				       : pairs[0].to.ss_family == AF_INET6 ? "::1" : "127.0.0.1";
		if (parse_hostport(b, false, &la, &ll)) {
			fprintf(stderr, "udprelay: --bind %s: write an IP address\n", b);
			return 2;
		}
		if (la.ss_family == AF_INET)
			((struct sockaddr_in *)(void *)&la)->sin_port = htons((uint16_t)p->port);
		else
			((struct sockaddr_in6 *)(void *)&la)->sin6_port = htons((uint16_t)p->port);
		p->fd = socket(la.ss_family, SOCK_DGRAM, 0);
		if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&la, ll) < 0) {
			fprintf(stderr, "udprelay: bind %s port %u: %s\n", b, p->port, strerror(errno));
			return 1;
		}
		pfd[i].fd = p->fd;
		pfd[i].events = POLLIN;
		/* port 0: the kernel's choice, for the ready line */
		ll = sizeof(la);
		if (getsockname(p->fd, (struct sockaddr *)&la, &ll) == 0)
			p->port = ntohs(la.ss_family == AF_INET
						? ((struct sockaddr_in *)(void *)&la)->sin_port
						: ((struct sockaddr_in6 *)(void *)&la)->sin6_port);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fprintf(stderr, "udprelay: ready (seed %lu), listening on", seed);
	for (unsigned i = 0; i < npairs; i++)
		fprintf(stderr, " %u", pairs[i].port);
	fprintf(stderr, "\n");
	deadline = now_us() + (uint64_t)max_secs * 1000000u;
	while (!stop) {
		int n, to;
		if (now_us() >= deadline) {
			fprintf(stderr, "udprelay: --max-secs %lu reached\n", max_secs);
			break;
		}
		to = next_timeout_ms(deadline);
		n = poll(pfd, npairs, to);
		if (n < 0 && errno != EINTR) {
			perror("udprelay: poll");
			break;
		}
		for (unsigned i = 0; n > 0 && i < npairs; i++)
			if (pfd[i].revents & POLLIN)
				on_readable(&pairs[i]);
		flush_due();
	}
	print_counts();
	for (size_t i = 0; i < npend; i++)
		free(pend[i].data);
	for (unsigned i = 0; i < npairs; i++)
		close(pairs[i].fd);
	return 0;
}
