/* tests/bench/bench-parse-sofia.c: the parse benchmark of bench-parse.c,
 * run on Sofia-SIP's parser, as a baseline.
 *
 * One iteration = msg_make() + read the decoded fields + msg_destroy().
 * msg_make() is Sofia's own "parse this complete message" entry point: it
 * creates one message object, preloads its memory home with one block
 * sized from the input (the cheapest allocation pattern Sofia has), copies
 * the bytes once and runs msg_extract(), which parses every header the
 * message class knows, eagerly.  Like sip_msg_parse(): one object, one
 * copy, decoded in place, freed per iteration.
 *
 * Work done, compared with sipterm:
 *   default  sip_default_mclass(): Sofia also decodes headers sipterm
 *            keeps as text (Allow, Supported, User-Agent, Server, Event,
 *            Subscription-State, Authorization, ...).  This is what a
 *            Sofia application pays, and the figure run.sh compares with.
 *   -e       "equal work": a message class holding only the headers
 *            sip_msg_parse() decodes eagerly (Via, From, To, Call-ID,
 *            CSeq, Max-Forwards, Contact, Route, Record-Route,
 *            Content-Length, Content-Type, Expires, Date); every other
 *            header is split into name and value only, as sipterm's header
 *            table does.  Printed as parser=sofia-eq.
 *
 * A message with an error (MSG_FLG_ERROR, or any header Sofia put on its
 * list of erroneous headers) counts as a failure, as in bench-parse.
 *
 *   bench-parse-sofia [-e] [-c] [FILE...] */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_mclass.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>

#include "tests/bench/bench.h"

static msg_mclass_t const *mclass;

/* A message class with only the headers sipterm decodes eagerly. */
static msg_mclass_t const *equal_work_mclass(void)
{
	static const char *const names[] = {
		"Via:", "From:", "To:", "Call-ID:", "CSeq:", "Max-Forwards:", "Contact:",
		"Route:", "Record-Route:", "Content-Length:", "Content-Type:", "Expires:",
		"Date:",
	};
	msg_mclass_t const *def = sip_default_mclass();
	msg_mclass_t *mc = msg_mclass_clone(def, 0, msg_mclass_empty);

	if (!mc)
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		isize_t n = 0;
		msg_href_t const *hr = msg_find_hclass(def, names[i], &n);
		if (!hr || hr->hr_class == def->mc_unknown->hr_class ||
		    msg_mclass_insert(mc, hr) < 0) {
			fprintf(stderr, "bench-parse-sofia: cannot add %s to the message class\n",
				names[i]);
			free(mc);
			return NULL;
		}
	}
	return mc;
}

/* Parse with Sofia; NULL and *reason when the message has any error. */
static msg_t *make(const char *data, size_t len, const char **reason)
{
	msg_t *msg = msg_make(mclass, 0, data, (ssize_t)len);
	sip_t *sip;

	if (!msg) {
		*reason = "msg_make() failed";
		return NULL;
	}
	sip = sip_object(msg);
	if (msg_has_error(msg) || !sip || sip->sip_error) {
		*reason = sip && sip->sip_error ? "a header did not parse (sip_error)"
						: "parse error (MSG_FLG_ERROR)";
		msg_destroy(msg);
		return NULL;
	}
	return msg;
}

static uint64_t touch_url(const url_t *u)
{
	return (uint64_t)(unsigned char)(u->url_host ? u->url_host[0] : 0) +
	       (uint64_t)(unsigned char)(u->url_port ? u->url_port[0] : 0) +
	       (uint64_t)u->url_type;
}

static uint64_t touch_addr(const sip_addr_t *a)
{
	return touch_url(a->a_url) + (uint64_t)(unsigned char)(a->a_tag ? a->a_tag[0] : 0);
}

static int parse_sofia(const char *data, size_t len, uint64_t *sink, const char **reason)
{
	msg_t *msg = make(data, len, reason);
	sip_t *sip;
	uint64_t s;

	if (!msg)
		return -1;
	sip = sip_object(msg);
	s = sip->sip_request ? (uint64_t)sip->sip_request->rq_method +
				       touch_url(sip->sip_request->rq_url)
			     : (uint64_t)(sip->sip_status ? sip->sip_status->st_status : 0);
	for (const sip_via_t *v = sip->sip_via; v; v = v->v_next)
		s += (uint64_t)(unsigned char)v->v_host[0] +
		     (uint64_t)(unsigned char)(v->v_port ? v->v_port[0] : 0) +
		     (uint64_t)(unsigned char)(v->v_branch ? v->v_branch[0] : 0) +
		     (uint64_t)(unsigned char)(v->v_received ? v->v_received[0] : 0);
	if (sip->sip_from)
		s += touch_addr(sip->sip_from);
	if (sip->sip_to)
		s += touch_addr(sip->sip_to);
	if (sip->sip_call_id)
		s += (uint64_t)(unsigned char)sip->sip_call_id->i_id[0];
	if (sip->sip_cseq)
		s += sip->sip_cseq->cs_seq + (uint64_t)sip->sip_cseq->cs_method;
	if (sip->sip_max_forwards)
		s += sip->sip_max_forwards->mf_count;
	for (const sip_contact_t *c = sip->sip_contact; c; c = c->m_next)
		s += touch_url(c->m_url);
	for (const sip_route_t *r = sip->sip_route; r; r = r->r_next)
		s += touch_url(r->r_url);
	for (const sip_record_route_t *r = sip->sip_record_route; r; r = r->r_next)
		s += touch_url(r->r_url);
	if (sip->sip_content_length)
		s += sip->sip_content_length->l_length;
	if (sip->sip_payload)
		s += sip->sip_payload->pl_len;
	*sink += s;
	msg_destroy(msg);
	return 0;
}

/* "host" or "host:port" of a URL, appended to a comma list. */
static void list_host(char *buf, size_t size, const char *host, const char *port)
{
	size_t n = strlen(buf);

	if (n >= size - 1)
		return;
	snprintf(buf + n, size - n, "%s%s%s%s", n ? "," : "", host ? host : "",
		 port ? ":" : "", port ? port : "");
}

static void put_routes(FILE *out, const char *key, const sip_route_t *r)
{
	char hosts[1024] = "";

	for (; r; r = r->r_next)
		list_host(hosts, sizeof(hosts), r->r_url->url_host, r->r_url->url_port);
	bench_put(out, key, hosts[0] ? hosts : NULL, strlen(hosts));
}

static int describe_sofia(const char *data, size_t len, FILE *out, const char **reason)
{
	char vias[1024] = "", branches[1024] = "", hosts[1024] = "", num[32];
	msg_t *msg = make(data, len, reason);
	sip_t *sip;

	if (!msg)
		return -1;
	sip = sip_object(msg);
	if (sip->sip_request) {
		bench_put_str(out, "start", sip->sip_request->rq_method_name);
		bench_put_str(out, "ruri_host", sip->sip_request->rq_url->url_host);
	} else {
		snprintf(num, sizeof(num), "%d", sip->sip_status->st_status);
		bench_put_str(out, "start", num);
		bench_put_str(out, "ruri_host", NULL);
	}
	for (const sip_via_t *v = sip->sip_via; v; v = v->v_next) {
		size_t n = strlen(branches);
		list_host(vias, sizeof(vias), v->v_host, v->v_port);
		snprintf(branches + n, sizeof(branches) - n, "%s%s", n ? "," : "",
			 v->v_branch ? v->v_branch : "");
	}
	bench_put_str(out, "via", vias);
	bench_put_str(out, "branch", branches);
	bench_put_str(out, "from_host", sip->sip_from ? sip->sip_from->a_url->url_host : NULL);
	bench_put_str(out, "from_tag", sip->sip_from ? sip->sip_from->a_tag : NULL);
	bench_put_str(out, "to_host", sip->sip_to ? sip->sip_to->a_url->url_host : NULL);
	bench_put_str(out, "to_tag", sip->sip_to ? sip->sip_to->a_tag : NULL);
	bench_put_str(out, "callid", sip->sip_call_id ? sip->sip_call_id->i_id : NULL);
	snprintf(num, sizeof(num), "%u", sip->sip_cseq ? sip->sip_cseq->cs_seq : 0);
	bench_put_str(out, "cseq", num);
	bench_put_str(out, "cseq_method", sip->sip_cseq ? sip->sip_cseq->cs_method_name : NULL);
	if (sip->sip_max_forwards)
		snprintf(num, sizeof(num), "%lu", sip->sip_max_forwards->mf_count);
	bench_put_str(out, "maxfwd", sip->sip_max_forwards ? num : NULL);
	for (const sip_contact_t *c = sip->sip_contact; c; c = c->m_next)
		list_host(hosts, sizeof(hosts), c->m_url->url_host, c->m_url->url_port);
	bench_put(out, "contact", hosts[0] ? hosts : NULL, strlen(hosts));
	put_routes(out, "route", sip->sip_route);
	put_routes(out, "rr", sip->sip_record_route);
	if (sip->sip_content_length)
		snprintf(num, sizeof(num), "%u", sip->sip_content_length->l_length);
	bench_put_str(out, "clen", sip->sip_content_length ? num : NULL);
	snprintf(num, sizeof(num), "%zu", sip->sip_payload ? (size_t)sip->sip_payload->pl_len : 0);
	bench_put_str(out, "body", num);
	msg_destroy(msg);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_parser bp = {
		.name = "sofia",
		.parse = parse_sofia,
		.describe = describe_sofia,
	};

	mclass = sip_default_mclass();
	/* -e must come first; the rest goes to bench_main() */
	if (argc > 1 && strcmp(argv[1], "-e") == 0) {
		mclass = equal_work_mclass();
		if (!mclass)
			return 2;
		bp.name = "sofia-eq";
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	return bench_main(&bp, argc, argv);
}
