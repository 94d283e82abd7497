/* pidf.h: presence documents (PIDF, RFC 3863, with the RPID person
 * activities of RFC 4480) and message-composing indications (RFC 3994,
 * application/im-iscomposing+xml).
 *
 * Documents are built with libxml2's tree API, never by pasting strings, so
 * every user-supplied text is escaped.  Parsing accepts what common stacks
 * send: Linphone, baresip, Asterisk (the pre-RFC pp:/ep: namespaces),
 * Pidgin/SIMPLE and Kamailio's presence_xml aggregation (several tuples and
 * persons).  Received documents are untrusted: a DOCTYPE is refused outright
 * (so no entity is ever declared, expanded or loaded), the size is bounded,
 * nothing goes to the network and libxml2 prints nothing.  Every refusal is
 * EBADMSG with a reason for one log line.  libxml2 is loaded at the first
 * document (src/dl.h): without it every function here fails with ENOSYS
 * (the parsers' reason says why, and it is logged once).  Engine thread
 * only. */
#ifndef SIPTERM_PIDF_H
#define SIPTERM_PIDF_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The largest document pidf_parse and iscomposing_parse look at. */
#define PIDF_MAX_DOC (64 * 1024)

enum pidf_basic {
	PIDF_UNKNOWN = 0, /* no tuple carried a <basic> we understand */
	PIDF_OPEN,
	PIDF_CLOSED,
};

enum pidf_activity {
	PIDF_ACT_NONE = 0,
	PIDF_ACT_AWAY,
	PIDF_ACT_BUSY,
	PIDF_ACT_ON_THE_PHONE,
	PIDF_ACT_MEAL,
	PIDF_ACT_MEETING,
	PIDF_ACT_VACATION,
	PIDF_ACT_OTHER, /* anything else: the name is in activity_name */
};

struct pidf_status {
	enum pidf_basic basic;
	enum pidf_activity activity;
	/* The activity's name: filled by pidf_parse for every activity ("away",
	 * "lunch", the text of <rpid:other>), read by pidf_build only for
	 * PIDF_ACT_OTHER.  Truncated on a UTF-8 boundary. */
	char activity_name[32];
	/* UTF-8, the first non-empty <note> in document order (tuple, person
	 * or presence level), surrounding white space trimmed; "" for none. */
	char note[256];
};

/* Append a PIDF document for entity (a pres: or sip: URI) to b.
 * EINVAL: no entity, or a text that is not UTF-8 or holds a character XML
 * cannot carry; ENOSPC: b's bound was hit (b keeps what it had). */
int pidf_build(struct buf *b, const char *entity, const struct pidf_status *st);

/* Read a PIDF document.  Open wins if any tuple is open; the first activity
 * found wins.  EBADMSG with *reason (static text, or a buffer valid until
 * the next call) for anything malformed, hostile or not PIDF; st is
 * untouched then.  reason may be NULL. */
int pidf_parse(struct pidf_status *st, const char *doc, size_t len, const char **reason);

/* "away", "busy", "on-the-phone", "meal", "meeting", "vacation"; "" for
 * PIDF_ACT_NONE and "other" for PIDF_ACT_OTHER. */
const char *pidf_activity_name(enum pidf_activity a);

/* Append an isComposing document: active or idle, content type text/plain,
 * <refresh> only when active and refresh_secs > 0.  ENOSPC as above. */
int iscomposing_build(struct buf *b, bool active, unsigned refresh_secs);

/* Read an isComposing document.  *refresh is 0 when absent.  EBADMSG with a
 * reason as for pidf_parse; outputs untouched then. */
int iscomposing_parse(const char *doc, size_t len, bool *active, unsigned *refresh,
		      const char **reason);

#endif
