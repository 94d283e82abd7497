/* call.h: calls (RFC 3261 13-15, RFC 3264, RFC 4028): outgoing and
 * incoming INVITE sessions with their dialog and media, early media,
 * CANCEL, BYE, re-INVITE/UPDATE with hold and resume, glare, session
 * timers, DTMF, and auto-answer for the headless mode. */
#ifndef SIPTERM_CALL_H
#define SIPTERM_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"
#include "media.h"

struct ua;
struct account;
struct call;

enum call_state {
	CALL_OUTGOING,       /* INVITE sent */
	CALL_RINGING,        /* 180/183 received */
	CALL_INCOMING,       /* ringing here */
	CALL_ANSWERING,      /* 200 sent, waiting for the ACK */
	CALL_ESTABLISHED,
	CALL_ENDED,
};

/* Auto-answer and incoming-call policy (headless mode). */
struct call_policy {
	int answer_after;        /* seconds; -1: never (ring until answered) */
	const char **allow;      /* fnmatch patterns over the caller URI; NULL = all */
	unsigned nallow;
	uint16_t reject_code;    /* for callers not allowed: 486 or 603 */
	unsigned max_calls;      /* 0 = no limit; more get 486 */
	unsigned max_call_secs;  /* 0 = no limit */
	bool follow_redirects;   /* outgoing calls follow 3xx */
	uint32_t session_expires;/* RFC 4028 interval we ask for (s), 0 = off */
};

void call_policy_default(struct call_policy *p);
int call_init(struct ua *ua, const struct media_cfg *mcfg, const struct call_policy *pol);
void call_close(void);
int call_connect(struct call **cp, struct account *acc, const char *target);
int call_answer(struct call *c);
int call_hangup(struct call *c, uint16_t code, const char *reason);
int call_hold(struct call *c, bool hold);
int call_dtmf(struct call *c, const char *digits, bool info);
void call_mute(struct call *c, bool on);
bool call_muted(const struct call *c);
int call_record(struct call *c, const char *path);
int call_use_device(struct call *c, const char *spec);
void call_levels(const struct call *c, float *in, float *out);
int call_play(struct call *c, const char *path, char *err, size_t errsz);
void call_switch(struct call *c);
struct call_policy *call_policy(void);
void call_dsp_set(const char *what, bool on);
struct media_cfg *call_media_cfg(void);
void call_hangup_all(void);
struct call *call_find(unsigned id);
struct call *call_current(void);
struct list *call_list(void);
unsigned call_id(const struct call *c);
const char *call_callid(const struct call *c);
enum call_state call_state(const struct call *c);
const char *call_state_name(enum call_state s);
const char *call_peer(const struct call *c);
bool call_on_hold(const struct call *c);
bool call_incoming(const struct call *c);
uint32_t call_duration(const struct call *c);
void call_stats(const struct call *c, struct media_stats *st);
unsigned call_count(void);

#endif
