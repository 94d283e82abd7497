/* sdp-oa.c: the offer/answer model (RFC 3264) for one audio stream.
 *
 * sipterm offers one m=audio; as answerer it takes the first offered audio
 * stream it can use and rejects every other m= with port 0.  One codec (plus
 * telephone-event) is put in an answer, so both sides end up sending and
 * receiving the same one.
 *
 * telephone-event (RFC 4733) is offered at 8000 and at the clock of every
 * codec that has another one (opus: telephone-event/48000, as RFC 4733
 * 2.1 wants the events on the audio's clock); taken at the chosen codec's
 * clock when the peer has it, else at 8000, the form every peer knows.
 *
 * Failures leave *n untouched, so the call code can hand in its live state
 * and keep it when a re-INVITE is refused (488). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sdp.h"

#define DEFAULT_PTIME 20u
#define TE_NAME "telephone-event"
#define TE_RATE 8000u
#define TE_EVENTS "0-16"

/* The profiles whose audio we take.  The seam for SRTP: RTP/SAVP (a=crypto)
 * and UDP/TLS/RTP/SAVP (DTLS) become usable here once srtp exists. */
static bool proto_usable(enum sdp_proto p)
{
	return p == SDP_PROTO_RTP_AVP || p == SDP_PROTO_RTP_AVPF;
}

static uint32_t local_ptime(const struct sdp_local *l)
{
	return l->ptime ? l->ptime : DEFAULT_PTIME;
}

/* SDP clock rate of a codec: G722 is 8000 in SDP (RFC 3551 4.5.2) even
 * when the caller wrote its sampling rate. */
static uint32_t codec_rate(const struct sdp_codec *c)
{
	return strcasecmp(c->name, "G722") == 0 ? 8000 : c->rate;
}

static uint8_t codec_channels(const struct sdp_codec *c)
{
	return c->channels ? c->channels : 1;
}

static int check_local(const struct sdp_local *l)
{
	if (!l || !sa_isset(&l->addr) || !l->ncodecs || !l->codecs || l->te_pt > 127)
		return EINVAL;
	for (unsigned i = 0; i < l->ncodecs; i++) {
		const struct sdp_codec *c = &l->codecs[i];
		if (!c->name || !c->name[0] || !c->rate || c->pt > 127 ||
		    (l->te_pt && c->pt == l->te_pt))
			return EINVAL;
	}
	return 0;
}

/* Same codec: encoding name (case-insensitive), clock rate, channels.
 * opus is always opus/48000/2 (RFC 7587), but some peers omit the "/2". */
static bool codec_match(const struct sdp_codec *c, const struct sdp_fmt *f)
{
	if (f->pt < 0 || !pl_isset(&f->enc) || !pl_caseeq_str(&f->enc, c->name) ||
	    f->rate != codec_rate(c))
		return false;
	return f->channels == codec_channels(c) || strcasecmp(c->name, "opus") == 0;
}

static bool is_te(const struct sdp_fmt *f, uint32_t rate)
{
	return f->pt >= 0 && pl_caseeq_str(&f->enc, TE_NAME) && f->rate == rate;
}

static bool codec_pt_used(const struct sdp_local *l, unsigned pt)
{
	for (unsigned i = 0; i < l->ncodecs; i++)
		if (l->codecs[i].pt == pt)
			return true;
	return false;
}

/* The PT we offer telephone-event on at this clock, 0 for none: te_pt at
 * 8000; for the k-th other codec clock (codec order), the k-th PT below
 * te_pt that no codec uses (dynamic range only). */
static uint8_t te_pt_for(const struct sdp_local *l, uint32_t rate)
{
	unsigned pt = l->te_pt;

	if (!l->te_pt)
		return 0;
	if (rate == TE_RATE)
		return l->te_pt;
	for (unsigned i = 0; i < l->ncodecs; i++) {
		uint32_t r = codec_rate(&l->codecs[i]);
		bool seen = r == TE_RATE;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = codec_rate(&l->codecs[j]) == r;
		if (seen)
			continue;
		do
			pt--;
		while (pt >= 96 && codec_pt_used(l, pt));
		if (pt < 96)
			return 0;
		if (r == rate)
			return (uint8_t)pt;
	}
	return 0;
}

/* The peer's telephone-event for a codec at this clock: the one at the
 * same clock, else the one at 8000.  NULL when we want none, or (with
 * offered_only: the peer answers our offer) at a clock we did not offer. */
static const struct sdp_fmt *find_te(const struct sdp_media *m, uint32_t rate,
				     const struct sdp_local *l, bool offered_only)
{
	uint32_t rates[2] = { rate, TE_RATE };

	for (unsigned k = 0; l->te_pt && k < 2; k++) {
		if (offered_only && !te_pt_for(l, rates[k]))
			continue;
		for (unsigned j = 0; j < m->nfmts; j++)
			if (is_te(&m->fmts[j], rates[k]))
				return &m->fmts[j];
	}
	return NULL;
}

/* What we do, given what the peer said it does (their sendonly lets us
 * receive) and what we want. */
static enum sdp_dir combine_dir(enum sdp_dir want, enum sdp_dir peer)
{
	return sdp_dir_make(sdp_dir_sends(want) && sdp_dir_recvs(peer),
			    sdp_dir_recvs(want) && sdp_dir_sends(peer));
}

/* Where the peer's media and RTCP go, its direction (an old-style hold,
 * c=0.0.0.0, means it receives nothing) and its ptime. */
static int peer_media(struct sdp_neg *n, enum sdp_dir *peer_dir, const struct sdp_session *s,
		      const struct sdp_media *m, const struct sdp_local *l)
{
	const struct sdp_conn *c = sdp_media_conn(s, m);

	if (sdp_conn_sa(c, m->port, &n->remote_rtp))
		return EPROTO;
	*peer_dir = m->dir;
	if (sa_is_any(&n->remote_rtp))
		*peer_dir = sdp_dir_make(sdp_dir_sends(m->dir), false);
	n->rtcp_mux = m->rtcp_mux && l->rtcp_mux;
	n->remote_rtcp = n->remote_rtp;
	if (!n->rtcp_mux) {
		uint16_t port = m->has_rtcp ? m->rtcp_port : (uint16_t)(m->port + 1);
		if (!m->has_rtcp || !pl_isset(&m->rtcp_conn.addr) ||
		    sdp_conn_sa(&m->rtcp_conn, port, &n->remote_rtcp))
			n->remote_rtcp = n->remote_rtp;
		sa_set_port(&n->remote_rtcp, port);
	}
	n->ptime = m->ptime ? m->ptime : local_ptime(l);
	return 0;
}

static void set_codec(struct sdp_neg *n, const struct sdp_codec *c, const struct sdp_fmt *f)
{
	snprintf(n->codec, sizeof(n->codec), "%s", c->name);
	n->rate = codec_rate(c);
	n->channels = codec_channels(c);
	n->fmtp[0] = '\0';
	if (pl_isset(&f->fmtp))
		pl_strcpy(&f->fmtp, n->fmtp, sizeof(n->fmtp));
}

/* Can we take this offered stream?  Fills *n and the chosen formats. */
static bool take_offered(struct sdp_neg *n, const struct sdp_fmt **cf, const struct sdp_fmt **tf,
			 const struct sdp_codec **cc, const struct sdp_session *offer,
			 const struct sdp_media *m, const struct sdp_local *l)
{
	enum sdp_dir peer_dir;

	if (m->type != SDP_MEDIA_AUDIO || !m->port || !proto_usable(m->proto))
		return false;
	if (sdp_media_conn(offer, m)->af != sa_af(&l->addr))
		return false; /* no socket of that family */
	*cf = NULL;
	for (unsigned i = 0; i < l->ncodecs && !*cf; i++) {
		for (unsigned j = 0; j < m->nfmts; j++) {
			if (codec_match(&l->codecs[i], &m->fmts[j])) {
				*cc = &l->codecs[i];
				*cf = &m->fmts[j];
				break;
			}
		}
	}
	if (!*cf)
		return false;
	memset(n, 0, sizeof(*n));
	if (peer_media(n, &peer_dir, offer, m, l))
		return false;
	set_codec(n, *cc, *cf);
	*tf = find_te(m, n->rate, l, false);
	n->pt_send = n->pt_recv = (uint8_t)(*cf)->pt;
	if (*tf) {
		n->te_pt_send = n->te_pt_recv = (uint8_t)(*tf)->pt;
		n->te_rate = (*tf)->rate;
	}
	n->dir = combine_dir(l->dir, peer_dir);
	n->remote_hold = !sdp_dir_recvs(peer_dir);
	n->ok = true;
	return true;
}

/* v= o= s= c= t= with our address. */
static void print_head(struct buf *b, const struct sdp_local *l, uint64_t t_start,
		       uint64_t t_stop)
{
	char a[INET6_ADDRSTRLEN];
	const char *ip = sa_af(&l->addr) == AF_INET6 ? "IP6" : "IP4";

	sa_ntop(&l->addr, a, sizeof(a));
	buf_printf(b, "v=0\r\no=%s %llu %llu IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=%llu %llu\r\n",
		   l->user && l->user[0] ? l->user : "-",
		   (unsigned long long)l->sess_id, (unsigned long long)l->sess_version,
		   ip, a, ip, a, (unsigned long long)t_start, (unsigned long long)t_stop);
}

static void print_rtpmap(struct buf *b, unsigned pt, const char *name, uint32_t rate,
			 uint8_t channels, const char *fmtp)
{
	buf_printf(b, "a=rtpmap:%u %s/%u", pt, name, rate);
	if (channels > 1)
		buf_printf(b, "/%u", channels);
	buf_puts(b, "\r\n");
	if (fmtp && fmtp[0])
		buf_printf(b, "a=fmtp:%u %s\r\n", pt, fmtp);
}

/* The attributes after the rtpmaps: ptime, RTCP, direction. */
static void print_tail(struct buf *b, const struct sdp_local *l, uint32_t ptime, bool mux,
		       enum sdp_dir dir)
{
	uint16_t port = sa_port(&l->addr);

	buf_printf(b, "a=ptime:%u\r\n", ptime);
	if (!mux && l->rtcp_port && l->rtcp_port != (uint16_t)(port + 1))
		buf_printf(b, "a=rtcp:%u\r\n", l->rtcp_port);
	if (mux)
		buf_puts(b, "a=rtcp-mux\r\n");
	buf_printf(b, "a=%s\r\n", sdp_dir_name(dir));
}

/* Drop what a failed print appended; the buffer's error stays sticky. */
static int finish(struct buf *b, size_t start)
{
	if (b->err) {
		b->len = start;
		if (b->p)
			b->p[start] = '\0';
	}
	return b->err;
}

/* The i-th telephone-event we offer (i from 0 to ncodecs): the one at
 * 8000 first, then one for each codec that is the first with its own
 * other clock.  False when there is none at that index. */
static bool te_offered(const struct sdp_local *l, unsigned i, uint8_t *pt, uint32_t *rate)
{
	*rate = i ? codec_rate(&l->codecs[i - 1]) : TE_RATE;
	if (i && *rate == TE_RATE)
		return false;
	for (unsigned j = 0; i && j + 1 < i; j++)
		if (codec_rate(&l->codecs[j]) == *rate)
			return false; /* that clock has one already */
	*pt = te_pt_for(l, *rate);
	return *pt != 0;
}

/* Our offer: one m=audio with every codec in preference order, then
 * telephone-event at 8000 and at each other codec clock. */
int sdp_offer(struct buf *b, const struct sdp_local *l)
{
	uint32_t te_rate;
	uint8_t te_pt;
	size_t start;
	int err;

	if (!b || (err = check_local(l)))
		return b ? err : EINVAL;
	start = b->len;
	print_head(b, l, 0, 0);
	buf_printf(b, "m=audio %u RTP/AVP", sa_port(&l->addr));
	for (unsigned i = 0; i < l->ncodecs; i++)
		buf_printf(b, " %u", l->codecs[i].pt);
	for (unsigned i = 0; i <= l->ncodecs; i++)
		if (te_offered(l, i, &te_pt, &te_rate))
			buf_printf(b, " %u", te_pt);
	buf_puts(b, "\r\n");
	for (unsigned i = 0; i < l->ncodecs; i++) {
		const struct sdp_codec *c = &l->codecs[i];
		print_rtpmap(b, c->pt, c->name, codec_rate(c), codec_channels(c), c->fmtp);
	}
	for (unsigned i = 0; i <= l->ncodecs; i++)
		if (te_offered(l, i, &te_pt, &te_rate))
			print_rtpmap(b, te_pt, TE_NAME, te_rate, 1, TE_EVENTS);
	print_tail(b, l, local_ptime(l), l->rtcp_mux, l->dir);
	return finish(b, start);
}

/* Why sdp_answer() took no stream: the Warning code (RFC 3261 20.43) for
 * the 488, and its text.  The nearest miss wins: an audio stream we could
 * reach but share no codec with, then one of another address family,
 * then one of a profile we do not speak (RTP/SAVP before SRTP exists). */
unsigned sdp_answer_warning(const struct sdp_session *offer, const struct sdp_local *l,
			    const char **text)
{
	bool af_miss = false, proto_miss = false;

	for (unsigned i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *m = &offer->media[i];
		if (m->type != SDP_MEDIA_AUDIO || !m->port)
			continue;
		if (!proto_usable(m->proto)) {
			proto_miss = true;
		} else if (sdp_media_conn(offer, m)->af != sa_af(&l->addr)) {
			af_miss = true;
		} else {
			*text = "no common audio codec";
			return 305;
		}
	}
	if (af_miss) {
		*text = "no address of that family";
		return 301;
	}
	if (proto_miss) {
		*text = "transport profile not supported";
		return 302;
	}
	*text = "no audio stream";
	return 304;
}

/* Answer an offer: EPROTO (488) when no audio stream is usable, and then
 * nothing is printed and *n is untouched. */
int sdp_answer(struct buf *b, struct sdp_neg *n, const struct sdp_session *offer,
	       const struct sdp_local *l)
{
	const struct sdp_fmt *cf = NULL, *tf = NULL;
	const struct sdp_codec *cc = NULL;
	struct sdp_neg res;
	unsigned chosen = SDP_MAX_MEDIA;
	size_t start;
	int err;

	if (!b || !n || !offer)
		return EINVAL;
	if ((err = check_local(l)))
		return err;
	for (unsigned i = 0; i < offer->nmedia && chosen == SDP_MAX_MEDIA; i++)
		if (take_offered(&res, &cf, &tf, &cc, offer, &offer->media[i], l))
			chosen = i;
	if (chosen == SDP_MAX_MEDIA)
		return EPROTO;
	res.midx = chosen;
	start = b->len;
	print_head(b, l, offer->has_time ? offer->t_start : 0,
		   offer->has_time ? offer->t_stop : 0);
	for (unsigned i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *m = &offer->media[i];
		if (i != chosen) {
			/* rejected: port 0, the offered formats copied */
			buf_printf(b, "m=%.*s 0 %.*s", PL_ARG(m->type_name),
				   PL_ARG(m->proto_name));
			for (unsigned j = 0; j < m->nfmts; j++)
				buf_printf(b, " %.*s", PL_ARG(m->fmts[j].id));
			buf_puts(b, "\r\n");
			continue;
		}
		buf_printf(b, "m=audio %u %.*s %u", sa_port(&l->addr), PL_ARG(m->proto_name),
			   res.pt_recv);
		if (tf)
			buf_printf(b, " %u", res.te_pt_recv);
		buf_puts(b, "\r\n");
		print_rtpmap(b, res.pt_recv, cc->name, res.rate, res.channels, cc->fmtp);
		if (tf)
			print_rtpmap(b, res.te_pt_recv, TE_NAME, tf->rate, 1, TE_EVENTS);
		print_tail(b, l, res.ptime, res.rtcp_mux, res.dir);
	}
	if ((err = finish(b, start)))
		return err;
	*n = res;
	return 0;
}

/* Apply the answer to our offer (one m=audio, index 0): EPROTO when the
 * peer rejected it or answered nothing we offered; *n untouched then. */
int sdp_process_answer(struct sdp_neg *n, const struct sdp_session *answer,
		       const struct sdp_local *offered)
{
	const struct sdp_media *m;
	const struct sdp_codec *cc = NULL;
	const struct sdp_fmt *cf = NULL;
	enum sdp_dir peer_dir;
	struct sdp_neg res;
	int err;

	if (!n || !answer)
		return EINVAL;
	if ((err = check_local(offered)))
		return err;
	if (!answer->nmedia)
		return EPROTO;
	m = &answer->media[0];
	if (m->type != SDP_MEDIA_AUDIO || !m->port || !proto_usable(m->proto))
		return EPROTO;
	/* the answerer's order is its preference: first one we offered */
	for (unsigned j = 0; j < m->nfmts && !cf; j++) {
		for (unsigned i = 0; i < offered->ncodecs; i++) {
			if (codec_match(&offered->codecs[i], &m->fmts[j])) {
				cc = &offered->codecs[i];
				cf = &m->fmts[j];
				break;
			}
		}
	}
	if (!cf)
		return EPROTO;
	memset(&res, 0, sizeof(res));
	if (peer_media(&res, &peer_dir, answer, m, offered))
		return EPROTO;
	set_codec(&res, cc, cf);
	res.pt_send = (uint8_t)cf->pt;
	res.pt_recv = cc->pt;
	{
		const struct sdp_fmt *tf = find_te(m, res.rate, offered, true);
		if (tf) {
			res.te_pt_send = (uint8_t)tf->pt;
			res.te_pt_recv = te_pt_for(offered, tf->rate);
			res.te_rate = tf->rate;
		}
	}
	res.dir = combine_dir(offered->dir, peer_dir);
	/* not receiving because we asked them not to send is no hold */
	res.remote_hold = !sdp_dir_recvs(peer_dir) && sdp_dir_sends(offered->dir);
	res.midx = 0;
	res.ok = true;
	*n = res;
	return 0;
}

/* The address family of the first live audio stream (0 if none), so the
 * caller can pick l->addr of the same family before answering. */
int sdp_audio_af(const struct sdp_session *s)
{
	for (unsigned i = 0; i < s->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		if (m->type == SDP_MEDIA_AUDIO && m->port)
			return sdp_media_conn(s, m)->af;
	}
	return 0;
}
