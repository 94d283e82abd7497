/* sip/resolv.h: locating SIP servers (RFC 3263) through c-ares on the
 * engine loop.  A query never blocks and never calls back from inside
 * sip_resolve(): the answer is a list of (transport, address:port) in the
 * order to try, the next entry being the failover for the previous one.
 *
 * Steps for the next hop's URI (maddr, if present, replaces the host):
 *   numeric host        -> one target; transport= param, else UDP (TLS for sips)
 *   explicit port       -> A/AAAA only, same transport choice
 *   transport= param    -> SRV for that transport, else A/AAAA default port
 *   otherwise           -> NAPTR (SIP+D2U, SIP+D2T, SIPS+D2T; order, preference)
 *                          -> SRV of each replacement; no usable NAPTR:
 *                          SRV _sip._udp, _sip._tcp, _sips._tcp; no SRV:
 *                          A/AAAA with 5060/5061 over UDP (TLS for sips)
 * SRV records are ordered by priority, then by RFC 2782 weighted random
 * selection; each target is resolved to A (and AAAA when SIP_AF_V6 is set).
 * Bounds: SIP_RESOLV_MAX_TARGETS results, a fixed NAPTR -> SRV -> A depth
 * (non-terminal NAPTR records are not followed), a total deadline per query
 * (when it passes during the address lookups, what they found so far is
 * delivered; otherwise ETIMEDOUT). */
#ifndef SIPTERM_SIP_RESOLV_H
#define SIPTERM_SIP_RESOLV_H

#include <stddef.h>
#include <stdint.h>

#include "sa.h"
#include "sip/tp.h"

struct sip_uri;

#define SIP_RESOLV_MAX_TARGETS 16u
#define SIP_RESOLV_TIMEOUT_MS  5000u  /* default total deadline per query */

/* af_mask bits */
enum {
	SIP_AF_V4 = 1,
	SIP_AF_V6 = 2,
};

struct sip_target {
	enum sip_tp tp;
	struct sa addr;
};

/* err: 0 with n >= 1 targets; else ENOENT (no such name, no usable
 * records), ETIMEDOUT (deadline passed or no answer), ECONNREFUSED (the DNS
 * server is unusable: ICMP port unreachable, or, with c-ares 1.18, a
 * REFUSED answer on every try), EPROTO (SERVFAIL, malformed answer, ...),
 * EINVAL (a name DNS rejects).  t is valid only during the call. */
typedef void (sip_resolv_h)(int err, const struct sip_target *t, size_t n, void *arg);

/* One running query; the handle is valid until its callback starts or it
 * is cancelled. */
struct sip_resolv;

/* servers: NULL for the system's resolv.conf, or "127.0.0.1:5353,[::1]:53"
 * (the dns_server config key).  EALREADY when already initialised. */
int sip_resolv_init(const char *servers);
/* Outstanding queries are dropped without their callbacks. */
void sip_resolv_close(void);
/* Total deadline for queries started afterwards (0: the default). */
void sip_resolv_set_timeout(uint32_t ms);

/* Resolve where to send a request whose next hop is uri (outbound proxy,
 * first Route, or Request-URI).  tp_mask: SIP_TP_MASK() of the transports we
 * can use; af_mask: SIP_AF_V4 and/or SIP_AF_V6.  *qp (qp may be NULL) gets
 * the handle.  Fails with EINVAL (not a sip/sips URI, bad host, empty
 * masks), EPROTONOSUPPORT (transport= names one we cannot use),
 * EAFNOSUPPORT (numeric host of a family outside af_mask).  Initialises the
 * resolver with the system configuration when a DNS name needs it. */
int sip_resolve(struct sip_resolv **qp, const struct sip_uri *uri, unsigned tp_mask,
		unsigned af_mask, sip_resolv_h *h, void *arg);
/* The callback will not run.  A no-op from inside the query's own callback. */
void sip_resolv_cancel(struct sip_resolv *q);

/* One SRV record; sip_srv_order() is exposed for tests. */
struct sip_srv {
	char host[256];
	uint16_t prio;
	uint16_t weight;
	uint16_t port;
};

/* Uniform 32-bit random numbers (tests pass a fixed sequence). */
typedef uint32_t (sip_rand_h)(void *arg);

/* Sort v into the order to try (RFC 2782): ascending priority, and within
 * one priority a weighted random permutation.  rnd NULL: getrandom(). */
void sip_srv_order(struct sip_srv *v, size_t n, sip_rand_h *rnd, void *arg);

#endif
