/* im.h: instant messages (RFC 3428 MESSAGE) and is-composing indications
 * (RFC 3994), with a crash-safe history per peer.
 *
 * Sending: the message is validated (UTF-8, at most IM_MAX_TEXT bytes),
 * appended to the peer's history and fsync'd, reported ("message", status
 * sending), then sent: messages to one peer leave one at a time, in the
 * order they were given, so that they arrive in order.  A request over
 * 1300 bytes goes over TCP, never UDP (RFC 3428 section 6).  401/407 are
 * answered with the account's credentials.  The final response becomes a
 * status record in the history and a "message-status" event: delivered
 * (200), stored (202: a server keeps it for later, e.g. Kamailio msilo)
 * or failed (anything else, a timeout, a transport error).
 *
 * Receiving: a MESSAGE is written to the history and fsync'd before it is
 * answered 200 and before it is reported, so that nothing reported is ever
 * lost, whatever kills the process.  A MESSAGE resent by an application
 * (same From tag, Call-ID and CSeq) within IM_DEDUP_SECS is answered but
 * not shown again.  Text that is not valid UTF-8 has its bad bytes
 * replaced by U+FFFD (and NUL too); control characters are kept, and
 * escaped by whoever displays them.
 *
 * History: $XDG_DATA_HOME/sipterm/chats/ (mode 0700), one append-only
 * file per peer (mode 0600), named from the peer's URI (lowercased, only
 * [a-z0-9@._-], at most 64 characters) plus 16 hex digits of a 64-bit
 * hash of the exact URI.  The first line is "#sipterm-chat 1<TAB>URI";
 * then one record a line, tab-separated:
 *     time  dir  id  status  text  check
 * time: Unix seconds; dir: in, out, or status (a later status of the
 * outgoing message id); id: the message id (decimal); status: received,
 * sending, delivered, stored, failed; text: the message with backslash,
 * tab, newline and carriage return written \\ \t \n \r (for a status
 * record: "CODE REASON"); check: 8 hex digits, FNV-1a 32 of the line
 * before its last tab.  A record whose check does not match (torn by a
 * crash or a full disk) is skipped on reading; an append after a torn
 * line starts a new line. */
#ifndef SIPTERM_IM_H
#define SIPTERM_IM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ua;
struct account;

#define IM_MAX_TEXT 61440u       /* bytes of text in one MESSAGE */
#define IM_UDP_MAX 1300u         /* larger requests go over TCP */
#define IM_DEDUP_SECS 300u       /* a resent MESSAGE is recognised this long */
#define IM_COMPOSE_REFRESH 60u   /* "active" is repeated at most this often (s) */

/* One message of a peer's history, with its final status folded in. */
struct im_rec {
	time_t when;             /* sent or received */
	bool incoming;
	uint64_t id;
	const char *status;      /* received, sending, delivered, stored, failed, unknown
				  * (sent by an earlier run that never learnt the outcome) */
	unsigned code;           /* SIP status of the final response; 0 when none */
	const char *reason;      /* its reason phrase, or "" */
	const char *text;        /* NUL-terminated (a NUL inside is impossible) */
	size_t len;
};

/* A peer that has a history. */
struct im_peer_info {
	const char *peer;        /* canonical URI */
	unsigned unread;         /* received since im_mark_read (this run only) */
	time_t last;             /* last change of its history */
};

typedef void (im_rec_h)(const struct im_rec *r, void *arg);
typedef void (im_peer_h)(const struct im_peer_info *p, void *arg);

/* Take MESSAGE requests from ua; open (create) the chats directory.
 * Without a data directory the history is off, with a warning. */
int im_init(struct ua *ua);
void im_close(void);

/* Send text to "sip:user@host", "user@host" or, with an account, a user
 * at the account's domain; acc NULL: direct mode (From sip:sipterm@our
 * address).  0 with *id set once the message is in the history and on its
 * way (the outcome comes as "message-status"); EINVAL for a bad address,
 * empty text or text that is not UTF-8, EMSGSIZE above IM_MAX_TEXT, or the
 * error of the history write (then nothing was sent). */
int im_send(struct account *acc, const char *to, const char *text, uint64_t *id);
/* Tell the peer we are typing (active) or stopped (idle).  "active" goes
 * out at most once per IM_COMPOSE_REFRESH seconds per peer, "idle" only
 * after an "active" (a message sent meanwhile already meant idle). */
int im_compose(struct account *acc, const char *to, bool active);

/* The canonical peer URI (the history's key) for what im_send takes:
 * sip[s]:user@host[:port], host lowercased, parameters dropped.  EINVAL
 * when it is not a SIP address; ENAMETOOLONG when size is too small. */
int im_peer_uri(const struct account *acc, const char *to, char *out, size_t size);
/* Replay the history with peer (any form im_peer_uri takes without an
 * account, or a peer as reported) in order: every message once, with its
 * final status.  ENOENT when there is none. */
int im_history(const char *peer, im_rec_h *h, void *arg);
/* The peers with a history, the most recent first. */
int im_peers(im_peer_h *h, void *arg);
unsigned im_unread(const char *peer);
void im_mark_read(const char *peer);
/* The chats directory, or NULL when the history is off. */
const char *im_dir(void);

#endif
