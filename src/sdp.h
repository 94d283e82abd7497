/* sdp.h: session descriptions (RFC 4566) and the offer/answer model
 * (RFC 3264) for sipterm's one audio stream.
 *
 * sdp_parse() fills a fixed-size struct sdp_session with slices (struct pl)
 * into the caller's buffer: nothing is allocated, so the buffer must outlive
 * the session (the SIP message body does).  Decoded: v= o= s= c= t= b= m=
 * and, per level, a=rtpmap a=fmtp a=ptime a=maxptime a=rtcp a=rtcp-mux and
 * the direction attributes; every other a= line is kept in order as name +
 * value so that a=crypto, a=candidate, a=setup, a=fingerprint need no parser
 * change.  i= u= e= p= z= k= r= and extra t= lines are skipped.
 *
 * sdp_offer() and sdp_answer() print sipterm's own SDP from a struct
 * sdp_local; sdp_answer() and sdp_process_answer() report the outcome in a
 * struct sdp_neg for the media layer.  sdp_print() prints a parsed session
 * (parse(print(x)) gives x back, apart from the skipped lines and the order
 * of decoded attributes). */
#ifndef SIPTERM_SDP_H
#define SIPTERM_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pl.h"
#include "sa.h"

/* Limits: a description that exceeds one is rejected with a reason.
 * sizeof(struct sdp_session) is about 40 KB: keep it off small stacks. */
#define SDP_MAX_MEDIA  8u     /* m= lines */
#define SDP_MAX_FMTS   32u    /* formats on one m= line */
#define SDP_MAX_ATTRS  64u    /* undecoded a= lines per media, and per session */
#define SDP_MAX_BW     4u     /* b= lines per level */
#define SDP_MAX_LINE   1024u  /* bytes in one line, without the line end */

/* Media direction from our side of the description it appears in.  Zero is
 * sendrecv, so a zeroed struct sdp_local asks for a normal call. */
enum sdp_dir {
	SDP_DIR_SENDRECV = 0,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

enum sdp_media_type {
	SDP_MEDIA_OTHER = 0,
	SDP_MEDIA_AUDIO,
	SDP_MEDIA_VIDEO,
	SDP_MEDIA_TEXT,
	SDP_MEDIA_APPLICATION,
	SDP_MEDIA_MESSAGE,
	SDP_MEDIA_IMAGE,
};

enum sdp_proto {
	SDP_PROTO_OTHER = 0,     /* udptl, TCP/BFCP, ...: formats are any token */
	SDP_PROTO_RTP_AVP,       /* RTP/AVP */
	SDP_PROTO_RTP_AVPF,      /* RTP/AVPF */
	SDP_PROTO_RTP_SAVP,      /* RTP/SAVP (SDES-SRTP) */
	SDP_PROTO_RTP_SAVPF,     /* RTP/SAVPF */
	SDP_PROTO_UDP_TLS_RTP_SAVP,   /* DTLS-SRTP */
	SDP_PROTO_UDP_TLS_RTP_SAVPF,
};

/* c= (and the address of a=rtcp). */
struct sdp_conn {
	struct pl nettype;   /* "IN" */
	struct pl addrtype;  /* "IP4", "IP6" */
	struct pl addr;      /* without the multicast suffix; unset when no c= */
	struct pl suffix;    /* after the first '/' ("127" or "127/3"), or unset */
	int af;              /* AF_INET, AF_INET6, or 0 for another address type */
};

struct sdp_bw {
	struct pl type;      /* "AS", "CT", "TIAS", ... */
	struct pl value;
};

/* An a= line: "a=name" (value unset) or "a=name:value" (value set, may be
 * empty).  Leading and trailing blanks of the value are dropped. */
struct sdp_attr {
	struct pl name;
	struct pl value;
};

/* One format of an m= line with what a=rtpmap / a=fmtp said about it. */
struct sdp_fmt {
	struct pl id;        /* the token as written: "0", "101", "t38", "*" */
	int pt;              /* 0-127 for RTP profiles, -1 otherwise */
	struct pl enc;       /* encoding name, unset when unknown; for the static
			      * types 0 3 4 8 9 13 18 without a=rtpmap it is a
			      * slice of a string constant */
	uint32_t rate;       /* clock rate (G722: 8000) */
	uint8_t channels;    /* 1 when not given */
	bool rtpmap;         /* an a=rtpmap line gave enc/rate/channels */
	struct pl fmtp;      /* a=fmtp parameters, or unset */
};

struct sdp_media {
	struct pl type_name;         /* "audio", "video", ... */
	enum sdp_media_type type;
	uint16_t port;               /* 0: stream rejected or disabled */
	uint16_t nports;             /* the "/n" of m=, 1 when absent */
	struct pl proto_name;
	enum sdp_proto proto;
	struct sdp_fmt fmts[SDP_MAX_FMTS];
	unsigned nfmts;
	struct sdp_conn conn;        /* media-level c=, unset when inherited:
				      * use sdp_media_conn() */
	struct sdp_bw bw[SDP_MAX_BW];
	unsigned nbw;
	enum sdp_dir dir;            /* effective: this media's attribute, else
				      * the session's, else sendrecv */
	bool dir_set;                /* a direction attribute on this m= */
	uint32_t ptime, maxptime;    /* ms, 0 when absent */
	bool rtcp_mux;
	bool has_rtcp;               /* a=rtcp given */
	uint16_t rtcp_port;
	struct sdp_conn rtcp_conn;   /* a=rtcp address, unset when absent */
	struct sdp_attr attrs[SDP_MAX_ATTRS];   /* every other a= line, in order */
	unsigned nattrs;
};

struct sdp_session {
	/* o= */
	struct pl o_user;
	uint64_t sess_id, sess_version;
	struct sdp_conn origin;      /* nettype, addrtype and addr of o= */
	struct pl name;              /* s= (may be empty) */
	struct sdp_conn conn;        /* session-level c=, may be unset */
	struct sdp_bw bw[SDP_MAX_BW];
	unsigned nbw;
	bool has_time;               /* the first t= line, if any */
	uint64_t t_start, t_stop;
	enum sdp_dir dir;            /* session-level direction, sendrecv default */
	bool dir_set;
	struct sdp_attr attrs[SDP_MAX_ATTRS];   /* other session-level a= lines */
	unsigned nattrs;
	struct sdp_media media[SDP_MAX_MEDIA];
	unsigned nmedia;
};

/* sdp.c: parse, print, look up. */
int sdp_parse(struct sdp_session *s, const char *buf, size_t len, const char **reason);
int sdp_print(struct buf *b, const struct sdp_session *s);
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, const struct sdp_media *m);
const struct sdp_fmt *sdp_media_fmt(const struct sdp_media *m, int pt);
const struct sdp_attr *sdp_media_attr(const struct sdp_media *m, const char *name,
				      const struct sdp_attr *after);
const struct sdp_attr *sdp_session_attr(const struct sdp_session *s, const char *name,
					const struct sdp_attr *after);
int sdp_conn_sa(const struct sdp_conn *c, uint16_t port, struct sa *out);
const char *sdp_dir_name(enum sdp_dir d);
enum sdp_dir sdp_dir_reverse(enum sdp_dir d);
enum sdp_dir sdp_dir_make(bool send, bool recv);
bool sdp_dir_sends(enum sdp_dir d);
bool sdp_dir_recvs(enum sdp_dir d);

/* sdp-oa.c: offer/answer. */

/* One of our codecs.  rate is the SDP clock rate (G722: 8000, opus: 48000
 * with channels 2); pt is the static type or our dynamic choice (96-127);
 * fmtp is what we want to receive ("useinbandfec=1"), or NULL. */
struct sdp_codec {
	const char *name;
	uint32_t rate;
	uint8_t channels;
	uint8_t pt;
	const char *fmtp;
};

struct sdp_local {
	const char *user;            /* o= user, e.g. "sipterm"; NULL: "-" */
	uint64_t sess_id, sess_version;  /* the caller increments sess_version
					  * for every new offer or answer */
	struct sa addr;              /* our RTP address (c= and o=), port = RTP port */
	uint16_t rtcp_port;          /* 0: RTP port + 1 */
	const struct sdp_codec *codecs;  /* audio codecs, preference order */
	unsigned ncodecs;
	uint8_t te_pt;               /* telephone-event/8000 PT we offer, 0 = none;
				      * a codec with another clock (opus) gets a
				      * telephone-event at its clock too, on the
				      * next free PT below (sdp-oa.c) */
	enum sdp_dir dir;            /* what we want */
	uint32_t ptime;              /* 0: 20 */
	bool rtcp_mux;               /* offer / accept a=rtcp-mux */
};

/* The outcome for the media layer. */
struct sdp_neg {
	bool ok;
	unsigned midx;               /* index of the audio m= in the offer/answer */
	struct sa remote_rtp, remote_rtcp;
	bool rtcp_mux;
	char codec[32];              /* our spelling of the codec name */
	uint32_t rate;               /* SDP clock rate (G722: 8000) */
	uint8_t channels;
	uint8_t pt_send;             /* the PT the peer wants to receive */
	uint8_t pt_recv;             /* the PT we said we receive */
	char fmtp[256];              /* the peer's a=fmtp for the codec, or "" */
	uint8_t te_pt_send, te_pt_recv;   /* telephone-event, 0 = none */
	uint32_t te_rate;            /* its SDP clock: the codec's, or 8000 */
	uint32_t ptime;              /* send packetisation: the peer's a=ptime,
				      * else ours */
	enum sdp_dir dir;            /* OUR direction after negotiation */
	bool remote_hold;            /* the peer does not want our media
				      * (sendonly/inactive or c=0.0.0.0) */
};

int sdp_offer(struct buf *b, const struct sdp_local *l);
int sdp_answer(struct buf *b, struct sdp_neg *n, const struct sdp_session *offer,
	       const struct sdp_local *l);
unsigned sdp_answer_warning(const struct sdp_session *offer, const struct sdp_local *l,
			    const char **text);
int sdp_process_answer(struct sdp_neg *n, const struct sdp_session *answer,
		       const struct sdp_local *offered);
int sdp_audio_af(const struct sdp_session *s);

#endif
