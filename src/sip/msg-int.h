/* sip/msg-int.h: private helpers shared by the SIP message parser files. */
#ifndef SIPTERM_SIP_MSG_INT_H
#define SIPTERM_SIP_MSG_INT_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sip/msg.h"

enum {
	CC_TOKEN = 0x0001,
	CC_WS = 0x0002,
	CC_HOST = 0x0004,
	CC_WORD = 0x0008,
	CC_USER = 0x0010,
	CC_PASS = 0x0020,
	CC_PARAM = 0x0040,
	CC_HNV = 0x0080,
	CC_DIGIT = 0x0100,
	CC_HEX = 0x0200,
	CC_SCHEME = 0x0400,
	CC_PVAL = 0x0800,
	CC_URIC = 0x1000,
};

extern const uint16_t sip_cc[256];

static inline int cc_is(char c, unsigned cls)
{
	return sip_cc[(unsigned char)c] & cls;
}

/* Advance p while chars are in cls; returns the new position.  This loop
 * is where most parse time goes (every token, host and value), so it is
 * unrolled by four: one bounds check per four bytes. */
static inline const char *cc_span(const char *p, const char *e, unsigned cls)
{
	while (e - p >= 4) {
		if (!(sip_cc[(unsigned char)p[0]] & cls))
			return p;
		if (!(sip_cc[(unsigned char)p[1]] & cls))
			return p + 1;
		if (!(sip_cc[(unsigned char)p[2]] & cls))
			return p + 2;
		if (!(sip_cc[(unsigned char)p[3]] & cls))
			return p + 3;
		p += 4;
	}
	while (p < e && (sip_cc[(unsigned char)*p] & cls))
		p++;
	return p;
}

/* LWS inside one (unfolded) value is SP and HT only. */
static inline const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static inline struct pl pl_span(const char *a, const char *b)
{
	struct pl x = { a, (size_t)(b - a) };
	return x;
}

/* Unaligned loads for the word-at-a-time compare below (memcpy becomes
 * one mov on the targets we build for). */
static inline uint64_t load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t load32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t load16(const char *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* ASCII case-insensitive s[0..n) == ref[0..n), where ref holds only
 * letters, digits and '-' (header, parameter and scheme names).  Bit 0x40
 * marks a letter in ref, so (ref & 0x40) >> 1 is the 0x20 case bit exactly
 * where folding is allowed: no false match on '-' vs CR and the like.
 * Cost: a few instructions per 8 bytes, no call; loads stay inside both
 * texts (overlapping loads for the tail). */
static inline bool fold_eq(const char *s, const char *ref, size_t n)
{
	if (n >= 8) {
		const uint64_t m8 = 0x4040404040404040ull;
		size_t i = 0;
		for (;;) {
			uint64_t r, m;
			if (i + 8 > n)
				i = n - 8;
			r = load64(ref + i);
			m = (r & m8) >> 1;
			if ((load64(s + i) | m) != (r | m))
				return false;
			if (i + 8 == n)
				return true;
			i += 8;
		}
	}
	if (n >= 4) {
		uint32_t r1 = load32(ref), r2 = load32(ref + n - 4);
		uint32_t m1 = (r1 & 0x40404040u) >> 1, m2 = (r2 & 0x40404040u) >> 1;
		return (load32(s) | m1) == (r1 | m1) && (load32(s + n - 4) | m2) == (r2 | m2);
	}
	if (n >= 2) {
		uint16_t r1 = load16(ref), r2 = load16(ref + n - 2);
		uint16_t m1 = (uint16_t)((r1 & 0x4040u) >> 1), m2 = (uint16_t)((r2 & 0x4040u) >> 1);
		return (uint16_t)(load16(s) | m1) == (uint16_t)(r1 | m1) &&
		       (uint16_t)(load16(s + n - 2) | m2) == (uint16_t)(r2 | m2);
	}
	if (n == 1) {
		unsigned char m = (unsigned char)((ref[0] & 0x40) >> 1);
		return ((unsigned char)s[0] | m) == ((unsigned char)ref[0] | m);
	}
	return true;
}

/* fold_eq() against a literal, lengths compared first; n folds to a constant. */
#define FOLD_EQ_LIT(p, l, lit) ((l) == sizeof(lit) - 1 && fold_eq((p), (lit), sizeof(lit) - 1))

/* pl_u32() without the call, for the numbers of every message (CSeq,
 * Max-Forwards, Content-Length): 1*DIGIT up to UINT32_MAX, leading zeros
 * allowed; non-zero (not always the same errno as pl_u32) when not. */
static inline int dec_u32(const struct pl *x, uint32_t *out)
{
	uint64_t v = 0;

	if (!x->l)
		return EINVAL;
	for (size_t i = 0; i < x->l; i++) {
		unsigned d = (unsigned char)x->p[i] - '0';
		if (d > 9)
			return EINVAL;
		v = v * 10 + d;
		if (v > UINT32_MAX)
			return ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Header parameters the parser acts on, recognised in one pass. */
enum sip_pname {
	SIP_P_OTHER = 0,
	SIP_P_BRANCH,
	SIP_P_RECEIVED,
	SIP_P_RPORT,
	SIP_P_MADDR,
	SIP_P_TTL,
	SIP_P_TAG,
	SIP_P_EXPIRES,
	SIP_P_Q,
};

/* Which of those a parameter name is: a switch on the length, then at
 * most two word compares. */
static inline enum sip_pname sip_pname_id(const struct pl *name)
{
	const char *p = name->p;

	switch (name->l) {
	case 1:
		return fold_eq(p, "q", 1) ? SIP_P_Q : SIP_P_OTHER;
	case 3:
		if (fold_eq(p, "tag", 3))
			return SIP_P_TAG;
		return fold_eq(p, "ttl", 3) ? SIP_P_TTL : SIP_P_OTHER;
	case 5:
		if (fold_eq(p, "rport", 5))
			return SIP_P_RPORT;
		return fold_eq(p, "maddr", 5) ? SIP_P_MADDR : SIP_P_OTHER;
	case 6:
		return fold_eq(p, "branch", 6) ? SIP_P_BRANCH : SIP_P_OTHER;
	case 7:
		return fold_eq(p, "expires", 7) ? SIP_P_EXPIRES : SIP_P_OTHER;
	case 8:
		return fold_eq(p, "received", 8) ? SIP_P_RECEIVED : SIP_P_OTHER;
	default:
		return SIP_P_OTHER;
	}
}

/* Parse 1..5 digits as a port number (1..65535; 0 allowed only if zero_ok). */
int sip_parse_port(const char *p, const char *e, uint16_t *port);
/* Host: "[v6]" or a hostname/IPv4.  Sets host (without brackets) and v6. */
const char *sip_parse_host(const char *p, const char *e, struct pl *host, bool *v6);
/* Quoted string starting at p ('"'); returns the position after the
 * closing quote, or NULL when unterminated. */
const char *sip_skip_quoted(const char *p, const char *e);
/* Generic header parameters: from p (at ';' or end) validate and return the
 * span of params; stops at ',' (when multi) or end. NULL when malformed. */
const char *sip_scan_params(const char *p, const char *e, bool multi, struct pl *params,
			    unsigned *count);

/* The same walk one parameter at a time, so a caller can act on each
 * while validating (one pass instead of scan, then iterate, then find):
 *   sip_pscan_init(&ps, p, e, multi);
 *   while ((err = sip_pscan_next(&ps, &name, &val)) == 0) ...;
 *   err is ENOENT at the end (then sip_pscan_params/_end), else EBADMSG. */
struct sip_pscan {
	const char *p, *e;  /* after the last parameter; end of the text */
	const char *first;  /* the first ';', or NULL */
	unsigned n;
	bool multi;
};

static inline void sip_pscan_init(struct sip_pscan *ps, const char *p, const char *e, bool multi)
{
	ps->p = p;
	ps->e = e;
	ps->first = NULL;
	ps->n = 0;
	ps->multi = multi;
}

int sip_pscan_next(struct sip_pscan *ps, struct pl *name, struct pl *val);

/* ";a=b;c" from the first ';' to the end of the last parameter, or unset. */
static inline struct pl sip_pscan_params(const struct sip_pscan *ps)
{
	return ps->first ? pl_span(ps->first, ps->p) : PL_NULL;
}

/* Where the walk stopped: the end, or the ',' of a list (blanks skipped). */
static inline const char *sip_pscan_end(const struct sip_pscan *ps)
{
	return skip_ws(ps->p, ps->e);
}

/* sip_uri_parse() of p..e into *u, which must be zeroed; on failure *u
 * is left half-filled (for parsers that parse into scratch space). */
int sip_uri_parse_into(struct sip_uri *u, const char *p, const char *e);

/* sip_via_parse_next() into scratch space: *v is half-filled on failure. */
int sip_via_parse_ext(struct sip_via *v, struct pl *rest);

/* sip_addr_parse_next() into scratch space (*addr is half-filled on
 * failure) that also hands out the first expires and q header parameters
 * (unset when absent), for the Contact checks. */
int sip_addr_parse_ext(struct sip_addr *addr, struct pl *rest, bool multi, struct pl *expires,
		       struct pl *q);

int sip_date_check(const struct pl *v);

#endif
