/* tests/unit/test-conformance.c: the RFC 4475 / RFC 5118 torture corpus
 * against the parser, driven by tests/data/conformance/manifest.tsv.
 *   valid         parses, and passes sip_msg_check
 *   invalid       rejected by the parser or by sip_msg_check, with a reason
 *   semantic:400  the same as invalid (parser or check)
 *   semantic:NNN  parses (the UA core answers NNN: see tests/ua)
 * RFC 5118 files are bare-LF and not wire format: they are converted as the
 * corpus README says (LF -> CRLF, close the header section, recompute
 * Content-Length).  Each file is also printed and parsed again
 * (parse(print(m)) == m), and every prefix of every valid message is
 * parsed to prove truncation is handled without reading out of bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "sip/msg.h"

struct row {
	char file[128];
	char expected[32];
};

static struct row rows[128];
static unsigned nrows;
static char dir[1024];

static void load_manifest(void)
{
	const char *top = getenv("top_srcdir");
	char path[1200], *text, *line, *save;
	size_t len;

	snprintf(dir, sizeof(dir), "%s/tests/data/conformance", top ? top : ".");
	snprintf(path, sizeof(path), "%s/manifest.tsv", dir);
	if (fs_read_file(path, &text, &len, 1 << 20, NULL)) {
		fprintf(stderr, "cannot read %s (set top_srcdir)\n", path);
		exit(99);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab1 = strchr(line, '\t'), *tab2, *tab3;
		if (!tab1 || !strncmp(line, "file\t", 5))
			continue;
		tab2 = strchr(tab1 + 1, '\t');
		tab3 = tab2 ? strchr(tab2 + 1, '\t') : NULL;
		if (!tab2 || nrows >= sizeof(rows) / sizeof(rows[0]))
			continue;
		*tab1 = *tab2 = '\0';
		if (tab3)
			*tab3 = '\0';
		snprintf(rows[nrows].file, sizeof(rows[nrows].file), "%s", line);
		snprintf(rows[nrows].expected, sizeof(rows[nrows].expected), "%s", tab2 + 1);
		nrows++;
	}
	free(text);
}

/* RFC 5118 files: LF -> CRLF, add the missing empty line, fix Content-Length. */
static void to_wire(const char *in, size_t len, struct buf *out)
{
	struct buf tmp;
	const char *sep, *body;
	size_t hlen, blen;

	buf_init(&tmp, 0);
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			buf_putc(&tmp, '\r');
		buf_putc(&tmp, in[i]);
	}
	sep = strstr(buf_cstr(&tmp), "\r\n\r\n");
	if (!sep) {
		buf_puts(&tmp, "\r\n");
		sep = strstr(buf_cstr(&tmp), "\r\n\r\n");
	}
	hlen = (size_t)(sep - tmp.p) + 2;
	body = sep + 4;
	blen = tmp.len - (size_t)(body - tmp.p);
	buf_reset(out);
	/* copy header lines, replacing Content-Length */
	for (const char *p = tmp.p; p < tmp.p + hlen;) {
		const char *nl = strstr(p, "\r\n");
		size_t l = (size_t)(nl - p) + 2;
		if (!strncasecmp(p, "Content-Length:", 15))
			buf_printf(out, "Content-Length: %zu\r\n", blen);
		else
			buf_append(out, p, l);
		p += l;
	}
	buf_puts(out, "\r\n");
	buf_append(out, body, blen);
	buf_free(&tmp);
}

static void read_case(const struct row *r, struct buf *msg)
{
	char path[1400], *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, r->file);
	assert_int_equal(fs_read_file(path, &data, &len, 1 << 20, NULL), 0);
	buf_reset(msg);
	if (!strncmp(r->file, "rfc5118/", 8))
		to_wire(data, len, msg);
	else
		buf_append(msg, data, len);
	free(data);
}

/* parse(print(m)) must give the same start line, headers and body. */
static void check_roundtrip(const struct sip_msg *m)
{
	struct buf b;
	struct sip_msg *m2;
	const char *reason;

	buf_init(&b, 0);
	assert_int_equal(sip_msg_print(m, &b), 0);
	assert_int_equal(sip_msg_parse(&m2, b.p, b.len, 0, &reason), 0);
	assert_int_equal(m2->req, m->req);
	assert_int_equal(m2->scode, m->scode);
	assert_true(pl_eq(&m2->method, &m->method));
	assert_true(pl_eq(&m2->ruri_text, &m->ruri_text));
	/* the printer adds Content-Length when the original had none */
	assert_int_equal(m2->nhdr, m->nhdr + (m->has_clen ? 0 : 1));
	for (unsigned i = 0; i < m->nhdr; i++) {
		assert_int_equal(m2->hdrs[i].id, m->hdrs[i].id);
		if (m->hdrs[i].id != SIP_H_CONTENT_LENGTH)
			assert_true(pl_eq(&m2->hdrs[i].val, &m->hdrs[i].val));
	}
	assert_int_equal(m2->nvia, m->nvia);
	assert_int_equal(m2->ncontact, m->ncontact);
	assert_true(pl_eq(&m2->callid, &m->callid));
	assert_int_equal(m2->cseq.num, m->cseq.num);
	assert_true(pl_eq(&m2->body, &m->body));
	sip_msg_free(m2);
	buf_free(&b);
}

/* Every truncation of the message either parses or fails cleanly; run
 * under ASan this proves there is no read past the end. */
static void check_prefixes(const struct buf *msg)
{
	for (size_t n = 0; n < msg->len; n++) {
		char *copy = malloc(n ? n : 1);
		struct sip_msg *m;
		const char *reason;
		size_t fl;
		memcpy(copy, msg->p, n);
		if (sip_msg_parse(&m, copy, n, 0, &reason) == 0)
			sip_msg_free(m);
		else
			assert_non_null(reason);
		(void)sip_msg_frame(copy, n, &fl, &reason);
		free(copy);
	}
}

static void run_row(void **state)
{
	const struct row *r = *state;
	struct buf msg;
	struct sip_msg *m = NULL;
	const char *reason = NULL, *why = NULL;
	int perr, cerr = -1;

	buf_init(&msg, 0);
	read_case(r, &msg);
	perr = sip_msg_parse(&m, msg.p, msg.len, 0, &reason);
	if (!perr)
		cerr = sip_msg_check(m, &why);
	if (!strcmp(r->expected, "valid")) {
		if (perr)
			fail_msg("%s: expected valid, parser said: %s", r->file, reason);
		if (cerr)
			fail_msg("%s: expected valid, check said: %s", r->file, why);
	} else if (!strcmp(r->expected, "invalid") || !strcmp(r->expected, "semantic:400")) {
		if (!perr && !cerr)
			fail_msg("%s: expected %s, but it was accepted", r->file, r->expected);
		assert_non_null(perr ? reason : why);
	} else if (!strncmp(r->expected, "semantic:", 9)) {
		if (perr)
			fail_msg("%s: expected to parse (%s), parser said: %s", r->file,
				 r->expected, reason);
	} else {
		fail_msg("%s: unknown expectation %s", r->file, r->expected);
	}
	if (!perr) {
		check_roundtrip(m);
		sip_msg_free(m);
	}
	check_prefixes(&msg);
	buf_free(&msg);
}

int main(void)
{
	struct CMUnitTest tests[128];

	load_manifest();
	for (unsigned i = 0; i < nrows; i++) {
		tests[i].name = rows[i].file;
		tests[i].test_func = run_row;
		tests[i].setup_func = NULL;
		tests[i].teardown_func = NULL;
		tests[i].initial_state = &rows[i];
	}
	if (nrows < 62) {
		fprintf(stderr, "manifest has %u rows, expected 62\n", nrows);
		return 99;
	}
	return _cmocka_run_group_tests("conformance", tests, nrows, NULL, NULL);
}
