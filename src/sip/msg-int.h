/* sip/msg-int.h: private helpers shared by the SIP message parser files. */
#ifndef SIPTERM_SIP_MSG_INT_H
#define SIPTERM_SIP_MSG_INT_H

#include <errno.h>
#include <stdint.h>

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

/* Advance p while chars are in cls; returns the new position. */
static inline const char *cc_span(const char *p, const char *e, unsigned cls)
{
	while (p < e && (sip_cc[(unsigned char)*p] & cls))
		p++;
	return p;
}

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
int sip_date_check(const struct pl *v);

#endif
