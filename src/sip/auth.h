/* sip/auth.h: digest authentication, client side (RFC 3261 22, RFC 7616,
 * RFC 8760).
 *
 * Three layers: sip_challenge_parse() reads one WWW-Authenticate or
 * Proxy-Authenticate value into slices; sip_auth_response() computes a
 * digest response from plain values; struct sip_auth is the per-account
 * credential cache that REGISTER, INVITE, MESSAGE... use: feed it every
 * 401/407 with sip_auth_challenge(), then let sip_auth_apply() add the
 * Authorization / Proxy-Authorization lines to the retried request.
 *
 * The password and HA1 never reach a log line or an error text, and are
 * wiped from memory when no longer needed. */
#ifndef SIPTERM_SIP_AUTH_H
#define SIPTERM_SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pl.h"
#include "sip/msg.h"

#define SIP_AUTH_MAX_VALUE  1024u  /* realm, nonce, opaque: longer is refused (EINVAL) */
#define SIP_AUTH_MAX_PARAMS 64u    /* auth-params in one challenge */
#define SIP_AUTH_MAX_REALMS 8u     /* realms cached per account */
#define SIP_AUTH_HEX_MAX    65u    /* longest hex digest (SHA-256, SHA-512-256) + NUL */

/* Hash of the algorithm; a "-sess" suffix is the separate sess flag. */
enum sip_auth_alg {
	SIP_AUTH_MD5 = 0,
	SIP_AUTH_SHA256,
	SIP_AUTH_SHA512_256,
	SIP_AUTH_ALG_UNKNOWN,
};

/* One challenge.  Slices point into the parsed value: quoted values
 * without their quotes but with backslash escapes still in place (use
 * sip_unquote() on them), token values as written; unset when absent. */
struct sip_challenge {
	struct pl scheme;          /* as written, e.g. "Digest" */
	bool digest;               /* scheme is Digest (any case) */
	struct pl realm, nonce, opaque, domain, charset;
	struct pl algorithm;       /* as written; absent means MD5 */
	struct pl qop;             /* the list as written, e.g. "auth,auth-int" */
	enum sip_auth_alg alg;
	bool sess;                 /* a "-sess" algorithm */
	bool stale;                /* stale=true (any case) */
	bool userhash;             /* userhash=true (any case) */
	bool qop_auth;             /* qop lists auth */
	bool qop_auth_int;         /* qop lists auth-int */
	bool usable;               /* Digest, known algorithm, and no qop or a qop we do */
};

/* Parse one challenge, the whole value (RFC 3261 25.1: one per header).
 * Returns 0 also for another scheme or an unknown algorithm (then
 * usable is false); EBADMSG when malformed (unterminated or invalid
 * quoted-string, auth-param without '=', a repeated parameter, Digest
 * without realm or nonce, trailing garbage); EINVAL when realm, nonce or
 * opaque exceed SIP_AUTH_MAX_VALUE. */
int sip_challenge_parse(struct sip_challenge *ch, const struct pl *val);
/* The same for values listing several challenges separated by commas
 * (RFC 7235 style): *iter starts as the value and is advanced past one
 * challenge; ENOENT when nothing is left. */
int sip_challenge_parse_next(struct sip_challenge *ch, struct pl *iter);

/* The inputs of one digest computation, all as plain (unescaped) text. */
struct sip_auth_digest {
	enum sip_auth_alg alg;
	bool sess;
	struct pl user;      /* the user name itself, even with userhash */
	struct pl realm;
	struct pl password;
	struct pl nonce;
	struct pl cnonce;    /* needed with qop or sess */
	struct pl qop;       /* "auth", "auth-int", or unset (RFC 2069 form) */
	uint32_t nc;
	struct pl method;
	struct pl uri;
	struct pl body;      /* hashed for auth-int; unset = empty */
};

/* response (RFC 7616 3.4.1) as lowercase hex into out.  EINVAL for an
 * unknown algorithm or a missing cnonce, ENOTSUP when the crypto library
 * refuses the hash (MD5 in FIPS mode). */
int sip_auth_response(const struct sip_auth_digest *d, char out[SIP_AUTH_HEX_MAX]);
/* H(user:realm), the userhash form of the user name (RFC 7616 3.4.4). */
int sip_auth_userhash(enum sip_auth_alg alg, const struct pl *user, const struct pl *realm,
		      char out[SIP_AUTH_HEX_MAX]);
/* "MD5", "SHA-256-sess", ... */
const char *sip_auth_alg_name(enum sip_auth_alg alg, bool sess);

struct sip_auth;                                  /* opaque, per account */

/* Copies user and password; the password is wiped on free. */
struct sip_auth *sip_auth_new(const char *user, const char *password);
void sip_auth_free(struct sip_auth *a);
/* After a 401/407: remember the challenges of resp (WWW-Authenticate and
 * Proxy-Authenticate, several per header allowed).  Per realm the
 * strongest usable one is kept (SHA-512-256 > SHA-256 > MD5; -sess as
 * its base; the first on a tie).
 * retried: the challenged request was itself the retry answering a
 * challenge.  A first attempt is never called rejected, even when it
 * carried credentials cached from other requests of the account: those
 * may be out of date, or the request may have left before the cache
 * filled (a PUBLISH and an INVITE challenged at once); its challenge only
 * refreshes the cache, at the cost of one more round on a wrong password.
 * Returns 0 when a retry with credentials makes sense.  EACCES (only when
 * retried) when the credentials sent for a challenged realm were
 * rejected: same nonce again, or a new nonce without stale=true (wrong
 * password: report "authentication failed" once; the realm is dropped so
 * the next request starts afresh).  stale=true with a new nonce retries
 * without counting as a failure.  When no challenge is usable: EBADMSG if one was
 * malformed, EINVAL if one was oversized, else ENOTSUP.  EINVAL too when
 * resp is not a 401/407 response. */
int sip_auth_challenge(struct sip_auth *a, const struct sip_msg *resp, bool retried);
/* Append "Authorization: Digest ...\r\n" (Proxy-Authorization for proxy
 * realms) for every cached realm to b, for a request with this method,
 * Request-URI text and body (NULL = empty); increments nc per nonce.
 * EINVAL for a method that is not a token or control characters in the
 * user name or URI; ENOSPC from b (sticky there, as buf.h does).  On
 * error nothing is appended and no nc is counted. */
int sip_auth_apply(struct sip_auth *a, struct buf *b, const char *method, const char *uri,
		   const struct pl *body);
/* Forget cached challenges (e.g. new registrar). */
void sip_auth_reset(struct sip_auth *a);
/* New password (wipes the old); challenged realms are kept and may be
 * retried with it without counting as a rejection of the old one. */
int sip_auth_set_password(struct sip_auth *a, const char *password);
/* For tests only: use this cnonce instead of random ones (NULL: random). */
void sip_auth_test_cnonce(struct sip_auth *a, const char *cnonce);

#endif
