/* rtp.h: RTP and RTCP (RFC 3550), RFC 4733 telephone-events and the per-call
 * RTP socket.
 *
 *   rtp.c      RTP packet parse and build
 *   rtcp.c     compound RTCP parse and build, reception statistics (RFC 3550
 *              appendix A.1, A.3, A.8), LSR/DLSR and round-trip time
 *   dtmf.c     RFC 4733 payload, a sender helper and a deduplicating receiver
 *   rtpsock.c  struct rtp_sock: UDP sockets on the loop, symmetric RTP
 *              latching, periodic RTCP, inactivity detection
 *
 * Parsers take a datagram and return slices into it; nothing is allocated
 * per packet.  Fallible functions return 0 or a positive errno, and parsers
 * also give a static reason string for their EBADMSG. */
#ifndef SIPTERM_RTP_H
#define SIPTERM_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pl.h"
#include "sa.h"

/* ---------- RTP packets (rtp.c) ---------- */

#define RTP_VERSION 2
#define RTP_HDR_SIZE 12        /* fixed header, no CSRC, no extension */
#define RTP_MAX_CSRC 15
#define RTP_MAX_PACKET 1500    /* largest datagram rtp_sock sends or reads whole */

struct rtp_hdr {
	bool pad;              /* P bit (the padding itself is in rtp_pkt) */
	bool ext;              /* X bit */
	bool marker;
	uint8_t cc;            /* CSRC count, 0..15 */
	uint8_t pt;            /* 0..127 */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint32_t csrc[RTP_MAX_CSRC];
	uint16_t ext_profile;  /* "defined by profile" word when ext */
	const uint8_t *ext_data; /* extension body (ext_len bytes), a slice */
	size_t ext_len;        /* bytes, a multiple of 4 */
};

struct rtp_pkt {
	struct rtp_hdr hdr;
	const uint8_t *payload; /* slice into the datagram, padding removed */
	size_t payload_len;
	size_t pad_len;        /* padding bytes removed (count octet included) */
};

int rtp_parse(struct rtp_pkt *pkt, const uint8_t *p, size_t len, const char **reason);
size_t rtp_hdr_size(const struct rtp_hdr *hdr);
int rtp_build(uint8_t *dst, size_t size, size_t *outlen, const struct rtp_hdr *hdr,
	      const uint8_t *payload, size_t payload_len);

/* RFC 5761 section 4: on a muxed port a second octet of 192..223 (RTCP
 * packet types; RTP PT 64..95 with the marker set) is RTCP, so RTP sent on
 * a muxed port must avoid PT 64..95. */
static inline bool rtp_is_rtcp(const uint8_t *p, size_t len)
{
	return len >= 2 && p[1] >= 192 && p[1] <= 223;
}

/* ---------- RTCP (rtcp.c) ---------- */

enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
};

enum rtcp_sdes_type {
	RTCP_SDES_END = 0,
	RTCP_SDES_CNAME = 1,
	RTCP_SDES_NAME = 2,
	RTCP_SDES_EMAIL = 3,
	RTCP_SDES_PHONE = 4,
	RTCP_SDES_LOC = 5,
	RTCP_SDES_TOOL = 6,
	RTCP_SDES_NOTE = 7,
	RTCP_SDES_PRIV = 8,
};

#define RTCP_HDR_SIZE 4
#define RTCP_MAX_RB 31         /* a 5-bit count */
#define RTCP_RB_SIZE 24
#define RTCP_SR_INFO_SIZE 20
#define RTCP_MAX_PACKET 1500   /* largest compound we build or read */
#define RTCP_MAX_CNAME 255

/* A report block: what the sender of an SR/RR saw of source ssrc. */
struct rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction;      /* lost since the last report, /256 */
	int32_t lost;          /* cumulative, 24-bit signed (duplicates can make it < 0) */
	uint32_t ext_max_seq;  /* cycles << 16 | highest sequence number */
	uint32_t jitter;       /* timestamp units */
	uint32_t lsr;          /* middle 32 bits of the last SR's NTP time, 0 if none */
	uint32_t dlsr;         /* delay since that SR, 1/65536 s */
};

/* Sender info of an SR. */
struct rtcp_sr {
	uint64_t ntp;          /* 32.32 fixed point, seconds since 1900 */
	uint32_t rtp_ts;       /* the same instant on the RTP clock */
	uint32_t pkt_count;
	uint32_t octet_count;  /* payload octets */
};

/* One packet of a compound, with slices into the datagram. */
struct rtcp_pkt {
	uint8_t pt;
	uint8_t count;         /* RC / SC / APP subtype */
	const uint8_t *raw;    /* whole packet, header included */
	size_t raw_len;
	uint32_t ssrc;         /* SR, RR, APP, others: sender; SDES, BYE: first source; or 0 */
	struct rtcp_sr sr;     /* SR */
	unsigned n_rb;         /* SR, RR */
	struct rtcp_rb rb[RTCP_MAX_RB];
	unsigned n_src;        /* BYE: sources leaving */
	uint32_t src[RTCP_MAX_RB];
	struct pl reason;      /* BYE: optional reason (not NUL-terminated) */
	char app_name[4];      /* APP */
	const uint8_t *body;   /* SDES: chunks; APP: application data; other: after header */
	size_t body_len;
};

/* Walks a compound packet.  rtcp_next() validates each packet it returns
 * (version, lengths against the datagram, padding only in the last one, SR
 * and RR counts against the length, SDES chunk structure, BYE reason);
 * unknown types are returned with only raw/body set, for the caller to
 * skip. */
struct rtcp_iter {
	const uint8_t *p;
	size_t len;
	size_t off;
};

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *p, size_t len);
int rtcp_next(struct rtcp_iter *it, struct rtcp_pkt *pkt, const char **reason);
int rtcp_check(const uint8_t *p, size_t len, const char **reason);

/* SDES items of a validated SDES packet's body. */
struct rtcp_sdes_iter {
	const uint8_t *p;
	size_t len;
	size_t off;
	uint32_t src;          /* the chunk's SSRC/CSRC */
	unsigned chunks_left;
	bool in_chunk;
};

struct rtcp_sdes_item {
	uint32_t src;
	uint8_t type;
	struct pl text;        /* not NUL-terminated, at most 255 bytes */
};

void rtcp_sdes_iter_init(struct rtcp_sdes_iter *it, const struct rtcp_pkt *pkt);
int rtcp_sdes_next(struct rtcp_sdes_iter *it, struct rtcp_sdes_item *item);

/* Builders append one packet at *off in dst (size bytes); ENOSPC when it
 * does not fit, leaving *off unchanged.  sr NULL builds an RR. */
int rtcp_build_report(uint8_t *dst, size_t size, size_t *off, uint32_t ssrc,
		      const struct rtcp_sr *sr, const struct rtcp_rb *rb, unsigned n_rb);
int rtcp_build_sdes_cname(uint8_t *dst, size_t size, size_t *off, uint32_t ssrc,
			  const char *cname);
int rtcp_build_bye(uint8_t *dst, size_t size, size_t *off, uint32_t ssrc,
		   const char *reason);

/* NTP time: 32.32 fixed point; "middle 32" is what LSR and A use. */
uint64_t rtcp_ntp_from_ms(uint64_t unix_ms);
static inline uint32_t rtcp_ntp_mid32(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/* Reception statistics for one remote source, RFC 3550 appendix A. */
#define RTCP_MAX_DROPOUT 3000
#define RTCP_MAX_MISORDER 100
#define RTCP_MIN_SEQUENTIAL 2

enum rtcp_seq_res {
	RTCP_SEQ_BAD = 0,       /* out of the window: dropped until it repeats (re-sync) */
	RTCP_SEQ_VALID = 1,     /* counted (in order, gap, duplicate or reordered) */
	RTCP_SEQ_PROBATION = 2, /* the source is not validated yet */
};

struct rtcp_rx {
	uint32_t ssrc;
	uint32_t clock_rate;    /* Hz, for jitter in ms */
	uint16_t max_seq;
	uint32_t cycles;        /* shifted count of wraps (multiple of 65536) */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint32_t received;      /* as RFC 3550 counts: duplicates included */
	uint32_t duplicates;    /* of these, repeats of a number seen lately */
	uint64_t seen;          /* bit i: max_seq - i arrived (i < 64) */
	uint32_t expected_prior;
	uint32_t received_prior;
	bool have_transit;
	uint32_t transit;
	uint32_t jitter;        /* A.8 integer form: 16 * jitter in ts units */
	uint32_t lsr;           /* middle 32 of the last SR from this source */
	uint64_t lsr_arrival_ms;/* when it arrived, on the tmr clock */
	bool have_sr;
};

void rtcp_rx_init(struct rtcp_rx *s, uint32_t ssrc, uint16_t seq, uint32_t clock_rate);
enum rtcp_seq_res rtcp_rx_update_seq(struct rtcp_rx *s, uint16_t seq);
void rtcp_rx_jitter(struct rtcp_rx *s, uint32_t rtp_ts, uint32_t arrival_ts);
void rtcp_rx_sr(struct rtcp_rx *s, const struct rtcp_sr *sr, uint64_t arrival_ms);
void rtcp_rx_report(struct rtcp_rx *s, struct rtcp_rb *rb, uint64_t now_ms);
int32_t rtcp_rx_lost(const struct rtcp_rx *s);
/* Packets lost, not counting duplicates against them (for people; the
 * RTCP report keeps the RFC 3550 figure, which may go negative). */
uint32_t rtcp_rx_missing(const struct rtcp_rx *s);
uint32_t rtcp_rx_expected(const struct rtcp_rx *s);
uint32_t rtcp_rx_jitter_ts(const struct rtcp_rx *s);
int rtcp_rtt_ms(const struct rtcp_rb *rb, uint32_t arrival_mid32, uint32_t *rtt_ms);
uint32_t rtcp_ts_to_ms(uint32_t ts_units, uint32_t clock_rate);

/* ---------- RFC 4733 telephone-event (dtmf.c) ---------- */

#define DTMF_PAYLOAD_SIZE 4
#define DTMF_INTERVAL_MS 50    /* update period of the sender */
#define DTMF_END_REPEAT 3      /* the end packet is sent this many times */
#define DTMF_MAX_EVENT 15      /* 0-9 * # A-D */

struct dtmf_payload {
	uint8_t event;         /* 0..255 on the wire; DTMF is 0..15 */
	bool end;              /* E bit */
	uint8_t volume;        /* 0..63, -dBm0 */
	uint16_t duration;     /* timestamp units since the event's timestamp */
};

int dtmf_parse(struct dtmf_payload *d, const uint8_t *p, size_t len);
void dtmf_build(uint8_t out[DTMF_PAYLOAD_SIZE], const struct dtmf_payload *d);
int dtmf_event_from_char(char c);
char dtmf_event_char(uint8_t event);

/* One digit as a packet sequence.  Every packet carries the event's start
 * timestamp.  Packet i (0..n-1, n = ceil(duration / 50 ms)) goes out at
 * i * 50 ms with duration min((i + 1) * 50 ms, total), the first one with
 * the marker bit; then the end packet (E bit, total duration) three times
 * at n * 50 ms, back to back.  The caller owns the clock: it sends each
 * packet when its offset_ms is reached. */
struct dtmf_tx {
	uint8_t event;
	uint8_t volume;
	uint32_t ts;
	uint32_t rate;          /* ts units per second */
	uint32_t total;         /* ts units, at most 65535 */
	unsigned n_updates;
	unsigned i;             /* next packet index */
};

struct dtmf_tx_pkt {
	bool marker;
	uint32_t ts;
	uint32_t offset_ms;     /* from the event start */
	bool end;
	uint8_t payload[DTMF_PAYLOAD_SIZE];
};

int dtmf_tx_start(struct dtmf_tx *tx, uint8_t event, uint32_t ts, uint32_t clock_rate,
		  uint32_t duration_ms, uint8_t volume);
bool dtmf_tx_next(struct dtmf_tx *tx, struct dtmf_tx_pkt *pkt);

/* Receiver: each event (keyed on its RTP timestamp) is reported once, when
 * its end packet arrives, when a later event starts (the end was lost), or
 * from dtmf_rx_timeout() when the event went silent.  Redundant end packets,
 * duplicates and late packets of reported events are ignored; a lost start
 * packet does not matter.  Events above 15 are ignored. */
struct dtmf_digit {
	uint8_t event;
	char digit;            /* '0'..'9', '*', '#', 'A'..'D' */
	uint32_t ts;
	uint32_t duration;     /* ts units, the largest seen */
	uint32_t duration_ms;
	uint8_t volume;
	bool ended;            /* false: end packets lost, reported late */
};

typedef void (dtmf_rx_h)(const struct dtmf_digit *d, void *arg);

#define DTMF_RX_HISTORY 8
#define DTMF_RX_TIMEOUT_MS 1000

struct dtmf_rx {
	uint32_t rate;
	dtmf_rx_h *h;
	void *arg;
	bool active;
	struct dtmf_digit cur;
	uint64_t last_ms;
	uint32_t done[DTMF_RX_HISTORY]; /* timestamps already reported */
	unsigned n_done, done_pos;
};

void dtmf_rx_init(struct dtmf_rx *rx, uint32_t clock_rate, dtmf_rx_h *h, void *arg);
int dtmf_rx_input(struct dtmf_rx *rx, uint32_t ts, const uint8_t *payload, size_t len,
		  uint64_t now_ms);
void dtmf_rx_timeout(struct dtmf_rx *rx, uint64_t now_ms);
void dtmf_rx_flush(struct dtmf_rx *rx);

/* ---------- the per-call RTP socket (rtpsock.c) ---------- */

struct rtp_sock;

/* A packet from the accepted source; pkt and its slices live until return. */
typedef void (rtp_recv_h)(const struct rtp_pkt *pkt, uint64_t arrival_ms, void *arg);

/* What one received RTCP compound said.  "Remote" fields are the peer's
 * view of our stream (from its report block about our SSRC); "local"
 * fields are our view of its stream. */
struct rtcp_stats {
	uint32_t ssrc;          /* sender of the compound */
	bool sr;                /* it was a sender report */
	bool has_rb;            /* it carried a report block about us */
	uint8_t fraction_lost;  /* /256 */
	double fraction_lost_pct;
	int32_t cum_lost;
	uint32_t jitter_ts;
	uint32_t jitter_ms;
	bool has_rtt;
	uint32_t rtt_ms;
	bool bye;               /* the remote source said BYE */
	/* local reception */
	uint32_t rx_received;
	int32_t rx_lost;
	uint32_t rx_jitter_ms;
};

typedef void (rtcp_recv_h)(const struct rtcp_stats *st, void *arg);
typedef void (rtp_timeout_h)(uint32_t silent_ms, void *arg);

/* SRTP hook: transform in place.  len is in/out; size is the buffer size
 * (room for an auth tag).  A non-zero return drops the packet. */
typedef int (rtp_xform_h)(bool rtcp, uint8_t *pkt, size_t *len, size_t size, void *arg);
#define RTP_XFORM_ROOM 148     /* buffer headroom kept for the transform */

struct rtp_sock_cfg {
	struct sa laddr;        /* local address (port ignored); unset: 0.0.0.0 */
	uint16_t port_min;      /* 0: 16384 */
	uint16_t port_max;      /* 0: 32767 */
	bool rtcp_mux;          /* one socket, RFC 5761 */
	uint32_t clock_rate;    /* 0: 8000; the RTP clock for jitter and SR */
	uint32_t rtcp_interval_ms;  /* 0: 5000 (randomized 0.5..1.5, first half) */
	uint32_t timeout_ms;    /* inactivity; 0: none */
	uint32_t latch_silence_ms;  /* 0: 2000 */
	uint32_t latch_min_pkts;    /* 0: 3 */
	const char *cname;      /* NULL: random */
};

struct rtp_sock_counters {
	uint64_t tx_pkts, tx_bytes;     /* RTP sent (bytes: payload) */
	uint64_t rx_pkts, rx_bytes;     /* RTP delivered */
	uint64_t rtcp_tx, rtcp_rx;
	uint64_t rx_wrong_src;          /* dropped: not the latched source */
	uint64_t rx_malformed;          /* dropped: parse or transform failure */
	uint64_t rx_other;              /* STUN or DTLS (RFC 7983), not used yet */
	uint64_t rx_bad_seq;            /* dropped by A.1 (large jump) */
	uint64_t tx_errors;             /* sendto failed (EAGAIN etc.) */
	unsigned relatches;             /* times the latched source changed */
};

void rtp_sock_cfg_init(struct rtp_sock_cfg *cfg);
int rtp_sock_alloc(struct rtp_sock **rsp, const struct rtp_sock_cfg *cfg,
		   rtp_recv_h *recvh, rtcp_recv_h *rtcph, rtp_timeout_h *timeouth, void *arg);
void rtp_sock_close(struct rtp_sock *rs);
int rtp_sock_set_remote(struct rtp_sock *rs, const struct sa *rtp, const struct sa *rtcp);
int rtp_sock_send(struct rtp_sock *rs, uint8_t pt, bool marker, uint32_t ts,
		  const uint8_t *payload, size_t len);
void rtp_sock_set_clock_rate(struct rtp_sock *rs, uint32_t clock_rate);
void rtp_sock_set_timeout(struct rtp_sock *rs, uint32_t timeout_ms);
void rtp_sock_set_xform(struct rtp_sock *rs, rtp_xform_h *protect, rtp_xform_h *unprotect,
			void *arg);
int rtp_sock_send_rtcp_now(struct rtp_sock *rs);
const struct sa *rtp_sock_local(const struct rtp_sock *rs);
const struct sa *rtp_sock_local_rtcp(const struct rtp_sock *rs);
const struct sa *rtp_sock_peer(const struct rtp_sock *rs);
bool rtp_sock_latched(const struct rtp_sock *rs);
uint32_t rtp_sock_ssrc(const struct rtp_sock *rs);
uint32_t rtp_sock_ts_offset(const struct rtp_sock *rs);
const struct rtcp_rx *rtp_sock_rx(const struct rtp_sock *rs);
void rtp_sock_counters(const struct rtp_sock *rs, struct rtp_sock_counters *out);

#endif
