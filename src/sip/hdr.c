/* sip/hdr.c: header names (full and compact), methods and reason phrases.
 * Lookup indexes a table by first letter and length, then compares the
 * one candidate there (rarely two or three) with fold_eq(): a word compare
 * with the case bit masked; about 50 instructions a name, call included. */
#include <string.h>

#include "sip/msg-int.h"

static const char *const names[SIP_H_NUM] = {
	[SIP_H_OTHER] = NULL,
	[SIP_H_ACCEPT] = "Accept",
	[SIP_H_ACCEPT_CONTACT] = "Accept-Contact",
	[SIP_H_ACCEPT_ENCODING] = "Accept-Encoding",
	[SIP_H_ACCEPT_LANGUAGE] = "Accept-Language",
	[SIP_H_ALERT_INFO] = "Alert-Info",
	[SIP_H_ALLOW] = "Allow",
	[SIP_H_ALLOW_EVENTS] = "Allow-Events",
	[SIP_H_AUTHENTICATION_INFO] = "Authentication-Info",
	[SIP_H_AUTHORIZATION] = "Authorization",
	[SIP_H_CALL_ID] = "Call-ID",
	[SIP_H_CALL_INFO] = "Call-Info",
	[SIP_H_CONTACT] = "Contact",
	[SIP_H_CONTENT_DISPOSITION] = "Content-Disposition",
	[SIP_H_CONTENT_ENCODING] = "Content-Encoding",
	[SIP_H_CONTENT_LANGUAGE] = "Content-Language",
	[SIP_H_CONTENT_LENGTH] = "Content-Length",
	[SIP_H_CONTENT_TYPE] = "Content-Type",
	[SIP_H_CSEQ] = "CSeq",
	[SIP_H_DATE] = "Date",
	[SIP_H_ERROR_INFO] = "Error-Info",
	[SIP_H_EVENT] = "Event",
	[SIP_H_EXPIRES] = "Expires",
	[SIP_H_FROM] = "From",
	[SIP_H_IN_REPLY_TO] = "In-Reply-To",
	[SIP_H_MAX_FORWARDS] = "Max-Forwards",
	[SIP_H_MIME_VERSION] = "MIME-Version",
	[SIP_H_MIN_EXPIRES] = "Min-Expires",
	[SIP_H_MIN_SE] = "Min-SE",
	[SIP_H_ORGANIZATION] = "Organization",
	[SIP_H_P_ASSERTED_IDENTITY] = "P-Asserted-Identity",
	[SIP_H_PATH] = "Path",
	[SIP_H_PRIORITY] = "Priority",
	[SIP_H_PRIVACY] = "Privacy",
	[SIP_H_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
	[SIP_H_PROXY_AUTHORIZATION] = "Proxy-Authorization",
	[SIP_H_PROXY_REQUIRE] = "Proxy-Require",
	[SIP_H_RACK] = "RAck",
	[SIP_H_REASON] = "Reason",
	[SIP_H_RECORD_ROUTE] = "Record-Route",
	[SIP_H_REFER_SUB] = "Refer-Sub",
	[SIP_H_REFER_TO] = "Refer-To",
	[SIP_H_REFERRED_BY] = "Referred-By",
	[SIP_H_REJECT_CONTACT] = "Reject-Contact",
	[SIP_H_REPLACES] = "Replaces",
	[SIP_H_REPLY_TO] = "Reply-To",
	[SIP_H_REQUEST_DISPOSITION] = "Request-Disposition",
	[SIP_H_REQUIRE] = "Require",
	[SIP_H_RETRY_AFTER] = "Retry-After",
	[SIP_H_ROUTE] = "Route",
	[SIP_H_RSEQ] = "RSeq",
	[SIP_H_SERVER] = "Server",
	[SIP_H_SERVICE_ROUTE] = "Service-Route",
	[SIP_H_SESSION_EXPIRES] = "Session-Expires",
	[SIP_H_SIP_ETAG] = "SIP-ETag",
	[SIP_H_SIP_IF_MATCH] = "SIP-If-Match",
	[SIP_H_SUBJECT] = "Subject",
	[SIP_H_SUBSCRIPTION_STATE] = "Subscription-State",
	[SIP_H_SUPPORTED] = "Supported",
	[SIP_H_TIMESTAMP] = "Timestamp",
	[SIP_H_TO] = "To",
	[SIP_H_UNSUPPORTED] = "Unsupported",
	[SIP_H_USER_AGENT] = "User-Agent",
	[SIP_H_VIA] = "Via",
	[SIP_H_WARNING] = "Warning",
	[SIP_H_WWW_AUTHENTICATE] = "WWW-Authenticate",
};

/* slot[first letter][length]: the first header with that letter and
 * length; same[id]: the next one (only eight slots hold more than one).
 * Built from names[] above; test-sip-msg checks every name both ways. */
#define NAME_MAX_LEN 19

static const uint8_t slot[26][NAME_MAX_LEN + 1] = {
	['a' - 'a'] = { [5] = SIP_H_ALLOW, [6] = SIP_H_ACCEPT, [10] = SIP_H_ALERT_INFO,
		    [12] = SIP_H_ALLOW_EVENTS, [13] = SIP_H_AUTHORIZATION,
		    [14] = SIP_H_ACCEPT_CONTACT, [15] = SIP_H_ACCEPT_ENCODING,
		    [19] = SIP_H_AUTHENTICATION_INFO },
	['c' - 'a'] = { [4] = SIP_H_CSEQ, [7] = SIP_H_CALL_ID, [9] = SIP_H_CALL_INFO,
		    [12] = SIP_H_CONTENT_TYPE, [14] = SIP_H_CONTENT_LENGTH,
		    [16] = SIP_H_CONTENT_ENCODING, [19] = SIP_H_CONTENT_DISPOSITION },
	['d' - 'a'] = { [4] = SIP_H_DATE },
	['e' - 'a'] = { [5] = SIP_H_EVENT, [7] = SIP_H_EXPIRES, [10] = SIP_H_ERROR_INFO },
	['f' - 'a'] = { [4] = SIP_H_FROM },
	['i' - 'a'] = { [11] = SIP_H_IN_REPLY_TO },
	['m' - 'a'] = { [6] = SIP_H_MIN_SE, [11] = SIP_H_MIN_EXPIRES,
		    [12] = SIP_H_MAX_FORWARDS },
	['o' - 'a'] = { [12] = SIP_H_ORGANIZATION },
	['p' - 'a'] = { [4] = SIP_H_PATH, [7] = SIP_H_PRIVACY, [8] = SIP_H_PRIORITY,
		    [13] = SIP_H_PROXY_REQUIRE, [18] = SIP_H_PROXY_AUTHENTICATE,
		    [19] = SIP_H_P_ASSERTED_IDENTITY },
	['r' - 'a'] = { [4] = SIP_H_RACK, [5] = SIP_H_ROUTE, [6] = SIP_H_REASON,
		    [7] = SIP_H_REQUIRE, [8] = SIP_H_REFER_TO, [9] = SIP_H_REFER_SUB,
		    [11] = SIP_H_REFERRED_BY, [12] = SIP_H_RECORD_ROUTE,
		    [14] = SIP_H_REJECT_CONTACT, [19] = SIP_H_REQUEST_DISPOSITION },
	['s' - 'a'] = { [6] = SIP_H_SERVER, [7] = SIP_H_SUBJECT, [8] = SIP_H_SIP_ETAG,
		    [9] = SIP_H_SUPPORTED, [12] = SIP_H_SIP_IF_MATCH,
		    [13] = SIP_H_SERVICE_ROUTE, [15] = SIP_H_SESSION_EXPIRES,
		    [18] = SIP_H_SUBSCRIPTION_STATE },
	['t' - 'a'] = { [2] = SIP_H_TO, [9] = SIP_H_TIMESTAMP },
	['u' - 'a'] = { [10] = SIP_H_USER_AGENT, [11] = SIP_H_UNSUPPORTED },
	['v' - 'a'] = { [3] = SIP_H_VIA },
	['w' - 'a'] = { [7] = SIP_H_WARNING, [16] = SIP_H_WWW_AUTHENTICATE },
};

static const uint8_t same[SIP_H_NUM] = {
	[SIP_H_ACCEPT_ENCODING] = SIP_H_ACCEPT_LANGUAGE,
	[SIP_H_CALL_ID] = SIP_H_CONTACT,
	[SIP_H_CONTENT_ENCODING] = SIP_H_CONTENT_LANGUAGE,
	[SIP_H_MAX_FORWARDS] = SIP_H_MIME_VERSION,
	[SIP_H_P_ASSERTED_IDENTITY] = SIP_H_PROXY_AUTHORIZATION,
	[SIP_H_RACK] = SIP_H_RSEQ,
	[SIP_H_REFER_TO] = SIP_H_REPLACES,
	[SIP_H_REPLACES] = SIP_H_REPLY_TO,
	[SIP_H_REFERRED_BY] = SIP_H_RETRY_AFTER,
};

static const uint8_t compact[26] = {
	['a' - 'a'] = SIP_H_ACCEPT_CONTACT,
	['b' - 'a'] = SIP_H_REFERRED_BY,
	['c' - 'a'] = SIP_H_CONTENT_TYPE,
	['d' - 'a'] = SIP_H_REQUEST_DISPOSITION,
	['e' - 'a'] = SIP_H_CONTENT_ENCODING,
	['f' - 'a'] = SIP_H_FROM,
	['i' - 'a'] = SIP_H_CALL_ID,
	['j' - 'a'] = SIP_H_REJECT_CONTACT,
	['k' - 'a'] = SIP_H_SUPPORTED,
	['l' - 'a'] = SIP_H_CONTENT_LENGTH,
	['m' - 'a'] = SIP_H_CONTACT,
	['o' - 'a'] = SIP_H_EVENT,
	['r' - 'a'] = SIP_H_REFER_TO,
	['s' - 'a'] = SIP_H_SUBJECT,
	['t' - 'a'] = SIP_H_TO,
	['u' - 'a'] = SIP_H_ALLOW_EVENTS,
	['v' - 'a'] = SIP_H_VIA,
	['x' - 'a'] = SIP_H_SESSION_EXPIRES,
};

/* Header id of a name (case-insensitive); SIP_H_OTHER when unknown. */
enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len)
{
	unsigned c, id;

	if (!len || len > NAME_MAX_LEN)
		return SIP_H_OTHER;
	c = (unsigned char)name[0] | 0x20;
	if (c < 'a' || c > 'z')
		return SIP_H_OTHER;
	if (len == 1)
		return (enum sip_hdr_id)compact[c - 'a'];
	for (id = slot[c - 'a'][len]; id; id = same[id])
		if (fold_eq(name, names[id], len))
			return (enum sip_hdr_id)id;
	return SIP_H_OTHER;
}

/* Canonical (long) name, for printing. */
const char *sip_hdr_name(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_H_NUM ? names[id] : NULL;
}

/* Method names with their lengths, so a lookup compares lengths first. */
#define METHOD(id, s) [id] = { s, sizeof(s) - 1 }
static const struct {
	const char *name;
	uint8_t len;
} methods[SIP_M_NUM] = {
	METHOD(SIP_M_INVITE, "INVITE"),
	METHOD(SIP_M_ACK, "ACK"),
	METHOD(SIP_M_BYE, "BYE"),
	METHOD(SIP_M_CANCEL, "CANCEL"),
	METHOD(SIP_M_OPTIONS, "OPTIONS"),
	METHOD(SIP_M_REGISTER, "REGISTER"),
	METHOD(SIP_M_PRACK, "PRACK"),
	METHOD(SIP_M_SUBSCRIBE, "SUBSCRIBE"),
	METHOD(SIP_M_NOTIFY, "NOTIFY"),
	METHOD(SIP_M_PUBLISH, "PUBLISH"),
	METHOD(SIP_M_INFO, "INFO"),
	METHOD(SIP_M_REFER, "REFER"),
	METHOD(SIP_M_MESSAGE, "MESSAGE"),
	METHOD(SIP_M_UPDATE, "UPDATE"),
};
#undef METHOD

/* Methods are case-sensitive (RFC 3261 7.1). */
enum sip_method sip_method_id(const struct pl *name)
{
	for (unsigned i = 1; i < SIP_M_NUM; i++) {
		if (methods[i].len == name->l && methods[i].name[0] == name->p[0] &&
		    memcmp(methods[i].name, name->p, name->l) == 0)
			return (enum sip_method)i;
	}
	return SIP_M_OTHER;
}

/* For printing and logs; "UNKNOWN" for SIP_M_OTHER and out of range. */
const char *sip_method_name(enum sip_method m)
{
	return (unsigned)m < SIP_M_NUM && m ? methods[m].name : "UNKNOWN";
}

/* Default reason phrases (RFC 3261 21 and extensions). */
const char *sip_reason_phrase(unsigned code)
{
	switch (code) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Notification";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 305: return "Use Proxy";
	case 380: return "Alternative Service";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 412: return "Conditional Request Failed";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 422: return "Session Interval Too Small";
	case 423: return "Interval Too Brief";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 485: return "Ambiguous";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 489: return "Bad Event";
	case 491: return "Request Pending";
	case 493: return "Undecipherable";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default:
		break;
	}
	if (code >= 100 && code < 200)
		return "Progress";
	if (code >= 200 && code < 300)
		return "Success";
	if (code >= 300 && code < 400)
		return "Redirection";
	if (code >= 400 && code < 500)
		return "Client Error";
	if (code >= 500 && code < 600)
		return "Server Error";
	return "Global Failure";
}
