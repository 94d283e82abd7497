/* ui/cmd-call.c: call, answer, reject, hangup, hold, resume, mute, unmute,
 * dtmf, calls. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "echo.h"
#include "event.h"
#include "loop.h"
#include "ua.h"
#include "ui/app.h"
#include "ui/cmd.h"
#include "xmalloc.h"

/* How long "call" waits for its account's registration (sipterm(1)). */
#define CALL_REG_WAIT_S 10

/* The call named by an optional id argument, or the current one. */
static struct call *pick(struct cmd_ctx *ctx, int argc, char **argv, int idx, int *rc)
{
	struct call *c;

	if (argc > idx) {
		char *e;
		unsigned long id = strtoul(argv[idx], &e, 10);
		if (*e || !id) {
			*rc = cmd_error(ctx, EXIT_USAGE, "%s: '%s' is not a call id (see 'calls')",
					argv[0], argv[idx]);
			return NULL;
		}
		c = call_find((unsigned)id);
		if (!c)
			*rc = cmd_error(ctx, EXIT_FAIL, "%s: no call %lu", argv[0], id);
		return c;
	}
	c = call_current();
	if (!c)
		*rc = cmd_error(ctx, EXIT_FAIL, "%s: no call", argv[0]);
	return c;
}

/* Place the call now: the echo service, or target through acc. */
static int dial(struct cmd_ctx *ctx, struct account *acc, const char *target,
		const char *typed)
{
	struct call *c;
	int err;

	if (!strcmp(target, "echo")) {
		/* the built-in echo service: no server, no account needed */
		char uri[64];
		err = echo_service_uri(uri, sizeof(uri));
		if (err)
			return cmd_error(ctx, EXIT_CALL, "call: the echo service: %s", strerror(err));
		err = call_connect(&c, NULL, uri);
	} else {
		err = call_connect(&c, acc, target);
	}
	if (err == EINVAL)
		return cmd_error(ctx, EXIT_USAGE,
				 "call: '%s' is not an address: write sip:user@host, user@host%s",
				 typed, acc ? ", or a number/user of the account's domain" : "");
	if (err)
		return cmd_error(ctx, EXIT_CALL, "call: %s", strerror(err));
	cmd_printf(ctx, "call %u: calling %s", call_id(c), call_peer(c));
	return 0;
}

/* ------------------------------------------------------------------ */
/* A call through an account that is still registering waits for the
 * outcome (right after start, "sipterm -e 'call bob'" would otherwise
 * dial before the registrar knows us): "registered" dials,
 * "registration-failed" or CALL_REG_WAIT_S without an answer fails the
 * command with EXIT_AUTH.  One event sink serves every waiting call. */

struct reg_wait {
	struct cmd_ctx *ctx;
	struct account *acc;
	char *target;           /* what to dial: a URI or what the user typed */
	char *typed;
	struct tmr t;           /* the time limit, then the deferred dial */
	int status;             /* -1 while waiting; 0 dial, else the failure */
	struct reg_wait *next;
};

static struct reg_wait *reg_waits;
static bool reg_sink_on;

/* The last registration failure of each account, for the error of a call
 * placed after it (cleared when the account registers). */
struct reg_fail {
	char *acc;
	long long status;
	char *reason;
	struct reg_fail *next;
};

static struct reg_fail *reg_fails;

static struct reg_fail **reg_fail_find(const char *acc)
{
	struct reg_fail **p;
	for (p = &reg_fails; *p; p = &(*p)->next)
		if (!strcmp((*p)->acc, acc))
			break;
	return p;
}

static void reg_fail_note(const char *acc, bool ok, long long status, const char *reason)
{
	struct reg_fail **p = reg_fail_find(acc), *f = *p;

	if (ok) {
		if (f) {
			*p = f->next;
			free(f->acc);
			free(f->reason);
			free(f);
		}
		return;
	}
	if (!f) {
		f = *p = xcalloc(1, sizeof(*f));
		f->acc = xstrdup(acc);
	}
	free(f->reason);
	f->status = status;
	f->reason = xstrdup(reason ? reason : "");
}

/* "account alice failed to register (401 authentication failed)", or
 * without the status when there was none (a transport error). */
static int reg_failed(struct cmd_ctx *ctx, const char *acc, long long status,
		      const char *reason)
{
	if (status > 0)
		return cmd_error(ctx, EXIT_AUTH,
				 "call: account %s failed to register (%lld %s): not calling", acc,
				 status, reason ? reason : "");
	return cmd_error(ctx, EXIT_AUTH, "call: account %s failed to register (%s): not calling",
			 acc, reason && *reason ? reason : "no answer");
}

static void reg_wait_unlink(struct reg_wait *w)
{
	for (struct reg_wait **p = &reg_waits; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	tmr_cancel(&w->t);
}

static void reg_wait_free(struct reg_wait *w)
{
	free(w->target);
	free(w->typed);
	free(w);
}

/* The wait is over: dial, or report why not, and finish the command. */
static void reg_wait_end(void *arg)
{
	struct reg_wait *w = arg;
	struct cmd_ctx *ctx = w->ctx;
	int rc = w->status;

	reg_wait_unlink(w);
	if (rc < 0) {
		rc = cmd_error(ctx, EXIT_AUTH,
			       "call: account %s did not register within %d s: not calling",
			       w->acc->name, CALL_REG_WAIT_S);
	} else if (rc == 0) {
		if (app.quitting)
			rc = cmd_error(ctx, EXIT_FAIL, "call: sipterm is quitting: not calling");
		else
			rc = dial(ctx, w->acc, w->target, w->typed);
	}
	reg_wait_free(w);
	cmd_finish(ctx, rc);
}

static void reg_wait_event(const struct ev *e, void *arg)
{
	bool ok = !strcmp(e->name, "registered");
	const char *acc = ev_get(e, "account"), *reason = ev_get(e, "reason");
	long long status = 0;
	(void)arg;

	if ((!ok && strcmp(e->name, "registration-failed")) || !acc)
		return;
	ev_get_int(e, "status", &status);
	reg_fail_note(acc, ok, status, reason);
	for (struct reg_wait *w = reg_waits; w; w = w->next) {
		if (w->status >= 0 || strcmp(acc, w->acc->name))
			continue;
		if (ok)
			w->status = 0;
		else
			w->status = reg_failed(w->ctx, acc, status, reason);
		/* dial from the loop, not from inside the registration's handler */
		tmr_start(&w->t, 0, reg_wait_end, w);
	}
}

static void reg_wait_cancel(struct cmd_ctx *ctx)
{
	struct reg_wait *w = ctx->state;
	if (w) {
		reg_wait_unlink(w);
		reg_wait_free(w);
	}
}

/* Start waiting for acc's registration; the command finishes later. */
static int reg_wait_start(struct cmd_ctx *ctx, struct account *acc, const char *target,
			  const char *typed)
{
	struct reg_wait *w = xcalloc(1, sizeof(*w));

	w->ctx = ctx;
	w->acc = acc;
	w->target = xstrdup(target);
	w->typed = xstrdup(typed);
	w->status = -1;
	tmr_init(&w->t);
	tmr_start(&w->t, (uint64_t)CALL_REG_WAIT_S * 1000, reg_wait_end, w);
	w->next = reg_waits;
	reg_waits = w;
	cmd_pending(ctx, w, reg_wait_cancel);
	cmd_printf(ctx, "call: waiting for account %s to register (at most %d s)", acc->name,
		   CALL_REG_WAIT_S);
	return 0;
}

/* Registration events are followed from the start: a call placed after a
 * failure names it. */
void cmd_call_init(void)
{
	if (!reg_sink_on && ev_sink_add(reg_wait_event, NULL) == 0)
		reg_sink_on = true;
}

/* Shutting down: every call still waiting fails. */
void cmd_call_close(void)
{
	while (reg_waits) {
		struct reg_wait *w = reg_waits;
		struct cmd_ctx *ctx = w->ctx;
		reg_wait_unlink(w);
		reg_wait_free(w);
		cmd_finish(ctx, EXIT_FAIL);
	}
	while (reg_fails)
		reg_fail_note(reg_fails->acc, true, 0, NULL);
	if (reg_sink_on)
		ev_sink_del(reg_wait_event, NULL);
	reg_sink_on = false;
}

int cmd_call(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct account *acc = ua_account_default(app.ua);
	const char *target = argv[1];
	char *uri;
	(void)argc;

	if (!strcmp(target, "echo"))
		return dial(ctx, NULL, target, argv[1]);
	/* a buddy's name, through the account its [buddy] section names */
	{
		const char *b = cmd_buddy_uri(argv[1], &acc);
		if (b)
			target = b;
	}
	uri = ua_expand_uri(acc, target);
	if (!uri)
		return dial(ctx, acc, target, argv[1]); /* says why it is no address */
	free(uri);
	if (acc && acc->do_register && acc->reg) {
		const char *st = reg_state(acc->reg);
		if (!strcmp(st, "registering"))
			return reg_wait_start(ctx, acc, target, argv[1]);
		if (!strcmp(st, "failed")) {
			const struct reg_fail *f = *reg_fail_find(acc->name);
			return reg_failed(ctx, acc->name, f ? f->status : 0, f ? f->reason : NULL);
		}
	}
	return dial(ctx, acc, target, argv[1]);
}

/* The oldest call ringing here. */
static struct call *ringing(void)
{
	LIST_FOREACH(call_list(), e) {
		struct call *c = e->data;
		if (call_state(c) == CALL_INCOMING)
			return c;
	}
	return NULL;
}

int cmd_answer(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = 0;
	struct call *c = argc > 1 ? pick(ctx, argc, argv, 1, &rc) : ringing();

	if (!c)
		return rc ? rc : cmd_error(ctx, EXIT_FAIL, "answer: no call is ringing");
	if (call_answer(c))
		return cmd_error(ctx, EXIT_FAIL, "answer: call %u is not ringing", call_id(c));
	return 0;
}

int cmd_reject(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = 0;
	unsigned long code = 0;
	struct call *c = argc > 1 ? pick(ctx, argc, argv, 1, &rc) : ringing();

	if (!c)
		return rc ? rc : cmd_error(ctx, EXIT_FAIL, "reject: no call is ringing");
	if (argc > 2) {
		char *e;
		code = strtoul(argv[2], &e, 10);
		if (*e || code < 300 || code > 699)
			return cmd_error(ctx, EXIT_USAGE, "reject: the code must be 300-699");
	}
	if (call_state(c) != CALL_INCOMING)
		return cmd_error(ctx, EXIT_FAIL, "reject: call %u is not ringing", call_id(c));
	call_hangup(c, (uint16_t)(code ? code : 486), NULL);
	return 0;
}

int cmd_hangup(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = 0;
	struct call *c;

	if (argc > 1 && !strcmp(argv[1], "all")) {
		call_hangup_all();
		return 0;
	}
	c = pick(ctx, argc, argv, 1, &rc);
	if (!c)
		return rc;
	call_hangup(c, 0, NULL);
	return 0;
}

static int hold(struct cmd_ctx *ctx, int argc, char **argv, bool on)
{
	int rc = 0, err;
	struct call *c = pick(ctx, argc, argv, 1, &rc);

	if (!c)
		return rc;
	err = call_hold(c, on);
	if (err == EALREADY) {
		cmd_printf(ctx, "call %u is %s on hold", call_id(c), on ? "already" : "not");
		return 0;
	}
	if (err)
		return cmd_error(ctx, EXIT_FAIL, "%s: call %u is not established%s", argv[0],
				 call_id(c), err == EBUSY ? " or a re-INVITE is pending" : "");
	/* the outcome comes as call-held / call-resumed */
	cmd_printf(ctx, "call %u: %s", call_id(c), on ? "putting on hold" : "resuming");
	return 0;
}

int cmd_hold(struct cmd_ctx *ctx, int argc, char **argv)
{
	return hold(ctx, argc, argv, true);
}

int cmd_resume(struct cmd_ctx *ctx, int argc, char **argv)
{
	return hold(ctx, argc, argv, false);
}

static int mute(struct cmd_ctx *ctx, int argc, char **argv, bool on)
{
	int rc = 0;
	struct call *c = pick(ctx, argc, argv, 1, &rc);
	if (!c)
		return rc;
	call_mute(c, on);
	cmd_printf(ctx, "call %u: microphone %s", call_id(c), on ? "muted" : "on");
	return 0;
}

int cmd_mute(struct cmd_ctx *ctx, int argc, char **argv)
{
	return mute(ctx, argc, argv, true);
}

int cmd_unmute(struct cmd_ctx *ctx, int argc, char **argv)
{
	return mute(ctx, argc, argv, false);
}

int cmd_dtmf(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = 0, a = 1;
	bool info = false;
	struct call *c;

	if (argc > 1 && !strcmp(argv[1], "--info")) {
		info = true;
		a++;
	}
	if (argc <= a || argc > a + 2)
		return cmd_error(ctx, EXIT_USAGE, "usage: dtmf [--info] DIGITS [ID]");
	c = pick(ctx, argc, argv, a + 1, &rc);
	if (!c)
		return rc;
	if (strspn(argv[a], "0123456789*#ABCDabcd") != strlen(argv[a]))
		return cmd_error(ctx, EXIT_USAGE, "dtmf: digits are 0-9 * # A-D");
	if (call_dtmf(c, argv[a], info))
		return cmd_error(ctx, EXIT_FAIL, "dtmf: call %u is not established", call_id(c));
	return 0;
}

int cmd_calls(struct cmd_ctx *ctx, int argc, char **argv)
{
	unsigned n = 0;
	(void)argc;
	(void)argv;
	LIST_FOREACH(call_list(), e) {
		struct call *c = e->data;
		struct media_stats s;
		if (call_state(c) == CALL_ENDED)
			continue;
		n++;
		call_stats(c, &s);
		cmd_printf(ctx, "%u %s %s %s %us%s codec=%s jitter=%.1fms loss=%.1f%% rtt=%.0fms",
			   call_id(c), call_incoming(c) ? "in" : "out", call_peer(c),
			   call_state_name(call_state(c)), call_duration(c),
			   call_on_hold(c) ? " (held)" : "", s.codec[0] ? s.codec : "-", s.jitter_ms,
			   s.loss_pct, s.rtt_ms);
	}
	if (!n)
		cmd_printf(ctx, "no calls");
	return 0;
}
