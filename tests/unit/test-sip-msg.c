/* tests/unit/test-sip-msg.c: the SIP message parser API (src/sip/msg.h):
 * start lines, header names (full and compact), folding, multi-valued
 * headers, Via and name-addr values, Content-Length and stream framing,
 * duplicates and limits, header access, sip_msg_check and the printer.
 * Table-driven: each row names itself in the failure message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pl.h"
#include "sip/msg.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
/* A slice over a literal that may hold NUL bytes. */
#define LIT(s) pl_make((s), sizeof(s) - 1)

/* The start line and headers most cases build on. */
#define REQ_LINE "INVITE sip:bob@example.com SIP/2.0\r\n"
#define VIA_HDR "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n"
#define BASE_HDRS_NO_VIA                                                                \
	"Max-Forwards: 70\r\n"                                                          \
	"To: Bob <sip:bob@example.com>\r\n"                                             \
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"                        \
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n"                                  \
	"CSeq: 314159 INVITE\r\n"
#define BASE_HDRS VIA_HDR BASE_HDRS_NO_VIA

static struct sip_msg *const UNTOUCHED = (struct sip_msg *)&UNTOUCHED;

/* Parse text that must parse; fails the test with the reason otherwise. */
static struct sip_msg *parse_ok(const char *what, const char *text, size_t len, int flags)
{
	struct sip_msg *m = UNTOUCHED;
	const char *reason = "unset";
	int err = sip_msg_parse(&m, text, len, flags, &reason);

	if (err)
		fail_msg("%s: expected to parse, got %d: %s", what, err,
			 reason ? reason : "(null)");
	if (reason)
		fail_msg("%s: parsed, but reason is \"%s\"", what, reason);
	if (m == UNTOUCHED || !m)
		fail_msg("%s: parsed, but no message", what);
	return m;
}

/* Text that must be rejected with exactly this reason (any, when NULL);
 * the out-pointer stays untouched. */
static void parse_bad(const char *what, const char *text, size_t len, int flags,
		      const char *why)
{
	struct sip_msg *m = UNTOUCHED;
	const char *reason = NULL;
	int err = sip_msg_parse(&m, text, len, flags, &reason);

	if (!err) {
		sip_msg_free(m);
		fail_msg("%s: expected \"%s\", but it parsed", what, why ? why : "an error");
	}
	if (err != EBADMSG)
		fail_msg("%s: error %d, expected EBADMSG", what, err);
	if (!reason)
		fail_msg("%s: rejected without a reason", what);
	if (why && strcmp(reason, why) != 0)
		fail_msg("%s: reason \"%s\", expected \"%s\"", what, reason, why);
	if (m != UNTOUCHED)
		fail_msg("%s: out-pointer modified on failure", what);
}

static struct sip_msg *parse_str(const char *text)
{
	return parse_ok(text, text, strlen(text), 0);
}

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

/* ---------- start lines ---------- */

struct sl_case {
	const char *line;
	const char *why;       /* NULL: valid */
	bool req;
	const char *method;    /* or the reason phrase of a response */
	enum sip_method mid;
	unsigned scode;
	const char *version;
	bool version_ok;
};

#define SL_BAD(l, w) { .line = (l), .why = (w) }

static const struct sl_case sl_cases[] = {
	{ "INVITE sip:bob@example.com SIP/2.0", NULL, true, "INVITE", SIP_M_INVITE, 0, "2.0",
	  true },
	{ "REGISTER sip:example.com SIP/2.0", NULL, true, "REGISTER", SIP_M_REGISTER, 0, "2.0",
	  true },
	{ "FOO.bar! sip:bob@example.com SIP/2.0", NULL, true, "FOO.bar!", SIP_M_OTHER, 0,
	  "2.0", true },
	{ "invite sip:bob@example.com SIP/2.0", NULL, true, "invite", SIP_M_OTHER, 0, "2.0",
	  true },
	/* the version string is case-insensitive (RFC 3261 7.1) */
	{ "INVITE sip:bob@example.com sip/2.0", NULL, true, "INVITE", SIP_M_INVITE, 0, "2.0",
	  true },
	{ "INVITE sip:bob@example.com SIP/3.0", NULL, true, "INVITE", SIP_M_INVITE, 0, "3.0",
	  false },
	{ "INVITE sip:bob@example.com SIP/12.34", NULL, true, "INVITE", SIP_M_INVITE, 0,
	  "12.34", false },
	{ "INVITE mailto:bob@example.com SIP/2.0", NULL, true, "INVITE", SIP_M_INVITE, 0, "2.0",
	  true },
	SL_BAD("INVITE sip:bob@example.com", "Bad Request-Line"),
	SL_BAD("INVITE sip:bob@example.com ", "Bad Request-Line: SIP-Version"),
	SL_BAD("INVITE sip:bob@example.com SIP/2.0 ", "Bad Request-Line: SIP-Version"),
	SL_BAD("INVITE  sip:bob@example.com SIP/2.0", "Bad Request-Line"),
	SL_BAD("INVITE sip:bob@example.com  SIP/2.0", "Bad Request-Line: SIP-Version"),
	SL_BAD(" INVITE sip:bob@example.com SIP/2.0", "Bad Request-Line: method"),
	SL_BAD("INVITE\tsip:bob@example.com SIP/2.0", "Bad Request-Line: method"),
	SL_BAD("INV:ITE sip:bob@example.com SIP/2.0", "Bad Request-Line: method"),
	SL_BAD("INVITE", "Bad Request-Line: method"),
	SL_BAD("INVITE sip:bob@example.com SIP/2", "Bad Request-Line: SIP-Version"),
	SL_BAD("INVITE sip:bob@example.com SIP/.0", "Bad Request-Line: SIP-Version"),
	SL_BAD("INVITE sip:bob@example.com SIP/2.", "Bad Request-Line: SIP-Version"),
	SL_BAD("INVITE sip:bob@example.com SIP/2.0a", "Bad Request-Line: SIP-Version"),
	SL_BAD("INVITE sip:bob@example.com HTTP/1.1", "Bad Request-Line: SIP-Version"),
	SL_BAD("INVITE sip:bob@exa mple.com SIP/2.0", "Bad Request-Line: SIP-Version"),
	SL_BAD("INVITE bob SIP/2.0", "Bad Request-URI"),
	SL_BAD("INVITE sip:bob@example.com:0 SIP/2.0", "Bad Request-URI"),
	SL_BAD("INVITE sip:bob@example.com?Subject=x SIP/2.0",
	       "Bad Request-URI: headers not allowed"),
	{ "SIP/2.0 200 OK", NULL, false, "OK", SIP_M_OTHER, 200, "2.0", true },
	{ "SIP/2.0 100 Trying", NULL, false, "Trying", SIP_M_OTHER, 100, "2.0", true },
	{ "SIP/2.0 699 Whatever it is", NULL, false, "Whatever it is", SIP_M_OTHER, 699, "2.0",
	  true },
	{ "sip/2.0 180 Ringing", NULL, false, "Ringing", SIP_M_OTHER, 180, "2.0", true },
	{ "SIP/2.0 100 ", NULL, false, "", SIP_M_OTHER, 100, "2.0", true },
	{ "SIP/2.0 100", NULL, false, "", SIP_M_OTHER, 100, "2.0", true },
	{ "SIP/2.0 486  Busy", NULL, false, " Busy", SIP_M_OTHER, 486, "2.0", true },
	{ "SIP/3.0 200 OK", NULL, false, "OK", SIP_M_OTHER, 200, "3.0", false },
	SL_BAD("SIP/2.0 099 Too Low", "Bad Status-Code"),
	SL_BAD("SIP/2.0 000 Zero", "Bad Status-Code"),
	SL_BAD("SIP/2.0 700 Too High", "Bad Status-Code"),
	SL_BAD("SIP/2.0 1000 Four Digits", "Bad Status-Code"),
	SL_BAD("SIP/2.0 20 OK", "Bad Status-Code"),
	SL_BAD("SIP/2.0 200OK", "Bad Status-Code"),
	SL_BAD("SIP/2.0  200 OK", "Bad Status-Code"),
	SL_BAD("SIP/2.0 2x0 OK", "Bad Status-Code"),
	SL_BAD("SIP/2.0", "Bad Status-Line"),
	SL_BAD("SIP/20 200 OK", "Bad Status-Line"),
	SL_BAD("SIP/2.0x 200 OK", "Bad Status-Line"),
	SL_BAD("SIP/ 200 OK", "Bad Status-Line"),
};

static void test_start_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(sl_cases); i++) {
		const struct sl_case *c = &sl_cases[i];
		char text[512];
		int n = snprintf(text, sizeof(text), "%s\r\n" BASE_HDRS "\r\n", c->line);
		struct sip_msg *m;

		if (c->why) {
			parse_bad(c->line, text, (size_t)n, 0, c->why);
			continue;
		}
		m = parse_ok(c->line, text, (size_t)n, 0);
		if (m->req != c->req)
			fail_msg("%s: req %d", c->line, m->req);
		if (c->req) {
			expect_pl(c->line, "method", &m->method, c->method);
			if (m->mid != c->mid)
				fail_msg("%s: mid %d, expected %d", c->line, m->mid, c->mid);
			if (m->ruri_text.p != m->method.p + m->method.l + 1)
				fail_msg("%s: ruri_text", c->line);
		} else {
			expect_pl(c->line, "reason", &m->reason, c->method);
			if (m->scode != c->scode)
				fail_msg("%s: scode %u", c->line, m->scode);
		}
		expect_pl(c->line, "version", &m->version, c->version);
		if (sip_msg_version_ok(m) != c->version_ok)
			fail_msg("%s: version_ok", c->line);
		sip_msg_free(m);
	}
}

/* Leading CRLFs before the start line are skipped (RFC 3261 7.5); an
 * empty or CRLF-only datagram is not a message. */
static void test_leading_crlf(void **state)
{
	static const char text[] = "\r\n\r\n\n" REQ_LINE BASE_HDRS "\r\n";
	struct sip_msg *m;

	(void)state;
	m = parse_ok("leading CRLF", text, sizeof(text) - 1, 0);
	assert_true(pl_eq_str(&m->method, "INVITE"));
	assert_int_equal(m->len, sizeof(text) - 1 - 5);
	assert_ptr_equal(m->buf, m->method.p);
	sip_msg_free(m);
	parse_bad("empty", "", 0, 0, "Empty message");
	parse_bad("CRLF only", "\r\n\r\n", 4, 0, "Empty message");
	parse_bad("no empty line", REQ_LINE BASE_HDRS, strlen(REQ_LINE BASE_HDRS), 0,
		  "Incomplete header section (no empty line)");
	parse_bad("start line only", "INVITE sip:a@b SIP/2.0", 22, 0,
		  "Incomplete header section (no empty line)");
	/* bare LF line ends are accepted */
	m = parse_str("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h\nCall-ID: x\n\nbody");
	assert_int_equal(m->nhdr, 2);
	assert_true(pl_eq_str(&m->callid, "x"));
	assert_true(pl_eq_str(&m->body, "body"));
	sip_msg_free(m);
}

/* ---------- header names ---------- */

struct compact_case {
	char letter;
	enum sip_hdr_id id;
	const char *val;
};

static const struct compact_case compact_cases[] = {
	{ 'i', SIP_H_CALL_ID, "abc@host" },
	{ 'm', SIP_H_CONTACT, "<sip:a@h>" },
	{ 'e', SIP_H_CONTENT_ENCODING, "gzip" },
	{ 'l', SIP_H_CONTENT_LENGTH, "0" },
	{ 'c', SIP_H_CONTENT_TYPE, "text/plain" },
	{ 'f', SIP_H_FROM, "<sip:a@h>;tag=x" },
	{ 's', SIP_H_SUBJECT, "hello" },
	{ 'k', SIP_H_SUPPORTED, "timer" },
	{ 't', SIP_H_TO, "<sip:b@h>" },
	{ 'v', SIP_H_VIA, "SIP/2.0/UDP h" },
	{ 'o', SIP_H_EVENT, "presence" },
	{ 'u', SIP_H_ALLOW_EVENTS, "presence" },
	{ 'r', SIP_H_REFER_TO, "<sip:c@h>" },
	{ 'b', SIP_H_REFERRED_BY, "<sip:d@h>" },
	{ 'x', SIP_H_SESSION_EXPIRES, "1800" },
	{ 'a', SIP_H_ACCEPT_CONTACT, "*;audio" },
	{ 'j', SIP_H_REJECT_CONTACT, "*;video" },
	{ 'd', SIP_H_REQUEST_DISPOSITION, "proxy" },
};

static void check_compact_decoded(char letter, const struct sip_msg *m)
{
	bool ok = true;

	switch (letter) {
	case 'i': ok = pl_eq_str(&m->callid, "abc@host"); break;
	case 'm': ok = m->ncontact == 1 && pl_eq_str(&m->contact->uri.host, "h"); break;
	case 'l': ok = m->has_clen && m->clen == 0; break;
	case 'c': ok = pl_eq_str(&m->ctype, "text/plain"); break;
	case 'f': ok = m->has_from && pl_eq_str(&m->from.tag, "x"); break;
	case 't': ok = m->has_to && pl_eq_str(&m->to.uri.user, "b"); break;
	case 'v': ok = m->nvia == 1 && pl_eq_str(&m->via->host, "h"); break;
	default: break;
	}
	if (!ok)
		fail_msg("compact '%c': value not decoded", letter);
}

static void test_compact_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(compact_cases); i++) {
		const struct compact_case *c = &compact_cases[i];
		for (int upper = 0; upper < 2; upper++) {
			char text[256], what[32];
			char l = upper ? (char)(c->letter - 'a' + 'A') : c->letter;
			int n = snprintf(text, sizeof(text), REQ_LINE "%c: %s\r\n\r\n", l, c->val);
			struct sip_msg *m;
			const struct sip_hdr *h;
			struct buf b;

			snprintf(what, sizeof(what), "compact '%c'", l);
			m = parse_ok(what, text, (size_t)n, 0);
			assert_int_equal(m->nhdr, 1);
			h = sip_msg_hdr(m, c->id);
			if (h != &m->hdrs[0] || h->id != c->id)
				fail_msg("%s: id %d, expected %d", what, m->hdrs[0].id, c->id);
			assert_int_equal(h->name.l, 1);
			assert_int_equal(h->name.p[0], l);
			expect_pl(what, "value", &h->val, c->val);
			check_compact_decoded(c->letter, m);
			/* printed with the long name */
			buf_init(&b, 0);
			assert_int_equal(sip_msg_print(m, &b), 0);
			if (!strstr(buf_cstr(&b), sip_hdr_name(c->id)))
				fail_msg("%s: printed without %s", what, sip_hdr_name(c->id));
			buf_free(&b);
			sip_msg_free(m);
		}
	}
}

/* Every name in the table, in any case, maps to its id; near misses do not. */
static void test_hdr_lookup(void **state)
{
	static const char compact_ids[] = "abcdefghijklmnopqrstuvwxyz";
	const struct {
		struct pl name;
		enum sip_hdr_id id;
	} extra[] = {
		{ LIT(""), SIP_H_OTHER },
		{ LIT("Q"), SIP_H_OTHER },
		{ LIT("X"), SIP_H_SESSION_EXPIRES },
		{ LIT("1"), SIP_H_OTHER },
		{ LIT("-"), SIP_H_OTHER },
		{ LIT("Vi"), SIP_H_OTHER },
		{ LIT("Viaa"), SIP_H_OTHER },
		{ LIT("T0"), SIP_H_OTHER },
		{ LIT("Tp"), SIP_H_OTHER },
		{ LIT("X-Via"), SIP_H_OTHER },
		{ LIT("Call_ID"), SIP_H_OTHER },
		{ LIT("CallID"), SIP_H_OTHER },
		{ LIT("Call-Id"), SIP_H_CALL_ID },
		{ LIT("Call\rID"), SIP_H_OTHER },
		{ LIT("Call\x0dID"), SIP_H_OTHER },
		{ LIT("C@ll-ID"), SIP_H_OTHER },  /* '@' | 0x20 is '`' */
		{ LIT("\x03all-ID"), SIP_H_OTHER },
		{ LIT("Content-Lengt"), SIP_H_OTHER },
		{ LIT("Content-Lengthh"), SIP_H_OTHER },
		{ LIT("Content-Length "), SIP_H_OTHER },
		{ LIT("Content-Lenhtg"), SIP_H_OTHER },
		{ LIT("Content\x0dLength"), SIP_H_OTHER },
		{ LIT("Fro\xcd"), SIP_H_OTHER },
		{ LIT("\xc6rom"), SIP_H_OTHER },
		{ LIT("Frmo"), SIP_H_OTHER },
		{ LIT("Rout"), SIP_H_OTHER },
		{ LIT("Record-route"), SIP_H_RECORD_ROUTE },
		{ LIT("cseq"), SIP_H_CSEQ },
		{ LIT("CSEQ"), SIP_H_CSEQ },
		{ LIT("call-id"), SIP_H_CALL_ID },
		{ LIT("www-authenticate"), SIP_H_WWW_AUTHENTICATE },
		{ LIT("MAX-FORWARDS"), SIP_H_MAX_FORWARDS },
		{ LIT("Max_Forwards"), SIP_H_OTHER },
		{ LIT("Max-Forwards\0"), SIP_H_OTHER },
		{ LIT("Max\0Forwards"), SIP_H_OTHER },
		{ LIT("P-Asserted-Identity"), SIP_H_P_ASSERTED_IDENTITY },
		{ LIT("P-Asserted-Identitx"), SIP_H_OTHER },
		{ LIT("Proxy-Authorizatioo"), SIP_H_OTHER },
		{ LIT("Vi\x01"), SIP_H_OTHER },
		{ LIT("\x16ia"), SIP_H_OTHER },
		{ LIT("V{a"), SIP_H_OTHER },      /* '[' | 0x20 is '{' */
		{ LIT("Via\0"), SIP_H_OTHER },
	};

	(void)state;
	for (int id = 1; id < SIP_H_NUM; id++) {
		const char *name = sip_hdr_name((enum sip_hdr_id)id);
		char v[64];
		size_t n;

		assert_non_null(name);
		n = strlen(name);
		assert_true(n < sizeof(v) - 1);
		if ((int)sip_hdr_lookup(name, n) != id)
			fail_msg("%s: lookup gives %d", name, sip_hdr_lookup(name, n));
		for (size_t k = 0; k <= n; k++)
			v[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
		if ((int)sip_hdr_lookup(v, n) != id)
			fail_msg("%s: lower case not found", name);
		for (size_t k = 0; k <= n; k++)
			v[k] = (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32 : name[k]);
		if ((int)sip_hdr_lookup(v, n) != id)
			fail_msg("%s: upper case not found", name);
		/* one byte shorter (but "T" is the compact To), one longer, the
		 * last byte changed */
		if ((int)sip_hdr_lookup(name, n - 1) == id && id != SIP_H_TO)
			fail_msg("%s: prefix matches", name);
		memcpy(v, name, n);
		v[n] = 'x';
		if ((int)sip_hdr_lookup(v, n + 1) == id)
			fail_msg("%s: longer name matches", name);
		v[n - 1] ^= 0x01;
		if ((int)sip_hdr_lookup(v, n) == id)
			fail_msg("%s: changed name matches", name);
		/* a byte that differs only in bit 5 is another byte unless it is a letter */
		for (size_t k = 0; k < n; k++) {
			memcpy(v, name, n);
			if ((name[k] | 0x20) >= 'a' && (name[k] | 0x20) <= 'z')
				continue;
			v[k] ^= 0x20;
			if ((int)sip_hdr_lookup(v, n) == id)
				fail_msg("%s: byte %zu with bit 5 flipped matches", name, k);
		}
	}
	for (size_t i = 0; i < N_ELEM(extra); i++) {
		const struct pl *x = &extra[i].name;
		if (sip_hdr_lookup(x->p, x->l) != extra[i].id)
			fail_msg("\"%.*s\": lookup gives %d, expected %d", PL_ARG(*x),
				 sip_hdr_lookup(x->p, x->l), extra[i].id);
	}
	/* compact forms: exactly the letters RFC 3261 and extensions define */
	for (size_t i = 0; i < 26; i++) {
		enum sip_hdr_id want = SIP_H_OTHER;
		char up = (char)(compact_ids[i] - 32);
		for (size_t k = 0; k < N_ELEM(compact_cases); k++)
			if (compact_cases[k].letter == compact_ids[i])
				want = compact_cases[k].id;
		if (sip_hdr_lookup(&compact_ids[i], 1) != want || sip_hdr_lookup(&up, 1) != want)
			fail_msg("compact '%c': lookup gives %d", compact_ids[i],
				 sip_hdr_lookup(&compact_ids[i], 1));
	}
	assert_null(sip_hdr_name(SIP_H_OTHER));
	assert_null(sip_hdr_name(SIP_H_NUM));
}

static void test_method_id(void **state)
{
	struct pl x;

	(void)state;
	for (int i = 1; i < SIP_M_NUM; i++) {
		x = pl_cstr(sip_method_name((enum sip_method)i));
		assert_int_equal(sip_method_id(&x), i);
	}
	x = PL("invite");
	assert_int_equal(sip_method_id(&x), SIP_M_OTHER);
	x = PL("INVITEX");
	assert_int_equal(sip_method_id(&x), SIP_M_OTHER);
	x = PL("INVIT");
	assert_int_equal(sip_method_id(&x), SIP_M_OTHER);
	x = PL("AC");
	assert_int_equal(sip_method_id(&x), SIP_M_OTHER);
	assert_string_equal(sip_method_name(SIP_M_OTHER), "UNKNOWN");
	assert_string_equal(sip_method_name(SIP_M_NUM), "UNKNOWN");
}

/* Header line syntax outside the values. */
static void test_header_lines(void **state)
{
	static const struct {
		const char *hdrs;
		const char *why;   /* NULL: valid, with this name and value */
		const char *name, *val;
	} cases[] = {
		{ " Subject: x\r\n", "Bad header: continuation line without a header", NULL, NULL },
		{ "\tSubject: x\r\n", "Bad header: continuation line without a header", NULL, NULL },
		{ ": x\r\n", "Bad header line", NULL, NULL },
		{ "@: x\r\n", "Bad header line", NULL, NULL },
		{ "Sub ject: x\r\n", "Bad header line: missing colon", NULL, NULL },
		{ "Subject x\r\n", "Bad header line: missing colon", NULL, NULL },
		{ "Subject\r\n", "Bad header line: missing colon", NULL, NULL },
		{ "Subj\"ect: x\r\n", "Bad header line: missing colon", NULL, NULL },
		{ "Subject : x\r\n", NULL, "Subject", "x" },
		{ "Subject\t:\tx\r\n", NULL, "Subject", "x" },
		{ "Subject:x\r\n", NULL, "Subject", "x" },
		{ "Subject:\r\n", NULL, "Subject", "" },
		{ "X-Empty:   \r\n", NULL, "X-Empty", "" },
		{ "X-A: b:c:d\r\n", NULL, "X-A", "b:c:d" },
		{ "X-\xff: y\r\n", "Bad header line: missing colon", NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char text[512];
		int n = snprintf(text, sizeof(text), REQ_LINE "%s" BASE_HDRS "\r\n", cases[i].hdrs);
		struct sip_msg *m;

		if (cases[i].why) {
			parse_bad(cases[i].hdrs, text, (size_t)n, 0, cases[i].why);
			continue;
		}
		m = parse_ok(cases[i].hdrs, text, (size_t)n, 0);
		expect_pl(cases[i].hdrs, "name", &m->hdrs[0].name, cases[i].name);
		expect_pl(cases[i].hdrs, "value", &m->hdrs[0].val, cases[i].val);
		assert_int_equal(m->nhdr, 7);
		sip_msg_free(m);
	}
}

/* ---------- folding ---------- */

static bool has_crlf(const struct pl *x)
{
	return pl_chr(x, '\r') || pl_chr(x, '\n');
}

static void test_folding(void **state)
{
	static const char text[] =
		REQ_LINE
		"Subject: I know you're there,\r\n"
		" pick up the phone\r\n"
		"\tand talk to me!\r\n"
		"Via: SIP/2.0/UDP h1;branch=z9hG4bKa,\r\n"
		"  SIP/2.0/UDP h2;branch=z9hG4bKb\r\n"
		"From: \"Alice\"\r\n <sip:alice@example.com>\r\n ;tag=77\r\n"
		"To:\r\n <sip:bob@example.com>\r\n"
		"Call-ID: c1\r\n"
		"CSeq: 1\r\n INVITE\r\n"
		"X-Fold-End: x\r\n \r\n"
		"Max-Forwards: 70\n\t\n"
		"\r\nbody";
	struct sip_msg *m;
	const struct sip_hdr *h;

	(void)state;
	m = parse_ok("folding", text, sizeof(text) - 1, 0);
	assert_int_equal(m->nhdr, 8);
	for (unsigned i = 0; i < m->nhdr; i++)
		if (has_crlf(&m->hdrs[i].val) || has_crlf(&m->hdrs[i].name))
			fail_msg("header %u holds CR or LF", i);
	h = sip_msg_hdr(m, SIP_H_SUBJECT);
	assert_non_null(h);
	expect_pl("fold", "Subject", &h->val,
		  "I know you're there,   pick up the phone  \tand talk to me!");
	assert_int_equal(m->nvia, 2);
	expect_pl("fold", "via 2", &m->via->next->host, "h2");
	expect_pl("fold", "from dname", &m->from.dname, "\"Alice\"");
	expect_pl("fold", "from tag", &m->from.tag, "77");
	expect_pl("fold", "to", &m->to.auri, "sip:bob@example.com");
	expect_pl("fold", "to value", &sip_msg_hdr(m, SIP_H_TO)->val, "<sip:bob@example.com>");
	expect_pl("fold", "cseq", &m->cseq.method, "INVITE");
	expect_pl("fold", "X-Fold-End", &sip_msg_hdr_by_name(m, "x-fold-end")->val, "x");
	assert_int_equal(m->maxfwd, 70);
	expect_pl("fold", "body", &m->body, "body");
	sip_msg_free(m);
}

/* ---------- multi-valued headers ---------- */

static void test_multi_values(void **state)
{
	static const char text[] =
		REQ_LINE
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5061"
		";branch=z9hG4bK2 ,SIP/2.0/TLS [2001:db8::3];branch=z9hG4bK3\r\n"
		"Route: <sip:r1.example.com;lr>, <sip:r2.example.com;lr>\r\n"
		"Contact: <sip:c1@h1>;q=0.7, \"Doe, John\" <sip:c2@h2>;expires=60\r\n"
		"Record-Route: <sip:rr1.example.com;lr>\r\n"
		"Via: SIP/2.0/SCTP d.example.com;branch=z9hG4bK4\r\n"
		BASE_HDRS_NO_VIA
		"m: sip:c3@h3;q=1\r\n"
		"Record-Route: <sip:rr2.example.com;lr>,<sip:rr3.example.com:5070;lr>\r\n"
		"Route: <sip:r3.example.com;lr>\r\n"
		"\r\n";
	static const char *const vias[] = { "a.example.com", "b.example.com", "2001:db8::3",
					    "d.example.com" };
	static const char *const routes[] = { "r1.example.com", "r2.example.com",
					      "r3.example.com" };
	static const char *const rrs[] = { "rr1.example.com", "rr2.example.com",
					   "rr3.example.com" };
	static const char *const contacts[] = { "h1", "h2", "h3" };
	struct sip_msg *m;
	unsigned k;

	(void)state;
	m = parse_ok("multi", text, sizeof(text) - 1, 0);
	assert_int_equal(m->nvia, 4);
	assert_int_equal(sip_msg_hdr_count(m, SIP_H_VIA), 2);
	k = 0;
	for (const struct sip_via *v = m->via; v; v = v->next, k++)
		expect_pl("via", vias[k], &v->host, vias[k]);
	assert_int_equal(k, 4);
	expect_pl("via", "transport", &m->via->next->transport, "TCP");
	assert_int_equal(m->via->next->port, 5061);
	expect_pl("via", "val", &m->via->next->val,
		  "SIP/2.0/TCP b.example.com:5061;branch=z9hG4bK2");
	assert_true(m->via->next->next->ipv6);
	expect_pl("via", "transport", &m->via->next->next->next->transport, "SCTP");

	assert_int_equal(m->nroute, 3);
	assert_int_equal(sip_msg_hdr_count(m, SIP_H_ROUTE), 2);
	k = 0;
	for (const struct sip_addr *a = m->route; a; a = a->next, k++)
		expect_pl("route", routes[k], &a->uri.host, routes[k]);
	assert_int_equal(k, 3);

	assert_int_equal(m->nrroute, 3);
	assert_int_equal(sip_msg_hdr_count(m, SIP_H_RECORD_ROUTE), 2);
	k = 0;
	for (const struct sip_addr *a = m->rroute; a; a = a->next, k++)
		expect_pl("rr", rrs[k], &a->uri.host, rrs[k]);
	assert_int_equal(k, 3);
	assert_int_equal(m->rroute->next->next->uri.port, 5070);

	assert_int_equal(m->ncontact, 3);
	assert_int_equal(sip_msg_hdr_count(m, SIP_H_CONTACT), 2);
	k = 0;
	for (const struct sip_addr *a = m->contact; a; a = a->next, k++)
		expect_pl("contact", contacts[k], &a->uri.host, contacts[k]);
	assert_int_equal(k, 3);
	expect_pl("contact", "dname", &m->contact->next->dname, "\"Doe, John\"");
	expect_pl("contact", "params", &m->contact->next->params, ";expires=60");
	expect_pl("contact", "val", &m->contact->val, "<sip:c1@h1>;q=0.7");
	expect_pl("contact", "params 3", &m->contact->next->next->params, ";q=1");
	assert_false(m->contact->next->next->angle);
	assert_false(m->contact_star);
	sip_msg_free(m);
}

static void test_multi_values_bad(void **state)
{
	static const struct {
		const char *hdr;
		const char *why;
	} cases[] = {
		{ "Via: SIP/2.0/UDP a;branch=z9hG4bK1,\r\n", "Bad Via header" },
		{ "Via: SIP/2.0/UDP a;branch=z9hG4bK1,,SIP/2.0/UDP b\r\n", "Bad Via header" },
		{ "Via:\r\n", "Bad Via header" },
		{ "Via: ,SIP/2.0/UDP a\r\n", "Bad Via header" },
		{ "Contact: <sip:a@h>,\r\n", "Bad Contact header" },
		{ "Contact: <sip:a@h> <sip:b@h>\r\n", "Bad Contact header" },
		{ "Contact:\r\n", "Bad Contact header" },
		{ "Route: <sip:a@h>;lr,\r\n", "Bad Route header" },
		{ "Route:\r\n", "Bad Route header" },
		{ "Record-Route: ,<sip:a@h>\r\n", "Bad Record-Route header" },
		{ "Record-Route: <sip:a@h>;\r\n", "Bad Record-Route header" },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char text[512];
		int n = snprintf(text, sizeof(text), REQ_LINE BASE_HDRS "%s\r\n", cases[i].hdr);
		parse_bad(cases[i].hdr, text, (size_t)n, 0, cases[i].why);
	}
}

/* SIP_MAX_VALUES bounds the values of all list headers together. */
static void test_value_limit(void **state)
{
	struct buf b;

	(void)state;
	for (unsigned extra = 0; extra < 2; extra++) {
		buf_init(&b, 0);
		buf_puts(&b, REQ_LINE "Via: SIP/2.0/UDP h0");
		for (unsigned i = 1; i < SIP_MAX_VALUES + extra; i++)
			buf_printf(&b, ",SIP/2.0/UDP h%u", i);
		buf_puts(&b, "\r\n" BASE_HDRS_NO_VIA "\r\n");
		if (!extra) {
			struct sip_msg *m = parse_ok("max values", b.p, b.len, 0);
			assert_int_equal(m->nvia, SIP_MAX_VALUES);
			sip_msg_free(m);
		} else {
			parse_bad("max values + 1", b.p, b.len, 0, "Too many header values");
		}
		buf_free(&b);
	}
}

/* ---------- Via ---------- */

struct via_case {
	const char *text;
	int err;
	const char *transport, *host;
	unsigned port;
	bool ipv6;
	const char *branch, *received;
	bool rport;
	const char *rport_val; /* NULL: unset; "": present without value */
	const char *maddr;
	int ttl;
	const char *params;
	const char *val;       /* NULL: the whole text */
};

#define VIA_BAD(t) { .text = (t), .err = EBADMSG }

static const struct via_case via_cases[] = {
	{ "SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds", 0, "UDP", "pc33.example.com", 0,
	  false, "z9hG4bK776asdhds", NULL, false, NULL, NULL, -1, ";branch=z9hG4bK776asdhds", NULL },
	{ "SIP/2.0/TCP 192.0.2.1:5061;branch=z9hG4bKx", 0, "TCP", "192.0.2.1", 5061, false,
	  "z9hG4bKx", NULL, false, NULL, NULL, -1, ";branch=z9hG4bKx", NULL },
	{ "SIP/2.0/UDP h", 0, "UDP", "h", 0, false, NULL, NULL, false, NULL, NULL, -1, NULL, NULL },
	{ "SIP/2.0/UDP h:65535", 0, "UDP", "h", 65535, false, NULL, NULL, false, NULL, NULL, -1,
	  NULL, NULL },
	{ "SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKx", 0, "UDP", "2001:db8::9:1", 5070,
	  true, "z9hG4bKx", NULL, false, NULL, NULL, -1, ";branch=z9hG4bKx", NULL },
	{ "SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKx", 0, "UDP",
	  "2001:db8::9:1", 0, true, "z9hG4bKx", "2001:db8::9:255", false, NULL, NULL, -1,
	  ";received=[2001:db8::9:255];branch=z9hG4bKx", NULL },
	{ "SIP/2.0/UDP h;received=2001:db8::9:255", 0, "UDP", "h", 0, false, NULL,
	  "2001:db8::9:255", false, NULL, NULL, -1, ";received=2001:db8::9:255", NULL },
	{ "SIP/2.0/UDP h;received=192.0.2.4;rport=5062", 0, "UDP", "h", 0, false, NULL,
	  "192.0.2.4", true, "5062", NULL, -1, ";received=192.0.2.4;rport=5062", NULL },
	{ "SIP/2.0/UDP h;rport;branch=z9hG4bKy", 0, "UDP", "h", 0, false, "z9hG4bKy", NULL,
	  true, "", NULL, -1, ";rport;branch=z9hG4bKy", NULL },
	{ "SIP/2.0/UDP h;rport=0", 0, "UDP", "h", 0, false, NULL, NULL, true, "0", NULL, -1,
	  ";rport=0", NULL },
	{ "SIP/2.0/UDP h;maddr=224.2.0.1;ttl=16", 0, "UDP", "h", 0, false, NULL, NULL, false,
	  NULL, "224.2.0.1", 16, ";maddr=224.2.0.1;ttl=16", NULL },
	{ "SIP/2.0/UDP h;ttl=0", 0, "UDP", "h", 0, false, NULL, NULL, false, NULL, NULL, 0,
	  ";ttl=0", NULL },
	{ "SIP/2.0/UDP h;ttl=255", 0, "UDP", "h", 0, false, NULL, NULL, false, NULL, NULL, 255,
	  ";ttl=255", NULL },
	{ "SIP/2.0/UDP h;ttl=007", 0, "UDP", "h", 0, false, NULL, NULL, false, NULL, NULL, 7,
	  ";ttl=007", NULL },
	/* names without case; LWS around '/', ':', ';' and '=' */
	{ "SIP/2.0/UDP h;BRANCH=z9hG4bKq;Received=1.2.3.4;RPORT;MADDR=m;TTL=1", 0, "UDP", "h",
	  0, false, "z9hG4bKq", "1.2.3.4", true, "", "m", 1,
	  ";BRANCH=z9hG4bKq;Received=1.2.3.4;RPORT;MADDR=m;TTL=1", NULL },
	{ "SIP / 2.0 / UDP  h : 5060 ; branch = z9hG4bKs", 0, "UDP", "h", 5060, false,
	  "z9hG4bKs", NULL, false, NULL, NULL, -1, "; branch = z9hG4bKs", NULL },
	{ "sip/2.0/tls h", 0, "tls", "h", 0, false, NULL, NULL, false, NULL, NULL, -1, NULL, NULL },
	{ "SIP/2.0/UDP h;branchx=1;xbranch=2;rports;ttlx=abc", 0, "UDP", "h", 0, false, NULL,
	  NULL, false, NULL, NULL, -1, ";branchx=1;xbranch=2;rports;ttlx=abc", NULL },
	{ "SIP/2.0/UDP h;x=\"quoted, comma;\";y", 0, "UDP", "h", 0, false, NULL, NULL, false,
	  NULL, NULL, -1, ";x=\"quoted, comma;\";y", NULL },
	/* the last of a repeated parameter wins */
	{ "SIP/2.0/UDP h;branch=z9hG4bKa;branch=z9hG4bKb", 0, "UDP", "h", 0, false,
	  "z9hG4bKb", NULL, false, NULL, NULL, -1, ";branch=z9hG4bKa;branch=z9hG4bKb", NULL },
	/* trailing blanks are not part of the value */
	{ "SIP/2.0/UDP h:5060 ", 0, "UDP", "h", 5060, false, NULL, NULL, false, NULL, NULL, -1,
	  NULL, "SIP/2.0/UDP h:5060" },
	{ "  SIP/2.0/UDP h;lr  ", 0, "UDP", "h", 0, false, NULL, NULL, false, NULL, NULL, -1,
	  ";lr", "SIP/2.0/UDP h;lr" },
	VIA_BAD("SIP/2.0/UDP h;ttl=256"),
	VIA_BAD("SIP/2.0/UDP h;ttl=-1"),
	VIA_BAD("SIP/2.0/UDP h;ttl"),
	VIA_BAD("SIP/2.0/UDP h;ttl=1;ttl=300"),
	VIA_BAD("SIP/2.0/UDP h;ttl=99999999999"),
	VIA_BAD("SIP/2.0/UDP h;rport=65536"),
	VIA_BAD("SIP/2.0/UDP h;rport=abc"),
	VIA_BAD("SIP/2.0/UDP h;rport=123456"),
	VIA_BAD("SIP/2.0/UDP h;maddr"),
	VIA_BAD("SIP/2.0/UDP h;branch"),
	VIA_BAD("SIP/2.0/UDP h;branch=\"z9hG4bK\""),
	VIA_BAD("SIP/2.0/UDP h;received"),
	VIA_BAD("SIP/2.0/UDP h;received=[]"),
	VIA_BAD("SIP/2.0/UDP h;branch="),
	VIA_BAD("SIP/2.0/UDPh"),
	VIA_BAD("SIP/2.0/UDP"),
	VIA_BAD("SIP/2.0/UDP "),
	VIA_BAD("SIP/2.0 UDP h"),
	VIA_BAD("SIP/2.0/ h"),
	VIA_BAD("SIP//UDP h"),
	VIA_BAD("/2.0/UDP h"),
	VIA_BAD("SIP/2.0/UDP h:0"),
	VIA_BAD("SIP/2.0/UDP h:65536"),
	VIA_BAD("SIP/2.0/UDP h:"),
	VIA_BAD("SIP/2.0/UDP h:x"),
	VIA_BAD("SIP/2.0/UDP h;"),
	VIA_BAD("SIP/2.0/UDP h;;branch=z9hG4bKa"),
	VIA_BAD("SIP/2.0/UDP h branch=z9hG4bKa"),
	VIA_BAD("SIP/2.0/UDP [2001:db8::1"),
	VIA_BAD("SIP/2.0/UDP []"),
	VIA_BAD("SIP/2.0/UDP [abcd]"),
	VIA_BAD("SIP/2.0/UDP h;x=\"open"),
	VIA_BAD("SIP/2.0/UDP h,"),
	VIA_BAD("SIP/2.0/UDP h, "),
	VIA_BAD(""),
};

static void check_via(const struct via_case *c, const struct sip_via *v)
{
	const char *w = c->text;

	expect_pl(w, "version", &v->version, "2.0");
	expect_pl(w, "transport", &v->transport, c->transport);
	expect_pl(w, "host", &v->host, c->host);
	if (v->port != c->port || v->ipv6 != c->ipv6)
		fail_msg("%s: port %u ipv6 %d", w, v->port, v->ipv6);
	expect_pl(w, "branch", &v->branch, c->branch);
	expect_pl(w, "received", &v->received, c->received);
	if (v->rport != c->rport)
		fail_msg("%s: rport %d", w, v->rport);
	expect_pl(w, "rport_val", &v->rport_val, c->rport_val);
	expect_pl(w, "maddr", &v->maddr, c->maddr);
	if (v->ttl != c->ttl)
		fail_msg("%s: ttl %d, expected %d", w, v->ttl, c->ttl);
	expect_pl(w, "params", &v->params, c->params);
	expect_pl(w, "val", &v->val, c->val ? c->val : c->text);
	assert_null(v->next);
}

static void test_via(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(via_cases); i++) {
		const struct via_case *c = &via_cases[i];
		struct pl rest = pl_cstr(c->text);
		struct sip_via v, untouched;
		char text[512];
		int err, n;

		memset(&v, 0x5a, sizeof(v));
		untouched = v;
		err = sip_via_parse_next(&v, &rest);
		if (err != c->err)
			fail_msg("\"%s\": expected %d, got %d", c->text, c->err, err);
		n = snprintf(text, sizeof(text), REQ_LINE "Via: %s\r\n" BASE_HDRS_NO_VIA "\r\n",
			     c->text);
		if (err) {
			if (memcmp(&v, &untouched, sizeof(v)) != 0)
				fail_msg("\"%s\": out-struct modified on failure", c->text);
			parse_bad(c->text, text, (size_t)n, 0, "Bad Via header");
			continue;
		}
		if (rest.l != 0)
			fail_msg("\"%s\": %zu bytes left", c->text, rest.l);
		check_via(c, &v);
		/* the same inside a message (where the value is trimmed) */
		{
			struct sip_msg *m = parse_ok(c->text, text, (size_t)n, 0);
			assert_int_equal(m->nvia, 1);
			check_via(c, m->via);
			sip_msg_free(m);
		}
	}
}

/* Iterating a list: each call consumes one value and its comma. */
static void test_via_next(void **state)
{
	struct pl rest = pl_cstr("SIP/2.0/UDP h1;branch=z9hG4bK1 , SIP/2.0/TCP h2:5061 ,\t"
				 "SIP/2.0/UDP [::1]");
	struct sip_via v;

	(void)state;
	assert_int_equal(sip_via_parse_next(&v, &rest), 0);
	expect_pl("next", "host 1", &v.host, "h1");
	expect_pl("next", "val 1", &v.val, "SIP/2.0/UDP h1;branch=z9hG4bK1");
	expect_pl("next", "rest 1", &rest, "SIP/2.0/TCP h2:5061 ,\tSIP/2.0/UDP [::1]");
	assert_int_equal(sip_via_parse_next(&v, &rest), 0);
	expect_pl("next", "host 2", &v.host, "h2");
	expect_pl("next", "val 2", &v.val, "SIP/2.0/TCP h2:5061");
	assert_int_equal(sip_via_parse_next(&v, &rest), 0);
	expect_pl("next", "host 3", &v.host, "::1");
	assert_int_equal(rest.l, 0);
	rest = PL_NULL;
	assert_int_equal(sip_via_parse_next(&v, &rest), EBADMSG);
}

/* ---------- name-addr / addr-spec ---------- */

struct addr_case {
	const char *text;
	int err;
	const char *dname;  /* as written, quotes kept */
	const char *dname_plain;
	const char *auri;
	bool angle;
	enum sip_scheme scheme;
	const char *host;
	const char *uri_params;
	const char *params;
	const char *tag;
	const char *val;    /* NULL: the whole text */
};

#define ADDR_BAD(t) { .text = (t), .err = EBADMSG }

static const struct addr_case addr_cases[] = {
	{ "\"Alice\" <sip:alice@atlanta.com>;tag=1928", 0, "\"Alice\"", "Alice",
	  "sip:alice@atlanta.com", true, SIP_SCHEME_SIP, "atlanta.com", NULL, ";tag=1928",
	  "1928", NULL },
	{ "\"A \\\"quoted\\\" \\\\ name\" <sip:a@h>", 0, "\"A \\\"quoted\\\" \\\\ name\"",
	  "A \"quoted\" \\ name", "sip:a@h", true, SIP_SCHEME_SIP, "h", NULL, NULL, NULL, NULL },
	{ "\"\" <sip:a@h>", 0, "\"\"", "", "sip:a@h", true, SIP_SCHEME_SIP, "h", NULL, NULL,
	  NULL, NULL },
	{ "\"<sip:x@y>\" <sip:a@h>", 0, "\"<sip:x@y>\"", "<sip:x@y>", "sip:a@h", true,
	  SIP_SCHEME_SIP, "h", NULL, NULL, NULL, NULL },
	{ "Alice Smith <sip:a@h>", 0, "Alice Smith", "Alice Smith", "sip:a@h", true,
	  SIP_SCHEME_SIP, "h", NULL, NULL, NULL, NULL },
	{ "Alice<sip:a@h>", 0, "Alice", "Alice", "sip:a@h", true, SIP_SCHEME_SIP, "h", NULL,
	  NULL, NULL, NULL },
	{ "Bj\xc3\xb8rn <sip:b@h>", 0, "Bj\xc3\xb8rn", "Bj\xc3\xb8rn", "sip:b@h", true,
	  SIP_SCHEME_SIP, "h", NULL, NULL, NULL, NULL },
	{ "<sip:a@h>", 0, NULL, "", "sip:a@h", true, SIP_SCHEME_SIP, "h", NULL, NULL, NULL, NULL },
	{ "<sip:a@h;lr>;tag=x;foo=bar", 0, NULL, "", "sip:a@h;lr", true, SIP_SCHEME_SIP, "h",
	  ";lr", ";tag=x;foo=bar", "x", NULL },
	{ "<sip:a@h?subject=x&b=c>", 0, NULL, "", "sip:a@h?subject=x&b=c", true,
	  SIP_SCHEME_SIP, "h", NULL, NULL, NULL, NULL },
	{ "<sip:a@h> ; TAG = abc ; x", 0, NULL, "", "sip:a@h", true, SIP_SCHEME_SIP, "h", NULL,
	  "; TAG = abc ; x", "abc", NULL },
	{ "<sip:a@h>;tag=a;tag=b", 0, NULL, "", "sip:a@h", true, SIP_SCHEME_SIP, "h", NULL,
	  ";tag=a;tag=b", "a", NULL },
	{ "<sip:a@h>;tagx=1;xtag=2", 0, NULL, "", "sip:a@h", true, SIP_SCHEME_SIP, "h", NULL,
	  ";tagx=1;xtag=2", NULL, NULL },
	{ "<sip:a@h>;tag=a-B.c!%*_+`'~", 0, NULL, "", "sip:a@h", true, SIP_SCHEME_SIP, "h", NULL,
	  ";tag=a-B.c!%*_+`'~", "a-B.c!%*_+`'~", NULL },
	/* addr-spec: parameters belong to the header, not the URI */
	{ "sip:a@h;tag=x", 0, NULL, "", "sip:a@h", false, SIP_SCHEME_SIP, "h", NULL, ";tag=x",
	  "x", NULL },
	{ "sip:a@h:5060;lr;tag=x", 0, NULL, "", "sip:a@h:5060", false, SIP_SCHEME_SIP, "h",
	  NULL, ";lr;tag=x", "x", NULL },
	{ "sip:a@h ;tag=x", 0, NULL, "", "sip:a@h", false, SIP_SCHEME_SIP, "h", NULL, ";tag=x",
	  "x", NULL },
	{ "sip:a@h", 0, NULL, "", "sip:a@h", false, SIP_SCHEME_SIP, "h", NULL, NULL, NULL, NULL },
	{ "  sip:a@h  ", 0, NULL, "", "sip:a@h", false, SIP_SCHEME_SIP, "h", NULL, NULL, NULL,
	  "sip:a@h" },
	{ "<tel:+1-555-0100>", 0, NULL, "", "tel:+1-555-0100", true, SIP_SCHEME_TEL, NULL,
	  NULL, NULL, NULL, NULL },
	{ "<mailto:a@h>;tag=1", 0, NULL, "", "mailto:a@h", true, SIP_SCHEME_OTHER, NULL, NULL,
	  ";tag=1", "1", NULL },
	{ "<urn:service:sos>", 0, NULL, "", "urn:service:sos", true, SIP_SCHEME_OTHER, NULL,
	  NULL, NULL, NULL, NULL },
	ADDR_BAD("sip:a@h?subject=x"),
	ADDR_BAD("sip:a@h?"),
	ADDR_BAD("< sip:a@h>"),
	ADDR_BAD("<sip:a@h >"),
	ADDR_BAD("<>"),
	ADDR_BAD("<sip:a@h"),
	ADDR_BAD("\"Alice <sip:a@h>"),
	ADDR_BAD("\"Alice\" sip:a@h"),
	ADDR_BAD("\"Alice\""),
	ADDR_BAD("Alice sip:a@h"),
	ADDR_BAD("<sip:a@h>;tag="),
	ADDR_BAD("<sip:a@h>;tag"),
	ADDR_BAD("<sip:a@h>;tag=\"x\""),
	ADDR_BAD("<sip:a@h>;tag=a@b"),
	ADDR_BAD("<sip:a@h>;"),
	ADDR_BAD("<sip:a@h>;;tag=1"),
	ADDR_BAD("<sip:a@h> x"),
	ADDR_BAD("<sip:a@h>, <sip:b@h>"),
	ADDR_BAD("<sip:a@h>,"),
	ADDR_BAD("<sip:a b@h>"),
	ADDR_BAD("<bogus>"),
	ADDR_BAD("*"),
	ADDR_BAD(""),
	ADDR_BAD("   "),
	ADDR_BAD("Al\"ice <sip:a@h>"),
	ADDR_BAD("Al@ice <sip:a@h>"),
};

static void check_addr(const struct addr_case *c, const struct sip_addr *a)
{
	const char *w = c->text;
	char dn[128];

	expect_pl(w, "dname", &a->dname, c->dname);
	assert_int_equal(sip_addr_dname(a, dn, sizeof(dn)), 0);
	if (strcmp(dn, c->dname_plain) != 0)
		fail_msg("%s: display name \"%s\"", w, dn);
	expect_pl(w, "auri", &a->auri, c->auri);
	if (a->angle != c->angle)
		fail_msg("%s: angle %d", w, a->angle);
	if (a->uri.scheme != c->scheme)
		fail_msg("%s: scheme %d", w, a->uri.scheme);
	expect_pl(w, "host", &a->uri.host, c->host);
	expect_pl(w, "uri params", &a->uri.params, c->uri_params);
	expect_pl(w, "params", &a->params, c->params);
	expect_pl(w, "tag", &a->tag, c->tag);
	expect_pl(w, "val", &a->val, c->val ? c->val : c->text);
}

static void test_addr(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct pl text = pl_cstr(c->text);
		struct sip_addr a, untouched;
		int err;

		memset(&a, 0x5a, sizeof(a));
		untouched = a;
		err = sip_addr_parse(&a, &text);
		if (err != c->err)
			fail_msg("\"%s\": expected %d, got %d", c->text, c->err, err);
		if (err) {
			if (memcmp(&a, &untouched, sizeof(a)) != 0)
				fail_msg("\"%s\": out-struct modified on failure", c->text);
			continue;
		}
		check_addr(c, &a);
		assert_null(a.next);
		/* the same as To, and with a list around it as Route */
		{
			char buf[512];
			struct sip_msg *m;
			int n = snprintf(buf, sizeof(buf),
					 REQ_LINE "To: %s\r\nRoute: %s, <sip:x@y>\r\n\r\n",
					 c->text, c->text);

			m = parse_ok(c->text, buf, (size_t)n, 0);
			check_addr(c, &m->to);
			assert_null(m->to.next);
			assert_int_equal(m->nroute, 2);
			check_addr(c, m->route);
			expect_pl(c->text, "route 2", &m->route->next->uri.host, "y");
			sip_msg_free(m);
		}
	}
}

static void test_addr_next(void **state)
{
	struct pl rest = pl_cstr("<sip:a@h>;q=0.5 , \"B, C\" <sip:b@h>,sip:c@h;tag=x");
	struct sip_addr a;

	(void)state;
	assert_int_equal(sip_addr_parse_next(&a, &rest, true), 0);
	expect_pl("next", "val 1", &a.val, "<sip:a@h>;q=0.5");
	expect_pl("next", "rest 1", &rest, "\"B, C\" <sip:b@h>,sip:c@h;tag=x");
	assert_int_equal(sip_addr_parse_next(&a, &rest, true), 0);
	expect_pl("next", "dname 2", &a.dname, "\"B, C\"");
	assert_int_equal(sip_addr_parse_next(&a, &rest, true), 0);
	expect_pl("next", "tag 3", &a.tag, "x");
	assert_int_equal(rest.l, 0);
	/* not a list: a comma is an error */
	rest = pl_cstr("<sip:a@h>, <sip:b@h>");
	assert_int_equal(sip_addr_parse_next(&a, &rest, false), EBADMSG);
	rest = PL_NULL;
	assert_int_equal(sip_addr_parse_next(&a, &rest, true), EBADMSG);
}

/* From/To in a message: the header's reason names it. */
static void test_from_to(void **state)
{
	static const struct {
		const char *hdr;
		const char *why;
	} cases[] = {
		{ "From: sip:a@h?x=y;tag=1\r\n", "Bad From header" },
		{ "From: <sip:a@h>;tag=\r\n", "Bad From header" },
		{ "From: <sip:a@h>, <sip:b@h>\r\n", "Bad From header" },
		{ "From:\r\n", "Bad From header" },
		{ "To: \"Bob <sip:b@h>\r\n", "Bad To header" },
		{ "t: <sip:b@h\r\n", "Bad To header" },
	};
	char text[512];
	int n;

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		n = snprintf(text, sizeof(text), REQ_LINE VIA_HDR "%s\r\n", cases[i].hdr);
		parse_bad(cases[i].hdr, text, (size_t)n, 0, cases[i].why);
	}
}

/* ---------- Contact ---------- */

#define RANGE "Bad Contact header: parameter out of range"
#define STAR "Bad Contact header: '*' with other contacts"

static void test_contact(void **state)
{
	static const struct {
		const char *hdrs;
		const char *why;   /* NULL: valid */
		bool star;
		unsigned n;
	} cases[] = {
		{ "Contact: *\r\n", NULL, true, 0 },
		{ "Contact:   *  \r\n", NULL, true, 0 },
		{ "m: *\r\n", NULL, true, 0 },
		{ "Contact: *\r\nContact: <sip:a@h>\r\n", STAR, false, 0 },
		{ "Contact: <sip:a@h>\r\nContact: *\r\n", STAR, false, 0 },
		{ "Contact: *\r\nContact: *\r\n", STAR, false, 0 },
		{ "Contact: *, <sip:a@h>\r\n", "Bad Contact header", false, 0 },
		{ "Contact: <sip:a@h>, *\r\n", "Bad Contact header", false, 0 },
		{ "Contact: *;expires=0\r\n", "Bad Contact header", false, 0 },
		{ "Contact: <sip:a@h>;expires=3600;q=0.5\r\n", NULL, false, 1 },
		{ "Contact: <sip:a@h>;expires=0;q=1\r\n", NULL, false, 1 },
		{ "Contact: <sip:a@h>;q=0\r\n", NULL, false, 1 },
		{ "Contact: <sip:a@h>;q=0.123\r\n", NULL, false, 1 },
		{ "Contact: <sip:a@h>;q=1.000\r\n", NULL, false, 1 },
		{ "Contact: <sip:a@h>;q=0.\r\n", NULL, false, 1 },
		{ "Contact: <sip:a@h>;EXPIRES=4294967295\r\n", NULL, false, 1 },
		{ "Contact: <sip:a@h>;expires=4294967296\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;expires=-1\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;expires\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;q=2\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;q=0.1234\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;q=.5\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;q=0.a\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;q=05\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;Q\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;q=\"0.5\"\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>, <sip:b@h>;q=7\r\n", RANGE, false, 0 },
		/* the first expires and q count, as for sip_param_find() */
		{ "Contact: <sip:a@h>;expires=x;expires=1\r\n", RANGE, false, 0 },
		{ "Contact: <sip:a@h>;q=2;Q=1\r\n", RANGE, false, 0 },
		/* URI parameters are not header parameters */
		{ "Contact: <sip:a@h;expires=x;q=9>\r\n", NULL, false, 1 },
		{ "Contact: <sip:a@h>;qq=9;expiresx=y\r\n", NULL, false, 1 },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char text[512];
		int n = snprintf(text, sizeof(text), REQ_LINE BASE_HDRS "%s\r\n", cases[i].hdrs);
		struct sip_msg *m;

		if (cases[i].why) {
			parse_bad(cases[i].hdrs, text, (size_t)n, 0, cases[i].why);
			continue;
		}
		m = parse_ok(cases[i].hdrs, text, (size_t)n, 0);
		if (m->contact_star != cases[i].star || m->ncontact != cases[i].n)
			fail_msg("%s: star %d, %u contacts", cases[i].hdrs, m->contact_star,
				 m->ncontact);
		if (cases[i].star)
			assert_null(m->contact);
		sip_msg_free(m);
	}
}
#undef RANGE
#undef STAR

/* ---------- scalar headers ---------- */

static void test_scalars(void **state)
{
	static const struct {
		const char *hdr;
		const char *why;
	} cases[] = {
		{ "Max-Forwards: 0\r\n", NULL },
		{ "Max-Forwards: 255\r\n", NULL },
		{ "Max-Forwards: 256\r\n", "Bad Max-Forwards header" },
		{ "Max-Forwards: -1\r\n", "Bad Max-Forwards header" },
		{ "Max-Forwards: 7 0\r\n", "Bad Max-Forwards header" },
		{ "Max-Forwards:\r\n", "Bad Max-Forwards header" },
		{ "Expires: 4294967295\r\n", NULL },
		{ "Expires: 4294967296\r\n", "Bad Expires header" },
		{ "Expires: 1h\r\n", "Bad Expires header" },
		{ "Expires: 1\r\nExpires: 2\r\n", "Duplicate Expires header" },
		{ "CSeq: 01 INVITE\r\n", NULL },
		{ "CSeq: 4294967295 INVITE\r\n", NULL },
		{ "CSeq: 1\tINVITE\r\n", NULL },
		{ "CSeq: 4294967296 INVITE\r\n", "Bad CSeq header" },
		{ "CSeq: 1\r\n", "Bad CSeq header" },
		{ "CSeq: 1INVITE\r\n", "Bad CSeq header" },
		{ "CSeq: x INVITE\r\n", "Bad CSeq header" },
		{ "CSeq: -1 INVITE\r\n", "Bad CSeq header" },
		{ "CSeq: 1 INVITE x\r\n", "Bad CSeq header" },
		{ "CSeq: 1 INV@TE\r\n", "Bad CSeq header" },
		{ "CSeq:\r\n", "Bad CSeq header" },
		{ "Call-ID: abc\r\n", NULL },
		{ "Call-ID: a.b-c!@d%e*f_g+h`i'j~k(l)m<n>o:p\\q\"r/s[t]u?v{w}\r\n", NULL },
		{ "Call-ID: a b\r\n", "Bad Call-ID header" },
		{ "Call-ID: a@b@c\r\n", "Bad Call-ID header" },
		{ "Call-ID: @b\r\n", "Bad Call-ID header" },
		{ "Call-ID: a@\r\n", "Bad Call-ID header" },
		{ "Call-ID: a;b\r\n", "Bad Call-ID header" },
		{ "Call-ID:\r\n", "Bad Call-ID header" },
		{ "Content-Type: application/sdp\r\n", NULL },
		{ "Content-Type: application / sdp ; charset=utf-8\r\n", NULL },
		{ "Content-Type: application\r\n", "Bad Content-Type header" },
		{ "Content-Type: application/\r\n", "Bad Content-Type header" },
		{ "Content-Type: /sdp\r\n", "Bad Content-Type header" },
		{ "Content-Type: application/sdp;\r\n", "Bad Content-Type header" },
		{ "Content-Type: application/sdp x\r\n", "Bad Content-Type header" },
		{ "Content-Type: a/b\r\nc: a/b\r\n", "Duplicate Content-Type header" },
		{ "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n", NULL },
		{ "Date: Sat, 13 Nov 2010 23:29:00 UTC\r\n", "Bad Date header" },
		{ "Date: Sun, 13 Nov 2010 23:29:00 gmt\r\n", "Bad Date header" },
		{ "Date: Sat, 13 Nov 2010 23:29:0 GMT\r\n", "Bad Date header" },
		{ "Date: Sat, 13 Nok 2010 23:29:00 GMT\r\n", "Bad Date header" },
		{ "Date: Sax, 13 Nov 2010 23:29:00 GMT\r\n", "Bad Date header" },
		{ "Date: Sat, 1x Nov 2010 23:29:00 GMT\r\n", "Bad Date header" },
		{ "Date: Sat 13 Nov 2010 23:29:00 GMT\r\n", "Bad Date header" },
	};
	static const char head[] = REQ_LINE VIA_HDR "To: <sip:b@h>\r\nFrom: <sip:a@h>\r\n";

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char text[512];
		int n = snprintf(text, sizeof(text), "%s%s\r\n", head, cases[i].hdr);
		struct sip_msg *m;

		if (cases[i].why) {
			parse_bad(cases[i].hdr, text, (size_t)n, 0, cases[i].why);
			continue;
		}
		m = parse_ok(cases[i].hdr, text, (size_t)n, 0);
		sip_msg_free(m);
	}
	/* the decoded values */
	{
		struct sip_msg *m = parse_str(
			REQ_LINE "Max-Forwards: 070\r\nExpires: 3600\r\nCSeq: 0042 ACK\r\n"
			"Call-ID: f81d4fae-7dec@foo.bar.com\r\n"
			"Content-Type: application / sdp ; charset=utf-8\r\n"
			"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n\r\n");
		assert_true(m->has_maxfwd);
		assert_int_equal(m->maxfwd, 70);
		assert_true(m->has_expires);
		assert_int_equal(m->expires, 3600);
		assert_true(m->has_cseq);
		assert_int_equal(m->cseq.num, 42);
		assert_true(pl_eq_str(&m->cseq.method, "ACK"));
		assert_int_equal(m->cseq.mid, SIP_M_ACK);
		assert_true(pl_eq_str(&m->callid, "f81d4fae-7dec@foo.bar.com"));
		assert_true(pl_eq_str(&m->ctype, "application / sdp"));
		assert_true(pl_eq_str(&m->ctype_params, "; charset=utf-8"));
		assert_false(m->has_clen);
		assert_false(m->has_from);
		sip_msg_free(m);
		m = parse_str(REQ_LINE "\r\n");
		assert_false(m->has_maxfwd || m->has_expires || m->has_cseq || m->has_clen);
		assert_false(pl_isset(&m->callid) || pl_isset(&m->ctype));
		assert_true(pl_isset(&m->body));
		assert_int_equal(m->body.l, 0);
		assert_int_equal(m->nhdr, 0);
		sip_msg_free(m);
	}
}

/* ---------- duplicates ---------- */

static void test_duplicates(void **state)
{
	static const struct {
		const char *hdr;
		const char *why;
	} cases[] = {
		{ "From: <sip:x@h>;tag=2\r\n", "Duplicate From header" },
		{ "f: <sip:x@h>;tag=2\r\n", "Duplicate From header" },
		{ "To: <sip:x@h>\r\n", "Duplicate To header" },
		{ "t: <sip:x@h>\r\n", "Duplicate To header" },
		{ "Call-ID: other\r\n", "Duplicate Call-ID header" },
		{ "i: other\r\n", "Duplicate Call-ID header" },
		{ "CSeq: 2 INVITE\r\n", "Duplicate CSeq header" },
		{ "Max-Forwards: 69\r\n", "Duplicate Max-Forwards header" },
		{ "Content-Length: 0\r\n", "Duplicate Content-Length header" },
		{ "l: 0\r\n", "Duplicate Content-Length header" },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char text[512];
		int n = snprintf(text, sizeof(text),
				 REQ_LINE BASE_HDRS "Content-Length: 0\r\n%s\r\n", cases[i].hdr);
		parse_bad(cases[i].hdr, text, (size_t)n, 0, cases[i].why);
	}
	/* a second value of a list header is fine */
	{
		struct sip_msg *m = parse_str(REQ_LINE BASE_HDRS VIA_HDR "Route: <sip:a@h>\r\n"
					      "Route: <sip:a@h>\r\nSubject: a\r\nSubject: b\r\n\r\n");
		assert_int_equal(m->nvia, 2);
		assert_int_equal(m->nroute, 2);
		assert_int_equal(sip_msg_hdr_count(m, SIP_H_SUBJECT), 2);
		sip_msg_free(m);
	}
}

/* ---------- Content-Length and the body ---------- */

#define TOO_BIG "Content-Length larger than the message"

static void test_content_length(void **state)
{
	static const char head[] = REQ_LINE BASE_HDRS;
	static const struct {
		const char *clen;  /* the header line, or "" */
		const char *body;
		int flags;
		const char *why;
		const char *want;  /* the body */
		size_t trailing;   /* bytes left after m->len */
	} cases[] = {
		{ "Content-Length: 4\r\n", "abcd", 0, NULL, "abcd", 0 },
		{ "Content-Length: 0\r\n", "", 0, NULL, "", 0 },
		{ "Content-Length: 10\r\n", "abcd", 0, TOO_BIG, NULL, 0 },
		{ "Content-Length: 5\r\n", "abcd", SIP_PARSE_STREAM, TOO_BIG, NULL, 0 },
		{ "Content-Length: 2\r\n", "abcd", 0, NULL, "ab", 2 },
		{ "Content-Length: 0\r\n", "INVITE sip:x SIP/2.0\r\n\r\n", 0, NULL, "", 24 },
		{ "", "abcd", 0, NULL, "abcd", 0 },
		{ "", "", 0, NULL, "", 0 },
		{ "", "abcd", SIP_PARSE_STREAM, NULL, "", 4 },
		{ "Content-Length: 4\r\n", "abcd", SIP_PARSE_STREAM, NULL, "abcd", 0 },
		{ "l: 3\r\n", "abcd", 0, NULL, "abc", 1 },
		{ "Content-Length:  0004 \r\n", "abcd", 0, NULL, "abcd", 0 },
		{ "Content-Length: abc\r\n", "", 0, "Bad Content-Length header", NULL, 0 },
		{ "Content-Length: -1\r\n", "", 0, "Bad Content-Length header", NULL, 0 },
		{ "Content-Length: 1 2\r\n", "", 0, "Bad Content-Length header", NULL, 0 },
		{ "Content-Length: 4294967296\r\n", "", 0, "Bad Content-Length header", NULL, 0 },
		{ "Content-Length: 4294967295\r\n", "", 0, TOO_BIG, NULL, 0 },
		{ "Content-Length:\r\n", "", 0, "Bad Content-Length header", NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char text[1024];
		int n = snprintf(text, sizeof(text), "%s%s\r\n%s", head, cases[i].clen,
				 cases[i].body);
		struct sip_msg *m;

		if (cases[i].why) {
			parse_bad(cases[i].clen, text, (size_t)n, cases[i].flags, cases[i].why);
			continue;
		}
		m = parse_ok(cases[i].clen, text, (size_t)n, cases[i].flags);
		expect_pl(cases[i].clen, "body", &m->body, cases[i].want);
		if (m->len + cases[i].trailing != (size_t)n)
			fail_msg("%s: len %zu of %d", cases[i].clen, m->len, n);
		assert_ptr_equal(m->body.p, m->buf + (n - strlen(cases[i].body)));
		assert_int_equal(m->has_clen, cases[i].clen[0] != '\0');
		sip_msg_free(m);
	}
}
#undef TOO_BIG

/* A body with NUL bytes and bare LFs is framed by Content-Length only. */
static void test_binary_body(void **state)
{
	static const char text[] = REQ_LINE BASE_HDRS "Content-Length: 7\r\n\r\n\0\n\r\n\0\xff\n";
	struct sip_msg *m;

	(void)state;
	m = parse_ok("binary", text, sizeof(text) - 1, 0);
	assert_int_equal(m->body.l, 7);
	assert_memory_equal(m->body.p, "\0\n\r\n\0\xff\n", 7);
	sip_msg_free(m);
}

/* ---------- stream framing ---------- */

static void test_frame(void **state)
{
	static const char msg[] = REQ_LINE BASE_HDRS "Content-Length: 4\r\n\r\nabcd";
	static const char nocl[] = REQ_LINE BASE_HDRS "\r\nabcd";
	static const struct {
		const char *text;
		int err;
		size_t msglen;     /* 0: the whole text */
		const char *why;
	} cases[] = {
		{ msg, 0, 0, NULL },
		{ "\r\n\r\n" REQ_LINE BASE_HDRS "Content-Length: 4\r\n\r\nabcd", 0, 0, NULL },
		{ REQ_LINE BASE_HDRS "Content-Length: 4\r\n\r\nabcdINVITE", 0, sizeof(msg) - 1, NULL },
		{ REQ_LINE BASE_HDRS "l: 4\r\n\r\nabcd", 0, 0, NULL },
		{ REQ_LINE BASE_HDRS "content-length :  4 \r\n\r\nabcd", 0, 0, NULL },
		{ nocl, 0, sizeof(nocl) - 1 - 4, NULL },
		{ REQ_LINE BASE_HDRS "Content-Length: 0\r\n\r\n", 0, 0, NULL },
		{ REQ_LINE BASE_HDRS "Content-Length: 4\r\n\r\nabc", ENODATA, 0, NULL },
		{ REQ_LINE BASE_HDRS "Content-Length: 4\r\n\r\n", ENODATA, 0, NULL },
		{ REQ_LINE BASE_HDRS "Content-Length: 4\r\n", ENODATA, 0, NULL },
		{ REQ_LINE BASE_HDRS "Content-Length: 4\r\n\r", ENODATA, 0, NULL },
		{ REQ_LINE "Via: SIP/2.0/UDP h", ENODATA, 0, NULL },
		{ "INVITE", ENODATA, 0, NULL },
		{ "\r\n", ENODATA, 0, NULL },
		{ "", ENODATA, 0, NULL },
		{ REQ_LINE BASE_HDRS "Content-Length: x\r\n\r\n", EBADMSG, 0,
		  "Bad Content-Length header" },
		{ REQ_LINE BASE_HDRS "Content-Length: -4\r\n\r\nabcd", EBADMSG, 0,
		  "Bad Content-Length header" },
		{ REQ_LINE BASE_HDRS "Content-Length:\r\n\r\n", EBADMSG, 0,
		  "Bad Content-Length header" },
		{ REQ_LINE BASE_HDRS "Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd", EBADMSG,
		  0, "Duplicate Content-Length header" },
		{ REQ_LINE BASE_HDRS "l: 4\r\nContent-Length: 4\r\n\r\nabcd", EBADMSG, 0,
		  "Duplicate Content-Length header" },
		{ REQ_LINE BASE_HDRS "Content-Length: 70000\r\n\r\nabcd", EBADMSG, 0,
		  "Message too large" },
		{ REQ_LINE BASE_HDRS "Content-Length: 4294967295\r\n\r\n", EBADMSG, 0,
		  "Message too large" },
		/* only header lines count: a body line is not Content-Length */
		{ REQ_LINE BASE_HDRS "\r\nContent-Length: 9\r\n", 0, sizeof(REQ_LINE BASE_HDRS) + 1,
		  NULL },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		size_t len = strlen(cases[i].text), fl = 12345;
		const char *reason = "unset";
		int err = sip_msg_frame(cases[i].text, len, &fl, &reason);
		size_t want = cases[i].msglen ? cases[i].msglen : len;

		if (err != cases[i].err)
			fail_msg("case %zu: error %d, expected %d (%s)", i, err, cases[i].err,
				 reason ? reason : "-");
		if (!err && fl != want)
			fail_msg("case %zu: msglen %zu, expected %zu", i, fl, want);
		if (err && fl != 12345)
			fail_msg("case %zu: msglen set on error", i);
		if (err == EBADMSG && (!reason || strcmp(reason, cases[i].why)))
			fail_msg("case %zu: reason %s", i, reason ? reason : "NULL");
		if (err != EBADMSG && reason)
			fail_msg("case %zu: reason %s without an error", i, reason);
	}
	/* two messages in a row */
	{
		char two[1024];
		size_t fl, off;
		const char *reason;
		struct sip_msg *m;
		int n = snprintf(two, sizeof(two), "%s%s", msg, nocl);

		assert_int_equal(sip_msg_frame(two, (size_t)n, &fl, &reason), 0);
		assert_int_equal(fl, sizeof(msg) - 1);
		m = parse_ok("frame 1", two, fl, SIP_PARSE_STREAM);
		assert_true(pl_eq_str(&m->body, "abcd"));
		sip_msg_free(m);
		off = fl;
		assert_int_equal(sip_msg_frame(two + off, (size_t)n - off, &fl, &reason), 0);
		assert_int_equal(fl, sizeof(nocl) - 1 - 4);
		m = parse_ok("frame 2", two + off, fl, SIP_PARSE_STREAM);
		assert_int_equal(m->body.l, 0);
		sip_msg_free(m);
	}
	/* a header section that never ends */
	{
		size_t big = SIP_MAX_MSG_SIZE + 100, fl;
		char *p = malloc(big);
		const char *reason;
		memset(p, 'a', big);
		memcpy(p, REQ_LINE "X: ", sizeof(REQ_LINE "X: ") - 1);
		assert_int_equal(sip_msg_frame(p, SIP_MAX_MSG_SIZE, &fl, &reason), ENODATA);
		assert_int_equal(sip_msg_frame(p, big, &fl, &reason), EBADMSG);
		assert_string_equal(reason, "Header section too large");
		free(p);
	}
}

/* ---------- limits ---------- */

static void test_limits(void **state)
{
	struct buf b;
	struct sip_msg *m;

	(void)state;
	/* SIP_MAX_HDRS header lines */
	for (unsigned extra = 0; extra < 2; extra++) {
		buf_init(&b, 0);
		buf_puts(&b, REQ_LINE BASE_HDRS);
		for (unsigned i = 6; i < SIP_MAX_HDRS + extra; i++)
			buf_printf(&b, "X-H%u: %u\r\n", i, i);
		buf_puts(&b, "\r\n");
		if (!extra) {
			m = parse_ok("max headers", b.p, b.len, 0);
			assert_int_equal(m->nhdr, SIP_MAX_HDRS);
			assert_true(pl_eq_str(&m->hdrs[SIP_MAX_HDRS - 1].val, "255"));
			sip_msg_free(m);
		} else {
			parse_bad("max headers + 1", b.p, b.len, 0, "Too many headers");
		}
		buf_free(&b);
	}
	/* SIP_MAX_HDRS headers and no Content-Length (a datagram): the
	 * printer adds one, and what it prints parses again (a fuzzer find);
	 * a second header past the limit is still too many */
	{
		struct buf out;
		struct sip_msg *m2;
		buf_init(&b, 0);
		buf_puts(&b, REQ_LINE BASE_HDRS);
		for (unsigned i = 6; i < SIP_MAX_HDRS; i++)
			buf_printf(&b, "X-H%u: %u\r\n", i, i);
		buf_puts(&b, "\r\nbody");
		m = parse_ok("max headers, no Content-Length", b.p, b.len, 0);
		buf_init(&out, 0);
		assert_int_equal(sip_msg_print(m, &out), 0);
		m2 = parse_ok("max headers printed", out.p, out.len, 0);
		assert_int_equal(m2->nhdr, SIP_MAX_HDRS + 1);
		assert_true(pl_eq_str(&m2->body, "body"));
		sip_msg_free(m2);
		sip_msg_free(m);
		buf_free(&out);
		buf_free(&b);
		buf_init(&b, 0);
		buf_puts(&b, REQ_LINE BASE_HDRS);
		for (unsigned i = 6; i < SIP_MAX_HDRS; i++)
			buf_printf(&b, "X-H%u: %u\r\n", i, i);
		buf_puts(&b, "Content-Length: 0\r\nX-Over: 1\r\n\r\n");
		parse_bad("max headers, Content-Length, one more", b.p, b.len, 0, "Too many headers");
		buf_free(&b);
	}
	/* SIP_MAX_LINE bytes in one header line, folds included */
	for (unsigned extra = 0; extra < 2; extra++) {
		size_t fill = SIP_MAX_LINE - strlen("Subject: ") + extra;
		buf_init(&b, 0);
		buf_puts(&b, REQ_LINE BASE_HDRS "Subject: ");
		for (size_t i = 0; i < fill; i++)
			buf_putc(&b, 'x');
		buf_puts(&b, "\r\n\r\n");
		if (!extra) {
			m = parse_ok("max line", b.p, b.len, 0);
			assert_int_equal(sip_msg_hdr(m, SIP_H_SUBJECT)->val.l, fill);
			sip_msg_free(m);
		} else {
			parse_bad("max line + 1", b.p, b.len, 0, "Header line too long");
		}
		buf_free(&b);
	}
	buf_init(&b, 0);
	buf_puts(&b, REQ_LINE BASE_HDRS "Subject: ");
	for (size_t i = 0; i < 2 * SIP_MAX_LINE / 100; i++) {
		for (size_t k = 0; k < 96; k++)
			buf_putc(&b, 'x');
		buf_puts(&b, "\r\n ");
	}
	buf_puts(&b, "x\r\n\r\n");
	parse_bad("folded line too long", b.p, b.len, 0, "Header line too long");
	buf_free(&b);
	/* SIP_MAX_MSG_SIZE bytes in all (leading CRLFs not counted) */
	for (unsigned extra = 0; extra < 2; extra++) {
		size_t hlen, blen;
		char clen[64];
		buf_init(&b, 0);
		buf_puts(&b, "\r\n\r\n" REQ_LINE BASE_HDRS);
		hlen = b.len - 4 + strlen("Content-Length: 00000\r\n\r\n");
		blen = SIP_MAX_MSG_SIZE - hlen + extra;
		snprintf(clen, sizeof(clen), "Content-Length: %05zu\r\n\r\n", blen);
		buf_puts(&b, clen);
		for (size_t i = 0; i < blen; i++)
			buf_putc(&b, 'b');
		if (!extra) {
			m = parse_ok("max size", b.p, b.len, 0);
			assert_int_equal(m->len, SIP_MAX_MSG_SIZE);
			sip_msg_free(m);
		} else {
			parse_bad("max size + 1", b.p, b.len, 0, "Message too large");
		}
		buf_free(&b);
	}
	/* SIP_MAX_PARAMS parameters on one value */
	for (unsigned extra = 0; extra < 2; extra++) {
		buf_init(&b, 0);
		buf_puts(&b, REQ_LINE BASE_HDRS "Contact: <sip:a@h>");
		for (unsigned i = 0; i < SIP_MAX_PARAMS + extra; i++)
			buf_printf(&b, ";p%u=%u", i, i);
		buf_puts(&b, "\r\n\r\n");
		if (!extra) {
			m = parse_ok("max params", b.p, b.len, 0);
			sip_msg_free(m);
		} else {
			parse_bad("max params + 1", b.p, b.len, 0, "Bad Contact header");
		}
		buf_free(&b);
	}
}

/* ---------- header access ---------- */

static void test_hdr_access(void **state)
{
	static const char text[] = REQ_LINE BASE_HDRS
		"Supported: timer, 100rel\r\n"
		"X-Custom: one\r\n"
		"Allow: INVITE, ACK;x=1, BYE\r\n"
		"k: path\r\n"
		"x-custom: two\r\n"
		"Subject: s\r\n"
		"Require:\r\n"
		"\r\n";
	struct sip_msg *m;
	const struct sip_hdr *h;

	(void)state;
	m = parse_ok("access", text, sizeof(text) - 1, 0);
	assert_int_equal(m->nhdr, 13);
	h = sip_msg_hdr(m, SIP_H_SUPPORTED);
	assert_ptr_equal(h, &m->hdrs[6]);
	expect_pl("access", "supported 1", &h->val, "timer, 100rel");
	h = sip_msg_hdr_next(m, h);
	assert_ptr_equal(h, &m->hdrs[9]);
	expect_pl("access", "supported 2", &h->val, "path");
	assert_null(sip_msg_hdr_next(m, h));
	assert_null(sip_msg_hdr_next(m, NULL));
	assert_int_equal(sip_msg_hdr_count(m, SIP_H_SUPPORTED), 2);
	assert_int_equal(sip_msg_hdr_count(m, SIP_H_VIA), 1);
	assert_int_equal(sip_msg_hdr_count(m, SIP_H_EVENT), 0);
	assert_int_equal(sip_msg_hdr_count(m, SIP_H_OTHER), 0);
	assert_null(sip_msg_hdr(m, SIP_H_EVENT));
	assert_null(sip_msg_hdr(m, SIP_H_OTHER));
	assert_null(sip_msg_hdr(m, SIP_H_NUM));
	assert_null(sip_msg_hdr(m, (enum sip_hdr_id)-1));
	/* in order, with ids, and the names as written */
	assert_int_equal(m->hdrs[0].id, SIP_H_VIA);
	assert_int_equal(m->hdrs[7].id, SIP_H_OTHER);
	assert_true(pl_eq_str(&m->hdrs[9].name, "k"));
	assert_true(pl_eq_str(&m->hdrs[10].name, "x-custom"));
	/* by name: known names through their id (any spelling), others linearly */
	assert_ptr_equal(sip_msg_hdr_by_name(m, "supported"), &m->hdrs[6]);
	assert_ptr_equal(sip_msg_hdr_by_name(m, "k"), &m->hdrs[6]);
	assert_ptr_equal(sip_msg_hdr_by_name(m, "SUBJECT"), &m->hdrs[11]);
	assert_ptr_equal(sip_msg_hdr_by_name(m, "s"), &m->hdrs[11]);
	assert_ptr_equal(sip_msg_hdr_by_name(m, "X-CUSTOM"), &m->hdrs[7]);
	assert_ptr_equal(sip_msg_hdr_by_name(m, "x-custom"), &m->hdrs[7]);
	assert_null(sip_msg_hdr_by_name(m, "X-Custo"));
	assert_null(sip_msg_hdr_by_name(m, "X-Missing"));
	assert_null(sip_msg_hdr_by_name(m, "Event"));
	/* tokens, across headers, without case, ignoring element parameters */
	assert_true(sip_msg_hdr_has_token(m, SIP_H_SUPPORTED, "timer"));
	assert_true(sip_msg_hdr_has_token(m, SIP_H_SUPPORTED, "100REL"));
	assert_true(sip_msg_hdr_has_token(m, SIP_H_SUPPORTED, "path"));
	assert_false(sip_msg_hdr_has_token(m, SIP_H_SUPPORTED, "time"));
	assert_false(sip_msg_hdr_has_token(m, SIP_H_SUPPORTED, "timers"));
	assert_true(sip_msg_hdr_has_token(m, SIP_H_ALLOW, "ACK"));
	assert_true(sip_msg_hdr_has_token(m, SIP_H_ALLOW, "BYE"));
	assert_false(sip_msg_hdr_has_token(m, SIP_H_ALLOW, "x"));
	assert_false(sip_msg_hdr_has_token(m, SIP_H_REQUIRE, "timer"));
	assert_false(sip_msg_hdr_has_token(m, SIP_H_UNSUPPORTED, "timer"));
	sip_msg_free(m);
}

static void test_refcount(void **state)
{
	struct sip_msg *m;

	(void)state;
	m = parse_str(REQ_LINE BASE_HDRS "\r\n");
	assert_int_equal(m->refs, 1);
	assert_ptr_equal(sip_msg_ref(m), m);
	assert_int_equal(m->refs, 2);
	sip_msg_free(m);
	assert_int_equal(m->refs, 1);
	sip_msg_free(m);
	assert_null(sip_msg_ref(NULL));
	sip_msg_free(NULL);
}

/* The parser works on its own copy: the input may go away. */
static void test_copy(void **state)
{
	char *text = strdup(REQ_LINE BASE_HDRS "Content-Length: 2\r\n\r\nhi");
	struct sip_msg *m;

	(void)state;
	m = parse_str(text);
	memset(text, 'z', strlen(text));
	free(text);
	assert_true(pl_eq_str(&m->method, "INVITE"));
	assert_true(pl_eq_str(&m->via->branch, "z9hG4bK776asdhds"));
	assert_true(pl_eq_str(&m->from.tag, "1928301774"));
	assert_true(pl_eq_str(&m->body, "hi"));
	assert_int_equal(m->buf[m->len], '\0');
	sip_msg_free(m);
}

/* ---------- sip_msg_check ---------- */

static void test_check(void **state)
{
	static const struct {
		const char *text;
		const char *why;   /* NULL: passes */
	} cases[] = {
		{ REQ_LINE BASE_HDRS "\r\n", NULL },
		{ "SIP/2.0 200 OK\r\n" BASE_HDRS "\r\n", NULL },
		{ "SIP/2.0 200 OK\r\n" VIA_HDR
		  "To: <mailto:b@h>\r\nFrom: <sip:a@h>\r\nCall-ID: c\r\nCSeq: 4294967295 BYE\r\n\r\n",
		  NULL },
		{ REQ_LINE BASE_HDRS_NO_VIA "\r\n", "Missing Via header" },
		{ REQ_LINE VIA_HDR "To: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
		  "Missing From header" },
		{ REQ_LINE VIA_HDR "From: <sip:a@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
		  "Missing To header" },
		{ REQ_LINE VIA_HDR "From: <sip:a@h>\r\nTo: <sip:b@h>\r\nCSeq: 1 INVITE\r\n\r\n",
		  "Missing Call-ID header" },
		{ REQ_LINE VIA_HDR "From: <sip:a@h>\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n\r\n",
		  "Missing CSeq header" },
		{ "SIP/2.0 200 OK\r\n" VIA_HDR "From: <sip:a@h>\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n\r\n",
		  "Missing CSeq header" },
		{ "BYE sip:b@h SIP/2.0\r\n" BASE_HDRS "\r\n",
		  "CSeq method does not match the request method" },
		{ "ACK sip:b@h SIP/2.0\r\n" BASE_HDRS "\r\n", NULL },
		{ "ACK sip:b@h SIP/2.0\r\n" VIA_HDR
		  "From: <sip:a@h>\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n",
		  "CSeq method does not match the request method" },
		{ "invite sip:b@h SIP/2.0\r\n" BASE_HDRS "\r\n",
		  "CSeq method does not match the request method" },
		{ REQ_LINE VIA_HDR "From: <sip:a@h>\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n"
		  "CSeq: 2147483647 INVITE\r\n\r\n", NULL },
		{ REQ_LINE VIA_HDR "From: <sip:a@h>\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n"
		  "CSeq: 2147483648 INVITE\r\n\r\n", "CSeq number out of range" },
		{ REQ_LINE "Via: SIP/2.0/UDP h;branch=z9hG4bK\r\n" BASE_HDRS_NO_VIA "\r\n",
		  "Bad Via branch: magic cookie alone" },
		{ REQ_LINE "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" VIA_HDR BASE_HDRS_NO_VIA "\r\n",
		  NULL },
		{ REQ_LINE VIA_HDR "Via: SIP/2.0/UDP h;branch=z9hG4bK\r\n" BASE_HDRS_NO_VIA "\r\n",
		  NULL },
		{ "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n" BASE_HDRS_NO_VIA "\r\n",
		  NULL },
		{ REQ_LINE "Via: SIP/2.0/UDP h\r\n" BASE_HDRS_NO_VIA "\r\n", NULL },
		{ REQ_LINE VIA_HDR "From: <mailto:a@h>\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n"
		  "CSeq: 1 INVITE\r\n\r\n", "Unsupported URI scheme in From or To" },
		{ REQ_LINE VIA_HDR "From: <sip:a@h>\r\nTo: <urn:x:y>\r\nCall-ID: c\r\n"
		  "CSeq: 1 INVITE\r\n\r\n", "Unsupported URI scheme in From or To" },
		{ REQ_LINE VIA_HDR "From: <tel:+1>\r\nTo: <sips:b@h>\r\nCall-ID: c\r\n"
		  "CSeq: 1 INVITE\r\n\r\n", NULL },
		{ "REGISTER sip:h SIP/2.0\r\n" VIA_HDR "From: <sip:a@h>\r\nTo: <sip:a@h>\r\n"
		  "Call-ID: c\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@c>, <mailto:a@h>\r\n\r\n",
		  "Unsupported URI scheme in Contact" },
		{ "REGISTER sip:h SIP/2.0\r\n" VIA_HDR "From: <sip:a@h>\r\nTo: <sip:a@h>\r\n"
		  "Call-ID: c\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@c>, <tel:+1>\r\n\r\n", NULL },
		{ REQ_LINE BASE_HDRS "Contact: <mailto:a@h>\r\n\r\n", NULL },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		struct sip_msg *m = parse_str(cases[i].text);
		const char *why = "unset";
		int err = sip_msg_check(m, &why);

		if (!cases[i].why && (err || why))
			fail_msg("case %zu: check says %d: %s", i, err, why ? why : "NULL");
		if (cases[i].why && (err != EPROTO || !why || strcmp(why, cases[i].why)))
			fail_msg("case %zu: check says %d: %s, expected %s", i, err,
				 why ? why : "NULL", cases[i].why);
		sip_msg_free(m);
	}
}

/* ---------- printing ---------- */

static void test_print(void **state)
{
	static const char in[] =
		"\r\nINVITE sip:bob@example.com;transport=tcp SIP/2.0\r\n"
		"v: SIP/2.0/UDP h1;branch=z9hG4bK1,\r\n SIP/2.0/UDP h2;branch=z9hG4bK2\r\n"
		"f: \"A \\\"x\\\"\" <sip:a@h>;tag=1\r\n"
		"t: <sip:b@h>\r\n"
		"i: c@h\r\n"
		"CSeq: 1 INVITE\r\n"
		"X-Unknown :  some   value \r\n"
		"Subject:\r\n"
		"l: 3\r\n"
		"\r\nabcEXTRA";
	static const char out[] =
		"INVITE sip:bob@example.com;transport=tcp SIP/2.0\r\n"
		"Via: SIP/2.0/UDP h1;branch=z9hG4bK1,   SIP/2.0/UDP h2;branch=z9hG4bK2\r\n"
		"From: \"A \\\"x\\\"\" <sip:a@h>;tag=1\r\n"
		"To: <sip:b@h>\r\n"
		"Call-ID: c@h\r\n"
		"CSeq: 1 INVITE\r\n"
		"X-Unknown: some   value\r\n"
		"Subject: \r\n"
		"Content-Length: 3\r\n"
		"\r\nabc";
	static const char resp_in[] = "SIP/2.0 180 Ringing Now\r\nVia: SIP/2.0/UDP h\r\n\r\nxy";
	static const char resp_out[] =
		"SIP/2.0 180 Ringing Now\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 2\r\n\r\nxy";
	struct sip_msg *m, *m2;
	struct buf b;

	(void)state;
	m = parse_ok("print", in, sizeof(in) - 1, 0);
	buf_init(&b, 0);
	assert_int_equal(sip_msg_print(m, &b), 0);
	if (b.len != sizeof(out) - 1 || memcmp(b.p, out, b.len) != 0)
		fail_msg("printed:\n%.*s", (int)b.len, b.p);
	/* and it reads back to the same message */
	m2 = parse_ok("reprint", b.p, b.len, 0);
	assert_int_equal(m2->nhdr, m->nhdr);
	for (unsigned i = 0; i < m->nhdr; i++) {
		assert_int_equal(m2->hdrs[i].id, m->hdrs[i].id);
		assert_true(pl_eq(&m2->hdrs[i].val, &m->hdrs[i].val));
	}
	assert_int_equal(m2->nvia, 2);
	assert_true(pl_eq(&m2->from.dname, &m->from.dname));
	assert_true(pl_eq(&m2->body, &m->body));
	sip_msg_free(m2);
	sip_msg_free(m);
	buf_free(&b);

	m = parse_ok("print response", resp_in, sizeof(resp_in) - 1, 0);
	buf_init(&b, 0);
	assert_int_equal(sip_msg_print(m, &b), 0);
	if (b.len != sizeof(resp_out) - 1 || memcmp(b.p, resp_out, b.len) != 0)
		fail_msg("printed:\n%.*s", (int)b.len, b.p);
	sip_msg_free(m);
	buf_free(&b);

	/* a bounded buffer reports ENOSPC */
	m = parse_ok("print bounded", in, sizeof(in) - 1, 0);
	buf_init(&b, 32);
	assert_int_equal(sip_msg_print(m, &b), ENOSPC);
	sip_msg_free(m);
	buf_free(&b);
}

static void test_reason_phrase(void **state)
{
	(void)state;
	assert_string_equal(sip_reason_phrase(200), "OK");
	assert_string_equal(sip_reason_phrase(481), "Call/Transaction Does Not Exist");
	assert_string_equal(sip_reason_phrase(199), "Progress");
	assert_string_equal(sip_reason_phrase(299), "Success");
	assert_string_equal(sip_reason_phrase(399), "Redirection");
	assert_string_equal(sip_reason_phrase(499), "Client Error");
	assert_string_equal(sip_reason_phrase(599), "Server Error");
	assert_string_equal(sip_reason_phrase(699), "Global Failure");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_line),
		cmocka_unit_test(test_leading_crlf),
		cmocka_unit_test(test_compact_forms),
		cmocka_unit_test(test_hdr_lookup),
		cmocka_unit_test(test_method_id),
		cmocka_unit_test(test_header_lines),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_multi_values),
		cmocka_unit_test(test_multi_values_bad),
		cmocka_unit_test(test_value_limit),
		cmocka_unit_test(test_via),
		cmocka_unit_test(test_via_next),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_next),
		cmocka_unit_test(test_from_to),
		cmocka_unit_test(test_contact),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_binary_body),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hdr_access),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_reason_phrase),
	};

	return cmocka_run_group_tests_name("sip-msg", tests, NULL, NULL);
}
