/* sip/resolv.c: RFC 3263 server location on one c-ares channel driven by
 * the loop.  c-ares tells us which sockets to watch (sock_state_cb ->
 * loop_fd_add/loop_fd_del) and when to retry (ares_timeout -> one struct
 * tmr); readiness and expiry both go to ares_process_fd().
 *
 * A query walks three phases, each a batch of c-ares lookups run in
 * parallel and joined by a pending counter: NAPTR (one lookup), SRV (one
 * per candidate service), addresses (one ares_getaddrinfo per host).
 * Every lookup carries a small struct sub pointing back at its query;
 * cancelling or finishing a query only clears those pointers, because
 * c-ares cannot cancel one lookup without cancelling all of them, and the
 * orphaned subs are freed when c-ares completes (or destroys) them.
 * The user's callback always runs from a zero-delay timer, never from
 * inside sip_resolve() or from inside c-ares. */
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/time.h>

#include "log.h"
#include "loop.h"
#include "sip/msg.h"
#include "sip/resolv.h"
#include "tmr.h"
#include "xmalloc.h"

#define LOG_MOD "dns"

#define NAME_MAX_LEN  253u  /* a domain name in text, without the root dot */
#define MAX_SRVQ      8u    /* SRV lookups per query (NAPTR services followed) */
#define MAX_NAPTR     32u   /* NAPTR records looked at per answer */
#define MAX_SRV_PARSE 64u   /* SRV records looked at per answer */
#define MAX_SRV       SIP_RESOLV_MAX_TARGETS /* SRV records kept per answer */
#define MAX_HOSTS     SIP_RESOLV_MAX_TARGETS /* names resolved to addresses */
#define MAX_ADDRS     SIP_RESOLV_MAX_TARGETS /* addresses kept per name */
#define TRY_MS        1000  /* c-ares: first try, doubled on each round */
#define TRIES         3

enum phase {
	PH_NAPTR = 0,
	PH_SRV,
	PH_ADDR,
	PH_DONE,
};

/* One outstanding c-ares lookup. */
struct sub {
	struct sip_resolv *q;  /* NULL once q finished or was cancelled */
	struct sub *next;      /* in q->subs */
	unsigned idx;          /* srvq or host slot */
};

/* One SRV name to look up and what it gave. */
struct srvq {
	enum sip_tp tp;
	char name[NAME_MAX_LEN + 2];
	struct sip_srv *v;
	size_t n;
	int err;
};

/* One name to resolve to addresses, in the order of the final list. */
struct host {
	enum sip_tp tp;
	uint16_t port;
	char name[NAME_MAX_LEN + 2];
	struct sa addr[MAX_ADDRS];
	size_t naddr;
	int err;
	bool done;
};

struct sip_resolv {
	struct sip_resolv *prev, *next; /* live queries, for sip_resolv_close */
	sip_resolv_h *h;
	void *arg;
	struct tmr tmr;      /* the deadline, then the zero-delay delivery */
	enum phase phase;
	unsigned tp_mask;
	int family;          /* for ares_getaddrinfo: AF_INET, AF_INET6, AF_UNSPEC */
	bool sips;
	enum sip_tp tp;      /* from transport=, else the default one */
	char domain[NAME_MAX_LEN + 2];
	struct sub *subs;
	unsigned pending;    /* lookups of the current phase still running */
	int naptr_err;
	struct srvq srvq[MAX_SRVQ];
	size_t nsrvq;
	struct host *host;   /* nhost entries */
	size_t nhost;
	struct sip_target t[SIP_RESOLV_MAX_TARGETS];
	size_t nt;
	int err;
	bool delivering;
};

static ares_channel chan;
static bool chan_ok;
static struct tmr chan_tmr;
static struct sip_resolv *live;
static uint32_t total_ms = SIP_RESOLV_TIMEOUT_MS;

static void chan_rearm(void);
static void phase_done(struct sip_resolv *q);

/* c-ares status to our errno convention. */
static int ares_errno(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENODATA:
	case ARES_ENOTFOUND:
		return ENOENT;
	case ARES_ETIMEOUT:
		return ETIMEDOUT;
	case ARES_ECONNREFUSED:
		return ECONNREFUSED;
	case ARES_EBADNAME:
	case ARES_EBADFAMILY:
	case ARES_EBADFLAGS:
		return EINVAL;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return ECANCELED;
	case ARES_ENOMEM:
		fprintf(stderr, "sipterm: out of memory in c-ares\n");
		abort();
	default: /* SERVFAIL, REFUSED, FORMERR, NOTIMP, BADRESP, ... */
		return EPROTO;
	}
}

/* Errors that say the DNS server is unusable, not that a name is absent. */
static bool hard_err(int err)
{
	return err == ETIMEDOUT || err == ECONNREFUSED;
}

/* ---------- the channel on the loop ---------- */

static void on_fd(int fd, int events, void *arg)
{
	(void)arg;
	if (!chan_ok)
		return;
	ares_process_fd(chan, (events & LOOP_READ) ? fd : ARES_SOCKET_BAD,
			(events & LOOP_WRITE) ? fd : ARES_SOCKET_BAD);
	chan_rearm();
}

/* c-ares opened, re-armed or is about to close one of its sockets. */
static void on_sock_state(void *data, ares_socket_t s, int readable, int writable)
{
	int err, ev;
	(void)data;

	if (!readable && !writable) {
		loop_fd_del(s);
		return;
	}
	ev = (readable ? LOOP_READ : 0) | (writable ? LOOP_WRITE : 0);
	/* modify when watched already: a re-add would drop its readiness
	 * for the rest of this dispatch round */
	err = loop_fd_mod(s, ev);
	if (err == ENOENT)
		err = loop_fd_add(s, ev, on_fd, NULL);
	if (err)
		log_w("cannot watch DNS socket %d: %s", (int)s, strerror(err));
}

/* Retries and per-try timeouts: c-ares handles them in ares_process_fd. */
static void on_chan_tmr(void *arg)
{
	(void)arg;
	ares_process_fd(chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	chan_rearm();
}

/* Point the channel timer at c-ares' next deadline; O(outstanding lookups). */
static void chan_rearm(void)
{
	struct timeval tv, *tvp;
	uint64_t ms;

	if (!chan_ok)
		return;
	tvp = ares_timeout(chan, NULL, &tv);
	if (!tvp) {
		tmr_cancel(&chan_tmr);
		return;
	}
	ms = (uint64_t)tvp->tv_sec * 1000 + ((uint64_t)tvp->tv_usec + 999) / 1000;
	tmr_start(&chan_tmr, ms, on_chan_tmr, NULL);
}

int sip_resolv_init(const char *servers)
{
	struct ares_options opt;
	int optmask, status;

	if (chan_ok)
		return EALREADY;
	status = ares_library_init(ARES_LIB_INIT_ALL);
	if (status != ARES_SUCCESS) {
		log_e("c-ares: %s", ares_strerror(status));
		return ares_errno(status);
	}
	memset(&opt, 0, sizeof(opt));
	opt.sock_state_cb = on_sock_state;
	opt.timeout = TRY_MS;
	opt.tries = TRIES;
	opt.ndomains = 0;  /* no search list: SIP names are absolute */
	opt.domains = NULL;
	optmask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
		  ARES_OPT_DOMAINS;
	status = ares_init_options(&chan, &opt, optmask);
	if (status != ARES_SUCCESS) {
		log_e("c-ares init: %s", ares_strerror(status));
		ares_library_cleanup();
		return ares_errno(status) ? ares_errno(status) : EIO;
	}
	if (servers) {
		status = ares_set_servers_ports_csv(chan, servers);
		if (status != ARES_SUCCESS) {
			log_e("DNS servers \"%s\": %s", servers, ares_strerror(status));
			ares_destroy(chan);
			ares_library_cleanup();
			return EINVAL;
		}
	}
	tmr_init(&chan_tmr);
	chan_ok = true;
	log_d("resolver ready (%s)", servers ? servers : "resolv.conf");
	return 0;
}

void sip_resolv_close(void)
{
	while (live)
		sip_resolv_cancel(live);
	if (!chan_ok)
		return;
	/* fires every lookup's callback with ARES_EDESTRUCTION: all are
	 * orphans by now, so they only free their subs */
	ares_destroy(chan);
	chan = NULL;
	chan_ok = false;
	tmr_cancel(&chan_tmr);
	ares_library_cleanup();
}

void sip_resolv_set_timeout(uint32_t ms)
{
	total_ms = ms ? ms : SIP_RESOLV_TIMEOUT_MS;
}

/* ---------- SRV ordering (RFC 2782) ---------- */

static uint32_t sys_rand(void *arg)
{
	uint32_t x;
	(void)arg;
	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != (ssize_t)sizeof(x))
		x = (uint32_t)random();
	return x;
}

/* Insertion sort by priority (stable, n is small); then within each
 * priority, zero weights first and a weighted random draw for each slot. */
void sip_srv_order(struct sip_srv *v, size_t n, sip_rand_h *rnd, void *arg)
{
	struct sip_srv tmp;

	if (!rnd)
		rnd = sys_rand;
	for (size_t i = 1; i < n; i++) {
		size_t j = i;
		tmp = v[i];
		while (j > 0 && v[j - 1].prio > tmp.prio) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = tmp;
	}
	for (size_t a = 0; a < n;) {
		size_t b = a, z = a;
		while (b < n && v[b].prio == v[a].prio)
			b++;
		/* zero-weight records to the front of the run, in order */
		for (size_t i = a; i < b; i++) {
			if (v[i].weight)
				continue;
			tmp = v[i];
			memmove(&v[z + 1], &v[z], (i - z) * sizeof(*v));
			v[z++] = tmp;
		}
		for (size_t i = a; i + 1 < b; i++) {
			uint64_t sum = 0, r, run = 0;
			size_t pick = b - 1;
			for (size_t k = i; k < b; k++)
				sum += v[k].weight;
			r = rnd(arg) % (sum + 1);
			for (size_t k = i; k < b; k++) {
				run += v[k].weight;
				if (run >= r) {
					pick = k;
					break;
				}
			}
			tmp = v[pick];
			memmove(&v[i + 1], &v[i], (pick - i) * sizeof(*v));
			v[i] = tmp;
		}
		a = b;
	}
}

/* ---------- queries ---------- */

static struct sub *sub_new(struct sip_resolv *q, unsigned idx)
{
	struct sub *s = xcalloc(1, sizeof(*s));
	s->q = q;
	s->idx = idx;
	s->next = q->subs;
	q->subs = s;
	q->pending++;
	return s;
}

/* A lookup completed: free its sub, and return its query if still live. */
static struct sip_resolv *sub_done(struct sub *s)
{
	struct sip_resolv *q = s->q;

	if (q) {
		struct sub **pp = &q->subs;
		while (*pp && *pp != s)
			pp = &(*pp)->next;
		if (*pp)
			*pp = s->next;
		q->pending--;
	}
	free(s);
	return q;
}

static void subs_detach(struct sip_resolv *q)
{
	for (struct sub *s = q->subs; s; s = s->next)
		s->q = NULL;
	q->subs = NULL;
	q->pending = 0;
}

static void live_unlink(struct sip_resolv *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else if (live == q)
		live = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

static void q_free(struct sip_resolv *q)
{
	subs_detach(q);
	tmr_cancel(&q->tmr);
	for (size_t i = 0; i < q->nsrvq; i++)
		free(q->srvq[i].v);
	free(q->host);
	free(q);
}

static void deliver(void *arg)
{
	struct sip_resolv *q = arg;

	live_unlink(q);
	q->delivering = true;
	if (q->err)
		log_d("%s: %s", q->domain, strerror(q->err));
	q->h(q->err, q->err ? NULL : q->t, q->err ? 0 : q->nt, q->arg);
	q_free(q);
}

/* End the query; the callback runs from the loop a moment later. */
static void finish(struct sip_resolv *q, int err)
{
	q->phase = PH_DONE;
	q->err = err;
	subs_detach(q);
	tmr_start(&q->tmr, 0, deliver, q);
}

void sip_resolv_cancel(struct sip_resolv *q)
{
	if (!q || q->delivering)
		return;
	live_unlink(q);
	q_free(q);
}

/* The transport used without NAPTR/SRV guidance: UDP (TLS for sips), or
 * the first one we have. */
static int default_tp(const struct sip_resolv *q, enum sip_tp *tp)
{
	static const enum sip_tp pref[] = { SIP_TP_UDP, SIP_TP_TCP, SIP_TP_TLS };

	if (q->sips) {
		*tp = SIP_TP_TLS;
		return (q->tp_mask & SIP_TP_MASK(SIP_TP_TLS)) ? 0 : EPROTONOSUPPORT;
	}
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
		if (q->tp_mask & SIP_TP_MASK(pref[i])) {
			*tp = pref[i];
			return 0;
		}
	}
	return EPROTONOSUPPORT;
}

/* Append a name to look up, unless already there or the list is full. */
static void srvq_add(struct sip_resolv *q, enum sip_tp tp, const char *name)
{
	struct srvq *s;

	if (q->nsrvq >= MAX_SRVQ || strlen(name) > NAME_MAX_LEN)
		return;
	for (size_t i = 0; i < q->nsrvq; i++)
		if (q->srvq[i].tp == tp && !strcasecmp(q->srvq[i].name, name))
			return;
	s = &q->srvq[q->nsrvq++];
	memset(s, 0, sizeof(*s));
	s->tp = tp;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

/* _sip._udp.domain, _sip._tcp.domain, _sips._tcp.domain (RFC 3263 4.1). */
static void srvq_add_default(struct sip_resolv *q, enum sip_tp tp)
{
	static const char *const prefix[SIP_TP_NUM] = {
		[SIP_TP_UDP] = "_sip._udp.",
		[SIP_TP_TCP] = "_sip._tcp.",
		[SIP_TP_TLS] = "_sips._tcp.",
	};
	char name[NAME_MAX_LEN + 16];

	if (!(q->tp_mask & SIP_TP_MASK(tp)) || (q->sips && tp != SIP_TP_TLS))
		return;
	snprintf(name, sizeof(name), "%s%s", prefix[tp], q->domain);
	srvq_add(q, tp, name);
}

/* ---------- addresses ---------- */

static void addr_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct sub *s = arg;
	unsigned idx = s->idx;
	struct sip_resolv *q = sub_done(s);
	struct host *hst;
	(void)timeouts;

	if (!q) {
		if (res)
			ares_freeaddrinfo(res);
		return;
	}
	hst = &q->host[idx];
	hst->done = true;
	hst->err = ares_errno(status);
	if (res) {
		for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
			struct sa *a;
			if (hst->naddr >= MAX_ADDRS)
				break;
			a = &hst->addr[hst->naddr];
			if (n->ai_family == AF_INET && (q->family != AF_INET6) &&
			    n->ai_addrlen >= sizeof(a->u.in)) {
				sa_init(a, AF_INET);
				memcpy(&a->u.in, n->ai_addr, sizeof(a->u.in));
			} else if (n->ai_family == AF_INET6 && (q->family != AF_INET) &&
				   n->ai_addrlen >= sizeof(a->u.in6)) {
				sa_init(a, AF_INET6);
				memcpy(&a->u.in6, n->ai_addr, sizeof(a->u.in6));
			} else {
				continue;
			}
			sa_set_port(a, hst->port);
			hst->naddr++;
		}
		ares_freeaddrinfo(res);
	}
	if (!hst->naddr && !hst->err)
		hst->err = ENOENT;
	log_d("%s: %zu address(es)%s%s", hst->name, hst->naddr,
	      hst->err ? ", " : "", hst->err ? strerror(hst->err) : "");
	if (!q->pending)
		phase_done(q);
}

static void addr_start(struct sip_resolv *q)
{
	struct ares_addrinfo_hints hints;

	q->phase = PH_ADDR;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = q->family;
	q->pending++; /* hold: a lookup may complete inside ares_getaddrinfo */
	for (size_t i = 0; i < q->nhost; i++) {
		struct sub *s = sub_new(q, (unsigned)i);
		log_d("A%s %s", q->family == AF_INET ? "" : "/AAAA", q->host[i].name);
		ares_getaddrinfo(chan, q->host[i].name, NULL, &hints, addr_cb, s);
	}
	if (!--q->pending)
		phase_done(q);
}

/* Put one name in the host list, unless already there or the list is full. */
static void host_add(struct sip_resolv *q, enum sip_tp tp, const char *name, uint16_t port)
{
	struct host *hst;

	if (q->nhost >= MAX_HOSTS || !*name || strlen(name) > NAME_MAX_LEN)
		return;
	for (size_t i = 0; i < q->nhost; i++)
		if (q->host[i].tp == tp && q->host[i].port == port &&
		    !strcasecmp(q->host[i].name, name))
			return;
	if (!q->host)
		q->host = xcalloc(MAX_HOSTS, sizeof(*q->host));
	hst = &q->host[q->nhost++];
	hst->tp = tp;
	hst->port = port;
	snprintf(hst->name, sizeof(hst->name), "%s", name);
}

/* The hosts' addresses in order, without repeats, at most MAX_TARGETS;
 * the error when there are none. */
static int flatten(struct sip_resolv *q)
{
	int err = 0;
	bool timeout = false;

	q->nt = 0;
	for (size_t i = 0; i < q->nhost; i++) {
		const struct host *hst = &q->host[i];
		if (hst->err == ETIMEDOUT || (!hst->done && q->phase == PH_ADDR))
			timeout = true;
		else if (hst->err && (!err || err == ENOENT))
			err = hst->err;
		for (size_t k = 0; k < hst->naddr; k++) {
			bool dup = false;
			if (q->nt >= SIP_RESOLV_MAX_TARGETS)
				return 0;
			for (size_t j = 0; j < q->nt && !dup; j++)
				dup = q->t[j].tp == hst->tp && sa_eq(&q->t[j].addr, &hst->addr[k]);
			if (dup)
				continue;
			q->t[q->nt].tp = hst->tp;
			q->t[q->nt].addr = hst->addr[k];
			q->nt++;
		}
	}
	if (q->nt)
		return 0;
	if (timeout)
		return ETIMEDOUT;
	return err ? err : ENOENT;
}

/* ---------- SRV ---------- */

static void srv_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct sub *s = arg;
	unsigned idx = s->idx;
	struct sip_resolv *q = sub_done(s);
	struct ares_srv_reply *reply = NULL;
	struct sip_srv *v;
	struct srvq *sq;
	size_t n = 0;
	(void)timeouts;

	if (!q)
		return;
	sq = &q->srvq[idx];
	if (status == ARES_SUCCESS)
		status = ares_parse_srv_reply(abuf, alen, &reply);
	sq->err = ares_errno(status);
	v = xmalloc(MAX_SRV_PARSE * sizeof(*v));
	for (struct ares_srv_reply *r = reply; r && n < MAX_SRV_PARSE; r = r->next) {
		/* "." means the service is decidedly not available here */
		if (!r->host || !*r->host || !strcmp(r->host, ".") ||
		    strlen(r->host) > NAME_MAX_LEN)
			continue;
		snprintf(v[n].host, sizeof(v[n].host), "%s", r->host);
		v[n].prio = r->priority;
		v[n].weight = r->weight;
		v[n].port = r->port;
		n++;
	}
	if (reply)
		ares_free_data(reply);
	sip_srv_order(v, n, NULL, NULL);
	if (n > MAX_SRV)
		n = MAX_SRV;
	if (n) {
		sq->v = xrealloc(v, n * sizeof(*v));
	} else {
		free(v);
	}
	sq->n = n;
	log_d("SRV %s: %zu record(s)%s%s", sq->name, n, sq->err ? ", " : "",
	      sq->err ? strerror(sq->err) : "");
	if (!q->pending)
		phase_done(q);
}

static void srv_start(struct sip_resolv *q)
{
	q->phase = PH_SRV;
	q->pending++; /* hold: ares_query may fail on the spot */
	for (size_t i = 0; i < q->nsrvq; i++) {
		struct sub *s = sub_new(q, (unsigned)i);
		log_d("SRV %s", q->srvq[i].name);
		ares_query(chan, q->srvq[i].name, ns_c_in, ns_t_srv, srv_cb, s);
	}
	if (!--q->pending)
		phase_done(q);
}

/* ---------- NAPTR ---------- */

struct naptr {
	enum sip_tp tp;
	uint16_t order, pref;
	unsigned seq;
	const char *repl;
};

static int naptr_cmp(const void *a, const void *b)
{
	const struct naptr *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The transport of a NAPTR service field we can use (RFC 3263 4.1). */
static int naptr_tp(const struct sip_resolv *q, const char *service, enum sip_tp *tp)
{
	if (!strcasecmp(service, "SIPS+D2T"))
		*tp = SIP_TP_TLS;
	else if (q->sips)
		return ENOTSUP; /* a sips URI takes SIPS services only */
	else if (!strcasecmp(service, "SIP+D2U"))
		*tp = SIP_TP_UDP;
	else if (!strcasecmp(service, "SIP+D2T"))
		*tp = SIP_TP_TCP;
	else
		return ENOTSUP;
	return (q->tp_mask & SIP_TP_MASK(*tp)) ? 0 : ENOTSUP;
}

static void naptr_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct sip_resolv *q = sub_done(arg);
	struct ares_naptr_reply *reply = NULL;
	struct naptr v[MAX_NAPTR];
	size_t n = 0;
	(void)timeouts;

	if (!q)
		return;
	if (status == ARES_SUCCESS)
		status = ares_parse_naptr_reply(abuf, alen, &reply);
	q->naptr_err = ares_errno(status);
	for (struct ares_naptr_reply *r = reply; r && n < MAX_NAPTR; r = r->next) {
		enum sip_tp tp;
		/* terminal records with flag "s" only: no regexp, no chains */
		if (!r->flags || strcasecmp((const char *)r->flags, "s") || !r->service ||
		    naptr_tp(q, (const char *)r->service, &tp) || !r->replacement ||
		    !*r->replacement || !strcmp(r->replacement, "."))
			continue;
		v[n].tp = tp;
		v[n].order = r->order;
		v[n].pref = r->preference;
		v[n].seq = (unsigned)n;
		v[n].repl = r->replacement;
		n++;
	}
	qsort(v, n, sizeof(v[0]), naptr_cmp);
	for (size_t i = 0; i < n; i++)
		srvq_add(q, v[i].tp, v[i].repl);
	if (reply)
		ares_free_data(reply);
	log_d("NAPTR %s: %zu usable service(s)%s%s", q->domain, q->nsrvq,
	      q->naptr_err ? ", " : "", q->naptr_err ? strerror(q->naptr_err) : "");
	if (!q->pending)
		phase_done(q);
}

static void naptr_start(struct sip_resolv *q)
{
	struct sub *s;

	q->phase = PH_NAPTR;
	s = sub_new(q, 0);
	log_d("NAPTR %s", q->domain);
	ares_query(chan, q->domain, ns_c_in, ns_t_naptr, naptr_cb, s);
}

/* ---------- phases ---------- */

/* Every lookup of the current phase has answered: on to the next. */
static void phase_done(struct sip_resolv *q)
{
	int err = 0;

	switch (q->phase) {
	case PH_NAPTR:
		if (!q->nsrvq) {
			if (hard_err(q->naptr_err)) {
				finish(q, q->naptr_err);
				return;
			}
			/* no usable NAPTR: SRV for each transport we have */
			srvq_add_default(q, SIP_TP_UDP);
			srvq_add_default(q, SIP_TP_TCP);
			srvq_add_default(q, SIP_TP_TLS);
		}
		srv_start(q);
		return;
	case PH_SRV:
		for (size_t i = 0; i < q->nsrvq; i++) {
			for (size_t k = 0; k < q->srvq[i].n; k++)
				host_add(q, q->srvq[i].tp, q->srvq[i].v[k].host,
					 q->srvq[i].v[k].port);
			if (!q->srvq[i].n && q->srvq[i].err != ENOENT && !err)
				err = q->srvq[i].err;
		}
		if (!q->nhost) {
			/* no SRV: A/AAAA of the domain itself (RFC 3263 4.2) */
			if (hard_err(err)) {
				finish(q, err);
				return;
			}
			host_add(q, q->tp, q->domain, sip_tp_default_port(q->tp));
		}
		addr_start(q);
		return;
	case PH_ADDR:
		finish(q, flatten(q));
		return;
	case PH_DONE:
		return;
	}
}

/* The total deadline: deliver what the address phase has so far, if any. */
static void on_deadline(void *arg)
{
	struct sip_resolv *q = arg;
	int err = ETIMEDOUT;

	if (q->phase == PH_ADDR)
		err = flatten(q);
	log_d("%s: deadline (%u ms)", q->domain, (unsigned)total_ms);
	finish(q, err);
}

/* A host name DNS may look up: letters, digits, '-', '.' (RFC 1123). */
static bool host_ok(const struct pl *h)
{
	size_t label = 0;

	if (!h->l || h->l > NAME_MAX_LEN || h->p[0] == '.' || h->p[h->l - 1] == '.')
		return false;
	for (size_t i = 0; i < h->l; i++) {
		char c = h->p[i];
		if (c == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-') || ++label > 63)
			return false;
	}
	return true;
}

int sip_resolve(struct sip_resolv **qp, const struct sip_uri *uri, unsigned tp_mask,
		unsigned af_mask, sip_resolv_h *h, void *arg)
{
	const unsigned all_tp = SIP_TP_MASK(SIP_TP_UDP) | SIP_TP_MASK(SIP_TP_TCP) |
				SIP_TP_MASK(SIP_TP_TLS);
	struct sip_resolv *q;
	struct pl host, val;
	enum sip_tp tp = SIP_TP_UDP;
	bool forced = false;
	struct sa addr;
	int err;

	if (!uri || !h || !(tp_mask & all_tp) || !(af_mask & (SIP_AF_V4 | SIP_AF_V6)))
		return EINVAL;
	if (uri->scheme != SIP_SCHEME_SIP && uri->scheme != SIP_SCHEME_SIPS)
		return EINVAL;
	host = uri->host;
	if (sip_uri_param(uri, "maddr", &val) == 0 && val.l)
		host = val;
	if (host.l >= 2 && host.p[0] == '[' && host.p[host.l - 1] == ']') {
		host.p++;
		host.l -= 2;
	}
	if (sip_uri_param(uri, "transport", &val) == 0) {
		if (sip_tp_from_name(&val, &tp))
			return EPROTONOSUPPORT;
		if (uri->scheme == SIP_SCHEME_SIPS) {
			if (tp == SIP_TP_UDP)
				return EPROTONOSUPPORT;
			tp = SIP_TP_TLS; /* sips over TCP is TLS */
		}
		if (!(tp_mask & SIP_TP_MASK(tp)))
			return EPROTONOSUPPORT;
		forced = true;
	}

	q = xcalloc(1, sizeof(*q));
	q->h = h;
	q->arg = arg;
	q->tp_mask = tp_mask & all_tp;
	q->sips = uri->scheme == SIP_SCHEME_SIPS;
	q->family = (af_mask & SIP_AF_V4) && (af_mask & SIP_AF_V6) ? AF_UNSPEC :
		    (af_mask & SIP_AF_V6) ? AF_INET6 : AF_INET;
	tmr_init(&q->tmr);
	if (!forced) {
		err = default_tp(q, &tp);
		if (err)
			goto out;
	} else if (q->sips && tp != SIP_TP_TLS) {
		err = EPROTONOSUPPORT;
		goto out;
	}
	q->tp = tp;
	if (host.l > 1 && host.p[host.l - 1] == '.')
		host.l--; /* absolute name; there is no search list anyway */
	pl_strcpy(&host, q->domain, sizeof(q->domain));

	/* numeric host: no DNS at all */
	if (sa_set_pl(&addr, &host, 0) == 0) {
		if ((sa_af(&addr) == AF_INET && !(af_mask & SIP_AF_V4)) ||
		    (sa_af(&addr) == AF_INET6 && !(af_mask & SIP_AF_V6))) {
			err = EAFNOSUPPORT;
			goto out;
		}
		sa_set_port(&addr, uri->port ? uri->port : sip_tp_default_port(tp));
		q->t[0].tp = tp;
		q->t[0].addr = addr;
		q->nt = 1;
		q->phase = PH_DONE;
	} else if (!host_ok(&host)) {
		err = EINVAL;
		goto out;
	}
	if (q->phase != PH_DONE && !chan_ok) {
		err = sip_resolv_init(NULL);
		if (err)
			goto out;
	}

	q->next = live;
	if (live)
		live->prev = q;
	live = q;
	if (qp)
		*qp = q;
	if (q->phase == PH_DONE) {
		finish(q, 0);
		return 0;
	}
	tmr_start(&q->tmr, total_ms, on_deadline, q);
	if (uri->port) {
		/* explicit port: A/AAAA only (RFC 3263 4.2) */
		host_add(q, tp, q->domain, uri->port);
		addr_start(q);
	} else if (forced) {
		srvq_add_default(q, tp);
		srv_start(q);
	} else {
		naptr_start(q);
	}
	chan_rearm();
	return 0;
out:
	free(q);
	return err;
}
