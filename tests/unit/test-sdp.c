/* tests/unit/test-sdp.c: the SDP parser, printer and offer/answer (src/sdp.h).
 * Samples in the shape real stacks send (baresip, Linphone, Asterisk
 * chan_pjsip and chan_sip, SIPp's default scenario, a Cisco gateway's
 * old-style hold, a browser's WebRTC offer, RFC 4566's example) and the
 * RFC 5118 IPv6 bodies from tests/data; malformed descriptions with their
 * reasons; every truncation of every sample; offer/answer tables.
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
#include <sys/socket.h>

#include "buf.h"
#include "fsutil.h"
#include "pl.h"
#include "sa.h"
#include "sdp.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- samples ---------- */

static const char baresip_sdp[] =
	"v=0\r\n"
	"o=- 1617958826 3145726718 IN IP4 192.0.2.10\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.10\r\n"
	"t=0 0\r\n"
	"a=tool:baresip 3.10.1\r\n"
	"m=audio 10372 RTP/AVP 96 9 0 8 101\r\n"
	"b=AS:128\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=rtcp-mux\r\n"
	"a=sendrecv\r\n"
	"a=label:1\r\n"
	"a=ssrc:2345678901 cname:sip:alice@example.com\r\n"
	"a=rtcp-rsize\r\n"
	"a=ptime:20\r\n"
	"a=mid:0\r\n"
	"m=video 10374 RTP/AVP 97 98\r\n"
	"b=AS:1000\r\n"
	"a=rtpmap:97 VP8/90000\r\n"
	"a=rtpmap:98 H264/90000\r\n"
	"a=fmtp:98 packetization-mode=1;profile-level-id=42e01f\r\n"
	"a=rtcp-mux\r\n"
	"a=sendrecv\r\n"
	"a=label:2\r\n"
	"a=mid:1\r\n";

static const char linphone_sdp[] =
	"v=0\r\n"
	"o=alice 3010 1234 IN IP4 192.0.2.20\r\n"
	"s=Talk\r\n"
	"c=IN IP4 192.0.2.20\r\n"
	"t=0 0\r\n"
	"a=ice-pwd:31ec21eb38b2ec6d36e8dc7b\r\n"
	"a=ice-ufrag:70a3a1f5\r\n"
	"a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
	"a=record:off\r\n"
	"m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 useinbandfec=1\r\n"
	"a=rtpmap:97 SILK/16000\r\n"
	"a=rtpmap:98 speex/16000\r\n"
	"a=fmtp:98 vbr=on\r\n"
	"a=fmtp:18 annexb=yes\r\n"
	"a=rtpmap:101 telephone-event/48000\r\n"
	"a=rtpmap:99 telephone-event/16000\r\n"
	"a=rtpmap:100 telephone-event/8000\r\n"
	"a=rtcp:7079\r\n"
	"a=candidate:1 1 UDP 2130706303 192.0.2.20 7078 typ host\r\n"
	"a=candidate:1 2 UDP 2130706302 192.0.2.20 7079 typ host\r\n"
	"a=candidate:2 1 UDP 1694498687 203.0.113.7 40123 typ srflx raddr 192.0.2.20 rport 7078\r\n"
	"a=rtcp-fb:* trr-int 1000\r\n"
	"a=rtcp-fb:* ccm tmmbr\r\n";

/* chan_pjsip putting us on hold */
static const char asterisk_hold_sdp[] =
	"v=0\r\n"
	"o=- 1443459238 1443459240 IN IP4 198.51.100.5\r\n"
	"s=Asterisk\r\n"
	"c=IN IP4 198.51.100.5\r\n"
	"t=0 0\r\n"
	"m=audio 17144 RTP/AVP 8 0 3 101\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:3 GSM/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=ptime:20\r\n"
	"a=maxptime:150\r\n"
	"a=sendonly\r\n";

static const char asterisk_sip_sdp[] =
	"v=0\r\n"
	"o=root 1821 1821 IN IP4 198.51.100.5\r\n"
	"s=Asterisk PBX 16.2.1~dfsg-1+deb10u2\r\n"
	"c=IN IP4 198.51.100.5\r\n"
	"b=CT:384\r\n"
	"t=0 0\r\n"
	"m=audio 12360 RTP/AVP 0 8 9 18 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=fmtp:18 annexb=no\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n";

/* SIPp's built-in uac scenario (its bodies go out with bare LF) */
static const char sipp_sdp[] =
	"v=0\n"
	"o=user1 53655765 2353687637 IN IP4 127.0.0.1\n"
	"s=-\n"
	"c=IN IP4 127.0.0.1\n"
	"t=0 0\n"
	"m=audio 6000 RTP/AVP 0\n"
	"a=rtpmap:0 PCMU/8000\n";

static const char rfc4566_sdp[] =
	"v=0\r\n"
	"o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
	"s=SDP Seminar\r\n"
	"i=A Seminar on the session description protocol\r\n"
	"u=http://www.example.com/seminars/sdp.pdf\r\n"
	"e=j.doe@example.com (Jane Doe)\r\n"
	"c=IN IP4 224.2.17.12/127\r\n"
	"t=2873397496 2873404696\r\n"
	"a=recvonly\r\n"
	"m=audio 49170 RTP/AVP 0\r\n"
	"m=video 51372 RTP/AVP 99\r\n"
	"a=rtpmap:99 h263-1998/90000\r\n";

/* RFC 2543 hold from a gateway: c=0.0.0.0, no direction attribute */
static const char cisco_hold_sdp[] =
	"v=0\r\n"
	"o=CiscoSystemsSIP-GW-UserAgent 4766 3034 IN IP4 203.0.113.40\r\n"
	"s=SIP Call\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"t=0 0\r\n"
	"m=audio 18634 RTP/AVP 18 101\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=fmtp:18 annexb=no\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-16\r\n";

static const char webrtc_sdp[] =
	"v=0\r\n"
	"o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0\r\n"
	"a=msid-semantic: WMS stream1\r\n"
	"m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 203.0.113.99\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:842163049 1 udp 1677729535 203.0.113.99 54400 typ srflx raddr "
	"192.168.1.4 rport 54400 generation 0 network-cost 999\r\n"
	"a=ice-ufrag:F7gI\r\n"
	"a=ice-pwd:x9cml/YzichV2+XlhiMu8g\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:"
	"C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=sendrecv\r\n"
	"a=msid:stream1 track1\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=rtpmap:63 red/48000/2\r\n"
	"a=fmtp:63 111/111\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6\r\n"
	"a=ssrc:3570614608 msid:stream1 track1\r\n";

static const char ipv6_sdp[] =
	"v=0\r\n"
	"o=bob 2808844564 2808844564 IN IP6 2001:db8::2\r\n"
	"s=-\r\n"
	"c=IN IP6 2001:db8::2\r\n"
	"t=0 0\r\n"
	"m=audio 49172 RTP/AVP 0 8 101\r\n"
	"a=rtcp:49999 IN IP6 2001:db8::3\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=ptime:30\r\n";

struct sample {
	const char *name;
	const char *text;          /* NULL: the body of file, loaded by main() */
	const char *file;          /* under tests/data/conformance/ */
	size_t len;
	/* what the parser must find */
	unsigned nmedia;
	const char *conn0;         /* effective c= address of m[0] */
	int af0;
	enum sdp_media_type type0;
	uint16_t port0;
	unsigned nfmts0;
	const char *enc0;          /* encoding of m[0]'s first format */
	uint32_t rate0;
	uint8_t ch0;
	enum sdp_dir dir0;
	unsigned nattrs0;          /* undecoded a= lines on m[0] */
	unsigned sess_attrs;
	/* what sdp_answer() with the answer_local() codecs must do */
	int ans_err;
	const char *ans_codec;
	uint8_t ans_pt;
};

static struct sample samples[] = {
	{ "baresip", baresip_sdp, NULL, 0, 2, "192.0.2.10", AF_INET, SDP_MEDIA_AUDIO, 10372,
	  5, "opus", 48000, 2, SDP_DIR_SENDRECV, 4, 1, 0, "PCMU", 0 },
	{ "linphone", linphone_sdp, NULL, 0, 1, "192.0.2.20", AF_INET, SDP_MEDIA_AUDIO, 7078,
	  9, "opus", 48000, 2, SDP_DIR_SENDRECV, 5, 4, 0, "PCMU", 0 },
	{ "asterisk-hold", asterisk_hold_sdp, NULL, 0, 1, "198.51.100.5", AF_INET,
	  SDP_MEDIA_AUDIO, 17144, 4, "PCMA", 8000, 1, SDP_DIR_SENDONLY, 0, 0, 0, "PCMU", 0 },
	{ "asterisk-chan-sip", asterisk_sip_sdp, NULL, 0, 1, "198.51.100.5", AF_INET,
	  SDP_MEDIA_AUDIO, 12360, 5, "PCMU", 8000, 1, SDP_DIR_SENDRECV, 0, 0, 0, "PCMU", 0 },
	{ "sipp-uac", sipp_sdp, NULL, 0, 1, "127.0.0.1", AF_INET, SDP_MEDIA_AUDIO, 6000, 1,
	  "PCMU", 8000, 1, SDP_DIR_SENDRECV, 0, 0, 0, "PCMU", 0 },
	{ "rfc4566-example", rfc4566_sdp, NULL, 0, 2, "224.2.17.12", AF_INET, SDP_MEDIA_AUDIO,
	  49170, 1, "PCMU", 8000, 1, SDP_DIR_RECVONLY, 0, 0, 0, "PCMU", 0 },
	{ "cisco-hold", cisco_hold_sdp, NULL, 0, 1, "0.0.0.0", AF_INET, SDP_MEDIA_AUDIO, 18634,
	  2, "G729", 8000, 1, SDP_DIR_SENDRECV, 0, 0, 0, "G729", 18 },
	{ "webrtc", webrtc_sdp, NULL, 0, 1, "203.0.113.99", AF_INET, SDP_MEDIA_AUDIO, 54400, 8,
	  "opus", 48000, 2, SDP_DIR_SENDRECV, 12, 2, EPROTO, NULL, 0 },
	{ "ipv6", ipv6_sdp, NULL, 0, 1, "2001:db8::2", AF_INET6, SDP_MEDIA_AUDIO, 49172, 3,
	  "PCMU", 8000, 1, SDP_DIR_SENDRECV, 0, 0, 0, "PCMU", 0 },
	/* G726-32 only: no common codec */
	{ "rfc5118-ipv6-in-sdp", NULL, "rfc5118/ipv6-in-sdp.dat", 0, 2, "2001:db8::20",
	  AF_INET6, SDP_MEDIA_AUDIO, 6000, 1, "G726-32", 8000, 1, SDP_DIR_SENDRECV, 0, 0,
	  EPROTO, NULL, 0 },
	{ "rfc5118-mult-ip-in-sdp", NULL, "rfc5118/mult-ip-in-sdp.dat", 0, 2, "192.0.2.1",
	  AF_INET, SDP_MEDIA_AUDIO, 22334, 1, "PCMU", 8000, 1, SDP_DIR_SENDRECV, 0, 0, 0,
	  "PCMU", 0 },
};

static char *file_bodies[N_ELEM(samples)];

/* The body of an RFC 5118 message: everything after the first empty line. */
static void load_files(void)
{
	const char *top = getenv("top_srcdir");

	for (size_t i = 0; i < N_ELEM(samples); i++) {
		char path[1024], *text, *body;
		size_t len;

		if (samples[i].text) {
			samples[i].len = strlen(samples[i].text);
			continue;
		}
		snprintf(path, sizeof(path), "%s/tests/data/conformance/%s", top ? top : ".",
			 samples[i].file);
		if (fs_read_file(path, &text, &len, 1 << 16, NULL)) {
			fprintf(stderr, "cannot read %s (set top_srcdir)\n", path);
			exit(99);
		}
		body = strstr(text, "\n\n");
		if (!body) {
			fprintf(stderr, "%s: no empty line\n", path);
			exit(99);
		}
		body += 2;
		samples[i].len = len - (size_t)(body - text);
		file_bodies[i] = malloc(samples[i].len + 1);
		memcpy(file_bodies[i], body, samples[i].len + 1);
		samples[i].text = file_bodies[i];
		free(text);
	}
}

/* ---------- helpers ---------- */

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

static void parse_ok(const char *what, struct sdp_session *s, const char *text, size_t len)
{
	const char *reason = "unset";
	int err = sdp_parse(s, text, len, &reason);

	if (err)
		fail_msg("%s: expected to parse, got %d: %s", what, err,
			 reason ? reason : "(null)");
	if (reason)
		fail_msg("%s: parsed, but reason is \"%s\"", what, reason);
}

static struct sdp_session *new_session(void)
{
	return calloc(1, sizeof(struct sdp_session));
}

/* Slices compare by content; set vs unset matters. */
static void same_pl(const char *what, const char *field, const struct pl *a,
		    const struct pl *b)
{
	if (pl_isset(a) != pl_isset(b) || !pl_eq(a, b))
		fail_msg("%s: %s differs: \"%.*s\"%s vs \"%.*s\"%s", what, field, PL_ARG(*a),
			 pl_isset(a) ? "" : " (unset)", PL_ARG(*b),
			 pl_isset(b) ? "" : " (unset)");
}

static void same_conn(const char *what, const char *field, const struct sdp_conn *a,
		      const struct sdp_conn *b)
{
	same_pl(what, field, &a->nettype, &b->nettype);
	same_pl(what, field, &a->addrtype, &b->addrtype);
	same_pl(what, field, &a->addr, &b->addr);
	same_pl(what, field, &a->suffix, &b->suffix);
	if (a->af != b->af)
		fail_msg("%s: %s family differs", what, field);
}

static void same_attrs(const char *what, const struct sdp_attr *a, unsigned na,
		       const struct sdp_attr *b, unsigned nb)
{
	if (na != nb)
		fail_msg("%s: %u vs %u attributes", what, na, nb);
	for (unsigned i = 0; i < na; i++) {
		same_pl(what, "a= name", &a[i].name, &b[i].name);
		same_pl(what, "a= value", &a[i].value, &b[i].value);
	}
}

static void same_bw(const char *what, const struct sdp_bw *a, unsigned na,
		    const struct sdp_bw *b, unsigned nb)
{
	if (na != nb)
		fail_msg("%s: %u vs %u b= lines", what, na, nb);
	for (unsigned i = 0; i < na; i++) {
		same_pl(what, "b= type", &a[i].type, &b[i].type);
		same_pl(what, "b= value", &a[i].value, &b[i].value);
	}
}

/* Everything the parser decodes must survive print and re-parse. */
static void same_session(const char *what, const struct sdp_session *a,
			 const struct sdp_session *b)
{
	same_pl(what, "o= user", &a->o_user, &b->o_user);
	if (a->sess_id != b->sess_id || a->sess_version != b->sess_version)
		fail_msg("%s: o= numbers differ", what);
	same_conn(what, "o= address", &a->origin, &b->origin);
	same_pl(what, "s=", &a->name, &b->name);
	same_conn(what, "session c=", &a->conn, &b->conn);
	same_bw(what, a->bw, a->nbw, b->bw, b->nbw);
	if (a->has_time != b->has_time || a->t_start != b->t_start || a->t_stop != b->t_stop)
		fail_msg("%s: t= differs", what);
	if (a->dir != b->dir || a->dir_set != b->dir_set)
		fail_msg("%s: session direction differs", what);
	same_attrs(what, a->attrs, a->nattrs, b->attrs, b->nattrs);
	if (a->nmedia != b->nmedia)
		fail_msg("%s: %u vs %u m= lines", what, a->nmedia, b->nmedia);
	for (unsigned i = 0; i < a->nmedia; i++) {
		const struct sdp_media *x = &a->media[i], *y = &b->media[i];
		same_pl(what, "m= media", &x->type_name, &y->type_name);
		same_pl(what, "m= proto", &x->proto_name, &y->proto_name);
		if (x->type != y->type || x->proto != y->proto || x->port != y->port ||
		    x->nports != y->nports || x->nfmts != y->nfmts)
			fail_msg("%s: m[%u] differs", what, i);
		for (unsigned j = 0; j < x->nfmts; j++) {
			const struct sdp_fmt *f = &x->fmts[j], *g = &y->fmts[j];
			same_pl(what, "fmt id", &f->id, &g->id);
			same_pl(what, "fmt enc", &f->enc, &g->enc);
			same_pl(what, "fmt fmtp", &f->fmtp, &g->fmtp);
			if (f->pt != g->pt || f->rate != g->rate || f->channels != g->channels ||
			    f->rtpmap != g->rtpmap)
				fail_msg("%s: m[%u] fmt %u differs", what, i, j);
		}
		same_conn(what, "media c=", &x->conn, &y->conn);
		same_bw(what, x->bw, x->nbw, y->bw, y->nbw);
		if (x->dir != y->dir || x->dir_set != y->dir_set || x->ptime != y->ptime ||
		    x->maxptime != y->maxptime || x->rtcp_mux != y->rtcp_mux ||
		    x->has_rtcp != y->has_rtcp || x->rtcp_port != y->rtcp_port)
			fail_msg("%s: m[%u] attributes differ", what, i);
		same_conn(what, "a=rtcp address", &x->rtcp_conn, &y->rtcp_conn);
		same_attrs(what, x->attrs, x->nattrs, y->attrs, y->nattrs);
	}
}

static const char *sa_text(const struct sa *s, char *buf, size_t size)
{
	return sa_str(s, buf, size);
}

/* ---------- parsing the samples ---------- */

static void test_samples(void **state)
{
	struct sdp_session *s = new_session();
	(void)state;

	for (size_t i = 0; i < N_ELEM(samples); i++) {
		const struct sample *c = &samples[i];
		const struct sdp_media *m;
		const struct sdp_conn *conn;
		const struct sdp_fmt *f;

		parse_ok(c->name, s, c->text, c->len);
		if (s->nmedia != c->nmedia)
			fail_msg("%s: %u m= lines, expected %u", c->name, s->nmedia, c->nmedia);
		m = &s->media[0];
		conn = sdp_media_conn(s, m);
		expect_pl(c->name, "c= address", &conn->addr, c->conn0);
		if (conn->af != c->af0)
			fail_msg("%s: c= family %d, expected %d", c->name, conn->af, c->af0);
		if (m->type != c->type0 || m->port != c->port0 || m->nfmts != c->nfmts0)
			fail_msg("%s: m[0] is type %d port %u with %u formats", c->name, m->type,
				 m->port, m->nfmts);
		f = &m->fmts[0];
		expect_pl(c->name, "m[0] first encoding", &f->enc, c->enc0);
		if (f->rate != c->rate0 || f->channels != c->ch0)
			fail_msg("%s: first format %u/%u", c->name, f->rate, f->channels);
		if (m->dir != c->dir0)
			fail_msg("%s: direction %s, expected %s", c->name, sdp_dir_name(m->dir),
				 sdp_dir_name(c->dir0));
		if (m->nattrs != c->nattrs0 || s->nattrs != c->sess_attrs)
			fail_msg("%s: %u media / %u session attributes kept", c->name,
				 m->nattrs, s->nattrs);
	}
	free(s);
}

/* Details the table cannot hold, one sample at a time. */
static void test_sample_details(void **state)
{
	struct sdp_session *s = new_session();
	const struct sdp_media *m;
	const struct sdp_fmt *f;
	const struct sdp_attr *a;
	unsigned n;
	(void)state;

	parse_ok("baresip", s, baresip_sdp, strlen(baresip_sdp));
	assert_int_equal(s->sess_id, 1617958826u);
	assert_int_equal(s->sess_version, 3145726718u);
	expect_pl("baresip", "o= user", &s->o_user, "-");
	expect_pl("baresip", "tool", &s->attrs[0].value, "baresip 3.10.1");
	m = &s->media[0];
	assert_true(m->rtcp_mux);
	assert_true(m->dir_set);
	assert_int_equal(m->ptime, 20);
	assert_int_equal(m->nbw, 1);
	expect_pl("baresip", "b= type", &m->bw[0].type, "AS");
	expect_pl("baresip", "b= value", &m->bw[0].value, "128");
	f = sdp_media_fmt(m, 96);
	assert_non_null(f);
	expect_pl("baresip", "fmtp 96", &f->fmtp, "stereo=1;sprop-stereo=1");
	assert_true(f->rtpmap);
	f = sdp_media_fmt(m, 101);
	expect_pl("baresip", "te", &f->enc, "telephone-event");
	expect_pl("baresip", "fmtp 101", &f->fmtp, "0-15");
	a = sdp_media_attr(m, "ssrc", NULL);
	assert_non_null(a);
	expect_pl("baresip", "ssrc", &a->value, "2345678901 cname:sip:alice@example.com");
	a = sdp_media_attr(m, "rtcp-rsize", NULL);
	assert_non_null(a);
	assert_false(pl_isset(&a->value));
	assert_null(sdp_media_fmt(m, 3));
	m = &s->media[1];
	assert_int_equal(m->type, SDP_MEDIA_VIDEO);
	expect_pl("baresip", "video fmtp", &sdp_media_fmt(m, 98)->fmtp,
		  "packetization-mode=1;profile-level-id=42e01f");

	parse_ok("linphone", s, linphone_sdp, strlen(linphone_sdp));
	m = &s->media[0];
	assert_true(m->has_rtcp);
	assert_int_equal(m->rtcp_port, 7079);
	assert_false(pl_isset(&m->rtcp_conn.addr));
	f = sdp_media_fmt(m, 18); /* static, fmtp but no rtpmap */
	expect_pl("linphone", "G729", &f->enc, "G729");
	assert_false(f->rtpmap);
	expect_pl("linphone", "G729 fmtp", &f->fmtp, "annexb=yes");
	f = sdp_media_fmt(m, 100);
	assert_int_equal(f->rate, 8000);
	for (n = 0, a = NULL; (a = sdp_media_attr(m, "candidate", a)); n++)
		;
	assert_int_equal(n, 3);
	a = sdp_session_attr(s, "rtcp-xr", NULL);
	expect_pl("linphone", "rtcp-xr", &a->value,
		  "rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics");
	assert_null(sdp_session_attr(s, "candidate", NULL));

	parse_ok("asterisk-hold", s, asterisk_hold_sdp, strlen(asterisk_hold_sdp));
	assert_int_equal(s->media[0].maxptime, 150);
	expect_pl("asterisk", "s=", &s->name, "Asterisk");

	parse_ok("chan_sip", s, asterisk_sip_sdp, strlen(asterisk_sip_sdp));
	expect_pl("chan_sip", "s=", &s->name, "Asterisk PBX 16.2.1~dfsg-1+deb10u2");
	expect_pl("chan_sip", "session b=", &s->bw[0].type, "CT");

	parse_ok("rfc4566", s, rfc4566_sdp, strlen(rfc4566_sdp));
	expect_pl("rfc4566", "ttl", &s->conn.suffix, "127");
	assert_true(s->dir_set);
	assert_int_equal(s->dir, SDP_DIR_RECVONLY);
	assert_int_equal(s->media[1].dir, SDP_DIR_RECVONLY); /* inherited */
	assert_false(s->media[1].dir_set);
	assert_true(s->has_time);
	assert_int_equal(s->t_start, 2873397496u);
	expect_pl("rfc4566", "h263", &s->media[1].fmts[0].enc, "h263-1998");

	parse_ok("webrtc", s, webrtc_sdp, strlen(webrtc_sdp));
	m = &s->media[0];
	assert_int_equal(m->proto, SDP_PROTO_UDP_TLS_RTP_SAVPF);
	assert_int_equal(m->rtcp_port, 9);
	expect_pl("webrtc", "rtcp addr", &m->rtcp_conn.addr, "0.0.0.0");
	a = sdp_media_attr(m, "fingerprint", NULL);
	assert_non_null(a);
	assert_true(pl_prefix_case(&a->value, "sha-256 D2:FA"));
	a = sdp_media_attr(m, "setup", NULL);
	expect_pl("webrtc", "setup", &a->value, "actpass");
	a = sdp_session_attr(s, "msid-semantic", NULL);
	expect_pl("webrtc", "msid-semantic", &a->value, "WMS stream1");
	assert_false(pl_isset(&s->conn.addr));
	assert_int_equal(sdp_media_fmt(m, 63)->channels, 2);

	parse_ok("ipv6", s, ipv6_sdp, strlen(ipv6_sdp));
	m = &s->media[0];
	assert_int_equal(m->rtcp_conn.af, AF_INET6);
	expect_pl("ipv6", "rtcp addr", &m->rtcp_conn.addr, "2001:db8::3");
	assert_int_equal(m->ptime, 30);
	assert_int_equal(sdp_audio_af(s), AF_INET6);

	/* RFC 5118 4.6: one IPv4 and one IPv6 media stream, no session c= */
	parse_ok("mult-ip", s, samples[N_ELEM(samples) - 1].text, samples[N_ELEM(samples) - 1].len);
	assert_false(pl_isset(&s->conn.addr));
	assert_int_equal(s->media[1].conn.af, AF_INET6);
	expect_pl("mult-ip", "video c=", &s->media[1].conn.addr, "2001:db8::1");
	expect_pl("mult-ip", "s= empty", &s->name, "");
	assert_true(pl_isset(&s->name));
	free(s);
}

/* Small syntax cases that are accepted. */
struct good_case {
	const char *name;
	const char *text;
};

#define HEAD "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static const struct good_case good_cases[] = {
	{ "no m= at all", HEAD },
	{ "no t= line", "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\n" },
	{ "no final line end", HEAD "m=audio 1 RTP/AVP 0" },
	{ "blank lines", HEAD "\r\n\r\nm=audio 1 RTP/AVP 0\r\n\r\n" },
	{ "trailing blanks", HEAD "m=audio 1 RTP/AVP 0  \r\na=sendonly \t\r\n" },
	{ "port count", HEAD "m=audio 1/2 RTP/AVP 0\r\n" },
	{ "rejected stream without c=", "v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nm=video 0 RTP/AVP 31\r\n" },
	{ "multicast ttl and count", "v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nc=IN IP4 224.2.1.1/127/3\r\n" },
	{ "ip6 multicast count", "v=0\r\no=- 1 2 IN IP6 a\r\ns=-\r\nc=IN IP6 ff1e:03ad::7f2e:172a:1e24/3\r\n" },
	{ "fqdn in c=", "v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nc=IN IP4 media.example.com\r\n" },
	{ "unknown addrtype", "v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nc=IN NSAP 12345\r\n" },
	{ "udptl t38", HEAD "m=image 4000 udptl t38\r\na=T38FaxVersion:0\r\n" },
	{ "fractional ptime", HEAD "m=audio 1 RTP/AVP 0\r\na=ptime:20.0\r\n" },
	{ "rtpmap for absent pt kept", HEAD "m=audio 1 RTP/AVP 0\r\na=rtpmap:96 opus/48000/2\r\n" },
	{ "second rtpmap kept", HEAD "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 a/1\r\na=rtpmap:96 b/2\r\n" },
	{ "fmtp without params", HEAD "m=audio 1 RTP/AVP 101\r\na=fmtp:101\r\n" },
	{ "empty attribute value", HEAD "a=foo:\r\nm=audio 1 RTP/AVP 0\r\na=bar:\r\n" },
	{ "skipped lines", HEAD "i=x\r\nu=y\r\ne=z\r\np=1\r\nz=0 0\r\nk=prompt\r\nr=7d 1h 0 25h\r\n"
			   "t=1 2\r\nm=audio 1 RTP/AVP 0\r\ni=media title\r\nk=clear:x\r\n" },
	{ "UTF-8 in s=", "v=0\r\no=- 1 2 IN IP4 a\r\ns=R\xc3\xa9union\r\n" },
	{ "leading zero pt", HEAD "m=audio 1 RTP/AVP 096\r\na=rtpmap:96 opus/48000/2\r\n" },
	{ "max u64 session id", "v=0\r\no=- 18446744073709551615 0 IN IP4 a\r\ns=-\r\n" },
	{ "lower-case names", "v=0\r\no=- 1 2 in ip4 a\r\ns=-\r\nc=in ip4 192.0.2.1\r\nm=AUDIO 1 rtp/avp 0\r\na=SENDONLY\r\n" },
	{ "a=rtcp with address", HEAD "m=audio 1 RTP/AVP 0\r\na=rtcp:53020 IN IP4 126.16.64.4\r\n" },
	{ "tabs between fields", HEAD "m=audio\t1\tRTP/AVP\t0\r\n" },
	{ "direction word with a value", HEAD "m=audio 1 RTP/AVP 0\r\na=sendonly:x\r\n" },
};

static void test_good(void **state)
{
	struct sdp_session *s = new_session(), *s2 = new_session();
	(void)state;

	for (size_t i = 0; i < N_ELEM(good_cases); i++) {
		struct buf b;
		parse_ok(good_cases[i].name, s, good_cases[i].text, strlen(good_cases[i].text));
		buf_init(&b, 0);
		assert_int_equal(sdp_print(&b, s), 0);
		parse_ok(good_cases[i].name, s2, b.p, b.len);
		same_session(good_cases[i].name, s, s2);
		buf_free(&b);
	}
	/* what a few of them mean */
	parse_ok("", s, good_cases[5].text, strlen(good_cases[5].text));
	assert_int_equal(s->media[0].nports, 2);
	parse_ok("", s, good_cases[7].text, strlen(good_cases[7].text));
	expect_pl("ttl", "addr", &s->conn.addr, "224.2.1.1");
	expect_pl("ttl", "suffix", &s->conn.suffix, "127/3");
	parse_ok("", s, good_cases[10].text, strlen(good_cases[10].text));
	assert_int_equal(s->conn.af, 0);
	parse_ok("", s, good_cases[11].text, strlen(good_cases[11].text));
	assert_int_equal(s->media[0].type, SDP_MEDIA_IMAGE);
	assert_int_equal(s->media[0].fmts[0].pt, -1);
	expect_pl("t38", "fmt", &s->media[0].fmts[0].id, "t38");
	parse_ok("", s, good_cases[12].text, strlen(good_cases[12].text));
	assert_int_equal(s->media[0].ptime, 20);
	parse_ok("", s, good_cases[13].text, strlen(good_cases[13].text));
	assert_int_equal(s->media[0].nattrs, 1);
	parse_ok("", s, good_cases[14].text, strlen(good_cases[14].text));
	expect_pl("dup rtpmap", "enc", &s->media[0].fmts[0].enc, "a");
	assert_int_equal(s->media[0].nattrs, 1);
	parse_ok("", s, good_cases[15].text, strlen(good_cases[15].text));
	expect_pl("fmtp", "params", &s->media[0].fmts[0].fmtp, "");
	parse_ok("", s, good_cases[16].text, strlen(good_cases[16].text));
	expect_pl("empty value", "value", &s->attrs[0].value, "");
	parse_ok("", s, good_cases[17].text, strlen(good_cases[17].text));
	assert_int_equal(s->t_start, 0); /* the first t= counts */
	parse_ok("", s, good_cases[19].text, strlen(good_cases[19].text));
	expect_pl("096", "enc", &s->media[0].fmts[0].enc, "opus");
	parse_ok("", s, good_cases[20].text, strlen(good_cases[20].text));
	assert_true(s->sess_id == UINT64_MAX);
	parse_ok("", s, good_cases[21].text, strlen(good_cases[21].text));
	assert_int_equal(s->media[0].type, SDP_MEDIA_AUDIO);
	assert_int_equal(s->media[0].proto, SDP_PROTO_RTP_AVP);
	assert_int_equal(s->media[0].dir, SDP_DIR_SENDONLY);
	assert_int_equal(s->conn.af, AF_INET);
	parse_ok("", s, good_cases[24].text, strlen(good_cases[24].text));
	assert_int_equal(s->media[0].dir, SDP_DIR_SENDRECV);
	assert_false(s->media[0].dir_set);
	assert_int_equal(s->media[0].nattrs, 1);
	free(s);
	free(s2);
}

/* ---------- malformed ---------- */

struct bad_case {
	const char *name;
	const char *text;
	size_t len;      /* 0: strlen */
	const char *why;
};

#define O_S "v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\n"
#define AUD HEAD "m=audio 1 RTP/AVP 0 96\r\n"

static const struct bad_case bad_cases[] = {
	{ "empty", "", 0, "empty SDP" },
	{ "only blank lines", "\r\n\n", 0, "empty SDP" },
	{ "no v=", "o=- 1 2 IN IP4 a\r\ns=-\r\n", 0, "SDP does not start with v=" },
	{ "v=1", "v=1\r\n", 0, "unsupported SDP version" },
	{ "two v=", "v=0\r\nv=0\r\n", 0, "more than one v= line" },
	{ "no o=", "v=0\r\ns=-\r\n", 0, "missing o= line" },
	{ "no s=", "v=0\r\no=- 1 2 IN IP4 a\r\n", 0, "missing s= line" },
	{ "two o=", O_S "o=- 1 2 IN IP4 a\r\n", 0, "more than one o= line" },
	{ "two s=", O_S "s=x\r\n", 0, "more than one s= line" },
	{ "o= five fields", "v=0\r\no=- 1 2 IN IP4\r\n", 0, "o= line does not have six fields" },
	{ "o= seven fields", "v=0\r\no=- 1 2 IN IP4 a b\r\n", 0, "o= line does not have six fields" },
	{ "o= id not a number", "v=0\r\no=- x1 2 IN IP4 a\r\n", 0, "o= session id is not a 64-bit number" },
	{ "o= id too big", "v=0\r\no=- 18446744073709551616 2 IN IP4 a\r\n", 0, "o= session id is not a 64-bit number" },
	{ "o= version negative", "v=0\r\no=- 1 -2 IN IP4 a\r\n", 0, "o= session version is not a 64-bit number" },
	{ "c= two fields", O_S "c=IN IP4\r\n", 0, "bad c= line" },
	{ "c= other network", O_S "c=ATM NSAP 47.0005\r\n", 0, "bad c= line" },
	{ "c= bad ttl", O_S "c=IN IP4 224.2.1.1/x\r\n", 0, "bad c= line" },
	{ "c= empty ttl", O_S "c=IN IP4 224.2.1.1/\r\n", 0, "bad c= line" },
	{ "c= empty address", O_S "c=IN IP4 /127\r\n", 0, "bad c= line" },
	{ "c= four fields", O_S "c=IN IP4 192.0.2.1 x\r\n", 0, "bad c= line" },
	{ "b= no colon", O_S "b=AS\r\n", 0, "bad b= line" },
	{ "b= empty value", O_S "b=AS:\r\n", 0, "bad b= line" },
	{ "too many b=", O_S "b=AS:1\r\nb=AS:1\r\nb=AS:1\r\nb=AS:1\r\nb=AS:1\r\n", 0, "too many b= lines" },
	{ "t= one field", O_S "t=0\r\n", 0, "bad t= line" },
	{ "t= not numbers", O_S "t=now later\r\n", 0, "bad t= line" },
	{ "t= in media", HEAD "m=audio 1 RTP/AVP 0\r\nt=0 0\r\n", 0, "t= line inside a media description" },
	{ "o= in media", HEAD "m=audio 1 RTP/AVP 0\r\no=- 1 2 IN IP4 a\r\n", 0, "o= line inside a media description" },
	{ "s= in media", HEAD "m=audio 1 RTP/AVP 0\r\ns=-\r\n", 0, "s= line inside a media description" },
	{ "m= no proto", HEAD "m=audio 1\r\n", 0, "m= line needs media, port, proto and formats" },
	{ "m= no formats", HEAD "m=audio 1 RTP/AVP\r\n", 0, "m= line without formats" },
	{ "m= no formats, trailing blank", HEAD "m=audio 1 RTP/AVP \r\n", 0, "m= line without formats" },
	{ "m= other proto, no formats", HEAD "m=image 1 udptl\r\n", 0, "m= line without formats" },
	{ "m= port too big", HEAD "m=audio 65536 RTP/AVP 0\r\n", 0, "bad port in m= line" },
	{ "m= port not a number", HEAD "m=audio x RTP/AVP 0\r\n", 0, "bad port in m= line" },
	{ "m= zero ports", HEAD "m=audio 1/0 RTP/AVP 0\r\n", 0, "bad number of ports in m= line" },
	{ "m= pt 128", HEAD "m=audio 1 RTP/AVP 128\r\n", 0, "bad RTP payload type in m= line" },
	{ "m= pt name", HEAD "m=audio 1 RTP/AVP PCMU\r\n", 0, "bad RTP payload type in m= line" },
	{ "media without c=", "v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n", 0, "media without c= line" },
	{ "rtpmap no rate", AUD "a=rtpmap:96 opus\r\n", 0, "bad a=rtpmap encoding" },
	{ "rtpmap no name", AUD "a=rtpmap:96 /8000\r\n", 0, "bad a=rtpmap encoding" },
	{ "rtpmap bad rate", AUD "a=rtpmap:96 opus/fast\r\n", 0, "bad a=rtpmap clock rate" },
	{ "rtpmap zero rate", AUD "a=rtpmap:96 opus/0\r\n", 0, "bad a=rtpmap clock rate" },
	{ "rtpmap zero channels", AUD "a=rtpmap:96 opus/48000/0\r\n", 0, "bad a=rtpmap channels" },
	{ "rtpmap 256 channels", AUD "a=rtpmap:96 L16/8000/256\r\n", 0, "bad a=rtpmap channels" },
	{ "rtpmap bad pt", AUD "a=rtpmap:x opus/48000\r\n", 0, "bad a=rtpmap" },
	{ "rtpmap pt 200", AUD "a=rtpmap:200 opus/48000\r\n", 0, "bad a=rtpmap" },
	{ "rtpmap no spec", AUD "a=rtpmap:96\r\n", 0, "bad a=rtpmap" },
	{ "rtpmap extra field", AUD "a=rtpmap:96 opus/48000 x\r\n", 0, "bad a=rtpmap" },
	{ "fmtp empty", AUD "a=fmtp:\r\n", 0, "bad a=fmtp" },
	{ "ptime word", AUD "a=ptime:twenty\r\n", 0, "bad a=ptime" },
	{ "ptime zero", AUD "a=ptime:0\r\n", 0, "bad a=ptime" },
	{ "ptime fraction word", AUD "a=ptime:20.x\r\n", 0, "bad a=ptime" },
	{ "ptime twice", AUD "a=ptime:20\r\na=ptime:30\r\n", 0, "duplicate a=ptime" },
	{ "maxptime word", AUD "a=maxptime:x\r\n", 0, "bad a=maxptime" },
	{ "maxptime twice", AUD "a=maxptime:20\r\na=maxptime:30\r\n", 0, "duplicate a=maxptime" },
	{ "rtcp word", AUD "a=rtcp:x\r\n", 0, "bad a=rtcp port" },
	{ "rtcp port too big", AUD "a=rtcp:70000\r\n", 0, "bad a=rtcp port" },
	{ "rtcp half address", AUD "a=rtcp:5 IN IP4\r\n", 0, "bad a=rtcp address" },
	{ "rtcp ttl", AUD "a=rtcp:5 IN IP4 224.2.1.1/127\r\n", 0, "bad a=rtcp address" },
	{ "rtcp twice", AUD "a=rtcp:5\r\na=rtcp:7\r\n", 0, "duplicate a=rtcp" },
	{ "attribute without name", AUD "a=:x\r\n", 0, "a= line without a name" },
	{ "empty attribute", AUD "a=\r\n", 0, "a= line without a name" },
	{ "attribute name with blank", AUD "a=foo bar\r\n", 0, "bad a= attribute name" },
	{ "unknown type", O_S "x=1\r\n", 0, "unknown SDP line type" },
	{ "upper-case type", O_S "A=sendrecv\r\n", 0, "line is not <letter>=<value>" },
	{ "no equals", O_S "garbage\r\n", 0, "line is not <letter>=<value>" },
	{ "one letter", O_S "a\r\n", 0, "line is not <letter>=<value>" },
	{ "space before =", O_S "a =x\r\n", 0, "line is not <letter>=<value>" },
	{ "NUL", O_S "a=x\0y\r\n", sizeof(O_S "a=x\0y\r\n") - 1, "control character in line" },
	{ "bare CR", O_S "a=x\ry\r\n", 0, "control character in line" },
	{ "CR CR LF", O_S "a=x\r\r\n", 0, "control character in line" },
	{ "DEL", O_S "a=x\x7f\r\n", 0, "control character in line" },
	{ "first line CR only", "v=0\ro=- 1 2 IN IP4 a\r\n", 0, "control character in line" },
};

static void test_bad(void **state)
{
	struct sdp_session *s = new_session(), *zero = new_session();
	(void)state;

	for (size_t i = 0; i < N_ELEM(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		const char *reason = NULL;
		int err;

		memset(s, 0x5a, sizeof(*s));
		err = sdp_parse(s, c->text, len, &reason);
		if (err != EBADMSG)
			fail_msg("%s: error %d, expected EBADMSG", c->name, err);
		if (!reason || strcmp(reason, c->why) != 0)
			fail_msg("%s: reason \"%s\", expected \"%s\"", c->name,
				 reason ? reason : "(null)", c->why);
		if (memcmp(s, zero, sizeof(*s)) != 0)
			fail_msg("%s: session not zeroed on failure", c->name);
	}
	assert_int_equal(sdp_parse(NULL, "v=0", 3, NULL), EINVAL);
	assert_int_equal(sdp_parse(s, NULL, 3, NULL), EINVAL);
	assert_int_equal(sdp_parse(s, "x", 1, NULL), EBADMSG); /* reason may be NULL */
	free(s);
	free(zero);
}

/* Each limit: at the limit accepted, one past it rejected. */
static void test_limits(void **state)
{
	struct sdp_session *s = new_session();
	const char *reason;
	struct buf b;
	(void)state;

	for (unsigned extra = 0; extra <= 1; extra++) {
		buf_init(&b, 0);
		buf_puts(&b, HEAD);
		for (unsigned i = 0; i < SDP_MAX_MEDIA + extra; i++)
			buf_puts(&b, "m=audio 1 RTP/AVP 0\r\n");
		assert_int_equal(sdp_parse(s, b.p, b.len, &reason), extra ? EBADMSG : 0);
		if (extra)
			assert_string_equal(reason, "too many m= lines");
		else
			assert_int_equal(s->nmedia, SDP_MAX_MEDIA);
		buf_free(&b);

		buf_init(&b, 0);
		buf_puts(&b, HEAD "m=audio 1 RTP/AVP");
		for (unsigned i = 0; i < SDP_MAX_FMTS + extra; i++)
			buf_printf(&b, " %u", 96 + i % 32);
		buf_puts(&b, "\r\n");
		assert_int_equal(sdp_parse(s, b.p, b.len, &reason), extra ? EBADMSG : 0);
		if (extra)
			assert_string_equal(reason, "too many formats in m= line");
		else
			assert_int_equal(s->media[0].nfmts, SDP_MAX_FMTS);
		buf_free(&b);

		/* per media and per session */
		for (unsigned level = 0; level < 2; level++) {
			buf_init(&b, 0);
			buf_puts(&b, HEAD);
			if (level)
				buf_puts(&b, "m=audio 1 RTP/AVP 0\r\n");
			for (unsigned i = 0; i < SDP_MAX_ATTRS + extra; i++)
				buf_printf(&b, "a=candidate:%u\r\n", i);
			/* decoded attributes do not count */
			buf_puts(&b, "a=sendrecv\r\n");
			if (level)
				buf_puts(&b, "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=rtcp-mux\r\n");
			assert_int_equal(sdp_parse(s, b.p, b.len, &reason), extra ? EBADMSG : 0);
			if (extra)
				assert_string_equal(reason, "too many a= lines");
			else
				assert_int_equal(level ? s->media[0].nattrs : s->nattrs,
						 SDP_MAX_ATTRS);
			buf_free(&b);
		}

		buf_init(&b, 0);
		buf_puts(&b, HEAD "a=x:");
		for (unsigned i = 4; i < SDP_MAX_LINE + extra; i++)
			buf_putc(&b, 'y');
		buf_puts(&b, "\r\n");
		assert_int_equal(sdp_parse(s, b.p, b.len, &reason), extra ? EBADMSG : 0);
		if (extra)
			assert_string_equal(reason, "line too long");
		else
			assert_int_equal(s->attrs[0].value.l, SDP_MAX_LINE - 4);
		buf_free(&b);
	}
	free(s);
}

/* ---------- printing ---------- */

/* parse(print(x)) == x for every sample, and printing is a fixed point. */
static void test_roundtrip(void **state)
{
	struct sdp_session *s = new_session(), *s2 = new_session();
	(void)state;

	for (size_t i = 0; i < N_ELEM(samples); i++) {
		const struct sample *c = &samples[i];
		struct buf b, b2;

		parse_ok(c->name, s, c->text, c->len);
		buf_init(&b, 1 << 16);
		buf_init(&b2, 1 << 16);
		assert_int_equal(sdp_print(&b, s), 0);
		parse_ok(c->name, s2, b.p, b.len);
		same_session(c->name, s, s2);
		assert_int_equal(sdp_print(&b2, s2), 0);
		if (b.len != b2.len || memcmp(b.p, b2.p, b.len) != 0)
			fail_msg("%s: second print differs:\n%s\n---\n%s", c->name, b.p, b2.p);
		buf_free(&b);
		buf_free(&b2);
	}
	free(s);
	free(s2);
}

static void test_print_exact(void **state)
{
	struct sdp_session *s = new_session();
	struct buf b;
	(void)state;

	parse_ok("sipp", s, sipp_sdp, strlen(sipp_sdp));
	buf_init(&b, 0);
	assert_int_equal(sdp_print(&b, s), 0);
	assert_string_equal(b.p, "v=0\r\n"
				 "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
				 "s=-\r\n"
				 "c=IN IP4 127.0.0.1\r\n"
				 "t=0 0\r\n"
				 "m=audio 6000 RTP/AVP 0\r\n"
				 "a=rtpmap:0 PCMU/8000\r\n");
	buf_free(&b);

	/* decoded attributes first, then the others in their order */
	parse_ok("ipv6", s, ipv6_sdp, strlen(ipv6_sdp));
	buf_init(&b, 0);
	assert_int_equal(sdp_print(&b, s), 0);
	assert_string_equal(b.p, "v=0\r\n"
				 "o=bob 2808844564 2808844564 IN IP6 2001:db8::2\r\n"
				 "s=-\r\n"
				 "c=IN IP6 2001:db8::2\r\n"
				 "t=0 0\r\n"
				 "m=audio 49172 RTP/AVP 0 8 101\r\n"
				 "a=rtpmap:101 telephone-event/8000\r\n"
				 "a=fmtp:101 0-15\r\n"
				 "a=ptime:30\r\n"
				 "a=rtcp:49999 IN IP6 2001:db8::3\r\n");
	buf_free(&b);

	/* a bounded buffer reports ENOSPC */
	buf_init(&b, 32);
	assert_int_equal(sdp_print(&b, s), ENOSPC);
	buf_free(&b);
	free(s);
}

/* Every prefix of every sample, in a buffer of exactly that size (so
 * ASan sees any read past it): parses or fails with a reason; what parses
 * prints and parses again. */
static void test_truncations(void **state)
{
	struct sdp_session *s = new_session(), *s2 = new_session();
	unsigned ok = 0, bad = 0;
	(void)state;

	for (size_t i = 0; i < N_ELEM(samples); i++) {
		for (size_t len = 0; len <= samples[i].len; len++) {
			char *p = malloc(len ? len : 1);
			const char *reason = NULL;
			int err;

			memcpy(p, samples[i].text, len);
			err = sdp_parse(s, p, len, &reason);
			if (err) {
				if (err != EBADMSG || !reason)
					fail_msg("%s[0..%zu]: error %d reason %s", samples[i].name,
						 len, err, reason ? reason : "(null)");
				bad++;
			} else {
				struct buf b;
				buf_init(&b, 0);
				assert_int_equal(sdp_print(&b, s), 0);
				parse_ok(samples[i].name, s2, b.p, b.len);
				same_session(samples[i].name, s, s2);
				buf_free(&b);
				ok++;
			}
			free(p);
		}
	}
	/* short prefixes fail, most longer ones parse */
	assert_true(bad > 0);
	assert_true(ok > bad);
	free(s);
	free(s2);
}

/* ---------- offer/answer ---------- */

static const struct sdp_codec c_pcmu = { "PCMU", 8000, 1, 0, NULL };
static const struct sdp_codec c_pcma = { "PCMA", 8000, 1, 8, NULL };
static const struct sdp_codec c_g722 = { "G722", 16000, 1, 9, NULL }; /* rate normalised */
static const struct sdp_codec c_g729 = { "G729", 8000, 1, 18, "annexb=no" };
static const struct sdp_codec c_opus = { "opus", 48000, 2, 96, "useinbandfec=1" };
static const struct sdp_codec c_g726 = { "G726-32", 8000, 1, 2, NULL };

enum codec_set { CS_UA, CS_AU, CS_OPUS, CS_G722, CS_ALL, CS_G726 };

static const struct sdp_codec cs_ua[] = { c_pcmu, c_pcma };
static const struct sdp_codec cs_au[] = { c_pcma, c_pcmu };
static const struct sdp_codec cs_opus[] = { c_opus, c_pcmu };
static const struct sdp_codec cs_g722[] = { c_g722 };
static const struct sdp_codec cs_all[] = { c_pcmu, c_pcma, c_g722, c_g729, c_opus };
static const struct sdp_codec cs_g726[] = { c_g726 };

static const struct {
	const struct sdp_codec *c;
	unsigned n;
} codec_sets[] = {
	[CS_UA] = { cs_ua, N_ELEM(cs_ua) },
	[CS_AU] = { cs_au, N_ELEM(cs_au) },
	[CS_OPUS] = { cs_opus, N_ELEM(cs_opus) },
	[CS_G722] = { cs_g722, N_ELEM(cs_g722) },
	[CS_ALL] = { cs_all, N_ELEM(cs_all) },
	[CS_G726] = { cs_g726, N_ELEM(cs_g726) },
};

/* Our side: 192.0.2.1:4000 (or [2001:db8::1]:4000), telephone-event 101. */
static struct sdp_local make_local(enum codec_set cs, bool v6, enum sdp_dir dir, bool mux,
				   uint32_t ptime, uint16_t rtcp_port, uint8_t te)
{
	struct sdp_local l;

	memset(&l, 0, sizeof(l));
	l.user = "sipterm";
	l.sess_id = 42;
	l.sess_version = 7;
	assert_int_equal(sa_set(&l.addr, v6 ? "2001:db8::1" : "192.0.2.1", 4000), 0);
	l.rtcp_port = rtcp_port;
	l.codecs = codec_sets[cs].c;
	l.ncodecs = codec_sets[cs].n;
	l.te_pt = te;
	l.dir = dir;
	l.ptime = ptime;
	l.rtcp_mux = mux;
	return l;
}

#define OHEAD "v=0\r\no=peer 9 9 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"
#define OHEAD6 "v=0\r\no=peer 9 9 IN IP6 2001:db8::50\r\ns=-\r\nc=IN IP6 2001:db8::50\r\nt=0 0\r\n"
#define TE98 "a=rtpmap:98 telephone-event/8000\r\na=fmtp:98 0-16\r\n"

struct oa_case {
	const char *name;
	const char *offer;
	enum codec_set cs;
	bool v6;
	enum sdp_dir want;
	bool mux;
	uint32_t ptime;
	uint16_t rtcp_port;
	int err;
	const char *codec;
	uint8_t pt;             /* pt_send == pt_recv when we answer */
	uint8_t te;
	enum sdp_dir dir;
	bool remote_hold;
	bool rtcp_mux;
	uint32_t ptime_out;
	const char *rtp, *rtcp;
	unsigned midx;
	const char *has[4];     /* lines the answer must contain */
	const char *hasnt[3];   /* and must not */
};

static const struct oa_case oa_cases[] = {
	{ "PCMU preferred", OHEAD "m=audio 5000 RTP/AVP 8 0\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0,
	  { "m=audio 4000 RTP/AVP 0\r\n", "a=rtpmap:0 PCMU/8000\r\n", "a=sendrecv\r\n",
	    "a=ptime:20\r\n" },
	  { "PCMA", "telephone-event", "a=rtcp" } },
	{ "PCMA preferred", OHEAD "m=audio 5000 RTP/AVP 0 8\r\n", CS_AU, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMA", 8, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { "m=audio 4000 RTP/AVP 8\r\n",
	  "a=rtpmap:8 PCMA/8000\r\n" }, { "PCMU" } },
	{ "no common codec", OHEAD "m=audio 5000 RTP/AVP 18 9\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, EPROTO, NULL, 0, 0, 0, false, false, 0, NULL, NULL, 0,
	  { NULL }, { NULL } },
	{ "dynamic pt without rtpmap is unknown", OHEAD "m=audio 5000 RTP/AVP 96\r\n", CS_OPUS,
	  false, SDP_DIR_SENDRECV, false, 0, 0, EPROTO, NULL, 0, 0, 0, false, false, 0, NULL,
	  NULL, 0, { NULL }, { NULL } },
	{ "no m= at all", OHEAD, CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, EPROTO, NULL, 0,
	  0, 0, false, false, 0, NULL, NULL, 0, { NULL }, { NULL } },
	{ "video rejected, audio taken",
	  OHEAD "m=video 5002 RTP/AVP 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"
	  "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0,
	  0, SDP_DIR_SENDRECV, false, false, 20, "192.0.2.50:5000", "192.0.2.50:5001", 1,
	  { "m=video 0 RTP/AVP 96 97\r\nm=audio 4000 RTP/AVP 0\r\n" }, { "VP8", "a=rtpmap:96" } },
	{ "only video", OHEAD "m=video 5002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n", CS_UA,
	  false, SDP_DIR_SENDRECV, false, 0, 0, EPROTO, NULL, 0, 0, 0, false, false, 0, NULL,
	  NULL, 0, { NULL }, { NULL } },
	{ "t38 and second audio rejected",
	  OHEAD "m=audio 5000 RTP/AVP 0\r\nm=image 5004 udptl t38\r\nm=audio 5006 RTP/AVP 8 0\r\n",
	  CS_AU, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false,
	  false, 20, "192.0.2.50:5000", "192.0.2.50:5001", 0,
	  { "m=audio 4000 RTP/AVP 0\r\n", "m=image 0 udptl t38\r\n", "m=audio 0 RTP/AVP 8 0\r\n" },
	  { "a=rtpmap:8" } },
	{ "first audio unusable, second taken",
	  OHEAD "m=audio 5000 RTP/AVP 18\r\nm=audio 5006 RTP/AVP 8\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMA", 8, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5006", "192.0.2.50:5007", 1,
	  { "m=audio 0 RTP/AVP 18\r\nm=audio 4000 RTP/AVP 8\r\n" }, { NULL } },
	{ "telephone-event with the offerer's PT", OHEAD "m=audio 5000 RTP/AVP 0 98\r\n" TE98,
	  CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 98, SDP_DIR_SENDRECV, false,
	  false, 20, "192.0.2.50:5000", "192.0.2.50:5001", 0,
	  { "m=audio 4000 RTP/AVP 0 98\r\n", "a=rtpmap:98 telephone-event/8000\r\n",
	    "a=fmtp:98 0-16\r\n" }, { "101" } },
	{ "opus: telephone-event at 48000 taken over 8000",
	  OHEAD "m=audio 5000 RTP/AVP 111 0 110 98\r\na=rtpmap:111 opus/48000/2\r\n"
	  "a=rtpmap:110 telephone-event/48000\r\n" TE98,
	  CS_OPUS, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "opus", 111, 110, SDP_DIR_SENDRECV,
	  false, false, 20, "192.0.2.50:5000", "192.0.2.50:5001", 0,
	  { "m=audio 4000 RTP/AVP 111 110\r\n", "a=rtpmap:110 telephone-event/48000\r\n",
	    "a=fmtp:110 0-16\r\n" }, { "telephone-event/8000", "a=rtpmap:98" } },
	{ "opus: telephone-event/8000 when the offer has no other",
	  OHEAD "m=audio 5000 RTP/AVP 111 98\r\na=rtpmap:111 opus/48000/2\r\n" TE98,
	  CS_OPUS, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "opus", 111, 98, SDP_DIR_SENDRECV,
	  false, false, 20, "192.0.2.50:5000", "192.0.2.50:5001", 0,
	  { "m=audio 4000 RTP/AVP 111 98\r\n", "a=rtpmap:98 telephone-event/8000\r\n" },
	  { "48000\r\na=rtpmap:98" } },
	{ "PCMU: telephone-event/8000, not the 48000 one",
	  OHEAD "m=audio 5000 RTP/AVP 0 110 98\r\na=rtpmap:110 telephone-event/48000\r\n" TE98,
	  CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 98, SDP_DIR_SENDRECV,
	  false, false, 20, "192.0.2.50:5000", "192.0.2.50:5001", 0,
	  { "m=audio 4000 RTP/AVP 0 98\r\n", "a=rtpmap:98 telephone-event/8000\r\n" },
	  { "telephone-event/48000" } },
	{ "telephone-event not wanted", OHEAD "m=audio 5000 RTP/AVP 0 98\r\n" TE98, CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { "m=audio 4000 RTP/AVP 0\r\n" },
	  { "telephone-event" } },
	{ "hold: sendonly -> recvonly", OHEAD "m=audio 5000 RTP/AVP 0\r\na=sendonly\r\n", CS_UA,
	  false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_RECVONLY, true, false,
	  20, "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=recvonly\r\n" },
	  { "a=sendrecv", "a=sendonly" } },
	{ "hold: session-level sendonly", OHEAD "a=sendonly\r\nm=audio 5000 RTP/AVP 0\r\n", CS_UA,
	  false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_RECVONLY, true, false,
	  20, "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=recvonly\r\n" }, { NULL } },
	{ "media direction overrides session",
	  OHEAD "a=sendonly\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=sendrecv\r\n" }, { NULL } },
	{ "hold: inactive -> inactive", OHEAD "m=audio 5000 RTP/AVP 0\r\na=inactive\r\n", CS_UA,
	  false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_INACTIVE, true, false,
	  20, "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=inactive\r\n" }, { NULL } },
	{ "old hold: c=0.0.0.0",
	  "v=0\r\no=peer 9 10 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
	  "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0,
	  0, SDP_DIR_RECVONLY, true, false, 20, "0.0.0.0:5000", "0.0.0.0:5001", 0,
	  { "a=recvonly\r\n", "c=IN IP4 192.0.2.1\r\n" }, { NULL } },
	{ "old hold: c=0.0.0.0 and inactive",
	  "v=0\r\no=peer 9 10 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
	  "m=audio 5000 RTP/AVP 0\r\na=inactive\r\n", CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0,
	  0, "PCMU", 0, 0, SDP_DIR_INACTIVE, true, false, 20, "0.0.0.0:5000", "0.0.0.0:5001", 0,
	  { "a=inactive\r\n" }, { NULL } },
	{ "peer recvonly -> sendonly", OHEAD "m=audio 5000 RTP/AVP 0\r\na=recvonly\r\n", CS_UA,
	  false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDONLY, false, false,
	  20, "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=sendonly\r\n" }, { NULL } },
	{ "resume: sendrecv again", OHEAD "m=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n", CS_UA,
	  false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false,
	  20, "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=sendrecv\r\n" }, { NULL } },
	{ "we hold: our sendonly wish", OHEAD "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false,
	  SDP_DIR_SENDONLY, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDONLY, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=sendonly\r\n" }, { NULL } },
	{ "we want inactive", OHEAD "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false,
	  SDP_DIR_INACTIVE, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_INACTIVE, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=inactive\r\n" }, { NULL } },
	{ "we want recvonly", OHEAD "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false,
	  SDP_DIR_RECVONLY, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_RECVONLY, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=recvonly\r\n" }, { NULL } },
	{ "we hold while they hold", OHEAD "m=audio 5000 RTP/AVP 0\r\na=sendonly\r\n", CS_UA,
	  false, SDP_DIR_SENDONLY, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_INACTIVE, true, false,
	  20, "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=inactive\r\n" }, { NULL } },
	{ "IPv6", OHEAD6 "m=audio 5000 RTP/AVP 0\r\n", CS_UA, true, SDP_DIR_SENDRECV, false, 0, 0,
	  0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20, "[2001:db8::50]:5000",
	  "[2001:db8::50]:5001", 0,
	  { "o=sipterm 42 7 IN IP6 2001:db8::1\r\n", "c=IN IP6 2001:db8::1\r\n" }, { "IP4" } },
	{ "IPv6 offer, IPv4 socket", OHEAD6 "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, EPROTO, NULL, 0, 0, 0, false, false, 0, NULL, NULL, 0,
	  { NULL }, { NULL } },
	{ "FQDN in c=", "v=0\r\no=peer 9 9 IN IP4 a\r\ns=-\r\nc=IN IP4 media.example.com\r\n"
	  "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n", CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0,
	  EPROTO, NULL, 0, 0, 0, false, false, 0, NULL, NULL, 0, { NULL }, { NULL } },
	{ "dynamic PT differs from ours",
	  OHEAD "m=audio 5000 RTP/AVP 112 0\r\na=rtpmap:112 OPUS/48000/2\r\n"
	  "a=fmtp:112 maxplaybackrate=16000\r\n", CS_OPUS, false, SDP_DIR_SENDRECV, false, 0, 0,
	  0, "opus", 112, 0, SDP_DIR_SENDRECV, false, false, 20, "192.0.2.50:5000",
	  "192.0.2.50:5001", 0,
	  { "m=audio 4000 RTP/AVP 112\r\n", "a=rtpmap:112 opus/48000/2\r\n",
	    "a=fmtp:112 useinbandfec=1\r\n" }, { "a=rtpmap:96" } },
	{ "opus without /2", OHEAD "m=audio 5000 RTP/AVP 102\r\na=rtpmap:102 opus/48000\r\n",
	  CS_OPUS, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "opus", 102, 0, SDP_DIR_SENDRECV,
	  false, false, 20, "192.0.2.50:5000", "192.0.2.50:5001", 0, { NULL }, { NULL } },
	{ "channel count must match", OHEAD "m=audio 5000 RTP/AVP 97\r\na=rtpmap:97 PCMU/8000/2\r\n",
	  CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, EPROTO, NULL, 0, 0, 0, false, false, 0,
	  NULL, NULL, 0, { NULL }, { NULL } },
	{ "clock rate must match", OHEAD "m=audio 5000 RTP/AVP 97\r\na=rtpmap:97 PCMU/16000\r\n",
	  CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, EPROTO, NULL, 0, 0, 0, false, false, 0,
	  NULL, NULL, 0, { NULL }, { NULL } },
	{ "G722 at 8000 in SDP", OHEAD "m=audio 5000 RTP/AVP 9\r\n", CS_G722, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "G722", 9, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=rtpmap:9 G722/8000\r\n" }, { "16000" } },
	{ "rtcp-mux both", OHEAD "m=audio 5000 RTP/AVP 0\r\na=rtcp-mux\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, true, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, true, 20,
	  "192.0.2.50:5000", "192.0.2.50:5000", 0, { "a=rtcp-mux\r\n" }, { NULL } },
	{ "rtcp-mux only offered", OHEAD "m=audio 5000 RTP/AVP 0\r\na=rtcp-mux\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { NULL }, { "rtcp-mux" } },
	{ "rtcp-mux only ours", OHEAD "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, true, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { NULL }, { "rtcp-mux" } },
	{ "a=rtcp port", OHEAD "m=audio 5000 RTP/AVP 0\r\na=rtcp:5009\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5009", 0, { NULL }, { NULL } },
	{ "a=rtcp port and address",
	  OHEAD "m=audio 5000 RTP/AVP 0\r\na=rtcp:5009 IN IP4 198.51.100.9\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "198.51.100.9:5009", 0, { NULL }, { NULL } },
	{ "a=rtcp ignored under rtcp-mux",
	  OHEAD "m=audio 5000 RTP/AVP 0\r\na=rtcp:5000\r\na=rtcp-mux\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, true, 0, 4001, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, true, 20,
	  "192.0.2.50:5000", "192.0.2.50:5000", 0, { "a=rtcp-mux\r\n" }, { "a=rtcp:" } },
	{ "our a=rtcp", OHEAD "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false, SDP_DIR_SENDRECV, false,
	  0, 4005, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20, "192.0.2.50:5000",
	  "192.0.2.50:5001", 0, { "a=rtcp:4005\r\n" }, { NULL } },
	{ "our a=rtcp not needed at port+1", OHEAD "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 4001, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { NULL }, { "a=rtcp" } },
	{ "offered ptime", OHEAD "m=audio 5000 RTP/AVP 0\r\na=ptime:30\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 40, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 30,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0, { "a=ptime:30\r\n" }, { "a=ptime:40" } },
	{ "our ptime", OHEAD "m=audio 5000 RTP/AVP 0\r\n", CS_UA, false, SDP_DIR_SENDRECV, false,
	  40, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 40, "192.0.2.50:5000",
	  "192.0.2.50:5001", 0, { "a=ptime:40\r\n" }, { NULL } },
	{ "RTP/SAVP not yet", OHEAD "m=audio 5000 RTP/SAVP 0\r\n"
	  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
	  CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, EPROTO, NULL, 0, 0, 0, false, false, 0,
	  NULL, NULL, 0, { NULL }, { NULL } },
	{ "RTP/AVPF taken", OHEAD "m=audio 5000 RTP/AVPF 0\r\n", CS_UA, false, SDP_DIR_SENDRECV,
	  false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20, "192.0.2.50:5000",
	  "192.0.2.50:5001", 0, { "m=audio 4000 RTP/AVPF 0\r\n" }, { NULL } },
	{ "port 0 stream not taken", OHEAD "m=audio 0 RTP/AVP 0\r\nm=audio 5000 RTP/AVP 8\r\n",
	  CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMA", 8, 0, SDP_DIR_SENDRECV, false,
	  false, 20, "192.0.2.50:5000", "192.0.2.50:5001", 1,
	  { "m=audio 0 RTP/AVP 0\r\nm=audio 4000 RTP/AVP 8\r\n" }, { NULL } },
	{ "t= and o= of the answer",
	  "v=0\r\no=peer 9 9 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\n"
	  "t=3034423619 3042462419\r\nm=audio 5000 RTP/AVP 0\r\n", CS_UA, false,
	  SDP_DIR_SENDRECV, false, 0, 0, 0, "PCMU", 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "192.0.2.50:5000", "192.0.2.50:5001", 0,
	  { "v=0\r\no=sipterm 42 7 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=3034423619 3042462419\r\nm=audio" }, { NULL } },
};

static void check_neg(const char *what, const struct sdp_neg *n, const char *codec,
		      uint8_t pt_send, uint8_t pt_recv, uint8_t te_send, uint8_t te_recv,
		      enum sdp_dir dir, bool hold, bool mux, uint32_t ptime, const char *rtp,
		      const char *rtcp)
{
	char a[SA_STRLEN];

	if (!n->ok)
		fail_msg("%s: not ok", what);
	if (strcmp(n->codec, codec) != 0)
		fail_msg("%s: codec %s, expected %s", what, n->codec, codec);
	if (n->pt_send != pt_send || n->pt_recv != pt_recv)
		fail_msg("%s: pt send %u recv %u, expected %u %u", what, n->pt_send, n->pt_recv,
			 pt_send, pt_recv);
	if (n->te_pt_send != te_send || n->te_pt_recv != te_recv)
		fail_msg("%s: te send %u recv %u, expected %u %u", what, n->te_pt_send,
			 n->te_pt_recv, te_send, te_recv);
	if (n->dir != dir)
		fail_msg("%s: direction %s, expected %s", what, sdp_dir_name(n->dir),
			 sdp_dir_name(dir));
	if (n->remote_hold != hold)
		fail_msg("%s: remote_hold %d, expected %d", what, n->remote_hold, hold);
	if (n->rtcp_mux != mux)
		fail_msg("%s: rtcp_mux %d, expected %d", what, n->rtcp_mux, mux);
	if (n->ptime != ptime)
		fail_msg("%s: ptime %u, expected %u", what, n->ptime, ptime);
	if (strcmp(sa_text(&n->remote_rtp, a, sizeof(a)), rtp) != 0)
		fail_msg("%s: RTP to %s, expected %s", what, a, rtp);
	if (strcmp(sa_text(&n->remote_rtcp, a, sizeof(a)), rtcp) != 0)
		fail_msg("%s: RTCP to %s, expected %s", what, a, rtcp);
}

static void test_answer(void **state)
{
	struct sdp_session *offer = new_session(), *ans = new_session();
	(void)state;

	for (size_t i = 0; i < N_ELEM(oa_cases); i++) {
		const struct oa_case *c = &oa_cases[i];
		struct sdp_local l = make_local(c->cs, c->v6, c->want, c->mux, c->ptime,
						c->rtcp_port,
						strstr(c->name, "not wanted") ? 0 : 101);
		struct sdp_neg n, before;
		struct buf b;
		int err;

		parse_ok(c->name, offer, c->offer, strlen(c->offer));
		memset(&n, 0x5a, sizeof(n));
		before = n;
		buf_init(&b, 0);
		err = sdp_answer(&b, &n, offer, &l);
		if (err != c->err)
			fail_msg("%s: error %d, expected %d", c->name, err, c->err);
		if (err) {
			if (b.len)
				fail_msg("%s: failed but printed %zu bytes", c->name, b.len);
			if (memcmp(&n, &before, sizeof(n)) != 0)
				fail_msg("%s: neg modified on failure", c->name);
			buf_free(&b);
			continue;
		}
		check_neg(c->name, &n, c->codec, c->pt, c->pt, c->te, c->te, c->dir,
			  c->remote_hold, c->rtcp_mux, c->ptime_out, c->rtp, c->rtcp);
		if (n.midx != c->midx)
			fail_msg("%s: midx %u, expected %u", c->name, n.midx, c->midx);
		for (size_t j = 0; j < N_ELEM(c->has) && c->has[j]; j++)
			if (!strstr(b.p, c->has[j]))
				fail_msg("%s: answer lacks \"%s\":\n%s", c->name, c->has[j], b.p);
		for (size_t j = 0; j < N_ELEM(c->hasnt) && c->hasnt[j]; j++)
			if (strstr(b.p, c->hasnt[j]))
				fail_msg("%s: answer has \"%s\":\n%s", c->name, c->hasnt[j], b.p);
		/* RFC 3264 6: one m= per offered m=, same order and media */
		parse_ok(c->name, ans, b.p, b.len);
		if (ans->nmedia != offer->nmedia)
			fail_msg("%s: %u m= in the answer for %u offered", c->name, ans->nmedia,
				 offer->nmedia);
		for (unsigned j = 0; j < ans->nmedia; j++) {
			if (!pl_eq(&ans->media[j].type_name, &offer->media[j].type_name) ||
			    !pl_eq(&ans->media[j].proto_name, &offer->media[j].proto_name))
				fail_msg("%s: m[%u] media/proto differ", c->name, j);
			if ((ans->media[j].port != 0) != (j == n.midx))
				fail_msg("%s: m[%u] port %u", c->name, j, ans->media[j].port);
			if (j != n.midx && ans->media[j].nfmts != offer->media[j].nfmts)
				fail_msg("%s: m[%u] formats not copied", c->name, j);
		}
		buf_free(&b);
	}
	free(offer);
	free(ans);
}

/* Every sample as an offer: the outcome the table expects; a valid answer. */
static void test_answer_samples(void **state)
{
	struct sdp_session *offer = new_session(), *ans = new_session();
	(void)state;

	for (size_t i = 0; i < N_ELEM(samples); i++) {
		const struct sample *c = &samples[i];
		struct sdp_local l;
		struct sdp_neg n;
		struct buf b;
		int err;

		parse_ok(c->name, offer, c->text, c->len);
		l = make_local(CS_ALL, sdp_audio_af(offer) == AF_INET6, SDP_DIR_SENDRECV, true, 0,
			       0, 101);
		buf_init(&b, 0);
		memset(&n, 0, sizeof(n));
		err = sdp_answer(&b, &n, offer, &l);
		if (err != c->ans_err)
			fail_msg("%s: answer error %d, expected %d", c->name, err, c->ans_err);
		if (!err) {
			if (strcmp(n.codec, c->ans_codec) != 0 || n.pt_send != c->ans_pt)
				fail_msg("%s: answered %s/%u", c->name, n.codec, n.pt_send);
			parse_ok(c->name, ans, b.p, b.len);
			assert_int_equal(ans->nmedia, offer->nmedia);
		}
		buf_free(&b);
	}
	/* the RFC 5118 IPv6 offer works for a G726-32 phone on IPv6 */
	parse_ok("5118", offer, samples[N_ELEM(samples) - 2].text,
		 samples[N_ELEM(samples) - 2].len);
	{
		struct sdp_local l = make_local(CS_G726, true, SDP_DIR_SENDRECV, false, 0, 0, 0);
		struct sdp_neg n;
		struct buf b;

		buf_init(&b, 0);
		assert_int_equal(sdp_answer(&b, &n, offer, &l), 0);
		check_neg("5118 ipv6", &n, "G726-32", 2, 2, 0, 0, SDP_DIR_SENDRECV, false, false,
			  20, "[2001:db8::20]:6000", "[2001:db8::20]:6001");
		assert_non_null(strstr(b.p, "m=audio 4000 RTP/AVP 2\r\na=rtpmap:2 G726-32/8000\r\n"));
		assert_non_null(strstr(b.p, "a=sendrecv\r\nm=video 0 RTP/AVP 107\r\n"));
		buf_free(&b);
	}
	free(offer);
	free(ans);
}

/* The Warning of a 488 names the nearest miss (RFC 3261 20.43). */
static void test_answer_warning(void **state)
{
	static const struct {
		const char *sdp;
		bool v6;
		unsigned code;
	} cases[] = {
		{ OHEAD "m=audio 5000 RTP/AVP 18\r\n", false, 305 },
		{ OHEAD "m=audio 5000 RTP/SAVP 0\r\n", false, 302 },
		{ OHEAD "m=audio 5000 RTP/AVP 0\r\n", true, 301 },
		{ OHEAD "m=video 5000 RTP/AVP 31\r\n", false, 304 },
		{ OHEAD "m=audio 0 RTP/AVP 0\r\n", false, 304 },
		/* a codec miss on a reachable stream beats a profile miss */
		{ OHEAD "m=audio 5000 RTP/SAVP 0\r\nm=audio 5002 RTP/AVP 18\r\n", false, 305 },
	};
	struct sdp_session *offer = new_session();
	(void)state;

	for (size_t i = 0; i < N_ELEM(cases); i++) {
		struct sdp_local l = make_local(CS_UA, cases[i].v6, SDP_DIR_SENDRECV, false, 0, 0,
						101);
		struct sdp_neg n;
		struct buf b;
		const char *text = NULL;

		parse_ok("warning", offer, cases[i].sdp, strlen(cases[i].sdp));
		buf_init(&b, 0);
		assert_int_equal(sdp_answer(&b, &n, offer, &l), EPROTO);
		if (sdp_answer_warning(offer, &l, &text) != cases[i].code)
			fail_msg("case %zu: warning %u (%s), expected %u", i,
				 sdp_answer_warning(offer, &l, &text), text, cases[i].code);
		assert_non_null(text);
		buf_free(&b);
	}
	free(offer);
}

static void test_offer(void **state)
{
	struct sdp_local l = make_local(CS_OPUS, false, SDP_DIR_SENDRECV, true, 0, 0, 101);
	struct sdp_session *s = new_session();
	struct buf b;
	(void)state;

	buf_init(&b, 0);
	assert_int_equal(sdp_offer(&b, &l), 0);
	assert_string_equal(b.p, "v=0\r\n"
				 "o=sipterm 42 7 IN IP4 192.0.2.1\r\n"
				 "s=-\r\n"
				 "c=IN IP4 192.0.2.1\r\n"
				 "t=0 0\r\n"
				 "m=audio 4000 RTP/AVP 96 0 101 100\r\n"
				 "a=rtpmap:96 opus/48000/2\r\n"
				 "a=fmtp:96 useinbandfec=1\r\n"
				 "a=rtpmap:0 PCMU/8000\r\n"
				 "a=rtpmap:101 telephone-event/8000\r\n"
				 "a=fmtp:101 0-16\r\n"
				 "a=rtpmap:100 telephone-event/48000\r\n"
				 "a=fmtp:100 0-16\r\n"
				 "a=ptime:20\r\n"
				 "a=rtcp-mux\r\n"
				 "a=sendrecv\r\n");
	parse_ok("offer", s, b.p, b.len);
	buf_free(&b);

	/* hold, IPv6, our own RTCP port, no telephone-event, G722's SDP rate */
	l = make_local(CS_G722, true, SDP_DIR_SENDONLY, false, 30, 4005, 0);
	l.user = NULL;
	l.sess_version = 8;
	buf_init(&b, 0);
	assert_int_equal(sdp_offer(&b, &l), 0);
	assert_string_equal(b.p, "v=0\r\n"
				 "o=- 42 8 IN IP6 2001:db8::1\r\n"
				 "s=-\r\n"
				 "c=IN IP6 2001:db8::1\r\n"
				 "t=0 0\r\n"
				 "m=audio 4000 RTP/AVP 9\r\n"
				 "a=rtpmap:9 G722/8000\r\n"
				 "a=ptime:30\r\n"
				 "a=rtcp:4005\r\n"
				 "a=sendonly\r\n");
	buf_free(&b);

	/* bad local configurations */
	l = make_local(CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 101);
	l.ncodecs = 0;
	buf_init(&b, 0);
	assert_int_equal(sdp_offer(&b, &l), EINVAL);
	l = make_local(CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 8); /* te clashes with PCMA */
	assert_int_equal(sdp_offer(&b, &l), EINVAL);
	l = make_local(CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 101);
	memset(&l.addr, 0, sizeof(l.addr));
	assert_int_equal(sdp_offer(&b, &l), EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	/* out of room: nothing half-written stays */
	l = make_local(CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 101);
	buf_init(&b, 100);
	buf_puts(&b, "x");
	assert_int_equal(sdp_offer(&b, &l), ENOSPC);
	assert_int_equal(b.len, 1);
	buf_free(&b);
	free(s);
}

/* Answers to our offer (PCMU 0, PCMA 8, opus 96, telephone-event 101). */
struct pa_case {
	const char *name;
	const char *answer;
	enum sdp_dir want;
	bool mux;
	int err;
	const char *codec;
	uint8_t pt_send, pt_recv, te_send, te_recv;
	enum sdp_dir dir;
	bool remote_hold, rtcp_mux;
	uint32_t ptime;
	const char *rtp, *rtcp;
	const char *fmtp;
};

#define PA_FAIL(n, a, w, m) { .name = (n), .answer = (a), .want = (w), .mux = (m), .err = EPROTO }
#define AHEAD "v=0\r\no=peer 5 6 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"

static const struct pa_case pa_cases[] = {
	{ "PCMA and te", AHEAD "m=audio 6000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
	  SDP_DIR_SENDRECV, false, 0, "PCMA", 8, 8, 101, 101, SDP_DIR_SENDRECV, false, false, 20,
	  "198.51.100.7:6000", "198.51.100.7:6001", "" },
	{ "answerer's PT numbers",
	  AHEAD "m=audio 6000 RTP/AVP 111 110\r\na=rtpmap:111 opus/48000/2\r\n"
	  "a=fmtp:111 maxplaybackrate=16000\r\na=rtpmap:110 telephone-event/8000\r\n",
	  SDP_DIR_SENDRECV, false, 0, "opus", 111, 96, 110, 101, SDP_DIR_SENDRECV, false, false,
	  20, "198.51.100.7:6000", "198.51.100.7:6001", "maxplaybackrate=16000" },
	{ "opus with telephone-event/48000: our PT for it is 100",
	  AHEAD "m=audio 6000 RTP/AVP 96 100\r\na=rtpmap:96 opus/48000/2\r\n"
	  "a=rtpmap:100 telephone-event/48000\r\n",
	  SDP_DIR_SENDRECV, false, 0, "opus", 96, 96, 100, 100, SDP_DIR_SENDRECV, false, false,
	  20, "198.51.100.7:6000", "198.51.100.7:6001", "" },
	{ "PCMU with only telephone-event/48000: no telephone-event",
	  AHEAD "m=audio 6000 RTP/AVP 0 100\r\na=rtpmap:100 telephone-event/48000\r\n",
	  SDP_DIR_SENDRECV, false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_SENDRECV, false, false,
	  20, "198.51.100.7:6000", "198.51.100.7:6001", "" },
	{ "answerer's order wins", AHEAD "m=audio 6000 RTP/AVP 8 0\r\n", SDP_DIR_SENDRECV, false,
	  0, "PCMA", 8, 8, 0, 0, SDP_DIR_SENDRECV, false, false, 20, "198.51.100.7:6000",
	  "198.51.100.7:6001", "" },
	{ "unknown first, then PCMU", AHEAD "m=audio 6000 RTP/AVP 18 0\r\n", SDP_DIR_SENDRECV,
	  false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_SENDRECV, false, false, 20, "198.51.100.7:6000",
	  "198.51.100.7:6001", "" },
	PA_FAIL("rejected", AHEAD "m=audio 0 RTP/AVP 0\r\n", SDP_DIR_SENDRECV, false),
	PA_FAIL("not offered codec", AHEAD "m=audio 6000 RTP/AVP 18\r\n", SDP_DIR_SENDRECV, false),
	PA_FAIL("video instead of audio", AHEAD "m=video 6000 RTP/AVP 0\r\n", SDP_DIR_SENDRECV, false),
	PA_FAIL("no m=", AHEAD, SDP_DIR_SENDRECV, false),
	PA_FAIL("SAVP answer", AHEAD "m=audio 6000 RTP/SAVP 0\r\n", SDP_DIR_SENDRECV, false),
	PA_FAIL("FQDN", "v=0\r\no=p 5 6 IN IP4 x\r\ns=-\r\nc=IN IP4 x.example\r\n"
		"m=audio 6000 RTP/AVP 0\r\n", SDP_DIR_SENDRECV, false),
	{ "our hold acknowledged", AHEAD "m=audio 6000 RTP/AVP 0\r\na=recvonly\r\n",
	  SDP_DIR_SENDONLY, false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_SENDONLY, false, false, 20,
	  "198.51.100.7:6000", "198.51.100.7:6001", "" },
	{ "our recvonly answered sendonly", AHEAD "m=audio 6000 RTP/AVP 0\r\na=sendonly\r\n",
	  SDP_DIR_RECVONLY, false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_RECVONLY, false, false, 20,
	  "198.51.100.7:6000", "198.51.100.7:6001", "" },
	{ "they hold in the answer", AHEAD "m=audio 6000 RTP/AVP 0\r\na=sendonly\r\n",
	  SDP_DIR_SENDRECV, false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_RECVONLY, true, false, 20,
	  "198.51.100.7:6000", "198.51.100.7:6001", "" },
	{ "inactive answer", AHEAD "m=audio 6000 RTP/AVP 0\r\na=inactive\r\n", SDP_DIR_SENDRECV,
	  false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_INACTIVE, true, false, 20, "198.51.100.7:6000",
	  "198.51.100.7:6001", "" },
	{ "c=0.0.0.0 answer",
	  "v=0\r\no=p 5 6 IN IP4 x\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nm=audio 6000 RTP/AVP 0\r\n",
	  SDP_DIR_SENDRECV, false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_RECVONLY, true, false, 20,
	  "0.0.0.0:6000", "0.0.0.0:6001", "" },
	{ "rtcp-mux both", AHEAD "m=audio 6000 RTP/AVP 0\r\na=rtcp-mux\r\n", SDP_DIR_SENDRECV,
	  true, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_SENDRECV, false, true, 20, "198.51.100.7:6000",
	  "198.51.100.7:6000", "" },
	{ "rtcp-mux not offered", AHEAD "m=audio 6000 RTP/AVP 0\r\na=rtcp-mux\r\n",
	  SDP_DIR_SENDRECV, false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_SENDRECV, false, false, 20,
	  "198.51.100.7:6000", "198.51.100.7:6001", "" },
	{ "rtcp-mux not answered", AHEAD "m=audio 6000 RTP/AVP 0\r\n", SDP_DIR_SENDRECV, true, 0,
	  "PCMU", 0, 0, 0, 0, SDP_DIR_SENDRECV, false, false, 20, "198.51.100.7:6000",
	  "198.51.100.7:6001", "" },
	{ "a=rtcp and ptime", AHEAD "m=audio 6000 RTP/AVP 0\r\na=rtcp:7000 IN IP4 198.51.100.8\r\n"
	  "a=ptime:30\r\n", SDP_DIR_SENDRECV, false, 0, "PCMU", 0, 0, 0, 0, SDP_DIR_SENDRECV,
	  false, false, 30, "198.51.100.7:6000", "198.51.100.8:7000", "" },
	{ "IPv6 answer", "v=0\r\no=p 5 6 IN IP6 ::1\r\ns=-\r\nc=IN IP6 2001:db8::7\r\nt=0 0\r\n"
	  "m=audio 6000 RTP/AVP 0\r\n", SDP_DIR_SENDRECV, false, 0, "PCMU", 0, 0, 0, 0,
	  SDP_DIR_SENDRECV, false, false, 20, "[2001:db8::7]:6000", "[2001:db8::7]:6001", "" },
};

static void test_process_answer(void **state)
{
	static const struct sdp_codec ours[] = { c_pcmu, c_pcma, c_opus };
	struct sdp_session *ans = new_session();
	(void)state;

	for (size_t i = 0; i < N_ELEM(pa_cases); i++) {
		const struct pa_case *c = &pa_cases[i];
		struct sdp_local l = make_local(CS_UA, false, c->want, c->mux, 0, 0, 101);
		struct sdp_neg n, before;
		int err;

		l.codecs = ours;
		l.ncodecs = N_ELEM(ours);
		parse_ok(c->name, ans, c->answer, strlen(c->answer));
		memset(&n, 0x5a, sizeof(n));
		before = n;
		err = sdp_process_answer(&n, ans, &l);
		if (err != c->err)
			fail_msg("%s: error %d, expected %d", c->name, err, c->err);
		if (err) {
			if (memcmp(&n, &before, sizeof(n)) != 0)
				fail_msg("%s: neg modified on failure", c->name);
			continue;
		}
		check_neg(c->name, &n, c->codec, c->pt_send, c->pt_recv, c->te_send, c->te_recv,
			  c->dir, c->remote_hold, c->rtcp_mux, c->ptime, c->rtp, c->rtcp);
		if (strcmp(n.fmtp, c->fmtp) != 0)
			fail_msg("%s: fmtp \"%s\", expected \"%s\"", c->name, n.fmtp, c->fmtp);
	}
	free(ans);
}

/* Two sipterms: A offers, B answers, A applies the answer; then A holds
 * and resumes.  Both must agree on codec, numbers and directions. */
static void test_offer_answer_loop(void **state)
{
	static const struct sdp_codec a_codecs[] = { { "opus", 48000, 2, 96, NULL }, c_pcmu };
	static const struct sdp_codec b_codecs[] = { c_pcma, { "opus", 48000, 2, 111, NULL },
						     c_pcmu };
	static const enum sdp_dir a_wish[] = { SDP_DIR_SENDRECV, SDP_DIR_SENDONLY,
					       SDP_DIR_INACTIVE, SDP_DIR_SENDRECV };
	static const enum sdp_dir a_get[] = { SDP_DIR_SENDRECV, SDP_DIR_SENDONLY,
					      SDP_DIR_INACTIVE, SDP_DIR_SENDRECV };
	static const enum sdp_dir b_get[] = { SDP_DIR_SENDRECV, SDP_DIR_RECVONLY,
					      SDP_DIR_INACTIVE, SDP_DIR_SENDRECV };
	struct sdp_session *s = new_session();
	struct sdp_local a = make_local(CS_UA, false, SDP_DIR_SENDRECV, true, 0, 0, 101);
	struct sdp_local b = make_local(CS_UA, false, SDP_DIR_SENDRECV, false, 0, 0, 100);
	(void)state;

	a.codecs = a_codecs;
	a.ncodecs = N_ELEM(a_codecs);
	b.codecs = b_codecs;
	b.ncodecs = N_ELEM(b_codecs);
	assert_int_equal(sa_set(&b.addr, "198.51.100.2", 7000), 0);
	for (size_t round = 0; round < N_ELEM(a_wish); round++) {
		struct sdp_neg na, nb;
		struct buf o, r;

		a.dir = a_wish[round];
		a.sess_version = 7 + round;
		buf_init(&o, 0);
		buf_init(&r, 0);
		assert_int_equal(sdp_offer(&o, &a), 0);
		parse_ok("A's offer", s, o.p, o.len);
		assert_int_equal(s->sess_version, 7 + round);
		assert_int_equal(sdp_answer(&r, &nb, s, &b), 0);
		parse_ok("B's answer", s, r.p, r.len);
		assert_int_equal(sdp_process_answer(&na, s, &a), 0);
		/* B prefers PCMA, which A did not offer, then opus: A's PT */
		assert_string_equal(nb.codec, "opus");
		assert_string_equal(na.codec, "opus");
		assert_int_equal(nb.pt_send, 96);
		assert_int_equal(nb.pt_recv, 96);
		assert_int_equal(na.pt_send, 96);
		assert_int_equal(na.pt_recv, 96);
		/* opus: the telephone-event at its clock (A offers it on 100) */
		assert_int_equal(nb.te_pt_send, 100);
		assert_int_equal(na.te_pt_send, 100);
		assert_int_equal(na.te_pt_recv, 100);
		assert_int_equal(na.te_rate, 48000);
		assert_int_equal(nb.te_rate, 48000);
		assert_false(na.rtcp_mux);
		assert_false(nb.rtcp_mux);
		assert_true(sa_eq(&na.remote_rtp, &b.addr));
		assert_true(sa_eq(&nb.remote_rtp, &a.addr));
		if (na.dir != a_get[round] || nb.dir != b_get[round])
			fail_msg("round %zu: A %s, B %s", round, sdp_dir_name(na.dir),
				 sdp_dir_name(nb.dir));
		assert_int_equal(nb.remote_hold, round == 1 || round == 2);
		assert_false(na.remote_hold);
		buf_free(&o);
		buf_free(&r);
	}
	free(s);
}

static void test_dir_helpers(void **state)
{
	(void)state;
	assert_int_equal(sdp_dir_reverse(SDP_DIR_SENDONLY), SDP_DIR_RECVONLY);
	assert_int_equal(sdp_dir_reverse(SDP_DIR_RECVONLY), SDP_DIR_SENDONLY);
	assert_int_equal(sdp_dir_reverse(SDP_DIR_SENDRECV), SDP_DIR_SENDRECV);
	assert_int_equal(sdp_dir_reverse(SDP_DIR_INACTIVE), SDP_DIR_INACTIVE);
	assert_int_equal(sdp_dir_make(true, false), SDP_DIR_SENDONLY);
	assert_int_equal(sdp_dir_make(false, false), SDP_DIR_INACTIVE);
	assert_string_equal(sdp_dir_name(SDP_DIR_INACTIVE), "inactive");
	assert_string_equal(sdp_dir_name((enum sdp_dir)9), "?");
	{
		struct sdp_local zero;
		memset(&zero, 0, sizeof(zero));
		assert_int_equal(zero.dir, SDP_DIR_SENDRECV);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_sample_details),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_print_exact),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_answer_warning),
		cmocka_unit_test(test_offer),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_answer_samples),
		cmocka_unit_test(test_process_answer),
		cmocka_unit_test(test_offer_answer_loop),
		cmocka_unit_test(test_dir_helpers),
	};
	int rc;

	load_files();
	rc = cmocka_run_group_tests_name("sdp", tests, NULL, NULL);
	for (size_t i = 0; i < N_ELEM(file_bodies); i++)
		free(file_bodies[i]);
	return rc;
}
