/* sip/tpname.c: transport names, default ports and reliability (RFC 3261
 * 18, 19.1.2), shared by URIs, Via headers, DNS resolution and transports. */
#include <errno.h>

#include "sip/tp.h"

static const char *const names[SIP_TP_NUM] = {
	[SIP_TP_UDP] = "UDP",
	[SIP_TP_TCP] = "TCP",
	[SIP_TP_TLS] = "TLS",
};

/* Upper case, as written in Via; "?" for a value out of range. */
const char *sip_tp_name(enum sip_tp tp)
{
	if ((unsigned)tp >= SIP_TP_NUM)
		return "?";
	return names[tp];
}

/* Case-insensitive ("udp" in a transport= URI parameter, "UDP" in Via);
 * ENOTSUP for a transport we do not speak (SCTP, WS, ...). */
int sip_tp_from_name(const struct pl *name, enum sip_tp *tp)
{
	if (!name || !name->p || !tp)
		return EINVAL;
	for (unsigned i = 0; i < SIP_TP_NUM; i++) {
		if (pl_caseeq_str(name, names[i])) {
			*tp = (enum sip_tp)i;
			return 0;
		}
	}
	return ENOTSUP;
}

/* 5060, or 5061 for TLS (RFC 3261 19.1.2). */
uint16_t sip_tp_default_port(enum sip_tp tp)
{
	return tp == SIP_TP_TLS ? 5061 : 5060;
}

/* Reliable transports carry no retransmissions (RFC 3261 17.1.1.2). */
bool sip_tp_reliable(enum sip_tp tp)
{
	return tp == SIP_TP_TCP || tp == SIP_TP_TLS;
}
