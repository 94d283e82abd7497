/* ui/cmd-presence.c: buddy, buddies, status. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "presence.h"
#include "ui/app.h"
#include "ui/cmd.h"

int cmd_buddy(struct cmd_ctx *ctx, int argc, char **argv)
{
	char err[256];

	if (!strcmp(argv[1], "add") && argc >= 3) {
		if (presence_buddy_add(argv[2], argc > 3 ? argv[3] : NULL, err, sizeof(err)))
			return cmd_error(ctx, EXIT_USAGE, "buddy add: %s", err);
		return 0;
	}
	if (!strcmp(argv[1], "remove") && argc == 3) {
		if (presence_buddy_remove(argv[2]))
			return cmd_error(ctx, EXIT_FAIL, "buddy remove: no buddy '%s' (see 'buddies')",
					 argv[2]);
		return 0;
	}
	return cmd_error(ctx, EXIT_USAGE, "usage: buddy add URI [NAME] | buddy remove NAME");
}

int cmd_buddies(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct buddy_info b;
	(void)argc;
	(void)argv;
	if (!presence_buddy_count()) {
		cmd_printf(ctx, "no buddies: add one with 'buddy add sip:bob@example.org bob'");
		return 0;
	}
	for (size_t i = 0; presence_buddy_get(i, &b); i++)
		cmd_printf(ctx, "%s %s %s%s%s%s%s (%s)", b.name, b.uri, b.basic,
			   b.activity[0] ? " " : "", b.activity, b.note[0] ? " - " : "", b.note,
			   b.sub_state);
	return 0;
}

int cmd_status(struct cmd_ctx *ctx, int argc, char **argv)
{
	enum presence_state st;
	char note[256] = "";
	size_t o = 0;

	if (argc < 2) {
		const char *n;
		st = presence_status(&n);
		cmd_printf(ctx, "%s%s%s (%u watching)", presence_state_name(st), *n ? " - " : "", n,
			   presence_watchers());
		return 0;
	}
	if (presence_state_parse(argv[1], &st))
		return cmd_error(ctx, EXIT_USAGE, "usage: status online|away|busy|offline [NOTE]");
	/* the note is the rest of the line */
	for (int i = 2; i < argc && o < sizeof(note); i++)
		o += (size_t)snprintf(note + o, sizeof(note) - o, "%s%s", i > 2 ? " " : "", argv[i]);
	presence_set_status(st, note);
	return 0;
}
