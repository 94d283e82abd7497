/* ui/cmd-call.c: call, answer, reject, hangup, hold, resume, mute, unmute,
 * dtmf, calls. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "echo.h"
#include "ua.h"
#include "ui/app.h"
#include "ui/cmd.h"

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

int cmd_call(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct account *acc = ua_account_default(app.ua);
	struct call *c;
	int err;
	(void)argc;

	if (!strcmp(argv[1], "echo")) {
		/* the built-in echo service: no server, no account needed */
		char uri[64];
		err = echo_service_uri(uri, sizeof(uri));
		if (err)
			return cmd_error(ctx, EXIT_CALL, "call: the echo service: %s", strerror(err));
		err = call_connect(&c, NULL, uri);
	} else {
		err = call_connect(&c, acc, argv[1]);
	}
	if (err == EINVAL)
		return cmd_error(ctx, EXIT_USAGE,
				 "call: '%s' is not an address: write sip:user@host, user@host%s",
				 argv[1], acc ? ", or a number/user of the account's domain" : "");
	if (err)
		return cmd_error(ctx, EXIT_CALL, "call: %s", strerror(err));
	cmd_printf(ctx, "call %u: calling %s", call_id(c), call_peer(c));
	return 0;
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
	if (err == EALREADY)
		return 0;
	if (err)
		return cmd_error(ctx, EXIT_FAIL, "%s: call %u is not established%s", argv[0],
				 call_id(c), err == EBUSY ? " or a re-INVITE is pending" : "");
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
	if (argc <= a)
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
