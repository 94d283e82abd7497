/* ui/cmd-im.c: msg, chat (and "history NAME", which is chat). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "im.h"
#include "presence.h"
#include "ua.h"
#include "ui/app.h"
#include "ui/cmd.h"
#include "ui/tui.h"

#define PEER_MAX 512

/* A buddy (of the configuration or added by "buddy add"): its URI, and
 * the account its [buddy NAME] section names (msg, chat and call take
 * buddies' names). */
const char *cmd_buddy_uri(const char *name, struct account **acc)
{
	const char *uri = presence_buddy_uri(name);
	const struct conf_sect *s;
	const char *a;

	if (!uri)
		return NULL;
	s = app.conf ? conf_sect_find(app.conf, "buddy", name) : NULL;
	if (s && (a = conf_get(s, "account")) && ua_account(app.ua, a))
		*acc = ua_account(app.ua, a);
	return uri;
}

static int bad_address(struct cmd_ctx *ctx, const char *cmd, const char *what,
		       const struct account *acc)
{
	return cmd_error(ctx, EXIT_USAGE,
			 "%s: '%s' is not an address: write sip:user@host, user@host%s", cmd,
			 what, acc ? ", or a user of the account's domain" : "");
}

int cmd_msg(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct account *acc = ua_account_default(app.ua);
	const char *to = cmd_buddy_uri(argv[1], &acc);
	char peer[PEER_MAX];
	uint64_t id;
	int err;
	(void)argc;

	if (!to)
		to = argv[1];
	if (im_peer_uri(acc, to, peer, sizeof(peer)))
		return bad_address(ctx, argv[0], argv[1], acc);
	err = im_send(acc, to, argv[2], &id);
	switch (err) {
	case 0:
		cmd_printf(ctx, "message %llu to %s: sending", (unsigned long long)id, peer);
		return 0;
	case EINVAL:
		return cmd_error(ctx, EXIT_USAGE, "%s: the text is not valid UTF-8: nothing sent",
				 argv[0]);
	case EMSGSIZE:
		return cmd_error(ctx, EXIT_USAGE, "%s: the text is too long (%zu bytes, at most %u)",
				 argv[0], strlen(argv[2]), IM_MAX_TEXT);
	case ENOBUFS:
		return cmd_error(ctx, EXIT_FAIL, "%s: too many messages already wait for %s",
				 argv[0], peer);
	default:
		return cmd_error(ctx, EXIT_FAIL, "%s: cannot write the chat history (%s): "
				 "nothing sent", argv[0], strerror(err));
	}
}

/* ------------------------------------------------------------------ */
/* chat */

struct peers {
	const char *want;          /* canonical URI asked for, or NULL */
	const char *user;          /* or a bare user name */
	bool exact;
	unsigned nuser;
	char match[PEER_MAX];
	struct cmd_ctx *ctx;       /* listing */
	unsigned n;
};

static void peer_match(const struct im_peer_info *p, void *arg)
{
	struct peers *q = arg;
	const char *at = strchr(p->peer, '@'), *colon = strchr(p->peer, ':');
	size_t ul = strlen(q->user ? q->user : "");

	if (q->want && !strcmp(p->peer, q->want)) {
		q->exact = true;
		return;
	}
	if (q->user && at && colon && colon < at && (size_t)(at - colon - 1) == ul &&
	    !strncmp(colon + 1, q->user, ul)) {
		if (!q->nuser++)
			snprintf(q->match, sizeof(q->match), "%s", p->peer);
	}
}

/* NAME as a peer with a history: a buddy, an address (as msg takes it),
 * or the user part of exactly one peer (handy in direct mode). */
static int resolve(struct cmd_ctx *ctx, const char *cmd, const char *name, char *peer,
		   size_t size)
{
	struct account *acc = ua_account_default(app.ua);
	const char *uri = cmd_buddy_uri(name, &acc);
	struct peers q;
	bool addr;

	memset(&q, 0, sizeof(q));
	addr = im_peer_uri(acc, uri ? uri : name, peer, size) == 0;
	q.want = addr ? peer : NULL;
	q.user = !uri && !strchr(name, '@') && !strchr(name, ':') ? name : NULL;
	im_peers(peer_match, &q);
	if (q.exact)
		return 0;
	if (q.nuser == 1) {
		snprintf(peer, size, "%s", q.match);
		return 0;
	}
	if (q.nuser > 1)
		return cmd_error(ctx, EXIT_USAGE, "%s: '%s' names %u peers: write the address",
				 cmd, name, q.nuser);
	if (!addr)
		return bad_address(ctx, cmd, name, acc);
	return 0;
}

/* Text from the network, made safe for a terminal: control characters
 * (C0 but tab, DEL, C1) become \xHH or \u00HH. */
static void put_safe(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
			 (unsigned char)s[i + 1] <= 0x9f)
			buf_printf(b, "\\u%04x", (unsigned char)s[++i]);
		else
			buf_putc(b, (char)c);
	}
}

static void show_rec(const struct im_rec *r, void *arg)
{
	struct peers *q = arg;
	char when[32], status[160];
	struct tm tm;
	const char *t = r->text, *end = r->text + r->len;
	size_t indent;
	struct buf b;

	localtime_r(&r->when, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (!strcmp(r->status, "failed") && r->code)
		snprintf(status, sizeof(status), "failed (%u %s)", r->code, r->reason);
	else
		snprintf(status, sizeof(status), "%s", r->status);
	buf_init(&b, 0);
	buf_printf(&b, "%s %-3s %-9s ", when, r->incoming ? "in" : "out", status);
	indent = b.len;
	/* one output line per line of the text, the later ones indented */
	for (;;) {
		const char *nl = memchr(t, '\n', (size_t)(end - t));
		put_safe(&b, t, (size_t)((nl ? nl : end) - t));
		cmd_printf(q->ctx, "%s", buf_cstr(&b));
		if (!nl)
			break;
		t = nl + 1;
		buf_reset(&b);
		buf_printf(&b, "%*s", (int)indent, "");
	}
	buf_free(&b);
	q->n++;
}

static void list_peer(const struct im_peer_info *p, void *arg)
{
	struct peers *q = arg;
	char when[32];
	struct tm tm;

	localtime_r(&p->last, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (p->unread)
		cmd_printf(q->ctx, "%s %s (%u unread)", when, p->peer, p->unread);
	else
		cmd_printf(q->ctx, "%s %s", when, p->peer);
	q->n++;
}

int cmd_chat(struct cmd_ctx *ctx, int argc, char **argv)
{
	char peer[PEER_MAX];
	struct peers q;
	int rc;

	memset(&q, 0, sizeof(q));
	q.ctx = ctx;
	if (argc < 2) {
		if ((rc = im_peers(list_peer, &q)))
			return cmd_error(ctx, EXIT_FAIL, "%s: cannot read %s: %s", argv[0],
					 im_dir() ? im_dir() : "the chats", strerror(rc));
		if (!q.n)
			cmd_printf(ctx, "no messages yet");
		return 0;
	}
	if ((rc = resolve(ctx, argv[0], argv[1], peer, sizeof(peer))))
		return rc;
	if (tui_active() && !strcmp(argv[0], "chat")) {
		/* the TUI opens the chat window instead of printing */
		tui_chat_show(peer);
		return 0;
	}
	rc = im_history(peer, show_rec, &q);
	if (rc == ENOENT || (!rc && !q.n)) {
		cmd_printf(ctx, "no messages with %s", peer);
		return 0;
	}
	if (rc)
		return cmd_error(ctx, EXIT_FAIL, "%s: cannot read the history of %s: %s", argv[0],
				 peer, strerror(rc));
	im_mark_read(peer);
	return 0;
}
