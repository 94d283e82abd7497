/* sip/sip-int.h: private state of the SIP stack, shared by sip.c (receive
 * and dispatch), ctrans.c, strans.c, request.c and reply.c. */
#ifndef SIPTERM_SIP_SIP_INT_H
#define SIPTERM_SIP_SIP_INT_H

#include "hash.h"
#include "list.h"
#include "sip/sip.h"
#include "tmr.h"

struct sip {
	struct sip_cfg cfg;
	char *user_agent;
	struct sip_transport *tp;
	struct hash ct;          /* client transactions by branch */
	struct hash st;          /* server transactions by key */
	struct list ctl, stl;
	sip_req_h *reqh;
	sip_stray_h *strayh;
	void *arg;
	sip_conn_h *connh;
	void *connarg;
	struct list reqs;        /* sip_request objects, for conn failures */
};

/* client transactions (ctrans.c) */
struct sip_ctrans;
typedef void (sip_ctrans_h)(int err, const struct sip_msg *resp, void *arg);
int sip_ctrans_send(struct sip_ctrans **ctp, struct sip *s, struct buf *msg, const char *branch,
		    enum sip_tp tp, const struct sa *dst, struct sip_conn *conn,
		    sip_ctrans_h *h, void *arg);
void sip_ctrans_abandon(struct sip_ctrans *ct);
int sip_ctrans_cancel(struct sip_ctrans *ct, sip_ctrans_h *h, void *arg);
bool sip_ctrans_recv(struct sip *s, const struct sip_msg *resp);
void sip_ctrans_conn_failed(struct sip *s, struct sip_conn *c, int err);
void sip_ctrans_unreachable(struct sip *s, const struct sa *dst, int err);
struct sip_conn *sip_ctrans_conn(const struct sip_ctrans *ct);
void sip_ctrans_close_all(struct sip *s);
unsigned sip_ctrans_pending(const struct sip *s);

/* server transactions (strans.c) */
int sip_strans_new(struct sip_strans **stp, struct sip *s, const struct sip_msg *req,
		   const struct sip_rx *rx);
bool sip_strans_recv(struct sip *s, const struct sip_msg *req, const struct sip_rx *rx);
bool sip_strans_merged(struct sip *s, const struct sip_msg *req);
bool sip_strans_special(struct sip *s, const struct sip_msg *req, const struct sip_rx *rx);
void sip_strans_close_all(struct sip *s);

/* replies (reply.c) */
int sip_reply_build(struct buf *b, struct sip *s, const struct sip_msg *req, const struct sip_rx *rx,
		    uint16_t code, const char *reason, const char *totag, const char *hdrs,
		    const char *ctype, const struct pl *body);
int sip_reply_dest(const struct sip_msg *req, const struct sip_rx *rx, struct sa *dst);
int sip_send_response(struct sip *s, const struct sip_rx *rx, const struct sa *dst,
		      const char *data, size_t len);

/* requests (request.c) */
void sip_request_conn_failed(struct sip *s, struct sip_conn *c, int err);
void sip_request_close_all(struct sip *s);


#endif
