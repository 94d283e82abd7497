/* ui/cmd.c: the command table and how a line becomes a handler call.
 * A line is split into words like a shell would (single and double
 * quotes, backslash escapes); '#' starts a comment outside quotes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/app.h"
#include "ui/cmd.h"
#include "xmalloc.h"

const struct cmd_entry cmd_table[] = {
	{ "accounts", NULL, 0, 0, "accounts",
	  "List the accounts with their registration state.", cmd_accounts, 0 },
	{ "answer", "a", 0, 1, "answer [ID]", "Answer a ringing call (the oldest one).",
	  cmd_answer, 0 },
	{ "audio", NULL, 1, 3, "audio devices | audio use IN [OUT] | audio level",
	  "List the sound cards, move the current call (and new ones) to another device "
	  "(a PortAudio name, or null or file), or show the current call's levels.",
	  cmd_audio, 0 },
	{ "buddies", NULL, 0, 0, "buddies",
	  "List the buddies with their presence and subscription state.", cmd_buddies, 0 },
	{ "buddy", NULL, 2, 3, "buddy add URI [NAME] | buddy remove NAME",
	  "Watch someone's presence (kept across runs), or stop.", cmd_buddy, 0 },
	{ "call", "dial", 1, 1, "call URI|USER|NUMBER|BUDDY|echo",
	  "Call sip:user@host, user@host, a user or number at the account's domain, a buddy "
	  "by name, or the built-in echo service (echo) to hear yourself.  While the account "
	  "is still registering, the call waits for it (at most 10 s).",
	  cmd_call, 0 },
	{ "calls", NULL, 0, 0, "calls", "List the calls with their state and media figures.",
	  cmd_calls, 0 },
	{ "chat", NULL, 0, 1, "chat [NAME]",
	  "The messages exchanged with NAME (a URI, user@host, a user of the account's domain "
	  "or a buddy): time, direction, status, text; without NAME, the peers with unread "
	  "counts.", cmd_chat, 0 },
	{ "dtmf", NULL, 1, 3, "dtmf [--info] DIGITS [ID]",
	  "Send DTMF digits (0-9 * # A-D) as RFC 4733 telephone-events, or by SIP INFO "
	  "with --info or when the peer takes no telephone-events.", cmd_dtmf, 0 },
	{ "hangup", "h", 0, 1, "hangup [ID|all]",
	  "End a call: CANCEL while it rings, reject when it rings here, else BYE.",
	  cmd_hangup, 0 },
	{ "get", NULL, 0, 1, "get [KEY]", "Show a setting, or all of them.", cmd_get, 0 },
	{ "help", "?", 0, 1, "help [COMMAND] | help --json | help --events",
	  "Show the commands, or one command's usage; --json prints the table for tools, "
	  "--events the event names.",
	  cmd_help, 0 },
	{ "history", NULL, 0, 1, "history [N] | history NAME",
	  "The last N calls (default 20), with missed calls marked; with NAME, the messages "
	  "exchanged with NAME (as chat).", cmd_history, 0 },
	{ "hold", NULL, 0, 1, "hold [ID]", "Put a call on hold (re-INVITE with sendonly).",
	  cmd_hold, 0 },
	{ "log", NULL, 1, 1, "log error|warn|info|debug", "Set the log level.", cmd_log, 0 },
	{ "msg", "message", 2, 2, "msg URI|NAME TEXT...",
	  "Send an instant message: the rest of the line is the text (quotes optional). "
	  "Its outcome is reported as message-status.", cmd_msg, 2 },
	{ "mute", NULL, 0, 1, "mute [ID]", "Stop sending the microphone's audio.", cmd_mute, 0 },
	{ "play", NULL, 1, 2, "play FILE [ID]",
	  "Play a WAV file into the call instead of the microphone, until it ends.",
	  cmd_play, 0 },
	{ "quit", "exit", 0, 0, "quit",
	  "Unregister every account and exit (status 0, or the last failure's status).",
	  cmd_quit, 0 },
	{ "record", NULL, 1, 3, "record start FILE [ID] | record stop [ID]",
	  "Record what the speaker plays in the call to a WAV file.", cmd_record, 0 },
	{ "reg", "register", 0, 1, "reg [ACCOUNT]",
	  "Register an account (all accounts when none is named).", cmd_reg, 0 },
	{ "reject", NULL, 0, 2, "reject [ID] [CODE]",
	  "Refuse a ringing call with CODE (default 486 Busy Here).", cmd_reject, 0 },
	{ "resume", NULL, 0, 1, "resume [ID]", "Take a call off hold.", cmd_resume, 0 },
	{ "set", NULL, 2, 2, "set KEY VALUE",
	  "Change a setting (see 'get' for the keys).", cmd_set, 0 },
	{ "siptrace", NULL, 1, 1, "siptrace on|off",
	  "Show every SIP message sent and received (the SIP trace).", cmd_siptrace, 0 },
	{ "status", NULL, 0, 2, "status [online|away|busy|offline [NOTE...]]",
	  "Show or set your presence (published, and sent to your watchers).", cmd_status, 2 },
	{ "switch", NULL, 1, 1, "switch ID",
	  "Make a call the current one (the one commands without an id act on).",
	  cmd_switch, 0 },
	{ "unmute", NULL, 0, 1, "unmute [ID]", "Send the microphone's audio again.",
	  cmd_unmute, 0 },
	{ "unreg", "unregister", 0, 1, "unreg [ACCOUNT]",
	  "Unregister an account (all accounts when none is named).", cmd_unreg, 0 },
	{ "wait", NULL, 1, 2, "wait SECONDS | wait EVENT [TIMEOUT]",
	  "Pause a script for SECONDS, or until EVENT happens (at most TIMEOUT seconds, "
	  "default 60).  An event that happened since the previous wait counts.",
	  cmd_wait, 0 },
	{ NULL, NULL, 0, 0, NULL, NULL, NULL, 0 },
};

const struct cmd_entry *cmd_find(const char *name)
{
	for (const struct cmd_entry *c = cmd_table; c->name; c++)
		if (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name)))
			return c;
	return NULL;
}

/* Split line in place into at most max words.  With rest, stop after max
 * words instead and point *rest at what follows, untouched (text). */
static int split_words(char *line, char **argv, int max, const char **err, char **rest)
{
	char *r = line, *w = line;
	int n = 0;

	*err = NULL;
	for (;;) {
		char quote = 0;
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (rest && (n >= max || !*r)) {
			*rest = r;
			return n;
		}
		if (!*r || *r == '#')
			break;
		if (n >= max) {
			*err = "too many words";
			return -1;
		}
		argv[n++] = w;
		for (; *r; r++) {
			if (quote) {
				if (*r == quote) {
					quote = 0;
				} else if (*r == '\\' && quote == '"' && r[1]) {
					*w++ = *++r;
				} else {
					*w++ = *r;
				}
			} else if (*r == '"' || *r == '\'') {
				quote = *r;
			} else if (*r == '\\' && r[1]) {
				*w++ = *++r;
			} else if (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n') {
				break;
			} else {
				*w++ = *r;
			}
		}
		if (quote) {
			*err = "unterminated quote";
			return -1;
		}
		{
			bool end = *r == '\0';
			if (!end)
				r++;
			*w++ = '\0'; /* w never passes r: unquoting only shrinks */
			if (end)
				break;
		}
	}
	if (rest)
		*rest = r;
	return n;
}

/* Returns the count, or -1 with *err set. */
int cmd_split(char *line, char **argv, int max, const char **err)
{
	return split_words(line, argv, max, err, NULL);
}

/* A command with text_at (msg TEXT..., status STATE NOTE...) takes the
 * rest of its line as written (any number of words, apostrophes, '#') as
 * that argument; quotes around the whole of it are optional. */
static bool takes_text(const struct cmd_entry *c)
{
	return c->text_at > 0;
}

static int split_text(char *line, char **argv, const struct cmd_entry *c, const char **err)
{
	char *rest, *probe, *one[1], *left;
	int n = split_words(line, argv, c->text_at, err, &rest);
	size_t l;

	if (n < c->text_at || !*rest)
		return n;
	l = strlen(rest);
	while (l && (rest[l - 1] == ' ' || rest[l - 1] == '\t' || rest[l - 1] == '\r' ||
		     rest[l - 1] == '\n'))
		rest[--l] = '\0';
	/* "one quoted string" is unquoted; anything else is taken as it is */
	probe = xstrdup(rest);
	if ((*rest == '"' || *rest == '\'') && split_words(probe, one, 1, err, &left) == 1 &&
	    !*left)
		split_words(rest, one, 1, err, &left);
	else
		one[0] = rest;
	free(probe);
	*err = NULL;
	argv[n] = one[0];
	return n + 1;
}

/* Run one command line.  Returns the status if it finished now; a pending
 * command returns 0 with ctx->pending set and reports later through the
 * source's done(). */
int cmd_run(struct cmd_ctx *ctx, const char *line)
{
	char *copy = xstrdup(line), *argv[CMD_MAX_ARGS];
	const struct cmd_entry *c;
	const char *err;
	int argc, rc;

	ctx->pending = false;
	ctx->finished = false;
	ctx->status = 0;
	{
		/* the first word decides how the rest is split */
		char *probe = xstrdup(line), *w0[1], *rest;
		c = split_words(probe, w0, 1, &err, &rest) == 1 ? cmd_find(w0[0]) : NULL;
		free(probe);
		if (c && takes_text(c))
			argc = split_text(copy, argv, c, &err);
		else
			argc = cmd_split(copy, argv, CMD_MAX_ARGS, &err);
	}
	if (argc < 0) {
		rc = cmd_error(ctx, EXIT_USAGE, "%s", err);
		goto out;
	}
	if (argc == 0) {
		rc = 0;
		goto out;
	}
	c = cmd_find(argv[0]);
	if (!c) {
		rc = cmd_error(ctx, EXIT_USAGE, "unknown command '%s' (try 'help')", argv[0]);
		goto out;
	}
	if (argc - 1 < c->min_args || (c->max_args >= 0 && argc - 1 > c->max_args)) {
		rc = cmd_error(ctx, EXIT_USAGE, "usage: %s", c->usage);
		goto out;
	}
	rc = c->h(ctx, argc, argv);
out:
	free(copy);
	if (!ctx->pending) {
		ctx->finished = true;
		ctx->status = rc;
		if (ctx->src->done)
			ctx->src->done(ctx, rc);
	}
	return rc;
}

void cmd_printf(struct cmd_ctx *ctx, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	ctx->src->out(ctx, true, s);
	free(s);
}

int cmd_error(struct cmd_ctx *ctx, int status, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	ctx->src->out(ctx, false, s);
	free(s);
	return status ? status : EXIT_FAIL;
}

void cmd_pending(struct cmd_ctx *ctx, void *state, void (*cancel)(struct cmd_ctx *ctx))
{
	ctx->pending = true;
	ctx->state = state;
	ctx->cancel = cancel;
}

/* A pending command is over. */
void cmd_finish(struct cmd_ctx *ctx, int status)
{
	if (!ctx->pending || ctx->finished)
		return;
	ctx->pending = false;
	ctx->finished = true;
	ctx->status = status;
	ctx->state = NULL;
	ctx->cancel = NULL;
	if (ctx->src->done)
		ctx->src->done(ctx, status);
}

/* The source goes away (script killed, socket closed): drop the wait. */
void cmd_cancel(struct cmd_ctx *ctx)
{
	if (ctx->pending && ctx->cancel)
		ctx->cancel(ctx);
	ctx->pending = false;
	ctx->state = NULL;
}

static void json_str(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

int cmd_help_json(struct buf *b)
{
	buf_puts(b, "[");
	for (const struct cmd_entry *c = cmd_table; c->name; c++) {
		buf_puts(b, c == cmd_table ? "{\"name\":" : ",{\"name\":");
		json_str(b, c->name);
		buf_puts(b, ",\"alias\":");
		if (c->alias)
			json_str(b, c->alias);
		else
			buf_puts(b, "null");
		buf_printf(b, ",\"min_args\":%d,\"max_args\":%d,\"usage\":", c->min_args, c->max_args);
		json_str(b, c->usage);
		buf_puts(b, ",\"help\":");
		json_str(b, c->help);
		buf_puts(b, "}");
	}
	buf_puts(b, "]");
	return b->err;
}
