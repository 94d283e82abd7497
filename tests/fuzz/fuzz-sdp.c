/* tests/fuzz/fuzz-sdp.c: libFuzzer harness for src/sdp.h.
 * Every input is parsed; a parsed session is answered (as an offer) with a
 * fixed local configuration of the family its audio asks for, and applied
 * as an answer to our offer; every answer we print must parse and keep one
 * m= per offered m=; the printed session must parse again and print the
 * same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "sa.h"
#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sdp_codec codecs[] = {
	{ "opus", 48000, 2, 96, "useinbandfec=1" },
	{ "PCMU", 8000, 1, 0, NULL },
	{ "PCMA", 8000, 1, 8, NULL },
	{ "G722", 8000, 1, 9, NULL },
};

static struct sdp_session s1, s2, s3;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_local l;
	struct sdp_neg n;
	struct buf b, b2;
	const char *reason;
	char *p;

	/* an exact-size copy, so a read past the end is caught */
	p = malloc(size ? size : 1);
	if (size)
		memcpy(p, data, size);
	if (sdp_parse(&s1, p, size, &reason) != 0) {
		if (!reason)
			abort();
		free(p);
		return 0;
	}

	memset(&l, 0, sizeof(l));
	l.user = "sipterm";
	l.sess_id = 1;
	l.sess_version = 2;
	if (sa_set(&l.addr, sdp_audio_af(&s1) == AF_INET6 ? "2001:db8::1" : "192.0.2.1", 4000))
		abort();
	l.codecs = codecs;
	l.ncodecs = sizeof(codecs) / sizeof(codecs[0]);
	l.te_pt = 101;
	l.rtcp_mux = true;

	buf_init(&b, 0);
	if (sdp_answer(&b, &n, &s1, &l) == 0) {
		if (!n.ok || n.midx >= s1.nmedia || sdp_parse(&s2, b.p, b.len, &reason) != 0 ||
		    s2.nmedia != s1.nmedia || s2.media[n.midx].port != 4000)
			abort(); /* our answer must be valid SDP, one m= per offered m= */
	} else if (b.len) {
		abort(); /* a refused offer prints nothing */
	}
	buf_free(&b);
	(void)sdp_process_answer(&n, &s1, &l);

	buf_init(&b, 0);
	buf_init(&b2, 0);
	if (sdp_print(&b, &s1) != 0 || sdp_parse(&s3, b.p, b.len, &reason) != 0)
		abort(); /* what we print, we must read back */
	if (sdp_print(&b2, &s3) != 0 || b2.len != b.len || memcmp(b.p, b2.p, b.len) != 0)
		abort(); /* and printing it again changes nothing */
	buf_free(&b);
	buf_free(&b2);
	free(p);
	return 0;
}
