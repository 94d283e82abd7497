/* tests/bench/bench-parse.c: how many messages a second sip_msg_parse()
 * decodes.  One iteration = parse + read the eagerly decoded fields + free,
 * the same unit of work bench-parse-sofia.c times for Sofia-SIP.
 *
 *   bench-parse [-c] [FILE...]     (see bench.c for the timing loop) */
#include <stdio.h>
#include <string.h>

#include "sip/msg.h"
#include "tests/bench/bench.h"

/* Sum a few bytes of every decoded value: cheap, but the values have to
 * exist, so no decoding can be skipped or optimised away. */
static uint64_t touch_addr(const struct sip_addr *a)
{
	return a->uri.host.l + a->uri.port + a->tag.l + (uint64_t)a->uri.scheme;
}

static int parse_sipterm(const char *data, size_t len, uint64_t *sink, const char **reason)
{
	struct sip_msg *m;
	uint64_t s;

	if (sip_msg_parse(&m, data, len, 0, reason))
		return -1;
	s = m->req ? (uint64_t)m->mid + m->ruri.host.l : m->scode;
	for (const struct sip_via *v = m->via; v; v = v->next)
		s += v->host.l + v->port + v->branch.l + v->received.l;
	s += touch_addr(&m->from) + touch_addr(&m->to);
	s += m->callid.l + m->cseq.num + (uint64_t)m->cseq.mid + m->maxfwd;
	for (const struct sip_addr *a = m->contact; a; a = a->next)
		s += touch_addr(a);
	for (const struct sip_addr *a = m->route; a; a = a->next)
		s += touch_addr(a);
	for (const struct sip_addr *a = m->rroute; a; a = a->next)
		s += touch_addr(a);
	s += m->clen + m->body.l;
	*sink += s;
	sip_msg_free(m);
	return 0;
}

/* "host" or "host:port" of a URI, appended to a comma list. */
static void list_host(char *buf, size_t size, const struct pl *host, unsigned port)
{
	size_t n = strlen(buf);

	if (n >= size - 1)
		return;
	if (port)
		snprintf(buf + n, size - n, "%s%.*s:%u", n ? "," : "", PL_ARG(*host), port);
	else
		snprintf(buf + n, size - n, "%s%.*s", n ? "," : "", PL_ARG(*host));
}

static void put_pl(FILE *out, const char *key, const struct pl *x)
{
	bench_put(out, key, x->p, x->l);
}

static void put_addrs(FILE *out, const char *key, const struct sip_addr *a)
{
	char hosts[1024] = "";

	for (; a; a = a->next)
		list_host(hosts, sizeof(hosts), &a->uri.host, a->uri.port);
	bench_put(out, key, hosts[0] ? hosts : NULL, strlen(hosts));
}

static int describe_sipterm(const char *data, size_t len, FILE *out, const char **reason)
{
	char vias[1024] = "", branches[1024] = "";
	struct sip_msg *m;
	char num[32];

	if (sip_msg_parse(&m, data, len, 0, reason))
		return -1;
	if (m->len != len) {
		*reason = "Content-Length does not cover the whole file";
		sip_msg_free(m);
		return -1;
	}
	if (m->req) {
		put_pl(out, "start", &m->method);
		put_pl(out, "ruri_host", &m->ruri.host);
	} else {
		snprintf(num, sizeof(num), "%u", m->scode);
		bench_put_str(out, "start", num);
		bench_put(out, "ruri_host", NULL, 0);
	}
	for (const struct sip_via *v = m->via; v; v = v->next) {
		size_t n = strlen(branches);
		list_host(vias, sizeof(vias), &v->host, v->port);
		snprintf(branches + n, sizeof(branches) - n, "%s%.*s", n ? "," : "",
			 PL_ARG(v->branch));
	}
	bench_put_str(out, "via", vias);
	bench_put_str(out, "branch", branches);
	put_pl(out, "from_host", &m->from.uri.host);
	put_pl(out, "from_tag", &m->from.tag);
	put_pl(out, "to_host", &m->to.uri.host);
	put_pl(out, "to_tag", &m->to.tag);
	put_pl(out, "callid", &m->callid);
	snprintf(num, sizeof(num), "%u", m->cseq.num);
	bench_put_str(out, "cseq", num);
	put_pl(out, "cseq_method", &m->cseq.method);
	snprintf(num, sizeof(num), "%u", m->maxfwd);
	bench_put_str(out, "maxfwd", m->has_maxfwd ? num : NULL);
	put_addrs(out, "contact", m->contact);
	put_addrs(out, "route", m->route);
	put_addrs(out, "rr", m->rroute);
	snprintf(num, sizeof(num), "%u", m->clen);
	bench_put_str(out, "clen", m->has_clen ? num : NULL);
	snprintf(num, sizeof(num), "%zu", m->body.l);
	bench_put_str(out, "body", num);
	sip_msg_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct bench_parser bp = {
		.name = "sipterm",
		.parse = parse_sipterm,
		.describe = describe_sipterm,
	};
	return bench_main(&bp, argc, argv);
}
