/* sip/tp.h: SIP transports (RFC 3261 18): UDP and TCP sockets on the loop,
 * stream framing, connection reuse, CRLF keep-alives (RFC 5626 3.5.1).
 * TLS slots in later as another stream transport (struct sip_conn has an
 * I/O seam for it). */
#ifndef SIPTERM_SIP_TP_H
#define SIPTERM_SIP_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pl.h"
#include "sa.h"

struct sip_msg;

enum sip_tp {
	SIP_TP_UDP = 0,
	SIP_TP_TCP,
	SIP_TP_TLS,
	SIP_TP_NUM
};

#define SIP_TP_MASK(tp) (1u << (tp))

const char *sip_tp_name(enum sip_tp tp);
int sip_tp_from_name(const struct pl *name, enum sip_tp *tp);
uint16_t sip_tp_default_port(enum sip_tp tp);
bool sip_tp_reliable(enum sip_tp tp);


struct sip_transport;
struct sip_conn;

/* How a message arrived, so that a reply can take the same path. */
struct sip_rx {
	enum sip_tp tp;
	struct sa src;           /* the peer */
	struct sa local;         /* our socket's address */
	struct sip_conn *conn;   /* the stream connection, NULL for UDP */
};

/* A parsed message; the transport frees it after the handler returns
 * (take a reference with sip_msg_ref to keep it). */
typedef void (sip_recv_h)(struct sip_msg *m, const struct sip_rx *rx, void *arg);
/* Bytes that did not parse.  For a request the UA answers 400 with reason. */
typedef void (sip_bad_h)(const char *data, size_t len, const char *reason,
			 const struct sip_rx *rx, void *arg);
/* A stream connection failed or closed; users of it fail over. */
typedef void (sip_conn_h)(struct sip_conn *c, int err, void *arg);
/* A UDP datagram we sent to dst drew an ICMP error that RFC 3261 18.4
 * counts as a failure to send (err: ECONNREFUSED for port unreachable,
 * EHOSTUNREACH, ENETUNREACH, ...); senders to dst fail over. */
typedef void (sip_icmp_h)(const struct sa *dst, int err, void *arg);

#define SIP_TP_MAX_LISTEN 4

struct sip_tp_cfg {
	struct sa listen[SIP_TP_MAX_LISTEN]; /* port 0: ephemeral */
	unsigned nlisten;                    /* 0: any IPv4 and IPv6 */
	bool next_free;                      /* port taken: try the next ones */
	unsigned tp_mask;                    /* SIP_TP_MASK(UDP)|SIP_TP_MASK(TCP) */
	unsigned idle_secs;                  /* close idle stream connections */
	size_t max_conn_buf;                 /* per-connection buffer bound */
};

void sip_tp_cfg_default(struct sip_tp_cfg *cfg);
int sip_tp_alloc(struct sip_transport **tp, const struct sip_tp_cfg *cfg,
		 sip_recv_h *recvh, sip_bad_h *badh, sip_conn_h *connh, void *arg);
void sip_tp_free(struct sip_transport *t);
void sip_tp_set_icmp_handler(struct sip_transport *t, sip_icmp_h *h);
int sip_tp_send(struct sip_transport *t, enum sip_tp tp, const struct sa *dst,
		struct sip_conn *conn, const void *data, size_t len, struct sip_conn **used);
int sip_tp_laddr(struct sip_transport *t, enum sip_tp tp, const struct sa *dst,
		 struct sa *laddr);
uint16_t sip_tp_port(const struct sip_transport *t, enum sip_tp tp, int af);
bool sip_tp_has_af(const struct sip_transport *t, int af);
int sip_tp_listen_addr(const struct sip_transport *t, int af, struct sa *out);
unsigned sip_tp_conn_count(const struct sip_transport *t);

struct sip_conn *sip_conn_ref(struct sip_conn *c);
void sip_conn_unref(struct sip_conn *c);
bool sip_conn_alive(const struct sip_conn *c);
const struct sa *sip_conn_peer(const struct sip_conn *c);
int sip_conn_keepalive(struct sip_conn *c);
void sip_conn_hold(struct sip_conn *c, bool keep);

#endif
