/* tests/unit/test-sip-uri.c: URIs (RFC 3261 19.1, 25.1; RFC 3966), their
 * comparison (RFC 3261 19.1.4), %-unescaping, and the parameter, token
 * and quoted-string helpers of src/sip/param.c.  Table-driven: each row
 * names itself in the failure message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "pl.h"
#include "sip/msg.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
/* A slice over a literal that may hold NUL bytes. */
#define LIT(s) pl_make((s), sizeof(s) - 1)

/* Compare a slice with an expectation: NULL means "unset". */
static void expect_pl(const char *what, const char *field, const struct pl *got,
		      const char *want)
{
	if (!want) {
		if (pl_isset(got))
			fail_msg("%s: %s: expected unset, got \"%.*s\"", what, field,
				 PL_ARG(*got));
		return;
	}
	if (!pl_isset(got))
		fail_msg("%s: %s: expected \"%s\", got unset", what, field, want);
	if (!pl_eq_str(got, want))
		fail_msg("%s: %s: expected \"%s\", got \"%.*s\"", what, field, want,
			 PL_ARG(*got));
}

static int parse_str(struct sip_uri *u, const char *s)
{
	struct pl x = pl_cstr(s);
	return sip_uri_parse(u, &x);
}

/* ---------- sip_uri_parse ---------- */

struct uri_case {
	const char *text;
	int err;
	enum sip_scheme scheme;
	const char *user, *password, *host;
	unsigned port;
	bool ipv6;
	const char *params, *headers;
};

#define BAD(t) { .text = (t), .err = EBADMSG }
#define OTHER(t) { .text = (t), .scheme = SIP_SCHEME_OTHER }

static const struct uri_case uri_cases[] = {
	/* RFC 3261 19.1.3 examples */
	{ "sip:alice@atlanta.com", 0, SIP_SCHEME_SIP, "alice", NULL, "atlanta.com", 0, false,
	  NULL, NULL },
	{ "sip:alice:secretword@atlanta.com;transport=tcp", 0, SIP_SCHEME_SIP, "alice",
	  "secretword", "atlanta.com", 0, false, ";transport=tcp", NULL },
	{ "sips:alice@atlanta.com?subject=project%20x&priority=urgent", 0, SIP_SCHEME_SIPS,
	  "alice", NULL, "atlanta.com", 0, false, NULL, "subject=project%20x&priority=urgent" },
	{ "sip:+1-212-555-1212:1234@gateway.com;user=phone", 0, SIP_SCHEME_SIP,
	  "+1-212-555-1212", "1234", "gateway.com", 0, false, ";user=phone", NULL },
	{ "sips:1212@gateway.com", 0, SIP_SCHEME_SIPS, "1212", NULL, "gateway.com", 0, false,
	  NULL, NULL },
	{ "sip:alice@192.0.2.4", 0, SIP_SCHEME_SIP, "alice", NULL, "192.0.2.4", 0, false, NULL,
	  NULL },
	{ "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", 0, SIP_SCHEME_SIP, NULL,
	  NULL, "atlanta.com", 0, false, ";method=REGISTER", "to=alice%40atlanta.com" },
	{ "sip:alice;day=tuesday@atlanta.com", 0, SIP_SCHEME_SIP, "alice;day=tuesday", NULL,
	  "atlanta.com", 0, false, NULL, NULL },
	/* scheme is case-insensitive, the user part keeps its case */
	{ "SIP:Alice@Example.COM", 0, SIP_SCHEME_SIP, "Alice", NULL, "Example.COM", 0, false,
	  NULL, NULL },
	{ "SiPs:x@y", 0, SIP_SCHEME_SIPS, "x", NULL, "y", 0, false, NULL, NULL },
	/* ports */
	{ "sip:host:5060", 0, SIP_SCHEME_SIP, NULL, NULL, "host", 5060, false, NULL, NULL },
	{ "sip:host:65535", 0, SIP_SCHEME_SIP, NULL, NULL, "host", 65535, false, NULL, NULL },
	{ "sip:host:00080", 0, SIP_SCHEME_SIP, NULL, NULL, "host", 80, false, NULL, NULL },
	BAD("sip:host:0"),
	BAD("sip:host:65536"),
	BAD("sip:host:123456"),
	BAD("sip:host:"),
	BAD("sip:host:abc"),
	/* IPv6 references: host without brackets */
	{ "sip:[2001:db8::10]:5070", 0, SIP_SCHEME_SIP, NULL, NULL, "2001:db8::10", 5070, true,
	  NULL, NULL },
	{ "sip:[2001:db8::10]", 0, SIP_SCHEME_SIP, NULL, NULL, "2001:db8::10", 0, true, NULL,
	  NULL },
	{ "sip:user@[::ffff:192.0.2.1];lr", 0, SIP_SCHEME_SIP, "user", NULL, "::ffff:192.0.2.1",
	  0, true, ";lr", NULL },
	BAD("sip:[2001:db8::1"),
	BAD("sip:[]"),
	BAD("sip:[abcd]"),
	BAD("sip:[::1]x"),
	BAD("sip:[::g]"),
	/* params and headers */
	{ "sip:a@h;lr", 0, SIP_SCHEME_SIP, "a", NULL, "h", 0, false, ";lr", NULL },
	{ "sip:a@h;maddr=239.255.255.1;ttl=15;lr", 0, SIP_SCHEME_SIP, "a", NULL, "h", 0, false,
	  ";maddr=239.255.255.1;ttl=15;lr", NULL },
	{ "sip:a@h:5061;transport=tls?x=y&z=", 0, SIP_SCHEME_SIP, "a", NULL, "h", 5061, false,
	  ";transport=tls", "x=y&z=" },
	BAD("sip:a@h;"),
	BAD("sip:a@h;=x"),
	BAD("sip:a@h;x="),
	BAD("sip:a@h;x;;y"),
	BAD("sip:a@h?"),
	BAD("sip:a@h?x"),
	BAD("sip:a@h?=x"),
	BAD("sip:a@h?x=1&"),
	/* %-escapes: must be % HEX HEX */
	{ "sip:%61lice@h", 0, SIP_SCHEME_SIP, "%61lice", NULL, "h", 0, false, NULL, NULL },
	{ "sip:a:p%41ss@h", 0, SIP_SCHEME_SIP, "a", "p%41ss", "h", 0, false, NULL, NULL },
	{ "sip:a@h;p=%41%2f", 0, SIP_SCHEME_SIP, "a", NULL, "h", 0, false, ";p=%41%2f", NULL },
	{ "sip:%00@h", 0, SIP_SCHEME_SIP, "%00", NULL, "h", 0, false, NULL, NULL },
	BAD("sip:%6@h"),
	BAD("sip:%zz@h"),
	BAD("sip:a%@h"),
	BAD("sip:a@h;p=%4"),
	BAD("sip:a@h?x=%g0"),
	BAD("sip:a@h%41"),
	BAD("sip:a:%@h"),
	/* other malformed sip URIs */
	BAD("sip:@host"),
	BAD("sip:user@"),
	BAD("sip:"),
	BAD("sip"),
	BAD(""),
	BAD(":x"),
	BAD("1sip:x"),
	BAD("sip:us er@h"),
	BAD("sip:a@h h"),
	BAD("sip:a@b@c"),
	BAD("sip:a:b:c@h"),
	/* tel (RFC 3966): the number goes to user */
	{ "tel:+1-201-555-0123", 0, SIP_SCHEME_TEL, "+1-201-555-0123", NULL, NULL, 0, false,
	  NULL, NULL },
	{ "tel:7042;phone-context=example.com", 0, SIP_SCHEME_TEL, "7042", NULL, NULL, 0,
	  false, ";phone-context=example.com", NULL },
	{ "TEL:+1", 0, SIP_SCHEME_TEL, "+1", NULL, NULL, 0, false, NULL, NULL },
	BAD("tel:"),
	BAD("tel:;x=1"),
	BAD("tel:+1 2"),
	BAD("tel:+1;p=%zz"),
	/* other schemes: only scheme and opaque */
	OTHER("mailto:alice@example.com"),
	OTHER("urn:service:sos"),
	OTHER("http://example.com/x?y=1"),
	OTHER("x-custom+1.0:abc"),
	BAD("mailto:"),
	BAD("mailto:a b"),
	BAD("mailto:%zz"),
	BAD("mailto:<x>"),
	BAD("ma_il:x"),
};

static void test_uri_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(uri_cases); i++) {
		const struct uri_case *c = &uri_cases[i];
		struct sip_uri u, untouched;
		int err;

		memset(&u, 0x5a, sizeof(u));
		untouched = u;
		err = parse_str(&u, c->text);
		if (err != c->err)
			fail_msg("\"%s\": expected %d, got %d", c->text, c->err, err);
		if (err) {
			/* a failed parse leaves the out-struct alone */
			if (memcmp(&u, &untouched, sizeof(u)) != 0)
				fail_msg("\"%s\": out-struct modified on failure", c->text);
			continue;
		}
		if (u.scheme != c->scheme)
			fail_msg("\"%s\": scheme %d, expected %d", c->text, u.scheme, c->scheme);
		{
			const char *colon = strchr(c->text, ':');
			struct pl want = pl_make(c->text, (size_t)(colon - c->text));
			if (!pl_eq(&u.scheme_name, &want) || !pl_eq_str(&u.opaque, colon + 1))
				fail_msg("\"%s\": scheme_name/opaque wrong", c->text);
		}
		if (c->scheme == SIP_SCHEME_OTHER) {
			expect_pl(c->text, "user", &u.user, NULL);
			expect_pl(c->text, "host", &u.host, NULL);
			continue;
		}
		expect_pl(c->text, "user", &u.user, c->user);
		expect_pl(c->text, "password", &u.password, c->password);
		expect_pl(c->text, "host", &u.host, c->host);
		expect_pl(c->text, "params", &u.params, c->params);
		expect_pl(c->text, "headers", &u.headers, c->headers);
		if (u.port != c->port)
			fail_msg("\"%s\": port %u, expected %u", c->text, u.port, c->port);
		if (u.ipv6 != c->ipv6)
			fail_msg("\"%s\": ipv6 %d, expected %d", c->text, u.ipv6, c->ipv6);
	}
}

/* A NULL or unterminated slice must not be read past its end. */
static void test_uri_parse_bounds(void **state)
{
	struct sip_uri u;
	struct pl x = PL_NULL;
	const char text[] = "sip:alice@atlanta.com:5060;transport=tcp?a=b";

	(void)state;
	assert_int_equal(sip_uri_parse(&u, &x), EBADMSG);
	/* every prefix: parses or fails, and a success covers exactly the prefix */
	for (size_t n = 0; n <= sizeof(text) - 1; n++) {
		x = pl_make(text, n);
		if (sip_uri_parse(&u, &x) == 0)
			assert_int_equal(u.opaque.p + u.opaque.l, text + n);
	}
	x = pl_make(text, 13); /* "sip:alice@atl" */
	assert_int_equal(sip_uri_parse(&u, &x), 0);
	assert_true(pl_eq_str(&u.host, "atl"));
}

/* ---------- sip_uri_eq (RFC 3261 19.1.4) ---------- */

struct eq_case {
	const char *a, *b;
	bool eq;
};

static const struct eq_case eq_cases[] = {
	/* the equal examples of RFC 3261 19.1.4 */
	{ "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true },
	{ "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true },
	{ "sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true },
	{ "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true },
	{ "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
	  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true },
	{ "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	  "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true },
	/* the not-equal examples */
	{ "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false },
	{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false },
	{ "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false },
	{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false },
	{ "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false },
	{ "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false },
	{ "sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off", false },
	/* more of the same rules */
	{ "sip:alice@h", "sips:alice@h", false },
	{ "sip:a:pw@h", "sip:a:PW@h", false },
	{ "sip:a:pw@h", "sip:a@h", false },
	{ "sip:a:p%77@h", "sip:a:pw@h", true },
	{ "sip:[2001:DB8::1]", "sip:[2001:db8::1]", true },
	{ "sip:a@h;user=phone", "sip:a@h", false },
	{ "sip:a@h;ttl=1", "sip:a@h", false },
	{ "sip:a@h;method=INVITE", "sip:a@h", false },
	{ "sip:a@h;maddr=x", "sip:a@h", false },
	{ "sip:a@h;TTL=1", "sip:a@h;ttl=1", true },
	{ "sip:a@h;lr", "sip:a@h;LR", true },
	{ "sip:a@h;x=%41", "sip:a@h;x=a", true },
	{ "sip:a@h?subject=X", "sip:a@h?subject=x", false },
	{ "sip:a@h?x=1&y=2", "sip:a@h?y=2", false },
	{ "sip:a@h?x=%31", "sip:a@h?x=1", true },
	{ "sip:a%00b@h", "sip:a@h", false },
	{ "sip:a%00b@h", "sip:a%00b@h", true },
	{ "sip:a@h", "sip:A@h", false },
	/* tel: number compared without case, params by the same rules */
	{ "tel:+1-555-0100", "tel:+1-555-0100", true },
	{ "tel:+1-555-0100", "tel:+1-555-0101", false },
	{ "tel:7042;phone-context=EXAMPLE.com", "tel:7042;phone-context=example.com", true },
	/* other schemes: scheme without case, the rest byte for byte */
	{ "mailto:a@h", "MAILTO:a@h", true },
	{ "mailto:a@h", "mailto:A@h", false },
	{ "mailto:a@h", "sip:a@h", false },
	{ "urn:a", "urn:b", false },
};

static void test_uri_eq(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(eq_cases); i++) {
		const struct eq_case *c = &eq_cases[i];
		struct sip_uri a, b;

		if (parse_str(&a, c->a) || parse_str(&b, c->b))
			fail_msg("\"%s\" / \"%s\": does not parse", c->a, c->b);
		if (sip_uri_eq(&a, &b) != c->eq || sip_uri_eq(&b, &a) != c->eq)
			fail_msg("\"%s\" %s \"%s\" expected", c->a, c->eq ? "==" : "!=", c->b);
		if (!sip_uri_eq(&a, &a) || !sip_uri_eq(&b, &b))
			fail_msg("\"%s\" / \"%s\": not equal to itself", c->a, c->b);
	}
	/* every valid URI of the parse table equals itself */
	for (size_t i = 0; i < N_ELEM(uri_cases); i++) {
		struct sip_uri u, v;
		if (uri_cases[i].err)
			continue;
		assert_int_equal(parse_str(&u, uri_cases[i].text), 0);
		v = u;
		if (!sip_uri_eq(&u, &v))
			fail_msg("\"%s\": not equal to itself", uri_cases[i].text);
	}
}

/* ---------- sip_uri_param, sip_uri_print ---------- */

static void test_uri_param(void **state)
{
	struct sip_uri u;
	struct pl v;

	(void)state;
	assert_int_equal(parse_str(&u, "sip:a@h;transport=TCP;lr;maddr=239.0.0.1"), 0);
	assert_int_equal(sip_uri_param(&u, "transport", &v), 0);
	assert_true(pl_eq_str(&v, "TCP"));
	assert_int_equal(sip_uri_param(&u, "TRANSPORT", &v), 0);
	assert_true(pl_eq_str(&v, "TCP"));
	assert_int_equal(sip_uri_param(&u, "lr", &v), 0);
	assert_true(pl_isset(&v));
	assert_int_equal(v.l, 0);
	assert_int_equal(sip_uri_param(&u, "maddr", &v), 0);
	assert_true(pl_eq_str(&v, "239.0.0.1"));
	assert_int_equal(sip_uri_param(&u, "ttl", &v), ENOENT);
	assert_int_equal(sip_uri_param(&u, "l", &v), ENOENT);
	assert_int_equal(sip_uri_param(&u, "lrx", &v), ENOENT);
	assert_int_equal(sip_uri_param(&u, "lr", NULL), 0);
	assert_int_equal(parse_str(&u, "sip:a@h"), 0);
	assert_int_equal(sip_uri_param(&u, "lr", &v), ENOENT);
}

static void test_uri_print(void **state)
{
	static const char *const in[] = {
		"sip:alice:pw@atlanta.com:5061;transport=tls?x=y",
		"sips:[2001:db8::1]:5070;lr",
		"sip:host",
		"tel:+1-555;phone-context=x",
		"mailto:a@h",
	};
	(void)state;
	for (size_t i = 0; i < N_ELEM(in); i++) {
		struct sip_uri u;
		struct buf b;
		buf_init(&b, 0);
		assert_int_equal(parse_str(&u, in[i]), 0);
		assert_int_equal(sip_uri_print(&b, &u), 0);
		if (strcmp(buf_cstr(&b), in[i]) != 0)
			fail_msg("printed \"%s\", expected \"%s\"", buf_cstr(&b), in[i]);
		buf_free(&b);
	}
}

/* ---------- sip_unescape ---------- */

struct unesc_case {
	struct pl in;
	struct pl out;
};

static void test_unescape(void **state)
{
	const struct unesc_case cases[] = {
		{ LIT("alice"), LIT("alice") },
		{ LIT("%61lice"), LIT("alice") },
		{ LIT("%2541"), LIT("%41") },          /* once, never recursively */
		{ LIT("a%00b"), LIT("a\0b") },         /* NUL kept */
		{ LIT("%4"), LIT("%4") },              /* not an escape: copied */
		{ LIT("%zz%"), LIT("%zz%") },
		{ LIT("%4A%4a"), LIT("JJ") },
		{ LIT("%e2%82%ac"), LIT("\xe2\x82\xac") },
		{ LIT(""), LIT("") },
	};
	char dst[64];

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		size_t n;
		memset(dst, 'X', sizeof(dst));
		n = sip_unescape(dst, sizeof(dst), &cases[i].in);
		if (n != cases[i].out.l || memcmp(dst, cases[i].out.p, n) != 0)
			fail_msg("case %zu: wrong result (%zu bytes)", i, n);
		assert_int_equal(dst[n], '\0');
	}
	/* bounded: no terminator when there is no room */
	{
		struct pl in = LIT("abcdef");
		memset(dst, 'X', sizeof(dst));
		assert_int_equal(sip_unescape(dst, 3, &in), 3);
		assert_memory_equal(dst, "abcX", 4);
		assert_int_equal(sip_unescape(dst, 0, &in), 0);
	}
}

/* ---------- parameters: sip_param_next / sip_param_find ---------- */

struct pn {
	const char *name, *val; /* val NULL: present without value */
};

struct param_case {
	const char *text;
	int end;                /* ENOENT or EBADMSG after the listed params */
	struct pn p[4];
};

static const struct param_case param_cases[] = {
	{ ";a=1;b;c=\"x;y\"", ENOENT, { { "a", "1" }, { "b", NULL }, { "c", "\"x;y\"" } } },
	{ " ; a = 1 ;b ", ENOENT, { { "a", "1" }, { "b", NULL } } },
	{ ";transport=tcp;lr", ENOENT, { { "transport", "tcp" }, { "lr", NULL } } },
	{ ";received=[2001:db8::1]", ENOENT, { { "received", "[2001:db8::1]" } } },
	{ ";q=\"a\\\"b\"", ENOENT, { { "q", "\"a\\\"b\"" } } },
	{ "", ENOENT, { { NULL } } },
	{ "a=1", EBADMSG, { { NULL } } },
	{ ";a=1;", EBADMSG, { { "a", "1" } } },
	{ ";=1", EBADMSG, { { NULL } } },
	{ ";a=", EBADMSG, { { NULL } } },
	{ ";a=\"open", EBADMSG, { { NULL } } },
	{ ";a=1,b", EBADMSG, { { "a", "1" } } },
	{ ";a;;b", EBADMSG, { { "a", NULL } } },
};

static void test_param_next(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(param_cases); i++) {
		const struct param_case *c = &param_cases[i];
		struct pl it = pl_cstr(c->text), n, v;
		unsigned k = 0;
		int err;

		while ((err = sip_param_next(&it, &n, &v)) == 0) {
			if (k >= N_ELEM(c->p) || !c->p[k].name)
				fail_msg("\"%s\": extra parameter \"%.*s\"", c->text, PL_ARG(n));
			if (!pl_eq_str(&n, c->p[k].name))
				fail_msg("\"%s\": name %u is \"%.*s\"", c->text, k, PL_ARG(n));
			if (!pl_isset(&v) ||
			    (c->p[k].val ? !pl_eq_str(&v, c->p[k].val) : v.l != 0))
				fail_msg("\"%s\": value %u is \"%.*s\"", c->text, k, PL_ARG(v));
			k++;
		}
		if (err != c->end)
			fail_msg("\"%s\": ended with %d, expected %d", c->text, err, c->end);
		if (k < N_ELEM(c->p) && c->p[k].name)
			fail_msg("\"%s\": only %u parameters", c->text, k);
	}
	{
		struct pl it = PL_NULL, n, v;
		assert_int_equal(sip_param_next(&it, &n, &v), ENOENT);
	}
}

static void test_param_find(void **state)
{
	struct pl params = pl_cstr(";tag=abc;Expires=60;lr;tag=second");
	struct pl v, name = PL("EXPIRES");

	(void)state;
	assert_int_equal(sip_param_find(&params, "tag", &v), 0);
	assert_true(pl_eq_str(&v, "abc")); /* the first one */
	assert_int_equal(sip_param_find(&params, "expires", &v), 0);
	assert_true(pl_eq_str(&v, "60"));
	assert_int_equal(sip_param_find_pl(&params, &name, &v), 0);
	assert_true(pl_eq_str(&v, "60"));
	assert_int_equal(sip_param_find(&params, "lr", &v), 0);
	assert_true(pl_isset(&v));
	assert_int_equal(v.l, 0);
	assert_int_equal(sip_param_find(&params, "lr", NULL), 0);
	assert_int_equal(sip_param_find(&params, "ta", &v), ENOENT);
	assert_int_equal(sip_param_find(&params, "tags", &v), ENOENT);
	assert_int_equal(sip_param_find(&params, "", &v), ENOENT);
	/* malformed before the match: EBADMSG; after it: found */
	params = pl_cstr(";a=1;;tag=x");
	assert_int_equal(sip_param_find(&params, "tag", &v), EBADMSG);
	assert_int_equal(sip_param_find(&params, "a", &v), 0);
	params = PL_NULL;
	assert_int_equal(sip_param_find(&params, "a", &v), ENOENT);
}

/* ---------- sip_token_next ---------- */

struct tok_case {
	const char *text;
	int end;
	const char *tok[5];
};

static const struct tok_case tok_cases[] = {
	{ "INVITE, ACK ,BYE", ENOENT, { "INVITE", "ACK", "BYE" } },
	{ " , a;q=0.5, b", ENOENT, { "a", "b" } },
	{ "application/sdp, text/plain", ENOENT, { "application", "text" } },
	{ "100rel", ENOENT, { "100rel" } },
	{ "", ENOENT, { NULL } },
	{ ", ,", ENOENT, { NULL } },
	{ "@", EBADMSG, { NULL } },
	{ "a, @b", EBADMSG, { "a" } },
};

static void test_token_next(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(tok_cases); i++) {
		const struct tok_case *c = &tok_cases[i];
		struct pl it = pl_cstr(c->text), t;
		unsigned k = 0;
		int err;

		while ((err = sip_token_next(&it, &t)) == 0) {
			if (k >= N_ELEM(c->tok) || !c->tok[k] || !pl_eq_str(&t, c->tok[k]))
				fail_msg("\"%s\": token %u is \"%.*s\"", c->text, k, PL_ARG(t));
			k++;
		}
		if (err != c->end)
			fail_msg("\"%s\": ended with %d, expected %d", c->text, err, c->end);
		if (k < N_ELEM(c->tok) && c->tok[k])
			fail_msg("\"%s\": only %u tokens", c->text, k);
	}
}

/* ---------- sip_unquote ---------- */

static void test_unquote(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "\"Alice\"", "Alice" },
		{ "\"a \\\"b\\\" \\\\ c\"", "a \"b\" \\ c" },
		{ "plain token", "plain token" },
		{ "\"\"", "" },
		{ "\"", "\"" },
		{ "\"x\\\"", "x\\" },
	};
	char dst[32];
	struct pl x;

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		x = pl_cstr(cases[i].in);
		assert_int_equal(sip_unquote(&x, dst, sizeof(dst)), 0);
		if (strcmp(dst, cases[i].out) != 0)
			fail_msg("unquote(%s) = \"%s\", expected \"%s\"", cases[i].in, dst,
				 cases[i].out);
	}
	x = PL_NULL;
	assert_int_equal(sip_unquote(&x, dst, sizeof(dst)), 0);
	assert_string_equal(dst, "");
	x = pl_cstr("\"abcdef\"");
	assert_int_equal(sip_unquote(&x, dst, 4), ENOSPC);
	assert_string_equal(dst, "abc");
	assert_int_equal(sip_unquote(&x, dst, 7), 0);
	assert_string_equal(dst, "abcdef");
	assert_int_equal(sip_unquote(&x, dst, 0), ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_parse),
		cmocka_unit_test(test_uri_parse_bounds),
		cmocka_unit_test(test_uri_eq),
		cmocka_unit_test(test_uri_param),
		cmocka_unit_test(test_uri_print),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_param_next),
		cmocka_unit_test(test_param_find),
		cmocka_unit_test(test_token_next),
		cmocka_unit_test(test_unquote),
	};

	return cmocka_run_group_tests_name("sip-uri", tests, NULL, NULL);
}
