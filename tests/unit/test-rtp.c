/* test-rtp.c: RTP/RTCP packets, the RFC 3550 appendix A statistics,
 * RFC 4733 telephone-events, and struct rtp_sock on the real loop with
 * real loopback sockets and a fake clock for the timers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "rtp.h"
#include "sa.h"
#include "tmr.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Parsers get an exact-size heap copy, so ASan sees any overread. */
static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);
	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

/* ---------- RTP packets ---------- */

static void test_rtp_parse_vector(void **state)
{
	/* V=2 P=0 X=0 CC=1, M=1 PT=8, seq 0x1234, ts 0xdeadbeef, ssrc 0x01020304,
	 * csrc 0xa0b0c0d0, payload "xyz" */
	static const uint8_t v[] = {
		0x81, 0x88, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
		0xa0, 0xb0, 0xc0, 0xd0, 'x', 'y', 'z',
	};
	uint8_t *p = dup_exact(v, sizeof(v));
	struct rtp_pkt pkt;
	const char *reason = NULL;
	(void)state;

	assert_int_equal(rtp_parse(&pkt, p, sizeof(v), &reason), 0);
	assert_true(pkt.hdr.marker);
	assert_int_equal(pkt.hdr.pt, 8);
	assert_int_equal(pkt.hdr.seq, 0x1234);
	assert_int_equal(pkt.hdr.ts, 0xdeadbeef);
	assert_int_equal(pkt.hdr.ssrc, 0x01020304);
	assert_int_equal(pkt.hdr.cc, 1);
	assert_int_equal(pkt.hdr.csrc[0], 0xa0b0c0d0);
	assert_false(pkt.hdr.ext);
	assert_int_equal(pkt.payload_len, 3);
	assert_ptr_equal(pkt.payload, p + 16);
	assert_memory_equal(pkt.payload, "xyz", 3);
	free(p);
}

static void test_rtp_roundtrip(void **state)
{
	static const uint8_t ext[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t payload[100], buf[256];
	struct rtp_hdr h;
	struct rtp_pkt pkt;
	size_t n = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	memset(&h, 0, sizeof(h));
	h.marker = true;
	h.pt = 111;
	h.seq = 65535;
	h.ts = 0xfffffff0;
	h.ssrc = 0xcafebabe;
	h.cc = 2;
	h.csrc[0] = 11;
	h.csrc[1] = 22;
	h.ext = true;
	h.ext_profile = 0xbede;
	h.ext_data = ext;
	h.ext_len = sizeof(ext);
	assert_int_equal(rtp_hdr_size(&h), 12 + 8 + 4 + 8);
	assert_int_equal(rtp_build(buf, sizeof(buf), &n, &h, payload, sizeof(payload)), 0);
	assert_int_equal(n, 32 + sizeof(payload));
	{
		uint8_t *p = dup_exact(buf, n);
		assert_int_equal(rtp_parse(&pkt, p, n, NULL), 0);
		assert_true(pkt.hdr.marker);
		assert_int_equal(pkt.hdr.pt, 111);
		assert_int_equal(pkt.hdr.seq, 65535);
		assert_int_equal(pkt.hdr.ts, 0xfffffff0);
		assert_int_equal(pkt.hdr.ssrc, 0xcafebabe);
		assert_int_equal(pkt.hdr.cc, 2);
		assert_int_equal(pkt.hdr.csrc[0], 11);
		assert_int_equal(pkt.hdr.csrc[1], 22);
		assert_true(pkt.hdr.ext);
		assert_int_equal(pkt.hdr.ext_profile, 0xbede);
		assert_int_equal(pkt.hdr.ext_len, 8);
		assert_memory_equal(pkt.hdr.ext_data, ext, 8);
		assert_int_equal(pkt.payload_len, sizeof(payload));
		assert_memory_equal(pkt.payload, payload, sizeof(payload));
		assert_int_equal(pkt.pad_len, 0);
		free(p);
	}

	/* exact fit works, one byte less is ENOSPC, nothing written past */
	for (size_t size = 0; size < n; size++) {
		uint8_t *d = malloc(size ? size : 1);
		assert_int_equal(rtp_build(d, size, NULL, &h, payload, sizeof(payload)), ENOSPC);
		free(d);
	}
	{
		uint8_t *d = malloc(n);
		assert_int_equal(rtp_build(d, n, NULL, &h, payload, sizeof(payload)), 0);
		assert_memory_equal(d, buf, n);
		free(d);
	}
	/* the payload may already sit where it goes */
	memcpy(buf + 32, payload, sizeof(payload));
	memset(buf, 0, 32);
	assert_int_equal(rtp_build(buf, sizeof(buf), &n, &h, buf + 32, sizeof(payload)), 0);
	assert_int_equal(rtp_parse(&pkt, buf, n, NULL), 0);
	assert_memory_equal(pkt.payload, payload, sizeof(payload));

	/* headers that cannot be encoded */
	h.cc = 16;
	assert_int_equal(rtp_build(buf, sizeof(buf), &n, &h, NULL, 0), EINVAL);
	h.cc = 0;
	h.pt = 128;
	assert_int_equal(rtp_build(buf, sizeof(buf), &n, &h, NULL, 0), EINVAL);
	h.pt = 0;
	h.ext_len = 3;
	assert_int_equal(rtp_build(buf, sizeof(buf), &n, &h, NULL, 0), EINVAL);
}

static void test_rtp_padding(void **state)
{
	/* 3 payload bytes then 4 bytes of padding (count 4) */
	static const uint8_t v[] = {
		0xa0, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 4,
	};
	/* padding is the whole payload */
	static const uint8_t w[] = { 0xa0, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 2 };
	struct rtp_pkt pkt;
	uint8_t *p;
	(void)state;

	p = dup_exact(v, sizeof(v));
	assert_int_equal(rtp_parse(&pkt, p, sizeof(v), NULL), 0);
	assert_true(pkt.hdr.pad);
	assert_int_equal(pkt.pad_len, 4);
	assert_int_equal(pkt.payload_len, 3);
	assert_memory_equal(pkt.payload, "abc", 3);
	free(p);
	p = dup_exact(w, sizeof(w));
	assert_int_equal(rtp_parse(&pkt, p, sizeof(w), NULL), 0);
	assert_int_equal(pkt.payload_len, 0);
	free(p);
}

struct bad_case {
	const char *name;
	uint8_t b[40];
	size_t len;
	const char *reason;
};

static void test_rtp_malformed(void **state)
{
	static const struct bad_case cases[] = {
		{ "empty", { 0 }, 0, "truncated RTP header" },
		{ "11 bytes", { 0x80, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0 }, 11, "truncated RTP header" },
		{ "version 0", { 0x00, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 }, 12, "RTP version is not 2" },
		{ "version 1", { 0x40, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 }, 12, "RTP version is not 2" },
		{ "version 3", { 0xc0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 }, 12, "RTP version is not 2" },
		{ "cc 1, no csrc", { 0x81, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 }, 12,
		  "CSRC list beyond the end" },
		{ "cc 2, one csrc and a half",
		  { 0x82, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6 }, 18,
		  "CSRC list beyond the end" },
		{ "cc 15, 3 csrcs",
		  { 0x8f, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 }, 24,
		  "CSRC list beyond the end" },
		{ "X without extension header", { 0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe }, 13,
		  "extension header beyond the end" },
		{ "X, 3 of 4 header bytes", { 0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0 },
		  15, "extension header beyond the end" },
		{ "extension length 2 words, 1 present",
		  { 0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 2, 1, 2, 3, 4 }, 20,
		  "extension beyond the end" },
		{ "extension length 0xffff",
		  { 0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0xff, 0xff }, 16,
		  "extension beyond the end" },
		{ "cc + extension beyond",
		  { 0x91, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9, 0xbe, 0xde, 0, 1 }, 20,
		  "extension beyond the end" },
		{ "padding count 0", { 0xa0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 'a', 0 }, 14,
		  "padding count is zero" },
		{ "padding larger than payload", { 0xa0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 'a', 3 },
		  14, "padding larger than the payload" },
		{ "padding 255 on a small packet", { 0xa0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0xff }, 12,
		  "padding larger than the payload" },
		{ "padding eats the csrc list",
		  { 0xa1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4 }, 16,
		  "padding larger than the payload" },
	};
	(void)state;

	for (size_t i = 0; i < N_ELEM(cases); i++) {
		struct rtp_pkt pkt;
		const char *reason = NULL;
		uint8_t *p = dup_exact(cases[i].b, cases[i].len);
		int err = rtp_parse(&pkt, p, cases[i].len, &reason);
		if (err != EBADMSG || !reason || strcmp(reason, cases[i].reason))
			fail_msg("%s: err %d reason %s", cases[i].name, err, reason ? reason : "-");
		free(p);
	}
}

/* ---------- RTCP packets ---------- */

static void test_rtcp_roundtrip(void **state)
{
	uint8_t buf[512];
	size_t off = 0;
	struct rtcp_sr sr = { 0x0123456789abcdefull, 160000, 1000, 160000 };
	struct rtcp_rb rb[2] = {
		{ 0x11111111, 25, -5, 0x00010005, 42, 0xaabbccdd, 98304 },
		{ 0x22222222, 255, 0x7fffff, 7, 0, 0, 0 },
	};
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	struct rtcp_sdes_iter si;
	struct rtcp_sdes_item item;
	const char *reason;
	uint8_t *p;
	(void)state;

	assert_int_equal(rtcp_build_report(buf, sizeof(buf), &off, 0xabcdef01, &sr, rb, 2), 0);
	assert_int_equal(off, 4 + 4 + 20 + 48);
	assert_int_equal(rtcp_build_sdes_cname(buf, sizeof(buf), &off, 0xabcdef01, "alice@example"),
			 0);
	assert_int_equal(off % 4, 0);
	assert_int_equal(rtcp_build_report(buf, sizeof(buf), &off, 0xabcdef01, NULL, NULL, 0), 0);
	assert_int_equal(rtcp_build_bye(buf, sizeof(buf), &off, 0xabcdef01, "hangup"), 0);
	assert_int_equal(off % 4, 0);
	p = dup_exact(buf, off);
	assert_int_equal(rtcp_check(p, off, &reason), 0);

	rtcp_iter_init(&it, p, off);
	assert_int_equal(rtcp_next(&it, &pkt, &reason), 0);
	assert_int_equal(pkt.pt, RTCP_SR);
	assert_int_equal(pkt.ssrc, 0xabcdef01);
	assert_true(pkt.sr.ntp == sr.ntp);
	assert_int_equal(pkt.sr.rtp_ts, 160000);
	assert_int_equal(pkt.sr.pkt_count, 1000);
	assert_int_equal(pkt.sr.octet_count, 160000);
	assert_int_equal(pkt.n_rb, 2);
	assert_int_equal(pkt.rb[0].ssrc, 0x11111111);
	assert_int_equal(pkt.rb[0].fraction, 25);
	assert_int_equal(pkt.rb[0].lost, -5);
	assert_int_equal(pkt.rb[0].ext_max_seq, 0x00010005);
	assert_int_equal(pkt.rb[0].jitter, 42);
	assert_int_equal(pkt.rb[0].lsr, 0xaabbccdd);
	assert_int_equal(pkt.rb[0].dlsr, 98304);
	assert_int_equal(pkt.rb[1].lost, 0x7fffff);
	assert_int_equal(pkt.rb[1].fraction, 255);

	assert_int_equal(rtcp_next(&it, &pkt, &reason), 0);
	assert_int_equal(pkt.pt, RTCP_SDES);
	assert_int_equal(pkt.ssrc, 0xabcdef01);
	rtcp_sdes_iter_init(&si, &pkt);
	assert_int_equal(rtcp_sdes_next(&si, &item), 0);
	assert_int_equal(item.src, 0xabcdef01);
	assert_int_equal(item.type, RTCP_SDES_CNAME);
	assert_true(pl_eq_str(&item.text, "alice@example"));
	assert_int_equal(rtcp_sdes_next(&si, &item), ENOENT);

	assert_int_equal(rtcp_next(&it, &pkt, &reason), 0);
	assert_int_equal(pkt.pt, RTCP_RR);
	assert_int_equal(pkt.n_rb, 0);
	assert_int_equal(rtcp_next(&it, &pkt, &reason), 0);
	assert_int_equal(pkt.pt, RTCP_BYE);
	assert_int_equal(pkt.n_src, 1);
	assert_int_equal(pkt.src[0], 0xabcdef01);
	assert_true(pl_eq_str(&pkt.reason, "hangup"));
	assert_int_equal(rtcp_next(&it, &pkt, &reason), ENOENT);
	free(p);

	/* lost beyond 24 bits is clamped on the wire */
	off = 0;
	rb[0].lost = -10000000;
	rb[1].lost = 10000000;
	assert_int_equal(rtcp_build_report(buf, sizeof(buf), &off, 1, NULL, rb, 2), 0);
	rtcp_iter_init(&it, buf, off);
	assert_int_equal(rtcp_next(&it, &pkt, NULL), 0);
	assert_int_equal(pkt.rb[0].lost, -0x800000);
	assert_int_equal(pkt.rb[1].lost, 0x7fffff);

	/* every CNAME length pads to a 32-bit boundary with a null octet */
	for (size_t n = 0; n <= 255; n++) {
		char cname[256];
		memset(cname, 'c', n);
		cname[n] = '\0';
		off = 0;
		assert_int_equal(rtcp_build_sdes_cname(buf, sizeof(buf), &off, 7, cname), 0);
		assert_int_equal(rtcp_check(buf, off, NULL), 0);
		rtcp_iter_init(&it, buf, off);
		assert_int_equal(rtcp_next(&it, &pkt, NULL), 0);
		rtcp_sdes_iter_init(&si, &pkt);
		assert_int_equal(rtcp_sdes_next(&si, &item), 0);
		assert_int_equal(item.text.l, n);
		assert_int_equal(rtcp_sdes_next(&si, &item), ENOENT);
	}
	{
		char big[300];
		memset(big, 'x', 256);
		big[256] = '\0';
		off = 0;
		assert_int_equal(rtcp_build_sdes_cname(buf, sizeof(buf), &off, 7, big), EINVAL);
		assert_int_equal(rtcp_build_bye(buf, sizeof(buf), &off, 7, big), EINVAL);
	}
	/* ENOSPC leaves the offset alone */
	off = 10;
	assert_int_equal(rtcp_build_report(buf, 40, &off, 1, &sr, rb, 1), ENOSPC);
	assert_int_equal(off, 10);
	assert_int_equal(rtcp_build_bye(buf, 17, &off, 1, NULL), ENOSPC);
	assert_int_equal(rtcp_build_bye(buf, 18, &off, 1, NULL), 0);
	assert_int_equal(off, 18);
}

/* A compound with APP, an unknown type (skipped) and padding at the end. */
static void test_rtcp_app_unknown_padding(void **state)
{
	static const uint8_t v[] = {
		/* RR, no blocks */
		0x80, 201, 0, 1, 0, 0, 0, 9,
		/* APP subtype 3, name "TEST", 4 bytes of data */
		0x83, 204, 0, 3, 0, 0, 0, 9, 'T', 'E', 'S', 'T', 1, 2, 3, 4,
		/* PSFB (206), unknown here */
		0x81, 206, 0, 2, 0, 0, 0, 9, 0, 0, 0, 5,
		/* SDES, two chunks, two items in the first; P bit, 4 padding bytes */
		0xa2, 202, 0, 6,
		0, 0, 0, 9, 1, 2, 'a', 'b', 6, 1, 'T', 0,
		0, 0, 0, 10, 1, 1, 'z', 0, 0, 0, 0, 4,
	};
	uint8_t *p = dup_exact(v, sizeof(v));
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	struct rtcp_sdes_iter si;
	struct rtcp_sdes_item item;
	(void)state;

	assert_int_equal(rtcp_check(p, sizeof(v), NULL), 0);
	rtcp_iter_init(&it, p, sizeof(v));
	assert_int_equal(rtcp_next(&it, &pkt, NULL), 0);
	assert_int_equal(pkt.pt, RTCP_RR);
	assert_int_equal(pkt.ssrc, 9);
	assert_int_equal(rtcp_next(&it, &pkt, NULL), 0);
	assert_int_equal(pkt.pt, RTCP_APP);
	assert_int_equal(pkt.count, 3);
	assert_memory_equal(pkt.app_name, "TEST", 4);
	assert_int_equal(pkt.body_len, 4);
	assert_int_equal(pkt.body[3], 4);
	assert_int_equal(rtcp_next(&it, &pkt, NULL), 0);
	assert_int_equal(pkt.pt, 206);
	assert_int_equal(pkt.raw_len, 12);
	assert_int_equal(pkt.ssrc, 9);
	assert_int_equal(rtcp_next(&it, &pkt, NULL), 0);
	assert_int_equal(pkt.pt, RTCP_SDES);
	assert_int_equal(pkt.body_len, 20); /* 28 minus header and padding */
	rtcp_sdes_iter_init(&si, &pkt);
	assert_int_equal(rtcp_sdes_next(&si, &item), 0);
	assert_int_equal(item.src, 9);
	assert_true(pl_eq_str(&item.text, "ab"));
	assert_int_equal(rtcp_sdes_next(&si, &item), 0);
	assert_int_equal(item.type, RTCP_SDES_TOOL);
	assert_true(pl_eq_str(&item.text, "T"));
	assert_int_equal(rtcp_sdes_next(&si, &item), 0);
	assert_int_equal(item.src, 10);
	assert_true(pl_eq_str(&item.text, "z"));
	assert_int_equal(rtcp_sdes_next(&si, &item), ENOENT);
	assert_int_equal(rtcp_next(&it, &pkt, NULL), ENOENT);
	free(p);
}

static void test_rtcp_malformed(void **state)
{
	static const struct bad_case cases[] = {
		{ "3 bytes", { 0x80, 201, 0 }, 3, "truncated RTCP header" },
		{ "version 1", { 0x40, 201, 0, 1, 0, 0, 0, 1 }, 8, "RTCP version is not 2" },
		{ "length 2 words, 1 present", { 0x80, 201, 0, 2, 0, 0, 0, 1 }, 8,
		  "RTCP length beyond the datagram" },
		{ "length 0xffff", { 0x80, 201, 0xff, 0xff, 0, 0, 0, 1 }, 8,
		  "RTCP length beyond the datagram" },
		{ "second packet lies",
		  { 0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 203, 0, 9, 0, 0, 0, 1 }, 16,
		  "RTCP length beyond the datagram" },
		{ "trailing 2 bytes", { 0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 203 }, 10,
		  "truncated RTCP header" },
		{ "second packet version 0", { 0x80, 201, 0, 1, 0, 0, 0, 1, 0x00, 203, 0, 0 }, 12,
		  "RTCP version is not 2" },
		{ "padding before the last packet",
		  { 0xa0, 201, 0, 1, 0, 0, 0, 4, 0x80, 203, 0, 0 }, 12,
		  "RTCP padding before the last packet" },
		{ "padding count 0", { 0xa0, 201, 0, 1, 0, 0, 0, 0 }, 8,
		  "RTCP padding larger than the packet" },
		{ "padding larger than the packet", { 0xa0, 201, 0, 1, 0, 0, 0, 9 }, 8,
		  "RTCP padding larger than the packet" },
		{ "RR count 1, no block", { 0x81, 201, 0, 1, 0, 0, 0, 1 }, 8,
		  "RR shorter than its count" },
		{ "RR without SSRC", { 0x80, 201, 0, 0 }, 4, "RR shorter than its count" },
		{ "SR without sender info", { 0x80, 200, 0, 1, 0, 0, 0, 1 }, 8,
		  "SR shorter than its count" },
		{ "RR block eaten by padding",
		  { 0xa1, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4 }, 32,
		  "RR shorter than its count" },
		{ "SDES count 1, empty", { 0x81, 202, 0, 0 }, 4, "SDES chunk beyond the end" },
		{ "SDES item length beyond",
		  { 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 'b' }, 12, "SDES item beyond the end" },
		{ "SDES item type only",
		  { 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 0, 1, 1 }, 12, "SDES item beyond the end" },
		{ "SDES chunk without end",
		  { 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b' }, 12, "SDES chunk without end" },
		{ "SDES count 2, one chunk",
		  { 0x82, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0 }, 12, "SDES chunk beyond the end" },
		{ "BYE count 2, one SSRC", { 0x82, 203, 0, 1, 0, 0, 0, 1 }, 8,
		  "BYE shorter than its count" },
		{ "BYE reason beyond", { 0x81, 203, 0, 2, 0, 0, 0, 1, 9, 'a', 'b', 'c' }, 12,
		  "BYE reason beyond the end" },
		{ "APP without name", { 0x80, 204, 0, 1, 0, 0, 0, 1 }, 8,
		  "APP shorter than its header" },
	};
	(void)state;

	for (size_t i = 0; i < N_ELEM(cases); i++) {
		const char *reason = NULL;
		uint8_t *p = dup_exact(cases[i].b, cases[i].len);
		int err = rtcp_check(p, cases[i].len, &reason);
		if (err != EBADMSG || !reason || strcmp(reason, cases[i].reason))
			fail_msg("%s: err %d reason %s", cases[i].name, err, reason ? reason : "-");
		free(p);
	}
}

/* ---------- A.1 sequence numbers ---------- */

static void test_seq_probation_wrap(void **state)
{
	struct rtcp_rx s;
	struct rtcp_rb rb;
	(void)state;

	rtcp_rx_init(&s, 1, 65533, 8000);
	assert_int_equal(rtcp_rx_update_seq(&s, 65533), RTCP_SEQ_PROBATION);
	assert_int_equal(rtcp_rx_expected(&s), 0);
	assert_int_equal(rtcp_rx_update_seq(&s, 65534), RTCP_SEQ_VALID);
	assert_int_equal(s.base_seq, 65534);
	assert_int_equal(rtcp_rx_update_seq(&s, 65535), RTCP_SEQ_VALID);
	assert_int_equal(rtcp_rx_update_seq(&s, 0), RTCP_SEQ_VALID);
	assert_int_equal(s.cycles, 65536);
	assert_int_equal(rtcp_rx_update_seq(&s, 1), RTCP_SEQ_VALID);
	assert_int_equal(rtcp_rx_expected(&s), 4);
	assert_int_equal(s.received, 4);
	assert_int_equal(rtcp_rx_lost(&s), 0);
	rtcp_rx_report(&s, &rb, 0);
	assert_int_equal(rb.ext_max_seq, 0x10001);
	assert_int_equal(rb.lost, 0);
	assert_int_equal(rb.fraction, 0);

	/* duplicates: RFC 3550 lets them cancel losses; missing does not */
	rtcp_rx_init(&s, 1, 10, 8000);
	rtcp_rx_update_seq(&s, 10);
	rtcp_rx_update_seq(&s, 11);                 /* validated: base 11 */
	rtcp_rx_update_seq(&s, 11);                 /* the newest again */
	rtcp_rx_update_seq(&s, 13);                 /* 12 lost */
	rtcp_rx_update_seq(&s, 11);                 /* an older one again */
	rtcp_rx_update_seq(&s, 15);                 /* 14 lost */
	rtcp_rx_update_seq(&s, 14);                 /* no: reordered */
	rtcp_rx_update_seq(&s, 14);                 /* and repeated */
	assert_int_equal(rtcp_rx_expected(&s), 5);  /* 11..15 */
	assert_int_equal(s.duplicates, 3);
	assert_int_equal(rtcp_rx_lost(&s), -2);     /* 5 - 7 */
	assert_int_equal(rtcp_rx_missing(&s), 1);   /* 12 */

	/* probation across the wrap itself: 65535 then 0 validates */
	rtcp_rx_init(&s, 1, 65535, 8000);
	assert_int_equal(rtcp_rx_update_seq(&s, 65535), RTCP_SEQ_PROBATION);
	assert_int_equal(rtcp_rx_update_seq(&s, 0), RTCP_SEQ_VALID);
	assert_int_equal(s.base_seq, 0);
	assert_int_equal(rtcp_rx_expected(&s), 1);

	/* probation restarts on a gap */
	rtcp_rx_init(&s, 1, 100, 8000);
	assert_int_equal(rtcp_rx_update_seq(&s, 100), RTCP_SEQ_PROBATION);
	assert_int_equal(rtcp_rx_update_seq(&s, 102), RTCP_SEQ_PROBATION);
	assert_int_equal(rtcp_rx_update_seq(&s, 103), RTCP_SEQ_VALID);
	assert_int_equal(s.base_seq, 103);

	/* several wraps are counted */
	rtcp_rx_init(&s, 1, 0, 8000);
	for (uint32_t i = 0; i < 3 * 65536 + 10; i++)
		assert_int_not_equal(rtcp_rx_update_seq(&s, (uint16_t)i), RTCP_SEQ_BAD);
	assert_int_equal(s.cycles, 3 * 65536);
	assert_int_equal(rtcp_rx_expected(&s), 3 * 65536 + 9);
	assert_int_equal(rtcp_rx_lost(&s), 0);
}

static void test_seq_dup_reorder_jump(void **state)
{
	struct rtcp_rx s;
	static const uint16_t in[] = { 10, 11, 12, 14, 13, 13, 15 };
	(void)state;

	rtcp_rx_init(&s, 1, 10, 8000);
	for (size_t i = 0; i < N_ELEM(in); i++)
		(void)rtcp_rx_update_seq(&s, in[i]);
	/* base 11; 11..15 expected (5); received 11,12,14,13,13,15 (6) */
	assert_int_equal(s.max_seq, 15);
	assert_int_equal(rtcp_rx_expected(&s), 5);
	assert_int_equal(s.received, 6);
	assert_int_equal(rtcp_rx_lost(&s), -1); /* duplicates make it negative (RFC 3550 6.4.1) */

	/* a late packet (older than max) does not move max_seq or count a wrap */
	assert_int_equal(rtcp_rx_update_seq(&s, 5), RTCP_SEQ_VALID);
	assert_int_equal(s.max_seq, 15);
	assert_int_equal(s.cycles, 0);

	/* a gap under MAX_DROPOUT is loss; at MAX_DROPOUT it is a jump */
	assert_int_equal(rtcp_rx_update_seq(&s, 15 + 2999), RTCP_SEQ_VALID);
	assert_int_equal(s.max_seq, 3014);
	assert_int_equal(rtcp_rx_update_seq(&s, 3014 + 3000), RTCP_SEQ_BAD);
	/* a lone stray jump is forgotten; the stream goes on */
	assert_int_equal(rtcp_rx_update_seq(&s, 3015), RTCP_SEQ_VALID);
	assert_int_equal(s.max_seq, 3015);
	/* misorder window: 100 behind is a jump, 99 behind a reordering */
	assert_int_equal(rtcp_rx_update_seq(&s, 3015 - 100), RTCP_SEQ_BAD);
	assert_int_equal(rtcp_rx_update_seq(&s, 3015 - 99), RTCP_SEQ_VALID);

	/* the sender restarted: two in a row after the jump re-sync */
	assert_int_equal(rtcp_rx_update_seq(&s, 40000), RTCP_SEQ_BAD);
	assert_int_equal(rtcp_rx_update_seq(&s, 40001), RTCP_SEQ_VALID);
	assert_int_equal(s.base_seq, 40001);
	assert_int_equal(s.max_seq, 40001);
	assert_int_equal(s.received, 1);
	assert_int_equal(rtcp_rx_expected(&s), 1);
	assert_int_equal(rtcp_rx_update_seq(&s, 40002), RTCP_SEQ_VALID);
	assert_int_equal(rtcp_rx_lost(&s), 0);
}

/* ---------- A.3 loss, A.8 jitter, LSR/DLSR, RTT ---------- */

static void test_loss_fraction(void **state)
{
	struct rtcp_rx s;
	struct rtcp_rb rb;
	(void)state;

	rtcp_rx_init(&s, 0x55, 999, 8000);
	assert_int_equal(rtcp_rx_update_seq(&s, 999), RTCP_SEQ_PROBATION);
	/* interval 1: 1000..1099, ten lost */
	for (uint16_t q = 1000; q < 1100; q++)
		if (q % 10 != 3)
			(void)rtcp_rx_update_seq(&s, q);
	rtcp_rx_report(&s, &rb, 0);
	assert_int_equal(rb.ssrc, 0x55);
	assert_int_equal(rb.lost, 10);
	assert_int_equal(rb.fraction, (10 << 8) / 100); /* 25 */
	assert_int_equal(rb.ext_max_seq, 1099);
	/* interval 2: 1100..1199 all there plus 5 duplicates: fraction 0,
	 * cumulative falls to 5 */
	for (uint16_t q = 1100; q < 1200; q++)
		(void)rtcp_rx_update_seq(&s, q);
	for (uint16_t q = 1190; q < 1195; q++)
		(void)rtcp_rx_update_seq(&s, q);
	rtcp_rx_report(&s, &rb, 0);
	assert_int_equal(rb.fraction, 0);
	assert_int_equal(rb.lost, 5);
	/* interval 3: half of 1200..1299 lost */
	for (uint16_t q = 1200; q < 1300; q += 2)
		(void)rtcp_rx_update_seq(&s, q);
	(void)rtcp_rx_update_seq(&s, 1299);
	rtcp_rx_report(&s, &rb, 0);
	assert_int_equal(rb.fraction, (49 << 8) / 100); /* 125 */
	assert_int_equal(rb.lost, 5 + 49);
	/* interval 4: nothing arrived: nothing expected, fraction 0 */
	rtcp_rx_report(&s, &rb, 0);
	assert_int_equal(rb.fraction, 0);
	assert_int_equal(rb.lost, 54);
	/* no SR from the source: LSR and DLSR are 0 */
	assert_int_equal(rb.lsr, 0);
	assert_int_equal(rb.dlsr, 0);
}

static void test_jitter_hand(void **state)
{
	struct rtcp_rx s;
	(void)state;

	/* 8 kHz, 20 ms packets (160 units).  Arrivals in timestamp units:
	 *   ts     arrival  transit  D   J (float A.8)
	 *   0      1000     1000     -   0
	 *   160    1160     1000     0   0
	 *   320    1400     1080     80  5          = 0 + (80 - 0) / 16
	 *   480    1480     1000     80  9.6875     = 5 + (80 - 5) / 16
	 *   640    1640     1000     0   9.0820...  = 9.6875 - 9.6875 / 16
	 * The integer form of A.8 keeps 16 * J and rounds the decay term:
	 * 0, 0, 80, 155 (= 80 + 80 - 5), 145 (= 155 - 10) -> 9. */
	static const uint32_t ts[] = { 0, 160, 320, 480, 640 };
	static const uint32_t arr[] = { 1000, 1160, 1400, 1480, 1640 };
	static const uint32_t j16[] = { 0, 0, 80, 155, 145 };
	rtcp_rx_init(&s, 1, 0, 8000);
	for (size_t i = 0; i < N_ELEM(ts); i++) {
		rtcp_rx_jitter(&s, ts[i], arr[i]);
		assert_int_equal(s.jitter, j16[i]);
	}
	assert_int_equal(rtcp_rx_jitter_ts(&s), 9);
	assert_int_equal(rtcp_ts_to_ms(rtcp_rx_jitter_ts(&s), 8000), 1); /* 1.125 ms */

	/* the same pattern across the 32-bit wrap of both clocks */
	rtcp_rx_init(&s, 1, 0, 8000);
	for (size_t i = 0; i < N_ELEM(ts); i++)
		rtcp_rx_jitter(&s, ts[i] - 400, arr[i] - 2000);
	assert_int_equal(s.jitter, 145);

	/* 48 kHz, 20 ms: steady has no jitter; one 1 ms step (48 units) gives
	 * 48 / 16 = 3, and staying 1 ms late decays it (16J: 48, 45, ... 8, 7) */
	rtcp_rx_init(&s, 1, 0, 48000);
	for (uint32_t i = 0; i < 100; i++) {
		rtcp_rx_jitter(&s, 12345 + i * 960, 777 + i * 960 + (i > 50 ? 48 : 0));
		if (i == 50)
			assert_int_equal(s.jitter, 0);
		if (i == 51)
			assert_int_equal(rtcp_rx_jitter_ts(&s), 3);
	}
	assert_int_equal(s.jitter, 7);
	assert_int_equal(rtcp_rx_jitter_ts(&s), 0);
	assert_int_equal(rtcp_ts_to_ms(960, 48000), 20);
}

static void test_lsr_dlsr_rtt(void **state)
{
	struct rtcp_rx s;
	struct rtcp_rb rb;
	struct rtcp_sr sr = { 0 };
	uint32_t rtt = 12345;
	(void)state;

	/* NTP conversion */
	assert_true(rtcp_ntp_from_ms(0) == (uint64_t)2208988800u << 32);
	assert_true(rtcp_ntp_from_ms(1500) == ((uint64_t)2208988801u << 32 | 0x80000000u));
	assert_int_equal(rtcp_ntp_mid32(0x0011223344556677ull), 0x22334455);

	rtcp_rx_init(&s, 7, 0, 8000);
	(void)rtcp_rx_update_seq(&s, 0);
	(void)rtcp_rx_update_seq(&s, 1);
	sr.ntp = 0x0011223344556677ull;
	rtcp_rx_sr(&s, &sr, 50000);
	rtcp_rx_report(&s, &rb, 51500);
	assert_int_equal(rb.lsr, 0x22334455);
	assert_int_equal(rb.dlsr, 98304); /* 1.5 s * 65536 */

	/* A = LSR + DLSR + 0.25 s: RTT 250 ms */
	rb.lsr = 0x10000000;
	rb.dlsr = 98304;
	assert_int_equal(rtcp_rtt_ms(&rb, 0x10000000 + 98304 + 16384, &rtt), 0);
	assert_int_equal(rtt, 250);
	/* across the wrap of the middle 32 bits */
	rb.lsr = 0xffffc000;
	assert_int_equal(rtcp_rtt_ms(&rb, 0xffffc000u + 98304 + 655, &rtt), 0);
	assert_int_equal(rtt, 10); /* 655 / 65.536 = 9.99 ms */
	/* DLSR rounding a hair over A - LSR: 0, not a huge number */
	assert_int_equal(rtcp_rtt_ms(&rb, 0xffffc000u + 98300, &rtt), 0);
	assert_int_equal(rtt, 0);
	/* A before LSR: nonsense */
	assert_int_equal(rtcp_rtt_ms(&rb, 0xffffc000u - 1000, &rtt), EPROTO);
	/* no SR seen by the peer */
	rb.lsr = 0;
	assert_int_equal(rtcp_rtt_ms(&rb, 0x12345678, &rtt), ENODATA);
}

/* ---------- RFC 4733 ---------- */

static void test_dtmf_payload(void **state)
{
	struct dtmf_payload d = { 11, true, 10, 1600 }, e;
	uint8_t b[4];
	static const uint8_t want[4] = { 11, 0x8a, 0x06, 0x40 };
	(void)state;

	dtmf_build(b, &d);
	assert_memory_equal(b, want, 4);
	assert_int_equal(dtmf_parse(&e, b, 4), 0);
	assert_int_equal(e.event, 11);
	assert_true(e.end);
	assert_int_equal(e.volume, 10);
	assert_int_equal(e.duration, 1600);
	assert_int_equal(dtmf_parse(&e, b, 3), EBADMSG);
	assert_int_equal(dtmf_parse(&e, NULL, 0), EBADMSG);
	/* the reserved bit is ignored */
	b[1] = 0x7f;
	assert_int_equal(dtmf_parse(&e, b, 4), 0);
	assert_false(e.end);
	assert_int_equal(e.volume, 63);

	for (int i = 0; i < 16; i++)
		assert_int_equal(dtmf_event_from_char("0123456789*#ABCD"[i]), i);
	assert_int_equal(dtmf_event_from_char('d'), 15);
	assert_int_equal(dtmf_event_from_char('E'), -1);
	assert_int_equal(dtmf_event_from_char('\0'), -1);
	assert_int_equal(dtmf_event_char(10), '*');
	assert_int_equal(dtmf_event_char(11), '#');
	assert_int_equal(dtmf_event_char(16), '?');
}

struct txp {
	bool marker, end;
	uint32_t ts, offset;
	uint16_t duration;
	uint8_t payload[4];
};

static size_t tx_all(uint8_t ev, uint32_t ts, uint32_t ms, struct txp *out, size_t max)
{
	struct dtmf_tx tx;
	struct dtmf_tx_pkt p;
	size_t n = 0;

	assert_int_equal(dtmf_tx_start(&tx, ev, ts, 8000, ms, 10), 0);
	while (dtmf_tx_next(&tx, &p)) {
		struct dtmf_payload d;
		assert_true(n < max);
		assert_int_equal(dtmf_parse(&d, p.payload, 4), 0);
		assert_int_equal(d.event, ev);
		assert_int_equal(d.volume, 10);
		assert_int_equal(d.end, p.end);
		out[n].marker = p.marker;
		out[n].end = p.end;
		out[n].ts = p.ts;
		out[n].offset = p.offset_ms;
		out[n].duration = d.duration;
		memcpy(out[n].payload, p.payload, 4);
		n++;
	}
	return n;
}

static void test_dtmf_tx_sequence(void **state)
{
	struct txp p[32];
	size_t n;
	static const uint16_t dur[] = { 400, 800, 960, 960, 960, 960 };
	static const uint32_t off[] = { 0, 50, 100, 150, 150, 150 };
	(void)state;

	n = tx_all(5, 1000, 120, p, N_ELEM(p));
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(p[i].ts, 1000);
		assert_int_equal(p[i].marker, i == 0);
		assert_int_equal(p[i].end, i >= 3);
		assert_int_equal(p[i].duration, dur[i]);
		assert_int_equal(p[i].offset, off[i]);
	}
	/* 100 ms: two updates, ends at 800 */
	n = tx_all(0, 5, 100, p, N_ELEM(p));
	assert_int_equal(n, 5);
	assert_int_equal(p[1].duration, 800);
	assert_int_equal(p[4].duration, 800);
	/* shorter than one interval: one update, then the ends */
	n = tx_all(15, 5, 30, p, N_ELEM(p));
	assert_int_equal(n, 4);
	assert_true(p[0].marker);
	assert_int_equal(p[0].duration, 240);
	assert_int_equal(p[3].offset, 50);
}

static void test_dtmf_tx_limits(void **state)
{
	struct dtmf_tx tx;
	struct dtmf_tx_pkt p;
	unsigned n = 0;
	uint16_t last = 0;
	(void)state;

	assert_int_equal(dtmf_tx_start(&tx, 16, 0, 8000, 100, 10), EINVAL);
	assert_int_equal(dtmf_tx_start(&tx, 1, 0, 0, 100, 10), EINVAL);
	assert_int_equal(dtmf_tx_start(&tx, 1, 0, 8000, 0, 10), EINVAL);
	assert_int_equal(dtmf_tx_start(&tx, 1, 0, 8000, 100, 64), EINVAL);
	/* 10 s at 8 kHz is 80000 units: capped at 65535 */
	assert_int_equal(dtmf_tx_start(&tx, 1, 0, 8000, 10000, 0), 0);
	while (dtmf_tx_next(&tx, &p)) {
		struct dtmf_payload d;
		assert_int_equal(dtmf_parse(&d, p.payload, 4), 0);
		assert_true(d.duration >= last);
		last = d.duration;
		n++;
	}
	assert_int_equal(n, 200 + 3);
	assert_int_equal(last, 65535);
}

struct digits {
	unsigned n;
	struct dtmf_digit d[16];
};

static void digit_h(const struct dtmf_digit *d, void *arg)
{
	struct digits *g = arg;
	assert_true(g->n < N_ELEM(g->d));
	g->d[g->n++] = *d;
}

static void feed(struct dtmf_rx *rx, const struct txp *p, uint64_t now)
{
	assert_int_equal(dtmf_rx_input(rx, p->ts, p->payload, 4, now), 0);
}

static void test_dtmf_rx_dedup(void **state)
{
	struct txp a[8], b[8];
	size_t na, nb;
	struct dtmf_rx rx;
	struct digits g;
	(void)state;

	na = tx_all(1, 1000, 120, a, N_ELEM(a)); /* 6 packets */
	nb = tx_all(11, 3000, 100, b, N_ELEM(b)); /* 5 packets */
	assert_int_equal(na, 6);
	assert_int_equal(nb, 5);

	/* in order: one report, at the first end packet */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	for (size_t i = 0; i < na; i++) {
		feed(&rx, &a[i], i);
		assert_int_equal(g.n, i >= 3 ? 1 : 0);
	}
	assert_int_equal(g.d[0].digit, '1');
	assert_int_equal(g.d[0].duration, 960);
	assert_int_equal(g.d[0].duration_ms, 120);
	assert_true(g.d[0].ended);
	assert_int_equal(g.d[0].ts, 1000);
	assert_int_equal(g.d[0].volume, 10);

	/* everything twice, then everything again: still once */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	for (int rep = 0; rep < 2; rep++)
		for (size_t i = 0; i < na; i++) {
			feed(&rx, &a[i], 0);
			feed(&rx, &a[i], 0);
		}
	assert_int_equal(g.n, 1);

	/* first packets lost (no marker seen): the end still reports */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	feed(&rx, &a[4], 0);
	feed(&rx, &a[5], 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.d[0].duration, 960);

	/* reordered: an end first, then the updates, then the other ends */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	feed(&rx, &a[3], 0);
	feed(&rx, &a[1], 0);
	feed(&rx, &a[0], 0);
	feed(&rx, &a[2], 0);
	feed(&rx, &a[5], 0);
	feed(&rx, &a[4], 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.d[0].duration, 960);

	/* all end packets of the first digit lost: reported (not ended) when
	 * the second starts, with the longest duration seen; the second once */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	for (size_t i = 0; i < 3; i++)
		feed(&rx, &a[i], 0);
	assert_int_equal(g.n, 0);
	for (size_t i = 0; i < nb; i++)
		feed(&rx, &b[i], 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.d[0].digit, '1');
	assert_false(g.d[0].ended);
	assert_int_equal(g.d[0].duration, 960);
	assert_int_equal(g.d[1].digit, '#');
	assert_true(g.d[1].ended);
	assert_int_equal(g.d[1].duration, 800);
	/* the first digit's end packets, arriving very late, change nothing */
	for (size_t i = 3; i < na; i++)
		feed(&rx, &a[i], 0);
	assert_int_equal(g.n, 2);

	/* interleaved: the second digit starts before the first's ends arrive;
	 * the first's end (older timestamp) is reported, not repeated */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	feed(&rx, &a[0], 0);
	feed(&rx, &a[1], 0);
	feed(&rx, &b[0], 0);   /* a superseded: reported unended */
	feed(&rx, &a[3], 0);   /* already reported: ignored */
	feed(&rx, &b[1], 0);
	feed(&rx, &b[2], 0);   /* b ended */
	feed(&rx, &b[3], 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.d[0].digit, '1');
	assert_int_equal(g.d[0].duration, 800);
	assert_int_equal(g.d[1].digit, '#');

	/* updates reordered, ends lost: the longest duration is reported */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	feed(&rx, &a[2], 0);
	feed(&rx, &a[0], 0);
	feed(&rx, &a[1], 0);
	dtmf_rx_flush(&rx);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.d[0].duration, 960);
	assert_int_equal(g.d[0].duration_ms, 120);

	/* an older event never seen before whose end arrives while a newer
	 * one runs: reported once, the newer one continues */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	feed(&rx, &b[0], 0);
	feed(&rx, &a[3], 0);
	feed(&rx, &a[4], 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.d[0].digit, '1');
	feed(&rx, &b[2], 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.d[1].digit, '#');

	/* silence: the timeout reports the event once */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	feed(&rx, &a[0], 5000);
	feed(&rx, &a[1], 5050);
	dtmf_rx_timeout(&rx, 5050 + DTMF_RX_TIMEOUT_MS - 1);
	assert_int_equal(g.n, 0);
	dtmf_rx_timeout(&rx, 5050 + DTMF_RX_TIMEOUT_MS);
	assert_int_equal(g.n, 1);
	assert_false(g.d[0].ended);
	assert_int_equal(g.d[0].duration, 800);
	dtmf_rx_timeout(&rx, 99999);
	dtmf_rx_flush(&rx);
	feed(&rx, &a[3], 99999);
	assert_int_equal(g.n, 1);

	/* flush reports what is in progress */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	feed(&rx, &b[0], 0);
	dtmf_rx_flush(&rx);
	assert_int_equal(g.n, 1);
	dtmf_rx_flush(&rx);
	assert_int_equal(g.n, 1);

	/* non-DTMF events and short payloads are refused */
	{
		uint8_t flash[4] = { 16, 0x80, 0, 100 };
		assert_int_equal(dtmf_rx_input(&rx, 7000, flash, 4, 0), EPROTO);
		assert_int_equal(dtmf_rx_input(&rx, 7000, flash, 3, 0), EBADMSG);
		assert_int_equal(g.n, 1);
	}

	/* ten digits in a row, every packet duplicated and pairs swapped:
	 * exactly ten reports, in order */
	memset(&g, 0, sizeof(g));
	dtmf_rx_init(&rx, 8000, digit_h, &g);
	for (uint8_t ev = 0; ev < 10; ev++) {
		struct txp q[8];
		size_t nq = tx_all(ev, 10000 + ev * 2000u, 100, q, N_ELEM(q));
		for (size_t i = 0; i + 1 < nq; i += 2) {
			feed(&rx, &q[i + 1], 0);
			feed(&rx, &q[i], 0);
			feed(&rx, &q[i + 1], 0);
		}
		feed(&rx, &q[nq - 1], 0);
	}
	assert_int_equal(g.n, 10);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(g.d[i].event, i);
		assert_true(g.d[i].ended);
		assert_int_equal(g.d[i].duration, 800);
	}
}

/* ---------- rtp_sock on the loop ---------- */

static uint64_t fake_ms;

static uint64_t fake_clock(void)
{
	return fake_ms;
}

static int sock_setup(void **state)
{
	(void)state;
	fake_ms = 1000000;
	tmr_clock_set(fake_clock);
	log_set_level(LOG_LVL_ERROR);
	return loop_init();
}

static int sock_teardown(void **state)
{
	(void)state;
	loop_close();
	tmr_clock_set(NULL);
	return 0;
}

#define MAXREC 64

struct side {
	struct rtp_sock *rs;
	unsigned rx;
	uint16_t seq[MAXREC];
	uint32_t ts[MAXREC];
	uint8_t pt[MAXREC];
	bool marker[MAXREC];
	size_t len[MAXREC];
	uint32_t ssrc;
	uint8_t first[8];
	unsigned rtcp;
	struct rtcp_stats st;
	uint64_t rtcp_at[MAXREC];
	bool rtcp_sr[MAXREC];
	unsigned timeouts;
	uint32_t silent;
	bool close_on_rx;
	bool close_on_timeout;
	unsigned drop_every;        /* protect hook: fail every Nth packet */
	unsigned xform_n;
};

static void on_rtp(const struct rtp_pkt *pkt, uint64_t arrival_ms, void *arg)
{
	struct side *s = arg;
	assert_int_equal(arrival_ms, fake_ms);
	if (s->rx < MAXREC) {
		s->seq[s->rx] = pkt->hdr.seq;
		s->ts[s->rx] = pkt->hdr.ts;
		s->pt[s->rx] = pkt->hdr.pt;
		s->marker[s->rx] = pkt->hdr.marker;
		s->len[s->rx] = pkt->payload_len;
	}
	if (s->rx == 0)
		memcpy(s->first, pkt->payload, pkt->payload_len < 8 ? pkt->payload_len : 8);
	s->ssrc = pkt->hdr.ssrc;
	s->rx++;
	if (s->close_on_rx) {
		rtp_sock_close(s->rs);
		s->rs = NULL;
	}
}

static void on_rtcp(const struct rtcp_stats *st, void *arg)
{
	struct side *s = arg;
	if (s->rtcp < MAXREC) {
		s->rtcp_at[s->rtcp] = fake_ms;
		s->rtcp_sr[s->rtcp] = st->sr;
	}
	s->rtcp++;
	s->st = *st;
}

static void on_timeout(uint32_t silent_ms, void *arg)
{
	struct side *s = arg;
	s->timeouts++;
	s->silent = silent_ms;
	if (s->close_on_timeout) {
		rtp_sock_close(s->rs);
		s->rs = NULL;
	}
}

/* Drain what the kernel already queued (loopback delivery is synchronous). */
static void pump(void)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(loop_poll(0), 0);
}

/* Advance the fake clock in steps, running the loop at each. */
static void advance(uint64_t ms, uint64_t step)
{
	uint64_t end = fake_ms + ms;
	while (fake_ms < end) {
		fake_ms += step;
		if (fake_ms > end)
			fake_ms = end;
		assert_int_equal(loop_poll(0), 0);
	}
}

static void open_side(struct side *s, const char *addr, bool mux, uint32_t interval_ms)
{
	struct rtp_sock_cfg cfg;

	memset(s, 0, sizeof(*s));
	rtp_sock_cfg_init(&cfg);
	assert_int_equal(sa_set(&cfg.laddr, addr, 0), 0);
	cfg.rtcp_mux = mux;
	cfg.rtcp_interval_ms = interval_ms;
	assert_int_equal(rtp_sock_alloc(&s->rs, &cfg, on_rtp, on_rtcp, on_timeout, s), 0);
}

static void connect_sides(struct side *a, struct side *b)
{
	assert_int_equal(rtp_sock_set_remote(a->rs, rtp_sock_local(b->rs),
					     rtp_sock_local_rtcp(b->rs)), 0);
	assert_int_equal(rtp_sock_set_remote(b->rs, rtp_sock_local(a->rs),
					     rtp_sock_local_rtcp(a->rs)), 0);
}

static void send_n(struct side *s, unsigned n, uint32_t ts0)
{
	uint8_t pl[160];
	for (unsigned i = 0; i < n; i++) {
		memset(pl, (int)(0x30 + i), sizeof(pl));
		assert_int_equal(rtp_sock_send(s->rs, 0, i == 0, ts0 + i * 160, pl, sizeof(pl)), 0);
	}
}

static void close_side(struct side *s)
{
	if (s->rs)
		rtp_sock_close(s->rs);
	s->rs = NULL;
}

static void test_sock_ports(void **state)
{
	struct side a, b;
	const struct sa *l;
	(void)state;

	open_side(&a, "127.0.0.1", false, 1000000);
	open_side(&b, "127.0.0.1", false, 1000000);
	l = rtp_sock_local(a.rs);
	assert_int_equal(sa_af(l), AF_INET);
	assert_true(sa_is_loopback(l));
	assert_int_equal(sa_port(l) % 2, 0);
	assert_true(sa_port(l) >= 16384 && sa_port(l) <= 32766);
	assert_int_equal(sa_port(rtp_sock_local_rtcp(a.rs)), sa_port(l) + 1);
	assert_int_equal(loop_fd_count(), 1 + 4);
	/* random identities */
	assert_int_not_equal(rtp_sock_ssrc(a.rs), rtp_sock_ssrc(b.rs));
	assert_true(rtp_sock_ts_offset(a.rs) != rtp_sock_ts_offset(b.rs) ||
		    rtp_sock_ssrc(a.rs) != rtp_sock_ssrc(b.rs));
	/* no peer yet */
	assert_null(rtp_sock_peer(a.rs));
	assert_int_equal(rtp_sock_send(a.rs, 0, false, 0, (const uint8_t *)"x", 1), ENOTCONN);
	connect_sides(&a, &b);
	assert_int_equal(rtp_sock_send(a.rs, 128, false, 0, (const uint8_t *)"x", 1), EINVAL);
	{
		static uint8_t big[RTP_MAX_PACKET];
		assert_int_equal(rtp_sock_send(a.rs, 0, false, 0, big, sizeof(big)), EMSGSIZE);
	}
	/* wrong family for the remote */
	{
		struct sa v6;
		assert_int_equal(sa_set(&v6, "::1", 5000), 0);
		assert_int_equal(rtp_sock_set_remote(a.rs, &v6, NULL), EAFNOSUPPORT);
	}
	close_side(&a);
	close_side(&b);
	assert_int_equal(loop_fd_count(), 1);
}

/* Find four free ports p..p+3 (p even) by binding them. */
static uint16_t free_quad(void)
{
	for (uint16_t p = (uint16_t)(20000 + (getpid() % 2000) * 4); p < 32000; p += 4) {
		int fds[4], n = 0;
		for (; n < 4; n++) {
			struct sa a;
			sa_set(&a, "127.0.0.1", (uint16_t)(p + n));
			fds[n] = socket(AF_INET, SOCK_DGRAM, 0);
			if (bind(fds[n], &a.u.sa, a.len) < 0) {
				close(fds[n]);
				break;
			}
		}
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (n == 4)
			return p;
	}
	fail_msg("no free ports");
	return 0;
}

static void test_sock_port_range(void **state)
{
	struct rtp_sock_cfg cfg;
	struct rtp_sock *r1, *r2, *r3 = NULL;
	uint16_t p = free_quad();
	int blocker;
	struct sa a;
	(void)state;

	/* p+1 is taken: the pair (p, p+1) cannot be used, (p+2, p+3) can */
	blocker = socket(AF_INET, SOCK_DGRAM, 0);
	sa_set(&a, "127.0.0.1", (uint16_t)(p + 1));
	assert_int_equal(bind(blocker, &a.u.sa, a.len), 0);
	rtp_sock_cfg_init(&cfg);
	sa_set(&cfg.laddr, "127.0.0.1", 0);
	cfg.port_min = p;
	cfg.port_max = (uint16_t)(p + 3);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(rtp_sock_alloc(&r1, &cfg, NULL, NULL, NULL, NULL), 0);
		assert_int_equal(sa_port(rtp_sock_local(r1)), p + 2);
		assert_int_equal(sa_port(rtp_sock_local_rtcp(r1)), p + 3);
		/* and then the range is full */
		assert_int_equal(rtp_sock_alloc(&r3, &cfg, NULL, NULL, NULL, NULL), EADDRINUSE);
		assert_null(r3);
		rtp_sock_close(r1);
	}
	/* with rtcp-mux p is usable (only p+1 is taken), then p+2 */
	cfg.rtcp_mux = true;
	assert_int_equal(rtp_sock_alloc(&r1, &cfg, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(rtp_sock_alloc(&r2, &cfg, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(sa_port(rtp_sock_local(r1)) + sa_port(rtp_sock_local(r2)), 2 * p + 2);
	assert_int_equal(rtp_sock_alloc(&r3, &cfg, NULL, NULL, NULL, NULL), EADDRINUSE);
	rtp_sock_close(r1);
	rtp_sock_close(r2);
	close(blocker);
	/* a range without an even port pair */
	cfg.rtcp_mux = false;
	cfg.port_min = (uint16_t)(p + 1);
	cfg.port_max = (uint16_t)(p + 2);
	assert_int_equal(rtp_sock_alloc(&r3, &cfg, NULL, NULL, NULL, NULL), EINVAL);
}

static void exchange(const char *addr, bool mux)
{
	struct side a, b;
	(void)mux;

	open_side(&a, addr, mux, 1000000);
	open_side(&b, addr, mux, 1000000);
	connect_sides(&a, &b);
	send_n(&a, 10, 0);
	pump();
	assert_int_equal(b.rx, 10);
	assert_int_equal(b.ssrc, rtp_sock_ssrc(a.rs));
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(b.seq[i], (uint16_t)(b.seq[0] + i));
		assert_int_equal(b.ts[i], rtp_sock_ts_offset(a.rs) + i * 160);
		assert_int_equal(b.marker[i], i == 0);
		assert_int_equal(b.len[i], 160);
	}
	assert_int_equal(b.first[0], 0x30);
	assert_true(rtp_sock_latched(b.rs));
	assert_true(sa_eq(rtp_sock_peer(b.rs), rtp_sock_local(a.rs)));
	send_n(&b, 5, 0);
	pump();
	assert_int_equal(a.rx, 5);
	/* RTCP: B reports (SR: it sent) with a block about A */
	assert_int_equal(rtp_sock_send_rtcp_now(b.rs), 0);
	pump();
	assert_int_equal(a.rtcp, 1);
	assert_int_equal(b.rx, 10);
	assert_int_equal(a.rx, 5);
	assert_true(a.st.sr);
	assert_int_equal(a.st.ssrc, rtp_sock_ssrc(b.rs));
	assert_true(a.st.has_rb);
	assert_int_equal(a.st.fraction_lost, 0);
	assert_int_equal(a.st.cum_lost, 0);
	assert_false(a.st.has_rtt); /* A never sent an SR */
	assert_int_equal(a.st.rx_received, 4); /* probation ate one */
	{
		struct rtp_sock_counters c;
		rtp_sock_counters(a.rs, &c);
		assert_int_equal(c.tx_pkts, 10);
		assert_int_equal(c.tx_bytes, 1600);
		assert_int_equal(c.rx_pkts, 5);
		assert_int_equal(c.rx_bytes, 800);
		assert_int_equal(c.rtcp_rx, 1);
		assert_int_equal(c.rx_wrong_src, 0);
		rtp_sock_counters(b.rs, &c);
		assert_int_equal(c.rtcp_tx, 1);
		assert_int_equal(c.rx_pkts, 10);
	}
	/* BYE on close */
	close_side(&b);
	pump();
	assert_int_equal(a.rtcp, 2);
	assert_true(a.st.bye);
	close_side(&a);
}

static void test_sock_exchange_v4(void **state)
{
	(void)state;
	exchange("127.0.0.1", false);
}

static void test_sock_exchange_v6(void **state)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sa a;
	int ok;
	(void)state;

	sa_set(&a, "::1", 0);
	ok = fd >= 0 && bind(fd, &a.u.sa, a.len) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok) {
		skip();
		return;
	}
	exchange("::1", false);
	exchange("::1", true);
}

static void test_sock_rtcp_mux(void **state)
{
	struct side a, b;
	uint8_t pl[4] = { 1, 2, 3, 4 };
	(void)state;

	exchange("127.0.0.1", true);

	open_side(&a, "127.0.0.1", true, 1000000);
	open_side(&b, "127.0.0.1", true, 1000000);
	assert_true(sa_eq(rtp_sock_local(a.rs), rtp_sock_local_rtcp(a.rs)));
	assert_int_equal(loop_fd_count(), 1 + 2);
	connect_sides(&a, &b);
	/* PT 64..95 would read as RTCP on a muxed port */
	assert_int_equal(rtp_sock_send(a.rs, 72, false, 0, pl, 4), EINVAL);
	assert_int_equal(rtp_sock_send(a.rs, 95, true, 0, pl, 4), EINVAL);
	/* these are RTP even with the marker: 0x80|0 = 128, 0x80|111 = 239 */
	assert_int_equal(rtp_sock_send(a.rs, 0, true, 0, pl, 4), 0);
	assert_int_equal(rtp_sock_send(a.rs, 111, true, 160, pl, 4), 0);
	assert_int_equal(rtp_sock_send(a.rs, 96, false, 320, pl, 4), 0);
	assert_int_equal(rtp_sock_send(a.rs, 63, true, 480, pl, 4), 0);
	pump();
	assert_int_equal(b.rx, 4);
	assert_int_equal(b.pt[1], 111);
	assert_int_equal(b.pt[3], 63);
	assert_int_equal(b.rtcp, 0);
	assert_int_equal(rtp_sock_send_rtcp_now(a.rs), 0);
	pump();
	assert_int_equal(b.rtcp, 1);
	assert_int_equal(b.rx, 4);
	assert_true(b.st.sr);
	close_side(&a);
	close_side(&b);
}

/* Loss through real sockets: a protect hook that refuses every 5th packet
 * (its sequence number is used, the packet never leaves), and RTT with the
 * fake clock moving while packets are "in flight". */
static int drop_xform(bool rtcp, uint8_t *pkt, size_t *len, size_t size, void *arg)
{
	struct side *s = arg;
	(void)pkt;
	(void)len;
	(void)size;
	if (rtcp)
		return 0;
	s->xform_n++;
	if (s->drop_every && s->xform_n % s->drop_every == 0)
		return EAGAIN;
	return 0;
}

static void test_sock_loss_rtt(void **state)
{
	struct side a, b;
	uint8_t pl[20] = { 0 };
	(void)state;

	open_side(&a, "127.0.0.1", false, 1000000);
	open_side(&b, "127.0.0.1", false, 1000000);
	connect_sides(&a, &b);
	a.drop_every = 5;
	rtp_sock_set_xform(a.rs, drop_xform, NULL, &a);
	/* 22 sequence numbers, s0..s21; s4, s9, s14, s19 never leave */
	for (unsigned i = 0; i < 22; i++) {
		int err = rtp_sock_send(a.rs, 8, false, i * 160, pl, sizeof(pl));
		assert_int_equal(err, (i + 1) % 5 == 0 ? EAGAIN : 0);
	}
	pump();
	assert_int_equal(b.rx, 18);
	/* base is s1: expected 21, received 17 */
	assert_int_equal(rtp_sock_rx(b.rs)->received, 17);
	assert_int_equal(rtcp_rx_expected(rtp_sock_rx(b.rs)), 21);

	/* A's SR leaves at t0 and arrives 30 ms later */
	assert_int_equal(rtp_sock_send_rtcp_now(a.rs), 0);
	fake_ms += 30;
	pump();
	assert_int_equal(b.rtcp, 1);
	assert_true(b.st.sr);
	assert_false(b.st.has_rb); /* A has heard nothing from B */
	assert_int_equal(b.st.rx_lost, 4);
	/* B holds it 200 ms, its report takes 40 ms back */
	fake_ms += 200;
	assert_int_equal(rtp_sock_send_rtcp_now(b.rs), 0);
	fake_ms += 40;
	pump();
	assert_int_equal(a.rtcp, 1);
	assert_false(a.st.sr); /* B sent no RTP: RR */
	assert_true(a.st.has_rb);
	assert_int_equal(a.st.cum_lost, 4);
	assert_int_equal(a.st.fraction_lost, (4 << 8) / 21);
	assert_true(a.st.fraction_lost_pct > 18.74 && a.st.fraction_lost_pct < 18.76);
	assert_true(a.st.has_rtt);
	assert_in_range(a.st.rtt_ms, 69, 71);
	/* the next report covers a new interval: nothing lost in it */
	assert_int_equal(rtp_sock_send_rtcp_now(b.rs), 0);
	pump();
	assert_int_equal(a.rtcp, 2);
	assert_int_equal(a.st.fraction_lost, 0);
	assert_int_equal(a.st.cum_lost, 4);
	close_side(&a);
	close_side(&b);
}

/* The periodic schedule: first report after 0.5..1.5 of half the interval,
 * then 0.5..1.5 of it; SR only after RTP was sent since the last report. */
static void test_sock_rtcp_timing(void **state)
{
	struct side a, b;
	uint64_t t0 = fake_ms;
	bool all_same = true;
	unsigned sr_at = 0;
	(void)state;

	open_side(&a, "127.0.0.1", false, 5000);
	open_side(&b, "127.0.0.1", false, 5000);
	connect_sides(&a, &b);
	advance(30000, 1);
	assert_true(b.rtcp >= 30000 / 7500 && b.rtcp <= 30000 / 2500 + 1);
	assert_in_range(b.rtcp_at[0] - t0, 1250, 3752);
	for (unsigned i = 1; i < b.rtcp; i++) {
		uint64_t gap = b.rtcp_at[i] - b.rtcp_at[i - 1];
		if (gap < 2500 || gap > 7502)
			fail_msg("RTCP gap %u ms", (unsigned)gap);
		if (i > 1 && gap != b.rtcp_at[1] - b.rtcp_at[0])
			all_same = false;
		assert_false(b.rtcp_sr[i]); /* A sent no RTP: RR */
	}
	assert_false(all_same);
	/* one RTP packet: the next report is an SR, the one after an RR */
	send_n(&a, 1, 0);
	sr_at = b.rtcp;
	advance(16000, 1);
	assert_true(b.rtcp >= sr_at + 2);
	assert_true(b.rtcp_sr[sr_at]);
	assert_false(b.rtcp_sr[sr_at + 1]);
	close_side(&a);
	pump();

	/* first reports of ten more sockets: all within half the interval
	 * (a full interval would put three in four of them past 3750 ms) */
	for (int k = 0; k < 10; k++) {
		struct side x;
		unsigned before = b.rtcp;
		t0 = fake_ms;
		open_side(&x, "127.0.0.1", false, 5000);
		connect_sides(&x, &b); /* B forgets A: it hears anyone again */
		while (b.rtcp == before && fake_ms - t0 < 10000)
			advance(1, 1);
		assert_in_range(fake_ms - t0, 1250, 3752);
		close_side(&x);
		pump();
	}
	close_side(&b);
}

static void test_sock_latch_spoof(void **state)
{
	struct side a, b, c;
	struct sa sdp;
	struct rtp_sock_counters cnt;
	(void)state;

	open_side(&a, "127.0.0.1", false, 1000000);
	open_side(&b, "127.0.0.1", false, 1000000);
	open_side(&c, "127.0.0.1", false, 1000000);
	/* B's SDP says A is somewhere else (A is "behind a NAT") */
	sa_set(&sdp, "127.0.0.1", 9);
	assert_int_equal(rtp_sock_set_remote(b.rs, &sdp, NULL), 0);
	assert_true(sa_eq(rtp_sock_peer(b.rs), &sdp));
	assert_int_equal(rtp_sock_set_remote(a.rs, rtp_sock_local(b.rs), NULL), 0);
	assert_int_equal(rtp_sock_set_remote(c.rs, rtp_sock_local(b.rs), NULL), 0);

	send_n(&a, 5, 0);
	pump();
	assert_int_equal(b.rx, 5);
	assert_true(rtp_sock_latched(b.rs));
	assert_true(sa_eq(rtp_sock_peer(b.rs), rtp_sock_local(a.rs)));
	/* B answers where A really is */
	send_n(&b, 3, 0);
	pump();
	assert_int_equal(a.rx, 3);

	/* C (consistent stream) while A flows: dropped */
	send_n(&c, 10, 0);
	pump();
	assert_int_equal(b.rx, 5);
	rtp_sock_counters(b.rs, &cnt);
	assert_int_equal(cnt.rx_wrong_src, 10);
	assert_int_equal(cnt.relatches, 0);
	assert_true(sa_eq(rtp_sock_peer(b.rs), rtp_sock_local(a.rs)));
	/* C's RTCP is not heard either */
	assert_int_equal(rtp_sock_send_rtcp_now(c.rs), 0);
	pump();
	assert_int_equal(b.rtcp, 0);

	/* A silent for 1.9 s: still not enough */
	fake_ms += 1900;
	send_n(&c, 5, 1600);
	pump();
	assert_int_equal(b.rx, 5);
	assert_true(sa_eq(rtp_sock_peer(b.rs), rtp_sock_local(a.rs)));
	/* A speaks: the silence starts over */
	send_n(&a, 1, 800);
	pump();
	assert_int_equal(b.rx, 6);
	fake_ms += 1999;
	send_n(&c, 3, 2400);
	pump();
	assert_int_equal(b.rx, 6);

	/* 2 s of silence and a consistent newcomer: relatch */
	fake_ms += 1;
	send_n(&c, 1, 2880);
	pump();
	assert_int_equal(b.rx, 7);
	assert_true(sa_eq(rtp_sock_peer(b.rs), rtp_sock_local(c.rs)));
	rtp_sock_counters(b.rs, &cnt);
	assert_int_equal(cnt.relatches, 1);
	/* and now A is the stranger */
	send_n(&a, 3, 960);
	pump();
	assert_int_equal(b.rx, 7);
	send_n(&b, 2, 480);
	pump();
	assert_int_equal(c.rx, 2);
	assert_int_equal(a.rx, 3);
	close_side(&a);
	close_side(&b);
	close_side(&c);
}

/* A spoofer whose packets are not a consistent stream never takes over,
 * however long the real source is silent; the SDP address always does. */
static void test_sock_latch_inconsistent(void **state)
{
	struct side a, b, c;
	uint8_t raw[172] = { 0 };
	struct sa sdp;
	int fd;
	(void)state;

	open_side(&a, "127.0.0.1", false, 1000000);
	open_side(&b, "127.0.0.1", false, 1000000);
	open_side(&c, "127.0.0.1", false, 1000000);
	sa_set(&sdp, "127.0.0.1", 9);
	assert_int_equal(rtp_sock_set_remote(b.rs, &sdp, NULL), 0);
	assert_int_equal(rtp_sock_set_remote(a.rs, rtp_sock_local(b.rs), NULL), 0);
	send_n(&a, 3, 0);
	pump();
	assert_int_equal(b.rx, 3);
	fake_ms += 10000;
	/* raw packets from a plain socket: a new SSRC each time */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (unsigned i = 0; i < 20; i++) {
		struct rtp_hdr h = { .pt = 0, .seq = (uint16_t)i, .ts = i * 160, .ssrc = 1000 + i };
		size_t n;
		const struct sa *to = rtp_sock_local(b.rs);
		assert_int_equal(rtp_build(raw, sizeof(raw), &n, &h, raw + 12, 160), 0);
		assert_int_equal(sendto(fd, raw, n, 0, &to->u.sa, to->len), (ssize_t)n);
	}
	/* one SSRC, but sequence numbers that do not follow each other */
	for (unsigned i = 0; i < 20; i++) {
		struct rtp_hdr h = { .pt = 0, .seq = (uint16_t)(i * 1000), .ts = i * 160,
				     .ssrc = 4242 };
		size_t n;
		const struct sa *to = rtp_sock_local(b.rs);
		assert_int_equal(rtp_build(raw, sizeof(raw), &n, &h, raw + 12, 160), 0);
		assert_int_equal(sendto(fd, raw, n, 0, &to->u.sa, to->len), (ssize_t)n);
	}
	/* and garbage; a STUN binding request (a peer's keep-alive) and a
	 * DTLS record are told apart by their first byte (RFC 7983) */
	assert_int_equal(sendto(fd, "\x40garbage", 9, 0, &rtp_sock_local(b.rs)->u.sa,
				rtp_sock_local(b.rs)->len), 9);
	{
		static const uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
		static const uint8_t dtls[13] = { 22, 0xfe, 0xfd };
		const struct sa *to = rtp_sock_local(b.rs);
		assert_int_equal(sendto(fd, stun, sizeof(stun), 0, &to->u.sa, to->len), 20);
		assert_int_equal(sendto(fd, dtls, sizeof(dtls), 0, &to->u.sa, to->len), 13);
	}
	pump();
	assert_int_equal(b.rx, 3);
	assert_true(sa_eq(rtp_sock_peer(b.rs), rtp_sock_local(a.rs)));
	{
		struct rtp_sock_counters cnt;
		rtp_sock_counters(b.rs, &cnt);
		assert_int_equal(cnt.rx_wrong_src, 40);
		assert_int_equal(cnt.rx_malformed, 1);
		assert_int_equal(cnt.rx_other, 2);
	}
	close(fd);

	/* the SDP now names A itself: a new address forgets the latch */
	assert_int_equal(rtp_sock_set_remote(b.rs, rtp_sock_local(a.rs), NULL), 0);
	assert_false(rtp_sock_latched(b.rs));
	send_n(&a, 2, 480);
	pump();
	assert_int_equal(b.rx, 5);
	{
		/* re-INVITE moves B's peer to C; the latch is forgotten */
		assert_int_equal(rtp_sock_set_remote(b.rs, rtp_sock_local(c.rs), NULL), 0);
		assert_false(rtp_sock_latched(b.rs));
		send_n(&a, 1, 800);  /* whoever comes first latches... */
		pump();
		assert_true(sa_eq(rtp_sock_peer(b.rs), rtp_sock_local(a.rs)));
		assert_int_equal(rtp_sock_set_remote(c.rs, rtp_sock_local(b.rs), NULL), 0);
		send_n(&c, 1, 0);    /* ...but the SDP address takes over */
		pump();
		assert_true(sa_eq(rtp_sock_peer(b.rs), rtp_sock_local(c.rs)));
	}
	close_side(&a);
	close_side(&b);
	close_side(&c);
}

static void test_sock_inactivity(void **state)
{
	struct side a, b;
	(void)state;

	open_side(&a, "127.0.0.1", false, 1000000);
	open_side(&b, "127.0.0.1", false, 1000000);
	connect_sides(&a, &b);
	rtp_sock_set_timeout(b.rs, 3000);
	advance(2000, 100);
	send_n(&a, 2, 0);
	pump();
	advance(2900, 100);
	assert_int_equal(b.timeouts, 0);
	/* RTCP counts as life too */
	assert_int_equal(rtp_sock_send_rtcp_now(a.rs), 0);
	pump();
	advance(2900, 100);
	assert_int_equal(b.timeouts, 0);
	advance(100, 100);
	assert_int_equal(b.timeouts, 1);
	assert_int_equal(b.silent, 3000);
	/* once per silence */
	advance(10000, 500);
	assert_int_equal(b.timeouts, 1);
	/* a spoofer is not life */
	{
		struct side c;
		open_side(&c, "127.0.0.1", false, 1000000);
		assert_int_equal(rtp_sock_set_remote(c.rs, rtp_sock_local(b.rs), NULL), 0);
		send_n(&c, 1, 0);
		pump();
		advance(4000, 500);
		assert_int_equal(b.timeouts, 1);
		close_side(&c);
	}
	/* traffic again, then silence again: a second callback */
	send_n(&a, 1, 320);
	pump();
	advance(2999, 1);
	assert_int_equal(b.timeouts, 1);
	advance(1, 1);
	assert_int_equal(b.timeouts, 2);
	/* the call layer closes the socket from the callback */
	b.close_on_timeout = true;
	send_n(&a, 1, 480);
	pump();
	advance(3000, 1000);
	assert_int_equal(b.timeouts, 3);
	assert_null(b.rs);
	pump();
	assert_true(a.st.bye);
	/* 0 turns it off */
	rtp_sock_set_timeout(a.rs, 1000);
	rtp_sock_set_timeout(a.rs, 0);
	advance(5000, 1000);
	assert_int_equal(a.timeouts, 0);
	close_side(&a);
}

static void test_sock_close_in_rx(void **state)
{
	struct side a, b;
	(void)state;

	open_side(&a, "127.0.0.1", false, 1000000);
	open_side(&b, "127.0.0.1", false, 1000000);
	connect_sides(&a, &b);
	b.close_on_rx = true;
	send_n(&a, 10, 0);
	pump();
	/* closed on the first packet: the other nine are not delivered */
	assert_int_equal(b.rx, 1);
	assert_null(b.rs);
	pump();
	assert_int_equal(a.rtcp, 1);
	assert_true(a.st.bye);
	assert_int_equal(loop_fd_count(), 1 + 2);
	close_side(&a);
}

/* A transform that appends a 4-byte tag and checks it on the way in. */
static int tag_protect(bool rtcp, uint8_t *pkt, size_t *len, size_t size, void *arg)
{
	(void)arg;
	if (*len + 4 > size)
		return ENOSPC;
	memcpy(pkt + *len, rtcp ? "RTCP" : "TAG!", 4);
	*len += 4;
	return 0;
}

static int tag_unprotect(bool rtcp, uint8_t *pkt, size_t *len, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (*len < 4 || memcmp(pkt + *len - 4, rtcp ? "RTCP" : "TAG!", 4))
		return EBADMSG;
	*len -= 4;
	return 0;
}

static void test_sock_xform(void **state)
{
	struct side a, b;
	struct rtp_sock_counters cnt;
	(void)state;

	open_side(&a, "127.0.0.1", true, 1000000);
	open_side(&b, "127.0.0.1", true, 1000000);
	connect_sides(&a, &b);
	rtp_sock_set_xform(a.rs, tag_protect, tag_unprotect, NULL);
	rtp_sock_set_xform(b.rs, tag_protect, tag_unprotect, NULL);
	send_n(&a, 3, 0);
	assert_int_equal(rtp_sock_send_rtcp_now(a.rs), 0);
	pump();
	assert_int_equal(b.rx, 3);
	assert_int_equal(b.len[0], 160);
	assert_int_equal(b.rtcp, 1);
	/* B stops expecting the tag: everything is dropped as malformed */
	rtp_sock_set_xform(b.rs, NULL, NULL, NULL);
	rtp_sock_set_xform(a.rs, NULL, NULL, NULL);
	rtp_sock_set_xform(b.rs, NULL, tag_unprotect, NULL);
	send_n(&a, 3, 480);
	pump();
	assert_int_equal(b.rx, 3);
	rtp_sock_counters(b.rs, &cnt);
	assert_int_equal(cnt.rx_malformed, 3);
	close_side(&a);
	close_side(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_parse_vector),
		cmocka_unit_test(test_rtp_roundtrip),
		cmocka_unit_test(test_rtp_padding),
		cmocka_unit_test(test_rtp_malformed),
		cmocka_unit_test(test_rtcp_roundtrip),
		cmocka_unit_test(test_rtcp_app_unknown_padding),
		cmocka_unit_test(test_rtcp_malformed),
		cmocka_unit_test(test_seq_probation_wrap),
		cmocka_unit_test(test_seq_dup_reorder_jump),
		cmocka_unit_test(test_loss_fraction),
		cmocka_unit_test(test_jitter_hand),
		cmocka_unit_test(test_lsr_dlsr_rtt),
		cmocka_unit_test(test_dtmf_payload),
		cmocka_unit_test(test_dtmf_tx_sequence),
		cmocka_unit_test(test_dtmf_tx_limits),
		cmocka_unit_test(test_dtmf_rx_dedup),
		cmocka_unit_test_setup_teardown(test_sock_ports, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_port_range, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_exchange_v4, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_exchange_v6, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_rtcp_mux, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_loss_rtt, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_rtcp_timing, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_latch_spoof, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_latch_inconsistent, sock_setup,
						sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_inactivity, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_close_in_rx, sock_setup, sock_teardown),
		cmocka_unit_test_setup_teardown(test_sock_xform, sock_setup, sock_teardown),
	};

	/* one group: TAP allows one plan per stream */
	return cmocka_run_group_tests_name("rtp", tests, NULL, NULL);
}
