/* sip/dialog.h: dialogs (RFC 3261 12): identity (Call-ID and tags), the
 * route set, the remote target, CSeq on both sides, and building
 * in-dialog requests with loose or strict routing. */
#ifndef SIPTERM_SIP_DIALOG_H
#define SIPTERM_SIP_DIALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "sip/msg.h"
#include "sip/sip.h"

#define SIP_DIALOG_MAX_ROUTES 16

struct sip_dialog {
	char *callid;
	char *ltag, *rtag;
	char *luri;          /* our side: the From (UAC) / To (UAS) value without tag */
	char *ruri;          /* the peer's side, without tag */
	char *rtarget;       /* remote target (the peer's Contact URI) */
	char *route[SIP_DIALOG_MAX_ROUTES]; /* route set, as "<uri>" values, in order */
	unsigned nroute;
	uint32_t lseq;       /* our last CSeq */
	uint32_t rseq;       /* the peer's last CSeq */
	bool rseq_set;
	bool early;          /* created from a 1xx */
	bool secure;
};

int sip_dialog_uac(struct sip_dialog **dp, const char *ruri, const struct sip_msg *resp);
int sip_dialog_uas(struct sip_dialog **dp, const struct sip_msg *req, const char *ltag);
void sip_dialog_free(struct sip_dialog *d);
bool sip_dialog_match_req(const struct sip_dialog *d, const struct sip_msg *req);
bool sip_dialog_match_resp(const struct sip_dialog *d, const struct sip_msg *resp);
int sip_dialog_confirm(struct sip_dialog *d, const struct sip_msg *resp);
int sip_dialog_update_target(struct sip_dialog *d, const struct sip_msg *m);
int sip_dialog_check_cseq(struct sip_dialog *d, const struct sip_msg *req);
const char *sip_dialog_ruri(const struct sip_dialog *d);
const char *sip_dialog_nexthop(const struct sip_dialog *d);
int sip_dialog_print(const struct sip_dialog *d, struct buf *b, const char *method, uint32_t cseq);

struct sip_auth;
int sip_dialog_request(struct sip_request **rp, struct sip *s, const struct sip_dialog *d,
		       const char *method, uint32_t cseq, const char *hdrs, const char *ctype,
		       const struct pl *body, struct sip_auth *auth, enum sip_tp tp,
		       sip_resp_h *h, void *arg);

#endif
