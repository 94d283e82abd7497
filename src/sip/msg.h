/* sip/msg.h: SIP messages (RFC 3261 7, 20, 25).
 *
 * sip_msg_parse() copies the bytes once into a single allocation that also
 * holds the header table and the decoded values; everything else is a slice
 * (struct pl) into that copy.  Line folds are replaced by spaces in the copy,
 * so a value never contains CR or LF.  Eagerly decoded: start line, every
 * Via, From/To (with tag), Call-ID, CSeq, Max-Forwards, Contact(s),
 * Route/Record-Route, Content-Length, Content-Type, Expires, Date (checked).
 * Other headers are kept in order and decoded on demand by the functions at
 * the end of this file. */
#ifndef SIPTERM_SIP_MSG_H
#define SIPTERM_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pl.h"

/* Limits: a message that exceeds one is rejected with a reason. */
#define SIP_MAX_MSG_SIZE   65535u  /* bytes, headers plus body */
#define SIP_MAX_HDRS       256u    /* header lines (and one Content-Length) */
#define SIP_MAX_LINE       8192u   /* one header line, folds included */
#define SIP_MAX_VALUES     256u    /* Via, Contact, Route, Record-Route values */
#define SIP_MAX_PARAMS     64u     /* parameters on one value */

/* The reasons given for a message over SIP_MAX_MSG_SIZE: its body made it
 * too large (answered 413 Request Entity Too Large) or its header section
 * alone is (513 Message Too Large), RFC 3261 21.4.11, 21.5.9.  Compared by
 * address (sip_reply_raw400). */
extern const char sip_reason_body_too_large[];
extern const char sip_reason_hdr_too_large[];

#define SIP_MAGIC_COOKIE "z9hG4bK"

enum sip_method {
	SIP_M_OTHER = 0,
	SIP_M_INVITE,
	SIP_M_ACK,
	SIP_M_BYE,
	SIP_M_CANCEL,
	SIP_M_OPTIONS,
	SIP_M_REGISTER,
	SIP_M_PRACK,
	SIP_M_SUBSCRIBE,
	SIP_M_NOTIFY,
	SIP_M_PUBLISH,
	SIP_M_INFO,
	SIP_M_REFER,
	SIP_M_MESSAGE,
	SIP_M_UPDATE,
	SIP_M_NUM
};

enum sip_hdr_id {
	SIP_H_OTHER = 0,
	SIP_H_ACCEPT,
	SIP_H_ACCEPT_CONTACT,
	SIP_H_ACCEPT_ENCODING,
	SIP_H_ACCEPT_LANGUAGE,
	SIP_H_ALERT_INFO,
	SIP_H_ALLOW,
	SIP_H_ALLOW_EVENTS,
	SIP_H_AUTHENTICATION_INFO,
	SIP_H_AUTHORIZATION,
	SIP_H_CALL_ID,
	SIP_H_CALL_INFO,
	SIP_H_CONTACT,
	SIP_H_CONTENT_DISPOSITION,
	SIP_H_CONTENT_ENCODING,
	SIP_H_CONTENT_LANGUAGE,
	SIP_H_CONTENT_LENGTH,
	SIP_H_CONTENT_TYPE,
	SIP_H_CSEQ,
	SIP_H_DATE,
	SIP_H_ERROR_INFO,
	SIP_H_EVENT,
	SIP_H_EXPIRES,
	SIP_H_FROM,
	SIP_H_IN_REPLY_TO,
	SIP_H_MAX_FORWARDS,
	SIP_H_MIME_VERSION,
	SIP_H_MIN_EXPIRES,
	SIP_H_MIN_SE,
	SIP_H_ORGANIZATION,
	SIP_H_P_ASSERTED_IDENTITY,
	SIP_H_PATH,
	SIP_H_PRIORITY,
	SIP_H_PRIVACY,
	SIP_H_PROXY_AUTHENTICATE,
	SIP_H_PROXY_AUTHORIZATION,
	SIP_H_PROXY_REQUIRE,
	SIP_H_RACK,
	SIP_H_REASON,
	SIP_H_RECORD_ROUTE,
	SIP_H_REFER_SUB,
	SIP_H_REFER_TO,
	SIP_H_REFERRED_BY,
	SIP_H_REJECT_CONTACT,
	SIP_H_REPLACES,
	SIP_H_REPLY_TO,
	SIP_H_REQUEST_DISPOSITION,
	SIP_H_REQUIRE,
	SIP_H_RETRY_AFTER,
	SIP_H_ROUTE,
	SIP_H_RSEQ,
	SIP_H_SERVER,
	SIP_H_SERVICE_ROUTE,
	SIP_H_SESSION_EXPIRES,
	SIP_H_SIP_ETAG,
	SIP_H_SIP_IF_MATCH,
	SIP_H_SUBJECT,
	SIP_H_SUBSCRIPTION_STATE,
	SIP_H_SUPPORTED,
	SIP_H_TIMESTAMP,
	SIP_H_TO,
	SIP_H_UNSUPPORTED,
	SIP_H_USER_AGENT,
	SIP_H_VIA,
	SIP_H_WARNING,
	SIP_H_WWW_AUTHENTICATE,
	SIP_H_NUM
};

enum sip_scheme {
	SIP_SCHEME_OTHER = 0,
	SIP_SCHEME_SIP,
	SIP_SCHEME_SIPS,
	SIP_SCHEME_TEL,
};

/* A URI.  For sip/sips every part is a slice of the (still %-escaped)
 * text; for tel the number is in user; for other schemes only scheme and
 * opaque are set. */
struct sip_uri {
	enum sip_scheme scheme;
	struct pl scheme_name;
	struct pl user;
	struct pl password;
	struct pl host;     /* IPv6 references without the brackets */
	struct pl params;   /* ";a=b;c" including the first ';', or unset */
	struct pl headers;  /* after '?', or unset */
	struct pl opaque;   /* everything after "scheme:" */
	uint16_t port;      /* 0 when absent */
	bool ipv6;
};

/* name-addr or addr-spec with header parameters (From, To, Contact,
 * Route, Record-Route, Refer-To, ...). */
struct sip_addr {
	struct pl val;     /* the whole value */
	struct pl dname;   /* display name as written (quotes kept), or unset */
	struct pl auri;    /* the URI text */
	struct sip_uri uri;
	struct pl params;  /* header params after the URI/'>', or unset */
	struct pl tag;     /* ;tag= value, or unset */
	bool angle;        /* written as <URI> */
	struct sip_addr *next;
};

struct sip_via {
	struct pl val;
	struct pl version;    /* "2.0" */
	struct pl transport;  /* "UDP", "TCP", ... */
	struct pl host;       /* IPv6 without brackets */
	uint16_t port;        /* 0 when absent */
	bool ipv6;
	bool rport;           /* ;rport present, with or without value */
	struct pl params;
	struct pl branch;
	struct pl received;   /* brackets stripped */
	struct pl rport_val;  /* unset or empty when the value is absent */
	struct pl maddr;
	int ttl;              /* -1 when absent */
	struct sip_via *next;
};

struct sip_cseq {
	uint32_t num;
	struct pl method;
	enum sip_method mid;
};

struct sip_hdr {
	struct pl name;
	struct pl val;       /* trimmed, folds replaced by spaces */
	enum sip_hdr_id id;
	uint16_t next_same;  /* index + 1 of the next header with this id */
};

struct sip_msg {
	char *buf;           /* our copy of the bytes */
	size_t len;          /* length of the message (start line to body end) */
	unsigned refs;
	bool req;

	/* request line */
	struct pl method;
	enum sip_method mid;
	struct pl ruri_text;
	struct sip_uri ruri;
	struct pl version;   /* "2.0" in "SIP/2.0"; check sip_msg_version_ok() */

	/* status line */
	uint16_t scode;
	struct pl reason;

	/* headers in order */
	struct sip_hdr *hdrs;
	unsigned nhdr;
	uint16_t hfirst[SIP_H_NUM];

	/* eagerly decoded */
	struct sip_via *via;         /* topmost first */
	unsigned nvia;
	struct sip_addr from, to;
	bool has_from, has_to;
	struct pl callid;
	struct sip_cseq cseq;
	bool has_cseq;
	uint32_t maxfwd;
	bool has_maxfwd;
	struct sip_addr *contact;
	unsigned ncontact;
	bool contact_star;
	struct sip_addr *route;
	unsigned nroute;
	struct sip_addr *rroute;
	unsigned nrroute;
	uint32_t clen;
	bool has_clen;
	struct pl ctype;             /* media type without parameters, or unset */
	struct pl ctype_params;
	uint32_t expires;
	bool has_expires;

	struct pl body;
};

/* Parse flags. */
enum {
	SIP_PARSE_STREAM = 1, /* the buffer is exactly one framed message */
};

int sip_msg_parse(struct sip_msg **mp, const char *data, size_t len, int flags,
		  const char **reason);
int sip_msg_frame(const char *data, size_t len, size_t *msglen, const char **reason);
/* The value of the first header line called name (the long form) or c
 * (the compact form, '\0' for none) in raw message text that need not
 * parse: for answering a request that did not, and for traces.  Looks at
 * the lines up to the first empty one; no folding. */
bool sip_raw_header(const char *data, size_t len, const char *name, char c, struct pl *val);
struct sip_msg *sip_msg_ref(struct sip_msg *m);
void sip_msg_free(struct sip_msg *m);
bool sip_msg_version_ok(const struct sip_msg *m);
int sip_msg_check(const struct sip_msg *m, const char **reason);

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id);
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h);
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m, const char *name);
bool sip_msg_hdr_has_token(const struct sip_msg *m, enum sip_hdr_id id, const char *token);
int sip_msg_hdr_count(const struct sip_msg *m, enum sip_hdr_id id);

enum sip_method sip_method_id(const struct pl *name);
const char *sip_method_name(enum sip_method m);
enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len);
const char *sip_hdr_name(enum sip_hdr_id id);
const char *sip_reason_phrase(unsigned code);

/* Values, URIs, parameters (uri.c, addr.c, via.c, param.c). */
int sip_uri_parse(struct sip_uri *uri, const struct pl *text);
bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b);
int sip_uri_param(const struct sip_uri *uri, const char *name, struct pl *val);
size_t sip_unescape(char *dst, size_t size, const struct pl *src);
int sip_addr_parse(struct sip_addr *addr, const struct pl *text);
int sip_addr_parse_next(struct sip_addr *addr, struct pl *rest, bool multi);
int sip_addr_dname(const struct sip_addr *addr, char *dst, size_t size);
int sip_via_parse_next(struct sip_via *via, struct pl *rest);

/* Iterate ";name=value" parameters: *iter starts as the params slice;
 * returns 0 and one parameter, ENOENT at the end, EBADMSG when bad. */
int sip_param_next(struct pl *iter, struct pl *name, struct pl *val);
int sip_param_find(const struct pl *params, const char *name, struct pl *val);
int sip_param_find_pl(const struct pl *params, const struct pl *name, struct pl *val);
int sip_token_next(struct pl *iter, struct pl *tok);
int sip_unquote(const struct pl *in, char *dst, size_t size);

/* Printing (print.c). */
int sip_msg_print(const struct sip_msg *m, struct buf *b);
int sip_uri_print(struct buf *b, const struct sip_uri *uri);

#endif
