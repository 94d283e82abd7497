/* sip/sip.h: the SIP stack: transports, transactions (RFC 3261 17),
 * requests with server location and failover (RFC 3263), replies, and the
 * dispatch of incoming requests to their users (dialogs, registrar-side
 * checks, call, IM and presence modules).
 *
 * Client side: sip_request() resolves the next hop, sends through a client
 * transaction, fails over to the next target on a transport error or a
 * timeout, and reports every response to the caller's handler.
 * Server side: each new request gets a server transaction that absorbs
 * retransmissions; the user answers it with sip_reply(). */
#ifndef SIPTERM_SIP_SIP_H
#define SIPTERM_SIP_SIP_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "sa.h"
#include "sip/msg.h"
#include "sip/tp.h"

struct sip;
struct sip_strans;
struct sip_request;

struct sip_cfg {
	uint32_t t1, t2, t4;         /* RFC 3261 timers in ms: 500, 4000, 5000 */
	const char *user_agent;      /* User-Agent and Server header value */
	struct sip_tp_cfg tp;
};

/* What a client learns of its request: every response (provisional and
 * final), or err (ETIMEDOUT: Timer B/F fired; a transport error; ENOENT:
 * the next hop does not resolve).  No call after the final one. */
typedef void (sip_resp_h)(int err, const struct sip_msg *resp, void *arg);

/* Prints the rest of the request after the Via line (headers, blank
 * line, body) once the transport and our address are known (on each
 * failover attempt again). */
typedef int (sip_print_h)(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg);

/* A new request (not a retransmission).  Return true when handled (the
 * handler replied or will reply to st; st is NULL for ACK). */
typedef bool (sip_req_h)(struct sip *s, struct sip_strans *st, const struct sip_msg *req,
			 const struct sip_rx *rx, void *arg);

/* A CANCEL matched the INVITE of st: answer it (487) if still pending. */
typedef void (sip_cancel_h)(struct sip_strans *st, void *arg);
/* The 2xx to an INVITE was never ACKed (64*T1): the call must end. */
typedef void (sip_ackto_h)(struct sip_strans *st, void *arg);

/* A 2xx to an INVITE that arrived after its client transaction ended
 * (a retransmission: the dialog resends its ACK). */
typedef void (sip_stray_h)(const struct sip_msg *resp, void *arg);

struct sip_req_params {
	const char *method;
	const char *ruri;            /* Request-URI text */
	const char *nexthop;         /* URI to resolve: proxy, first Route, or NULL = ruri */
	enum sip_tp tp;              /* with force_tp: use only this transport */
	bool force_tp;
	struct sip_conn *conn;       /* a flow to reuse (RFC 5626), or NULL */
	sip_print_h *printh;
	void *arg;
	void (*free_arg)(void *arg);  /* the request owns arg (even on error) */
};

void sip_cfg_default(struct sip_cfg *cfg);
int sip_alloc(struct sip **sp, const struct sip_cfg *cfg);
void sip_free(struct sip *s);
void sip_set_handlers(struct sip *s, sip_req_h *reqh, sip_stray_h *strayh, void *arg);
const struct sip_cfg *sip_config(const struct sip *s);
struct sip_transport *sip_transport(struct sip *s);

/* client */
int sip_request(struct sip_request **rp, struct sip *s, const struct sip_req_params *p,
		sip_resp_h *h, void *arg);
int sip_request_cancel(struct sip_request *r);
void sip_request_abandon(struct sip_request *r);
struct sip_conn *sip_request_conn(const struct sip_request *r);
enum sip_tp sip_request_tp(const struct sip_request *r);
void sip_request_target(const struct sip_request *r, enum sip_tp *tp, struct sa *dst);
/* Stream connections that close (flows: registrations re-register). */
void sip_set_conn_handler(struct sip *s, sip_conn_h *h, void *arg);
int sip_send_ack(struct sip *s, const struct sip_req_params *p);

/* server */
int sip_reply(struct sip_strans *st, uint16_t code, const char *reason, const char *hdrs,
	      const char *ctype, const struct pl *body);
int sip_replyf(struct sip_strans *st, uint16_t code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
const char *sip_strans_tag(const struct sip_strans *st);
void sip_strans_set_tag(struct sip_strans *st, const char *tag);
const struct sip_msg *sip_strans_req(const struct sip_strans *st);
const struct sip_rx *sip_strans_rx(const struct sip_strans *st);
void sip_strans_set_handlers(struct sip_strans *st, sip_cancel_h *cancelh, sip_ackto_h *ackto,
			     void *arg);
struct sip_strans *sip_strans_ref(struct sip_strans *st);
void sip_strans_unref(struct sip_strans *st);
bool sip_strans_final_sent(const struct sip_strans *st);
int sip_reply_raw400(struct sip *s, const char *data, size_t len, const char *reason,
		     const struct sip_rx *rx);

/* helpers */
void sip_rand_token(char *out, size_t len);
void sip_print_sentby(struct buf *b, const struct sa *laddr);
int sip_laddr(struct sip *s, enum sip_tp tp, const struct sa *dst, struct sa *laddr);
unsigned sip_strans_count(const struct sip *s);
unsigned sip_ctrans_count(const struct sip *s);
bool sip_busy(const struct sip *s);

#endif
