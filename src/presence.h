/* presence.h: presence (RFC 6665, RFC 3856, RFC 3863, RFC 3903).
 *
 * Watching: each buddy is SUBSCRIBEd to (Event: presence, PIDF), the
 * subscription refreshed before it expires and made again after it fails
 * (with backoff) or ends: at once after reason=deactivated or timeout,
 * after retry-after for probation, giveup or another reason, never after
 * rejected, noresource or invariant (RFC 6665 4.1.3); every NOTIFY
 * updates the buddy and emits a "presence" event (a malformed PIDF is
 * logged and changes nothing).
 * Publishing: our own status goes to the presence server by PUBLISH
 * (RFC 3903: refreshes with SIP-If-Match and no body; a 412 makes it
 * publish the whole state anew), and on-the-phone is added while a call
 * is up.
 * Serving: with no presence server (direct mode), sipterm answers
 * SUBSCRIBE for its own presence, keeps its watchers and NOTIFYs them on
 * every change; other event packages get 489. */
#ifndef SIPTERM_PRESENCE_H
#define SIPTERM_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "list.h"

struct ua;
struct account;
struct buddy;

enum presence_state {
	PRES_ONLINE = 0,
	PRES_AWAY,
	PRES_BUSY,
	PRES_OFFLINE,
};

/* What is known of a buddy, for the TUI and the buddies command. */
struct buddy_info {
	const char *name;
	const char *uri;
	const char *basic;       /* "open", "closed", "unknown" */
	const char *activity;    /* "away", "busy", "on-the-phone", ... or "" */
	const char *note;
	const char *sub_state;   /* "active", "pending", "terminated: rejected", ... */
	bool from_config;
};

int presence_init(struct ua *ua, const struct conf *c, char *err, size_t errsz);
void presence_start(void);
void presence_shutdown(void);
void presence_close(void);
int presence_buddy_add(const char *uri, const char *name, char *err, size_t errsz);
int presence_buddy_remove(const char *name);
size_t presence_buddy_count(void);
bool presence_buddy_get(size_t i, struct buddy_info *out);
const char *presence_buddy_uri(const char *name);
const char *presence_buddy_name(const char *uri);
int presence_set_status(enum presence_state st, const char *note);
enum presence_state presence_status(const char **note);
const char *presence_state_name(enum presence_state st);
int presence_state_parse(const char *s, enum presence_state *st);
unsigned presence_watchers(void);

#endif
