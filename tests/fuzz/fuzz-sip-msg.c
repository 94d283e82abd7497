/* tests/fuzz/fuzz-sip-msg.c: libFuzzer harness for the SIP message layer.
 * Every input goes through datagram parsing, stream framing, the message
 * checks, the printer (and a re-parse of what it printed, which must
 * succeed), and the value parsers on the raw bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *reason;
	struct sip_msg *m;
	size_t flen;

	if (sip_msg_parse(&m, p, size, 0, &reason) == 0) {
		struct buf b;
		struct sip_msg *m2;
		const char *why;
		(void)sip_msg_check(m, &why);
		for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_H_SUPPORTED); h;
		     h = sip_msg_hdr_next(m, h))
			(void)sip_msg_hdr_has_token(m, SIP_H_SUPPORTED, "timer");
		buf_init(&b, 0);
		sip_msg_print(m, &b);
		if (sip_msg_parse(&m2, b.p, b.len, 0, &reason) != 0)
			abort(); /* what we print, we must read back */
		sip_msg_free(m2);
		buf_free(&b);
		sip_msg_free(m);
	}
	if (sip_msg_frame(p, size, &flen, &reason) == 0) {
		if (flen > size)
			abort();
		if (sip_msg_parse(&m, p, flen, SIP_PARSE_STREAM, &reason) == 0)
			sip_msg_free(m);
	}
	{
		struct pl x = { p, size }, it;
		struct sip_uri uri;
		struct sip_addr addr;
		struct sip_via via;
		struct pl n, v;
		if (sip_uri_parse(&uri, &x) == 0) {
			struct sip_uri u2 = uri;
			if (!sip_uri_eq(&uri, &u2))
				abort();
		}
		(void)sip_addr_parse(&addr, &x);
		it = x;
		while (it.l && sip_via_parse_next(&via, &it) == 0)
			;
		it = x;
		while (sip_param_next(&it, &n, &v) == 0)
			;
	}
	return 0;
}
