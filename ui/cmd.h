/* ui/cmd.h: the command table.  Every user action is one row; the TUI
 * line, hotkeys, -e, scripts and the control socket all run the same
 * handler, and errors go back where the command came from. */
#ifndef SIPTERM_UI_CMD_H
#define SIPTERM_UI_CMD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define CMD_MAX_ARGS 32

struct cmd_ctx;
struct account;

/* Where a command came from: it prints the replies. */
struct cmd_src {
	/* a line of output (ok == false: an error line) */
	void (*out)(struct cmd_ctx *ctx, bool ok, const char *line);
	/* the command finished (for asynchronous ones: later) */
	void (*done)(struct cmd_ctx *ctx, int status);
};

struct cmd_ctx {
	const struct cmd_src *src;
	void *arg;            /* the source's own state */
	const char *where;    /* "file:line" for scripts, or NULL */
	bool pending;         /* set by a handler that finishes later */
	bool finished;
	int status;           /* 0, or an EXIT_ code */
	void *state;          /* a pending handler's own state */
	uint64_t mark;        /* events up to this one were seen by a wait */
	void (*cancel)(struct cmd_ctx *ctx); /* abort a pending command */
};

/* A handler returns 0, or an EXIT_ code after cmd_error(); a handler that
 * must wait calls cmd_pending() and later cmd_finish(). */
typedef int (cmd_h)(struct cmd_ctx *ctx, int argc, char **argv);

struct cmd_entry {
	const char *name;
	const char *alias;    /* or NULL */
	int min_args, max_args; /* not counting the name; -1: no limit */
	const char *usage;
	const char *help;
	cmd_h *h;
	int text_at;          /* >0: argv[text_at] is the rest of the line as typed */
};

extern const struct cmd_entry cmd_table[];

const struct cmd_entry *cmd_find(const char *name);
int cmd_split(char *line, char **argv, int max, const char **err);
int cmd_run(struct cmd_ctx *ctx, const char *line);
void cmd_printf(struct cmd_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cmd_error(struct cmd_ctx *ctx, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cmd_pending(struct cmd_ctx *ctx, void *state, void (*cancel)(struct cmd_ctx *ctx));
void cmd_finish(struct cmd_ctx *ctx, int status);
void cmd_cancel(struct cmd_ctx *ctx);
int cmd_help_json(struct buf *b);

/* handlers (ui/cmd-*.c) */
int cmd_help(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_quit(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_wait(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_accounts(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_reg(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_unreg(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_log(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_siptrace(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_call(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_answer(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_reject(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_hangup(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_hold(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_resume(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_mute(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_unmute(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_dtmf(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_calls(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_audio(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_buddy(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_buddies(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_status(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_history(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_msg(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_chat(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_switch(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_record(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_play(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_set(struct cmd_ctx *ctx, int argc, char **argv);
int cmd_get(struct cmd_ctx *ctx, int argc, char **argv);

/* a buddy's URI by name, and the account its [buddy] section names */
const char *cmd_buddy_uri(const char *name, struct account **acc);
/* "call" follows registrations; at the end, calls still waiting for one
 * fail (ui/cmd-call.c; run by cmd_wait_init and cmd_wait_close) */
void cmd_call_init(void);
void cmd_call_close(void);

/* event history for "wait EVENT" (ui/cmd-wait.c) */
extern const char *const cmd_wait_events[];
void cmd_wait_init(void);
void cmd_wait_close(void);

#endif
