/* ua.h: the user agent: accounts, the SIP stack, registrations, and the
 * UA-core checks every incoming request passes (RFC 3261 8.2) before it
 * reaches the module that handles its method (calls, messages, presence).
 *
 * Direct mode: with no account configured, sipterm works by IP address
 * alone and takes requests for any user at its address.  With accounts,
 * a request is matched to its account by the Request-URI user, and a
 * request for an unknown user gets 404. */
#ifndef SIPTERM_UA_H
#define SIPTERM_UA_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "list.h"
#include "sip/sip.h"

struct ua;
struct reg;
struct sip_auth;

struct account {
	struct le le;
	struct ua *ua;
	char *name;
	char *aor;            /* sip:user@domain */
	char *user;           /* unescaped user part of the AOR */
	char *domain;         /* host[:port] of the AOR */
	char *display;        /* display name, or NULL */
	char *auth_user;      /* digest user (default: user) */
	char *registrar;      /* URI (default: sip:domain) */
	char *outbound_proxy; /* URI, or NULL */
	enum sip_tp tp;       /* transport to the registrar/proxy */
	bool tp_set;
	uint32_t expires;     /* requested registration lifetime */
	uint32_t keepalive;   /* seconds between CRLF keep-alives; 0 = off */
	bool do_register;
	bool answer_after_ok; /* honour Call-Info: ;answer-after=N */
	char *codecs;         /* codec preference list, or NULL (media default) */
	struct sip_auth *auth;
	struct reg *reg;
	unsigned line;        /* config line, for error messages */
};

/* Everything the command line may override. */
struct ua_opts {
	struct sip_cfg sip;
	const char *dns_server;   /* "127.0.0.1:5353": tests and odd networks */
	bool listen_given;
};

/* A request for a method a module handles; returns true when it replied
 * or will reply.  acc is NULL in direct mode. */
typedef bool (ua_req_h)(struct ua *ua, struct account *acc, struct sip_strans *st,
			const struct sip_msg *req, const struct sip_rx *rx, void *arg);
/* An ACK or in-dialog request (To tag present): true when a dialog took it. */
typedef bool (ua_dlg_h)(struct ua *ua, struct sip_strans *st, const struct sip_msg *req,
			const struct sip_rx *rx, void *arg);
typedef void (ua_done_h)(void *arg);

void ua_opts_default(struct ua_opts *o);
/* A listening address HOST:PORT; an IPv6 one in brackets ([::1]:5070):
 * "::1:5070" is an address too, but not what anyone meant. */
int ua_parse_listen(struct sa *sa, const char *s);
/* A --dns-server list: HOST[:PORT] or [IPv6]:PORT or a bare IPv6, comma
 * separated; false when one is not an address. */
bool ua_dns_servers_ok(const char *list);
int ua_opts_from_conf(struct ua_opts *o, const struct conf *c, char *err, size_t errsz);
int ua_alloc(struct ua **up, const struct conf *c, const struct ua_opts *o, char *err,
	     size_t errsz);
void ua_free(struct ua *ua);
void ua_start(struct ua *ua);
void ua_shutdown(struct ua *ua, uint32_t max_wait_ms, ua_done_h *h, void *arg);
struct sip *ua_sip(struct ua *ua);
struct list *ua_accounts(struct ua *ua);
struct account *ua_account(struct ua *ua, const char *name);
struct account *ua_account_default(struct ua *ua);
bool ua_direct(const struct ua *ua);
const char *ua_instance(const struct ua *ua);
void ua_set_handler(struct ua *ua, enum sip_method m, ua_req_h *h, void *arg);
void ua_add_dialog_handler(struct ua *ua, ua_dlg_h *h, void *arg);
void ua_set_stray_handler(struct ua *ua, sip_stray_h *strayh, void *arg);
char *ua_expand_uri(const struct account *a, const char *text);
const char *ua_allow(void);
const char *ua_supported(void);
int ua_contact(struct ua *ua, const struct account *acc, struct buf *b, enum sip_tp tp,
	       const struct sa *laddr);

/* accounts (account.c) */
int account_load(struct ua *ua, const struct conf *c, const struct conf_sect *s,
		 struct account **ap, char *err, size_t errsz);
void account_free(struct account *a);
int account_register(struct account *a);
int account_unregister(struct account *a);

/* registration client (reg.c) */
int reg_alloc(struct reg **rp, struct account *acc);
void reg_free(struct reg *r);
void reg_start(struct reg *r);
void reg_stop(struct reg *r, ua_done_h *h, void *arg);
bool reg_registered(const struct reg *r);
const char *reg_state(const struct reg *r);
uint32_t reg_expires(const struct reg *r);
void reg_conn_closed(struct reg *r, struct sip_conn *c);

#endif
