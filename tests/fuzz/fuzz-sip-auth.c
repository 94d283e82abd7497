/* fuzz-sip-auth.c: libFuzzer harness for digest challenges (src/sip/auth.c).
 *
 * The input is one WWW-Authenticate / Proxy-Authenticate value.  It goes
 * three ways: sip_challenge_parse() on an exact-size copy (a read past the
 * end is an ASan report), the list form sip_challenge_parse_next(), and
 * the whole client path: a 401 or 407 built around it, parsed with
 * sip_msg_parse(), fed to sip_auth_challenge() and answered with
 * sip_auth_apply(), twice, so the cache's rejection path runs too. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sip/auth.h"
#include "sip/msg.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_slice(const struct pl *x, const char *p, size_t n)
{
	if (pl_isset(x) && (x->p < p || x->p + x->l > p + n))
		abort();
}

static void one_value(const char *p, size_t n)
{
	struct sip_challenge ch;
	struct pl v = pl_make(p, n), it = v;
	unsigned k = 0;

	if (sip_challenge_parse(&ch, &v) == 0) {
		check_slice(&ch.realm, p, n);
		check_slice(&ch.nonce, p, n);
		check_slice(&ch.opaque, p, n);
		check_slice(&ch.qop, p, n);
		if (ch.usable && (!pl_isset(&ch.realm) || !pl_isset(&ch.nonce)))
			abort();
	}
	/* every call consumes input, so this ends; the bound is a backstop */
	while (sip_challenge_parse_next(&ch, &it) == 0 && ++k < 100000) {
		check_slice(&ch.scheme, p, n);
		check_slice(&ch.realm, p, n);
	}
}

/* Does the input hold the password, maybe with quoted-pair escapes
 * ("s3\\cr3t-pw" in a realm is echoed back unescaped)? */
static bool holds_password(const uint8_t *data, size_t size)
{
	char *plain = xmalloc(size ? size : 1);
	size_t n = 0;
	bool found;

	for (size_t i = 0; i < size; i++)
		if (data[i] != '\\')
			plain[n++] = (char)data[i];
	found = memmem(plain, n, "s3cr3t-pw", 9) != NULL;
	free(plain);
	return found;
}

static void whole_path(const uint8_t *data, size_t size)
{
	static const char head[] =
		"SIP/2.0 401 Unauthorized\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz\r\n"
		"From: <sip:a@example.com>;tag=1\r\n"
		"To: <sip:a@example.com>;tag=2\r\n"
		"Call-ID: fuzz@192.0.2.1\r\n"
		"CSeq: 1 REGISTER\r\n";
	static const char tail[] = "\r\nContent-Length: 0\r\n\r\n";
	bool proxy = size && (data[0] & 1);
	const char *name = proxy ? "Proxy-Authenticate: " : "WWW-Authenticate: ";
	struct sip_auth *a;
	struct sip_msg *m = NULL;
	const char *reason;
	struct buf b;
	char *msg;
	size_t n = 0, nl = strlen(name);

	if (size)
		data++, size--;
	msg = xmalloc(sizeof(head) + nl + size + sizeof(tail));
	memcpy(msg, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	if (proxy)
		memcpy(msg + 8, "407", 3);
	memcpy(msg + n, name, nl);
	n += nl;
	memcpy(msg + n, data, size);
	n += size;
	memcpy(msg + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	if (sip_msg_parse(&m, msg, n, 0, &reason) != 0) {
		free(msg);
		return;
	}
	free(msg);

	a = sip_auth_new("alice", "s3cr3t-pw");
	buf_init(&b, 65536);
	for (int round = 0; round < 2; round++) {
		int err = sip_auth_challenge(a, m, round > 0);
		if (err != 0 && err != EACCES && err != ENOTSUP && err != EBADMSG && err != EINVAL)
			abort();
		buf_reset(&b);
		/* the password never goes out, unless the input itself holds it */
		if (sip_auth_apply(a, &b, "REGISTER", "sip:example.com", NULL) == 0 && b.len &&
		    strstr(buf_cstr(&b), "s3cr3t-pw") && !holds_password(data, size))
			abort();
	}
	buf_free(&b);
	sip_auth_free(a);
	sip_msg_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	if (size > 16384)
		return 0;
	copy = xmalloc(size ? size : 1);
	if (size)
		memcpy(copy, data, size);
	one_value(copy, size);
	free(copy);
	whole_path(data, size);
	return 0;
}
