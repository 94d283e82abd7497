/* ui/cmd-core.c: help, quit, accounts, reg, unreg, log, siptrace. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ua.h"
#include "ui/app.h"
#include "ui/cmd.h"

int cmd_help(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--json")) {
		struct buf b;
		buf_init(&b, 0);
		cmd_help_json(&b);
		cmd_printf(ctx, "%s", buf_cstr(&b));
		buf_free(&b);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--events")) {
		const struct cmd_entry *c = cmd_find(argv[1]);
		if (!c)
			return cmd_error(ctx, EXIT_USAGE, "help: no command '%s'", argv[1]);
		cmd_printf(ctx, "usage: %s", c->usage);
		cmd_printf(ctx, "%s", c->help);
		if (c->alias)
			cmd_printf(ctx, "also: %s", c->alias);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--events")) {
		for (const char *const *e = cmd_wait_events; *e; e++)
			cmd_printf(ctx, "%s", *e);
		return 0;
	}
	for (const struct cmd_entry *c = cmd_table; c->name; c++)
		cmd_printf(ctx, "%-34s %s", c->usage, c->help);
	return 0;
}

int cmd_quit(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	app_quit(app.exit_code);
	return 0;
}

int cmd_accounts(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (ua_direct(app.ua)) {
		cmd_printf(ctx, "no accounts: direct mode (calls by address, e.g. sip:bob@192.0.2.7)");
		return 0;
	}
	LIST_FOREACH(ua_accounts(app.ua), e) {
		struct account *a = e->data;
		if (reg_registered(a->reg))
			cmd_printf(ctx, "%s %s registered expires=%u", a->name, a->aor,
				   reg_expires(a->reg));
		else
			cmd_printf(ctx, "%s %s %s", a->name, a->aor,
				   a->do_register ? reg_state(a->reg) : "not registering");
	}
	return 0;
}

static int for_accounts(struct cmd_ctx *ctx, int argc, char **argv, bool on)
{
	int n = 0;
	LIST_FOREACH(ua_accounts(app.ua), e) {
		struct account *a = e->data;
		if (argc > 1 && strcmp(a->name, argv[1]))
			continue;
		n++;
		if (on) {
			a->do_register = true;
			reg_start(a->reg);
		} else {
			reg_stop(a->reg, NULL, NULL);
		}
	}
	if (!n)
		return cmd_error(ctx, EXIT_USAGE, "%s: no account %s", argv[0],
				 argc > 1 ? argv[1] : "configured");
	return 0;
}

int cmd_reg(struct cmd_ctx *ctx, int argc, char **argv)
{
	return for_accounts(ctx, argc, argv, true);
}

int cmd_unreg(struct cmd_ctx *ctx, int argc, char **argv)
{
	return for_accounts(ctx, argc, argv, false);
}

int cmd_log(struct cmd_ctx *ctx, int argc, char **argv)
{
	enum log_level lvl;
	(void)argc;
	if (log_level_parse(argv[1], &lvl))
		return cmd_error(ctx, EXIT_USAGE, "usage: log error|warn|info|debug");
	log_set_level(lvl);
	return 0;
}

int cmd_siptrace(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	if (!strcmp(argv[1], "on"))
		log_trace_enable(true);
	else if (!strcmp(argv[1], "off"))
		log_trace_enable(false);
	else
		return cmd_error(ctx, EXIT_USAGE, "usage: siptrace on|off");
	return 0;
}
