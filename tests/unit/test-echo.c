/* test-echo.c: the built-in echo service (src/echo.c) called through the
 * real stack.
 *
 * A second struct sip on 127.0.0.1 plays the caller, with an RTP socket of
 * its own: INVITE with an SDP offer, the 180 and the 200 with the answer,
 * ACK, then RTP packets, each of which must come back unchanged but for
 * SSRC and sequence number.  Then re-INVITE (new answer, hold and resume),
 * OPTIONS, methods the service does not do, BYE; an offerless INVITE (the
 * offer comes in the 200, the answer in the ACK); the same over TCP; and
 * the two ways a call dies on the service's side: no ACK for its 200
 * (64*T1, with T1 at 20 ms) and a silent caller (RTP timeout 600 ms), both
 * ending with a BYE that reaches the caller.  Real time on the real loop,
 * bounded waits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/codec.h"
#include "buf.h"
#include "echo.h"
#include "log.h"
#include "loop.h"
#include "rtp.h"
#include "sdp.h"
#include "sip/dialog.h"
#include "sip/sip.h"
#include "tmr.h"
#include "xmalloc.h"

#define T1_MS 20            /* the service's: no ACK ends a call after 1.28 s */
#define RTP_TIMEOUT_MS 600  /* the service's */
#define MAX_RX 256

/* Pump the loop until cond holds or ms pass. */
#define PUMP_UNTIL(cond, ms) do { \
	uint64_t end_ = tmr_now() + (ms); \
	while (!(cond) && tmr_now() < end_) \
		loop_poll(10); \
} while (0)

static void pump_for(uint64_t ms)
{
	uint64_t end = tmr_now() + ms;
	while (tmr_now() < end)
		loop_poll((int64_t)(end - tmr_now()));
}

/* ---------- the caller ---------- */

struct rx_pkt {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts, ssrc;
	uint8_t payload[200];
	size_t len;
};

/* One request's fate. */
struct txn {
	uint16_t codes[8];
	unsigned ncodes;
	struct sip_msg *final;
	int err;
	bool done;
};

struct tcall {
	char uri[112];
	char callid[32], ltag[16];
	uint32_t cseq;
	enum sip_tp tp;
	struct rtp_sock *rtp;
	struct sdp_local local;
	struct sdp_neg neg;
	struct sip_dialog *dlg;
	struct rx_pkt rx[MAX_RX];
	unsigned nrx;
};

static struct {
	struct sip *sip;
	uint16_t port;
	char echo_uri[80];
	/* requests the service sent us */
	unsigned nbye;
	char bye_callid[32];
	char bye_reason[128];
} C;

static const struct sdp_codec pcmu_pcma[] = {
	{ "PCMU", 8000, 1, 0, NULL },
	{ "PCMA", 8000, 1, 8, NULL },
};

static bool client_req(struct sip *s, struct sip_strans *st, const struct sip_msg *req,
		       const struct sip_rx *rx, void *arg)
{
	(void)s;
	(void)rx;
	(void)arg;
	if (!st)
		return true;
	if (req->mid == SIP_M_BYE) {
		const struct sip_hdr *h = sip_msg_hdr_by_name(req, "Reason");
		C.nbye++;
		pl_strcpy(&req->callid, C.bye_callid, sizeof(C.bye_callid));
		C.bye_reason[0] = '\0';
		if (h)
			pl_strcpy(&h->val, C.bye_reason, sizeof(C.bye_reason));
		sip_reply(st, 200, NULL, NULL, NULL, NULL);
		return true;
	}
	sip_reply(st, 405, NULL, NULL, NULL, NULL);
	return true;
}

static void client_stray(const struct sip_msg *resp, void *arg)
{
	(void)resp;
	(void)arg;
}

static void on_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct txn *t = arg;

	if (err) {
		t->err = err;
		t->done = true;
		return;
	}
	if (t->ncodes < 8)
		t->codes[t->ncodes++] = resp->scode;
	if (resp->scode >= 200) {
		t->final = sip_msg_ref((struct sip_msg *)resp);
		t->done = true;
	}
}

static void txn_clear(struct txn *t)
{
	sip_msg_free(t->final);
	memset(t, 0, sizeof(*t));
}

static void on_rx(const struct rtp_pkt *pkt, uint64_t arrival_ms, void *arg)
{
	struct tcall *c = arg;
	struct rx_pkt *r;
	(void)arrival_ms;

	if (c->nrx >= MAX_RX || pkt->payload_len > sizeof(r->payload))
		return;
	r = &c->rx[c->nrx++];
	r->pt = pkt->hdr.pt;
	r->marker = pkt->hdr.marker;
	r->seq = pkt->hdr.seq;
	r->ts = pkt->hdr.ts;
	r->ssrc = pkt->hdr.ssrc;
	memcpy(r->payload, pkt->payload, pkt->payload_len);
	r->len = pkt->payload_len;
}

static int print_text(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	(void)tp;
	(void)laddr;
	return buf_puts(b, arg);
}

static void tcall_init(struct tcall *c, enum sip_tp tp)
{
	struct rtp_sock_cfg rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->uri, sizeof(c->uri), "%s%s", C.echo_uri,
		 tp == SIP_TP_TCP ? ";transport=tcp" : "");
	sip_rand_token(c->callid, 20);
	sip_rand_token(c->ltag, 8);
	c->cseq = 1;
	c->tp = tp;
	rtp_sock_cfg_init(&rc);
	sa_set(&rc.laddr, "127.0.0.1", 0);
	assert_int_equal(rtp_sock_alloc(&c->rtp, &rc, on_rx, NULL, NULL, c), 0);
	c->local.user = "tester";
	c->local.sess_id = 42;
	c->local.sess_version = 1;
	c->local.addr = *rtp_sock_local(c->rtp);
	c->local.rtcp_port = sa_port(rtp_sock_local_rtcp(c->rtp));
	c->local.codecs = pcmu_pcma;
	c->local.ncodecs = 2;
	c->local.te_pt = 101;
}

static void tcall_free(struct tcall *c)
{
	rtp_sock_close(c->rtp);
	sip_dialog_free(c->dlg);
	c->rtp = NULL;
	c->dlg = NULL;
}

static void contact(struct buf *b, enum sip_tp tp)
{
	buf_printf(b, "Contact: <sip:tester@127.0.0.1:%u%s>\r\n", C.port,
		   tp == SIP_TP_TCP ? ";transport=tcp" : "");
}

static void body(struct buf *b, const struct buf *sdp)
{
	if (sdp && sdp->len)
		buf_printf(b, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
			   sdp->len, buf_cstr((struct buf *)sdp));
	else
		buf_puts(b, "Content-Length: 0\r\n\r\n");
}

static void send_text(struct tcall *c, const char *method, const char *ruri, char *text,
		      struct txn *t)
{
	struct sip_req_params p;

	memset(&p, 0, sizeof(p));
	p.method = method;
	p.ruri = ruri;
	if (c && c->tp == SIP_TP_TCP) {
		p.tp = SIP_TP_TCP;
		p.force_tp = true;
	}
	p.printh = print_text;
	p.arg = text;
	p.free_arg = free;
	if (!strcmp(method, "ACK"))
		assert_int_equal(sip_send_ack(C.sip, &p), 0);
	else
		assert_int_equal(sip_request(NULL, C.sip, &p, on_resp, t), 0);
}

/* A request outside any dialog (INVITE, OPTIONS, ...), with an offer or
 * not, and extra header lines. */
static void send_out_of_dialog(struct tcall *c, const char *method, bool offer,
			       const char *extra, struct txn *t)
{
	struct buf b, sdp;

	buf_init(&b, SIP_MAX_MSG_SIZE);
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	if (offer)
		assert_int_equal(sdp_offer(&sdp, &c->local), 0);
	buf_printf(&b, "To: <%s>\r\nFrom: <sip:tester@127.0.0.1>;tag=%s\r\nCall-ID: %s\r\n"
		   "CSeq: %u %s\r\nMax-Forwards: 70\r\n", C.echo_uri, c->ltag, c->callid, c->cseq,
		   method);
	contact(&b, c->tp);
	if (extra)
		buf_puts(&b, extra);
	body(&b, &sdp);
	buf_free(&sdp);
	assert_int_equal(b.err, 0);
	send_text(c, method, c->uri, b.p, t);
}

static void send_in_dialog(struct tcall *c, const char *method, uint32_t cseq,
			   const struct buf *sdp, struct txn *t)
{
	struct buf b;

	buf_init(&b, SIP_MAX_MSG_SIZE);
	assert_int_equal(sip_dialog_print(c->dlg, &b, method, cseq), 0);
	if (!strcmp(method, "INVITE"))
		contact(&b, c->tp);
	body(&b, sdp);
	assert_int_equal(b.err, 0);
	send_text(c, method, sip_dialog_ruri(c->dlg), b.p, t);
}

static bool body_has(const struct sip_msg *m, const char *s)
{
	return memmem(m->body.p, m->body.l, s, strlen(s)) != NULL;
}

/* The 2xx's SDP: the answer to our offer (offer true) or an offer we
 * answer, printed into ans. */
static void take_sdp(struct tcall *c, const struct sip_msg *m, bool offer, struct buf *ans)
{
	struct sdp_session *s = xmalloc(sizeof(*s));
	const char *why = NULL;

	assert_true(m->body.l > 0);
	assert_int_equal(sdp_parse(s, m->body.p, m->body.l, &why), 0);
	if (offer)
		assert_int_equal(sdp_process_answer(&c->neg, s, &c->local), 0);
	else
		assert_int_equal(sdp_answer(ans, &c->neg, s, &c->local), 0);
	free(s);
	assert_int_equal(rtp_sock_set_remote(c->rtp, &c->neg.remote_rtp, &c->neg.remote_rtcp), 0);
}

/* INVITE -> 180, 200 -> dialog, media, ACK. */
static void call_up(struct tcall *c, bool offer)
{
	struct txn t = { 0 };
	struct buf ans;

	send_out_of_dialog(c, "INVITE", offer, NULL, &t);
	PUMP_UNTIL(t.done, 3000);
	assert_true(t.done);
	assert_int_equal(t.err, 0);
	assert_non_null(t.final);
	assert_int_equal(t.final->scode, 200);
	/* 100 (from the transaction) may come or not over a fast loopback */
	assert_true(t.ncodes >= 2);
	assert_int_equal(t.codes[t.ncodes - 2], 180);
	assert_non_null(t.final->contact);
	assert_int_equal(sip_dialog_uac(&c->dlg, c->uri, t.final), 0);
	buf_init(&ans, SIP_MAX_MSG_SIZE);
	take_sdp(c, t.final, offer, &ans);
	send_in_dialog(c, "ACK", c->cseq, offer ? NULL : &ans, NULL);
	buf_free(&ans);
	txn_clear(&t);
}

static void send_rtp(struct tcall *c, unsigned i, uint8_t pt)
{
	uint8_t payload[160];

	for (size_t k = 0; k < sizeof(payload); k++)
		payload[k] = (uint8_t)(i * 7 + k);
	assert_int_equal(rtp_sock_send(c->rtp, pt, i == 0, i * 160, payload, sizeof(payload)), 0);
}

/* n packets out, each must come back as sent but for SSRC and sequence. */
static void check_echo(struct tcall *c, unsigned n, unsigned first)
{
	uint32_t off = rtp_sock_ts_offset(c->rtp);

	c->nrx = 0;
	for (unsigned i = 0; i < n; i++) {
		send_rtp(c, first + i, c->neg.pt_send);
		loop_poll(0);
	}
	PUMP_UNTIL(c->nrx >= n, 2000);
	assert_int_equal(c->nrx, n);
	for (unsigned i = 0; i < n; i++) {
		const struct rx_pkt *r = &c->rx[i];
		unsigned k = first + i;
		assert_int_equal(r->pt, c->neg.pt_send);
		assert_int_equal(r->marker, k == 0);
		assert_int_equal(r->ts, off + k * 160);
		assert_int_equal(r->len, 160);
		for (size_t j = 0; j < r->len; j++)
			assert_int_equal(r->payload[j], (uint8_t)(k * 7 + j));
		assert_int_not_equal(r->ssrc, rtp_sock_ssrc(c->rtp));
		if (i)
			assert_int_equal((uint16_t)(r->seq - c->rx[i - 1].seq), 1);
	}
}

/* A request in the dialog and its final status. */
static uint16_t in_dialog(struct tcall *c, const char *method, const struct buf *sdp,
			  struct txn *t)
{
	send_in_dialog(c, method, ++c->cseq, sdp, t);
	PUMP_UNTIL(t->done, 3000);
	assert_true(t->done);
	assert_int_equal(t->err, 0);
	return t->final->scode;
}

/* ---------- fixture ---------- */

static int setup(void **state)
{
	struct sip_cfg cfg;
	(void)state;

	if (loop_init())
		return -1;
	memset(&C, 0, sizeof(C));
	echo_service_set_timers(T1_MS, RTP_TIMEOUT_MS);
	if (echo_service_uri(C.echo_uri, sizeof(C.echo_uri)))
		return -1;
	sip_cfg_default(&cfg);
	sa_set(&cfg.tp.listen[0], "127.0.0.1", 0);
	cfg.tp.nlisten = 1;
	if (sip_alloc(&C.sip, &cfg))
		return -1;
	sip_set_handlers(C.sip, client_req, client_stray, NULL);
	C.port = sip_tp_port(sip_transport(C.sip), SIP_TP_UDP, AF_INET);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sip_free(C.sip);
	echo_service_stop();
	loop_poll(0);
	loop_close();
	return 0;
}

/* ---------- cases ---------- */

static void test_uri(void **state)
{
	char small[8], again[80];
	unsigned port;
	(void)state;

	assert_int_equal(sscanf(C.echo_uri, "sip:echo@127.0.0.1:%u", &port), 1);
	assert_true(port > 0 && port < 65536);
	/* started once: the same URI again */
	assert_int_equal(echo_service_uri(again, sizeof(again)), 0);
	assert_string_equal(again, C.echo_uri);
	assert_int_equal(echo_service_uri(small, sizeof(small)), ENOSPC);
	assert_int_equal(echo_service_calls(), 0);
}

static void test_call_udp(void **state)
{
	struct tcall c;
	struct txn t = { 0 };
	struct buf sdp;
	(void)state;

	tcall_init(&c, SIP_TP_UDP);
	call_up(&c, true);
	assert_string_equal(c.neg.codec, "PCMU");
	assert_int_equal(c.neg.te_pt_send, 101);
	assert_int_equal(echo_service_calls(), 1);
	check_echo(&c, 50, 0);

	/* telephone-events come back too */
	{
		uint8_t ev[4] = { 5, 0x80 | 10, 0, 160 };
		c.nrx = 0;
		assert_int_equal(rtp_sock_send(c.rtp, 101, true, 50 * 160, ev, 4), 0);
		PUMP_UNTIL(c.nrx >= 1, 2000);
		assert_int_equal(c.nrx, 1);
		assert_int_equal(c.rx[0].pt, 101);
		assert_true(c.rx[0].marker);
		assert_memory_equal(c.rx[0].payload, ev, 4);
	}

	/* re-INVITE: a new answer, a higher session version */
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	c.local.sess_version++;
	assert_int_equal(sdp_offer(&sdp, &c.local), 0);
	assert_int_equal(in_dialog(&c, "INVITE", &sdp, &t), 200);
	assert_true(body_has(t.final, "o=echo "));
	send_in_dialog(&c, "ACK", c.cseq, NULL, NULL);
	txn_clear(&t);
	buf_free(&sdp);
	check_echo(&c, 10, 60);

	/* on hold (we only send): nothing comes back; resumed: echo again */
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	c.local.sess_version++;
	c.local.dir = SDP_DIR_SENDONLY;
	assert_int_equal(sdp_offer(&sdp, &c.local), 0);
	assert_int_equal(in_dialog(&c, "INVITE", &sdp, &t), 200);
	assert_true(body_has(t.final, "a=recvonly"));
	send_in_dialog(&c, "ACK", c.cseq, NULL, NULL);
	txn_clear(&t);
	buf_free(&sdp);
	c.nrx = 0;
	for (unsigned i = 0; i < 5; i++)
		send_rtp(&c, 80 + i, 0);
	pump_for(200);
	assert_int_equal(c.nrx, 0);
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	c.local.sess_version++;
	c.local.dir = SDP_DIR_SENDRECV;
	assert_int_equal(sdp_offer(&sdp, &c.local), 0);
	assert_int_equal(in_dialog(&c, "INVITE", &sdp, &t), 200);
	send_in_dialog(&c, "ACK", c.cseq, NULL, NULL);
	txn_clear(&t);
	buf_free(&sdp);
	check_echo(&c, 10, 90);

	/* OPTIONS in the dialog; INFO is not done here */
	assert_int_equal(in_dialog(&c, "OPTIONS", NULL, &t), 200);
	txn_clear(&t);
	assert_int_equal(in_dialog(&c, "INFO", NULL, &t), 405);
	txn_clear(&t);

	/* BYE ends it: no call left, nothing echoed any more */
	assert_int_equal(in_dialog(&c, "BYE", NULL, &t), 200);
	txn_clear(&t);
	loop_poll(0);
	assert_int_equal(echo_service_calls(), 0);
	c.nrx = 0;
	send_rtp(&c, 100, 0);
	pump_for(100);
	assert_int_equal(c.nrx, 0);
	/* the dialog is gone: 481 */
	assert_int_equal(in_dialog(&c, "BYE", NULL, &t), 481);
	txn_clear(&t);
	assert_int_equal(C.nbye, 0);
	tcall_free(&c);
}

/* The offer in the 200, the answer in the ACK. */
static void test_call_no_offer(void **state)
{
	struct tcall c;
	struct txn t = { 0 };
	(void)state;

	tcall_init(&c, SIP_TP_UDP);
	call_up(&c, false);
	check_echo(&c, 20, 0);
	/* an offerless re-INVITE: an offer again, answered in the ACK */
	{
		struct buf ans;
		assert_int_equal(in_dialog(&c, "INVITE", NULL, &t), 200);
		buf_init(&ans, SIP_MAX_MSG_SIZE);
		take_sdp(&c, t.final, false, &ans);
		send_in_dialog(&c, "ACK", c.cseq, &ans, NULL);
		buf_free(&ans);
		txn_clear(&t);
	}
	check_echo(&c, 10, 30);
	assert_int_equal(in_dialog(&c, "BYE", NULL, &t), 200);
	txn_clear(&t);
	tcall_free(&c);
}

/* Signalling over TCP; the caller goes silent and the service hangs up
 * with a BYE over TCP. */
static void test_call_tcp_silence(void **state)
{
	struct tcall c;
	uint64_t t0;
	(void)state;

	tcall_init(&c, SIP_TP_TCP);
	call_up(&c, true);
	check_echo(&c, 10, 0);
	t0 = tmr_now();
	PUMP_UNTIL(C.nbye > 0, 3000);
	assert_int_equal(C.nbye, 1);
	print_message("# silent caller: BYE after %llu ms (limit %u ms): %s\n",
		      (unsigned long long)(tmr_now() - t0), RTP_TIMEOUT_MS, C.bye_reason);
	assert_true(tmr_now() - t0 >= RTP_TIMEOUT_MS - 50);
	assert_string_equal(C.bye_callid, c.callid);
	assert_non_null(strstr(C.bye_reason, "no RTP"));
	loop_poll(0);
	assert_int_equal(echo_service_calls(), 0);
	tcall_free(&c);
}

/* Held with a=inactive, the silence is expected: the call stays. */
static void test_inactive_is_not_silence(void **state)
{
	struct tcall c;
	struct txn t = { 0 };
	struct buf sdp;
	(void)state;

	tcall_init(&c, SIP_TP_UDP);
	call_up(&c, true);
	buf_init(&sdp, SIP_MAX_MSG_SIZE);
	c.local.sess_version++;
	c.local.dir = SDP_DIR_INACTIVE;
	assert_int_equal(sdp_offer(&sdp, &c.local), 0);
	assert_int_equal(in_dialog(&c, "INVITE", &sdp, &t), 200);
	assert_true(body_has(t.final, "a=inactive"));
	send_in_dialog(&c, "ACK", c.cseq, NULL, NULL);
	txn_clear(&t);
	buf_free(&sdp);
	pump_for(RTP_TIMEOUT_MS * 2);
	assert_int_equal(C.nbye, 0);
	assert_int_equal(echo_service_calls(), 1);
	assert_int_equal(in_dialog(&c, "BYE", NULL, &t), 200);
	txn_clear(&t);
	tcall_free(&c);
}

/* The 200 is never ACKed: after 64*T1 the service sends BYE. */
static void test_no_ack(void **state)
{
	struct tcall c;
	struct txn t = { 0 };
	uint64_t t0;
	(void)state;

	tcall_init(&c, SIP_TP_UDP);
	send_out_of_dialog(&c, "INVITE", true, NULL, &t);
	PUMP_UNTIL(t.done, 3000);
	assert_non_null(t.final);
	assert_int_equal(t.final->scode, 200);
	take_sdp(&c, t.final, true, NULL);
	txn_clear(&t);
	t0 = tmr_now();
	/* keep RTP flowing (and echoed) so that only the missing ACK can end it */
	for (unsigned i = 0; !C.nbye && tmr_now() - t0 < 4000; i++) {
		send_rtp(&c, i, 0);
		pump_for(20);
	}
	assert_true(c.nrx > 10);
	assert_int_equal(C.nbye, 1);
	print_message("# no ACK: BYE after %llu ms (64*T1 = %u ms): %s\n",
		      (unsigned long long)(tmr_now() - t0), 64 * T1_MS, C.bye_reason);
	assert_true(tmr_now() - t0 >= 64 * T1_MS - 100);
	assert_non_null(strstr(C.bye_reason, "no ACK"));
	loop_poll(0);
	assert_int_equal(echo_service_calls(), 0);
	tcall_free(&c);
}

/* OPTIONS 200; what it does not do: 405 or 501; no common codec 488;
 * a required extension 420; at most ECHO_MAX_CALLS calls. */
static void test_other_requests(void **state)
{
	static const struct sdp_codec foo[] = { { "FOO", 8000, 1, 96, NULL } };
	struct tcall c;
	struct txn t = { 0 };
	(void)state;

	tcall_init(&c, SIP_TP_UDP);
	send_out_of_dialog(&c, "OPTIONS", false, NULL, &t);
	PUMP_UNTIL(t.done, 3000);
	assert_int_equal(t.final->scode, 200);
	assert_non_null(sip_msg_hdr(t.final, SIP_H_ALLOW));
	txn_clear(&t);

	c.cseq++;
	send_out_of_dialog(&c, "REGISTER", false, NULL, &t);
	PUMP_UNTIL(t.done, 3000);
	assert_int_equal(t.final->scode, 405);
	txn_clear(&t);

	c.cseq++;
	send_out_of_dialog(&c, "FOO", false, NULL, &t);
	PUMP_UNTIL(t.done, 3000);
	assert_int_equal(t.final->scode, 501);
	txn_clear(&t);

	c.cseq++;
	send_out_of_dialog(&c, "INVITE", true, "Require: 100rel\r\n", &t);
	PUMP_UNTIL(t.done, 3000);
	assert_int_equal(t.final->scode, 420);
	assert_non_null(sip_msg_hdr(t.final, SIP_H_UNSUPPORTED));
	txn_clear(&t);

	c.cseq++;
	c.local.codecs = foo;
	c.local.ncodecs = 1;
	send_out_of_dialog(&c, "INVITE", true, NULL, &t);
	PUMP_UNTIL(t.done, 3000);
	assert_int_equal(t.final->scode, 488);
	txn_clear(&t);
	assert_int_equal(echo_service_calls(), 0);
	tcall_free(&c);

	{
		struct tcall *many = calloc(ECHO_MAX_CALLS + 1, sizeof(*many));
		assert_non_null(many);
		for (unsigned i = 0; i < ECHO_MAX_CALLS; i++) {
			tcall_init(&many[i], SIP_TP_UDP);
			call_up(&many[i], true);
		}
		assert_int_equal(echo_service_calls(), ECHO_MAX_CALLS);
		/* every call echoes its own packets */
		check_echo(&many[0], 3, 0);
		check_echo(&many[ECHO_MAX_CALLS - 1], 3, 0);
		tcall_init(&many[ECHO_MAX_CALLS], SIP_TP_UDP);
		send_out_of_dialog(&many[ECHO_MAX_CALLS], "INVITE", true, NULL, &t);
		PUMP_UNTIL(t.done, 3000);
		assert_int_equal(t.final->scode, 486);
		txn_clear(&t);
		for (unsigned i = 0; i < ECHO_MAX_CALLS; i++) {
			assert_int_equal(in_dialog(&many[i], "BYE", NULL, &t), 200);
			txn_clear(&t);
		}
		loop_poll(0);
		assert_int_equal(echo_service_calls(), 0);
		for (unsigned i = 0; i <= ECHO_MAX_CALLS; i++)
			tcall_free(&many[i]);
		free(many);
	}
}

/* Stopped with a call up, and started again on another port. */
static void test_stop_restart(void **state)
{
	struct tcall c;
	char uri[80];
	(void)state;

	tcall_init(&c, SIP_TP_UDP);
	call_up(&c, true);
	assert_int_equal(echo_service_calls(), 1);
	echo_service_stop();
	loop_poll(0);
	assert_int_equal(echo_service_calls(), 0);
	echo_service_stop(); /* twice is fine */
	assert_int_equal(echo_service_uri(uri, sizeof(uri)), 0);
	assert_int_equal(strncmp(uri, "sip:echo@127.0.0.1:", 19), 0);
	snprintf(C.echo_uri, sizeof(C.echo_uri), "%s", uri);
	tcall_free(&c);
	tcall_init(&c, SIP_TP_UDP);
	call_up(&c, true);
	check_echo(&c, 5, 0);
	tcall_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uri, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_no_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_tcp_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inactive_is_not_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_restart, setup, teardown),
	};
	log_set_stderr(getenv("ECHO_LOG") != NULL);
	if (getenv("ECHO_LOG"))
		log_set_level(LOG_LVL_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
